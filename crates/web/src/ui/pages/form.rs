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
        "estimated_age" => t.estimated_age_field,
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
        // The registration form's first displacement.
        "d.date" => t.displacement_date,
        "d.from" => t.origin,
        "d.to" => t.destination,
        "d.cause" => t.cause,
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
        "removed" => t.removed_from_household,
        "status" => t.status,
        "code" => t.code,
        "sector" => t.sector,
        "target_unit" => t.target_unit,
        "start_date" => t.start_date,
        "end_date" => t.end_date,
        "places" => t.places_field,
        other if other.starts_with("places[") => t.places_field,
        "eligibility" => t.eligibility,
        "amount" => t.amount,
        "unit" => t.unit,
        "per" => t.per,
        "cap_per_household" => t.cap_per_household,
        "min_members" => t.min_members,
        "min_age" => t.min_age,
        "max_age" => t.max_age,
        "displaced_since" => t.displaced_from,
        "location" => t.place,
        other if other.starts_with("households[") => t.household_list,
        other if other.starts_with("overrides[") => t.override_reason,
        "household" => t.household,
        "person" => t.person,
        "quantity" => t.quantity,
        "modality" => t.modality,
        "outcome" => t.outcome,
        "reference" => t.reference,
        "place" => t.place,
        "answer" => t.answer,
        "amount_reported" => t.amount_reported,
        "issue" => t.issue,
        "size" => t.sample_size,
        "method" => t.sample_method,
        "sectors" => t.plan_sectors,
        "indicator" => t.indicator,
        "month" => t.month,
        "value" => t.report_value,
        "female" => t.women_count,
        "male" => t.men_count,
        "comment" => t.review_comment,
        "decision" => t.review_comment,
        "name_fr" => t.name_fr,
        "name_en" => t.name_en,
        "across_periods" => t.across_periods,
        "across_places" => t.across_places,
        "disaggregations" => t.disaggregations_field,
        "kinds" => t.counted_kinds,
        "partner" => t.partner_h,
        "national_staff" => t.national_staff_h,
        "international_staff" => t.international_staff_h,
        "as_of" => t.as_of,
        "level" => t.level,
        other if other.starts_with("movements") => t.first_displacement,
        other => other,
    };
    format!("{prefix}{label}")
}

pub(super) fn shown(c: &Ctx, error: FieldError) -> ShownError {
    // The first displacement is `movements[0].x` to the domain and `d.x` in the form.
    let field = error.field.replace("movements[0].", "d.");
    ShownError { label: field_label(c, &field), field, value: error.value, expected: c.say(&error.expected) }
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

/// Values a form gives as text that the domain takes typed: places by name, ages in words.
/// What cannot be read becomes an error at its field; nothing is dropped or guessed.
pub(super) struct Reading<'a> {
    store: &'a Store,
    pub(super) errors: FieldErrors,
}

impl<'a> Reading<'a> {
    pub(super) fn new(store: &'a Store) -> Reading<'a> {
        Reading { store, errors: FieldErrors::default() }
    }

    /// A place typed as a P-code or a name (case and accents aside, aliases included). A name
    /// of several places, or of none, is an error at `field` naming the candidates or the
    /// closest spellings; the text is kept so the form shows it again.
    pub(super) fn place(&mut self, form: &FormState, name: &str, field: &str) -> Option<String> {
        let text = form.opt(name)?;
        match place_of(self.store, &text) {
            Ok(code) => Some(code),
            Err(message) => {
                self.errors.push(FieldError::new(field, text.clone(), message));
                Some(text)
            }
        }
    }

    /// An age as clerks write it (`40`, `40 ans`, `environ 40`); anything else is an error.
    pub(super) fn age(&mut self, form: &FormState, name: &str, field: &str) -> Option<u32> {
        let text = form.opt(name)?;
        let age = domain::dates::age_in_years(&text);
        if age.is_none() {
            self.errors.push(FieldError::new(field, text, Message::AgeInYears));
        }
        age
    }

    /// The reading's errors alone, when the store parses the rest itself.
    pub(super) fn error(self) -> Option<StoreError> {
        self.errors_with(Ok::<(), FieldErrors>(()))
    }

    /// The reading's errors with those of parsing (`parsed`), each field once: the reading's
    /// say more (a place named twice) than the parser's about the same text.
    pub(super) fn errors_with<T>(mut self, parsed: Result<T, FieldErrors>) -> Option<StoreError> {
        if self.errors.is_empty() {
            return None;
        }
        fn same_text(field: &str) -> &str {
            match field {
                "origin" => "movements[0].from",
                "current_location" => "movements[0].to",
                other => other,
            }
        }
        if let Err(parsed) = parsed {
            for error in parsed.0 {
                let field = same_text(&error.field).to_string();
                if !self.errors.0.iter().any(|e| e.field == field || e.field == error.field) {
                    self.errors.push(error);
                }
            }
        }
        Some(StoreError::Invalid(self.errors))
    }
}

/// A place by P-code or by name (`Gazetteer::place_of`).
pub(super) fn place_of(store: &Store, text: &str) -> Result<String, Message> {
    store.gazetteer.place_of(text)
}

/// An upload form as sent: its text fields, and its files (empty ones left out).
pub(super) struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<exchange::InputFile>,
}

/// Reads a `multipart/form-data` form: a part with a file name is a file (the name kept only
/// as a safe last component), any other a text field. A broken body is a 400 page.
pub(super) async fn read_upload(c: &Ctx, multipart: &mut Multipart) -> Result<Upload, Box<Response>> {
    let broken = |error: axum::extract::multipart::MultipartError| {
        Box::new((StatusCode::BAD_REQUEST, message_page(c, c.t.error_title, &error.body_text())).into_response())
    };
    let mut upload = Upload { fields: HashMap::new(), files: Vec::new() };
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(crate::files::sanitise_file_name) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(broken)?;
                if !bytes.is_empty() {
                    upload.files.push(exchange::InputFile { name: file_name, bytes: bytes.to_vec() });
                }
            }
            None => {
                let text = field.text().await.map_err(broken)?;
                upload.fields.insert(name, text);
            }
        }
    }
    Ok(upload)
}
