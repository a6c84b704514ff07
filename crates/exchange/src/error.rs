//! Writing a file can fail only inside the writer libraries (a sheet name too long, a cell
//! too large); reading failures are `tables::FileError`, reported to the user.

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {format}: {detail}")]
pub struct WriteError {
    pub format: &'static str,
    pub detail: String,
}

impl From<csv::Error> for WriteError {
    fn from(e: csv::Error) -> Self {
        WriteError { format: "CSV", detail: e.to_string() }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError { format: "CSV", detail: e.to_string() }
    }
}

impl From<rust_xlsxwriter::XlsxError> for WriteError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        WriteError { format: "XLSX", detail: e.to_string() }
    }
}
