//! Page handlers: each gathers what its template shows through the store (on a blocking
//! thread), and renders. Forms post back to the same path; a form with errors is shown again
//! with what was typed and every error next to its field, translated.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Datelike, Months, NaiveDate};
use domain::codes::*;
use domain::registry::{HouseholdInput, MovementInput, PersonInput};
use domain::FieldError;
use serde::Deserialize;
use store::registry::{HouseholdDetail, HouseholdFilter, HouseholdPatch, PersonFilter, Version};
use store::registry::{IfLikelyDuplicates, Registration};
use store::{Store, StoreError};

use super::charts::{self, Series};
use super::i18n::{Lang, LANG_COOKIE};
use super::{render, Ctx, SignedIn, Visitor, LOGIN_CSRF_COOKIE};
use crate::AppState;

/// Runs store calls on the blocking pool; a panic or a lost task is a 500.
pub(super) async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .unwrap_or_else(|_| Err(StoreError::Database("page task failed".into())))
}

// ---------------------------------------------------------------- messages and sign-in

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: &'a Ctx,
    title: &'a str,
    text: &'a str,
}

pub(super) fn message_page(c: &Ctx, title: &str, text: &str) -> Response {
    render(&MessagePage { c, title, text })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Ctx,
    next: String,
    failed: bool,
    username: String,
    /// Back from a change of password.
    changed: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    #[serde(default)]
    changed: Option<String>,
}

/// Only paths of this site: `next` never sends anyone elsewhere. Browsers drop tabs and line
/// breaks from a URL (`/\t/evil.example` becomes `//evil.example`) and read `\\` as `/`, so
/// anything but visible ASCII is refused, as is a second leading slash.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_string()
        }
        _ => "/".into(),
    }
}

fn login_cookie_header(token: &str) -> String {
    format!("{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600")
}

pub async fn login_form(Visitor(mut c): Visitor, Query(q): Query<NextQuery>) -> Response {
    // A fresh double-submit token whenever the form has none.
    let token = if c.csrf.len() == 64 { c.csrf.clone() } else { super::random_token() };
    c.csrf = token.clone();
    let changed = q.changed.is_some();
    let page = LoginPage { c, next: local_path(q.next.as_deref()), failed: false, username: String::new(), changed };
    ([(header::SET_COOKIE, login_cookie_header(&token))], render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    Visitor(c): Visitor,
    crate::auth::ClientSource(source): crate::auth::ClientSource,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if c.csrf.len() != 64 || !super::same(&c.csrf, &form.csrf) {
        return (StatusCode::FORBIDDEN, message_page(&c, c.t.forbidden_title, c.t.session_expired)).into_response();
    }
    let username = form.username.clone();
    let outcome = blocking(&state, move |store| {
        let Some(actor) = store.verify_login_from(&form.username, &form.password, &source)? else { return Ok(None) };
        Ok(Some(store.create_session(&actor)?))
    })
    .await;
    match outcome {
        Ok(Some(token)) => {
            let max_age = store::auth::SESSION_ABSOLUTE_MS / 1000;
            let secure = if crate::api::behind_tls(&headers) { "; Secure" } else { "" };
            let cookie = format!(
                "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}",
                crate::auth::SESSION_COOKIE
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(form.next.as_deref()))).into_response()
        }
        Ok(None) => {
            let page = LoginPage { next: local_path(form.next.as_deref()), failed: true, username, c, changed: false };
            (StatusCode::UNAUTHORIZED, render(&page)).into_response()
        }
        Err(error) => c.error(error),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    page: SignedIn,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    if let Some(token) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) {
        let _ = blocking(&state, move |store| store.delete_session(&token)).await;
    }
    let expire = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", crate::auth::SESSION_COOKIE);
    ([(header::SET_COOKIE, expire)], Redirect::to("/login")).into_response()
}

/// Remembers the chosen language for a year and goes back where the user was.
pub async fn switch_language(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Fr);
    let cookie = format!("{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000", lang.code());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(q.next.as_deref()))).into_response()
}

// ---------------------------------------------------------------- dashboard

struct GroupFigure {
    code: String,
    label: String,
    individuals: String,
    households: String,
}

struct FlowRow {
    group: String,
    kind: String,
    individuals: String,
    households: String,
}

struct PairRow {
    origin: String,
    destination: String,
    kind: String,
    individuals: String,
}

struct AccountRow {
    group: String,
    start: String,
    inflows: String,
    outflows: String,
    end: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Ctx,
    as_of: String,
    groups: Vec<GroupFigure>,
    trend_svg: String,
    map_svg: String,
    period: String,
    flows: Vec<FlowRow>,
    accounts: Vec<AccountRow>,
    pairs: Vec<PairRow>,
    disclosure: Option<u64>,
    stale: bool,
}

fn month_ends(today: NaiveDate, count: u32) -> Vec<NaiveDate> {
    let first_of_month = today.with_day(1).unwrap_or(today);
    let mut dates: Vec<NaiveDate> = (1..count)
        .rev()
        .filter_map(|back| first_of_month.checked_sub_months(Months::new(back - 1)).and_then(|d| d.pred_opt()))
        .collect();
    dates.push(today);
    dates
}

fn totals_by_group(stock: &domain::figures::Stock) -> (HashMap<String, u64>, HashMap<String, u64>) {
    let mut individuals = HashMap::new();
    let mut households = HashMap::new();
    for cell in &stock.households {
        *individuals.entry(cell.population_group.clone()).or_insert(0) += cell.individuals;
        *households.entry(cell.population_group.clone()).or_insert(0) += cell.households;
    }
    (individuals, households)
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    as_of: Option<String>,
}

pub async fn dashboard(State(state): State<AppState>, page: SignedIn, Query(q): Query<DashboardQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let chosen = q.as_of.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
    let figures = blocking(&state, move |store| {
        // Every figure of the page from one registry version.
        let snapshot = store.figures_snapshot(&actor)?;
        // Without a chosen date: today, or the last day something happened if that is earlier.
        let today = store.today();
        let today = match chosen {
            Some(date) => date.min(today),
            None => snapshot.latest_event_date().map_or(today, |latest| latest.min(today)),
        };
        let dates = month_ends(today, 13);
        let from = today.checked_sub_months(Months::new(3)).unwrap_or(today);
        let mut stocks = Vec::new();
        for date in &dates {
            stocks.push((*date, snapshot.stock(&date.to_string(), 1, None)?));
        }
        let flows = snapshot.flows(&from.to_string(), &today.to_string(), 1, None)?;
        Ok((today, from, stocks, flows))
    })
    .await;
    let (today, from, stocks, flows) = match figures {
        Ok(figures) => figures,
        Err(error) => return c.error(error),
    };
    let gazetteer = &state.store.gazetteer;
    let Some((_, current)) = stocks.last() else {
        return c.error(store::StoreError::Database("no figures were computed for the dashboard".into()));
    };
    let (individuals, households) = totals_by_group(&current.stock);
    let mut codes: Vec<&String> = individuals.keys().collect();
    codes.sort_by_key(|code| (std::cmp::Reverse(individuals[*code]), (*code).clone()));
    let groups: Vec<GroupFigure> = codes
        .iter()
        .map(|code| GroupFigure {
            code: (*code).clone(),
            label: c.label(code),
            individuals: c.num(individuals[*code]),
            households: c.num(households.get(*code).copied().unwrap_or(0)),
        })
        .collect();
    let x_labels: Vec<String> = stocks.iter().map(|(date, _)| date.format("%m/%y").to_string()).collect();
    let series: Vec<Series> = codes
        .iter()
        .map(|code| Series {
            label: c.label(code),
            values: stocks.iter().map(|(_, s)| totals_by_group(&s.stock).0.get(*code).copied().unwrap_or(0)).collect(),
        })
        .collect();
    let trend_desc = series
        .iter()
        .map(|s| {
            format!(
                "{}: {} → {}",
                s.label,
                c.num(*s.values.first().unwrap_or(&0)),
                c.num(*s.values.last().unwrap_or(&0))
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let trend_svg = charts::line_chart("trend", c.t.trend_title, &trend_desc, &x_labels, &series);
    let mut by_region: HashMap<String, u64> = HashMap::new();
    for cell in current.stock.cells.iter().filter(|cell| cell.population_group == "IDP") {
        *by_region.entry(cell.place.clone()).or_insert(0) += cell.individuals;
    }
    let map_svg = charts::choropleth("map", c.t.map_title, c.t.map_desc, 1, &by_region, c.t.none).unwrap_or_default();
    let flow_rows = flows
        .flows
        .counts
        .iter()
        .filter(|f| f.individuals > 0 || f.suppressed)
        .map(|f| FlowRow {
            group: f.population_group.clone(),
            kind: c.label(f.kind.as_str()),
            individuals: if f.suppressed { "•".into() } else { c.num(f.individuals) },
            households: if f.suppressed { "•".into() } else { c.num(f.households) },
        })
        .collect();
    let accounts = flows
        .flows
        .accounts
        .iter()
        .map(|a| {
            // A hidden figure shows as •, never as 0.
            let shown = |field: &str, n: u64| if a.is_hidden(field) { "•".to_string() } else { c.num(n) };
            AccountRow {
                group: c.label(&a.population_group),
                start: shown("stock_start", a.stock_start),
                inflows: shown("inflows", a.inflows),
                outflows: shown("outflows", a.outflows),
                end: shown("stock_end", a.stock_end),
            }
        })
        .collect();
    let mut matrix = flows.flows.matrix.clone();
    matrix.sort_by_key(|m| std::cmp::Reverse(m.individuals));
    let pairs = matrix
        .iter()
        // A hidden cell is no route to show: its presence alone would tell a small flow.
        .filter(|m| m.origin != m.destination && !m.suppressed && m.individuals > 0)
        .take(10)
        .map(|m| PairRow {
            origin: gazetteer.get(&m.origin).map(|l| l.name.clone()).unwrap_or_else(|| m.origin.clone()),
            destination: gazetteer.get(&m.destination).map(|l| l.name.clone()).unwrap_or_else(|| m.destination.clone()),
            kind: c.label(m.kind.as_str()),
            individuals: c.num(m.individuals),
        })
        .collect();
    render(&DashboardPage {
        disclosure: current.disclosure_threshold,
        stale: current.stale,
        as_of: today.to_string(),
        period: format!("{from} → {today}"),
        groups,
        trend_svg,
        map_svg,
        flows: flow_rows,
        accounts,
        pairs,
        c,
    })
}

// ---------------------------------------------------------------- registry search

#[derive(Deserialize, Default)]
pub struct RegistryQuery {
    q: Option<String>,
    place: Option<String>,
    group: Option<String>,
    offset: Option<i64>,
}

struct HouseholdRow {
    id: String,
    external_id: String,
    group: String,
    location: String,
    members: i64,
    status: String,
    registered: String,
    displacements: i64,
    back_and_forth: bool,
}

struct PersonRow {
    household_id: String,
    name: String,
    sex: String,
    birth: String,
    location: String,
    status: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    c: Ctx,
    q: String,
    place: String,
    group: String,
    place_error: Option<String>,
    groups: Vec<(String, String)>,
    households: Vec<HouseholdRow>,
    people: Vec<PersonRow>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

const PAGE: i64 = 50;

/// Which unit a name means when a région, a cercle and a commune share it (Gao, Ménaka…).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefer {
    /// The widest: a search by place covers everything inside it.
    Widest,
    /// The most precise: where a household is registered or goes.
    Deepest,
}

/// A P-code as typed, or the unit whose name (accents and case aside) is the text typed.
fn resolve_place(store: &Store, text: &str, prefer: Prefer) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    if store.gazetteer.get(&upper).is_some() {
        return Some(upper);
    }
    let folded = domain::text::fold(text);
    let matches = store.gazetteer.search(text, None, None, 20);
    let named = matches.iter().filter(|m| domain::text::fold(&m.location.name) == folded || m.matched_by == "alias");
    let chosen = match prefer {
        Prefer::Widest => named.min_by_key(|m| m.location.admin_level),
        Prefer::Deepest => named.max_by_key(|m| m.location.admin_level),
    };
    chosen.map(|m| m.location.pcode.clone())
}

fn population_groups(store: &Store, c: &Ctx) -> Vec<(String, String)> {
    let mut groups: Vec<(String, String)> = store
        .gazetteer
        .population_groups
        .iter()
        .filter(|g| g.kind == "population_group" && g.code != "all")
        .map(|g| (g.code.clone(), c.label(&g.code)))
        .collect();
    // The groups a displacement operation uses most come first.
    let first = ["IDP", "RDP", "REF", "RET", "HST"];
    groups.sort_by_key(|(code, _)| first.iter().position(|f| f == code).unwrap_or(first.len()));
    groups
}

pub async fn registry(State(state): State<AppState>, page: SignedIn, Query(q): Query<RegistryQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.sees_records() {
        return c.error(StoreError::Forbidden("records"));
    }
    let text = q.q.clone().unwrap_or_default().trim().to_string();
    let place_text = q.place.clone().unwrap_or_default();
    let group = q.group.clone().unwrap_or_default();
    let offset = q.offset.unwrap_or(0).max(0);
    let location = resolve_place(&state.store, &place_text, Prefer::Widest);
    let place_error = (!place_text.trim().is_empty() && location.is_none())
        .then(|| format!("{} « {} » — {}", c.t.place, place_text.trim(), c.say(&domain::Message::PcodeUnknown)));
    let (name_search, loc, grp) = (text.clone(), location.clone(), group.clone());
    let result = blocking(&state, move |store| {
        if name_search.is_empty() {
            let filter = HouseholdFilter {
                location: loc,
                population_group: Some(grp).filter(|g| !g.is_empty()),
                limit: Some(PAGE),
                offset: Some(offset),
                ..Default::default()
            };
            return Ok((Some(store.list_households(&actor, &filter)?), None));
        }
        // An organisation's own household number finds the household itself.
        let by_id = HouseholdFilter { external_id: Some(name_search.clone()), limit: Some(2), ..Default::default() };
        let found = store.list_households(&actor, &by_id)?;
        if found.total == 1 {
            return Ok((Some(found), None));
        }
        let filter = PersonFilter {
            q: Some(name_search),
            location: loc,
            limit: Some(PAGE),
            offset: Some(offset),
            ..Default::default()
        };
        Ok((None, Some(store.list_people(&actor, &filter)?)))
    })
    .await;
    let (households, people) = match result {
        Ok(found) => found,
        Err(error) => return c.error(error),
    };
    let place_name = |pcode: Option<&str>| {
        pcode
            .and_then(|p| state.store.gazetteer.get(p))
            .map(|l| format!("{} ({})", l.name, l.pcode))
            .unwrap_or_default()
    };
    let total = households.as_ref().map(|p| p.total).or(people.as_ref().map(|p| p.total)).unwrap_or(0);
    let household_rows = households
        .map(|page| {
            page.items
                .into_iter()
                .map(|h| HouseholdRow {
                    location: place_name(h.current_location.as_ref().map(|l| l.pcode.as_str())),
                    group: h.population_group.clone(),
                    status: c.label(h.status.as_str()),
                    registered: h.registration_date.to_string(),
                    members: h.member_count,
                    displacements: h.displacement_count,
                    back_and_forth: h.moves_back_and_forth,
                    external_id: h.external_id,
                    id: h.id,
                })
                .collect()
        })
        .unwrap_or_default();
    let person_rows = people
        .map(|page| {
            page.items
                .into_iter()
                .map(|p| PersonRow {
                    name: format!("{} {}", p.given_name, p.family_name),
                    sex: p.sex.map(|s| c.label(s.as_str())).unwrap_or_default(),
                    birth: p.birth_date.clone().unwrap_or_default(),
                    location: place_name(p.current_location.as_ref().map(|l| l.pcode.as_str())),
                    status: c.label(p.status.as_str()),
                    household_id: p.household_id,
                })
                .collect()
        })
        .unwrap_or_default();
    let link = |to: i64| {
        let query = serde_urlencoded::to_string([
            ("q", text.as_str()),
            ("place", place_text.as_str()),
            ("group", group.as_str()),
            ("offset", &to.to_string()),
        ])
        .unwrap_or_default();
        format!("/households?{query}")
    };
    let prev = (offset > 0).then(|| link((offset - PAGE).max(0)));
    let next = (offset + PAGE < total).then(|| link(offset + PAGE));
    render(&RegistryPage {
        groups: population_groups(&state.store, &c),
        q: text,
        place: place_text,
        group,
        place_error,
        households: household_rows,
        people: person_rows,
        total,
        prev,
        next,
        c,
    })
}

// ---------------------------------------------------------------- household page

struct MemberRow {
    /// Found to be the same person as an earlier record: counted there.
    merged: bool,
    name: String,
    sex: String,
    birth: String,
    relationship: String,
    status: String,
    documents_held: String,
    documents_missing: String,
    needs: String,
    phone: String,
}

struct EventRow {
    date: String,
    kind: String,
    who: String,
    from: String,
    to: String,
    cause: String,
    source: String,
    voided: bool,
}

struct VersionRow {
    entity: String,
    version: i64,
    at: String,
    by: String,
    reason: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    c: Ctx,
    id: String,
    external_id: String,
    facts: Vec<(String, String)>,
    members: Vec<MemberRow>,
    events: Vec<EventRow>,
    solutions: Vec<String>,
    versions: Vec<VersionRow>,
    saved: bool,
}

/// A version's changes in the reader's language: fields by their label, codes by theirs.
fn describe_changes(c: &Ctx, changes: &serde_json::Value) -> Vec<String> {
    let Some(fields) = changes.as_object() else { return Vec::new() };
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::String(s) => c.label(s),
        serde_json::Value::Bool(true) => c.t.yes.to_string(),
        serde_json::Value::Bool(false) => c.t.no.to_string(),
        other => other.to_string(),
    };
    fields
        .iter()
        // The searchable form of the names is derived from them: not a change of its own.
        .filter(|(field, _)| field.as_str() != "name_folded")
        .map(|(field, change)| {
            let field = field_label(c, field);
            match (change.get("from"), change.get("to")) {
                (Some(from), Some(to)) => format!("{field} : {} → {}", show(from), show(to)),
                _ => format!("{field} : {}", show(change)),
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<u8>,
}

pub async fn household(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let loaded = blocking(&state, move |store| {
        let detail = store.household_detail(&actor, &id)?;
        let versions = store.household_history(&actor, &id)?;
        Ok((detail, versions))
    })
    .await;
    let (detail, versions) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    render(&household_page(&state, c, detail, versions, q.saved.is_some()))
}

fn household_page(
    state: &AppState,
    c: Ctx,
    detail: HouseholdDetail,
    versions: Vec<Version>,
    saved: bool,
) -> HouseholdPage {
    let g = &state.store.gazetteer;
    let place = |pcode: Option<&str>| pcode.map(|p| g.label(p)).unwrap_or_else(|| "—".into());
    let h = &detail.household;
    let names: HashMap<String, String> = detail
        .members
        .iter()
        .map(|m| (m.person.id.clone(), format!("{} {}", m.person.given_name, m.person.family_name)))
        .collect();
    let codes = |codes: Vec<&str>| codes.iter().map(|code| c.label(code)).collect::<Vec<_>>().join(", ");
    let facts = vec![
        (c.t.organisation.to_string(), h.organisation.clone()),
        (c.t.group.to_string(), format!("{} ({})", c.label(&h.population_group), h.population_group)),
        (c.t.status.to_string(), c.label(detail.summary.status.as_str())),
        (c.t.current_location.to_string(), place(detail.summary.current_location.as_deref())),
        (
            c.t.displaced_since.to_string(),
            detail.summary.displaced_since.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        ),
        (c.t.displacements.to_string(), detail.summary.displacements.to_string()),
        (c.t.back_and_forth.to_string(), if detail.summary.moves_back_and_forth { "✔".into() } else { "—".into() }),
        (c.t.registration_point.to_string(), place(Some(&h.registration_point.pcode))),
        (c.t.registered_on.to_string(), h.registration_date.to_string()),
        (c.t.origin.to_string(), place(h.origin.as_ref().map(|o| o.pcode.as_str()))),
        (c.t.shelter_type.to_string(), h.shelter_type.map(|s| c.label(s.as_str())).unwrap_or_else(|| "—".into())),
        (c.t.intention.to_string(), h.intention.map(|s| c.label(s.as_str())).unwrap_or_else(|| "—".into())),
    ];
    let members = detail
        .members
        .iter()
        .map(|m| {
            let p = &m.person;
            MemberRow {
                merged: p.duplicate_of.is_some(),
                name: [p.given_name.as_str(), p.family_name.as_str()].join(" "),
                sex: p.sex.map(|s| c.label(s.as_str())).unwrap_or_default(),
                birth: p.birth_date.clone().unwrap_or_default(),
                relationship: p.relationship.map(|r| c.label(r.as_str())).unwrap_or_default(),
                status: c.label(m.summary.status.as_str()),
                documents_held: codes(p.documents_held.iter().map(|d| d.as_str()).collect()),
                documents_missing: codes(p.documents_missing.iter().map(|d| d.as_str()).collect()),
                needs: codes(p.specific_needs.iter().map(|d| d.as_str()).collect()),
                phone: if c.user.as_ref().is_some_and(|u| u.role.sees_phone()) {
                    p.phone.clone().unwrap_or_default()
                } else {
                    format!("({})", c.t.hidden)
                },
            }
        })
        .collect();
    let events = detail
        .movements
        .iter()
        .map(|m| EventRow {
            date: m.date.clone(),
            kind: c.label(m.kind.as_str()),
            who: m
                .person_id
                .as_ref()
                .and_then(|p| names.get(p))
                .cloned()
                .unwrap_or_else(|| c.t.whole_household.to_string()),
            from: m
                .from
                .as_ref()
                .map(|l| format!("{} ({})", l.name, l.pcode))
                .or(m.country.clone())
                .unwrap_or_default(),
            to: m.to.as_ref().map(|l| format!("{} ({})", l.name, l.pcode)).unwrap_or_default(),
            cause: m.cause.map(|x| c.label(x.as_str())).unwrap_or_default(),
            source: m.source.clone().unwrap_or_default(),
            voided: m.voided,
        })
        .collect();
    let solutions = detail
        .solutions
        .iter()
        .map(|s| {
            let who = s
                .person_id
                .as_ref()
                .and_then(|p| names.get(p))
                .cloned()
                .unwrap_or_else(|| c.t.whole_household.to_string());
            format!("{} · {who} · {} · {}", s.decided_on, s.basis, s.decided_by)
        })
        .collect();
    let versions = versions
        .iter()
        .map(|v| VersionRow {
            entity: if v.entity == "household" {
                c.t.household.to_string()
            } else {
                names.get(&v.entity_id).cloned().unwrap_or_else(|| c.t.person.to_string())
            },
            version: v.version,
            at: v.changed_at.chars().take(16).collect::<String>().replace('T', " "),
            by: v.changed_by.clone(),
            reason: v.reason.clone(),
            changes: describe_changes(&c, &v.changes),
        })
        .collect();
    HouseholdPage {
        id: h.id.clone(),
        external_id: h.external_id.clone(),
        facts,
        members,
        events,
        solutions,
        versions,
        saved,
        c,
    }
}

// ---------------------------------------------------------------- forms

/// A submitted form: the values as typed, and the errors to show beside them.
#[derive(Default)]
pub(super) struct FormState {
    values: HashMap<String, String>,
    errors: Vec<ShownError>,
    /// An error that belongs to no single field (a conflict, a chronology).
    general: Option<String>,
}

struct ShownError {
    field: String,
    label: String,
    value: String,
    expected: String,
}

impl FormState {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The value of member `i`'s field.
    fn mv(&self, i: &usize, field: &str) -> &str {
        self.v(&format!("members[{i}].{field}"))
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.v(name).trim().to_string()).filter(|v| !v.is_empty())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.v(name).split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
    }

    fn err(&self, name: &str) -> Option<&ShownError> {
        self.errors.iter().find(|e| e.field == name)
    }

    fn merr(&self, i: &usize, field: &str) -> Option<&ShownError> {
        self.err(&format!("members[{i}].{field}"))
    }

    fn has(&self, name: &str, code: &str) -> bool {
        self.v(name).split(',').any(|v| v == code)
    }

    fn mhas(&self, i: &usize, field: &str, code: &str) -> bool {
        self.has(&format!("members[{i}].{field}"), code)
    }

    fn fail(&mut self, c: &Ctx, error: StoreError) -> Option<Response> {
        match error {
            StoreError::Invalid(errors) => {
                self.errors = errors.0.into_iter().map(|e| shown(c, e)).collect();
                None
            }
            StoreError::Chronology(error) => {
                self.general = Some(error.render(c.lang));
                None
            }
            StoreError::Conflict(message) => {
                self.general = Some(c.say(&message));
                None
            }
            other => Some(c.error(other)),
        }
    }
}

/// A submitted form, once its CSRF token is checked; the refusal otherwise.
fn checked_form(page: SignedIn, pairs: Vec<(String, String)>) -> Result<(FormState, Ctx, store::Actor), Box<Response>> {
    let form = pairs_to_state(pairs);
    if let Some(refused) = page.csrf_refusal(form.opt("csrf").as_deref()) {
        return Err(Box::new(refused));
    }
    Ok((form, page.ctx, page.actor))
}

fn pairs_to_state(pairs: Vec<(String, String)>) -> FormState {
    let mut values: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        match values.get_mut(&name) {
            Some(existing) if !value.is_empty() => {
                existing.push(',');
                existing.push_str(&value);
            }
            Some(_) => {}
            None => {
                values.insert(name, value);
            }
        }
    }
    FormState { values, ..Default::default() }
}

/// The field's label in the user's language: `members[1].birth_date` reads "Membre 2 · Date
/// de naissance".
fn field_label(c: &Ctx, field: &str) -> String {
    let (prefix, name) = match field.strip_prefix("members[").and_then(|rest| rest.split_once("].")) {
        Some((index, name)) => {
            let n = index.parse::<usize>().map(|i| i + 1).unwrap_or(0);
            (format!("{} {n} · ", c.t.member), name)
        }
        None => (String::new(), field),
    };
    let t = c.t;
    let label = match name {
        "external_id" => t.external_id,
        "registration_point" => t.registration_point,
        "registration_date" => t.registration_date,
        "population_group" => t.group,
        "origin" => t.origin,
        "current_location" => t.current_location,
        "shelter_type" => t.shelter_type,
        "intention" => t.intention,
        "given_name" => t.given_name,
        "family_name" => t.family_name,
        "father_name" => t.father_name,
        "sex" => t.sex,
        "birth_date" => t.birth_date,
        "estimated_age" => t.estimated_age,
        "relationship" => t.relationship,
        "phone" => t.phone,
        "documents_held" => t.documents_held,
        "documents_missing" => t.documents_missing,
        "specific_needs" => t.specific_needs,
        "members" => t.members,
        "kind" => t.kind,
        "date" => t.date,
        "from" => t.from,
        "to" => t.to,
        "cause" => t.cause,
        "country" => t.country,
        "reason" => t.reason,
        "organisation" => t.organisation,
        "regions" => t.regions,
        "name" => t.name,
        "days" => t.days,
        "scope" => t.scope,
        "head_person_id" => t.head,
        "voided" => t.voided,
        "status" => t.status,
        other if other.starts_with("movements") => t.first_displacement,
        other => other,
    };
    format!("{prefix}{label}")
}

fn shown(c: &Ctx, error: FieldError) -> ShownError {
    // The first displacement is `movements[0].x` to the domain and `d.x` in the form.
    let field = error.field.replace("movements[0].", "d.");
    ShownError {
        label: field_label(c, &error.field.replace("movements[0].", "")),
        field,
        value: error.value,
        expected: c.say(&error.expected),
    }
}

/// Choices of a select: code and label, in the code list's order.
fn options<T: Copy>(c: &Ctx, all: &[T], code: fn(T) -> &'static str) -> Vec<(String, String)> {
    all.iter().map(|v| (code(*v).to_string(), c.label(code(*v)))).collect()
}

struct Choices {
    groups: Vec<(String, String)>,
    sexes: Vec<(String, String)>,
    relationships: Vec<(String, String)>,
    shelters: Vec<(String, String)>,
    intentions: Vec<(String, String)>,
    causes: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    documents: Vec<(String, String)>,
    needs: Vec<(String, String)>,
}

fn choices(store: &Store, c: &Ctx) -> Choices {
    let sensitive_visible = c.user.as_ref().is_some_and(|u| u.role.sees_protection_needs());
    Choices {
        groups: population_groups(store, c),
        sexes: options(c, Sex::ALL, Sex::as_str),
        relationships: options(c, Relationship::ALL, Relationship::as_str),
        shelters: options(c, ShelterType::ALL, ShelterType::as_str),
        intentions: options(c, Intention::ALL, Intention::as_str),
        causes: options(c, Cause::ALL, Cause::as_str),
        kinds: options(c, MovementKind::ALL, MovementKind::as_str),
        documents: options(c, Document::ALL, Document::as_str),
        // A user who may not see protection-related needs may not record them either.
        needs: SpecificNeed::ALL
            .iter()
            .filter(|n| sensitive_visible || !n.is_protection_sensitive())
            .map(|n| (n.as_str().to_string(), c.label(n.as_str())))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    c: Ctx,
    form: FormState,
    rows: Vec<usize>,
    choices: Choices,
    /// For users of no organisation (administrators): whose household this is.
    organisations: Vec<(String, String)>,
    /// Registered people the members may be, shown before saving.
    likely: Vec<LikelyRow>,
}

struct LikelyRow {
    member: String,
    person: String,
    household_id: String,
    household: String,
    probability: String,
}

fn likely_rows(c: &Ctx, form: &FormState, found: &[store::duplicates::LikelyDuplicate]) -> Vec<LikelyRow> {
    // The form's member rows include blank ones; the n-th filled row is the n-th member.
    let filled: Vec<usize> = (0..member_rows(form))
        .filter(|i| !form.mv(i, "given_name").trim().is_empty() || !form.mv(i, "family_name").trim().is_empty())
        .collect();
    found
        .iter()
        .map(|l| {
            let row = filled.get(l.member).copied().unwrap_or(l.member);
            let p = &l.person;
            LikelyRow {
                member: format!(
                    "{} {} ({} {} {})",
                    c.t.member,
                    row + 1,
                    form.mv(&row, "given_name"),
                    form.mv(&row, "family_name"),
                    form.mv(&row, "birth_date")
                ),
                person: format!(
                    "{} {} · {} · {} · {}",
                    p.given_name,
                    p.family_name,
                    p.sex.as_deref().map(|s| c.label(s)).unwrap_or_default(),
                    p.birth_date.clone().unwrap_or_default(),
                    p.location.clone().unwrap_or_default()
                ),
                household_id: p.household_id.clone(),
                household: format!("{} ({})", p.household_external_id, p.organisation),
                probability: format!("{:.0} %", l.probability * 100.0),
            }
        })
        .collect()
}

async fn organisations_to_choose(state: &AppState, c: &Ctx) -> Vec<(String, String)> {
    if c.user.as_ref().is_some_and(|u| u.organisation_id.is_some()) {
        return Vec::new();
    }
    let listed = blocking(state, |store| store.list_organisations()).await.unwrap_or_default();
    listed.into_iter().map(|o| (o.code, o.name)).collect()
}

#[derive(Deserialize)]
pub struct RowsQuery {
    members: Option<usize>,
}

pub async fn register_form(State(state): State<AppState>, page: SignedIn, Query(q): Query<RowsQuery>) -> Response {
    let c = page.ctx;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let mut form = FormState::default();
    form.values.insert("registration_date".into(), state.store.today().to_string());
    form.values.insert("population_group".into(), "IDP".into());
    form.values.insert("d.cause".into(), "armed_conflict".into());
    let rows = (0..q.members.unwrap_or(3).clamp(1, 30)).collect();
    let organisations = organisations_to_choose(&state, &c).await;
    render(&RegisterPage { choices: choices(&state.store, &c), organisations, likely: Vec::new(), c, form, rows })
}

/// How many member rows the submitted form had (the highest index typed, plus one).
fn member_rows(form: &FormState) -> usize {
    form.values
        .keys()
        .filter_map(|k| k.strip_prefix("members[")?.split_once(']')?.0.parse::<usize>().ok())
        .max()
        .map(|i| i + 1)
        .unwrap_or(1)
}

fn place_field(store: &Store, form: &FormState, name: &str) -> Option<String> {
    form.opt(name).map(|text| resolve_place(store, &text, Prefer::Deepest).unwrap_or(text))
}

fn household_input(store: &Store, form: &FormState, organisation: Option<String>) -> HouseholdInput {
    let mut members = Vec::new();
    for i in 0..member_rows(form) {
        let field = |name: &str| form.opt(&format!("members[{i}].{name}"));
        let person = PersonInput {
            given_name: field("given_name").unwrap_or_default(),
            family_name: field("family_name").unwrap_or_default(),
            father_name: field("father_name"),
            sex: field("sex"),
            birth_date: field("birth_date"),
            estimated_age: field("estimated_age").and_then(|v| v.parse().ok()),
            relationship: field("relationship"),
            phone: field("phone"),
            documents_held: form.list(&format!("members[{i}].documents_held")),
            specific_needs: form.list(&format!("members[{i}].specific_needs")),
            external_id: Some(format!("{}", i + 1)),
            ..Default::default()
        };
        let blank = person.given_name.is_empty()
            && person.family_name.is_empty()
            && person.birth_date.is_none()
            && person.estimated_age.is_none();
        if !blank {
            members.push(person);
        }
    }
    let movements = match form.opt("d.date") {
        Some(date) => vec![MovementInput {
            kind: "displacement".into(),
            date,
            from: place_field(store, form, "d.from"),
            to: place_field(store, form, "d.to"),
            cause: form.opt("d.cause"),
            source: Some("registration interview".into()),
            ..Default::default()
        }],
        None => Vec::new(),
    };
    HouseholdInput {
        external_id: form.v("external_id").trim().to_string(),
        organisation,
        registration_point: place_field(store, form, "registration_point").unwrap_or_default(),
        registration_date: form.v("registration_date").trim().to_string(),
        population_group: form.v("population_group").trim().to_string(),
        origin: place_field(store, form, "d.from"),
        current_location: place_field(store, form, "d.to"),
        shelter_type: form.opt("shelter_type"),
        intention: form.opt("intention"),
        members,
        movements,
    }
}

pub async fn register(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = household_input(&state.store, &form, form.opt("organisation"));
    // Likely duplicates are shown before anything is saved; saving anyway queues them.
    let confirmed = form.opt("confirmed_new").is_some();
    let if_likely = if confirmed { IfLikelyDuplicates::Queue } else { IfLikelyDuplicates::Hold };
    let saved = blocking(&state, move |store| store.register(&actor, &input, if_likely)).await;
    let likely = match saved {
        Ok(Registration::Saved { detail, .. }) => {
            return Redirect::to(&format!("/households/{}?saved=1", detail.household.id)).into_response()
        }
        Ok(Registration::Held(likely)) => likely,
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            Vec::new()
        }
    };
    let rows = (0..member_rows(&form).max(1)).collect();
    let organisations = organisations_to_choose(&state, &c).await;
    let likely = likely_rows(&c, &form, &likely);
    let status = if likely.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = RegisterPage { choices: choices(&state.store, &c), organisations, likely, c, form, rows };
    (status, render(&page)).into_response()
}

#[derive(Template)]
#[template(path = "movement.html")]
struct MovementPage {
    c: Ctx,
    id: String,
    external_id: String,
    people: Vec<(String, String)>,
    form: FormState,
    choices: Choices,
}

async fn movement_page(state: &AppState, c: Ctx, actor: store::Actor, id: String, form: FormState) -> Response {
    let detail = match blocking(state, move |store| store.household_detail(&actor, &id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let people = detail
        .members
        .iter()
        .map(|m| (m.person.id.clone(), format!("{} {}", m.person.given_name, m.person.family_name)))
        .collect();
    render(&MovementPage {
        choices: choices(&state.store, &c),
        id: detail.household.id,
        external_id: detail.household.external_id,
        people,
        form,
        c,
    })
}

pub async fn movement_form(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let mut form = FormState::default();
    form.values.insert("date".into(), state.store.today().to_string());
    movement_page(&state, c, actor, id, form).await
}

pub async fn record_movement(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = MovementInput {
        kind: form.v("kind").trim().to_string(),
        date: form.v("date").trim().to_string(),
        from: place_field(&state.store, &form, "from"),
        to: place_field(&state.store, &form, "to"),
        country: form.opt("country").map(|c| c.to_ascii_uppercase()),
        cause: form.opt("cause"),
        source: form.opt("source"),
        ..Default::default()
    };
    let person = form.opt("person");
    let (household, who) = (id.clone(), actor.clone());
    let saved = blocking(&state, move |store| {
        let movement = input.parse(store.gazetteer.as_ref(), store.today())?;
        store.record_movement(&who, &household, person.as_deref(), &movement)
    })
    .await;
    match saved {
        Ok(_) => Redirect::to(&format!("/households/{id}?saved=1")).into_response(),
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            let mut response = movement_page(&state, c, actor, id, form).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
    }
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    c: Ctx,
    id: String,
    external_id: String,
    form: FormState,
    choices: Choices,
}

pub async fn edit_form(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let detail = match blocking(&state, move |store| store.household_detail(&actor, &id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let h = detail.household;
    let mut form = FormState::default();
    for (name, value) in [
        ("registration_point", Some(h.registration_point.pcode.clone())),
        ("registration_date", Some(h.registration_date.to_string())),
        ("population_group", Some(h.population_group.clone())),
        ("origin", h.origin.map(|o| o.pcode)),
        ("shelter_type", h.shelter_type.map(|s| s.as_str().to_string())),
        ("intention", h.intention.map(|s| s.as_str().to_string())),
        ("expected_version", Some(h.version.to_string())),
    ] {
        form.values.insert(name.into(), value.unwrap_or_default());
    }
    render(&EditPage { choices: choices(&state.store, &c), id: h.id, external_id: h.external_id, form, c })
}

pub async fn edit(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let patch = HouseholdPatch {
        registration_point: place_field(&state.store, &form, "registration_point"),
        registration_date: form.opt("registration_date"),
        population_group: form.opt("population_group"),
        origin: place_field(&state.store, &form, "origin"),
        shelter_type: form.opt("shelter_type"),
        intention: form.opt("intention"),
        head_person_id: None,
        reason: form.v("reason").trim().to_string(),
        expected_version: form.opt("expected_version").and_then(|v| v.parse().ok()),
    };
    let (household, who) = (id.clone(), actor.clone());
    let saved = blocking(&state, move |store| store.update_household(&who, &household, &patch)).await;
    match saved {
        Ok(_) => Redirect::to(&format!("/households/{id}?saved=1")).into_response(),
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            let detail = match blocking(&state, move |store| store.household_detail(&actor, &id)).await {
                Ok(detail) => detail,
                Err(error) => return c.error(error),
            };
            let page = EditPage {
                choices: choices(&state.store, &c),
                id: detail.household.id,
                external_id: detail.household.external_id,
                form,
                c,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
    }
}

// ---------------------------------------------------------------- figures

#[derive(Deserialize, Default)]
pub struct FiguresQuery {
    as_of: Option<String>,
    level: Option<u8>,
    group: Option<String>,
}

struct PlaceRow {
    place: String,
    female: String,
    male: String,
    total: String,
    households: String,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    c: Ctx,
    as_of: String,
    level: u8,
    group: String,
    groups: Vec<(String, String)>,
    rows: Vec<PlaceRow>,
    totals: PlaceRow,
    ages: Vec<(String, String, String)>,
    bars_svg: String,
    map_svg: Option<String>,
    downloads: Vec<(String, String)>,
    error: Option<String>,
    without_displacement: u64,
    /// Set for readers who get suppressed figures: the smallest count shown.
    disclosure: Option<u64>,
    stale: bool,
}

pub async fn figures(State(state): State<AppState>, page: SignedIn, Query(q): Query<FiguresQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let as_of = q.as_of.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(1);
    let group = q.group.clone().unwrap_or_else(|| "IDP".into());
    let (date, grp) = (as_of.clone(), group.clone());
    let report = blocking(&state, move |store| {
        store.stock_figures(&actor, &date, level, Some(grp.as_str()).filter(|g| !g.is_empty()))
    })
    .await;
    let mut page = FiguresPage {
        groups: population_groups(&state.store, &c),
        as_of: as_of.clone(),
        level,
        group: group.clone(),
        rows: Vec::new(),
        totals: PlaceRow {
            place: c.t.total.into(),
            female: "0".into(),
            male: "0".into(),
            total: "0".into(),
            households: "0".into(),
        },
        ages: Vec::new(),
        bars_svg: String::new(),
        map_svg: None,
        downloads: Vec::new(),
        error: None,
        without_displacement: 0,
        disclosure: None,
        stale: false,
        c,
    };
    let report = match report {
        Ok(report) => report,
        Err(StoreError::Invalid(errors)) => {
            page.error = Some(
                errors
                    .0
                    .into_iter()
                    .map(|e| {
                        format!("{} « {} » — {}", field_label(&page.c, &e.field), e.value, page.c.say(&e.expected))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
        Err(error) => return page.c.error(error),
    };
    page.without_displacement = report.idp_households_without_displacement;
    let c = &page.c;
    // place → (female, male, other, households)
    let mut by_place: HashMap<String, (u64, u64, u64, u64)> = HashMap::new();
    let mut by_age: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
    // Sums that include a cell hidden by disclosure control: (place or age band, column).
    let mut masked: std::collections::HashSet<(String, u8)> = std::collections::HashSet::new();
    for cell in &report.stock.cells {
        if cell.suppressed {
            let column = match cell.sex.as_str() {
                "f" => 0,
                "m" => 1,
                _ => 2,
            };
            for key in
                [(cell.place.clone(), column), (cell.place.clone(), 2), (format!("age:{}", cell.age_band), column)]
            {
                masked.insert(key);
            }
        }
        let entry = by_place.entry(cell.place.clone()).or_default();
        match cell.sex.as_str() {
            "f" => entry.0 += cell.individuals,
            "m" => entry.1 += cell.individuals,
            _ => entry.2 += cell.individuals,
        }
        let age = by_age.entry(cell.age_band.clone()).or_default();
        match cell.sex.as_str() {
            "f" => age.0 += cell.individuals,
            "m" => age.1 += cell.individuals,
            _ => {}
        }
    }
    for cell in &report.stock.households {
        by_place.entry(cell.place.clone()).or_default().3 += cell.households;
        if cell.suppressed {
            masked.insert((cell.place.clone(), 3));
        }
    }
    page.disclosure = report.disclosure_threshold;
    page.stale = report.stale;
    // A hidden count shows as •; a total over hidden counts as a lower bound.
    let shown = |key: &str, column: u8, n: u64| {
        if masked.contains(&(key.to_string(), column)) {
            "•".to_string()
        } else {
            charts::thousands(n)
        }
    };
    let any = |column: u8| masked.iter().any(|(k, c)| *c == column && !k.starts_with("age:"));
    let bound =
        |column: u8, n: u64| if any(column) { format!("≥ {}", charts::thousands(n)) } else { charts::thousands(n) };
    let mut places: Vec<(String, (u64, u64, u64, u64))> = by_place.into_iter().collect();
    places.sort_by_key(|(place, (f, m, o, _))| (std::cmp::Reverse(f + m + o), place.clone()));
    let g = &state.store.gazetteer;
    let name = |pcode: &str| g.name_of(pcode).map(|n| format!("{n} ({pcode})")).unwrap_or_else(|| c.label(pcode));
    let sum = places.iter().fold((0, 0, 0, 0), |acc, (_, v)| (acc.0 + v.0, acc.1 + v.1, acc.2 + v.2, acc.3 + v.3));
    page.totals = PlaceRow {
        place: c.t.total.into(),
        female: bound(0, sum.0),
        male: bound(1, sum.1),
        total: bound(2, sum.0 + sum.1 + sum.2),
        households: bound(3, sum.3),
    };
    page.rows = places
        .iter()
        .map(|(place, (f, m, o, h))| PlaceRow {
            place: name(place),
            female: shown(place, 0, *f),
            male: shown(place, 1, *m),
            total: shown(place, 2, f + m + o),
            households: shown(place, 3, *h),
        })
        .collect();
    let order = ["0-4", "5-11", "12-17", "18-59", "60+", "unknown"];
    let mut ages: Vec<(String, (u64, u64))> = by_age.into_iter().collect();
    ages.sort_by_key(|(band, _)| order.iter().position(|o| o == band).unwrap_or(order.len()));
    page.ages = ages
        .into_iter()
        .map(|(band, (f, m))| {
            let key = format!("age:{band}");
            let bound = |column: u8, n: u64| {
                if masked.contains(&(key.clone(), column)) {
                    format!("≥ {}", charts::thousands(n))
                } else {
                    charts::thousands(n)
                }
            };
            (c.label(&band), bound(0, f), bound(1, m))
        })
        .collect();
    let bars: Vec<(String, u64)> = places
        .iter()
        .take(15)
        .map(|(place, (f, m, o, _))| (g.name_of(place).unwrap_or_else(|| c.label(place)), f + m + o))
        .collect();
    let title = format!("{} — {} {}", c.t.top_places, c.t.as_of.to_lowercase(), report.as_of);
    let desc = bars.iter().map(|(p, v)| format!("{p}: {}", c.num(*v))).collect::<Vec<_>>().join("; ");
    page.bars_svg = charts::bar_chart("bars", &title, &desc, &bars);
    let values: HashMap<String, u64> = places.iter().map(|(p, (f, m, o, _))| (p.clone(), f + m + o)).collect();
    page.map_svg = charts::choropleth("fmap", &title, c.t.map_desc, level, &values, c.t.none);
    let query = |format: &str| {
        serde_urlencoded::to_string([
            ("as_of", as_of.as_str()),
            ("level", &level.to_string()),
            ("group", group.as_str()),
            ("format", format),
        ])
        .unwrap_or_default()
    };
    page.downloads = vec![
        ("CSV (HXL)".into(), format!("/api/v1/figures/stock?{}", query("csv"))),
        ("XLSX (HXL)".into(), format!("/api/v1/figures/stock?{}", query("xlsx"))),
        ("JSON".into(), format!("/api/v1/figures/stock?{}", query("json"))),
    ];
    render(&page)
}

// ---------------------------------------------------------------- import

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Ctx,
    report: Option<exchange::ImportReport>,
    file_error: Option<String>,
    upload: Option<String>,
    file_names: String,
    /// A background import still running: (phase, done, total).
    running: Option<(String, usize, usize)>,
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    job: Option<String>,
}

/// A background import: its progress while it runs (the page refreshes itself), then its
/// report. Another user's import, or one long gone, is simply not there.
pub async fn import_progress(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let job = q.job.as_deref().and_then(|id| state.imports.get(id, &actor.user_id));
    let mut page =
        ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None };
    match job {
        None => page.file_error = Some(page.c.t.import_gone.to_string()),
        Some(job) => {
            page.file_names = job.file_names;
            match job.outcome {
                None => page.running = Some((job.phase, job.done, job.total)),
                Some(Ok(report)) => page.report = Some(report),
                Some(Err(error)) => page.file_error = Some(error),
            }
        }
    }
    render(&page)
}

pub async fn import_form(page: SignedIn) -> Response {
    let c = page.ctx;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    render(&ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None })
}

/// Step one uploads and checks (a dry run) and keeps the files for this user; step two
/// (`upload` set) imports the kept files. Nothing is written until the user confirms.
pub async fn import(State(state): State<AppState>, page: SignedIn, mut multipart: Multipart) -> Response {
    let mut csrf = None;
    let mut upload = None;
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                return (StatusCode::BAD_REQUEST, message_page(&page.ctx, page.ctx.t.error_title, &error.body_text()))
                    .into_response()
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("upload") => upload = field.text().await.ok(),
            _ => {
                let name = field.file_name().map(crate::files::sanitise_file_name).unwrap_or_else(|| "upload".into());
                match field.bytes().await {
                    Ok(bytes) if !bytes.is_empty() => files.push(exchange::InputFile { name, bytes: bytes.to_vec() }),
                    Ok(_) => {}
                    Err(error) => {
                        return (
                            StatusCode::BAD_REQUEST,
                            message_page(&page.ctx, page.ctx.t.error_title, &error.body_text()),
                        )
                            .into_response()
                    }
                }
            }
        }
    }
    if let Some(refused) = page.csrf_refusal(csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    let confirming = upload.is_some();
    if let Some(id) = &upload {
        match state.uploads.take(id, &actor.user_id) {
            Some(kept) => files = kept,
            None => return (StatusCode::GONE, message_page(&c, c.t.error_title, c.t.session_expired)).into_response(),
        }
    }
    if files.is_empty() {
        let mut page =
            ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None };
        page.file_error = Some(format!("{} — {}", page.c.t.choose_file, page.c.say(&domain::Message::Value)));
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    let file_names = files.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(", ");
    if confirming {
        // Writing can take a while: it runs in the background and the page follows it.
        let job = state.imports.start(&actor.user_id, file_names);
        let (jobs, id, store) = (state.imports.clone(), job.clone(), state.store.clone());
        let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: false };
        let lang = c.lang;
        tokio::task::spawn_blocking(move || {
            let mut progress = |phase: &str, done: usize, total: usize| jobs.progress(&id, phase, done, total);
            let outcome = match exchange::import_files(&store, &actor, files, options, &mut progress) {
                Ok(report) => Ok(report),
                Err(exchange::ImportError::File(e)) => Err(e.render(lang)),
                Err(exchange::ImportError::Store(e)) => {
                    tracing::error!(error = %e, "import failed");
                    Err(c.t.error_text.to_string())
                }
            };
            jobs.finish(&id, outcome);
        });
        return Redirect::to(&format!("/import/progress?job={job}")).into_response();
    }
    let copies: Vec<exchange::InputFile> =
        files.iter().map(|f| exchange::InputFile { name: f.name.clone(), bytes: f.bytes.clone() }).collect();
    let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: !confirming };
    let (who, lang) = (actor.clone(), c.lang);
    let outcome =
        blocking(&state, move |store| match exchange::import_files(store, &who, copies, options, &mut |_, _, _| {}) {
            Ok(report) => Ok(Ok(report)),
            Err(exchange::ImportError::Store(e)) => Err(e),
            Err(exchange::ImportError::File(e)) => Ok(Err(e.render(lang))),
        })
        .await;
    let mut page = ImportPage { c, report: None, file_error: None, upload: None, file_names, running: None };
    match outcome {
        Ok(Ok(report)) => {
            let failed = !report.errors.is_empty();
            if !failed && !confirming {
                page.upload = Some(state.uploads.keep(&actor.user_id, files));
            }
            page.report = Some(report);
            let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, render(&page)).into_response()
        }
        Ok(Err(file_error)) => {
            page.file_error = Some(file_error);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(error) => page.c.error(error),
    }
}

// ---------------------------------------------------------------- administration

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Ctx,
    users: Vec<store::auth::User>,
    organisations: Vec<store::auth::Organisation>,
    agreements: Vec<store::auth::Agreement>,
    audit_ok: bool,
    audit_detail: String,
    audit: Vec<store::audit::AuditEntry>,
    roles: Vec<(String, String)>,
    form: FormState,
    tokens: Vec<store::tokens::ApiToken>,
    /// A token just created: its secret, shown this once.
    new_token: Option<String>,
}

async fn admin_page(state: &AppState, c: Ctx, actor: store::Actor, form: FormState) -> Response {
    admin_page_with(state, c, actor, form, None).await
}

async fn admin_page_with(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    form: FormState,
    new_token: Option<String>,
) -> Response {
    if !c.is_admin() {
        return c.error(StoreError::Forbidden("administration"));
    }
    let loaded = blocking(state, move |store| {
        Ok((
            store.list_users()?,
            store.list_organisations()?,
            store.agreements()?,
            store.verify_audit()?,
            store.audit_entries(&actor, 30, 0)?,
            store.tokens(&actor, None)?,
        ))
    })
    .await;
    let (users, organisations, agreements, check, audit, tokens) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let status = if form.errors.is_empty() && form.general.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AdminPage {
        roles: options(&c, Role::ALL, Role::as_str),
        audit_ok: check.problem.is_none(),
        audit_detail: match check.problem {
            Some(problem) => problem,
            None => c.num(check.rows as u64),
        },
        users,
        organisations,
        agreements,
        audit,
        form,
        tokens,
        new_token,
        c,
    };
    (status, render(&page)).into_response()
}

/// Creates an API token for a user; its secret is shown on the page once.
pub async fn admin_add_token(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let scope = if form.v("token_scope") == "write" {
        store::tokens::TokenScope::Write
    } else {
        store::tokens::TokenScope::Read
    };
    let (user, name) = (form.v("token_user").to_string(), form.v("token_name").to_string());
    let days = form.opt("token_days").and_then(|d| d.parse().ok()).unwrap_or(90);
    let who = actor.clone();
    match blocking(&state, move |store| store.create_token(&who, &user, &name, scope, days)).await {
        Ok(token) => admin_page_with(&state, c, actor, FormState::default(), Some(token.token)).await,
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => admin_page(&state, c, actor, form).await,
        },
    }
}

pub async fn admin_revoke_token(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    match blocking(&state, move |store| store.revoke_token(&actor, &id)).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => c.error(error),
    }
}

pub async fn admin(State(state): State<AppState>, page: SignedIn) -> Response {
    admin_page(&state, page.ctx, page.actor, FormState::default()).await
}

pub async fn admin_add_user(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let role = match Role::parse("role", form.v("role")) {
        Ok(role) => role,
        Err(error) => {
            form.errors.push(shown(&c, error));
            return admin_page(&state, c, actor, form).await;
        }
    };
    let (username, password, organisation) =
        (form.v("username").trim().to_string(), form.v("password").to_string(), form.opt("organisation"));
    let regions: Vec<String> = form.list("regions");
    let who = actor.clone();
    let created = blocking(&state, move |store| {
        store.check_regions(&regions)?;
        let user = store.create_user(&who, &username, role, organisation.as_deref(), &password)?;
        if !regions.is_empty() {
            store.set_user_regions(&who, &username, &regions)?;
        }
        Ok(user)
    })
    .await;
    match created {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => {
                form.values.remove("password");
                admin_page(&state, c, actor, form).await
            }
        },
    }
}

pub async fn admin_add_organisation(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (code, name) = (form.v("code").trim().to_string(), form.v("name").trim().to_string());
    let who = actor.clone();
    match blocking(&state, move |store| store.create_organisation(&who, &code, &name)).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => admin_page(&state, c, actor, form).await,
        },
    }
}

// ---------------------------------------------------------------- duplicates

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    c: Ctx,
    status: String,
    pairs: Vec<store::duplicates::DuplicatePair>,
    run: Option<store::duplicates::RunReport>,
}

#[derive(Deserialize, Default)]
pub struct DuplicatesQuery {
    status: Option<String>,
}

async fn duplicates_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    status: String,
    run: Option<store::duplicates::RunReport>,
) -> Response {
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let wanted = status.clone();
    match blocking(state, move |store| store.duplicate_pairs(&actor, Some(&wanted), 100)).await {
        Ok(mut pairs) => {
            // Places by name, as reviewers know them.
            for pair in &mut pairs {
                for person in [&mut pair.a, &mut pair.b] {
                    person.location = person.location.as_deref().map(|p| state.store.gazetteer.label(p));
                }
            }
            render(&DuplicatesPage { c, status, pairs, run })
        }
        Err(error) => c.error(error),
    }
}

pub async fn duplicates(State(state): State<AppState>, page: SignedIn, Query(q): Query<DuplicatesQuery>) -> Response {
    let status = q
        .status
        .filter(|s| ["pending", "accepted", "rejected"].contains(&s.as_str()))
        .unwrap_or_else(|| "pending".into());
    duplicates_page(&state, page.ctx, page.actor, status, None).await
}

pub async fn decide_duplicate(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let decision = match form.v("decision") {
        "accept" => store::duplicates::Decision::Accept,
        "reject" => store::duplicates::Decision::Reject,
        _ => store::duplicates::Decision::Undo,
    };
    let back = form
        .opt("back")
        .filter(|b| ["pending", "accepted", "rejected"].contains(&b.as_str()))
        .unwrap_or_else(|| "pending".into());
    let reason = form.v("reason").to_string();
    match blocking(&state, move |store| store.decide_duplicate(&actor, &id, decision, &reason)).await {
        Ok(_) => Redirect::to(&format!("/duplicates?status={back}")).into_response(),
        Err(error) => c.error(error),
    }
}

pub async fn run_duplicates(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (_, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let who = actor.clone();
    match blocking(&state, move |store| store.run_duplicate_detection(&who)).await {
        Ok(report) => duplicates_page(&state, c, actor, "pending".into(), Some(report)).await,
        Err(error) => c.error(error),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        for attack in [
            "/\t/evil.example",
            "/\n/x",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /x",
            "/\r\n/x",
        ] {
            assert_eq!(super::local_path(Some(attack)), "/", "{attack:?}");
        }
        assert_eq!(super::local_path(Some("/registry?q=Ma%C3%AFga&page=2")), "/registry?q=Ma%C3%AFga&page=2");
    }
}
