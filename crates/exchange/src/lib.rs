//! Djoliba's files: import and export of households, people and movements in CSV and XLSX,
//! the documented columns and the template, figures as HXL tables, and external series.
//! Files only: this crate runs no SQL and does not know the store; the store's use cases call
//! it to read and write.

pub mod cells;
pub mod columns;
pub mod distribution;
mod error;
pub mod export;
pub mod figures;
pub mod funding;
pub mod hxl;
pub mod import;
pub mod series;
pub mod tables;
pub mod targets;
pub mod who_what_where;

pub use error::WriteError;
pub use import::{ImportOptions, InputFile};
pub use tables::Encoding;
