//! JSON API handlers under `/api/v1`. Each one parses its input, calls the store on a blocking
//! thread (the store is synchronous) and answers JSON; errors go through `ApiError`.

use axum::extract::{FromRequest, FromRequestParts, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::registry::{HouseholdInput, MovementInput, PersonInput};
use domain::timeline::Summary;
use serde::{Deserialize, Serialize};
use store::auth::{Organisation, User};
use store::reference::{LocationMatch, PopulationGroup, Sector};
use store::registry::*;
use store::{Actor, Store, StoreError};

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

mod admin;
pub mod assistance;
/// JSON body extractor whose rejections use the API's error format.
mod auth;
pub mod duplicates;
pub mod figures;
pub mod files;
pub mod funding;
mod households;
mod movements;
mod people;
pub mod plans;
pub mod presence;
mod reference;
pub mod sync;

pub use admin::*;
pub use auth::*;
pub use households::*;
pub use movements::*;
pub use people::*;
pub use reference::*;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query extractor whose rejections use the API's error format.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Runs a store call on the blocking pool.
pub async fn run<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|_| ApiError::internal("store task failed"))?
        .map_err(ApiError::from)
}

/// The first non-empty file part of a `multipart/form-data` upload, named as sent.
pub async fn file_part(
    multipart: &mut axum::extract::Multipart,
    default_name: &str,
) -> Result<exchange::InputFile, ApiError> {
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.file_name().map(crate::files::sanitise_file_name).unwrap_or_else(|| default_name.into());
        let bytes = field.bytes().await?;
        if !bytes.is_empty() && file.is_none() {
            file = Some(exchange::InputFile { name, bytes: bytes.to_vec() });
        }
    }
    file.ok_or_else(|| ApiError::from(StoreError::invalid("file", "", domain::Message::FilePart)).as_bad_request())
}

/// Runs an all-or-nothing sheet import: 200 with its report, 422 with every bad cell, 400 for
/// a file that cannot be read.
pub async fn sheet_import<T: Serialize + Send + 'static>(
    state: &AppState,
    import: impl FnOnce(&Store) -> Result<T, store::import::ImportError> + Send + 'static,
    refused: fn(&T) -> bool,
) -> Result<Response, ApiError> {
    let outcome = run(state, move |store| match import(store) {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(store::import::ImportError::Store(e)) => Err(e),
        Err(store::import::ImportError::File(e)) => Ok(Err(e)),
    })
    .await?;
    match outcome {
        Ok(outcome) if !refused(&outcome) => Ok(Json(outcome).into_response()),
        Ok(outcome) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(outcome)).into_response()),
        Err(file_error) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", file_error.to_string())),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
    pub version: &'static str,
    pub demo: bool,
}

/// Liveness and database check; no authentication.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health), (status = 500, body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let backend = state.store.db.backend();
    run(&state, |store| store.db.read(|tx| tx.query_int("SELECT 1", store::params![]))).await?;
    Ok(Json(Health {
        status: "ok",
        database: match backend {
            store::Backend::Sqlite => "sqlite",
            store::Backend::Postgres => "postgresql",
        },
        version: env!("CARGO_PKG_VERSION"),
        demo: state.demo,
    }))
}
