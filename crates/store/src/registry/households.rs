//! Households: registration writes, the household page, lists, corrections, new members.

use super::*;

impl Store {
    /// The organisation a registration belongs to: the registrar's own; an admin may name one.
    pub(crate) fn registering_organisation(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        requested: Option<&str>,
    ) -> Result<String, StoreError> {
        let find = |tx: &mut Tx<'_>, code: &str| -> Result<Option<String>, StoreError> {
            Ok(tx
                .query_opt("SELECT id FROM organisations WHERE code = $1", params![code.trim().to_ascii_uppercase()])?
                .map(|r| r.text(0)))
        };
        match (requested, &actor.organisation_id) {
            (Some(code), Some(own)) if actor.role != Role::Admin => {
                let id = find(tx, code)?;
                if id.as_deref() != Some(own.as_str()) {
                    return Err(StoreError::invalid("organisation", code, Message::OwnOrganisation));
                }
                Ok(own.clone())
            }
            (Some(code), _) => {
                find(tx, code)?.ok_or_else(|| StoreError::invalid("organisation", code, Message::ExistingOrganisation))
            }
            (None, Some(own)) => Ok(own.clone()),
            (None, None) => Err(StoreError::invalid("organisation", "", Message::OrganisationNeeded)),
        }
    }

    /// Registers a household with its members and movements, all or nothing, without a
    /// duplicate check (the use case `register` checks first).
    pub fn register_household(&self, actor: &Actor, household: &NewHousehold) -> Result<HouseholdDetail, StoreError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        let (id, _) = self.db.write(|tx| self.insert_registration(tx, actor, household, now, today))?;
        self.household_detail(actor, &id)
    }

    /// The writes of one registration in the caller's transaction: the household, its members
    /// and movements, the version bump and the audit row. Returns the household's id and its
    /// members' ids in the order given.
    pub(crate) fn insert_registration(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        household: &NewHousehold,
        now: i64,
        today: NaiveDate,
    ) -> Result<(String, Vec<String>), StoreError> {
        check_in_regions(actor, household.current_location.as_deref().unwrap_or(&household.registration_point))?;
        let org = self.registering_organisation(tx, actor, household.organisation.as_deref())?;
        if tx
            .query_opt(
                "SELECT id FROM households WHERE organisation_id = $1 AND external_id = $2",
                params![&org, &household.external_id],
            )?
            .is_some()
        {
            return Err(StoreError::Conflict(Message::ExternalIdTaken { id: household.external_id.clone() }));
        }
        let (id, members) = insert_household(tx, actor, &org, household, now, today)?;
        keep_in_sight(tx, actor, &id)?;
        let detail = json!({"external_id": household.external_id, "members": household.members.len(), "movements": household.movements.len()});
        audit::record(tx, actor, now, "register", "household", &id, detail)?;
        Ok((id, members))
    }

    /// A household with its members: a read of personal data, so it is audited.
    pub fn household_detail(&self, actor: &Actor, id: &str) -> Result<HouseholdDetail, StoreError> {
        let today = self.today();
        let now = self.now_ms();
        let mut detail = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {HOUSEHOLD_COLUMNS} FROM households h JOIN organisations o ON o.id = h.organisation_id WHERE h.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("household"))?;
            let mut household = self.household_from_row(&row)?;
            let shared_only = self.pseudonymised_only(tx, actor, id)?;
            if shared_only {
                household.external_id = "—".into();
            }
            let people = tx
                .query(&format!("SELECT {PERSON_COLUMNS} FROM people p JOIN households h ON h.id = p.household_id WHERE p.household_id = $1 AND p.removed_at IS NULL ORDER BY p.created_at, p.id"), params![id])?
                .iter()
                .map(|r| {
                    let mut person = self.person_from_row(r)?;
                    redact(actor, &mut person);
                    if shared_only {
                        pseudonymise(&mut person);
                    }
                    Ok(person)
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let movement_rows = tx.query(&format!("SELECT {MOVEMENT_COLUMNS} FROM movements m WHERE m.household_id = $1 ORDER BY m.date, m.seq"), params![id])?;
            let movements = movement_rows.iter().map(|r| self.movement_from_row(r)).collect::<Result<Vec<_>, _>>()?;
            let (household_events, person_events) = events_of(&movement_rows);
            let initial = household.registered_location.as_ref().map(|l| l.pcode.clone());
            let summary = timeline::replay(&household_events, initial.clone(), today)?;
            let members = people
                .into_iter()
                .map(|person| {
                    let own = person_events.get(&person.id).cloned().unwrap_or_default();
                    let summary = timeline::replay_person(&household_events, &own, initial.clone(), today)?;
                    Ok(MemberDetail { person, summary })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(HouseholdDetail { household, summary, members, movements, solutions: Vec::new() })
        })?;
        detail.solutions = self.solutions(actor, id)?;
        self.audit_read(actor, now, "read", "household", id, json!({}))?;
        Ok(detail)
    }

    pub fn list_households(&self, actor: &Actor, filter: &HouseholdFilter) -> Result<Page<Household>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        // A search by name or by the household's own number never reaches pseudonymised
        // records: it would tell who, or which case, is in them.
        let by_identity =
            [&filter.q, &filter.external_id].iter().any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
        let (mut q, search) =
            self.household_query(actor, filter, if by_identity { Access::Change } else { Access::Read })?;
        let from = "FROM households h JOIN organisations o ON o.id = h.organisation_id";
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            // As for people: the households of the first people found, at most 1,000.
            let joins = "JOIN households h ON h.id = p.household_id JOIN organisations o ON o.id = h.organisation_id";
            let more = match &search {
                Some(search) => q.keep_first_found(tx, search, "DISTINCT h.id", joins)?,
                None => false,
            };
            let order = Cond::new("h.registration_date DESC, h.id DESC", vec![]);
            let mut page =
                q.page(tx, (HOUSEHOLD_COLUMNS, from, &order), (limit, offset), |r| self.household_from_row(r))?;
            page.more = more;
            let shared = self.pseudonymised_codes(tx, actor)?;
            for household in page.items.iter_mut().filter(|h| shared.contains(&h.organisation)) {
                household.external_id = "—".into();
            }
            Ok(page)
        })?;
        self.audit_read(actor, now, "list", "household", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    /// The conditions of `filter` on households `h` and their organisation `o`, after the
    /// reader's (for `access`); and the name search it asks for, to narrow in a transaction
    /// (`Query::keep_first_found`).
    pub(crate) fn household_query(
        &self,
        actor: &Actor,
        filter: &HouseholdFilter,
        access: Access,
    ) -> Result<(Query, Option<names::NameSearch>), StoreError> {
        let mut q = Query::new(visible(actor, access));
        if let Some(v) = filter.organisation.as_deref().filter(|v| !v.is_empty()) {
            q.and("o.code = ?", vec![v.trim().to_ascii_uppercase().into()]);
        }
        if let Some(v) = filter.population_group.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.population_group = ?", vec![v.trim().to_ascii_uppercase().into()]);
        }
        if let Some(v) = filter.status.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "h.status = ?",
                vec![Status::parse("status", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and("h.current_location >= ? AND h.current_location < ?", vec![low.into(), high.into()]);
        }
        if let Some(v) = filter.external_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.external_id = ?", vec![v.trim().into()]);
        }
        if let Some(v) = filter.registered_from.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.registration_date >= ?", vec![parse_filter_date("registered_from", v)?.into()]);
        }
        if let Some(v) = filter.registered_to.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.registration_date <= ?", vec![parse_filter_date("registered_to", v)?.into()]);
        }
        let search = filter.q.as_deref().and_then(|v| names::name_search_from(self.db.backend(), v));
        if let Some(v) = filter.back_and_forth {
            q.and("h.back_and_forth = ?", vec![v.into()]);
        }
        Ok((q, search))
    }

    /// Changes a household's registration fields, keeping the old values in its history.
    pub fn update_household(
        &self,
        actor: &Actor,
        id: &str,
        patch: &HouseholdPatch,
    ) -> Result<HouseholdDetail, StoreError> {
        actor.require_write()?;
        let reason = require_reason(&patch.reason)?;
        let now = self.now_ms();
        let today = self.today();
        let mut errors = FieldErrors::default();
        let refs: &dyn domain::registry::References = self.gazetteer.as_ref();
        let check_loc = |field: &str, v: &str, errors: &mut FieldErrors| -> Option<String> {
            let code = v.trim().to_ascii_uppercase();
            match refs.check_location(&code) {
                Ok(()) => Some(code),
                Err(expected) => {
                    errors.push(FieldError::new(field, v.trim(), expected));
                    None
                }
            }
        };
        let mut changes: Vec<(&str, Value)> = Vec::new();
        if let Some(v) = &patch.registration_point {
            if let Some(code) = check_loc("registration_point", v, &mut errors) {
                changes.push(("registration_point", code.into()));
            }
        }
        if let Some(v) = &patch.origin {
            if v.trim().is_empty() {
                changes.push(("origin", Value::Null));
            } else if let Some(code) = check_loc("origin", v, &mut errors) {
                changes.push(("origin", code.into()));
            }
        }
        if let Some(v) = &patch.registration_date {
            match FuzzyDate::parse_day("registration_date", v, today) {
                Ok(d) => changes.push(("registration_date", FuzzyDate::day(d).iso().into())),
                Err(e) => errors.push(e),
            }
        }
        if let Some(v) = &patch.population_group {
            let code = v.trim().to_ascii_uppercase();
            if refs.has_population_group(&code) {
                changes.push(("population_group", code.into()));
            } else {
                errors.push(FieldError::new(
                    "population_group",
                    v.trim(),
                    Message::PopulationGroup { codes: refs.population_groups() },
                ));
            }
        }
        if let Some(v) = &patch.shelter_type {
            match v.trim() {
                "" => changes.push(("shelter_type", Value::Null)),
                t => {
                    if let Some(s) = errors.take(ShelterType::parse("shelter_type", t)) {
                        changes.push(("shelter_type", s.as_str().into()))
                    }
                }
            }
        }
        if let Some(v) = &patch.intention {
            match v.trim() {
                "" => changes.push(("intention", Value::Null)),
                t => {
                    if let Some(s) = errors.take(Intention::parse("intention", t)) {
                        changes.push(("intention", s.as_str().into()))
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        self.db.write(|tx| {
            let row = tx.select_opt(&Sql::new("SELECT h.version, h.registration_point, h.origin, h.registration_date, h.population_group, h.shelter_type, h.intention, h.head_person_id FROM households h WHERE h.id = ?", params![id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("household"))?;
            let version = row.int(0);
            if let Some(expected) = patch.expected_version {
                if expected != version {
                    return Err(StoreError::Conflict(Message::StaleVersion { current: version, expected }));
                }
            }
            let old: HashMap<&str, Value> = ["registration_point", "origin", "registration_date", "population_group", "shelter_type", "intention", "head_person_id"]
                .into_iter()
                .zip(row.values.iter().skip(1).cloned())
                .collect();
            if let Some(head) = &patch.head_person_id {
                if tx.query_opt("SELECT id FROM people WHERE id = $1 AND household_id = $2", params![head, id])?.is_none() {
                    return Err(StoreError::invalid("head_person_id", head.clone(), Message::MemberId));
                }
                changes.push(("head_person_id", head.into()));
            }
            if apply_changes(tx, "households", "household", id, version, &changes, &old, actor, now, &reason)? {
                keep_in_sight(tx, actor, id)?;
                audit::record(tx, actor, now, "update", "household", id, json!({"version": version + 1}))?;
            }
            Ok(())
        })?;
        self.household_detail(actor, id)
    }

    /// Adds a member to a registered household, with why: the household's history says who was
    /// added, when, by whom and why (a new version of the household).
    pub fn add_member(
        &self,
        actor: &Actor,
        household_id: &str,
        person: &NewPerson,
        reason: &str,
    ) -> Result<Person, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        let today = self.today();
        let id = self.db.write(|tx| {
            lock_household(tx, actor, household_id)?;
            if let Some(ext) = &person.external_id {
                if tx
                    .query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND external_id = $2",
                        params![household_id, ext],
                    )?
                    .is_some()
                {
                    return Err(StoreError::invalid("external_id", ext.clone(), Message::UniqueMemberId));
                }
            }
            if person.relationship == Some(Relationship::Head)
                && tx
                    .query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND relationship = 'head' AND removed_at IS NULL",
                        params![household_id],
                    )?
                    .is_some()
            {
                return Err(StoreError::invalid("relationship", "head", Message::AnotherRelationship));
            }
            // Without a number of its own, the next after every member the household ever had
            // (removed ones keep theirs): numbers are unique within a household.
            let numbered;
            let person = match &person.external_id {
                Some(_) => person,
                None => {
                    let taken = tx.query("SELECT external_id FROM people WHERE household_id = $1", params![household_id])?;
                    let last = taken.iter().filter_map(|r| r.opt_text(0)?.parse::<u64>().ok()).max().unwrap_or(0);
                    numbered = NewPerson { external_id: Some((last.max(taken.len() as u64) + 1).to_string()), ..person.clone() };
                    &numbered
                }
            };
            let id = new_id();
            // Derived for real by refresh_derived below, once the person is in.
            insert_person(tx, actor, &id, household_id, person, &Summary::not_displaced(None), now)?;
            if person.relationship == Some(Relationship::Head) {
                tx.execute("UPDATE households SET head_person_id = $1 WHERE id = $2", params![&id, household_id])?;
            }
            refresh_derived(tx, household_id, today)?;
            members_changed(tx, actor, household_id, -1, now, &reason)?;
            audit::record(tx, actor, now, "add_member", "household", household_id, json!({"person_id": id}))?;
            Ok(id)
        })?;
        self.person(actor, &id)
    }

    /// Removes a member from a household (recorded in error, or no longer part of it), with
    /// why. The record and its history stay; figures, lists, checks, searches and exports leave
    /// it out. The head stays (another member is made head first), and so does the last member.
    pub fn remove_member(
        &self,
        actor: &Actor,
        household_id: &str,
        person_id: &str,
        reason: &str,
    ) -> Result<HouseholdDetail, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        let today = self.today();
        self.db.write(|tx| {
            lock_household(tx, actor, household_id)?;
            let person = tx
                .query_opt(
                    "SELECT version, relationship, removed_at FROM people WHERE id = $1 AND household_id = $2",
                    params![person_id, household_id],
                )?
                .ok_or(StoreError::NotFound("person"))?;
            if person.opt_int(2).is_some() {
                return Err(StoreError::invalid("person", "", Message::MemberRemoved));
            }
            if person.opt_text(1).as_deref() == Some(Relationship::Head.as_str()) {
                return Err(StoreError::invalid("person", "", Message::HeadStays));
            }
            let staying = tx.query_int(
                "SELECT COUNT(*) FROM people WHERE household_id = $1 AND removed_at IS NULL",
                params![household_id],
            )?;
            if staying <= 1 {
                return Err(StoreError::invalid("person", "", Message::AtLeastOneMember));
            }
            let version = person.int(0) + 1;
            tx.execute(
                "UPDATE people SET removed_at = $1, version = $2, updated_at = $1, updated_by = $3 WHERE id = $4",
                params![now, version, actor.user_id.as_str(), person_id],
            )?;
            let change = json!({"removed": {"from": false, "to": true}});
            write_version(tx, "person", person_id, version, now, &actor.user_id, &reason, &change)?;
            refresh_derived(tx, household_id, today)?;
            members_changed(tx, actor, household_id, 1, now, &reason)?;
            audit::record(tx, actor, now, "remove_member", "household", household_id, json!({"person_id": person_id}))?;
            Ok(())
        })?;
        self.household_detail(actor, household_id)
    }
}

/// A new version of the household whose members changed: how many it had before (`staying`
/// now, `before_offset` more or fewer before) and how many now, with why.
fn members_changed(
    tx: &mut Tx<'_>,
    actor: &Actor,
    household_id: &str,
    before_offset: i64,
    now: i64,
    reason: &str,
) -> Result<(), StoreError> {
    let version = tx.query_int("SELECT version FROM households WHERE id = $1", params![household_id])?;
    let staying = tx.query_int(
        "SELECT COUNT(*) FROM people WHERE household_id = $1 AND removed_at IS NULL",
        params![household_id],
    )?;
    tx.execute(
        "UPDATE households SET version = $1, updated_at = $2, updated_by = $3 WHERE id = $4",
        params![version + 1, now, actor.user_id.as_str(), household_id],
    )?;
    let change = json!({"members": {"from": staying + before_offset, "to": staying}});
    write_version(tx, "household", household_id, version + 1, now, &actor.user_id, reason, &change)
}
