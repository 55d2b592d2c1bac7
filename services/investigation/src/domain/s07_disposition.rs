//! S7 → S8: the Head's disposition, received from triage, opens the case in the Bidang it names,
//! or updates it (a new version for the same Bidang), or moves an unanswered case to another
//! Bidang with its history.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, HandlingActivityKind, LifecycleEvent};
use aduan_runtime::time::date_from_proto;
use jiff::civil::Date;

use super::{
    ActorRec, CaseDoc, DRAFT, DispositionRec, File, Reaction, SUPERSEDED, activity, history,
    status_name,
};

/// Applies a disposition (`e` carries `d`) to the case, if investigation holds it already.
pub fn apply(
    e: &LifecycleEvent,
    d: &events::DispositionIssued,
    file: Option<File>,
    at: i64,
    who: ActorRec,
) -> Reaction {
    let bidang = d.bidang_code.trim();
    if bidang.is_empty()
        || bidang.len() > 64
        || !bidang
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err("a disposition without a valid Bidang code".into());
    }
    if e.office_code.is_empty() {
        return Err("a disposition without an office".into());
    }
    let due_date = d.due_date.as_ref().and_then(date_from_proto);
    let mut rec = DispositionRec {
        version: d.version,
        bidang_code: bidang.to_string(),
        instructions: d.instructions.clone(),
        due_date,
        received_at: at,
        applied: true,
    };
    let Some(mut file) = file else {
        return Ok(Some(open_case(e, d, rec, at, &who)));
    };
    if file.office_code != e.office_code {
        // A disposition names the office that holds the complaint; another office's event
        // about this case is refused (dead letter for the operators), never applied.
        return Err(format!(
            "a disposition from office {} for a case of office {}",
            e.office_code, file.office_code
        ));
    }
    if file
        .body
        .dispositions
        .iter()
        .any(|x| x.version >= d.version)
    {
        // A version this case has seen (or an older one): nothing new.
        return Ok(None);
    }
    label(&mut file.body, d);
    let mut events = Vec::new();
    if bidang == file.unit {
        file.body.dispositions.push(rec);
        history(
            &mut file,
            &who,
            at,
            "disposition_updated",
            format!("version {}, due {}", d.version, due(due_date)),
        );
        events.push(updated(&mut file, &who, at, "disposition.updated"));
    } else if file.status == ComplaintStatus::InHandling as i32 && !file.body.answered() {
        events.push(move_case(&mut file, bidang, rec, d.version, at, &who));
    } else {
        rec.applied = false;
        file.body.dispositions.push(rec);
        let detail = format!(
            "version {} to {bidang}: the case is {} with an approved response; it stays in {}",
            d.version,
            status_name(file.status),
            file.unit
        );
        history(&mut file, &who, at, "disposition_not_applied", detail);
        // Reporting sees the Head's instruction that could not be carried out.
        events.push(updated(&mut file, &who, at, "disposition.not_applied"));
    }
    file.updated_at = file.updated_at.max(at);
    Ok(Some((file, events)))
}

/// The first disposition: the case opens in the Bidang, in handling, without officers.
fn open_case(
    e: &LifecycleEvent,
    d: &events::DispositionIssued,
    rec: DispositionRec,
    at: i64,
    who: &ActorRec,
) -> (File, Vec<LifecycleEvent>) {
    let bidang = rec.bidang_code.clone();
    let due_date = rec.due_date;
    let mut file = File {
        complaint_id: e.complaint_id.clone(),
        office_code: e.office_code.clone(),
        unit: bidang.clone(),
        status: ComplaintStatus::InHandling as i32,
        assignees: Vec::new(),
        next_at: None,
        event_seq: 0,
        opened_at: at,
        updated_at: at,
        body: CaseDoc {
            response_version: 1,
            ..Default::default()
        },
    };
    label(&mut file.body, d);
    file.body.dispositions.push(rec);
    history(
        &mut file,
        who,
        at,
        "opened",
        format!(
            "disposition version {} to {bidang}, due {}",
            d.version,
            due(due_date)
        ),
    );
    let ev = activity(
        &mut file,
        Step::S8Clarification,
        who,
        at,
        HandlingActivityKind::CaseOpened,
        |a| {
            a.activity_code = "opened.disposition".into();
        },
    );
    (file, vec![ev])
}

/// An unanswered case moves to the new Bidang with its history; the new Bidang head assigns its
/// own officers.
fn move_case(
    file: &mut File,
    bidang: &str,
    rec: DispositionRec,
    version: i32,
    at: i64,
    who: &ActorRec,
) -> LifecycleEvent {
    let previous = std::mem::replace(&mut file.unit, bidang.to_string());
    for a in &mut file.body.assignments {
        a.superseded = true;
    }
    file.body.assignees.clear();
    file.assignees.clear();
    // The old Bidang's drafts waiting for review are not the new Bidang's response: its
    // Bidang head could otherwise approve a text it never asked for.
    let mut superseded = 0;
    for draft in &mut file.body.responses {
        if draft.state == DRAFT {
            draft.state = SUPERSEDED;
            superseded += 1;
        }
    }
    file.body.dispositions.push(rec);
    history(
        file,
        who,
        at,
        "moved",
        format!(
            "version {version}: from {previous} to {bidang}; officers released{}",
            if superseded > 0 {
                format!("; {superseded} pending draft(s) superseded")
            } else {
                String::new()
            }
        ),
    );
    activity(
        file,
        Step::S8Clarification,
        who,
        at,
        HandlingActivityKind::Moved,
        |a| {
            a.previous_bidang_code = previous;
            a.activity_code = "moved.disposition".into();
        },
    )
}

/// The `DispositionUpdated` activity with `code`.
fn updated(file: &mut File, who: &ActorRec, at: i64, code: &str) -> LifecycleEvent {
    activity(
        file,
        Step::S8Clarification,
        who,
        at,
        HandlingActivityKind::DispositionUpdated,
        |a| {
            a.activity_code = code.into();
        },
    )
}

/// A due date in the history ("-" when there is none).
fn due(d: Option<Date>) -> String {
    d.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

/// The registration number and category a disposition carries (coded, no personal data), kept
/// for the Bidang's lists. Values that are not plain codes are ignored.
fn label(doc: &mut CaseDoc, d: &events::DispositionIssued) {
    let code = |v: &str| {
        !v.is_empty()
            && v.len() <= 64
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if code(&d.registration_number) {
        doc.registration_number = d.registration_number.clone();
    }
    if code(&d.category_code) {
        doc.category_code = d.category_code.clone();
    }
}
