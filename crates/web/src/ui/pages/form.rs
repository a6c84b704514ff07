//! What the forms share: the submitted values, errors shown next to their field in the reader's language, field labels, the choices of the code lists.

use super::*;

/// A submitted form: the values as typed, and the errors to show beside them.
#[derive(Default)]
pub(super) struct FormState {
    pub(super) values: HashMap<String, String>,
    pub(super) errors: Vec<ShownError>,
    /// An error that belongs to no single field (a conflict, a chronology).
    pub(super) general: Option<String>,
}

pub(super) struct ShownError {
    pub(super) field: String,
    pub(super) label: String,
    pub(super) value: String,
    pub(super) expected: String,
}

impl FormState {
    pub(super) fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The value of member `i`'s field.
    pub(super) fn mv(&self, i: &usize, field: &str) -> &str {
        self.v(&format!("members[{i}].{field}"))
    }

    pub(super) fn opt(&self, name: &str) -> Option<String> {
        Some(self.v(name).trim().to_string()).filter(|v| !v.is_empty())
    }

    pub(super) fn list(&self, name: &str) -> Vec<String> {
        self.v(name).split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
    }

    pub(super) fn err(&self, name: &str) -> Option<&ShownError> {
        self.errors.iter().find(|e| e.field == name)
    }

    pub(super) fn merr(&self, i: &usize, field: &str) -> Option<&ShownError> {
        self.err(&format!("members[{i}].{field}"))
    }

    pub(super) fn has(&self, name: &str, code: &str) -> bool {
        self.v(name).split(',').any(|v| v == code)
    }

    pub(super) fn mhas(&self, i: &usize, field: &str, code: &str) -> bool {
        self.has(&format!("members[{i}].{field}"), code)
    }

    pub(super) fn fail(&mut self, c: &Ctx, error: StoreError) -> Option<Response> {
        match error {
            StoreError::Invalid(errors) => {
                self.errors = errors.0.into_iter().map(|e| shown(c, e)).collect();
                None
            }
            StoreError::Chronology(error) => {
                self.general = Some(error.render(c.lang));
                None
            }
            StoreError::Conflict(message) => {
                self.general = Some(c.say(&message));
                None
            }
            other => Some(c.error(other)),
        }
    }
}

/// A submitted form, once its CSRF token is checked; the refusal otherwise.
pub(super) fn checked_form(
    page: SignedIn,
    pairs: Vec<(String, String)>,
) -> Result<(FormState, Ctx, store::Actor), Box<Response>> {
    let form = pairs_to_state(pairs);
    if let Some(refused) = page.csrf_refusal(form.opt("csrf").as_deref()) {
        return Err(Box::new(refused));
    }
    Ok((form, page.ctx, page.actor))
}

fn pairs_to_state(pairs: Vec<(String, String)>) -> FormState {
    let mut values: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        match values.get_mut(&name) {
            Some(existing) if !value.is_empty() => {
                existing.push(',');
                existing.push_str(&value);
            }
            Some(_) => {}
            None => {
                values.insert(name, value);
            }
        }
    }
    FormState { values, ..Default::default() }
}

/// The field's label in the user's language: `members[1].birth_date` reads "Membre 2 · Date
/// de naissance".
pub(crate) fn field_label(c: &Ctx, field: &str) -> String {
    let (prefix, name) = match field.strip_prefix("members[").and_then(|rest| rest.split_once("].")) {
        Some((index, name)) => {
            let n = index.parse::<usize>().map(|i| i + 1).unwrap_or(0);
            (format!("{} {n} · ", c.t.member), name)
        }
        None => (String::new(), field),
    };
    let t = c.t;
    let label = match name {
        "external_id" => t.external_id,
        "registration_point" => t.registration_point,
        "registration_date" => t.registration_date,
        "population_group" => t.group,
        "origin" => t.origin,
        "current_location" => t.current_location,
        "shelter_type" => t.shelter_type,
        "intention" => t.intention,
        "given_name" => t.given_name,
        "family_name" => t.family_name,
        "father_name" => t.father_name,
        "sex" => t.sex,
        "birth_date" => t.birth_date,
        "estimated_age" => t.estimated_age,
        "relationship" => t.relationship,
        "phone" => t.phone,
        "identifiers" => t.identifiers,
        other if other.starts_with("identifiers[") && other.ends_with(".kind") => t.identifier_kind,
        other if other.starts_with("identifiers[") => t.identifier_number,
        "documents_held" => t.documents_held,
        "documents_missing" => t.documents_missing,
        "specific_needs" => t.specific_needs,
        "members" => t.members,
        "kind" => t.kind,
        "date" => t.date,
        "from" => t.from,
        "to" => t.to,
        "cause" => t.cause,
        "country" => t.country,
        "reason" => t.reason,
        "organisation" => t.organisation,
        "regions" => t.regions,
        "name" => t.name,
        "days" => t.days,
        "scope" => t.scope,
        "head_person_id" => t.head,
        "voided" => t.voided,
        "status" => t.status,
        other if other.starts_with("movements") => t.first_displacement,
        other => other,
    };
    format!("{prefix}{label}")
}

pub(super) fn shown(c: &Ctx, error: FieldError) -> ShownError {
    // The first displacement is `movements[0].x` to the domain and `d.x` in the form.
    let field = error.field.replace("movements[0].", "d.");
    ShownError {
        label: field_label(c, &error.field.replace("movements[0].", "")),
        field,
        value: error.value,
        expected: c.say(&error.expected),
    }
}

/// Choices of a select: code and label, in the code list's order.
pub(super) fn options<T: Copy>(c: &Ctx, all: &[T], code: fn(T) -> &'static str) -> Vec<(String, String)> {
    all.iter().map(|v| (code(*v).to_string(), c.label(code(*v)))).collect()
}

pub(super) struct Choices {
    pub(super) groups: Vec<(String, String)>,
    pub(super) sexes: Vec<(String, String)>,
    pub(super) relationships: Vec<(String, String)>,
    pub(super) shelters: Vec<(String, String)>,
    pub(super) intentions: Vec<(String, String)>,
    pub(super) causes: Vec<(String, String)>,
    pub(super) kinds: Vec<(String, String)>,
    pub(super) documents: Vec<(String, String)>,
    pub(super) identifier_kinds: Vec<(String, String)>,
    pub(super) needs: Vec<(String, String)>,
}

pub(super) fn choices(store: &Store, c: &Ctx) -> Choices {
    let sensitive_visible = c.user.as_ref().is_some_and(|u| u.role.sees_protection_needs());
    Choices {
        groups: population_groups(store, c),
        sexes: options(c, Sex::ALL, Sex::as_str),
        relationships: options(c, Relationship::ALL, Relationship::as_str),
        shelters: options(c, ShelterType::ALL, ShelterType::as_str),
        intentions: options(c, Intention::ALL, Intention::as_str),
        causes: options(c, Cause::ALL, Cause::as_str),
        kinds: options(c, MovementKind::ALL, MovementKind::as_str),
        documents: options(c, Document::ALL, Document::as_str),
        identifier_kinds: options(c, IdentifierKind::ALL, IdentifierKind::as_str),
        // A user who may not see protection-related needs may not record them either.
        needs: SpecificNeed::ALL
            .iter()
            .filter(|n| sensitive_visible || !n.is_protection_sensitive())
            .map(|n| (n.as_str().to_string(), c.label(n.as_str())))
            .collect(),
    }
}
