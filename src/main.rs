//! `aduan`: run the services (`aduan up`), mint local tokens (`aduan token`), and act as an
//! officer against a running server (`aduan intake …`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use aduan::Config;
use aduan_runtime::auth::Role;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aduan",
    version,
    about = "Complaint handling and family counselling for Dinas Sosial P3A offices"
)]
struct Cli {
    /// Configuration file (TOML); environment variables ADUAN_* override it.
    #[arg(long, short = 'c', env = "ADUAN_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every service in one process on one port (default 127.0.0.1:50051), each with its own
    /// SQLite file under the data directory (default ./aduan-data) unless a database URL is set.
    Up {
        /// Listen address (overrides the configuration).
        #[arg(long)]
        listen: Option<String>,
        /// Data directory (overrides the configuration).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Mint a token signed by the local key in the data directory (embedded default only).
    Token {
        /// Role (repeatable): complaints_officer, head, bidang_head, bidang_officer, counsellor, mediator,
        /// social_worker, reporting_officer, provincial_analyst, operator, relay_admin, partner_agency
        /// (service is signed only by the components' service keys).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Office code, e.g. 35.27 (the province code, e.g. 35, for province-wide roles).
        #[arg(long)]
        office: String,
        /// Bidang code, e.g. rehsos.
        #[arg(long)]
        bidang: Option<String>,
        /// Subject (the account id).
        #[arg(long, default_value = "local-user")]
        subject: String,
        /// Lifetime in hours (at most `auth.max_token_hours`, 12 by default).
        #[arg(long, default_value_t = 8)]
        hours: u64,
        /// Data directory holding the signing key (overrides the configuration).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    #[command(flatten)]
    Client(aduan::cli::Command),
    /// Create a service key for every component in DIR (`<service>.pem`, kept if present) and
    /// print the JWKS of their public halves: one Secret per component, and the JWKS ConfigMap
    /// every component trusts (docs/security.md, docs/deploy.md).
    ServiceKeys {
        /// Directory for the private keys.
        #[arg(long)]
        dir: PathBuf,
    },
    /// The tamper-evident access log: `aduan audit verify --office 35.27` checks the office's
    /// chain in every configured service's database and reports the first broken link.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run the database migrations of the configured services (`services`, default all) and exit.
    Migrate,
    /// Console accounts (local sign-in of the embedded default).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the effective configuration (defaults, file, environment) as TOML.
    Config,
    /// Check a server's health (grpc.health.v1): prints the status, exits non-zero unless SERVING.
    Health {
        /// Server address.
        #[arg(long, env = "ADUAN_SERVER", default_value = "http://127.0.0.1:50051")]
        server: String,
        /// A service name, e.g. aduan.intake.v1.IntakeService; empty for the whole server.
        #[arg(long, default_value = "")]
        service: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account with a one-time password (printed once; changed at the first sign-in):
    /// `aduan user add --username sari --name "Sari Wulandari" --role complaints_officer --office 35.27`.
    Add {
        /// Sign-in name: 3-40 characters of a-z 0-9 . _ -.
        #[arg(long)]
        username: String,
        /// The name shown on pages.
        #[arg(long)]
        name: String,
        /// Role (repeatable): complaints_officer, head, bidang_head, bidang_officer, counsellor,
        /// mediator, social_worker, reporting_officer, provincial_analyst, operator, relay_admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Office code, e.g. 35.27 (the province code, e.g. 35, for province-wide roles).
        #[arg(long)]
        office: String,
        /// Bidang code, e.g. rehsos (required for the Bidang roles).
        #[arg(long, default_value = "")]
        bidang: String,
        /// Data directory (overrides the configuration).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check an office's access-log chain; exits non-zero when a link is broken.
    Verify {
        /// Office code, e.g. 35.27.
        #[arg(long)]
        office: String,
    },
    /// Write an office's access log for a period as CSV (who read which complaint's data, when,
    /// why), with every chain checked: for the 3 x 24-hour breach notification (docs/privacy.md).
    /// Exits non-zero when a chain is broken, after writing what is there.
    Export {
        /// Office code, e.g. 35.27.
        #[arg(long)]
        office: String,
        /// From this date (2026-12-01, in the office's time zone) or RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// To this date (inclusive) or RFC 3339 time.
        #[arg(long)]
        to: Option<String>,
        /// Write to this file (created with mode 0600); default: standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let load = || Config::load(cli.config.as_deref()).map_err(|e| e.to_string());
    match cli.command {
        Command::Up { listen, data_dir } => {
            let mut config = load()?;
            if let Some(l) = listen {
                config.listen = l;
            }
            if let Some(d) = data_dir {
                config.data_dir = d;
            }
            let _telemetry = aduan_runtime::telemetry::init(&config).map_err(|e| e.to_string())?;
            aduan_runtime::metrics::install(&config.metrics.listen).map_err(|e| e.to_string())?;
            let running = aduan::start(&config, aduan_runtime::server::shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "aduan: serving gRPC on {} (data in {}); Ctrl-C to stop",
                running.addr,
                config.data_dir.display()
            );
            if let Some(console) = &running.console {
                eprintln!(
                    "aduan: the console is at http://{} (citizens: /, /lacak; staff: /staf/masuk)",
                    console.addr
                );
                if let Some(first) = &console.first_admin {
                    // Shown once, on the terminal only (never in the structured log).
                    eprintln!(
                        "aduan: first administrator: sign in at http://{}/staf/masuk as {:?} with the one-time password {} (it must be changed at once)",
                        console.addr, first.username, first.password
                    );
                }
            }
            running.wait().await.map_err(|e| e.to_string())
        }
        Command::Token {
            roles,
            office,
            bidang,
            subject,
            hours,
            data_dir,
        } => {
            let mut config = load()?;
            if let Some(d) = data_dir {
                config.data_dir = d;
            }
            let mut parsed = Vec::new();
            for r in &roles {
                parsed.push(Role::parse(r).ok_or_else(|| format!("unknown role {r}"))?);
            }
            let token = aduan_runtime::auth::mint_local(
                &config.auth,
                &config.data_dir,
                &subject,
                &office,
                &parsed,
                bidang.as_deref(),
                Duration::from_secs(hours * 3600),
            )
            .map_err(|e| e.to_string())?;
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout().lock(), "{token}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { office },
        } => {
            let config = load()?;
            let reports = aduan::audit_verify(&config, &office)
                .await
                .map_err(|e| e.to_string())?;
            let mut broken = 0;
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            for r in &reports {
                let v = &r.verdict;
                let state = match &v.broken {
                    None => "intact".to_string(),
                    Some(b) => {
                        broken += 1;
                        format!("BROKEN at row {}: {}", b.seq, b.reason)
                    }
                };
                let _ = writeln!(
                    out,
                    "{:<14} office {office}: {} rows chained, {} from before the chain: {state}",
                    r.service, v.rows, v.legacy
                );
            }
            if broken > 0 {
                return Err(format!(
                    "the access log of office {office} was altered in {broken} service(s)"
                ));
            }
            Ok(())
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    office,
                    from,
                    to,
                    output,
                },
        } => {
            let config = load()?;
            let refdata = aduan_refdata::RefData::configured(&config).map_err(|e| e.to_string())?;
            let tz = refdata
                .office(&office)
                .map(|o| o.time_zone.clone())
                .ok_or_else(|| format!("unknown office {office}"))?;
            let bound = |raw: &Option<String>, end| {
                raw.as_deref()
                    .map(|r| aduan::audit::period_bound(r, &tz, end))
                    .transpose()
                    .map_err(|e| e.to_string())
            };
            let (from, to) = (bound(&from, false)?, bound(&to, true)?);
            let exports = aduan::audit_export(&config, &office, from, to)
                .await
                .map_err(|e| e.to_string())?;
            let csv = aduan::audit::export_csv(&exports, &tz);
            use std::io::Write as _;
            match &output {
                Some(path) => aduan_runtime::fsutil::write_private(path, csv.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                None => {
                    let _ = std::io::stdout().lock().write_all(csv.as_bytes());
                }
            }
            let mut broken = Vec::new();
            let mut err = std::io::stderr().lock();
            for e in &exports {
                let state = match &e.verdict.broken {
                    None => "chain intact".to_string(),
                    Some(b) => {
                        broken.push(e.service);
                        format!("chain BROKEN at row {}: {}", b.seq, b.reason)
                    }
                };
                let _ = writeln!(
                    err,
                    "{:<14} office {office}: {} reads in the period; {state}",
                    e.service,
                    e.rows.len()
                );
            }
            if !broken.is_empty() {
                return Err(format!(
                    "the access log of office {office} was altered in {}",
                    broken.join(", ")
                ));
            }
            Ok(())
        }
        Command::ServiceKeys { dir } => {
            let jwks =
                aduan_runtime::auth::create_service_keys(&dir, aduan_spine::relay::COMPONENTS)
                    .map_err(|e| e.to_string())?;
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout().lock(), "{jwks}");
            Ok(())
        }
        Command::Health { server, service } => {
            use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
            let channel = tonic::transport::Endpoint::from_shared(server.clone())
                .map_err(|_| format!("not a server address: {server}"))?
                .connect_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(5))
                .connect()
                .await
                .map_err(|e| format!("cannot reach {server}: {e}"))?;
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.clone(),
                })
                .await
                .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
                .into_inner()
                .status();
            let name = status.as_str_name();
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout().lock(), "{name}");
            if name == "SERVING" {
                Ok(())
            } else {
                Err(format!(
                    "{} is {name}",
                    if service.is_empty() {
                        "the server"
                    } else {
                        &service
                    }
                ))
            }
        }
        Command::Client(command) => aduan::cli::run(command).await.map_err(|e| e.0),
        Command::Migrate => {
            let config = load()?;
            let done = aduan::migrate(&config).await.map_err(|e| e.to_string())?;
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout().lock(), "migrated: {}", done.join(", "));
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    name,
                    roles,
                    office,
                    bidang,
                    data_dir,
                },
        } => {
            let mut config = load()?;
            if let Some(d) = data_dir {
                config.data_dir = d;
            }
            let mut parsed = Vec::new();
            for r in &roles {
                parsed.push(Role::parse(r).ok_or_else(|| format!("unknown role {r}"))?);
            }
            let spec = aduan_console::AccountSpec {
                username: username.trim().to_lowercase(),
                display_name: name,
                roles: parsed,
                office,
                bidang,
            };
            let password = aduan::add_user(&config, &spec)
                .await
                .map_err(|e| e.to_string())?;
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stdout().lock(),
                "account {} created; one-time password (shown once, changed at the first sign-in): {password}",
                spec.username
            );
            Ok(())
        }
        Command::Config => {
            let config = load()?;
            use std::io::Write as _;
            let text = toml::to_string(&config).map_err(|e| e.to_string())?;
            let _ = write!(std::io::stdout().lock(), "{text}");
            Ok(())
        }
    }
}
