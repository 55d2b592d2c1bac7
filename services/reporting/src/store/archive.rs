//! The monthly archive (`monthly_archive`: the laporan bulanan as rendered the day its month
//! closed) and the fold of the aggregates' deltas.

use std::collections::HashSet;

use aduan_runtime::db::Database;
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::{Value, column};

use super::Store;

/// An archived monthly report, without its PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    /// The file name.
    pub name: String,
    /// Its pages.
    pub pages: i64,
    /// When it was rendered (microseconds).
    pub generated_at: i64,
}

/// A monthly report to archive.
#[derive(Debug, Clone, Copy)]
pub struct ToArchive<'a> {
    /// The office, or the province.
    pub code: &'a str,
    /// yyyymm.
    pub period: i64,
    /// When it was rendered (microseconds).
    pub generated_at: i64,
    /// The file name.
    pub name: &'a str,
    /// Its pages.
    pub pages: i32,
    /// The PDF.
    pub pdf: &'a [u8],
}

impl Store {
    /// The archived monthly report of an office (or the province) and month (yyyymm).
    pub async fn archived(&self, code: &str, period: i64) -> Result<Option<Archived>> {
        let rows = self
            .cases
            .query(
                "SELECT name, pages, generated_at FROM monthly_archive \
                 WHERE office_code = $1 AND period = $2",
                &[Value::Text(code.to_string()), Value::Int(period)],
            )
            .await?;
        Ok(rows.first().map(|r| Archived {
            name: column(r, 0).text(),
            pages: column(r, 1).int(),
            generated_at: column(r, 2).int(),
        }))
    }

    /// The PDF of an archived monthly report.
    pub async fn archived_pdf(&self, code: &str, period: i64) -> Result<Vec<u8>> {
        let sql = "SELECT pdf FROM monthly_archive WHERE office_code = $1 AND period = $2";
        macro_rules! select {
            ($pool:expr) => {
                sqlx::query_scalar(sql)
                    .bind(code)
                    .bind(period)
                    .fetch_optional($pool)
                    .await?
            };
        }
        let pdf: Option<Vec<u8>> = match self.cases.database() {
            Database::Postgres(pool) => select!(pool),
            Database::Sqlite(pool) => select!(pool),
        };
        pdf.ok_or(Error::NotFound("monthly report"))
    }

    /// Archives a monthly report unless one is archived for its office and month; true when
    /// this one was.
    pub async fn archive(&self, a: ToArchive<'_>) -> Result<bool> {
        let sql = "INSERT INTO monthly_archive (office_code, period, generated_at, name, pages, pdf) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (office_code, period) DO NOTHING";
        macro_rules! insert {
            ($pool:expr) => {
                sqlx::query(sql)
                    .bind(a.code)
                    .bind(a.period)
                    .bind(a.generated_at)
                    .bind(a.name)
                    .bind(a.pages)
                    .bind(a.pdf)
                    .execute($pool)
                    .await?
                    .rows_affected()
            };
        }
        let done = match self.cases.database() {
            Database::Postgres(pool) => insert!(pool),
            Database::Sqlite(pool) => insert!(pool),
        };
        Ok(done == 1)
    }

    /// The month (yyyymm) of reporting's first event; None before any.
    pub async fn first_event_period(&self) -> Result<Option<i64>> {
        let rows = self
            .cases
            .query("SELECT MIN(period) FROM events", &[])
            .await?;
        Ok(match rows.first().map(|r| column(r, 0)) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v.int()),
        })
    }

    /// The (office, month) of the monthly reports archived from month `oldest` on (not the PDFs).
    pub async fn archived_since(&self, oldest: i64) -> Result<HashSet<(String, i64)>> {
        let rows = self
            .cases
            .query(
                "SELECT office_code, period FROM monthly_archive WHERE period >= $1",
                &[Value::Int(oldest)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (column(r, 0).text(), column(r, 1).int()))
            .collect())
    }

    /// Folds the pending deltas of the aggregates into them (PostgreSQL; SQLite's triggers
    /// update the aggregates directly). Each table in one statement: the deltas a statement
    /// deletes are the ones it adds, and deltas committed meanwhile wait for the next fold.
    /// Returns how many delta rows were folded.
    pub async fn fold_deltas(&self) -> Result<u64> {
        let Database::Postgres(pool) = self.cases.database() else {
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
}
