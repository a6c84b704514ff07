//! Sync: this node, the nodes it exchanges with (administrators enrol and revoke them), and the
//! conflicts a person resolves: both values of a field edited in two offices, with their
//! authors, or a household whose merged movements no longer hold together.

use store::sync::{Conflict, Enrolment, SyncStatus};

use super::*;

#[derive(Template)]
#[template(path = "sync.html")]
struct SyncPage {
    c: Ctx,
    /// `None` when this installation is not a sync node.
    status: Option<SyncStatus>,
    /// Computed on request only: it reads every synced record.
    fingerprint: Option<String>,
    /// Organisations' codes by id (a node's scope names them by id).
    organisation_codes: std::collections::HashMap<String, String>,
    conflicts: Vec<ShownConflict>,
    form: FormState,
    /// A node just enrolled: the command its operator runs, with its token, shown once.
    enrolled: Option<Enrolment>,
}

/// A conflict as the page shows it.
struct ShownConflict {
    conflict: Conflict,
    /// What kind of record, and which field, in the reader's words.
    record: &'static str,
    field: String,
    problem: Option<String>,
    values: Vec<ShownValue>,
}

/// One value kept: as stored, as shown, who set it and when (by their office's clock).
struct ShownValue {
    raw: Option<String>,
    text: String,
    author: String,
    at: String,
    shown: bool,
}

fn instant(c: &Ctx, ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| format!("{} {}", c.day(t.date_naive()), t.format("%H:%M")))
        .unwrap_or_default()
}

impl SyncPage {
    fn contact(&self, ms: &Option<i64>) -> String {
        ms.map_or_else(|| self.c.t.sync_never.to_string(), |ms| instant(&self.c, ms))
    }

    fn scope(&self, scope: &store::sync::Scope) -> String {
        let all = self.c.t.sync_all;
        let codes: Vec<&str> = scope
            .organisations
            .iter()
            .map(|id| self.organisation_codes.get(id).map_or(id.as_str(), String::as_str))
            .collect();
        let organisations = if codes.is_empty() { all.to_string() } else { codes.join(", ") };
        let regions = if scope.regions.is_empty() { all.to_string() } else { scope.regions.join(", ") };
        format!("{} : {organisations} · {} : {regions}", self.c.t.organisations, self.c.t.sync_regions)
    }
}

async fn sync_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    form: FormState,
    enrolled: Option<Enrolment>,
    fingerprint: bool,
) -> Response {
    let admin = c.is_admin();
    let loaded = blocking(state, move |store| {
        let node = store.sync_node()?;
        let (status, fingerprint) = match (&node, admin) {
            (Some(_), true) => {
                (Some(store.sync_status(&actor)?), if fingerprint { Some(store.sync_fingerprint()?) } else { None })
            }
            _ => (None, None),
        };
        let conflicts = if node.is_some() { store.sync_conflicts(&actor)? } else { Vec::new() };
        let codes = store.list_organisations()?.into_iter().map(|o| (o.id, o.code)).collect();
        Ok((status, fingerprint, conflicts, codes))
    })
    .await;
    let (status, fingerprint, conflicts, organisation_codes) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let conflicts = conflicts
        .into_iter()
        .map(|conflict| ShownConflict {
            record: record_kind(&c, &conflict.entity),
            field: match conflict.field.as_str() {
                "_timeline" => c.t.sync_timeline.to_string(),
                "_assistance" => c.t.sync_assistance.to_string(),
                field => field_label(&c, field),
            },
            problem: conflict.problem.as_ref().and_then(|p| p.get(c.lang.code()).cloned()),
            values: conflict
                .values
                .iter()
                .map(|v| ShownValue {
                    raw: v.value.clone(),
                    text: match &v.value {
                        // A code is shown by its name in the reader's language.
                        Some(value) if CODE_FIELDS.contains(&conflict.field.as_str()) => c.label(value),
                        Some(value) => value.clone(),
                        None => c.t.sync_empty.to_string(),
                    },
                    author: match (&v.author_name, &v.office) {
                        (Some(name), Some(office)) => format!("{name} ({office})"),
                        (Some(name), None) => name.clone(),
                        (None, Some(office)) => format!("{} ({office})", c.t.sync_other_office),
                        (None, None) => c.t.sync_other_office.to_string(),
                    },
                    at: instant(&c, v.at),
                    shown: v.shown,
                })
                .collect(),
            conflict,
        })
        .collect();
    let status_code = if form.errors.is_empty() && form.general.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SyncPage { status, fingerprint, organisation_codes, conflicts, form, enrolled, c };
    (status_code, render(&page)).into_response()
}

/// Fields whose values are codes of a list.
const CODE_FIELDS: [&str; 12] = [
    "intention",
    "shelter_type",
    "population_group",
    "sex",
    "relationship",
    "kind",
    "cause",
    "status",
    "level",
    "role",
    "modality",
    "outcome",
];

/// The kind of record a conflict is on, in the reader's language.
fn record_kind(c: &Ctx, entity: &str) -> &'static str {
    let t = c.t;
    match entity {
        "person" => t.person,
        "movement" => t.movement_one,
        "solution" => t.solutions,
        "organisation" => t.organisation,
        "user" => t.sync_kind_user,
        "agreement" => t.sync_kind_agreement,
        "implementing_partner" => t.partner_h,
        "office" => t.sync_kind_office,
        "site" => t.sync_kind_site,
        "duplicate_pair" => t.sync_kind_pair,
        "programme" => t.programme,
        "cycle" => t.sync_kind_round,
        "entitlement" => t.sync_kind_entitlement,
        "delivery" => t.sync_kind_delivery,
        "monitoring_sample" | "monitoring_answer" => t.sync_kind_monitoring,
        "response_plan" => t.plan_noun,
        "indicator" => t.indicator,
        "indicator_target" => t.sync_kind_target,
        "activity_report" => t.sync_kind_report,
        "project" => t.project,
        "funding_flow" => t.sync_kind_flow,
        "funding_requirement" => t.sync_kind_requirement,
        "budget" => t.budget,
        "activity_row" => t.sync_kind_activity,
        "series" | "series_version" => t.sync_kind_series,
        _ => t.household,
    }
}

/// `?fingerprint=1` computes the registry's fingerprint.
#[derive(Debug, Deserialize)]
pub struct SyncQuery {
    #[serde(default)]
    fingerprint: Option<String>,
}

pub async fn sync(State(state): State<AppState>, page: SignedIn, Query(q): Query<SyncQuery>) -> Response {
    sync_page(&state, page.ctx, page.actor, FormState::default(), None, q.fingerprint.is_some()).await
}

/// Enrols a field node (administrators): its token is shown once, in the command to run there.
pub async fn sync_enrol(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let node = store::sync::NodeInfo {
        node_id: form.v("node_id").trim().to_string(),
        name: form.v("name").trim().to_string(),
        epoch: 0,
        public_key: form.v("public_key").trim().to_string(),
    };
    let organisations = form.list("organisations");
    let regions = form.list("regions");
    let who = actor.clone();
    match blocking(&state, move |store| store.sync_enrol(&who, &node, &organisations, &regions)).await {
        Ok(enrolment) => sync_page(&state, c, actor, FormState::default(), Some(enrolment), false).await,
        Err(error) => match form.fail(&c, error) {
            Some(response) => response,
            None => sync_page(&state, c, actor, form, None, false).await,
        },
    }
}

pub async fn sync_revoke(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    change_and_return(&state, page, form.csrf.as_deref(), "/sync", move |store, actor| store.sync_revoke(actor, &id))
        .await
}

/// Settles a disputed field with the value chosen (one kept, or another typed).
pub async fn sync_resolve(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (entity, entity_id, field) =
        (form.v("entity").to_string(), form.v("entity_id").to_string(), form.v("field").to_string());
    let value = match form.v("choice") {
        "" | "_other" => form.opt("other").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()),
        "_empty" => None,
        chosen => Some(chosen.to_string()),
    };
    let who = actor.clone();
    match blocking(&state, move |store| store.sync_resolve(&who, &entity, &entity_id, &field, value.as_deref())).await {
        Ok(()) => Redirect::to("/sync#conflicts").into_response(),
        Err(error) => c.error(error),
    }
}
