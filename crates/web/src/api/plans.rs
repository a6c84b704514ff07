//! Response plans: indicators, targets and people in need, and progress against them.

use axum::extract::Multipart;
use domain::plans::{IndicatorInput, PlanInput, ReportInput, TargetInput};
use store::plans::{Indicator, Plan, PlanProgress, Report, Target, TargetsImport, TargetsReport};

use super::*;

/// Every response plan with its indicators: not personal data.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", responses((status = 200, body = Vec<Plan>)), security(("bearer" = [])))]
pub async fn list_plans(State(state): State<AppState>, _signed_in: Authenticated) -> Result<Json<Vec<Plan>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_plans()).await?))
}

/// Creates a response plan (information-management officers and administrators).
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<PlanInput>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    Ok((StatusCode::CREATED, Json(run(&state, move |store| store.create_plan(&actor, &body)).await?)))
}

/// A plan (by id or code) with its indicators.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = String, Path)),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_plan(
    State(state): State<AppState>,
    _signed_in: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Plan>, ApiError> {
    Ok(Json(run(&state, move |store| store.plan(&id)).await?))
}

/// Adds an indicator to a plan, in one of its sectors.
#[utoipa::path(post, path = "/api/v1/plans/{id}/indicators", tag = "plans", params(("id" = String, Path)), request_body = IndicatorInput,
    responses((status = 201, body = Indicator), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_indicator(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<IndicatorInput>,
) -> Result<(StatusCode, Json<Indicator>), ApiError> {
    Ok((StatusCode::CREATED, Json(run(&state, move |store| store.create_indicator(&actor, &id, &body)).await?)))
}

/// Changes an indicator (by its code): names, sector, disaggregations and kinds counted any
/// time; its unit and aggregation rules only while no partner has reported it (409 after).
#[utoipa::path(put, path = "/api/v1/plans/{id}/indicators/{code}", tag = "plans", params(("id" = String, Path), ("code" = String, Path)), request_body = IndicatorInput,
    responses((status = 200, body = Indicator), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_indicator(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path((id, code)): Path<(String, String)>,
    Json(body): Json<IndicatorInput>,
) -> Result<Json<Indicator>, ApiError> {
    Ok(Json(run(&state, move |store| store.update_indicator(&actor, &id, &code, &body)).await?))
}

/// The plan's targets and people in need, by indicator, place and period.
#[utoipa::path(get, path = "/api/v1/plans/{id}/targets", tag = "plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Target>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_targets(
    State(state): State<AppState>,
    _signed_in: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<Target>>, ApiError> {
    Ok(Json(run(&state, move |store| store.plan_targets(&id)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetsQuery {
    /// Check every row and report, write nothing.
    pub dry_run: Option<bool>,
}

/// Imports targets and people in need (`multipart/form-data`, one `file` part, CSV or XLSX
/// with HXL hashtags `#indicator+code`, `#adm1+code` or `#adm2+code`, `#date+start`,
/// `#date+end`, `#targeted`, `#inneed`). All or nothing: with any bad cell the answer is 422
/// with every one; importing the same sheet again changes nothing.
#[utoipa::path(post, path = "/api/v1/plans/{id}/targets", tag = "plans", params(("id" = String, Path), TargetsQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "a file part"),
    responses((status = 200, body = TargetsImport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = TargetsImport)), security(("bearer" = [])))]
pub async fn import_targets(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(q): Query<TargetsQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    // Who may import comes before what was sent.
    store::plans::require_plan_writer(&actor)?;
    let file = file_part(&mut multipart, "targets").await?;
    let dry_run = q.dry_run.unwrap_or(false);
    sheet_import(
        &state,
        move |store| store.import_targets_file(&actor, &id, file, dry_run),
        |o: &TargetsImport| !o.errors.is_empty(),
    )
    .await
}

/// Sets one target or people-in-need figure by hand, for an indicator × place × period: checked
/// as a sheet's row is (indicator of the plan, région or cercle, period within the plan);
/// the same figure again changes nothing.
#[utoipa::path(put, path = "/api/v1/plans/{id}/target", tag = "plans", params(("id" = String, Path)), request_body = TargetInput,
    responses((status = 200, body = TargetsReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_target(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<TargetInput>,
) -> Result<Json<TargetsReport>, ApiError> {
    Ok(Json(run(&state, move |store| store.set_target(&actor, &id, &body)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// json (default), csv or xlsx (HXL-tagged, a row per indicator, place and period; the
    /// import reads it back).
    pub format: Option<String>,
}

/// Targets beside people (or households) reached, counted once from deliveries of each
/// indicator's kinds of assistance, and the displaced people the registry holds at each
/// place. Viewers get reached for the whole plan only, small counts hidden.
#[utoipa::path(get, path = "/api/v1/plans/{id}/progress", tag = "plans", params(("id" = String, Path), ProgressQuery),
    responses((status = 200, body = PlanProgress), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn progress(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, ApiError> {
    use super::figures::{download, parse_format, Format};
    let format = parse_format(q.format.as_deref())?;
    let progress = run(&state, move |store| store.plan_progress(&actor, &id)).await?;
    let name = format!("djoliba-targets-{}", progress.plan);
    let table = || progress.hxl_table(&state.store.gazetteer);
    Ok(match format {
        Format::Json => Json(progress).into_response(),
        Format::Csv => download(exchange::figures::csv(&table())?, format, &name),
        Format::Xlsx => download(exchange::figures::xlsx(&[table()])?, format, &name),
    })
}

/// A plan's partner reports, the latest month first (readers of records).
#[utoipa::path(get, path = "/api/v1/plans/{id}/reports", tag = "plans", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Report>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_reports(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<Report>>, ApiError> {
    Ok(Json(run(&state, move |store| store.plan_reports(&actor, &id)).await?))
}

/// Submits the user's organisation's report of an indicator at a région or cercle for a month
/// that is over (or replaces its submitted or sent-back one; an accepted one is locked).
#[utoipa::path(post, path = "/api/v1/plans/{id}/reports", tag = "plans", params(("id" = String, Path)), request_body = ReportInput,
    responses((status = 200, body = Report), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn submit_report(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<ReportInput>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(run(&state, move |store| store.submit_report(&actor, &id, &body)).await?))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// `accept` or `send_back`.
    pub decision: String,
    /// What to correct (required to send back).
    pub comment: Option<String>,
}

/// Accepts a submitted report (it is then locked) or sends it back with a comment.
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", tag = "plans", params(("id" = String, Path)), request_body = ReviewInput,
    responses((status = 200, body = Report), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn review_report(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<ReviewInput>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(run(&state, move |store| store.review_report(&actor, &id, &body.decision, body.comment.as_deref())).await?))
}
