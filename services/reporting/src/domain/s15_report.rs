//! S15, the handling report (laporan hasil penanganan): drafted by the Bidang once the
//! complainant's feedback (S14) is in, approved by its head or returned with a coded reason.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, lifecycle_event::Detail};
use aduan_proto::reporting::v1 as pb;
use aduan_runtime::{Error, Result};

use super::{ActorRec, Outcome, ReportFile, ReportRec, emit};

/// The queue state of a case file (report_queue.state): None when it is not at the reporting
/// stage; 0 awaiting a first draft; else the report's state.
pub fn queue_state(file: &ReportFile) -> Option<i32> {
    match &file.body.report {
        Some(r) => Some(r.state),
        None => {
            let at_stage = file.status == ComplaintStatus::Reporting as i32
                || (file.status == ComplaintStatus::Closed as i32
                    && file.body.close_reason == "silence");
            at_stage.then_some(0)
        }
    }
}

/// The report's number: "LHP/" and the registration number.
pub fn report_number(file: &ReportFile) -> String {
    if file.body.registration_number.is_empty() {
        format!("LHP/{}/{}", file.office_code, &file.complaint_id)
    } else {
        format!("LHP/{}", file.body.registration_number)
    }
}

/// What a draft says (checked by the API against the directory).
#[derive(Debug, Clone)]
pub struct DraftInput {
    /// The revision the drafter saw (0 before the first draft).
    pub expected_revision: i32,
    /// Recommendation codes.
    pub recommendations: Vec<String>,
    /// Agency codes.
    pub agencies: Vec<String>,
    /// The report's id when it is the first draft.
    pub new_id: String,
}

/// S15: drafts or redrafts the report. Needs the feedback (S14) in and the report not approved;
/// `expected_revision` must be the current one.
pub fn draft(
    file: &mut ReportFile,
    who: &ActorRec,
    now: i64,
    input: DraftInput,
) -> Result<Outcome> {
    let state = queue_state(file).ok_or_else(|| {
        Error::FailedPrecondition(
            "the complainant's feedback (S14) is not in yet: the handling report follows it".into(),
        )
    })?;
    let current = file.body.report.as_ref().map(|x| x.revision).unwrap_or(0);
    if state >= pb::ReportState::Approved as i32 {
        return Err(Error::FailedPrecondition(
            "the report is approved already".into(),
        ));
    }
    if input.expected_revision != current {
        return Err(Error::FailedPrecondition(format!(
            "the current draft is revision {current}, not {}",
            input.expected_revision
        )));
    }
    let id = file
        .body
        .report
        .as_ref()
        .map(|x| x.id.clone())
        .unwrap_or(input.new_id);
    let detail = format!(
        "revision={} recommendations={}",
        current + 1,
        input.recommendations.join(",")
    );
    file.body.report = Some(ReportRec {
        id,
        state: pb::ReportState::Draft as i32,
        revision: current + 1,
        recommendations: input.recommendations,
        agencies: input.agencies,
        drafted_by: who.clone(),
        drafted_at: now,
        reviewed_by: None,
        reviewed_at: 0,
        return_reason: 0,
        distributions: Vec::new(),
    });
    Ok(Outcome {
        events: Vec::new(),
        note: Some(("handling_report_drafted", detail)),
    })
}

/// The current draft of `revision`, waiting for review.
fn current_draft(file: &mut ReportFile, revision: i32) -> Result<&mut ReportRec> {
    let report =
        file.body.report.as_mut().ok_or_else(|| {
            Error::FailedPrecondition("no handling report has been drafted".into())
        })?;
    if report.state != pb::ReportState::Draft as i32 {
        return Err(Error::FailedPrecondition(
            "the report is not a draft waiting for review".into(),
        ));
    }
    if report.revision != revision {
        return Err(Error::FailedPrecondition(format!(
            "the current draft is revision {}, not {revision}",
            report.revision
        )));
    }
    Ok(report)
}

/// S15: approves the current draft (`handling_report_approved`).
pub fn approve(file: &mut ReportFile, who: &ActorRec, now: i64, revision: i32) -> Result<Outcome> {
    let report = current_draft(file, revision)?;
    report.state = pb::ReportState::Approved as i32;
    report.reviewed_by = Some(who.clone());
    report.reviewed_at = now;
    let report_id = report.id.clone();
    let status = file.status;
    let e = emit(
        file,
        (
            Step::S15HandlingReport,
            status,
            Detail::HandlingReportApproved(events::HandlingReportApproved { report_id }),
        ),
        who,
        now,
    );
    Ok(Outcome {
        events: vec![e],
        note: None,
    })
}

/// S15: returns the current draft with a coded reason.
pub fn return_draft(
    file: &mut ReportFile,
    who: &ActorRec,
    now: i64,
    revision: i32,
    reason: pb::ReturnReason,
) -> Result<Outcome> {
    let report = current_draft(file, revision)?;
    report.state = pb::ReportState::Returned as i32;
    report.reviewed_by = Some(who.clone());
    report.reviewed_at = now;
    report.return_reason = reason as i32;
    let detail = format!(
        "revision={revision} reason={}",
        reason
            .as_str_name()
            .trim_start_matches("RETURN_REASON_")
            .to_ascii_lowercase()
    );
    Ok(Outcome {
        events: Vec::new(),
        note: Some(("handling_report_returned", detail)),
    })
}
