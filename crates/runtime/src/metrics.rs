//! Prometheus metrics. Labels carry service, method and status code only: never a complaint id
//! or anything personal.

use std::net::SocketAddr;

use metrics_exporter_prometheus::PrometheusBuilder;

use crate::error::{Error, Result};

/// Installs the global recorder and serves `/metrics` on `listen` (empty: record nothing).
/// Returns false when a recorder was already installed (tests start several servers).
pub fn install(listen: &str) -> Result<bool> {
    if listen.is_empty() {
        return Ok(false);
    }
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| Error::invalid("metrics.listen", "expected host:port"))?;
    let buckets = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    let res = PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&buckets)
        .map_err(|e| Error::Internal(e.to_string()))?
        .install();
    match res {
        Ok(()) => {
            describe();
            Ok(true)
        }
        Err(metrics_exporter_prometheus::BuildError::FailedToSetGlobalRecorder(_)) => Ok(false),
        Err(e) => Err(Error::invalid("metrics.listen", e.to_string())),
    }
}

fn describe() {
    metrics::describe_counter!(
        "aduan_grpc_requests_total",
        "gRPC requests handled, by service, method and status code"
    );
    metrics::describe_histogram!(
        "aduan_grpc_request_duration_seconds",
        metrics::Unit::Seconds,
        "gRPC request duration, by service and method"
    );
    metrics::describe_counter!(
        "aduan_complaints_registered_total",
        "Complaints registered (S3), by office and channel"
    );
    metrics::describe_gauge!(
        "aduan_db_pool_connections",
        "Database pool connections, by service and state (idle, in_use)"
    );
}
