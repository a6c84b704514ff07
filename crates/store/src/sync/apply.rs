//! Receiving changes. A change is applied once the previous change of its origin and every
//! change it depends on are here (until then it waits in `sync_pending`), so each node applies
//! them in an order consistent with how they were made, whatever order they arrive in. Each
//! field is merged by [`EntityState::set`]; a field left with two values opens a conflict.
//! After a batch, the touched households' movements are replayed: an inconsistent chronology
//! opens a conflict on the household, it is never a failure of the batch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use domain::Lang;
use serde::{Deserialize, Serialize};

use super::change::{
    to_field, to_value, Change, ChangeBody, ChangeId, Entity, FieldValue, Vector, NEVER_DISPUTED, REMOVED,
};
use super::node::Node;
use super::state::{self, EntityState};
use super::{origin_vector, store_feed, FeedRow, Scope};
use crate::db::{Row, Tx, Value};
use crate::error::StoreError;
use crate::params;
use crate::registry::household_of_person;

/// Why a change was not applied. Kept with the change and returned to its sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Refusal {
    /// The sender may not change this organisation's or région's records.
    OutsideScope,
    /// It builds on a change that was refused here.
    DependsOnRefused { change: String },
    /// The change names a record this node does not have, or breaks a rule of the database.
    Invalid { detail: String },
    /// A change of this identifier arrived before with other content.
    ContentDiffers,
}

/// A change not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refused {
    pub change: String,
    #[serde(flatten)]
    pub refusal: Refusal,
}

/// What receiving a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Received {
    /// Changes applied now (from this batch or waiting from earlier ones).
    pub applied: usize,
    /// Changes of this batch that were here already (a replay).
    pub already_here: usize,
    /// Changes waiting for an earlier one of their origin or a change they build on.
    pub waiting: usize,
    pub refused: Vec<Refused>,
    /// Fields now disputed by two values, and households whose chronology no longer holds.
    pub conflicts_opened: usize,
    /// What this node holds now: the sender may forget what this covers.
    #[schema(value_type = Object)]
    pub vector: Vector,
}

/// Receives changes sent by a node whose scope is `scope`.
pub(crate) fn receive(
    tx: &mut Tx<'_>,
    node: &mut Node,
    sender: &str,
    scope: &Scope,
    incoming: Vec<Change>,
    now: i64,
    today: NaiveDate,
) -> Result<Received, StoreError> {
    let mut received = Received::default();
    let had_waiting = tx.query_opt("SELECT 1 FROM sync_pending LIMIT 1", params![])?.is_some();
    let mut applier = Applier {
        vector: origin_vector(tx)?,
        touched: BTreeSet::new(),
        scopes: HashMap::from([(sender.to_string(), scope.clone())]),
        conflicts: open_conflicts(tx)?,
        any_refused: tx
            .query_opt("SELECT 1 FROM sync_changes WHERE outcome <> 'applied' LIMIT 1", params![])?
            .is_some(),
        outcomes: HashMap::new(),
        recorded: Vec::new(),
        created: Created::default(),
        refused_late: Vec::new(),
        assistance_changed: false,
        sharing_changed: false,
        arrived: Vec::new(),
        derived: HashSet::new(),
        today,
        entitlements: Vec::new(),
        node,
    };
    let mut now_waiting = false;
    for change in incoming {
        if applier.has(&change.id) {
            if !change.body.withheld && applier.any_refused && applier.held_as_withheld(tx, &change.id)? {
                // The content of a number that came withheld: its household has come into
                // this node's scope since.
                tx.execute(
                    "DELETE FROM sync_changes WHERE node_id = $1 AND epoch = $2 AND seq = $3",
                    params![change.id.node.as_str(), change.id.epoch, change.id.seq],
                )?;
                let outcome = applier.apply(tx, &change, scope, now)?;
                received.count(&change, outcome);
                continue;
            }
            // A replay: the same content changes nothing; other content under a used
            // identifier is refused.
            // A number kept in line by a node that may not see the change (withheld) says
            // nothing about its content.
            if change.body.withheld || applier.hash_of(tx, &change.id)?.is_some_and(|stored| stored == change.hash()) {
                received.already_here += 1;
            } else {
                received.refused.push(Refused { change: change.id.to_string(), refusal: Refusal::ContentDiffers });
            }
            continue;
        }
        let node = &mut *applier.node;
        if change.id.node == node.node_id && change.id.epoch == node.epoch && change.id.seq >= node.next_seq {
            // This node made it and does not remember it: the database was restored from an
            // older copy. Its numbers start again in a new epoch; the change comes back.
            node.new_epoch();
        }
        if applier.ready(&change) {
            let outcome = applier.apply(tx, &change, scope, now)?;
            received.count(&change, outcome);
            continue;
        }
        now_waiting = true;
        tx.execute(
            "INSERT INTO sync_pending (node_id, epoch, seq, body, hash, sent_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (node_id, epoch, seq) DO NOTHING",
            params![
                change.id.node.as_str(),
                change.id.epoch,
                change.id.seq,
                serde_json::to_string(&change).unwrap_or_default(),
                change.hash(),
                sender,
                now
            ],
        )?;
    }
    // What waited may now follow, and what follows it.
    let mut look = had_waiting || now_waiting;
    while look {
        let pending = tx.query("SELECT body, sent_by FROM sync_pending ORDER BY node_id, epoch, seq", params![])?;
        let mut progress = false;
        for row in pending {
            let change: Change = serde_json::from_str(row.str(0))
                .map_err(|e| StoreError::Database(format!("a waiting sync change is damaged: {e}")))?;
            let here = applier.has(&change.id);
            if !here && !applier.ready(&change) {
                continue;
            }
            if !here {
                let scope = applier.scope_of(tx, &row.text(1))?;
                let outcome = applier.apply(tx, &change, &scope, now)?;
                received.count(&change, outcome);
            }
            tx.execute(
                "DELETE FROM sync_pending WHERE node_id = $1 AND epoch = $2 AND seq = $3",
                params![change.id.node.as_str(), change.id.epoch, change.id.seq],
            )?;
            progress = true;
        }
        look = progress;
    }
    applier.write_created(tx, now)?;
    for refused in std::mem::take(&mut applier.refused_late) {
        received.applied -= 1;
        received.refused.push(refused);
    }
    applier.record(tx, now)?;
    if applier.assistance_changed {
        crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
    }
    if applier.sharing_changed {
        crate::versions::bump(tx, crate::versions::Capability::Sharing)?;
    }
    received.conflicts_opened += applier.replay_households(tx, today, now)?;
    received.conflicts_opened += applier.check_assistance(tx, now)?;
    crate::duplicates::queue_arrivals(tx, &applier.arrived)?;
    received.waiting = tx.query_int("SELECT COUNT(*) FROM sync_pending", params![])? as usize;
    received.vector = applier.vector.clone();
    node.save(tx)?;
    Ok(received)
}

impl Received {
    fn count(&mut self, change: &Change, outcome: Result<usize, Refusal>) {
        if change.body.withheld {
            return; // a number kept in line, nothing applied
        }
        match outcome {
            Ok(opened) => {
                self.applied += 1;
                self.conflicts_opened += opened;
            }
            Err(refusal) => self.refused.push(Refused { change: change.id.to_string(), refusal }),
        }
    }
}

/// The fields with a conflict open (few): an edit deletes a conflict only where there is one.
fn open_conflicts(tx: &mut Tx<'_>) -> Result<HashSet<(String, String)>, StoreError> {
    Ok(tx
        .query("SELECT entity_id, field FROM sync_conflicts", params![])?
        .iter()
        .map(|r| (r.text(0), r.text(1)))
        .collect())
}

struct Applier<'n> {
    node: &'n mut Node,
    vector: Vector,
    touched: BTreeSet<String>,
    scopes: HashMap<String, Scope>,
    conflicts: HashSet<(String, String)>,
    /// Whether this node refused or withheld any change before: if not, no dependency can
    /// have been refused and none is looked up.
    any_refused: bool,
    /// Changes recorded in this batch: whether each was applied, and its content hash.
    outcomes: HashMap<String, (bool, String)>,
    /// Changes to record in the feed once the batch is through, in the order applied.
    recorded: Vec<FeedRow>,
    /// New records written together (see [`Created`]).
    created: Created,
    /// New records counted as applied, then refused when written one by one.
    refused_late: Vec<Refused>,
    /// Assistance records arrived: reach is counted again.
    assistance_changed: bool,
    /// Sharing agreements arrived: what each reader's figures cover is computed again.
    sharing_changed: bool,
    /// Households created by this batch: queued for the duplicates check.
    arrived: Vec<String>,
    /// New households whose status and places were derived before they were written, from
    /// their movements written with them: not replayed again unless changed after.
    derived: HashSet<String>,
    today: NaiveDate,
    /// Entitlements arrived: each is checked against the assistance already recorded here.
    entitlements: Vec<String>,
}

/// New households, people and movements received in a row, written together (several rows
/// per statement, `COPY` on PostgreSQL) rather than one by one: the bulk of a first sync.
#[derive(Default)]
struct Created {
    /// Rows by table (in the order parents come first) and by their columns.
    rows: BTreeMap<(Entity, Vec<String>), Vec<Vec<Value>>>,
    states: Vec<Vec<Value>>,
    names: Vec<(String, String)>,
    /// Rows of the tables that travel inside their records (see [`Entity::children`]).
    children: BTreeMap<Entity, Vec<Vec<Value>>>,
    /// The changes, and the scope they were checked against, to apply one by one if writing
    /// them together fails.
    changes: Vec<(Change, Scope)>,
    /// Households among them: organisation and registration point (their scope).
    households: HashMap<String, (String, Option<String>)>,
}

impl Applier<'_> {
    /// Whether the change is here already (applied, refused or withheld).
    fn has(&self, id: &ChangeId) -> bool {
        self.vector.get(&super::change::origin_key(&id.node, id.epoch)).is_some_and(|seq| *seq >= id.seq)
    }

    /// Whether the change is here only as a number kept in line (withheld).
    fn held_as_withheld(&self, tx: &mut Tx<'_>, id: &ChangeId) -> Result<bool, StoreError> {
        if self.outcomes.contains_key(&id.to_string()) {
            return Ok(false);
        }
        Ok(tx
            .query_opt(
                "SELECT 1 FROM sync_changes WHERE node_id = $1 AND epoch = $2 AND seq = $3 AND outcome = 'withheld'",
                params![id.node.as_str(), id.epoch, id.seq],
            )?
            .is_some())
    }

    fn hash_of(&self, tx: &mut Tx<'_>, id: &ChangeId) -> Result<Option<String>, StoreError> {
        if let Some((_, hash)) = self.outcomes.get(&id.to_string()) {
            return Ok(Some(hash.clone()));
        }
        Ok(tx
            .query_opt(
                "SELECT hash FROM sync_changes WHERE node_id = $1 AND epoch = $2 AND seq = $3",
                params![id.node.as_str(), id.epoch, id.seq],
            )?
            .map(|r| r.text(0)))
    }

    /// Records the batch's changes in the feed, with their outcome.
    fn record(&mut self, tx: &mut Tx<'_>, now: i64) -> Result<(), StoreError> {
        let recorded = std::mem::take(&mut self.recorded);
        store_feed(tx, self.node, &recorded, "applied", now)
    }

    /// Whether the change's origin continues from what is here and every change it builds
    /// on is here (applied or refused).
    fn ready(&self, change: &Change) -> bool {
        let has = |id: &ChangeId| {
            self.vector.get(&super::change::origin_key(&id.node, id.epoch)).copied().unwrap_or(0) >= id.seq
        };
        let previous = ChangeId { seq: change.id.seq - 1, ..change.id.clone() };
        (change.id.seq == 1 || has(&previous)) && change.dependencies().all(has)
    }

    fn scope_of(&mut self, tx: &mut Tx<'_>, sender: &str) -> Result<Scope, StoreError> {
        if let Some(scope) = self.scopes.get(sender) {
            return Ok(scope.clone());
        }
        let scope = Scope::of_peer(tx, sender)?.unwrap_or_else(Scope::nothing);
        self.scopes.insert(sender.to_string(), scope.clone());
        Ok(scope)
    }

    /// Applies one change, or refuses it; either way it is recorded, so its origin's next
    /// change may follow. Returns the conflicts it opened.
    fn apply(
        &mut self,
        tx: &mut Tx<'_>,
        change: &Change,
        scope: &Scope,
        now: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        // A pair of duplicates is named by its two people: two offices may decide it each.
        let fresh = change.body.creates
            && !change.entity.natural_key()
            && change.entity != Entity::DuplicatePair
            && !change.body.withheld;
        let outcome = match self.refused_dependency(tx, change)? {
            _ if change.body.withheld => Ok(0),
            Some(refusal) => Err(refusal),
            None if fresh => self.create(tx, change, scope)?,
            None => {
                self.write_created(tx, now)?;
                self.merge_alone(tx, change, scope, now)?
            }
        };
        let rejection = outcome.as_ref().err().map(|refusal| serde_json::to_string(refusal).unwrap_or_default());
        let applied = outcome.is_ok() && !change.body.withheld;
        let row = FeedRow::of(change, rejection);
        self.outcomes.insert(change.id.to_string(), (applied, row.hash.clone()));
        self.recorded.push(row);
        let key = super::change::origin_key(&change.id.node, change.id.epoch);
        // (A withheld number filled in later is behind the mark.)
        let mark = self.vector.entry(key).or_default();
        *mark = (*mark).max(change.id.seq);
        Ok(outcome)
    }

    /// A new household, person or movement: checked now, written with the others of the
    /// batch (see [`Created`]).
    fn create(
        &mut self,
        tx: &mut Tx<'_>,
        change: &Change,
        scope: &Scope,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        if matches!(change.entity, Entity::Cycle | Entity::MonitoringSample) && !scope.is_everything() {
            // Its scope is its programme's organisation: the programme must be written.
            self.write_created(tx, change.body.at)?;
        }
        let mut change = change.clone();
        change.body.put_back_implied(change.entity);
        if let Err(refusal) = check_scope(tx, &change, scope, &self.created.households)? {
            return Ok(Err(refusal));
        }
        if change.entity == Entity::AuditEntry && !crate::audit::row_holds(&change.body.fields) {
            return Ok(Err(Refusal::Invalid { detail: "an audit row whose content does not match its hash".into() }));
        }
        let state = EntityState::created(&change.id, &change.body.fields);
        if change.entity == Entity::DuplicatePair {
            forget_pending_pair(tx, &change)?;
        }
        let (columns, values, name) = creation_row(&change, &state);
        self.created.rows.entry((change.entity, columns)).or_default().push(values);
        let children = children_rows(change.entity, &change.entity_id, &state);
        if !children.is_empty() {
            self.created.children.entry(change.entity).or_default().extend(children);
        }
        if change.entity == Entity::Entitlement {
            self.entitlements.push(change.entity_id.clone());
        }
        self.assistance_changed |= change.entity.assistance();
        if change.entity == Entity::AuditEntry {
            // Written once, never merged: no state to keep.
            self.created.changes.push((change, scope.clone()));
            return Ok(Ok(0));
        }
        self.created.states.push(vec![
            Value::from(change.entity.as_str()),
            Value::from(change.entity_id.as_str()),
            Value::from(&state.created_by),
            Value::from(state.to_json()),
        ]);
        if let Some(name) = name {
            self.created.names.push((change.entity_id.clone(), name));
        }
        if change.entity == Entity::Household {
            self.arrived.push(change.entity_id.clone());
            let text = |f: &str| change.body.fields.get(f).and_then(|v| v.as_str()).map(str::to_string);
            self.created.households.insert(
                change.entity_id.clone(),
                (text("organisation_id").unwrap_or_default(), text("registration_point")),
            );
        }
        if let Some(household) = &change.body.household {
            if change.entity != Entity::Household {
                self.derived.remove(household);
            }
            self.touched.insert(household.clone());
        }
        self.created.changes.push((change, scope.clone()));
        Ok(Ok(0))
    }

    /// Writes the new records gathered so far. Should the database refuse them together, they
    /// are applied again one by one, and the one it refuses is refused alone.
    fn write_created(&mut self, tx: &mut Tx<'_>, now: i64) -> Result<(), StoreError> {
        if self.created.changes.is_empty() {
            return Ok(());
        }
        let created = std::mem::take(&mut self.created);
        let mut tables = one_statement_per_table(created.rows);
        let derived = derive_new_households(&mut tables, self.today);
        tx.execute_batch("SAVEPOINT sync_created")?;
        let written = (|| {
            for (entity, columns, rows) in tables {
                let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                tx.insert_rows(entity.table(), &columns, rows)?;
            }
            for (entity, rows) in created.children {
                if let Some(children) = entity.children() {
                    tx.insert_rows(children.table, &children.row_columns(), rows)?;
                }
            }
            tx.insert_rows("sync_entities", &["entity", "entity_id", "created_by_change", "state"], created.states)?;
            let names: Vec<(&str, &str)> =
                created.names.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
            crate::registry::write_name_terms(tx, &names)
        })();
        match written {
            Ok(()) => {
                self.derived.extend(derived);
                tx.execute_batch("RELEASE SAVEPOINT sync_created")
            }
            Err(StoreError::Database(_) | StoreError::Conflict(_)) => {
                tx.execute_batch("ROLLBACK TO SAVEPOINT sync_created; RELEASE SAVEPOINT sync_created")?;
                for (change, scope) in created.changes {
                    if let Err(refusal) = self.merge_alone(tx, &change, &scope, now)? {
                        let id = change.id.to_string();
                        if let Some(entry) = self.outcomes.get_mut(&id) {
                            entry.0 = false;
                        }
                        if let Some(recorded) = self.recorded.iter_mut().find(|r| r.id == change.id) {
                            recorded.rejection = Some(serde_json::to_string(&refusal).unwrap_or_default());
                        }
                        self.refused_late.push(Refused { change: id, refusal });
                    }
                }
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    fn refused_dependency(&self, tx: &mut Tx<'_>, change: &Change) -> Result<Option<Refusal>, StoreError> {
        for dep in change.dependencies() {
            if let Some((applied, _)) = self.outcomes.get(&dep.to_string()) {
                if !applied {
                    return Ok(Some(Refusal::DependsOnRefused { change: dep.to_string() }));
                }
                continue;
            }
            if !self.any_refused {
                continue;
            }
            let refused = tx.query_opt(
                "SELECT 1 FROM sync_changes WHERE node_id = $1 AND epoch = $2 AND seq = $3 AND outcome <> 'applied'",
                params![dep.node.as_str(), dep.epoch, dep.seq],
            )?;
            if refused.is_some() {
                return Ok(Some(Refusal::DependsOnRefused { change: dep.to_string() }));
            }
        }
        Ok(None)
    }

    /// [`Applier::merge`] in a savepoint: what the database refuses is undone and refused
    /// alone, the batch goes on.
    fn merge_alone(
        &mut self,
        tx: &mut Tx<'_>,
        change: &Change,
        scope: &Scope,
        now: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        tx.execute_batch("SAVEPOINT sync_change")?;
        let outcome = match self.merge(tx, change, scope, now) {
            Ok(outcome) => outcome,
            // The database's own words may quote values: the refusal says what kind of fault.
            Err(StoreError::Database(_) | StoreError::Conflict(_)) => Err(Refusal::Invalid {
                detail: "the database refused it: a record it names is missing, or it repeats an identifier in use"
                    .into(),
            }),
            Err(other) => return Err(other),
        };
        match outcome {
            Ok(_) => tx.execute_batch("RELEASE SAVEPOINT sync_change")?,
            Err(_) => tx.execute_batch("ROLLBACK TO SAVEPOINT sync_change; RELEASE SAVEPOINT sync_change")?,
        }
        Ok(outcome)
    }

    /// Merges the change into the record's state and writes the fields it shows.
    fn merge(
        &mut self,
        tx: &mut Tx<'_>,
        change: &Change,
        scope: &Scope,
        now: i64,
    ) -> Result<Result<usize, Refusal>, StoreError> {
        let entity = change.entity;
        let table = entity.table();
        let mut change = change.clone();
        change.body.put_back_implied(entity);
        let change = &change;
        let body = &change.body;
        if let Err(refusal) = check_scope(tx, change, scope, &self.created.households)? {
            return Ok(Err(refusal));
        }
        if entity == Entity::DuplicatePair && body.creates {
            // A decision replaces the pair this office found and has not decided.
            forget_pending_pair(tx, change)?;
        }
        // A creation of a record that is here already (two offices started from one copy of
        // the database, or created one code each) merges with it.
        let mut state = state::load(tx, entity, std::slice::from_ref(&change.entity_id))?
            .remove(&change.entity_id)
            .unwrap_or_default();
        let row = tx.query_opt(
            &format!("SELECT * FROM {table} WHERE {}", entity.key_condition(1)),
            &entity.key_values(&change.entity_id),
        )?;
        if row.is_none() && !body.creates && state.fields.is_empty() {
            return Ok(Err(Refusal::Invalid { detail: format!("no {} {} here", entity.as_str(), change.entity_id) }));
        }
        if state.created_by.is_empty() {
            state.created_by = change.id.to_string();
        }
        for (field, value) in &body.fields {
            let seen = body.deps.get(field).cloned().unwrap_or_default();
            state.set(field, &change.id, &seen, value.clone());
        }
        let mut opened = 0;
        // A pair's conflict is filed under the later record's household: whoever reviews its
        // duplicates sees it.
        let conflict_household = match (entity, state.shown("person_b")) {
            (Entity::DuplicatePair, FieldValue::String(person)) => household_of_person(tx, &person)?,
            _ => body.household.clone(),
        };
        for field in body.fields.keys() {
            // Who wrote last, and a removal, are no dispute: the latest change's shows.
            // Of a pair, only the decision is: who took it and why follow the latest.
            let disputable = !NEVER_DISPUTED.contains(&field.as_str())
                && field != REMOVED
                && (entity != Entity::DuplicatePair || field == "status");
            if disputable && state.disputed(field) {
                let detail = serde_json::to_string(&state.fields[field]).unwrap_or_default();
                let existed = tx.execute(
                    "UPDATE sync_conflicts SET detail = $1 WHERE entity = $2 AND entity_id = $3 AND field = $4",
                    params![detail.as_str(), entity.as_str(), change.entity_id.as_str(), field.as_str()],
                )?;
                if existed == 0 {
                    opened += 1;
                    tx.execute(
                        "INSERT INTO sync_conflicts (entity, entity_id, field, household_id, detail, opened_at) VALUES ($1, $2, $3, $4, $5, $6)",
                        params![entity.as_str(), change.entity_id.as_str(), field.as_str(), conflict_household.clone(), detail, now],
                    )?;
                }
                self.conflicts.insert((change.entity_id.clone(), field.clone()));
            } else if self.conflicts.remove(&(change.entity_id.clone(), field.clone())) {
                tx.execute(
                    "DELETE FROM sync_conflicts WHERE entity = $1 AND entity_id = $2 AND field = $3",
                    params![entity.as_str(), change.entity_id.as_str(), field.as_str()],
                )?;
            }
        }
        let removed = state.shown(REMOVED) == FieldValue::Bool(true);
        match row {
            None if removed => {}
            None => insert(tx, change, &state)?,
            Some(_) if removed => remove(tx, entity, &change.entity_id)?,
            Some(row) => write_fields(tx, change, &state, &row)?,
        }
        if entity == Entity::User && ["disabled", "password_hash"].iter().any(|f| body.fields.contains_key(*f)) {
            // Disabled or given a new password elsewhere: signed out here too.
            tx.execute("DELETE FROM sessions WHERE user_id = $1", params![change.entity_id.as_str()])?;
        }
        state::save(tx, entity, &[(&change.entity_id, &state)])?;
        self.assistance_changed |= entity.assistance();
        self.sharing_changed |= entity == Entity::Agreement;
        if let Some(household) = &body.household {
            self.derived.remove(household);
            self.touched.insert(household.clone());
        }
        Ok(Ok(opened))
    }

    /// The duplicate-assistance check on arrival: an entitlement planned in another office
    /// for people already entitled here to the same kind of assistance over an overlapping
    /// period (by the same organisation or one sharing with it), neither with a reason given,
    /// is a conflict on its household for a person to review. Returns the conflicts opened.
    fn check_assistance(&mut self, tx: &mut Tx<'_>, now: i64) -> Result<usize, StoreError> {
        let mut opened = 0;
        for entitlement in std::mem::take(&mut self.entitlements) {
            let found = tx.query_opt(
                "SELECT e.household_id, pr.kind, pr2.code, c2.name, c2.start_date, c2.end_date, e2.id \
                 FROM entitlements e JOIN cycles c ON c.id = e.cycle_id JOIN programmes pr ON pr.id = c.programme_id \
                 JOIN entitlement_people ep ON ep.entitlement_id = e.id JOIN people pe ON pe.id = ep.person_id \
                 JOIN people pe2 ON COALESCE(pe2.duplicate_of, pe2.id) = COALESCE(pe.duplicate_of, pe.id) \
                 JOIN entitlement_people ep2 ON ep2.person_id = pe2.id JOIN entitlements e2 ON e2.id = ep2.entitlement_id \
                 JOIN cycles c2 ON c2.id = e2.cycle_id JOIN programmes pr2 ON pr2.id = c2.programme_id \
                 WHERE e.id = $1 AND c2.id <> c.id AND pr2.kind = pr.kind \
                 AND c2.start_date <= c.end_date AND c2.end_date >= c.start_date \
                 AND e.override_reason IS NULL AND e2.override_reason IS NULL \
                 AND (pr2.organisation_id = pr.organisation_id OR pr2.organisation_id IN \
                 (SELECT from_org FROM sharing_agreements WHERE to_org = pr.organisation_id AND level <> 'none')) \
                 ORDER BY e2.id LIMIT 1",
                params![entitlement.as_str()],
            )?;
            let Some(r) = found else { continue };
            let household = r.text(0);
            let (from, to) = (r.text(4), r.text(5));
            let say = |lang: Lang| {
                let kind = domain::messages::code_label(lang, r.str(1));
                let (programme, round) = (r.str(2), r.str(3));
                match lang {
                    Lang::Fr => format!(
                        "déjà prévu pour « {kind} » par le programme {programme}, tour « {round} » (du {} au {}) : une autre distribution l'a reçu ailleurs",
                        domain::dates::stored_day(&from).map_or(from.clone(), |d| domain::dates::shown(lang, d)),
                        domain::dates::stored_day(&to).map_or(to.clone(), |d| domain::dates::shown(lang, d)),
                    ),
                    Lang::En => format!(
                        "already planned for \"{kind}\" by programme {programme}, round \"{round}\" ({} to {}): another distribution received elsewhere",
                        domain::dates::stored_day(&from).map_or(from.clone(), |d| domain::dates::shown(lang, d)),
                        domain::dates::stored_day(&to).map_or(to.clone(), |d| domain::dates::shown(lang, d)),
                    ),
                }
            };
            let detail = serde_json::json!({"fr": say(Lang::Fr), "en": say(Lang::En), "entitlement": entitlement, "other": r.text(6)})
                .to_string();
            opened += usize::from(household_conflict(tx, &household, "_assistance", &detail, now)?);
        }
        Ok(opened)
    }

    /// Replays the touched households' movements and stores what they imply; a chronology
    /// that no longer holds becomes a conflict on the household. Returns the conflicts opened.
    fn replay_households(&mut self, tx: &mut Tx<'_>, today: NaiveDate, now: i64) -> Result<usize, StoreError> {
        let households: Vec<String> = std::mem::take(&mut self.touched).into_iter().collect();
        let mut opened = 0;
        let replayed: Vec<String> = households.iter().filter(|h| !self.derived.contains(*h)).cloned().collect();
        let faults = crate::registry::derive_states(tx, &replayed, today)?;
        // A chronology that holds again closes its conflict.
        let faulty: HashSet<&str> = faults.iter().map(|(h, _)| h.as_str()).collect();
        for household in replayed.iter().filter(|h| !faulty.contains(h.as_str())) {
            if self.conflicts.remove(&(household.clone(), "_timeline".to_string())) {
                tx.execute(
                    "DELETE FROM sync_conflicts WHERE entity = 'household' AND entity_id = $1 AND field = '_timeline'",
                    params![household.as_str()],
                )?;
            }
        }
        for (household, error) in &faults {
            let detail = serde_json::json!({
                "fr": error.render(Lang::Fr),
                "en": error.render(Lang::En),
            })
            .to_string();
            opened += usize::from(household_conflict(tx, household, "_timeline", &detail, now)?);
        }
        let ids: Vec<&str> = households.iter().map(String::as_str).collect();
        if !ids.is_empty() {
            crate::versions::households_changed(tx, &ids)?;
        }
        Ok(opened)
    }
}

/// Opens a conflict on a household (`_timeline`, `_assistance`), or brings its detail up to
/// date; whether it is a new one.
fn household_conflict(
    tx: &mut Tx<'_>,
    household: &str,
    field: &str,
    detail: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let existed = tx.execute(
        "UPDATE sync_conflicts SET detail = $1 WHERE entity = 'household' AND entity_id = $2 AND field = $3",
        params![detail, household, field],
    )?;
    if existed == 0 {
        tx.execute(
            "INSERT INTO sync_conflicts (entity, entity_id, field, household_id, detail, opened_at) VALUES ('household', $1, $2, $1, $3, $4)",
            params![household, field, detail, now],
        )?;
    }
    Ok(existed == 0)
}

/// Whether the sender may change this record: its organisation and région in the sender's
/// scope.
fn check_scope(
    tx: &mut Tx<'_>,
    change: &Change,
    scope: &Scope,
    new_households: &HashMap<String, (String, Option<String>)>,
) -> Result<Result<(), Refusal>, StoreError> {
    if scope.is_everything() {
        return Ok(Ok(()));
    }
    let body = &change.body;
    let text = |field: &str| body.fields.get(field).and_then(|v| v.as_str()).map(str::to_string);
    let allowed = match change.entity {
        // A node's audit log is its own: any enrolled node may pass it on (its chain of hashes
        // shows any alteration).
        Entity::AuditEntry => true,
        Entity::Organisation => scope.organisations.is_empty() || scope.organisations.contains(&change.entity_id),
        // A programme, its rounds and their monitoring samples are its organisation's.
        Entity::Programme | Entity::Cycle | Entity::MonitoringSample => {
            const PROGRAMME: &str = "SELECT organisation_id FROM programmes WHERE id = $1";
            const CYCLE: &str =
                "SELECT p.organisation_id FROM cycles c JOIN programmes p ON p.id = c.programme_id WHERE c.id = $1";
            // A creation names the record above it; an edit's record is here.
            let (sql, key) = match change.entity {
                Entity::Programme if body.creates => (None, text("organisation_id")),
                Entity::Programme => (Some(PROGRAMME), Some(change.entity_id.clone())),
                Entity::Cycle if body.creates => (Some(PROGRAMME), text("programme_id")),
                Entity::Cycle => (Some(CYCLE), Some(change.entity_id.clone())),
                _ if body.creates => (Some(CYCLE), text("cycle_id")),
                _ => (
                    Some(
                        "SELECT p.organisation_id FROM monitoring_samples s JOIN cycles c ON c.id = s.cycle_id \
                         JOIN programmes p ON p.id = c.programme_id WHERE s.id = $1",
                    ),
                    Some(change.entity_id.clone()),
                ),
            };
            let organisation = match (sql, key) {
                (None, organisation) => organisation.unwrap_or_default(),
                (Some(sql), key) => {
                    tx.query_opt(sql, params![key.unwrap_or_default()])?.map(|r| r.text(0)).unwrap_or_default()
                }
            };
            scope.organisations.is_empty() || scope.organisations.contains(&organisation)
        }
        // Plans, the 4W, money, external figures, sites: the country office's.
        entity if entity.office_wide() => false,
        // An account arriving as an administrator: each installation names its own.
        Entity::User if text("role").as_deref() == Some("admin") => false,
        entity if entity.organisation_column().is_some() => {
            let organisation = record_organisation(tx, change)?;
            scope.organisations.is_empty() || organisation.is_some_and(|o| scope.organisations.contains(&o))
        }
        Entity::Household if body.creates => {
            scope.holds(&text("organisation_id").unwrap_or_default(), &[text("registration_point")])
        }
        _ => {
            let household = body.household.clone().unwrap_or_default();
            if let Some((organisation, place)) = new_households.get(&household) {
                let allowed = scope.holds(organisation, std::slice::from_ref(place));
                return Ok(if allowed { Ok(()) } else { Err(Refusal::OutsideScope) });
            }
            match tx.query_opt(
                "SELECT organisation_id, registration_point, current_location FROM households WHERE id = $1",
                params![household],
            )? {
                Some(r) => scope.holds(r.str(0), &[r.opt_text(1), r.opt_text(2)]),
                None => return Ok(Err(Refusal::Invalid { detail: "its household is not here".into() })),
            }
        }
    };
    Ok(if allowed { Ok(()) } else { Err(Refusal::OutsideScope) })
}

/// The organisation whose record a change touches (see [`Entity::organisation_column`]): named
/// by a creation, else read from the record here.
pub(crate) fn record_organisation(tx: &mut Tx<'_>, change: &Change) -> Result<Option<String>, StoreError> {
    let entity = change.entity;
    let Some(column) = entity.organisation_column() else {
        return Ok(None);
    };
    if let Some(organisation) = change.body.fields.get(column).and_then(|v| v.as_str()) {
        return Ok(Some(organisation.to_string()));
    }
    if let Some(i) = entity.key().iter().position(|c| *c == column) {
        return Ok(match entity.key_values(&change.entity_id).into_iter().nth(i) {
            Some(Value::Text(organisation)) => Some(organisation),
            _ => None,
        });
    }
    Ok(tx
        .query_opt(
            &format!("SELECT {column} FROM {} WHERE {}", entity.table(), entity.key_condition(1)),
            &entity.key_values(&change.entity_id),
        )?
        .and_then(|r| r.opt_text(0)))
}

/// Columns a node fills for itself when a record arrives (then derives again).
fn local_defaults(entity: Entity, body: &ChangeBody) -> Vec<(&'static str, Value)> {
    let mut defaults = match entity {
        Entity::Household => vec![
            ("status", Value::from("not_displaced")),
            ("displacement_count", Value::Int(0)),
            ("back_and_forth", Value::Int(0)),
        ],
        Entity::Person => vec![("status", Value::from("not_displaced"))],
        Entity::Cycle => vec![("updated_at", Value::Int(body.at)), ("updated_by", Value::from(body.author.as_str()))],
        _ => Vec::new(),
    };
    if entity.versioned() {
        defaults.extend([
            ("version", Value::Int(1)),
            ("updated_at", Value::Int(body.at)),
            ("updated_by", Value::from(body.author.as_str())),
        ]);
    }
    defaults
}

/// A new record's row (columns and values) as the merged state shows it, with the columns its
/// node fills itself, and a person's searchable name.
fn creation_row(change: &Change, state: &EntityState) -> (Vec<String>, Vec<Value>, Option<String>) {
    let entity = change.entity;
    let mut columns: Vec<String> = entity.key().iter().map(|c| c.to_string()).collect();
    let mut values = entity.key_values(&change.entity_id);
    // Rows travelling inside the record are rows of their own table (`children_rows`).
    let children = entity.children().map(|c| c.field);
    for field in state.fields.keys().filter(|f| Some(f.as_str()) != children && *f != REMOVED) {
        columns.push(field.clone());
        values.push(state.shown_ref(field).map_or(Value::Null, to_value));
    }
    for (column, value) in local_defaults(change.entity, &change.body) {
        columns.push(column.to_string());
        values.push(value);
    }
    let name = (change.entity == Entity::Person).then(|| {
        let text = |field: &str| state.shown_ref(field).and_then(|v| v.as_str()).map(str::to_string);
        crate::registry::stored_name_key(
            &text("given_name").unwrap_or_default(),
            &text("family_name").unwrap_or_default(),
            text("father_name").as_deref(),
            &text("other_spellings").unwrap_or_else(|| "[]".into()),
        )
    });
    if let Some(name) = &name {
        columns.push("name_folded".into());
        values.push(Value::from(name.as_str()));
    }
    (columns, values, name)
}

/// New rows of a table: its kind, the columns, the rows.
type NewRows = (Entity, Vec<String>, Vec<Vec<Value>>);

/// New rows of one table with different columns (a field left empty is not shipped) as rows
/// of every column, empty ones null: one statement (one `COPY` on PostgreSQL) per table.
fn one_statement_per_table(groups: BTreeMap<(Entity, Vec<String>), Vec<Vec<Value>>>) -> Vec<NewRows> {
    let mut tables: Vec<NewRows> = Vec::new();
    let mut groups = groups.into_iter().peekable();
    while let Some(((entity, _), _)) = groups.peek() {
        let entity = *entity;
        let mut of_table = Vec::new();
        while let Some(group) = groups.next_if(|((e, _), _)| *e == entity) {
            of_table.push(group);
        }
        let mut columns: Vec<String> = Vec::new();
        for ((_, group_columns), _) in &of_table {
            for column in group_columns {
                if !columns.contains(column) {
                    columns.push(column.clone());
                }
            }
        }
        let mut rows = Vec::new();
        for ((_, group_columns), group_rows) in of_table {
            let places: Vec<usize> =
                group_columns.iter().map(|c| columns.iter().position(|x| x == c).unwrap_or(0)).collect();
            for row in group_rows {
                let mut full = vec![Value::Null; columns.len()];
                for (value, place) in row.into_iter().zip(&places) {
                    full[*place] = value;
                }
                rows.push(full);
            }
        }
        tables.push((entity, columns, rows));
    }
    tables
}

/// Derives, before they are written, the status and places of the new households among
/// `tables` from their movements among them (as [`crate::registry::derive_states`] would after:
/// updating rows just written costs as much again). Returns the households derived; one whose
/// movements do not hold together is left to the replay, which opens its conflict.
fn derive_new_households(tables: &mut [NewRows], today: NaiveDate) -> HashSet<String> {
    use crate::registry::{derived_state, movement_columns, DerivedState};
    let mut derived = HashSet::new();
    let place = |tables: &[NewRows], entity| tables.iter().position(|(e, _, _)| *e == entity);
    let Some(households) = place(tables, Entity::Household) else {
        return derived;
    };
    let household_at = with_columns(&mut tables[households], &DerivedState::HOUSEHOLD);
    let people = place(tables, Entity::Person);
    let person_at = people.map(|i| with_columns(&mut tables[i], &DerivedState::PERSON));
    let column = |i: usize, name: &str| tables[i].1.iter().position(|c| c == name);
    // Movements as rows of `MOVEMENT_COLUMNS`, by household.
    let mut movements: HashMap<String, Vec<Row>> = HashMap::new();
    if let Some(m) = place(tables, Entity::Movement) {
        let names = movement_columns();
        let columns: std::sync::Arc<[Box<str>]> = names.iter().map(|n| Box::from(*n)).collect();
        let at: Vec<Option<usize>> = names.iter().map(|n| column(m, n)).collect();
        let household = column(m, "household_id");
        for row in &tables[m].2 {
            let values: Vec<Value> = at.iter().map(|a| a.map_or(Value::Null, |a| row[a].clone())).collect();
            let Some(Value::Text(h)) = household.map(|h| &row[h]) else { continue };
            movements.entry(h.clone()).or_default().push(Row::new(columns.clone(), values));
        }
    }
    // Members by household, with their rows.
    let mut members: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    if let Some(p) = people {
        let (id, household) = (column(p, "id"), column(p, "household_id"));
        for (r, row) in tables[p].2.iter().enumerate() {
            if let (Some(Value::Text(person)), Some(Value::Text(h))) = (id.map(|i| &row[i]), household.map(|i| &row[i]))
            {
                members.entry(h.clone()).or_default().push((person.clone(), r));
            }
        }
    }
    let (id, registered) = (column(households, "id"), column(households, "registered_location"));
    for r in 0..tables[households].2.len() {
        let row = &tables[households].2[r];
        let Some(Value::Text(household)) = id.map(|i| row[i].clone()) else { continue };
        let registered = match registered.map(|i| &row[i]) {
            Some(Value::Text(place)) => Some(place.clone()),
            _ => None,
        };
        let of_household = members.get(&household).map_or(&[][..], Vec::as_slice);
        let ids: Vec<String> = of_household.iter().map(|(p, _)| p.clone()).collect();
        let rows = movements.get(&household).map_or(&[][..], Vec::as_slice);
        let Ok(state) = derived_state(registered, rows, &ids, today) else { continue };
        for (value, at) in state.household.into_iter().zip(&household_at) {
            tables[households].2[r][*at] = value;
        }
        if let (Some(p), Some(person_at)) = (people, &person_at) {
            for ((_, pr), values) in of_household.iter().zip(state.people) {
                for (value, at) in values.into_iter().zip(person_at) {
                    tables[p].2[*pr][*at] = value;
                }
            }
        }
        derived.insert(household);
    }
    derived
}

/// Where each of `wanted` is among a table's columns, added (null in every row) if missing.
fn with_columns(table: &mut NewRows, wanted: &[&str]) -> Vec<usize> {
    let (_, columns, rows) = table;
    wanted
        .iter()
        .map(|w| match columns.iter().position(|c| c == w) {
            Some(at) => at,
            None => {
                columns.push(w.to_string());
                rows.iter_mut().for_each(|r| r.push(Value::Null));
                columns.len() - 1
            }
        })
        .collect()
}

/// The rows travelling inside a record (an entitlement's people, a flow's sectors, a
/// series version's figures) as rows of their table.
fn children_rows(entity: Entity, id: &str, state: &EntityState) -> Vec<Vec<Value>> {
    let Some(children) = entity.children() else {
        return Vec::new();
    };
    let list = state.shown(children.field);
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    items
        .iter()
        .map(|item| {
            let mut row = vec![Value::from(id)];
            match item.as_array() {
                Some(values) if children.columns.len() > 1 => row.extend(values.iter().map(to_value)),
                _ => row.push(to_value(item)),
            }
            row
        })
        .collect()
}

/// Writes again the rows travelling inside a record, as its merged state now lists them.
fn replace_children(tx: &mut Tx<'_>, entity: Entity, id: &str, state: &EntityState) -> Result<(), StoreError> {
    if let Some(children) = entity.children() {
        tx.execute(&format!("DELETE FROM {} WHERE {} = $1", children.table, children.parent), params![id])?;
        tx.insert_rows(children.table, &children.row_columns(), children_rows(entity, id, state))?;
    }
    Ok(())
}

/// A record deleted where the change was made (its rows inside it first).
fn remove(tx: &mut Tx<'_>, entity: Entity, id: &str) -> Result<(), StoreError> {
    if let Some(children) = entity.children() {
        tx.execute(&format!("DELETE FROM {} WHERE {} = $1", children.table, children.parent), params![id])?;
    }
    tx.execute(&format!("DELETE FROM {} WHERE {}", entity.table(), entity.key_condition(1)), &entity.key_values(id))?;
    Ok(())
}

/// A reviewed pair arrives for two people this node had queued as a pair itself: the pending
/// pair (never shipped) gives way to the decision.
fn forget_pending_pair(tx: &mut Tx<'_>, change: &Change) -> Result<(), StoreError> {
    let person = |f: &str| change.body.fields.get(f).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let (a, b) = (person("person_a"), person("person_b"));
    tx.execute(
        "DELETE FROM duplicate_pairs WHERE status = 'pending' AND ((person_a = $1 AND person_b = $2) OR (person_a = $2 AND person_b = $1))",
        params![a, b],
    )?;
    Ok(())
}

fn insert(tx: &mut Tx<'_>, change: &Change, state: &EntityState) -> Result<(), StoreError> {
    let (columns, values, name) = creation_row(change, state);
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    tx.insert_rows(change.entity.table(), &columns, vec![values])?;
    if let Some(children) = change.entity.children() {
        let rows = children_rows(change.entity, &change.entity_id, state);
        tx.insert_rows(children.table, &children.row_columns(), rows)?;
    }
    if let Some(name) = name {
        crate::registry::write_name_terms(tx, &[(&change.entity_id, &name)])?;
    }
    Ok(())
}

/// A person whose names changed by sync: their searchable name and its index follow.
fn rename(tx: &mut Tx<'_>, person: &str) -> Result<(), StoreError> {
    let Some(r) = tx.query_opt(
        "SELECT given_name, family_name, father_name, other_spellings, name_folded FROM people WHERE id = $1",
        params![person],
    )?
    else {
        return Ok(());
    };
    let name = crate::registry::stored_name_key(r.str(0), r.str(1), r.opt_text(2).as_deref(), r.str(3));
    if name != r.str(4) {
        tx.execute("UPDATE people SET name_folded = $1 WHERE id = $2", params![name.as_str(), person])?;
        crate::registry::rename_terms(tx, person, r.str(4), &name)?;
    }
    Ok(())
}

/// Writes the fields a change touched as the merged state now shows them, with a version
/// and a history entry on households and people.
pub(crate) fn write_fields(
    tx: &mut Tx<'_>,
    change: &Change,
    state: &EntityState,
    row: &crate::db::Row,
) -> Result<(), StoreError> {
    let entity = change.entity;
    let mut sets = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut diff = serde_json::Map::new();
    let children = entity.children().map(|c| c.field);
    for field in change.body.fields.keys() {
        if field == REMOVED {
            continue;
        }
        if Some(field.as_str()) == children {
            replace_children(tx, entity, &change.entity_id, state)?;
            continue;
        }
        let before = to_field(row.get(field)?);
        let shown = state.shown(field);
        if before != shown {
            diff.insert(field.clone(), serde_json::json!({"from": before, "to": shown}));
            params.push(to_value(&shown));
            sets.push(format!("{field} = ${}", params.len()));
        }
    }
    if sets.is_empty() {
        return Ok(());
    }
    let id = change.entity_id.as_str();
    if entity.versioned() {
        let version = row.int_of("version")? + 1;
        for (column, value) in [
            ("version", Value::Int(version)),
            ("updated_at", Value::Int(change.body.at)),
            ("updated_by", Value::from(change.body.author.as_str())),
        ] {
            params.push(value);
            sets.push(format!("{column} = ${}", params.len()));
        }
        let reason = if change.body.reason.is_empty() { "sync" } else { change.body.reason.as_str() };
        crate::registry::write_version(
            tx,
            entity.as_str(),
            id,
            version,
            change.body.at,
            &change.body.author,
            reason,
            &serde_json::Value::Object(diff.clone()),
        )?;
    }
    let condition = entity.key_condition(params.len() + 1);
    params.extend(entity.key_values(id));
    tx.execute(&format!("UPDATE {} SET {} WHERE {condition}", entity.table(), sets.join(", ")), &params)?;
    let names = ["given_name", "family_name", "father_name", "other_spellings"];
    if entity == Entity::Person && names.iter().any(|n| diff.contains_key(*n)) {
        rename(tx, id)?;
    }
    Ok(())
}
