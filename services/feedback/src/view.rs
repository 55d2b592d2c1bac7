//! Feedback's records as the wire shows them, and the wire's codes as the records keep them.

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::feedback::v1 as pb;
use aduan_runtime::time::{from_micros, to_proto};

use crate::domain::FeedbackFile;
use crate::domain::s14_feedback::GROUNDS;

/// The code of a ground of dissatisfaction.
pub fn ground_code(g: pb::Ground) -> Option<&'static str> {
    match g {
        pb::Ground::Unspecified => None,
        pb::Ground::NotAnswered => Some(GROUNDS[0]),
        pb::Ground::Incorrect => Some(GROUNDS[1]),
        pb::Ground::TooSlow => Some(GROUNDS[2]),
        pb::Ground::NotFollowedUp => Some(GROUNDS[3]),
        pb::Ground::Other => Some(GROUNDS[4]),
    }
}

fn ground_of(code: &str) -> i32 {
    let g = match code {
        "not_answered" => pb::Ground::NotAnswered,
        "incorrect" => pb::Ground::Incorrect,
        "too_slow" => pb::Ground::TooSlow,
        "not_followed_up" => pb::Ground::NotFollowedUp,
        "other" => pb::Ground::Other,
        _ => pb::Ground::Unspecified,
    };
    g as i32
}

/// A time of the records (microseconds) on the wire.
pub fn tsp(at: i64) -> Option<prost_types::Timestamp> {
    Some(to_proto(from_micros(at)))
}

/// The statuses of a queue.
pub fn queue_statuses(q: pb::Queue) -> Vec<i32> {
    let s = |x: ComplaintStatus| x as i32;
    match q {
        pb::Queue::Unspecified => vec![
            s(ComplaintStatus::ResponseReady),
            s(ComplaintStatus::ResponseDelivered),
            s(ComplaintStatus::InHandling),
            s(ComplaintStatus::Reporting),
        ],
        pb::Queue::AwaitingDelivery => vec![s(ComplaintStatus::ResponseReady)],
        pb::Queue::AwaitingFeedback => vec![s(ComplaintStatus::ResponseDelivered)],
        pb::Queue::Reopened => vec![s(ComplaintStatus::InHandling)],
        pb::Queue::Reporting => vec![s(ComplaintStatus::Reporting)],
        pb::Queue::Closed => vec![s(ComplaintStatus::Closed)],
    }
}

/// The record as GetCase shows it, personal content included: its readers gave a purpose and
/// the read is in the access log.
pub fn case(f: &FeedbackFile) -> pb::FeedbackCase {
    let d = &f.body;
    pb::FeedbackCase {
        complaint_id: f.complaint_id.clone(),
        office_code: f.office_code.clone(),
        bidang_code: f.unit.clone(),
        status: f.status,
        response_version: d.version(),
        responses: d
            .responses
            .iter()
            .map(|r| pb::ResponseVersion {
                version: r.version,
                bidang_code: r.bidang_code.clone(),
                qualified: r.qualified,
                outcome_code: r.outcome_code.clone(),
                approved_at: tsp(r.approved_at),
            })
            .collect(),
        deliveries: d
            .deliveries
            .iter()
            .map(|x| pb::Delivery {
                version: x.version,
                channel: x.channel,
                delivered_at: tsp(x.delivered_at),
                note: x.note.clone(),
                recorded_by: Some(x.recorded_by.to_pb()),
                recorded_at: tsp(x.recorded_at),
            })
            .collect(),
        feedback: d
            .feedback
            .iter()
            .map(|x| pb::Feedback {
                version: x.version,
                satisfied: x.satisfied,
                grounds: x.grounds.iter().map(|g| ground_of(g)).collect(),
                comments: x.comments.clone(),
                reopen_requested: x.reopen_requested,
                reopened: x.reopened,
                given_at: tsp(x.given_at),
                recorded_by: Some(x.recorded_by.to_pb()),
                recorded_at: tsp(x.recorded_at),
            })
            .collect(),
        silence_due_at: f.next_at.and_then(tsp),
        reopen_count: d.reopen_count,
        survey_id: d.survey_id.clone(),
        closed_reason_code: d.closed_reason.clone(),
        closed_at: d.closed_at.and_then(tsp),
        history: d
            .history
            .iter()
            .map(|h| pb::HistoryEntry {
                at: tsp(h.at),
                actor: Some(h.actor.to_pb()),
                action: h.action.clone(),
                status: h.status,
                detail: h.detail.clone(),
            })
            .collect(),
        registration_number: d.registration_number.clone(),
        category_code: d.category_code.clone(),
    }
}

/// The record as the write calls (RecordDelivery, RecordFeedback) answer it: [`case`]
/// without free text (every delivery note and complainant comment empty), since those calls
/// write no access log entry. Personal content is read through GetCase only.
pub fn coded_case(f: &FeedbackFile) -> pb::FeedbackCase {
    let mut c = case(f);
    for d in &mut c.deliveries {
        d.note.clear();
    }
    for x in &mut c.feedback {
        x.comments.clear();
    }
    c
}

/// A queue line: codes, dates and counts only.
pub fn entry(f: &FeedbackFile) -> pb::QueueEntry {
    let d = &f.body;
    let current = d.current().cloned().unwrap_or_default();
    let delivery = d.current_delivery();
    pb::QueueEntry {
        complaint_id: f.complaint_id.clone(),
        office_code: f.office_code.clone(),
        bidang_code: f.unit.clone(),
        status: f.status,
        response_version: current.version,
        outcome_code: current.outcome_code.clone(),
        qualified: current.qualified,
        approved_at: tsp(current.approved_at),
        delivered_at: delivery.and_then(|x| tsp(x.delivered_at)),
        delivery_channel: delivery.map(|x| x.channel).unwrap_or(0),
        silence_due_at: f.next_at.and_then(tsp),
        reopen_count: d.reopen_count,
        survey_submitted: !d.survey_id.is_empty(),
        updated_at: tsp(f.updated_at),
        registration_number: d.registration_number.clone(),
        category_code: d.category_code.clone(),
    }
}
