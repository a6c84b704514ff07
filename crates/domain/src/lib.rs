//! Djoliba's domain: the vocabulary of displacement response, parsing of input into typed values,
//! and the movement timeline that derives where a household or person is and what their status is.
//!
//! Invariant: this crate does no IO (no files, no database, no clock). Callers pass "today" in.

pub mod assistance;
pub mod codes;
pub mod dates;
pub mod error;
pub mod factsheet;
pub mod figures;
pub mod identifiers;
pub mod messages;
pub mod places;
pub mod plans;
pub mod registry;
pub mod synthetic;
pub mod text;
pub mod timeline;

pub use codes::*;
pub use dates::{FuzzyDate, ParseDateError};
pub use error::{FieldError, FieldErrors};
pub use identifiers::{Identifier, IdentifierInput};
pub use messages::{Lang, Message};
