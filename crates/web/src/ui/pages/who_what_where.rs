//! The 4W page: who does what, where, when and for whom over a period (a calendar quarter by
//! default), with the "who is where" map, the HXL downloads and, for information-management
//! officers, the import of partners' 3W/5W sheets.

use store::who_what_where::{ActivityImport, WhoWhatWhere};

use super::assistance::{neighbour_quarters, quarter, QuarterLink};
use super::sheets::{upload_sheet, SheetCounts, SheetView};
use super::*;

struct ActivityLine {
    organisation: String,
    sector: String,
    activity: String,
    place: String,
    period: String,
    group: String,
    targeted: String,
    reached: String,
    female: String,
    male: String,
    source: String,
}

struct PresenceLine {
    place: String,
    organisations: String,
    count: usize,
}

struct OfficeLine {
    id: String,
    organisation: String,
    kind: String,
    name: String,
    place: String,
    national: String,
    international: String,
}

/// What the office and partner forms had when refused, and why.
#[derive(Default)]
pub(super) struct OfficeForm {
    typed: HashMap<String, String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "who_what_where.html")]
struct WhoWhatWherePage {
    c: Ctx,
    from: String,
    to: String,
    level: i64,
    rows: Vec<ActivityLine>,
    presence: Vec<PresenceLine>,
    map_svg: String,
    disclosure: Option<u64>,
    quarters: Vec<QuarterLink>,
    sheet: SheetView,
    error: Option<String>,
    offices: Vec<OfficeLine>,
    /// "12 bureaux · 240 … ".
    staff: String,
    partners: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    office_form: OfficeForm,
}

impl WhoWhatWherePage {
    fn typed(&self, name: &str) -> &str {
        self.office_form.typed.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    level: Option<String>,
}

fn activity_lines(c: &Ctx, gazetteer: &domain::places::Gazetteer, table: &WhoWhatWhere) -> Vec<ActivityLine> {
    let figure = |n: Option<f64>| n.map(|n| c.num(n.round() as i64)).unwrap_or_else(|| "—".into());
    table
        .rows
        .iter()
        .map(|r| ActivityLine {
            organisation: r.organisation.clone(),
            sector: c.label(&r.sector),
            activity: c.label(&r.activity),
            place: place_label(c, gazetteer, &r.place),
            period: r.period.replace('/', " → "),
            group: if r.population_group.is_empty() { "—".into() } else { c.label(&r.population_group) },
            targeted: figure(r.targeted),
            reached: if r.reached_hidden { "•".into() } else { figure(r.reached) },
            female: figure(r.female),
            male: figure(r.male),
            source: c.label(r.source.as_str()),
        })
        .collect()
}

/// A place's name with its code; a row whose household has no place says so.
fn place_label(c: &Ctx, gazetteer: &domain::places::Gazetteer, place: &str) -> String {
    if place.is_empty() {
        c.t.place_not_recorded.to_string()
    } else {
        gazetteer.label(place)
    }
}

async fn who_what_where_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    period: PeriodQuery,
    sheet: SheetView,
    office_form: OfficeForm,
) -> Response {
    let level = period.level.as_deref().and_then(|l| l.trim().parse().ok()).unwrap_or(2);
    let chosen = match (period.from, period.to) {
        (Some(from), Some(to)) if !from.trim().is_empty() || !to.trim().is_empty() => Some((from, to)),
        _ => None,
    };
    let who = actor.clone();
    let loaded = blocking(state, move |store| {
        let (from, to) = match chosen {
            Some(period) => period,
            None => {
                let today = store.today();
                let latest = store.last_delivery_on(&who)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
                quarter(latest.map_or(today, |d| d.min(today)))
            }
        };
        let table = store.who_what_where(&who, &from, &to, level);
        let organisations: Vec<(String, String)> =
            store.list_organisations()?.into_iter().map(|o| (o.code, o.name)).collect();
        Ok((from, to, table, store.presence()?, organisations))
    })
    .await;
    let (from, to, table, presence_of, organisations) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let gazetteer = &state.store.gazetteer;
    let (table, error) = match table {
        Ok(table) => (Some(table), None),
        Err(StoreError::Invalid(errors)) => (
            None,
            Some(
                errors
                    .0
                    .iter()
                    .map(|e| format!("{} : {}", e.value, c.say(&e.expected)))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
        ),
        Err(error) => return c.error(error),
    };
    let (rows, presence, map_svg, disclosure) = match &table {
        Some(table) => {
            let presence: Vec<PresenceLine> = table
                .presence()
                .into_iter()
                .map(|(place, orgs)| PresenceLine {
                    place: place_label(&c, gazetteer, &place),
                    count: orgs.len(),
                    organisations: orgs.join(", "),
                })
                .collect();
            let counts: HashMap<String, u64> =
                table.presence().into_iter().map(|(place, orgs)| (place, orgs.len() as u64)).collect();
            let map = charts::choropleth(
                "presence-map",
                c.t.presence_title,
                c.t.presence_map_desc,
                level as u8,
                &counts,
                c.t.none,
            )
            .unwrap_or_default();
            (activity_lines(&c, gazetteer, table), presence, map, table.disclosure_threshold)
        }
        None => (Vec::new(), Vec::new(), String::new(), None),
    };
    let quarters = neighbour_quarters(&c, "/who-what-where", &from, level);
    let offices: Vec<OfficeLine> = presence_of
        .offices
        .iter()
        .map(|o| OfficeLine {
            id: o.id.clone(),
            organisation: o.organisation.clone(),
            kind: c.label(o.kind.as_str()),
            name: o.name.clone(),
            place: gazetteer.label(&o.place),
            national: c.num(o.national_staff),
            international: c.num(o.international_staff),
        })
        .collect();
    let staff = ::factsheet::staff_summary(
        c.lang,
        offices.len(),
        presence_of.offices.iter().map(|o| o.national_staff).sum(),
        presence_of.offices.iter().map(|o| o.international_staff).sum(),
    );
    let page = WhoWhatWherePage {
        kinds: domain::codes::OfficeKind::ALL.iter().map(|k| (k.as_str().to_string(), c.label(k.as_str()))).collect(),
        partners: presence_of.partners.iter().map(|p| (p.organisation.clone(), p.partner.clone())).collect(),
        offices,
        staff,
        organisations,
        office_form,
        c,
        from,
        to,
        level,
        rows,
        presence,
        map_svg,
        disclosure,
        quarters,
        sheet,
        error,
    };
    let failed = page.sheet.failed() || page.error.is_some() || page.office_form.error.is_some();
    let response = render(&page);
    if failed {
        super::assistance::refused_again(response)
    } else {
        response
    }
}

pub async fn who_what_where(
    State(state): State<AppState>,
    page: SignedIn,
    Query(period): Query<PeriodQuery>,
) -> Response {
    who_what_where_page(&state, page.ctx, page.actor, period, SheetView::default(), OfficeForm::default()).await
}

/// A partner's 3W/5W sheet, checked (or only checked) and imported all or nothing.
pub async fn import_who_what_where(
    State(state): State<AppState>,
    page: SignedIn,
    mut multipart: Multipart,
) -> Response {
    let outcome = upload_sheet(
        &state,
        page,
        &mut multipart,
        |store, actor, file, dry_run| store.import_activity_file(actor, file, dry_run),
        |_, outcome: ActivityImport| SheetView {
            counts: outcome.report.map(|r| SheetCounts {
                added: r.added,
                changed: r.changed,
                unchanged: r.unchanged,
                dry_run: r.dry_run,
            }),
            errors: outcome.errors,
            ..SheetView::default()
        },
    )
    .await;
    match outcome {
        Ok((c, actor, sheet)) => {
            who_what_where_page(&state, c, actor, PeriodQuery::default(), sheet, OfficeForm::default()).await
        }
        Err(page) => page,
    }
}

/// The office form: an office recorded (or changed, by its name) for an organisation.
pub async fn set_office_page(
    State(state): State<AppState>,
    page: SignedIn,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    if let Err(error) = store::plans::require_plan_writer(&actor) {
        return c.error(error);
    }
    let field = |name: &str| form.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let staff = |name: &str| -> Result<i64, String> {
        let text = field(name);
        if text.is_empty() {
            return Ok(0);
        }
        text.replace([' ', '\u{202f}', '\u{a0}'], "").parse::<i64>().map_err(|_| text)
    };
    // A place by P-code or by name, as every form takes it.
    let place = match place_of(&state.store, &field("place")) {
        Ok(pcode) => Ok(pcode),
        Err(message) => Err(format!("{} : {}", c.t.place, c.say(&message))),
    };
    let mut problems = Vec::new();
    let (national, international) = (staff("national_staff"), staff("international_staff"));
    for (label, value) in [(c.t.national_staff_h, &national), (c.t.international_staff_h, &international)] {
        if let Err(text) = value {
            problems.push(format!("{label} : « {text} » — {}", c.say(&Message::StaffCount { max: 100_000 })));
        }
    }
    if let Err(problem) = &place {
        problems.push(problem.clone());
    }
    let typed: HashMap<String, String> =
        form.iter().filter(|(k, _)| *k != "csrf").map(|(k, v)| (k.clone(), v.clone())).collect();
    if problems.is_empty() {
        let input = store::presence::OfficeInput {
            organisation: field("organisation"),
            kind: field("kind"),
            name: field("name"),
            place: place.clone().unwrap_or_default(),
            national_staff: national.clone().unwrap_or(0),
            international_staff: international.clone().unwrap_or(0),
        };
        let who = actor.clone();
        match blocking(&state, move |store| store.set_office(&who, &input)).await {
            Ok(_) => return Redirect::to("/who-what-where#offices").into_response(),
            Err(StoreError::Invalid(errors)) => {
                for e in errors.0 {
                    let label = match e.field.as_str() {
                        "kind" => c.t.office_kind.to_string(),
                        "name" => c.t.name.to_string(),
                        "organisation" => c.t.organisation.to_string(),
                        other => field_label(&c, other),
                    };
                    problems.push(format!("{label} : {}", c.say(&e.expected)));
                }
            }
            Err(error) => return c.error(error),
        }
    }
    let office_form = OfficeForm { typed, error: Some(problems.join(" ; ")) };
    who_what_where_page(&state, c, actor, PeriodQuery::default(), SheetView::default(), office_form).await
}

/// Removes an office.
pub async fn remove_office_page(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<super::session::CsrfForm>,
) -> Response {
    let back = "/who-what-where#offices";
    change_and_return(&state, page, form.csrf.as_deref(), back, move |store, actor| store.remove_office(actor, &id))
        .await
}

/// Records (or ends) an implementing partnership.
pub async fn set_partner_page(
    State(state): State<AppState>,
    page: SignedIn,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    let field = |name: &str| form.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let (organisation, partner, remove) = (field("organisation"), field("partner"), form.contains_key("remove"));
    let who = actor.clone();
    match blocking(&state, move |store| store.set_partner(&who, &organisation, &partner, remove)).await {
        Ok(()) => Redirect::to("/who-what-where#offices").into_response(),
        Err(StoreError::Invalid(errors)) => {
            let text = errors
                .0
                .iter()
                .map(|e| format!("{} : {}", field_label(&c, &e.field), c.say(&e.expected)))
                .collect::<Vec<_>>();
            let office_form = OfficeForm { typed: HashMap::new(), error: Some(text.join(" ; ")) };
            who_what_where_page(&state, c, actor, PeriodQuery::default(), SheetView::default(), office_form).await
        }
        Err(error) => c.error(error),
    }
}
