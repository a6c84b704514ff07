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

/// JSON body extractor whose rejections use the API's error format.
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

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`. Also set as an HttpOnly cookie.
    pub token: String,
    pub user: Actor,
    pub expires_in_seconds: i64,
}

/// Signs in. Unknown user and wrong password get the same answer.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    crate::auth::ClientSource(source): crate::auth::ClientSource,
    headers: axum::http::HeaderMap,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let (actor, token) = run(&state, move |store| {
        let Some(actor) = store.verify_login_from(&body.username, &body.password, &source)? else { return Ok(None) };
        let token = store.create_session(&actor)?;
        Ok(Some((actor, token)))
    })
    .await?
    .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "unknown user or wrong password"))?;
    let max_age = store::auth::SESSION_ABSOLUTE_MS / 1000;
    // Behind a TLS-terminating proxy, the cookie never travels in clear.
    let secure = if behind_tls(&headers) { "; Secure" } else { "" };
    let cookie = format!(
        "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}",
        crate::auth::SESSION_COOKIE
    );
    let body = LoginResponse { token, user: actor, expires_in_seconds: max_age };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Whether the request came through a TLS-terminating proxy, so cookies can be `Secure`.
pub fn behind_tls(headers: &axum::http::HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    if let Some(token) = crate::auth::token_from(&parts) {
        run(&state, move |store| store.delete_session(&token)).await?;
    }
    let cookie = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", crate::auth::SESSION_COOKIE);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange(..)")
    }
}

/// Changes one's own password: the current one is asked again; every session of the user
/// ends (sign in again with the new one).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.change_own_password(&actor, &body.current_password, &body.new_password)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Actor), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(Authenticated(actor): Authenticated) -> Json<Actor> {
    Json(actor)
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "administration", responses((status = 200, body = Vec<Organisation>)), security(("bearer" = [])))]
pub async fn list_organisations(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<Vec<Organisation>>, ApiError> {
    Ok(Json(run(&state, |store| store.list_organisations()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Short code, e.g. NRC.
    pub code: String,
    pub name: String,
}

/// Creates an organisation (administrators).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "administration", request_body = NewOrganisation,
    responses((status = 201, body = Organisation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_organisation(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<NewOrganisation>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let org = run(&state, move |store| store.create_organisation(&actor, &body.code, &body.name)).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "administration", responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            actor.require_admin()?;
            store.list_users()
        })
        .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub role: domain::Role,
    /// Organisation code (required for registrars).
    pub organisation: Option<String>,
    /// At least 10 characters.
    pub password: String,
    /// For a field office: the régions (admin 1 P-codes) whose households the user sees.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Creates a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "administration", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = run(&state, move |store| {
        store.check_regions(&body.regions)?;
        let user =
            store.create_user(&actor, &body.username, body.role, body.organisation.as_deref(), &body.password)?;
        if !body.regions.is_empty() {
            store.set_user_regions(&actor, &body.username, &body.regions)?;
        }
        Ok(user)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationQuery {
    /// Name or part of it; accents and case ignored; aliases and old spellings found.
    pub q: Option<String>,
    /// Only units inside this P-code.
    pub parent: Option<String>,
    /// Only units of this admin level (0–3).
    pub level: Option<i64>,
    pub limit: Option<usize>,
}

/// Searches the gazetteer (COD-AB 2021-12-20).
#[utoipa::path(get, path = "/api/v1/locations", tag = "reference", params(LocationQuery), responses((status = 200, body = Vec<LocationMatch>)), security(("bearer" = [])))]
pub async fn search_locations(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Query(q): Query<LocationQuery>,
) -> Result<Json<Vec<LocationMatch>>, ApiError> {
    if let Some(level) = q.level.filter(|l| !(0..=3).contains(l)) {
        return Err(StoreError::invalid("level", level.to_string(), domain::Message::AdminLevel).into());
    }
    let limit = q.limit.unwrap_or(20).clamp(1, 800);
    let parent = q.parent.map(|p| p.trim().to_ascii_uppercase());
    Ok(Json(state.store.gazetteer.search(q.q.as_deref().unwrap_or(""), parent.as_deref(), q.level, limit)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LocationDetail {
    #[serde(flatten)]
    pub location: store::reference::Location,
    pub parents: Vec<store::reference::Location>,
    pub aliases: Vec<String>,
}

/// One location by P-code, with its parents and aliases.
#[utoipa::path(get, path = "/api/v1/locations/{pcode}", tag = "reference", params(("pcode" = String, Path)), responses((status = 200, body = LocationDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_location(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Path(pcode): Path<String>,
) -> Result<Json<LocationDetail>, ApiError> {
    let g = &state.store.gazetteer;
    let code = pcode.trim().to_ascii_uppercase();
    let location = g.get(&code).cloned().ok_or(StoreError::NotFound("location"))?;
    let parents = (0..location.admin_level).filter_map(|level| g.ancestor_at(&code, level).cloned()).collect();
    let aliases = g.aliases().iter().filter(|a| a.pcode == code).map(|a| a.alias.clone()).collect();
    Ok(Json(LocationDetail { location, parents, aliases }))
}

#[utoipa::path(get, path = "/api/v1/reference/population-groups", tag = "reference", responses((status = 200, body = Vec<PopulationGroup>)), security(("bearer" = [])))]
pub async fn population_groups(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Json<Vec<PopulationGroup>> {
    Json(state.store.gazetteer.population_groups.clone())
}

#[utoipa::path(get, path = "/api/v1/reference/sectors", tag = "reference", responses((status = 200, body = Vec<Sector>)), security(("bearer" = [])))]
pub async fn sectors(State(state): State<AppState>, Authenticated(_user): Authenticated) -> Json<Vec<Sector>> {
    Json(state.store.gazetteer.sectors.clone())
}

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

/// Adds a member to a household.
#[utoipa::path(post, path = "/api/v1/households/{id}/members", tag = "registry", params(("id" = String, Path)), request_body = PersonInput,
    responses((status = 201, body = Person), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(input): Json<PersonInput>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    let person = run(&state, move |store| {
        let person = input.parse(store.gazetteer.as_ref(), store.today())?;
        store.add_member(&actor, &id, &person)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(person)))
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
    /// The person's fields as they should now read.
    pub person: PersonInput,
    /// Why the record changes.
    pub reason: String,
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
            store.update_person(&actor, &id, &person, &body.reason)
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "administration", params(AuditQuery), responses((status = 200, body = Vec<store::audit::AuditEntry>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<store::audit::AuditEntry>>, ApiError> {
    Ok(Json(
        run(&state, move |store| store.audit_entries(&actor, q.limit.unwrap_or(100), q.offset.unwrap_or(0))).await?,
    ))
}

/// Checks the audit log's hash chain (administrators).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "administration", responses((status = 200, body = store::audit::AuditCheck), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit_verify(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<store::audit::AuditCheck>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            actor.require_admin()?;
            store.verify_audit()
        })
        .await?,
    ))
}

/// Data-sharing agreements between organisations.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "administration", responses((status = 200, body = Vec<store::auth::Agreement>)), security(("bearer" = [])))]
pub async fn list_agreements(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<Vec<store::auth::Agreement>>, ApiError> {
    Ok(Json(run(&state, |store| store.agreements()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// Code of the organisation whose records are shared.
    pub from: String,
    /// Code of the organisation that may see them.
    pub to: String,
    /// none, aggregates, pseudonymised or full.
    pub level: String,
}

/// Records what one organisation may see of another's records (administrators).
#[utoipa::path(post, path = "/api/v1/agreements", tag = "administration", request_body = AgreementInput,
    responses((status = 201, body = store::auth::Agreement), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_agreement(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<AgreementInput>,
) -> Result<(StatusCode, Json<store::auth::Agreement>), ApiError> {
    let agreement = run(&state, move |store| store.set_agreement(&actor, &body.from, &body.to, &body.level)).await?;
    Ok((StatusCode::CREATED, Json(agreement)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// What the token is for, e.g. "DTM dashboard sync".
    pub name: String,
    /// read (GET only) or write (all the user's role allows).
    pub scope: store::tokens::TokenScope,
    /// Life in days, 1 to 366 (default 90).
    #[serde(default)]
    pub days: Option<i64>,
    /// For administrators: another user's token. Default: oneself.
    #[serde(default)]
    pub username: Option<String>,
}

/// Creates an API token; its secret is in the answer, once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, body = store::tokens::NewToken), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<TokenRequest>,
) -> Result<(StatusCode, Json<store::tokens::NewToken>), ApiError> {
    let token = run(&state, move |store| {
        let username = body.username.clone().unwrap_or_else(|| actor.username.clone());
        store.create_token(&actor, &username, &body.name, body.scope, body.days.unwrap_or(90))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// One's API tokens (every token for an administrator); never their secrets.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", responses((status = 200, body = Vec<store::tokens::ApiToken>)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<store::tokens::ApiToken>>, ApiError> {
    Ok(Json(run(&state, move |store| store.tokens(&actor, None)).await?))
}

/// Revokes an API token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 200, body = store::tokens::ApiToken), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<store::tokens::ApiToken>, ApiError> {
    Ok(Json(run(&state, move |store| store.revoke_token(&actor, &id)).await?))
}

/// Displacement sites (camps, collective centres, informal sites), by code.
#[utoipa::path(get, path = "/api/v1/sites", tag = "reference", responses((status = 200, body = Vec<store::sites::Site>)), security(("bearer" = [])))]
pub async fn list_sites(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<Vec<store::sites::Site>>, ApiError> {
    Ok(Json(run(&state, |store| store.list_sites()).await?))
}

/// Registers a site in a commune; its code (commune P-code, "S", number) is used like a
/// P-code in registrations, movements and imports, and figures count by site at level 4.
#[utoipa::path(post, path = "/api/v1/sites", tag = "reference", request_body = store::sites::NewSite,
    responses((status = 201, body = store::sites::Site), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_site(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<store::sites::NewSite>,
) -> Result<(StatusCode, Json<store::sites::Site>), ApiError> {
    Ok((StatusCode::CREATED, Json(run(&state, move |store| store.create_site(&actor, &body)).await?)))
}
