//! Triage's rules, one module per step of the office's procedure (S4-S7), with the SLA clock
//! and its alerts ([`sla`]) and the complaint's later course as other services report it
//! ([`followed`]). The functions here are pure: they take a complaint as the store locked it
//! and return the [`Change`] the store writes in one transaction.

pub mod followed;
pub mod s04_screening;
pub mod s05_forwarding;
pub mod s06_disposition_sheet;
pub mod s07_disposition;
pub mod sla;

use aduan_proto::common::v1::{Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{LifecycleEvent, TraceContext, lifecycle_event::Detail};
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{from_micros, to_proto};
use aduan_runtime::{Error, Result};

pub use s04_screening::urgency_rules;
pub use sla::{ClockState, ClockView, Clocks};

/// A complaint as triage keeps it.
#[allow(missing_docs)] // one field per column (migrations/)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseRow {
    pub complaint_id: String,
    /// The complaint's data key in triage, wrapped by the key of `origin_office_code`: its free
    /// text, history notes and dispositions' texts are sealed with it (docs/privacy.md). None: a
    /// new case (the store makes one) or one from before the keys.
    pub data_key: Option<Vec<u8>>,
    pub office_code: String,
    pub origin_office_code: String,
    pub registration_number: String,
    pub channel: i32,
    pub category_code: String,
    pub received_at: i64,
    pub registered_at: i64,
    pub status: i32,
    pub urgent: bool,
    /// Comma-separated rule codes (and "officer").
    pub urgency_reasons: String,
    /// The officer's decision, overriding the rules.
    pub urgency_override: Option<bool>,
    pub reporter_identified: bool,
    pub anonymous: bool,
    pub confidential: bool,
    pub involves_child: bool,
    /// Comma-separated requirement numbers (R1-R6 as 1-6).
    pub unmet_requirements: String,
    /// Comma-separated marker codes.
    pub content_markers: String,
    pub screening_reason: String,
    pub transferred_to: String,
    pub transferred_from: String,
    pub referred_to_agency: String,
    pub duplicate_of: String,
    pub head_summary: String,
    pub nature: i32,
    pub sla_policy: String,
    pub sla_stage: String,
    pub sla_started_at: i64,
    /// JSON list of [from, to|null] in microseconds.
    pub sla_pauses: String,
    pub sla_stopped_at: Option<i64>,
    pub sla_warned: bool,
    pub sla_breached: bool,
    pub sla_next_alert_at: Option<i64>,
    /// Triage's events for this complaint so far (the `sequence` of its next event is this + 1).
    pub event_seq: i32,
    /// When the registration event was applied here (visible in the queue).
    pub applied_at: i64,
    pub updated_at: i64,
    /// Columns `traceparent`, `tracestate`: the W3C trace context of the complaint's latest
    /// lifecycle event, written here or received (kept by the store; a person's next step links
    /// to it).
    pub trace: TraceContext,
}

/// One history entry.
#[allow(missing_docs)] // one field per column (migrations/)
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub at: i64,
    pub actor: ActorRec,
    pub action: String,
    pub status: i32,
    /// Coded detail, no free text.
    pub detail: String,
    pub office_code: String,
    /// Free text (a reason), sealed at rest.
    pub note: String,
}

/// One version of a disposition.
#[allow(missing_docs)] // one field per column (migrations/)
#[derive(Debug, Clone, PartialEq)]
pub struct DispositionRow {
    pub complaint_id: String,
    pub version: i32,
    pub bidang_code: String,
    /// Comma-separated instruction numbers.
    pub instructions: String,
    pub note: String,
    /// YYYY-MM-DD.
    pub due_date: String,
    pub nature: i32,
    pub issued_by: ActorRec,
    pub issued_at: i64,
    pub change_reason: String,
}

/// What one step changes.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The complaint after the step (inserted or updated).
    pub case: CaseRow,
    /// History entries to add.
    pub history: Vec<HistoryRow>,
    /// A new disposition version.
    pub disposition: Option<DispositionRow>,
    /// Lifecycle events for the outbox.
    pub events: Vec<LifecycleEvent>,
    /// An SLA alert (stage, kind) sent at most once.
    pub alert: Option<(String, String)>,
}

impl Change {
    /// A step's change: the complaint after it, its history and the event it publishes.
    pub fn of(case: CaseRow, history: Vec<HistoryRow>, event: LifecycleEvent) -> Self {
        Self {
            case,
            history,
            events: vec![event],
            ..Default::default()
        }
    }
}

impl HistoryRow {
    /// An entry for `case` as it stands after the step (its status and office).
    pub fn of(
        case: &CaseRow,
        at: i64,
        actor: ActorRec,
        action: impl Into<String>,
        detail: impl Into<String>,
        note: impl Into<String>,
    ) -> Self {
        Self {
            at,
            actor,
            action: action.into(),
            status: case.status,
            detail: detail.into(),
            office_code: case.office_code.clone(),
            note: note.into(),
        }
    }
}

/// Triage's next lifecycle event on `case` (its sequence moves on).
pub fn event(
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
        actor: Some(who.to_pb()),
        trace: Some(aduan_runtime::telemetry::current_event_trace()),
        sequence: i64::from(case.event_seq),
        status: case.status,
        detail: Some(detail),
    }
}

/// Statuses from which the complaint is still in triage's hands (the clock may run).
pub fn is_open(status: i32) -> bool {
    matches!(
        ComplaintStatus::try_from(status).unwrap_or(ComplaintStatus::Unspecified),
        ComplaintStatus::Registered
            | ComplaintStatus::NeedsInformation
            | ComplaintStatus::Accepted
            | ComplaintStatus::AwaitingDisposition
            | ComplaintStatus::Disposed
    )
}

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

/// The items of a comma-separated column.
pub fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Items as a comma-separated column.
pub fn join<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(",")
}

/// The requirements (R1-R6) intake found unmet.
pub fn unmet(case: &CaseRow) -> Vec<i32> {
    split(&case.unmet_requirements)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The SLA clock of a complaint as stored.
pub fn clock_of(case: &CaseRow) -> ClockState {
    ClockState {
        policy: case.sla_policy.clone(),
        stage: case.sla_stage.clone(),
        started_at: case.sla_started_at,
        pauses: ClockState::parse_pauses(&case.sla_pauses),
        stopped_at: case.sla_stopped_at,
    }
}

/// Stores `clock` on the complaint with the moment of its next alert.
pub fn refresh_clock(clocks: &Clocks, case: &mut CaseRow, clock: &ClockState) -> Result<()> {
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
    case.sla_next_alert_at =
        clocks.next_alert_at(&case.office_code, clock, case.sla_warned, case.sla_breached)?;
    Ok(())
}

/// How a complaint came in, as the documents name it.
pub fn channel_label(c: i32) -> &'static str {
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

/// The reference data of the tests (East Java).
#[cfg(test)]
pub(crate) mod fixtures {
    use aduan_refdata::RefData;

    /// East Java's offices, categories and calendars as shipped.
    pub fn refdata() -> RefData {
        RefData::load("35", None).unwrap()
    }
}
