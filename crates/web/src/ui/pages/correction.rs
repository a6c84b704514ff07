//! Correcting a household's registration, with a reason and the version it was made against.

use super::*;

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    c: Ctx,
    id: String,
    external_id: String,
    form: FormState,
    choices: Choices,
}

pub async fn edit_form(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let detail = match blocking(&state, move |store| store.household_detail(&actor, &id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let h = detail.household;
    let mut form = FormState::default();
    for (name, value) in [
        ("registration_point", Some(h.registration_point.pcode.clone())),
        ("registration_date", Some(h.registration_date.to_string())),
        ("population_group", Some(h.population_group.clone())),
        ("origin", h.origin.map(|o| o.pcode)),
        ("shelter_type", h.shelter_type.map(|s| s.as_str().to_string())),
        ("intention", h.intention.map(|s| s.as_str().to_string())),
        ("expected_version", Some(h.version.to_string())),
    ] {
        form.values.insert(name.into(), value.unwrap_or_default());
    }
    render(&EditPage { choices: choices(&state.store, &c), id: h.id, external_id: h.external_id, form, c })
}

pub async fn edit(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let mut reading = Reading::new(&state.store);
    let patch = HouseholdPatch {
        registration_point: reading.place(&form, "registration_point", "registration_point"),
        registration_date: form.opt("registration_date"),
        population_group: form.opt("population_group"),
        origin: reading.place(&form, "origin", "origin"),
        shelter_type: form.opt("shelter_type"),
        intention: form.opt("intention"),
        head_person_id: None,
        reason: form.v("reason").trim().to_string(),
        expected_version: form.opt("expected_version").and_then(|v| v.parse().ok()),
    };
    let (household, who) = (id.clone(), actor.clone());
    let saved = match reading.error() {
        Some(error) => Err(error),
        None => blocking(&state, move |store| store.update_household(&who, &household, &patch)).await,
    };
    match saved {
        Ok(_) => Redirect::to(&format!("/households/{id}?saved=1")).into_response(),
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            let detail = match blocking(&state, move |store| store.household_detail(&actor, &id)).await {
                Ok(detail) => detail,
                Err(error) => return c.error(error),
            };
            let page = EditPage {
                choices: choices(&state.store, &c),
                id: detail.household.id,
                external_id: detail.household.external_id,
                form,
                c,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
    }
}
