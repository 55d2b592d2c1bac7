//! What reporting publishes and how it applies every service's events.
//!
//! Published (source "reporting", built by [`crate::domain::emit`] in the steps):
//! - `handling_report_approved` (S15, [`crate::domain::s15_report::approve`]);
//! - `handling_report_distributed` (S16, [`crate::domain::s16_distribution::distribute`]);
//! - `closed` with reason "completed" once the complainant and the Head have the report (S16).
//!
//! Applied: every lifecycle event of every service is recorded in the timeline and folded into
//! the complaint's projection ([`crate::domain::Doc::fold`]); nothing is refused but an event
//! without complaint or office.

use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::Result;
use aduan_runtime::time::now_micros;
use aduan_spine::casefile::Write;
use aduan_spine::relay::{ApplyOutcome, EventReceiver};

use crate::core::Reporting;
use crate::domain::projection::receive;
use crate::domain::{self, Doc, ReportFile};
use crate::store;

impl Reporting {
    /// Applies one received event: every event of every service is recorded and folded into the
    /// complaint's projection. Nothing is refused: an event of a complaint not seen yet opens
    /// its projection (events of different services arrive in any order).
    fn on_event(
        &self,
        e: &LifecycleEvent,
        current: Option<ReportFile>,
    ) -> std::result::Result<Option<Write<Doc>>, String> {
        let now = now_micros();
        let at = domain::occurred(e);
        let mut file = receive(current, e, now)?;
        let mut side = vec![self.event_row(e)];
        if let Some(Detail::SurveySubmitted(s)) = &e.detail {
            let calendar = self.calendars().calendar(&e.office_code);
            if let Some(row) = store::survey_row(e, s, domain::period_of(&calendar, at)) {
                side.push(row);
            }
        }
        side.extend(self.follow_up_rows(&mut file));
        Ok(Some(Write {
            file,
            events: Vec::new(),
            side,
        }))
    }
}

#[tonic::async_trait]
impl EventReceiver for Reporting {
    async fn apply(&self, source: &str, events: Vec<LifecycleEvent>) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, current: Option<ReportFile>| self.on_event(e, current);
        self.store.cases().apply(source, &events, &f).await
    }
}
