//! The 4W (who does what where, when, for whom) and the money: requirements, contributions,
//! budgets and projects, joined to people reached.

use axum::extract::Multipart;
use store::funding::{FundingImport, FundingOverview};
use store::who_what_where::{ActivityImport, WhoWhatWhere};

use super::figures::{download, parse_format, Format};
use super::*;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WhoWhatWhereQuery {
    /// First day (YYYY-MM-DD); viewers ask for whole calendar quarters.
    pub from: String,
    pub to: String,
    /// 1 (région) or 2 (cercle, the default).
    pub level: Option<i64>,
    /// json (default), csv or xlsx: HXL 3W tags (`#org`, `#sector`, `#activity`,
    /// `#adm1/2+code`, `#date+month`, `#targeted`, `#reached+ind+f/+m`), which the 4W import reads back.
    pub format: Option<String>,
}

/// The 4W: organisation × sector × activity × place × month × population group, people
/// targeted and reached, each row saying where it comes from (counted from deliveries,
/// reported by a partner, imported from a 3W/5W sheet).
#[utoipa::path(get, path = "/api/v1/who-what-where", tag = "funding", params(WhoWhatWhereQuery),
    responses((status = 200, body = WhoWhatWhere), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn who_what_where(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<WhoWhatWhereQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let level = q.level.unwrap_or(2);
    let table = run(&state, move |store| store.who_what_where(&actor, &q.from, &q.to, level)).await?;
    let name = format!("djoliba-4w-{}-{}", table.from, table.to);
    let hxl = || table.hxl_table(&state.store.gazetteer);
    Ok(match format {
        Format::Json => Json(table).into_response(),
        Format::Csv => download(exchange::figures::csv(&hxl())?, format, &name),
        Format::Xlsx => download(exchange::figures::xlsx(&[hxl()])?, format, &name),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRunQuery {
    /// Check every row and report, write nothing.
    pub dry_run: Option<bool>,
}

/// Imports a partner's 3W/5W sheet (`multipart/form-data`, one `file` part, CSV or XLSX with
/// HXL hashtags). All or nothing: with any bad cell the answer is 422 with every one; the
/// same sheet again changes nothing.
#[utoipa::path(post, path = "/api/v1/who-what-where", tag = "funding", params(DryRunQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "a file part"),
    responses((status = 200, body = ActivityImport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ActivityImport)), security(("bearer" = [])))]
pub async fn import_who_what_where(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<DryRunQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    store::plans::require_plan_writer(&actor)?;
    let file = file_part(&mut multipart, "4w").await?;
    let dry_run = q.dry_run.unwrap_or(false);
    sheet_import(
        &state,
        move |store| store.import_activity_file(&actor, file, dry_run),
        |o: &ActivityImport| !o.errors.is_empty(),
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FundingQuery {
    /// A year (2024); every year when absent.
    pub year: Option<i32>,
    /// json (default), csv or xlsx: requirements and funding per plan, year and sector in
    /// HDX's tags (`#value+funding+required+usd`, `#value+funding+total+usd`,
    /// `#value+funding+pct`), and, in xlsx, cost per person reached as a second sheet.
    pub format: Option<String>,
}

/// Requirements, funding, % funded and the gap per plan, sector and year; cost per distinct
/// person reached per sector × région × year with the money no région could take; budgets
/// against expenditure; projects with what they asked for and received.
#[utoipa::path(get, path = "/api/v1/funding", tag = "funding", params(FundingQuery),
    responses((status = 200, body = FundingOverview)), security(("bearer" = [])))]
pub async fn funding(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<FundingQuery>,
) -> Result<Response, ApiError> {
    let format = parse_format(q.format.as_deref())?;
    let overview = run(&state, move |store| store.funding_overview(&actor, q.year)).await?;
    let name = format!("djoliba-funding-{}", overview.year.map(|y| y.to_string()).unwrap_or_else(|| "all".into()));
    Ok(match format {
        Format::Json => Json(overview).into_response(),
        Format::Csv => download(exchange::figures::csv(&overview.hxl_table())?, format, &name),
        Format::Xlsx => download(
            exchange::figures::xlsx(&[overview.hxl_table(), overview.cost_hxl_table(&state.store.gazetteer)])?,
            format,
            &name,
        ),
    })
}

/// Imports a funding sheet (`multipart/form-data`, one `file` part, CSV or XLSX in HXL): FTS
/// flows (`#org+name+funder`, `#status+text`, amounts with currency and rate), requirements
/// (`#value+funding+required+usd`), budgets and expenditure (`#value+budget+usd`,
/// `#value+expenditure+usd`) or projects (`#activity+project+code`), told by their hashtags.
/// All or nothing; the same sheet again changes nothing.
#[utoipa::path(post, path = "/api/v1/funding", tag = "funding", params(DryRunQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "a file part"),
    responses((status = 200, body = FundingImport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = FundingImport)), security(("bearer" = [])))]
pub async fn import_funding(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(q): Query<DryRunQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    store::plans::require_plan_writer(&actor)?;
    let file = file_part(&mut multipart, "funding").await?;
    let dry_run = q.dry_run.unwrap_or(false);
    sheet_import(
        &state,
        move |store| store.import_funding_file(&actor, file, dry_run),
        |o: &FundingImport| !o.errors.is_empty(),
    )
    .await
}
