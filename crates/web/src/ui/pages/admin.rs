//! Administration: users, organisations, agreements, API tokens, the audit chain.

use super::*;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Ctx,
    users: Vec<store::auth::User>,
    organisations: Vec<store::auth::Organisation>,
    /// Each agreement: from, to, and its level in the reader's language.
    agreements: Vec<(String, String, String)>,
    /// The sharing levels, code and label.
    levels: Vec<(String, String)>,
    audit_ok: bool,
    audit_detail: String,
    audit: Vec<AuditRow>,
    /// The account just changed (after the change form).
    changed: Option<String>,
    roles: Vec<(String, String)>,
    form: FormState,
    tokens: Vec<store::tokens::ApiToken>,
    /// A token just created: its secret, shown this once.
    new_token: Option<String>,
}

async fn admin_page(state: &AppState, c: Ctx, actor: store::Actor, form: FormState) -> Response {
    admin_page_with(state, c, actor, form, None, None).await
}

async fn admin_page_with(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    form: FormState,
    new_token: Option<String>,
    changed: Option<String>,
) -> Response {
    if !c.is_admin() {
        return c.error(StoreError::Forbidden("administration"));
    }
    let loaded = blocking(state, move |store| {
        Ok((
            store.list_users()?,
            store.list_organisations()?,
            store.agreements()?,
            store.verify_audit()?,
            store.audit_entries(&actor, 30, 0)?,
            store.tokens(&actor, None)?,
        ))
    })
    .await;
    let (users, organisations, agreements, check, audit, tokens) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let status = if form.errors.is_empty() && form.general.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AdminPage {
        roles: options(&c, Role::ALL, Role::as_str),
        audit_ok: check.problem.is_none(),
        audit_detail: match check.problem {
            Some(problem) => problem,
            None => c.num(check.rows as u64),
        },
        users,
        organisations,
        agreements: agreements.into_iter().map(|a| (a.from, a.to, sharing_label(&c, &a.level).to_string())).collect(),
        levels: store::auth::SHARING_LEVELS.iter().map(|l| (l.to_string(), sharing_label(&c, l).to_string())).collect(),
        audit: audit.into_iter().map(|e| audit_row(&c, e)).collect(),
        form,
        tokens,
        new_token,
        changed,
        c,
    };
    (status, render(&page)).into_response()
}

/// Creates an API token for a user; its secret is shown on the page once.
pub async fn admin_add_token(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let scope = if form.v("token_scope") == "write" {
        store::tokens::TokenScope::Write
    } else {
        store::tokens::TokenScope::Read
    };
    let (user, name) = (form.v("token_user").to_string(), form.v("token_name").to_string());
    let days = form.opt("token_days").and_then(|d| d.parse().ok()).unwrap_or(90);
    let who = actor.clone();
    match blocking(&state, move |store| store.create_token(&who, &user, &name, scope, days)).await {
        Ok(token) => admin_page_with(&state, c, actor, FormState::default(), Some(token.token), None).await,
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => admin_page(&state, c, actor, form).await,
        },
    }
}

pub async fn admin_revoke_token(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    change_and_return(&state, page, form.csrf.as_deref(), "/admin", move |store, actor| store.revoke_token(actor, &id))
        .await
}

/// `?changed=USERNAME` after the change form.
#[derive(Deserialize, Default)]
pub struct AdminQuery {
    changed: Option<String>,
}

pub async fn admin(State(state): State<AppState>, page: SignedIn, Query(q): Query<AdminQuery>) -> Response {
    admin_page_with(&state, page.ctx, page.actor, FormState::default(), None, q.changed).await
}

/// Changes an account: its role, régions, status and password, each when given (the form's
/// blank choices leave it as it is). All or nothing, each change audited.
pub async fn admin_change_user(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let username = form.v("username").trim().to_lowercase();
    let role = match form.opt("role").map(|r| Role::parse("role", &r)).transpose() {
        Ok(role) => role,
        Err(error) => {
            form.errors.push(shown(&c, error));
            return admin_page(&state, c, actor, form).await;
        }
    };
    let regions: Option<Vec<String>> = if form.v("all_regions") == "1" {
        Some(Vec::new())
    } else {
        Some(form.list("regions")).filter(|r| !r.is_empty())
    };
    let status = form.opt("status");
    let password = form.opt("password");
    let revoke_tokens = form.v("revoke_tokens") == "1";
    let (who, name) = (actor.clone(), username.clone());
    let changed = blocking(&state, move |store| {
        // What can be refused is checked before anything is changed.
        if let Some(regions) = &regions {
            store.check_regions(regions)?;
        }
        if let Some(password) = &password {
            store::auth::check_password_strength(password, &name)?;
        }
        // An account to change is chosen in the list: another name is a mistake in the form.
        let names: Vec<String> = store.list_users()?.into_iter().map(|u| u.username).collect();
        if !names.contains(&name) {
            return Err(StoreError::invalid(
                "username",
                name.as_str(),
                domain::Message::OneOf { codes: names.join(", ") },
            ));
        }
        if let Some(role) = role {
            store.set_user_role(&who, &name, role)?;
        }
        if let Some(regions) = &regions {
            store.set_user_regions(&who, &name, regions)?;
        }
        match status.as_deref() {
            Some("active") => store.set_user_disabled(&who, &name, false)?,
            Some("disabled") => store.set_user_disabled(&who, &name, true)?,
            _ => {}
        }
        if let Some(password) = &password {
            store.set_password(&who, &name, password, revoke_tokens)?;
        }
        Ok(())
    })
    .await;
    match changed {
        Ok(()) => {
            let query = serde_urlencoded::to_string([("changed", username.as_str())]).unwrap_or_default();
            Redirect::to(&format!("/admin?{query}")).into_response()
        }
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => {
                form.values.remove("password");
                admin_page(&state, c, actor, form).await
            }
        },
    }
}

pub async fn admin_add_user(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let role = match Role::parse("role", form.v("role")) {
        Ok(role) => role,
        Err(error) => {
            form.errors.push(shown(&c, error));
            return admin_page(&state, c, actor, form).await;
        }
    };
    let (username, password, organisation) =
        (form.v("username").trim().to_string(), form.v("password").to_string(), form.opt("organisation"));
    let regions: Vec<String> = form.list("regions");
    let who = actor.clone();
    let created = blocking(&state, move |store| {
        store.check_regions(&regions)?;
        let user = store.create_user(&who, &username, role, organisation.as_deref(), &password)?;
        if !regions.is_empty() {
            store.set_user_regions(&who, &username, &regions)?;
        }
        Ok(user)
    })
    .await;
    match created {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => {
                form.values.remove("password");
                admin_page(&state, c, actor, form).await
            }
        },
    }
}

pub async fn admin_add_organisation(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (code, name) = (form.v("code").trim().to_string(), form.v("name").trim().to_string());
    let who = actor.clone();
    match blocking(&state, move |store| store.create_organisation(&who, &code, &name)).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => admin_page(&state, c, actor, form).await,
        },
    }
}

/// An audit row as the log shows it: what was done and on what, in the reader's language.
struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
}

fn audit_row(c: &Ctx, e: store::audit::AuditEntry) -> AuditRow {
    let label =
        |code: &str| domain::messages::audit_label(c.lang, code).map_or_else(|| code.to_string(), str::to_string);
    AuditRow {
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: label(&e.action),
        entity: label(&e.entity),
        entity_id: e.entity_id,
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Ctx,
    users: Vec<String>,
    /// Action codes and their labels, in the reader's language.
    actions: Vec<(String, String)>,
    user: String,
    action: String,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    /// Query strings of the previous and next pages.
    newer: Option<String>,
    older: Option<String>,
}

/// The audit log's filter, as the page's form sends it.
#[derive(Deserialize, Default)]
pub struct AuditPageQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    offset: i64,
}

/// Rows of the log per page.
const AUDIT_PAGE: i64 = 100;

/// The audit log, filtered by user, action and days, a hundred rows at a time (administrators).
pub async fn audit_page(State(state): State<AppState>, page: SignedIn, Query(q): Query<AuditPageQuery>) -> Response {
    let c = page.ctx;
    if !c.is_admin() {
        return c.error(StoreError::Forbidden("administration"));
    }
    let filter = store::audit::AuditFilter {
        user: Some(q.user.clone()),
        action: Some(q.action.clone()),
        from: Some(q.from.clone()),
        to: Some(q.to.clone()),
    };
    let actor = page.actor;
    let offset = q.offset.max(0);
    let loaded = blocking(&state, move |store| {
        let mut users: Vec<String> = store.list_users()?.into_iter().map(|u| u.username).collect();
        users.push("system".into());
        users.sort();
        // One more row than shown says whether an older page exists.
        Ok((users, store.audit_search(&actor, &filter, AUDIT_PAGE + 1, offset)?))
    })
    .await;
    let (users, mut rows) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let more = rows.len() as i64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    let at = |offset: i64| {
        serde_urlencoded::to_string([
            ("user", q.user.as_str()),
            ("action", q.action.as_str()),
            ("from", q.from.as_str()),
            ("to", q.to.as_str()),
            ("offset", &offset.to_string()),
        ])
        .ok()
    };
    let actions = domain::messages::AUDIT_ACTIONS
        .iter()
        .map(|(code, fr, en)| (code.to_string(), if c.lang == domain::Lang::Fr { fr } else { en }.to_string()))
        .collect();
    render(&AuditPage {
        rows: rows.into_iter().map(|e| audit_row(&c, e)).collect(),
        users,
        actions,
        newer: (offset > 0).then(|| at((offset - AUDIT_PAGE).max(0))).flatten(),
        older: more.then(|| at(offset + AUDIT_PAGE)).flatten(),
        user: q.user,
        action: q.action,
        from: q.from,
        to: q.to,
        c,
    })
    .into_response()
}

/// A sharing level in the reader's language.
fn sharing_label(c: &Ctx, level: &str) -> &'static str {
    match level {
        "aggregates" => c.t.sharing_aggregates,
        "pseudonymised" => c.t.sharing_pseudonymised,
        "full" => c.t.sharing_full,
        _ => c.t.sharing_none,
    }
}

/// Records (or changes) what one organisation may see of another's records.
pub async fn admin_set_agreement(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (from, to, level) = (form.v("from").to_string(), form.v("to").to_string(), form.v("level").to_string());
    let who = actor.clone();
    match blocking(&state, move |store| store.set_agreement(&who, &from, &to, &level)).await {
        Ok(_) => Redirect::to("/admin").into_response(),
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => admin_page(&state, c, actor, form).await,
        },
    }
}
