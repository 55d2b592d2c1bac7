//! Console page benchmark (a benchmark, not a test; issue 14): runs the whole server in this
//! process (the five services and the console), registers complaints in one office over gRPC,
//! waits until triage holds them all, signs in officers over HTTP and has each of them open the
//! queue page (`/staf/`: triage's queue and intake's S9 list) and a complaint page
//! (`/staf/pengaduan/<id>`: triage's record, reporting's timeline, intake's revisions) in turn,
//! on a keep-alive HTTP/1.1 connection of its own. It prints the latency distribution of each page
//! and the bytes of each.
//!
//! Latency is taken in this process from writing the request to reading the whole answer over
//! loopback: the server's time plus one loopback hop. The server's own time is read from each
//! answer's `Server-Timing` header (the console's middleware: from the request reaching the router
//! to the answer's headers, its gRPC calls to the services included).
//!
//! aduan-console-bench --complaints 10000 --users 50 --seconds 30 --think-ms 1000
//! aduan-console-bench --pg-base postgres://postgres@127.0.0.1:5432   # empty aduan_cb_* databases
//!
//! With `--dashboard` (issue 15) it registers nothing: reporting runs on `--reporting-db`, a
//! database loaded by `aduan-report-bench`, and the users (Heads of `--office`, or with
//! `--province` provincial analysts looking at the whole province) open `/staf/dasbor` for a
//! month, a quarter or the year of 2024-2026 in turn (its statistics, and the IKM of the six
//! months before, seven GetStatistics calls a page).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aduan::Config;
use aduan_bench::complaint;
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(about = "Server time of the console's queue and complaint pages under concurrent users")]
struct Args {
    /// Complaints registered in the office before the run.
    #[arg(long, default_value_t = 10_000)]
    complaints: usize,
    /// Signed-in users, each on a connection of its own.
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Seconds of page views.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Mean think time between a user's page views, in milliseconds (exponential; 0: none, each
    /// user asks again as soon as a page arrives).
    #[arg(long, default_value_t = 1000.0)]
    think_ms: f64,
    /// The office.
    #[arg(long, default_value = "35.27")]
    office: String,
    /// Data directory, kept afterwards (default: a new temporary directory, removed).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// A PostgreSQL server (no database name) holding six empty databases aduan_cb_<service>
    /// (scripts/bench-console creates them).
    #[arg(long)]
    pg_base: Option<String>,
    /// The dashboard instead of the queue and complaint pages (see above).
    #[arg(long)]
    dashboard: bool,
    /// With --dashboard: reporting's database, loaded by aduan-report-bench.
    #[arg(long)]
    reporting_db: Option<String>,
    /// With --dashboard: provincial analysts and the province's dashboard.
    #[arg(long)]
    province: bool,
    /// With --dashboard: the current month, quarter or year (the page's default periods, a
    /// third each) instead of a random period of 2024-2026.
    #[arg(long)]
    current: bool,
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn summary(sorted: &[u64]) -> String {
    format!(
        "n={} p50={:.2}ms p90={:.2}ms p99={:.2}ms p999={:.2}ms max={:.2}ms",
        sorted.len(),
        percentile_ms(sorted, 0.50),
        percentile_ms(sorted, 0.90),
        percentile_ms(sorted, 0.99),
        percentile_ms(sorted, 0.999),
        sorted.last().copied().unwrap_or(0) as f64 / 1000.0
    )
}

/// One keep-alive HTTP/1.1 connection with its cookies.
struct Conn {
    io: BufReader<TcpStream>,
    host: String,
    cookies: HashMap<String, String>,
}

struct Answer {
    status: u16,
    /// The server's own time (its Server-Timing header), in microseconds.
    server_us: u64,
    location: String,
    body: String,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Self {
            io: BufReader::new(s),
            host: addr.to_string(),
            cookies: HashMap::new(),
        })
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&str>,
    ) -> std::io::Result<Answer> {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if let Some(f) = form {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                f.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(form.unwrap_or(""));
        self.io.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.io.read_line(&mut line).await?;
        let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let (mut length, mut location, mut server_us) = (0usize, String::new(), 0u64);
        loop {
            line.clear();
            self.io.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => length = v.parse().unwrap_or(0),
                "location" => location = v.to_string(),
                "server-timing" => {
                    server_us = v
                        .split_once("dur=")
                        .and_then(|(_, d)| d.parse::<f64>().ok())
                        .map(|ms| (ms * 1000.0) as u64)
                        .unwrap_or(0)
                }
                "set-cookie" => {
                    if let Some((n, val)) = v.split(';').next().and_then(|p| p.split_once('=')) {
                        self.cookies.insert(n.to_string(), val.to_string());
                    }
                }
                "transfer-encoding" => {
                    return Err(std::io::Error::other("chunked answers are not read here"));
                }
                _ => {}
            }
        }
        let mut body = vec![0; length];
        self.io.read_exact(&mut body).await?;
        Ok(Answer {
            status,
            server_us,
            location,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// The value of the hidden input `name` of a page.
fn hidden(body: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    body.find(&key)
        .map(|i| {
            let rest = &body[i + key.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .unwrap_or_default()
}

fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A small xorshift generator (think times, which complaint to open).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.users == 0 || args.complaints == 0 || args.seconds <= 0.0 {
        return Err("--users, --complaints and --seconds must be positive".into());
    }
    let temp = args.data_dir.is_none();
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "aduan-console-bench-{}",
            uuid::Uuid::new_v4().simple()
        ))
    });
    std::fs::create_dir_all(&data_dir)?;
    let mut config = Config::load(None)?;
    config.listen = "127.0.0.1:0".into();
    config.console.listen = "127.0.0.1:0".into();
    config.data_dir = data_dir.clone();
    config.metrics.listen = String::new();
    config.shutdown.drain_seconds = 0.0;
    // Many users from one address: the sign-in limit per address is not what is measured.
    config.console.sign_in_per_address_minute = 100_000;
    config.console.max_connections = 8;
    // PostgreSQL with this process's own generated keys: one replica, as in a demo.
    config.auth.allow_local_keys_in_cluster = true;
    if std::env::var_os("ADUAN_LOG__LEVEL").is_none() {
        config.log.level = "warn".into();
    }
    let backend = match &args.pg_base {
        Some(base) => {
            for &svc in aduan_spine::relay::COMPONENTS {
                let url = format!("{base}/aduan_cb_{svc}");
                match svc {
                    "intake" => config.intake.db.database_url = url,
                    "triage" => config.triage.db.database_url = url,
                    "investigation" => config.investigation.db.database_url = url,
                    "feedback" => config.feedback.db.database_url = url,
                    "reporting" => config.reporting.db.database_url = url,
                    _ => config.console.database_url = url,
                }
            }
            "postgres"
        }
        None => "sqlite",
    };
    if let Some(db) = &args.reporting_db {
        config.reporting.db.database_url = db.clone();
    }
    let _telemetry = aduan_runtime::telemetry::init(&config)?;
    let running = aduan::start(&config, std::future::pending()).await?;
    let console = running.console.as_ref().ok_or("the console does not run")?;
    if args.dashboard {
        let r = dashboard(&args, console, backend).await;
        running.shutdown().await?;
        if temp {
            let _ = std::fs::remove_dir_all(&data_dir);
        }
        return r;
    }
    let triage = running.triage.clone().ok_or("triage does not run")?;
    eprintln!(
        "backend={backend} complaints={} users={} seconds={} think_ms={} office={}",
        args.complaints, args.users, args.seconds, args.think_ms, args.office
    );

    // The office's complaints, registered over gRPC (16 at a time).
    let office = args.office.clone();
    let tokens = aduan_bench::officer_headers(
        &config,
        &data_dir,
        "console-bench",
        std::slice::from_ref(&office),
    )?;
    let auth: Arc<str> = tokens[&office].clone().into();
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.addr))?
        .connect()
        .await?;
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    let mut calls = Vec::with_capacity(args.complaints);
    for i in 0..args.complaints {
        let permit = gate.clone().acquire_owned().await?;
        let mut client = IntakeServiceClient::new(channel.clone());
        let (office, auth) = (office.clone(), auth.clone());
        calls.push(tokio::spawn(async move {
            // Admission control may shed a call (RESOURCE_EXHAUSTED): retried after a pause.
            for _ in 0..50 {
                let mut req = tonic::Request::new(complaint(format!("cb-{i}"), &office));
                req.metadata_mut()
                    .insert("authorization", auth.parse().ok()?);
                match client.submit_complaint(req).await {
                    Ok(r) => {
                        drop(permit);
                        return r.into_inner().complaint.map(|c| c.id);
                    }
                    Err(e) if e.code() == tonic::Code::ResourceExhausted => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Err(e) => {
                        eprintln!("registration failed: {:?} {}", e.code(), e.message());
                        return None;
                    }
                }
            }
            None
        }));
    }
    let mut ids = Vec::with_capacity(args.complaints);
    for c in calls {
        if let Some(id) = c.await? {
            ids.push(id);
        }
    }
    if ids.len() != args.complaints {
        return Err(format!(
            "{} of {} registrations failed",
            args.complaints - ids.len(),
            args.complaints
        )
        .into());
    }
    loop {
        let n = triage.store().count().await?;
        if n as usize >= ids.len() {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("triage holds {n} of {} after 10 minutes", ids.len()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "registered {} complaints and triage holds them: {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );

    // PostgreSQL: the state autovacuum keeps an office's tables in (visibility map, statistics),
    // which a bulk load of a few seconds has not reached yet.
    if let Some(base) = &args.pg_base {
        for svc in ["intake", "triage"] {
            let pool = sqlx::PgPool::connect(&format!("{base}/aduan_cb_{svc}")).await?;
            sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
            pool.close().await;
        }
        eprintln!("VACUUM ANALYZE on intake's and triage's databases");
    }

    // Where a queue page's time goes: the two calls it makes, alone, 20 times each.
    {
        use aduan_proto::triage::v1 as tpb;
        use aduan_proto::triage::v1::triage_service_client::TriageServiceClient;
        let mut triage_client = TriageServiceClient::new(channel.clone());
        let mut intake_client = IntakeServiceClient::new(channel.clone());
        let (mut q, mut l) = (Vec::new(), Vec::new());
        for _ in 0..20 {
            let mut req = tonic::Request::new(tpb::ListQueueRequest {
                office_code: office.clone(),
                include_waiting: true,
                page_size: 50,
                ..Default::default()
            });
            req.metadata_mut().insert("authorization", auth.parse()?);
            let t = Instant::now();
            triage_client.list_queue(req).await?;
            q.push(t.elapsed().as_micros() as u64);
            let mut req = tonic::Request::new(aduan_proto::intake::v1::ListComplaintsRequest {
                office_code: office.clone(),
                unmet_requirements: (1..=6).collect(),
                statuses: vec![aduan_proto::common::v1::ComplaintStatus::Registered as i32],
                page_size: 100,
                ..Default::default()
            });
            req.metadata_mut().insert("authorization", auth.parse()?);
            let t = Instant::now();
            intake_client.list_complaints(req).await?;
            l.push(t.elapsed().as_micros() as u64);
        }
        q.sort_unstable();
        l.sort_unstable();
        println!(
            "alone: triage ListQueue(50, waiting included): {}",
            summary(&q)
        );
        println!(
            "alone: intake ListComplaints(S9 filter, 100): {}",
            summary(&l)
        );
    }

    // The users: complaints officers of the office, signed in over HTTP.
    let mut conns = users(
        console,
        args.users,
        aduan_runtime::auth::Role::ComplaintsOfficer,
        &office,
    )
    .await?;

    // Warm-up: every user opens each page once.
    let mut weights = (0usize, 0usize);
    for (u, c) in conns.iter_mut().enumerate() {
        let q = c.call("GET", "/staf/", None).await?;
        let p = c
            .call(
                "GET",
                &format!("/staf/pengaduan/{}", ids[u % ids.len()]),
                None,
            )
            .await?;
        if q.status != 200 || p.status != 200 || !q.body.contains("Antrean verifikasi") {
            return Err(format!("warm-up: queue {} complaint {}", q.status, p.status).into());
        }
        weights = (q.body.len(), p.body.len());
    }

    let ids = Arc::new(ids);
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut users = Vec::new();
    for (u, mut c) in conns.into_iter().enumerate() {
        let ids = ids.clone();
        let think = args.think_ms;
        users.push(tokio::spawn(async move {
            let mut rng =
                Rng(0x9e37_79b9_7f4a_7c15 ^ (u as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
            let (mut queue, mut page, mut failed) = (Vec::new(), Vec::new(), 0u64);
            let (mut queue_server, mut page_server) = (Vec::new(), Vec::new());
            // Users start spread over the first think time.
            if think > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(rng.unit() * think / 1000.0)).await;
            }
            let mut n = 0u64;
            while Instant::now() < until {
                let path = if n.is_multiple_of(2) {
                    "/staf/".to_string()
                } else {
                    format!(
                        "/staf/pengaduan/{}",
                        ids[(rng.next() % ids.len() as u64) as usize]
                    )
                };
                let t = Instant::now();
                match c.call("GET", &path, None).await {
                    Ok(a) if a.status == 200 => {
                        let us = t.elapsed().as_micros() as u64;
                        if n.is_multiple_of(2) {
                            queue.push(us);
                            queue_server.push(a.server_us);
                        } else {
                            page.push(us);
                            page_server.push(a.server_us);
                        }
                    }
                    _ => failed += 1,
                }
                n += 1;
                if think > 0.0 {
                    let wait = -(1.0 - rng.unit()).ln() * think / 1000.0;
                    tokio::time::sleep(Duration::from_secs_f64(wait.min(10.0))).await;
                }
            }
            (queue, page, failed, queue_server, page_server)
        }));
    }
    let (mut queue, mut page, mut failed) = (Vec::new(), Vec::new(), 0);
    let (mut queue_server, mut page_server) = (Vec::new(), Vec::new());
    for u in users {
        let (q, p, f, qs, ps) = u.await?;
        queue.extend(q);
        page.extend(p);
        queue_server.extend(qs);
        page_server.extend(ps);
        failed += f;
    }
    for v in [&mut queue, &mut page, &mut queue_server, &mut page_server] {
        v.sort_unstable();
    }
    println!(
        "backend={backend} complaints={} users={} seconds={} think_ms={} views={} failed={failed} rate={:.0}/s",
        args.complaints,
        args.users,
        args.seconds,
        args.think_ms,
        queue.len() + page.len(),
        (queue.len() + page.len()) as f64 / args.seconds
    );
    println!(
        "queue page /staf/ ({} bytes): {}",
        weights.0,
        summary(&queue)
    );
    println!(
        "complaint page /staf/pengaduan/<id> ({} bytes): {}",
        weights.1,
        summary(&page)
    );
    println!(
        "server time (Server-Timing), queue page: {}",
        summary(&queue_server)
    );
    println!(
        "server time (Server-Timing), complaint page: {}",
        summary(&page_server)
    );
    running.shutdown().await?;
    if temp {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    Ok(())
}

/// `n` accounts of `role` in `office`, each signed in over HTTP on a connection of its own.
async fn users(
    console: &aduan::ConsoleRunning,
    n: usize,
    role: aduan_runtime::auth::Role,
    office: &str,
) -> Result<Vec<Conn>, Box<dyn std::error::Error>> {
    let password = "benchmark password 2026";
    let hash = aduan_console::security::hash_password(password)?;
    let mut conns = Vec::with_capacity(n);
    for u in 0..n {
        let name = format!("pengguna{u:03}");
        console
            .core
            .add_account(
                &aduan_console::AccountSpec {
                    username: name.clone(),
                    display_name: format!("Pengguna {u}"),
                    roles: vec![role],
                    office: office.to_string(),
                    bidang: String::new(),
                },
                "console-bench",
            )
            .await?;
        let store = console.core.store();
        let user = store.user_by_username(&name).await?.ok_or("no account")?;
        store.set_password(&user.id, &hash, false, "").await?;
        let mut c = Conn::open(console.addr).await?;
        let form = c.call("GET", "/staf/masuk", None).await?;
        let csrf = hidden(&form.body, "csrf");
        let done = c
            .call(
                "POST",
                "/staf/masuk",
                Some(&encode(&[
                    ("csrf", &csrf),
                    ("nama", &name),
                    ("sandi", password),
                ])),
            )
            .await?;
        if done.status != 303 || done.location != "/staf/" {
            return Err(
                format!("{name}: sign-in answered {} {}", done.status, done.location).into(),
            );
        }
        conns.push(c);
    }
    Ok(conns)
}

/// The dashboard's run: users open `/staf/dasbor` for a random month, quarter or year of
/// 2024-2026; the server time of each answer (Server-Timing) and the time seen here.
async fn dashboard(
    args: &Args,
    console: &aduan::ConsoleRunning,
    backend: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use aduan_runtime::auth::Role;
    let (role, office, scope) = if args.province {
        (Role::ProvincialAnalyst, "35".to_string(), "35".to_string())
    } else {
        (Role::Head, args.office.clone(), args.office.clone())
    };
    eprintln!(
        "backend={backend} dashboard scope={scope} users={} seconds={} think_ms={}",
        args.users, args.seconds, args.think_ms
    );
    let mut conns = users(console, args.users, role, &office).await?;
    let mut weight = 0;
    let mut rng = Rng(7);
    for c in conns.iter_mut() {
        let a = c
            .call("GET", &dashboard_path(&mut rng, &scope, args.current), None)
            .await?;
        if a.status != 200 || !a.body.contains("Dasbor pengaduan") {
            return Err(format!("warm-up: the dashboard answered {}", a.status).into());
        }
        weight = a.body.len();
    }
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for (u, mut c) in conns.into_iter().enumerate() {
        let think = args.think_ms;
        let current = args.current;
        let scope = scope.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng =
                Rng(0x9e37_79b9_7f4a_7c15 ^ (u as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
            let (mut seen, mut server, mut failed) = (Vec::new(), Vec::new(), 0u64);
            if think > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(rng.unit() * think / 1000.0)).await;
            }
            while Instant::now() < until {
                let p = dashboard_path(&mut rng, &scope, current);
                let t = Instant::now();
                match c.call("GET", &p, None).await {
                    Ok(a) if a.status == 200 => {
                        seen.push(t.elapsed().as_micros() as u64);
                        server.push(a.server_us);
                    }
                    _ => failed += 1,
                }
                if think > 0.0 {
                    let wait = -(1.0 - rng.unit()).ln() * think / 1000.0;
                    tokio::time::sleep(Duration::from_secs_f64(wait.min(10.0))).await;
                }
            }
            (seen, server, failed)
        }));
    }
    let (mut seen, mut server, mut failed) = (Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (a, b, f) = t.await?;
        seen.extend(a);
        server.extend(b);
        failed += f;
    }
    seen.sort_unstable();
    server.sort_unstable();
    println!(
        "backend={backend} dashboard scope={scope} users={} seconds={} think_ms={} views={} failed={failed} rate={:.1}/s",
        args.users,
        args.seconds,
        args.think_ms,
        seen.len(),
        seen.len() as f64 / args.seconds
    );
    println!(
        "dashboard /staf/dasbor ({weight} bytes): {}",
        summary(&seen)
    );
    println!(
        "server time (Server-Timing), dashboard: {}",
        summary(&server)
    );
    Ok(())
}

/// A dashboard address: a random month, quarter or year of 2024-2026 for `scope`; with
/// `current`, the current month, quarter or year (the filter's defaults).
fn dashboard_path(rng: &mut Rng, scope: &str, current: bool) -> String {
    if current {
        let kind = ["bulan", "triwulan", "tahun"][(rng.next() % 3) as usize];
        return format!("/staf/dasbor?periode={kind}&kantor={scope}");
    }
    let year = 2024 + (rng.next() % 3) as i32;
    match rng.next() % 3 {
        0 => format!(
            "/staf/dasbor?periode=bulan&tahun={year}&bulan={}&kantor={scope}",
            1 + rng.next() % 12
        ),
        1 => format!(
            "/staf/dasbor?periode=triwulan&tahun={year}&triwulan={}&kantor={scope}",
            1 + rng.next() % 4
        ),
        _ => format!("/staf/dasbor?periode=tahun&tahun={year}&kantor={scope}"),
    }
}
