//! Housekeeping of the spine's tables (issue 17, docs/privacy.md "Retention"): delivered outbox
//! rows, the ids a receiver remembers, and the cursors of subscribers that no longer receive are
//! deleted after their window, so that neither table grows forever.
//!
//! Exactly-once delivery is kept inside the windows. An event is sent again only while its
//! outbox row exists (a retry, a replayed dead letter); a row is deleted only after every
//! subscriber this process relays to has passed it, no dead letter names it, and
//! `relay.keep_delivered_days` have gone by since it was written. A receiver remembers an id
//! `relay.keep_seen_days` after applying it, and that window is longer (the configuration refuses
//! anything else), so a redelivery always finds its id.

use std::time::Duration;

use aduan_runtime::Result;
use aduan_runtime::config::RelayConfig;
use aduan_runtime::db::Database;

use super::Leaders;

const DAY_MICROS: f64 = 86_400.0 * 1e6;

/// The windows, in microseconds (0: keep forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// Delivered outbox rows, from when they were written.
    pub delivered: i64,
    /// Applied ids and stale cursors, from when they were applied or last moved.
    pub seen: i64,
}

impl Keep {
    /// The windows of `relay.keep_delivered_days` and `relay.keep_seen_days` (checked by
    /// [`RelayConfig::check_windows`]).
    pub fn of(cfg: &RelayConfig) -> Result<Self> {
        cfg.check_windows()?;
        Ok(Self {
            delivered: (cfg.keep_delivered_days * DAY_MICROS) as i64,
            seen: (cfg.keep_seen_days * DAY_MICROS) as i64,
        })
    }
}

/// What one pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Outbox rows.
    pub outbox: u64,
    /// Remembered ids (`inbox_seen`).
    pub seen: u64,
    /// Cursors of subscribers no longer relayed to.
    pub cursors: u64,
}

/// One pass over `db` at `now`. `subscribers`: the subscribers this process relays the
/// database's outbox to (None: the database has no outbox, as the console's).
pub async fn prune(
    db: &Database,
    subscribers: Option<&[String]>,
    keep: Keep,
    now: i64,
) -> Result<Pruned> {
    let mut out = Pruned::default();
    if let Some(subs) = subscribers {
        if keep.delivered > 0 {
            // The lowest position of the subscribers relayed to; one without a cursor has
            // received nothing yet, and keeps every row.
            let mut low = i64::MAX;
            for s in subs {
                let p: Option<i64> = with_pool!(db, p => sqlx::query_scalar(
                    "SELECT position FROM relay_cursors WHERE subscriber = $1",
                )
                .bind(s)
                .fetch_optional(p)
                .await?);
                low = low.min(p.unwrap_or(0));
            }
            if low == i64::MAX {
                // Relayed to nobody here: every row has been "delivered" to no one; keep them
                // (a subscriber added later starts from the beginning).
                low = 0;
            }
            out.outbox = with_pool!(db, p => sqlx::query(
                "DELETE FROM outbox WHERE seq <= $1 AND created_at < $2 AND NOT EXISTS \
                 (SELECT 1 FROM relay_dead_letters d WHERE d.seq = outbox.seq)",
            )
            .bind(low)
            .bind(now - keep.delivered)
            .execute(p)
            .await?
            .rows_affected());
        }
        if keep.seen > 0 {
            let mut q = String::from("DELETE FROM relay_cursors WHERE updated_at < $1");
            for i in 0..subs.len() {
                q.push_str(&format!(" AND subscriber <> ${}", i + 2));
            }
            out.cursors = with_pool!(db, p => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(q.clone())).bind(now - keep.seen);
                for s in subs {
                    query = query.bind(s);
                }
                query.execute(p).await?.rows_affected()
            });
        }
    }
    if keep.seen > 0 {
        out.seen = with_pool!(db, p => sqlx::query("DELETE FROM inbox_seen WHERE applied_at < $1")
            .bind(now - keep.seen)
            .execute(p)
            .await?
            .rows_affected());
    }
    Ok(out)
}

/// Runs [`prune`] every `period` while this process leads `name` (one replica of the service
/// does it), until `stop`.
pub async fn run_housekeeping(
    db: Database,
    name: String,
    subscribers: Option<Vec<String>>,
    keep: Keep,
    period: Duration,
    leaders: Leaders,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut leader = leaders(&db, &format!("aduan-housekeeping:{name}"));
    loop {
        if *stop.borrow() {
            break;
        }
        if leader.ensure().await {
            let now = aduan_runtime::time::now_micros();
            match prune(&db, subscribers.as_deref(), keep, now).await {
                Ok(p) if p == Pruned::default() => {}
                Ok(p) => tracing::info!(
                    database = %name,
                    outbox = p.outbox,
                    seen = p.seen,
                    cursors = p.cursors,
                    "housekeeping deleted rows past their window"
                ),
                // The kind only: a storage error's message can quote stored values.
                Err(e) => tracing::warn!(database = %name, kind = e.kind(), "housekeeping failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stop.changed() => {}
        }
    }
    leader.release().await;
}
