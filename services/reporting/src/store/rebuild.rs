//! Recomputing the pre-aggregated statistics from the facts, and loading facts in bulk.
//!
//! The migration's triggers keep `stat_counts`, `stat_durations` and `stat_surveys` up to date in
//! the transaction that changes a fact. [`Store::rebuild_statistics`] recomputes all three
//! from `fact_dims`, `fact_durations` and `survey_facts` in one transaction (the operator's repair
//! tool, should they ever disagree), and [`Store::statistics_drift`] lists the rows where they
//! do. A bulk load (the reporting benchmark, an import) turns the triggers off
//! ([`Store::begin_bulk_load`]), writes rows with [`Store::bulk_insert`] and ends with
//! [`Store::finish_bulk_load`]: the triggers back on and the same recomputation, in one
//! transaction. Run a bulk load with the service stopped: facts written by a running service
//! while the triggers are off are counted only by the final recomputation.

use std::collections::{BTreeMap, BTreeSet};

use aduan_runtime::db::Database;
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::{SideRow, Value};
use sqlx::AssertSqlSafe;

use super::Store;

/// The fact tables whose triggers keep the statistics.
const FACT_TABLES: [&str; 3] = ["fact_dims", "fact_durations", "survey_facts"];

/// The SQLite triggers, as the migration creates them.
const SQLITE_MIGRATION: &str = include_str!("../../migrations/0001_reporting.sqlite.sql");

/// One pre-aggregated table, its pending deltas, and how it is computed from its facts.
struct Stat {
    table: &'static str,
    /// Where PostgreSQL's triggers append changes until the scheduler folds them in
    /// (`Store::fold_deltas`); empty on SQLite, whose triggers update the table directly.
    deltas: &'static str,
    /// The key columns.
    keys: &'static str,
    /// The value columns (`n` first).
    values: &'static [&'static str],
    /// The recomputation: the key columns, then the values.
    recompute: &'static str,
    /// The primary key's order: a rebuild writes the rows in it, so a month's rows (what a
    /// statistics request reads) lie together, as they do when the triggers write them over the
    /// weeks a month's complaints are handled.
    order: &'static str,
}

const STATS: [Stat; 3] = [
    Stat {
        table: "stat_counts",
        deltas: "stat_count_deltas",
        keys: "office_code, period, dim, key",
        values: &["n"],
        recompute: "SELECT office_code, period, dim, key, COUNT(*) FROM fact_dims \
                    GROUP BY office_code, period, dim, key",
        order: "period, office_code, dim, key",
    },
    Stat {
        table: "stat_durations",
        deltas: "stat_duration_deltas",
        keys: "office_code, period, step, bucket",
        values: &["n"],
        recompute: "SELECT office_code, period, step, bucket, COUNT(*) FROM fact_durations \
                    GROUP BY office_code, period, step, bucket",
        order: "period, office_code, step, bucket",
    },
    Stat {
        table: "stat_surveys",
        deltas: "stat_survey_deltas",
        keys: "office_code, period",
        values: &["n", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"],
        recompute: "SELECT office_code, period, COUNT(*), SUM(u1), SUM(u2), SUM(u3), SUM(u4), \
                    SUM(u5), SUM(u6), SUM(u7), SUM(u8), SUM(u9) FROM survey_facts \
                    GROUP BY office_code, period",
        order: "period, office_code",
    },
];

impl Stat {
    fn columns(&self) -> String {
        format!("{}, {}", self.keys, self.values.join(", "))
    }

    fn key_count(&self) -> usize {
        self.keys.split(',').count()
    }

    /// What the statistics read: the table plus its pending deltas, per key, zero rows left out.
    fn kept(&self, deltas: bool) -> String {
        let cols = self.columns();
        let source = if deltas {
            format!(
                "SELECT {cols} FROM {} UNION ALL SELECT {cols} FROM {}",
                self.table, self.deltas
            )
        } else {
            format!("SELECT {cols} FROM {}", self.table)
        };
        let sums: Vec<String> = self
            .values
            .iter()
            .map(|v| format!("CAST(SUM({v}) AS BIGINT)"))
            .collect();
        format!(
            "SELECT {}, {} FROM ({source}) s GROUP BY {} HAVING SUM(n) <> 0",
            self.keys,
            sums.join(", "),
            self.keys
        )
    }
}

/// What a recomputation of the statistics wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildOutcome {
    /// Rows deleted first: of the three tables (rows whose count had fallen to zero included)
    /// and of their pending deltas.
    pub removed: u64,
    /// Rows of `stat_counts` written.
    pub counts: u64,
    /// Rows of `stat_durations` written.
    pub durations: u64,
    /// Rows of `stat_surveys` written.
    pub surveys: u64,
}

/// One row where a pre-aggregated table and the recomputation from the facts disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// `stat_counts`, `stat_durations` or `stat_surveys`.
    pub table: &'static str,
    /// The row's key: office and period, then dimension and key (counts) or step and bucket
    /// (durations).
    pub key: Vec<String>,
    /// What the table holds: `n` (and the nine score sums for surveys); empty when the row is
    /// missing or its count is zero.
    pub kept: Vec<i64>,
    /// What the facts give; empty when no fact counts there.
    pub recomputed: Vec<i64>,
}

type Keyed = BTreeMap<Vec<String>, Vec<i64>>;

fn keyed(rows: Vec<Vec<Value>>, keys: usize) -> Keyed {
    rows.into_iter()
        .map(|r| {
            let (k, v) = r.split_at(keys.min(r.len()));
            (
                k.iter().map(Value::text).collect(),
                v.iter().map(Value::int).collect(),
            )
        })
        .collect()
}

/// What a statement of a rebuild does, for its outcome.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Other,
    Removed,
    Written(usize),
}

/// The statements of a recomputation: on PostgreSQL the locks (fact tables against writers, the
/// aggregates and their deltas against the scheduler's fold), then every row of the aggregates
/// and of their deltas deleted, then the aggregates written from the facts.
fn recompute_statements(db: &Database, deltas: bool) -> Vec<(Part, String)> {
    let mut out = Vec::new();
    if let Database::Postgres(_) = db {
        out.push((
            Part::Other,
            format!("LOCK TABLE {} IN SHARE MODE", FACT_TABLES.join(", ")),
        ));
        let mut tables: Vec<&str> = STATS.iter().map(|s| s.table).collect();
        if deltas {
            tables.extend(STATS.iter().map(|s| s.deltas));
        }
        out.push((
            Part::Other,
            format!("LOCK TABLE {} IN EXCLUSIVE MODE", tables.join(", ")),
        ));
    }
    for s in &STATS {
        out.push((Part::Removed, format!("DELETE FROM {}", s.table)));
        if deltas {
            out.push((Part::Removed, format!("DELETE FROM {}", s.deltas)));
        }
    }
    for (i, s) in STATS.iter().enumerate() {
        out.push((
            Part::Written(i),
            format!(
                "INSERT INTO {} ({}) {} ORDER BY {}",
                s.table,
                s.columns(),
                s.recompute,
                s.order
            ),
        ));
    }
    out
}

/// Runs a recomputation (after `before`, in the same transaction) and sums up what it did.
async fn recompute(db: &Database, deltas: bool, before: Vec<String>) -> Result<RebuildOutcome> {
    let mut parts: Vec<(Part, String)> = before.into_iter().map(|s| (Part::Other, s)).collect();
    parts.extend(recompute_statements(db, deltas));
    let statements: Vec<String> = parts.iter().map(|(_, s)| s.clone()).collect();
    let affected = in_transaction(db, &statements).await?;
    let mut out = RebuildOutcome::default();
    for ((part, _), n) in parts.iter().zip(affected) {
        match part {
            Part::Other => {}
            Part::Removed => out.removed += n,
            Part::Written(0) => out.counts += n,
            Part::Written(1) => out.durations += n,
            Part::Written(_) => out.surveys += n,
        }
    }
    Ok(out)
}

/// The SQLite triggers of the migration: (name, table, CREATE statement).
fn sqlite_triggers() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    let mut rest = SQLITE_MIGRATION;
    while let Some(start) = rest.find("CREATE TRIGGER ") {
        let text = &rest[start..];
        let Some(end) = text.find("\nEND;") else {
            break;
        };
        let statement = &text[..end + "\nEND;".len()];
        let mut words = statement.split_whitespace();
        let name = words.nth(2).unwrap_or_default();
        let table = words.skip_while(|w| *w != "ON").nth(1).unwrap_or_default();
        out.push((name, table, statement));
        rest = &text[end..];
    }
    out
}

/// Runs `statements` in one transaction (SQLite: `BEGIN IMMEDIATE`); the rows each affected.
async fn in_transaction(db: &Database, statements: &[String]) -> Result<Vec<u64>> {
    let mut affected = Vec::with_capacity(statements.len());
    match db {
        Database::Postgres(p) => {
            let mut tx = p.begin().await?;
            for s in statements {
                let r = sqlx::raw_sql(AssertSqlSafe(s.clone()))
                    .execute(&mut *tx)
                    .await?;
                affected.push(r.rows_affected());
            }
            tx.commit().await?;
        }
        Database::Sqlite(p) => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            for s in statements {
                let r = sqlx::raw_sql(AssertSqlSafe(s.clone()))
                    .execute(&mut *tx)
                    .await?;
                affected.push(r.rows_affected());
            }
            tx.commit().await?;
        }
    }
    Ok(affected)
}

/// The statements that turn the statistics triggers on.
fn enable_statements(db: &Database) -> Vec<String> {
    match db {
        Database::Postgres(_) => FACT_TABLES
            .iter()
            .map(|t| format!("ALTER TABLE {t} ENABLE TRIGGER USER"))
            .collect(),
        Database::Sqlite(_) => sqlite_triggers()
            .into_iter()
            .flat_map(|(name, _, create)| {
                [format!("DROP TRIGGER IF EXISTS {name}"), create.to_string()]
            })
            .collect(),
    }
}

/// A field of PostgreSQL's COPY text format.
fn copy_field(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Text(t) => {
            for b in t.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => out.extend_from_slice(f.to_string().as_bytes()),
        Value::Null => out.extend_from_slice(b"\\N"),
    }
}

/// The rows of one table: its name, its columns, the rows.
type TableRows<'a> = (&'static str, Vec<&'static str>, Vec<&'a SideRow>);

/// Rows grouped by table (in the order tables first appear), checked to share their columns.
fn by_table(rows: &[SideRow]) -> Result<Vec<TableRows<'_>>> {
    let mut groups: Vec<TableRows<'_>> = Vec::new();
    for r in rows {
        let cols: Vec<&'static str> = r.values.iter().map(|(c, _)| *c).collect();
        match groups.iter_mut().find(|g| g.0 == r.table) {
            Some(g) => {
                if g.1 != cols {
                    return Err(Error::Internal(format!(
                        "bulk rows of {} with different columns",
                        r.table
                    )));
                }
                g.2.push(r);
            }
            None => groups.push((r.table, cols, vec![r])),
        }
    }
    Ok(groups)
}

impl Store {
    /// Recomputes `stat_counts`, `stat_durations` and `stat_surveys` from the facts in one
    /// transaction: every row deleted, then written again by a GROUP BY over `fact_dims`,
    /// `fact_durations` and `survey_facts`. On PostgreSQL the fact tables are locked against
    /// writers (SHARE) for the transaction, so no trigger runs between the recomputation's read
    /// and its commit; SQLite's `BEGIN IMMEDIATE` does the same.
    pub async fn rebuild_statistics(&self) -> Result<RebuildOutcome> {
        let deltas = self.has_deltas().await?;
        recompute(self.cases.database(), deltas, Vec::new()).await
    }

    /// True when the database has the aggregates' delta tables (PostgreSQL's triggers append
    /// there; SQLite's stay empty).
    async fn has_deltas(&self) -> Result<bool> {
        let names: Vec<String> = STATS.iter().map(|s| format!("'{}'", s.deltas)).collect();
        let sql = match self.cases.database() {
            Database::Postgres(_) => format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_tables \
                 WHERE schemaname = current_schema() AND tablename IN ({})",
                names.join(", ")
            ),
            Database::Sqlite(_) => format!(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ({})",
                names.join(", ")
            ),
        };
        let rows = self.cases.query(&sql, &[]).await?;
        match rows.first().and_then(|r| r.first()).map(Value::int) {
            Some(0) => Ok(false),
            Some(3) => Ok(true),
            n => Err(Error::Internal(format!(
                "some of the statistics' delta tables are missing ({n:?} of 3)"
            ))),
        }
    }

    /// The rows where what the statistics read (the pre-aggregated tables plus their pending
    /// deltas) differs from a recomputation from the facts. Rows whose count is zero count as
    /// absent: the triggers leave them behind, a recomputation does not write them. Empty when
    /// the statistics are right. Each table is compared in two statements, so run it while
    /// nothing writes facts.
    pub async fn statistics_drift(&self) -> Result<Vec<Drift>> {
        let deltas = self.has_deltas().await?;
        let store = &self.cases;
        let mut out = Vec::new();
        for s in &STATS {
            let kept = keyed(store.query(&s.kept(deltas), &[]).await?, s.key_count());
            let recomputed = keyed(store.query(s.recompute, &[]).await?, s.key_count());
            let keys: BTreeSet<&Vec<String>> = kept.keys().chain(recomputed.keys()).collect();
            for k in keys {
                let a = kept.get(k).cloned().unwrap_or_default();
                let b = recomputed.get(k).cloned().unwrap_or_default();
                if a != b {
                    out.push(Drift {
                        table: s.table,
                        key: k.clone(),
                        kept: a,
                        recomputed: b,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Starts a bulk load: turns the statistics triggers off (PostgreSQL: `DISABLE TRIGGER
    /// USER` on the fact tables; SQLite: the migration's triggers dropped). Refused on SQLite
    /// when the database's triggers are not the ones this code knows how to put back.
    pub async fn begin_bulk_load(&self) -> Result<()> {
        let db = self.cases.database();
        let statements: Vec<String> = match db {
            Database::Postgres(_) => FACT_TABLES
                .iter()
                .map(|t| format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
                .collect(),
            Database::Sqlite(_) => {
                let known: BTreeSet<&str> = sqlite_triggers().iter().map(|t| t.0).collect();
                let present: BTreeSet<String> = self
                    .cases
                    .query(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' \
                         AND tbl_name IN ('fact_dims', 'fact_durations', 'survey_facts')",
                        &[],
                    )
                    .await?
                    .iter()
                    .filter_map(|r| r.first().map(Value::text))
                    .collect();
                if present.iter().any(|p| !known.contains(p.as_str())) {
                    return Err(Error::FailedPrecondition(format!(
                        "the fact tables have triggers the bulk loader does not know: {present:?}"
                    )));
                }
                known
                    .iter()
                    .map(|n| format!("DROP TRIGGER IF EXISTS {n}"))
                    .collect()
            }
        };
        in_transaction(db, &statements).await?;
        Ok(())
    }

    /// Writes rows straight into reporting's tables (plain INSERTs: the rows must be new), in
    /// one transaction: PostgreSQL `COPY … FROM STDIN` per table, SQLite multi-row INSERTs.
    /// Rows of one table must have the same columns. Returns the rows written.
    pub async fn bulk_insert(&self, rows: &[SideRow]) -> Result<u64> {
        let groups = by_table(rows)?;
        let mut written = 0;
        match self.cases.database() {
            Database::Postgres(p) => {
                let mut tx = p.begin().await?;
                for (table, cols, rows) in groups {
                    let mut copy = tx
                        .copy_in_raw(&format!("COPY {table} ({}) FROM STDIN", cols.join(", ")))
                        .await?;
                    let mut buf = Vec::with_capacity(1 << 20);
                    for r in rows {
                        for (i, (_, v)) in r.values.iter().enumerate() {
                            if i > 0 {
                                buf.push(b'\t');
                            }
                            copy_field(&mut buf, v);
                        }
                        buf.push(b'\n');
                        if buf.len() >= 1 << 20 {
                            copy.send(std::mem::take(&mut buf)).await?;
                        }
                    }
                    if !buf.is_empty() {
                        copy.send(buf).await?;
                    }
                    written += copy.finish().await?;
                }
                tx.commit().await?;
            }
            Database::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                for (table, cols, rows) in groups {
                    // Well under SQLite's limit of 32,766 bound values per statement.
                    let per = (30_000 / cols.len().max(1)).clamp(1, 500);
                    for chunk in rows.chunks(per) {
                        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
                        let mut n = 0;
                        for (i, _) in chunk.iter().enumerate() {
                            if i > 0 {
                                sql.push_str(", ");
                            }
                            sql.push('(');
                            for c in 0..cols.len() {
                                if c > 0 {
                                    sql.push_str(", ");
                                }
                                n += 1;
                                sql.push_str(&format!("${n}"));
                            }
                            sql.push(')');
                        }
                        let mut q = sqlx::query(AssertSqlSafe(sql));
                        for r in chunk {
                            for (_, v) in &r.values {
                                q = match v {
                                    Value::Text(t) => q.bind(t.clone()),
                                    Value::Int(i) => q.bind(*i),
                                    Value::Real(f) => q.bind(*f),
                                    Value::Null => q.bind(Option::<String>::None),
                                };
                            }
                        }
                        written += q.execute(&mut *tx).await?.rows_affected();
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(written)
    }

    /// Ends a bulk load: the statistics triggers back on and the statistics recomputed from the
    /// facts, in one transaction.
    pub async fn finish_bulk_load(&self) -> Result<RebuildOutcome> {
        let deltas = self.has_deltas().await?;
        let db = self.cases.database();
        recompute(db, deltas, enable_statements(db)).await
    }

    /// Refreshes the planner's statistics after a bulk load: `VACUUM (ANALYZE)` on PostgreSQL
    /// (which also marks the new pages all-visible, so autovacuum does not start on them in the
    /// middle of what follows), `ANALYZE` on SQLite.
    pub async fn analyze(&self) -> Result<()> {
        match self.cases.database() {
            Database::Postgres(p) => {
                sqlx::raw_sql("VACUUM (ANALYZE)").execute(p).await?;
            }
            Database::Sqlite(p) => {
                sqlx::raw_sql("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_triggers_are_found() {
        let t = sqlite_triggers();
        let names: Vec<&str> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            names,
            vec![
                "fact_dims_insert",
                "fact_dims_delete",
                "fact_dims_update",
                "fact_durations_insert",
                "fact_durations_delete",
                "fact_durations_update",
                "survey_facts_insert",
            ]
        );
        for (name, table, create) in &t {
            assert!(name.starts_with(table), "{name} on {table}");
            assert!(FACT_TABLES.contains(table));
            assert!(create.starts_with("CREATE TRIGGER ") && create.ends_with("END;"));
        }
    }

    #[test]
    fn copy_text_is_escaped() {
        let mut out = Vec::new();
        copy_field(&mut out, &Value::Text("a\tb\\c\nd".into()));
        out.push(b'|');
        copy_field(&mut out, &Value::Null);
        out.push(b'|');
        copy_field(&mut out, &Value::Int(-7));
        assert_eq!(out, b"a\\tb\\\\c\\nd|\\N|-7".to_vec());
    }
}
