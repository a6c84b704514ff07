//! Distribution lists: a round's list for the field (XLSX in the user's language, a row per
//! entitlement with a signature or thumbprint column, ready to print), the list brought back
//! completed (read row by row, every bad cell named), and the payment file for a mobile-money
//! provider.

use domain::messages::code_label;
use domain::{Lang, Message};
use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Workbook};

use crate::import::RowError;
use crate::tables::{read_file, Encoding, FileError, Table};
use crate::WriteError;

/// One line of the list: an entitlement in the round.
#[derive(Clone)]
pub struct ListRow {
    pub entitlement: String,
    pub household: String,
    /// The member entitled, for a programme assisting persons (their number in the household).
    pub member: Option<String>,
    pub head: String,
    pub people: usize,
    /// Where the household lives: name (P-code).
    pub place: String,
    pub phone: Option<String>,
    pub entitled: f64,
    pub delivered: f64,
}

/// Names, places and phones are personal data: never printed by `Debug`.
impl std::fmt::Debug for ListRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRow").field("entitlement", &self.entitlement).finish_non_exhaustive()
    }
}

/// What the list's print header says.
pub struct ListHeading {
    pub programme: String,
    pub round: String,
    pub period: String,
    pub unit: String,
    /// The modality code offered by default (`mobile_money`, `in_kind`…).
    pub modality: String,
}

/// The columns: (key, French header, English header). The import reads either language.
const COLUMNS: [(&str, &str, &str); 15] = [
    ("entitlement", "code_droit", "entitlement_id"),
    ("household", "numero_menage", "household"),
    ("member", "membre", "member"),
    ("head", "chef_de_menage", "head_of_household"),
    ("people", "personnes", "people"),
    ("place", "lieu", "place"),
    ("phone", "telephone", "phone"),
    ("entitled", "droit", "entitled"),
    ("delivered", "deja_remis", "delivered_before"),
    ("quantity", "quantite_remise", "quantity_delivered"),
    ("date", "date_remise", "date_delivered"),
    ("modality", "modalite", "modality"),
    ("outcome", "resultat", "outcome"),
    ("reference", "reference", "reference"),
    ("signature", "signature_ou_empreinte", "signature_or_thumbprint"),
];

/// The header of `key` in `lang`.
pub fn header(key: &str, lang: Lang) -> &'static str {
    COLUMNS.iter().find(|c| c.0 == key).map_or("", |c| if lang == Lang::Fr { c.1 } else { c.2 })
}

/// The outcomes a returned list may say, in the order the drop-down offers them.
pub const OUTCOMES: [&str; 5] = ["delivered", "partial", "not_collected", "refused", "failed"];
/// The modalities, likewise.
pub const MODALITIES: [&str; 5] = ["cash_in_hand", "mobile_money", "voucher", "in_kind", "service"];

/// The list as a workbook: one sheet, the header row repeated on every printed page,
/// landscape, one page wide; the columns to fill are shaded, outcome and modality offer their
/// labels in a drop-down.
pub fn list_xlsx(heading: &ListHeading, rows: &[ListRow], lang: Lang) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(if lang == Lang::Fr { "liste" } else { "list" })?;
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin).set_text_wrap();
    let cell = Format::new().set_border(FormatBorder::Thin);
    let to_fill = Format::new().set_border(FormatBorder::Thin).set_background_color("#FFF7D6");
    for (c, column) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, header(column.0, lang), &bold)?;
    }
    let modality = code_label(lang, &heading.modality);
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        let text = [
            (0, row.entitlement.as_str()),
            (1, row.household.as_str()),
            (2, row.member.as_deref().unwrap_or("")),
            (3, row.head.as_str()),
            (5, row.place.as_str()),
            (6, row.phone.as_deref().unwrap_or("")),
        ];
        for (c, value) in text {
            sheet.write_string_with_format(r, c, value, &cell)?;
        }
        sheet.write_number_with_format(r, 4, row.people as f64, &cell)?;
        sheet.write_number_with_format(r, 7, row.entitled, &cell)?;
        sheet.write_number_with_format(r, 8, row.delivered, &cell)?;
        for c in 9..15 {
            sheet.write_blank(r, c, &to_fill)?;
        }
        sheet.write_string_with_format(r, 11, &modality, &to_fill)?;
        // Room for a thumbprint.
        sheet.set_row_height(r, 30)?;
    }
    let last = rows.len().max(1) as u32;
    let labels = |codes: &[&str]| codes.iter().map(|c| code_label(lang, c)).collect::<Vec<_>>();
    let outcome_list = DataValidation::new().allow_list_strings(&labels(&OUTCOMES))?.ignore_blank(true);
    sheet.add_data_validation(1, 12, last, 12, &outcome_list)?;
    let modality_list = DataValidation::new().allow_list_strings(&labels(&MODALITIES))?.ignore_blank(true);
    sheet.add_data_validation(1, 11, last, 11, &modality_list)?;
    for (c, width) in [(0, 12.0), (1, 14.0), (2, 8.0), (3, 24.0), (4, 9.0), (5, 20.0), (6, 14.0), (7, 10.0), (8, 10.0)]
    {
        sheet.set_column_width(c, width)?;
    }
    for (c, width) in [(9, 11.0), (10, 12.0), (11, 14.0), (12, 14.0), (13, 14.0), (14, 22.0)] {
        sheet.set_column_width(c, width)?;
    }
    // Headers and footers take `&` codes: a programme named "A & B" must print as written.
    let escape = |text: &str| text.replace('&', "&&");
    sheet.set_header(format!(
        "&L{}&C{} — {}&R{}",
        escape(&heading.programme),
        escape(&heading.round),
        escape(&heading.period),
        escape(&code_label(lang, &heading.unit))
    ));
    sheet.set_footer(if lang == Lang::Fr { "&CPage &P / &N" } else { "&CPage &P of &N" });
    sheet.set_landscape().set_print_fit_to_pages(1, 0).set_repeat_rows(0, 0)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(workbook.save_to_buffer()?)
}

/// The mobile-money payment file: `phone,amount,reference` for each entitlement still owed
/// that has a phone number; the reference is the entitlement's code, so that the provider's
/// report can be matched back.
pub fn payment_csv(rows: &[ListRow]) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::new();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(["phone", "amount", "reference"])?;
        for row in rows {
            let remaining = row.entitled - row.delivered;
            if let (Some(phone), true) = (row.phone.as_deref(), remaining > 0.0) {
                let amount =
                    if remaining.fract() == 0.0 { format!("{remaining:.0}") } else { format!("{remaining:.2}") };
                writer.write_record([phone, amount.as_str(), row.entitlement.as_str()])?;
            }
        }
        writer.flush()?;
    }
    Ok(out)
}

/// A row of the list as it came back: what was handed over, as written.
#[derive(Clone, Default)]
pub struct ReturnedRow {
    /// The spreadsheet row number.
    pub row: usize,
    pub entitlement: String,
    pub household: String,
    pub member: String,
    pub quantity: String,
    pub date: String,
    pub modality: String,
    pub outcome: String,
    pub reference: String,
}

/// A returned row prints its row and codes, never the reference (a phone number, often).
impl std::fmt::Debug for ReturnedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReturnedRow")
            .field("row", &self.row)
            .field("entitlement", &self.entitlement)
            .finish_non_exhaustive()
    }
}

/// The list as it came back.
#[derive(Debug, Clone)]
pub struct Returned {
    /// `file` or `file#sheet`, as errors name it.
    pub source: String,
    /// Rows where something was written in quantity or outcome.
    pub rows: Vec<ReturnedRow>,
    /// Rows left blank: nobody came yet, or the list was not worked through.
    pub blank: usize,
    /// The header of each key as the file spells it, for messages.
    pub headers: std::collections::HashMap<&'static str, String>,
}

/// Why a returned list cannot be read.
#[derive(Debug)]
pub enum ReturnedError {
    File(FileError),
    Rows(Vec<RowError>),
}

/// A label of `codes` in either language, or an alias the code list knows, as its code;
/// anything else as written (the store names it as a wrong value).
fn code_of(value: &str, codes: &[&str]) -> String {
    let folded = domain::text::fold(value);
    codes
        .iter()
        .find(|code| [Lang::Fr, Lang::En].iter().any(|l| domain::text::fold(&code_label(*l, code)) == folded))
        .map_or_else(|| value.trim().to_string(), |code| code.to_string())
}

/// Reads a returned list: the first sheet (or the CSV) with a `code_droit`/`entitlement_id`
/// column, or else a household number column. Headers in French or English; a row with neither quantity nor outcome is blank.
pub fn read_returned(name: &str, bytes: &[u8]) -> Result<Returned, ReturnedError> {
    let tables = read_file(name, bytes, Encoding::Auto).map_err(ReturnedError::File)?;
    let find = |table: &Table, key: &str| {
        let (fr, en) = (header(key, Lang::Fr), header(key, Lang::En));
        table.raw_headers.iter().position(|h| {
            let folded = domain::text::fold(h).replace(' ', "_");
            folded == fr || folded == en
        })
    };
    // The entitlement's code, or the household's number (a partner's own list).
    let Some(table) = tables.iter().find(|t| find(t, "entitlement").or_else(|| find(t, "household")).is_some()) else {
        let source = tables.first().map_or_else(|| name.to_string(), |t| t.source.clone());
        return Err(ReturnedError::Rows(vec![RowError {
            file: source,
            row: 1,
            column: header("entitlement", Lang::Fr).into(),
            value: String::new(),
            expected: {
                let column = format!(
                    "{} / {} ({} / {})",
                    header("entitlement", Lang::Fr),
                    header("entitlement", Lang::En),
                    header("household", Lang::Fr),
                    header("household", Lang::En)
                );
                Message::RequiredColumn { column_fr: column.clone(), column, table: name.into(), table_fr: name.into() }
            },
        }]));
    };
    let mut headers = std::collections::HashMap::new();
    let mut missing = Vec::new();
    let mut columns = std::collections::HashMap::new();
    for key in ["entitlement", "household", "member", "quantity", "date", "modality", "outcome", "reference"] {
        match find(table, key) {
            Some(i) => {
                columns.insert(key, i);
                headers.insert(key, table.raw_headers[i].clone());
            }
            None if ["quantity", "date", "outcome"].contains(&key) => missing.push(RowError {
                file: table.source.clone(),
                row: 1,
                column: header(key, Lang::Fr).into(),
                value: String::new(),
                expected: {
                    let column = format!("{} / {}", header(key, Lang::Fr), header(key, Lang::En));
                    Message::RequiredColumn {
                        column_fr: column.clone(),
                        column,
                        table: table.source.clone(),
                        table_fr: table.source.clone(),
                    }
                },
            }),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(ReturnedError::Rows(missing));
    }
    let mut rows = Vec::new();
    let mut blank = 0;
    for (number, cells) in &table.rows {
        let get = |key: &str| columns.get(key).and_then(|i| cells.get(*i)).map(str::trim).unwrap_or("").to_string();
        let row = ReturnedRow {
            row: *number,
            entitlement: get("entitlement"),
            household: get("household"),
            member: get("member"),
            quantity: get("quantity"),
            date: get("date"),
            modality: code_of(&get("modality"), &MODALITIES),
            outcome: code_of(&get("outcome"), &OUTCOMES),
            reference: get("reference"),
        };
        if row.entitlement.is_empty() && row.household.is_empty() && row.quantity.is_empty() && row.outcome.is_empty() {
            continue;
        }
        if row.quantity.is_empty() && row.outcome.is_empty() {
            blank += 1;
            continue;
        }
        rows.push(row);
    }
    Ok(Returned { source: table.source.clone(), rows, blank, headers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize) -> ListRow {
        ListRow {
            entitlement: format!("E{n}"),
            household: format!("GAO-{n}"),
            member: None,
            head: "Aminata Maïga".into(),
            people: 5,
            place: "Gao (ML070303)".into(),
            phone: n.is_multiple_of(2).then(|| format!("+223 76 00 00 0{n}")),
            entitled: 75_000.0,
            delivered: if n == 4 { 75_000.0 } else { 0.0 },
        }
    }

    #[test]
    fn a_list_printed_in_french_comes_back_with_labels_read_as_codes() {
        let heading = ListHeading {
            programme: "Cash & abris".into(),
            round: "Tour 1".into(),
            period: "2024-06-01 → 2024-06-30".into(),
            unit: "XOF".into(),
            modality: "mobile_money".into(),
        };
        let bytes = list_xlsx(&heading, &[row(1), row(2), row(3)], Lang::Fr).unwrap();
        let back = read_returned("liste.xlsx", &bytes).unwrap();
        assert_eq!((back.rows.len(), back.blank), (0, 3), "nothing written yet: every row is blank");

        let csv = "code_droit;numero_menage;quantite_remise;date_remise;modalite;resultat;reference\n\
                   E1;GAO-1;75 000;20/06/2024;Argent mobile;Remis;OM-1\n\
                   E2;GAO-2;;;;Non retiré;\n\
                   E3;GAO-3;;;;;\n";
        let back = read_returned("retour.csv", csv.as_bytes()).unwrap();
        assert_eq!(back.blank, 1);
        assert_eq!(back.rows.len(), 2);
        assert_eq!((back.rows[0].modality.as_str(), back.rows[0].outcome.as_str()), ("mobile_money", "delivered"));
        assert_eq!((back.rows[1].row, back.rows[1].outcome.as_str()), (3, "not_collected"));
        assert!(!format!("{:?}", back.rows[0]).contains("OM-1"), "no reference in Debug");
    }

    #[test]
    fn a_returned_list_without_its_columns_names_them() {
        let Err(ReturnedError::Rows(errors)) = read_returned("retour.csv", b"nom,quantite_remise\nAwa,5\n") else {
            panic!("refused")
        };
        assert_eq!(errors[0].column, "code_droit");
        let Err(ReturnedError::Rows(errors)) =
            read_returned("retour.csv", b"entitlement_id,quantity_delivered\nE1,5\n")
        else {
            panic!("refused")
        };
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["date_remise", "resultat"]);
    }

    #[test]
    fn the_payment_file_lists_what_is_owed_to_those_with_a_phone() {
        let text = String::from_utf8(payment_csv(&[row(1), row(2), row(4)]).unwrap()).unwrap();
        assert_eq!(text, "phone,amount,reference\n+223 76 00 00 02,75000,E2\n");
    }
}
