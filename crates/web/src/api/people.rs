//! People: list and search by name, detail, correction, movements, history.

use super::*;

/// Lists people, filtered and paginated.
#[utoipa::path(get, path = "/api/v1/people", tag = "registry", params(PersonFilter), responses((status = 200, body = Page<Person>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_people(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(filter): Query<PersonFilter>,
) -> Result<Json<Page<Person>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_people(&actor, &filter)).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub person: Person,
    pub summary: Summary,
}

/// One person with what their movements imply.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "registry", params(("id" = String, Path)), responses((status = 200, body = PersonDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PersonDetail>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            let person = store.person(&actor, &id)?;
            let detail = store.household_detail(&actor, &person.household_id)?;
            let member =
                detail.members.into_iter().find(|m| m.person.id == id).ok_or(StoreError::NotFound("person"))?;
            Ok(PersonDetail { person: member.person, summary: member.summary })
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonUpdate {
    /// The person's fields as they should now read (or, for a new member, as they are).
    pub person: PersonInput,
    /// Why the record changes, or why the member is added.
    pub reason: String,
    /// The person's version the change was made from: a change made meanwhile answers 409.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

/// Corrects a person's record, with a reason; the previous values stay in the history.
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "registry", params(("id" = String, Path)), request_body = PersonUpdate,
    responses((status = 200, body = Person), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_person(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<PersonUpdate>,
) -> Result<Json<Person>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            let person = body.person.parse(store.gazetteer.as_ref(), store.today())?;
            store.update_person_at(&actor, &id, &person, &body.reason, body.expected_version)
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/history", tag = "registry", params(("id" = String, Path)), responses((status = 200, body = Vec<Version>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn person_history(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<Version>>, ApiError> {
    Ok(Json(run(&state, move |store| store.history(&actor, "person", &id)).await?))
}

/// Records a movement of one person apart from their household (or a birth or death).
#[utoipa::path(post, path = "/api/v1/people/{id}/movements", tag = "registry", params(("id" = String, Path)), request_body = MovementInput,
    responses((status = 201, body = Movement), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn record_person_movement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(input): Json<MovementInput>,
) -> Result<(StatusCode, Json<Movement>), ApiError> {
    let movement = run(&state, move |store| {
        let person = store.person(&actor, &id)?;
        let movement = input.parse(store.gazetteer.as_ref(), store.today())?;
        store.record_movement(&actor, &person.household_id, Some(&person.id), &movement)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(movement)))
}
