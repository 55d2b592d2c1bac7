//! The command line for the event relay (operators, relay administrators): status, dead
//! letters, replay.

use aduan_proto::events::v1::{self as ev, event_relay_admin_client::EventRelayAdminClient};
use clap::Subcommand;

use super::{CliError, ClientArgs, channel, outln, print_message, request, table};

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
    match cmd {
        RelayCommand::Status => {
            let r = c
                .get_relay_status(request(&args, ev::GetRelayStatusRequest {})?)
                .await?
                .into_inner();
            if args.json() {
                print_message(&r)?;
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
            if args.json() {
                print_message(&r)?;
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
            if args.json() {
                print_message(&r)?;
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
