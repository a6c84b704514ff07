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
        let parsed = parse_text(text).ok_or_else(|| {
            // The right shape, but a day the calendar does not have (31/02/2024): said so.
            if looks_like_a_day(text) {
                err(Message::NoSuchDate { date: text.to_string() })
            } else {
                err(Message::FuzzyDate)
            }
        })?;
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

    /// A date of birth from an age in whole years estimated on `on` (`40`, `40 ans`,
    /// `environ 40`, `~40`).
    pub fn from_estimated_age(field: &str, age: &str, on: NaiveDate) -> Result<FuzzyDate, FieldError> {
        let years = age_in_years(age).ok_or_else(|| FieldError::new(field, age.trim(), Message::AgeInYears))?;
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

    /// The last day the date covers: the day itself, or the end of its month or year. A stock
    /// figure published "for 2024" counts people on 31 December 2024, not on 1 January.
    pub fn last_day(&self) -> NaiveDate {
        let (year, month) = (self.date.year(), self.date.month());
        let first_after = match self.precision {
            DatePrecision::Day => return self.date,
            DatePrecision::Month if month == 12 => NaiveDate::from_ymd_opt(year + 1, 1, 1),
            DatePrecision::Month => NaiveDate::from_ymd_opt(year, month + 1, 1),
            DatePrecision::Year | DatePrecision::Estimated => NaiveDate::from_ymd_opt(year + 1, 1, 1),
        };
        first_after.and_then(|d| d.pred_opt()).unwrap_or(self.date)
    }

    /// The date of a published figure: as [`FuzzyDate::parse`], and also `MM/YYYY` and a month
    /// by name (`mars 2024`, `déc. 2024`, `March 2024`, `Mar-24`). Refused when the period it
    /// names is not over on `today`: a figure for this month or year is not yet a stock.
    pub fn parse_period(field: &str, input: &str, today: NaiveDate) -> Result<FuzzyDate, FieldError> {
        let text = input.trim();
        let parsed = match parse_text(text).or_else(|| month_of_year(text)) {
            Some(parsed) => parsed,
            None if looks_like_a_day(text) => {
                return Err(FieldError::new(field, text, Message::NoSuchDate { date: text.to_string() }))
            }
            None => return Err(FieldError::new(field, text, Message::PeriodDate)),
        };
        if parsed.date.year() < 1900 {
            return Err(FieldError::new(field, text, Message::DateFrom1900));
        }
        if parsed.last_day() > today {
            return Err(FieldError::new(field, text, Message::PeriodNotOver { end: parsed.last_day().to_string() }));
        }
        Ok(parsed)
    }

    /// Reads a stored date back.
    pub fn from_stored(iso: &str, precision: &str) -> Option<FuzzyDate> {
        let date = NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
        let precision = DatePrecision::parse("precision", precision).ok()?;
        Some(FuzzyDate { date, precision })
    }
}

/// An age as clerks write it: `40`, `40 ans`, `40ans`, `environ 40`, `~40`, `about 40 years`;
/// whole years from 0 to 120. Anything else (`sept`, `-3`, `4.5`) is not read as an age.
pub fn age_in_years(text: &str) -> Option<u32> {
    // Lower case only: folding would take the minus sign of "-3" for a separator.
    let lower = text.trim().to_lowercase();
    let mut rest = lower.as_str();
    for prefix in ["environ", "env.", "about", "approx.", "approx", "vers", "~", "+/-", "±"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r.trim_start();
        }
    }
    for suffix in ["years old", "years", "year", "ans", "an", "yrs", "y"] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r.trim_end();
            break;
        }
    }
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().filter(|y| *y <= 120)
}

/// A day as a reader writes it: 30/06/2024 in French, 30 Jun 2024 in English.
pub fn shown(lang: crate::Lang, date: NaiveDate) -> String {
    match lang {
        crate::Lang::Fr => date.format("%d/%m/%Y").to_string(),
        crate::Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

/// A day as the database stores it, `YYYY-MM-DD`, read without chrono's format machinery
/// (figures read millions); any other text is read by that machinery as before.
pub fn stored_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A day written `YYYY-MM-DD` or, as French users write it, `DD/MM/YYYY` (the bounds of a
/// period, a plan's dates, a spreadsheet's date cells).
pub fn calendar_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y")).ok()
}

/// A month written `MM/YYYY` or by its French or English name, with a year of four digits
/// (or two, after a name, as spreadsheets shorten `Mar-24`).
fn month_of_year(text: &str) -> Option<FuzzyDate> {
    const MONTHS: [&[&str]; 12] = [
        &["janvier", "janv", "jan", "january"],
        &["fevrier", "fevr", "fev", "february", "feb"],
        &["mars", "mar", "march"],
        &["avril", "avr", "april", "apr"],
        &["mai", "may"],
        &["juin", "june", "jun"],
        &["juillet", "juil", "july", "jul"],
        &["aout", "august", "aug"],
        &["septembre", "sept", "sep", "september"],
        &["octobre", "oct", "october"],
        &["novembre", "nov", "november"],
        &["decembre", "dec", "december"],
    ];
    let month_of = |month: u32, year: i32| {
        NaiveDate::from_ymd_opt(year, month, 1).map(|date| FuzzyDate { date, precision: DatePrecision::Month })
    };
    if let Some((month, year)) = text.split_once('/') {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(month) && month.len() <= 2 && digits(year) && year.len() == 4 {
            return month_of(month.parse().ok()?, year.parse().ok()?);
        }
        return None;
    }
    let folded = crate::text::fold(text);
    let (name, year) = folded.rsplit_once(' ')?;
    let month = MONTHS.iter().position(|names| names.contains(&name))? as u32 + 1;
    let year: i32 = match year.len() {
        4 => year.parse().ok()?,
        2 => 2000 + year.parse::<i32>().ok()?,
        _ => return None,
    };
    month_of(month, year)
}

/// `YYYY-MM-DD` or `DD/MM/YYYY` in shape, whatever the numbers.
fn looks_like_a_day(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 10
        && ((b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10))
            || (b[2] == b'/' && b[5] == b'/' && digits(0..2) && digits(3..5) && digits(6..10)))
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
    fn a_published_period_means_its_last_day_and_must_be_over() {
        let end = |text: &str| {
            FuzzyDate::parse_period("date", text, today()).map(|d| (d.last_day().to_string(), d.precision))
        };
        assert_eq!(end("2023"), Ok(("2023-12-31".into(), DatePrecision::Year)));
        assert_eq!(end("2024-02"), Ok(("2024-02-29".into(), DatePrecision::Month)));
        assert_eq!(end("12/2023"), Ok(("2023-12-31".into(), DatePrecision::Month)));
        assert_eq!(end("mars 2024"), Ok(("2024-03-31".into(), DatePrecision::Month)));
        assert_eq!(end("Déc. 2023"), Ok(("2023-12-31".into(), DatePrecision::Month)));
        assert_eq!(end("Mar-24"), Ok(("2024-03-31".into(), DatePrecision::Month)));
        assert_eq!(end("31/03/2024"), Ok(("2024-03-31".into(), DatePrecision::Day)));
        let not_over = FuzzyDate::parse_period("date", "2024", today()).unwrap_err();
        assert_eq!(*not_over.expected, Message::PeriodNotOver { end: "2024-12-31".into() });
        assert!(FuzzyDate::parse_period("date", "2024-06", today()).is_ok(), "a month's stock stands on its last day");
        assert!(FuzzyDate::parse_period("date", "2024-07", today()).is_err());
        for bad in ["13/2023", "Brumaire 2023", "2023-02-30", "soon"] {
            assert!(FuzzyDate::parse_period("date", bad, today()).is_err(), "{bad}");
        }
    }

    #[test]
    fn estimates_birth_from_age() {
        let d = FuzzyDate::from_estimated_age("age", "34", today()).unwrap();
        assert_eq!(d.date.year(), 1990);
        assert_eq!(d.precision, DatePrecision::Estimated);
        assert!(FuzzyDate::from_estimated_age("age", "200", today()).is_err());
        for (text, age) in [("40 ans", Some(40)), ("environ 40", Some(40)), ("~ 7", Some(7)), ("7ans", Some(7))] {
            assert_eq!(age_in_years(text), age, "{text}");
        }
        for text in ["sept", "-3", "4.5", "", "ans", "121"] {
            assert_eq!(age_in_years(text), None, "{text}");
        }
    }

    #[test]
    fn a_day_the_calendar_lacks_is_named() {
        for text in ["31/02/2024", "2023-02-29"] {
            let err = FuzzyDate::parse("d", text, today()).unwrap_err();
            assert_eq!(*err.expected, Message::NoSuchDate { date: text.into() });
            assert!(err.expected.render(crate::Lang::Fr).contains(&format!("le {text} n'existe pas")));
        }
        assert_eq!(*FuzzyDate::parse("d", "2/3/2024", today()).unwrap_err().expected, Message::FuzzyDate);
    }

    #[test]
    fn a_stored_day_is_read_as_chrono_reads_it() {
        for text in [
            "2024-06-30",
            "2024-02-29",
            "2023-02-29",
            "1900-01-01",
            "0999-12-31",
            "2024-13-01",
            "2024-00-10",
            "2024-6-3",
            "2024-06-3x",
            "24-06-30",
            "",
            "2024/06/30",
            "+2024-06-3",
            "２０２４-06-30",
        ] {
            assert_eq!(stored_day(text), NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(), "{text}");
        }
    }
}
