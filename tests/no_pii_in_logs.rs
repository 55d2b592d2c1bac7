//! Personal data never reaches the logs: every log line and span field of a full intake round,
//! captured at TRACE level (including the storage driver's statements), is searched for the
//! submitted names, NIK, phone, e-mail and address.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use aduan_proto::common::v1::Channel;
use aduan_proto::intake::v1 as pb;
use aduan_runtime::auth::Role;
use common::{authed, complete_request};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_data_in_logs() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();
    let app = common::start_sqlite().await;
    let token = app.token(&[Role::ComplaintsOfficer, Role::Head], "35.27");
    let mut c = app.client().await;
    let complaint = c
        .submit_complaint(authed(&token, complete_request("log-1", Channel::WalkIn)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    c.get_complaint(authed(
        &token,
        pb::GetComplaintRequest {
            complaint_id: complaint.id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.find_complaints_by_identity(authed(
        &token,
        pb::FindComplaintsByIdentityRequest {
            office_code: String::new(),
            identity: Some(pb::find_complaints_by_identity_request::Identity::Nik(
                "3527045708900001".into(),
            )),
        },
    ))
    .await
    .unwrap();
    // The relay brings it to triage; the unit and the Head take S4-S7, and the sheet reads the
    // personal data back from intake.
    use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
    let mut t = TriageServiceClient::new(app.channel().await);
    let get = tpb::GetCaseRequest {
        purpose: String::new(),
        complaint_id: complaint.id.clone(),
    };
    for _ in 0..200 {
        if t.get_case(authed(&token, get.clone())).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    t.screen_complaint(authed(
        &token,
        tpb::ScreenComplaintRequest {
            complaint_id: complaint.id.clone(),
            decision: Some(tpb::screen_complaint_request::Decision::Accept(
                tpb::Accept::default(),
            )),
        },
    ))
    .await
    .unwrap();
    t.forward_to_head(authed(
        &token,
        tpb::ForwardToHeadRequest {
            complaint_id: complaint.id.clone(),
            summary: "Ringkasan untuk Kepala Dinas".into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    t.issue_disposition(authed(
        &token,
        tpb::IssueDispositionRequest {
            complaint_id: complaint.id.clone(),
            bidang_code: "uptd_ppa".into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let sheet = t
        .get_disposition_sheet(authed(
            &token,
            tpb::GetDispositionSheetRequest {
                complaint_id: complaint.id.clone(),
                version: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sheet.sender.starts_with("Siti Aminah"));
    // A refused request with personal data in it.
    let mut bad = complete_request("log-2", Channel::WalkIn);
    bad.reporter.as_mut().unwrap().email = "Siti Aminah <siti.aminah@example.id".into();
    bad.reporter.as_mut().unwrap().phone = "0812345678901234".into();
    assert!(c.submit_complaint(authed(&token, bad)).await.is_err());
    app.running.shutdown().await.unwrap();

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("complaint registered"), "the capture works");
    assert!(logs.contains("grpc.server"), "spans are captured");
    assert!(
        logs.contains("apply event"),
        "triage's receiving is captured"
    );
    for secret in [
        "Siti Aminah",
        "3527045708900001",
        "6281234567890",
        "0812-3456-7890",
        "siti.aminah@example.id",
        "Budi Santoso",
        "Rajawali",
        "Anak Korban",
        "dipukul",
        "0812345678901234",
    ] {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }
    assert!(
        !logs.contains(&complaint.id),
        "no complaint id in log lines"
    );
}
