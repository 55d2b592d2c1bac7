//! Case files: the storage of a service whose record of a complaint is one document of mixed,
//! mostly personal content (investigation's interviews, evidence and sessions; feedback's
//! deliveries and comments). The document is serialised with serde and sealed as a whole with
//! the case's own data key, kept in the row wrapped by the office's key (crypto-shredding:
//! deleting the wrapped key makes every copy of the document unreadable, docs/privacy.md); the
//! columns that queries need (office, Bidang, status, assignees, the next timer) stay in clear and
//! hold codes and ids only.
//!
//! Every change is one transaction on the locked row: the document, side rows (for example a
//! survey's scores for the IKM), and the lifecycle events in the outbox. Received events are
//! applied in the transaction that records their ids, so a redelivery changes nothing. Reads of
//! personal content are written to an access log (who, when, which case, what, why).
//!
//! Tables (the spine's migrations, [`crate::migrations`], on both backends): `cases`,
//! `access_log`, `audit_heads`, and the relay's `inbox_seen`, `outbox`, `outbox_counter`,
//! `relay_cursors`, `relay_dead_letters`.
//!
//! The case row also keeps the W3C trace context (`traceparent`, `tracestate`: trace and span
//! ids, no personal data) of the complaint's latest lifecycle event, written or received, so
//! that a person's next step links its own trace to it (docs/ARCHITECTURE.md, "Traces").

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aduan_proto::common::v1::{Actor, Step};
use aduan_proto::events::v1::{LifecycleEvent, TraceContext, lifecycle_event::Detail};
use serde::{Serialize, de::DeserializeOwned};
use sqlx::Row;

use crate::relay::{ApplyOutcome, Outbox};
use aduan_runtime::crypto::{DataKey, Keyring};
use aduan_runtime::db::Database;
use aduan_runtime::{Error, Result};

/// The access log of a case-file service, as its chain covers it (`aduan_runtime::audit`).
pub const ACCESS_LOG: aduan_runtime::audit::Table = aduan_runtime::audit::Table {
    name: "access_log",
    columns: &[
        ("complaint_id", aduan_runtime::audit::Kind::Text),
        ("office_code", aduan_runtime::audit::Kind::Text),
        ("at", aduan_runtime::audit::Kind::Int),
        ("subject", aduan_runtime::audit::Kind::Text),
        ("role", aduan_runtime::audit::Kind::Text),
        ("what", aduan_runtime::audit::Kind::Text),
        ("sealed_purpose", aduan_runtime::audit::Kind::Bytes),
    ],
    purpose_aad,
};

/// What the purpose of a read in [`ACCESS_LOG`] is sealed with (by the office's key): the
/// service and the complaint. Triage, which writes this table without a case-file store, uses it
/// too, so that `aduan audit export` opens every service's purposes.
pub fn purpose_aad(service: &str, complaint_id: &str) -> Vec<u8> {
    aad(service, complaint_id, "access")
}

/// One complaint's case file.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFile<T> {
    /// The complaint's id.
    pub complaint_id: String,
    /// The office.
    pub office_code: String,
    /// The unit holding the case (investigation: the Bidang code), or empty.
    pub unit: String,
    /// The service's status code for the case.
    pub status: i32,
    /// Subjects of the officers assigned to the case.
    pub assignees: Vec<String>,
    /// When the service's sweeper should look at the case next (microseconds), if ever.
    pub next_at: Option<i64>,
    /// This service's events for the complaint so far (the next event's `sequence` is this + 1).
    pub event_seq: i32,
    /// When the case opened here (microseconds).
    pub opened_at: i64,
    /// Last change (microseconds).
    pub updated_at: i64,
    /// The document, sealed at rest.
    pub body: T,
}

impl<T> CaseFile<T> {
    /// A lifecycle event of this case from `service`, numbered after the case's previous ones.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &mut self,
        service: &str,
        step: Step,
        actor: Actor,
        at: jiff::Timestamp,
        status: i32,
        detail: Detail,
    ) -> LifecycleEvent {
        self.event_seq += 1;
        LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: self.complaint_id.clone(),
            office_code: self.office_code.clone(),
            step: step as i32,
            occurred_at: Some(aduan_runtime::time::to_proto(at)),
            source_service: service.to_string(),
            actor: Some(actor),
            trace: Some(aduan_runtime::telemetry::current_event_trace()),
            sequence: i64::from(self.event_seq),
            status,
            detail: Some(detail),
        }
    }
}

/// A value of a side row's column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// TEXT.
    Text(String),
    /// BIGINT / INTEGER.
    Int(i64),
    /// DOUBLE PRECISION / REAL.
    Real(f64),
    /// NULL.
    Null,
}

impl Value {
    /// As an integer: reals truncated, text parsed, NULL (and text that is not a number) 0.
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Real(f) => *f as i64,
            Value::Text(t) => t.trim().parse().unwrap_or(0),
            Value::Null => 0,
        }
    }

    /// As a real: integers widened, text parsed, NULL 0.
    pub fn real(&self) -> f64 {
        match self {
            Value::Int(i) => *i as f64,
            Value::Real(f) => *f,
            Value::Text(t) => t.trim().parse().unwrap_or(0.0),
            Value::Null => 0.0,
        }
    }

    /// As text: integers and reals written out, NULL empty.
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Int(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Null => String::new(),
        }
    }
}

/// Column `i` of a row of [`CaseStore::query`], NULL when the row is shorter.
pub fn column(row: &[Value], i: usize) -> &Value {
    row.get(i).unwrap_or(&Value::Null)
}

/// A row written with a change into a table of the service's own (for example a survey's scores,
/// kept in clear for aggregation because they hold no personal data).
#[derive(Debug, Clone, PartialEq)]
pub struct SideRow {
    /// The table.
    pub table: &'static str,
    /// Columns and values.
    pub values: Vec<(&'static str, Value)>,
    /// Key columns: with a key, an existing row with the same key is replaced.
    pub key: &'static [&'static str],
}

/// Rows of one table with the same columns and key, written by one statement.
#[derive(Debug, PartialEq)]
struct SideBatch<'a> {
    sql: String,
    rows: Vec<&'a SideRow>,
}

/// Most rows in one multi-row side statement (bind parameters stay far below both backends'
/// limits: SQLite 32,766, PostgreSQL 65,535).
const SIDE_ROWS_PER_STATEMENT: usize = 200;

/// The statements that write `side` (issue 13: one statement per table instead of one per row;
/// reporting's fold writes a dozen fact rows per event). Tables keep the order of their first row.
/// Within a keyed table a later row with the same key replaces an earlier one, exactly as the
/// one-row upserts did in sequence (and as PostgreSQL requires: one statement may not upsert a key
/// twice).
fn side_batches(side: &[SideRow]) -> Vec<SideBatch<'_>> {
    // Per group: its first row, its rows (None where a later row of the same key replaced one),
    // and where each key sits. A batch of received events brings thousands of rows, so a key is
    // found by a map, not by a scan.
    type Group<'a> = (
        &'a SideRow,
        Vec<Option<&'a SideRow>>,
        HashMap<String, usize>,
    );
    let mut groups: Vec<Group<'_>> = Vec::new();
    for row in side {
        let same = |a: &SideRow| {
            a.table == row.table
                && a.key == row.key
                && a.values.len() == row.values.len()
                && a.values.iter().zip(&row.values).all(|(x, y)| x.0 == y.0)
        };
        let g = match groups.iter().position(|(first, _, _)| same(first)) {
            Some(g) => g,
            None => {
                groups.push((row, Vec::new(), HashMap::new()));
                groups.len() - 1
            }
        };
        let (_, rows, keys) = &mut groups[g];
        if !row.key.is_empty() {
            let k = format!(
                "{:?}",
                row.values
                    .iter()
                    .filter(|(c, _)| row.key.contains(c))
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
            );
            if let Some(i) = keys.insert(k, rows.len()) {
                rows[i] = None;
            }
        }
        rows.push(Some(row));
    }
    let mut out = Vec::new();
    for (first, rows, _) in groups {
        let rows: Vec<&SideRow> = rows.into_iter().flatten().collect();
        let cols: Vec<&str> = first.values.iter().map(|(c, _)| *c).collect();
        for chunk in rows.chunks(SIDE_ROWS_PER_STATEMENT) {
            let mut n = 0;
            let tuples: Vec<String> = chunk
                .iter()
                .map(|_| {
                    let p: Vec<String> = cols
                        .iter()
                        .map(|_| {
                            n += 1;
                            format!("${n}")
                        })
                        .collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                first.table,
                cols.join(", "),
                tuples.join(", ")
            );
            if !first.key.is_empty() {
                let sets: Vec<String> = cols
                    .iter()
                    .filter(|c| !first.key.contains(c))
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect();
                if sets.is_empty() {
                    sql.push_str(&format!(
                        " ON CONFLICT ({}) DO NOTHING",
                        first.key.join(", ")
                    ));
                } else {
                    sql.push_str(&format!(
                        " ON CONFLICT ({}) DO UPDATE SET {}",
                        first.key.join(", "),
                        sets.join(", ")
                    ));
                }
            }
            out.push(SideBatch {
                sql,
                rows: chunk.to_vec(),
            });
        }
    }
    out
}

/// What one step writes.
#[derive(Debug, Clone)]
pub struct Write<T> {
    /// The case file after the step.
    pub file: CaseFile<T>,
    /// Lifecycle events for the outbox.
    pub events: Vec<LifecycleEvent>,
    /// Side rows.
    pub side: Vec<SideRow>,
}

impl<T> Write<T> {
    /// The case file with its events.
    pub fn new(file: CaseFile<T>, events: Vec<LifecycleEvent>) -> Self {
        Self {
            file,
            events,
            side: Vec::new(),
        }
    }
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The office (required).
    pub office_code: String,
    /// Only this unit's; empty: every unit.
    pub unit: String,
    /// Only these statuses; empty: all.
    pub statuses: Vec<i32>,
    /// Only cases assigned to this subject; empty: anyone's.
    pub assignee: String,
}

/// One read of a case's personal content.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessEntry {
    /// The case.
    pub complaint_id: String,
    /// Its office.
    pub office_code: String,
    /// When (microseconds).
    pub at: i64,
    /// Who (token subject).
    pub subject: String,
    /// With which role.
    pub role: String,
    /// What was read, for example "case" or "evidence:3".
    pub what: String,
    /// Why, as the caller gave it (sealed at rest).
    pub purpose: String,
}

/// The case as stored: clear columns and the sealed document.
#[derive(Debug, Clone)]
struct Raw {
    complaint_id: String,
    office_code: String,
    unit: String,
    status: i32,
    assignees: String,
    next_at: Option<i64>,
    event_seq: i32,
    opened_at: i64,
    updated_at: i64,
    sealed: Vec<u8>,
    trace: TraceContext,
    /// The case's data key, wrapped by the office's key (None: sealed by the office's key, from
    /// before the case files had keys of their own).
    data_key: Option<Vec<u8>>,
}

struct RawWrite {
    raw: Raw,
    events: Vec<LifecycleEvent>,
    side: Vec<SideRow>,
}

type RawMutate<'a> = Box<dyn FnOnce(Option<Raw>) -> Result<Option<RawWrite>> + Send + 'a>;
type RawApply<'a> = &'a (
        dyn Fn(&LifecycleEvent, Option<Raw>) -> std::result::Result<Option<RawWrite>, String>
            + Send
            + Sync
    );

const COLUMNS: &str = "complaint_id, office_code, unit, status, assignees, next_at, event_seq, \
                       opened_at, updated_at, sealed, traceparent, tracestate, data_key";

/// The tail that makes an insert of case rows an upsert (the opening time stays).
macro_rules! on_conflict_update {
    () => {
        " ON CONFLICT (complaint_id) DO UPDATE SET office_code = excluded.office_code, \
         unit = excluded.unit, status = excluded.status, assignees = excluded.assignees, \
         next_at = excluded.next_at, event_seq = excluded.event_seq, \
         updated_at = excluded.updated_at, sealed = excluded.sealed, \
         traceparent = excluded.traceparent, tracestate = excluded.tracestate, \
         data_key = excluded.data_key"
    };
}

const ON_CONFLICT_UPDATE: &str = on_conflict_update!();

const UPSERT: &str = concat!(
    "INSERT INTO cases (complaint_id, office_code, unit, status, assignees, next_at, \
     event_seq, opened_at, updated_at, sealed, traceparent, tracestate, data_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    on_conflict_update!()
);

const INSERT: &str = "INSERT INTO cases (complaint_id, office_code, unit, status, assignees, next_at, \
     event_seq, opened_at, updated_at, sealed, traceparent, tracestate, data_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// The outbox event type of an event (kept here for the services that name it so).
pub use crate::relay::event_type;

fn row_to_raw<R>(r: &R) -> std::result::Result<Raw, sqlx::Error>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> i32: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Vec<u8>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<Vec<u8>>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Raw {
        complaint_id: r.try_get("complaint_id")?,
        office_code: r.try_get("office_code")?,
        unit: r.try_get("unit")?,
        status: r.try_get("status")?,
        assignees: r.try_get("assignees")?,
        next_at: r.try_get("next_at")?,
        event_seq: r.try_get("event_seq")?,
        opened_at: r.try_get("opened_at")?,
        updated_at: r.try_get("updated_at")?,
        sealed: r.try_get("sealed")?,
        data_key: r.try_get("data_key")?,
        trace: TraceContext {
            traceparent: r.try_get("traceparent")?,
            tracestate: r.try_get("tracestate")?,
        },
    })
}

macro_rules! backend {
    ($module:ident, $db:ty, $pool:ty, $begin:expr, $lock:expr) => {
        mod $module {
            use super::*;

            type Tx = sqlx::Transaction<'static, $db>;

            async fn load(tx: &mut Tx, id: &str) -> std::result::Result<Option<Raw>, sqlx::Error> {
                let sql = format!("SELECT {COLUMNS} FROM cases WHERE complaint_id = $1{}", $lock);
                match sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                {
                    Some(r) => Ok(Some(row_to_raw(&r)?)),
                    None => Ok(None),
                }
            }

            /// The case row and its side rows (the row is locked already).
            async fn write_case(
                tx: &mut Tx,
                w: &RawWrite,
                exists: bool,
            ) -> std::result::Result<(), sqlx::Error> {
                let k = &w.raw;
                // A new case is a plain INSERT: when another transaction created it meanwhile
                // (no row existed to lock), this one fails and is retried instead of overwriting.
                sqlx::query(if exists { UPSERT } else { INSERT })
                    .bind(&k.complaint_id)
                    .bind(&k.office_code)
                    .bind(&k.unit)
                    .bind(k.status)
                    .bind(&k.assignees)
                    .bind(k.next_at)
                    .bind(k.event_seq)
                    .bind(k.opened_at)
                    .bind(k.updated_at)
                    .bind(&k.sealed)
                    .bind(&k.trace.traceparent)
                    .bind(&k.trace.tracestate)
                    .bind(&k.data_key)
                    .execute(&mut **tx)
                    .await?;
                write_side(tx, &w.side).await
            }

            /// Side rows: one statement per table (and per 200 rows).
            async fn write_side(
                tx: &mut Tx,
                side: &[SideRow],
            ) -> std::result::Result<(), sqlx::Error> {
                for batch in side_batches(side) {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(batch.sql));
                    for row in batch.rows {
                        for (_, v) in &row.values {
                            q = match v {
                                Value::Text(t) => q.bind(t.clone()),
                                Value::Int(i) => q.bind(*i),
                                Value::Real(f) => q.bind(*f),
                                Value::Null => q.bind(Option::<String>::None),
                            };
                        }
                    }
                    q.execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Events into the outbox. The counter row is locked until commit, so it is always
            /// taken after the case rows of the transaction (no lock-order cycle with a step).
            async fn write_events(
                tx: &mut Tx,
                outbox: &Outbox,
                events: &[LifecycleEvent],
                at: i64,
            ) -> std::result::Result<(), sqlx::Error> {
                crate::relay::append(&mut **tx, outbox, events, at).await
            }

            pub(super) async fn get(pool: &$pool, id: &str) -> Result<Option<Raw>> {
                let sql = format!("SELECT {COLUMNS} FROM cases WHERE complaint_id = $1");
                match sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
                {
                    Some(r) => Ok(Some(row_to_raw(&r)?)),
                    None => Ok(None),
                }
            }

            pub(super) async fn mutate(
                pool: &$pool,
                outbox: &Outbox,
                id: &str,
                f: RawMutate<'_>,
            ) -> Result<Option<RawWrite>> {
                let mut tx = pool.begin_with($begin).await?;
                let current = load(&mut tx, id).await?;
                let exists = current.is_some();
                let Some(w) = f(current)? else {
                    return Ok(None);
                };
                write_case(&mut tx, &w, exists).await?;
                write_events(&mut tx, outbox, &w.events, w.raw.updated_at).await?;
                tx.commit().await?;
                Ok(Some(w))
            }

            /// A delivered batch in one transaction and a handful of statements, whatever its
            /// size (issue 13): the event ids in one insert, the cases they name in one locked
            /// read, the steps in memory in order (a complaint's later event sees its earlier
            /// ones), then one write per table.
            pub(super) async fn apply(
                pool: &$pool,
                outbox: &Outbox,
                source: &str,
                events: &[LifecycleEvent],
                f: RawApply<'_>,
            ) -> Result<(ApplyOutcome, Vec<LifecycleEvent>)> {
                let mut emitted = Vec::new();
                if events.is_empty() {
                    return Ok((ApplyOutcome::default(), emitted));
                }
                let mut tx = pool.begin_with($begin).await?;
                let now = aduan_runtime::time::to_micros(jiff::Timestamp::now());
                // 1. Which events are new: their ids, recorded in this transaction.
                let batch = crate::relay::Batch::begin(&mut *tx, source, events, now).await?;
                // 2. The cases they name, locked in id order (one order for every batch).
                let mut cases: HashMap<String, Raw> = HashMap::new();
                for chunk in batch.cases().chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {COLUMNS} FROM cases WHERE complaint_id IN ("
                    ));
                    let mut sep = q.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.to_string());
                    }
                    q.push(") ORDER BY complaint_id");
                    q.push($lock);
                    for r in q.build().fetch_all(&mut *tx).await? {
                        let raw = row_to_raw(&r)?;
                        cases.insert(raw.complaint_id.clone(), raw);
                    }
                }
                let stored: HashSet<String> = cases.keys().cloned().collect();
                // 3. The steps, in order.
                let mut written: Vec<String> = Vec::new();
                let mut written_set: HashSet<String> = HashSet::new();
                let mut side: Vec<SideRow> = Vec::new();
                let out = batch
                    .run(&mut *tx, |e| {
                        if let Some(w) = f(e, cases.get(&e.complaint_id).cloned())? {
                            if written_set.insert(e.complaint_id.clone()) {
                                written.push(e.complaint_id.clone());
                            }
                            cases.insert(e.complaint_id.clone(), w.raw);
                            side.extend(w.side);
                            emitted.extend(w.events);
                        }
                        Ok(())
                    })
                    .await?;
                // 4. The cases as the batch left them: new ones by a plain INSERT (a case that
                //    another transaction created meanwhile fails this one, which is retried), known
                //    ones by an upsert; then the side rows; then the events (see write_events).
                for new in [true, false] {
                    let rows: Vec<&Raw> = written
                        .iter()
                        .filter(|id| stored.contains(*id) != new)
                        .filter_map(|id| cases.get(id))
                        .collect();
                    for chunk in rows.chunks(500) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                            "INSERT INTO cases ({COLUMNS}) "
                        ));
                        q.push_values(chunk, |mut b, k| {
                            b.push_bind(k.complaint_id.clone())
                                .push_bind(k.office_code.clone())
                                .push_bind(k.unit.clone())
                                .push_bind(k.status)
                                .push_bind(k.assignees.clone())
                                .push_bind(k.next_at)
                                .push_bind(k.event_seq)
                                .push_bind(k.opened_at)
                                .push_bind(k.updated_at)
                                .push_bind(k.sealed.clone())
                                .push_bind(k.trace.traceparent.clone())
                                .push_bind(k.trace.tracestate.clone())
                                .push_bind(k.data_key.clone());
                        });
                        if !new {
                            q.push(ON_CONFLICT_UPDATE);
                        }
                        q.build().execute(&mut *tx).await?;
                    }
                }
                write_side(&mut tx, &side).await?;
                write_events(&mut tx, outbox, &emitted, now).await?;
                tx.commit().await?;
                Ok((out, emitted))
            }

            pub(super) async fn list(
                pool: &$pool,
                filter: &Filter,
                offset: i64,
                limit: i64,
            ) -> Result<(Vec<Raw>, i64)> {
                let mut cond = String::from("office_code = $1");
                let mut n = 1;
                if !filter.unit.is_empty() {
                    n += 1;
                    cond.push_str(&format!(" AND unit = ${n}"));
                }
                if !filter.assignee.is_empty() {
                    n += 1;
                    cond.push_str(&format!(" AND assignees LIKE ${n}"));
                }
                if !filter.statuses.is_empty() {
                    let list: Vec<String> = filter.statuses.iter().map(|s| s.to_string()).collect();
                    cond.push_str(&format!(" AND status IN ({})", list.join(",")));
                }
                let pattern = format!("%,{},%", filter.assignee.replace(['%', '_'], ""));
                let sql = format!(
                    "SELECT {COLUMNS} FROM cases WHERE {cond} ORDER BY updated_at DESC, complaint_id \
                     LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&filter.office_code);
                let mut c = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM cases WHERE {cond}"
                )))
                .bind(&filter.office_code);
                if !filter.unit.is_empty() {
                    q = q.bind(&filter.unit);
                    c = c.bind(&filter.unit);
                }
                if !filter.assignee.is_empty() {
                    q = q.bind(pattern.clone());
                    c = c.bind(pattern.clone());
                }
                let rows = q.bind(limit).bind(offset).fetch_all(pool).await?;
                let total = c.fetch_one(pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(row_to_raw(r)?);
                }
                Ok((out, total))
            }

            pub(super) async fn due(pool: &$pool, now: i64, limit: i64) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT complaint_id FROM cases WHERE next_at <= $1 ORDER BY next_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?)
            }

            pub(super) async fn access_log(
                pool: &$pool,
                office: &str,
                complaint_id: &str,
                unit: &str,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<(AccessEntry, Vec<u8>)>> {
                let rows = sqlx::query(
                    "SELECT complaint_id, office_code, at, subject, role, what, sealed_purpose FROM access_log \
                     WHERE office_code = $1 AND ($2 = '' OR complaint_id = $2) \
                     AND ($5 = '' OR complaint_id IN (SELECT complaint_id FROM cases WHERE office_code = $1 AND unit = $5)) \
                     ORDER BY id DESC LIMIT $3 OFFSET $4",
                )
                .bind(office)
                .bind(complaint_id)
                .bind(limit)
                .bind(offset)
                .bind(unit)
                .fetch_all(pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push((
                        AccessEntry {
                            complaint_id: r.try_get("complaint_id")?,
                            office_code: r.try_get("office_code")?,
                            at: r.try_get("at")?,
                            subject: r.try_get("subject")?,
                            role: r.try_get("role")?,
                            what: r.try_get("what")?,
                            purpose: String::new(),
                        },
                        r.try_get("sealed_purpose")?,
                    ));
                }
                Ok(out)
            }

            pub(super) async fn query_rows(
                pool: &$pool,
                sql: &str,
                binds: &[Value],
            ) -> Result<Vec<Vec<Value>>> {
                use sqlx::{TypeInfo, ValueRef};
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
                for v in binds {
                    q = match v {
                        Value::Text(t) => q.bind(t.clone()),
                        Value::Int(i) => q.bind(*i),
                        Value::Real(f) => q.bind(*f),
                        Value::Null => q.bind(Option::<String>::None),
                    };
                }
                let rows = q.fetch_all(pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut vals = Vec::with_capacity(r.columns().len());
                    for i in 0..r.columns().len() {
                        let raw = r.try_get_raw(i)?;
                        if raw.is_null() {
                            vals.push(Value::Null);
                            continue;
                        }
                        // The value's own type: SQLite's expressions have no declared type.
                        let ty = raw.type_info().name().to_ascii_uppercase();
                        let v = if ty.contains("INT") {
                            match r.try_get::<i64, _>(i) {
                                Ok(x) => Value::Int(x),
                                Err(_) => match r.try_get::<i32, _>(i) {
                                    Ok(x) => Value::Int(i64::from(x)),
                                    Err(_) => Value::Int(i64::from(r.try_get::<i16, _>(i)?)),
                                },
                            }
                        } else if ty.contains("REAL")
                            || ty.contains("FLOAT")
                            || ty.contains("DOUBLE")
                        {
                            match r.try_get::<f64, _>(i) {
                                Ok(x) => Value::Real(x),
                                Err(_) => Value::Real(f64::from(r.try_get::<f32, _>(i)?)),
                            }
                        } else {
                            Value::Text(r.try_get::<String, _>(i)?)
                        };
                        vals.push(v);
                    }
                    out.push(vals);
                }
                Ok(out)
            }
        }
    };
}

backend!(pg, sqlx::Postgres, sqlx::PgPool, "BEGIN", " FOR UPDATE");
backend!(lite, sqlx::Sqlite, sqlx::SqlitePool, "BEGIN IMMEDIATE", "");

/// Applying one received event to the case file it names (None if unknown here): the write,
/// Ok(None) to record the event without a change, or Err(reason) to refuse it for good.
pub type ApplyFn<'a, T> = dyn Fn(&LifecycleEvent, Option<CaseFile<T>>) -> std::result::Result<Option<Write<T>>, String>
    + Send
    + Sync
    + 'a;

/// The case-file store of one service.
pub struct CaseStore {
    service: &'static str,
    db: Database,
    outbox: Arc<Outbox>,
    keys: Arc<Keyring>,
}

/// A stored case's office and wrapped data key, when it has one.
fn key_of(raw: Option<&Raw>) -> Option<(String, Vec<u8>)> {
    raw.and_then(|r| Some((r.office_code.clone(), r.data_key.clone()?)))
}

fn aad(service: &str, id: &str, what: &str) -> Vec<u8> {
    format!("{service}:{id}:{what}").into_bytes()
}

impl CaseStore {
    /// The store of `service` on `db` (its migrations have run), writing events to `outbox`
    /// and sealing documents with `keys`.
    pub fn new(
        service: &'static str,
        db: Database,
        outbox: Arc<Outbox>,
        keys: Arc<Keyring>,
    ) -> Self {
        Self {
            service,
            db,
            outbox,
            keys,
        }
    }

    /// The database (for singleton locks).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// The case's data key and its wrapped form for `f`'s office: the key the case had before
    /// (`before`: its office and wrapped key; re-wrapped when the case moved to another office),
    /// or a new one for a new case or one from before the keys.
    fn key_for_write<T>(
        &self,
        f: &CaseFile<T>,
        before: Option<&(String, Vec<u8>)>,
    ) -> Result<(DataKey, Vec<u8>)> {
        match before {
            Some((office, wrapped)) => {
                let key = self.keys.data_key(office, &f.complaint_id, wrapped)?;
                let wrapped = if *office == f.office_code {
                    wrapped.clone()
                } else {
                    self.keys
                        .wrap_data_key(&f.office_code, &f.complaint_id, &key)?
                };
                Ok((key, wrapped))
            }
            None => self.keys.new_data_key(&f.office_code, &f.complaint_id),
        }
    }

    fn seal<T: Serialize>(
        &self,
        f: &CaseFile<T>,
        trace: TraceContext,
        before: Option<&(String, Vec<u8>)>,
    ) -> Result<Raw> {
        let json = serde_json::to_vec(&f.body)
            .map_err(|e| Error::Internal(format!("case file does not serialise: {e}")))?;
        let (key, wrapped) = self.key_for_write(f, before)?;
        let sealed = key.seal(&aad(self.service, &f.complaint_id, "case"), &json)?;
        let assignees = if f.assignees.is_empty() {
            String::new()
        } else {
            format!(",{},", f.assignees.join(","))
        };
        Ok(Raw {
            complaint_id: f.complaint_id.clone(),
            office_code: f.office_code.clone(),
            unit: f.unit.clone(),
            status: f.status,
            assignees,
            next_at: f.next_at,
            event_seq: f.event_seq,
            opened_at: f.opened_at,
            updated_at: f.updated_at,
            sealed,
            trace,
            data_key: Some(wrapped),
        })
    }

    fn open<T: DeserializeOwned>(&self, r: Raw) -> Result<CaseFile<T>> {
        let aad = aad(self.service, &r.complaint_id, "case");
        let plain = match &r.data_key {
            Some(wrapped) => self
                .keys
                .data_key(&r.office_code, &r.complaint_id, wrapped)?
                .open(&aad, &r.sealed)?,
            // Written before the case files had keys of their own: the office's key.
            None => self.keys.open(&r.office_code, &aad, &r.sealed)?,
        };
        let body = serde_json::from_slice(&plain)
            .map_err(|e| Error::Internal(format!("case file does not deserialise: {e}")))?;
        Ok(CaseFile {
            complaint_id: r.complaint_id,
            office_code: r.office_code,
            unit: r.unit,
            status: r.status,
            assignees: r
                .assignees
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            next_at: r.next_at,
            event_seq: r.event_seq,
            opened_at: r.opened_at,
            updated_at: r.updated_at,
            body,
        })
    }

    fn seal_write<T: Serialize>(
        &self,
        w: &Write<T>,
        trace: TraceContext,
        before: Option<&(String, Vec<u8>)>,
    ) -> Result<RawWrite> {
        Ok(RawWrite {
            raw: self.seal(&w.file, trace, before)?,
            events: w.events.clone(),
            side: w.side.clone(),
        })
    }

    /// One case file, or None.
    pub async fn get<T: DeserializeOwned>(&self, id: &str) -> Result<Option<CaseFile<T>>> {
        let raw = match &self.db {
            Database::Postgres(p) => pg::get(p, id).await?,
            Database::Sqlite(p) => lite::get(p, id).await?,
        };
        raw.map(|r| self.open(r)).transpose()
    }

    /// The case's own data key (None when the case is unknown, or from before the keys): what
    /// the service seals the case's other records with, such as investigation's evidence files,
    /// so that deleting the key shreds them too.
    pub async fn data_key(&self, id: &str) -> Result<Option<DataKey>> {
        let raw = match &self.db {
            Database::Postgres(p) => pg::get(p, id).await?,
            Database::Sqlite(p) => lite::get(p, id).await?,
        };
        let Some(r) = raw else { return Ok(None) };
        r.data_key
            .as_deref()
            .map(|w| self.keys.data_key(&r.office_code, &r.complaint_id, w))
            .transpose()
    }

    /// The W3C trace context of the case's latest lifecycle event, written by a step or
    /// received (None when the case is unknown; empty when no event was traced): the previous
    /// step that the next person's step links to.
    pub async fn latest_trace(&self, id: &str) -> Result<Option<TraceContext>> {
        let raw = match &self.db {
            Database::Postgres(p) => pg::get(p, id).await?,
            Database::Sqlite(p) => lite::get(p, id).await?,
        };
        Ok(raw.map(|r| r.trace))
    }

    /// Runs a step on the locked case file (None when it does not exist): the step's write, or
    /// None to change nothing. Returns the case file as written.
    ///
    /// A step that writes is a step on the complaint in the current span (a person's request,
    /// or a sweep's own span): the span gets the `complaint_id` attribute and a link to the
    /// case's previous step ([`aduan_runtime::telemetry::link_previous_step`]), and the case keeps the
    /// trace context of the step's last event as its latest.
    pub async fn mutate<T, F>(&self, id: &str, f: F) -> Result<Option<CaseFile<T>>>
    where
        T: Serialize + DeserializeOwned + Send,
        F: FnOnce(Option<CaseFile<T>>) -> Result<Option<Write<T>>> + Send,
    {
        let written: Arc<std::sync::Mutex<Option<CaseFile<T>>>> = Arc::new(Default::default());
        let keep = written.clone();
        let raw_f: RawMutate<'_> = Box::new(move |raw: Option<Raw>| {
            let mut trace = raw.as_ref().map(|r| r.trace.clone()).unwrap_or_default();
            let before = key_of(raw.as_ref());
            let current = raw.map(|r| self.open::<T>(r)).transpose()?;
            let Some(w) = f(current)? else {
                return Ok(None);
            };
            aduan_runtime::telemetry::link_previous_step(&w.file.complaint_id, &trace);
            aduan_runtime::telemetry::keep_latest_trace(&mut trace, &w.events);
            let raw = self.seal_write(&w, trace, before.as_ref())?;
            *keep.lock().unwrap_or_else(|p| p.into_inner()) = Some(w.file);
            Ok(Some(raw))
        });
        let done = match &self.db {
            Database::Postgres(p) => pg::mutate(p, &self.outbox, id, raw_f).await?,
            Database::Sqlite(p) => lite::mutate(p, &self.outbox, id, raw_f).await?,
        };
        let Some(done) = done else {
            return Ok(None);
        };
        if !done.events.is_empty() {
            self.outbox.notify();
            crate::relay::record_events(&done.events);
        }
        let file = written.lock().unwrap_or_else(|p| p.into_inner()).take();
        Ok(file)
    }

    /// Applies received events in order, in one transaction, each at most once (by event id):
    /// `f` gets the event and the case file it names (None if unknown here) and returns the
    /// write, None to record the event without a change, or Err(reason) to refuse it for good.
    pub async fn apply<T>(
        &self,
        source: &str,
        events: &[LifecycleEvent],
        f: &ApplyFn<'_, T>,
    ) -> Result<ApplyOutcome>
    where
        T: Serialize + DeserializeOwned + Send,
    {
        let raw_f = |e: &LifecycleEvent, raw: Option<Raw>| {
            let span = aduan_runtime::telemetry::event_span(e, self.service);
            let _entered = span.enter();
            let mut trace = raw.as_ref().map(|r| r.trace.clone()).unwrap_or_default();
            let before = key_of(raw.as_ref());
            let current = raw
                .map(|r| self.open::<T>(r))
                .transpose()
                .map_err(|e| e.to_string())?;
            match f(e, current)? {
                None => Ok(None),
                Some(w) => {
                    // The received event is the case's latest step (or what it caused here).
                    aduan_runtime::telemetry::keep_latest_trace(
                        &mut trace,
                        std::iter::once(e).chain(&w.events),
                    );
                    self.seal_write(&w, trace, before.as_ref())
                        .map(Some)
                        .map_err(|e| e.to_string())
                }
            }
        };
        let (out, emitted) = match &self.db {
            Database::Postgres(p) => pg::apply(p, &self.outbox, source, events, &raw_f).await?,
            Database::Sqlite(p) => lite::apply(p, &self.outbox, source, events, &raw_f).await?,
        };
        if !emitted.is_empty() {
            self.outbox.notify();
            crate::relay::record_events(&emitted);
        }
        Ok(out)
    }

    /// A page of an office's case files (newest change first) and the count of all matching.
    pub async fn list<T: DeserializeOwned>(
        &self,
        filter: &Filter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<CaseFile<T>>, i64)> {
        let (raws, total) = match &self.db {
            Database::Postgres(p) => pg::list(p, filter, offset, limit).await?,
            Database::Sqlite(p) => lite::list(p, filter, offset, limit).await?,
        };
        let files = raws
            .into_iter()
            .map(|r| self.open(r))
            .collect::<Result<Vec<_>>>()?;
        Ok((files, total))
    }

    /// Cases whose timer is due at `now` (microseconds), oldest first.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<String>> {
        match &self.db {
            Database::Postgres(p) => pg::due(p, now, limit).await,
            Database::Sqlite(p) => lite::due(p, now, limit).await,
        }
    }

    /// Writes one read of personal content to the access log: the purpose sealed, the row chained
    /// to the office's previous one (`aduan_runtime::audit`).
    pub async fn log_access(&self, e: &AccessEntry) -> Result<()> {
        use aduan_runtime::audit::Field;
        let sealed = self.keys.seal(
            &e.office_code,
            &purpose_aad(self.service, &e.complaint_id),
            e.purpose.as_bytes(),
        )?;
        aduan_runtime::audit::append(
            &self.db,
            &self.keys,
            &ACCESS_LOG,
            &e.office_code,
            &[
                Field::Text(e.complaint_id.clone()),
                Field::Text(e.office_code.clone()),
                Field::Int(e.at),
                Field::Text(e.subject.clone()),
                Field::Text(e.role.clone()),
                Field::Text(e.what.clone()),
                Field::Bytes(sealed),
            ],
        )
        .await
    }

    /// Checks `office`'s access-log chain (`aduan audit verify`).
    pub async fn verify_access_log(&self, office: &str) -> Result<aduan_runtime::audit::Verdict> {
        aduan_runtime::audit::verify(&self.db, &self.keys, &ACCESS_LOG, office).await
    }

    /// The access log of an office (one case's when `complaint_id` is not empty), newest first.
    pub async fn access_log(
        &self,
        office: &str,
        complaint_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AccessEntry>> {
        self.access_log_of_unit(office, complaint_id, "", offset, limit)
            .await
    }

    /// The access log of an office restricted to the cases of one unit (a Bidang) when `unit`
    /// is not empty, filtered in SQL; newest first.
    pub async fn access_log_of_unit(
        &self,
        office: &str,
        complaint_id: &str,
        unit: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AccessEntry>> {
        let rows = match &self.db {
            Database::Postgres(p) => {
                pg::access_log(p, office, complaint_id, unit, offset, limit).await?
            }
            Database::Sqlite(p) => {
                lite::access_log(p, office, complaint_id, unit, offset, limit).await?
            }
        };
        rows.into_iter()
            .map(|(mut e, sealed)| {
                let plain = self.keys.open(
                    &e.office_code,
                    &purpose_aad(self.service, &e.complaint_id),
                    &sealed,
                )?;
                e.purpose = String::from_utf8(plain)
                    .map_err(|_| Error::Internal("access purpose is not text".into()))?;
                Ok(e)
            })
            .collect()
    }

    /// Runs a read-only query on the service's own tables (aggregates over side rows); `$1`…
    /// placeholders take `binds`. Columns come back as text, integers or reals: cast sums and
    /// averages (`CAST(… AS DOUBLE PRECISION)`), since PostgreSQL answers NUMERIC for them.
    pub async fn query(&self, sql: &str, binds: &[Value]) -> Result<Vec<Vec<Value>>> {
        match &self.db {
            Database::Postgres(p) => pg::query_rows(p, sql, binds).await,
            Database::Sqlite(p) => lite::query_rows(p, sql, binds).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, dim: &str, key: &str) -> SideRow {
        SideRow {
            table: "fact_dims",
            values: vec![
                ("complaint_id", Value::Text(id.into())),
                ("dim", Value::Text(dim.into())),
                ("key", Value::Text(key.into())),
            ],
            key: &["complaint_id", "dim"],
        }
    }

    #[test]
    fn side_rows_of_one_table_share_a_statement_and_the_last_of_a_key_wins() {
        let log = SideRow {
            table: "notes",
            values: vec![
                ("complaint_id", Value::Text("c".into())),
                ("n", Value::Int(1)),
            ],
            key: &[],
        };
        let side = vec![
            fact("c", "channel", "walk_in"),
            log.clone(),
            fact("c", "category", "pkh"),
            fact("c", "channel", "letter"),
            log.clone(),
        ];
        let batches = side_batches(&side);
        assert_eq!(batches.len(), 2);
        assert_eq!(
            batches[0].sql,
            "INSERT INTO fact_dims (complaint_id, dim, key) VALUES ($1, $2, $3), ($4, $5, $6) \
             ON CONFLICT (complaint_id, dim) DO UPDATE SET key = excluded.key"
        );
        // The channel's second value replaced its first; the order of the rest is kept.
        assert_eq!(batches[0].rows, vec![&side[2], &side[3]]);
        // Rows without a key are all written.
        assert_eq!(
            batches[1].sql,
            "INSERT INTO notes (complaint_id, n) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(batches[1].rows.len(), 2);
    }

    #[test]
    fn long_side_row_lists_are_split() {
        let side: Vec<SideRow> = (0..450).map(|i| fact(&i.to_string(), "d", "k")).collect();
        let batches = side_batches(&side);
        let sizes: Vec<usize> = batches.iter().map(|b| b.rows.len()).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
        assert!(batches[2].sql.contains("($148, $149, $150)"));
        assert!(side_batches(&[]).is_empty());
    }
}
