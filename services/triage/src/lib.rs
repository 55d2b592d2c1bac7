//! The triage service (`aduan.triage.v1`): steps S4-S7 of the office's procedure. Complaints
//! arrive from intake's outbox through the event relay; the unit screens them (urgent first,
//! surat kaleng out), forwards them to the Head, and the Head disposes them to a Bidang with a
//! disposition sheet. Triage owns the SLA clock (the seed's 4 working days by default) and its
//! sweeper sends each warning and breach once.
//!
//! The rules of each step are in `domain/`: S4 in `domain::s04_screening`, S5 in
//! `domain::s05_forwarding`, S6 in `domain::s06_disposition_sheet`, S6-S7 in
//! `domain::s07_disposition`, the SLA clock and its alerts in `domain::sla`, the complaint after
//! triage (S13, S14, closing) in `domain::followed`. `api` is the gRPC face, `events` what triage
//! publishes and receives, `store` the only SQL.
#![warn(missing_docs)]

pub mod api;
pub mod config;
mod core;
pub mod domain;
pub mod events;
pub mod store;
mod view;

use std::sync::Arc;

use aduan_runtime::auth::{Access, AuthzTable, Grant, Role, Scope, grant};
use aduan_runtime::config::Config;

pub use crate::config::TriageConfig;
use aduan_runtime::db::Database;
use aduan_spine::relay::Outbox;

pub use crate::core::Triage;
pub use api::TriageApi;

/// The gRPC service name.
pub const SERVICE_NAME: &str = "aduan.triage.v1.TriageService";

const UNIT: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
];

const READERS: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Who may call each RPC (docs/ARCHITECTURE.md, "Authorization"). Office scope is checked again
/// against the record; a record of another office answers NOT_FOUND.
pub static AUTHZ: AuthzTable = &[
    (
        "/aduan.triage.v1.TriageService/ListQueue",
        Access::Roles(UNIT),
    ),
    (
        "/aduan.triage.v1.TriageService/GetCase",
        Access::Roles(READERS),
    ),
    (
        "/aduan.triage.v1.TriageService/SetUrgency",
        Access::Roles(UNIT),
    ),
    (
        "/aduan.triage.v1.TriageService/ScreenComplaint",
        Access::Roles(&[grant(Role::ComplaintsOfficer, Scope::Office)]),
    ),
    (
        "/aduan.triage.v1.TriageService/ForwardToHead",
        Access::Roles(&[grant(Role::ComplaintsOfficer, Scope::Office)]),
    ),
    (
        "/aduan.triage.v1.TriageService/IssueDisposition",
        Access::Roles(&[grant(Role::Head, Scope::Office)]),
    ),
    (
        "/aduan.triage.v1.TriageService/GetDispositionSheet",
        Access::Roles(UNIT),
    ),
];

/// Runs triage's migrations (`aduan migrate`).
pub async fn migrate(config: &Config, own: &TriageConfig) -> aduan_runtime::Result<()> {
    let url = own.db.url(config, "triage");
    let db = Database::connect(&url, 2).await?;
    let r = store::migrate(&db).await;
    db.close().await;
    r
}

/// Connects triage's database, runs its migrations and assembles the core over the process's
/// office `calendars`. `intake_endpoint` is where intake answers (for the disposition sheet's
/// sender and letter).
pub async fn open(
    config: &Config,
    own: &TriageConfig,
    keys: Arc<aduan_runtime::crypto::Keyring>,
    calendars: Arc<aduan_refdata::calendars::OfficeCalendars>,
    intake_endpoint: String,
) -> aduan_runtime::Result<Arc<Triage>> {
    let url = own.db.url(config, "triage");
    let db = Database::connect(&url, own.db.max_connections).await?;
    let outbox = Outbox::new("triage", db.clone());
    let store = store::open(db.clone(), outbox.clone(), keys.clone()).await?;
    db.spawn_pool_metrics("triage");
    let refdata = Arc::new(aduan_refdata::RefData::configured(config)?);
    let sla_dir =
        (!config.sla.data_dir.is_empty()).then(|| std::path::Path::new(&config.sla.data_dir));
    let clocks = Arc::new(domain::Clocks::new(calendars, &config.sla.policy, sla_dir)?);
    Ok(Arc::new(Triage::new(
        store,
        outbox,
        refdata,
        clocks,
        intake_endpoint,
        db,
        keys,
    )))
}
