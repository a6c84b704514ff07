//! Signing in and out, the own account, API tokens.

use super::*;

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
