//! The feedback core (S13-S14), its gRPC API, its event receiver and its closing sweep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::feedback::v1 as pb;
use aduan_refdata::RefData;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::now_micros;
use aduan_runtime::time::{
    date_from_proto, date_to_proto, from_micros, from_proto, to_micros, to_proto,
};
use aduan_runtime::{Error, Result, Violations, validate};
use aduan_spine::casefile::{AccessEntry, CaseStore, Filter, SideRow, Value, Write};
use aduan_spine::relay::{ApplyOutcome, EventReceiver, Outbox};
use jiff::civil::Date;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::domain::{
    self, ActorRec, Calendars, DeliveryInput, Doc, FeedbackFile, FeedbackInput, GROUNDS, Sweep,
};
use crate::ikm;

const NOTE_MAX: usize = 2000;
const COMMENTS_MAX: usize = 4000;
const PURPOSE_MAX: usize = 200;
const CODE_MAX: usize = 64;
/// Access log page size: the default and the largest.
const LOG_PAGE_DEFAULT: i64 = 100;
const LOG_PAGE_MAX: i64 = 1000;
/// How often a page of the access log is read again when reads were logged meanwhile.
const LOG_PAGE_ATTEMPTS: usize = 3;
/// How far in the future a client's clock may run before a time is refused as "in the future".
const CLOCK_SKEW_MICROS: i64 = 120_000_000;
/// Due cases the sweeper reads per page (each is then closed in its own transaction).
const SWEEP_BATCH: i64 = 500;

/// The feedback core.
pub struct Feedback {
    store: CaseStore,
    refdata: Arc<RefData>,
    calendars: Arc<Calendars>,
    province: String,
    silence_days: u32,
    keys: Arc<aduan_runtime::crypto::Keyring>,
}

/// The key a survey row is kept under instead of its complaint's id: a keyed HMAC (the office's
/// blind-index key), so one survey per complaint holds without naming the complaint.
pub fn survey_key(
    keys: &aduan_runtime::crypto::Keyring,
    office: &str,
    complaint_id: &str,
) -> Result<String> {
    keys.blind_index(office, "survey", complaint_id)
}

fn actor(caller: &Caller) -> ActorRec {
    ActorRec::of(caller)
}

/// A time given by the caller (default now), not in the future; in microseconds.
fn check_time(
    v: &mut Violations,
    field: &str,
    t: &Option<prost_types::Timestamp>,
    now: i64,
) -> i64 {
    match t {
        None => now,
        Some(p) => match from_proto(p) {
            None => {
                v.add(field, "not a valid time");
                now
            }
            Some(x) if to_micros(x) > now + CLOCK_SKEW_MICROS => {
                v.add(field, "in the future");
                now
            }
            Some(x) => to_micros(x),
        },
    }
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

/// The kind of an error, for logs and metric labels: never its message, which can quote stored
/// values (a storage error) or personal content (a document that does not deserialise).
fn failure_kind(e: &Error) -> &'static str {
    match e {
        Error::Storage(_) if e.code() == tonic::Code::Unavailable => "unavailable",
        Error::Storage(_) => "storage",
        Error::Unavailable(_) => "unavailable",
        Error::Internal(_) => "internal",
        Error::NotFound(_) => "not_found",
        Error::FailedPrecondition(_) => "failed_precondition",
        Error::InvalidArgument(_) => "invalid_argument",
        _ => "other",
    }
}

/// The code of a ground of dissatisfaction.
pub fn ground_code(g: pb::Ground) -> Option<&'static str> {
    match g {
        pb::Ground::Unspecified => None,
        pb::Ground::NotAnswered => Some(GROUNDS[0]),
        pb::Ground::Incorrect => Some(GROUNDS[1]),
        pb::Ground::TooSlow => Some(GROUNDS[2]),
        pb::Ground::NotFollowedUp => Some(GROUNDS[3]),
        pb::Ground::Other => Some(GROUNDS[4]),
    }
}

fn ground_of(code: &str) -> i32 {
    let g = match code {
        "not_answered" => pb::Ground::NotAnswered,
        "incorrect" => pb::Ground::Incorrect,
        "too_slow" => pb::Ground::TooSlow,
        "not_followed_up" => pb::Ground::NotFollowedUp,
        "other" => pb::Ground::Other,
        _ => pb::Ground::Unspecified,
    };
    g as i32
}

fn tsp(at: i64) -> Option<prost_types::Timestamp> {
    Some(to_proto(from_micros(at)))
}

/// The statuses of a queue.
fn queue_statuses(q: pb::Queue) -> Vec<i32> {
    let s = |x: ComplaintStatus| x as i32;
    match q {
        pb::Queue::Unspecified => vec![
            s(ComplaintStatus::ResponseReady),
            s(ComplaintStatus::ResponseDelivered),
            s(ComplaintStatus::InHandling),
            s(ComplaintStatus::Reporting),
        ],
        pb::Queue::AwaitingDelivery => vec![s(ComplaintStatus::ResponseReady)],
        pb::Queue::AwaitingFeedback => vec![s(ComplaintStatus::ResponseDelivered)],
        pb::Queue::Reopened => vec![s(ComplaintStatus::InHandling)],
        pb::Queue::Reporting => vec![s(ComplaintStatus::Reporting)],
        pb::Queue::Closed => vec![s(ComplaintStatus::Closed)],
    }
}

/// The period of an index request as first and last day.
fn period(
    v: &mut Violations,
    p: &Option<pb::get_satisfaction_index_request::Period>,
) -> Option<(Date, Date)> {
    use pb::get_satisfaction_index_request::Period;
    let year_ok = |v: &mut Violations, field: &str, y: i32| {
        if (2000..=2100).contains(&y) {
            i16::try_from(y).ok()
        } else {
            v.add(field, "a year between 2000 and 2100");
            None
        }
    };
    match p {
        None => {
            v.add("period", "required: range, month, quarter or year");
            None
        }
        Some(Period::Range(r)) => {
            let from = r.from.as_ref().and_then(date_from_proto);
            let to = r.to.as_ref().and_then(date_from_proto);
            if from.is_none() {
                v.add("range.from", "a valid date is required");
            }
            if to.is_none() {
                v.add("range.to", "a valid date is required");
            }
            let (from, to) = (from?, to?);
            if to < from {
                v.add("range.to", "before range.from");
                return None;
            }
            Some((from, to))
        }
        Some(Period::Month(m)) => {
            let y = year_ok(v, "month.year", m.year);
            if !(1..=12).contains(&m.month) {
                v.add("month.month", "between 1 and 12");
                return None;
            }
            let first = Date::new(y?, m.month as i8, 1).ok()?;
            Some((first, first.last_of_month()))
        }
        Some(Period::Quarter(q)) => {
            let y = year_ok(v, "quarter.year", q.year);
            if !(1..=4).contains(&q.quarter) {
                v.add("quarter.quarter", "between 1 and 4");
                return None;
            }
            let y = y?;
            let first = Date::new(y, (q.quarter as i8 - 1) * 3 + 1, 1).ok()?;
            let last = Date::new(y, q.quarter as i8 * 3, 1).ok()?.last_of_month();
            Some((first, last))
        }
        Some(Period::Year(y)) => {
            let y = year_ok(v, "year", *y)?;
            Some((Date::new(y, 1, 1).ok()?, Date::new(y, 12, 31).ok()?))
        }
    }
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Real(f) => *f as i64,
        Value::Text(t) => t.trim().parse().unwrap_or(0),
        Value::Null => 0,
    }
}

fn grade_pb(g: Option<ikm::Grade>) -> pb::Grade {
    match g {
        None => pb::Grade::Unspecified,
        Some(ikm::Grade::A) => pb::Grade::A,
        Some(ikm::Grade::B) => pb::Grade::B,
        Some(ikm::Grade::C) => pb::Grade::C,
        Some(ikm::Grade::D) => pb::Grade::D,
    }
}

impl Feedback {
    /// Assembles the core: `silence_days` working days without an answer close a case.
    pub fn new(
        store: CaseStore,
        refdata: Arc<RefData>,
        calendars: Arc<Calendars>,
        province: String,
        silence_days: u32,
        keys: Arc<aduan_runtime::crypto::Keyring>,
    ) -> Self {
        Self {
            store,
            refdata,
            calendars,
            province,
            silence_days,
            keys,
        }
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.store.outbox()
    }

    /// The case store.
    pub fn store(&self) -> &CaseStore {
        &self.store
    }

    /// The office calendars.
    pub fn calendars(&self) -> &Calendars {
        &self.calendars
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.store.close().await
    }

    /// Applies one received event: investigation's `response_approved` opens (or renews) the
    /// delivery task; reporting's `closed` (S16 done) closes the record; every other event is
    /// none of feedback's business.
    fn on_event(
        &self,
        source: &str,
        e: &LifecycleEvent,
        current: Option<FeedbackFile>,
    ) -> std::result::Result<Option<Write<Doc>>, String> {
        if let Some(Detail::Closed(c)) = &e.detail {
            if source != "reporting" {
                return Ok(None);
            }
            let at = e
                .occurred_at
                .as_ref()
                .and_then(from_proto)
                .map(to_micros)
                .ok_or("the event has no valid occurred_at")?;
            return Ok(domain::closed_elsewhere(current, &c.reason_code, at)
                .map(|f| Write::new(f, Vec::new())));
        }
        let Some(Detail::ResponseApproved(d)) = &e.detail else {
            return Ok(None);
        };
        if source != "investigation" {
            return Ok(None);
        }
        if e.complaint_id.is_empty() {
            return Err("an event without a complaint id".into());
        }
        let at = e
            .occurred_at
            .as_ref()
            .and_then(from_proto)
            .map(to_micros)
            .ok_or("the event has no valid occurred_at")?;
        Ok(domain::on_approved(current, e, d, at)?.map(|f| Write::new(f, Vec::new())))
    }

    /// Runs a step as `caller` on the locked case file of a complaint the caller may see.
    async fn step<F>(&self, caller: &Caller, id: &str, f: F) -> Result<FeedbackFile>
    where
        F: FnOnce(&mut FeedbackFile, i64) -> Result<(Vec<LifecycleEvent>, Vec<SideRow>)> + Send,
    {
        let caller = caller.clone();
        let written = self
            .store
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

    async fn load_visible(&self, caller: &Caller, id: &str) -> Result<FeedbackFile> {
        let f = self
            .store
            .get::<Doc>(id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_unit_or_not_found(&f.office_code, &f.unit, "complaint")?;
        Ok(f)
    }

    /// The record as GetCase shows it, personal content included: its readers gave a purpose and
    /// the read is in the access log.
    pub fn view(&self, f: &FeedbackFile) -> pb::FeedbackCase {
        let d = &f.body;
        pb::FeedbackCase {
            complaint_id: f.complaint_id.clone(),
            office_code: f.office_code.clone(),
            bidang_code: f.unit.clone(),
            status: f.status,
            response_version: d.version(),
            responses: d
                .responses
                .iter()
                .map(|r| pb::ResponseVersion {
                    version: r.version,
                    bidang_code: r.bidang_code.clone(),
                    qualified: r.qualified,
                    outcome_code: r.outcome_code.clone(),
                    approved_at: tsp(r.approved_at),
                })
                .collect(),
            deliveries: d
                .deliveries
                .iter()
                .map(|x| pb::Delivery {
                    version: x.version,
                    channel: x.channel,
                    delivered_at: tsp(x.delivered_at),
                    note: x.note.clone(),
                    recorded_by: Some(x.recorded_by.to_pb()),
                    recorded_at: tsp(x.recorded_at),
                })
                .collect(),
            feedback: d
                .feedback
                .iter()
                .map(|x| pb::Feedback {
                    version: x.version,
                    satisfied: x.satisfied,
                    grounds: x.grounds.iter().map(|g| ground_of(g)).collect(),
                    comments: x.comments.clone(),
                    reopen_requested: x.reopen_requested,
                    reopened: x.reopened,
                    given_at: tsp(x.given_at),
                    recorded_by: Some(x.recorded_by.to_pb()),
                    recorded_at: tsp(x.recorded_at),
                })
                .collect(),
            silence_due_at: f.next_at.and_then(tsp),
            reopen_count: d.reopen_count,
            survey_id: d.survey_id.clone(),
            closed_reason_code: d.closed_reason.clone(),
            closed_at: d.closed_at.and_then(tsp),
            history: d
                .history
                .iter()
                .map(|h| pb::HistoryEntry {
                    at: tsp(h.at),
                    actor: Some(h.actor.to_pb()),
                    action: h.action.clone(),
                    status: h.status,
                    detail: h.detail.clone(),
                })
                .collect(),
            registration_number: d.registration_number.clone(),
            category_code: d.category_code.clone(),
        }
    }

    /// The record as the write calls (RecordDelivery, RecordFeedback) answer it: [`Self::view`]
    /// without free text (every delivery note and complainant comment empty), since those calls
    /// write no access log entry. Personal content is read through GetCase only.
    pub fn coded_view(&self, f: &FeedbackFile) -> pb::FeedbackCase {
        let mut c = self.view(f);
        for d in &mut c.deliveries {
            d.note.clear();
        }
        for x in &mut c.feedback {
            x.comments.clear();
        }
        c
    }

    /// A queue line: codes, dates and counts only.
    pub fn entry(&self, f: &FeedbackFile) -> pb::QueueEntry {
        let d = &f.body;
        let current = d.current().cloned().unwrap_or_default();
        let delivery = d.current_delivery();
        pb::QueueEntry {
            complaint_id: f.complaint_id.clone(),
            office_code: f.office_code.clone(),
            bidang_code: f.unit.clone(),
            status: f.status,
            response_version: current.version,
            outcome_code: current.outcome_code.clone(),
            qualified: current.qualified,
            approved_at: tsp(current.approved_at),
            delivered_at: delivery.and_then(|x| tsp(x.delivered_at)),
            delivery_channel: delivery.map(|x| x.channel).unwrap_or(0),
            silence_due_at: f.next_at.and_then(tsp),
            reopen_count: d.reopen_count,
            survey_submitted: !d.survey_id.is_empty(),
            updated_at: tsp(f.updated_at),
            registration_number: d.registration_number.clone(),
            category_code: d.category_code.clone(),
        }
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
        let mut after: Option<(i64, String)> = None;
        loop {
            let due = self.due_page(now, after.as_ref(), batch).await?;
            let Some(last) = due.last() else {
                return Ok(closed);
            };
            after = Some(last.clone());
            let full = due.len() as i64 >= batch;
            for (_, id) in &due {
                match self.sweep_one(id, now).await {
                    Ok(true) => closed += 1,
                    Ok(false) => {}
                    Err(e) => {
                        let kind = failure_kind(&e);
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

    /// One page of the due cases, ordered by (timer, complaint id), after `after`.
    async fn due_page(
        &self,
        now: i64,
        after: Option<&(i64, String)>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let rows = match after {
            None => {
                self.store
                    .query(
                        "SELECT next_at, complaint_id FROM cases WHERE next_at <= $1 \
                         ORDER BY next_at, complaint_id LIMIT $2",
                        &[Value::Int(now), Value::Int(limit)],
                    )
                    .await?
            }
            Some((at, id)) => {
                self.store
                    .query(
                        "SELECT next_at, complaint_id FROM cases WHERE next_at <= $1 \
                         AND (next_at > $2 OR (next_at = $2 AND complaint_id > $3)) \
                         ORDER BY next_at, complaint_id LIMIT $4",
                        &[
                            Value::Int(now),
                            Value::Int(*at),
                            Value::Text(id.clone()),
                            Value::Int(limit),
                        ],
                    )
                    .await?
            }
        };
        rows.into_iter()
            .map(|row| match row.as_slice() {
                [Value::Int(at), Value::Text(id)] => Ok((*at, id.clone())),
                _ => Err(Error::Internal(
                    "the due cases query answered unexpected columns".into(),
                )),
            })
            .collect()
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
            .mutate::<Doc, _>(id, move |current| {
                let Some(mut f) = current else {
                    return Ok(None);
                };
                match domain::sweep_decision(&f, now) {
                    Sweep::Nothing => Ok(None),
                    Sweep::ClearTimer => {
                        f.next_at = None;
                        Ok(Some(Write::new(f, Vec::new())))
                    }
                    Sweep::Close => {
                        let ev = domain::close_by_silence(&mut f, now);
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
        let mut leader = leaders(self.store.database(), "aduan-feedback-sweeper");
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
                    Err(e) => tracing::warn!(kind = failure_kind(&e), "feedback sweep failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stop.changed() => {}
            }
        }
        leader.release().await;
    }

    /// ListCases.
    pub async fn list_cases(
        &self,
        caller: &Caller,
        r: pb::ListCasesRequest,
    ) -> Result<pb::ListCasesResponse> {
        let mut v = Violations::new();
        if r.office_code.is_empty() {
            v.add("office_code", "required");
        } else if self.refdata.office(&r.office_code).is_none() {
            v.add("office_code", "unknown office");
        }
        let queue = pb::Queue::try_from(r.queue).unwrap_or_else(|_| {
            v.add("queue", "not a queue");
            pb::Queue::Unspecified
        });
        if !r.bidang_code.is_empty() && self.refdata.bidang(&r.bidang_code).is_none() {
            v.add("bidang_code", "unknown Bidang");
        }
        let (offset, size) = page(&mut v, r.page_size, &r.page_token);
        v.into_result()?;
        caller.require_office(&r.office_code)?;
        let mut unit = r.bidang_code.clone();
        if caller.bidang_scoped() {
            let own = caller
                .principal
                .bidang
                .clone()
                .ok_or_else(|| Error::PermissionDenied("the token names no Bidang".into()))?;
            if !unit.is_empty() && unit != own {
                return Err(Error::PermissionDenied(
                    "the caller may list only its own Bidang's cases".into(),
                ));
            }
            unit = own;
        }
        let filter = Filter {
            office_code: r.office_code.clone(),
            unit,
            statuses: queue_statuses(queue),
            assignee: String::new(),
        };
        let (files, total) = self.store.list::<Doc>(&filter, offset, size).await?;
        let entries: Vec<pb::QueueEntry> = files.iter().map(|f| self.entry(f)).collect();
        let next = offset + entries.len() as i64;
        Ok(pb::ListCasesResponse {
            next_page_token: if next < total && !entries.is_empty() {
                next.to_string()
            } else {
                String::new()
            },
            entries,
        })
    }

    /// GetCase: the whole record; the read and its purpose go to the access log.
    pub async fn get_case(
        &self,
        caller: &Caller,
        r: pb::GetCaseRequest,
    ) -> Result<pb::FeedbackCase> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "purpose", &r.purpose, true, PURPOSE_MAX);
        v.into_result()?;
        let f = self.load_visible(caller, &r.complaint_id).await?;
        self.store
            .log_access(&AccessEntry {
                complaint_id: f.complaint_id.clone(),
                office_code: f.office_code.clone(),
                at: now_micros(),
                subject: caller.principal.subject.clone(),
                role: caller.acting_role().as_str().to_string(),
                what: "GetCase".into(),
                purpose: r.purpose.trim().to_string(),
            })
            .await?;
        Ok(self.view(&f))
    }

    /// RecordDelivery (S13).
    pub async fn record_delivery(
        &self,
        caller: &Caller,
        r: pb::RecordDeliveryRequest,
    ) -> Result<pb::FeedbackCase> {
        let now = now_micros();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.version < 0 {
            v.add("version", "0 (the current one) or a version number");
        }
        if !matches!(Channel::try_from(r.channel), Ok(c) if c != Channel::Unspecified) {
            v.add(
                "channel",
                "required: walk-in, letter, phone, fax, e-mail or partner API",
            );
        }
        let delivered_at = check_time(&mut v, "delivered_at", &r.delivered_at, now);
        validate::text(&mut v, "note", &r.note, false, NOTE_MAX);
        v.into_result()?;
        let who = actor(caller);
        let days = self.silence_days;
        let calendars = self.calendars.clone();
        let f = self
            .step(caller, &r.complaint_id, move |f, now| {
                let due = calendars.silence_due_micros(&f.office_code, delivered_at, days)?;
                let ev = domain::deliver(
                    f,
                    &who,
                    now,
                    DeliveryInput {
                        version: r.version,
                        channel: r.channel,
                        delivered_at,
                        note: r.note.trim().to_string(),
                        silence_due: due,
                    },
                )?;
                Ok((vec![ev], Vec::new()))
            })
            .await?;
        metrics::counter!(
            "aduan_feedback_deliveries_total",
            "office" => f.office_code.clone(),
            "channel" => domain::channel_code(f.body.current_delivery().map(|d| d.channel).unwrap_or(0))
        )
        .increment(1);
        Ok(self.coded_view(&f))
    }

    /// RecordFeedback (S14).
    pub async fn record_feedback(
        &self,
        caller: &Caller,
        r: pb::RecordFeedbackRequest,
    ) -> Result<pb::FeedbackCase> {
        let now = now_micros();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.version < 0 {
            v.add("version", "0 (the current one) or a version number");
        }
        let mut grounds: Vec<String> = Vec::new();
        // Issue 13: each ground at most once, so no more elements than grounds; the elements of
        // a longer list are not looked at.
        if validate::list_len(
            &mut v,
            "grounds",
            r.grounds.len(),
            0,
            validate::enum_values::<pb::Ground>(),
        ) {
            for (i, g) in r.grounds.iter().enumerate() {
                match pb::Ground::try_from(*g).ok().and_then(ground_code) {
                    None => v.add(format!("grounds[{i}]"), "not a ground"),
                    Some(code) if grounds.iter().any(|x| x == code) => {
                        v.add(format!("grounds[{i}]"), "given twice")
                    }
                    Some(code) => grounds.push(code.to_string()),
                }
            }
        }
        // `reopen_requested` is deprecated and ignored: a dissatisfied answer (which needs
        // grounds) always reopens the case, a satisfied one never does.
        if r.satisfied {
            if !r.grounds.is_empty() {
                v.add("grounds", "only when the complainant is not satisfied");
            }
        } else if r.grounds.is_empty() {
            v.add(
                "grounds",
                "at least one ground when the complainant is not satisfied",
            );
        }
        let other = grounds.iter().any(|g| g == "other");
        validate::text(&mut v, "comments", &r.comments, other, COMMENTS_MAX);
        let given_at = check_time(&mut v, "given_at", &r.given_at, now);
        v.into_result()?;
        let who = actor(caller);
        let f = self
            .step(caller, &r.complaint_id, move |f, now| {
                let ev = domain::record_feedback(
                    f,
                    &who,
                    now,
                    FeedbackInput {
                        version: r.version,
                        satisfied: r.satisfied,
                        grounds,
                        comments: r.comments.trim().to_string(),
                        given_at,
                    },
                )?;
                Ok((vec![ev], Vec::new()))
            })
            .await?;
        let outcome = match f.body.feedback.last() {
            Some(x) if x.satisfied => "satisfied",
            _ => "reopened",
        };
        metrics::counter!(
            "aduan_feedback_recorded_total",
            "office" => f.office_code.clone(),
            "outcome" => outcome
        )
        .increment(1);
        Ok(self.coded_view(&f))
    }

    /// SubmitSurvey (S14, SKM).
    pub async fn submit_survey(
        &self,
        caller: &Caller,
        r: pb::SubmitSurveyRequest,
    ) -> Result<pb::Survey> {
        let now = now_micros();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.service_code.is_empty() {
            v.add("service_code", "required, for example \"pengaduan\"");
        } else if !validate::is_code(&r.service_code, CODE_MAX) {
            v.add(
                "service_code",
                "lower-case letters, digits and underscores, starting with a letter, at most 64",
            );
        }
        for (field, what) in ikm::check_scores(&r.scores) {
            v.add(field, what);
        }
        let submitted_at = check_time(&mut v, "submitted_at", &r.submitted_at, now);
        v.into_result()?;
        let who = actor(caller);
        let survey_id = uuid::Uuid::now_v7().to_string();
        let calendars = self.calendars.clone();
        let keys = self.keys.clone();
        let (id, service, scores) = (survey_id.clone(), r.service_code.clone(), r.scores.clone());
        let f = self
            .step(caller, &r.complaint_id, move |f, now| {
                let ev = domain::submit_survey(f, &who, now, &id, &service, &scores, submitted_at)?;
                let day = calendars.local_date(&f.office_code, from_micros(submitted_at));
                let mut values = vec![
                    ("survey_id", Value::Text(id.clone())),
                    ("office_code", Value::Text(f.office_code.clone())),
                    ("service_code", Value::Text(service.clone())),
                    (
                        "complaint_key",
                        Value::Text(survey_key(&keys, &f.office_code, &f.complaint_id)?),
                    ),
                    ("submitted_at", Value::Int(submitted_at)),
                    ("submitted_on", Value::Text(day.to_string())),
                ];
                const COLS: [&str; 9] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];
                for (c, s) in COLS.iter().zip(&scores) {
                    values.push((c, Value::Int(i64::from(*s))));
                }
                let row = SideRow {
                    table: "surveys",
                    values,
                    key: &[],
                };
                Ok((vec![ev], vec![row]))
            })
            .await?;
        metrics::counter!("aduan_feedback_surveys_total", "office" => f.office_code.clone())
            .increment(1);
        Ok(pb::Survey {
            survey_id,
            complaint_id: f.complaint_id.clone(),
            office_code: f.office_code.clone(),
            service_code: r.service_code,
            scores: r.scores,
            submitted_at: tsp(submitted_at),
        })
    }

    /// GetSatisfactionIndex: SQL aggregates over the surveys of the office (or of every office of
    /// the province), then the IKM of [`ikm::compute`].
    pub async fn satisfaction_index(
        &self,
        caller: &Caller,
        r: pb::GetSatisfactionIndexRequest,
    ) -> Result<pb::SatisfactionIndex> {
        let mut v = Violations::new();
        let province = !r.office_code.is_empty() && r.office_code == self.province;
        if r.office_code.is_empty() {
            v.add("office_code", "required");
        } else if !province && self.refdata.office(&r.office_code).is_none() {
            v.add("office_code", "neither an office nor the province");
        }
        let days = period(&mut v, &r.period);
        if !r.service_code.is_empty() && !validate::is_code(&r.service_code, CODE_MAX) {
            v.add("service_code", "not a service code");
        }
        let method = match pb::IndexMethod::try_from(r.method) {
            Ok(pb::IndexMethod::Unspecified | pb::IndexMethod::Mean) => ikm::Method::Mean,
            Ok(pb::IndexMethod::Weighted011) => ikm::Method::Weighted011,
            Err(_) => {
                v.add("method", "not a method");
                ikm::Method::Mean
            }
        };
        v.into_result()?;
        let (from, to) = days.ok_or_else(|| Error::invalid("period", "required"))?;
        caller.require_office(&r.office_code)?;
        if province && !caller.acts_as(Role::ProvincialAnalyst) {
            return Err(Error::PermissionDenied(
                "the province as a whole is for provincial analysts".into(),
            ));
        }
        let mut sql = String::from("SELECT office_code, CAST(COUNT(*) AS TEXT) AS n");
        for i in 1..=9 {
            sql.push_str(&format!(", CAST(SUM(u{i}) AS TEXT) AS s{i}"));
        }
        sql.push_str(" FROM surveys WHERE ");
        sql.push_str(if province {
            "office_code LIKE $1"
        } else {
            "office_code = $1"
        });
        sql.push_str(" AND submitted_on >= $2 AND submitted_on <= $3");
        let mut binds = vec![
            Value::Text(if province {
                format!("{}.%", r.office_code)
            } else {
                r.office_code.clone()
            }),
            Value::Text(from.to_string()),
            Value::Text(to.to_string()),
        ];
        if !r.service_code.is_empty() {
            sql.push_str(" AND service_code = $4");
            binds.push(Value::Text(r.service_code.clone()));
        }
        sql.push_str(" GROUP BY office_code ORDER BY office_code");
        let rows = self.store.query(&sql, &binds).await?;
        let mut all = ikm::Totals::default();
        let mut offices = Vec::new();
        for row in &rows {
            if row.len() < 11 {
                return Err(Error::Internal(
                    "the survey aggregate has too few columns".into(),
                ));
            }
            let office = match &row[0] {
                Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            let mut t = ikm::Totals {
                respondents: int_of(&row[1]),
                sums: [0; 9],
            };
            for (i, s) in t.sums.iter_mut().enumerate() {
                *s = int_of(&row[i + 2]);
            }
            all.add(&t);
            if province {
                let idx = ikm::compute(&t, method);
                offices.push(pb::OfficeIndex {
                    office_code: office,
                    respondents: idx.respondents,
                    ikm: idx.ikm(),
                    grade: grade_pb(idx.grade) as i32,
                    suppressed: false,
                });
            }
        }
        // Issue 12: a provincial output (the province, or an office asked for by a provincial
        // analyst) hides every index of fewer than 5 respondents.
        let provincial = province
            || caller.acts_as(Role::ProvincialAnalyst)
            || caller.principal.office != r.office_code;
        if provincial {
            suppress_small_offices(&mut offices);
        }
        let idx = ikm::compute(&all, method);
        if provincial && aduan_runtime::disclosure::is_small(idx.respondents) {
            return Ok(pb::SatisfactionIndex {
                office_code: r.office_code,
                from: Some(date_to_proto(from)),
                to: Some(date_to_proto(to)),
                service_code: r.service_code,
                method: match method {
                    ikm::Method::Mean => pb::IndexMethod::Mean as i32,
                    ikm::Method::Weighted011 => pb::IndexMethod::Weighted011 as i32,
                },
                offices,
                suppressed: true,
                ..Default::default()
            });
        }
        Ok(pb::SatisfactionIndex {
            office_code: r.office_code,
            from: Some(date_to_proto(from)),
            to: Some(date_to_proto(to)),
            service_code: r.service_code,
            respondents: idx.respondents,
            elements: idx
                .elements
                .iter()
                .map(|e| pb::ElementScore {
                    code: e.code.into(),
                    name: e.name.into(),
                    average: e.average,
                    weighted: e.weighted,
                })
                .collect(),
            index_value: idx.index_value,
            ikm: idx.ikm(),
            grade: grade_pb(idx.grade) as i32,
            grade_label: idx.grade.map(|g| g.label().to_string()).unwrap_or_default(),
            method: match method {
                ikm::Method::Mean => pb::IndexMethod::Mean as i32,
                ikm::Method::Weighted011 => pb::IndexMethod::Weighted011 as i32,
            },
            offices,
            suppressed: false,
        })
    }

    /// ListAccessLog: who read a case's record, oldest first, a page at a time. The page token
    /// is the number of entries before the page (entries are only ever added, at the end).
    pub async fn access_log(
        &self,
        caller: &Caller,
        r: pb::ListAccessLogRequest,
    ) -> Result<pb::ListAccessLogResponse> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        let size = match r.page_size {
            0 => LOG_PAGE_DEFAULT,
            n if (1..=LOG_PAGE_MAX).contains(&i64::from(n)) => i64::from(n),
            _ => {
                v.add("page_size", format!("between 1 and {LOG_PAGE_MAX}"));
                0
            }
        };
        let offset = if r.page_token.is_empty() {
            0
        } else {
            match r.page_token.parse::<i64>() {
                Ok(n) if n >= 0 => n,
                _ => {
                    v.add("page_token", "not a token from a previous response");
                    0
                }
            }
        };
        v.into_result()?;
        let f = self.load_visible(caller, &r.complaint_id).await?;
        // The store reads newest first: the page `offset..offset + size` of the oldest-first log
        // is found from the number of entries, counted again after the read, since a read logged
        // in between would shift it.
        for _ in 0..LOG_PAGE_ATTEMPTS {
            let total = self.log_count(&f).await?;
            let take = size.min(total - offset).max(0);
            let mut rows = if take > 0 {
                self.store
                    .access_log(&f.office_code, &f.complaint_id, total - offset - take, take)
                    .await?
            } else {
                Vec::new()
            };
            if self.log_count(&f).await? != total {
                continue;
            }
            rows.reverse();
            let next = offset + take;
            // Reading who looked at the file is itself logged (issue 12), after the page is cut.
            self.store
                .log_access(&AccessEntry {
                    complaint_id: f.complaint_id.clone(),
                    office_code: f.office_code.clone(),
                    at: now_micros(),
                    subject: caller.principal.subject.clone(),
                    role: caller.acting_role().as_str().to_string(),
                    what: "ListAccessLog".into(),
                    purpose: String::new(),
                })
                .await?;
            return Ok(pb::ListAccessLogResponse {
                next_page_token: if next < total {
                    next.to_string()
                } else {
                    String::new()
                },
                entries: rows
                    .into_iter()
                    .map(|e| pb::AccessLogEntry {
                        accessed_at: tsp(e.at),
                        actor: Some(aduan_proto::common::v1::Actor {
                            subject: e.subject,
                            role: e.role,
                            office_code: e.office_code,
                        }),
                        action: e.what,
                        purpose: e.purpose,
                    })
                    .collect(),
            });
        }
        Err(Error::Unavailable(
            "the access log kept changing while it was read; try again".into(),
        ))
    }

    /// How many reads of a case the access log holds.
    async fn log_count(&self, f: &FeedbackFile) -> Result<i64> {
        let rows = self
            .store
            .query(
                "SELECT COUNT(*) FROM access_log WHERE office_code = $1 AND complaint_id = $2",
                &[
                    Value::Text(f.office_code.clone()),
                    Value::Text(f.complaint_id.clone()),
                ],
            )
            .await?;
        match rows.first().map(Vec::as_slice) {
            Some([Value::Int(n)]) => Ok(*n),
            _ => Err(Error::Internal(
                "the access log count answered unexpected columns".into(),
            )),
        }
    }
}

#[tonic::async_trait]
impl EventReceiver for Feedback {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f =
            |e: &LifecycleEvent, current: Option<FeedbackFile>| self.on_event(source, e, current);
        self.store.apply(source, &events, &f).await
    }
}

/// The gRPC face of feedback; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct FeedbackApi {
    core: Ready<Feedback>,
}

impl Default for FeedbackApi {
    fn default() -> Self {
        Self {
            core: Ready::new("feedback"),
        }
    }
}

impl FeedbackApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Feedback>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Feedback>> {
        self.core.get()
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::feedback_service_server::FeedbackServiceServer<Self> {
        pb::feedback_service_server::FeedbackServiceServer::new(self)
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::feedback_service_server::FeedbackService for FeedbackApi {
    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Reply<pb::ListCasesResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.list_cases(&caller, request.into_inner()).await?,
        ))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Reply<pb::FeedbackCase> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.get_case(&caller, request.into_inner()).await?,
        ))
    }

    async fn record_delivery(
        &self,
        request: Request<pb::RecordDeliveryRequest>,
    ) -> Reply<pb::FeedbackCase> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.record_delivery(&caller, request.into_inner()).await?,
        ))
    }

    async fn record_feedback(
        &self,
        request: Request<pb::RecordFeedbackRequest>,
    ) -> Reply<pb::FeedbackCase> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.record_feedback(&caller, request.into_inner()).await?,
        ))
    }

    async fn submit_survey(&self, request: Request<pb::SubmitSurveyRequest>) -> Reply<pb::Survey> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.submit_survey(&caller, request.into_inner()).await?,
        ))
    }

    async fn get_satisfaction_index(
        &self,
        request: Request<pb::GetSatisfactionIndexRequest>,
    ) -> Reply<pb::SatisfactionIndex> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.satisfaction_index(&caller, request.into_inner())
                .await?,
        ))
    }

    async fn list_access_log(
        &self,
        request: Request<pb::ListAccessLogRequest>,
    ) -> Reply<pb::ListAccessLogResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            core.access_log(&caller, request.into_inner()).await?,
        ))
    }
}

/// The offices of a provincial index with 1 to 4 respondents are hidden; when only one is, the
/// next smallest goes too, so that the province's total cannot give it away.
fn suppress_small_offices(offices: &mut [pb::OfficeIndex]) {
    let hide = |o: &mut pb::OfficeIndex| {
        o.respondents = 0;
        o.ikm = 0.0;
        o.grade = pb::Grade::Unspecified as i32;
        o.suppressed = true;
    };
    let mut hidden = 0;
    for o in offices.iter_mut() {
        if aduan_runtime::disclosure::is_small(o.respondents) {
            hide(o);
            hidden += 1;
        }
    }
    if hidden == 1
        && let Some(o) = offices
            .iter_mut()
            .filter(|o| !o.suppressed && o.respondents > 0)
            .min_by_key(|o| o.respondents)
    {
        hide(o);
    }
}
