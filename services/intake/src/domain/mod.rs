//! Intake's rules, one module per step of the office's procedure: a complaint comes in (S1-S2,
//! [`s01_receive`]), is recorded and registered (S3, [`s03_registration`]) with its requirements
//! R1-R6 checked ([`s03_completeness`]), is amended after the interview (S9,
//! [`s09_amendment`]), and is followed through the other services' steps ([`followed`]).
//! The functions here are pure (no I/O): the core seals, stores and logs around them.

pub mod followed;
pub mod s01_receive;
pub mod s03_completeness;
pub mod s03_registration;
pub mod s09_amendment;

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::events::v1::TraceContext;
use aduan_runtime::actor::ActorRec;

pub use followed::{Followed, follow};
pub use s03_completeness::{
    Assessment, assess, content_markers, identity_values, requirement_bit, unmet_from_mask,
};

/// A complaint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintRow {
    /// Id (UUID).
    pub id: String,
    /// Office code.
    pub office_code: String,
    /// Year of the registration number.
    pub registration_year: i32,
    /// Sequence of the registration number within office and year.
    pub registration_seq: i64,
    /// The registration number.
    pub registration_number: String,
    /// The public tracking code (normalised, without dashes).
    pub tracking_code: String,
    /// `aduan.common.v1.Channel` value.
    pub channel: i32,
    /// Category code.
    pub category_code: String,
    /// `aduan.common.v1.ComplaintStatus` value.
    pub status: i32,
    /// Microseconds since the epoch.
    pub received_at: i64,
    /// Microseconds since the epoch.
    pub registered_at: i64,
    /// Microseconds since the epoch.
    pub updated_at: i64,
    /// Who registered it.
    pub recorded_by: ActorRec,
    /// Unmet requirements as bits (R1 = bit 0).
    pub unmet_mask: i64,
    /// Identity fact.
    pub reporter_identified: bool,
    /// Anonim.
    pub anonymous: bool,
    /// Rahasia.
    pub confidential: bool,
    /// A child is involved.
    pub involves_child: bool,
    /// Kecamatan code of the incident.
    pub incident_district_code: String,
    /// Current revision.
    pub revision: i32,
    /// Events written for this complaint so far.
    pub event_seq: i64,
    /// Sealed `ComplaintPatch` (personal data and content).
    pub pii: Vec<u8>,
    /// Idempotency key.
    pub request_id: String,
    /// Hash of the original request.
    pub request_hash: String,
    /// The W3C trace context of the complaint's latest lifecycle event (columns `traceparent`,
    /// `tracestate`; kept by the store): the previous step a person's next amendment links to.
    pub trace: TraceContext,
    /// The office holding the complaint now (a transfer moves it; `office_code` keeps the
    /// registering office, whose key seals the personal data).
    pub current_office: String,
    /// The Bidang the complaint is disposed to (S7), or empty.
    pub disposed_bidang: String,
    /// The complaint's data key, wrapped by the registering office's key: `pii`, the revisions'
    /// bodies and the amendments' reasons are sealed with it (docs/privacy.md). None: registered
    /// before the keys, sealed with the office's key.
    pub data_key: Option<Vec<u8>>,
    /// When the status last changed (microseconds).
    pub status_at: i64,
}

/// True for text that is empty or only spaces.
pub fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Statuses in which the complaint's record is final (closed, or gone to another office,
/// agency or complaint).
pub fn is_closed(status: i32) -> bool {
    matches!(
        ComplaintStatus::try_from(status),
        Ok(ComplaintStatus::Closed
            | ComplaintStatus::Rejected
            | ComplaintStatus::Transferred
            | ComplaintStatus::Duplicate
            | ComplaintStatus::ReferredOut)
    )
}

/// A complete complaint and the reference data of the tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use aduan_proto::common::v1::{self as common, Sex};
    use aduan_proto::intake::v1::{ComplaintContent, ComplaintPatch};
    use jiff::civil::Date;

    use crate::refdata::RefData;

    pub fn today() -> Date {
        jiff::civil::date(2026, 11, 27)
    }

    pub fn refdata() -> RefData {
        RefData::load("35", None).unwrap()
    }

    pub fn complete() -> ComplaintPatch {
        ComplaintPatch {
            reporter: Some(common::Person {
                full_name: "Siti Aminah".into(),
                nik: "3527045708900001".into(),
                phone: "0812-3456-7890".into(),
                sex: Sex::Female as i32,
                address: Some(common::Address {
                    line: "Jl. Rajawali 7 RT 01/RW 02".into(),
                    district_code: "35.27.04".into(),
                    postcode: "69281".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reported_party: Some(common::Person {
                description: "tetangga sebelah rumah".into(),
                ..Default::default()
            }),
            content: Some(ComplaintContent {
                subject: "Bantuan PKH tidak cair".into(),
                description: "Bantuan PKH keluarga kami tidak cair sejak bulan Maret.".into(),
                chronology: "Maret: tidak cair. April: lapor ke pendamping.".into(),
                incident_date: Some(common::Date {
                    year: 2026,
                    month: 3,
                    day: 2,
                }),
                incident_place: "Desa Taddan".into(),
                category_code: "bantuan_sosial".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}
