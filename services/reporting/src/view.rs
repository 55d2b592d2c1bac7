//! Reporting's records as the wire shows them.

use aduan_runtime::actor::ActorRec;

use crate::core::{Reporting, tsp};
use crate::domain::s15_report::report_number;
use crate::domain::{DistributionRec, ReportFile};
use crate::pb;

impl Reporting {
    /// The name of an agency as an office's reports print it.
    pub(crate) fn agency_name(&self, office: &str, code: &str) -> String {
        let office_name = self
            .refdata()
            .office(office)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        self.directory()
            .agency(code)
            .map(|a| a.name_for(&office_name))
            .unwrap_or_else(|| code.to_string())
    }

    /// The name printed for a recipient.
    pub fn recipient_name(&self, office: &str, d: &DistributionRec) -> String {
        match pb::RecipientKind::try_from(d.recipient_kind).unwrap_or_default() {
            pb::RecipientKind::Complainant => "Pelapor".to_string(),
            pb::RecipientKind::Head => {
                let name = self
                    .refdata()
                    .office(office)
                    .map(|o| o.name.clone())
                    .unwrap_or_default();
                format!("Kepala {name}").trim().to_string()
            }
            pb::RecipientKind::Agency => self.agency_name(office, &d.agency_code),
            pb::RecipientKind::Unspecified => String::new(),
        }
    }

    /// The wire form of a complaint's report (state UNSPECIFIED when none is drafted yet).
    pub fn report_pb(&self, file: &ReportFile) -> pb::HandlingReport {
        let d = &file.body;
        let mut out = pb::HandlingReport {
            complaint_id: file.complaint_id.clone(),
            office_code: file.office_code.clone(),
            bidang_code: d.bidang.clone(),
            registration_number: d.registration_number.clone(),
            complaint_status: file.status,
            ..Default::default()
        };
        if let Some(r) = &d.report {
            out.report_id = r.id.clone();
            out.report_number = report_number(file);
            out.state = r.state;
            out.revision = r.revision;
            out.recommendation_codes = r.recommendations.clone();
            out.agency_codes = r.agencies.clone();
            out.drafted_by = Some(r.drafted_by.to_pb());
            out.drafted_at = tsp(r.drafted_at);
            out.reviewed_by = r.reviewed_by.as_ref().map(ActorRec::to_pb);
            out.reviewed_at = tsp(r.reviewed_at);
            out.return_reason = r.return_reason;
            out.distributions = r
                .distributions
                .iter()
                .map(|x| pb::Distribution {
                    recipient_kind: x.recipient_kind,
                    agency_code: x.agency_code.clone(),
                    recipient_name: self.recipient_name(&file.office_code, x),
                    channel: x.channel,
                    delivered_at: tsp(x.delivered_at),
                    recorded_by: Some(x.recorded_by.to_pb()),
                })
                .collect();
        }
        out
    }
}
