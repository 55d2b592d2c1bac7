//! The console's storage: local accounts and server-side sessions, on SQLite (embedded default)
//! or PostgreSQL (cluster mode). The only SQL of the console; the services' records are read over
//! their gRPC APIs, never here.

use aduan_runtime::db::{Database, Migration};
use aduan_runtime::{Error, Result};
use sqlx::Row;

/// A local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Id (UUID); the `sub` of the user's tokens.
    pub id: String,
    /// Sign-in name (lower case).
    pub username: String,
    /// The name shown on pages.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role names, as in tokens.
    pub roles: Vec<String>,
    /// Office code, or the province code for province-wide roles.
    pub office_code: String,
    /// Bidang code, empty if none.
    pub bidang: String,
    /// The password was given to the user (one-time): it must be changed at the next sign-in.
    pub must_change_password: bool,
    /// The account may not sign in.
    pub disabled: bool,
    /// Failed sign-ins in the current window.
    pub failures: i64,
    /// Start of the window (seconds since the epoch).
    pub failures_since: i64,
    /// Created at (seconds since the epoch).
    pub created_at: i64,
}

/// The password hash of the identity provider's accounts: no PHC string, so no password matches.
pub const NO_PASSWORD: &str = "!";

impl UserRow {
    /// A local account with a password (not one of the identity provider's).
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Office code.
    pub office_code: String,
    /// Bidang code or empty.
    pub bidang: String,
    /// Who created it (a user id, or "cli" / "first-start").
    pub created_by: String,
}

/// A live session with its account.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SHA-256 of the cookie value, hex.
    pub id_hash: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Sign-in time.
    pub created_at: i64,
    /// Last request.
    pub last_seen: i64,
    /// The account.
    pub user: UserRow,
    /// The tokens at the identity provider, sealed (empty for local accounts).
    pub tokens: String,
    /// The person's token for the services' calls: minted for a local account, the provider's
    /// access token otherwise (filled in by the staff pages' session check).
    pub token: String,
    /// Handed to a citizen for this complaint's survey (empty: an officer's session).
    pub kiosk_complaint: String,
    /// Until when the handed-over session opens the survey (seconds since the epoch).
    pub kiosk_until: i64,
    /// The account's unread notifications (filled in by the staff pages' session check).
    pub unread: i64,
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.password_hash, u.roles, \
     u.office_code, u.bidang, u.must_change_password, u.disabled, u.failures, u.failures_since, \
     u.created_at";

macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Database::Postgres($p) => $body,
            Database::Sqlite($p) => $body,
        }
    };
}

macro_rules! user_from_row {
    ($r:expr) => {{
        let r = $r;
        UserRow {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            password_hash: r.try_get("password_hash")?,
            roles: r
                .try_get::<String, _>("roles")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            office_code: r.try_get("office_code")?,
            bidang: r.try_get("bidang")?,
            must_change_password: r.try_get("must_change_password")?,
            disabled: r.try_get("disabled")?,
            failures: r.try_get::<i64, _>("failures")?,
            failures_since: r.try_get("failures_since")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

/// Accounts and sessions.
#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
}

/// The console's own migrations (`migrations/`), applied after the spine's parts.
pub const MIGRATIONS: &[Migration] = &[
    Migration::both(
        "0001_accounts_and_sessions",
        include_str!("../migrations/0001_accounts_and_sessions.sql"),
    ),
    Migration::both(
        "0002_identity_provider",
        include_str!("../migrations/0002_identity_provider.sql"),
    ),
    Migration::both(
        "0003_notifications",
        include_str!("../migrations/0003_notifications.sql"),
    ),
    Migration::both("0004_kiosk", include_str!("../migrations/0004_kiosk.sql")),
];

impl Store {
    /// Connects and runs the console's migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let db = Database::connect(url, max_connections).await?;
        aduan_spine::migrations::apply(&db, &[aduan_spine::migrations::Part::Inbox]).await?;
        db.apply(MIGRATIONS, None).await?;
        Ok(Self { db })
    }

    /// The console's database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.db.close().await
    }

    /// How many accounts exist.
    pub async fn count_users(&self) -> Result<i64> {
        on_pool!(&self.db, p => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(p)
                .await?;
            Ok(n)
        })
    }

    /// Creates an account; ALREADY_EXISTS when the name is taken. Returns its id.
    pub async fn create_user(&self, u: &NewUser, now: i64) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let r = on_pool!(&self.db, p => {
            sqlx::query(
                "INSERT INTO users (id, username, display_name, password_hash, roles, office_code, \
                 bidang, must_change_password, disabled, failures, failures_since, created_at, \
                 created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, FALSE, 0, 0, $8, $9) \
                 ON CONFLICT (username) DO NOTHING",
            )
            .bind(&id)
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(&u.password_hash)
            .bind(u.roles.join(","))
            .bind(&u.office_code)
            .bind(&u.bidang)
            .bind(now)
            .bind(&u.created_by)
            .execute(p)
            .await?
            .rows_affected()
        });
        if r == 0 {
            return Err(Error::AlreadyExists(format!(
                "an account named {} exists",
                aduan_runtime::error::clip(&u.username, 40)
            )));
        }
        Ok(id)
    }

    /// The account of a sign-in name.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1");
        on_pool!(&self.db, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(p).await? {
                Some(r) => Ok(Some(user_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Every account, by office then name (the administrator's list), at most `limit`.
    pub async fn list_users(&self, limit: i64) -> Result<Vec<UserRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.office_code, u.username LIMIT $1"
        );
        on_pool!(&self.db, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(user_from_row!(r));
            }
            Ok(out)
        })
    }

    /// Counts a failed sign-in in the account's window of `window` seconds (a new window starts
    /// when the last one ended). Returns the failures in the window.
    pub async fn record_failure(&self, user_id: &str, now: i64, window: i64) -> Result<i64> {
        on_pool!(&self.db, p => {
            let n: i64 = sqlx::query_scalar(
                "UPDATE users SET \
                 failures = CASE WHEN failures_since + $3 <= $2 THEN 1 ELSE failures + 1 END, \
                 failures_since = CASE WHEN failures_since + $3 <= $2 THEN $2 ELSE failures_since END \
                 WHERE id = $1 RETURNING CAST(failures AS BIGINT)",
            )
            .bind(user_id)
            .bind(now)
            .bind(window)
            .fetch_one(p)
            .await?;
            Ok(n)
        })
    }

    /// Forgets the failures after a good sign-in.
    pub async fn clear_failures(&self, user_id: &str) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query("UPDATE users SET failures = 0, failures_since = 0 WHERE id = $1")
                .bind(user_id)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Sets a new password, ends every other session of the account, and keeps `keep` (the
    /// session that changed it).
    pub async fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        must_change: bool,
        keep: &str,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1")
                .bind(user_id)
                .bind(hash)
                .bind(must_change)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id)
                .bind(keep)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Starts a session.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        tokens: &str,
        now: i64,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen, tokens) \
                 VALUES ($1, $2, $3, $4, $4, $5)",
            )
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(now)
            .bind(tokens)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// A session and its account, if it exists.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT s.id_hash, s.csrf, s.created_at AS s_created, s.last_seen, s.tokens, \
             s.kiosk_complaint, s.kiosk_until, {USER_COLUMNS} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1"
        );
        on_pool!(&self.db, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(SessionRow {
                    id_hash: r.try_get("id_hash")?,
                    csrf: r.try_get("csrf")?,
                    created_at: r.try_get("s_created")?,
                    last_seen: r.try_get("last_seen")?,
                    user: user_from_row!(&r),
                    tokens: r.try_get("tokens")?,
                    token: String::new(),
                    kiosk_complaint: r.try_get("kiosk_complaint")?,
                    kiosk_until: r.try_get("kiosk_until")?,
                    unread: 0,
                })),
                None => Ok(None),
            }
        })
    }

    /// Hands a session to a citizen for one complaint's survey until `until` (the desk's tablet).
    pub async fn set_kiosk(&self, id_hash: &str, complaint: &str, until: i64) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query("UPDATE sessions SET kiosk_complaint = $2, kiosk_until = $3 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(complaint)
                .bind(until)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Replaces a session's sealed tokens (after a refresh at the provider).
    pub async fn set_tokens(&self, id_hash: &str, tokens: &str) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query("UPDATE sessions SET tokens = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(tokens)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Creates or updates the account of a person signed in at the identity provider: the id is
    /// `oidc:<sub>`; the name shown in the accounts list `sso:<username at the provider>` (or
    /// `sso:<sub>` when another account holds that name); display name, roles, office and Bidang
    /// are the provider's, as of this sign-in. Such an account has no password.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_provider_user(
        &self,
        subject: &str,
        username: &str,
        display_name: &str,
        roles: &[String],
        office_code: &str,
        bidang: &str,
        now: i64,
    ) -> Result<String> {
        let id = format!("oidc:{subject}");
        let preferred = format!("sso:{}", username.chars().take(60).collect::<String>());
        let fallback = format!("sso:{subject}");
        let mut last = None;
        for name in [preferred, fallback] {
            let done = on_pool!(&self.db, p => {
                sqlx::query(
                    "INSERT INTO users (id, username, display_name, password_hash, roles, \
                     office_code, bidang, must_change_password, disabled, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, FALSE, $8, 'oidc') \
                     ON CONFLICT (id) DO UPDATE SET username = excluded.username, \
                     display_name = excluded.display_name, roles = excluded.roles, \
                     office_code = excluded.office_code, bidang = excluded.bidang",
                )
                .bind(&id)
                .bind(&name)
                .bind(display_name)
                .bind(NO_PASSWORD)
                .bind(roles.join(","))
                .bind(office_code)
                .bind(bidang)
                .bind(now)
                .execute(p)
                .await
                .map(|_| ())
            });
            match done {
                Ok(_) => return Ok(id),
                // The name is another account's (a local one, or a renamed person).
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .map(Error::from)
            .unwrap_or_else(|| Error::Internal("account".into())))
    }

    /// The roles, office and Bidang of an account of the identity provider, from a renewed token.
    pub async fn set_provider_roles(
        &self,
        user_id: &str,
        roles: &[String],
        office_code: &str,
        bidang: &str,
    ) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query(
                "UPDATE users SET roles = $2, office_code = $3, bidang = $4 WHERE id = $1",
            )
            .bind(user_id)
            .bind(roles.join(","))
            .bind(office_code)
            .bind(bidang)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Keeps a started sign-in until the provider sends the browser back.
    pub async fn put_pending(&self, state_hash: &str, sealed: &str, now: i64) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query(
                "INSERT INTO sign_in_pending (state_hash, sealed, created_at) VALUES ($1, $2, $3)",
            )
            .bind(state_hash)
            .bind(sealed)
            .bind(now)
            .execute(p)
            .await?;
            Ok(())
        })
    }

    /// Takes a started sign-in (once): its sealed value and start time.
    pub async fn take_pending(&self, state_hash: &str) -> Result<Option<(String, i64)>> {
        on_pool!(&self.db, p => {
            match sqlx::query(
                "DELETE FROM sign_in_pending WHERE state_hash = $1 RETURNING sealed, created_at",
            )
            .bind(state_hash)
            .fetch_optional(p)
            .await?
            {
                Some(r) => Ok(Some((r.try_get("sealed")?, r.try_get("created_at")?))),
                None => Ok(None),
            }
        })
    }

    /// Records a request of the session.
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query("UPDATE sessions SET last_seen = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Ends a session (sign-out, or found expired).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        on_pool!(&self.db, p => {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(p)
                .await?;
            Ok(())
        })
    }

    /// Deletes the sessions idle since `idle_before` or started before `started_before`, and
    /// the sign-ins started at the provider before `pending_before`.
    pub async fn delete_expired(
        &self,
        idle_before: i64,
        started_before: i64,
        pending_before: i64,
    ) -> Result<u64> {
        on_pool!(&self.db, p => {
            let n = sqlx::query("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(started_before)
                .execute(p)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM sign_in_pending WHERE created_at < $1")
                .bind(pending_before)
                .execute(p)
                .await?;
            Ok(n)
        })
    }
}

#[path = "store_notify.rs"]
mod notify;
pub use notify::{CaseRef, NewNotification, NotificationRow, Plan, Reader};
