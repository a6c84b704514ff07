//! Export of the registry in the import format (so an export imports again unchanged), and the
//! blank template. CSV exports are UTF-8 with a byte-order mark, which Excel needs to show
//! accents; the importer skips it.

use rust_xlsxwriter::{Format, Workbook};
use store::registry::scope;
use store::{params, Actor, Store, StoreError};

use crate::columns::{Column, TableKind};

/// The three tables of the registry as rows of text, in the documented column order.
pub struct RegistryTables {
    pub households: Vec<Vec<String>>,
    pub people: Vec<Vec<String>>,
    pub movements: Vec<Vec<String>>,
}

impl RegistryTables {
    pub fn rows(&self, kind: TableKind) -> &[Vec<String>] {
        match kind {
            TableKind::Households => &self.households,
            TableKind::People => &self.people,
            TableKind::Movements => &self.movements,
        }
    }
}

fn display_date(iso: &str, precision: &str) -> String {
    domain::FuzzyDate::from_stored(iso, precision).map(|d| d.display()).unwrap_or_default()
}

fn codes(text: &str) -> String {
    text.replace(',', " ")
}

/// Reads what the actor may see, in the import format.
pub fn registry_tables(store: &Store, actor: &Actor) -> Result<RegistryTables, StoreError> {
    let scope = scope(actor);
    let now = store.now_ms();
    // An export is a read of everyone's records: audited in the same transaction.
    store.db.write(|tx| {
        store::audit::record(tx, actor, now, "export", "registry", "", serde_json::json!({}))?;
        let households = tx
            .query(
                &format!("SELECT h.external_id, o.code, h.registration_point, h.registration_date, h.population_group, h.origin, h.registered_location, h.shelter_type, h.intention FROM households h JOIN organisations o ON o.id = h.organisation_id WHERE {scope} ORDER BY o.code, h.external_id"),
                params![],
            )?
            .into_iter()
            .map(|r| (0..9).map(|i| r.text(i)).collect())
            .collect();
        let people = tx
            .query(
                &format!("SELECT h.external_id, p.external_id, p.given_name, p.family_name, p.father_name, p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held, p.documents_missing, p.specific_needs, p.phone FROM people p JOIN households h ON h.id = p.household_id WHERE {scope} ORDER BY h.external_id, p.created_at, p.id"),
                params![],
            )?
            .into_iter()
            .map(|r| {
                let spellings: Vec<String> = serde_json::from_str(&r.text(5)).unwrap_or_default();
                // The same need to know as in API answers.
                let needs: Vec<String> = r
                    .text(12)
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .filter(|c| {
                        actor.role.sees_protection_needs()
                            || domain::SpecificNeed::parse("", c).is_ok_and(|n| !n.is_protection_sensitive())
                    })
                    .map(str::to_string)
                    .collect();
                let phone = if actor.role.sees_phone() { r.text(13) } else { String::new() };
                vec![
                    r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), spellings.join("|"), r.text(6),
                    display_date(&r.text(7), &r.text(8)), String::new(), r.text(9), codes(&r.text(10)),
                    codes(&r.text(11)), needs.join(" "), phone,
                ]
            })
            .collect();
        let movements = tx
            .query(
                &format!("SELECT h.external_id, p.external_id, m.external_id, m.kind, m.date, m.date_precision, m.from_location, m.to_location, m.country, m.cause, m.source FROM movements m JOIN households h ON h.id = m.household_id LEFT JOIN people p ON p.id = m.person_id WHERE m.voided_at IS NULL AND {scope} ORDER BY h.external_id, m.date, m.seq"),
                params![],
            )?
            .into_iter()
            .map(|r| {
                vec![
                    r.text(0), r.text(1), r.text(2), r.text(3), display_date(&r.text(4), &r.text(5)),
                    r.text(6), r.text(7), r.text(8), r.text(9), r.text(10),
                ]
            })
            .collect();
        Ok(RegistryTables { households, people, movements })
    })
}

fn header(columns: &[Column]) -> Vec<&'static str> {
    columns.iter().map(|c| c.name).collect()
}

/// One table as CSV.
pub fn csv_table(kind: TableKind, rows: &[Vec<String>]) -> Result<Vec<u8>, StoreError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let write_err = |e: csv::Error| StoreError::Database(format!("cannot write CSV: {e}"));
        writer.write_record(header(kind.columns())).map_err(write_err)?;
        for row in rows {
            writer.write_record(row).map_err(write_err)?;
        }
        writer.flush().map_err(|e| StoreError::Database(format!("cannot write CSV: {e}")))?;
    }
    Ok(out)
}

/// A workbook with one sheet per table and a sheet describing the columns.
pub fn xlsx(tables: Option<&RegistryTables>) -> Result<Vec<u8>, StoreError> {
    let err = |e: rust_xlsxwriter::XlsxError| StoreError::Database(format!("cannot write XLSX: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for kind in TableKind::ALL {
        let sheet = workbook.add_worksheet();
        sheet.set_name(kind.name()).map_err(err)?;
        for (c, column) in kind.columns().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, column.name, &bold).map_err(err)?;
        }
        if let Some(tables) = tables {
            for (r, row) in tables.rows(kind).iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if !cell.is_empty() {
                        sheet.write_string(r as u32 + 1, c as u16, cell).map_err(err)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        sheet.autofit();
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("columns").map_err(err)?;
    for (c, title) in ["table", "column", "required", "description"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &bold).map_err(err)?;
    }
    let mut r = 1;
    for kind in TableKind::ALL {
        for column in kind.columns() {
            sheet.write_string(r, 0, kind.name()).map_err(err)?;
            sheet.write_string(r, 1, column.name).map_err(err)?;
            sheet.write_string(r, 2, if column.required { "yes" } else { "no" }).map_err(err)?;
            sheet.write_string(r, 3, column.description).map_err(err)?;
            r += 1;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(err)
}

/// The columns, as Markdown, for the README and `djoliba import --columns`.
pub fn columns_markdown() -> String {
    let mut out = String::new();
    for kind in TableKind::ALL {
        out.push_str(&format!("\n### {}\n\n| column | required | description |\n| --- | --- | --- |\n", kind.name()));
        for c in kind.columns() {
            out.push_str(&format!("| `{}` | {} | {} |\n", c.name, if c.required { "yes" } else { "" }, c.description));
        }
    }
    out
}
