//! S14 without an answer: the closing sweep closes a delivered complaint whose silence period
//! ended without feedback.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};

use super::{ActorRec, FeedbackFile, SERVICE, push_history, ts};

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
