//! Change counters, one per capability. A writing transaction bumps the counter of what it
//! changed; whatever is computed from a capability's data (the figures from the registry) is
//! cached against that counter alone, so a write elsewhere (a delivery, a funding record) does
//! not throw it away.

use crate::db::{Tx, Value};
use crate::error::StoreError;
use crate::params;

/// A capability whose changes are counted (its row in `registry_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Households, people, movements, solutions decisions and duplicate merges: what the
    /// displacement figures are computed from.
    Registry,
    /// Entitlements and deliveries: what reach is counted from.
    Assistance,
    /// Sharing agreements: which organisations' households each reader's figures cover.
    Sharing,
}

impl Capability {
    fn row(self) -> i64 {
        match self {
            Capability::Registry => 1,
            Capability::Assistance => 2,
            Capability::Sharing => 3,
        }
    }
}

/// Marks the capability as changed; what was computed from it is recomputed on next use.
pub(crate) fn bump(tx: &mut Tx<'_>, capability: Capability) -> Result<(), StoreError> {
    let row = capability.row();
    let changed = tx.execute("UPDATE registry_version SET version = version + 1 WHERE id = $1", params![row])?;
    if changed == 0 {
        tx.execute("INSERT INTO registry_version (id, version) VALUES ($1, 1)", params![row])?;
    }
    Ok(())
}

/// Marks the registry as changed in these households (the change feed): bumps its counter
/// and records it as each household's latest change.
pub(crate) fn households_changed(tx: &mut Tx<'_>, households: &[&str]) -> Result<(), StoreError> {
    bump(tx, Capability::Registry)?;
    let version = current(tx, Capability::Registry)?;
    // Many rows per statement: a sync batch touches thousands of households.
    for chunk in households.chunks(1_000) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, $1)", i + 2)).collect();
        let mut values = vec![Value::Int(version)];
        values.extend(chunk.iter().map(|h| Value::from(*h)));
        tx.execute(
            &format!(
                "INSERT INTO household_changes (household_id, version) VALUES {} \
                 ON CONFLICT (household_id) DO UPDATE SET version = excluded.version",
                rows.join(", ")
            ),
            &values,
        )?;
    }
    Ok(())
}

/// Records households created in this transaction in the change feed: one counter step for
/// all, one row each (new ids: nothing to update).
pub(crate) fn new_households_recorded(tx: &mut Tx<'_>, households: &[&str]) -> Result<(), StoreError> {
    bump(tx, Capability::Registry)?;
    let version = current(tx, Capability::Registry)?;
    let rows = households.iter().map(|id| vec![Value::from(*id), Value::from(version)]).collect();
    tx.insert_rows("household_changes", &["household_id", "version"], rows)
}

/// The households changed after counter `since`, and the counter now. The counter is read
/// first: a change committed between the two reads is returned now and again next time
/// (harmless), never skipped, even where each statement sees its own snapshot.
pub(crate) fn households_changed_since(tx: &mut Tx<'_>, since: i64) -> Result<(Vec<String>, i64), StoreError> {
    let now = current(tx, Capability::Registry)?;
    let rows =
        tx.query("SELECT household_id FROM household_changes WHERE version > $1 ORDER BY version", params![since])?;
    Ok((rows.iter().map(|r| r.text(0)).collect(), now))
}

/// The capability's current counter (0 before its first change).
pub(crate) fn current(tx: &mut Tx<'_>, capability: Capability) -> Result<i64, StoreError> {
    let row = tx.query_opt("SELECT version FROM registry_version WHERE id = $1", params![capability.row()])?;
    Ok(row.map_or(0, |r| r.int(0)))
}
