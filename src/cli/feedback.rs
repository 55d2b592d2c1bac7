//! The command line for feedback (S13-S14): the queue, one record, delivery of the response,
//! the complainant's feedback, the satisfaction survey (SKM) and its index (IKM).

use aduan_proto::feedback::v1::{
    self as pb, feedback_service_client::FeedbackServiceClient,
    get_satisfaction_index_request::Period,
};
use clap::{Args, Subcommand};

use super::{
    CalendarPeriod, CliError, ClientArgs, HISTORY_HEADERS, PeriodArgs, at, channel, channel_name,
    channel_of, date, date_str, enum_word, history_row, kv, outln, parse_enum, print_message,
    print_next_page, request, status_name, table, ts_short,
};

/// Feedback steps (S13-S14) against a running server.
#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// The office's feedback queue (no personal content).
    Queue {
        /// Office code, e.g. 35.27.
        #[arg(long)]
        office: String,
        /// awaiting-delivery, awaiting-feedback, reopened, reporting or closed (default: every
        /// case that is not closed).
        #[arg(long)]
        queue: Option<String>,
        /// Only this Bidang's cases.
        #[arg(long, default_value = "")]
        bidang: String,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
    /// One complaint's feedback record with notes and comments (the read is logged).
    Show {
        /// Complaint id.
        id: String,
        /// Why you read it (written to the access log).
        #[arg(long)]
        purpose: String,
    },
    /// S13: the approved response was delivered to the complainant.
    Deliver {
        /// Complaint id.
        id: String,
        /// walk-in, letter, phone, fax, email or partner-api.
        #[arg(long)]
        channel: String,
        /// The response version delivered (default: the current one).
        #[arg(long, default_value_t = 0)]
        version: i32,
        /// When the complainant received it, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
        /// A note (stored encrypted).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// S14: the complainant's feedback on the delivered response.
    Record(RecordArgs),
    /// S14: the satisfaction survey (SKM), nine scores 1-4 for U1-U9.
    Survey {
        /// Complaint id.
        id: String,
        /// The service surveyed, e.g. pengaduan.
        #[arg(long)]
        service: String,
        /// Nine scores, comma-separated, e.g. 4,3,3,4,3,4,4,2,3.
        #[arg(long)]
        scores: String,
        /// When it was filled in, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// The satisfaction index (IKM) of an office, or of the province (its code, e.g. 35).
    Index(IndexArgs),
    /// Who read a complaint's feedback record, when and why (oldest first, a page at a time).
    AccessLog {
        /// Complaint id.
        id: String,
        /// Page size (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: i32,
        /// Page token from a previous page.
        #[arg(long, default_value = "")]
        page: String,
    },
}

/// The complainant's feedback: --satisfied, or --dissatisfied with at least one --ground (a
/// dissatisfied answer reopens the case: back to the Bidang for a new response).
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Complaint id.
    pub id: String,
    /// The complainant is satisfied.
    #[arg(long, group = "verdict")]
    pub satisfied: bool,
    /// The complainant is not satisfied (needs --ground; reopens the case).
    #[arg(long, group = "verdict")]
    pub dissatisfied: bool,
    /// Ground (repeatable): not-answered, incorrect, too-slow, not-followed-up, other.
    #[arg(long = "ground")]
    pub grounds: Vec<String>,
    /// The complainant's comments (stored encrypted; required with --ground other).
    #[arg(long, default_value = "")]
    pub comments: String,
    /// Deprecated, ignored by the server: every --dissatisfied answer reopens the case. Still
    /// accepted (and sent) so that older scripts keep working.
    #[arg(long)]
    pub reopen: bool,
    /// The response version (default: the current one).
    #[arg(long, default_value_t = 0)]
    pub version: i32,
    /// When the complainant gave it, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
}

/// The index's office and period: one of --month, --quarter, --year, or --from with --to.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Office code, or the province code for the whole province (provincial analysts).
    #[arg(long)]
    pub office: String,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// First day, YYYY-MM-DD (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Only this service, e.g. pengaduan.
    #[arg(long, default_value = "")]
    pub service: String,
    /// mean (default) or weighted-0-11 (each weight written as 0.11, as SKM worksheets do).
    #[arg(long, default_value = "mean")]
    pub method: String,
}

fn queue(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "QUEUE_",
        raw,
        pb::Queue::from_str_name,
        "awaiting-delivery, awaiting-feedback, reopened, reporting, closed",
    )
}

fn ground(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "GROUND_",
        raw,
        pb::Ground::from_str_name,
        "not-answered, incorrect, too-slow, not-followed-up, other",
    )
}

fn method(raw: &str) -> Result<i32, CliError> {
    match raw.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "mean" => Ok(pb::IndexMethod::Mean as i32),
        "weighted-0-11" | "weighted" | "0.11" => Ok(pb::IndexMethod::Weighted011 as i32),
        _ => Err(CliError(format!(
            "unknown method {raw}: mean, weighted-0-11"
        ))),
    }
}

fn ground_name(v: i32) -> String {
    enum_word(v, "GROUND_", pb::Ground::as_str_name)
}

fn grade_name(v: i32) -> String {
    match pb::Grade::try_from(v).unwrap_or_default() {
        pb::Grade::Unspecified => "-".into(),
        g => enum_word(g as i32, "GRADE_", pb::Grade::as_str_name).to_ascii_uppercase(),
    }
}

fn method_name(v: i32) -> String {
    enum_word(v, "INDEX_METHOD_", pb::IndexMethod::as_str_name)
}

fn print_case(c: &pb::FeedbackCase) {
    outln!(
        "{}",
        kv(&[
            ("Complaint", c.complaint_id.clone()),
            ("Office", c.office_code.clone()),
            ("Bidang", c.bidang_code.clone()),
            ("Status", status_name(c.status)),
            ("Response", format!("version {}", c.response_version)),
            ("Silence ends", ts_short(&c.silence_due_at)),
            (
                "Reopened",
                if c.reopen_count > 0 {
                    format!("{} time(s)", c.reopen_count)
                } else {
                    String::new()
                }
            ),
            ("Survey", c.survey_id.clone()),
            ("Closed", c.closed_reason_code.clone()),
        ])
    );
    if !c.deliveries.is_empty() {
        let rows: Vec<Vec<String>> = c
            .deliveries
            .iter()
            .map(|d| {
                vec![
                    d.version.to_string(),
                    channel_name(d.channel),
                    ts_short(&d.delivered_at),
                    d.recorded_by
                        .as_ref()
                        .map(|a| a.subject.clone())
                        .unwrap_or_default(),
                    d.note.clone(),
                ]
            })
            .collect();
        outln!(
            "\nDeliveries (S13)\n{}",
            table(&["Ver", "Channel", "Delivered", "By", "Note"], &rows)
        );
    }
    if !c.feedback.is_empty() {
        let rows: Vec<Vec<String>> = c
            .feedback
            .iter()
            .map(|f| {
                vec![
                    f.version.to_string(),
                    if f.satisfied {
                        "satisfied"
                    } else {
                        "dissatisfied"
                    }
                    .into(),
                    f.grounds
                        .iter()
                        .map(|g| ground_name(*g))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if f.reopened { "reopened" } else { "" }.into(),
                    ts_short(&f.given_at),
                    f.comments.clone(),
                ]
            })
            .collect();
        outln!(
            "\nFeedback (S14)\n{}",
            table(
                &["Ver", "Verdict", "Grounds", "", "Given", "Comments"],
                &rows
            )
        );
    }
    let rows: Vec<Vec<String>> = c
        .history
        .iter()
        .map(|h| history_row(&h.at, &h.actor, &h.action, h.status, h.detail.clone()))
        .collect();
    outln!("\nHistory\n{}", table(HISTORY_HEADERS, &rows));
}

fn print_index(i: &pb::SatisfactionIndex) {
    outln!(
        "{}",
        kv(&[
            ("Office", i.office_code.clone()),
            (
                "Period",
                format!("{} .. {}", date_str(&i.from), date_str(&i.to))
            ),
            ("Service", i.service_code.clone()),
            (
                "Respondents",
                if i.suppressed {
                    "<5 (provincial output: the index is not shown)".to_string()
                } else {
                    i.respondents.to_string()
                }
            ),
            ("Method", method_name(i.method)),
        ])
    );
    let rows: Vec<Vec<String>> = i
        .elements
        .iter()
        .map(|e| {
            vec![
                e.code.clone(),
                e.name.clone(),
                format!("{:.4}", e.average),
                format!("{:.4}", e.weighted),
            ]
        })
        .collect();
    if !i.suppressed {
        outln!("\n{}", table(&["Unsur", "Name", "NRR", "Weighted"], &rows));
        outln!(
            "\nIndex {:.4}  IKM {:.2}  Grade {} {}",
            i.index_value,
            i.ikm,
            grade_name(i.grade),
            i.grade_label
        );
    }
    if !i.offices.is_empty() {
        let rows: Vec<Vec<String>> = i
            .offices
            .iter()
            .map(|o| {
                if o.suppressed {
                    return vec![o.office_code.clone(), "<5".into(), "<5".into(), "<5".into()];
                }
                vec![
                    o.office_code.clone(),
                    o.respondents.to_string(),
                    format!("{:.2}", o.ikm),
                    grade_name(o.grade),
                ]
            })
            .collect();
        outln!(
            "\nOffices\n{}",
            table(&["Office", "Respondents", "IKM", "Grade"], &rows)
        );
    }
}

fn period(a: &IndexArgs) -> Result<Period, CliError> {
    Ok(match a.period.period()? {
        Some(CalendarPeriod::Month(year, month)) => Period::Month(pb::Month { year, month }),
        Some(CalendarPeriod::Quarter(year, quarter)) => {
            Period::Quarter(pb::Quarter { year, quarter })
        }
        Some(CalendarPeriod::Year(y)) => Period::Year(y),
        None => match (&a.from, &a.to) {
            (Some(f), Some(t)) => Period::Range(pb::DateRange {
                from: Some(date(f)?),
                to: Some(date(t)?),
            }),
            _ => {
                return Err(CliError(
                    "give a period: --month, --quarter, --year, or --from with --to".into(),
                ));
            }
        },
    })
}

fn scores(raw: &str) -> Result<Vec<i32>, CliError> {
    raw.split(',')
        .map(|s| {
            s.trim()
                .parse::<i32>()
                .map_err(|_| CliError(format!("not a score: {s} (scores are 1-4)")))
        })
        .collect()
}

/// Runs one feedback subcommand.
pub async fn run_feedback(args: ClientArgs, cmd: FeedbackCommand) -> Result<(), CliError> {
    let mut c = FeedbackServiceClient::new(channel(&args).await?);
    // Deliver and Record answer the record without notes and comments (only `show` reads them,
    // and that read is logged).
    let coded = matches!(
        cmd,
        FeedbackCommand::Deliver { .. } | FeedbackCommand::Record(_)
    );
    let case = match cmd {
        FeedbackCommand::Queue {
            office,
            queue: q,
            bidang,
            limit,
            page,
        } => {
            let resp = c
                .list_cases(request(
                    &args,
                    pb::ListCasesRequest {
                        office_code: office,
                        queue: q.as_deref().map(queue).transpose()?.unwrap_or(0),
                        bidang_code: bidang,
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
                        vec![
                            status_name(e.status),
                            e.bidang_code.clone(),
                            e.response_version.to_string(),
                            e.outcome_code.clone(),
                            ts_short(&e.delivered_at),
                            ts_short(&e.silence_due_at),
                            if e.survey_submitted { "yes" } else { "" }.into(),
                            e.complaint_id.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(
                        &[
                            "Status",
                            "Bidang",
                            "Ver",
                            "Outcome",
                            "Delivered",
                            "Silence ends",
                            "Survey",
                            "Complaint"
                        ],
                        &rows
                    )
                );
                print_next_page(&resp.next_page_token);
            }
            return Ok(());
        }
        FeedbackCommand::Show { id, purpose } => c
            .get_case(request(
                &args,
                pb::GetCaseRequest {
                    complaint_id: id,
                    purpose,
                },
            )?)
            .await?
            .into_inner(),
        FeedbackCommand::Deliver {
            id,
            channel: ch,
            version,
            at: when,
            note,
        } => {
            let channel = channel_of(&ch)?;
            c.record_delivery(request(
                &args,
                pb::RecordDeliveryRequest {
                    complaint_id: id,
                    version,
                    channel,
                    delivered_at: at(&when)?,
                    note,
                },
            )?)
            .await?
            .into_inner()
        }
        FeedbackCommand::Record(a) => {
            if !a.satisfied && !a.dissatisfied {
                return Err(CliError("give --satisfied or --dissatisfied".into()));
            }
            let req = pb::RecordFeedbackRequest {
                complaint_id: a.id,
                version: a.version,
                satisfied: a.satisfied,
                grounds: a
                    .grounds
                    .iter()
                    .map(|g| ground(g))
                    .collect::<Result<_, _>>()?,
                comments: a.comments,
                reopen_requested: a.reopen,
                given_at: at(&a.at)?,
            };
            c.record_feedback(request(&args, req)?).await?.into_inner()
        }
        FeedbackCommand::Survey {
            id,
            service,
            scores: raw,
            at: when,
        } => {
            let s = c
                .submit_survey(request(
                    &args,
                    pb::SubmitSurveyRequest {
                        complaint_id: id,
                        service_code: service,
                        scores: scores(&raw)?,
                        submitted_at: at(&when)?,
                    },
                )?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&s)?;
            } else {
                outln!(
                    "survey {} recorded for {} ({}): {}",
                    s.survey_id,
                    s.complaint_id,
                    s.service_code,
                    s.scores
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            return Ok(());
        }
        FeedbackCommand::Index(a) => {
            let req = pb::GetSatisfactionIndexRequest {
                office_code: a.office.clone(),
                period: Some(period(&a)?),
                service_code: a.service.clone(),
                method: method(&a.method)?,
            };
            let i = c
                .get_satisfaction_index(request(&args, req)?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&i)?;
            } else {
                print_index(&i);
            }
            return Ok(());
        }
        FeedbackCommand::AccessLog { id, limit, page } => {
            let r = c
                .list_access_log(request(
                    &args,
                    pb::ListAccessLogRequest {
                        complaint_id: id,
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
                        let a = e.actor.clone().unwrap_or_default();
                        vec![
                            ts_short(&e.accessed_at),
                            a.subject,
                            a.role,
                            e.action.clone(),
                            e.purpose.clone(),
                        ]
                    })
                    .collect();
                outln!(
                    "{}",
                    table(&["At", "Who", "Role", "Action", "Purpose"], &rows)
                );
                print_next_page(&r.next_page_token);
            }
            return Ok(());
        }
    };
    if args.json() {
        print_message(&case)?;
    } else {
        print_case(&case);
        if coded {
            outln!(
                "\nNotes and comments are not shown here: `aduan feedback show {} --purpose ...`",
                case.complaint_id
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_args(month: Option<&str>, quarter: Option<&str>, year: Option<i32>) -> IndexArgs {
        IndexArgs {
            office: "35.27".into(),
            period: PeriodArgs {
                month: month.map(str::to_string),
                quarter: quarter.map(str::to_string),
                year,
            },
            from: None,
            to: None,
            service: String::new(),
            method: "mean".into(),
        }
    }

    #[test]
    fn periods_and_codes_parse() {
        assert!(matches!(
            period(&index_args(Some("2026-11"), None, None)),
            Ok(Period::Month(pb::Month {
                year: 2026,
                month: 11
            }))
        ));
        assert!(matches!(
            period(&index_args(None, Some("2026-q4"), None)),
            Ok(Period::Quarter(pb::Quarter {
                year: 2026,
                quarter: 4
            }))
        ));
        assert!(matches!(
            period(&index_args(None, None, Some(2026))),
            Ok(Period::Year(2026))
        ));
        assert!(period(&index_args(None, None, None)).is_err());
        assert!(period(&index_args(Some("November"), None, None)).is_err());
        assert_eq!(
            queue("awaiting-delivery").ok().unwrap_or_default(),
            pb::Queue::AwaitingDelivery as i32
        );
        assert!(queue("later").is_err());
        assert_eq!(
            ground("not-followed-up").ok().unwrap_or_default(),
            pb::Ground::NotFollowedUp as i32
        );
        assert_eq!(
            method("weighted-0-11").ok().unwrap_or_default(),
            pb::IndexMethod::Weighted011 as i32
        );
        assert_eq!(
            scores("4, 3,2,1,4,4,4,4,4").ok().unwrap_or_default().len(),
            9
        );
        assert!(scores("4,x").is_err());
        assert_eq!(ground_name(pb::Ground::TooSlow as i32), "too-slow");
        assert_eq!(grade_name(pb::Grade::A as i32), "A");
        assert_eq!(
            method_name(pb::IndexMethod::Weighted011 as i32),
            "weighted-0-11"
        );
    }
}
