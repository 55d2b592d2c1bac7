//! SLA policies as data, and the clock that evaluates one stage of a policy.
//!
//! DESIGN "Time": "SLA policies are data too: the default is the seed's 4 working days from
//! registration to delivery of the response, with configurable pause states (e.g. waiting on the
//! complainant) and a warning before breach; other policies (e.g. the national SP4N-LAPOR!
//! 3/5/10 working-day clock) can be added per service type." Both are shipped as JSON under
//! `crates/calendar/policies/`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, EPSILON};
use crate::error::{Error, Result};

/// `policies/sop_4_working_days.json`: the SOP's "Completion time: 4 working days", from
/// registration (S3) to delivery of the response (S13).
pub const SOP_4_WORKING_DAYS_JSON: &str = include_str!("../policies/sop_4_working_days.json");

/// `policies/sp4n_lapor.json`: the national SP4N-LAPOR! clock: 3 working days to verify and
/// forward, 5 to follow up, auto-close 10 working days after the follow-up without reply.
pub const SP4N_LAPOR_JSON: &str = include_str!("../policies/sp4n_lapor.json");

/// The default warning threshold: 75% of the budget used.
pub const DEFAULT_WARN_FRACTION: f64 = 0.75;

fn default_warn_fraction() -> f64 {
    DEFAULT_WARN_FRACTION
}

/// An SLA policy: named stages with working-day budgets, the states that pause the clock and
/// when to warn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// Stable identifier (e.g. `sop_4_working_days`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Where the numbers come from.
    #[serde(default)]
    pub source: String,
    /// The stages, in lifecycle order.
    pub stages: Vec<SlaStage>,
    /// Warn once this share of a stage's budget is used (default 0.75).
    #[serde(default = "default_warn_fraction")]
    pub warn_fraction: f64,
    /// Complaint states during which the clock stops (e.g. `needs_information`: waiting for the
    /// complainant, S9).
    #[serde(default)]
    pub pause_states: Vec<String>,
}

/// One timed stage of a policy, from one lifecycle event to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaStage {
    /// Stable identifier within the policy.
    pub code: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The budget, counted with [`Calendar::add_working_days`].
    pub budget_working_days: u32,
    /// The lifecycle event that starts the clock (e.g. `registered`).
    pub from_event: String,
    /// The lifecycle event that stops it (e.g. `response_delivered`).
    pub to_event: String,
    /// What running out of budget means.
    #[serde(default)]
    pub on_expiry: OnExpiry,
    /// Overrides the policy's `warn_fraction` for this stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_fraction: Option<f64>,
}

/// What it means when a stage's budget runs out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExpiry {
    /// The office missed its deadline: a breach.
    #[default]
    Breach,
    /// The complainant stayed silent: close the complaint (SP4N-LAPOR! after 10 working days).
    /// [`SlaStatus::Breached`] then means "time to close", not an office failure.
    AutoClose,
}

impl SlaPolicy {
    /// Reads and validates a policy from JSON.
    pub fn from_json(text: &str) -> Result<SlaPolicy> {
        let policy: SlaPolicy = serde_json::from_str(text).map_err(|e| crate::Error::Json {
            message: e.to_string(),
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// The shipped default policy (`sop_4_working_days`).
    pub fn sop_4_working_days() -> Result<SlaPolicy> {
        SlaPolicy::from_json(SOP_4_WORKING_DAYS_JSON)
    }

    /// The shipped SP4N-LAPOR! policy (`sp4n_lapor`).
    pub fn sp4n_lapor() -> Result<SlaPolicy> {
        SlaPolicy::from_json(SP4N_LAPOR_JSON)
    }

    /// Both shipped policies.
    pub fn shipped() -> Result<Vec<SlaPolicy>> {
        Ok(vec![
            SlaPolicy::sop_4_working_days()?,
            SlaPolicy::sp4n_lapor()?,
        ])
    }

    /// Checks the policy: a code, at least one stage, unique non-blank stage codes and events,
    /// budgets of 1 to [`crate::MAX_WORKING_DAYS`] working days, warning fractions in 0..=1.
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: String| Error::InvalidPolicy {
            policy: self.code.clone(),
            message,
        };
        if self.code.trim().is_empty() {
            return Err(invalid("the code is blank".into()));
        }
        if self.stages.is_empty() {
            return Err(invalid("no stages".into()));
        }
        check_fraction(self.warn_fraction).map_err(|m| invalid(format!("warn_fraction {m}")))?;
        for state in &self.pause_states {
            if state.trim().is_empty() {
                return Err(invalid("a pause state is blank".into()));
            }
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if stage.code.trim().is_empty() {
                return Err(invalid(format!("stage {} has a blank code", i + 1)));
            }
            if self.stages[..i].iter().any(|s| s.code == stage.code) {
                return Err(invalid(format!("stage {:?} appears twice", stage.code)));
            }
            if stage.from_event.trim().is_empty() || stage.to_event.trim().is_empty() {
                return Err(invalid(format!("stage {:?} needs both events", stage.code)));
            }
            if stage.budget_working_days == 0 || stage.budget_working_days > crate::MAX_WORKING_DAYS
            {
                return Err(invalid(format!(
                    "stage {:?}: budget_working_days must be 1..={}",
                    stage.code,
                    crate::MAX_WORKING_DAYS
                )));
            }
            if let Some(f) = stage.warn_fraction {
                check_fraction(f)
                    .map_err(|m| invalid(format!("stage {:?}: warn_fraction {m}", stage.code)))?;
            }
        }
        Ok(())
    }

    /// The stage with this code.
    pub fn stage(&self, code: &str) -> Result<&SlaStage> {
        self.stages
            .iter()
            .find(|s| s.code == code)
            .ok_or_else(|| Error::UnknownStage {
                policy: self.code.clone(),
                stage: code.to_string(),
            })
    }

    /// The stages whose clock an event starts.
    pub fn stages_started_by<'a>(&'a self, event: &'a str) -> impl Iterator<Item = &'a SlaStage> {
        self.stages.iter().filter(move |s| s.from_event == event)
    }

    /// True when the clock stops while a complaint is in `state`.
    pub fn is_pause_state(&self, state: &str) -> bool {
        self.pause_states.iter().any(|s| s == state)
    }

    /// The pause intervals implied by a complaint's state history (`(when, new state)`, in any
    /// order): a pause runs from entering a pause state until entering a state that is not one.
    /// A pause still running has no end.
    pub fn pauses_from_transitions<S: AsRef<str>>(
        &self,
        transitions: impl IntoIterator<Item = (Timestamp, S)>,
    ) -> Vec<Pause> {
        let mut sorted: Vec<(Timestamp, bool)> = transitions
            .into_iter()
            .map(|(at, state)| (at, self.is_pause_state(state.as_ref())))
            .collect();
        sorted.sort_by_key(|(at, _)| *at);
        let mut pauses = Vec::new();
        let mut open: Option<Timestamp> = None;
        for (at, paused) in sorted {
            match (open, paused) {
                (None, true) => open = Some(at),
                (Some(from), false) => {
                    pauses.push(Pause { from, to: Some(at) });
                    open = None;
                }
                _ => {}
            }
        }
        if let Some(from) = open {
            pauses.push(Pause { from, to: None });
        }
        pauses
    }
}

fn check_fraction(f: f64) -> std::result::Result<(), String> {
    if (0.0..=1.0).contains(&f) {
        Ok(())
    } else {
        Err(format!("must be between 0 and 1, not {f}"))
    }
}

/// An interval during which the clock stood still. `to: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the pause began.
    pub from: Timestamp,
    /// When it ended, if it has.
    pub to: Option<Timestamp>,
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Less than the warning share of the budget used.
    OnTrack,
    /// At least `warn_fraction` of the budget used, not yet due.
    Warning,
    /// Past the due time (for an [`OnExpiry::AutoClose`] stage: time to close).
    Breached,
    /// Not past due, and the clock is paused now.
    Paused,
}

/// The evaluation of one stage at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaEvaluation {
    /// Policy code.
    pub policy: String,
    /// Stage code.
    pub stage: String,
    /// When the clock started ([`Calendar::clock_start`] of the stage's start event).
    pub clock_start: Timestamp,
    /// The stage's budget as written in the policy.
    pub budget_working_days: u32,
    /// The budget as working time from the clock start to the unpaused due time. Equal to
    /// `budget_working_days` when the clock starts at opening time; less when it starts during
    /// day 1 (see [`Calendar::add_working_days`]).
    pub effective_budget: f64,
    /// Working time used so far, pauses excluded.
    pub used_working_days: f64,
    /// Working time spent paused so far.
    pub paused_working_days: f64,
    /// `effective_budget - used_working_days`; negative once overdue.
    pub remaining_working_days: f64,
    /// The due time, moved later by the working time spent paused. While a pause is still
    /// running, this is the due time if the clock resumed now.
    pub due: Timestamp,
    /// When the warning share of the budget is (or was) reached, on the same assumptions.
    pub warn_at: Timestamp,
    /// The due time without any pause.
    pub unpaused_due: Timestamp,
    /// The status now.
    pub status: SlaStatus,
    /// What expiry of this stage means.
    pub on_expiry: OnExpiry,
    /// True when the computation touched a year whose holiday data is provisional or missing.
    pub provisional_data: bool,
    /// Those years.
    pub uncertain_years: Vec<i16>,
}

/// The clock of one stage of one policy in one office's calendar.
#[derive(Debug, Clone, Copy)]
pub struct SlaClock<'a> {
    calendar: &'a Calendar,
    policy: &'a SlaPolicy,
    stage: &'a SlaStage,
}

impl<'a> SlaClock<'a> {
    /// The clock of stage `stage_code` of `policy`.
    pub fn new(
        calendar: &'a Calendar,
        policy: &'a SlaPolicy,
        stage_code: &str,
    ) -> Result<SlaClock<'a>> {
        policy.validate()?;
        let stage = policy.stage(stage_code)?;
        Ok(SlaClock {
            calendar,
            policy,
            stage,
        })
    }

    /// The stage.
    pub fn stage(&self) -> &SlaStage {
        self.stage
    }

    /// The warning share in force for this stage.
    pub fn warn_fraction(&self) -> f64 {
        self.stage
            .warn_fraction
            .unwrap_or(self.policy.warn_fraction)
    }

    /// Evaluates the stage whose start event happened at `started`, given the pause intervals so
    /// far, at `now`.
    ///
    /// - The clock starts at [`Calendar::clock_start`]`(started)`; the unpaused due time is
    ///   [`Calendar::add_working_days`]`(started, budget)`.
    /// - Pauses count only for their working time after the clock start and before `now`; an
    ///   open pause runs until `now`. Overlapping pauses count once.
    /// - `used` = working time from clock start to `now` minus paused working time; the due
    ///   time is the moment `used` reaches the effective budget, so each paused working hour
    ///   moves it one working hour later.
    /// - Status, first match: `Breached` if `now` is after the due time; `Paused` if a pause
    ///   covers `now`; `Warning` if `used >= warn_fraction × effective_budget`; else `OnTrack`.
    pub fn evaluate(
        &self,
        started: Timestamp,
        pauses: &[Pause],
        now: Timestamp,
    ) -> Result<SlaEvaluation> {
        for p in pauses {
            if let Some(to) = p.to
                && to < p.from
            {
                return Err(Error::InvalidPause {
                    from: p.from.to_string(),
                    to: to.to_string(),
                });
            }
        }
        let cal = self.calendar;
        let deadline = cal.add_working_days(started, self.stage.budget_working_days)?;
        let clock_start = deadline.clock_start;
        let budget = cal.working_days_between(clock_start, deadline.due);

        // Effective pauses: clipped to [clock_start, now], sorted, merged.
        let mut spans: Vec<(Timestamp, Timestamp)> = pauses
            .iter()
            .filter_map(|p| {
                let from = p.from.max(clock_start);
                let to = p.to.unwrap_or(now).min(now);
                (from < to).then_some((from, to))
            })
            .collect();
        spans.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(spans.len());
        for (from, to) in spans {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let paused: f64 = merged
            .iter()
            .map(|&(from, to)| cal.working_days_between(from, to))
            .sum();
        let elapsed = cal.working_days_between(clock_start, now).max(0.0);
        let used = (elapsed - paused).max(0.0);

        let warn_fraction = self.warn_fraction();
        let (due, warn_at) = if paused <= EPSILON {
            (
                deadline.due,
                self.walk(clock_start, budget * warn_fraction, &[])?,
            )
        } else {
            (
                self.walk(clock_start, budget, &merged)?,
                self.walk(clock_start, budget * warn_fraction, &merged)?,
            )
        };

        let paused_now = pauses
            .iter()
            .any(|p| p.from <= now && p.to.is_none_or(|to| now < to));
        let status = if now > due {
            SlaStatus::Breached
        } else if paused_now {
            SlaStatus::Paused
        } else if used >= warn_fraction * budget - EPSILON {
            SlaStatus::Warning
        } else {
            SlaStatus::OnTrack
        };

        let uncertain_years = cal.uncertain_years(
            cal.local(started.min(clock_start)).date(),
            cal.local(due.max(now)).date(),
        );
        Ok(SlaEvaluation {
            policy: self.policy.code.clone(),
            stage: self.stage.code.clone(),
            clock_start,
            budget_working_days: self.stage.budget_working_days,
            effective_budget: budget,
            used_working_days: used,
            paused_working_days: paused,
            remaining_working_days: budget - used,
            due,
            warn_at,
            unpaused_due: deadline.due,
            status,
            on_expiry: self.stage.on_expiry,
            provisional_data: !uncertain_years.is_empty(),
            uncertain_years,
        })
    }

    /// The moment `amount` working days of unpaused working time have passed since `from`.
    fn walk(
        &self,
        from: Timestamp,
        amount: f64,
        pauses: &[(Timestamp, Timestamp)],
    ) -> Result<Timestamp> {
        let cal = self.calendar;
        let mut cursor = from;
        let mut remaining = amount;
        for &(pause_from, pause_to) in pauses {
            if pause_to <= cursor {
                continue;
            }
            let before = cal.working_days_between(cursor, pause_from.max(cursor));
            if before >= remaining - EPSILON {
                return cal.advance(cursor, remaining);
            }
            remaining -= before;
            cursor = pause_to;
        }
        cal.advance(cursor, remaining)
    }
}
