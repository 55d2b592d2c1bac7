//! Intake's storage: one trait, one implementation per backend (PostgreSQL, SQLite) written once
//! through a macro, one conformance suite for both (`tests/store_conformance.rs`).
//!
//! The store never sees a key: personal data arrives sealed. It owns the transactions that make
//! registration numbers gap-free, idempotency keys final, and every change land in the outbox.

use aduan_proto::events::v1::{LifecycleEvent, TraceContext, lifecycle_event::Detail};
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::db::{Database, Migration};
use aduan_runtime::{Error, Result};
use aduan_spine::relay::Outbox;
use async_trait::async_trait;
use sqlx::Row;

pub use crate::domain::ComplaintRow;

/// A new registration. `row.registration_*` and `row.event_seq` are assigned by the store.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// The complaint (registration fields are filled in by the store).
    pub row: ComplaintRow,
    /// Blind-index entries (kind, index).
    pub index: Vec<(String, String)>,
    /// The S3 event; the store fills in the registration number and the sequence.
    pub event: LifecycleEvent,
}

/// The outcome of a registration.
#[derive(Debug, Clone)]
pub enum Registration {
    /// Newly registered.
    New(ComplaintRow),
    /// The request id was seen before with the same request: the original registration.
    Replayed(ComplaintRow),
}

/// An amendment (S9).
#[derive(Debug, Clone)]
pub struct Amendment {
    /// Complaint id.
    pub id: String,
    /// The revision the caller read; 0 skips the check.
    pub expected_revision: i32,
    /// Microseconds since the epoch.
    pub at: i64,
    /// Who.
    pub actor: ActorRec,
    /// Sealed reason.
    pub reason: Vec<u8>,
    /// Paths changed.
    pub changed_fields: Vec<String>,
    /// New facts.
    pub unmet_mask: i64,
    /// New category.
    pub category_code: String,
    /// New facts.
    pub reporter_identified: bool,
    /// New facts.
    pub anonymous: bool,
    /// New facts.
    pub confidential: bool,
    /// New facts.
    pub involves_child: bool,
    /// New incident district.
    pub incident_district_code: String,
    /// New sealed body.
    pub pii: Vec<u8>,
    /// A data key for a complaint registered before the keys (wrapped), which this amendment
    /// sealed with; None: the complaint's own.
    pub data_key: Option<Vec<u8>>,
    /// New blind-index entries (replace the old ones).
    pub index: Vec<(String, String)>,
    /// The S9 event; the store fills in revision and sequence.
    pub event: LifecycleEvent,
}

/// One stored revision.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionRow {
    /// Revision number.
    pub revision: i32,
    /// When.
    pub created_at: i64,
    /// Who.
    pub actor: ActorRec,
    /// Sealed reason.
    pub reason: Vec<u8>,
    /// Paths changed.
    pub changed_fields: Vec<String>,
    /// Unmet requirements after it.
    pub unmet_mask: i64,
    /// Anonim at this revision.
    pub anonymous: bool,
    /// Rahasia at this revision.
    pub confidential: bool,
    /// Sealed body at this revision.
    pub pii: Vec<u8>,
}

/// A list query.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Office.
    pub office_code: String,
    /// Any of these statuses (empty: any).
    pub statuses: Vec<i32>,
    /// Any of these channels (empty: any).
    pub channels: Vec<i32>,
    /// Received at or after (micros).
    pub received_from: Option<i64>,
    /// Received before (micros).
    pub received_to: Option<i64>,
    /// Any of these bits unmet (0: no filter).
    pub unmet_any: i64,
    /// Category.
    pub category_code: Option<String>,
    /// Only complaints recorded by this subject (partner agencies).
    pub recorded_by: Option<String>,
    /// Keyset cursor: (registered_at, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: i64,
}

/// One access-log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRow {
    /// Complaint id.
    pub complaint_id: String,
    /// Office code.
    pub office_code: String,
    /// Micros.
    pub accessed_at: i64,
    /// Who.
    pub actor: ActorRec,
    /// RPC name.
    pub action: String,
    /// Purpose given, in clear (rows written before purposes were sealed).
    pub purpose: String,
    /// Purpose given, sealed with the office's key (empty for older rows).
    pub sealed_purpose: Vec<u8>,
}

/// One outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// Position in the outbox.
    pub seq: i64,
    /// Event id.
    pub event_id: String,
    /// Complaint id.
    pub complaint_id: String,
    /// "registered", "amended".
    pub event_type: String,
    /// Encoded `LifecycleEvent`.
    pub payload: Vec<u8>,
}

/// Intake's storage operations.
#[async_trait]
pub trait IntakeStore: Send + Sync {
    /// Registers a complaint, or returns the original for a known request id (S3).
    async fn register(&self, new: NewComplaint) -> Result<Registration>;
    /// Registers several complaints in one transaction (one commit, one counter update per office
    /// and year), with the same outcome per item as [`IntakeStore::register`]. On a conflict the
    /// batch falls back to one transaction per item.
    async fn register_batch(&self, items: Vec<NewComplaint>) -> Vec<Result<Registration>>;
    /// How many batches may be written at once (1 for SQLite's single writer).
    fn parallel_writers(&self) -> usize;
    /// Closes the connections (SQLite checkpoints its WAL into the database file).
    async fn close(&self);
    /// One complaint.
    async fn get(&self, id: &str) -> Result<Option<ComplaintRow>>;
    /// One complaint by tracking code.
    async fn get_by_tracking_code(&self, code: &str) -> Result<Option<ComplaintRow>>;
    /// A page of complaints.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<ComplaintRow>>;
    /// Amends a complaint (S9); FAILED_PRECONDITION on a stale revision.
    async fn amend(&self, amendment: Amendment) -> Result<ComplaintRow>;
    /// Every revision, oldest first.
    async fn revisions(&self, id: &str) -> Result<Vec<RevisionRow>>;
    /// Complaints of an office whose people have this blind index, newest first.
    async fn find_by_index(
        &self,
        office: &str,
        kind: &str,
        bidx: &str,
        limit: i64,
    ) -> Result<Vec<ComplaintRow>>;
    /// How many complaints of an office carry any of these (kind, blind index) pairs.
    async fn count_by_index(&self, office: &str, keys: &[(String, String)]) -> Result<i64>;
    /// Writes an access-log entry.
    /// The access log of a complaint, oldest first.
    async fn access_log(&self, id: &str) -> Result<Vec<AccessRow>>;
    /// Outbox events, oldest first.
    async fn pending_events(&self, limit: i64) -> Result<Vec<OutboxRow>>;
    /// Every registration sequence of an office and year, ascending (for audits and tests).
    async fn registration_sequences(&self, office: &str, year: i32) -> Result<Vec<i64>>;
    /// Applies received lifecycle events of `source` (status, office, Bidang), idempotently per
    /// (source, event id), in one transaction. An event refused by the rule stops the batch there.
    async fn follow(
        &self,
        source: &str,
        events: &[LifecycleEvent],
    ) -> Result<aduan_spine::relay::ApplyOutcome>;
}

/// Intake's access log as its chain covers it (`aduan_runtime::audit`). Rows are written by
/// the service (the chain needs the office's audit key, which the store never sees).
pub const ACCESS_LOG: aduan_runtime::audit::Table = aduan_runtime::audit::Table {
    name: "access_log",
    columns: &[
        ("complaint_id", aduan_runtime::audit::Kind::Text),
        ("office_code", aduan_runtime::audit::Kind::Text),
        ("accessed_at", aduan_runtime::audit::Kind::Int),
        ("actor_subject", aduan_runtime::audit::Kind::Text),
        ("actor_role", aduan_runtime::audit::Kind::Text),
        ("actor_office", aduan_runtime::audit::Kind::Text),
        ("action", aduan_runtime::audit::Kind::Text),
        ("purpose", aduan_runtime::audit::Kind::Text),
        ("sealed_purpose", aduan_runtime::audit::Kind::Bytes),
    ],
    purpose_aad: |_, id| crate::core::aad_purpose(id),
};

/// Opens the store on `db`, running its migrations.
pub async fn open(
    db: Database,
    outbox: std::sync::Arc<Outbox>,
) -> Result<std::sync::Arc<dyn IntakeStore>> {
    migrate(&db).await?;
    Ok(match db {
        Database::Postgres(pool) => std::sync::Arc::new(PgStore { pool, outbox }),
        Database::Sqlite(pool) => std::sync::Arc::new(SqliteStore { pool, outbox }),
    })
}

/// Intake's own migrations (`migrations/`), applied after the spine's parts.
pub const MIGRATIONS: &[Migration] = &[
    Migration::each(
        "0001_intake",
        include_str!("../migrations/0001_intake.postgres.sql"),
        include_str!("../migrations/0001_intake.sqlite.sql"),
    ),
    Migration::both(
        "0003_intake_trace_context",
        include_str!("../migrations/0003_intake_trace_context.sql"),
    ),
    Migration::both(
        "0004_intake_follows",
        include_str!("../migrations/0004_intake_follows.sql"),
    ),
    Migration::each(
        "0005_intake_audit_chain",
        include_str!("../migrations/0005_intake_audit_chain.postgres.sql"),
        include_str!("../migrations/0005_intake_audit_chain.sqlite.sql"),
    ),
    Migration::both(
        "0006_intake_unmet",
        include_str!("../migrations/0006_intake_unmet.sql"),
    ),
    Migration::each(
        "0007_intake_data_keys",
        include_str!("../migrations/0007_intake_data_keys.postgres.sql"),
        include_str!("../migrations/0007_intake_data_keys.sqlite.sql"),
    ),
];

/// Runs intake's migrations (`aduan migrate` and start-up).
pub async fn migrate(db: &Database) -> Result<()> {
    use aduan_spine::migrations::{Part, apply};
    apply(db, &[Part::Outbox, Part::Inbox]).await?;
    db.apply(MIGRATIONS, None).await
}

/// Takes `n` consecutive outbox positions inside the writing transaction. The counter row stays
/// locked until commit, so positions are gap-free and in commit order (aduan_spine::relay).
/// Earlier complaints counted at registration stop here (`reporter_prior_complaints`, issue 13).
pub const PRIOR_COMPLAINTS_CAP: i64 = 100;

const COLUMNS: &str = "id, office_code, registration_year, registration_seq, registration_number, \
    tracking_code, channel, category_code, status, received_at, registered_at, updated_at, \
    recorded_by_subject, recorded_by_role, recorded_by_office, unmet_mask, reporter_identified, \
    anonymous, confidential, involves_child, incident_district_code, revision, event_seq, pii, \
    request_id, request_hash, traceparent, tracestate, current_office, disposed_bidang, status_at, \
    data_key";

fn registration_number(office: &str, year: i32, seq: i64) -> String {
    format!("{office}-{year}-{seq:06}")
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

macro_rules! row_to_complaint {
    ($r:expr) => {{
        let r = $r;
        ComplaintRow {
            id: r.try_get("id")?,
            office_code: r.try_get("office_code")?,
            registration_year: r.try_get("registration_year")?,
            registration_seq: r.try_get("registration_seq")?,
            registration_number: r.try_get("registration_number")?,
            tracking_code: r.try_get("tracking_code")?,
            channel: r.try_get("channel")?,
            category_code: r.try_get("category_code")?,
            status: r.try_get("status")?,
            received_at: r.try_get("received_at")?,
            registered_at: r.try_get("registered_at")?,
            updated_at: r.try_get("updated_at")?,
            recorded_by: ActorRec {
                subject: r.try_get("recorded_by_subject")?,
                role: r.try_get("recorded_by_role")?,
                office: r.try_get("recorded_by_office")?,
            },
            unmet_mask: r.try_get("unmet_mask")?,
            reporter_identified: r.try_get("reporter_identified")?,
            anonymous: r.try_get("anonymous")?,
            confidential: r.try_get("confidential")?,
            involves_child: r.try_get("involves_child")?,
            incident_district_code: r.try_get("incident_district_code")?,
            revision: r.try_get("revision")?,
            event_seq: r.try_get("event_seq")?,
            pii: r.try_get("pii")?,
            request_id: r.try_get("request_id")?,
            request_hash: r.try_get("request_hash")?,
            trace: TraceContext {
                traceparent: r.try_get("traceparent")?,
                tracestate: r.try_get("tracestate")?,
            },
            current_office: r.try_get("current_office")?,
            disposed_bidang: r.try_get("disposed_bidang")?,
            status_at: r.try_get("status_at")?,
            data_key: r.try_get("data_key")?,
        }
    }};
}

macro_rules! sql_store {
    ($name:ident, $db:ty, $pool:ty, $begin:expr, $lock:expr, $writers:expr) => {
        /// The intake store on this backend.
        pub struct $name {
            pool: $pool,
            outbox: std::sync::Arc<Outbox>,
        }

        impl $name {
            async fn by_request_id(&self, office: &str, request_id: &str) -> Result<Option<ComplaintRow>> {
                let sql = format!("SELECT {COLUMNS} FROM complaints WHERE office_code = $1 AND request_id = $2");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(office)
                    .bind(request_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(row_to_complaint!(r)),
                    None => None,
                })
            }

            fn replay(existing: ComplaintRow, hash: &str) -> Result<Registration> {
                if existing.request_hash == hash {
                    Ok(Registration::Replayed(existing))
                } else {
                    Err(Error::AlreadyExists(
                        "request_id was already used for a different submission".into(),
                    ))
                }
            }

            async fn try_register(&self, new: &NewComplaint) -> std::result::Result<ComplaintRow, sqlx::Error> {
                let mut tx = self.pool.begin_with($begin).await?;
                let seq: i64 = sqlx::query(
                    "INSERT INTO registration_counters (office_code, year, last_seq) VALUES ($1, $2, 1) \
                     ON CONFLICT (office_code, year) DO UPDATE SET last_seq = registration_counters.last_seq + 1 \
                     RETURNING last_seq",
                )
                .bind(&new.row.office_code)
                .bind(new.row.registration_year)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                let mut row = new.row.clone();
                row.registration_seq = seq;
                row.registration_number = registration_number(&row.office_code, row.registration_year, seq);
                row.event_seq = 1;
                row.revision = 1;
                aduan_runtime::telemetry::keep_latest_trace(&mut row.trace, [&new.event]);
                let sql = format!(
                    "INSERT INTO complaints ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&row.id)
                    .bind(&row.office_code)
                    .bind(row.registration_year)
                    .bind(row.registration_seq)
                    .bind(&row.registration_number)
                    .bind(&row.tracking_code)
                    .bind(row.channel)
                    .bind(&row.category_code)
                    .bind(row.status)
                    .bind(row.received_at)
                    .bind(row.registered_at)
                    .bind(row.updated_at)
                    .bind(&row.recorded_by.subject)
                    .bind(&row.recorded_by.role)
                    .bind(&row.recorded_by.office)
                    .bind(row.unmet_mask)
                    .bind(row.reporter_identified)
                    .bind(row.anonymous)
                    .bind(row.confidential)
                    .bind(row.involves_child)
                    .bind(&row.incident_district_code)
                    .bind(row.revision)
                    .bind(row.event_seq)
                    .bind(&row.pii)
                    .bind(&row.request_id)
                    .bind(&row.request_hash)
                    .bind(&row.trace.traceparent)
                    .bind(&row.trace.tracestate)
                    .bind(&row.current_office)
                    .bind(&row.disposed_bidang)
                    .bind(row.status_at)
                    .bind(&row.data_key)
                    .execute(&mut *tx)
                    .await?;
                for (kind, bidx) in &new.index {
                    sqlx::query("INSERT INTO identity_index (office_code, kind, bidx, complaint_id) VALUES ($1, $2, $3, $4)")
                        .bind(&row.office_code)
                        .bind(kind)
                        .bind(bidx)
                        .bind(&row.id)
                        .execute(&mut *tx)
                        .await?;
                }
                let mut event = new.event.clone();
                event.sequence = 1;
                if let Some(Detail::Registered(r)) = event.detail.as_mut() {
                    r.registration_number = row.registration_number.clone();
                }
                aduan_spine::relay::append(&mut *tx, &self.outbox, std::slice::from_ref(&event), row.registered_at).await?;
                tx.commit().await?;
                self.outbox.notify();
                aduan_spine::relay::record_events([&event]);
                Ok(row)
            }
            async fn try_register_batch(
                &self,
                items: &[NewComplaint],
            ) -> std::result::Result<Vec<Option<Result<Registration>>>, sqlx::Error> {
                use std::collections::{BTreeMap, HashMap};
                let mut results: Vec<Option<Result<Registration>>> = (0..items.len()).map(|_| None).collect();
                // Duplicates inside the batch follow their first occurrence.
                let mut first: HashMap<(&str, &str), usize> = HashMap::new();
                let mut follows = Vec::new();
                let mut todo = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    match first.entry((it.row.office_code.as_str(), it.row.request_id.as_str())) {
                        std::collections::hash_map::Entry::Occupied(e) => follows.push((i, *e.get())),
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(i);
                            todo.push(i);
                        }
                    }
                }
                let mut tx = self.pool.begin_with($begin).await?;
                // Request ids seen before: the original registration (or ALREADY_EXISTS).
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {COLUMNS} FROM complaints WHERE "));
                for (k, &i) in todo.iter().enumerate() {
                    if k > 0 {
                        q.push(" OR ");
                    }
                    q.push("(office_code = ")
                        .push_bind(items[i].row.office_code.clone())
                        .push(" AND request_id = ")
                        .push_bind(items[i].row.request_id.clone())
                        .push(")");
                }
                let mut existing = HashMap::new();
                for r in q.build().fetch_all(&mut *tx).await? {
                    let row = row_to_complaint!(r);
                    existing.insert((row.office_code.clone(), row.request_id.clone()), row);
                }
                todo.retain(|&i| {
                    let key = (items[i].row.office_code.clone(), items[i].row.request_id.clone());
                    match existing.get(&key) {
                        Some(row) => {
                            results[i] = Some(Self::replay(row.clone(), &items[i].row.request_hash));
                            false
                        }
                        None => true,
                    }
                });
                let mut rows: Vec<ComplaintRow> = Vec::with_capacity(todo.len());
                if !todo.is_empty() {
                    // One counter update per office and year, in a fixed order (no deadlocks
                    // between parallel writers).
                    let mut wanted: BTreeMap<(String, i32), i64> = BTreeMap::new();
                    for &i in &todo {
                        *wanted
                            .entry((items[i].row.office_code.clone(), items[i].row.registration_year))
                            .or_default() += 1;
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO registration_counters (office_code, year, last_seq) ",
                    );
                    q.push_values(wanted.iter(), |mut b, ((office, year), k)| {
                        b.push_bind(office.clone()).push_bind(*year).push_bind(*k);
                    });
                    q.push(
                        " ON CONFLICT (office_code, year) DO UPDATE SET last_seq = registration_counters.last_seq + excluded.last_seq \
                         RETURNING office_code, year, last_seq",
                    );
                    let mut next: HashMap<(String, i32), i64> = HashMap::new();
                    for r in q.build().fetch_all(&mut *tx).await? {
                        let key: (String, i32) = (r.try_get("office_code")?, r.try_get("year")?);
                        let last: i64 = r.try_get("last_seq")?;
                        let k = wanted.get(&key).copied().unwrap_or(0);
                        next.insert(key, last - k + 1);
                    }
                    let mut events = Vec::with_capacity(todo.len());
                    for &i in &todo {
                        let mut row = items[i].row.clone();
                        let key = (row.office_code.clone(), row.registration_year);
                        let seq = next.get_mut(&key).ok_or(sqlx::Error::RowNotFound)?;
                        row.registration_seq = *seq;
                        *seq += 1;
                        row.registration_number =
                            registration_number(&row.office_code, row.registration_year, row.registration_seq);
                        row.event_seq = 1;
                        row.revision = 1;
                        aduan_runtime::telemetry::keep_latest_trace(&mut row.trace, [&items[i].event]);
                        let mut event = items[i].event.clone();
                        event.sequence = 1;
                        if let Some(Detail::Registered(d)) = event.detail.as_mut() {
                            d.registration_number = row.registration_number.clone();
                        }
                        events.push(event);
                        rows.push(row);
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO complaints ({COLUMNS}) "));
                    q.push_values(rows.iter(), |mut b, r| {
                        b.push_bind(r.id.clone())
                            .push_bind(r.office_code.clone())
                            .push_bind(r.registration_year)
                            .push_bind(r.registration_seq)
                            .push_bind(r.registration_number.clone())
                            .push_bind(r.tracking_code.clone())
                            .push_bind(r.channel)
                            .push_bind(r.category_code.clone())
                            .push_bind(r.status)
                            .push_bind(r.received_at)
                            .push_bind(r.registered_at)
                            .push_bind(r.updated_at)
                            .push_bind(r.recorded_by.subject.clone())
                            .push_bind(r.recorded_by.role.clone())
                            .push_bind(r.recorded_by.office.clone())
                            .push_bind(r.unmet_mask)
                            .push_bind(r.reporter_identified)
                            .push_bind(r.anonymous)
                            .push_bind(r.confidential)
                            .push_bind(r.involves_child)
                            .push_bind(r.incident_district_code.clone())
                            .push_bind(r.revision)
                            .push_bind(r.event_seq)
                            .push_bind(r.pii.clone())
                            .push_bind(r.request_id.clone())
                            .push_bind(r.request_hash.clone())
                            .push_bind(r.trace.traceparent.clone())
                            .push_bind(r.trace.tracestate.clone())
                            .push_bind(r.current_office.clone())
                            .push_bind(r.disposed_bidang.clone())
                            .push_bind(r.status_at)
                            .push_bind(r.data_key.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                    let index: Vec<(String, String, String, String)> = rows
                        .iter()
                        .zip(todo.iter())
                        .flat_map(|(r, &i)| {
                            items[i]
                                .index
                                .iter()
                                .map(|(k, b)| (r.office_code.clone(), k.clone(), b.clone(), r.id.clone()))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    if !index.is_empty() {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO identity_index (office_code, kind, bidx, complaint_id) ",
                        );
                        q.push_values(index.into_iter(), |mut b, (o, k, x, id)| {
                            b.push_bind(o).push_bind(k).push_bind(x).push_bind(id);
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    // One outbox time for the batch: its latest registration.
                    let at = rows.iter().map(|r| r.registered_at).max().unwrap_or_default();
                    aduan_spine::relay::append(&mut *tx, &self.outbox, &events, at).await?;
                }
                tx.commit().await?;
                self.outbox.notify();
                aduan_spine::relay::record_events(todo.iter().map(|&i| &items[i].event));
                for (&i, row) in todo.iter().zip(rows) {
                    results[i] = Some(Ok(Registration::New(row)));
                }
                for (dup, orig) in follows {
                    let r = match &results[orig] {
                        Some(Ok(Registration::New(row))) | Some(Ok(Registration::Replayed(row))) => {
                            Self::replay(row.clone(), &items[dup].row.request_hash)
                        }
                        _ => Err(Error::Unavailable("retry the submission".into())),
                    };
                    results[dup] = Some(r);
                }
                Ok(results)
            }
        }

        #[async_trait]
        impl IntakeStore for $name {
            async fn register_batch(&self, items: Vec<NewComplaint>) -> Vec<Result<Registration>> {
                match self.try_register_batch(&items).await {
                    Ok(results) => results
                        .into_iter()
                        .map(|r| r.unwrap_or_else(|| Err(Error::Internal("batch result missing".into()))))
                        .collect(),
                    Err(_) => {
                        // A conflict with a concurrent writer (or any failure): one by one, so each
                        // item gets its own outcome.
                        let mut out = Vec::with_capacity(items.len());
                        for it in items {
                            out.push(self.register(it).await);
                        }
                        out
                    }
                }
            }

            fn parallel_writers(&self) -> usize {
                $writers
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn register(&self, new: NewComplaint) -> Result<Registration> {
                if let Some(existing) = self.by_request_id(&new.row.office_code, &new.row.request_id).await? {
                    return Self::replay(existing, &new.row.request_hash);
                }
                match self.try_register(&new).await {
                    Ok(row) => Ok(Registration::New(row)),
                    Err(e) if is_unique_violation(&e) => {
                        // A concurrent retry with the same request id won: answer with its registration.
                        match self.by_request_id(&new.row.office_code, &new.row.request_id).await? {
                            Some(existing) => Self::replay(existing, &new.row.request_hash),
                            None => Err(Error::Storage(e)),
                        }
                    }
                    Err(e) => Err(Error::Storage(e)),
                }
            }

            async fn get(&self, id: &str) -> Result<Option<ComplaintRow>> {
                let sql = format!("SELECT {COLUMNS} FROM complaints WHERE id = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(row_to_complaint!(r)),
                    None => None,
                })
            }

            async fn get_by_tracking_code(&self, code: &str) -> Result<Option<ComplaintRow>> {
                let sql = format!("SELECT {COLUMNS} FROM complaints WHERE tracking_code = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(code).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some(row_to_complaint!(r)),
                    None => None,
                })
            }

            async fn list(&self, f: &ListFilter) -> Result<Vec<ComplaintRow>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!("SELECT {COLUMNS} FROM complaints WHERE current_office = "));
                q.push_bind(f.office_code.clone());
                if !f.statuses.is_empty() {
                    q.push(" AND status IN (");
                    let mut s = q.separated(", ");
                    for v in &f.statuses {
                        s.push_bind(*v);
                    }
                    q.push(")");
                }
                if !f.channels.is_empty() {
                    q.push(" AND channel IN (");
                    let mut s = q.separated(", ");
                    for v in &f.channels {
                        s.push_bind(*v);
                    }
                    q.push(")");
                }
                if let Some(t) = f.received_from {
                    q.push(" AND received_at >= ").push_bind(t);
                }
                if let Some(t) = f.received_to {
                    q.push(" AND received_at < ").push_bind(t);
                }
                if f.unmet_any != 0 {
                    // The first term is the partial index's own (complaints_unmet).
                    q.push(" AND unmet_mask <> 0 AND (unmet_mask & ").push_bind(f.unmet_any).push(") <> 0");
                }
                if let Some(c) = &f.category_code {
                    q.push(" AND category_code = ").push_bind(c.clone());
                }
                if let Some(s) = &f.recorded_by {
                    q.push(" AND recorded_by_subject = ").push_bind(s.clone());
                }
                if let Some((at, id)) = &f.after {
                    q.push(" AND (registered_at < ").push_bind(*at);
                    q.push(" OR (registered_at = ").push_bind(*at);
                    q.push(" AND id < ").push_bind(id.clone()).push("))");
                }
                q.push(" ORDER BY registered_at DESC, id DESC LIMIT ").push_bind(f.limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(row_to_complaint!(r));
                }
                Ok(out)
            }

            async fn amend(&self, a: Amendment) -> Result<ComplaintRow> {
                let mut tx = self.pool.begin_with($begin).await?;
                let sql = format!("SELECT {COLUMNS} FROM complaints WHERE id = $1{}", $lock);
                let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&a.id).fetch_optional(&mut *tx).await? else {
                    return Err(Error::NotFound("complaint"));
                };
                let current = row_to_complaint!(r);
                if a.expected_revision != 0 && a.expected_revision != current.revision {
                    return Err(Error::FailedPrecondition(format!(
                        "the complaint is at revision {}, not {}; read it again",
                        current.revision, a.expected_revision
                    )));
                }
                let revision = current.revision + 1;
                let event_seq = current.event_seq + 1;
                // A person's step on the complaint (S9): the request's span gets its id and a
                // link to the previous step (unless this call continues that trace), and the
                // amendment's event becomes the latest.
                aduan_runtime::telemetry::link_previous_step(&current.id, &current.trace);
                let mut trace = current.trace.clone();
                aduan_runtime::telemetry::keep_latest_trace(&mut trace, [&a.event]);
                sqlx::query(
                    "UPDATE complaints SET pii = $1, unmet_mask = $2, category_code = $3, reporter_identified = $4, \
                     anonymous = $5, confidential = $6, involves_child = $7, incident_district_code = $8, \
                     revision = $9, event_seq = $10, updated_at = $11, traceparent = $13, tracestate = $14, \
                     data_key = COALESCE($15, data_key) WHERE id = $12",
                )
                .bind(&a.pii)
                .bind(a.unmet_mask)
                .bind(&a.category_code)
                .bind(a.reporter_identified)
                .bind(a.anonymous)
                .bind(a.confidential)
                .bind(a.involves_child)
                .bind(&a.incident_district_code)
                .bind(revision)
                .bind(event_seq)
                .bind(a.at)
                .bind(&a.id)
                .bind(&trace.traceparent)
                .bind(&trace.tracestate)
                .bind(&a.data_key)
                .execute(&mut *tx)
                .await?;
                if current.revision == 1 {
                    // Registration keeps its body in the complaint row only; the first amendment
                    // moves that version into the history before replacing it.
                    sqlx::query(
                        "INSERT INTO complaint_revisions (complaint_id, revision, created_at, actor_subject, actor_role, \
                         actor_office, reason, changed_fields, unmet_mask, anonymous, confidential, pii) \
                         VALUES ($1, 1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10)",
                    )
                    .bind(&current.id)
                    .bind(current.registered_at)
                    .bind(&current.recorded_by.subject)
                    .bind(&current.recorded_by.role)
                    .bind(&current.recorded_by.office)
                    .bind(Vec::<u8>::new())
                    .bind(current.unmet_mask)
                    .bind(current.anonymous)
                    .bind(current.confidential)
                    .bind(&current.pii)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO complaint_revisions (complaint_id, revision, created_at, actor_subject, actor_role, \
                     actor_office, reason, changed_fields, unmet_mask, anonymous, confidential, pii) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&a.id)
                .bind(revision)
                .bind(a.at)
                .bind(&a.actor.subject)
                .bind(&a.actor.role)
                .bind(&a.actor.office)
                .bind(&a.reason)
                .bind(a.changed_fields.join(","))
                .bind(a.unmet_mask)
                .bind(a.anonymous)
                .bind(a.confidential)
                .bind(&a.pii)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM identity_index WHERE complaint_id = $1")
                    .bind(&a.id)
                    .execute(&mut *tx)
                    .await?;
                for (kind, bidx) in &a.index {
                    sqlx::query("INSERT INTO identity_index (office_code, kind, bidx, complaint_id) VALUES ($1, $2, $3, $4)")
                        .bind(&current.office_code)
                        .bind(kind)
                        .bind(bidx)
                        .bind(&a.id)
                        .execute(&mut *tx)
                        .await?;
                }
                let mut event = a.event.clone();
                event.sequence = event_seq;
                if let Some(Detail::Amended(d)) = event.detail.as_mut() {
                    d.revision = revision;
                }
                aduan_spine::relay::append(&mut *tx, &self.outbox, std::slice::from_ref(&event), a.at).await?;
                tx.commit().await?;
                self.outbox.notify();
                aduan_spine::relay::record_events([&event]);
                Ok(ComplaintRow {
                    pii: a.pii,
                    unmet_mask: a.unmet_mask,
                    category_code: a.category_code,
                    reporter_identified: a.reporter_identified,
                    anonymous: a.anonymous,
                    confidential: a.confidential,
                    involves_child: a.involves_child,
                    incident_district_code: a.incident_district_code,
                    revision,
                    event_seq,
                    updated_at: a.at,
                    trace,
                    data_key: a.data_key.clone().or(current.data_key.clone()),
                    ..current
                })
            }

            async fn follow(
                &self,
                source: &str,
                events: &[LifecycleEvent],
            ) -> Result<aduan_spine::relay::ApplyOutcome> {
                let mut out = aduan_spine::relay::ApplyOutcome::default();
                if events.is_empty() {
                    return Ok(out);
                }
                let mut tx = self.pool.begin_with($begin).await?;
                let now = aduan_runtime::time::to_micros(jiff::Timestamp::now());
                for e in events {
                    // The apply span is entered only around the synchronous rule below: a guard
                    // held across an await would leak into other tasks of this thread.
                    let span = aduan_runtime::telemetry::event_span(e, "intake");
                    let fresh = aduan_spine::relay::mark_seen(&mut *tx, source, &[e.event_id.as_str()], now).await?;
                    if fresh.is_empty() {
                        out.applied += 1;
                        out.duplicates += 1;
                        continue;
                    }
                    let sql = format!(
                        "SELECT status, status_at, current_office, disposed_bidang, updated_at, traceparent, tracestate \
                         FROM complaints WHERE id = $1{}",
                        $lock
                    );
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&e.complaint_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let decided = match &row {
                        None => Err("unknown complaint".to_string()),
                        Some(r) => {
                            let cur = crate::domain::followed::Followed {
                                status: r.try_get("status")?,
                                status_at: r.try_get("status_at")?,
                                office: r.try_get("current_office")?,
                                bidang: r.try_get("disposed_bidang")?,
                                updated_at: r.try_get("updated_at")?,
                            };
                            let _entered = span.enter();
                            crate::domain::followed::follow(&cur, e)
                        }
                    };
                    match decided {
                        Ok(Some(next)) => {
                            let Some(r) = &row else { continue };
                            let mut trace = TraceContext {
                                traceparent: r.try_get("traceparent")?,
                                tracestate: r.try_get("tracestate")?,
                            };
                            aduan_runtime::telemetry::keep_latest_trace(&mut trace, [e]);
                            sqlx::query(
                                "UPDATE complaints SET status = $1, status_at = $2, current_office = $3, \
                                 disposed_bidang = $4, updated_at = $5, traceparent = $6, tracestate = $7 WHERE id = $8",
                            )
                            .bind(next.status)
                            .bind(next.status_at)
                            .bind(&next.office)
                            .bind(&next.bidang)
                            .bind(next.updated_at)
                            .bind(&trace.traceparent)
                            .bind(&trace.tracestate)
                            .bind(&e.complaint_id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        Ok(None) => {}
                        Err(reason) => {
                            span.in_scope(|| tracing::warn!(event_id = %e.event_id, %reason, "event refused"));
                            aduan_spine::relay::unmark_seen(&mut *tx, source, &[e.event_id.as_str()]).await?;
                            out.rejection = Some((e.event_id.clone(), reason));
                            break;
                        }
                    }
                    out.applied += 1;
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn revisions(&self, id: &str) -> Result<Vec<RevisionRow>> {
                let rows = sqlx::query(
                    "SELECT revision, created_at, actor_subject, actor_role, actor_office, reason, changed_fields, \
                     unmet_mask, anonymous, confidential, pii FROM complaint_revisions WHERE complaint_id = $1 ORDER BY revision",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let changed: String = r.try_get("changed_fields")?;
                    out.push(RevisionRow {
                        revision: r.try_get("revision")?,
                        created_at: r.try_get("created_at")?,
                        actor: ActorRec {
                            subject: r.try_get("actor_subject")?,
                            role: r.try_get("actor_role")?,
                            office: r.try_get("actor_office")?,
                        },
                        reason: r.try_get("reason")?,
                        changed_fields: changed
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                        unmet_mask: r.try_get("unmet_mask")?,
                        anonymous: r.try_get("anonymous")?,
                        confidential: r.try_get("confidential")?,
                        pii: r.try_get("pii")?,
                    });
                }
                if out.is_empty()
                    && let Some(c) = self.get(id).await?
                {
                    out.push(RevisionRow {
                        revision: 1,
                        created_at: c.registered_at,
                        actor: c.recorded_by,
                        reason: Vec::new(),
                        changed_fields: Vec::new(),
                        unmet_mask: c.unmet_mask,
                        anonymous: c.anonymous,
                        confidential: c.confidential,
                        pii: c.pii,
                    });
                }
                Ok(out)
            }

            async fn find_by_index(&self, office: &str, kind: &str, bidx: &str, limit: i64) -> Result<Vec<ComplaintRow>> {
                let cols = COLUMNS
                    .split(", ")
                    .map(|c| format!("c.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "SELECT {cols} FROM identity_index i JOIN complaints c ON c.id = i.complaint_id \
                     WHERE i.office_code = $1 AND i.kind = $2 AND i.bidx = $3 \
                     ORDER BY c.registered_at DESC, c.id DESC LIMIT $4"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(office)
                    .bind(kind)
                    .bind(bidx)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(row_to_complaint!(r));
                }
                Ok(out)
            }

            async fn count_by_index(&self, office: &str, keys: &[(String, String)]) -> Result<i64> {
                if keys.is_empty() {
                    return Ok(0);
                }
                // Issue 13: each key reads at most PRIOR_COMPLAINTS_CAP index entries, so one
                // reporter with many complaints (or a caller reusing one NIK) cannot make every
                // registration scan all of them; the answer stops at the cap.
                let parts: Vec<String> = (0..keys.len())
                    .map(|i| {
                        format!(
                            "SELECT complaint_id FROM (SELECT complaint_id FROM identity_index \
                             WHERE office_code = $1 AND kind = ${} AND bidx = ${} \
                             LIMIT {PRIOR_COMPLAINTS_CAP}) AS k{i}",
                            2 * i + 2,
                            2 * i + 3
                        )
                    })
                    .collect();
                let sql = format!("SELECT COUNT(*) FROM ({}) AS prior", parts.join(" UNION "));
                let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(office);
                for (kind, bidx) in keys {
                    q = q.bind(kind).bind(bidx);
                }
                Ok(q.fetch_one(&self.pool).await?.min(PRIOR_COMPLAINTS_CAP))
            }

            async fn access_log(&self, id: &str) -> Result<Vec<AccessRow>> {
                let rows = sqlx::query(
                    "SELECT complaint_id, office_code, accessed_at, actor_subject, actor_role, actor_office, action, purpose, \
                     sealed_purpose FROM access_log WHERE complaint_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(AccessRow {
                        complaint_id: r.try_get("complaint_id")?,
                        office_code: r.try_get("office_code")?,
                        accessed_at: r.try_get("accessed_at")?,
                        actor: ActorRec {
                            subject: r.try_get("actor_subject")?,
                            role: r.try_get("actor_role")?,
                            office: r.try_get("actor_office")?,
                        },
                        action: r.try_get("action")?,
                        purpose: r.try_get("purpose")?,
                        sealed_purpose: r.try_get("sealed_purpose")?,
                    });
                }
                Ok(out)
            }

            async fn pending_events(&self, limit: i64) -> Result<Vec<OutboxRow>> {
                let rows = sqlx::query(
                    "SELECT seq, event_id, complaint_id, event_type, payload FROM outbox \
                     ORDER BY seq LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(OutboxRow {
                        seq: r.try_get("seq")?,
                        event_id: r.try_get("event_id")?,
                        complaint_id: r.try_get("complaint_id")?,
                        event_type: r.try_get("event_type")?,
                        payload: r.try_get("payload")?,
                    });
                }
                Ok(out)
            }

            async fn registration_sequences(&self, office: &str, year: i32) -> Result<Vec<i64>> {
                let rows = sqlx::query(
                    "SELECT registration_seq FROM complaints WHERE office_code = $1 AND registration_year = $2 ORDER BY registration_seq",
                )
                .bind(office)
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(r.try_get(0)?);
                }
                Ok(out)
            }
        }
    };
}

sql_store!(
    PgStore,
    sqlx::Postgres,
    sqlx::PgPool,
    "BEGIN",
    " FOR UPDATE",
    4
);
sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    "BEGIN IMMEDIATE",
    "",
    1
);

/// Groups concurrent registrations into batches: a writer takes whatever is waiting (up to
/// `max_batch`) and writes it in one transaction, so under load one commit (one fsync) serves many
/// registrations, and with no load a registration waits for nobody.
pub struct Batcher {
    queue: tokio::sync::mpsc::Sender<BatchItem>,
}

type BatchItem = (
    NewComplaint,
    tokio::sync::oneshot::Sender<Result<Registration>>,
);

impl Batcher {
    /// Starts the store's number of writers.
    pub fn start(store: std::sync::Arc<dyn IntakeStore>, max_batch: usize) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel::<BatchItem>(4096);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..store.parallel_writers().max(1) {
            let rx = rx.clone();
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    let mut batch: Vec<BatchItem> = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(item) => batch.push(item),
                            None => return,
                        }
                        while batch.len() < max_batch.max(1) {
                            match rx.try_recv() {
                                Ok(item) => batch.push(item),
                                Err(_) => break,
                            }
                        }
                    }
                    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    metrics::histogram!("aduan_intake_registration_batch_size")
                        .record(items.len() as f64);
                    let results = store.register_batch(items).await;
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
            });
        }
        Self { queue: tx }
    }

    /// Registers through the next batch.
    pub async fn register(&self, new: NewComplaint) -> Result<Registration> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send((new, tx))
            .await
            .map_err(|_| Error::Unavailable("the registration writer stopped".into()))?;
        rx.await
            .map_err(|_| Error::Unavailable("the registration writer stopped".into()))?
    }
}
