//! S1-S2: the public submits a complaint in person, by letter, telephone, fax or e-mail (and
//! through the portal or a partner agency); it reaches the office at a moment the desk records.

use aduan_proto::common::v1::Channel;
use jiff::{SignedDuration, Timestamp};

/// When the complaint reached the office: the moment given (not in the future beyond five
/// minutes of clock skew, not before 2000), or `now` when none is given. Err: why the given
/// moment is refused.
pub fn received_at(
    given: Option<&prost_types::Timestamp>,
    now: Timestamp,
) -> Result<Timestamp, &'static str> {
    let Some(t) = given else {
        return Ok(now);
    };
    match aduan_runtime::time::from_proto(t) {
        None => Err("not a valid timestamp"),
        Some(t) if t > now + SignedDuration::from_mins(5) => Err("lies in the future"),
        Some(t) if t.as_second() < 946_684_800 => Err("before the year 2000"),
        Some(t) => Ok(t),
    }
}

/// The channel the desk's live check assumes: the one named, or a walk-in.
pub fn desk_channel(channel: i32) -> Channel {
    match Channel::try_from(channel) {
        Ok(Channel::Unspecified) | Err(_) => Channel::WalkIn,
        Ok(c) => c,
    }
}

/// The channels the desk registers itself (the portal and partner agencies submit their own).
pub fn is_desk_channel(channel: Channel) -> bool {
    !matches!(channel, Channel::Web | Channel::PartnerApi)
}
