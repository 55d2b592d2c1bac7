//! Shared helpers of the workspace tests: a real server on a random port, tokens, requests.
#![allow(dead_code)]

pub mod casework;
pub mod media;
pub mod oidc;
pub mod relay;
pub mod webdriver;

use std::path::PathBuf;
use std::time::Duration;

use aduan::Config;
use aduan::Running;
use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1::{self as pb, intake_service_client::IntakeServiceClient};
use aduan_runtime::auth::Role;
use tonic::transport::Channel;

pub struct TestApp {
    pub running: Running,
    pub config: Config,
    pub data_dir: PathBuf,
    pub database_url: String,
}

pub fn config(data_dir: &std::path::Path, database_url: &str) -> Config {
    let mut c = Config::default();
    c.shared.listen = "127.0.0.1:0".into();
    c.shared.data_dir = data_dir.to_path_buf();
    c.metrics.listen = String::new();
    c.console.listen = String::new();
    c.shutdown.drain_seconds = 0.0;
    c.shutdown.timeout_seconds = 5.0;
    c.intake.db.database_url = database_url.into();
    c.log.level = "warn".into();
    // The PostgreSQL tests run one process with generated keys (docs/security.md).
    c.auth.allow_local_keys_in_cluster = true;
    // The tests read the province's statistics as the events change them; the province cache
    // has a test of its own (tests/reporting_api.rs).
    c.reporting.statistics_cache_seconds = 0;
    c
}

pub fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("aduan-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub async fn start_with(config: Config) -> TestApp {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .expect("listen");
    start_on(config, listener).await
}

/// Listeners bound together and held until their servers start: a server told the others'
/// ports never finds one taken by a parallel test.
pub async fn listeners(n: usize) -> Vec<tokio::net::TcpListener> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    all
}

pub async fn start_on(mut config: Config, listener: tokio::net::TcpListener) -> TestApp {
    // One subscriber per test process (the first call wins): spans carry W3C context.
    static TELEMETRY: std::sync::OnceLock<Option<aduan_runtime::telemetry::TelemetryGuard>> =
        std::sync::OnceLock::new();
    TELEMETRY.get_or_init(|| aduan_runtime::telemetry::init(&config).ok());
    if config.intake.db.database_url.is_empty() {
        config.intake.db.database_url =
            format!("sqlite:{}", config.data_dir.join("intake.db").display());
    }
    if config.triage.db.database_url.is_empty() {
        config.triage.db.database_url =
            format!("sqlite:{}", config.data_dir.join("triage.db").display());
    }
    config.listen = listener.local_addr().unwrap().to_string();
    let running = aduan::start_on(&config, listener, std::future::pending())
        .await
        .expect("start");
    TestApp {
        database_url: config.intake.db.database_url.clone(),
        data_dir: config.data_dir.clone(),
        running,
        config,
    }
}

pub async fn start_sqlite() -> TestApp {
    let dir = temp_dir();
    start_with(config(&dir, "")).await
}

/// None outside CI when PostgreSQL is not configured.
pub async fn start_postgres() -> Option<TestApp> {
    let url = aduan_runtime::testing::postgres_database().await?;
    let dir = temp_dir();
    let mut c = config(&dir, &url);
    c.triage.db.database_url = aduan_runtime::testing::postgres_database().await?;
    c.investigation.db.database_url = aduan_runtime::testing::postgres_database().await?;
    c.feedback.db.database_url = aduan_runtime::testing::postgres_database().await?;
    c.reporting.db.database_url = aduan_runtime::testing::postgres_database().await?;
    Some(start_with(c).await)
}

impl TestApp {
    pub fn token(&self, roles: &[Role], office: &str) -> String {
        self.token_for("officer-1", roles, office)
    }

    pub fn token_for(&self, subject: &str, roles: &[Role], office: &str) -> String {
        aduan_runtime::auth::mint_local(
            &self.config.auth,
            &self.data_dir,
            subject,
            office,
            roles,
            None,
            Duration::from_secs(3600),
        )
        .unwrap()
    }

    /// A token of component `service`, signed with its service key (the relay's own tokens).
    pub fn service_token(&self, service: &str) -> String {
        aduan_runtime::auth::ServiceTokens::from_config(
            &self.config.auth,
            &self.data_dir,
            &self.config.province,
            service,
        )
        .unwrap()
        .token()
        .unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn client(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.channel().await)
    }

    /// Submits as a complaints officer of the request's office and returns the complaint id.
    pub async fn submit(&self, req: pb::SubmitComplaintRequest) -> String {
        let token = self.token(&[Role::ComplaintsOfficer], &req.office_code.clone());
        self.client()
            .await
            .submit_complaint(authed(&token, req))
            .await
            .unwrap()
            .into_inner()
            .complaint
            .unwrap()
            .id
    }
}

pub fn authed<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// A complaint that meets R1-R6 on every channel (letter details are ignored where they do not apply).
pub fn complete_request(request_id: &str, channel: common::Channel) -> pb::SubmitComplaintRequest {
    pb::SubmitComplaintRequest {
        request_id: request_id.into(),
        office_code: "35.27".into(),
        channel: channel as i32,
        received_at: None,
        letter: Some(pb::LetterDetails {
            number: "460/12/2026".into(),
            date: Some(common::Date {
                year: 2026,
                month: 11,
                day: 20,
            }),
            addressee: "Kepala Dinas Sosial P3A Kabupaten Sampang".into(),
            addressed_to_office: true,
            subject: "Pengaduan".into(),
        }),
        reporter: Some(common::Person {
            full_name: "Siti Aminah".into(),
            nik: "3527045708900001".into(),
            phone: "0812-3456-7890".into(),
            email: "siti.aminah@example.id".into(),
            sex: common::Sex::Female as i32,
            address: Some(common::Address {
                line: "Jl. Rajawali No. 7 RT 01 RW 02".into(),
                district_code: "35.27.04".into(),
                postcode: "69281".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reported_party: Some(common::Person {
            full_name: "Budi Santoso".into(),
            ..Default::default()
        }),
        victims: vec![common::Person {
            full_name: "Anak Korban".into(),
            birth_date: Some(common::Date {
                year: 2014,
                month: 5,
                day: 1,
            }),
            ..Default::default()
        }],
        content: Some(pb::ComplaintContent {
            subject: "Kekerasan terhadap anak oleh tetangga".into(),
            description: "Anak saya dipukul oleh tetangga di depan rumah pada sore hari.".into(),
            chronology: "Sore hari anak bermain, tetangga datang dan memukul.".into(),
            incident_date: Some(common::Date {
                year: 2026,
                month: 11,
                day: 18,
            }),
            incident_place: "Depan rumah, Desa Taddan".into(),
            incident_district_code: "35.27.04".into(),
            category_code: "kekerasan_anak".into(),
            requested_outcome: "Pendampingan".into(),
        }),
        visibility: Some(pb::Visibility {
            anonymous: true,
            confidential: true,
        }),
        partner_reference: String::new(),
        attachments: vec![],
    }
}

/// One test per backend: `both!(f)` runs `f(app)` on SQLite and, when PostgreSQL is configured
/// (always in CI), on PostgreSQL. Use after `#[macro_use] mod common;`.
#[allow(unused_macros)]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(super::common::start_sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) = super::common::start_postgres().await {
                    super::$name(app).await;
                }
            }
        }
    };
}
