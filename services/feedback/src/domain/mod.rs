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
//!
//! One module per step: [`s13_delivery`] (investigation's approved response opens the delivery
//! task; the delivery), [`s14_feedback`] (the complainant's answer), [`skm_survey`] (the
//! satisfaction survey and its index), [`silence`] (the sweeper's close after the silence
//! period), [`s16_closed`] (reporting closed the complaint); [`calendars`] times the silence
//! period.

pub mod calendars;
pub mod s13_delivery;
pub mod s14_feedback;
pub mod s16_closed;
pub mod silence;
pub mod skm_survey;
#[cfg(test)]
mod tests;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_runtime::Error;
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::from_micros;
use aduan_spine::casefile::CaseFile;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use calendars::Calendars;

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

pub(crate) fn ts(at: i64) -> Timestamp {
    from_micros(at)
}

pub(crate) fn push_history(
    f: &mut FeedbackFile,
    at: i64,
    actor: &ActorRec,
    action: &str,
    detail: String,
) {
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
