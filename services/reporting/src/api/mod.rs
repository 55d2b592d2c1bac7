//! The gRPC face of reporting (`aduan.reporting.v1.ReportingService`): each handler checks the
//! request's fields, authorises the caller, runs the step of [`crate::domain`] through the core
//! (or reads through the store) and maps the answer.

mod validate;

use std::sync::Arc;

use aduan_proto::common::v1::Channel;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::auth::Caller;
use aduan_runtime::server::Ready;
use aduan_runtime::time::now_micros;
use aduan_runtime::validate as check;
use aduan_runtime::{Error, Result, Violations};
use tonic::{Request, Response, Status};

use crate::core::Reporting;
use crate::directory::Directory;
use crate::domain::Doc;
use crate::domain::s15_report::{self, DraftInput};
use crate::domain::s16_distribution::{self, DeliveryInput};
use crate::pb;
use crate::stats;
use crate::store::QueueStates;

/// At most this many recommendations or agencies on one report.
const LIST_MAX: usize = 20;

/// The gRPC face of reporting; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct ReportingApi {
    core: Ready<Reporting>,
}

impl Default for ReportingApi {
    fn default() -> Self {
        Self {
            core: Ready::new("reporting"),
        }
    }
}

impl ReportingApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Reporting>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Reporting>> {
        self.core.get()
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::reporting_service_server::ReportingServiceServer<Self> {
        pb::reporting_service_server::ReportingServiceServer::new(self)
            .max_encoding_message_size(64 << 20)
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::reporting_service_server::ReportingService for ReportingApi {
    async fn get_timeline(&self, request: Request<pb::GetTimelineRequest>) -> Reply<pb::Timeline> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(
            core.timeline(&caller, &r.complaint_id).await?,
        ))
    }

    async fn list_handling_reports(
        &self,
        request: Request<pb::ListHandlingReportsRequest>,
    ) -> Reply<pb::ListHandlingReportsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            list_reports(core, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_handling_report(
        &self,
        request: Request<pb::GetHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(
            get_report(core, &caller, &r.complaint_id).await?,
        ))
    }

    async fn draft_handling_report(
        &self,
        request: Request<pb::DraftHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            draft(core, &caller, request.into_inner()).await?,
        ))
    }

    async fn approve_handling_report(
        &self,
        request: Request<pb::ApproveHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            approve(core, &caller, request.into_inner()).await?,
        ))
    }

    async fn return_handling_report(
        &self,
        request: Request<pb::ReturnHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            return_draft(core, &caller, request.into_inner()).await?,
        ))
    }

    async fn distribute_handling_report(
        &self,
        request: Request<pb::DistributeHandlingReportRequest>,
    ) -> Reply<pb::HandlingReport> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            distribute(core, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Reply<pb::Statistics> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(
            statistics(core, &caller, &request.into_inner()).await?,
        ))
    }

    async fn export_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Reply<pb::ExportStatisticsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let stats = statistics(core, &caller, &request.into_inner()).await?;
        Ok(Response::new(stats::export(&stats)))
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Reply<pb::Document> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        Ok(Response::new(
            core.document(&caller, authorization, request.into_inner())
                .await?,
        ))
    }

    async fn list_recipients(
        &self,
        request: Request<pb::ListRecipientsRequest>,
    ) -> Reply<pb::ListRecipientsResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        Ok(Response::new(recipients(
            core,
            &caller,
            request.into_inner(),
        )?))
    }
}

/// One complaint's report.
async fn get_report(core: &Reporting, caller: &Caller, id: &str) -> Result<pb::HandlingReport> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", id);
    v.into_result()?;
    let file = core.load_visible(caller, id).await?;
    Ok(core.report_pb(&file))
}

/// The reporting queue of an office.
async fn list_reports(
    core: &Reporting,
    caller: &Caller,
    r: pb::ListHandlingReportsRequest,
) -> Result<pb::ListHandlingReportsResponse> {
    let mut v = Violations::new();
    let (offset, limit) = validate::page(&mut v, r.page_size, &r.page_token);
    let state = pb::ReportState::try_from(r.state).ok();
    if state.is_none() {
        v.add("state", "not a report state");
    }
    v.into_result()?;
    let office = if r.office_code.is_empty() {
        caller.principal.office.clone()
    } else {
        r.office_code.clone()
    };
    caller.require_office(&office)?;
    let bidang = if caller.bidang_scoped() {
        // A Bidang role without a Bidang claim sees no complaint (as everywhere else).
        let Some(bidang) = caller.principal.bidang.clone() else {
            return Ok(pb::ListHandlingReportsResponse::default());
        };
        Some(bidang)
    } else {
        None
    };
    let states = match (r.awaiting_draft, state.unwrap_or_default()) {
        (true, _) => QueueStates::AwaitingDraft,
        (false, pb::ReportState::Unspecified) => QueueStates::Any,
        (false, s) => QueueStates::Is(s as i32),
    };
    let (total, ids) = core
        .store
        .queue(&office, bidang.as_deref(), states, offset, limit)
        .await?;
    let mut reports = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(file) = core.store.cases().get::<Doc>(&id).await? {
            reports.push(core.report_pb(&file));
        }
    }
    let next = offset + reports.len() as i64;
    Ok(pb::ListHandlingReportsResponse {
        next_page_token: if next < total && !reports.is_empty() {
            next.to_string()
        } else {
            String::new()
        },
        reports,
        total: total as i32,
    })
}

/// Checks a draft's recommendation and agency codes against the directory.
fn check_codes(directory: &Directory, v: &mut Violations, recs: &[String], agencies: &[String]) {
    if recs.is_empty() {
        v.add("recommendation_codes", "at least one recommendation");
    }
    // Issue 13: an oversized list gets one violation; its elements are not looked at.
    if check::list_len(v, "recommendation_codes", recs.len(), 0, LIST_MAX) {
        for (i, c) in recs.iter().enumerate() {
            if directory.recommendation(c).is_none() {
                v.add(
                    format!("recommendation_codes[{i}]"),
                    "not a recommendation of data/recommendations.csv",
                );
            } else if recs[..i].contains(c) {
                v.add(format!("recommendation_codes[{i}]"), "given twice");
            }
        }
    }
    if check::list_len(v, "agency_codes", agencies.len(), 0, LIST_MAX) {
        for (i, c) in agencies.iter().enumerate() {
            if directory.agency(c).is_none() {
                v.add(
                    format!("agency_codes[{i}]"),
                    "not an agency of data/agencies.csv",
                );
            } else if agencies[..i].contains(c) {
                v.add(format!("agency_codes[{i}]"), "given twice");
            }
        }
    }
}

/// The agencies a report of `office` can go to.
fn recipients(
    core: &Reporting,
    caller: &Caller,
    r: pb::ListRecipientsRequest,
) -> Result<pb::ListRecipientsResponse> {
    let office = if r.office_code.is_empty() {
        caller.principal.office.clone()
    } else {
        r.office_code
    };
    caller.require_office(&office)?;
    if core.refdata().office(&office).is_none() {
        return Err(Error::invalid(
            "office_code",
            "not an office of the province",
        ));
    }
    Ok(pb::ListRecipientsResponse {
        agencies: core
            .directory()
            .agencies()
            .iter()
            .map(|a| pb::Agency {
                code: a.code.clone(),
                name: core.agency_name(&office, &a.code),
            })
            .collect(),
    })
}

/// S15: drafts or redrafts the report.
async fn draft(
    core: &Reporting,
    caller: &Caller,
    r: pb::DraftHandlingReportRequest,
) -> Result<pb::HandlingReport> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    check_codes(
        core.directory(),
        &mut v,
        &r.recommendation_codes,
        &r.agency_codes,
    );
    if r.expected_revision < 0 {
        v.add("expected_revision", "0 or more");
    }
    v.into_result()?;
    let who = ActorRec::of(caller);
    let input = DraftInput {
        expected_revision: r.expected_revision,
        recommendations: r.recommendation_codes,
        agencies: r.agency_codes,
        new_id: uuid::Uuid::now_v7().to_string(),
    };
    let file = core
        .step(caller, &who, &r.complaint_id, |file, now| {
            s15_report::draft(file, &who, now, input)
        })
        .await?;
    Ok(core.report_pb(&file))
}

/// S15: approves the current draft.
async fn approve(
    core: &Reporting,
    caller: &Caller,
    r: pb::ApproveHandlingReportRequest,
) -> Result<pb::HandlingReport> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    validate::revision(&mut v, r.revision);
    v.into_result()?;
    let who = ActorRec::of(caller);
    let file = core
        .step(caller, &who, &r.complaint_id, |file, now| {
            s15_report::approve(file, &who, now, r.revision)
        })
        .await?;
    Ok(core.report_pb(&file))
}

/// S15: returns the current draft.
async fn return_draft(
    core: &Reporting,
    caller: &Caller,
    r: pb::ReturnHandlingReportRequest,
) -> Result<pb::HandlingReport> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    validate::revision(&mut v, r.revision);
    let reason = pb::ReturnReason::try_from(r.reason).unwrap_or_default();
    if reason == pb::ReturnReason::Unspecified {
        v.add("reason", "required");
    }
    v.into_result()?;
    let who = ActorRec::of(caller);
    let file = core
        .step(caller, &who, &r.complaint_id, |file, now| {
            s15_report::return_draft(file, &who, now, r.revision, reason)
        })
        .await?;
    Ok(core.report_pb(&file))
}

/// S16: records one delivery; the complainant's and the Head's close the complaint.
async fn distribute(
    core: &Reporting,
    caller: &Caller,
    r: pb::DistributeHandlingReportRequest,
) -> Result<pb::HandlingReport> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    let kind = pb::RecipientKind::try_from(r.recipient_kind).unwrap_or_default();
    if kind == pb::RecipientKind::Unspecified {
        v.add("recipient_kind", "required");
    }
    if kind == pb::RecipientKind::Agency {
        if r.agency_code.is_empty() {
            v.add("agency_code", "required for an agency");
        }
    } else if !r.agency_code.is_empty() {
        v.add("agency_code", "only for an agency");
    }
    let channel = Channel::try_from(r.channel).unwrap_or(Channel::Unspecified);
    if channel == Channel::Unspecified {
        v.add("channel", "required");
    }
    let delivered_at = validate::check_time(&mut v, "delivered_at", &r.delivered_at, now_micros());
    v.into_result()?;
    let who = ActorRec::of(caller);
    let input = DeliveryInput {
        kind,
        agency_code: r.agency_code,
        channel: channel as i32,
        delivered_at,
    };
    let file = core
        .step(caller, &who, &r.complaint_id, |file, now| {
            s16_distribution::distribute(file, &who, now, input)
        })
        .await?;
    Ok(core.report_pb(&file))
}

/// The statistics a request asks for (GetStatistics, ExportStatistics).
async fn statistics(
    core: &Reporting,
    caller: &Caller,
    r: &pb::GetStatisticsRequest,
) -> Result<pb::Statistics> {
    let mut v = Violations::new();
    let range = stats::period(&mut v, &r.period);
    if !(0..=24).contains(&r.satisfaction_months) {
        v.add("satisfaction_months", "0 to 24");
    }
    let scope = core.scope(caller, &r.office_code, r.province, range, v)?;
    core.statistics(&scope, r.satisfaction_months).await
}
