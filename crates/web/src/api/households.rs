//! Households: list, registration (with the duplicate check), correction, members, movements, history.

use super::*;

/// Lists households, filtered and paginated.
#[utoipa::path(get, path = "/api/v1/households", tag = "registry", params(HouseholdFilter), responses((status = 200, body = Page<Household>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_households(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(filter): Query<HouseholdFilter>,
) -> Result<Json<Page<Household>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_households(&actor, &filter)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RegisterQuery {
    /// `queue` (default): save and queue the likely duplicates for review; `hold`: save
    /// nothing and answer 409 `likely_duplicates` with them.
    pub if_likely_duplicates: Option<IfLikelyDuplicates>,
}

/// Registers a household with its members and movements, all or nothing, after checking the
/// registry for people likely to be its members (the same check as the registration form).
#[utoipa::path(post, path = "/api/v1/households", tag = "registry", request_body = HouseholdInput, params(RegisterQuery),
    responses((status = 201, body = Registered), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn register_household(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(query): Query<RegisterQuery>,
    Json(input): Json<HouseholdInput>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let if_likely = query.if_likely_duplicates.unwrap_or_default();
    match run(&state, move |store| store.register(&actor, &input, if_likely)).await? {
        Registration::Saved { detail, queued } => {
            Ok((StatusCode::CREATED, Json(Registered { detail: *detail, likely_duplicates: queued })))
        }
        Registration::Held(likely) => Err(ApiError::likely_duplicates(likely)),
    }
}

/// A household with members, movements and what they imply.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "registry", params(("id" = String, Path)), responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_household(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    Ok(Json(run(&state, move |store| store.household_detail(&actor, &id)).await?))
}

/// Corrects a household's registration fields, with a reason.
#[utoipa::path(patch, path = "/api/v1/households/{id}", tag = "registry", params(("id" = String, Path)), request_body = HouseholdPatch,
    responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_household(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(patch): Json<HouseholdPatch>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    Ok(Json(run(&state, move |store| store.update_household(&actor, &id, &patch)).await?))
}

/// The household's versions: who changed what, when and why.
#[utoipa::path(get, path = "/api/v1/households/{id}/history", tag = "registry", params(("id" = String, Path)), responses((status = 200, body = Vec<Version>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn household_history(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<Version>>, ApiError> {
    Ok(Json(run(&state, move |store| store.history(&actor, "household", &id)).await?))
}

/// Adds a member to a household, with why (kept in the household's history).
#[utoipa::path(post, path = "/api/v1/households/{id}/members", tag = "registry", params(("id" = String, Path)), request_body = crate::api::people::PersonUpdate,
    responses((status = 201, body = Person), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<crate::api::people::PersonUpdate>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    let person = run(&state, move |store| {
        let person = body.person.parse(store.gazetteer.as_ref(), store.today())?;
        store.add_member(&actor, &id, &person, &body.reason)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(person)))
}

/// Why a member is removed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// Recorded in error, no longer part of the household…
    pub reason: String,
}

/// Removes a member from a household, with why: the record and its history stay; figures,
/// lists, checks, searches and exports leave it out. The head and the last member stay.
#[utoipa::path(post, path = "/api/v1/households/{id}/members/{person}/remove", tag = "registry", params(("id" = String, Path), ("person" = String, Path)), request_body = Removal,
    responses((status = 200, body = HouseholdDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, person)): Path<(String, String)>,
    Json(body): Json<Removal>,
) -> Result<Json<HouseholdDetail>, ApiError> {
    Ok(Json(run(&state, move |store| store.remove_member(&actor, &id, &person, &body.reason)).await?))
}

/// Records a movement of the whole household, or of one member with `person`.
#[utoipa::path(post, path = "/api/v1/households/{id}/movements", tag = "registry", params(("id" = String, Path)), request_body = MovementInput,
    responses((status = 201, body = Movement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn record_household_movement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(input): Json<MovementInput>,
) -> Result<(StatusCode, Json<Movement>), ApiError> {
    let movement = run(&state, move |store| {
        let movement = input.parse(store.gazetteer.as_ref(), store.today())?;
        store.record_movement(&actor, &id, None, &movement)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(movement)))
}
