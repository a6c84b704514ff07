//! Djoliba's HTTP surface: the JSON API under `/api/v1`, its OpenAPI document, `/healthz`,
//! and the web pages (`ui`).
//!
//! Invariant: every route that serves registry data takes the `Authenticated` extractor; the
//! list of public routes is `PUBLIC_ROUTES`, and a test checks every other route answers 401
//! without a session.

pub mod api;
pub mod auth;
pub mod duplicates;
pub mod error;
pub mod figures;
pub mod files;
pub mod openapi;
pub mod ui;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use store::Store;

/// JSON bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Uploads (imports) larger than this are refused with 413.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// Routes that answer without a session.
pub const PUBLIC_ROUTES: &[&str] = &["/healthz", "/api/openapi.json", "/api/v1/auth/login"];

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// A demo operation with synthetic data: shown everywhere it matters.
    pub demo: bool,
    /// Import previews waiting for confirmation in the web interface.
    pub uploads: ui::Uploads,
}

impl AppState {
    pub fn new(store: Store, demo: bool) -> AppState {
        AppState { store, demo, uploads: ui::Uploads::default() }
    }
}

pub fn router(state: AppState) -> Router {
    use api::*;
    let api = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/organisations", get(list_organisations).post(create_organisation))
        .route("/users", get(list_users).post(create_user))
        .route("/agreements", get(list_agreements).post(set_agreement))
        .route("/audit", get(audit_log))
        .route("/audit/verify", get(audit_verify))
        .route("/locations", get(search_locations))
        .route("/locations/{pcode}", get(get_location))
        .route("/reference/population-groups", get(population_groups))
        .route("/reference/sectors", get(sectors))
        .route("/households", get(list_households).post(register_household))
        .route("/households/{id}", get(get_household).patch(update_household))
        .route("/households/{id}/history", get(household_history))
        .route("/households/{id}/members", post(add_member))
        .route("/households/{id}/movements", post(record_household_movement))
        .route("/people", get(list_people))
        .route("/people/{id}", get(get_person).put(update_person))
        .route("/people/{id}/history", get(person_history))
        .route("/people/{id}/movements", post(record_person_movement))
        .route("/movements", get(list_movements))
        .route("/movements/{id}", get(get_movement))
        .route("/movements/{id}/void", post(void_movement))
        .route("/households/{id}/solutions", post(figures::household_solution))
        .route("/people/{id}/solutions", post(figures::person_solution))
        .route("/figures/stock", get(figures::stock))
        .route("/figures/flows", get(figures::flows))
        .route("/figures/comparison", get(figures::comparison))
        .route("/series", get(figures::list_series))
        .route("/duplicates", get(duplicates::list))
        .route("/duplicates/check", post(duplicates::check))
        .route("/duplicates/run", post(duplicates::run_detection))
        .route("/duplicates/{id}/accept", post(duplicates::accept))
        .route("/duplicates/{id}/reject", post(duplicates::reject))
        .route("/duplicates/{id}/undo", post(duplicates::undo))
        .route("/imports/template", get(files::template))
        .route("/exports/registry", get(files::export))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .route("/imports", post(files::import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route("/series", post(figures::import_series).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)));
    let demo = state.demo;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi::document))
        .nest("/api/v1", api)
        .merge(ui::routes().layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
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
/// serves until Ctrl-C.
pub async fn serve(state: AppState, listen: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
