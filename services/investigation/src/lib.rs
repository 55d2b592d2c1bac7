//! The investigation service (`aduan.investigation.v1`): steps S8-S12 of the office's procedure.
//! A case opens in a Bidang when the Head's disposition arrives from triage (S7); the Bidang head
//! assigns officers, who clarify (S8), interview (S9, amending intake's record through intake's
//! API), collect data and evidence (S10), and, once the Bidang head has decided that the
//! complaint qualifies (S11), hold investigation, mediation and family counselling sessions and
//! refer violence cases (with consent) to the UPTD PPA. The response is drafted and approved
//! (S12); feedback delivers it and may reopen the case (S13-S14).
//!
//! Each case is one document sealed with the office's key (`aduan_spine::casefile`); evidence
//! files are sealed too, in a storage behind [`storage::EvidenceStorage`]. Every read of personal
//! content is written to the access log.
//!
//! The crate's shape (issue 16): [`domain`] holds the case document and one module of pure
//! functions per step (`domain::s08_assignment` to `domain::s12_response`, and the reactions to
//! triage's disposition and feedback's events); `api` is the gRPC face (decode, validate,
//! authorise, call the domain, map the answer with [`view`]); `core` the core with its step
//! runner; `store` the one door to the case store; `events` the receiver of other services'
//! events.
#![warn(missing_docs)]

mod api;
pub mod config;
mod core;
pub mod domain;
mod events;
pub mod media;
pub mod storage;
mod store;
pub mod view;

use std::path::PathBuf;
use std::sync::Arc;

use aduan_runtime::auth::{Access, AuthzTable, Grant, Role, Scope, grant};
use aduan_runtime::config::Config;

pub use crate::config::InvestigationConfig;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::Database;
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::CaseStore;
use aduan_spine::relay::Outbox;

pub use aduan_proto::investigation::v1 as pb;
pub use api::{
    InvestigationApi, InvestigationServer, MAX_MESSAGE_BYTES, MAX_OTHER_MESSAGE_BYTES,
    MAX_UPLOAD_CHUNKS,
};
pub use core::{Investigation, MAX_CONCURRENT_UPLOADS};

/// The service's name in events and in the sealed documents' binding.
pub const SERVICE: &str = "investigation";

/// The gRPC service name.
pub const SERVICE_NAME: &str = "aduan.investigation.v1.InvestigationService";

/// Reads of a case: the Head of the office and the Bidang roles (their own Bidang).
const READERS: &[Grant] = &[
    grant(Role::Head, Scope::Office),
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Work on a case: the Bidang head and the officers (the handler checks the assignment).
const WORKERS: &[Grant] = &[
    grant(Role::BidangHead, Scope::Office),
    grant(Role::BidangOfficer, Scope::Office),
    grant(Role::Counsellor, Scope::Office),
    grant(Role::Mediator, Scope::Office),
    grant(Role::SocialWorker, Scope::Office),
];

/// Decisions of the Bidang head.
const BIDANG_HEAD: &[Grant] = &[grant(Role::BidangHead, Scope::Office)];

/// Who may call each RPC (deny by default; docs/investigation.md). Office and Bidang are checked
/// again against the case: another office's or another Bidang's case answers NOT_FOUND.
pub static AUTHZ: AuthzTable = &[
    (
        "/aduan.investigation.v1.InvestigationService/ListCases",
        Access::Roles(READERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/GetCase",
        Access::Roles(READERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/AssignOfficers",
        Access::Roles(BIDANG_HEAD),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/RecordInterview",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/AddEvidence",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/UploadEvidence",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/GetEvidenceFile",
        Access::Roles(READERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/RecordHomeVisit",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/RecordCoordination",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/DecideEligibility",
        Access::Roles(BIDANG_HEAD),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/RecordSession",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/RecordConsent",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/MakeReferral",
        Access::Roles(&[
            grant(Role::Head, Scope::Office),
            grant(Role::BidangHead, Scope::Office),
            grant(Role::BidangOfficer, Scope::Office),
            grant(Role::Counsellor, Scope::Office),
            grant(Role::Mediator, Scope::Office),
            grant(Role::SocialWorker, Scope::Office),
        ]),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/AnswerReferral",
        Access::Roles(&[
            grant(Role::PartnerAgency, Scope::Office),
            grant(Role::BidangHead, Scope::Office),
            grant(Role::BidangOfficer, Scope::Office),
            grant(Role::Counsellor, Scope::Office),
            grant(Role::Mediator, Scope::Office),
            grant(Role::SocialWorker, Scope::Office),
        ]),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/AddCaseNote",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/DraftResponse",
        Access::Roles(WORKERS),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/ApproveResponse",
        Access::Roles(BIDANG_HEAD),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/ReturnResponse",
        Access::Roles(BIDANG_HEAD),
    ),
    (
        "/aduan.investigation.v1.InvestigationService/ListAccessLog",
        Access::Roles(&[
            grant(Role::Head, Scope::Office),
            grant(Role::BidangHead, Scope::Office),
            grant(Role::Operator, Scope::Office),
        ]),
    ),
];

/// Investigation's tables are the spine's case files, access log, outbox and inbox; it has none of
/// its own.
async fn migrate_db(db: &Database) -> Result<()> {
    aduan_spine::migrations::apply(db, aduan_spine::migrations::CASE_FILE_SERVICE).await
}

/// Runs investigation's migrations (`aduan migrate`).
pub async fn migrate(config: &Config, own: &InvestigationConfig) -> Result<()> {
    let url = own.db.url(config, "investigation");
    let db = Database::connect(&url, 2).await?;
    let r = migrate_db(&db).await;
    db.close().await;
    r
}

/// The directory of evidence files: `investigation.storage_dir`, or `<data_dir>/evidence`.
pub fn storage_dir(config: &Config, own: &InvestigationConfig) -> PathBuf {
    if own.storage_dir.is_empty() {
        config.data_dir.join("evidence")
    } else {
        PathBuf::from(&own.storage_dir)
    }
}

/// Connects investigation's database, runs its migrations and assembles the core. `intake_endpoint`
/// is where intake answers (interviews amend the complaint there, with the caller's token).
pub async fn open(
    config: &Config,
    own: &InvestigationConfig,
    keys: Arc<Keyring>,
    intake_endpoint: String,
) -> Result<Arc<Investigation>> {
    if own.max_file_bytes == 0 || own.max_file_bytes > MAX_MESSAGE_BYTES as u64 - 1024 * 1024 {
        return Err(Error::invalid(
            "investigation.max_file_bytes",
            format!("between 1 and {} bytes", MAX_MESSAGE_BYTES - 1024 * 1024),
        ));
    }
    let refdata = Arc::new(aduan_refdata::RefData::configured(config)?);
    let dir = (!config.reference_data_dir.is_empty())
        .then(|| std::path::Path::new(&config.reference_data_dir));
    let codes = domain::Codes::load(dir)?;
    let files = Arc::new(storage::LocalDir::new(storage_dir(config, own))?);
    let url = own.db.url(config, "investigation");
    let db = Database::connect(&url, own.db.max_connections).await?;
    migrate_db(&db).await?;
    db.spawn_pool_metrics("investigation");
    let outbox = Outbox::new("investigation", db.clone());
    let store = CaseStore::new("investigation", db, outbox, keys.clone());
    Ok(Arc::new(Investigation::new(
        store,
        refdata,
        codes,
        files,
        keys,
        own.max_file_bytes,
        intake_endpoint,
    )))
}
