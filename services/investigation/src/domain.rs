//! Investigation's domain: the case document (sealed as a whole by `aduan_spine::casefile`),
//! the coded reference lists it is checked against (PUSPAGA topics, the SIMFONI-PPA taxonomy,
//! eligibility reasons and response outcomes) and the rules of S8-S12 that do not depend on the
//! wire types.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::investigation::v1 as pb;
pub use aduan_runtime::actor::ActorRec;
use aduan_runtime::{Error, Result};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

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

/// The coded lists a case is checked against: PUSPAGA services and topics, and the SIMFONI-PPA
/// taxonomy (data/puspaga_services.csv, data/simfoni_ppa_taxonomy.csv).
#[derive(Debug, Clone, Default)]
pub struct Codes {
    puspaga: HashMap<String, BTreeSet<String>>,
    simfoni: HashMap<String, BTreeSet<String>>,
}

const EMBEDDED_PUSPAGA: &str = include_str!("../../../data/puspaga_services.csv");
const EMBEDDED_SIMFONI: &str = include_str!("../../../data/simfoni_ppa_taxonomy.csv");

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

/// True for the SIMFONI-PPA age bands of a child (under 18, UU 35/2014).
pub fn child_age_band(code: &str) -> bool {
    matches!(code, "0-5" | "6-12" | "13-17")
}

/// `ConsentGiver::ThePerson`.
pub const GIVER_THE_PERSON: i32 = pb::ConsentGiver::ThePerson as i32;
/// `PartyRole::Complainant`.
pub const PARTY_COMPLAINANT: i32 = pb::PartyRole::Complainant as i32;
/// `PartyRole::Victim`.
pub const PARTY_VICTIM: i32 = pb::PartyRole::Victim as i32;

/// True for the parties whose consent a referral can rest on: the victim, or the complainant
/// (who is the victim when they complain of what was done to them). Investigation does not hold
/// intake's record of who the victim is, so the officer names the role; a witness, the reported
/// party or someone else never consents for the person referred.
pub fn consenting_party(role: i32) -> bool {
    role == PARTY_VICTIM || role == PARTY_COMPLAINANT
}

/// The SIMFONI-PPA `hubungan_pelaku` codes that name the child's own family as the alleged
/// perpetrator: a parent's or guardian's consent cannot then protect the child.
pub const FAMILY_PERPETRATOR_CODES: &[&str] = &["orang_tua", "keluarga_saudara"];

/// Why a consent cannot support a referral, if it cannot:
/// - the alleged perpetrator's "consent" is no consent;
/// - the consent must be of the person referred: the victim (or the complainant), never a
///   witness, the reported party or someone else;
/// - an adult consents for themselves (a parent or guardian cannot consent for them);
/// - a child's consent needs a parent or guardian (the child's own is not enough), and that
///   parent's or guardian's consent does not count when the referral names a parent
///   (`orang_tua`) or the family (`keluarga_saudara`) as the alleged perpetrator
///   (`relationship_code`): then only an override by the Head or the Bidang head refers.
pub fn consent_defect(
    consent: &ConsentRec,
    child_by_age_band: bool,
    relationship_code: &str,
) -> Option<&'static str> {
    if consent.giver_is_alleged_perpetrator {
        return Some("the consent was given by the alleged perpetrator");
    }
    if !consenting_party(consent.subject_role) {
        return Some(
            "the consent is not of the person referred: it must concern the victim (or the complainant)",
        );
    }
    let child = consent.subject_is_child || child_by_age_band;
    if !child {
        if consent.giver != GIVER_THE_PERSON {
            return Some(
                "the person is an adult: only they can consent, not a parent or guardian for them",
            );
        }
        return None;
    }
    if consent.giver == GIVER_THE_PERSON {
        return Some("the person is a child: a parent or guardian must consent");
    }
    if FAMILY_PERPETRATOR_CODES.contains(&relationship_code) {
        return Some(
            "the referral names a parent or the family (hubungan_pelaku orang_tua or keluarga_saudara) as the alleged perpetrator: a parent's or guardian's consent cannot support it; the Head or the Bidang head refers with an override",
        );
    }
    None
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

    #[test]
    fn consent_rules() {
        let mut c = ConsentRec {
            subject_role: PARTY_VICTIM,
            giver: GIVER_THE_PERSON,
            ..Default::default()
        };
        // An adult victim consents for themselves.
        assert_eq!(consent_defect(&c, false, "tetangga"), None);
        assert!(
            consent_defect(&c, true, "").is_some(),
            "a child by age band"
        );
        // ...and so does an adult complainant (the victim who complains).
        c.subject_role = PARTY_COMPLAINANT;
        assert_eq!(consent_defect(&c, false, ""), None);
        // A witness, the reported party or someone else is not the person referred.
        for role in [2, 4, 5, 8, 0] {
            c.subject_role = role;
            let why = consent_defect(&c, false, "").unwrap();
            assert!(why.contains("victim"), "{role}: {why}");
        }
        c.subject_role = PARTY_VICTIM;
        // A parent or guardian does not consent for an adult.
        for giver in [2, 3] {
            c.giver = giver;
            let why = consent_defect(&c, false, "tetangga").unwrap();
            assert!(why.contains("adult"), "{why}");
        }
        // A child: not the child alone; a parent or guardian, unless the family is accused.
        c.subject_is_child = true;
        c.giver = GIVER_THE_PERSON;
        assert!(consent_defect(&c, false, "tetangga").is_some());
        c.giver = 2;
        assert_eq!(
            consent_defect(&c, true, "tetangga"),
            None,
            "a parent consents"
        );
        assert_eq!(consent_defect(&c, false, ""), None);
        for (giver, relation) in [
            (2, "orang_tua"),
            (3, "orang_tua"),
            (2, "keluarga_saudara"),
            (3, "keluarga_saudara"),
        ] {
            c.giver = giver;
            let why = consent_defect(&c, false, relation).unwrap();
            assert!(why.contains(relation), "{why}");
        }
        c.giver = 3;
        assert_eq!(
            consent_defect(&c, false, "guru"),
            None,
            "a guardian consents"
        );
        c.giver_is_alleged_perpetrator = true;
        assert!(consent_defect(&c, true, "tetangga").is_some());
    }
}
