//! Recording a movement of a household or one of its members.

use super::*;

#[derive(Template)]
#[template(path = "movement.html")]
struct MovementPage {
    c: Ctx,
    id: String,
    external_id: String,
    people: Vec<(String, String)>,
    form: FormState,
    choices: Choices,
}

async fn movement_page(state: &AppState, c: Ctx, actor: store::Actor, id: String, form: FormState) -> Response {
    let detail = match blocking(state, move |store| store.household_detail(&actor, &id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let people = detail
        .members
        .iter()
        .map(|m| (m.person.id.clone(), format!("{} {}", m.person.given_name, m.person.family_name)))
        .collect();
    render(&MovementPage {
        choices: choices(&state.store, &c),
        id: detail.household.id,
        external_id: detail.household.external_id,
        people,
        form,
        c,
    })
}

pub async fn movement_form(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let mut form = FormState::default();
    form.values.insert("date".into(), state.store.today().to_string());
    movement_page(&state, c, actor, id, form).await
}

pub async fn record_movement(
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
    let input = MovementInput {
        kind: form.v("kind").trim().to_string(),
        date: form.v("date").trim().to_string(),
        from: reading.place(&form, "from", "from"),
        to: reading.place(&form, "to", "to"),
        country: form.opt("country").map(|c| c.to_ascii_uppercase()),
        cause: form.opt("cause"),
        source: form.opt("source"),
        ..Default::default()
    };
    let person = form.opt("person");
    let (household, who) = (id.clone(), actor.clone());
    let saved = match reading.errors_with(input.parse(state.store.gazetteer.as_ref(), state.store.today())) {
        Some(error) => Err(error),
        None => {
            blocking(&state, move |store| {
                let movement = input.parse(store.gazetteer.as_ref(), store.today())?;
                store.record_movement(&who, &household, person.as_deref(), &movement)
            })
            .await
        }
    };
    match saved {
        Ok(_) => Redirect::to(&format!("/households/{id}?saved=1")).into_response(),
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            let mut response = movement_page(&state, c, actor, id, form).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            response
        }
    }
}
