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
    // A refused request with personal data in it.
    let mut bad = complete_request("log-2", Channel::WalkIn);
    bad.reporter.as_mut().unwrap().email = "Siti Aminah <siti.aminah@example.id".into();
    bad.reporter.as_mut().unwrap().phone = "0812345678901234".into();
    assert!(c.submit_complaint(authed(&token, bad)).await.is_err());
    app.running.shutdown().await.unwrap();

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("complaint registered"), "the capture works");
    assert!(logs.contains("grpc.server"), "spans are captured");
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
