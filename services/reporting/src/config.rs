//! Reporting's section of the configuration.

use aduan_runtime::config::DatabaseConfig;
use serde::{Deserialize, Serialize};

/// `[reporting]` in the configuration file, `ADUAN_REPORTING__*` in the environment: the shared
/// database keys (`database_url`, `max_connections`, `max_in_flight`) and reporting's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportingConfig {
    /// The service's database and admission limit.
    #[serde(flatten)]
    pub db: DatabaseConfig,
    /// How often the scheduler of the monthly reports (a singleton loop) runs, in seconds.
    pub sweep_seconds: f64,
    /// Province-wide statistics are computed at most once in this many seconds per period and
    /// kind of reader; readers in between get that result. 0: every time.
    pub statistics_cache_seconds: u64,
}

impl Default for ReportingConfig {
    fn default() -> Self {
        Self {
            db: DatabaseConfig::default(),
            sweep_seconds: 60.0,
            statistics_cache_seconds: 60,
        }
    }
}
