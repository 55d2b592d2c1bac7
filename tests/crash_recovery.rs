//! Crash recovery (issue 3): the real `aduan up` process is killed with SIGKILL at random moments
//! during a burst of 2,000 submissions, restarted on the same port and data, and afterwards every
//! acknowledged complaint is in triage's queue exactly once, on SQLite and on PostgreSQL.
//!
//! Clients retry a failed submission with the same `request_id` until it is acknowledged (intake
//! is idempotent on it). The kill moments come from a seeded xorshift generator; the seed is
//! printed, and `ADUAN_TEST_CRASH_SEED=<seed>` repeats a run.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aduan_proto::common::v1::Channel as ComplaintChannel;
use aduan_proto::intake::v1::{self as pb, intake_service_client::IntakeServiceClient};
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use common::{authed, complete_request};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

const SUBMISSIONS: usize = 2_000;
const CLIENTS: usize = 16;
const KILLS: usize = 3;
const OFFICE: &str = "35.27";

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in lo..hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// The `aduan up` child process; killed when dropped, whatever the exit path.
struct Server {
    child: Option<Child>,
    port: u16,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
    starts: usize,
}

impl Server {
    fn log_path(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("server log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aduan"));
        cmd.arg("up")
            .env_remove("ADUAN_TEST_CRASH_SEED")
            .env("ADUAN_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("ADUAN_DATA_DIR", &self.data_dir)
            .env("ADUAN_METRICS__LISTEN", "")
            .env("ADUAN_CONSOLE__LISTEN", "")
            .env("ADUAN_LOG__LEVEL", "warn")
            .env("ADUAN_LOG__FORMAT", "text")
            .env("ADUAN_SHUTDOWN__DRAIN_SECONDS", "0")
            .env("ADUAN_SHUTDOWN__TIMEOUT_SECONDS", "5")
            // One process with generated keys, also on PostgreSQL (docs/security.md).
            .env("ADUAN_AUTH__ALLOW_LOCAL_KEYS_IN_CLUSTER", "true")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("spawn aduan up"));
        self.starts += 1;
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait (bounded) for a clean exit.
    fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let sent = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = c.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("aduan did not stop within {within:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() && std::thread::panicking() {
            eprintln!("server log (tail):\n{}", self.log_tail());
        }
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn channel(port: u16) -> Channel {
    Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(15))
        .connect_lazy()
}

/// Waits until the whole server answers SERVING.
async fn wait_serving(port: u16, within: Duration) {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let deadline = Instant::now() + within;
    loop {
        let mut h = HealthClient::new(channel(port));
        let status = h
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|r| r.into_inner().status);
        if status.as_ref().is_ok_and(|s| {
            *s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        }) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not SERVING within {within:?}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn mint(data_dir: &Path, roles: &[Role]) -> String {
    aduan_runtime::auth::mint_local(
        &aduan_runtime::config::Config::default().auth,
        data_dir,
        "crash-test",
        OFFICE,
        roles,
        None,
        Duration::from_secs(3600),
    )
    .expect("mint a token")
}

/// Errors that retrying the same request will not fix: the test is wrong, or intake is.
fn permanent(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument
            | Code::AlreadyExists
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::NotFound
            | Code::FailedPrecondition
    )
}

#[derive(Default)]
struct Tally {
    /// request_id -> complaint id, one per acknowledged submission.
    acked: HashMap<String, String>,
    /// Acknowledgements that were replays of an earlier commit.
    replayed: usize,
    /// Failed attempts by status code.
    failures: BTreeMap<String, usize>,
}

async fn crash_during_burst(name: &str, extra_env: Vec<(String, String)>) {
    let started = Instant::now();
    let seed = std::env::var("ADUAN_TEST_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("[{name}] seed {seed} (repeat with ADUAN_TEST_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);

    let data_dir = common::temp_dir();
    let port = free_port();
    let server = Arc::new(Mutex::new(Server {
        child: None,
        port,
        data_dir: data_dir.clone(),
        env: extra_env,
        starts: 0,
    }));
    server.lock().unwrap().spawn();
    wait_serving(port, Duration::from_secs(30)).await;
    let officer = mint(&data_dir, &[Role::ComplaintsOfficer]);

    // Kill when these many submissions have been acknowledged (so every kill falls inside the
    // burst however fast it runs), plus a random delay of up to 30 ms; down for 20-400 ms.
    let mut thresholds: Vec<usize> = (0..KILLS)
        .map(|_| rng.range(50, SUBMISSIONS as u64 - 200) as usize)
        .collect();
    thresholds.sort_unstable();
    let plan: Vec<(usize, u64, u64)> = thresholds
        .into_iter()
        .map(|t| (t, rng.range(0, 30), rng.range(20, 400)))
        .collect();
    eprintln!("[{name}] kill plan (after N acks, +delay ms, down ms): {plan:?}");

    let tally = Arc::new(Mutex::new(Tally::default()));
    let acked = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let run = uuid::Uuid::new_v4().simple().to_string();

    let killer = {
        let server = server.clone();
        let acked = acked.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            let mut log = Vec::new();
            for (threshold, delay, down) in plan {
                while acked.load(Ordering::Relaxed) < threshold {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let at = acked.load(Ordering::Relaxed);
                server.lock().unwrap().kill();
                eprintln!("[{name}] SIGKILL at {at} acknowledged");
                tokio::time::sleep(Duration::from_millis(down)).await;
                server.lock().unwrap().spawn();
                log.push(at);
            }
            log
        })
    };

    let deadline = Instant::now() + Duration::from_secs(90);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (tally, acked, next, run, token) = (
            tally.clone(),
            acked.clone(),
            next.clone(),
            run.clone(),
            officer.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut c = IntakeServiceClient::new(channel(port));
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= SUBMISSIONS {
                    return;
                }
                let request_id = format!("crash-{run}-{i}");
                loop {
                    let req = complete_request(&request_id, ComplaintChannel::Phone);
                    match c.submit_complaint(authed(&token, req)).await {
                        Ok(resp) => {
                            let resp = resp.into_inner();
                            let id = resp.complaint.expect("a complaint").id;
                            let mut t = tally.lock().unwrap();
                            if let Some(old) = t.acked.insert(request_id.clone(), id.clone()) {
                                panic!("{request_id} acknowledged twice: {old} and {id}");
                            }
                            t.replayed += usize::from(resp.replayed);
                            drop(t);
                            acked.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Err(s) => {
                            assert!(
                                !permanent(s.code()),
                                "{request_id}: {:?} {} (not a crash symptom)",
                                s.code(),
                                s.message()
                            );
                            assert!(
                                Instant::now() < deadline,
                                "{request_id} not acknowledged within the deadline: {s:?}"
                            );
                            *tally
                                .lock()
                                .unwrap()
                                .failures
                                .entry(format!("{:?}", s.code()))
                                .or_default() += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            // A fresh connection after a reset.
                            c = IntakeServiceClient::new(channel(port));
                        }
                    }
                }
            }
        }));
    }
    for c in clients {
        c.await.expect("client task");
    }
    let burst = started.elapsed();
    let kills = killer.await.expect("killer task");
    assert_eq!(kills.len(), KILLS, "every planned kill happened");
    let (acked_ids, replayed, failures) = {
        let t = tally.lock().unwrap();
        (t.acked.clone(), t.replayed, t.failures.clone())
    };
    assert_eq!(acked_ids.len(), SUBMISSIONS);
    let ids: HashSet<&String> = acked_ids.values().collect();
    assert_eq!(
        ids.len(),
        SUBMISSIONS,
        "two request ids acknowledged with the same complaint id"
    );
    eprintln!(
        "[{name}] burst done in {:.1} s: {} acknowledged ({} as replays), failed attempts {:?}, {} starts",
        burst.as_secs_f64(),
        acked_ids.len(),
        replayed,
        failures,
        server.lock().unwrap().starts
    );

    // The last restart may still be starting.
    wait_serving(port, Duration::from_secs(30)).await;
    let ch = channel(port);
    let mut triage = TriageServiceClient::new(ch.clone());
    let mut intake = IntakeServiceClient::new(ch);

    // Triage catches up (bounded).
    let wait_from = Instant::now();
    loop {
        let page = triage
            .list_queue(authed(
                &officer,
                tpb::ListQueueRequest {
                    office_code: OFFICE.into(),
                    page_size: 1,
                    ..Default::default()
                },
            ))
            .await
            .expect("ListQueue")
            .into_inner();
        if page.waiting_total as usize >= SUBMISSIONS {
            break;
        }
        assert!(
            wait_from.elapsed() < Duration::from_secs(60),
            "triage has {} of {SUBMISSIONS} complaints after 60 s",
            page.waiting_total
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "[{name}] triage caught up {} ms after the burst",
        wait_from.elapsed().as_millis()
    );

    // Every queue entry, paged.
    let mut queue: Vec<String> = Vec::new();
    let mut token = String::new();
    loop {
        let page = triage
            .list_queue(authed(
                &officer,
                tpb::ListQueueRequest {
                    office_code: OFFICE.into(),
                    include_waiting: true,
                    page_size: 500,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("ListQueue")
            .into_inner();
        queue.extend(page.entries.into_iter().map(|e| e.complaint_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    // Every complaint intake holds for the office, paged.
    let mut listed: Vec<(String, String)> = Vec::new();
    let mut token = String::new();
    loop {
        let page = intake
            .list_complaints(authed(
                &officer,
                pb::ListComplaintsRequest {
                    office_code: OFFICE.into(),
                    page_size: 500,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("ListComplaints")
            .into_inner();
        listed.extend(
            page.complaints
                .into_iter()
                .map(|c| (c.id, c.registration_number)),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &queue {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "duplicates in the queue: {duplicates:?}"
    );
    let missing: Vec<_> = ids
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged complaints missing from triage, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let unknown: Vec<_> = queue.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        unknown.is_empty(),
        "queue entries never acknowledged: {unknown:?}"
    );
    assert_eq!(
        queue.len(),
        listed.len(),
        "queue entries against intake's complaints of {OFFICE}"
    );
    let listed_ids: HashSet<&String> = listed.iter().map(|(id, _)| id).collect();
    assert_eq!(
        listed_ids.len(),
        listed.len(),
        "intake lists a complaint twice"
    );
    assert_eq!(listed.len(), SUBMISSIONS, "intake holds one per request id");
    // Registration numbers: distinct, and (a rolled-back transaction returns its numbers) gap-free.
    let mut seqs: Vec<u32> = listed
        .iter()
        .map(|(_, n)| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), SUBMISSIONS, "duplicate registration numbers");
    if seqs.first() != Some(&1) || seqs.last() != Some(&(SUBMISSIONS as u32)) {
        eprintln!(
            "[{name}] note: registration numbers are not gap-free after the crashes: {:?}..{:?}",
            seqs.first(),
            seqs.last()
        );
    }

    let status = server.lock().unwrap().terminate(Duration::from_secs(20));
    assert!(status.success(), "clean shutdown after SIGTERM: {status:?}");
    eprintln!(
        "[{name}] passed in {:.1} s: {} acknowledged, {} in triage exactly once, kills at {kills:?} acknowledged",
        started.elapsed().as_secs_f64(),
        SUBMISSIONS,
        queue.len()
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    crash_during_burst("sqlite", Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres() {
    let Some(intake) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let Some(triage) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    crash_during_burst(
        "postgres",
        vec![
            ("ADUAN_INTAKE__DATABASE_URL".into(), intake),
            ("ADUAN_TRIAGE__DATABASE_URL".into(), triage),
        ],
    )
    .await;
}
