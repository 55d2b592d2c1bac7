//! The triage core (S4-S7), its gRPC API, its event receiver and its SLA sweeper.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aduan_proto::common::v1::{Actor, Channel, ComplaintStatus, Requirement, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::intake::v1 as intake_pb;
use aduan_proto::triage::v1 as pb;
use aduan_refdata::RefData;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::now_micros;
use aduan_runtime::time::{date_from_proto, date_to_proto, from_micros, to_micros, to_proto};
use aduan_runtime::{Error, Result, Violations, validate};
use aduan_spine::relay::{ApplyOutcome, EventReceiver, Outbox};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::domain::{self, ClockState, Clocks, is_open, out_of_order};
use crate::store::{ActorRec, CaseRow, Change, DispositionRow, HistoryRow, TriageStore};

const REASON_MAX: usize = 500;
const SUMMARY_MAX: usize = 2000;
const NOTE_MAX: usize = 1000;
const AGENCY_MAX: usize = 200;

/// The triage core.
pub struct Triage {
    store: Arc<dyn TriageStore>,
    outbox: Arc<Outbox>,
    refdata: Arc<RefData>,
    clocks: Arc<Clocks>,
    intake_endpoint: String,
    intake:
        OnceLock<intake_pb::intake_service_client::IntakeServiceClient<tonic::transport::Channel>>,
    /// The database and keys of the access log's chain (`aduan_runtime::audit`).
    db: aduan_runtime::db::Database,
    keys: Arc<aduan_runtime::crypto::Keyring>,
}

fn actor(caller: &Caller) -> ActorRec {
    ActorRec::of(caller)
}

fn system() -> ActorRec {
    ActorRec::system()
}

fn actor_pb(a: &ActorRec) -> Actor {
    a.to_pb()
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn join<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(",")
}

fn clock_of(case: &CaseRow) -> ClockState {
    ClockState {
        policy: case.sla_policy.clone(),
        stage: case.sla_stage.clone(),
        started_at: case.sla_started_at,
        pauses: ClockState::parse_pauses(&case.sla_pauses),
        stopped_at: case.sla_stopped_at,
    }
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
    async fn log_read(
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
            format!("triage/{}/access", case.complaint_id).as_bytes(),
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

    fn refresh_clock(&self, case: &mut CaseRow, clock: &ClockState) -> Result<()> {
        if clock.stage != case.sla_stage || clock.started_at != case.sla_started_at {
            // A new stage, or a new clock after a reopening: its own warning and breach.
            case.sla_warned = false;
            case.sla_breached = false;
        }
        case.sla_policy = clock.policy.clone();
        case.sla_stage = clock.stage.clone();
        case.sla_started_at = clock.started_at;
        case.sla_pauses = clock.pauses_json();
        case.sla_stopped_at = clock.stopped_at;
        case.sla_next_alert_at = self.clocks.next_alert_at(
            &case.office_code,
            clock,
            case.sla_warned,
            case.sla_breached,
        )?;
        Ok(())
    }

    fn apply_urgency(&self, case: &mut CaseRow) {
        let markers = split(&case.content_markers);
        let mut reasons = domain::urgency_rules(
            &self.refdata,
            &case.category_code,
            case.involves_child,
            &markers,
        );
        let by_rule = !reasons.is_empty();
        if case.urgency_override.is_some() {
            reasons.push("officer".into());
        }
        case.urgent = case.urgency_override.unwrap_or(by_rule);
        case.urgency_reasons = join(&reasons);
    }

    fn event(
        &self,
        case: &mut CaseRow,
        step: Step,
        who: &ActorRec,
        at: i64,
        detail: Detail,
    ) -> LifecycleEvent {
        case.event_seq += 1;
        LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: case.complaint_id.clone(),
            office_code: case.office_code.clone(),
            step: step as i32,
            occurred_at: Some(to_proto(from_micros(at))),
            source_service: "triage".into(),
            actor: Some(actor_pb(who)),
            trace: Some(aduan_runtime::telemetry::current_event_trace()),
            sequence: i64::from(case.event_seq),
            status: case.status,
            detail: Some(detail),
        }
    }

    /// Applies one event from intake (the relay's delivery): a registration opens the complaint
    /// in its office's queue; an amendment updates the facts and, after a request for
    /// information, returns it to the queue and resumes the clock.
    fn on_event(
        &self,
        e: &LifecycleEvent,
        case: Option<CaseRow>,
    ) -> std::result::Result<Option<Change>, String> {
        let at = e
            .occurred_at
            .as_ref()
            .and_then(aduan_runtime::time::from_proto)
            .map(to_micros)
            .ok_or("the event has no valid occurred_at")?;
        let who = e
            .actor
            .as_ref()
            .map(|a| ActorRec {
                subject: a.subject.clone(),
                role: a.role.clone(),
                office: a.office_code.clone(),
            })
            .unwrap_or_else(system);
        match &e.detail {
            Some(Detail::Registered(d)) => {
                if case.is_some() {
                    return Ok(None);
                }
                if e.office_code.is_empty() || d.registration_number.is_empty() {
                    return Err("a registration without office or number".into());
                }
                let received_at = d
                    .received_at
                    .as_ref()
                    .and_then(aduan_runtime::time::from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                let clock = self.clocks.start(at).map_err(|e| e.to_string())?;
                let mut case = CaseRow {
                    complaint_id: e.complaint_id.clone(),
                    office_code: e.office_code.clone(),
                    origin_office_code: e.office_code.clone(),
                    registration_number: d.registration_number.clone(),
                    channel: d.channel,
                    category_code: d.category_code.clone(),
                    received_at,
                    registered_at: at,
                    status: ComplaintStatus::Registered as i32,
                    reporter_identified: d.reporter_identified,
                    anonymous: d.anonymous,
                    confidential: d.confidential,
                    involves_child: d.involves_child,
                    unmet_requirements: join(
                        &d.unmet_requirements
                            .iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>(),
                    ),
                    content_markers: join(&d.content_markers),
                    sla_pauses: "[]".into(),
                    applied_at: now_micros(),
                    updated_at: at,
                    ..Default::default()
                };
                self.apply_urgency(&mut case);
                self.refresh_clock(&mut case, &clock)
                    .map_err(|e| e.to_string())?;
                let detail = if case.urgent {
                    format!("urgent: {}", case.urgency_reasons)
                } else {
                    String::new()
                };
                let history = vec![HistoryRow {
                    at,
                    actor: who,
                    action: "registered".into(),
                    status: case.status,
                    detail,
                    office_code: case.office_code.clone(),
                    note: String::new(),
                }];
                Ok(Some(Change {
                    case,
                    history,
                    ..Default::default()
                }))
            }
            Some(Detail::Amended(d)) => {
                let Some(mut case) = case else {
                    return Err("an amendment of a complaint triage has not received".into());
                };
                case.category_code = d.category_code.clone();
                case.reporter_identified = d.reporter_identified;
                case.anonymous = d.anonymous;
                case.confidential = d.confidential;
                case.involves_child = d.involves_child;
                case.unmet_requirements = join(
                    &d.unmet_requirements
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>(),
                );
                case.content_markers = join(&d.content_markers);
                self.apply_urgency(&mut case);
                let mut detail =
                    format!("revision {}: {}", d.revision, d.changed_fields.join(", "));
                if case.status == ComplaintStatus::NeedsInformation as i32 {
                    case.status = ComplaintStatus::Registered as i32;
                    let mut clock = clock_of(&case);
                    clock.resume(at);
                    self.refresh_clock(&mut case, &clock)
                        .map_err(|e| e.to_string())?;
                    detail.push_str("; back to screening, clock resumed");
                }
                case.updated_at = at;
                let history = vec![HistoryRow {
                    at,
                    actor: who,
                    action: "amended".into(),
                    status: case.status,
                    detail,
                    office_code: case.office_code.clone(),
                    note: String::new(),
                }];
                Ok(Some(Change {
                    case,
                    history,
                    ..Default::default()
                }))
            }
            Some(Detail::ResponseDelivered(d)) => {
                let Some(mut case) = case else {
                    return Err("a delivery of a complaint triage has not received".into());
                };
                let delivered = d
                    .delivered_at
                    .as_ref()
                    .and_then(aduan_runtime::time::from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                // S13 stops the clock (or, with a staged policy, starts the next stage).
                let mut clock = clock_of(&case);
                clock.resume(delivered);
                self.clocks
                    .on_event(&mut clock, "response_delivered", delivered)
                    .map_err(|e| e.to_string())?;
                self.refresh_clock(&mut case, &clock)
                    .map_err(|e| e.to_string())?;
                case.status = ComplaintStatus::ResponseDelivered as i32;
                case.updated_at = at;
                Ok(Some(self.followed(
                    case,
                    at,
                    who,
                    "response_delivered",
                    format!(
                        "version {} delivered by {}",
                        d.version,
                        channel_label(d.channel)
                    ),
                )))
            }
            Some(Detail::FeedbackRecorded(d)) => {
                let Some(mut case) = case else {
                    return Err("feedback on a complaint triage has not received".into());
                };
                let mut clock = clock_of(&case);
                let detail = if d.reopens {
                    // S14 dissatisfied: a new clock from the reopening, per the policy.
                    let policy = self
                        .clocks
                        .policy(&clock.policy)
                        .map_err(|e| e.to_string())?;
                    if let Some(stage) = policy.stages_started_by("reopened").next() {
                        clock.stage = stage.code.clone();
                        clock.started_at = at;
                        clock.pauses.clear();
                        clock.stopped_at = None;
                    }
                    case.status = ComplaintStatus::InHandling as i32;
                    format!(
                        "dissatisfied ({}): reopened, new clock {}",
                        d.grounds_code, clock.stage
                    )
                } else {
                    self.clocks
                        .on_event(&mut clock, "feedback_recorded", at)
                        .map_err(|e| e.to_string())?;
                    if clock.stopped_at.is_none() && !d.satisfied {
                        clock.stopped_at = Some(at);
                    }
                    case.status = ComplaintStatus::Reporting as i32;
                    if d.satisfied {
                        "satisfied".to_string()
                    } else {
                        format!("dissatisfied ({}), not reopened", d.grounds_code)
                    }
                };
                self.refresh_clock(&mut case, &clock)
                    .map_err(|e| e.to_string())?;
                case.updated_at = at;
                Ok(Some(self.followed(
                    case,
                    at,
                    who,
                    "feedback_recorded",
                    detail,
                )))
            }
            Some(Detail::Closed(d)) if e.source_service != "triage" => {
                let Some(mut case) = case else {
                    return Err("a closing of a complaint triage has not received".into());
                };
                let mut clock = clock_of(&case);
                if clock.stopped_at.is_none() {
                    clock.stopped_at = Some(at);
                }
                self.refresh_clock(&mut case, &clock)
                    .map_err(|e| e.to_string())?;
                case.status = ComplaintStatus::Closed as i32;
                case.updated_at = at;
                Ok(Some(self.followed(
                    case,
                    at,
                    who,
                    "closed",
                    format!("closed by {}: {}", e.source_service, d.reason_code),
                )))
            }
            _ => Ok(None),
        }
    }

    /// A history entry for what a later service did (S13-S14), with the complaint after it.
    fn followed(
        &self,
        case: CaseRow,
        at: i64,
        who: ActorRec,
        action: &str,
        detail: String,
    ) -> Change {
        let history = vec![HistoryRow {
            at,
            actor: who,
            action: action.into(),
            status: case.status,
            detail,
            office_code: case.office_code.clone(),
            note: String::new(),
        }];
        Change {
            case,
            history,
            ..Default::default()
        }
    }

    async fn load_visible(&self, caller: &Caller, id: &str) -> Result<CaseRow> {
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
    async fn require_bidang(&self, caller: &Caller, case: &CaseRow) -> Result<()> {
        if !caller.bidang_scoped() {
            return Ok(());
        }
        let Some(bidang) = caller.principal.bidang.as_deref() else {
            return Err(Error::NotFound("complaint"));
        };
        let dispositions = self.store.dispositions(&case.complaint_id).await?;
        match dispositions.last() {
            Some(d) if d.bidang_code == bidang => Ok(()),
            _ => Err(Error::NotFound("complaint")),
        }
    }

    /// Runs a step as `caller` on a complaint of the caller's office.
    async fn step(
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

    /// The complaint's view with its dispositions and history.
    pub async fn view(&self, case: &CaseRow) -> Result<pb::TriageCase> {
        let dispositions = self.store.dispositions(&case.complaint_id).await?;
        let history = self.store.history(&case.complaint_id).await?;
        let last = dispositions.len();
        Ok(pb::TriageCase {
            complaint_id: case.complaint_id.clone(),
            office_code: case.office_code.clone(),
            registration_number: case.registration_number.clone(),
            channel: case.channel,
            category_code: case.category_code.clone(),
            received_at: Some(to_proto(from_micros(case.received_at))),
            registered_at: Some(to_proto(from_micros(case.registered_at))),
            status: case.status,
            urgent: case.urgent,
            urgency_reasons: split(&case.urgency_reasons),
            reporter_identified: case.reporter_identified,
            anonymous: case.anonymous,
            confidential: case.confidential,
            involves_child: case.involves_child,
            unmet_requirements: unmet(case),
            sla: Some(self.sla_view(case, now_micros())?),
            screening_reason: case.screening_reason.clone(),
            transferred_to: case.transferred_to.clone(),
            transferred_from: case.transferred_from.clone(),
            referred_to_agency: case.referred_to_agency.clone(),
            duplicate_of: case.duplicate_of.clone(),
            head_summary: case.head_summary.clone(),
            nature: case.nature,
            dispositions: dispositions
                .iter()
                .enumerate()
                .map(|(i, d)| self.disposition_pb(d, i + 1 < last))
                .collect(),
            history: history
                .iter()
                .map(|h| pb::HistoryEntry {
                    at: Some(to_proto(from_micros(h.at))),
                    actor: Some(actor_pb(&h.actor)),
                    action: h.action.clone(),
                    status: h.status,
                    detail: h.detail.clone(),
                    office_code: h.office_code.clone(),
                    note: h.note.clone(),
                })
                .collect(),
            content_markers: split(&case.content_markers),
        })
    }

    fn disposition_pb(&self, d: &DispositionRow, superseded: bool) -> pb::Disposition {
        pb::Disposition {
            version: d.version,
            bidang_code: d.bidang_code.clone(),
            bidang_name: self
                .refdata
                .bidang(&d.bidang_code)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            instructions: split(&d.instructions)
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            note: d.note.clone(),
            due_date: d
                .due_date
                .parse::<jiff::civil::Date>()
                .ok()
                .map(date_to_proto),
            nature: d.nature,
            issued_by: Some(actor_pb(&d.issued_by)),
            issued_at: Some(to_proto(from_micros(d.issued_at))),
            superseded,
            change_reason: d.change_reason.clone(),
        }
    }

    fn sla_view(&self, case: &CaseRow, now: i64) -> Result<pb::SlaView> {
        let clock = clock_of(case);
        let v = self.clocks.view(&case.office_code, &clock, now)?;
        let tz = self.clocks.calendar(&case.office_code).time_zone().clone();
        Ok(pb::SlaView {
            policy_code: clock.policy.clone(),
            stage: clock.stage.clone(),
            due_at: Some(to_proto(v.due)),
            due_date: Some(date_to_proto(v.due.to_zoned(tz).date())),
            state: v.state.into(),
            working_days_used: (v.used * 100.0).round() / 100.0,
            working_days_budget: v.budget,
            started_at: Some(to_proto(v.clock_start)),
        })
    }

    fn queue_entry(&self, case: &CaseRow, now: i64) -> Result<pb::QueueEntry> {
        Ok(pb::QueueEntry {
            complaint_id: case.complaint_id.clone(),
            registration_number: case.registration_number.clone(),
            channel: case.channel,
            category_code: case.category_code.clone(),
            status: case.status,
            urgent: case.urgent,
            urgency_reasons: split(&case.urgency_reasons),
            registered_at: Some(to_proto(from_micros(case.registered_at))),
            age_working_days: (self.clocks.working_days_between(
                &case.office_code,
                case.registered_at,
                now,
            ) * 100.0)
                .round()
                / 100.0,
            age_hours: (((now - case.registered_at) as f64 / 3.6e9) * 10.0).round() / 10.0,
            sla: Some(self.sla_view(case, now)?),
            unmet_requirements: unmet(case),
            reporter_identified: case.reporter_identified,
            transferred_from: case.transferred_from.clone(),
        })
    }

    fn intake_client(
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
                            let change = self.alert_change(case, now)?;
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

    fn alert_change(&self, mut case: CaseRow, now: i64) -> Result<Option<Change>> {
        let clock = clock_of(&case);
        let before = case.sla_next_alert_at;
        let v = self.clocks.view(&case.office_code, &clock, now)?;
        let due_now = matches!(v.state, "warning" | "breached");
        let (kind, breached) = if due_now && !case.sla_warned {
            // The warning always comes first, even when the sweep finds the breach already.
            ("warning", false)
        } else if v.state == "breached" && !case.sla_breached {
            ("breach", true)
        } else {
            // Not due after all (a pause or a recomputed deadline): re-arm and move on.
            self.refresh_clock(&mut case, &clock)?;
            if case.sla_next_alert_at == before {
                // Guard against a clock that keeps answering "due" without an alert.
                case.sla_next_alert_at = before.map(|t| t.max(now) + 60_000_000);
            }
            case.updated_at = now;
            return Ok(Some(Change {
                case,
                ..Default::default()
            }));
        };
        case.sla_warned = true;
        case.sla_breached |= breached;
        self.refresh_clock(&mut case, &clock)?;
        case.updated_at = now;
        let policy = self.clocks.policy(&clock.policy)?;
        let budget = policy
            .stage(&clock.stage)
            .map(|s| f64::from(s.budget_working_days))
            .unwrap_or(v.budget);
        let detail = Detail::SlaAlert(events::SlaAlert {
            breached,
            policy_code: clock.policy.clone(),
            working_days_used: v.used,
            working_days_budget: budget,
            stage: clock.stage.clone(),
            due_at: Some(to_proto(v.due)),
        });
        let step =
            match ComplaintStatus::try_from(case.status).unwrap_or(ComplaintStatus::Registered) {
                ComplaintStatus::AwaitingDisposition => Step::S5ForwardedToHead,
                ComplaintStatus::Disposed => Step::S7DisposedToBidang,
                _ => Step::S4Screened,
            };
        let ev = self.event(&mut case, step, &system(), now, detail);
        let history = vec![HistoryRow {
            at: now,
            actor: system(),
            action: format!("sla_{kind}"),
            status: case.status,
            detail: format!(
                "{} {}: {:.2} of {} working days used, due {}",
                clock.policy, clock.stage, v.used, budget, v.due
            ),
            office_code: case.office_code.clone(),
            note: String::new(),
        }];
        Ok(Some(Change {
            // Once per stage and clock start: a reopened complaint's new clock alerts again.
            alert: Some((
                format!("{}@{}", clock.stage, clock.started_at),
                kind.to_string(),
            )),
            case,
            history,
            events: vec![ev],
            ..Default::default()
        }))
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

fn unmet(case: &CaseRow) -> Vec<i32> {
    split(&case.unmet_requirements)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

#[tonic::async_trait]
impl EventReceiver for Triage {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, case: Option<CaseRow>| self.on_event(e, case);
        self.store.apply(source, &events, &f).await
    }
}

/// The gRPC face of triage; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct TriageApi {
    core: Ready<Triage>,
}

impl Default for TriageApi {
    fn default() -> Self {
        Self {
            core: Ready::new("triage"),
        }
    }
}

impl TriageApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Triage>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Triage>> {
        self.core.get()
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::triage_service_server::TriageServiceServer<Self> {
        pb::triage_service_server::TriageServiceServer::new(self)
    }
}

fn nature_ok(n: i32) -> bool {
    pb::Nature::try_from(n).is_ok()
}

fn channel_label(c: i32) -> &'static str {
    match Channel::try_from(c).unwrap_or(Channel::Unspecified) {
        Channel::WalkIn => "Pengaduan langsung",
        Channel::Letter => "Surat",
        Channel::Phone => "Telepon",
        Channel::Fax => "Faksimile",
        Channel::Email => "Surat elektronik",
        Channel::PartnerApi => "Instansi mitra",
        Channel::Web => "Formulir web",
        Channel::Unspecified => "-",
    }
}

/// "2 Desember 2026" (the documents' Indonesian date).
pub use aduan_documents::tanggal;

#[tonic::async_trait]
impl pb::triage_service_server::TriageService for TriageApi {
    async fn list_queue(
        &self,
        request: Request<pb::ListQueueRequest>,
    ) -> std::result::Result<Response<pb::ListQueueResponse>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        if r.office_code.is_empty() {
            v.add("office_code", "required");
        } else if core.refdata.office(&r.office_code).is_none() {
            v.add("office_code", "unknown office");
        }
        let page_size = match r.page_size {
            0 => 50,
            n if (1..=500).contains(&n) => i64::from(n),
            _ => {
                v.add("page_size", "between 1 and 500");
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
        caller.require_office(&r.office_code)?;
        let mut statuses = vec![
            ComplaintStatus::Registered as i32,
            ComplaintStatus::Accepted as i32,
        ];
        if r.include_waiting {
            statuses.push(ComplaintStatus::NeedsInformation as i32);
            statuses.push(ComplaintStatus::AwaitingDisposition as i32);
        }
        let rows = core
            .store
            .queue(&r.office_code, &statuses, r.urgent_only, offset, page_size)
            .await?;
        let waiting = core
            .store
            .queue_count(&r.office_code, &[ComplaintStatus::Registered as i32])
            .await?;
        let now = now_micros();
        let entries = rows
            .iter()
            .map(|c| core.queue_entry(c, now))
            .collect::<Result<Vec<_>>>()?;
        let next = if entries.len() as i64 == page_size {
            (offset + page_size).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListQueueResponse {
            entries,
            next_page_token: next,
            waiting_total: waiting as i32,
        }))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.get_ref();
        let mut v = Violations::new();
        validate::text(&mut v, "purpose", &r.purpose, false, 500);
        v.into_result()?;
        let case = core.load_visible(&caller, &r.complaint_id).await?;
        core.require_bidang(&caller, &case).await?;
        let view = core.view(&case).await?;
        core.log_read(&caller, &case, "GetCase", r.purpose.trim())
            .await?;
        Ok(Response::new(view))
    }

    async fn set_urgency(
        &self,
        request: Request<pb::SetUrgencyRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "reason", &r.reason, true, REASON_MAX);
        v.into_result()?;
        let who = actor(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |mut case, _, now| {
                if !is_open(case.status) || case.status == ComplaintStatus::Disposed as i32 {
                    return Err(out_of_order(
                        "Setting urgency",
                        case.status,
                        "waiting for screening, forwarding or the Head",
                    ));
                }
                case.urgency_override = Some(r.urgent);
                core.apply_urgency(&mut case);
                case.updated_at = now;
                let history = vec![HistoryRow {
                    at: now,
                    actor: who,
                    action: "urgency".into(),
                    status: case.status,
                    detail: if r.urgent { "urgent" } else { "not urgent" }.into(),
                    office_code: case.office_code.clone(),
                    note: r.reason.trim().to_string(),
                }];
                Ok(Change {
                    case,
                    history,
                    ..Default::default()
                })
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn screen_complaint(
        &self,
        request: Request<pb::ScreenComplaintRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        use pb::screen_complaint_request::Decision;
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        match &r.decision {
            None => v.add("decision", "one decision is required"),
            Some(Decision::Accept(a)) => {
                validate::text(&mut v, "accept.note", &a.note, false, REASON_MAX)
            }
            Some(Decision::RejectSuratKaleng(d)) => validate::text(
                &mut v,
                "reject_surat_kaleng.reason",
                &d.reason,
                true,
                REASON_MAX,
            ),
            Some(Decision::Transfer(d)) => {
                validate::text(&mut v, "transfer.reason", &d.reason, true, REASON_MAX);
                if d.target_office_code.is_empty() {
                    v.add("transfer.target_office_code", "required");
                } else if core.refdata.office(&d.target_office_code).is_none() {
                    v.add(
                        "transfer.target_office_code",
                        "not an office of this province",
                    );
                }
            }
            Some(Decision::ReferOut(d)) => {
                // Issue 12: a code of the agency directory (data/agencies.csv), never free
                // text: the code travels to reporting's timeline and documents.
                if d.agency.trim().is_empty() {
                    v.add("refer_out.agency", "required");
                } else if d.agency.len() > AGENCY_MAX || core.refdata.agency(&d.agency).is_none() {
                    v.add(
                        "refer_out.agency",
                        "not an agency code of the directory (data/agencies.csv)",
                    );
                }
                validate::text(&mut v, "refer_out.reason", &d.reason, true, REASON_MAX);
            }
            Some(Decision::NeedsInformation(d)) => {
                validate::text(
                    &mut v,
                    "needs_information.reason",
                    &d.reason,
                    true,
                    REASON_MAX,
                );
                // Issue 13: at most R1-R6, each once (a repeat is dropped below).
                validate::enum_set::<Requirement>(
                    &mut v,
                    "needs_information.requirements",
                    &d.requirements,
                    "not a requirement",
                );
            }
            Some(Decision::Duplicate(d)) => {
                if !is_registration_number(&d.duplicate_of) {
                    validate::id(&mut v, "duplicate.duplicate_of", &d.duplicate_of);
                }
                validate::text(&mut v, "duplicate.reason", &d.reason, false, REASON_MAX);
                if d.duplicate_of == r.complaint_id {
                    v.add(
                        "duplicate.duplicate_of",
                        "a complaint cannot duplicate itself",
                    );
                }
            }
        }
        v.into_result()?;
        let mut decision = r
            .decision
            .unwrap_or(Decision::Accept(pb::Accept::default()));
        // The earlier complaint of a duplicate must be known here, of the same office, and older.
        // It is named by its id, or by its registration number within this complaint's office.
        let earlier = match &mut decision {
            Decision::Duplicate(d) => {
                let e = if is_registration_number(&d.duplicate_of) {
                    match core.store.get(&r.complaint_id).await? {
                        Some(this) if caller.covers_office(&this.office_code) => {
                            core.store
                                .get_by_registration(&this.office_code, &d.duplicate_of)
                                .await?
                        }
                        _ => return Err(Error::NotFound("complaint").into()),
                    }
                } else {
                    core.store.get(&d.duplicate_of).await?
                };
                if let Some(e) = &e {
                    d.duplicate_of = e.complaint_id.clone();
                    if d.duplicate_of == r.complaint_id {
                        return Err(Error::invalid(
                            "duplicate.duplicate_of",
                            "a complaint cannot duplicate itself",
                        )
                        .into());
                    }
                }
                match e {
                    Some(e) if caller.covers_office(&e.office_code) => Some(e),
                    _ => {
                        return Err(Error::invalid(
                            "duplicate.duplicate_of",
                            "no such complaint in this office",
                        )
                        .into());
                    }
                }
            }
            _ => None,
        };
        let who = actor(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |mut case, _, now| {
                if case.status != ComplaintStatus::Registered as i32 {
                    return Err(out_of_order(
                        "Screening (S4)",
                        case.status,
                        "registered and waiting for screening",
                    ));
                }
                let mut clock = clock_of(&case);
                let from_office = case.office_code.clone();
                let mut screened = events::ComplaintScreened {
                    urgent: case.urgent,
                    urgency_reasons: split(&case.urgency_reasons),
                    ..Default::default()
                };
                let mut history = Vec::new();
                let (action, detail) = match &decision {
                    Decision::Accept(a) => {
                        case.status = ComplaintStatus::Accepted as i32;
                        case.screening_reason = a.note.trim().to_string();
                        screened.outcome = events::ScreeningOutcome::Accepted as i32;
                        ("screened", "accepted".to_string())
                    }
                    Decision::RejectSuratKaleng(d) => {
                        case.status = ComplaintStatus::Rejected as i32;
                        case.screening_reason = d.reason.trim().to_string();
                        clock.stopped_at = Some(now);
                        screened.outcome = events::ScreeningOutcome::RejectedSuratKaleng as i32;
                        ("screened", "rejected as surat kaleng".to_string())
                    }
                    Decision::Transfer(d) => {
                        if d.target_office_code == case.office_code {
                            return Err(Error::invalid(
                                "transfer.target_office_code",
                                "the complaint is already in this office",
                            ));
                        }
                        history.push(HistoryRow {
                            at: now,
                            actor: who.clone(),
                            action: "transferred".into(),
                            status: ComplaintStatus::Transferred as i32,
                            detail: format!("to {}", d.target_office_code),
                            office_code: from_office.clone(),
                            note: d.reason.trim().to_string(),
                        });
                        case.transferred_to = d.target_office_code.clone();
                        case.transferred_from = from_office.clone();
                        case.office_code = d.target_office_code.clone();
                        case.screening_reason = d.reason.trim().to_string();
                        // It arrives in the receiving office's queue, waiting for screening.
                        case.status = ComplaintStatus::Registered as i32;
                        screened.outcome = events::ScreeningOutcome::Transferred as i32;
                        screened.target_office_code = d.target_office_code.clone();
                        screened.from_office_code = from_office.clone();
                        ("transferred_in", format!("from {from_office}"))
                    }
                    Decision::ReferOut(d) => {
                        case.status = ComplaintStatus::ReferredOut as i32;
                        case.referred_to_agency = d.agency.trim().to_string();
                        case.screening_reason = d.reason.trim().to_string();
                        clock.stopped_at = Some(now);
                        screened.outcome = events::ScreeningOutcome::ReferredOut as i32;
                        screened.target_agency = case.referred_to_agency.clone();
                        ("screened", format!("referred to {}", d.agency.trim()))
                    }
                    Decision::NeedsInformation(d) => {
                        case.status = ComplaintStatus::NeedsInformation as i32;
                        case.screening_reason = d.reason.trim().to_string();
                        let policy = core.clocks.policy(&clock.policy)?;
                        if policy.is_pause_state("needs_information") {
                            clock.pause(now);
                        }
                        screened.outcome = events::ScreeningOutcome::NeedsInformation as i32;
                        let reqs: Vec<&str> = validate::dedup(&d.requirements)
                            .into_iter()
                            .filter_map(|r| Requirement::try_from(r).ok())
                            .map(|r| r.as_str_name())
                            .collect();
                        (
                            "screened",
                            format!("needs information ({})", reqs.join(", ")),
                        )
                    }
                    Decision::Duplicate(d) => {
                        let e = earlier.as_ref().ok_or(Error::NotFound("complaint"))?;
                        if e.office_code != case.office_code || e.registered_at > case.registered_at
                        {
                            return Err(Error::invalid(
                                "duplicate.duplicate_of",
                                "must be an earlier complaint of the same office",
                            ));
                        }
                        case.status = ComplaintStatus::Duplicate as i32;
                        case.duplicate_of = d.duplicate_of.clone();
                        case.screening_reason = d.reason.trim().to_string();
                        clock.stopped_at = Some(now);
                        screened.outcome = events::ScreeningOutcome::Duplicate as i32;
                        screened.duplicate_of = d.duplicate_of.clone();
                        (
                            "screened",
                            format!(
                                "duplicate of {} ({})",
                                e.registration_number, d.duplicate_of
                            ),
                        )
                    }
                };
                core.refresh_clock(&mut case, &clock)?;
                case.updated_at = now;
                history.push(HistoryRow {
                    at: now,
                    actor: who.clone(),
                    action: action.into(),
                    status: case.status,
                    detail,
                    office_code: case.office_code.clone(),
                    note: case.screening_reason.clone(),
                });
                let ev = core.event(
                    &mut case,
                    Step::S4Screened,
                    &who,
                    now,
                    Detail::Screened(screened),
                );
                Ok(Change {
                    case,
                    history,
                    events: vec![ev],
                    ..Default::default()
                })
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn forward_to_head(
        &self,
        request: Request<pb::ForwardToHeadRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "summary", &r.summary, true, SUMMARY_MAX);
        if !nature_ok(r.nature) {
            v.add("nature", "unknown nature");
        }
        v.into_result()?;
        let who = actor(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |mut case, _, now| {
                if case.status != ComplaintStatus::Accepted as i32 {
                    return Err(out_of_order(
                        "Forwarding to the Head (S5)",
                        case.status,
                        "accepted at screening (S4)",
                    ));
                }
                case.status = ComplaintStatus::AwaitingDisposition as i32;
                case.head_summary = r.summary.trim().to_string();
                case.nature = if r.nature != 0 {
                    r.nature
                } else if case.confidential {
                    pb::Nature::Rahasia as i32
                } else if case.urgent {
                    pb::Nature::Segera as i32
                } else {
                    pb::Nature::Biasa as i32
                };
                let mut clock = clock_of(&case);
                core.clocks.on_event(&mut clock, "forwarded_to_head", now)?;
                core.refresh_clock(&mut case, &clock)?;
                case.updated_at = now;
                let history = vec![HistoryRow {
                    at: now,
                    actor: who.clone(),
                    action: "forwarded".into(),
                    status: case.status,
                    detail: format!(
                        "to the Head, {}",
                        pb::Nature::try_from(case.nature)
                            .map(|n| n.as_str_name().trim_start_matches("NATURE_"))
                            .unwrap_or("")
                    ),
                    office_code: case.office_code.clone(),
                    note: String::new(),
                }];
                let urgent = case.urgent;
                let ev = core.event(
                    &mut case,
                    Step::S5ForwardedToHead,
                    &who,
                    now,
                    Detail::ForwardedToHead(events::ForwardedToHead { urgent }),
                );
                Ok(Change {
                    case,
                    history,
                    events: vec![ev],
                    ..Default::default()
                })
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn issue_disposition(
        &self,
        request: Request<pb::IssueDispositionRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::Head) {
            return Err(Error::PermissionDenied("only the Head disposes (S6-S7)".into()).into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.bidang_code.is_empty() {
            v.add("bidang_code", "required");
        } else if core.refdata.bidang(&r.bidang_code).is_none() {
            v.add("bidang_code", "not a Bidang of the office's list");
        }
        // Issue 13: at most one of each instruction; a repeat is dropped.
        let instructions = validate::enum_set::<pb::Instruction>(
            &mut v,
            "instructions",
            &r.instructions,
            "unknown instruction",
        );
        validate::text(&mut v, "note", &r.note, false, NOTE_MAX);
        if r.instructions.is_empty() && r.note.trim().is_empty() {
            v.add("instructions", "at least one instruction or a note");
        }
        if !nature_ok(r.nature) {
            v.add("nature", "unknown nature");
        }
        validate::text(&mut v, "change_reason", &r.change_reason, false, REASON_MAX);
        let due = match &r.due_date {
            None => None,
            Some(d) => match date_from_proto(d) {
                Some(d) => Some(d),
                None => {
                    v.add("due_date", "not a valid date");
                    None
                }
            },
        };
        v.into_result()?;
        let who = actor(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |mut case, dispositions, now| {
                let first = case.status == ComplaintStatus::AwaitingDisposition as i32;
                let change = case.status == ComplaintStatus::Disposed as i32;
                if !first && !change {
                    return Err(out_of_order(
                        "A disposition (S6-S7)",
                        case.status,
                        "forwarded to the Head (S5)",
                    ));
                }
                if change && r.change_reason.trim().is_empty() {
                    return Err(Error::invalid(
                        "change_reason",
                        "required when changing a disposition",
                    ));
                }
                let today = core.clocks.local_date(&case.office_code, now);
                let clock = clock_of(&case);
                let sla_due = core.clocks.view(&case.office_code, &clock, now)?;
                let tz = core.clocks.calendar(&case.office_code).time_zone().clone();
                let due_date = match due {
                    Some(d) if d < today => {
                        return Err(Error::invalid(
                            "due_date",
                            format!("not before today ({today}) in the office's calendar"),
                        ));
                    }
                    Some(d) => d,
                    None => sla_due.due.to_zoned(tz).date().max(today),
                };
                let version = dispositions.last().map(|d| d.version).unwrap_or(0) + 1;
                let nature = if r.nature != 0 {
                    r.nature
                } else {
                    case.nature.max(1)
                };
                let disposition = DispositionRow {
                    complaint_id: case.complaint_id.clone(),
                    version,
                    bidang_code: r.bidang_code.clone(),
                    instructions: join(
                        &instructions
                            .iter()
                            .map(|i| i.to_string())
                            .collect::<Vec<_>>(),
                    ),
                    note: r.note.trim().to_string(),
                    due_date: due_date.to_string(),
                    nature,
                    issued_by: who.clone(),
                    issued_at: now,
                    change_reason: r.change_reason.trim().to_string(),
                };
                case.status = ComplaintStatus::Disposed as i32;
                if first {
                    let mut clock = clock.clone();
                    core.clocks
                        .on_event(&mut clock, "disposition_issued", now)?;
                    core.refresh_clock(&mut case, &clock)?;
                }
                case.updated_at = now;
                let history = vec![HistoryRow {
                    at: now,
                    actor: who.clone(),
                    action: "disposed".into(),
                    status: case.status,
                    detail: if first {
                        format!("version {version} to {}, due {due_date}", r.bidang_code)
                    } else {
                        format!(
                            "version {version} to {}, due {due_date}, replacing version {}",
                            r.bidang_code,
                            version - 1
                        )
                    },
                    office_code: case.office_code.clone(),
                    note: r.change_reason.trim().to_string(),
                }];
                let instruction_names: Vec<String> = instructions
                    .iter()
                    .filter_map(|i| pb::Instruction::try_from(*i).ok())
                    .map(|i| {
                        i.as_str_name()
                            .trim_start_matches("INSTRUCTION_")
                            .to_ascii_lowercase()
                    })
                    .collect();
                let label = (case.registration_number.clone(), case.category_code.clone());
                let ev = core.event(
                    &mut case,
                    Step::S7DisposedToBidang,
                    &who,
                    now,
                    Detail::DispositionIssued(events::DispositionIssued {
                        bidang_code: r.bidang_code.clone(),
                        instructions: instruction_names,
                        due_date: Some(date_to_proto(due_date)),
                        version,
                        registration_number: label.0,
                        category_code: label.1,
                    }),
                );
                Ok(Change {
                    case,
                    history,
                    disposition: Some(disposition),
                    events: vec![ev],
                    ..Default::default()
                })
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn get_disposition_sheet(
        &self,
        request: Request<pb::GetDispositionSheetRequest>,
    ) -> std::result::Result<Response<pb::DispositionSheet>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        let r = request.into_inner();
        let case = core.load_visible(&caller, &r.complaint_id).await?;
        let dispositions = core.store.dispositions(&case.complaint_id).await?;
        if dispositions.is_empty() {
            return Err(out_of_order(
                "A disposition sheet (S6)",
                case.status,
                "disposed by the Head",
            )
            .into());
        }
        let last = dispositions.len();
        let idx = match r.version {
            0 => last - 1,
            n if n > 0 && (n as usize) <= last => n as usize - 1,
            _ => {
                return Err(Error::invalid("version", format!("between 1 and {last}")).into());
            }
        };
        let d = &dispositions[idx];
        // Sender, letter and subject live in intake: read them with the caller's own authority.
        let mut client = core.intake_client()?;
        let mut req = Request::new(intake_pb::GetComplaintRequest {
            complaint_id: case.complaint_id.clone(),
            revision: 0,
            purpose: "S6 lembar disposisi".into(),
        });
        if let Some(a) = authorization {
            req.metadata_mut().insert("authorization", a);
        }
        aduan_runtime::telemetry::inject_metadata(req.metadata_mut());
        let complaint = client
            .get_complaint(req)
            .await
            .map_err(|s| {
                Status::new(
                    s.code(),
                    format!("reading the complaint from intake: {}", s.message()),
                )
            })?
            .into_inner()
            .complaint
            .unwrap_or_default();
        let office = core.refdata.office(&case.office_code);
        let office_name = office.map(|o| o.name.clone()).unwrap_or_default();
        let received_date = core.clocks.local_date(&case.office_code, case.received_at);
        let reporter = complaint.reporter.clone().unwrap_or_default();
        let identity = complaint.identity.unwrap_or_default();
        let sender = if !reporter.full_name.trim().is_empty() {
            if identity.anonymous {
                format!(
                    "{} (anonim: dirahasiakan dari terlapor dan publik)",
                    reporter.full_name.trim()
                )
            } else {
                reporter.full_name.trim().to_string()
            }
        } else if case.channel == Channel::PartnerApi as i32 {
            "Instansi mitra".into()
        } else {
            "Tidak diketahui".into()
        };
        let letter = complaint.letter.clone().unwrap_or_default();
        let (letter_number, letter_date) = if !letter.number.trim().is_empty() {
            (
                letter.number.trim().to_string(),
                letter.date.or_else(|| Some(date_to_proto(received_date))),
            )
        } else {
            (
                channel_label(case.channel).to_string(),
                Some(date_to_proto(received_date)),
            )
        };
        let subject = if !letter.subject.trim().is_empty() {
            letter.subject.trim().to_string()
        } else {
            complaint
                .content
                .as_ref()
                .map(|c| c.subject.trim().to_string())
                .unwrap_or_default()
        };
        let issued = core.clocks.local_date(&case.office_code, d.issued_at);
        let place = office
            .map(|o| {
                o.name
                    .rsplit(" Kabupaten ")
                    .next()
                    .unwrap_or(&o.name)
                    .rsplit(" Kota ")
                    .next()
                    .unwrap_or(&o.name)
                    .to_string()
            })
            .unwrap_or_default();
        let disposition = core.disposition_pb(d, idx + 1 < last);
        Ok(Response::new(pb::DispositionSheet {
            office_name: office_name.clone(),
            office_code: case.office_code.clone(),
            agenda_number: case.registration_number.clone(),
            received_date: Some(date_to_proto(received_date)),
            sender,
            letter_number,
            letter_date,
            subject,
            nature: d.nature,
            instructions: disposition.instructions.clone(),
            note: d.note.clone(),
            target_bidang_code: d.bidang_code.clone(),
            target_bidang_name: disposition.bidang_name.clone(),
            due_date: disposition.due_date,
            summary: case.head_summary.clone(),
            signature: Some(pb::SignatureBlock {
                title: format!("Kepala {}", office_name),
                signed_by: d.issued_by.subject.clone(),
                signed_at: Some(to_proto(from_micros(d.issued_at))),
                place_date: format!("{place}, {}", tanggal(issued)),
            }),
            version: d.version,
            superseded: idx + 1 < last,
            channel: case.channel,
            urgent: case.urgent,
        }))
    }
}

/// True for a registration number as intake issues it: "35.27-2026-000042" (office code, year,
/// a sequence of at least six digits).
fn is_registration_number(s: &str) -> bool {
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
    };
    let mut parts = s.split('-');
    let (Some(office), Some(year), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(office.split_once('.'), Some((p, r)) if digits(p, 2..=2) && digits(r, 2..=2))
        && digits(year, 4..=4)
        && digits(seq, 6..=12)
}
