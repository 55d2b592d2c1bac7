//! Authentication (bearer JWTs: issuer, audience, expiry; keys from a JWKS URL, a key file, or a
//! local signing key) and authorization (one table per service stating, per RPC, which roles of
//! which office may call it).
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
    /// Partner agency API client (scoped).
    PartnerAgency,
    /// Another aduan service.
    Service,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 12] = [
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
                "the caller may not act for office {office}"
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
    /// Audience.
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
}

#[derive(Clone)]
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens and caches their claims.
pub struct Verifier {
    issuer: String,
    audience: String,
    leeway: u64,
    keys: RwLock<Arc<Vec<Key>>>,
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
        });
    }
    if keys.is_empty() {
        return Err(Error::invalid("auth.jwks", "no usable key"));
    }
    Ok(keys)
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
        }]);
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(vec![Key {
            kid: None,
            alg: Algorithm::RS256,
            key,
        }]);
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok(vec![Key {
            kid: None,
            alg: Algorithm::EdDSA,
            key,
        }]);
    }
    Err(Error::invalid(
        "auth.key_file",
        "not a PEM public key (EC P-256, RSA or Ed25519)",
    ))
}

impl Verifier {
    /// A verifier from the configuration. With `local_signing` and no other key source, the local
    /// key in `data_dir` is created if needed and trusted.
    pub async fn from_config(cfg: &AuthConfig, data_dir: &Path) -> Result<Arc<Self>> {
        let (keys, jwks_url) = if !cfg.jwks_url.is_empty() {
            let text = fetch_url(&cfg.jwks_url).await?;
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
                }],
                None,
            )
        } else {
            return Err(Error::invalid(
                "auth",
                "set auth.jwks_url, auth.key_file or auth.local_signing",
            ));
        };
        let mut keys = keys;
        if !cfg.service_key_file.is_empty() {
            let signer = LocalSigner::from_file(Path::new(&cfg.service_key_file))?;
            keys.push(Key {
                kid: Some(LocalSigner::SERVICE_KID.into()),
                alg: Algorithm::ES256,
                key: signer.decoding.clone(),
            });
        }
        let v = Arc::new(Self {
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            leeway: cfg.leeway_seconds,
            keys: RwLock::new(Arc::new(keys)),
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
                    match fetch_url(&url).await.and_then(|t| keys_from_jwks(&t)) {
                        Ok(keys) => {
                            if let Ok(mut k) = v.keys.write() {
                                *k = Arc::new(keys);
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
            keys: RwLock::new(Arc::new(vec![Key {
                kid: None,
                alg,
                key,
            }])),
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
        let mut last: &'static str = "invalid token";
        for k in candidates {
            match jsonwebtoken::decode::<Claims>(token, &k.key, &validation) {
                Ok(data) => {
                    let c = data.claims;
                    if c.office.is_empty() {
                        return Err(Error::Unauthenticated("token has no office".into()));
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
        if last != "token not yet valid"
            && let Ok(mut r) = self.rejected.write()
        {
            if r.len() >= self.capacity {
                r.retain(|_, (until, _)| *until > t);
                if r.len() >= self.capacity {
                    r.clear();
                }
            }
            r.insert(digest, (t + 60, last));
        }
        Err(Error::Unauthenticated(last.into()))
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

/// An ES256 signing key: the embedded default's (generated on first start in the data
/// directory) or the deployment's service key (`auth.service_key_file`).
pub struct LocalSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: &'static str,
}

impl LocalSigner {
    /// Key id of the local key.
    pub const KID: &'static str = "aduan-local-1";
    /// Key id of the service key.
    pub const SERVICE_KID: &'static str = "aduan-service-1";

    /// The service key from a PEM file (PKCS#8 or SEC1 EC P-256 private key).
    pub fn from_file(path: &Path) -> Result<Self> {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(
                "auth.service_key_file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::from_pem(&pem, Self::SERVICE_KID).map_err(|_| {
            Error::invalid(
                "auth.service_key_file",
                format!("{} is not a P-256 private key", path.display()),
            )
        })
    }

    fn from_pem(pem: &str, kid: &'static str) -> Result<Self> {
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

    /// Loads `data_dir/signing-key.pem`, creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let path = data_dir.join("signing-key.pem");
        let pem = crate::fsutil::read_or_create_secret(&path, || {
            loop {
                let mut bytes = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                if let Ok(sk) = p256::SecretKey::from_slice(&bytes)
                    && let Ok(pem) = sk.to_pkcs8_pem(LineEnding::LF)
                {
                    return pem.to_string();
                }
            }
        })?;
        Self::from_pem(&pem, Self::KID)
            .map_err(|_| Error::Internal(format!("{} is not a P-256 key", path.display())))
    }

    /// Signs a token with these claims.
    pub fn mint(&self, claims: &Claims) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing: {e}")))
    }

    /// The verifying key.
    pub fn decoding_key(&self) -> DecodingKey {
        self.decoding.clone()
    }
}

/// Tokens a service presents when it calls another service (the event relay, triage reading
/// intake): role `service`, province scope, signed with the service key or the local key, reused
/// until shortly before they expire.
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

    /// The token source of service `service` in this configuration: the service key when
    /// configured, else the local signing key. With an OIDC provider and no service key there is
    /// no way to sign, and services cannot call each other: refused at start-up.
    pub fn from_config(
        cfg: &AuthConfig,
        data_dir: &Path,
        province: &str,
        service: &str,
    ) -> Result<Self> {
        let signer = if !cfg.service_key_file.is_empty() {
            LocalSigner::from_file(Path::new(&cfg.service_key_file))?
        } else if cfg.local_signing && cfg.jwks_url.is_empty() && cfg.key_file.is_empty() {
            LocalSigner::load_or_create(data_dir)?
        } else {
            return Err(Error::invalid(
                "auth.service_key_file",
                "services calling each other need a service key when tokens come from an \
                 OIDC provider or a key file",
            ));
        };
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
        })?;
        *cur = Some((tok.clone(), exp));
        Ok(tok)
    }
}

/// Mints a token with the local key: the `aduan token` command.
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
        let v = Verifier::from_config(&cfg, &temp_dir("jwks-unused"))
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
            Verifier::from_config(&bad, &temp_dir("jwks-bad"))
                .await
                .is_err()
        );
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
