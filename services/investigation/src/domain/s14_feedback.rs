//! S14: the complainant's feedback on the response, recorded by feedback. Dissatisfied feedback
//! that reopens the case sends it back to the Bidang for a new response version; otherwise the
//! case goes on to reporting (S15).

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, HandlingActivityKind};

use super::{ActorRec, File, Reaction, activity, history, status_name};

/// Feedback on the case's response.
pub fn recorded(
    d: &events::FeedbackRecorded,
    file: Option<File>,
    at: i64,
    who: ActorRec,
) -> Reaction {
    let Some(mut file) = file else {
        return Err("feedback on a case investigation does not hold".into());
    };
    let current = file.body.response_version;
    let answered = matches!(
        ComplaintStatus::try_from(file.status),
        Ok(ComplaintStatus::ResponseReady | ComplaintStatus::ResponseDelivered)
    );
    if (d.version != 0 && d.version != current) || !answered {
        let detail = format!(
            "on version {} while the case is {}: no change",
            d.version,
            status_name(file.status)
        );
        history(&mut file, &who, at, "feedback", detail);
        file.updated_at = file.updated_at.max(at);
        return Ok(Some((file, Vec::new())));
    }
    let mut out = Vec::new();
    if d.reopens {
        // S14 dissatisfied: back to the Bidang for a new response version.
        file.status = ComplaintStatus::InHandling as i32;
        file.body.response_version = current + 1;
        file.body.reopen_count += 1;
        let grounds = d.grounds_code.clone();
        history(
            &mut file,
            &who,
            at,
            "reopened",
            format!(
                "dissatisfied with version {current} ({grounds}); response version {} opens",
                current + 1
            ),
        );
        let version = file.body.response_version;
        out.push(activity(
            &mut file,
            Step::S8Clarification,
            &who,
            at,
            HandlingActivityKind::Reopened,
            |a| {
                a.outcome_code = grounds;
                a.response_version = version;
                a.activity_code = "reopened.feedback".into();
            },
        ));
    } else {
        file.status = ComplaintStatus::Reporting as i32;
        history(
            &mut file,
            &who,
            at,
            "feedback",
            if d.satisfied {
                format!("satisfied with version {current}")
            } else {
                format!(
                    "dissatisfied with version {current} ({}), not reopened",
                    d.grounds_code
                )
            },
        );
    }
    file.updated_at = file.updated_at.max(at);
    Ok(Some((file, out)))
}
