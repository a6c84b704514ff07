//! Dates as field teams know them: a day, a month, a year, or an age estimated on a given day.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::DatePrecision;
use crate::error::FieldError;
use crate::messages::Message;

/// A date and how precisely it is known. An imprecise date is stored as the first day of its
/// month or year; an estimated date of birth is the reference date minus the estimated age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FuzzyDate {
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateError;

impl FuzzyDate {
    pub fn day(date: NaiveDate) -> FuzzyDate {
        FuzzyDate { date, precision: DatePrecision::Day }
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or the French `DD/MM/YYYY`. It refuses dates
    /// after `today` (nobody is registered tomorrow) and before 1900.
    pub fn parse(field: &str, input: &str, today: NaiveDate) -> Result<FuzzyDate, FieldError> {
        let text = input.trim();
        let err = |expected: Message| FieldError::new(field, text, expected);
        let parsed = parse_text(text).ok_or_else(|| err(Message::FuzzyDate))?;
        if parsed.date > today {
            return Err(err(Message::DateNotAfterToday { today: today.to_string() }));
        }
        if parsed.date.year() < 1900 {
            return Err(err(Message::DateFrom1900));
        }
        Ok(parsed)
    }

    /// A day, as for a registration: a text that does not read as a date, or one known only to
    /// the month or year, is asked for as a full date; the other refusals keep their message.
    pub fn parse_day(field: &str, input: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
        match FuzzyDate::parse(field, input, today) {
            Ok(d) if d.precision == DatePrecision::Day => Ok(d.date),
            Err(e) if *e.expected != Message::FuzzyDate => Err(e),
            _ => Err(FieldError::new(field, input.trim(), Message::FullDate)),
        }
    }

    /// A date of birth from an age in whole years estimated on `on`.
    pub fn from_estimated_age(field: &str, age: &str, on: NaiveDate) -> Result<FuzzyDate, FieldError> {
        let years: u32 = age
            .trim()
            .parse()
            .ok()
            .filter(|y| *y <= 120)
            .ok_or_else(|| FieldError::new(field, age.trim(), Message::AgeInYears))?;
        let year = on.year() - years as i32;
        let date = NaiveDate::from_ymd_opt(year, on.month(), on.day().min(28))
            .ok_or_else(|| FieldError::new(field, age.trim(), Message::AgeInYears))?;
        Ok(FuzzyDate { date, precision: DatePrecision::Estimated })
    }

    /// The stored text: the ISO date of the first day the precision allows.
    pub fn iso(&self) -> String {
        self.date.format("%Y-%m-%d").to_string()
    }

    /// The date as a user wrote it, at its precision: `2019`, `2019-04`, `2019-04-12`.
    pub fn display(&self) -> String {
        match self.precision {
            DatePrecision::Year | DatePrecision::Estimated => self.date.format("%Y").to_string(),
            DatePrecision::Month => self.date.format("%Y-%m").to_string(),
            DatePrecision::Day => self.iso(),
        }
    }

    /// Reads a stored date back.
    pub fn from_stored(iso: &str, precision: &str) -> Option<FuzzyDate> {
        let date = NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
        let precision = DatePrecision::parse("precision", precision).ok()?;
        Some(FuzzyDate { date, precision })
    }
}

fn parse_text(text: &str) -> Option<FuzzyDate> {
    let bytes = text.as_bytes();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match bytes.len() {
        4 if all_digits(text) => {
            let date = NaiveDate::from_ymd_opt(text.parse().ok()?, 1, 1)?;
            Some(FuzzyDate { date, precision: DatePrecision::Year })
        }
        7 if bytes[4] == b'-' && all_digits(&text[..4]) && all_digits(&text[5..]) => {
            let date = NaiveDate::from_ymd_opt(text[..4].parse().ok()?, text[5..].parse().ok()?, 1)?;
            Some(FuzzyDate { date, precision: DatePrecision::Month })
        }
        10 if bytes[4] == b'-' && bytes[7] == b'-' => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some(FuzzyDate::day(date))
        }
        10 if bytes[2] == b'/' && bytes[5] == b'/' => {
            let date = NaiveDate::parse_from_str(text, "%d/%m/%Y").ok()?;
            Some(FuzzyDate::day(date))
        }
        // Spreadsheets export date cells with a midnight time: "2021-03-04 00:00:00" or "…T00:00:00".
        19 if (bytes[10] == b' ' || bytes[10] == b'T') && text.ends_with("00:00:00") => parse_text(&text[..10]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()
    }

    #[test]
    fn parses_each_precision() {
        let d = FuzzyDate::parse("d", "2019", today()).unwrap();
        assert_eq!((d.iso().as_str(), d.precision), ("2019-01-01", DatePrecision::Year));
        let d = FuzzyDate::parse("d", "2019-04", today()).unwrap();
        assert_eq!((d.iso().as_str(), d.precision), ("2019-04-01", DatePrecision::Month));
        let d = FuzzyDate::parse("d", "2019-04-12", today()).unwrap();
        assert_eq!((d.display().as_str(), d.precision), ("2019-04-12", DatePrecision::Day));
        let d = FuzzyDate::parse("d", "12/04/2019", today()).unwrap();
        assert_eq!(d.iso(), "2019-04-12");
        let d = FuzzyDate::parse("d", "2019-04-12 00:00:00", today()).unwrap();
        assert_eq!(d.iso(), "2019-04-12");
    }

    #[test]
    fn refuses_impossible_future_and_malformed_dates() {
        for bad in ["2019-02-30", "2025-01-01", "1850", "19-04-2019", "yesterday", "", "2019-13"] {
            let err = FuzzyDate::parse("birth_date", bad, today()).unwrap_err();
            assert_eq!(err.field, "birth_date", "{bad}");
        }
        let err = FuzzyDate::parse("d", "2024-07-01", today()).unwrap_err();
        assert!(matches!(*err.expected, Message::DateNotAfterToday { .. }), "{}", err.expected);
    }

    #[test]
    fn estimates_birth_from_age() {
        let d = FuzzyDate::from_estimated_age("age", "34", today()).unwrap();
        assert_eq!(d.date.year(), 1990);
        assert_eq!(d.precision, DatePrecision::Estimated);
        assert!(FuzzyDate::from_estimated_age("age", "200", today()).is_err());
    }
}
