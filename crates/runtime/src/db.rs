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

/// One migration (`migrations/NNNN_name.sql`), written once where PostgreSQL and SQLite agree
/// ([`Migration::both`]) and once per backend where they do not ([`Migration::each`]:
/// `NNNN_name.postgres.sql` and `NNNN_name.sqlite.sql`). A crate lists its migrations with
/// `include_str!`, so they are compiled in; [`unlisted`] finds a file left out of the list.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The file name without its extensions, for example `0003_intake_trace_context`: the
    /// version, then the description.
    pub name: &'static str,
    /// The SQL for PostgreSQL.
    pub postgres: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// One file for both backends.
    pub shared: bool,
}

impl Migration {
    /// A migration whose SQL is the same on both backends (`name.sql`).
    pub const fn both(name: &'static str, sql: &'static str) -> Self {
        Self {
            name,
            postgres: sql,
            sqlite: sql,
            shared: true,
        }
    }

    /// A migration with SQL of its own for each backend (`name.postgres.sql`, `name.sqlite.sql`).
    pub const fn each(name: &'static str, postgres: &'static str, sqlite: &'static str) -> Self {
        Self {
            name,
            postgres,
            sqlite,
            shared: false,
        }
    }

    /// The files it is read from.
    pub fn files(&self) -> Vec<String> {
        if self.shared {
            vec![format!("{}.sql", self.name)]
        } else {
            vec![
                format!("{}.postgres.sql", self.name),
                format!("{}.sqlite.sql", self.name),
            ]
        }
    }

    /// As sqlx records it (version and description from the name, as `sqlx::migrate!` reads a
    /// file name, so that databases migrated from directories before keep their records).
    fn for_backend(&self, backend: &str) -> sqlx::migrate::Migration {
        let (version, description) = self.name.split_once('_').unwrap_or((self.name, ""));
        let sql = if backend == "postgres" {
            self.postgres
        } else {
            self.sqlite
        };
        sqlx::migrate::Migration::new(
            version.parse().unwrap_or_default(),
            description.replace('_', " ").into(),
            sqlx::migrate::MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(sql),
            false,
        )
    }
}

/// The `.sql` files of `dir` that `listed` does not name (a test of each crate's list).
pub fn unlisted(dir: &std::path::Path, listed: &[Migration]) -> Vec<String> {
    let names: Vec<String> = listed.iter().flat_map(Migration::files).collect();
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.ends_with(".sql") && !names.contains(f))
                .collect()
        })
        .unwrap_or_else(|e| vec![format!("{}: {e}", dir.display())]);
    out.sort();
    out
}

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

    /// Runs `migrations` on the backend in use, recording them in `table` (None:
    /// `_sqlx_migrations`); what is applied already is skipped, and an applied migration whose
    /// text changed stops the start.
    pub async fn apply(&self, migrations: &[Migration], table: Option<&'static str>) -> Result<()> {
        let mut migrator = Migrator::with_migrations(
            migrations
                .iter()
                .map(|m| m.for_backend(self.backend()))
                .collect(),
        );
        if let Some(table) = table {
            migrator.dangerous_set_table_name(table);
        }
        match self {
            Database::Postgres(p) => migrator.run(p).await,
            Database::Sqlite(p) => migrator.run(p).await,
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
