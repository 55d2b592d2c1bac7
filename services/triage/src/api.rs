//! Triage's gRPC face: each handler decodes and validates the request, checks the caller, runs
//! the step's rule of [`crate::domain`] through the core and answers with the complaint's view.

use std::sync::Arc;

use aduan_proto::common::v1::Requirement;
use aduan_proto::triage::v1 as pb;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::{date_from_proto, now_micros};
use aduan_runtime::{Error, Result, Violations, validate};
use tonic::{Request, Response, Status};

use crate::Triage;
use crate::domain::{s04_screening, s05_forwarding, s06_disposition_sheet, s07_disposition};

const REASON_MAX: usize = 500;
const SUMMARY_MAX: usize = 2000;
const NOTE_MAX: usize = 1000;
const AGENCY_MAX: usize = 200;

/// The gRPC face of triage; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct TriageApi {
    core: Ready<Triage>,
}

impl Default for TriageApi {
    fn default() -> Self {
        Self {
            core: Ready::new("triage"),
        }
    }
}

impl TriageApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Triage>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Triage>> {
        self.core.get()
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::triage_service_server::TriageServiceServer<Self> {
        pb::triage_service_server::TriageServiceServer::new(self)
    }
}

fn nature_ok(n: i32) -> bool {
    pb::Nature::try_from(n).is_ok()
}

#[tonic::async_trait]
impl pb::triage_service_server::TriageService for TriageApi {
    async fn list_queue(
        &self,
        request: Request<pb::ListQueueRequest>,
    ) -> std::result::Result<Response<pb::ListQueueResponse>, Status> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        if r.office_code.is_empty() {
            v.add("office_code", "required");
        } else if core.refdata.office(&r.office_code).is_none() {
            v.add("office_code", "unknown office");
        }
        let page_size = match r.page_size {
            0 => 50,
            n if (1..=500).contains(&n) => i64::from(n),
            _ => {
                v.add("page_size", "between 1 and 500");
                0
            }
        };
        let offset = if r.page_token.is_empty() {
            0
        } else {
            match r.page_token.parse::<i64>() {
                Ok(n) if n >= 0 => n,
                _ => {
                    v.add("page_token", "not a token from a previous response");
                    0
                }
            }
        };
        v.into_result()?;
        caller.require_office(&r.office_code)?;
        let statuses = s04_screening::queue_statuses(r.include_waiting);
        let rows = core
            .store
            .queue(&r.office_code, &statuses, r.urgent_only, offset, page_size)
            .await?;
        let waiting = core
            .store
            .queue_count(&r.office_code, &s04_screening::waiting_statuses())
            .await?;
        let now = now_micros();
        let entries = rows
            .iter()
            .map(|c| core.queue_entry(c, now))
            .collect::<Result<Vec<_>>>()?;
        let next = if entries.len() as i64 == page_size {
            (offset + page_size).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListQueueResponse {
            entries,
            next_page_token: next,
            waiting_total: waiting as i32,
        }))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let r = request.get_ref();
        let mut v = Violations::new();
        validate::text(&mut v, "purpose", &r.purpose, false, 500);
        v.into_result()?;
        let case = core.load_visible(&caller, &r.complaint_id).await?;
        core.require_bidang(&caller, &case).await?;
        let view = core.view(&case).await?;
        core.log_read(&caller, &case, "GetCase", r.purpose.trim())
            .await?;
        Ok(Response::new(view))
    }

    async fn set_urgency(
        &self,
        request: Request<pb::SetUrgencyRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "reason", &r.reason, true, REASON_MAX);
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |case, _, now| {
                s04_screening::set_urgency(&core.refdata, case, who, now, r.urgent, &r.reason)
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn screen_complaint(
        &self,
        request: Request<pb::ScreenComplaintRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        use pb::screen_complaint_request::Decision;
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        match &r.decision {
            None => v.add("decision", "one decision is required"),
            Some(Decision::Accept(a)) => {
                validate::text(&mut v, "accept.note", &a.note, false, REASON_MAX)
            }
            Some(Decision::RejectSuratKaleng(d)) => validate::text(
                &mut v,
                "reject_surat_kaleng.reason",
                &d.reason,
                true,
                REASON_MAX,
            ),
            Some(Decision::Transfer(d)) => {
                validate::text(&mut v, "transfer.reason", &d.reason, true, REASON_MAX);
                if d.target_office_code.is_empty() {
                    v.add("transfer.target_office_code", "required");
                } else if core.refdata.office(&d.target_office_code).is_none() {
                    v.add(
                        "transfer.target_office_code",
                        "not an office of this province",
                    );
                }
            }
            Some(Decision::ReferOut(d)) => {
                // Issue 12: a code of the agency directory (data/agencies.csv), never free
                // text: the code travels to reporting's timeline and documents.
                if d.agency.trim().is_empty() {
                    v.add("refer_out.agency", "required");
                } else if d.agency.len() > AGENCY_MAX || core.refdata.agency(&d.agency).is_none() {
                    v.add(
                        "refer_out.agency",
                        "not an agency code of the directory (data/agencies.csv)",
                    );
                }
                validate::text(&mut v, "refer_out.reason", &d.reason, true, REASON_MAX);
            }
            Some(Decision::NeedsInformation(d)) => {
                validate::text(
                    &mut v,
                    "needs_information.reason",
                    &d.reason,
                    true,
                    REASON_MAX,
                );
                // Issue 13: at most R1-R6, each once (a repeat is dropped below).
                validate::enum_set::<Requirement>(
                    &mut v,
                    "needs_information.requirements",
                    &d.requirements,
                    "not a requirement",
                );
            }
            Some(Decision::Duplicate(d)) => {
                if !is_registration_number(&d.duplicate_of) {
                    validate::id(&mut v, "duplicate.duplicate_of", &d.duplicate_of);
                }
                validate::text(&mut v, "duplicate.reason", &d.reason, false, REASON_MAX);
                if d.duplicate_of == r.complaint_id {
                    v.add(
                        "duplicate.duplicate_of",
                        "a complaint cannot duplicate itself",
                    );
                }
            }
        }
        v.into_result()?;
        let mut decision = r
            .decision
            .unwrap_or(Decision::Accept(pb::Accept::default()));
        // The earlier complaint of a duplicate must be known here, of the same office, and older.
        // It is named by its id, or by its registration number within this complaint's office.
        let earlier = match &mut decision {
            Decision::Duplicate(d) => {
                let by_number = is_registration_number(&d.duplicate_of);
                let e = core
                    .earlier(&caller, &r.complaint_id, &d.duplicate_of, by_number)
                    .await?;
                if let Some(e) = &e {
                    d.duplicate_of = e.complaint_id.clone();
                    if d.duplicate_of == r.complaint_id {
                        return Err(Error::invalid(
                            "duplicate.duplicate_of",
                            "a complaint cannot duplicate itself",
                        )
                        .into());
                    }
                }
                match e {
                    Some(e) if caller.covers_office(&e.office_code) => Some(e),
                    _ => {
                        return Err(Error::invalid(
                            "duplicate.duplicate_of",
                            "no such complaint in this office",
                        )
                        .into());
                    }
                }
            }
            _ => None,
        };
        let who = ActorRec::of(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |case, _, now| {
                s04_screening::screen(&core.clocks, case, who, now, &decision, earlier.as_ref())
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn forward_to_head(
        &self,
        request: Request<pb::ForwardToHeadRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let (core, caller, r) = self.core.open(request)?;
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "summary", &r.summary, true, SUMMARY_MAX);
        if !nature_ok(r.nature) {
            v.add("nature", "unknown nature");
        }
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let case = core
            .step(&caller, &r.complaint_id, |case, _, now| {
                s05_forwarding::forward(&core.clocks, case, who, now, &r.summary, r.nature)
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn issue_disposition(
        &self,
        request: Request<pb::IssueDispositionRequest>,
    ) -> std::result::Result<Response<pb::TriageCase>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        if !caller.acts_as(Role::Head) {
            return Err(Error::PermissionDenied("only the Head disposes (S6-S7)".into()).into());
        }
        let r = request.into_inner();
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.bidang_code.is_empty() {
            v.add("bidang_code", "required");
        } else if core.refdata.bidang(&r.bidang_code).is_none() {
            v.add("bidang_code", "not a Bidang of the office's list");
        }
        // Issue 13: at most one of each instruction; a repeat is dropped.
        let instructions = validate::enum_set::<pb::Instruction>(
            &mut v,
            "instructions",
            &r.instructions,
            "unknown instruction",
        );
        validate::text(&mut v, "note", &r.note, false, NOTE_MAX);
        if r.instructions.is_empty() && r.note.trim().is_empty() {
            v.add("instructions", "at least one instruction or a note");
        }
        if !nature_ok(r.nature) {
            v.add("nature", "unknown nature");
        }
        validate::text(&mut v, "change_reason", &r.change_reason, false, REASON_MAX);
        let due = match &r.due_date {
            None => None,
            Some(d) => match date_from_proto(d) {
                Some(d) => Some(d),
                None => {
                    v.add("due_date", "not a valid date");
                    None
                }
            },
        };
        v.into_result()?;
        let who = ActorRec::of(&caller);
        let order = s07_disposition::Order {
            request: &r,
            instructions,
            due,
        };
        let case = core
            .step(&caller, &r.complaint_id, |case, dispositions, now| {
                s07_disposition::issue(&core.clocks, case, &dispositions, who, now, &order)
            })
            .await?;
        Ok(Response::new(core.view(&case).await?))
    }

    async fn get_disposition_sheet(
        &self,
        request: Request<pb::GetDispositionSheetRequest>,
    ) -> std::result::Result<Response<pb::DispositionSheet>, Status> {
        let core = self.core()?;
        let caller = Caller::from_request(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        let r = request.into_inner();
        let case = core.load_visible(&caller, &r.complaint_id).await?;
        let dispositions = core.store.dispositions(&case).await?;
        let idx = s06_disposition_sheet::pick(&case, &dispositions, r.version)?;
        let d = &dispositions[idx];
        // Sender, letter and subject live in intake: read them with the caller's own authority.
        let complaint = core
            .intake_complaint(&case.complaint_id, authorization)
            .await?;
        let disposition = core.disposition_pb(d, idx + 1 < dispositions.len());
        Ok(Response::new(s06_disposition_sheet::sheet(
            &core.clocks,
            &core.refdata,
            &case,
            d,
            disposition,
            complaint,
        )))
    }
}

/// True for a registration number as intake issues it: "35.27-2026-000042" (office code, year,
/// a sequence of at least six digits).
fn is_registration_number(s: &str) -> bool {
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
    };
    let mut parts = s.split('-');
    let (Some(office), Some(year), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!(office.split_once('.'), Some((p, r)) if digits(p, 2..=2) && digits(r, 2..=2))
        && digits(year, 4..=4)
        && digits(seq, 6..=12)
}
