//! Page handlers: each gathers what its template shows through the store (on a blocking
//! thread), and renders. Forms post back to the same path; a form with errors is shown again
//! with what was typed and every error next to its field, translated.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Datelike, Months, NaiveDate};
use domain::codes::*;
use domain::registry::{HouseholdInput, MovementInput, PersonInput};
use domain::{FieldError, FieldErrors, IdentifierInput, Message};
use serde::Deserialize;
use store::registry::{HouseholdDetail, HouseholdFilter, HouseholdPatch, PersonFilter, Version};
use store::registry::{IfLikelyDuplicates, Registration};
use store::{Store, StoreError};

use super::charts::{self, Series};
use super::i18n::{Lang, LANG_COOKIE};
use super::{render, Ctx, SignedIn, Visitor, LOGIN_CSRF_COOKIE};
use crate::AppState;

/// Rows a page table shows at most (conflicts of a plan, follow-ups of a round): the rest is
/// counted beside it and left to the API, so a round of 100,000 households stays a page.
pub(super) const LONG_TABLE: usize = 200;

/// "42 %"; a share that rounds to nothing but is not nothing reads "< 1 %".
pub(super) fn percent(c: &Ctx, share: f64) -> String {
    let space = if c.lang == Lang::Fr { " " } else { "" };
    if share > 0.0 && share < 0.005 {
        return format!("< 1{space}%");
    }
    format!("{:.0}{space}%", share * 100.0)
}

/// Runs store calls on the blocking pool; a panic or a lost task is a 500.
pub(super) async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .unwrap_or_else(|_| Err(StoreError::Database("page task failed".into())))
}

/// A button that changes one thing and comes back: the CSRF check, the change on the blocking
/// pool, then a redirect to `back`; a refusal is its own page.
pub(super) async fn change_and_return<T: Send + 'static>(
    state: &AppState,
    page: SignedIn,
    csrf: Option<&str>,
    back: &str,
    change: impl FnOnce(&Store, &store::Actor) -> Result<T, StoreError> + Send + 'static,
) -> Response {
    if let Some(refused) = page.csrf_refusal(csrf) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    match blocking(state, move |store| change(store, &actor)).await {
        Ok(_) => Redirect::to(back).into_response(),
        Err(error) => c.error(error),
    }
}

mod admin;
mod assistance;
mod correction;
mod dashboard;
mod duplicates;
mod factsheet;
mod figures;
mod form;
pub(crate) use form::field_label;
mod funding;
mod household;
mod import;
mod members;
mod monitoring;
mod movement;
mod plans;
mod registration;
mod search;
mod series;
mod session;
mod sheets;
mod sync;
mod who_what_where;

pub use admin::*;
pub use assistance::*;
pub use correction::*;
pub use dashboard::*;
pub use duplicates::*;
pub use factsheet::{factsheet_page, factsheet_pdf};
pub use figures::*;
use form::*;
pub use funding::*;
pub use household::*;
pub use import::*;
pub use members::*;
pub use monitoring::{draw_sample, record_answer, sample};
pub use movement::*;
pub use plans::*;
pub use registration::*;
pub use search::*;
pub use series::{import_series, remove_series, series, series_detail};
pub use session::*;
pub use sync::{sync, sync_enrol, sync_resolve, sync_revoke};
pub use who_what_where::*;
