//! One code base for SQLite and PostgreSQL. SQL is written once, in the portable subset both
//! accept, with `$1`-style parameters; values travel as [`Value`]. Every integer column is
//! BIGINT, booleans are 0/1, instants are integer milliseconds UTC, dates ISO text.
//!
//! Reads and writes both run inside a transaction ([`Db::read`], [`Db::write`]) so a use case
//! sees one consistent state and commits all or nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::StoreError;

/// A parameter or column value. `Debug` never shows text, which may be a person's name.
#[derive(Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// Binary content (an uploaded file kept for confirmation): BLOB / BYTEA.
    Bytes(Vec<u8>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Real(r) => write!(f, "Real({r})"),
            Value::Text(_) => f.write_str("Text(..)"),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// Builds a parameter list: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::db::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::db::Value::from($v)),+] as &[$crate::db::Value] };
}

/// One result row: its values, and the names of its columns (shared by the rows of a query).
#[derive(Debug, Clone)]
pub struct Row {
    pub values: Vec<Value>,
    columns: Arc<[Box<str>]>,
}

/// A column read as the wrong type, or NULL where a value must be: the schema and the code
/// disagree, which is a bug to report, never a value to guess. The value is not repeated.
fn decoding(column: &str, wanted: &str, found: &Value) -> StoreError {
    let found = match found {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Real(_) => "a real number",
        Value::Text(_) => "text",
        Value::Bytes(_) => "binary content",
    };
    StoreError::Database(format!("column {column}: expected {wanted}, found {found}"))
}

impl Row {
    /// A row made in memory (read back as if from the database).
    pub(crate) fn new(columns: Arc<[Box<str>]>, values: Vec<Value>) -> Row {
        Row { values, columns }
    }

    /// The names of the row's columns, in order.
    pub fn columns(&self) -> &[Box<str>] {
        &self.columns
    }

    fn value(&self, i: usize) -> &Value {
        self.values.get(i).unwrap_or(&Value::Null)
    }

    /// The value of the column named `column` (its name or alias in the query).
    pub fn get(&self, column: &str) -> Result<&Value, StoreError> {
        let i = self
            .columns
            .iter()
            .position(|c| c.as_ref() == column)
            .ok_or_else(|| StoreError::Database(format!("the query has no column {column}")))?;
        Ok(self.value(i))
    }

    /// A text column that may not be NULL.
    pub fn text_of(&self, column: &str) -> Result<String, StoreError> {
        match self.get(column)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(decoding(column, "text", other)),
        }
    }

    /// A text column that may be NULL.
    pub fn opt_text_of(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.get(column)? {
            Value::Text(s) => Ok(Some(s.clone())),
            Value::Null => Ok(None),
            other => Err(decoding(column, "text or NULL", other)),
        }
    }

    /// An integer column that may not be NULL (booleans are 0/1 integers).
    pub fn int_of(&self, column: &str) -> Result<i64, StoreError> {
        match self.get(column)? {
            Value::Int(n) => Ok(*n),
            other => Err(decoding(column, "an integer", other)),
        }
    }

    /// An integer column that may be NULL.
    pub fn opt_int_of(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.get(column)? {
            Value::Int(n) => Ok(Some(*n)),
            Value::Null => Ok(None),
            other => Err(decoding(column, "an integer or NULL", other)),
        }
    }
    /// A binary column that may not be NULL.
    pub fn bytes_of(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        match self.get(column)? {
            Value::Bytes(b) => Ok(b.clone()),
            other => Err(decoding(column, "binary content", other)),
        }
    }
    pub fn text(&self, i: usize) -> String {
        match self.value(i) {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Null | Value::Bytes(_) => String::new(),
        }
    }
    /// A text column without copying it (empty for other types and NULL).
    pub fn str(&self, i: usize) -> &str {
        match self.value(i) {
            Value::Text(s) => s,
            _ => "",
        }
    }
    /// A text column that may be NULL, without copying it.
    pub fn opt_str(&self, i: usize) -> Option<&str> {
        match self.value(i) {
            Value::Null => None,
            _ => Some(self.str(i)),
        }
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.value(i) {
            Value::Null => None,
            _ => Some(self.text(i)),
        }
    }
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.value(i) {
            Value::Int(n) => Some(*n),
            Value::Real(r) => Some(*r as i64),
            Value::Text(s) => s.parse().ok(),
            Value::Null | Value::Bytes(_) => None,
        }
    }
    pub fn opt_real(&self, i: usize) -> Option<f64> {
        match self.value(i) {
            Value::Null => None,
            _ => Some(self.real(i)),
        }
    }
    pub fn real(&self, i: usize) -> f64 {
        match self.value(i) {
            Value::Int(n) => *n as f64,
            Value::Real(r) => *r,
            Value::Text(s) => s.parse().unwrap_or(0.0),
            Value::Null | Value::Bytes(_) => 0.0,
        }
    }
}

/// Which database, parsed from `--database-url` / `DATABASE_URL`, or the default SQLite file.
#[derive(Clone)]
pub enum Target {
    /// `create`: whether a missing file may be created (only for the data folder's default).
    Sqlite {
        path: PathBuf,
        create: bool,
    },
    Postgres {
        config: Box<postgres::Config>,
        display: String,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    /// The default: `djoliba.sqlite` in the data folder, created when missing.
    pub fn default_sqlite(data_dir: &Path) -> Target {
        Target::Sqlite { path: data_dir.join("djoliba.sqlite"), create: true }
    }

    /// Parses a database URL. `sqlite://PATH` (or `sqlite:PATH`) names an existing file;
    /// `postgres://` or `postgresql://` a server. Anything else is an error: a mistyped URL
    /// must never become a new, empty database.
    pub fn parse_url(url: &str) -> Result<Target, StoreError> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = PathBuf::from(rest);
            if rest.is_empty() {
                return Err(StoreError::Config("the sqlite URL has no file path (expected sqlite://PATH)".into()));
            }
            return Ok(Target::Sqlite { path, create: false });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: postgres::Config = url.parse().map_err(|e| {
                StoreError::Config(format!(
                    "the PostgreSQL URL does not parse: {e} (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
                ))
            })?;
            if config.get_dbname().is_none() {
                return Err(StoreError::Config(
                    "the PostgreSQL URL names no database (expected postgres://USER@HOST/DATABASE)".into(),
                ));
            }
            return Ok(Target::Postgres { display: redact_url(url), config: Box::new(config) });
        }
        let scheme = url.split(':').next().unwrap_or("");
        Err(StoreError::Config(format!(
            "unsupported database URL scheme {scheme:?}: expected sqlite://PATH or postgres://USER@HOST/DATABASE"
        )))
    }

    /// A description safe for logs: no password.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite { path, .. } => format!("SQLite {}", path.display()),
            Target::Postgres { display, .. } => format!("PostgreSQL {display}"),
        }
    }
}

fn redact_url(url: &str) -> String {
    // postgres://user:secret@host/db → postgres://user:***@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug)]
pub struct SqliteManager {
    path: PathBuf,
}

impl r2d2::ManageConnection for SqliteManager {
    type Connection = rusqlite::Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // Field laptops lose power: WAL with full sync keeps committed work; foreign keys on.
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL is set once when the pool opens (it is a property of the file).
        // Pages read through a memory map rather than copied by a system call each (a
        // registry is larger than SQLite's own cache): reads of the whole registry (figures,
        // an import's lookups) spent a fifth of their time copying pages.
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA mmap_size = 1073741824;")?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut rusqlite::Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut rusqlite::Connection) -> bool {
        false
    }
}

pub struct PostgresManager {
    config: postgres::Config,
}

impl std::fmt::Debug for PostgresManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresManager")
    }
}

impl r2d2::ManageConnection for PostgresManager {
    type Connection = postgres::Client;
    type Error = postgres::Error;

    fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(postgres::NoTls)
    }

    fn is_valid(&self, conn: &mut postgres::Client) -> Result<(), postgres::Error> {
        conn.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut postgres::Client) -> bool {
        conn.is_closed()
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(r2d2::Pool<SqliteManager>),
    Postgres(r2d2::Pool<PostgresManager>),
}

/// A pool of connections to a PostgreSQL server.
fn postgres_pool(config: &postgres::Config) -> Result<Pool, r2d2::Error> {
    let manager = PostgresManager { config: config.clone() };
    let pool = r2d2::Pool::builder()
        .max_size(8)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?;
    Ok(Pool::Postgres(pool))
}

/// What a transaction may do: read, write and commit, or write and roll back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    /// A write of changes another sync node made (see `write_received`).
    Received,
    Write,
    Rehearse,
}

/// A connection pool to one of the two databases.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// A PostgreSQL read replica (streaming replication) for reads that may lag the primary:
    /// figures and exports (`read_lagging`).
    replica: Option<Pool>,
    target: Target,
    /// SQLite has one writer at a time; writers of this process queue here rather than in
    /// SQLite's busy handler, which sleeps and retries and so starves a writer behind a
    /// stream of short ones (the audit rows of reads). Other processes still wait in it.
    sqlite_writer: Arc<Mutex<()>>,
    /// This installation is a sync node: every write transaction records what it changed in
    /// the registry in the change feed (`sync::capture`) before it commits.
    sync_capture: Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn connect(target: &Target) -> Result<Db, StoreError> {
        let pool = match target {
            Target::Sqlite { path, create } => {
                if !path.exists() {
                    if !create {
                        return Err(StoreError::Config(format!(
                            "no SQLite database at {} (a database URL must name an existing file; omit --database-url to use the data folder's database)",
                            path.display()
                        )));
                    }
                    // Create the file here, once, so the pool itself never creates one.
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            StoreError::Config(format!("cannot create the data folder {}: {e}", parent.display()))
                        })?;
                    }
                    rusqlite::Connection::open(path).map_err(|e| {
                        StoreError::Config(format!("cannot create the database {}: {e}", path.display()))
                    })?;
                }
                // A registry of displaced people: nobody but the account running Djoliba reads it.
                if *create {
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        restrict_to_owner(parent)?;
                    }
                    restrict_to_owner(path)?;
                } else if let Err(error) = restrict_to_owner(path) {
                    // A file named by URL may belong to someone else: say so, and go on.
                    tracing::warn!(%error, "the database file stays readable by others");
                }
                // Switching to WAL needs the file to itself, so it happens here, before the pool
                // opens connections side by side.
                let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
                    .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
                conn.busy_timeout(Duration::from_secs(10)).map_err(db_error)?;
                let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(db_error)?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(StoreError::Config(format!(
                        "{} cannot use write-ahead logging (journal mode {mode}); is it on a network drive?",
                        path.display()
                    )));
                }
                drop(conn);
                let manager = SqliteManager { path: path.clone() };
                let pool = r2d2::Pool::builder()
                    .max_size(8)
                    .min_idle(Some(1))
                    .connection_timeout(Duration::from_secs(30))
                    .build(manager)
                    .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
                Pool::Sqlite(pool)
            }
            Target::Postgres { config, display } => postgres_pool(config)
                .map_err(|e| StoreError::Config(format!("cannot connect to PostgreSQL at {display}: {e}")))?,
        };
        Ok(Db {
            pool,
            replica: None,
            target: target.clone(),
            sqlite_writer: Arc::default(),
            sync_capture: Arc::default(),
        })
    }

    /// Sends the reads that may lag (figures, exports) to a PostgreSQL read replica of this
    /// database. It must be a standby in recovery, at the schema this server migrated to.
    pub fn with_read_replica(mut self, replica: &Target) -> Result<Db, StoreError> {
        let (Pool::Postgres(_), Target::Postgres { config, display }) = (&self.pool, replica) else {
            return Err(StoreError::Config("a read replica serves a PostgreSQL database only".into()));
        };
        let pool = postgres_pool(config)
            .map_err(|e| StoreError::Config(format!("cannot connect to the read replica at {display}: {e}")))?;
        let schema = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        let primary = self.read(|tx| tx.query_int(schema, &[]))?;
        let (standby, schema_there) = self.run_on(&pool, Mode::Read, |tx| {
            let standby = tx.query_int("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END", &[])? == 1;
            Ok((standby, tx.query_int(schema, &[])?))
        })?;
        if !standby {
            return Err(StoreError::Config(format!(
                "{display} is not a read replica (not in recovery): writes there would be lost"
            )));
        }
        if schema_there != primary {
            return Err(StoreError::Config(format!(
                "the read replica at {display} is at schema version {schema_there}, the database at {primary}"
            )));
        }
        self.replica = Some(pool);
        Ok(self)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Runs `f` in a read transaction.
    pub fn read<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.run_on(&self.pool, Mode::Read, f)
    }

    /// Runs `f` in a write transaction, committed if `f` succeeds and rolled back otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.run_on(&self.pool, Mode::Write, f)
    }

    /// Runs `f` in a write transaction and rolls it back whatever happens: what a write would
    /// do, found out without doing it (an import's preview).
    pub fn rehearse<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.run_on(&self.pool, Mode::Rehearse, f)
    }

    /// A write of changes received from another sync node: they are in the change feed
    /// already, so the capture of local changes does not look for them.
    pub(crate) fn write_received<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.run_on(&self.pool, Mode::Received, f)
    }

    /// Runs `f` in a read transaction on the read replica if there is one: what it reads may
    /// be some moments behind the latest writes, but is one consistent snapshot. Figures and
    /// exports read here; what a user expects to see right after saving it does not.
    pub fn read_lagging<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.run_on(self.replica.as_ref().unwrap_or(&self.pool), Mode::Read, f)
    }

    /// Turns the change feed's capture on (this installation became a sync node).
    pub(crate) fn capture_changes(&self, on: bool) {
        self.sync_capture.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    fn run_on<T>(
        &self,
        pool: &Pool,
        mode: Mode,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let write = mode != Mode::Read;
        let f = |tx: &mut Tx<'_>| {
            if !write || mode == Mode::Received || !self.sync_capture.load(std::sync::atomic::Ordering::Relaxed) {
                return f(tx);
            }
            tx.note_written_tables();
            let start = crate::sync::capture::Counters::read(tx)?;
            let out = f(tx)?;
            crate::sync::capture::since(tx, start)?;
            Ok(out)
        };
        match pool {
            Pool::Sqlite(pool) => {
                let _writing =
                    if write { Some(self.sqlite_writer.lock().unwrap_or_else(|p| p.into_inner())) } else { None };
                let mut conn = pool.get().map_err(|e| StoreError::Database(format!("no database connection: {e}")))?;
                // IMMEDIATE takes the write lock up front, so two writers wait for each other
                // (busy timeout) instead of failing when a reader upgrades.
                let behavior = if write {
                    rusqlite::TransactionBehavior::Immediate
                } else {
                    rusqlite::TransactionBehavior::Deferred
                };
                let tx = conn.transaction_with_behavior(behavior).map_err(db_error)?;
                let mut wrapped = Tx::Sqlite(tx, Vec::new(), Written::default());
                let out = f(&mut wrapped)?;
                if let Tx::Sqlite(tx, last, _) = wrapped {
                    if matches!(mode, Mode::Write | Mode::Received) {
                        for (sql, params) in last {
                            tx.prepare_cached(&sqlite_sql(sql))
                                .and_then(|mut s| s.execute(rusqlite::params_from_iter(params.iter())))
                                .map_err(db_error)?;
                        }
                        tx.commit().map_err(db_error)?;
                    }
                }
                Ok(out)
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.get().map_err(|e| StoreError::Database(format!("no database connection: {e}")))?;
                // A read sees one snapshot of the database, as on SQLite (a read transaction
                // there is one WAL snapshot): a page or an export never mixes two versions.
                let tx = if write {
                    conn.transaction()
                } else {
                    conn.build_transaction()
                        .isolation_level(postgres::IsolationLevel::RepeatableRead)
                        .read_only(true)
                        .start()
                }
                .map_err(pg_error)?;
                let mut wrapped = Tx::Postgres(tx, std::collections::HashMap::new(), Written::default());
                let out = f(&mut wrapped)?;
                if let Tx::Postgres(tx, _, _) = wrapped {
                    if matches!(mode, Mode::Write | Mode::Received) {
                        tx.commit().map_err(pg_error)?;
                    }
                }
                Ok(out)
            }
        }
    }

    /// SQLite only: a consistent copy of the database while it is in use (`VACUUM INTO`).
    pub fn sqlite_backup(&self, dest: &Path) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let conn = pool.get().map_err(|e| StoreError::Database(format!("no database connection: {e}")))?;
                if dest.exists() {
                    return Err(StoreError::Config(format!(
                        "{} already exists; choose a new file name",
                        dest.display()
                    )));
                }
                let dest_text =
                    dest.to_str().ok_or_else(|| StoreError::Config("the backup path is not valid UTF-8".into()))?;
                conn.execute("VACUUM INTO ?1", [dest_text]).map_err(db_error)?;
                restrict_to_owner(dest)
            }
            Pool::Postgres(_) => {
                Err(StoreError::Config("djoliba backup copies the SQLite database; for PostgreSQL use pg_dump".into()))
            }
        }
    }
}

/// Makes a file readable and writable (a folder also enterable) by its owner only. SQLite gives
/// a database's `-wal` and `-shm` files the database's own mode.
pub fn restrict_to_owner(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| StoreError::Config(format!("cannot restrict {} to its owner: {e}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A transaction on either database.
pub enum Tx<'c> {
    /// With the statements to run last, just before the commit ([`Tx::last`]).
    Sqlite(rusqlite::Transaction<'c>, Vec<(&'static str, Vec<Value>)>, Written),
    /// With the statements prepared in this transaction: a bulk import runs the same few
    /// statements many times, and preparing costs a round trip to the server.
    Postgres(postgres::Transaction<'c>, std::collections::HashMap<String, postgres::Statement>, Written),
}

/// The tables a transaction wrote, noted only when asked (a sync node's capture compares the
/// records of those tables with what it shipped).
#[derive(Default)]
pub struct Written(Option<std::collections::BTreeSet<String>>);

impl Written {
    /// Notes the table a statement writes (`INSERT INTO t`, `UPDATE t`, `DELETE FROM t`).
    fn note(&mut self, sql: &str) {
        let Some(tables) = &mut self.0 else {
            return;
        };
        let mut words = sql.split_whitespace();
        let table = match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("INSERT") | Some("DELETE") => words.nth(1),
            Some("UPDATE") => words.next(),
            _ => None,
        };
        if let Some(table) = table {
            let table = table.split('(').next().unwrap_or(table).to_ascii_lowercase();
            tables.insert(table);
        }
    }
}

fn pg_statement(
    tx: &mut postgres::Transaction<'_>,
    cache: &mut std::collections::HashMap<String, postgres::Statement>,
    sql: &str,
) -> Result<postgres::Statement, StoreError> {
    if let Some(statement) = cache.get(sql) {
        return Ok(statement.clone());
    }
    let statement = tx.prepare(sql).map_err(pg_error)?;
    cache.insert(sql.to_string(), statement.clone());
    Ok(statement)
}

// A unique violation says `AlreadyRecorded` to the user: the database's own message names the
// values (personal data, at times), so it is not repeated.
pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, _) = &e {
        let unique = [rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY];
        if unique.contains(&failure.extended_code) {
            return StoreError::Conflict(domain::Message::AlreadyRecorded);
        }
    }
    StoreError::Database(e.to_string())
}

pub(crate) fn pg_error(e: postgres::Error) -> StoreError {
    if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict(domain::Message::AlreadyRecorded);
    }
    if let Some(db) = e.as_db_error() {
        StoreError::Database(format!("{}: {}", db.code().code(), db.message()))
    } else {
        StoreError::Database(e.to_string())
    }
}

/// `$1` → `?1` for SQLite, which reads `$1` as a named parameter.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') {
        std::borrow::Cow::Owned(sql.replace('$', "?"))
    } else {
        std::borrow::Cow::Borrowed(sql)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bytes(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// From this many rows `insert_rows` loads by COPY on PostgreSQL (below, a multi-row INSERT
/// costs about the same).
const COPY_FROM_ROWS: usize = 64;

/// A value in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return
/// escaped; bytes as `\\x` and hex (the escaped form of bytea's hex input).
fn copy_text(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(r) if r.is_infinite() => out.extend_from_slice(if *r > 0.0 { b"Infinity" } else { b"-Infinity" }),
        Value::Real(r) => out.extend_from_slice(r.to_string().as_bytes()),
        Value::Text(text) => {
            for &b in text.as_bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    other => out.push(other),
                }
            }
        }
        Value::Bytes(bytes) => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(hex::encode(bytes).as_bytes());
        }
    }
}

/// The column names of a prepared SQLite statement.
fn sqlite_columns(stmt: &rusqlite::Statement<'_>) -> Arc<[Box<str>]> {
    stmt.column_names().into_iter().map(Box::from).collect()
}

/// The column names of a prepared PostgreSQL statement.
fn pg_columns(statement: &postgres::Statement) -> Arc<[Box<str>]> {
    statement.columns().iter().map(|c| Box::from(c.name())).collect()
}

/// A SQLite row as values.
fn sqlite_row(row: &rusqlite::Row<'_>, columns: &Arc<[Box<str>]>) -> Result<Row, StoreError> {
    use rusqlite::types::ValueRef;
    let mut values = Vec::with_capacity(columns.len());
    for i in 0..columns.len() {
        values.push(match row.get_ref(i).map_err(db_error)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        });
    }
    Ok(Row { values, columns: columns.clone() })
}

/// Reads a SQLite row into `buffer`, reusing its strings: a streamed query allocates nothing per
/// row but what its caller keeps (a full count streams millions of rows).
fn sqlite_row_into(row: &rusqlite::Row<'_>, buffer: &mut Row) -> Result<(), StoreError> {
    use rusqlite::types::ValueRef;
    for i in 0..buffer.columns.len() {
        let value = row.get_ref(i).map_err(db_error)?;
        if let (ValueRef::Text(t), Some(Value::Text(kept))) = (value, buffer.values.get_mut(i)) {
            kept.clear();
            kept.push_str(&String::from_utf8_lossy(t));
            continue;
        }
        let value = match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        };
        match buffer.values.get_mut(i) {
            Some(slot) => *slot = value,
            None => buffer.values.push(value),
        }
    }
    Ok(())
}

fn pg_row(row: &postgres::Row, columns: &Arc<[Box<str>]>) -> Result<Row, StoreError> {
    use postgres::types::Type;
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let conv = |e: postgres::Error| StoreError::Database(format!("column {}: {e}", column.name()));
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(conv)?.map(Value::Int),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(conv)?.map(|v| Value::Int(v.into())),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(conv)?.map(|v| Value::Int(v.into())),
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(conv)?.map(Value::from),
            Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(conv)?.map(Value::Real),
            Type::FLOAT4 => row.try_get::<_, Option<f32>>(i).map_err(conv)?.map(|v| Value::Real(v.into())),
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map_err(conv)?.map(Value::Bytes),
            _ => row.try_get::<_, Option<String>>(i).map_err(conv)?.map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row { values, columns: columns.clone() })
}

impl Tx<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(..) => Backend::Postgres,
        }
    }

    fn written_mut(&mut self) -> &mut Written {
        match self {
            Tx::Sqlite(_, _, written) | Tx::Postgres(_, _, written) => written,
        }
    }

    /// From now on, notes the tables this transaction writes.
    pub(crate) fn note_written_tables(&mut self) {
        self.written_mut().0.get_or_insert_with(Default::default);
    }

    /// Whether this transaction wrote the table (since [`Tx::note_written_tables`]).
    pub(crate) fn wrote(&self, table: &str) -> bool {
        match self {
            Tx::Sqlite(_, _, written) | Tx::Postgres(_, _, written) => {
                written.0.as_ref().is_some_and(|tables| tables.contains(table))
            }
        }
    }

    /// Executes one statement; returns the number of rows changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.written_mut().note(sql);
        match self {
            Tx::Sqlite(tx, _, _) => {
                let mut stmt = tx.prepare_cached(&sqlite_sql(sql)).map_err(db_error)?;
                let n = stmt.execute(rusqlite::params_from_iter(params.iter())).map_err(db_error)?;
                Ok(n as u64)
            }
            Tx::Postgres(tx, cache, _) => {
                let statement = pg_statement(tx, cache, sql)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                tx.execute(&statement, &refs).map_err(pg_error)
            }
        }
    }

    /// SQLite: runs a statement last, just before the commit, in the order given (nothing on a
    /// rollback). For a full-text index: FTS5 writes its pending terms to disk at every
    /// statement savepoint, so its rows written amid an import's other statements cost a flush
    /// each; written last, they cost one. PostgreSQL: runs it now.
    pub fn last(&mut self, sql: &'static str, params: Vec<Value>) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(_, last, _) => {
                last.push((sql, params));
                Ok(())
            }
            Tx::Postgres(..) => self.execute(sql, &params).map(|_| ()),
        }
    }

    /// Runs a script of statements without parameters (migrations).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx, _, _) => tx.execute_batch(sql).map_err(db_error),
            Tx::Postgres(tx, _, _) => tx.batch_execute(sql).map_err(pg_error),
        }
    }

    /// Runs a query and hands each row to `f` as it comes, without holding them all: for
    /// reads over the whole registry.
    pub fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx, _, _) => {
                let mut stmt = tx.prepare_cached(&sqlite_sql(sql)).map_err(db_error)?;
                let columns = sqlite_columns(&stmt);
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(db_error)?;
                let mut buffer = Row { values: Vec::with_capacity(columns.len()), columns };
                while let Some(row) = rows.next().map_err(db_error)? {
                    sqlite_row_into(row, &mut buffer)?;
                    f(&buffer)?;
                }
                Ok(())
            }
            Tx::Postgres(tx, cache, _) => {
                use postgres::fallible_iterator::FallibleIterator;
                let statement = pg_statement(tx, cache, sql)?;
                let refs = params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync));
                let columns = pg_columns(&statement);
                let mut rows = tx.query_raw(&statement, refs).map_err(pg_error)?;
                while let Some(row) = rows.next().map_err(pg_error)? {
                    f(&pg_row(&row, &columns)?)?;
                }
                Ok(())
            }
        }
    }

    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        match self {
            Tx::Sqlite(tx, _, _) => {
                let mut stmt = tx.prepare_cached(&sqlite_sql(sql)).map_err(db_error)?;
                let columns = sqlite_columns(&stmt);
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(db_error)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(db_error)? {
                    out.push(sqlite_row(row, &columns)?);
                }
                Ok(out)
            }
            Tx::Postgres(tx, cache, _) => {
                let statement = pg_statement(tx, cache, sql)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                let columns = pg_columns(&statement);
                tx.query(&statement, &refs).map_err(pg_error)?.iter().map(|row| pg_row(row, &columns)).collect()
            }
        }
    }

    /// Inserts rows. On PostgreSQL, with as few statements as the parameter limits allow (one
    /// round trip for a household's members instead of one each); SQLite, in process, is fastest
    /// with one cached single-row statement.
    pub fn insert_rows(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<(), StoreError> {
        let placeholders =
            |first: usize| (first..first + columns.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        if self.backend() == Backend::Sqlite {
            let sql = format!("{head}({})", placeholders(1));
            for row in rows {
                self.execute(&sql, &row)?;
            }
            return Ok(());
        }
        if rows.len() >= COPY_FROM_ROWS {
            return self.copy_rows(table, columns, rows);
        }
        // PostgreSQL accepts 65,535 parameters in one statement.
        let max_rows = (30_000 / columns.len().max(1)).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(max_rows).collect();
            let groups: Vec<String> =
                (0..chunk.len()).map(|i| format!("({})", placeholders(1 + i * columns.len()))).collect();
            let params: Vec<Value> = chunk.into_iter().flatten().collect();
            self.execute(&format!("{head}{}", groups.join(", ")), &params)?;
        }
        Ok(())
    }

    /// Updates rows by their key: each row is the key's value then the columns' new values.
    /// SQLite: one cached statement per row (in process, cheap). PostgreSQL: one
    /// `UPDATE … FROM (VALUES …)` per few thousand rows instead of a round trip each; a column's
    /// parameters are cast to the type of its first value that is not null (text otherwise).
    pub fn update_rows(
        &mut self,
        table: &str,
        key: &str,
        columns: &[&str],
        rows: Vec<Vec<Value>>,
    ) -> Result<(), StoreError> {
        if self.backend() == Backend::Sqlite || rows.len() < 2 {
            let sets: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 2)).collect();
            let sql = format!("UPDATE {table} SET {} WHERE {key} = $1", sets.join(", "));
            for row in rows {
                self.execute(&sql, &row)?;
            }
            return Ok(());
        }
        let width = columns.len() + 1;
        let casts: Vec<&str> = (0..width)
            .map(|i| match rows.iter().map(|r| &r[i]).find(|v| !matches!(v, Value::Null)) {
                Some(Value::Int(_)) => "bigint",
                Some(Value::Real(_)) => "double precision",
                Some(Value::Bytes(_)) => "bytea",
                _ => "text",
            })
            .collect();
        let sets: Vec<String> = columns.iter().map(|c| format!("{c} = v.{c}")).collect();
        let names = std::iter::once(key).chain(columns.iter().copied()).collect::<Vec<_>>().join(", ");
        let max_rows = (30_000 / width).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(max_rows).collect();
            let groups: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let cells: Vec<String> =
                        casts.iter().enumerate().map(|(i, t)| format!("${}::{t}", 1 + r * width + i)).collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            let params: Vec<Value> = chunk.into_iter().flatten().collect();
            let sql = format!(
                "UPDATE {table} AS t SET {} FROM (VALUES {}) AS v({names}) WHERE t.{key} = v.{key}",
                sets.join(", "),
                groups.join(", ")
            );
            self.execute(&sql, &params)?;
        }
        Ok(())
    }

    /// PostgreSQL: rows streamed by one `COPY … FROM STDIN` (text format) in this transaction:
    /// no statement to parse or parameters to bind per row. Constraints hold as for INSERT.
    fn copy_rows(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<(), StoreError> {
        use std::io::Write;
        self.written_mut().note(&format!("INSERT INTO {table}"));
        let Tx::Postgres(tx, _, _) = self else {
            return Err(StoreError::Database("COPY is PostgreSQL's".into()));
        };
        let mut writer = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", columns.join(", "))).map_err(pg_error)?;
        let mut line = Vec::with_capacity(1024);
        let io = |e: std::io::Error| StoreError::Database(format!("COPY into {table}: {e}"));
        for row in rows {
            line.clear();
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    line.push(b'\t');
                }
                copy_text(value, &mut line);
            }
            line.push(b'\n');
            writer.write_all(&line).map_err(io)?;
        }
        writer.finish().map_err(pg_error)?;
        Ok(())
    }

    /// Runs an assembled statement (see [`crate::visibility::Sql`]).
    pub fn select(&mut self, sql: &crate::visibility::Sql) -> Result<Vec<Row>, StoreError> {
        self.query(sql.text(), sql.params())
    }

    pub fn select_opt(&mut self, sql: &crate::visibility::Sql) -> Result<Option<Row>, StoreError> {
        self.query_opt(sql.text(), sql.params())
    }

    pub fn run(&mut self, sql: &crate::visibility::Sql) -> Result<u64, StoreError> {
        self.execute(sql.text(), sql.params())
    }

    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// A single integer, e.g. `SELECT COUNT(*) …`.
    pub fn query_int(&mut self, sql: &str, params: &[Value]) -> Result<i64, StoreError> {
        Ok(self.query_opt(sql, params)?.map(|r| r.int(0)).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_urls_are_errors() {
        for url in ["postgress://x/db", "mysql://x/db", "", "sqlite://", "postgres://host"] {
            assert!(Target::parse_url(url).is_err(), "{url}");
        }
        assert!(matches!(Target::parse_url("sqlite:///tmp/x.db"), Ok(Target::Sqlite { create: false, .. })));
        assert!(matches!(Target::parse_url("postgres://u@localhost/db"), Ok(Target::Postgres { .. })));
    }

    #[test]
    fn password_is_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn value_debug_hides_text() {
        assert_eq!(format!("{:?}", Value::from("Aminata")), "Text(..)");
    }
}
