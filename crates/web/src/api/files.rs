//! Registry files over HTTP: upload an import, download an export or the template.

use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{Lang, Message};
use exchange::columns::TableKind;
use exchange::{Encoding, ImportOptions, InputFile};
use serde::Deserialize;
use store::import::{ImportError, ImportReport};
use store::StoreError;

use crate::api::{run, Json, Query};
use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Do everything the import would, against the registry as it is, then roll it back:
    /// every error it would meet, and in `summary` what it would create, update or leave.
    pub dry_run: Option<bool>,
    /// `auto` (UTF-8, else Windows-1252), `utf-8` or `windows-1252`, for CSV files.
    pub encoding: Option<String>,
}

fn parse_encoding(value: Option<&str>) -> Result<Encoding, ApiError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("auto") => Ok(Encoding::Auto),
        Some("utf-8") | Some("utf8") => Ok(Encoding::Utf8),
        Some("windows-1252") | Some("cp1252") | Some("latin1") => Ok(Encoding::Windows1252),
        Some(other) => {
            Err(StoreError::invalid("encoding", other, Message::OneOf { codes: "auto, utf-8, windows-1252".into() })
                .into())
        }
    }
}

/// Imports registry files sent as `multipart/form-data` (one or more `file` parts: one
/// combined CSV, three CSVs, or an XLSX workbook). All or nothing: with any bad row the answer
/// is 422 with every error, and nothing is written.
#[utoipa::path(post, path = "/api/v1/imports", tag = "files", params(ImportQuery),
    request_body(content_type = "multipart/form-data", content = String, description = "file parts"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ImportReport)), security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(query): Query<ImportQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let encoding = parse_encoding(query.encoding.as_deref()).map_err(ApiError::as_bad_request)?;
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await? {
        let name = field.file_name().map(sanitise_file_name).unwrap_or_else(|| format!("upload-{}", files.len() + 1));
        let bytes = field.bytes().await?;
        if !bytes.is_empty() {
            files.push(InputFile { name, bytes: bytes.to_vec() });
        }
    }
    if files.is_empty() {
        return Err(ApiError::from(StoreError::invalid("file", "", Message::FilePart)).as_bad_request());
    }
    let options = ImportOptions { encoding, dry_run: query.dry_run.unwrap_or(false) };
    let report = run(&state, move |store| match store.import_files(&actor, files, options, &mut |_, _, _| {}) {
        Ok(report) => Ok(Ok(report)),
        Err(ImportError::Store(e)) => Err(e),
        Err(ImportError::File(e)) => Ok(Err(e)),
    })
    .await?;
    match report {
        Ok(report) if report.errors.is_empty() => Ok(Json(report).into_response()),
        Ok(report) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response()),
        Err(file_error) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", file_error.to_string())),
    }
}

/// Only the last path component, and only characters safe in a report: an upload's name is
/// never used as a path.
pub(crate) fn sanitise_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| c.is_alphanumeric() || "._- ".contains(*c)).take(100).collect();
    if clean.trim_matches('.').is_empty() {
        "upload".into()
    } else {
        clean
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// `xlsx` (default: one sheet per table) or `csv` (one table).
    pub format: Option<String>,
    /// For CSV: `households` (default), `people` or `movements`.
    pub table: Option<String>,
}

/// A file to download under `file_name`.
pub(crate) fn file_response(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// Any CSV download asked with `delimiter=semicolon`, rewritten as a spreadsheet in French
/// opens it in columns (`;` and decimal commas; see `exchange::tables::for_french_spreadsheets`).
/// The default stays commas: what HXL tools read.
pub(crate) async fn semicolons_on_request(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let wanted = request.uri().query().is_some_and(|q| q.split('&').any(|pair| pair == "delimiter=semicolon"));
    let response = next.run(request).await;
    let csv = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/csv"));
    if !wanted || !csv || !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let rewritten = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => exchange::tables::for_french_spreadsheets(&bytes).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match rewritten {
        Ok(bytes) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

fn parse_file_query(query: &FileQuery) -> Result<(bool, TableKind), ApiError> {
    let xlsx = match query.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => true,
        "csv" => false,
        other => return Err(StoreError::invalid("format", other, Message::OneOf { codes: "xlsx, csv".into() }).into()),
    };
    let table = match query.table.as_deref() {
        None => TableKind::Households,
        Some(t) => TableKind::from_label(t).ok_or_else(|| {
            StoreError::invalid("table", t, Message::OneOf { codes: "households, people, movements".into() })
        })?,
    };
    Ok((xlsx, table))
}

/// The template's language.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TemplateQuery {
    /// `fr` or `en` (default): headers, notes, drop-down lists and the columns sheet.
    pub lang: Option<String>,
}

/// The blank template: XLSX with the documented columns in French or English, drop-down lists
/// on coded columns and one example household; or one table as CSV.
#[utoipa::path(get, path = "/api/v1/imports/template", tag = "files", params(FileQuery, TemplateQuery), responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)), security(("bearer" = [])))]
pub async fn template(
    State(state): State<AppState>,
    Authenticated(_user): Authenticated,
    Query(query): Query<FileQuery>,
    Query(language): Query<TemplateQuery>,
) -> Result<Response, ApiError> {
    let (xlsx, table) = parse_file_query(&query)?;
    let lang = match language.lang.as_deref().map(str::trim) {
        None | Some("") | Some("en") => Lang::En,
        Some("fr") => Lang::Fr,
        Some(other) => return Err(StoreError::invalid("lang", other, Message::OneOf { codes: "fr, en".into() }).into()),
    };
    if xlsx {
        let groups = state.store.gazetteer.population_group_codes();
        let name = if lang == Lang::Fr { "djoliba-modele.xlsx" } else { "djoliba-template.xlsx" };
        Ok(file_response(exchange::export::template(lang, &groups)?, XLSX_TYPE, name))
    } else {
        Ok(file_response(
            exchange::export::csv_table(table, &[])?,
            CSV_TYPE,
            &format!("djoliba-template-{}.csv", table.name()),
        ))
    }
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Exports the registry the user may change, in the import format: all of it, or the
/// households the list's filters find (organisation, group, status, place, number,
/// registration dates, a member's name; `limit` and `offset` are not used).
#[utoipa::path(get, path = "/api/v1/exports/registry", tag = "files", params(FileQuery, store::registry::HouseholdFilter), responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)), security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    Query(query): Query<FileQuery>,
    Query(filter): Query<store::registry::HouseholdFilter>,
) -> Result<Response, ApiError> {
    let (xlsx, table) = parse_file_query(&query)?;
    let bytes = run(&state, move |store| {
        let tables = store::export::registry_tables_filtered(store, &actor, &filter)?;
        Ok(if xlsx {
            exchange::export::xlsx(Some(&tables))?
        } else {
            exchange::export::csv_table(table, exchange::export::table_rows(&tables, table))?
        })
    })
    .await?;
    let date = state.store.today();
    Ok(if xlsx {
        file_response(bytes, XLSX_TYPE, &format!("djoliba-registry-{date}.xlsx"))
    } else {
        file_response(bytes, CSV_TYPE, &format!("djoliba-{}-{date}.csv", table.name()))
    })
}
