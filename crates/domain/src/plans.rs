//! Response plans (a humanitarian response plan, an agency appeal), their indicators and the
//! targets and people in need per place and period. What the registry and the deliveries
//! count is compared with them; nothing here is about a person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::assistance::{period, required};
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
}
