//! Admission control (issue 13): each gRPC service of a process takes at most a fixed number of
//! calls at once. A call beyond that is refused at once with RESOURCE_EXHAUSTED and a
//! `google.rpc.RetryInfo`, instead of waiting behind the database pool until it times out; every
//! admitted call runs under a deadline, the client's `grpc-timeout` capped by the server's
//! maximum. Health and reflection are never limited, so probes answer under any load (metrics
//! have their own listener).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The limits of one server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Calls in progress per gRPC service (full name, e.g. `aduan.intake.v1.IntakeService`).
    pub per_service: HashMap<String, usize>,
    /// The longest a call may run, whatever its `grpc-timeout` says.
    pub max_call: Duration,
    /// The longest a streaming upload may run (client-streaming RPCs in `long_calls`).
    pub max_long_call: Duration,
    /// Paths that get `max_long_call` (evidence uploads over slow connections).
    pub long_calls: Vec<&'static str>,
    /// The delay a refused caller is told to wait (`RetryInfo.retry_delay`), jittered by up to
    /// half of it so that refused clients do not come back together.
    pub retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_service: HashMap::new(),
            max_call: Duration::from_secs(30),
            max_long_call: Duration::from_secs(600),
            long_calls: Vec::new(),
            retry_after: Duration::from_millis(200),
        }
    }
}

/// Paths that admission never limits.
fn exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// The time a client allows, from its `grpc-timeout` header ("100m", "5S", "1H", …): `None` when
/// absent or malformed (then the server's maximum applies).
pub fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get("grpc-timeout")?.to_str().ok()?;
    // At most 8 digits and one unit (the gRPC over HTTP/2 specification).
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// RESOURCE_EXHAUSTED with a `RetryInfo` (the status every shed call and every rate limit gets).
pub fn retry_later(message: &str, after: Duration) -> Status {
    Status::with_error_details(
        Code::ResourceExhausted,
        message,
        ErrorDetails::with_retry_info(Some(after)),
    )
}

/// A delay between `base` and 1.5 x `base`, varied per call.
fn jittered(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    let extra = base.as_millis() as u64 / 2;
    base + Duration::from_millis(if extra == 0 { 0 } else { h.finish() % extra })
}

/// The tower layer of admission control.
#[derive(Clone, Debug)]
pub struct AdmissionLayer {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    permits: HashMap<String, Arc<Semaphore>>,
    limits: Limits,
}

impl AdmissionLayer {
    /// A layer with `limits`.
    pub fn new(limits: Limits) -> Self {
        let permits = limits
            .per_service
            .iter()
            .map(|(name, n)| (name.clone(), Arc::new(Semaphore::new((*n).max(1)))))
            .collect();
        Self {
            inner: Arc::new(Shared { permits, limits }),
        }
    }
}

impl<S> tower::Layer<S> for AdmissionLayer {
    type Service = Admission<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Admission {
            inner,
            shared: self.inner.clone(),
        }
    }
}

/// The service of [`AdmissionLayer`].
#[derive(Clone, Debug)]
pub struct Admission<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Admission<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<std::result::Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path();
        if exempt(path) {
            return Box::pin(self.inner.call(req));
        }
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let limits = &self.shared.limits;
        let cap = if limits.long_calls.contains(&path) {
            limits.max_long_call
        } else {
            limits.max_call
        };
        let deadline = grpc_timeout(req.headers()).map_or(cap, |t| t.min(cap));
        let permit = match self.shared.permits.get_key_value(service) {
            Some((name, sem)) => match sem.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => {
                    // The label is bounded: the configured services only.
                    metrics::counter!("aduan_grpc_shed_total", "service" => name.clone())
                        .increment(1);
                    let status = retry_later(
                        "the service is at its limit of calls in progress; retry after the \
                         RetryInfo delay",
                        jittered(limits.retry_after),
                    );
                    return Box::pin(std::future::ready(Ok(status.into_http())));
                }
            },
            // Not a limited service (an unknown path gets UNIMPLEMENTED from the router).
            None => None,
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = match tokio::time::timeout(deadline, fut).await {
                Ok(res) => res,
                Err(_) => Ok(Status::deadline_exceeded(
                    "the call ran past its deadline (grpc-timeout, or the server's maximum)",
                )
                .into_http()),
            };
            drop(permit);
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_header() {
        let h = |v: &str| {
            let mut m = http::HeaderMap::new();
            m.insert("grpc-timeout", v.parse().unwrap());
            grpc_timeout(&m)
        };
        assert_eq!(h("100m"), Some(Duration::from_millis(100)));
        assert_eq!(h("5S"), Some(Duration::from_secs(5)));
        assert_eq!(h("2M"), Some(Duration::from_secs(120)));
        assert_eq!(h("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(h("250u"), Some(Duration::from_micros(250)));
        assert_eq!(h("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "m", "5", "5x", "123456789S", "-1S", "1.5S"] {
            assert_eq!(h(bad), None, "{bad}");
        }
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
    }

    fn request(path: &str) -> http::Request<()> {
        http::Request::builder().uri(path).body(()).unwrap()
    }

    fn status_of(r: &http::Response<tonic::body::Body>) -> Status {
        Status::from_header_map(r.headers()).expect("a status in the headers")
    }

    #[tokio::test]
    async fn a_service_takes_its_limit_and_sheds_the_rest() {
        use tower::{Layer, Service, ServiceExt};
        let gate = Arc::new(tokio::sync::Notify::new());
        let g = gate.clone();
        let inner = tower::service_fn(move |_req: http::Request<()>| {
            let g = g.clone();
            async move {
                g.notified().await;
                Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
            }
        });
        let layer = AdmissionLayer::new(Limits {
            per_service: [("svc.A".to_string(), 1)].into(),
            ..Limits::default()
        });
        let mut svc = layer.layer(inner);
        // The first call takes the only place and waits.
        let first = tokio::spawn(svc.clone().oneshot(request("/svc.A/M")));
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The second is refused at once, with RetryInfo.
        let r = svc
            .ready()
            .await
            .unwrap()
            .call(request("/svc.A/M"))
            .await
            .unwrap();
        let st = status_of(&r);
        assert_eq!(st.code(), Code::ResourceExhausted);
        assert!(st.get_error_details().retry_info().is_some());
        // Health and other services are not limited (they wait on the gate, so only start them).
        let health = tokio::spawn(svc.clone().oneshot(request("/grpc.health.v1.Health/Check")));
        let other = tokio::spawn(svc.clone().oneshot(request("/svc.B/M")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !health.is_finished() && !other.is_finished(),
            "admitted, waiting"
        );
        gate.notify_waiters();
        for h in [first, health, other] {
            let r = h.await.unwrap().unwrap();
            assert!(r.headers().get("grpc-status").is_none(), "served");
        }
        // The place is free again.
        let g = gate.clone();
        let next = tokio::spawn(svc.clone().oneshot(request("/svc.A/M")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        g.notify_waiters();
        let r = next.await.unwrap().unwrap();
        assert!(r.headers().get("grpc-status").is_none());
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_ends_deadline_exceeded() {
        use tower::{Layer, ServiceExt};
        let inner = tower::service_fn(|_req: http::Request<()>| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, std::convert::Infallible>(http::Response::new(tonic::body::Body::empty()))
        });
        let layer = AdmissionLayer::new(Limits {
            per_service: [("svc.A".to_string(), 4)].into(),
            max_call: Duration::from_millis(300),
            ..Limits::default()
        });
        let svc = layer.layer(inner);
        // The client's shorter deadline wins.
        let mut req = request("/svc.A/M");
        req.headers_mut()
            .insert("grpc-timeout", "50m".parse().unwrap());
        let start = std::time::Instant::now();
        let r = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(status_of(&r).code(), Code::DeadlineExceeded);
        assert!(start.elapsed() < Duration::from_millis(250));
        // A longer one is capped by the server's maximum.
        let mut req = request("/svc.A/M");
        req.headers_mut()
            .insert("grpc-timeout", "1H".parse().unwrap());
        let start = std::time::Instant::now();
        let r = svc.oneshot(req).await.unwrap();
        assert_eq!(status_of(&r).code(), Code::DeadlineExceeded);
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(290) && took < Duration::from_secs(5));
    }

    #[test]
    fn refusals_carry_retry_info() {
        let s = retry_later("busy", Duration::from_millis(300));
        assert_eq!(s.code(), Code::ResourceExhausted);
        let d = s.get_error_details();
        assert_eq!(
            d.retry_info().and_then(|r| r.retry_delay),
            Some(Duration::from_millis(300))
        );
        let j = jittered(Duration::from_millis(200));
        assert!(j >= Duration::from_millis(200) && j < Duration::from_millis(300));
    }
}
