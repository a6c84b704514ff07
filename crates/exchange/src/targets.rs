//! Reading targets and people in need of a response plan from an HXL-tagged sheet (as HDX
//! and cluster coordinators publish them): `#indicator+code`, `#adm1+code` or `#adm2+code`,
//! `#date+start`, `#date+end`, `#targeted`, `#inneed`. Columns are found by their hashtags.

use chrono::NaiveDate;
use domain::Message;

use crate::cells::{day, decimal as amount};
use crate::import::RowError;
use crate::series::{column, tag_row};
use crate::tables::Table;

/// One row of a targets sheet, as read (the store checks codes and places).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub row: usize,
    pub indicator: String,
    /// The P-code given, in its column's level (1 or 2), as written.
    pub place: String,
    /// The column the place came from, for messages.
    pub place_column: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub in_need: Option<f64>,
    pub targeted: Option<f64>,
}

/// Every row, or every bad cell of the sheet.
pub fn read_targets(table: &Table) -> Result<Vec<TargetRow>, Vec<RowError>> {
    let error = |row: usize, column: &str, value: &str, expected: Message| RowError {
        file: table.source.clone(),
        row,
        column: column.into(),
        value: value.into(),
        expected,
    };
    let Some((tag_row_number, tags)) = tag_row(table) else {
        return Err(vec![error(1, "", "", Message::HxlTagRow)]);
    };
    let indicator = column(&tags, "indicator", &["code"], &[]);
    let places = [column(&tags, "adm2", &["code"], &[]), column(&tags, "adm1", &["code"], &[])];
    let start = column(&tags, "date", &["start"], &[]);
    let end = column(&tags, "date", &["end"], &[]);
    let targeted = column(&tags, "targeted", &[], &["f", "m", "hh"]);
    let in_need = column(&tags, "inneed", &[], &["f", "m", "hh"]);
    let (Some(indicator), Some(start), Some(end)) = (indicator, start, end) else {
        return Err(vec![error(tag_row_number, "", "", Message::HxlTargetColumns)]);
    };
    if places.iter().all(Option::is_none) || (targeted.is_none() && in_need.is_none()) {
        return Err(vec![error(tag_row_number, "", "", Message::HxlTargetColumns)]);
    }
    let header = |i: usize| table.raw_headers.get(i).cloned().unwrap_or_default();
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (number, cells) in table.rows.iter().filter(|(n, _)| *n > tag_row_number) {
        let cell = |i: usize| cells.get(i).unwrap_or("").trim().to_string();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let code = cell(indicator);
        if code.is_empty() {
            errors.push(error(*number, &header(indicator), "", Message::IndicatorOfPlan { codes: String::new() }));
        }
        // The finest place given: a cercle, else a région.
        let place = places.iter().flatten().map(|i| (*i, cell(*i))).find(|(_, v)| !v.is_empty());
        if place.is_none() {
            let i = places.iter().flatten().next().copied().unwrap_or(0);
            errors.push(error(*number, &header(i), "", Message::TargetPlace));
        }
        let mut dates = [None, None];
        for (slot, i) in dates.iter_mut().zip([start, end]) {
            *slot = day(&cell(i));
            if slot.is_none() {
                errors.push(error(*number, &header(i), &cell(i), Message::IsoDate));
            }
        }
        if let [Some(s), Some(e)] = dates {
            if e < s {
                errors.push(error(*number, &header(end), &cell(end), Message::DateOnOrAfter { from: s.to_string() }));
            }
        }
        let mut count = |i: Option<usize>| match i.map(|i| amount(&cell(i))) {
            None | Some(None) => None,
            Some(Some(Ok(v))) => Some(v),
            Some(Some(Err(()))) => {
                let i = i.unwrap_or(0);
                errors.push(error(*number, &header(i), &cell(i), Message::TargetCount));
                None
            }
        };
        let (in_need_value, targeted_value) = (count(in_need), count(targeted));
        if let (false, Some((i, place)), [Some(start), Some(end)]) = (code.is_empty(), place, dates) {
            rows.push(TargetRow {
                row: *number,
                indicator: code.to_uppercase(),
                place: place.to_uppercase(),
                place_column: header(i),
                start,
                end,
                in_need: in_need_value,
                targeted: targeted_value,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{read_file, Encoding};

    fn table(text: &str) -> Table {
        read_file("cibles.csv", text.as_bytes(), Encoding::Auto).unwrap().remove(0)
    }

    #[test]
    fn targets_are_read_by_hashtag_and_every_bad_cell_is_named() {
        let ok = table(
            "Indicateur,Région,Cercle,Début,Fin,Dans le besoin,Ciblés\n\
             #indicator+code,#adm1+code,#adm2+code,#date+start,#date+end,#inneed,#targeted\n\
             SHL-01,ML07,ML0701,2024-01-01,2024-12-31,\"12 000\",8000\n\
             shl-01,ML06,,01/01/2024,31/12/2024,,2 500\n",
        );
        let rows = read_targets(&ok).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].place.as_str(), rows[0].in_need, rows[0].targeted),
            ("ML0701", Some(12000.0), Some(8000.0))
        );
        assert_eq!((rows[1].indicator.as_str(), rows[1].place.as_str(), rows[1].in_need), ("SHL-01", "ML06", None));
        let bad = table(
            "Indicateur,Cercle,Début,Fin,Ciblés\n\
             #indicator+code,#adm2+code,#date+start,#date+end,#targeted\n\
             SHL-01,ML0701,2024-13-01,2024-12-31,8 000 ménages\n\
             ,,2024-01-01,2023-12-31,-4\n",
        );
        let errors = read_targets(&bad).unwrap_err();
        let named: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(named, [(3, "Début"), (3, "Ciblés"), (4, "Indicateur"), (4, "Cercle"), (4, "Fin"), (4, "Ciblés")]);
        let untagged = table("Indicateur,Cercle\nSHL-01,ML0701\n");
        assert_eq!(read_targets(&untagged).unwrap_err()[0].expected, Message::HxlTagRow);
    }
}
