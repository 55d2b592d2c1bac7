//! The events of investigation. What it publishes is built by the steps themselves (with
//! [`crate::domain::event`] and [`crate::domain::activity`], from `crate::SERVICE`): a
//! `HandlingActivity` for each activity of S8-S12, `EligibilityDecided`, `ReferralMade`,
//! `ReferralAnswered` and `ResponseApproved`. What it reacts to is dispatched here to the
//! domain: the Head's disposition from triage (S7), the delivery of the response and the
//! complainant's feedback from feedback (S13-S14), and a complaint closed by another service.

use aduan_proto::events::v1::LifecycleEvent;
use aduan_proto::events::v1::lifecycle_event::Detail;
use aduan_runtime::Result;
use aduan_runtime::time::{from_proto, to_micros};
use aduan_spine::relay::{ApplyOutcome, EventReceiver};

use crate::domain::{self, ActorRec, File, Reaction};
use crate::{Investigation, SERVICE};

#[tonic::async_trait]
impl EventReceiver for Investigation {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        self.store.apply(source, &events, react).await
    }
}

/// Applies one received event to the case it names (None if investigation holds none); Err
/// refuses it for good.
fn react(e: &LifecycleEvent, file: Option<File>) -> Reaction {
    let at = e
        .occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .ok_or("the event has no valid occurred_at")?;
    let who = ActorRec::of_event(e);
    match &e.detail {
        Some(Detail::DispositionIssued(d)) if e.source_service == "triage" => {
            domain::s07_disposition::apply(e, d, file, at, who)
        }
        Some(Detail::ResponseDelivered(d)) => domain::s13_delivery::delivered(d, file, at, who),
        Some(Detail::FeedbackRecorded(d)) => domain::s14_feedback::recorded(d, file, at, who),
        Some(Detail::Closed(d)) if e.source_service != SERVICE => {
            domain::closure::closed(&e.source_service, d, file, at, who)
        }
        _ => Ok(None),
    }
}
