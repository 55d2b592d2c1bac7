//! The facts of a complaint that statistics count: its dimensions (channel, category, status,
//! SLA outcome, ...) and the working days between steps, written only when they change.

use aduan_calendar::Calendar;
use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1::SurveySubmitted;
use aduan_runtime::time::from_micros;

use super::{
    BUCKETS_PER_DAY, DURATIONS, Doc, Facts, ReportFile, channel_code, period_of, status_code,
};

impl Doc {
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
            .is_some_and(|r| r.state == aduan_proto::reporting::v1::ReportState::Distributed as i32)
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

/// The histogram bucket of a number of working days (tenths, rounded up: 0.21 is bucket 3).
pub fn bucket(working_days: f64) -> i64 {
    if !working_days.is_finite() || working_days <= 0.0 {
        return 0;
    }
    (working_days * BUCKETS_PER_DAY).ceil().min(1_000_000.0) as i64
}

/// One fact of a complaint that changed since it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactChange {
    /// A dimension's key (`fact_dims`).
    Dim {
        /// The dimension ("channel", ...).
        dim: &'static str,
        /// Its key.
        key: String,
    },
    /// A step's duration bucket (`fact_durations`).
    Duration {
        /// The step ("S4", ...).
        step: &'static str,
        /// The bucket.
        bucket: i64,
    },
}

/// The facts of a complaint to write: its office and registration month, and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactChanges {
    /// The complaint.
    pub complaint_id: String,
    /// Its office.
    pub office_code: String,
    /// yyyymm of its registration in the office's calendar.
    pub period: i32,
    /// The facts that changed (all of them when the complaint moved to another office or month).
    pub changes: Vec<FactChange>,
}

/// The facts that bring the statistics of `file` up to date, and the record of what was written
/// (in `file.body.written`). Nothing before the registration arrives (the period is not known).
pub fn fact_changes(file: &mut ReportFile, calendar: &Calendar) -> Option<FactChanges> {
    if !file.body.registered {
        return None;
    }
    let period = period_of(calendar, file.body.received_at);
    let (dims, durations) = file.body.facts(file.status, calendar);
    let office = file.office_code.clone();
    let stamp = format!("{office}@{period}");
    let moved = file.body.written.get("scope").map(String::as_str) != Some(stamp.as_str());
    let mut changes = Vec::new();
    for (dim, key) in dims {
        let slot = format!("dim:{dim}");
        if !moved && file.body.written.get(&slot) == Some(&key) {
            continue;
        }
        changes.push(FactChange::Dim {
            dim,
            key: key.clone(),
        });
        file.body.written.insert(slot, key);
    }
    for (step, b) in durations {
        let slot = format!("dur:{step}");
        let key = b.to_string();
        if !moved && file.body.written.get(&slot) == Some(&key) {
            continue;
        }
        changes.push(FactChange::Duration { step, bucket: b });
        file.body.written.insert(slot, key);
    }
    file.body.written.insert("scope".into(), stamp);
    Some(FactChanges {
        complaint_id: file.complaint_id.clone(),
        office_code: office,
        period,
        changes,
    })
}

/// The scores of a survey count when they are nine values of 1-4.
pub fn survey_counts(s: &SurveySubmitted) -> bool {
    s.scores.len() == 9 && s.scores.iter().all(|x| (1..=4).contains(x))
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
