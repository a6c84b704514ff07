//! Assistance: programmes, distribution rounds, planning, deliveries and reach.

use axum::extract::Multipart;
use domain::assistance::{CycleInput, DeliveryInput, MonitoringInput, ProgrammeInput};
use domain::Message;
use store::assistance::{
    Cycle, Delivery, FollowUp, MonitoringRow, MonitoringSample, PlanFilter, PlanReport, Programme, Reach, ReturnsError,
    ReturnsReport,
};

use super::*;

/// Every programme (what organisations deliver, with the entitlement rule): not personal data.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "assistance", responses((status = 200, body = Vec<Programme>)), security(("bearer" = [])))]
pub async fn list_programmes(
    State(state): State<AppState>,
    _signed_in: Authenticated,
) -> Result<Json<Vec<Programme>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_programmes()).await?))
}

/// Creates a programme of the user's organisation.
#[utoipa::path(post, path = "/api/v1/programmes", tag = "assistance", request_body = ProgrammeInput,
    responses((status = 201, body = Programme), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_programme(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Json(body): Json<ProgrammeInput>,
) -> Result<(StatusCode, Json<Programme>), ApiError> {
    let created = run(&state, move |store| store.create_programme(&actor, &body)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/programmes/{id}", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = Programme), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_programme(
    State(state): State<AppState>,
    _signed_in: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Programme>, ApiError> {
    Ok(Json(run(&state, move |store| store.programme(&id)).await?))
}

/// The programme's distribution rounds, with what was planned and delivered.
#[utoipa::path(get, path = "/api/v1/programmes/{id}/cycles", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Cycle>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_cycles(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<Cycle>>, ApiError> {
    Ok(Json(run(&state, move |store| store.list_cycles(&actor, &id)).await?))
}

/// Opens a distribution round (as a draft) within the programme's period.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/cycles", tag = "assistance", params(("id" = String, Path)), request_body = CycleInput,
    responses((status = 201, body = Cycle), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_cycle(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<CycleInput>,
) -> Result<(StatusCode, Json<Cycle>), ApiError> {
    let created = run(&state, move |store| store.create_cycle(&actor, &id, &body)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/cycles/{id}", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = Cycle), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_cycle(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Cycle>, ApiError> {
    Ok(Json(run(&state, move |store| store.cycle(&actor, &id)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceRequest {
    /// The next stage: `approved`, `distributing` or `closed`.
    pub status: String,
}

/// Moves a round on to its next stage.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/status", tag = "assistance", params(("id" = String, Path)), request_body = AdvanceRequest,
    responses((status = 200, body = Cycle), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn advance_cycle(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<AdvanceRequest>,
) -> Result<Json<Cycle>, ApiError> {
    Ok(Json(run(&state, move |store| store.advance_cycle(&actor, &id, &body.status)).await?))
}

/// Plans a draft round from a registry filter or a list of households, with the
/// duplicate-assistance check: households with someone already entitled to this kind of
/// assistance over the period are left out and listed, unless overridden with a reason.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/plan", tag = "assistance", params(("id" = String, Path)), request_body = PlanFilter,
    responses((status = 200, body = PlanReport), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn plan_cycle(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<PlanFilter>,
) -> Result<Json<PlanReport>, ApiError> {
    Ok(Json(run(&state, move |store| store.plan_cycle(&actor, &id, &body)).await?))
}

/// Records a delivery (or a service) to a household planned in the round.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/deliveries", tag = "assistance", params(("id" = String, Path)), request_body = DeliveryInput,
    responses((status = 201, body = Delivery), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn record_delivery(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<DeliveryInput>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let created = run(&state, move |store| store.record_delivery(&actor, &id, &body)).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReachQuery {
    /// First day (YYYY-MM-DD).
    pub from: String,
    /// Last day (YYYY-MM-DD).
    pub to: String,
    /// Level of places: 1 région, 2 cercle (default), 3 commune, 4 site (with each commune's reach off any site).
    pub level: Option<i64>,
    /// json (default), csv or xlsx (both HXL-tagged, a row per sector, kind and place).
    pub format: Option<String>,
}

/// People and households reached over a period, each counted once, by sector, kind of
/// assistance and place.
#[utoipa::path(get, path = "/api/v1/assistance/reach", tag = "assistance", params(ReachQuery),
    responses((status = 200, body = Reach), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reach(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<ReachQuery>,
) -> Result<Response, ApiError> {
    use super::figures::{download, parse_format, Format};
    let format = parse_format(q.format.as_deref())?;
    let reach = run(&state, move |store| store.reach(&actor, &q.from, &q.to, q.level.unwrap_or(2))).await?;
    let name = format!("djoliba-reach-{}-{}-adm{}", reach.from, reach.to, reach.level);
    let table = || reach.hxl_table(&state.store.gazetteer);
    Ok(match format {
        Format::Json => Json(reach).into_response(),
        Format::Csv => download(exchange::figures::csv(&table())?, format, &name),
        Format::Xlsx => download(exchange::figures::xlsx(&[table()])?, format, &name),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `xlsx` (default: the list for the field) or `payments` (the mobile-money CSV: phone,
    /// amount, reference for those still owed).
    pub format: Option<String>,
    /// Language of the workbook's headers and labels: `fr` (default) or `en`.
    pub lang: Option<String>,
}

/// A round's whole distribution list, for those who deliver it; audited.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/list", tag = "assistance", params(("id" = String, Path), ListQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn distribution_list(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let lang = match q.lang.as_deref().unwrap_or("fr") {
        "fr" => domain::Lang::Fr,
        "en" => domain::Lang::En,
        other => return Err(StoreError::invalid("lang", other, Message::OneOf { codes: "fr, en".into() }).into()),
    };
    let payments = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => false,
        "payments" => true,
        other => {
            return Err(StoreError::invalid("format", other, Message::OneOf { codes: "xlsx, payments".into() }).into())
        }
    };
    let cycle = id.clone();
    let (heading, rows) = run(&state, move |store| store.distribution_list(&actor, &cycle)).await?;
    let (bytes, content_type, name) = if payments {
        (exchange::distribution::payment_csv(&rows)?, "text/csv; charset=utf-8", format!("payments-{id}.csv"))
    } else {
        (
            exchange::distribution::list_xlsx(&heading, &rows, lang)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("distribution-list-{id}.xlsx"),
        )
    };
    Ok(crate::files::file_response(bytes, content_type, &name))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnsQuery {
    /// Check every row and report, record nothing.
    pub dry_run: Option<bool>,
}

/// The bad rows of a returned list: nothing was recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReturnsRefused {
    pub errors: Vec<exchange::import::RowError>,
}

/// Imports a completed distribution list (`multipart/form-data`, one `file` part, XLSX or
/// CSV as exported). All or nothing: with any bad row the answer is 422 with every error; rows
/// already recorded by an earlier import are left as they were.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/returns", tag = "assistance", params(("id" = String, Path), ReturnsQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "a file part"),
    responses((status = 200, body = ReturnsReport), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ReturnsRefused)), security(("bearer" = [])))]
pub async fn import_returns(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Query(q): Query<ReturnsQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.file_name().map(crate::files::sanitise_file_name).unwrap_or_else(|| "upload".into());
        let bytes = field.bytes().await?;
        if !bytes.is_empty() {
            file = Some((name, bytes.to_vec()));
        }
    }
    let (who, cycle) = (actor.clone(), id.clone());
    run(&state, move |store| store.require_round_writer(&who, &cycle)).await?;
    let Some((name, bytes)) = file else {
        return Err(ApiError::from(StoreError::invalid("file", "", Message::FilePart)).as_bad_request());
    };
    let dry_run = q.dry_run.unwrap_or(false);
    let outcome = run(&state, move |store| {
        Ok(match exchange::distribution::read_returned(&name, &bytes) {
            Err(exchange::distribution::ReturnedError::File(e)) => Err(Ok(e.to_string())),
            Err(exchange::distribution::ReturnedError::Rows(rows)) => Err(Err(rows)),
            Ok(returned) => match store.import_returns(&actor, &id, &returned, dry_run) {
                Ok(report) => Ok(report),
                Err(ReturnsError::Rows(rows)) => Err(Err(rows)),
                Err(ReturnsError::Store(e)) => return Err(e),
            },
        })
    })
    .await?;
    match outcome {
        Ok(report) => Ok(Json(report).into_response()),
        Err(Err(errors)) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(ReturnsRefused { errors })).into_response()),
        Err(Ok(file_error)) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", file_error)),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    /// `random` (default) or `full`.
    pub method: Option<String>,
    /// For a random sample: how many households (or persons) to draw. By default, enough
    /// for ±5 points at 95 % confidence.
    pub size: Option<usize>,
}

/// Draws a post-distribution monitoring sample among the round's households who received
/// something, for those who deliver it; audited.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/samples", tag = "assistance", params(("id" = String, Path)), request_body = SampleRequest,
    responses((status = 201, body = MonitoringSample), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn draw_sample(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<SampleRequest>,
) -> Result<(StatusCode, Json<MonitoringSample>), ApiError> {
    let method = domain::SampleMethod::parse("method", body.method.as_deref().unwrap_or("random"))
        .map_err(|e| ApiError::from(StoreError::Invalid(domain::FieldErrors(vec![e]))))?;
    let drawn = run(&state, move |store| store.draw_monitoring_sample(&actor, &id, method, body.size)).await?;
    Ok((StatusCode::CREATED, Json(drawn)))
}

/// The round's monitoring samples, with their answers counted.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/samples", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = Vec<MonitoringSample>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_samples(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<MonitoringSample>>, ApiError> {
    Ok(Json(run(&state, move |store| store.monitoring_samples(&actor, &id)).await?))
}

/// A monitoring sample and everyone drawn in it (names and phones to call); audited.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SampleWithRows {
    pub sample: MonitoringSample,
    pub rows: Vec<MonitoringRow>,
}

#[utoipa::path(get, path = "/api/v1/samples/{id}", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = SampleWithRows), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_sample(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<SampleWithRows>, ApiError> {
    let (sample, rows) = run(&state, move |store| store.monitoring_sample(&actor, &id)).await?;
    Ok(Json(SampleWithRows { sample, rows }))
}

/// Records (or corrects) what a household drawn in the sample answered.
#[utoipa::path(post, path = "/api/v1/samples/{id}/answers", tag = "assistance", params(("id" = String, Path)), request_body = MonitoringInput,
    responses((status = 200, body = MonitoringRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn record_answer(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(body): Json<MonitoringInput>,
) -> Result<Json<MonitoringRow>, ApiError> {
    Ok(Json(run(&state, move |store| store.record_monitoring_answer(&actor, &id, &body)).await?))
}

/// Whom to go back to in the round, and why: still owed after a visit that did not hand
/// everything over, or a monitoring answer saying something went wrong; audited.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/follow-ups", tag = "assistance", params(("id" = String, Path)),
    responses((status = 200, body = Vec<FollowUp>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn follow_ups(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<FollowUp>>, ApiError> {
    Ok(Json(run(&state, move |store| store.follow_ups(&actor, &id)).await?))
}
