//! Reading a 3W/4W/5W sheet in HXL, as OCHA and HDX take them: `#org`, `#sector`,
//! `#activity`, `#adm1+code` or `#adm2+code`, `#date` (the month), optionally `#beneficiary`
//! (population group), `#targeted` and `#reached+ind` with `+f`/`+m`. Columns are found by
//! their hashtags; the store checks sectors, places and groups against its code lists.

use chrono::NaiveDate;
use domain::Message;

use crate::cells::{decimal, month};
use crate::import::RowError;
use crate::series::{column, tag_row};
use crate::tables::Table;

/// One row of a 4W sheet, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub row: usize,
    pub organisation: String,
    pub sector: String,
    pub activity: String,
    /// The P-code given, as written (upper case), with the column it came from.
    pub place: String,
    pub place_column: String,
    pub month: NaiveDate,
    pub group: String,
    pub targeted: Option<f64>,
    pub reached: Option<f64>,
    pub female: Option<f64>,
    pub male: Option<f64>,
}

/// The header of each column the store names in its messages.
#[derive(Debug, Clone, Default)]
pub struct ActivityColumns {
    pub organisation: String,
    pub sector: String,
    pub group: String,
    pub reached: String,
}

/// Every row, or every bad cell of the sheet.
pub fn read_activity_rows(table: &Table) -> Result<(Vec<ActivityRow>, ActivityColumns), Vec<RowError>> {
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
    let organisation = column(&tags, "org", &["acronym"], &["funder"])
        .or_else(|| column(&tags, "org", &[], &["funder", "type", "code", "id"]));
    let sector = column(&tags, "sector", &["code"], &[]).or_else(|| column(&tags, "sector", &[], &[]));
    let activity = column(&tags, "activity", &[], &["code", "id"]).or_else(|| column(&tags, "activity", &[], &[]));
    let places = [column(&tags, "adm2", &["code"], &[]), column(&tags, "adm1", &["code"], &[])];
    let date = column(&tags, "date", &[], &["end"]);
    let group = column(&tags, "beneficiary", &[], &[]);
    let targeted = column(&tags, "targeted", &[], &["f", "m", "hh"]);
    let reached = column(&tags, "reached", &[], &["f", "m", "hh"]);
    let female = column(&tags, "reached", &["f"], &[]);
    let male = column(&tags, "reached", &["m"], &[]);
    let (Some(organisation), Some(sector), Some(activity), Some(date)) = (organisation, sector, activity, date) else {
        return Err(vec![error(tag_row_number, "", "", Message::HxlActivityColumns)]);
    };
    if places.iter().all(Option::is_none) || (targeted.is_none() && reached.is_none()) {
        return Err(vec![error(tag_row_number, "", "", Message::HxlActivityColumns)]);
    }
    let header = |i: usize| table.raw_headers.get(i).cloned().unwrap_or_default();
    let columns = ActivityColumns {
        organisation: header(organisation),
        sector: header(sector),
        group: group.map(header).unwrap_or_default(),
        reached: reached.map(header).unwrap_or_default(),
    };
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (number, cells) in table.rows.iter().filter(|(n, _)| *n > tag_row_number) {
        let cell = |i: usize| cells.get(i).unwrap_or("").trim().to_string();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut required = |i: usize| {
            let value = cell(i);
            if value.is_empty() || value.chars().count() > 200 {
                errors.push(error(*number, &header(i), &value, Message::FundingText));
            }
            value
        };
        let (organisation, sector, activity) = (required(organisation), required(sector), required(activity));
        let place = places.iter().flatten().map(|i| (*i, cell(*i))).find(|(_, v)| !v.is_empty());
        if place.is_none() {
            let i = places.iter().flatten().next().copied().unwrap_or(0);
            errors.push(error(*number, &header(i), "", Message::TargetPlace));
        }
        let day = month(&cell(date));
        if day.is_none() {
            errors.push(error(*number, &header(date), &cell(date), Message::ActivityMonth));
        }
        let mut count = |i: Option<usize>| match i.map(|i| decimal(&cell(i))) {
            None | Some(None) => None,
            Some(Some(Ok(v))) => Some(v),
            Some(Some(Err(()))) => {
                let i = i.unwrap_or(0);
                errors.push(error(*number, &header(i), &cell(i), Message::TargetCount));
                None
            }
        };
        let (targeted, reached_value, female, male) = (count(targeted), count(reached), count(female), count(male));
        if let (Some(total), Some(parts)) = (reached_value, female.zip(male).map(|(f, m)| f + m).or(female).or(male)) {
            if parts > total {
                let i = reached.unwrap_or(0);
                errors.push(error(
                    *number,
                    &header(i),
                    &cell(i),
                    Message::PartsWithinTotal { total: total.to_string() },
                ));
            }
        }
        if let (Some((i, place)), Some(month)) = (place, day) {
            rows.push(ActivityRow {
                row: *number,
                organisation,
                sector,
                activity,
                place: place.to_uppercase(),
                place_column: header(i),
                month,
                group: group.map(cell).unwrap_or_default(),
                targeted,
                reached: reached_value.or(female.zip(male).map(|(f, m)| f + m)),
                female,
                male,
            });
        }
    }
    if errors.is_empty() {
        Ok((rows, columns))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{read_file, Encoding};

    fn table(text: &str) -> Table {
        read_file("5w.csv", text.as_bytes(), Encoding::Auto).unwrap().remove(0)
    }

    #[test]
    fn a_5w_sheet_is_read_by_hashtag_and_every_bad_cell_is_named() {
        let ok = table(
            "Organisation,Secteur,Activité,Cercle,Mois,Groupe,Ciblés,Atteints,Femmes,Hommes\n\
             #org+acronym,#sector+cluster,#activity+name,#adm2+code,#date+month,#beneficiary,#targeted,#reached+ind,#reached+ind+f,#reached+ind+m\n\
             AMSS,WASH,Kits d'hygiène,ml0701,2024-05,IDP,\"1 200\",950,500,450\n\
             IRC,Protection,Gestion de cas,ML0601,17/05/2024,,,120,,\n",
        );
        let (rows, columns) = read_activity_rows(&ok).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].place.as_str(), rows[0].targeted, rows[0].reached), ("ML0701", Some(1200.0), Some(950.0)));
        assert_eq!(rows[1].month, NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
        assert_eq!(columns.sector, "Secteur");
        let bad = table(
            "Organisation,Secteur,Activité,Cercle,Mois,Atteints,Femmes\n\
             #org,#sector,#activity,#adm2+code,#date,#reached,#reached+f\n\
             ,WASH,Kits,ML0701,mai,12,20\n\
             AMSS,,Kits,,2024-05,-3,\n",
        );
        let errors = read_activity_rows(&bad).unwrap_err();
        let named: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            named,
            [(3, "Organisation"), (3, "Mois"), (3, "Atteints"), (4, "Secteur"), (4, "Cercle"), (4, "Atteints")]
        );
        let untagged = table("Organisation,Secteur,Mois\nAMSS,WASH,2024-05\n#org,#sector,#date\n");
        assert_eq!(read_activity_rows(&untagged).unwrap_err()[0].expected, Message::HxlActivityColumns);
    }
}
