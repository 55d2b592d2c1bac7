//! The intake service (`aduan.intake.v1`): steps S1-S3 of the office's procedure and the
//! requirements R1-R6. Complaints from every channel are registered with a gap-free number per
//! office and year and an unguessable tracking code; personal data is sealed with the office's
//! key; every change lands in the outbox as a lifecycle event in the same transaction.
//!
//! The rules of each step are in `domain/`: S1-S2 in `domain::s01_receive`, S3 in
//! `domain::s03_registration` with R1-R6 in `domain::s03_completeness`, S9 amendments in
//! `domain::s09_amendment`, the complaint's course in the other services in `domain::followed`.
//! `api` is the gRPC face (its field checks in `api::validate`), `events` what intake publishes
//! and receives, `store` the only SQL.
#![warn(missing_docs)]

pub mod api;
pub mod config;
mod core;
pub mod domain;
pub mod events;
pub mod identity;
pub mod store;
mod view;

use std::sync::Arc;

use aduan_runtime::auth::{Access, AuthzTable, Role, Scope, grant};
use aduan_runtime::config::Config;

pub use crate::config::IntakeConfig;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::Database;

pub use crate::core::{CONSOLE_SUBJECT, Intake};
pub use aduan_refdata as refdata;
pub use api::IntakeApi;

/// The gRPC service name.
pub const SERVICE_NAME: &str = "aduan.intake.v1.IntakeService";

const OFFICERS: &[aduan_runtime::auth::Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::PartnerAgency, Scope::Office),
];

/// Who may call each RPC (docs/ARCHITECTURE.md, "Authorization"). Office scope is checked again
/// against the record in the handler; a record of another office answers NOT_FOUND.
pub static AUTHZ: AuthzTable = &[
    (
        "/aduan.intake.v1.IntakeService/SubmitComplaint",
        Access::Roles(&[
            grant(Role::ComplaintsOfficer, Scope::Office),
            grant(Role::PartnerAgency, Scope::Office),
            // The console's public web form (channel WEB), for any office of the province.
            grant(Role::Service, Scope::Province),
        ]),
    ),
    (
        "/aduan.intake.v1.IntakeService/CheckComplaint",
        Access::Roles(&[grant(Role::ComplaintsOfficer, Scope::Office)]),
    ),
    (
        "/aduan.intake.v1.IntakeService/GetComplaint",
        Access::Roles(OFFICERS),
    ),
    (
        "/aduan.intake.v1.IntakeService/ListComplaints",
        Access::Roles(OFFICERS),
    ),
    (
        "/aduan.intake.v1.IntakeService/AmendComplaint",
        Access::Roles(&[
            grant(Role::ComplaintsOfficer, Scope::Office),
            grant(Role::BidangHead, Scope::Office),
            grant(Role::BidangOfficer, Scope::Office),
            grant(Role::Counsellor, Scope::Office),
            grant(Role::Mediator, Scope::Office),
            grant(Role::SocialWorker, Scope::Office),
        ]),
    ),
    (
        "/aduan.intake.v1.IntakeService/ListComplaintRevisions",
        Access::Roles(&[
            grant(Role::ComplaintsOfficer, Scope::Office),
            grant(Role::Head, Scope::Office),
        ]),
    ),
    (
        "/aduan.intake.v1.IntakeService/FindComplaintsByIdentity",
        Access::Roles(&[
            grant(Role::ComplaintsOfficer, Scope::Office),
            grant(Role::Head, Scope::Office),
        ]),
    ),
    (
        "/aduan.intake.v1.IntakeService/ListAccessLog",
        Access::Roles(&[
            grant(Role::Head, Scope::Office),
            grant(Role::Operator, Scope::Office),
        ]),
    ),
    (
        "/aduan.intake.v1.IntakeService/TrackComplaint",
        Access::Public,
    ),
];

/// Connects intake's database and runs its migrations (`aduan migrate`).
pub async fn migrate(config: &Config, own: &IntakeConfig) -> aduan_runtime::Result<()> {
    let url = own.db.url(config, "intake");
    let db = Database::connect(&url, 2).await?;
    let r = store::migrate(&db).await;
    db.close().await;
    r
}

/// Connects intake's database, runs its migrations and assembles the service core.
pub async fn open(
    config: &Config,
    own: &IntakeConfig,
    keys: Arc<Keyring>,
) -> aduan_runtime::Result<Arc<Intake>> {
    let url = own.db.url(config, "intake");
    let db = Database::connect(&url, own.db.max_connections).await?;
    let outbox = aduan_spine::relay::Outbox::new("intake", db.clone());
    let store = store::open(db.clone(), outbox.clone()).await?;
    db.spawn_pool_metrics("intake");
    let refdata = Arc::new(refdata::RefData::configured(config)?);
    let trusted =
        aduan_runtime::ratelimit::Cidr::parse_list(&own.trusted_proxies).map_err(|bad| {
            aduan_runtime::Error::invalid(
                "intake.trusted_proxies",
                format!("{bad:?} is not an address range such as 10.0.0.0/8"),
            )
        })?;
    Ok(Arc::new(Intake::new(
        store,
        db.clone(),
        outbox,
        keys,
        refdata,
        own.track_per_minute,
        trusted,
    )))
}
