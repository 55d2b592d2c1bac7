//! The intake-to-triage hop is one trace (issue 3): an in-process OTLP receiver collects the
//! spans the server exports; the span that applies the `registered` event in triage belongs to
//! the trace of the SubmitComplaint request and hangs under one of its spans (no orphan).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aduan_proto::common::v1::Channel;
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use common::{authed, complete_request};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| match &v.value {
            Some(Value::StringValue(s)) => Some(s.clone()),
            _ => None,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submit_and_triage_are_one_trace() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = TraceServiceServer::new(receiver.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.telemetry.otlp_endpoint = format!("http://{addr}");
    config.telemetry.service_name = "aduan-trace-test".into();
    // This test binary's only subscriber: spans go to the receiver above.
    let guard = aduan_runtime::telemetry::init(&config).unwrap();
    let app = common::start_with(config).await;

    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let id = app
        .submit(complete_request("trace-1", Channel::WalkIn))
        .await;
    let mut t = TriageServiceClient::new(app.channel().await);
    let mut seen = false;
    for _ in 0..400 {
        if t.get_case(authed(
            &officer,
            tpb::GetCaseRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .is_ok()
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(seen, "the complaint reached triage");

    let mut found = None;
    for _ in 0..100 {
        guard.flush();
        {
            let spans = receiver.0.lock().unwrap();
            let submit = spans
                .iter()
                .find(|s| s.name == "aduan.intake.v1.IntakeService/SubmitComplaint")
                .cloned();
            let apply = spans
                .iter()
                .find(|s| {
                    s.name == "apply event"
                        && attr(s, "complaint_id").as_deref() == Some(id.as_str())
                })
                .cloned();
            if let (Some(submit), Some(apply)) = (submit, apply) {
                found = Some((submit, apply, spans.clone()));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (submit, apply, spans) = found.expect("the submit and apply spans were exported");
    assert_eq!(
        apply.trace_id, submit.trace_id,
        "intake's submit and triage's handling are one trace"
    );
    assert_eq!(attr(&apply, "subscriber").as_deref(), Some("triage"));
    // No orphan: the apply span's parent is a span of that trace that was exported.
    let parent = spans
        .iter()
        .find(|s| s.span_id == apply.parent_span_id)
        .expect("the parent of the apply span is exported");
    assert_eq!(parent.trace_id, submit.trace_id);
    assert!(
        parent.span_id == submit.span_id || parent.parent_span_id == submit.span_id,
        "the apply span hangs under the submit request"
    );
    app.running.shutdown().await.unwrap();
}
