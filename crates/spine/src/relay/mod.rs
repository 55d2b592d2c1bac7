//! The event relay: delivers each service's outbox to the services that subscribe to it, over
//! gRPC (`aduan.events.v1.EventInbox`), at least once and in outbox order, with retry and backoff
//! and a dead-letter state that operators list and replay (`aduan.events.v1.EventRelayAdmin`).
//!
//! ## Tables (the spine's migrations, `crates/spine/migrations`, applied to each service's database)
//! - `outbox (seq, event_id, complaint_id, event_type, payload, created_at)`: `seq` is taken from
//!   `outbox_counter` inside the writing transaction, so positions are gap-free and in commit
//!   order (the counter row is locked until commit), and a cursor never skips a late commit.
//! - `outbox_counter (id = 1, last_seq)`.
//! - `relay_cursors (subscriber, position, updated_at)`: the last position delivered or
//!   dead-lettered per subscriber.
//! - `relay_dead_letters (subscriber, seq, event_id, complaint_id, event_type, error, attempts,
//!   dead_at, held_behind)`.
//!
//! ## Receivers
//! A receiver applies a batch and records each event id in the same transaction (`inbox_seen`),
//! so a redelivery changes nothing. It answers how many leading events are applied and, if it
//! refuses one for good, which one and why; a refused event becomes a dead letter at once, and
//! the complaint's later events are held behind it (also dead letters, `held_behind`) so that a
//! replay delivers them in order. An unreachable receiver is retried without limit, backing off.
//!
//! With PostgreSQL several replicas may run the same service: a session advisory lock per
//! (outbox, subscriber) lets one of them relay at a time; the others wait and take over when its
//! connection ends.

/// Runs the same body against either pool (the SQL is written to work on both).
macro_rules! with_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Database::Postgres($p) => $body,
            Database::Sqlite($p) => $body,
        }
    };
}

mod admin;
mod housekeeping;
mod inbox;
mod leadership;
mod outbox;
mod routes;
mod tx;
mod worker;

pub use admin::*;
pub use housekeeping::*;
pub use inbox::*;
pub use leadership::*;
pub use outbox::*;
pub use routes::*;
pub use tx::*;
pub use worker::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_between_known_services_and_names_known_event_types() {
        for r in ROUTES {
            assert!(SERVICES.contains(&r.source), "{r:?}");
            // The console receives (notifications) but publishes nothing.
            assert!(COMPONENTS.contains(&r.subscriber), "{r:?}");
            assert_ne!(r.source, r.subscriber);
            assert!(!r.events.is_empty());
            for e in r.events {
                assert_ne!(*e, "other");
            }
            assert_eq!(
                ROUTES
                    .iter()
                    .filter(|x| x.source == r.source && x.subscriber == r.subscriber)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn lock_keys_differ_per_relay_and_are_stable() {
        let key = |a, b| name_key(&lock_name(a, b));
        assert_eq!(key("intake", "triage"), key("intake", "triage"));
        assert_ne!(key("intake", "triage"), key("triage", "intake"));
        assert_ne!(key("intake", "triage"), key("intake", "reporting"));
    }

    #[test]
    fn only_unfixable_codes_count_towards_dead_letters() {
        assert!(is_permanent(tonic::Code::InvalidArgument));
        assert!(is_permanent(tonic::Code::FailedPrecondition));
        assert!(!is_permanent(tonic::Code::Unavailable));
        assert!(!is_permanent(tonic::Code::DeadlineExceeded));
        assert!(!is_permanent(tonic::Code::Unauthenticated));
        assert!(!is_permanent(tonic::Code::Internal));
    }
}
