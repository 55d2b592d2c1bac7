//! Reporting's rules: the projection of one complaint built from every service's lifecycle
//! events (order-independent across services: each fact keeps the earliest or the latest time it
//! was seen), the facts statistics count, and the handling report's state machine (S15-S16).
//!
//! Report states:
//!
//! | state | meaning | next |
//! |---|---|---|
//! | (none) | feedback not in yet, or waiting for a first draft | draft (S15) |
//! | DRAFT | drafted by the Bidang | approve, return |
//! | RETURNED | returned with a coded reason | redraft |
//! | APPROVED | approved by the Kepala Bidang (S15) | deliveries (S16) |
//! | DISTRIBUTED | the complainant and the Head have it; the complaint is closed | more deliveries (agencies) |
//!
//! Nothing here is personal: the events carry ids, codes, dates and counts only, and the report
//! keeps codes. The case file is still sealed at rest like every case file (aduan_spine::casefile).

use std::collections::BTreeMap;

use aduan_calendar::Calendar;
use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::events::v1::{
    HandlingActivityKind, LifecycleEvent, ScreeningOutcome, lifecycle_event::Detail,
};
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{from_micros, from_proto, to_micros};
use aduan_spine::casefile::{CaseFile, SideRow, Value};
use serde::{Deserialize, Serialize};

/// The service name in events and the store.
pub const SERVICE: &str = "reporting";

/// A complaint's case file in reporting.
pub type ReportFile = CaseFile<Doc>;

/// Resolution of the working-day histograms: a bucket is a tenth of a working day.
pub const BUCKETS_PER_DAY: f64 = 10.0;

/// The steps whose working days statistics measure: (key, from, to, label in Bahasa Indonesia).
/// `from` and `to` are keys of [`Doc::reached`].
pub const DURATIONS: &[(&str, &str, &str, &str)] = &[
    ("S4", "S3", "S4", "Registrasi sampai penelaahan (S3-S4)"),
    (
        "S5",
        "S4",
        "S5",
        "Penelaahan sampai diteruskan ke Kepala Dinas (S4-S5)",
    ),
    (
        "S7",
        "S5",
        "S7",
        "Diteruskan sampai disposisi ke Bidang (S5-S7)",
    ),
    (
        "S12",
        "S7",
        "S12",
        "Disposisi sampai tanggapan disetujui (S7-S12)",
    ),
    (
        "S13",
        "S12",
        "S13",
        "Tanggapan disetujui sampai disampaikan (S12-S13)",
    ),
    (
        "S14",
        "S13",
        "S14",
        "Tanggapan disampaikan sampai umpan balik (S13-S14)",
    ),
    (
        "S15",
        "S14",
        "S15",
        "Umpan balik sampai laporan disetujui (S14-S15)",
    ),
    (
        "S16",
        "S15",
        "S16",
        "Laporan disetujui sampai disampaikan (S15-S16)",
    ),
    (
        "S2-S13",
        "S2",
        "S13",
        "Diterima sampai tanggapan disampaikan (S2-S13)",
    ),
];

/// The dimensions statistics count, in the order rows are written (a fixed order keeps the lock
/// order of the aggregate rows the same in every transaction).
pub const DIMS: &[&str] = &[
    "bidang",
    "category",
    "channel",
    "child",
    "distributed",
    "repeat",
    "sla",
    "status",
    "total",
    "violence_type",
];

/// The facts of a complaint: (dimension, key) pairs and (step, bucket) pairs.
pub type Facts = (Vec<(&'static str, String)>, Vec<(&'static str, i64)>);

/// One delivery of the report (S16).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionRec {
    /// RecipientKind as a number.
    pub recipient_kind: i32,
    /// For an agency: its code.
    pub agency_code: String,
    /// Channel as a number.
    pub channel: i32,
    /// When delivered (microseconds).
    pub delivered_at: i64,
    /// Who recorded it.
    pub recorded_by: ActorRec,
}

/// The handling report (S15) of a complaint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRec {
    /// The report's id.
    pub id: String,
    /// ReportState as a number.
    pub state: i32,
    /// Draft revision.
    pub revision: i32,
    /// Recommendation codes.
    pub recommendations: Vec<String>,
    /// Agency codes it is meant for.
    pub agencies: Vec<String>,
    /// Who drafted it.
    pub drafted_by: ActorRec,
    /// When (microseconds).
    pub drafted_at: i64,
    /// Who approved or returned it.
    pub reviewed_by: Option<ActorRec>,
    /// When (microseconds).
    pub reviewed_at: i64,
    /// ReturnReason as a number.
    pub return_reason: i32,
    /// Deliveries, oldest first.
    pub distributions: Vec<DistributionRec>,
}

/// Reporting's projection of one complaint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    /// Intake's registration has arrived.
    pub registered: bool,
    /// The registration number.
    pub registration_number: String,
    /// Channel as a number.
    pub channel: i32,
    /// Category code ("" when not given yet).
    pub category: String,
    /// SIMFONI-PPA form of violence of the first referral that gave one.
    pub violence_type: String,
    /// A child is involved.
    pub child: bool,
    /// The content is confidential (rahasia).
    pub confidential: bool,
    /// The reporter had complained to the office before (intake's blind-index count).
    pub repeat: bool,
    /// When it reached the office (microseconds).
    pub received_at: i64,
    /// The Bidang handling it.
    pub bidang: String,
    /// When the status was last set (microseconds; the status comes from the latest event).
    pub status_at: i64,
    /// When the office was last set (transfers move a complaint).
    pub office_at: i64,
    /// The first time each step was reached (microseconds): "S2" received, "S3" registered,
    /// "S4" screened, "S5" forwarded, "S7" disposed, "S8" handling, "S11" eligibility, "S12"
    /// response approved, "S13" delivered, "S14" feedback, "S15" report approved, "S16" report
    /// distributed, "closed".
    pub reached: BTreeMap<String, i64>,
    /// The SLA clock warned (since the last reopening).
    pub warned: bool,
    /// The SLA clock was breached at some point.
    pub breached: bool,
    /// The response reached the complainant (the clock stopped) and no reopening followed.
    pub stopped: bool,
    /// Why it was closed.
    pub close_reason: String,
    /// The complainant's last feedback: satisfied or not.
    pub satisfied: Option<bool>,
    /// The handling report.
    pub report: Option<ReportRec>,
    /// The facts last written for statistics ("dim:channel" -> key, "dur:S4" -> bucket), so a
    /// change writes only what changed.
    pub written: BTreeMap<String, String>,
}

/// The code of a channel, as statistics and CSV files name it.
pub fn channel_code(c: i32) -> &'static str {
    match Channel::try_from(c).unwrap_or(Channel::Unspecified) {
        Channel::Unspecified => "unspecified",
        Channel::WalkIn => "walk_in",
        Channel::Letter => "letter",
        Channel::Phone => "phone",
        Channel::Fax => "fax",
        Channel::Email => "email",
        Channel::PartnerApi => "partner_api",
        Channel::Web => "web",
    }
}

/// The Indonesian name of a channel.
pub fn channel_label(code: &str) -> &'static str {
    match code {
        "walk_in" => "Datang langsung",
        "letter" => "Surat",
        "phone" => "Telepon",
        "fax" => "Faksimile",
        "email" => "Surel (email)",
        "partner_api" => "Sistem lembaga mitra",
        "web" => "Formulir web",
        _ => "Tidak diketahui",
    }
}

/// The code of a status.
pub fn status_code(s: i32) -> &'static str {
    use ComplaintStatus as S;
    match S::try_from(s).unwrap_or(S::Unspecified) {
        S::Unspecified => "unspecified",
        S::Registered => "registered",
        S::NeedsInformation => "needs_information",
        S::Accepted => "accepted",
        S::Rejected => "rejected",
        S::Transferred => "transferred",
        S::ReferredOut => "referred_out",
        S::Duplicate => "duplicate",
        S::AwaitingDisposition => "awaiting_disposition",
        S::Disposed => "disposed",
        S::InHandling => "in_handling",
        S::ResponseReady => "response_ready",
        S::ResponseDelivered => "response_delivered",
        S::Reporting => "reporting",
        S::Closed => "closed",
    }
}

/// The Indonesian name of a status.
pub fn status_label(code: &str) -> &'static str {
    match code {
        "registered" => "Teregistrasi",
        "needs_information" => "Menunggu kelengkapan",
        "accepted" => "Diterima",
        "rejected" => "Ditolak",
        "transferred" => "Dilimpahkan",
        "referred_out" => "Dirujuk keluar",
        "duplicate" => "Duplikat",
        "awaiting_disposition" => "Menunggu disposisi",
        "disposed" => "Didisposisikan",
        "in_handling" => "Dalam penanganan",
        "response_ready" => "Tanggapan siap",
        "response_delivered" => "Tanggapan disampaikan",
        "reporting" => "Pelaporan",
        "closed" => "Selesai",
        _ => "Tidak diketahui",
    }
}

/// The Indonesian name of an SLA outcome.
pub fn sla_label(code: &str) -> &'static str {
    match code {
        "on_time" => "Tepat waktu",
        "late" => "Terlambat",
        "open" => "Berjalan",
        "at_risk" => "Berisiko terlambat",
        _ => "Tidak diketahui",
    }
}

/// yyyymm of a time in a calendar's time zone.
pub fn period_of(calendar: &Calendar, at: i64) -> i32 {
    let d = from_micros(at)
        .to_zoned(calendar.time_zone().clone())
        .date();
    i32::from(d.year()) * 100 + i32::from(d.month())
}

/// The trace id of an event's traceparent ("" when not traced).
pub fn trace_id(e: &LifecycleEvent) -> String {
    e.trace
        .as_ref()
        .and_then(|t| t.traceparent.split('-').nth(1))
        .filter(|t| t.len() == 32)
        .unwrap_or_default()
        .to_string()
}

/// The timeline kind of an event (as the outbox names it).
pub fn kind_of(e: &LifecycleEvent) -> String {
    match &e.detail {
        Some(Detail::HandlingActivity(a)) => {
            let k = HandlingActivityKind::try_from(a.kind).unwrap_or_default();
            let name = k
                .as_str_name()
                .trim_start_matches("HANDLING_ACTIVITY_KIND_");
            format!("handling_{}", name.to_ascii_lowercase())
        }
        _ => aduan_spine::casefile::event_type(e).to_string(),
    }
}

/// Coded details of an event for the timeline (codes, never free text).
pub fn detail_of(e: &LifecycleEvent) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut kv = |k: &str, v: String| {
        if !v.is_empty() {
            parts.push(format!("{k}={v}"));
        }
    };
    match &e.detail {
        Some(Detail::Registered(d)) => {
            kv("registration", d.registration_number.clone());
            kv("channel", channel_code(d.channel).to_string());
            kv("category", d.category_code.clone());
            if d.involves_child {
                kv("child", "yes".into());
            }
        }
        Some(Detail::Amended(d)) => {
            kv("revision", d.revision.to_string());
            kv("fields", d.changed_fields.join(","));
        }
        Some(Detail::Screened(d)) => {
            let o = ScreeningOutcome::try_from(d.outcome).unwrap_or_default();
            kv(
                "outcome",
                o.as_str_name()
                    .trim_start_matches("SCREENING_OUTCOME_")
                    .to_ascii_lowercase(),
            );
            if d.urgent {
                kv("urgent", "yes".into());
            }
            kv("to_office", d.target_office_code.clone());
            kv("agency", d.target_agency.clone());
        }
        Some(Detail::ForwardedToHead(d)) if d.urgent => kv("urgent", "yes".into()),
        Some(Detail::ForwardedToHead(_)) => {}
        Some(Detail::DispositionIssued(d)) => {
            kv("bidang", d.bidang_code.clone());
            kv("version", d.version.to_string());
            kv("instructions", d.instructions.join(","));
            if let Some(due) = &d.due_date {
                kv(
                    "due",
                    format!("{:04}-{:02}-{:02}", due.year, due.month, due.day),
                );
            }
        }
        Some(Detail::HandlingActivity(a)) => {
            kv("bidang", a.bidang_code.clone());
            kv("activity", a.activity_code.clone());
            kv("outcome", a.outcome_code.clone());
            kv("from_bidang", a.previous_bidang_code.clone());
            if a.response_version > 0 {
                kv("version", a.response_version.to_string());
            }
            kv("topics", a.topic_codes.join(","));
        }
        Some(Detail::EligibilityDecided(d)) => {
            kv("qualifies", if d.qualifies { "yes" } else { "no" }.into());
            kv("reason", d.reason_code.clone());
        }
        Some(Detail::ReferralMade(d)) => {
            kv("agency", d.agency.clone());
            kv("violence", d.violence_type_code.clone());
            kv("services", d.service_codes.join(","));
            kv(
                "consent",
                if d.consent_recorded {
                    "yes"
                } else {
                    "override"
                }
                .into(),
            );
        }
        Some(Detail::ReferralAnswered(d)) => {
            kv("agency", d.agency.clone());
            kv("accepted", if d.accepted { "yes" } else { "no" }.into());
        }
        Some(Detail::ResponseApproved(d)) => {
            kv("bidang", d.bidang_code.clone());
            kv("version", d.version.to_string());
            kv("outcome", d.outcome_code.clone());
        }
        Some(Detail::ResponseDelivered(d)) => {
            kv("channel", channel_code(d.channel).to_string());
            kv("version", d.version.to_string());
        }
        Some(Detail::FeedbackRecorded(d)) => {
            kv("satisfied", if d.satisfied { "yes" } else { "no" }.into());
            if d.reopens {
                kv("reopens", "yes".into());
            }
            kv("grounds", d.grounds_code.clone());
        }
        Some(Detail::SurveySubmitted(d)) => {
            kv("service", d.service_code.clone());
        }
        Some(Detail::HandlingReportApproved(_)) => {}
        Some(Detail::HandlingReportDistributed(d)) => {
            kv("recipient", d.recipient_kind.clone());
        }
        Some(Detail::SlaAlert(d)) => {
            kv(
                "alert",
                if d.breached { "breach" } else { "warning" }.into(),
            );
            kv("policy", d.policy_code.clone());
            kv("stage", d.stage.clone());
            kv("used", format!("{:.2}", d.working_days_used));
            kv("budget", format!("{:.2}", d.working_days_budget));
        }
        Some(Detail::Closed(d)) => kv("reason", d.reason_code.clone()),
        None => {}
    }
    parts.join(" ")
}

/// The events-table row of an event (`period`: its month in the office's calendar).
pub fn event_row(e: &LifecycleEvent, period: i32) -> SideRow {
    let actor = e.actor.clone().unwrap_or_default();
    let at = e
        .occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .unwrap_or(0);
    SideRow {
        table: "events",
        values: vec![
            ("event_id", Value::Text(e.event_id.clone())),
            ("complaint_id", Value::Text(e.complaint_id.clone())),
            ("office_code", Value::Text(e.office_code.clone())),
            ("source_service", Value::Text(e.source_service.clone())),
            ("sequence", Value::Int(e.sequence)),
            ("step", Value::Int(i64::from(e.step))),
            ("kind", Value::Text(kind_of(e))),
            ("status", Value::Int(i64::from(e.status))),
            ("occurred_at", Value::Int(at)),
            ("period", Value::Int(i64::from(period))),
            ("actor_subject", Value::Text(actor.subject)),
            ("actor_role", Value::Text(actor.role)),
            ("actor_office", Value::Text(actor.office_code)),
            ("detail", Value::Text(detail_of(e))),
            ("trace_id", Value::Text(trace_id(e))),
        ],
        key: &["event_id"],
    }
}

fn occurred(e: &LifecycleEvent) -> i64 {
    e.occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .unwrap_or(0)
}

impl Doc {
    fn reach(&mut self, step: &str, at: i64) {
        let e = self.reached.entry(step.to_string()).or_insert(at);
        if at < *e {
            *e = at;
        }
    }

    /// Folds one lifecycle event (from any service, in any order across services) into the
    /// projection; `file` is the case file whose office and status it may move.
    pub fn fold(file: &mut ReportFile, e: &LifecycleEvent) {
        let at = occurred(e);
        if at <= 0 {
            // An event without a time cannot be placed; it changes no step, status or office.
            return;
        }
        let d = &mut file.body;
        if e.status != 0 && at >= d.status_at && moves_status(file.status, e) {
            d.status_at = at;
            file.status = e.status;
        }
        // Only triage moves a complaint to another office (a transfer at S4); the office another
        // service states is taken only for a complaint first seen through it (issue 12: a
        // later event of another service cannot move the complaint to another office).
        let moves_office = e.source_service == "triage" || d.office_at == 0;
        if !e.office_code.is_empty() && at >= d.office_at && moves_office {
            d.office_at = at;
            file.office_code = e.office_code.clone();
        }
        match &e.detail {
            Some(Detail::Registered(r)) => {
                d.registered = true;
                d.registration_number = r.registration_number.clone();
                d.channel = r.channel;
                d.category = r.category_code.clone();
                d.child = r.involves_child;
                d.confidential = r.confidential;
                d.repeat = r.reporter_prior_complaints > 0;
                let received = r
                    .received_at
                    .as_ref()
                    .and_then(from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                d.received_at = received;
                d.reach("S2", received);
                d.reach("S3", at);
            }
            Some(Detail::Amended(a)) => {
                if !a.category_code.is_empty() {
                    d.category = a.category_code.clone();
                }
                d.child = a.involves_child;
                d.confidential = a.confidential;
            }
            Some(Detail::Screened(_)) => d.reach("S4", at),
            Some(Detail::ForwardedToHead(_)) => d.reach("S5", at),
            Some(Detail::DispositionIssued(x)) => {
                d.reach("S7", at);
                if !x.bidang_code.is_empty() {
                    d.bidang = x.bidang_code.clone();
                }
            }
            Some(Detail::HandlingActivity(a)) => {
                d.reach("S8", at);
                let moved = a.kind == HandlingActivityKind::Moved as i32
                    || a.kind == HandlingActivityKind::CaseOpened as i32;
                if moved && !a.bidang_code.is_empty() {
                    d.bidang = a.bidang_code.clone();
                }
                if a.kind == HandlingActivityKind::Reopened as i32 {
                    d.warned = false;
                    d.stopped = false;
                }
            }
            Some(Detail::EligibilityDecided(_)) => d.reach("S11", at),
            Some(Detail::ReferralMade(r)) if d.violence_type.is_empty() => {
                d.violence_type = r.violence_type_code.clone();
            }
            Some(Detail::ReferralMade(_)) => {}
            Some(Detail::ReferralAnswered(_)) => {}
            Some(Detail::ResponseApproved(r)) => {
                d.reach("S12", at);
                if !r.bidang_code.is_empty() {
                    d.bidang = r.bidang_code.clone();
                }
            }
            Some(Detail::ResponseDelivered(x)) => {
                let when = x
                    .delivered_at
                    .as_ref()
                    .and_then(from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                d.reach("S13", when);
                d.stopped = true;
            }
            Some(Detail::FeedbackRecorded(f)) => {
                d.reach("S14", at);
                d.satisfied = Some(f.satisfied);
                if f.reopens {
                    d.stopped = false;
                    d.warned = false;
                }
            }
            Some(Detail::SurveySubmitted(_)) => {}
            Some(Detail::HandlingReportApproved(_)) => d.reach("S15", at),
            Some(Detail::HandlingReportDistributed(_)) => {}
            Some(Detail::SlaAlert(s)) => {
                if s.breached {
                    d.breached = true;
                } else {
                    d.warned = true;
                }
            }
            Some(Detail::Closed(c)) => {
                d.reach("closed", at);
                d.close_reason = c.reason_code.clone();
            }
            None => {}
        }
    }

    /// The SLA outcome with the complaint's `status`: late (breached at some point), on_time
    /// (delivered, or finished within the budget: closed, or rejected, referred out or a
    /// duplicate at screening), at_risk (running, warned) or open (running).
    pub fn sla(&self, status: i32) -> &'static str {
        use ComplaintStatus as S;
        let finished = matches!(
            S::try_from(status),
            Ok(S::Closed | S::Rejected | S::ReferredOut | S::Duplicate)
        );
        if self.breached {
            "late"
        } else if self.stopped || finished || self.reached.contains_key("closed") {
            "on_time"
        } else if self.warned {
            "at_risk"
        } else {
            "open"
        }
    }

    /// The report was handed to the complainant and the Head.
    pub fn distributed(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(|r| r.state == crate::pb::ReportState::Distributed as i32)
    }

    /// The facts of this complaint for statistics: (dimension, key) and (step, bucket).
    pub fn facts(&self, status: i32, calendar: &Calendar) -> Facts {
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        let dims = vec![
            ("bidang", self.bidang.clone()),
            ("category", self.category.clone()),
            ("channel", channel_code(self.channel).to_string()),
            ("child", flag(self.child)),
            ("distributed", flag(self.distributed())),
            ("repeat", flag(self.repeat)),
            ("sla", self.sla(status).to_string()),
            ("status", status_code(status).to_string()),
            ("total", "all".to_string()),
            ("violence_type", self.violence_type.clone()),
        ];
        let mut durations = Vec::new();
        for (key, from, to, _) in DURATIONS {
            if let (Some(a), Some(b)) = (self.reached.get(*from), self.reached.get(*to)) {
                let wd = calendar
                    .working_days_between(from_micros(*a), from_micros(*b))
                    .max(0.0);
                durations.push((*key, bucket(wd)));
            }
        }
        (dims, durations)
    }
}

/// Whether an event's status is the complaint's status from now on. Some events carry the status
/// their service last knew, which can be behind the complaint's: intake's amendments (intake
/// keeps REGISTERED; they count only to take a complaint back from NEEDS_INFORMATION), triage's
/// SLA alerts and feedback's surveys. A closed complaint stays closed.
fn moves_status(current: i32, e: &LifecycleEvent) -> bool {
    if current == ComplaintStatus::Closed as i32 {
        return false;
    }
    match &e.detail {
        Some(Detail::Amended(_)) => current == ComplaintStatus::NeedsInformation as i32,
        Some(Detail::SlaAlert(_) | Detail::SurveySubmitted(_)) => false,
        _ => true,
    }
}

/// The histogram bucket of a number of working days (tenths, rounded up: 0.21 is bucket 3).
pub fn bucket(working_days: f64) -> i64 {
    if !working_days.is_finite() || working_days <= 0.0 {
        return 0;
    }
    (working_days * BUCKETS_PER_DAY).ceil().min(1_000_000.0) as i64
}

/// The side rows that bring the statistics of `file` up to date, and the record of what was
/// written. Nothing is written before the registration arrives (the period is not known).
pub fn fact_rows(file: &mut ReportFile, calendar: &Calendar) -> Vec<SideRow> {
    if !file.body.registered {
        return Vec::new();
    }
    let period = period_of(calendar, file.body.received_at);
    let (dims, durations) = file.body.facts(file.status, calendar);
    let office = file.office_code.clone();
    let stamp = format!("{office}@{period}");
    let moved = file.body.written.get("scope").map(String::as_str) != Some(stamp.as_str());
    let mut rows = Vec::new();
    for (dim, key) in dims {
        let slot = format!("dim:{dim}");
        if !moved && file.body.written.get(&slot) == Some(&key) {
            continue;
        }
        rows.push(SideRow {
            table: "fact_dims",
            values: vec![
                ("complaint_id", Value::Text(file.complaint_id.clone())),
                ("dim", Value::Text(dim.to_string())),
                ("office_code", Value::Text(office.clone())),
                ("period", Value::Int(i64::from(period))),
                ("key", Value::Text(key.clone())),
            ],
            key: &["complaint_id", "dim"],
        });
        file.body.written.insert(slot, key);
    }
    for (step, b) in durations {
        let slot = format!("dur:{step}");
        let key = b.to_string();
        if !moved && file.body.written.get(&slot) == Some(&key) {
            continue;
        }
        rows.push(SideRow {
            table: "fact_durations",
            values: vec![
                ("complaint_id", Value::Text(file.complaint_id.clone())),
                ("step", Value::Text(step.to_string())),
                ("office_code", Value::Text(office.clone())),
                ("period", Value::Int(i64::from(period))),
                ("bucket", Value::Int(b)),
            ],
            key: &["complaint_id", "step"],
        });
        file.body.written.insert(slot, key);
    }
    file.body.written.insert("scope".into(), stamp);
    rows
}

/// The survey row of a SurveySubmitted event (scores only), or None when the scores are not
/// nine values of 1-4.
pub fn survey_row(
    e: &LifecycleEvent,
    s: &aduan_proto::events::v1::SurveySubmitted,
    period: i32,
) -> Option<SideRow> {
    if s.scores.len() != 9 || s.scores.iter().any(|x| !(1..=4).contains(x)) {
        return None;
    }
    const COLS: [&str; 9] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];
    let mut values = vec![
        ("survey_id", Value::Text(s.survey_id.clone())),
        ("office_code", Value::Text(e.office_code.clone())),
        ("period", Value::Int(i64::from(period))),
        ("service_code", Value::Text(s.service_code.clone())),
    ];
    for (c, v) in COLS.iter().zip(&s.scores) {
        values.push((c, Value::Int(i64::from(*v))));
    }
    Some(SideRow {
        table: "survey_facts",
        values,
        key: &["survey_id"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_tenths_rounded_up() {
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(-1.0), 0);
        assert_eq!(bucket(f64::NAN), 0);
        assert_eq!(bucket(0.21), 3);
        assert_eq!(bucket(1.0), 10);
        assert_eq!(bucket(4.05), 41);
    }

    #[test]
    fn stale_statuses_do_not_move_the_complaint_back() {
        use aduan_proto::events::v1 as ev;
        let at = |secs: i64| {
            Some(prost_types::Timestamp {
                seconds: secs,
                nanos: 0,
            })
        };
        let event = |secs, status: ComplaintStatus, office: &str, detail| LifecycleEvent {
            occurred_at: at(secs),
            status: status as i32,
            office_code: office.into(),
            detail: Some(detail),
            ..Default::default()
        };
        let mut f = ReportFile {
            complaint_id: "c".into(),
            office_code: "35.27".into(),
            unit: String::new(),
            status: 0,
            assignees: Vec::new(),
            next_at: None,
            event_seq: 0,
            opened_at: 0,
            updated_at: 0,
            body: Doc::default(),
        };
        let approved = Detail::ResponseApproved(ev::ResponseApproved::default());
        Doc::fold(
            &mut f,
            &event(100, ComplaintStatus::ResponseReady, "35.26", approved),
        );
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::ResponseReady as i32, "35.26")
        );
        // Intake's amendment carries REGISTERED and the registering office.
        let amended = Detail::Amended(ev::ComplaintAmended::default());
        Doc::fold(
            &mut f,
            &event(200, ComplaintStatus::Registered, "35.27", amended.clone()),
        );
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::ResponseReady as i32, "35.26")
        );
        let alert = Detail::SlaAlert(ev::SlaAlert::default());
        Doc::fold(
            &mut f,
            &event(300, ComplaintStatus::Disposed, "35.26", alert),
        );
        assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
        let closed = Detail::Closed(ev::ComplaintClosed::default());
        Doc::fold(
            &mut f,
            &event(400, ComplaintStatus::Closed, "35.26", closed),
        );
        let survey = Detail::SurveySubmitted(ev::SurveySubmitted::default());
        Doc::fold(
            &mut f,
            &event(500, ComplaintStatus::Reporting, "35.26", survey),
        );
        let delivered = Detail::ResponseDelivered(ev::ResponseDelivered::default());
        Doc::fold(
            &mut f,
            &event(600, ComplaintStatus::ResponseDelivered, "35.26", delivered),
        );
        assert_eq!(
            f.status,
            ComplaintStatus::Closed as i32,
            "closed stays closed"
        );
        // Back from NEEDS_INFORMATION an amendment counts; an event without a time changes nothing.
        f.status = ComplaintStatus::NeedsInformation as i32;
        Doc::fold(
            &mut f,
            &event(700, ComplaintStatus::Registered, "35.27", amended),
        );
        assert_eq!(f.status, ComplaintStatus::Registered as i32);
        let mut untimed = event(
            0,
            ComplaintStatus::Closed,
            "35.01",
            Detail::Closed(ev::ComplaintClosed::default()),
        );
        untimed.occurred_at = None;
        Doc::fold(&mut f, &untimed);
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::Registered as i32, "35.26")
        );
        assert_eq!(
            f.body.reached.get("closed"),
            Some(&400_000_000),
            "not moved to 1970"
        );
    }

    #[test]
    fn sla_outcome_follows_the_clock() {
        let running = ComplaintStatus::InHandling as i32;
        let mut d = Doc::default();
        assert_eq!(d.sla(running), "open");
        assert_eq!(d.sla(ComplaintStatus::Rejected as i32), "on_time");
        d.warned = true;
        assert_eq!(d.sla(running), "at_risk");
        d.stopped = true;
        assert_eq!(d.sla(running), "on_time");
        d.breached = true;
        assert_eq!(d.sla(running), "late");
    }
}
