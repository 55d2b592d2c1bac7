//! The event spine of every aduan service (docs/ARCHITECTURE.md, "The event spine"): what moves a
//! complaint from one service to the next, and the storage the case-file services share.
//!
//! - [`relay`]: the outbox a service appends its lifecycle events to in the writing transaction
//!   ([`relay::Outbox`]), the workers that deliver it to the subscribers at least once and in
//!   order, the singleton leadership of those loops, the operators' admin API, and the receiving
//!   inbox that records each applied event id ([`relay::EventReceiver`]).
//! - [`casefile`]: the sealed case-file store of investigation, feedback and reporting, and the
//!   access log of reads of personal content.
//! - [`migrations`]: the spine's own tables, for both backends, which each service applies to its
//!   own database before its own migrations.
#![warn(missing_docs)]

pub mod casefile;
pub mod migrations;
pub mod relay;
