//! Embedded migrations, applied in order at start, each in its own transaction, recorded with a
//! checksum so an edited migration is detected. Before migrating a SQLite database that already
//! holds data, a copy is written to `backups/` next to it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::db::{Backend, Db, Target};
use crate::error::StoreError;
use crate::params;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "registry", sql: include_str!("../migrations/0001_registry.sql") },
    Migration { version: 2, name: "figures", sql: include_str!("../migrations/0002_figures.sql") },
    Migration { version: 3, name: "series", sql: include_str!("../migrations/0003_series.sql") },
    Migration { version: 4, name: "protection", sql: include_str!("../migrations/0004_protection.sql") },
    Migration { version: 5, name: "sign_in_throttle", sql: include_str!("../migrations/0005_sign_in_throttle.sql") },
    Migration { version: 6, name: "duplicates", sql: include_str!("../migrations/0006_duplicates.sql") },
    Migration { version: 7, name: "api_tokens", sql: include_str!("../migrations/0007_api_tokens.sql") },
    Migration { version: 8, name: "location_scope", sql: include_str!("../migrations/0008_location_scope.sql") },
    Migration { version: 9, name: "sites", sql: include_str!("../migrations/0009_sites.sql") },
    Migration { version: 10, name: "sign_in_attempts", sql: include_str!("../migrations/0010_sign_in_attempts.sql") },
    Migration { version: 11, name: "people_created", sql: include_str!("../migrations/0011_people_created.sql") },
    Migration { version: 12, name: "identifiers", sql: include_str!("../migrations/0012_identifiers.sql") },
    Migration { version: 13, name: "household_changes", sql: include_str!("../migrations/0013_household_changes.sql") },
    Migration { version: 14, name: "assistance", sql: include_str!("../migrations/0014_assistance.sql") },
    Migration { version: 15, name: "monitoring", sql: include_str!("../migrations/0015_monitoring.sql") },
    Migration { version: 16, name: "plans", sql: include_str!("../migrations/0016_plans.sql") },
    Migration {
        version: 17,
        name: "who_what_where_and_funding",
        sql: include_str!("../migrations/0017_who_what_where_and_funding.sql"),
    },
    Migration { version: 18, name: "series_versions", sql: include_str!("../migrations/0018_series_versions.sql") },
    Migration { version: 19, name: "presence", sql: include_str!("../migrations/0019_presence.sql") },
    Migration {
        version: 20,
        name: "person_name_search",
        sql: include_str!("../migrations/0020_person_name_search.sql"),
    },
    Migration { version: 21, name: "import_work", sql: include_str!("../migrations/0021_import_work.sql") },
    Migration { version: 22, name: "sync", sql: include_str!("../migrations/0022_sync.sql") },
    Migration {
        version: 23,
        name: "sync_household_history",
        sql: include_str!("../migrations/0023_sync_household_history.sql"),
    },
    Migration { version: 24, name: "linkage_arrivals", sql: include_str!("../migrations/0024_linkage_arrivals.sql") },
    Migration {
        version: 25,
        name: "sync_office_certificate",
        sql: include_str!("../migrations/0025_sync_office_certificate.sql"),
    },
    Migration { version: 26, name: "member_removal", sql: include_str!("../migrations/0026_member_removal.sql") },
    Migration {
        version: 27,
        name: "person_search_words",
        sql: include_str!("../migrations/0027_person_search_words.sql"),
    },
];

/// A migration's text for one database: `/*sqlite: …*/` is kept only on SQLite and
/// `/*postgres: …*/` only on PostgreSQL (each a comment to the other). The checksum is of the
/// text as written.
fn for_backend(sql: &str, backend: Backend) -> String {
    let (keep, drop) = match backend {
        Backend::Sqlite => ("/*sqlite:", "/*postgres:"),
        Backend::Postgres => ("/*postgres:", "/*sqlite:"),
    };
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    loop {
        let next = [keep, drop].into_iter().filter_map(|m| rest.find(m).map(|at| (at, m))).min();
        let Some((at, marker)) = next else { break };
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        let end = after.find("*/").unwrap_or(after.len());
        if marker == keep {
            out.push_str(&after[..end]);
        }
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.as_bytes());
    hex::encode(digest)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub applied: Vec<i64>,
    pub pending: Vec<i64>,
}

const CREATE_TRACKING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Which migrations are applied and which are pending; refuses a database whose applied
/// migrations differ from the embedded ones (edited, or from a newer Djoliba).
pub fn status(db: &Db) -> Result<MigrationStatus, StoreError> {
    db.write(|tx| {
        tx.execute(CREATE_TRACKING, params![])?;
        let rows = tx.query("SELECT version, checksum FROM schema_migrations ORDER BY version", params![])?;
        let mut applied = Vec::new();
        for row in rows {
            let version = row.int(0);
            match MIGRATIONS.iter().find(|m| m.version == version) {
                None => {
                    return Err(StoreError::Config(format!(
                        "the database has migration {version}, which this Djoliba does not know: it was written by a newer version"
                    )))
                }
                Some(m) if checksum(m.sql) != row.text(1) => {
                    return Err(StoreError::Config(format!(
                        "migration {version} ({}) applied to the database differs from the one built in",
                        m.name
                    )))
                }
                Some(_) => applied.push(version),
            }
        }
        let pending = MIGRATIONS.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
        Ok(MigrationStatus { applied, pending })
    })
}

/// Applies pending migrations. Returns the versions applied and, for SQLite with data, the
/// backup written first.
pub fn migrate(db: &Db, now_ms: i64) -> Result<(Vec<i64>, Option<PathBuf>), StoreError> {
    let state = status(db)?;
    if state.pending.is_empty() {
        return Ok((Vec::new(), None));
    }
    let backup = match (db.backend(), db.target()) {
        (Backend::Sqlite, Target::Sqlite { path, .. }) if !state.applied.is_empty() => {
            Some(backup_before_migration(db, path, now_ms)?)
        }
        _ => None,
    };
    for version in &state.pending {
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version) else { continue };
        db.write(|tx| {
            tx.execute_batch(&for_backend(m.sql, db.backend()))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                params![m.version, m.name, checksum(m.sql), now_ms],
            )?;
            Ok(())
        })
        .map_err(|e| StoreError::Config(format!("migration {} ({}) failed: {e}", m.version, m.name)))?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
    }
    Ok((state.pending, backup))
}

fn backup_before_migration(db: &Db, path: &Path, now_ms: i64) -> Result<PathBuf, StoreError> {
    let dir = path.parent().unwrap_or(Path::new(".")).join("backups");
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
    crate::db::restrict_to_owner(&dir)?;
    let dest = dir.join(format!("before-migration-{now_ms}.sqlite"));
    db.sqlite_backup(&dest)?;
    tracing::info!(backup = %dest.display(), "database copied before migrating");
    Ok(dest)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_registered_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files.len(), super::MIGRATIONS.len(), "{files:?}");
        for (i, (file, m)) in files.iter().zip(super::MIGRATIONS).enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(file.starts_with(&format!("{:04}_{}", m.version, m.name)), "{file} vs {}", m.name);
        }
    }
}
