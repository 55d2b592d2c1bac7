//! The command line for reporting (S15-S16): the reporting queue, one complaint's timeline and
//! handling report, drafting, approving, returning and distributing the report, statistics with
//! CSV exports, and the documents (disposition sheet, handling report, monthly report) as PDF
//! files.

use std::path::PathBuf;

use aduan_proto::reporting::v1::{
    self as pb, get_statistics_request::Period, reporting_service_client::ReportingServiceClient,
};
use clap::{Args, Subcommand};

use super::{
    CalendarPeriod, CliError, ClientArgs, PeriodArgs, channel, channel_name, channel_of, enum_word,
    kv, outln, parse_enum, print_message, print_next_page, request, status_name, table, timestamp,
    ts_short, year_month,
};

/// Reporting steps (S15-S16), statistics and documents against a running server.
#[derive(Debug, Subcommand)]
pub enum ReportingCommand {
    /// The reporting queue of an office: complaints whose feedback is in and whose report is not
    /// distributed yet.
    Queue {
        /// Office code (default: the token's office).
        #[arg(long, default_value = "")]
        office: String,
        /// awaiting (no draft yet), draft, returned, approved or distributed.
        #[arg(long)]
        state: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
    /// The complete history of one complaint across the five services.
    Timeline {
        /// Complaint id.
        id: String,
    },
    /// One complaint's handling report and its distribution.
    Show {
        /// Complaint id.
        id: String,
    },
    /// S15: draft (or redraft) the handling report.
    Draft {
        /// Complaint id.
        id: String,
        /// Recommendation code (repeatable; data/recommendations.csv), e.g. selesai.
        #[arg(long = "recommend", required = true)]
        recommendations: Vec<String>,
        /// Agency to send it to besides the complainant and the Head (repeatable;
        /// data/agencies.csv), e.g. uptd_ppa.
        #[arg(long = "agency")]
        agencies: Vec<String>,
        /// The revision being replaced (0 for the first draft).
        #[arg(long, default_value_t = 0)]
        revision: i32,
    },
    /// S15: approve the draft (Kepala Bidang).
    Approve {
        /// Complaint id.
        id: String,
        /// The draft's revision.
        #[arg(long)]
        revision: i32,
    },
    /// S15: return the draft (Kepala Bidang).
    Return {
        /// Complaint id.
        id: String,
        /// The draft's revision.
        #[arg(long)]
        revision: i32,
        /// incomplete-findings, recommendation-unfit, recipients or other.
        #[arg(long)]
        reason: String,
    },
    /// S16: the approved report was delivered to a party.
    Distribute {
        /// Complaint id.
        id: String,
        /// complainant, head or agency.
        #[arg(long)]
        to: String,
        /// For --to agency: the agency's code.
        #[arg(long, default_value = "")]
        agency: String,
        /// walk-in, letter, phone, fax, email or partner-api.
        #[arg(long)]
        channel: String,
        /// When, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// The agencies of an office's directory.
    Recipients {
        /// Office code (default: the token's office).
        #[arg(long, default_value = "")]
        office: String,
    },
    /// Statistics of an office or the province for a month, quarter or year.
    Stats(StatsArgs),
    /// The statistics as CSV files, written to a directory.
    Export {
        #[command(flatten)]
        stats: StatsArgs,
        /// Directory to write the files to (created if missing).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// A document as PDF: disposition-sheet, handling-report or monthly-report.
    Document(DocumentArgs),
}

/// Scope and period of statistics.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Office code (default: the token's office).
    #[arg(long, default_value = "")]
    pub office: String,
    /// The whole province (provincial analysts).
    #[arg(long)]
    pub province: bool,
    #[command(flatten)]
    pub period: PeriodArgs,
}

/// Which document, and where to write it.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// disposition-sheet, handling-report or monthly-report.
    pub kind: String,
    /// Complaint id (disposition sheet, handling report).
    #[arg(long, default_value = "")]
    pub id: String,
    /// Why you read the findings (handling report; written to investigation's access log).
    #[arg(long, default_value = "")]
    pub purpose: String,
    /// Office code (monthly report; default: the token's office).
    #[arg(long, default_value = "")]
    pub office: String,
    /// The whole province (monthly report, provincial analysts).
    #[arg(long)]
    pub province: bool,
    /// The month, YYYY-MM (monthly report).
    #[arg(long)]
    pub month: Option<String>,
    /// A version of the disposition (default: the current one).
    #[arg(long, default_value_t = 0)]
    pub version: i32,
    /// Monthly report of a closed month: the figures as they are now, not the copy archived
    /// when the month closed.
    #[arg(long)]
    pub live: bool,
    /// The file to write (default: the server's file name in the current directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn state(raw: &str) -> Result<i32, CliError> {
    let raw = if raw.eq_ignore_ascii_case("awaiting") {
        "unspecified"
    } else {
        raw
    };
    parse_enum(
        "REPORT_STATE_",
        raw,
        pb::ReportState::from_str_name,
        "awaiting, draft, returned, approved, distributed",
    )
}

fn state_name(v: i32) -> String {
    match pb::ReportState::try_from(v).unwrap_or_default() {
        pb::ReportState::Unspecified => "awaiting".into(),
        _ => enum_word(v, "REPORT_STATE_", pb::ReportState::as_str_name),
    }
}

fn recipient_name(v: i32) -> String {
    enum_word(v, "RECIPIENT_KIND_", pb::RecipientKind::as_str_name)
}

fn month(raw: &str) -> Result<pb::Month, CliError> {
    let (year, month) = year_month(raw)?;
    Ok(pb::Month { year, month })
}

fn stats_request(a: &StatsArgs) -> Result<pb::GetStatisticsRequest, CliError> {
    let period = match a.period.period()? {
        Some(CalendarPeriod::Month(year, month)) => Period::Month(pb::Month { year, month }),
        Some(CalendarPeriod::Quarter(year, quarter)) => {
            Period::Quarter(pb::Quarter { year, quarter })
        }
        Some(CalendarPeriod::Year(y)) => Period::Year(y),
        None => return Err(CliError("give --month, --quarter or --year".into())),
    };
    Ok(pb::GetStatisticsRequest {
        office_code: a.office.clone(),
        province: a.province,
        period: Some(period),
        ..Default::default()
    })
}

fn print_report(r: &pb::HandlingReport) {
    outln!(
        "{}",
        kv(&[
            ("Complaint", r.complaint_id.clone()),
            ("Registration", r.registration_number.clone()),
            ("Office", r.office_code.clone()),
            ("Bidang", r.bidang_code.clone()),
            ("Complaint status", status_name(r.complaint_status)),
            ("Report", r.report_number.clone()),
            ("State", state_name(r.state)),
            ("Revision", r.revision.to_string()),
            ("Recommendations", r.recommendation_codes.join(", ")),
            ("Agencies", r.agency_codes.join(", ")),
        ])
    );
    if !r.distributions.is_empty() {
        let rows: Vec<Vec<String>> = r
            .distributions
            .iter()
            .map(|d| {
                vec![
                    recipient_name(d.recipient_kind),
                    d.recipient_name.clone(),
                    channel_name(d.channel),
                    ts_short(&d.delivered_at),
                ]
            })
            .collect();
        outln!(
            "\nDistribution (S16)\n{}",
            table(&["To", "Name", "Channel", "Delivered"], &rows)
        );
    }
}

fn counts_rows(c: &[pb::Count]) -> Vec<Vec<String>> {
    c.iter()
        .map(|c| vec![c.key.clone(), c.label.clone(), small(c.count, c.suppressed)])
        .collect()
}

/// A figure as printed: "<5" for a small cell of a provincial output (issue 12).
fn small(n: i64, suppressed: bool) -> String {
    if suppressed {
        "<5".into()
    } else {
        n.to_string()
    }
}

fn print_stats(s: &pb::Statistics) {
    let sla = s.sla.unwrap_or_default();
    let sat = s.satisfaction.clone().unwrap_or_default();
    let f = |name: &str, n: i64| small(n, s.suppressed_fields.iter().any(|x| x == name));
    outln!(
        "{}",
        kv(&[
            ("Scope", format!("{} {}", s.scope_code, s.scope_name)),
            ("Received", f("received", s.received)),
            (
                "SLA",
                format!(
                    "{} on time, {} late, {} open, {} at risk{}",
                    f("sla.on_time", sla.on_time),
                    f("sla.late", sla.late),
                    f("sla.open", sla.open),
                    f("sla.at_risk", sla.at_risk),
                    // A hidden ratio would give a small cell away; it is left out, not guessed.
                    if s.suppressed_fields.iter().any(|x| x == "sla.on_time_ratio") {
                        " (on-time share not shown: small cells)".to_string()
                    } else {
                        format!(" ({:.1}% on time)", sla.on_time_ratio * 100.0)
                    }
                )
            ),
            (
                "IKM",
                if sat.suppressed {
                    "<5 respondents (not shown)".to_string()
                } else {
                    format!(
                        "{:.2} {} ({} respondents)",
                        sat.ikm, sat.grade, sat.respondents
                    )
                }
            ),
            (
                "Repeat complainants",
                f("repeat_complainants", s.repeat_complainants),
            ),
            ("Involving a child", f("involving_child", s.involving_child)),
            (
                "Reports distributed",
                f("reports_distributed", s.reports_distributed),
            ),
        ])
    );
    if s.small_cells_suppressed {
        outln!("(provincial output: figures of 1 to 4 read <5)");
    }
    for (title, c) in [
        ("By channel", &s.by_channel),
        ("By category", &s.by_category),
        ("By Bidang", &s.by_bidang),
        ("By status", &s.by_status),
        ("By form of violence (SIMFONI-PPA)", &s.by_violence_type),
        ("By office", &s.by_office),
    ] {
        if !c.is_empty() {
            outln!(
                "\n{title}\n{}",
                table(&["Key", "Label", "Count"], &counts_rows(c))
            );
        }
    }
    let rows: Vec<Vec<String>> = s
        .durations
        .iter()
        .map(|d| {
            if d.suppressed {
                return vec![d.step.clone(), "<5".into(), "<5".into(), "<5".into()];
            }
            vec![
                d.step.clone(),
                d.count.to_string(),
                format!("{:.1}", d.median_working_days),
                format!("{:.1}", d.p90_working_days),
            ]
        })
        .collect();
    outln!(
        "\nWorking days per step\n{}",
        table(&["Step", "Count", "Median", "P90"], &rows)
    );
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))
}

/// Runs a reporting command.
pub async fn run_reporting(args: ClientArgs, cmd: ReportingCommand) -> Result<(), CliError> {
    let mut c =
        ReportingServiceClient::new(channel(&args).await?).max_decoding_message_size(64 << 20);
    let report = match cmd {
        ReportingCommand::Queue {
            office,
            state: s,
            limit,
            page,
        } => {
            let (st, awaiting) = match s.as_deref() {
                Some(x) if x.eq_ignore_ascii_case("awaiting") => (0, true),
                Some(x) => (state(x)?, false),
                None => (0, false),
            };
            let resp = c
                .list_handling_reports(request(
                    &args,
                    pb::ListHandlingReportsRequest {
                        office_code: office,
                        state: st,
                        awaiting_draft: awaiting,
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
                    .reports
                    .iter()
                    .map(|r| {
                        vec![
                            r.complaint_id.clone(),
                            r.registration_number.clone(),
                            r.bidang_code.clone(),
                            state_name(r.state),
                            r.revision.to_string(),
                            status_name(r.complaint_status),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &[
                            "Complaint",
                            "Registration",
                            "Bidang",
                            "Report",
                            "Rev",
                            "Status"
                        ],
                        &rows
                    )
                );
                outln!("{} in all", resp.total);
                print_next_page(&resp.next_page_token);
            }
            return Ok(());
        }
        ReportingCommand::Timeline { id } => {
            let t = c
                .get_timeline(request(&args, pb::GetTimelineRequest { complaint_id: id })?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&t)?;
            } else {
                outln!(
                    "{}",
                    kv(&[
                        ("Complaint", t.complaint_id.clone()),
                        ("Registration", t.registration_number.clone()),
                        ("Office", t.office_code.clone()),
                        ("Status", status_name(t.status)),
                    ])
                );
                let rows: Vec<Vec<String>> = t
                    .entries
                    .iter()
                    .map(|e| {
                        vec![
                            ts_short(&e.occurred_at),
                            format!("S{}", e.step),
                            e.source_service.clone(),
                            e.kind.clone(),
                            e.actor.as_ref().map(|a| a.role.clone()).unwrap_or_default(),
                            e.detail.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "\n{}",
                    table(&["At", "Step", "Service", "What", "Role", "Detail"], &rows)
                );
            }
            return Ok(());
        }
        ReportingCommand::Show { id } => c
            .get_handling_report(request(
                &args,
                pb::GetHandlingReportRequest { complaint_id: id },
            )?)
            .await?
            .into_inner(),
        ReportingCommand::Draft {
            id,
            recommendations,
            agencies,
            revision,
        } => c
            .draft_handling_report(request(
                &args,
                pb::DraftHandlingReportRequest {
                    complaint_id: id,
                    recommendation_codes: recommendations,
                    agency_codes: agencies,
                    expected_revision: revision,
                },
            )?)
            .await?
            .into_inner(),
        ReportingCommand::Approve { id, revision } => c
            .approve_handling_report(request(
                &args,
                pb::ApproveHandlingReportRequest {
                    complaint_id: id,
                    revision,
                },
            )?)
            .await?
            .into_inner(),
        ReportingCommand::Return {
            id,
            revision,
            reason,
        } => {
            let reason = parse_enum(
                "RETURN_REASON_",
                &reason,
                pb::ReturnReason::from_str_name,
                "incomplete-findings, recommendation-unfit, recipients, other",
            )?;
            c.return_handling_report(request(
                &args,
                pb::ReturnHandlingReportRequest {
                    complaint_id: id,
                    revision,
                    reason,
                },
            )?)
            .await?
            .into_inner()
        }
        ReportingCommand::Distribute {
            id,
            to,
            agency,
            channel: ch,
            at,
        } => {
            let kind = parse_enum(
                "RECIPIENT_KIND_",
                &to,
                pb::RecipientKind::from_str_name,
                "complainant, head, agency",
            )?;
            let ch = channel_of(&ch)?;
            let at = at.as_deref().map(timestamp).transpose()?;
            c.distribute_handling_report(request(
                &args,
                pb::DistributeHandlingReportRequest {
                    complaint_id: id,
                    recipient_kind: kind,
                    agency_code: agency,
                    channel: ch,
                    delivered_at: at,
                },
            )?)
            .await?
            .into_inner()
        }
        ReportingCommand::Recipients { office } => {
            let r = c
                .list_recipients(request(
                    &args,
                    pb::ListRecipientsRequest {
                        office_code: office,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&r)?;
            } else {
                let rows: Vec<Vec<String>> = r
                    .agencies
                    .iter()
                    .map(|a| vec![a.code.clone(), a.name.clone()])
                    .collect();
                outln!("{}", table(&["Code", "Name"], &rows));
            }
            return Ok(());
        }
        ReportingCommand::Stats(a) => {
            let s = c
                .get_statistics(request(&args, stats_request(&a)?)?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&s)?;
            } else {
                print_stats(&s);
            }
            return Ok(());
        }
        ReportingCommand::Export { stats, dir } => {
            let r = c
                .export_statistics(request(&args, stats_request(&stats)?)?)
                .await?
                .into_inner();
            std::fs::create_dir_all(&dir)
                .map_err(|e| CliError(format!("cannot create {}: {e}", dir.display())))?;
            for f in &r.files {
                let name = std::path::Path::new(&f.name)
                    .file_name()
                    .map(|n| n.to_owned())
                    .ok_or_else(|| CliError(format!("bad file name from server: {}", f.name)))?;
                let path = dir.join(name);
                write_file(&path, &f.content)?;
                outln!("{}", path.display());
            }
            return Ok(());
        }
        ReportingCommand::Document(a) => {
            let kind = parse_enum(
                "DOCUMENT_KIND_",
                &a.kind,
                pb::DocumentKind::from_str_name,
                "disposition-sheet, handling-report, monthly-report",
            )?;
            let month = a.month.as_deref().map(month).transpose()?;
            let d = c
                .get_document(request(
                    &args,
                    pb::GetDocumentRequest {
                        kind,
                        complaint_id: a.id,
                        office_code: a.office,
                        province: a.province,
                        month,
                        purpose: a.purpose,
                        version: a.version,
                        live: a.live,
                    },
                )?)
                .await?
                .into_inner();
            let path = match a.out {
                Some(p) => p,
                None => PathBuf::from(
                    std::path::Path::new(&d.name)
                        .file_name()
                        .map(|n| n.to_owned())
                        .ok_or_else(|| {
                            CliError(format!("bad file name from server: {}", d.name))
                        })?,
                ),
            };
            write_file(&path, &d.content)?;
            if args.json() {
                // What was written, not the reply: its content is the file.
                let written = serde_json::json!({
                    "file": path.display().to_string(), "pages": d.pages, "bytes": d.content.len(),
                });
                outln!("{written:#}");
            } else {
                outln!(
                    "{} ({} pages, {} bytes)",
                    path.display(),
                    d.pages,
                    d.content.len()
                );
            }
            return Ok(());
        }
    };
    if args.json() {
        print_message(&report)?;
    } else {
        print_report(&report);
    }
    Ok(())
}
