//! The change feed's writer. At the end of every write transaction of a sync node, the
//! records the transaction touched (the households in the registry's change feed, and the
//! organisations) are compared field by field with their merged state: what differs becomes a
//! change of this node, numbered in its feed, in the same transaction. Every use case is
//! covered without each having to describe its changes, and a received change (already in the
//! merged state) is never taken for a local one.

use std::collections::{BTreeMap, HashMap};

use super::change::{to_field, Change, ChangeBody, ChangeId, Entity};
use super::node::Node;
use super::state::{self, EntityState};
use super::store_changes;
use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{params, Cond, Sql};

/// The counters a write transaction started at: what it changed is found after them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counters {
    pub registry: i64,
    pub assistance: i64,
}

impl Counters {
    pub(crate) fn read(tx: &mut Tx<'_>) -> Result<Counters, StoreError> {
        Ok(Counters {
            registry: crate::versions::current(tx, crate::versions::Capability::Registry)?,
            assistance: crate::versions::current(tx, crate::versions::Capability::Assistance)?,
        })
    }

    /// Everything, as a node's first capture sees it.
    pub(crate) fn origin() -> Counters {
        Counters { registry: -1, assistance: -1 }
    }
}

/// Records as changes what this transaction changed after the counters it started at.
pub(crate) fn since(tx: &mut Tx<'_>, start: Counters) -> Result<(), StoreError> {
    let since = start.registry;
    let households: Vec<String> = tx
        .query("SELECT household_id FROM household_changes WHERE version > $1 ORDER BY household_id", params![since])?
        .iter()
        .map(|r| r.text(0))
        .collect();
    let Some(mut node) = Node::lock(tx)? else {
        return Ok(());
    };
    let mut capture = Capture { node: &mut node, changes: Vec::new(), states: HashMap::new() };
    let organisations = tx.query("SELECT * FROM organisations ORDER BY id", params![])?;
    capture.rows(tx, Entity::Organisation, &organisations)?;
    for chunk in households.chunks(500) {
        let in_chunk = |column: &str, table: &str| {
            Sql::new(&format!("SELECT * FROM {table} WHERE "), params![])
                .cond(&Cond::one_of(column, chunk))
                .push(" ORDER BY id", params![])
        };
        let households = tx.select(&in_chunk("id", "households"))?;
        let people = tx.select(&in_chunk("household_id", "people"))?;
        let movements = tx.select(&in_chunk("household_id", "movements"))?;
        capture.rows(tx, Entity::Household, &households)?;
        capture.rows(tx, Entity::Person, &people)?;
        capture.rows(tx, Entity::Movement, &movements)?;
        let solutions = tx.select(&in_chunk("household_id", "solutions"))?;
        capture.rows(tx, Entity::Solution, &solutions)?;
    }
    capture.timelines_resolved(tx)?;
    if crate::versions::current(tx, crate::versions::Capability::Assistance)? > start.assistance {
        capture.assistance(tx)?;
    }
    capture.audit(tx)?;
    let Capture { changes, states, .. } = capture;
    if changes.is_empty() {
        return Ok(());
    }
    for entity in Entity::REGISTRY {
        let mut touched: Vec<(&str, &EntityState)> =
            states.iter().filter(|((e, _), _)| *e == entity).map(|((_, id), s)| (id.as_str(), s)).collect();
        touched.sort_by_key(|(id, _)| *id);
        state::save(tx, entity, &touched)?;
    }
    store_changes(tx, &mut node, &changes, "applied", None, 0)?;
    node.save(tx)
}

struct Capture<'n> {
    node: &'n mut Node,
    changes: Vec<Change>,
    /// States read or changed in this capture (a person's creation depends on its household's).
    states: HashMap<(Entity, String), EntityState>,
}

impl Capture<'_> {
    fn rows(&mut self, tx: &mut Tx<'_>, entity: Entity, rows: &[Row]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = rows.iter().map(|r| r.text_of("id")).collect::<Result<_, _>>()?;
        let missing: Vec<String> =
            ids.iter().filter(|id| !self.states.contains_key(&(entity, (*id).clone()))).cloned().collect();
        for (id, state) in state::load(tx, entity, &missing)? {
            self.states.insert((entity, id), state);
        }
        for (row, id) in rows.iter().zip(ids) {
            self.row(tx, entity, row, id)?;
        }
        Ok(())
    }

    fn row(&mut self, tx: &mut Tx<'_>, entity: Entity, row: &Row, id: String) -> Result<(), StoreError> {
        let local = entity.local_columns();
        let existing = self.states.get(&(entity, id.clone()));
        let creates = existing.is_none();
        let mut fields = BTreeMap::new();
        let mut deps = BTreeMap::new();
        for (column, value) in row.columns().iter().zip(&row.values) {
            if local.contains(&column.as_ref()) {
                continue;
            }
            let value = to_field(value);
            match existing {
                None if value.is_null() => {}
                None => {
                    fields.insert(column.to_string(), value);
                }
                Some(state) if state.shown(column) != value => {
                    deps.insert(column.to_string(), state.head_ids(column));
                    fields.insert(column.to_string(), value);
                }
                Some(_) => {}
            }
        }
        if fields.is_empty() {
            return Ok(());
        }
        let household = match entity {
            Entity::Organisation | Entity::AuditEntry | Entity::Programme | Entity::Cycle => None,
            Entity::Household => Some(id.clone()),
            Entity::Person | Entity::Movement | Entity::Solution | Entity::Entitlement | Entity::Delivery => {
                Some(row.text_of("household_id")?)
            }
        };
        if creates {
            let mut parents = Vec::new();
            for (column, parent) in entity.parents() {
                if let Some(parent_id) = row.opt_text_of(column)? {
                    parents.extend(self.created_by(tx, *parent, &parent_id)?);
                }
            }
            if !parents.is_empty() {
                deps.insert(String::new(), parents);
            }
        } else {
            // An edit needs its record: a field never set before has no value to depend on.
            let created = self.created_by(tx, entity, &id)?;
            deps.insert(String::new(), created.into_iter().collect());
        }
        let (author, at, reason) = authorship(tx, entity, row, &id, &fields)?;
        let change_id = self.node.next_id();
        let state = self.states.entry((entity, id.clone())).or_default();
        if creates {
            state.created_by = change_id.to_string();
        }
        for (field, value) in &fields {
            let seen = deps.get(field).cloned().unwrap_or_default();
            state.set(field, &change_id, &seen, value.clone());
        }
        // An edit of a disputed field settles it.
        for field in fields.keys().filter(|_| !creates) {
            tx.execute(
                "DELETE FROM sync_conflicts WHERE entity = $1 AND entity_id = $2 AND field = $3",
                params![entity.as_str(), id.as_str(), field.as_str()],
            )?;
        }
        let mut body = ChangeBody { household, creates, fields, deps, author, at, reason, withheld: false };
        body.leave_out_implied();
        self.changes.push(Change { id: change_id, entity, entity_id: id, body });
        Ok(())
    }

    /// This node's audit rows written since the last capture: its chain travels with its
    /// changes.
    fn audit(&mut self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        let rows = tx.query(
            "SELECT seq, at, actor_id, actor_name, action, entity, entity_id, detail, prev_hash, hash FROM audit_log \
             WHERE seq > $1 ORDER BY seq",
            params![self.node.audit_seq],
        )?;
        for row in rows {
            let seq = row.int(0);
            let mut fields: BTreeMap<String, serde_json::Value> =
                row.columns().iter().zip(&row.values).map(|(c, v)| (c.to_string(), to_field(v))).collect();
            fields.insert("node_id".into(), self.node.node_id.clone().into());
            fields.insert("epoch".into(), self.node.epoch.into());
            let id = self.node.next_id();
            let entity_id = format!("{}:{}:{seq}", self.node.node_id, self.node.epoch);
            self.changes.push(Change {
                id,
                entity: Entity::AuditEntry,
                entity_id,
                body: ChangeBody {
                    creates: true,
                    fields,
                    author: row.text(2),
                    at: row.int(1),
                    ..ChangeBody::default()
                },
            });
            self.node.audit_seq = seq;
        }
        Ok(())
    }

    /// The change that created a record, read from this capture or the stored state.
    fn created_by(&mut self, tx: &mut Tx<'_>, entity: Entity, id: &str) -> Result<Option<ChangeId>, StoreError> {
        let key = (entity, id.to_string());
        if !self.states.contains_key(&key) {
            for (id, state) in state::load(tx, entity, &[id.to_string()])? {
                self.states.insert((entity, id), state);
            }
        }
        Ok(self.states.get(&key).and_then(|s| s.created_by.parse().ok()))
    }

    /// Assistance changed in this transaction: programmes and rounds (few) compared whole,
    /// entitlements and deliveries (written once, never changed) captured when new.
    fn assistance(&mut self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        let programmes = tx.query("SELECT * FROM programmes ORDER BY id", params![])?;
        self.rows(tx, Entity::Programme, &programmes)?;
        let cycles = tx.query("SELECT * FROM cycles ORDER BY id", params![])?;
        self.rows(tx, Entity::Cycle, &cycles)?;
        let new = |alias: &str, entity: Entity| {
            format!(
                "NOT EXISTS (SELECT 1 FROM sync_entities s WHERE s.entity = '{}' AND s.entity_id = {alias}.id)",
                entity.as_str()
            )
        };
        let entitlements = tx.query(
            &format!("SELECT * FROM entitlements e WHERE {} ORDER BY id", new("e", Entity::Entitlement)),
            params![],
        )?;
        let first = self.changes.len();
        self.rows(tx, Entity::Entitlement, &entitlements)?;
        // The people an entitlement covers travel with it.
        for i in first..self.changes.len() {
            let entitlement = self.changes[i].entity_id.clone();
            let people: Vec<String> = tx
                .query(
                    "SELECT person_id FROM entitlement_people WHERE entitlement_id = $1 ORDER BY person_id",
                    params![entitlement.as_str()],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect();
            let mut parents = Vec::new();
            for person in &people {
                parents.extend(self.created_by(tx, Entity::Person, person)?);
            }
            let change = &mut self.changes[i];
            change.body.fields.insert("people".into(), people.into());
            change.body.deps.entry(String::new()).or_default().extend(parents);
        }
        let deliveries = tx.query(
            &format!(
                "SELECT d.*, e.household_id FROM deliveries d JOIN entitlements e ON e.id = d.entitlement_id WHERE {} ORDER BY d.id",
                new("d", Entity::Delivery)
            ),
            params![],
        )?;
        self.rows(tx, Entity::Delivery, &deliveries)
    }

    /// A household whose merged movements were inconsistent and whose movements were then
    /// changed here (a movement recorded or voided): local movement writes replay the
    /// chronology and refuse an inconsistent one, so it holds again.
    fn timelines_resolved(&self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        let mut households: Vec<String> = self
            .changes
            .iter()
            .filter(|c| c.entity == Entity::Movement)
            .filter_map(|c| c.body.household.clone())
            .collect();
        households.sort();
        households.dedup();
        for chunk in households.chunks(500) {
            let sql = Sql::new("DELETE FROM sync_conflicts WHERE field = '_timeline' AND ", params![])
                .cond(&Cond::one_of("household_id", chunk));
            tx.run(&sql)?;
        }
        Ok(())
    }
}

/// Who made a local change, when and why, read from the row (and its history).
fn authorship(
    tx: &mut Tx<'_>,
    entity: Entity,
    row: &Row,
    id: &str,
    fields: &BTreeMap<String, serde_json::Value>,
) -> Result<(String, i64, String), StoreError> {
    Ok(match entity {
        Entity::Organisation | Entity::Programme | Entity::Entitlement | Entity::Delivery => {
            (row.text_of("created_by")?, row.int_of("created_at")?, String::new())
        }
        Entity::AuditEntry => (row.text_of("actor_id")?, row.int_of("at")?, String::new()),
        Entity::Cycle => (row.text_of("updated_by")?, row.int_of("updated_at")?, String::new()),
        Entity::Household | Entity::Person => {
            let version = row.int_of("version")?;
            // Version 1 is the creation: it has no history row (an import of a node would
            // otherwise ask once per new person).
            let reason = if version <= 1 {
                None
            } else {
                tx.query_opt(
                    "SELECT reason FROM record_versions WHERE entity = $1 AND entity_id = $2 AND version = $3",
                    params![entity.as_str(), id, version],
                )?
            }
            .map(|r| r.text(0))
            .unwrap_or_default();
            (row.text_of("updated_by")?, row.int_of("updated_at")?, reason)
        }
        Entity::Movement | Entity::Solution if fields.contains_key("voided_at") => (
            row.opt_text_of("voided_by")?.unwrap_or_default(),
            row.opt_int_of("voided_at")?.unwrap_or_default(),
            row.opt_text_of("void_reason")?.unwrap_or_default(),
        ),
        Entity::Movement | Entity::Solution => (row.text_of("recorded_by")?, row.int_of("recorded_at")?, String::new()),
    })
}
