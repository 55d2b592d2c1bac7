//! Triage's wire forms: the complaint with its dispositions and history, the queue entry and
//! the SLA view.

use aduan_proto::triage::v1 as pb;
use aduan_runtime::Result;
use aduan_runtime::time::{date_to_proto, from_micros, now_micros, to_proto};

use crate::Triage;
use crate::domain::{CaseRow, DispositionRow, clock_of, split, unmet};

impl Triage {
    /// The complaint's view with its dispositions and history.
    pub async fn view(&self, case: &CaseRow) -> Result<pb::TriageCase> {
        let dispositions = self.store.dispositions(case).await?;
        let history = self.store.history(case).await?;
        let last = dispositions.len();
        Ok(pb::TriageCase {
            complaint_id: case.complaint_id.clone(),
            office_code: case.office_code.clone(),
            registration_number: case.registration_number.clone(),
            channel: case.channel,
            category_code: case.category_code.clone(),
            received_at: Some(to_proto(from_micros(case.received_at))),
            registered_at: Some(to_proto(from_micros(case.registered_at))),
            status: case.status,
            urgent: case.urgent,
            urgency_reasons: split(&case.urgency_reasons),
            reporter_identified: case.reporter_identified,
            anonymous: case.anonymous,
            confidential: case.confidential,
            involves_child: case.involves_child,
            unmet_requirements: unmet(case),
            sla: Some(self.sla_view(case, now_micros())?),
            screening_reason: case.screening_reason.clone(),
            transferred_to: case.transferred_to.clone(),
            transferred_from: case.transferred_from.clone(),
            referred_to_agency: case.referred_to_agency.clone(),
            duplicate_of: case.duplicate_of.clone(),
            head_summary: case.head_summary.clone(),
            nature: case.nature,
            dispositions: dispositions
                .iter()
                .enumerate()
                .map(|(i, d)| self.disposition_pb(d, i + 1 < last))
                .collect(),
            history: history
                .iter()
                .map(|h| pb::HistoryEntry {
                    at: Some(to_proto(from_micros(h.at))),
                    actor: Some(h.actor.to_pb()),
                    action: h.action.clone(),
                    status: h.status,
                    detail: h.detail.clone(),
                    office_code: h.office_code.clone(),
                    note: h.note.clone(),
                })
                .collect(),
            content_markers: split(&case.content_markers),
        })
    }

    pub(crate) fn disposition_pb(&self, d: &DispositionRow, superseded: bool) -> pb::Disposition {
        pb::Disposition {
            version: d.version,
            bidang_code: d.bidang_code.clone(),
            bidang_name: self
                .refdata
                .bidang(&d.bidang_code)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            instructions: split(&d.instructions)
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            note: d.note.clone(),
            due_date: d
                .due_date
                .parse::<jiff::civil::Date>()
                .ok()
                .map(date_to_proto),
            nature: d.nature,
            issued_by: Some(d.issued_by.to_pb()),
            issued_at: Some(to_proto(from_micros(d.issued_at))),
            superseded,
            change_reason: d.change_reason.clone(),
        }
    }

    fn sla_view(&self, case: &CaseRow, now: i64) -> Result<pb::SlaView> {
        let clock = clock_of(case);
        let v = self.clocks.view(&case.office_code, &clock, now)?;
        let tz = self.clocks.calendar(&case.office_code).time_zone().clone();
        Ok(pb::SlaView {
            policy_code: clock.policy.clone(),
            stage: clock.stage.clone(),
            due_at: Some(to_proto(v.due)),
            due_date: Some(date_to_proto(v.due.to_zoned(tz).date())),
            state: v.state.into(),
            working_days_used: (v.used * 100.0).round() / 100.0,
            working_days_budget: v.budget,
            started_at: Some(to_proto(v.clock_start)),
        })
    }

    pub(crate) fn queue_entry(&self, case: &CaseRow, now: i64) -> Result<pb::QueueEntry> {
        Ok(pb::QueueEntry {
            complaint_id: case.complaint_id.clone(),
            registration_number: case.registration_number.clone(),
            channel: case.channel,
            category_code: case.category_code.clone(),
            status: case.status,
            urgent: case.urgent,
            urgency_reasons: split(&case.urgency_reasons),
            registered_at: Some(to_proto(from_micros(case.registered_at))),
            age_working_days: (self.clocks.working_days_between(
                &case.office_code,
                case.registered_at,
                now,
            ) * 100.0)
                .round()
                / 100.0,
            age_hours: (((now - case.registered_at) as f64 / 3.6e9) * 10.0).round() / 10.0,
            sla: Some(self.sla_view(case, now)?),
            unmet_requirements: unmet(case),
            reporter_identified: case.reporter_identified,
            transferred_from: case.transferred_from.clone(),
        })
    }
}
