//! Response plans (a humanitarian response plan, an agency appeal), their indicators and the
//! targets and people in need per place and period. What the registry and the deliveries
//! count is compared with them; nothing here is about a person.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::assistance::{period, required, Quantity};
use crate::error::{FieldError, FieldErrors};
use crate::messages::Message;
use crate::{Aggregation, AssistanceKind, Disaggregation, IndicatorUnit};

/// A plan as received.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// Short code, unique (e.g. `HRP-MLI-2024`).
    pub code: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
    /// Sector codes (`GET /api/v1/reference/sectors`) the plan has.
    #[serde(default)]
    pub sectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub code: String,
    pub name: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub sectors: Vec<String>,
}

/// Sector codes as given ("SHL, edu" or a list), checked against the code list, no repeats.
fn sector_codes(errors: &mut FieldErrors, field: &str, given: &[String], known: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in given.iter().flat_map(|s| s.split([',', ' '])).filter(|s| !s.trim().is_empty()) {
        let code = code.trim().to_uppercase();
        if !known.contains(&code) {
            errors.push(FieldError::new(field, code.as_str(), Message::OneOf { codes: known.join(", ") }));
        } else if !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

impl PlanInput {
    pub fn parse(&self, known_sectors: &[String]) -> Result<NewPlan, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = required(&mut errors, "code", &self.code, 40).to_uppercase();
        let name = required(&mut errors, "name", &self.name, 200);
        let dates = period(&mut errors, &self.start_date, &self.end_date);
        let sectors = sector_codes(&mut errors, "sectors", &self.sectors, known_sectors);
        if sectors.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("sectors", "", Message::OneOf { codes: known_sectors.join(", ") }));
        }
        match dates {
            Some((start_date, end_date)) if errors.is_empty() => {
                Ok(NewPlan { code, name, start_date, end_date, sectors })
            }
            _ => Err(errors),
        }
    }
}

/// An indicator as received.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct IndicatorInput {
    /// Short code, unique within the plan (e.g. `SHL-01`).
    pub code: String,
    /// One of the plan's sectors.
    pub sector: String,
    pub name_fr: String,
    pub name_en: String,
    /// `people`, `households`, `items`, `sessions`, `schools`, `sites`.
    pub unit: String,
    /// How values add up over periods: `sum`, `max`, `latest`, `average` (default `sum`).
    #[serde(default)]
    pub across_periods: String,
    /// How values add up over places (default `sum`).
    #[serde(default)]
    pub across_places: String,
    /// `sex`, `age`, `population_group`.
    #[serde(default)]
    pub disaggregations: Vec<String>,
    /// Kinds of assistance whose deliveries Djoliba counts for it (people or households
    /// reached, each once); empty for an indicator only partners report.
    #[serde(default)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIndicator {
    pub code: String,
    pub sector: String,
    pub name_fr: String,
    pub name_en: String,
    pub unit: IndicatorUnit,
    pub across_periods: Aggregation,
    pub across_places: Aggregation,
    pub disaggregations: Vec<Disaggregation>,
    pub kinds: Vec<AssistanceKind>,
}

fn aggregation(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Aggregation> {
    if text.trim().is_empty() {
        return Some(Aggregation::Sum);
    }
    errors.take(Aggregation::parse(field, text))
}

impl IndicatorInput {
    /// Checked against the sectors of its plan.
    pub fn parse(&self, plan_sectors: &[String]) -> Result<NewIndicator, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = required(&mut errors, "code", &self.code, 40).to_uppercase();
        let sector = self.sector.trim().to_uppercase();
        if !plan_sectors.contains(&sector) {
            errors.push(FieldError::new(
                "sector",
                self.sector.trim(),
                Message::OneOf { codes: plan_sectors.join(", ") },
            ));
        }
        let name_fr = required(&mut errors, "name_fr", &self.name_fr, 300);
        let name_en = required(&mut errors, "name_en", &self.name_en, 300);
        let unit = errors.take(IndicatorUnit::parse("unit", &self.unit));
        let across_periods = aggregation(&mut errors, "across_periods", &self.across_periods);
        let across_places = aggregation(&mut errors, "across_places", &self.across_places);
        let mut disaggregations = Vec::new();
        for d in self.disaggregations.iter().flat_map(|s| s.split(',')).filter(|s| !s.trim().is_empty()) {
            if let Some(d) = errors.take(Disaggregation::parse("disaggregations", d)) {
                if !disaggregations.contains(&d) {
                    disaggregations.push(d);
                }
            }
        }
        let mut kinds = Vec::new();
        for k in self.kinds.iter().flat_map(|s| s.split(',')).filter(|s| !s.trim().is_empty()) {
            if let Some(k) = errors.take(AssistanceKind::parse("kinds", k)) {
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
        }
        // Djoliba counts people and households reached; items or schools come from partners.
        if !kinds.is_empty() && !matches!(unit, Some(IndicatorUnit::People | IndicatorUnit::Households) | None) {
            errors.push(FieldError::new("kinds", self.kinds.join(", "), Message::KindsCountPeople));
        }
        match (unit, across_periods, across_places) {
            (Some(unit), Some(across_periods), Some(across_places)) if errors.is_empty() => Ok(NewIndicator {
                code,
                sector,
                name_fr,
                name_en,
                unit,
                across_periods,
                across_places,
                disaggregations,
                kinds,
            }),
            _ => Err(errors),
        }
    }
}

/// Values combined by an aggregation rule: each value with the day it stands for (`latest`
/// takes those of the latest day, added up: several places reporting the same month).
pub fn combine(rule: Aggregation, values: &[(NaiveDate, f64)]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let total: f64 = values.iter().map(|v| v.1).sum();
    Some(match rule {
        Aggregation::Sum => total,
        Aggregation::Maximum => values.iter().map(|v| v.1).fold(f64::MIN, f64::max),
        Aggregation::Average => total / values.len() as f64,
        Aggregation::Latest => {
            let last = values.iter().map(|v| v.0).max()?;
            values.iter().filter(|v| v.0 == last).map(|v| v.1).sum()
        }
    })
}

/// A partner's monthly report of one indicator at one place, as received.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// The indicator's code.
    pub indicator: String,
    /// P-code of a région or cercle.
    pub place: String,
    /// The month reported, `YYYY-MM` (over before it is reported).
    pub month: String,
    pub value: Quantity,
    pub female: Option<Quantity>,
    pub male: Option<Quantity>,
    /// For users of no organisation (administrators): the reporting organisation's code.
    pub organisation: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub indicator: String,
    pub place: String,
    pub month: NaiveDate,
    pub value: f64,
    pub female: Option<f64>,
    pub male: Option<f64>,
}

/// One target entered by hand (the sheet's row, as a form or the API sends it).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TargetInput {
    /// The indicator's code.
    pub indicator: String,
    /// P-code of a région or cercle.
    pub place: String,
    /// First day of the period, `YYYY-MM-DD` or `DD/MM/YYYY`.
    pub start_date: String,
    /// Last day of the period.
    pub end_date: String,
    /// People in need (empty: not known).
    #[serde(default)]
    pub in_need: Option<Quantity>,
    /// People targeted (empty: not known).
    #[serde(default)]
    pub targeted: Option<Quantity>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTarget {
    pub indicator: String,
    pub place: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub in_need: Option<f64>,
    pub targeted: Option<f64>,
}

impl TargetInput {
    /// Each field read on its own; the indicator, place and period are checked against the
    /// plan by the store, as for a sheet.
    pub fn parse(&self) -> Result<NewTarget, FieldErrors> {
        let mut errors = FieldErrors::default();
        let indicator = required(&mut errors, "indicator", &self.indicator, 40).to_uppercase();
        let place = required(&mut errors, "place", &self.place, 20).to_uppercase();
        let mut day = |field: &str, text: &str| {
            let parsed = crate::dates::calendar_day(text);
            if parsed.is_none() {
                errors.push(FieldError::new(field, text.trim(), Message::IsoDate));
            }
            parsed
        };
        let (start, end) = (day("start_date", &self.start_date), day("end_date", &self.end_date));
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                errors.push(FieldError::new(
                    "end_date",
                    self.end_date.trim(),
                    Message::DateOnOrAfter { from: s.to_string() },
                ));
            }
        }
        let given = |q: &Option<Quantity>| q.as_ref().filter(|q| !q.as_text().trim().is_empty()).cloned();
        let in_need = given(&self.in_need).and_then(|q| errors.take(count("in_need", &q)));
        let targeted = given(&self.targeted).and_then(|q| errors.take(count("targeted", &q)));
        if given(&self.in_need).is_none() && given(&self.targeted).is_none() {
            errors.push(FieldError::new("targeted", "", Message::TargetOrInNeed));
        }
        match (start, end) {
            (Some(start), Some(end)) if errors.is_empty() => {
                Ok(NewTarget { indicator, place, start, end, in_need, targeted })
            }
            _ => Err(errors),
        }
    }
}

/// A count of 0 or more: "1 200", 1200.
fn count(field: &str, q: &Quantity) -> Result<f64, FieldError> {
    let expected = || FieldError::new(field, q.as_text(), Message::TargetCount);
    let value = match q {
        Quantity::Number(n) => *n,
        Quantity::Text(t) => {
            let compact: String = t.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
            compact.replace(',', ".").parse::<f64>().map_err(|_| expected())?
        }
    };
    if value.is_finite() && (0.0..=1e12).contains(&value) {
        Ok(value)
    } else {
        Err(expected())
    }
}

impl ReportInput {
    /// Checked against the plan's period and `today`: a month is reported once it is over.
    pub fn parse(&self, plan: (NaiveDate, NaiveDate), today: NaiveDate) -> Result<NewReport, FieldErrors> {
        let mut errors = FieldErrors::default();
        let indicator = required(&mut errors, "indicator", &self.indicator, 40).to_uppercase();
        let place = self.place.trim().to_uppercase();
        let month = NaiveDate::parse_from_str(&format!("{}-01", self.month.trim()), "%Y-%m-%d").ok();
        match month {
            None => errors.push(FieldError::new("month", self.month.trim(), Message::ReportMonth)),
            Some(m) if m.checked_add_months(chrono::Months::new(1)).is_none_or(|next| next > today) => {
                errors.push(FieldError::new("month", self.month.trim(), Message::MonthNotOver))
            }
            Some(m) if m < plan.0.with_day(1).unwrap_or(plan.0) || m > plan.1 => errors.push(FieldError::new(
                "month",
                self.month.trim(),
                Message::WithinPeriod { from: plan.0.to_string(), to: plan.1.to_string() },
            )),
            Some(_) => {}
        }
        let value = errors.take(count("value", &self.value));
        let female = self
            .female
            .as_ref()
            .filter(|q| !q.as_text().trim().is_empty())
            .and_then(|q| errors.take(count("female", q)));
        let male =
            self.male.as_ref().filter(|q| !q.as_text().trim().is_empty()).and_then(|q| errors.take(count("male", q)));
        if let Some(v) = value {
            if female.unwrap_or(0.0) + male.unwrap_or(0.0) > v {
                errors.push(FieldError::new("female", "", Message::PartsWithinTotal { total: v.to_string() }));
            }
        }
        match (month, value) {
            (Some(month), Some(value)) if errors.is_empty() => {
                Ok(NewReport { indicator, place, month, value, female, male })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sectors() -> Vec<String> {
        ["SHL", "EDU", "PRO", "FSC"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_plan_needs_known_sectors_and_a_period() {
        let input = PlanInput {
            code: "hrp-mli-2024".into(),
            name: "Plan de réponse humanitaire 2024".into(),
            start_date: "01/01/2024".into(),
            end_date: "2024-12-31".into(),
            sectors: vec!["shl, EDU".into(), "SHL".into()],
        };
        let plan = input.parse(&sectors()).unwrap();
        assert_eq!((plan.code.as_str(), plan.sectors.len()), ("HRP-MLI-2024", 2));
        let bad = PlanInput { sectors: vec!["Abris".into()], end_date: "2023-12-31".into(), ..input };
        let fields: Vec<String> = bad.parse(&sectors()).unwrap_err().0.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["end_date", "sectors"]);
    }

    #[test]
    fn an_indicator_counted_from_deliveries_counts_people_or_households() {
        let input = IndicatorInput {
            code: "shl-01".into(),
            sector: "SHL".into(),
            name_fr: "Ménages ayant reçu un kit abri".into(),
            name_en: "Households who received a shelter kit".into(),
            unit: "ménages".into(),
            disaggregations: vec!["sexe, groupe".into()],
            kinds: vec!["kit abri".into()],
            ..Default::default()
        };
        let plan = ["SHL".to_string()];
        let indicator = input.parse(&plan).unwrap();
        assert_eq!(indicator.unit, IndicatorUnit::Households);
        assert_eq!(indicator.across_periods, Aggregation::Sum);
        assert_eq!(indicator.disaggregations, [Disaggregation::Sex, Disaggregation::PopulationGroup]);
        assert_eq!(indicator.kinds, [AssistanceKind::ShelterKit]);
        let items = IndicatorInput { unit: "items".into(), across_places: "médiane".into(), ..input.clone() };
        let fields: Vec<String> = items.parse(&plan).unwrap_err().0.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["across_places", "kinds"]);
        let elsewhere = IndicatorInput { sector: "EDU".into(), ..input };
        assert_eq!(elsewhere.parse(&plan).unwrap_err().0[0].field, "sector");
    }

    #[test]
    fn a_month_is_reported_once_it_is_over_and_its_parts_fit_its_total() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let plan = (d("2024-01-01"), d("2024-12-31"));
        let input = ReportInput {
            indicator: "wsh-01".into(),
            place: "ml0703".into(),
            month: "2024-05".into(),
            value: Quantity::Text("1 200".into()),
            female: Some(Quantity::Number(700.0)),
            male: Some(Quantity::Text("500".into())),
            organisation: None,
        };
        let report = input.parse(plan, d("2024-06-01")).unwrap();
        assert_eq!((report.indicator.as_str(), report.month, report.value), ("WSH-01", d("2024-05-01"), 1200.0));
        let fields = |i: ReportInput, today: &str| -> Vec<String> {
            i.parse(plan, d(today)).unwrap_err().0.iter().map(|e| e.field.clone()).collect()
        };
        assert_eq!(fields(input.clone(), "2024-05-31"), ["month"], "May is not over on the 31st");
        assert_eq!(fields(ReportInput { month: "mai 2024".into(), ..input.clone() }, "2024-07-01"), ["month"]);
        assert_eq!(fields(ReportInput { month: "2023-12".into(), ..input.clone() }, "2024-07-01"), ["month"]);
        let over = ReportInput { female: Some(Quantity::Number(900.0)), ..input.clone() };
        assert_eq!(fields(over, "2024-07-01"), ["female"]);
        assert_eq!(fields(ReportInput { value: Quantity::Text("-4".into()), ..input }, "2024-07-01"), ["value"]);
    }
}
