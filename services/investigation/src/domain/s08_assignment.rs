//! S8: the Bidang head assigns the officers who handle the case (or reassigns them, with a
//! reason).

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::{Error, Result};

use super::{
    ActorRec, AssigneeRec, AssignmentRec, File, activity, enum_code, history, in_handling,
};

/// Assigns `wanted` to the case; a reassignment needs a `reason`.
pub fn assign(
    file: &mut File,
    who: &ActorRec,
    now: i64,
    wanted: &[AssigneeRec],
    reason: &str,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "Assigning officers (S8)")?;
    let mut a = wanted.to_vec();
    let mut b = file.body.assignees.clone();
    a.sort_by(|x, y| x.subject.cmp(&y.subject));
    b.sort_by(|x, y| x.subject.cmp(&y.subject));
    if a == b {
        return Err(Error::AlreadyExists(
            "these officers are assigned to the case already".into(),
        ));
    }
    let reassigned = !file.body.assignees.is_empty();
    if reassigned && reason.trim().is_empty() {
        return Err(Error::invalid("reason", "required for a reassignment"));
    }
    for old in &mut file.body.assignments {
        old.superseded = true;
    }
    file.body.assignments.push(AssignmentRec {
        assignees: wanted.to_vec(),
        by: who.clone(),
        at: now,
        reason: reason.trim().to_string(),
        superseded: false,
    });
    file.body.assignees = wanted.to_vec();
    file.assignees = wanted.iter().map(|a| a.subject.clone()).collect();
    let list = wanted
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                a.subject,
                enum_code::<pb::OfficerFunction>(a.function, "OFFICER_FUNCTION_", |e| e
                    .as_str_name())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let action = if reassigned { "reassigned" } else { "assigned" };
    history(file, who, now, action, list);
    let count = wanted.len() as i32;
    Ok(vec![activity(
        file,
        Step::S8Clarification,
        who,
        now,
        HandlingActivityKind::Assignment,
        |a| {
            a.activity_code = format!("assignment.{action}");
            a.assignee_count = count;
        },
    )])
}
