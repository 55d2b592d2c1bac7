//! Authentication (bearer JWTs: issuer, audience, expiry, not-before, a maximum lifetime; keys from
//! a JWKS URL, a key file, or a local signing key) and authorization (one table per service
//! stating, per RPC, which roles of which office may call it).
//!
//! Two kinds of keys are trusted, and kept apart (docs/security.md):
//! - user keys (the OIDC provider's JWKS, a key file, or the embedded default's local key) sign
//!   people's tokens, and never the role `service`;
//! - service keys, one per component (`<service keys dir>/<service>.pem`, kid
//!   `aduan-service-<service>`), sign only tokens with the single role `service` and the subject
//!   `service:<service>`. A receiver of events checks that subject against the stated source.
//!
//! Verifying an ES256 signature costs about 0.3 ms of CPU, so each token is verified once and its
//! claims are cached (keyed by the token's SHA-256) until the token expires.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonic::{Code, Status};

use crate::config::AuthConfig;
use crate::error::{Error, Result};

/// The roles of the system (DESIGN "Offices, people and access").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Unit pengaduan: registers and screens complaints (S1-S5).
    ComplaintsOfficer,
    /// Kepala Dinas: disposes complaints (S6-S7).
    Head,
    /// Head of a Bidang (Kepala Bidang): assigns officers, decides eligibility, approves the
    /// response (S8-S12), for the Bidang of the token's `bidang` claim.
    BidangHead,
    /// Bidang officer handling cases (S8-S12).
    BidangOfficer,
    /// Counsellor (konselor, psikolog), for example in PUSPAGA.
    Counsellor,
    /// Mediator.
    Mediator,
    /// Social worker (pekerja sosial).
    SocialWorker,
    /// Reporting officer (S15-S16).
    ReportingOfficer,
    /// Provincial analyst: aggregates only, never personal data.
    ProvincialAnalyst,
    /// Operator: runs the system; no personal data.
    Operator,
    /// Relay administrator of its office: sees the event relays' dead letters of its office's
    /// complaints and replays them (issue 12).
    RelayAdmin,
    /// Partner agency API client (scoped).
    PartnerAgency,
    /// Another aduan service.
    Service,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 13] = [
        Role::ComplaintsOfficer,
        Role::Head,
        Role::BidangHead,
        Role::BidangOfficer,
        Role::Counsellor,
        Role::Mediator,
        Role::SocialWorker,
        Role::ReportingOfficer,
        Role::ProvincialAnalyst,
        Role::Operator,
        Role::RelayAdmin,
        Role::PartnerAgency,
        Role::Service,
    ];

    /// The name used in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ComplaintsOfficer => "complaints_officer",
            Role::Head => "head",
            Role::BidangHead => "bidang_head",
            Role::BidangOfficer => "bidang_officer",
            Role::Counsellor => "counsellor",
            Role::Mediator => "mediator",
            Role::SocialWorker => "social_worker",
            Role::ReportingOfficer => "reporting_officer",
            Role::ProvincialAnalyst => "provincial_analyst",
            Role::Operator => "operator",
            Role::RelayAdmin => "relay_admin",
            Role::PartnerAgency => "partner_agency",
            Role::Service => "service",
        }
    }

    /// True for the roles of a Bidang (Kepala Bidang and its officers), who see only their own
    /// Bidang's cases.
    pub fn is_bidang(self) -> bool {
        matches!(
            self,
            Role::BidangHead
                | Role::BidangOfficer
                | Role::Counsellor
                | Role::Mediator
                | Role::SocialWorker
        )
    }

    /// Parses a token's role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which offices a grant covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only records of the caller's own office (the `office` claim).
    Office,
    /// Records of every office of the province (the `office` claim is the province or an office in it).
    Province,
}

/// One role allowed on an RPC, with its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Its scope.
    pub scope: Scope,
}

/// Shorthand for a grant.
pub const fn grant(role: Role, scope: Scope) -> Grant {
    Grant { role, scope }
}

/// Who may call one RPC.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, without a token (public tracking).
    Public,
    /// Callers holding one of these grants.
    Roles(&'static [Grant]),
}

/// The authorization table of a service: full method path (`/pkg.Service/Method`) to access rule.
pub type AuthzTable = &'static [(&'static str, Access)];

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token subject.
    pub subject: String,
    /// The office code (for province-wide roles, the province code, e.g. "35").
    pub office: String,
    /// The caller's roles.
    pub roles: Vec<Role>,
    /// The caller's Bidang, if any.
    pub bidang: Option<String>,
    /// Expiry, seconds since the epoch.
    pub expires_at: u64,
}

/// What the auth layer hands a handler: the caller and the grants of the caller that allow the RPC.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller.
    pub principal: Arc<Principal>,
    /// The caller's grants on this RPC.
    pub grants: Vec<Grant>,
}

impl Caller {
    /// The first role of the caller that is granted this RPC (for the record's "who").
    pub fn acting_role(&self) -> Role {
        self.grants.first().map(|g| g.role).unwrap_or(Role::Service)
    }

    /// True when the caller acts with this role on this RPC.
    pub fn acts_as(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// True when the caller acts on this RPC only through Bidang roles (no office-wide role such
    /// as head or complaints_officer): it sees the cases of its token's Bidang only.
    pub fn bidang_scoped(&self) -> bool {
        !self.grants.is_empty() && self.grants.iter().all(|g| g.role.is_bidang())
    }

    /// NOT_FOUND unless the record is of an office the caller covers and, for a Bidang-scoped
    /// caller, of the caller's Bidang (`unit`); a Bidang-scoped token without a Bidang sees none.
    pub fn require_unit_or_not_found(
        &self,
        office: &str,
        unit: &str,
        what: &'static str,
    ) -> Result<()> {
        self.require_office_or_not_found(office, what)?;
        if self.bidang_scoped() && self.principal.bidang.as_deref() != Some(unit) {
            return Err(Error::NotFound(what));
        }
        Ok(())
    }

    /// True when some grant of the caller covers a record of `office`.
    pub fn covers_office(&self, office: &str) -> bool {
        self.grants.iter().any(|g| match g.scope {
            Scope::Office => self.principal.office == office,
            Scope::Province => {
                let prov = self.principal.office.split('.').next().unwrap_or("");
                office.split('.').next() == Some(prov)
            }
        })
    }

    /// NOT_FOUND unless the caller's grants cover `office`: a record of another office must not
    /// even be known to exist.
    pub fn require_office_or_not_found(&self, office: &str, what: &'static str) -> Result<()> {
        if self.covers_office(office) {
            Ok(())
        } else {
            Err(Error::NotFound(what))
        }
    }

    /// PERMISSION_DENIED unless the caller's grants cover `office` (for writes naming an office).
    pub fn require_office(&self, office: &str) -> Result<()> {
        if self.covers_office(office) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "the caller may not act for office {}",
                crate::error::clip(office, 20)
            )))
        }
    }

    /// The caller from a request's extensions (put there by [`AuthLayer`]).
    pub fn from_request<T>(req: &tonic::Request<T>) -> Result<Caller> {
        req.extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("no credentials".into()))
    }
}

/// The claims of an aduan token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience. Providers such as Keycloak send a list when a token has several audiences;
    /// the verifier checks that the configured one is among them, and keeps them here joined by
    /// spaces.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: String,
    /// Subject.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at.
    #[serde(default)]
    pub iat: u64,
    /// Office code, or the province code for province-wide roles.
    pub office: String,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Bidang code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bidang: Option<String>,
    /// Not before (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// A string, or a list of strings joined by spaces (the `aud` claim).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s,
        OneOrMany::Many(v) => v.join(" "),
    })
}

#[derive(Clone)]
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
    /// For a service key, the one component whose tokens it signs.
    service: Option<String>,
}

/// The key id prefix of the components' service keys: `aduan-service-<service>`.
pub const SERVICE_KID_PREFIX: &str = "aduan-service-";

/// The key id of a component's service key.
pub fn service_kid(service: &str) -> String {
    format!("{SERVICE_KID_PREFIX}{service}")
}

/// The directory of the service keys: `auth.service_keys_dir`, or `<data_dir>/service-keys`.
pub fn service_keys_dir(cfg: &AuthConfig, data_dir: &Path) -> std::path::PathBuf {
    if cfg.service_keys_dir.is_empty() {
        data_dir.join("service-keys")
    } else {
        std::path::PathBuf::from(&cfg.service_keys_dir)
    }
}

/// True when the service keys are the embedded default's: generated in the data directory on
/// first start, one per component, all of them trusted by every process sharing the directory.
pub fn generated_service_keys(cfg: &AuthConfig) -> bool {
    cfg.service_keys_dir.is_empty() && cfg.service_jwks_file.is_empty()
}

/// True when people's tokens are signed by the local key in the data directory.
pub fn local_user_keys(cfg: &AuthConfig) -> bool {
    cfg.local_signing && cfg.jwks_url.is_empty() && cfg.key_file.is_empty()
}

/// Verifies tokens and caches their claims.
pub struct Verifier {
    issuer: String,
    audience: String,
    leeway: u64,
    /// Longest accepted lifetime of a token (`exp` minus `nbf` or `iat`), in seconds.
    max_lifetime: u64,
    /// People's keys (replaced when the JWKS changes).
    keys: RwLock<Arc<Vec<Key>>>,
    /// SHA-256 of the JWKS document the people's keys came from: a change flushes the cache.
    fingerprint: RwLock<[u8; 32]>,
    /// The components' service keys.
    service_keys: Vec<Key>,
    cache: RwLock<HashMap<[u8; 32], Arc<Principal>>>,
    /// Tokens that failed verification, with when to forget them: a client retrying a bad token
    /// costs a hash look-up, not a signature check.
    rejected: RwLock<HashMap<[u8; 32], (u64, &'static str)>>,
    capacity: usize,
    jwks_url: Option<String>,
    refresh: tokio::sync::Notify,
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn keys_from_jwks(text: &str) -> Result<Vec<Key>> {
    let set: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(text).map_err(|e| Error::invalid("auth.jwks", e.to_string()))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        let alg = match jwk.common.key_algorithm {
            Some(a) => match Algorithm::from_str_opt(&a.to_string()) {
                Some(alg) => alg,
                None => continue,
            },
            None => match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                _ => continue,
            },
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
            service: None,
        });
    }
    if keys.is_empty() {
        return Err(Error::invalid("auth.jwks", "no usable key"));
    }
    Ok(keys)
}

/// The service keys of a JWKS document (`auth.service_jwks_file`): every key's id must be
/// `aduan-service-<component>` with one of `components`, and it signs that component's tokens
/// only.
fn service_keys_from_jwks(text: &str, components: &[&str]) -> Result<Vec<Key>> {
    let mut keys = keys_from_jwks(text)
        .map_err(|_| Error::invalid("auth.service_jwks_file", "no usable key"))?;
    for k in &mut keys {
        let name = k
            .kid
            .as_deref()
            .and_then(|kid| kid.strip_prefix(SERVICE_KID_PREFIX))
            .filter(|n| components.contains(n));
        let Some(name) = name else {
            return Err(Error::invalid(
                "auth.service_jwks_file",
                format!(
                    "every key id must be {SERVICE_KID_PREFIX}<service> of a known service, not {:?}",
                    k.kid.as_deref().unwrap_or("")
                ),
            ));
        };
        if k.alg != Algorithm::ES256 {
            return Err(Error::invalid(
                "auth.service_jwks_file",
                "service keys are ES256 (P-256)",
            ));
        }
        k.service = Some(name.to_string());
    }
    Ok(keys)
}

/// The service keys this process trusts: from `auth.service_jwks_file`, else the public halves
/// of the private keys in the service keys directory (created there, one per component, in the
/// embedded default).
fn trusted_service_keys(
    cfg: &AuthConfig,
    data_dir: &Path,
    components: &[&str],
) -> Result<Vec<Key>> {
    if !cfg.service_jwks_file.is_empty() {
        let text = std::fs::read_to_string(&cfg.service_jwks_file).map_err(|e| {
            Error::invalid(
                "auth.service_jwks_file",
                format!("cannot read {}: {e}", cfg.service_jwks_file),
            )
        })?;
        return service_keys_from_jwks(&text, components);
    }
    let dir = service_keys_dir(cfg, data_dir);
    let mut keys = Vec::new();
    for name in components {
        let path = dir.join(format!("{name}.pem"));
        let signer = if generated_service_keys(cfg) {
            LocalSigner::load_or_create_at(&path, service_kid(name))?
        } else if path.exists() {
            LocalSigner::from_file(&path, service_kid(name))?
        } else {
            continue;
        };
        keys.push(Key {
            kid: Some(signer.kid.clone()),
            alg: Algorithm::ES256,
            key: signer.decoding.clone(),
            service: Some(name.to_string()),
        });
    }
    Ok(keys)
}

/// Refuses a JWKS URL over plain http, except on the loopback interface (a provider on the same
/// machine, and tests).
fn check_jwks_url(url: &str) -> Result<()> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::invalid("auth.jwks_url", "not a URL"))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => {
            let host = uri.host().unwrap_or("");
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .map(|ip| ip.is_loopback())
                    .unwrap_or(false);
            if loopback {
                Ok(())
            } else {
                Err(Error::invalid(
                    "auth.jwks_url",
                    "the JWKS is fetched over https only (http only on the loopback interface)",
                ))
            }
        }
        _ => Err(Error::invalid("auth.jwks_url", "an https URL is required")),
    }
}

trait AlgExt {
    fn from_str_opt(s: &str) -> Option<Algorithm>;
}

impl AlgExt for Algorithm {
    fn from_str_opt(s: &str) -> Option<Algorithm> {
        s.parse().ok()
    }
}

fn keys_from_pem(pem: &[u8]) -> Result<Vec<Key>> {
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok(vec![Key {
            kid: None,
            alg: Algorithm::ES256,
            key,
            service: None,
        }]);
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(vec![Key {
            kid: None,
            alg: Algorithm::RS256,
            key,
            service: None,
        }]);
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok(vec![Key {
            kid: None,
            alg: Algorithm::EdDSA,
            key,
            service: None,
        }]);
    }
    Err(Error::invalid(
        "auth.key_file",
        "not a PEM public key (EC P-256, RSA or Ed25519)",
    ))
}

impl Verifier {
    /// A verifier from the configuration. With `local_signing` and no other key source, the local
    /// key in `data_dir` is created if needed and trusted. The service keys come from
    /// `auth.service_jwks_file` or the service keys directory, for the `components` the binary
    /// knows (the event spine's roster).
    pub async fn from_config(
        cfg: &AuthConfig,
        data_dir: &Path,
        components: &[&str],
    ) -> Result<Arc<Self>> {
        let mut fingerprint = [0u8; 32];
        let (keys, jwks_url) = if !cfg.jwks_url.is_empty() {
            check_jwks_url(&cfg.jwks_url)?;
            let text = fetch_url(&cfg.jwks_url).await?;
            fingerprint = Sha256::digest(text.as_bytes()).into();
            (keys_from_jwks(&text)?, Some(cfg.jwks_url.clone()))
        } else if !cfg.key_file.is_empty() {
            let bytes = std::fs::read(&cfg.key_file).map_err(|e| {
                Error::invalid(
                    "auth.key_file",
                    format!("cannot read {}: {e}", cfg.key_file),
                )
            })?;
            let keys = if bytes.trim_ascii_start().starts_with(b"{") {
                keys_from_jwks(&String::from_utf8_lossy(&bytes))?
            } else {
                keys_from_pem(&bytes)?
            };
            (keys, None)
        } else if cfg.local_signing {
            let signer = LocalSigner::load_or_create(data_dir)?;
            (
                vec![Key {
                    kid: Some(LocalSigner::KID.into()),
                    alg: Algorithm::ES256,
                    key: signer.decoding.clone(),
                    service: None,
                }],
                None,
            )
        } else {
            return Err(Error::invalid(
                "auth",
                "set auth.jwks_url, auth.key_file or auth.local_signing",
            ));
        };
        let service_keys = trusted_service_keys(cfg, data_dir, components)?;
        let v = Arc::new(Self {
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            leeway: cfg.leeway_seconds,
            max_lifetime: cfg.max_token_hours.max(1) * 3600,
            keys: RwLock::new(Arc::new(keys)),
            fingerprint: RwLock::new(fingerprint),
            service_keys,
            cache: RwLock::new(HashMap::new()),
            rejected: RwLock::new(HashMap::new()),
            capacity: cfg.cache_capacity.max(1),
            jwks_url,
            refresh: tokio::sync::Notify::new(),
        });
        if v.jwks_url.is_some() {
            let weak = Arc::downgrade(&v);
            let period = Duration::from_secs(cfg.jwks_refresh_seconds.max(10));
            tokio::spawn(async move {
                loop {
                    let Some(v) = weak.upgrade() else { return };
                    let url = v.jwks_url.clone().unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(period) => {}
                        _ = v.refresh.notified() => {}
                    }
                    drop(v);
                    let Some(v) = weak.upgrade() else { return };
                    match fetch_url(&url).await {
                        Ok(text) => {
                            if let Err(e) = v.replace_jwks(&text) {
                                tracing::warn!(error = %e, "JWKS refresh: no usable key; keeping the old keys");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "JWKS refresh failed"),
                    }
                    // At most one refresh per 10 s even when unknown key ids keep arriving.
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            });
        }
        Ok(v)
    }

    /// Takes the people's keys from a (re)fetched JWKS document. When the document changed, every
    /// cached verification is forgotten: a key removed from the set stops working at once.
    /// Returns whether the keys changed.
    pub fn replace_jwks(&self, text: &str) -> Result<bool> {
        let fp: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if self.fingerprint.read().map(|f| *f == fp).unwrap_or(false) {
            return Ok(false);
        }
        let keys = keys_from_jwks(text)?;
        if let Ok(mut k) = self.keys.write() {
            *k = Arc::new(keys);
        }
        if let Ok(mut f) = self.fingerprint.write() {
            *f = fp;
        }
        if let Ok(mut c) = self.cache.write() {
            c.clear();
        }
        if let Ok(mut r) = self.rejected.write() {
            r.clear();
        }
        tracing::info!("JWKS changed: new keys in use, cached tokens forgotten");
        Ok(true)
    }

    /// A verifier trusting the given keys (tests and the local default).
    pub fn with_decoding_key(
        issuer: &str,
        audience: &str,
        key: DecodingKey,
        alg: Algorithm,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: 30,
            max_lifetime: 12 * 3600,
            keys: RwLock::new(Arc::new(vec![Key {
                kid: None,
                alg,
                key,
                service: None,
            }])),
            fingerprint: RwLock::new([0u8; 32]),
            service_keys: Vec::new(),
            cache: RwLock::new(HashMap::new()),
            rejected: RwLock::new(HashMap::new()),
            capacity: 100_000,
            jwks_url: None,
            refresh: tokio::sync::Notify::new(),
        }
    }

    /// Verifies a token (signature, issuer, audience, expiry) and returns the caller, from the
    /// cache when the same token was verified before.
    pub fn verify(&self, token: &str) -> Result<Arc<Principal>> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let t = now();
        if let Some(p) = self.cache.read().ok().and_then(|c| c.get(&digest).cloned()) {
            if p.expires_at + self.leeway > t {
                return Ok(p);
            }
            return Err(Error::Unauthenticated("token expired".into()));
        }
        if let Some((until, why)) = self
            .rejected
            .read()
            .ok()
            .and_then(|r| r.get(&digest).copied())
            && until > t
        {
            return Err(Error::Unauthenticated(why.into()));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Unauthenticated("malformed token".into()))?;
        let keys = self
            .keys
            .read()
            .map(|k| k.clone())
            .map_err(|_| Error::Internal("key lock".into()))?;
        let candidates: Vec<&Key> = keys
            .iter()
            .chain(self.service_keys.iter())
            .filter(|k| k.alg == header.alg)
            .filter(|k| match (&header.kid, &k.kid) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .collect();
        if candidates.is_empty() {
            self.refresh.notify_one();
            return Err(Error::Unauthenticated("unknown signing key".into()));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let mut last: &'static str = "invalid token";
        for k in candidates {
            match jsonwebtoken::decode::<Claims>(token, &k.key, &validation) {
                Ok(data) => {
                    let c = data.claims;
                    if let Err(why) = self.check_claims(&c, k, t) {
                        self.reject(digest, why, t);
                        return Err(Error::Unauthenticated(why.into()));
                    }
                    let principal = Arc::new(Principal {
                        subject: c.sub,
                        office: c.office,
                        roles: c.roles.iter().filter_map(|r| Role::parse(r)).collect(),
                        bidang: c.bidang.filter(|b| !b.is_empty()),
                        expires_at: c.exp,
                    });
                    self.remember(digest, principal.clone(), t);
                    return Ok(principal);
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind as K;
                    last = match e.kind() {
                        K::ExpiredSignature => "token expired",
                        K::InvalidIssuer => "wrong issuer",
                        K::InvalidAudience => "wrong audience",
                        K::ImmatureSignature => "token not yet valid",
                        K::InvalidSignature => "bad signature",
                        K::MissingRequiredClaim(_) => "missing claim",
                        _ => "invalid token",
                    };
                }
            }
        }
        // Not-yet-valid tokens may become valid: remember only final refusals, for a minute.
        if last != "token not yet valid" {
            self.reject(digest, last, t);
        }
        Err(Error::Unauthenticated(last.into()))
    }

    /// The checks after the signature: an office, a bounded lifetime, and the separation of
    /// people's keys from service keys.
    fn check_claims(&self, c: &Claims, key: &Key, t: u64) -> std::result::Result<(), &'static str> {
        if c.office.is_empty() {
            return Err("token has no office");
        }
        let start = c
            .nbf
            .filter(|n| *n > 0)
            .or((c.iat > 0).then_some(c.iat))
            .unwrap_or(t);
        if c.exp.saturating_sub(start) > self.max_lifetime + self.leeway {
            return Err("token lifetime exceeds the maximum");
        }
        let claims_service = c.roles.iter().any(|r| r == Role::Service.as_str());
        match &key.service {
            Some(name) => {
                if c.roles.len() != 1 || !claims_service {
                    return Err("a service key signs only the role service");
                }
                if c.sub.strip_prefix("service:") != Some(name.as_str()) {
                    return Err("a service key signs only its own service's tokens");
                }
            }
            None if claims_service => {
                return Err("the role service comes only from a service key");
            }
            None => {}
        }
        Ok(())
    }

    fn reject(&self, digest: [u8; 32], why: &'static str, t: u64) {
        if let Ok(mut r) = self.rejected.write() {
            if r.len() >= self.capacity {
                r.retain(|_, (until, _)| *until > t);
                if r.len() >= self.capacity {
                    r.clear();
                }
            }
            r.insert(digest, (t + 60, why));
        }
    }

    fn remember(&self, digest: [u8; 32], p: Arc<Principal>, t: u64) {
        if let Ok(mut c) = self.cache.write() {
            if c.len() >= self.capacity {
                c.retain(|_, v| v.expires_at > t);
                if c.len() >= self.capacity {
                    c.clear();
                }
            }
            c.insert(digest, p);
        }
    }

    /// Number of cached tokens (for tests and metrics).
    pub fn cached(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }
}

/// GET a small document over http or https (JWKS).
async fn fetch_url(url: &str) -> Result<String> {
    use http_body_util::{BodyExt, Empty};
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::invalid("auth.jwks_url", "not a URL"))?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<bytes::Bytes>>(https);
    let fut = client.get(uri);
    let resp = tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .map_err(|_| Error::Unavailable("JWKS fetch timed out".into()))?
        .map_err(|e| Error::Unavailable(format!("JWKS fetch failed: {e}")))?;
    if !resp.status().is_success() {
        return Err(Error::Unavailable(format!(
            "JWKS fetch: HTTP {}",
            resp.status()
        )));
    }
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| Error::Unavailable(format!("JWKS body: {e}")))?
        .to_bytes();
    String::from_utf8(body.to_vec()).map_err(|_| Error::Unavailable("JWKS is not UTF-8".into()))
}

/// An ES256 signing key: the embedded default's user key (generated on first start in the data
/// directory) or a component's service key (`<service keys dir>/<service>.pem`).
pub struct LocalSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
}

fn new_p256_pem() -> String {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    loop {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        if let Ok(sk) = p256::SecretKey::from_slice(&bytes)
            && let Ok(pem) = sk.to_pkcs8_pem(LineEnding::LF)
        {
            return pem.to_string();
        }
    }
}

impl LocalSigner {
    /// Key id of the local key.
    pub const KID: &'static str = "aduan-local-1";

    /// A key from a PEM file (PKCS#8 or SEC1 EC P-256 private key).
    pub fn from_file(path: &Path, kid: String) -> Result<Self> {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(
                "auth.service_keys_dir",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::from_pem(&pem, kid).map_err(|_| {
            Error::invalid(
                "auth.service_keys_dir",
                format!("{} is not a P-256 private key", path.display()),
            )
        })
    }

    fn from_pem(pem: &str, kid: String) -> Result<Self> {
        use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
        let sk = p256::SecretKey::from_pkcs8_pem(pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
            .map_err(|_| Error::Internal("not a P-256 key".into()))?;
        let pkcs8 = sk
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| Error::Internal("key encoding".into()))?;
        let public = sk
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| Error::Internal("public key encoding".into()))?;
        Ok(Self {
            encoding: EncodingKey::from_ec_pem(pkcs8.as_bytes())
                .map_err(|e| Error::Internal(format!("signing key: {e}")))?,
            decoding: DecodingKey::from_ec_pem(public.as_bytes())
                .map_err(|e| Error::Internal(format!("public key: {e}")))?,
            kid,
        })
    }

    /// Loads `data_dir/signing-key.pem` (the key of people's tokens in the embedded default),
    /// creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        Self::load_or_create_at(&data_dir.join("signing-key.pem"), Self::KID.to_string())
    }

    /// Loads the P-256 key in `path`, creating it (mode 0600) if it does not exist.
    pub fn load_or_create_at(path: &Path, kid: String) -> Result<Self> {
        let pem = crate::fsutil::read_or_create_secret(path, new_p256_pem)?;
        Self::from_pem(&pem, kid)
            .map_err(|_| Error::Internal(format!("{} is not a P-256 key", path.display())))
    }

    /// The service key of component `service`: `<service keys dir>/<service>.pem`, created there
    /// in the embedded default, required to exist otherwise.
    pub fn service(cfg: &AuthConfig, data_dir: &Path, service: &str) -> Result<Self> {
        let path = service_keys_dir(cfg, data_dir).join(format!("{service}.pem"));
        if generated_service_keys(cfg) {
            Self::load_or_create_at(&path, service_kid(service))
        } else {
            Self::from_file(&path, service_kid(service))
        }
    }

    /// Signs a token with these claims.
    pub fn mint(&self, claims: &Claims) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing: {e}")))
    }

    /// The verifying key.
    pub fn decoding_key(&self) -> DecodingKey {
        self.decoding.clone()
    }

    /// The public half as a JWK (for the JWKS that every component trusts).
    pub fn public_jwk(&self, pem: &str) -> Result<serde_json::Value> {
        public_jwk(pem, &self.kid)
    }
}

/// The public JWK (EC P-256, ES256) of a PEM private key, with key id `kid`.
pub fn public_jwk(pem: &str, kid: &str) -> Result<serde_json::Value> {
    use base64::Engine;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::DecodePrivateKey;
    let sk = p256::SecretKey::from_pkcs8_pem(pem)
        .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
        .map_err(|_| Error::invalid("key", "not a P-256 private key"))?;
    let point = sk.public_key().to_encoded_point(false);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(Error::Internal("key encoding".into()));
    };
    Ok(serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": b64(x), "y": b64(y),
    }))
}

/// Creates a service key for every one of `components` in `dir` (`<component>.pem`, mode 0600;
/// existing keys are kept) and returns the JWKS of their public halves: the operator's `aduan
/// service-keys`, whose output becomes one Secret per component and the shared JWKS ConfigMap.
pub fn create_service_keys(dir: &Path, components: &[&str]) -> Result<String> {
    let mut keys = Vec::new();
    for name in components {
        let path = dir.join(format!("{name}.pem"));
        let pem = crate::fsutil::read_or_create_secret(&path, new_p256_pem)?;
        keys.push(public_jwk(&pem, &service_kid(name))?);
    }
    serde_json::to_string_pretty(&serde_json::json!({ "keys": keys }))
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Tokens a service presents when it calls another service (the event relay): role `service`
/// only, subject `service:<service>`, province scope, signed with the component's own service
/// key, reused until shortly before they expire.
pub struct ServiceTokens {
    signer: LocalSigner,
    issuer: String,
    audience: String,
    subject: String,
    province: String,
    current: std::sync::Mutex<Option<(String, u64)>>,
}

impl ServiceTokens {
    /// Lifetime of a minted token.
    const TTL: u64 = 3600;

    /// The token source of service `service` in this configuration: its service key
    /// (`<service keys dir>/<service>.pem`). Never the key of people's tokens.
    pub fn from_config(
        cfg: &AuthConfig,
        data_dir: &Path,
        province: &str,
        service: &str,
    ) -> Result<Self> {
        let signer = LocalSigner::service(cfg, data_dir, service)?;
        Ok(Self {
            signer,
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            subject: format!("service:{service}"),
            province: province.to_string(),
            current: std::sync::Mutex::new(None),
        })
    }

    /// A valid token, minted when the previous one is within five minutes of expiry.
    pub fn token(&self) -> Result<String> {
        let t = now();
        let mut cur = self
            .current
            .lock()
            .map_err(|_| Error::Internal("token lock".into()))?;
        if let Some((tok, exp)) = cur.as_ref()
            && *exp > t + 300
        {
            return Ok(tok.clone());
        }
        let exp = t + Self::TTL;
        let tok = self.signer.mint(&Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: self.subject.clone(),
            exp,
            iat: t,
            office: self.province.clone(),
            roles: vec![Role::Service.as_str().to_string()],
            bidang: None,
            nbf: None,
        })?;
        *cur = Some((tok.clone(), exp));
        Ok(tok)
    }
}

/// Mints a person's token with the local key: the `aduan token` command. Refused when people's
/// tokens come from an OIDC provider or a key file, for the role `service` (service keys only),
/// and beyond `auth.max_token_hours`.
#[allow(clippy::too_many_arguments)]
pub fn mint_local(
    cfg: &AuthConfig,
    data_dir: &Path,
    subject: &str,
    office: &str,
    roles: &[Role],
    bidang: Option<&str>,
    ttl: Duration,
) -> Result<String> {
    if !local_user_keys(cfg) {
        return Err(Error::invalid(
            "auth.local_signing",
            "tokens come from the OIDC provider or key file of this configuration, not the local key",
        ));
    }
    if roles.contains(&Role::Service) {
        return Err(Error::invalid(
            "role",
            "the role service is signed only by a component's service key",
        ));
    }
    let max = cfg.max_token_hours.max(1) * 3600;
    if ttl.as_secs() == 0 || ttl.as_secs() > max {
        return Err(Error::invalid(
            "hours",
            format!(
                "a token lives at most auth.max_token_hours ({} h)",
                cfg.max_token_hours.max(1)
            ),
        ));
    }
    let signer = LocalSigner::load_or_create(data_dir)?;
    let t = now();
    signer.mint(&Claims {
        iss: cfg.issuer.clone(),
        aud: cfg.audience.clone(),
        sub: subject.into(),
        exp: t + ttl.as_secs(),
        iat: t,
        office: office.into(),
        roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
        bidang: bidang.map(str::to_string),
        nbf: None,
    })
}

/// Paths that need no token: health checking and server reflection.
fn is_infrastructure(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// Decides a request: `Ok(None)` for public paths, `Ok(Some(caller))`, or the error status.
pub fn authorize(
    verifier: &Verifier,
    table: &HashMap<&'static str, Access>,
    path: &str,
    authorization: Option<&str>,
) -> Result<Option<Caller>> {
    if is_infrastructure(path) {
        return Ok(None);
    }
    let Some(access) = table.get(path) else {
        return Err(Error::PermissionDenied(
            "no authorization rule for this method".into(),
        ));
    };
    let grants = match access {
        Access::Public => return Ok(None),
        Access::Roles(g) => g,
    };
    let token = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Unauthenticated("a bearer token is required".into()))?;
    let principal = verifier.verify(token)?;
    let held: Vec<Grant> = grants
        .iter()
        .copied()
        .filter(|g| principal.roles.contains(&g.role))
        .collect();
    if held.is_empty() {
        return Err(Error::PermissionDenied(
            "the caller's roles may not call this method".into(),
        ));
    }
    Ok(Some(Caller {
        principal,
        grants: held,
    }))
}

/// Tower layer that authenticates and authorizes every gRPC request against the tables of the
/// services in the process, and hands the [`Caller`] to the handler through the extensions.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Arc<Verifier>,
    table: Arc<HashMap<&'static str, Access>>,
}

impl AuthLayer {
    /// A layer over the union of `tables`.
    pub fn new(verifier: Arc<Verifier>, tables: &[AuthzTable]) -> Self {
        let mut table = HashMap::new();
        for t in tables {
            for (path, access) in t.iter() {
                table.insert(*path, *access);
            }
        }
        Self {
            verifier,
            table: Arc::new(table),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures_util::future::Either<
        S::Future,
        std::future::Ready<std::result::Result<S::Response, S::Error>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let auth = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match authorize(
            &self.layer.verifier,
            &self.layer.table,
            req.uri().path(),
            auth,
        ) {
            Ok(caller) => {
                if let Some(c) = caller {
                    req.extensions_mut().insert(c);
                }
                futures_util::future::Either::Left(self.inner.call(req))
            }
            Err(e) => {
                let status: Status = e.into();
                debug_assert!(status.code() != Code::Ok);
                futures_util::future::Either::Right(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The components of the tests (the binary passes the event spine's roster).
    const COMPONENTS: &[&str] = &["intake", "triage", "console"];

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("aduan-auth-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn claims(office: &str, roles: &[&str], exp: u64) -> Claims {
        Claims {
            iss: "aduan-local".into(),
            aud: "aduan".into(),
            sub: "u1".into(),
            exp,
            iat: now(),
            office: office.into(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            bidang: None,
            nbf: None,
        }
    }

    #[test]
    fn local_key_is_created_once_and_verifies_its_tokens() {
        let dir = temp_dir("local");
        let s1 = LocalSigner::load_or_create(&dir).unwrap();
        let s2 = LocalSigner::load_or_create(&dir).unwrap();
        let token = s1.mint(&claims("35.27", &["head"], now() + 60)).unwrap();
        let v = Verifier::with_decoding_key(
            "aduan-local",
            "aduan",
            s2.decoding_key(),
            Algorithm::ES256,
        );
        let p = v.verify(&token).unwrap();
        assert_eq!(p.office, "35.27");
        assert_eq!(p.roles, vec![Role::Head]);
        assert_eq!(v.cached(), 1);
        // Second verification comes from the cache and gives the same principal.
        assert_eq!(v.verify(&token).unwrap(), p);
    }

    #[test]
    fn an_audience_list_is_accepted_when_it_holds_ours() {
        // Keycloak sends `aud` as a list when a token has several audiences.
        let dir = temp_dir("aud-list");
        let s = LocalSigner::load_or_create(&dir).unwrap();
        let v =
            Verifier::with_decoding_key("aduan-local", "aduan", s.decoding_key(), Algorithm::ES256);
        let mint = |aud: serde_json::Value| {
            let mut c = serde_json::to_value(claims("35.27", &["head"], now() + 60)).unwrap();
            c["aud"] = aud;
            let mut h = Header::new(Algorithm::ES256);
            h.kid = Some(s.kid.clone());
            jsonwebtoken::encode(&h, &c, &s.encoding).unwrap()
        };
        let p = v
            .verify(&mint(serde_json::json!(["account", "aduan"])))
            .unwrap();
        assert_eq!(p.roles, vec![Role::Head]);
        assert!(matches!(
            v.verify(&mint(serde_json::json!(["account", "other"]))),
            Err(Error::Unauthenticated(m)) if m == "wrong audience"
        ));
    }

    #[test]
    fn wrong_issuer_audience_expiry_and_signature_are_unauthenticated() {
        let dir = temp_dir("bad");
        let s = LocalSigner::load_or_create(&dir).unwrap();
        let v =
            Verifier::with_decoding_key("aduan-local", "aduan", s.decoding_key(), Algorithm::ES256);
        let mut c = claims("35.27", &["head"], now() + 60);
        c.iss = "other".into();
        assert!(
            matches!(v.verify(&s.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m == "wrong issuer")
        );
        let mut c = claims("35.27", &["head"], now() + 60);
        c.aud = "other".into();
        assert!(
            matches!(v.verify(&s.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m == "wrong audience")
        );
        let c = claims("35.27", &["head"], now() - 3600);
        assert!(
            matches!(v.verify(&s.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m == "token expired")
        );
        let other = LocalSigner::load_or_create(&temp_dir("other")).unwrap();
        let t = other.mint(&claims("35.27", &["head"], now() + 60)).unwrap();
        assert!(matches!(v.verify(&t), Err(Error::Unauthenticated(m)) if m == "bad signature"));
        // The refusal is remembered: the same answer again, without a second signature check.
        assert!(!v.rejected.read().unwrap().is_empty());
        assert!(matches!(v.verify(&t), Err(Error::Unauthenticated(m)) if m == "bad signature"));
        assert!(matches!(
            v.verify("not.a.token"),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(v.verify(""), Err(Error::Unauthenticated(_))));
    }

    /// A minimal OIDC provider: serves one JWKS document over HTTP on a random port.
    async fn serve_jwks(body: String) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    let _ = sock.read(&mut buf).await;
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                        body.len(),
                        body
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                });
            }
        });
        format!("http://{addr}/.well-known/jwks.json")
    }

    #[tokio::test]
    async fn keys_come_from_a_jwks_url() {
        use base64::Engine;
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::DecodePrivateKey;
        let dir = temp_dir("jwks");
        let signer = LocalSigner::load_or_create(&dir).unwrap();
        let pem = std::fs::read_to_string(dir.join("signing-key.pem")).unwrap();
        let point = p256::SecretKey::from_pkcs8_pem(&pem)
            .unwrap()
            .public_key()
            .to_encoded_point(false);
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwks = format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"{}","use":"sig","alg":"ES256","x":"{}","y":"{}"}}]}}"#,
            LocalSigner::KID,
            b64(point.x().unwrap()),
            b64(point.y().unwrap())
        );
        let url = serve_jwks(jwks).await;
        let cfg = AuthConfig {
            issuer: "https://sso.jatimprov.go.id/realms/aduan".into(),
            audience: "aduan".into(),
            jwks_url: url,
            local_signing: false,
            ..AuthConfig::default()
        };
        let v = Verifier::from_config(&cfg, &temp_dir("jwks-unused"), COMPONENTS)
            .await
            .unwrap();
        let mut c = claims("35.27", &["complaints_officer"], now() + 60);
        c.iss = cfg.issuer.clone();
        let p = v.verify(&signer.mint(&c).unwrap()).unwrap();
        assert_eq!(p.roles, vec![Role::ComplaintsOfficer]);
        // A token from another key is refused.
        let other = LocalSigner::load_or_create(&temp_dir("jwks-other")).unwrap();
        assert!(v.verify(&other.mint(&c).unwrap()).is_err());
        // An unreachable JWKS URL fails start-up instead of accepting everything.
        let bad = AuthConfig {
            jwks_url: "http://127.0.0.1:9/jwks".into(),
            ..cfg
        };
        assert!(
            Verifier::from_config(&bad, &temp_dir("jwks-bad"), COMPONENTS)
                .await
                .is_err()
        );
    }

    fn jwks_of(dir: &std::path::Path, kid: &str) -> String {
        let pem = std::fs::read_to_string(dir.join("signing-key.pem")).unwrap();
        serde_json::json!({ "keys": [public_jwk(&pem, kid).unwrap()] }).to_string()
    }

    #[test]
    fn not_before_and_the_lifetime_cap_are_enforced() {
        let dir = temp_dir("nbf");
        let s = LocalSigner::load_or_create(&dir).unwrap();
        let v =
            Verifier::with_decoding_key("aduan-local", "aduan", s.decoding_key(), Algorithm::ES256);
        let mut c = claims("35.27", &["head"], now() + 7200);
        c.nbf = Some(now() + 3600);
        assert!(
            matches!(v.verify(&s.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m == "token not yet valid")
        );
        // Twelve hours is the default maximum: thirteen is refused, also without iat.
        let c = claims("35.27", &["head"], now() + 13 * 3600);
        assert!(
            matches!(v.verify(&s.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m == "token lifetime exceeds the maximum")
        );
        let mut c = claims("35.27", &["head"], now() + 13 * 3600);
        c.iat = 0;
        assert!(v.verify(&s.mint(&c).unwrap()).is_err());
        let c = claims("35.27", &["head"], now() + 11 * 3600);
        assert!(v.verify(&s.mint(&c).unwrap()).is_ok());
        // `aduan token` keeps to the same cap, and never mints the role service.
        let cfg = AuthConfig::default();
        let mint = |roles: &[Role], hours: u64| {
            mint_local(
                &cfg,
                &dir,
                "u",
                "35.27",
                roles,
                None,
                Duration::from_secs(hours * 3600),
            )
        };
        assert!(mint(&[Role::Head], 12).is_ok());
        assert!(mint(&[Role::Head], 13).is_err());
        assert!(mint(&[Role::Head], 0).is_err());
        assert!(mint(&[Role::Service], 1).is_err());
        let oidc = AuthConfig {
            jwks_url: "https://sso.example/jwks".into(),
            ..AuthConfig::default()
        };
        assert!(
            mint_local(
                &oidc,
                &dir,
                "u",
                "35.27",
                &[Role::Head],
                None,
                Duration::from_secs(3600)
            )
            .is_err(),
            "no local tokens when people's tokens come from an IdP"
        );
    }

    #[test]
    fn a_changed_key_set_flushes_the_cache() {
        let a = temp_dir("rotate-a");
        let b = temp_dir("rotate-b");
        let sa = LocalSigner::load_or_create(&a).unwrap();
        let sb = LocalSigner::load_or_create(&b).unwrap();
        let v = Verifier::with_decoding_key(
            "aduan-local",
            "aduan",
            sb.decoding_key(),
            Algorithm::ES256,
        );
        assert!(v.replace_jwks(&jwks_of(&a, "k-a")).unwrap());
        // The same document again changes nothing.
        assert!(!v.replace_jwks(&jwks_of(&a, "k-a")).unwrap());
        let mut tok_a = claims("35.27", &["head"], now() + 600);
        tok_a.sub = "a".into();
        let t = LocalSigner::from_pem(
            &std::fs::read_to_string(a.join("signing-key.pem")).unwrap(),
            "k-a".into(),
        )
        .unwrap()
        .mint(&tok_a)
        .unwrap();
        assert!(v.verify(&t).is_ok());
        assert_eq!(v.cached(), 1);
        let _ = sa;
        // The provider drops key a: the cached token stops working at once.
        assert!(v.replace_jwks(&jwks_of(&b, "k-b")).unwrap());
        assert_eq!(v.cached(), 0);
        assert!(v.verify(&t).is_err());
    }

    #[tokio::test]
    async fn service_keys_sign_only_their_own_service() {
        let dir = temp_dir("service-keys");
        let cfg = AuthConfig::default();
        let v = Verifier::from_config(&cfg, &dir, COMPONENTS).await.unwrap();
        // Five generated keys, none of them the key of people's tokens.
        for name in COMPONENTS {
            assert!(
                dir.join("service-keys")
                    .join(format!("{name}.pem"))
                    .exists()
            );
        }
        let intake = ServiceTokens::from_config(&cfg, &dir, "35", "intake").unwrap();
        let p = v.verify(&intake.token().unwrap()).unwrap();
        assert_eq!(
            (p.subject.as_str(), p.roles.as_slice()),
            ("service:intake", &[Role::Service][..])
        );
        let key = LocalSigner::service(&cfg, &dir, "intake").unwrap();
        let mut c = claims("35", &["service"], now() + 600);
        c.sub = "service:triage".into();
        assert!(
            matches!(v.verify(&key.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m.contains("its own service"))
        );
        let mut c = claims("35.27", &["head"], now() + 600);
        c.sub = "service:intake".into();
        assert!(
            matches!(v.verify(&key.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m.contains("only the role service"))
        );
        let user = LocalSigner::load_or_create(&dir).unwrap();
        let mut c = claims("35", &["service"], now() + 600);
        c.sub = "service:intake".into();
        assert!(
            matches!(v.verify(&user.mint(&c).unwrap()), Err(Error::Unauthenticated(m)) if m.contains("service key"))
        );
        // A JWKS of service keys: every kid names a service.
        let jwks = create_service_keys(&temp_dir("service-jwks"), COMPONENTS).unwrap();
        assert_eq!(
            service_keys_from_jwks(&jwks, COMPONENTS).unwrap().len(),
            COMPONENTS.len()
        );
        let other = jwks.replace("aduan-service-intake", "intruder");
        assert!(service_keys_from_jwks(&other, COMPONENTS).is_err());
        // Configured keys directories are never generated into.
        let configured = AuthConfig {
            service_keys_dir: temp_dir("empty-keys").display().to_string(),
            ..AuthConfig::default()
        };
        assert!(ServiceTokens::from_config(&configured, &dir, "35", "intake").is_err());
    }

    #[test]
    fn a_jwks_is_fetched_over_https_only() {
        assert!(
            check_jwks_url(
                "https://sso.jatimprov.go.id/realms/aduan/protocol/openid-connect/certs"
            )
            .is_ok()
        );
        assert!(check_jwks_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_jwks_url("http://[::1]:8080/jwks").is_ok());
        assert!(check_jwks_url("http://localhost/jwks").is_ok());
        assert!(check_jwks_url("http://sso.jatimprov.go.id/jwks").is_err());
        assert!(check_jwks_url("http://10.0.0.5/jwks").is_err());
        assert!(check_jwks_url("ftp://sso/jwks").is_err());
    }

    #[test]
    fn jwks_documents_are_read() {
        let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        let keys = keys_from_jwks(jwks).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("k1"));
        assert_eq!(keys[0].alg, Algorithm::ES256);
        assert!(keys_from_jwks(r#"{"keys":[]}"#).is_err());
    }

    #[test]
    fn office_scopes() {
        let p = Arc::new(Principal {
            subject: "a".into(),
            office: "35".into(),
            roles: vec![Role::ProvincialAnalyst],
            bidang: None,
            expires_at: now() + 60,
        });
        let c = Caller {
            principal: p.clone(),
            grants: vec![grant(Role::ProvincialAnalyst, Scope::Province)],
        };
        assert!(c.covers_office("35.27") && c.covers_office("35.01"));
        assert!(!c.covers_office("36.01"));
        let c = Caller {
            principal: Arc::new(Principal {
                office: "35.27".into(),
                ..(*p).clone()
            }),
            grants: vec![grant(Role::ComplaintsOfficer, Scope::Office)],
        };
        assert!(c.covers_office("35.27"));
        assert!(!c.covers_office("35.26"));
        assert!(matches!(
            c.require_office_or_not_found("35.26", "complaint"),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            c.require_office("35.26"),
            Err(Error::PermissionDenied(_))
        ));
    }
}
