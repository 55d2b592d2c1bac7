//! Triage's storage on PostgreSQL or SQLite (one implementation, written once for both by a
//! macro). Every change of a complaint is one transaction: the row (locked), its history, a new
//! disposition version, an SLA alert (at most once per complaint, stage and kind) and the
//! lifecycle events in the outbox. Received events are applied in the same transaction that
//! records their ids, so a redelivery changes nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::LazyLock;

use aduan_proto::events::v1::{LifecycleEvent, TraceContext};
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::crypto::{DataKey, Keyring};
use aduan_runtime::db::{Database, Migration};
use aduan_runtime::{Error, Result};
use aduan_spine::relay::{ApplyOutcome, Outbox};
use async_trait::async_trait;
use sqlx::Row;

pub use crate::domain::{CaseRow, Change, DispositionRow, HistoryRow};

/// A step on a locked complaint: the change, or None when there is nothing to do.
pub type MutateFn<'a> =
    Box<dyn FnOnce(CaseRow, Vec<DispositionRow>) -> Result<Option<Change>> + Send + 'a>;

/// Applying one received event to the complaint it names (None if unknown here): the change,
/// Ok(None) to record it without a change, or Err(reason) to refuse it for good.
pub type ApplyFn<'a> = &'a (
        dyn Fn(&LifecycleEvent, Option<CaseRow>) -> std::result::Result<Option<Change>, String>
            + Send
            + Sync
    );

/// The storage interface of triage.
#[async_trait]
pub trait TriageStore: Send + Sync {
    /// One complaint.
    async fn get(&self, id: &str) -> Result<Option<CaseRow>>;
    /// One complaint of an office by its registration number.
    async fn get_by_registration(&self, office: &str, number: &str) -> Result<Option<CaseRow>>;
    /// The history of `case` (as loaded: its data key opens the notes), oldest first.
    async fn history(&self, case: &CaseRow) -> Result<Vec<HistoryRow>>;
    /// The dispositions of `case` (as loaded), oldest first.
    async fn dispositions(&self, case: &CaseRow) -> Result<Vec<DispositionRow>>;
    /// A page of an office's queue (urgent first, then oldest).
    async fn queue(
        &self,
        office: &str,
        statuses: &[i32],
        urgent_only: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CaseRow>>;
    /// How many complaints of an office have one of `statuses`.
    async fn queue_count(&self, office: &str, statuses: &[i32]) -> Result<i64>;
    /// Runs a step on the locked complaint. NOT_FOUND when it is unknown.
    async fn mutate(&self, id: &str, f: MutateFn<'_>) -> Result<Option<CaseRow>>;
    /// Applies received events in order, in one transaction.
    async fn apply(
        &self,
        source: &str,
        events: &[LifecycleEvent],
        f: ApplyFn<'_>,
    ) -> Result<ApplyOutcome>;
    /// Complaints whose next SLA alert is due at `now`.
    async fn due_alerts(&self, now: i64, limit: i64) -> Result<Vec<String>>;
    /// The complaints known to triage (count), for tests and operations.
    async fn count(&self) -> Result<i64>;
    /// When each complaint became visible here, minus its event's time (benchmarks).
    async fn visibility_lags(&self) -> Result<Vec<i64>>;
    /// The database (for the sweeper's lock).
    fn database(&self) -> &Database;
    /// Closes the pool.
    async fn close(&self);
}

const CASE_COLUMNS: &[&str] = &[
    "complaint_id",
    "office_code",
    "origin_office_code",
    "registration_number",
    "channel",
    "category_code",
    "received_at",
    "registered_at",
    "status",
    "urgent",
    "urgency_reasons",
    "urgency_override",
    "reporter_identified",
    "anonymous",
    "confidential",
    "involves_child",
    "unmet_requirements",
    "content_markers",
    "transferred_to",
    "transferred_from",
    "referred_to_agency",
    "duplicate_of",
    "sealed_text",
    "nature",
    "sla_policy",
    "sla_stage",
    "sla_started_at",
    "sla_pauses",
    "sla_stopped_at",
    "sla_warned",
    "sla_breached",
    "sla_next_alert_at",
    "event_seq",
    "applied_at",
    "updated_at",
    "traceparent",
    "tracestate",
    "data_key",
];

static SELECT_CASE: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM cases", CASE_COLUMNS.join(", ")));

/// The `ON CONFLICT` tail of a case upsert (after the VALUES).
static UPSERT_TAIL: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = CASE_COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        " ON CONFLICT (complaint_id) DO UPDATE SET {}",
        sets.join(", ")
    )
});

static UPSERT_CASE: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (1..=CASE_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO cases ({}) VALUES ({}){}",
        CASE_COLUMNS.join(", "),
        params.join(", "),
        *UPSERT_TAIL
    )
});

fn aad(id: &str, what: &str) -> Vec<u8> {
    format!("triage:{id}:{what}").into_bytes()
}

/// The case's data key and its wrapped form (a new one for a case without).
fn case_key(keys: &Keyring, k: &CaseRow) -> std::result::Result<(DataKey, Vec<u8>), sqlx::Error> {
    let r = match &k.data_key {
        Some(w) => keys
            .data_key(&k.origin_office_code, &k.complaint_id, w)
            .map(|key| (key, w.clone())),
        None => keys.new_data_key(&k.origin_office_code, &k.complaint_id),
    };
    r.map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// The data key of a stored case (None: from before the keys).
fn stored_key(
    keys: &Keyring,
    origin: &str,
    id: &str,
    wrapped: Option<&[u8]>,
) -> std::result::Result<Option<DataKey>, sqlx::Error> {
    wrapped
        .map(|w| keys.data_key(origin, id, w))
        .transpose()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The data key of a loaded case (None: from before the keys).
fn case_key_of(
    keys: &Keyring,
    case: &CaseRow,
) -> std::result::Result<Option<DataKey>, sqlx::Error> {
    stored_key(
        keys,
        &case.origin_office_code,
        &case.complaint_id,
        case.data_key.as_deref(),
    )
}

/// Seals two free-text fields of a record with the case's data key (None when both are empty).
fn seal_pair(
    key: &DataKey,
    id: &str,
    what: &str,
    a: &str,
    b: &str,
) -> std::result::Result<Option<Vec<u8>>, sqlx::Error> {
    if a.is_empty() && b.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_vec(&[a, b]).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    key.seal(&aad(id, what), &json)
        .map(Some)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Opens what [`seal_pair`] sealed (or, from before the keys, what `office`'s key sealed).
fn open_pair(
    keys: &Keyring,
    key: Option<&DataKey>,
    office: &str,
    id: &str,
    what: &str,
    sealed: Option<Vec<u8>>,
) -> std::result::Result<(String, String), sqlx::Error> {
    let Some(sealed) = sealed else {
        return Ok((String::new(), String::new()));
    };
    let plain = keys
        .open_sealed(office, key, &aad(id, what), &sealed)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let [a, b]: [String; 2] =
        serde_json::from_slice(&plain).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok((a, b))
}

fn seal_case(key: &DataKey, k: &CaseRow) -> std::result::Result<Option<Vec<u8>>, sqlx::Error> {
    seal_pair(
        key,
        &k.complaint_id,
        "case",
        &k.screening_reason,
        &k.head_summary,
    )
}

macro_rules! row_to_case {
    ($r:expr, $keys:expr) => {{
        let r = $r;
        let complaint_id: String = r.try_get("complaint_id")?;
        let office_code: String = r.try_get("office_code")?;
        let origin: String = r.try_get("origin_office_code")?;
        let data_key: Option<Vec<u8>> = r.try_get("data_key")?;
        let key = stored_key($keys, &origin, &complaint_id, data_key.as_deref())?;
        let (screening_reason, head_summary) = open_pair(
            $keys,
            key.as_ref(),
            &office_code,
            &complaint_id,
            "case",
            r.try_get("sealed_text")?,
        )?;
        CaseRow {
            data_key,
            screening_reason,
            head_summary,
            complaint_id,
            office_code,
            origin_office_code: origin,
            registration_number: r.try_get("registration_number")?,
            channel: r.try_get("channel")?,
            category_code: r.try_get("category_code")?,
            received_at: r.try_get("received_at")?,
            registered_at: r.try_get("registered_at")?,
            status: r.try_get("status")?,
            urgent: r.try_get("urgent")?,
            urgency_reasons: r.try_get("urgency_reasons")?,
            urgency_override: r.try_get("urgency_override")?,
            reporter_identified: r.try_get("reporter_identified")?,
            anonymous: r.try_get("anonymous")?,
            confidential: r.try_get("confidential")?,
            involves_child: r.try_get("involves_child")?,
            unmet_requirements: r.try_get("unmet_requirements")?,
            content_markers: r.try_get("content_markers")?,
            transferred_to: r.try_get("transferred_to")?,
            transferred_from: r.try_get("transferred_from")?,
            referred_to_agency: r.try_get("referred_to_agency")?,
            duplicate_of: r.try_get("duplicate_of")?,
            nature: r.try_get("nature")?,
            sla_policy: r.try_get("sla_policy")?,
            sla_stage: r.try_get("sla_stage")?,
            sla_started_at: r.try_get("sla_started_at")?,
            sla_pauses: r.try_get("sla_pauses")?,
            sla_stopped_at: r.try_get("sla_stopped_at")?,
            sla_warned: r.try_get("sla_warned")?,
            sla_breached: r.try_get("sla_breached")?,
            sla_next_alert_at: r.try_get("sla_next_alert_at")?,
            event_seq: r.try_get("event_seq")?,
            applied_at: r.try_get("applied_at")?,
            updated_at: r.try_get("updated_at")?,
            trace: TraceContext {
                traceparent: r.try_get("traceparent")?,
                tracestate: r.try_get("tracestate")?,
            },
        }
    }};
}

macro_rules! row_to_disposition {
    ($r:expr, $keys:expr, $key:expr) => {{
        let r = $r;
        let complaint_id: String = r.try_get("complaint_id")?;
        let version: i32 = r.try_get("version")?;
        let office: String = r.try_get("issued_by_office")?;
        let (note, change_reason) = open_pair(
            $keys,
            $key,
            &office,
            &complaint_id,
            &format!("disposition:{version}"),
            r.try_get("sealed_text")?,
        )?;
        DispositionRow {
            complaint_id,
            version,
            note,
            change_reason,
            bidang_code: r.try_get("bidang_code")?,
            instructions: r.try_get("instructions")?,
            due_date: r.try_get("due_date")?,
            nature: r.try_get("nature")?,
            issued_by: ActorRec {
                subject: r.try_get("issued_by_subject")?,
                role: r.try_get("issued_by_role")?,
                office,
            },
            issued_at: r.try_get("issued_at")?,
        }
    }};
}

/// What writing a change found.
enum Written {
    Done,
    AlertAlreadySent,
}

macro_rules! sql_store {
    ($name:ident, $db:ty, $pool:ty, $begin:expr, $lock:expr) => {
        /// The triage store on this backend.
        pub struct $name {
            pool: $pool,
            db: Database,
            outbox: Arc<Outbox>,
            keys: Arc<Keyring>,
        }

        impl $name {
            async fn load_locked(
                tx: &mut sqlx::Transaction<'static, $db>,
                keys: &Keyring,
                id: &str,
            ) -> std::result::Result<Option<CaseRow>, sqlx::Error> {
                let sql = format!("{} WHERE complaint_id = $1{}", *SELECT_CASE, $lock);
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(match row {
                    Some(r) => Some(row_to_case!(&r, keys)),
                    None => None,
                })
            }

            async fn load_dispositions(
                ex: &mut sqlx::Transaction<'static, $db>,
                keys: &Keyring,
                key: Option<&DataKey>,
                id: &str,
            ) -> std::result::Result<Vec<DispositionRow>, sqlx::Error> {
                let rows = sqlx::query(
                    "SELECT * FROM dispositions WHERE complaint_id = $1 ORDER BY version",
                )
                .bind(id)
                .fetch_all(&mut **ex)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(row_to_disposition!(r, keys, key));
                }
                Ok(out)
            }

            async fn write(
                tx: &mut sqlx::Transaction<'static, $db>,
                keys: &Keyring,
                outbox: &Outbox,
                c: &Change,
            ) -> std::result::Result<Written, sqlx::Error> {
                if let Some((stage, kind)) = &c.alert {
                    let n = sqlx::query(
                        "INSERT INTO sla_alerts (complaint_id, stage, kind, emitted_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (complaint_id, stage, kind) DO NOTHING",
                    )
                    .bind(&c.case.complaint_id)
                    .bind(stage)
                    .bind(kind)
                    .bind(c.case.updated_at)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Ok(Written::AlertAlreadySent);
                    }
                }
                let k = &c.case;
                // The complaint's data key (a new case gets one here).
                let (key, wrapped) = case_key(keys, k)?;
                sqlx::query(sqlx::AssertSqlSafe(UPSERT_CASE.as_str()))
                    .bind(&k.complaint_id)
                    .bind(&k.office_code)
                    .bind(&k.origin_office_code)
                    .bind(&k.registration_number)
                    .bind(k.channel)
                    .bind(&k.category_code)
                    .bind(k.received_at)
                    .bind(k.registered_at)
                    .bind(k.status)
                    .bind(k.urgent)
                    .bind(&k.urgency_reasons)
                    .bind(k.urgency_override)
                    .bind(k.reporter_identified)
                    .bind(k.anonymous)
                    .bind(k.confidential)
                    .bind(k.involves_child)
                    .bind(&k.unmet_requirements)
                    .bind(&k.content_markers)
                    .bind(&k.transferred_to)
                    .bind(&k.transferred_from)
                    .bind(&k.referred_to_agency)
                    .bind(&k.duplicate_of)
                    .bind(seal_case(&key, k)?)
                    .bind(k.nature)
                    .bind(&k.sla_policy)
                    .bind(&k.sla_stage)
                    .bind(k.sla_started_at)
                    .bind(&k.sla_pauses)
                    .bind(k.sla_stopped_at)
                    .bind(k.sla_warned)
                    .bind(k.sla_breached)
                    .bind(k.sla_next_alert_at)
                    .bind(k.event_seq)
                    .bind(k.applied_at)
                    .bind(k.updated_at)
                    .bind(&k.trace.traceparent)
                    .bind(&k.trace.tracestate)
                    .bind(&wrapped)
                    .execute(&mut **tx)
                    .await?;
                for h in &c.history {
                    let note = seal_pair(&key, &k.complaint_id, "history", &h.note, "")?;
                    sqlx::query(
                        "INSERT INTO history (complaint_id, at, actor_subject, actor_role, actor_office, \
                         action, status, detail, office_code, sealed_note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&k.complaint_id)
                    .bind(h.at)
                    .bind(&h.actor.subject)
                    .bind(&h.actor.role)
                    .bind(&h.actor.office)
                    .bind(&h.action)
                    .bind(h.status)
                    .bind(&h.detail)
                    .bind(&h.office_code)
                    .bind(note)
                    .execute(&mut **tx)
                    .await?;
                }
                if let Some(d) = &c.disposition {
                    sqlx::query(
                        "INSERT INTO dispositions (complaint_id, version, bidang_code, instructions, \
                         due_date, nature, issued_by_subject, issued_by_role, issued_by_office, issued_at, \
                         sealed_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&d.complaint_id)
                    .bind(d.version)
                    .bind(&d.bidang_code)
                    .bind(&d.instructions)
                    .bind(&d.due_date)
                    .bind(d.nature)
                    .bind(&d.issued_by.subject)
                    .bind(&d.issued_by.role)
                    .bind(&d.issued_by.office)
                    .bind(d.issued_at)
                    .bind(seal_pair(
                        &key,
                        &d.complaint_id,
                        &format!("disposition:{}", d.version),
                        &d.note,
                        &d.change_reason,
                    )?)
                    .execute(&mut **tx)
                    .await?;
                }
                aduan_spine::relay::append(&mut **tx, outbox, &c.events, k.updated_at).await?;
                Ok(Written::Done)
            }
        }

        #[async_trait]
        impl TriageStore for $name {
            async fn get(&self, id: &str) -> Result<Option<CaseRow>> {
                let sql = format!("{} WHERE complaint_id = $1", *SELECT_CASE);
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(row_to_case!(&r, &self.keys)),
                    None => None,
                })
            }

            async fn get_by_registration(
                &self,
                office: &str,
                number: &str,
            ) -> Result<Option<CaseRow>> {
                let sql = format!(
                    "{} WHERE office_code = $1 AND registration_number = $2",
                    *SELECT_CASE
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(office)
                    .bind(number)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(row_to_case!(&r, &self.keys)),
                    None => None,
                })
            }

            async fn history(&self, case: &CaseRow) -> Result<Vec<HistoryRow>> {
                let id = case.complaint_id.as_str();
                let key = case_key_of(&self.keys, case)?;
                let rows = sqlx::query(
                    "SELECT at, actor_subject, actor_role, actor_office, action, status, detail, office_code, \
                     sealed_note FROM history WHERE complaint_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let office: String = r.try_get("office_code")?;
                    let (note, _) = open_pair(&self.keys, key.as_ref(), &office, id, "history", r.try_get("sealed_note")?)?;
                    out.push(HistoryRow {
                        note,
                        at: r.try_get("at")?,
                        actor: ActorRec {
                            subject: r.try_get("actor_subject")?,
                            role: r.try_get("actor_role")?,
                            office: r.try_get("actor_office")?,
                        },
                        action: r.try_get("action")?,
                        status: r.try_get("status")?,
                        detail: r.try_get("detail")?,
                        office_code: office,
                    });
                }
                Ok(out)
            }

            async fn dispositions(&self, case: &CaseRow) -> Result<Vec<DispositionRow>> {
                let id = case.complaint_id.as_str();
                let key = case_key_of(&self.keys, case)?;
                let rows = sqlx::query(
                    "SELECT * FROM dispositions WHERE complaint_id = $1 ORDER BY version",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(row_to_disposition!(r, &self.keys, key.as_ref()));
                }
                Ok(out)
            }

            async fn queue(
                &self,
                office: &str,
                statuses: &[i32],
                urgent_only: bool,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<CaseRow>> {
                if statuses.is_empty() || limit <= 0 {
                    return Ok(Vec::new());
                }
                // One ordered range of cases_queue_order per status, each cut at the page's end,
                // then merged: no sort of every waiting complaint.
                let order = "ORDER BY urgent DESC, registered_at, complaint_id";
                let per_status = statuses
                    .iter()
                    .map(|st| {
                        format!(
                            "SELECT * FROM ({} WHERE office_code = $1 AND status = {st}{} {order} LIMIT $2) s{st}",
                            *SELECT_CASE,
                            if urgent_only { " AND urgent" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ");
                let sql = format!("SELECT * FROM ({per_status}) q {order} LIMIT $3 OFFSET $4");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(office)
                    .bind(limit + offset)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(row_to_case!(r, &self.keys));
                }
                Ok(out)
            }

            async fn queue_count(&self, office: &str, statuses: &[i32]) -> Result<i64> {
                if statuses.is_empty() {
                    return Ok(0);
                }
                let list = statuses
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM cases WHERE office_code = $1 AND status IN ({list})"
                )))
                .bind(office)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn mutate(&self, id: &str, f: MutateFn<'_>) -> Result<Option<CaseRow>> {
                let mut tx = self.pool.begin_with($begin).await?;
                let Some(case) = Self::load_locked(&mut tx, &self.keys, id).await? else {
                    return Err(Error::NotFound("complaint"));
                };
                let key = case_key_of(&self.keys, &case)?;
                let dispositions =
                    Self::load_dispositions(&mut tx, &self.keys, key.as_ref(), id).await?;
                let previous = case.trace.clone();
                let Some(mut change) = f(case, dispositions)? else {
                    return Ok(None);
                };
                // A step on the complaint in the current span (a person's request, or the
                // sweeper's span): its id, a link to the previous step, and its events' trace
                // context kept as the latest.
                aduan_runtime::telemetry::link_previous_step(id, &previous);
                change.case.trace = previous;
                aduan_runtime::telemetry::keep_latest_trace(&mut change.case.trace, &change.events);
                match Self::write(&mut tx, &self.keys, &self.outbox, &change).await? {
                    Written::Done => {}
                    Written::AlertAlreadySent => return Ok(None),
                }
                tx.commit().await?;
                if !change.events.is_empty() {
                    self.outbox.notify();
                    aduan_spine::relay::record_events(&change.events);
                }
                Ok(Some(change.case))
            }

            async fn apply(
                &self,
                source: &str,
                events: &[LifecycleEvent],
                f: ApplyFn<'_>,
            ) -> Result<ApplyOutcome> {
                if events.is_empty() {
                    return Ok(ApplyOutcome::default());
                }
                let mut tx = self.pool.begin_with($begin).await?;
                let now = aduan_runtime::time::to_micros(jiff::Timestamp::now());
                // 1. Which events are new: their ids, recorded in this transaction.
                let batch = aduan_spine::relay::Batch::begin(&mut *tx, source, events, now).await?;
                // 2. The complaints they name, locked, in one statement per 500.
                let mut cases: HashMap<String, CaseRow> = HashMap::new();
                for chunk in batch.cases().chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "{} WHERE complaint_id IN (",
                        *SELECT_CASE
                    ));
                    let mut sep = q.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.to_string());
                    }
                    q.push(")");
                    q.push($lock);
                    for r in q.build().fetch_all(&mut *tx).await? {
                        let c = row_to_case!(&r, &self.keys);
                        cases.insert(c.complaint_id.clone(), c);
                    }
                }
                // 3. Apply in order, in memory; a complaint's later events see its earlier ones.
                let mut changes: Vec<Change> = Vec::new();
                let mut at: HashMap<String, usize> = HashMap::new();
                let out = batch
                    .run(&mut *tx, |e| {
                        let span = aduan_runtime::telemetry::event_span(e, "triage");
                        let _entered = span.enter();
                        let Some(mut change) = f(e, cases.get(&e.complaint_id).cloned())? else {
                            return Ok(());
                        };
                        // The received event is the complaint's latest step here.
                        if let Some(known) = cases.get(&e.complaint_id) {
                            change.case.trace = known.trace.clone();
                        }
                        aduan_runtime::telemetry::keep_latest_trace(
                            &mut change.case.trace,
                            std::iter::once(e).chain(&change.events),
                        );
                        tracing::debug!(status = change.case.status, "event applied");
                        cases.insert(e.complaint_id.clone(), change.case.clone());
                        match at.get(&e.complaint_id) {
                            Some(&k) => {
                                let c = &mut changes[k];
                                c.case = change.case;
                                c.history.extend(change.history);
                                c.events.extend(change.events);
                            }
                            None => {
                                at.insert(e.complaint_id.clone(), changes.len());
                                changes.push(change);
                            }
                        }
                        Ok(())
                    })
                    .await?;
                // 4. Write: one upsert and one history insert per 500 complaints. A new case gets
                //    its data key now, so that every write below seals with the same one.
                let mut keys = Vec::with_capacity(changes.len());
                for c in changes.iter_mut() {
                    let (key, wrapped) = case_key(&self.keys, &c.case)?;
                    c.case.data_key = Some(wrapped);
                    keys.push(key);
                }
                for (chunk, chunk_keys) in changes.chunks(500).zip(keys.chunks(500)) {
                    let sealed = chunk
                        .iter()
                        .zip(chunk_keys)
                        .map(|(c, key)| seal_case(key, &c.case))
                        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO cases ({}) ",
                        CASE_COLUMNS.join(", ")
                    ));
                    q.push_values(chunk.iter().zip(sealed), |mut b, (c, sealed)| {
                        let k = &c.case;
                        b.push_bind(k.complaint_id.clone())
                            .push_bind(k.office_code.clone())
                            .push_bind(k.origin_office_code.clone())
                            .push_bind(k.registration_number.clone())
                            .push_bind(k.channel)
                            .push_bind(k.category_code.clone())
                            .push_bind(k.received_at)
                            .push_bind(k.registered_at)
                            .push_bind(k.status)
                            .push_bind(k.urgent)
                            .push_bind(k.urgency_reasons.clone())
                            .push_bind(k.urgency_override)
                            .push_bind(k.reporter_identified)
                            .push_bind(k.anonymous)
                            .push_bind(k.confidential)
                            .push_bind(k.involves_child)
                            .push_bind(k.unmet_requirements.clone())
                            .push_bind(k.content_markers.clone())
                            .push_bind(k.transferred_to.clone())
                            .push_bind(k.transferred_from.clone())
                            .push_bind(k.referred_to_agency.clone())
                            .push_bind(k.duplicate_of.clone())
                            .push_bind(sealed)
                            .push_bind(k.nature)
                            .push_bind(k.sla_policy.clone())
                            .push_bind(k.sla_stage.clone())
                            .push_bind(k.sla_started_at)
                            .push_bind(k.sla_pauses.clone())
                            .push_bind(k.sla_stopped_at)
                            .push_bind(k.sla_warned)
                            .push_bind(k.sla_breached)
                            .push_bind(k.sla_next_alert_at)
                            .push_bind(k.event_seq)
                            .push_bind(k.applied_at)
                            .push_bind(k.updated_at)
                            .push_bind(k.trace.traceparent.clone())
                            .push_bind(k.trace.tracestate.clone())
                            .push_bind(k.data_key.clone());
                    });
                    q.push(UPSERT_TAIL.as_str());
                    q.build().execute(&mut *tx).await?;
                    let rows: Vec<(&str, &HistoryRow, Option<Vec<u8>>)> = chunk
                        .iter()
                        .zip(chunk_keys)
                        .flat_map(|(c, key)| {
                            c.history
                                .iter()
                                .map(move |h| (c.case.complaint_id.as_str(), h, key))
                        })
                        .map(|(id, h, key)| {
                            seal_pair(key, id, "history", &h.note, "").map(|n| (id, h, n))
                        })
                        .collect::<std::result::Result<_, sqlx::Error>>()?;
                    for hchunk in rows.chunks(1000) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO history (complaint_id, at, actor_subject, actor_role, actor_office, \
                             action, status, detail, office_code, sealed_note) ",
                        );
                        q.push_values(hchunk, |mut b, (id, h, note)| {
                            b.push_bind(id.to_string())
                                .push_bind(h.at)
                                .push_bind(h.actor.subject.clone())
                                .push_bind(h.actor.role.clone())
                                .push_bind(h.actor.office.clone())
                                .push_bind(h.action.clone())
                                .push_bind(h.status)
                                .push_bind(h.detail.clone())
                                .push_bind(h.office_code.clone())
                                .push_bind(note.clone());
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                }
                // Received events do not produce triage events today; if a rule ever does, they
                // go to the outbox in this transaction too.
                let mut emitted = Vec::new();
                for c in &changes {
                    if !c.events.is_empty() || c.disposition.is_some() || c.alert.is_some() {
                        let extra = Change {
                            case: c.case.clone(),
                            history: Vec::new(),
                            disposition: c.disposition.clone(),
                            events: c.events.clone(),
                            alert: c.alert.clone(),
                        };
                        Self::write(&mut tx, &self.keys, &self.outbox, &extra).await?;
                        emitted.extend(c.events.iter().cloned());
                    }
                }
                tx.commit().await?;
                if !emitted.is_empty() {
                    self.outbox.notify();
                    aduan_spine::relay::record_events(&emitted);
                }
                Ok(out)
            }

            async fn due_alerts(&self, now: i64, limit: i64) -> Result<Vec<String>> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT complaint_id FROM cases WHERE sla_next_alert_at <= $1 \
                     ORDER BY sla_next_alert_at LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(ids)
            }

            async fn count(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn visibility_lags(&self) -> Result<Vec<i64>> {
                Ok(sqlx::query_scalar("SELECT applied_at - registered_at FROM cases ORDER BY 1")
                    .fetch_all(&self.pool)
                    .await?)
            }

            fn database(&self) -> &Database {
                &self.db
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

sql_store!(
    PgStore,
    sqlx::Postgres,
    sqlx::PgPool,
    "BEGIN",
    " FOR UPDATE"
);
sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    "BEGIN IMMEDIATE",
    ""
);

/// Triage's own migrations (`migrations/`), applied after the spine's parts.
pub const MIGRATIONS: &[Migration] = &[
    Migration::each(
        "0001_triage",
        include_str!("../migrations/0001_triage.postgres.sql"),
        include_str!("../migrations/0001_triage.sqlite.sql"),
    ),
    Migration::both(
        "0002_triage_trace_context",
        include_str!("../migrations/0002_triage_trace_context.sql"),
    ),
    Migration::both(
        "0005_triage_registration_lookup",
        include_str!("../migrations/0005_triage_registration_lookup.sql"),
    ),
    Migration::both(
        "0006_triage_queue_order",
        include_str!("../migrations/0006_triage_queue_order.sql"),
    ),
    Migration::each(
        "0007_triage_data_keys",
        include_str!("../migrations/0007_triage_data_keys.postgres.sql"),
        include_str!("../migrations/0007_triage_data_keys.sqlite.sql"),
    ),
];

/// Runs triage's migrations.
pub async fn migrate(db: &Database) -> Result<()> {
    use aduan_spine::migrations::{Part, apply};
    apply(db, &[Part::Outbox, Part::Inbox, Part::AccessLog]).await?;
    db.apply(MIGRATIONS, None).await
}

/// Opens the store on `db`, running its migrations.
pub async fn open(
    db: Database,
    outbox: Arc<Outbox>,
    keys: Arc<Keyring>,
) -> Result<Arc<dyn TriageStore>> {
    migrate(&db).await?;
    Ok(match &db {
        Database::Postgres(pool) => Arc::new(PgStore {
            pool: pool.clone(),
            db: db.clone(),
            outbox,
            keys,
        }),
        Database::Sqlite(pool) => Arc::new(SqliteStore {
            pool: pool.clone(),
            db: db.clone(),
            outbox,
            keys,
        }),
    })
}
