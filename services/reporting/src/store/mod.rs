//! Reporting's store: the case store of `aduan_spine::casefile` (the projections, the outbox)
//! and reporting's own tables: the timeline (`events`), the facts and their pre-aggregated
//! statistics, the reporting queue and the monthly archive. The only place with SQL and table
//! names: [`stats`] (the statistics' reads), [`archive`] (the monthly archive and the fold of the
//! aggregates' deltas) and [`rebuild`] (recomputing the aggregates, bulk loads).

pub mod archive;
pub mod rebuild;
pub mod stats;

use aduan_calendar::Calendar;
use aduan_proto::events::v1::{LifecycleEvent, SurveySubmitted};
use aduan_runtime::Result;
use aduan_spine::casefile::{CaseStore, SideRow, Value, column};

use crate::domain::facts::{FactChange, survey_counts};
use crate::domain::{self, ReportFile, detail_of, kind_of, occurred, trace_id};

/// The score columns of a survey fact, one per SKM element (U1-U9).
const SCORE_COLUMNS: [&str; 9] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];

/// Which offices a read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offices {
    /// One office.
    One(String),
    /// Every office of a province (office codes starting with its code and a dot).
    Province(String),
}

impl Offices {
    /// The condition on `office_code` with its bind as parameter `$n`.
    fn condition(&self, n: usize) -> (String, Value) {
        match self {
            Offices::One(o) => (format!("office_code = ${n}"), Value::Text(o.clone())),
            Offices::Province(p) => (
                format!("office_code LIKE ${n}"),
                Value::Text(format!("{p}.%")),
            ),
        }
    }
}

/// One entry of a complaint's timeline, as the `events` table keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineRow {
    /// When (microseconds).
    pub occurred_at: i64,
    /// The step.
    pub step: i32,
    /// The service that published it.
    pub source_service: String,
    /// The kind.
    pub kind: String,
    /// Coded details.
    pub detail: String,
    /// The status after it.
    pub status: i32,
    /// Who: subject, role, office.
    pub actor_subject: String,
    /// The actor's role.
    pub actor_role: String,
    /// The actor's office.
    pub actor_office: String,
    /// The event.
    pub event_id: String,
    /// Its trace.
    pub trace_id: String,
}

/// Which reports of the queue a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStates {
    /// Only complaints waiting for a first draft.
    AwaitingDraft,
    /// Every complaint at the reporting stage, up to distributed.
    Any,
    /// Reports in this state.
    Is(i32),
}

/// Reporting's store.
pub struct Store {
    cases: CaseStore,
}

impl Store {
    /// Over the case store of reporting's database.
    pub fn new(cases: CaseStore) -> Self {
        Self { cases }
    }

    /// The case store (projections, outbox).
    pub fn cases(&self) -> &CaseStore {
        &self.cases
    }

    /// The timeline of a complaint, oldest first.
    pub async fn timeline(&self, complaint_id: &str) -> Result<Vec<TimelineRow>> {
        let rows = self
            .cases
            .query(
                "SELECT occurred_at, step, source_service, kind, detail, status, actor_subject, \
                 actor_role, event_id, trace_id, actor_office FROM events WHERE complaint_id = $1 \
                 ORDER BY occurred_at, step, source_service, sequence, event_id",
                &[Value::Text(complaint_id.to_string())],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let int = |i| column(r, i).int();
                let text = |i| column(r, i).text();
                TimelineRow {
                    occurred_at: int(0),
                    step: int(1) as i32,
                    source_service: text(2),
                    kind: text(3),
                    detail: text(4),
                    status: int(5) as i32,
                    actor_subject: text(6),
                    actor_role: text(7),
                    event_id: text(8),
                    trace_id: text(9),
                    actor_office: text(10),
                }
            })
            .collect())
    }

    /// A page of an office's reporting queue (of one Bidang's complaints when `bidang` is
    /// given), newest first: how many there are, and the page's complaint ids.
    pub async fn queue(
        &self,
        office: &str,
        bidang: Option<&str>,
        states: QueueStates,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<String>)> {
        let mut cond = String::from("office_code = $1");
        let mut binds = vec![Value::Text(office.to_string())];
        if let Some(b) = bidang {
            binds.push(Value::Text(b.to_string()));
            cond.push_str(&format!(" AND bidang = ${}", binds.len()));
        }
        match states {
            QueueStates::AwaitingDraft => cond.push_str(" AND state = 0"),
            QueueStates::Any => cond.push_str(" AND state BETWEEN 0 AND 3"),
            QueueStates::Is(s) => cond.push_str(&format!(" AND state = {s}")),
        }
        let total = self
            .cases
            .query(
                &format!("SELECT COUNT(*) FROM report_queue WHERE {cond}"),
                &binds,
            )
            .await?
            .first()
            .map(|r| column(r, 0).int())
            .unwrap_or(0);
        let n = binds.len();
        binds.push(Value::Int(limit));
        binds.push(Value::Int(offset));
        let ids = self
            .cases
            .query(
                &format!(
                    "SELECT complaint_id FROM report_queue WHERE {cond} \
                     ORDER BY since DESC, complaint_id LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                &binds,
            )
            .await?
            .iter()
            .map(|r| column(r, 0).text())
            .collect();
        Ok((total, ids))
    }
}

/// The events-table row of an event (`period`: its month in the office's calendar).
pub fn event_row(e: &LifecycleEvent, period: i32) -> SideRow {
    let actor = e.actor.clone().unwrap_or_default();
    SideRow {
        table: "events",
        values: vec![
            ("event_id", Value::Text(e.event_id.clone())),
            ("complaint_id", Value::Text(e.complaint_id.clone())),
            ("office_code", Value::Text(e.office_code.clone())),
            ("source_service", Value::Text(e.source_service.clone())),
            ("sequence", Value::Int(e.sequence)),
            ("step", Value::Int(i64::from(e.step))),
            ("kind", Value::Text(kind_of(e))),
            ("status", Value::Int(i64::from(e.status))),
            ("occurred_at", Value::Int(occurred(e))),
            ("period", Value::Int(i64::from(period))),
            ("actor_subject", Value::Text(actor.subject)),
            ("actor_role", Value::Text(actor.role)),
            ("actor_office", Value::Text(actor.office_code)),
            ("detail", Value::Text(detail_of(e))),
            ("trace_id", Value::Text(trace_id(e))),
        ],
        key: &["event_id"],
    }
}

/// The events-table row of a step of reporting's own that is not a lifecycle event (a draft, a
/// return): [`event_row`] of `e` with its own kind and coded detail.
pub fn note_row(e: &LifecycleEvent, period: i32, kind: &str, detail: &str) -> SideRow {
    let mut row = event_row(e, period);
    for (col, val) in row.values.iter_mut() {
        match *col {
            "kind" => *val = Value::Text(kind.to_string()),
            "detail" => *val = Value::Text(detail.to_string()),
            _ => {}
        }
    }
    row
}

/// The side rows that bring the statistics of `file` up to date
/// ([`domain::fact_changes`]); none before its registration arrives.
pub fn fact_rows(file: &mut ReportFile, calendar: &Calendar) -> Vec<SideRow> {
    let Some(c) = domain::fact_changes(file, calendar) else {
        return Vec::new();
    };
    c.changes
        .into_iter()
        .map(|change| match change {
            FactChange::Dim { dim, key } => SideRow {
                table: "fact_dims",
                values: vec![
                    ("complaint_id", Value::Text(c.complaint_id.clone())),
                    ("dim", Value::Text(dim.to_string())),
                    ("office_code", Value::Text(c.office_code.clone())),
                    ("period", Value::Int(i64::from(c.period))),
                    ("key", Value::Text(key)),
                ],
                key: &["complaint_id", "dim"],
            },
            FactChange::Duration { step, bucket } => SideRow {
                table: "fact_durations",
                values: vec![
                    ("complaint_id", Value::Text(c.complaint_id.clone())),
                    ("step", Value::Text(step.to_string())),
                    ("office_code", Value::Text(c.office_code.clone())),
                    ("period", Value::Int(i64::from(c.period))),
                    ("bucket", Value::Int(bucket)),
                ],
                key: &["complaint_id", "step"],
            },
        })
        .collect()
}

/// The survey row of a SurveySubmitted event (scores only), or None when the scores do not
/// count ([`survey_counts`]).
pub fn survey_row(e: &LifecycleEvent, s: &SurveySubmitted, period: i32) -> Option<SideRow> {
    if !survey_counts(s) {
        return None;
    }
    let mut values = vec![
        ("survey_id", Value::Text(s.survey_id.clone())),
        ("office_code", Value::Text(e.office_code.clone())),
        ("period", Value::Int(i64::from(period))),
        ("service_code", Value::Text(s.service_code.clone())),
    ];
    for (c, v) in SCORE_COLUMNS.iter().zip(&s.scores) {
        values.push((c, Value::Int(i64::from(*v))));
    }
    Some(SideRow {
        table: "survey_facts",
        values,
        key: &["survey_id"],
    })
}

/// The reporting queue's row of a complaint (`state` -1: not at the reporting stage).
pub fn queue_row(file: &ReportFile, state: Option<i32>) -> SideRow {
    SideRow {
        table: "report_queue",
        values: vec![
            ("complaint_id", Value::Text(file.complaint_id.clone())),
            ("office_code", Value::Text(file.office_code.clone())),
            ("bidang", Value::Text(file.body.bidang.clone())),
            ("state", Value::Int(i64::from(state.unwrap_or(-1)))),
            ("since", Value::Int(file.updated_at)),
        ],
        key: &["complaint_id"],
    }
}
