//! Adding a member to a household and correcting one, each with a reason kept in the history.

use store::registry::Person;
use store::Actor;

use super::*;

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    c: Ctx,
    title: String,
    action: String,
    household_id: String,
    external_id: String,
    /// Correcting a member (not adding one): what the form does not show is kept.
    correcting: bool,
    form: FormState,
    rows: Vec<usize>,
    choices: Choices,
}

/// The household and, when correcting, the member; 404 for what the reader may not change.
async fn household_and_member(
    state: &AppState,
    actor: &Actor,
    household: &str,
    person: Option<&str>,
) -> Result<(HouseholdDetail, Option<Person>), StoreError> {
    let (actor, household, person) = (actor.clone(), household.to_string(), person.map(str::to_string));
    blocking(state, move |store| {
        let detail = store.household_detail(&actor, &household)?;
        let member = match person {
            Some(id) => Some(
                detail
                    .members
                    .iter()
                    .find(|m| m.person.id == id)
                    .map(|m| m.person.clone())
                    .ok_or(StoreError::NotFound("person"))?,
            ),
            None => None,
        };
        Ok((detail, member))
    })
    .await
}

fn page(c: Ctx, state: &AppState, detail: &HouseholdDetail, member: Option<&Person>, form: FormState) -> MemberPage {
    let h = &detail.household;
    let (title, action) = match member {
        Some(p) => (c.t.correct_member.to_string(), format!("/households/{}/members/{}/edit", h.id, p.id)),
        None => (c.t.add_member.to_string(), format!("/households/{}/members/new", h.id)),
    };
    MemberPage {
        choices: choices(&state.store, &c),
        title,
        action,
        household_id: h.id.clone(),
        external_id: h.external_id.clone(),
        correcting: member.is_some(),
        form,
        rows: vec![0],
        c,
    }
}

/// The member's recorded values in the form's fields.
fn filled(p: &Person) -> FormState {
    let mut form = FormState::default();
    let codes = |list: Vec<&str>| list.join(",");
    for (name, value) in [
        ("given_name", Some(p.given_name.clone())),
        ("family_name", Some(p.family_name.clone())),
        ("father_name", p.father_name.clone()),
        ("sex", p.sex.map(|s| s.as_str().to_string())),
        ("birth_date", p.birth_date.clone()),
        ("relationship", p.relationship.map(|r| r.as_str().to_string())),
        ("phone", p.phone.clone()),
        ("id_kind", p.identifiers.first().map(|i| i.kind.as_str().to_string())),
        ("id_number", p.identifiers.first().map(|i| i.number.clone())),
        ("documents_held", Some(codes(p.documents_held.iter().map(|d| d.as_str()).collect()))),
        ("specific_needs", Some(codes(p.specific_needs.iter().map(|n| n.as_str()).collect()))),
    ] {
        form.values.insert(format!("members[0].{name}"), value.unwrap_or_default());
    }
    form.values.insert("expected_version".into(), p.version.to_string());
    form
}

pub async fn member_add_form(State(state): State<AppState>, page_in: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page_in;
    match household_and_member(&state, &actor, &id, None).await {
        Ok((detail, _)) => render(&page(c, &state, &detail, None, FormState::default())),
        Err(error) => c.error(error),
    }
}

pub async fn member_correct_form(
    State(state): State<AppState>,
    page_in: SignedIn,
    Path((id, person)): Path<(String, String)>,
) -> Response {
    let SignedIn { ctx: c, actor } = page_in;
    match household_and_member(&state, &actor, &id, Some(&person)).await {
        Ok((detail, Some(member))) => {
            let form = filled(&member);
            render(&page(c, &state, &detail, Some(&member), form))
        }
        Ok((_, None)) => c.error(StoreError::NotFound("person")),
        Err(error) => c.error(error),
    }
}

pub async fn member_add(
    State(state): State<AppState>,
    page_in: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, page_in, id, None, pairs).await
}

pub async fn member_correct(
    State(state): State<AppState>,
    page_in: SignedIn,
    Path((id, person)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, page_in, id, Some(person), pairs).await
}

async fn save(
    state: AppState,
    page_in: SignedIn,
    household: String,
    person: Option<String>,
    pairs: Vec<(String, String)>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page_in, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (detail, member) = match household_and_member(&state, &actor, &household, person.as_deref()).await {
        Ok(found) => found,
        Err(error) => return c.error(error),
    };
    let mut reading = Reading::new(&state.store);
    let mut input = super::registration::person_input(&mut reading, &form, 0);
    if let Some(current) = &member {
        // What the form does not show stays as recorded: other spellings, missing documents,
        // document numbers after the first, the member's own number.
        input.external_id = current.external_id.clone();
        input.other_spellings = current.other_spellings.clone();
        input.documents_missing = current.documents_missing.iter().map(|d| d.as_str().to_string()).collect();
        input.identifiers.extend(
            current
                .identifiers
                .iter()
                .skip(1)
                .map(|i| IdentifierInput { kind: i.kind.as_str().into(), number: i.number.clone() }),
        );
    } else {
        // The store numbers the new member after every member the household ever had.
        input.external_id = None;
    }
    let reason = form.v("reason").trim().to_string();
    let expected_version = form.opt("expected_version").and_then(|v| v.parse().ok());
    let parsed = input.parse(state.store.gazetteer.as_ref(), state.store.today());
    let unread = reading.errors_with(parsed.as_ref().map(|_| ()).map_err(Clone::clone));
    let saved = match (unread, parsed) {
        (Some(error), _) => Err(error),
        (None, Err(errors)) => Err(StoreError::Invalid(errors)),
        (None, Ok(new)) => {
            let (who, household) = (actor.clone(), household.clone());
            blocking(&state, move |store| match &person {
                Some(id) => store.update_person_at(&who, id, &new, &reason, expected_version),
                None => store.add_member(&who, &household, &new, &reason),
            })
            .await
        }
    };
    match saved {
        Ok(_) => Redirect::to(&format!("/households/{household}?saved=1")).into_response(),
        Err(error) => {
            // The person's fields are the form's `members[0].` fields.
            let error = match error {
                StoreError::Invalid(mut errors) => {
                    for e in &mut errors.0 {
                        if e.field != "reason" && !e.field.starts_with("members[") {
                            e.field = format!("members[0].{}", e.field);
                        }
                    }
                    StoreError::Invalid(errors)
                }
                other => other,
            };
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            let page = page(c, &state, &detail, member.as_ref(), form);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
    }
}

/// Removes a member from the household, with why, from its page.
pub async fn member_remove(
    State(state): State<AppState>,
    page_in: SignedIn,
    Path((household, person)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page_in, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let (reason, id) = (form.v("reason").to_string(), household.clone());
    match blocking(&state, move |store| store.remove_member(&actor, &id, &person, &reason)).await {
        Ok(_) => Redirect::to(&format!("/households/{household}?saved=1")).into_response(),
        Err(error) => c.error(error),
    }
}
