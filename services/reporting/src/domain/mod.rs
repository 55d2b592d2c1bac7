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
//!
//! Modules: [`projection`] (every service's events folded into the complaint's projection and
//! its timeline coding), [`facts`] (what statistics count of a complaint), [`s15_report`] (the
//! handling report: draft, approval, return), [`s16_distribution`] (its deliveries and the
//! closing of the complaint).

pub mod facts;
pub mod projection;
pub mod s15_report;
pub mod s16_distribution;
pub mod statistics;

use std::collections::BTreeMap;

use aduan_calendar::Calendar;
use aduan_proto::common::v1::{Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{from_micros, from_proto, to_micros};
use aduan_spine::casefile::CaseFile;
use serde::{Deserialize, Serialize};

pub use facts::{bucket, fact_changes};
pub use projection::{detail_of, kind_of, trace_id};

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

/// When an event happened (microseconds; 0 when it has no valid time).
pub fn occurred(e: &LifecycleEvent) -> i64 {
    e.occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .unwrap_or(0)
}

/// Emits one of reporting's own lifecycle events on `file` at `now` (microseconds), folded into
/// the projection as received events are.
pub fn emit(
    file: &mut ReportFile,
    (step, status, detail): (Step, i32, Detail),
    who: &ActorRec,
    now: i64,
) -> LifecycleEvent {
    let e = file.event(SERVICE, step, who.to_pb(), from_micros(now), status, detail);
    Doc::fold(file, &e);
    e
}

/// What a step of the report changed besides the case file: reporting's own lifecycle events
/// (folded already), and a timeline note of a step that is no lifecycle event (a draft, a
/// return).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The events, in order.
    pub events: Vec<LifecycleEvent>,
    /// The timeline note: (kind, coded detail).
    pub note: Option<(&'static str, String)>,
}
