//! Reading external series from HXL-tagged CSV or XLSX: columns are found by their hashtags
//! (`#adm2+code`, `#adm1+name`, `#date+reported`, `#affected+idps+ind`, `+hh`, `+f`, `+m`,
//! `#round`, `#org`…), never by their header text.

use chrono::NaiveDate;
use domain::places::PlaceRef;
use domain::Message;

use crate::import::RowError;
use crate::tables::Table;

/// One row of a series file, as read.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    pub row: usize,
    pub place: PlaceRef,
    pub reference_date: NaiveDate,
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
}

fn parse_tag(cell: &str) -> Option<Tag> {
    let cell = cell.trim();
    let rest = cell.strip_prefix('#')?;
    let mut parts = rest.split('+').map(|p| p.trim().to_ascii_lowercase());
    let hashtag = parts.next().filter(|h| !h.is_empty())?;
    Some(Tag { hashtag, attributes: parts.filter(|p| !p.is_empty()).collect() })
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

/// Reads the rows of a series file, or every bad cell.
pub fn read_series(
    table: &Table,
    group: &str,
    default_date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<SeriesRow>, Vec<RowError>> {
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
    let code = |level: usize| column(&tags, &format!("adm{level}"), &["code"], &[]);
    let name = |level: usize| column(&tags, &format!("adm{level}"), &[], &["code"]);
    let places: Vec<(Option<usize>, Option<usize>)> = (1..=3).map(|l| (code(l), name(l))).collect();
    let date = column(&tags, "date", &["reported"], &[]).or_else(|| column(&tags, "date", &[], &["start", "end"]));
    let round = column(&tags, "round", &[], &[]).or_else(|| column(&tags, "meta", &["round"], &[]));
    let individuals = count_column(&tags, "ind", None, group);
    let households = count_column(&tags, "hh", None, group);
    let females = count_column(&tags, "ind", Some("f"), group);
    let males = count_column(&tags, "ind", Some("m"), group);
    let mut errors = Vec::new();
    if places.iter().all(|(c, n)| c.is_none() && n.is_none()) {
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
    let header_name = |i: usize| table.raw_headers.get(i).cloned().unwrap_or_default();
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
        let reference_date = match cell(date) {
            Some(text) => match domain::FuzzyDate::parse("date", &text, today) {
                Ok(d) => d.date,
                Err(e) => {
                    errors.push(error(*number, &header_name(date.unwrap_or(0)), &text, *e.expected));
                    continue;
                }
            },
            None => match default_date {
                Some(d) => d,
                None => {
                    errors.push(error(*number, &header_name(date.unwrap_or(0)), "", Message::ReferenceDate));
                    continue;
                }
            },
        };
        let mut place = PlaceRef::default();
        for (level, (c, n)) in places.iter().enumerate() {
            place.codes[level] = cell(*c);
            place.names[level] = cell(*n);
        }
        rows.push(SeriesRow {
            row: *number,
            place,
            reference_date,
            round: cell(round),
            individuals: ind,
            households: hh,
            females: f,
            males: m,
        });
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
    use crate::tables::Encoding;

    #[test]
    fn finds_columns_by_hashtag() {
        let csv = "Région,Cercle,Date,Round,PDI individus,PDI ménages,Femmes\n#adm1+name,#adm2+name,#date+reported,#round+code,#affected+idps+ind,#affected+idps+hh,#affected+idps+f\nGao,Ansongo,2024-03-31,14,\"1 250\",300,700\n";
        let table = crate::tables::read_csv("dtm.csv", csv.as_bytes(), Encoding::Auto).unwrap();
        let rows = read_series(&table, "IDP", None, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()).unwrap();
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
        let errors = read_series(&table, "IDP", None, NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()).unwrap_err();
        assert_eq!(errors[0].expected, Message::HxlTagRow, "{errors:?}");
    }
}
