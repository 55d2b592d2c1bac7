//! Leader election for the singleton loops (the SLA sweeper, the feedback sweeper, scheduled
//! reports): exactly one replica runs each of them.
//!
//! [`Leadership`] is what a loop asks ("am I the leader now?", "give it up"). Two kinds:
//!
//! - the PostgreSQL session advisory lock ([`aduan_spine::relay::Singleton`]; with SQLite the
//!   one process is always the leader), the default;
//! - a `coordination.k8s.io/v1` `Lease` ([`LeaseLeadership`]) in cluster mode, renewed by a
//!   background task, so that leadership does not depend on a database connection.
//!
//! ## Lease protocol (the one client-go's leader election uses)
//!
//! Every `renew_period` each candidate reads the Lease. If it is the holder, it writes a new
//! `renewTime`. If another identity holds it, the candidate waits until the record has stayed
//! unchanged for `leaseDurationSeconds` **as measured on its own clock since it first saw that
//! record** (so clock skew between nodes does not matter), and then takes it over (new holder,
//! `acquireTime`, `leaseTransitions + 1`). Every write carries the `resourceVersion` it read, so of
//! two candidates writing at once one gets `409 Conflict` and stays a follower. A holder whose
//! renewals fail considers itself leader only until `renew deadline = lease duration − renew
//! period` after the start of its last successful renewal, which is before any other replica can
//! take over. At shutdown the holder clears `holderIdentity`, and the others take over at their
//! next attempt.
//!
//! Failover after a holder dies without releasing: at most `lease duration + renew period`
//! (15 s + 5 s by default). After a clean shutdown: at most `renew period`.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::PostParams;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::Result;

pub use aduan_spine::relay::Leadership;

/// Timing and identity of Lease leader election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseConfig {
    /// Namespace of the Lease objects (the release's namespace).
    pub namespace: String,
    /// This process's identity, written as `holderIdentity` (unique per process).
    pub identity: String,
    /// `leaseDurationSeconds`: how long a record must stay unrenewed before another replica takes
    /// over.
    pub lease_duration: Duration,
    /// How often the holder renews and the others try.
    pub renew_period: Duration,
}

/// Default `leaseDurationSeconds`.
pub const DEFAULT_LEASE_SECONDS: u32 = 15;

impl LeaseConfig {
    /// The defaults: a 15 s lease renewed every 5 s, and [`default_identity`].
    pub fn new(namespace: impl Into<String>) -> LeaseConfig {
        LeaseConfig::with_lease_seconds(namespace, DEFAULT_LEASE_SECONDS)
    }

    /// A lease of `seconds` (at least 3) renewed every third of it.
    pub fn with_lease_seconds(namespace: impl Into<String>, seconds: u32) -> LeaseConfig {
        let seconds = seconds.max(3);
        LeaseConfig {
            namespace: namespace.into(),
            identity: default_identity(),
            lease_duration: Duration::from_secs(u64::from(seconds)),
            renew_period: Duration::from_secs_f64(f64::from(seconds) / 3.0),
        }
    }

    /// How long a holder whose renewals fail still considers itself the leader.
    pub fn renew_deadline(&self) -> Duration {
        self.lease_duration.saturating_sub(self.renew_period)
    }

    /// The longest time without a leader after the holder dies without releasing.
    pub fn failover(&self) -> Duration {
        self.lease_duration + self.renew_period
    }

    fn lease_seconds(&self) -> i32 {
        i32::try_from(self.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX)
    }
}

/// `<pod name>_<random>`: the pod's host name (`HOSTNAME`, set by Kubernetes) and a process-unique
/// suffix, so that a restarted container is a new candidate.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "aduan".into());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}_{}", host.trim(), &suffix[..12])
}

/// The Lease name for a singleton loop name (`aduan-sla-sweeper:triage` ->
/// `aduan-sla-sweeper-triage`): lower case, characters other than `a-z0-9.-` replaced by `-`,
/// at most 63 characters, starting and ending with an alphanumeric character.
pub fn lease_name(loop_name: &str) -> String {
    let mapped: String = loop_name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        "aduan-singleton".into()
    } else {
        trimmed.to_string()
    }
}

/// What a candidate last saw of a Lease, and when (its own clock).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    holder: Option<String>,
    renew_time: Option<Timestamp>,
    transitions: Option<i32>,
}

/// The outcome of one [`LeaseLock::try_acquire_or_renew`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The Lease did not exist and was created with this process as the holder.
    Created,
    /// This process held the Lease and renewed it.
    Renewed,
    /// The Lease was free (released) or expired, and this process took it over.
    TookOver {
        /// The previous holder, if any.
        from: Option<String>,
    },
    /// Another process holds the Lease and it has not expired.
    HeldBy(String),
    /// Another process wrote the Lease between our read and our write (`409 Conflict`).
    Conflict,
}

impl Attempt {
    /// True when this process is the holder after the attempt.
    pub fn is_leader(&self) -> bool {
        matches!(
            self,
            Attempt::Created | Attempt::Renewed | Attempt::TookOver { .. }
        )
    }
}

/// One Lease, driven one attempt at a time (the state machine under [`LeaseLeadership`]).
#[derive(Debug)]
pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    config: LeaseConfig,
    observed: Option<(Record, Instant)>,
    held_until: Option<Instant>,
}

impl LeaseLock {
    /// The Lease `name` (already a valid object name; see [`lease_name`]) through `api`.
    pub fn new(api: Api<Lease>, name: impl Into<String>, config: LeaseConfig) -> LeaseLock {
        LeaseLock {
            api,
            name: name.into(),
            config,
            observed: None,
            held_until: None,
        }
    }

    /// The Lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configuration.
    pub fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// True while this process holds the Lease: after a successful acquisition or renewal and
    /// until its renew deadline.
    pub fn is_leader(&self) -> bool {
        self.held_until.is_some_and(|until| Instant::now() < until)
    }

    /// The holder seen at the last attempt.
    pub fn observed_holder(&self) -> Option<&str> {
        self.observed
            .as_ref()
            .and_then(|(r, _)| r.holder.as_deref())
    }

    /// One round: read the Lease, then create, renew or take it over when allowed. An API error
    /// leaves the leadership to expire at its renew deadline.
    pub async fn try_acquire_or_renew(&mut self) -> Result<Attempt> {
        let started = Instant::now();
        let now = MicroTime(Timestamp::now());
        let me = self.config.identity.clone();
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(self.config.lease_seconds()),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.won(&created, started);
                    Ok(Attempt::Created)
                }
                Err(kube::Error::Api(s)) if s.is_already_exists() || s.is_conflict() => {
                    self.held_until = None;
                    Ok(Attempt::Conflict)
                }
                Err(e) => Err(e.into()),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        self.observe(&spec, started);
        let mut next = spec.clone();
        next.renew_time = Some(now.clone());
        next.lease_duration_seconds = Some(self.config.lease_seconds());
        let attempt = if holder.as_deref() == Some(me.as_str()) {
            Attempt::Renewed
        } else {
            if let Some(other) = &holder
                && !self.expired(&spec, started)
            {
                self.held_until = None;
                return Ok(Attempt::HeldBy(other.clone()));
            }
            next.holder_identity = Some(me);
            next.acquire_time = Some(now);
            next.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
            Attempt::TookOver { from: holder }
        };
        let mut updated = lease;
        updated.spec = Some(next);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &updated)
            .await
        {
            Ok(written) => {
                self.won(&written, started);
                Ok(attempt)
            }
            Err(kube::Error::Api(s)) if s.is_conflict() => {
                self.held_until = None;
                Ok(Attempt::Conflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the Lease up if this process holds it: clears `holderIdentity` so that another
    /// replica takes over at its next attempt.
    pub async fn release(&mut self) -> Result<()> {
        if self.held_until.take().is_none() {
            return Ok(());
        }
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let mut spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        spec.lease_duration_seconds = Some(1);
        lease.spec = Some(spec);
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(()),
            // Someone else wrote it meanwhile: it is not ours any more.
            Err(kube::Error::Api(s)) if s.is_conflict() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn won(&mut self, lease: &Lease, started: Instant) {
        if let Some(spec) = &lease.spec {
            self.observe(spec, started);
        }
        self.held_until = Some(started + self.config.renew_deadline());
    }

    fn observe(&mut self, spec: &LeaseSpec, at: Instant) {
        let record = Record {
            holder: spec.holder_identity.clone().filter(|h| !h.is_empty()),
            renew_time: spec.renew_time.as_ref().map(|t| t.0),
            transitions: spec.lease_transitions,
        };
        if self.observed.as_ref().map(|(r, _)| r) != Some(&record) {
            self.observed = Some((record, at));
        }
    }

    fn expired(&self, spec: &LeaseSpec, now: Instant) -> bool {
        let duration = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
            .unwrap_or(self.config.lease_duration);
        match &self.observed {
            Some((_, seen)) => now.duration_since(*seen) >= duration,
            None => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Held(Instant),
    NotHeld,
}

/// Lease leadership with a background task that renews (or keeps trying) every renew period,
/// independent of how often the loop asks.
#[derive(Debug)]
pub struct LeaseLeadership {
    lock: Option<LeaseLock>,
    /// The longest wait for the API server in `ensure` and `release` (the renew period).
    wait: Duration,
    status: Option<watch::Receiver<Status>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<LeaseLock>>,
}

impl LeaseLeadership {
    /// Leadership through the Lease `lock`; the background task starts at the first
    /// [`Leadership::ensure`].
    pub fn new(lock: LeaseLock) -> LeaseLeadership {
        LeaseLeadership {
            wait: lock.config.renew_period,
            lock: Some(lock),
            status: None,
            stop: None,
            task: None,
        }
    }

    /// The Lease of the loop `loop_name` in the configured namespace.
    pub fn for_loop(client: kube::Client, loop_name: &str, config: LeaseConfig) -> LeaseLeadership {
        let api = Api::namespaced(client, &config.namespace);
        LeaseLeadership::new(LeaseLock::new(api, lease_name(loop_name), config))
    }

    fn start(&mut self) {
        let Some(mut lock) = self.lock.take() else {
            return;
        };
        let (status_tx, status_rx) = watch::channel(Status::Pending);
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let period = lock.config.renew_period;
            loop {
                let was = lock.is_leader();
                match lock.try_acquire_or_renew().await {
                    Ok(attempt) => {
                        if attempt.is_leader() && !was {
                            tracing::info!(lease = %lock.name, identity = %lock.config.identity, "leadership acquired");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(lease = %lock.name, error = %e, "lease renewal failed")
                    }
                }
                if was && !lock.is_leader() {
                    tracing::warn!(lease = %lock.name, holder = ?lock.observed_holder(), "leadership lost");
                }
                let status = match lock.held_until {
                    Some(until) if lock.is_leader() => Status::Held(until),
                    _ => Status::NotHeld,
                };
                status_tx.send_replace(status);
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = &mut stop_rx => break,
                }
            }
            lock
        });
        self.status = Some(status_rx);
        self.stop = Some(stop_tx);
        self.task = Some(task);
    }
}

#[async_trait::async_trait]
impl Leadership for LeaseLeadership {
    async fn ensure(&mut self) -> bool {
        self.start();
        let Some(rx) = self.status.as_mut() else {
            return false;
        };
        // The first attempt may hang on an unreachable API server: not the leader meanwhile.
        let first = tokio::time::timeout(self.wait, rx.wait_for(|s| *s != Status::Pending)).await;
        let Ok(Ok(status)) = first else {
            return false;
        };
        matches!(*status, Status::Held(until) if Instant::now() < until)
    }

    async fn release(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let lock = match self.task.take() {
            Some(mut task) => match tokio::time::timeout(self.wait, &mut task).await {
                Ok(lock) => lock.ok(),
                Err(_) => {
                    // Stuck in a call to the API server: the Lease will expire instead.
                    task.abort();
                    None
                }
            },
            None => self.lock.take(),
        };
        self.status = None;
        let Some(mut lock) = lock else {
            return;
        };
        match tokio::time::timeout(self.wait, lock.release()).await {
            Ok(Ok(())) => tracing::info!(lease = %lock.name, "leadership released"),
            Ok(Err(e)) => {
                tracing::warn!(lease = %lock.name, error = %e, "lease not released; it will expire")
            }
            Err(_) => tracing::warn!(lease = %lock.name, "lease release timed out; it will expire"),
        }
    }
}

/// How the singleton loops of a process elect their leader.
#[derive(Clone)]
pub enum LeaderElection {
    /// The database's advisory lock (the default; SQLite: always this process).
    Database,
    /// A Lease per loop, in cluster mode.
    Lease {
        /// The Kubernetes client.
        client: kube::Client,
        /// Namespace, identity and timing.
        config: LeaseConfig,
    },
}

impl std::fmt::Debug for LeaderElection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaderElection::Database => f.write_str("Database"),
            LeaderElection::Lease { config, .. } => {
                f.debug_struct("Lease").field("config", config).finish()
            }
        }
    }
}

impl LeaderElection {
    /// The [`aduan_spine::relay::Leaders`] that the sweepers of the process use.
    pub fn leaders(&self) -> aduan_spine::relay::Leaders {
        let this = self.clone();
        std::sync::Arc::new(move |db: &aduan_runtime::db::Database, name: &str| {
            this.singleton(db, name)
        })
    }

    /// The leadership of the loop `name` (for example `aduan-sla-sweeper:triage`), whose data is
    /// in `db`.
    pub fn singleton(&self, db: &aduan_runtime::db::Database, name: &str) -> Box<dyn Leadership> {
        match self {
            LeaderElection::Database => Box::new(aduan_spine::relay::Singleton::new(db, name)),
            LeaderElection::Lease { client, config } => Box::new(LeaseLeadership::for_loop(
                client.clone(),
                name,
                config.clone(),
            )),
        }
    }
}

impl LeaseLeadership {
    /// True when the background task has started and last reported the leadership held.
    pub fn is_leader_now(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|rx| matches!(*rx.borrow(), Status::Held(until) if Instant::now() < until))
    }
}
