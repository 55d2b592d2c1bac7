//! The SLA clock of a complaint (the policy and calendar come from `aduan-calendar`; the seed's
//! 4 working days by default) and the sweeper's rule: each warning and breach sent once per
//! stage and clock start.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_calendar::{Calendar, Pause, SlaClock, SlaPolicy, SlaStatus};
use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, lifecycle_event::Detail};
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{from_micros, to_micros, to_proto};
use aduan_runtime::{Error, Result};
use jiff::Timestamp;

use super::{CaseRow, Change, HistoryRow, clock_of, event, refresh_clock};

/// The calendars of the offices and the SLA policies, built once at start-up.
pub struct Clocks {
    calendars: Arc<OfficeCalendars>,
    policies: HashMap<String, SlaPolicy>,
    /// The policy given to new complaints.
    pub default_policy: String,
}

/// A complaint's SLA clock as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockState {
    /// Policy code.
    pub policy: String,
    /// Stage code.
    pub stage: String,
    /// When the stage started (registration for the first stage).
    pub started_at: i64,
    /// Pauses, microseconds; an open pause has `to = None`.
    pub pauses: Vec<(i64, Option<i64>)>,
    /// When the clock stopped for good (the complaint left triage's timing).
    pub stopped_at: Option<i64>,
}

impl ClockState {
    /// Pauses as JSON for the store.
    pub fn pauses_json(&self) -> String {
        serde_json::to_string(&self.pauses).unwrap_or_else(|_| "[]".into())
    }

    /// Pauses from the store's JSON.
    pub fn parse_pauses(text: &str) -> Vec<(i64, Option<i64>)> {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// True while a pause is open.
    pub fn paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.1.is_none())
    }

    /// Opens a pause at `at` (no-op when one is open).
    pub fn pause(&mut self, at: i64) {
        if !self.paused() {
            self.pauses.push((at, None));
        }
    }

    /// Closes the open pause at `at`.
    pub fn resume(&mut self, at: i64) {
        if let Some(p) = self.pauses.last_mut()
            && p.1.is_none()
        {
            p.1 = Some(at.max(p.0));
        }
    }
}

/// The clock evaluated now.
#[derive(Debug, Clone)]
pub struct ClockView {
    /// Due.
    pub due: Timestamp,
    /// The warning moment.
    pub warn_at: Timestamp,
    /// When the clock started counting.
    pub clock_start: Timestamp,
    /// Working days used.
    pub used: f64,
    /// The budget.
    pub budget: f64,
    /// "on_track", "warning", "breached", "paused" or "stopped".
    pub state: &'static str,
}

impl Clocks {
    /// Calendars for every office of `refdata` (its time zone, Monday-Friday 07:30-16:00), the
    /// shipped holidays plus any CSV files in `data_dir`, and the shipped policies plus any JSON
    /// policies in `data_dir`.
    pub fn load(
        refdata: &RefData,
        default_policy: &str,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self> {
        let calendars = Arc::new(OfficeCalendars::load(refdata, data_dir)?);
        Self::new(calendars, default_policy, data_dir)
    }

    /// The SLA policies (shipped, plus any JSON policies in `data_dir`) over the process's shared
    /// office calendars.
    pub fn new(
        calendars: Arc<OfficeCalendars>,
        default_policy: &str,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self> {
        let mut policies: HashMap<String, SlaPolicy> = SlaPolicy::shipped()
            .map_err(|e| Error::invalid("sla", e.to_string()))?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
        for (path, text) in aduan_refdata::calendars::data_files(data_dir, "json")? {
            let p = SlaPolicy::from_json(&text)
                .map_err(|e| Error::invalid("sla.data_dir", format!("{}: {e}", path.display())))?;
            policies.insert(p.code.clone(), p);
        }
        if !policies.contains_key(default_policy) {
            return Err(Error::invalid(
                "sla.policy",
                format!("unknown policy {default_policy:?}; known: {}", {
                    let mut k: Vec<_> = policies.keys().cloned().collect();
                    k.sort();
                    k.join(", ")
                }),
            ));
        }
        Ok(Self {
            calendars,
            policies,
            default_policy: default_policy.to_string(),
        })
    }

    /// The calendar of an office (Asia/Jakarta for an office not in the data).
    pub fn calendar(&self, office: &str) -> Calendar {
        self.calendars.calendar(office)
    }

    /// A policy.
    pub fn policy(&self, code: &str) -> Result<&SlaPolicy> {
        self.policies
            .get(code)
            .ok_or_else(|| Error::Internal(format!("unknown SLA policy {code}")))
    }

    /// The clock of a new complaint registered at `registered_at`.
    pub fn start(&self, registered_at: i64) -> Result<ClockState> {
        let policy = self.policy(&self.default_policy)?;
        let stage = policy
            .stages_started_by("registered")
            .next()
            .map(|s| s.code.clone())
            .ok_or_else(|| {
                Error::Internal("the SLA policy has no stage from registration".into())
            })?;
        Ok(ClockState {
            policy: policy.code.clone(),
            stage,
            started_at: registered_at,
            pauses: Vec::new(),
            stopped_at: None,
        })
    }

    /// The clock after lifecycle event `event` at `at`: the stage that ends with it gives way to
    /// the stage it starts (a fresh budget), or the clock stops when none follows.
    pub fn on_event(&self, clock: &mut ClockState, event: &str, at: i64) -> Result<()> {
        if clock.stopped_at.is_some() {
            return Ok(());
        }
        let policy = self.policy(&clock.policy)?;
        let stage = policy
            .stage(&clock.stage)
            .map_err(|e| Error::Internal(e.to_string()))?;
        if stage.to_event != event {
            return Ok(());
        }
        match policy.stages_started_by(event).next() {
            Some(next) => {
                clock.stage = next.code.clone();
                clock.started_at = at;
                clock.pauses.clear();
            }
            None => clock.stopped_at = Some(at),
        }
        Ok(())
    }

    /// Evaluates the clock of a complaint of `office` at `now`.
    pub fn view(&self, office: &str, clock: &ClockState, now: i64) -> Result<ClockView> {
        let cal = self.calendar(office);
        let policy = self.policy(&clock.policy)?;
        let sla = SlaClock::new(&cal, policy, &clock.stage)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let at = clock.stopped_at.unwrap_or(now);
        let pauses: Vec<Pause> = clock
            .pauses
            .iter()
            .map(|&(f, t)| Pause {
                from: from_micros(f),
                to: t.map(from_micros),
            })
            .collect();
        let e = sla
            .evaluate(from_micros(clock.started_at), &pauses, from_micros(at))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let state = if clock.stopped_at.is_some() {
            "stopped"
        } else {
            match e.status {
                SlaStatus::OnTrack => "on_track",
                SlaStatus::Warning => "warning",
                SlaStatus::Breached => "breached",
                SlaStatus::Paused => "paused",
            }
        };
        Ok(ClockView {
            due: e.due,
            warn_at: e.warn_at,
            clock_start: e.clock_start,
            used: e.used_working_days,
            budget: e.effective_budget,
            state,
        })
    }

    /// The next moment the sweeper must look at this clock: the warning, then the breach; None
    /// when both were sent, or the clock is paused or stopped.
    pub fn next_alert_at(
        &self,
        office: &str,
        clock: &ClockState,
        warned: bool,
        breached: bool,
    ) -> Result<Option<i64>> {
        if clock.stopped_at.is_some() || clock.paused() || breached {
            return Ok(None);
        }
        let v = self.view(office, clock, clock.started_at)?;
        Ok(Some(if warned {
            to_micros(v.due)
        } else {
            to_micros(v.warn_at)
        }))
    }

    /// Working days between two moments in an office's calendar.
    pub fn working_days_between(&self, office: &str, from: i64, to: i64) -> f64 {
        self.calendar(office)
            .working_days_between(from_micros(from), from_micros(to))
            .max(0.0)
    }

    /// The local date of a moment in an office's calendar.
    pub fn local_date(&self, office: &str, at: i64) -> jiff::civil::Date {
        let cal = self.calendar(office);
        from_micros(at).to_zoned(cal.time_zone().clone()).date()
    }
}

/// The sweeper's step on a complaint whose next alert is due at `now`: the warning (always
/// first), then the breach, each once; a clock that is not due after all (a pause, a recomputed
/// deadline) is re-armed without an alert.
pub fn alert(clocks: &Clocks, mut case: CaseRow, now: i64) -> Result<Option<Change>> {
    let clock = clock_of(&case);
    let before = case.sla_next_alert_at;
    let v = clocks.view(&case.office_code, &clock, now)?;
    let due_now = matches!(v.state, "warning" | "breached");
    let (kind, breached) = if due_now && !case.sla_warned {
        // The warning always comes first, even when the sweep finds the breach already.
        ("warning", false)
    } else if v.state == "breached" && !case.sla_breached {
        ("breach", true)
    } else {
        // Not due after all (a pause or a recomputed deadline): re-arm and move on.
        refresh_clock(clocks, &mut case, &clock)?;
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
    refresh_clock(clocks, &mut case, &clock)?;
    case.updated_at = now;
    let policy = clocks.policy(&clock.policy)?;
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
    let step = match ComplaintStatus::try_from(case.status).unwrap_or(ComplaintStatus::Registered) {
        ComplaintStatus::AwaitingDisposition => Step::S5ForwardedToHead,
        ComplaintStatus::Disposed => Step::S7DisposedToBidang,
        _ => Step::S4Screened,
    };
    let ev = event(&mut case, step, &ActorRec::system(), now, detail);
    let history = vec![HistoryRow::of(
        &case,
        now,
        ActorRec::system(),
        format!("sla_{kind}"),
        format!(
            "{} {}: {:.2} of {} working days used, due {}",
            clock.policy, clock.stage, v.used, budget, v.due
        ),
        "",
    )];
    Ok(Some(Change {
        // Once per stage and clock start: a reopened complaint's new clock alerts again.
        alert: Some((
            format!("{}@{}", clock.stage, clock.started_at),
            kind.to_string(),
        )),
        ..Change::of(case, history, ev)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::fixtures::refdata;

    fn ts(s: &str) -> i64 {
        to_micros(s.parse::<Timestamp>().unwrap())
    }

    #[test]
    fn sop_clock_due_dates_and_pause() {
        let r = refdata();
        let c = Clocks::load(&r, "sop_4_working_days", None).unwrap();
        // Monday 2026-11-23 09:00 WIB: day 1 is Monday, due at the close of Thursday 26th.
        let mut k = c.start(ts("2026-11-23T02:00:00Z")).unwrap();
        let v = c.view("35.27", &k, ts("2026-11-23T03:00:00Z")).unwrap();
        assert_eq!(v.due.to_string(), "2026-11-26T09:00:00Z");
        assert_eq!(v.state, "on_track");
        // Paused for all of Tuesday: due moves to Friday.
        k.pause(ts("2026-11-24T00:00:00Z"));
        k.resume(ts("2026-11-25T00:00:00Z"));
        let v = c.view("35.27", &k, ts("2026-11-25T01:00:00Z")).unwrap();
        assert_eq!(v.due.to_string(), "2026-11-27T09:00:00Z");
        assert!(
            c.next_alert_at("35.27", &k, false, false)
                .unwrap()
                .is_some()
        );
        k.pause(ts("2026-11-25T02:00:00Z"));
        assert_eq!(c.next_alert_at("35.27", &k, false, false).unwrap(), None);
    }

    #[test]
    fn sp4n_stages_follow_events() {
        let r = refdata();
        let c = Clocks::load(&r, "sp4n_lapor", None).unwrap();
        let mut k = c.start(ts("2026-11-23T02:00:00Z")).unwrap();
        assert_eq!(k.stage, "verify_and_forward");
        c.on_event(&mut k, "forwarded_to_head", ts("2026-11-24T02:00:00Z"))
            .unwrap();
        assert_eq!(k.stage, "verify_and_forward");
        c.on_event(&mut k, "disposition_issued", ts("2026-11-24T02:00:00Z"))
            .unwrap();
        assert_eq!(k.stage, "follow_up");
        assert_eq!(k.started_at, ts("2026-11-24T02:00:00Z"));
        assert!(Clocks::load(&r, "no_such_policy", None).is_err());
    }

    /// Real cases for Sampang (WIB, Monday-Friday 07:30-16:00): registered at, due at (the
    /// close of the fourth working day), with the shipped 2026 holidays and cuti bersama.
    #[test]
    fn due_dates_of_real_cases() {
        let r = refdata();
        let c = Clocks::load(&r, "sop_4_working_days", None).unwrap();
        let cases = [
            // An ordinary week.
            ("2026-06-08T09:00:00+07:00", "2026-06-11T16:00:00+07:00"),
            // Received on a Saturday: the clock starts on Monday.
            ("2026-06-06T10:00:00+07:00", "2026-06-11T16:00:00+07:00"),
            // Over a weekend.
            ("2026-07-16T09:00:00+07:00", "2026-07-21T16:00:00+07:00"),
            // Idulfitri 1447 H: 18-24 March 2026 (Nyepi cuti bersama, Idulfitri, cuti bersama).
            ("2026-03-16T09:00:00+07:00", "2026-03-26T16:00:00+07:00"),
            ("2026-03-17T10:00:00+07:00", "2026-03-27T16:00:00+07:00"),
            ("2026-03-20T09:00:00+07:00", "2026-03-30T16:00:00+07:00"),
            // Proklamasi, Monday 17 August 2026.
            ("2026-08-14T09:00:00+07:00", "2026-08-20T16:00:00+07:00"),
            // Year end (Christmas and its cuti bersama).
            ("2026-12-23T09:00:00+07:00", "2026-12-30T16:00:00+07:00"),
        ];
        for (registered, due) in cases {
            let k = c.start(ts(registered)).unwrap();
            let v = c.view("35.27", &k, ts(registered)).unwrap();
            assert_eq!(
                v.due,
                due.parse::<Timestamp>().unwrap(),
                "registered {registered}"
            );
        }
        // Waiting for information from Monday noon to Wednesday noon across the Idulfitri
        // week pauses two working days: Thursday 26 becomes Monday 30 March.
        let mut k = c.start(ts("2026-03-16T09:00:00+07:00")).unwrap();
        k.pause(ts("2026-03-16T12:00:00+07:00"));
        k.resume(ts("2026-03-25T12:00:00+07:00"));
        let v = c
            .view("35.27", &k, ts("2026-03-25T13:00:00+07:00"))
            .unwrap();
        assert_eq!(
            v.due,
            "2026-03-30T16:00:00+07:00".parse::<Timestamp>().unwrap()
        );
    }
}
