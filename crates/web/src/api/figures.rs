//! Figures over HTTP: stock at a date and flows over a period, as JSON, or HXL-tagged CSV or
//! XLSX; and the solutions decisions that take people out of the IDP stock.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Message;
use serde::Deserialize;
use store::figures::{FlowsReport, SolutionDecision, SolutionInput, StockReport};
use store::StoreError;

use crate::api::{run, Json, Query};
use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    Csv,
    Xlsx,
}

pub(super) fn parse_format(value: Option<&str>) -> Result<Format, ApiError> {
    match value.unwrap_or("json") {
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        other => Err(StoreError::invalid("format", other, Message::OneOf { codes: "json, csv, xlsx".into() }).into()),
    }
}

pub(super) fn download(bytes: Vec<u8>, format: Format, name: &str) -> Response {
    let (content_type, extension) = match format {
        Format::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        _ => ("text/csv; charset=utf-8", "csv"),
    };
    crate::files::file_response(bytes, content_type, &format!("{name}.{extension}"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// Reference date, YYYY-MM-DD (events of that day included). Default: today.
    pub as_of: Option<String>,
    /// Admin level of places: 1 région, 2 cercle, 3 commune. Default 1.
    pub level: Option<u8>,
    /// Population group code (IDP, REF, RET…); all groups when absent.
    pub group: Option<String>,
    /// json (default), csv or xlsx (both HXL-tagged).
    pub format: Option<String>,
}

/// Stock at a date by group × place × sex × age band, and households by group × place.
/// IDPs follow IRIS: a return does not take anyone out of the stock; a solutions decision,
/// a departure abroad or a death does.
#[utoipa::path(get, path = "/api/v1/figures/stock", tag = "figures", params(StockQuery),
    responses((status = 200, body = StockReport), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn stock(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<StockQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let as_of = q.as_of.clone().unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(1);
    let report = run(&state, move |store| store.stock_figures(&actor, &as_of, level, q.group.as_deref())).await?;
    let name = format!("djoliba-stock-{}-adm{}", report.as_of, report.level);
    Ok(match format {
        Format::Json => Json(report).into_response(),
        Format::Csv => download(
            exchange::figures::csv(&exchange::figures::stock_table(&report, &state.store.gazetteer))?,
            format,
            &name,
        ),
        Format::Xlsx => download(
            exchange::figures::xlsx(&[exchange::figures::stock_table(&report, &state.store.gazetteer)])?,
            format,
            &name,
        ),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlowsQuery {
    /// Start of the period, excluded (YYYY-MM-DD).
    pub from: String,
    /// End of the period, included (YYYY-MM-DD).
    pub to: String,
    /// Admin level of the origin–destination matrix (1 to 3). Default 1.
    pub level: Option<u8>,
    pub group: Option<String>,
    /// json (default), csv (HXL; the counts per kind) or xlsx (HXL; counts, matrix, accounts).
    pub format: Option<String>,
    /// For csv: flows (default), origin_destination or stock_and_flow.
    pub table: Option<String>,
}

/// Flows in a period: individuals and households per kind of event, origin → destination,
/// and the stock-and-flow account (stock at start + inflows − outflows = stock at end).
#[utoipa::path(get, path = "/api/v1/figures/flows", tag = "figures", params(FlowsQuery),
    responses((status = 200, body = FlowsReport), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn flows(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<FlowsQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let level = q.level.unwrap_or(1);
    let (from, to, group) = (q.from.clone(), q.to.clone(), q.group.clone());
    let report = run(&state, move |store| store.flow_figures(&actor, &from, &to, level, group.as_deref())).await?;
    let name = format!("djoliba-flows-{}-{}", report.flows.from, report.flows.to);
    let tables = || exchange::figures::flow_tables(&report, &state.store.gazetteer);
    Ok(match format {
        Format::Json => Json(report.clone()).into_response(),
        Format::Csv => {
            let wanted = q.table.as_deref().unwrap_or("flows");
            let table = tables().into_iter().find(|t| t.name == wanted).ok_or_else(|| {
                StoreError::invalid(
                    "table",
                    wanted,
                    Message::OneOf { codes: "flows, origin_destination, stock_and_flow".into() },
                )
            })?;
            download(exchange::figures::csv(&table)?, format, &format!("{name}-{wanted}"))
        }
        Format::Xlsx => download(exchange::figures::xlsx(&tables())?, format, &name),
    })
}

/// Records that a household overcame its displacement-related vulnerabilities: its members
/// leave the IDP stock on that date.
#[utoipa::path(post, path = "/api/v1/households/{id}/solutions", tag = "figures", params(("id" = String, Path)), request_body = SolutionInput,
    responses((status = 201, body = SolutionDecision), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn household_solution(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(input): Json<SolutionInput>,
) -> Result<(StatusCode, Json<SolutionDecision>), ApiError> {
    let decision = run(&state, move |store| store.record_solution(&actor, &id, None, &input)).await?;
    Ok((StatusCode::CREATED, Json(decision)))
}

/// The same decision for one person.
#[utoipa::path(post, path = "/api/v1/people/{id}/solutions", tag = "figures", params(("id" = String, Path)), request_body = SolutionInput,
    responses((status = 201, body = SolutionDecision), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn person_solution(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    Json(input): Json<SolutionInput>,
) -> Result<(StatusCode, Json<SolutionDecision>), ApiError> {
    let decision = run(&state, move |store| {
        let person = store.person(&actor, &id)?;
        store.record_solution(&actor, &person.household_id, Some(&person.id), &input)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(decision)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// A unique name, e.g. "DTM Mali round 14".
    pub name: String,
    /// Who published it: "IOM DTM", "CMP", "UNHCR", "IDMC"…
    pub source: String,
    /// How it was produced.
    pub method: String,
    /// Population group counted (default IDP).
    pub population_group: Option<String>,
    pub published_on: Option<String>,
    /// The date figures refer to, when the file has no #date column (`2023` means its last
    /// day, as does a month).
    pub date: Option<String>,
    /// Store the matched rows even if some places could not be matched (they are counted).
    pub skip_unmatched: Option<bool>,
    /// The series exists: store the file as its new version (the previous one is kept).
    pub replace: Option<bool>,
    /// Leave out the columns whose tags are outside the HXL vocabulary instead of refusing.
    pub accept_unknown_tags: Option<bool>,
}

/// Imports an external series from an HXL-tagged CSV or XLSX (multipart `file`). Places are
/// matched by code or, without codes, by name through the gazetteer; the answer lists every
/// place that could not be matched. Nothing is stored while any is unmatched, unless
/// `skip_unmatched`. The same file twice is refused (409), whatever the name; a name already
/// used only with `replace` (a new version).
#[utoipa::path(post, path = "/api/v1/series", tag = "figures", params(SeriesQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "one file part"),
    responses((status = 201, body = store::series::SeriesImport), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = store::series::SeriesImport)), security(("bearer" = [])))]
pub async fn import_series(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<SeriesQuery>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, ApiError> {
    // The role before the file: published series are kept by IM officers and administrators.
    store::plans::require_plan_writer(&actor)?;
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.file_name().map(crate::files::sanitise_file_name).unwrap_or_else(|| "series".into());
        let bytes = field.bytes().await?;
        if !bytes.is_empty() && file.is_none() {
            file = Some(exchange::InputFile { name, bytes: bytes.to_vec() });
        }
    }
    let file =
        file.ok_or_else(|| ApiError::from(StoreError::invalid("file", "", Message::FilePart)).as_bad_request())?;
    let meta = store::series::SeriesMeta {
        name: q.name,
        source: q.source,
        method: q.method,
        population_group: q.population_group,
        published_on: q.published_on,
    };
    let options = store::series::SeriesOptions {
        date: q.date,
        skip_unmatched: q.skip_unmatched.unwrap_or(false),
        replace: q.replace.unwrap_or(false),
        accept_unknown_tags: q.accept_unknown_tags.unwrap_or(false),
    };
    let outcome = run(&state, move |store| match store.import_series_file(&actor, &meta, file, &options) {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(store::import::ImportError::Store(e)) => Err(e),
        Err(store::import::ImportError::File(e)) => Ok(Err(e)),
    })
    .await
    .map_err(|e| if e.status == StatusCode::UNPROCESSABLE_ENTITY { e.as_bad_request() } else { e })?;
    match outcome {
        Ok(outcome) if outcome.report.as_ref().is_some_and(|r| r.series_id.is_some()) => {
            Ok((StatusCode::CREATED, Json(outcome)).into_response())
        }
        Ok(outcome) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(outcome)).into_response()),
        Err(file_error) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", file_error.to_string())),
    }
}

/// One series (id or name): its versions and its current figures, each with its place as
/// given and as matched, and its date as given and as counted.
#[utoipa::path(get, path = "/api/v1/series/{id}", tag = "figures", params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = store::series::SeriesDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn series_detail(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<store::series::SeriesDetail>, ApiError> {
    Ok(Json(run(&state, move |store| store.series_detail(&id)).await?))
}

/// Removes a series from every comparison; its versions are kept for the audit, and a new
/// import under its name brings it back as its next version.
#[utoipa::path(delete, path = "/api/v1/series/{id}", tag = "figures", params(("id" = String, Path, description = "id or name")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_series(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    run(&state, move |store| store.remove_series(&actor, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The external series imported so far, each with its source, method and dates.
#[utoipa::path(get, path = "/api/v1/series", tag = "figures", responses((status = 200, body = Vec<store::series::Series>)), security(("bearer" = [])))]
pub async fn list_series(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
) -> Result<Json<Vec<store::series::Series>>, ApiError> {
    Ok(Json(run(&state, |store| store.list_series()).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonQuery {
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
    /// 0 (Mali) to 3; default 1.
    pub level: Option<u8>,
    /// Default IDP (IDPs not returned); RDP for returned IDPs still in the IRIS stock.
    pub group: Option<String>,
    /// json (default), csv or xlsx (both HXL-tagged).
    pub format: Option<String>,
}

/// Registered figures next to each external series per place, with the coverage ratio
/// (registered ÷ estimate) that shows where registration lags behind.
#[utoipa::path(get, path = "/api/v1/figures/comparison", tag = "figures", params(ComparisonQuery),
    responses((status = 200, body = store::series::Comparison), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn comparison(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<ComparisonQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let as_of = q.as_of.unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(1);
    let group = q.group.unwrap_or_else(|| "IDP".into());
    let comparison = run(&state, move |store| store.compare(&actor, &as_of, level, &group)).await?;
    let name = format!("djoliba-comparison-{}-adm{}", comparison.as_of, comparison.level);
    Ok(match format {
        Format::Json => Json(comparison).into_response(),
        Format::Csv => {
            download(exchange::figures::csv(&exchange::figures::comparison_table(&comparison))?, format, &name)
        }
        Format::Xlsx => {
            download(exchange::figures::xlsx(&[exchange::figures::comparison_table(&comparison)])?, format, &name)
        }
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PopulationQuery {
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
    /// 0 (Mali, the default) to 3.
    pub level: Option<u8>,
    /// json (default), csv or xlsx (both HXL-tagged; the XLSX holds both tables).
    pub format: Option<String>,
    /// With csv: `registry` (default: a column per group) or `series` (each published figure).
    pub table: Option<String>,
}

/// The population of concern at a date: every group (IDPs, returned IDPs, refugees, asylum
/// seekers, returnees, others of concern), national or by place, the registry's count beside
/// each sourced series' latest figure, and how the registry's IRIS categories map onto the
/// published ones.
#[utoipa::path(get, path = "/api/v1/figures/population", tag = "figures", params(PopulationQuery),
    responses((status = 200, body = domain::figures::PopulationOfConcern), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn population(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<PopulationQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let as_of = q.as_of.unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(0);
    let report = run(&state, move |store| store.population_of_concern(&actor, &as_of, level)).await?;
    let name = format!("djoliba-population-of-concern-{}-adm{}", report.as_of, report.level);
    Ok(match format {
        Format::Json => Json(report).into_response(),
        Format::Csv => {
            let wanted = q.table.as_deref().unwrap_or("registry");
            let table =
                exchange::figures::concern_tables(&report).into_iter().find(|t| t.name == wanted).ok_or_else(|| {
                    StoreError::invalid("table", wanted, Message::OneOf { codes: "registry, series".into() })
                })?;
            download(exchange::figures::csv(&table)?, format, &format!("{name}-{wanted}"))
        }
        Format::Xlsx => download(exchange::figures::xlsx(&exchange::figures::concern_tables(&report))?, format, &name),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FactsheetQuery {
    /// YYYY-MM-DD; default today.
    pub as_of: Option<String>,
    /// fr (default) or en.
    pub lang: Option<String>,
    /// An organisation's code: its results, budgets and presence.
    pub organisation: Option<String>,
    /// For publication: small counts hidden, results over a whole quarter.
    pub public: Option<bool>,
    /// pdf (default) or json (the figures it shows).
    pub format: Option<String>,
}

/// The operation factsheet: two A4 pages in French or English (population of concern with
/// sources, trend, map, funding, results, targets, presence), typeset by Djoliba itself.
#[utoipa::path(get, path = "/api/v1/factsheet", tag = "figures", params(FactsheetQuery),
    responses((status = 200, description = "the PDF (format=pdf), or the figures it shows (format=json)", content(
        (domain::factsheet::Factsheet = "application/json"),
        (String = "application/pdf"))), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn factsheet(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<FactsheetQuery>,
) -> Result<Response, ApiError> {
    let lang = match q.lang.as_deref() {
        None => domain::messages::Lang::Fr,
        Some(code) => domain::messages::Lang::parse(code)
            .ok_or_else(|| StoreError::invalid("lang", code, Message::OneOf { codes: "fr, en".into() }))?,
    };
    let as_of = q.as_of.unwrap_or_else(|| state.store.today().to_string());
    let pdf = match q.format.as_deref().unwrap_or("pdf") {
        "pdf" => true,
        "json" => false,
        other => return Err(StoreError::invalid("format", other, Message::OneOf { codes: "pdf, json".into() }).into()),
    };
    let public = q.public.unwrap_or(false);
    let (organisation, as_of_text) = (q.organisation, as_of.clone());
    let sheet = run(&state, move |store| store.factsheet(&actor, &as_of_text, organisation.as_deref(), public)).await?;
    if !pdf {
        return Ok(Json(sheet).into_response());
    }
    let bytes = tokio::task::spawn_blocking(move || crate::factsheet::pdf(&sheet, lang))
        .await
        .map_err(|_| StoreError::Database("factsheet task failed".into()))?
        .map_err(StoreError::Database)?;
    Ok(crate::files::file_response(bytes, "application/pdf", &format!("djoliba-factsheet-{as_of}-{}.pdf", lang.code())))
}
