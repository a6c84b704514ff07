//! Movements: lists, recording one (the timeline replayed before commit), voiding.

use super::*;

impl Store {
    pub fn list_movements(&self, actor: &Actor, filter: &MovementFilter) -> Result<Page<Movement>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        let mut q = Query::new(visible(actor, Access::Read));
        if let Some(v) = filter.kind.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "m.kind = ?",
                vec![MovementKind::parse("kind", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.from_date.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.date >= ?", vec![parse_filter_date("from_date", v)?.into()]);
        }
        if let Some(v) = filter.to_date.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.date <= ?", vec![parse_filter_date("to_date", v)?.into()]);
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and(
                "((m.from_location >= ? AND m.from_location < ?) OR (m.to_location >= ? AND m.to_location < ?))",
                vec![low.clone().into(), high.clone().into(), low.into(), high.into()],
            );
        }
        if let Some(v) = filter.household_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.household_id = ?", vec![v.into()]);
        }
        if filter.include_voided != Some(true) {
            q.and("m.voided_at IS NULL", vec![]);
        }
        let from = "FROM movements m JOIN households h ON h.id = m.household_id";
        let order = Cond::new("m.date DESC, m.id DESC", vec![]);
        let now = self.now_ms();
        let read = self
            .db
            .read(|tx| q.page(tx, (MOVEMENT_COLUMNS, from, &order), (limit, offset), |r| self.movement_from_row(r)))?;
        self.audit_read(actor, now, "list", "movement", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    /// Records a movement for a household or, with `person_id`, for one member. Refused with the
    /// conflicting event named when it makes the chronology inconsistent.
    pub fn record_movement(
        &self,
        actor: &Actor,
        household_id: &str,
        person_id: Option<&str>,
        movement: &NewMovement,
    ) -> Result<Movement, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let today = self.today();
        let id = self.db.write(|tx| {
            lock_household(tx, actor, household_id)?;
            let person_id = match person_id.or(movement.person.as_deref()) {
                Some(p) => Some(
                    tx.query_opt(
                        // A member removed from the household moves no more with it.
                        "SELECT id FROM people WHERE household_id = $1 AND (id = $2 OR external_id = $2) AND removed_at IS NULL",
                        params![household_id, p],
                    )?
                    .map(|r| r.text(0))
                    .ok_or_else(|| StoreError::invalid("person", p, Message::MemberIdOrExternalId))?,
                ),
                None => None,
            };
            if movement.kind.is_person_only() && person_id.is_none() {
                return Err(StoreError::invalid(
                    "person",
                    "",
                    Message::MemberConcerned { kind: movement.kind.as_str().into() },
                ));
            }
            if let Some(ext) = &movement.external_id {
                if tx
                    .query_opt(
                        "SELECT id FROM movements WHERE household_id = $1 AND external_id = $2",
                        params![household_id, ext],
                    )?
                    .is_some()
                {
                    return Err(StoreError::Conflict(Message::MovementIdTaken { id: ext.clone() }));
                }
            }
            let id = new_id();
            let seq = tx.query_int(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM movements WHERE household_id = $1",
                params![household_id],
            )?;
            insert_movement(tx, actor, &id, household_id, person_id.as_deref(), movement, seq, now)?;
            refresh_derived(tx, household_id, today)?;
            keep_in_sight(tx, actor, household_id)?;
            audit::record(
                tx,
                actor,
                now,
                "record_movement",
                "household",
                household_id,
                json!({"movement_id": id, "kind": movement.kind}),
            )?;
            Ok(id)
        })?;
        self.movement(actor, &id)
    }

    pub fn movement(&self, actor: &Actor, id: &str) -> Result<Movement, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {MOVEMENT_COLUMNS} FROM movements m JOIN households h ON h.id = m.household_id WHERE m.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("movement"))?;
            self.movement_from_row(&row)
        })?;
        self.audit_read(actor, now, "read", "movement", id, json!({}))?;
        Ok(read)
    }

    /// Voids a movement recorded in error. It stays in the history with the reason.
    pub fn void_movement(&self, actor: &Actor, id: &str, reason: &str) -> Result<Movement, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        let today = self.today();
        self.db.write(|tx| {
            let row = tx.select_opt(&Sql::new("SELECT m.household_id, m.voided_at FROM movements m JOIN households h ON h.id = m.household_id WHERE m.id = ?", params![id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("movement"))?;
            if row.opt_int(1).is_some() {
                return Err(StoreError::Conflict(Message::AlreadyVoided));
            }
            let household_id = row.text(0);
            lock_household(tx, actor, &household_id)?;
            tx.execute("UPDATE movements SET voided_at = $1, voided_by = $2, void_reason = $3 WHERE id = $4", params![now, &actor.user_id, &reason, id])?;
            let version = tx.query_int("SELECT COUNT(*) FROM record_versions WHERE entity = 'movement' AND entity_id = $1", params![id])? + 2;
            write_version(tx, "movement", id, version, now, &actor.user_id, &reason, &json!({"voided": {"from": false, "to": true}}))?;
            refresh_derived(tx, &household_id, today)?;
            keep_in_sight(tx, actor, &household_id)?;
            audit::record(tx, actor, now, "void", "movement", id, json!({}))
        })?;
        self.movement(actor, id)
    }
}
