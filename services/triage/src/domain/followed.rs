//! The complaint after triage, as the later services report it: the response delivered (S13)
//! stops the clock or starts the policy's next stage, the complainant's feedback (S14) ends it
//! or reopens the complaint with a new clock, and a closing stops it.

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1 as events;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::to_micros;

use super::{CaseRow, Change, Clocks, HistoryRow, channel_label, clock_of, refresh_clock};

/// The reason an event is refused for good.
type Refusal = String;

/// A history entry for what a later service did, with the complaint after it.
fn followed(case: CaseRow, at: i64, who: ActorRec, action: &str, detail: String) -> Change {
    let history = vec![HistoryRow::of(&case, at, who, action, detail, "")];
    Change {
        case,
        history,
        ..Default::default()
    }
}

/// S13: the response was delivered.
pub fn response_delivered(
    clocks: &Clocks,
    d: &events::ResponseDelivered,
    who: ActorRec,
    at: i64,
    case: Option<CaseRow>,
) -> Result<Option<Change>, Refusal> {
    let Some(mut case) = case else {
        return Err("a delivery of a complaint triage has not received".into());
    };
    let delivered = d
        .delivered_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(to_micros)
        .unwrap_or(at);
    // S13 stops the clock (or, with a staged policy, starts the next stage).
    let mut clock = clock_of(&case);
    clock.resume(delivered);
    clocks
        .on_event(&mut clock, "response_delivered", delivered)
        .map_err(|e| e.to_string())?;
    refresh_clock(clocks, &mut case, &clock).map_err(|e| e.to_string())?;
    case.status = ComplaintStatus::ResponseDelivered as i32;
    case.updated_at = at;
    Ok(Some(followed(
        case,
        at,
        who,
        "response_delivered",
        format!(
            "version {} delivered by {}",
            d.version,
            channel_label(d.channel)
        ),
    )))
}

/// S14: the complainant's feedback; a dissatisfied complainant's reopening starts a new clock.
pub fn feedback_recorded(
    clocks: &Clocks,
    d: &events::FeedbackRecorded,
    who: ActorRec,
    at: i64,
    case: Option<CaseRow>,
) -> Result<Option<Change>, Refusal> {
    let Some(mut case) = case else {
        return Err("feedback on a complaint triage has not received".into());
    };
    let mut clock = clock_of(&case);
    let detail = if d.reopens {
        // S14 dissatisfied: a new clock from the reopening, per the policy.
        let policy = clocks.policy(&clock.policy).map_err(|e| e.to_string())?;
        if let Some(stage) = policy.stages_started_by("reopened").next() {
            clock.stage = stage.code.clone();
            clock.started_at = at;
            clock.pauses.clear();
            clock.stopped_at = None;
        }
        case.status = ComplaintStatus::InHandling as i32;
        format!(
            "dissatisfied ({}): reopened, new clock {}",
            d.grounds_code, clock.stage
        )
    } else {
        clocks
            .on_event(&mut clock, "feedback_recorded", at)
            .map_err(|e| e.to_string())?;
        if clock.stopped_at.is_none() && !d.satisfied {
            clock.stopped_at = Some(at);
        }
        case.status = ComplaintStatus::Reporting as i32;
        if d.satisfied {
            "satisfied".to_string()
        } else {
            format!("dissatisfied ({}), not reopened", d.grounds_code)
        }
    };
    refresh_clock(clocks, &mut case, &clock).map_err(|e| e.to_string())?;
    case.updated_at = at;
    Ok(Some(followed(case, at, who, "feedback_recorded", detail)))
}

/// Another service closed the complaint: the clock stops.
pub fn closed(
    clocks: &Clocks,
    source: &str,
    d: &events::ComplaintClosed,
    who: ActorRec,
    at: i64,
    case: Option<CaseRow>,
) -> Result<Option<Change>, Refusal> {
    let Some(mut case) = case else {
        return Err("a closing of a complaint triage has not received".into());
    };
    let mut clock = clock_of(&case);
    if clock.stopped_at.is_none() {
        clock.stopped_at = Some(at);
    }
    refresh_clock(clocks, &mut case, &clock).map_err(|e| e.to_string())?;
    case.status = ComplaintStatus::Closed as i32;
    case.updated_at = at;
    Ok(Some(followed(
        case,
        at,
        who,
        "closed",
        format!("closed by {source}: {}", d.reason_code),
    )))
}
