//! Feedback's store: the case store of `aduan_spine::casefile` (the sealed case files, the
//! outbox, the access log) and feedback's own table of survey scores. The only place with SQL
//! and table names.

use aduan_ikm::Totals;
use aduan_runtime::Result;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::Database;
use aduan_spine::casefile::{CaseStore, SideRow, Value, column};
use jiff::civil::Date;

use crate::domain::skm_survey::{OfficeTotals, survey_key};

/// The score columns of a survey row, one per SKM element (U1-U9).
const SCORE_COLUMNS: [&str; 9] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];

/// A case whose timer is due: when, and which complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The timer (microseconds).
    pub at: i64,
    /// The complaint.
    pub complaint_id: String,
}

/// A survey's row: scores only, kept under a keyed HMAC instead of the complaint's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRow {
    /// The survey.
    pub survey_id: String,
    /// The office.
    pub office_code: String,
    /// The service surveyed ("pengaduan").
    pub service_code: String,
    /// [`survey_key`] of the complaint.
    pub complaint_key: String,
    /// When it was submitted (microseconds).
    pub submitted_at: i64,
    /// The office's local day of `submitted_at`.
    pub submitted_on: Date,
    /// The nine scores (U1-U9).
    pub scores: Vec<i32>,
}

/// Which surveys an index counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Surveyed {
    /// One office's.
    Office(String),
    /// Every office of a province (office codes starting with the province's code and a dot).
    Province(String),
}

/// Feedback's store.
pub struct Store {
    cases: CaseStore,
}

impl Store {
    /// Over the case store of feedback's database.
    pub fn new(cases: CaseStore) -> Self {
        Self { cases }
    }

    /// The case store (case files, outbox, access log).
    pub fn cases(&self) -> &CaseStore {
        &self.cases
    }

    /// One page of the due cases, ordered by (timer, complaint id), after `after`.
    pub async fn due_page(&self, now: i64, after: Option<&Due>, limit: i64) -> Result<Vec<Due>> {
        let rows = match after {
            None => {
                self.cases
                    .query(
                        "SELECT next_at, complaint_id FROM cases WHERE next_at <= $1 \
                         ORDER BY next_at, complaint_id LIMIT $2",
                        &[Value::Int(now), Value::Int(limit)],
                    )
                    .await?
            }
            Some(d) => {
                self.cases
                    .query(
                        "SELECT next_at, complaint_id FROM cases WHERE next_at <= $1 \
                         AND (next_at > $2 OR (next_at = $2 AND complaint_id > $3)) \
                         ORDER BY next_at, complaint_id LIMIT $4",
                        &[
                            Value::Int(now),
                            Value::Int(d.at),
                            Value::Text(d.complaint_id.clone()),
                            Value::Int(limit),
                        ],
                    )
                    .await?
            }
        };
        Ok(rows
            .iter()
            .map(|row| Due {
                at: column(row, 0).int(),
                complaint_id: column(row, 1).text(),
            })
            .collect())
    }

    /// How many reads of a case the access log holds.
    pub async fn access_count(&self, office: &str, complaint_id: &str) -> Result<i64> {
        let rows = self
            .cases
            .query(
                "SELECT COUNT(*) FROM access_log WHERE office_code = $1 AND complaint_id = $2",
                &[
                    Value::Text(office.to_string()),
                    Value::Text(complaint_id.to_string()),
                ],
            )
            .await?;
        Ok(rows.first().map(|r| column(r, 0).int()).unwrap_or(0))
    }

    /// The side row that writes a survey with its step.
    pub fn survey_row(s: &SurveyRow) -> SideRow {
        let mut values = vec![
            ("survey_id", Value::Text(s.survey_id.clone())),
            ("office_code", Value::Text(s.office_code.clone())),
            ("service_code", Value::Text(s.service_code.clone())),
            ("complaint_key", Value::Text(s.complaint_key.clone())),
            ("submitted_at", Value::Int(s.submitted_at)),
            ("submitted_on", Value::Text(s.submitted_on.to_string())),
        ];
        for (c, x) in SCORE_COLUMNS.iter().zip(&s.scores) {
            values.push((c, Value::Int(i64::from(*x))));
        }
        SideRow {
            table: "surveys",
            values,
            key: &[],
        }
    }

    /// The survey totals per office of the surveys submitted from `from` to `to` (local days),
    /// only of `service` unless it is empty; ordered by office.
    pub async fn survey_totals(
        &self,
        of: &Surveyed,
        from: Date,
        to: Date,
        service: &str,
    ) -> Result<Vec<OfficeTotals>> {
        let mut sql = String::from("SELECT office_code, COUNT(*) AS n");
        for i in 1..=9 {
            sql.push_str(&format!(", CAST(SUM(u{i}) AS BIGINT) AS s{i}"));
        }
        sql.push_str(" FROM surveys WHERE ");
        let office = match of {
            Surveyed::Office(o) => {
                sql.push_str("office_code = $1");
                o.clone()
            }
            Surveyed::Province(p) => {
                sql.push_str("office_code LIKE $1");
                format!("{p}.%")
            }
        };
        sql.push_str(" AND submitted_on >= $2 AND submitted_on <= $3");
        let mut binds = vec![
            Value::Text(office),
            Value::Text(from.to_string()),
            Value::Text(to.to_string()),
        ];
        if !service.is_empty() {
            sql.push_str(" AND service_code = $4");
            binds.push(Value::Text(service.to_string()));
        }
        sql.push_str(" GROUP BY office_code ORDER BY office_code");
        let rows = self.cases.query(&sql, &binds).await?;
        Ok(rows
            .iter()
            .map(|row| {
                let mut totals = Totals {
                    respondents: column(row, 1).int(),
                    sums: [0; 9],
                };
                for (i, s) in totals.sums.iter_mut().enumerate() {
                    *s = column(row, i + 2).int();
                }
                OfficeTotals {
                    office_code: column(row, 0).text(),
                    totals,
                }
            })
            .collect())
    }
}

/// Survey rows written before they were keyed by an HMAC still hold the complaint's id (a UUID,
/// with dashes; an HMAC is hex): re-key them, once, at start-up.
pub async fn rekey_surveys(db: &Database, keys: &Keyring) -> Result<()> {
    macro_rules! rekey {
        ($pool:expr) => {{
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT survey_id, office_code, complaint_key FROM surveys WHERE complaint_key LIKE '%-%'",
            )
            .fetch_all($pool)
            .await?;
            for (survey, office, complaint) in rows {
                let key = survey_key(keys, &office, &complaint)?;
                sqlx::query("UPDATE surveys SET complaint_key = $1 WHERE survey_id = $2")
                    .bind(key)
                    .bind(survey)
                    .execute($pool)
                    .await?;
            }
        }};
    }
    match db {
        Database::Postgres(p) => rekey!(p),
        Database::Sqlite(p) => rekey!(p),
    }
    Ok(())
}
