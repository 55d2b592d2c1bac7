//! Sign-in at the province's OpenID Connect provider (cluster mode, docs/console.md): the
//! authorization code flow with PKCE (S256) and a nonce. openidconnect checks the ID token
//! (signature from the provider's JWKS, issuer, audience, expiry, nonce, `at_hash`); the access
//! token, which the console then carries to the services, is checked by the same verifier the
//! services use, and the person's office, roles and Bidang are read from it: the console and the
//! services read one set of claims. Refresh tokens renew the access token while the session lives;
//! sign-out ends the session at the provider too (RP-initiated logout) when it offers that.
//!
//! The HTTP client is hyper (already in the tree for the JWKS), with a 10 s timeout, a 1 MiB answer
//! limit and no redirects followed.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::config::OidcConfig;
use aduan_runtime::auth::{Principal, Role, Verifier};
use aduan_runtime::{Error, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// The path the provider sends the browser back to (register `<public_url>` + this).
pub const CALLBACK_PATH: &str = "/staf/masuk/kembali";
/// Where the provider sends the browser after sign-out.
pub const AFTER_LOGOUT_PATH: &str = "/staf/masuk";
/// How long a started sign-in may take at the provider, in seconds.
pub const PENDING_SECONDS: i64 = 600;
/// How long the provider's metadata and keys are kept before they are read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Provider {
    client: Client,
    end_session: Option<EndSessionUrl>,
    fetched: Instant,
}

/// What a started sign-in keeps until the provider sends the browser back: sealed in the
/// console's database under a key from a cookie of the browser that started it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    /// The PKCE verifier.
    pub verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
}

/// A session's tokens at the provider (sealed in the session's row under a key from its cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    /// The access token: what the console carries to the services.
    pub access: String,
    /// The refresh token, if the provider gave one.
    #[serde(default)]
    pub refresh: Option<String>,
    /// The ID token (the hint of the sign-out at the provider).
    pub id_token: String,
    /// The access token's expiry (seconds since the epoch).
    pub expires_at: i64,
    /// The person (`sub`), the same in every token.
    pub subject: String,
}

/// A finished sign-in.
pub struct SignedIn {
    /// The tokens.
    pub tokens: Tokens,
    /// What the services will see: office, roles, Bidang.
    pub principal: Arc<Principal>,
    /// The name to show: `name`, else `preferred_username`, else the subject.
    pub name: String,
    /// The sign-in name at the provider (`preferred_username`), else the subject.
    pub username: String,
}

/// The console's client at the provider.
pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    scopes: Vec<Scope>,
    /// The console's own address (`console.public_url`, else the listen address).
    base: OnceLock<String>,
    provider: tokio::sync::Mutex<Option<Arc<Provider>>>,
    verifier: Arc<Verifier>,
}

/// An HTTP failure talking to the provider.
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// One request to the provider.
async fn http(
    req: openidconnect::HttpRequest,
) -> std::result::Result<openidconnect::HttpResponse, HttpError> {
    static CLIENT: OnceLock<HttpClient> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https)
    });
    let (parts, body) = req.into_parts();
    let req = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
    let resp = tokio::time::timeout(Duration::from_secs(10), client.request(req))
        .await
        .map_err(|_| HttpError("the identity provider did not answer in 10 s".into()))?
        .map_err(|e| HttpError(format!("the identity provider is unreachable: {e}")))?;
    let (parts, body) = resp.into_parts();
    let bytes = tokio::time::timeout(
        Duration::from_secs(10),
        Limited::new(body, 1 << 20).collect(),
    )
    .await
    .map_err(|_| HttpError("the identity provider's answer took over 10 s".into()))?
    .map_err(|e| HttpError(format!("the identity provider's answer: {e}")))?
    .to_bytes();
    Ok(http::Response::from_parts(parts, bytes.to_vec()))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Oidc {
    /// The client from the configuration; the provider is read at the first sign-in.
    pub fn new(cfg: &OidcConfig, public_url: &str, verifier: Arc<Verifier>) -> Result<Self> {
        let issuer = IssuerUrl::new(cfg.issuer_url.trim_end_matches('/').to_string())
            .map_err(|e| Error::invalid("console.oidc.issuer_url", e.to_string()))?;
        if cfg.client_id.trim().is_empty() {
            return Err(Error::invalid(
                "console.oidc.client_id",
                "set the console's client id at the identity provider",
            ));
        }
        let secret = if cfg.client_secret_file.is_empty() {
            None
        } else {
            let s = std::fs::read_to_string(&cfg.client_secret_file).map_err(|e| {
                Error::invalid(
                    "console.oidc.client_secret_file",
                    format!("cannot read {}: {e}", cfg.client_secret_file),
                )
            })?;
            Some(ClientSecret::new(s.trim().to_string()))
        };
        let base = OnceLock::new();
        if !public_url.is_empty() {
            let _ = base.set(public_url.trim_end_matches('/').to_string());
        }
        Ok(Self {
            issuer,
            client_id: ClientId::new(cfg.client_id.trim().to_string()),
            secret,
            scopes: cfg
                .scopes
                .split_whitespace()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.to_string()))
                .collect(),
            base,
            provider: tokio::sync::Mutex::new(None),
            verifier,
        })
    }

    /// The provider's origin (`https://sso.example.go.id`), the target of the sign-out form's
    /// redirect. Only characters a URL's origin may hold (it goes into a header).
    pub fn origin(&self) -> String {
        let url = self.issuer.url();
        let origin = url.origin().ascii_serialization();
        if origin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:/-[]".contains(&b))
        {
            origin
        } else {
            String::new()
        }
    }

    /// Without `console.public_url`, the console's address is its listen address.
    pub fn serving_at(&self, addr: std::net::SocketAddr) {
        let _ = self.base.set(format!("http://{addr}"));
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.base.get().map(String::as_str).unwrap_or("")
        )
    }

    async fn provider(&self) -> Result<Arc<Provider>> {
        let mut cached = self.provider.lock().await;
        if let Some(p) = cached.as_ref()
            && p.fetched.elapsed() < METADATA_TTL
        {
            return Ok(p.clone());
        }
        let meta = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &http)
            .await
            .map_err(|e| Error::Unavailable(format!("identity provider discovery: {e}")))?;
        let end_session = meta.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(self.url(CALLBACK_PATH))
            .map_err(|e| Error::invalid("console.public_url", e.to_string()))?;
        let client =
            CoreClient::from_provider_metadata(meta, self.client_id.clone(), self.secret.clone())
                .set_redirect_uri(redirect);
        let p = Arc::new(Provider {
            client,
            end_session,
            fetched: Instant::now(),
        });
        *cached = Some(p.clone());
        Ok(p)
    }

    /// Forgets the provider's metadata and keys: read again at the next sign-in (a key rotated).
    async fn forget(&self) {
        *self.provider.lock().await = None;
    }

    /// Starts a sign-in: the provider's authorization URL, the state, and what to keep.
    pub async fn start(&self) -> Result<(String, String, Pending)> {
        let p = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = p.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.scopes {
            req = req.add_scope(s.clone());
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        Ok((
            url.to_string(),
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
            },
        ))
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier), checks the ID token and
    /// the access token. PERMISSION_DENIED when the person has no aduan role at the provider.
    pub async fn finish(&self, code: &str, pending: Pending) -> Result<SignedIn> {
        let p = self.provider().await?;
        let resp = p
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Error::Unavailable(format!("identity provider: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&http)
            .await
            .map_err(|e| Error::Unauthenticated(format!("code exchange refused: {e}")))?;
        let id_token = resp
            .id_token()
            .ok_or_else(|| Error::Unauthenticated("the provider sent no ID token".into()))?;
        let checker = p.client.id_token_verifier();
        let claims = match id_token.claims(&checker, &Nonce::new(pending.nonce)) {
            Ok(c) => c,
            Err(e) => {
                self.forget().await;
                return Err(Error::Unauthenticated(format!("ID token refused: {e}")));
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| Error::Unauthenticated(format!("ID token: {e}")))?;
            let key = id_token
                .signing_key(&checker)
                .map_err(|e| Error::Unauthenticated(format!("ID token: {e}")))?;
            let actual = AccessTokenHash::from_token(resp.access_token(), alg, key)
                .map_err(|e| Error::Unauthenticated(format!("at_hash: {e}")))?;
            if actual != *expected {
                return Err(Error::Unauthenticated(
                    "the access token does not match the ID token (at_hash)".into(),
                ));
            }
        }
        let subject = claims.subject().to_string();
        let username = claims
            .preferred_username()
            .map(|u| u.to_string())
            .unwrap_or_else(|| subject.clone());
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .unwrap_or_else(|| username.clone());
        let access = resp.access_token().secret().clone();
        let principal = self.principal(&access, &subject)?;
        Ok(SignedIn {
            tokens: Tokens {
                access,
                refresh: resp.refresh_token().map(|r| r.secret().clone()),
                id_token: id_token.to_string(),
                expires_at: principal.expires_at as i64,
                subject,
            },
            principal,
            name: name.chars().take(100).collect(),
            username,
        })
    }

    /// The access token as the services will see it; it must name the signed-in person and
    /// carry at least one aduan role.
    fn principal(&self, access: &str, subject: &str) -> Result<Arc<Principal>> {
        let p = self
            .verifier
            .verify(access)
            .map_err(|e| Error::Unauthenticated(format!("access token refused: {e}")))?;
        if p.subject != subject {
            return Err(Error::Unauthenticated(
                "the access token names another person than the ID token".into(),
            ));
        }
        if !p.roles.iter().any(|r| *r != Role::Service) {
            return Err(Error::PermissionDenied(
                "no aduan role in the access token (claims roles, office)".into(),
            ));
        }
        Ok(p)
    }

    /// Renews the access token with the refresh token.
    pub async fn refresh(&self, t: &Tokens) -> Result<(Tokens, Arc<Principal>)> {
        let Some(refresh) = &t.refresh else {
            return Err(Error::Unauthenticated(
                "the access token expired and there is no refresh token".into(),
            ));
        };
        let p = self.provider().await?;
        let resp = p
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh.clone()))
            .map_err(|e| Error::Unavailable(format!("identity provider: {e}")))?
            .request_async(&http)
            .await
            .map_err(|e| Error::Unauthenticated(format!("refresh refused: {e}")))?;
        let access = resp.access_token().secret().clone();
        let principal = self.principal(&access, &t.subject)?;
        Ok((
            Tokens {
                access,
                refresh: resp
                    .refresh_token()
                    .map(|r| r.secret().clone())
                    .or_else(|| t.refresh.clone()),
                id_token: t.id_token.clone(),
                expires_at: principal.expires_at as i64,
                subject: t.subject.clone(),
            },
            principal,
        ))
    }

    /// Where to send the browser to end the session at the provider too, if it offers that.
    pub async fn logout_url(&self, tokens: Option<&Tokens>) -> Option<String> {
        let p = self.provider().await.ok()?;
        let end = p.end_session.clone()?;
        let mut req = LogoutRequest::from(end)
            .set_client_id(self.client_id.clone())
            .set_post_logout_redirect_uri(
                PostLogoutRedirectUrl::new(self.url(AFTER_LOGOUT_PATH)).ok()?,
            );
        if let Some(t) = tokens
            && let Ok(id) = t.id_token.parse::<CoreIdToken>()
        {
            req = req.set_id_token_hint(&id);
        }
        Some(req.http_get_url().to_string())
    }

    /// Whether the access token should be renewed now (it ends within 30 s).
    pub fn due(t: &Tokens) -> bool {
        t.expires_at - 30 <= now()
    }
}
