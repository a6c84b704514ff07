//! Cells of HXL sheets as people type them: amounts with spaces or separators, days, months,
//! years and comma-separated lists.

use chrono::{Datelike, NaiveDate};

/// "25 000", "25,000", "25000.5", "25 000,5" or "25000" (`None` when blank, `Some(Err)` when
/// not a number of 0 or more). A comma is a decimal comma unless exactly three digits follow
/// it and no point is written (then it separates thousands, as in "25,000").
pub fn decimal(text: &str) -> Option<Result<f64, ()>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}').collect();
    if compact.is_empty() {
        return None;
    }
    let thousands = compact.contains('.') || compact.split(',').skip(1).all(|group| group.len() == 3);
    let normalised = if thousands {
        compact.replace(',', "")
    } else if compact.matches(',').count() == 1 {
        compact.replace(',', ".")
    } else {
        return Some(Err(()));
    };
    Some(normalised.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or(()))
}

/// A day written 2024-05-31 or 31/05/2024.
pub fn day(text: &str) -> Option<NaiveDate> {
    domain::dates::calendar_day(text)
}

/// The first day of a month written 2024-05, 05/2024 or as any day of it.
pub fn month(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    day(text)
        .or_else(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
        .or_else(|| NaiveDate::parse_from_str(&format!("01/{text}"), "%d/%m/%Y").ok())
        .and_then(|d| d.with_day(1))
}

/// A year (2024) or the year of a day; between 2000 and 2100.
pub fn year(text: &str) -> Option<i32> {
    let text = text.trim();
    let year = text.parse::<i32>().ok().or_else(|| day(text).map(|d| d.year()))?;
    (2000..=2100).contains(&year).then_some(year)
}

/// The items of a comma-separated cell, trimmed, blanks left out.
pub fn list(text: &str) -> Vec<String> {
    text.split([',', ';', '|']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(decimal("25 000"), Some(Ok(25000.0)));
        assert_eq!(decimal("25,000"), Some(Ok(25000.0)));
        assert_eq!(decimal("1,250,000"), Some(Ok(1_250_000.0)));
        assert_eq!(decimal("25,5"), Some(Ok(25.5)));
        assert_eq!(decimal("25 000,50"), Some(Ok(25000.5)));
        assert_eq!(decimal("25,000.50"), Some(Ok(25000.5)));
        assert_eq!(decimal(""), None);
        assert_eq!(decimal("-4"), Some(Err(())));
        assert_eq!(decimal("1,2,3"), Some(Err(())));
        assert_eq!(decimal("beaucoup"), Some(Err(())));
        assert_eq!(month("2024-05"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(month("17/05/2024"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(month("05/2024"), NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(month("2024-13"), None);
        assert_eq!(year("2024"), Some(2024));
        assert_eq!(year("2024-03-02"), Some(2024));
        assert_eq!(year("24"), None);
        assert_eq!(list("Food Security, Health,"), ["Food Security", "Health"]);
    }
}
