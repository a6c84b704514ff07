//! Document numbers that identify a person: a national identity number (NINA), a birth
//! certificate's, a passport's, UNHCR's proGres number, a ration card's. Numbers are kept as
//! given and compared in a normal form (letters and digits, upper case), so "123-456 78" and
//! "12345678" are one number. A number is personal data: it never appears in an error message
//! or a `Debug` output.

use serde::{Deserialize, Serialize};

use crate::codes::IdentifierKind;
use crate::error::{FieldError, FieldErrors, WITHHELD};
use crate::messages::Message;
use crate::text::fold;

/// A person's document number, as recorded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identifier {
    pub kind: IdentifierKind,
    /// As given (trimmed, inner spaces collapsed); compared in its normal form.
    pub number: String,
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identifier").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Identifier {
    /// The number's normal form: its letters (accents removed) and digits, upper case.
    pub fn normalised(&self) -> String {
        normalise_number(&self.number)
    }

    /// `kind:number`, the form of files and of the registration form.
    pub fn as_text(&self) -> String {
        format!("{}:{}", self.kind, self.number)
    }
}

/// A document number as submitted, before parsing.
#[derive(Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierInput {
    /// `national_id`, `birth_certificate`, `passport`, `consular_card`, `unhcr`, `ration_card`
    /// or `other`.
    pub kind: String,
    pub number: String,
}

impl std::fmt::Debug for IdentifierInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentifierInput").field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// Letters (accents removed) and digits, upper case: how numbers are compared.
pub fn normalise_number(number: &str) -> String {
    fold(number).chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Reads `kind:number|kind:number` (also `;` or new lines between items), the form of
/// spreadsheets and of the registration form.
pub fn identifiers_from_text(field: &str, text: &str) -> Result<Vec<IdentifierInput>, FieldError> {
    let mut out = Vec::new();
    for item in text.split(['|', ';', '\n']).map(str::trim).filter(|i| !i.is_empty()) {
        match item.split_once(':') {
            Some((kind, number)) if !kind.trim().is_empty() && !number.trim().is_empty() => {
                out.push(IdentifierInput { kind: kind.trim().to_string(), number: number.trim().to_string() })
            }
            _ => return Err(FieldError::new(field, WITHHELD, Message::IdentifierItem)),
        }
    }
    Ok(out)
}

/// Parses each document number; `field` names the list in errors (`identifiers[0].number`).
/// A number given twice under one kind is kept once.
pub fn parse_identifiers(field: &str, inputs: &[IdentifierInput], errors: &mut FieldErrors) -> Vec<Identifier> {
    let mut out: Vec<Identifier> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let kind = errors.take(IdentifierKind::parse(&format!("{field}[{i}].kind"), &input.kind));
        let number = input.number.split_whitespace().collect::<Vec<_>>().join(" ");
        let normal = normalise_number(&number);
        let well_formed = (3..=40).contains(&normal.len())
            && normal.chars().any(|c| c.is_ascii_digit())
            && fold(&number).chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'));
        if !well_formed {
            errors.push(FieldError::new(format!("{field}[{i}].number"), WITHHELD, Message::IdentifierNumber));
            continue;
        }
        if let Some(kind) = kind {
            if !out.iter().any(|o| o.kind == kind && o.normalised() == normal) {
                out.push(Identifier { kind, number });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(inputs: &[(&str, &str)]) -> Result<Vec<Identifier>, FieldErrors> {
        let inputs: Vec<IdentifierInput> =
            inputs.iter().map(|(k, n)| IdentifierInput { kind: k.to_string(), number: n.to_string() }).collect();
        let mut errors = FieldErrors::default();
        let out = parse_identifiers("identifiers", &inputs, &mut errors);
        errors.into_result(|| out)
    }

    #[test]
    fn numbers_compare_without_their_separators_and_french_kinds_are_read() {
        let ids = parse(&[("NINA", " 1234 5678-90 "), ("HCR", "mli-12/34.56"), ("nina", "1234567890")]).unwrap();
        assert_eq!(ids.len(), 2, "the same number under one kind is kept once");
        assert_eq!((ids[0].kind, ids[0].number.as_str()), (IdentifierKind::NationalId, "1234 5678-90"));
        assert_eq!(ids[1].normalised(), "MLI123456");
        assert_eq!(ids[1].as_text(), "unhcr:mli-12/34.56");
    }

    #[test]
    fn a_bad_number_is_named_by_its_place_and_never_echoed() {
        let err = parse(&[("passport", "AB"), ("ration_card", "nothing here"), ("permis", "123")]).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["identifiers[0].number", "identifiers[1].number", "identifiers[2].kind"]);
        assert!(err.0[..2].iter().all(|e| e.value == WITHHELD));
    }

    #[test]
    fn the_text_form_lists_kind_and_number() {
        let items = identifiers_from_text("identifiers", "national_id:123 456 | unhcr:MLI-1;other:77").unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!((items[1].kind.as_str(), items[1].number.as_str()), ("unhcr", "MLI-1"));
        assert_eq!(identifiers_from_text("identifiers", "  ").unwrap().len(), 0);
        let err = identifiers_from_text("identifiers", "123456").unwrap_err();
        assert_eq!((err.value.as_str(), err.expected.key()), (WITHHELD, "identifier_item"));
    }
}
