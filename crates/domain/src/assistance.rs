//! Assistance: programmes with their entitlement rule, distribution rounds (cycles), and
//! deliveries, parsed from what the API, forms and files receive. No IO: reference checks
//! (sectors, places) go through `References`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::{AssistanceKind, CycleStatus, DeliveryOutcome, Modality, MonitoringAnswer, TargetUnit, Unit};
use crate::error::{FieldError, FieldErrors};
use crate::messages::Message;
use crate::registry::References;

/// An amount or a quantity as received: a JSON number, or text as a clerk types it
/// ("25 000", "12,5").
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Quantity {
    Number(f64),
    Text(String),
}

impl Default for Quantity {
    fn default() -> Self {
        Quantity::Text(String::new())
    }
}

impl Quantity {
    pub fn as_text(&self) -> String {
        match self {
            Quantity::Number(n) => n.to_string(),
            Quantity::Text(t) => t.trim().to_string(),
        }
    }

    /// A positive number; spaces (also non-breaking) group thousands and a comma may mark the
    /// decimals. A unit written in ("25 000 FCFA", "5 kits") is refused, naming the unit the
    /// programme counts in: it is never guessed.
    pub fn parse(&self, field: &str, unit: Unit) -> Result<f64, FieldError> {
        let expected = || Message::QuantityWithoutUnit { unit: unit.as_str().into() };
        let value = match self {
            Quantity::Number(n) => *n,
            Quantity::Text(text) => {
                let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}').collect();
                let compact = compact.replace(',', ".");
                if compact.is_empty() || !compact.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    return Err(FieldError::new(field, text.trim(), expected()));
                }
                compact.parse::<f64>().map_err(|_| FieldError::new(field, text.trim(), expected()))?
            }
        };
        if !value.is_finite() || value <= 0.0 || value > 1e12 {
            return Err(FieldError::new(field, self.as_text(), expected()));
        }
        Ok(value)
    }
}

/// A programme as received.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ProgrammeInput {
    /// Short code, unique within the organisation (e.g. `CASH-GAO-2026`).
    pub code: String,
    pub name: String,
    /// Sector code (`GET /api/v1/reference/sectors`), e.g. `SHL`, `PRO`, `EDU`.
    pub sector: String,
    /// What it delivers: `multipurpose_cash`, `shelter_kit`, `nfi_kit`, `legal_assistance`…
    pub kind: String,
    /// `household` or `person`.
    pub target_unit: String,
    pub start_date: String,
    pub end_date: String,
    /// P-codes (any level) or site codes where it works.
    #[serde(default)]
    pub places: Vec<String>,
    pub donor: Option<String>,
    pub project: Option<String>,
    /// Who is eligible, in words (the rule planning applies is the cycle's filter).
    #[serde(default)]
    pub eligibility: String,
    /// What each household (or person) is entitled to per cycle.
    pub amount: Quantity,
    /// `household`: the amount per household; `person`: per member (up to the cap).
    #[serde(default)]
    pub per: String,
    /// With `per` = `person`: members counted at most.
    pub cap_per_household: Option<u32>,
    /// Currency (`XOF`, `USD`, `EUR`) or unit (`kit`, `kg`, `item`, `session`, `enrolment`).
    pub unit: String,
    /// For users of no organisation (administrators): the organisation's code.
    pub organisation: Option<String>,
}

/// A validated programme.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProgramme {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub kind: AssistanceKind,
    pub target_unit: TargetUnit,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub places: Vec<String>,
    pub donor: Option<String>,
    pub project: Option<String>,
    pub eligibility: String,
    pub rule: EntitlementRule,
}

/// What one household (or person) is entitled to per cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntitlementRule {
    pub amount: f64,
    pub per: TargetUnit,
    pub cap_per_household: Option<u32>,
    pub unit: Unit,
}

impl EntitlementRule {
    /// The entitlement of a household of `members` people.
    pub fn for_household(&self, members: usize) -> f64 {
        match self.per {
            TargetUnit::Household => self.amount,
            TargetUnit::Person => {
                let counted = self.cap_per_household.map_or(members, |cap| members.min(cap as usize));
                self.amount * counted as f64
            }
        }
    }
}

/// A date of a plan (may lie ahead): `YYYY-MM-DD` or `DD/MM/YYYY`.
pub fn plan_date(field: &str, input: &str) -> Result<NaiveDate, FieldError> {
    let text = input.trim();
    crate::dates::calendar_day(text)
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| FieldError::new(field, text, Message::IsoDate))
}

pub(crate) fn check_place(refs: &dyn References, field: &str, text: &str) -> Result<String, FieldError> {
    let code = text.trim().to_uppercase();
    refs.check_location(&code).map(|()| code).map_err(|expected| FieldError::new(field, text.trim(), expected))
}

pub(crate) fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

pub(crate) fn required(errors: &mut FieldErrors, field: &str, text: &str, max: usize) -> String {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        errors.push(FieldError::new(field, text, Message::TextLength { max }));
    }
    text.to_string()
}

/// The period's two ends, the second not before the first.
pub(crate) fn period(errors: &mut FieldErrors, start: &str, end: &str) -> Option<(NaiveDate, NaiveDate)> {
    let start_date = errors.take(plan_date("start_date", start));
    let end_date = errors.take(plan_date("end_date", end));
    let (start_date, end_date) = (start_date?, end_date?);
    if end_date < start_date {
        errors.push(FieldError::new("end_date", end.trim(), Message::DateOnOrAfter { from: start_date.to_string() }));
        return None;
    }
    Some((start_date, end_date))
}

impl ProgrammeInput {
    /// Every field checked; all errors at once.
    pub fn parse(&self, refs: &dyn References, sectors: &[String]) -> Result<NewProgramme, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = required(&mut errors, "code", &self.code, 40);
        let name = required(&mut errors, "name", &self.name, 200);
        let sector = self.sector.trim().to_uppercase();
        if !sectors.contains(&sector) {
            errors.push(FieldError::new("sector", self.sector.trim(), Message::OneOf { codes: sectors.join(", ") }));
        }
        let kind = errors.take(AssistanceKind::parse("kind", &self.kind));
        let target_unit = errors.take(TargetUnit::parse("target_unit", &self.target_unit));
        let dates = period(&mut errors, &self.start_date, &self.end_date);
        let mut places = Vec::new();
        for (i, place) in self.places.iter().enumerate() {
            match check_place(refs, &format!("places[{i}]"), place) {
                Ok(code) => places.push(code),
                Err(e) => errors.push(e),
            }
        }
        let unit = errors.take(Unit::parse("unit", &self.unit));
        let per =
            if self.per.trim().is_empty() { target_unit } else { errors.take(TargetUnit::parse("per", &self.per)) };
        let amount = unit.and_then(|unit| errors.take(self.amount.parse("amount", unit)));
        if self.cap_per_household == Some(0) {
            errors.push(FieldError::new("cap_per_household", "0", Message::WholeCount));
        }
        if self.eligibility.chars().count() > 2000 {
            errors.push(FieldError::new("eligibility", "", Message::TextAtMost { max: 2000 }));
        }
        match (kind, target_unit, dates, unit, per, amount) {
            (Some(kind), Some(target_unit), Some((start_date, end_date)), Some(unit), Some(per), Some(amount))
                if errors.is_empty() =>
            {
                Ok(NewProgramme {
                    code,
                    name,
                    sector,
                    kind,
                    target_unit,
                    start_date,
                    end_date,
                    places,
                    donor: optional(&self.donor),
                    project: optional(&self.project),
                    eligibility: self.eligibility.trim().to_string(),
                    rule: EntitlementRule { amount, per, cap_per_household: self.cap_per_household, unit },
                })
            }
            _ => Err(errors),
        }
    }
}

/// A distribution round as received.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CycleInput {
    pub name: String,
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCycle {
    pub name: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl CycleInput {
    /// Checked against its programme's period: a round lies within it.
    pub fn parse(&self, programme: (NaiveDate, NaiveDate)) -> Result<NewCycle, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = required(&mut errors, "name", &self.name, 200);
        let dates = period(&mut errors, &self.start_date, &self.end_date);
        if let Some((start, end)) = dates {
            if start < programme.0 || end > programme.1 {
                errors.push(FieldError::new(
                    if start < programme.0 { "start_date" } else { "end_date" },
                    if start < programme.0 { start.to_string() } else { end.to_string() },
                    Message::WithinPeriod { from: programme.0.to_string(), to: programme.1.to_string() },
                ));
            }
        }
        match dates {
            Some((start_date, end_date)) if errors.is_empty() => Ok(NewCycle { name, start_date, end_date }),
            _ => Err(errors),
        }
    }
}

impl CycleStatus {
    /// The one stage that may follow this one.
    pub fn next(self) -> Option<CycleStatus> {
        match self {
            CycleStatus::Draft => Some(CycleStatus::Approved),
            CycleStatus::Approved => Some(CycleStatus::Distributing),
            CycleStatus::Distributing => Some(CycleStatus::Closed),
            CycleStatus::Closed => None,
        }
    }
}

/// A delivery as received: to a household planned in the cycle (by id or number), or to one
/// of its members.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct DeliveryInput {
    /// The household's id or its number (external id).
    pub household: String,
    /// For a programme assisting persons: the member's id or external id.
    pub person: Option<String>,
    pub date: String,
    /// Where it was delivered (P-code or site); the household's location when empty.
    pub place: Option<String>,
    /// Amount or quantity delivered, in the programme's unit (partial allowed).
    pub quantity: Quantity,
    pub modality: String,
    pub outcome: String,
    /// Receipt number, transaction id.
    pub reference: Option<String>,
    /// Who delivered (name or team).
    pub delivered_by: Option<String>,
    pub note: Option<String>,
}

/// Without free text or names: what a person typed may name someone.
impl std::fmt::Debug for DeliveryInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryInput")
            .field("household", &self.household)
            .field("date", &self.date)
            .field("quantity", &self.quantity)
            .field("modality", &self.modality)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq)]
pub struct NewDelivery {
    pub household: String,
    pub person: Option<String>,
    pub date: NaiveDate,
    pub place: Option<String>,
    /// Zero for an outcome that delivered nothing.
    pub quantity: f64,
    pub modality: Modality,
    pub outcome: DeliveryOutcome,
    pub reference: Option<String>,
    pub delivered_by: Option<String>,
    pub note: Option<String>,
}

/// Without free text or names: what a person typed may name someone.
impl std::fmt::Debug for NewDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDelivery")
            .field("date", &self.date)
            .field("quantity", &self.quantity)
            .field("modality", &self.modality)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl DeliveryInput {
    /// Checked on its own; the store checks it against the cycle and the entitlement.
    pub fn parse(&self, refs: &dyn References, unit: Unit, today: NaiveDate) -> Result<NewDelivery, FieldErrors> {
        let mut errors = FieldErrors::default();
        let household = required(&mut errors, "household", &self.household, 100);
        let date = errors.take(crate::FuzzyDate::parse_day("date", &self.date, today));
        let place = match optional(&self.place) {
            Some(place) => errors.take(check_place(refs, "place", &place)),
            None => None,
        };
        let modality = errors.take(Modality::parse("modality", &self.modality));
        let outcome = errors.take(DeliveryOutcome::parse("outcome", &self.outcome));
        let nothing = outcome.is_some_and(|o| !o.reached());
        let quantity = if nothing && self.quantity.as_text().is_empty() {
            Some(0.0)
        } else {
            errors.take(self.quantity.parse("quantity", unit))
        };
        for (field, text) in [("reference", &self.reference), ("delivered_by", &self.delivered_by)] {
            if text.as_deref().is_some_and(|t| t.chars().count() > 200) {
                errors.push(FieldError::new(field, "", Message::TextAtMost { max: 200 }));
            }
        }
        match (date, modality, outcome, quantity) {
            (Some(date), Some(modality), Some(outcome), Some(quantity)) if errors.is_empty() => Ok(NewDelivery {
                household,
                person: optional(&self.person),
                date,
                place,
                quantity: if nothing { 0.0 } else { quantity },
                modality,
                outcome,
                reference: optional(&self.reference),
                delivered_by: optional(&self.delivered_by),
                note: optional(&self.note),
            }),
            _ => Err(errors),
        }
    }
}

/// How many households a random monitoring sample asks, out of `population` who received
/// something: enough to give the share who say they received it within `margin` (0.05 for
/// ±5 points) with 95 % confidence, the usual rule of post-distribution monitoring (Cochran's
/// size for a proportion of 0.5, corrected for a finite population).
pub fn monitoring_sample_size(population: usize, margin: f64) -> usize {
    if population == 0 {
        return 0;
    }
    let infinite = 1.96_f64.powi(2) * 0.25 / margin.powi(2);
    let finite = infinite / (1.0 + (infinite - 1.0) / population as f64);
    (finite.ceil() as usize).clamp(1, population)
}

/// What a household answered when monitored, as received: by its id or number (and the
/// member, when the programme assists persons).
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MonitoringInput {
    pub household: String,
    pub person: Option<String>,
    pub answer: String,
    /// The amount or quantity the household says it received, in the programme's unit;
    /// blank when not asked or when nothing was received.
    #[serde(default)]
    pub amount_reported: Quantity,
    /// What went wrong, when the answer is "received with issues" (required then).
    pub issue: Option<String>,
    /// The day it was asked; today when blank.
    #[serde(default)]
    pub date: String,
}

/// Without free text: what a household said may name someone.
impl std::fmt::Debug for MonitoringInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitoringInput")
            .field("household", &self.household)
            .field("answer", &self.answer)
            .field("amount_reported", &self.amount_reported)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq)]
pub struct NewMonitoringAnswer {
    pub household: String,
    pub person: Option<String>,
    pub answer: MonitoringAnswer,
    pub amount_reported: Option<f64>,
    pub issue: Option<String>,
    pub date: NaiveDate,
}

/// Without free text: what a household said may name someone.
impl std::fmt::Debug for NewMonitoringAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMonitoringAnswer")
            .field("answer", &self.answer)
            .field("amount_reported", &self.amount_reported)
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

impl MonitoringInput {
    /// Checked on its own; the store checks that the household was drawn in the sample.
    pub fn parse(&self, unit: Unit, today: NaiveDate) -> Result<NewMonitoringAnswer, FieldErrors> {
        let mut errors = FieldErrors::default();
        let household = required(&mut errors, "household", &self.household, 100);
        let answer = errors.take(MonitoringAnswer::parse("answer", &self.answer));
        let date = if self.date.trim().is_empty() {
            Some(today)
        } else {
            errors.take(crate::FuzzyDate::parse_day("date", &self.date, today))
        };
        let amount_given = !self.amount_reported.as_text().is_empty();
        let amount_reported = match answer {
            Some(answer) if amount_given && !answer.received() => {
                errors.push(FieldError::new(
                    "amount_reported",
                    self.amount_reported.as_text(),
                    Message::NothingReported,
                ));
                None
            }
            _ if amount_given => errors.take(self.amount_reported.parse("amount_reported", unit)),
            _ => None,
        };
        let issue = optional(&self.issue);
        if answer == Some(MonitoringAnswer::ReceivedWithIssues) && issue.is_none() {
            errors.push(FieldError::new("issue", "", Message::IssueDescribed));
        }
        if issue.as_deref().is_some_and(|t| t.chars().count() > 500) {
            errors.push(FieldError::new("issue", "", Message::TextAtMost { max: 500 }));
        }
        match (answer, date) {
            (Some(answer), Some(date)) if errors.is_empty() => Ok(NewMonitoringAnswer {
                household,
                person: optional(&self.person),
                answer,
                amount_reported,
                issue,
                date,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_prints_no_free_text() {
        let input = DeliveryInput {
            household: "GAO-1".into(),
            reference: Some("76 12 34 56".into()),
            note: Some("remis à Aminata, sa fille".into()),
            ..Default::default()
        };
        let shown = format!("{input:?}");
        assert!(shown.contains("GAO-1") && !shown.contains("Aminata") && !shown.contains("76 12"), "{shown}");
    }

    #[test]
    fn amounts_are_read_as_clerks_type_them_and_units_are_never_guessed() {
        let text = |t: &str| Quantity::Text(t.into());
        assert_eq!(text("25 000").parse("amount", Unit::Xof), Ok(25_000.0));
        assert_eq!(text("25\u{a0}000").parse("amount", Unit::Xof), Ok(25_000.0));
        assert_eq!(text("12,5").parse("amount", Unit::Kg), Ok(12.5));
        assert_eq!(Quantity::Number(3.0).parse("amount", Unit::Kit), Ok(3.0));
        for bad in ["25 000 FCFA", "5 kits", "", "-3", "0", "1.2.3"] {
            let error = text(bad).parse("quantity", Unit::Kit).unwrap_err();
            assert_eq!(error.field, "quantity");
            assert_eq!(*error.expected, Message::QuantityWithoutUnit { unit: "kit".into() }, "{bad}");
        }
    }

    #[test]
    fn a_rule_per_person_is_capped_per_household() {
        let rule =
            EntitlementRule { amount: 10_000.0, per: TargetUnit::Person, cap_per_household: Some(6), unit: Unit::Xof };
        assert_eq!(rule.for_household(4), 40_000.0);
        assert_eq!(rule.for_household(9), 60_000.0);
        let flat = EntitlementRule { per: TargetUnit::Household, ..rule };
        assert_eq!(flat.for_household(9), 10_000.0);
    }

    #[test]
    fn a_cycle_lies_within_its_programme() {
        let programme = (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let cycle =
            CycleInput { name: "Round 1".into(), start_date: "2026-02-01".into(), end_date: "2026-02-28".into() };
        assert!(cycle.parse(programme).is_ok());
        let late = CycleInput { end_date: "2027-01-15".into(), ..cycle.clone() };
        let errors = late.parse(programme).unwrap_err();
        assert_eq!(errors.0[0].field, "end_date");
        let backwards = CycleInput { end_date: "2026-01-15".into(), ..cycle };
        assert_eq!(backwards.parse(programme).unwrap_err().0[0].field, "end_date");
    }

    #[test]
    fn a_monitoring_sample_is_large_enough_for_five_points_and_never_larger_than_the_round() {
        assert_eq!(monitoring_sample_size(0, 0.05), 0);
        assert_eq!(monitoring_sample_size(20, 0.05), 20);
        assert_eq!(monitoring_sample_size(300, 0.05), 169);
        assert_eq!(monitoring_sample_size(1_000, 0.05), 278);
        assert_eq!(monitoring_sample_size(100_000, 0.05), 383);
    }

    #[test]
    fn a_monitoring_answer_says_what_was_received_and_what_went_wrong() {
        let today = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        let base = MonitoringInput { household: "GAO-1".into(), answer: "reçu".into(), ..Default::default() };
        let answer = base.parse(Unit::Xof, today).unwrap();
        assert_eq!((answer.answer, answer.amount_reported, answer.date), (MonitoringAnswer::Received, None, today));
        let nothing = MonitoringInput {
            answer: "non reçu".into(),
            amount_reported: Quantity::Text("25 000".into()),
            ..base.clone()
        };
        assert_eq!(nothing.parse(Unit::Xof, today).unwrap_err().0[0].field, "amount_reported");
        let issues = MonitoringInput { answer: "received_with_issues".into(), ..base.clone() };
        assert_eq!(issues.parse(Unit::Xof, today).unwrap_err().0[0].field, "issue");
        let typed = MonitoringInput {
            amount_reported: Quantity::Text("20 000 FCFA".into()),
            issue: Some("retenue de 5 000 par le chef de site".into()),
            ..issues
        };
        let errors = typed.parse(Unit::Xof, today).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "amount_reported");
        assert!(!format!("{typed:?}").contains("chef de site"));
    }
}
