//! S6: a written complaint goes to the Head with a disposition sheet (lembar disposisi)
//! attached: the office's agenda entry, the sender and letter as intake recorded them, the
//! Head's instructions and signature.

use aduan_documents::tanggal;
use aduan_proto::common::v1::Channel;
use aduan_proto::intake::v1 as intake_pb;
use aduan_proto::triage::v1 as pb;
use aduan_refdata::RefData;
use aduan_runtime::time::{date_to_proto, from_micros, to_proto};
use aduan_runtime::{Error, Result};

use super::{CaseRow, Clocks, DispositionRow, channel_label, out_of_order};

/// The index of the disposition `version` asks for (0: the latest); FAILED_PRECONDITION before
/// the Head has disposed.
pub fn pick(case: &CaseRow, dispositions: &[DispositionRow], version: i32) -> Result<usize> {
    if dispositions.is_empty() {
        return Err(out_of_order(
            "A disposition sheet (S6)",
            case.status,
            "disposed by the Head",
        ));
    }
    let last = dispositions.len();
    match version {
        0 => Ok(last - 1),
        n if n > 0 && (n as usize) <= last => Ok(n as usize - 1),
        _ => Err(Error::invalid("version", format!("between 1 and {last}"))),
    }
}

/// The sheet of disposition `d` (`disposition` is its wire form) for the complaint as intake
/// keeps it.
pub fn sheet(
    clocks: &Clocks,
    refdata: &RefData,
    case: &CaseRow,
    d: &DispositionRow,
    disposition: pb::Disposition,
    complaint: intake_pb::Complaint,
) -> pb::DispositionSheet {
    let office = refdata.office(&case.office_code);
    let office_name = office.map(|o| o.name.clone()).unwrap_or_default();
    let received_date = clocks.local_date(&case.office_code, case.received_at);
    let reporter = complaint.reporter.clone().unwrap_or_default();
    let identity = complaint.identity.unwrap_or_default();
    let sender = if !reporter.full_name.trim().is_empty() {
        if identity.anonymous {
            format!(
                "{} (anonim: dirahasiakan dari terlapor dan publik)",
                reporter.full_name.trim()
            )
        } else {
            reporter.full_name.trim().to_string()
        }
    } else if case.channel == Channel::PartnerApi as i32 {
        "Instansi mitra".into()
    } else {
        "Tidak diketahui".into()
    };
    let letter = complaint.letter.clone().unwrap_or_default();
    let (letter_number, letter_date) = if !letter.number.trim().is_empty() {
        (
            letter.number.trim().to_string(),
            letter.date.or_else(|| Some(date_to_proto(received_date))),
        )
    } else {
        (
            channel_label(case.channel).to_string(),
            Some(date_to_proto(received_date)),
        )
    };
    let subject = if !letter.subject.trim().is_empty() {
        letter.subject.trim().to_string()
    } else {
        complaint
            .content
            .as_ref()
            .map(|c| c.subject.trim().to_string())
            .unwrap_or_default()
    };
    let issued = clocks.local_date(&case.office_code, d.issued_at);
    let place = office
        .map(|o| {
            o.name
                .rsplit(" Kabupaten ")
                .next()
                .unwrap_or(&o.name)
                .rsplit(" Kota ")
                .next()
                .unwrap_or(&o.name)
                .to_string()
        })
        .unwrap_or_default();
    pb::DispositionSheet {
        office_name: office_name.clone(),
        office_code: case.office_code.clone(),
        agenda_number: case.registration_number.clone(),
        received_date: Some(date_to_proto(received_date)),
        sender,
        letter_number,
        letter_date,
        subject,
        nature: d.nature,
        instructions: disposition.instructions.clone(),
        note: d.note.clone(),
        target_bidang_code: d.bidang_code.clone(),
        target_bidang_name: disposition.bidang_name.clone(),
        due_date: disposition.due_date,
        summary: case.head_summary.clone(),
        signature: Some(pb::SignatureBlock {
            title: format!("Kepala {}", office_name),
            signed_by: d.issued_by.subject.clone(),
            signed_at: Some(to_proto(from_micros(d.issued_at))),
            place_date: format!("{place}, {}", tanggal(issued)),
        }),
        version: d.version,
        superseded: disposition.superseded,
        channel: case.channel,
        urgent: case.urgent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_runtime::actor::ActorRec;

    #[test]
    fn the_sheet_of_a_version() {
        let case = CaseRow::default();
        assert!(matches!(
            pick(&case, &[], 0),
            Err(Error::FailedPrecondition(_))
        ));
        let d = DispositionRow {
            complaint_id: "c".into(),
            version: 1,
            bidang_code: "b".into(),
            instructions: String::new(),
            note: String::new(),
            due_date: String::new(),
            nature: 1,
            issued_by: ActorRec::system(),
            issued_at: 0,
            change_reason: String::new(),
        };
        let two = [d.clone(), DispositionRow { version: 2, ..d }];
        assert_eq!(pick(&case, &two, 0).unwrap(), 1);
        assert_eq!(pick(&case, &two, 1).unwrap(), 0);
        assert!(matches!(
            pick(&case, &two, 3),
            Err(Error::InvalidArgument(_))
        ));
    }
}
