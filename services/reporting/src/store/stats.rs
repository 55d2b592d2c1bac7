//! The statistics' reads: the pre-aggregated tables (`stat_counts`, `stat_durations`,
//! `stat_surveys`) plus their deltas not folded in yet (PostgreSQL; see
//! [`Store::fold_deltas`](super::Store::fold_deltas)), summed over a span of months.

use aduan_ikm::Totals;
use aduan_runtime::Result;
use aduan_spine::casefile::{Value, column};

use super::{Offices, Store};

/// The sums of the nine survey score columns.
const SCORE_SUMS: &str = "CAST(SUM(s1) AS BIGINT), CAST(SUM(s2) AS BIGINT), \
     CAST(SUM(s3) AS BIGINT), CAST(SUM(s4) AS BIGINT), CAST(SUM(s5) AS BIGINT), \
     CAST(SUM(s6) AS BIGINT), CAST(SUM(s7) AS BIGINT), CAST(SUM(s8) AS BIGINT), \
     CAST(SUM(s9) AS BIGINT)";

/// How many complaints have a dimension's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// The dimension.
    pub dim: String,
    /// Its key.
    pub key: String,
    /// How many.
    pub n: i64,
}

/// How many complaints took a step in a bucket of working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationRow {
    /// The step.
    pub step: String,
    /// The bucket (tenths of a working day).
    pub bucket: i64,
    /// How many.
    pub n: i64,
}

/// The complaints an office received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeCount {
    /// The office.
    pub office_code: String,
    /// How many.
    pub n: i64,
}

/// The survey totals of one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotals {
    /// yyyymm.
    pub period: i64,
    /// Respondents and score sums.
    pub totals: Totals,
}

/// Survey totals from a row whose column `first` is the count and the nine sums follow.
fn totals(row: Option<&Vec<Value>>, first: usize) -> Totals {
    let empty = Vec::new();
    let row = row.unwrap_or(&empty);
    let mut t = Totals {
        respondents: column(row, first).int(),
        ..Default::default()
    };
    for (i, sum) in t.sums.iter_mut().enumerate() {
        *sum = column(row, first + 1 + i).int();
    }
    t
}

impl Store {
    /// The condition on months `$1`..`$2` and the offices (`$3`), with the binds.
    fn span(offices: &Offices, p0: i64, p1: i64) -> (String, [Value; 3]) {
        let (office_cond, office_bind) = offices.condition(3);
        (
            format!("period BETWEEN $1 AND $2 AND {office_cond}"),
            [Value::Int(p0), Value::Int(p1), office_bind],
        )
    }

    /// The counts per dimension and key of the months `p0`..=`p1` (yyyymm).
    pub async fn counts(&self, offices: &Offices, p0: i64, p1: i64) -> Result<Vec<CountRow>> {
        let (filter, binds) = Self::span(offices, p0, p1);
        let rows = self
            .cases
            .query(
                &format!(
                    "SELECT dim, key, CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT dim, key, n FROM stat_counts WHERE {filter} UNION ALL \
                     SELECT dim, key, n FROM stat_count_deltas WHERE {filter}) s GROUP BY dim, key"
                ),
                &binds,
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| CountRow {
                dim: column(r, 0).text(),
                key: column(r, 1).text(),
                n: column(r, 2).int(),
            })
            .collect())
    }

    /// The histograms of working days per step of the months `p0`..=`p1`.
    pub async fn durations(&self, offices: &Offices, p0: i64, p1: i64) -> Result<Vec<DurationRow>> {
        let (filter, binds) = Self::span(offices, p0, p1);
        let rows = self
            .cases
            .query(
                &format!(
                    "SELECT step, bucket, CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT step, bucket, n FROM stat_durations WHERE {filter} UNION ALL \
                     SELECT step, bucket, n FROM stat_duration_deltas WHERE {filter}) s \
                     GROUP BY step, bucket"
                ),
                &binds,
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DurationRow {
                step: column(r, 0).text(),
                bucket: column(r, 1).int(),
                n: column(r, 2).int(),
            })
            .collect())
    }

    /// The survey totals of the months `p0`..=`p1`.
    pub async fn survey_totals(&self, offices: &Offices, p0: i64, p1: i64) -> Result<Totals> {
        let (filter, binds) = Self::span(offices, p0, p1);
        let rows = self
            .cases
            .query(
                &format!(
                    "SELECT CAST(SUM(n) AS BIGINT), {SCORE_SUMS} FROM (\
                     SELECT n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_surveys WHERE {filter} \
                     UNION ALL \
                     SELECT n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_survey_deltas \
                     WHERE {filter}) s"
                ),
                &binds,
            )
            .await?;
        Ok(totals(rows.first(), 0))
    }

    /// The survey totals per month of the months `p0`..=`p1` (months without surveys left out).
    pub async fn survey_totals_by_month(
        &self,
        offices: &Offices,
        p0: i64,
        p1: i64,
    ) -> Result<Vec<MonthTotals>> {
        let (filter, binds) = Self::span(offices, p0, p1);
        let rows = self
            .cases
            .query(
                &format!(
                    "SELECT period, CAST(SUM(n) AS BIGINT), {SCORE_SUMS} FROM (\
                     SELECT period, n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_surveys \
                     WHERE {filter} UNION ALL \
                     SELECT period, n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_survey_deltas \
                     WHERE {filter}) s GROUP BY period"
                ),
                &binds,
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| MonthTotals {
                period: column(r, 0).int(),
                totals: totals(Some(r), 1),
            })
            .collect())
    }

    /// The complaints each office received in the months `p0`..=`p1`.
    pub async fn received_by_office(
        &self,
        offices: &Offices,
        p0: i64,
        p1: i64,
    ) -> Result<Vec<OfficeCount>> {
        let (filter, binds) = Self::span(offices, p0, p1);
        let rows = self
            .cases
            .query(
                &format!(
                    "SELECT office_code, CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT office_code, n FROM stat_counts WHERE {filter} AND dim = 'total' \
                     UNION ALL SELECT office_code, n FROM stat_count_deltas \
                     WHERE {filter} AND dim = 'total') s GROUP BY office_code"
                ),
                &binds,
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| OfficeCount {
                office_code: column(r, 0).text(),
                n: column(r, 1).int(),
            })
            .collect())
    }
}
