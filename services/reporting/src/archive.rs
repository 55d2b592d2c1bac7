//! The scheduler of the monthly reports: when a month has closed in an office's calendar, the
//! laporan bulanan of the office and of the province is rendered once and archived, so the copy
//! the office sends on is the one of the day the month closed, whatever changes afterwards. One
//! replica runs it: the database's advisory lock, or a Kubernetes Lease in cluster mode
//! (`aduan-reporting-scheduler`).

use std::sync::Arc;
use std::time::Duration;

use aduan_runtime::db::Database;
use aduan_runtime::time::{from_micros, to_micros, to_proto};
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::Value;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::pb;
use crate::service::Reporting;
use crate::stats::Scope;

/// How often the deltas of the aggregates are folded in, at most.
pub const FOLD_PERIOD: Duration = Duration::from_secs(2);

/// A month is archived from this day of the next month on (its events have had a day to
/// arrive through the relays).
pub const ARCHIVE_FROM_DAY: i8 = 2;

/// Months looked back on: a month missed while the service was down is archived later (with
/// the figures of that later day).
pub const LOOKBACK_MONTHS: usize = 3;

/// The closed months due for archiving on `today`, newest first: the previous month from
/// [`ARCHIVE_FROM_DAY`] on, and the [`LOOKBACK_MONTHS`] - 1 before it.
fn due_months(today: Date) -> Vec<(Date, Date)> {
    let mut out = Vec::new();
    let mut first = today.first_of_month();
    if today.day() < ARCHIVE_FROM_DAY {
        // The previous month is not due yet; the ones before it are.
        match first.yesterday() {
            Ok(d) => first = d.first_of_month(),
            Err(_) => return out,
        }
    }
    for _ in 0..LOOKBACK_MONTHS {
        let Ok(last) = first.yesterday() else { break };
        first = last.first_of_month();
        out.push((first, last));
    }
    out
}

fn period(d: Date) -> i64 {
    i64::from(d.year()) * 100 + i64::from(d.month())
}

impl Reporting {
    /// The archived copy of a scope's monthly report, if the scheduler made one.
    pub async fn archived(&self, scope: &Scope) -> Result<Option<pb::Document>> {
        let rows = self
            .store()
            .query(
                "SELECT name, pages, generated_at FROM monthly_archive \
                 WHERE office_code = $1 AND period = $2",
                &[
                    Value::Text(scope.code.clone()),
                    Value::Int(period(scope.from)),
                ],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let (name, pages, at) = match (row.first(), row.get(1), row.get(2)) {
            (Some(Value::Text(n)), Some(Value::Int(p)), Some(Value::Int(a))) => (n.clone(), *p, *a),
            _ => return Err(Error::Internal("monthly_archive row".into())),
        };
        let content = self.archived_pdf(&scope.code, period(scope.from)).await?;
        Ok(Some(pb::Document {
            name,
            content_type: "application/pdf".into(),
            content,
            pages: pages as i32,
            archived: true,
            generated_at: Some(to_proto(from_micros(at))),
        }))
    }

    async fn archived_pdf(&self, code: &str, p: i64) -> Result<Vec<u8>> {
        let sql = "SELECT pdf FROM monthly_archive WHERE office_code = $1 AND period = $2";
        let pdf: Option<Vec<u8>> = match self.store().database() {
            Database::Postgres(pool) => {
                sqlx::query_scalar(sql)
                    .bind(code)
                    .bind(p)
                    .fetch_optional(pool)
                    .await?
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar(sql)
                    .bind(code)
                    .bind(p)
                    .fetch_optional(pool)
                    .await?
            }
        };
        pdf.ok_or(Error::NotFound("monthly report"))
    }

    async fn store_archive(&self, scope: &Scope, doc: &pb::Document, at: i64) -> Result<bool> {
        let sql = "INSERT INTO monthly_archive (office_code, period, generated_at, name, pages, pdf) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (office_code, period) DO NOTHING";
        let done = match self.store().database() {
            Database::Postgres(pool) => sqlx::query(sql)
                .bind(&scope.code)
                .bind(period(scope.from))
                .bind(at)
                .bind(&doc.name)
                .bind(doc.pages)
                .bind(&doc.content)
                .execute(pool)
                .await?
                .rows_affected(),
            Database::Sqlite(pool) => sqlx::query(sql)
                .bind(&scope.code)
                .bind(period(scope.from))
                .bind(at)
                .bind(&doc.name)
                .bind(doc.pages)
                .bind(&doc.content)
                .execute(pool)
                .await?
                .rows_affected(),
        };
        Ok(done == 1)
    }

    /// Archives every monthly report that is due at `now` and not archived yet: each office's
    /// previous month in its own calendar, and the province's. Returns how many were made.
    pub async fn archive_due(&self, now: Timestamp) -> Result<usize> {
        let mut scopes = Vec::new();
        let mut offices: Vec<_> = self.refdata().offices().into_iter().cloned().collect();
        offices.sort_by(|a, b| a.code.cmp(&b.code));
        let due: Vec<Vec<(Date, Date)>> = offices
            .iter()
            .map(|o| due_months(now.to_zoned(o.time_zone.clone()).date()))
            .collect();
        for (o, months) in offices.iter().zip(&due) {
            for (from, to) in months {
                scopes.push(Scope {
                    code: o.code.clone(),
                    province: false,
                    suppress: false,
                    from: *from,
                    to: *to,
                });
            }
        }
        // The province's month is due once it is due in every office (the last time zone).
        if let Some(first) = due.first() {
            for (from, to) in first {
                if due.iter().all(|m| m.iter().any(|(f, _)| f == from)) {
                    scopes.push(Scope {
                        code: self.province().to_string(),
                        province: true,
                        suppress: true,
                        from: *from,
                        to: *to,
                    });
                }
            }
        }
        // Months before reporting's first event are not archived: a new deployment (or a new
        // database) has no history to report on.
        let first = match self
            .store()
            .query("SELECT MIN(period) FROM events", &[])
            .await?
            .first()
            .and_then(|r| r.first())
        {
            Some(Value::Int(p)) => *p,
            _ => return Ok(0),
        };
        scopes.retain(|s| period(s.to) >= first);
        // What is archived already, in one query (not the PDFs).
        let oldest = scopes.iter().map(|s| period(s.from)).min().unwrap_or(0);
        let done: std::collections::HashSet<(String, i64)> = self
            .store()
            .query(
                "SELECT office_code, period FROM monthly_archive WHERE period >= $1",
                &[Value::Int(oldest)],
            )
            .await?
            .into_iter()
            .filter_map(|r| match (r.first(), r.get(1)) {
                (Some(Value::Text(o)), Some(Value::Int(p))) => Some((o.clone(), *p)),
                _ => None,
            })
            .collect();
        let mut made = 0;
        for scope in scopes {
            if done.contains(&(scope.code.clone(), period(scope.from))) {
                continue;
            }
            // One scope that fails to render does not hold up the others.
            let doc = match self.render_monthly(&scope).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(code = ?e.code(), office = %scope.code, "monthly report not archived");
                    continue;
                }
            };
            if self.store_archive(&scope, &doc, to_micros(now)).await? {
                made += 1;
                metrics::counter!("aduan_reporting_monthly_reports_archived_total").increment(1);
            }
        }
        Ok(made)
    }

    /// Folds the pending deltas of the aggregates into them (PostgreSQL; SQLite's triggers
    /// update the aggregates directly). Each table in one statement: the deltas a statement
    /// deletes are the ones it adds, and deltas committed meanwhile wait for the next fold.
    /// Returns how many delta rows were folded.
    pub async fn fold_deltas(&self) -> Result<u64> {
        let Database::Postgres(pool) = self.store().database() else {
            return Ok(0);
        };
        let sums = "s1, s2, s3, s4, s5, s6, s7, s8, s9";
        let sum_cols = (1..=9)
            .map(|i| format!("SUM(s{i})"))
            .collect::<Vec<_>>()
            .join(", ");
        let add_cols = (1..=9)
            .map(|i| format!("s{i} = stat_surveys.s{i} + excluded.s{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let statements = [
            "WITH moved AS (DELETE FROM stat_count_deltas RETURNING office_code, period, dim, key, n) \
             INSERT INTO stat_counts (office_code, period, dim, key, n) \
             SELECT office_code, period, dim, key, SUM(n) FROM moved \
             GROUP BY period, office_code, dim, key ORDER BY period, office_code, dim, key \
             ON CONFLICT (period, office_code, dim, key) DO UPDATE SET n = stat_counts.n + excluded.n"
                .to_string(),
            "WITH moved AS (DELETE FROM stat_duration_deltas RETURNING office_code, period, step, bucket, n) \
             INSERT INTO stat_durations (office_code, period, step, bucket, n) \
             SELECT office_code, period, step, bucket, SUM(n) FROM moved \
             GROUP BY period, office_code, step, bucket ORDER BY period, office_code, step, bucket \
             ON CONFLICT (period, office_code, step, bucket) DO UPDATE SET n = stat_durations.n + excluded.n"
                .to_string(),
            format!(
                "WITH moved AS (DELETE FROM stat_survey_deltas RETURNING office_code, period, n, {sums}) \
                 INSERT INTO stat_surveys (office_code, period, n, {sums}) \
                 SELECT office_code, period, SUM(n), {sum_cols} FROM moved \
                 GROUP BY period, office_code ORDER BY period, office_code \
                 ON CONFLICT (period, office_code) DO UPDATE SET n = stat_surveys.n + excluded.n, {add_cols}"
            ),
        ];
        let mut folded = 0;
        for sql in statements {
            folded += sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await?
                .rows_affected();
        }
        Ok(folded)
    }

    /// Runs the scheduler while this process leads it, until `stop`: folds the aggregates'
    /// deltas every [`FOLD_PERIOD`] and archives the monthly reports that are due every
    /// `period`.
    pub async fn run_scheduler(
        self: Arc<Self>,
        period: Duration,
        leaders: aduan_spine::relay::Leaders,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut leader = leaders(self.store().database(), "aduan-reporting-scheduler");
        let tick = period.min(FOLD_PERIOD);
        let mut next_archive = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            if leader.ensure().await {
                // The code only: a storage error's message can quote stored values.
                if let Err(e) = self.fold_deltas().await {
                    tracing::warn!(code = ?e.code(), "folding the statistics' deltas failed");
                }
                if tokio::time::Instant::now() >= next_archive {
                    next_archive = tokio::time::Instant::now() + period;
                    match self.archive_due(Timestamp::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(archived = n, "monthly reports archived"),
                        Err(e) => {
                            tracing::warn!(code = ?e.code(), "monthly report scheduler failed")
                        }
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = stop.changed() => {}
            }
        }
        leader.release().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_due_from_the_second_day_of_the_next() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        let firsts = |today| -> Vec<Date> { due_months(today).iter().map(|m| m.0).collect() };
        assert_eq!(
            firsts(d(2026, 12, 1)),
            vec![d(2026, 10, 1), d(2026, 9, 1), d(2026, 8, 1)]
        );
        assert_eq!(
            due_months(d(2026, 12, 2))[0],
            (d(2026, 11, 1), d(2026, 11, 30))
        );
        assert_eq!(
            firsts(d(2027, 1, 15)),
            vec![d(2026, 12, 1), d(2026, 11, 1), d(2026, 10, 1)]
        );
    }
}
