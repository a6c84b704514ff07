//! Djoliba's storage: one code base for SQLite (the embedded default) and PostgreSQL.
//!
//! Invariants:
//! - every use case runs in one transaction: it commits whole or not at all;
//! - nothing is overwritten without a trace: a change to a household, person or movement writes
//!   a `record_versions` row in the same transaction; movements are voided, never deleted;
//! - personal data (names, phone) never appears in an error message or a `Debug` output;
//! - time comes from the store's clock, which tests replace.

pub mod assistance;
pub mod audit;
pub mod auth;
pub mod db;
pub mod duplicates;
pub mod error;
pub mod export;
pub mod factsheet;
pub mod figures;
pub mod funding;
pub mod import;
pub mod import_work;
pub mod migrate;
pub mod plans;
pub mod presence;
pub mod reference;
pub mod registry;
pub mod series;
pub mod sites;
pub mod sync;
pub mod tokens;
pub mod versions;
pub mod visibility;
pub mod who_what_where;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

pub use db::{Backend, Db, Target};
pub use error::StoreError;
pub use reference::Gazetteer;
pub use visibility::{Access, Cond, Sql, Visibility};

/// Who is acting: every store call that reads or changes the registry takes one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
    pub role: domain::Role,
    pub organisation_id: Option<String>,
    /// Acting through an API token limited to reading: every change is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// The régions (admin 1 P-codes) whose households the user may see; empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

impl Actor {
    /// The actor for command-line maintenance (imports and user management run by an operator
    /// on the machine itself).
    pub fn system() -> Actor {
        Actor {
            user_id: "system".into(),
            username: "system".into(),
            role: domain::Role::Admin,
            organisation_id: None,
            read_only: false,
            regions: Vec::new(),
        }
    }

    pub fn require_write(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::Forbidden("this API token may only read"));
        }
        if self.role.can_write_registry() {
            Ok(())
        } else {
            Err(StoreError::Forbidden("your role may read the registry but not change it"))
        }
    }

    pub fn require_admin(&self) -> Result<(), StoreError> {
        if self.role == domain::Role::Admin && !self.read_only {
            Ok(())
        } else {
            Err(StoreError::Forbidden("only an administrator may do this"))
        }
    }
}

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The store: a database, the gazetteer and a clock.
#[derive(Clone)]
pub struct Store {
    pub db: Db,
    pub gazetteer: Arc<Gazetteer>,
    clock: Clock,
    figures: Arc<figures::FiguresCache>,
    linkage: Arc<duplicates::LinkageCache>,
    reach: Arc<assistance::ReachCache>,
    read_audit: Arc<audit::ReadAudit>,
    /// Smallest count published to readers without access to records (disclosure control).
    disclosure: Arc<std::sync::atomic::AtomicU64>,
}

/// What `Store::open` did, for the command line to report.
#[derive(Debug, Clone, Default)]
pub struct OpenReport {
    pub migrations_applied: Vec<i64>,
    pub backup: Option<std::path::PathBuf>,
    pub reference_data_loaded: bool,
}

/// Cells of fewer people than this are suppressed for viewers, unless configured otherwise.
pub const DEFAULT_DISCLOSURE_THRESHOLD: u64 = 5;

impl Store {
    /// Changes the disclosure threshold (at least 1; 1 turns suppression off).
    pub fn set_disclosure_threshold(&self, threshold: u64) {
        self.disclosure.store(threshold.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    pub fn disclosure_threshold(&self) -> u64 {
        self.disclosure.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connects, applies pending migrations and seeds reference data when it changed.
    pub fn open(target: &Target) -> Result<(Store, OpenReport), StoreError> {
        Self::open_with_clock(target, Arc::new(Utc::now))
    }

    pub fn open_with_clock(target: &Target, clock: Clock) -> Result<(Store, OpenReport), StoreError> {
        let db = Db::connect(target)?;
        let store = Store {
            db,
            gazetteer: Arc::new(Gazetteer::built_in()),
            clock,
            figures: Arc::default(),
            linkage: Arc::default(),
            reach: Arc::default(),
            read_audit: Arc::default(),
            disclosure: Arc::new(std::sync::atomic::AtomicU64::new(DEFAULT_DISCLOSURE_THRESHOLD)),
        };
        let now = store.now_ms();
        let (migrations_applied, backup) = migrate::migrate(&store.db, now)?;
        let fingerprint = reference::fingerprint();
        let reference_data_loaded = store.db.write(|tx| {
            let stored = tx.query_opt("SELECT value FROM meta WHERE key = 'reference_data'", params![])?;
            if stored.map(|r| r.text(0)).as_deref() == Some(fingerprint.as_str()) {
                return Ok(false);
            }
            reference::write_tables(&store.gazetteer, tx)?;
            tx.execute("DELETE FROM meta WHERE key = 'reference_data'", params![])?;
            tx.execute("INSERT INTO meta (key, value) VALUES ('reference_data', $1)", params![&fingerprint])?;
            Ok(true)
        })?;
        store.load_sites()?;
        store.backfill_name_keys()?;
        store.backfill_name_terms()?;
        store.start_sync_capture()?;
        Ok((store, OpenReport { migrations_applied, backup, reference_data_loaded }))
    }

    /// Sends figures and exports to a PostgreSQL read replica of the database
    /// (`Db::with_read_replica`); everything else stays on the primary.
    pub fn with_read_replica(mut self, replica: &Target) -> Result<Store, StoreError> {
        self.db = self.db.clone().with_read_replica(replica)?;
        Ok(self)
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// A new time-ordered identifier (UUIDv7): devices offline can create them without clashing.
/// Within one millisecond a process counts on from a random 41-bit start and keeps the same 32
/// random last bits (RFC 9562, method 1), so the records of one registration differ only by
/// their counter and travel in a byte or two each (`sync::bundle`); another process or node
/// draws its own start and bits. Identifiers are not secrets (the next one is easily guessed):
/// every read checks access, and secrets (tokens, sessions) come from `getrandom` alone.
pub fn new_id() -> String {
    static LAST: std::sync::Mutex<(u64, u64, [u8; 4])> = std::sync::Mutex::new((0, 0, [0; 4]));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let (millis, counter, tail) = {
        let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (ms, counter, _) = *last;
        // The same millisecond, or a clock set back: count on in the last one.
        if now <= ms && counter + 1 < 1 << 42 {
            last.1 += 1;
        } else {
            let mut random = [0u8; 10];
            // Without randomness (never on a supported system) the clock and counter still order.
            let _ = getrandom::fill(&mut random);
            let start = u64::from_be_bytes([0, 0, random[0], random[1], random[2], random[3], random[4], random[5]]);
            *last = (now.max(ms + 1), start & ((1 << 41) - 1), [random[6], random[7], random[8], random[9]]);
        }
        *last
    };
    let c = counter;
    let bytes = [
        ((c >> 38) & 0x0f) as u8,
        (c >> 30) as u8,
        ((c >> 24) & 0x3f) as u8,
        (c >> 16) as u8,
        (c >> 8) as u8,
        c as u8,
        tail[0],
        tail[1],
        tail[2],
        tail[3],
    ];
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid().to_string()
}
