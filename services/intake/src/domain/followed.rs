//! The complaint as the other services move it (issue 12): intake follows the status-changing
//! events of triage, feedback and reporting (`aduan_spine::relay::ROUTES`) for its status,
//! the office holding the complaint and the Bidang it is disposed to.

/// What intake knows of a complaint's progress in the other services (issue 12): its status,
/// the office holding it, the Bidang it is disposed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The complaint's status (`ComplaintStatus`).
    pub status: i32,
    /// When the status last changed (microseconds).
    pub status_at: i64,
    /// The office holding the complaint.
    pub office: String,
    /// The Bidang it is disposed to, or empty.
    pub bidang: String,
    /// The last change (microseconds).
    pub updated_at: i64,
}

/// Applies one received lifecycle event (screening, transfer or referral, forwarding to the Head,
/// disposition, delivery,
/// reopening, closing) to what intake follows: `Ok(None)` when nothing changes. A closed complaint
/// stays closed; a status older than the one held does not replace it; only a transfer at
/// screening moves the office.
pub fn follow(
    cur: &Followed,
    e: &aduan_proto::events::v1::LifecycleEvent,
) -> std::result::Result<Option<Followed>, String> {
    use aduan_proto::common::v1::ComplaintStatus;
    use aduan_proto::events::v1::{ScreeningOutcome, lifecycle_event::Detail};
    let at = e
        .occurred_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(aduan_runtime::time::to_micros)
        .ok_or("the event has no valid occurred_at")?;
    if cur.status == ComplaintStatus::Closed as i32 {
        return Ok(None);
    }
    let mut next = cur.clone();
    match &e.detail {
        Some(Detail::Screened(s)) => {
            if s.outcome == ScreeningOutcome::Transferred as i32 {
                if s.target_office_code.is_empty() {
                    return Err("a transfer without a target office".into());
                }
                next.office = s.target_office_code.clone();
                next.bidang.clear();
            }
        }
        Some(Detail::DispositionIssued(d)) => next.bidang = d.bidang_code.clone(),
        Some(Detail::ForwardedToHead(_))
        | Some(Detail::ResponseDelivered(_))
        | Some(Detail::FeedbackRecorded(_))
        | Some(Detail::Closed(_)) => {}
        _ => return Ok(None),
    }
    if ComplaintStatus::try_from(e.status).is_ok_and(|s| s != ComplaintStatus::Unspecified)
        && at >= cur.status_at
    {
        next.status = e.status;
        next.status_at = at;
    }
    next.updated_at = next.updated_at.max(at);
    Ok((next != *cur).then_some(next))
}

#[cfg(test)]
mod follow_tests {
    use super::*;
    use aduan_proto::common::v1::ComplaintStatus as S;
    use aduan_proto::events::v1::{self as ev, lifecycle_event::Detail};

    fn event(status: S, at: i64, detail: Detail) -> ev::LifecycleEvent {
        ev::LifecycleEvent {
            status: status as i32,
            occurred_at: Some(aduan_runtime::time::to_proto(
                aduan_runtime::time::from_micros(at),
            )),
            detail: Some(detail),
            ..Default::default()
        }
    }

    fn start() -> Followed {
        Followed {
            status: S::Registered as i32,
            status_at: 1_000,
            office: "35.27".into(),
            bidang: String::new(),
            updated_at: 1_000,
        }
    }

    #[test]
    fn status_office_and_bidang_follow_the_events() {
        let transfer = event(
            S::Transferred,
            2_000,
            Detail::Screened(ev::ComplaintScreened {
                outcome: ev::ScreeningOutcome::Transferred as i32,
                target_office_code: "35.26".into(),
                ..Default::default()
            }),
        );
        let f = follow(&start(), &transfer).unwrap().unwrap();
        assert_eq!(
            (f.status, f.office.as_str()),
            (S::Transferred as i32, "35.26")
        );
        let disposed = event(
            S::Disposed,
            3_000,
            Detail::DispositionIssued(ev::DispositionIssued {
                bidang_code: "rehsos".into(),
                ..Default::default()
            }),
        );
        let f = follow(&f, &disposed).unwrap().unwrap();
        assert_eq!(
            (f.status, f.bidang.as_str()),
            (S::Disposed as i32, "rehsos")
        );
        // An older status does not replace a newer one, but the Bidang and office stay.
        let stale = event(
            S::ResponseDelivered,
            2_500,
            Detail::ResponseDelivered(Default::default()),
        );
        assert_eq!(follow(&f, &stale).unwrap(), None);
        let closed = event(S::Closed, 4_000, Detail::Closed(Default::default()));
        let f = follow(&f, &closed).unwrap().unwrap();
        assert_eq!((f.status, f.updated_at), (S::Closed as i32, 4_000));
        // Closed stays closed.
        let reopen = event(
            S::InHandling,
            5_000,
            Detail::FeedbackRecorded(Default::default()),
        );
        assert_eq!(follow(&f, &reopen).unwrap(), None);
        // Events intake does not follow change nothing; an event without a time is refused.
        let other = event(S::InHandling, 6_000, Detail::SlaAlert(Default::default()));
        assert_eq!(follow(&start(), &other).unwrap(), None);
        let mut untimed = closed.clone();
        untimed.occurred_at = None;
        assert!(follow(&start(), &untimed).is_err());
    }
}
