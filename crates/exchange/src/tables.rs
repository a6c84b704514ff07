//! Reading CSV and XLSX files into tables of text cells, with spreadsheet row numbers.
//! CSV may be UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 (Excel's default
//! on French Windows); the delimiter may be `,`, `;` or a tab.

use calamine::{Data, Reader};
use domain::Message;

use crate::columns::normalise_header;

/// Characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written into CSV: text that a spreadsheet would run as a formula (`=HYPERLINK(…)`,
/// `+cmd|…`, `@SUM(…)`) gets a leading apostrophe, as OWASP recommends; numbers stay numbers.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(FORMULA_STARTS) && cell.parse::<f64>().is_err();
    if risky {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A CSV written by Djoliba (commas, decimal points: what HXL tools and most software read)
/// rewritten as a spreadsheet in French opens it in columns: `;` between cells and a decimal
/// comma in numbers. The byte-order mark stays, so the spreadsheet reads UTF-8.
pub fn for_french_spreadsheets(csv: &[u8]) -> Result<Vec<u8>, crate::WriteError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let body = csv.strip_prefix(BOM).unwrap_or(csv);
    let mut out = if body.len() < csv.len() { BOM.to_vec() } else { Vec::new() };
    {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        let mut writer = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(&mut out);
        for record in reader.records() {
            let record = record?;
            writer.write_record(record.iter().map(|cell| {
                let decimal = cell.contains('.') && !cell.contains('e') && cell.parse::<f64>().is_ok();
                if decimal {
                    cell.replace('.', ",")
                } else {
                    cell.to_string()
                }
            }))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// The reverse, on reading CSV: Djoliba's own exports import again unchanged.
fn unquote_formula(cell: &str) -> Option<String> {
    let rest = cell.strip_prefix('\'')?;
    rest.starts_with(FORMULA_STARTS).then(|| rest.to_string())
}

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
    /// A table with its headers normalised for lookup.
    fn new(source: String, raw_headers: Vec<String>, rows: Vec<(usize, csv::StringRecord)>) -> Table {
        Table { source, headers: raw_headers.iter().map(|h| normalise_header(h)).collect(), raw_headers, rows }
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// A file that cannot be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub row: Option<usize>,
    /// Boxed: errors travel in `Result`s.
    pub message: Box<Message>,
}

impl FileError {
    /// The error in `lang`, naming the file and the row.
    pub fn render(&self, lang: domain::Lang) -> String {
        let (file, message) = (&self.file, self.message.render(lang));
        match (self.row, lang) {
            (Some(row), domain::Lang::En) => format!("{file}, row {row}: {message}"),
            (Some(row), domain::Lang::Fr) => format!("{file}, ligne {row} : {message}"),
            (None, domain::Lang::En) => format!("{file}: {message}"),
            (None, domain::Lang::Fr) => format!("{file} : {message}"),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(domain::Lang::En))
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
    let err = |message: Message| FileError { file: name.into(), row: None, message: Box::new(message) };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, _, had_errors) = enc.decode(bytes);
        if had_errors {
            return Err(err(Message::Utf16Invalid));
        }
        return Ok(text.into_owned());
    }
    if bytes.contains(&0) {
        return Err(err(Message::NotText));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (encoding, std::str::from_utf8(bytes)) {
        (Encoding::Utf8, Err(e)) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            Err(FileError { file: name.into(), row: Some(line), message: Box::new(Message::FileNotUtf8) })
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
    let mut text = decode(name, bytes, encoding)?;
    if text.trim().is_empty() {
        return Err(FileError { file: name.into(), row: None, message: Box::new(Message::FileNoRows) });
    }
    // The csv crate counts a CRLF as no line (BurntSushi/rust-csv#395): Excel's and Python's
    // files would be reported a row too low. One line ending, one line.
    if text.contains('\r') {
        text = text.replace("\r\n", "\n");
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
                message: Box::new(Message::HeaderUnreadable { detail: e.to_string() }),
            })
        }
        None => return Err(FileError { file: name.into(), row: None, message: Box::new(Message::FileEmpty) }),
    };
    let raw_headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| FileError {
            file: name.into(),
            row: e.position().map(|p| p.line() as usize),
            message: Box::new(Message::LineUnreadable { detail: e.to_string() }),
        })?;
        let row = record.position().map(|p| p.line() as usize).unwrap_or(rows.len() + 2);
        let mut cells = record;
        cells.trim();
        if cells.iter().any(|c| unquote_formula(c).is_some()) {
            cells = cells.iter().map(|c| unquote_formula(c).unwrap_or_else(|| c.to_string())).collect();
        }
        if cells.iter().all(str::is_empty) {
            continue;
        }
        if cells.len() != raw_headers.len() {
            return Err(FileError {
                file: name.into(),
                row: Some(row),
                message: Box::new(Message::RowLength { fields: cells.len(), header: raw_headers.len() }),
            });
        }
        rows.push((row, cells));
    }
    Ok(Table::new(name.into(), raw_headers, rows))
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

/// A workbook larger than this once unzipped is refused before it is read (a deflate bomb of a
/// few megabytes would otherwise cost gigabytes).
const MAX_UNZIPPED_BYTES: u64 = 512 * 1024 * 1024;
/// Columns a registry or series sheet may use (a cell at XFD1048576 would otherwise make the
/// reader allocate the whole 16,384-column grid).
pub const MAX_COLUMNS: u32 = 500;
/// Non-empty cells one workbook may hold.
const MAX_CELLS: usize = 40_000_000;

fn too_large(name: &str, message: Message) -> FileError {
    FileError { file: name.into(), row: None, message: Box::new(message) }
}

/// Refuses an archive whose entries would unzip to more than [`MAX_UNZIPPED_BYTES`].
fn check_unzipped_size(name: &str, bytes: &[u8], limit: u64) -> Result<(), FileError> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| FileError {
        file: name.into(),
        row: None,
        message: Box::new(Message::NotAWorkbook { detail: e.to_string() }),
    })?;
    let declared: u64 = archive.decompressed_size().map(|n| n as u64).unwrap_or(u64::MAX);
    if declared > limit {
        return Err(too_large(
            name,
            Message::WorkbookTooLarge { megabytes: declared / 1_000_000, limit: limit / 1_000_000 },
        ));
    }
    Ok(())
}

/// Spreadsheet letters of a 0-based column: 0 → A, 26 → AA.
pub fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Reads every non-empty sheet of a workbook. XLSX sheets are read cell by cell, keeping only
/// the cells that hold something, so a sheet's declared size costs nothing.
pub fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Vec<Table>, FileError> {
    if !bytes.starts_with(b"PK") {
        return read_other_workbook(name, bytes);
    }
    check_unzipped_size(name, bytes, MAX_UNZIPPED_BYTES)?;
    let Ok(mut workbook) = calamine::Xlsx::new(std::io::Cursor::new(bytes)) else {
        // Another zipped format (OpenDocument), within the same size bound.
        return read_other_workbook(name, bytes);
    };
    let mut tables = Vec::new();
    let mut total = 0usize;
    for sheet in workbook.sheet_names().to_owned() {
        let source = format!("{name}#{sheet}");
        let mut reader = workbook.worksheet_cells_reader(&sheet).map_err(|e| FileError {
            file: source.clone(),
            row: None,
            message: Box::new(Message::SheetUnreadable { detail: e.to_string() }),
        })?;
        // Row → (column, text) of its non-empty cells.
        let mut cells: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
        let mut first_col = u32::MAX;
        let mut last_col = 0;
        loop {
            let cell = reader.next_cell().map_err(|e| FileError {
                file: source.clone(),
                row: None,
                message: Box::new(Message::SheetUnreadable { detail: e.to_string() }),
            })?;
            let Some(cell) = cell else { break };
            let (row, col) = cell.get_position();
            let text = cell_text(&Data::from(cell.get_value().clone()));
            if text.is_empty() {
                continue;
            }
            if col >= MAX_COLUMNS {
                return Err(FileError {
                    file: source,
                    row: Some(row as usize + 1),
                    message: Box::new(Message::TooManyColumns {
                        column: column_letters(col),
                        max: MAX_COLUMNS as usize,
                        last: column_letters(MAX_COLUMNS - 1),
                    }),
                });
            }
            total += 1;
            if total > MAX_CELLS {
                return Err(too_large(name, Message::TooManyCells { max: MAX_CELLS as u64 }));
            }
            first_col = first_col.min(col);
            last_col = last_col.max(col);
            cells.entry(row).or_default().push((col, text));
        }
        let mut rows_iter = cells.into_iter();
        let Some((_, header)) = rows_iter.next() else { continue };
        let width = (last_col - first_col + 1) as usize;
        let dense = |row: Vec<(u32, String)>| {
            let mut out = vec![String::new(); width];
            for (col, text) in row {
                out[(col - first_col) as usize] = text;
            }
            out
        };
        let raw_headers = dense(header);
        let rows = rows_iter.map(|(row, values)| (row as usize + 1, csv::StringRecord::from(dense(values)))).collect();
        tables.push(Table::new(source, raw_headers, rows));
    }
    if tables.is_empty() {
        return Err(no_sheet(name));
    }
    Ok(tables)
}

fn no_sheet(name: &str) -> FileError {
    FileError { file: name.into(), row: None, message: Box::new(Message::NoSheet) }
}

/// Older workbooks (XLS, ODS through calamine's detection).
fn read_other_workbook(name: &str, bytes: &[u8]) -> Result<Vec<Table>, FileError> {
    let cursor = std::io::Cursor::new(bytes.to_vec());
    let mut workbook = calamine::open_workbook_auto_from_rs(cursor).map_err(|e| FileError {
        file: name.into(),
        row: None,
        message: Box::new(Message::NotAWorkbook { detail: e.to_string() }),
    })?;
    let mut tables = Vec::new();
    for sheet in workbook.sheet_names().to_owned() {
        let range = workbook.worksheet_range(&sheet).map_err(|e| FileError {
            file: format!("{name}#{sheet}"),
            row: None,
            message: Box::new(Message::SheetUnreadable { detail: e.to_string() }),
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
        tables.push(Table::new(format!("{name}#{sheet}"), raw_headers, rows));
    }
    if tables.is_empty() {
        return Err(no_sheet(name));
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
    fn rows_of_crlf_files_are_numbered_as_a_spreadsheet_shows_them() {
        let crlf = b"a,b\r\n1,2\r\n\r\n3,4\r\n5\r\n";
        let err = read_csv("x.csv", crlf, Encoding::Auto).unwrap_err();
        assert_eq!(err.row, Some(5), "the short row is the fifth line");
        let table = read_csv("x.csv", b"a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n", Encoding::Auto).unwrap();
        let rows: Vec<usize> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(rows, [2, 3]);
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
        assert!(e.message.to_string().contains("truncated"), "{}", e.message);
    }

    #[test]
    fn binary_is_refused() {
        assert!(read_csv("f.csv", b"a\0b", Encoding::Auto).is_err());
        assert!(read_xlsx("f.xlsx", b"PK\x03\x04garbage").is_err());
    }

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (row, col, text) in cells {
            sheet.write_string(*row, *col, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_far_cell_is_refused_without_allocating_the_grid() {
        // A1 and XFD1048576 once aborted the server with an allocation of 512 GiB.
        let far = workbook(&[(0, 0, "household_id"), (1_048_575, 16_383, "x")]);
        let e = read_xlsx("bomb.xlsx", &far).unwrap_err();
        assert!(e.message.to_string().contains("column XFD"), "{}", e.message);
        assert_eq!(e.row, Some(1_048_576));
        // A1 and Z1048576 is a sparse sheet: two cells, read as such.
        let sparse = read_xlsx("sparse.xlsx", &workbook(&[(0, 0, "a"), (1_048_575, 25, "z")])).unwrap();
        assert_eq!(sparse[0].rows.len(), 1);
        assert_eq!(sparse[0].rows[0].0, 1_048_576);
        assert_eq!(sparse[0].raw_headers.len(), 26);
    }

    #[test]
    fn a_workbook_too_large_once_unzipped_is_refused_before_reading() {
        let book = workbook(&[(0, 0, "household_id"), (1, 0, "HH-1")]);
        assert!(check_unzipped_size("b.xlsx", &book, MAX_UNZIPPED_BYTES).is_ok());
        let e = check_unzipped_size("b.xlsx", &book, 1_000).unwrap_err();
        assert!(e.message.to_string().contains("unzipped"), "{}", e.message);
    }

    #[test]
    fn offset_sheets_keep_their_columns_and_rows() {
        let t = &read_xlsx("o.xlsx", &workbook(&[(2, 1, "a"), (2, 2, "b"), (4, 2, "2")])).unwrap()[0];
        assert_eq!(t.raw_headers, ["a", "b"]);
        assert_eq!(t.rows[0].0, 5);
        assert_eq!(t.rows[0].1, vec!["", "2"]);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn formulas_are_neutralised_and_read_back() {
        for attack in ["=HYPERLINK(\"http://x\",\"clic\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1"] {
            let safe = spreadsheet_safe(attack);
            assert!(safe.starts_with('\''), "{attack}");
            assert_eq!(unquote_formula(&safe).as_deref(), Some(attack));
        }
        assert_eq!(spreadsheet_safe("-3"), "-3");
        assert_eq!(spreadsheet_safe("Aminata"), "Aminata");
        assert_eq!(unquote_formula("'tis"), None);
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

    #[test]
    fn csv_for_french_spreadsheets_uses_semicolons_and_decimal_commas() {
        let csv =
            "\u{feff}place,#adm2+code,value,share\nGao; Ansongo,ML0701,1200,0.52\n\"Kidal, Tessalit\",ML0802,7,-1.5\n";
        let out = String::from_utf8(for_french_spreadsheets(csv.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            out,
            "\u{feff}place;#adm2+code;value;share\n\"Gao; Ansongo\";ML0701;1200;0,52\nKidal, Tessalit;ML0802;7;-1,5\n"
        );
    }
}
