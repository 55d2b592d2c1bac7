//! Triage's section of the configuration (its SLA clock is set in the shared `[sla]`).

use aduan_runtime::config::DatabaseConfig;
use serde::{Deserialize, Serialize};

/// `[triage]` in the configuration file, `ADUAN_TRIAGE__*` in the environment: the shared
/// database keys (`database_url`, `max_connections`, `max_in_flight`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TriageConfig {
    /// The service's database and admission limit.
    #[serde(flatten)]
    pub db: DatabaseConfig,
}
