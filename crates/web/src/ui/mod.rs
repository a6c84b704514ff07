//! The web interface: server-rendered pages (askama templates in `crates/web/templates`), in
//! French and English, that work without JavaScript. Assets are compiled into the binary.
//!
//! Invariants:
//! - every page but `/login` takes `SignedIn`, which redirects anonymous visitors to sign in;
//! - every form that changes something carries the session's CSRF token, checked by
//!   `SignedIn::csrf_refusal` before anything else runs (sign-in uses a double-submit cookie);
//! - pages call the same store functions as the API, so scope, redaction and audit are the
//!   data layer's, not the page's.

mod account;
pub mod charts;
pub mod i18n;
mod pages;

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::{Actor, StoreError};

use crate::AppState;
use i18n::{Lang, Messages};

/// What every page needs: language, words, the signed-in user, the CSRF token.
pub struct Ctx {
    pub lang: Lang,
    pub t: &'static Messages,
    pub user: Option<Actor>,
    pub csrf: String,
    pub demo: bool,
    /// Path and query of this page, for the language switch to come back to.
    pub here: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
}

impl Ctx {
    pub fn label(&self, code: &str) -> String {
        i18n::code_label(self.lang, code)
    }

    pub fn num(&self, n: impl Count) -> String {
        charts::thousands(n.count())
    }

    /// The noun agreeing with a count: French takes the singular for 0 and 1 ("0 ménage",
    /// "1 résultat"), English for 1 only.
    pub fn noun<'a>(&self, n: impl Count, one: &'a str, many: &'a str) -> &'a str {
        let n = n.count();
        let singular = match self.lang {
            Lang::Fr => n < 2,
            Lang::En => n == 1,
        };
        if singular {
            one
        } else {
            many
        }
    }

    /// A text written with "(s)" ("remise(s) enregistrée(s)", "delivery(ies)") agreeing with a
    /// count, written as a number or as shown ("1 234"; "•", hidden, reads as many).
    pub fn agree(&self, n: impl std::fmt::Display, text: &str) -> String {
        let digits: String = n.to_string().chars().filter(char::is_ascii_digit).collect();
        let one = digits.parse::<u64>().ok().is_some_and(|n| self.noun(n, "1", "") == "1");
        if one {
            text.replace("(s)", "").replace("(ies)", "")
        } else {
            text.replace("(s)", "s").replace("y(ies)", "ies")
        }
    }

    /// A day in the reader's convention: 30/06/2024 in French, 30 Jun 2024 in English.
    pub fn day(&self, date: chrono::NaiveDate) -> String {
        domain::dates::shown(self.lang, date)
    }

    /// A day written YYYY-MM-DD, in the reader's convention; any other text as it is.
    pub fn day_text(&self, text: &str) -> String {
        domain::dates::stored_day(text).map_or_else(|| text.to_string(), |d| self.day(d))
    }

    /// A message of the domain's catalogue in the page's language.
    pub fn say(&self, message: &domain::Message) -> String {
        message.render(self.lang)
    }

    pub fn can_write(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.can_write_registry())
    }

    pub fn sees_records(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.sees_records())
    }

    /// Response plans are kept by information-management officers and administrators.
    pub fn keeps_plans(&self) -> bool {
        self.user.as_ref().is_some_and(|u| matches!(u.role, domain::Role::Admin | domain::Role::ImOfficer))
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == domain::Role::Admin)
    }

    pub fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }

    /// An HTML page for a store error: 404 for what does not exist or may not be seen, 403
    /// for what the role does not allow, 500 (logged without detail) otherwise.
    pub fn error(&self, error: StoreError) -> Response {
        let (status, title, text) = match &error {
            StoreError::NotFound(_) => {
                (StatusCode::NOT_FOUND, self.t.not_found_title, self.t.not_found_text.to_string())
            }
            StoreError::Forbidden(_) => {
                (StatusCode::FORBIDDEN, self.t.forbidden_title, self.t.forbidden_text.to_string())
            }
            StoreError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, self.t.busy_title, self.t.busy_text.to_string()),
            // What to correct, in the reader's language, field by field.
            StoreError::Invalid(fields) => {
                let lines: Vec<String> = fields
                    .0
                    .iter()
                    .map(|e| format!("{} : {}", pages::field_label(self, &e.field), self.say(&e.expected)))
                    .collect();
                (StatusCode::UNPROCESSABLE_ENTITY, self.t.invalid_title, lines.join(" ; "))
            }
            StoreError::Chronology(e) => (StatusCode::UNPROCESSABLE_ENTITY, self.t.invalid_title, e.render(self.lang)),
            StoreError::Conflict(message) => (StatusCode::CONFLICT, self.t.conflict_title, self.say(message)),
            _ => {
                tracing::error!(error = %error, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, self.t.error_title, self.t.error_text.to_string())
            }
        };
        (status, pages::message_page(self, title, &text)).into_response()
    }
}

/// Anything that counts people or records, by value or by reference (templates pass both).
pub trait Count {
    fn count(self) -> u64;
}

macro_rules! count_impl {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn count(self) -> u64 {
                u64::try_from(self).unwrap_or(0)
            }
        }
        impl Count for &$t {
            fn count(self) -> u64 {
                u64::try_from(*self).unwrap_or(0)
            }
        }
    )*};
}
count_impl!(u64, usize, i64, u32);

/// CSRF token of a session: derived from the session token, so it needs no storage and dies
/// with the session; a page from another site can neither read it nor guess it.
pub fn csrf_for(session_token: &str) -> String {
    store::auth::token_hash(&format!("djoliba-csrf\0{session_token}"))
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
pub(crate) fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn here(parts: &Parts) -> String {
    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
}

/// A page for anyone (sign-in, errors): language and demo flag, no user.
pub struct Visitor(pub Ctx);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = i18n::lang_from_headers(&parts.headers);
        Ok(Visitor(Ctx {
            lang,
            t: i18n::words(lang),
            user: None,
            csrf: crate::auth::cookie(&parts.headers, LOGIN_CSRF_COOKIE).unwrap_or_default(),
            demo: state.demo,
            here: here(parts),
            nav: "",
        }))
    }
}

/// A page for a signed-in user; anyone else is sent to sign in, and comes back after.
pub struct SignedIn {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl SignedIn {
    /// The refusal of a form whose CSRF token is not this session's; `None` when it is.
    pub fn csrf_refusal(&self, submitted: Option<&str>) -> Option<Response> {
        if submitted.is_some_and(|token| same(token, &self.ctx.csrf)) {
            return None;
        }
        let page = pages::message_page(&self.ctx, self.ctx.t.forbidden_title, self.ctx.t.session_expired);
        Some((StatusCode::FORBIDDEN, page).into_response())
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = i18n::lang_from_headers(&parts.headers);
        let to_login = || {
            let next = here(parts);
            let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/login?{query}")).into_response()
        };
        let Some(token) = crate::auth::cookie(&parts.headers, crate::auth::SESSION_COOKIE) else {
            return Err(to_login());
        };
        if !crate::auth::well_formed(&token) {
            return Err(to_login());
        }
        // The route's gate has usually looked the session up already.
        let actor = match parts.extensions.get::<Actor>() {
            Some(actor) => Some(actor.clone()),
            None => {
                let store = state.store.clone();
                let lookup = token.clone();
                tokio::task::spawn_blocking(move || store.session_actor(&lookup))
                    .await
                    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?
                    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?
            }
        };
        let Some(actor) = actor else { return Err(to_login()) };
        let nav = nav_of(parts.uri.path());
        Ok(SignedIn {
            ctx: Ctx {
                lang,
                t: i18n::words(lang),
                user: Some(actor.clone()),
                csrf: csrf_for(&token),
                demo: state.demo,
                here: here(parts),
                nav,
            },
            actor,
        })
    }
}

fn nav_of(path: &str) -> &'static str {
    match path {
        "/" => "dashboard",
        "/households/new" => "register",
        p if p.starts_with("/households") => "registry",
        p if p.starts_with("/import") => "import",
        p if p.starts_with("/duplicates") => "duplicates",
        p if p.starts_with("/figures") => "figures",
        p if p.starts_with("/series") => "series",
        p if p.starts_with("/factsheet") => "factsheet",
        p if p.starts_with("/assistance") => "assistance",
        p if p.starts_with("/plans") || p.starts_with("/reports") => "plans",
        p if p.starts_with("/who-what-where") => "who_what_where",
        p if p.starts_with("/funding") => "funding",
        p if p.starts_with("/admin") || p.starts_with("/audit") => "admin",
        p if p.starts_with("/sync") => "sync",
        p if p.starts_with("/account") => "account",
        _ => "",
    }
}

pub const LOGIN_CSRF_COOKIE: &str = "djoliba_login_csrf";

/// Renders a template, or a plain 500 if the template itself fails.
pub fn render(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

const STYLE: &str = include_str!("../../assets/style.css");
const SCRIPT: &str = include_str!("../../assets/app.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        body,
    )
        .into_response()
}

/// The pages' routes, each with who may open it. They live beside `/api/v1` and share its state.
pub fn routes(state: &AppState) -> crate::access::Routes {
    use crate::access::Access::*;
    use axum::http::Method;
    use pages::*;
    crate::access::Routes::new(state, "", true)
        .add(Method::GET, "/", SignedIn, get(dashboard))
        .add(Method::GET, "/login", Public, get(login_form))
        .add(Method::POST, "/login", Public, post(login))
        .add(Method::POST, "/logout", SignedIn, post(logout))
        .add(Method::GET, "/account", SignedIn, get(account::page))
        .add(Method::POST, "/account/password", SignedIn, post(account::change_password))
        .add(Method::GET, "/lang/{code}", Public, get(switch_language))
        .add(Method::GET, "/households", Records, get(registry))
        .add(Method::GET, "/households/new", Write, get(register_form))
        .add(Method::POST, "/households/new", Write, post(register))
        .add(Method::GET, "/households/{id}", Records, get(household))
        .add(Method::GET, "/households/{id}/receipt", Records, get(household_receipt))
        .add(Method::POST, "/households/{id}/movements/{movement}/void", Write, post(household_void_movement))
        .add(Method::POST, "/households/{id}/solutions", Write, post(household_record_solution))
        .add(Method::GET, "/households/{id}/movements", Write, get(movement_form))
        .add(Method::POST, "/households/{id}/movements", Write, post(record_movement))
        .add(Method::GET, "/households/{id}/members/new", Write, get(member_add_form))
        .add(Method::POST, "/households/{id}/members/new", Write, post(member_add))
        .add(Method::GET, "/households/{id}/members/{person}/edit", Write, get(member_correct_form))
        .add(Method::POST, "/households/{id}/members/{person}/edit", Write, post(member_correct))
        .add(Method::POST, "/households/{id}/members/{person}/remove", Write, post(member_remove))
        .add(Method::GET, "/households/{id}/edit", Write, get(edit_form))
        .add(Method::POST, "/households/{id}/edit", Write, post(edit))
        .add(Method::GET, "/duplicates", Write, get(duplicates))
        .add(Method::POST, "/duplicates/run", Write, post(run_duplicates))
        .add(Method::POST, "/duplicates/{id}", Write, post(decide_duplicate))
        .add(Method::GET, "/assistance", SignedIn, get(assistance))
        .add(Method::POST, "/assistance/programmes", Write, post(create_programme))
        .add(Method::GET, "/assistance/programmes/{id}", SignedIn, get(programme))
        .add(Method::POST, "/assistance/programmes/{id}/cycles", Write, post(create_round))
        .add(Method::GET, "/assistance/cycles/{id}", SignedIn, get(cycle))
        .add(Method::POST, "/assistance/cycles/{id}/status", Write, post(advance_round))
        .add(Method::POST, "/assistance/cycles/{id}/plan", Write, post(plan_round))
        .add(Method::POST, "/assistance/cycles/{id}/deliveries", Write, post(deliver))
        .add(Method::GET, "/assistance/cycles/{id}/list.xlsx", Write, get(list_xlsx))
        .add(Method::GET, "/assistance/cycles/{id}/print", Write, get(print_list))
        .add(Method::GET, "/assistance/cycles/{id}/payments.csv", Write, get(payments_csv))
        .add(Method::POST, "/assistance/cycles/{id}/returns", Write, post(import_returns))
        .add(Method::POST, "/assistance/cycles/{id}/samples", Write, post(draw_sample))
        .add(Method::GET, "/assistance/samples/{id}", Write, get(sample))
        .add(Method::GET, "/plans", SignedIn, get(plans))
        .add(Method::POST, "/plans", Write, post(create_plan))
        .add(Method::GET, "/plans/{id}", SignedIn, get(plan))
        .add(Method::POST, "/plans/{id}/indicators", Write, post(create_indicator))
        .add(Method::POST, "/plans/{id}/targets", Write, post(import_targets))
        .add(Method::POST, "/plans/{id}/target", Write, post(set_target))
        .add(Method::POST, "/plans/{id}/indicators/{code}", Write, post(update_indicator))
        .add(Method::POST, "/plans/{id}/reports", Write, post(submit_report))
        .add(Method::GET, "/who-what-where", SignedIn, get(who_what_where))
        .add(Method::POST, "/who-what-where", Write, post(import_who_what_where))
        .add(Method::POST, "/who-what-where/offices", Write, post(set_office_page))
        .add(Method::POST, "/who-what-where/offices/{id}/remove", Write, post(remove_office_page))
        .add(Method::POST, "/who-what-where/partners", Write, post(set_partner_page))
        .add(Method::GET, "/funding", SignedIn, get(funding))
        .add(Method::POST, "/funding", Write, post(import_funding))
        .add(Method::POST, "/reports/{id}/review", Write, post(review_report))
        .add(Method::POST, "/assistance/samples/{id}/answers", Write, post(record_answer))
        .add(Method::GET, "/figures", SignedIn, get(figures))
        .add(Method::GET, "/factsheet", SignedIn, get(factsheet_page))
        .add(Method::GET, "/factsheet/pdf", SignedIn, get(factsheet_pdf))
        .add(Method::GET, "/series", SignedIn, get(series))
        .add(Method::POST, "/series", Write, post(import_series))
        .add(Method::GET, "/series/{id}", SignedIn, get(series_detail))
        .add(Method::POST, "/series/{id}/remove", Write, post(remove_series))
        .add(Method::GET, "/import", Write, get(import_form))
        .add(Method::POST, "/import", Write, post(import))
        .add(Method::GET, "/import/progress", Write, get(import_progress))
        .add(Method::GET, "/sync", Write, get(sync))
        .add(Method::POST, "/sync/nodes", Admin, post(sync_enrol))
        .add(Method::POST, "/sync/nodes/{id}/revoke", Admin, post(sync_revoke))
        .add(Method::POST, "/sync/conflicts/resolve", Write, post(sync_resolve))
        .add(Method::GET, "/admin", Admin, get(admin))
        .add(Method::GET, "/audit", Admin, get(audit_page))
        .add(Method::POST, "/admin/users", Admin, post(admin_add_user))
        .add(Method::POST, "/admin/users/change", Admin, post(admin_change_user))
        .add(Method::POST, "/admin/agreements", Admin, post(admin_set_agreement))
        .add(Method::POST, "/admin/organisations", Admin, post(admin_add_organisation))
        .add(Method::POST, "/admin/tokens", Admin, post(admin_add_token))
        .add(Method::POST, "/admin/tokens/{id}/revoke", Admin, post(admin_revoke_token))
        .add(Method::GET, "/assets/style.css", Public, get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .add(Method::GET, "/assets/app.js", Public, get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
}

/// Headers for every page: no framing, no inline script or style, no sniffing, no referrer
/// leaking record ids to other sites.
pub fn page_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// A random token for the sign-in form's double-submit cookie.
#[allow(clippy::expect_used)] // without the system's randomness no token is safe: better stop
pub fn random_token() -> String {
    store::auth::random_hex(32).expect("the operating system provides randomness")
}

/// Imports running in this process. Every server sees every import through the database
/// (`store::import_work`); the one running it answers from here, with progress by the row
/// (and on SQLite, where the import holds the only writer, only from here).
#[derive(Clone, Default)]
pub struct Jobs(std::sync::Arc<std::sync::Mutex<HashMap<String, Job>>>);

#[derive(Clone)]
pub struct Job {
    user_id: String,
    pub file_names: String,
    pub phase: String,
    pub done: usize,
    pub total: usize,
    /// When progress was last written to the database.
    written: Option<std::time::Instant>,
    /// The outcome, when the database would not take it: shown from here instead.
    pub outcome: Option<String>,
}

/// Progress is written to the database at most this often.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn start(&self, id: &str, user_id: &str, file_names: String) {
        let job = Job {
            user_id: user_id.to_string(),
            file_names,
            phase: String::new(),
            done: 0,
            total: 0,
            written: None,
            outcome: None,
        };
        self.lock().insert(id.to_string(), job);
    }

    pub fn progress(&self, store: &store::Store, id: &str, phase: &str, done: usize, total: usize) {
        let write = {
            let mut jobs = self.lock();
            let Some(job) = jobs.get_mut(id) else { return };
            job.phase = phase.to_string();
            job.done = done;
            job.total = total;
            let due = job.written.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
            if due {
                job.written = Some(std::time::Instant::now());
            }
            due && store.shares_import_progress()
        };
        if write {
            if let Err(error) = store.import_job_progress(id, phase, done as u64, total as u64) {
                tracing::warn!(%error, "the progress of an import could not be written");
            }
        }
    }

    /// Stores the outcome for every server; kept here if the database would not take it.
    pub fn finish(&self, store: &store::Store, id: &str, outcome: String) {
        match store.finish_import_job(id, &outcome) {
            Ok(()) => {
                self.lock().remove(id);
            }
            Err(error) => {
                tracing::error!(%error, "the outcome of an import could not be stored");
                if let Some(job) = self.lock().get_mut(id) {
                    job.outcome = Some(outcome);
                }
            }
        }
    }

    /// The job, if it runs here, only for the user who started it.
    pub fn get(&self, id: &str, user_id: &str) -> Option<Job> {
        self.lock().get(id).filter(|j| j.user_id == user_id).cloned()
    }
}
