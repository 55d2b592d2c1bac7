//! The gRPC server every service runs in: health per service (NOT_SERVING until the service says
//! it is ready), reflection for every descriptor, a trace-and-metrics layer, the auth layer, and a
//! SIGTERM drain bounded by a timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::admission::{AdmissionLayer, Limits};
use crate::auth::{AuthLayer, AuthzTable, Verifier};
use crate::config::{GrpcConfig, ShutdownConfig};
use crate::error::{Error, Result};

/// Collects the services of one process and serves them on one port.
pub struct ServerBuilder {
    routes: RoutesBuilder,
    tables: Vec<AuthzTable>,
    names: Vec<&'static str>,
    health: HealthReporter,
    health_service:
        tonic_health::pb::health_server::HealthServer<tonic_health::server::HealthService>,
    limits: Limits,
    grpc: GrpcConfig,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerBuilder {
    /// An empty server with health and reflection.
    pub fn new() -> Self {
        let health = HealthReporter::new();
        let health_service = tonic_health::pb::health_server::HealthServer::new(
            tonic_health::server::HealthService::from_health_reporter(health.clone()),
        );
        Self {
            routes: RoutesBuilder::default(),
            tables: Vec::new(),
            names: Vec::new(),
            health,
            health_service,
            limits: Limits::default(),
            grpc: GrpcConfig::default(),
        }
    }

    /// The server's deadlines, HTTP/2 settings and the inbox's admission limit (issue 13).
    pub fn grpc_config(&mut self, grpc: &GrpcConfig) -> &mut Self {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.001));
        self.limits.max_call = secs(grpc.max_call_seconds);
        self.limits.max_long_call = secs(grpc.max_upload_seconds);
        self.limits.retry_after = Duration::from_millis(grpc.retry_after_ms);
        self.limits.per_service.insert(
            "aduan.events.v1.EventInbox".into(),
            grpc.inbox_in_flight.max(1) as usize,
        );
        self.grpc = grpc.clone();
        self
    }

    /// At most `in_flight` calls of the gRPC service `name` at once; more are refused with
    /// RESOURCE_EXHAUSTED and RetryInfo.
    pub fn limit(&mut self, name: &str, in_flight: usize) -> &mut Self {
        self.limits
            .per_service
            .insert(name.to_string(), in_flight.max(1));
        self
    }

    /// A client-streaming RPC (full path) that gets the upload deadline, not the call deadline.
    pub fn long_call(&mut self, path: &'static str) -> &mut Self {
        self.limits.long_calls.push(path);
        self
    }

    /// Adds a service with its authorization table. Its health is NOT_SERVING until
    /// [`Readiness::set_serving`] is called for it.
    pub fn add_service<S>(&mut self, svc: S, table: AuthzTable) -> &mut Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes.add_service(svc);
        self.tables.push(table);
        self.names.push(S::NAME);
        self
    }

    /// The readiness handle: set services SERVING once their storage is migrated.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            health: self.health.clone(),
            names: Arc::new(self.names.clone()),
        }
    }

    /// Serves until `signal` resolves, then drains: NOT_SERVING at once, keep serving for
    /// `drain_seconds`, stop accepting, and wait at most `timeout_seconds` for in-flight calls.
    pub async fn serve(
        self,
        listener: TcpListener,
        verifier: Arc<Verifier>,
        shutdown: ShutdownConfig,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let readiness = self.readiness();
        readiness.set_all(ServingStatus::NotServing).await;
        let mut routes = self.routes;
        routes.add_service(self.health_service);
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(aduan_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| Error::Internal(format!("reflection: {e}")))?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(aduan_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(|e| Error::Internal(format!("reflection: {e}")))?;
        routes.add_service(reflection_v1);
        routes.add_service(reflection_v1alpha);
        let auth = AuthLayer::new(verifier, &self.tables);

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let drain = Duration::from_secs_f64(shutdown.drain_seconds.max(0.0));
        let timeout = Duration::from_secs_f64(shutdown.timeout_seconds.max(0.0));
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
        let r = readiness.clone();
        tokio::spawn(async move {
            signal.await;
            tracing::info!(
                drain_seconds = drain.as_secs_f64(),
                "shutting down: NOT_SERVING, draining"
            );
            r.set_all(ServingStatus::NotServing).await;
            tokio::time::sleep(drain).await;
            let _ = stop_tx.send(());
            let _ = drained_tx.send(());
        });

        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let g = &self.grpc;
        let opt_secs = |s: f64| (s > 0.0).then(|| Duration::from_secs_f64(s));
        let mut builder = tonic::transport::Server::builder()
            .max_concurrent_streams(g.max_concurrent_streams.max(1))
            .http2_keepalive_interval(opt_secs(g.keepalive_seconds))
            .http2_keepalive_timeout(opt_secs(g.keepalive_timeout_seconds))
            .http2_max_header_list_size(g.max_header_bytes.max(1024))
            .http2_max_pending_accept_reset_streams(Some(64))
            .http2_max_local_error_reset_streams(Some(1024));
        if let Some(age) = opt_secs(g.max_connection_age_seconds) {
            builder = builder
                .max_connection_age(age)
                .max_connection_age_grace(Duration::from_secs(30));
        }
        // Observe first (shed calls are counted and traced), then admission (before the token
        // is checked: a refusal costs nothing), then auth.
        let server = builder
            .layer(ObserveLayer::new(&self.tables))
            .layer(AdmissionLayer::new(self.limits))
            .layer(auth)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = stop_rx.await;
            });
        tokio::pin!(server);
        tokio::select! {
            res = &mut server => res.map_err(|e| Error::Internal(format!("server: {e}"))),
            _ = drained_rx => {
                match tokio::time::timeout(timeout, &mut server).await {
                    Ok(res) => res.map_err(|e| Error::Internal(format!("server: {e}"))),
                    Err(_) => {
                        tracing::warn!("shutdown timeout: in-flight calls abandoned");
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Sets the health status of the services of one server.
#[derive(Clone)]
pub struct Readiness {
    health: HealthReporter,
    names: Arc<Vec<&'static str>>,
}

impl Readiness {
    /// Marks one service SERVING (after its migrations ran and its dependencies answer).
    pub async fn set_serving(&self, name: &'static str) {
        self.health
            .set_service_status(name, ServingStatus::Serving)
            .await;
        if self.names.is_empty() {
            return;
        }
        // The overall status ("") is SERVING once every service is.
        let mut all = true;
        for n in self.names.iter() {
            if *n != name && !self.is_serving(n).await {
                all = false;
            }
        }
        if all {
            self.health
                .set_service_status("", ServingStatus::Serving)
                .await;
        }
    }

    async fn is_serving(&self, name: &str) -> bool {
        use tonic_health::pb::health_server::Health;
        let svc = tonic_health::server::HealthService::from_health_reporter(self.health.clone());
        let req = tonic::Request::new(tonic_health::pb::HealthCheckRequest {
            service: name.to_string(),
        });
        matches!(svc.check(req).await, Ok(r) if r.get_ref().status == 1)
    }

    /// Sets every service and the overall status.
    pub async fn set_all(&self, status: ServingStatus) {
        for n in self.names.iter() {
            self.health.set_service_status(*n, status).await;
        }
        self.health.set_service_status("", status).await;
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Tower layer: one server span per call, parented on the caller's W3C context, and the RPC
/// metrics (`aduan_grpc_requests_total`, `aduan_grpc_request_duration_seconds`). Metric labels
/// and span names take only the known routes (the RPCs of the authorization tables, health and
/// reflection); any other path is `other`, so random paths sent without a token cannot create
/// unbounded series.
#[derive(Clone, Debug, Default)]
pub struct ObserveLayer {
    known: Arc<std::collections::HashSet<&'static str>>,
}

impl ObserveLayer {
    /// A layer knowing the RPCs of `tables`.
    pub fn new(tables: &[AuthzTable]) -> Self {
        Self {
            known: Arc::new(
                tables
                    .iter()
                    .flat_map(|t| t.iter().map(|(p, _)| *p))
                    .collect(),
            ),
        }
    }

    /// The (service, method) labels of a request path: its own for a known route, else
    /// ("other", "other").
    pub fn labels(&self, path: &str) -> (String, String) {
        let infrastructure = matches!(
            path,
            "/grpc.health.v1.Health/Check"
                | "/grpc.health.v1.Health/Watch"
                | "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
                | "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
        );
        if infrastructure || self.known.contains(path) {
            split_path(path)
        } else {
            ("other".into(), "other".into())
        }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`ObserveLayer`].
#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Observe<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<std::result::Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let (service, method) = self.layer.labels(req.uri().path());
        let parent = crate::telemetry::extract_context(req.headers());
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %format!("{service}/{method}"),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        // The caller's context must be the parent before the span is entered.
        let _ = span.set_parent(parent);
        let start = Instant::now();
        let fut = self.inner.call(req);
        let span2 = span.clone();
        Box::pin(
            async move {
                let res = fut.await;
                let code = match &res {
                    Ok(resp) => resp
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|s| s.parse::<i32>().ok())
                        .unwrap_or(0),
                    Err(_) => 13,
                };
                span2.record("rpc.grpc.status_code", code);
                let code_name = code_name(code);
                metrics::counter!("aduan_grpc_requests_total",
                    "service" => service.clone(), "method" => method.clone(), "code" => code_name)
                .increment(1);
                metrics::histogram!("aduan_grpc_request_duration_seconds",
                    "service" => service, "method" => method)
                .record(start.elapsed().as_secs_f64());
                res
            }
            .instrument(span),
        )
    }
}

fn split_path(path: &str) -> (String, String) {
    let mut it = path.trim_start_matches('/').splitn(2, '/');
    let service = it.next().unwrap_or("").to_string();
    let method = it.next().unwrap_or("").to_string();
    (service, method)
}

fn code_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "OTHER",
    }
}

/// A service's core behind its gRPC face: empty until the store is open, then set once. Every
/// service's `XxxApi` holds one, so that the server can listen (and answer health checks) before
/// the database is migrated; a call before that answers UNAVAILABLE.
pub struct Ready<T> {
    core: Arc<std::sync::OnceLock<Arc<T>>>,
    name: &'static str,
}

impl<T> Clone for Ready<T> {
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            name: self.name,
        }
    }
}

impl<T> Ready<T> {
    /// Not ready yet; `name` is the service's name in the UNAVAILABLE message.
    pub fn new(name: &'static str) -> Self {
        Self {
            core: Arc::new(std::sync::OnceLock::new()),
            name,
        }
    }

    /// Makes it ready (a second call is ignored).
    pub fn set(&self, core: Arc<T>) {
        let _ = self.core.set(core);
    }

    /// The core, or UNAVAILABLE while the service is starting.
    pub fn get(&self) -> Result<&Arc<T>> {
        self.core
            .get()
            .ok_or_else(|| Error::Unavailable(format!("{} is starting", self.name)))
    }

    /// Every handler's opening: the core (UNAVAILABLE while starting), the authenticated caller,
    /// and the request's body.
    pub fn open<R>(&self, request: tonic::Request<R>) -> Result<(&Arc<T>, crate::auth::Caller, R)> {
        let core = self.get()?;
        let caller = crate::auth::Caller::from_request(&request)?;
        Ok((core, caller, request.into_inner()))
    }
}
