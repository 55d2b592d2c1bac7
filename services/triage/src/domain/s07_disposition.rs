//! S6-S7: the Head's disposition sends the complaint to the Bidang whose subject it concerns,
//! with instructions and a due date; a later version replaces it, with a reason.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, lifecycle_event::Detail};
use aduan_proto::triage::v1 as pb;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::date_to_proto;
use aduan_runtime::{Error, Result};

use super::{
    CaseRow, Change, Clocks, DispositionRow, HistoryRow, clock_of, event, join, out_of_order,
    refresh_clock,
};

/// The Head's order, validated.
pub struct Order<'a> {
    /// The request (Bidang, note, nature, change reason).
    pub request: &'a pb::IssueDispositionRequest,
    /// The request's instructions without repeats.
    pub instructions: Vec<i32>,
    /// The Head's due date; None: the SLA's due date (not before today).
    pub due: Option<jiff::civil::Date>,
}

/// Issues version n+1 of the disposition of a complaint forwarded to the Head (or disposed
/// already: then a change reason is required).
pub fn issue(
    clocks: &Clocks,
    mut case: CaseRow,
    dispositions: &[DispositionRow],
    who: ActorRec,
    now: i64,
    order: &Order<'_>,
) -> Result<Change> {
    let (r, instructions, due) = (order.request, &order.instructions, order.due);
    let first = case.status == ComplaintStatus::AwaitingDisposition as i32;
    let change = case.status == ComplaintStatus::Disposed as i32;
    if !first && !change {
        return Err(out_of_order(
            "A disposition (S6-S7)",
            case.status,
            "forwarded to the Head (S5)",
        ));
    }
    if change && r.change_reason.trim().is_empty() {
        return Err(Error::invalid(
            "change_reason",
            "required when changing a disposition",
        ));
    }
    let today = clocks.local_date(&case.office_code, now);
    let clock = clock_of(&case);
    let sla_due = clocks.view(&case.office_code, &clock, now)?;
    let tz = clocks.calendar(&case.office_code).time_zone().clone();
    let due_date = match due {
        Some(d) if d < today => {
            return Err(Error::invalid(
                "due_date",
                format!("not before today ({today}) in the office's calendar"),
            ));
        }
        Some(d) => d,
        None => sla_due.due.to_zoned(tz).date().max(today),
    };
    let version = dispositions.last().map(|d| d.version).unwrap_or(0) + 1;
    let nature = if r.nature != 0 {
        r.nature
    } else {
        case.nature.max(1)
    };
    let disposition = DispositionRow {
        complaint_id: case.complaint_id.clone(),
        version,
        bidang_code: r.bidang_code.clone(),
        instructions: join(
            &instructions
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>(),
        ),
        note: r.note.trim().to_string(),
        due_date: due_date.to_string(),
        nature,
        issued_by: who.clone(),
        issued_at: now,
        change_reason: r.change_reason.trim().to_string(),
    };
    case.status = ComplaintStatus::Disposed as i32;
    if first {
        let mut clock = clock.clone();
        clocks.on_event(&mut clock, "disposition_issued", now)?;
        refresh_clock(clocks, &mut case, &clock)?;
    }
    case.updated_at = now;
    let detail = if first {
        format!("version {version} to {}, due {due_date}", r.bidang_code)
    } else {
        format!(
            "version {version} to {}, due {due_date}, replacing version {}",
            r.bidang_code,
            version - 1
        )
    };
    let history = vec![HistoryRow::of(
        &case,
        now,
        who.clone(),
        "disposed",
        detail,
        r.change_reason.trim(),
    )];
    let instruction_names: Vec<String> = instructions
        .iter()
        .filter_map(|i| pb::Instruction::try_from(*i).ok())
        .map(|i| {
            i.as_str_name()
                .trim_start_matches("INSTRUCTION_")
                .to_ascii_lowercase()
        })
        .collect();
    let label = (case.registration_number.clone(), case.category_code.clone());
    let ev = event(
        &mut case,
        Step::S7DisposedToBidang,
        &who,
        now,
        Detail::DispositionIssued(events::DispositionIssued {
            bidang_code: r.bidang_code.clone(),
            instructions: instruction_names,
            due_date: Some(date_to_proto(due_date)),
            version,
            registration_number: label.0,
            category_code: label.1,
        }),
    );
    Ok(Change {
        disposition: Some(disposition),
        ..Change::of(case, history, ev)
    })
}
