//! The gRPC face of investigation (`aduan.investigation.v1.InvestigationService`): each handler
//! decodes the request, checks its fields ([`validate`]), checks who calls, and runs the step's
//! domain function (`crate::domain::s*`) on the case through the core's step runner; the
//! answer is mapped with [`crate::view`]. The rules of S8-S12 are in the domain, not here.

mod validate;

use std::collections::HashSet;
use std::sync::Arc;

use aduan_proto::common::v1::{Actor, ComplaintStatus};
use aduan_proto::events::v1::LifecycleEvent;
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::{from_micros, to_proto};
use aduan_runtime::{Error, Result, Violations, validate as check};
use aduan_spine::casefile::Filter;
use tonic::{Request, Response, Status};

use crate::Investigation;
use crate::domain::{
    self, ActorRec, AssigneeRec, ConsentRec, CoordinationRec, EvidenceRec, File, HomeVisitRec,
    InterviewRec, NOT_QUALIFIED_OUTCOME, NOT_QUALIFIED_REASONS, QUALIFIED_OUTCOMES,
    SessionPartyRec, SessionRec,
};
use crate::media;
use crate::view;
use validate::*;

/// The roles that work inside one Bidang and see only its cases.
const BIDANG_ROLES: [Role; 5] = [
    Role::BidangHead,
    Role::BidangOfficer,
    Role::Counsellor,
    Role::Mediator,
    Role::SocialWorker,
];

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn count_step(office: &str, step: &'static str) {
    metrics::counter!(
        "aduan_investigation_steps_total",
        "office" => office.to_string(),
        "step" => step
    )
    .increment(1);
}

/// Runs the domain step `f` on the case `id` as `caller`, counts it as `metric`, and answers
/// the case's change with `record_id`.
async fn recorded<F>(
    core: &Investigation,
    caller: &Caller,
    id: &str,
    metric: &'static str,
    record_id: String,
    f: F,
) -> Reply<pb::CaseChange>
where
    F: FnOnce(&mut File, i64) -> Result<Vec<LifecycleEvent>> + Send,
{
    let file = core.step(caller, id, f).await?;
    count_step(&file.office_code, metric);
    Ok(Response::new(core.change(&file, record_id)))
}

/// The gRPC face of investigation; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct InvestigationApi {
    core: Ready<Investigation>,
}

impl Default for InvestigationApi {
    fn default() -> Self {
        Self {
            core: Ready::new("investigation"),
        }
    }
}

/// The largest request message the server decodes for the two calls that carry a file
/// (AddEvidence inline, UploadEvidence in chunks): the configured file limit is checked by the
/// handler, below this.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The largest message of every other call (tonic's default): a request that names officers or
/// records an interview has no reason to be larger, and a large one costs its size in memory
/// before any handler sees it (issue 13).
pub const MAX_OTHER_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// An upload's chunks: each carries at least one byte, and there are at most this many (the CLI
/// sends 1 MiB chunks; 20 MiB in chunks of 20 KiB still fits).
pub const MAX_UPLOAD_CHUNKS: usize = 1024;

type Server = pb::investigation_service_server::InvestigationServiceServer<InvestigationApi>;

/// The investigation server: the calls that carry a file are decoded with
/// [`MAX_MESSAGE_BYTES`], every other with [`MAX_OTHER_MESSAGE_BYTES`].
#[derive(Clone)]
pub struct InvestigationServer {
    files: Server,
    other: Server,
}

impl InvestigationServer {
    /// The paths of the calls that carry a file.
    const FILE_CALLS: [&'static str; 2] = [
        "/aduan.investigation.v1.InvestigationService/AddEvidence",
        "/aduan.investigation.v1.InvestigationService/UploadEvidence",
    ];
}

impl<B> tower::Service<http::Request<B>> for InvestigationServer
where
    Server: tower::Service<http::Request<B>>,
{
    type Response = <Server as tower::Service<http::Request<B>>>::Response;
    type Error = <Server as tower::Service<http::Request<B>>>::Error;
    type Future = <Server as tower::Service<http::Request<B>>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        // Both are tonic's generated servers, always ready; poll both to keep the contract.
        match tower::Service::<http::Request<B>>::poll_ready(&mut self.files, cx) {
            std::task::Poll::Ready(Ok(())) => {
                tower::Service::<http::Request<B>>::poll_ready(&mut self.other, cx)
            }
            other => other,
        }
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if Self::FILE_CALLS.contains(&req.uri().path()) {
            self.files.call(req)
        } else {
            self.other.call(req)
        }
    }
}

impl tonic::server::NamedService for InvestigationServer {
    const NAME: &'static str = <Server as tonic::server::NamedService>::NAME;
}

impl InvestigationApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Investigation>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Investigation>> {
        self.core.get()
    }

    /// The tonic server (accepting evidence files up to [`MAX_MESSAGE_BYTES`], every other
    /// request up to [`MAX_OTHER_MESSAGE_BYTES`]).
    pub fn into_server(self) -> InvestigationServer {
        InvestigationServer {
            files: Server::new(self.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            // Answers carry evidence files (GetEvidenceFile): the encoding limit stays large.
            other: Server::new(self)
                .max_decoding_message_size(MAX_OTHER_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        }
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::investigation_service_server::InvestigationService for InvestigationApi {
    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Reply<pb::ListCasesResponse> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        let office = if r.office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            r.office_code.clone()
        };
        if core.refdata.office(&office).is_none() {
            v.add("office_code", "unknown office");
        }
        if !r.bidang_code.is_empty() && core.refdata.bidang(&r.bidang_code).is_none() {
            v.add("bidang_code", "not a Bidang of the office's list");
        }
        // Issue 13: each status at most once (a repeat is dropped), so the filter stays short.
        let statuses =
            check::enum_set::<ComplaintStatus>(&mut v, "statuses", &r.statuses, "unknown status");
        let limit = page_size(&mut v, r.page_size, 50);
        let offset = parse_offset(&mut v, &r.page_token);
        v.into_result()?;
        caller.require_office(&office)?;
        let unit = if caller.bidang_scoped() {
            let Some(own) = caller.principal.bidang.clone() else {
                // A Bidang role without a Bidang sees no case.
                return Ok(Response::new(pb::ListCasesResponse::default()));
            };
            if !r.bidang_code.is_empty() && r.bidang_code != own {
                return Err(Error::PermissionDenied(format!(
                    "a Bidang role sees the cases of its own Bidang ({own}) only"
                ))
                .into());
            }
            own
        } else {
            r.bidang_code.clone()
        };
        let filter = Filter {
            office_code: office.clone(),
            unit,
            statuses,
            assignee: if r.assigned_to_me {
                caller.principal.subject.clone()
            } else {
                String::new()
            },
        };
        let (files, total) = core.store.list(&filter, offset, limit).await?;
        let today = core.today(&office);
        let next = offset + files.len() as i64;
        Ok(Response::new(pb::ListCasesResponse {
            cases: files.iter().map(|f| view::summary(f, today)).collect(),
            next_page_token: if next < total {
                next.to_string()
            } else {
                String::new()
            },
            total: i32::try_from(total).unwrap_or(i32::MAX),
        }))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Reply<pb::Case> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::text(&mut v, "purpose", &r.purpose, true, PURPOSE_MAX);
        v.into_result()?;
        let file = core.load_visible(&caller, &r.complaint_id).await?;
        core.log_read(
            &caller,
            &file.office_code,
            &file.complaint_id,
            "case".into(),
            &r.purpose,
        )
        .await?;
        Ok(Response::new(view::case(&file)))
    }

    async fn assign_officers(
        &self,
        request: Request<pb::AssignOfficersRequest>,
    ) -> Reply<pb::CaseChange> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::BidangHead) {
            return Err(Error::PermissionDenied(
                "only the Bidang head assigns officers (S8)".into(),
            )
            .into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if r.assignees.is_empty() {
            v.add("assignees", "at least one officer");
        } else if check::list_len(&mut v, "assignees", r.assignees.len(), 0, ASSIGNEES_MAX) {
            let mut seen = HashSet::new();
            for (i, a) in r.assignees.iter().enumerate() {
                check_subject(&mut v, &format!("assignees[{i}].subject"), &a.subject);
                if !seen.insert(a.subject.as_str()) {
                    v.add(format!("assignees[{i}].subject"), "listed twice");
                }
                if !enum_ok::<pb::OfficerFunction>(a.function) {
                    v.add(
                        format!("assignees[{i}].function"),
                        "required: case_officer, counsellor, mediator or social_worker",
                    );
                }
            }
        }
        check::text(&mut v, "reason", &r.reason, false, NOTE_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let wanted: Vec<AssigneeRec> = r
            .assignees
            .iter()
            .map(|a| AssigneeRec {
                subject: a.subject.clone(),
                function: a.function,
            })
            .collect();
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "assignment",
            String::new(),
            |file, now| domain::s08_assignment::assign(file, &who, now, &wanted, &r.reason),
        )
        .await
    }

    async fn record_interview(
        &self,
        request: Request<pb::RecordInterviewRequest>,
    ) -> Reply<pb::RecordInterviewResponse> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        let r = request.into_inner();
        let today = core.today(&caller.principal.office);
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if !enum_ok::<pb::InterviewKind>(r.kind) {
            v.add("kind", "required: clarification or interview");
        }
        let person = matches!(
            pb::PartyRole::try_from(r.party),
            Ok(pb::PartyRole::Complainant
                | pb::PartyRole::ReportedParty
                | pb::PartyRole::Victim
                | pb::PartyRole::Witness
                | pb::PartyRole::ParentGuardian
                | pb::PartyRole::Other)
        );
        if !person {
            v.add(
                "party",
                "required: complainant, reported_party, victim, witness, parent_guardian or other",
            );
        }
        if !enum_ok::<pb::ContactChannel>(r.channel) {
            v.add("channel", "required");
        }
        let held_on = check_date(&mut v, "held_on", &r.held_on, true, Some(today), None);
        check_list(&mut v, "present", &r.present, 1);
        check::text(&mut v, "summary", &r.summary, true, TEXT_MAX);
        if let Some(a) = &r.intake_amendment {
            if a.expected_revision < 0 {
                v.add("intake_amendment.expected_revision", "not negative");
            }
            let paths = a
                .update_mask
                .as_ref()
                .map(|m| m.paths.as_slice())
                .unwrap_or_default();
            // Issue 13: as many paths as intake takes, none looked at beyond; a repeat is
            // dropped before intake sees the mask.
            if paths.is_empty() {
                v.add("intake_amendment.update_mask", "at least one path");
            } else if check::list_len(
                &mut v,
                "intake_amendment.update_mask.paths",
                paths.len(),
                0,
                check::MAX_MASK_PATHS,
            ) {
                for (i, p) in paths.iter().enumerate() {
                    if p.is_empty()
                        || p.len() > 100
                        || !p
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                    {
                        v.add(
                            format!("intake_amendment.update_mask.paths[{i}]"),
                            "not a field path",
                        );
                    }
                }
            }
            if a.patch.is_none() {
                v.add("intake_amendment.patch", "required");
            }
            check::text(
                &mut v,
                "intake_amendment.reason",
                &a.reason,
                false,
                SHORT_MAX,
            );
        }
        v.into_result()?;
        // Check what can be checked before intake is changed.
        let before = core.load_visible(&caller, &r.complaint_id).await?;
        domain::s09_interview::may_record(&before, &caller, r.kind)?;
        let mut amended = (0, Vec::<String>::new(), Vec::<i32>::new());
        if let Some(a) = &r.intake_amendment {
            let reason = if a.reason.trim().is_empty() {
                format!(
                    "S9 wawancara {}",
                    held_on.map(|d| d.to_string()).unwrap_or_default()
                )
            } else {
                a.reason.trim().to_string()
            };
            amended = core
                .amend_in_intake(&r.complaint_id, a, reason, authorization)
                .await?;
        }
        let who = ActorRec::of(&caller);
        let id = new_id();
        let rec = InterviewRec {
            id: id.clone(),
            kind: r.kind,
            party: r.party,
            channel: r.channel,
            held_on,
            present: r.present.iter().map(|p| p.trim().to_string()).collect(),
            summary: r.summary.trim().to_string(),
            intake_revision: amended.0,
            amended_fields: amended.1.clone(),
            unmet_requirements: amended.2.clone(),
            by: who.clone(),
            at: 0,
        };
        let clarification = domain::s09_interview::is_clarification(r.kind);
        let file = core
            .step(&caller, &r.complaint_id, |file, now| {
                domain::s09_interview::record(file, &caller, &who, now, rec)
            })
            .await
            .inspect_err(|_| {
                if amended.0 > 0 {
                    tracing::warn!(
                        intake_revision = amended.0,
                        "an interview amended intake but was not recorded"
                    );
                }
            })?;
        count_step(
            &file.office_code,
            if clarification {
                "clarification"
            } else {
                "interview"
            },
        );
        Ok(Response::new(pb::RecordInterviewResponse {
            case: Some(view::summary(&file, core.today(&file.office_code))),
            interview_id: id,
            intake_revision: amended.0,
            amended_fields: amended.1,
            unmet_requirements: amended.2,
        }))
    }

    async fn add_evidence(
        &self,
        request: Request<pb::AddEvidenceRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let _permit = match &r.file {
            Some(_) => Some(core.upload_permit()?),
            None => None,
        };
        Ok(Response::new(add_evidence(core, &caller, r).await?))
    }

    async fn upload_evidence(
        &self,
        request: Request<tonic::Streaming<pb::UploadEvidenceRequest>>,
    ) -> Reply<pb::CaseChange> {
        use pb::upload_evidence_request::Part;
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let _permit = core.upload_permit()?;
        let mut stream = request.into_inner();
        let first = stream
            .message()
            .await?
            .ok_or_else(|| Error::invalid("evidence", "required: the first message"))?;
        let Some(Part::Evidence(mut r)) = first.part else {
            return Err(Error::invalid("evidence", "required: the first message").into());
        };
        let Some(file) = r.file.as_mut() else {
            return Err(Error::invalid("evidence.file", "required for an upload").into());
        };
        if !file.content.is_empty() {
            return Err(Error::invalid(
                "evidence.file.content",
                "sent in the chunks that follow, not in the first message",
            )
            .into());
        }
        let mut content = Vec::new();
        let mut chunks = 0usize;
        while let Some(m) = stream.message().await? {
            match m.part {
                Some(Part::Chunk(c)) => {
                    // Empty or tiny chunks would keep the call (and its upload permit) busy for
                    // nothing: each chunk carries bytes, and their number is bounded.
                    chunks += 1;
                    if c.is_empty() {
                        return Err(
                            Error::invalid("chunk", "empty: every chunk carries bytes").into()
                        );
                    }
                    if chunks > MAX_UPLOAD_CHUNKS {
                        return Err(Error::invalid(
                            "chunk",
                            format!("more than {MAX_UPLOAD_CHUNKS} chunks: send larger ones"),
                        )
                        .into());
                    }
                    if (content.len() + c.len()) as u64 > core.max_file_bytes {
                        // Stop reading: nothing more of this file is taken into memory.
                        return Err(Error::invalid(
                            "file.content",
                            format!("larger than the limit of {} bytes", core.max_file_bytes),
                        )
                        .into());
                    }
                    content.extend_from_slice(&c);
                }
                _ => {
                    return Err(Error::invalid(
                        "chunk",
                        "every message after the first is a chunk",
                    )
                    .into());
                }
            }
        }
        file.content = content;
        Ok(Response::new(add_evidence(core, &caller, r).await?))
    }

    async fn get_evidence_file(
        &self,
        request: Request<pb::GetEvidenceFileRequest>,
    ) -> Reply<pb::EvidenceFile> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::id(&mut v, "evidence_id", &r.evidence_id);
        check::text(&mut v, "purpose", &r.purpose, true, PURPOSE_MAX);
        v.into_result()?;
        let file = core.load_visible(&caller, &r.complaint_id).await?;
        let (ev, stored) = domain::s10_evidence::stored_file(&file, &r.evidence_id)?;
        let content = core.evidence_content(&file, &ev.id, stored).await?;
        core.log_read(
            &caller,
            &file.office_code,
            &file.complaint_id,
            format!("evidence:{}", ev.id),
            &r.purpose,
        )
        .await?;
        Ok(Response::new(pb::EvidenceFile {
            evidence_id: ev.id.clone(),
            info: view::evidence_file_info(ev),
            content,
        }))
    }

    async fn record_home_visit(
        &self,
        request: Request<pb::RecordHomeVisitRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let today = core.today(&caller.principal.office);
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        let visited_on = check_date(&mut v, "visited_on", &r.visited_on, true, Some(today), None);
        check::text(&mut v, "location", &r.location, false, SHORT_MAX);
        check_list(&mut v, "present", &r.present, 1);
        check::text(&mut v, "findings", &r.findings, true, TEXT_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        let rec = HomeVisitRec {
            id: id.clone(),
            visited_on,
            location: r.location.trim().to_string(),
            present: r.present.iter().map(|p| p.trim().to_string()).collect(),
            findings: r.findings.trim().to_string(),
            by: who.clone(),
            at: 0,
        };
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "home_visit",
            id,
            |file, now| domain::s10_evidence::home_visit(file, &caller, &who, now, rec),
        )
        .await
    }

    async fn record_coordination(
        &self,
        request: Request<pb::RecordCoordinationRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let today = core.today(&caller.principal.office);
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::text(&mut v, "agency", &r.agency, true, NAME_MAX);
        if !enum_ok::<pb::ContactChannel>(r.channel) {
            v.add("channel", "required");
        }
        let held_on = check_date(&mut v, "held_on", &r.held_on, true, Some(today), None);
        check::text(&mut v, "summary", &r.summary, true, TEXT_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        let rec = CoordinationRec {
            id: id.clone(),
            agency: r.agency.trim().to_string(),
            channel: r.channel,
            held_on,
            summary: r.summary.trim().to_string(),
            by: who.clone(),
            at: 0,
        };
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "coordination",
            id,
            |file, now| domain::s10_evidence::coordination(file, &caller, &who, now, rec),
        )
        .await
    }

    async fn decide_eligibility(
        &self,
        request: Request<pb::DecideEligibilityRequest>,
    ) -> Reply<pb::CaseChange> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::BidangHead) {
            return Err(Error::PermissionDenied(
                "only the Bidang head decides eligibility (S11)".into(),
            )
            .into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if r.qualifies {
            if !r.reason_code.is_empty() {
                v.add("reason_code", "only for a complaint that does not qualify");
            }
            check::text(&mut v, "note", &r.note, false, NOTE_MAX);
        } else {
            if r.reason_code.is_empty() {
                v.add(
                    "reason_code",
                    "required when the complaint does not qualify",
                );
            } else if !NOT_QUALIFIED_REASONS
                .iter()
                .any(|(c, _)| *c == r.reason_code)
            {
                v.add(
                    "reason_code",
                    format!(
                        "one of {}",
                        NOT_QUALIFIED_REASONS
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            check::text(&mut v, "note", &r.note, true, NOTE_MAX);
        }
        v.into_result()?;
        let who = ActorRec::of(&caller);
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "eligibility",
            String::new(),
            |file, now| domain::s11_eligibility::decide(file, &who, now, &r),
        )
        .await
    }

    async fn record_session(
        &self,
        request: Request<pb::RecordSessionRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let today = core.today(&caller.principal.office);
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        let kind = pb::SessionKind::try_from(r.kind).unwrap_or(pb::SessionKind::Unspecified);
        if kind == pb::SessionKind::Unspecified {
            v.add(
                "kind",
                "required: investigation, mediation or family_counselling",
            );
        }
        let held_on = check_date(&mut v, "held_on", &r.held_on, true, Some(today), None);
        if kind == pb::SessionKind::FamilyCounselling {
            if r.topic_codes.is_empty() {
                v.add(
                    "topic_codes",
                    "at least one PUSPAGA topic for family counselling",
                );
            } else if check::list_len(&mut v, "topic_codes", r.topic_codes.len(), 0, CODES_MAX) {
                let mut seen = HashSet::new();
                for (i, t) in r.topic_codes.iter().enumerate() {
                    if !core.codes.puspaga_topic(t) {
                        v.add(
                            format!("topic_codes[{i}]"),
                            "not a PUSPAGA topic (topik) of data/puspaga_services.csv",
                        );
                    } else if !seen.insert(t.as_str()) {
                        v.add(format!("topic_codes[{i}]"), "listed twice");
                    }
                }
            }
        } else if !r.topic_codes.is_empty() {
            v.add("topic_codes", "only for family counselling");
        }
        // An oversized list gets one violation; its elements are not looked at.
        let parties_ok = check::list_len(&mut v, "parties", r.parties.len(), 1, LIST_MAX);
        if parties_ok {
            for (i, p) in r.parties.iter().enumerate() {
                if !enum_ok::<pb::PartyRole>(p.role) {
                    v.add(format!("parties[{i}].role"), "required");
                }
                check::text(
                    &mut v,
                    &format!("parties[{i}].name"),
                    &p.name,
                    true,
                    NAME_MAX,
                );
            }
        }
        if kind == pb::SessionKind::Mediation && parties_ok {
            let sides = r
                .parties
                .iter()
                .filter(|p| {
                    !matches!(
                        pb::PartyRole::try_from(p.role),
                        Ok(pb::PartyRole::Officer
                            | pb::PartyRole::Agency
                            | pb::PartyRole::Unspecified)
                            | Err(_)
                    )
                })
                .count();
            if sides < 2 {
                v.add(
                    "parties",
                    "a mediation is between at least two parties (besides officers)",
                );
            }
        }
        let outcome =
            pb::SessionOutcome::try_from(r.outcome).unwrap_or(pb::SessionOutcome::Unspecified);
        if outcome == pb::SessionOutcome::Unspecified {
            v.add("outcome", "required");
        }
        if outcome == pb::SessionOutcome::AgreementReached {
            check::text(
                &mut v,
                "agreement_terms",
                &r.agreement_terms,
                true,
                TEXT_MAX,
            );
        } else if !r.agreement_terms.is_empty() {
            v.add("agreement_terms", "only for an agreement reached");
        }
        check::text(&mut v, "summary", &r.summary, true, TEXT_MAX);
        let next = if outcome == pb::SessionOutcome::Continued {
            check_date(
                &mut v,
                "next_session_on",
                &r.next_session_on,
                true,
                None,
                Some(today),
            )
        } else {
            if r.next_session_on.is_some() {
                v.add("next_session_on", "only when the session is continued");
            }
            None
        };
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        let rec = SessionRec {
            id: id.clone(),
            kind: r.kind,
            held_on,
            topic_codes: r.topic_codes.clone(),
            parties: r
                .parties
                .iter()
                .map(|p| SessionPartyRec {
                    role: p.role,
                    name: p.name.trim().to_string(),
                    attended: p.attended,
                })
                .collect(),
            outcome: r.outcome,
            agreement_terms: r.agreement_terms.trim().to_string(),
            summary: r.summary.trim().to_string(),
            next_session_on: next,
            by: who.clone(),
            at: 0,
        };
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "session",
            id,
            |file, now| domain::s11_sessions::record(file, &caller, &who, now, rec),
        )
        .await
    }

    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let today = core.today(&caller.principal.office);
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if !domain::consenting_party(r.subject_role) {
            v.add(
                "subject_role",
                "required: victim, or complainant (the person referred consents, not a witness or another party)",
            );
        }
        check::text(&mut v, "subject_name", &r.subject_name, true, NAME_MAX);
        let giver = pb::ConsentGiver::try_from(r.giver).unwrap_or(pb::ConsentGiver::Unspecified);
        if giver == pb::ConsentGiver::Unspecified {
            v.add("giver", "required: the_person, parent or guardian");
        }
        check::text(
            &mut v,
            "giver_name",
            &r.giver_name,
            giver != pb::ConsentGiver::ThePerson,
            NAME_MAX,
        );
        if !enum_ok::<pb::ConsentForm>(r.form) {
            v.add("form", "required: written or oral");
        }
        let given_on = check_date(&mut v, "given_on", &r.given_on, true, Some(today), None);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        let rec = ConsentRec {
            id: id.clone(),
            subject_role: r.subject_role,
            subject_name: r.subject_name.trim().to_string(),
            subject_is_child: r.subject_is_child,
            giver: r.giver,
            giver_name: r.giver_name.trim().to_string(),
            giver_is_alleged_perpetrator: r.giver_is_alleged_perpetrator,
            form: r.form,
            given_on,
            by: who.clone(),
            at: 0,
        };
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "consent",
            id,
            |file, now| domain::s11_consent::record(file, &caller, &who, now, rec),
        )
        .await
    }

    async fn make_referral(
        &self,
        request: Request<pb::MakeReferralRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check_code(&mut v, "agency", &r.agency, true);
        check::text(&mut v, "agency_name", &r.agency_name, true, NAME_MAX);
        let codes = &core.codes;
        let mut code = |field: &str, category: &str, value: &str, required: bool| {
            if value.is_empty() {
                if required {
                    v.add(field, "required");
                }
            } else if !codes.simfoni(category, value) {
                v.add(
                    field,
                    format!(
                        "not a SIMFONI-PPA {category} code: {}",
                        codes.simfoni_list(category)
                    ),
                );
            }
        };
        code(
            "violence_type_code",
            "jenis_kekerasan",
            &r.violence_type_code,
            true,
        );
        code("place_code", "tempat_kejadian", &r.place_code, false);
        code(
            "relationship_code",
            "hubungan_pelaku",
            &r.relationship_code,
            false,
        );
        code("age_band_code", "kelompok_usia", &r.age_band_code, true);
        if r.service_codes.is_empty() {
            v.add("service_codes", "at least one SIMFONI-PPA layanan code");
        } else if check::list_len(&mut v, "service_codes", r.service_codes.len(), 0, CODES_MAX) {
            // The list of codes is written once, however many elements are wrong.
            let mut unknown = None;
            let mut seen = HashSet::new();
            for (i, s) in r.service_codes.iter().enumerate() {
                if !codes.simfoni("layanan", s) {
                    let text = unknown.get_or_insert_with(|| {
                        format!(
                            "not a SIMFONI-PPA layanan code: {}",
                            codes.simfoni_list("layanan")
                        )
                    });
                    v.add(format!("service_codes[{i}]"), text.clone());
                } else if !seen.insert(s.as_str()) {
                    v.add(format!("service_codes[{i}]"), "listed twice");
                }
            }
        }
        check::text(&mut v, "reason", &r.reason, true, NOTE_MAX);
        if !r.consent_id.is_empty() {
            check::id(&mut v, "consent_id", &r.consent_id);
        }
        check::text(
            &mut v,
            "override_reason",
            &r.override_reason,
            false,
            NOTE_MAX,
        );
        if domain::s11_referral::overriding(&r) && !r.consent_id.is_empty() {
            v.add(
                "override_reason",
                "give either consent_id or override_reason, not both",
            );
        }
        v.into_result()?;
        domain::s11_referral::grounds(&caller, &r)?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "referral",
            id.clone(),
            |file, now| domain::s11_referral::refer(file, &caller, &who, now, &id, &r),
        )
        .await
    }

    async fn answer_referral(
        &self,
        request: Request<pb::AnswerReferralRequest>,
    ) -> Reply<pb::AnswerReferralResponse> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::id(&mut v, "referral_id", &r.referral_id);
        check_code(&mut v, "reason_code", &r.reason_code, false);
        check::text(&mut v, "note", &r.note, false, NOTE_MAX);
        check::text(&mut v, "agency_reference", &r.agency_reference, false, 100);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let partner =
            caller.acts_as(Role::PartnerAgency) && !BIDANG_ROLES.iter().any(|x| caller.acts_as(*x));
        let file = core
            .step(&caller, &r.complaint_id, |file, now| {
                domain::s11_referral::answer(file, &caller, &who, now, partner, &r)
            })
            .await?;
        count_step(&file.office_code, "referral_answered");
        let referral = file
            .body
            .referrals
            .iter()
            .find(|x| x.id == r.referral_id && x.answer.is_some())
            .ok_or_else(|| Error::Internal("the answer was not recorded".into()))?;
        let (agency, state) = (referral.agency.clone(), view::referral_state(referral));
        Ok(Response::new(pb::AnswerReferralResponse {
            complaint_id: file.complaint_id.clone(),
            referral_id: r.referral_id,
            agency,
            state: state as i32,
        }))
    }

    async fn add_case_note(
        &self,
        request: Request<pb::AddCaseNoteRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::text(&mut v, "text", &r.text, true, TEXT_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let id = new_id();
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "note",
            id.clone(),
            |file, now| domain::case_notes::add(file, &caller, &who, now, &id, &r.text),
        )
        .await
    }

    async fn draft_response(
        &self,
        request: Request<pb::DraftResponseRequest>,
    ) -> Reply<pb::CaseChange> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        check::text(&mut v, "text", &r.text, true, RESPONSE_MAX);
        if r.outcome_code.is_empty() {
            v.add("outcome_code", "required");
        } else if r.outcome_code != NOT_QUALIFIED_OUTCOME
            && !QUALIFIED_OUTCOMES.contains(&r.outcome_code.as_str())
        {
            v.add(
                "outcome_code",
                format!(
                    "one of {}, {NOT_QUALIFIED_OUTCOME}",
                    QUALIFIED_OUTCOMES.join(", ")
                ),
            );
        }
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let file = core
            .step(&caller, &r.complaint_id, |file, now| {
                domain::s12_response::draft(file, &caller, &who, now, &r)
            })
            .await?;
        count_step(&file.office_code, "response_drafted");
        let revision = file.body.latest_draft().map(|d| d.revision).unwrap_or(0);
        Ok(Response::new(core.change(&file, revision.to_string())))
    }

    async fn approve_response(
        &self,
        request: Request<pb::ApproveResponseRequest>,
    ) -> Reply<pb::CaseChange> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::BidangHead) {
            return Err(Error::PermissionDenied(
                "only the Bidang head approves the response (S12)".into(),
            )
            .into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if r.revision <= 0 {
            v.add("revision", "required: the revision of the latest draft");
        }
        v.into_result()?;
        let who = ActorRec::of(&caller);
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "response_approved",
            r.revision.to_string(),
            |file, now| domain::s12_response::approve(file, &who, now, r.revision),
        )
        .await
    }

    async fn return_response(
        &self,
        request: Request<pb::ReturnResponseRequest>,
    ) -> Reply<pb::CaseChange> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::BidangHead) {
            return Err(Error::PermissionDenied(
                "only the Bidang head returns a draft (S12)".into(),
            )
            .into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        check::id(&mut v, "complaint_id", &r.complaint_id);
        if r.revision <= 0 {
            v.add("revision", "required: the revision of the latest draft");
        }
        check::text(&mut v, "reason", &r.reason, true, NOTE_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        recorded(
            core,
            &caller,
            &r.complaint_id,
            "response_returned",
            r.revision.to_string(),
            |file, now| domain::s12_response::return_draft(file, &who, now, r.revision, &r.reason),
        )
        .await
    }

    async fn list_access_log(
        &self,
        request: Request<pb::ListAccessLogRequest>,
    ) -> Reply<pb::ListAccessLogResponse> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        if !r.complaint_id.is_empty() {
            check::id(&mut v, "complaint_id", &r.complaint_id);
        }
        let limit = page_size(&mut v, r.page_size, 100);
        let offset = parse_offset(&mut v, &r.page_token);
        v.into_result()?;
        let office = caller.principal.office.clone();
        let scoped = caller.bidang_scoped();
        let mut log_office = office.clone();
        let page = if !r.complaint_id.is_empty() {
            let file = core.load_visible(&caller, &r.complaint_id).await?;
            log_office = file.office_code.clone();
            core.store
                .access_log(&file.office_code, &file.complaint_id, "", offset, limit)
                .await?
        } else if !scoped {
            core.store
                .access_log(&office, "", "", offset, limit)
                .await?
        } else {
            let Some(own) = caller.principal.bidang.clone() else {
                // A Bidang head without a Bidang sees no case, and no log.
                return Ok(Response::new(pb::ListAccessLogResponse::default()));
            };
            // The Bidang's cases only, filtered in SQL.
            core.store
                .access_log(&office, "", &own, offset, limit)
                .await?
        };
        // Reading who looked at a victim's file is itself logged (issue 12).
        core.log_read(
            &caller,
            &log_office,
            &r.complaint_id,
            "access_log".into(),
            "",
        )
        .await?;
        Ok(Response::new(pb::ListAccessLogResponse {
            entries: page
                .entries
                .into_iter()
                .map(|e| pb::AccessLogEntry {
                    complaint_id: e.complaint_id,
                    accessed_at: Some(to_proto(from_micros(e.at))),
                    actor: Some(Actor {
                        subject: e.subject,
                        role: e.role,
                        office_code: e.office_code,
                    }),
                    what: e.what,
                    purpose: e.purpose,
                })
                .collect(),
            next_page_token: page.next.map(|n| n.to_string()).unwrap_or_default(),
        }))
    }
}

/// AddEvidence and UploadEvidence (S10): checks, metadata removal, sealing, the record.
async fn add_evidence(
    core: &Investigation,
    caller: &Caller,
    r: pb::AddEvidenceRequest,
) -> Result<pb::CaseChange> {
    let caller = caller.clone();
    let today = core.today(&caller.principal.office);
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    if !enum_ok::<pb::EvidenceKind>(r.kind) {
        v.add("kind", "required");
    }
    if !enum_ok::<pb::EvidenceSource>(r.source) {
        v.add("source", "required");
    }
    check::text(&mut v, "source_detail", &r.source_detail, false, SHORT_MAX);
    let collected_on = check_date(
        &mut v,
        "collected_on",
        &r.collected_on,
        true,
        Some(today),
        None,
    );
    let collected_by = if r.collected_by.is_empty() {
        caller.principal.subject.clone()
    } else {
        check_subject(&mut v, "collected_by", &r.collected_by);
        r.collected_by.clone()
    };
    check::text(&mut v, "description", &r.description, true, NOTE_MAX);
    let mut clean: Option<(Vec<u8>, bool)> = None;
    if let Some(f) = &r.file {
        check::text(&mut v, "file.file_name", &f.file_name, true, 255);
        let type_ok = media::ACCEPTED_TYPES.contains(&f.content_type.as_str());
        if !type_ok {
            v.add(
                "file.content_type",
                format!("one of {}", media::ACCEPTED_TYPES.join(", ")),
            );
        }
        if f.content.is_empty() {
            v.add("file.content", "empty");
        } else if f.content.len() as u64 > core.max_file_bytes {
            v.add(
                "file.content",
                format!("larger than the limit of {} bytes", core.max_file_bytes),
            );
        } else if type_ok && !media::matches_type(&f.content_type, &f.content) {
            v.add("file.content", format!("is not {}", f.content_type));
        } else if type_ok {
            match media::sanitize(&f.content_type, &f.content) {
                Ok(c) => clean = Some(c),
                Err(why) => v.add("file.content", why),
            }
        }
    }
    v.into_result()?;
    let before = core.load_visible(&caller, &r.complaint_id).await?;
    domain::s10_evidence::may_collect(&before, &caller)?;
    let id = new_id();
    let mut file_rec = None;
    if let (Some(f), Some((bytes, removed))) = (&r.file, clean) {
        file_rec = Some(
            core.store_evidence_file(&before, &id, f, bytes, removed)
                .await?,
        );
    }
    let stored_key = file_rec.as_ref().map(|f| f.key.clone());
    let who = ActorRec::of(&caller);
    let rec = EvidenceRec {
        id: id.clone(),
        kind: r.kind,
        source: r.source,
        source_detail: r.source_detail.trim().to_string(),
        collected_on,
        collected_by,
        description: r.description.trim().to_string(),
        file: file_rec,
        by: who.clone(),
        at: 0,
    };
    let result = core
        .step(&caller, &r.complaint_id, |file, now| {
            domain::s10_evidence::add(file, &caller, &who, now, rec)
        })
        .await;
    let file = match result {
        Ok(f) => f,
        Err(e) => {
            if let Some(k) = stored_key {
                core.discard_evidence_file(&k).await;
            }
            return Err(e);
        }
    };
    count_step(&file.office_code, "evidence");
    Ok(core.change(&file, id))
}
