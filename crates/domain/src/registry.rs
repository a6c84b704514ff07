//! Registration input, parsed into typed values ("parse, don't validate"). The API and the
//! importers both go through these functions, so a rule is written once and an error reads the
//! same everywhere. Reference checks (P-codes, population groups) go through [`References`],
//! which the store implements from the built-in gazetteer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::*;
use crate::dates::FuzzyDate;
use crate::error::{FieldError, FieldErrors};
use crate::identifiers::{parse_identifiers, Identifier, IdentifierInput};
use crate::messages::Message;

/// What the registry must know to check references without this crate doing IO.
pub trait References {
    /// The P-code a place cell or field means: a code as written, or a place's name (the
    /// gazetteer's rules: `Gazetteer::place_of`).
    fn place_of(&self, text: &str) -> Result<String, Message> {
        Ok(text.trim().to_ascii_uppercase())
    }
    /// `Ok(())` for a P-code of the current gazetteer; otherwise what was expected, with the
    /// successor of a retired code or the closest spelling when there is one.
    fn check_location(&self, pcode: &str) -> Result<(), Message>;
    fn has_population_group(&self, code: &str) -> bool;
    /// The population group codes, for an error message.
    fn population_groups(&self) -> String;
}

const MAX_NAME: usize = 200;
const MAX_ID: usize = 64;

/// A household as submitted by the API or an import row, before parsing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    /// The registering organisation's own identifier for the household (unique within it).
    pub external_id: String,
    /// Organisation code; defaults to the signed-in user's organisation.
    #[serde(default)]
    pub organisation: Option<String>,
    /// P-code of the registration point: a commune or a displacement site.
    pub registration_point: String,
    /// `YYYY-MM-DD`.
    pub registration_date: String,
    /// Population group code, e.g. `IDP`, `REF`, `RET`.
    pub population_group: String,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub current_location: Option<String>,
    #[serde(default)]
    pub shelter_type: Option<String>,
    #[serde(default)]
    pub intention: Option<String>,
    #[serde(default)]
    pub members: Vec<PersonInput>,
    #[serde(default)]
    pub movements: Vec<MovementInput>,
}

/// A person as submitted, before parsing.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// The organisation's identifier for the person, unique within the household.
    #[serde(default)]
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    #[serde(default)]
    pub father_name: Option<String>,
    /// Other spellings of the name as recorded elsewhere.
    #[serde(default)]
    pub other_spellings: Vec<String>,
    #[serde(default)]
    pub sex: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; leave empty and give `estimated_age` instead if unknown.
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub estimated_age: Option<u32>,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub documents_held: Vec<String>,
    #[serde(default)]
    pub documents_missing: Vec<String>,
    #[serde(default)]
    pub specific_needs: Vec<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Document numbers (national identity, birth certificate, UNHCR, ration card…).
    #[serde(default)]
    pub identifiers: Vec<IdentifierInput>,
}

// Personal data never reaches Debug output (and so never a log line).
impl std::fmt::Debug for PersonInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonInput").field("external_id", &self.external_id).finish_non_exhaustive()
    }
}

/// A movement as submitted, before parsing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementInput {
    /// The organisation's identifier for the event, if it has one; makes re-imports idempotent.
    #[serde(default)]
    pub external_id: Option<String>,
    /// For an event of one member only: the member's `external_id` (at registration or import).
    #[serde(default)]
    pub person: Option<String>,
    pub kind: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// ISO 3166-1 alpha-3 country at the foreign end of a departure or arrival.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
    /// Where the information comes from (interview, DTM round, partner list…).
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    pub external_id: String,
    pub organisation: Option<String>,
    pub registration_point: String,
    pub registration_date: NaiveDate,
    pub population_group: String,
    pub origin: Option<String>,
    pub current_location: Option<String>,
    pub shelter_type: Option<ShelterType>,
    pub intention: Option<Intention>,
    pub members: Vec<NewPerson>,
    pub movements: Vec<NewMovement>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub father_name: Option<String>,
    pub other_spellings: Vec<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<FuzzyDate>,
    pub relationship: Option<Relationship>,
    pub documents_held: Vec<Document>,
    pub documents_missing: Vec<Document>,
    pub specific_needs: Vec<SpecificNeed>,
    pub phone: Option<String>,
    pub identifiers: Vec<Identifier>,
}

impl std::fmt::Debug for NewPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPerson").field("external_id", &self.external_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMovement {
    pub external_id: Option<String>,
    pub person: Option<String>,
    pub kind: MovementKind,
    pub date: FuzzyDate,
    pub from: Option<String>,
    pub to: Option<String>,
    pub country: Option<String>,
    pub cause: Option<Cause>,
    pub source: Option<String>,
}

impl NewMovement {
    /// The movement as a timeline replays it: `id` names it, `seq` orders it on its day.
    pub fn event(&self, id: String, seq: i64) -> crate::timeline::Event {
        crate::timeline::Event {
            id,
            kind: self.kind,
            date: self.date.date,
            from: self.from.as_deref().map(Into::into),
            to: self.to.as_deref().map(Into::into),
            seq,
            own: self.person.is_some(),
        }
    }
}

fn blank_to_none(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_id(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() || v.len() > MAX_ID || v.chars().any(char::is_control) {
        return Err(FieldError::new(field, v, Message::IdentifierLength { max: MAX_ID }));
    }
    Ok(v.to_string())
}

/// Names are personal data: an error about one never repeats the value.
fn parse_name(field: &str, value: &str, required: bool) -> Result<Option<String>, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return if required { Err(FieldError::new(field, "", Message::NameAsRecorded)) } else { Ok(None) };
    }
    if v.chars().count() > MAX_NAME || v.chars().any(char::is_control) {
        return Err(FieldError::new(field, crate::error::WITHHELD, Message::NameLength { max: MAX_NAME }));
    }
    Ok(Some(v.to_string()))
}

fn parse_location(field: &str, value: &str, refs: &dyn References) -> Result<String, FieldError> {
    let refused = |expected| FieldError::new(field, value.trim(), expected);
    let code = refs.place_of(value).map_err(refused)?;
    refs.check_location(&code).map_err(refused)?;
    Ok(code)
}

fn parse_optional_location(
    field: &str,
    value: &Option<String>,
    refs: &dyn References,
    errors: &mut FieldErrors,
) -> Option<String> {
    blank_to_none(value).and_then(|v| errors.take(parse_location(field, v, refs)))
}

fn parse_codes<T>(
    field: &str,
    values: &[String],
    parse: fn(&str, &str) -> Result<T, FieldError>,
    errors: &mut FieldErrors,
) -> Vec<T> {
    values.iter().filter(|v| !v.trim().is_empty()).filter_map(|v| errors.take(parse(field, v))).collect()
}

impl HouseholdInput {
    /// A new registration: the household, and at least one person in it. (An import may
    /// update a household's own fields without its members.)
    pub fn parse_registration(&self, refs: &dyn References, today: NaiveDate) -> Result<NewHousehold, FieldErrors> {
        let parsed = self.parse(refs, today);
        if !self.members.is_empty() {
            return parsed;
        }
        let mut errors = parsed.err().unwrap_or_default();
        errors.push(FieldError::new("members", "", Message::AtLeastOneMember));
        Err(errors)
    }

    pub fn parse(&self, refs: &dyn References, today: NaiveDate) -> Result<NewHousehold, FieldErrors> {
        let mut errors = FieldErrors::default();
        let external_id = errors.take(parse_id("external_id", &self.external_id));
        let registration_point = errors
            .take(parse_location("registration_point", &self.registration_point, refs))
            .and_then(|code| match code.len() {
                // Régions (ML07) and cercles (ML0701) are areas, not places where people register.
                0..8 => {
                    let expected = Message::CommuneOrSite { code: code.clone() };
                    errors.push(FieldError::new("registration_point", self.registration_point.trim(), expected));
                    None
                }
                _ => Some(code),
            });
        let registration_date = errors.take(FuzzyDate::parse_day("registration_date", &self.registration_date, today));
        let group = population_group_code(&self.population_group);
        if !refs.has_population_group(&group) {
            errors.push(FieldError::new(
                "population_group",
                self.population_group.trim(),
                Message::PopulationGroup { codes: refs.population_groups() },
            ));
        }
        let origin = parse_optional_location("origin", &self.origin, refs, &mut errors);
        let current_location = parse_optional_location("current_location", &self.current_location, refs, &mut errors);
        let shelter_type =
            blank_to_none(&self.shelter_type).and_then(|v| errors.take(ShelterType::parse("shelter_type", v)));
        let intention = blank_to_none(&self.intention).and_then(|v| errors.take(Intention::parse("intention", v)));

        let mut members = Vec::with_capacity(self.members.len());
        for (i, member) in self.members.iter().enumerate() {
            match member.parse(refs, today) {
                Ok(person) => members.push(person),
                Err(e) => errors.0.extend(e.prefixed(&format!("members[{i}].")).0),
            }
        }
        check_members(&members, &mut errors);
        let mut movements = Vec::with_capacity(self.movements.len());
        for (i, movement) in self.movements.iter().enumerate() {
            let prefix = format!("movements[{i}].");
            match movement.parse(refs, today) {
                Ok(m) => {
                    if m.kind.is_person_only() && m.person.is_none() {
                        errors.push(FieldError::new(
                            format!("{prefix}person"),
                            "",
                            Message::MemberConcerned { kind: m.kind.as_str().into() },
                        ));
                    }
                    if let Some(person) = &m.person {
                        if !members.iter().any(|p| p.external_id.as_deref() == Some(person)) {
                            errors.push(FieldError::new(
                                format!("{prefix}person"),
                                person.clone(),
                                Message::MemberExternalId,
                            ));
                        }
                    }
                    movements.push(m);
                }
                Err(e) => errors.0.extend(e.prefixed(&prefix).0),
            }
        }
        errors.into_result(|| NewHousehold {
            external_id: external_id.unwrap_or_default(),
            organisation: blank_to_none(&self.organisation).map(str::to_string),
            registration_point: registration_point.unwrap_or_default(),
            registration_date: registration_date.unwrap_or(today),
            population_group: group,
            origin,
            current_location,
            shelter_type,
            intention,
            members,
            movements,
        })
    }
}

/// A population group code from the code itself or the French names field teams use (PDI,
/// réfugiés, rapatriés, PDI retournées, demandeurs d'asile, communauté hôte), in the singular
/// or the plural.
pub fn population_group_code(text: &str) -> String {
    let folded = crate::text::fold(text).replace(['-', '_', '\'', '’'], " ");
    let words: Vec<&str> = folded.split_whitespace().collect();
    let code = match words.join(" ").as_str() {
        "pdi"
        | "pdis"
        | "deplace"
        | "deplaces"
        | "deplace interne"
        | "deplaces internes"
        | "personnes deplacees internes" => "IDP",
        "refugie" | "refugies" | "refugiee" | "refugiees" => "REF",
        "rapatrie" | "rapatries" | "rapatriee" | "rapatriees" | "refugies rapatries" => "RET",
        "pdi retournee" | "pdi retournees" | "pdi retourne" | "pdi retournes" | "retourne" | "retournes"
        | "retournee" | "retournees" => "RDP",
        "demandeur d asile" | "demandeurs d asile" => "ASY",
        "hote" | "hotes" | "communaute hote" | "communaute d accueil" | "population hote" => "HST",
        _ => return text.trim().to_ascii_uppercase(),
    };
    code.to_string()
}

/// Household-wide rules on members: at most one head, distinct member identifiers.
pub fn check_members(members: &[NewPerson], errors: &mut FieldErrors) {
    let heads = members.iter().filter(|m| m.relationship == Some(Relationship::Head)).count();
    if heads > 1 {
        errors.push(FieldError::new("members", format!("{heads} heads"), Message::OneHead));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, m) in members.iter().enumerate() {
        if let Some(id) = &m.external_id {
            if !seen.insert(id.as_str()) {
                errors.push(FieldError::new(format!("members[{i}].external_id"), id.clone(), Message::UniqueMemberId));
            }
        }
    }
}

impl PersonInput {
    pub fn parse(&self, _refs: &dyn References, today: NaiveDate) -> Result<NewPerson, FieldErrors> {
        let mut errors = FieldErrors::default();
        let external_id = blank_to_none(&self.external_id).and_then(|v| errors.take(parse_id("external_id", v)));
        let given_name = errors.take(parse_name("given_name", &self.given_name, true)).flatten();
        let family_name = errors.take(parse_name("family_name", &self.family_name, true)).flatten();
        let father_name =
            self.father_name.as_deref().and_then(|v| errors.take(parse_name("father_name", v, false))).flatten();
        let other_spellings = self
            .other_spellings
            .iter()
            .filter_map(|v| errors.take(parse_name("other_spellings", v, false)).flatten())
            .collect();
        let sex = blank_to_none(&self.sex).and_then(|v| errors.take(Sex::parse("sex", v)));
        let birth_date = match (blank_to_none(&self.birth_date), self.estimated_age) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "estimated_age",
                    self.estimated_age.map(|a| a.to_string()).unwrap_or_default(),
                    Message::BirthDateOrAge,
                ));
                None
            }
            (Some(text), None) => errors.take(FuzzyDate::parse("birth_date", text, today)),
            (None, Some(age)) => errors.take(FuzzyDate::from_estimated_age("estimated_age", &age.to_string(), today)),
            (None, None) => None,
        };
        let relationship =
            blank_to_none(&self.relationship).and_then(|v| errors.take(Relationship::parse("relationship", v)));
        let documents_held = parse_codes("documents_held", &self.documents_held, Document::parse, &mut errors);
        let documents_missing = parse_codes("documents_missing", &self.documents_missing, Document::parse, &mut errors);
        if let Some(both) = documents_held.iter().find(|d| documents_missing.contains(d)) {
            errors.push(FieldError::new("documents_missing", both.as_str(), Message::DocumentsNotHeld));
        }
        let specific_needs = parse_codes("specific_needs", &self.specific_needs, SpecificNeed::parse, &mut errors);
        let phone = blank_to_none(&self.phone).and_then(|v| {
            let ok = v.len() <= 20 && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'));
            if ok {
                Some(v.to_string())
            } else {
                errors.push(FieldError::new("phone", crate::error::WITHHELD, Message::Phone));
                None
            }
        });
        let identifiers = parse_identifiers("identifiers", &self.identifiers, &mut errors);
        errors.into_result(|| NewPerson {
            external_id,
            given_name: given_name.unwrap_or_default(),
            family_name: family_name.unwrap_or_default(),
            father_name,
            other_spellings,
            sex,
            birth_date,
            relationship,
            documents_held,
            documents_missing,
            specific_needs,
            phone,
            identifiers,
        })
    }
}

impl MovementInput {
    pub fn parse(&self, refs: &dyn References, today: NaiveDate) -> Result<NewMovement, FieldErrors> {
        let mut errors = FieldErrors::default();
        let external_id = blank_to_none(&self.external_id).and_then(|v| errors.take(parse_id("external_id", v)));
        let kind = errors.take(MovementKind::parse("kind", &self.kind));
        let date = errors.take(FuzzyDate::parse("date", &self.date, today));
        let from = parse_optional_location("from", &self.from, refs, &mut errors);
        let to = parse_optional_location("to", &self.to, refs, &mut errors);
        let country = blank_to_none(&self.country).and_then(|v| {
            let code = v.trim().to_ascii_uppercase();
            if isocountry::CountryCode::for_alpha3(&code).is_ok() && code != "MLI" {
                Some(code)
            } else {
                errors.push(FieldError::new("country", v, Message::Country));
                None
            }
        });
        let cause = blank_to_none(&self.cause).and_then(|v| errors.take(Cause::parse("cause", v)));
        if let (Some(from), Some(to)) = (&from, &to) {
            if from == to {
                errors.push(FieldError::new("to", to, Message::DifferentPlaces { code: from.clone() }));
            }
        }
        if let Some(kind) = kind {
            if kind.needs_destination() && to.is_none() && blank_to_none(&self.to).is_none() {
                errors.push(FieldError::new("to", "", Message::PlaceOfEvent { kind: kind.as_str().into() }));
            }
            if matches!(kind, MovementKind::Displacement | MovementKind::SecondaryDisplacement)
                && cause.is_none()
                && blank_to_none(&self.cause).is_none()
            {
                errors.push(FieldError::new(
                    "cause",
                    "",
                    Message::CauseOfEvent { kind: kind.as_str().into(), codes: Cause::codes() },
                ));
            }
        }
        let source = blank_to_none(&self.source).map(|s| s.chars().take(200).collect());
        let person = blank_to_none(&self.person).and_then(|v| errors.take(parse_id("person", v)));
        errors.into_result(|| NewMovement {
            external_id,
            person,
            kind: kind.unwrap_or(MovementKind::Displacement),
            date: date.unwrap_or(FuzzyDate::day(today)),
            from,
            to,
            country,
            cause,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Refs;
    impl References for Refs {
        fn check_location(&self, pcode: &str) -> Result<(), Message> {
            if ["ML07", "ML0701", "ML070101", "ML09"].contains(&pcode) {
                Ok(())
            } else {
                Err(Message::PcodeUnknown)
            }
        }
        fn has_population_group(&self, code: &str) -> bool {
            code == "IDP"
        }
        fn population_groups(&self) -> String {
            "IDP".into()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()
    }

    #[test]
    fn population_groups_and_relationships_read_as_field_teams_write_them() {
        for (text, code) in [
            ("PDI", "IDP"),
            ("Réfugiés", "REF"),
            ("rapatriée", "RET"),
            ("PDI retournées", "RDP"),
            ("demandeurs d'asile", "ASY"),
            ("communauté hôte", "HST"),
            (" idp ", "IDP"),
            ("XYZ", "XYZ"),
        ] {
            assert_eq!(population_group_code(text), code, "{text}");
        }
        let household = HouseholdInput { population_group: "PDI".into(), ..valid() };
        assert_eq!(household.parse(&Refs, today()).unwrap().population_group, "IDP");
        for text in ["chef_menage", "Chef de ménage", "CM"] {
            assert_eq!(Relationship::parse("relationship", text).unwrap(), Relationship::Head, "{text}");
        }
    }

    fn valid() -> HouseholdInput {
        HouseholdInput {
            external_id: "HH-1".into(),
            registration_point: "ML070101".into(),
            registration_date: "2024-01-15".into(),
            population_group: "idp".into(),
            members: vec![PersonInput {
                external_id: Some("P1".into()),
                given_name: "Aminata".into(),
                family_name: "Maïga".into(),
                relationship: Some("chef".into()),
                birth_date: Some("1985".into()),
                ..Default::default()
            }],
            movements: vec![MovementInput {
                kind: "displacement".into(),
                date: "2023-11".into(),
                to: Some("ml070101".into()),
                cause: Some("conflit armé".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn parses_a_valid_household() {
        let h = valid().parse(&Refs, today()).unwrap();
        assert_eq!(h.population_group, "IDP");
        assert_eq!(h.members[0].relationship, Some(Relationship::Head));
        assert_eq!(h.movements[0].to.as_deref(), Some("ML070101"));
        assert_eq!(h.movements[0].cause, Some(Cause::ArmedConflict));
    }

    #[test]
    fn countries_are_iso_3166_codes_other_than_mali() {
        let abroad = |code: &str| {
            let movement = MovementInput {
                kind: "departure_abroad".into(),
                date: "2024-02-01".into(),
                country: Some(code.into()),
                ..Default::default()
            };
            movement.parse(&Refs, today()).map(|m| m.country)
        };
        assert_eq!(abroad(" bfa ").unwrap().as_deref(), Some("BFA"));
        for bad in ["XXX", "MLI", "BF", "ZZZ"] {
            let errors = abroad(bad).unwrap_err();
            assert!(errors.0.iter().any(|e| e.field == "country"), "{bad}");
        }
    }

    #[test]
    fn reports_every_bad_field_with_its_path() {
        let mut input = valid();
        input.registration_point = "ML9999".into();
        input.registration_date = "2030-01-01".into();
        input.members[0].birth_date = Some("1985-02-30".into());
        input.movements[0].kind = "earthquake".into();
        let errors = input.parse(&Refs, today()).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["registration_point", "registration_date", "members[0].birth_date", "movements[0].kind"]);
    }

    #[test]
    fn name_errors_never_repeat_the_name() {
        let mut input = valid();
        input.members[0].given_name = "x".repeat(300);
        let errors = input.parse(&Refs, today()).unwrap_err();
        assert!(!errors.to_string().contains("xxxx"), "{errors}");
    }

    #[test]
    fn debug_output_hides_names() {
        let h = valid().parse(&Refs, today()).unwrap();
        let debug = format!("{h:?} {:?}", valid());
        assert!(!debug.contains("Aminata") && !debug.contains("Maïga"), "{debug}");
    }
}
