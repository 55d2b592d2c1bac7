//! S12: the response is drafted by the officers and approved (or returned) by the Bidang head.
//! Its outcome must fit the eligibility decision and what the case holds; an approved response
//! makes the case ready for delivery (S13).

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::lifecycle_event::Detail;
use aduan_proto::events::v1::{self as events, HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::Caller;
use aduan_runtime::{Error, Result};

use super::{
    APPROVED, ActorRec, CaseDoc, DRAFT, DraftRec, File, NOT_QUALIFIED_OUTCOME, RETURNED,
    SUPERSEDED, activity, event, history, in_handling, may_work,
};

/// Drafts the response `r` (a pending draft of the same version is superseded).
pub fn draft(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    r: &pb::DraftResponseRequest,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "Drafting the response (S12)")?;
    may_work(caller, file, false)?;
    check_outcome(&file.body, &r.outcome_code)?;
    let version = file.body.response_version.max(1);
    for d in &mut file.body.responses {
        if d.version == version && d.state == DRAFT {
            d.state = SUPERSEDED;
        }
    }
    let revision = file.body.responses.len() as i32 + 1;
    file.body.responses.push(DraftRec {
        version,
        revision,
        text: r.text.trim().to_string(),
        outcome_code: r.outcome_code.clone(),
        state: DRAFT,
        by: who.clone(),
        at: now,
        reviewed_by: None,
        reviewed_at: None,
        return_reason: String::new(),
    });
    history(
        file,
        who,
        now,
        "response_drafted",
        format!("version {version}, revision {revision}: {}", r.outcome_code),
    );
    Ok(vec![activity(
        file,
        Step::S12ResponsePrepared,
        who,
        now,
        HandlingActivityKind::ResponseDrafted,
        |a| {
            a.outcome_code = r.outcome_code.clone();
            a.response_version = version;
            a.activity_code = "response.drafted".into();
        },
    )])
}

/// Approves the draft `revision`: the case's response is ready for delivery.
pub fn approve(
    file: &mut File,
    who: &ActorRec,
    now: i64,
    revision: i32,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "Approving the response (S12)")?;
    let version = file.body.response_version;
    let outcome = reviewable(&mut file.body, revision)?.outcome_code.clone();
    let Some(e) = file.body.eligibility().cloned() else {
        return Err(Error::FailedPrecondition(
            "the response needs the eligibility decision (S11) first".into(),
        ));
    };
    check_outcome(&file.body, &outcome).map_err(|_| {
        Error::FailedPrecondition(
            "the draft no longer fits the eligibility decision or the sessions; draft again".into(),
        )
    })?;
    let latest = reviewable(&mut file.body, revision)?;
    latest.state = APPROVED;
    latest.reviewed_by = Some(who.clone());
    latest.reviewed_at = Some(now);
    file.status = ComplaintStatus::ResponseReady as i32;
    history(
        file,
        who,
        now,
        "response_approved",
        format!("version {version}, revision {revision}: {outcome}"),
    );
    let bidang = file.unit.clone();
    let registration_number = file.body.registration_number.clone();
    let category_code = file.body.category_code.clone();
    Ok(vec![event(
        file,
        Step::S12ResponsePrepared,
        who,
        now,
        Detail::ResponseApproved(events::ResponseApproved {
            bidang_code: bidang,
            version,
            qualified: e.qualifies,
            outcome_code: outcome,
            registration_number,
            category_code,
        }),
    )])
}

/// Returns the draft `revision` to the officers with `reason`.
pub fn return_draft(
    file: &mut File,
    who: &ActorRec,
    now: i64,
    revision: i32,
    reason: &str,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "Returning the response (S12)")?;
    let version = file.body.response_version;
    let latest = reviewable(&mut file.body, revision)?;
    latest.state = RETURNED;
    latest.reviewed_by = Some(who.clone());
    latest.reviewed_at = Some(now);
    latest.return_reason = reason.trim().to_string();
    history(
        file,
        who,
        now,
        "response_returned",
        format!("version {version}, revision {revision}"),
    );
    Ok(vec![activity(
        file,
        Step::S12ResponsePrepared,
        who,
        now,
        HandlingActivityKind::ResponseReturned,
        |a| {
            a.response_version = version;
            a.activity_code = "response.returned".into();
        },
    )])
}

/// The latest draft, when it is `revision` and waits for review.
fn reviewable(doc: &mut CaseDoc, revision: i32) -> Result<&mut DraftRec> {
    let version = doc.response_version;
    let latest = doc
        .responses
        .last_mut()
        .ok_or_else(|| Error::FailedPrecondition("no response is drafted yet (S12)".into()))?;
    if latest.revision != revision || latest.version != version || latest.state != DRAFT {
        return Err(Error::FailedPrecondition(format!(
            "revision {revision} is not the latest draft waiting for review"
        )));
    }
    Ok(latest)
}

/// The outcome a response reports must fit the eligibility decision and what the case holds.
fn check_outcome(doc: &CaseDoc, outcome: &str) -> Result<()> {
    let Some(e) = doc.eligibility() else {
        return Err(Error::FailedPrecondition(
            "the response (S12) needs the eligibility decision (S11) first".into(),
        ));
    };
    if !e.qualifies {
        if outcome != NOT_QUALIFIED_OUTCOME {
            return Err(Error::invalid(
                "outcome_code",
                format!(
                    "the complaint does not qualify: the response reports {NOT_QUALIFIED_OUTCOME}"
                ),
            ));
        }
        return Ok(());
    }
    if outcome == NOT_QUALIFIED_OUTCOME {
        return Err(Error::invalid(
            "outcome_code",
            "the complaint qualifies: report the outcome of its handling",
        ));
    }
    let agreement = pb::SessionOutcome::AgreementReached as i32;
    match outcome {
        "agreement_reached" if !doc.sessions.iter().any(|s| s.outcome == agreement) => {
            Err(Error::FailedPrecondition(
                "agreement_reached needs a session with an agreement (S11)".into(),
            ))
        }
        "referred"
            if !doc
                .referrals
                .iter()
                .any(|r| r.answer.as_ref().is_none_or(|a| a.accepted)) =>
        {
            Err(Error::FailedPrecondition(
                "referred needs a referral that is pending or accepted (S11)".into(),
            ))
        }
        _ => Ok(()),
    }
}
