//! A stand-in for the province's OpenID Connect provider (Keycloak in production), for the
//! console's sign-in tests: discovery, JWKS, an authorization endpoint with its own small sign-in
//! form, the token endpoint (authorization code with PKCE S256 enforced, refresh) and the end
//! session endpoint. Its documents and ID tokens are built with openidconnect's own types (the
//! library the console uses as a client); access tokens are JWTs carrying the claims the services
//! read (`office`, `roles`, `bidang`), signed with the same RSA key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    AccessToken, Audience, AuthUrl, AuthorizationCode, EmptyAdditionalClaims,
    EmptyAdditionalProviderMetadata, EndSessionUrl, EndUserName, EndUserUsername, IssuerUrl,
    JsonWebKeyId, JsonWebKeySetUrl, LocalizedClaim, LogoutProviderMetadata, Nonce,
    PrivateSigningKey, ProviderMetadataWithLogout, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl,
};
use sha2::{Digest, Sha256};

/// The audience of the access tokens (the services' `auth.audience`).
pub const AUDIENCE: &str = "aduan";
/// The console's client id at the provider.
pub const CLIENT_ID: &str = "aduan-console";
const KID: &str = "mock-idp-1";

/// A person known to the provider.
#[derive(Clone, Debug)]
pub struct Person {
    pub sub: String,
    pub name: String,
    pub roles: Vec<String>,
    pub office: String,
    pub bidang: Option<String>,
}

struct Grant {
    username: String,
    redirect_uri: String,
    challenge: String,
    nonce: String,
}

struct Idp {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    encoding: jsonwebtoken::EncodingKey,
    people: Mutex<HashMap<String, Person>>,
    codes: Mutex<HashMap<String, Grant>>,
    refresh: Mutex<HashMap<String, String>>,
    /// Seconds an access token lives.
    lifetime: AtomicI64,
    /// When set, refresh tokens are refused (revoked at the provider).
    revoked: AtomicBool,
    /// What happened, in order: "authorize", "code", "refresh", "logout <query>".
    log: Mutex<Vec<String>>,
    /// The authorization requests' query strings.
    authorize_queries: Mutex<Vec<HashMap<String, String>>>,
}

/// A running provider.
pub struct MockIdp {
    pub addr: SocketAddr,
    pub issuer: String,
    idp: Arc<Idp>,
}

fn key_pem() -> String {
    let text = include_str!("../fixtures/idp-test-rsa.pem");
    text[text.find("-----BEGIN").unwrap()..].to_string()
}

/// 244 random bits (two v4 UUIDs, from the OS generator).
fn random() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(value).unwrap(),
    )
        .into_response()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl MockIdp {
    /// Starts the provider on a loopback port.
    pub async fn start() -> MockIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("http://{addr}/realms/aduan");
        let pem = key_pem();
        let idp = Arc::new(Idp {
            issuer: issuer.clone(),
            key: CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(KID.into())))
                .unwrap(),
            encoding: jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            people: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
            lifetime: AtomicI64::new(300),
            revoked: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            authorize_queries: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route(
                "/realms/aduan/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/realms/aduan/jwks", get(jwks))
            .route("/realms/aduan/auth", get(authorize_form).post(authorize))
            .route("/realms/aduan/token", axum::routing::post(token))
            .route("/realms/aduan/logout", get(logout))
            .with_state(idp.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockIdp { addr, issuer, idp }
    }

    /// Points a configuration at this provider: the services verify its tokens, the console
    /// signs staff in here.
    pub fn configure(&self, c: &mut aduan::Config) {
        c.auth.jwks_url = self.jwks_url();
        c.auth.issuer = self.issuer.clone();
        c.auth.audience = AUDIENCE.into();
        c.console.oidc.issuer_url = self.issuer.clone();
        c.console.oidc.client_id = CLIENT_ID.into();
    }

    /// The JWKS address (the services' `auth.jwks_url`).
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// Adds a person who can sign in by `username`.
    pub fn add(&self, username: &str, person: Person) {
        self.idp
            .people
            .lock()
            .unwrap()
            .insert(username.into(), person);
    }

    /// Access tokens live this many seconds from now on.
    pub fn set_lifetime(&self, seconds: i64) {
        self.idp.lifetime.store(seconds, Ordering::SeqCst);
    }

    /// Refuses every refresh from now on.
    pub fn revoke_refresh(&self) {
        self.idp.revoked.store(true, Ordering::SeqCst);
    }

    /// What happened at the provider.
    pub fn log(&self) -> Vec<String> {
        self.idp.log.lock().unwrap().clone()
    }

    /// The query of the last authorization request.
    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.idp
            .authorize_queries
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
}

async fn discovery(State(idp): State<Arc<Idp>>) -> Response {
    let url = |p: &str| format!("{}/{p}", idp.issuer);
    let meta = ProviderMetadataWithLogout::new(
        IssuerUrl::new(idp.issuer.clone()).unwrap(),
        AuthUrl::new(url("auth")).unwrap(),
        JsonWebKeySetUrl::new(url("jwks")).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        LogoutProviderMetadata {
            end_session_endpoint: Some(EndSessionUrl::new(url("logout")).unwrap()),
            additional_metadata: EmptyAdditionalProviderMetadata {},
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(url("token")).unwrap()));
    json(StatusCode::OK, &meta)
}

async fn jwks(State(idp): State<Arc<Idp>>) -> Response {
    json(
        StatusCode::OK,
        &CoreJsonWebKeySet::new(vec![idp.key.as_verification_key()]),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The provider's own sign-in page: the request's parameters ride along as hidden fields.
async fn authorize_form(
    State(idp): State<Arc<Idp>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    idp.log.lock().unwrap().push("authorize".into());
    idp.authorize_queries.lock().unwrap().push(q.clone());
    if q.get("response_type").map(String::as_str) != Some("code")
        || q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || q.get("code_challenge").is_none_or(|c| c.len() < 43)
        || !q
            .get("scope")
            .is_some_and(|s| s.split(' ').any(|x| x == "openid"))
    {
        return (StatusCode::BAD_REQUEST, "invalid_request").into_response();
    }
    let hidden: String = q
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>SSO Provinsi</title></head>\
         <body><main><h1>SSO Provinsi (uji)</h1><form method=\"post\">{hidden}\
         <label for=\"username\">Nama pengguna</label> <input id=\"username\" name=\"username\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Masuk</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Batal</button></form></main></body></html>"
    ))
    .into_response()
}

async fn authorize(
    State(idp): State<Arc<Idp>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    let state = get("state");
    let sep = if redirect.contains('?') { '&' } else { '?' };
    if get("decision") == "deny" {
        return Redirect::to(&format!("{redirect}{sep}error=access_denied&state={state}"))
            .into_response();
    }
    if !idp.people.lock().unwrap().contains_key(&get("username")) {
        return (StatusCode::UNAUTHORIZED, "unknown user").into_response();
    }
    let code = random();
    idp.codes.lock().unwrap().insert(
        code.clone(),
        Grant {
            username: get("username"),
            redirect_uri: redirect.clone(),
            challenge: get("code_challenge"),
            nonce: get("nonce"),
        },
    );
    Redirect::to(&format!("{redirect}{sep}code={code}&state={state}")).into_response()
}

#[derive(serde::Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    /// A list, as Keycloak sends it when a token has several audiences.
    aud: [&'a str; 2],
    sub: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    office: &'a str,
    roles: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    bidang: Option<&'a str>,
}

fn oauth_error(code: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": code }),
    )
}

async fn token(State(idp): State<Arc<Idp>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return oauth_error("invalid_client");
    }
    let (username, nonce, code) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(grant) = idp.codes.lock().unwrap().remove(&get("code")) else {
                return oauth_error("invalid_grant");
            };
            let verifier = get("code_verifier");
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if verifier.is_empty() || computed != grant.challenge {
                return oauth_error("invalid_grant");
            }
            if get("redirect_uri") != grant.redirect_uri {
                return oauth_error("invalid_grant");
            }
            idp.log.lock().unwrap().push("code".into());
            (grant.username, Some(grant.nonce), Some(get("code")))
        }
        "refresh_token" => {
            if idp.revoked.load(Ordering::SeqCst) {
                return oauth_error("invalid_grant");
            }
            let Some(username) = idp.refresh.lock().unwrap().remove(&get("refresh_token")) else {
                return oauth_error("invalid_grant");
            };
            idp.log.lock().unwrap().push("refresh".into());
            (username, None, None)
        }
        _ => return oauth_error("unsupported_grant_type"),
    };
    let Some(person) = idp.people.lock().unwrap().get(&username).cloned() else {
        return oauth_error("invalid_grant");
    };
    let t = now();
    let exp = t + idp.lifetime.load(Ordering::SeqCst);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.into());
    let access = jsonwebtoken::encode(
        &header,
        &AccessClaims {
            iss: &idp.issuer,
            aud: [AUDIENCE, "account"],
            sub: &person.sub,
            azp: CLIENT_ID,
            exp,
            iat: t,
            office: &person.office,
            roles: &person.roles,
            bidang: person.bidang.as_deref(),
        },
        &idp.encoding,
    )
    .unwrap();
    let refresh = random();
    idp.refresh
        .lock()
        .unwrap()
        .insert(refresh.clone(), username.clone());
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": exp - t,
        "refresh_token": refresh,
    });
    if let (Some(nonce), Some(code)) = (nonce, code) {
        let mut name = LocalizedClaim::new();
        name.insert(None, EndUserName::new(person.name.clone()));
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(idp.issuer.clone()).unwrap(),
            vec![Audience::new(CLIENT_ID.into())],
            chrono::DateTime::from_timestamp(exp, 0).unwrap(),
            chrono::DateTime::from_timestamp(t, 0).unwrap(),
            StandardClaims::new(SubjectIdentifier::new(person.sub.clone()))
                .set_name(Some(name))
                .set_preferred_username(Some(EndUserUsername::new(username.clone()))),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce)));
        let id = CoreIdToken::new(
            claims,
            &idp.key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Some(&AccessToken::new(access.clone())),
            Some(&AuthorizationCode::new(code)),
        )
        .unwrap();
        body["id_token"] = serde_json::Value::String(id.to_string());
    }
    json(StatusCode::OK, &body)
}

async fn logout(State(idp): State<Arc<Idp>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut keys: Vec<&String> = q.keys().collect();
    keys.sort();
    idp.log.lock().unwrap().push(format!(
        "logout {}",
        keys.iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",")
    ));
    match q.get("post_logout_redirect_uri") {
        Some(to) => Redirect::to(to).into_response(),
        None => "signed out".into_response(),
    }
}
