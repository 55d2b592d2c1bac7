//! The reporting core: the store, the reference data, directory and calendars, the clients of
//! triage and investigation, the province's statistics cache, and the runner of the report's
//! steps with the side rows that follow each change.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::LifecycleEvent;
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
use aduan_runtime::auth::Caller;
use aduan_runtime::time::{from_micros, now_micros, to_proto};
use aduan_runtime::{Error, Result, Violations, validate};
use aduan_spine::casefile::{CaseStore, SideRow, Write};
use aduan_spine::relay::Outbox;
use jiff::Timestamp;
use tonic::Status;

use crate::directory::Directory;
use crate::domain::s15_report::queue_state;
use crate::domain::{self, ActorRec, Doc, Outcome, ReportFile, SERVICE};
use crate::pb;
use crate::stats::{self, Scope, StatsCache};
use crate::store::rebuild::{Drift, RebuildOutcome};
use crate::store::{self as rows, Store};

type TriageClient =
    aduan_proto::triage::v1::triage_service_client::TriageServiceClient<tonic::transport::Channel>;
type InvestigationClient =
    aduan_proto::investigation::v1::investigation_service_client::InvestigationServiceClient<
        tonic::transport::Channel,
    >;

/// The reporting core.
pub struct Reporting {
    pub(crate) store: Store,
    refdata: Arc<RefData>,
    directory: Arc<Directory>,
    calendars: Arc<OfficeCalendars>,
    province: String,
    triage_endpoint: String,
    investigation_endpoint: String,
    triage: OnceLock<TriageClient>,
    investigation: OnceLock<InvestigationClient>,
    /// Province-wide statistics, computed at most once per period and lifetime.
    province_stats: StatsCache,
}

/// A time of the records (microseconds; 0: none) on the wire.
pub(crate) fn tsp(at: i64) -> Option<prost_types::Timestamp> {
    (at != 0).then(|| to_proto(from_micros(at)))
}

/// Maps another service's answer to this call's error: the same code, its message, and for
/// INVALID_ARGUMENT the same fields (the request reporting sends carries the caller's own fields
/// under the same names).
pub(crate) fn upstream(service: &str, s: Status) -> Error {
    use tonic_types::StatusExt;
    let msg = format!("{service}: {}", s.message());
    match s.code() {
        tonic::Code::NotFound => Error::NotFound("complaint"),
        tonic::Code::PermissionDenied => Error::PermissionDenied(msg),
        tonic::Code::FailedPrecondition => Error::FailedPrecondition(msg),
        tonic::Code::InvalidArgument => {
            let mut v = Violations::new();
            if let Some(br) = s.get_error_details().bad_request() {
                for f in &br.field_violations {
                    v.add(f.field.clone(), format!("{service}: {}", f.description));
                }
            }
            if v.is_empty() {
                v.add("complaint_id", msg);
            }
            v.into_result()
                .err()
                .unwrap_or_else(|| Error::Internal(String::new()))
        }
        tonic::Code::Unauthenticated => Error::Unauthenticated(msg),
        _ => Error::Unavailable(msg),
    }
}

/// The client of another service at `url` (`field` names the setting in errors), made once on
/// first use; it connects lazily.
fn client<C: Clone>(
    cell: &OnceLock<C>,
    (url, field): (&str, &str),
    make: fn(tonic::transport::Channel) -> C,
) -> Result<C> {
    if let Some(c) = cell.get() {
        return Ok(c.clone());
    }
    let endpoint = tonic::transport::Endpoint::from_shared(url.to_string())
        .map_err(|e| Error::invalid(field, e.to_string()))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    let c = make(endpoint.connect_lazy());
    Ok(cell.get_or_init(|| c).clone())
}

impl Reporting {
    /// Assembles the core.
    pub fn new(
        store: CaseStore,
        refdata: Arc<RefData>,
        directory: Arc<Directory>,
        calendars: Arc<OfficeCalendars>,
        province: String,
        triage_endpoint: String,
        investigation_endpoint: String,
    ) -> Self {
        Self {
            store: Store::new(store),
            refdata,
            directory,
            calendars,
            province,
            triage_endpoint,
            investigation_endpoint,
            triage: OnceLock::new(),
            investigation: OnceLock::new(),
            province_stats: StatsCache::new(Duration::from_secs(60)),
        }
    }

    /// Province-wide statistics are computed at most once per `lifetime` (0: every time).
    pub fn with_statistics_cache(mut self, lifetime: Duration) -> Self {
        self.province_stats = StatsCache::new(lifetime);
        self
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.store.cases().outbox()
    }

    /// The case store.
    pub fn store(&self) -> &CaseStore {
        self.store.cases()
    }

    /// The reference data.
    pub fn refdata(&self) -> &RefData {
        &self.refdata
    }

    /// The directory of recommendations and agencies.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The province code.
    pub fn province(&self) -> &str {
        &self.province
    }

    /// The office calendars.
    pub fn calendars(&self) -> &OfficeCalendars {
        &self.calendars
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.cases().close().await
    }

    pub(crate) fn triage_client(&self) -> Result<TriageClient> {
        client(
            &self.triage,
            (&self.triage_endpoint, "endpoints.triage"),
            TriageClient::new,
        )
    }

    pub(crate) fn investigation_client(&self) -> Result<InvestigationClient> {
        client(
            &self.investigation,
            (&self.investigation_endpoint, "endpoints.investigation"),
            InvestigationClient::new,
        )
    }

    /// The side rows that follow a change of `file`: its statistics facts and its place in the
    /// reporting queue.
    pub(crate) fn follow_up_rows(&self, file: &mut ReportFile) -> Vec<SideRow> {
        file.unit = file.body.bidang.clone();
        let calendar = self.calendars.calendar(&file.office_code);
        let mut out = rows::fact_rows(file, &calendar);
        let state = queue_state(file);
        let stamp = match state {
            Some(s) => format!("{s}@{}@{}", file.office_code, file.body.bidang),
            None => String::new(),
        };
        let before = file.body.written.get("queue").cloned().unwrap_or_default();
        if stamp != before {
            out.push(rows::queue_row(file, state));
            file.body.written.insert("queue".into(), stamp);
        }
        out
    }

    /// The month of an event in its office's calendar.
    fn period_of(&self, e: &LifecycleEvent) -> i32 {
        let calendar = self.calendars.calendar(&e.office_code);
        domain::period_of(&calendar, domain::occurred(e))
    }

    /// The events-table row of an event, its month in the office's calendar.
    pub(crate) fn event_row(&self, e: &LifecycleEvent) -> SideRow {
        rows::event_row(e, self.period_of(e))
    }

    /// A timeline row of reporting's own step that is not a lifecycle event (a draft, a return).
    fn note_row(&self, file: &ReportFile, kind: &str, detail: &str, who: &ActorRec) -> SideRow {
        let e = LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: file.complaint_id.clone(),
            office_code: file.office_code.clone(),
            step: Step::S15HandlingReport as i32,
            occurred_at: Some(to_proto(Timestamp::now())),
            source_service: SERVICE.into(),
            actor: Some(who.to_pb()),
            trace: Some(aduan_runtime::telemetry::current_event_trace()),
            sequence: 0,
            status: file.status,
            detail: None,
        };
        rows::note_row(&e, self.period_of(&e), kind, detail)
    }

    /// A complaint the caller may see (NOT_FOUND otherwise): office, and Bidang for Bidang roles.
    pub(crate) async fn load_visible(&self, caller: &Caller, id: &str) -> Result<ReportFile> {
        let file: ReportFile = self
            .store
            .cases()
            .get(id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
        Ok(file)
    }

    /// Runs a step of the report as `who` on the locked case file the caller may see: the
    /// step's events and timeline note, then the rows that follow the change.
    pub(crate) async fn step<F>(
        &self,
        caller: &Caller,
        who: &ActorRec,
        id: &str,
        f: F,
    ) -> Result<ReportFile>
    where
        F: FnOnce(&mut ReportFile, i64) -> Result<Outcome> + Send,
    {
        self.store
            .cases()
            .mutate::<Doc, _>(id, |current| {
                let mut file = current.ok_or(Error::NotFound("complaint"))?;
                caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
                let out = f(&mut file, now_micros())?;
                let mut side: Vec<SideRow> = out.events.iter().map(|e| self.event_row(e)).collect();
                if let Some((kind, detail)) = &out.note {
                    side.push(self.note_row(&file, kind, detail, who));
                }
                file.updated_at = now_micros();
                side.extend(self.follow_up_rows(&mut file));
                Ok(Some(Write {
                    file,
                    events: out.events,
                    side,
                }))
            })
            .await?
            .ok_or(Error::NotFound("complaint"))
    }

    /// The timeline of a complaint, oldest first.
    pub async fn timeline(&self, caller: &Caller, id: &str) -> Result<pb::Timeline> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", id);
        v.into_result()?;
        let file = self.load_visible(caller, id).await?;
        let entries = self
            .store
            .timeline(id)
            .await?
            .into_iter()
            .map(|r| pb::TimelineEntry {
                occurred_at: tsp(r.occurred_at),
                step: r.step,
                source_service: r.source_service,
                kind: r.kind,
                detail: r.detail,
                status: r.status,
                actor: Some(aduan_proto::common::v1::Actor {
                    subject: r.actor_subject,
                    role: r.actor_role,
                    office_code: r.actor_office,
                }),
                event_id: r.event_id,
                trace_id: r.trace_id,
            })
            .collect();
        Ok(pb::Timeline {
            complaint_id: file.complaint_id.clone(),
            office_code: file.office_code.clone(),
            registration_number: file.body.registration_number.clone(),
            status: file.status,
            entries,
        })
    }

    /// Checks who asks for what statistics ([`stats::scope`]).
    pub fn scope(
        &self,
        caller: &Caller,
        office_code: &str,
        province: bool,
        range: Option<(jiff::civil::Date, jiff::civil::Date)>,
        v: Violations,
    ) -> Result<Scope> {
        stats::scope(
            caller,
            (&self.refdata, &self.province),
            office_code,
            province,
            range,
            v,
        )
    }

    /// The statistics of a checked scope.
    pub async fn statistics_of(&self, scope: &Scope) -> Result<pb::Statistics> {
        stats::statistics_of(&self.store, (&self.refdata, &self.directory), scope).await
    }

    /// The statistics of a checked scope with `months` months of satisfaction; the province's
    /// are computed once per the cache's lifetime, and readers meanwhile wait for that one
    /// computation rather than start their own.
    pub async fn statistics(&self, scope: &Scope, months: i32) -> Result<pb::Statistics> {
        let names = (&*self.refdata, &*self.directory);
        if !scope.province || self.province_stats.lifetime.is_zero() {
            return stats::computed(&self.store, names, scope, months).await;
        }
        let key = format!(
            "{}|{}|{}|{}|{}",
            scope.code, scope.suppress, scope.from, scope.to, months
        );
        let slot = self.province_stats.slot(&key);
        let mut held = slot.lock().await;
        if let Some((at, stats)) = held.as_ref()
            && at.elapsed() < self.province_stats.lifetime
        {
            return Ok(stats.clone());
        }
        let stats = stats::computed(&self.store, names, scope, months).await?;
        *held = Some((std::time::Instant::now(), stats.clone()));
        Ok(stats)
    }

    /// Recomputes the pre-aggregated statistics from the facts
    /// ([`Store::rebuild_statistics`]).
    pub async fn rebuild_statistics(&self) -> Result<RebuildOutcome> {
        self.store.rebuild_statistics().await
    }

    /// The rows where the statistics and the facts disagree ([`Store::statistics_drift`]).
    pub async fn statistics_drift(&self) -> Result<Vec<Drift>> {
        self.store.statistics_drift().await
    }

    /// Starts a bulk load ([`Store::begin_bulk_load`]).
    pub async fn begin_bulk_load(&self) -> Result<()> {
        self.store.begin_bulk_load().await
    }

    /// Writes rows in bulk ([`Store::bulk_insert`]).
    pub async fn bulk_insert(&self, rows: &[SideRow]) -> Result<u64> {
        self.store.bulk_insert(rows).await
    }

    /// Ends a bulk load ([`Store::finish_bulk_load`]).
    pub async fn finish_bulk_load(&self) -> Result<RebuildOutcome> {
        self.store.finish_bulk_load().await
    }

    /// Refreshes the planner's statistics ([`Store::analyze`]).
    pub async fn analyze(&self) -> Result<()> {
        self.store.analyze().await
    }
}
