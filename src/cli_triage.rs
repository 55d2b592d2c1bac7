//! The command line for triage (S4-S7) and for the event relay's operators.

use aduan_proto::common::v1 as common;
use aduan_proto::events::v1::{self as ev, event_relay_admin_client::EventRelayAdminClient};
use aduan_proto::triage::v1::{self as pb, triage_service_client::TriageServiceClient};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::cli::{CliError, ClientArgs, Output, channel, kv, outln, print_json, request, table};
use crate::json::{
    channel_name, date, enum_name, requirement, requirement_id, status_name, ts_short,
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

/// Operators' commands for the event relay.
#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Position, backlog and dead letters of every relay of the server.
    Status,
    /// Dead letters, oldest first.
    DeadLetters {
        /// Source service, e.g. intake.
        #[arg(long, default_value = "")]
        source: String,
        /// Subscriber, e.g. triage.
        #[arg(long, default_value = "")]
        subscriber: String,
        /// Only this complaint's.
        #[arg(long, default_value = "")]
        complaint: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i32,
    },
    /// Deliver dead letters again, in order.
    Replay {
        /// Source service, e.g. intake.
        #[arg(long)]
        source: String,
        /// Subscriber, e.g. triage.
        #[arg(long)]
        subscriber: String,
        /// Only this complaint's.
        #[arg(long, default_value = "")]
        complaint: String,
    },
}

fn nature(raw: &str) -> Result<i32, CliError> {
    pb::Nature::from_str_name(&enum_name("NATURE_", raw))
        .map(|n| n as i32)
        .ok_or_else(|| {
            CliError(format!(
                "unknown nature {raw}: biasa, segera, sangat-segera, rahasia"
            ))
        })
}

fn instruction(raw: &str) -> Result<i32, CliError> {
    pb::Instruction::from_str_name(&enum_name("INSTRUCTION_", raw))
        .map(|n| n as i32)
        .ok_or_else(|| CliError(format!("unknown instruction {raw}")))
}

fn short(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_string()
}

fn nature_name(v: i32) -> String {
    short(
        pb::Nature::try_from(v).unwrap_or_default().as_str_name(),
        "NATURE_",
    )
}

fn instruction_name(v: i32) -> String {
    short(
        pb::Instruction::try_from(v)
            .unwrap_or_default()
            .as_str_name(),
        "INSTRUCTION_",
    )
}

fn date_str(d: &Option<common::Date>) -> String {
    d.as_ref()
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

fn ts(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn sla_json(s: &Option<pb::SlaView>) -> Value {
    let Some(s) = s else { return Value::Null };
    json!({
        "policy": s.policy_code, "stage": s.stage, "state": s.state,
        "due_at": ts(&s.due_at), "due_date": date_str(&s.due_date),
        "started_at": ts(&s.started_at),
        "working_days_used": s.working_days_used, "working_days_budget": s.working_days_budget,
    })
}

fn actor_json(a: &Option<common::Actor>) -> Value {
    a.as_ref()
        .map(|a| json!({"subject": a.subject, "role": a.role, "office_code": a.office_code}))
        .unwrap_or(Value::Null)
}

fn disposition_json(d: &pb::Disposition) -> Value {
    json!({
        "version": d.version, "bidang_code": d.bidang_code, "bidang_name": d.bidang_name,
        "instructions": d.instructions.iter().map(|i| instruction_name(*i)).collect::<Vec<_>>(),
        "note": d.note, "due_date": date_str(&d.due_date), "nature": nature_name(d.nature),
        "issued_by": actor_json(&d.issued_by), "issued_at": ts(&d.issued_at),
        "superseded": d.superseded, "change_reason": d.change_reason,
    })
}

/// A triage record as JSON.
pub fn case_json(c: &pb::TriageCase) -> Value {
    json!({
        "complaint_id": c.complaint_id, "office_code": c.office_code,
        "registration_number": c.registration_number, "channel": channel_name(c.channel),
        "category_code": c.category_code, "received_at": ts(&c.received_at),
        "registered_at": ts(&c.registered_at), "status": status_name(c.status),
        "urgent": c.urgent, "urgency_reasons": c.urgency_reasons,
        "reporter_identified": c.reporter_identified, "anonymous": c.anonymous,
        "confidential": c.confidential, "involves_child": c.involves_child,
        "unmet_requirements": c.unmet_requirements.iter().map(|r| requirement_id(*r)).collect::<Vec<_>>(),
        "content_markers": c.content_markers,
        "sla": sla_json(&c.sla), "screening_reason": c.screening_reason,
        "transferred_to": c.transferred_to, "transferred_from": c.transferred_from,
        "referred_to_agency": c.referred_to_agency, "duplicate_of": c.duplicate_of,
        "head_summary": c.head_summary, "nature": nature_name(c.nature),
        "dispositions": c.dispositions.iter().map(disposition_json).collect::<Vec<_>>(),
        "history": c.history.iter().map(|h| json!({
            "at": ts(&h.at), "actor": actor_json(&h.actor), "action": h.action,
            "status": status_name(h.status), "detail": h.detail, "office_code": h.office_code,
            "note": h.note,
        })).collect::<Vec<_>>(),
    })
}

fn entry_json(e: &pb::QueueEntry) -> Value {
    json!({
        "complaint_id": e.complaint_id, "registration_number": e.registration_number,
        "channel": channel_name(e.channel), "category_code": e.category_code,
        "status": status_name(e.status), "urgent": e.urgent, "urgency_reasons": e.urgency_reasons,
        "registered_at": ts(&e.registered_at), "age_working_days": e.age_working_days,
        "age_hours": e.age_hours, "sla": sla_json(&e.sla),
        "unmet_requirements": e.unmet_requirements.iter().map(|r| requirement_id(*r)).collect::<Vec<_>>(),
        "reporter_identified": e.reporter_identified, "transferred_from": e.transferred_from,
    })
}

/// A disposition sheet as JSON.
pub fn sheet_json(s: &pb::DispositionSheet) -> Value {
    let sig = s.signature.clone().unwrap_or_default();
    json!({
        "office_name": s.office_name, "office_code": s.office_code,
        "agenda_number": s.agenda_number, "received_date": date_str(&s.received_date),
        "sender": s.sender, "letter_number": s.letter_number, "letter_date": date_str(&s.letter_date),
        "subject": s.subject, "nature": nature_name(s.nature),
        "instructions": s.instructions.iter().map(|i| instruction_name(*i)).collect::<Vec<_>>(),
        "note": s.note, "target_bidang_code": s.target_bidang_code,
        "target_bidang_name": s.target_bidang_name, "due_date": date_str(&s.due_date),
        "summary": s.summary, "version": s.version, "superseded": s.superseded,
        "channel": channel_name(s.channel), "urgent": s.urgent,
        "signature": {"title": sig.title, "signed_by": sig.signed_by, "signed_at": ts(&sig.signed_at), "place_date": sig.place_date},
    })
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
            (
                "Unmet",
                c.unmet_requirements
                    .iter()
                    .map(|r| requirement_id(*r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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
                    d.instructions
                        .iter()
                        .map(|i| instruction_name(*i))
                        .collect::<Vec<_>>()
                        .join(", "),
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
            vec![
                ts_short(&h.at),
                h.actor
                    .as_ref()
                    .map(|a| a.subject.clone())
                    .unwrap_or_default(),
                h.action.clone(),
                status_name(h.status),
                if h.note.is_empty() {
                    h.detail.clone()
                } else {
                    format!("{}: {}", h.detail, h.note)
                },
            ]
        })
        .collect();
    outln!(
        "\nHistory\n{}",
        table(&["At", "Who", "Action", "Status", "Detail"], &rows)
    );
}

/// Runs one triage subcommand.
pub async fn run_triage(args: ClientArgs, cmd: TriageCommand) -> Result<(), CliError> {
    let mut c = TriageServiceClient::new(channel(&args).await?);
    let json_out = args.output == Output::Json;
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
            if json_out {
                print_json(&json!({
                    "entries": resp.entries.iter().map(entry_json).collect::<Vec<_>>(),
                    "next_page_token": resp.next_page_token, "waiting_total": resp.waiting_total,
                }));
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
                if !resp.next_page_token.is_empty() {
                    outln!("next page: --page {}", resp.next_page_token);
                }
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
                        .map(|r| requirement(r).map(|x| x as i32))
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
            if json_out {
                print_json(&sheet_json(&s));
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
                        (
                            "Disposisi",
                            s.instructions
                                .iter()
                                .map(|i| instruction_name(*i))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
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
    if json_out {
        print_json(&case_json(&case));
    } else {
        print_case(&case);
    }
    Ok(())
}

fn dead_json(d: &ev::DeadLetter) -> Value {
    json!({
        "source_service": d.source_service, "subscriber": d.subscriber, "sequence": d.sequence,
        "event_id": d.event_id, "complaint_id": d.complaint_id, "event_type": d.event_type,
        "error": d.error, "attempts": d.attempts, "dead_at": ts(&d.dead_at),
        "held_behind": d.held_behind,
    })
}

fn dead_rows(list: &[ev::DeadLetter]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            vec![
                format!("{}→{}", d.source_service, d.subscriber),
                d.sequence.to_string(),
                d.event_type.clone(),
                d.complaint_id.clone(),
                d.attempts.to_string(),
                d.error.clone(),
            ]
        })
        .collect();
    table(
        &["Relay", "Seq", "Event", "Complaint", "Tries", "Error"],
        &rows,
    )
}

/// Runs one relay subcommand.
pub async fn run_relay(args: ClientArgs, cmd: RelayCommand) -> Result<(), CliError> {
    let mut c = EventRelayAdminClient::new(channel(&args).await?);
    let json_out = args.output == Output::Json;
    match cmd {
        RelayCommand::Status => {
            let r = c
                .get_relay_status(request(&args, ev::GetRelayStatusRequest {})?)
                .await?
                .into_inner();
            if json_out {
                print_json(&json!(
                    r.relays
                        .iter()
                        .map(|s| json!({
                            "source_service": s.source_service, "subscriber": s.subscriber,
                            "endpoint": s.endpoint, "active": s.active, "position": s.position,
                            "head": s.head, "pending": s.pending, "lag_seconds": s.lag_seconds,
                            "dead_letters": s.dead_letters, "last_error": s.last_error,
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                let rows: Vec<Vec<String>> = r
                    .relays
                    .iter()
                    .map(|s| {
                        vec![
                            format!("{}→{}", s.source_service, s.subscriber),
                            s.endpoint.clone(),
                            if s.active { "yes" } else { "no" }.into(),
                            format!("{}/{}", s.position, s.head),
                            s.pending.to_string(),
                            format!("{:.1}s", s.lag_seconds),
                            s.dead_letters.to_string(),
                            s.last_error.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &[
                            "Relay",
                            "Endpoint",
                            "Active",
                            "Position",
                            "Pending",
                            "Lag",
                            "Dead",
                            "Last error"
                        ],
                        &rows
                    )
                );
            }
        }
        RelayCommand::DeadLetters {
            source,
            subscriber,
            complaint,
            limit,
        } => {
            let r = c
                .list_dead_letters(request(
                    &args,
                    ev::ListDeadLettersRequest {
                        source_service: source,
                        subscriber,
                        complaint_id: complaint,
                        limit,
                    },
                )?)
                .await?
                .into_inner();
            if json_out {
                print_json(&json!(
                    r.dead_letters.iter().map(dead_json).collect::<Vec<_>>()
                ));
            } else {
                outln!("{}", dead_rows(&r.dead_letters));
            }
        }
        RelayCommand::Replay {
            source,
            subscriber,
            complaint,
        } => {
            let r = c
                .replay_dead_letters(request(
                    &args,
                    ev::ReplayDeadLettersRequest {
                        source_service: source,
                        subscriber,
                        complaint_id: complaint,
                    },
                )?)
                .await?
                .into_inner();
            if json_out {
                print_json(&json!({
                    "delivered": r.delivered,
                    "still_dead": r.still_dead.iter().map(dead_json).collect::<Vec<_>>(),
                }));
            } else {
                outln!("delivered {}", r.delivered);
                if !r.still_dead.is_empty() {
                    outln!("still dead\n{}", dead_rows(&r.still_dead));
                }
            }
        }
    }
    Ok(())
}
