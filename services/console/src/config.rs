//! The console's section of the configuration.

use serde::{Deserialize, Serialize};

/// `[console]` in the configuration file, `ADUAN_CONSOLE__*` in the environment (docs/console.md).
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
    /// Public tracking requests the portal allows per client address per minute (intake limits
    /// them again with `intake.track_per_minute`, on the address the console forwards).
    pub track_per_minute: u32,
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
            track_per_minute: 30,
            session_idle_minutes: 30,
            session_max_hours: 10,
            sign_in_failures_per_account: 5,
            sign_in_per_address_minute: 20,
            max_connections: 4,
            oidc: OidcConfig::default(),
        }
    }
}
