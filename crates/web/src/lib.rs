//! Djoliba's HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, `/healthz`,
//! and the web pages (`ui`).
//!
//! Invariant: every route is added with its `Access` rule (`access::Routes::add`), enforced by
//! a gate before the handler runs; `access_table` lists them all and the authorisation matrix
//! test checks each against every role, inside and outside the user's scope.

pub mod access;
pub mod api;
pub mod auth;
pub use api::{assistance, duplicates, figures, files, funding, plans, presence, sync};
mod compression;
pub mod error;
pub mod factsheet;
pub mod openapi;
pub mod server;
pub mod ui;

use std::net::SocketAddr;

use access::Access;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use store::Store;

/// JSON bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Uploads (imports) larger than this are refused with 413.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// A demo operation with synthetic data: shown everywhere it matters.
    pub demo: bool,
    /// Imports of the web interface running in this process (every server sees them all
    /// through the database).
    pub imports: ui::Jobs,
}

impl AppState {
    pub fn new(store: Store, demo: bool) -> AppState {
        AppState { store, demo, imports: ui::Jobs::default() }
    }
}

/// Every route with who may call it: the API's and the pages'. The authorisation matrix test
/// walks this table.
pub fn access_table(state: &AppState) -> Vec<access::RouteAccess> {
    let (api, pages) = (api_routes(state), ui::routes(state));
    let mut table = vec![
        access::RouteAccess { method: Method::GET, path: "/healthz".into(), access: Access::Public, page: false },
        access::RouteAccess {
            method: Method::GET,
            path: "/api/openapi.json".into(),
            access: Access::Public,
            page: false,
        },
    ];
    table.extend(api.table);
    table.extend(pages.table);
    table
}

fn api_routes(state: &AppState) -> access::Routes {
    use api::*;
    use Access::*;
    let upload = |handler: axum::routing::MethodRouter<AppState>| handler.layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    access::Routes::new(state, "/api/v1", false)
        .add(Method::POST, "/auth/login", Public, post(login))
        .add(Method::POST, "/auth/logout", SignedIn, post(logout))
        .add(Method::GET, "/auth/me", SignedIn, get(me))
        .add(Method::POST, "/auth/password", SignedIn, post(change_password))
        .add(Method::GET, "/tokens", SignedIn, get(list_tokens))
        .add(Method::POST, "/tokens", SignedIn, post(create_token))
        .add(Method::DELETE, "/tokens/{id}", SignedIn, delete(revoke_token))
        .add(Method::GET, "/organisations", SignedIn, get(list_organisations))
        .add(Method::POST, "/organisations", Admin, post(create_organisation))
        .add(Method::GET, "/users", Admin, get(list_users))
        .add(Method::POST, "/users", Admin, post(create_user))
        .add(Method::GET, "/agreements", Admin, get(list_agreements))
        .add(Method::POST, "/agreements", Admin, post(set_agreement))
        .add(Method::GET, "/audit", Admin, get(audit_log))
        .add(Method::GET, "/audit/verify", Admin, get(audit_verify))
        .add(Method::GET, "/locations", SignedIn, get(search_locations))
        .add(Method::GET, "/locations/{pcode}", SignedIn, get(get_location))
        .add(Method::GET, "/reference/population-groups", SignedIn, get(population_groups))
        .add(Method::GET, "/reference/sectors", SignedIn, get(sectors))
        .add(Method::GET, "/sites", SignedIn, get(list_sites))
        .add(Method::POST, "/sites", Write, post(create_site))
        .add(Method::GET, "/households", Records, get(list_households))
        .add(Method::POST, "/households", Write, post(register_household))
        .add(Method::GET, "/households/{id}", Records, get(get_household))
        .add(Method::PATCH, "/households/{id}", Write, patch(update_household))
        .add(Method::GET, "/households/{id}/history", Records, get(household_history))
        .add(Method::POST, "/households/{id}/members", Write, post(add_member))
        .add(Method::POST, "/households/{id}/members/{person}/remove", Write, post(remove_member))
        .add(Method::POST, "/households/{id}/movements", Write, post(record_household_movement))
        .add(Method::POST, "/households/{id}/solutions", Write, post(figures::household_solution))
        .add(Method::GET, "/people", Records, get(list_people))
        .add(Method::GET, "/people/{id}", Records, get(get_person))
        .add(Method::PUT, "/people/{id}", Write, put(update_person))
        .add(Method::GET, "/people/{id}/history", Records, get(person_history))
        .add(Method::POST, "/people/{id}/movements", Write, post(record_person_movement))
        .add(Method::POST, "/people/{id}/solutions", Write, post(figures::person_solution))
        .add(Method::GET, "/movements", Records, get(list_movements))
        .add(Method::GET, "/movements/{id}", Records, get(get_movement))
        .add(Method::POST, "/movements/{id}/void", Write, post(void_movement))
        .add(Method::GET, "/figures/stock", SignedIn, get(figures::stock))
        .add(Method::GET, "/figures/flows", SignedIn, get(figures::flows))
        .add(Method::GET, "/figures/comparison", SignedIn, get(figures::comparison))
        .add(Method::GET, "/figures/population", SignedIn, get(figures::population))
        .add(Method::GET, "/factsheet", SignedIn, get(figures::factsheet))
        .add(Method::GET, "/series", SignedIn, get(figures::list_series))
        .add(Method::POST, "/series", Write, upload(post(figures::import_series)))
        .add(Method::GET, "/series/{id}", SignedIn, get(figures::series_detail))
        .add(Method::DELETE, "/series/{id}", Write, delete(figures::remove_series))
        .add(Method::GET, "/duplicates", Write, get(duplicates::list))
        .add(Method::GET, "/duplicates/status", Write, get(duplicates::status))
        .add(Method::POST, "/duplicates/check", Write, post(duplicates::check))
        .add(Method::POST, "/duplicates/run", Write, post(duplicates::run_detection))
        .add(Method::POST, "/duplicates/{id}/accept", Write, post(duplicates::accept))
        .add(Method::POST, "/duplicates/{id}/reject", Write, post(duplicates::reject))
        .add(Method::POST, "/duplicates/{id}/undo", Write, post(duplicates::undo))
        .add(Method::GET, "/programmes", SignedIn, get(assistance::list_programmes))
        .add(Method::POST, "/programmes", Write, post(assistance::create_programme))
        .add(Method::GET, "/programmes/{id}", SignedIn, get(assistance::get_programme))
        .add(Method::GET, "/programmes/{id}/cycles", SignedIn, get(assistance::list_cycles))
        .add(Method::POST, "/programmes/{id}/cycles", Write, post(assistance::create_cycle))
        .add(Method::GET, "/cycles/{id}", SignedIn, get(assistance::get_cycle))
        .add(Method::POST, "/cycles/{id}/status", Write, post(assistance::advance_cycle))
        .add(Method::POST, "/cycles/{id}/plan", Write, post(assistance::plan_cycle))
        .add(Method::POST, "/cycles/{id}/deliveries", Write, post(assistance::record_delivery))
        .add(Method::GET, "/cycles/{id}/list", Write, get(assistance::distribution_list))
        .add(Method::POST, "/cycles/{id}/returns", Write, post(assistance::import_returns))
        .add(Method::GET, "/cycles/{id}/samples", Write, get(assistance::list_samples))
        .add(Method::POST, "/cycles/{id}/samples", Write, post(assistance::draw_sample))
        .add(Method::GET, "/cycles/{id}/follow-ups", Write, get(assistance::follow_ups))
        .add(Method::GET, "/samples/{id}", Write, get(assistance::get_sample))
        .add(Method::POST, "/samples/{id}/answers", Write, post(assistance::record_answer))
        .add(Method::GET, "/assistance/reach", Records, get(assistance::reach))
        .add(Method::GET, "/presence", SignedIn, get(presence::presence))
        .add(Method::POST, "/offices", Write, post(presence::set_office))
        .add(Method::DELETE, "/offices/{id}", Write, delete(presence::remove_office))
        .add(Method::POST, "/partners", Write, post(presence::set_partner))
        .add(Method::GET, "/plans", SignedIn, get(plans::list_plans))
        .add(Method::POST, "/plans", Write, post(plans::create_plan))
        .add(Method::GET, "/plans/{id}", SignedIn, get(plans::get_plan))
        .add(Method::POST, "/plans/{id}/indicators", Write, post(plans::create_indicator))
        .add(Method::PUT, "/plans/{id}/indicators/{code}", Write, put(plans::update_indicator))
        .add(Method::GET, "/plans/{id}/targets", SignedIn, get(plans::list_targets))
        .add(Method::POST, "/plans/{id}/targets", Write, upload(post(plans::import_targets)))
        .add(Method::PUT, "/plans/{id}/target", Write, put(plans::set_target))
        .add(Method::GET, "/plans/{id}/progress", SignedIn, get(plans::progress))
        .add(Method::GET, "/plans/{id}/reports", Records, get(plans::list_reports))
        .add(Method::POST, "/plans/{id}/reports", Write, post(plans::submit_report))
        .add(Method::POST, "/reports/{id}/review", Write, post(plans::review_report))
        .add(Method::GET, "/who-what-where", SignedIn, get(funding::who_what_where))
        .add(Method::POST, "/who-what-where", Write, upload(post(funding::import_who_what_where)))
        .add(Method::GET, "/funding", SignedIn, get(funding::funding))
        .add(Method::POST, "/funding", Write, upload(post(funding::import_funding)))
        .add(Method::GET, "/imports/template", SignedIn, get(files::template))
        .add(Method::POST, "/imports", Write, upload(post(files::import)))
        .add(Method::GET, "/exports/registry", Records, get(files::export))
        .add(Method::GET, "/sync/status", Admin, get(sync::status))
        .add(Method::POST, "/sync/nodes", Admin, post(sync::enrol))
        .add(Method::POST, "/sync/nodes/{id}/revoke", Admin, post(sync::revoke))
        .add(Method::GET, "/sync/conflicts", Write, get(sync::conflicts))
        .add(Method::POST, "/sync/conflicts/resolve", Write, post(sync::resolve))
        .add(Method::GET, "/sync/vector", Node, get(sync::vector))
        .add(Method::POST, "/sync/pull", Node, post(sync::pull))
        .add(Method::POST, "/sync/changes", Node, upload(post(sync::receive)))
}

pub fn router(state: AppState) -> Router {
    let api = api_routes(&state)
        .router
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(api::files::semicolons_on_request));
    let demo = state.demo;
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(openapi::document))
        .nest("/api/v1", api)
        .merge(ui::routes(&state).router.layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::map_response(move |mut response: axum::response::Response| async move {
            // Synthetic data must never pass for real figures: every answer says so.
            if demo {
                response.headers_mut().insert("x-djoliba-demo", axum::http::HeaderValue::from_static("synthetic data"));
            }
            // Pages get the browser protections.
            if response
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
            {
                ui::page_headers(&mut response);
            }
            response
        }))
        .layer(axum::middleware::from_fn(compression::gzip))
}

/// Unknown paths: a page for browsers, the API's JSON error for API clients.
async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !request.uri().path().starts_with("/api/") {
        let (mut parts, _) = request.into_parts();
        let ui::Visitor(c) =
            match <ui::Visitor as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
                .await
            {
                Ok(visitor) => visitor,
                Err(never) => match never {},
            };
        return c.error(store::StoreError::NotFound("page"));
    }
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such route; the API is described at /api/openapi.json",
    )
    .into_response()
}

/// Binds `listen` (port 0 picks a free port), reports the bound address through `ready`, and
/// serves until Ctrl-C or TERM, with the default limits.
pub async fn serve(state: AppState, listen: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    server::serve(router(state), listen, server::Limits::default(), ready).await
}
