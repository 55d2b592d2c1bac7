//! The feedback core: the store, the reference data and calendars, and the runners of the steps
//! and of the closing sweep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aduan_proto::events::v1::LifecycleEvent;
use aduan_refdata::RefData;
use aduan_runtime::auth::Caller;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::time::now_micros;
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::{CaseStore, SideRow, Write};
use aduan_spine::relay::Outbox;
use tracing::Instrument;

use crate::domain::silence::{Sweep, close_by_silence, sweep_decision};
use crate::domain::{Calendars, Doc, FeedbackFile};
use crate::store::{Due, Store};

/// Due cases the sweeper reads per page (each is then closed in its own transaction).
const SWEEP_BATCH: i64 = 500;

/// The feedback core.
pub struct Feedback {
    pub(crate) store: Store,
    pub(crate) refdata: Arc<RefData>,
    pub(crate) calendars: Arc<Calendars>,
    pub(crate) province: String,
    pub(crate) silence_days: u32,
    pub(crate) keys: Arc<Keyring>,
}

impl Feedback {
    /// Assembles the core: `silence_days` working days without an answer close a case.
    pub fn new(
        store: CaseStore,
        refdata: Arc<RefData>,
        calendars: Arc<Calendars>,
        province: String,
        silence_days: u32,
        keys: Arc<Keyring>,
    ) -> Self {
        Self {
            store: Store::new(store),
            refdata,
            calendars,
            province,
            silence_days,
            keys,
        }
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.store.cases().outbox()
    }

    /// The case store.
    pub fn store(&self) -> &CaseStore {
        self.store.cases()
    }

    /// The office calendars.
    pub fn calendars(&self) -> &Calendars {
        &self.calendars
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.cases().close().await
    }

    /// Runs a step as `caller` on the locked case file of a complaint the caller may see.
    pub(crate) async fn step<F>(&self, caller: &Caller, id: &str, f: F) -> Result<FeedbackFile>
    where
        F: FnOnce(&mut FeedbackFile, i64) -> Result<(Vec<LifecycleEvent>, Vec<SideRow>)> + Send,
    {
        let caller = caller.clone();
        let written = self
            .store
            .cases()
            .mutate::<Doc, _>(id, move |current| {
                let Some(mut file) = current else {
                    return Err(Error::NotFound("complaint"));
                };
                caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
                let (events, side) = f(&mut file, now_micros())?;
                Ok(Some(Write { file, events, side }))
            })
            .await?;
        written.ok_or_else(|| Error::Internal("the step changed nothing".into()))
    }

    /// The case file of a complaint the caller may see.
    pub(crate) async fn load_visible(&self, caller: &Caller, id: &str) -> Result<FeedbackFile> {
        let f = self
            .store
            .cases()
            .get::<Doc>(id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_unit_or_not_found(&f.office_code, &f.unit, "complaint")?;
        Ok(f)
    }
    /// The closing sweep (S14): closes every case whose silence period ended by `now`
    /// (microseconds) without an answer, once each even when sweeps run concurrently (the row is
    /// locked and its state checked again). Returns how many it closed.
    ///
    /// A case that cannot be handled (for example a sealed document that no longer opens) is
    /// counted in `aduan_feedback_sweep_failures_total{kind}`, logged by kind only (no complaint
    /// id, no message) and skipped: the sweep pages past it through the due cases in
    /// (timer, complaint id) order, so it never stops the others from closing. It stays due and
    /// is tried again by the next sweep. Only a database that is unavailable ends the sweep
    /// early (an error): every case would fail the same way.
    pub async fn sweep(&self, now: i64) -> Result<usize> {
        self.sweep_in_pages(now, SWEEP_BATCH).await
    }

    /// [`Self::sweep`] reading the due cases `batch` at a time (at least 1; tests use small
    /// pages to check the paging).
    pub async fn sweep_in_pages(&self, now: i64, batch: i64) -> Result<usize> {
        let batch = batch.max(1);
        let mut closed = 0;
        let mut after: Option<Due> = None;
        loop {
            let due = self.store.due_page(now, after.as_ref(), batch).await?;
            let Some(last) = due.last() else {
                return Ok(closed);
            };
            after = Some(last.clone());
            let full = due.len() as i64 >= batch;
            for d in &due {
                match self.sweep_one(&d.complaint_id, now).await {
                    Ok(true) => closed += 1,
                    Ok(false) => {}
                    Err(e) => {
                        let kind = e.kind();
                        metrics::counter!("aduan_feedback_sweep_failures_total", "kind" => kind)
                            .increment(1);
                        if e.code() == tonic::Code::Unavailable {
                            return Err(e);
                        }
                        tracing::warn!(
                            kind,
                            "feedback sweep skipped a case it could not handle; it stays due"
                        );
                    }
                }
            }
            if !full {
                return Ok(closed);
            }
        }
    }

    /// Closes (or clears the stale timer of) one due case under its row lock; true when closed.
    async fn sweep_one(&self, id: &str, now: i64) -> Result<bool> {
        let did_close = Arc::new(AtomicBool::new(false));
        let flag = did_close.clone();
        // Closing by silence is an automatic step nobody's request caused: its own trace, linked
        // to the complaint's previous step by the store; the closing event carries this span, so
        // the services that apply it continue this trace.
        let span = tracing::info_span!(parent: None, "closing sweep", otel.kind = "internal");
        let written = self
            .store
            .cases()
            .mutate::<Doc, _>(id, move |current| {
                let Some(mut f) = current else {
                    return Ok(None);
                };
                match sweep_decision(&f, now) {
                    Sweep::Nothing => Ok(None),
                    Sweep::ClearTimer => {
                        f.next_at = None;
                        Ok(Some(Write::new(f, Vec::new())))
                    }
                    Sweep::Close => {
                        let ev = close_by_silence(&mut f, now);
                        flag.store(true, Ordering::SeqCst);
                        Ok(Some(Write::new(f, vec![ev])))
                    }
                }
            })
            .instrument(span)
            .await?;
        match written {
            Some(f) if did_close.load(Ordering::SeqCst) => {
                metrics::counter!(
                    "aduan_feedback_closed_total",
                    "office" => f.office_code.clone(),
                    "reason" => "silence"
                )
                .increment(1);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Runs the closing sweep every `period` until `stop`; one instance at a time sweeps:
    /// the holder of `leaders`' leadership (the database's advisory lock, or a Lease in cluster
    /// mode).
    pub async fn run_sweeper(
        self: Arc<Self>,
        period: Duration,
        leaders: aduan_spine::relay::Leaders,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        // The database's advisory lock, or a Kubernetes Lease in cluster mode.
        let mut leader = leaders(self.store.cases().database(), "aduan-feedback-sweeper");
        loop {
            if *stop.borrow() {
                break;
            }
            if leader.ensure().await {
                match self.sweep(now_micros()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(closed = n, "feedback sweep closed cases after silence")
                    }
                    // The kind only: a storage error's message can quote stored values.
                    Err(e) => tracing::warn!(kind = e.kind(), "feedback sweep failed"),
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
