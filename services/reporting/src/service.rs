//! The reporting core (S15-S16, projections, timeline), its gRPC API and its event receiver.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::now_micros;
use aduan_runtime::time::{from_micros, from_proto, to_micros, to_proto};
use aduan_runtime::{Error, Result, Violations, validate};
use aduan_spine::casefile::{CaseFile, CaseStore, SideRow, Value, Write};
use aduan_spine::relay::{ApplyOutcome, EventReceiver, Outbox};
use jiff::Timestamp;
use tonic::{Request, Response, Status};

use crate::directory::Directory;
use crate::domain::{self, ActorRec, DistributionRec, Doc, ReportFile, ReportRec, SERVICE};
use crate::pb;

/// How far in the future a client's clock may run before a time is refused as "in the future".
const CLOCK_SKEW_MICROS: i64 = 120_000_000;
/// At most this many recommendations or agencies on one report.
const LIST_MAX: usize = 20;

type TriageClient =
    aduan_proto::triage::v1::triage_service_client::TriageServiceClient<tonic::transport::Channel>;
type InvestigationClient =
    aduan_proto::investigation::v1::investigation_service_client::InvestigationServiceClient<
        tonic::transport::Channel,
    >;

/// The reporting core.
pub struct Reporting {
    store: CaseStore,
    refdata: Arc<RefData>,
    directory: Arc<Directory>,
    calendars: Arc<OfficeCalendars>,
    province: String,
    triage_endpoint: String,
    investigation_endpoint: String,
    triage: OnceLock<TriageClient>,
    investigation: OnceLock<InvestigationClient>,
    /// Province-wide statistics, computed at most once per period and lifetime.
    pub(crate) province_stats: crate::stats::StatsCache,
}

fn tsp(at: i64) -> Option<prost_types::Timestamp> {
    (at != 0).then(|| to_proto(from_micros(at)))
}

fn actor(caller: &Caller) -> ActorRec {
    ActorRec::of(caller)
}

fn occurred(e: &LifecycleEvent) -> i64 {
    e.occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .unwrap_or(0)
}

fn page(v: &mut Violations, size: i32, token: &str) -> (i64, i64) {
    let size = match size {
        0 => 50,
        n if (1..=500).contains(&n) => i64::from(n),
        _ => {
            v.add("page_size", "between 1 and 500");
            0
        }
    };
    let offset = if token.is_empty() {
        0
    } else {
        match token.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                v.add("page_token", "not a token from a previous response");
                0
            }
        }
    };
    (offset, size)
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

/// The queue state of a case file (report_queue.state): None when it is not at the reporting
/// stage; 0 awaiting a first draft; else the report's state.
fn queue_state(file: &ReportFile) -> Option<i32> {
    match &file.body.report {
        Some(r) => Some(r.state),
        None => {
            let at_stage = file.status == ComplaintStatus::Reporting as i32
                || (file.status == ComplaintStatus::Closed as i32
                    && file.body.close_reason == "silence");
            at_stage.then_some(0)
        }
    }
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
            store,
            refdata,
            directory,
            calendars,
            province,
            triage_endpoint,
            investigation_endpoint,
            triage: OnceLock::new(),
            investigation: OnceLock::new(),
            province_stats: crate::stats::StatsCache::new(std::time::Duration::from_secs(60)),
        }
    }

    /// Province-wide statistics are computed at most once per `lifetime` (0: every time).
    pub fn with_statistics_cache(mut self, lifetime: std::time::Duration) -> Self {
        self.province_stats = crate::stats::StatsCache::new(lifetime);
        self
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.store.outbox()
    }

    /// The case store.
    pub fn store(&self) -> &CaseStore {
        &self.store
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
        self.store.close().await
    }

    pub(crate) fn triage_client(&self) -> Result<TriageClient> {
        if let Some(c) = self.triage.get() {
            return Ok(c.clone());
        }
        let endpoint = tonic::transport::Endpoint::from_shared(self.triage_endpoint.clone())
            .map_err(|e| Error::invalid("endpoints.triage", e.to_string()))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        let c = TriageClient::new(endpoint.connect_lazy());
        let _ = self.triage.set(c.clone());
        Ok(c)
    }

    pub(crate) fn investigation_client(&self) -> Result<InvestigationClient> {
        if let Some(c) = self.investigation.get() {
            return Ok(c.clone());
        }
        let endpoint = tonic::transport::Endpoint::from_shared(self.investigation_endpoint.clone())
            .map_err(|e| Error::invalid("endpoints.investigation", e.to_string()))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        let c = InvestigationClient::new(endpoint.connect_lazy());
        let _ = self.investigation.set(c.clone());
        Ok(c)
    }

    /// The side rows that follow a change of `file`: its statistics facts and its place in the
    /// reporting queue.
    fn follow_up_rows(&self, file: &mut ReportFile) -> Vec<SideRow> {
        file.unit = file.body.bidang.clone();
        let calendar = self.calendars.calendar(&file.office_code);
        let mut rows = domain::fact_rows(file, &calendar);
        let state = queue_state(file);
        let stamp = match state {
            Some(s) => format!("{s}@{}@{}", file.office_code, file.body.bidang),
            None => String::new(),
        };
        let before = file.body.written.get("queue").cloned().unwrap_or_default();
        if stamp != before {
            rows.push(SideRow {
                table: "report_queue",
                values: vec![
                    ("complaint_id", Value::Text(file.complaint_id.clone())),
                    ("office_code", Value::Text(file.office_code.clone())),
                    ("bidang", Value::Text(file.body.bidang.clone())),
                    ("state", Value::Int(i64::from(state.unwrap_or(-1)))),
                    ("since", Value::Int(file.updated_at)),
                ],
                key: &["complaint_id"],
            });
            file.body.written.insert("queue".into(), stamp);
        }
        rows
    }

    /// The events-table row of an event, its month in the office's calendar.
    fn event_row(&self, e: &LifecycleEvent) -> SideRow {
        let calendar = self.calendars.calendar(&e.office_code);
        domain::event_row(e, domain::period_of(&calendar, occurred(e)))
    }

    /// Applies one received event: every event of every service is recorded and folded into the
    /// complaint's projection. Nothing is refused: an event of a complaint not seen yet opens
    /// its projection (events of different services arrive in any order).
    fn on_event(
        &self,
        e: &LifecycleEvent,
        current: Option<ReportFile>,
    ) -> std::result::Result<Option<Write<Doc>>, String> {
        if e.complaint_id.is_empty() || e.office_code.is_empty() {
            return Err("an event without complaint or office".into());
        }
        let now = now_micros();
        let at = occurred(e);
        let mut file = current.unwrap_or_else(|| CaseFile {
            complaint_id: e.complaint_id.clone(),
            office_code: e.office_code.clone(),
            unit: String::new(),
            status: 0,
            assignees: Vec::new(),
            next_at: None,
            event_seq: 0,
            opened_at: if at > 0 { at } else { now },
            updated_at: now,
            body: Doc::default(),
        });
        Doc::fold(&mut file, e);
        file.updated_at = now;
        let mut side = vec![self.event_row(e)];
        if let Some(Detail::SurveySubmitted(s)) = &e.detail {
            let calendar = self.calendars.calendar(&e.office_code);
            if let Some(row) = domain::survey_row(e, s, domain::period_of(&calendar, at)) {
                side.push(row);
            }
        }
        side.extend(self.follow_up_rows(&mut file));
        Ok(Some(Write {
            file,
            events: Vec::new(),
            side,
        }))
    }

    /// A complaint the caller may see (NOT_FOUND otherwise): office, and Bidang for Bidang roles.
    async fn load_visible(&self, caller: &Caller, id: &str) -> Result<ReportFile> {
        let file: ReportFile = self
            .store
            .get(id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
        Ok(file)
    }

    /// The timeline of a complaint, oldest first.
    pub async fn timeline(&self, caller: &Caller, id: &str) -> Result<pb::Timeline> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", id);
        v.into_result()?;
        let file = self.load_visible(caller, id).await?;
        let rows = self
            .store
            .query(
                "SELECT occurred_at, step, source_service, kind, detail, status, actor_subject, \
                 actor_role, event_id, trace_id, actor_office FROM events WHERE complaint_id = $1 \
                 ORDER BY occurred_at, step, source_service, sequence, event_id",
                &[Value::Text(id.to_string())],
            )
            .await?;
        let entries = rows
            .into_iter()
            .map(|r| {
                let int = |i: usize| match r.get(i) {
                    Some(Value::Int(x)) => *x,
                    _ => 0,
                };
                let text = |i: usize| match r.get(i) {
                    Some(Value::Text(t)) => t.clone(),
                    _ => String::new(),
                };
                pb::TimelineEntry {
                    occurred_at: tsp(int(0)),
                    step: int(1) as i32,
                    source_service: text(2),
                    kind: text(3),
                    detail: text(4),
                    status: int(5) as i32,
                    actor: Some(aduan_proto::common::v1::Actor {
                        subject: text(6),
                        role: text(7),
                        office_code: text(10),
                    }),
                    event_id: text(8),
                    trace_id: text(9),
                }
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

    fn agency_name(&self, office: &str, code: &str) -> String {
        let office_name = self
            .refdata
            .office(office)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        self.directory
            .agency(code)
            .map(|a| a.name_for(&office_name))
            .unwrap_or_else(|| code.to_string())
    }

    /// The name printed for a recipient.
    pub fn recipient_name(&self, office: &str, d: &DistributionRec) -> String {
        match pb::RecipientKind::try_from(d.recipient_kind).unwrap_or_default() {
            pb::RecipientKind::Complainant => "Pelapor".to_string(),
            pb::RecipientKind::Head => {
                let name = self
                    .refdata
                    .office(office)
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                format!("Kepala {name}").trim().to_string()
            }
            pb::RecipientKind::Agency => self.agency_name(office, &d.agency_code),
            pb::RecipientKind::Unspecified => String::new(),
        }
    }

    /// The wire form of a complaint's report (state UNSPECIFIED when none is drafted yet).
    pub fn report_pb(&self, file: &ReportFile) -> pb::HandlingReport {
        let d = &file.body;
        let mut out = pb::HandlingReport {
            complaint_id: file.complaint_id.clone(),
            office_code: file.office_code.clone(),
            bidang_code: d.bidang.clone(),
            registration_number: d.registration_number.clone(),
            complaint_status: file.status,
            ..Default::default()
        };
        if let Some(r) = &d.report {
            out.report_id = r.id.clone();
            out.report_number = report_number(file);
            out.state = r.state;
            out.revision = r.revision;
            out.recommendation_codes = r.recommendations.clone();
            out.agency_codes = r.agencies.clone();
            out.drafted_by = Some(r.drafted_by.to_pb());
            out.drafted_at = tsp(r.drafted_at);
            out.reviewed_by = r.reviewed_by.as_ref().map(ActorRec::to_pb);
            out.reviewed_at = tsp(r.reviewed_at);
            out.return_reason = r.return_reason;
            out.distributions = r
                .distributions
                .iter()
                .map(|x| pb::Distribution {
                    recipient_kind: x.recipient_kind,
                    agency_code: x.agency_code.clone(),
                    recipient_name: self.recipient_name(&file.office_code, x),
                    channel: x.channel,
                    delivered_at: tsp(x.delivered_at),
                    recorded_by: Some(x.recorded_by.to_pb()),
                })
                .collect();
        }
        out
    }

    /// One complaint's report.
    pub async fn get_report(&self, caller: &Caller, id: &str) -> Result<pb::HandlingReport> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", id);
        v.into_result()?;
        let file = self.load_visible(caller, id).await?;
        Ok(self.report_pb(&file))
    }

    /// The reporting queue of an office.
    pub async fn list_reports(
        &self,
        caller: &Caller,
        r: pb::ListHandlingReportsRequest,
    ) -> Result<pb::ListHandlingReportsResponse> {
        let mut v = Violations::new();
        let (offset, limit) = page(&mut v, r.page_size, &r.page_token);
        let state = pb::ReportState::try_from(r.state).ok();
        if state.is_none() {
            v.add("state", "not a report state");
        }
        v.into_result()?;
        let office = if r.office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            r.office_code.clone()
        };
        caller.require_office(&office)?;
        let mut cond = String::from("office_code = $1");
        let mut binds = vec![Value::Text(office.clone())];
        if caller.bidang_scoped() {
            // A Bidang role without a Bidang claim sees no complaint (as everywhere else).
            let Some(bidang) = caller.principal.bidang.clone() else {
                return Ok(pb::ListHandlingReportsResponse::default());
            };
            binds.push(Value::Text(bidang));
            cond.push_str(&format!(" AND bidang = ${}", binds.len()));
        }
        match (r.awaiting_draft, state.unwrap_or_default()) {
            (true, _) => cond.push_str(" AND state = 0"),
            (false, pb::ReportState::Unspecified) => cond.push_str(" AND state BETWEEN 0 AND 3"),
            (false, s) => cond.push_str(&format!(" AND state = {}", s as i32)),
        }
        let total = match self
            .store
            .query(
                &format!("SELECT COUNT(*) FROM report_queue WHERE {cond}"),
                &binds,
            )
            .await?
            .first()
            .and_then(|r| r.first())
        {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        let n = binds.len();
        binds.push(Value::Int(limit));
        binds.push(Value::Int(offset));
        let ids = self
            .store
            .query(
                &format!(
                    "SELECT complaint_id FROM report_queue WHERE {cond} \
                     ORDER BY since DESC, complaint_id LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                &binds,
            )
            .await?;
        let mut reports = Vec::with_capacity(ids.len());
        for row in ids {
            if let Some(Value::Text(id)) = row.first()
                && let Some(file) = self.store.get::<Doc>(id).await?
            {
                reports.push(self.report_pb(&file));
            }
        }
        let next = offset + reports.len() as i64;
        Ok(pb::ListHandlingReportsResponse {
            next_page_token: if next < total && !reports.is_empty() {
                next.to_string()
            } else {
                String::new()
            },
            reports,
            total: total as i32,
        })
    }

    /// A timeline row of reporting's own step that is not a lifecycle event (a draft, a return).
    fn local_row(&self, file: &ReportFile, kind: &str, detail: String, who: &ActorRec) -> SideRow {
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
        let mut row = self.event_row(&e);
        for (col, val) in row.values.iter_mut() {
            match *col {
                "kind" => *val = Value::Text(kind.to_string()),
                "detail" => *val = Value::Text(detail.clone()),
                _ => {}
            }
        }
        row
    }

    /// Emits one of reporting's own lifecycle events on `file`, folding it into the projection
    /// and the timeline as received events are.
    fn emit(
        &self,
        file: &mut ReportFile,
        (step, status, detail): (Step, i32, Detail),
        who: &ActorRec,
        events: &mut Vec<LifecycleEvent>,
        side: &mut Vec<SideRow>,
    ) {
        let e = file.event(SERVICE, step, who.to_pb(), Timestamp::now(), status, detail);
        Doc::fold(file, &e);
        side.push(self.event_row(&e));
        events.push(e);
    }

    fn check_codes(&self, v: &mut Violations, recs: &[String], agencies: &[String]) {
        if recs.is_empty() {
            v.add("recommendation_codes", "at least one recommendation");
        }
        // Issue 13: an oversized list gets one violation; its elements are not looked at.
        if validate::list_len(v, "recommendation_codes", recs.len(), 0, LIST_MAX) {
            for (i, c) in recs.iter().enumerate() {
                if self.directory.recommendation(c).is_none() {
                    v.add(
                        format!("recommendation_codes[{i}]"),
                        "not a recommendation of data/recommendations.csv",
                    );
                } else if recs[..i].contains(c) {
                    v.add(format!("recommendation_codes[{i}]"), "given twice");
                }
            }
        }
        if validate::list_len(v, "agency_codes", agencies.len(), 0, LIST_MAX) {
            for (i, c) in agencies.iter().enumerate() {
                if self.directory.agency(c).is_none() {
                    v.add(
                        format!("agency_codes[{i}]"),
                        "not an agency of data/agencies.csv",
                    );
                } else if agencies[..i].contains(c) {
                    v.add(format!("agency_codes[{i}]"), "given twice");
                }
            }
        }
    }

    /// Runs a step of the report on the locked case file the caller may see.
    async fn step<F>(&self, caller: &Caller, id: &str, f: F) -> Result<pb::HandlingReport>
    where
        F: FnOnce(&mut ReportFile, &mut Vec<LifecycleEvent>, &mut Vec<SideRow>) -> Result<()>
            + Send,
    {
        let written = self
            .store
            .mutate::<Doc, _>(id, |current| {
                let mut file = current.ok_or(Error::NotFound("complaint"))?;
                caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
                let mut events = Vec::new();
                let mut side = Vec::new();
                f(&mut file, &mut events, &mut side)?;
                file.updated_at = now_micros();
                side.extend(self.follow_up_rows(&mut file));
                Ok(Some(Write { file, events, side }))
            })
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        Ok(self.report_pb(&written))
    }

    /// S15: drafts or redrafts the report.
    pub async fn draft(
        &self,
        caller: &Caller,
        r: pb::DraftHandlingReportRequest,
    ) -> Result<pb::HandlingReport> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        self.check_codes(&mut v, &r.recommendation_codes, &r.agency_codes);
        if r.expected_revision < 0 {
            v.add("expected_revision", "0 or more");
        }
        v.into_result()?;
        let who = actor(caller);
        self.step(caller, &r.complaint_id, |file, _events, side| {
            let state = queue_state(file).ok_or_else(|| {
                Error::FailedPrecondition(
                    "the complainant's feedback (S14) is not in yet: the handling report follows it"
                        .into(),
                )
            })?;
            let current = file.body.report.as_ref().map(|x| x.revision).unwrap_or(0);
            if state >= pb::ReportState::Approved as i32 {
                return Err(Error::FailedPrecondition(
                    "the report is approved already".into(),
                ));
            }
            if r.expected_revision != current {
                return Err(Error::FailedPrecondition(format!(
                    "the current draft is revision {current}, not {}",
                    r.expected_revision
                )));
            }
            let now = now_micros();
            let id = file
                .body
                .report
                .as_ref()
                .map(|x| x.id.clone())
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            file.body.report = Some(ReportRec {
                id,
                state: pb::ReportState::Draft as i32,
                revision: current + 1,
                recommendations: r.recommendation_codes.clone(),
                agencies: r.agency_codes.clone(),
                drafted_by: who.clone(),
                drafted_at: now,
                reviewed_by: None,
                reviewed_at: 0,
                return_reason: 0,
                distributions: Vec::new(),
            });
            side.push(self.local_row(
                file,
                "handling_report_drafted",
                format!(
                    "revision={} recommendations={}",
                    current + 1,
                    r.recommendation_codes.join(",")
                ),
                &who,
            ));
            Ok(())
        })
        .await
    }

    fn current_draft(file: &mut ReportFile, revision: i32) -> Result<&mut ReportRec> {
        let report = file.body.report.as_mut().ok_or_else(|| {
            Error::FailedPrecondition("no handling report has been drafted".into())
        })?;
        if report.state != pb::ReportState::Draft as i32 {
            return Err(Error::FailedPrecondition(
                "the report is not a draft waiting for review".into(),
            ));
        }
        if report.revision != revision {
            return Err(Error::FailedPrecondition(format!(
                "the current draft is revision {}, not {revision}",
                report.revision
            )));
        }
        Ok(report)
    }

    /// S15: approves the current draft.
    pub async fn approve(
        &self,
        caller: &Caller,
        r: pb::ApproveHandlingReportRequest,
    ) -> Result<pb::HandlingReport> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.revision < 1 {
            v.add("revision", "the revision of the draft (1 or more)");
        }
        v.into_result()?;
        let who = actor(caller);
        self.step(caller, &r.complaint_id, |file, events, side| {
            let report = Self::current_draft(file, r.revision)?;
            report.state = pb::ReportState::Approved as i32;
            report.reviewed_by = Some(who.clone());
            report.reviewed_at = now_micros();
            let report_id = report.id.clone();
            let status = file.status;
            self.emit(
                file,
                (
                    Step::S15HandlingReport,
                    status,
                    Detail::HandlingReportApproved(events::HandlingReportApproved { report_id }),
                ),
                &who,
                events,
                side,
            );
            Ok(())
        })
        .await
    }

    /// S15: returns the current draft.
    pub async fn return_draft(
        &self,
        caller: &Caller,
        r: pb::ReturnHandlingReportRequest,
    ) -> Result<pb::HandlingReport> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.revision < 1 {
            v.add("revision", "the revision of the draft (1 or more)");
        }
        let reason = pb::ReturnReason::try_from(r.reason).unwrap_or_default();
        if reason == pb::ReturnReason::Unspecified {
            v.add("reason", "required");
        }
        v.into_result()?;
        let who = actor(caller);
        self.step(caller, &r.complaint_id, |file, _events, side| {
            let report = Self::current_draft(file, r.revision)?;
            report.state = pb::ReportState::Returned as i32;
            report.reviewed_by = Some(who.clone());
            report.reviewed_at = now_micros();
            report.return_reason = reason as i32;
            let detail = format!(
                "revision={} reason={}",
                r.revision,
                reason
                    .as_str_name()
                    .trim_start_matches("RETURN_REASON_")
                    .to_ascii_lowercase()
            );
            side.push(self.local_row(file, "handling_report_returned", detail, &who));
            Ok(())
        })
        .await
    }

    /// S16: records one delivery; the complainant's and the Head's close the complaint.
    pub async fn distribute(
        &self,
        caller: &Caller,
        r: pb::DistributeHandlingReportRequest,
    ) -> Result<pb::HandlingReport> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        let kind = pb::RecipientKind::try_from(r.recipient_kind).unwrap_or_default();
        if kind == pb::RecipientKind::Unspecified {
            v.add("recipient_kind", "required");
        }
        if kind == pb::RecipientKind::Agency {
            if r.agency_code.is_empty() {
                v.add("agency_code", "required for an agency");
            }
        } else if !r.agency_code.is_empty() {
            v.add("agency_code", "only for an agency");
        }
        let channel = Channel::try_from(r.channel).unwrap_or(Channel::Unspecified);
        if channel == Channel::Unspecified {
            v.add("channel", "required");
        }
        let now = now_micros();
        let delivered_at = match &r.delivered_at {
            None => now,
            Some(t) => match from_proto(t) {
                None => {
                    v.add("delivered_at", "not a valid time");
                    now
                }
                Some(x) if to_micros(x) > now + CLOCK_SKEW_MICROS => {
                    v.add("delivered_at", "in the future");
                    now
                }
                Some(x) => to_micros(x),
            },
        };
        v.into_result()?;
        let who = actor(caller);
        self.step(caller, &r.complaint_id, |file, events, side| {
            let report = file.body.report.as_mut().ok_or_else(|| {
                Error::FailedPrecondition("no handling report has been drafted".into())
            })?;
            if report.state < pb::ReportState::Approved as i32 {
                return Err(Error::FailedPrecondition(
                    "the report is not approved yet (S15 before S16)".into(),
                ));
            }
            if kind == pb::RecipientKind::Agency && !report.agencies.contains(&r.agency_code) {
                return Err(Error::invalid(
                    "agency_code",
                    "not among the report's agencies",
                ));
            }
            if report
                .distributions
                .iter()
                .any(|d| d.recipient_kind == kind as i32 && d.agency_code == r.agency_code)
            {
                return Err(Error::AlreadyExists(
                    "the report was delivered to this party already".into(),
                ));
            }
            if delivered_at < report.reviewed_at {
                return Err(Error::invalid(
                    "delivered_at",
                    "before the report was approved",
                ));
            }
            report.distributions.push(DistributionRec {
                recipient_kind: kind as i32,
                agency_code: r.agency_code.clone(),
                channel: channel as i32,
                delivered_at,
                recorded_by: who.clone(),
            });
            let has = |k: pb::RecipientKind| {
                report
                    .distributions
                    .iter()
                    .any(|d| d.recipient_kind == k as i32)
            };
            let complete = report.state == pb::ReportState::Approved as i32
                && has(pb::RecipientKind::Complainant)
                && has(pb::RecipientKind::Head);
            if complete {
                report.state = pb::ReportState::Distributed as i32;
            }
            let report_id = report.id.clone();
            let recipient_kind = kind
                .as_str_name()
                .trim_start_matches("RECIPIENT_KIND_")
                .to_ascii_lowercase();
            let status = file.status;
            self.emit(
                file,
                (
                    Step::S16ReportDistributed,
                    status,
                    Detail::HandlingReportDistributed(events::HandlingReportDistributed {
                        report_id,
                        recipient_kind,
                    }),
                ),
                &who,
                events,
                side,
            );
            if complete {
                file.body.reached.insert("S16".into(), delivered_at);
                if file.status != ComplaintStatus::Closed as i32 {
                    self.emit(
                        file,
                        (
                            Step::S16ReportDistributed,
                            ComplaintStatus::Closed as i32,
                            Detail::Closed(events::ComplaintClosed {
                                reason_code: "completed".into(),
                            }),
                        ),
                        &who,
                        events,
                        side,
                    );
                }
            }
            Ok(())
        })
        .await
    }

    /// The agencies a report of `office` can go to.
    pub fn recipients(
        &self,
        caller: &Caller,
        r: pb::ListRecipientsRequest,
    ) -> Result<pb::ListRecipientsResponse> {
        let office = if r.office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            r.office_code
        };
        caller.require_office(&office)?;
        if self.refdata.office(&office).is_none() {
            return Err(Error::invalid(
                "office_code",
                "not an office of the province",
            ));
        }
        Ok(pb::ListRecipientsResponse {
            agencies: self
                .directory
                .agencies()
                .iter()
                .map(|a| pb::Agency {
                    code: a.code.clone(),
                    name: self.agency_name(&office, &a.code),
                })
                .collect(),
        })
    }
}

/// The report's number: "LHP/" and the registration number.
pub fn report_number(file: &ReportFile) -> String {
    if file.body.registration_number.is_empty() {
        format!("LHP/{}/{}", file.office_code, &file.complaint_id)
    } else {
        format!("LHP/{}", file.body.registration_number)
    }
}

#[tonic::async_trait]
impl EventReceiver for Reporting {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, current: Option<ReportFile>| self.on_event(e, current);
        self.store.apply(source, &events, &f).await
    }
}

/// The gRPC face of reporting; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct ReportingApi {
    core: Ready<Reporting>,
}

impl Default for ReportingApi {
    fn default() -> Self {
        Self {
            core: Ready::new("reporting"),
        }
    }
}

impl ReportingApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Reporting>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Reporting>> {
        self.core.get()
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::reporting_service_server::ReportingServiceServer<Self> {
        pb::reporting_service_server::ReportingServiceServer::new(self)
            .max_encoding_message_size(64 << 20)
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::reporting_service_server::ReportingService for ReportingApi {
    async fn get_timeline(&self, request: Request<pb::GetTimelineRequest>) -> Reply<pb::Timeline> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            core.timeline(&caller, &r.complaint_id).await?,
        ))
    }

    async fn list_handling_reports(
        &self,
        request: Request<pb::ListHandlingReportsRequest>,
    ) -> Reply<pb::ListHandlingReportsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.list_reports(&caller, request.into_inner()).await?,
        ))
    }

    async fn get_handling_report(
        &self,
        request: Request<pb::GetHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            core.get_report(&caller, &r.complaint_id).await?,
        ))
    }

    async fn draft_handling_report(
        &self,
        request: Request<pb::DraftHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.draft(&caller, request.into_inner()).await?,
        ))
    }

    async fn approve_handling_report(
        &self,
        request: Request<pb::ApproveHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.approve(&caller, request.into_inner()).await?,
        ))
    }

    async fn return_handling_report(
        &self,
        request: Request<pb::ReturnHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.return_draft(&caller, request.into_inner()).await?,
        ))
    }

    async fn distribute_handling_report(
        &self,
        request: Request<pb::DistributeHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.distribute(&caller, request.into_inner()).await?,
        ))
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Reply<pb::Statistics> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.statistics(&caller, &request.into_inner()).await?,
        ))
    }

    async fn export_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Reply<pb::ExportStatisticsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let stats = core.statistics(&caller, &request.into_inner()).await?;
        Ok(Response::new(crate::stats::export(&stats)))
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Reply<pb::Document> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        Ok(Response::new(
            core.document(&caller, authorization, request.into_inner())
                .await?,
        ))
    }

    async fn list_recipients(
        &self,
        request: Request<pb::ListRecipientsRequest>,
    ) -> Reply<pb::ListRecipientsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.recipients(&caller, request.into_inner())?,
        ))
    }
}

/// True when `role` may read statistics of the whole province.
pub(crate) fn province_wide(caller: &Caller) -> bool {
    caller.acts_as(Role::ProvincialAnalyst)
}
