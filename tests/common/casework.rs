//! Helpers for casework tests (S8-S14): Bidang tokens, and a complaint taken from submission to
//! the Head's disposition through the real intake and triage APIs.

use std::time::Duration;

use aduan_proto::common::v1 as cpb;
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

use super::{TestApp, authed};

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
    t.screen_complaint(authed(
        &co,
        tpb::ScreenComplaintRequest {
            complaint_id: id.clone(),
            decision: Some(Decision::Accept(tpb::Accept::default())),
        },
    ))
    .await
    .unwrap();
    t.forward_to_head(authed(
        &co,
        tpb::ForwardToHeadRequest {
            complaint_id: id.clone(),
            summary: "Mohon disposisi".into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    t.issue_disposition(authed(
        &head,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: bidang.into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    id
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
