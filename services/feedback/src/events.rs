//! What feedback publishes and what it applies of the others'.
//!
//! Published (built by the steps of [`crate::domain`], source "feedback"):
//! - `response_delivered` (S13, [`crate::domain::s13_delivery::deliver`]);
//! - `feedback_recorded` (S14, [`crate::domain::s14_feedback::record_feedback`]);
//! - `survey_submitted` (S14, [`crate::domain::skm_survey::submit_survey`]);
//! - `closed` with reason "silence" (S14, [`crate::domain::silence::close_by_silence`]).
//!
//! Applied: investigation's `response_approved` opens (or renews) the delivery task
//! ([`crate::domain::s13_delivery::on_approved`]); reporting's `closed` (S16 done) closes the
//! record ([`crate::domain::s16_closed::closed_elsewhere`]); every other event is none of
//! feedback's business.

use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::Result;
use aduan_runtime::time::{from_proto, to_micros};
use aduan_spine::casefile::Write;
use aduan_spine::relay::{ApplyOutcome, EventReceiver};

use crate::core::Feedback;
use crate::domain::s13_delivery::on_approved;
use crate::domain::s16_closed::closed_elsewhere;
use crate::domain::{Doc, FeedbackFile};

/// When an event happened (microseconds).
fn occurred_at(e: &LifecycleEvent) -> std::result::Result<i64, String> {
    e.occurred_at
        .as_ref()
        .and_then(from_proto)
        .map(to_micros)
        .ok_or_else(|| "the event has no valid occurred_at".to_string())
}

/// Applies one received event: investigation's `response_approved` opens (or renews) the
/// delivery task; reporting's `closed` (S16 done) closes the record; every other event is
/// none of feedback's business.
fn on_event(
    source: &str,
    e: &LifecycleEvent,
    current: Option<FeedbackFile>,
) -> std::result::Result<Option<Write<Doc>>, String> {
    if let Some(Detail::Closed(c)) = &e.detail {
        if source != "reporting" {
            return Ok(None);
        }
        let at = occurred_at(e)?;
        return Ok(closed_elsewhere(current, &c.reason_code, at).map(|f| Write::new(f, Vec::new())));
    }
    let Some(Detail::ResponseApproved(d)) = &e.detail else {
        return Ok(None);
    };
    if source != "investigation" {
        return Ok(None);
    }
    if e.complaint_id.is_empty() {
        return Err("an event without a complaint id".into());
    }
    let at = occurred_at(e)?;
    Ok(on_approved(current, e, d, at)?.map(|f| Write::new(f, Vec::new())))
}

#[tonic::async_trait]
impl EventReceiver for Feedback {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, current: Option<FeedbackFile>| on_event(source, e, current);
        self.store.cases().apply(source, &events, &f).await
    }
}
