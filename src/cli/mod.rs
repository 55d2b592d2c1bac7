//! The command-line client: `aduan intake|triage|investigation|feedback|reporting|relay …` against
//! a running server. Readable tables by default; `--output json` prints the RPC's reply in the
//! canonical proto3 JSON mapping, and `--file` reads a request in the same mapping.
//!
//! This module holds what every command group shares: the connection and token, the one set of
//! output helpers (tables, key-value lists, JSON) and the parsing of enum names, dates and times.

pub mod feedback;
pub mod intake;
pub mod investigation;
pub mod relay;
pub mod reporting;
pub mod triage;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use aduan_proto::common::v1 as common;
use clap::{Args, Subcommand, ValueEnum};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Prints a line to stdout; a closed pipe (`aduan … | head`) ends the program quietly instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

pub(crate) use outln;

/// The command groups that call a running server.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Intake steps (S1-S3, S9) against a running server.
    Intake {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: intake::IntakeCommand,
    },
    /// Triage steps (S4-S7) against a running server.
    Triage {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: triage::TriageCommand,
    },
    /// Investigation steps (S8-S12) in the Bidang against a running server.
    Investigation {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: investigation::InvestigationCommand,
    },
    /// Delivery of the response, feedback and the satisfaction survey (S13-S14).
    Feedback {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: feedback::FeedbackCommand,
    },
    /// The handling report and its distribution (S15-S16), the case timeline, statistics, CSV
    /// exports and documents (PDF).
    Reporting {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: reporting::ReportingCommand,
    },
    /// The event relay between services: status, dead letters, replay (operators).
    Relay {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: relay::RelayCommand,
    },
}

/// Runs one client command.
pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Intake { client, command } => intake::run_intake(client, command).await,
        Command::Triage { client, command } => triage::run_triage(client, command).await,
        Command::Investigation { client, command } => {
            investigation::run_investigation(client, command).await
        }
        Command::Feedback { client, command } => feedback::run_feedback(client, command).await,
        Command::Reporting { client, command } => reporting::run_reporting(client, command).await,
        Command::Relay { client, command } => relay::run_relay(client, command).await,
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// Readable tables.
    Table,
    /// The reply in the canonical proto3 JSON mapping, for scripts.
    Json,
}

/// Where and as whom to call.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Server address.
    #[arg(
        long,
        env = "ADUAN_SERVER",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub server: String,
    /// Bearer token (mint one locally with `aduan token`).
    #[arg(long, env = "ADUAN_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value = "table", global = true)]
    pub output: Output,
}

impl ClientArgs {
    /// Whether the reply is printed as JSON.
    pub(crate) fn json(&self) -> bool {
        self.output == Output::Json
    }
}

/// A failed command, for the exit message.
pub struct CliError(pub String);

impl From<tonic::Status> for CliError {
    fn from(s: tonic::Status) -> Self {
        let mut msg = format!("{:?}: {}", s.code(), s.message());
        if let Some(br) = s.get_error_details().bad_request() {
            for v in &br.field_violations {
                msg.push_str(&format!("\n  {}: {}", v.field, v.description));
            }
        }
        CliError(msg)
    }
}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError(s)
    }
}

/// A connection to the server of `args`.
pub(crate) async fn channel(args: &ClientArgs) -> Result<Channel, CliError> {
    let endpoint = tonic::transport::Endpoint::from_shared(args.server.clone())
        .map_err(|_| CliError(format!("not a server address: {}", args.server)))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| CliError(format!("cannot reach {}: {e}", args.server)))?;
    Ok(channel)
}

/// A request carrying the bearer token of `args`.
pub(crate) fn request<T>(args: &ClientArgs, msg: T) -> Result<tonic::Request<T>, CliError> {
    let mut req = tonic::Request::new(msg);
    if let Some(t) = &args.token {
        let v = format!("Bearer {t}")
            .parse()
            .map_err(|_| CliError("the token has characters a header cannot carry".into()))?;
        req.metadata_mut().insert("authorization", v);
    }
    Ok(req)
}

// ---- Output ------------------------------------------------------------------------------------

/// Rows as an aligned table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(headers.iter().map(|s| s.to_string()).collect());
    out.push('\n');
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push('\n');
        out.push_str(&line(r.clone()));
    }
    out
}

/// Key-value lines, keys aligned; empty values are left out.
pub(crate) fn kv(pairs: &[(&str, String)]) -> String {
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k:<w$}  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Under a table: how to fetch the next page, if there is one.
pub(crate) fn print_next_page(token: &str) {
    if !token.is_empty() {
        outln!("next page: --page {token}");
    }
}

/// Every aduan message's descriptor, from the set compiled into `aduan-proto`.
fn pool() -> Result<&'static DescriptorPool, CliError> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(aduan_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| CliError(format!("the compiled descriptor set is unreadable: {e}")))
}

fn descriptor<M: prost::Name>() -> Result<MessageDescriptor, CliError> {
    let name = M::full_name();
    pool()?
        .get_message_by_name(&name)
        .ok_or_else(|| CliError(format!("{name} is not in the compiled descriptor set")))
}

/// A message in the canonical proto3 JSON mapping, every field included (defaults too):
/// lowerCamelCase names, enums by their full names, 64-bit integers as strings, timestamps in
/// RFC 3339.
pub fn message_json<M: prost::Message + prost::Name>(msg: &M) -> Result<String, CliError> {
    let mut dynamic = DynamicMessage::new(descriptor::<M>()?);
    dynamic
        .transcode_from(msg)
        .map_err(|e| CliError(format!("cannot read the reply as {}: {e}", M::full_name())))?;
    let mut out = serde_json::Serializer::pretty(Vec::new());
    dynamic
        .serialize_with_options(
            &mut out,
            &SerializeOptions::new().skip_default_fields(false),
        )
        .map_err(|e| CliError(format!("cannot write {} as JSON: {e}", M::full_name())))?;
    String::from_utf8(out.into_inner()).map_err(|e| CliError(e.to_string()))
}

/// Prints a reply in the canonical proto3 JSON mapping (see [`message_json`]).
pub(crate) fn print_message<M: prost::Message + prost::Name>(msg: &M) -> Result<(), CliError> {
    outln!("{}", message_json(msg)?);
    Ok(())
}

/// Reads a message from JSON text in the canonical proto3 JSON mapping (field names in
/// lowerCamelCase or as in the .proto file); unknown fields are refused.
pub fn parse_message<M: prost::Message + prost::Name + Default>(text: &str) -> Result<M, CliError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize(descriptor::<M>()?, &mut de)
        .and_then(|m| de.end().map(|()| m))
        .map_err(|e| CliError(e.to_string()))?;
    dynamic
        .transcode_to()
        .map_err(|e| CliError(format!("not a {}: {e}", M::full_name())))
}

/// Reads a message from a JSON file (see [`parse_message`]).
pub(crate) fn read_message<M: prost::Message + prost::Name + Default>(
    path: &Path,
) -> Result<M, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
    parse_message(&text).map_err(|e| CliError(format!("{}: {}", path.display(), e.0)))
}

// ---- Enums -------------------------------------------------------------------------------------

/// Reads an enum name given with or without its prefix, in any case, with `-` or `_`.
pub fn enum_name(prefix: &str, raw: &str) -> String {
    let up = raw.trim().to_ascii_uppercase().replace('-', "_");
    if up.starts_with(prefix) {
        up
    } else {
        format!("{prefix}{up}")
    }
}

/// An enum value from its name (see [`enum_name`]); `hint` lists the accepted names.
pub(crate) fn parse_enum<E: Into<i32>>(
    prefix: &str,
    raw: &str,
    parse: fn(&str) -> Option<E>,
    hint: &str,
) -> Result<i32, CliError> {
    parse(&enum_name(prefix, raw))
        .map(Into::into)
        .ok_or_else(|| CliError(format!("unknown value {raw}: {hint}")))
}

/// An enum value's name for tables without its prefix, as in the .proto file: `REGISTERED`.
pub(crate) fn enum_label<E: TryFrom<i32> + Default>(
    v: i32,
    prefix: &str,
    name: fn(&E) -> &'static str,
) -> String {
    let full = name(&E::try_from(v).unwrap_or_default());
    full.strip_prefix(prefix).unwrap_or(full).to_string()
}

/// An enum value's name for tables as typed on the command line: `reported-party`.
pub(crate) fn enum_word<E: TryFrom<i32> + Default>(
    v: i32,
    prefix: &str,
    name: fn(&E) -> &'static str,
) -> String {
    enum_label(v, prefix, name)
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// A channel by name.
pub(crate) fn channel_of(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "CHANNEL_",
        raw,
        common::Channel::from_str_name,
        "walk-in, letter, phone, fax, email, partner-api",
    )
}

/// A complaint status by name.
pub(crate) fn status_of(raw: &str) -> Result<i32, CliError> {
    parse_enum(
        "COMPLAINT_STATUS_",
        raw,
        common::ComplaintStatus::from_str_name,
        "registered, screening, … (ComplaintStatus in common.proto)",
    )
}

/// A requirement by id ("R2") or name.
pub(crate) fn requirement_of(raw: &str) -> Result<i32, CliError> {
    let by_id = match raw.trim().to_ascii_uppercase().as_str() {
        "R1" => Some(common::Requirement::R1Clear),
        "R2" => Some(common::Requirement::R2Identity),
        "R3" => Some(common::Requirement::R3Object),
        "R4" => Some(common::Requirement::R4WhenWhereChronology),
        "R5" => Some(common::Requirement::R5OfficeService),
        "R6" => Some(common::Requirement::R6AddressedToOffice),
        _ => None,
    };
    by_id
        .or_else(|| common::Requirement::from_str_name(&enum_name("REQUIREMENT_", raw)))
        .map(|r| r as i32)
        .ok_or_else(|| CliError(format!("unknown requirement {raw}: R1-R6")))
}

/// Channel name for tables: `WALK_IN`.
pub(crate) fn channel_name(v: i32) -> String {
    enum_label(v, "CHANNEL_", common::Channel::as_str_name)
}

/// Status name for tables: `REGISTERED`.
pub(crate) fn status_name(v: i32) -> String {
    enum_label(v, "COMPLAINT_STATUS_", common::ComplaintStatus::as_str_name)
}

/// Requirement id for tables: `R2`.
pub(crate) fn requirement_id(v: i32) -> String {
    format!("R{v}")
}

/// Requirement ids for tables, joined: `R2,R4`.
pub(crate) fn requirement_ids(list: &[i32], sep: &str) -> String {
    list.iter()
        .map(|r| requirement_id(*r))
        .collect::<Vec<_>>()
        .join(sep)
}

// ---- Dates and times ---------------------------------------------------------------------------

/// A calendar period: one of --month, --quarter, --year (statistics, the satisfaction index).
#[derive(Debug, Args, Default)]
pub struct PeriodArgs {
    /// A month, YYYY-MM.
    #[arg(long, group = "period")]
    pub month: Option<String>,
    /// A quarter, YYYY-Q1 .. YYYY-Q4.
    #[arg(long, group = "period")]
    pub quarter: Option<String>,
    /// A year.
    #[arg(long, group = "period")]
    pub year: Option<i32>,
}

/// The period [`PeriodArgs`] names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CalendarPeriod {
    /// Year and month (1-12).
    Month(i32, i32),
    /// Year and quarter (1-4).
    Quarter(i32, i32),
    /// A year.
    Year(i32),
}

impl PeriodArgs {
    /// The period given, if any.
    pub(crate) fn period(&self) -> Result<Option<CalendarPeriod>, CliError> {
        if let Some(m) = &self.month {
            let (y, m) = year_month(m)?;
            return Ok(Some(CalendarPeriod::Month(y, m)));
        }
        if let Some(q) = &self.quarter {
            let bad = || CliError(format!("not a quarter (YYYY-Q1): {q}"));
            let up = q.trim().to_ascii_uppercase();
            let (y, n) = up.split_once("-Q").ok_or_else(bad)?;
            return Ok(Some(CalendarPeriod::Quarter(
                y.parse().map_err(|_| bad())?,
                n.parse().map_err(|_| bad())?,
            )));
        }
        Ok(self.year.map(CalendarPeriod::Year))
    }
}

/// Parses "YYYY-MM" into year and month.
pub(crate) fn year_month(raw: &str) -> Result<(i32, i32), CliError> {
    let bad = || CliError(format!("not a month (YYYY-MM): {raw}"));
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    Ok((y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?))
}

/// Parses "YYYY-MM-DD" (the server checks that the date exists).
pub fn date(raw: &str) -> Result<common::Date, CliError> {
    let parts: Vec<&str> = raw.trim().split('-').collect();
    let bad = || CliError(format!("not a date (YYYY-MM-DD): {raw}"));
    if parts.len() != 3 {
        return Err(bad());
    }
    Ok(common::Date {
        year: parts[0].parse().map_err(|_| bad())?,
        month: parts[1].parse().map_err(|_| bad())?,
        day: parts[2].parse().map_err(|_| bad())?,
    })
}

/// Parses an RFC 3339 timestamp.
pub fn timestamp(raw: &str) -> Result<prost_types::Timestamp, CliError> {
    let t: jiff::Timestamp = raw
        .trim()
        .parse()
        .map_err(|_| CliError(format!("not an RFC 3339 time: {raw}")))?;
    Ok(aduan_runtime::time::to_proto(t))
}

/// Parses an optional RFC 3339 timestamp.
pub(crate) fn at(raw: &Option<String>) -> Result<Option<prost_types::Timestamp>, CliError> {
    raw.as_deref().map(timestamp).transpose()
}

/// A date for tables: `2026-11-27`, empty when absent.
pub(crate) fn date_str(d: &Option<common::Date>) -> String {
    d.as_ref()
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

/// A timestamp for tables to the minute: `2026-11-27 02:15Z` (UTC; no local time is assumed).
pub fn ts_short(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(|t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
        .unwrap_or_default()
}

/// The headers of a case's history table, whose rows [`history_row`] makes.
pub(crate) const HISTORY_HEADERS: &[&str] = &["At", "Who", "Action", "Status", "Detail"];

/// One row of a case's history table (triage, investigation, feedback).
pub(crate) fn history_row(
    at: &Option<prost_types::Timestamp>,
    actor: &Option<common::Actor>,
    action: &str,
    status: i32,
    detail: String,
) -> Vec<String> {
    vec![
        ts_short(at),
        who(actor),
        action.to_string(),
        status_name(status),
        detail,
    ]
}

/// Who acted, for tables: the subject.
pub(crate) fn who(a: &Option<common::Actor>) -> String {
    a.as_ref().map(|a| a.subject.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Harness {
        #[command(subcommand)]
        command: Command,
    }

    #[test]
    fn the_commands_are_well_formed() {
        use clap::{CommandFactory, Parser};
        Harness::command().debug_assert();
        let parsed =
            Harness::try_parse_from(["aduan", "reporting", "stats", "--quarter", "2026-q4"]);
        let Ok(Harness {
            command:
                Command::Reporting {
                    command: reporting::ReportingCommand::Stats(stats),
                    ..
                },
        }) = parsed
        else {
            panic!("reporting stats parses");
        };
        assert_eq!(
            stats.period.period().ok().flatten(),
            Some(CalendarPeriod::Quarter(2026, 4))
        );
        assert!(
            Harness::try_parse_from([
                "aduan", "feedback", "index", "--office", "35", "--month", "2026-11", "--year",
                "2026"
            ])
            .is_err(),
            "one period"
        );
    }

    #[test]
    fn tables_align() {
        let t = table(&["A", "Bee"], &[vec!["long value".into(), "x".into()]]);
        assert_eq!(t, "A           Bee\n----------  ---\nlong value  x");
    }

    #[test]
    fn json_follows_the_canonical_mapping() {
        use aduan_proto::intake::v1 as pb;
        let reply = pb::TrackComplaintResponse {
            status: common::ComplaintStatus::Registered as i32,
            received_at: Some(prost_types::Timestamp {
                seconds: 1_764_209_700,
                nanos: 0,
            }),
            ..Default::default()
        };
        let v: serde_json::Value =
            serde_json::from_str(&message_json(&reply).unwrap_or_else(|e| panic!("{}", e.0)))
                .unwrap_or_default();
        assert_eq!(
            <pb::TrackComplaintResponse as prost::Name>::full_name(),
            "aduan.intake.v1.TrackComplaintResponse"
        );
        assert_eq!(v["status"], "COMPLAINT_STATUS_REGISTERED");
        assert_eq!(v["receivedAt"], "2025-11-27T02:15:00Z");
        // Scalars at their defaults are printed too, so scripts see every field; a message field
        // that is not set is left out, as the mapping says.
        assert_eq!(v["officeCode"], "");
        assert!(v.get("updatedAt").is_none());
    }

    #[test]
    fn json_input_reads_the_canonical_mapping() {
        use aduan_proto::intake::v1 as pb;
        let req: pb::SubmitComplaintRequest = parse_message(
            r#"{"officeCode": "35.27", "channel": "CHANNEL_LETTER",
                "received_at": "2026-11-27T09:15:00+07:00",
                "content": {"incidentDate": {"year": 2026, "month": 11, "day": 18}}}"#,
        )
        .unwrap_or_else(|e| panic!("{}", e.0));
        assert_eq!(req.office_code, "35.27");
        assert_eq!(req.channel, common::Channel::Letter as i32);
        assert_eq!(req.received_at.map(|t| t.seconds), Some(1_795_745_700));
        assert_eq!(
            req.content.and_then(|c| c.incident_date).map(|d| d.day),
            Some(18)
        );
        assert!(parse_message::<pb::SubmitComplaintRequest>(r#"{"shoe": 1}"#).is_err());
    }
}
