//! Messages, sign-in and sign-out, the language switch.

use super::*;

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: &'a Ctx,
    title: &'a str,
    text: &'a str,
}

pub(crate) fn message_page(c: &Ctx, title: &str, text: &str) -> Response {
    render(&MessagePage { c, title, text })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Ctx,
    next: String,
    failed: bool,
    username: String,
    /// Back from a change of password.
    changed: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    #[serde(default)]
    changed: Option<String>,
}

/// Only paths of this site: `next` never sends anyone elsewhere. Browsers drop tabs and line
/// breaks from a URL (`/\t/evil.example` becomes `//evil.example`) and read `\\` as `/`, so
/// anything but visible ASCII is refused, as is a second leading slash.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_string()
        }
        _ => "/".into(),
    }
}

fn login_cookie_header(token: &str) -> String {
    format!("{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600")
}

pub async fn login_form(Visitor(mut c): Visitor, Query(q): Query<NextQuery>) -> Response {
    // A fresh double-submit token whenever the form has none.
    let token = if c.csrf.len() == 64 { c.csrf.clone() } else { super::super::random_token() };
    c.csrf = token.clone();
    let changed = q.changed.is_some();
    let page = LoginPage { c, next: local_path(q.next.as_deref()), failed: false, username: String::new(), changed };
    ([(header::SET_COOKIE, login_cookie_header(&token))], render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    Visitor(c): Visitor,
    crate::auth::ClientSource(source): crate::auth::ClientSource,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if c.csrf.len() != 64 || !super::super::same(&c.csrf, &form.csrf) {
        return (StatusCode::FORBIDDEN, message_page(&c, c.t.forbidden_title, c.t.session_expired)).into_response();
    }
    let username = form.username.clone();
    let outcome = blocking(&state, move |store| {
        let Some(actor) = store.verify_login_from(&form.username, &form.password, &source)? else { return Ok(None) };
        Ok(Some(store.create_session(&actor)?))
    })
    .await;
    match outcome {
        Ok(Some(token)) => {
            let max_age = store::auth::SESSION_ABSOLUTE_MS / 1000;
            let secure = if crate::api::behind_tls(&headers) { "; Secure" } else { "" };
            let cookie = format!(
                "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}",
                crate::auth::SESSION_COOKIE
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(form.next.as_deref()))).into_response()
        }
        Ok(None) => {
            let page = LoginPage { next: local_path(form.next.as_deref()), failed: true, username, c, changed: false };
            (StatusCode::UNAUTHORIZED, render(&page)).into_response()
        }
        Err(error) => c.error(error),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub(super) csrf: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    page: SignedIn,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    if let Some(token) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) {
        let _ = blocking(&state, move |store| store.delete_session(&token)).await;
    }
    let expire = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", crate::auth::SESSION_COOKIE);
    ([(header::SET_COOKIE, expire)], Redirect::to("/login")).into_response()
}

/// Remembers the chosen language for a year and goes back where the user was.
pub async fn switch_language(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Fr);
    let cookie = format!("{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000", lang.code());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(q.next.as_deref()))).into_response()
}
