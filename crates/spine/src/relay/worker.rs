//! The relay workers: deliver an outbox to one subscriber, retry, dead-letter, replay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aduan_proto::events::v1 as ev;
use ev::event_inbox_client::EventInboxClient;
use prost::Message;
use tokio::sync::{mpsc, oneshot, watch};
use tonic::transport::Channel;

use aduan_runtime::auth::ServiceTokens;
use aduan_runtime::config::RelayConfig;
use aduan_runtime::db::Database;
use aduan_runtime::time::now_micros;
use aduan_runtime::{Error, Result};

use super::*;

/// What a replay did.
#[derive(Debug, Default)]
pub struct ReplayOutcome {
    /// Delivered and removed.
    pub delivered: usize,
    /// Still dead.
    pub still_dead: Vec<DeadLetterRow>,
}

pub(crate) enum Command {
    Replay {
        complaint_id: Option<String>,
        reply: oneshot::Sender<Result<ReplayOutcome>>,
    },
}

#[derive(Default)]
pub(crate) struct LiveState {
    pub(crate) active: bool,
    pub(crate) last_error: String,
    /// The position this process has delivered (ahead of the stored one by at most a moment).
    pub(crate) position: Option<i64>,
}

pub(crate) struct Handle {
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) subscriber: String,
    pub(crate) endpoint: String,
    pub(crate) events: &'static [&'static str],
    pub(crate) live: Mutex<LiveState>,
    pub(crate) commands: mpsc::Sender<Command>,
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

    pub(crate) fn all(&self) -> Vec<Arc<Handle>> {
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
pub(crate) fn is_permanent(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::InvalidArgument
            | tonic::Code::FailedPrecondition
            | tonic::Code::OutOfRange
            | tonic::Code::Unimplemented
            | tonic::Code::DataLoss
    )
}

pub(crate) struct Worker {
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
        aduan_runtime::telemetry::link_events(&span, &events);
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
            aduan_runtime::telemetry::inject_metadata(req.metadata_mut());
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
