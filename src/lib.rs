//! The `aduan` binary's library: assembling every service into one process (`aduan up`), and the
//! command-line client an officer uses against a running server.

pub mod cli;
pub mod json;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use aduan_runtime::auth::Verifier;
use aduan_runtime::config::Config;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::server::ServerBuilder;
use aduan_runtime::{Error, Result};
use tokio::net::TcpListener;

/// A running process: every service on one port.
pub struct Running {
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// The intake core (tests reach the store through it).
    pub intake: Arc<aduan_intake::Intake>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Starts draining and waits for the server to stop, then closes the databases.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.wait().await
    }

    /// Waits until the server stops by itself (SIGTERM), then closes the databases.
    pub async fn wait(self) -> Result<()> {
        let _keep = self.stop;
        let res = self
            .task
            .await
            .map_err(|e| Error::Internal(format!("server task: {e}")))?;
        self.intake.close().await;
        tracing::info!("aduan stopped");
        res
    }
}

/// Starts every service that exists in one process on `config.listen`: health is NOT_SERVING
/// until each service's migrations have run. `signal` triggers the drain (SIGTERM in `aduan up`).
pub async fn start(
    config: &Config,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running> {
    let started = Instant::now();
    let listener = TcpListener::bind(&config.listen).await.map_err(|e| {
        Error::invalid("listen", format!("cannot listen on {}: {e}", config.listen))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::invalid(
            "data_dir",
            format!("cannot create {}: {e}", config.data_dir.display()),
        )
    })?;
    let verifier = Verifier::from_config(&config.auth, &config.data_dir).await?;
    let keys = Arc::new(Keyring::load(&config.crypto.keys_file, &config.data_dir)?);

    let intake_api = aduan_intake::IntakeApi::new();
    let mut builder = ServerBuilder::new();
    builder.add_service(intake_api.clone().into_server(), aduan_intake::AUTHZ);
    let readiness = builder.readiness();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = config.shutdown.clone();
    let task = tokio::spawn(builder.serve(listener, verifier, shutdown, async move {
        tokio::select! {
            _ = signal => {}
            _ = stop_rx => {}
        }
    }));

    let intake = aduan_intake::open(config, keys).await?;
    intake_api.set_ready(intake.clone());
    readiness.set_serving(aduan_intake::SERVICE_NAME).await;
    tracing::info!(
        listen = %addr,
        services = aduan_intake::SERVICE_NAME,
        startup_ms = started.elapsed().as_millis() as u64,
        "aduan is serving"
    );
    Ok(Running {
        addr,
        intake,
        stop: Some(stop_tx),
        task,
    })
}
