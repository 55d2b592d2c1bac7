//! Feedback's section of the configuration.

use aduan_runtime::config::DatabaseConfig;
use serde::{Deserialize, Serialize};

/// `[feedback]` in the configuration file, `ADUAN_FEEDBACK__*` in the environment: the shared
/// database keys (`database_url`, `max_connections`, `max_in_flight`) and feedback's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedbackConfig {
    /// The service's database and admission limit.
    #[serde(flatten)]
    pub db: DatabaseConfig,
    /// Working days without a reply after delivery of the response before the case is closed
    /// (S14).
    pub silence_working_days: u32,
    /// How often the closing sweep (a singleton loop) runs, in seconds.
    pub sweep_seconds: f64,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            db: DatabaseConfig::default(),
            silence_working_days: 10,
            sweep_seconds: 60.0,
        }
    }
}
