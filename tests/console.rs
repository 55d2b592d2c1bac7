//! The web console over HTTP against a real `aduan::start` (issue 14): the public portal submits
//! through intake's gRPC API with the console's service identity and tracks by code; staff sign
//! in with local accounts; sessions end by sign-out, idleness and password changes; every form
//! is CSRF-checked; every answer carries the security headers. SQLite and PostgreSQL.

mod common;

use std::collections::HashMap;

use aduan_proto::common::v1 as cpb;
use aduan_proto::intake::v1 as pb;
use aduan_runtime::auth::Role;
use common::{TestApp, authed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

/// Six fresh PostgreSQL databases: the five services' and the console's (None without a server).
async fn on_postgres(c: &mut aduan::Config) -> Option<()> {
    for db in [
        &mut c.intake.db.database_url,
        &mut c.triage.db.database_url,
        &mut c.investigation.db.database_url,
        &mut c.feedback.db.database_url,
        &mut c.reporting.db.database_url,
        &mut c.console.database_url,
    ] {
        *db = aduan_runtime::testing::postgres_database().await?;
    }
    Some(())
}

async fn start(pg: bool) -> Option<TestApp> {
    let dir = common::temp_dir();
    let mut c = common::config(&dir, "");
    c.console.listen = "127.0.0.1:0".into();
    if pg {
        on_postgres(&mut c).await?;
    }
    Some(common::start_with(c).await)
}

macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::start(false).await.unwrap()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = super::start(true).await {
                    super::$name(app).await;
                }
            }
        }
    };
}

/// One HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a hidden input.
    fn hidden(&self, name: &str) -> String {
        let pat = format!("name=\"{name}\" value=\"");
        let i = self
            .body
            .find(&pat)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body));
        let rest = &self.body[i + pat.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A browser without script: keeps cookies, follows nothing by itself.
struct Browser {
    addr: std::net::SocketAddr,
    cookies: HashMap<String, String>,
}

fn encode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            addr: app.running.console.as_ref().expect("the console runs").addr,
            cookies: HashMap::new(),
        }
    }

    async fn request(&mut self, method: &str, path: &str, body: Option<String>) -> Answer {
        self.request_with(method, path, body, "").await
    }

    /// A request with extra header lines ("Name: value\r\n" each).
    async fn request_with(
        &mut self,
        method: &str,
        path: &str,
        body: Option<String>,
        extra: &str,
    ) -> Answer {
        let kind = if method == "POST" {
            "application/x-www-form-urlencoded"
        } else {
            ""
        };
        self.send(
            method,
            path,
            kind,
            body.unwrap_or_default().into_bytes(),
            extra,
        )
        .await
    }

    /// A multipart/form-data POST as a browser sends a form with a file input (the file last).
    async fn post_multipart(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        file: (&str, &str, &str, &[u8]),
    ) -> Answer {
        let boundary = "----aduan-test-7d9f2c";
        let mut body = Vec::new();
        for (k, v) in form {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, kind, content) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {kind}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let kind = format!("multipart/form-data; boundary={boundary}");
        self.send("POST", path, &kind, body, "").await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        extra: &str,
    ) -> Answer {
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        req.push_str(extra);
        if method == "POST" {
            req.push_str(&format!("Content-Type: {content_type}\r\n"));
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut raw = req.into_bytes();
        raw.extend_from_slice(&body);
        s.write_all(&raw).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        for (k, v) in &headers {
            if k == "set-cookie" {
                let pair = v.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.into(), value.into());
                }
            }
        }
        Answer {
            status,
            headers,
            body: body.to_string(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.request("GET", path, None).await
    }

    /// A request to another server (the identity provider), with the same cookie jar.
    async fn request_at(
        &mut self,
        addr: std::net::SocketAddr,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Answer {
        let home = std::mem::replace(&mut self.addr, addr);
        let a = self.request(method, path, body).await;
        self.addr = home;
        a
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.request("POST", path, Some(encode(form))).await
    }

    /// Signs in and returns the answer (a redirect on success).
    async fn sign_in(&mut self, user: &str, password: &str) -> Answer {
        let page = self.get("/staf/masuk").await;
        let csrf = page.hidden("csrf");
        self.post(
            "/staf/masuk",
            &[("csrf", &csrf), ("nama", user), ("sandi", password)],
        )
        .await
    }
}

fn web_form<'a>(csrf: &'a str, request_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("permintaan", request_id),
        ("kantor", "35.27"),
        ("nama", "Siti Aminah"),
        ("nik", "3527045708900001"),
        ("telepon", "0812 3456 7890"),
        ("alamat", "Jl. Rajawali No. 7, Sampang"),
        ("terlapor", "Budi Santoso"),
        ("terlapor_ket", "pendamping PKH Desa Banyuates"),
        ("perihal", "Bantuan PKH tidak cair sejak Maret"),
        ("kategori", "bantuan_sosial"),
        (
            "uraian",
            "Bantuan PKH keluarga kami tidak cair sejak Maret 2026.",
        ),
        (
            "kronologi",
            "Maret tidak cair; April kami bertanya ke pendamping.",
        ),
        ("tanggal", "2026-03-15"),
        ("tempat", "Desa Banyuates"),
        ("setuju", "ya"),
    ]
}

/// The tracking code on a receipt.
fn tracking_code(receipt: &Answer) -> String {
    let i = receipt
        .body
        .find("class=\"code\">")
        .expect("a tracking code");
    let rest = &receipt.body[i + 13..];
    rest[..rest.find('<').unwrap()].to_string()
}

async fn portal_submits_over_grpc_and_tracks_without_personal_data(app: TestApp) {
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<html lang=\"id\">"));
    assert!(form.body.contains("Undang-Undang Nomor 27 Tahun 2022"));
    let csrf = form.hidden("csrf");
    let rid = form.hidden("permintaan");
    let receipt = b.post("/", &web_form(&csrf, &rid)).await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert!(receipt.body.contains("Tanda Terima Pengaduan"));
    assert!(receipt.body.contains("35.27-20"));
    let code = tracking_code(&receipt);
    assert_eq!(code.len(), 14, "{code}");
    // Every requirement is met: nothing listed as missing.
    assert!(
        !receipt.body.contains("Yang masih perlu dilengkapi"),
        "{}",
        receipt.body
    );

    // A resubmission of the same form (a double click, a reload) is the same registration.
    let again = b.post("/", &web_form(&csrf, &rid)).await;
    assert_eq!(tracking_code(&again), code);

    // Intake registered it as channel WEB, recorded by the console's identity, with the person.
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let list = app
        .client()
        .await
        .list_complaints(authed(&officer, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.complaints.len(), 1);
    let summary = &list.complaints[0];
    assert_eq!(summary.channel, cpb::Channel::Web as i32);
    let full = app
        .client()
        .await
        .get_complaint(authed(
            &officer,
            pb::GetComplaintRequest {
                complaint_id: summary.id.clone(),
                revision: 0,
                purpose: "test: the web form's record".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(full.reporter.unwrap().full_name, "Siti Aminah");
    assert_eq!(full.reported_party.unwrap().full_name, "Budi Santoso");
    let by = full.recorded_by.unwrap();
    assert_eq!(
        (by.subject.as_str(), by.role.as_str()),
        ("service:console", "service")
    );
    assert!(full.unmet_requirements.is_empty());

    // Tracking: by the form (a redirect to the code's page) and by the path, case and dashes
    // ignored; status and dates only.
    let go = b.get(&format!("/lacak?kode={}", code.to_lowercase())).await;
    assert_eq!(go.status, 303);
    let target = go.header("location").unwrap().to_string();
    assert_eq!(target, format!("/lacak/{}", code.replace('-', "")));
    let page = b.get(&target).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Dicatat"));
    assert!(page.body.contains(&code), "the code is shown as printed");
    for personal in [
        "Siti",
        "Aminah",
        "3527045708900001",
        "Budi",
        "PKH",
        "Rajawali",
    ] {
        assert!(!page.body.contains(personal), "tracking shows {personal}");
    }
    let unknown = b.get("/lacak/AAAABBBBCCCC").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("tidak ditemukan"));
    let bad = b.get("/lacak/%3Cscript%3E").await;
    assert_eq!(bad.status, 422);
    assert!(!bad.body.contains("<script>"));
    app.running.shutdown().await.unwrap();
}
both!(portal_submits_over_grpc_and_tracks_without_personal_data);

async fn portal_refuses_a_forged_form_and_explains_field_errors(app: TestApp) {
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let csrf = form.hidden("csrf");
    let rid = form.hidden("permintaan");
    // Another site's form: no cookie of ours, or a token that is not the cookie's.
    let mut stranger = Browser::new(&app);
    let forged = stranger.post("/", &web_form(&csrf, &rid)).await;
    assert_eq!(forged.status, 403);
    let wrong = b.post("/", &web_form("not-the-token", &rid)).await;
    assert_eq!(wrong.status, 403);

    // Field errors come back in Indonesian beside the field, with the values kept.
    let mut fields = web_form(&csrf, &rid);
    fields.retain(|(k, _)| *k != "setuju" && *k != "nik");
    fields.push(("nik", "12345"));
    let no_consent = b.post("/", &fields).await;
    assert_eq!(no_consent.status, 422);
    assert!(no_consent.body.contains("Centang persetujuan"));
    fields.push(("setuju", "ya"));
    let bad_nik = b.post("/", &fields).await;
    assert_eq!(bad_nik.status, 422, "{}", bad_nik.body);
    assert!(bad_nik.body.contains("NIK harus 16 angka"));
    assert!(bad_nik.body.contains("aria-invalid=\"true\""));
    assert!(bad_nik.body.contains("value=\"Siti Aminah\""));
    // An injected value is escaped, never markup.
    let mut xss = web_form(&csrf, &rid);
    xss.retain(|(k, _)| *k != "nik");
    xss.push(("nik", "<script>alert(1)</script>"));
    let escaped = b.post("/", &xss).await;
    assert_eq!(escaped.status, 422);
    assert!(!escaped.body.contains("<script>alert(1)"));
    assert!(escaped.body.contains("&lt;script&gt;") || escaped.body.contains("&#60;script&#62;"));

    // Nothing was registered.
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let list = app
        .client()
        .await
        .list_complaints(authed(&officer, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(list.complaints.is_empty());
    app.running.shutdown().await.unwrap();
}
both!(portal_refuses_a_forged_form_and_explains_field_errors);

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_inline_script() {
    let app = start(false).await.unwrap();
    let mut b = Browser::new(&app);
    for path in ["/", "/lacak", "/staf/masuk", "/nowhere"] {
        let a = b.get(path).await;
        let csp = a.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
        assert_eq!(a.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        // The server's own time, which the page benchmark reads.
        let timing = a.header("server-timing").unwrap();
        assert!(
            timing
                .strip_prefix("app;dur=")
                .and_then(|d| d.parse::<f64>().ok())
                .is_some_and(|ms| ms >= 0.0),
            "{timing}"
        );
        assert!(!a.body.contains("<script>"), "{path}: an inline script");
        assert!(!a.body.contains(" style="), "{path}: an inline style");
        assert!(
            !a.body.contains("http://") && !a.body.contains("https://"),
            "{path}: an external reference"
        );
        assert!(a.body.len() < 100_000, "{path}: {} bytes", a.body.len());
    }
    assert_eq!(b.get("/nowhere").await.status, 404);
    assert_eq!(b.get("/healthz").await.body, "ok");
    let css = b.get("/aset/aduan.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(
        b.get("/aset/htmx-2.0.11.min.js")
            .await
            .body
            .contains("htmx")
    );
    assert_eq!(b.get("/aset/../Cargo.toml").await.status, 404);
    // Cookies are HttpOnly and SameSite=Lax.
    let mut fresh = Browser::new(&app);
    let a = fresh.get("/").await;
    let set = a.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    app.running.shutdown().await.unwrap();
}

async fn staff_sign_in_sessions_and_accounts(app: TestApp) {
    let console = app.running.console.as_ref().unwrap();
    let first = console
        .first_admin
        .clone()
        .expect("the first start creates the administrator");
    assert_eq!(first.username, "admin");
    let mut admin = Browser::new(&app);
    // Unsigned: the staff pages send to the sign-in page.
    let home = admin.get("/staf/").await;
    assert_eq!(
        (home.status, home.header("location")),
        (303, Some("/staf/masuk"))
    );
    // The one-time password signs in, but only to change it.
    let signed = admin.sign_in("admin", &first.password).await;
    assert_eq!(signed.header("location"), Some("/staf/sandi"));
    let set = signed.header("set-cookie").unwrap();
    assert!(
        set.starts_with("aduan_sesi=") && set.contains("HttpOnly"),
        "{set}"
    );
    assert_eq!(
        admin.get("/staf/").await.header("location"),
        Some("/staf/sandi")
    );
    let form = admin.get("/staf/sandi").await;
    let csrf = form.hidden("csrf");
    let short = admin
        .post(
            "/staf/sandi",
            &[
                ("csrf", &csrf),
                ("lama", &first.password),
                ("baru", "pendek"),
                ("ulang", "pendek"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    let new_pw = "kopi tubruk pagi hari";
    let changed = admin
        .post(
            "/staf/sandi",
            &[
                ("csrf", &csrf),
                ("lama", &first.password),
                ("baru", new_pw),
                ("ulang", new_pw),
            ],
        )
        .await;
    assert_eq!(changed.header("location"), Some("/staf/"));
    let home = admin.get("/staf/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Kelola akun petugas"));

    // The administrator creates an officer; the one-time password is shown once.
    let users = admin.get("/staf/pengguna").await;
    let csrf = users.hidden("csrf");
    let bad = admin
        .post(
            "/staf/pengguna",
            &[
                ("csrf", &csrf),
                ("nama_pengguna", "X"),
                ("nama", "Sari"),
                ("peran", "head"),
                ("kantor", "99.99"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Nama pengguna 3-40"));
    let made = admin
        .post(
            "/staf/pengguna",
            &[
                ("csrf", &csrf),
                ("nama_pengguna", "sari"),
                ("nama", "Sari Wulandari"),
                ("peran", "complaints_officer"),
                ("kantor", "35.27"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let i = made.body.find("Kata sandi sekali pakai").unwrap();
    let rest = &made.body[i..];
    let j = rest.find("class=\"code\">").unwrap() + 13;
    let otp = rest[j..j + rest[j..].find('<').unwrap()].to_string();
    let taken = admin
        .post(
            "/staf/pengguna",
            &[
                ("csrf", &csrf),
                ("nama_pengguna", "sari"),
                ("nama", "Sari Lain"),
                ("peran", "head"),
                ("kantor", "35.27"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409);
    // A forged account form (no CSRF token) is refused.
    let forged = admin
        .post(
            "/staf/pengguna",
            &[
                ("nama_pengguna", "mallory"),
                ("nama", "M"),
                ("peran", "head"),
                ("kantor", "35.27"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    // The officer signs in, sets a password, and sees the office's queue.
    let mut sari = Browser::new(&app);
    assert_eq!(
        sari.sign_in("sari", &otp).await.header("location"),
        Some("/staf/sandi")
    );
    let csrf = sari.get("/staf/sandi").await.hidden("csrf");
    let pw = "sate madura enak sekali";
    sari.post(
        "/staf/sandi",
        &[("csrf", &csrf), ("lama", &otp), ("baru", pw), ("ulang", pw)],
    )
    .await;
    let officer_home = sari.get("/staf/").await;
    assert_eq!(officer_home.status, 200);
    assert!(officer_home.body.contains("Antrean verifikasi"));
    assert!(officer_home.body.contains("Petugas pengaduan"));
    // An officer is not the administrator.
    assert_eq!(sari.get("/staf/pengguna").await.status, 403);

    // Sign-out ends the session: the same cookie opens nothing afterwards.
    let kept = sari.cookies.clone();
    let csrf = officer_home.hidden("csrf");
    let out = sari.post("/staf/keluar", &[("csrf", &csrf)]).await;
    assert_eq!(out.header("location"), Some("/staf/masuk"));
    let mut replay = Browser::new(&app);
    replay.cookies = kept;
    assert_eq!(
        replay.get("/staf/").await.header("location"),
        Some("/staf/masuk")
    );

    // An idle session ends: one whose last request is older than the idle limit.
    let mut idle = Browser::new(&app);
    idle.sign_in("sari", pw).await;
    assert_eq!(idle.get("/staf/").await.status, 200);
    let raw = idle.cookies.get("aduan_sesi").unwrap().clone();
    let hash = aduan_console::security::sha256_hex(&raw);
    let long_ago = jiff::Timestamp::now().as_second() - 31 * 60;
    console
        .core
        .store()
        .touch_session(&hash, long_ago)
        .await
        .unwrap();
    assert_eq!(
        idle.get("/staf/").await.header("location"),
        Some("/staf/masuk")
    );
    assert!(
        console.core.store().session(&hash).await.unwrap().is_none(),
        "deleted"
    );

    // A password change ends the account's other sessions.
    let mut one = Browser::new(&app);
    let mut two = Browser::new(&app);
    one.sign_in("sari", pw).await;
    two.sign_in("sari", pw).await;
    let csrf = one.get("/staf/sandi").await.hidden("csrf");
    let pw2 = "rujak cingur surabaya";
    one.post(
        "/staf/sandi",
        &[("csrf", &csrf), ("lama", pw), ("baru", pw2), ("ulang", pw2)],
    )
    .await;
    assert_eq!(one.get("/staf/").await.status, 200);
    assert_eq!(
        two.get("/staf/").await.header("location"),
        Some("/staf/masuk")
    );
    app.running.shutdown().await.unwrap();
}
both!(staff_sign_in_sessions_and_accounts);

#[tokio::test]
async fn sign_in_is_throttled_per_account_and_reads_the_same_for_unknown_names() {
    let app = start(false).await.unwrap();
    let console = app.running.console.as_ref().unwrap();
    let spec = aduan_console::AccountSpec {
        username: "kadis".into(),
        display_name: "Kepala Dinas".into(),
        roles: vec![Role::Head],
        office: "35.27".into(),
        bidang: String::new(),
    };
    let refdata = aduan_refdata::RefData::configured(&app.config).unwrap();
    let otp = aduan_console::add_user(console.core.store(), &refdata, &spec, "test")
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    let unknown = b.sign_in("nobody", "whatever").await;
    assert_eq!(unknown.status, 401);
    for _ in 0..5 {
        let wrong = b.sign_in("kadis", "wrong password").await;
        assert_eq!(wrong.status, 401);
        assert_eq!(
            wrong
                .body
                .matches("Nama pengguna atau kata sandi salah")
                .count(),
            unknown
                .body
                .matches("Nama pengguna atau kata sandi salah")
                .count()
        );
    }
    // The right password waits for the window to pass.
    let locked = b.sign_in("kadis", &otp).await;
    assert_eq!(locked.status, 401);
    assert!(!b.cookies.contains_key("aduan_sesi"));
    // A forged sign-in form (no CSRF cookie) is refused before any password check.
    let mut stranger = Browser::new(&app);
    let forged = stranger
        .post(
            "/staf/masuk",
            &[("csrf", "x"), ("nama", "kadis"), ("sandi", &otp)],
        )
        .await;
    assert_eq!(forged.status, 403);
    app.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_the_console_submits_the_web_channel() {
    let app = start(false).await.unwrap();
    let mut req = common::complete_request("web-officer-1", cpb::Channel::Web);
    req.letter = None;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let e = app
        .client()
        .await
        .submit_complaint(authed(&officer, req.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("channel"), "{}", e.message());
    // Another component's identity may not submit at all.
    let triage = app.service_token("triage");
    let e = app
        .client()
        .await
        .submit_complaint(authed(&triage, req.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // The console submits WEB only.
    let console = app.service_token("console");
    let mut walk_in = req.clone();
    walk_in.channel = cpb::Channel::WalkIn as i32;
    let e = app
        .client()
        .await
        .submit_complaint(authed(&console, walk_in))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let ok = app
        .client()
        .await
        .submit_complaint(authed(&console, req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.complaint.unwrap().channel, cpb::Channel::Web as i32);
    app.running.shutdown().await.unwrap();
}

/// An account with a password of its own: created with a one-time password, signed in, changed.
async fn signed_in(app: &TestApp, username: &str, role: Role) -> Browser {
    let console = app.running.console.as_ref().unwrap();
    let spec = aduan_console::AccountSpec {
        username: username.into(),
        display_name: format!("Petugas {username}"),
        roles: vec![role],
        office: "35.27".into(),
        bidang: String::new(),
    };
    let refdata = aduan_refdata::RefData::configured(&app.config).unwrap();
    let otp = aduan_console::add_user(console.core.store(), &refdata, &spec, "test")
        .await
        .unwrap();
    let mut b = Browser::new(app);
    b.sign_in(username, &otp).await;
    let csrf = b.get("/staf/sandi").await.hidden("csrf");
    let pw = "kata sandi yang panjang";
    let done = b
        .post(
            "/staf/sandi",
            &[("csrf", &csrf), ("lama", &otp), ("baru", pw), ("ulang", pw)],
        )
        .await;
    assert_eq!(done.header("location"), Some("/staf/"));
    b
}

async fn front_desk_registers_a_letter_with_the_officers_token(app: TestApp) {
    let mut desk = signed_in(&app, "sari", Role::ComplaintsOfficer).await;
    let home = desk.get("/staf/").await;
    assert!(home.body.contains("/staf/pengaduan/baru"));
    let form = desk.get("/staf/pengaduan/baru").await;
    assert_eq!(form.status, 200);
    let csrf = form.hidden("csrf");
    let rid = form.hidden("permintaan");
    assert!(rid.starts_with("desk:"));
    let mut fields = web_form(&csrf, &rid);
    fields.retain(|(k, _)| *k != "kantor" && *k != "setuju");
    fields.extend([
        ("saluran", "letter"),
        ("diterima", "2026-12-01T09:30"),
        ("surat_nomor", "460/12/2026"),
        ("surat_tanggal", "2026-11-28"),
        ("surat_kepada", "Kepala Dinas Sosial P3A Kabupaten Sampang"),
        ("surat_untuk_kantor", "ya"),
    ]);
    // A date in the future is explained beside the field.
    let mut future = fields.clone();
    future.retain(|(k, _)| *k != "surat_tanggal");
    future.push(("surat_tanggal", "2999-01-01"));
    let bad = desk.post("/staf/pengaduan/baru", &future).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Tanggal surat tidak sah"), "{}", bad.body);
    let receipt = desk.post("/staf/pengaduan/baru", &fields).await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert!(
        receipt.body.contains("Semua persyaratan R1-R6 terpenuhi"),
        "{}",
        receipt.body
    );
    assert!(receipt.body.contains("Surat"));
    assert!(receipt.body.contains("1 Desember 2026, 09.30 WIB"));
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let list = app
        .client()
        .await
        .list_complaints(authed(&officer, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.complaints.len(), 1);
    assert_eq!(list.complaints[0].channel, cpb::Channel::Letter as i32);
    let full = app
        .client()
        .await
        .get_complaint(authed(
            &officer,
            pb::GetComplaintRequest {
                complaint_id: list.complaints[0].id.clone(),
                revision: 0,
                purpose: "test".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    let by = full.recorded_by.unwrap();
    assert_eq!(by.role, "complaints_officer");
    let user = app
        .running
        .console
        .as_ref()
        .unwrap()
        .core
        .store()
        .list_users(10)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "sari")
        .unwrap();
    assert_eq!(by.subject, user.id, "the officer's own token");
    assert_eq!(full.letter.unwrap().number, "460/12/2026");
    // The live check (htmx): the panel alone, R1-R6 answered, and the repeat hint for the NIK
    // just registered; nothing more is registered. Without script: the whole form, values kept.
    let mut half = fields.clone();
    half.retain(|(k, _)| *k != "uraian" && *k != "permintaan");
    let panel = desk
        .request_with(
            "POST",
            "/staf/pengaduan/periksa",
            Some(encode(&half)),
            "HX-Request: true\r\n",
        )
        .await;
    assert_eq!(panel.status, 200, "{}", panel.body);
    assert!(!panel.body.contains("<html"), "a fragment: {}", panel.body);
    assert!(
        panel.body.contains("sudah mengadu 1 kali"),
        "{}",
        panel.body
    );
    assert!(
        panel.body.contains("R1: Isi pengaduan jelas"),
        "{}",
        panel.body
    );
    assert!(panel.body.contains("unmet"), "{}", panel.body);
    let page = desk.post("/staf/pengaduan/periksa", &half).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html") && page.body.contains("460/12/2026"));
    assert!(page.body.contains("sudah mengadu 1 kali"));
    let bad_nik: Vec<_> = half
        .iter()
        .map(|(k, v)| if *k == "nik" { (*k, "12AB") } else { (*k, *v) })
        .collect();
    let panel = desk
        .request_with(
            "POST",
            "/staf/pengaduan/periksa",
            Some(encode(&bad_nik)),
            "HX-Request: true\r\n",
        )
        .await;
    assert!(panel.body.contains("class=\"tight err\""), "{}", panel.body);
    assert_eq!(
        desk.post("/staf/pengaduan/periksa", &half[1..])
            .await
            .status,
        403,
        "CSRF"
    );
    let after = app
        .client()
        .await
        .list_complaints(authed(&officer, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.complaints.len(), 1);
    // A forged registration (no CSRF token) is refused; the Head does not register.
    let forged = desk.post("/staf/pengaduan/baru", &fields[1..]).await;
    assert_eq!(forged.status, 403);
    let mut head = signed_in(&app, "kadis", Role::Head).await;
    assert_eq!(head.get("/staf/pengaduan/baru").await.status, 403);
    app.running.shutdown().await.unwrap();
}
both!(front_desk_registers_a_letter_with_the_officers_token);

/// "http://127.0.0.1:1234/a/b?c=d" as the address and "/a/b?c=d".
fn split_url(url: &str) -> (std::net::SocketAddr, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let i = rest.find('/').unwrap_or(rest.len());
    (rest[..i].parse().unwrap(), rest[i..].to_string())
}

/// The decoded query of a URL.
fn query_of(url: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        let b = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

async fn start_with_provider(pg: bool, idp: &common::oidc::MockIdp) -> Option<TestApp> {
    let dir = common::temp_dir();
    let mut c = common::config(&dir, "");
    c.console.listen = "127.0.0.1:0".into();
    idp.configure(&mut c);
    if pg {
        on_postgres(&mut c).await?;
    }
    Some(common::start_with(c).await)
}

/// Goes from the console's sign-in to the provider and back; returns the answer at the
/// console's callback.
async fn through_provider(b: &mut Browser, user: &str, decision: &str) -> Answer {
    let back = to_provider_and_back(b, user, decision).await;
    b.get(&split_url(&back).1).await
}

/// Starts a sign-in and answers at the provider; returns where the provider sends the browser.
async fn to_provider_and_back(b: &mut Browser, user: &str, decision: &str) -> String {
    let go = b.get("/staf/masuk/idp").await;
    assert_eq!(go.status, 303, "{}", go.body);
    let to = go.header("location").unwrap().to_string();
    let (addr, path) = split_url(&to);
    let form = b.request_at(addr, "GET", &path, None).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields: Vec<(String, String)> = query_of(&to).into_iter().collect();
    fields.push(("username".into(), user.into()));
    fields.push(("decision".into(), decision.into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = b
        .request_at(
            addr,
            "POST",
            path.split('?').next().unwrap(),
            Some(encode(&pairs)),
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    back.header("location").unwrap().to_string()
}

/// Cluster mode's sign-in (issue 14): authorization code with PKCE at the province's identity
/// provider; the provider's access token is what the services receive; refresh, revocation,
/// sign-out at the provider; a state bound to its browser and taken once; a person without an
/// aduan role refused.
async fn staff_sign_in_at_the_identity_provider(pg: bool) {
    use common::oidc::{MockIdp, Person};
    let idp = MockIdp::start().await;
    idp.add(
        "siti",
        Person {
            sub: "5f0c2a9e-8d1b-4c3e-9a7f-2b6d1e0c4a11".into(),
            name: "Siti Rahayu".into(),
            roles: vec!["complaints_officer".into()],
            office: "35.27".into(),
            bidang: None,
        },
    );
    idp.add(
        "tamu",
        Person {
            sub: "tamu-1".into(),
            name: "Tamu".into(),
            roles: vec![],
            office: "35.27".into(),
            bidang: None,
        },
    );
    // Access tokens end within 30 s: every page renews them with the refresh token.
    idp.set_lifetime(20);
    let Some(app) = start_with_provider(pg, &idp).await else {
        return;
    };
    let console = app.running.console.as_ref().unwrap();
    assert!(
        console.first_admin.is_none(),
        "no local administrator with a provider"
    );
    let spec = aduan_console::AccountSpec {
        username: "lokal".into(),
        display_name: "Akun Lokal".into(),
        roles: vec![Role::ComplaintsOfficer],
        office: "35.27".into(),
        bidang: String::new(),
    };
    assert!(matches!(
        aduan::add_user(&app.config, &spec).await,
        Err(aduan_runtime::Error::FailedPrecondition(_))
    ));

    let mut b = Browser::new(&app);
    let page = b.get("/staf/masuk").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("href=\"/staf/masuk/idp\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("name=\"sandi\""));
    // The sign-out form's redirect to the provider is a form target the browser checks.
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' http://{}", idp.addr)),
        "{csp}"
    );
    let local = b
        .post("/staf/masuk", &[("nama", "admin"), ("sandi", "x")])
        .await;
    assert_eq!(local.header("location"), Some("/staf/masuk"));
    assert!(!b.cookies.contains_key("aduan_sesi"));

    // To the provider: PKCE S256, a state, a nonce, the console's callback.
    let to = to_provider_and_back(&mut b, "siti", "allow").await;
    let asked = idp.last_authorize();
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["client_id"], common::oidc::CLIENT_ID);
    assert_eq!(
        asked["redirect_uri"],
        format!("http://{}/staf/masuk/kembali", console.addr)
    );
    assert!(asked["scope"].split(' ').any(|s| s == "openid"));
    assert!(asked["scope"].split(' ').any(|s| s == "profile"));
    assert!(asked["state"].len() >= 20 && asked["nonce"].len() >= 20);
    assert!(b.cookies.contains_key("aduan_idp"));
    let callback = split_url(&to).1;
    let done = b.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/staf/"));
    assert!(b.cookies.contains_key("aduan_sesi"));
    assert!(!b.cookies.contains_key("aduan_idp"));
    // The code and the state are taken once.
    let again = b.get(&callback).await;
    assert_eq!(again.status, 400);

    // The home page calls triage with the provider's access token (renewed first).
    let home = b.get("/staf/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Siti Rahayu"));
    assert!(home.body.contains("Antrean verifikasi"));
    assert!(
        idp.log().contains(&"refresh".to_string()),
        "{:?}",
        idp.log()
    );
    // No password of the provider's accounts here.
    assert_eq!(
        b.get("/staf/sandi").await.header("location"),
        Some("/staf/")
    );

    // Sign-out ends the session here and at the provider.
    let csrf = home.hidden("csrf");
    let out = b.post("/staf/keluar", &[("csrf", &csrf)]).await;
    let to = out.header("location").unwrap().to_string();
    assert!(to.starts_with(&format!("{}/logout?", idp.issuer)), "{to}");
    let q = query_of(&to);
    assert_eq!(
        q["post_logout_redirect_uri"],
        format!("http://{}/staf/masuk", console.addr)
    );
    assert!(q.contains_key("id_token_hint"));
    assert_eq!(
        b.get("/staf/").await.header("location"),
        Some("/staf/masuk")
    );

    // A refresh refused at the provider ends the session.
    let done = through_provider(&mut b, "siti", "allow").await;
    assert_eq!(done.header("location"), Some("/staf/"));
    idp.revoke_refresh();
    assert_eq!(
        b.get("/staf/").await.header("location"),
        Some("/staf/masuk")
    );

    // A state belongs to the browser that started the sign-in.
    let mut other = Browser::new(&app);
    let theirs = to_provider_and_back(&mut b, "siti", "allow").await;
    let stolen = other.get(&split_url(&theirs).1).await;
    assert_eq!(stolen.status, 400);
    assert!(!other.cookies.contains_key("aduan_sesi"));

    // A person without an aduan role, and a sign-in cancelled at the provider.
    let mut guest = Browser::new(&app);
    let refused = through_provider(&mut guest, "tamu", "allow").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("belum diberi peran"),
        "{}",
        refused.body
    );
    assert!(!guest.cookies.contains_key("aduan_sesi"));
    let cancelled = through_provider(&mut guest, "tamu", "deny").await;
    assert_eq!(cancelled.status, 401);
    assert!(!guest.cookies.contains_key("aduan_sesi"));
}

mod staff_sign_in_at_the_identity_provider {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::staff_sign_in_at_the_identity_provider(false).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::staff_sign_in_at_the_identity_provider(true).await;
    }
}

/// A local account of a Bidang role, signed in with a password of its own.
async fn bidang_account(
    app: &TestApp,
    username: &str,
    name: &str,
    role: Role,
    bidang: &str,
) -> (Browser, String) {
    let console = app.running.console.as_ref().unwrap();
    let spec = aduan_console::AccountSpec {
        username: username.into(),
        display_name: name.into(),
        roles: vec![role],
        office: "35.27".into(),
        bidang: bidang.into(),
    };
    let otp = console.core.add_account(&spec, "test").await.unwrap();
    let user = console
        .core
        .store()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::new(app);
    b.sign_in(username, &otp).await;
    let csrf = b.get("/staf/sandi").await.hidden("csrf");
    let pw = "kata sandi yang panjang";
    b.post(
        "/staf/sandi",
        &[("csrf", &csrf), ("lama", &otp), ("baru", pw), ("ulang", pw)],
    )
    .await;
    (b, user.id)
}

/// The Bidang's case page (issue 15, S8 and S11): the Kepala Bidang opens the case from the home
/// list, assigns an officer of the Bidang (a reassignment without a reason is refused beside the
/// field), writes a note and decides eligibility; the assigned officer sees the case, its
/// assignment and the note, and no assignment or eligibility form; another Bidang's account gets
/// the not-found page; each view is in investigation's access log.
async fn the_bidang_handles_its_case_in_the_console(app: TestApp) {
    let id = common::casework::disposed(&app, common::casework::dispute("bidang-page"), "pa").await;
    let (mut kabid, kabid_id) =
        bidang_account(&app, "kabid", "Bu Kabid", Role::BidangHead, "pa").await;
    let (mut officer, officer_id) =
        bidang_account(&app, "petugas", "Pak Petugas", Role::BidangOfficer, "pa").await;
    let (mut other, _) =
        bidang_account(&app, "lain", "Bidang Lain", Role::BidangOfficer, "rehsos").await;
    // The relay brings the case to investigation; the home list links to its page.
    let link = format!("/staf/kasus/{id}");
    let mut home = kabid.get("/staf/").await;
    for _ in 0..200 {
        if home.body.contains(&link) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        home = kabid.get("/staf/").await;
    }
    assert!(home.body.contains(&link), "{}", home.body);

    let page = kabid.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The Kepala Bidang sees who read the case and why, this view included.
    assert!(page.body.contains("Log akses kasus"));
    assert!(
        page.body.contains("S8-S12: penanganan kasus oleh bidang"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Belum ada petugas yang ditugaskan"));
    assert!(
        page.body.contains("Pak Petugas (Petugas bidang)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Bidang Lain"));
    let csrf = page.hidden("csrf");

    // S8: nobody chosen is refused beside the field; then the officer is assigned.
    let none = kabid
        .post(&format!("{link}/tugaskan"), &[("csrf", &csrf)])
        .await;
    assert_eq!(none.status, 422);
    assert!(none.body.contains("href=\"#petugas\""));
    let done = kabid
        .post(
            &format!("{link}/tugaskan"),
            &[("csrf", &csrf), ("petugas", &officer_id)],
        )
        .await;
    assert_eq!(
        done.header("location"),
        Some(format!("{link}?selesai=tugaskan").as_str())
    );
    // The same assignment again changes nothing, and says so.
    let same = kabid
        .post(
            &format!("{link}/tugaskan"),
            &[("csrf", &csrf), ("petugas", &officer_id)],
        )
        .await;
    assert_eq!(same.status, 409, "{}", same.body);
    assert!(same.body.contains("sudah tercatat demikian"));
    // A reassignment needs a reason: investigation's violation comes back beside the field.
    let again = kabid
        .post(
            &format!("{link}/tugaskan"),
            &[
                ("csrf", &csrf),
                ("petugas", &officer_id),
                ("petugas", &kabid_id),
            ],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains("href=\"#alasan_tugas\""),
        "{}",
        again.body
    );
    // A forged form stores nothing.
    let forged = kabid
        .post(
            &format!("{link}/catatan"),
            &[("csrf", "palsu"), ("catatan", "x")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let noted = kabid
        .post(
            &format!("{link}/catatan"),
            &[
                ("csrf", &csrf),
                ("catatan", "Klarifikasi via telepon <b>selesai</b>"),
            ],
        )
        .await;
    assert_eq!(
        noted.header("location"),
        Some(format!("{link}?selesai=catatan").as_str())
    );
    // S11: not qualifying needs a reason code; then it qualifies.
    let bad = kabid
        .post(
            &format!("{link}/kelayakan"),
            &[("csrf", &csrf), ("layak", "tidak")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("href=\"#alasan\""), "{}", bad.body);
    let qualifies = [
        ("csrf", csrf.as_str()),
        ("layak", "ya"),
        ("keterangan", "Memenuhi syarat"),
    ];
    // Before the clarification (S9) the decision is out of order: the page says so.
    let early = kabid.post(&format!("{link}/kelayakan"), &qualifies).await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(early.body.contains("belum atau tidak lagi dapat dilakukan"));
    // The assigned officer records the clarification with the complainant (S9) on the page: a
    // party is required (beside the field); then it is recorded and listed.
    let ocsrf = officer.get(&link).await.hidden("csrf");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date()
        .to_string();
    let mut clarification = vec![
        ("csrf", ocsrf.as_str()),
        ("jenis", "klarifikasi"),
        ("cara", "telepon"),
        ("tanggal", today.as_str()),
        ("hadir", "Pelapor, Pak Petugas"),
        ("ringkasan", "Pelapor menjelaskan pokok pengaduan."),
    ];
    let no_party = officer
        .post(&format!("{link}/wawancara"), &clarification)
        .await;
    assert_eq!(no_party.status, 422, "{}", no_party.body);
    assert!(no_party.body.contains("href=\"#pihak\""));
    clarification.push(("pihak", "pengadu"));
    let recorded = officer
        .post(&format!("{link}/wawancara"), &clarification)
        .await;
    assert_eq!(
        recorded.header("location"),
        Some(format!("{link}?selesai=wawancara").as_str()),
        "{}",
        recorded.body
    );
    let decided = kabid.post(&format!("{link}/kelayakan"), &qualifies).await;
    assert_eq!(
        decided.header("location"),
        Some(format!("{link}?selesai=kelayakan").as_str())
    );
    let after = kabid.get(&format!("{link}?selesai=kelayakan")).await;
    assert!(after.body.contains("Keputusan kelayakan tersimpan"));
    assert!(after.body.contains("Layak ditindaklanjuti"));

    // The officer: the case, the assignment, the note (escaped); no Kepala Bidang forms.
    let seen = officer.get(&link).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(seen.body.contains("Pak Petugas"));
    assert!(seen.body.contains("Pelapor menjelaskan pokok pengaduan."));
    // The officer sees the assignee's name, not a subject.
    assert!(!seen.body.contains(&officer_id), "{}", seen.body);
    let at = seen.body.find("Klarifikasi").map(|i| &seen.body[i..i + 60]);
    assert!(
        seen.body
            .contains("Klarifikasi via telepon &#60;b&#62;selesai&#60;/b&#62;"),
        "{at:?}"
    );
    assert!(!seen.body.contains("/tugaskan"));
    assert!(!seen.body.contains("/kelayakan"));
    assert!(!seen.body.contains("/setujui"));
    assert!(!seen.body.contains("Log akses kasus"));

    // S12: the officer drafts the response (an outcome is required); the Kepala Bidang returns
    // it (a reason is required), the officer drafts again, the Kepala Bidang approves it.
    let text = "Dengan hormat, pengaduan Bapak/Ibu telah kami tindak lanjuti.";
    let no_outcome = officer
        .post(
            &format!("{link}/jawaban"),
            &[("csrf", &ocsrf), ("jawaban", text)],
        )
        .await;
    assert_eq!(no_outcome.status, 422, "{}", no_outcome.body);
    assert!(
        no_outcome.body.contains("href=\"#hasil\""),
        "{}",
        no_outcome.body
    );
    let drafted = officer
        .post(
            &format!("{link}/jawaban"),
            &[("csrf", &ocsrf), ("hasil", "resolved"), ("jawaban", text)],
        )
        .await;
    assert_eq!(
        drafted.header("location"),
        Some(format!("{link}?selesai=jawaban").as_str())
    );
    let review = kabid.get(&link).await;
    assert!(review.body.contains("menunggu persetujuan"));
    assert!(review.body.contains("Masalah terselesaikan"));
    let revision = review.hidden("revisi");
    let unexplained = kabid
        .post(
            &format!("{link}/kembalikan"),
            &[("csrf", &csrf), ("revisi", &revision)],
        )
        .await;
    assert_eq!(unexplained.status, 422, "{}", unexplained.body);
    assert!(unexplained.body.contains("href=\"#alasan_kembali\""));
    let returned = kabid
        .post(
            &format!("{link}/kembalikan"),
            &[
                ("csrf", &csrf),
                ("revisi", &revision),
                ("alasan_kembali", "Sebutkan tanggal penyaluran."),
            ],
        )
        .await;
    assert_eq!(
        returned.header("location"),
        Some(format!("{link}?selesai=kembalikan").as_str())
    );
    let seen = officer.get(&link).await;
    assert!(seen.body.contains("Sebutkan tanggal penyaluran."));
    officer
        .post(
            &format!("{link}/jawaban"),
            &[
                ("csrf", &ocsrf),
                ("hasil", "resolved"),
                ("jawaban", "Bantuan disalurkan 5 Desember 2026."),
            ],
        )
        .await;
    let review = kabid.get(&link).await;
    let revision = review.hidden("revisi");
    let approved = kabid
        .post(
            &format!("{link}/setujui"),
            &[("csrf", &csrf), ("revisi", &revision)],
        )
        .await;
    assert_eq!(
        approved.header("location"),
        Some(format!("{link}?selesai=setujui").as_str())
    );
    let done = kabid.get(&format!("{link}?selesai=setujui")).await;
    assert!(done.body.contains("Jawaban disetujui: siap disampaikan"));
    assert!(done.body.contains("disetujui"));
    assert!(
        !done.body.contains("name=\"revisi\""),
        "nothing left to review"
    );
    // Approving again: the step is out of order now.
    let twice = kabid
        .post(
            &format!("{link}/setujui"),
            &[("csrf", &csrf), ("revisi", &revision)],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);

    // Another Bidang's officer, and a malformed id: not found.
    assert_eq!(other.get(&link).await.status, 404);
    assert_eq!(kabid.get("/staf/kasus/bukan-id").await.status, 404);

    // Every view is in investigation's access log with the page's purpose.
    let s = common::casework::staff(&app, "pa");
    let log = common::casework::investigation(&app)
        .await
        .list_access_log(authed(
            &s.kabid,
            aduan_proto::investigation::v1::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        log.entries
            .iter()
            .filter(|e| e.purpose.starts_with("S8-S12"))
            .count()
            >= 3,
        "{:?}",
        log.entries
    );
}
both!(the_bidang_handles_its_case_in_the_console);

/// The value of the first `<option>` after the empty one in the `<select name="{name}">`.
fn option_of(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} select"));
    let rest = &body[at..];
    let end = rest.find("</select>").unwrap();
    rest[..end]
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("no {name} option"))
}

/// The id that follows `prefix` in the page (a complaint's, an evidence's or a referral's).
fn id_after(body: &str, prefix: &str) -> String {
    let at = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in the page"));
    body[at + prefix.len()..].chars().take(36).collect()
}

/// The Bidang's casework on the case page (issue 15, S9-S11), over the real services: an
/// interview that amends intake's record; evidence uploaded as multipart with a photo whose GPS
/// position is gone when it is downloaded again; a home visit and coordination; a mediation
/// session (after the eligibility decision, refused before it); a consent, a referral to UPTD PPA
/// resting on it, and the agency's answer. Problems come back beside their fields, a forged
/// form stores nothing, and the file's read is in the access log.
async fn the_bidang_records_its_casework_in_the_console(app: TestApp) {
    let id = common::casework::disposed(&app, common::casework::dispute("bidang-work"), "pa").await;
    let (mut kabid, _) = bidang_account(&app, "kabid", "Bu Kabid", Role::BidangHead, "pa").await;
    let (mut officer, officer_id) =
        bidang_account(&app, "petugas", "Pak Petugas", Role::BidangOfficer, "pa").await;
    let link = format!("/staf/kasus/{id}");
    let page = until(&mut kabid, &link, "Dokumen dan bukti (S10)").await;
    let csrf = page.hidden("csrf");
    kabid
        .post(
            &format!("{link}/tugaskan"),
            &[("csrf", &csrf), ("petugas", &officer_id)],
        )
        .await;
    let ocsrf = officer.get(&link).await.hidden("csrf");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date()
        .to_string();

    // S9: the interview establishes the chronology and the reported party's name; intake's
    // record takes them with the officer's token. A malformed incident date stays on the page.
    let mut interview = vec![
        ("csrf", ocsrf.as_str()),
        ("jenis", "wawancara"),
        ("pihak", "pengadu"),
        ("cara", "langsung"),
        ("tanggal", today.as_str()),
        ("hadir", "Pelapor, Pak Petugas"),
        ("ringkasan", "Pelapor menjelaskan kronologi lengkap."),
        (
            "ubah_kronologi",
            "Maret kartu dipinjam tetangga; April tidak dikembalikan; Mei dipakai menarik bantuan.",
        ),
        ("ubah_teradu", "Pak Fulan"),
        ("ubah_tanggal", "bukan-tanggal"),
    ];
    let bad = officer.post(&format!("{link}/wawancara"), &interview).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("href=\"#ubah_tanggal\""), "{}", bad.body);
    assert!(bad.body.contains("Pak Fulan"), "the typed values stay");
    interview.pop();
    let amended = officer.post(&format!("{link}/wawancara"), &interview).await;
    assert_eq!(
        amended.header("location"),
        Some(format!("{link}?selesai=wawancara_ubah").as_str()),
        "{}",
        amended.body
    );
    let s = common::casework::staff(&app, "pa");
    let revisions = app
        .client()
        .await
        .list_complaint_revisions(authed(
            &s.complaints,
            aduan_proto::intake::v1::ListComplaintRevisionsRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    let last = revisions.last().unwrap();
    assert!(revisions.len() >= 2, "{revisions:?}");
    assert!(
        last.changed_fields
            .iter()
            .any(|f| f == "content.chronology")
            && last
                .changed_fields
                .iter()
                .any(|f| f == "reported_party.full_name"),
        "{last:?}"
    );
    assert!(last.reason.starts_with("S9 wawancara"), "{last:?}");

    // S10: evidence with a photo. The kind is required (beside the field, nothing stored); a
    // forged form is refused; then the photo is stored without its GPS position.
    let photo = common::media::jpeg_with_gps();
    let mut form = vec![
        ("csrf", ocsrf.as_str()),
        ("sumber", "petugas"),
        ("sumber_rinci", "Diambil saat kunjungan rumah"),
        ("uraian", "Foto rumah pelapor"),
        ("tanggal_bukti", today.as_str()),
    ];
    let file = ("berkas", "rumah.jpg", "image/jpeg", photo.as_slice());
    let no_kind = officer
        .post_multipart(&format!("{link}/bukti"), &form, file)
        .await;
    assert_eq!(no_kind.status, 422, "{}", no_kind.body);
    assert!(no_kind.body.contains("href=\"#jenis_bukti\""));
    assert!(no_kind.body.contains("Belum ada bukti."));
    form.push(("jenis_bukti", "foto"));
    let mut forged = form.clone();
    forged[0] = ("csrf", "palsu");
    let refused = officer
        .post_multipart(&format!("{link}/bukti"), &forged, file)
        .await;
    assert_eq!(refused.status, 403);
    // A file that is not what it says is refused beside the file field.
    let wrong = officer
        .post_multipart(
            &format!("{link}/bukti"),
            &form,
            ("berkas", "foto.jpg", "image/jpeg", b"MZ not a photo"),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("href=\"#berkas\""), "{}", wrong.body);
    let stored = officer
        .post_multipart(&format!("{link}/bukti"), &form, file)
        .await;
    assert_eq!(
        stored.header("location"),
        Some(format!("{link}?selesai=bukti").as_str()),
        "{}",
        stored.body
    );
    let page = officer.get(&format!("{link}?selesai=bukti")).await;
    assert!(page.body.contains("Bukti tersimpan."));
    assert!(page.body.contains("rumah.jpg"));
    assert!(page.body.contains("data lokasi dan metadata dihapus"));
    assert!(page.body.contains("Data lokasi (GPS) dan metadata lain"));
    let eid = id_after(&page.body, &format!("{link}/bukti/"));
    let download = officer.get(&format!("{link}/bukti/{eid}")).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"rumah.jpg\"")
    );
    assert!(download.body.contains("PIXELS-OF-THE-VICTIMS-HOUSE"));
    assert!(
        !download.body.contains("GPSLatitude"),
        "the position is gone"
    );
    assert_eq!(
        officer
            .get(&format!("{link}/bukti/{}", uuid::Uuid::new_v4()))
            .await
            .status,
        404
    );

    // S10: a home visit (findings required) and coordination with an agency.
    let mut visit = vec![
        ("csrf", ocsrf.as_str()),
        ("tanggal_kunjungan", today.as_str()),
        ("lokasi", "Desa Torjun"),
        ("hadir_kunjungan", "Pelapor, Pak Petugas"),
    ];
    let no_findings = officer.post(&format!("{link}/kunjungan"), &visit).await;
    assert_eq!(no_findings.status, 422, "{}", no_findings.body);
    assert!(no_findings.body.contains("href=\"#temuan\""));
    visit.push(("temuan", "Kartu PKH dipegang tetangga."));
    let visited = officer.post(&format!("{link}/kunjungan"), &visit).await;
    assert_eq!(
        visited.header("location"),
        Some(format!("{link}?selesai=kunjungan").as_str()),
        "{}",
        visited.body
    );
    let coordinated = officer
        .post(
            &format!("{link}/koordinasi"),
            &[
                ("csrf", &ocsrf),
                ("instansi", "Kantor Desa Torjun"),
                ("cara_koordinasi", "telepon"),
                ("tanggal_koordinasi", &today),
                ("ringkasan_koordinasi", "Kepala desa membenarkan."),
            ],
        )
        .await;
    assert_eq!(
        coordinated.header("location"),
        Some(format!("{link}?selesai=koordinasi").as_str()),
        "{}",
        coordinated.body
    );

    // S11: a mediation before the eligibility decision is out of order; after it, an agreement
    // needs its terms (beside the field), then it is recorded.
    let mediation = vec![
        ("csrf", ocsrf.as_str()),
        ("jenis_sesi", "mediasi"),
        ("tanggal_sesi", today.as_str()),
        ("pihak_sesi_1", "pengadu"),
        ("nama_sesi_1", "Ibu Pelapor"),
        ("hadir_sesi_1", "ya"),
        ("pihak_sesi_2", "teradu"),
        ("nama_sesi_2", "Pak Fulan"),
        ("hadir_sesi_2", "ya"),
        ("hasil_sesi", "sepakat"),
        ("ringkasan_sesi", "Para pihak bertemu di kantor desa."),
    ];
    let mut agreed = mediation.clone();
    agreed.push(("kesepakatan", "Kartu dikembalikan 5 Desember."));
    let early = officer.post(&format!("{link}/sesi"), &agreed).await;
    assert_eq!(early.status, 409, "{}", early.body);
    let decided = kabid
        .post(
            &format!("{link}/kelayakan"),
            &[("csrf", &csrf), ("layak", "ya"), ("keterangan", "Layak")],
        )
        .await;
    assert_eq!(
        decided.header("location"),
        Some(format!("{link}?selesai=kelayakan").as_str()),
        "{}",
        decided.body
    );
    let no_terms = officer.post(&format!("{link}/sesi"), &mediation).await;
    assert_eq!(no_terms.status, 422, "{}", no_terms.body);
    assert!(
        no_terms.body.contains("href=\"#kesepakatan\""),
        "{}",
        no_terms.body
    );
    assert!(
        no_terms.body.contains("value=\"Pak Fulan\""),
        "the rows stay"
    );
    let session = officer.post(&format!("{link}/sesi"), &agreed).await;
    assert_eq!(
        session.header("location"),
        Some(format!("{link}?selesai=sesi").as_str()),
        "{}",
        session.body
    );

    // S11: a referral without a consent is refused beside the consent; the complainant (the
    // victim, an adult) consents in writing; the referral rests on it; the agency accepts.
    let referral = || {
        vec![
            ("lembaga", "uptd_ppa"),
            ("jenis_kekerasan", "psikis"),
            ("usia", "25-44"),
            ("layanan", "rehabilitasi_sosial"),
            ("layanan", "bantuan_hukum"),
            ("alasan_rujukan", "Pelapor memerlukan pendampingan."),
        ]
    };
    let mut without: Vec<(&str, &str)> = referral();
    without.push(("csrf", &ocsrf));
    let refused = officer.post(&format!("{link}/rujukan"), &without).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("href=\"#persetujuan\""));
    let consented = officer
        .post(
            &format!("{link}/persetujuan"),
            &[
                ("csrf", &ocsrf),
                ("subjek", "pengadu"),
                ("nama_subjek", "Ibu Pelapor"),
                ("pemberi", "sendiri"),
                ("bentuk", "tertulis"),
                ("tanggal_persetujuan", &today),
            ],
        )
        .await;
    assert_eq!(
        consented.header("location"),
        Some(format!("{link}?selesai=persetujuan").as_str()),
        "{}",
        consented.body
    );
    let page = officer.get(&link).await;
    let consent = option_of(&page.body, "persetujuan");
    let mut with: Vec<(&str, &str)> = referral();
    with.push(("persetujuan", &consent));
    with.push(("csrf", &ocsrf));
    let referred = officer.post(&format!("{link}/rujukan"), &with).await;
    assert_eq!(
        referred.header("location"),
        Some(format!("{link}?selesai=rujukan").as_str()),
        "{}",
        referred.body
    );
    let page = officer.get(&link).await;
    assert!(
        page.body
            .contains("UPTD Perlindungan Perempuan dan Anak Kabupaten Sampang")
    );
    assert!(page.body.contains("menunggu jawaban"));
    assert!(page.body.contains("Rehabilitasi Sosial, Bantuan Hukum"));
    let rid = id_after(&page.body, &format!("{link}/rujukan/"));
    let answered = officer
        .post(
            &format!("{link}/rujukan/{rid}/jawaban"),
            &[
                ("csrf", &ocsrf),
                ("rujukan", &rid),
                ("diterima", "ya"),
                ("nomor_lembaga", "UPTD-2026-17"),
            ],
        )
        .await;
    assert_eq!(
        answered.header("location"),
        Some(format!("{link}?selesai=jawab_rujukan").as_str()),
        "{}",
        answered.body
    );
    let page = kabid.get(&link).await;
    for seen in [
        "diterima instansi",
        "UPTD-2026-17",
        "Kartu PKH dipegang tetangga.",
        "Kantor Desa Torjun",
        "Kartu dikembalikan 5 Desember.",
        "Mediasi",
        "Ibu Pelapor",
    ] {
        assert!(page.body.contains(seen), "{seen}");
    }
    assert!(
        !page.body.contains(&format!("/rujukan/{rid}/jawaban")),
        "no answer form left"
    );
    // The Head's dashboard counts the case in the officer's caseload.
    let mut head = account_in(&app, "kadis", Role::Head, "35.27").await;
    let board = head.get("/staf/dasbor").await;
    assert_eq!(board.status, 200, "{}", board.body);
    assert!(
        board
            .body
            .contains("<tr><td>Pak Petugas</td><td class=\"num\">1</td>"),
        "{}",
        board.body
    );

    // The file's read is in the case's access log, with the console's purpose.
    let log = common::casework::investigation(&app)
        .await
        .list_access_log(authed(
            &s.kabid,
            aduan_proto::investigation::v1::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        log.entries
            .iter()
            .any(|e| e.what.starts_with("evidence") && e.purpose.starts_with("S10: berkas bukti")),
        "{:?}",
        log.entries
    );
}
both!(the_bidang_records_its_casework_in_the_console);

/// The operators' pages (issue 15): an office's operator sees the relays and one complaint's
/// access log across intake, investigation and feedback (the Head's reads with their purposes);
/// the office's relay administrator sees a dead letter of its office and replays it (still dead:
/// the cause is not fixed); another office's relay administrator sees none; a complaints
/// officer gets neither page; a forged replay is refused.
async fn operators_see_relays_dead_letters_and_access_logs(app: TestApp) {
    let id = common::casework::disposed(&app, common::casework::dispute("operasi"), "pa").await;
    let s = common::casework::staff(&app, "pa");
    // The Head reads the personal data with a purpose: the access log will show it.
    app.client()
        .await
        .get_complaint(authed(
            &s.head,
            aduan_proto::intake::v1::GetComplaintRequest {
                complaint_id: id.clone(),
                purpose: "S6 telaah disposisi kepala dinas".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let mut operator = account_in(&app, "operator", Role::Operator, "35.27").await;
    let page = operator.get("/staf/").await;
    assert!(
        page.body.contains("href=\"/staf/operasi\""),
        "{}",
        page.body
    );
    let ops = operator.get("/staf/operasi").await;
    assert_eq!(ops.status, 200, "{}", ops.body);
    assert!(ops.body.contains("Relay peristiwa"));
    assert!(
        ops.body.contains("<td>Pengaduan</td><td>Penelaahan</td>"),
        "{}",
        ops.body
    );
    assert!(
        !ops.body.contains("Surat mati (dead letter)"),
        "only relay admins"
    );
    let lookup = operator.get(&format!("/staf/akses?pengaduan={id}")).await;
    assert_eq!(
        lookup.header("location"),
        Some(format!("/staf/akses/{id}").as_str())
    );
    let log = operator.get(&format!("/staf/akses/{id}")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    // An operator reads who and when; the purposes are the Head's to read.
    assert!(!log.body.contains("S6 telaah disposisi kepala dinas"));
    assert!(log.body.contains("hanya ditampilkan kepada Kepala Dinas"));
    assert!(log.body.contains("Kepala Dinas"), "{}", log.body);
    assert!(log.body.contains("Data pribadi pengaduan"), "{}", log.body);
    assert_eq!(operator.get("/staf/akses/bukan-id").await.status, 404);
    assert_eq!(
        operator
            .get(&format!("/staf/akses/{}", uuid::Uuid::new_v4()))
            .await
            .status,
        404
    );
    let mut head = account_in(&app, "kadis", Role::Head, "35.27").await;
    let log = head.get(&format!("/staf/akses/{id}")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert!(
        log.body.contains("S6 telaah disposisi kepala dinas"),
        "{}",
        log.body
    );
    // The Head's reading of the case file (investigation) is there too, with its purpose.
    assert!(log.body.contains("Log akses ini"), "{}", log.body);
    assert!(
        head.get(&format!("/staf/pengaduan/{id}"))
            .await
            .body
            .contains(&format!("href=\"/staf/akses/{id}\"")),
        "the complaint page links to its access log"
    );
    // Investigation's log admits an office's operator for its own office only.
    let elsewhere_op = common::casework::tok(&app, "operator-lain", Role::Operator, "35.26", None);
    let denied = common::casework::investigation(&app)
        .await
        .list_access_log(authed(
            &elsewhere_op,
            aduan_proto::investigation::v1::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::NotFound, "{denied:?}");
    let mut officer = account_in(&app, "petugas", Role::ComplaintsOfficer, "35.27").await;
    assert_eq!(officer.get("/staf/operasi").await.status, 403);
    assert_eq!(officer.get(&format!("/staf/akses/{id}")).await.status, 403);

    // A dead letter: triage refuses an amendment of a complaint it never received.
    let ghost = uuid::Uuid::now_v7().to_string();
    common::relay::put_in_intake_outbox(&app.database_url, &common::relay::amended(&ghost, 2))
        .await;
    let mut admin = account_in(&app, "relay", Role::RelayAdmin, "35.27").await;
    let short: String = ghost.chars().take(8).collect();
    let ops = until(&mut admin, "/staf/operasi", &short).await;
    assert!(ops.body.contains("Surat mati (dead letter)"));
    let mut elsewhere = account_in(&app, "relay-lain", Role::RelayAdmin, "35.26").await;
    let other = elsewhere.get("/staf/operasi").await;
    assert_eq!(other.status, 200);
    assert!(!other.body.contains(&short), "another office's letter");
    let csrf = ops.hidden("csrf");
    let form = [
        ("sumber", "intake"),
        ("pelanggan", "triage"),
        ("pengaduan", ghost.as_str()),
    ];
    let mut forged = form.to_vec();
    forged.push(("csrf", "palsu"));
    assert_eq!(admin.post("/staf/operasi/ulang", &forged).await.status, 403);
    let mut sent = form.to_vec();
    sent.push(("csrf", &csrf));
    let replayed = admin.post("/staf/operasi/ulang", &sent).await;
    assert_eq!(
        replayed.header("location"),
        Some("/staf/operasi?ulang=0-1"),
        "{}",
        replayed.body
    );
    let after = admin.get("/staf/operasi?ulang=0-1").await;
    assert!(
        after
            .body
            .contains("0 peristiwa terkirim, 1 masih tertunda"),
        "{}",
        after.body
    );
    assert!(after.body.contains(&short), "still dead");
    // An unknown subscriber: not found.
    let mut wrong = form.to_vec();
    wrong[1] = ("pelanggan", "tidak_ada");
    wrong.push(("csrf", &csrf));
    assert_eq!(admin.post("/staf/operasi/ulang", &wrong).await.status, 404);
}
both!(operators_see_relays_dead_letters_and_access_logs);

/// GETs `path` until its page contains `needle` (the relay carries the lifecycle events between
/// the services in the background); panics with the last page.
async fn until(b: &mut Browser, path: &str, needle: &str) -> Answer {
    let mut page = b.get(path).await;
    for _ in 0..400 {
        if page.body.contains(needle) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        page = b.get(path).await;
    }
    panic!("{path} never showed {needle:?}: {}", page.body);
}

/// The follow-up in the console (issue 15, S13-S16): the desk officer finds the approved
/// response in the follow-up queue by its registration number and records its delivery (a
/// channel is required); the complainant is dissatisfied (grounds required), which reopens the
/// complaint; the Bidang's next response is delivered and the complainant is satisfied; the
/// citizen fills in the SKM on a page that shows nothing of the case (once); the Kepala Bidang
/// drafts the handling report (a recommendation is required), returns it with a reason, the
/// redraft is approved; the PDF opens; the report goes to the complainant and the Head, which
/// closes the complaint; the timeline shows every step to S16.
async fn the_follow_up_runs_to_closed_in_the_console(app: TestApp) {
    use aduan_proto::feedback::v1 as fpb;
    use common::casework as cw;
    use cpb::ComplaintStatus;
    let s = cw::staff(&app, "pa");
    let id = cw::opened(&app, &s, cw::dispute("follow-up-page"), "pa").await;
    cw::decide(&app, &s, &id, true, "").await;
    cw::respond(&app, &s, &id, "resolved").await;
    let mut desk = signed_in(&app, "loket", Role::ComplaintsOfficer).await;
    let (mut kabid, _) = bidang_account(&app, "kabid-tl", "Bu Kabid", Role::BidangHead, "pa").await;
    let mut reporting_officer = signed_in(&app, "pelaporan", Role::ReportingOfficer).await;

    // The home page leads to the queue; the queue names the complaint as the office does.
    let home = desk.get("/staf/").await;
    assert!(
        home.body.contains("href=\"/staf/tindak-lanjut\""),
        "{}",
        home.body
    );
    let link = format!("/staf/tindak-lanjut/{id}");
    let queue = until(&mut desk, "/staf/tindak-lanjut", &link).await;
    assert!(
        queue.body.contains("Sampaikan jawaban (S13)"),
        "{}",
        queue.body
    );
    let number = cw::triage_case(&app, &id).await.registration_number;
    assert!(queue.body.contains(&number), "{number}: {}", queue.body);

    // S13: a channel is required; then the delivery is recorded and the clock stops.
    let page = desk.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Masalah terselesaikan"), "{}", page.body);
    let csrf = page.hidden("csrf");
    let none = desk
        .post(
            &format!("{link}/penyampaian"),
            &[("csrf", &csrf), ("cara", "")],
        )
        .await;
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(none.body.contains("href=\"#cara\""));
    let future = desk
        .post(
            &format!("{link}/penyampaian"),
            &[
                ("csrf", &csrf),
                ("cara", "langsung"),
                ("waktu", "2099-01-01T10:00"),
            ],
        )
        .await;
    assert_eq!(future.status, 422, "{}", future.body);
    assert!(future.body.contains("href=\"#waktu\""), "{}", future.body);
    let delivered = desk
        .post(
            &format!("{link}/penyampaian"),
            &[
                ("csrf", &csrf),
                ("cara", "langsung"),
                ("catatan", "Diterima <b>suami</b>"),
            ],
        )
        .await;
    assert_eq!(
        delivered.header("location"),
        Some(format!("{link}?selesai=penyampaian").as_str()),
        "{}",
        delivered.body
    );
    cw::wait_triage(&app, &id, ComplaintStatus::ResponseDelivered).await;
    let page = desk.get(&format!("{link}?selesai=penyampaian")).await;
    assert!(page.body.contains("Penyampaian jawaban dicatat"));
    assert!(
        page.body.contains("Diterima &#60;b&#62;suami&#60;/b&#62;"),
        "{}",
        page.body
    );
    // Delivering twice is out of order.
    let twice = desk
        .post(
            &format!("{link}/penyampaian"),
            &[("csrf", &csrf), ("cara", "surat")],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);

    // S14: dissatisfied needs a ground; with one, the complaint reopens.
    let no_ground = desk
        .post(
            &format!("{link}/umpan-balik"),
            &[("csrf", &csrf), ("puas", "tidak")],
        )
        .await;
    assert_eq!(no_ground.status, 422, "{}", no_ground.body);
    assert!(no_ground.body.contains("href=\"#alasan\""));
    let reopened = desk
        .post(
            &format!("{link}/umpan-balik"),
            &[
                ("csrf", &csrf),
                ("puas", "tidak"),
                ("alasan", "tidak_menjawab"),
                ("komentar", "Kartu belum dikembalikan."),
            ],
        )
        .await;
    assert_eq!(
        reopened.header("location"),
        Some(format!("{link}?selesai=umpan-balik").as_str()),
        "{}",
        reopened.body
    );
    let page = desk.get(&link).await;
    assert!(page.body.contains("Dibuka kembali"), "{}", page.body);
    assert!(page.body.contains("Kartu belum dikembalikan."));
    // The Bidang's next response (version 2), delivered and this time satisfying.
    cw::wait_investigation_status(&app, &s, &id, ComplaintStatus::InHandling).await;
    cw::respond(&app, &s, &id, "resolved").await;
    until(&mut desk, &link, "name=\"cara\"").await;
    desk.post(
        &format!("{link}/penyampaian"),
        &[("csrf", &csrf), ("cara", "telepon")],
    )
    .await;
    let satisfied = desk
        .post(
            &format!("{link}/umpan-balik"),
            &[("csrf", &csrf), ("puas", "ya"), ("alasan", "lain")],
        )
        .await;
    assert_eq!(
        satisfied.header("location"),
        Some(format!("{link}?selesai=umpan-balik").as_str()),
        "{}",
        satisfied.body
    );

    // The SKM on the desk's tablet, handed to the citizen (kiosk mode): from then on the
    // session opens this survey and no staff page; nothing of the case on the citizen's page;
    // nine answers required; once.
    let handed = desk
        .post(&format!("{link}/survei/tablet"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        handed.header("location"),
        Some(format!("{link}/survei").as_str()),
        "{}",
        handed.body
    );
    for staff_page in ["/staf/".to_string(), link.clone()] {
        let locked = desk.get(&staff_page).await;
        assert_eq!(
            locked.header("location"),
            Some("/staf/masuk"),
            "{staff_page} is locked while the citizen holds the tablet"
        );
    }
    let survey = desk.get(&format!("{link}/survei")).await;
    assert_eq!(survey.status, 200);
    assert!(!survey.body.contains(&number) && !survey.body.contains("Kartu"));
    assert!(survey.body.contains("Gratis"), "U4's own answers");
    let mut answers: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    answers.push(("layanan".into(), "pengaduan".into()));
    for u in 1..=8 {
        answers.push((format!("u{u}"), "4".into()));
    }
    let form: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let short = desk.post(&format!("{link}/survei"), &form).await;
    assert_eq!(short.status, 422, "{}", short.body);
    assert!(short.body.contains("href=\"#u9\""));
    answers.push(("u9".into(), "3".into()));
    let form: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let thanks = desk.post(&format!("{link}/survei"), &form).await;
    assert_eq!(thanks.status, 200, "{}", thanks.body);
    assert!(thanks.body.contains("Terima kasih"));
    assert!(!thanks.body.contains(&number));
    // The tablet's session ended with the survey: the officer signs in again.
    assert_eq!(
        desk.get(&format!("{link}/survei")).await.header("location"),
        Some("/staf/masuk")
    );
    let back = desk.sign_in("loket", "kata sandi yang panjang").await;
    assert_eq!(back.header("location"), Some("/staf/"), "{}", back.body);
    let csrf = desk.get(&link).await.hidden("csrf");
    answers[0] = ("csrf".into(), csrf.clone());
    let form: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = desk.post(&format!("{link}/survei"), &form).await;
    assert_eq!(again.status, 409, "{}", again.body);

    // S15: the Kepala Bidang drafts (a recommendation is required), returns, redrafts, approves.
    let page = until(&mut kabid, &link, "Susun laporan").await;
    assert!(page.body.contains("Survei sudah diisi"));
    let kcsrf = page.hidden("csrf");
    let empty = kabid
        .post(
            &format!("{link}/laporan"),
            &[("csrf", &kcsrf), ("revisi", "0")],
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(empty.body.contains("href=\"#rekomendasi\""));
    let drafted = kabid
        .post(
            &format!("{link}/laporan"),
            &[
                ("csrf", &kcsrf),
                ("revisi", "0"),
                ("rekomendasi", "selesai"),
                ("instansi", "uptd_ppa"),
            ],
        )
        .await;
    assert_eq!(
        drafted.header("location"),
        Some(format!("{link}?selesai=laporan").as_str()),
        "{}",
        drafted.body
    );
    let review = kabid.get(&link).await;
    assert!(
        review.body.contains("Rancangan menunggu persetujuan"),
        "{}",
        review.body
    );
    assert!(
        review
            .body
            .contains("Pengaduan dinyatakan selesai ditangani")
    );
    let unexplained = kabid
        .post(
            &format!("{link}/laporan/kembalikan"),
            &[("csrf", &kcsrf), ("revisi", "1")],
        )
        .await;
    assert_eq!(unexplained.status, 422);
    assert!(unexplained.body.contains("href=\"#alasan_kembali\""));
    let returned = kabid
        .post(
            &format!("{link}/laporan/kembalikan"),
            &[
                ("csrf", &kcsrf),
                ("revisi", "1"),
                ("alasan_kembali", "temuan"),
            ],
        )
        .await;
    assert_eq!(
        returned.header("location"),
        Some(format!("{link}?selesai=kembalikan").as_str())
    );
    let page = kabid.get(&link).await;
    assert!(page.body.contains("Temuan belum lengkap"), "{}", page.body);
    assert!(page.body.contains("Susun ulang laporan"));
    kabid
        .post(
            &format!("{link}/laporan"),
            &[
                ("csrf", &kcsrf),
                ("revisi", "1"),
                ("rekomendasi", "selesai"),
                ("rekomendasi", "pemantauan"),
                ("instansi", "uptd_ppa"),
            ],
        )
        .await;
    let approved = kabid
        .post(
            &format!("{link}/laporan/setujui"),
            &[("csrf", &kcsrf), ("revisi", "2")],
        )
        .await;
    assert_eq!(
        approved.header("location"),
        Some(format!("{link}?selesai=setujui").as_str()),
        "{}",
        approved.body
    );
    // The report as PDF.
    let pdf = kabid.get(&format!("{link}/laporan.pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));

    // S16: the reporting officer (no feedback record for that role) sends it to the complainant
    // and the Head; the complaint closes.
    let page = until(&mut reporting_officer, &link, "Kirim laporan (S16)").await;
    assert!(page.body.contains("UPTD"), "{}", page.body);
    assert!(
        !page.body.contains("Kartu belum dikembalikan."),
        "no feedback record"
    );
    let rcsrf = page.hidden("csrf");
    let nobody = reporting_officer
        .post(
            &format!("{link}/laporan/kirim"),
            &[("csrf", &rcsrf), ("penerima", "x"), ("cara_kirim", "surat")],
        )
        .await;
    assert_eq!(nobody.status, 422);
    assert!(nobody.body.contains("href=\"#penerima\""));
    for to in ["pengadu", "kepala"] {
        let sent = reporting_officer
            .post(
                &format!("{link}/laporan/kirim"),
                &[("csrf", &rcsrf), ("penerima", to), ("cara_kirim", "surat")],
            )
            .await;
        assert_eq!(
            sent.header("location"),
            Some(format!("{link}?selesai=kirim").as_str()),
            "{}",
            sent.body
        );
    }
    cw::wait_triage(&app, &id, ComplaintStatus::Closed).await;
    let closed = until(&mut desk, &link, "S16").await;
    assert!(
        closed.body.contains("Sudah dikirim kepada pengadu"),
        "{}",
        closed.body
    );
    for step in ["S3 Registrasi", "S13", "S14", "S15"] {
        assert!(closed.body.contains(step), "{step}: {}", closed.body);
    }
    // The queue no longer lists it; another office's id is not found.
    let queue = desk.get("/staf/tindak-lanjut").await;
    assert!(!queue.body.contains(&link));
    assert_eq!(
        desk.get("/staf/tindak-lanjut/00000000-0000-4000-8000-000000000000")
            .await
            .status,
        404
    );
    // Feedback's access log has the page's reads with its purpose.
    let log = fpb::feedback_service_client::FeedbackServiceClient::new(app.channel().await)
        .list_access_log(authed(
            &s.head,
            fpb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        log.entries.iter().any(|e| e.purpose.starts_with("S13-S16")),
        "{:?}",
        log.entries
    );
    dashboards(&app, &mut kabid).await;
}
both!(the_follow_up_runs_to_closed_in_the_console);

/// An account of `role` in `office` (the province's code for a provincial analyst), signed in
/// with a password of its own.
async fn account_in(app: &TestApp, username: &str, role: Role, office: &str) -> Browser {
    let console = app.running.console.as_ref().unwrap();
    let spec = aduan_console::AccountSpec {
        username: username.into(),
        display_name: format!("Akun {username}"),
        roles: vec![role],
        office: office.into(),
        bidang: String::new(),
    };
    let otp = console.core.add_account(&spec, "test").await.unwrap();
    let mut b = Browser::new(app);
    b.sign_in(username, &otp).await;
    let csrf = b.get("/staf/sandi").await.hidden("csrf");
    let pw = "kata sandi yang panjang";
    b.post(
        "/staf/sandi",
        &[("csrf", &csrf), ("lama", &otp), ("baru", pw), ("ulang", pw)],
    )
    .await;
    b
}

/// The dashboards (issue 15) over the closed complaint of the follow-up test: the Head sees the
/// office's figures with server-drawn SVG charts and their tables, downloads a table as CSV and
/// the month's report as PDF; a wrong period is refused; a Bidang role has no dashboard; the
/// provincial analyst sees the province with small cells as "<5", may pick an office, and an
/// office's staff may not pick another office.
async fn dashboards(app: &TestApp, bidang: &mut Browser) {
    let mut head = account_in(app, "kadis-dasbor", Role::Head, "35.27").await;
    let home = head.get("/staf/").await;
    assert!(home.body.contains("href=\"/staf/dasbor\""), "{}", home.body);
    // Reporting's aggregates follow the events: the report's distribution shows up in a moment.
    let page = until(&mut head, "/staf/dasbor", "Bantuan sosial").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Dasbor pengaduan"), "{}", page.body);
    assert!(page.body.contains("<svg class=\"chart\""), "{}", page.body);
    assert!(page.body.contains("Menurut saluran"));
    assert!(page.body.contains("Indeks Kepuasan Masyarakat"));
    // The office's own staff see exact figures, not "<5".
    assert!(!page.body.contains("&#60;5"), "{}", page.body);
    let csv = head
        .get("/staf/dasbor/csv?periode=tahun&berkas=kategori")
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.contains("bantuan_sosial"), "{}", csv.body);
    assert_eq!(
        head.get("/staf/dasbor/csv?berkas=rahasia").await.status,
        404
    );
    let pdf = head.get("/staf/dasbor/laporan-bulanan.pdf").await;
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert_eq!(head.get("/staf/dasbor?bulan=13").await.status, 400);
    assert_eq!(head.get("/staf/dasbor?periode=dekade").await.status, 400);
    assert_eq!(head.get("/staf/dasbor?kantor=35.26").await.status, 400);
    // The IKM per service with its grade, and the nine elements (the survey of the follow-up).
    assert!(
        page.body
            .contains("Indeks Kepuasan Masyarakat menurut layanan"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td>Semua layanan</td><td class=\"num\">1</td>")
    );
    assert!(page.body.contains("U1 Persyaratan"), "{}", page.body);
    // The caseload: the one case is closed, nobody has an active case.
    assert!(page.body.contains("Beban kerja petugas"));
    assert!(page.body.contains("Tidak ada kasus yang sedang ditangani."));
    let year = head.get("/staf/dasbor?periode=tahun").await;
    assert!(year.body.contains("Tahun 20"), "{}", year.body);
    assert_eq!(bidang.get("/staf/dasbor").await.status, 403);

    let mut analyst = account_in(app, "analis", Role::ProvincialAnalyst, "35").await;
    let province = analyst.get("/staf/dasbor").await;
    assert_eq!(province.status, 200, "{}", province.body);
    assert!(province.body.contains("Seluruh provinsi"));
    assert!(province.body.contains("Menurut kabupaten/kota"));
    // One complaint in the province: a small cell.
    assert!(province.body.contains("&#60;5"), "{}", province.body);
    let office = analyst.get("/staf/dasbor?kantor=35.27").await;
    assert_eq!(office.status, 200, "{}", office.body);
    assert!(office.body.contains("Sampang"), "{}", office.body);
}

/// An account with `roles` in `office` (and `bidang`), signed in with a password of its own.
async fn notified_account(
    app: &TestApp,
    username: &str,
    role: Role,
    office: &str,
    bidang: &str,
) -> Browser {
    let console = app.running.console.as_ref().unwrap();
    let spec = aduan_console::AccountSpec {
        username: username.into(),
        display_name: format!("Akun {username}"),
        roles: vec![role],
        office: office.into(),
        bidang: bidang.into(),
    };
    let otp = console.core.add_account(&spec, "test").await.unwrap();
    let mut b = Browser::new(app);
    b.sign_in(username, &otp).await;
    let csrf = b.get("/staf/sandi").await.hidden("csrf");
    let pw = "kata sandi yang panjang";
    b.post(
        "/staf/sandi",
        &[("csrf", &csrf), ("lama", &otp), ("baru", pw), ("ulang", pw)],
    )
    .await;
    b
}

/// The ids of the notifications on a list page that have a "read" form (the unread ones).
fn unread_ids(page: &Answer) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = page.body.as_str();
    while let Some(i) = rest.find("action=\"/staf/pemberitahuan/") {
        rest = &rest[i + 28..];
        let end = rest.find('"').unwrap();
        if let Some(id) = rest[..end].strip_suffix("/dibaca") {
            out.push(id.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// Notifications (issue 15): the console receives triage's and investigation's events as the
/// relay subscriber `console`. A disposition to Bidang "pa" reaches the Bidang's officer and head
/// of the office (the badge in every staff page's header, the list, the polled fragment), not
/// another Bidang's officer or another office's; no personal content is shown. Marking read is
/// per account; another office's account cannot mark it (404); a forged form is refused (403).
/// A redelivered event changes nothing. The drafted response notifies the Bidang head, and the
/// approved one the complaints unit.
async fn notifications_reach_the_right_staff(app: TestApp) {
    let mut officer =
        notified_account(&app, "notif-petugas", Role::BidangOfficer, "35.27", "pa").await;
    let mut kabid = notified_account(&app, "notif-kabid", Role::BidangHead, "35.27", "pa").await;
    let mut other_bidang =
        notified_account(&app, "notif-rehsos", Role::BidangOfficer, "35.27", "rehsos").await;
    let mut other_office =
        notified_account(&app, "notif-bangkalan", Role::BidangOfficer, "35.26", "pa").await;
    let mut desk = notified_account(&app, "notif-unit", Role::ComplaintsOfficer, "35.27", "").await;

    // Nothing yet: the badge says so, without script, and the list is empty.
    let home = officer.get("/staf/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("aria-live=\"polite\""), "{}", home.body);
    assert!(home.body.contains("Tidak ada pemberitahuan belum dibaca"));
    assert!(home.body.contains("href=\"/staf/pemberitahuan\""));
    assert!(home.body.contains("hx-trigger=\"every 45s\""));

    let s = common::casework::staff(&app, "pa");
    let id = common::casework::opened(&app, &s, common::casework::dispute("notif-1"), "pa").await;

    let page = until(
        &mut officer,
        "/staf/pemberitahuan",
        "Disposisi baru untuk Bidang Anda",
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Bantuan sosial"), "{}", page.body);
    assert!(
        page.body.contains("35.27-"),
        "the registration number: {}",
        page.body
    );
    assert!(
        page.body.contains(&format!("href=\"/staf/kasus/{id}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("WIB"),
        "the time in the office's zone: {}",
        page.body
    );
    for personal in ["Siti", "Aminah", "Budi", "dialihkan tetangga", "dipinjam"] {
        assert!(!page.body.contains(personal), "{personal} on the list");
    }
    let ids = unread_ids(&page);
    assert_eq!(ids.len(), 1, "{}", page.body);
    let disposition = ids[0].clone();
    let home = officer.get("/staf/").await;
    assert!(
        home.body.contains("1 pemberitahuan belum dibaca"),
        "{}",
        home.body
    );
    // The polled fragment: the badge alone; 204 when the page already shows the count.
    let fragment = officer.get("/staf/pemberitahuan/jumlah").await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.contains("1 pemberitahuan belum dibaca"));
    assert!(!fragment.body.contains("<html"));
    assert_eq!(
        officer.get("/staf/pemberitahuan/jumlah?ada=1").await.status,
        204
    );
    assert_eq!(
        Browser::new(&app)
            .get("/staf/pemberitahuan/jumlah")
            .await
            .status,
        401
    );
    // A poll is not activity: a page left open does not keep its session alive.
    let store = app.running.console.as_ref().unwrap().core.store();
    let hash = aduan_console::security::sha256_hex(&officer.cookies["aduan_sesi"]);
    let before = jiff::Timestamp::now().as_second() - 600;
    store.touch_session(&hash, before).await.unwrap();
    assert_eq!(officer.get("/staf/pemberitahuan/jumlah").await.status, 200);
    assert_eq!(
        store.session(&hash).await.unwrap().unwrap().last_seen,
        before
    );
    assert_eq!(
        Browser::new(&app).get("/staf/pemberitahuan").await.status,
        303
    );

    // The Bidang head sees it too; another Bidang and another office do not.
    until(
        &mut kabid,
        "/staf/pemberitahuan",
        "Disposisi baru untuk Bidang Anda",
    )
    .await;
    for b in [&mut other_bidang, &mut other_office] {
        let p = b.get("/staf/pemberitahuan").await;
        assert_eq!(p.status, 200);
        assert!(
            p.body.contains("Belum ada pemberitahuan untuk Anda"),
            "{}",
            p.body
        );
        let f = b.get("/staf/pemberitahuan/jumlah").await;
        assert!(f.body.contains("Tidak ada pemberitahuan belum dibaca"));
    }
    // Another office's account cannot mark it; a forged form is refused.
    let ocsrf = other_office.get("/staf/pemberitahuan").await.hidden("csrf");
    let theirs = other_office
        .post(
            &format!("/staf/pemberitahuan/{disposition}/dibaca"),
            &[("csrf", &ocsrf)],
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let forged = officer
        .post(
            &format!("/staf/pemberitahuan/{disposition}/dibaca"),
            &[("csrf", "palsu")],
        )
        .await;
    assert_eq!(forged.status, 403);

    // Read is per account: the officer's mark leaves the head's unread.
    let csrf = page.hidden("csrf");
    let done = officer
        .post(
            &format!("/staf/pemberitahuan/{disposition}/dibaca"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.header("location"),
        Some("/staf/pemberitahuan?selesai=satu")
    );
    let after = officer.get("/staf/pemberitahuan?selesai=satu").await;
    assert!(after.body.contains("Sudah dibaca"));
    assert!(unread_ids(&after).is_empty());
    assert!(after.body.contains("Tidak ada pemberitahuan belum dibaca"));
    let head_page = kabid.get("/staf/pemberitahuan").await;
    assert_eq!(unread_ids(&head_page), vec![disposition.clone()]);

    // A redelivered disposition changes nothing.
    let triage = app.running.triage.as_ref().unwrap();
    let dispositions: Vec<aduan_proto::events::v1::LifecycleEvent> = triage
        .outbox()
        .fetch_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "disposition_issued" && e.complaint_id == id)
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .collect();
    assert_eq!(dispositions.len(), 1);
    let mut inbox =
        aduan_proto::events::v1::event_inbox_client::EventInboxClient::new(app.channel().await);
    let again = inbox
        .deliver_events(authed(
            &app.service_token("triage"),
            aduan_proto::events::v1::DeliverEventsRequest {
                subscriber: "console".into(),
                source_service: "triage".into(),
                events: dispositions.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.applied, again.duplicates), (1, 1));
    // Only triage delivers triage's events to the console.
    let forged = inbox
        .deliver_events(authed(
            &app.service_token("feedback"),
            aduan_proto::events::v1::DeliverEventsRequest {
                subscriber: "console".into(),
                source_service: "triage".into(),
                events: dispositions.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied);
    // The console takes only its routes' event types: triage's closing is not one of them, and
    // feedback has no route to the console at all.
    let mut closed = dispositions[0].clone();
    closed.event_id = uuid::Uuid::now_v7().to_string();
    closed.detail = Some(aduan_proto::events::v1::lifecycle_event::Detail::Closed(
        aduan_proto::events::v1::ComplaintClosed {
            reason_code: "completed".into(),
        },
    ));
    let other_type = inbox
        .deliver_events(authed(
            &app.service_token("triage"),
            aduan_proto::events::v1::DeliverEventsRequest {
                subscriber: "console".into(),
                source_service: "triage".into(),
                events: vec![closed.clone()],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other_type.code(), Code::PermissionDenied);
    closed.source_service = "feedback".into();
    let other_source = inbox
        .deliver_events(authed(
            &app.service_token("feedback"),
            aduan_proto::events::v1::DeliverEventsRequest {
                subscriber: "console".into(),
                source_service: "feedback".into(),
                events: vec![closed],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other_source.code(), Code::PermissionDenied);
    let head_page = kabid.get("/staf/pemberitahuan").await;
    assert_eq!(unread_ids(&head_page).len(), 1, "{}", head_page.body);

    // S12: the drafted response waits for the Bidang head's approval; the officer is not told.
    common::casework::decide(&app, &s, &id, true, "").await;
    let mut inv = common::casework::investigation(&app).await;
    let draft = inv
        .draft_response(authed(
            &s.officer,
            aduan_proto::investigation::v1::DraftResponseRequest {
                complaint_id: id.clone(),
                text: "Dengan hormat, menindaklanjuti pengaduan Saudari ...".into(),
                outcome_code: "resolved".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let head_page = until(
        &mut kabid,
        "/staf/pemberitahuan",
        "Jawaban menunggu persetujuan Anda",
    )
    .await;
    assert_eq!(unread_ids(&head_page).len(), 2);
    assert!(
        kabid
            .get("/staf/")
            .await
            .body
            .contains("2 pemberitahuan belum dibaca")
    );
    assert!(
        !officer
            .get("/staf/pemberitahuan")
            .await
            .body
            .contains("Jawaban menunggu persetujuan Anda")
    );
    // Approved: the complaints unit delivers it (S13), from the follow-up page.
    inv.approve_response(authed(
        &s.kabid,
        aduan_proto::investigation::v1::ApproveResponseRequest {
            complaint_id: id.clone(),
            revision: draft.latest_draft_revision,
        },
    ))
    .await
    .unwrap();
    let desk_page = until(&mut desk, "/staf/pemberitahuan", "Jawaban disetujui").await;
    assert!(
        desk_page
            .body
            .contains(&format!("href=\"/staf/tindak-lanjut/{id}\""))
    );

    // All read at once.
    let csrf = head_page.hidden("csrf");
    let all = kabid
        .post("/staf/pemberitahuan/dibaca", &[("csrf", &csrf)])
        .await;
    assert_eq!(
        all.header("location"),
        Some("/staf/pemberitahuan?selesai=semua")
    );
    let head_page = kabid.get("/staf/pemberitahuan").await;
    assert!(unread_ids(&head_page).is_empty(), "{}", head_page.body);
    assert!(
        kabid
            .get("/staf/")
            .await
            .body
            .contains("Tidak ada pemberitahuan belum dibaca")
    );
    // The desk officer's stays unread.
    assert_eq!(unread_ids(&desk.get("/staf/pemberitahuan").await).len(), 1);
}
both!(notifications_reach_the_right_staff);

/// The cluster's shape: the console in a process of its own (`services = "console"`, its own
/// Deployment), the services in another whose relays deliver to the console's gRPC inbox at
/// `endpoints.console`. A disposition reaches the Bidang officer's badge and list there.
async fn notifications_reach_a_console_in_its_own_process(pg: bool) {
    let mut ls = common::listeners(2).await;
    let console_listener = ls.pop().unwrap();
    let services_listener = ls.pop().unwrap();
    let services_url = format!("http://{}", services_listener.local_addr().unwrap());
    let dir = common::temp_dir();
    let mut sc = common::config(&dir, "");
    sc.set_endpoint(
        "console",
        format!("http://{}", console_listener.local_addr().unwrap()),
    );
    let mut cc = common::config(&dir, "");
    cc.services = "console".into();
    cc.console.listen = "127.0.0.1:0".into();
    cc.set_endpoint("intake", services_url.clone());
    cc.set_endpoint("triage", services_url.clone());
    cc.set_endpoint("investigation", services_url.clone());
    cc.set_endpoint("feedback", services_url.clone());
    cc.set_endpoint("reporting", services_url);
    if pg {
        let Some(()) = on_postgres(&mut sc).await else {
            return;
        };
        cc.console.database_url = sc.console.database_url.clone();
    }
    let services = common::start_on(sc, services_listener).await;
    let console = common::start_on(cc, console_listener).await;
    assert!(services.running.console.is_none());
    assert!(console.running.triage.is_none());
    let mut officer = notified_account(
        &console,
        "pisah-petugas",
        Role::BidangOfficer,
        "35.27",
        "pa",
    )
    .await;
    let id =
        common::casework::disposed(&services, common::casework::dispute("pisah-1"), "pa").await;
    let page = until(
        &mut officer,
        "/staf/pemberitahuan",
        "Disposisi baru untuk Bidang Anda",
    )
    .await;
    assert!(
        page.body.contains(&format!("href=\"/staf/kasus/{id}\"")),
        "{}",
        page.body
    );
    // The badge was counted before the list was read: the next page has it.
    let home = officer.get("/staf/").await;
    assert!(
        home.body.contains("1 pemberitahuan belum dibaca"),
        "{}",
        home.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_a_console_in_its_own_process_sqlite() {
    notifications_reach_a_console_in_its_own_process(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_a_console_in_its_own_process_postgres() {
    notifications_reach_a_console_in_its_own_process(true).await;
}

/// Notifications are bounded: the sweeper's pruning deletes those older than 90 days (with their
/// read state) and keeps the others; a redelivered event id is still recognised afterwards.
async fn old_notifications_are_deleted(app: TestApp) {
    use aduan_console::store::{NewNotification, Plan, Reader};
    use aduan_proto::events::v1::LifecycleEvent;
    let core = &app.running.console.as_ref().unwrap().core;
    let now = jiff::Timestamp::now().as_second();
    let event = |id: &str| LifecycleEvent {
        event_id: id.into(),
        complaint_id: uuid::Uuid::new_v4().to_string(),
        office_code: "35.27".into(),
        ..Default::default()
    };
    let plan = |e: &LifecycleEvent, _| Plan {
        case: None,
        notice: Some(NewNotification {
            complaint_id: e.complaint_id.clone(),
            office_code: "35.27".into(),
            kind: "sla_warning",
            created_at: if e.event_id == "lama" {
                now - 91 * 86_400
            } else {
                now
            },
            audience: vec![("head", String::new())],
            ..Default::default()
        }),
    };
    let events = [event("lama"), event("baru")];
    let out = core
        .store()
        .apply_events("triage", &events, now, &plan)
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (2, 0));
    let roles = vec!["head".to_string()];
    let reader = Reader {
        user_id: "kadis",
        office_code: "35.27",
        bidang: "",
        roles: &roles,
    };
    // The console's own sweeper may have pruned first (it runs once at start-up, then every
    // five minutes).
    assert!(core.prune_notifications().await.unwrap() <= 1);
    let (rows, total) = core.store().notifications(&reader, 20, 0).await.unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    assert_eq!(rows[0].created_at, now);
    // Another office's head sees none of them.
    let elsewhere = Reader {
        office_code: "35.26",
        ..reader
    };
    assert_eq!(
        core.store().unread_notifications(&elsewhere).await.unwrap(),
        0
    );
    // The spine's housekeeping of the console's database keeps the ids inside its window (the
    // console records them in the spine's microseconds, not its own seconds).
    let keep =
        aduan_spine::relay::Keep::of(&aduan_runtime::config::RelayConfig::default()).unwrap();
    let pruned = aduan_spine::relay::prune(
        core.store().database(),
        None,
        keep,
        aduan_runtime::time::now_micros(),
    )
    .await
    .unwrap();
    assert_eq!(pruned.seen, 0);
    let again = core
        .store()
        .apply_events("triage", &events, now, &plan)
        .await
        .unwrap();
    assert_eq!((again.applied, again.duplicates), (2, 2));
    assert_eq!(core.store().unread_notifications(&reader).await.unwrap(), 1);
}
both!(old_notifications_are_deleted);
