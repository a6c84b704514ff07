//! Who may call which route. Every route is added through `Routes::add` with its `Access`, so a
//! route cannot exist without a rule; the rule is enforced by a gate in front of the handler
//! (before the body is read), and the table of rules is what the authorisation matrix test
//! walks: every route × every role × inside and outside the user's scope.
//!
//! Roles gate the route; which records a user may see is the data layer's `scope()`, so a
//! record outside it answers 404 whatever the route.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use axum::Router;
use domain::Role;
use store::Actor;

use crate::error::ApiError;
use crate::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Users who see individual records: every role but viewer.
    Records,
    /// Users who may change the registry: admin, im_officer, registrar, protection.
    Write,
    /// Administrators only.
    Admin,
    /// Sync nodes enrolled here, by their token (never a user).
    Node,
}

impl Access {
    /// Whether a user of `role` (`None`: not signed in) passes the gate.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Records, Some(role)) => role.sees_records(),
            (Access::Write, Some(role)) => role.can_write_registry(),
            (Access::Admin, Some(role)) => role == Role::Admin,
            (Access::Node, Some(_)) => false,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Access::Public => "anyone",
            Access::SignedIn => "signed in",
            Access::Records => "roles that see records",
            Access::Write => "roles that change the registry",
            Access::Admin => "administrators",
            Access::Node => "enrolled sync nodes",
        }
    }
}

/// One route's rule.
#[derive(Clone, Debug)]
pub struct RouteAccess {
    pub method: Method,
    /// The full path, as the router matches it (`/api/v1/households/{id}`).
    pub path: String,
    pub access: Access,
    /// A web page (anonymous visitors are sent to sign in) rather than the JSON API.
    pub page: bool,
}

/// A router whose routes each carry an `Access`.
pub struct Routes {
    pub router: Router<AppState>,
    pub table: Vec<RouteAccess>,
    state: AppState,
    prefix: &'static str,
    page: bool,
}

impl Routes {
    pub fn new(state: &AppState, prefix: &'static str, page: bool) -> Routes {
        Routes { router: Router::new(), table: Vec::new(), state: state.clone(), prefix, page }
    }

    /// Adds `handler` for `method` at `path`, behind the gate for `access`.
    pub fn add(mut self, method: Method, path: &str, access: Access, handler: MethodRouter<AppState>) -> Routes {
        let page = self.page;
        let gated = handler.route_layer(axum::middleware::from_fn_with_state(
            self.state.clone(),
            move |State(state): State<AppState>, request: Request, next: Next| gate(state, access, page, request, next),
        ));
        self.router = self.router.route(path, gated);
        self.table.push(RouteAccess { method, path: format!("{}{path}", self.prefix), access, page });
        self
    }
}

/// The signed-in user of a request, from its bearer token or session cookie.
pub async fn actor_of(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<Actor>, ApiError> {
    let Some(token) = crate::auth::token_from_headers(headers) else { return Ok(None) };
    if !crate::auth::well_formed(&token) {
        return Ok(None);
    }
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.session_actor(&token))
        .await
        .map_err(|_| ApiError::internal("session lookup task failed"))?
        .map_err(ApiError::from)
}

fn safe(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

fn cookie_only(headers: &axum::http::HeaderMap) -> bool {
    !headers.contains_key(axum::http::header::AUTHORIZATION)
}

fn csrf_header_matches(headers: &axum::http::HeaderMap) -> bool {
    let Some(session) = crate::auth::cookie(headers, crate::auth::SESSION_COOKIE) else { return false };
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    crate::ui::same(&crate::ui::csrf_for(&session), sent)
}

/// The enrolled node calling a sync route (set by the gate from its token).
#[derive(Clone, Debug)]
pub struct NodeCaller(pub String);

impl axum::extract::FromRequestParts<AppState> for NodeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<NodeCaller>().cloned().ok_or_else(ApiError::unauthenticated)
    }
}

/// A sync route: the bearer token must be an enrolled, unrevoked node's.
async fn node_gate(state: AppState, mut request: Request, next: Next) -> Response {
    let token = crate::auth::token_from_headers(request.headers()).filter(|t| t.len() == 64);
    let node = match token {
        Some(token) => {
            let store = state.store.clone();
            match tokio::task::spawn_blocking(move || store.sync_peer_by_token(&token)).await {
                Ok(Ok(node)) => node,
                Ok(Err(error)) => return ApiError::from(error).into_response(),
                Err(_) => return ApiError::internal("node lookup task failed").into_response(),
            }
        }
        None => None,
    };
    match node {
        Some(node) => {
            request.extensions_mut().insert(NodeCaller(node));
            next.run(request).await
        }
        None => match actor_of(&state, request.headers()).await {
            Ok(Some(_)) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this route is for enrolled sync nodes")
                .into_response(),
            _ => ApiError::unauthenticated().into_response(),
        },
    }
}

async fn gate(state: AppState, access: Access, page: bool, mut request: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    if access == Access::Node {
        return node_gate(state, request, next).await;
    }
    let actor = match actor_of(&state, request.headers()).await {
        Ok(actor) => actor,
        Err(error) => return error.into_response(),
    };
    match actor {
        None if page => {
            let here = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
            let query = serde_urlencoded::to_string([("next", here.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/login?{query}")).into_response()
        }
        None => ApiError::unauthenticated().into_response(),
        Some(actor) if !access.allows(Some(actor.role)) => {
            if page {
                let (mut parts, _) = request.into_parts();
                let crate::ui::Visitor(mut c) = match <crate::ui::Visitor as axum::extract::FromRequestParts<
                    AppState,
                >>::from_request_parts(&mut parts, &state)
                .await
                {
                    Ok(visitor) => visitor,
                    Err(never) => match never {},
                };
                c.user = Some(actor);
                c.error(store::StoreError::Forbidden("this page"))
            } else {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("this route is for {}", access.describe()))
                    .into_response()
            }
        }
        // A browser sends the session cookie with any site's form: a change through the API
        // with cookie authentication must also carry the session's CSRF token in a header,
        // which another site cannot set. Bearer tokens are not sent by browsers on their own.
        Some(_) if !page && !safe(request.method()) && cookie_only(request.headers()) && !csrf_header_matches(request.headers()) => {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "a change made with the session cookie needs the X-CSRF-Token header (the token of the session's pages), or use Authorization: Bearer",
            )
            .into_response()
        }
        Some(actor) if actor.read_only && ![Method::GET, Method::HEAD].contains(request.method()) => {
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this API token may only read").into_response()
        }
        Some(actor) => {
            // The handler's extractor takes the actor from here: one session lookup per request.
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
    }
}
