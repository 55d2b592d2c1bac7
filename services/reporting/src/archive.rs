//! The scheduler of the monthly reports: when a month has closed in an office's calendar, the
//! laporan bulanan of the office and of the province is rendered once and archived, so the copy
//! the office sends on is the one of the day the month closed, whatever changes afterwards. One
//! replica runs it: the database's advisory lock, or a Kubernetes Lease in cluster mode
//! (`aduan-reporting-scheduler`).

use std::sync::Arc;
use std::time::Duration;

use aduan_runtime::casefile::Value;
use aduan_runtime::db::Database;
use aduan_runtime::time::{from_micros, to_micros, to_proto};
use aduan_runtime::{Error, Result};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::pb;
use crate::service::Reporting;
use crate::stats::Scope;

/// A month is archived from this day of the next month on (its events have had a day to
/// arrive through the relays).
pub const ARCHIVE_FROM_DAY: i8 = 2;

/// The month before the one `today` is in, when it is due for archiving.
fn closed_month(today: Date) -> Option<(Date, Date)> {
    if today.day() < ARCHIVE_FROM_DAY {
        return None;
    }
    let first = today.first_of_month();
    let last = first.yesterday().ok()?;
    Some((last.first_of_month(), last))
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
        for o in &offices {
            let today = now.to_zoned(o.time_zone.clone()).date();
            if let Some((from, to)) = closed_month(today) {
                scopes.push(Scope {
                    code: o.code.clone(),
                    province: false,
                    from,
                    to,
                });
            }
        }
        // The province's month closes with its last office's (the westernmost time zone).
        let province_month = offices
            .iter()
            .filter_map(|o| closed_month(now.to_zoned(o.time_zone.clone()).date()))
            .min_by_key(|(from, _)| *from);
        if let Some((from, to)) = province_month
            && offices.iter().all(|o| {
                closed_month(now.to_zoned(o.time_zone.clone()).date())
                    .is_some_and(|(f, _)| f == from)
            })
        {
            scopes.push(Scope {
                code: self.province().to_string(),
                province: true,
                from,
                to,
            });
        }
        let mut made = 0;
        for scope in scopes {
            if self.archived(&scope).await?.is_some() {
                continue;
            }
            let doc = self.render_monthly(&scope).await?;
            if self.store_archive(&scope, &doc, to_micros(now)).await? {
                made += 1;
                metrics::counter!("aduan_reporting_monthly_reports_archived_total").increment(1);
            }
        }
        Ok(made)
    }

    /// Runs the scheduler every `period` while this process leads it, until `stop`.
    pub async fn run_scheduler(
        self: Arc<Self>,
        period: Duration,
        leaders: aduan_runtime::relay::Leaders,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut leader = leaders(self.store().database(), "aduan-reporting-scheduler");
        loop {
            if *stop.borrow() {
                break;
            }
            if leader.ensure().await {
                match self.archive_due(Timestamp::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(archived = n, "monthly reports archived"),
                    // The code only: a storage error's message can quote stored values.
                    Err(e) => tracing::warn!(code = ?e.code(), "monthly report scheduler failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
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
        assert_eq!(closed_month(d(2026, 12, 1)), None);
        assert_eq!(
            closed_month(d(2026, 12, 2)),
            Some((d(2026, 11, 1), d(2026, 11, 30)))
        );
        assert_eq!(
            closed_month(d(2027, 1, 15)),
            Some((d(2026, 12, 1), d(2026, 12, 31)))
        );
    }
}
