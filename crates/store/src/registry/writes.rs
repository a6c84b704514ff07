//! What every change to the registry does in its transaction: scope checks, versions with old and new values, derived state, locks.

use super::*;

/// Refuses a household placed outside the user's régions: they would not see it again.
pub(crate) fn check_in_regions(actor: &Actor, place: &str) -> Result<(), StoreError> {
    if Visibility::of(actor).place_in_regions(place) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "registration_point",
            place,
            Message::PlaceInRegions { regions: actor.regions.join(", ") },
        ))
    }
}

/// Applies field changes to one row of `table` (`households` or `people`): compares each new
/// value with the old one, and when any differs updates the row, bumps its version and writes a
/// `record_versions` row with every changed field's old and new value. Returns whether anything
/// changed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_changes(
    tx: &mut Tx<'_>,
    table: &str,
    entity: &str,
    id: &str,
    version: i64,
    changes: &[(&str, Value)],
    old: &HashMap<&str, Value>,
    actor: &Actor,
    now: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let mut diff = serde_json::Map::new();
    let mut sets = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for (field, new) in changes {
        let before = old.get(field).cloned().unwrap_or(Value::Null);
        if before != *new {
            diff.insert(field.to_string(), json!({"from": value_json(&before), "to": value_json(new)}));
            params.push(new.clone());
            sets.push(format!("{field} = ${}", params.len()));
        }
    }
    if diff.is_empty() {
        return Ok(false);
    }
    params.extend([Value::Int(version + 1), Value::Int(now), actor.user_id.clone().into(), id.into()]);
    let n = params.len();
    tx.execute(
        &format!(
            "UPDATE {table} SET {}, version = ${}, updated_at = ${}, updated_by = ${} WHERE id = ${n}",
            sets.join(", "),
            n - 3,
            n - 2,
            n - 1
        ),
        &params,
    )?;
    let renamed = table == "people" && diff.contains_key("name_folded");
    write_version(tx, entity, id, version + 1, now, &actor.user_id, reason, &serde_json::Value::Object(diff))?;
    if let Some((_, Value::Text(name))) = changes.iter().find(|(field, _)| renamed && *field == "name_folded") {
        let old_name = match old.get("name_folded") {
            Some(Value::Text(old_name)) => old_name.as_str(),
            _ => "",
        };
        super::names::rename(tx, id, old_name, name)?;
    }
    let household = match table {
        "people" => household_of_person(tx, id)?,
        _ => Some(id.to_string()),
    };
    crate::versions::households_changed(tx, &household.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(true)
}

/// The household a person belongs to.
pub(crate) fn household_of_person(tx: &mut Tx<'_>, person: &str) -> Result<Option<String>, StoreError> {
    Ok(tx.query_opt("SELECT household_id FROM people WHERE id = $1", params![person])?.map(|r| r.text(0)))
}

/// The recorded fields of a person, in the order of `PERSON_FIELDS`.
pub(crate) const PERSON_FIELDS: [&str; 15] = [
    "external_id",
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "relationship",
    "documents_held",
    "documents_missing",
    "specific_needs",
    "phone",
    "identifiers",
    "name_folded",
];

pub(crate) fn person_changes(p: &NewPerson) -> Vec<(&'static str, Value)> {
    let mut values = person_values(p);
    values.push(person_name_key(p).into());
    PERSON_FIELDS.into_iter().zip(values).collect()
}

pub(super) fn require_reason(reason: &str) -> Result<String, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(StoreError::invalid("reason", "", Message::Reason));
    }
    Ok(reason.to_string())
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Real(r) => json!(r),
        Value::Text(t) => json!(t),
        Value::Bytes(b) => json!(b.len()),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_version(
    tx: &mut Tx<'_>,
    entity: &str,
    id: &str,
    version: i64,
    now: i64,
    by: &str,
    reason: &str,
    changes: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO record_versions (id, entity, entity_id, version, changed_at, changed_by, reason, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![new_id(), entity, id, version, now, by, reason, changes.to_string()],
    )?;
    Ok(())
}

/// A change a région-limited user makes must leave the household where they still see it:
/// otherwise it is refused, before anything commits (the caller's transaction rolls back).
pub(crate) fn keep_in_sight(tx: &mut Tx<'_>, actor: &Actor, id: &str) -> Result<(), StoreError> {
    if actor.regions.is_empty() {
        return Ok(()); // without régions, an organisation's households stay in its sight
    }
    let in_sight = Sql::new("SELECT h.current_location FROM households h WHERE h.id = ?", params![id])
        .and(&visible(actor, Access::Change));
    if tx.select_opt(&in_sight)?.is_some() {
        return Ok(());
    }
    let place = tx
        .query_opt("SELECT COALESCE(current_location, registration_point) FROM households WHERE id = $1", params![id])?
        .map(|r| r.text(0))
        .unwrap_or_default();
    Err(StoreError::invalid("current_location", place, Message::StaysInRegions { regions: actor.regions.join(", ") }))
}

/// [`keep_in_sight`] for households written together: the error of the first one (by its
/// place in `ids`) that left the user's sight.
pub(crate) fn keep_all_in_sight(
    tx: &mut Tx<'_>,
    actor: &Actor,
    ids: &[String],
) -> Result<Option<(usize, StoreError)>, StoreError> {
    if actor.regions.is_empty() {
        return Ok(None);
    }
    let in_sight = Sql::new("SELECT h.id FROM households h WHERE ", params![])
        .cond(&Cond::one_of("h.id", ids))
        .and(&visible(actor, Access::Change));
    let seen: std::collections::HashSet<String> = tx.select(&in_sight)?.iter().map(|r| r.text(0)).collect();
    match ids.iter().position(|id| !seen.contains(id)) {
        None => Ok(None),
        Some(index) => Ok(keep_in_sight(tx, actor, &ids[index]).err().map(|e| (index, e))),
    }
}

/// Takes the household's row lock (PostgreSQL) so concurrent movements are checked in turn;
/// SQLite's write transaction is already exclusive.
pub(super) fn lock_household(tx: &mut Tx<'_>, actor: &Actor, id: &str) -> Result<(), StoreError> {
    let n = tx.run(
        &Sql::new("UPDATE households SET version = version WHERE id = ?", params![id])
            .and(&Visibility::of(actor).households("households", Access::Change)),
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("household"));
    }
    Ok(())
}

pub(crate) fn person_values(p: &NewPerson) -> Vec<Value> {
    vec![
        p.external_id.clone().into(),
        p.given_name.clone().into(),
        p.family_name.clone().into(),
        p.father_name.clone().into(),
        serde_json::to_string(&p.other_spellings).unwrap_or_else(|_| "[]".into()).into(),
        p.sex.map(|s| s.as_str()).into(),
        p.birth_date.map(|d| d.iso()).into(),
        p.birth_date.map(|d| d.precision.as_str()).into(),
        p.relationship.map(|r| r.as_str()).into(),
        join_codes(&p.documents_held).into(),
        join_codes(&p.documents_missing).into(),
        join_codes(&p.specific_needs).into(),
        p.phone.clone().into(),
        serde_json::to_string(&p.identifiers).unwrap_or_else(|_| "[]".into()).into(),
    ]
}

const PERSON_INSERT_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "external_id",
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "relationship",
    "documents_held",
    "documents_missing",
    "specific_needs",
    "phone",
    "identifiers",
    "name_folded",
    "status",
    "current_location",
    "current_location_gazetteer",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
];

/// A new person's row, with the state derived for them.
/// A person's row; `name_key` is their [`person_name_key`], which the name index needs too.
fn person_row(
    actor: &Actor,
    (id, household_id): (&str, &str),
    p: &NewPerson,
    name_key: String,
    derived: &Summary,
    now: i64,
) -> Vec<Value> {
    let mut values = vec![Value::from(id), household_id.into()];
    values.extend(person_values(p));
    values.extend([
        name_key.into(),
        derived.status.as_str().into(),
        derived.current_location.clone().into(),
        derived.current_location.as_ref().map(|_| CURRENT_GAZETTEER).into(),
        Value::Int(1),
        Value::Int(now),
        actor.user_id.clone().into(),
        Value::Int(now),
        actor.user_id.clone().into(),
    ]);
    values
}

/// Inserts a person with the state derived for them.
pub(crate) fn insert_person(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    household_id: &str,
    p: &NewPerson,
    derived: &Summary,
    now: i64,
) -> Result<(), StoreError> {
    let name_key = person_name_key(p);
    let row = person_row(actor, (id, household_id), p, name_key.clone(), derived, now);
    tx.insert_rows("people", PERSON_INSERT_COLUMNS, vec![row])?;
    super::names::write_terms(tx, &[(id, &name_key)])
}

const MOVEMENT_INSERT_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "person_id",
    "external_id",
    "kind",
    "date",
    "date_precision",
    "from_location",
    "from_gazetteer",
    "to_location",
    "to_gazetteer",
    "country",
    "cause",
    "source",
    "seq",
    "recorded_at",
    "recorded_by",
];

#[allow(clippy::too_many_arguments)]
fn movement_row(
    actor: &Actor,
    id: &str,
    household_id: &str,
    person_id: Option<&str>,
    m: &NewMovement,
    seq: i64,
    now: i64,
) -> Vec<Value> {
    let gaz = |loc: &Option<String>| Value::from(loc.as_ref().map(|_| CURRENT_GAZETTEER));
    vec![
        id.into(),
        household_id.into(),
        person_id.into(),
        m.external_id.clone().into(),
        m.kind.as_str().into(),
        m.date.iso().into(),
        m.date.precision.as_str().into(),
        m.from.clone().into(),
        gaz(&m.from),
        m.to.clone().into(),
        gaz(&m.to),
        m.country.clone().into(),
        m.cause.map(|c| c.as_str()).into(),
        m.source.clone().into(),
        Value::Int(seq),
        Value::Int(now),
        actor.user_id.clone().into(),
    ]
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_movement(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    household_id: &str,
    person_id: Option<&str>,
    m: &NewMovement,
    seq: i64,
    now: i64,
) -> Result<(), StoreError> {
    tx.insert_rows(
        "movements",
        MOVEMENT_INSERT_COLUMNS,
        vec![movement_row(actor, id, household_id, person_id, m, seq, now)],
    )
}

/// Household and per-person events of a household's movement rows (columns as in
/// `MOVEMENT_COLUMNS`), voided ones left out.
pub(super) fn events_of(rows: &[Row]) -> (Vec<Event>, HashMap<String, Vec<Event>>) {
    let mut household = Vec::new();
    let mut people: HashMap<String, Vec<Event>> = HashMap::new();
    for r in rows {
        if r.opt_int(14).is_some() {
            continue;
        }
        let (Ok(kind), Ok(date)) =
            (MovementKind::parse("", &r.text(4)), NaiveDate::parse_from_str(&r.text(5), "%Y-%m-%d"))
        else {
            continue;
        };
        let event = Event {
            id: r.text(0),
            kind,
            date,
            from: r.opt_str(7).map(Into::into),
            to: r.opt_str(9).map(Into::into),
            seq: r.int(17),
            own: r.opt_text(2).is_some(),
        };
        match r.opt_text(2) {
            Some(person) => people.entry(person).or_default().push(event),
            None => household.push(event),
        }
    }
    (household, people)
}

/// Replays the household's movements and stores what they imply: status, current location,
/// displacement count, back-and-forth, for the household and each member.
pub(crate) fn refresh_derived(tx: &mut Tx<'_>, household_id: &str, today: NaiveDate) -> Result<(), StoreError> {
    derive_state(tx, household_id, today)?;
    crate::versions::households_changed(tx, &[household_id])
}

/// [`refresh_derived`] without recording the household in the change feed (the caller records
/// many at once).
pub(crate) fn derive_state(tx: &mut Tx<'_>, household_id: &str, today: NaiveDate) -> Result<(), StoreError> {
    match derive_states(tx, &[household_id.to_string()], today)?.into_iter().next() {
        Some((_, error)) => Err(StoreError::Chronology(error)),
        None => Ok(()),
    }
}

/// What [`derive_state`] does, for many households at once (a few queries per 500 households
/// rather than a few per household). A household whose movements no longer hold together is
/// left as it was and returned with the fault; missing households are passed over.
pub(crate) fn derive_states(
    tx: &mut Tx<'_>,
    households: &[String],
    today: NaiveDate,
) -> Result<Vec<(String, ChronologyError)>, StoreError> {
    let mut faults = Vec::new();
    for chunk in households.chunks(500) {
        let registered: HashMap<String, Option<String>> = tx
            .select(
                &Sql::new("SELECT id, registered_location FROM households WHERE ", params![])
                    .cond(&Cond::one_of("id", chunk)),
            )?
            .iter()
            .map(|r| (r.text(0), r.opt_text(1)))
            .collect();
        let mut movements: HashMap<String, Vec<Row>> = HashMap::new();
        let sql = Sql::new(&format!("SELECT {MOVEMENT_COLUMNS} FROM movements m WHERE "), params![])
            .cond(&Cond::one_of("m.household_id", chunk));
        for row in tx.select(&sql)? {
            movements.entry(row.text(1)).or_default().push(row);
        }
        let mut people: HashMap<String, Vec<String>> = HashMap::new();
        let sql = Sql::new("SELECT id, household_id FROM people WHERE ", params![])
            .cond(&Cond::one_of("household_id", chunk))
            .push(" ORDER BY id", params![]);
        for row in tx.select(&sql)? {
            people.entry(row.text(1)).or_default().push(row.text(0));
        }
        let (mut household_rows, mut person_rows) = (Vec::new(), Vec::new());
        for household in chunk {
            let Some(registered) = registered.get(household) else {
                continue;
            };
            let movements = movements.get(household).map_or(&[][..], Vec::as_slice);
            let members = people.get(household).map_or(&[][..], Vec::as_slice);
            match derived_state(registered.clone(), movements, members, today) {
                Ok(derived) => {
                    household_rows
                        .push(std::iter::once(Value::from(household.as_str())).chain(derived.household).collect());
                    for (person, values) in members.iter().zip(derived.people) {
                        person_rows.push(std::iter::once(Value::from(person.as_str())).chain(values).collect());
                    }
                }
                Err(error) => faults.push((household.clone(), error)),
            }
        }
        tx.update_rows("households", "id", &DerivedState::HOUSEHOLD, household_rows)?;
        tx.update_rows("people", "id", &DerivedState::PERSON, person_rows)?;
    }
    Ok(faults)
}

/// What a household's movements imply, as the values of [`DerivedState::HOUSEHOLD`] and, for
/// each member in the order given, of [`DerivedState::PERSON`].
pub(crate) struct DerivedState {
    pub household: Vec<Value>,
    pub people: Vec<Vec<Value>>,
}

impl DerivedState {
    pub(crate) const HOUSEHOLD: [&'static str; 6] = [
        "status",
        "current_location",
        "current_location_gazetteer",
        "displacement_count",
        "back_and_forth",
        "displaced_since",
    ];
    pub(crate) const PERSON: [&'static str; 3] = ["status", "current_location", "current_location_gazetteer"];
}

/// Replays a household's movements (rows of `MOVEMENT_COLUMNS`) from where it was registered.
pub(crate) fn derived_state(
    registered: Option<String>,
    movements: &[Row],
    people: &[String],
    today: NaiveDate,
) -> Result<DerivedState, ChronologyError> {
    let (household_events, person_events) = events_of(movements);
    let summary = timeline::replay(&household_events, registered.clone(), today)?;
    let mut members = Vec::with_capacity(people.len());
    for person in people {
        let own = person_events.get(person).map_or(&[][..], Vec::as_slice);
        let s = timeline::replay_person(&household_events, own, registered.clone(), today)?;
        members.push(vec![
            Value::from(s.status.as_str()),
            Value::from(s.current_location.clone()),
            Value::from(s.current_location.as_ref().map(|_| CURRENT_GAZETTEER)),
        ]);
    }
    Ok(DerivedState {
        household: vec![
            Value::from(summary.status.as_str()),
            Value::from(summary.current_location.clone()),
            Value::from(summary.current_location.as_ref().map(|_| CURRENT_GAZETTEER)),
            Value::Int(summary.displacements as i64),
            Value::from(summary.moves_back_and_forth),
            Value::from(summary.displaced_since.map(|d| d.format("%Y-%m-%d").to_string())),
        ],
        people: members,
    })
}

/// The columns of a movement row as [`derived_state`] reads them.
pub(crate) fn movement_columns() -> Vec<&'static str> {
    MOVEMENT_COLUMNS.split(',').map(|c| c.trim().trim_start_matches("m.")).collect()
}

/// Inserts a new household with members and movements (see [`new_household_rows`]).
pub(crate) fn insert_household(
    tx: &mut Tx<'_>,
    actor: &Actor,
    org_id: &str,
    h: &NewHousehold,
    now: i64,
    today: NaiveDate,
) -> Result<(String, Vec<String>), StoreError> {
    let rows = new_household_rows(actor, org_id, h, now, today)?;
    let ids = (rows.id.clone(), rows.person_ids.clone());
    crate::versions::new_households_recorded(tx, &[&rows.id])?;
    write_new_households(tx, vec![rows])?;
    Ok(ids)
}

/// A new household's rows, its derived state computed in memory (no read-back): registration
/// writes one at once, an import loads them in batches.
pub(crate) struct NewHouseholdRows {
    pub id: String,
    pub person_ids: Vec<String>,
    household: Vec<Value>,
    people: Vec<Vec<Value>>,
    movements: Vec<Vec<Value>>,
    /// Each member's searchable name, for the name index.
    names: Vec<String>,
}

const HOUSEHOLD_INSERT_COLUMNS: &[&str] = &[
    "id",
    "organisation_id",
    "external_id",
    "registration_point",
    "registration_point_gazetteer",
    "registration_date",
    "population_group",
    "origin",
    "origin_gazetteer",
    "registered_location",
    "registered_location_gazetteer",
    "current_location",
    "current_location_gazetteer",
    "shelter_type",
    "intention",
    "head_person_id",
    "status",
    "displacement_count",
    "back_and_forth",
    "displaced_since",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
];

/// Writes new households with a statement (or, on PostgreSQL for many rows, a COPY) per table.
/// The caller records them in the change feed.
pub(crate) fn write_new_households(tx: &mut Tx<'_>, batch: Vec<NewHouseholdRows>) -> Result<(), StoreError> {
    let (mut households, mut people, mut movements) = (Vec::new(), Vec::new(), Vec::new());
    let mut names = Vec::new();
    for rows in batch {
        households.push(rows.household);
        people.extend(rows.people);
        movements.extend(rows.movements);
        names.extend(rows.person_ids.into_iter().zip(rows.names));
    }
    tx.insert_rows("households", HOUSEHOLD_INSERT_COLUMNS, households)?;
    tx.insert_rows("people", PERSON_INSERT_COLUMNS, people)?;
    let terms: Vec<(&str, &str)> = names.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
    super::names::write_terms(tx, &terms)?;
    tx.insert_rows("movements", MOVEMENT_INSERT_COLUMNS, movements)
}

/// The rows of a new household with its members and movements. A chronology error names new
/// events by their place in the input (`movements[2]`).
pub(crate) fn new_household_rows(
    actor: &Actor,
    org_id: &str,
    h: &NewHousehold,
    now: i64,
    today: NaiveDate,
) -> Result<NewHouseholdRows, StoreError> {
    let id = new_id();
    let person_ids: Vec<String> = h.members.iter().map(|_| new_id()).collect();
    let movement_ids: Vec<String> = h.movements.iter().map(|_| new_id()).collect();
    let mut by_external: HashMap<&str, &str> = HashMap::new();
    for (p, pid) in h.members.iter().zip(&person_ids) {
        if let Some(ext) = &p.external_id {
            by_external.insert(ext.as_str(), pid.as_str());
        }
    }
    let mut household_events = Vec::new();
    let mut person_events: HashMap<&str, Vec<Event>> = HashMap::new();
    let mut movement_people = Vec::with_capacity(h.movements.len());
    for (i, (m, mid)) in h.movements.iter().zip(&movement_ids).enumerate() {
        let event = m.event(mid.clone(), i as i64 + 1);
        match &m.person {
            Some(ext) => {
                let pid = *by_external.get(ext.as_str()).ok_or_else(|| {
                    StoreError::invalid(&format!("movements[{i}].person"), ext.clone(), Message::MemberExternalId)
                })?;
                person_events.entry(pid).or_default().push(event);
                movement_people.push(Some(pid));
            }
            None => {
                household_events.push(event);
                movement_people.push(None);
            }
        }
    }
    let labels: HashMap<&str, String> =
        movement_ids.iter().enumerate().map(|(i, mid)| (mid.as_str(), format!("movements[{i}]"))).collect();
    let relabel = |mut e: ChronologyError| {
        if let Some(l) = labels.get(e.event.as_str()) {
            e.event = l.clone();
        }
        if let Some(l) = e.conflicting_event.as_deref().and_then(|c| labels.get(c)) {
            e.conflicting_event = Some(l.clone());
        }
        StoreError::Chronology(e)
    };
    let summary = timeline::replay(&household_events, h.current_location.clone(), today).map_err(relabel)?;
    let gaz = |loc: &Option<String>| loc.as_ref().map(|_| CURRENT_GAZETTEER);
    let head = h
        .members
        .iter()
        .zip(&person_ids)
        .find(|(p, _)| p.relationship == Some(Relationship::Head))
        .map(|(_, pid)| pid.clone());
    let household = vec![
        Value::from(&id),
        org_id.into(),
        (&h.external_id).into(),
        (&h.registration_point).into(),
        CURRENT_GAZETTEER.into(),
        h.registration_date.format("%Y-%m-%d").to_string().into(),
        (&h.population_group).into(),
        h.origin.clone().into(),
        gaz(&h.origin).into(),
        h.current_location.clone().into(),
        gaz(&h.current_location).into(),
        summary.current_location.clone().into(),
        gaz(&summary.current_location).into(),
        h.shelter_type.map(|s| s.as_str()).into(),
        h.intention.map(|i| i.as_str()).into(),
        head.into(),
        summary.status.as_str().into(),
        (summary.displacements as i64).into(),
        summary.moves_back_and_forth.into(),
        summary.displaced_since.map(|d| d.format("%Y-%m-%d").to_string()).into(),
        1i64.into(),
        now.into(),
        (&actor.user_id).into(),
        now.into(),
        (&actor.user_id).into(),
    ];
    let names: Vec<String> = h.members.iter().map(person_name_key).collect();
    let mut people = Vec::with_capacity(h.members.len());
    for ((p, pid), name) in h.members.iter().zip(&person_ids).zip(&names) {
        let own = person_events.get(pid.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let s = timeline::replay_person(&household_events, own, h.current_location.clone(), today).map_err(relabel)?;
        people.push(person_row(actor, (pid, &id), p, name.clone(), &s, now));
    }
    let movements = h
        .movements
        .iter()
        .zip(&movement_ids)
        .enumerate()
        .map(|(i, (m, mid))| movement_row(actor, mid, &id, movement_people[i], m, i as i64 + 1, now))
        .collect();
    Ok(NewHouseholdRows { id, person_ids, household, people, movements, names })
}

/// Adds people who arrived by sync to the name index.
pub(crate) fn write_name_terms(tx: &mut Tx<'_>, people: &[(&str, &str)]) -> Result<(), StoreError> {
    super::names::write_terms(tx, people)
}

/// Follows a person's name changed by sync in the name index.
pub(crate) fn rename_terms(tx: &mut Tx<'_>, person: &str, old: &str, new: &str) -> Result<(), StoreError> {
    super::names::rename(tx, person, old, new)
}

/// The searchable name of a person as stored (given, family and father's names, other
/// spellings as a JSON list): what sync derives again when names arrive.
pub(crate) fn stored_name_key(given: &str, family: &str, father: Option<&str>, other_spellings: &str) -> String {
    let others: Vec<String> = serde_json::from_str(other_spellings).unwrap_or_default();
    let mut parts = vec![given, family];
    parts.extend(father);
    parts.extend(others.iter().map(String::as_str));
    super::searchable_name(&parts)
}
