//! The spine's own tables, applied by each service to its own database before the service's own
//! migrations. Each part keeps its own record of applied migrations (`_spine_<part>_migrations`),
//! so that a part evolves on its own and a service's `_sqlx_migrations` holds only its tables.

use aduan_runtime::db::Database;
use aduan_runtime::{Error, Result};
use sqlx::migrate::Migrator;

/// A part of the spine's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `outbox`, `outbox_counter`, `relay_cursors`, `relay_dead_letters`: a service that
    /// publishes lifecycle events.
    Outbox,
    /// `inbox_seen`: a service that receives them.
    Inbox,
    /// `access_log` (the case-file form, [`crate::casefile::ACCESS_LOG`]) and `audit_heads`.
    AccessLog,
    /// `cases`: the case-file store ([`crate::casefile::CaseStore`]).
    CaseFiles,
}

/// The parts of a service that keeps case files (investigation, feedback, reporting).
pub const CASE_FILE_SERVICE: &[Part] =
    &[Part::Outbox, Part::Inbox, Part::AccessLog, Part::CaseFiles];

impl Part {
    /// The table that records this part's applied migrations.
    pub fn table(self) -> &'static str {
        match self {
            Part::Outbox => "_spine_outbox_migrations",
            Part::Inbox => "_spine_inbox_migrations",
            Part::AccessLog => "_spine_access_log_migrations",
            Part::CaseFiles => "_spine_case_files_migrations",
        }
    }

    fn migrators(self) -> (Migrator, Migrator) {
        let (mut pg, mut lite) = match self {
            Part::Outbox => (
                sqlx::migrate!("./migrations/outbox/postgres"),
                sqlx::migrate!("./migrations/outbox/sqlite"),
            ),
            Part::Inbox => (
                sqlx::migrate!("./migrations/inbox/postgres"),
                sqlx::migrate!("./migrations/inbox/sqlite"),
            ),
            Part::AccessLog => (
                sqlx::migrate!("./migrations/access_log/postgres"),
                sqlx::migrate!("./migrations/access_log/sqlite"),
            ),
            Part::CaseFiles => (
                sqlx::migrate!("./migrations/case_files/postgres"),
                sqlx::migrate!("./migrations/case_files/sqlite"),
            ),
        };
        pg.dangerous_set_table_name(self.table());
        lite.dangerous_set_table_name(self.table());
        (pg, lite)
    }
}

/// Applies `parts` to `db`, in order; what is applied already is skipped.
pub async fn apply(db: &Database, parts: &[Part]) -> Result<()> {
    for part in parts {
        let (pg, lite) = part.migrators();
        db.migrate(&pg, &lite)
            .await
            .map_err(|e| Error::Internal(format!("spine migration ({part:?}): {e}")))?;
    }
    Ok(())
}
