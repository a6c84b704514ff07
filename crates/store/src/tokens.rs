//! API tokens for programs: named, limited to reading or allowed to write as their user, with
//! an expiry, revocable at once. Stored only as SHA-256; shown once at creation.

use domain::{Message, Role};
use serde::{Deserialize, Serialize};

use crate::auth::{random_hex, token_hash};
use crate::error::StoreError;
use crate::{audit, new_id, params, Actor, Store};

/// Every API token starts with this, so a leaked one is recognisable (and scanners can find it).
pub const PREFIX: &str = "djt_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// GET requests only.
    Read,
    /// Everything the user's role allows.
    Write,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub username: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A new token: its secret is in `token`, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken").field("id", &self.info.id).finish_non_exhaustive()
    }
}

fn instant(ms: Option<i64>) -> Option<String> {
    ms.and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.to_rfc3339())
}

const COLUMNS: &str = "t.id, u.username, t.name, t.scope, t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn from_row(r: &crate::db::Row) -> ApiToken {
    ApiToken {
        id: r.text(0),
        username: r.text(1),
        name: r.text(2),
        scope: if r.text(3) == "write" { TokenScope::Write } else { TokenScope::Read },
        created_at: instant(r.opt_int(4)).unwrap_or_default(),
        expires_at: instant(r.opt_int(5)),
        revoked_at: instant(r.opt_int(6)),
        last_used_at: instant(r.opt_int(7)),
    }
}

/// The longest a token may live.
pub const MAX_DAYS: i64 = 366;

impl Store {
    /// Creates a token for `username` (oneself, or anyone for an administrator). `days` is its
    /// life (1 to 366).
    pub fn create_token(
        &self,
        actor: &Actor,
        username: &str,
        name: &str,
        scope: TokenScope,
        days: i64,
    ) -> Result<NewToken, StoreError> {
        let username = username.trim().to_lowercase();
        if username != actor.username && actor.require_admin().is_err() {
            return Err(StoreError::Forbidden("only an administrator may create tokens for someone else"));
        }
        if actor.read_only {
            return Err(StoreError::Forbidden("this API token may only read"));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::invalid("name", name, Message::TokenPurpose));
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(StoreError::invalid("days", days.to_string(), Message::TokenDays));
        }
        let secret = format!("{PREFIX}{}", random_hex(32)?);
        let now = self.now_ms();
        let id = new_id();
        self.db.write(|tx| {
            let user = tx
                .query_opt(
                    "SELECT id, role FROM users WHERE username = $1 AND disabled = 0",
                    params![username.as_str()],
                )?
                .ok_or(StoreError::NotFound("user"))?;
            let role = Role::parse("role", &user.text(1)).map_err(|e| StoreError::Database(e.to_string()))?;
            if scope == TokenScope::Write && !role.can_write_registry() && role != Role::Admin {
                return Err(StoreError::invalid("scope", "write", Message::ReadScopeOnly));
            }
            tx.execute(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, scope, created_at, created_by, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    id.as_str(),
                    user.text(0),
                    name,
                    token_hash(&secret),
                    if scope == TokenScope::Write { "write" } else { "read" },
                    now,
                    actor.username.as_str(),
                    now + days * 86_400_000
                ],
            )?;
            audit::record(
                tx,
                actor,
                now,
                "token.create",
                "api_token",
                &id,
                serde_json::json!({"user": username, "scope": scope}),
            )
        })?;
        let info = self.tokens(actor, Some(&id))?.pop().ok_or(StoreError::NotFound("api token"))?;
        Ok(NewToken { info, token: secret })
    }

    /// One's own tokens; every token for an administrator (or one, by id).
    pub fn tokens(&self, actor: &Actor, id: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let all = actor.role == Role::Admin;
        self.db.read(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE ($1 = 1 OR t.user_id = $2) AND ($3 = '' OR t.id = $3) ORDER BY t.created_at DESC, t.id"
                ),
                params![all as i64, actor.user_id.as_str(), id.unwrap_or("")],
            )?;
            Ok(rows.iter().map(from_row).collect())
        })
    }

    /// Revokes a token at once: its next request is refused. One's own, or any for an
    /// administrator; another's token answers 404.
    pub fn revoke_token(&self, actor: &Actor, id: &str) -> Result<ApiToken, StoreError> {
        if actor.read_only {
            return Err(StoreError::Forbidden("this API token may only read"));
        }
        if self.tokens(actor, Some(id))?.is_empty() {
            return Err(StoreError::NotFound("api token"));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", params![now, id])?;
            audit::record(tx, actor, now, "token.revoke", "api_token", id, serde_json::json!({}))
        })?;
        self.tokens(actor, Some(id))?.pop().ok_or(StoreError::NotFound("api token"))
    }

    /// The actor behind an API token, if it is alive.
    pub(crate) fn token_actor(&self, token: &str) -> Result<Option<Actor>, StoreError> {
        let now = self.now_ms();
        let hash = token_hash(token);
        let row = self.db.read(|tx| {
            tx.query_opt(
                "SELECT u.id, u.username, u.role, u.organisation_id, t.scope, t.expires_at, t.revoked_at, u.disabled, t.last_used_at, t.id, u.regions \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
                params![hash.as_str()],
            )
        })?;
        let Some(r) = row else { return Ok(None) };
        if r.opt_int(6).is_some() || r.opt_int(5).is_some_and(|e| e < now) || r.int(7) != 0 {
            return Ok(None);
        }
        // When a token was last used helps spot a forgotten or stolen one; at most once a minute.
        if r.opt_int(8).is_none_or(|last| now - last > 60_000) {
            self.db.write(|tx| {
                tx.execute("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", params![now, r.text(9)])
            })?;
        }
        crate::auth::actor_from_row(&r, r.str(4) != "write", 10).map(Some)
    }
}
