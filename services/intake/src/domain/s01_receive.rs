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

/// Who submits a complaint: the console (the public portal's web form), a partner agency's
/// client, or the desk.
#[derive(Debug, Clone, Copy)]
pub struct Submitter {
    /// The console's service identity.
    pub console: bool,
    /// Acting as a partner agency.
    pub partner: bool,
    /// Holding a partner agency's grants only.
    pub partner_only: bool,
}

/// The channel a submission names and what is wrong with it for `by`, each a violation of
/// `channel`: the desk registers walk-ins, letters, calls, faxes and e-mails, the portal submits
/// with WEB and a partner agency with PARTNER_API.
pub fn submission_channel(channel: i32, by: Submitter) -> (Channel, Vec<&'static str>) {
    let mut problems = Vec::new();
    let channel = match Channel::try_from(channel) {
        Ok(Channel::Unspecified) | Err(_) => {
            problems.push("required: WALK_IN, LETTER, PHONE, FAX, EMAIL, PARTNER_API or WEB");
            Channel::Unspecified
        }
        Ok(c) => c,
    };
    if channel == Channel::PartnerApi && !by.partner {
        problems.push("PARTNER_API is for partner agency clients");
    }
    if channel == Channel::Web && !by.console {
        problems.push("WEB is the public portal's (the console's web form)");
    }
    if by.console && channel != Channel::Web && channel != Channel::Unspecified {
        problems.push("the console submits its web form with WEB");
    }
    if by.partner_only && channel != Channel::PartnerApi && channel != Channel::Unspecified {
        problems.push("partner agency clients submit with PARTNER_API");
    }
    (channel, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_received_moment_is_given_or_now() {
        let now: Timestamp = "2026-11-27T03:00:00Z".parse().unwrap();
        let at = |s: &str| aduan_runtime::time::to_proto(s.parse::<Timestamp>().unwrap());
        assert_eq!(received_at(None, now), Ok(now));
        let earlier = at("2026-11-26T09:00:00Z");
        assert_eq!(
            received_at(Some(&earlier), now),
            Ok("2026-11-26T09:00:00Z".parse().unwrap())
        );
        // Five minutes of clock skew pass; more is the future.
        assert!(received_at(Some(&at("2026-11-27T03:04:00Z")), now).is_ok());
        assert_eq!(
            received_at(Some(&at("2026-11-27T03:06:00Z")), now),
            Err("lies in the future")
        );
        assert_eq!(
            received_at(Some(&at("1999-12-31T23:00:00Z")), now),
            Err("before the year 2000")
        );
    }

    #[test]
    fn each_submitter_has_its_channels() {
        let desk = Submitter {
            console: false,
            partner: false,
            partner_only: false,
        };
        let console = Submitter {
            console: true,
            ..desk
        };
        let partner = Submitter {
            partner: true,
            partner_only: true,
            ..desk
        };
        let letter = Channel::Letter as i32;
        let web = Channel::Web as i32;
        let api = Channel::PartnerApi as i32;
        assert_eq!(submission_channel(letter, desk), (Channel::Letter, vec![]));
        assert_eq!(submission_channel(web, console), (Channel::Web, vec![]));
        assert_eq!(
            submission_channel(api, partner),
            (Channel::PartnerApi, vec![])
        );
        assert_eq!(submission_channel(web, desk).1.len(), 1);
        assert_eq!(submission_channel(letter, console).1.len(), 1);
        assert_eq!(submission_channel(letter, partner).1.len(), 1);
        assert_eq!(submission_channel(api, desk).1.len(), 1);
        let (c, problems) = submission_channel(0, desk);
        assert_eq!(c, Channel::Unspecified);
        assert_eq!(problems.len(), 1);
        assert_eq!(desk_channel(0), Channel::WalkIn);
        assert!(!is_desk_channel(Channel::Web) && is_desk_channel(Channel::Fax));
    }
}
