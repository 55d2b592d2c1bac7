//! Singleton loops: who may run a relay or a sweeper now (advisory lock, or a Lease in cluster mode).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aduan_runtime::db::Database;

/// The PostgreSQL advisory lock key of a singleton name (FNV-1a: stable across builds).
pub(crate) fn name_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

pub(crate) fn lock_name(source: &str, subscriber: &str) -> String {
    format!("aduan-relay:{source}:{subscriber}")
}

/// Whether this process may run a singleton loop now (the SLA sweeper, feedback's closing
/// sweep): the database's advisory lock ([`Singleton`]) by default, a Kubernetes Lease in cluster
/// mode (`aduan-cluster`).
#[tonic::async_trait]
pub trait Leadership: Send {
    /// True when this process holds the leadership (trying to take it when it is free).
    async fn ensure(&mut self) -> bool;
    /// Gives the leadership up (at shutdown).
    async fn release(&mut self);
}

#[tonic::async_trait]
impl Leadership for Singleton {
    async fn ensure(&mut self) -> bool {
        Singleton::ensure(self).await
    }

    async fn release(&mut self) {
        Singleton::release(self).await
    }
}

/// Makes the leadership of a singleton loop from the loop's database and name.
pub type Leaders = Arc<dyn Fn(&Database, &str) -> Box<dyn Leadership> + Send + Sync>;

/// Leadership by the database's advisory lock (the default).
pub fn database_leaders() -> Leaders {
    Arc::new(|db: &Database, name: &str| Box::new(Singleton::new(db, name)) as Box<dyn Leadership>)
}

/// A loop that only one process may run at a time (a relay, the SLA sweeper): with PostgreSQL
/// the holder of a session advisory lock named after the loop; with SQLite (one process per
/// database file) always this process.
pub enum Singleton {
    /// SQLite: this process.
    Always,
    /// PostgreSQL: the holder of the advisory lock `key`.
    Postgres {
        /// Where to take a connection from.
        pool: sqlx::PgPool,
        /// The lock key.
        key: i64,
        /// The connection holding the lock (detached from the pool).
        conn: Option<sqlx::PgConnection>,
        /// When the connection was last checked.
        checked: Instant,
    },
}

impl Singleton {
    /// The singleton `name` on `db`.
    pub fn new(db: &Database, name: &str) -> Self {
        let key = name_key(name);
        match db {
            Database::Postgres(p) => Singleton::Postgres {
                pool: p.clone(),
                key,
                conn: None,
                checked: Instant::now(),
            },
            Database::Sqlite(_) => Singleton::Always,
        }
    }

    /// True when this process holds the lock (taking it if free). Checks a held lock's
    /// connection every few seconds.
    pub async fn ensure(&mut self) -> bool {
        match self {
            Singleton::Always => true,
            Singleton::Postgres {
                pool,
                key,
                conn,
                checked,
            } => {
                if let Some(c) = conn.as_mut() {
                    if checked.elapsed() < Duration::from_secs(5) {
                        return true;
                    }
                    *checked = Instant::now();
                    if sqlx::query("SELECT 1").execute(&mut *c).await.is_ok() {
                        return true;
                    }
                    *conn = None;
                }
                let Ok(pooled) = pool.acquire().await else {
                    return false;
                };
                let mut c = pooled.detach();
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(*key)
                    .fetch_one(&mut c)
                    .await
                    .unwrap_or(false);
                if got {
                    *conn = Some(c);
                    *checked = Instant::now();
                    true
                } else {
                    use sqlx::Connection;
                    let _ = c.close().await;
                    false
                }
            }
        }
    }

    /// Gives the lock up (at shutdown).
    pub async fn release(&mut self) {
        if let Singleton::Postgres { conn, .. } = self
            && let Some(c) = conn.take()
        {
            use sqlx::Connection;
            let _ = c.close().await;
        }
    }
}
