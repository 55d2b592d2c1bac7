//! Relay latency benchmark (a benchmark, not a test; issue 3): runs the whole server in this
//! process (intake, the outbox relay, triage), submits complaints at a steady open-loop rate
//! (arrivals on a fixed timetable, whether or not earlier calls have returned), waits until
//! triage holds every complaint, then prints the distribution of the time from registration to
//! visibility in triage's queue (`applied_at - registered_at` of each triage case).
//!
//! `registered_at` is taken by intake just before its commit, and `applied_at` by triage when it
//! builds the case, just before its own commit: the lag includes intake's commit (and the wait
//! for its batch), the relay's wake-up, read and delivery call, and triage's apply.
//!
//! aduan-relay-bench --rate 1000 --seconds 20                       # SQLite in a temporary directory
//! aduan-relay-bench --intake-db postgres://… --triage-db postgres://…

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aduan::Config;
use aduan_bench::{JATIM, complaint};
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use clap::Parser;
use tonic::transport::Channel;

#[derive(Debug, Parser)]
#[command(about = "Intake commit to triage visibility latency at a steady submission rate")]
struct Args {
    /// Submissions per second (open loop: on a fixed timetable).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of submissions.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Intake's database (default: SQLite in the data directory).
    #[arg(long)]
    intake_db: Option<String>,
    /// Triage's database (default: SQLite in the data directory).
    #[arg(long)]
    triage_db: Option<String>,
    /// Data directory (default: a new temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// HTTP/2 connections the submissions are spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Offices to spread submissions over (comma-separated); default: all 38 of Jawa Timur.
    #[arg(long)]
    offices: Option<String>,
    /// Longest wait for triage to catch up after the last submission, in seconds.
    #[arg(long, default_value_t = 120.0)]
    catch_up_seconds: f64,
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn summary(sorted: &[i64]) -> String {
    format!(
        "p50={:.2}ms p90={:.2}ms p99={:.2}ms p999={:.2}ms max={:.2}ms",
        percentile_ms(sorted, 0.50),
        percentile_ms(sorted, 0.90),
        percentile_ms(sorted, 0.99),
        percentile_ms(sorted, 0.999),
        sorted.last().copied().unwrap_or(0) as f64 / 1000.0
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.rate <= 0.0 || args.seconds <= 0.0 {
        return Err("--rate and --seconds must be positive".into());
    }
    let offices: Vec<String> = match &args.offices {
        Some(o) => o.split(',').map(|s| s.trim().to_string()).collect(),
        None => JATIM.iter().map(|s| s.to_string()).collect(),
    };
    let temp = args.data_dir.is_none();
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "aduan-relay-bench-{}",
            uuid::Uuid::new_v4().simple()
        ))
    });
    std::fs::create_dir_all(&data_dir)?;

    // Defaults and ADUAN_* variables (ADUAN_RELAY__POLL_SECONDS etc. apply), then ours.
    let mut config = Config::load(None)?;
    config.listen = "127.0.0.1:0".into();
    config.data_dir = data_dir.clone();
    config.metrics.listen = String::new();
    config.shutdown.drain_seconds = 0.0;
    if std::env::var_os("ADUAN_LOG__LEVEL").is_none() {
        config.log.level = "warn".into();
    }
    config.intake.db.database_url = args
        .intake_db
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("intake.db").display()));
    config.triage.db.database_url = args
        .triage_db
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("triage.db").display()));
    let backend = if config.intake.db.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let _telemetry = aduan_runtime::telemetry::init(&config)?;
    let running = aduan::start(&config, std::future::pending()).await?;
    let triage = running
        .triage
        .clone()
        .ok_or("this process does not run triage")?;
    let before = triage.store().count().await?;
    if before != 0 {
        return Err(format!("triage's database is not empty ({before} complaints)").into());
    }
    let r = &config.relay;
    eprintln!(
        "backend={backend} rate={}/s seconds={} connections={} offices={} relay: batch_size={} poll_seconds={} (woken by each intake commit)",
        args.rate,
        args.seconds,
        args.connections,
        offices.len(),
        r.batch_size,
        r.poll_seconds
    );

    let tokens = Arc::new(aduan_bench::officer_headers(
        &config,
        &data_dir,
        "relay-bench",
        &offices,
    )?);
    let url = format!("http://{}", running.addr);
    let mut channels: Vec<Channel> = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(Channel::from_shared(url.clone())?.connect().await?);
    }

    // Open loop: arrival i is due at start + i / rate; a late timer fires at once and the
    // timetable does not shift. Submit latency is measured from the due time.
    let total = (args.rate * args.seconds).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let errors = Arc::new(AtomicU64::new(0));
    let lateness = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, Instant)>();
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut progress = Instant::now();
    for i in 0..total {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let late = due.elapsed().as_micros() as u64;
        lateness.fetch_max(late, Ordering::Relaxed);
        let office = offices[i as usize % offices.len()].clone();
        let mut req = tonic::Request::new(complaint(format!("{run_id}-{i}"), &office));
        req.metadata_mut()
            .insert("authorization", tokens[&office].parse()?);
        let mut client = IntakeServiceClient::new(channels[i as usize % channels.len()].clone());
        let (tx, errors) = (tx.clone(), errors.clone());
        let due = due.into_std();
        tokio::spawn(async move {
            match client.submit_complaint(req).await {
                Ok(_) => {
                    let _ = tx.send((due.elapsed().as_micros() as i64, Instant::now()));
                }
                Err(e) => {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("submit failed: {:?} {}", e.code(), e.message());
                    }
                }
            }
        });
        if progress.elapsed() >= Duration::from_secs(5) {
            progress = Instant::now();
            eprintln!(
                "  {:>5.1} s  scheduled {}  in triage {}",
                start.elapsed().as_secs_f64(),
                i + 1,
                triage.store().count().await?
            );
        }
    }
    drop(tx);
    let mut submit: Vec<i64> = Vec::with_capacity(total as usize);
    let mut last_done = start.into_std();
    while let Some((lat, at)) = rx.recv().await {
        submit.push(lat);
        last_done = last_done.max(at);
    }
    let submit_elapsed = last_done.duration_since(start.into_std()).as_secs_f64();
    let ok = submit.len() as i64;
    submit.sort_unstable();

    // Wait until triage holds every acknowledged complaint.
    let waited = Instant::now();
    loop {
        let n = triage.store().count().await?;
        if n >= ok {
            break;
        }
        if waited.elapsed().as_secs_f64() > args.catch_up_seconds {
            return Err(format!(
                "triage holds {n} of {ok} complaints {} s after the last submission",
                args.catch_up_seconds
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let catch_up = waited.elapsed();
    let lags = triage.store().visibility_lags().await?;
    let negative = lags.iter().filter(|l| **l < 0).count();

    println!(
        "backend={backend} rate={}/s seconds={} scheduled={total} acknowledged={ok} errors={} achieved={:.0}/s max_timer_lateness={:.2}ms",
        args.rate,
        args.seconds,
        errors.load(Ordering::Relaxed),
        ok as f64 / submit_elapsed,
        lateness.load(Ordering::Relaxed) as f64 / 1000.0,
    );
    println!(
        "submit latency (from due time, n={}): {}",
        submit.len(),
        summary(&submit)
    );
    println!(
        "visibility lag, registered_at (intake, before its commit) to applied_at (triage), n={}: {}",
        lags.len(),
        summary(&lags)
    );
    println!(
        "triage caught up {} ms after the last acknowledgement{}",
        catch_up.as_millis(),
        if negative > 0 {
            format!("; {negative} negative lags (clock steps?)")
        } else {
            String::new()
        }
    );

    running.shutdown().await?;
    if temp {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    Ok(())
}
