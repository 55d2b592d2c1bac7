//! S14, the complainant's feedback on the delivered response: satisfied, the complaint goes on to
//! the handling report (S15); dissatisfied, it reopens and goes back to the Bidang.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::{Error, Result};

use super::s13_delivery::check_version;
use super::{ActorRec, FeedbackFile, FeedbackRec, SERVICE, out_of_order, push_history, ts};

/// The coded grounds of dissatisfaction.
pub const GROUNDS: [&str; 5] = [
    "not_answered",
    "incorrect",
    "too_slow",
    "not_followed_up",
    "other",
];

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
