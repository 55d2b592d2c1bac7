//! Intake's section of the configuration.

use aduan_runtime::config::DatabaseConfig;
use serde::{Deserialize, Serialize};

/// `[intake]` in the configuration file, `ADUAN_INTAKE__*` in the environment: the shared
/// database keys (`database_url`, `max_connections`, `max_in_flight`) and intake's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeConfig {
    /// The service's database and admission limit.
    #[serde(flatten)]
    pub db: DatabaseConfig,
    /// Public tracking requests allowed per client address per minute.
    pub track_per_minute: u32,
    /// Comma-separated address ranges of the proxies in front of the service (the ingress, the
    /// console), whose `X-Forwarded-For` names the client for public tracking's rate limit.
    /// Empty: the TCP peer is the client.
    pub trusted_proxies: String,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            db: DatabaseConfig::default(),
            track_per_minute: 30,
            trusted_proxies: String::new(),
        }
    }
}
