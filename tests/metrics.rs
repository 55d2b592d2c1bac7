//! The Prometheus endpoint after a complaint's whole lifecycle (S1-S16 through the five services
//! and their relays): RPC metrics per method and code, the lifecycle funnel, the event flow, SLA
//! alerts, feedback outcomes, pool use, and no complaint id or personal data in any label.

mod common;

use aduan_proto::common::v1::Channel;
use aduan_runtime::auth::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn scrape(addr: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_counts_rpcs_without_personal_labels() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    assert!(aduan_runtime::metrics::install(&addr).unwrap());
    let app = common::start_sqlite().await;
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let complaint = c
        .submit_complaint(common::authed(
            &token,
            common::complete_request("m-1", Channel::WalkIn),
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    let _ = c
        .submit_complaint(tonic::Request::new(common::complete_request(
            "m-2",
            Channel::WalkIn,
        )))
        .await;
    // Random paths without a token (issue 12): counted under `other`, never as their own series.
    for i in 0..20 {
        let mut grpc = tonic::client::Grpc::new(app.channel().await);
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::try_from(format!("/random.Svc{i}/Method{i}")).unwrap();
        let codec = tonic_prost::ProstCodec::<(), ()>::default();
        let r = grpc.unary(tonic::Request::new(()), path, codec).await;
        assert!(r.is_err());
    }
    // Let the relay deliver the registration to triage and refresh its gauges.
    let mut text = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        text = scrape(&addr).await;
        if text.contains("aduan_relay_deliveries_total") && text.contains("aduan_outbox_depth") {
            break;
        }
    }
    assert!(text.contains("aduan_grpc_requests_total{service=\"aduan.intake.v1.IntakeService\",method=\"SubmitComplaint\",code=\"OK\"} 1"), "{text}");
    assert!(text.contains("code=\"UNAUTHENTICATED\""));
    assert!(
        !text.contains("random.Svc"),
        "an unknown path became a label"
    );
    assert!(
        text.contains("aduan_grpc_requests_total{service=\"other\",method=\"other\",code=\"PERMISSION_DENIED\"} 20"),
        "{text}"
    );
    assert!(text.contains("aduan_grpc_request_duration_seconds_bucket"));
    assert!(text.contains(
        "aduan_complaints_registered_total{office=\"35.27\",channel=\"CHANNEL_WALK_IN\"} 1"
    ));
    // The event flow and the lifecycle funnel.
    assert!(
        text.contains(
            "aduan_lifecycle_events_total{service=\"intake\",step=\"S3\",office=\"35.27\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains(
        "aduan_relay_deliveries_total{source=\"intake\",subscriber=\"triage\",result=\"applied\"} 1"
    ), "{text}");
    assert!(text.contains("aduan_outbox_depth{source=\"intake\",subscriber=\"triage\"}"));
    assert!(text.contains("aduan_outbox_lag_seconds{source=\"intake\",subscriber=\"triage\"}"));
    assert!(text.contains("aduan_outbox_dead_letters{source=\"intake\",subscriber=\"triage\"} 0"));
    assert!(text.contains("aduan_relay_delivery_seconds"));

    // The rest of the lifecycle: triage (S4-S7), investigation (S8-S12), feedback (S13-S14), and
    // an SLA warning and breach from the sweeper.
    use common::casework::{decide, delivered_and_satisfied, dispute, opened, respond, staff};
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute("m-3"), "rehsos").await;
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "resolved").await;
    delivered_and_satisfied(&app, &s, &id, 1).await;
    // Reporting (S15-S16): the report drafted, approved and delivered to the complainant and
    // the Head, which closes the complaint.
    {
        use aduan_proto::reporting::v1::{
            self as rpb, reporting_service_client::ReportingServiceClient,
        };
        let mut r = ReportingServiceClient::new(app.channel().await);
        let draft = rpb::DraftHandlingReportRequest {
            complaint_id: id.clone(),
            recommendation_codes: vec!["selesai".into()],
            ..Default::default()
        };
        let mut drafted = None;
        for _ in 0..400 {
            match r
                .draft_handling_report(common::authed(&s.officer, draft.clone()))
                .await
            {
                Ok(x) => {
                    drafted = Some(x.into_inner());
                    break;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
            }
        }
        let drafted = drafted.expect("the feedback reached reporting");
        r.approve_handling_report(common::authed(
            &s.kabid,
            rpb::ApproveHandlingReportRequest {
                complaint_id: id.clone(),
                revision: drafted.revision,
            },
        ))
        .await
        .unwrap();
        for kind in [rpb::RecipientKind::Complainant, rpb::RecipientKind::Head] {
            r.distribute_handling_report(common::authed(
                &s.complaints,
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
    }
    let late = aduan_runtime::time::to_micros(jiff::Timestamp::now()) + 30 * 86_400_000_000;
    app.running
        .triage
        .as_ref()
        .unwrap()
        .sweep(late)
        .await
        .unwrap();
    let wanted = [
        "aduan_lifecycle_events_total{service=\"triage\",step=\"S4\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"triage\",step=\"S7\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"investigation\",step=\"S8\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"investigation\",step=\"S11\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"investigation\",step=\"S12\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"feedback\",step=\"S13\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"feedback\",step=\"S14\",office=\"35.27\"}",
        "aduan_relay_deliveries_total{source=\"triage\",subscriber=\"investigation\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"investigation\",subscriber=\"feedback\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"feedback\",subscriber=\"triage\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"feedback\",subscriber=\"investigation\",result=\"applied\"}",
        "aduan_outbox_dead_letters{source=\"feedback\",subscriber=\"triage\"} 0",
        "aduan_sla_alerts_total{office=\"35.27\",kind=\"warning\"}",
        "aduan_grpc_requests_total{service=\"aduan.investigation.v1.InvestigationService\",method=\"ApproveResponse\",code=\"OK\"}",
        "aduan_grpc_requests_total{service=\"aduan.feedback.v1.FeedbackService\",method=\"RecordDelivery\",code=\"OK\"}",
        "aduan_db_pool_connections{service=\"feedback\",state=\"idle\"}",
        "aduan_lifecycle_events_total{service=\"reporting\",step=\"S15\",office=\"35.27\"}",
        "aduan_lifecycle_events_total{service=\"reporting\",step=\"S16\",office=\"35.27\"}",
        "aduan_relay_deliveries_total{source=\"intake\",subscriber=\"reporting\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"feedback\",subscriber=\"reporting\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"reporting\",subscriber=\"triage\",result=\"applied\"}",
        "aduan_relay_deliveries_total{source=\"reporting\",subscriber=\"investigation\",result=\"applied\"}",
        "aduan_grpc_requests_total{service=\"aduan.reporting.v1.ReportingService\",method=\"DistributeHandlingReport\",code=\"OK\"}",
    ];
    for _ in 0..50 {
        text = scrape(&addr).await;
        if wanted.iter().all(|w| text.contains(w)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for w in wanted {
        assert!(text.contains(w), "{w} missing from:\n{text}");
    }
    for secret in [
        id.as_str(),
        complaint.id.as_str(),
        complaint.registration_number.as_str(),
        "Siti",
        "3527045708900001",
    ] {
        assert!(!text.contains(secret), "{secret} in metrics");
    }
}
