//! The reporting service (`aduan.reporting.v1`): steps S15-S16 of the office's procedure and the
//! office's view of its whole work. It receives every lifecycle event of every service into
//! de-identified projections (docs/reporting.md): the timeline of each complaint, the facts
//! statistics count, and pre-aggregated tables kept in the same transaction. The handling report
//! (S15) is drafted by the Bidang, approved by its head and distributed to the parties (S16);
//! the documents the office hands out are rendered as PDF in Bahasa Indonesia.
//!
//! Modules: [`api`] (the gRPC face), `core` (the core and its step runner), [`domain`] (the
//! projection, the facts, S15 report and S16 distribution), [`store`] (the only SQL), `events`
//! (what reporting publishes and applies), [`stats`] (statistics from the aggregates and their
//! CSV exports), [`documents`] (the PDFs), [`archive`] (the monthly archive's scheduler),
//! [`directory`] (recommendations and agencies), `view` (the records on the wire).
#![warn(missing_docs)]

pub mod api;
pub mod archive;
pub mod config;
mod core;
pub mod directory;
pub mod documents;
pub mod domain;
mod events;
pub mod stats;
pub mod store;
mod view;

use std::sync::Arc;

use aduan_runtime::Result;
use aduan_runtime::auth::{Access, AuthzTable, Grant, Role, Scope, grant};
use aduan_runtime::config::Config;

pub use crate::config::ReportingConfig;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::{Database, Migration};
use aduan_spine::casefile::CaseStore;
use aduan_spine::relay::Outbox;

pub use aduan_proto::reporting::v1 as pb;
pub use api::ReportingApi;
pub use core::Reporting;

/// The gRPC service name.
pub const SERVICE_NAME: &str = "aduan.reporting.v1.ReportingService";

/// Who reads a complaint's timeline and report: the complaints unit, the Head, the reporting
/// officers (own office), and the Bidang roles (own Bidang's complaints).
const READERS: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::ReportingOfficer, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Who drafts the handling report: the Bidang that handled the complaint, and the Head.
const DRAFTERS: &[Grant] = &[
    grant(Role::Head, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Who approves or returns it: the Kepala Bidang (own Bidang), and the Head.
const APPROVERS: &[Grant] = &[
    grant(Role::Head, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
];

/// Who records its distribution: the complaints unit, the Head, the reporting officers, and the
/// Bidang's head and officers.
const DISTRIBUTORS: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::ReportingOfficer, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
];

/// Who reads statistics: the office's Head, complaints and reporting officers; the provincial
/// analysts for any office of the province or the province as a whole.
const STATISTICS: &[Grant] = &[
    grant(Role::Head, Scope::Office),
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::ReportingOfficer, Scope::Office),
    grant(Role::ProvincialAnalyst, Scope::Province),
];

/// Who asks for documents: everyone who reads a complaint or statistics; each kind then checks
/// its own rule (docs/reporting.md "Documents").
const DOCUMENTS: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::ReportingOfficer, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
    grant(Role::ProvincialAnalyst, Scope::Province),
];

/// Who may call each RPC (docs/reporting.md, "RPCs and roles"); anything not listed is denied.
pub static AUTHZ: AuthzTable = &[
    (
        "/aduan.reporting.v1.ReportingService/GetTimeline",
        Access::Roles(READERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/ListHandlingReports",
        Access::Roles(READERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/GetHandlingReport",
        Access::Roles(READERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/DraftHandlingReport",
        Access::Roles(DRAFTERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/ApproveHandlingReport",
        Access::Roles(APPROVERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/ReturnHandlingReport",
        Access::Roles(APPROVERS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/DistributeHandlingReport",
        Access::Roles(DISTRIBUTORS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/ListRecipients",
        Access::Roles(DISTRIBUTORS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/GetStatistics",
        Access::Roles(STATISTICS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/ExportStatistics",
        Access::Roles(STATISTICS),
    ),
    (
        "/aduan.reporting.v1.ReportingService/GetDocument",
        Access::Roles(DOCUMENTS),
    ),
];

/// Reporting's own migrations (`migrations/`), applied after the spine's parts.
pub const MIGRATIONS: &[Migration] = &[Migration::each(
    "0001_reporting",
    include_str!("../migrations/0001_reporting.postgres.sql"),
    include_str!("../migrations/0001_reporting.sqlite.sql"),
)];

async fn migrate_db(db: &Database) -> Result<()> {
    aduan_spine::migrations::apply(db, aduan_spine::migrations::CASE_FILE_SERVICE).await?;
    db.apply(MIGRATIONS, None).await
}

/// Runs reporting's migrations (`aduan migrate`).
pub async fn migrate(config: &Config, own: &ReportingConfig) -> Result<()> {
    let url = own.db.url(config, "reporting");
    let db = Database::connect(&url, 2).await?;
    let r = migrate_db(&db).await;
    db.close().await;
    r
}

/// Connects reporting's database, runs its migrations and assembles the core. Documents that
/// need another service's records (the disposition sheet from triage, the findings from
/// investigation) call them at `triage_endpoint` and `investigation_endpoint` with the caller's
/// own token.
pub async fn open(
    config: &Config,
    own: &ReportingConfig,
    keys: Arc<Keyring>,
    calendars: Arc<aduan_refdata::calendars::OfficeCalendars>,
    triage_endpoint: String,
    investigation_endpoint: String,
) -> Result<Arc<Reporting>> {
    let url = own.db.url(config, "reporting");
    let db = Database::connect(&url, own.db.max_connections).await?;
    migrate_db(&db).await?;
    db.spawn_pool_metrics("reporting");
    let outbox = Outbox::new("reporting", db.clone());
    let refdata = Arc::new(aduan_refdata::RefData::configured(config)?);
    let dir = (!config.reference_data_dir.is_empty())
        .then(|| std::path::Path::new(&config.reference_data_dir));
    let directory = Arc::new(directory::Directory::load(dir)?);
    Ok(Arc::new(
        Reporting::new(
            CaseStore::new("reporting", db, outbox, keys),
            refdata,
            directory,
            calendars,
            config.province.clone(),
            triage_endpoint,
            investigation_endpoint,
        )
        .with_statistics_cache(std::time::Duration::from_secs(own.statistics_cache_seconds)),
    ))
}
