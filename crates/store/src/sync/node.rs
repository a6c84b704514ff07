//! This installation as a sync node: its identity, epoch, counters and signing key.

use super::change::ChangeId;
use crate::db::Tx;
use crate::error::StoreError;
use crate::params;

/// The node's row, read under its lock: changes are numbered by one transaction at a time.
pub(crate) struct Node {
    pub node_id: String,
    pub name: String,
    pub epoch: i64,
    pub next_seq: i64,
    pub next_order: i64,
    pub signing_key: String,
    /// The last row of this node's audit log put in its feed.
    pub audit_seq: i64,
}

/// Key material is never shown.
impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("node_id", &self.node_id).field("epoch", &self.epoch).finish()
    }
}

const COLUMNS: &str = "node_id, name, epoch, next_seq, next_order, signing_key, audit_seq";

impl Node {
    fn from_row(r: &crate::db::Row) -> Node {
        Node {
            node_id: r.text(0),
            name: r.text(1),
            epoch: r.int(2),
            next_seq: r.int(3),
            next_order: r.int(4),
            signing_key: r.text(5),
            audit_seq: r.int(6),
        }
    }

    /// The node, its row locked until the transaction ends; `None` on an installation that is
    /// not a sync node.
    pub fn lock(tx: &mut Tx<'_>) -> Result<Option<Node>, StoreError> {
        Ok(tx
            .query_opt(
                &format!("UPDATE sync_node SET next_seq = next_seq WHERE id = 1 RETURNING {COLUMNS}"),
                params![],
            )?
            .map(|r| Node::from_row(&r)))
    }

    /// The node as it stands, without locking it.
    pub fn read(tx: &mut Tx<'_>) -> Result<Option<Node>, StoreError> {
        Ok(tx
            .query_opt(&format!("SELECT {COLUMNS} FROM sync_node WHERE id = 1"), params![])?
            .map(|r| Node::from_row(&r)))
    }

    /// The identifier of this node's next change.
    pub fn next_id(&mut self) -> ChangeId {
        let id = ChangeId { node: self.node_id.clone(), epoch: self.epoch, seq: self.next_seq };
        self.next_seq += 1;
        id
    }

    /// The place of the next recorded change (own or received) in this node's feed.
    pub fn next_order(&mut self) -> i64 {
        let order = self.next_order;
        self.next_order += 1;
        order
    }

    /// A new epoch: the database was restored from a copy older than changes the node already
    /// shipped, so its sequence numbers start again under a number never used.
    pub fn new_epoch(&mut self) {
        self.epoch += 1;
        self.next_seq = 1;
    }

    pub fn save(&self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE sync_node SET epoch = $1, next_seq = $2, next_order = $3, audit_seq = $4 WHERE id = 1",
            params![self.epoch, self.next_seq, self.next_order, self.audit_seq],
        )?;
        Ok(())
    }

    pub fn signing_key(&self) -> Result<ed25519_dalek::SigningKey, StoreError> {
        let bytes: [u8; 32] = hex::decode(&self.signing_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| StoreError::Database("this node's signing key is damaged".into()))?;
        Ok(ed25519_dalek::SigningKey::from_bytes(&bytes))
    }

    pub fn public_key(&self) -> Result<String, StoreError> {
        Ok(hex::encode(self.signing_key()?.verifying_key().to_bytes()))
    }
}
