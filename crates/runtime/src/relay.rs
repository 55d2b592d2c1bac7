//! The event relay: delivers each service's outbox to the services that subscribe to it, over
//! gRPC (`aduan.events.v1.EventInbox`), at least once and in outbox order, with retry and backoff
//! and a dead-letter state that operators list and replay (`aduan.events.v1.EventRelayAdmin`).
//!
//! ## Tables (every service with an outbox creates them in its own migrations)
//! - `outbox (seq, event_id, complaint_id, event_type, payload, created_at)`: `seq` is taken from
//!   `outbox_counter` inside the writing transaction, so positions are gap-free and in commit
//!   order (the counter row is locked until commit), and a cursor never skips a late commit.
//! - `outbox_counter (id = 1, last_seq)`.
//! - `relay_cursors (subscriber, position, updated_at)`: the last position delivered or
//!   dead-lettered per subscriber.
//! - `relay_dead_letters (subscriber, seq, event_id, complaint_id, event_type, error, attempts,
//!   dead_at, held_behind)`.
//!
//! ## Receivers
//! A receiver applies a batch and records each event id in the same transaction (`inbox_seen`),
//! so a redelivery changes nothing. It answers how many leading events are applied and, if it
//! refuses one for good, which one and why; a refused event becomes a dead letter at once, and
//! the complaint's later events are held behind it (also dead letters, `held_behind`) so that a
//! replay delivers them in order. An unreachable receiver is retried without limit, backing off.
//!
//! With PostgreSQL several replicas may run the same service: a session advisory lock per
//! (outbox, subscriber) lets one of them relay at a time; the others wait and take over when its
//! connection ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aduan_proto::events::v1 as ev;
use ev::event_inbox_client::EventInboxClient;
use prost::Message;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot, watch};
use tonic::transport::Channel;

use crate::auth::{Access, AuthzTable, Caller, Role, ServiceTokens, grant};
use crate::config::RelayConfig;
use crate::db::Database;
use crate::time::now_micros;
use crate::{Error, Result};

/// Counts committed lifecycle events for the funnel dashboard (`aduan_lifecycle_events_total`
/// by source service, step and office; no complaint ids in labels). Call after the commit.
pub fn record_events<'a>(events: impl IntoIterator<Item = &'a ev::LifecycleEvent>) {
    for e in events {
        metrics::counter!(
            "aduan_lifecycle_events_total",
            "service" => e.source_service.clone(),
            "step" => format!("S{}", e.step),
            "office" => e.office_code.clone()
        )
        .increment(1);
    }
}

/// What a PostgreSQL writer runs in its transaction, bound to [`Outbox::channel`]: delivered at
/// commit, nothing when it rolls back.
pub const NOTIFY_SQL: &str = "SELECT pg_notify($1, '')";

/// One outbox row.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    /// Position.
    pub seq: i64,
    /// The event id.
    pub event_id: String,
    /// The complaint.
    pub complaint_id: String,
    /// The event's kind.
    pub event_type: String,
    /// Encoded `LifecycleEvent`.
    pub payload: Vec<u8>,
    /// When it was written, microseconds since the epoch.
    pub created_at: i64,
}

/// One dead letter.
#[derive(Debug, Clone)]
pub struct DeadLetterRow {
    /// Subscriber.
    pub subscriber: String,
    /// Outbox position.
    pub seq: i64,
    /// The event id.
    pub event_id: String,
    /// The complaint.
    pub complaint_id: String,
    /// The event's kind.
    pub event_type: String,
    /// The last error.
    pub error: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When it became dead, microseconds since the epoch.
    pub dead_at: i64,
    /// The earlier dead letter of the same complaint it waits behind.
    pub held_behind: Option<i64>,
}

/// Runs the same body against either pool (the SQL is written to work on both).
macro_rules! with_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Database::Postgres($p) => $body,
            Database::Sqlite($p) => $body,
        }
    };
}

/// The outbox of one service, and the notification its writers give after each commit.
pub struct Outbox {
    service: &'static str,
    db: Database,
    wake: watch::Sender<u64>,
}

impl Outbox {
    /// The outbox of `service` in `db`.
    pub fn new(service: &'static str, db: Database) -> Arc<Self> {
        Arc::new(Self {
            service,
            db,
            wake: watch::channel(0).0,
        })
    }

    /// The service that owns it.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The PostgreSQL notification channel of this outbox: writers `NOTIFY` it in their
    /// transaction ([`NOTIFY_SQL`]) so that the replica running the relay hears of commits made
    /// by the other replicas at once.
    pub fn channel(&self) -> String {
        format!("aduan_outbox_{}", self.service)
    }

    /// Tells the relays that new events were committed (call after the commit).
    pub fn notify(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Events after `after`, in order.
    pub async fn fetch_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
        let rows = with_pool!(&self.db, p => sqlx::query(
            "SELECT seq, event_id, complaint_id, event_type, payload, created_at FROM outbox \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await?
        .into_iter()
        .map(|r| row_event(&r))
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    /// The events at these positions.
    async fn events_at(&self, seqs: &[i64]) -> Result<HashMap<i64, OutboxEvent>> {
        let mut out = HashMap::new();
        for chunk in seqs.chunks(500) {
            let list = chunk
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT seq, event_id, complaint_id, event_type, payload, created_at FROM outbox \
                 WHERE seq IN ({list})"
            );
            let rows = with_pool!(&self.db, p => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
                .into_iter()
                .map(|r| row_event(&r))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?);
            for r in rows {
                out.insert(r.seq, r);
            }
        }
        Ok(out)
    }

    /// The newest position (0 when empty).
    pub async fn head(&self) -> Result<i64> {
        let v: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar("SELECT MAX(seq) FROM outbox")
            .fetch_one(p)
            .await?);
        Ok(v.unwrap_or(0))
    }

    /// The creation time of the event at `seq`, if any.
    async fn created_at(&self, seq: i64) -> Result<Option<i64>> {
        let v: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar("SELECT created_at FROM outbox WHERE seq = $1")
            .bind(seq)
            .fetch_optional(p)
            .await?);
        Ok(v)
    }

    /// The subscriber's position (0 before its first delivery).
    pub async fn cursor(&self, subscriber: &str) -> Result<i64> {
        let v: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT position FROM relay_cursors WHERE subscriber = $1",
        )
        .bind(subscriber)
        .fetch_optional(p)
        .await?);
        Ok(v.unwrap_or(0))
    }

    /// Moves the subscriber's position and records dead letters, in one transaction. With
    /// SQLite the write lock is taken at once (`BEGIN IMMEDIATE`): a deferred transaction would
    /// wait for the upgrade behind every writer of the service.
    async fn advance(&self, subscriber: &str, position: i64, dead: &[DeadLetterRow]) -> Result<()> {
        let now = now_micros();
        macro_rules! body {
            ($tx:ident) => {{
                for d in dead {
                    sqlx::query(
                        "INSERT INTO relay_dead_letters (subscriber, seq, event_id, complaint_id, \
                         event_type, error, attempts, dead_at, held_behind) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (subscriber, seq) DO NOTHING",
                    )
                    .bind(subscriber)
                    .bind(d.seq)
                    .bind(&d.event_id)
                    .bind(&d.complaint_id)
                    .bind(&d.event_type)
                    .bind(&d.error)
                    .bind(d.attempts)
                    .bind(d.dead_at)
                    .bind(d.held_behind)
                    .execute(&mut *$tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO relay_cursors (subscriber, position, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position, \
                     updated_at = excluded.updated_at WHERE relay_cursors.position < excluded.position",
                )
                .bind(subscriber)
                .bind(position)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
                $tx.commit().await?;
            }};
        }
        match &self.db {
            Database::Postgres(p) => {
                let mut tx = p.begin().await?;
                body!(tx)
            }
            Database::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                body!(tx)
            }
        }
        Ok(())
    }

    /// Dead letters, oldest first.
    pub async fn dead_letters(
        &self,
        subscriber: Option<&str>,
        complaint_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DeadLetterRow>> {
        let rows = with_pool!(&self.db, p => sqlx::query(
            "SELECT subscriber, seq, event_id, complaint_id, event_type, error, attempts, dead_at, \
             held_behind FROM relay_dead_letters \
             WHERE ($1 = '' OR subscriber = $1) AND ($2 = '' OR complaint_id = $2) \
             ORDER BY seq, subscriber LIMIT $3",
        )
        .bind(subscriber.unwrap_or(""))
        .bind(complaint_id.unwrap_or(""))
        .bind(limit)
        .fetch_all(p)
        .await?
        .into_iter()
        .map(|r| -> std::result::Result<DeadLetterRow, sqlx::Error> {
            Ok(DeadLetterRow {
                subscriber: r.try_get("subscriber")?,
                seq: r.try_get("seq")?,
                event_id: r.try_get("event_id")?,
                complaint_id: r.try_get("complaint_id")?,
                event_type: r.try_get("event_type")?,
                error: r.try_get("error")?,
                attempts: r.try_get("attempts")?,
                dead_at: r.try_get("dead_at")?,
                held_behind: r.try_get("held_behind")?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?);
        Ok(rows)
    }

    /// Number of dead letters of a subscriber.
    pub async fn dead_count(&self, subscriber: &str) -> Result<i64> {
        let n: i64 = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM relay_dead_letters WHERE subscriber = $1",
        )
        .bind(subscriber)
        .fetch_one(p)
        .await?);
        Ok(n)
    }

    /// Complaints with dead letters, each with its earliest dead position.
    async fn held(&self, subscriber: &str) -> Result<HashMap<String, i64>> {
        let rows = with_pool!(&self.db, p => sqlx::query(
            "SELECT complaint_id, MIN(seq) AS first FROM relay_dead_letters WHERE subscriber = $1 \
             GROUP BY complaint_id",
        )
        .bind(subscriber)
        .fetch_all(p)
        .await?
        .into_iter()
        .map(|r| -> std::result::Result<(String, i64), sqlx::Error> {
            Ok((r.try_get("complaint_id")?, r.try_get("first")?))
        })
        .collect::<std::result::Result<HashMap<_, _>, sqlx::Error>>()?);
        Ok(rows)
    }

    /// Removes delivered dead letters; records a new failure on the first one left.
    async fn settle_replay(
        &self,
        subscriber: &str,
        delivered: &[i64],
        failed: Option<(i64, &str)>,
    ) -> Result<()> {
        with_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for seq in delivered {
                sqlx::query("DELETE FROM relay_dead_letters WHERE subscriber = $1 AND seq = $2")
                    .bind(subscriber)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((seq, error)) = failed {
                sqlx::query(
                    "UPDATE relay_dead_letters SET error = $3, attempts = attempts + 1, dead_at = $4, \
                     held_behind = NULL WHERE subscriber = $1 AND seq = $2",
                )
                .bind(subscriber)
                .bind(seq)
                .bind(error)
                .bind(now_micros())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

fn row_event<R>(r: &R) -> std::result::Result<OutboxEvent, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    String: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
    Vec<u8>: sqlx::Type<R::Database> + for<'d> sqlx::Decode<'d, R::Database>,
{
    Ok(OutboxEvent {
        seq: r.try_get("seq")?,
        event_id: r.try_get("event_id")?,
        complaint_id: r.try_get("complaint_id")?,
        event_type: r.try_get("event_type")?,
        payload: r.try_get("payload")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Where one outbox's events go: a subscriber and its endpoint.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The receiving service, for example "triage".
    pub subscriber: String,
    /// Its gRPC endpoint, for example "http://127.0.0.1:50051".
    pub endpoint: String,
    /// The event types it takes (outbox `event_type`); the others are not sent.
    pub events: &'static [&'static str],
}

/// One relay: the event types of one publisher's outbox that one subscriber takes. The relay
/// sends only these, and the subscriber's inbox refuses any other (docs/security.md).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The publishing service.
    pub source: &'static str,
    /// The receiving service.
    pub subscriber: &'static str,
    /// The event types (outbox `event_type`, see [`crate::casefile::event_type`]).
    pub events: &'static [&'static str],
}

const fn route(
    source: &'static str,
    subscriber: &'static str,
    events: &'static [&'static str],
) -> Route {
    Route {
        source,
        subscriber,
        events,
    }
}

/// Who receives which lifecycle events of whom (docs/ARCHITECTURE.md, "How a complaint moves";
/// docs/security.md, "Service identity"). Each entry is one relay.
pub const ROUTES: &[Route] = &[
    // S3 registered, S9 amended: the screening queue.
    route("intake", "triage", &["registered", "amended"]),
    // S7 disposition: a case opens in the Bidang.
    route("triage", "investigation", &["disposition_issued"]),
    // S12 response approved: delivery opens.
    route("investigation", "feedback", &["response_approved"]),
    // S13 delivered, S14 dissatisfied: the case waits, or reopens; closed after silence.
    route(
        "feedback",
        "investigation",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    // S13 delivered: the SLA clock stops; S14 reopened: a new clock; closed after silence.
    route(
        "feedback",
        "triage",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    // Intake follows the complaint for public tracking and its amendment rules: screening
    // (transfer, referral, rejection), disposition, delivery, reopening, closing.
    route(
        "triage",
        "intake",
        &[
            "screened",
            "forwarded_to_head",
            "disposition_issued",
            "closed",
        ],
    ),
    route(
        "feedback",
        "intake",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    route("reporting", "intake", &["closed"]),
    // Every lifecycle event of every service: reporting's projections, statistics, timeline.
    route("intake", "reporting", &["registered", "amended"]),
    route(
        "triage",
        "reporting",
        &[
            "screened",
            "forwarded_to_head",
            "disposition_issued",
            "sla_alert",
            "closed",
        ],
    ),
    route(
        "investigation",
        "reporting",
        &[
            "handling_activity",
            "eligibility_decided",
            "referral_made",
            "referral_answered",
            "response_approved",
            "closed",
        ],
    ),
    route(
        "feedback",
        "reporting",
        &[
            "response_delivered",
            "feedback_recorded",
            "survey_submitted",
            "closed",
        ],
    ),
    // S16 distributed to the complainant and the Head: the complaint is closed everywhere.
    route("reporting", "triage", &["closed"]),
    route("reporting", "investigation", &["closed"]),
    route("reporting", "feedback", &["closed"]),
    // The console's notifications (docs/console.md, "Notifications"): a disposition to a
    // Bidang, an SLA warning or breach; a response drafted for approval, returned, approved, a
    // case moved or reopened. The console keeps only numbers, codes and dates of them; the
    // registration gives the number and category that an SLA alert does not carry.
    route("intake", "console", &["registered"]),
    route("triage", "console", &["disposition_issued", "sla_alert"]),
    route(
        "investigation",
        "console",
        &["handling_activity", "response_approved"],
    ),
];

/// The route from `source` to `subscriber`, if there is one.
pub fn find_route(source: &str, subscriber: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.source == source && r.subscriber == subscriber)
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct ReplayOutcome {
    /// Delivered and removed.
    pub delivered: usize,
    /// Still dead.
    pub still_dead: Vec<DeadLetterRow>,
}

enum Command {
    Replay {
        complaint_id: Option<String>,
        reply: oneshot::Sender<Result<ReplayOutcome>>,
    },
}

#[derive(Default)]
struct LiveState {
    active: bool,
    last_error: String,
    /// The position this process has delivered (ahead of the stored one by at most a moment).
    position: Option<i64>,
}

struct Handle {
    outbox: Arc<Outbox>,
    subscriber: String,
    endpoint: String,
    events: &'static [&'static str],
    live: Mutex<LiveState>,
    commands: mpsc::Sender<Command>,
}

/// The relays of a process, for the admin API.
#[derive(Clone, Default)]
pub struct Relays {
    handles: Arc<RwLock<Vec<Arc<Handle>>>>,
    listening: Arc<Mutex<Vec<&'static str>>>,
    stop: Arc<Mutex<Vec<watch::Sender<bool>>>>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relays {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts relaying `outbox` to `subscription`.
    pub fn spawn(
        &self,
        outbox: Arc<Outbox>,
        subscription: Subscription,
        tokens: Arc<ServiceTokens>,
        config: RelayConfig,
    ) {
        let (tx, rx) = mpsc::channel(16);
        let handle = Arc::new(Handle {
            outbox,
            subscriber: subscription.subscriber,
            endpoint: subscription.endpoint,
            events: subscription.events,
            live: Mutex::new(LiveState::default()),
            commands: tx,
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        if let Ok(mut h) = self.handles.write() {
            h.push(handle.clone());
        }
        if let Ok(mut s) = self.stop.lock() {
            s.push(stop_tx);
        }
        if let Database::Postgres(pool) = &handle.outbox.db {
            let first = self
                .listening
                .lock()
                .map(|mut l| {
                    let new = !l.contains(&handle.outbox.service);
                    if new {
                        l.push(handle.outbox.service);
                    }
                    new
                })
                .unwrap_or(false);
            if first {
                let listener =
                    tokio::spawn(listen(handle.outbox.clone(), pool.clone(), stop_rx.clone()));
                if let Ok(mut t) = self.tasks.lock() {
                    t.push(listener);
                }
            }
        }
        let task = tokio::spawn(run(handle, tokens, config, rx, stop_rx));
        if let Ok(mut t) = self.tasks.lock() {
            t.push(task);
        }
    }

    /// Stops every relay (after the current delivery) and waits for them.
    pub async fn shutdown(&self) {
        if let Ok(s) = self.stop.lock() {
            for tx in s.iter() {
                let _ = tx.send(true);
            }
        }
        let tasks: Vec<_> = self
            .tasks
            .lock()
            .map(|mut t| t.drain(..).collect())
            .unwrap_or_default();
        for t in tasks {
            let _ = t.await;
        }
    }

    fn all(&self) -> Vec<Arc<Handle>> {
        self.handles.read().map(|h| h.clone()).unwrap_or_default()
    }

    /// The admin gRPC service over these relays.
    pub fn admin_server(&self) -> ev::event_relay_admin_server::EventRelayAdminServer<Self> {
        ev::event_relay_admin_server::EventRelayAdminServer::new(self.clone())
    }
}

/// Wakes the outbox's relays on every PostgreSQL notification of its channel (commits by other
/// replicas of the service), reconnecting when the connection drops.
async fn listen(outbox: Arc<Outbox>, pool: sqlx::PgPool, mut stop: watch::Receiver<bool>) {
    let channel = outbox.channel();
    loop {
        if *stop.borrow() {
            return;
        }
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut l) => {
                if l.listen(&channel).await.is_ok() {
                    // Commits made while not listening are found by the next look.
                    outbox.notify();
                    loop {
                        tokio::select! {
                            r = l.recv() => match r {
                                Ok(_) => outbox.notify(),
                                Err(_) => break,
                            },
                            _ = stop.changed() => return,
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(source = outbox.service, error = %e, "outbox notifications unavailable; polling")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The PostgreSQL advisory lock key of a singleton name (FNV-1a: stable across builds).
fn name_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

fn lock_name(source: &str, subscriber: &str) -> String {
    format!("aduan-relay:{source}:{subscriber}")
}

/// Whether this process may run a singleton loop now (the SLA sweeper, feedback's closing
/// sweep): the database's advisory lock ([`Singleton`]) by default, a Kubernetes Lease in cluster
/// mode (`aduan-cluster`).
#[tonic::async_trait]
pub trait Leadership: Send {
    /// True when this process holds the leadership (trying to take it when it is free).
    async fn ensure(&mut self) -> bool;
    /// Gives the leadership up (at shutdown).
    async fn release(&mut self);
}

#[tonic::async_trait]
impl Leadership for Singleton {
    async fn ensure(&mut self) -> bool {
        Singleton::ensure(self).await
    }

    async fn release(&mut self) {
        Singleton::release(self).await
    }
}

/// Makes the leadership of a singleton loop from the loop's database and name.
pub type Leaders = Arc<dyn Fn(&Database, &str) -> Box<dyn Leadership> + Send + Sync>;

/// Leadership by the database's advisory lock (the default).
pub fn database_leaders() -> Leaders {
    Arc::new(|db: &Database, name: &str| Box::new(Singleton::new(db, name)) as Box<dyn Leadership>)
}

/// A loop that only one process may run at a time (a relay, the SLA sweeper): with PostgreSQL
/// the holder of a session advisory lock named after the loop; with SQLite (one process per
/// database file) always this process.
pub enum Singleton {
    /// SQLite: this process.
    Always,
    /// PostgreSQL: the holder of the advisory lock `key`.
    Postgres {
        /// Where to take a connection from.
        pool: sqlx::PgPool,
        /// The lock key.
        key: i64,
        /// The connection holding the lock (detached from the pool).
        conn: Option<sqlx::PgConnection>,
        /// When the connection was last checked.
        checked: Instant,
    },
}

impl Singleton {
    /// The singleton `name` on `db`.
    pub fn new(db: &Database, name: &str) -> Self {
        let key = name_key(name);
        match db {
            Database::Postgres(p) => Singleton::Postgres {
                pool: p.clone(),
                key,
                conn: None,
                checked: Instant::now(),
            },
            Database::Sqlite(_) => Singleton::Always,
        }
    }

    /// True when this process holds the lock (taking it if free). Checks a held lock's
    /// connection every few seconds.
    pub async fn ensure(&mut self) -> bool {
        match self {
            Singleton::Always => true,
            Singleton::Postgres {
                pool,
                key,
                conn,
                checked,
            } => {
                if let Some(c) = conn.as_mut() {
                    if checked.elapsed() < Duration::from_secs(5) {
                        return true;
                    }
                    *checked = Instant::now();
                    if sqlx::query("SELECT 1").execute(&mut *c).await.is_ok() {
                        return true;
                    }
                    *conn = None;
                }
                let Ok(pooled) = pool.acquire().await else {
                    return false;
                };
                let mut c = pooled.detach();
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(*key)
                    .fetch_one(&mut c)
                    .await
                    .unwrap_or(false);
                if got {
                    *conn = Some(c);
                    *checked = Instant::now();
                    true
                } else {
                    use sqlx::Connection;
                    let _ = c.close().await;
                    false
                }
            }
        }
    }

    /// Gives the lock up (at shutdown).
    pub async fn release(&mut self) {
        if let Singleton::Postgres { conn, .. } = self
            && let Some(c) = conn.take()
        {
            use sqlx::Connection;
            let _ = c.close().await;
        }
    }
}

/// The task that writes a relay's delivered position, at most every 250 ms; it ends with the
/// relay (when the sender is dropped). The SQL never moves a position back.
fn spawn_saver(h: Arc<Handle>) -> (watch::Sender<i64>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = watch::channel(0i64);
    let task = tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let p = *rx.borrow_and_update();
            if let Err(e) = h.outbox.advance(&h.subscriber, p, &[]).await {
                tracing::warn!(source = h.outbox.service, subscriber = %h.subscriber, error = %e, "relay cursor not saved; retrying");
                rx.mark_changed();
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    (tx, task)
}

/// Status codes that retrying the same request will not fix.
fn is_permanent(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::InvalidArgument
            | tonic::Code::FailedPrecondition
            | tonic::Code::OutOfRange
            | tonic::Code::Unimplemented
            | tonic::Code::DataLoss
    )
}

struct Worker {
    h: Arc<Handle>,
    tokens: Arc<ServiceTokens>,
    config: RelayConfig,
    client: Option<EventInboxClient<Channel>>,
    position: i64,
    held: HashMap<String, i64>,
    attempts: u32,
    loaded: bool,
    gauges_at: Option<Instant>,
    /// Hands delivered positions to the task that writes them (see `commit`).
    saver: watch::Sender<i64>,
    saver_task: tokio::task::JoinHandle<()>,
}

async fn run(
    h: Arc<Handle>,
    tokens: Arc<ServiceTokens>,
    config: RelayConfig,
    mut commands: mpsc::Receiver<Command>,
    mut stop: watch::Receiver<bool>,
) {
    let mut wake = h.outbox.wake.subscribe();
    let mut leader = Singleton::new(&h.outbox.db, &lock_name(h.outbox.service, &h.subscriber));
    let poll = Duration::from_secs_f64(config.poll_seconds.max(0.01));
    let min_backoff = Duration::from_secs_f64(config.min_backoff_seconds.max(0.001));
    let max_backoff = Duration::from_secs_f64(config.max_backoff_seconds.max(0.01));
    let mut backoff = min_backoff;
    let (saver, saver_task) = spawn_saver(h.clone());
    let mut w = Worker {
        h: h.clone(),
        tokens,
        config,
        client: None,
        position: 0,
        held: HashMap::new(),
        attempts: 0,
        loaded: false,
        gauges_at: None,
        saver,
        saver_task,
    };
    tracing::info!(source = h.outbox.service, subscriber = %h.subscriber, endpoint = %h.endpoint, "relay started");
    loop {
        if *stop.borrow() {
            break;
        }
        if !leader.ensure().await {
            w.set_live(false, None);
            w.loaded = false;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => {}
                Some(cmd) = commands.recv() => w.refuse(cmd),
            }
            continue;
        }
        if !w.loaded {
            match w.load().await {
                Ok(()) => w.set_live(true, None),
                Err(e) => {
                    w.set_live(true, Some(e.to_string()));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(max_backoff);
                    continue;
                }
            }
        }
        while let Ok(cmd) = commands.try_recv() {
            w.handle(cmd).await;
        }
        // Mark what is there now as seen before looking, so a commit during the step wakes us.
        wake.borrow_and_update();
        match w.step().await {
            Ok(more) => {
                backoff = min_backoff;
                if more {
                    continue;
                }
                tokio::select! {
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                    Some(cmd) = commands.recv() => w.handle(cmd).await,
                }
            }
            Err(e) => {
                tracing::warn!(source = h.outbox.service, subscriber = %h.subscriber, error = %e, retry_in_ms = backoff.as_millis() as u64, "relay delivery failed");
                w.set_live(true, Some(e.to_string()));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => {}
                    Some(cmd) = commands.recv() => w.handle(cmd).await,
                }
                backoff = (backoff * 2).min(max_backoff);
            }
        }
    }
    // The saver stops; the last position is written here, before the databases close.
    w.saver_task.abort();
    if w.loaded
        && let Err(e) = h.outbox.advance(&h.subscriber, w.position, &[]).await
    {
        tracing::warn!(source = h.outbox.service, subscriber = %h.subscriber, error = %e, "relay cursor not saved");
    }
    leader.release().await;
    tracing::info!(source = h.outbox.service, subscriber = %h.subscriber, "relay stopped");
}

impl Worker {
    fn labels(&self) -> [(&'static str, String); 2] {
        [
            ("source", self.h.outbox.service.to_string()),
            ("subscriber", self.h.subscriber.clone()),
        ]
    }

    fn set_live(&self, active: bool, error: Option<String>) {
        if let Ok(mut l) = self.h.live.lock() {
            l.active = active;
            l.last_error = error.unwrap_or_default();
        }
    }

    fn refuse(&self, cmd: Command) {
        match cmd {
            Command::Replay { reply, .. } => {
                let _ = reply.send(Err(Error::Unavailable(
                    "another replica runs this relay now; retry".into(),
                )));
            }
        }
    }

    async fn load(&mut self) -> Result<()> {
        self.position = self.h.outbox.cursor(&self.h.subscriber).await?;
        self.held = self.h.outbox.held(&self.h.subscriber).await?;
        self.publish_position();
        self.attempts = 0;
        self.loaded = true;
        self.update_gauges(true).await;
        Ok(())
    }

    async fn update_gauges(&mut self, force: bool) {
        if !force
            && self
                .gauges_at
                .is_some_and(|t| t.elapsed() < Duration::from_secs(2))
        {
            return;
        }
        self.gauges_at = Some(Instant::now());
        let labels = self.labels();
        if let Ok(head) = self.h.outbox.head().await {
            metrics::gauge!("aduan_outbox_depth", &labels)
                .set((head - self.position).max(0) as f64);
        }
        let lag = match self.h.outbox.created_at(self.position + 1).await {
            Ok(Some(created)) => ((now_micros() - created) as f64 / 1e6).max(0.0),
            _ => 0.0,
        };
        metrics::gauge!("aduan_outbox_lag_seconds", &labels).set(lag);
        if let Ok(n) = self.h.outbox.dead_count(&self.h.subscriber).await {
            metrics::gauge!("aduan_outbox_dead_letters", &labels).set(n as f64);
        }
    }

    fn client(&mut self) -> Result<EventInboxClient<Channel>> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let endpoint = tonic::transport::Endpoint::from_shared(self.h.endpoint.clone())
            .map_err(|e| Error::invalid("endpoints", format!("{}: {e}", self.h.endpoint)))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs_f64(
                self.config.call_timeout_seconds.max(0.1),
            ));
        let c = EventInboxClient::new(endpoint.connect_lazy())
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20);
        self.client = Some(c.clone());
        Ok(c)
    }

    async fn deliver(
        &mut self,
        events: Vec<ev::LifecycleEvent>,
    ) -> std::result::Result<ev::DeliverEventsResponse, tonic::Status> {
        let mut client = self.client().map_err(tonic::Status::from)?;
        let n = events.len();
        let span = tracing::info_span!(
            "relay deliver",
            otel.kind = "producer",
            source = self.h.outbox.service,
            subscriber = %self.h.subscriber,
            events = n,
            messaging.system = "aduan",
            messaging.operation.type = "send",
            messaging.operation.name = "deliver",
            messaging.destination.name = %self.h.subscriber,
            messaging.batch.message_count = n,
        );
        // Issue 13: a batch span starts its own trace; it links to the trace of each event it
        // carries (the OpenTelemetry messaging conventions for batches), so that a trace
        // viewer walks from a batch to the requests that wrote its events.
        crate::telemetry::link_events(&span, &events);
        let token = self.tokens.token().map_err(tonic::Status::from)?;
        let mut req = tonic::Request::new(ev::DeliverEventsRequest {
            subscriber: self.h.subscriber.clone(),
            source_service: self.h.outbox.service.to_string(),
            events,
        });
        if let Ok(v) = format!("Bearer {token}").parse() {
            req.metadata_mut().insert("authorization", v);
        }
        {
            let _g = span.enter();
            crate::telemetry::inject_metadata(req.metadata_mut());
        }
        use tracing::Instrument;
        let res = client.deliver_events(req).instrument(span).await;
        res.map(|r| r.into_inner())
    }

    /// Delivers the next batch. Ok(true) when there may be more to deliver right away.
    async fn step(&mut self) -> Result<bool> {
        let batch = i64::from(self.config.batch_size.clamp(1, MAX_BATCH as u32));
        let rows = self.h.outbox.fetch_after(self.position, batch).await?;
        if rows.is_empty() {
            self.update_gauges(false).await;
            return Ok(false);
        }
        let full = rows.len() as i64 == batch;
        let last_seq = rows.last().map(|r| r.seq).unwrap_or(self.position);
        let mut send: Vec<(OutboxEvent, ev::LifecycleEvent)> = Vec::with_capacity(rows.len());
        let mut dead: Vec<DeadLetterRow> = Vec::new();
        let now = now_micros();
        for r in rows {
            // Only the types the subscriber takes travel (its inbox refuses the others).
            if !self.h.events.contains(&r.event_type.as_str()) {
                continue;
            }
            if let Some(first) = self.held.get(&r.complaint_id) {
                dead.push(dead_row(
                    &self.h.subscriber,
                    &r,
                    "held behind an earlier dead letter of the same complaint",
                    0,
                    now,
                    Some(*first),
                ));
                continue;
            }
            match ev::LifecycleEvent::decode(r.payload.as_slice()) {
                Ok(e) => send.push((r, e)),
                Err(e) => {
                    self.held.insert(r.complaint_id.clone(), r.seq);
                    dead.push(dead_row(
                        &self.h.subscriber,
                        &r,
                        &format!("undecodable event: {e}"),
                        0,
                        now,
                        None,
                    ));
                }
            }
        }
        if send.is_empty() {
            self.commit(last_seq, dead).await?;
            return Ok(full);
        }
        let sent = send.len();
        let events: Vec<ev::LifecycleEvent> = send.iter().map(|(_, e)| e.clone()).collect();
        let oldest = send.iter().map(|(r, _)| r.created_at).min().unwrap_or(now);
        match self.deliver(events).await {
            Ok(resp) => {
                self.attempts = 0;
                let applied = (resp.applied.max(0) as usize).min(sent);
                let labels = self.labels();
                metrics::counter!(
                    "aduan_relay_deliveries_total",
                    &[
                        labels[0].clone(),
                        labels[1].clone(),
                        ("result", "applied".to_string())
                    ]
                )
                .increment((applied as u64).saturating_sub(resp.duplicates.max(0) as u64));
                if resp.duplicates > 0 {
                    metrics::counter!(
                        "aduan_relay_deliveries_total",
                        &[
                            labels[0].clone(),
                            labels[1].clone(),
                            ("result", "duplicate".to_string())
                        ]
                    )
                    .increment(resp.duplicates as u64);
                }
                metrics::histogram!("aduan_relay_delivery_seconds", &labels)
                    .record(((now_micros() - oldest) as f64 / 1e6).max(0.0));
                if applied < sent {
                    let (row, _) = &send[applied];
                    let position = row.seq;
                    let reason = match resp.rejection {
                        Some(rej) => format!("refused: {}", rej.reason),
                        None if applied == 0 => {
                            return Err(Error::Unavailable(
                                "the receiver applied nothing and gave no reason".into(),
                            ));
                        }
                        None => {
                            // Partial progress without a refusal: keep what was applied.
                            let upto = send[applied - 1].0.seq;
                            dead.retain(|d| d.seq < upto);
                            self.commit(upto, dead).await?;
                            return Ok(true);
                        }
                    };
                    metrics::counter!(
                        "aduan_relay_deliveries_total",
                        &[
                            labels[0].clone(),
                            labels[1].clone(),
                            ("result", "dead_letter".to_string())
                        ]
                    )
                    .increment(1);
                    tracing::warn!(source = self.h.outbox.service, subscriber = %self.h.subscriber, seq = position, event_id = %row.event_id, %reason, "event refused; kept as a dead letter");
                    dead.retain(|d| d.seq < position);
                    dead.push(dead_row(&self.h.subscriber, row, &reason, 1, now, None));
                    self.held.insert(row.complaint_id.clone(), position);
                    self.commit(position, dead).await?;
                    return Ok(true);
                }
                self.commit(last_seq, dead).await?;
                self.set_live(true, None);
                Ok(full)
            }
            Err(status) => {
                let labels = self.labels();
                metrics::counter!(
                    "aduan_relay_deliveries_total",
                    &[
                        labels[0].clone(),
                        labels[1].clone(),
                        ("result", "error".to_string())
                    ]
                )
                .increment(1);
                if is_permanent(status.code()) {
                    self.attempts += 1;
                    if self.attempts >= self.config.max_attempts.max(1) {
                        self.attempts = 0;
                        let (row, _) = &send[0];
                        let reason = format!("{:?}: {}", status.code(), status.message());
                        tracing::warn!(source = self.h.outbox.service, subscriber = %self.h.subscriber, seq = row.seq, %reason, "event failed too often; kept as a dead letter");
                        let position = row.seq;
                        dead.retain(|d| d.seq < position);
                        dead.push(dead_row(
                            &self.h.subscriber,
                            row,
                            &reason,
                            self.config.max_attempts as i32,
                            now,
                            None,
                        ));
                        self.held.insert(row.complaint_id.clone(), position);
                        self.commit(position, dead).await?;
                        return Ok(true);
                    }
                }
                Err(Error::Unavailable(format!(
                    "delivery to {} at {}: {:?} {}",
                    self.h.subscriber,
                    self.h.endpoint,
                    status.code(),
                    status.message()
                )))
            }
        }
    }

    /// Moves the position. Dead letters are written at once, with the position, in one
    /// transaction. A plain delivery moves the position in memory and hands it to a task that
    /// writes it at most four times a second, so the relay never waits for the service's write
    /// lock: after a crash the subscriber gets the last moment's events again and, remembering
    /// their ids, changes nothing.
    async fn commit(&mut self, position: i64, dead: Vec<DeadLetterRow>) -> Result<()> {
        if dead.is_empty() {
            self.position = position;
            self.saver.send_replace(position);
            self.publish_position();
            return Ok(());
        }
        self.h
            .outbox
            .advance(&self.h.subscriber, position, &dead)
            .await?;
        self.position = position;
        self.publish_position();
        for d in &dead {
            self.held.entry(d.complaint_id.clone()).or_insert(d.seq);
        }
        self.update_gauges(!dead.is_empty()).await;
        Ok(())
    }

    fn publish_position(&self) {
        if let Ok(mut l) = self.h.live.lock() {
            l.position = Some(self.position);
        }
    }

    async fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Replay {
                complaint_id,
                reply,
            } => {
                let r = self.replay(complaint_id.as_deref()).await;
                let _ = reply.send(r);
            }
        }
    }

    async fn replay(&mut self, complaint_id: Option<&str>) -> Result<ReplayOutcome> {
        let dead = self
            .h
            .outbox
            .dead_letters(Some(&self.h.subscriber), complaint_id, 100_000)
            .await?;
        let mut groups: Vec<(String, Vec<DeadLetterRow>)> = Vec::new();
        for d in dead {
            match groups.iter_mut().find(|(c, _)| *c == d.complaint_id) {
                Some((_, g)) => g.push(d),
                None => groups.push((d.complaint_id.clone(), vec![d])),
            }
        }
        let mut out = ReplayOutcome::default();
        for (complaint, group) in groups {
            let seqs: Vec<i64> = group.iter().map(|d| d.seq).collect();
            let stored = self.h.outbox.events_at(&seqs).await?;
            let mut events = Vec::with_capacity(group.len());
            let mut broken = None;
            for d in &group {
                match stored
                    .get(&d.seq)
                    .map(|r| ev::LifecycleEvent::decode(r.payload.as_slice()))
                {
                    Some(Ok(e)) => events.push(e),
                    Some(Err(e)) => {
                        broken = Some(format!("undecodable event: {e}"));
                        break;
                    }
                    None => {
                        broken = Some("the event is no longer in the outbox".into());
                        break;
                    }
                }
            }
            let n = events.len();
            let (applied, error) = if n == 0 {
                (0, broken.unwrap_or_default())
            } else {
                match self.deliver(events).await {
                    Ok(resp) => {
                        let applied = (resp.applied.max(0) as usize).min(n);
                        let err = if applied < n {
                            resp.rejection
                                .map(|r| format!("refused: {}", r.reason))
                                .unwrap_or_else(|| "not applied".into())
                        } else {
                            broken.unwrap_or_default()
                        };
                        (applied, err)
                    }
                    Err(s) => (0, format!("{:?}: {}", s.code(), s.message())),
                }
            };
            let delivered: Vec<i64> = seqs[..applied].to_vec();
            let failed = (applied < group.len()).then(|| (seqs[applied], error.as_str()));
            self.h
                .outbox
                .settle_replay(&self.h.subscriber, &delivered, failed)
                .await?;
            out.delivered += applied;
            if applied == group.len() {
                self.held.remove(&complaint);
            } else {
                self.held.insert(complaint.clone(), seqs[applied]);
                let mut rest: Vec<DeadLetterRow> = group[applied..].to_vec();
                rest[0].error = error.clone();
                rest[0].attempts += 1;
                rest[0].held_behind = None;
                out.still_dead.extend(rest);
            }
        }
        self.update_gauges(true).await;
        Ok(out)
    }
}

fn dead_row(
    subscriber: &str,
    r: &OutboxEvent,
    error: &str,
    attempts: i32,
    now: i64,
    held_behind: Option<i64>,
) -> DeadLetterRow {
    DeadLetterRow {
        subscriber: subscriber.to_string(),
        seq: r.seq,
        event_id: r.event_id.clone(),
        complaint_id: r.complaint_id.clone(),
        event_type: r.event_type.clone(),
        error: error.chars().take(1000).collect(),
        attempts,
        dead_at: now,
        held_behind,
    }
}

fn dead_to_proto(source: &str, d: &DeadLetterRow) -> ev::DeadLetter {
    ev::DeadLetter {
        source_service: source.to_string(),
        subscriber: d.subscriber.clone(),
        sequence: d.seq,
        event_id: d.event_id.clone(),
        complaint_id: d.complaint_id.clone(),
        event_type: d.event_type.clone(),
        error: d.error.clone(),
        attempts: d.attempts,
        dead_at: Some(crate::time::to_proto(crate::time::from_micros(d.dead_at))),
        held_behind: d.held_behind.unwrap_or(0),
    }
}

/// Who may call the admin API: operators of the province see the relays' state (counts, no
/// complaint); only a relay administrator of an office sees and replays dead letters, those of
/// its own office's complaints (issue 12).
pub static ADMIN_AUTHZ: AuthzTable = &[
    (
        "/aduan.events.v1.EventRelayAdmin/GetRelayStatus",
        Access::Roles(&[
            grant(Role::Operator, crate::auth::Scope::Province),
            grant(Role::RelayAdmin, crate::auth::Scope::Office),
        ]),
    ),
    (
        "/aduan.events.v1.EventRelayAdmin/ListDeadLetters",
        Access::Roles(&[grant(Role::RelayAdmin, crate::auth::Scope::Office)]),
    ),
    (
        "/aduan.events.v1.EventRelayAdmin/ReplayDeadLetters",
        Access::Roles(&[grant(Role::RelayAdmin, crate::auth::Scope::Office)]),
    ),
];

/// The office of each dead letter (from its event in the outbox); letters whose event cannot be
/// read have none.
async fn offices_of(outbox: &Outbox, dead: &[DeadLetterRow]) -> Result<HashMap<i64, String>> {
    let seqs: Vec<i64> = dead.iter().map(|d| d.seq).collect();
    let events = outbox.events_at(&seqs).await?;
    Ok(events
        .into_iter()
        .filter_map(|(seq, e)| {
            ev::LifecycleEvent::decode(e.payload.as_slice())
                .ok()
                .map(|l| (seq, l.office_code))
        })
        .collect())
}

/// Who may deliver events: services.
pub static INBOX_AUTHZ: AuthzTable = &[(
    "/aduan.events.v1.EventInbox/DeliverEvents",
    Access::Roles(&[grant(Role::Service, crate::auth::Scope::Province)]),
)];

#[tonic::async_trait]
impl ev::event_relay_admin_server::EventRelayAdmin for Relays {
    async fn get_relay_status(
        &self,
        request: tonic::Request<ev::GetRelayStatusRequest>,
    ) -> std::result::Result<tonic::Response<ev::GetRelayStatusResponse>, tonic::Status> {
        Caller::from_request(&request)?;
        let mut relays = Vec::new();
        for h in self.all() {
            let live = h
                .live
                .lock()
                .ok()
                .and_then(|l| l.active.then_some(l.position).flatten());
            let position = match live {
                Some(p) => p,
                None => h.outbox.cursor(&h.subscriber).await?,
            };
            let head = h.outbox.head().await?;
            let lag = match h.outbox.created_at(position + 1).await? {
                Some(c) => ((now_micros() - c) as f64 / 1e6).max(0.0),
                None => 0.0,
            };
            let dead = h.outbox.dead_count(&h.subscriber).await?;
            let (active, last_error) = h
                .live
                .lock()
                .map(|l| (l.active, l.last_error.clone()))
                .unwrap_or_default();
            relays.push(ev::RelayStatus {
                source_service: h.outbox.service.to_string(),
                subscriber: h.subscriber.clone(),
                endpoint: h.endpoint.clone(),
                active,
                position,
                head,
                pending: (head - position).max(0),
                lag_seconds: lag,
                dead_letters: dead,
                last_error,
            });
        }
        Ok(tonic::Response::new(ev::GetRelayStatusResponse { relays }))
    }

    async fn list_dead_letters(
        &self,
        request: tonic::Request<ev::ListDeadLettersRequest>,
    ) -> std::result::Result<tonic::Response<ev::ListDeadLettersResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let limit = match r.limit {
            0 => 100,
            n if (1..=1000).contains(&n) => i64::from(n),
            _ => {
                return Err(Error::invalid("limit", "between 1 and 1000").into());
            }
        };
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for h in self.all() {
            if !r.source_service.is_empty() && h.outbox.service != r.source_service {
                continue;
            }
            if !seen.insert(h.outbox.service) {
                continue;
            }
            let sub = (!r.subscriber.is_empty()).then_some(r.subscriber.as_str());
            let cid = (!r.complaint_id.is_empty()).then_some(r.complaint_id.as_str());
            let dead = h.outbox.dead_letters(sub, cid, 100_000).await?;
            let offices = offices_of(&h.outbox, &dead).await?;
            for d in dead
                .iter()
                .filter(|d| offices.get(&d.seq).is_some_and(|o| caller.covers_office(o)))
            {
                out.push(dead_to_proto(h.outbox.service, d));
            }
        }
        out.truncate(limit as usize);
        Ok(tonic::Response::new(ev::ListDeadLettersResponse {
            dead_letters: out,
        }))
    }

    async fn replay_dead_letters(
        &self,
        request: tonic::Request<ev::ReplayDeadLettersRequest>,
    ) -> std::result::Result<tonic::Response<ev::ReplayDeadLettersResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = crate::Violations::new();
        if r.source_service.is_empty() {
            v.add("source_service", "required");
        }
        if r.subscriber.is_empty() {
            v.add("subscriber", "required");
        }
        if r.complaint_id.is_empty() {
            v.add(
                "complaint_id",
                "required: an office's relay administrator replays one complaint at a time",
            );
        }
        v.into_result()?;
        let Some(h) = self
            .all()
            .into_iter()
            .find(|h| h.outbox.service == r.source_service && h.subscriber == r.subscriber)
        else {
            return Err(Error::NotFound("relay").into());
        };
        // Only the dead letters of a complaint of the caller's office.
        let dead = h
            .outbox
            .dead_letters(Some(&r.subscriber), Some(&r.complaint_id), 100_000)
            .await?;
        let offices = offices_of(&h.outbox, &dead).await?;
        if dead.is_empty()
            || !dead
                .iter()
                .all(|d| offices.get(&d.seq).is_some_and(|o| caller.covers_office(o)))
        {
            return Err(Error::NotFound("dead letter").into());
        }
        let (tx, rx) = oneshot::channel();
        h.commands
            .send(Command::Replay {
                complaint_id: (!r.complaint_id.is_empty()).then_some(r.complaint_id),
                reply: tx,
            })
            .await
            .map_err(|_| Error::Unavailable("the relay is stopping".into()))?;
        let outcome = rx
            .await
            .map_err(|_| Error::Unavailable("the relay is stopping".into()))??;
        Ok(tonic::Response::new(ev::ReplayDeadLettersResponse {
            delivered: outcome.delivered as i32,
            still_dead: outcome
                .still_dead
                .iter()
                .map(|d| dead_to_proto(h.outbox.service, d))
                .collect(),
        }))
    }
}

/// What a receiver did with a batch.
#[derive(Debug, Default, Clone)]
pub struct ApplyOutcome {
    /// Leading events applied now or before.
    pub applied: usize,
    /// Of those, applied before.
    pub duplicates: usize,
    /// The event refused for good, and why.
    pub rejection: Option<(String, String)>,
}

/// A service that receives lifecycle events.
#[tonic::async_trait]
pub trait EventReceiver: Send + Sync + 'static {
    /// Applies the events in order, idempotently by event id.
    async fn apply(&self, source: &str, events: Vec<ev::LifecycleEvent>) -> Result<ApplyOutcome>;
}

/// The process's `EventInbox`: routes each delivery to the named receiver of this process.
#[derive(Clone, Default)]
pub struct Inbox {
    receivers: Arc<RwLock<HashMap<String, Arc<dyn EventReceiver>>>>,
}

impl Inbox {
    /// An inbox without receivers (deliveries answer UNAVAILABLE until one registers).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the receiver of `subscriber` (once its store is ready).
    pub fn register(&self, subscriber: &str, receiver: Arc<dyn EventReceiver>) {
        if let Ok(mut r) = self.receivers.write() {
            r.insert(subscriber.to_string(), receiver);
        }
    }

    /// The gRPC service.
    pub fn into_server(self) -> ev::event_inbox_server::EventInboxServer<Self> {
        ev::event_inbox_server::EventInboxServer::new(self).max_decoding_message_size(64 << 20)
    }
}

#[tonic::async_trait]
impl ev::event_inbox_server::EventInbox for Inbox {
    async fn deliver_events(
        &self,
        request: tonic::Request<ev::DeliverEventsRequest>,
    ) -> std::result::Result<tonic::Response<ev::DeliverEventsResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let route = check_delivery(&caller, &r)?;
        // The receiving side of a batch links to each event's trace too (the spans that apply
        // the events are children of those traces; see telemetry::event_span).
        crate::telemetry::link_events(&tracing::Span::current(), &r.events);
        let receiver = self
            .receivers
            .read()
            .ok()
            .and_then(|m| m.get(route.subscriber).cloned());
        let Some(receiver) = receiver else {
            return Err(Error::Unavailable(format!(
                "{} does not receive events in this process (yet)",
                route.subscriber
            ))
            .into());
        };
        let outcome = receiver.apply(&r.source_service, r.events).await?;
        Ok(tonic::Response::new(ev::DeliverEventsResponse {
            applied: outcome.applied as i32,
            duplicates: outcome.duplicates as i32,
            rejection: outcome
                .rejection
                .map(|(event_id, reason)| ev::EventRejection { event_id, reason }),
        }))
    }
}

/// The checks of a delivery before any event is applied: the caller is the service it says it
/// is (the subject of its service token), the subscriber takes events from it, and every event
/// is of that source and of a type of the route. A refusal changes nothing.
/// The most events one delivery may carry (`relay.batch_size` is capped to it).
pub const MAX_BATCH: usize = 1000;

fn check_delivery(
    caller: &Caller,
    r: &ev::DeliverEventsRequest,
) -> std::result::Result<&'static Route, Error> {
    if !ROUTES.iter().any(|x| x.subscriber == r.subscriber) {
        return Err(Error::invalid(
            "subscriber",
            "not a service that receives events",
        ));
    }
    let Some(source) = caller.principal.subject.strip_prefix("service:") else {
        return Err(Error::PermissionDenied(
            "only a service delivers events".into(),
        ));
    };
    if source != r.source_service {
        return Err(Error::PermissionDenied(
            "source_service is not the calling service".into(),
        ));
    }
    // Issue 13: a batch is bounded (relays send at most relay.batch_size, capped the same).
    if r.events.len() > MAX_BATCH {
        return Err(Error::invalid(
            "events",
            format!("at most {MAX_BATCH} events per delivery"),
        ));
    }
    let Some(route) = find_route(source, &r.subscriber) else {
        return Err(Error::PermissionDenied(
            "the subscriber takes no events from this service".into(),
        ));
    };
    for (i, e) in r.events.iter().enumerate() {
        if e.source_service != source {
            return Err(Error::PermissionDenied(format!(
                "events[{i}] names another source_service"
            )));
        }
        let kind = crate::casefile::event_type(e);
        if !route.events.contains(&kind) {
            return Err(Error::PermissionDenied(format!(
                "events[{i}]: the subscriber does not take {kind} events from {source}"
            )));
        }
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_between_known_services_and_names_known_event_types() {
        for r in ROUTES {
            assert!(crate::config::SERVICES.contains(&r.source), "{r:?}");
            // The console receives (notifications) but publishes nothing.
            assert!(crate::config::COMPONENTS.contains(&r.subscriber), "{r:?}");
            assert_ne!(r.source, r.subscriber);
            assert!(!r.events.is_empty());
            for e in r.events {
                assert_ne!(*e, "other");
            }
            assert_eq!(
                ROUTES
                    .iter()
                    .filter(|x| x.source == r.source && x.subscriber == r.subscriber)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn lock_keys_differ_per_relay_and_are_stable() {
        let key = |a, b| name_key(&lock_name(a, b));
        assert_eq!(key("intake", "triage"), key("intake", "triage"));
        assert_ne!(key("intake", "triage"), key("triage", "intake"));
        assert_ne!(key("intake", "triage"), key("intake", "reporting"));
    }

    #[test]
    fn only_unfixable_codes_count_towards_dead_letters() {
        assert!(is_permanent(tonic::Code::InvalidArgument));
        assert!(is_permanent(tonic::Code::FailedPrecondition));
        assert!(!is_permanent(tonic::Code::Unavailable));
        assert!(!is_permanent(tonic::Code::DeadlineExceeded));
        assert!(!is_permanent(tonic::Code::Unauthenticated));
        assert!(!is_permanent(tonic::Code::Internal));
    }
}
