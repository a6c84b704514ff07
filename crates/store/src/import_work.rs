//! Imports shared by every server on one database: the files a user checked (a dry run) and
//! may confirm, on whichever server the load balancer sends the confirmation to, and the
//! imports running or finished, whose progress any server can show.
//!
//! Kept files hold personal data: they are deleted when confirmed, and any upload or
//! confirmation deletes those older than [`UPLOAD_TTL_MS`].

use exchange::InputFile;

use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::{new_id, params, Store};

/// A checked upload waits this long for its confirmation.
pub const UPLOAD_TTL_MS: i64 = 30 * 60 * 1000;
/// Uploads a user may have waiting; the oldest goes first.
const UPLOADS_PER_USER: i64 = 4;
/// A finished import's outcome is shown for an hour.
const FINISHED_KEPT_MS: i64 = 60 * 60 * 1000;
/// An import whose progress was not written for this long ran on a server that stopped: an
/// import is all or nothing, so nothing of it was written.
const SILENT_MS: i64 = 10 * 60 * 1000;

/// An import as the user who started it sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub file_names: String,
    pub state: JobState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Running {
        phase: String,
        done: u64,
        total: u64,
    },
    /// What the server that ran it stored for the user to read (JSON of its choosing).
    Finished(String),
    /// The server running it stopped before it ended; nothing was imported.
    Interrupted,
}

/// Deletes the files of every upload older than [`UPLOAD_TTL_MS`].
fn forget_expired_uploads(tx: &mut Tx<'_>, now: i64) -> Result<(), StoreError> {
    let expired = "SELECT id FROM kept_uploads WHERE kept_at <= $1";
    tx.execute(&format!("DELETE FROM kept_upload_files WHERE upload_id IN ({expired})"), params![now - UPLOAD_TTL_MS])?;
    tx.execute("DELETE FROM kept_uploads WHERE kept_at <= $1", params![now - UPLOAD_TTL_MS])?;
    Ok(())
}

impl Store {
    /// Keeps checked files for `user_id` until confirmed (once) or for 30 minutes; returns the
    /// key the confirmation names.
    pub fn keep_upload(&self, user_id: &str, files: Vec<InputFile>) -> Result<String, StoreError> {
        let (id, now) = (new_id(), self.now_ms());
        self.db.write(|tx| {
            forget_expired_uploads(tx, now)?;
            let over = tx.query(
                "SELECT id FROM kept_uploads WHERE user_id = $1 ORDER BY kept_at DESC, id DESC LIMIT 100 OFFSET $2",
                params![user_id, UPLOADS_PER_USER - 1],
            )?;
            for row in &over {
                tx.execute("DELETE FROM kept_upload_files WHERE upload_id = $1", params![row.str(0)])?;
                tx.execute("DELETE FROM kept_uploads WHERE id = $1", params![row.str(0)])?;
            }
            tx.execute(
                "INSERT INTO kept_uploads (id, user_id, kept_at) VALUES ($1, $2, $3)",
                params![&id, user_id, now],
            )?;
            for (position, file) in files.into_iter().enumerate() {
                tx.execute(
                    "INSERT INTO kept_upload_files (upload_id, position, name, content) VALUES ($1, $2, $3, $4)",
                    params![&id, position as i64, file.name, file.bytes],
                )?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// The files kept under `id`, once, and only for the user who uploaded them within 30
    /// minutes. Two servers confirming at once: one gets them.
    pub fn take_upload(&self, id: &str, user_id: &str) -> Result<Option<Vec<InputFile>>, StoreError> {
        let now = self.now_ms();
        self.db.write(|tx| {
            forget_expired_uploads(tx, now)?;
            let taken = tx.execute(
                "DELETE FROM kept_uploads WHERE id = $1 AND user_id = $2 AND kept_at > $3",
                params![id, user_id, now - UPLOAD_TTL_MS],
            )?;
            if taken == 0 {
                return Ok(None);
            }
            let rows = tx.query(
                "SELECT name, content FROM kept_upload_files WHERE upload_id = $1 ORDER BY position",
                params![id],
            )?;
            tx.execute("DELETE FROM kept_upload_files WHERE upload_id = $1", params![id])?;
            let files = rows
                .iter()
                .map(|row| Ok(InputFile { name: row.text_of("name")?, bytes: row.bytes_of("content")? }))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Some(files))
        })
    }

    /// Records an import starting for `user_id`; returns its key.
    pub fn start_import_job(&self, user_id: &str, file_names: &str) -> Result<String, StoreError> {
        let (id, now) = (new_id(), self.now_ms());
        self.db.write(|tx| {
            tx.execute(
                "DELETE FROM import_jobs WHERE updated_at <= $1 AND (outcome IS NOT NULL OR updated_at <= $2)",
                params![now - FINISHED_KEPT_MS, now - 24 * FINISHED_KEPT_MS],
            )?;
            tx.execute(
                "INSERT INTO import_jobs (id, user_id, file_names, phase, done, total, outcome, started_at, updated_at) \
                 VALUES ($1, $2, $3, '', 0, 0, NULL, $4, $4)",
                params![&id, user_id, file_names, now],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Whether progress written while an import runs is seen by other servers. On SQLite the
    /// import holds the only writer until it commits (and one server serves a file): its
    /// progress stays in the memory of the server running it.
    pub fn shares_import_progress(&self) -> bool {
        self.db.backend() == Backend::Postgres
    }

    /// Writes a running import's progress (PostgreSQL only, see [`Self::shares_import_progress`]).
    pub fn import_job_progress(&self, id: &str, phase: &str, done: u64, total: u64) -> Result<(), StoreError> {
        if !self.shares_import_progress() {
            return Ok(());
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute(
                "UPDATE import_jobs SET phase = $1, done = $2, total = $3, updated_at = $4 WHERE id = $5 AND outcome IS NULL",
                params![phase, done as i64, total as i64, now, id],
            )
        })?;
        Ok(())
    }

    /// Stores what the user will read about the import that ended.
    pub fn finish_import_job(&self, id: &str, outcome: &str) -> Result<(), StoreError> {
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute("UPDATE import_jobs SET outcome = $1, updated_at = $2 WHERE id = $3", params![outcome, now, id])
        })?;
        Ok(())
    }

    /// The import `id`, only for the user who started it. The caller answers first for the
    /// imports running in its own process: one found here unfinished is running on another
    /// server (on SQLite, without progress), or was cut off by a stop if it has been silent for
    /// ten minutes.
    pub fn import_job(&self, id: &str, user_id: &str) -> Result<Option<ImportJob>, StoreError> {
        let now = self.now_ms();
        let row = self.db.read(|tx| {
            tx.query_opt(
                "SELECT file_names, phase, done, total, outcome, updated_at FROM import_jobs WHERE id = $1 AND user_id = $2",
                params![id, user_id],
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let state = match row.opt_text_of("outcome")? {
            Some(outcome) => JobState::Finished(outcome),
            None if row.int_of("updated_at")? <= now - SILENT_MS => JobState::Interrupted,
            None => JobState::Running {
                phase: row.text_of("phase")?,
                done: row.int_of("done")?.max(0) as u64,
                total: row.int_of("total")?.max(0) as u64,
            },
        };
        Ok(Some(ImportJob { file_names: row.text_of("file_names")?, state }))
    }
}
