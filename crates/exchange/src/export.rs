//! Export of the registry in the import format (so an export imports again unchanged), and the
//! blank template. CSV exports are UTF-8 with a byte-order mark, which Excel needs to show
//! accents; the importer skips it.

use crate::columns::{Column, TableKind};
use crate::WriteError;
use domain::{Cause, Intention, Lang, MovementKind, Relationship, Sex, ShelterType};
use rust_xlsxwriter::{column_number_to_name, DataValidation, Format, Formula, Note, Workbook};

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

/// How many rows of each sheet carry the template's drop-down lists.
const TEMPLATE_ROWS: u32 = 2_000;

/// The blank registry template in the user's language: one sheet per table with its headers
/// (French ones in French, which the import reads back), a note on each header saying what it
/// holds, one example household (two people and their displacement) to write over, drop-down
/// lists on the coded columns, and a sheet describing every column. `population_groups`: the
/// registry's group codes.
pub fn template(lang: Lang, population_groups: &[String]) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let example = Format::new().set_italic().set_font_color("#555555");
    let french = lang == Lang::Fr;
    let lists: Vec<(&str, Vec<String>)> = CODED
        .iter()
        .map(|column| (*column, choices(lang, column, population_groups)))
        .filter(|(_, choices)| !choices.is_empty())
        .collect();
    let lists_sheet = if french { "listes" } else { "lists" };
    for kind in TableKind::ALL {
        let sheet = workbook.add_worksheet();
        sheet.set_name(if french { kind.french_name() } else { kind.name() })?;
        for (c, column) in kind.columns().iter().enumerate() {
            let c = c as u16;
            let (header, description) = match french {
                true => crate::columns::french(kind, column.name),
                false => (column.name, column.description),
            };
            sheet.write_string_with_format(0, c, header, &bold)?;
            sheet.insert_note(0, c, &Note::new(description).add_author_prefix(false))?;
            if let Some(value) = example_value(kind, column.name) {
                sheet.write_string_with_format(
                    1,
                    c,
                    coded_value(lang, column.name, value, population_groups),
                    &example,
                )?;
            }
            if let Some(at) = lists.iter().position(|(name, _)| *name == column.name) {
                // The choices are cells of the lists sheet: a list written in the rule itself
                // is cut at 255 characters, too short for labels.
                let range = format!(
                    "'{lists_sheet}'!${letter}$2:${letter}${last}",
                    letter = column_number_to_name(at as u16),
                    last = lists[at].1.len() + 1
                );
                let prompt = if french { "Choisir dans la liste" } else { "Choose from the list" };
                let rule = DataValidation::new().allow_list_formula(Formula::new(range)).set_input_title(prompt)?;
                sheet.add_data_validation(1, c, TEMPLATE_ROWS, c, &rule)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name(if french { "colonnes" } else { "columns" })?;
    let titles = if french {
        ["feuille", "colonne", "obligatoire", "description"]
    } else {
        ["table", "column", "required", "description"]
    };
    for (c, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &bold)?;
    }
    let mut r = 1;
    for kind in TableKind::ALL {
        for column in kind.columns() {
            let (sheet_name, header, description, required) = match french {
                true => {
                    let (header, description) = crate::columns::french(kind, column.name);
                    (kind.french_name(), header, description, if column.required { "oui" } else { "non" })
                }
                false => (kind.name(), column.name, column.description, if column.required { "yes" } else { "no" }),
            };
            for (c, text) in [sheet_name, header, required, description].iter().enumerate() {
                sheet.write_string(r, c as u16, *text)?;
            }
            r += 1;
        }
    }
    let note = if french {
        "La ligne en italique de chaque feuille est un exemple : écrivez par-dessus ou supprimez-la avant d'importer."
    } else {
        "The row in italics on each sheet is an example: write over it or delete it before importing."
    };
    sheet.write_string_with_format(r + 1, 0, note, &bold)?;
    sheet.autofit();
    // The drop-down lists' choices, a column each, under headers that name no table column
    // (the import passes this sheet over).
    let sheet = workbook.add_worksheet();
    sheet.set_name(lists_sheet)?;
    for (c, (column, choices)) in lists.iter().enumerate() {
        let header = match french {
            true => crate::columns::french(TableKind::People, column).0,
            false => column,
        };
        let title = if french { format!("Choix — {header}") } else { format!("Choices — {header}") };
        sheet.write_string_with_format(0, c as u16, title, &bold)?;
        for (r, choice) in choices.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, choice)?;
        }
    }
    sheet.autofit();
    Ok(workbook.save_to_buffer()?)
}

/// The columns that hold a code of a closed list.
const CODED: [&str; 7] = ["population_group", "shelter_type", "intention", "sex", "relationship", "kind", "cause"];

/// The example household: one row per sheet (the first person, the displacement).
fn example_value(kind: TableKind, column: &str) -> Option<&'static str> {
    let value = match (kind, column) {
        (_, "household_id") => "EXEMPLE-0001",
        (TableKind::Households, "registration_point") => "ML070101",
        (TableKind::Households, "registration_date") => "2024-03-01",
        (TableKind::Households, "population_group") => "IDP",
        (TableKind::Households, "origin") => "ML060101",
        (TableKind::Households, "current_location") => "ML070101",
        (TableKind::Households, "shelter_type") => "host_family",
        (TableKind::Households, "intention") => "undecided",
        (TableKind::People, "person_id") => "1",
        (TableKind::People, "given_name") => "Aminata",
        (TableKind::People, "family_name") => "Maïga",
        (TableKind::People, "sex") => "f",
        (TableKind::People, "birth_date") => "1988",
        (TableKind::People, "relationship") => "head",
        (TableKind::Movements, "kind") => "displacement",
        (TableKind::Movements, "date") => "2024-01-10",
        (TableKind::Movements, "from") => "ML060101",
        (TableKind::Movements, "to") => "ML070101",
        (TableKind::Movements, "cause") => "armed_conflict",
        _ => return None,
    };
    Some(value)
}

/// The codes of a coded column, as the template offers them: each code's label in the
/// language when the import reads that label back as the code, else the code.
fn choices(lang: Lang, column: &str, population_groups: &[String]) -> Vec<String> {
    let codes: Vec<String> = match column {
        "population_group" => population_groups.to_vec(),
        "sex" => Sex::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        "relationship" => Relationship::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        "shelter_type" => ShelterType::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        "intention" => Intention::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        "kind" => MovementKind::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        "cause" => Cause::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        _ => return Vec::new(),
    };
    codes.iter().map(|code| coded_value(lang, column, code, population_groups)).collect()
}

/// A code as the template writes it: its label when that reads back as the code.
fn coded_value(lang: Lang, column: &str, code: &str, population_groups: &[String]) -> String {
    let label = domain::messages::code_label(lang, code);
    let reads_back = match column {
        "population_group" => {
            population_groups.iter().any(|g| g == code) && domain::registry::population_group_code(&label) == code
        }
        "sex" => Sex::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        "relationship" => Relationship::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        "shelter_type" => ShelterType::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        "intention" => Intention::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        "kind" => MovementKind::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        "cause" => Cause::parse(column, &label).is_ok_and(|c| c.as_str() == code),
        _ => false,
    };
    if reads_back && !label.contains(',') {
        label
    } else {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn part(workbook: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(workbook)).unwrap();
        let mut text = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn the_french_template_reads_back_with_its_lists() {
        let groups: Vec<String> = ["IDP", "REF", "RET", "HST"].map(String::from).to_vec();
        let workbook = template(Lang::Fr, &groups).unwrap();
        let tables = crate::tables::read_xlsx("modele.xlsx", &workbook).unwrap();
        let sheet = |name: &str| tables.iter().find(|t| t.source.ends_with(&format!("#{name}"))).unwrap();
        // French headers the import reads as its columns, and the example row.
        let households = sheet("ménages");
        assert_eq!(households.raw_headers[0], "id_ménage");
        let names: Vec<&str> = crate::columns::HOUSEHOLDS.iter().map(|c| c.name).collect();
        assert_eq!(households.headers, names);
        for kind in TableKind::ALL {
            for column in kind.columns() {
                let header = crate::columns::french(kind, column.name).0;
                assert_eq!(crate::columns::normalise_header(header), column.name, "{header}");
            }
        }
        assert_eq!(households.rows.len(), 1, "one example household");
        // The coded columns offer labels that read back as their codes.
        let lists = sheet("listes");
        assert!(TableKind::from_headers(&lists.headers).is_none(), "the lists sheet is no table");
        let offered: Vec<&str> = lists.rows.iter().filter_map(|(_, cells)| cells.get(0)).collect();
        assert!(offered.contains(&"Personnes déplacées internes"), "{offered:?}");
        for (column, choices) in CODED.iter().map(|c| (*c, choices(Lang::Fr, c, &groups))) {
            assert!(!choices.is_empty(), "{column}");
        }
        // Each coded column of the three sheets has its drop-down list.
        let xml = part(&workbook, "xl/worksheets/sheet1.xml");
        assert!(xml.contains("<dataValidation") && xml.contains("listes"), "{xml}");
        assert_eq!(xml.matches("<dataValidation ").count(), 3, "group, shelter and intention");
    }
}
