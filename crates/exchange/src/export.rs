//! Export of the registry in the import format (so an export imports again unchanged), and the
//! blank template. CSV exports are UTF-8 with a byte-order mark, which Excel needs to show
//! accents; the importer skips it.

use crate::columns::{Column, TableKind};
use crate::WriteError;
use rust_xlsxwriter::{Format, Workbook};

/// The three tables of the registry as rows of text, in the documented column order.
pub struct RegistryTables {
    pub households: Vec<Vec<String>>,
    pub people: Vec<Vec<String>>,
    pub movements: Vec<Vec<String>>,
}

/// The rows of one of the three tables.
pub fn table_rows(tables: &RegistryTables, kind: TableKind) -> &[Vec<String>] {
    match kind {
        TableKind::Households => &tables.households,
        TableKind::People => &tables.people,
        TableKind::Movements => &tables.movements,
    }
}

fn header(columns: &[Column]) -> Vec<&'static str> {
    columns.iter().map(|c| c.name).collect()
}

/// One table as CSV.
pub fn csv_table(kind: TableKind, rows: &[Vec<String>]) -> Result<Vec<u8>, WriteError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(header(kind.columns()))?;
        for row in rows {
            writer.write_record(row.iter().map(|c| crate::tables::spreadsheet_safe(c).into_owned()))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// A workbook with one sheet per table and a sheet describing the columns.
pub fn xlsx(tables: Option<&RegistryTables>) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for kind in TableKind::ALL {
        let sheet = workbook.add_worksheet();
        sheet.set_name(kind.name())?;
        for (c, column) in kind.columns().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, column.name, &bold)?;
        }
        if let Some(tables) = tables {
            for (r, row) in table_rows(tables, kind).iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if !cell.is_empty() {
                        sheet.write_string(r as u32 + 1, c as u16, cell)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("columns")?;
    for (c, title) in ["table", "column", "required", "description"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &bold)?;
    }
    let mut r = 1;
    for kind in TableKind::ALL {
        for column in kind.columns() {
            sheet.write_string(r, 0, kind.name())?;
            sheet.write_string(r, 1, column.name)?;
            sheet.write_string(r, 2, if column.required { "yes" } else { "no" })?;
            sheet.write_string(r, 3, column.description)?;
            r += 1;
        }
    }
    sheet.autofit();
    Ok(workbook.save_to_buffer()?)
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
