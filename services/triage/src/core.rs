//! The triage core: the store, the outbox, the SLA clocks and the intake client, with the step
//! runner that locks a complaint and calls a rule of [`crate::domain`], and the SLA sweeper.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aduan_proto::intake::v1 as intake_pb;
use aduan_refdata::RefData;
use aduan_runtime::auth::Caller;
use aduan_runtime::time::now_micros;
use aduan_runtime::{Error, Result, Violations, validate};
use aduan_spine::relay::Outbox;
use tracing::Instrument;

use crate::domain::{CaseRow, Change, Clocks, DispositionRow, sla};
use crate::store::TriageStore;

/// The triage core.
pub struct Triage {
    pub(crate) store: Arc<dyn TriageStore>,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) refdata: Arc<RefData>,
    pub(crate) clocks: Arc<Clocks>,
    intake_endpoint: String,
    intake:
        OnceLock<intake_pb::intake_service_client::IntakeServiceClient<tonic::transport::Channel>>,
    /// The database and keys of the access log's chain (`aduan_runtime::audit`).
    db: aduan_runtime::db::Database,
    keys: Arc<aduan_runtime::crypto::Keyring>,
}

impl Triage {
    /// Assembles the core.
    pub fn new(
        store: Arc<dyn TriageStore>,
        outbox: Arc<Outbox>,
        refdata: Arc<RefData>,
        clocks: Arc<Clocks>,
        intake_endpoint: String,
        db: aduan_runtime::db::Database,
        keys: Arc<aduan_runtime::crypto::Keyring>,
    ) -> Self {
        Self {
            store,
            outbox,
            refdata,
            clocks,
            intake_endpoint,
            intake: OnceLock::new(),
            db,
            keys,
        }
    }

    /// Writes one read of a case's free text to the access log (purpose sealed, chained).
    pub(crate) async fn log_read(
        &self,
        caller: &Caller,
        case: &CaseRow,
        what: &str,
        purpose: &str,
    ) -> Result<()> {
        use aduan_runtime::audit::Field;
        let office = &case.office_code;
        let sealed = self.keys.seal(
            office,
            &aduan_spine::casefile::purpose_aad("triage", &case.complaint_id),
            purpose.as_bytes(),
        )?;
        aduan_runtime::audit::append(
            &self.db,
            &self.keys,
            &aduan_spine::casefile::ACCESS_LOG,
            office,
            &[
                Field::Text(case.complaint_id.clone()),
                Field::Text(office.clone()),
                Field::Int(now_micros()),
                Field::Text(caller.principal.subject.clone()),
                Field::Text(caller.acting_role().as_str().to_string()),
                Field::Text(what.to_string()),
                Field::Bytes(sealed),
            ],
        )
        .await
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TriageStore> {
        &self.store
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.close().await;
    }

    pub(crate) async fn load_visible(&self, caller: &Caller, id: &str) -> Result<CaseRow> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", id);
        v.into_result()?;
        let case = self
            .store
            .get(id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_office_or_not_found(&case.office_code, "complaint")?;
        Ok(case)
    }

    /// A caller reading with a Bidang role only (no unit or Head role) sees the complaints
    /// disposed to the Bidang of its token, as in investigation; others answer NOT_FOUND.
    pub(crate) async fn require_bidang(&self, caller: &Caller, case: &CaseRow) -> Result<()> {
        if !caller.bidang_scoped() {
            return Ok(());
        }
        let Some(bidang) = caller.principal.bidang.as_deref() else {
            return Err(Error::NotFound("complaint"));
        };
        let dispositions = self.store.dispositions(case).await?;
        match dispositions.last() {
            Some(d) if d.bidang_code == bidang => Ok(()),
            _ => Err(Error::NotFound("complaint")),
        }
    }

    /// Runs a step as `caller` on a complaint of the caller's office.
    pub(crate) async fn step(
        &self,
        caller: &Caller,
        id: &str,
        f: impl FnOnce(CaseRow, Vec<DispositionRow>, i64) -> Result<Change> + Send,
    ) -> Result<CaseRow> {
        // The handler has checked the id; the office is checked on the locked row (a complaint
        // of another office, or one transferred away, answers NOT_FOUND).
        let caller2 = caller.clone();
        let changed = self
            .store
            .mutate(
                id,
                Box::new(move |case, dispositions| {
                    caller2.require_office_or_not_found(&case.office_code, "complaint")?;
                    f(case, dispositions, now_micros()).map(Some)
                }),
            )
            .await?;
        changed.ok_or_else(|| Error::Internal("the step changed nothing".into()))
    }

    pub(crate) fn intake_client(
        &self,
    ) -> Result<intake_pb::intake_service_client::IntakeServiceClient<tonic::transport::Channel>>
    {
        if let Some(c) = self.intake.get() {
            return Ok(c.clone());
        }
        let endpoint = tonic::transport::Endpoint::from_shared(self.intake_endpoint.clone())
            .map_err(|e| Error::invalid("endpoints.intake", e.to_string()))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        let c = intake_pb::intake_service_client::IntakeServiceClient::new(endpoint.connect_lazy());
        let _ = self.intake.set(c.clone());
        Ok(c)
    }

    /// The earlier complaint a duplicate names, by its id or by its registration number within
    /// the office of complaint `id`, if the caller's office covers it.
    pub(crate) async fn earlier(
        &self,
        caller: &Caller,
        id: &str,
        duplicate_of: &str,
        by_number: bool,
    ) -> Result<Option<CaseRow>> {
        if by_number {
            match self.store.get(id).await? {
                Some(this) if caller.covers_office(&this.office_code) => {
                    self.store
                        .get_by_registration(&this.office_code, duplicate_of)
                        .await
                }
                _ => Err(Error::NotFound("complaint")),
            }
        } else {
            self.store.get(duplicate_of).await
        }
    }

    /// The complaint as intake keeps it (sender, letter, subject), read with the caller's own
    /// `authorization`.
    pub(crate) async fn intake_complaint(
        &self,
        id: &str,
        authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
    ) -> std::result::Result<intake_pb::Complaint, tonic::Status> {
        let mut client = self.intake_client()?;
        let mut req = tonic::Request::new(intake_pb::GetComplaintRequest {
            complaint_id: id.to_string(),
            revision: 0,
            purpose: "S6 lembar disposisi".into(),
        });
        if let Some(a) = authorization {
            req.metadata_mut().insert("authorization", a);
        }
        aduan_runtime::telemetry::inject_metadata(req.metadata_mut());
        Ok(client
            .get_complaint(req)
            .await
            .map_err(|s| {
                tonic::Status::new(
                    s.code(),
                    format!("reading the complaint from intake: {}", s.message()),
                )
            })?
            .into_inner()
            .complaint
            .unwrap_or_default())
    }

    /// The sweeper's pass: sends every SLA warning and breach that is due, once each.
    pub async fn sweep(&self, now: i64) -> Result<usize> {
        let mut sent = 0;
        loop {
            let ids = self.store.due_alerts(now, 500).await?;
            if ids.is_empty() {
                return Ok(sent);
            }
            let mut progressed = false;
            for id in ids {
                let alerted: Arc<std::sync::Mutex<Option<(String, String)>>> = Arc::default();
                let flag = alerted.clone();
                // An alert is an automatic step nobody's request caused: its own trace, linked
                // to the complaint's previous step by the store (its event carries this span).
                let span = tracing::info_span!(parent: None, "sla sweep", otel.kind = "internal");
                let changed = self
                    .store
                    .mutate(
                        &id,
                        Box::new(move |case, _| {
                            let office = case.office_code.clone();
                            let change = sla::alert(&self.clocks, case, now)?;
                            if let Some((_, kind)) = change.as_ref().and_then(|c| c.alert.as_ref())
                                && let Ok(mut f) = flag.lock()
                            {
                                *f = Some((office, kind.clone()));
                            }
                            Ok(change)
                        }),
                    )
                    .instrument(span)
                    .await?;
                let alert = alerted.lock().ok().and_then(|mut a| a.take());
                if let (Some(_), Some((office, kind))) = (changed, alert) {
                    metrics::counter!("aduan_sla_alerts_total", "office" => office, "kind" => kind)
                        .increment(1);
                    sent += 1;
                    progressed = true;
                }
            }
            // A warning found late is followed by its breach in the next pass; re-armed clocks
            // are no longer due at `now`.
            if !progressed {
                return Ok(sent);
            }
        }
    }

    /// Runs the sweeper every `period` until `stop`; one instance at a time sweeps:
    /// the holder of `leaders`' leadership (the database's advisory lock, or a Lease in cluster
    /// mode).
    pub async fn run_sweeper(
        self: Arc<Self>,
        period: Duration,
        leaders: aduan_spine::relay::Leaders,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        // The database's advisory lock, or a Kubernetes Lease in cluster mode.
        let mut leader = leaders(self.store.database(), "aduan-sla-sweeper:triage");
        loop {
            if *stop.borrow() {
                break;
            }
            if leader.ensure().await {
                match self.sweep(now_micros()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(alerts = n, "SLA sweep sent alerts"),
                    Err(e) => tracing::warn!(error = %e, "SLA sweep failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stop.changed() => {}
            }
        }
        leader.release().await;
    }
}
