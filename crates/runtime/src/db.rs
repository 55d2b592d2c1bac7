//! Storage chosen by URL scheme: `postgres://…` (cluster mode) or `sqlite:…` (embedded default),
//! with each service's migrations for both backends (atuin's pattern: one trait per service, one
//! implementation per backend, one test suite run against both).

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Error, Result};

/// A connection pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Database {
    /// PostgreSQL (cluster mode): one database and one role per service.
    Postgres(PgPool),
    /// SQLite (embedded default): one file per service, WAL journal, full sync.
    Sqlite(SqlitePool),
}

impl Database {
    /// Connects to `url` (`postgres://…`, `postgresql://…` or `sqlite:…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Database::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(dir) = opts.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Internal(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.clamp(1, 8))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Database::Sqlite(pool))
        } else {
            Err(Error::invalid(
                "database_url",
                "expected postgres://… or sqlite:…",
            ))
        }
    }

    /// Runs the migrations of the backend in use.
    pub async fn migrate(&self, postgres: &Migrator, sqlite: &Migrator) -> Result<()> {
        match self {
            Database::Postgres(p) => postgres.run(p).await,
            Database::Sqlite(p) => sqlite.run(p).await,
        }
        .map_err(|e| Error::Internal(format!("migration failed: {e}")))
    }

    /// "postgres" or "sqlite".
    pub fn backend(&self) -> &'static str {
        match self {
            Database::Postgres(_) => "postgres",
            Database::Sqlite(_) => "sqlite",
        }
    }

    /// Records pool use as `aduan_db_pool_connections{service,state}`.
    pub fn record_pool_metrics(&self, service: &'static str) {
        let (size, idle) = match self {
            Database::Postgres(p) => (p.size(), p.num_idle()),
            Database::Sqlite(p) => (p.size(), p.num_idle()),
        };
        metrics::gauge!("aduan_db_pool_connections", "service" => service, "state" => "idle")
            .set(idle as f64);
        metrics::gauge!("aduan_db_pool_connections", "service" => service, "state" => "in_use")
            .set(size.saturating_sub(idle as u32) as f64);
    }

    /// Records the pool's use every 15 s for as long as the process runs.
    pub fn spawn_pool_metrics(&self, service: &'static str) {
        let db = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
            loop {
                tick.tick().await;
                db.record_pool_metrics(service);
            }
        });
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Database::Postgres(p) => p.close().await,
            Database::Sqlite(p) => p.close().await,
        }
    }
}
