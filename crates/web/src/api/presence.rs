//! Presence over HTTP: offices with their staff, and implementing partners.

use store::presence::{Office, OfficeInput, Presence};

use super::*;

/// Every organisation's offices (kind, place, national and international staff) and
/// implementing partners.
#[utoipa::path(get, path = "/api/v1/presence", tag = "plans", responses((status = 200, body = Presence)), security(("bearer" = [])))]
pub async fn presence(
    State(state): State<AppState>,
    Authenticated(_actor): Authenticated,
) -> Result<Json<Presence>, ApiError> {
    Ok(Json(run(&state, move |store| store.presence()).await?))
}

/// Records an office, or changes the organisation's office of that name (information-
/// management officers and administrators).
#[utoipa::path(post, path = "/api/v1/offices", tag = "plans", request_body = OfficeInput,
    responses((status = 200, body = Office), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_office(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<OfficeInput>,
) -> Result<Json<Office>, ApiError> {
    Ok(Json(run(&state, move |store| store.set_office(&actor, &body)).await?))
}

/// Removes an office.
#[utoipa::path(delete, path = "/api/v1/offices/{id}", tag = "plans", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_office(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.remove_office(&actor, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PartnerInput {
    /// The organisation's code.
    pub organisation: String,
    /// Its implementing partner's code.
    pub partner: String,
    /// End the partnership instead.
    #[serde(default)]
    pub remove: bool,
}

/// Records (or ends, with `remove`) that an organisation implements for another.
#[utoipa::path(post, path = "/api/v1/partners", tag = "plans", request_body = PartnerInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_partner(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<PartnerInput>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.set_partner(&actor, &body.organisation, &body.partner, body.remove)).await?;
    Ok(StatusCode::NO_CONTENT)
}
