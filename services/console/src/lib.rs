//! The aduan web console (issue 14): the public portal (submit a complaint, follow it by its
//! tracking code) and the staff pages, rendered on the server with askama templates. Every page
//! works without JavaScript; htmx (vendored) only adds partial updates. The console reads and
//! writes the services' records only through their gRPC APIs, with the signed-in person's token
//! (local accounts) or, for the public form, its own service identity (channel WEB).
//!
//! Paths: `/` (submit), `/lacak` and `/lacak/<code>` (track), `/staf/…` (staff, sign-in at
//! `/staf/masuk`), `/healthz`, `/aset/…` (assets). docs/console.md describes the pages per role,
//! the sign-in modes, and the session and CSRF design.

mod bidang;
mod case;
mod casework;
pub mod config;
mod dashboard;
mod desk;
mod followup;
pub mod i18n;
mod notify;
pub mod oidc;
mod operations;
mod public;
pub mod security;
mod staff;
pub mod store;
mod views;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use aduan_runtime::auth::{Claims, LocalSigner, Role, ServiceTokens};
use aduan_runtime::config::Config;

pub use crate::config::{ConsoleConfig, OidcConfig};
use aduan_runtime::ratelimit::{Cidr, RateLimiter};
use aduan_runtime::{Error, Result};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use tonic::transport::Channel;

pub use store::{MIGRATIONS, NewUser, Store, UserRow};

/// Where the console reaches the services.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The intake service, e.g. `http://127.0.0.1:50051`.
    pub intake: String,
    /// The triage service.
    pub triage: String,
    /// The investigation service (the Bidang's cases).
    pub investigation: String,
    /// The feedback service (delivery of the response, feedback, the survey: S13-S14).
    pub feedback: String,
    /// The reporting service (timelines, the disposition sheet as PDF).
    pub reporting: String,
}

/// The console's state, shared by every request.
pub struct Console {
    cfg: ConsoleConfig,
    province: String,
    store: Store,
    cat: i18n::Catalogue,
    refdata: Arc<aduan_refdata::RefData>,
    issuer: String,
    audience: String,
    max_token_hours: u64,
    /// Signs the signed-in person's tokens (local accounts of the embedded default); None when
    /// staff sign in at the identity provider, whose access tokens the console carries.
    people: Option<LocalSigner>,
    /// Sign-in at the province's identity provider (cluster mode).
    oidc: Option<oidc::Oidc>,
    /// The console's own identity, for the public form's submissions.
    service: ServiceTokens,
    intake: Channel,
    triage: Channel,
    investigation: Channel,
    feedback: Channel,
    reporting: Channel,
    secure: bool,
    trusted: Vec<Cidr>,
    track_limiter: RateLimiter<IpAddr>,
    sign_in_limiter: RateLimiter<IpAddr>,
}

/// The first administrator, created on the first start with no account: its one-time password
/// is shown once (`aduan up` prints it) and must be changed at the first sign-in.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// The sign-in name ("admin").
    pub username: String,
    /// The one-time password.
    pub password: String,
}

/// A new account as the CLI and the administrator's page give it.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    /// Sign-in name: 3-40 characters of a-z 0-9 . _ -.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Roles (not `service` or `partner_agency`: those are API clients, not people).
    pub roles: Vec<Role>,
    /// Office code, or the province code for province-wide roles.
    pub office: String,
    /// Bidang code, required for the Bidang roles.
    pub bidang: String,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The console's database URL: `console.database_url`, or `sqlite:<data_dir>/console.db`.
pub fn database_url(config: &Config, own: &ConsoleConfig) -> String {
    config.database_url("console", &own.database_url)
}

/// Checks an account's fields against the reference data: INVALID_ARGUMENT names each bad one.
pub fn check_account(spec: &AccountSpec, refdata: &aduan_refdata::RefData) -> Result<()> {
    let mut v = aduan_runtime::error::Violations::new();
    let name_ok = (3..=40).contains(&spec.username.len())
        && spec.username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !name_ok {
        v.add("username", "3-40 characters of a-z 0-9 . _ -");
    }
    let display = spec.display_name.trim();
    if display.is_empty() || display.chars().count() > 100 {
        v.add("name", "required, at most 100 characters");
    }
    if spec.roles.is_empty() {
        v.add("role", "at least one role");
    }
    if spec
        .roles
        .iter()
        .any(|r| matches!(r, Role::Service | Role::PartnerAgency))
    {
        v.add(
            "role",
            "service and partner_agency are API clients, not console accounts",
        );
    }
    let province_wide = spec
        .roles
        .iter()
        .all(|r| matches!(r, Role::ProvincialAnalyst | Role::Operator));
    let office_ok = refdata.office(&spec.office).is_some()
        || (province_wide && !spec.office.contains('.') && !spec.office.is_empty());
    if !office_ok {
        v.add("office", "an office code of the province, e.g. 35.27");
    }
    let needs_bidang = spec.roles.iter().any(|r| r.is_bidang());
    if needs_bidang && refdata.bidang(&spec.bidang).is_none() {
        v.add("bidang", "the Bidang roles need a known Bidang code");
    }
    if !needs_bidang && !spec.bidang.is_empty() && refdata.bidang(&spec.bidang).is_none() {
        v.add("bidang", "unknown Bidang code");
    }
    v.into_result()
}

/// Creates an account with a one-time password (returned; it must be changed at the first
/// sign-in): `aduan user add` and the administrator's page.
pub async fn add_user(
    store: &Store,
    refdata: &aduan_refdata::RefData,
    spec: &AccountSpec,
    created_by: &str,
) -> Result<String> {
    check_account(spec, refdata)?;
    let password = security::one_time_password();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || security::hash_password(&pw))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(Error::Internal)?;
    store
        .create_user(
            &NewUser {
                username: spec.username.clone(),
                display_name: spec.display_name.trim().to_string(),
                password_hash: hash,
                roles: spec.roles.iter().map(|r| r.as_str().to_string()).collect(),
                office_code: spec.office.clone(),
                bidang: spec.bidang.clone(),
                created_by: created_by.to_string(),
            },
            now(),
        )
        .await?;
    Ok(password)
}

impl Console {
    /// Opens the console's database (migrations included), creates the first administrator when
    /// there is no account, and connects lazily to the services.
    pub async fn open(
        config: &Config,
        own: &ConsoleConfig,
        endpoints: &Endpoints,
    ) -> Result<(Arc<Console>, Option<FirstAdmin>)> {
        let local = aduan_runtime::auth::local_user_keys(&config.auth);
        let oidc = if own.oidc.issuer_url.is_empty() {
            if !local {
                return Err(Error::invalid(
                    "console.oidc.issuer_url",
                    "people's tokens come from an identity provider or a key file (auth.jwks_url, auth.key_file), so staff must sign in there: set console.oidc.issuer_url and console.oidc.client_id, or disable the console (console.listen = \"\")",
                ));
            }
            None
        } else {
            if local {
                return Err(Error::invalid(
                    "auth.jwks_url",
                    "with console.oidc.issuer_url the services must verify the provider's tokens: set auth.jwks_url, auth.issuer and auth.audience to the same provider",
                ));
            }
            let verifier = aduan_runtime::auth::Verifier::from_config(
                &config.auth,
                &config.data_dir,
                aduan_spine::relay::COMPONENTS,
            )
            .await?;
            Some(oidc::Oidc::new(&own.oidc, &own.public_url, verifier)?)
        };
        let store = Store::open(&database_url(config, own), own.max_connections).await?;
        let refdata = Arc::new(aduan_refdata::RefData::configured(config)?);
        let mut first = None;
        // Accounts of the identity provider are the provider's: no local administrator then.
        if oidc.is_none() && store.count_users().await? == 0 {
            let spec = AccountSpec {
                username: "admin".into(),
                display_name: "Administrator".into(),
                roles: vec![Role::Operator],
                office: config.province.clone(),
                bidang: String::new(),
            };
            match add_user(&store, &refdata, &spec, "first-start").await {
                Ok(password) => {
                    first = Some(FirstAdmin {
                        username: spec.username,
                        password,
                    })
                }
                // Another replica created it first.
                Err(Error::AlreadyExists(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let people = if oidc.is_none() {
            Some(LocalSigner::load_or_create(&config.data_dir)?)
        } else {
            None
        };
        let service = ServiceTokens::from_config(
            &config.auth,
            &config.data_dir,
            &config.province,
            "console",
        )?;
        let channel = |url: &str| {
            Channel::from_shared(url.to_string())
                .map(|c| c.connect_lazy())
                .map_err(|e| Error::invalid("endpoints", e.to_string()))
        };
        let trusted = Cidr::parse_list(&own.trusted_proxies)
            .map_err(|e| Error::invalid("console.trusted_proxies", e))?;
        let secure = own.public_url.starts_with("https://");
        let console = Console {
            cfg: own.clone(),
            province: config.province.clone(),
            store,
            cat: i18n::Catalogue::indonesian(),
            refdata,
            issuer: config.auth.issuer.clone(),
            audience: config.auth.audience.clone(),
            max_token_hours: config.auth.max_token_hours.max(1),
            people,
            oidc,
            service,
            intake: channel(&endpoints.intake)?,
            triage: channel(&endpoints.triage)?,
            investigation: channel(&endpoints.investigation)?,
            feedback: channel(&endpoints.feedback)?,
            reporting: channel(&endpoints.reporting)?,
            secure,
            trusted,
            track_limiter: RateLimiter::new(own.track_per_minute),
            sign_in_limiter: RateLimiter::new(own.sign_in_per_address_minute),
        };
        Ok((Arc::new(console), first))
    }

    /// Tells the console where it listens: without `console.public_url`, the identity provider
    /// sends the browser back to this address.
    pub fn serving_at(&self, addr: SocketAddr) {
        if let Some(o) = &self.oidc {
            o.serving_at(addr);
        }
    }

    /// The Content-Security-Policy of every answer (with the provider's origin among the form
    /// targets when staff sign in there).
    fn csp(&self) -> axum::http::HeaderValue {
        let policy = match &self.oidc {
            Some(o) => security::csp_with_provider(&o.origin()),
            None => security::CSP.to_string(),
        };
        axum::http::HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static(security::CSP))
    }

    /// True when staff sign in at the identity provider.
    pub fn signs_in_at_provider(&self) -> bool {
        self.oidc.is_some()
    }

    /// The store (tests, the CLI).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates an account against this console's reference data; returns its one-time password.
    pub async fn add_account(&self, spec: &AccountSpec, created_by: &str) -> Result<String> {
        add_user(&self.store, &self.refdata, spec, created_by).await
    }

    /// An office's time zone (WIB, WITA or WIT); UTC for a code that is no office.
    pub(crate) fn tz(&self, office: &str) -> jiff::tz::TimeZone {
        self.refdata
            .office(office)
            .map(|o| o.time_zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// (idle, absolute) session lifetimes in seconds.
    fn limits(&self) -> (i64, i64) {
        let idle = i64::from(self.cfg.session_idle_minutes.max(1)) * 60;
        let max_hours = u64::from(self.cfg.session_max_hours.max(1)).min(self.max_token_hours);
        (idle, max_hours as i64 * 3600)
    }

    /// A token of the signed-in person for a call to a service: their roles, office and Bidang,
    /// valid until the session's absolute end.
    fn person_token(&self, user: &UserRow, session_started: i64) -> Result<String> {
        let (_, absolute) = self.limits();
        let t = now();
        let people = self.people.as_ref().ok_or_else(|| {
            Error::Internal("no local signing key with an identity provider".into())
        })?;
        people.mint(&Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.id.clone(),
            exp: (session_started + absolute).max(t + 60) as u64,
            iat: t as u64,
            office: user.office_code.clone(),
            roles: user.roles.clone(),
            bidang: (!user.bidang.is_empty()).then(|| user.bidang.clone()),
            nbf: None,
        })
    }

    /// The client's address: the peer, or the nearest untrusted hop of `X-Forwarded-For` when
    /// the peer is a trusted proxy.
    fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> Option<IpAddr> {
        let xff = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        aduan_runtime::ratelimit::client_key(Some(peer.ip()), xff, &self.trusted)
    }

    /// Deletes expired sessions every few minutes until `stop` turns true.
    pub fn spawn_session_sweeper(
        self: &Arc<Self>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|v| *v) => return,
                }
                let (idle, absolute) = me.limits();
                let t = now();
                if let Err(e) = me
                    .store
                    .delete_expired(t - idle, t - absolute, t - oidc::PENDING_SECONDS)
                    .await
                {
                    tracing::warn!(error = %e, "console: expired sessions not deleted");
                }
                if let Err(e) = me.prune_notifications().await {
                    tracing::warn!(error = %e, "console: old notifications not deleted");
                }
            }
        })
    }
}

/// The console's routes, with the security headers on every answer.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(public::form).post(public::submit))
        .route("/lacak", get(public::track_form))
        .route("/lacak/{code}", get(public::track))
        .route("/healthz", get(|| async { "ok" }))
        .route("/aset/{file}", get(public::asset))
        .route("/staf", get(staff::home))
        .route("/staf/", get(staff::home))
        .route("/staf/masuk", get(staff::sign_in_form).post(staff::sign_in))
        .route("/staf/masuk/idp", get(staff::provider_start))
        .route(oidc::CALLBACK_PATH, get(staff::provider_callback))
        .route("/staf/keluar", post(staff::sign_out))
        .route(
            "/staf/sandi",
            get(staff::password_form).post(staff::change_password),
        )
        .route("/staf/pengguna", get(staff::users).post(staff::create_user))
        .route("/staf/pengaduan/baru", get(desk::form).post(desk::submit))
        .route("/staf/pengaduan/periksa", post(desk::check))
        .route("/staf/pengaduan/kurang", get(desk::missing))
        .route("/staf/pengaduan/{id}", get(case::show))
        .route("/staf/pengaduan/{id}/data", post(case::reveal))
        .route("/staf/pengaduan/{id}/saring", post(case::screen))
        .route("/staf/pengaduan/{id}/teruskan", post(case::forward))
        .route("/staf/pengaduan/{id}/disposisi", post(case::dispose))
        .route("/staf/pengaduan/{id}/lembar-disposisi", get(case::sheet))
        .route("/staf/kasus/{id}", get(bidang::show))
        .route("/staf/kasus/{id}/tugaskan", post(bidang::assign))
        .route("/staf/kasus/{id}/wawancara", post(bidang::interview))
        .route("/staf/kasus/{id}/kelayakan", post(bidang::decide))
        .route("/staf/kasus/{id}/catatan", post(bidang::note))
        .route("/staf/kasus/{id}/jawaban", post(bidang::draft))
        .route("/staf/kasus/{id}/setujui", post(bidang::approve))
        .route("/staf/kasus/{id}/kembalikan", post(bidang::give_back))
        .route(
            "/staf/kasus/{id}/bukti",
            post(casework::evidence).layer(axum::extract::DefaultBodyLimit::max(
                casework::MAX_UPLOAD_REQUEST,
            )),
        )
        .route(
            "/staf/kasus/{id}/bukti/{evidence}",
            get(casework::evidence_file),
        )
        .route("/staf/kasus/{id}/kunjungan", post(casework::home_visit))
        .route("/staf/kasus/{id}/koordinasi", post(casework::coordination))
        .route("/staf/kasus/{id}/sesi", post(casework::session))
        .route("/staf/kasus/{id}/persetujuan", post(casework::consent))
        .route("/staf/kasus/{id}/rujukan", post(casework::referral))
        .route(
            "/staf/kasus/{id}/rujukan/{referral}/jawaban",
            post(casework::answer),
        )
        .route("/staf/operasi", get(operations::show))
        .route("/staf/operasi/ulang", post(operations::replay))
        .route("/staf/akses", get(operations::lookup))
        .route("/staf/akses/{id}", get(operations::access_log))
        .route("/staf/pemberitahuan", get(notify::list))
        .route("/staf/pemberitahuan/jumlah", get(notify::count))
        .route("/staf/pemberitahuan/dibaca", post(notify::mark_all))
        .route("/staf/pemberitahuan/{id}/dibaca", post(notify::mark_one))
        .route("/staf/dasbor", get(dashboard::show))
        .route("/staf/dasbor/csv", get(dashboard::csv))
        .route(
            "/staf/dasbor/laporan-bulanan.pdf",
            get(dashboard::monthly_pdf),
        )
        .route("/staf/tindak-lanjut", get(followup::queue))
        .route("/staf/tindak-lanjut/{id}", get(followup::show))
        .route(
            "/staf/tindak-lanjut/{id}/penyampaian",
            post(followup::deliver),
        )
        .route(
            "/staf/tindak-lanjut/{id}/umpan-balik",
            post(followup::record_feedback),
        )
        .route(
            "/staf/tindak-lanjut/{id}/survei",
            get(followup::survey_form).post(followup::submit_survey),
        )
        .route(
            "/staf/tindak-lanjut/{id}/survei/tablet",
            post(followup::hand_over),
        )
        .route(
            "/staf/tindak-lanjut/{id}/laporan",
            post(followup::draft_report),
        )
        .route(
            "/staf/tindak-lanjut/{id}/laporan/setujui",
            post(followup::approve_report),
        )
        .route(
            "/staf/tindak-lanjut/{id}/laporan/kembalikan",
            post(followup::return_report),
        )
        .route(
            "/staf/tindak-lanjut/{id}/laporan/kirim",
            post(followup::distribute),
        )
        .route(
            "/staf/tindak-lanjut/{id}/laporan.pdf",
            get(followup::report_pdf),
        )
        .fallback(public::not_found)
        .layer(axum::middleware::from_fn_with_state(
            console.csp(),
            security::headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(console)
}

/// Serves the console on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    console: Arc<Console>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(console).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The peer address extractor, re-exported for the handlers.
type Peer = ConnectInfo<SocketAddr>;
