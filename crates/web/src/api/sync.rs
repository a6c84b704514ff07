//! Sync over HTTP. Nodes call the routes under `/sync/` with the token they got when they were
//! enrolled (`Access::Node`); administrators enrol nodes and see the node's state; people who
//! change the registry resolve conflicts.

use axum::body::Bytes;
use store::sync::{Conflict, Enrolment, NodeInfo, Received, SyncStatus, Vector};

use super::*;
use crate::access::NodeCaller;

/// This node and what it holds.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeVector {
    pub node: NodeInfo,
    #[schema(value_type = Object)]
    pub vector: Vector,
}

/// This node and the highest change number it holds per origin: what a caller pushes.
#[utoipa::path(get, path = "/api/v1/sync/vector", tag = "sync",
    responses((status = 200, body = NodeVector), (status = 401, body = ErrorBody)), security(("node" = [])))]
pub async fn vector(
    State(state): State<AppState>,
    NodeCaller(_node): NodeCaller,
) -> Result<Json<NodeVector>, ApiError> {
    Ok(Json(
        run(&state, |store| {
            let node = store.sync_node()?.ok_or(StoreError::NotFound("sync node"))?;
            Ok(NodeVector { node, vector: store.sync_vector()? })
        })
        .await?,
    ))
}

/// Receives a sealed batch (`application/octet-stream`) from the calling node: applied whole
/// or not at all; a replay changes nothing. Answers what was applied, refused (with the
/// reason) or waits, and what this node now holds.
#[utoipa::path(post, path = "/api/v1/sync/changes", tag = "sync", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Received), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("node" = [])))]
pub async fn receive(
    State(state): State<AppState>,
    NodeCaller(node): NodeCaller,
    body: Bytes,
) -> Result<Json<Received>, ApiError> {
    let received = run(&state, move |store| {
        let batch = store.sync_open(&body)?;
        if batch.from != node {
            return Err(StoreError::Forbidden("a node sends its own batches"));
        }
        store.sync_receive(batch)
    })
    .await?;
    if received.applied > 0 {
        // The households received are checked for duplicates beside the exchange, which does
        // not wait for it; the queue is complete when read (it checks what is left).
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(error) = store.check_arrivals_unless_running() {
                tracing::warn!(%error, "households received by sync were not checked for duplicates");
            }
        });
    }
    Ok(Json(received))
}

/// What a node asks for: what it holds.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PullRequest {
    #[schema(value_type = Object)]
    pub vector: Vector,
}

/// The changes the calling node lacks, in one sealed batch of at most 64 KiB; the header
/// `x-djoliba-more: true` says to ask again.
#[utoipa::path(post, path = "/api/v1/sync/pull", tag = "sync", request_body = PullRequest,
    responses((status = 200, body = Vec<u8>, content_type = "application/octet-stream"), (status = 401, body = ErrorBody)),
    security(("node" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    NodeCaller(node): NodeCaller,
    Json(request): Json<PullRequest>,
) -> Result<Response, ApiError> {
    let (sealed, _, more) = run(&state, move |store| {
        store.sync_contact(&node, &request.vector)?;
        store.sync_sealed_for(&node, &request.vector, store::sync::BATCH_BYTES)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::HeaderName::from_static("x-djoliba-more"), if more { "true" } else { "false" }),
        ],
        sealed,
    )
        .into_response())
}

/// The node, its peers (last contact, changes they have not acknowledged), what waits, what
/// was refused and the conflicts open.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "sync",
    responses((status = 200, body = SyncStatus), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<SyncStatus>, ApiError> {
    Ok(Json(run(&state, move |store| store.sync_status(&actor)).await?))
}

/// A field node to enrol: its identity as `djoliba sync init` printed it, and what it receives.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EnrolInput {
    pub node_id: String,
    pub name: String,
    pub public_key: String,
    /// Organisation codes; empty for all.
    #[serde(default)]
    pub organisations: Vec<String>,
    /// Région P-codes (admin 1); empty for all.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Enrols a field node; the token in the answer is shown once.
#[utoipa::path(post, path = "/api/v1/sync/nodes", tag = "sync", request_body = EnrolInput,
    responses((status = 200, body = Enrolment), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn enrol(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(input): Json<EnrolInput>,
) -> Result<Json<Enrolment>, ApiError> {
    Ok(Json(
        run(&state, move |store| {
            let node = NodeInfo { node_id: input.node_id, name: input.name, epoch: 0, public_key: input.public_key };
            store.sync_enrol(&actor, &node, &input.organisations, &input.regions)
        })
        .await?,
    ))
}

/// Stops exchanging with a node.
#[utoipa::path(post, path = "/api/v1/sync/nodes/{id}/revoke", tag = "sync", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.sync_revoke(&actor, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fields with two values kept, and households whose merged movements no longer form a
/// consistent chronology, among the households the user may see.
#[utoipa::path(get, path = "/api/v1/sync/conflicts", tag = "sync",
    responses((status = 200, body = Vec<Conflict>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn conflicts(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vec<Conflict>>, ApiError> {
    Ok(Json(run(&state, move |store| store.sync_conflicts(&actor)).await?))
}

/// The value a person chose for a disputed field.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    /// One of the values kept, another, or null to empty the field.
    pub value: Option<String>,
}

/// Settles a disputed field: an edit that replaces every value kept, shipped like any other.
#[utoipa::path(post, path = "/api/v1/sync/conflicts/resolve", tag = "sync", request_body = Resolution,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(r): Json<Resolution>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.sync_resolve(&actor, &r.entity, &r.entity_id, &r.field, r.value.as_deref())).await?;
    Ok(StatusCode::NO_CONTENT)
}
