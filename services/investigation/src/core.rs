//! The investigation core: its store, the reference data and coded lists, the evidence storage
//! and keys, the intake client, and the step runner that locks a case and calls a domain
//! function on it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aduan_proto::events::v1::LifecycleEvent;
use aduan_proto::intake::v1 as intake_pb;
use aduan_proto::investigation::v1 as pb;
use aduan_refdata::RefData;
use aduan_runtime::auth::Caller;
use aduan_runtime::crypto::{Keyring, hex};
use aduan_runtime::time::now_micros;
use aduan_runtime::{Error, Result, Violations};
use aduan_spine::casefile::{AccessEntry, CaseStore};
use aduan_spine::relay::Outbox;
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::domain::{Codes, File, FileRec};
use crate::storage::{EvidenceStorage, evidence_aad};
use crate::store::Store;
use crate::view;

type IntakeClient =
    intake_pb::intake_service_client::IntakeServiceClient<tonic::transport::Channel>;

/// Evidence uploads one process takes at once; more answer RESOURCE_EXHAUSTED.
pub const MAX_CONCURRENT_UPLOADS: usize = 4;

/// The investigation core.
pub struct Investigation {
    pub(crate) store: Store,
    pub(crate) refdata: Arc<RefData>,
    pub(crate) codes: Codes,
    files: Arc<dyn EvidenceStorage>,
    keys: Arc<Keyring>,
    pub(crate) max_file_bytes: u64,
    intake_endpoint: String,
    intake: OnceLock<IntakeClient>,
    /// Evidence uploads running at once (a file is held in memory while it is checked).
    uploads: Arc<tokio::sync::Semaphore>,
}

impl Investigation {
    /// Assembles the core.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: CaseStore,
        refdata: Arc<RefData>,
        codes: Codes,
        files: Arc<dyn EvidenceStorage>,
        keys: Arc<Keyring>,
        max_file_bytes: u64,
        intake_endpoint: String,
    ) -> Self {
        Self {
            store: Store::new(store),
            refdata,
            codes,
            files,
            keys,
            max_file_bytes,
            intake_endpoint,
            intake: OnceLock::new(),
            uploads: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_UPLOADS)),
        }
    }

    /// The case store (for store-level tests and operators' tools).
    pub fn store(&self) -> &CaseStore {
        self.store.cases()
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.store.outbox()
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.close().await
    }

    /// Today in the office's calendar (its time zone; Asia/Jakarta for an unknown office).
    pub fn today(&self, office: &str) -> Date {
        let tz = self
            .refdata
            .office(office)
            .map(|o| o.time_zone.clone())
            .or_else(|| jiff::tz::TimeZone::get("Asia/Jakarta").ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        Timestamp::now().to_zoned(tz).date()
    }

    fn intake_client(&self) -> Result<IntakeClient> {
        if let Some(c) = self.intake.get() {
            return Ok(c.clone());
        }
        let endpoint = tonic::transport::Endpoint::from_shared(self.intake_endpoint.clone())
            .map_err(|e| Error::invalid("endpoints.intake", e.to_string()))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        let c = IntakeClient::new(endpoint.connect_lazy());
        let _ = self.intake.set(c.clone());
        Ok(c)
    }

    /// Amends the complaint in intake (S9) with the caller's `authorization`: intake's revision
    /// after it, the paths amended and the requirements still unmet. Intake's field violations
    /// come back under `intake_amendment.`.
    pub(crate) async fn amend_in_intake(
        &self,
        complaint_id: &str,
        a: &pb::IntakeAmendment,
        reason: String,
        authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    ) -> std::result::Result<(i32, Vec<String>, Vec<i32>), Status> {
        let paths = a
            .update_mask
            .as_ref()
            .map(|m| aduan_runtime::validate::dedup(&m.paths))
            .unwrap_or_default();
        let mut client = self.intake_client()?;
        let mut req = tonic::Request::new(intake_pb::AmendComplaintRequest {
            complaint_id: complaint_id.to_string(),
            expected_revision: a.expected_revision,
            update_mask: Some(prost_types::FieldMask {
                paths: paths.clone(),
            }),
            patch: a.patch.clone(),
            reason,
        });
        if let Some(h) = authorization {
            req.metadata_mut().insert("authorization", h);
        }
        aduan_runtime::telemetry::inject_metadata(req.metadata_mut());
        let complaint = client
            .amend_complaint(req)
            .await
            .map_err(intake_error)?
            .into_inner()
            .complaint
            .unwrap_or_default();
        Ok((complaint.revision, paths, complaint.unmet_requirements))
    }

    /// A case the caller may see (NOT_FOUND otherwise).
    pub(crate) async fn load_visible(&self, caller: &Caller, id: &str) -> Result<File> {
        let file: File = self.store.get(id).await?.ok_or(Error::NotFound("case"))?;
        caller.require_unit_or_not_found(&file.office_code, &file.unit, "case")?;
        Ok(file)
    }

    /// Runs a step as `caller` on the locked case: `f` (a domain function) changes the case at
    /// `now` and returns its events.
    pub(crate) async fn step<F>(&self, caller: &Caller, id: &str, f: F) -> Result<File>
    where
        F: FnOnce(&mut File, i64) -> Result<Vec<LifecycleEvent>> + Send,
    {
        let caller = caller.clone();
        let written = self
            .store
            .change(id, move |current| {
                let Some(mut file) = current else {
                    return Err(Error::NotFound("case"));
                };
                caller.require_unit_or_not_found(&file.office_code, &file.unit, "case")?;
                let now = now_micros().max(file.updated_at);
                let events = f(&mut file, now)?;
                file.updated_at = now;
                Ok(Some((file, events)))
            })
            .await?;
        written.ok_or_else(|| Error::Internal("the step changed nothing".into()))
    }

    /// The answer of a step: the case's summary and the id of what was recorded.
    pub(crate) fn change(&self, file: &File, record_id: String) -> pb::CaseChange {
        pb::CaseChange {
            case: Some(view::summary(file, self.today(&file.office_code))),
            record_id,
        }
    }

    /// Writes the caller's read of `what` on a case of `office` to the access log.
    pub(crate) async fn log_read(
        &self,
        caller: &Caller,
        office: &str,
        complaint_id: &str,
        what: String,
        purpose: &str,
    ) -> Result<()> {
        self.store
            .log_access(&AccessEntry {
                complaint_id: complaint_id.to_string(),
                office_code: office.to_string(),
                at: now_micros(),
                subject: caller.principal.subject.clone(),
                role: caller.acting_role().as_str().to_string(),
                what,
                purpose: purpose.trim().to_string(),
            })
            .await
    }

    /// A place among the uploads running at once, or RESOURCE_EXHAUSTED.
    pub(crate) fn upload_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.uploads.clone().try_acquire_owned().map_err(|_| {
            Error::RetryLater(
                format!("{MAX_CONCURRENT_UPLOADS} evidence uploads are running; try again shortly"),
                std::time::Duration::from_secs(2),
            )
        })
    }

    /// Seals and stores an evidence file (`bytes`, metadata removed when `removed`) of the case
    /// as `evidence_id`.
    pub(crate) async fn store_evidence_file(
        &self,
        case: &File,
        evidence_id: &str,
        f: &pb::FileUpload,
        bytes: Vec<u8>,
        removed: bool,
    ) -> Result<FileRec> {
        let key = format!("{}/{}/{}", case.office_code, case.complaint_id, evidence_id);
        let aad = evidence_aad(&case.complaint_id, evidence_id);
        // The case's own data key (docs/privacy.md); a case from before the keys: the office's.
        let sealed = match self.store.cases().data_key(&case.complaint_id).await? {
            Some(k) => k.seal(&aad, &bytes)?,
            None => self.keys.seal(&case.office_code, &aad, &bytes)?,
        };
        self.files.put(&key, &sealed).await?;
        Ok(FileRec {
            key,
            file_name: f.file_name.trim().to_string(),
            content_type: f.content_type.clone(),
            size_bytes: bytes.len() as i64,
            sha256: hex(&Sha256::digest(&bytes)),
            metadata_removed: removed,
        })
    }

    /// Removes a stored evidence file whose record was not written.
    pub(crate) async fn discard_evidence_file(&self, key: &str) {
        let _ = self.files.delete(key).await;
    }

    /// The content of a case's stored evidence file, opened and checked against its checksum.
    pub(crate) async fn evidence_content(
        &self,
        case: &File,
        evidence_id: &str,
        stored: &FileRec,
    ) -> Result<Vec<u8>> {
        let sealed = self.files.get(&stored.key).await?;
        let data_key = self.store.cases().data_key(&case.complaint_id).await?;
        let content = self.keys.open_sealed(
            &case.office_code,
            data_key.as_ref(),
            &evidence_aad(&case.complaint_id, evidence_id),
            &sealed,
        )?;
        if hex(&Sha256::digest(&content)) != stored.sha256 {
            return Err(Error::Internal(
                "an evidence file does not match its checksum".into(),
            ));
        }
        Ok(content)
    }
}

/// An intake error, with its field violations moved under `intake_amendment.`.
fn intake_error(s: Status) -> Status {
    use tonic_types::StatusExt;
    if s.code() == tonic::Code::InvalidArgument
        && let Some(br) = s.get_error_details().bad_request()
    {
        let fields: Vec<(String, String)> = br
            .field_violations
            .iter()
            .map(|f| {
                (
                    format!("intake_amendment.{}", f.field),
                    f.description.clone(),
                )
            })
            .collect();
        if !fields.is_empty() {
            let mut v = Violations::new();
            for (f, d) in fields {
                v.add(f, d);
            }
            if let Err(e) = v.into_result() {
                return e.into();
            }
        }
    }
    Status::new(
        s.code(),
        format!("amending the complaint in intake: {}", s.message()),
    )
}
