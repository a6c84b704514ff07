//! Movements: list, detail, voiding.

use super::*;

/// Lists movements, filtered and paginated.
#[utoipa::path(get, path = "/api/v1/movements", tag = "registry", params(MovementFilter), responses((status = 200, body = Page<Movement>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_movements(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(filter): Query<MovementFilter>,
) -> Result<Json<Page<Movement>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_movements(&actor, &filter)).await?))
}

#[utoipa::path(get, path = "/api/v1/movements/{id}", tag = "registry", params(("id" = String, Path)), responses((status = 200, body = Movement), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_movement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Movement>, ApiError> {
    Ok(Json(run(&state, move |store| store.movement(&actor, &id)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    pub reason: String,
}

/// Voids a movement recorded in error; it stays visible with the reason.
#[utoipa::path(post, path = "/api/v1/movements/{id}/void", tag = "registry", params(("id" = String, Path)), request_body = VoidRequest,
    responses((status = 200, body = Movement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn void_movement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<VoidRequest>,
) -> Result<Json<Movement>, ApiError> {
    Ok(Json(run(&state, move |store| store.void_movement(&actor, &id, &body.reason)).await?))
}
