//! Authentication: the extractor *is* the check. A handler that takes `Authenticated` cannot
//! run for an anonymous request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use store::Actor;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "djoliba_session";

/// The signed-in user, from `Authorization: Bearer TOKEN` or the session cookie.
pub struct Authenticated(pub Actor);

pub fn token_from(parts: &Parts) -> Option<String> {
    token_from_headers(&parts.headers)
}

/// The bearer token, or else the session cookie.
pub fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) {
            return Some(token.trim().to_string());
        }
    }
    cookie(headers, SESSION_COOKIE)
}

/// The value of cookie `wanted`, if the request carries it.
pub fn cookie(headers: &axum::http::HeaderMap, wanted: &str) -> Option<String> {
    let cookies = headers.get_all(axum::http::header::COOKIE);
    for header in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in header.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if name == wanted {
                    return Some(value.to_string());
                }
            }
        }
    }
    None
}

/// Whether `token` has the shape of a session token (64 hex digits) or an API token (`djt_`
/// and 64 hex digits), before any lookup.
pub fn well_formed(token: &str) -> bool {
    let secret = token.strip_prefix(store::tokens::PREFIX).unwrap_or(token);
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The route's gate has usually looked the session up already.
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(Authenticated(actor.clone()));
        }
        let token = token_from(parts).ok_or_else(ApiError::unauthenticated)?;
        if !well_formed(&token) {
            return Err(ApiError::unauthenticated());
        }
        let store = state.store.clone();
        let actor = tokio::task::spawn_blocking(move || store.session_actor(&token))
            .await
            .map_err(|_| ApiError::internal("session lookup task failed"))??;
        actor.map(Authenticated).ok_or_else(ApiError::unauthenticated)
    }
}

/// Where a request comes from, for sign-in throttling: the peer's address, or behind a proxy
/// on this machine (loopback peer), the address that proxy appended to `X-Forwarded-For`.
pub struct ClientSource(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientSource {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let forwarded = || {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
        };
        let source = match peer {
            Some(ip) if ip.is_loopback() => forwarded().unwrap_or(ip),
            Some(ip) => ip,
            None => return Ok(ClientSource("unknown".into())),
        };
        Ok(ClientSource(source.to_string()))
    }
}
