//! API errors: one JSON shape, one place that maps each error to an HTTP status. Internal errors
//! are logged with an id and shown to the client only as that id.

use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::timeline::ChronologyError;
use domain::FieldError;
use serde::Serialize;
use store::duplicates::LikelyDuplicate;
use store::StoreError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable key: `invalid_input`, `inconsistent_chronology`, `not_found`, `conflict`,
    /// `unauthenticated`, `forbidden`, `payload_too_large`, `internal`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<WireFieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chronology: Option<Box<ChronologyError>>,
    /// With `likely_duplicates`: the registered people likely to be members, nothing saved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub likely_duplicates: Vec<LikelyDuplicate>,
}

/// One bad field as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WireFieldError {
    /// The field, as named in the API and in import columns, e.g. `members[1].birth_date`.
    pub field: String,
    /// The value received (never a name), or empty when the field was missing.
    pub value: String,
    /// What was expected, in English.
    pub expected: String,
    /// The stable key of that expectation (e.g. `full_date`), for clients that translate.
    pub key: &'static str,
}

impl From<FieldError> for WireFieldError {
    fn from(e: FieldError) -> Self {
        WireFieldError { key: e.expected.key(), expected: e.expected.to_string(), field: e.field, value: e.value }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
}

impl ApiError {
    /// The same error as 400: for parameters of routes whose 422 answers carry a report.
    pub fn as_bad_request(self) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, ..self }
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: ErrorDetail {
                code,
                message: message.into(),
                fields: Vec::new(),
                chronology: None,
                likely_duplicates: Vec::new(),
            },
        }
    }

    /// A registration held because the registry already holds people likely to be members.
    pub fn likely_duplicates(likely: Vec<LikelyDuplicate>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            "likely_duplicates",
            format!(
                "{} registered people are likely ({}) or possibly members of this household; nothing was saved (send if_likely_duplicates=queue to save it and queue the likely ones for review)",
                likely.len(),
                likely.iter().filter(|l| l.likely).count()
            ),
        );
        error.detail.likely_duplicates = likely;
        error
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: POST /api/v1/auth/login, then send Authorization: Bearer TOKEN",
        )
    }

    pub fn internal(context: &str) -> ApiError {
        let id = store::new_id();
        tracing::error!(error_id = %id, "{context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("an internal error occurred; its id in the server log is {id}"),
        )
    }
}

impl From<exchange::WriteError> for ApiError {
    fn from(e: exchange::WriteError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            StoreError::Invalid(fields) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: ErrorDetail {
                    code: "invalid_input",
                    message: fields.to_string(),
                    fields: fields.0.into_iter().map(WireFieldError::from).collect(),
                    chronology: None,
                    likely_duplicates: Vec::new(),
                },
            },
            StoreError::Chronology(c) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: ErrorDetail {
                    code: "inconsistent_chronology",
                    message: c.to_string(),
                    fields: Vec::new(),
                    chronology: Some(Box::new(c)),
                    likely_duplicates: Vec::new(),
                },
            },
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m.to_string()),
            StoreError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            StoreError::Busy(m) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", m),
            StoreError::Config(m) | StoreError::Database(m) => ApiError::internal(&m),
        }
    }
}

impl From<domain::FieldErrors> for ApiError {
    fn from(e: domain::FieldErrors) -> Self {
        StoreError::Invalid(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field: "missing field `kind` at line 1 column 20".
                let source = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    format!("the JSON body does not match the expected fields: {source}"),
                )
            }
            JsonRejection::JsonSyntaxError(e) => {
                let source = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("the body is not valid JSON: {source}"))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_input",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than the {} KiB allowed", crate::JSON_LIMIT / 1024),
            ),
            other => ApiError::new(other.status(), "invalid_input", other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let source =
            std::error::Error::source(&rejection).map(|s| s.to_string()).unwrap_or_else(|| rejection.body_text());
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("a query parameter is not valid: {source}"))
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the upload is larger than the {} MiB allowed", crate::UPLOAD_LIMIT / (1024 * 1024)),
            )
        } else {
            ApiError::new(e.status(), "invalid_input", format!("the upload could not be read: {}", e.body_text()))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorBody { error: self.detail })).into_response()
    }
}
