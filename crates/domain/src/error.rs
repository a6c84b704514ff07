//! Field-level validation errors: every one names the field, the value and what was expected.

use crate::messages::Message;

/// One problem with one input field. `value` is only ever a code, date or number the user typed,
/// never a person's name (see `registry::redacted_value`), so the error can be shown and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as named in the API and in import columns, e.g. `members[1].birth_date`.
    pub field: String,
    /// The value received, or empty when the field was missing.
    pub value: String,
    /// What was expected, rendered in the reader's language (boxed: errors travel in `Result`s).
    pub expected: Box<Message>,
}

/// The value shown for a field whose value is personal (a name, a phone number) or too long to
/// repeat: the same in every language.
pub const WITHHELD: &str = "•••";

impl FieldError {
    pub fn new(field: impl Into<String>, value: impl Into<String>, expected: Message) -> Self {
        FieldError { field: field.into(), value: value.into(), expected: Box::new(expected) }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: missing; expected {}", self.field, self.expected)
        } else {
            write!(f, "{}: {:?} is not valid; expected {}", self.field, self.value, self.expected)
        }
    }
}

/// A collection of field errors gathered while parsing one input, so a user sees all at once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the error of a parse result and returns its value, so parsing goes on.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// Prefixes every field name, e.g. `members[2].` for a nested record.
    pub fn prefixed(self, prefix: &str) -> FieldErrors {
        FieldErrors(
            self.0
                .into_iter()
                .map(|mut e| {
                    e.field = format!("{prefix}{}", e.field);
                    e
                })
                .collect(),
        )
    }

    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}
