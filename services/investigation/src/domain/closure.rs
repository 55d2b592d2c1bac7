//! A complaint closed by another service (triage before a Bidang saw it, or feedback after
//! S14): the case, if investigation holds one, is closed too and its timer stopped.

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1 as events;

use super::{ActorRec, File, Reaction, history};

/// `source` closed the complaint with `d`.
pub fn closed(
    source: &str,
    d: &events::ComplaintClosed,
    file: Option<File>,
    at: i64,
    who: ActorRec,
) -> Reaction {
    let Some(mut file) = file else {
        // A complaint closed before it reached a Bidang: nothing here.
        return Ok(None);
    };
    if file.status == ComplaintStatus::Closed as i32 {
        return Ok(None);
    }
    file.status = ComplaintStatus::Closed as i32;
    file.next_at = None;
    history(
        &mut file,
        &who,
        at,
        "closed",
        format!("by {source}: {}", d.reason_code),
    );
    file.updated_at = file.updated_at.max(at);
    Ok(Some((file, Vec::new())))
}
