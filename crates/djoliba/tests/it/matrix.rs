//! The authorisation matrix: every route of `web::access_table` (so of the router itself) ×
//! every role × inside and outside the user's scope, with the expected outcome, checked
//! against real requests. The matrix is also written to `docs/authorisation.md`; run with
//! `DJOLIBA_UPDATE_DOCS=1` after changing a rule.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use domain::Role;
use http_body_util::BodyExt;
use serde_json::json;
use store::{Actor, Store};
use tower::ServiceExt;
use web::access::{Access, RouteAccess};

use crate::support::*;

const ROLES: [Option<Role>; 6] =
    [None, Some(Role::Admin), Some(Role::ImOfficer), Some(Role::Registrar), Some(Role::Protection), Some(Role::Viewer)];

fn role_name(role: Option<Role>) -> &'static str {
    role.map_or("anonymous", |r| r.as_str())
}

/// The records a route's `{id}` can name, inside the users' organisation (NRC) and outside (IOM).
struct Ids {
    household: String,
    person: String,
    /// A third member of the first household, for the routes that remove one.
    removable: String,
    movement: String,
    pair: String,
    programme: String,
    cycle: String,
    /// A monitoring sample, of a second round delivered to the first household.
    sample: String,
    /// A response plan (operation-level: the same for every organisation).
    plan: String,
    /// A partner's report to it, submitted by the organisation.
    report: String,
    /// An external series (operation-level).
    series: String,
}

/// Imports a published series under a name of its own (each file different: the same file
/// twice is refused).
fn series(store: &Store, name: &str) -> String {
    let meta = store::series::SeriesMeta {
        name: name.into(),
        source: "DTM".into(),
        method: "KI".into(),
        population_group: None,
        published_on: None,
    };
    static IMPORTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(100);
    let figure = IMPORTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let csv = format!("Region,Date,IDP\n#adm1+code,#date+reported,#affected+idps+ind\nML07,2024-03-31,{figure}\n");
    let file = exchange::InputFile { name: format!("{name}.csv"), bytes: csv.into_bytes() };
    let outcome = store.import_series_file(&Actor::system(), &meta, file, &Default::default()).unwrap();
    outcome.report.unwrap().series_id.unwrap()
}

fn fixtures(store: &Store, actor: &Actor, prefix: &str) -> Ids {
    let mut input = household(&format!("{prefix}-1"));
    input.members[0].given_name = format!("{prefix}Aminata");
    let first =
        store.register_household(actor, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    let mut again = household(&format!("{prefix}-2"));
    again.members[0].given_name = format!("{prefix}Aminata");
    let second =
        store.register_household(actor, &again.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    store.queue_duplicate(actor, &first.members[0].person.id, &second.members[0].person.id, 0.9).unwrap();
    let pair = store
        .duplicate_pairs(actor, None, 10)
        .unwrap()
        .into_iter()
        .find(|p| p.a.id == first.members[0].person.id)
        .unwrap();
    let programme = store
        .create_programme(
            actor,
            &domain::assistance::ProgrammeInput {
                code: format!("{prefix}-CASH"),
                name: "Cash".into(),
                sector: "SHL".into(),
                kind: "multipurpose_cash".into(),
                target_unit: "household".into(),
                start_date: "2024-01-01".into(),
                end_date: "2024-12-31".into(),
                amount: domain::assistance::Quantity::Number(50_000.0),
                unit: "XOF".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let cycle = store
        .create_cycle(
            actor,
            &programme.id,
            &domain::assistance::CycleInput {
                name: "Round 1".into(),
                start_date: "2024-06-01".into(),
                end_date: "2024-06-30".into(),
            },
        )
        .unwrap();
    let delivered = store
        .create_cycle(
            actor,
            &programme.id,
            &domain::assistance::CycleInput {
                name: "Round 0".into(),
                start_date: "2024-05-01".into(),
                end_date: "2024-05-31".into(),
            },
        )
        .unwrap();
    let only_first =
        store::assistance::PlanFilter { households: vec![input.external_id.clone()], ..Default::default() };
    store.plan_cycle(actor, &delivered.id, &only_first).unwrap();
    store.advance_cycle(actor, &delivered.id, "approved").unwrap();
    store.advance_cycle(actor, &delivered.id, "distributing").unwrap();
    let handed = domain::assistance::DeliveryInput {
        household: input.external_id.clone(),
        date: "2024-05-20".into(),
        quantity: domain::assistance::Quantity::Number(50_000.0),
        modality: "cash_in_hand".into(),
        outcome: "delivered".into(),
        ..Default::default()
    };
    store.record_delivery(actor, &delivered.id, &handed).unwrap();
    let sample = store.draw_monitoring_sample(actor, &delivered.id, domain::SampleMethod::Full, None).unwrap();
    let plan = domain::plans::PlanInput {
        code: format!("HRP-{prefix}"),
        name: "Plan".into(),
        start_date: "2024-01-01".into(),
        end_date: "2024-12-31".into(),
        sectors: vec!["SHL".into()],
    };
    let plan = store.create_plan(&Actor::system(), &plan).unwrap();
    let water = domain::plans::IndicatorInput {
        code: "WSH-01".into(),
        sector: "SHL".into(),
        name_fr: "Points d'eau".into(),
        name_en: "Water points".into(),
        unit: "items".into(),
        ..Default::default()
    };
    store.create_indicator(&Actor::system(), &plan.id, &water).unwrap();
    let report = domain::plans::ReportInput {
        indicator: "WSH-01".into(),
        place: "ML0701".into(),
        month: "2024-05".into(),
        value: domain::assistance::Quantity::Number(1.0),
        ..Default::default()
    };
    let report = store.submit_report(actor, &plan.id, &report).unwrap();
    Ids {
        series: series(store, &format!("Series {prefix}")),
        report: report.id,
        plan: plan.id,
        sample: sample.id,
        programme: programme.id,
        cycle: cycle.id,
        household: first.household.id.clone(),
        person: first.members[1].person.id.clone(),
        removable: store
            .add_member(
                actor,
                &first.household.id,
                &member("P3", "Oumou", "child", "2019").parse(store.gazetteer.as_ref(), store.today()).unwrap(),
                "matrix",
            )
            .unwrap()
            .id,
        movement: first.movements[0].id.clone(),
        pair: pair.id,
    }
}

fn fill(path: &str, ids: &Ids) -> String {
    let id = if path.contains("/households/") {
        &ids.household
    } else if path.contains("/people/") {
        &ids.person
    } else if path.contains("/movements/") {
        &ids.movement
    } else if path.contains("/samples/") {
        &ids.sample
    } else if path.contains("/plans/") {
        &ids.plan
    } else if path.contains("/reports/") {
        &ids.report
    } else if path.contains("/series/") {
        &ids.series
    } else if path.contains("/programmes/") {
        &ids.programme
    } else if path.contains("/cycles/") {
        &ids.cycle
    } else {
        &ids.pair
    };
    let path = path.replace("/indicators/{code}", "/indicators/WSH-01");
    let person = if path.ends_with("/remove") { &ids.removable } else { &ids.person };
    path.replace("{id}", id).replace("{person}", person).replace("{pcode}", "ML07").replace("{code}", "en")
}

/// A valid Ed25519 public key (RFC 8032, test 1), for nodes enrolled by the matrix.
const NODE_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/// A body a handler accepts, so that what the matrix sees is the access decision.
fn body(route: &RouteAccess) -> Option<String> {
    if route.page || route.method == Method::GET {
        return None;
    }
    let path = route.path.as_str();
    let value = if path.ends_with("/void") || path.ends_with("/members/{person}/remove") {
        json!({"reason": "matrix"})
    } else if path.ends_with("/solutions") {
        json!({"decided_on": "2024-06-01", "basis": "matrix", "decided_by": "matrix"})
    } else if path.ends_with("/movements") {
        json!({"kind": "pendular_visit", "date": "2024-05-01", "to": "ML060101"})
    } else if path.ends_with("/members") {
        json!({"person": member("M9", "Oumou", "child", "2020"), "reason": "matrix"})
    } else if path == "/api/v1/people/{id}" {
        json!({"person": member("P2", "Fatoumata", "child", "2015-03-02"), "reason": "matrix"})
    } else if path.ends_with("/cycles") {
        json!({"name": "Round 2", "start_date": "2024-07-01", "end_date": "2024-07-31"})
    } else if path.ends_with("/status") {
        json!({"status": "approved"})
    } else if path.ends_with("/deliveries") {
        json!({"household": "In-1", "date": "2024-06-20", "quantity": 1, "modality": "cash_in_hand", "outcome": "delivered"})
    } else if path.ends_with("/samples") {
        json!({"method": "full"})
    } else if path == "/api/v1/offices" {
        json!({"organisation": "NRC", "kind": "field_office", "name": "Matrix office", "place": "ML0703", "national_staff": 3, "international_staff": 0})
    } else if path == "/api/v1/partners" {
        json!({"organisation": "NRC", "partner": "IOM"})
    } else if path == "/api/v1/plans" {
        json!({"code": "HRP-MATRIX", "name": "Plan", "start_date": "2024-01-01", "end_date": "2024-12-31", "sectors": ["SHL"]})
    } else if path.ends_with("/review") {
        json!({"decision": "accept"})
    } else if path.ends_with("/reports") {
        json!({"indicator": "WSH-01", "place": "ML0701", "month": "2024-04", "value": 2})
    } else if path.ends_with("/target") {
        json!({"indicator": "WSH-01", "place": "ML0701", "start_date": "2024-01-01", "end_date": "2024-12-31", "targeted": "10"})
    } else if path.ends_with("/indicators/{code}") {
        json!({"code": "WSH-01", "sector": "SHL", "name_fr": "Points d'eau", "name_en": "Water points", "unit": "items"})
    } else if path.ends_with("/indicators") {
        json!({"code": "SHL-01", "sector": "SHL", "name_fr": "Abris", "name_en": "Shelter", "unit": "people"})
    } else if path.ends_with("/answers") {
        json!({"household": "In-1", "answer": "received", "date": "2024-06-01"})
    } else if path == "/api/v1/sync/nodes" {
        json!({"node_id": store::new_id(), "name": "Matrix field", "public_key": NODE_KEY, "regions": ["ML07"]})
    } else if path == "/api/v1/sync/conflicts/resolve" {
        json!({"entity": "person", "entity_id": "none", "field": "phone", "value": "70000000"})
    } else if path == "/api/v1/sync/pull" {
        json!({"vector": {}})
    } else if path == "/api/v1/tokens" {
        json!({"name": "matrix", "scope": "read", "days": 1})
    } else if path == "/api/v1/households/{id}" {
        json!({"reason": "matrix", "shelter_type": "site"})
    } else {
        json!({"reason": "matrix"})
    };
    Some(value.to_string())
}

/// What the matrix expects: a short word for the document, and the check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 401 (API) or a redirect to sign in (pages).
    SignIn,
    Forbidden,
    NotFound,
    Allowed,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::SignIn => "sign in",
            Outcome::Forbidden => "403",
            Outcome::NotFound => "404",
            Outcome::Allowed => "yes",
        }
    }
}

fn expected(route: &RouteAccess, role: Option<Role>, outside: bool) -> Outcome {
    if !route.access.allows(role) {
        return if role.is_none() { Outcome::SignIn } else { Outcome::Forbidden };
    }
    // Response plans are the operation's: every signed-in user reads them, information-
    // management officers and administrators keep them, whatever the organisation.
    // Partners (any organisation's writers) submit reports to a plan.
    let plans = [
        "/api/v1/plans",
        "/plans",
        "/api/v1/reports/",
        "/reports/",
        // Presence and published series are the operation's too, kept by the same people.
        "/api/v1/series",
        "/series",
        "/api/v1/presence",
        "/api/v1/offices",
        "/api/v1/partners",
        "/who-what-where/offices",
        "/who-what-where/partners",
    ];
    if plans.iter().any(|prefix| route.path.starts_with(prefix)) {
        let keeps = matches!(role, Some(Role::Admin | Role::ImOfficer));
        let submits = route.path.ends_with("/reports");
        return if route.method == Method::GET || keeps || submits { Outcome::Allowed } else { Outcome::Forbidden };
    }
    // Programmes and their rounds describe an operation, not people: every signed-in user
    // reads them; only their organisation changes them.
    let operation = [
        "/api/v1/programmes/",
        "/api/v1/cycles/",
        "/api/v1/samples/",
        "/assistance/programmes/",
        "/assistance/cycles/",
        "/assistance/samples/",
    ]
    .iter()
    .any(|prefix| route.path.starts_with(prefix));
    // A round's lists are its people (distribution lists, monitoring samples, follow-ups):
    // only its organisation has them (the round itself is readable, so the refusal is a 403,
    // not a 404).
    let lists = ["/list", "/list.xlsx", "/print", "/payments.csv", "/returns", "/samples", "/follow-ups", "/answers"]
        .iter()
        .any(|end| route.path.ends_with(end))
        || route.path.contains("/samples/");
    if operation && lists && outside && role != Some(Role::Admin) {
        return Outcome::Forbidden;
    }
    if operation && outside && role != Some(Role::Admin) {
        return if route.method == Method::GET { Outcome::Allowed } else { Outcome::Forbidden };
    }
    // The matrix's registry has no sync conflict to resolve.
    if route.path.ends_with("/sync/conflicts/resolve") {
        return Outcome::NotFound;
    }
    if outside && role != Some(Role::Admin) && route.access != Access::Public {
        return Outcome::NotFound;
    }
    Outcome::Allowed
}

fn matches(outcome: Outcome, route: &RouteAccess, status: StatusCode, location: &str) -> bool {
    let to_login = status == StatusCode::SEE_OTHER && location.starts_with("/login");
    match outcome {
        Outcome::SignIn if route.page => to_login,
        Outcome::SignIn => status == StatusCode::UNAUTHORIZED,
        Outcome::Forbidden => status == StatusCode::FORBIDDEN,
        // Outside their scope, reads answer 404 and writes never succeed.
        Outcome::NotFound if route.method == Method::GET => status == StatusCode::NOT_FOUND,
        Outcome::NotFound => {
            status.is_client_error() && status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
        }
        // Signing out succeeds by sending the user to the sign-in page.
        Outcome::Allowed if route.path == "/logout" => to_login,
        Outcome::Allowed => {
            !to_login
                && ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status)
                && !status.is_server_error()
        }
    }
}

#[tokio::test]
async fn every_route_every_role_inside_and_outside_scope() {
    let t = sqlite();
    let store = &t.store;
    let clerk = registrar(store);
    let inside = fixtures(store, &clerk, "In");
    // A sync node, so its routes answer; every later write is recorded in its change feed.
    store.sync_init(&Actor::system(), "Matrix office").unwrap();
    let system = Actor::system();
    let iom = other_registrar(store);
    let outside = fixtures(store, &iom, "Out");
    let mut actors = Vec::new();
    for role in ROLES.into_iter().flatten() {
        let name = format!("matrix-{}", role.as_str());
        let organisation = (role != Role::Admin).then_some("NRC");
        store.create_user(&system, &name, role, organisation, "matrix password 1").unwrap();
        actors.push((role, store.verify_login(&name, "matrix password 1").unwrap().unwrap()));
    }
    let state = web::AppState::new(store.clone(), false);
    let router = web::router(state.clone());
    let table = web::access_table(&state);
    assert!(table.len() >= 70, "{} routes", table.len());

    let mut failures = Vec::new();
    let mut document = String::from(
        "# Authorisation matrix\n\nGenerated from the router by `tests/it/matrix.rs` (every route × every role; \
         `in`/`out`: a record of the user's organisation or of another, for routes naming one). \
         \"sign in\": 401 for the API, a redirect to the sign-in page for pages; \"404\": the record is outside \
         the user's scope (reads answer 404, writes never succeed). Administrators see every organisation.\n\n\
         | Method | Route | Who | anonymous | admin | im_officer | registrar | protection | viewer |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for route in &table {
        let scoped = route.path.contains("{id}");
        let mut cells = Vec::new();
        for role in ROLES {
            let mut words = Vec::new();
            for outside_scope in if scoped { vec![false, true] } else { vec![false] } {
                let outcome = expected(route, role, outside_scope);
                words.push(if scoped {
                    format!("{} {}", if outside_scope { "out" } else { "in" }, outcome.word())
                } else {
                    outcome.word().to_string()
                });
                let ids = if outside_scope { &outside } else { &inside };
                let mut uri = fill(&route.path, ids);
                if route.path == "/api/v1/series" && route.method == Method::POST {
                    uri.push_str("?name=Matrix&source=DTM&method=KI");
                }
                if route.path.contains("/tokens/") {
                    // A token is in scope for its own user (and for administrators).
                    let owner = match (outside_scope, role) {
                        (false, Some(r)) => &actors.iter().find(|(role, _)| *role == r).unwrap().1,
                        _ => &iom,
                    };
                    let token = store
                        .create_token(&system, &owner.username, "matrix", store::tokens::TokenScope::Read, 1)
                        .unwrap();
                    uri = route.path.replace("{id}", &token.info.id);
                }
                if route.path.contains("/offices/{id}") {
                    // Each removal its own office: a removed one is gone for the next role.
                    let input = store::presence::OfficeInput {
                        organisation: "NRC".into(),
                        kind: "field_office".into(),
                        name: format!("Matrix {} {} {}", route.method, role_name(role), outside_scope),
                        place: "ML0703".into(),
                        ..Default::default()
                    };
                    uri = route.path.replace("{id}", &store.set_office(&system, &input).unwrap().id);
                }
                if route.path.contains("/sync/nodes/{id}") {
                    // Each revocation its own enrolled node.
                    let node = store::sync::NodeInfo {
                        node_id: store::new_id(),
                        name: "Matrix node".into(),
                        epoch: 0,
                        public_key: NODE_KEY.into(),
                    };
                    store.sync_enrol(&system, &node, &[], &[]).unwrap();
                    uri = route.path.replace("{id}", &node.node_id);
                }
                if route.path.contains("/series/") && route.method != Method::GET {
                    // Each removal its own series: a removed one is gone for the next role.
                    let name = format!("Matrix {} {} {} {}", route.method, route.path, role_name(role), outside_scope);
                    uri = route.path.replace("{id}", &series(store, &name));
                }
                let mut request = Request::builder().method(route.method.clone()).uri(&uri);
                // A fresh session each time: some routes end theirs.
                let token = role.map(|r| {
                    let actor = &actors.iter().find(|(role, _)| *role == r).unwrap().1;
                    store.create_session(actor).unwrap()
                });
                if let Some(token) = &token {
                    request = if route.page {
                        request.header(header::COOKIE, format!("djoliba_session={token}"))
                    } else {
                        request.header(header::AUTHORIZATION, format!("Bearer {token}"))
                    };
                }
                let csrf = token.as_deref().map(web::ui::csrf_for).unwrap_or_default();
                let body = if route.path.ends_with("/returns")
                    || (route.path.ends_with("/targets") || route.path.ends_with("/series"))
                        && route.method == Method::POST
                {
                    // An upload: the form's token, and no file.
                    request = request.header(header::CONTENT_TYPE, "multipart/form-data; boundary=matrix");
                    Body::from(format!(
                        "--matrix\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--matrix--\r\n"
                    ))
                } else if route.page && route.method == Method::POST {
                    request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    Body::from(format!("csrf={}", token.as_deref().map(web::ui::csrf_for).unwrap_or_default()))
                } else if let Some(json) = body(route) {
                    request = request.header(header::CONTENT_TYPE, "application/json");
                    Body::from(json)
                } else {
                    Body::empty()
                };
                let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
                let status = response.status();
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let text =
                    String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned();
                if !matches(outcome, route, status, &location) {
                    failures.push(format!(
                        "{} {uri} as {} ({}): expected {}, got {status} {location} {}",
                        route.method,
                        role_name(role),
                        if outside_scope { "outside" } else { "inside" },
                        outcome.word(),
                        text.chars().take(200).collect::<String>()
                    ));
                }
                // Outside their scope, nobody learns what the record holds.
                if outside_scope && outcome == Outcome::NotFound {
                    assert!(!text.contains("OutAminata"), "{} {uri} leaks a name", route.method);
                }
            }
            cells.push(words.join(", "));
        }
        document.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            route.method,
            route.path,
            route.access.describe(),
            cells.join(" | ")
        ));
    }
    assert!(failures.is_empty(), "{} of the matrix differ:\n{}", failures.len(), failures.join("\n"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/authorisation.md");
    if std::env::var("DJOLIBA_UPDATE_DOCS").is_ok() {
        std::fs::write(path, &document).unwrap();
    }
    let written = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        written == document,
        "docs/authorisation.md is out of date: run DJOLIBA_UPDATE_DOCS=1 cargo test -p djoliba --test it matrix"
    );
}
