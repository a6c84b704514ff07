//! People: lists and name search, a person, corrections.

use super::*;

impl Store {
    pub fn list_people(&self, actor: &Actor, filter: &PersonFilter) -> Result<Page<Person>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        // A name search never reaches pseudonymised records: it would tell who is in them.
        let by_name = filter.q.as_deref().is_some_and(|v| !v.trim().is_empty());
        let mut q = Query::new(visible(actor, if by_name { Access::Change } else { Access::Read }));
        let search = filter.q.as_deref().and_then(|v| names::name_search_from(self.db.backend(), v));
        // A member removed from their household is found through its history only.
        q.and("p.removed_at IS NULL", vec![]);
        if let Some(v) = filter.sex.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "p.sex = ?",
                vec![Sex::parse("sex", v).map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?.as_str().into()],
            );
        }
        if let Some(v) = filter.status.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "p.status = ?",
                vec![Status::parse("status", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and("p.current_location >= ? AND p.current_location < ?", vec![low.into(), high.into()]);
        }
        if let Some(v) = filter.household_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("p.household_id = ?", vec![v.into()]);
        }
        let from = "FROM people p JOIN households h ON h.id = p.household_id";
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            // A name search takes the first people found (in the index's order, a query that
            // stops there) and pages them by name: its time follows the page, not how many
            // people share a common name.
            let more = match &search {
                Some(search) => q.keep_first_found(tx, search, "p.id", "JOIN households h ON h.id = p.household_id")?,
                None => false,
            };
            let shared = self.pseudonymised_ids(tx, actor)?;
            let order = people_order(actor);
            let mut page = q.page(tx, (PERSON_COLUMNS, from, &order), (limit, offset), |r| {
                let mut person = self.person_from_row(r)?;
                redact(actor, &mut person);
                if shared.contains(r.str(20)) {
                    pseudonymise(&mut person);
                }
                Ok(person)
            })?;
            page.more = more;
            Ok(page)
        })?;
        // The search text may be a name: only the number of filters is logged.
        self.audit_read(actor, now, "list", "person", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    pub fn person(&self, actor: &Actor, id: &str) -> Result<Person, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {PERSON_COLUMNS} FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("person"))?;
            let mut person = self.person_from_row(&row)?;
            redact(actor, &mut person);
            if self.pseudonymised_ids(tx, actor)?.contains(row.str(20)) {
                pseudonymise(&mut person);
            }
            Ok(person)
        })?;
        self.audit_read(actor, now, "read", "person", id, json!({}))?;
        Ok(read)
    }

    /// Replaces a person's recorded fields, keeping the old values in the history.
    pub fn update_person(
        &self,
        actor: &Actor,
        person_id: &str,
        person: &NewPerson,
        reason: &str,
    ) -> Result<Person, StoreError> {
        self.update_person_at(actor, person_id, person, reason, None)
    }

    /// [`Store::update_person`] against the version the correction was made from: a change
    /// made meanwhile by someone else is a conflict, never overwritten unseen.
    pub fn update_person_at(
        &self,
        actor: &Actor,
        person_id: &str,
        person: &NewPerson,
        reason: &str,
        expected_version: Option<i64>,
    ) -> Result<Person, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let fields: Vec<String> = PERSON_FIELDS.iter().map(|f| format!("p.{f}")).collect();
            let select = format!("SELECT p.version, p.household_id, {} FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?", fields.join(", "));
            let row = tx.select_opt(&Sql::new(&select, params![person_id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("person"))?;
            let version = row.int_of("version")?;
            if let Some(expected) = expected_version.filter(|expected| *expected != version) {
                return Err(StoreError::Conflict(Message::StaleVersion { current: version, expected }));
            }
            let old: HashMap<&str, Value> = PERSON_FIELDS.into_iter().map(|f| Ok((f, row.get(f)?.clone()))).collect::<Result<_, StoreError>>()?;
            let person = keep_hidden_fields(actor, person, &row)?;
            if apply_changes(tx, "people", "person", person_id, version, &person_changes(&person), &old, actor, now, &reason)? {
                audit::record(tx, actor, now, "update", "person", person_id, json!({"version": version + 1}))?;
            }
            Ok(())
        })?;
        self.person(actor, person_id)
    }
}
