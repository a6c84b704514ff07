//! Assistance: programmes and the quarter's reach, a programme and its rounds, and a round:
//! its stage, planning with the duplicate-assistance check, and the distribution day.

use domain::assistance::{CycleInput, DeliveryInput, ProgrammeInput, Quantity};
use store::assistance::{Cycle, PlanFilter, PlanOverride, PlanReport, Planned, Programme, Reach};

use super::*;

/// An amount with its unit, as people read it ("30 000 XOF", "1 kit", "2,5 kg").
pub(super) fn amount(c: &Ctx, quantity: f64, unit: &str) -> String {
    let french = c.lang == domain::Lang::Fr;
    let number = if quantity.fract() == 0.0 {
        c.num(quantity as i64)
    } else if french {
        format!("{quantity:.2}").replace('.', ",")
    } else {
        format!("{quantity:.2}")
    };
    let label = if unit.len() == 3 && unit.chars().all(|ch| ch.is_ascii_uppercase()) {
        unit.to_string()
    } else {
        let plural = c.label(unit);
        // The labels are plurals; one (and, in French, less than two) takes the singular.
        let singular = quantity == 1.0 || (french && quantity.abs() < 2.0);
        if singular {
            plural.strip_suffix('s').unwrap_or(&plural).to_string()
        } else {
            plural
        }
    };
    format!("{number} {label}")
}

fn rule(c: &Ctx, p: &Programme) -> String {
    let per = c.label(p.per.as_str()).to_lowercase();
    let cap =
        p.cap_per_household.filter(|_| p.per == TargetUnit::Person).map(|n| format!(" (≤ {n})")).unwrap_or_default();
    format!("{} / {per}{cap}", amount(c, p.amount, p.unit.as_str()))
}

struct ProgrammeRow {
    id: String,
    code: String,
    name: String,
    organisation: String,
    sector: String,
    kind: String,
    period: String,
    rule: String,
}

fn programme_row(c: &Ctx, p: &Programme) -> ProgrammeRow {
    ProgrammeRow {
        id: p.id.clone(),
        code: p.code.clone(),
        name: p.name.clone(),
        organisation: p.organisation.clone(),
        sector: c.label(&p.sector),
        kind: c.label(p.kind.as_str()),
        period: format!("{} → {}", p.start_date, p.end_date),
        rule: rule(c, p),
    }
}

pub(super) struct ReachView {
    pub(super) from: String,
    pub(super) to: String,
    /// 1 région … 4 site.
    pub(super) level: i64,
    pub(super) people: String,
    pub(super) households: String,
    pub(super) deliveries: String,
    /// People, households and deliveries as numbers, for the nouns' agreement (hidden: many).
    pub(super) counts: [i64; 3],
    /// Set for readers under disclosure control: counts below it read •.
    pub(super) disclosure: Option<u64>,
    pub(super) rows: Vec<[String; 10]>,
    pub(super) quarters: Vec<QuarterLink>,
}

fn reach_view(c: &Ctx, gazetteer: &domain::places::Gazetteer, reach: Reach) -> ReachView {
    // A hidden count shows as •, never as 0.
    let total = |n: i64| if reach.totals_hidden { "•".to_string() } else { c.num(n) };
    ReachView {
        quarters: neighbour_quarters(c, "/assistance", &reach.from, reach.level),
        people: total(reach.people),
        households: total(reach.households),
        deliveries: total(reach.deliveries),
        counts: if reach.totals_hidden { [2; 3] } else { [reach.people, reach.households, reach.deliveries] },
        disclosure: reach.disclosure_threshold,
        rows: reach
            .rows
            .iter()
            .map(|r| {
                let count = |field: &str, n: i64| if r.is_hidden(field) { "•".to_string() } else { c.num(n) };
                [
                    c.label(&r.sector),
                    c.label(&r.kind),
                    r.organisation.clone(),
                    c.label(&r.population_group),
                    match reach.level >= i64::from(domain::figures::SITE_LEVEL)
                        && !domain::figures::is_site_code(&r.place)
                    {
                        // At the site level, a commune holds what was delivered off any site.
                        true => format!("{} · {}", place_name(gazetteer, &r.place), c.label(domain::figures::NO_SITE)),
                        false => place_name(gazetteer, &r.place),
                    },
                    count("people", r.people),
                    count("female", r.female),
                    count("male", r.male),
                    count("households", r.households),
                    if r.suppressed { "•".to_string() } else { amount(c, r.quantity, &r.unit) },
                ]
            })
            .collect(),
        from: reach.from,
        to: reach.to,
        level: reach.level,
    }
}

/// "Gao (ML0701)": the place's name with its code.
fn place_name(gazetteer: &domain::places::Gazetteer, code: &str) -> String {
    gazetteer.get(code).map_or_else(|| code.to_string(), |l| format!("{} ({code})", l.name))
}

/// The quarter that holds `today`.
pub(super) fn quarter(today: NaiveDate) -> (String, String) {
    let first_month = (today.month0() / 3) * 3 + 1;
    let start = NaiveDate::from_ymd_opt(today.year(), first_month, 1).unwrap_or(today);
    let end = start.checked_add_months(Months::new(3)).and_then(|d| d.pred_opt()).unwrap_or(today);
    (start.to_string(), end.to_string())
}

/// A link to a calendar quarter next to the one shown ("← Trimestre précédent (T1 2024)").
pub(super) struct QuarterLink {
    pub(super) id: &'static str,
    pub(super) href: String,
    pub(super) text: String,
}

/// Links to the quarters before and after the one `from` falls in, on the page at `path`.
pub(super) fn neighbour_quarters(c: &Ctx, path: &str, from: &str, level: i64) -> Vec<QuarterLink> {
    let Some(first) = domain::dates::calendar_day(from).and_then(|d| quarter(d).0.parse::<NaiveDate>().ok()) else {
        return Vec::new();
    };
    let link = |id: &'static str, day: NaiveDate| {
        let (from, to) = quarter(day);
        let label = format!("{}{} {}", c.t.quarter_short, day.month0() / 3 + 1, day.year());
        QuarterLink {
            id,
            href: format!("{path}?from={from}&to={to}&level={level}"),
            text: match id {
                "previous-quarter" => format!("← {} ({label})", c.t.previous_quarter),
                _ => format!("{} ({label}) →", c.t.next_quarter),
            },
        }
    };
    let before = first.pred_opt().map(|d| link("previous-quarter", d));
    let after = first.checked_add_months(Months::new(3)).map(|d| link("next-quarter", d));
    before.into_iter().chain(after).collect()
}

/// Reach over the period chosen, or else this quarter, or the last one something was
/// delivered in; for viewers with small counts suppressed.
pub(super) async fn quarter_reach(
    state: &AppState,
    c: &Ctx,
    actor: &store::Actor,
    chosen: Option<(String, String)>,
    level: i64,
) -> Result<Option<ReachView>, StoreError> {
    let actor = actor.clone();
    let reach = blocking(state, move |store| {
        let (from, to) = match chosen {
            Some(period) => period,
            None => {
                let today = store.today();
                let latest =
                    store.last_delivery_on(&actor)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
                quarter(latest.map_or(today, |d| d.min(today)))
            }
        };
        store.reach(&actor, &from, &to, level)
    })
    .await?;
    Ok(Some(reach_view(c, &state.store.gazetteer, reach)))
}

#[derive(Template)]
#[template(path = "assistance.html")]
struct AssistancePage {
    c: Ctx,
    programmes: Vec<ProgrammeRow>,
    reach: Option<ReachView>,
    form: FormState,
    sectors: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    units: Vec<(String, String)>,
    targets: Vec<(String, String)>,
}

/// The period of reach a user chose (both ends), if any, and the level of places.
#[derive(Deserialize, Default)]
pub struct ReachQuery {
    from: Option<String>,
    to: Option<String>,
    level: Option<String>,
}

async fn assistance_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    form: FormState,
    period: ReachQuery,
) -> Response {
    let programmes = match blocking(state, |store| store.list_programmes()).await {
        Ok(list) => list.iter().map(|p| programme_row(&c, p)).collect(),
        Err(error) => return c.error(error),
    };
    let chosen = match (period.from, period.to) {
        (Some(from), Some(to)) if !from.trim().is_empty() || !to.trim().is_empty() => Some((from, to)),
        _ => None,
    };
    // A level that is no number is the default one; a number out of range is refused by name.
    let level = period.level.as_deref().and_then(|l| l.trim().parse().ok()).unwrap_or(2);
    let reach = match quarter_reach(state, &c, &actor, chosen, level).await {
        Ok(reach) => reach,
        Err(error) => return c.error(error),
    };
    let sectors = state.store.gazetteer.sectors.iter().map(|s| (s.code.clone(), c.label(&s.code))).collect();
    render(&AssistancePage {
        programmes,
        reach,
        form,
        sectors,
        kinds: options(&c, AssistanceKind::ALL, AssistanceKind::as_str),
        units: options(&c, Unit::ALL, Unit::as_str),
        targets: options(&c, TargetUnit::ALL, TargetUnit::as_str),
        c,
    })
}

pub async fn assistance(State(state): State<AppState>, page: SignedIn, Query(period): Query<ReachQuery>) -> Response {
    let mut form = FormState::default();
    form.values.insert("unit".into(), "XOF".into());
    form.values.insert("target_unit".into(), "household".into());
    form.values.insert("per".into(), "household".into());
    assistance_page(&state, page.ctx, page.actor, form, period).await
}

pub async fn create_programme(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = ProgrammeInput {
        code: form.v("code").into(),
        name: form.v("name").into(),
        sector: form.v("sector").into(),
        kind: form.v("kind").into(),
        target_unit: form.v("target_unit").into(),
        start_date: form.v("start_date").into(),
        end_date: form.v("end_date").into(),
        places: form.list("places"),
        donor: form.opt("donor"),
        project: form.opt("project"),
        eligibility: form.v("eligibility").into(),
        amount: Quantity::Text(form.v("amount").into()),
        per: form.v("per").into(),
        cap_per_household: None,
        unit: form.v("unit").into(),
        organisation: None,
    };
    // A cap typed as a word is said at its field, never dropped.
    let input = match form.opt("cap_per_household").map(|v| v.trim().parse::<u32>().map_err(|_| v)) {
        None => input,
        Some(Ok(cap)) => ProgrammeInput { cap_per_household: Some(cap), ..input },
        Some(Err(typed)) => {
            let error = domain::FieldError::new("cap_per_household", typed.trim(), domain::Message::WholeCount);
            let form = match form_with(form, &c, StoreError::from(error)) {
                Ok(form) => form,
                Err(page) => return *page,
            };
            return refused_again(assistance_page(&state, c, actor, form, ReachQuery::default()).await);
        }
    };
    let who = actor.clone();
    match blocking(&state, move |store| store.create_programme(&who, &input)).await {
        Ok(p) => Redirect::to(&format!("/assistance/programmes/{}", p.id)).into_response(),
        Err(error) => {
            let form = match form_with(form, &c, error) {
                Ok(form) => form,
                Err(page) => return *page,
            };
            refused_again(assistance_page(&state, c, actor, form, ReachQuery::default()).await)
        }
    }
}

/// A form shown again with its errors: 422, unless the page itself failed.
pub(super) fn refused_again(mut response: Response) -> Response {
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// The form with the error said at its fields; any other error is its own page (403, 404…).
pub(super) fn form_with(mut form: FormState, c: &Ctx, error: StoreError) -> Result<FormState, Box<Response>> {
    match form.fail(c, error) {
        Some(page) => Err(Box::new(page)),
        None => Ok(form),
    }
}

struct CycleRow {
    id: String,
    name: String,
    period: String,
    status: String,
    planned: String,
    reached: String,
    entitled: String,
    delivered: String,
}

fn cycle_row(c: &Ctx, cycle: &Cycle, unit: &str) -> CycleRow {
    let progress = cycle.progress;
    CycleRow {
        id: cycle.id.clone(),
        name: cycle.name.clone(),
        period: format!("{} → {}", cycle.start_date, cycle.end_date),
        status: c.label(cycle.status.as_str()),
        planned: progress.map(|p| c.num(p.entitlements)).unwrap_or_default(),
        reached: progress.map(|p| c.num(p.reached)).unwrap_or_default(),
        entitled: progress.map(|p| amount(c, p.entitled_quantity, unit)).unwrap_or_default(),
        delivered: progress.map(|p| amount(c, p.delivered_quantity, unit)).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "programme.html")]
struct ProgrammePage {
    c: Ctx,
    p: ProgrammeRow,
    target: String,
    places: String,
    donor: String,
    eligibility: String,
    rounds: Vec<CycleRow>,
    mine: bool,
    form: FormState,
}

async fn programme_page(state: &AppState, c: Ctx, actor: store::Actor, id: String, form: FormState) -> Response {
    let who = actor.clone();
    let found = blocking(state, move |store| {
        Ok((store.programme(&id)?, store.list_cycles(&who, &id)?, store.may_change_programme(&who, &id)?))
    })
    .await;
    let (programme, cycles, mine) = match found {
        Ok(found) => found,
        Err(error) => return c.error(error),
    };
    render(&ProgrammePage {
        p: programme_row(&c, &programme),
        target: c.label(programme.target_unit.as_str()),
        places: programme.places.join(", "),
        donor: [programme.donor.clone(), programme.project.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        eligibility: programme.eligibility.clone(),
        rounds: cycles.iter().map(|cy| cycle_row(&c, cy, programme.unit.as_str())).collect(),
        mine,
        form,
        c,
    })
}

pub async fn programme(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    programme_page(&state, page.ctx, page.actor, id, FormState::default()).await
}

pub async fn create_round(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = CycleInput {
        name: form.v("name").into(),
        start_date: form.v("start_date").into(),
        end_date: form.v("end_date").into(),
    };
    let (who, programme) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.create_cycle(&who, &programme, &input)).await {
        Ok(cycle) => Redirect::to(&format!("/assistance/cycles/{}", cycle.id)).into_response(),
        Err(error) => {
            let form = match form_with(form, &c, error) {
                Ok(form) => form,
                Err(page) => return *page,
            };
            refused_again(programme_page(&state, c, actor, id, form).await)
        }
    }
}

struct PlannedRow {
    household_id: String,
    household: String,
    person_id: String,
    people: String,
    entitled: String,
    delivered: String,
    remaining: String,
    done: bool,
}

struct ConflictRow {
    household_id: String,
    household: String,
    people: String,
    message: String,
}

#[derive(Template)]
#[template(path = "cycle.html")]
struct CyclePage {
    c: Ctx,
    cycle: CycleRow,
    programme_id: String,
    programme: String,
    draft: bool,
    distributing: bool,
    next: Option<(String, String)>,
    mine: bool,
    groups: Vec<(String, String)>,
    modalities: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    default_modality: String,
    report: Option<(String, String, String)>,
    conflicts: Vec<ConflictRow>,
    /// Conflicts left out of the table (beyond `LONG_TABLE`).
    more_conflicts: String,
    q: String,
    planned: Vec<PlannedRow>,
    saved: bool,
    form: FormState,
    returns: Option<ReturnsView>,
    monitoring: Option<super::monitoring::MonitoringView>,
}

#[derive(Default)]
pub(super) struct CycleView {
    pub report: Option<PlanReport>,
    pub q: String,
    pub saved: bool,
    pub form: FormState,
    pub returns: Option<ReturnsView>,
}

pub(super) async fn cycle_page(state: &AppState, c: Ctx, actor: store::Actor, id: String, view: CycleView) -> Response {
    let who = actor.clone();
    let cycle_id = id.clone();
    let loaded = blocking(state, move |store| {
        let cycle = store.cycle(&who, &cycle_id)?;
        let programme = store.programme(&cycle.programme_id)?;
        let mine = store.may_change_programme(&who, &programme.id)?;
        Ok((cycle, programme, mine))
    })
    .await;
    let (cycle, programme, mine) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let distributing = cycle.status == CycleStatus::Distributing;
    // The distribution list: for those who deliver, while it is being distributed.
    let planned: Vec<Planned> = if mine && distributing {
        let (who, cycle_id, q) = (actor.clone(), id.clone(), view.q.clone());
        match blocking(state, move |store| store.planned(&who, &cycle_id, Some(q.as_str()), 50)).await {
            Ok(planned) => planned,
            Err(error) => return c.error(error),
        }
    } else {
        Vec::new()
    };
    let unit = programme.unit.as_str();
    // Monitoring and follow-ups: for those who deliver, once distribution began.
    let monitoring = if mine && matches!(cycle.status, CycleStatus::Distributing | CycleStatus::Closed) {
        let reached = cycle.progress.map_or(0, |p| p.reached);
        match super::monitoring::monitoring_view(state, &c, &actor, &id, reached, unit).await {
            Ok(view) => Some(view),
            Err(error) => return c.error(error),
        }
    } else {
        None
    };
    let report = view.report.as_ref().map(|r| (c.num(r.planned), c.num(r.already_planned), c.num(r.overridden)));
    let all_conflicts = view.report.as_ref().map_or(0, |r| r.conflicts.len());
    let more_conflicts = match all_conflicts > super::LONG_TABLE {
        true => c.num(all_conflicts - super::LONG_TABLE),
        false => String::new(),
    };
    let conflicts = view
        .report
        .iter()
        .flat_map(|r| &r.conflicts)
        .take(super::LONG_TABLE)
        .map(|k| ConflictRow {
            household_id: k.household_id.clone(),
            household: k.household.clone(),
            people: c.num(k.people),
            message: c.say(&k.message()),
        })
        .collect();
    let default_modality = programme.kind.usual_modality();
    render(&CyclePage {
        cycle: cycle_row(&c, &cycle, unit),
        programme_id: programme.id.clone(),
        programme: format!("{} — {}", programme.code, programme.name),
        draft: cycle.status == CycleStatus::Draft,
        distributing,
        next: cycle.status.next().map(|n| (n.as_str().to_string(), c.label(n.as_str()))),
        mine,
        groups: population_groups(&state.store, &c),
        modalities: options(&c, Modality::ALL, Modality::as_str),
        outcomes: options(&c, DeliveryOutcome::ALL, DeliveryOutcome::as_str),
        default_modality: default_modality.as_str().to_string(),
        report,
        conflicts,
        more_conflicts,
        planned: planned
            .iter()
            .map(|p| {
                let remaining = (p.entitled - p.delivered).max(0.0);
                PlannedRow {
                    household_id: p.household_id.clone(),
                    household: p.household.clone(),
                    person_id: p.person_id.clone().unwrap_or_default(),
                    people: p.people.join(", "),
                    entitled: amount(&c, p.entitled, unit),
                    delivered: amount(&c, p.delivered, unit),
                    remaining: if remaining.fract() == 0.0 { format!("{remaining:.0}") } else { remaining.to_string() },
                    done: remaining <= 0.0,
                }
            })
            .collect(),
        q: view.q,
        saved: view.saved,
        form: view.form,
        returns: view.returns,
        monitoring,
        c,
    })
}

#[derive(Deserialize)]
pub struct CycleQuery {
    q: Option<String>,
    saved: Option<String>,
}

pub async fn cycle(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<CycleQuery>,
) -> Response {
    let view = CycleView { q: q.q.unwrap_or_default(), saved: q.saved.is_some(), ..CycleView::default() };
    cycle_page(&state, page.ctx, page.actor, id, view).await
}

pub async fn advance_round(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (who, cycle, to) = (actor.clone(), id.clone(), form.v("status").to_string());
    match blocking(&state, move |store| store.advance_cycle(&who, &cycle, &to)).await {
        Ok(_) => Redirect::to(&format!("/assistance/cycles/{id}")).into_response(),
        Err(error) => {
            let view = CycleView {
                report: None,
                q: String::new(),
                saved: false,
                form: match form_with(form, &c, error) {
                    Ok(form) => form,
                    Err(page) => return *page,
                },
                returns: None,
            };
            refused_again(cycle_page(&state, c, actor, id, view).await)
        }
    }
}

pub async fn plan_round(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    // Reasons typed next to the households the check left out: `reason:<household id>`.
    let overrides = form
        .values
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("reason:").map(|h| (h, v.trim())))
        .filter(|(_, reason)| !reason.is_empty())
        .map(|(household, reason)| PlanOverride { household: household.to_string(), reason: reason.to_string() })
        .collect::<Vec<_>>();
    let mut households: Vec<String> =
        form.v("households").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    if households.is_empty() {
        households = overrides.iter().map(|o| o.household.clone()).collect();
    }
    // Numbers as typed: a word where a number goes is said at its field, never dropped.
    let mut mistakes = domain::FieldErrors::default();
    let mut whole = |field: &str, expected: domain::Message| match form.opt(field) {
        None => None,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                mistakes.push(domain::FieldError::new(field, text.trim(), expected));
                None
            }
        },
    };
    let filter = PlanFilter {
        population_group: form.opt("population_group"),
        location: form.opt("location"),
        min_members: whole("min_members", domain::Message::WholeCount),
        displaced_since: form.opt("displaced_since"),
        min_age: whole("min_age", domain::Message::AgeInYears),
        max_age: whole("max_age", domain::Message::AgeInYears),
        households,
        overrides,
    };
    if !mistakes.is_empty() {
        let form = match form_with(form, &c, StoreError::Invalid(mistakes)) {
            Ok(form) => form,
            Err(page) => return *page,
        };
        return refused_again(cycle_page(&state, c, actor, id, CycleView { form, ..CycleView::default() }).await);
    }
    let (who, cycle) = (actor.clone(), id.clone());
    let planned = blocking(&state, move |store| store.plan_cycle(&who, &cycle, &filter)).await;
    let view = match planned {
        Ok(report) => CycleView { report: Some(report), form, ..CycleView::default() },
        Err(error) => {
            let form = match form_with(form, &c, error) {
                Ok(form) => form,
                Err(page) => return *page,
            };
            return refused_again(cycle_page(&state, c, actor, id, CycleView { form, ..CycleView::default() }).await);
        }
    };
    cycle_page(&state, c, actor, id, view).await
}

pub async fn deliver(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = DeliveryInput {
        household: form.v("household").into(),
        person: form.opt("person"),
        date: form.opt("date").unwrap_or_else(|| state.store.today().to_string()),
        place: form.opt("place"),
        quantity: Quantity::Text(form.v("quantity").into()),
        modality: form.v("modality").into(),
        outcome: form.opt("outcome").unwrap_or_else(|| "delivered".into()),
        reference: form.opt("reference"),
        delivered_by: Some(actor.username.clone()),
        note: None,
    };
    let q = form.opt("q").unwrap_or_default();
    let (who, cycle) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.record_delivery(&who, &cycle, &input)).await {
        Ok(_) => {
            let query = serde_urlencoded::to_string([("saved", "1"), ("q", q.as_str())]).unwrap_or_default();
            let back = format!("/assistance/cycles/{id}?{query}");
            Redirect::to(&back).into_response()
        }
        Err(error) => {
            let view = CycleView {
                report: None,
                q,
                saved: false,
                form: match form_with(form, &c, error) {
                    Ok(form) => form,
                    Err(page) => return *page,
                },
                returns: None,
            };
            refused_again(cycle_page(&state, c, actor, id, view).await)
        }
    }
}

/// The round's list as a workbook for the field, in the page's language.
pub async fn list_xlsx(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let cycle = id.clone();
    let lang = c.lang;
    let made = blocking(&state, move |store| {
        let (heading, rows) = store.distribution_list(&actor, &cycle)?;
        exchange::distribution::list_xlsx(&heading, &rows, lang).map_err(|e| StoreError::Database(e.to_string()))
    })
    .await;
    match made {
        Ok(bytes) => crate::files::file_response(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{}-{id}.xlsx", if lang == domain::Lang::Fr { "liste-distribution" } else { "distribution-list" }),
        ),
        Err(error) => c.error(error),
    }
}

/// The mobile-money payment file: phone, amount, reference for those still owed.
pub async fn payments_csv(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let cycle = id.clone();
    let made = blocking(&state, move |store| {
        let (_, rows) = store.distribution_list(&actor, &cycle)?;
        exchange::distribution::payment_csv(&rows).map_err(|e| StoreError::Database(e.to_string()))
    })
    .await;
    match made {
        Ok(bytes) => crate::files::file_response(bytes, "text/csv; charset=utf-8", &format!("paiements-{id}.csv")),
        Err(error) => c.error(error),
    }
}

struct PrintRow {
    household: String,
    member: String,
    head: String,
    people: String,
    place: String,
    entitled: String,
    delivered: String,
}

#[derive(Template)]
#[template(path = "distribution_list.html")]
struct PrintPage {
    c: Ctx,
    cycle_id: String,
    programme: String,
    round: String,
    period: String,
    rows: Vec<PrintRow>,
}

/// The list to print: a line per entitlement with room for a signature or a thumbprint.
pub async fn print_list(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let cycle = id.clone();
    let (heading, rows) = match blocking(&state, move |store| store.distribution_list(&actor, &cycle)).await {
        Ok(list) => list,
        Err(error) => return c.error(error),
    };
    let unit = heading.unit.clone();
    render(&PrintPage {
        cycle_id: id,
        programme: heading.programme,
        round: heading.round,
        period: heading.period,
        rows: rows
            .iter()
            .map(|r| PrintRow {
                household: r.household.clone(),
                member: r.member.clone().unwrap_or_default(),
                head: r.head.clone(),
                people: c.num(r.people as i64),
                place: r.place.clone(),
                entitled: amount(&c, r.entitled, &unit),
                delivered: amount(&c, r.delivered, &unit),
            })
            .collect(),
        c,
    })
}

/// What importing a returned list said, for the round's page.
pub(super) struct ReturnsView {
    report: Option<(String, String, String, bool)>,
    errors: Vec<exchange::import::RowError>,
    file_error: Option<String>,
}

/// The completed list brought back: checked (a dry run when asked), then recorded all or nothing.
pub async fn import_returns(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let form = match read_upload(&page.ctx, &mut multipart).await {
        Ok(form) => form,
        Err(broken) => return *broken,
    };
    let (csrf, dry_run) = (form.fields.get("csrf").cloned(), form.fields.contains_key("dry_run"));
    let file = form.files.into_iter().next().map(|f| (f.name, f.bytes));
    if let Some(refused) = page.csrf_refusal(csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    let (who, cycle) = (actor.clone(), id.clone());
    if let Err(error) = blocking(&state, move |store| store.require_round_writer(&who, &cycle)).await {
        return c.error(error);
    }
    let mut view = ReturnsView { report: None, errors: Vec::new(), file_error: None };
    let Some((name, bytes)) = file else {
        view.file_error = Some(format!("{} — {}", c.t.choose_file, c.say(&domain::Message::Value)));
        let page = cycle_page(&state, c, actor, id, CycleView { returns: Some(view), ..CycleView::default() }).await;
        return refused_again(page);
    };
    let (who, cycle, lang) = (actor.clone(), id.clone(), c.lang);
    let outcome = blocking(&state, move |store| {
        Ok(match exchange::distribution::read_returned(&name, &bytes) {
            Err(exchange::distribution::ReturnedError::File(e)) => Err(Ok(e.render(lang))),
            Err(exchange::distribution::ReturnedError::Rows(rows)) => Err(Err(rows)),
            Ok(returned) => match store.import_returns(&who, &cycle, &returned, dry_run) {
                Ok(report) => Ok(report),
                Err(store::assistance::ReturnsError::Rows(rows)) => Err(Err(rows)),
                Err(store::assistance::ReturnsError::Store(e)) => return Err(e),
            },
        })
    })
    .await;
    let failed = match outcome {
        Err(error) => return c.error(error),
        Ok(Ok(report)) => {
            view.report = Some((
                c.num(report.recorded),
                c.num(report.already_recorded),
                c.num(report.left_blank),
                report.dry_run,
            ));
            false
        }
        Ok(Err(Ok(file_error))) => {
            view.file_error = Some(file_error);
            true
        }
        Ok(Err(Err(rows))) => {
            view.errors = rows;
            true
        }
    };
    let page = cycle_page(&state, c, actor, id, CycleView { returns: Some(view), ..CycleView::default() }).await;
    if failed {
        refused_again(page)
    } else {
        page
    }
}
