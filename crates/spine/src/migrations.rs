//! The spine's own tables, applied by each service to its own database before the service's own
//! migrations. Each part keeps its own record of applied migrations (`_spine_<part>_migrations`),
//! so that a part evolves on its own and a service's `_sqlx_migrations` holds only its tables.

use aduan_runtime::db::Database;
use aduan_runtime::db::Migration;
use aduan_runtime::{Error, Result};

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

    /// The part's migrations (`migrations/<part>/`).
    pub fn migrations(self) -> &'static [Migration] {
        match self {
            Part::Outbox => OUTBOX,
            Part::Inbox => INBOX,
            Part::AccessLog => ACCESS_LOG,
            Part::CaseFiles => CASE_FILES,
        }
    }

    /// Its directory below the crate's `migrations/`.
    pub fn dir(self) -> &'static str {
        match self {
            Part::Outbox => "outbox",
            Part::Inbox => "inbox",
            Part::AccessLog => "access_log",
            Part::CaseFiles => "case_files",
        }
    }
}

const OUTBOX: &[Migration] = &[Migration::each(
    "0001_outbox",
    include_str!("../migrations/outbox/0001_outbox.postgres.sql"),
    include_str!("../migrations/outbox/0001_outbox.sqlite.sql"),
)];

const INBOX: &[Migration] = &[Migration::both(
    "0001_inbox",
    include_str!("../migrations/inbox/0001_inbox.sql"),
)];

const ACCESS_LOG: &[Migration] = &[Migration::each(
    "0001_access_log",
    include_str!("../migrations/access_log/0001_access_log.postgres.sql"),
    include_str!("../migrations/access_log/0001_access_log.sqlite.sql"),
)];

const CASE_FILES: &[Migration] = &[
    Migration::each(
        "0001_case_files",
        include_str!("../migrations/case_files/0001_case_files.postgres.sql"),
        include_str!("../migrations/case_files/0001_case_files.sqlite.sql"),
    ),
    Migration::each(
        "0002_case_data_keys",
        include_str!("../migrations/case_files/0002_case_data_keys.postgres.sql"),
        include_str!("../migrations/case_files/0002_case_data_keys.sqlite.sql"),
    ),
];

/// Every part.
pub const PARTS: &[Part] = &[Part::Outbox, Part::Inbox, Part::AccessLog, Part::CaseFiles];

/// Applies `parts` to `db`, in order; what is applied already is skipped.
pub async fn apply(db: &Database, parts: &[Part]) -> Result<()> {
    for part in parts {
        db.apply(part.migrations(), Some(part.table()))
            .await
            .map_err(|e| Error::Internal(format!("spine migration ({part:?}): {e}")))?;
    }
    Ok(())
}
