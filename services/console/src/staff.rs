//! The staff pages: sign-in with a local account, sign-out, the password change, the home page
//! of each role, and the administrator's accounts page.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::intake::v1 as ipb;
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use aduan_proto::triage::v1 as tpb;
use aduan_proto::triage::v1::triage_service_client::TriageServiceClient;
use aduan_runtime::Error;
use aduan_runtime::auth::Role;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::public::{forbidden, form_token_ok, message, unavailable, with_form_cookie};
use crate::store::SessionRow;
use crate::views::{self, AccountLine, FieldError, Home, Page, QueueLine, SignIn, Users};
use crate::{AccountSpec, Console, Peer, i18n, now, oidc, security};

/// Window of the per-account throttle, in seconds.
const FAILURE_WINDOW: i64 = 15 * 60;

/// The live session of the request: None when there is none, or it passed its idle or absolute
/// end (then it is deleted), or its tokens at the identity provider can no longer be renewed.
/// The session carries the person's token for the services' calls.
pub(crate) async fn session(c: &Console, headers: &HeaderMap) -> Option<SessionRow> {
    // A session handed to a citizen for the survey opens no staff page: the officer signs in
    // again to take the tablet back.
    session_any(c, headers)
        .await
        .filter(|s| s.kiosk_complaint.is_empty())
}

/// The session handed to a citizen for `complaint`'s survey (the desk's tablet), while it lasts.
pub(crate) async fn kiosk(c: &Console, headers: &HeaderMap, complaint: &str) -> Option<SessionRow> {
    session_any(c, headers)
        .await
        .filter(|s| s.kiosk_complaint == complaint && s.kiosk_until > now())
}

/// The signed-in session of the request, whatever it is for.
async fn session_any(c: &Console, headers: &HeaderMap) -> Option<SessionRow> {
    let raw = security::cookie(headers, security::SESSION_COOKIE)?;
    let id_hash = security::sha256_hex(raw);
    let mut s = c.store.session(&id_hash).await.ok()??;
    let (idle, absolute) = c.limits();
    let t = now();
    if s.last_seen + idle < t || s.created_at + absolute < t || s.user.disabled {
        let _ = c.store.delete_session(&id_hash).await;
        return None;
    }
    if t - s.last_seen >= 60 {
        let _ = c.store.touch_session(&id_hash, t).await;
    }
    let token = match &c.oidc {
        None => c.person_token(&s.user, s.created_at).ok(),
        Some(o) => provider_token(c, o, raw, &mut s).await,
    };
    let Some(token) = token else {
        let _ = c.store.delete_session(&id_hash).await;
        return None;
    };
    s.token = token;
    s.unread = crate::notify::unread(c, &s).await;
    Some(s)
}

/// The session's access token from the identity provider, renewed with the refresh token when
/// it ends within 30 s (the account's roles follow the new token). None: sign in again.
async fn provider_token(
    c: &Console,
    o: &oidc::Oidc,
    raw: &str,
    s: &mut SessionRow,
) -> Option<String> {
    let tokens: oidc::Tokens = security::open_json(raw, &s.id_hash, &s.tokens)?;
    if !oidc::Oidc::due(&tokens) {
        return Some(tokens.access);
    }
    match o.refresh(&tokens).await {
        Ok((fresh, principal)) => {
            let sealed = security::seal_json(raw, &s.id_hash, &fresh)?;
            c.store.set_tokens(&s.id_hash, &sealed).await.ok()?;
            let roles: Vec<String> = principal
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect();
            let bidang = principal.bidang.clone().unwrap_or_default();
            let _ = c
                .store
                .set_provider_roles(&s.user.id, &roles, &principal.office, &bidang)
                .await;
            s.user.roles = roles;
            s.user.office_code = principal.office.clone();
            s.user.bidang = bidang;
            metrics::counter!("aduan_console_token_refresh_total", "outcome" => "renewed")
                .increment(1);
            Some(fresh.access)
        }
        Err(e) => {
            tracing::info!(error = %e, "console: the session's token was not renewed; sign in again");
            metrics::counter!("aduan_console_token_refresh_total", "outcome" => "refused")
                .increment(1);
            None
        }
    }
}

pub(crate) fn to_sign_in() -> Response {
    Redirect::to("/staf/masuk").into_response()
}

fn sign_in_page(
    c: &Console,
    status: StatusCode,
    csrf: &str,
    username: &str,
    notice: Option<&str>,
) -> Response {
    views::render(
        status,
        &SignIn {
            page: Page::public(&c.cat, "signin.title"),
            csrf: csrf.to_string(),
            username: username.chars().take(40).collect(),
            notice: notice.map(|k| c.cat.t(k).to_string()),
            provider: c.oidc.is_some(),
        },
    )
}

/// GET `/staf/masuk`.
pub async fn sign_in_form(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    if session(&c, &headers).await.is_some() {
        return Redirect::to("/staf/").into_response();
    }
    if c.oidc.is_some() {
        return sign_in_page(&c, StatusCode::OK, "", "", None);
    }
    let (token, new) = match security::cookie(&headers, security::CSRF_COOKIE) {
        Some(v) => (v.to_string(), false),
        None => (security::random_token(), true),
    };
    with_form_cookie(
        &c,
        sign_in_page(&c, StatusCode::OK, &token, "", None),
        &token,
        new,
    )
}

/// POST `/staf/masuk`: throttled per address (per minute) and per account (failures within 15
/// minutes); every refusal reads the same, whether the name exists or not.
pub async fn sign_in(
    State(c): State<Arc<Console>>,
    peer: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if c.oidc.is_some() {
        return Redirect::to("/staf/masuk").into_response();
    }
    let token = security::cookie(&headers, security::CSRF_COOKIE)
        .unwrap_or("")
        .to_string();
    let username = f
        .get("nama")
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default();
    if !form_token_ok(&headers, f.get("csrf")) {
        let fresh = security::random_token();
        return with_form_cookie(
            &c,
            sign_in_page(
                &c,
                StatusCode::FORBIDDEN,
                &fresh,
                &username,
                Some("signin.expired"),
            ),
            &fresh,
            true,
        );
    }
    if let Some(ip) = c.client(peer.0, &headers)
        && !c.sign_in_limiter.check(&ip)
    {
        return sign_in_page(
            &c,
            StatusCode::TOO_MANY_REQUESTS,
            &token,
            &username,
            Some("signin.too_many"),
        );
    }
    let password = f.get("sandi").cloned().unwrap_or_default();
    let user = if username.len() <= 40 && password.len() <= 256 {
        c.store.user_by_username(&username).await.ok().flatten()
    } else {
        None
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| security::dummy_hash().to_string());
    let pw = password.clone();
    let good = tokio::task::spawn_blocking(move || security::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let t = now();
    let Some(user) = user else {
        return sign_in_page(
            &c,
            StatusCode::UNAUTHORIZED,
            &token,
            &username,
            Some("signin.failed"),
        );
    };
    let throttled = user.failures >= i64::from(c.cfg.sign_in_failures_per_account)
        && user.failures_since + FAILURE_WINDOW > t;
    if throttled || !good || user.disabled {
        if !good && !throttled {
            let _ = c.store.record_failure(&user.id, t, FAILURE_WINDOW).await;
        }
        tracing::info!(outcome = "refused", "console: sign-in");
        metrics::counter!("aduan_console_sign_in_total", "outcome" => "refused").increment(1);
        return sign_in_page(
            &c,
            StatusCode::UNAUTHORIZED,
            &token,
            &username,
            Some("signin.failed"),
        );
    }
    let _ = c.store.clear_failures(&user.id).await;
    // A new id at every sign-in: a session id planted before cannot be carried over.
    let raw = security::random_token();
    let csrf = security::random_token();
    if let Err(e) = c
        .store
        .create_session(&security::sha256_hex(&raw), &user.id, &csrf, "", t)
        .await
    {
        tracing::error!(error = %e, "console: session not stored");
        return unavailable(&c);
    }
    metrics::counter!("aduan_console_sign_in_total", "outcome" => "signed_in").increment(1);
    let to = if user.must_change_password {
        "/staf/sandi"
    } else {
        "/staf/"
    };
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie(security::SESSION_COOKIE, &raw, c.secure, None),
    );
    res
}

/// GET `/staf/masuk/idp`: starts a sign-in at the identity provider (authorization code with
/// PKCE): the PKCE verifier and the nonce wait in the database, sealed under a key from a new
/// cookie of this browser, found by the state's hash.
pub async fn provider_start(
    State(c): State<Arc<Console>>,
    peer: Peer,
    headers: HeaderMap,
) -> Response {
    let Some(o) = &c.oidc else {
        return crate::public::not_found(State(c.clone())).await;
    };
    if let Some(ip) = c.client(peer.0, &headers)
        && !c.sign_in_limiter.check(&ip)
    {
        return sign_in_page(
            &c,
            StatusCode::TOO_MANY_REQUESTS,
            "",
            "",
            Some("signin.too_many"),
        );
    }
    let (url, state, pending) = match o.start().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "console: the identity provider is unavailable");
            return sign_in_page(
                &c,
                StatusCode::SERVICE_UNAVAILABLE,
                "",
                "",
                Some("signin.provider_down"),
            );
        }
    };
    let browser = security::random_token();
    let state_hash = security::sha256_hex(&state);
    let sealed = security::seal_json(&browser, &state_hash, &pending).unwrap_or_default();
    if sealed.is_empty()
        || c.store
            .put_pending(&state_hash, &sealed, now())
            .await
            .is_err()
    {
        return unavailable(&c);
    }
    let mut res = Redirect::to(&url).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie(
            security::IDP_COOKIE,
            &browser,
            c.secure,
            Some(oidc::PENDING_SECONDS),
        ),
    );
    res
}

/// GET `/staf/masuk/kembali?code=…&state=…`: the provider sends the browser back. The state is
/// taken once, must be this browser's and younger than ten minutes; the code is exchanged with the
/// PKCE verifier; the ID token and the access token are checked; the person's account (id
/// `oidc:<sub>`) takes the roles, office and Bidang of the access token, and a new session starts.
pub async fn provider_callback(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some(o) = &c.oidc else {
        return crate::public::not_found(State(c.clone())).await;
    };
    let refuse = |status, key| {
        let mut res = sign_in_page(&c, status, "", "", Some(key));
        res.headers_mut().append(
            header::SET_COOKIE,
            security::set_cookie(security::IDP_COOKIE, "", c.secure, Some(0)),
        );
        res
    };
    let state = q.get("state").map(String::as_str).unwrap_or("");
    if state.is_empty() || state.len() > 256 {
        return refuse(StatusCode::BAD_REQUEST, "signin.expired");
    }
    let state_hash = security::sha256_hex(state);
    let Ok(Some((sealed, started))) = c.store.take_pending(&state_hash).await else {
        return refuse(StatusCode::BAD_REQUEST, "signin.expired");
    };
    let browser = security::cookie(&headers, security::IDP_COOKIE).unwrap_or("");
    let pending: Option<oidc::Pending> = security::open_json(browser, &state_hash, &sealed);
    let Some(pending) = pending.filter(|_| started + oidc::PENDING_SECONDS > now()) else {
        return refuse(StatusCode::BAD_REQUEST, "signin.expired");
    };
    if q.contains_key("error") {
        return refuse(StatusCode::UNAUTHORIZED, "signin.provider_refused");
    }
    let code = q.get("code").map(String::as_str).unwrap_or("");
    if code.is_empty() || code.len() > 4096 {
        return refuse(StatusCode::BAD_REQUEST, "signin.expired");
    }
    let signed = match o.finish(code, pending).await {
        Ok(v) => v,
        Err(Error::PermissionDenied(why)) => {
            tracing::info!(outcome = "no_role", why = %why, "console: sign-in at the provider");
            metrics::counter!("aduan_console_sign_in_total", "outcome" => "no_role").increment(1);
            return refuse(StatusCode::FORBIDDEN, "signin.no_role");
        }
        Err(Error::Unavailable(why)) => {
            tracing::warn!(why = %why, "console: the identity provider is unavailable");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "signin.provider_down");
        }
        Err(e) => {
            tracing::info!(outcome = "refused", error = %e, "console: sign-in at the provider");
            metrics::counter!("aduan_console_sign_in_total", "outcome" => "refused").increment(1);
            return refuse(StatusCode::UNAUTHORIZED, "signin.provider_refused");
        }
    };
    let p = &signed.principal;
    let roles: Vec<String> = p.roles.iter().map(|r| r.as_str().to_string()).collect();
    let t = now();
    let user_id = match c
        .store
        .upsert_provider_user(
            &signed.tokens.subject,
            &signed.username,
            &signed.name,
            &roles,
            &p.office,
            p.bidang.as_deref().unwrap_or(""),
            t,
        )
        .await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "console: account not stored");
            return unavailable(&c);
        }
    };
    // A new id at every sign-in; the tokens sealed under a key from the cookie's value.
    let raw = security::random_token();
    let id_hash = security::sha256_hex(&raw);
    let csrf = security::random_token();
    let tokens = security::seal_json(&raw, &id_hash, &signed.tokens).unwrap_or_default();
    if tokens.is_empty()
        || c.store
            .create_session(&id_hash, &user_id, &csrf, &tokens, t)
            .await
            .is_err()
    {
        return unavailable(&c);
    }
    tracing::info!(outcome = "signed_in", "console: sign-in at the provider");
    metrics::counter!("aduan_console_sign_in_total", "outcome" => "signed_in").increment(1);
    let mut res = Redirect::to("/staf/").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        security::set_cookie(security::SESSION_COOKIE, &raw, c.secure, None),
    );
    h.append(
        header::SET_COOKIE,
        security::set_cookie(security::IDP_COOKIE, "", c.secure, Some(0)),
    );
    res
}

/// POST `/staf/keluar`: ends the session (CSRF-checked) and deletes the cookie.
pub async fn sign_out(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut to = "/staf/masuk".to_string();
    if let Some(s) = session(&c, &headers).await {
        if !f.get("csrf").is_some_and(|v| security::same(v, &s.csrf)) {
            return message(
                &c,
                StatusCode::FORBIDDEN,
                "error.forbidden_title",
                "error.csrf_body",
            );
        }
        let _ = c.store.delete_session(&s.id_hash).await;
        // With the identity provider, its session ends too (RP-initiated logout).
        if let Some(o) = &c.oidc {
            let raw = security::cookie(&headers, security::SESSION_COOKIE).unwrap_or("");
            let tokens: Option<oidc::Tokens> = security::open_json(raw, &s.id_hash, &s.tokens);
            if let Some(url) = o.logout_url(tokens.as_ref()).await {
                to = url;
            }
        }
    }
    let mut res = Redirect::to(&to).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie(security::SESSION_COOKIE, "", c.secure, Some(0)),
    );
    res
}

fn password_page(
    c: &Console,
    s: &SessionRow,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> Response {
    views::render(
        status,
        &views::Password {
            page: Page::staff(&c.cat, "password.title", s),
            csrf: s.csrf.clone(),
            must_change: s.user.must_change_password,
            errors,
        },
    )
}

/// GET `/staf/sandi`.
pub async fn password_form(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    match session(&c, &headers).await {
        // Passwords of the identity provider's accounts are the provider's.
        Some(_) if c.oidc.is_some() => Redirect::to("/staf/").into_response(),
        Some(s) => password_page(&c, &s, StatusCode::OK, Vec::new()),
        None => to_sign_in(),
    }
}

/// POST `/staf/sandi`: the current password, and a new one of 12-256 characters typed twice.
/// Every other session of the account ends.
pub async fn change_password(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(s) = session(&c, &headers).await else {
        return to_sign_in();
    };
    if c.oidc.is_some() {
        return Redirect::to("/staf/").into_response();
    }
    if !f.get("csrf").is_some_and(|v| security::same(v, &s.csrf)) {
        return message(
            &c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "error.csrf_body",
        );
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (old, new, again) = (get("lama"), get("baru"), get("ulang"));
    let mut errors = Vec::new();
    let hash = s.user.password_hash.clone();
    let old_ok = old.len() <= 256
        && tokio::task::spawn_blocking(move || security::verify_password(&old, &hash))
            .await
            .unwrap_or(false);
    if !old_ok {
        errors.push(FieldError {
            field: "lama".into(),
            message: c.cat.t("password.err_old").into(),
        });
    }
    let n = new.chars().count();
    if !(12..=256).contains(&n) {
        errors.push(FieldError {
            field: "baru".into(),
            message: c.cat.t("password.err_length").into(),
        });
    } else if security::same(&new, &get("lama")) {
        errors.push(FieldError {
            field: "baru".into(),
            message: c.cat.t("password.err_same").into(),
        });
    }
    if new != again {
        errors.push(FieldError {
            field: "ulang".into(),
            message: c.cat.t("password.err_again").into(),
        });
    }
    if !errors.is_empty() {
        return password_page(&c, &s, StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    let hash = match tokio::task::spawn_blocking(move || security::hash_password(&new)).await {
        Ok(Ok(h)) => h,
        _ => {
            return unavailable(&c);
        }
    };
    if c.store
        .set_password(&s.user.id, &hash, false, &s.id_hash)
        .await
        .is_err()
    {
        return unavailable(&c);
    }
    Redirect::to("/staf/").into_response()
}

pub(crate) fn roles_of(s: &SessionRow) -> Vec<Role> {
    s.user.roles.iter().filter_map(|r| Role::parse(r)).collect()
}

fn office_name(c: &Console, code: &str) -> String {
    match c.refdata.office(code) {
        Some(o) => o.name.clone(),
        None if code == c.province => c.cat.t("home.province").to_string(),
        None => code.to_string(),
    }
}

/// A call with the signed-in person's token.
pub(crate) fn bearer<T>(s: &SessionRow, msg: T) -> Result<tonic::Request<T>, Error> {
    with_token(&s.token, msg)
}

/// A call with a token already minted (a page that makes several calls mints it once).
pub(crate) fn with_token<T>(token: &str, msg: T) -> Result<tonic::Request<T>, Error> {
    let mut req = tonic::Request::new(msg);
    let v = format!("Bearer {token}")
        .parse()
        .map_err(|_| Error::Internal("token header".into()))?;
    req.metadata_mut().insert("authorization", v);
    Ok(req)
}

/// Days as "1,5 hari kerja".
fn working_days(d: f64) -> String {
    aduan_documents::angka(d, 1)
}

/// GET `/staf/`: the home page of the signed-in person's roles: what needs action now, what is
/// near or past the SLA due date.
pub async fn home(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let Some(s) = session(&c, &headers).await else {
        return to_sign_in();
    };
    if s.user.must_change_password {
        return Redirect::to("/staf/sandi").into_response();
    }
    let roles = roles_of(&s);
    let office = s.user.office_code.clone();
    let tz = c.tz(&office);
    let mut counts = Vec::new();
    let mut queue = Vec::new();
    let mut queue_more = false;
    let mut queue_title = String::new();
    let mut notice = None;
    let desk = roles.contains(&Role::ComplaintsOfficer) || roles.contains(&Role::Head);
    if desk {
        queue_title = c
            .cat
            .t(if roles.contains(&Role::ComplaintsOfficer) {
                "home.queue_officer"
            } else {
                "home.queue_head"
            })
            .to_string();
        let q = tpb::ListQueueRequest {
            office_code: office.clone(),
            include_waiting: true,
            urgent_only: false,
            page_size: 50,
            page_token: String::new(),
        };
        let unmet = ipb::ListComplaintsRequest {
            office_code: office.clone(),
            unmet_requirements: (1..=6).collect(),
            statuses: vec![aduan_proto::common::v1::ComplaintStatus::Registered as i32],
            page_size: 100,
            ..Default::default()
        };
        // One token for both calls, made at once: the page waits for the slower, not the sum.
        // (A token that cannot be minted is empty: the services refuse it, the page says so.)
        let token = s.token.clone();
        let queue_call = async {
            Ok::<_, Error>(
                TriageServiceClient::new(c.triage.clone())
                    .list_queue(with_token(&token, q)?)
                    .await
                    .map_err(|e| Error::Unavailable(e.message().to_string()))?
                    .into_inner(),
            )
        };
        let unmet_call = async {
            Ok::<_, Error>(
                IntakeServiceClient::new(c.intake.clone())
                    .list_complaints(with_token(&token, unmet)?)
                    .await
                    .map_err(|e| Error::Unavailable(e.message().to_string()))?
                    .into_inner(),
            )
        };
        let calls = async { tokio::try_join!(queue_call, unmet_call) };
        match calls.await {
            Ok((q, u)) => {
                let waiting_head = q
                    .entries
                    .iter()
                    .filter(|e| {
                        e.status
                            == aduan_proto::common::v1::ComplaintStatus::AwaitingDisposition as i32
                    })
                    .count();
                let near = q
                    .entries
                    .iter()
                    .filter(|e| {
                        e.sla
                            .as_ref()
                            .is_some_and(|s| matches!(s.state.as_str(), "warning" | "breached"))
                    })
                    .count();
                counts.push((
                    c.cat.t("home.count_waiting").to_string(),
                    i18n::number(i64::from(q.waiting_total)),
                    String::new(),
                ));
                counts.push((
                    c.cat.t("home.count_head").to_string(),
                    i18n::number(waiting_head as i64),
                    String::new(),
                ));
                counts.push((
                    c.cat.t("home.count_near_due").to_string(),
                    i18n::number(near as i64),
                    String::new(),
                ));
                let missing = if u.next_page_token.is_empty() {
                    i18n::number(u.complaints.len() as i64)
                } else {
                    format!("{}+", i18n::number(u.complaints.len() as i64))
                };
                counts.push((
                    c.cat.t("home.count_missing").to_string(),
                    missing,
                    "/staf/pengaduan/kurang".to_string(),
                ));
                queue_more = !q.next_page_token.is_empty();
                // The Head's inbox: what waits for the disposition (S6-S7).
                let head_only = !roles.contains(&Role::ComplaintsOfficer);
                for e in q.entries.into_iter().take(50).filter(|e| {
                    !head_only
                        || e.status
                            == aduan_proto::common::v1::ComplaintStatus::AwaitingDisposition as i32
                }) {
                    let sla = e.sla.unwrap_or_default();
                    let due = sla
                        .due_at
                        .as_ref()
                        .and_then(aduan_runtime::time::from_proto)
                        .map(|t| i18n::date_time(t, &tz))
                        .unwrap_or_else(|| "-".into());
                    let state = if sla.state.is_empty() {
                        "on_track".to_string()
                    } else {
                        sla.state.clone()
                    };
                    queue.push(QueueLine {
                        link: format!("/staf/pengaduan/{}", e.complaint_id),
                        registration_number: e.registration_number,
                        category: c
                            .refdata
                            .category(&e.category_code)
                            .map(|k| k.label.clone())
                            .unwrap_or_else(|| "-".into()),
                        status: c
                            .cat
                            .t(crate::public::status_key(
                                aduan_proto::common::v1::ComplaintStatus::try_from(e.status)
                                    .unwrap_or_default(),
                            ))
                            .to_string(),
                        urgent: e.urgent,
                        age: format!(
                            "{} {}",
                            working_days(e.age_working_days),
                            c.cat.t("home.working_days")
                        ),
                        due,
                        sla_label: c.cat.t(sla_key(&state)).to_string(),
                        sla_state: state,
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "console: the home page's queue is unavailable");
                notice = Some(c.cat.t("home.unavailable").to_string());
            }
        }
    }
    if roles.iter().any(|r| r.is_bidang()) && !desk {
        queue_title = c.cat.t("home.queue_bidang").to_string();
        match bidang_cases(&c, &s, &tz).await {
            Ok((lines, total, more)) => {
                counts.push((
                    c.cat.t("home.count_bidang").to_string(),
                    i18n::number(i64::from(total)),
                    String::new(),
                ));
                counts.push((
                    c.cat.t("home.count_overdue").to_string(),
                    i18n::number(lines.iter().filter(|l| l.sla_state == "breached").count() as i64),
                    String::new(),
                ));
                queue = lines;
                queue_more = more;
            }
            Err(e) => {
                tracing::warn!(error = %e, "console: the Bidang's cases are unavailable");
                notice = Some(c.cat.t("home.unavailable").to_string());
            }
        }
    }
    let page = Home {
        page: Page::staff(&c.cat, "home.title", &s),
        name: s.user.display_name.clone(),
        roles: roles
            .iter()
            .map(|r| c.cat.t(role_key(*r)).to_string())
            .collect(),
        office_name: office_name(&c, &office),
        counts,
        queue_title,
        queue,
        queue_more,
        bidang_list: roles.iter().any(|r| r.is_bidang()) && !desk,
        is_admin: roles.contains(&Role::Operator),
        operations: roles.contains(&Role::Operator) || roles.contains(&Role::RelayAdmin),
        can_register: roles.contains(&Role::ComplaintsOfficer),
        dashboard: roles.iter().any(|r| {
            matches!(
                r,
                Role::Head
                    | Role::ComplaintsOfficer
                    | Role::ReportingOfficer
                    | Role::ProvincialAnalyst
            )
        }),
        follow_up: roles.iter().any(|r| {
            r.is_bidang()
                || matches!(
                    r,
                    Role::ComplaintsOfficer | Role::Head | Role::ReportingOfficer
                )
        }),
        notice,
    };
    views::render(StatusCode::OK, &page)
}

/// The Bidang's cases (S8 onwards), newest change first: (lines, total, more pages).
async fn bidang_cases(
    c: &Console,
    s: &SessionRow,
    tz: &jiff::tz::TimeZone,
) -> Result<(Vec<QueueLine>, i32, bool), Error> {
    use aduan_proto::investigation::v1 as vpb;
    use aduan_proto::investigation::v1::investigation_service_client::InvestigationServiceClient;
    let req = vpb::ListCasesRequest {
        office_code: s.user.office_code.clone(),
        page_size: 50,
        ..Default::default()
    };
    let r = InvestigationServiceClient::new(c.investigation.clone())
        .list_cases(bearer(s, req)?)
        .await
        .map_err(|e| Error::Unavailable(e.message().to_string()))?
        .into_inner();
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let lines = r
        .cases
        .into_iter()
        .map(|k| {
            let due = k.due_date.as_ref().and_then(|d| {
                jiff::civil::Date::new(
                    i16::try_from(d.year).ok()?,
                    i8::try_from(d.month).ok()?,
                    i8::try_from(d.day).ok()?,
                )
                .ok()
            });
            let state = if k.overdue {
                "breached"
            } else if due.is_some_and(|d| d <= today) {
                "warning"
            } else {
                "on_track"
            };
            let opened = k
                .opened_at
                .as_ref()
                .and_then(aduan_runtime::time::from_proto)
                .map(|t| i18n::date_time(t, tz))
                .unwrap_or_default();
            QueueLine {
                registration_number: if k.registration_number.is_empty() {
                    k.complaint_id.chars().take(8).collect()
                } else {
                    k.registration_number.clone()
                },
                link: format!("/staf/kasus/{}", k.complaint_id),
                category: c
                    .refdata
                    .category(&k.category_code)
                    .map(|x| x.label.clone())
                    .unwrap_or_else(|| "-".into()),
                status: c
                    .cat
                    .t(crate::public::status_key(
                        aduan_proto::common::v1::ComplaintStatus::try_from(k.status)
                            .unwrap_or_default(),
                    ))
                    .to_string(),
                urgent: false,
                age: opened,
                due: due.map(i18n::date).unwrap_or_else(|| "-".into()),
                sla_label: c.cat.t(sla_key(state)).to_string(),
                sla_state: state.to_string(),
            }
        })
        .collect();
    Ok((lines, r.total, !r.next_page_token.is_empty()))
}

pub(crate) fn sla_key(state: &str) -> &'static str {
    match state {
        "warning" => "sla.warning",
        "breached" => "sla.breached",
        "paused" => "sla.paused",
        "stopped" => "sla.stopped",
        _ => "sla.on_track",
    }
}

/// The catalogue key of a role's name.
pub fn role_key(r: Role) -> &'static str {
    match r {
        Role::ComplaintsOfficer => "role.complaints_officer",
        Role::Head => "role.head",
        Role::BidangHead => "role.bidang_head",
        Role::BidangOfficer => "role.bidang_officer",
        Role::Counsellor => "role.counsellor",
        Role::Mediator => "role.mediator",
        Role::SocialWorker => "role.social_worker",
        Role::ReportingOfficer => "role.reporting_officer",
        Role::ProvincialAnalyst => "role.provincial_analyst",
        Role::Operator => "role.operator",
        Role::RelayAdmin => "role.relay_admin",
        Role::PartnerAgency => "role.partner_agency",
        Role::Service => "role.service",
    }
}

/// The roles a console account may hold (people, not API clients).
const PEOPLE_ROLES: [Role; 11] = [
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
];

async fn users_page(
    c: &Console,
    s: &SessionRow,
    status: StatusCode,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    created: Option<(String, String)>,
) -> Response {
    let accounts = c
        .store
        .list_users(1000)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| AccountLine {
            roles: u
                .roles
                .iter()
                .filter_map(|r| Role::parse(r))
                .map(|r| c.cat.t(role_key(r)).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            office: office_name(c, &u.office_code),
            bidang: c
                .refdata
                .bidang(&u.bidang)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            state: c
                .cat
                .t(if u.disabled {
                    "users.state_disabled"
                } else if u.must_change_password {
                    "users.state_new"
                } else {
                    "users.state_active"
                })
                .to_string(),
            username: u.username,
            display_name: u.display_name,
        })
        .collect();
    let picked = |k: &str| values.get(k).cloned().unwrap_or_default();
    let role = picked("peran");
    let office = picked("kantor");
    let bidang = picked("bidang");
    let mut offices: Vec<_> = c
        .refdata
        .offices()
        .into_iter()
        .map(|o| {
            (
                o.code.clone(),
                format!("{} ({})", o.name, o.code),
                o.code == office,
            )
        })
        .collect();
    offices.insert(
        0,
        (
            c.province.clone(),
            c.cat.t("home.province").to_string(),
            office == c.province,
        ),
    );
    views::render(
        status,
        &Users {
            page: Page::staff(&c.cat, "users.title", s),
            csrf: s.csrf.clone(),
            accounts,
            roles: PEOPLE_ROLES
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_string(),
                        c.cat.t(role_key(*r)).to_string(),
                        r.as_str() == role,
                    )
                })
                .collect(),
            offices,
            bidang: c
                .refdata
                .bidang_list()
                .iter()
                .map(|b| (b.code.clone(), b.name.clone(), b.code == bidang))
                .collect(),
            values,
            errors,
            created,
            provider: c.oidc.is_some(),
        },
    )
}

/// The session of an operator (the administrator), or the answer to give instead.
async fn admin(c: &Console, headers: &HeaderMap) -> Result<SessionRow, Response> {
    let Some(s) = session(c, headers).await else {
        return Err(to_sign_in());
    };
    if s.user.must_change_password {
        return Err(Redirect::to("/staf/sandi").into_response());
    }
    if !roles_of(&s).contains(&Role::Operator) {
        return Err(forbidden(c));
    }
    Ok(s)
}

/// GET `/staf/pengguna`: the accounts (operators only).
pub async fn users(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    match admin(&c, &headers).await {
        Ok(s) => users_page(&c, &s, StatusCode::OK, HashMap::new(), Vec::new(), None).await,
        Err(r) => r,
    }
}

/// POST `/staf/pengguna`: creates an account with a one-time password, shown once.
pub async fn create_user(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match admin(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if c.oidc.is_some() {
        return message(
            &c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "users.at_provider",
        );
    }
    if !f.get("csrf").is_some_and(|v| security::same(v, &s.csrf)) {
        return message(
            &c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "error.csrf_body",
        );
    }
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let spec = AccountSpec {
        username: get("nama_pengguna").to_lowercase(),
        display_name: get("nama"),
        roles: Role::parse(&get("peran"))
            .filter(|r| PEOPLE_ROLES.contains(r))
            .into_iter()
            .collect(),
        office: get("kantor"),
        bidang: get("bidang"),
    };
    let mut values = f.clone();
    values.remove("csrf");
    match crate::add_user(&c.store, &c.refdata, &spec, &s.user.id).await {
        Ok(password) => {
            tracing::info!(by = %s.user.id, "console: account created");
            users_page(
                &c,
                &s,
                StatusCode::OK,
                HashMap::new(),
                Vec::new(),
                Some((spec.username, password)),
            )
            .await
        }
        Err(Error::InvalidArgument(vs)) => {
            let errors = vs
                .iter()
                .map(|v| {
                    let (field, key) = match v.field.as_str() {
                        "username" => ("nama_pengguna", "users.err_username"),
                        "name" => ("nama", "users.err_name"),
                        "role" => ("peran", "users.err_role"),
                        "office" => ("kantor", "users.err_office"),
                        _ => ("bidang", "users.err_bidang"),
                    };
                    FieldError {
                        field: field.into(),
                        message: c.cat.t(key).into(),
                    }
                })
                .collect();
            users_page(
                &c,
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                errors,
                None,
            )
            .await
        }
        Err(Error::AlreadyExists(_)) => {
            let errors = vec![FieldError {
                field: "nama_pengguna".into(),
                message: c.cat.t("users.err_taken").into(),
            }];
            users_page(&c, &s, StatusCode::CONFLICT, values, errors, None).await
        }
        Err(e) => {
            tracing::error!(error = %e, "console: account not created");
            unavailable(&c)
        }
    }
}
