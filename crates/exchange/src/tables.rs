//! Reading CSV and XLSX files into tables of text cells, with spreadsheet row numbers.
//! CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 (Excel's default
//! on French Windows); the delimiter may be `,`, `;` or a tab.

use calamine::{Data, Reader};

use crate::columns::normalise_header;

/// One sheet or CSV file.
#[derive(Debug, Clone)]
pub struct Table {
    /// `file` or `file#sheet`, as errors name it.
    pub source: String,
    /// Normalised column names.
    pub headers: Vec<String>,
    /// Headers as written, for messages.
    pub raw_headers: Vec<String>,
    /// (spreadsheet row number, cells); the header is row 1. A `StringRecord` keeps a row's
    /// cells in one buffer: a million rows fit in a fraction of the memory of `Vec<String>`s.
    pub rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// A file that cannot be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub row: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            Some(row) => write!(f, "{}, row {row}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252.
    Auto,
    Utf8,
    Windows1252,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// From the file name's extension, or the file's first bytes (an XLSX is a ZIP).
    pub fn detect(name: &str, bytes: &[u8]) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx")
            || lower.ends_with(".xlsm")
            || lower.ends_with(".xls")
            || bytes.starts_with(b"PK\x03\x04")
        {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

fn decode(name: &str, bytes: &[u8], encoding: Encoding) -> Result<String, FileError> {
    let err = |message: String| FileError { file: name.into(), row: None, message };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, _, had_errors) = enc.decode(bytes);
        if had_errors {
            return Err(err("the file says it is UTF-16 but holds invalid characters".into()));
        }
        return Ok(text.into_owned());
    }
    if bytes.contains(&0) {
        return Err(err(
            "this is not a text file (it holds NUL bytes): save it as CSV in UTF-8 or Windows-1252, or as XLSX".into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (encoding, std::str::from_utf8(bytes)) {
        (Encoding::Utf8, Err(e)) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Err(FileError {
                file: name.into(),
                row: Some(line),
                message:
                    "the file is not valid UTF-8 here; if Excel saved it, import it with the Windows-1252 encoding"
                        .into(),
            })
        }
        (Encoding::Windows1252, _) | (Encoding::Auto, Err(_)) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok(text.into_owned())
        }
        (_, Ok(text)) => Ok(text.to_string()),
    }
}

fn delimiter(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or("");
    let count = |c: char| first_line.matches(c).count();
    [(b';', count(';')), (b'\t', count('\t')), (b',', count(','))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map(|(d, _)| d)
        .unwrap_or(b',')
}

/// Reads a CSV file. A row whose number of fields differs from the header's is an error
/// (a truncated file, or an unclosed quote).
pub fn read_csv(name: &str, bytes: &[u8], encoding: Encoding) -> Result<Table, FileError> {
    let text = decode(name, bytes, encoding)?;
    if text.trim().is_empty() {
        return Err(FileError {
            file: name.into(),
            row: None,
            message: "the file is empty: expected a header row and data rows".into(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return Err(FileError {
                file: name.into(),
                row: Some(1),
                message: format!("the header row does not parse: {e}"),
            })
        }
        None => return Err(FileError { file: name.into(), row: None, message: "the file is empty".into() }),
    };
    let raw_headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| FileError {
            file: name.into(),
            row: e.position().map(|p| p.line() as usize),
            message: format!("the line does not parse as CSV: {e}"),
        })?;
        let row = record.position().map(|p| p.line() as usize).unwrap_or(rows.len() + 2);
        let mut cells = record;
        cells.trim();
        if cells.iter().all(str::is_empty) {
            continue;
        }
        if cells.len() != raw_headers.len() {
            return Err(FileError {
                file: name.into(),
                row: Some(row),
                message: format!(
                    "the row has {} fields but the header has {}: the file may be truncated or a quote left open",
                    cells.len(),
                    raw_headers.len()
                ),
            });
        }
        rows.push((row, cells));
    }
    Ok(Table {
        source: name.into(),
        headers: raw_headers.iter().map(|h| normalise_header(h)).collect(),
        raw_headers,
        rows,
    })
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// Reads every non-empty sheet of a workbook.
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Vec<Table>, FileError> {
    let cursor = std::io::Cursor::new(bytes.to_vec());
    let mut workbook = calamine::open_workbook_auto_from_rs(cursor).map_err(|e| FileError {
        file: name.into(),
        row: None,
        message: format!("not a readable Excel workbook ({e}): save it again as .xlsx, or as CSV"),
    })?;
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names().to_owned() {
        let range = workbook.worksheet_range(&sheet).map_err(|e| FileError {
            file: format!("{name}#{sheet}"),
            row: None,
            message: format!("the sheet cannot be read: {e}"),
        })?;
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let mut rows_iter = range.rows().enumerate();
        let Some((_, header)) = rows_iter.next() else { continue };
        let raw_headers: Vec<String> = header.iter().map(cell_text).collect();
        if raw_headers.iter().all(String::is_empty) {
            continue;
        }
        let mut rows = Vec::new();
        for (i, row) in rows_iter {
            let mut cells: Vec<String> = row.iter().map(cell_text).collect();
            cells.resize(raw_headers.len(), String::new());
            if cells.iter().all(String::is_empty) {
                continue;
            }
            rows.push((first_row + i + 1, csv::StringRecord::from(cells)));
        }
        tables.push(Table {
            source: format!("{name}#{sheet}"),
            headers: raw_headers.iter().map(|h| normalise_header(h)).collect(),
            raw_headers,
            rows,
        });
    }
    if tables.is_empty() {
        return Err(FileError {
            file: name.into(),
            row: None,
            message: "the workbook has no sheet with a header row".into(),
        });
    }
    Ok(tables)
}

/// Reads one file of either format.
pub fn read_file(name: &str, bytes: &[u8], encoding: Encoding) -> Result<Vec<Table>, FileError> {
    match Format::detect(name, bytes) {
        Format::Xlsx => read_xlsx(name, bytes),
        Format::Csv => read_csv(name, bytes, encoding).map(|t| vec![t]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_1252_with_semicolons() {
        let bytes = b"household_id;registration_point\nHH-1;S\xe9gou\n";
        let t = read_csv("f.csv", bytes, Encoding::Auto).unwrap();
        assert_eq!(t.rows[0].1, vec!["HH-1", "Ségou"]);
        assert_eq!(t.rows[0].0, 2);
    }

    #[test]
    fn utf8_forced_reports_the_line() {
        let bytes = b"a,b\n1,2\n3,S\xe9gou\n";
        let e = read_csv("f.csv", bytes, Encoding::Utf8).unwrap_err();
        assert_eq!(e.row, Some(3));
    }

    #[test]
    fn truncated_row_is_an_error() {
        let e = read_csv("f.csv", b"a,b,c\n1,2,3\n4,5\n", Encoding::Auto).unwrap_err();
        assert_eq!(e.row, Some(3));
        assert!(e.message.contains("truncated"), "{}", e.message);
    }

    #[test]
    fn binary_is_refused() {
        assert!(read_csv("f.csv", b"a\0b", Encoding::Auto).is_err());
        assert!(read_xlsx("f.xlsx", b"PK\x03\x04garbage").is_err());
    }

    #[test]
    fn kobo_group_paths_are_cut() {
        let t = read_csv(
            "f.csv",
            "menage/id_menage,groupe/Date d'enregistrement\nA,2024-01-01\n".as_bytes(),
            Encoding::Auto,
        )
        .unwrap();
        assert_eq!(t.headers, ["household_id", "registration_date"]);
    }
}
