//! The feedback service (`aduan.feedback.v1`): steps S13-S14 of the office's procedure.
//! Investigation's approved responses arrive through the event relay and wait for delivery; the
//! delivery to the complainant (S13) stops the SLA clock and starts the silence period; the
//! complainant's feedback (S14) sends the complaint on to reporting or, dissatisfied, back to the
//! Bidang; a complainant who stays silent is closed by the sweeper. The satisfaction survey (SKM,
//! PermenPAN-RB No. 14 Tahun 2017) and its index (IKM) live here too (docs/feedback.md).
//!
//! Modules: [`api`] (the gRPC face), `core` (the core and its step and sweep runners),
//! [`domain`] (the records and one module per step: S13 delivery, S14 feedback, the SKM survey,
//! silence, S16 closed elsewhere), [`store`] (the only SQL), `events` (what feedback publishes
//! and applies), `view` (the records on the wire).
#![warn(missing_docs)]

pub mod api;
pub mod config;
mod core;
pub mod domain;
mod events;
/// The satisfaction index, shared with reporting (`crates/ikm`).
pub use aduan_ikm as ikm;
pub mod store;
mod view;

use std::sync::Arc;

use aduan_runtime::Result;
use aduan_runtime::auth::{Access, AuthzTable, Grant, Role, Scope, grant};
use aduan_runtime::config::Config;

pub use crate::config::FeedbackConfig;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::{Database, Migration};
use aduan_spine::casefile::CaseStore;
use aduan_spine::relay::Outbox;

pub use api::FeedbackApi;
pub use core::Feedback;

/// The gRPC service name.
pub const SERVICE_NAME: &str = "aduan.feedback.v1.FeedbackService";

/// Who reads the feedback records of the office: the complaints unit, the Head, and the Bidang
/// roles (their own Bidang's cases only).
const READERS: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::Head, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Who records deliveries, feedback and surveys: the complaints unit and the Bidang that
/// prepared the response (its head and officers).
const DESK: &[Grant] = &[
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
];

/// Who reads the satisfaction index: the office's Head, complaints and reporting officers, and
/// the provincial analysts (any office of the province, or the province as a whole).
const INDEX: &[Grant] = &[
    grant(Role::Head, Scope::Office),
    grant(Role::ComplaintsOfficer, Scope::Office),
    grant(Role::ReportingOfficer, Scope::Office),
    grant(Role::ProvincialAnalyst, Scope::Province),
];

/// Who may call each RPC (docs/feedback.md, "RPCs and roles"); anything not listed is denied.
/// Office scope is checked again against the record: a record of another office, or of another
/// Bidang for the Bidang roles, answers NOT_FOUND.
pub static AUTHZ: AuthzTable = &[
    (
        "/aduan.feedback.v1.FeedbackService/ListCases",
        Access::Roles(READERS),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/GetCase",
        Access::Roles(READERS),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/RecordDelivery",
        Access::Roles(DESK),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/RecordFeedback",
        Access::Roles(DESK),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/SubmitSurvey",
        Access::Roles(DESK),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/GetSatisfactionIndex",
        Access::Roles(INDEX),
    ),
    (
        "/aduan.feedback.v1.FeedbackService/ListAccessLog",
        Access::Roles(&[
            grant(Role::Head, Scope::Office),
            grant(Role::Operator, Scope::Office),
        ]),
    ),
];

/// Feedback's own migrations (`migrations/`), applied after the spine's parts.
pub const MIGRATIONS: &[Migration] = &[
    Migration::both(
        "0001_feedback",
        include_str!("../migrations/0001_feedback.sql"),
    ),
    Migration::both(
        "0002_feedback_surveys",
        include_str!("../migrations/0002_feedback_surveys.sql"),
    ),
    Migration::both(
        "0006_feedback_survey_key",
        include_str!("../migrations/0006_feedback_survey_key.sql"),
    ),
];

async fn migrate_db(db: &Database) -> Result<()> {
    aduan_spine::migrations::apply(db, aduan_spine::migrations::CASE_FILE_SERVICE).await?;
    db.apply(MIGRATIONS, None).await
}

/// Runs feedback's migrations (`aduan migrate`).
pub async fn migrate(config: &Config, own: &FeedbackConfig) -> Result<()> {
    let url = own.db.url(config, "feedback");
    let db = Database::connect(&url, 2).await?;
    let r = migrate_db(&db).await;
    db.close().await;
    r
}

/// Connects feedback's database, runs its migrations and assembles the core: the process's office
/// calendars (see `aduan_refdata::calendars`) and the silence period of
/// `feedback.silence_working_days`.
pub async fn open(
    config: &Config,
    own: &FeedbackConfig,
    keys: Arc<Keyring>,
    calendars: Arc<aduan_refdata::calendars::OfficeCalendars>,
) -> Result<Arc<Feedback>> {
    let url = own.db.url(config, "feedback");
    let db = Database::connect(&url, own.db.max_connections).await?;
    migrate_db(&db).await?;
    db.spawn_pool_metrics("feedback");
    let outbox = Outbox::new("feedback", db.clone());
    let refdata = Arc::new(aduan_refdata::RefData::configured(config)?);
    let calendars = Arc::new(domain::Calendars::new(calendars));
    store::rekey_surveys(&db, &keys).await?;
    Ok(Arc::new(Feedback::new(
        CaseStore::new("feedback", db, outbox, keys.clone()),
        refdata,
        calendars,
        config.province.clone(),
        own.silence_working_days,
        keys,
    )))
}
