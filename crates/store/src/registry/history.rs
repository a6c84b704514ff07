//! Version history of households and people, redacted by role.

use super::*;

impl Store {
    /// The change history of a household, a person or a movement, oldest first.
    /// Old values of a record are personal data too: reading them is audited.
    pub fn history(&self, actor: &Actor, entity: &str, id: &str) -> Result<Vec<Version>, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let visible = match entity {
                "household" => tx.select_opt(
                    &Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![id])
                        .and(&visible(actor, Access::Change)),
                )?,
                "person" => tx.select_opt(
                    &Sql::new(
                        "SELECT p.id FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?",
                        params![id],
                    )
                    .and(&visible(actor, Access::Change)),
                )?,
                _ => None,
            };
            if visible.is_none() {
                return Err(StoreError::NotFound(if entity == "person" { "person" } else { "household" }));
            }
            let mut versions = versions_of(tx, entity, id)?;
            versions.retain_mut(|v| redact_version(actor, v));
            Ok(versions)
        })?;
        self.audit_read(actor, now, "read_history", entity, id, json!({}))?;
        Ok(read)
    }

    /// The versions of a household and of its members, newest first, in one read (audited
    /// once). A household read only through a pseudonymised agreement has none to show: the
    /// changes would hold the names.
    pub fn household_history(&self, actor: &Actor, id: &str) -> Result<Vec<Version>, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let visible = Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![id])
                .and(&visible(actor, Access::Change));
            if tx.select_opt(&visible)?.is_none() {
                return Ok(None);
            }
            let mut versions = versions_of(tx, "household", id)?;
            for member in tx.query("SELECT p.id FROM people p WHERE p.household_id = $1", params![id])? {
                versions.extend(versions_of(tx, "person", member.str(0))?);
            }
            versions.retain_mut(|v| redact_version(actor, v));
            versions.sort_by(|a, b| b.changed_at.cmp(&a.changed_at));
            Ok(Some(versions))
        })?;
        let Some(versions) = read else { return Ok(Vec::new()) };
        self.audit_read(actor, now, "read_history", "household", id, json!({}))?;
        Ok(versions)
    }
}

/// A record's versions: its creation, then every recorded change.
fn versions_of(tx: &mut Tx<'_>, entity: &str, id: &str) -> Result<Vec<Version>, StoreError> {
    let created = match entity {
        "household" => tx.query_opt("SELECT h.created_at, u.username FROM households h LEFT JOIN users u ON u.id = h.created_by WHERE h.id = $1", params![id])?,
        _ => tx.query_opt("SELECT p.created_at, u.username FROM people p LEFT JOIN users u ON u.id = p.created_by WHERE p.id = $1", params![id])?,
    };
    let mut versions: Vec<Version> = created
        .into_iter()
        .map(|r| Version {
            entity: entity.into(),
            entity_id: id.into(),
            version: 1,
            changed_at: ms_to_rfc3339(r.int(0)),
            changed_by: r.opt_text(1).unwrap_or_else(|| "system".into()),
            reason: "created".into(),
            changes: json!({}),
        })
        .collect();
    let rows = tx.query(
        "SELECT v.version, v.changed_at, COALESCE(u.username, v.changed_by), v.reason, v.changes FROM record_versions v LEFT JOIN users u ON u.id = v.changed_by WHERE v.entity = $1 AND v.entity_id = $2 ORDER BY v.version",
        params![entity, id],
    )?;
    versions.extend(rows.into_iter().map(|r| Version {
        entity: entity.into(),
        entity_id: id.into(),
        version: r.int(0),
        changed_at: ms_to_rfc3339(r.int(1)),
        changed_by: r.text(2),
        reason: r.text(3),
        changes: serde_json::from_str(&r.text(4)).unwrap_or(json!({})),
    }));
    Ok(versions)
}
