//! S8-S9: clarifications (S8) and interviews (S9) with the parties. An interview may amend
//! intake's record of the complaint (through intake's API, before it is recorded here).

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::Result;
use aduan_runtime::auth::Caller;

use super::{ActorRec, File, InterviewRec, activity, enum_code, history, in_handling, may_work};

/// True for a clarification (S8), false for an interview (S9).
pub fn is_clarification(kind: i32) -> bool {
    kind == pb::InterviewKind::Clarification as i32
}

/// The step's name in messages.
fn step_name(kind: i32) -> &'static str {
    if is_clarification(kind) {
        "A clarification (S8)"
    } else {
        "An interview (S9)"
    }
}

/// The party's code, for the history and the event.
fn party_code(p: i32) -> String {
    enum_code::<pb::PartyRole>(p, "PARTY_ROLE_", |e| e.as_str_name())
}

/// Whether `caller` may record a clarification or interview (`kind`) on the case now: checked
/// before intake's record is amended, and again when it is recorded.
pub fn may_record(file: &File, caller: &Caller, kind: i32) -> Result<()> {
    in_handling(file, step_name(kind))?;
    may_work(caller, file, false)
}

/// Records the clarification or interview `rec`.
pub fn record(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    mut rec: InterviewRec,
) -> Result<Vec<LifecycleEvent>> {
    may_record(file, caller, rec.kind)?;
    rec.at = now;
    let (name, step, kind) = if is_clarification(rec.kind) {
        (
            "clarification",
            Step::S8Clarification,
            HandlingActivityKind::Clarification,
        )
    } else {
        (
            "interview",
            Step::S9Interview,
            HandlingActivityKind::Interview,
        )
    };
    let party = party_code(rec.party);
    let mut detail = format!("{} with {party}", rec.id);
    if rec.intake_revision > 0 {
        detail.push_str(&format!(
            "; intake revision {}: {}",
            rec.intake_revision,
            rec.amended_fields.join(", ")
        ));
    }
    let amended = rec.intake_revision > 0;
    file.body.interviews.push(rec);
    history(file, who, now, name, detail);
    Ok(vec![activity(file, step, who, now, kind, |a| {
        a.activity_code = format!("{name}.{party}");
        if amended {
            a.outcome_code = "intake_amended".into();
        }
    })])
}
