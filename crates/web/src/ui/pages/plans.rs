//! Response plans: the list (and a new plan), a plan with its indicators, targets imported
//! from an HXL sheet, and targets beside people reached and the registry's displaced people.

use domain::assistance::Quantity;
use domain::plans::{IndicatorInput, PlanInput, ReportInput, TargetInput};
use store::plans::{Plan, PlanProgress, TargetsReport};

use super::assistance::{form_with, refused_again};
use super::*;

struct PlanLine {
    id: String,
    code: String,
    name: String,
    period: String,
    sectors: String,
    indicators: String,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    c: Ctx,
    plans: Vec<PlanLine>,
    form: FormState,
}

async fn plans_page(state: &AppState, c: Ctx, form: FormState) -> Response {
    let plans = match blocking(state, |store| store.list_plans()).await {
        Ok(plans) => plans,
        Err(error) => return c.error(error),
    };
    let plans = plans
        .iter()
        .map(|p| PlanLine {
            id: p.id.clone(),
            code: p.code.clone(),
            name: p.name.clone(),
            period: format!("{} → {}", p.start_date, p.end_date),
            sectors: p.sectors.iter().map(|s| c.label(s)).collect::<Vec<_>>().join(", "),
            indicators: c.num(p.indicators.len()),
        })
        .collect();
    render(&PlansPage { c, plans, form })
}

pub async fn plans(State(state): State<AppState>, page: SignedIn) -> Response {
    plans_page(&state, page.ctx, FormState::default()).await
}

pub async fn create_plan(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = PlanInput {
        code: form.v("code").into(),
        name: form.v("name").into(),
        start_date: form.v("start_date").into(),
        end_date: form.v("end_date").into(),
        sectors: vec![form.v("sectors").into()],
    };
    match blocking(&state, move |store| store.create_plan(&actor, &input)).await {
        Ok(plan) => Redirect::to(&format!("/plans/{}", plan.id)).into_response(),
        Err(error) => match form_with(form, &c, error) {
            Ok(form) => refused_again(plans_page(&state, c, form).await),
            Err(page) => *page,
        },
    }
}

struct IndicatorLine {
    code: String,
    sector: String,
    name: String,
    unit: String,
    aggregation: String,
    disaggregations: String,
    counted: String,
}

struct ProgressLine {
    indicator: String,
    name: String,
    place: String,
    whole: bool,
    period: String,
    in_need: String,
    targeted: String,
    reached: String,
    reported: String,
    share: String,
    displaced: String,
    above_need: bool,
}

struct ReportLine {
    id: String,
    month: String,
    indicator: String,
    organisation: String,
    place: String,
    value: String,
    female: String,
    male: String,
    status: String,
    submitted: bool,
    comment: String,
}

/// What an import of targets said: its counts, or the cells to correct.
#[derive(Default)]
struct TargetsView {
    report: Option<TargetsReport>,
    errors: Vec<exchange::import::RowError>,
    file_error: Option<String>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    c: Ctx,
    plan: Plan,
    sectors: String,
    indicators: Vec<IndicatorLine>,
    progress: Vec<ProgressLine>,
    disclosure: Option<u64>,
    targets: TargetsView,
    form: FormState,
    /// Partners' reports, for readers of records.
    reports: Vec<ReportLine>,
    report_form: FormState,
    target_form: FormState,
    /// The code of the indicator the form changes; none when it adds one.
    editing: Option<String>,
    indicator_options: Vec<(String, String)>,
    sector_options: Vec<(String, String)>,
    units: Vec<(String, String)>,
    aggregations: Vec<(String, String)>,
}

fn progress_lines(c: &Ctx, gazetteer: &domain::places::Gazetteer, plan: &Plan, p: &PlanProgress) -> Vec<ProgressLine> {
    let figure = |n: Option<f64>| n.map(|n| c.num(n.round() as i64)).unwrap_or_else(|| "—".into());
    p.rows
        .iter()
        .map(|r| {
            let indicator = plan.indicators.iter().find(|i| i.code == r.indicator);
            let name = indicator.map(|i| if c.lang == Lang::Fr { &i.name_fr } else { &i.name_en });
            ProgressLine {
                indicator: r.indicator.clone(),
                name: name.cloned().unwrap_or_default(),
                place: match r.place.as_str() {
                    "" => c.t.whole_plan.to_string(),
                    code => gazetteer.get(code).map_or_else(|| code.to_string(), |l| format!("{} ({code})", l.name)),
                },
                whole: r.place.is_empty(),
                period: format!("{} → {}", r.start_date, r.end_date),
                in_need: figure(r.in_need),
                targeted: figure(r.targeted),
                reached: match (r.counted, r.reached_hidden, r.reached) {
                    (false, _, _) => c.t.reported_by_partners.to_string(),
                    (true, true, _) => "•".into(),
                    (true, false, n) => n.map(|n| c.num(n)).unwrap_or_else(|| "—".into()),
                },
                reported: match (r.reported_hidden, r.reported) {
                    (true, _) => "•".into(),
                    (false, n) => n.map(|n| c.num(n.round() as i64)).unwrap_or_else(|| "—".into()),
                },
                share: r.share_of_target.map(|s| percent(c, s)).unwrap_or_default(),
                displaced: r.displaced.map(|n| c.num(n)).unwrap_or_default(),
                above_need: r.registry_above_need,
            }
        })
        .collect()
}

/// What a plan's page shows besides the plan: the forms as typed, an import's outcome.
#[derive(Default)]
struct PlanView {
    form: FormState,
    editing: Option<String>,
    report_form: FormState,
    target_form: FormState,
    targets: TargetsView,
}

async fn plan_page(state: &AppState, c: Ctx, actor: store::Actor, id: String, view: PlanView) -> Response {
    let loaded = blocking(state, move |store| {
        let plan = store.plan(&id)?;
        let progress = store.plan_progress(&actor, &plan.id)?;
        let reports = if actor.role.sees_records() { store.plan_reports(&actor, &plan.id)? } else { Vec::new() };
        Ok((plan, progress, reports))
    })
    .await;
    let (plan, progress, reports) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let indicators = plan
        .indicators
        .iter()
        .map(|i| IndicatorLine {
            code: i.code.clone(),
            sector: c.label(&i.sector),
            name: if c.lang == Lang::Fr { i.name_fr.clone() } else { i.name_en.clone() },
            unit: c.label(i.unit.as_str()),
            aggregation: format!("{} / {}", c.label(i.across_periods.as_str()), c.label(i.across_places.as_str())),
            disaggregations: i.disaggregations.iter().map(|d| c.label(d.as_str())).collect::<Vec<_>>().join(", "),
            counted: match i.kinds.is_empty() {
                true => c.t.reported_by_partners.to_string(),
                false => i.kinds.iter().map(|k| c.label(k.as_str())).collect::<Vec<_>>().join(", "),
            },
        })
        .collect();
    let lines = progress_lines(&c, &state.store.gazetteer, &plan, &progress);
    let sector_options = plan.sectors.iter().map(|s| (s.clone(), c.label(s))).collect();
    let figure = |n: Option<f64>| n.map(|n| c.num(n.round() as i64)).unwrap_or_default();
    let reports = reports
        .iter()
        .map(|r| ReportLine {
            id: r.id.clone(),
            month: r.month.clone(),
            indicator: r.indicator.clone(),
            organisation: r.organisation.clone(),
            place: state.store.gazetteer.label(&r.place),
            value: figure(Some(r.value)),
            female: figure(r.female),
            male: figure(r.male),
            status: c.label(r.status.as_str()),
            submitted: r.status == domain::ReportStatus::Submitted,
            comment: r.comment.clone().unwrap_or_default(),
        })
        .collect();
    let indicator_options = plan
        .indicators
        .iter()
        .map(|i| (i.code.clone(), format!("{} — {}", i.code, if c.lang == Lang::Fr { &i.name_fr } else { &i.name_en })))
        .collect();
    let PlanView { mut form, editing, report_form, target_form, targets } = view;
    // Changing an indicator: the form starts from what it is (what was typed, after a refusal).
    if let Some(i) = editing.as_ref().and_then(|code| plan.indicators.iter().find(|i| &i.code == code)) {
        if form.values.get("code").is_none_or(|c| c.is_empty()) {
            let join = |codes: Vec<&str>| codes.join(", ");
            for (field, value) in [
                ("code", i.code.clone()),
                ("sector", i.sector.clone()),
                ("name_fr", i.name_fr.clone()),
                ("name_en", i.name_en.clone()),
                ("unit", i.unit.as_str().to_string()),
                ("across_periods", i.across_periods.as_str().to_string()),
                ("across_places", i.across_places.as_str().to_string()),
                ("disaggregations", join(i.disaggregations.iter().map(|d| d.as_str()).collect())),
                ("kinds", join(i.kinds.iter().map(|k| k.as_str()).collect())),
            ] {
                form.values.insert(field.into(), value);
            }
        }
    }
    // An unknown code (a stale link) opens the form to add one, as the page does without it.
    let editing = editing.filter(|code| plan.indicators.iter().any(|i| &i.code == code));
    if editing.is_none() {
        for field in ["across_periods", "across_places"] {
            form.values.entry(field.into()).or_insert_with(|| "sum".into());
        }
    }
    render(&PlanPage {
        editing,
        reports,
        report_form,
        target_form,
        indicator_options,
        sectors: plan.sectors.iter().map(|s| c.label(s)).collect::<Vec<_>>().join(", "),
        indicators,
        progress: lines,
        disclosure: progress.disclosure_threshold,
        targets,
        form,
        sector_options,
        units: options(&c, domain::IndicatorUnit::ALL, domain::IndicatorUnit::as_str),
        aggregations: options(&c, domain::Aggregation::ALL, domain::Aggregation::as_str),
        plan,
        c,
    })
}

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    /// An indicator's code, to change it in the form.
    edit: Option<String>,
}

pub async fn plan(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Response {
    let editing = q.edit.map(|code| code.trim().to_uppercase()).filter(|_| page.ctx.keeps_plans());
    plan_page(&state, page.ctx, page.actor, id, PlanView { editing, ..PlanView::default() }).await
}

/// Adds an indicator (`editing` none) or changes one, from the plan's page.
async fn save_indicator(
    state: AppState,
    page: SignedIn,
    id: String,
    editing: Option<String>,
    pairs: Vec<(String, String)>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = IndicatorInput {
        code: form.v("code").into(),
        sector: form.v("sector").into(),
        name_fr: form.v("name_fr").into(),
        name_en: form.v("name_en").into(),
        unit: form.v("unit").into(),
        across_periods: form.v("across_periods").into(),
        across_places: form.v("across_places").into(),
        disaggregations: vec![form.v("disaggregations").into()],
        kinds: vec![form.v("kinds").into()],
    };
    let (who, plan) = (actor.clone(), id.clone());
    let changed = editing.clone();
    let saved = blocking(&state, move |store| match changed {
        Some(code) => store.update_indicator(&who, &plan, &code, &input),
        None => store.create_indicator(&who, &plan, &input),
    })
    .await;
    match saved {
        Ok(_) => Redirect::to(&format!("/plans/{id}#indicators")).into_response(),
        Err(error) => match form_with(form, &c, error) {
            Ok(form) => {
                refused_again(plan_page(&state, c, actor, id, PlanView { form, editing, ..PlanView::default() }).await)
            }
            Err(page) => *page,
        },
    }
}

pub async fn create_indicator(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save_indicator(state, page, id, None, pairs).await
}

/// The indicator form, sent to change the indicator of `code`.
pub async fn update_indicator(
    State(state): State<AppState>,
    page: SignedIn,
    Path((id, code)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save_indicator(state, page, id, Some(code.trim().to_uppercase()), pairs).await
}

/// A targets sheet: checked (a dry run when asked), then imported all or nothing.
pub async fn import_targets(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let upload = match read_upload(&page.ctx, &mut multipart).await {
        Ok(upload) => upload,
        Err(broken) => return *broken,
    };
    let (csrf, dry_run) = (upload.fields.get("csrf").cloned(), upload.fields.contains_key("dry_run"));
    if let Some(refused) = page.csrf_refusal(csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    if let Err(error) = store::plans::require_plan_writer(&actor) {
        return c.error(error);
    }
    let mut view = TargetsView::default();
    let Some(file) = upload.files.into_iter().next() else {
        view.file_error = Some(format!("{} — {}", c.t.choose_file, c.say(&domain::Message::Value)));
        return refused_again(plan_page(&state, c, actor, id, PlanView { targets: view, ..PlanView::default() }).await);
    };
    let (who, plan, lang) = (actor.clone(), id.clone(), c.lang);
    let file = exchange::InputFile { name: file.name, bytes: file.bytes };
    let outcome = blocking(&state, move |store| match store.import_targets_file(&who, &plan, file, dry_run) {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(store::import::ImportError::Store(e)) => Err(e),
        Err(store::import::ImportError::File(e)) => Ok(Err(e.render(lang))),
    })
    .await;
    let failed = match outcome {
        Err(error) => return c.error(error),
        Ok(Ok(outcome)) => {
            let failed = !outcome.errors.is_empty();
            view.report = outcome.report;
            view.errors = outcome.errors;
            failed
        }
        Ok(Err(file_error)) => {
            view.file_error = Some(file_error);
            true
        }
    };
    let page = plan_page(&state, c, actor, id, PlanView { targets: view, ..PlanView::default() }).await;
    if failed {
        refused_again(page)
    } else {
        page
    }
}

/// One target typed on the plan's page; back to the table, where it shows.
pub async fn set_target(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = TargetInput {
        indicator: form.v("indicator").into(),
        place: form.v("place").into(),
        start_date: form.v("start_date").into(),
        end_date: form.v("end_date").into(),
        in_need: form.opt("in_need").map(Quantity::Text),
        targeted: form.opt("targeted").map(Quantity::Text),
    };
    let (who, plan) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.set_target(&who, &plan, &input)).await {
        Ok(_) => Redirect::to(&format!("/plans/{id}?target_saved=1#progress")).into_response(),
        Err(error) => match form_with(form, &c, error) {
            Ok(target_form) => {
                refused_again(plan_page(&state, c, actor, id, PlanView { target_form, ..PlanView::default() }).await)
            }
            Err(page) => *page,
        },
    }
}

/// A partner's monthly report, typed on the plan's page.
pub async fn submit_report(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let part = |name: &str| form.opt(name).map(Quantity::Text);
    let input = ReportInput {
        indicator: form.v("indicator").into(),
        place: form.v("place").into(),
        month: form.v("month").into(),
        value: Quantity::Text(form.v("value").into()),
        female: part("female"),
        male: part("male"),
        organisation: form.opt("organisation"),
    };
    let (who, plan) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.submit_report(&who, &plan, &input)).await {
        Ok(_) => Redirect::to(&format!("/plans/{id}?submitted=1#reports")).into_response(),
        Err(error) => match form_with(form, &c, error) {
            Ok(report_form) => {
                refused_again(plan_page(&state, c, actor, id, PlanView { report_form, ..PlanView::default() }).await)
            }
            Err(page) => *page,
        },
    }
}

/// Accepts or sends back a report from the plan's page, then back to its reports.
pub async fn review_report(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    if let Err(error) = store::plans::require_plan_writer(&actor) {
        return c.error(error);
    }
    // Back to the plan named by the form (an id: letters, digits and dashes only).
    let plan = form.v("plan").to_string();
    let plan_ok = !plan.is_empty() && plan.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    let (decision, comment) = (form.v("decision").to_string(), form.opt("comment"));
    let who = actor.clone();
    match blocking(&state, move |store| store.review_report(&who, &id, &decision, comment.as_deref())).await {
        Ok(_) if plan_ok => Redirect::to(&format!("/plans/{plan}#reports")).into_response(),
        Ok(_) => Redirect::to("/plans").into_response(),
        Err(error) if !plan_ok => c.error(error),
        Err(error) => match form_with(FormState::default(), &c, error) {
            Ok(report_form) => {
                refused_again(plan_page(&state, c, actor, plan, PlanView { report_form, ..PlanView::default() }).await)
            }
            Err(page) => *page,
        },
    }
}
