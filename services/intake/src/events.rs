//! What intake publishes (the S3 registration and the S9 amendment, each in the outbox with the
//! change that makes it) and how it follows the others' events (the status-changing events of
//! triage, feedback and reporting, `aduan_spine::relay::ROUTES`: the store applies
//! [`crate::domain::followed::follow`] in its transaction).

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::intake::v1 as pb;
use aduan_runtime::Result;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::to_proto;
use jiff::Timestamp;

use crate::Intake;
use crate::domain::{Assessment, ComplaintRow, content_markers};

/// The request span's W3C context, for the event a step writes.
fn trace_context() -> events::TraceContext {
    aduan_runtime::telemetry::current_event_trace()
}

/// An intake event on `row`, held by `office`, as (sequence, status); the store fills in what
/// it assigns (the registration number, the revision, the sequence of an amendment).
fn envelope(
    row: &ComplaintRow,
    office: &str,
    step: Step,
    who: &ActorRec,
    now: Timestamp,
    (sequence, status): (i64, i32),
    detail: Detail,
) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: row.id.clone(),
        office_code: office.to_string(),
        step: step as i32,
        occurred_at: Some(to_proto(now)),
        source_service: "intake".into(),
        actor: Some(who.to_pb()),
        trace: Some(trace_context()),
        sequence,
        status,
        detail: Some(detail),
    }
}

/// The registration (S3) of `row`, received at `received_at` and registered `now`; the store
/// fills in the registration number. `prior` counts the reporter's earlier complaints.
pub fn registered(
    row: &ComplaintRow,
    body: &pb::ComplaintPatch,
    a: &Assessment,
    prior: i32,
    received_at: Timestamp,
    now: Timestamp,
) -> LifecycleEvent {
    let detail = Detail::Registered(events::ComplaintRegistered {
        registration_number: String::new(),
        channel: row.channel,
        received_at: Some(to_proto(received_at)),
        category_code: row.category_code.clone(),
        unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
        reporter_identified: a.reporter_identified,
        anonymous: row.anonymous,
        confidential: row.confidential,
        involves_child: a.involves_child,
        incident_district_code: row.incident_district_code.clone(),
        content_markers: content_markers(body),
        reporter_prior_complaints: prior,
    });
    let status = ComplaintStatus::Registered as i32;
    envelope(
        row,
        &row.office_code,
        Step::S3Registered,
        &row.recorded_by,
        now,
        (1, status),
        detail,
    )
}

/// The amendment (S9) of `row` by `who` at `now`, changing `changed` into `body`; the store
/// fills in the revision and the sequence.
pub fn amended(
    row: &ComplaintRow,
    body: &pb::ComplaintPatch,
    a: &Assessment,
    changed: Vec<String>,
    who: &ActorRec,
    now: Timestamp,
) -> LifecycleEvent {
    let visibility = body.visibility.unwrap_or_default();
    let content = body.content.clone().unwrap_or_default();
    let detail = Detail::Amended(events::ComplaintAmended {
        revision: 0,
        changed_fields: changed,
        unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
        category_code: content.category_code,
        reporter_identified: a.reporter_identified,
        anonymous: visibility.anonymous,
        confidential: visibility.confidential,
        involves_child: a.involves_child,
        content_markers: content_markers(body),
    });
    envelope(
        row,
        &row.current_office,
        Step::S9Interview,
        who,
        now,
        (0, row.status),
        detail,
    )
}

/// Intake follows the complaint: the status-changing events of triage, feedback and reporting
/// (`aduan_spine::relay::ROUTES`) move its status, office and Bidang.
#[tonic::async_trait]
impl aduan_spine::relay::EventReceiver for Intake {
    async fn apply(
        &self,
        source: &str,
        events: Vec<LifecycleEvent>,
    ) -> Result<aduan_spine::relay::ApplyOutcome> {
        self.store.follow(source, &events).await
    }
}
