//! Conversions from the case document to the wire types, in one place: the full case (GetCase,
//! logged) and the summary without personal content (lists and the answers of steps).

use aduan_proto::common::v1::{Actor, ComplaintStatus};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::time::{date_to_proto, from_micros, to_proto};
use aduan_spine::casefile::CaseFile;
use jiff::civil::Date;

use crate::domain::{
    ActorRec, AssigneeRec, CaseDoc, DRAFT, DraftRec, EvidenceRec, FileRec, HistoryRec, ReferralRec,
};

/// A wire actor.
pub fn actor(a: &ActorRec) -> Actor {
    a.to_pb()
}

fn ts(us: i64) -> Option<prost_types::Timestamp> {
    Some(to_proto(from_micros(us)))
}

fn date(d: &Option<Date>) -> Option<aduan_proto::common::v1::Date> {
    d.map(date_to_proto)
}

fn assignee(a: &AssigneeRec) -> pb::Assignee {
    pb::Assignee {
        subject: a.subject.clone(),
        function: a.function,
    }
}

/// The referral's state.
pub fn referral_state(r: &ReferralRec) -> pb::ReferralState {
    match &r.answer {
        None => pb::ReferralState::Pending,
        Some(a) if a.accepted => pb::ReferralState::Accepted,
        Some(_) => pb::ReferralState::Rejected,
    }
}

fn referral(r: &ReferralRec) -> pb::Referral {
    pb::Referral {
        id: r.id.clone(),
        agency: r.agency.clone(),
        agency_name: r.agency_name.clone(),
        violence_type_code: r.violence_type_code.clone(),
        place_code: r.place_code.clone(),
        relationship_code: r.relationship_code.clone(),
        age_band_code: r.age_band_code.clone(),
        service_codes: r.service_codes.clone(),
        reason: r.reason.clone(),
        consent_id: r.consent_id.clone(),
        override_reason: r.override_reason.clone(),
        state: referral_state(r) as i32,
        answer: r.answer.as_ref().map(|a| pb::ReferralAnswer {
            accepted: a.accepted,
            reason_code: a.reason_code.clone(),
            note: a.note.clone(),
            agency_reference: a.agency_reference.clone(),
            answered_by: Some(actor(&a.by)),
            answered_at: ts(a.at),
        }),
        referred_by: Some(actor(&r.by)),
        referred_at: ts(r.at),
    }
}

fn file_info(f: &FileRec) -> pb::EvidenceFileInfo {
    pb::EvidenceFileInfo {
        file_name: f.file_name.clone(),
        content_type: f.content_type.clone(),
        size_bytes: f.size_bytes,
        sha256: f.sha256.clone(),
        metadata_removed: f.metadata_removed,
    }
}

/// The metadata of an evidence file.
pub fn evidence_file_info(e: &EvidenceRec) -> Option<pb::EvidenceFileInfo> {
    e.file.as_ref().map(file_info)
}

fn evidence(e: &EvidenceRec) -> pb::Evidence {
    pb::Evidence {
        id: e.id.clone(),
        kind: e.kind,
        source: e.source,
        source_detail: e.source_detail.clone(),
        collected_on: date(&e.collected_on),
        collected_by: e.collected_by.clone(),
        description: e.description.clone(),
        file: evidence_file_info(e),
        recorded_by: Some(actor(&e.by)),
        recorded_at: ts(e.at),
    }
}

fn draft(d: &DraftRec) -> pb::ResponseDraft {
    pb::ResponseDraft {
        version: d.version,
        revision: d.revision,
        text: d.text.clone(),
        outcome_code: d.outcome_code.clone(),
        state: d.state,
        drafted_by: Some(actor(&d.by)),
        drafted_at: ts(d.at),
        reviewed_by: d.reviewed_by.as_ref().map(actor),
        reviewed_at: d.reviewed_at.and_then(ts),
        return_reason: d.return_reason.clone(),
    }
}

fn history(h: &HistoryRec) -> pb::HistoryEntry {
    pb::HistoryEntry {
        at: ts(h.at),
        actor: Some(actor(&h.actor)),
        action: h.action.clone(),
        status: h.status,
        detail: h.detail.clone(),
    }
}

/// The full case with its personal content (GetCase; the caller has been logged).
pub fn case(f: &CaseFile<CaseDoc>) -> pb::Case {
    let d = &f.body;
    let current = d.current_disposition();
    let last_decision = d.eligibility.len();
    pb::Case {
        complaint_id: f.complaint_id.clone(),
        office_code: f.office_code.clone(),
        bidang_code: f.unit.clone(),
        status: f.status,
        opened_at: ts(f.opened_at),
        updated_at: ts(f.updated_at),
        due_date: current.and_then(|c| date(&c.due_date)),
        instructions: current.map(|c| c.instructions.clone()).unwrap_or_default(),
        dispositions: d
            .dispositions
            .iter()
            .map(|x| pb::DispositionRecord {
                version: x.version,
                bidang_code: x.bidang_code.clone(),
                instructions: x.instructions.clone(),
                due_date: date(&x.due_date),
                received_at: ts(x.received_at),
                applied: x.applied,
            })
            .collect(),
        assignees: d.assignees.iter().map(assignee).collect(),
        assignments: d
            .assignments
            .iter()
            .map(|a| pb::Assignment {
                assignees: a.assignees.iter().map(assignee).collect(),
                assigned_by: Some(actor(&a.by)),
                assigned_at: ts(a.at),
                reason: a.reason.clone(),
                superseded: a.superseded,
            })
            .collect(),
        interviews: d
            .interviews
            .iter()
            .map(|i| pb::Interview {
                id: i.id.clone(),
                kind: i.kind,
                party: i.party,
                channel: i.channel,
                held_on: date(&i.held_on),
                present: i.present.clone(),
                summary: i.summary.clone(),
                intake_revision: i.intake_revision,
                amended_fields: i.amended_fields.clone(),
                unmet_requirements: i.unmet_requirements.clone(),
                recorded_by: Some(actor(&i.by)),
                recorded_at: ts(i.at),
            })
            .collect(),
        evidence: d.evidence.iter().map(evidence).collect(),
        home_visits: d
            .home_visits
            .iter()
            .map(|h| pb::HomeVisit {
                id: h.id.clone(),
                visited_on: date(&h.visited_on),
                location: h.location.clone(),
                present: h.present.clone(),
                findings: h.findings.clone(),
                recorded_by: Some(actor(&h.by)),
                recorded_at: ts(h.at),
            })
            .collect(),
        coordinations: d
            .coordinations
            .iter()
            .map(|c| pb::Coordination {
                id: c.id.clone(),
                agency: c.agency.clone(),
                channel: c.channel,
                held_on: date(&c.held_on),
                summary: c.summary.clone(),
                recorded_by: Some(actor(&c.by)),
                recorded_at: ts(c.at),
            })
            .collect(),
        eligibility: d
            .eligibility
            .iter()
            .enumerate()
            .map(|(i, e)| pb::EligibilityDecision {
                qualifies: e.qualifies,
                reason_code: e.reason_code.clone(),
                note: e.note.clone(),
                decided_by: Some(actor(&e.by)),
                decided_at: ts(e.at),
                superseded: i + 1 < last_decision,
            })
            .collect(),
        sessions: d
            .sessions
            .iter()
            .map(|s| pb::Session {
                id: s.id.clone(),
                kind: s.kind,
                held_on: date(&s.held_on),
                topic_codes: s.topic_codes.clone(),
                parties: s
                    .parties
                    .iter()
                    .map(|p| pb::SessionParty {
                        role: p.role,
                        name: p.name.clone(),
                        attended: p.attended,
                    })
                    .collect(),
                outcome: s.outcome,
                agreement_terms: s.agreement_terms.clone(),
                summary: s.summary.clone(),
                next_session_on: date(&s.next_session_on),
                recorded_by: Some(actor(&s.by)),
                recorded_at: ts(s.at),
            })
            .collect(),
        consents: d
            .consents
            .iter()
            .map(|c| pb::Consent {
                id: c.id.clone(),
                subject_role: c.subject_role,
                subject_name: c.subject_name.clone(),
                subject_is_child: c.subject_is_child,
                giver: c.giver,
                giver_name: c.giver_name.clone(),
                giver_is_alleged_perpetrator: c.giver_is_alleged_perpetrator,
                form: c.form,
                given_on: date(&c.given_on),
                recorded_by: Some(actor(&c.by)),
                recorded_at: ts(c.at),
            })
            .collect(),
        referrals: d.referrals.iter().map(referral).collect(),
        notes: d
            .notes
            .iter()
            .map(|n| pb::CaseNote {
                id: n.id.clone(),
                text: n.text.clone(),
                author: Some(actor(&n.by)),
                written_at: ts(n.at),
            })
            .collect(),
        responses: d.responses.iter().map(draft).collect(),
        response_version: d.response_version,
        reopen_count: d.reopen_count,
        history: d.history.iter().map(history).collect(),
        registration_number: d.registration_number.clone(),
        category_code: d.category_code.clone(),
    }
}

/// The case without personal content; `today` is the office's date (for `overdue`).
pub fn summary(f: &CaseFile<CaseDoc>, today: Date) -> pb::CaseSummary {
    let d = &f.body;
    let due = d.current_disposition().and_then(|c| c.due_date);
    let eligibility = match d.eligibility() {
        None => pb::EligibilityState::Undecided,
        Some(e) if e.qualifies => pb::EligibilityState::Qualifies,
        Some(_) => pb::EligibilityState::NotQualified,
    };
    let latest = d.latest_draft();
    pb::CaseSummary {
        complaint_id: f.complaint_id.clone(),
        office_code: f.office_code.clone(),
        bidang_code: f.unit.clone(),
        status: f.status,
        opened_at: ts(f.opened_at),
        updated_at: ts(f.updated_at),
        due_date: date(&due),
        overdue: f.status == ComplaintStatus::InHandling as i32 && due.is_some_and(|d| d < today),
        assignees: d.assignees.iter().map(assignee).collect(),
        eligibility: eligibility as i32,
        response_state: latest.map(|l| l.state).unwrap_or(0),
        response_version: d.response_version,
        pending_referrals: d.referrals.iter().filter(|r| r.answer.is_none()).count() as i32,
        latest_draft_revision: latest.map(|l| l.revision).unwrap_or(0),
        registration_number: d.registration_number.clone(),
        category_code: d.category_code.clone(),
    }
}

/// True when the latest draft waits for the Bidang head.
pub fn draft_waiting(d: &CaseDoc) -> bool {
    d.latest_draft()
        .is_some_and(|l| l.state == DRAFT && l.version == d.response_version)
}
