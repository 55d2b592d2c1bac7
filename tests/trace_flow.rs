//! A complaint's lifecycle in traces (issue 3, issue 5 item 6), seen by an in-process OTLP
//! receiver that collects every span the servers export:
//!
//! - the intake-to-triage hop is one trace: the span that applies the `registered` event in triage
//!   belongs to the trace of the SubmitComplaint request and hangs under its span (no orphan);
//! - a complaint's journey from submission to the complainant's feedback: every person's step is
//!   a separate RPC without a `traceparent` and the root of its own trace, tagged with the
//!   complaint's id and linked to the span of the complaint's previous step; every automatic hop
//!   (an event applied by a subscriber) is in the trace of the step that wrote the event, under
//!   that step's span; no exported span has a parent that was not exported;
//! - the same from S1 to S16 with the five services as five separate servers (issue 5): every
//!   hop crosses a process boundary, and reporting's approval and distribution of the handling
//!   report are steps of the journey too.
//!
//! Telemetry is per process (one global subscriber): every test of this file shares one receiver
//! and one exporter ([`otel`]) and tells its own spans apart by the complaint's id. The helpers
//! below (`traces`, `orphans`, `links_of`, `step_span`, `assert_journey`) take any set of
//! exported spans, so a test with separate servers per service reads the same way.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aduan_proto::common::v1::Channel;
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use aduan_runtime::telemetry::TelemetryGuard;
use common::casework::{decide, delivered_and_satisfied, dispute, opened, respond, staff};
use common::{TestApp, authed, complete_request};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

// ---- The receiver and the process's telemetry --------------------------------------------------

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

struct Otel {
    receiver: Receiver,
    guard: TelemetryGuard,
}

impl Otel {
    /// Every span exported so far, after a flush.
    fn spans(&self) -> Vec<Span> {
        self.guard.flush();
        self.receiver.0.lock().unwrap().clone()
    }

    /// Flushes and reads the spans until `done` accepts them (at most `within`); the last answer
    /// of `done` otherwise. Spans end in any order (an event can be applied before the request
    /// that wrote it has answered), so checks wait for the set to settle.
    async fn until<T>(
        &self,
        within: Duration,
        done: impl Fn(&[Span]) -> Result<T, String>,
    ) -> Result<T, String> {
        let start = Instant::now();
        loop {
            let spans = self.spans();
            match done(&spans) {
                Ok(t) => return Ok(t),
                Err(e) if start.elapsed() > within => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

/// The process's subscriber, exporting to an in-process OTLP receiver. Both live on a runtime of
/// their own: the exporter's channel must outlive every test's runtime.
fn otel() -> &'static Otel {
    static OTEL: OnceLock<Otel> = OnceLock::new();
    OTEL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let receiver = Receiver::default();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(
                    tonic::transport::Server::builder()
                        .add_service(TraceServiceServer::new(receiver.clone()))
                        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(
                            listener,
                        )),
                );
                let mut config = common::config(&common::temp_dir(), "");
                config.telemetry.otlp_endpoint = format!("http://{addr}");
                config.telemetry.service_name = "aduan-trace-test".into();
                let guard = aduan_runtime::telemetry::init(&config).unwrap();
                tx.send(Otel { receiver, guard }).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

async fn start_sqlite() -> TestApp {
    otel();
    common::start_sqlite().await
}

async fn start_postgres() -> Option<TestApp> {
    otel();
    common::start_postgres().await
}

// ---- Helpers over exported spans ---------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A string attribute of a span.
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

/// A short description of a span for failure messages.
fn describe(span: &Span) -> String {
    format!(
        "{} (trace {}, span {}, parent {})",
        span.name,
        hex(&span.trace_id),
        hex(&span.span_id),
        hex(&span.parent_span_id)
    )
}

/// The spans of each trace, by trace id.
fn traces(spans: &[Span]) -> HashMap<Vec<u8>, Vec<&Span>> {
    let mut out: HashMap<Vec<u8>, Vec<&Span>> = HashMap::new();
    for s in spans {
        out.entry(s.trace_id.clone()).or_default().push(s);
    }
    out
}

/// The span with this id.
fn span_by_id<'a>(spans: &'a [Span], span_id: &[u8]) -> Option<&'a Span> {
    spans.iter().find(|s| s.span_id == span_id)
}

/// Spans whose parent is set but was not exported (or is in another trace).
fn orphans(spans: &[Span]) -> Vec<&Span> {
    spans
        .iter()
        .filter(|s| {
            !s.parent_span_id.is_empty()
                && !spans
                    .iter()
                    .any(|p| p.span_id == s.parent_span_id && p.trace_id == s.trace_id)
        })
        .collect()
}

/// Ok when no span is an orphan, else the orphans described.
fn no_orphans(spans: &[Span]) -> Result<(), String> {
    let o = orphans(spans);
    if o.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "spans whose parent was not exported: {:?}",
            o.iter().map(|s| describe(s)).collect::<Vec<_>>()
        ))
    }
}

/// The links of a span, as (trace id, span id).
fn links_of(span: &Span) -> Vec<(Vec<u8>, Vec<u8>)> {
    span.links
        .iter()
        .map(|l| (l.trace_id.clone(), l.span_id.clone()))
        .collect()
}

/// The server span of a person's step: the RPC `method` ("aduan.triage.v1.TriageService/…")
/// tagged with the complaint's id.
fn step_span<'a>(spans: &'a [Span], method: &str, complaint_id: &str) -> Option<&'a Span> {
    spans
        .iter()
        .find(|s| s.name == method && attr(s, "complaint_id").as_deref() == Some(complaint_id))
}

/// The spans that applied an event of the complaint (automatic hops).
fn apply_spans<'a>(spans: &'a [Span], complaint_id: &str) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|s| {
            s.name == "apply event" && attr(s, "complaint_id").as_deref() == Some(complaint_id)
        })
        .collect()
}

/// One person's step: the service that takes it and its RPC.
struct Step {
    service: &'static str,
    method: &'static str,
}

const fn step(service: &'static str, method: &'static str) -> Step {
    Step { service, method }
}

/// The type of the lifecycle event a step writes (outbox `event_type`).
fn step_event(method: &str) -> &'static str {
    match method.rsplit('/').next().unwrap_or("") {
        "SubmitComplaint" => "registered",
        "ScreenComplaint" => "screened",
        "ForwardToHead" => "forwarded_to_head",
        "IssueDisposition" => "disposition_issued",
        "AssignOfficers" | "RecordInterview" | "DraftResponse" => "handling_activity",
        "DecideEligibility" => "eligibility_decided",
        "ApproveResponse" => "response_approved",
        "RecordDelivery" => "response_delivered",
        "RecordFeedback" => "feedback_recorded",
        "ApproveHandlingReport" => "handling_report_approved",
        "DistributeHandlingReport" => "handling_report_distributed",
        other => panic!("no event type known for {other}"),
    }
}

/// Checks a journey's traces:
/// - each step (in the order taken) is the root of its own trace, tagged with the complaint's id;
/// - each step after the first has, in its trace, a link to an exported span of the previous
///   step's trace: the span that wrote the event the step's service saw last (the previous
///   step's own span, or the apply span under it that wrote an event of this service);
/// - each step's events are applied, in that step's trace and directly under its span, by each
///   of `subscribers` that takes that step's event from its service (`aduan::ROUTES`);
/// - every apply span of the complaint hangs, through exported spans, under a step's span (an
///   event written while applying another is applied under that apply span);
/// - no exported span is an orphan.
fn assert_journey(
    spans: &[Span],
    complaint_id: &str,
    steps: &[Step],
    subscribers: &[&str],
) -> Result<(), String> {
    let by_trace = traces(spans);
    let mut found: Vec<&Span> = Vec::new();
    for st in steps {
        let s = step_span(spans, st.method, complaint_id)
            .ok_or_else(|| format!("step {} was not exported", st.method))?;
        if !s.parent_span_id.is_empty() {
            return Err(format!("step {} is not a root: {}", st.method, describe(s)));
        }
        if found.iter().any(|f| f.trace_id == s.trace_id) {
            return Err(format!("step {} shares a trace with another", st.method));
        }
        found.push(s);
    }
    for (i, pair) in found.windows(2).enumerate() {
        let (prev, s) = (pair[0], pair[1]);
        // The link names the span that wrote the complaint's latest event in the service of
        // this step: the previous step's span, or the span in its trace that applied its event
        // here and wrote one of this service's own.
        let trace = &by_trace[&s.trace_id];
        let linked = trace.iter().flat_map(|t| links_of(t)).any(|(t, id)| {
            t == prev.trace_id
                && spans.iter().any(|x| {
                    x.trace_id == t
                        && x.span_id == id
                        && (x.span_id == prev.span_id
                            || (x.name == "apply event" && x.parent_span_id == prev.span_id))
                })
        });
        if !linked {
            return Err(format!(
                "step {} has no link to the previous step {} ({}); links: {:?}",
                steps[i + 1].method,
                steps[i].method,
                describe(prev),
                trace
                    .iter()
                    .flat_map(|t| links_of(t))
                    .map(|(t, s)| format!("{}/{}", hex(&t), hex(&s)))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let applies = apply_spans(spans, complaint_id);
    for (st, s) in steps.iter().zip(&found) {
        for subscriber in aduan::ROUTES
            .iter()
            .filter(|r| {
                r.source == st.service
                    && subscribers.contains(&r.subscriber)
                    && r.events.contains(&step_event(st.method))
            })
            .map(|r| r.subscriber)
        {
            let hop = applies.iter().any(|a| {
                a.trace_id == s.trace_id
                    && a.parent_span_id == s.span_id
                    && attr(a, "subscriber").as_deref() == Some(subscriber)
            });
            if !hop {
                return Err(format!(
                    "no span of {subscriber} applying the event of {} under its span",
                    st.method
                ));
            }
        }
    }
    for a in &applies {
        // Up the parents (an event written while applying one is applied in turn, under it).
        let mut top: &Span = a;
        while !top.parent_span_id.is_empty() {
            top = spans
                .iter()
                .find(|p| p.span_id == top.parent_span_id && p.trace_id == top.trace_id)
                .ok_or_else(|| format!("the parent of {} was not exported", describe(top)))?;
        }
        if !found.iter().any(|s| s.span_id == top.span_id) {
            return Err(format!(
                "{} does not hang under a person's step but under {}",
                describe(a),
                describe(top)
            ));
        }
    }
    no_orphans(spans)
}

// ---- Tests -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submit_and_triage_are_one_trace() {
    let app = start_sqlite().await;
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
                purpose: String::new(),
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

    let (submit, apply, spans) = otel()
        .until(Duration::from_secs(5), |spans| {
            let submit = step_span(spans, "aduan.intake.v1.IntakeService/SubmitComplaint", &id);
            let apply = apply_spans(spans, &id)
                .into_iter()
                .find(|a| attr(a, "subscriber").as_deref() == Some("triage"));
            match (submit, apply) {
                (Some(s), Some(a)) => Ok((s.clone(), a.clone(), spans.to_vec())),
                _ => Err("the submit and apply spans were not exported".to_string()),
            }
        })
        .await
        .unwrap();
    assert_eq!(
        apply.trace_id, submit.trace_id,
        "intake's submit and triage's handling are one trace"
    );
    assert_eq!(attr(&apply, "subscriber").as_deref(), Some("triage"));
    // No orphan: the apply span's parent is a span of that trace that was exported.
    let parent = span_by_id(&spans, &apply.parent_span_id)
        .expect("the parent of the apply span is exported");
    assert_eq!(parent.trace_id, submit.trace_id);
    assert!(
        parent.span_id == submit.span_id || parent.parent_span_id == submit.span_id,
        "the apply span hangs under the submit request"
    );
    // Issue 13: the relay's batch span and the inbox's DeliverEvents span are roots of their
    // own trace, linked to the trace of each event they carry (here the submission's).
    let linked = |name: &str| {
        let spans = otel().spans();
        spans.iter().any(|s| {
            s.name == name
                && s.trace_id != submit.trace_id
                && links_of(s).iter().any(|(t, _)| *t == submit.trace_id)
        })
    };
    let mut batch_linked = (false, false);
    for _ in 0..100 {
        batch_linked = (
            linked("relay deliver"),
            linked("aduan.events.v1.EventInbox/DeliverEvents"),
        );
        if batch_linked == (true, true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        batch_linked,
        (true, true),
        "the relay batch and DeliverEvents spans link to the submission's trace"
    );
    app.running.shutdown().await.unwrap();
}

/// The subscribers whose hops a journey checks (reporting, S15-S16, joins them with its steps).
const SUBSCRIBERS: &[&str] = &["triage", "investigation", "feedback", "reporting"];

/// The people's steps of one complaint, as `journey` takes them.
const JOURNEY: &[Step] = &[
    step("intake", "aduan.intake.v1.IntakeService/SubmitComplaint"),
    step("triage", "aduan.triage.v1.TriageService/ScreenComplaint"),
    step("triage", "aduan.triage.v1.TriageService/ForwardToHead"),
    step("triage", "aduan.triage.v1.TriageService/IssueDisposition"),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/AssignOfficers",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/RecordInterview",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/DecideEligibility",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/DraftResponse",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/ApproveResponse",
    ),
    step(
        "feedback",
        "aduan.feedback.v1.FeedbackService/RecordDelivery",
    ),
    step(
        "feedback",
        "aduan.feedback.v1.FeedbackService/RecordFeedback",
    ),
];

/// Submission (S3), screening (S4), forwarding (S5), the Head's disposition (S6-S7), assignment
/// and clarification (S8), eligibility (S11), the response drafted and approved (S12), delivered
/// (S13) and a satisfied answer (S14): each a separate RPC by its person, with no traceparent
/// (as days apart). Then the traces.
async fn journey(app: TestApp, rid: &str) {
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute(rid), "rehsos").await;
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "resolved").await;
    delivered_and_satisfied(&app, &s, &id, 1).await;

    let result = otel()
        .until(Duration::from_secs(15), |spans| {
            assert_journey(spans, &id, JOURNEY, SUBSCRIBERS)
        })
        .await;
    if let Err(e) = result {
        let spans = otel().spans();
        let mine: Vec<String> = traces(&spans)
            .values()
            .filter(|t| {
                t.iter()
                    .any(|s| attr(s, "complaint_id").as_deref() == Some(id.as_str()))
            })
            .flatten()
            .map(|s| describe(s))
            .collect();
        panic!("{e}\nspans of the complaint's traces: {mine:#?}");
    }
    app.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journey_is_linked_traces_sqlite() {
    journey(start_sqlite().await, "trace-journey-sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journey_is_linked_traces_postgres() {
    let Some(app) = start_postgres().await else {
        return;
    };
    journey(app, "trace-journey-postgres").await;
}

// ---- S1 to S16 with the five services as separate servers ---------------------------------------

/// The people's steps that write a lifecycle event, from submission to the distributed handling
/// report (drafting the report writes none, so the approval links to the feedback step).
const JOURNEY_S16: &[Step] = &[
    step("intake", "aduan.intake.v1.IntakeService/SubmitComplaint"),
    step("triage", "aduan.triage.v1.TriageService/ScreenComplaint"),
    step("triage", "aduan.triage.v1.TriageService/ForwardToHead"),
    step("triage", "aduan.triage.v1.TriageService/IssueDisposition"),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/AssignOfficers",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/RecordInterview",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/DecideEligibility",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/DraftResponse",
    ),
    step(
        "investigation",
        "aduan.investigation.v1.InvestigationService/ApproveResponse",
    ),
    step(
        "feedback",
        "aduan.feedback.v1.FeedbackService/RecordDelivery",
    ),
    step(
        "feedback",
        "aduan.feedback.v1.FeedbackService/RecordFeedback",
    ),
    step(
        "reporting",
        "aduan.reporting.v1.ReportingService/ApproveHandlingReport",
    ),
    step(
        "reporting",
        "aduan.reporting.v1.ReportingService/DistributeHandlingReport",
    ),
];

/// Five servers, one per service, each knowing the others' endpoints; `pg` gives each its own
/// PostgreSQL database.
async fn five_servers(pg: bool) -> Option<Vec<(&'static str, TestApp)>> {
    otel();
    const NAMES: [&str; 5] = ["intake", "triage", "investigation", "feedback", "reporting"];
    let dir = common::temp_dir();
    let listeners = common::listeners(NAMES.len()).await;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let url = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
    let mut apps = Vec::new();
    for (name, listener) in NAMES.iter().zip(listeners) {
        let db = if pg {
            aduan_runtime::testing::postgres_database().await?
        } else {
            format!("sqlite:{}", dir.join(format!("{name}.db")).display())
        };
        let mut c = common::config(&dir, "");
        c.services = name.to_string();
        c.set_endpoint("intake", url(0));
        c.set_endpoint("triage", url(1));
        c.set_endpoint("investigation", url(2));
        c.set_endpoint("feedback", url(3));
        c.set_endpoint("reporting", url(4));
        match *name {
            "intake" => c.intake.db.database_url = db,
            "triage" => c.triage.db.database_url = db,
            "investigation" => c.investigation.db.database_url = db,
            "feedback" => c.feedback.db.database_url = db,
            _ => c.reporting.db.database_url = db,
        }
        c.telemetry.service_name = format!("aduan-{name}");
        apps.push((*name, common::start_on(c, listener).await));
    }
    Some(apps)
}

async fn channel_of(apps: &[(&'static str, TestApp)], name: &str) -> tonic::transport::Channel {
    apps.iter()
        .find(|(n, _)| *n == name)
        .expect("a server per service")
        .1
        .channel()
        .await
}

/// Retries `f` until it succeeds (the relays deliver between servers).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut last = None;
    for _ in 0..600 {
        match f().await {
            Ok(x) => return x,
            Err(s) => last = Some(s),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} never succeeded: {last:?}");
}

/// S1 to S16 with the five services as separate servers: each person's step is its own trace,
/// linked to the previous step, every hop between servers continues the trace of the step that
/// caused it, and no span is an orphan.
async fn journey_across_servers(apps: Vec<(&'static str, TestApp)>) {
    use aduan_proto::feedback::v1::{self as fpb, feedback_service_client::FeedbackServiceClient};
    use aduan_proto::investigation::v1::{
        self as ipb, investigation_service_client::InvestigationServiceClient,
    };
    use aduan_proto::reporting::v1::{
        self as rpb, reporting_service_client::ReportingServiceClient,
    };
    use common::casework::{OFFICE, tok};
    let any = &apps[0].1;
    let co = tok(any, "unit-1", Role::ComplaintsOfficer, OFFICE, None);
    let head = tok(any, "kadis", Role::Head, OFFICE, None);
    let kabid = tok(any, "kabid", Role::BidangHead, OFFICE, Some("rehsos"));
    let officer = tok(
        any,
        "petugas-1",
        Role::BidangOfficer,
        OFFICE,
        Some("rehsos"),
    );

    // S1-S3 at intake.
    let id = any.submit(dispute("trace-five-servers")).await;
    // S4-S7 at triage.
    let mut t = TriageServiceClient::new(channel_of(&apps, "triage").await);
    let get = tpb::GetCaseRequest {
        purpose: String::new(),
        complaint_id: id.clone(),
    };
    eventually("the complaint in triage", || {
        let mut t = t.clone();
        let r = authed(&co, get.clone());
        async move { t.get_case(r).await }
    })
    .await;
    common::casework::screen_forward_dispose(&mut t, &co, &head, &id, "rehsos").await;
    // S8-S12 at investigation.
    let i = InvestigationServiceClient::new(channel_of(&apps, "investigation").await);
    let assign = ipb::AssignOfficersRequest {
        complaint_id: id.clone(),
        assignees: vec![ipb::Assignee {
            subject: "petugas-1".into(),
            function: ipb::OfficerFunction::CaseOfficer as i32,
        }],
        reason: String::new(),
    };
    eventually("the case in investigation", || {
        let mut i = i.clone();
        let r = authed(&kabid, assign.clone());
        async move { i.assign_officers(r).await }
    })
    .await;
    let mut i2 = i.clone();
    i2.record_interview(authed(
        &officer,
        ipb::RecordInterviewRequest {
            complaint_id: id.clone(),
            kind: ipb::InterviewKind::Clarification as i32,
            party: ipb::PartyRole::Complainant as i32,
            channel: ipb::ContactChannel::Phone as i32,
            held_on: Some(common::casework::today()),
            present: vec!["Pelapor".into()],
            summary: "Pelapor menjelaskan pokok pengaduan.".into(),
            intake_amendment: None,
        },
    ))
    .await
    .unwrap();
    i2.decide_eligibility(authed(
        &kabid,
        ipb::DecideEligibilityRequest {
            complaint_id: id.clone(),
            qualifies: true,
            reason_code: String::new(),
            note: String::new(),
        },
    ))
    .await
    .unwrap();
    let draft = i2
        .draft_response(authed(
            &officer,
            ipb::DraftResponseRequest {
                complaint_id: id.clone(),
                text: "Dengan hormat, bantuan telah diproses.".into(),
                outcome_code: "resolved".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    i2.approve_response(authed(
        &kabid,
        ipb::ApproveResponseRequest {
            complaint_id: id.clone(),
            revision: draft.latest_draft_revision,
        },
    ))
    .await
    .unwrap();
    // S13-S14 at feedback.
    let f = FeedbackServiceClient::new(channel_of(&apps, "feedback").await);
    let deliver = fpb::RecordDeliveryRequest {
        complaint_id: id.clone(),
        version: 1,
        channel: Channel::Phone as i32,
        delivered_at: None,
        note: String::new(),
    };
    eventually("delivery at feedback", || {
        let mut f = f.clone();
        let r = authed(&co, deliver.clone());
        async move { f.record_delivery(r).await }
    })
    .await;
    let mut f2 = f.clone();
    f2.record_feedback(authed(
        &co,
        fpb::RecordFeedbackRequest {
            complaint_id: id.clone(),
            version: 1,
            satisfied: true,
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    // S15-S16 at reporting.
    let r = ReportingServiceClient::new(channel_of(&apps, "reporting").await);
    let draft_report = rpb::DraftHandlingReportRequest {
        complaint_id: id.clone(),
        recommendation_codes: vec!["selesai".into()],
        ..Default::default()
    };
    let drafted = eventually("the feedback at reporting", || {
        let mut r = r.clone();
        let req = authed(&officer, draft_report.clone());
        async move { r.draft_handling_report(req).await }
    })
    .await
    .into_inner();
    let mut r2 = r.clone();
    r2.approve_handling_report(authed(
        &kabid,
        rpb::ApproveHandlingReportRequest {
            complaint_id: id.clone(),
            revision: drafted.revision,
        },
    ))
    .await
    .unwrap();
    let done = r2
        .distribute_handling_report(authed(
            &co,
            rpb::DistributeHandlingReportRequest {
                complaint_id: id.clone(),
                recipient_kind: rpb::RecipientKind::Complainant as i32,
                channel: Channel::WalkIn as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, rpb::ReportState::Approved as i32);

    let subscribers = ["triage", "investigation", "feedback", "reporting"];
    let result = otel()
        .until(Duration::from_secs(20), |spans| {
            assert_journey(spans, &id, JOURNEY_S16, &subscribers)?;
            // Every service's server exported spans of this complaint.
            for name in ["intake", "triage", "investigation", "feedback", "reporting"] {
                let service = format!("aduan.{name}.v1.");
                if !spans.iter().any(|s| {
                    s.name.starts_with(&service)
                        && attr(s, "complaint_id").as_deref() == Some(id.as_str())
                }) {
                    return Err(format!("no step span of {name}"));
                }
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        panic!("{e}");
    }
    for (_, app) in apps {
        app.running.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journey_s1_to_s16_across_five_servers_sqlite() {
    journey_across_servers(five_servers(false).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journey_s1_to_s16_across_five_servers_postgres() {
    let Some(apps) = five_servers(true).await else {
        return;
    };
    journey_across_servers(apps).await;
}
