//! S16, distribution of the approved handling report: one delivery per party; once the
//! complainant and the Head have it the report is distributed and the complaint closes.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, lifecycle_event::Detail};
use aduan_proto::reporting::v1 as pb;
use aduan_runtime::{Error, Result};

use super::{ActorRec, DistributionRec, Outcome, ReportFile, emit};

/// One delivery (checked by the API).
#[derive(Debug, Clone)]
pub struct DeliveryInput {
    /// To whom.
    pub kind: pb::RecipientKind,
    /// The agency, for an agency.
    pub agency_code: String,
    /// The channel (aduan.common.v1.Channel).
    pub channel: i32,
    /// When it was delivered (microseconds).
    pub delivered_at: i64,
}

/// S16: records one delivery (`handling_report_distributed`); the complainant's and the Head's
/// close the complaint (`closed`, "completed", unless it is closed already).
pub fn distribute(
    file: &mut ReportFile,
    who: &ActorRec,
    now: i64,
    input: DeliveryInput,
) -> Result<Outcome> {
    let kind = input.kind;
    let report =
        file.body.report.as_mut().ok_or_else(|| {
            Error::FailedPrecondition("no handling report has been drafted".into())
        })?;
    if report.state < pb::ReportState::Approved as i32 {
        return Err(Error::FailedPrecondition(
            "the report is not approved yet (S15 before S16)".into(),
        ));
    }
    if kind == pb::RecipientKind::Agency && !report.agencies.contains(&input.agency_code) {
        return Err(Error::invalid(
            "agency_code",
            "not among the report's agencies",
        ));
    }
    if report
        .distributions
        .iter()
        .any(|d| d.recipient_kind == kind as i32 && d.agency_code == input.agency_code)
    {
        return Err(Error::AlreadyExists(
            "the report was delivered to this party already".into(),
        ));
    }
    if input.delivered_at < report.reviewed_at {
        return Err(Error::invalid(
            "delivered_at",
            "before the report was approved",
        ));
    }
    report.distributions.push(DistributionRec {
        recipient_kind: kind as i32,
        agency_code: input.agency_code,
        channel: input.channel,
        delivered_at: input.delivered_at,
        recorded_by: who.clone(),
    });
    let has = |k: pb::RecipientKind| {
        report
            .distributions
            .iter()
            .any(|d| d.recipient_kind == k as i32)
    };
    let complete = report.state == pb::ReportState::Approved as i32
        && has(pb::RecipientKind::Complainant)
        && has(pb::RecipientKind::Head);
    if complete {
        report.state = pb::ReportState::Distributed as i32;
    }
    let report_id = report.id.clone();
    let recipient_kind = kind
        .as_str_name()
        .trim_start_matches("RECIPIENT_KIND_")
        .to_ascii_lowercase();
    let status = file.status;
    let mut out = Outcome::default();
    out.events.push(emit(
        file,
        (
            Step::S16ReportDistributed,
            status,
            Detail::HandlingReportDistributed(events::HandlingReportDistributed {
                report_id,
                recipient_kind,
            }),
        ),
        who,
        now,
    ));
    if complete {
        file.body.reached.insert("S16".into(), input.delivered_at);
        if file.status != ComplaintStatus::Closed as i32 {
            out.events.push(emit(
                file,
                (
                    Step::S16ReportDistributed,
                    ComplaintStatus::Closed as i32,
                    Detail::Closed(events::ComplaintClosed {
                        reason_code: "completed".into(),
                    }),
                ),
                who,
                now,
            ));
        }
    }
    Ok(out)
}
