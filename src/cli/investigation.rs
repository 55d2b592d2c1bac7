//! The command line for investigation (S8-S12): the case in the Bidang, from assignment to the
//! approved response. Personal content is printed only by `show` and `download`, which need a
//! purpose (written to the server's access log).

use aduan_proto::intake::v1 as ipb;
use aduan_proto::investigation::v1::{
    self as pb, investigation_service_client::InvestigationServiceClient,
};
use clap::{Args, Subcommand};

use super::intake::set_path;
use super::{
    CliError, ClientArgs, HISTORY_HEADERS, channel, date, date_str, enum_word, history_row, kv,
    outln, parse_enum, print_message, print_next_page, request, requirement_ids, status_name,
    status_of, table, ts_short, who,
};

/// Investigation steps (S8-S12) against a running server.
#[derive(Debug, Subcommand)]
pub enum InvestigationCommand {
    /// The case queue of the office or of your Bidang, without personal content.
    List {
        /// Office code (default: the token's).
        #[arg(long, default_value = "")]
        office: String,
        /// Only this Bidang (the Bidang roles always see their own).
        #[arg(long, default_value = "")]
        bidang: String,
        /// Only these statuses (repeatable), e.g. in-handling, response-ready.
        #[arg(long = "status")]
        statuses: Vec<String>,
        /// Only cases assigned to you.
        #[arg(long)]
        mine: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
    /// One case with its personal content (the read is logged with your purpose).
    Show {
        /// Complaint id.
        id: String,
        /// Why you read it (required).
        #[arg(long)]
        purpose: String,
    },
    /// S8: assign (or reassign) the officers of a case (Bidang head).
    Assign {
        /// Complaint id.
        id: String,
        /// SUBJECT:FUNCTION, function case-officer, counsellor, mediator or social-worker
        /// (repeatable).
        #[arg(long = "officer", required = true)]
        officers: Vec<String>,
        /// Why (required for a reassignment).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// S8-S9: record a clarification or interview, optionally amending the complaint in intake.
    Interview(Box<InterviewArgs>),
    /// S10: record evidence, optionally with a file (images lose their EXIF/GPS data).
    Evidence(Box<EvidenceArgs>),
    /// S10: download an evidence file (the read is logged with your purpose).
    Download {
        /// Complaint id.
        id: String,
        /// Evidence id.
        evidence: String,
        /// Why you read it (required).
        #[arg(long)]
        purpose: String,
        /// Where to write the file (created readable by you only, mode 0600).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Replace the file at --out if it exists (it is made readable by you only).
        #[arg(long)]
        force: bool,
    },
    /// S10: record a home visit.
    HomeVisit {
        /// Complaint id.
        id: String,
        /// Date YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Where, in words.
        #[arg(long, default_value = "")]
        location: String,
        /// Who was present (repeatable).
        #[arg(long = "present", required = true)]
        present: Vec<String>,
        /// What was found.
        #[arg(long)]
        findings: String,
    },
    /// S10: record coordination with another agency.
    Coordinate {
        /// Complaint id.
        id: String,
        /// The agency.
        #[arg(long)]
        agency: String,
        /// in-person, phone, video, home-visit, letter, email or messaging.
        #[arg(long)]
        channel: String,
        /// Date YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// What was agreed or learnt.
        #[arg(long)]
        summary: String,
    },
    /// S11: the eligibility decision (Bidang head): --qualifies, or --not-qualified REASON.
    Eligibility {
        /// Complaint id.
        id: String,
        /// The complaint qualifies for follow-up.
        #[arg(long, group = "decision")]
        qualifies: bool,
        /// It does not: not-office-service, insufficient-information, no-grounds,
        /// already-resolved, other-authority, withdrawn or duplicate-matter.
        #[arg(long, group = "decision")]
        not_qualified: Option<String>,
        /// A note (required when it does not qualify).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// S11: record an investigation, mediation or family counselling session.
    Session(Box<SessionArgs>),
    /// S11: record consent to a referral.
    Consent(Box<ConsentArgs>),
    /// S11: refer the case to another agency with its SIMFONI-PPA classification.
    Refer(Box<ReferArgs>),
    /// S11: record the agency's answer to a referral (partner agency or officer).
    AnswerReferral {
        /// Complaint id.
        id: String,
        /// Referral id.
        referral: String,
        /// The agency accepts the case.
        #[arg(long, group = "answer")]
        accept: bool,
        /// The agency rejects the case.
        #[arg(long, group = "answer")]
        reject: bool,
        /// A coded reason, e.g. outside_mandate.
        #[arg(long, default_value = "")]
        reason_code: String,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
        /// The agency's own case number.
        #[arg(long, default_value = "")]
        reference: String,
    },
    /// A case note.
    Note {
        /// Complaint id.
        id: String,
        /// The text.
        #[arg(long)]
        text: String,
    },
    /// S12: draft the response.
    Draft {
        /// Complaint id.
        id: String,
        /// The text of the response.
        #[arg(long)]
        text: String,
        /// agreement-reached, no-agreement, referred, resolved, assistance-provided,
        /// counselling-provided or not-qualified.
        #[arg(long)]
        outcome: String,
    },
    /// S12: approve the latest draft (Bidang head).
    Approve {
        /// Complaint id.
        id: String,
        /// The draft's revision.
        #[arg(long)]
        revision: i32,
    },
    /// S12: return the latest draft with a reason (Bidang head).
    Return {
        /// Complaint id.
        id: String,
        /// The draft's revision.
        #[arg(long)]
        revision: i32,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Who read personal content, when and why (one case, or your office / Bidang).
    AccessLog {
        /// Complaint id (default: all).
        id: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
}

/// Flags of `interview`.
#[derive(Debug, Args)]
pub struct InterviewArgs {
    /// Complaint id.
    pub id: String,
    /// clarification (S8) or interview (S9).
    #[arg(long, default_value = "interview")]
    pub kind: String,
    /// complainant, reported-party, victim, witness, parent-guardian or other.
    #[arg(long)]
    pub party: String,
    /// in-person, phone, video, home-visit, letter, email or messaging.
    #[arg(long)]
    pub channel: String,
    /// Date YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// Who was present (repeatable).
    #[arg(long = "present", required = true)]
    pub present: Vec<String>,
    /// What was established.
    #[arg(long)]
    pub summary: String,
    /// Amend the complaint in intake: PATH=VALUE (repeatable), e.g.
    /// reported_party.full_name="Budi".
    #[arg(long = "set")]
    pub set: Vec<String>,
    /// The complaint's revision you read (0 skips the check).
    #[arg(long, default_value_t = 0)]
    pub expected_revision: i32,
    /// Why, for intake's history (default "S9 wawancara <date>").
    #[arg(long, default_value = "")]
    pub amend_reason: String,
}

/// Flags of `evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Complaint id.
    pub id: String,
    /// document, photo, statement, medical-report, audio, video, screenshot or other.
    #[arg(long)]
    pub kind: String,
    /// complainant, reported-party, victim, witness, agency, officer or other.
    #[arg(long)]
    pub source: String,
    /// The source in words.
    #[arg(long, default_value = "")]
    pub source_detail: String,
    /// Date collected, YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// Who collected it (default: you).
    #[arg(long, default_value = "")]
    pub collected_by: String,
    /// What it shows.
    #[arg(long)]
    pub description: String,
    /// A file to upload.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    /// The file's media type (default from its extension).
    #[arg(long)]
    pub content_type: Option<String>,
}

/// Flags of `session`.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Complaint id.
    pub id: String,
    /// investigation, mediation or family-counselling.
    #[arg(long)]
    pub kind: String,
    /// Date YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// PUSPAGA topic code for family counselling (repeatable), e.g. pengasuhan.
    #[arg(long = "topic")]
    pub topics: Vec<String>,
    /// ROLE:NAME, with ":absent" when the person did not attend (repeatable), e.g.
    /// complainant:"Ibu S".
    #[arg(long = "party", required = true)]
    pub parties: Vec<String>,
    /// agreement-reached, no-agreement, referred or continued.
    #[arg(long)]
    pub outcome: String,
    /// The terms of an agreement.
    #[arg(long, default_value = "")]
    pub terms: String,
    /// What happened.
    #[arg(long)]
    pub summary: String,
    /// The next session's date for a continued one.
    #[arg(long)]
    pub next: Option<String>,
}

/// Flags of `consent`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// Complaint id.
    pub id: String,
    /// The person referred, who consents (or whose parent or guardian does): victim, or
    /// complainant when the complainant is the victim.
    #[arg(long, default_value = "victim")]
    pub subject_role: String,
    /// The person's name or description.
    #[arg(long)]
    pub subject_name: String,
    /// The person is a child (under 18).
    #[arg(long)]
    pub child: bool,
    /// the-person, parent or guardian.
    #[arg(long)]
    pub giver: String,
    /// The giver's name (unless the person).
    #[arg(long, default_value = "")]
    pub giver_name: String,
    /// The giver is the alleged perpetrator.
    #[arg(long)]
    pub perpetrator: bool,
    /// written or oral.
    #[arg(long, default_value = "written")]
    pub form: String,
    /// Date YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
}

/// Flags of `refer`.
#[derive(Debug, Args)]
pub struct ReferArgs {
    /// Complaint id.
    pub id: String,
    /// The agency's code, e.g. uptd_ppa.
    #[arg(long, default_value = "uptd_ppa")]
    pub agency: String,
    /// The agency's name.
    #[arg(long)]
    pub agency_name: String,
    /// SIMFONI-PPA jenis_kekerasan, e.g. fisik.
    #[arg(long)]
    pub violence: String,
    /// SIMFONI-PPA tempat_kejadian.
    #[arg(long, default_value = "")]
    pub place: String,
    /// SIMFONI-PPA hubungan_pelaku.
    #[arg(long, default_value = "")]
    pub relationship: String,
    /// SIMFONI-PPA kelompok_usia, e.g. 6-12.
    #[arg(long)]
    pub age_band: String,
    /// SIMFONI-PPA layanan (repeatable), e.g. kesehatan.
    #[arg(long = "service", required = true)]
    pub services: Vec<String>,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// The recorded consent's id.
    #[arg(long, group = "basis")]
    pub consent: Option<String>,
    /// Refer without consent (Head or Bidang head): why.
    #[arg(long = "override", group = "basis")]
    pub override_reason: Option<String>,
}

fn party(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "PARTY_ROLE_",
        raw,
        pb::PartyRole::from_str_name,
        "complainant, reported-party, victim, witness, parent-guardian, officer, agency, other",
    )
}

fn contact(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "CONTACT_CHANNEL_",
        raw,
        pb::ContactChannel::from_str_name,
        "in-person, phone, video, home-visit, letter, email, messaging",
    )
}

fn function_name(v: i32) -> String {
    enum_word(v, "OFFICER_FUNCTION_", pb::OfficerFunction::as_str_name)
}

fn print_summary(s: &pb::CaseSummary) {
    outln!(
        "{}",
        kv(&[
            ("Complaint", s.complaint_id.clone()),
            ("Office", s.office_code.clone()),
            ("Bidang", s.bidang_code.clone()),
            ("Status", status_name(s.status)),
            (
                "Due",
                format!(
                    "{}{}",
                    date_str(&s.due_date),
                    if s.overdue { " (overdue)" } else { "" }
                )
            ),
            (
                "Officers",
                s.assignees
                    .iter()
                    .map(|a| format!("{} ({})", a.subject, function_name(a.function)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (
                "Eligibility",
                enum_word(
                    s.eligibility,
                    "ELIGIBILITY_STATE_",
                    pb::EligibilityState::as_str_name
                )
            ),
            (
                "Response",
                if s.latest_draft_revision == 0 {
                    String::new()
                } else {
                    format!(
                        "version {}, revision {} {}",
                        s.response_version,
                        s.latest_draft_revision,
                        enum_word(
                            s.response_state,
                            "RESPONSE_STATE_",
                            pb::ResponseState::as_str_name
                        )
                    )
                }
            ),
            (
                "Referrals pending",
                if s.pending_referrals == 0 {
                    String::new()
                } else {
                    s.pending_referrals.to_string()
                }
            ),
        ])
    );
}

fn print_case(c: &pb::Case) {
    outln!(
        "{}",
        kv(&[
            ("Complaint", c.complaint_id.clone()),
            ("Office", c.office_code.clone()),
            ("Bidang", c.bidang_code.clone()),
            ("Status", status_name(c.status)),
            ("Opened", ts_short(&c.opened_at)),
            ("Due", date_str(&c.due_date)),
            ("Instructions", c.instructions.join(", ")),
            (
                "Officers",
                c.assignees
                    .iter()
                    .map(|a| format!("{} ({})", a.subject, function_name(a.function)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ("Response version", c.response_version.to_string()),
        ])
    );
    let section = |title: &str, headers: &[&str], rows: Vec<Vec<String>>| {
        if !rows.is_empty() {
            outln!("\n{title}\n{}", table(headers, &rows));
        }
    };
    section(
        "Interviews (S8-S9)",
        &["Id", "Kind", "Party", "Date", "Intake rev", "Summary"],
        c.interviews
            .iter()
            .map(|i| {
                vec![
                    i.id.clone(),
                    enum_word(i.kind, "INTERVIEW_KIND_", pb::InterviewKind::as_str_name),
                    enum_word(i.party, "PARTY_ROLE_", pb::PartyRole::as_str_name),
                    date_str(&i.held_on),
                    if i.intake_revision > 0 {
                        i.intake_revision.to_string()
                    } else {
                        String::new()
                    },
                    i.summary.clone(),
                ]
            })
            .collect(),
    );
    section(
        "Evidence (S10)",
        &["Id", "Kind", "Collected", "File", "Description"],
        c.evidence
            .iter()
            .map(|e| {
                vec![
                    e.id.clone(),
                    enum_word(e.kind, "EVIDENCE_KIND_", pb::EvidenceKind::as_str_name),
                    date_str(&e.collected_on),
                    e.file
                        .as_ref()
                        .map(|f| {
                            format!("{} ({}, {} B)", f.file_name, f.content_type, f.size_bytes)
                        })
                        .unwrap_or_default(),
                    e.description.clone(),
                ]
            })
            .collect(),
    );
    section(
        "Home visits and coordination (S10)",
        &["Id", "Date", "Where / agency", "Findings"],
        c.home_visits
            .iter()
            .map(|h| {
                vec![
                    h.id.clone(),
                    date_str(&h.visited_on),
                    h.location.clone(),
                    h.findings.clone(),
                ]
            })
            .chain(c.coordinations.iter().map(|x| {
                vec![
                    x.id.clone(),
                    date_str(&x.held_on),
                    x.agency.clone(),
                    x.summary.clone(),
                ]
            }))
            .collect(),
    );
    section(
        "Eligibility (S11)",
        &["Decided", "By", "Qualifies", "Reason", "Note"],
        c.eligibility
            .iter()
            .map(|e| {
                vec![
                    ts_short(&e.decided_at),
                    who(&e.decided_by),
                    if e.qualifies { "yes" } else { "no" }.into(),
                    e.reason_code.clone(),
                    e.note.clone(),
                ]
            })
            .collect(),
    );
    section(
        "Sessions (S11)",
        &["Id", "Kind", "Date", "Outcome", "Topics", "Terms"],
        c.sessions
            .iter()
            .map(|s| {
                vec![
                    s.id.clone(),
                    enum_word(s.kind, "SESSION_KIND_", pb::SessionKind::as_str_name),
                    date_str(&s.held_on),
                    enum_word(
                        s.outcome,
                        "SESSION_OUTCOME_",
                        pb::SessionOutcome::as_str_name,
                    ),
                    s.topic_codes.join(", "),
                    s.agreement_terms.clone(),
                ]
            })
            .collect(),
    );
    section(
        "Consents (S11)",
        &["Id", "Person", "Child", "Giver", "Perpetrator", "Date"],
        c.consents
            .iter()
            .map(|x| {
                vec![
                    x.id.clone(),
                    x.subject_name.clone(),
                    if x.subject_is_child { "yes" } else { "" }.into(),
                    enum_word(x.giver, "CONSENT_GIVER_", pb::ConsentGiver::as_str_name),
                    if x.giver_is_alleged_perpetrator {
                        "yes"
                    } else {
                        ""
                    }
                    .into(),
                    date_str(&x.given_on),
                ]
            })
            .collect(),
    );
    section(
        "Referrals (S11)",
        &[
            "Id", "Agency", "Violence", "Age", "Services", "Basis", "State",
        ],
        c.referrals
            .iter()
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.agency.clone(),
                    r.violence_type_code.clone(),
                    r.age_band_code.clone(),
                    r.service_codes.join(", "),
                    if r.consent_id.is_empty() {
                        "override".into()
                    } else {
                        "consent".into()
                    },
                    enum_word(r.state, "REFERRAL_STATE_", pb::ReferralState::as_str_name),
                ]
            })
            .collect(),
    );
    section(
        "Notes",
        &["At", "By", "Text"],
        c.notes
            .iter()
            .map(|n| vec![ts_short(&n.written_at), who(&n.author), n.text.clone()])
            .collect(),
    );
    section(
        "Response (S12)",
        &["Ver", "Rev", "State", "Outcome", "By", "Returned because"],
        c.responses
            .iter()
            .map(|d| {
                vec![
                    d.version.to_string(),
                    d.revision.to_string(),
                    enum_word(d.state, "RESPONSE_STATE_", pb::ResponseState::as_str_name),
                    d.outcome_code.clone(),
                    who(&d.drafted_by),
                    d.return_reason.clone(),
                ]
            })
            .collect(),
    );
    section(
        "History",
        HISTORY_HEADERS,
        c.history
            .iter()
            .map(|h| history_row(&h.at, &h.actor, &h.action, h.status, h.detail.clone()))
            .collect(),
    );
}

fn content_type_of(path: &std::path::Path) -> Result<String, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        _ => {
            return Err(CliError(format!(
                "cannot tell the media type of {}: give --content-type",
                path.display()
            )));
        }
    }
    .to_string())
}

fn session_party(raw: &str) -> Result<pb::SessionParty, CliError> {
    let (role, rest) = raw
        .split_once(':')
        .ok_or_else(|| CliError(format!("--party needs ROLE:NAME: {raw}")))?;
    let (name, attended) = match rest.strip_suffix(":absent") {
        Some(n) => (n, false),
        None => (rest, true),
    };
    Ok(pb::SessionParty {
        role: party(role)?,
        name: name.to_string(),
        attended,
    })
}

/// Runs one investigation subcommand.
pub async fn run_investigation(
    args: ClientArgs,
    cmd: InvestigationCommand,
) -> Result<(), CliError> {
    let mut c = InvestigationServiceClient::new(channel(&args).await?)
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20);
    let change = match cmd {
        InvestigationCommand::List {
            office,
            bidang,
            statuses,
            mine,
            limit,
            page,
        } => {
            let statuses = statuses
                .iter()
                .map(|s| status_of(s))
                .collect::<Result<Vec<_>, _>>()?;
            let r = c
                .list_cases(request(
                    &args,
                    pb::ListCasesRequest {
                        office_code: office,
                        bidang_code: bidang,
                        statuses,
                        assigned_to_me: mine,
                        page_size: limit,
                        page_token: page,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&r)?;
            } else {
                let rows: Vec<Vec<String>> = r
                    .cases
                    .iter()
                    .map(|s| {
                        vec![
                            s.complaint_id.clone(),
                            s.bidang_code.clone(),
                            status_name(s.status),
                            format!(
                                "{}{}",
                                date_str(&s.due_date),
                                if s.overdue { " !" } else { "" }
                            ),
                            s.assignees
                                .iter()
                                .map(|a| a.subject.clone())
                                .collect::<Vec<_>>()
                                .join(", "),
                            enum_word(
                                s.eligibility,
                                "ELIGIBILITY_STATE_",
                                pb::EligibilityState::as_str_name,
                            ),
                            ts_short(&s.updated_at),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &[
                            "Complaint",
                            "Bidang",
                            "Status",
                            "Due",
                            "Officers",
                            "Eligibility",
                            "Updated"
                        ],
                        &rows
                    )
                );
                outln!("\n{} cases", r.total);
                print_next_page(&r.next_page_token);
            }
            return Ok(());
        }
        InvestigationCommand::Show { id, purpose } => {
            let case = c
                .get_case(request(
                    &args,
                    pb::GetCaseRequest {
                        complaint_id: id,
                        purpose,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&case)?;
            } else {
                print_case(&case);
            }
            return Ok(());
        }
        InvestigationCommand::Assign {
            id,
            officers,
            reason,
        } => {
            let assignees = officers
                .iter()
                .map(|o| {
                    let (subject, function) = o.split_once(':').ok_or_else(|| {
                        CliError(format!("--officer needs SUBJECT:FUNCTION: {o}"))
                    })?;
                    Ok(pb::Assignee {
                        subject: subject.to_string(),
                        function: parse_enum(
                            "OFFICER_FUNCTION_",
                            function,
                            pb::OfficerFunction::from_str_name,
                            "case-officer, counsellor, mediator, social-worker",
                        )?,
                    })
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            c.assign_officers(request(
                &args,
                pb::AssignOfficersRequest {
                    complaint_id: id,
                    assignees,
                    reason,
                },
            )?)
            .await?
            .into_inner()
        }
        InvestigationCommand::Interview(a) => {
            let a = *a;
            let amendment = if a.set.is_empty() {
                None
            } else {
                let mut patch = ipb::ComplaintPatch::default();
                let mut paths = Vec::new();
                for s in &a.set {
                    paths.push(set_path(&mut patch, s)?);
                }
                Some(pb::IntakeAmendment {
                    expected_revision: a.expected_revision,
                    update_mask: Some(prost_types::FieldMask { paths }),
                    patch: Some(patch),
                    reason: a.amend_reason,
                })
            };
            let r = c
                .record_interview(request(
                    &args,
                    pb::RecordInterviewRequest {
                        complaint_id: a.id,
                        kind: parse_enum(
                            "INTERVIEW_KIND_",
                            &a.kind,
                            pb::InterviewKind::from_str_name,
                            "clarification, interview",
                        )?,
                        party: party(&a.party)?,
                        channel: contact(&a.channel)?,
                        held_on: Some(date(&a.date)?),
                        present: a.present,
                        summary: a.summary,
                        intake_amendment: amendment,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&r)?;
            } else {
                outln!("interview {}", r.interview_id);
                if r.intake_revision > 0 {
                    outln!(
                        "intake revision {}: {}; unmet: {}",
                        r.intake_revision,
                        r.amended_fields.join(", "),
                        requirement_ids(&r.unmet_requirements, ", ")
                    );
                }
                if let Some(s) = &r.case {
                    print_summary(s);
                }
            }
            return Ok(());
        }
        InvestigationCommand::Evidence(a) => {
            let a = *a;
            let file = match &a.file {
                None => None,
                Some(path) => {
                    let content = std::fs::read(path)
                        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
                    let content_type = match &a.content_type {
                        Some(t) => t.clone(),
                        None => content_type_of(path)?,
                    };
                    Some(pb::FileUpload {
                        file_name: path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or("file")
                            .to_string(),
                        content_type,
                        content,
                    })
                }
            };
            let evidence = pb::AddEvidenceRequest {
                complaint_id: a.id,
                kind: parse_enum(
                    "EVIDENCE_KIND_",
                    &a.kind,
                    pb::EvidenceKind::from_str_name,
                    "document, photo, statement, medical-report, audio, video, screenshot, other",
                )?,
                source: parse_enum(
                    "EVIDENCE_SOURCE_",
                    &a.source,
                    pb::EvidenceSource::from_str_name,
                    "complainant, reported-party, victim, witness, agency, officer, other",
                )?,
                source_detail: a.source_detail,
                collected_on: Some(date(&a.date)?),
                collected_by: a.collected_by,
                description: a.description,
                file,
            };
            upload_evidence(&mut c, &args, evidence).await?
        }
        InvestigationCommand::Download {
            id,
            evidence,
            purpose,
            out,
            force,
        } => {
            // Refuse before the read is made (and logged) when the file would be overwritten.
            if !force && std::fs::symlink_metadata(&out).is_ok() {
                return Err(CliError(format!(
                    "{} exists: choose another --out, or give --force to replace it",
                    out.display()
                )));
            }
            let f = c
                .get_evidence_file(request(
                    &args,
                    pb::GetEvidenceFileRequest {
                        complaint_id: id,
                        evidence_id: evidence,
                        purpose,
                    },
                )?)
                .await?
                .into_inner();
            write_private(&out, &f.content, force)?;
            let info = f.info.unwrap_or_default();
            if args.json() {
                // What was written, not the reply: its content is the file.
                let written = serde_json::json!({
                    "evidence_id": f.evidence_id, "file_name": info.file_name,
                    "content_type": info.content_type, "size_bytes": info.size_bytes,
                    "sha256": info.sha256, "metadata_removed": info.metadata_removed,
                    "written_to": out.display().to_string(),
                });
                outln!("{written:#}");
            } else {
                outln!(
                    "{} ({}, {} bytes, sha256 {}) written to {}",
                    info.file_name,
                    info.content_type,
                    info.size_bytes,
                    info.sha256,
                    out.display()
                );
            }
            return Ok(());
        }
        InvestigationCommand::HomeVisit {
            id,
            date: d,
            location,
            present,
            findings,
        } => c
            .record_home_visit(request(
                &args,
                pb::RecordHomeVisitRequest {
                    complaint_id: id,
                    visited_on: Some(date(&d)?),
                    location,
                    present,
                    findings,
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::Coordinate {
            id,
            agency,
            channel: ch,
            date: d,
            summary,
        } => c
            .record_coordination(request(
                &args,
                pb::RecordCoordinationRequest {
                    complaint_id: id,
                    agency,
                    channel: contact(&ch)?,
                    held_on: Some(date(&d)?),
                    summary,
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::Eligibility {
            id,
            qualifies,
            not_qualified,
            note,
        } => {
            if !qualifies && not_qualified.is_none() {
                return Err(CliError(
                    "give --qualifies or --not-qualified REASON".into(),
                ));
            }
            c.decide_eligibility(request(
                &args,
                pb::DecideEligibilityRequest {
                    complaint_id: id,
                    qualifies,
                    reason_code: not_qualified
                        .map(|r| r.replace('-', "_"))
                        .unwrap_or_default(),
                    note,
                },
            )?)
            .await?
            .into_inner()
        }
        InvestigationCommand::Session(a) => {
            let a = *a;
            c.record_session(request(
                &args,
                pb::RecordSessionRequest {
                    complaint_id: a.id,
                    kind: parse_enum(
                        "SESSION_KIND_",
                        &a.kind,
                        pb::SessionKind::from_str_name,
                        "investigation, mediation, family-counselling",
                    )?,
                    held_on: Some(date(&a.date)?),
                    topic_codes: a.topics,
                    parties: a
                        .parties
                        .iter()
                        .map(|p| session_party(p))
                        .collect::<Result<_, _>>()?,
                    outcome: parse_enum(
                        "SESSION_OUTCOME_",
                        &a.outcome,
                        pb::SessionOutcome::from_str_name,
                        "agreement-reached, no-agreement, referred, continued",
                    )?,
                    agreement_terms: a.terms,
                    summary: a.summary,
                    next_session_on: a.next.as_deref().map(date).transpose()?,
                },
            )?)
            .await?
            .into_inner()
        }
        InvestigationCommand::Consent(a) => {
            let a = *a;
            c.record_consent(request(
                &args,
                pb::RecordConsentRequest {
                    complaint_id: a.id,
                    subject_role: party(&a.subject_role)?,
                    subject_name: a.subject_name,
                    subject_is_child: a.child,
                    giver: parse_enum(
                        "CONSENT_GIVER_",
                        &a.giver,
                        pb::ConsentGiver::from_str_name,
                        "the-person, parent, guardian",
                    )?,
                    giver_name: a.giver_name,
                    giver_is_alleged_perpetrator: a.perpetrator,
                    form: parse_enum(
                        "CONSENT_FORM_",
                        &a.form,
                        pb::ConsentForm::from_str_name,
                        "written, oral",
                    )?,
                    given_on: Some(date(&a.date)?),
                },
            )?)
            .await?
            .into_inner()
        }
        InvestigationCommand::Refer(a) => {
            let a = *a;
            if a.consent.is_none() && a.override_reason.is_none() {
                return Err(CliError(
                    "give --consent ID (recorded consent) or --override REASON (Head or Bidang head)"
                        .into(),
                ));
            }
            c.make_referral(request(
                &args,
                pb::MakeReferralRequest {
                    complaint_id: a.id,
                    agency: a.agency,
                    agency_name: a.agency_name,
                    violence_type_code: a.violence,
                    place_code: a.place,
                    relationship_code: a.relationship,
                    age_band_code: a.age_band,
                    service_codes: a.services,
                    reason: a.reason,
                    consent_id: a.consent.unwrap_or_default(),
                    override_reason: a.override_reason.unwrap_or_default(),
                },
            )?)
            .await?
            .into_inner()
        }
        InvestigationCommand::AnswerReferral {
            id,
            referral,
            accept,
            reject,
            reason_code,
            note,
            reference,
        } => {
            if !accept && !reject {
                return Err(CliError("give --accept or --reject".into()));
            }
            let r = c
                .answer_referral(request(
                    &args,
                    pb::AnswerReferralRequest {
                        complaint_id: id,
                        referral_id: referral,
                        accepted: accept,
                        reason_code,
                        note,
                        agency_reference: reference,
                    },
                )?)
                .await?
                .into_inner();
            let state = enum_word(r.state, "REFERRAL_STATE_", pb::ReferralState::as_str_name);
            if args.json() {
                print_message(&r)?;
            } else {
                outln!("referral {} to {}: {state}", r.referral_id, r.agency);
            }
            return Ok(());
        }
        InvestigationCommand::Note { id, text } => c
            .add_case_note(request(
                &args,
                pb::AddCaseNoteRequest {
                    complaint_id: id,
                    text,
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::Draft { id, text, outcome } => c
            .draft_response(request(
                &args,
                pb::DraftResponseRequest {
                    complaint_id: id,
                    text,
                    outcome_code: outcome.trim().to_ascii_lowercase().replace('-', "_"),
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::Approve { id, revision } => c
            .approve_response(request(
                &args,
                pb::ApproveResponseRequest {
                    complaint_id: id,
                    revision,
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::Return {
            id,
            revision,
            reason,
        } => c
            .return_response(request(
                &args,
                pb::ReturnResponseRequest {
                    complaint_id: id,
                    revision,
                    reason,
                },
            )?)
            .await?
            .into_inner(),
        InvestigationCommand::AccessLog { id, limit, page } => {
            let r = c
                .list_access_log(request(
                    &args,
                    pb::ListAccessLogRequest {
                        complaint_id: id.unwrap_or_default(),
                        page_size: limit,
                        page_token: page,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&r)?;
            } else {
                let rows: Vec<Vec<String>> = r
                    .entries
                    .iter()
                    .map(|e| {
                        vec![
                            ts_short(&e.accessed_at),
                            who(&e.actor),
                            e.actor.as_ref().map(|a| a.role.clone()).unwrap_or_default(),
                            e.complaint_id.clone(),
                            e.what.clone(),
                            e.purpose.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &["At", "Who", "Role", "Complaint", "What", "Purpose"],
                        &rows
                    )
                );
                print_next_page(&r.next_page_token);
            }
            return Ok(());
        }
    };
    if args.json() {
        print_message(&change)?;
    } else {
        if !change.record_id.is_empty() {
            outln!("recorded {}", change.record_id);
        }
        if let Some(s) = &change.case {
            print_summary(s);
        }
    }
    Ok(())
}

/// Writes a downloaded evidence file readable by its owner only (mode 0600 on Unix): created
/// exclusively (an existing file, or a link in its place, is refused) unless `force`, which
/// replaces the file and narrows its permissions before any content is written. A failed write
/// removes what it created.
fn write_private(path: &std::path::Path, content: &[u8], force: bool) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError(format!(
                "{} exists: choose another --out, or give --force to replace it",
                path.display()
            ))
        } else {
            CliError(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    let written = (|| {
        // A replaced file keeps its old mode unless narrowed here.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(content)?;
        file.sync_all()
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(path);
        CliError(format!("cannot write {}: {e}", path.display()))
    })
}

/// S10 with a file: the evidence first, then its content in chunks of 1 MiB (UploadEvidence, so
/// the server never holds more than its limit of one upload); without a file, AddEvidence.
async fn upload_evidence(
    c: &mut pb::investigation_service_client::InvestigationServiceClient<tonic::transport::Channel>,
    args: &ClientArgs,
    mut evidence: pb::AddEvidenceRequest,
) -> Result<pb::CaseChange, CliError> {
    use pb::upload_evidence_request::Part;
    let Some(file) = evidence.file.as_mut() else {
        return Ok(c.add_evidence(request(args, evidence)?).await?.into_inner());
    };
    let content = std::mem::take(&mut file.content);
    let mut parts = vec![pb::UploadEvidenceRequest {
        part: Some(Part::Evidence(evidence)),
    }];
    for chunk in content.chunks(1 << 20) {
        parts.push(pb::UploadEvidenceRequest {
            part: Some(Part::Chunk(chunk.to_vec())),
        });
    }
    Ok(c.upload_evidence(request(args, tokio_stream::iter(parts))?)
        .await?
        .into_inner())
}
