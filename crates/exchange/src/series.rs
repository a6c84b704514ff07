//! Reading external series from HXL-tagged CSV or XLSX: columns are found by their hashtags
//! (`#adm2+code`, `#adm1+name`, `#date+reported`, `#affected+idps+ind`, `+hh`, `+f`, `+m`,
//! `#round`, `#org`…), never by their header text. A tag outside the HXL vocabulary is named
//! rather than ignored, and a date keeps its precision: a figure "for 2023" stands on 31
//! December 2023.

use chrono::NaiveDate;
use domain::places::PlaceRef;
use domain::{DatePrecision, FuzzyDate, Message};

use crate::import::RowError;
use crate::tables::Table;

/// One row of a series file, as read.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    pub row: usize,
    pub place: PlaceRef,
    /// The last day the figure's date covers (the stock it counts stands then).
    pub reference_date: NaiveDate,
    pub date_precision: DatePrecision,
    /// The date as the file wrote it (or the date given for the whole file).
    pub date_as_given: String,
    pub round: Option<String>,
    pub individuals: Option<i64>,
    pub households: Option<i64>,
    pub females: Option<i64>,
    pub males: Option<i64>,
}

/// A parsed hashtag specification: `#affected+idps+ind` → (`affected`, [`idps`, `ind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    hashtag: String,
    attributes: Vec<String>,
    /// As written in the file, for messages.
    written: String,
}

fn parse_tag(cell: &str) -> Option<Tag> {
    let cell = cell.trim();
    let rest = cell.strip_prefix('#')?;
    let mut parts = rest.split('+').map(|p| p.trim().to_ascii_lowercase());
    let hashtag = parts.next().filter(|h| !h.is_empty())?;
    Some(Tag { hashtag, attributes: parts.filter(|p| !p.is_empty()).collect(), written: cell.to_string() })
}

impl Tag {
    fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a == attribute)
    }
    fn has_age(&self) -> bool {
        self.attributes.iter().any(|a| {
            a.starts_with("age") || ["infants", "children", "adolescents", "adults", "elderly"].contains(&a.as_str())
        })
    }
}

/// Whether the table has a row of HXL hashtags that series can be read by.
pub fn has_tag_row(table: &Table) -> bool {
    tag_row(table).is_some()
}

/// The hashtag row: the first of the first rows in which most filled cells are hashtags
/// (the header row above it is for people).
pub(crate) fn tag_row(table: &Table) -> Option<(usize, Vec<Option<Tag>>)> {
    let candidates = std::iter::once((1usize, table.raw_headers.clone()))
        .chain(table.rows.iter().take(4).map(|(n, r)| (*n, r.iter().map(str::to_string).collect())));
    for (number, cells) in candidates {
        let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
        let tags: Vec<Option<Tag>> = cells.iter().map(|c| parse_tag(c)).collect();
        let tagged = tags.iter().filter(|t| t.is_some()).count();
        if filled > 0 && tagged * 2 > filled {
            return Some((number, tags));
        }
    }
    None
}

fn group_attribute(group: &str) -> Option<&'static str> {
    match group {
        "IDP" => Some("idps"),
        "REF" => Some("refugees"),
        "RET" | "RDP" => Some("returnees"),
        _ => None,
    }
}

/// Finds the column of a count: `#affected`/`#population`/`#inneed` with `unit`
/// (`ind` or `hh`) and an optional sex, no age; the population group's attribute preferred.
fn count_column(tags: &[Option<Tag>], unit: &str, sex: Option<&str>, group: &str) -> Option<usize> {
    let fits = |t: &Tag| {
        ["affected", "population"].contains(&t.hashtag.as_str())
            && !t.has_age()
            && match sex {
                Some(s) => t.has(s),
                None => !t.has("f") && !t.has("m"),
            }
            && (t.has(unit) || (unit == "ind" && !t.has("hh") && sex.is_some()))
    };
    let candidates: Vec<usize> =
        tags.iter().enumerate().filter(|(_, t)| t.as_ref().is_some_and(fits)).map(|(i, _)| i).collect();
    let preferred = group_attribute(group)
        .and_then(|a| candidates.iter().copied().find(|i| tags[*i].as_ref().is_some_and(|t| t.has(a))));
    preferred.or_else(|| candidates.first().copied())
}

pub(crate) fn column(tags: &[Option<Tag>], hashtag: &str, with: &[&str], without: &[&str]) -> Option<usize> {
    tags.iter().position(|t| {
        t.as_ref()
            .is_some_and(|t| t.hashtag == hashtag && with.iter().all(|a| t.has(a)) && !without.iter().any(|a| t.has(a)))
    })
}

fn parse_count(text: &str) -> Option<Result<i64, ()>> {
    let cleaned: String =
        text.chars().filter(|c| !c.is_whitespace() && *c != ',' && *c != '\u{202f}' && *c != '\u{a0}').collect();
    if cleaned.is_empty() {
        return None;
    }
    let value = cleaned
        .parse::<i64>()
        .ok()
        .or_else(|| cleaned.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as i64));
    Some(value.filter(|v| *v >= 0).ok_or(()))
}

/// A series file as read: its rows, and the columns left out because their tags are outside
/// the HXL vocabulary (only when the user accepted that).
#[derive(Debug, Clone)]
pub struct SeriesFile {
    pub rows: Vec<SeriesRow>,
    /// `Header: #tag+attribute`, one per column left out.
    pub columns_left_out: Vec<String>,
}

/// How to read a series file.
#[derive(Debug, Clone, Copy)]
pub struct SeriesReading<'a> {
    pub group: &'a str,
    /// The date of every figure, when the file has no date column.
    pub default_date: Option<FuzzyDate>,
    pub today: NaiveDate,
    /// Leave out the columns whose tags are outside the HXL vocabulary instead of refusing.
    pub accept_unknown_tags: bool,
}

/// Reads the rows of a series file, or every bad cell.
pub fn read_series(table: &Table, reading: SeriesReading) -> Result<SeriesFile, Vec<RowError>> {
    let SeriesReading { group, default_date, today, accept_unknown_tags } = reading;
    let error = |row: usize, column: &str, value: &str, expected: Message| RowError {
        file: table.source.clone(),
        row,
        column: column.into(),
        value: value.into(),
        expected,
    };
    let Some((tag_row_number, mut tags)) = tag_row(table) else {
        return Err(vec![error(1, "", "", Message::HxlTagRow)]);
    };
    let header_name = |i: usize| table.raw_headers.get(i).cloned().unwrap_or_default();
    // A typo in a tag would drop its column without a word (`+female` reads as no sex at all,
    // `#admn1` as no place): each is named, or its column left out when the user accepts it.
    let mut unknown_tags = Vec::new();
    let mut columns_left_out = Vec::new();
    for (i, slot) in tags.iter_mut().enumerate() {
        let Some(tag) = slot.as_ref() else { continue };
        let unknown = crate::hxl::unknown_parts(&tag.hashtag, &tag.attributes);
        if unknown.is_empty() {
            continue;
        }
        if accept_unknown_tags {
            columns_left_out.push(format!("{}: {}", header_name(i), tag.written));
            *slot = None;
            continue;
        }
        for part in unknown {
            unknown_tags.push(error(
                tag_row_number,
                &header_name(i),
                &tag.written,
                Message::HxlUnknownTag { written: part.written, suggestion: part.suggestion.unwrap_or_default() },
            ));
        }
    }
    if !unknown_tags.is_empty() {
        return Err(unknown_tags);
    }
    let code = |level: usize| column(&tags, &format!("adm{level}"), &["code"], &[]);
    let name = |level: usize| column(&tags, &format!("adm{level}"), &[], &["code"]);
    let places: Vec<(Option<usize>, Option<usize>)> = (1..=3).map(|l| (code(l), name(l))).collect();
    let country = column(&tags, "country", &["code"], &[])
        .or_else(|| column(&tags, "adm0", &["code"], &[]))
        .or_else(|| column(&tags, "country", &[], &[]))
        .or_else(|| column(&tags, "adm0", &[], &[]));
    let date = column(&tags, "date", &["reported"], &[]).or_else(|| column(&tags, "date", &[], &["start", "end"]));
    let round = column(&tags, "round", &[], &[]).or_else(|| column(&tags, "meta", &["round"], &[]));
    let individuals = count_column(&tags, "ind", None, group);
    let households = count_column(&tags, "hh", None, group);
    let females = count_column(&tags, "ind", Some("f"), group);
    let males = count_column(&tags, "ind", Some("m"), group);
    let mut errors = Vec::new();
    if country.is_none() && places.iter().all(|(c, n)| c.is_none() && n.is_none()) {
        errors.push(error(tag_row_number, "", "", Message::HxlPlaceColumn));
    }
    if individuals.is_none() && households.is_none() {
        errors.push(error(tag_row_number, "", "", Message::HxlCountColumn));
    }
    if date.is_none() && default_date.is_none() {
        errors.push(error(tag_row_number, "", "", Message::HxlDateColumn));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    for (number, cells) in table.rows.iter().filter(|(n, _)| *n > tag_row_number) {
        let cell = |i: Option<usize>| {
            i.and_then(|i| cells.get(i)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let mut count = |i: Option<usize>| match i.and_then(|i| cells.get(i)).and_then(parse_count) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(())) => {
                errors.push(error(
                    *number,
                    &header_name(i.unwrap_or(0)),
                    cells.get(i.unwrap_or(0)).unwrap_or(""),
                    Message::WholeCount,
                ));
                None
            }
        };
        let (ind, hh, f, m) = (count(individuals), count(households), count(females), count(males));
        let (when, date_as_given) = match cell(date) {
            Some(text) => match FuzzyDate::parse_period("date", &text, today) {
                Ok(d) => (d, text),
                Err(e) => {
                    errors.push(error(*number, &header_name(date.unwrap_or(0)), &text, *e.expected));
                    continue;
                }
            },
            None => match default_date {
                Some(d) => (d, d.display()),
                None => {
                    errors.push(error(*number, &header_name(date.unwrap_or(0)), "", Message::ReferenceDate));
                    continue;
                }
            },
        };
        let mut place = PlaceRef { country: cell(country), ..PlaceRef::default() };
        for (level, (c, n)) in places.iter().enumerate() {
            place.codes[level] = cell(*c);
            place.names[level] = cell(*n);
        }
        rows.push(SeriesRow {
            row: *number,
            place,
            reference_date: when.last_day(),
            date_precision: when.precision,
            date_as_given,
            round: cell(round),
            individuals: ind,
            households: hh,
            females: f,
            males: m,
        });
    }
    if errors.is_empty() {
        Ok(SeriesFile { rows, columns_left_out })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Encoding;

    fn read(csv: &str, accept_unknown_tags: bool) -> Result<SeriesFile, Vec<RowError>> {
        let table = crate::tables::read_csv("dtm.csv", csv.as_bytes(), Encoding::Auto).unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        read_series(&table, SeriesReading { group: "IDP", default_date: None, today, accept_unknown_tags })
    }

    #[test]
    fn finds_columns_by_hashtag() {
        let csv = "Région,Cercle,Date,Round,PDI individus,PDI ménages,Femmes\n#adm1+name,#adm2+name,#date+reported,#round+code,#affected+idps+ind,#affected+idps+hh,#affected+idps+f\nGao,Ansongo,2024-03-31,14,\"1 250\",300,700\n";
        let rows = read(csv, false).unwrap().rows;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].individuals, rows[0].households, rows[0].females, rows[0].males),
            (Some(1250), Some(300), Some(700), None)
        );
        assert_eq!(rows[0].place.names[1].as_deref(), Some("Ansongo"));
        assert_eq!(rows[0].round.as_deref(), Some("14"));
        assert_eq!(rows[0].row, 3);
    }

    #[test]
    fn missing_tags_are_named() {
        let table = crate::tables::read_csv("x.csv", b"a,b\n1,2\n", Encoding::Auto).unwrap();
        let today = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        let reading = SeriesReading { group: "IDP", default_date: None, today, accept_unknown_tags: false };
        let errors = read_series(&table, reading).unwrap_err();
        assert_eq!(errors[0].expected, Message::HxlTagRow, "{errors:?}");
    }

    #[test]
    fn a_national_series_by_year_stands_on_the_last_day_of_each_year() {
        let csv =
            "Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\nMLI,2022,\"412 000\"\nMLI,2023,391961\n";
        let rows = read(csv, false).unwrap().rows;
        assert_eq!(rows[0].place.country.as_deref(), Some("MLI"));
        assert_eq!(rows[1].reference_date, NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        assert_eq!((rows[1].date_precision, rows[1].date_as_given.as_str()), (DatePrecision::Year, "2023"));
        let this_year = read(&csv.replace("2023,", "2024,"), false).unwrap_err();
        assert_eq!(this_year[0].expected, Message::PeriodNotOver { end: "2024-12-31".into() });
        assert_eq!((this_year[0].row, this_year[0].column.as_str()), (4, "Année"));
    }

    #[test]
    fn an_unknown_tag_is_named_at_its_column_unless_its_column_is_left_out() {
        let csv = "Cercle,Date,PDI,Femmes\n#admn2+name,#date+reported,#affected+idps+ind,#affected+idps+female\nAnsongo,2024-03-31,10,6\n";
        let errors = read(csv, false).unwrap_err();
        let named: Vec<(&str, &str, &Message)> =
            errors.iter().map(|e| (e.column.as_str(), e.value.as_str(), &e.expected)).collect();
        assert_eq!(
            named,
            vec![
                (
                    "Cercle",
                    "#admn2+name",
                    &Message::HxlUnknownTag { written: "#admn2".into(), suggestion: "#adm2".into() }
                ),
                (
                    "Femmes",
                    "#affected+idps+female",
                    &Message::HxlUnknownTag { written: "+female".into(), suggestion: "+f".into() }
                ),
            ]
        );
        // Accepted, those columns are left out, and said so; without a place nothing reads.
        let fixed = csv.replace("#admn2", "#adm2");
        let file = read(&fixed, true).unwrap();
        assert_eq!(file.columns_left_out, vec!["Femmes: #affected+idps+female".to_string()]);
        assert_eq!((file.rows[0].individuals, file.rows[0].females), (Some(10), None));
        let placeless = read(csv, true).unwrap_err();
        assert_eq!(placeless[0].expected, Message::HxlPlaceColumn);
    }
}
