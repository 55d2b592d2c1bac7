//! The events of triage. What it publishes is built by the steps themselves (with
//! [`crate::domain::event`]): `ComplaintScreened` (S4), `ForwardedToHead` (S5),
//! `DispositionIssued` (S6-S7) and the `SlaAlert`s; their outbox names are here. What it reacts
//! to is dispatched here to the domain: intake's registrations and amendments, the delivery
//! (S13), the feedback (S14) and a closing by another service.

use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::Result;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::to_micros;
use aduan_spine::relay::{ApplyOutcome, EventReceiver};

use crate::Triage;
use crate::domain::{CaseRow, Change, followed, s04_screening};

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
        let who = ActorRec::of_event(e);
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
