//! The review queue of likely duplicates.

use super::*;

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    c: Ctx,
    status: String,
    pairs: Vec<store::duplicates::DuplicatePair>,
    run: Option<store::duplicates::RunReport>,
}

#[derive(Deserialize, Default)]
pub struct DuplicatesQuery {
    status: Option<String>,
}

async fn duplicates_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    status: String,
    run: Option<store::duplicates::RunReport>,
) -> Response {
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let wanted = status.clone();
    match blocking(state, move |store| store.duplicate_pairs(&actor, Some(&wanted), 100)).await {
        Ok(mut pairs) => {
            // Places by name, as reviewers know them.
            for pair in &mut pairs {
                for person in [&mut pair.a, &mut pair.b] {
                    person.location = person.location.as_deref().map(|p| state.store.gazetteer.label(p));
                }
            }
            render(&DuplicatesPage { c, status, pairs, run })
        }
        Err(error) => c.error(error),
    }
}

pub async fn duplicates(State(state): State<AppState>, page: SignedIn, Query(q): Query<DuplicatesQuery>) -> Response {
    let status = q
        .status
        .filter(|s| ["pending", "accepted", "rejected"].contains(&s.as_str()))
        .unwrap_or_else(|| "pending".into());
    duplicates_page(&state, page.ctx, page.actor, status, None).await
}

pub async fn decide_duplicate(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let decision = match form.v("decision") {
        "accept" => store::duplicates::Decision::Accept,
        "reject" => store::duplicates::Decision::Reject,
        _ => store::duplicates::Decision::Undo,
    };
    let back = form
        .opt("back")
        .filter(|b| ["pending", "accepted", "rejected"].contains(&b.as_str()))
        .unwrap_or_else(|| "pending".into());
    let reason = form.v("reason").to_string();
    match blocking(&state, move |store| store.decide_duplicate(&actor, &id, decision, &reason)).await {
        Ok(_) => Redirect::to(&format!("/duplicates?status={back}")).into_response(),
        Err(error) => c.error(error),
    }
}

pub async fn run_duplicates(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (_, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let who = actor.clone();
    match blocking(&state, move |store| store.run_duplicate_detection(&who)).await {
        Ok(report) => duplicates_page(&state, c, actor, "pending".into(), Some(report)).await,
        Err(error) => c.error(error),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_this_site() {
        for attack in [
            "/\t/evil.example",
            "/\n/x",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/ /x",
            "/\r\n/x",
        ] {
            assert_eq!(super::local_path(Some(attack)), "/", "{attack:?}");
        }
        assert_eq!(super::local_path(Some("/registry?q=Ma%C3%AFga&page=2")), "/registry?q=Ma%C3%AFga&page=2");
    }
}
