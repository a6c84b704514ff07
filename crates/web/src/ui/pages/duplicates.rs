//! The review queue of likely duplicates.

use super::*;

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    c: Ctx,
    status: String,
    pairs: Vec<PairView>,
    run: Option<store::duplicates::RunReport>,
    /// A decision refused (pair id, why), shown beside its pair.
    problem: Option<(String, String)>,
    /// What the check before saving has learnt from (once it has been used).
    check: Option<store::duplicates::CheckStatus>,
}

/// One compared field: both records' values as the reviewer reads them, and whether they
/// differ once case, accents and spacing are set aside.
struct FieldRow {
    label: &'static str,
    a: String,
    b: String,
    differs: bool,
}

struct PairView {
    pair: store::duplicates::DuplicatePair,
    rows: Vec<FieldRow>,
    a_household: Vec<String>,
    b_household: Vec<String>,
    /// Found when the later record arrived from another office.
    received: bool,
}

fn member_line(c: &Ctx, m: &store::duplicates::MemberBrief) -> String {
    let mut parts = vec![format!("{} {}", m.given_name, m.family_name)];
    parts.extend(m.relationship.as_deref().map(|r| c.label(r)));
    parts.extend(m.sex.as_deref().map(|s| c.label(s)));
    parts.extend(m.birth_date.clone());
    parts.join(" · ")
}

fn pair_view(c: &Ctx, gazetteer: &store::Gazetteer, pair: store::duplicates::DuplicatePair) -> PairView {
    let (a, b) = (&pair.a, &pair.b);
    let place = |p: &Option<String>| p.as_deref().map(|p| gazetteer.label(p)).unwrap_or_default();
    let label = |v: &Option<String>| v.as_deref().map(|v| c.label(v)).unwrap_or_default();
    let documents = |p: &store::duplicates::PersonSummary| {
        p.identifiers
            .iter()
            .map(|d| format!("{} {}", c.label(d.kind.as_str()), d.number))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let row = |label: &'static str, a: String, b: String| {
        let differs = domain::text::fold(&a).split_whitespace().ne(domain::text::fold(&b).split_whitespace());
        FieldRow { label, a, b, differs }
    };
    let mut rows = vec![
        row(c.t.given_name, a.given_name.clone(), b.given_name.clone()),
        row(c.t.family_name, a.family_name.clone(), b.family_name.clone()),
        row(c.t.father_name, a.father_name.clone().unwrap_or_default(), b.father_name.clone().unwrap_or_default()),
        row(c.t.sex, label(&a.sex), label(&b.sex)),
        row(c.t.birth_date, a.birth_date.clone().unwrap_or_default(), b.birth_date.clone().unwrap_or_default()),
        row(c.t.place, place(&a.location), place(&b.location)),
    ];
    if !a.identifiers.is_empty() || !b.identifiers.is_empty() {
        rows.push(row(c.t.identifiers, documents(a), documents(b)));
    }
    PairView {
        a_household: pair.a_household.iter().map(|m| member_line(c, m)).collect(),
        b_household: pair.b_household.iter().map(|m| member_line(c, m)).collect(),
        rows,
        received: pair.found_by == store::duplicates::ARRIVALS_FINDER,
        pair,
    }
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
    problem: Option<(String, String)>,
) -> Response {
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let wanted = status.clone();
    match blocking(state, move |store| store.duplicate_pairs(&actor, Some(&wanted), 100)).await {
        Ok(pairs) => {
            let pairs = pairs.into_iter().map(|p| pair_view(&c, &state.store.gazetteer, p)).collect();
            let code = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let check = state.store.duplicate_check_status();
            (code, render(&DuplicatesPage { c, status, pairs, run, problem, check })).into_response()
        }
        Err(error) => c.error(error),
    }
}

pub async fn duplicates(State(state): State<AppState>, page: SignedIn, Query(q): Query<DuplicatesQuery>) -> Response {
    let status = q
        .status
        .filter(|s| ["pending", "accepted", "rejected"].contains(&s.as_str()))
        .unwrap_or_else(|| "pending".into());
    duplicates_page(&state, page.ctx, page.actor, status, None, None).await
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
    let (who, pair) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.decide_duplicate(&who, &pair, decision, &reason)).await {
        Ok(_) => Redirect::to(&format!("/duplicates?status={back}")).into_response(),
        // A missing reason, or a pair decided meanwhile: said beside the pair, the page kept.
        Err(StoreError::Invalid(fields)) => {
            let why = fields
                .0
                .iter()
                .map(|e| format!("{} : {}", field_label(&c, &e.field), c.say(&e.expected)))
                .collect::<Vec<_>>()
                .join(" ; ");
            duplicates_page(&state, c, actor, back, None, Some((id, why))).await
        }
        Err(StoreError::Conflict(message)) => {
            let why = c.say(&message);
            duplicates_page(&state, c, actor, back, None, Some((id, why))).await
        }
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
        Ok(report) => duplicates_page(&state, c, actor, "pending".into(), Some(report), None).await,
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
