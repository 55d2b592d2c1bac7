//! Investigation's section of the configuration.

use aduan_runtime::config::DatabaseConfig;
use serde::{Deserialize, Serialize};

/// `[investigation]` in the configuration file, `ADUAN_INVESTIGATION__*` in the environment: the shared
/// database keys (`database_url`, `max_connections`, `max_in_flight`) and investigation's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct InvestigationConfig {
    /// The service's database and admission limit.
    #[serde(flatten)]
    pub db: DatabaseConfig,
    /// Directory of stored evidence files; empty: `<data_dir>/evidence`.
    pub storage_dir: String,
    /// Largest evidence file accepted, in bytes.
    pub max_file_bytes: u64,
}

impl Default for InvestigationConfig {
    fn default() -> Self {
        Self {
            db: DatabaseConfig::default(),
            storage_dir: String::new(),
            max_file_bytes: 20 * 1024 * 1024,
        }
    }
}
