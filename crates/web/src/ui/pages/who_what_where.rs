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
        Ok((from, to, table))
    })
    .await;
    let (from, to, table) = match loaded {
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
    let page = WhoWhatWherePage { c, from, to, level, rows, presence, map_svg, disclosure, quarters, sheet, error };
    let failed = page.sheet.failed() || page.error.is_some();
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
    who_what_where_page(&state, page.ctx, page.actor, period, SheetView::default()).await
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
        Ok((c, actor, sheet)) => who_what_where_page(&state, c, actor, PeriodQuery::default(), sheet).await,
        Err(page) => page,
    }
}
