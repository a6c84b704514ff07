//! Registry search: households by number, place and group; people by name with spelling variants.

use super::*;

#[derive(Deserialize, Default)]
pub struct RegistryQuery {
    q: Option<String>,
    place: Option<String>,
    group: Option<String>,
    offset: Option<i64>,
}

struct HouseholdRow {
    id: String,
    external_id: String,
    group: String,
    location: String,
    members: i64,
    status: String,
    registered: String,
    displacements: i64,
    back_and_forth: bool,
}

struct PersonRow {
    household_id: String,
    name: String,
    sex: String,
    birth: String,
    location: String,
    status: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    c: Ctx,
    q: String,
    place: String,
    group: String,
    place_error: Option<String>,
    groups: Vec<(String, String)>,
    households: Vec<HouseholdRow>,
    people: Vec<PersonRow>,
    total: i64,
    /// A name search found more people than it lists.
    more: bool,
    prev: Option<String>,
    next: Option<String>,
    /// The list as files (its households, their people and movements): label and address.
    exports: Vec<(String, String)>,
}

const PAGE: i64 = 50;

/// A P-code as typed, or the widest unit whose name (accents and case aside) is the text typed:
/// a search by place covers everything inside it (forms ask for one place: `Gazetteer::place_of`).
pub(super) fn resolve_place(store: &Store, text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let upper = text.to_ascii_uppercase();
    if store.gazetteer.get(&upper).is_some() {
        return Some(upper);
    }
    let matches = store.gazetteer.search(text, None, None, 20);
    let folded = domain::text::fold(text);
    matches
        .iter()
        .filter(|m| m.is_named(&folded))
        .min_by_key(|m| m.location.admin_level)
        .map(|m| m.location.pcode.clone())
}

pub(super) fn population_groups(store: &Store, c: &Ctx) -> Vec<(String, String)> {
    let mut groups: Vec<(String, String)> = store
        .gazetteer
        .population_groups
        .iter()
        .filter(|g| g.kind == "population_group" && g.code != "all")
        .map(|g| (g.code.clone(), c.label(&g.code)))
        .collect();
    // The groups a displacement operation uses most come first.
    let first = ["IDP", "RDP", "REF", "RET", "HST"];
    groups.sort_by_key(|(code, _)| first.iter().position(|f| f == code).unwrap_or(first.len()));
    groups
}

pub async fn registry(State(state): State<AppState>, page: SignedIn, Query(q): Query<RegistryQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    if !c.sees_records() {
        return c.error(StoreError::Forbidden("records"));
    }
    let text = q.q.clone().unwrap_or_default().trim().to_string();
    let place_text = q.place.clone().unwrap_or_default();
    let group = q.group.clone().unwrap_or_default();
    let offset = q.offset.unwrap_or(0).max(0);
    let location = resolve_place(&state.store, &place_text);
    let place_error = (!place_text.trim().is_empty() && location.is_none())
        .then(|| format!("{} « {} » — {}", c.t.place, place_text.trim(), c.say(&domain::Message::PcodeUnknown)));
    let (name_search, loc, grp) = (text.clone(), location.clone(), group.clone());
    let result = blocking(&state, move |store| {
        if name_search.is_empty() {
            let filter = HouseholdFilter {
                location: loc,
                population_group: Some(grp).filter(|g| !g.is_empty()),
                limit: Some(PAGE),
                offset: Some(offset),
                ..Default::default()
            };
            return Ok((Some(store.list_households(&actor, &filter)?), None));
        }
        // An organisation's own household number finds the household itself.
        let by_id = HouseholdFilter { external_id: Some(name_search.clone()), limit: Some(2), ..Default::default() };
        let found = store.list_households(&actor, &by_id)?;
        if found.total == 1 {
            return Ok((Some(found), None));
        }
        let filter = PersonFilter {
            q: Some(name_search),
            location: loc,
            limit: Some(PAGE),
            offset: Some(offset),
            ..Default::default()
        };
        Ok((None, Some(store.list_people(&actor, &filter)?)))
    })
    .await;
    let (households, people) = match result {
        Ok(found) => found,
        Err(error) => return c.error(error),
    };
    let place_name = |pcode: Option<&str>| {
        pcode
            .and_then(|p| state.store.gazetteer.get(p))
            .map(|l| format!("{} ({})", l.name, l.pcode))
            .unwrap_or_default()
    };
    let total = households.as_ref().map(|p| p.total).or(people.as_ref().map(|p| p.total)).unwrap_or(0);
    let (listing_households, listing_people) = (households.is_some(), people.is_some());
    let more = people.as_ref().is_some_and(|p| p.more);
    let household_rows = households
        .map(|page| {
            page.items
                .into_iter()
                .map(|h| HouseholdRow {
                    location: place_name(h.current_location.as_ref().map(|l| l.pcode.as_str())),
                    group: h.population_group.clone(),
                    status: c.label(h.status.as_str()),
                    registered: c.day(h.registration_date),
                    members: h.member_count,
                    displacements: h.displacement_count,
                    back_and_forth: h.moves_back_and_forth,
                    external_id: h.external_id,
                    id: h.id,
                })
                .collect()
        })
        .unwrap_or_default();
    let person_rows = people
        .map(|page| {
            page.items
                .into_iter()
                .map(|p| PersonRow {
                    name: format!("{} {}", p.given_name, p.family_name),
                    sex: p.sex.map(|s| c.label(s.as_str())).unwrap_or_default(),
                    birth: p.birth_date.clone().unwrap_or_default(),
                    location: place_name(p.current_location.as_ref().map(|l| l.pcode.as_str())),
                    status: c.label(p.status.as_str()),
                    household_id: p.household_id,
                })
                .collect()
        })
        .unwrap_or_default();
    let link = |to: i64| {
        let query = serde_urlencoded::to_string([
            ("q", text.as_str()),
            ("place", place_text.as_str()),
            ("group", group.as_str()),
            ("offset", &to.to_string()),
        ])
        .unwrap_or_default();
        format!("/households?{query}")
    };
    // The list as shown, as files: the households a name finds (or the one a number finds),
    // in the place and group asked for.
    let mut filters: Vec<(&str, String)> = Vec::new();
    match (listing_households, listing_people) {
        (true, _) if !text.is_empty() => filters.push(("external_id", text.clone())),
        (_, true) => filters.push(("q", text.clone())),
        _ => {}
    }
    filters.extend(location.clone().map(|l| ("location", l)));
    if !listing_people && !group.is_empty() {
        filters.push(("population_group", group.clone()));
    }
    let export = |format: &str, table: Option<&str>| {
        let mut pairs = filters.clone();
        pairs.push(("format", format.to_string()));
        pairs.extend(table.map(|t| ("table", t.to_string())));
        format!("/api/v1/exports/registry?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    };
    let exports = if total > 0 && place_error.is_none() {
        vec![
            ("XLSX".to_string(), export("xlsx", None)),
            (format!("CSV — {}", c.t.households_h), export("csv", Some("households"))),
            (format!("CSV — {}", c.t.people), export("csv", Some("people"))),
            (format!("CSV — {}", c.t.movements), export("csv", Some("movements"))),
        ]
    } else {
        Vec::new()
    };
    let prev = (offset > 0).then(|| link((offset - PAGE).max(0)));
    let next = (offset + PAGE < total).then(|| link(offset + PAGE));
    render(&RegistryPage {
        groups: population_groups(&state.store, &c),
        q: text,
        place: place_text,
        group,
        place_error,
        households: household_rows,
        people: person_rows,
        total,
        more,
        exports,
        prev,
        next,
        c,
    })
}
