//! Intake follows the complaint (issue 12), over the real gRPC API on SQLite and PostgreSQL:
//! public tracking shows every status change from S3 to the close after S16, in order, with no
//! personal data in any answer; a Bidang amends only what is disposed to it and sees a coded
//! view; a closed complaint refuses amendments; a transfer moves the complaint to the receiving
//! office.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::intake::v1::{self as ipb, intake_service_client::IntakeServiceClient};
use aduan_proto::reporting::v1::{self as rpb, reporting_service_client::ReportingServiceClient};
use aduan_proto::triage::v1::{
    self as tpb, screen_complaint_request::Decision, triage_service_client::TriageServiceClient,
};
use aduan_runtime::auth::Role;
use common::casework::{
    OFFICE, clarified, decide, delivered_and_satisfied, dispute, respond, staff, tok,
};
use common::{TestApp, authed, complete_request};
use tonic::Code;

/// Personal strings of `dispute` requests (common::complete_request).
const PERSONAL: &[&str] = &[
    "Siti Aminah",
    "3527045708900001",
    "0812-3456-7890",
    "Budi Santoso",
    "Kartu bantuan PKH",
];

async fn track(app: &TestApp, code: &str) -> ipb::TrackComplaintResponse {
    let r = app
        .client()
        .await
        .track_complaint(ipb::TrackComplaintRequest {
            tracking_code: code.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let shown = format!("{r:?}");
    for p in PERSONAL {
        assert!(!shown.contains(p), "{p} in a tracking answer");
    }
    r
}

/// Waits until public tracking shows `status`; returns the answer.
async fn wait_track(
    app: &TestApp,
    code: &str,
    status: ComplaintStatus,
) -> ipb::TrackComplaintResponse {
    let mut last = None;
    for _ in 0..400 {
        let r = track(app, code).await;
        if r.status == status as i32 {
            return r;
        }
        last = Some(r);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("tracking never showed {status:?}: {last:?}");
}

async fn get(app: &TestApp, token: &str, id: &str) -> Result<ipb::Complaint, tonic::Status> {
    app.client()
        .await
        .get_complaint(authed(
            token,
            ipb::GetComplaintRequest {
                complaint_id: id.into(),
                purpose: "Verifikasi".into(),
                revision: 0,
            },
        ))
        .await
        .map(|r| r.into_inner().complaint.unwrap())
}

fn amend_subject(id: &str, revision: i32) -> ipb::AmendComplaintRequest {
    ipb::AmendComplaintRequest {
        complaint_id: id.into(),
        expected_revision: revision,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["content.chronology".into()],
        }),
        patch: Some(ipb::ComplaintPatch {
            content: Some(ipb::ComplaintContent {
                chronology: "Maret kartu dipinjam; April tidak dikembalikan; Mei lapor desa."
                    .into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reason: "Wawancara S9".into(),
    }
}

async fn tracking_shows_every_status_to_closed(app: TestApp) {
    let s = staff(&app, "linjamsos");
    let reporter = tok(&app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let submitted = app
        .client()
        .await
        .submit_complaint(authed(&s.complaints, dispute("track-1")))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    let code = submitted.tracking_code.clone();
    let id = submitted.id.clone();
    let mut seen = vec![];
    let mut last_update = prost_types::Timestamp::default();
    let mut step = |r: ipb::TrackComplaintResponse| {
        let at = r.updated_at.unwrap();
        assert!(
            (at.seconds, at.nanos) >= (last_update.seconds, last_update.nanos),
            "updated_at went back"
        );
        last_update = at;
        assert_eq!(r.office_code, OFFICE);
        seen.push(ComplaintStatus::try_from(r.status).unwrap());
    };
    step(wait_track(&app, &code, ComplaintStatus::Registered).await);

    // S4-S7 one at a time, each visible to the citizen.
    let mut t = TriageServiceClient::new(app.channel().await);
    for _ in 0..400 {
        let got = t
            .get_case(authed(
                &s.complaints,
                tpb::GetCaseRequest {
                    purpose: String::new(),
                    complaint_id: id.clone(),
                },
            ))
            .await;
        if got.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    t.screen_complaint(authed(
        &s.complaints,
        tpb::ScreenComplaintRequest {
            complaint_id: id.clone(),
            decision: Some(Decision::Accept(tpb::Accept::default())),
        },
    ))
    .await
    .unwrap();
    step(wait_track(&app, &code, ComplaintStatus::Accepted).await);
    t.forward_to_head(authed(
        &s.complaints,
        tpb::ForwardToHeadRequest {
            complaint_id: id.clone(),
            summary: "Mohon disposisi".into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    step(wait_track(&app, &code, ComplaintStatus::AwaitingDisposition).await);

    // Before the disposition, no Bidang may amend it.
    let mut ic = IntakeServiceClient::new(app.channel().await);
    let e = ic
        .amend_complaint(authed(&s.officer, amend_subject(&id, 1)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");

    t.issue_disposition(authed(
        &s.head,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: "linjamsos".into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    step(wait_track(&app, &code, ComplaintStatus::Disposed).await);

    // S9: the Bidang it is disposed to amends, and gets the coded view; another Bidang's
    // officer does not know the complaint exists.
    let other = tok(
        &app,
        "petugas-9",
        Role::BidangOfficer,
        OFFICE,
        Some("rehsos"),
    );
    let e = ic
        .amend_complaint(authed(&other, amend_subject(&id, 1)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let amended = ic
        .amend_complaint(authed(&s.officer, amend_subject(&id, 1)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(amended.revision, 2);
    assert!(amended.reporter.is_none() && amended.reported_party.is_none());
    let content = amended.content.unwrap();
    assert!(content.chronology.is_empty() && content.description.is_empty());
    assert_eq!(content.category_code, "bantuan_sosial");
    for p in PERSONAL {
        assert!(!format!("{:?}", amended.letter).contains(p));
    }

    // S8-S14 in the Bidang and with the complainant.
    clarified(&app, &s, &id, "linjamsos").await;
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "assistance_provided").await;
    delivered_and_satisfied(&app, &s, &id, 1).await;
    step(wait_track(&app, &code, ComplaintStatus::Reporting).await);

    // S15-S16: the report to the complainant and the Head closes the complaint.
    let mut rc = ReportingServiceClient::new(app.channel().await);
    for _ in 0..400 {
        let d = rc
            .draft_handling_report(authed(
                &s.officer,
                rpb::DraftHandlingReportRequest {
                    complaint_id: id.clone(),
                    recommendation_codes: vec!["selesai".into()],
                    ..Default::default()
                },
            ))
            .await;
        match d {
            Ok(_) => break,
            Err(e) if e.code() == Code::FailedPrecondition || e.code() == Code::NotFound => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    rc.approve_handling_report(authed(
        &s.kabid,
        rpb::ApproveHandlingReportRequest {
            complaint_id: id.clone(),
            revision: 1,
        },
    ))
    .await
    .unwrap();
    for (token, kind) in [
        (&s.complaints, rpb::RecipientKind::Complainant),
        (&reporter, rpb::RecipientKind::Head),
    ] {
        rc.distribute_handling_report(authed(
            token,
            rpb::DistributeHandlingReportRequest {
                complaint_id: id.clone(),
                recipient_kind: kind as i32,
                channel: Channel::WalkIn as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    }
    step(wait_track(&app, &code, ComplaintStatus::Closed).await);
    assert_eq!(
        seen,
        vec![
            ComplaintStatus::Registered,
            ComplaintStatus::Accepted,
            ComplaintStatus::AwaitingDisposition,
            ComplaintStatus::Disposed,
            ComplaintStatus::Reporting,
            ComplaintStatus::Closed,
        ]
    );

    // Intake's own record agrees, lists it as closed, and refuses amendments now.
    let got = get(&app, &s.complaints, &id).await.unwrap();
    assert_eq!(got.status, ComplaintStatus::Closed as i32);
    let listed = ic
        .list_complaints(authed(
            &s.complaints,
            ipb::ListComplaintsRequest {
                office_code: OFFICE.into(),
                statuses: vec![ComplaintStatus::Closed as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .complaints
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec![id.as_str()]
    );
    for token in [&s.complaints, &s.officer] {
        let e = ic
            .amend_complaint(authed(token, amend_subject(&id, got.revision)))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    }
    // The whole journey again: nothing moves a closed complaint back.
    let again = track(&app, &code).await;
    assert_eq!(again.status, ComplaintStatus::Closed as i32);
    app.running.shutdown().await.unwrap();
}

both!(tracking_shows_every_status_to_closed);

async fn a_transfer_moves_the_complaint_to_the_receiving_office(app: TestApp) {
    let here = app.token(&[Role::ComplaintsOfficer], OFFICE);
    let there = app.token(&[Role::ComplaintsOfficer], "35.26");
    let id = app
        .submit(complete_request("transfer-1", Channel::Phone))
        .await;
    let code = get(&app, &here, &id).await.unwrap().tracking_code;
    let mut t = TriageServiceClient::new(app.channel().await);
    for _ in 0..400 {
        if t.get_case(authed(
            &here,
            tpb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: id.clone(),
            },
        ))
        .await
        .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    t.screen_complaint(authed(
        &here,
        tpb::ScreenComplaintRequest {
            complaint_id: id.clone(),
            decision: Some(Decision::Transfer(tpb::Transfer {
                target_office_code: "35.26".into(),
                reason: "Lokasi kejadian di Kabupaten Sumenep".into(),
            })),
        },
    ))
    .await
    .unwrap();
    // (Polled as the receiving office: public tracking is rate-limited per address.)
    let mut moved = false;
    for _ in 0..400 {
        if get(&app, &there, &id).await.is_ok() {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(moved, "the receiving office never saw the complaint");
    assert_eq!(track(&app, &code).await.office_code, "35.26");
    // The receiving office reads it (the personal data stays sealed under the registering
    // office's key); the registering office no longer knows it.
    let got = get(&app, &there, &id).await.unwrap();
    assert_eq!(got.office_code, "35.26");
    assert_eq!(got.reporter.unwrap().full_name, "Siti Aminah");
    assert_eq!(
        get(&app, &here, &id).await.unwrap_err().code(),
        Code::NotFound
    );
    app.running.shutdown().await.unwrap();
}

both!(a_transfer_moves_the_complaint_to_the_receiving_office);
