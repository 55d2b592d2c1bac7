//! The command line for triage (S4-S7): the screening queue, decisions, forwarding to the Head,
//! dispositions and the lembar disposisi.

use aduan_proto::triage::v1::{self as pb, triage_service_client::TriageServiceClient};
use clap::{Args, Subcommand};

use super::{
    CliError, ClientArgs, HISTORY_HEADERS, channel, channel_name, date, date_str, enum_label,
    history_row, kv, outln, parse_enum, print_message, print_next_page, request, requirement_ids,
    requirement_of, status_name, table, ts_short,
};

/// Triage steps (S4-S7) against a running server.
#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// S4: the screening queue of an office, urgent first.
    Queue {
        /// Office code (default: the token's office is not known here, so it is required).
        #[arg(long)]
        office: String,
        /// Also complaints waiting for information or for the Head.
        #[arg(long)]
        all: bool,
        /// Only urgent ones.
        #[arg(long)]
        urgent: bool,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
    /// One complaint's triage record: decisions, dispositions, history, SLA clock.
    Show {
        /// Complaint id.
        id: String,
        /// Why the case is read (written, sealed, to triage's access log).
        #[arg(long, default_value = "")]
        purpose: String,
    },
    /// S4: mark a complaint urgent (or not), overriding the rules.
    Urgency {
        /// Complaint id.
        id: String,
        /// Not urgent (default: urgent).
        #[arg(long)]
        not: bool,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// S4: the screening decision.
    Screen(ScreenArgs),
    /// S5: forward an accepted complaint to the Head.
    Forward {
        /// Complaint id.
        id: String,
        /// The summary for the Head.
        #[arg(long)]
        summary: String,
        /// biasa, segera, sangat-segera or rahasia (default from urgency and confidentiality).
        #[arg(long)]
        nature: Option<String>,
    },
    /// S6-S7: the Head's disposition to a Bidang (again: change it, with --change-reason).
    Dispose {
        /// Complaint id.
        id: String,
        /// Target Bidang code, e.g. uptd_ppa.
        #[arg(long)]
        bidang: String,
        /// Instruction (repeatable): untuk-ditindaklanjuti, untuk-diketahui, koordinasikan,
        /// siapkan-jawaban, proses-sesuai-ketentuan, pelajari-dan-telaah, hadir-mewakili, arsip.
        #[arg(long = "instruction")]
        instructions: Vec<String>,
        /// Free-text instruction.
        #[arg(long, default_value = "")]
        note: String,
        /// Due date YYYY-MM-DD (default: the SLA due date).
        #[arg(long)]
        due: Option<String>,
        /// biasa, segera, sangat-segera or rahasia.
        #[arg(long)]
        nature: Option<String>,
        /// Why the disposition changes (required for a change).
        #[arg(long, default_value = "")]
        change_reason: String,
    },
    /// S6: the disposition sheet (lembar disposisi).
    Sheet {
        /// Complaint id.
        id: String,
        /// A version (default: the current one).
        #[arg(long, default_value_t = 0)]
        version: i32,
    },
}

/// The screening decision: exactly one of the flags.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Complaint id.
    pub id: String,
    /// Accept for handling by this office.
    #[arg(long, group = "decision")]
    pub accept: bool,
    /// Reject as a surat kaleng (the reporter cannot be identified).
    #[arg(long, group = "decision")]
    pub reject: bool,
    /// Transfer to another office of the province (its code).
    #[arg(long, group = "decision")]
    pub transfer_to: Option<String>,
    /// Refer to an outside agency: its code in data/agencies.csv (e.g. polres, bpjs_kesehatan).
    #[arg(long, group = "decision")]
    pub refer_to: Option<String>,
    /// Information is missing: back to the complainant (S9).
    #[arg(long, group = "decision")]
    pub needs_info: bool,
    /// A duplicate of this earlier complaint (its id).
    #[arg(long, group = "decision")]
    pub duplicate_of: Option<String>,
    /// Why (required except for accept; a note for accept).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// With --needs-info: the requirements to complete (R1-R6, repeatable).
    #[arg(long = "requirement")]
    pub requirements: Vec<String>,
}

fn nature(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "NATURE_",
        raw,
        pb::Nature::from_str_name,
        "biasa, segera, sangat-segera, rahasia",
    )
}

fn instruction(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "INSTRUCTION_",
        raw,
        pb::Instruction::from_str_name,
        "INSTRUCTION_* in triage.proto, e.g. untuk-ditindaklanjuti",
    )
}

fn nature_name(v: i32) -> String {
    enum_label(v, "NATURE_", pb::Nature::as_str_name)
}

fn instruction_names(list: &[i32]) -> String {
    list.iter()
        .map(|i| enum_label(*i, "INSTRUCTION_", pb::Instruction::as_str_name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_case(c: &pb::TriageCase) {
    let sla = c.sla.clone().unwrap_or_default();
    outln!(
        "{}",
        kv(&[
            ("Complaint", c.complaint_id.clone()),
            ("Number", c.registration_number.clone()),
            ("Office", c.office_code.clone()),
            ("Status", status_name(c.status)),
            ("Channel", channel_name(c.channel)),
            ("Category", c.category_code.clone()),
            ("Registered", ts_short(&c.registered_at)),
            (
                "Urgent",
                if c.urgent {
                    format!("yes ({})", c.urgency_reasons.join(", "))
                } else {
                    "no".into()
                }
            ),
            ("Unmet", requirement_ids(&c.unmet_requirements, ", ")),
            (
                "SLA",
                format!(
                    "{} {}: {}, {:.2} of {} working days, due {}",
                    sla.policy_code,
                    sla.stage,
                    sla.state,
                    sla.working_days_used,
                    sla.working_days_budget,
                    ts_short(&sla.due_at)
                )
            ),
            ("Reason", c.screening_reason.clone()),
            ("Transferred from", c.transferred_from.clone()),
            ("Transferred to", c.transferred_to.clone()),
            ("Referred to", c.referred_to_agency.clone()),
            ("Duplicate of", c.duplicate_of.clone()),
            ("Summary", c.head_summary.clone()),
        ])
    );
    if !c.dispositions.is_empty() {
        let rows: Vec<Vec<String>> = c
            .dispositions
            .iter()
            .map(|d| {
                vec![
                    d.version.to_string(),
                    d.bidang_code.clone(),
                    instruction_names(&d.instructions),
                    date_str(&d.due_date),
                    ts_short(&d.issued_at),
                    if d.superseded {
                        "superseded"
                    } else {
                        "current"
                    }
                    .into(),
                ]
            })
            .collect();
        outln!(
            "\nDispositions\n{}",
            table(
                &["Ver", "Bidang", "Instructions", "Due", "Issued", ""],
                &rows
            )
        );
    }
    let rows: Vec<Vec<String>> = c
        .history
        .iter()
        .map(|h| {
            let detail = if h.note.is_empty() {
                h.detail.clone()
            } else {
                format!("{}: {}", h.detail, h.note)
            };
            history_row(&h.at, &h.actor, &h.action, h.status, detail)
        })
        .collect();
    outln!("\nHistory\n{}", table(HISTORY_HEADERS, &rows));
}

/// Runs one triage subcommand.
pub async fn run_triage(args: ClientArgs, cmd: TriageCommand) -> Result<(), CliError> {
    let mut c = TriageServiceClient::new(channel(&args).await?);
    let case = match cmd {
        TriageCommand::Queue {
            office,
            all,
            urgent,
            limit,
            page,
        } => {
            let resp = c
                .list_queue(request(
                    &args,
                    pb::ListQueueRequest {
                        office_code: office,
                        include_waiting: all,
                        urgent_only: urgent,
                        page_size: limit,
                        page_token: page,
                    },
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
                        let sla = e.sla.clone().unwrap_or_default();
                        vec![
                            if e.urgent { "!" } else { "" }.into(),
                            e.registration_number.clone(),
                            status_name(e.status),
                            e.category_code.clone(),
                            format!("{:.1} wd", e.age_working_days),
                            format!("{} ({})", date_str(&sla.due_date), sla.state),
                            e.complaint_id.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &[
                            "",
                            "Number",
                            "Status",
                            "Category",
                            "Age",
                            "Due",
                            "Complaint"
                        ],
                        &rows
                    )
                );
                outln!("\n{} waiting for screening", resp.waiting_total);
                print_next_page(&resp.next_page_token);
            }
            return Ok(());
        }
        TriageCommand::Show { id, purpose } => c
            .get_case(request(
                &args,
                pb::GetCaseRequest {
                    complaint_id: id,
                    purpose,
                },
            )?)
            .await?
            .into_inner(),
        TriageCommand::Urgency { id, not, reason } => c
            .set_urgency(request(
                &args,
                pb::SetUrgencyRequest {
                    complaint_id: id,
                    urgent: !not,
                    reason,
                },
            )?)
            .await?
            .into_inner(),
        TriageCommand::Screen(a) => {
            use pb::screen_complaint_request::Decision;
            let decision = if a.accept {
                Decision::Accept(pb::Accept { note: a.reason })
            } else if a.reject {
                Decision::RejectSuratKaleng(pb::RejectSuratKaleng { reason: a.reason })
            } else if let Some(t) = a.transfer_to {
                Decision::Transfer(pb::Transfer {
                    target_office_code: t,
                    reason: a.reason,
                })
            } else if let Some(agency) = a.refer_to {
                Decision::ReferOut(pb::ReferOut {
                    agency,
                    reason: a.reason,
                })
            } else if a.needs_info {
                Decision::NeedsInformation(pb::NeedsInformation {
                    reason: a.reason,
                    requirements: a
                        .requirements
                        .iter()
                        .map(|r| requirement_of(r))
                        .collect::<Result<_, _>>()?,
                })
            } else if let Some(d) = a.duplicate_of {
                Decision::Duplicate(pb::Duplicate {
                    duplicate_of: d,
                    reason: a.reason,
                })
            } else {
                return Err(CliError(
                    "give one decision: --accept, --reject, --transfer-to, --refer-to, --needs-info or --duplicate-of".into(),
                ));
            };
            c.screen_complaint(request(
                &args,
                pb::ScreenComplaintRequest {
                    complaint_id: a.id,
                    decision: Some(decision),
                },
            )?)
            .await?
            .into_inner()
        }
        TriageCommand::Forward {
            id,
            summary,
            nature: n,
        } => {
            let nature = n.as_deref().map(nature).transpose()?.unwrap_or(0);
            c.forward_to_head(request(
                &args,
                pb::ForwardToHeadRequest {
                    complaint_id: id,
                    summary,
                    nature,
                },
            )?)
            .await?
            .into_inner()
        }
        TriageCommand::Dispose {
            id,
            bidang,
            instructions,
            note,
            due,
            nature: n,
            change_reason,
        } => {
            let req = pb::IssueDispositionRequest {
                complaint_id: id,
                bidang_code: bidang,
                instructions: instructions
                    .iter()
                    .map(|i| instruction(i))
                    .collect::<Result<_, _>>()?,
                note,
                due_date: due.as_deref().map(date).transpose()?,
                nature: n.as_deref().map(nature).transpose()?.unwrap_or(0),
                change_reason,
            };
            c.issue_disposition(request(&args, req)?)
                .await?
                .into_inner()
        }
        TriageCommand::Sheet { id, version } => {
            let s = c
                .get_disposition_sheet(request(
                    &args,
                    pb::GetDispositionSheetRequest {
                        complaint_id: id,
                        version,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&s)?;
            } else {
                let sig = s.signature.clone().unwrap_or_default();
                outln!("LEMBAR DISPOSISI\n{}\n", s.office_name);
                outln!(
                    "{}",
                    kv(&[
                        ("Nomor agenda", s.agenda_number.clone()),
                        ("Tanggal diterima", date_str(&s.received_date)),
                        ("Asal surat", s.sender.clone()),
                        ("Nomor surat", s.letter_number.clone()),
                        ("Tanggal surat", date_str(&s.letter_date)),
                        ("Perihal", s.subject.clone()),
                        ("Sifat", nature_name(s.nature)),
                        ("Diteruskan kepada", s.target_bidang_name.clone()),
                        ("Disposisi", instruction_names(&s.instructions)),
                        ("Catatan", s.note.clone()),
                        ("Batas waktu", date_str(&s.due_date)),
                        ("Ringkasan", s.summary.clone()),
                        (
                            "Versi",
                            format!(
                                "{}{}",
                                s.version,
                                if s.superseded { " (diganti)" } else { "" }
                            )
                        ),
                    ])
                );
                outln!("\n{}\n{}\n({})", sig.place_date, sig.title, sig.signed_by);
            }
            return Ok(());
        }
    };
    if args.json() {
        print_message(&case)?;
    } else {
        print_case(&case);
    }
    Ok(())
}
