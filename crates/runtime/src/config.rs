//! Layered configuration: built-in defaults, then a TOML file, then environment variables.
//!
//! The runtime owns the parts every service shares ([`Config`]: listen address, data directory,
//! keys, limits, relay, SLA, cluster mode) and the shape of a service's database section
//! ([`DatabaseConfig`]). Each service crate owns its own section (`aduan_intake::IntakeConfig`,
//! …), and the `aduan` binary puts them together; [`load`] reads any such whole.
//!
//! Environment variables are `ADUAN_<KEY>` with `__` between nested keys, for example
//! `ADUAN_LISTEN=0.0.0.0:50051` or `ADUAN_INTAKE__DATABASE_URL=postgres://…`. The standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_SERVICE_NAME` are honoured too (the Helm chart sets them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
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
    /// The services this process runs, comma-separated ("intake,triage"), or "all" (the `aduan`
    /// binary reads it).
    pub services: String,
    /// Where each component is reached by the others (`endpoints.triage =
    /// "http://aduan-triage:50051"`); absent or empty: in this process. The `aduan` binary
    /// lists the components it knows, so any other name is refused.
    pub endpoints: BTreeMap<String, String>,
    /// Delivery of outbox events between services.
    pub relay: RelayConfig,
    /// The SLA clock.
    pub sla: SlaConfig,
    /// Cluster mode (Kubernetes): offices and holidays from custom resources, Lease leader
    /// election of the singleton loops.
    pub cluster: ClusterConfig,
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
    /// Delivered outbox rows are deleted this many days after they were written (rows a
    /// subscriber has not reached yet, or a dead letter still names, are kept). 0: never.
    pub keep_delivered_days: f64,
    /// A receiver remembers the ids of the events it applied this many days (`inbox_seen`), and
    /// a cursor of a subscriber that no longer receives is kept as long; then both are deleted.
    /// Must be longer than `keep_delivered_days`: an event can only be delivered again while its
    /// outbox row exists, so a redelivery always finds its id remembered. 0: never.
    pub keep_seen_days: f64,
    /// How often the housekeeping runs, in hours.
    pub housekeeping_hours: f64,
}

impl RelayConfig {
    /// Refuses retention windows under which a redelivered event could be applied twice.
    pub fn check_windows(&self) -> Result<()> {
        let bad = |field: &str, why: &str| Err(Error::invalid(format!("relay.{field}"), why));
        if self.keep_delivered_days < 0.0 || self.keep_seen_days < 0.0 {
            return bad("keep_delivered_days", "a number of days, 0 or more");
        }
        if self.keep_seen_days > 0.0
            && (self.keep_delivered_days == 0.0 || self.keep_seen_days <= self.keep_delivered_days)
        {
            return bad(
                "keep_seen_days",
                "longer than relay.keep_delivered_days (and that one not 0): an event can be delivered again while its outbox row exists, and its id must still be remembered then",
            );
        }
        if self.housekeeping_hours <= 0.0 {
            return bad("housekeeping_hours", "more than 0");
        }
        Ok(())
    }
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

/// The database part of every service's section (`[intake]`, `[triage]`, …): each service's
/// own config struct flattens it beside its own keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…` or `sqlite:…`; empty: `sqlite:<data_dir>/<service>.db`.
    pub database_url: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// Calls of this service in progress at once; beyond it a call is refused at once with
    /// RESOURCE_EXHAUSTED and RetryInfo. 0: four per pooled connection (SQLite pools hold at
    /// most 8, so 32; PostgreSQL with 16 connections 64).
    pub max_in_flight: u32,
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
            endpoints: BTreeMap::new(),
            relay: RelayConfig::default(),
            sla: SlaConfig::default(),
            cluster: ClusterConfig::default(),
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
            keep_delivered_days: 30.0,
            keep_seen_days: 60.0,
            housekeeping_hours: 24.0,
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

impl DatabaseConfig {
    /// True when the service's database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// The database URL of `service`: the configured one, or a SQLite file in the data directory.
    pub fn url(&self, config: &Config, service: &str) -> String {
        config.database_url(service, &self.database_url)
    }

    /// The admission limit: `max_in_flight`, or four per connection of the pool as
    /// [`crate::db::Database::connect`] sizes it (SQLite at most 8; PostgreSQL as configured).
    pub fn in_flight_limit(&self) -> usize {
        if self.max_in_flight > 0 {
            return self.max_in_flight as usize;
        }
        let pool = if self.is_postgres() {
            self.max_connections.max(1)
        } else {
            self.max_connections.clamp(1, 8)
        };
        pool as usize * 4
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            max_connections: 16,
            max_in_flight: 0,
        }
    }
}

impl Config {
    /// `configured`, or when it is empty `sqlite:<data_dir>/<component>.db`.
    pub fn database_url(&self, component: &str, configured: &str) -> String {
        if configured.is_empty() {
            format!(
                "sqlite:{}",
                self.data_dir.join(format!("{component}.db")).display()
            )
        } else {
            configured.to_string()
        }
    }

    /// The configured endpoint of `component`, or None when it runs in this process.
    pub fn endpoint(&self, component: &str) -> Option<&str> {
        self.endpoints
            .get(component)
            .map(String::as_str)
            .filter(|e| !e.is_empty())
    }

    /// Sets where `component` is reached (`endpoints.<component>`).
    pub fn set_endpoint(&mut self, component: &str, url: impl Into<String>) {
        self.endpoints.insert(component.to_string(), url.into());
    }
}

/// Reads a whole configuration `T` (the shared [`Config`] with the sections of the services a
/// binary runs, flattened beside it): `T::default()`, then `file` (if any), then `env`.
///
/// Every key must exist in `T::default()`: an unknown key in the file or the environment is
/// refused (serde cannot refuse them once sections are flattened, so the defaults decide).
/// Environment values are read as the type the default has at their key.
pub fn load<T>(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<T>
where
    T: Serialize + DeserializeOwned + Default,
{
    let defaults = toml::Table::try_from(T::default())
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
        if let Some(key) = unknown_key(&defaults, &table, "") {
            return Err(Error::invalid(
                "config",
                format!("{}: unknown key {key}", path.display()),
            ));
        }
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
        let typed =
            typed_value(&defaults, &path, &value).map_err(|m| Error::invalid(key.clone(), m))?;
        set_path(&mut merged, &path, typed);
    }
    merged
        .try_into()
        .map_err(|e: toml::de::Error| Error::invalid("config", e.message().to_string()))
}

/// The first key of `given` (dotted) that `defaults` does not have.
fn unknown_key(defaults: &toml::Table, given: &toml::Table, prefix: &str) -> Option<String> {
    for (k, v) in given {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (defaults.get(k), v) {
            (None, _) => return Some(path),
            (Some(toml::Value::Table(d)), toml::Value::Table(g)) => {
                if let Some(found) = unknown_key(d, g, &path) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
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
        None => return Err("unknown setting".into()),
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

    /// A binary's whole configuration: the shared parts and one service's section.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Whole {
        #[serde(flatten)]
        shared: Config,
        intake: Section,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(default)]
    struct Section {
        #[serde(flatten)]
        db: DatabaseConfig,
        track_per_minute: u32,
    }

    impl Default for Section {
        fn default() -> Self {
            Self {
                db: DatabaseConfig::default(),
                track_per_minute: 30,
            }
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

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
        let env = env(&[
            ("ADUAN_LISTEN", "0.0.0.0:7000"),
            ("ADUAN_INTAKE__DATABASE_URL", "postgres://x/y"),
            ("ADUAN_AUTH__LOCAL_SIGNING", "false"),
            ("ADUAN_INTAKE__TRACK_PER_MINUTE", "7"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("ADUAN_TOKEN", "the client's, not ours"),
            ("UNRELATED", "x"),
        ]);
        let c: Whole = load(Some(&file), env).unwrap();
        assert_eq!(c.shared.listen, "0.0.0.0:7000");
        assert_eq!(c.intake.db.max_connections, 4);
        assert_eq!(c.intake.track_per_minute, 7);
        assert_eq!(c.intake.db.database_url, "postgres://x/y");
        assert!(c.intake.db.is_postgres());
        assert!(!c.shared.auth.local_signing);
        assert_eq!(c.shared.shutdown.drain_seconds, 1.5);
        assert_eq!(c.shared.telemetry.otlp_endpoint, "http://c:4317");
        assert_eq!(c.shared.province, "35");
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused_with_the_key() {
        let err =
            load::<Whole>(None, env(&[("ADUAN_INTAKE__MAX_CONNECTIONS", "many")])).unwrap_err();
        assert!(err.to_string().contains("ADUAN_INTAKE__MAX_CONNECTIONS"));
        for key in [
            "ADUAN_NO_SUCH_KEY",
            "ADUAN_INTAKE__NO_SUCH_KEY",
            "ADUAN_TRIAGE__DATABASE_URL",
        ] {
            let err = load::<Whole>(None, env(&[(key, "1")])).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
        // The shared parts alone do not know the intake section.
        assert!(load::<Config>(None, env(&[("ADUAN_INTAKE__TRACK_PER_MINUTE", "7")])).is_err());
        let dir = std::env::temp_dir().join(format!("aduan-cfg-unknown-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("aduan.toml");
        for (text, key) in [
            ("[intake]\nstorage_dir = \"/x\"\n", "intake.storage_dir"),
            ("[shutdown]\ndrain = 1\n", "shutdown.drain"),
            ("[reporting]\nmax_connections = 2\n", "reporting"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = load::<Whole>(Some(&file), []).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
        std::fs::write(&file, "[intake]\nmax_connections = \"four\"\n").unwrap();
        assert!(load::<Whole>(Some(&file), []).is_err());
    }

    #[test]
    fn default_database_is_sqlite_in_data_dir() {
        let c = Config::default();
        let mut db = DatabaseConfig::default();
        assert_eq!(db.url(&c, "intake"), "sqlite:./aduan-data/intake.db");
        assert_eq!(db.in_flight_limit(), 32, "SQLite pools hold at most 8");
        db.database_url = "postgres://h/d".into();
        assert_eq!(db.url(&c, "intake"), "postgres://h/d");
        assert_eq!(db.in_flight_limit(), 64);
        db.max_in_flight = 5;
        assert_eq!(db.in_flight_limit(), 5);
    }

    #[test]
    fn relay_windows_keep_redelivery_idempotent() {
        let ok = RelayConfig::default();
        assert!(ok.check_windows().is_ok());
        let never = RelayConfig {
            keep_delivered_days: 0.0,
            keep_seen_days: 0.0,
            ..RelayConfig::default()
        };
        assert!(never.check_windows().is_ok(), "0: keep forever");
        for (delivered, seen) in [(30.0, 30.0), (30.0, 10.0), (0.0, 60.0), (-1.0, 0.0)] {
            let c = RelayConfig {
                keep_delivered_days: delivered,
                keep_seen_days: seen,
                ..RelayConfig::default()
            };
            assert!(c.check_windows().is_err(), "{delivered} / {seen}");
        }
        // Rows kept forever while the ids are forgotten: a late redelivery would apply twice.
        let rows_forever = RelayConfig {
            keep_delivered_days: 0.0,
            ..RelayConfig::default()
        };
        assert!(rows_forever.check_windows().is_err());
    }

    #[test]
    fn endpoints_are_read_by_name() {
        let mut c = Config::default();
        c.endpoints
            .insert("intake".into(), "http://aduan-intake:50051".into());
        c.endpoints.insert("triage".into(), String::new());
        assert_eq!(c.endpoint("intake"), Some("http://aduan-intake:50051"));
        assert_eq!(c.endpoint("triage"), None);
        assert_eq!(c.endpoint("feedback"), None);
    }
}
