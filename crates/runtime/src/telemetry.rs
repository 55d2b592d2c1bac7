//! Telemetry: JSON logs, OTLP traces when an endpoint is configured, W3C propagation always.
//!
//! Nothing personal is logged: services log ids of records and codes, never names, NIKs, phone
//! numbers, addresses or free text from a complaint. A complaint's id goes on spans only as an
//! OpenTelemetry attribute (`set_attribute`), which reaches the trace backend and is never
//! printed in a log line (span *fields* would be, in the JSON logs' current span).
//!
//! A complaint's lifecycle in traces (docs/ARCHITECTURE.md, "Traces"): an automatic hop continues
//! the trace of the event's writer ([`event_span`]); a person's later step starts its own trace
//! and links it to the complaint's previous step ([`link_previous_step`], with the context each
//! service keeps by [`keep_latest_trace`]).

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Config;
use crate::error::{Error, Result};

/// Flushes and shuts down trace export when dropped.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Flushes pending spans now.
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            let _ = p.force_flush();
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

/// Installs the W3C trace-context propagator (idempotent; also done by [`init`]).
pub fn install_propagator() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

/// Sets up logging and tracing for the process. Call inside the Tokio runtime (the OTLP exporter
/// needs it). A second call in the same process (tests) keeps the first subscriber.
pub fn init(config: &Config) -> Result<TelemetryGuard> {
    install_propagator();
    let filter = EnvFilter::try_new(&config.log.level)
        .map_err(|e| Error::invalid("log.level", e.to_string()))?;
    let text = match config.log.format.as_str() {
        "text" => true,
        "json" => false,
        // "auto": readable text for a person at a terminal, JSON for a log collector.
        _ => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let fmt_layer = if text {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed()
    };
    // The OpenTelemetry layer is always installed so that spans carry W3C context (events and
    // outgoing calls propagate it) even when nothing is exported.
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(config.telemetry.service_name.clone())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if !config.telemetry.otlp_endpoint.is_empty() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(config.telemetry.otlp_endpoint.clone())
            .build()
            .map_err(|e| Error::invalid("telemetry.otlp_endpoint", e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    let p = builder.build();
    let tracer = p.tracer("aduan");
    opentelemetry::global::set_tracer_provider(p.clone());
    let provider = Some(p);
    // The log level filters log output only; spans for traces are kept at INFO and above so an
    // operator quietening the logs does not break trace propagation.
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = tracing_subscriber::registry()
        .with(fmt_layer.with_filter(filter))
        .with(otel_layer)
        .try_init();
    Ok(TelemetryGuard { provider })
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The OpenTelemetry context carried by W3C headers of an incoming request.
pub fn extract_context(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// The W3C headers (`traceparent`, `tracestate`) of the current span, for an outbox event or an
/// outgoing call. Empty when nothing is being traced.
pub fn current_trace_headers() -> HashMap<String, String> {
    let cx = tracing::Span::current().context();
    let mut map = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut MapInjector(&mut map));
    map
}

/// The OpenTelemetry context of a lifecycle event's stored W3C trace context.
pub fn context_from_event(
    trace: Option<&aduan_proto::events::v1::TraceContext>,
) -> opentelemetry::Context {
    let mut map = HashMap::new();
    if let Some(t) = trace {
        if !t.traceparent.is_empty() {
            map.insert("traceparent".to_string(), t.traceparent.clone());
        }
        if !t.tracestate.is_empty() {
            map.insert("tracestate".to_string(), t.tracestate.clone());
        }
    }
    TraceContextPropagator::new().extract(&map)
}

/// The current span's trace context, for a lifecycle event written now.
pub fn current_event_trace() -> aduan_proto::events::v1::TraceContext {
    let h = current_trace_headers();
    aduan_proto::events::v1::TraceContext {
        traceparent: h.get("traceparent").cloned().unwrap_or_default(),
        tracestate: h.get("tracestate").cloned().unwrap_or_default(),
    }
}

/// A span for applying one lifecycle event, continuing the trace of the request that caused it
/// (an automatic hop: the same trace as the request).
pub fn event_span(
    event: &aduan_proto::events::v1::LifecycleEvent,
    subscriber: &str,
) -> tracing::Span {
    let span = tracing::info_span!(
        "apply event",
        otel.kind = "consumer",
        subscriber,
        source = %event.source_service,
        event_id = %event.event_id,
    );
    let _ = span.set_parent(context_from_event(event.trace.as_ref()));
    // The complaint id goes to the trace backend only, never into a log line (DESIGN "Privacy").
    span.set_attribute("complaint_id", event.complaint_id.clone());
    span
}

/// The span context named by a stored W3C trace context; invalid when it is empty or malformed.
pub fn span_context_of(
    trace: &aduan_proto::events::v1::TraceContext,
) -> opentelemetry::trace::SpanContext {
    use opentelemetry::trace::TraceContextExt;
    context_from_event(Some(trace))
        .span()
        .span_context()
        .clone()
}

/// Links `span` (a batch of events: the relay's delivery, the inbox's `DeliverEvents`) to the
/// trace context of each event that has one, once per distinct span. Returns the links added.
pub fn link_events(
    span: &tracing::Span,
    events: &[aduan_proto::events::v1::LifecycleEvent],
) -> usize {
    let mut seen = std::collections::HashSet::new();
    for e in events {
        let Some(t) = &e.trace else { continue };
        let cx = span_context_of(t);
        if cx.is_valid() && seen.insert((cx.trace_id(), cx.span_id())) {
            span.add_link(cx);
        }
    }
    seen.len()
}

/// Tags the current span with the complaint's id, as an OpenTelemetry attribute: it reaches the
/// trace backend only, never a log line (see the note at the top).
pub fn tag_complaint(complaint_id: &str) {
    tracing::Span::current().set_attribute("complaint_id", complaint_id.to_string());
}

/// A person's step on an existing complaint (a write RPC: screening, a disposition, an
/// interview, a delivery, an amendment…), called once the step is done and before the request
/// ends. The current span (the request's `grpc.server` span) gets the `complaint_id` attribute
/// and an OpenTelemetry link to the span of the complaint's previous step, `previous`: the
/// trace context the complaint's record kept from its latest lifecycle event (see
/// [`keep_latest_trace`]). No link when `previous` is empty or already in the current trace (a
/// call that carried the previous step's `traceparent` continues that trace). A step taken days
/// later starts its own trace; the link lets a trace backend walk back through the journey.
///
/// Returns whether a link was added.
pub fn link_previous_step(
    complaint_id: &str,
    previous: &aduan_proto::events::v1::TraceContext,
) -> bool {
    use opentelemetry::trace::TraceContextExt;
    let span = tracing::Span::current();
    span.set_attribute("complaint_id", complaint_id.to_string());
    let prev = span_context_of(previous);
    if !prev.is_valid() {
        return false;
    }
    let cx = span.context();
    let current = cx.span().span_context().clone();
    if !current.is_valid() || current.trace_id() == prev.trace_id() {
        return false;
    }
    span.add_link(prev);
    true
}

/// What a complaint's record keeps as its latest step: the trace context of the last of `events`
/// (written by a step or received) that names a span, or `stored` unchanged when none does (an
/// event written outside any trace keeps the chain to the step before it).
pub fn keep_latest_trace<'a>(
    stored: &mut aduan_proto::events::v1::TraceContext,
    events: impl IntoIterator<Item = &'a aduan_proto::events::v1::LifecycleEvent>,
) {
    for e in events {
        if let Some(t) = &e.trace
            && span_context_of(t).is_valid()
        {
            *stored = t.clone();
        }
    }
}

struct MapInjector<'a>(&'a mut HashMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

/// Adds the W3C headers of the current span to outgoing gRPC metadata.
pub fn inject_metadata(metadata: &mut tonic::metadata::MetadataMap) {
    for (k, v) in current_trace_headers() {
        if let (Ok(key), Ok(val)) = (
            tonic::metadata::MetadataKey::from_bytes(k.as_bytes()),
            v.parse(),
        ) {
            metadata.insert(key, val);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceContextExt;

    #[test]
    fn w3c_extract_reads_traceparent() {
        install_propagator();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let cx = extract_context(&headers);
        let sc = cx.span().span_context().clone();
        assert!(sc.is_valid());
        assert_eq!(
            sc.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(sc.is_remote());
    }

    /// A person's step links to the previous step's span when that is in another trace, never
    /// to one in its own trace or to nothing; the id is an attribute either way.
    #[test]
    fn link_previous_step_links_other_traces_only() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;

        #[derive(Debug, Clone, Default)]
        struct Collect(Arc<Mutex<Vec<opentelemetry_sdk::trace::SpanData>>>);
        impl opentelemetry_sdk::trace::SpanExporter for Collect {
            async fn export(
                &self,
                batch: Vec<opentelemetry_sdk::trace::SpanData>,
            ) -> opentelemetry_sdk::error::OTelSdkResult {
                self.0.lock().unwrap().extend(batch);
                Ok(())
            }
        }
        let spans = Collect::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let _default = tracing::subscriber::set_default(subscriber);
        let trace = |traceparent: &str| aduan_proto::events::v1::TraceContext {
            traceparent: traceparent.into(),
            tracestate: String::new(),
        };
        let other = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        let linked = tracing::info_span!("linked");
        assert!(linked.in_scope(|| link_previous_step("c-1", &trace(other))));
        let own = linked.context().span().span_context().clone();
        let same = format!("00-{}-{}-01", own.trace_id(), own.span_id());
        let not_again = linked.in_scope(|| link_previous_step("c-1", &trace(&same)));
        assert!(
            !not_again,
            "a step in the previous step's trace is not linked"
        );
        drop(linked);
        let empty = tracing::info_span!("empty");
        assert!(!empty.in_scope(|| link_previous_step("c-2", &trace(""))));
        assert!(!empty.in_scope(|| link_previous_step("c-2", &trace("garbage"))));
        drop(empty);
        // Outside any span: nothing to link from.
        assert!(!link_previous_step("c-3", &trace(other)));

        let spans = spans.0.lock().unwrap();
        let linked = spans.iter().find(|s| s.name == "linked").unwrap();
        let links: Vec<_> = linked
            .links
            .iter()
            .map(|l| l.span_context.clone())
            .collect();
        assert_eq!(links.len(), 1);
        assert_eq!(
            links[0].trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(links[0].span_id().to_string(), "00f067aa0ba902b7");
        let id = |s: &opentelemetry_sdk::trace::SpanData| {
            s.attributes
                .iter()
                .find(|kv| kv.key.as_str() == "complaint_id")
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(id(linked).as_deref(), Some("c-1"));
        let empty = spans.iter().find(|s| s.name == "empty").unwrap();
        assert!(empty.links.is_empty());
        assert_eq!(id(empty).as_deref(), Some("c-2"));
    }

    #[test]
    fn keep_latest_trace_skips_untraced_events() {
        use aduan_proto::events::v1::{LifecycleEvent, TraceContext};
        let a = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let b = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let ev = |tp: Option<&str>| LifecycleEvent {
            trace: tp.map(|tp| TraceContext {
                traceparent: tp.into(),
                tracestate: "k=v".into(),
            }),
            ..Default::default()
        };
        let mut stored = TraceContext::default();
        keep_latest_trace(&mut stored, &[ev(Some(a)), ev(None), ev(Some(""))]);
        assert_eq!(stored.traceparent, a);
        assert_eq!(stored.tracestate, "k=v");
        keep_latest_trace(&mut stored, &[ev(Some(b)), ev(Some("00-bad"))]);
        assert_eq!(stored.traceparent, b);
        keep_latest_trace(&mut stored, &[]);
        assert_eq!(stored.traceparent, b);
    }

    #[test]
    fn no_headers_means_no_parent() {
        let cx = extract_context(&http::HeaderMap::new());
        assert!(!cx.span().span_context().is_valid());
    }
}
