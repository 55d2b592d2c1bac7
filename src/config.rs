//! The whole configuration of an `aduan` process: the runtime's shared parts and the section each
//! service crate owns (`[intake]`, `[triage]`, `[investigation]`, `[feedback]`, `[reporting]`,
//! `[console]`). Read in layers by [`aduan_runtime::config::load`]: defaults, then the TOML file,
//! then `ADUAN_*` environment variables; an unknown key anywhere is refused.

use std::ops::{Deref, DerefMut};
use std::path::Path;

use aduan_console::ConsoleConfig;
use aduan_feedback::FeedbackConfig;
use aduan_intake::IntakeConfig;
use aduan_investigation::InvestigationConfig;
use aduan_reporting::ReportingConfig;
use aduan_runtime::config::DatabaseConfig;
use aduan_runtime::{Error, Result};
use aduan_spine::relay::{COMPONENTS, SERVICES};
use aduan_triage::TriageConfig;
use serde::{Deserialize, Serialize};

/// The configuration of an `aduan` process. It reads as the shared part
/// ([`aduan_runtime::config::Config`], through `Deref`) with each service's section beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// What every service shares: listen address, data directory, keys, limits, relay, SLA.
    #[serde(flatten)]
    pub shared: aduan_runtime::config::Config,
    /// The intake service (S1-S3).
    pub intake: IntakeConfig,
    /// The triage service (S4-S7).
    pub triage: TriageConfig,
    /// The investigation service (S8-S12).
    pub investigation: InvestigationConfig,
    /// The feedback service (S13-S14).
    pub feedback: FeedbackConfig,
    /// The reporting service (S15-S16, statistics, documents).
    pub reporting: ReportingConfig,
    /// The web console: the public portal and the staff pages.
    pub console: ConsoleConfig,
}

impl Default for Config {
    fn default() -> Self {
        let mut shared = aduan_runtime::config::Config::default();
        // Every component may be given an endpoint; any other name is an unknown key.
        for c in COMPONENTS {
            shared.endpoints.insert(c.to_string(), String::new());
        }
        Self {
            shared,
            intake: IntakeConfig::default(),
            triage: TriageConfig::default(),
            investigation: InvestigationConfig::default(),
            feedback: FeedbackConfig::default(),
            reporting: ReportingConfig::default(),
            console: ConsoleConfig::default(),
        }
    }
}

impl Deref for Config {
    type Target = aduan_runtime::config::Config;

    fn deref(&self) -> &Self::Target {
        &self.shared
    }
}

impl DerefMut for Config {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.shared
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
        aduan_runtime::config::load(file, env)
    }

    /// The database section of `service`, one of [`SERVICES`].
    pub fn database(&self, service: &str) -> Option<&DatabaseConfig> {
        Some(match service {
            "intake" => &self.intake.db,
            "triage" => &self.triage.db,
            "investigation" => &self.investigation.db,
            "feedback" => &self.feedback.db,
            "reporting" => &self.reporting.db,
            _ => return None,
        })
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
        if aduan_runtime::auth::local_user_keys(&self.auth) {
            local.push("the local signing key (auth.local_signing)");
        }
        if aduan_runtime::auth::generated_service_keys(&self.auth) {
            local.push("generated service keys (auth.service_keys_dir)");
        }
        let services = self.enabled_services()?;
        // A console-only process holds no office key (src/lib.rs).
        if self.crypto.keys_file.is_empty() && !services.is_empty() {
            local.push("a generated master key (crypto.keys_file)");
        }
        let postgres = services
            .iter()
            .filter_map(|s| self.database(s))
            .any(DatabaseConfig::is_postgres);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn each_section_is_read_by_its_owner() {
        let dir = std::env::temp_dir().join(format!("aduan-whole-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("aduan.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:6000\"\n[investigation]\nstorage_dir = \"/srv/evidence\"\nmax_connections = 3\n[console.oidc]\nclient_id = \"aduan-console\"\n[endpoints]\ntriage = \"http://aduan-triage:50051\"\n",
        )
        .unwrap();
        let c = Config::load_from(
            Some(&file),
            env(&[
                ("ADUAN_INTAKE__TRACK_PER_MINUTE", "7"),
                ("ADUAN_FEEDBACK__SILENCE_WORKING_DAYS", "5"),
                ("ADUAN_REPORTING__STATISTICS_CACHE_SECONDS", "0"),
                ("ADUAN_TRIAGE__DATABASE_URL", "postgres://db/triage"),
                ("ADUAN_CONSOLE__TRACK_PER_MINUTE", "9"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:6000");
        assert_eq!(c.intake.track_per_minute, 7);
        assert_eq!(c.investigation.storage_dir, "/srv/evidence");
        assert_eq!(c.investigation.db.max_connections, 3);
        assert_eq!(c.investigation.max_file_bytes, 20 * 1024 * 1024);
        assert_eq!(c.feedback.silence_working_days, 5);
        assert_eq!(c.reporting.statistics_cache_seconds, 0);
        assert_eq!(c.console.track_per_minute, 9);
        assert_eq!(c.console.oidc.client_id, "aduan-console");
        assert_eq!(c.console.oidc.scopes, "profile");
        assert!(c.database("triage").unwrap().is_postgres());
        assert!(!c.database("intake").unwrap().is_postgres());
        assert_eq!(c.endpoint("triage"), Some("http://aduan-triage:50051"));
        assert_eq!(c.endpoint("intake"), None);
        // What `aduan config` prints reads back the same.
        let text = toml::to_string(&c).unwrap();
        std::fs::write(&file, &text).unwrap();
        let again = Config::load_from(Some(&file), []).unwrap();
        assert_eq!(toml::to_string(&again).unwrap(), text);
    }

    #[test]
    fn keys_of_another_section_or_component_are_refused() {
        for key in [
            // Intake's keys belong to intake only.
            "ADUAN_TRIAGE__TRACK_PER_MINUTE",
            "ADUAN_REPORTING__STORAGE_DIR",
            "ADUAN_ENDPOINTS__BILLING",
            "ADUAN_BILLING__DATABASE_URL",
        ] {
            let err = Config::load_from(None, env(&[(key, "1")])).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn services_and_endpoints() {
        let c = Config::default();
        assert_eq!(c.enabled_services().unwrap(), SERVICES.to_vec());
        let c = Config::load_from(
            None,
            env(&[
                ("ADUAN_SERVICES", "triage, triage"),
                ("ADUAN_ENDPOINTS__INTAKE", "http://aduan-intake:50051"),
            ]),
        )
        .unwrap();
        assert_eq!(c.enabled_services().unwrap(), vec!["triage"]);
        assert_eq!(c.endpoint("intake"), Some("http://aduan-intake:50051"));
        assert_eq!(c.endpoint("triage"), None);
        let err = Config::load_from(None, env(&[("ADUAN_SERVICES", "intake,billing")]))
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
        pg.triage.db.database_url = "postgres://db/triage".into();
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
