//! The change feed's writer. At the end of every write transaction of a sync node, the
//! records the transaction touched (the households in the registry's change feed, new
//! assistance, and every record of the other tables it wrote) are compared field by field with
//! their merged state: what differs becomes a change of this node, numbered in its feed, in
//! the same transaction. Every use case is
//! covered without each having to describe its changes, and a received change (already in the
//! merged state) is never taken for a local one.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::change::{to_field, Change, ChangeBody, ChangeId, Entity, FieldValue, REMOVED};
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
    /// Every table, whether written or not (a node's first capture).
    pub everything: bool,
}

impl Counters {
    pub(crate) fn read(tx: &mut Tx<'_>) -> Result<Counters, StoreError> {
        Ok(Counters {
            registry: crate::versions::current(tx, crate::versions::Capability::Registry)?,
            assistance: crate::versions::current(tx, crate::versions::Capability::Assistance)?,
            everything: false,
        })
    }

    /// Everything, as a node's first capture sees it.
    pub(crate) fn origin() -> Counters {
        Counters { registry: -1, assistance: -1, everything: true }
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
    let wrote = |tx: &Tx<'_>, entity: Entity| {
        start.everything || tx.wrote(entity.table()) || entity.children().is_some_and(|c| tx.wrote(c.table))
    };
    // Parents are captured before their records (a creation names the creations it needs, and a
    // node's own changes are applied in their order).
    let (after_assistance, before): (Vec<Entity>, Vec<Entity>) = Entity::COMPARED_WHOLE
        .into_iter()
        .partition(|e| matches!(e, Entity::MonitoringSample | Entity::MonitoringAnswer));
    for entity in before {
        if wrote(tx, entity) {
            capture.whole(tx, entity)?;
        }
    }
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
    if wrote(tx, Entity::DuplicatePair) {
        // A pair travels once decided (and then each change of its decision); pending pairs
        // stay where they were found.
        capture.rows_where(tx, Entity::DuplicatePair, &format!("r.status <> 'pending' OR {}", SHIPPED))?;
    }
    if crate::versions::current(tx, crate::versions::Capability::Assistance)? > start.assistance {
        capture.assistance(tx)?;
    }
    for entity in after_assistance {
        if wrote(tx, entity) {
            capture.whole(tx, entity)?;
        }
    }
    if wrote(tx, Entity::SeriesVersion) {
        // A version of a series is written once, with its figures.
        capture.rows_where(tx, Entity::SeriesVersion, &format!("NOT {}", SHIPPED))?;
    }
    capture.audit(tx)?;
    let Capture { changes, states, .. } = capture;
    if changes.is_empty() {
        return Ok(());
    }
    for entity in Entity::registry() {
        let mut touched: Vec<(&str, &EntityState)> =
            states.iter().filter(|((e, _), _)| *e == entity).map(|((_, id), s)| (id.as_str(), s)).collect();
        touched.sort_by_key(|(id, _)| *id);
        state::save(tx, entity, &touched)?;
    }
    store_changes(tx, &mut node, &changes, "applied", None, 0)?;
    node.save(tx)
}

/// A condition on a record `r` of the kind named `$1`: it was shipped before.
const SHIPPED: &str = "EXISTS (SELECT 1 FROM sync_entities s WHERE s.entity = $1 AND s.entity_id = r.id)";

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
        let ids: Vec<String> = rows.iter().map(|r| entity.key_of(r)).collect::<Result<_, _>>()?;
        let missing: Vec<String> =
            ids.iter().filter(|id| !self.states.contains_key(&(entity, (*id).clone()))).cloned().collect();
        for (id, state) in state::load(tx, entity, &missing)? {
            self.states.insert((entity, id), state);
        }
        let mut children = children_of(tx, entity, Some(&ids))?;
        for (row, id) in rows.iter().zip(ids) {
            let inside = children.remove(&id);
            self.row(tx, entity, row, id, inside)?;
        }
        Ok(())
    }

    /// Every record of a kind, compared with what was shipped: a record no longer there was
    /// removed.
    fn whole(&mut self, tx: &mut Tx<'_>, entity: Entity) -> Result<(), StoreError> {
        let rows = tx.query(&entity.read_all(), params![])?;
        for (id, state) in state::load_all(tx, entity)? {
            self.states.entry((entity, id)).or_insert(state);
        }
        let mut present = HashSet::with_capacity(rows.len());
        let mut shipped = Vec::with_capacity(rows.len());
        for row in rows {
            present.insert(entity.key_of(&row)?);
            // Administrators are each installation's own.
            if entity == Entity::User && row.text_of("role")? == "admin" {
                continue;
            }
            shipped.push(row);
        }
        self.rows(tx, entity, &shipped)?;
        let mut gone: Vec<String> = self
            .states
            .iter()
            .filter(|((e, id), state)| {
                *e == entity && !present.contains(id) && state.shown(REMOVED) != FieldValue::Bool(true)
            })
            .map(|((_, id), _)| id.clone())
            .collect();
        gone.sort();
        for id in gone {
            self.removed(entity, id);
        }
        Ok(())
    }

    /// The records of a kind (aliased `r`) that meet `condition` ($1 is the kind's name).
    fn rows_where(&mut self, tx: &mut Tx<'_>, entity: Entity, condition: &str) -> Result<(), StoreError> {
        let rows = tx.query(
            &format!("SELECT * FROM {} r WHERE {condition} ORDER BY r.id", entity.table()),
            params![entity.as_str()],
        )?;
        self.rows(tx, entity, &rows)
    }

    /// A record deleted here: shipped as removed.
    fn removed(&mut self, entity: Entity, id: String) {
        let Some(state) = self.states.get_mut(&(entity, id.clone())) else {
            return;
        };
        let change_id = self.node.next_id();
        let seen = state.head_ids(REMOVED);
        let created = state.created_by.parse().ok();
        state.set(REMOVED, &change_id, &seen, FieldValue::Bool(true));
        let deps = BTreeMap::from([(REMOVED.to_string(), seen), (String::new(), created.into_iter().collect())]);
        let fields = BTreeMap::from([(REMOVED.to_string(), FieldValue::Bool(true))]);
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let body = ChangeBody { fields, deps, at, ..ChangeBody::default() };
        self.changes.push(Change { id: change_id, entity, entity_id: id, body });
    }

    fn row(
        &mut self,
        tx: &mut Tx<'_>,
        entity: Entity,
        row: &Row,
        id: String,
        inside: Option<FieldValue>,
    ) -> Result<(), StoreError> {
        let local = entity.local_columns();
        let existing = self.states.get(&(entity, id.clone()));
        let creates = existing.is_none();
        let mut fields = BTreeMap::new();
        let mut deps = BTreeMap::new();
        // Removed before and here again.
        let back = existing.is_some_and(|s| s.shown(REMOVED) == FieldValue::Bool(true));
        let removal = back.then(|| (REMOVED.into(), FieldValue::Bool(false)));
        let children =
            entity.children().map(|c| (c.field.into(), inside.unwrap_or_else(|| FieldValue::Array(Vec::new()))));
        let columns = row.columns().iter().zip(&row.values).filter(|(c, _)| !local.contains(&c.as_ref()));
        let values = columns.map(|(c, v)| (c.to_string(), to_field(v))).chain(children).chain(removal);
        for (column, value) in values {
            let column = column.as_str();
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
            Entity::Household => Some(id.clone()),
            Entity::Person
            | Entity::Movement
            | Entity::Solution
            | Entity::Entitlement
            | Entity::Delivery
            | Entity::MonitoringAnswer => Some(row.text_of("household_id")?),
            // A pair is decided where the later registration is: its household.
            Entity::DuplicatePair => tx
                .query_opt("SELECT household_id FROM people WHERE id = $1", params![row.text_of("person_b")?])?
                .map(|r| r.text(0)),
            _ => None,
        };
        if creates {
            let mut parents = Vec::new();
            for (column, parent) in entity.parents() {
                if let Some(parent_id) = row.opt_text_of(column)? {
                    parents.extend(self.created_by(tx, *parent, &parent_id)?);
                }
            }
            let parents = self.made_elsewhere(parents);
            if !parents.is_empty() {
                deps.insert(String::new(), parents);
            }
        } else {
            // An edit needs its record: a field never set before has no value to depend on.
            let created = self.created_by(tx, entity, &id)?.into_iter().collect();
            let created = self.made_elsewhere(created);
            if !created.is_empty() {
                deps.insert(String::new(), created);
            }
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

    /// Of the records a change needs first, those made by other origins: what this node made
    /// in this epoch comes before in its own numbering, which every node applies in order.
    fn made_elsewhere(&self, ids: Vec<ChangeId>) -> Vec<ChangeId> {
        ids.into_iter().filter(|id| id.node != self.node.node_id || id.epoch != self.node.epoch).collect()
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
        // The people an entitlement covers travel with it: it waits for their creation.
        for i in first..self.changes.len() {
            let people: Vec<String> = self.changes[i]
                .body
                .fields
                .get("people")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            let mut parents = Vec::new();
            for person in &people {
                parents.extend(self.created_by(tx, Entity::Person, person)?);
            }
            let parents = self.made_elsewhere(parents);
            if !parents.is_empty() {
                self.changes[i].body.deps.entry(String::new()).or_default().extend(parents);
            }
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
        Entity::AuditEntry => (row.text_of("actor_id")?, row.int_of("at")?, String::new()),
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
        _ => {
            let (author, at) = latest_writer(row);
            (author, at, String::new())
        }
    })
}

/// The latest "who and when" a row keeps (created, updated, decided, reviewed…). An account
/// keeps only when it was created: its changes are shipped without an author.
fn latest_writer(row: &Row) -> (String, i64) {
    const WRITERS: [(&str, &str); 8] = [
        ("created_by", "created_at"),
        ("updated_by", "updated_at"),
        ("recorded_by", "recorded_at"),
        ("submitted_by", "submitted_at"),
        ("reviewed_by", "reviewed_at"),
        ("decided_by", "decided_at"),
        ("imported_by", "imported_at"),
        ("removed_by", "removed_at"),
    ];
    WRITERS
        .iter()
        .filter_map(|(by, at)| {
            let at = match row.get(at) {
                Ok(crate::db::Value::Int(at)) => *at,
                _ => return None,
            };
            let by = row.get(by).ok().and_then(|v| match v {
                crate::db::Value::Text(t) => Some(t.clone()),
                _ => None,
            });
            Some((by.unwrap_or_default(), at))
        })
        .max_by_key(|(_, at)| *at)
        .unwrap_or_default()
}

/// The rows that travel inside these records (see [`Entity::children`]), by record: a list of
/// values, or of lists.
/// `None`: of every record.
pub(crate) fn children_of(
    tx: &mut Tx<'_>,
    entity: Entity,
    ids: Option<&[String]>,
) -> Result<HashMap<String, FieldValue>, StoreError> {
    let mut out: HashMap<String, Vec<FieldValue>> = HashMap::new();
    let Some(children) = entity.children() else {
        return Ok(HashMap::new());
    };
    let select = format!("SELECT {}, {} FROM {} WHERE ", children.parent, children.columns.join(", "), children.table);
    let order = format!(" ORDER BY {}, {}", children.parent, children.order);
    let queries: Vec<Sql> = match ids {
        None => vec![Sql::new(&format!("{select}1 = 1"), params![]).push(&order, params![])],
        Some(ids) => ids
            .chunks(500)
            .map(|chunk| {
                Sql::new(&select, params![]).cond(&Cond::one_of(children.parent, chunk)).push(&order, params![])
            })
            .collect(),
    };
    for sql in queries {
        for row in tx.select(&sql)? {
            let mut values = row.values.iter().map(to_field);
            let parent = values.next().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let item = if children.columns.len() == 1 {
                values.next().unwrap_or_default()
            } else {
                FieldValue::Array(values.collect())
            };
            out.entry(parent).or_default().push(item);
        }
    }
    Ok(out.into_iter().map(|(k, v)| (k, FieldValue::Array(v))).collect())
}
