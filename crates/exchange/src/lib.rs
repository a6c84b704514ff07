//! Djoliba's registry files: import and export of households, people and movements in CSV and
//! XLSX, the documented columns, and the template.

pub mod columns;
pub mod export;
pub mod figures;
pub mod import;
pub mod series;
pub mod tables;

pub use import::{import_files, ImportError, ImportOptions, ImportReport, InputFile};
pub use tables::Encoding;
