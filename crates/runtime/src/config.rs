//! Layered configuration: built-in defaults, then a TOML file, then environment variables.
//!
//! Environment variables are `ADUAN_<KEY>` with `__` between nested keys, for example
//! `ADUAN_LISTEN=0.0.0.0:50051` or `ADUAN_INTAKE__DATABASE_URL=postgres://…`. The standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_SERVICE_NAME` are honoured too (the Helm chart sets them).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The whole configuration of an aduan process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// gRPC listen address; every service of the process is multiplexed on it.
    pub listen: String,
    /// Directory for SQLite files, the local signing key and the local encryption master key.
    pub data_dir: PathBuf,
    /// Province code of this deployment (one deployment per province), for example "35".
    pub province: String,
    /// Directory of reference data (offices, categories); empty: the data compiled into the binary.
    pub reference_data_dir: String,
    /// Logging.
    pub log: LogConfig,
    /// Traces.
    pub telemetry: TelemetryConfig,
    /// Prometheus metrics endpoint.
    pub metrics: MetricsConfig,
    /// Token verification.
    pub auth: AuthConfig,
    /// Encryption of personal data.
    pub crypto: CryptoConfig,
    /// Shutdown behaviour.
    pub shutdown: ShutdownConfig,
    /// The gRPC server's limits: deadlines, admission, HTTP/2 (issue 13).
    pub grpc: GrpcConfig,
    /// The services this process runs, comma-separated ("intake,triage"), or "all".
    pub services: String,
    /// Where each service is reached by the others; empty: in this process.
    pub endpoints: Endpoints,
    /// Delivery of outbox events between services.
    pub relay: RelayConfig,
    /// The SLA clock.
    pub sla: SlaConfig,
    /// The intake service.
    pub intake: ServiceConfig,
    /// The triage service.
    pub triage: ServiceConfig,
    /// Cluster mode (Kubernetes): offices and holidays from custom resources, Lease leader
    /// election of the singleton loops.
    pub cluster: ClusterConfig,
    /// The investigation service (S8-S12).
    pub investigation: ServiceConfig,
    /// The feedback service (S13-S14).
    pub feedback: ServiceConfig,
    /// The reporting service (S15-S16, statistics, documents).
    pub reporting: ServiceConfig,
    /// The web console: the public portal and the staff pages (issue 14).
    pub console: ConsoleConfig,
}

/// The web console (docs/console.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// HTTP listen address of the console; empty disables it.
    pub listen: String,
    /// Accounts and sessions: `postgres://…` or `sqlite:…`; empty: `sqlite:<data_dir>/console.db`.
    pub database_url: String,
    /// The address citizens and staff open, for example `https://aduan.dinsos.jatimprov.go.id`;
    /// an `https` address marks the cookies Secure. Empty: the listen address (plain HTTP).
    pub public_url: String,
    /// Comma-separated address ranges of the proxies in front of the console (the ingress), whose
    /// `X-Forwarded-For` names the client for sign-in throttling and tracking's rate limit.
    pub trusted_proxies: String,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, whatever its use (at most
    /// `auth.max_token_hours`: the session carries a token of that lifetime).
    pub session_max_hours: u32,
    /// Failed sign-ins allowed per account within 15 minutes; the next waits.
    pub sign_in_failures_per_account: u32,
    /// Sign-in attempts allowed per client address per minute.
    pub sign_in_per_address_minute: u32,
    /// Connection pool size.
    pub max_connections: u32,
    /// Sign-in at the province's OpenID Connect provider (cluster mode); unset: local accounts.
    pub oidc: OidcConfig,
}

/// The console's OpenID Connect client (authorization code flow with PKCE, docs/console.md).
/// The services verify the same provider's access tokens (`auth.jwks_url`, `auth.issuer`,
/// `auth.audience`) and read the same claims (`office`, `roles`, `bidang`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The provider's issuer, for example `https://sso.jatimprov.go.id/realms/aduan`; its
    /// `/.well-known/openid-configuration` is read. Empty: local accounts (embedded default).
    pub issuer_url: String,
    /// The console's client id at the provider.
    pub client_id: String,
    /// A file holding the client secret (confidential client); empty: a public client, which
    /// PKCE alone protects.
    pub client_secret_file: String,
    /// Scopes asked for besides `openid`, space-separated.
    pub scopes: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret_file: String::new(),
            scopes: "profile".into(),
        }
    }
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            public_url: String::new(),
            trusted_proxies: String::new(),
            session_idle_minutes: 30,
            session_max_hours: 10,
            sign_in_failures_per_account: 5,
            sign_in_per_address_minute: 20,
            max_connections: 4,
            oidc: OidcConfig::default(),
        }
    }
}

/// The gRPC endpoint of each service, for example `http://aduan-triage:50051`; empty: the
/// service runs in this process and is called on its own listen address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Endpoints {
    /// The intake service.
    pub intake: String,
    /// The triage service.
    pub triage: String,
    /// The investigation service.
    pub investigation: String,
    /// The feedback service.
    pub feedback: String,
    /// The reporting service.
    pub reporting: String,
    /// The web console's gRPC address, where triage and investigation deliver the events of
    /// its notifications; empty with no console elsewhere: those relays do not run.
    pub console: String,
}

/// The event relay (outbox delivery between services).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// Events per delivery call.
    pub batch_size: u32,
    /// Look at the outbox at least this often, in seconds, even without a notification.
    pub poll_seconds: f64,
    /// First retry delay after a failed delivery, in seconds; doubles up to max_backoff_seconds.
    pub min_backoff_seconds: f64,
    /// Longest retry delay, in seconds.
    pub max_backoff_seconds: f64,
    /// Attempts before an event the receiver keeps refusing (an error that retrying will not
    /// fix, such as INVALID_ARGUMENT) becomes a dead letter. An explicit rejection is dead at once;
    /// an unreachable receiver is retried without limit.
    pub max_attempts: u32,
    /// Timeout of one delivery call, in seconds.
    pub call_timeout_seconds: f64,
}

/// The SLA clock and its sweeper.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaConfig {
    /// The policy for new complaints: "sop_4_working_days" (the seed's) or "sp4n_lapor".
    pub policy: String,
    /// How often the sweeper looks for warnings and breaches, in seconds.
    pub sweep_seconds: f64,
    /// Directory of extra holiday CSV files and policy JSON files; empty: the shipped data only.
    pub data_dir: String,
}

/// The services aduan knows, in the order of the procedure.
pub const SERVICES: &[&str] = &["intake", "triage", "investigation", "feedback", "reporting"];

/// Every component holding a service key: the five services and the console (whose key signs
/// the public web form's submissions).
pub const COMPONENTS: &[&str] = &[
    "intake",
    "triage",
    "investigation",
    "feedback",
    "reporting",
    "console",
];

/// Logging configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `tracing` filter directive, for example "info" or "aduan_intake=debug,info".
    pub level: String,
    /// "auto" (default: text when standard error is a terminal, else JSON), "json" or "text".
    pub format: String,
}

/// Trace export configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// OTLP/gRPC endpoint, for example "http://otel-collector:4317"; empty disables export
    /// (W3C propagation stays on). `OTEL_EXPORTER_OTLP_ENDPOINT` overrides it.
    pub otlp_endpoint: String,
    /// Service name reported to the trace backend. `OTEL_SERVICE_NAME` overrides it.
    pub service_name: String,
}

/// Metrics endpoint configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of the Prometheus `/metrics` listener; empty disables it.
    pub listen: String,
}

/// Token verification configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// JWKS URL of the OIDC provider (http or https); when set, keys come from here.
    pub jwks_url: String,
    /// A JWKS document or a PEM public key (EC P-256 or RSA) in a file; used when jwks_url is empty.
    pub key_file: String,
    /// Directory of the components' service keys (`<service>.pem`, ES256 private keys): a
    /// process signs its calls to other services with the keys of the services it runs. Empty:
    /// `<data_dir>/service-keys`, generated on first start (embedded default).
    pub service_keys_dir: String,
    /// JWKS document of every component's public service key (key ids `aduan-service-<service>`):
    /// the only keys trusted for the role `service`. Empty: the public halves of the keys in the
    /// service keys directory.
    pub service_jwks_file: String,
    /// Longest lifetime of a token accepted (`exp` minus `nbf` or `iat`) and minted by
    /// `aduan token`, in hours.
    pub max_token_hours: u64,
    /// Demos only: accept local signing or a generated master key together with PostgreSQL or
    /// cluster mode (each replica would otherwise generate keys of its own). Logged as a warning
    /// at every start.
    pub allow_local_keys_in_cluster: bool,
    /// Embedded default: generate an ES256 signing key in the data directory on first start and
    /// accept tokens signed by it (mint them with `aduan token`). Used when both of the above are empty.
    pub local_signing: bool,
    /// How often to refresh keys from jwks_url, in seconds.
    pub jwks_refresh_seconds: u64,
    /// Allowed clock skew when checking `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Maximum number of verified tokens whose claims are cached until they expire.
    pub cache_capacity: usize,
}

/// Encryption configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CryptoConfig {
    /// TOML file of per-office keys: `[offices."35.27"] keys = { k1 = "<base64 32 bytes>" }` and
    /// `active = "k1"`, plus an optional `master` key from which offices without an entry derive
    /// theirs. Empty: a master key is generated in the data directory on first start.
    pub keys_file: String,
}

/// Shutdown configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownConfig {
    /// After SIGTERM, report NOT_SERVING and keep serving this long so load balancers notice.
    pub drain_seconds: f64,
    /// Then stop accepting and give in-flight calls at most this long to finish.
    pub timeout_seconds: f64,
}

/// The gRPC server's limits (issue 13).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpcConfig {
    /// The longest a call may run: the client's `grpc-timeout` is honoured up to this.
    pub max_call_seconds: f64,
    /// The longest an evidence upload (a client stream) may run.
    pub max_upload_seconds: f64,
    /// The delay a caller refused for overload is told to wait (RetryInfo), plus up to half of
    /// it at random.
    pub retry_after_ms: u64,
    /// Calls of the event inbox (`DeliverEvents`) in progress at once in this process.
    pub inbox_in_flight: u32,
    /// HTTP/2 streams a client may open at once on one connection.
    pub max_concurrent_streams: u32,
    /// HTTP/2 keepalive: a ping after this much silence on a connection (0: none).
    pub keepalive_seconds: f64,
    /// A connection whose ping is not answered within this is closed.
    pub keepalive_timeout_seconds: f64,
    /// Connections are closed gracefully after this long (0: never), so that clients spread
    /// again over new replicas.
    pub max_connection_age_seconds: f64,
    /// The largest request metadata (headers) accepted, in bytes.
    pub max_header_bytes: u32,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            max_call_seconds: 30.0,
            max_upload_seconds: 600.0,
            retry_after_ms: 200,
            inbox_in_flight: 16,
            max_concurrent_streams: 256,
            keepalive_seconds: 30.0,
            keepalive_timeout_seconds: 10.0,
            max_connection_age_seconds: 1800.0,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// Cluster mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Watch the `Office` and `HolidayCalendar` resources and elect the leader of each singleton
    /// loop with a `coordination.k8s.io` Lease (needs the in-cluster service account).
    pub enabled: bool,
    /// Namespace of the resources and Leases; empty: the pod's own namespace.
    pub namespace: String,
    /// Lease duration in seconds; the holder renews every third of it.
    pub lease_seconds: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            namespace: String::new(),
            lease_seconds: 15,
        }
    }
}

/// Per-service configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// `postgres://…` or `sqlite:…`; empty: `sqlite:<data_dir>/<service>.db`.
    pub database_url: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// Calls of this service in progress at once; beyond it a call is refused at once with
    /// RESOURCE_EXHAUSTED and RetryInfo. 0: four per pooled connection (SQLite pools hold at
    /// most 8, so 32; PostgreSQL with 16 connections 64).
    pub max_in_flight: u32,
    /// Public tracking requests allowed per client address per minute (intake only).
    pub track_per_minute: u32,
    /// Comma-separated address ranges of the proxies in front of the service (the ingress), whose
    /// `X-Forwarded-For` names the client for public tracking's rate limit (intake only). Empty:
    /// the TCP peer is the client.
    pub trusted_proxies: String,
    /// Directory of stored evidence files (investigation only); empty: `<data_dir>/evidence`.
    pub storage_dir: String,
    /// Largest evidence file accepted, in bytes (investigation only).
    pub max_file_bytes: u64,
    /// Working days without a reply after delivery of the response before the case is closed
    /// (feedback only; S14).
    pub silence_working_days: u32,
    /// How often the singleton loop runs, in seconds: feedback's closing sweep; reporting's
    /// scheduler of the monthly reports.
    pub sweep_seconds: f64,
    /// Province-wide statistics are computed at most once in this many seconds per period and
    /// kind of reader; readers in between get that result (reporting only). 0: every time.
    pub statistics_cache_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50051".into(),
            data_dir: PathBuf::from("./aduan-data"),
            province: "35".into(),
            reference_data_dir: String::new(),
            log: LogConfig::default(),
            telemetry: TelemetryConfig::default(),
            metrics: MetricsConfig::default(),
            auth: AuthConfig::default(),
            crypto: CryptoConfig::default(),
            shutdown: ShutdownConfig::default(),
            grpc: GrpcConfig::default(),
            services: "all".into(),
            endpoints: Endpoints::default(),
            relay: RelayConfig::default(),
            sla: SlaConfig::default(),
            intake: ServiceConfig::default(),
            triage: ServiceConfig::default(),
            cluster: ClusterConfig::default(),
            investigation: ServiceConfig::default(),
            feedback: ServiceConfig::default(),
            reporting: ServiceConfig::default(),
            console: ConsoleConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: "auto".into(),
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: String::new(),
            service_name: "aduan".into(),
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "aduan-local".into(),
            audience: "aduan".into(),
            jwks_url: String::new(),
            key_file: String::new(),
            service_keys_dir: String::new(),
            service_jwks_file: String::new(),
            max_token_hours: 12,
            allow_local_keys_in_cluster: false,
            local_signing: true,
            jwks_refresh_seconds: 300,
            leeway_seconds: 30,
            cache_capacity: 100_000,
        }
    }
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self {
            drain_seconds: 5.0,
            timeout_seconds: 25.0,
        }
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            poll_seconds: 1.0,
            min_backoff_seconds: 0.1,
            max_backoff_seconds: 30.0,
            max_attempts: 5,
            call_timeout_seconds: 10.0,
        }
    }
}

impl Default for SlaConfig {
    fn default() -> Self {
        Self {
            policy: "sop_4_working_days".into(),
            sweep_seconds: 60.0,
            data_dir: String::new(),
        }
    }
}

impl ServiceConfig {
    /// The admission limit: `max_in_flight`, or four per connection of the pool as
    /// [`crate::db::Database::connect`] sizes it (SQLite at most 8; PostgreSQL as configured).
    pub fn in_flight_limit(&self, data_url_is_postgres: bool) -> usize {
        if self.max_in_flight > 0 {
            return self.max_in_flight as usize;
        }
        let pool = if data_url_is_postgres {
            self.max_connections.max(1)
        } else {
            self.max_connections.clamp(1, 8)
        };
        pool as usize * 4
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            max_connections: 16,
            max_in_flight: 0,
            track_per_minute: 30,
            trusted_proxies: String::new(),
            storage_dir: String::new(),
            max_file_bytes: 20 * 1024 * 1024,
            silence_working_days: 10,
            sweep_seconds: 60.0,
            statistics_cache_seconds: 60,
        }
    }
}

impl Config {
    /// Defaults, then `file` (if any), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        Self::load_from(file, std::env::vars())
    }

    /// Defaults, then `file` (if any), then the given environment.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let defaults = toml::Table::try_from(Config::default())
            .map_err(|e| Error::Internal(format!("defaults: {e}")))?;
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid("config", format!("cannot read {}: {e}", path.display()))
            })?;
            let table: toml::Table = text.parse().map_err(|e| {
                Error::invalid(
                    "config",
                    format!("{} is not valid TOML: {e}", path.display()),
                )
            })?;
            merge(&mut merged, table);
        }
        for (key, value) in env {
            let path: Vec<String> = if let Some(rest) = key.strip_prefix("ADUAN_") {
                // Variables of the command-line client and of the test scripts share the prefix.
                if matches!(rest, "CONFIG" | "SERVER" | "TOKEN")
                    || rest.starts_with("TEST_")
                    || rest.starts_with("PG_")
                {
                    continue;
                }
                rest.split("__").map(|s| s.to_ascii_lowercase()).collect()
            } else if key == "OTEL_EXPORTER_OTLP_ENDPOINT"
                || key == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
            {
                vec!["telemetry".into(), "otlp_endpoint".into()]
            } else if key == "OTEL_SERVICE_NAME" {
                vec!["telemetry".into(), "service_name".into()]
            } else {
                continue;
            };
            let typed = typed_value(&defaults, &path, &value)
                .map_err(|m| Error::invalid(key.clone(), m))?;
            set_path(&mut merged, &path, typed);
        }
        let config: Config = merged
            .try_into()
            .map_err(|e: toml::de::Error| Error::invalid("config", e.message().to_string()))?;
        Ok(config)
    }

    /// True when this process serves the web console: `console.listen` is set and `services`
    /// is "all" or names "console".
    pub fn console_enabled(&self) -> bool {
        !self.console.listen.is_empty()
            && self
                .services
                .split(',')
                .map(str::trim)
                .any(|s| s == "all" || s == "console")
    }

    /// The gRPC services this process runs, from `services` ("all" = every known service;
    /// "console" names the web console, which is not a gRPC service).
    pub fn enabled_services(&self) -> Result<Vec<&'static str>> {
        let mut out = Vec::new();
        let mut console = false;
        for name in self
            .services
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if name == "all" {
                return Ok(SERVICES.to_vec());
            }
            if name == "console" {
                console = true;
                continue;
            }
            let Some(known) = SERVICES.iter().find(|s| **s == name) else {
                return Err(Error::invalid(
                    "services",
                    format!(
                        "unknown service {name:?}; known: {}, console",
                        SERVICES.join(", ")
                    ),
                ));
            };
            if !out.contains(known) {
                out.push(*known);
            }
        }
        if out.is_empty() && !console {
            return Err(Error::invalid("services", "no service to run"));
        }
        Ok(out)
    }

    /// Refuses keys that only a single embedded process may use (the local signing key, generated
    /// service keys, a generated master key) when the process runs with PostgreSQL or in cluster
    /// mode, where replicas would each generate keys of their own. With
    /// `auth.allow_local_keys_in_cluster` they are accepted, and the warning to log is returned.
    pub fn check_keys(&self) -> Result<Option<String>> {
        let mut local = Vec::new();
        if crate::auth::local_user_keys(&self.auth) {
            local.push("the local signing key (auth.local_signing)");
        }
        if crate::auth::generated_service_keys(&self.auth) {
            local.push("generated service keys (auth.service_keys_dir)");
        }
        let services = self.enabled_services()?;
        // A console-only process holds no office key (src/lib.rs).
        if self.crypto.keys_file.is_empty() && !services.is_empty() {
            local.push("a generated master key (crypto.keys_file)");
        }
        let postgres = services.iter().any(|s| {
            let url = match *s {
                "intake" => &self.intake.database_url,
                "triage" => &self.triage.database_url,
                "investigation" => &self.investigation.database_url,
                "feedback" => &self.feedback.database_url,
                _ => &self.reporting.database_url,
            };
            url.starts_with("postgres")
        });
        if local.is_empty() || !(postgres || self.cluster.enabled) {
            return Ok(None);
        }
        let mode = if self.cluster.enabled {
            "cluster mode"
        } else {
            "PostgreSQL"
        };
        let msg = format!(
            "{mode} with {}: replicas would each generate keys of their own",
            local.join(", ")
        );
        if self.auth.allow_local_keys_in_cluster {
            Ok(Some(format!(
                "{msg}; accepted because auth.allow_local_keys_in_cluster is set (demos only)"
            )))
        } else {
            Err(Error::invalid(
                "auth.allow_local_keys_in_cluster",
                format!(
                    "{msg}. Configure auth.jwks_url or auth.key_file, auth.service_keys_dir and \
                     crypto.keys_file (docs/security.md), or set auth.allow_local_keys_in_cluster \
                     for a demo"
                ),
            ))
        }
    }

    /// The configured endpoint of `service`, or None when it runs in this process.
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        let e = match service {
            "intake" => &self.endpoints.intake,
            "triage" => &self.endpoints.triage,
            "investigation" => &self.endpoints.investigation,
            "feedback" => &self.endpoints.feedback,
            "reporting" => &self.endpoints.reporting,
            "console" => &self.endpoints.console,
            _ => return None,
        };
        (!e.is_empty()).then_some(e.as_str())
    }

    /// The database URL of `service`: the configured one, or a SQLite file in the data directory.
    pub fn database_url(&self, service: &str, configured: &str) -> String {
        if configured.is_empty() {
            format!(
                "sqlite:{}",
                self.data_dir.join(format!("{service}.db")).display()
            )
        } else {
            configured.to_string()
        }
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = entry {
                set_path(t, rest, value);
            }
        }
    }
}

/// Environment values are text; read them as the type the default has at that key.
fn typed_value(defaults: &toml::Table, path: &[String], raw: &str) -> Result<toml::Value, String> {
    let mut cur = defaults;
    let mut found = None;
    for (i, p) in path.iter().enumerate() {
        match cur.get(p) {
            Some(toml::Value::Table(t)) if i + 1 < path.len() => cur = t,
            Some(v) if i + 1 == path.len() => found = Some(v),
            _ => break,
        }
    }
    Ok(match found {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| "expected an integer".to_string())?,
        ),
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .parse()
                .map_err(|_| "expected a number".to_string())?,
        ),
        Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err("expected true or false".into()),
        },
        _ => toml::Value::String(raw.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("aduan-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("aduan.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:6000\"\nprovince = \"35\"\n[intake]\nmax_connections = 4\n[shutdown]\ndrain_seconds = 1.5\n",
        )
        .unwrap();
        let env = vec![
            ("ADUAN_LISTEN".to_string(), "0.0.0.0:7000".to_string()),
            (
                "ADUAN_INTAKE__DATABASE_URL".to_string(),
                "postgres://x/y".to_string(),
            ),
            ("ADUAN_AUTH__LOCAL_SIGNING".to_string(), "false".to_string()),
            (
                "ADUAN_INTAKE__TRACK_PER_MINUTE".to_string(),
                "7".to_string(),
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT".to_string(),
                "http://c:4317".to_string(),
            ),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let c = Config::load_from(Some(&file), env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:7000");
        assert_eq!(c.intake.max_connections, 4);
        assert_eq!(c.intake.track_per_minute, 7);
        assert_eq!(c.intake.database_url, "postgres://x/y");
        assert!(!c.auth.local_signing);
        assert_eq!(c.shutdown.drain_seconds, 1.5);
        assert_eq!(c.telemetry.otlp_endpoint, "http://c:4317");
        assert_eq!(c.province, "35");
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let env = vec![(
            "ADUAN_INTAKE__MAX_CONNECTIONS".to_string(),
            "many".to_string(),
        )];
        let err = Config::load_from(None, env).unwrap_err();
        assert!(err.to_string().contains("ADUAN_INTAKE__MAX_CONNECTIONS"));
        let env = vec![("ADUAN_NO_SUCH_KEY".to_string(), "1".to_string())];
        assert!(
            Config::load_from(None, env).is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn default_database_is_sqlite_in_data_dir() {
        let c = Config::default();
        assert_eq!(
            c.database_url("intake", ""),
            "sqlite:./aduan-data/intake.db"
        );
        assert_eq!(c.database_url("intake", "postgres://h/d"), "postgres://h/d");
    }

    #[test]
    fn services_and_endpoints() {
        let c = Config::default();
        assert_eq!(
            c.enabled_services().unwrap(),
            vec!["intake", "triage", "investigation", "feedback", "reporting"]
        );
        let env = vec![
            ("ADUAN_SERVICES".to_string(), "triage, triage".to_string()),
            (
                "ADUAN_ENDPOINTS__INTAKE".to_string(),
                "http://aduan-intake:50051".to_string(),
            ),
        ];
        let c = Config::load_from(None, env).unwrap();
        assert_eq!(c.enabled_services().unwrap(), vec!["triage"]);
        assert_eq!(c.endpoint("intake"), Some("http://aduan-intake:50051"));
        assert_eq!(c.endpoint("triage"), None);
        let env = vec![("ADUAN_SERVICES".to_string(), "intake,billing".to_string())];
        let err = Config::load_from(None, env)
            .unwrap()
            .enabled_services()
            .unwrap_err();
        assert!(err.to_string().contains("billing"));
    }

    #[test]
    fn keys_of_one_process_are_refused_with_postgres_and_in_cluster_mode() {
        let sqlite = Config::default();
        assert_eq!(sqlite.check_keys().unwrap(), None);
        let mut pg = Config::default();
        pg.triage.database_url = "postgres://db/triage".into();
        assert!(matches!(pg.check_keys(), Err(Error::InvalidArgument(_))));
        let mut cluster = Config::default();
        cluster.cluster.enabled = true;
        assert!(cluster.check_keys().is_err());
        // With every key configured, PostgreSQL is fine.
        let mut configured = pg.clone();
        configured.auth.jwks_url = "https://sso.example/jwks".into();
        configured.auth.service_keys_dir = "/etc/aduan/service-keys".into();
        configured.crypto.keys_file = "/etc/aduan/keys.toml".into();
        assert_eq!(configured.check_keys().unwrap(), None);
        // Each local key alone is enough to refuse.
        let mut master_only = configured.clone();
        master_only.crypto.keys_file.clear();
        assert!(master_only.check_keys().is_err());
        // A console-only pod in cluster mode holds no office key: none is needed.
        let mut console = Config::default();
        console.cluster.enabled = true;
        console.services = "console".into();
        console.auth.jwks_url = "https://sso.example/jwks".into();
        console.auth.service_keys_dir = "/etc/aduan/service-keys".into();
        assert_eq!(console.check_keys().unwrap(), None);
        console.services = "console,intake".into();
        assert!(console.check_keys().is_err());
        // Demos may, with a warning.
        pg.auth.allow_local_keys_in_cluster = true;
        assert!(pg.check_keys().unwrap().unwrap().contains("demos only"));
    }
}
