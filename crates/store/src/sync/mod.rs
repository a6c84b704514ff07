//! Offline sync between installations. Each node (a field office's laptop on SQLite, the
//! country office on PostgreSQL) numbers its changes in its own feed; nodes exchange what the
//! other lacks (each says what it holds as a vector: the highest sequence number per origin);
//! fields are merged one by one and two edits of one field made without seeing each other
//! are both kept, as a conflict a person resolves. See ARCHITECTURE.md, "Sync".

pub mod apply;
pub mod bundle;
pub mod capture;
pub mod change;
mod node;
mod state;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use apply::{Received, Refusal, Refused};
pub use bundle::{Batch, BundleError};
pub use change::{origin_key, Change, ChangeId, Entity, Vector};
use node::Node;

use crate::db::{Tx, Value};
use crate::error::StoreError;
use crate::visibility::{Access, Visibility};
use crate::{audit, new_id, params, Actor, Sql, Store};

/// What a node receives from this one and may change here: organisations (ids) and régions
/// (admin 1 P-codes); an empty list is all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scope {
    pub organisations: Vec<String>,
    pub regions: Vec<String>,
    /// A node that is unknown here or revoked: nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nothing: bool,
}

impl Scope {
    pub fn everything() -> Scope {
        Scope::default()
    }

    pub fn nothing() -> Scope {
        Scope { nothing: true, ..Scope::default() }
    }

    pub fn is_everything(&self) -> bool {
        !self.nothing && self.organisations.is_empty() && self.regions.is_empty()
    }

    /// Whether a household of this organisation is in scope: registered or living now in
    /// one of its régions (a field office keeps the households it registered).
    pub fn holds(&self, organisation: &str, places: &[Option<String>]) -> bool {
        !self.nothing
            && (self.organisations.is_empty() || self.organisations.iter().any(|o| o == organisation))
            && (self.regions.is_empty()
                || places.iter().flatten().any(|p| self.regions.iter().any(|r| p.starts_with(r.as_str()))))
    }

    /// The scope of an enrolled, unrevoked peer.
    pub(crate) fn of_peer(tx: &mut Tx<'_>, node: &str) -> Result<Option<Scope>, StoreError> {
        let Some(row) = tx.query_opt(
            "SELECT organisations, regions FROM sync_peers WHERE node_id = $1 AND revoked_at IS NULL",
            params![node],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Scope {
            organisations: serde_json::from_str(row.str(0)).unwrap_or_default(),
            regions: serde_json::from_str(row.str(1)).unwrap_or_default(),
            nothing: false,
        }))
    }
}

/// A household's organisation and places (registration point, where it lives now).
type HouseholdScope = (String, Vec<Option<String>>);

/// This installation as a node, as others see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeInfo {
    pub node_id: String,
    pub name: String,
    pub epoch: i64,
    /// Ed25519 public key (hex) that checks this node's bundles.
    pub public_key: String,
}

/// How a field node calls its office (`djoliba sync connect`).
pub struct OfficeLink {
    pub office: NodeInfo,
    pub url: String,
    /// The bearer token the office gave at enrolment (never printed).
    pub token: String,
    /// The certificate (PEM) trusted for the office's HTTPS address, if not a public one.
    pub ca_certificate: Option<String>,
}

/// A node this one exchanges with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Peer {
    pub node_id: String,
    pub name: String,
    /// Where this node calls it (the office it enrolled with).
    pub url: Option<String>,
    pub scope: Scope,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_contact_at: Option<i64>,
    /// Changes here that it has not acknowledged.
    pub pending: i64,
}

/// The sync page's summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncStatus {
    pub node: NodeInfo,
    pub peers: Vec<Peer>,
    /// Changes received before what they build on.
    pub waiting: i64,
    /// Changes received and refused (kept with their reason).
    pub refused: i64,
    /// Disputed fields and inconsistent chronologies the user may see.
    pub conflicts: i64,
    /// Changes in this node's feed (its own and received).
    pub changes: i64,
}

/// A field with two values (or a household whose chronology no longer holds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conflict {
    pub entity: String,
    pub entity_id: String,
    /// The field, or `_timeline` for a household's chronology.
    pub field: String,
    pub household_id: Option<String>,
    pub opened_at: i64,
    /// The values kept, each with the change, its author and time (none for a chronology).
    pub values: Vec<ConflictValue>,
    /// For a chronology: what no longer holds, in French and English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<HashMap<String, String>>,
}

/// One of a disputed field's values. Its `Debug` hides the value (it may be a name).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictValue {
    pub change: String,
    pub value: Option<String>,
    pub author: String,
    pub author_name: Option<String>,
    /// The office (node) where the value was set, by the name it was enrolled or made with.
    pub office: Option<String>,
    pub at: i64,
    /// The value the record shows until someone decides.
    pub shown: bool,
}

impl std::fmt::Debug for ConflictValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConflictValue").field("change", &self.change).field("shown", &self.shown).finish()
    }
}

/// What enrolling a field node gives: the token it presents (shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolment {
    pub node: NodeInfo,
    pub token: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment").field("node", &self.node).finish()
    }
}

/// Records changes in this node's feed, all with one outcome (`applied` on the node that made
/// them), and moves each origin's mark.
pub(crate) fn store_changes(
    tx: &mut Tx<'_>,
    node: &mut Node,
    changes: &[Change],
    outcome: &str,
    rejection: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let rows: Vec<FeedRow> = changes.iter().map(|c| FeedRow::of(c, rejection.map(str::to_string))).collect();
    store_feed(tx, node, &rows, outcome, now)
}

/// A change as the feed keeps it: its identity, its body as stored and its hash, and why it
/// was refused.
pub(crate) struct FeedRow {
    pub id: ChangeId,
    pub entity: Entity,
    pub entity_id: String,
    pub household: Option<String>,
    pub withheld: bool,
    pub body: String,
    pub hash: String,
    pub rejection: Option<String>,
}

impl FeedRow {
    pub(crate) fn of(change: &Change, rejection: Option<String>) -> FeedRow {
        let (body, hash) = change.encoded();
        FeedRow {
            id: change.id.clone(),
            entity: change.entity,
            entity_id: change.entity_id.clone(),
            household: change.body.household.clone(),
            withheld: change.body.withheld,
            body,
            hash,
            rejection,
        }
    }
}

/// Records changes in the feed: `outcome` for those not refused or withheld, and moves each
/// origin's mark (never back).
pub(crate) fn store_feed(
    tx: &mut Tx<'_>,
    node: &mut Node,
    changes: &[FeedRow],
    outcome: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(changes.len());
    let mut marks: HashMap<(String, i64), i64> = HashMap::new();
    for change in changes {
        let outcome = match (change.withheld, &change.rejection) {
            (true, _) => "withheld",
            (false, Some(_)) => "rejected",
            (false, None) => outcome,
        };
        rows.push(vec![
            Value::from(change.id.node.as_str()),
            Value::Int(change.id.epoch),
            Value::Int(change.id.seq),
            Value::Int(node.next_order()),
            Value::from(change.entity.as_str()),
            Value::from(change.entity_id.as_str()),
            Value::from(change.household.clone()),
            Value::from(change.body.as_str()),
            Value::from(change.hash.as_str()),
            Value::from(outcome),
            Value::from(change.rejection.clone()),
            Value::Int(now),
        ]);
        let mark = marks.entry((change.id.node.clone(), change.id.epoch)).or_default();
        *mark = (*mark).max(change.id.seq);
    }
    tx.insert_rows(
        "sync_changes",
        &[
            "node_id",
            "epoch",
            "seq",
            "local_order",
            "entity",
            "entity_id",
            "household_id",
            "body",
            "hash",
            "outcome",
            "rejection",
            "received_at",
        ],
        rows,
    )?;
    for ((origin, epoch), seq) in marks {
        tx.execute(
            "INSERT INTO sync_origins (node_id, epoch, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (node_id, epoch) DO UPDATE SET seq = excluded.seq WHERE sync_origins.seq < excluded.seq",
            params![origin, epoch, seq],
        )?;
    }
    Ok(())
}

/// A batch on the wire: small enough that a link cut mid-way costs little to send again.
pub const BATCH_BYTES: usize = 64 * 1024;

/// What this node holds: the highest sequence number per origin.
pub(crate) fn origin_vector(tx: &mut Tx<'_>) -> Result<Vector, StoreError> {
    Ok(tx
        .query("SELECT node_id, epoch, seq FROM sync_origins", params![])?
        .iter()
        .map(|r| (origin_key(r.str(0), r.int(1)), r.int(2)))
        .collect())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

fn node_info(node: &Node) -> Result<NodeInfo, StoreError> {
    Ok(NodeInfo {
        node_id: node.node_id.clone(),
        name: node.name.clone(),
        epoch: node.epoch,
        public_key: node.public_key()?,
    })
}

/// This installation is not a sync node (`djoliba sync init` makes it one).
fn not_a_node() -> StoreError {
    StoreError::NotFound("sync node")
}

/// Changes of `origin` this node holds beyond `after`, up to `limit`.
fn changes_of_origin(
    tx: &mut Tx<'_>,
    node: &str,
    epoch: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<(i64, String, Change)>, StoreError> {
    let limit = limit.min(i64::MAX as usize / 2);
    let rows = tx.query(
        &format!(
            "SELECT local_order, outcome, node_id, epoch, seq, entity, entity_id, body FROM sync_changes \
             WHERE node_id = $1 AND epoch = $2 AND seq > $3 ORDER BY seq LIMIT {limit}"
        ),
        params![node, epoch, after],
    )?;
    rows.iter()
        .map(|r| {
            let entity = change::Entity::parse(r.str(5))
                .ok_or_else(|| StoreError::Database(format!("unknown sync entity {}", r.str(5))))?;
            let body = serde_json::from_str(r.str(7))
                .map_err(|e| StoreError::Database(format!("a sync change is damaged: {e}")))?;
            Ok((
                r.int(0),
                r.text(1),
                Change {
                    id: ChangeId { node: r.text(2), epoch: r.int(3), seq: r.int(4) },
                    entity,
                    entity_id: r.text(6),
                    body,
                },
            ))
        })
        .collect()
}

/// A household's changes applied here before `before` (a local order), oldest first.
fn household_history(tx: &mut Tx<'_>, household: &str, before: i64) -> Result<Vec<(i64, Change)>, StoreError> {
    let rows = tx.query(
        "SELECT local_order, node_id, epoch, seq, entity, entity_id, body FROM sync_changes \
         WHERE household_id = $1 AND outcome = 'applied' AND local_order < $2 ORDER BY local_order",
        params![household, before],
    )?;
    rows.iter()
        .map(|r| {
            let entity = change::Entity::parse(r.str(4))
                .ok_or_else(|| StoreError::Database(format!("unknown sync entity {}", r.str(4))))?;
            let body = serde_json::from_str(r.str(6))
                .map_err(|e| StoreError::Database(format!("a sync change is damaged: {e}")))?;
            let id = ChangeId { node: r.text(1), epoch: r.int(2), seq: r.int(3) };
            Ok((r.int(0), Change { id, entity, entity_id: r.text(5), body }))
        })
        .collect()
}

impl Store {
    /// This installation as a node, if it is one.
    pub fn sync_node(&self) -> Result<Option<NodeInfo>, StoreError> {
        self.db.read(|tx| Node::read(tx)?.as_ref().map(node_info).transpose())
    }

    /// Turns the change feed on if this installation is a node (at start).
    pub(crate) fn start_sync_capture(&self) -> Result<(), StoreError> {
        let node = self.db.read(Node::read)?;
        self.db.capture_changes(node.is_some());
        Ok(())
    }

    /// Makes this installation a sync node named `name`: a new identity and key, and every
    /// record already here recorded as this node's changes (what it will ship first).
    pub fn sync_init(&self, actor: &Actor, name: &str) -> Result<NodeInfo, StoreError> {
        actor.require_admin()?;
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(StoreError::invalid("name", name, domain::Message::SyncNodeName));
        }
        let now = self.now_ms();
        let info = self.db.write(|tx| {
            if Node::read(tx)?.is_some() {
                return Err(StoreError::Conflict(domain::Message::SyncAlreadyNode));
            }
            tx.execute(
                "INSERT INTO sync_node (id, node_id, name, epoch, next_seq, next_order, signing_key, audit_seq, created_at) VALUES (1, $1, $2, 1, 1, 1, $3, 0, $4)",
                params![new_id(), name, random_hex(32)?, now],
            )?;
            capture::since(tx, capture::Counters::origin())?;
            let node = Node::read(tx)?.ok_or_else(not_a_node)?;
            audit::record(tx, actor, now, "sync.init", "sync_node", &node.node_id, serde_json::json!({}))?;
            node_info(&node)
        })?;
        self.db.capture_changes(true);
        Ok(info)
    }

    /// A restored copy of this node's database: its sequence numbers start again in a new
    /// epoch (the copy may lack changes it already shipped under the old numbers).
    pub fn sync_new_epoch(&self, actor: &Actor) -> Result<NodeInfo, StoreError> {
        actor.require_admin()?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let mut node = Node::lock(tx)?.ok_or_else(not_a_node)?;
            node.new_epoch();
            node.save(tx)?;
            audit::record(
                tx,
                actor,
                now,
                "sync.new_epoch",
                "sync_node",
                &node.node_id,
                serde_json::json!({"epoch": node.epoch}),
            )?;
            node_info(&node)
        })
    }

    /// Enrols a field node: what it receives and may change here, and the token it presents
    /// (returned once; only its hash is kept).
    pub fn sync_enrol(
        &self,
        actor: &Actor,
        node: &NodeInfo,
        organisation_codes: &[String],
        regions: &[String],
    ) -> Result<Enrolment, StoreError> {
        actor.require_admin()?;
        let now = self.now_ms();
        let token = random_hex(32)?;
        let regions = &self.check_regions(regions)?;
        let here = self.db.write(|tx| {
            let here = Node::read(tx)?.ok_or_else(not_a_node)?;
            if node.node_id == here.node_id {
                return Err(StoreError::invalid("node_id", &node.node_id, domain::Message::SyncSameNode));
            }
            let key_ok = hex::decode(&node.public_key).ok().and_then(|k| <[u8; 32]>::try_from(k).ok()).is_some_and(|k| {
                ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok()
            });
            if !key_ok {
                return Err(StoreError::invalid("public_key", "", domain::Message::SyncPublicKey));
            }
            let mut organisations = Vec::new();
            for code in organisation_codes {
                let row = tx.query_opt("SELECT id FROM organisations WHERE code = $1", params![code.as_str()])?;
                organisations.push(row.map(|r| r.text(0)).ok_or(StoreError::NotFound("organisation"))?);
            }
            tx.execute("DELETE FROM sync_peers WHERE node_id = $1", params![node.node_id.as_str()])?;
            tx.execute(
                "INSERT INTO sync_peers (node_id, name, public_key, token_hash, organisations, regions, enrolled_at, known_vector) VALUES ($1, $2, $3, $4, $5, $6, $7, '{}')",
                params![
                    node.node_id.as_str(),
                    node.name.as_str(),
                    node.public_key.as_str(),
                    token_hash(&token),
                    serde_json::to_string(&organisations).unwrap_or_default(),
                    serde_json::to_string(regions).unwrap_or_default(),
                    now
                ],
            )?;
            audit::record(tx, actor, now, "sync.enrol", "sync_peer", &node.node_id, serde_json::json!({"regions": regions}))?;
            node_info(&here)
        })?;
        Ok(Enrolment { node: here, token })
    }

    /// Stops exchanging with a node: its token and bundles are refused from now on.
    pub fn sync_revoke(&self, actor: &Actor, node_id: &str) -> Result<(), StoreError> {
        actor.require_admin()?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let n = tx.execute(
                "UPDATE sync_peers SET revoked_at = $1 WHERE node_id = $2 AND revoked_at IS NULL",
                params![now, node_id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("node"));
            }
            audit::record(tx, actor, now, "sync.revoke", "sync_peer", node_id, serde_json::json!({}))
        })
    }

    /// Records the office this node enrolled with: where to call it, with which token. It may
    /// send this node anything (it decides what this node receives).
    pub fn sync_connect(
        &self,
        actor: &Actor,
        office: &NodeInfo,
        url: &str,
        token: &str,
        ca_certificate: Option<&str>,
    ) -> Result<(), StoreError> {
        actor.require_admin()?;
        let now = self.now_ms();
        self.db.write(|tx| {
            Node::read(tx)?.ok_or_else(not_a_node)?;
            tx.execute("DELETE FROM sync_peers WHERE node_id = $1", params![office.node_id.as_str()])?;
            tx.execute(
                "INSERT INTO sync_peers (node_id, name, public_key, url, token, organisations, regions, enrolled_at, known_vector, ca_certificate) VALUES ($1, $2, $3, $4, $5, '[]', '[]', $6, '{}', $7)",
                params![office.node_id.as_str(), office.name.as_str(), office.public_key.as_str(), url, token, now, ca_certificate],
            )?;
            audit::record(tx, actor, now, "sync.connect", "sync_peer", &office.node_id, serde_json::json!({}))
        })
    }

    /// The enrolled node presenting this token, if it is not revoked.
    pub fn sync_peer_by_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        let hash = token_hash(token);
        self.db.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT node_id FROM sync_peers WHERE token_hash = $1 AND revoked_at IS NULL",
                    params![hash.as_str()],
                )?
                .map(|r| r.text(0)))
        })
    }

    /// Where and how this node calls the office it enrolled with.
    pub fn sync_office(&self) -> Result<Option<OfficeLink>, StoreError> {
        self.db.read(|tx| {
            let row = tx.query_opt(
                "SELECT node_id, name, public_key, url, token, ca_certificate FROM sync_peers WHERE url IS NOT NULL AND revoked_at IS NULL ORDER BY enrolled_at DESC LIMIT 1",
                params![],
            )?;
            Ok(row.map(|r| OfficeLink {
                office: NodeInfo { node_id: r.text(0), name: r.text(1), epoch: 0, public_key: r.text(2) },
                url: r.text(3),
                token: r.text(4),
                ca_certificate: r.opt_text(5),
            }))
        })
    }

    /// What this node holds.
    pub fn sync_vector(&self) -> Result<Vector, StoreError> {
        self.db.read(origin_vector)
    }

    /// A peer's vector as it last told it (what it acknowledged), and the time of contact.
    pub fn sync_contact(&self, peer: &str, vector: &Vector) -> Result<(), StoreError> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let mut node = Node::lock(tx)?.ok_or_else(not_a_node)?;
            // A peer holding numbers of this node's epoch that this node has not reached: this
            // database was restored from an older copy.
            let mine = vector.get(&origin_key(&node.node_id, node.epoch)).copied().unwrap_or(0);
            if mine >= node.next_seq {
                node.new_epoch();
                node.save(tx)?;
            }
            tx.execute(
                "UPDATE sync_peers SET known_vector = $1, last_contact_at = $2 WHERE node_id = $3",
                params![serde_json::to_string(vector).unwrap_or_default(), now, peer],
            )?;
            Ok(())
        })
    }

    /// The changes this node holds that a peer holding `theirs` lacks, oldest first, up to
    /// `limit`; and whether more remain. Changes outside the peer's scope go as withheld
    /// (their number only).
    pub fn sync_changes_for(&self, peer: &str, theirs: &Vector, limit: usize) -> Result<(Batch, bool), StoreError> {
        self.db.read(|tx| {
            let node = Node::read(tx)?.ok_or_else(not_a_node)?;
            let scope = Scope::of_peer(tx, peer)?.unwrap_or_else(Scope::nothing);
            let ours = origin_vector(tx)?;
            let mut found = Vec::new();
            for (key, seq) in &ours {
                let after = theirs.get(key).copied().unwrap_or(0);
                if *seq > after {
                    let (origin, epoch) = key.rsplit_once(':').unwrap_or((key, "0"));
                    found.extend(changes_of_origin(tx, origin, epoch.parse().unwrap_or(0), after, limit + 1)?);
                }
            }
            found.sort_by_key(|(order, _, _)| *order);
            let more = found.len() > limit;
            found.truncate(limit);
            // Each household's organisation and places, read once.
            let mut places: HashMap<String, Option<HouseholdScope>> = HashMap::new();
            let mut changes = Vec::with_capacity(found.len());
            let mut sent: HashSet<ChangeId> = found.iter().map(|(_, _, c)| c.id.clone()).collect();
            let mut histories: HashSet<String> = HashSet::new();
            for (order, outcome, mut change) in found {
                let in_scope = outcome == "applied"
                    && match (&change.body.household, scope.is_everything()) {
                        (_, true) => true,
                        // Audit logs go to the offices that receive everything.
                        _ if change.entity == Entity::AuditEntry => false,
                        // Accounts (with their password hashes) go only where their
                        // organisation works.
                        (None, false) if change.entity == Entity::User => {
                            let organisation = apply::record_organisation(tx, &change)?;
                            !scope.nothing
                                && (scope.organisations.is_empty()
                                    || organisation.is_some_and(|o| scope.organisations.contains(&o)))
                        }
                        (None, false) => !scope.nothing,
                        (Some(household), false) => {
                            if !places.contains_key(household) {
                                let row = tx.query_opt(
                                    "SELECT organisation_id, registration_point, current_location FROM households WHERE id = $1",
                                    params![household.as_str()],
                                )?;
                                places.insert(household.clone(), row.map(|r| (r.text(0), vec![r.opt_text(1), r.opt_text(2)])));
                            }
                            places[household].as_ref().is_some_and(|(o, p)| scope.holds(o, p))
                        }
                    };
                if !in_scope {
                    change.body = change::ChangeBody { withheld: true, ..change::ChangeBody::default() };
                    change.entity_id = String::new();
                } else if let Some(household) = change.body.household.clone().filter(|_| !scope.is_everything()) {
                    // A household in scope only where it lives now (registered elsewhere) may
                    // have come in after its earlier changes went as withheld: they go again,
                    // whole, before its first change of the batch (a node that has them
                    // finds them already here).
                    let moved_in = places[&household].as_ref().is_some_and(|(o, p)| !scope.holds(o, &p[..1]));
                    if moved_in && histories.insert(household.clone()) {
                        for (_, earlier) in household_history(tx, &household, order)? {
                            if sent.insert(earlier.id.clone()) {
                                changes.push(earlier);
                            }
                        }
                    }
                }
                changes.push(change);
            }
            Ok((Batch { from: node.node_id, changes }, more))
        })
    }

    /// Receives a batch from a peer (checked by the caller: its token or its bundle's
    /// signature), all or nothing.
    pub fn sync_receive(&self, batch: Batch) -> Result<Received, StoreError> {
        let now = self.now_ms();
        let today = self.today();
        let received = self.db.write_received(|tx| {
            let mut node = Node::lock(tx)?.ok_or_else(not_a_node)?;
            let scope =
                Scope::of_peer(tx, &batch.from)?.ok_or(StoreError::Forbidden("this node is not enrolled here"))?;
            let received = apply::receive(tx, &mut node, &batch.from, &scope, batch.changes, now, today)?;
            tx.execute(
                "UPDATE sync_peers SET last_contact_at = $1 WHERE node_id = $2",
                params![now, batch.from.as_str()],
            )?;
            Ok(received)
        })?;
        Ok(received)
    }

    /// This node's changes a peer lacks (by its last known vector, or all), sealed for a USB
    /// key.
    pub fn sync_bundle_out(&self, actor: &Actor, peer: Option<&str>) -> Result<Vec<u8>, StoreError> {
        actor.require_admin()?;
        let (peer_id, known) = self.db.read(|tx| {
            let row = match peer {
                Some(p) => tx
                    .query_opt(
                        "SELECT node_id, known_vector FROM sync_peers WHERE (node_id = $1 OR name = $1) AND revoked_at IS NULL",
                        params![p],
                    )?
                    .ok_or(StoreError::NotFound("node"))
                    .map(Some)?,
                None => None,
            };
            if let Some(r) = row {
                return Ok((r.text(0), serde_json::from_str(r.str(1)).unwrap_or_default()));
            }
            // Without a node named: everything this node holds, as its only peer may see it
            // (a field laptop's office). A node with several peers must say which: each
            // receives its own organisations' and régions' households only.
            let peers = tx.query("SELECT node_id FROM sync_peers WHERE revoked_at IS NULL", params![])?;
            match peers.as_slice() {
                [only] => Ok((only.text(0), Vector::new())),
                _ => Err(StoreError::invalid("for", "", domain::Message::SyncBundleFor)),
            }
        })?;
        let (batch, _) = self.sync_changes_for(&peer_id, &known, usize::MAX / 2)?;
        let key = self.db.read(|tx| Node::read(tx)?.ok_or_else(not_a_node)?.signing_key())?;
        let now = self.now_ms();
        self.db.write(|tx| {
            audit::record(
                tx,
                actor,
                now,
                "sync.bundle_out",
                "sync_peer",
                &peer_id,
                serde_json::json!({"changes": batch.changes.len()}),
            )
        })?;
        bundle::seal(&batch, &key)
    }

    /// Every applied change this node holds, in the order it recorded them (a bundle for a
    /// node not enrolled here yet; benchmarks).
    pub fn sync_all_changes(&self) -> Result<(Batch, bool), StoreError> {
        self.db.read(|tx| {
            let node = Node::read(tx)?.ok_or_else(not_a_node)?;
            let ours = origin_vector(tx)?;
            let mut found = Vec::new();
            for key in ours.keys() {
                let (origin, epoch) = key.rsplit_once(':').unwrap_or((key, "0"));
                found.extend(changes_of_origin(tx, origin, epoch.parse().unwrap_or(0), 0, usize::MAX / 2)?);
            }
            found.sort_by_key(|(order, _, _)| *order);
            let changes = found.into_iter().filter(|(_, outcome, _)| outcome == "applied").map(|(_, _, c)| c).collect();
            Ok((Batch { from: node.node_id, changes }, false))
        })
    }

    /// Reads a sealed bundle (a file carried by hand, or a pushed batch): its sender must be a
    /// node known here and its signature must hold.
    pub fn sync_open(&self, bytes: &[u8]) -> Result<Batch, StoreError> {
        let refused = |e: BundleError| StoreError::Config(e.to_string());
        let hint = bundle::key_hint(bytes).map_err(refused)?;
        let peers = self
            .db
            .read(|tx| tx.query("SELECT node_id, public_key FROM sync_peers WHERE revoked_at IS NULL", params![]))?;
        // Four bytes of key find the sender (keys were enrolled in either case of hex); two
        // nodes sharing them are both tried.
        let candidates = peers.iter().filter(|p| p.str(1).to_ascii_lowercase().starts_with(&hint));
        let mut error = BundleError::UnknownSender(hint.clone());
        for peer in candidates {
            match bundle::open(bytes, peer.str(0), peer.str(1)) {
                Ok(batch) => return Ok(batch),
                Err(e) => error = e,
            }
        }
        Err(refused(error))
    }

    /// The changes a peer holding `theirs` lacks, sealed, in a batch of at most `max_bytes`
    /// (a cut link then costs one batch); how many it holds and whether more remain.
    pub fn sync_sealed_for(
        &self,
        peer: &str,
        theirs: &Vector,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, usize, bool), StoreError> {
        // Sizes are estimated with zstd's fastest level (its output is some 25 % larger than
        // the final level's), and checked once sealed.
        let mut limit = 4_000;
        loop {
            let (batch, more) = self.sync_changes_for(peer, theirs, limit)?;
            let count = batch.changes.len();
            let estimate = bundle::compress_at(&batch, 1)?.len() * 4 / 5 + 120;
            if estimate > max_bytes && count > 1 {
                limit = (count * max_bytes * 9 / 10 / estimate).clamp(1, count - 1);
                continue;
            }
            let sealed = self.sync_seal(&batch)?;
            if sealed.len() <= max_bytes || count <= 1 {
                return Ok((sealed, count, more));
            }
            limit = (count * 9 / 10).clamp(1, count - 1);
        }
    }

    /// Seals a batch with this node's key.
    pub fn sync_seal(&self, batch: &Batch) -> Result<Vec<u8>, StoreError> {
        let key = self.db.read(|tx| Node::read(tx)?.ok_or_else(not_a_node)?.signing_key())?;
        bundle::seal(batch, &key)
    }

    /// The node's state: peers, what waits, what was refused, conflicts the user may see.
    pub fn sync_status(&self, actor: &Actor) -> Result<SyncStatus, StoreError> {
        actor.require_admin()?;
        self.db.read(|tx| {
            // An administrator sees every conflict.
            let conflicts = tx.query_int("SELECT COUNT(*) FROM sync_conflicts", params![])?;
            let node = Node::read(tx)?.ok_or_else(not_a_node)?;
            let ours = origin_vector(tx)?;
            let rows = tx.query(
                "SELECT node_id, name, url, organisations, regions, enrolled_at, revoked_at, last_contact_at, known_vector FROM sync_peers ORDER BY name",
                params![],
            )?;
            let peers = rows
                .iter()
                .map(|r| {
                    let known: Vector = serde_json::from_str(r.str(8)).unwrap_or_default();
                    let pending = ours
                        .iter()
                        .filter(|(key, _)| !key.starts_with(&format!("{}:", r.str(0))))
                        .map(|(key, seq)| (seq - known.get(key).copied().unwrap_or(0)).max(0))
                        .sum();
                    Peer {
                        node_id: r.text(0),
                        name: r.text(1),
                        url: r.opt_text(2),
                        scope: Scope {
                            organisations: serde_json::from_str(r.str(3)).unwrap_or_default(),
                            regions: serde_json::from_str(r.str(4)).unwrap_or_default(),
                            nothing: false,
                        },
                        enrolled_at: r.int(5),
                        revoked_at: r.opt_int(6),
                        last_contact_at: r.opt_int(7),
                        pending,
                    }
                })
                .collect();
            Ok(SyncStatus {
                node: node_info(&node)?,
                peers,
                waiting: tx.query_int("SELECT COUNT(*) FROM sync_pending", params![])?,
                refused: tx.query_int("SELECT COUNT(*) FROM sync_changes WHERE outcome = 'rejected'", params![])?,
                conflicts,
                changes: tx.query_int("SELECT COUNT(*) FROM sync_changes", params![])?,
            })
        })
    }

    /// Open conflicts on households the user may see.
    pub fn sync_conflicts(&self, actor: &Actor) -> Result<Vec<Conflict>, StoreError> {
        let visible = Visibility::of(actor).households("h", Access::Read);
        self.db.read(|tx| {
            let sql = Sql::new(
                &format!(
                    "SELECT c.entity, c.entity_id, c.field, c.household_id, c.detail, c.opened_at FROM sync_conflicts c \
                     LEFT JOIN households h ON h.id = c.household_id WHERE ({}) OR (h.id IS NOT NULL AND ",
                    records_managed_by(actor)
                ),
                params![],
            )
            .cond(&visible)
            .push(") ORDER BY c.opened_at, c.entity_id, c.field", params![]);
            let rows = tx.select(&sql)?;
            let mut offices: HashMap<String, String> = tx
                .query("SELECT node_id, name FROM sync_peers", params![])?
                .iter()
                .map(|r| (r.text(0), r.text(1)))
                .collect();
            if let Some(node) = Node::read(tx)? {
                offices.insert(node.node_id.clone(), node.name.clone());
            }
            let mut conflicts = Vec::with_capacity(rows.len());
            for r in rows {
                let field = r.text(2);
                let (values, problem) = if field.starts_with('_') {
                    (Vec::new(), serde_json::from_str(r.str(4)).ok())
                } else {
                    let heads: Vec<state::Head> = serde_json::from_str(r.str(4)).unwrap_or_default();
                    let shown = state::shown(&heads);
                    let mut values = Vec::new();
                    for head in heads {
                        let (author, at) = change_authorship(tx, &head.change)?;
                        let author_name = tx
                            .query_opt("SELECT username FROM users WHERE id = $1", params![author.as_str()])?
                            .map(|u| u.text(0));
                        let office = head.change.parse::<ChangeId>().ok().and_then(|id| offices.get(&id.node).cloned());
                        values.push(ConflictValue {
                            office,
                            shown: head.value == shown,
                            value: match &head.value {
                                serde_json::Value::Null => None,
                                serde_json::Value::String(s) => Some(s.clone()),
                                other => Some(other.to_string()),
                            },
                            change: head.change,
                            author,
                            author_name,
                            at,
                        });
                    }
                    (values, None)
                };
                conflicts.push(Conflict {
                    entity: r.text(0),
                    entity_id: r.text(1),
                    field,
                    household_id: r.opt_text(3),
                    opened_at: r.int(5),
                    values,
                    problem,
                });
            }
            Ok(conflicts)
        })
    }

    /// Settles a disputed field with one value (one of those kept, or another): an edit
    /// that replaces every value kept, shipped like any other.
    pub fn sync_resolve(
        &self,
        actor: &Actor,
        entity: &str,
        entity_id: &str,
        field: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        actor.require_write()?;
        let entity = Entity::parse(entity).ok_or(StoreError::NotFound("conflict"))?;
        let visible = Visibility::of(actor).households("h", Access::Change);
        let now = self.now_ms();
        self.db.write(|tx| {
            let sql = Sql::new(
                &format!(
                    "SELECT c.household_id, c.detail FROM sync_conflicts c LEFT JOIN households h ON h.id = c.household_id \
                     WHERE c.entity = ? AND c.entity_id = ? AND c.field = ? AND (({}) OR (h.id IS NOT NULL AND ",
                    records_managed_by(actor)
                ),
                params![entity.as_str(), entity_id, field],
            )
            .cond(&visible)
            .push("))", params![]);
            let conflict = tx.select_opt(&sql)?.ok_or(StoreError::NotFound("conflict"))?;
            if field == "_assistance" {
                // Assistance twice, reviewed: a person says why both stand, kept as the
                // entitlement's reason (as when a round is planned over the check).
                let reason = value.map(str::trim).filter(|r| !r.is_empty() && r.len() <= 500);
                let reason =
                    reason.ok_or_else(|| StoreError::invalid("reason", "", domain::Message::OverrideReason))?;
                let detail: HashMap<String, String> = serde_json::from_str(conflict.str(1)).unwrap_or_default();
                if let Some(entitlement) = detail.get("entitlement") {
                    // An edit of the entitlement, shipped like any other: every office then
                    // knows both stand.
                    let mut node = Node::lock(tx)?.ok_or_else(not_a_node)?;
                    let mut st = state::load(tx, Entity::Entitlement, std::slice::from_ref(entitlement))?
                        .remove(entitlement)
                        .ok_or(StoreError::NotFound("conflict"))?;
                    let seen = st.head_ids("override_reason");
                    let id = node.next_id();
                    st.set("override_reason", &id, &seen, reason.into());
                    let mut deps = std::collections::BTreeMap::from([("override_reason".to_string(), seen)]);
                    deps.insert(String::new(), st.created_by.parse().ok().into_iter().collect());
                    let change = Change {
                        id,
                        entity: Entity::Entitlement,
                        entity_id: entitlement.clone(),
                        body: change::ChangeBody {
                            household: Some(entity_id.to_string()),
                            fields: std::collections::BTreeMap::from([("override_reason".to_string(), reason.into())]),
                            deps,
                            author: actor.user_id.clone(),
                            at: now,
                            reason: "assistance reviewed".into(),
                            ..change::ChangeBody::default()
                        },
                    };
                    tx.execute(
                        "UPDATE entitlements SET override_reason = $1 WHERE id = $2",
                        params![reason, entitlement.as_str()],
                    )?;
                    state::save(tx, Entity::Entitlement, &[(entitlement, &st)])?;
                    store_changes(tx, &mut node, std::slice::from_ref(&change), "applied", None, now)?;
                    node.save(tx)?;
                }
                tx.execute(
                    "DELETE FROM sync_conflicts WHERE entity = $1 AND entity_id = $2 AND field = $3",
                    params![entity.as_str(), entity_id, field],
                )?;
                return audit::record(
                    tx,
                    actor,
                    now,
                    "sync.assistance_reviewed",
                    "household",
                    entity_id,
                    serde_json::json!({"conflict": "_assistance"}),
                );
            }
            if field.starts_with('_') {
                // A chronology is resolved by voiding the wrong movement, not by a choice here.
                return Err(StoreError::NotFound("conflict"));
            }
            let heads: Vec<state::Head> = serde_json::from_str(conflict.str(1)).unwrap_or_default();
            let chosen = heads
                .iter()
                .find(|h| match (&h.value, value) {
                    (serde_json::Value::String(s), Some(v)) => s == v,
                    (serde_json::Value::Null, None) => true,
                    (other, Some(v)) => format!("{other}") == v,
                    _ => false,
                })
                .map(|h| h.value.clone())
                .unwrap_or_else(|| value.map_or(serde_json::Value::Null, |v| v.into()));
            let mut node = Node::lock(tx)?.ok_or_else(not_a_node)?;
            let mut states = state::load(tx, entity, &[entity_id.to_string()])?;
            let mut st = states.remove(entity_id).ok_or(StoreError::NotFound("conflict"))?;
            let seen = st.head_ids(field);
            let id = node.next_id();
            st.set(field, &id, &seen, chosen.clone());
            let household = conflict.opt_text(0);
            let change = Change {
                id,
                entity,
                entity_id: entity_id.to_string(),
                body: change::ChangeBody {
                    household,
                    fields: std::collections::BTreeMap::from([(field.to_string(), chosen.clone())]),
                    deps: std::collections::BTreeMap::from([(field.to_string(), seen)]),
                    author: actor.user_id.clone(),
                    at: now,
                    reason: "conflict resolved".into(),
                    ..change::ChangeBody::default()
                },
            };
            let row = tx
                .query_opt(
                    &format!("SELECT * FROM {} WHERE {}", entity.table(), entity.key_condition(1)),
                    &entity.key_values(entity_id),
                )?
                .ok_or(StoreError::NotFound("conflict"))?;
            apply::write_fields(tx, &change, &st, &row)?;
            state::save(tx, entity, &[(entity_id, &st)])?;
            tx.execute(
                "DELETE FROM sync_conflicts WHERE entity = $1 AND entity_id = $2 AND field = $3",
                params![entity.as_str(), entity_id, field],
            )?;
            store_changes(tx, &mut node, std::slice::from_ref(&change), "applied", None, now)?;
            node.save(tx)?;
            if let Some(household) = &change.body.household {
                crate::registry::refresh_derived(tx, household, self.today())?;
            }
            if entity == Entity::DuplicatePair && field == "status" {
                // The people follow the decision kept, as when a reviewer decides.
                crate::duplicates::follow_decision(tx, entity_id)?;
            }
            // What is computed from these records is computed again.
            if entity.assistance() {
                crate::versions::bump(tx, crate::versions::Capability::Assistance)?;
            }
            if entity == Entity::Agreement {
                crate::versions::bump(tx, crate::versions::Capability::Sharing)?;
            }
            audit::record(
                tx,
                actor,
                now,
                "sync.resolve",
                entity.as_str(),
                entity_id,
                serde_json::json!({"field": field}),
            )
        })
    }
}

/// Which conflicts on records other than a household's (`c`) the actor sees and settles:
/// administrators all; information-management officers those of plans, money, assistance and
/// the like, not accounts nor agreements.
fn records_managed_by(actor: &Actor) -> &'static str {
    match actor.role {
        domain::Role::Admin => "c.household_id IS NULL",
        domain::Role::ImOfficer => "c.household_id IS NULL AND c.entity NOT IN ('user', 'agreement')",
        _ => "1 = 0",
    }
}

/// Every synced record's synced fields, in a stable order: what two nodes that have exchanged
/// everything hold alike.
pub type Projection =
    std::collections::BTreeMap<(Entity, String), std::collections::BTreeMap<String, serde_json::Value>>;

impl Store {
    /// The registry as sync merges it (see [`Projection`]).
    pub fn sync_projection(&self) -> Result<Projection, StoreError> {
        self.db.read(|tx| {
            let mut out = Projection::new();
            for entity in Entity::registry() {
                let order = entity.key().join(", ");
                let rows = tx.query(&format!("SELECT * FROM {} ORDER BY {order}", entity.table()), params![])?;
                let mut children = capture::children_of(tx, entity, None)?;
                for row in rows {
                    // Each installation's own: its administrators, the pairs it found and
                    // nobody has reviewed yet.
                    if entity == Entity::User && row.text_of("role")? == "admin"
                        || entity == Entity::DuplicatePair && row.text_of("status")? == "pending"
                    {
                        continue;
                    }
                    let id = entity.key_of(&row)?;
                    let inside = entity.children().map(|c| {
                        (
                            c.field.to_string(),
                            children.remove(&id).unwrap_or_else(|| serde_json::Value::Array(Vec::new())),
                        )
                    });
                    let fields = row
                        .columns()
                        .iter()
                        .zip(&row.values)
                        .filter(|(c, _)| !entity.local_columns().contains(&c.as_ref()))
                        .map(|(c, v)| (c.to_string(), change::to_field(v)))
                        .chain(inside)
                        .collect();
                    out.insert((entity, id), fields);
                }
            }
            Ok(out)
        })
    }

    /// A short fingerprint of [`Store::sync_projection`]: two offices read it to each other
    /// to know that they hold the same registry.
    pub fn sync_fingerprint(&self) -> Result<String, StoreError> {
        let projection = self.sync_projection()?;
        let mut hasher = Sha256::new();
        for ((entity, id), fields) in &projection {
            hasher.update(entity.as_str().as_bytes());
            hasher.update(id.as_bytes());
            hasher.update(serde_json::to_string(fields).unwrap_or_default().as_bytes());
        }
        Ok(hex::encode(&hasher.finalize()[..8]))
    }
}

/// The check of one other node's audit log, as shipped here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NodeAuditCheck {
    pub node_id: String,
    pub name: Option<String>,
    pub rows: i64,
    /// Epochs the chain went through (each restore of that node from a copy starts one).
    pub epochs: i64,
    /// The first problem found.
    pub problem: Option<String>,
}

impl Store {
    /// Checks every other node's audit log shipped here: each row's hash, and that it follows
    /// the row before it (after a restore, the row before it in an earlier epoch).
    pub fn verify_node_audits(&self) -> Result<Vec<NodeAuditCheck>, StoreError> {
        self.db.read(|tx| {
            let names: HashMap<String, String> =
                tx.query("SELECT node_id, name FROM sync_peers", params![])?.iter().map(|r| (r.text(0), r.text(1))).collect();
            let rows = tx.query(
                "SELECT node_id, epoch, seq, at, actor_id, actor_name, action, entity, entity_id, detail, prev_hash, hash \
                 FROM sync_audit ORDER BY node_id, epoch, seq",
                params![],
            )?;
            let mut checks: Vec<NodeAuditCheck> = Vec::new();
            // Per node: the hash of each (epoch, seq) accepted so far.
            let mut hashes: std::collections::BTreeMap<(i64, i64), String> = std::collections::BTreeMap::new();
            for r in &rows {
                let node = r.text(0);
                if checks.last().is_none_or(|c| c.node_id != node) {
                    hashes.clear();
                    checks.push(NodeAuditCheck {
                        name: names.get(&node).cloned(),
                        node_id: node.clone(),
                        rows: 0,
                        epochs: 0,
                        problem: None,
                    });
                }
                let Some(check) = checks.last_mut() else { continue };
                check.rows += 1;
                if check.problem.is_some() {
                    continue;
                }
                let (epoch, seq) = (r.int(1), r.int(2));
                if !hashes.keys().any(|(e, _)| *e == epoch) {
                    check.epochs += 1;
                }
                let fields: std::collections::BTreeMap<String, serde_json::Value> = r
                    .columns()
                    .iter()
                    .zip(&r.values)
                    .map(|(c, v)| (c.to_string(), change::to_field(v)))
                    .collect();
                // The row before: in this epoch, or the latest earlier epoch that has it.
                let before = if seq == 1 {
                    Some("genesis".to_string())
                } else {
                    hashes.range(..=(epoch, seq - 1)).rev().find(|((_, s), _)| *s == seq - 1).map(|(_, h)| h.clone())
                };
                check.problem = if !crate::audit::row_holds(&fields) {
                    Some(format!("row {seq} (epoch {epoch}) was altered: its content does not match its hash"))
                } else if before.is_none() {
                    Some(format!("row {} (epoch {epoch}) is missing", seq - 1))
                } else if before.as_deref() != Some(r.str(10)) {
                    Some(format!("row {seq} (epoch {epoch}) does not follow row {}", seq - 1))
                } else {
                    None
                };
                hashes.insert((epoch, seq), r.text(11));
            }
            Ok(checks)
        })
    }
}

/// Who made a change and when (by its node's clock), from this node's feed.
fn change_authorship(tx: &mut Tx<'_>, change: &str) -> Result<(String, i64), StoreError> {
    let Ok(id) = change.parse::<ChangeId>() else {
        return Ok((String::new(), 0));
    };
    let row = tx.query_opt(
        "SELECT body FROM sync_changes WHERE node_id = $1 AND epoch = $2 AND seq = $3",
        params![id.node.as_str(), id.epoch, id.seq],
    )?;
    Ok(row
        .and_then(|r| serde_json::from_str::<change::ChangeBody>(r.str(0)).ok())
        .map_or((String::new(), 0), |b| (b.author, b.at)))
}
