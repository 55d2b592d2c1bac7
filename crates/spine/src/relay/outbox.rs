//! The outbox of a service: append in the writer's transaction, read in order, wake the relays.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::events::v1 as ev;
use ev::lifecycle_event::Detail;
use sqlx::Row;
use tokio::sync::watch;

use aduan_runtime::Result;
use aduan_runtime::db::Database;
use aduan_runtime::time::now_micros;

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

/// The outbox of one service, and the notification its writers give after each commit.
pub struct Outbox {
    pub(crate) service: &'static str,
    pub(crate) db: Database,
    pub(crate) wake: watch::Sender<u64>,
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

    /// The database it lives in (the service's own).
    pub fn database(&self) -> &Database {
        &self.db
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
    pub(crate) async fn events_at(&self, seqs: &[i64]) -> Result<HashMap<i64, OutboxEvent>> {
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

    /// The newest position (0 before the first event): the counter's, which the housekeeping
    /// does not touch, so it stays right after delivered rows are deleted.
    pub async fn head(&self) -> Result<i64> {
        let v: Option<i64> = with_pool!(&self.db, p => sqlx::query_scalar(
            "SELECT last_seq FROM outbox_counter WHERE id = 1",
        )
        .fetch_optional(p)
        .await?);
        Ok(v.unwrap_or(0))
    }

    /// The creation time of the event at `seq`, if any.
    pub(crate) async fn created_at(&self, seq: i64) -> Result<Option<i64>> {
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
    pub(crate) async fn advance(
        &self,
        subscriber: &str,
        position: i64,
        dead: &[DeadLetterRow],
    ) -> Result<()> {
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
    pub(crate) async fn held(&self, subscriber: &str) -> Result<HashMap<String, i64>> {
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
    pub(crate) async fn settle_replay(
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

/// The outbox event type of an event.
pub fn event_type(e: &ev::LifecycleEvent) -> &'static str {
    match &e.detail {
        Some(Detail::Registered(_)) => "registered",
        Some(Detail::Amended(_)) => "amended",
        Some(Detail::Screened(_)) => "screened",
        Some(Detail::ForwardedToHead(_)) => "forwarded_to_head",
        Some(Detail::DispositionIssued(_)) => "disposition_issued",
        Some(Detail::HandlingActivity(_)) => "handling_activity",
        Some(Detail::EligibilityDecided(_)) => "eligibility_decided",
        Some(Detail::ReferralMade(_)) => "referral_made",
        Some(Detail::ReferralAnswered(_)) => "referral_answered",
        Some(Detail::ResponseApproved(_)) => "response_approved",
        Some(Detail::ResponseDelivered(_)) => "response_delivered",
        Some(Detail::FeedbackRecorded(_)) => "feedback_recorded",
        Some(Detail::SurveySubmitted(_)) => "survey_submitted",
        Some(Detail::HandlingReportApproved(_)) => "handling_report_approved",
        Some(Detail::HandlingReportDistributed(_)) => "handling_report_distributed",
        Some(Detail::SlaAlert(_)) => "sla_alert",
        Some(Detail::Closed(_)) => "closed",
        None => "other",
    }
}
