//! S5: the unit forwards an accepted complaint to the Head of the office, with a summary and
//! the nature of the matter (confidential, urgent or ordinary unless the officer says).

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, lifecycle_event::Detail};
use aduan_proto::triage::v1 as pb;
use aduan_runtime::Result;
use aduan_runtime::actor::ActorRec;

use super::{CaseRow, Change, Clocks, HistoryRow, clock_of, event, out_of_order, refresh_clock};

/// Forwards the complaint to the Head (S5): it waits for the disposition.
pub fn forward(
    clocks: &Clocks,
    mut case: CaseRow,
    who: ActorRec,
    now: i64,
    summary: &str,
    nature: i32,
) -> Result<Change> {
    if case.status != ComplaintStatus::Accepted as i32 {
        return Err(out_of_order(
            "Forwarding to the Head (S5)",
            case.status,
            "accepted at screening (S4)",
        ));
    }
    case.status = ComplaintStatus::AwaitingDisposition as i32;
    case.head_summary = summary.trim().to_string();
    case.nature = if nature != 0 {
        nature
    } else if case.confidential {
        pb::Nature::Rahasia as i32
    } else if case.urgent {
        pb::Nature::Segera as i32
    } else {
        pb::Nature::Biasa as i32
    };
    let mut clock = clock_of(&case);
    clocks.on_event(&mut clock, "forwarded_to_head", now)?;
    refresh_clock(clocks, &mut case, &clock)?;
    case.updated_at = now;
    let detail = format!(
        "to the Head, {}",
        pb::Nature::try_from(case.nature)
            .map(|n| n.as_str_name().trim_start_matches("NATURE_"))
            .unwrap_or("")
    );
    let history = vec![HistoryRow::of(
        &case,
        now,
        who.clone(),
        "forwarded",
        detail,
        "",
    )];
    let urgent = case.urgent;
    let ev = event(
        &mut case,
        Step::S5ForwardedToHead,
        &who,
        now,
        Detail::ForwardedToHead(events::ForwardedToHead { urgent }),
    );
    Ok(Change::of(case, history, ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::refdata;
    use crate::domain::status_name;

    #[test]
    fn only_an_accepted_complaint_goes_to_the_head_with_its_nature() {
        let clocks = Clocks::load(&refdata(), "sop_4_working_days", None).unwrap();
        let start = clocks.start(0).unwrap();
        let mut case = CaseRow {
            complaint_id: "c".into(),
            office_code: "35.27".into(),
            status: ComplaintStatus::Registered as i32,
            confidential: true,
            sla_policy: start.policy,
            sla_stage: start.stage,
            sla_pauses: "[]".into(),
            ..Default::default()
        };
        let who = ActorRec::system();
        let refused = forward(&clocks, case.clone(), who.clone(), 1, "summary", 0).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains(status_name(ComplaintStatus::Registered as i32))
        );
        case.status = ComplaintStatus::Accepted as i32;
        let change = forward(&clocks, case, who, 1, " summary ", 0).unwrap();
        assert_eq!(
            change.case.status,
            ComplaintStatus::AwaitingDisposition as i32
        );
        assert_eq!(change.case.nature, pb::Nature::Rahasia as i32);
        assert_eq!(change.case.head_summary, "summary");
        assert_eq!(change.case.event_seq, 1);
        assert_eq!(change.events.len(), 1);
    }
}
