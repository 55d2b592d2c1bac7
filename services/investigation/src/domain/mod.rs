//! Investigation's domain: the case document (sealed as a whole by `aduan_spine::casefile`),
//! the coded reference lists it is checked against (PUSPAGA topics, the SIMFONI-PPA taxonomy,
//! eligibility reasons and response outcomes), the helpers every step uses (history, events,
//! the work gate), and one module per step of the office's procedure:
//!
//! - [`s07_disposition`]: the Head's disposition from triage opens, moves or updates the case;
//! - [`s08_assignment`]: the Bidang head assigns officers (S8);
//! - [`s09_interview`]: clarifications (S8) and interviews (S9);
//! - [`s10_evidence`]: evidence, home visits and coordination with agencies (S10);
//! - [`s11_eligibility`], [`s11_sessions`], [`s11_consent`], [`s11_referral`]: the eligibility
//!   decision, sessions, consent and referrals (S11);
//! - [`s12_response`]: the response drafted, approved or returned (S12);
//! - [`s13_delivery`], [`s14_feedback`]: feedback's delivery and the complainant's feedback,
//!   which may reopen the case (S13-S14); [`closure`]: a case closed by another service;
//! - [`case_notes`]: notes on an open case, at any step.
//!
//! The steps are pure functions: no I/O, no clock (the caller passes `now`), no ids drawn
//! (the handler passes them).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::lifecycle_event::Detail;
use aduan_proto::events::v1::{self as events, HandlingActivityKind, LifecycleEvent};
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::time::from_micros;
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::CaseFile;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub mod case_notes;
pub mod closure;
pub mod s07_disposition;
pub mod s08_assignment;
pub mod s09_interview;
pub mod s10_evidence;
pub mod s11_consent;
pub mod s11_eligibility;
pub mod s11_referral;
pub mod s11_sessions;
pub mod s12_response;
pub mod s13_delivery;
pub mod s14_feedback;

pub use s11_consent::{child_age_band, consent_defect, consenting_party};

/// A case as stored: the clear columns and the sealed [`CaseDoc`].
pub type File = CaseFile<CaseDoc>;

/// What a reaction to another service's event does: nothing (`None`), the case to write with
/// the events it publishes, or a refusal for good (the event goes to the dead letters).
pub type Reaction = std::result::Result<Option<(File, Vec<LifecycleEvent>)>, String>;

/// One version of the Head's disposition (S7), as received from triage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DispositionRec {
    /// Version (1 for the first).
    pub version: i32,
    /// Target Bidang.
    pub bidang_code: String,
    /// Instruction codes.
    pub instructions: Vec<String>,
    /// Due date of the follow-up.
    pub due_date: Option<Date>,
    /// When investigation received it (microseconds).
    pub received_at: i64,
    /// False when it could not move the case (a response was already approved).
    pub applied: bool,
}

/// An officer on the case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssigneeRec {
    /// Token subject.
    pub subject: String,
    /// `OfficerFunction` value.
    pub function: i32,
}

/// One assignment (S8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRec {
    /// The officers.
    pub assignees: Vec<AssigneeRec>,
    /// Who assigned them.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
    /// Why (personal free text; sealed with the document).
    pub reason: String,
    /// Replaced by a later assignment (or by a move to another Bidang).
    pub superseded: bool,
}

/// A clarification (S8) or interview (S9).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InterviewRec {
    /// Id.
    pub id: String,
    /// `InterviewKind` value.
    pub kind: i32,
    /// `PartyRole` value.
    pub party: i32,
    /// `ContactChannel` value.
    pub channel: i32,
    /// When.
    pub held_on: Option<Date>,
    /// Who was present.
    pub present: Vec<String>,
    /// What was established.
    pub summary: String,
    /// Intake's revision after the amendment made with it; 0 when none.
    pub intake_revision: i32,
    /// Paths amended in intake.
    pub amended_fields: Vec<String>,
    /// `Requirement` values still unmet after the amendment.
    pub unmet_requirements: Vec<i32>,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A stored evidence file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRec {
    /// The storage key.
    pub key: String,
    /// The name as uploaded.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size as stored (plaintext, after metadata removal).
    pub size_bytes: i64,
    /// SHA-256 of the stored plaintext, hex.
    pub sha256: String,
    /// EXIF/GPS or text metadata was removed on upload.
    pub metadata_removed: bool,
}

/// A document or piece of evidence (S10).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRec {
    /// Id.
    pub id: String,
    /// `EvidenceKind` value.
    pub kind: i32,
    /// `EvidenceSource` value.
    pub source: i32,
    /// The source in words.
    pub source_detail: String,
    /// When collected.
    pub collected_on: Option<Date>,
    /// Who collected it.
    pub collected_by: String,
    /// What it shows.
    pub description: String,
    /// The file, if any.
    pub file: Option<FileRec>,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A home visit (S10).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HomeVisitRec {
    /// Id.
    pub id: String,
    /// When.
    pub visited_on: Option<Date>,
    /// Where.
    pub location: String,
    /// Who was present.
    pub present: Vec<String>,
    /// Findings.
    pub findings: String,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// Coordination with an agency (S10).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoordinationRec {
    /// Id.
    pub id: String,
    /// The agency.
    pub agency: String,
    /// `ContactChannel` value.
    pub channel: i32,
    /// When.
    pub held_on: Option<Date>,
    /// What was agreed or learnt.
    pub summary: String,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// An eligibility decision (S11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EligibilityRec {
    /// Qualifies for follow-up.
    pub qualifies: bool,
    /// Reason code when it does not.
    pub reason_code: String,
    /// Note.
    pub note: String,
    /// Who decided.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A person in a session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionPartyRec {
    /// `PartyRole` value.
    pub role: i32,
    /// Name or description.
    pub name: String,
    /// Attended.
    pub attended: bool,
}

/// A session (S11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRec {
    /// Id.
    pub id: String,
    /// `SessionKind` value.
    pub kind: i32,
    /// When.
    pub held_on: Option<Date>,
    /// PUSPAGA topic codes.
    pub topic_codes: Vec<String>,
    /// Parties.
    pub parties: Vec<SessionPartyRec>,
    /// `SessionOutcome` value.
    pub outcome: i32,
    /// Terms of an agreement.
    pub agreement_terms: String,
    /// What happened.
    pub summary: String,
    /// The next session, for CONTINUED.
    pub next_session_on: Option<Date>,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A recorded consent to a referral.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentRec {
    /// Id.
    pub id: String,
    /// `PartyRole` value of the person concerned.
    pub subject_role: i32,
    /// The person's name or description.
    pub subject_name: String,
    /// The person is a child.
    pub subject_is_child: bool,
    /// `ConsentGiver` value.
    pub giver: i32,
    /// The giver's name.
    pub giver_name: String,
    /// The giver is the alleged perpetrator.
    pub giver_is_alleged_perpetrator: bool,
    /// `ConsentForm` value.
    pub form: i32,
    /// When given.
    pub given_on: Option<Date>,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// The agency's answer to a referral.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferralAnswerRec {
    /// Accepted.
    pub accepted: bool,
    /// Coded reason.
    pub reason_code: String,
    /// Note.
    pub note: String,
    /// The agency's case number.
    pub agency_reference: String,
    /// Who recorded it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A referral (S11).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferralRec {
    /// Id.
    pub id: String,
    /// Agency code.
    pub agency: String,
    /// Agency name.
    pub agency_name: String,
    /// SIMFONI-PPA `jenis_kekerasan`.
    pub violence_type_code: String,
    /// SIMFONI-PPA `tempat_kejadian`.
    pub place_code: String,
    /// SIMFONI-PPA `hubungan_pelaku`.
    pub relationship_code: String,
    /// SIMFONI-PPA `kelompok_usia`.
    pub age_band_code: String,
    /// SIMFONI-PPA `layanan` codes.
    pub service_codes: Vec<String>,
    /// Why.
    pub reason: String,
    /// The consent it rests on.
    pub consent_id: String,
    /// The override's reason.
    pub override_reason: String,
    /// The answer, once given.
    pub answer: Option<ReferralAnswerRec>,
    /// Who referred.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// A case note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteRec {
    /// Id.
    pub id: String,
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
}

/// One draft of the response (S12).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftRec {
    /// The response version.
    pub version: i32,
    /// The draft's number within the case.
    pub revision: i32,
    /// The text.
    pub text: String,
    /// The outcome it reports.
    pub outcome_code: String,
    /// `ResponseState` value.
    pub state: i32,
    /// Who drafted it.
    pub by: ActorRec,
    /// When (microseconds).
    pub at: i64,
    /// Who approved or returned it.
    pub reviewed_by: Option<ActorRec>,
    /// When (microseconds).
    pub reviewed_at: Option<i64>,
    /// Why it was returned.
    pub return_reason: String,
}

/// One history entry: codes and ids, no free text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryRec {
    /// When (microseconds).
    pub at: i64,
    /// Who.
    pub actor: ActorRec,
    /// What happened.
    pub action: String,
    /// Status after it.
    pub status: i32,
    /// Coded details.
    pub detail: String,
}

/// The case document: everything investigation knows of one complaint, sealed as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseDoc {
    /// Every disposition version received.
    pub dispositions: Vec<DispositionRec>,
    /// Every assignment.
    pub assignments: Vec<AssignmentRec>,
    /// The officers assigned now (their subjects are also the clear `assignees` column).
    pub assignees: Vec<AssigneeRec>,
    /// Clarifications and interviews.
    pub interviews: Vec<InterviewRec>,
    /// Evidence.
    pub evidence: Vec<EvidenceRec>,
    /// Home visits.
    pub home_visits: Vec<HomeVisitRec>,
    /// Coordination with agencies.
    pub coordinations: Vec<CoordinationRec>,
    /// Eligibility decisions (the last one stands).
    pub eligibility: Vec<EligibilityRec>,
    /// Sessions.
    pub sessions: Vec<SessionRec>,
    /// Consents.
    pub consents: Vec<ConsentRec>,
    /// Referrals.
    pub referrals: Vec<ReferralRec>,
    /// Notes.
    pub notes: Vec<NoteRec>,
    /// Drafts of the response.
    pub responses: Vec<DraftRec>,
    /// The current response version (1, +1 per reopening).
    pub response_version: i32,
    /// Reopenings.
    pub reopen_count: i32,
    /// History.
    pub history: Vec<HistoryRec>,
    /// The complaint's registration number, from the latest disposition that carried one.
    #[serde(default)]
    pub registration_number: String,
    /// The complaint's category code, from the latest disposition.
    #[serde(default)]
    pub category_code: String,
}

impl CaseDoc {
    /// The disposition that placed the case where it is (the last applied one).
    pub fn current_disposition(&self) -> Option<&DispositionRec> {
        self.dispositions.iter().rev().find(|d| d.applied)
    }

    /// The standing eligibility decision.
    pub fn eligibility(&self) -> Option<&EligibilityRec> {
        self.eligibility.last()
    }

    /// The latest draft of the response (of any version).
    pub fn latest_draft(&self) -> Option<&DraftRec> {
        self.responses.last()
    }

    /// True when the current response version has been approved.
    pub fn answered(&self) -> bool {
        self.responses
            .iter()
            .any(|d| d.version == self.response_version && d.state == APPROVED)
    }
}

/// `ResponseState::Draft`.
pub const DRAFT: i32 = 1;
/// `ResponseState::Returned`.
pub const RETURNED: i32 = 2;
/// `ResponseState::Approved`.
pub const APPROVED: i32 = 3;
/// `ResponseState::Superseded`.
pub const SUPERSEDED: i32 = 4;

/// Reasons a complaint does not qualify for follow-up (S11).
pub const NOT_QUALIFIED_REASONS: &[(&str, &str)] = &[
    (
        "not_office_service",
        "not a service of the office (R5 unmet after S9)",
    ),
    (
        "insufficient_information",
        "the facts could not be established",
    ),
    ("no_grounds", "the complaint proved unfounded"),
    (
        "already_resolved",
        "the matter was resolved before follow-up",
    ),
    (
        "other_authority",
        "another agency's authority (answered with a pointer)",
    ),
    ("withdrawn", "the complainant withdrew the complaint"),
    (
        "duplicate_matter",
        "the same matter is handled in another case",
    ),
];

/// Outcomes a response to a qualifying complaint may report (S12).
pub const QUALIFIED_OUTCOMES: &[&str] = &[
    "agreement_reached",
    "no_agreement",
    "referred",
    "resolved",
    "assistance_provided",
    "counselling_provided",
];

/// The outcome a response to a non-qualifying complaint reports.
pub const NOT_QUALIFIED_OUTCOME: &str = "not_qualified";

/// The statuses a case can have in investigation.
pub fn status(s: ComplaintStatus) -> i32 {
    s as i32
}

/// The name of a status, for messages.
pub fn status_name(status: i32) -> &'static str {
    ComplaintStatus::try_from(status)
        .map(|s| s.as_str_name())
        .unwrap_or("UNKNOWN")
}

/// FAILED_PRECONDITION naming the step and where the case stands.
pub fn out_of_order(step: &str, status: i32, needed: &str) -> Error {
    Error::FailedPrecondition(format!(
        "{step} needs a case that is {needed}; this one is {}",
        status_name(status)
    ))
}

/// The work gate: the case has officers (unless `before_assignment` allows the heads to act
/// first), and the caller is the Bidang head, the Head, or one of the assigned officers.
pub fn may_work(caller: &Caller, file: &File, before_assignment: bool) -> Result<()> {
    let head = caller.acts_as(Role::BidangHead) || caller.acts_as(Role::Head);
    if file.body.assignees.is_empty() && !(before_assignment && head) {
        return Err(Error::FailedPrecondition(
            "no officer is assigned to this case yet: the Bidang head assigns officers first (S8)"
                .into(),
        ));
    }
    if head || file.assignees.contains(&caller.principal.subject) {
        return Ok(());
    }
    Err(Error::PermissionDenied(
        "only the Bidang head and the officers assigned to this case may record on it".into(),
    ))
}

/// FAILED_PRECONDITION unless the case is in handling (S8-S12).
pub fn in_handling(file: &File, step: &str) -> Result<()> {
    if file.status != ComplaintStatus::InHandling as i32 {
        return Err(out_of_order(step, file.status, "in handling (S8-S12)"));
    }
    Ok(())
}

/// FAILED_PRECONDITION when the case is closed.
pub fn open(file: &File, step: &str) -> Result<()> {
    if file.status == ComplaintStatus::Closed as i32 {
        return Err(out_of_order(step, file.status, "open"));
    }
    Ok(())
}

/// Adds a history entry (codes and ids, no free text) with the case's status.
pub fn history(file: &mut File, who: &ActorRec, at: i64, action: &str, detail: String) {
    let status = file.status;
    file.body.history.push(HistoryRec {
        at,
        actor: who.clone(),
        action: action.into(),
        status,
        detail,
    });
}

/// The event investigation publishes for a step on the case.
pub fn event(
    file: &mut File,
    step: Step,
    who: &ActorRec,
    at: i64,
    detail: Detail,
) -> LifecycleEvent {
    let status = file.status;
    file.event(
        crate::SERVICE,
        step,
        who.to_pb(),
        from_micros(at),
        status,
        detail,
    )
}

/// A `HandlingActivity` event of the case's Bidang, filled in by `fill`.
pub fn activity(
    file: &mut File,
    step: Step,
    who: &ActorRec,
    at: i64,
    kind: HandlingActivityKind,
    fill: impl FnOnce(&mut events::HandlingActivity),
) -> LifecycleEvent {
    let mut a = events::HandlingActivity {
        kind: kind as i32,
        bidang_code: file.unit.clone(),
        ..Default::default()
    };
    fill(&mut a);
    event(file, step, who, at, Detail::HandlingActivity(a))
}

/// The lower-case code of an enum value without its prefix ("unknown" for another value).
pub fn enum_code<E: TryFrom<i32>>(
    value: i32,
    prefix: &str,
    name: impl Fn(E) -> &'static str,
) -> String {
    E::try_from(value)
        .map(|e| name(e).trim_start_matches(prefix).to_ascii_lowercase())
        .unwrap_or_else(|_| "unknown".into())
}

/// The coded lists a case is checked against: PUSPAGA services and topics, and the SIMFONI-PPA
/// taxonomy (data/puspaga_services.csv, data/simfoni_ppa_taxonomy.csv).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    puspaga: HashMap<String, BTreeSet<String>>,
    simfoni: HashMap<String, BTreeSet<String>>,
}

const EMBEDDED_PUSPAGA: &str = include_str!("../../../../data/puspaga_services.csv");
const EMBEDDED_SIMFONI: &str = include_str!("../../../../data/simfoni_ppa_taxonomy.csv");

fn group(text: &str, kind_column: &str) -> Result<HashMap<String, BTreeSet<String>>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for row in aduan_refdata::parse_csv(text)? {
        let kind = row.get(kind_column).map(|s| s.trim()).unwrap_or("");
        let code = row.get("code").map(|s| s.trim()).unwrap_or("");
        if kind.is_empty() || code.is_empty() {
            return Err(Error::invalid(
                "reference_data_dir",
                format!("a row without {kind_column} or code"),
            ));
        }
        out.entry(kind.to_string())
            .or_default()
            .insert(code.to_string());
    }
    Ok(out)
}

impl Codes {
    /// The lists from `dir` where it holds the files, else the copies compiled in.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let read = |name: &str, embedded: &str| -> Result<String> {
            match dir.map(|d| d.join(name)) {
                Some(p) if p.is_file() => std::fs::read_to_string(&p).map_err(|e| {
                    Error::invalid(
                        "reference_data_dir",
                        format!("cannot read {}: {e}", p.display()),
                    )
                }),
                _ => Ok(embedded.to_string()),
            }
        };
        let codes = Self {
            puspaga: group(&read("puspaga_services.csv", EMBEDDED_PUSPAGA)?, "type")?,
            simfoni: group(
                &read("simfoni_ppa_taxonomy.csv", EMBEDDED_SIMFONI)?,
                "category",
            )?,
        };
        for (list, kind) in [
            (&codes.puspaga, "topik"),
            (&codes.simfoni, "jenis_kekerasan"),
            (&codes.simfoni, "kelompok_usia"),
            (&codes.simfoni, "layanan"),
        ] {
            if list.get(kind).is_none_or(|s| s.is_empty()) {
                return Err(Error::invalid(
                    "reference_data_dir",
                    format!("the reference data has no {kind} codes"),
                ));
            }
        }
        Ok(codes)
    }

    /// True when `code` is a PUSPAGA counselling topic (`topik`).
    pub fn puspaga_topic(&self, code: &str) -> bool {
        self.puspaga.get("topik").is_some_and(|s| s.contains(code))
    }

    /// True when `code` is a SIMFONI-PPA code of `category` (for example "jenis_kekerasan").
    pub fn simfoni(&self, category: &str, code: &str) -> bool {
        self.simfoni.get(category).is_some_and(|s| s.contains(code))
    }

    /// The SIMFONI-PPA codes of `category`, for messages.
    pub fn simfoni_list(&self, category: &str) -> String {
        self.simfoni
            .get(category)
            .map(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_codes_load() {
        let c = Codes::load(None).unwrap();
        assert!(c.puspaga_topic("pengasuhan"));
        assert!(c.puspaga_topic("dispensasi_kawin"));
        assert!(
            !c.puspaga_topic("konsultasi_konseling"),
            "a service, not a topic"
        );
        assert!(c.simfoni("jenis_kekerasan", "fisik"));
        assert!(c.simfoni("kelompok_usia", "13-17"));
        assert!(c.simfoni("layanan", "rehabilitasi_sosial"));
        assert!(c.simfoni("hubungan_pelaku", "tetangga"));
        assert!(!c.simfoni("jenis_kekerasan", "tetangga"));
    }
}
