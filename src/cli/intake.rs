//! The command line for intake (S1-S3, S9): register, read, list, amend and track complaints.

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1::{self as pb, intake_service_client::IntakeServiceClient};
use clap::{Args, Subcommand};
use tonic::transport::Channel;

use super::{
    CliError, ClientArgs, channel, channel_name, channel_of, date, enum_name, kv, outln,
    print_message, read_message, request, requirement_id, requirement_ids, requirement_of,
    status_name, status_of, table, timestamp, ts_short,
};

/// Intake steps (S1-S3, S9) against a running server.
#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// S1-S3: register a complaint (from flags, a JSON file, or both; flags win).
    Submit(Box<SubmitArgs>),
    /// Show one complaint with its personal data (the read is logged).
    Show {
        /// Complaint id.
        id: String,
        /// A past revision (1 = as registered).
        #[arg(long, default_value_t = 0)]
        revision: i32,
        /// Why you read it (written to the access log).
        #[arg(long, default_value = "")]
        purpose: String,
    },
    /// List complaints of an office, newest first, without personal data.
    List(ListArgs),
    /// S9: complete or correct a complaint.
    Amend(AmendArgs),
    /// The history of a complaint's record.
    History {
        /// Complaint id.
        id: String,
    },
    /// Earlier complaints of the same person, by NIK or phone number.
    Find {
        /// NIK.
        #[arg(long, conflicts_with = "phone")]
        nik: Option<String>,
        /// Phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Office (default: the token's).
        #[arg(long, default_value = "")]
        office: String,
    },
    /// Who read a complaint's personal data.
    AccessLog {
        /// Complaint id.
        id: String,
    },
    /// Public tracking by tracking code (no token needed).
    Track {
        /// The tracking code, e.g. 7K3Q-M9XD-2HPA.
        code: String,
    },
}

/// Flags of `submit`.
#[derive(Debug, Args, Default)]
pub struct SubmitArgs {
    /// A JSON file with the complaint (see docs/cli.md for its form).
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    /// Idempotency key; default: a new random one (printed, so a retry can reuse it).
    #[arg(long)]
    pub request_id: Option<String>,
    /// Office code, e.g. 35.27.
    #[arg(long)]
    pub office: Option<String>,
    /// walk-in, letter, phone, fax, email or partner-api.
    #[arg(long)]
    pub channel: Option<String>,
    /// When it reached the office (RFC 3339); default now.
    #[arg(long)]
    pub received_at: Option<String>,
    /// Reporter's full name (R2).
    #[arg(long)]
    pub reporter_name: Option<String>,
    /// Reporter's NIK.
    #[arg(long)]
    pub reporter_nik: Option<String>,
    /// Reporter's phone.
    #[arg(long)]
    pub reporter_phone: Option<String>,
    /// Reporter's e-mail.
    #[arg(long)]
    pub reporter_email: Option<String>,
    /// Reporter's address line (R2).
    #[arg(long)]
    pub reporter_address: Option<String>,
    /// Reported party's name (R2).
    #[arg(long)]
    pub reported_name: Option<String>,
    /// Reported party described when the name is unknown (R2).
    #[arg(long)]
    pub reported_description: Option<String>,
    /// The object of the complaint (R3).
    #[arg(long)]
    pub subject: Option<String>,
    /// The complaint (R1).
    #[arg(long)]
    pub description: Option<String>,
    /// Chronology (R4).
    #[arg(long)]
    pub chronology: Option<String>,
    /// Incident date YYYY-MM-DD (R4).
    #[arg(long)]
    pub incident_date: Option<String>,
    /// Incident place (R4).
    #[arg(long)]
    pub incident_place: Option<String>,
    /// Category code (R5), see data/categories.csv.
    #[arg(long)]
    pub category: Option<String>,
    /// Letter number (R6).
    #[arg(long)]
    pub letter_number: Option<String>,
    /// Letter date YYYY-MM-DD (R6).
    #[arg(long)]
    pub letter_date: Option<String>,
    /// Letter addressee as written (R6).
    #[arg(long)]
    pub letter_addressee: Option<String>,
    /// The officer confirms the letter is addressed to this office (R6).
    #[arg(long)]
    pub addressed_to_office: bool,
    /// Anonim: hide the reporter from the reported party and the public.
    #[arg(long)]
    pub anonymous: bool,
    /// Rahasia: the content is confidential.
    #[arg(long)]
    pub confidential: bool,
}

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Office (default: the token's).
    #[arg(long, default_value = "")]
    pub office: String,
    /// Status filter (repeatable), e.g. registered.
    #[arg(long)]
    pub status: Vec<String>,
    /// Channel filter (repeatable).
    #[arg(long)]
    pub channel: Vec<String>,
    /// Only complaints missing one of these requirements (repeatable), e.g. R2.
    #[arg(long)]
    pub unmet: Vec<String>,
    /// Category filter.
    #[arg(long, default_value = "")]
    pub category: String,
    /// Received at or after (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// Received before (RFC 3339).
    #[arg(long)]
    pub to: Option<String>,
    /// Page size (1-500).
    #[arg(long, default_value_t = 50)]
    pub page_size: i32,
    /// Token of the page to fetch.
    #[arg(long, default_value = "")]
    pub page_token: String,
}

/// Flags of `amend`.
#[derive(Debug, Args)]
pub struct AmendArgs {
    /// Complaint id.
    pub id: String,
    /// Why (required), e.g. "wawancara S9 3 Des".
    #[arg(long)]
    pub reason: String,
    /// The revision you read (refused if the record changed since).
    #[arg(long, default_value_t = 0)]
    pub expected_revision: i32,
    /// path=value, repeatable: reporter.full_name=…, reporter.address=…, content.chronology=…,
    /// content.incident_date=2026-03-02, letter.addressed_to_office=true, visibility.anonymous=true.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// A JSON file with the new values (same form as submit) …
    #[arg(long, requires = "mask")]
    pub file: Option<std::path::PathBuf>,
    /// … and the comma-separated paths to take from it.
    #[arg(long)]
    pub mask: Option<String>,
}

async fn client(args: &ClientArgs) -> Result<IntakeServiceClient<Channel>, CliError> {
    Ok(IntakeServiceClient::new(channel(args).await?))
}

fn person_line(p: &Option<common::Person>) -> String {
    let Some(p) = p else { return String::new() };
    let mut parts = vec![];
    for s in [&p.full_name, &p.description, &p.nik, &p.phone, &p.email] {
        if !s.is_empty() {
            parts.push(s.clone());
        }
    }
    if let Some(a) = &p.address
        && !a.line.is_empty()
    {
        parts.push(a.line.clone());
    }
    parts.join(" · ")
}

fn print_complaint(c: &pb::Complaint) {
    let content = c.content.clone().unwrap_or_default();
    let identity = c.identity.unwrap_or_default();
    let mut flags = vec![];
    if !identity.reporter_identified {
        flags.push("reporter not identified (surat kaleng?)");
    }
    if identity.anonymous {
        flags.push("anonim");
    }
    if identity.confidential {
        flags.push("rahasia");
    }
    if identity.involves_child {
        flags.push("child involved");
    }
    outln!(
        "{}",
        kv(&[
            ("Registration", c.registration_number.clone()),
            ("Tracking code", c.tracking_code.clone()),
            ("Id", c.id.clone()),
            ("Office", c.office_code.clone()),
            ("Channel", channel_name(c.channel)),
            ("Status", status_name(c.status)),
            ("Received", ts_short(&c.received_at)),
            ("Registered", ts_short(&c.registered_at)),
            ("Revision", c.revision.to_string()),
            ("Reporter", person_line(&c.reporter)),
            ("Reported party", person_line(&c.reported_party)),
            ("Victims", c.victims.len().to_string()),
            ("Category", content.category_code.clone()),
            ("Subject", content.subject.clone()),
            ("Flags", flags.join(", ")),
        ])
    );
    let rows: Vec<Vec<String>> = c
        .requirements
        .iter()
        .map(|r| {
            vec![
                requirement_id(r.requirement),
                if r.met { "met".into() } else { "UNMET".into() },
                r.missing_fields.join(", "),
                r.hint.clone(),
            ]
        })
        .collect();
    outln!(
        "\n{}",
        table(&["Req", "Status", "Missing", "Ask at S9"], &rows)
    );
}

fn summary_rows(list: &[pb::ComplaintSummary]) -> Vec<Vec<String>> {
    list.iter()
        .map(|s| {
            vec![
                s.registration_number.clone(),
                ts_short(&s.received_at),
                channel_name(s.channel),
                s.category_code.clone(),
                status_name(s.status),
                requirement_ids(&s.unmet_requirements, ","),
                s.id.clone(),
            ]
        })
        .collect()
}

const SUMMARY_HEADERS: &[&str] = &[
    "Registration",
    "Received",
    "Channel",
    "Category",
    "Status",
    "Unmet",
    "Id",
];

fn submit_request(a: SubmitArgs) -> Result<pb::SubmitComplaintRequest, CliError> {
    let mut body: pb::SubmitComplaintRequest = match &a.file {
        Some(p) => read_message(p)?,
        None => pb::SubmitComplaintRequest::default(),
    };
    if let Some(id) = a.request_id {
        body.request_id = id;
    }
    if body.request_id.is_empty() {
        body.request_id = format!("cli-{}", uuid::Uuid::new_v4());
    }
    if let Some(office) = a.office {
        body.office_code = office;
    }
    if let Some(c) = a.channel {
        body.channel = channel_of(&c)?;
    }
    if let Some(t) = a.received_at {
        body.received_at = Some(timestamp(&t)?);
    }
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    if a.reporter_name.is_some()
        || a.reporter_nik.is_some()
        || a.reporter_phone.is_some()
        || a.reporter_email.is_some()
        || a.reporter_address.is_some()
    {
        let r = body.reporter.get_or_insert_with(Default::default);
        set(&mut r.full_name, a.reporter_name);
        set(&mut r.nik, a.reporter_nik);
        set(&mut r.phone, a.reporter_phone);
        set(&mut r.email, a.reporter_email);
        if let Some(line) = a.reporter_address {
            r.address.get_or_insert_with(Default::default).line = line;
        }
    }
    if a.reported_name.is_some() || a.reported_description.is_some() {
        let r = body.reported_party.get_or_insert_with(Default::default);
        set(&mut r.full_name, a.reported_name);
        set(&mut r.description, a.reported_description);
    }
    if a.subject.is_some()
        || a.description.is_some()
        || a.chronology.is_some()
        || a.incident_date.is_some()
        || a.incident_place.is_some()
        || a.category.is_some()
    {
        let c = body.content.get_or_insert_with(Default::default);
        set(&mut c.subject, a.subject);
        set(&mut c.description, a.description);
        set(&mut c.chronology, a.chronology);
        set(&mut c.incident_place, a.incident_place);
        set(&mut c.category_code, a.category);
        if let Some(d) = a.incident_date {
            c.incident_date = Some(date(&d)?);
        }
    }
    if a.letter_number.is_some()
        || a.letter_date.is_some()
        || a.letter_addressee.is_some()
        || a.addressed_to_office
    {
        let l = body.letter.get_or_insert_with(Default::default);
        set(&mut l.number, a.letter_number);
        set(&mut l.addressee, a.letter_addressee);
        if let Some(d) = a.letter_date {
            l.date = Some(date(&d)?);
        }
        l.addressed_to_office |= a.addressed_to_office;
    }
    if a.anonymous || a.confidential {
        let v = body.visibility.get_or_insert_with(Default::default);
        v.anonymous |= a.anonymous;
        v.confidential |= a.confidential;
    }
    Ok(body)
}

/// The complaint body of a `--file` in the form of `submit` (a `SubmitComplaintRequest`) as a
/// patch for `amend`.
fn read_patch(path: &std::path::Path) -> Result<pb::ComplaintPatch, CliError> {
    let b: pb::SubmitComplaintRequest = read_message(path)?;
    Ok(pb::ComplaintPatch {
        letter: b.letter,
        reporter: b.reporter,
        reported_party: b.reported_party,
        victims: b.victims,
        content: b.content,
        visibility: b.visibility,
        partner_reference: b.partner_reference,
        attachments: b.attachments,
    })
}

/// Applies `--set path=value` to a patch; returns the path for the update mask.
pub fn set_path(patch: &mut pb::ComplaintPatch, assignment: &str) -> Result<String, CliError> {
    let (path, value) = assignment
        .split_once('=')
        .ok_or_else(|| CliError(format!("--set needs PATH=VALUE: {assignment}")))?;
    let v = value.to_string();
    let boolean = |s: &str| match s {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(CliError(format!("{path}: expected true or false"))),
    };
    let (section, field) = path.split_once('.').ok_or_else(|| {
        CliError(format!(
            "--set needs a field path such as content.chronology: {path}"
        ))
    })?;
    match section {
        "reporter" | "reported_party" => {
            let p = if section == "reporter" {
                patch.reporter.get_or_insert_with(Default::default)
            } else {
                patch.reported_party.get_or_insert_with(Default::default)
            };
            match field {
                "full_name" => p.full_name = v,
                "nik" => p.nik = v,
                "phone" => p.phone = v,
                "email" => p.email = v,
                "relationship" => p.relationship = v,
                "description" => p.description = v,
                "address" => p.address.get_or_insert_with(Default::default).line = v,
                "birth_date" => p.birth_date = Some(date(&v)?),
                "age_years" => {
                    p.age_years = v
                        .parse()
                        .map_err(|_| CliError(format!("{path}: expected a number")))?
                }
                "sex" => {
                    p.sex = common::Sex::from_str_name(&enum_name("SEX_", &v))
                        .ok_or_else(|| CliError(format!("{path}: male or female")))?
                        as i32
                }
                _ => return Err(CliError(format!("unknown field {path}"))),
            }
        }
        "content" => {
            let c = patch.content.get_or_insert_with(Default::default);
            match field {
                "subject" => c.subject = v,
                "description" => c.description = v,
                "chronology" => c.chronology = v,
                "incident_place" => c.incident_place = v,
                "incident_district_code" => c.incident_district_code = v,
                "category_code" => c.category_code = v,
                "requested_outcome" => c.requested_outcome = v,
                "incident_date" => c.incident_date = Some(date(&v)?),
                _ => return Err(CliError(format!("unknown field {path}"))),
            }
        }
        "letter" => {
            let l = patch.letter.get_or_insert_with(Default::default);
            match field {
                "number" => l.number = v,
                "addressee" => l.addressee = v,
                "subject" => l.subject = v,
                "date" => l.date = Some(date(&v)?),
                "addressed_to_office" => l.addressed_to_office = boolean(&v)?,
                _ => return Err(CliError(format!("unknown field {path}"))),
            }
        }
        "visibility" => {
            let vis = patch.visibility.get_or_insert_with(Default::default);
            match field {
                "anonymous" => vis.anonymous = boolean(&v)?,
                "confidential" => vis.confidential = boolean(&v)?,
                _ => return Err(CliError(format!("unknown field {path}"))),
            }
        }
        _ => return Err(CliError(format!("unknown section in {path}"))),
    }
    Ok(path.to_string())
}

/// Runs one intake subcommand.
pub async fn run_intake(args: ClientArgs, cmd: IntakeCommand) -> Result<(), CliError> {
    let mut c = client(&args).await?;
    match cmd {
        IntakeCommand::Submit(a) => {
            let req = submit_request(*a)?;
            let request_id = req.request_id.clone();
            let resp = c.submit_complaint(request(&args, req)?).await?.into_inner();
            let complaint = resp.complaint.clone().unwrap_or_default();
            if args.json() {
                // The reply does not repeat the idempotency key: a retry needs it.
                eprintln!("request id {request_id}");
                print_message(&resp)?;
            } else {
                outln!(
                    "{} {} (request id {request_id})\n",
                    if resp.replayed {
                        "Already registered:"
                    } else {
                        "Registered:"
                    },
                    complaint.registration_number
                );
                print_complaint(&complaint);
                if !resp.warnings.is_empty() {
                    let rows: Vec<Vec<String>> = resp
                        .warnings
                        .iter()
                        .map(|w| vec![w.field.clone(), w.code.clone(), w.message.clone()])
                        .collect();
                    outln!(
                        "\nWarnings\n{}",
                        table(&["Field", "Code", "Message"], &rows)
                    );
                }
            }
        }
        IntakeCommand::Show {
            id,
            revision,
            purpose,
        } => {
            let resp = c
                .get_complaint(request(
                    &args,
                    pb::GetComplaintRequest {
                        complaint_id: id,
                        revision,
                        purpose,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                print_complaint(&resp.complaint.unwrap_or_default());
            }
        }
        IntakeCommand::List(a) => {
            let req = pb::ListComplaintsRequest {
                office_code: a.office,
                statuses: a
                    .status
                    .iter()
                    .map(|s| status_of(s))
                    .collect::<Result<_, _>>()?,
                channels: a
                    .channel
                    .iter()
                    .map(|s| channel_of(s))
                    .collect::<Result<_, _>>()?,
                received_from: a.from.as_deref().map(timestamp).transpose()?,
                received_to: a.to.as_deref().map(timestamp).transpose()?,
                unmet_requirements: a
                    .unmet
                    .iter()
                    .map(|s| requirement_of(s))
                    .collect::<Result<_, _>>()?,
                page_size: a.page_size,
                page_token: a.page_token,
                category_code: a.category,
            };
            let resp = c.list_complaints(request(&args, req)?).await?.into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                outln!(
                    "{}",
                    table(SUMMARY_HEADERS, &summary_rows(&resp.complaints))
                );
                if !resp.next_page_token.is_empty() {
                    outln!("\nmore: --page-token {}", resp.next_page_token);
                }
            }
        }
        IntakeCommand::Amend(a) => {
            let mut patch = match &a.file {
                Some(p) => read_patch(p)?,
                None => pb::ComplaintPatch::default(),
            };
            let mut paths: Vec<String> = a
                .mask
                .as_deref()
                .map(|m| {
                    m.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            for s in &a.set {
                paths.push(set_path(&mut patch, s)?);
            }
            let req = pb::AmendComplaintRequest {
                complaint_id: a.id,
                expected_revision: a.expected_revision,
                update_mask: Some(prost_types::FieldMask { paths }),
                patch: Some(patch),
                reason: a.reason,
            };
            let resp = c.amend_complaint(request(&args, req)?).await?.into_inner();
            let complaint = resp.complaint.clone().unwrap_or_default();
            if args.json() {
                print_message(&resp)?;
            } else {
                outln!(
                    "Amended: {} is at revision {}\n",
                    complaint.registration_number,
                    complaint.revision
                );
                print_complaint(&complaint);
            }
        }
        IntakeCommand::History { id } => {
            let resp = c
                .list_complaint_revisions(request(
                    &args,
                    pb::ListComplaintRevisionsRequest { complaint_id: id },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                let rows: Vec<Vec<String>> = resp
                    .revisions
                    .iter()
                    .map(|r| {
                        let a = r.actor.clone().unwrap_or_default();
                        vec![
                            r.revision.to_string(),
                            ts_short(&r.created_at),
                            format!("{} ({})", a.subject, a.role),
                            r.changed_fields.join(", "),
                            requirement_ids(&r.unmet_requirements, ","),
                            r.reason.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(&["Rev", "When", "Who", "Changed", "Unmet", "Reason"], &rows)
                );
            }
        }
        IntakeCommand::Find { nik, phone, office } => {
            use pb::find_complaints_by_identity_request::Identity;
            let identity = match (nik, phone) {
                (Some(n), _) => Identity::Nik(n),
                (None, Some(p)) => Identity::Phone(p),
                (None, None) => return Err(CliError("give --nik or --phone".into())),
            };
            let resp = c
                .find_complaints_by_identity(request(
                    &args,
                    pb::FindComplaintsByIdentityRequest {
                        office_code: office,
                        identity: Some(identity),
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                outln!(
                    "{}",
                    table(SUMMARY_HEADERS, &summary_rows(&resp.complaints))
                );
            }
        }
        IntakeCommand::AccessLog { id } => {
            let resp = c
                .list_access_log(request(
                    &args,
                    pb::ListAccessLogRequest { complaint_id: id },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                let rows: Vec<Vec<String>> = resp
                    .entries
                    .iter()
                    .map(|e| {
                        let a = e.actor.clone().unwrap_or_default();
                        vec![
                            ts_short(&e.accessed_at),
                            format!("{} ({})", a.subject, a.role),
                            e.action.clone(),
                            e.purpose.clone(),
                        ]
                    })
                    .collect();
                outln!("{}", table(&["When", "Who", "Action", "Purpose"], &rows));
            }
        }
        IntakeCommand::Track { code } => {
            let resp = c
                .track_complaint(tonic::Request::new(pb::TrackComplaintRequest {
                    tracking_code: code,
                }))
                .await?
                .into_inner();
            if args.json() {
                print_message(&resp)?;
            } else {
                outln!(
                    "{}",
                    kv(&[
                        ("Status", status_name(resp.status)),
                        ("Office", resp.office_code.clone()),
                        ("Received", ts_short(&resp.received_at)),
                        ("Registered", ts_short(&resp.registered_at)),
                        ("Last change", ts_short(&resp.updated_at)),
                    ])
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_paths_build_patches_and_masks() {
        let mut p = pb::ComplaintPatch::default();
        assert_eq!(
            set_path(&mut p, "reporter.address=Jl. Rajawali 7")
                .unwrap_or_else(|e| panic!("{}", e.0)),
            "reporter.address"
        );
        assert_eq!(
            p.reporter.as_ref().unwrap().address.as_ref().unwrap().line,
            "Jl. Rajawali 7"
        );
        assert!(set_path(&mut p, "content.incident_date=2026-03-02").is_ok());
        assert!(set_path(&mut p, "visibility.anonymous=maybe").is_err());
        assert!(set_path(&mut p, "nonsense").is_err());
        assert!(set_path(&mut p, "reporter.shoe=1").is_err());
    }

    #[test]
    fn the_documented_file_form_is_accepted() {
        let doc = include_str!("../../docs/cli.md");
        let section = doc
            .split_once("### The input of `submit --file`")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let example = section
            .split_once("```json\n")
            .and_then(|(_, rest)| rest.split_once("```"))
            .map(|(json, _)| json)
            .unwrap_or_default();
        let req: pb::SubmitComplaintRequest =
            super::super::parse_message(example).unwrap_or_else(|e| panic!("{}", e.0));
        assert_eq!(req.channel, common::Channel::Letter as i32);
        assert_eq!(
            req.reporter.map(|r| r.sex),
            Some(common::Sex::Female as i32)
        );
        assert_eq!(
            req.letter.and_then(|l| l.date),
            Some(common::Date {
                year: 2026,
                month: 11,
                day: 25
            })
        );
        assert_eq!(req.attachments[0].size_bytes, 81234);
    }
}
