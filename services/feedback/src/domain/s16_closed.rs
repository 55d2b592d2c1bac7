//! S16 as feedback sees it: reporting closed the complaint (the handling report reached the
//! complainant and the Head); feedback's record closes too.

use aduan_proto::common::v1::ComplaintStatus;

use super::{ActorRec, FeedbackFile, push_history};

/// The complaint was closed by another service (reporting, once the handling report reached the
/// complainant and the Head, S16): feedback's record closes too, without an event of its own.
/// None when it is closed here already.
pub fn closed_elsewhere(
    current: Option<FeedbackFile>,
    reason: &str,
    at: i64,
) -> Option<FeedbackFile> {
    let mut f = current?;
    if f.status == ComplaintStatus::Closed as i32 {
        return None;
    }
    f.status = ComplaintStatus::Closed as i32;
    f.next_at = None;
    f.updated_at = at;
    f.body.closed_reason = reason.to_string();
    f.body.closed_at = Some(at);
    push_history(
        &mut f,
        at,
        &ActorRec::system(),
        "closed",
        format!("{reason}: closed after the handling report (S16)"),
    );
    Some(f)
}
