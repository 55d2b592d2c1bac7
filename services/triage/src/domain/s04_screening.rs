//! S4: every complaint is sorted and selected: urgent ones first, anonymous letters ("surat
//! kaleng") screened out. The queue opens with intake's registration and takes amended
//! complaints back after a request for information.

use aduan_proto::common::v1::{ComplaintStatus, Requirement, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::triage::v1::screen_complaint_request::Decision;
use aduan_refdata::RefData;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::{now_micros, to_micros};
use aduan_runtime::{Error, Result, validate};

use super::{
    CaseRow, Change, Clocks, HistoryRow, clock_of, event, is_open, join, out_of_order,
    refresh_clock, split,
};

/// The urgency rules that fired for a complaint (S4: "urgent ones first"), from its category,
/// the identity facts and intake's content markers. Empty: not urgent by rule.
pub fn urgency_rules(
    refdata: &RefData,
    category_code: &str,
    involves_child: bool,
    markers: &[String],
) -> Vec<String> {
    let cat = refdata.category(category_code);
    let violent_category = cat.is_some_and(|c| c.violence);
    let has = |m: &str| markers.iter().any(|x| x == m);
    let violence = violent_category
        || has("violence")
        || has("sexual_violence")
        || has("exploitation")
        || has("neglect");
    let mut out = Vec::new();
    if (involves_child || cat.is_some_and(|c| c.child)) && (violence || has("missing_person")) {
        out.push("child_at_risk".to_string());
    }
    if violence {
        out.push("violence".to_string());
    }
    if has("sexual_violence") {
        out.push("sexual_violence".to_string());
    }
    if has("threat_to_life") {
        out.push("threat_to_life".to_string());
    }
    if has("missing_person") {
        out.push("missing_person".to_string());
    }
    out
}

/// Decides whether a complaint is urgent: the officer's override, or the rules that fired.
pub fn apply_urgency(refdata: &RefData, case: &mut CaseRow) {
    let markers = split(&case.content_markers);
    let mut reasons = urgency_rules(refdata, &case.category_code, case.involves_child, &markers);
    let by_rule = !reasons.is_empty();
    if case.urgency_override.is_some() {
        reasons.push("officer".into());
    }
    case.urgent = case.urgency_override.unwrap_or(by_rule);
    case.urgency_reasons = join(&reasons);
}

/// The statuses of an office's queue: waiting for screening or forwarding, and with
/// `include_waiting` those waiting for information or for the Head.
pub fn queue_statuses(include_waiting: bool) -> Vec<i32> {
    let mut statuses = vec![
        ComplaintStatus::Registered as i32,
        ComplaintStatus::Accepted as i32,
    ];
    if include_waiting {
        statuses.push(ComplaintStatus::NeedsInformation as i32);
        statuses.push(ComplaintStatus::AwaitingDisposition as i32);
    }
    statuses
}

/// The statuses counted as waiting for screening.
pub fn waiting_statuses() -> [i32; 1] {
    [ComplaintStatus::Registered as i32]
}

fn requirements(unmet: &[i32]) -> String {
    join(&unmet.iter().map(|r| r.to_string()).collect::<Vec<_>>())
}

/// Intake's registration (S3) opens the complaint in its office's queue with its clock running;
/// a redelivered registration changes nothing.
pub fn open_case(
    clocks: &Clocks,
    refdata: &RefData,
    e: &LifecycleEvent,
    d: &events::ComplaintRegistered,
    who: ActorRec,
    at: i64,
    case: Option<CaseRow>,
) -> std::result::Result<Option<Change>, String> {
    if case.is_some() {
        return Ok(None);
    }
    if e.office_code.is_empty() || d.registration_number.is_empty() {
        return Err("a registration without office or number".into());
    }
    let received_at = d
        .received_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(to_micros)
        .unwrap_or(at);
    let clock = clocks.start(at).map_err(|e| e.to_string())?;
    let mut case = CaseRow {
        complaint_id: e.complaint_id.clone(),
        office_code: e.office_code.clone(),
        origin_office_code: e.office_code.clone(),
        registration_number: d.registration_number.clone(),
        channel: d.channel,
        category_code: d.category_code.clone(),
        received_at,
        registered_at: at,
        status: ComplaintStatus::Registered as i32,
        reporter_identified: d.reporter_identified,
        anonymous: d.anonymous,
        confidential: d.confidential,
        involves_child: d.involves_child,
        unmet_requirements: requirements(&d.unmet_requirements),
        content_markers: join(&d.content_markers),
        sla_pauses: "[]".into(),
        applied_at: now_micros(),
        updated_at: at,
        ..Default::default()
    };
    apply_urgency(refdata, &mut case);
    refresh_clock(clocks, &mut case, &clock).map_err(|e| e.to_string())?;
    let detail = if case.urgent {
        format!("urgent: {}", case.urgency_reasons)
    } else {
        String::new()
    };
    let history = vec![HistoryRow::of(&case, at, who, "registered", detail, "")];
    Ok(Some(Change {
        case,
        history,
        ..Default::default()
    }))
}

/// Intake's amendment updates the facts (and the urgency); after a request for information it
/// returns the complaint to screening and resumes the clock.
pub fn amend(
    clocks: &Clocks,
    refdata: &RefData,
    d: &events::ComplaintAmended,
    who: ActorRec,
    at: i64,
    case: Option<CaseRow>,
) -> std::result::Result<Option<Change>, String> {
    let Some(mut case) = case else {
        return Err("an amendment of a complaint triage has not received".into());
    };
    case.category_code = d.category_code.clone();
    case.reporter_identified = d.reporter_identified;
    case.anonymous = d.anonymous;
    case.confidential = d.confidential;
    case.involves_child = d.involves_child;
    case.unmet_requirements = requirements(&d.unmet_requirements);
    case.content_markers = join(&d.content_markers);
    apply_urgency(refdata, &mut case);
    let mut detail = format!("revision {}: {}", d.revision, d.changed_fields.join(", "));
    if case.status == ComplaintStatus::NeedsInformation as i32 {
        case.status = ComplaintStatus::Registered as i32;
        let mut clock = clock_of(&case);
        clock.resume(at);
        refresh_clock(clocks, &mut case, &clock).map_err(|e| e.to_string())?;
        detail.push_str("; back to screening, clock resumed");
    }
    case.updated_at = at;
    let history = vec![HistoryRow::of(&case, at, who, "amended", detail, "")];
    Ok(Some(Change {
        case,
        history,
        ..Default::default()
    }))
}

/// The unit's own urgency decision, while the complaint waits for screening, forwarding or the
/// Head.
pub fn set_urgency(
    refdata: &RefData,
    mut case: CaseRow,
    who: ActorRec,
    now: i64,
    urgent: bool,
    reason: &str,
) -> Result<Change> {
    if !is_open(case.status) || case.status == ComplaintStatus::Disposed as i32 {
        return Err(out_of_order(
            "Setting urgency",
            case.status,
            "waiting for screening, forwarding or the Head",
        ));
    }
    case.urgency_override = Some(urgent);
    apply_urgency(refdata, &mut case);
    case.updated_at = now;
    let detail = if urgent { "urgent" } else { "not urgent" };
    let history = vec![HistoryRow::of(
        &case,
        now,
        who,
        "urgency",
        detail,
        reason.trim(),
    )];
    Ok(Change {
        case,
        history,
        ..Default::default()
    })
}

/// The screening decision (S4) on a registered complaint: accepted, rejected as surat kaleng,
/// transferred to another office, referred out, waiting for information (the clock pauses per
/// policy) or a duplicate of `earlier` (already resolved to a complaint of the caller's office).
pub fn screen(
    clocks: &Clocks,
    mut case: CaseRow,
    who: ActorRec,
    now: i64,
    decision: &Decision,
    earlier: Option<&CaseRow>,
) -> Result<Change> {
    if case.status != ComplaintStatus::Registered as i32 {
        return Err(out_of_order(
            "Screening (S4)",
            case.status,
            "registered and waiting for screening",
        ));
    }
    let mut clock = clock_of(&case);
    let from_office = case.office_code.clone();
    let mut screened = events::ComplaintScreened {
        urgent: case.urgent,
        urgency_reasons: split(&case.urgency_reasons),
        ..Default::default()
    };
    let mut history = Vec::new();
    let (action, detail) = match decision {
        Decision::Accept(a) => {
            case.status = ComplaintStatus::Accepted as i32;
            case.screening_reason = a.note.trim().to_string();
            screened.outcome = events::ScreeningOutcome::Accepted as i32;
            ("screened", "accepted".to_string())
        }
        Decision::RejectSuratKaleng(d) => {
            case.status = ComplaintStatus::Rejected as i32;
            case.screening_reason = d.reason.trim().to_string();
            clock.stopped_at = Some(now);
            screened.outcome = events::ScreeningOutcome::RejectedSuratKaleng as i32;
            ("screened", "rejected as surat kaleng".to_string())
        }
        Decision::Transfer(d) => {
            if d.target_office_code == case.office_code {
                return Err(Error::invalid(
                    "transfer.target_office_code",
                    "the complaint is already in this office",
                ));
            }
            history.push(HistoryRow {
                at: now,
                actor: who.clone(),
                action: "transferred".into(),
                status: ComplaintStatus::Transferred as i32,
                detail: format!("to {}", d.target_office_code),
                office_code: from_office.clone(),
                note: d.reason.trim().to_string(),
            });
            case.transferred_to = d.target_office_code.clone();
            case.transferred_from = from_office.clone();
            case.office_code = d.target_office_code.clone();
            case.screening_reason = d.reason.trim().to_string();
            // It arrives in the receiving office's queue, waiting for screening.
            case.status = ComplaintStatus::Registered as i32;
            screened.outcome = events::ScreeningOutcome::Transferred as i32;
            screened.target_office_code = d.target_office_code.clone();
            screened.from_office_code = from_office.clone();
            ("transferred_in", format!("from {from_office}"))
        }
        Decision::ReferOut(d) => {
            case.status = ComplaintStatus::ReferredOut as i32;
            case.referred_to_agency = d.agency.trim().to_string();
            case.screening_reason = d.reason.trim().to_string();
            clock.stopped_at = Some(now);
            screened.outcome = events::ScreeningOutcome::ReferredOut as i32;
            screened.target_agency = case.referred_to_agency.clone();
            ("screened", format!("referred to {}", d.agency.trim()))
        }
        Decision::NeedsInformation(d) => {
            case.status = ComplaintStatus::NeedsInformation as i32;
            case.screening_reason = d.reason.trim().to_string();
            let policy = clocks.policy(&clock.policy)?;
            if policy.is_pause_state("needs_information") {
                clock.pause(now);
            }
            screened.outcome = events::ScreeningOutcome::NeedsInformation as i32;
            let reqs: Vec<&str> = validate::dedup(&d.requirements)
                .into_iter()
                .filter_map(|r| Requirement::try_from(r).ok())
                .map(|r| r.as_str_name())
                .collect();
            (
                "screened",
                format!("needs information ({})", reqs.join(", ")),
            )
        }
        Decision::Duplicate(d) => {
            let e = earlier.ok_or(Error::NotFound("complaint"))?;
            if e.office_code != case.office_code || e.registered_at > case.registered_at {
                return Err(Error::invalid(
                    "duplicate.duplicate_of",
                    "must be an earlier complaint of the same office",
                ));
            }
            case.status = ComplaintStatus::Duplicate as i32;
            case.duplicate_of = d.duplicate_of.clone();
            case.screening_reason = d.reason.trim().to_string();
            clock.stopped_at = Some(now);
            screened.outcome = events::ScreeningOutcome::Duplicate as i32;
            screened.duplicate_of = d.duplicate_of.clone();
            (
                "screened",
                format!(
                    "duplicate of {} ({})",
                    e.registration_number, d.duplicate_of
                ),
            )
        }
    };
    refresh_clock(clocks, &mut case, &clock)?;
    case.updated_at = now;
    let note = case.screening_reason.clone();
    history.push(HistoryRow::of(
        &case,
        now,
        who.clone(),
        action,
        detail,
        note,
    ));
    let ev = event(
        &mut case,
        Step::S4Screened,
        &who,
        now,
        Detail::Screened(screened),
    );
    Ok(Change::of(case, history, ev))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::fixtures::refdata;

    #[test]
    fn urgency_from_category_child_and_markers() {
        let r = refdata();
        assert_eq!(
            urgency_rules(&r, "kekerasan_anak", true, &[]),
            vec!["child_at_risk", "violence"]
        );
        assert!(urgency_rules(&r, "bantuan_sosial", false, &[]).is_empty());
        assert_eq!(
            urgency_rules(&r, "bantuan_sosial", false, &["threat_to_life".into()]),
            vec!["threat_to_life"]
        );
        assert_eq!(
            urgency_rules(&r, "konseling_keluarga", true, &["sexual_violence".into()]),
            vec!["child_at_risk", "violence", "sexual_violence"]
        );
        // A child matter without violence is not urgent by rule.
        assert!(urgency_rules(&r, "perkawinan_anak", true, &[]).is_empty());
    }
}
