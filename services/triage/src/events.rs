//! What triage publishes (the lifecycle events of S4-S7 and the SLA alerts, with their outbox
//! names) and how it follows the events of the others: intake's registrations and amendments,
//! the delivery (S13), the feedback (S14) and a closing.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::Result;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::relay::{ApplyOutcome, EventReceiver};
use aduan_runtime::time::{from_micros, to_micros, to_proto};

use crate::Triage;
use crate::domain::{CaseRow, Change, followed, s04_screening};

/// Triage's next lifecycle event on `case` (its sequence moves on).
pub fn event(
    case: &mut CaseRow,
    step: Step,
    who: &ActorRec,
    at: i64,
    detail: Detail,
) -> LifecycleEvent {
    case.event_seq += 1;
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: case.complaint_id.clone(),
        office_code: case.office_code.clone(),
        step: step as i32,
        occurred_at: Some(to_proto(from_micros(at))),
        source_service: "triage".into(),
        actor: Some(who.to_pb()),
        trace: Some(aduan_runtime::telemetry::current_event_trace()),
        sequence: i64::from(case.event_seq),
        status: case.status,
        detail: Some(detail),
    }
}

/// The outbox event type of an event.
pub fn event_type(e: &LifecycleEvent) -> &'static str {
    match &e.detail {
        Some(Detail::Screened(_)) => "screened",
        Some(Detail::ForwardedToHead(_)) => "forwarded_to_head",
        Some(Detail::DispositionIssued(_)) => "disposition_issued",
        Some(Detail::SlaAlert(_)) => "sla_alert",
        Some(Detail::Closed(_)) => "closed",
        _ => "other",
    }
}

impl Triage {
    /// Applies one received event (the relay's delivery) to the complaint it names: the change,
    /// Ok(None) to record it without a change, or Err(reason) to refuse it for good.
    fn on_event(
        &self,
        e: &LifecycleEvent,
        case: Option<CaseRow>,
    ) -> std::result::Result<Option<Change>, String> {
        let at = e
            .occurred_at
            .as_ref()
            .and_then(aduan_runtime::time::from_proto)
            .map(to_micros)
            .ok_or("the event has no valid occurred_at")?;
        let who = e
            .actor
            .as_ref()
            .map(|a| ActorRec {
                subject: a.subject.clone(),
                role: a.role.clone(),
                office: a.office_code.clone(),
            })
            .unwrap_or_else(ActorRec::system);
        let clocks = &self.clocks;
        match &e.detail {
            Some(Detail::Registered(d)) => {
                s04_screening::open_case(clocks, &self.refdata, e, d, who, at, case)
            }
            Some(Detail::Amended(d)) => {
                s04_screening::amend(clocks, &self.refdata, d, who, at, case)
            }
            Some(Detail::ResponseDelivered(d)) => {
                followed::response_delivered(clocks, d, who, at, case)
            }
            Some(Detail::FeedbackRecorded(d)) => {
                followed::feedback_recorded(clocks, d, who, at, case)
            }
            Some(Detail::Closed(d)) if e.source_service != "triage" => {
                followed::closed(clocks, &e.source_service, d, who, at, case)
            }
            _ => Ok(None),
        }
    }
}

#[tonic::async_trait]
impl EventReceiver for Triage {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, case: Option<CaseRow>| self.on_event(e, case);
        self.store.apply(source, &events, &f).await
    }
}
