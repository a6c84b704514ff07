//! "My account": what a signed-in user does for themself (today, changing their password).

use askama::Template;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::blocking;
use super::{render, Ctx, SignedIn};
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Ctx,
    errors: Vec<String>,
}

pub async fn page(page: SignedIn) -> Response {
    render(&AccountPage { c: page.ctx, errors: Vec::new() })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes the password; every session of the user ends, so they sign in again with it.
pub async fn change_password(
    State(state): State<AppState>,
    page: SignedIn,
    Form(form): Form<PasswordForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx, actor } = page;
    if form.new_password != form.confirm_password {
        let errors = vec![format!("{} : {}", ctx.t.confirm_password, ctx.say(&domain::Message::SamePasswordTwice))];
        return (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&AccountPage { c: ctx, errors })).into_response();
    }
    let outcome =
        blocking(&state, move |store| store.change_own_password(&actor, &form.current_password, &form.new_password))
            .await;
    match outcome {
        Ok(()) => Redirect::to("/login?changed=1").into_response(),
        Err(store::StoreError::Invalid(fields)) => {
            let errors = fields
                .0
                .iter()
                .map(|e| {
                    let label = if e.field == "current_password" { ctx.t.current_password } else { ctx.t.new_password };
                    format!("{label} : {}", ctx.say(&e.expected))
                })
                .collect();
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&AccountPage { c: ctx, errors })).into_response()
        }
        Err(error) => ctx.error(error),
    }
}
