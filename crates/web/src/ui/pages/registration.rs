//! Registering a household from the form: the same use case as the API, with the likely duplicates shown before anything is saved.

use super::*;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    c: Ctx,
    form: FormState,
    rows: Vec<usize>,
    choices: Choices,
    /// For users of no organisation (administrators): whose household this is.
    organisations: Vec<(String, String)>,
    /// Registered people the members may be, shown before saving.
    likely: Vec<LikelyRow>,
}

struct LikelyRow {
    member: String,
    person: String,
    household_id: String,
    household: String,
    probability: String,
}

fn likely_rows(c: &Ctx, form: &FormState, found: &[store::duplicates::LikelyDuplicate]) -> Vec<LikelyRow> {
    // The form's member rows include blank ones; the n-th filled row is the n-th member.
    let filled: Vec<usize> = (0..member_rows(form))
        .filter(|i| !form.mv(i, "given_name").trim().is_empty() || !form.mv(i, "family_name").trim().is_empty())
        .collect();
    found
        .iter()
        .map(|l| {
            let row = filled.get(l.member).copied().unwrap_or(l.member);
            let p = &l.person;
            LikelyRow {
                member: format!(
                    "{} {} ({} {} {})",
                    c.t.member,
                    row + 1,
                    form.mv(&row, "given_name"),
                    form.mv(&row, "family_name"),
                    form.mv(&row, "birth_date")
                ),
                person: format!(
                    "{} {} · {} · {} · {}",
                    p.given_name,
                    p.family_name,
                    p.sex.as_deref().map(|s| c.label(s)).unwrap_or_default(),
                    p.birth_date.clone().unwrap_or_default(),
                    p.location.clone().unwrap_or_default()
                ),
                household_id: p.household_id.clone(),
                household: format!("{} ({})", p.household_external_id, p.organisation),
                probability: format!(
                    "{:.0} % · {}",
                    l.probability * 100.0,
                    if l.likely { c.t.likely_band } else { c.t.possible_band }
                ),
            }
        })
        .collect()
}

async fn organisations_to_choose(state: &AppState, c: &Ctx) -> Vec<(String, String)> {
    if c.user.as_ref().is_some_and(|u| u.organisation_id.is_some()) {
        return Vec::new();
    }
    let listed = blocking(state, |store| store.list_organisations()).await.unwrap_or_default();
    listed.into_iter().map(|o| (o.code, o.name)).collect()
}

#[derive(Deserialize)]
pub struct RowsQuery {
    members: Option<usize>,
}

pub async fn register_form(State(state): State<AppState>, page: SignedIn, Query(q): Query<RowsQuery>) -> Response {
    let c = page.ctx;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    let mut form = FormState::default();
    form.values.insert("registration_date".into(), state.store.today().to_string());
    form.values.insert("population_group".into(), "IDP".into());
    form.values.insert("d.cause".into(), "armed_conflict".into());
    let rows = (0..q.members.unwrap_or(3).clamp(1, 30)).collect();
    let organisations = organisations_to_choose(&state, &c).await;
    render(&RegisterPage { choices: choices(&state.store, &c), organisations, likely: Vec::new(), c, form, rows })
}

/// How many member rows the submitted form had (the highest index typed, plus one).
fn member_rows(form: &FormState) -> usize {
    form.values
        .keys()
        .filter_map(|k| k.strip_prefix("members[")?.split_once(']')?.0.parse::<usize>().ok())
        .max()
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// The `members[i].` fields of a form as the domain takes them: ages read as clerks write
/// them, one document number (more through a file or the API).
pub(super) fn person_input(reading: &mut Reading<'_>, form: &FormState, i: usize) -> PersonInput {
    let field = |name: &str| form.opt(&format!("members[{i}].{name}"));
    PersonInput {
        given_name: field("given_name").unwrap_or_default(),
        family_name: field("family_name").unwrap_or_default(),
        father_name: field("father_name"),
        sex: field("sex"),
        birth_date: field("birth_date"),
        estimated_age: reading.age(
            form,
            &format!("members[{i}].estimated_age"),
            &format!("members[{i}].estimated_age"),
        ),
        relationship: field("relationship"),
        phone: field("phone"),
        // A kind with no number records nothing, a number with no kind is asked its kind.
        identifiers: field("id_number")
            .map(|number| vec![IdentifierInput { kind: field("id_kind").unwrap_or_default(), number }])
            .unwrap_or_default(),
        documents_held: form.list(&format!("members[{i}].documents_held")),
        specific_needs: form.list(&format!("members[{i}].specific_needs")),
        external_id: Some(format!("{}", i + 1)),
        ..Default::default()
    }
}

fn household_input(reading: &mut Reading<'_>, form: &FormState, organisation: Option<String>) -> HouseholdInput {
    let mut members = Vec::new();
    for i in 0..member_rows(form) {
        let person = person_input(reading, form, i);
        // A row left empty is no member; a row with anything typed in it is one, and is
        // checked as such (a lone age or phone is not dropped).
        let prefix = format!("members[{i}].");
        let typed = form.values.iter().any(|(k, v)| k.starts_with(&prefix) && !v.trim().is_empty());
        if typed {
            members.push(person);
        }
    }
    let (from, to) =
        (reading.place(form, "d.from", "movements[0].from"), reading.place(form, "d.to", "movements[0].to"));
    let movements = match form.opt("d.date") {
        Some(date) => vec![MovementInput {
            kind: "displacement".into(),
            date,
            from: from.clone(),
            to: to.clone(),
            cause: form.opt("d.cause"),
            source: Some("registration interview".into()),
            ..Default::default()
        }],
        None => Vec::new(),
    };
    HouseholdInput {
        external_id: form.v("external_id").trim().to_string(),
        organisation,
        registration_point: reading.place(form, "registration_point", "registration_point").unwrap_or_default(),
        registration_date: form.v("registration_date").trim().to_string(),
        population_group: form.v("population_group").trim().to_string(),
        origin: from,
        current_location: to,
        shelter_type: form.opt("shelter_type"),
        intention: form.opt("intention"),
        members,
        movements,
    }
}

pub async fn register(
    State(state): State<AppState>,
    page: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    if form.opt("add_member").is_some() {
        // "Add a member" without JavaScript: the same form, as typed, with one more row.
        form.values.remove("add_member");
        let rows = (0..(member_rows(&form) + 1).min(30)).collect();
        let organisations = organisations_to_choose(&state, &c).await;
        return render(&RegisterPage {
            choices: choices(&state.store, &c),
            organisations,
            likely: Vec::new(),
            c,
            form,
            rows,
        });
    }
    let mut reading = Reading::new(&state.store);
    let input = household_input(&mut reading, &form, form.opt("organisation"));
    // Likely duplicates are shown before anything is saved; saving anyway queues them.
    let confirmed = form.opt("confirmed_new").is_some();
    let if_likely = if confirmed { IfLikelyDuplicates::Queue } else { IfLikelyDuplicates::Hold };
    let unread = reading.errors_with(input.parse_registration(state.store.gazetteer.as_ref(), state.store.today()));
    let saved = match unread {
        Some(error) => Err(error),
        None => blocking(&state, move |store| store.register(&actor, &input, if_likely)).await,
    };
    let likely = match saved {
        Ok(Registration::Saved { detail, .. }) => {
            return Redirect::to(&format!("/households/{}?saved=1", detail.household.id)).into_response()
        }
        Ok(Registration::Held(likely)) => likely,
        Err(error) => {
            if let Some(response) = form.fail(&c, error) {
                return response;
            }
            Vec::new()
        }
    };
    let rows = (0..member_rows(&form).max(1)).collect();
    let organisations = organisations_to_choose(&state, &c).await;
    let likely = likely_rows(&c, &form, &likely);
    let status = if likely.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = RegisterPage { choices: choices(&state.store, &c), organisations, likely, c, form, rows };
    (status, render(&page)).into_response()
}
