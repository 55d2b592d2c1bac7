//! The event relay between services, on SQLite and PostgreSQL: intake and triage as separate
//! servers; a refused event becomes a dead letter, the complaint's later events are held behind
//! it, other complaints flow on, and a replay delivers them in order once the cause is fixed;
//! a redelivered event changes nothing.

mod common;

use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::events::v1::{
    self as ev, LifecycleEvent, event_inbox_client::EventInboxClient,
    event_relay_admin_client::EventRelayAdminClient, lifecycle_event::Detail,
};
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use common::relay::{amended, put_in_intake_outbox};
use common::{TestApp, authed, complete_request};
use tonic::Code;

fn now_proto() -> prost_types::Timestamp {
    aduan_runtime::time::to_proto(jiff::Timestamp::now())
}

fn registered(complaint: &str, number: &str) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: complaint.into(),
        office_code: "35.27".into(),
        step: 3,
        occurred_at: Some(now_proto()),
        source_service: "intake".into(),
        sequence: 1,
        status: ComplaintStatus::Registered as i32,
        detail: Some(Detail::Registered(ev::ComplaintRegistered {
            registration_number: number.into(),
            channel: Channel::Phone as i32,
            category_code: "bantuan_sosial".into(),
            reporter_identified: true,
            ..Default::default()
        })),
        ..Default::default()
    }
}

async fn dead_letters(app: &TestApp, op: &str) -> Vec<ev::DeadLetter> {
    EventRelayAdminClient::new(app.channel().await)
        .list_dead_letters(authed(op, ev::ListDeadLettersRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .dead_letters
}

async fn wait_dead(app: &TestApp, op: &str, n: usize) -> Vec<ev::DeadLetter> {
    for _ in 0..400 {
        let d = dead_letters(app, op).await;
        if d.len() == n {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "expected {n} dead letters, have {:?}",
        dead_letters(app, op).await
    );
}

async fn get_case(app: &TestApp, id: &str) -> Result<tpb::TriageCase, tonic::Status> {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    TriageServiceClient::new(app.channel().await)
        .get_case(authed(
            &token,
            tpb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: id.into(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

async fn wait_case(app: &TestApp, id: &str) -> tpb::TriageCase {
    for _ in 0..400 {
        if let Ok(c) = get_case(app, id).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never reached triage");
}

async fn refused_events_wait_as_dead_letters_until_replayed(app: TestApp) {
    // Dead letters name complaints: only a relay administrator of their office sees them.
    let op = app.token_for("relay-admin-1", &[Role::RelayAdmin], "35.27");
    let operator = app.token_for("operator-1", &[Role::Operator], "35");
    let elsewhere = app.token_for("relay-admin-2", &[Role::RelayAdmin], "35.26");
    let service = app.service_token("intake");
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let ghost = uuid::Uuid::now_v7().to_string();

    // Triage refuses an amendment of a complaint it never received.
    let first = put_in_intake_outbox(&app.database_url, &amended(&ghost, 2)).await;
    let dead = wait_dead(&app, &op, 1).await;
    assert_eq!(dead[0].sequence, first);
    assert_eq!(dead[0].complaint_id, ghost);
    assert_eq!(
        (dead[0].source_service.as_str(), dead[0].subscriber.as_str()),
        ("intake", "triage")
    );
    assert!(dead[0].error.contains("refused"), "{}", dead[0].error);
    assert_eq!(dead[0].held_behind, 0);

    // Other complaints flow on.
    let real = app
        .submit(complete_request("after-dead", Channel::Phone))
        .await;
    wait_case(&app, &real).await;

    // A later event of the same complaint is held behind the first, to keep the order.
    let second = put_in_intake_outbox(&app.database_url, &amended(&ghost, 3)).await;
    let dead = wait_dead(&app, &op, 2).await;
    assert_eq!(dead[1].sequence, second);
    assert_eq!(dead[1].held_behind, first);

    // Replaying before the cause is fixed changes nothing but the count of attempts.
    let mut admin = EventRelayAdminClient::new(app.channel().await);
    let replay = ev::ReplayDeadLettersRequest {
        source_service: "intake".into(),
        subscriber: "triage".into(),
        complaint_id: ghost.clone(),
    };
    // Another office's relay administrator sees none of them and cannot replay them; an operator
    // sees neither.
    assert!(dead_letters(&app, &elsewhere).await.is_empty());
    let e = admin
        .replay_dead_letters(authed(&elsewhere, replay.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = admin
        .list_dead_letters(authed(&operator, ev::ListDeadLettersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let r = admin
        .replay_dead_letters(authed(&op, replay.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.delivered, 0);
    assert_eq!(r.still_dead.len(), 2);
    assert_eq!(r.still_dead[0].attempts, 2);

    // The cause is fixed (the registration reaches triage); the replay delivers both, in order.
    let mut inbox = EventInboxClient::new(app.channel().await);
    let reg = registered(&ghost, "35.27-2026-900001");
    let resp = inbox
        .deliver_events(authed(
            &service,
            ev::DeliverEventsRequest {
                subscriber: "triage".into(),
                source_service: "intake".into(),
                events: vec![reg.clone()],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((resp.applied, resp.duplicates), (1, 0));
    let r = admin
        .replay_dead_letters(authed(&op, replay.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.delivered, 2);
    assert!(r.still_dead.is_empty());
    assert!(dead_letters(&app, &op).await.is_empty());
    let c = get_case(&app, &ghost).await.unwrap();
    let actions: Vec<&str> = c.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, vec!["registered", "amended", "amended"]);
    assert!(c.history[1].detail.starts_with("revision 2"));
    assert!(c.history[2].detail.starts_with("revision 3"));

    // A redelivered event changes nothing.
    let resp = inbox
        .deliver_events(authed(
            &service,
            ev::DeliverEventsRequest {
                subscriber: "triage".into(),
                source_service: "intake".into(),
                events: vec![reg, amended(&ghost, 4)],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((resp.applied, resp.duplicates), (2, 1));
    assert_eq!(get_case(&app, &ghost).await.unwrap().history.len(), 4);

    // Status, and who may do what.
    let status = admin
        .get_relay_status(authed(&operator, ev::GetRelayStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    let s = &status.relays[0];
    assert_eq!(
        (s.source_service.as_str(), s.subscriber.as_str()),
        ("intake", "triage")
    );
    assert!(s.active);
    assert_eq!(s.pending, 0);
    assert_eq!(s.dead_letters, 0);
    assert_eq!(s.position, s.head);
    let e = admin
        .list_dead_letters(authed(&officer, ev::ListDeadLettersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = admin
        .replay_dead_letters(authed(&op, ev::ReplayDeadLettersRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let e = inbox
        .deliver_events(authed(
            &officer,
            ev::DeliverEventsRequest {
                subscriber: "triage".into(),
                source_service: "intake".into(),
                events: vec![],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "only services deliver events"
    );
    app.running.shutdown().await.unwrap();
}

/// Intake and triage as two servers: the relay crosses processes the same way.
async fn separate_servers(intake_url: String, triage_url: String) {
    let dir = common::temp_dir();
    // Reserve intake's port so triage can be told where intake is.
    let intake_listener = common::listeners(1).await.pop().unwrap();
    let port = intake_listener.local_addr().unwrap().port();
    let mut tc = common::config(&dir, &intake_url);
    tc.services = "triage".into();
    tc.triage.db.database_url = triage_url;
    tc.set_endpoint("intake", format!("http://127.0.0.1:{port}"));
    // Triage's own events go to investigation, which this test does not run (they wait).
    tc.set_endpoint("investigation", "http://127.0.0.1:9");
    tc.set_endpoint("reporting", "http://127.0.0.1:9");
    let triage_app = common::start_with(tc).await;
    let mut ic = common::config(&dir, &intake_url);
    ic.services = "intake".into();
    ic.set_endpoint("reporting", "http://127.0.0.1:9");
    ic.set_endpoint("triage", triage_app.url());
    let intake_app = common::start_on(ic, intake_listener).await;
    assert!(intake_app.running.triage.is_none());
    assert!(triage_app.running.intake.is_none());

    let officer = intake_app.token(&[Role::ComplaintsOfficer], "35.27");
    let head = intake_app.token(&[Role::Head], "35.27");
    let id = intake_app
        .submit(complete_request("apart-1", Channel::Letter))
        .await;
    let c = wait_case(&triage_app, &id).await;
    assert_eq!(c.status, ComplaintStatus::Registered as i32);
    // Triage reads the sheet's sender from the intake server.
    let mut t = TriageServiceClient::new(triage_app.channel().await);
    t.screen_complaint(authed(
        &officer,
        tpb::ScreenComplaintRequest {
            complaint_id: id.clone(),
            decision: Some(tpb::screen_complaint_request::Decision::Accept(
                tpb::Accept::default(),
            )),
        },
    ))
    .await
    .unwrap();
    t.forward_to_head(authed(
        &officer,
        tpb::ForwardToHeadRequest {
            complaint_id: id.clone(),
            summary: "Ringkasan".into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    t.issue_disposition(authed(
        &head,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: "uptd_ppa".into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let sheet = t
        .get_disposition_sheet(authed(
            &head,
            tpb::GetDispositionSheetRequest {
                complaint_id: id,
                version: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sheet.sender.starts_with("Siti Aminah"));
    intake_app.running.shutdown().await.unwrap();
    triage_app.running.shutdown().await.unwrap();
}

async fn start_fast(dir: &std::path::Path, intake_url: &str, triage_url: &str) -> TestApp {
    let mut c = common::config(dir, intake_url);
    c.triage.db.database_url = triage_url.into();
    c.relay.poll_seconds = 0.05;
    c.relay.min_backoff_seconds = 0.01;
    common::start_with(c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_letters_sqlite() {
    let dir = common::temp_dir();
    let app = start_fast(
        &dir,
        &format!("sqlite:{}", dir.join("intake.db").display()),
        "",
    )
    .await;
    refused_events_wait_as_dead_letters_until_replayed(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_letters_postgres() {
    let Some(i) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let t = aduan_runtime::testing::postgres_database().await.unwrap();
    let app = start_fast(&common::temp_dir(), &i, &t).await;
    refused_events_wait_as_dead_letters_until_replayed(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn separate_servers_sqlite() {
    separate_servers(String::new(), String::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn separate_servers_postgres() {
    let Some(i) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let t = aduan_runtime::testing::postgres_database().await.unwrap();
    separate_servers(i, t).await;
}

/// Two replicas of intake on one PostgreSQL database: one of them runs the relay (advisory
/// lock); a complaint registered on the other reaches triage at once through PostgreSQL's
/// NOTIFY, not after the (here 60 s) poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_one_relay_postgres() {
    let Some(intake_url) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let triage_url = aduan_runtime::testing::postgres_database().await.unwrap();
    let dir = common::temp_dir();
    let mut tc = common::config(&dir, &intake_url);
    tc.services = "triage".into();
    tc.triage.db.database_url = triage_url;
    tc.set_endpoint("intake", "http://127.0.0.1:9");
    tc.set_endpoint("investigation", "http://127.0.0.1:9");
    tc.set_endpoint("reporting", "http://127.0.0.1:9");
    let triage_app = common::start_with(tc).await;
    let replica = |n: &str| {
        let mut c = common::config(&dir, &intake_url);
        c.services = "intake".into();
        c.set_endpoint("reporting", "http://127.0.0.1:9");
        c.set_endpoint("triage", triage_app.url());
        c.relay.poll_seconds = 60.0;
        c.telemetry.service_name = format!("intake-{n}");
        c
    };
    let a = common::start_with(replica("a")).await;
    // Let replica a take the relay's lock first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = common::start_with(replica("b")).await;
    let op = a.token_for("operator-1", &[Role::Operator], "35");
    let active = |app: &TestApp| {
        let op = op.clone();
        let url = app.url();
        async move {
            let ch = tonic::transport::Channel::from_shared(url)
                .unwrap()
                .connect()
                .await
                .unwrap();
            EventRelayAdminClient::new(ch)
                .get_relay_status(authed(&op, ev::GetRelayStatusRequest {}))
                .await
                .unwrap()
                .into_inner()
                .relays[0]
                .active
        }
    };
    assert!(active(&a).await, "replica a relays");
    assert!(!active(&b).await, "replica b waits");

    let started = std::time::Instant::now();
    let id = b
        .submit(complete_request("replica-b", Channel::Phone))
        .await;
    let mut seen = false;
    for _ in 0..100 {
        if get_case(&triage_app, &id).await.is_ok() {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "registered on b, relayed by a within 2 s");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Replica a stops: b takes the relay over.
    a.running.shutdown().await.unwrap();
    let mut took_over = false;
    for _ in 0..100 {
        if active(&b).await {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "replica b takes the relay over");
    let id2 = b
        .submit(complete_request("replica-b-2", Channel::Phone))
        .await;
    wait_case(&triage_app, &id2).await;
    b.running.shutdown().await.unwrap();
    triage_app.running.shutdown().await.unwrap();
}
