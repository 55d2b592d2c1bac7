//! What a writer's transaction does with the spine's tables, written once for both backends:
//! [`append`] events to the outbox, and [`mark_seen`] / [`unmark_seen`] received ones in the inbox.
//! Every service's store calls these inside its own transaction, so a step's rows, its events
//! and the ids it received commit (or roll back) together.

use std::collections::HashSet;
use std::future::Future;

use aduan_proto::events::v1::LifecycleEvent;
use prost::Message;

use super::{ApplyOutcome, NOTIFY_SQL, Outbox, event_type};

const RESERVE: &str =
    "UPDATE outbox_counter SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq";

/// A connection inside a writer's transaction (PostgreSQL or SQLite).
pub trait SpineTx: Send {
    /// See [`append`].
    fn append_events<'a>(
        &'a mut self,
        outbox: &'a Outbox,
        events: &'a [LifecycleEvent],
        at: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a;

    /// See [`mark_seen`].
    fn mark_seen_ids<'a>(
        &'a mut self,
        source: &'a str,
        ids: &'a [&'a str],
        at: i64,
    ) -> impl Future<Output = Result<HashSet<String>, sqlx::Error>> + Send + 'a;

    /// See [`unmark_seen`].
    fn unmark_seen_ids<'a>(
        &'a mut self,
        source: &'a str,
        ids: &'a [&'a str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a;
}

/// Appends `events` to the outbox, in order, at gap-free positions taken from `outbox_counter`
/// (the counter row stays locked until commit: take it after the transaction's own rows, so that
/// no two writers wait on each other in opposite orders). With PostgreSQL the relays of every
/// replica are notified at commit.
pub async fn append<C: SpineTx>(
    tx: &mut C,
    outbox: &Outbox,
    events: &[LifecycleEvent],
    at: i64,
) -> Result<(), sqlx::Error> {
    tx.append_events(outbox, events, at).await
}

/// Records the ids of events received from `source` as applied; answers those that were new
/// (a redelivered id is not, and its event must change nothing).
pub async fn mark_seen<C: SpineTx>(
    tx: &mut C,
    source: &str,
    ids: &[&str],
    at: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    tx.mark_seen_ids(source, ids, at).await
}

/// Forgets received ids (events refused for good: a replay may deliver them again).
pub async fn unmark_seen<C: SpineTx>(
    tx: &mut C,
    source: &str,
    ids: &[&str],
) -> Result<(), sqlx::Error> {
    tx.unmark_seen_ids(source, ids).await
}

macro_rules! spine_tx {
    ($conn:ty, $db:ty, $notify:expr) => {
        impl SpineTx for $conn {
            async fn append_events(
                &mut self,
                outbox: &Outbox,
                events: &[LifecycleEvent],
                at: i64,
            ) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                let n = events.len() as i64;
                let last: i64 = sqlx::query_scalar(RESERVE)
                    .bind(n)
                    .fetch_one(&mut *self)
                    .await?;
                let first = last - n + 1;
                // One statement per 500 events (3,000 parameters).
                for (c, chunk) in events.chunks(500).enumerate() {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO outbox (seq, event_id, complaint_id, event_type, payload, created_at) ",
                    );
                    q.push_values(chunk.iter().enumerate(), |mut b, (i, e)| {
                        b.push_bind(first + (c * 500 + i) as i64)
                            .push_bind(e.event_id.clone())
                            .push_bind(e.complaint_id.clone())
                            .push_bind(event_type(e))
                            .push_bind(e.encode_to_vec())
                            .push_bind(at);
                    });
                    q.build().execute(&mut *self).await?;
                }
                if $notify {
                    sqlx::query(NOTIFY_SQL)
                        .bind(outbox.channel())
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }

            async fn mark_seen_ids(
                &mut self,
                source: &str,
                ids: &[&str],
                at: i64,
            ) -> Result<HashSet<String>, sqlx::Error> {
                let mut fresh = HashSet::new();
                for chunk in ids.chunks(1000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO inbox_seen (source_service, event_id, applied_at) ",
                    );
                    q.push_values(chunk, |mut b, id| {
                        b.push_bind(source.to_string())
                            .push_bind(id.to_string())
                            .push_bind(at);
                    });
                    q.push(" ON CONFLICT (source_service, event_id) DO NOTHING RETURNING event_id");
                    let new: Vec<String> = q.build_query_scalar().fetch_all(&mut *self).await?;
                    fresh.extend(new);
                }
                Ok(fresh)
            }

            async fn unmark_seen_ids(&mut self, source: &str, ids: &[&str]) -> Result<(), sqlx::Error> {
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "DELETE FROM inbox_seen WHERE source_service = ",
                    );
                    q.push_bind(source.to_string());
                    q.push(" AND event_id IN (");
                    let mut sep = q.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.to_string());
                    }
                    q.push(")");
                    q.build().execute(&mut *self).await?;
                }
                Ok(())
            }
        }
    };
}

spine_tx!(sqlx::PgConnection, sqlx::Postgres, true);
spine_tx!(sqlx::SqliteConnection, sqlx::Sqlite, false);

/// A delivered batch inside the receiver's transaction: which events are new, the cases to lock,
/// and the events applied in order with a refusal undone (exactly-once delivery, docs/ARCHITECTURE.md).
/// The receiver reads and locks [`Batch::cases`], runs [`Batch::run`], writes what its steps
/// changed, and commits.
pub struct Batch<'e> {
    source: &'e str,
    events: &'e [LifecycleEvent],
    fresh: HashSet<String>,
}

impl<'e> Batch<'e> {
    /// Records the ids of `events` as seen from `source` in `tx`; those seen before are
    /// duplicates, counted as applied and not applied again.
    pub async fn begin<C: SpineTx>(
        tx: &mut C,
        source: &'e str,
        events: &'e [LifecycleEvent],
        at: i64,
    ) -> Result<Self, sqlx::Error> {
        let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        let fresh = mark_seen(tx, source, &ids, at).await?;
        Ok(Self {
            source,
            events,
            fresh,
        })
    }

    /// The complaint ids the new events name, sorted and without repeats: the cases to read and
    /// lock, in one order for every batch so that two batches never wait on each other.
    pub fn cases(&self) -> Vec<&'e str> {
        let mut wanted: Vec<&str> = self
            .events
            .iter()
            .filter(|e| self.fresh.contains(&e.event_id))
            .map(|e| e.complaint_id.as_str())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }

    /// Applies the events in order: a duplicate is counted, a new one goes to `step`. The first
    /// event `step` refuses ends the batch: it and the new events after it are forgotten again
    /// (a replay may deliver them), and the outcome names it.
    pub async fn run<C: SpineTx>(
        mut self,
        tx: &mut C,
        mut step: impl FnMut(&LifecycleEvent) -> Result<(), String>,
    ) -> Result<ApplyOutcome, sqlx::Error> {
        let mut out = ApplyOutcome::default();
        for (i, e) in self.events.iter().enumerate() {
            if !self.fresh.remove(&e.event_id) {
                out.applied += 1;
                out.duplicates += 1;
                continue;
            }
            if let Err(reason) = step(e) {
                tracing::warn!(event_id = %e.event_id, %reason, "event refused");
                out.rejection = Some((e.event_id.clone(), reason));
                let rest: Vec<&str> = self.events[i..]
                    .iter()
                    .filter(|x| self.fresh.contains(&x.event_id) || x.event_id == e.event_id)
                    .map(|x| x.event_id.as_str())
                    .collect();
                unmark_seen(tx, self.source, &rest).await?;
                break;
            }
            out.applied += 1;
        }
        Ok(out)
    }
}
