//! The audit log: every change, every read of a person's record, every export and every
//! sign-in, written in the same transaction as the action, chained by hashes so that an edited
//! or deleted row is detected (`djoliba audit verify`). Details never hold personal data.

use std::sync::{Arc, Condvar, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::error::StoreError;
use crate::{params, Actor, Store};

/// The hash of a row: the previous row's hash, then every stored column but the hash itself
/// (seq, at, actor id, actor name, action, entity, entity id, detail).
fn chain_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// Whether an audit row shipped by another node (its columns as fields) matches its own hash.
pub(crate) fn row_holds(fields: &std::collections::BTreeMap<String, serde_json::Value>) -> bool {
    let text = |f: &str| match fields.get(f) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let parts =
        ["prev_hash", "seq", "at", "actor_id", "actor_name", "action", "entity", "entity_id", "detail"].map(text);
    chain_hash(&parts.each_ref().map(String::as_str)) == text("hash")
}

/// Appends one audit row in the caller's transaction.
pub fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: i64,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let head = tx
        .query_opt("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash", params![])?
        .ok_or_else(|| StoreError::Database("the audit head is missing".into()))?;
    let (seq, prev) = (head.int(0), head.text(1));
    let detail = detail.to_string();
    let hash = chain_hash(&[
        &prev,
        &seq.to_string(),
        &now.to_string(),
        &actor.user_id,
        &actor.username,
        action,
        entity,
        entity_id,
        &detail,
    ]);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity, entity_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![seq, now, &actor.user_id, &actor.username, action, entity, entity_id, &detail, &prev, &hash],
    )?;
    tx.execute("UPDATE audit_head SET hash = $1 WHERE id = 1", params![&hash])?;
    Ok(())
}

/// The audit rows of reads, committed in batches (group commit). A read is answered only once
/// its row is committed, but a read's own transaction takes no write lock: readers only queue
/// for the short transaction that appends rows, and the readers that queued meanwhile share
/// the next one (one chain update for all of them). Writes keep their audit row in their own
/// transaction.
#[derive(Default)]
pub(crate) struct ReadAudit {
    state: Mutex<ReadAuditState>,
    committed: Condvar,
}

#[derive(Default)]
struct ReadAuditState {
    pending: Vec<PendingRead>,
    /// A reader is appending a batch: the others wait for it, then one takes the next batch.
    appending: bool,
}

struct PendingRead {
    actor: Actor,
    now: i64,
    action: &'static str,
    entity: String,
    entity_id: String,
    detail: serde_json::Value,
    /// Set once the batch holding this row committed (true) or failed (false).
    outcome: Arc<OnceLock<bool>>,
}

impl Store {
    /// Records a read of personal data and returns once the row is committed. Call it after the
    /// read succeeded and before answering.
    pub(crate) fn audit_read(
        &self,
        actor: &Actor,
        now: i64,
        action: &'static str,
        entity: &str,
        entity_id: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let queue = &self.read_audit;
        let outcome = Arc::new(OnceLock::new());
        let mut state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
        state.pending.push(PendingRead {
            actor: actor.clone(),
            now,
            action,
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            detail,
            outcome: outcome.clone(),
        });
        loop {
            if let Some(&committed) = outcome.get() {
                return if committed {
                    Ok(())
                } else {
                    Err(StoreError::Database("the audit row of a read could not be written".into()))
                };
            }
            if state.appending {
                state = queue.committed.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            state.appending = true;
            let batch = std::mem::take(&mut state.pending);
            drop(state);
            // Whatever happens below (even a panic), the next reader may append: without this,
            // every reader would wait for a batch that never ends.
            let release = ReleaseAppending(queue, batch.iter().map(|row| row.outcome.clone()).collect());
            let appended = self.db.write(|tx| {
                for row in &batch {
                    record(tx, &row.actor, row.now, row.action, &row.entity, &row.entity_id, row.detail.clone())?;
                }
                Ok(())
            });
            if let Err(error) = &appended {
                tracing::error!(%error, rows = batch.len(), "audit rows of reads could not be written");
            }
            for row in &batch {
                let _ = row.outcome.set(appended.is_ok());
            }
            drop(release);
            state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Ends a batch: its rows not marked committed are failed, the next reader may append, and
/// the waiting ones wake.
struct ReleaseAppending<'a>(&'a ReadAudit, Vec<Arc<OnceLock<bool>>>);

impl Drop for ReleaseAppending<'_> {
    fn drop(&mut self) {
        for outcome in &self.1 {
            let _ = outcome.set(false);
        }
        let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        state.appending = false;
        self.0.committed.notify_all();
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Which audit rows to show: by who acted, what they did, and the days (UTC) between `from`
/// and `to`, both included; empty fields do not filter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilter {
    /// The username that acted.
    pub user: Option<String>,
    /// The action's code (`sign_in`, `register`, `duplicates.accept`…).
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD).
    pub from: Option<String>,
    /// To this day (YYYY-MM-DD), included.
    pub to: Option<String>,
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditCheck {
    pub rows: i64,
    /// The first problem found: the row and what is wrong with it.
    pub problem: Option<String>,
}

/// The chain's head at a moment: kept off the machine (printed, emailed, carried to the country
/// office), it anchors the chain. Whoever holds the database can rewrite every row and re-chain
/// them, but not the copy of the head someone else keeps: verifying against it detects the rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl Checkpoint {
    const PREFIX: &'static str = "djoliba-audit-checkpoint v1";

    /// One line of text, easy to copy by hand or keep in a mail.
    pub fn to_line(&self) -> String {
        format!("{} seq={} hash={}", Self::PREFIX, self.seq, self.hash)
    }

    pub fn parse(line: &str) -> Option<Checkpoint> {
        let rest = line.trim().strip_prefix(Self::PREFIX)?;
        let mut seq = None;
        let mut hash = None;
        for part in rest.split_whitespace() {
            if let Some(v) = part.strip_prefix("seq=") {
                seq = v.parse().ok();
            } else if let Some(v) = part.strip_prefix("hash=") {
                hash = Some(v.to_string()).filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
        Some(Checkpoint { seq: seq?, hash: hash? })
    }
}

impl Store {
    /// The head of the chain now, to keep elsewhere.
    pub fn audit_checkpoint(&self) -> Result<Checkpoint, StoreError> {
        let head = self.db.read(|tx| tx.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", params![]))?;
        let head = head.ok_or_else(|| StoreError::Database("the audit head is missing".into()))?;
        Ok(Checkpoint { seq: head.int(0), hash: head.text(1) })
    }

    /// Checks the chain, then that it still passes through every checkpoint kept elsewhere.
    pub fn verify_audit_against(&self, checkpoints: &[Checkpoint]) -> Result<AuditCheck, StoreError> {
        let check = self.verify_audit()?;
        if check.problem.is_some() {
            return Ok(check);
        }
        for point in checkpoints {
            let row =
                self.db.read(|tx| tx.query_opt("SELECT hash FROM audit_log WHERE seq = $1", params![point.seq]))?;
            let problem = match row {
                None => Some(format!("row {} of the checkpoint is gone: the log was cut or rewritten", point.seq)),
                Some(r) if r.text(0) != point.hash => Some(format!(
                    "the log was rewritten: row {} no longer has the hash the checkpoint recorded",
                    point.seq
                )),
                Some(_) => None,
            };
            if problem.is_some() {
                return Ok(AuditCheck { rows: check.rows, problem });
            }
        }
        Ok(check)
    }

    /// Checks every row's hash and link, and that no row is missing at the end.
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        self.db.read(|tx| {
            let rows = tx.query("SELECT seq, at, actor_id, actor_name, action, entity, entity_id, detail, prev_hash, hash FROM audit_log ORDER BY seq", params![])?;
            let head = tx.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", params![])?;
            let mut prev = "genesis".to_string();
            let mut expected_seq = 1;
            for r in &rows {
                let seq = r.int(0);
                let problem = if seq != expected_seq {
                    Some(format!("row {expected_seq} is missing (the next row is {seq})"))
                } else if r.text(8) != prev {
                    Some(format!("row {seq} does not follow row {}: its previous hash differs", seq - 1))
                } else if chain_hash(&[&prev, &seq.to_string(), &r.int(1).to_string(), &r.text(2), &r.text(3), &r.text(4), &r.text(5), &r.text(6), &r.text(7)]) != r.text(9) {
                    Some(format!("row {seq} was altered: its content does not match its hash"))
                } else {
                    None
                };
                if problem.is_some() {
                    return Ok(AuditCheck { rows: rows.len() as i64, problem });
                }
                prev = r.text(9);
                expected_seq += 1;
            }
            if let Some(h) = head {
                if h.int(0) != expected_seq - 1 || h.text(1) != prev {
                    return Ok(AuditCheck { rows: rows.len() as i64, problem: Some(format!("the log ends at row {} but {} rows were written: the last rows were removed", expected_seq - 1, h.int(0))) });
                }
            }
            Ok(AuditCheck { rows: rows.len() as i64, problem: None })
        })
    }

    /// The latest audit rows, newest first (administrators).
    pub fn audit_entries(&self, actor: &Actor, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_search(actor, &AuditFilter::default(), limit, offset)
    }

    /// The audit rows that match `filter`, newest first (administrators).
    pub fn audit_search(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        actor.require_admin()?;
        let day = |field: &str, text: &Option<String>, end: bool| -> Result<Option<i64>, StoreError> {
            let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| StoreError::invalid(field, text, domain::Message::IsoDate))?;
            let date = if end { date.succ_opt().unwrap_or(date) } else { date };
            Ok(Some(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis()))
        };
        let (from, until) = (day("from", &filter.from, false)?, day("to", &filter.to, true)?);
        let text = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        let mut sql = crate::visibility::Sql::new(
            "SELECT seq, at, actor_name, action, entity, entity_id, detail FROM audit_log WHERE 1 = 1",
            params![],
        );
        if let Some(user) = text(&filter.user) {
            sql = sql.push(" AND actor_name = ?", params![user]);
        }
        if let Some(action) = text(&filter.action) {
            sql = sql.push(" AND action = ?", params![action]);
        }
        if let Some(from) = from {
            sql = sql.push(" AND at >= ?", params![from]);
        }
        if let Some(until) = until {
            sql = sql.push(" AND at < ?", params![until]);
        }
        let sql = sql.push(" ORDER BY seq DESC LIMIT ? OFFSET ?", params![limit.clamp(1, 10_000), offset.max(0)]);
        self.db.read(|tx| {
            Ok(tx
                .select(&sql)?
                .into_iter()
                .map(|r| AuditEntry {
                    seq: r.int(0),
                    at: chrono::DateTime::from_timestamp_millis(r.int(1)).map(|t| t.to_rfc3339()).unwrap_or_default(),
                    actor: r.text(2),
                    action: r.text(3),
                    entity: r.text(4),
                    entity_id: r.text(5),
                    detail: serde_json::from_str(&r.text(6)).unwrap_or(serde_json::Value::Null),
                })
                .collect())
        })
    }
}
