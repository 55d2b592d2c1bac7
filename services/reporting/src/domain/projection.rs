//! The projection of one complaint: every service's lifecycle events folded in (order-independent
//! across services), and the coded timeline entry of each event.

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1::{
    HandlingActivityKind, LifecycleEvent, ScreeningOutcome, lifecycle_event::Detail,
};

use aduan_runtime::time::{from_proto, to_micros};
use aduan_spine::casefile::CaseFile;

use super::{Doc, ReportFile, channel_code, occurred};

/// The trace id of an event's traceparent ("" when not traced).
pub fn trace_id(e: &LifecycleEvent) -> String {
    e.trace
        .as_ref()
        .and_then(|t| t.traceparent.split('-').nth(1))
        .filter(|t| t.len() == 32)
        .unwrap_or_default()
        .to_string()
}

/// The timeline kind of an event (as the outbox names it).
pub fn kind_of(e: &LifecycleEvent) -> String {
    match &e.detail {
        Some(Detail::HandlingActivity(a)) => {
            let k = HandlingActivityKind::try_from(a.kind).unwrap_or_default();
            let name = k
                .as_str_name()
                .trim_start_matches("HANDLING_ACTIVITY_KIND_");
            format!("handling_{}", name.to_ascii_lowercase())
        }
        _ => aduan_spine::casefile::event_type(e).to_string(),
    }
}

/// Coded details of an event for the timeline (codes, never free text).
pub fn detail_of(e: &LifecycleEvent) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut kv = |k: &str, v: String| {
        if !v.is_empty() {
            parts.push(format!("{k}={v}"));
        }
    };
    match &e.detail {
        Some(Detail::Registered(d)) => {
            kv("registration", d.registration_number.clone());
            kv("channel", channel_code(d.channel).to_string());
            kv("category", d.category_code.clone());
            if d.involves_child {
                kv("child", "yes".into());
            }
        }
        Some(Detail::Amended(d)) => {
            kv("revision", d.revision.to_string());
            kv("fields", d.changed_fields.join(","));
        }
        Some(Detail::Screened(d)) => {
            let o = ScreeningOutcome::try_from(d.outcome).unwrap_or_default();
            kv(
                "outcome",
                o.as_str_name()
                    .trim_start_matches("SCREENING_OUTCOME_")
                    .to_ascii_lowercase(),
            );
            if d.urgent {
                kv("urgent", "yes".into());
            }
            kv("to_office", d.target_office_code.clone());
            kv("agency", d.target_agency.clone());
        }
        Some(Detail::ForwardedToHead(d)) if d.urgent => kv("urgent", "yes".into()),
        Some(Detail::ForwardedToHead(_)) => {}
        Some(Detail::DispositionIssued(d)) => {
            kv("bidang", d.bidang_code.clone());
            kv("version", d.version.to_string());
            kv("instructions", d.instructions.join(","));
            if let Some(due) = &d.due_date {
                kv(
                    "due",
                    format!("{:04}-{:02}-{:02}", due.year, due.month, due.day),
                );
            }
        }
        Some(Detail::HandlingActivity(a)) => {
            kv("bidang", a.bidang_code.clone());
            kv("activity", a.activity_code.clone());
            kv("outcome", a.outcome_code.clone());
            kv("from_bidang", a.previous_bidang_code.clone());
            if a.response_version > 0 {
                kv("version", a.response_version.to_string());
            }
            kv("topics", a.topic_codes.join(","));
        }
        Some(Detail::EligibilityDecided(d)) => {
            kv("qualifies", if d.qualifies { "yes" } else { "no" }.into());
            kv("reason", d.reason_code.clone());
        }
        Some(Detail::ReferralMade(d)) => {
            kv("agency", d.agency.clone());
            kv("violence", d.violence_type_code.clone());
            kv("services", d.service_codes.join(","));
            kv(
                "consent",
                if d.consent_recorded {
                    "yes"
                } else {
                    "override"
                }
                .into(),
            );
        }
        Some(Detail::ReferralAnswered(d)) => {
            kv("agency", d.agency.clone());
            kv("accepted", if d.accepted { "yes" } else { "no" }.into());
        }
        Some(Detail::ResponseApproved(d)) => {
            kv("bidang", d.bidang_code.clone());
            kv("version", d.version.to_string());
            kv("outcome", d.outcome_code.clone());
        }
        Some(Detail::ResponseDelivered(d)) => {
            kv("channel", channel_code(d.channel).to_string());
            kv("version", d.version.to_string());
        }
        Some(Detail::FeedbackRecorded(d)) => {
            kv("satisfied", if d.satisfied { "yes" } else { "no" }.into());
            if d.reopens {
                kv("reopens", "yes".into());
            }
            kv("grounds", d.grounds_code.clone());
        }
        Some(Detail::SurveySubmitted(d)) => {
            kv("service", d.service_code.clone());
        }
        Some(Detail::HandlingReportApproved(_)) => {}
        Some(Detail::HandlingReportDistributed(d)) => {
            kv("recipient", d.recipient_kind.clone());
        }
        Some(Detail::SlaAlert(d)) => {
            kv(
                "alert",
                if d.breached { "breach" } else { "warning" }.into(),
            );
            kv("policy", d.policy_code.clone());
            kv("stage", d.stage.clone());
            kv("used", format!("{:.2}", d.working_days_used));
            kv("budget", format!("{:.2}", d.working_days_budget));
        }
        Some(Detail::Closed(d)) => kv("reason", d.reason_code.clone()),
        None => {}
    }
    parts.join(" ")
}

impl Doc {
    fn reach(&mut self, step: &str, at: i64) {
        let e = self.reached.entry(step.to_string()).or_insert(at);
        if at < *e {
            *e = at;
        }
    }

    /// Folds one lifecycle event (from any service, in any order across services) into the
    /// projection; `file` is the case file whose office and status it may move.
    pub fn fold(file: &mut ReportFile, e: &LifecycleEvent) {
        let at = occurred(e);
        if at <= 0 {
            // An event without a time cannot be placed; it changes no step, status or office.
            return;
        }
        let d = &mut file.body;
        if e.status != 0 && at >= d.status_at && moves_status(file.status, e) {
            d.status_at = at;
            file.status = e.status;
        }
        // Only triage moves a complaint to another office (a transfer at S4); the office another
        // service states is taken only for a complaint first seen through it (issue 12: a
        // later event of another service cannot move the complaint to another office).
        let moves_office = e.source_service == "triage" || d.office_at == 0;
        if !e.office_code.is_empty() && at >= d.office_at && moves_office {
            d.office_at = at;
            file.office_code = e.office_code.clone();
        }
        match &e.detail {
            Some(Detail::Registered(r)) => {
                d.registered = true;
                d.registration_number = r.registration_number.clone();
                d.channel = r.channel;
                d.category = r.category_code.clone();
                d.child = r.involves_child;
                d.confidential = r.confidential;
                d.repeat = r.reporter_prior_complaints > 0;
                let received = r
                    .received_at
                    .as_ref()
                    .and_then(from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                d.received_at = received;
                d.reach("S2", received);
                d.reach("S3", at);
            }
            Some(Detail::Amended(a)) => {
                if !a.category_code.is_empty() {
                    d.category = a.category_code.clone();
                }
                d.child = a.involves_child;
                d.confidential = a.confidential;
            }
            Some(Detail::Screened(_)) => d.reach("S4", at),
            Some(Detail::ForwardedToHead(_)) => d.reach("S5", at),
            Some(Detail::DispositionIssued(x)) => {
                d.reach("S7", at);
                if !x.bidang_code.is_empty() {
                    d.bidang = x.bidang_code.clone();
                }
            }
            Some(Detail::HandlingActivity(a)) => {
                d.reach("S8", at);
                let moved = a.kind == HandlingActivityKind::Moved as i32
                    || a.kind == HandlingActivityKind::CaseOpened as i32;
                if moved && !a.bidang_code.is_empty() {
                    d.bidang = a.bidang_code.clone();
                }
                if a.kind == HandlingActivityKind::Reopened as i32 {
                    d.warned = false;
                    d.stopped = false;
                }
            }
            Some(Detail::EligibilityDecided(_)) => d.reach("S11", at),
            Some(Detail::ReferralMade(r)) if d.violence_type.is_empty() => {
                d.violence_type = r.violence_type_code.clone();
            }
            Some(Detail::ReferralMade(_)) => {}
            Some(Detail::ReferralAnswered(_)) => {}
            Some(Detail::ResponseApproved(r)) => {
                d.reach("S12", at);
                if !r.bidang_code.is_empty() {
                    d.bidang = r.bidang_code.clone();
                }
            }
            Some(Detail::ResponseDelivered(x)) => {
                let when = x
                    .delivered_at
                    .as_ref()
                    .and_then(from_proto)
                    .map(to_micros)
                    .unwrap_or(at);
                d.reach("S13", when);
                d.stopped = true;
            }
            Some(Detail::FeedbackRecorded(f)) => {
                d.reach("S14", at);
                d.satisfied = Some(f.satisfied);
                if f.reopens {
                    d.stopped = false;
                    d.warned = false;
                }
            }
            Some(Detail::SurveySubmitted(_)) => {}
            Some(Detail::HandlingReportApproved(_)) => d.reach("S15", at),
            Some(Detail::HandlingReportDistributed(_)) => {}
            Some(Detail::SlaAlert(s)) => {
                if s.breached {
                    d.breached = true;
                } else {
                    d.warned = true;
                }
            }
            Some(Detail::Closed(c)) => {
                d.reach("closed", at);
                d.close_reason = c.reason_code.clone();
            }
            None => {}
        }
    }
}

/// Receives one event of any service at `now` (microseconds): the complaint's projection (opened
/// by the first event seen of it: events of different services arrive in any order) with the
/// event folded in. Refused for good: an event without complaint or office.
pub fn receive(
    current: Option<ReportFile>,
    e: &LifecycleEvent,
    now: i64,
) -> Result<ReportFile, String> {
    if e.complaint_id.is_empty() || e.office_code.is_empty() {
        return Err("an event without complaint or office".into());
    }
    let at = occurred(e);
    let mut file = current.unwrap_or_else(|| CaseFile {
        complaint_id: e.complaint_id.clone(),
        office_code: e.office_code.clone(),
        unit: String::new(),
        status: 0,
        assignees: Vec::new(),
        next_at: None,
        event_seq: 0,
        opened_at: if at > 0 { at } else { now },
        updated_at: now,
        body: Doc::default(),
    });
    Doc::fold(&mut file, e);
    file.updated_at = now;
    Ok(file)
}

/// Whether an event's status is the complaint's status from now on. Some events carry the status
/// their service last knew, which can be behind the complaint's: intake's amendments (intake
/// keeps REGISTERED; they count only to take a complaint back from NEEDS_INFORMATION), triage's
/// SLA alerts and feedback's surveys. A closed complaint stays closed.
fn moves_status(current: i32, e: &LifecycleEvent) -> bool {
    if current == ComplaintStatus::Closed as i32 {
        return false;
    }
    match &e.detail {
        Some(Detail::Amended(_)) => current == ComplaintStatus::NeedsInformation as i32,
        Some(Detail::SlaAlert(_) | Detail::SurveySubmitted(_)) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_statuses_do_not_move_the_complaint_back() {
        use aduan_proto::events::v1 as ev;
        let at = |secs: i64| {
            Some(prost_types::Timestamp {
                seconds: secs,
                nanos: 0,
            })
        };
        let event = |secs, status: ComplaintStatus, office: &str, detail| LifecycleEvent {
            occurred_at: at(secs),
            status: status as i32,
            office_code: office.into(),
            detail: Some(detail),
            ..Default::default()
        };
        let mut f = ReportFile {
            complaint_id: "c".into(),
            office_code: "35.27".into(),
            unit: String::new(),
            status: 0,
            assignees: Vec::new(),
            next_at: None,
            event_seq: 0,
            opened_at: 0,
            updated_at: 0,
            body: Doc::default(),
        };
        let approved = Detail::ResponseApproved(ev::ResponseApproved::default());
        Doc::fold(
            &mut f,
            &event(100, ComplaintStatus::ResponseReady, "35.26", approved),
        );
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::ResponseReady as i32, "35.26")
        );
        // Intake's amendment carries REGISTERED and the registering office.
        let amended = Detail::Amended(ev::ComplaintAmended::default());
        Doc::fold(
            &mut f,
            &event(200, ComplaintStatus::Registered, "35.27", amended.clone()),
        );
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::ResponseReady as i32, "35.26")
        );
        let alert = Detail::SlaAlert(ev::SlaAlert::default());
        Doc::fold(
            &mut f,
            &event(300, ComplaintStatus::Disposed, "35.26", alert),
        );
        assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
        let closed = Detail::Closed(ev::ComplaintClosed::default());
        Doc::fold(
            &mut f,
            &event(400, ComplaintStatus::Closed, "35.26", closed),
        );
        let survey = Detail::SurveySubmitted(ev::SurveySubmitted::default());
        Doc::fold(
            &mut f,
            &event(500, ComplaintStatus::Reporting, "35.26", survey),
        );
        let delivered = Detail::ResponseDelivered(ev::ResponseDelivered::default());
        Doc::fold(
            &mut f,
            &event(600, ComplaintStatus::ResponseDelivered, "35.26", delivered),
        );
        assert_eq!(
            f.status,
            ComplaintStatus::Closed as i32,
            "closed stays closed"
        );
        // Back from NEEDS_INFORMATION an amendment counts; an event without a time changes nothing.
        f.status = ComplaintStatus::NeedsInformation as i32;
        Doc::fold(
            &mut f,
            &event(700, ComplaintStatus::Registered, "35.27", amended),
        );
        assert_eq!(f.status, ComplaintStatus::Registered as i32);
        let mut untimed = event(
            0,
            ComplaintStatus::Closed,
            "35.01",
            Detail::Closed(ev::ComplaintClosed::default()),
        );
        untimed.occurred_at = None;
        Doc::fold(&mut f, &untimed);
        assert_eq!(
            (f.status, f.office_code.as_str()),
            (ComplaintStatus::Registered as i32, "35.26")
        );
        assert_eq!(
            f.body.reached.get("closed"),
            Some(&400_000_000),
            "not moved to 1970"
        );
    }
}
