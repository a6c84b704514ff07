//! Duplicate registrations over HTTP: check a household before saving it, run detection over
//! the registry, and the review queue (accept, reject, undo).

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use store::duplicates::{Decision, DuplicatePair, LikelyDuplicate, RunReport};

use crate::api::{run, Json, Query};
use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// The registered people likely to be members of a household about to be registered (the
/// same body as registration; nothing is saved).
#[utoipa::path(post, path = "/api/v1/duplicates/check", tag = "duplicates", request_body = domain::registry::HouseholdInput,
    responses((status = 200, body = Vec<LikelyDuplicate>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(input): Json<domain::registry::HouseholdInput>,
) -> Result<Json<Vec<LikelyDuplicate>>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            actor.require_write()?;
            let household = input.parse(store.gazetteer.as_ref(), store.today())?;
            store.check_duplicates(&actor, &household)
        })
        .await?,
    ))
}

/// Runs duplicate detection over the registry in the user's scope: sure pairs merged (each
/// can be undone), uncertain ones queued for review.
#[utoipa::path(post, path = "/api/v1/duplicates/run", tag = "duplicates",
    responses((status = 200, body = RunReport), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn run_detection(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<RunReport>, ApiError> {
    Ok(Json(run(&state, move |store| store.run_duplicate_detection(&actor)).await?))
}

/// What the check before saving stands on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckState {
    /// The registry is indexed in memory (it is on the first check after a start).
    pub indexed: bool,
    /// Review decisions its model has learnt from.
    pub decisions_learnt: usize,
    /// A newer model, learning from the latest decisions, is being built.
    pub relearning: bool,
}

/// What the check before saving has learnt from: it relearns in the background after each
/// review decision.
#[utoipa::path(get, path = "/api/v1/duplicates/status", tag = "duplicates",
    responses((status = 200, body = CheckState), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<CheckState>, ApiError> {
    actor.require_write()?;
    let check = state.store.duplicate_check_status();
    Ok(Json(CheckState {
        indexed: check.is_some(),
        decisions_learnt: check.map_or(0, |c| c.decisions_learnt),
        relearning: check.is_some_and(|c| c.relearning),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PairsQuery {
    /// pending (default), accepted or rejected.
    pub status: Option<String>,
    pub limit: Option<i64>,
}

/// The review queue: pairs whose two people are both in the user's scope, strongest first.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "duplicates", params(PairsQuery),
    responses((status = 200, body = Vec<DuplicatePair>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<PairsQuery>,
) -> Result<Json<Vec<DuplicatePair>>, ApiError> {
    Ok(Json(run(&state, move |store| store.duplicate_pairs(&actor, q.status.as_deref(), q.limit.unwrap_or(50))).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// Why (optional, kept with the decision).
    #[serde(default)]
    pub reason: String,
}

async fn decide(
    state: AppState,
    actor: store::Actor,
    id: String,
    decision: Decision,
    reason: String,
) -> Result<Json<DuplicatePair>, ApiError> {
    Ok(Json(run(&state, move |store| store.decide_duplicate(&actor, &id, decision, &reason)).await?))
}

/// The same person: the later record becomes a duplicate of the earlier (both are kept).
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/accept", tag = "duplicates", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = DuplicatePair), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<DecisionInput>,
) -> Result<Json<DuplicatePair>, ApiError> {
    decide(state, actor, id, Decision::Accept, body.reason).await
}

/// Two different people.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/reject", tag = "duplicates", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = DuplicatePair), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<DecisionInput>,
) -> Result<Json<DuplicatePair>, ApiError> {
    decide(state, actor, id, Decision::Reject, body.reason).await
}

/// Back to the queue; an accepted merge is undone.
#[utoipa::path(post, path = "/api/v1/duplicates/{id}/undo", tag = "duplicates", params(("id" = String, Path)), request_body = DecisionInput,
    responses((status = 200, body = DuplicatePair), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn undo(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<DecisionInput>,
) -> Result<Json<DuplicatePair>, ApiError> {
    decide(state, actor, id, Decision::Undo, body.reason).await
}
