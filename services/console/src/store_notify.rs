//! The notifications' tables (docs/console.md, "Notifications"): what the relays brought, for
//! whom, and who has read it. A child of `store` (the console's only SQL).

use aduan_proto::events::v1::LifecycleEvent;
use aduan_runtime::Result;
use aduan_runtime::db::Database;
use aduan_spine::relay::ApplyOutcome;
use sqlx::Row;

use super::Store;

/// What the console knows of a complaint from an earlier event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseRef {
    /// The office.
    pub office_code: String,
    /// The Bidang handling it, or empty.
    pub bidang_code: String,
    /// The registration number.
    pub registration_number: String,
    /// The category code.
    pub category_code: String,
}

/// A notification to store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewNotification {
    /// The complaint.
    pub complaint_id: String,
    /// Its office.
    pub office_code: String,
    /// Its Bidang, or empty.
    pub bidang_code: String,
    /// What happened (`disposition`, `response_drafted`, `sla_warning`, …).
    pub kind: &'static str,
    /// The registration number, or empty when unknown.
    pub registration_number: String,
    /// The category code, or empty.
    pub category_code: String,
    /// A due date (YYYY-MM-DD), or empty.
    pub due_date: String,
    /// When it happened, seconds since the epoch.
    pub created_at: i64,
    /// Who sees it: (role, Bidang code or empty for the whole office's holders of the role).
    pub audience: Vec<(&'static str, String)>,
}

/// What one event does to the console's tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The complaint's number, category and Bidang as of this event.
    pub case: Option<CaseRef>,
    /// The notification it gives.
    pub notice: Option<NewNotification>,
}

/// A stored notification as one reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    /// Id (UUID).
    pub id: String,
    /// The complaint.
    pub complaint_id: String,
    /// Its office.
    pub office_code: String,
    /// Its Bidang, or empty.
    pub bidang_code: String,
    /// What happened.
    pub kind: String,
    /// The registration number, or empty.
    pub registration_number: String,
    /// The category code, or empty.
    pub category_code: String,
    /// A due date (YYYY-MM-DD), or empty.
    pub due_date: String,
    /// When it happened, seconds since the epoch.
    pub created_at: i64,
    /// The reader has read it.
    pub read: bool,
}

/// The reader: an account's id, office, Bidang and roles.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// The account.
    pub user_id: &'a str,
    /// Its office.
    pub office_code: &'a str,
    /// Its Bidang, or empty.
    pub bidang: &'a str,
    /// Its roles.
    pub roles: &'a [String],
}

/// The condition "`n` is for the reader": office `$1`, Bidang `$2`, roles from `$3` on.
fn for_reader(roles: usize) -> String {
    let list = (0..roles)
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "n.office_code = $1 AND EXISTS (SELECT 1 FROM notification_audience a \
         WHERE a.notification_id = n.id AND (a.bidang_code = '' OR a.bidang_code = $2) \
         AND a.role IN ({list}))"
    )
}

impl Store {
    /// Applies a batch of lifecycle events in one transaction: each event id is recorded
    /// (`inbox_seen`), so a redelivered one changes nothing; `plan` decides what each new one
    /// does, given what the console knew of its complaint.
    pub async fn apply_events(
        &self,
        source: &str,
        events: &[LifecycleEvent],
        now: i64,
        plan: &(dyn Fn(&LifecycleEvent, Option<CaseRef>) -> Plan + Send + Sync),
    ) -> Result<ApplyOutcome> {
        let mut out = ApplyOutcome::default();
        if events.is_empty() {
            return Ok(out);
        }
        let begin = if self.db.backend() == "sqlite" {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        on_pool!(&self.db, p => {
            let mut tx = p.begin_with(begin).await?;
            for e in events {
                let span = aduan_runtime::telemetry::event_span(e, "console");
                // The spine's times are microseconds (its housekeeping reads them so); the
                // console's own are seconds.
                let fresh = aduan_spine::relay::mark_seen(
                    &mut *tx,
                    source,
                    &[e.event_id.as_str()],
                    now.saturating_mul(1_000_000),
                )
                .await?;
                out.applied += 1;
                if fresh.is_empty() {
                    out.duplicates += 1;
                    continue;
                }
                let known = match sqlx::query(
                    "SELECT office_code, bidang_code, registration_number, category_code \
                     FROM notification_cases WHERE complaint_id = $1",
                )
                .bind(&e.complaint_id)
                .fetch_optional(&mut *tx)
                .await?
                {
                    Some(r) => Some(CaseRef {
                        office_code: r.try_get("office_code")?,
                        bidang_code: r.try_get("bidang_code")?,
                        registration_number: r.try_get("registration_number")?,
                        category_code: r.try_get("category_code")?,
                    }),
                    None => None,
                };
                let planned = span.in_scope(|| plan(e, known));
                if let Some(c) = &planned.case {
                    sqlx::query(
                        "INSERT INTO notification_cases (complaint_id, office_code, bidang_code, \
                         registration_number, category_code, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (complaint_id) DO UPDATE SET office_code = excluded.office_code, \
                         bidang_code = excluded.bidang_code, \
                         registration_number = excluded.registration_number, \
                         category_code = excluded.category_code, updated_at = excluded.updated_at",
                    )
                    .bind(&e.complaint_id)
                    .bind(&c.office_code)
                    .bind(&c.bidang_code)
                    .bind(&c.registration_number)
                    .bind(&c.category_code)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(n) = &planned.notice {
                    let id = uuid::Uuid::now_v7().to_string();
                    sqlx::query(
                        "INSERT INTO notifications (id, source_service, event_id, complaint_id, \
                         office_code, bidang_code, kind, registration_number, category_code, \
                         due_date, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&id)
                    .bind(source)
                    .bind(&e.event_id)
                    .bind(&n.complaint_id)
                    .bind(&n.office_code)
                    .bind(&n.bidang_code)
                    .bind(n.kind)
                    .bind(&n.registration_number)
                    .bind(&n.category_code)
                    .bind(&n.due_date)
                    .bind(n.created_at)
                    .execute(&mut *tx)
                    .await?;
                    for (role, bidang) in &n.audience {
                        sqlx::query(
                            "INSERT INTO notification_audience (notification_id, role, bidang_code) \
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(&id)
                        .bind(*role)
                        .bind(bidang)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// How many notifications for the reader it has not read.
    pub async fn unread_notifications(&self, r: &Reader<'_>) -> Result<i64> {
        if r.roles.is_empty() {
            return Ok(0);
        }
        let user = r.roles.len() + 3;
        let sql = format!(
            "SELECT COUNT(*) FROM notifications n WHERE {} AND NOT EXISTS \
             (SELECT 1 FROM notification_reads x WHERE x.notification_id = n.id AND x.user_id = ${user})",
            for_reader(r.roles.len())
        );
        on_pool!(&self.db, p => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(r.office_code).bind(r.bidang);
            for role in r.roles {
                q = q.bind(role);
            }
            let n: i64 = q.bind(r.user_id).fetch_one(p).await?;
            Ok(n)
        })
    }

    /// The reader's notifications, newest first, `limit` from `offset`, and how many there are.
    pub async fn notifications(
        &self,
        r: &Reader<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<NotificationRow>, i64)> {
        if r.roles.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let k = r.roles.len() + 3;
        let cond = for_reader(r.roles.len());
        let list = format!(
            "SELECT n.id, n.complaint_id, n.office_code, n.bidang_code, n.kind, \
             n.registration_number, n.category_code, n.due_date, n.created_at, \
             EXISTS (SELECT 1 FROM notification_reads x WHERE x.notification_id = n.id \
             AND x.user_id = ${k}) AS is_read \
             FROM notifications n WHERE {cond} ORDER BY n.created_at DESC, n.id DESC \
             LIMIT ${} OFFSET ${}",
            k + 1,
            k + 2
        );
        let count = format!("SELECT COUNT(*) FROM notifications n WHERE {cond}");
        on_pool!(&self.db, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(list)).bind(r.office_code).bind(r.bidang);
            let mut c = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(r.office_code).bind(r.bidang);
            for role in r.roles {
                q = q.bind(role);
                c = c.bind(role);
            }
            let rows = q.bind(r.user_id).bind(limit).bind(offset).fetch_all(p).await?;
            let total: i64 = c.fetch_one(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(NotificationRow {
                    id: row.try_get("id")?,
                    complaint_id: row.try_get("complaint_id")?,
                    office_code: row.try_get("office_code")?,
                    bidang_code: row.try_get("bidang_code")?,
                    kind: row.try_get("kind")?,
                    registration_number: row.try_get("registration_number")?,
                    category_code: row.try_get("category_code")?,
                    due_date: row.try_get("due_date")?,
                    created_at: row.try_get("created_at")?,
                    read: row.try_get("is_read")?,
                });
            }
            Ok((out, total))
        })
    }

    /// Marks one of the reader's notifications read; false when it is not the reader's (or
    /// does not exist).
    pub async fn mark_notification_read(&self, r: &Reader<'_>, id: &str, now: i64) -> Result<bool> {
        if r.roles.is_empty() {
            return Ok(false);
        }
        let k = r.roles.len() + 3;
        let sql = format!(
            "SELECT n.id FROM notifications n WHERE n.id = ${k} AND {}",
            for_reader(r.roles.len())
        );
        on_pool!(&self.db, p => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(r.office_code).bind(r.bidang);
            for role in r.roles {
                q = q.bind(role);
            }
            let found: Option<String> = q.bind(id).fetch_optional(p).await?;
            if found.is_none() {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (notification_id, user_id) DO NOTHING",
            )
            .bind(id)
            .bind(r.user_id)
            .bind(now)
            .execute(p)
            .await?;
            Ok(true)
        })
    }

    /// Marks every notification of the reader read; how many were unread.
    pub async fn mark_all_notifications_read(&self, r: &Reader<'_>, now: i64) -> Result<u64> {
        if r.roles.is_empty() {
            return Ok(0);
        }
        let k = r.roles.len() + 3;
        let sql = format!(
            "INSERT INTO notification_reads (notification_id, user_id, read_at) \
             SELECT n.id, ${k}, ${} FROM notifications n WHERE {} \
             ON CONFLICT (notification_id, user_id) DO NOTHING",
            k + 1,
            for_reader(r.roles.len())
        );
        on_pool!(&self.db, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(r.office_code).bind(r.bidang);
            for role in r.roles {
                q = q.bind(role);
            }
            let n = q.bind(r.user_id).bind(now).execute(p).await?.rows_affected();
            Ok(n)
        })
    }

    /// Deletes the notifications (with their audience and read state) and the remembered event
    /// ids older than `before`, and what is known of complaints not heard of since `cases_before`.
    pub async fn prune_notifications(&self, before: i64, cases_before: i64) -> Result<u64> {
        on_pool!(&self.db, p => {
            let mut tx = p.begin().await?;
            for sql in [
                "DELETE FROM notification_reads WHERE notification_id IN \
                 (SELECT id FROM notifications WHERE created_at < $1)",
                "DELETE FROM notification_audience WHERE notification_id IN \
                 (SELECT id FROM notifications WHERE created_at < $1)",
            ] {
                sqlx::query(sql).bind(before).execute(&mut *tx).await?;
            }
            let n = sqlx::query("DELETE FROM notifications WHERE created_at < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM notification_cases WHERE updated_at < $1")
                .bind(cases_before)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}
