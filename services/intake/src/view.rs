//! Intake's wire forms: the complaint with its body and R1-R6 checks, its summary without
//! personal data, and the coded view a Bidang gets.

use aduan_proto::intake::v1 as pb;
use aduan_runtime::time::{from_micros, to_proto};

use crate::Intake;
use crate::domain::{self, Assessment, ComplaintRow, s03_registration::display_tracking_code};

/// Removes everything personal or free-text from a complaint: what remains are codes, dates,
/// the status and the R1-R6 assessment.
pub(crate) fn coded_view(c: &mut pb::Complaint) {
    c.letter = None;
    c.reporter = None;
    c.reported_party = None;
    c.victims.clear();
    if let Some(content) = c.content.take() {
        c.content = Some(pb::ComplaintContent {
            incident_date: content.incident_date,
            incident_district_code: content.incident_district_code,
            category_code: content.category_code,
            ..Default::default()
        });
    }
}

impl Intake {
    /// The wire form of a complaint; `assessed` is the R1-R6 check already made for this body
    /// (submit and amend have it), else it is made here.
    pub(crate) fn complaint(
        &self,
        row: &ComplaintRow,
        body: pb::ComplaintPatch,
        revision: i32,
        assessed: Option<Assessment>,
    ) -> pb::Complaint {
        let a = assessed.unwrap_or_else(|| self.assess(&body, row));
        let visibility = body.visibility.unwrap_or_default();
        pb::Complaint {
            id: row.id.clone(),
            office_code: row.current_office.clone(),
            registration_number: row.registration_number.clone(),
            tracking_code: display_tracking_code(&row.tracking_code),
            channel: row.channel,
            received_at: Some(to_proto(from_micros(row.received_at))),
            registered_at: Some(to_proto(from_micros(row.registered_at))),
            updated_at: Some(to_proto(from_micros(row.updated_at))),
            recorded_by: Some(row.recorded_by.to_pb()),
            status: row.status,
            letter: body.letter,
            reporter: body.reporter,
            reported_party: body.reported_party,
            victims: body.victims,
            content: body.content,
            identity: Some(pb::IdentityFacts {
                reporter_identified: a.reporter_identified,
                anonymous: visibility.anonymous,
                confidential: visibility.confidential,
                involves_child: a.involves_child,
            }),
            unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
            requirements: a.checks,
            revision,
            partner_reference: body.partner_reference,
            attachments: body.attachments,
        }
    }

    pub(crate) fn summary(row: &ComplaintRow) -> pb::ComplaintSummary {
        pb::ComplaintSummary {
            id: row.id.clone(),
            office_code: row.current_office.clone(),
            registration_number: row.registration_number.clone(),
            channel: row.channel,
            category_code: row.category_code.clone(),
            status: row.status,
            received_at: Some(to_proto(from_micros(row.received_at))),
            registered_at: Some(to_proto(from_micros(row.registered_at))),
            unmet_requirements: domain::unmet_from_mask(row.unmet_mask)
                .into_iter()
                .map(|r| r as i32)
                .collect(),
            identity: Some(pb::IdentityFacts {
                reporter_identified: row.reporter_identified,
                anonymous: row.anonymous,
                confidential: row.confidential,
                involves_child: row.involves_child,
            }),
            revision: row.revision,
        }
    }
}
