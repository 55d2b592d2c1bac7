//! Reporting benchmark (a benchmark, not a test; issue 5 item 8): loads N de-identified
//! complaints (default 1,000,000) over the 38 offices of Jawa Timur and three years
//! (2024-01..2026-12) into reporting's store, then times the monthly province statistics the
//! service answers from its pre-aggregated tables against a plain GROUP BY over the raw events
//! on the same database.
//!
//! Each complaint gets a plausible lifecycle of lifecycle events (registration with channel,
//! category, child and repeat flags; screening, with some rejected, transferred, referred out,
//! duplicates or waiting for information; forwarding; disposition to a Bidang; handling
//! activities; eligibility; a referral with a SIMFONI-PPA form of violence for violence
//! categories; the response drafted, sometimes returned, approved and delivered; the
//! complainant's feedback, sometimes reopening the case, or closing by silence; a survey with
//! nine scores; SLA warnings and breaches; the handling report drafted, approved and distributed;
//! closing) with working-day gaps on each office's calendar, cut off at the end of 2026 (so the
//! last weeks' complaints are still open). The events are folded with reporting's own
//! `Doc::fold` into its case file, and the rows written are the service's own: `event_row`,
//! `survey_row` and `fact_rows`, so the data is what the service would have written had it
//! received these events one by one. The sealed case files (`cases`) and the reporting queue
//! are not written: statistics do not read them.
//!
//! The load goes through `Reporting::begin_bulk_load` (statistics triggers off), `bulk_insert`
//! (PostgreSQL COPY, SQLite multi-row INSERTs) and `finish_bulk_load` (triggers on and the
//! statistics recomputed in one transaction), then `analyze`.
//!
//! aduan-report-bench --db postgres://…/aduan_report_bench              # load 1,000,000 and measure
//! aduan-report-bench --db sqlite:/tmp/r.db --complaints 100000
//! aduan-report-bench --db postgres://… --no-load                       # measure what is there

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use aduan::Config;
use aduan_bench::JATIM;
use aduan_proto::common::v1::{Actor, Channel, ComplaintStatus as St, Date as PbDate, Step};
use aduan_proto::events::v1::{
    self as ev, HandlingActivityKind as Hk, LifecycleEvent, ScreeningOutcome,
    lifecycle_event::Detail,
};
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
use aduan_reporting::domain::{self, ActorRec, DistributionRec, Doc, ReportFile, ReportRec};
use aduan_reporting::pb::{RecipientKind, ReportState};
use aduan_reporting::stats::Scope;
use aduan_reporting::store;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::time::{from_micros, to_micros, to_proto};
use aduan_spine::casefile::{CaseFile, SideRow, Value};
use clap::Parser;
use jiff::Timestamp;
use jiff::civil::Date;

#[derive(Debug, Parser)]
#[command(about = "Reporting: bulk-load de-identified complaints, then time the statistics")]
struct Args {
    /// Reporting's database: postgres://… (an empty database) or sqlite:…
    #[arg(long, env = "ADUAN_REPORT_BENCH_DB")]
    db: String,
    /// Complaints to generate.
    #[arg(long, default_value_t = 1_000_000)]
    complaints: usize,
    /// Seed of the generator (the same seed gives the same data).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Measure what the database holds; load nothing.
    #[arg(long)]
    no_load: bool,
    /// Load only; measure nothing.
    #[arg(long)]
    no_measure: bool,
    /// The month measured, yyyy-mm.
    #[arg(long, default_value = "2026-11")]
    month: String,
    /// The office measured alone.
    #[arg(long, default_value = "35.27")]
    office: String,
    /// Generate every complaint in this one office (the console's office dashboard benchmark,
    /// issue 15); default: the 38 offices of Jawa Timur by their weights.
    #[arg(long)]
    only_office: Option<String>,
    /// Timed repetitions per query (fewer when a query would run longer than --max-seconds).
    #[arg(long, default_value_t = 500)]
    repetitions: usize,
    /// Longest time spent repeating one query, in seconds (at least 5 repetitions are made).
    #[arg(long, default_value_t = 30.0)]
    max_seconds: f64,
    /// Complaints per bulk-insert transaction.
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Print the plans of the plain GROUP BY (EXPLAIN ANALYZE).
    #[arg(long)]
    explain: bool,
    /// Before measuring, recompute the statistics (`rebuild_statistics`, then `analyze`) and
    /// time it (with --no-load: on what the database holds).
    #[arg(long)]
    rebuild: bool,
    /// Before measuring, compare the statistics with a recomputation from the facts
    /// (`statistics_drift`) and print how many rows differ.
    #[arg(long)]
    check: bool,
}

// ---------------------------------------------------------------------------------------------
// A small deterministic generator (SplitMix64).

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.f() * n as f64) as usize).min(n.saturating_sub(1))
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    fn normal(&mut self) -> f64 {
        let u = self.f().max(1e-12);
        let v = self.f();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f() * total;
        for (t, w) in items {
            if x < *w {
                return t;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    fn bytes10(&mut self) -> [u8; 10] {
        let a = self.next().to_le_bytes();
        let b = self.next().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    }

    /// A UUIDv7 of `at` (what `Uuid::now_v7` gives at that instant).
    fn uuid_at(&mut self, at: Timestamp) -> String {
        let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(ms, &self.bytes10())
            .into_uuid()
            .to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// The mix of complaints.

const CHANNELS: &[(Channel, f64)] = &[
    (Channel::WalkIn, 0.38),
    (Channel::Phone, 0.20),
    (Channel::Email, 0.14),
    (Channel::PartnerApi, 0.14),
    (Channel::Letter, 0.12),
    (Channel::Fax, 0.02),
];

const CATEGORIES: &[(&str, f64)] = &[
    ("bantuan_sosial", 0.26),
    ("data_kesejahteraan_sosial", 0.14),
    ("jaminan_sosial", 0.08),
    ("kekerasan_anak", 0.08),
    ("kekerasan_perempuan", 0.08),
    ("konseling_keluarga", 0.07),
    ("pelayanan_dinas", 0.035),
    ("penelantaran_anak", 0.03),
    ("perkawinan_anak", 0.03),
    ("korban_bencana", 0.03),
    ("disabilitas", 0.03),
    ("lanjut_usia", 0.03),
    ("pemberdayaan_sosial", 0.03),
    ("anak_berhadapan_hukum", 0.02),
    ("tuna_sosial", 0.02),
    ("eksploitasi_anak", 0.01),
    ("korban_napza", 0.01),
    ("perdagangan_orang", 0.005),
];

const BIDANG: &[&str] = &["rehsos", "linjamsos", "dayasos", "pp", "pa", "uptd_ppa"];

fn violence_types(category: &str) -> &'static [(&'static str, f64)] {
    match category {
        "kekerasan_anak" => &[
            ("fisik", 0.4),
            ("psikis", 0.25),
            ("seksual", 0.3),
            ("penelantaran", 0.05),
        ],
        "kekerasan_perempuan" => &[
            ("fisik", 0.45),
            ("psikis", 0.35),
            ("seksual", 0.15),
            ("eksploitasi", 0.05),
        ],
        "perdagangan_orang" => &[("trafficking", 1.0)],
        "eksploitasi_anak" => &[("eksploitasi", 1.0)],
        "penelantaran_anak" => &[("penelantaran", 1.0)],
        _ => &[("lainnya", 1.0)],
    }
}

fn office_weight(code: &str) -> f64 {
    match code {
        "35.78" => 3.0,                     // Kota Surabaya
        "35.07" | "35.09" | "35.15" => 2.0, // Kab. Malang, Jember, Sidoarjo
        c if c[3..].starts_with('7') => 0.5,
        _ => 1.0,
    }
}

/// The end of the generated history: complaints still open then stay open.
fn horizon() -> Timestamp {
    "2026-12-31T16:59:59Z".parse().expect("a timestamp")
}

fn first_day() -> Date {
    Date::constant(2024, 1, 1)
}

const DAYS: i64 = 1096; // 2024-01-01 ..= 2026-12-31

/// Where each complaint starts: its received time, office and channel (sorted by time, so
/// registration numbers follow the order of arrival).
#[derive(Clone, Copy)]
struct Seed {
    received: i64,
    index: u32,
    office: u8,
    channel: u8,
}

struct World {
    seed: u64,
    offices: Vec<String>,
    office_weights: Vec<(usize, f64)>,
    calendars: Arc<OfficeCalendars>,
    refdata: Arc<RefData>,
    horizon: i64,
}

fn seeds(w: &World, n: usize) -> Vec<Seed> {
    let cals: Vec<_> = w.offices.iter().map(|o| w.calendars.calendar(o)).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut r = Rng::new(w.seed, i as u64 * 2);
        let office = *r.pick(&w.office_weights);
        let c = *r.pick(CHANNELS);
        let channel = CHANNELS.iter().position(|x| x.0 == c).unwrap_or(0);
        // Slowly growing volume: 20 % more at the end than at the start.
        let day = loop {
            let d = r.below(DAYS as usize) as i64;
            if r.f() * 1.2 < 1.0 + 0.2 * d as f64 / DAYS as f64 {
                break d;
            }
        };
        let cal = &cals[office];
        let mut date = first_day()
            .checked_add(jiff::Span::new().days(day))
            .unwrap_or(first_day());
        let at_desk = !matches!(CHANNELS[channel].0, Channel::Email | Channel::PartnerApi);
        let (h0, h1) = if at_desk { (7.5, 15.75) } else { (0.0, 24.0) };
        if at_desk && !cal.is_working_day(date) {
            date = cal.next_working_day(date).unwrap_or(date);
        }
        let secs = ((h0 + r.f() * (h1 - h0)) * 3600.0) as i64;
        let local = date.to_datetime(jiff::civil::Time::midnight())
            + jiff::Span::new().seconds(secs.min(86_399));
        let Ok(z) = local.to_zoned(cal.time_zone().clone()) else {
            continue;
        };
        out.push(Seed {
            received: to_micros(z.timestamp()),
            index: i as u32,
            office: office as u8,
            channel: channel as u8,
        });
    }
    out.sort_by_key(|s| (s.received, s.index));
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Svc {
    Intake,
    Triage,
    Investigation,
    Feedback,
    Reporting,
}

impl Svc {
    fn name(self) -> &'static str {
        match self {
            Svc::Intake => "intake",
            Svc::Triage => "triage",
            Svc::Investigation => "investigation",
            Svc::Feedback => "feedback",
            Svc::Reporting => "reporting",
        }
    }
}

/// One complaint's events as its services would emit them.
struct Life {
    id: String,
    office: String,
    horizon: i64,
    seq: [i64; 5],
    /// Events, and for reporting's local timeline rows (a draft) their kind and detail.
    events: Vec<(LifecycleEvent, Option<(&'static str, String)>)>,
    cut: bool,
    /// The id of reporting's closing event (S16), should the report be distributed.
    close_id: String,
}

fn actor(subject: &str, role: &str, office: &str) -> Actor {
    Actor {
        subject: subject.to_string(),
        role: role.to_string(),
        office_code: office.to_string(),
    }
}

impl Life {
    /// Adds an event unless it falls after the horizon (then the complaint stays where it is).
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        r: &mut Rng,
        svc: Svc,
        step: Step,
        status: St,
        at: Timestamp,
        who: Actor,
        detail: Detail,
    ) -> bool {
        if self.cut || to_micros(at) > self.horizon {
            self.cut = true;
            return false;
        }
        let s = &mut self.seq[svc as usize];
        *s += 1;
        let e = LifecycleEvent {
            event_id: r.uuid_at(at),
            complaint_id: self.id.clone(),
            office_code: self.office.clone(),
            step: step as i32,
            occurred_at: Some(to_proto(at)),
            source_service: svc.name().into(),
            actor: Some(who),
            trace: None,
            sequence: *s,
            status: status as i32,
            detail: Some(detail),
        };
        self.events.push((e, None));
        true
    }

    /// Reporting's timeline row of a draft (not a lifecycle event).
    fn local(&mut self, r: &mut Rng, at: Timestamp, who: Actor, kind: &'static str, d: String) {
        if self.cut || to_micros(at) > self.horizon {
            self.cut = true;
            return;
        }
        let e = LifecycleEvent {
            event_id: r.uuid_at(at),
            complaint_id: self.id.clone(),
            office_code: self.office.clone(),
            step: Step::S15HandlingReport as i32,
            occurred_at: Some(to_proto(at)),
            source_service: "reporting".into(),
            actor: Some(who),
            trace: None,
            sequence: 0,
            status: 0,
            detail: None,
        };
        self.events.push((e, Some((kind, d))));
    }
}

fn at_of(e: &LifecycleEvent) -> i64 {
    e.occurred_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(to_micros)
        .unwrap_or(0)
}

fn activity(kind: Hk, bidang: &str, code: &str) -> Detail {
    Detail::HandlingActivity(ev::HandlingActivity {
        kind: kind as i32,
        bidang_code: bidang.into(),
        activity_code: code.into(),
        ..Default::default()
    })
}

/// Registration numbers: a sequence per office and year.
type Counters = HashMap<(u8, i16), i64>;

/// The rows of one complaint: its events, survey and facts. Empty when it was received after
/// the horizon's registration cut-off.
fn complaint_rows(w: &World, s: &Seed, counters: &mut Counters) -> Vec<SideRow> {
    let mut r = Rng::new(w.seed, s.index as u64 * 2 + 1);
    let office = w.offices[s.office as usize].clone();
    let cal = w.calendars.calendar(&office);
    let channel = CHANNELS[s.channel as usize].0;
    let category = *r.pick(CATEGORIES);
    let cat = w.refdata.category(category);
    let violence = cat.is_some_and(|c| c.violence);
    let puspaga = cat.is_some_and(|c| c.puspaga);
    let child = cat.is_some_and(|c| c.child) || category == "kekerasan_anak" || r.chance(0.1);
    let usual_bidang = cat.map(|c| c.bidang.clone()).unwrap_or_default();

    // Working-day gaps: log-normal around a median.
    let gap = |r: &mut Rng, t: Timestamp, median: f64, sigma: f64| -> Timestamp {
        let wd = (median * (sigma * r.normal()).exp()).clamp(0.005, 60.0);
        cal.advance(t, wd).unwrap_or(t)
    };
    let received = from_micros(s.received);
    let mut life = Life {
        id: r.uuid_at(received),
        office: office.clone(),
        horizon: w.horizon,
        seq: [0; 5],
        events: Vec::new(),
        cut: false,
        close_id: String::new(),
    };
    let unit = format!("unit-{}", 1 + r.below(3));
    let co = actor(&unit, "complaints_officer", &office);
    let head = actor("kadis", "head", &office);
    let system = actor("system", "service", "");

    // S3: registration.
    let t = gap(&mut r, received, 0.05, 1.0);
    let year = t.to_zoned(cal.time_zone().clone()).year();
    let seq = counters.entry((s.office, year)).or_insert(0);
    *seq += 1;
    let registration_number = format!("{office}-{year}-{:06}", *seq);
    let registered = ev::ComplaintRegistered {
        registration_number: registration_number.clone(),
        channel: channel as i32,
        received_at: Some(to_proto(received)),
        category_code: category.into(),
        reporter_identified: !r.chance(0.05),
        anonymous: r.chance(0.04),
        confidential: violence && r.chance(0.6),
        involves_child: child,
        reporter_prior_complaints: if r.chance(0.08) {
            1 + r.below(3) as i32
        } else {
            0
        },
        ..Default::default()
    };
    let reg_at = t;
    if !life.push(
        &mut r,
        Svc::Intake,
        Step::S3Registered,
        St::Registered,
        t,
        co.clone(),
        Detail::Registered(registered),
    ) {
        return Vec::new();
    }

    // S4: screening.
    let outcome = *r.pick(&[
        (ScreeningOutcome::Accepted, 0.86),
        (ScreeningOutcome::NeedsInformation, 0.04),
        (ScreeningOutcome::RejectedSuratKaleng, 0.03),
        (ScreeningOutcome::Transferred, 0.03),
        (ScreeningOutcome::ReferredOut, 0.02),
        (ScreeningOutcome::Duplicate, 0.02),
    ]);
    let urgent = violence && r.chance(0.5);
    let mut t = gap(&mut r, t, 0.3, 0.9);
    let mut clock_end: Option<Timestamp> = None;
    let screened = |o: ScreeningOutcome, r: &mut Rng| ev::ComplaintScreened {
        outcome: o as i32,
        urgent,
        target_office_code: if o == ScreeningOutcome::Transferred {
            JATIM[r.below(JATIM.len())].to_string()
        } else {
            String::new()
        },
        target_agency: if o == ScreeningOutcome::ReferredOut {
            "polres".into()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let status_of = |o: ScreeningOutcome| match o {
        ScreeningOutcome::Accepted => St::Accepted,
        ScreeningOutcome::NeedsInformation => St::NeedsInformation,
        ScreeningOutcome::RejectedSuratKaleng => St::Rejected,
        ScreeningOutcome::Transferred => St::Transferred,
        ScreeningOutcome::ReferredOut => St::ReferredOut,
        _ => St::Duplicate,
    };
    let d = screened(outcome, &mut r);
    life.push(
        &mut r,
        Svc::Triage,
        Step::S4Screened,
        status_of(outcome),
        t,
        co.clone(),
        Detail::Screened(d),
    );
    let mut accepted = outcome == ScreeningOutcome::Accepted;
    let alerts = outcome != ScreeningOutcome::NeedsInformation;
    if !accepted {
        clock_end = Some(t);
    }
    if outcome == ScreeningOutcome::NeedsInformation && r.chance(0.7) {
        // The complainant completes it; screened again.
        t = gap(&mut r, t, 4.0, 0.6);
        life.push(
            &mut r,
            Svc::Intake,
            Step::S3Registered,
            St::Registered,
            t,
            co.clone(),
            Detail::Amended(ev::ComplaintAmended {
                revision: 2,
                changed_fields: vec!["content.chronology".into()],
                category_code: category.into(),
                involves_child: child,
                ..Default::default()
            }),
        );
        t = gap(&mut r, t, 0.3, 0.8);
        let d = screened(ScreeningOutcome::Accepted, &mut r);
        life.push(
            &mut r,
            Svc::Triage,
            Step::S4Screened,
            St::Accepted,
            t,
            co.clone(),
            Detail::Screened(d),
        );
        accepted = true;
        clock_end = None;
    }

    let mut reopened_at = None;
    let mut delivered_first = None;
    let mut delivered_again = None;
    if accepted {
        // S5, S7.
        t = gap(&mut r, t, 0.2, 0.9);
        life.push(
            &mut r,
            Svc::Triage,
            Step::S5ForwardedToHead,
            St::AwaitingDisposition,
            t,
            co.clone(),
            Detail::ForwardedToHead(ev::ForwardedToHead { urgent }),
        );
        t = gap(&mut r, t, 0.4, 0.9);
        let bidang = if usual_bidang.is_empty() || r.chance(0.15) {
            BIDANG[r.below(BIDANG.len())].to_string()
        } else {
            usual_bidang.clone()
        };
        let due = cal
            .add_working_days(t, 10)
            .map(|d| d.due.to_zoned(cal.time_zone().clone()).date())
            .unwrap_or(Date::constant(2027, 1, 1));
        life.push(
            &mut r,
            Svc::Triage,
            Step::S7DisposedToBidang,
            St::Disposed,
            t,
            head.clone(),
            Detail::DispositionIssued(ev::DispositionIssued {
                bidang_code: bidang.clone(),
                instructions: vec!["untuk_ditindaklanjuti".into()],
                due_date: Some(PbDate {
                    year: due.year().into(),
                    month: due.month().into(),
                    day: due.day().into(),
                }),
                version: 1,
                registration_number: registration_number.clone(),
                category_code: category.into(),
            }),
        );
        let kabid = actor(&format!("kabid-{bidang}"), "bidang_head", &office);
        let officer = actor(
            &format!("petugas-{}", 1 + r.below(4)),
            if puspaga {
                "counsellor"
            } else {
                "bidang_officer"
            },
            &office,
        );
        // S8-S11: the case opens in the Bidang and is handled.
        t = gap(&mut r, t, 0.02, 0.8);
        life.push(
            &mut r,
            Svc::Investigation,
            Step::S7DisposedToBidang,
            St::InHandling,
            t,
            system.clone(),
            activity(Hk::CaseOpened, &bidang, "opened.disposition"),
        );
        t = gap(&mut r, t, 0.1, 0.9);
        let mut assign = activity(Hk::Assignment, &bidang, "assigned");
        if let Detail::HandlingActivity(a) = &mut assign {
            a.assignee_count = 1 + r.below(2) as i32;
        }
        life.push(
            &mut r,
            Svc::Investigation,
            Step::S8Clarification,
            St::InHandling,
            t,
            kabid.clone(),
            assign,
        );
        t = gap(&mut r, t, 0.5, 0.8);
        life.push(
            &mut r,
            Svc::Investigation,
            Step::S8Clarification,
            St::InHandling,
            t,
            officer.clone(),
            activity(Hk::Clarification, &bidang, "clarification.phone"),
        );
        if r.chance(0.35) {
            t = gap(&mut r, t, 0.5, 0.8);
            life.push(
                &mut r,
                Svc::Investigation,
                Step::S9Interview,
                St::InHandling,
                t,
                officer.clone(),
                activity(Hk::Interview, &bidang, "interview.reported_party"),
            );
        }
        if r.chance(0.25) {
            t = gap(&mut r, t, 0.6, 0.8);
            life.push(
                &mut r,
                Svc::Investigation,
                Step::S10DataCollection,
                St::InHandling,
                t,
                officer.clone(),
                activity(Hk::DataCollection, &bidang, "data.dtsen"),
            );
        }
        if puspaga {
            for _ in 0..1 + r.below(3) {
                t = gap(&mut r, t, 1.5, 0.6);
                let mut session = activity(Hk::Session, &bidang, "session.counselling");
                if let Detail::HandlingActivity(a) = &mut session {
                    a.topic_codes = vec!["pengasuhan".into()];
                }
                life.push(
                    &mut r,
                    Svc::Investigation,
                    Step::S11InvestigationMediation,
                    St::InHandling,
                    t,
                    officer.clone(),
                    session,
                );
            }
        }
        t = gap(&mut r, t, 0.3, 0.8);
        let qualifies = r.chance(0.88);
        life.push(
            &mut r,
            Svc::Investigation,
            Step::S11InvestigationMediation,
            St::InHandling,
            t,
            kabid.clone(),
            Detail::EligibilityDecided(ev::EligibilityDecided {
                qualifies,
                reason_code: if qualifies {
                    String::new()
                } else {
                    "no_grounds".into()
                },
            }),
        );
        if violence && qualifies {
            let agency = *r.pick(&[("uptd_ppa", 0.6), ("polres", 0.25), ("rsud", 0.15)]);
            let referral_id = r.uuid_at(t);
            t = gap(&mut r, t, 0.2, 0.8);
            let violence_type = r.pick(violence_types(category)).to_string();
            let consent_recorded = r.chance(0.9);
            life.push(
                &mut r,
                Svc::Investigation,
                Step::S11InvestigationMediation,
                St::InHandling,
                t,
                officer.clone(),
                Detail::ReferralMade(ev::ReferralMade {
                    agency: agency.into(),
                    violence_type_code: violence_type,
                    place_code: "rumah_tangga".into(),
                    relationship_code: "keluarga_saudara".into(),
                    age_band_code: if child { "13-17" } else { "25-44" }.into(),
                    consent_recorded,
                    referral_id: referral_id.clone(),
                    service_codes: vec!["pengaduan".into(), "kesehatan".into()],
                }),
            );
            if r.chance(0.75) {
                let answer_at = gap(&mut r, t, 2.0, 0.6);
                let accepted = r.chance(0.9);
                life.push(
                    &mut r,
                    Svc::Investigation,
                    Step::S11InvestigationMediation,
                    St::InHandling,
                    answer_at,
                    actor(agency, "partner_agency", &office),
                    Detail::ReferralAnswered(ev::ReferralAnswered {
                        referral_id,
                        agency: agency.into(),
                        accepted,
                    }),
                );
            }
        }
        let outcome_code = if !qualifies {
            "not_qualified"
        } else if violence {
            "referred"
        } else if puspaga {
            "counselling_provided"
        } else {
            *r.pick(&[
                ("assistance_provided", 0.5),
                ("resolved", 0.3),
                ("agreement_reached", 0.1),
                ("no_agreement", 0.1),
            ])
        };
        // S12-S14, once or (after a reopening) twice.
        let mut version = 0;
        for round in 0..2 {
            version += 1;
            t = gap(&mut r, t, 0.5, 0.8);
            let mut drafted = activity(Hk::ResponseDrafted, &bidang, "response.drafted");
            if let Detail::HandlingActivity(a) = &mut drafted {
                a.response_version = version;
            }
            life.push(
                &mut r,
                Svc::Investigation,
                Step::S12ResponsePrepared,
                St::InHandling,
                t,
                officer.clone(),
                drafted.clone(),
            );
            if r.chance(0.15) {
                t = gap(&mut r, t, 0.4, 0.8);
                life.push(
                    &mut r,
                    Svc::Investigation,
                    Step::S12ResponsePrepared,
                    St::InHandling,
                    t,
                    kabid.clone(),
                    activity(Hk::ResponseReturned, &bidang, "response.returned"),
                );
                t = gap(&mut r, t, 0.4, 0.8);
                life.push(
                    &mut r,
                    Svc::Investigation,
                    Step::S12ResponsePrepared,
                    St::InHandling,
                    t,
                    officer.clone(),
                    drafted,
                );
            }
            t = gap(&mut r, t, 0.3, 0.8);
            life.push(
                &mut r,
                Svc::Investigation,
                Step::S12ResponsePrepared,
                St::ResponseReady,
                t,
                kabid.clone(),
                Detail::ResponseApproved(ev::ResponseApproved {
                    bidang_code: bidang.clone(),
                    version,
                    qualified: qualifies,
                    outcome_code: outcome_code.into(),
                    ..Default::default()
                }),
            );
            t = gap(&mut r, t, 0.4, 0.9);
            let channel = *r.pick(&[
                (Channel::Phone, 0.4),
                (Channel::WalkIn, 0.25),
                (Channel::Letter, 0.2),
                (Channel::Email, 0.15),
            ]);
            if life.push(
                &mut r,
                Svc::Feedback,
                Step::S13ResponseDelivered,
                St::ResponseDelivered,
                t,
                co.clone(),
                Detail::ResponseDelivered(ev::ResponseDelivered {
                    channel: channel as i32,
                    delivered_at: Some(to_proto(t)),
                    version,
                }),
            ) {
                if round == 0 {
                    delivered_first = Some(t);
                } else {
                    delivered_again = Some(t);
                }
            }
            // S14: feedback, or silence.
            if r.chance(0.72) {
                t = gap(&mut r, t, 2.0, 0.8);
                let satisfied = round == 1 || r.chance(0.86);
                let reopens = !satisfied && r.chance(0.4);
                life.push(
                    &mut r,
                    Svc::Feedback,
                    Step::S14Feedback,
                    if reopens {
                        St::InHandling
                    } else {
                        St::Reporting
                    },
                    t,
                    co.clone(),
                    Detail::FeedbackRecorded(ev::FeedbackRecorded {
                        satisfied,
                        reopens,
                        version,
                        grounds_code: if satisfied {
                            String::new()
                        } else {
                            "not_answered".into()
                        },
                    }),
                );
                if reopens {
                    t = gap(&mut r, t, 0.05, 0.8);
                    if life.push(
                        &mut r,
                        Svc::Investigation,
                        Step::S8Clarification,
                        St::InHandling,
                        t,
                        kabid.clone(),
                        activity(Hk::Reopened, &bidang, "reopened.feedback"),
                    ) {
                        reopened_at = Some(t);
                    }
                    continue;
                }
                if r.chance(0.45) {
                    let s_at = gap(&mut r, t, 0.02, 0.8);
                    let mut scores = Vec::with_capacity(9);
                    for _ in 0..9 {
                        scores.push(*r.pick(&[(4, 0.38), (3, 0.5), (2, 0.1), (1, 0.02)]));
                    }
                    let survey_id = r.uuid_at(s_at);
                    life.push(
                        &mut r,
                        Svc::Feedback,
                        Step::S14Feedback,
                        St::Reporting,
                        s_at,
                        co.clone(),
                        Detail::SurveySubmitted(ev::SurveySubmitted {
                            survey_id,
                            service_code: "pengaduan".into(),
                            scores,
                        }),
                    );
                }
            } else {
                t = cal.advance(t, 10.0).unwrap_or(t);
                life.push(
                    &mut r,
                    Svc::Feedback,
                    Step::S14Feedback,
                    St::Closed,
                    t,
                    system.clone(),
                    Detail::Closed(ev::ComplaintClosed {
                        reason_code: "silence".into(),
                    }),
                );
            }
            break;
        }
        // S15-S16: the handling report.
        t = gap(&mut r, t, 1.0, 0.7);
        life.local(
            &mut r,
            t,
            officer.clone(),
            "handling_report_drafted",
            "revision=1 recommendations=selesai".into(),
        );
        t = gap(&mut r, t, 0.5, 0.8);
        let report_id = r.uuid_at(t);
        life.push(
            &mut r,
            Svc::Reporting,
            Step::S15HandlingReport,
            St::Unspecified, // the complaint's status, set when folded
            t,
            kabid.clone(),
            Detail::HandlingReportApproved(ev::HandlingReportApproved {
                report_id: report_id.clone(),
            }),
        );
        for kind in ["complainant", "head"] {
            t = gap(&mut r, t, 0.4, 0.8);
            life.push(
                &mut r,
                Svc::Reporting,
                Step::S16ReportDistributed,
                St::Unspecified,
                t,
                co.clone(),
                Detail::HandlingReportDistributed(ev::HandlingReportDistributed {
                    report_id: report_id.clone(),
                    recipient_kind: kind.into(),
                }),
            );
        }
        life.close_id = r.uuid_at(t);
    }

    // SLA alerts (triage's sweeper, policy sop_4_working_days: 4 working days from registration
    // to delivery, warned at 3), and again after a reopening.
    if alerts {
        let stages = [
            ("response", Some(reg_at), clock_end.or(delivered_first)),
            ("reopened_response", reopened_at, delivered_again),
        ];
        for (stage, from, end) in stages {
            let Some(from) = from else { continue };
            for (breached, used) in [(false, 3.0), (true, 4.0)] {
                let Ok(at) = cal.advance(from, used) else {
                    continue;
                };
                if end.is_some_and(|e| e <= at) || to_micros(at) > w.horizon {
                    continue;
                }
                let due = cal.advance(from, 4.0).unwrap_or(at);
                // Pushed out of order: sorted below, status taken from the events before it.
                let cut = std::mem::replace(&mut life.cut, false);
                life.push(
                    &mut r,
                    Svc::Triage,
                    Step::S4Screened,
                    St::Unspecified,
                    at,
                    system.clone(),
                    Detail::SlaAlert(ev::SlaAlert {
                        breached,
                        policy_code: "sop_4_working_days".into(),
                        working_days_used: used,
                        working_days_budget: 4.0,
                        stage: stage.into(),
                        due_at: Some(to_proto(due)),
                    }),
                );
                life.cut = cut;
            }
        }
    }
    fold_rows(w, life)
}

/// Folds a complaint's events into reporting's case file, as the service does one event at a
/// time, and returns the rows the service would have written.
fn fold_rows(w: &World, mut life: Life) -> Vec<SideRow> {
    life.events.sort_by_key(|(e, _)| at_of(e));
    let Some(first) = life.events.first().map(|(e, _)| at_of(e)) else {
        return Vec::new();
    };
    let mut file: ReportFile = CaseFile {
        complaint_id: life.id.clone(),
        office_code: life.office.clone(),
        unit: String::new(),
        status: 0,
        assignees: Vec::new(),
        next_at: None,
        event_seq: 0,
        opened_at: first,
        updated_at: first,
        body: Doc::default(),
    };
    let cal = w.calendars.calendar(&life.office);
    let mut rows = Vec::with_capacity(life.events.len() + 20);
    let mut triage_seq = 0;
    for (mut e, local) in life.events {
        let at = at_of(&e);
        let period = domain::period_of(&cal, at);
        if let Some((kind, detail)) = local {
            e.status = file.status;
            rows.push(store::note_row(&e, period, kind, &detail));
            continue;
        }
        match &e.detail {
            Some(Detail::SlaAlert(_)) => {
                // Triage's status, and the step its sweeper gives that status.
                e.status = file.status;
                e.step = match St::try_from(file.status).unwrap_or(St::Registered) {
                    St::AwaitingDisposition => Step::S5ForwardedToHead,
                    St::Disposed => Step::S7DisposedToBidang,
                    _ => Step::S4Screened,
                } as i32;
            }
            Some(Detail::HandlingReportApproved(x)) => {
                e.status = file.status;
                file.body.report = Some(ReportRec {
                    id: x.report_id.clone(),
                    state: ReportState::Approved as i32,
                    revision: 1,
                    recommendations: vec!["selesai".into()],
                    reviewed_at: at,
                    reviewed_by: e.actor.as_ref().map(ActorRec::from_pb),
                    ..Default::default()
                });
            }
            Some(Detail::HandlingReportDistributed(_)) => e.status = file.status,
            _ => {}
        }
        if e.source_service == "triage" {
            triage_seq += 1;
            e.sequence = triage_seq;
        }
        Doc::fold(&mut file, &e);
        rows.push(store::event_row(&e, period));
        if let Some(Detail::SurveySubmitted(s)) = &e.detail
            && let Some(row) = store::survey_row(&e, s, period)
        {
            rows.push(row);
        }
        // Reporting's S16: both deliveries made, the report is distributed and the complaint
        // closed (a closing event unless feedback closed it already).
        if let Some(Detail::HandlingReportDistributed(d)) = &e.detail
            && let Some(report) = file.body.report.as_mut()
        {
            report.distributions.push(DistributionRec {
                recipient_kind: if d.recipient_kind == "head" {
                    RecipientKind::Head
                } else {
                    RecipientKind::Complainant
                } as i32,
                delivered_at: at,
                ..Default::default()
            });
            if report.distributions.len() == 2 {
                report.state = ReportState::Distributed as i32;
                file.body.reached.insert("S16".into(), at);
                if file.status != St::Closed as i32 {
                    let mut closed = e.clone();
                    closed.event_id = life.close_id.clone();
                    closed.sequence += 1;
                    closed.status = St::Closed as i32;
                    closed.detail = Some(Detail::Closed(ev::ComplaintClosed {
                        reason_code: "completed".into(),
                    }));
                    Doc::fold(&mut file, &closed);
                    rows.push(store::event_row(&closed, period));
                }
            }
        }
    }
    let fcal = w.calendars.calendar(&file.office_code);
    rows.extend(store::fact_rows(&mut file, &fcal));
    rows
}

// ---------------------------------------------------------------------------------------------
// Measurement.

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

struct Timing {
    label: String,
    ms: Vec<f64>,
}

impl Timing {
    fn line(&self) -> String {
        format!(
            "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            self.label,
            self.ms.len(),
            percentile(&self.ms, 0.5),
            percentile(&self.ms, 0.95),
            percentile(&self.ms, 0.99),
            self.ms.first().copied().unwrap_or(0.0),
            self.ms.last().copied().unwrap_or(0.0),
        )
    }
}

/// Warm-up, then timed repetitions (fewer for a slow query), sorted.
async fn timed<T, F, Fut>(
    label: &str,
    args: &Args,
    mut f: F,
) -> Result<(Timing, T), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = aduan_runtime::Result<T>>,
{
    let t0 = Instant::now();
    let mut last = f().await?;
    let first = t0.elapsed().as_secs_f64();
    for _ in 0..if first < 0.5 { 10 } else { 1 } {
        last = f().await?;
    }
    let reps = ((args.max_seconds / first.max(1e-6)) as usize).clamp(5, args.repetitions.max(5));
    let mut ms = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        last = f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((
        Timing {
            label: label.to_string(),
            ms,
        },
        last,
    ))
}

/// The plain GROUP BY over the raw events: complaints registered in the period (the
/// registration event's month), counted by channel and category parsed from the event's coded
/// detail, and by the status of each one's latest event.
fn raw_sql(postgres: bool) -> &'static str {
    if postgres {
        "WITH reg AS ( \
           SELECT complaint_id, \
                  substring(detail FROM 'channel=([a-z_]+)') AS channel, \
                  substring(detail FROM 'category=([a-z_]+)') AS category \
           FROM events \
           WHERE period BETWEEN $1 AND $2 AND office_code LIKE $3 AND kind = 'registered' \
         ), latest AS ( \
           SELECT DISTINCT ON (e.complaint_id) e.status \
           FROM reg JOIN events e ON e.complaint_id = reg.complaint_id \
           WHERE e.status <> 0 \
           ORDER BY e.complaint_id, e.occurred_at DESC, e.sequence DESC \
         ) \
         SELECT 'channel', channel, COUNT(*) FROM reg GROUP BY channel \
         UNION ALL SELECT 'category', category, COUNT(*) FROM reg GROUP BY category \
         UNION ALL SELECT 'status', CAST(status AS TEXT), COUNT(*) FROM latest GROUP BY status"
    } else {
        "WITH reg AS ( \
           SELECT complaint_id, \
                  substr(substr(detail, instr(detail, 'channel=') + 8), 1, \
                         instr(substr(detail, instr(detail, 'channel=') + 8) || ' ', ' ') - 1) \
                    AS channel, \
                  CASE WHEN instr(detail, 'category=') = 0 THEN '' ELSE \
                  substr(substr(detail, instr(detail, 'category=') + 9), 1, \
                         instr(substr(detail, instr(detail, 'category=') + 9) || ' ', ' ') - 1) \
                  END AS category \
           FROM events \
           WHERE period BETWEEN $1 AND $2 AND office_code LIKE $3 AND kind = 'registered' \
         ), latest AS ( \
           SELECT e.status, ROW_NUMBER() OVER ( \
             PARTITION BY e.complaint_id ORDER BY e.occurred_at DESC, e.sequence DESC) AS r \
           FROM reg JOIN events e ON e.complaint_id = reg.complaint_id \
           WHERE e.status <> 0 \
         ) \
         SELECT 'channel', channel, COUNT(*) FROM reg GROUP BY channel \
         UNION ALL SELECT 'category', category, COUNT(*) FROM reg GROUP BY category \
         UNION ALL SELECT 'status', CAST(status AS TEXT), COUNT(*) FROM latest WHERE r = 1 \
         GROUP BY status"
    }
}

fn int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Int(i)) => *i,
        Some(Value::Text(t)) => t.parse().unwrap_or(0),
        _ => 0,
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => String::new(),
    }
}

fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (year, month) = args
        .month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i16>().ok()?, m.parse::<i8>().ok()?)))
        .ok_or("--month is yyyy-mm")?;
    let month_first = Date::new(year, month, 1)?;

    let mut config = Config::default();
    config.reporting.db.database_url = args.db.clone();
    config.reporting.db.max_connections = 4;
    let keys = Arc::new(Keyring::from_master([0x5a; 32]));
    let refdata = Arc::new(RefData::configured(&config)?);
    let calendars = Arc::new(OfficeCalendars::configured(&config, &refdata)?);
    let core = aduan_reporting::open(
        &config,
        &config.reporting,
        keys,
        calendars.clone(),
        "http://127.0.0.1:9".into(),
        "http://127.0.0.1:9".into(),
    )
    .await?;
    let store = core.store();
    let postgres = store.database().backend() == "postgres";
    println!(
        "backend: {}; machine: {} cores",
        store.database().backend(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    if !args.no_load {
        if !store
            .query("SELECT 1 FROM events LIMIT 1", &[])
            .await?
            .is_empty()
        {
            return Err("reporting's events table is not empty (use --no-load to measure)".into());
        }
        let offices: Vec<String> = match &args.only_office {
            Some(o) if JATIM.contains(&o.as_str()) => vec![o.clone()],
            Some(o) => return Err(format!("{o} is not an office of Jawa Timur").into()),
            None => JATIM.iter().map(|s| s.to_string()).collect(),
        };
        let office_weights = offices
            .iter()
            .enumerate()
            .map(|(i, o)| (i, office_weight(o)))
            .collect();
        let world = Arc::new(World {
            seed: args.seed,
            offices,
            office_weights,
            calendars: calendars.clone(),
            refdata: refdata.clone(),
            horizon: to_micros(horizon()),
        });
        let started = Instant::now();
        core.begin_bulk_load().await?;
        // The generator runs on its own thread, a few batches ahead of the loader.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SideRow>>(3);
        let (n, batch) = (args.complaints, args.batch.max(1));
        let gen_world = world.clone();
        let generator = std::thread::spawn(move || {
            let t = Instant::now();
            let seeds = seeds(&gen_world, n);
            let seeded = t.elapsed();
            let mut counters = Counters::new();
            let mut complaints = 0u64;
            // Time spent generating, without the waits for the loader.
            let mut busy = seeded;
            for chunk in seeds.chunks(batch) {
                let b = Instant::now();
                let mut rows = Vec::with_capacity(chunk.len() * 36);
                for s in chunk {
                    let r = complaint_rows(&gen_world, s, &mut counters);
                    complaints += u64::from(!r.is_empty());
                    rows.extend(r);
                }
                busy += b.elapsed();
                if tx.blocking_send(rows).is_err() {
                    break;
                }
            }
            (complaints, seeded, busy)
        });
        let mut written = 0u64;
        let mut batches = 0u64;
        while let Some(rows) = rx.recv().await {
            written += core.bulk_insert(&rows).await?;
            batches += 1;
            if batches.is_multiple_of(50) {
                eprintln!(
                    "  … {} rows in {:.0} s",
                    thousands(written as i64),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let (complaints, seeded, generated) = generator.join().map_err(|_| "generator panicked")?;
        let loaded = started.elapsed();
        let t = Instant::now();
        let outcome = core.finish_bulk_load().await?;
        let rebuilt = t.elapsed();
        let t = Instant::now();
        core.analyze().await?;
        let analyzed = t.elapsed();
        println!(
            "load: {} complaints, {} rows in {:.1} s (the generator thread busy {:.1} s of it, {:.1} s \
             placing arrivals); finish_bulk_load {:.1} s ({} counts, {} histogram, {} survey \
             rows); {} {:.1} s; total {:.1} s",
            thousands(complaints as i64),
            thousands(written as i64),
            loaded.as_secs_f64(),
            generated.as_secs_f64(),
            seeded.as_secs_f64(),
            rebuilt.as_secs_f64(),
            thousands(outcome.counts as i64),
            thousands(outcome.durations as i64),
            thousands(outcome.surveys as i64),
            if postgres {
                "VACUUM (ANALYZE)"
            } else {
                "ANALYZE"
            },
            analyzed.as_secs_f64(),
            started.elapsed().as_secs_f64(),
        );
    }

    if args.rebuild {
        let t = Instant::now();
        let out = core.rebuild_statistics().await?;
        let rebuilt = t.elapsed();
        let t = Instant::now();
        core.analyze().await?;
        println!(
            "rebuild_statistics: {:.1} s ({} rows removed; {} counts, {} histogram, {} survey \
             rows written); analyze {:.1} s",
            rebuilt.as_secs_f64(),
            thousands(out.removed as i64),
            thousands(out.counts as i64),
            thousands(out.durations as i64),
            thousands(out.surveys as i64),
            t.elapsed().as_secs_f64()
        );
    }
    if args.check {
        let t = Instant::now();
        let drift = core.statistics_drift().await?;
        println!(
            "statistics_drift: {} rows differ from a recomputation ({:.1} s)",
            drift.len(),
            t.elapsed().as_secs_f64()
        );
        for d in drift.iter().take(5) {
            println!("  {d:?}");
        }
    }

    // Dataset.
    println!("\n| table | rows | size |\n|---|---|---|");
    for table in [
        "events",
        "fact_dims",
        "fact_durations",
        "survey_facts",
        "stat_counts",
        "stat_durations",
        "stat_surveys",
    ] {
        let n = int(store
            .query(&format!("SELECT COUNT(*) FROM {table}"), &[])
            .await?
            .first()
            .and_then(|r| r.first()));
        let size = if postgres {
            let b = int(store
                .query(
                    &format!("SELECT CAST(pg_total_relation_size('{table}') AS BIGINT)"),
                    &[],
                )
                .await?
                .first()
                .and_then(|r| r.first()));
            format!("{:.0} MB (with indexes)", b as f64 / 1e6)
        } else {
            "-".into()
        };
        println!("| {table} | {} | {size} |", thousands(n));
    }
    let total = if postgres {
        int(store
            .query(
                "SELECT CAST(pg_database_size(current_database()) AS BIGINT)",
                &[],
            )
            .await?
            .first()
            .and_then(|r| r.first()))
    } else {
        let p = store.query("PRAGMA page_count", &[]).await?;
        let s = store.query("PRAGMA page_size", &[]).await?;
        int(p.first().and_then(|r| r.first())) * int(s.first().and_then(|r| r.first()))
    };
    println!("database: {:.2} GB", total as f64 / 1e9);
    if args.no_measure {
        core.close().await;
        return Ok(());
    }

    // (a) The service's statistics, from the pre-aggregated tables.
    let month_last = month_first.last_of_month();
    let year_first = Date::new(year, 1, 1)?;
    let year_last = Date::new(year, 12, 31)?;
    let scopes = [
        (
            format!("(a) province, month {}", args.month),
            Scope {
                code: "35".into(),
                province: true,
                suppress: true,
                from: month_first,
                to: month_last,
            },
        ),
        (
            format!("(a) office {}, month {}", args.office, args.month),
            Scope {
                code: args.office.clone(),
                province: false,
                suppress: false,
                from: month_first,
                to: month_last,
            },
        ),
        (
            format!("(a) province, year {year}"),
            Scope {
                code: "35".into(),
                province: true,
                suppress: true,
                from: year_first,
                to: year_last,
            },
        ),
    ];
    let mut timings = Vec::new();
    let mut answers = Vec::new();
    for (label, scope) in &scopes {
        let (t, s) = timed(label, &args, || core.statistics_of(scope)).await?;
        eprintln!("{}", t.line());
        timings.push(t);
        answers.push(s);
    }

    // (b) The plain GROUP BY over the raw events, same database.
    let p = |d: Date| i64::from(d.year()) * 100 + i64::from(d.month());
    let raw = [
        (
            format!("(b) province, month {}", args.month),
            p(month_first),
            p(month_first),
            "35.%".to_string(),
        ),
        (
            format!("(b) office {}, month {}", args.office, args.month),
            p(month_first),
            p(month_first),
            args.office.clone(),
        ),
        (
            format!("(b) province, year {year}"),
            p(year_first),
            p(year_last),
            "35.%".to_string(),
        ),
    ];
    let sql = raw_sql(postgres);
    let mut raw_answers = Vec::new();
    for (label, p0, p1, office) in &raw {
        let binds = [
            Value::Int(*p0),
            Value::Int(*p1),
            Value::Text(office.clone()),
        ];
        let (t, rows) = timed(label, &args, || store.query(sql, &binds)).await?;
        eprintln!("{}", t.line());
        timings.push(t);
        raw_answers.push(rows);
        if args.explain && postgres {
            let plan = store
                .query(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"), &binds)
                .await?;
            println!("\nplan of {label}:");
            for row in plan {
                println!("  {}", text(row.first()));
            }
        }
    }

    println!(
        "\n| query | repetitions | median | p95 | p99 | min | max |\n|---|---|---|---|---|---|---|"
    );
    for t in &timings {
        println!("{}", t.line());
    }

    // What each answered, side by side.
    println!("\nanswers (received; by channel; by status):");
    for (i, s) in answers.iter().enumerate() {
        let rows_b = &raw_answers[i];
        let sum = |dim: &str| -> BTreeLike {
            rows_b
                .iter()
                .filter(|r| text(r.first()) == dim)
                .map(|r| (text(r.get(1)), int(r.get(2))))
                .collect()
        };
        let channels = sum("channel");
        let statuses: BTreeLike = sum("status")
            .into_iter()
            .map(|(k, n)| (domain::status_code(k.parse().unwrap_or(0)).to_string(), n))
            .collect();
        let registered: i64 = channels.values().sum();
        let fmt = |m: &BTreeLike| {
            m.iter()
                .map(|(k, n)| format!("{k} {}", thousands(*n)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let a_channels: BTreeLike = s
            .by_channel
            .iter()
            .map(|c| (c.key.clone(), c.count))
            .collect();
        let a_status: BTreeLike = s
            .by_status
            .iter()
            .map(|c| (c.key.clone(), c.count))
            .collect();
        println!(
            "  {}: (a) {} received; {}; {}",
            scopes[i].0,
            thousands(s.received),
            fmt(&a_channels),
            fmt(&a_status)
        );
        println!(
            "  {}: (b) {} registered; {}; {}",
            raw[i].0,
            thousands(registered),
            fmt(&channels),
            fmt(&statuses)
        );
    }
    core.close().await;
    Ok(())
}

type BTreeLike = std::collections::BTreeMap<String, i64>;
