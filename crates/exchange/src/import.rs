//! Assembling households from tables (one combined file, three files, or a workbook), parsing
//! every row through the domain's rules. Every bad cell is reported with file, row, column,
//! value and expectation. Writing is the store's (`Store::import_files`), in one transaction.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::identifiers::identifiers_from_text;
use domain::registry::{HouseholdInput, MovementInput, NewHousehold, PersonInput, References};
use domain::Message;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::columns::TableKind;
use crate::tables::{read_file, Encoding, FileError, Table};

/// A file to import, as uploaded or read from disk.
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Where a record came from: file (or `file#sheet`) and spreadsheet row (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowRef {
    pub file: String,
    pub row: usize,
}

/// The rows one household was assembled from, to report an error where the user can fix it.
#[derive(Debug, Clone)]
pub struct ImportItem {
    pub household: NewHousehold,
    pub household_row: RowRef,
    pub member_rows: Vec<RowRef>,
    pub movement_rows: Vec<RowRef>,
}

/// One bad cell: file, row, column, the value found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub file: String,
    pub row: usize,
    pub column: String,
    pub value: String,
    /// What the cell should hold (English in the API; pages render it in their language).
    #[schema(value_type = String)]
    pub expected: Message,
}

impl RowError {
    /// The column to show beside the error: as the file writes it, or, for a column the file
    /// lacks, its name in `lang` (the template's header).
    pub fn column_in(&self, lang: domain::Lang) -> &str {
        match (&self.expected, lang) {
            (Message::RequiredColumn { column_fr, .. }, domain::Lang::Fr) => column_fr,
            _ => &self.column,
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}, row {}, column {}: missing; expected {}", self.file, self.row, self.column, self.expected)
        } else {
            write!(
                f,
                "{}, row {}, column {}: {:?}; expected {}",
                self.file, self.row, self.column, self.value, self.expected
            )
        }
    }
}

struct Row<'t> {
    table: &'t Table,
    number: usize,
    cells: &'t csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, column: &str) -> String {
        self.table.column(column).and_then(|i| self.cells.get(i)).unwrap_or_default().to_string()
    }
    fn opt(&self, column: &str) -> Option<String> {
        Some(self.get(column)).filter(|v| !v.is_empty())
    }
    fn list(&self, column: &str, separators: &[char]) -> Vec<String> {
        self.get(column).split(separators).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
    }
    fn at(&self) -> RowRef {
        RowRef { file: self.table.source.clone(), row: self.number }
    }
    fn error(&self, column: &str, value: impl Into<String>, expected: Message) -> RowError {
        // The header as the user wrote it ("point_enregistrement"), when the file has one.
        let written = self.table.column(column).and_then(|i| self.table.raw_headers.get(i));
        RowError {
            file: self.table.source.clone(),
            row: self.number,
            column: written.map_or_else(|| column.to_string(), String::clone),
            value: value.into(),
            expected,
        }
    }
}

/// Splits the tables into households, people and movements rows: by sheet name, by a
/// `record` column, or by the columns a table has.
fn classify(tables: &[Table]) -> Result<HashMap<&'static str, Vec<Row<'_>>>, Vec<RowError>> {
    let mut out: HashMap<&'static str, Vec<Row<'_>>> = HashMap::new();
    let mut errors = Vec::new();
    for table in tables {
        let sheet = table.source.rsplit_once('#').map(|(_, s)| s);
        if let Some(record) = table.column("record") {
            for (number, cells) in &table.rows {
                let label = cells.get(record).unwrap_or("");
                match TableKind::from_label(label) {
                    Some(kind) => out.entry(kind.name()).or_default().push(Row { table, number: *number, cells }),
                    None => errors.push(RowError {
                        file: table.source.clone(),
                        row: *number,
                        column: table.raw_headers[record].clone(),
                        value: label.into(),
                        expected: Message::RecordKind,
                    }),
                }
            }
            continue;
        }
        let kind = sheet.and_then(TableKind::from_label).or_else(|| TableKind::from_headers(&table.headers));
        match kind {
            Some(kind) => out.entry(kind.name()).or_default().extend(table.rows.iter().map(|(n, c)| Row {
                table,
                number: *n,
                cells: c,
            })),
            // A workbook may hold notes or instructions beside the tables.
            None if table.rows.is_empty() || sheet.is_some() => {}
            None => errors.push(RowError {
                file: table.source.clone(),
                row: 1,
                column: String::new(),
                value: table.raw_headers.join(","),
                expected: Message::TableHeader,
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn check_columns(tables: &[Table], errors: &mut Vec<RowError>, ignored: &mut Vec<String>) {
    for table in tables {
        let sheet = table.source.rsplit_once('#').map(|(_, s)| s);
        let combined = table.column("record").is_some();
        let kinds: Vec<TableKind> = if combined {
            TableKind::ALL.to_vec()
        } else {
            sheet
                .and_then(TableKind::from_label)
                .or_else(|| TableKind::from_headers(&table.headers))
                .into_iter()
                .collect()
        };
        let Some(first) = kinds.first() else { continue };
        // Two columns read as the same field: which one was meant cannot be guessed.
        for (i, header) in table.headers.iter().enumerate() {
            let known = kinds.iter().any(|k| k.columns().iter().any(|c| c.name == header));
            if known && table.headers[..i].contains(header) {
                let first_at = table.headers.iter().position(|h| h == header).unwrap_or(0);
                errors.push(RowError {
                    file: table.source.clone(),
                    row: 1,
                    column: table.raw_headers[i].clone(),
                    value: format!("{} + {}", table.raw_headers[first_at], table.raw_headers[i]),
                    expected: Message::OneColumn {
                        column: header.clone(),
                        column_fr: crate::columns::french(*first, header).0.into(),
                        first: crate::tables::column_letters(first_at as u32),
                        second: crate::tables::column_letters(i as u32),
                    },
                });
            }
        }
        if !combined {
            for column in first.columns().iter().filter(|c| c.required) {
                // A Kobo repeat group names its household by `_parent_index` and its rows by
                // their own `_index`.
                let kobo_link = (column.name == "household_id" && table.column("_parent_index").is_some())
                    || (column.name == "person_id" && table.column("_index").is_some());
                if table.column(column.name).is_none() && !kobo_link {
                    errors.push(RowError {
                        file: table.source.clone(),
                        row: 1,
                        column: column.name.into(),
                        value: String::new(),
                        expected: Message::RequiredColumn {
                            column: column.name.into(),
                            column_fr: crate::columns::french(*first, column.name).0.into(),
                            table: first.name().into(),
                            table_fr: first.french_name().into(),
                        },
                    });
                }
            }
        }
        for (header, raw) in table.headers.iter().zip(&table.raw_headers) {
            let known = header == "record"
                || kinds.iter().any(|k| k.columns().iter().any(|c| c.name == header))
                || header.starts_with('_');
            if !known && !ignored.contains(raw) {
                ignored.push(raw.clone());
            }
        }
    }
}

/// Kobo/ODK exports link repeat groups to their parent by `_parent_index` → `_index`.
fn kobo_household_id(row: &Row<'_>, by_index: &HashMap<String, String>) -> String {
    let direct = row.get("household_id");
    if !direct.is_empty() {
        return direct;
    }
    by_index.get(&row.get("_parent_index")).cloned().unwrap_or_default()
}

/// The rows of one household; its input is built only when it is parsed, so at most one
/// household's copy of the text exists at a time.
struct Pending<'t> {
    household_row: Row<'t>,
    member_rows: Vec<Row<'t>>,
    movement_rows: Vec<Row<'t>>,
}

const CODE_SEPARATORS: &[char] = &['|', ',', ';', ' '];

impl Pending<'_> {
    fn input(&self, errors: &mut Vec<RowError>) -> HouseholdInput {
        let row = &self.household_row;
        let members = self
            .member_rows
            .iter()
            .map(|row| {
                // As the form reads it: "40", "40 ans", "environ 40".
                let estimated_age =
                    row.opt("estimated_age").and_then(|text| match domain::dates::age_in_years(&text) {
                        Some(age) => Some(age),
                        None => {
                            errors.push(row.error("estimated_age", text, Message::AgeInYears));
                            None
                        }
                    });
                let external_id = row.opt("person_id").or_else(|| row.opt("_index"));
                if external_id.is_none() {
                    errors.push(row.error("person_id", "", Message::PersonIdInHousehold));
                }
                PersonInput {
                    external_id,
                    given_name: row.get("given_name"),
                    family_name: row.get("family_name"),
                    father_name: row.opt("father_name"),
                    other_spellings: row.list("other_spellings", &['|']),
                    sex: row.opt("sex"),
                    birth_date: row.opt("birth_date"),
                    estimated_age,
                    relationship: row.opt("relationship"),
                    documents_held: row.list("documents_held", CODE_SEPARATORS),
                    documents_missing: row.list("documents_missing", CODE_SEPARATORS),
                    specific_needs: row.list("specific_needs", CODE_SEPARATORS),
                    phone: row.opt("phone"),
                    identifiers: match identifiers_from_text("identifiers", &row.get("identifiers")) {
                        Ok(items) => items,
                        Err(e) => {
                            errors.push(row.error("identifiers", e.value, *e.expected));
                            Vec::new()
                        }
                    },
                }
            })
            .collect();
        let movements = self
            .movement_rows
            .iter()
            .map(|row| MovementInput {
                external_id: row.opt("movement_id"),
                person: row.opt("person_id"),
                kind: row.get("kind"),
                date: row.get("date"),
                from: row.opt("from"),
                to: row.opt("to"),
                country: row.opt("country"),
                cause: row.opt("cause"),
                source: row.opt("source"),
            })
            .collect();
        HouseholdInput {
            external_id: row.get("household_id"),
            organisation: row.opt("organisation"),
            registration_point: row.get("registration_point"),
            registration_date: row.get("registration_date"),
            population_group: row.get("population_group"),
            origin: row.opt("origin"),
            current_location: row.opt("current_location"),
            shelter_type: row.opt("shelter_type"),
            intention: row.opt("intention"),
            members,
            movements,
        }
    }
}

/// Maps a field path of the domain (`members[1].birth_date`) onto the cell it came from.
fn locate_field(pending: &Pending<'_>, field: &str, value: String, expected: Message) -> RowError {
    if let Some((list, rest)) = field.split_once('[') {
        if let Some((index, column)) = rest.split_once("].") {
            let index: usize = index.parse().unwrap_or(usize::MAX);
            let (rows, column) = match (list, column) {
                ("members", "external_id") => (&pending.member_rows, "person_id"),
                ("members", c) => (&pending.member_rows, c),
                ("movements", "external_id") => (&pending.movement_rows, "movement_id"),
                ("movements", "person") => (&pending.movement_rows, "person_id"),
                (_, c) => (&pending.movement_rows, c),
            };
            if let Some(row) = rows.get(index) {
                return row.error(column, value, expected);
            }
        }
    }
    let column = match field {
        "external_id" => "household_id",
        "members" => "relationship",
        other => other,
    };
    let row = if field == "members" {
        pending.member_rows.first().unwrap_or(&pending.household_row)
    } else {
        &pending.household_row
    };
    row.error(column, value, expected)
}

/// Builds the households to import, or every problem found in the rows.
pub fn assemble(
    tables: &[Table],
    refs: &(dyn References + Sync),
    today: NaiveDate,
) -> Result<(Vec<ImportItem>, Vec<String>), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut ignored = Vec::new();
    check_columns(tables, &mut errors, &mut ignored);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = classify(tables)?;
    let households = rows.remove("households").unwrap_or_default();
    let people = rows.remove("people").unwrap_or_default();
    let movements = rows.remove("movements").unwrap_or_default();
    if households.is_empty() {
        return Err(vec![RowError {
            file: tables.first().map(|t| t.source.clone()).unwrap_or_default(),
            row: 1,
            column: "household_id".into(),
            value: String::new(),
            expected: Message::HouseholdRows,
        }]);
    }
    let mut order: Vec<String> = Vec::new();
    let mut pending: HashMap<String, Pending<'_>> = HashMap::new();
    let mut by_index: HashMap<String, String> = HashMap::new();
    for row in households {
        let id = row.get("household_id");
        if id.is_empty() {
            errors.push(row.error("household_id", "", Message::HouseholdId));
            continue;
        }
        if let Some(first) = pending.get(&id) {
            errors.push(row.error(
                "household_id",
                id.clone(),
                Message::HouseholdIdOnce {
                    row: first.household_row.number,
                    file: first.household_row.table.source.clone(),
                },
            ));
            continue;
        }
        if let Some(index) = row.opt("_index") {
            by_index.insert(index, id.clone());
        }
        order.push(id.clone());
        pending.insert(id, Pending { household_row: row, member_rows: Vec::new(), movement_rows: Vec::new() });
    }
    for (table_rows, is_people) in [(people, true), (movements, false)] {
        for row in table_rows {
            let household_id = kobo_household_id(&row, &by_index);
            match pending.get_mut(&household_id) {
                Some(target) if is_people => target.member_rows.push(row),
                Some(target) => target.movement_rows.push(row),
                None => errors.push(row.error("household_id", household_id, Message::HouseholdOfImport)),
            }
        }
    }
    let pending: Vec<Pending<'_>> = order.iter().filter_map(|id| pending.remove(id)).collect();
    // Each household's checks stand alone: they run on every core, in file order.
    let parsed: Vec<(Option<ImportItem>, Vec<RowError>)> = pending
        .par_iter()
        .map(|p| {
            let mut errors = Vec::new();
            let input = p.input(&mut errors);
            match input.parse(refs, today) {
                Ok(household) => {
                    let item = ImportItem {
                        household,
                        household_row: p.household_row.at(),
                        member_rows: p.member_rows.iter().map(Row::at).collect(),
                        movement_rows: p.movement_rows.iter().map(Row::at).collect(),
                    };
                    (Some(item), errors)
                }
                Err(field_errors) => {
                    errors.extend(field_errors.0.into_iter().map(|e| locate_field(p, &e.field, e.value, *e.expected)));
                    (None, errors)
                }
            }
        })
        .collect();
    let mut items = Vec::with_capacity(parsed.len());
    for (item, found) in parsed {
        items.extend(item);
        errors.extend(found);
    }
    if errors.is_empty() {
        Ok((items, ignored))
    } else {
        errors.sort_by(|a, b| (&a.file, a.row, &a.column).cmp(&(&b.file, b.row, &b.column)));
        errors.dedup();
        Err(errors)
    }
}

/// Options of one import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub encoding: Encoding,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// The files read as tables, with their names and the digest of their bytes (which the store
/// keeps to tell a repeated import). Each file's bytes are freed once it is read.
pub fn read_files(files: Vec<InputFile>, encoding: Encoding) -> Result<(Vec<Table>, Vec<String>, String), FileError> {
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let mut tables = Vec::new();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(&file.bytes);
        tables.extend(read_file(&file.name, &file.bytes, encoding)?);
    }
    Ok((tables, names, hex::encode(hasher.finalize())))
}
