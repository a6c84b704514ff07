//! Store errors. Each variant maps to one HTTP status in the web crate; messages never carry a
//! person's name (values in field errors are codes, dates and identifiers only).

use domain::timeline::ChronologyError;
use domain::{FieldErrors, Message};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or the user may not see it (both answer 404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that does not parse or references what does not exist.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// A movement that would make a timeline inconsistent.
    #[error("inconsistent chronology: {0}")]
    Chronology(ChronologyError),
    /// A unique identifier already in use, or a stale version.
    #[error("conflict: {0}")]
    Conflict(Message),
    /// The user's role does not allow the action.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Too much work at once (sign-ins hashing passwords): try again shortly.
    #[error("busy: {0}")]
    Busy(&'static str),
    /// The setup is wrong: URL, file, folder. The message says what to do.
    #[error("{0}")]
    Config(String),
    /// The database failed. Logged, never shown to API clients.
    #[error("database error: {0}")]
    Database(String),
}

impl From<domain::FieldError> for StoreError {
    fn from(e: domain::FieldError) -> Self {
        StoreError::Invalid(FieldErrors(vec![e]))
    }
}

impl From<FieldErrors> for StoreError {
    fn from(e: FieldErrors) -> Self {
        StoreError::Invalid(e)
    }
}

impl From<ChronologyError> for StoreError {
    fn from(e: ChronologyError) -> Self {
        StoreError::Chronology(e)
    }
}

impl StoreError {
    pub fn invalid(field: &str, value: impl Into<String>, expected: Message) -> StoreError {
        StoreError::Invalid(FieldErrors(vec![domain::FieldError::new(field, value, expected)]))
    }
}

/// Writing a file in memory fails only inside the writer library: an internal error.
impl From<exchange::WriteError> for StoreError {
    fn from(e: exchange::WriteError) -> Self {
        StoreError::Database(e.to_string())
    }
}
