//! Load generator (a benchmark, not a test): drives complaint submissions, or a no-op RPC (the
//! health check, through the same server stack) as the ceiling, with N concurrent clients; shows
//! progress and prints throughput and p50/p99/p999 latency.
//!
//! aduan-load --server http://127.0.0.1:50051 --data-dir ./aduan-data --mode submit --clients 64 --seconds 20
//!
//! `--mode overload` (issue 13) drives more concurrent submissions than the server admits: it
//! counts admitted calls and their latency apart from the refusals (RESOURCE_EXHAUSTED, with or
//! without RetryInfo, and how fast they came), waits the RetryInfo delay after a refusal as a
//! well-behaved gRPC client does, and probes the health check every 100 ms on a connection of
//! its own throughout.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aduan::Config;
use aduan_bench::{JATIM, complaint};
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use clap::{Parser, ValueEnum};
use tonic::transport::Channel;
use tonic_types::StatusExt;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Mode {
    /// SubmitComplaint with a complete complaint (S1-S3, durable commit).
    Submit,
    /// grpc.health.v1.Health/Check: the server stack without work, the ceiling.
    Noop,
    /// SubmitComplaint beyond the server's admission limit: admitted and refused calls apart.
    Overload,
}

#[derive(Debug, Parser)]
#[command(about = "Drive load against a running aduan server")]
struct Args {
    /// Server address.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    server: String,
    /// Data directory of the server (its local signing key mints the tokens).
    #[arg(long, default_value = "./aduan-data")]
    data_dir: std::path::PathBuf,
    /// What to call.
    #[arg(long, value_enum, default_value = "submit")]
    mode: Mode,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// HTTP/2 connections shared by the clients.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Measured duration.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Warm-up before measuring.
    #[arg(long, default_value_t = 2)]
    warmup_seconds: u64,
    /// Offices to spread submissions over (comma-separated); default: all 38 of Jawa Timur.
    #[arg(long)]
    offices: Option<String>,
}

/// Refused calls (overload mode).
#[derive(Default)]
struct Shed {
    latency_us: Vec<u32>,
    without_retry_info: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let offices: Vec<String> = match &args.offices {
        Some(o) => o.split(',').map(|s| s.trim().to_string()).collect(),
        None => JATIM.iter().map(|s| s.to_string()).collect(),
    };
    let config = Config::load(None)?;
    let tokens = Arc::new(aduan_bench::officer_headers(
        &config,
        &args.data_dir,
        "load",
        &offices,
    )?);
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(Channel::from_shared(args.server.clone())?.connect().await?);
    }
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let shed = Arc::new(Mutex::new(Shed::default()));
    // The health probe: its own connection, every 100 ms, while the load runs.
    let probe = {
        let channel = Channel::from_shared(args.server.clone())?.connect().await?;
        let (measuring, stop) = (measuring.clone(), stop.clone());
        tokio::spawn(async move {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let (mut ok, mut failed, mut worst) = (0u64, 0u64, Duration::ZERO);
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let mut req = tonic::Request::new(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                });
                req.set_timeout(Duration::from_secs(1));
                let good = matches!(health.check(req).await, Ok(r) if r.get_ref().status == 1);
                if measuring.load(Ordering::Relaxed) {
                    worst = worst.max(start.elapsed());
                    if good { ok += 1 } else { failed += 1 }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (ok, failed, worst)
        })
    };
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let mut handles = Vec::new();
    for i in 0..args.clients {
        let channel = channels[i % channels.len()].clone();
        let (measuring, stop, done, errors) = (
            measuring.clone(),
            stop.clone(),
            done.clone(),
            errors.clone(),
        );
        let tokens = tokens.clone();
        let offices = offices.clone();
        let run_id = run_id.clone();
        let mode = args.mode;
        let shed = shed.clone();
        handles.push(tokio::spawn(async move {
            let mut intake = IntakeServiceClient::new(channel.clone());
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let mut lat: Vec<u32> = Vec::with_capacity(100_000);
            let mut n = 0u64;
            // The n-th complaint of this client, with its office's officer token.
            let submission = |n: u64| {
                let office = &offices[(i + n as usize) % offices.len()];
                let mut req = tonic::Request::new(complaint(format!("{run_id}-{i}-{n}"), office));
                req.metadata_mut()
                    .insert("authorization", tokens[office].parse().expect("header"));
                req
            };
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let ok = match mode {
                    Mode::Overload => {
                        let req = submission(n);
                        match intake.submit_complaint(req).await {
                            Ok(_) => true,
                            Err(e) if e.code() == tonic::Code::ResourceExhausted => {
                                let took = start.elapsed();
                                let delay = e
                                    .get_error_details()
                                    .retry_info()
                                    .and_then(|r| r.retry_delay);
                                if measuring.load(Ordering::Relaxed) {
                                    let mut s = shed.lock().unwrap();
                                    s.latency_us
                                        .push(took.as_micros().min(u32::MAX as u128) as u32);
                                    if delay.is_none() {
                                        s.without_retry_info += 1;
                                    }
                                }
                                n += 1;
                                tokio::time::sleep(delay.unwrap_or(Duration::from_millis(200)))
                                    .await;
                                continue;
                            }
                            Err(_) => false,
                        }
                    }
                    Mode::Submit => {
                        let req = submission(n);
                        match intake.submit_complaint(req).await {
                            Ok(_) => true,
                            Err(status) => {
                                // The first failure is printed, so that a run full of errors
                                // (e.g. sheds by a too-low max_in_flight) says why.
                                static SAID: std::sync::Once = std::sync::Once::new();
                                SAID.call_once(|| {
                                    eprintln!(
                                        "first error: {:?} {}",
                                        status.code(),
                                        status.message()
                                    )
                                });
                                false
                            }
                        }
                    }
                    Mode::Noop => health
                        .check(tonic_health::pb::HealthCheckRequest {
                            service: String::new(),
                        })
                        .await
                        .is_ok(),
                };
                n += 1;
                if measuring.load(Ordering::Relaxed) {
                    if ok {
                        lat.push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    eprintln!(
        "warming up for {} s with {} clients ({:?})",
        args.warmup_seconds, args.clients, args.mode
    );
    tokio::time::sleep(Duration::from_secs(args.warmup_seconds)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let mut last = 0;
    for s in 1..=args.seconds {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let d = done.load(Ordering::Relaxed);
        eprintln!(
            "  {s:>3} s  {:>8} calls/s  total {d}  errors {}",
            d - last,
            errors.load(Ordering::Relaxed)
        );
        last = d;
    }
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await?);
    }
    all.sort_unstable();
    stop.store(true, Ordering::Relaxed);
    let (health_ok, health_failed, health_worst) = probe.await?;
    if args.mode == Mode::Overload {
        let mut s = std::mem::take(&mut *shed.lock().unwrap());
        s.latency_us.sort_unstable();
        println!(
            "overload clients={} seconds={:.1} admitted={} admitted_p50={:.2}ms admitted_p99={:.2}ms \
             refused={} refused_p99={:.2}ms refused_max={:.2}ms refused_without_retry_info={} \
             other_errors={} health_ok={} health_failed={} health_worst={:.1}ms",
            args.clients,
            elapsed,
            all.len(),
            percentile(&all, 0.50),
            percentile(&all, 0.99),
            s.latency_us.len(),
            percentile(&s.latency_us, 0.99),
            s.latency_us.last().copied().unwrap_or(0) as f64 / 1000.0,
            s.without_retry_info,
            errors.load(Ordering::Relaxed),
            health_ok,
            health_failed,
            health_worst.as_secs_f64() * 1000.0,
        );
        return Ok(());
    }
    println!(
        "mode={:?} clients={} seconds={:.1} calls={} errors={} throughput={:.0}/s p50={:.2}ms p99={:.2}ms p999={:.2}ms",
        args.mode,
        args.clients,
        elapsed,
        all.len(),
        errors.load(Ordering::Relaxed),
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
    );
    Ok(())
}
