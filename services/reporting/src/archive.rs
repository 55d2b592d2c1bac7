//! The scheduler of the monthly reports: when a month has closed in an office's calendar, the
//! laporan bulanan of the office and of the province is rendered once and archived, so the copy
//! the office sends on is the one of the day the month closed, whatever changes afterwards. One
//! replica runs it: the database's advisory lock, or a Kubernetes Lease in cluster mode
//! (`aduan-reporting-scheduler`).

use std::sync::Arc;
use std::time::Duration;

use aduan_runtime::Result;
use aduan_runtime::time::{from_micros, to_micros, to_proto};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::core::Reporting;
use crate::pb;
use crate::stats::Scope;
use crate::store::archive::ToArchive;

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
        let Some(a) = self.store.archived(&scope.code, period(scope.from)).await? else {
            return Ok(None);
        };
        let content = self
            .store
            .archived_pdf(&scope.code, period(scope.from))
            .await?;
        Ok(Some(pb::Document {
            name: a.name,
            content_type: "application/pdf".into(),
            content,
            pages: a.pages as i32,
            archived: true,
            generated_at: Some(to_proto(from_micros(a.generated_at))),
        }))
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
        let Some(first) = self.store.first_event_period().await? else {
            return Ok(0);
        };
        scopes.retain(|s| period(s.to) >= first);
        // What is archived already, in one query (not the PDFs).
        let oldest = scopes.iter().map(|s| period(s.from)).min().unwrap_or(0);
        let done = self.store.archived_since(oldest).await?;
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
            let archived = self
                .store
                .archive(ToArchive {
                    code: &scope.code,
                    period: period(scope.from),
                    generated_at: to_micros(now),
                    name: &doc.name,
                    pages: doc.pages,
                    pdf: &doc.content,
                })
                .await?;
            if archived {
                made += 1;
                metrics::counter!("aduan_reporting_monthly_reports_archived_total").increment(1);
            }
        }
        Ok(made)
    }

    /// Folds the pending deltas of the aggregates into them ([`crate::store::Store::fold_deltas`]).
    pub async fn fold_deltas(&self) -> Result<u64> {
        self.store.fold_deltas().await
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
        let mut leader = leaders(self.store.cases().database(), "aduan-reporting-scheduler");
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
