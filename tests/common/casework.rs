//! Helpers for casework tests (S8-S14): Bidang tokens, and a complaint taken from submission to
//! the Head's disposition through the real intake and triage APIs.

use std::time::Duration;

use aduan_proto::common::v1::{self as cpb, Channel, ComplaintStatus};
use aduan_proto::feedback::v1::{self as fpb, feedback_service_client::FeedbackServiceClient};
use aduan_proto::intake::v1 as ipb;
use aduan_proto::investigation::v1::{
    self as pb, investigation_service_client::InvestigationServiceClient,
};
use aduan_proto::triage::v1::{
    self as tpb, screen_complaint_request::Decision, triage_service_client::TriageServiceClient,
};
use aduan_runtime::auth::Role;
use tonic::Code;
use tonic::transport::Channel as GrpcChannel;

use super::{TestApp, authed, complete_request};

/// The office of these tests (Sampang).
pub const OFFICE: &str = "35.27";

/// A token for `subject` with one role, an office and (for Bidang roles) a Bidang.
pub fn tok(app: &TestApp, subject: &str, role: Role, office: &str, bidang: Option<&str>) -> String {
    aduan_runtime::auth::mint_local(
        &app.config.auth,
        &app.data_dir,
        subject,
        office,
        &[role],
        bidang,
        Duration::from_secs(3600),
    )
    .unwrap()
}

/// Today in the office's calendar (WIB).
pub fn today() -> cpb::Date {
    let d = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    cpb::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    }
}

/// An investigation client that takes evidence files.
pub async fn investigation(app: &TestApp) -> InvestigationServiceClient<GrpcChannel> {
    InvestigationServiceClient::new(app.channel().await)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
}

/// Submits `req` to intake and takes it through triage (S4 accept, S5 forward) to the Head's
/// disposition to `bidang` (S6-S7); returns the complaint id.
pub async fn disposed(app: &TestApp, req: ipb::SubmitComplaintRequest, bidang: &str) -> String {
    let id = app.submit(req).await;
    let co = app.token(&[Role::ComplaintsOfficer], OFFICE);
    let head = app.token_for("kadis", &[Role::Head], OFFICE);
    let mut t = TriageServiceClient::new(app.channel().await);
    let mut arrived = false;
    for _ in 0..400 {
        match t
            .get_case(authed(
                &co,
                tpb::GetCaseRequest {
                    purpose: String::new(),
                    complaint_id: id.clone(),
                },
            ))
            .await
        {
            Ok(_) => {
                arrived = true;
                break;
            }
            Err(s) if s.code() == Code::NotFound => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(s) => panic!("{s:?}"),
        }
    }
    assert!(arrived, "the complaint never reached triage");
    screen_forward_dispose(&mut t, &co, &head, &id, bidang).await;
    id
}

/// S4 accept and S5 forward (the complaints unit `co`), S6-S7 the Head's disposition to `bidang`,
/// on a triage client (of `aduan up`, or of a triage server of its own).
pub async fn screen_forward_dispose(
    t: &mut TriageServiceClient<GrpcChannel>,
    co: &str,
    head: &str,
    id: &str,
    bidang: &str,
) {
    t.screen_complaint(authed(
        co,
        tpb::ScreenComplaintRequest {
            complaint_id: id.into(),
            decision: Some(Decision::Accept(tpb::Accept::default())),
        },
    ))
    .await
    .unwrap();
    t.forward_to_head(authed(
        co,
        tpb::ForwardToHeadRequest {
            complaint_id: id.into(),
            summary: "Mohon disposisi".into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    t.issue_disposition(authed(
        head,
        tpb::IssueDispositionRequest {
            complaint_id: id.into(),
            bidang_code: bidang.into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
}

/// Waits until the relay has opened (or moved) the case in the Bidang of `bidang_head`.
pub async fn wait_investigation(app: &TestApp, id: &str, bidang_head: &str) -> pb::CaseSummary {
    let mut c = investigation(app).await;
    for _ in 0..400 {
        let list = c
            .list_cases(authed(bidang_head, pb::ListCasesRequest::default()))
            .await
            .unwrap()
            .into_inner();
        if let Some(s) = list.cases.into_iter().find(|s| s.complaint_id == id) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("case {id} never reached investigation");
}

/// The people of the office who handle a case in one Bidang.
pub struct Staff {
    pub kabid: String,
    pub officer: String,
    pub head: String,
    pub complaints: String,
    pub partner: String,
}

pub fn staff(app: &TestApp, bidang: &str) -> Staff {
    Staff {
        kabid: tok(app, "kabid", Role::BidangHead, OFFICE, Some(bidang)),
        officer: tok(app, "petugas-1", Role::BidangOfficer, OFFICE, Some(bidang)),
        head: tok(app, "kadis", Role::Head, OFFICE, None),
        complaints: tok(app, "unit-1", Role::ComplaintsOfficer, OFFICE, None),
        // A partner client's token subject is its agency's code (AnswerReferral checks it).
        partner: tok(app, "uptd_ppa", Role::PartnerAgency, OFFICE, None),
    }
}

/// An adult's complaint about a neighbour dispute (no child, no violence).
pub fn dispute(rid: &str) -> ipb::SubmitComplaintRequest {
    let mut r = complete_request(rid, Channel::WalkIn);
    r.victims.clear();
    let c = r.content.as_mut().unwrap();
    c.category_code = "bantuan_sosial".into();
    c.subject = "Bantuan PKH dialihkan tetangga".into();
    c.description = "Kartu bantuan PKH kami dipakai tetangga tanpa izin.".into();
    c.chronology = "Maret kartu dipinjam; April tidak dikembalikan.".into();
    r
}

/// S7 to S8: the case opens in `bidang`, the Bidang head assigns petugas-1, who clarifies the
/// complaint with the complainant (the minimum before the eligibility gate).
pub async fn opened(
    app: &TestApp,
    s: &Staff,
    req: ipb::SubmitComplaintRequest,
    bidang: &str,
) -> String {
    let id = disposed(app, req, bidang).await;
    clarified(app, s, &id, bidang).await;
    id
}

/// S8 on a complaint disposed to `bidang`: once its case is open there, the Bidang head assigns
/// petugas-1, who clarifies the complaint with the complainant.
pub async fn clarified(app: &TestApp, s: &Staff, id: &str, bidang: &str) {
    let id = id.to_string();
    let summary = wait_investigation(app, &id, &s.kabid).await;
    assert_eq!(summary.status, ComplaintStatus::InHandling as i32);
    assert_eq!(summary.bidang_code, bidang);
    let mut c = investigation(app).await;
    c.assign_officers(authed(
        &s.kabid,
        pb::AssignOfficersRequest {
            complaint_id: id.clone(),
            assignees: vec![pb::Assignee {
                subject: "petugas-1".into(),
                function: pb::OfficerFunction::CaseOfficer as i32,
            }],
            reason: String::new(),
        },
    ))
    .await
    .unwrap();
    c.record_interview(authed(
        &s.officer,
        pb::RecordInterviewRequest {
            complaint_id: id.clone(),
            kind: pb::InterviewKind::Clarification as i32,
            party: pb::PartyRole::Complainant as i32,
            channel: pb::ContactChannel::Phone as i32,
            held_on: Some(today()),
            present: vec!["Pelapor".into()],
            summary: "Pelapor menjelaskan pokok pengaduan.".into(),
            intake_amendment: None,
        },
    ))
    .await
    .unwrap();
}

pub async fn decide(app: &TestApp, s: &Staff, id: &str, qualifies: bool, reason: &str) {
    investigation(app)
        .await
        .decide_eligibility(authed(
            &s.kabid,
            pb::DecideEligibilityRequest {
                complaint_id: id.into(),
                qualifies,
                reason_code: reason.into(),
                note: if qualifies {
                    String::new()
                } else {
                    "Setelah klarifikasi, pokok pengaduan tidak terbukti.".into()
                },
            },
        ))
        .await
        .unwrap();
}

/// S12: petugas-1 drafts the response with `outcome`, the Bidang head approves it.
pub async fn respond(app: &TestApp, s: &Staff, id: &str, outcome: &str) -> pb::CaseSummary {
    let mut c = investigation(app).await;
    let draft = c
        .draft_response(authed(
            &s.officer,
            pb::DraftResponseRequest {
                complaint_id: id.into(),
                text: "Dengan hormat, menindaklanjuti pengaduan Saudari ...".into(),
                outcome_code: outcome.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let approved = c
        .approve_response(authed(
            &s.kabid,
            pb::ApproveResponseRequest {
                complaint_id: id.into(),
                revision: draft.latest_draft_revision,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(approved.status, ComplaintStatus::ResponseReady as i32);
    approved
}

pub async fn feedback_entry(app: &TestApp, id: &str, queue: fpb::Queue) -> fpb::QueueEntry {
    let co = app.token(&[Role::ComplaintsOfficer], OFFICE);
    let mut f = FeedbackServiceClient::new(app.channel().await);
    for _ in 0..400 {
        let list = f
            .list_cases(authed(
                &co,
                fpb::ListCasesRequest {
                    office_code: OFFICE.into(),
                    queue: queue as i32,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        if let Some(e) = list.entries.into_iter().find(|e| e.complaint_id == id) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never reached feedback's {queue:?} queue");
}

pub async fn triage_case(app: &TestApp, id: &str) -> tpb::TriageCase {
    let co = app.token(&[Role::ComplaintsOfficer], OFFICE);
    TriageServiceClient::new(app.channel().await)
        .get_case(authed(
            &co,
            tpb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: id.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Waits until triage shows `status` (its view follows feedback's events through the relay).
pub async fn wait_triage(app: &TestApp, id: &str, status: ComplaintStatus) -> tpb::TriageCase {
    for _ in 0..400 {
        let c = triage_case(app, id).await;
        if c.status == status as i32 {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never reached {status:?} in triage");
}

/// Waits until investigation's summary shows `status`.
pub async fn wait_investigation_status(
    app: &TestApp,
    s: &Staff,
    id: &str,
    status: ComplaintStatus,
) -> pb::CaseSummary {
    for _ in 0..400 {
        let c = wait_investigation(app, id, &s.kabid).await;
        if c.status == status as i32 {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never reached {status:?} in investigation");
}

/// S13: the complaints unit delivers version `version` by phone.
pub async fn deliver(app: &TestApp, s: &Staff, id: &str, version: i32) -> fpb::FeedbackCase {
    FeedbackServiceClient::new(app.channel().await)
        .record_delivery(authed(
            &s.complaints,
            fpb::RecordDeliveryRequest {
                complaint_id: id.into(),
                version,
                channel: Channel::Phone as i32,
                delivered_at: None,
                note: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// S14: the complainant's answer.
pub async fn answer(
    app: &TestApp,
    s: &Staff,
    id: &str,
    version: i32,
    satisfied: bool,
) -> fpb::FeedbackCase {
    FeedbackServiceClient::new(app.channel().await)
        .record_feedback(authed(
            &s.complaints,
            fpb::RecordFeedbackRequest {
                complaint_id: id.into(),
                version,
                satisfied,
                grounds: if satisfied {
                    vec![]
                } else {
                    vec![fpb::Ground::NotAnswered as i32]
                },
                comments: if satisfied {
                    "Terima kasih.".into()
                } else {
                    "Kartu belum juga dikembalikan.".into()
                },
                reopen_requested: !satisfied,
                given_at: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// From S12 to S14 for a response of `version`: feedback opens the delivery, the complaints unit
/// delivers it (the SLA clock stops in triage), the complainant is satisfied.
pub async fn delivered_and_satisfied(app: &TestApp, s: &Staff, id: &str, version: i32) {
    let entry = feedback_entry(app, id, fpb::Queue::AwaitingDelivery).await;
    assert_eq!(entry.response_version, version);
    let after = deliver(app, s, id, version).await;
    assert_eq!(after.status, ComplaintStatus::ResponseDelivered as i32);
    let t = wait_triage(app, id, ComplaintStatus::ResponseDelivered).await;
    assert_eq!(t.sla.unwrap().state, "stopped", "S13 stops the clock");
    let after = answer(app, s, id, version, true).await;
    assert_eq!(after.status, ComplaintStatus::Reporting as i32);
    wait_triage(app, id, ComplaintStatus::Reporting).await;
}
