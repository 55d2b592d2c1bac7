//! S11: the Bidang head decides whether the complaint qualifies for follow-up (after at least
//! one clarification or interview). The last decision stands; it may be changed.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::lifecycle_event::Detail;
use aduan_proto::events::v1::{self as events, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::{Error, Result};

use super::{ActorRec, EligibilityRec, File, event, history, in_handling};

/// Records the eligibility decision `r`.
pub fn decide(
    file: &mut File,
    who: &ActorRec,
    now: i64,
    r: &pb::DecideEligibilityRequest,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "The eligibility decision (S11)")?;
    if file.body.interviews.is_empty() {
        return Err(Error::FailedPrecondition(
            "the eligibility decision (S11) follows a clarification or interview (S8-S9); none is recorded".into(),
        ));
    }
    if let Some(e) = file.body.eligibility()
        && e.qualifies == r.qualifies
        && e.reason_code == r.reason_code
    {
        return Err(Error::AlreadyExists(
            "this eligibility decision stands already".into(),
        ));
    }
    let changed = !file.body.eligibility.is_empty();
    file.body.eligibility.push(EligibilityRec {
        qualifies: r.qualifies,
        reason_code: r.reason_code.clone(),
        note: r.note.trim().to_string(),
        by: who.clone(),
        at: now,
    });
    let detail = format!(
        "{}{}",
        if r.qualifies {
            "qualifies".to_string()
        } else {
            format!("does not qualify: {}", r.reason_code)
        },
        if changed { " (changed)" } else { "" }
    );
    history(file, who, now, "eligibility", detail);
    Ok(vec![event(
        file,
        Step::S11InvestigationMediation,
        who,
        now,
        Detail::EligibilityDecided(events::EligibilityDecided {
            qualifies: r.qualifies,
            reason_code: r.reason_code.clone(),
        }),
    )])
}
