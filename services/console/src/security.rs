//! Passwords (Argon2id), random secrets, cookies, CSRF and the response headers of every page
//! (docs/console.md, "Sessions and CSRF").

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// The session cookie (HttpOnly, SameSite=Lax, Secure behind TLS).
pub const SESSION_COOKIE: &str = "aduan_sesi";
/// The double-submit CSRF cookie of the forms used without a session (the public form, sign-in).
pub const CSRF_COOKIE: &str = "aduan_csrf";
/// The cookie binding a sign-in at the identity provider to the browser that started it.
pub const IDP_COOKIE: &str = "aduan_idp";

/// The Content-Security-Policy of every answer: nothing inline, nothing from elsewhere, never in
/// a frame.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The policy with the identity provider's origin among the form targets: the sign-out form's
/// redirect to the provider's end-session endpoint is part of the form's navigation, which
/// browsers check against `form-action`.
pub fn csp_with_provider(origin: &str) -> String {
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    )
}

/// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A PHC string that matches no password: verified against when the account does not exist,
/// so that an unknown name takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// 32 random bytes, base64url: session ids, CSRF tokens, request ids.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A one-time password for a new account: 12 characters without look-alikes, in groups of four
/// (about 60 bits).
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(14);
    let mut b = [0u8; 12];
    rand::rng().fill_bytes(&mut b);
    for (i, x) in b.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 31: the bias (at most 1/8) is acceptable for a one-time
        // password that must be changed at the first sign-in.
        out.push(ALPHABET[*x as usize % ALPHABET.len()] as char);
    }
    out
}

/// SHA-256 hex: the stored form of a session id.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seals `plain` with AES-256-GCM under a key derived from `secret` (a cookie's value: the
/// database alone does not open what it holds), bound to `aad` (the row's key). base64url of
/// nonce and ciphertext.
pub fn seal(secret: &str, aad: &str, plain: &[u8]) -> String {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let cipher = aes_gcm::Aes256Gcm::new(&seal_key(secret).into());
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let Ok(ct) = cipher.encrypt(
        &nonce.into(),
        Payload {
            msg: plain,
            aad: aad.as_bytes(),
        },
    ) else {
        return String::new();
    };
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// Opens what [`seal`] sealed with the same secret and `aad`; None otherwise.
pub fn open(secret: &str, aad: &str, sealed: &str) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed)
        .ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    aes_gcm::Aes256Gcm::new(&seal_key(secret).into())
        .decrypt(
            &nonce.into(),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .ok()
}

/// [`seal`] of a value's JSON; None if it does not serialize.
pub fn seal_json(secret: &str, aad: &str, value: &impl serde::Serialize) -> Option<String> {
    let json = serde_json::to_vec(value).ok()?;
    Some(seal(secret, aad, &json)).filter(|s| !s.is_empty())
}

/// [`open`] of a value sealed by [`seal_json`].
pub fn open_json<T: serde::de::DeserializeOwned>(
    secret: &str,
    aad: &str,
    sealed: &str,
) -> Option<T> {
    serde_json::from_slice(&open(secret, aad, sealed)?).ok()
}

fn seal_key(secret: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"aduan-console seal v1");
    mac.finalize().into_bytes().into()
}

/// Equality in time independent of where the strings differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure when served over TLS;
/// `max_age` None for a browser-session cookie, Some(0) to delete.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        s.push_str("; Secure");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The headers of every answer: CSP, no sniffing, no framing, no referrer (a tracking code sits
/// in the path of `/lacak/<code>`); pages are never stored by caches unless they are assets.
pub async fn headers(
    axum::extract::State(csp): axum::extract::State<HeaderValue>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let asset = req.uri().path().starts_with("/aset/");
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // The server's own time for the answer (W3C Server-Timing): browsers' developer tools and the
    // page benchmark read it. The same figure a stopwatch at the client bounds from above.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "app;dur={:.1}",
        started.elapsed().as_secs_f64() * 1000.0
    )) {
        h.insert("server-timing", v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !asset {
        // A signed-out back button finds nothing: no page is kept by the browser or a proxy.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("kata-sandi-panjang").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("kata-sandi-panjang", &h));
        assert!(!verify_password("kata-sandi-panjanG", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn one_time_passwords_have_no_look_alikes() {
        let p = one_time_password();
        assert_eq!(p.len(), 14);
        assert_eq!(p.matches('-').count(), 2);
        assert!(!p.contains(['0', 'o', '1', 'l', 'i']), "{p}");
        assert_ne!(p, one_time_password());
    }

    #[test]
    fn sealed_values_open_only_with_their_secret_and_row() {
        let sealed = seal("cookie-value", "row-1", b"refresh-token");
        assert!(!sealed.contains("refresh"));
        assert_eq!(
            open("cookie-value", "row-1", &sealed).as_deref(),
            Some(&b"refresh-token"[..])
        );
        assert_eq!(open("another-cookie", "row-1", &sealed), None);
        assert_eq!(open("cookie-value", "row-2", &sealed), None);
        assert_eq!(open("cookie-value", "row-1", "bm90IHNlYWxlZA"), None);
        assert_ne!(sealed, seal("cookie-value", "row-1", b"refresh-token"));
    }

    #[test]
    fn cookies_are_read_and_written_safely() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; aduan_sesi=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert_eq!(
            c.to_str().unwrap(),
            "aduan_sesi=v; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
