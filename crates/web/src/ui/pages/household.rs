//! The household page: members, documents, needs within role, timeline, solutions, history.

use super::*;

struct MemberRow {
    id: String,
    /// Found to be the same person as an earlier record: counted there.
    merged: bool,
    name: String,
    sex: String,
    birth: String,
    relationship: String,
    status: String,
    documents_held: String,
    documents_missing: String,
    needs: String,
    phone: String,
    identifiers: String,
}

struct EventRow {
    /// The movement's identifier (to void it).
    id: String,
    date: String,
    kind: String,
    who: String,
    from: String,
    to: String,
    cause: String,
    source: String,
    voided: bool,
    /// Why it was voided, as its author said.
    void_reason: String,
}

struct VersionRow {
    entity: String,
    version: i64,
    at: String,
    by: String,
    reason: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    c: Ctx,
    id: String,
    external_id: String,
    facts: Vec<(String, String)>,
    members: Vec<MemberRow>,
    events: Vec<EventRow>,
    solutions: Vec<String>,
    versions: Vec<VersionRow>,
    saved: bool,
    /// The members a solutions decision may be for: identifier and name.
    people: Vec<(String, String)>,
}

/// A version's changes in the reader's language: fields by their label, codes by theirs.
fn describe_changes(c: &Ctx, changes: &serde_json::Value) -> Vec<String> {
    let Some(fields) = changes.as_object() else { return Vec::new() };
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::String(s) => c.label(s),
        serde_json::Value::Bool(true) => c.t.yes.to_string(),
        serde_json::Value::Bool(false) => c.t.no.to_string(),
        other => other.to_string(),
    };
    fields
        .iter()
        // The searchable form of the names is derived from them: not a change of its own.
        .filter(|(field, _)| field.as_str() != "name_folded")
        .map(|(field, change)| {
            let field = field_label(c, field);
            match (change.get("from"), change.get("to")) {
                (Some(from), Some(to)) => format!("{field} : {} → {}", show(from), show(to)),
                _ => format!("{field} : {}", show(change)),
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<u8>,
}

pub async fn household(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let loaded = blocking(&state, move |store| {
        let detail = store.household_detail(&actor, &id)?;
        let versions = store.household_history(&actor, &id)?;
        Ok((detail, versions))
    })
    .await;
    let (detail, versions) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    render(&household_page(&state, c, detail, versions, q.saved.is_some()))
}

fn household_page(
    state: &AppState,
    c: Ctx,
    detail: HouseholdDetail,
    versions: Vec<Version>,
    saved: bool,
) -> HouseholdPage {
    let g = &state.store.gazetteer;
    let place = |pcode: Option<&str>| pcode.map(|p| g.label(p)).unwrap_or_else(|| "—".into());
    let h = &detail.household;
    let names: HashMap<String, String> = detail
        .members
        .iter()
        .map(|m| (m.person.id.clone(), format!("{} {}", m.person.given_name, m.person.family_name)))
        .collect();
    let codes = |codes: Vec<&str>| codes.iter().map(|code| c.label(code)).collect::<Vec<_>>().join(", ");
    let facts = vec![
        (c.t.organisation.to_string(), h.organisation.clone()),
        (c.t.group.to_string(), format!("{} ({})", c.label(&h.population_group), h.population_group)),
        (c.t.status.to_string(), {
            let status = c.label(detail.summary.status.as_str());
            // A solutions decision for the whole household takes it out of the IDP stock
            // (IRIS) whatever its movements say: the status says so beside them.
            match detail.solutions.iter().filter(|s| !s.voided && s.person_id.is_none()).map(|s| s.decided_on).max() {
                Some(on) => format!("{status} · {} {}", c.t.solution_reached_on, c.day(on)),
                None => status,
            }
        }),
        (c.t.current_location.to_string(), place(detail.summary.current_location.as_deref())),
        (
            c.t.displaced_since.to_string(),
            detail.summary.displaced_since.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        ),
        (c.t.displacements.to_string(), detail.summary.displacements.to_string()),
        (c.t.back_and_forth.to_string(), if detail.summary.moves_back_and_forth { "✔".into() } else { "—".into() }),
        (c.t.registration_point.to_string(), place(Some(&h.registration_point.pcode))),
        (c.t.registered_on.to_string(), h.registration_date.to_string()),
        (c.t.origin.to_string(), place(h.origin.as_ref().map(|o| o.pcode.as_str()))),
        (c.t.shelter_type.to_string(), h.shelter_type.map(|s| c.label(s.as_str())).unwrap_or_else(|| "—".into())),
        (c.t.intention.to_string(), h.intention.map(|s| c.label(s.as_str())).unwrap_or_else(|| "—".into())),
    ];
    let members = detail
        .members
        .iter()
        .map(|m| {
            let p = &m.person;
            MemberRow {
                id: p.id.clone(),
                merged: p.duplicate_of.is_some(),
                name: [p.given_name.as_str(), p.family_name.as_str()].join(" "),
                sex: p.sex.map_or_else(|| c.t.sex_not_stated.to_string(), |s| c.label(s.as_str())),
                birth: p.birth_date.clone().unwrap_or_default(),
                relationship: p.relationship.map(|r| c.label(r.as_str())).unwrap_or_default(),
                status: c.label(m.summary.status.as_str()),
                documents_held: codes(p.documents_held.iter().map(|d| d.as_str()).collect()),
                documents_missing: codes(p.documents_missing.iter().map(|d| d.as_str()).collect()),
                needs: codes(p.specific_needs.iter().map(|d| d.as_str()).collect()),
                phone: if c.user.as_ref().is_some_and(|u| u.role.sees_phone()) {
                    p.phone.clone().unwrap_or_default()
                } else {
                    format!("({})", c.t.hidden)
                },
                identifiers: if c.user.as_ref().is_some_and(|u| u.role.sees_identifiers()) {
                    let shown: Vec<String> =
                        p.identifiers.iter().map(|d| format!("{} {}", c.label(d.kind.as_str()), d.number)).collect();
                    shown.join(" · ")
                } else {
                    format!("({})", c.t.hidden)
                },
            }
        })
        .collect();
    let events = detail
        .movements
        .iter()
        .map(|m| EventRow {
            id: m.id.clone(),
            date: m.date.clone(),
            kind: c.label(m.kind.as_str()),
            who: m
                .person_id
                .as_ref()
                .and_then(|p| names.get(p))
                .cloned()
                .unwrap_or_else(|| c.t.whole_household.to_string()),
            from: m
                .from
                .as_ref()
                .map(|l| format!("{} ({})", l.name, l.pcode))
                .or(m.country.clone())
                .unwrap_or_default(),
            to: m.to.as_ref().map(|l| format!("{} ({})", l.name, l.pcode)).unwrap_or_default(),
            cause: m.cause.map(|x| c.label(x.as_str())).unwrap_or_default(),
            source: m.source.clone().unwrap_or_default(),
            voided: m.voided,
            void_reason: m.void_reason.clone().unwrap_or_default(),
        })
        .collect();
    let solutions = detail
        .solutions
        .iter()
        .map(|s| {
            let who = s
                .person_id
                .as_ref()
                .and_then(|p| names.get(p))
                .cloned()
                .unwrap_or_else(|| c.t.whole_household.to_string());
            format!("{} · {who} · {} · {}", s.decided_on, s.basis, s.decided_by)
        })
        .collect();
    let versions = versions
        .iter()
        .map(|v| VersionRow {
            entity: if v.entity == "household" {
                c.t.household.to_string()
            } else {
                names.get(&v.entity_id).cloned().unwrap_or_else(|| c.t.person.to_string())
            },
            version: v.version,
            at: v.changed_at.chars().take(16).collect::<String>().replace('T', " "),
            by: v.changed_by.clone(),
            // The store names a record's first version by the code "created".
            reason: if v.version == 1 && v.reason == "created" { c.t.version_created.into() } else { v.reason.clone() },
            changes: describe_changes(&c, &v.changes),
        })
        .collect();
    HouseholdPage {
        id: h.id.clone(),
        external_id: h.external_id.clone(),
        facts,
        members,
        events,
        solutions,
        versions,
        saved,
        people: detail
            .members
            .iter()
            .filter(|m| m.person.duplicate_of.is_none())
            .map(|m| (m.person.id.clone(), format!("{} {}", m.person.given_name, m.person.family_name)))
            .collect(),
        c,
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    c: Ctx,
    id: String,
    number: String,
    point: String,
    registered_on: String,
    group: String,
    organisation: String,
    /// Name, sex, birth date and relationship of each member: what a family may carry. No
    /// phone, document number or protection need.
    members: Vec<(String, String, String, String)>,
}

/// A registration receipt to print and hand to the household, in the reader's language.
pub async fn household_receipt(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let detail = match blocking(&state, move |store| store.household_detail(&actor, &id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let h = &detail.household;
    let label = |code: Option<&str>| code.map(|v| c.label(v)).unwrap_or_else(|| "—".into());
    let members = detail
        .members
        .iter()
        .filter(|m| m.person.duplicate_of.is_none())
        .map(|m| {
            let p = &m.person;
            let name = format!("{} {}", p.given_name, p.family_name);
            (
                name,
                label(p.sex.map(|s| s.as_str())),
                p.birth_date.clone().unwrap_or_else(|| "—".into()),
                label(p.relationship.map(|r| r.as_str())),
            )
        })
        .collect();
    render(&ReceiptPage {
        id: h.id.clone(),
        number: h.external_id.clone(),
        point: state.store.gazetteer.label(&h.registration_point.pcode),
        registered_on: c.day(h.registration_date),
        group: c.label(&h.population_group),
        organisation: h.organisation.clone(),
        members,
        c,
    })
}

/// Voids a movement recorded by mistake, with the reason (kept in its history), from the
/// household's page.
pub async fn household_void_movement(
    State(state): State<AppState>,
    page: SignedIn,
    Path((household, movement)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let reason = form.v("reason").to_string();
    match blocking(&state, move |store| store.void_movement(&actor, &movement, &reason)).await {
        Ok(_) => Redirect::to(&format!("/households/{household}?saved=1")).into_response(),
        Err(error) => c.error(error),
    }
}

/// Records a solutions decision for the household, or for one member, from its page.
pub async fn household_record_solution(
    State(state): State<AppState>,
    page: SignedIn,
    Path(household): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = store::figures::SolutionInput {
        decided_on: form.v("decided_on").to_string(),
        basis: form.v("basis").to_string(),
        decided_by: form.v("decided_by").to_string(),
    };
    let person = form.opt("person");
    let id = household.clone();
    match blocking(&state, move |store| store.record_solution(&actor, &id, person.as_deref(), &input)).await {
        Ok(_) => Redirect::to(&format!("/households/{household}?saved=1")).into_response(),
        Err(error) => c.error(error),
    }
}
