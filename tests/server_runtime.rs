//! The shared server runtime: health NOT_SERVING until the service is ready, reflection of every
//! descriptor, the SIGTERM drain, W3C trace propagation into events.

mod common;

use std::sync::Arc;

use aduan_proto::common::v1::Channel;
use aduan_runtime::auth::{Role, Verifier};
use aduan_runtime::config::ShutdownConfig;
use aduan_runtime::server::ServerBuilder;
use futures_util::StreamExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn health(channel: tonic::transport::Channel, service: &str) -> i32 {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

#[tokio::test]
async fn not_serving_until_ready_then_serving_then_draining() {
    let dir = common::temp_dir();
    let config = common::config(&dir, "");
    let verifier = Verifier::from_config(&config.auth, &dir, aduan_spine::relay::COMPONENTS)
        .await
        .unwrap();
    let api = aduan_intake::IntakeApi::new();
    let mut builder = ServerBuilder::new();
    builder.add_service(api.clone().into_server(), aduan_intake::AUTHZ);
    let readiness = builder.readiness();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(builder.serve(
        listener,
        verifier,
        ShutdownConfig {
            drain_seconds: 0.5,
            timeout_seconds: 2.0,
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    // Give serve() its first poll, which marks everything NOT_SERVING.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        health(channel.clone(), aduan_intake::SERVICE_NAME).await,
        ServingStatus::NotServing as i32
    );
    assert_eq!(
        health(channel.clone(), "").await,
        ServingStatus::NotServing as i32
    );
    // Calls before readiness are UNAVAILABLE, not served half-migrated.
    let token = aduan_runtime::auth::mint_local(
        &config.auth,
        &dir,
        "u",
        "35.27",
        &[Role::ComplaintsOfficer],
        None,
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let mut c =
        aduan_proto::intake::v1::intake_service_client::IntakeServiceClient::new(channel.clone());
    let err = c
        .submit_complaint(common::authed(
            &token,
            common::complete_request("r", Channel::WalkIn),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable);

    let keys = Arc::new(aduan_runtime::crypto::Keyring::load("", &dir).unwrap());
    let mut cfg = config.clone();
    cfg.intake.db.database_url = format!("sqlite:{}", dir.join("intake.db").display());
    api.set_ready(aduan_intake::open(&cfg, &cfg.intake, keys).await.unwrap());
    readiness.set_serving(aduan_intake::SERVICE_NAME).await;
    assert_eq!(
        health(channel.clone(), aduan_intake::SERVICE_NAME).await,
        ServingStatus::Serving as i32
    );
    assert_eq!(
        health(channel.clone(), "").await,
        ServingStatus::Serving as i32
    );
    c.submit_complaint(common::authed(
        &token,
        common::complete_request("r", Channel::WalkIn),
    ))
    .await
    .unwrap();

    // SIGTERM: NOT_SERVING at once, still answering during the drain, then stopped.
    stop_tx.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        health(channel.clone(), aduan_intake::SERVICE_NAME).await,
        ServingStatus::NotServing as i32
    );
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn reflection_lists_every_service() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = common::start_sqlite().await;
    let mut client = ServerReflectionClient::new(app.channel().await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("no list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for n in [
        "aduan.intake.v1.IntakeService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(names.contains(&n.to_string()), "{n} missing from {names:?}");
    }
    // The intake descriptor resolves with its imports (common, timestamps).
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "aduan.intake.v1.IntakeService".into(),
        )),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.next().await.unwrap().unwrap();
    assert!(
        matches!(resp.message_response, Some(MessageResponse::FileDescriptorResponse(f)) if !f.file_descriptor_proto.is_empty())
    );
}

#[tokio::test]
async fn the_callers_trace_context_reaches_the_outbox_event() {
    use aduan_proto::events::v1::LifecycleEvent;
    use prost::Message;
    let app = common::start_sqlite().await;
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let mut req = common::authed(&token, common::complete_request("trace-1", Channel::WalkIn));
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    req.metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    c.submit_complaint(req).await.unwrap();
    let events = app
        .running
        .intake
        .as_ref()
        .unwrap()
        .store()
        .pending_events(10)
        .await
        .unwrap();
    let e = LifecycleEvent::decode(events[0].payload.as_slice()).unwrap();
    let tp = e.trace.unwrap().traceparent;
    // The event continues the caller's trace (same trace id, the server span's own span id).
    assert!(
        tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{tp}"
    );
    assert!(
        !tp.contains("00f067aa0ba902b7"),
        "the server span is a child, not the caller's span"
    );
}

/// Issue 13: a call beyond a service's admission limit is refused at once with
/// RESOURCE_EXHAUSTED and RetryInfo, health answers meanwhile, and the place frees when the call
/// in progress ends. The call in progress is an evidence upload (a client stream) that sends
/// nothing: it holds investigation's only place until it is dropped.
#[tokio::test]
async fn a_call_beyond_the_admission_limit_is_shed() {
    use aduan_proto::investigation::v1 as ipb;
    use ipb::investigation_service_client::InvestigationServiceClient;
    use tonic_types::StatusExt;
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.investigation.db.max_in_flight = 1;
    config.grpc.retry_after_ms = 300;
    let app = common::start_with(config).await;
    let token = app.token(&[Role::BidangOfficer], "35.27");
    let channel = app.channel().await;
    let held = {
        let mut c = InvestigationServiceClient::new(channel.clone());
        let token = token.clone();
        tokio::spawn(async move {
            let stream = futures_util::stream::pending::<ipb::UploadEvidenceRequest>();
            c.upload_evidence(common::authed(&token, stream)).await
        })
    };
    let mut c = InvestigationServiceClient::new(channel.clone());
    let list = || common::authed(&token, ipb::ListCasesRequest::default());
    // Wait until the upload holds the place (the next call is shed).
    let mut shed = None;
    for _ in 0..200 {
        match c.list_cases(list()).await {
            Err(e) if e.code() == tonic::Code::ResourceExhausted => {
                shed = Some(e);
                break;
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    let e = shed.expect("a second call is shed while the upload holds the only place");
    let delay = e
        .get_error_details()
        .retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo");
    assert!(
        delay >= std::time::Duration::from_millis(300)
            && delay < std::time::Duration::from_millis(450),
        "{delay:?}"
    );
    let start = std::time::Instant::now();
    let e = c.list_cases(list()).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    // Other services and health are not affected.
    assert_eq!(
        health(channel.clone(), "").await,
        ServingStatus::Serving as i32
    );
    // The upload ends (its client goes away): the place is free again.
    held.abort();
    let mut admitted = false;
    for _ in 0..200 {
        match c.list_cases(list()).await {
            Ok(_) => {
                admitted = true;
                break;
            }
            Err(e) if e.code() == tonic::Code::ResourceExhausted => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(
        admitted,
        "the place is freed when the call in progress ends"
    );
    app.running.shutdown().await.unwrap();
}

/// Issue 13: the client's grpc-timeout is honoured: an upload that sends nothing ends with
/// DEADLINE_EXCEEDED when its deadline passes (the server's maximum caps longer ones).
#[tokio::test]
async fn the_callers_deadline_is_honoured() {
    use aduan_proto::investigation::v1 as ipb;
    use ipb::investigation_service_client::InvestigationServiceClient;
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.grpc.max_upload_seconds = 1.0;
    let app = common::start_with(config).await;
    let token = app.token(&[Role::BidangOfficer], "35.27");
    let mut c = InvestigationServiceClient::new(app.channel().await);
    let start = std::time::Instant::now();
    let stream = futures_util::stream::pending::<ipb::UploadEvidenceRequest>();
    // No client deadline: the server's maximum for uploads (1 s here) applies.
    let e = c
        .upload_evidence(common::authed(&token, stream))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::DeadlineExceeded, "{e:?}");
    let took = start.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(5),
        "{took:?}"
    );
    // A shorter client deadline wins.
    let start = std::time::Instant::now();
    let stream = futures_util::stream::pending::<ipb::UploadEvidenceRequest>();
    let mut req = common::authed(&token, stream);
    req.set_timeout(std::time::Duration::from_millis(200));
    let e = c.upload_evidence(req).await.unwrap_err();
    assert!(
        matches!(
            e.code(),
            tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
        ),
        "{e:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_millis(900));
    app.running.shutdown().await.unwrap();
}
