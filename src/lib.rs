//! The `aduan` binary's library: assembling every service into one process (`aduan up`), and the
//! command-line client an officer uses against a running server.

pub mod audit;
pub mod cli;
pub mod config;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

pub use crate::audit::{AuditExport, AuditReport, audit_export, audit_verify};
pub use crate::config::Config;
use aduan_runtime::auth::{ServiceTokens, Verifier};
use aduan_runtime::crypto::Keyring;
use aduan_runtime::server::ServerBuilder;
use aduan_runtime::{Error, Result};
use aduan_spine::relay::{Inbox, Relays, Subscription};
use tokio::net::TcpListener;

/// Who receives which lifecycle events of whom: one relay per route (the table lives in the
/// event spine, where each inbox checks deliveries against it).
pub use aduan_spine::relay::ROUTES;

/// Starts the relays from `publisher`'s outbox to each of its subscribers (none to a subscriber
/// without an endpoint: the console when no console runs here or elsewhere), and returns the
/// subscribers relayed to (the housekeeping keeps the rows they have not reached).
fn spawn_relays(
    config: &Config,
    relays: &Relays,
    publisher: &'static str,
    outbox: &Arc<aduan_spine::relay::Outbox>,
    endpoint_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>> {
    let tokens = Arc::new(ServiceTokens::from_config(
        &config.auth,
        &config.data_dir,
        &config.province,
        publisher,
    )?);
    let mut subscribers = Vec::new();
    for route in ROUTES.iter().filter(|r| r.source == publisher) {
        let Some(endpoint) = endpoint_of(route.subscriber) else {
            continue;
        };
        subscribers.push(route.subscriber.to_string());
        relays.spawn(
            outbox.clone(),
            Subscription {
                subscriber: route.subscriber.to_string(),
                endpoint,
                events: route.events,
            },
            tokens.clone(),
            config.relay.clone(),
        );
    }
    Ok(subscribers)
}

/// A running process: the configured services on one port.
pub struct Running {
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// The intake core, when this process runs intake (tests reach the store through it).
    pub intake: Option<Arc<aduan_intake::Intake>>,
    /// The triage core, when this process runs triage.
    pub triage: Option<Arc<aduan_triage::Triage>>,
    /// The investigation core, when this process runs investigation.
    pub investigation: Option<Arc<aduan_investigation::Investigation>>,
    /// The feedback core, when this process runs feedback.
    pub feedback: Option<Arc<aduan_feedback::Feedback>>,
    /// The reporting core, when this process runs reporting.
    pub reporting: Option<Arc<aduan_reporting::Reporting>>,
    /// The relays of this process's outboxes.
    pub relays: Relays,
    /// The web console, when this process serves it.
    pub console: Option<ConsoleRunning>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    loops_stop: tokio::sync::watch::Sender<bool>,
    loops: Vec<tokio::task::JoinHandle<()>>,
    task: tokio::task::JoinHandle<Result<()>>,
}

/// The web console of a running process.
pub struct ConsoleRunning {
    /// The console's HTTP address.
    pub addr: SocketAddr,
    /// The first administrator's sign-in name and one-time password, when this start created it
    /// (the database had no account): shown once.
    pub first_admin: Option<aduan_console::FirstAdmin>,
    /// The console's state (tests reach its store through it).
    pub core: Arc<aduan_console::Console>,
}

impl Running {
    /// Starts draining and waits for the server to stop, then closes the databases.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.wait().await
    }

    /// Waits until the server stops by itself (SIGTERM), then stops the relays and the sweeper
    /// and closes the databases.
    pub async fn wait(self) -> Result<()> {
        let _keep = self.stop;
        let res = self
            .task
            .await
            .map_err(|e| Error::Internal(format!("server task: {e}")))?;
        let _ = self.loops_stop.send(true);
        self.relays.shutdown().await;
        for l in self.loops {
            let _ = l.await;
        }
        if let Some(i) = &self.intake {
            i.close().await;
        }
        if let Some(t) = &self.triage {
            t.close().await;
        }
        if let Some(c) = &self.investigation {
            c.close().await;
        }
        if let Some(c) = &self.feedback {
            c.close().await;
        }
        if let Some(c) = &self.reporting {
            c.close().await;
        }
        if let Some(c) = &self.console {
            c.core.store().close().await;
        }
        tracing::info!("aduan stopped");
        res
    }
}

/// Runs the database migrations of the configured services and returns (`aduan migrate`, the
/// Helm chart's pre-install/pre-upgrade job).
pub async fn migrate(config: &Config) -> Result<Vec<&'static str>> {
    let services = config.enabled_services()?;
    for s in &services {
        match *s {
            "intake" => aduan_intake::migrate(config, &config.intake).await?,
            "triage" => aduan_triage::migrate(config, &config.triage).await?,
            "investigation" => aduan_investigation::migrate(config, &config.investigation).await?,
            "feedback" => aduan_feedback::migrate(config, &config.feedback).await?,
            "reporting" => aduan_reporting::migrate(config, &config.reporting).await?,
            _ => {}
        }
    }
    let mut done = services;
    if config.console_enabled() {
        aduan_console::Store::open(&aduan_console::database_url(config, &config.console), 1)
            .await?
            .close()
            .await;
        done.push("console");
    }
    Ok(done)
}

/// `aduan user add`: creates a console account in the console's database, with a one-time
/// password (returned) that must be changed at the first sign-in.
pub async fn add_user(config: &Config, spec: &aduan_console::AccountSpec) -> Result<String> {
    if !config.console.oidc.issuer_url.is_empty() {
        return Err(Error::FailedPrecondition(
            "staff sign in at the identity provider (console.oidc.issuer_url): create the account and its roles there".into(),
        ));
    }
    let refdata = aduan_refdata::RefData::configured(config)?;
    let store =
        aduan_console::Store::open(&aduan_console::database_url(config, &config.console), 1)
            .await?;
    let r = aduan_console::add_user(&store, &refdata, spec, "cli").await;
    store.close().await;
    r
}

/// Starts the configured services (`services`, default all) in one process on `config.listen`:
/// health is NOT_SERVING until each service's migrations have run. Outbox relays deliver events
/// to the subscribing services, in this process or at their configured endpoints. `signal`
/// triggers the drain (SIGTERM in `aduan up`).
pub async fn start(
    config: &Config,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running> {
    let listener = TcpListener::bind(&config.listen).await.map_err(|e| {
        Error::invalid("listen", format!("cannot listen on {}: {e}", config.listen))
    })?;
    start_on(config, listener, signal).await
}

/// [`start`] on a listener already bound (`config.listen` is not read): tests that tell each
/// server the others' addresses bind them all first, so no other process takes a port between.
pub async fn start_on(
    config: &Config,
    listener: TcpListener,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running> {
    let started = Instant::now();
    let services = config.enabled_services()?;
    let console_on = config.console_enabled();
    // The console forwards a citizen's address to intake's public tracking limit: in one
    // process, intake trusts the loopback interface's X-Forwarded-For (docs/console.md).
    let with_console_proxy;
    let config =
        if console_on && services.contains(&"intake") && config.intake.trusted_proxies.is_empty() {
            let mut c = config.clone();
            c.intake.trusted_proxies = "127.0.0.1/32,::1/128".into();
            with_console_proxy = c;
            &with_console_proxy
        } else {
            config
        };
    let local = |s: &str| services.contains(&s);
    let keep = aduan_spine::relay::Keep::of(&config.relay)?;
    let housekeeping_period =
        std::time::Duration::from_secs_f64(config.relay.housekeeping_hours * 3600.0);
    if let Some(warning) = config.check_keys()? {
        tracing::warn!("{warning}");
    }
    for route in ROUTES {
        let (publisher, subscriber) = (route.source, route.subscriber);
        // The console is optional: without one, its notifications are not relayed.
        if subscriber == "console" {
            continue;
        }
        if local(publisher) && !local(subscriber) && config.endpoint(subscriber).is_none() {
            return Err(Error::invalid(
                format!("endpoints.{subscriber}"),
                format!(
                    "{publisher} delivers events to {subscriber}, which does not run in this process: set its endpoint"
                ),
            ));
        }
    }
    // Who reads whose records over gRPC with the caller's token.
    for (reader, owner) in [
        ("triage", "intake"),
        ("investigation", "intake"),
        ("reporting", "triage"),
        ("reporting", "investigation"),
        ("console", "intake"),
        ("console", "triage"),
    ] {
        let reads = local(reader) || (reader == "console" && console_on);
        if reads && !local(owner) && config.endpoint(owner).is_none() {
            return Err(Error::invalid(
                format!("endpoints.{owner}"),
                format!(
                    "{reader} reads records of {owner}, which does not run in this process: set its endpoint"
                ),
            ));
        }
    }
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let self_endpoint = {
        let ip = if addr.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            addr.ip()
        };
        format!("http://{}", SocketAddr::new(ip, addr.port()))
    };
    let endpoint_of = |s: &str| {
        config
            .endpoint(s)
            .map(str::to_string)
            .unwrap_or_else(|| self_endpoint.clone())
    };
    // Where the relays deliver: the console's inbox is this process's when it serves the
    // console, else `endpoints.console`, else nowhere.
    let relay_endpoint = |s: &str| {
        if s == "console" && !console_on {
            config.endpoint(s).map(str::to_string)
        } else {
            Some(endpoint_of(s))
        }
    };
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::invalid(
            "data_dir",
            format!("cannot create {}: {e}", config.data_dir.display()),
        )
    })?;
    let verifier = Verifier::from_config(
        &config.auth,
        &config.data_dir,
        aduan_spine::relay::COMPONENTS,
    )
    .await?;

    let relays = Relays::new();
    let inbox = Inbox::new();
    let intake_api = aduan_intake::IntakeApi::new();
    let triage_api = aduan_triage::TriageApi::new();
    let investigation_api = aduan_investigation::InvestigationApi::new();
    let feedback_api = aduan_feedback::FeedbackApi::new();
    let reporting_api = aduan_reporting::ReportingApi::new();
    let mut builder = ServerBuilder::new();
    // Admission (issue 13): each service takes at most its limit of calls at once.
    builder.grpc_config(&config.grpc);
    for (name, svc) in [
        ("intake", aduan_intake::SERVICE_NAME),
        ("triage", aduan_triage::SERVICE_NAME),
        ("investigation", aduan_investigation::SERVICE_NAME),
        ("feedback", aduan_feedback::SERVICE_NAME),
        ("reporting", aduan_reporting::SERVICE_NAME),
    ] {
        if let (true, Some(db)) = (local(name), config.database(name)) {
            builder.limit(svc, db.in_flight_limit());
        }
    }
    builder.long_call("/aduan.investigation.v1.InvestigationService/UploadEvidence");
    if local("intake") {
        builder.add_service(intake_api.clone().into_server(), aduan_intake::AUTHZ);
    }
    if local("triage") {
        builder.add_service(triage_api.clone().into_server(), aduan_triage::AUTHZ);
    }
    if local("investigation") {
        builder.add_service(
            investigation_api.clone().into_server(),
            aduan_investigation::AUTHZ,
        );
    }
    if local("feedback") {
        builder.add_service(feedback_api.clone().into_server(), aduan_feedback::AUTHZ);
    }
    if local("reporting") {
        builder.add_service(reporting_api.clone().into_server(), aduan_reporting::AUTHZ);
    }
    let receives = |s: &str| ROUTES.iter().any(|r| r.subscriber == s);
    let inbox_on = services.iter().any(|s| receives(s)) || (console_on && receives("console"));
    if inbox_on {
        builder.add_service(inbox.clone().into_server(), aduan_spine::relay::INBOX_AUTHZ);
    }
    builder.add_service(relays.admin_server(), aduan_spine::relay::ADMIN_AUTHZ);
    let readiness = builder.readiness();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = config.shutdown.clone();
    let task = tokio::spawn(builder.serve(listener, verifier, shutdown, async move {
        tokio::select! {
            _ = signal => {}
            _ = stop_rx => {}
        }
    }));

    let (loops_stop, loops_rx) = tokio::sync::watch::channel(false);
    let mut loops = Vec::new();
    // One keyring for every service of the process (personal data and free text per office).
    // A process serving only the console (the pod facing the internet) holds no office key: it
    // reads personal data only through the services, which open it.
    let keys = if services.is_empty() {
        None
    } else {
        Some(Arc::new(Keyring::load(
            &config.crypto.keys_file,
            &config.data_dir,
        )?))
    };
    let keys_of = || {
        keys.clone()
            .ok_or_else(|| Error::Internal("no keyring in a console-only process".into()))
    };
    // One set of office calendars (triage's SLA clock, feedback's silence period) and one way to
    // elect the leader of the singleton loops: from files and the database by default; from the
    // Office and HolidayCalendar resources and Kubernetes Leases in cluster mode.
    let refdata = aduan_refdata::RefData::configured(config)?;
    let calendars = Arc::new(aduan_refdata::calendars::OfficeCalendars::configured(
        config, &refdata,
    )?);
    let leaders = if config.cluster.enabled {
        let mode = aduan_cluster::cluster_mode(
            &config.cluster.namespace,
            &refdata,
            calendars.holidays().clone(),
            config.cluster.lease_seconds,
        )
        .await
        .map_err(|e| Error::Unavailable(format!("cluster mode: {e}")))?;
        calendars.set_source(Arc::new(mode.directory.clone()));
        let mut stop = loops_rx.clone();
        let watch = mode.watch;
        loops.push(tokio::spawn(async move {
            tokio::select! {
                _ = watch => {}
                _ = stop.changed() => {}
            }
        }));
        tracing::info!(namespace = %config.cluster.namespace, "cluster mode: watching offices and holiday calendars, Lease leader election");
        mode.election.leaders()
    } else {
        aduan_spine::relay::database_leaders()
    };
    // The spine's housekeeping of one database (docs/privacy.md, "Retention").
    let housekeeping =
        |db: aduan_runtime::db::Database, name: &str, subscribers: Option<Vec<String>>| {
            tokio::spawn(aduan_spine::relay::run_housekeeping(
                db,
                name.to_string(),
                subscribers,
                keep,
                housekeeping_period,
                leaders.clone(),
                loops_rx.clone(),
            ))
        };
    // A publisher's relays and its database's housekeeping.
    let relay_and_keep = |name: &'static str, outbox: &Arc<aduan_spine::relay::Outbox>| {
        let subscribers = spawn_relays(config, &relays, name, outbox, &relay_endpoint)?;
        Ok::<_, Error>(housekeeping(
            outbox.database().clone(),
            name,
            Some(subscribers),
        ))
    };
    let mut intake = None;
    if local("intake") {
        let core = aduan_intake::open(config, &config.intake, keys_of()?).await?;
        inbox.register("intake", core.clone());
        loops.push(relay_and_keep("intake", core.outbox())?);
        intake_api.set_ready(core.clone());
        readiness.set_serving(aduan_intake::SERVICE_NAME).await;
        intake = Some(core);
    }
    let mut triage = None;
    if local("triage") {
        let core = aduan_triage::open(
            config,
            &config.triage,
            keys_of()?,
            calendars.clone(),
            endpoint_of("intake"),
        )
        .await?;
        inbox.register("triage", core.clone());
        loops.push(relay_and_keep("triage", core.outbox())?);
        let period = std::time::Duration::from_secs_f64(config.sla.sweep_seconds.max(0.05));
        loops.push(tokio::spawn(core.clone().run_sweeper(
            period,
            leaders.clone(),
            loops_rx.clone(),
        )));
        triage_api.set_ready(core.clone());
        readiness.set_serving(aduan_triage::SERVICE_NAME).await;
        triage = Some(core);
    }
    let mut investigation = None;
    if local("investigation") {
        let core = aduan_investigation::open(
            config,
            &config.investigation,
            keys_of()?,
            endpoint_of("intake"),
        )
        .await?;
        inbox.register("investigation", core.clone());
        loops.push(relay_and_keep("investigation", core.outbox())?);
        investigation_api.set_ready(core.clone());
        readiness
            .set_serving(aduan_investigation::SERVICE_NAME)
            .await;
        investigation = Some(core);
    }
    let mut feedback = None;
    if local("feedback") {
        let core =
            aduan_feedback::open(config, &config.feedback, keys_of()?, calendars.clone()).await?;
        inbox.register("feedback", core.clone());
        loops.push(relay_and_keep("feedback", core.outbox())?);
        let period = std::time::Duration::from_secs_f64(config.feedback.sweep_seconds.max(0.05));
        loops.push(tokio::spawn(core.clone().run_sweeper(
            period,
            leaders.clone(),
            loops_rx.clone(),
        )));
        feedback_api.set_ready(core.clone());
        readiness.set_serving(aduan_feedback::SERVICE_NAME).await;
        feedback = Some(core);
    }
    let mut reporting = None;
    if local("reporting") {
        let core = aduan_reporting::open(
            config,
            &config.reporting,
            keys_of()?,
            calendars.clone(),
            endpoint_of("triage"),
            endpoint_of("investigation"),
        )
        .await?;
        inbox.register("reporting", core.clone());
        loops.push(relay_and_keep("reporting", core.outbox())?);
        let period = std::time::Duration::from_secs_f64(config.reporting.sweep_seconds.max(0.05));
        loops.push(tokio::spawn(core.clone().run_scheduler(
            period,
            leaders.clone(),
            loops_rx.clone(),
        )));
        reporting_api.set_ready(core.clone());
        readiness.set_serving(aduan_reporting::SERVICE_NAME).await;
        reporting = Some(core);
    }
    let mut console = None;
    if console_on {
        let listener = TcpListener::bind(&config.console.listen)
            .await
            .map_err(|e| {
                Error::invalid(
                    "console.listen",
                    format!("cannot listen on {}: {e}", config.console.listen),
                )
            })?;
        let console_addr = listener
            .local_addr()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let (core, first_admin) = aduan_console::Console::open(
            config,
            &config.console,
            &aduan_console::Endpoints {
                intake: endpoint_of("intake"),
                triage: endpoint_of("triage"),
                investigation: endpoint_of("investigation"),
                feedback: endpoint_of("feedback"),
                reporting: endpoint_of("reporting"),
            },
        )
        .await?;
        core.serving_at(console_addr);
        // The console's notifications arrive through the relays (docs/console.md).
        inbox.register("console", core.clone());
        loops.push(housekeeping(
            core.store().database().clone(),
            "console",
            None,
        ));
        loops.push(core.spawn_session_sweeper(loops_rx.clone()));
        let mut stop = loops_rx.clone();
        let serving = core.clone();
        loops.push(tokio::spawn(async move {
            let drained = async move {
                let _ = stop.wait_for(|v| *v).await;
            };
            if let Err(e) = aduan_console::serve(listener, serving, drained).await {
                tracing::error!(error = %e, "the console stopped");
            }
        }));
        tracing::info!(listen = %console_addr, "console is serving");
        console = Some(ConsoleRunning {
            addr: console_addr,
            first_admin,
            core,
        });
    }
    if inbox_on {
        readiness.set_serving("aduan.events.v1.EventInbox").await;
    }
    readiness
        .set_serving("aduan.events.v1.EventRelayAdmin")
        .await;
    tracing::info!(
        listen = %addr,
        services = %services.join(","),
        startup_ms = started.elapsed().as_millis() as u64,
        "aduan is serving"
    );
    Ok(Running {
        addr,
        intake,
        triage,
        investigation,
        feedback,
        reporting,
        relays,
        console,
        stop: Some(stop_tx),
        loops_stop,
        loops,
        task,
    })
}
