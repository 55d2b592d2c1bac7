//! Feedback's rules: the case file of a complaint in S13-S14 (the sealed document), the state
//! machine (approved -> delivered -> feedback, reopening, closing after silence), and the office
//! calendars that time the silence period.
//!
//! States (the complaint's status as feedback sees it):
//!
//! | status | meaning | next |
//! |---|---|---|
//! | RESPONSE_READY | an approved response waits for delivery (S12 done) | delivery (S13) |
//! | RESPONSE_DELIVERED | delivered; waiting for the complainant's feedback | feedback (S14), silence |
//! | IN_HANDLING | reopened after dissatisfied feedback; waiting for a new approved version | approval |
//! | REPORTING | satisfied feedback recorded; the handling report (S15) follows | - |
//! | CLOSED | no answer within the silence period | - |

use std::sync::Arc;

use aduan_calendar::Calendar;
use aduan_proto::common::v1::{Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{from_micros, to_micros};
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::CaseFile;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The service name in events and the store.
pub const SERVICE: &str = "feedback";

/// A complaint's case file in feedback.
pub type FeedbackFile = CaseFile<Doc>;

/// One approved response version, as investigation announced it (S12).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRec {
    /// The version (1, then higher after a reopening).
    pub version: i32,
    /// The Bidang that prepared it.
    pub bidang_code: String,
    /// The complaint qualified (S11).
    pub qualified: bool,
    /// The coded outcome.
    pub outcome_code: String,
    /// When it was approved (microseconds).
    pub approved_at: i64,
}

/// One delivery (S13).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRec {
    /// The version delivered.
    pub version: i32,
    /// The channel (aduan.common.v1.Channel).
    pub channel: i32,
    /// When the complainant received it (microseconds).
    pub delivered_at: i64,
    /// The officer's note (personal content: sealed with the document).
    pub note: String,
    /// Who recorded it.
    pub recorded_by: ActorRec,
    /// When it was recorded (microseconds).
    pub recorded_at: i64,
}

/// One feedback (S14).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRec {
    /// The version it is about.
    pub version: i32,
    /// Satisfied.
    pub satisfied: bool,
    /// Ground codes ("not_answered", ...).
    pub grounds: Vec<String>,
    /// The complainant's comments (personal content: sealed with the document).
    pub comments: String,
    /// Deprecated: equal to `reopened` since every dissatisfied answer reopens the case; older
    /// documents keep what the request asked for.
    pub reopen_requested: bool,
    /// The case was reopened.
    pub reopened: bool,
    /// When the complainant gave it (microseconds).
    pub given_at: i64,
    /// Who recorded it.
    pub recorded_by: ActorRec,
    /// When it was recorded (microseconds).
    pub recorded_at: i64,
}

/// One history entry: coded facts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRec {
    /// When (microseconds).
    pub at: i64,
    /// Who.
    pub actor: ActorRec,
    /// "response_approved", "response_delivered", "feedback_recorded", "survey_submitted",
    /// "closed".
    pub action: String,
    /// Status after it.
    pub status: i32,
    /// Coded details.
    pub detail: String,
}

/// The sealed document of a case file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Doc {
    /// Every approved version, oldest first.
    pub responses: Vec<ResponseRec>,
    /// Every delivery, oldest first.
    pub deliveries: Vec<DeliveryRec>,
    /// Every feedback, oldest first.
    pub feedback: Vec<FeedbackRec>,
    /// The survey's id, once submitted; empty before.
    pub survey_id: String,
    /// Reopenings so far.
    pub reopen_count: i32,
    /// For CLOSED: the coded reason.
    pub closed_reason: String,
    /// When it was closed (microseconds).
    pub closed_at: Option<i64>,
    /// The history, oldest first.
    pub history: Vec<HistoryRec>,
    /// The complaint's registration number (from the approval event; empty when it had none).
    pub registration_number: String,
    /// The complaint's category code (from the approval event).
    pub category_code: String,
}

impl Doc {
    /// The current approved version.
    pub fn current(&self) -> Option<&ResponseRec> {
        self.responses.last()
    }

    /// The current version's number (0 before any approval).
    pub fn version(&self) -> i32 {
        self.current().map(|r| r.version).unwrap_or(0)
    }

    /// The delivery of the current version, if it was delivered.
    pub fn current_delivery(&self) -> Option<&DeliveryRec> {
        let v = self.version();
        self.deliveries.iter().rev().find(|d| d.version == v)
    }
}

/// The coded grounds of dissatisfaction.
pub const GROUNDS: [&str; 5] = [
    "not_answered",
    "incorrect",
    "too_slow",
    "not_followed_up",
    "other",
];

/// The name of a status, for messages.
pub fn status_name(status: i32) -> &'static str {
    ComplaintStatus::try_from(status)
        .map(|s| s.as_str_name())
        .unwrap_or("UNKNOWN")
}

/// FAILED_PRECONDITION naming the step and where the complaint stands.
pub fn out_of_order(step: &str, status: i32, needed: &str) -> Error {
    Error::FailedPrecondition(format!(
        "{step} needs a complaint that is {needed}; this one is {}",
        status_name(status)
    ))
}

fn ts(at: i64) -> Timestamp {
    from_micros(at)
}

fn push_history(f: &mut FeedbackFile, at: i64, actor: &ActorRec, action: &str, detail: String) {
    let status = f.status;
    f.body.history.push(HistoryRec {
        at,
        actor: actor.clone(),
        action: action.into(),
        status,
        detail,
    });
}

/// The lowercase channel name for history details.
pub fn channel_code(c: i32) -> String {
    Channel::try_from(c)
        .unwrap_or(Channel::Unspecified)
        .as_str_name()
        .trim_start_matches("CHANNEL_")
        .to_ascii_lowercase()
}

/// S12 -> S13: investigation approved a response (the `response_approved` event). The first
/// approval opens the delivery task; a later version (after a reopening, or a corrected response
/// before feedback) replaces the current one and waits for delivery again. A version already
/// known changes nothing. Err refuses the event for good.
pub fn on_approved(
    current: Option<FeedbackFile>,
    e: &LifecycleEvent,
    d: &events::ResponseApproved,
    at: i64,
) -> std::result::Result<Option<FeedbackFile>, String> {
    if d.version < 1 {
        return Err("a response_approved event without a version".into());
    }
    if e.office_code.is_empty() || d.bidang_code.is_empty() {
        return Err("a response_approved event without office or Bidang".into());
    }
    let who = e
        .actor
        .as_ref()
        .map(|a| ActorRec {
            subject: a.subject.clone(),
            role: a.role.clone(),
            office: a.office_code.clone(),
        })
        .unwrap_or_else(ActorRec::system);
    let rec = ResponseRec {
        version: d.version,
        bidang_code: d.bidang_code.clone(),
        qualified: d.qualified,
        outcome_code: d.outcome_code.clone(),
        approved_at: at,
    };
    let detail = format!(
        "version {} by {} ({}{})",
        d.version,
        d.bidang_code,
        if d.outcome_code.is_empty() {
            "no outcome code"
        } else {
            d.outcome_code.as_str()
        },
        if d.qualified { ", qualified" } else { "" }
    );
    let mut f = match current {
        None => CaseFile {
            complaint_id: e.complaint_id.clone(),
            office_code: e.office_code.clone(),
            unit: d.bidang_code.clone(),
            status: ComplaintStatus::ResponseReady as i32,
            assignees: Vec::new(),
            next_at: None,
            event_seq: 0,
            opened_at: at,
            updated_at: at,
            body: Doc::default(),
        },
        Some(f) => {
            if f.office_code != e.office_code {
                return Err(format!(
                    "the complaint is with office {} here, the event names {}",
                    f.office_code, e.office_code
                ));
            }
            if d.version <= f.body.version() {
                // Known already (or older): nothing to do.
                return Ok(None);
            }
            let status = ComplaintStatus::try_from(f.status).unwrap_or(ComplaintStatus::Closed);
            if !matches!(
                status,
                ComplaintStatus::ResponseReady
                    | ComplaintStatus::ResponseDelivered
                    | ComplaintStatus::InHandling
            ) {
                return Err(format!(
                    "a new response version for a complaint that is {}",
                    status.as_str_name()
                ));
            }
            f
        }
    };
    f.unit = d.bidang_code.clone();
    f.status = ComplaintStatus::ResponseReady as i32;
    f.next_at = None;
    f.updated_at = at;
    f.body.responses.push(rec);
    if !d.registration_number.is_empty() {
        f.body.registration_number = d.registration_number.clone();
    }
    if !d.category_code.is_empty() {
        f.body.category_code = d.category_code.clone();
    }
    push_history(&mut f, at, &who, "response_approved", detail);
    Ok(Some(f))
}

/// What a delivery records (checked by the API).
#[derive(Debug, Clone)]
pub struct DeliveryInput {
    /// The version the officer delivered; 0: the current one.
    pub version: i32,
    /// The channel.
    pub channel: i32,
    /// When the complainant received it (microseconds).
    pub delivered_at: i64,
    /// The note.
    pub note: String,
    /// When the silence period ends, from `delivered_at` (None: no closing by silence).
    pub silence_due: Option<i64>,
}

fn check_version(step: &str, asked: i32, current: i32) -> Result<()> {
    if asked != 0 && asked != current {
        return Err(Error::FailedPrecondition(format!(
            "{step}: version {asked} is not the current approved response (version {current})"
        )));
    }
    Ok(())
}

/// S13: the response is delivered. Needs RESPONSE_READY; sets the silence timer.
pub fn deliver(
    f: &mut FeedbackFile,
    who: &ActorRec,
    now: i64,
    input: DeliveryInput,
) -> Result<LifecycleEvent> {
    let version = f.body.version();
    if f.status == ComplaintStatus::ResponseDelivered as i32
        && (input.version == 0 || input.version == version)
    {
        return Err(Error::FailedPrecondition(format!(
            "Delivery (S13): version {version} was delivered already"
        )));
    }
    if f.status != ComplaintStatus::ResponseReady as i32 {
        return Err(out_of_order(
            "Delivery (S13)",
            f.status,
            "waiting for delivery of an approved response (RESPONSE_READY)",
        ));
    }
    check_version("Delivery (S13)", input.version, version)?;
    let approved_at = f.body.current().map(|r| r.approved_at).unwrap_or(0);
    if input.delivered_at < approved_at {
        return Err(Error::invalid(
            "delivered_at",
            "before the response was approved",
        ));
    }
    f.body.deliveries.push(DeliveryRec {
        version,
        channel: input.channel,
        delivered_at: input.delivered_at,
        note: input.note,
        recorded_by: who.clone(),
        recorded_at: now,
    });
    f.status = ComplaintStatus::ResponseDelivered as i32;
    f.next_at = input.silence_due;
    f.updated_at = now;
    push_history(
        f,
        now,
        who,
        "response_delivered",
        format!(
            "version {version} by {}{}",
            channel_code(input.channel),
            match input.silence_due {
                Some(t) => format!(", silence period ends {}", ts(t)),
                None => String::new(),
            }
        ),
    );
    Ok(f.event(
        SERVICE,
        Step::S13ResponseDelivered,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::ResponseDelivered(events::ResponseDelivered {
            channel: input.channel,
            delivered_at: Some(aduan_runtime::time::to_proto(ts(input.delivered_at))),
            version,
        }),
    ))
}

/// What a feedback records (checked by the API: grounds only when dissatisfied, at least one
/// then).
#[derive(Debug, Clone)]
pub struct FeedbackInput {
    /// The version; 0: the current one.
    pub version: i32,
    /// Satisfied.
    pub satisfied: bool,
    /// Ground codes.
    pub grounds: Vec<String>,
    /// Comments.
    pub comments: String,
    /// When the complainant gave it (microseconds).
    pub given_at: i64,
}

/// S14: the complainant's feedback. Needs RESPONSE_DELIVERED. Satisfied: REPORTING (S15
/// follows). Dissatisfied (at least one ground, else INVALID_ARGUMENT): the case reopens
/// (IN_HANDLING), goes back to the Bidang and waits here for the next approved version.
pub fn record_feedback(
    f: &mut FeedbackFile,
    who: &ActorRec,
    now: i64,
    input: FeedbackInput,
) -> Result<LifecycleEvent> {
    if f.status != ComplaintStatus::ResponseDelivered as i32 {
        return Err(out_of_order(
            "Feedback (S14)",
            f.status,
            "delivered and waiting for feedback (RESPONSE_DELIVERED)",
        ));
    }
    let version = f.body.version();
    check_version("Feedback (S14)", input.version, version)?;
    let delivered_at = f
        .body
        .current_delivery()
        .map(|d| d.delivered_at)
        .ok_or_else(|| Error::Internal("a delivered case without its delivery".into()))?;
    if input.given_at < delivered_at {
        return Err(Error::invalid(
            "given_at",
            "before the response was delivered",
        ));
    }
    if input.satisfied && !input.grounds.is_empty() {
        return Err(Error::invalid(
            "grounds",
            "only when the complainant is not satisfied",
        ));
    }
    if !input.satisfied && input.grounds.is_empty() {
        return Err(Error::invalid(
            "grounds",
            "at least one ground when the complainant is not satisfied",
        ));
    }
    // Dissatisfied with grounds: the case reopens in investigation with a new clock.
    let reopens = !input.satisfied;
    f.body.feedback.push(FeedbackRec {
        version,
        satisfied: input.satisfied,
        grounds: input.grounds.clone(),
        comments: input.comments,
        reopen_requested: reopens,
        reopened: reopens,
        given_at: input.given_at,
        recorded_by: who.clone(),
        recorded_at: now,
    });
    let detail = if input.satisfied {
        format!("version {version}: satisfied")
    } else {
        f.body.reopen_count += 1;
        format!(
            "version {version}: dissatisfied ({}), reopened ({})",
            input.grounds.join(", "),
            f.body.reopen_count
        )
    };
    f.status = if reopens {
        ComplaintStatus::InHandling as i32
    } else {
        ComplaintStatus::Reporting as i32
    };
    f.next_at = None;
    f.updated_at = now;
    push_history(f, now, who, "feedback_recorded", detail);
    Ok(f.event(
        SERVICE,
        Step::S14Feedback,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::FeedbackRecorded(events::FeedbackRecorded {
            satisfied: input.satisfied,
            reopens,
            version,
            // Several grounds travel as one comma-separated list of codes.
            grounds_code: input.grounds.join(","),
        }),
    ))
}

/// S14: a satisfaction survey of a complaint whose response was delivered; one per complaint.
pub fn submit_survey(
    f: &mut FeedbackFile,
    who: &ActorRec,
    now: i64,
    survey_id: &str,
    service_code: &str,
    scores: &[i32],
    submitted_at: i64,
) -> Result<LifecycleEvent> {
    if !f.body.survey_id.is_empty() {
        return Err(Error::AlreadyExists(
            "a survey was submitted for this complaint already".into(),
        ));
    }
    let Some(first) = f.body.deliveries.first().map(|d| d.delivered_at) else {
        return Err(out_of_order(
            "The satisfaction survey (S14)",
            f.status,
            "one whose response was delivered",
        ));
    };
    if submitted_at < first {
        return Err(Error::invalid(
            "submitted_at",
            "before the response was delivered",
        ));
    }
    f.body.survey_id = survey_id.to_string();
    f.updated_at = now;
    push_history(
        f,
        now,
        who,
        "survey_submitted",
        format!("survey {survey_id} for {service_code}"),
    );
    Ok(f.event(
        SERVICE,
        Step::S14Feedback,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::SurveySubmitted(events::SurveySubmitted {
            survey_id: survey_id.to_string(),
            service_code: service_code.to_string(),
            scores: scores.to_vec(),
        }),
    ))
}

/// What the sweeper does with a case whose timer is due at `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Sweep {
    /// Not due (another sweep closed it, or feedback came): nothing to write.
    Nothing,
    /// The timer is stale (the case is not waiting for feedback): clear it, no event.
    ClearTimer,
    /// Close it: no answer within the silence period.
    Close,
}

/// Decides what the sweeper does with a case at `now`.
pub fn sweep_decision(f: &FeedbackFile, now: i64) -> Sweep {
    match f.next_at {
        Some(t) if t <= now => {
            if f.status == ComplaintStatus::ResponseDelivered as i32 {
                Sweep::Close
            } else {
                Sweep::ClearTimer
            }
        }
        _ => Sweep::Nothing,
    }
}

/// S14 closing by silence: the complainant did not answer within the silence period.
pub fn close_by_silence(f: &mut FeedbackFile, now: i64) -> LifecycleEvent {
    let who = ActorRec::system();
    f.status = ComplaintStatus::Closed as i32;
    f.next_at = None;
    f.updated_at = now;
    f.body.closed_reason = "silence".into();
    f.body.closed_at = Some(now);
    let version = f.body.version();
    push_history(
        f,
        now,
        &who,
        "closed",
        format!("silence: no feedback on version {version}"),
    );
    f.event(
        SERVICE,
        Step::S14Feedback,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::Closed(events::ComplaintClosed {
            reason_code: "silence".into(),
        }),
    )
}

/// The complaint was closed by another service (reporting, once the handling report reached the
/// complainant and the Head, S16): feedback's record closes too, without an event of its own.
/// None when it is closed here already.
pub fn closed_elsewhere(
    current: Option<FeedbackFile>,
    reason: &str,
    at: i64,
) -> Option<FeedbackFile> {
    let mut f = current?;
    if f.status == ComplaintStatus::Closed as i32 {
        return None;
    }
    f.status = ComplaintStatus::Closed as i32;
    f.next_at = None;
    f.updated_at = at;
    f.body.closed_reason = reason.to_string();
    f.body.closed_at = Some(at);
    push_history(
        &mut f,
        at,
        &ActorRec::system(),
        "closed",
        format!("{reason}: closed after the handling report (S16)"),
    );
    Some(f)
}

/// The working calendars of the offices (shared with triage in one process: time zone from the
/// reference data or the `Office` resource, national holidays and cuti bersama, closures), with
/// the silence period computed on them.
pub struct Calendars {
    inner: Arc<OfficeCalendars>,
}

impl Calendars {
    /// Over the process's shared office calendars.
    pub fn new(inner: Arc<OfficeCalendars>) -> Self {
        Self { inner }
    }

    /// Calendars for every office of `refdata`, with the shipped holidays and any holiday CSV
    /// files in `data_dir` (the SLA data directory administrators maintain).
    pub fn load(refdata: &RefData, data_dir: Option<&std::path::Path>) -> Result<Self> {
        Ok(Self::new(Arc::new(OfficeCalendars::load(
            refdata, data_dir,
        )?)))
    }

    /// The calendar of an office (Asia/Jakarta for an office not in the data).
    pub fn calendar(&self, office: &str) -> Calendar {
        self.inner.calendar(office)
    }

    /// The local date of a moment in an office's calendar.
    pub fn local_date(&self, office: &str, at: Timestamp) -> jiff::civil::Date {
        at.to_zoned(self.calendar(office).time_zone().clone())
            .date()
    }

    /// When the silence period of a response delivered at `delivered` ends: the close of working
    /// hours of the `days`-th working day after the day of delivery, in the office's calendar
    /// (working days: its working week, without national holidays, cuti bersama and closures).
    /// None when `days` is 0 (no closing by silence).
    pub fn silence_due(
        &self,
        office: &str,
        delivered: Timestamp,
        days: u32,
    ) -> Result<Option<Timestamp>> {
        if days == 0 {
            return Ok(None);
        }
        let cal = self.calendar(office);
        let tz = cal.time_zone().clone();
        let mut day = delivered.to_zoned(tz.clone()).date();
        for _ in 0..days {
            day = cal
                .next_working_day(day)
                .map_err(|e| Error::Internal(format!("silence period: {e}")))?;
        }
        let (_, closes) = cal
            .working_hours(day.weekday())
            .ok_or_else(|| Error::Internal(format!("{day} is not in the working week")))?;
        let due = day
            .to_datetime(closes)
            .to_zoned(tz)
            .map_err(|e| Error::Internal(format!("silence period: {e}")))?
            .timestamp();
        Ok(Some(due))
    }

    /// [`Calendars::silence_due`] in microseconds.
    pub fn silence_due_micros(
        &self,
        office: &str,
        delivered: i64,
        days: u32,
    ) -> Result<Option<i64>> {
        Ok(self
            .silence_due(office, from_micros(delivered), days)?
            .map(to_micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        to_micros(s.parse::<Timestamp>().unwrap())
    }

    fn calendars() -> Calendars {
        Calendars::load(&RefData::load("35", None).unwrap(), None).unwrap()
    }

    #[test]
    fn silence_period_counts_working_days_of_the_office() {
        let c = calendars();
        let due = |at: &str, n: u32| {
            c.silence_due("35.27", at.parse().unwrap(), n)
                .unwrap()
                .map(|t| t.to_string())
        };
        // Delivered Monday 8 June 2026 10:00 WIB: day 1 is Tuesday 9; Tuesday 16 June is 1
        // Muharam (a holiday), so the 10th working day is Tuesday 23 June, closing at 16:00 WIB.
        assert_eq!(
            due("2026-06-08T10:00:00+07:00", 10).as_deref(),
            Some("2026-06-23T09:00:00Z")
        );
        // Delivered on a Saturday: day 1 is Monday.
        assert_eq!(
            due("2026-06-06T10:00:00+07:00", 1).as_deref(),
            Some("2026-06-08T09:00:00Z")
        );
        // Idulfitri 1447 H: 18-24 March 2026 are Nyepi/Idulfitri holidays and cuti bersama.
        // Delivered Monday 16 March: Tue 17, Wed 25, Thu 26, Fri 27, Mon 30, Tue 31 March.
        assert_eq!(
            due("2026-03-16T09:00:00+07:00", 6).as_deref(),
            Some("2026-03-31T09:00:00Z")
        );
        // Proklamasi (Monday 17 August 2026) is skipped.
        assert_eq!(
            due("2026-08-14T09:00:00+07:00", 1).as_deref(),
            Some("2026-08-18T09:00:00Z")
        );
        // No silence period configured: no timer.
        assert_eq!(due("2026-06-08T10:00:00+07:00", 0), None);
    }

    #[test]
    fn silence_period_uses_the_office_time_zone() {
        let c = calendars();
        // 23:30 UTC on Sunday 7 June is 06:30 WIB on Monday 8 June: the delivery day is Monday.
        let d = c
            .silence_due("35.27", "2026-06-07T23:30:00Z".parse().unwrap(), 1)
            .unwrap()
            .unwrap();
        assert_eq!(d.to_string(), "2026-06-09T09:00:00Z");
    }

    fn approved(version: i32, at: i64) -> (LifecycleEvent, events::ResponseApproved) {
        let d = events::ResponseApproved {
            bidang_code: "rehsos".into(),
            version,
            qualified: true,
            outcome_code: "agreement_reached".into(),
            ..Default::default()
        };
        let e = LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: "c-1".into(),
            office_code: "35.27".into(),
            step: Step::S12ResponsePrepared as i32,
            occurred_at: Some(aduan_runtime::time::to_proto(ts(at))),
            source_service: "investigation".into(),
            sequence: i64::from(version),
            status: ComplaintStatus::ResponseReady as i32,
            detail: Some(Detail::ResponseApproved(d.clone())),
            ..Default::default()
        };
        (e, d)
    }

    fn officer() -> ActorRec {
        ActorRec {
            subject: "officer-1".into(),
            role: "complaints_officer".into(),
            office: "35.27".into(),
        }
    }

    fn delivery(at: i64, due: Option<i64>) -> DeliveryInput {
        DeliveryInput {
            version: 0,
            channel: Channel::Phone as i32,
            delivered_at: at,
            note: "disampaikan lewat telepon".into(),
            silence_due: due,
        }
    }

    fn feedback(satisfied: bool, at: i64) -> FeedbackInput {
        FeedbackInput {
            version: 0,
            satisfied,
            grounds: if satisfied {
                vec![]
            } else {
                vec!["not_answered".into()]
            },
            comments: String::new(),
            given_at: at,
        }
    }

    #[test]
    fn the_lifecycle_with_a_reopening() {
        let t0 = t("2026-06-08T03:00:00Z");
        let (e, d) = approved(1, t0);
        let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
        assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
        assert_eq!(f.unit, "rehsos");
        // The same version again: nothing.
        assert_eq!(on_approved(Some(f.clone()), &e, &d, t0).unwrap(), None);
        // Feedback before delivery is out of order.
        let err = record_feedback(&mut f.clone(), &officer(), t0, feedback(true, t0));
        assert!(matches!(err, Err(Error::FailedPrecondition(_))));
        // Delivered before the approval: refused.
        let err = deliver(&mut f.clone(), &officer(), t0, delivery(t0 - 1, None));
        assert!(matches!(err, Err(Error::InvalidArgument(_))));
        let ev = deliver(
            &mut f,
            &officer(),
            t0 + 10,
            delivery(t0 + 5, Some(t0 + 100)),
        )
        .unwrap();
        assert_eq!(ev.sequence, 1);
        assert_eq!(ev.step, Step::S13ResponseDelivered as i32);
        assert_eq!(f.next_at, Some(t0 + 100));
        // Twice: refused.
        let err = deliver(&mut f.clone(), &officer(), t0 + 20, delivery(t0 + 5, None));
        assert!(
            matches!(err, Err(Error::FailedPrecondition(m)) if m.contains("delivered already"))
        );
        let ev = record_feedback(&mut f, &officer(), t0 + 30, feedback(false, t0 + 30)).unwrap();
        match ev.detail {
            Some(Detail::FeedbackRecorded(r)) => {
                assert!(r.reopens && !r.satisfied);
                assert_eq!(r.grounds_code, "not_answered");
                assert_eq!(r.version, 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(f.status, ComplaintStatus::InHandling as i32);
        assert_eq!(f.next_at, None);
        assert_eq!(f.body.reopen_count, 1);
        assert!(f.body.feedback[0].reopened && f.body.feedback[0].reopen_requested);
        // The next approval opens delivery of version 2.
        let (e2, d2) = approved(2, t0 + 40);
        let mut f = on_approved(Some(f), &e2, &d2, t0 + 40).unwrap().unwrap();
        assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
        assert_eq!(f.body.version(), 2);
        // Delivering "version 1" now is stale.
        let mut stale = delivery(t0 + 50, None);
        stale.version = 1;
        assert!(matches!(
            deliver(&mut f.clone(), &officer(), t0 + 50, stale),
            Err(Error::FailedPrecondition(_))
        ));
        deliver(&mut f, &officer(), t0 + 50, delivery(t0 + 50, None)).unwrap();
        record_feedback(&mut f, &officer(), t0 + 60, feedback(true, t0 + 60)).unwrap();
        assert_eq!(f.status, ComplaintStatus::Reporting as i32);
        // A new version after the feedback is refused (a dead letter for operators).
        let (e3, d3) = approved(3, t0 + 70);
        assert!(on_approved(Some(f.clone()), &e3, &d3, t0 + 70).is_err());
        let actions: Vec<&str> = f.body.history.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "response_approved",
                "response_delivered",
                "feedback_recorded",
                "response_approved",
                "response_delivered",
                "feedback_recorded"
            ]
        );
        assert_eq!(f.event_seq, 4);
    }

    #[test]
    fn dissatisfied_needs_grounds_and_always_reopens() {
        let t0 = t("2026-06-08T03:00:00Z");
        let (e, d) = approved(1, t0);
        let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
        deliver(
            &mut f,
            &officer(),
            t0 + 10,
            delivery(t0 + 10, Some(t0 + 100)),
        )
        .unwrap();
        // Dissatisfied without a ground: refused, nothing recorded.
        let mut no_grounds = feedback(false, t0 + 20);
        no_grounds.grounds.clear();
        let mut g = f.clone();
        assert!(matches!(
            record_feedback(&mut g, &officer(), t0 + 20, no_grounds),
            Err(Error::InvalidArgument(v)) if v[0].field == "grounds"
        ));
        assert_eq!(g, f);
        // Satisfied with a ground: refused.
        let mut odd = feedback(true, t0 + 20);
        odd.grounds = vec!["too_slow".into()];
        assert!(matches!(
            record_feedback(&mut f.clone(), &officer(), t0 + 20, odd),
            Err(Error::InvalidArgument(_))
        ));
        // Dissatisfied with grounds reopens: there is no "dissatisfied, not reopened".
        let mut two = feedback(false, t0 + 20);
        two.grounds = vec!["incorrect".into(), "too_slow".into()];
        let ev = record_feedback(&mut f, &officer(), t0 + 20, two).unwrap();
        match ev.detail {
            Some(Detail::FeedbackRecorded(r)) => {
                assert!(r.reopens && !r.satisfied);
                assert_eq!(r.grounds_code, "incorrect,too_slow");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ev.status, ComplaintStatus::InHandling as i32);
        assert_eq!(f.status, ComplaintStatus::InHandling as i32);
        assert_eq!(f.body.reopen_count, 1);
    }

    #[test]
    fn silence_closes_once_and_surveys_once() {
        let t0 = t("2026-06-08T03:00:00Z");
        let (e, d) = approved(1, t0);
        let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
        // A survey before delivery is out of order.
        assert!(matches!(
            submit_survey(
                &mut f.clone(),
                &officer(),
                t0,
                "s-1",
                "pengaduan",
                &[4; 9],
                t0
            ),
            Err(Error::FailedPrecondition(_))
        ));
        deliver(
            &mut f,
            &officer(),
            t0 + 10,
            delivery(t0 + 10, Some(t0 + 100)),
        )
        .unwrap();
        assert_eq!(sweep_decision(&f, t0 + 99), Sweep::Nothing);
        assert_eq!(sweep_decision(&f, t0 + 100), Sweep::Close);
        let ev = close_by_silence(&mut f, t0 + 100);
        assert!(matches!(ev.detail, Some(Detail::Closed(ref c)) if c.reason_code == "silence"));
        assert_eq!(ev.status, ComplaintStatus::Closed as i32);
        assert_eq!(sweep_decision(&f, t0 + 1000), Sweep::Nothing);
        // Feedback after closing is out of order; the survey is still welcome, once.
        assert!(record_feedback(&mut f.clone(), &officer(), t0, feedback(true, t0 + 200)).is_err());
        submit_survey(
            &mut f,
            &officer(),
            t0 + 200,
            "s-1",
            "pengaduan",
            &[4; 9],
            t0 + 200,
        )
        .unwrap();
        assert!(matches!(
            submit_survey(
                &mut f,
                &officer(),
                t0 + 300,
                "s-2",
                "pengaduan",
                &[4; 9],
                t0 + 300
            ),
            Err(Error::AlreadyExists(_))
        ));
        // A stale timer on a case that is not waiting is only cleared.
        let mut g = f.clone();
        g.status = ComplaintStatus::Reporting as i32;
        g.next_at = Some(t0);
        assert_eq!(sweep_decision(&g, t0 + 1), Sweep::ClearTimer);
    }

    #[test]
    fn refused_events() {
        let t0 = t("2026-06-08T03:00:00Z");
        let (mut e, mut d) = approved(0, t0);
        assert!(on_approved(None, &e, &d, t0).is_err());
        d.version = 1;
        e.office_code.clear();
        assert!(on_approved(None, &e, &d, t0).is_err());
        // Another office's event for a known complaint.
        let (e1, d1) = approved(1, t0);
        let f = on_approved(None, &e1, &d1, t0).unwrap().unwrap();
        let (mut e2, d2) = approved(2, t0);
        e2.office_code = "35.26".into();
        assert!(on_approved(Some(f), &e2, &d2, t0).is_err());
    }
}
