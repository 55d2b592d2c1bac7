//! S13: feedback delivered the approved response to the complainant.

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1 as events;

use super::{ActorRec, File, Reaction, history};

/// The delivery of a response: the case holding the current version moves to delivered.
pub fn delivered(
    d: &events::ResponseDelivered,
    file: Option<File>,
    at: i64,
    who: ActorRec,
) -> Reaction {
    let Some(mut file) = file else {
        return Err("a delivery of a response investigation does not hold".into());
    };
    if d.version != 0 && d.version != file.body.response_version {
        history(
            &mut file,
            &who,
            at,
            "response_delivered",
            format!("version {} (not current): ignored", d.version),
        );
    } else if file.status == ComplaintStatus::ResponseReady as i32 {
        file.status = ComplaintStatus::ResponseDelivered as i32;
        history(
            &mut file,
            &who,
            at,
            "response_delivered",
            format!("version {}", d.version),
        );
    } else {
        return Ok(None);
    }
    file.updated_at = file.updated_at.max(at);
    Ok(Some((file, Vec::new())))
}
