//! Organisations, users, passwords (Argon2id) and session tokens. Tokens are random, shown to
//! the client once, and stored only as their SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use domain::{Message, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Tx, Value};
use crate::error::StoreError;
use crate::{audit, new_id, params, Actor, Store};

/// Sessions end after this long without use, and in any case after `SESSION_ABSOLUTE_MS`.
pub const SESSION_IDLE_MS: i64 = 8 * 3600 * 1000;
pub const SESSION_ABSOLUTE_MS: i64 = 24 * 3600 * 1000;
/// Failed sign-ins of one account allowed within `SIGN_IN_WINDOW_MS`.
pub const MAX_FAILED_SIGN_INS: i64 = 5;
pub const SIGN_IN_WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub disabled: bool,
    /// The régions whose households the user sees; empty for all.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// The actor of a session or token row: user id, username, role and organisation in the first
/// four columns, the régions in column `regions`.
pub(crate) fn actor_from_row(r: &crate::db::Row, read_only: bool, regions: usize) -> Result<Actor, StoreError> {
    Ok(Actor {
        user_id: r.text(0),
        username: r.text(1),
        role: Role::parse("role", r.str(2)).map_err(|e| StoreError::Database(e.to_string()))?,
        organisation_id: r.opt_text(3),
        read_only,
        regions: split_regions(r.opt_text(regions)),
    })
}

/// The régions column: comma-separated admin 1 P-codes.
pub(crate) fn split_regions(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default().split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_string).collect()
}

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// SHA-256 of a text, as hex: how tokens are stored, and what CSRF tokens derive from.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password a person can type from a printout: 20 characters without look-alikes.
pub fn generate_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// Argon2 needs 19 MiB and a core for each hash: at most this many run at once, so a burst of
/// sign-ins queues instead of taking gigabytes.
const HASHING_AT_ONCE: usize = 2;
/// Beyond this many waiting, a sign-in is refused at once (the server is busy) rather than
/// queued for ever.
const HASHING_QUEUE: usize = 64;

struct HashingGate {
    state: std::sync::Mutex<(usize, usize)>, // (running, waiting)
    freed: std::sync::Condvar,
    at_once: usize,
    queue: usize,
}

static HASHING: HashingGate = HashingGate::new(HASHING_AT_ONCE, HASHING_QUEUE);

impl HashingGate {
    const fn new(at_once: usize, queue: usize) -> HashingGate {
        HashingGate { state: std::sync::Mutex::new((0, 0)), freed: std::sync::Condvar::new(), at_once, queue }
    }

    /// Runs `f` when a slot is free; refuses at once when the queue is full.
    fn run<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.0 >= self.at_once && state.1 >= self.queue {
                return Err(StoreError::Busy("too many sign-ins at once: try again in a few seconds"));
            }
            state.1 += 1;
            while state.0 >= self.at_once {
                state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state.1 -= 1;
            state.0 += 1;
        }
        struct Release<'g>(&'g HashingGate);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
                state.0 -= 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        Ok(f())
    }
}

/// Runs `f` when a hashing slot is free.
fn with_hashing_slot<T>(f: impl FnOnce() -> T) -> Result<T, StoreError> {
    HASHING.run(f)
}

/// A password hard enough to guess: 10 characters or more, not only spaces, and not among the
/// commonest passwords or their variations (zxcvbn's estimate of at least 10^8 guesses, which
/// sign-in throttling makes out of reach online). The username and the product's name count
/// as guessable.
pub fn check_password_strength(password: &str, username: &str) -> Result<(), StoreError> {
    password_strength_of("password", password, username)
}

/// The same, naming the form's or API's own field in the error.
fn password_strength_of(field: &str, password: &str, username: &str) -> Result<(), StoreError> {
    if password.chars().count() < 10 || password.trim().is_empty() {
        return Err(StoreError::invalid(field, "", Message::Password));
    }
    let estimate = zxcvbn::zxcvbn(password, &[username, "djoliba"]);
    if (estimate.score() as u8) < 2 {
        return Err(StoreError::invalid(field, "", Message::Password));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    with_hashing_slot(|| hash_password_now(password))?
}

fn hash_password_now(password: &str) -> Result<String, StoreError> {
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| StoreError::Database(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Database(format!("cannot hash the password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> Result<bool, StoreError> {
    with_hashing_slot(|| {
        PasswordHash::new(hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
}

/// After a new password: sessions end (the next sign-in starts one) and sign-in locks lift.
fn end_sessions_and_locks(tx: &mut crate::db::Tx<'_>, username: &str) -> Result<(), StoreError> {
    tx.execute("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)", params![username])?;
    tx.execute("DELETE FROM sign_in_attempts WHERE username = $1", params![username])?;
    Ok(())
}

fn revoke_user_tokens(tx: &mut crate::db::Tx<'_>, username: &str, now: i64) -> Result<u64, StoreError> {
    tx.execute(
        "UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE username = $2)",
        params![now, username],
    )
}

/// Verified against when the user does not exist, so both cases take the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$lYHxNUC8Ue1Z5kS4xk3a0DAHp0HkhdXVTTTgL6+pbdQ";

impl Store {
    pub fn create_organisation(&self, actor: &Actor, code: &str, name: &str) -> Result<Organisation, StoreError> {
        actor.require_admin()?;
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty()
            || code.len() > 20
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(StoreError::invalid("code", code, Message::OrganisationCode));
        }
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::invalid("name", name, Message::OrganisationName));
        }
        let org = Organisation { id: new_id(), code, name: name.to_string() };
        let now = self.now_ms();
        self.db.write(|tx| {
            if tx.query_opt("SELECT id FROM organisations WHERE code = $1", params![&org.code])?.is_some() {
                return Err(StoreError::Conflict(Message::OrganisationCodeTaken { code: org.code.clone() }));
            }
            tx.execute(
                "INSERT INTO organisations (id, code, name, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
                params![&org.id, &org.code, &org.name, now, &actor.user_id],
            )?;
            audit::record(tx, actor, now, "create", "organisation", &org.id, serde_json::json!({"code": org.code}))
        })?;
        Ok(org)
    }

    pub fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        self.db.read(|tx| {
            Ok(tx
                .query("SELECT id, code, name FROM organisations ORDER BY code", params![])?
                .into_iter()
                .map(|r| Organisation { id: r.text(0), code: r.text(1), name: r.text(2) })
                .collect())
        })
    }

    /// Finds an organisation by code or id.
    pub fn organisation(&self, code_or_id: &str) -> Result<Option<Organisation>, StoreError> {
        let key = code_or_id.trim();
        self.db.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT id, code, name FROM organisations WHERE code = $1 OR id = $2",
                    params![key.to_ascii_uppercase(), key],
                )?
                .map(|r| Organisation { id: r.text(0), code: r.text(1), name: r.text(2) }))
        })
    }

    /// Creates a user. Registrars must belong to an organisation: their records are its records.
    pub fn create_user(
        &self,
        actor: &Actor,
        username: &str,
        role: Role,
        organisation: Option<&str>,
        password: &str,
    ) -> Result<User, StoreError> {
        check_password_strength(password, &username.trim().to_lowercase())?;
        self.create_user_with_any_password(actor, username, role, organisation, password)
    }

    /// The demo's account, whose password is published in the README: the only one created
    /// without the strength check (demo data are synthetic and say so everywhere).
    pub fn create_demo_user(&self, username: &str, password: &str) -> Result<User, StoreError> {
        self.create_user_with_any_password(&Actor::system(), username, Role::Admin, None, password)
    }

    fn create_user_with_any_password(
        &self,
        actor: &Actor,
        username: &str,
        role: Role,
        organisation: Option<&str>,
        password: &str,
    ) -> Result<User, StoreError> {
        actor.require_admin()?;
        let username = username.trim().to_lowercase();
        if username.len() < 2
            || username.len() > 64
            || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(StoreError::invalid("username", username, Message::Username));
        }
        let org = match organisation {
            Some(code) => Some(
                self.organisation(code)?
                    .ok_or_else(|| StoreError::invalid("organisation", code, Message::ExistingOrganisation))?,
            ),
            None => None,
        };
        if role == Role::Registrar && org.is_none() {
            return Err(StoreError::invalid("organisation", "", Message::RegistrarNeedsOrganisation));
        }
        let hash = hash_password(password)?;
        let id = new_id();
        let now = self.now_ms();
        self.db.write(|tx| {
            if tx.query_opt("SELECT id FROM users WHERE username = $1", params![&username])?.is_some() {
                return Err(StoreError::Conflict(Message::UsernameTaken { username: username.to_string() }));
            }
            tx.execute(
                "INSERT INTO users (id, username, password_hash, role, organisation_id, disabled, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
                params![&id, &username, &hash, role.as_str(), org.as_ref().map(|o| o.id.clone()), now],
            )?;
            audit::record(tx, actor, now, "create", "user", &id, serde_json::json!({"username": username, "role": role}))
        })?;
        Ok(User { id, username, role, organisation: org.map(|o| o.code), disabled: false, regions: Vec::new() })
    }

    /// Régions as stored: admin 1 P-codes of the gazetteer, sorted, once each. Check them
    /// before creating a user, so a typo never leaves a user seeing every région.
    pub fn check_regions(&self, regions: &[String]) -> Result<Vec<String>, StoreError> {
        let mut codes = Vec::new();
        for region in regions.iter().map(|r| r.trim().to_uppercase()).filter(|r| !r.is_empty()) {
            match self.gazetteer.get(&region) {
                Some(unit) if unit.admin_level == 1 => codes.push(region),
                _ => return Err(StoreError::invalid("regions", region, Message::RegionCodes)),
            }
        }
        codes.sort();
        codes.dedup();
        Ok(codes)
    }

    /// Limits a user to the households of some régions (admin 1 P-codes); none for all.
    pub fn set_user_regions(
        &self,
        actor: &Actor,
        username: &str,
        regions: &[String],
    ) -> Result<Vec<String>, StoreError> {
        actor.require_admin()?;
        let codes = self.check_regions(regions)?;
        let username = username.trim().to_lowercase();
        let now = self.now_ms();
        self.db.write(|tx| {
            let value = Some(codes.join(",")).filter(|v| !v.is_empty());
            // Sessions carry the old scope: they end.
            change_account(tx, &username, "regions", value.into())?;
            audit::record(tx, actor, now, "set_regions", "user", &username, serde_json::json!({"regions": codes}))
        })?;
        Ok(codes)
    }

    pub fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.db.read(|tx| {
            tx.query(
                "SELECT u.id, u.username, u.role, o.code, u.disabled, u.regions FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id ORDER BY u.username",
                params![],
            )?
            .into_iter()
            .map(|r| {
                Ok(User {
                    id: r.text(0),
                    username: r.text(1),
                    role: Role::parse("role", &r.text(2)).map_err(|e| StoreError::Database(e.to_string()))?,
                    organisation: r.opt_text(3),
                    disabled: r.int(4) != 0,
                    regions: split_regions(r.opt_text(5)),
                })
            })
            .collect()
        })
    }

    /// Gives a user another role; their sessions end (they carried the old one). An
    /// administrator cannot take their own role away (someone must remain to administer).
    pub fn set_user_role(&self, actor: &Actor, username: &str, role: Role) -> Result<(), StoreError> {
        actor.require_admin()?;
        let username = username.trim().to_lowercase();
        if username == actor.username && role != Role::Admin {
            return Err(StoreError::Forbidden("an administrator's own role"));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            change_account(tx, &username, "role", role.as_str().into())?;
            audit::record(tx, actor, now, "set_role", "user", &username, serde_json::json!({"role": role.as_str()}))
        })
    }

    pub fn set_user_disabled(&self, actor: &Actor, username: &str, disabled: bool) -> Result<(), StoreError> {
        actor.require_admin()?;
        self.db.write(|tx| {
            let n = tx.execute(
                "UPDATE users SET disabled = $1 WHERE username = $2",
                params![disabled, username.trim().to_lowercase()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            if disabled {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)",
                    params![username.trim().to_lowercase()],
                )?;
            }
            let action = if disabled { "disable" } else { "enable" };
            audit::record(tx, actor, self.now_ms(), action, "user", username.trim(), serde_json::json!({}))
        })
    }

    /// Checks a password. Unknown users, disabled users and wrong passwords give the same
    /// answer after the same work (a hash is always verified). Every attempt is audited.
    /// Checks a sign-in made on this machine (command line, tests).
    pub fn verify_login(&self, username: &str, password: &str) -> Result<Option<Actor>, StoreError> {
        self.verify_login_from(username, password, "local")
    }

    /// Checks a sign-in from `source` (the client's address). After `MAX_FAILED_SIGN_INS`
    /// failures of one account from one source within `SIGN_IN_WINDOW_MS`, that source gets
    /// every password refused for the rest of the window, with the same answer and the same
    /// work; other sources (the account's owner elsewhere) are not locked out. Each attempt is
    /// counted before its password is checked, in a transaction that holds the account's row,
    /// so parallel guesses cannot all pass the count.
    pub fn verify_login_from(&self, username: &str, password: &str, source: &str) -> Result<Option<Actor>, StoreError> {
        let username = username.trim().to_lowercase();
        let source: String = source.chars().take(64).collect();
        let now = self.now_ms();
        let attempt = new_id();
        let (row, throttled) = self.db.write(|tx| {
            // Takes the account's row lock on PostgreSQL; SQLite's write transaction is exclusive.
            // A read that locks, not a write: a sync node compares the tables a transaction
            // writes, and a sign-in changes no account.
            if tx.backend() == crate::db::Backend::Postgres {
                tx.query("SELECT 1 FROM users WHERE username = $1 FOR UPDATE", params![&username])?;
            }
            let row = tx.query_opt(
                "SELECT id, username, password_hash, role, organisation_id, disabled, regions FROM users WHERE username = $1",
                params![&username],
            )?;
            if row.is_none() {
                return Ok((None, false));
            }
            // Attempts older than the window count no more: the table stays small.
            tx.execute(
                "DELETE FROM sign_in_attempts WHERE username = $1 AND at <= $2",
                params![&username, now - SIGN_IN_WINDOW_MS],
            )?;
            let failures = tx.query_int(
                "SELECT COUNT(*) FROM sign_in_attempts WHERE username = $1 AND source = $2 AND at > $3 AND failed = 1",
                params![&username, &source, now - SIGN_IN_WINDOW_MS],
            )?;
            let throttled = failures >= MAX_FAILED_SIGN_INS;
            if !throttled {
                tx.execute(
                    "INSERT INTO sign_in_attempts (id, username, source, at, failed) VALUES ($1, $2, $3, $4, 1)",
                    params![&attempt, &username, &source, now],
                )?;
            }
            Ok((row, throttled))
        })?;
        let hash = row.as_ref().map(|r| r.text(2)).unwrap_or_else(|| DUMMY_HASH.to_string());
        let ok = verify_password(password, &hash)? && !throttled;
        let known_user = row.as_ref().map(|r| r.text(1));
        let actor = match row {
            Some(r) if ok && r.int(5) == 0 => Some(Actor {
                user_id: r.text(0),
                username: r.text(1),
                role: Role::parse("role", &r.text(3)).map_err(|e| StoreError::Database(e.to_string()))?,
                organisation_id: r.opt_text(4),
                read_only: false,
                regions: split_regions(r.opt_text(6)),
            }),
            _ => None,
        };
        self.db.write(|tx| match &actor {
            Some(a) => {
                tx.execute("UPDATE sign_in_attempts SET failed = 0 WHERE id = $1", params![&attempt])?;
                audit::record(tx, a, now, "sign_in", "user", &a.user_id, serde_json::json!({}))
            }
            None => {
                // The account's name when it exists; never what was typed otherwise (people
                // type their password into the name field), never the password.
                let anonymous = Actor {
                    user_id: "-".into(),
                    username: known_user.clone().unwrap_or_else(|| "(unknown user)".into()),
                    role: Role::Viewer,
                    organisation_id: None,
                    read_only: false,
                    regions: Vec::new(),
                };
                audit::record(tx, &anonymous, now, "sign_in_failed", "user", "", serde_json::json!({}))
            }
        })?;
        Ok(actor)
    }

    /// Opens a session and returns its token, shown once.
    pub fn create_session(&self, actor: &Actor) -> Result<String, StoreError> {
        let token = random_hex(32)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE expires_at < $1", params![now])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
                params![token_hash(&token), &actor.user_id, now, now + SESSION_ABSOLUTE_MS],
            )?;
            Ok(())
        })?;
        Ok(token)
    }

    /// The actor behind a session token, if the session is alive; touching it extends idle time.
    /// A read transaction answers most requests; only an expiry or a touch (at most once a
    /// minute) writes, so requests do not queue for SQLite's write lock.
    pub fn session_actor(&self, token: &str) -> Result<Option<Actor>, StoreError> {
        if token.starts_with(crate::tokens::PREFIX) {
            return self.token_actor(token);
        }
        let now = self.now_ms();
        let hash = token_hash(token);
        let row = self.db.read(|tx| {
            tx.query_opt(
                "SELECT u.id, u.username, u.role, u.organisation_id, s.last_seen_at, s.expires_at, u.disabled, u.regions
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                params![&hash],
            )
        })?;
        let Some(r) = row else { return Ok(None) };
        if r.int(5) < now || r.int(4) + SESSION_IDLE_MS < now || r.int(6) != 0 {
            self.db.write(|tx| tx.execute("DELETE FROM sessions WHERE token_hash = $1", params![&hash]))?;
            return Ok(None);
        }
        if now - r.int(4) > 60_000 {
            self.db.write(|tx| {
                tx.execute("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2", params![now, &hash])
            })?;
        }
        actor_from_row(&r, false, 7).map(Some)
    }

    pub fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        self.db.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = $1", params![token_hash(token)])?;
            Ok(())
        })
    }
}

impl Store {
    /// Sets a new password and ends the user's sessions.
    /// An administrator's reset of a user's password: ends their sessions, lifts any sign-in
    /// lock, and with `revoke_tokens` revokes their API tokens too (which otherwise keep working:
    /// a token is not the password). Returns how many tokens were revoked.
    pub fn set_password(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
        revoke_tokens: bool,
    ) -> Result<u64, StoreError> {
        actor.require_admin()?;
        let username = username.trim().to_lowercase();
        check_password_strength(password, &username)?;
        let hash = hash_password(password)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let n = tx.execute("UPDATE users SET password_hash = $1 WHERE username = $2", params![&hash, &username])?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            let revoked = if revoke_tokens { revoke_user_tokens(tx, &username, now)? } else { 0 };
            let detail = serde_json::json!({"tokens_revoked": revoked});
            audit::record(tx, actor, now, "set_password", "user", &username, detail)?;
            end_sessions_and_locks(tx, &username)?;
            Ok(revoked)
        })
    }

    /// A user's own change of password: the current one is asked again, the new one must be
    /// strong, and every other session of the user ends.
    pub fn change_own_password(&self, actor: &Actor, current: &str, new: &str) -> Result<(), StoreError> {
        if actor.read_only {
            return Err(StoreError::Forbidden("this API token may only read"));
        }
        let hash = self
            .db
            .read(|tx| tx.query_opt("SELECT password_hash FROM users WHERE id = $1", params![&actor.user_id]))?
            .map(|r| r.text(0))
            .ok_or(StoreError::NotFound("user"))?;
        if !verify_password(current, &hash)? {
            return Err(StoreError::invalid("current_password", "", Message::CurrentPassword));
        }
        // Errors name the fields as the API and the form call them.
        password_strength_of("new_password", new, &actor.username)?;
        if new == current {
            return Err(StoreError::invalid("new_password", "", Message::NewPasswordDifferent));
        }
        let hash = hash_password(new)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute("UPDATE users SET password_hash = $1 WHERE id = $2", params![&hash, &actor.user_id])?;
            audit::record(tx, actor, now, "change_password", "user", &actor.user_id, serde_json::json!({}))?;
            end_sessions_and_locks(tx, &actor.username)
        })
    }

    pub fn count_users(&self) -> Result<i64, StoreError> {
        self.db.read(|tx| tx.query_int("SELECT COUNT(*) FROM users", params![]))
    }
}

#[cfg(test)]
mod tests {
    /// 100 concurrent sign-ins took 5.7 GB: hashing runs two at a time, and beyond the queue
    /// the answer is "busy" at once.
    #[test]
    fn hashing_is_bounded_and_refuses_beyond_its_queue() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = super::HashingGate::new(2, 8);
        let (running, peak, refused) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..40 {
                s.spawn(|| {
                    let outcome = gate.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                    if matches!(outcome, Err(crate::StoreError::Busy(_))) {
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most two at once");
        assert!(refused.load(Ordering::SeqCst) > 0, "the queue is bounded");
    }

    #[test]
    fn common_passwords_are_refused_and_phrases_accepted() {
        for (user, weak) in [
            ("awa", "          "),
            ("awa", "aaaaaaaaaa"),
            ("awa", "password12"),
            ("awa", "azertyuiop"),
            ("awa", "djoliba123"),
        ] {
            assert!(super::check_password_strength(weak, user).is_err(), "{weak:?}");
        }
        for (user, good) in [
            ("clerk", "clerk-password-2026"),
            ("awa", "correct horse battery"),
            ("awa", "gao office pass"),
            ("awa", "iom password 12"),
        ] {
            assert!(super::check_password_strength(good, user).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}

/// Sets one column (`regions`, `role`) of the account `username` (`NotFound` if none) and ends
/// its sessions, which carried the old value.
fn change_account(tx: &mut Tx<'_>, username: &str, column: &str, value: Value) -> Result<(), StoreError> {
    let n = tx.execute(&format!("UPDATE users SET {column} = $1 WHERE username = $2"), &[value, username.into()])?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    tx.execute("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)", params![username])?;
    Ok(())
}

/// How much of one organisation's records another may see.
pub const SHARING_LEVELS: &[&str] = &["none", "aggregates", "pseudonymised", "full"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Agreement {
    /// The organisation whose records are shared (code).
    pub from: String,
    /// The organisation that may see them (code).
    pub to: String,
    /// none, aggregates, pseudonymised or full. Only `full` opens individual records today.
    pub level: String,
}

impl Store {
    /// Records (or changes) what `to` may see of `from`'s records (administrators).
    pub fn set_agreement(&self, actor: &Actor, from: &str, to: &str, level: &str) -> Result<Agreement, StoreError> {
        actor.require_admin()?;
        let level = level.trim().to_ascii_lowercase();
        if !SHARING_LEVELS.contains(&level.as_str()) {
            return Err(StoreError::invalid(
                "level",
                level,
                Message::OneOf { codes: "none, aggregates, pseudonymised, full".into() },
            ));
        }
        let from_org =
            self.organisation(from)?.ok_or_else(|| StoreError::invalid("from", from, Message::ExistingOrganisation))?;
        let to_org =
            self.organisation(to)?.ok_or_else(|| StoreError::invalid("to", to, Message::ExistingOrganisation))?;
        if from_org.id == to_org.id {
            return Err(StoreError::invalid("to", to, Message::AnotherOrganisation));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute("DELETE FROM sharing_agreements WHERE from_org = $1 AND to_org = $2", params![&from_org.id, &to_org.id])?;
            tx.execute(
                "INSERT INTO sharing_agreements (from_org, to_org, level, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
                params![&from_org.id, &to_org.id, &level, now, &actor.user_id],
            )?;
            crate::versions::bump(tx, crate::versions::Capability::Registry)?;
            crate::versions::bump(tx, crate::versions::Capability::Sharing)?;
            audit::record(tx, actor, now, "share", "organisation", &from_org.id, serde_json::json!({"to": to_org.code, "level": level}))
        })?;
        Ok(Agreement { from: from_org.code, to: to_org.code, level })
    }

    pub fn agreements(&self) -> Result<Vec<Agreement>, StoreError> {
        self.db.read(|tx| {
            Ok(tx
                .query(
                    "SELECT f.code, t.code, a.level FROM sharing_agreements a JOIN organisations f ON f.id = a.from_org JOIN organisations t ON t.id = a.to_org ORDER BY f.code, t.code",
                    params![],
                )?
                .into_iter()
                .map(|r| Agreement { from: r.text(0), to: r.text(1), level: r.text(2) })
                .collect())
        })
    }
}
