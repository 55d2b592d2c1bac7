//! Service identity (issue 12, docs/security.md), over the real gRPC API on SQLite and
//! PostgreSQL: only a component's own service key makes a caller a service, a service speaks
//! only for itself, and a subscriber takes only the event types of its route. Every refusal
//! leaves the receiver unchanged: triage never learns of the complaint the refused events name.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::events::v1::{
    self as ev, LifecycleEvent, event_inbox_client::EventInboxClient, lifecycle_event::Detail,
};
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::{Claims, LocalSigner, Role};
use common::{TestApp, authed};
use tonic::Code;

fn registered(complaint: &str, source: &str) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: complaint.into(),
        office_code: "35.27".into(),
        step: 3,
        occurred_at: Some(aduan_runtime::time::to_proto(jiff::Timestamp::now())),
        source_service: source.into(),
        sequence: 1,
        status: ComplaintStatus::Registered as i32,
        detail: Some(Detail::Registered(ev::ComplaintRegistered {
            registration_number: "35.27-2026-990001".into(),
            channel: Channel::Phone as i32,
            category_code: "bantuan_sosial".into(),
            reporter_identified: true,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// A token with the role `service`, signed by the key of people's tokens (the local key).
fn forged_with_user_key(app: &TestApp, subject: &str, roles: &[&str]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    LocalSigner::load_or_create(&app.data_dir)
        .unwrap()
        .mint(&Claims {
            iss: app.config.auth.issuer.clone(),
            aud: app.config.auth.audience.clone(),
            sub: subject.into(),
            exp: now + 600,
            iat: now,
            office: "35".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            bidang: None,
            nbf: None,
        })
        .unwrap()
}

async fn deliver(
    app: &TestApp,
    token: &str,
    source: &str,
    subscriber: &str,
    events: Vec<LifecycleEvent>,
) -> Result<ev::DeliverEventsResponse, tonic::Status> {
    EventInboxClient::new(app.channel().await)
        .deliver_events(authed(
            token,
            ev::DeliverEventsRequest {
                subscriber: subscriber.into(),
                source_service: source.into(),
                events,
            },
        ))
        .await
        .map(|r| r.into_inner())
}

async fn triage_knows(app: &TestApp, id: &str) -> bool {
    let co = app.token(&[Role::ComplaintsOfficer], "35.27");
    match TriageServiceClient::new(app.channel().await)
        .get_case(authed(
            &co,
            tpb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: id.into(),
            },
        ))
        .await
    {
        Ok(_) => true,
        Err(s) if s.code() == Code::NotFound => false,
        Err(s) => panic!("{s:?}"),
    }
}

async fn only_a_service_key_makes_a_service(app: TestApp) {
    let ghost = uuid::Uuid::now_v7().to_string();
    let event = registered(&ghost, "intake");

    // 1. The role `service` in a token signed by the people's key: not a valid token at all.
    let forged = forged_with_user_key(&app, "service:intake", &["service"]);
    let e = deliver(&app, &forged, "intake", "triage", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("service key"), "{e:?}");
    // 2. An IdP-shaped person's token whose role mapping put `service` next to other roles.
    let idp = forged_with_user_key(
        &app,
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        &["complaints_officer", "service"],
    );
    let e = deliver(&app, &idp, "intake", "triage", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    // 3. A real service token of feedback, naming intake as the source.
    let feedback = app.service_token("feedback");
    let e = deliver(&app, &feedback, "intake", "triage", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    // ... or honest about itself but carrying an event that says it is intake's.
    let e = deliver(&app, &feedback, "feedback", "triage", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    // 4. Intake's own token, with an event type triage does not take from intake.
    let intake = app.service_token("intake");
    let mut screened = registered(&ghost, "intake");
    screened.detail = Some(Detail::Screened(ev::ComplaintScreened::default()));
    let e = deliver(
        &app,
        &intake,
        "intake",
        "triage",
        vec![event.clone(), screened],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("screened"), "{e:?}");
    // A subscriber that does not exist is a bad request, not a reason to retry.
    let e = deliver(&app, &intake, "intake", "nobody", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    // A route that does not exist (intake does not deliver to feedback).
    let e = deliver(&app, &intake, "intake", "feedback", vec![event.clone()])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");

    // None of this reached triage.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!triage_knows(&app, &ghost).await);

    // The same event from intake's service key, as intake, is taken; a redelivery is a
    // duplicate of the same source only.
    let ok = deliver(&app, &intake, "intake", "triage", vec![event.clone()])
        .await
        .unwrap();
    assert_eq!((ok.applied, ok.duplicates), (1, 0));
    assert!(triage_knows(&app, &ghost).await);
    let again = deliver(&app, &intake, "intake", "triage", vec![event.clone()])
        .await
        .unwrap();
    assert_eq!((again.applied, again.duplicates), (1, 1));
    // The same event id from another source is not a duplicate of intake's (it is applied on
    // its own merits: reporting's `closed` for an unknown complaint changes nothing in triage).
    let mut closed = registered(&ghost, "reporting");
    closed.event_id = event.event_id.clone();
    closed.status = ComplaintStatus::Closed as i32;
    closed.detail = Some(Detail::Closed(ev::ComplaintClosed {
        reason_code: "completed".into(),
    }));
    let reporting = app.service_token("reporting");
    let r = deliver(&app, &reporting, "reporting", "triage", vec![closed])
        .await
        .unwrap();
    assert_eq!(r.duplicates, 0, "{r:?}");

    // Intake's new routes (it follows the complaint): triage may tell it of a screening, but not
    // register a complaint; investigation has no route to intake at all.
    let real = app
        .submit(common::complete_request("identity-1", Channel::Phone))
        .await;
    let triage = app.service_token("triage");
    let mut forged_reg = registered(&real, "triage");
    forged_reg.status = ComplaintStatus::Closed as i32;
    let e = deliver(&app, &triage, "triage", "intake", vec![forged_reg])
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("registered"), "{e:?}");
    let investigation = app.service_token("investigation");
    let mut closing = registered(&real, "investigation");
    closing.status = ComplaintStatus::Closed as i32;
    closing.detail = Some(Detail::Closed(ev::ComplaintClosed {
        reason_code: "completed".into(),
    }));
    let e = deliver(
        &app,
        &investigation,
        "investigation",
        "intake",
        vec![closing],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    // Intake's record is untouched: still REGISTERED.
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let got = app
        .client()
        .await
        .get_complaint(authed(
            &officer,
            aduan_proto::intake::v1::GetComplaintRequest {
                complaint_id: real.clone(),
                revision: 0,
                purpose: "Cek status".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(got.status, ComplaintStatus::Registered as i32);
    app.running.shutdown().await.unwrap();
}

both!(only_a_service_key_makes_a_service);
