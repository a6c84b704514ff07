//! Administration: organisations, users, sharing agreements, the audit log.

use super::*;

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
pub struct AuditQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// Only what this username did.
    pub user: Option<String>,
    /// Only this action (`sign_in`, `register`, `duplicates.accept`…).
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// To this day (YYYY-MM-DD, UTC), included.
    pub to: Option<String>,
}

/// The audit log, newest first, filtered by user, action and days (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "administration", params(AuditQuery), responses((status = 200, body = Vec<store::audit::AuditEntry>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<store::audit::AuditEntry>>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            let filter = store::audit::AuditFilter { user: q.user, action: q.action, from: q.from, to: q.to };
            store.audit_search(&actor, &filter, q.limit.unwrap_or(100), q.offset.unwrap_or(0))
        })
        .await?,
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
