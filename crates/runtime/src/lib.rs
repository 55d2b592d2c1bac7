//! The runtime shared by every aduan service: layered configuration, telemetry, the gRPC server
//! (health, reflection, drain), one error type mapped to gRPC status, authentication and
//! authorization, storage on PostgreSQL or SQLite, encryption of personal data, Prometheus metrics.
#![warn(missing_docs)]

pub mod actor;
pub mod admission;
pub mod audit;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod disclosure;
pub mod error;
pub mod fsutil;
pub mod metrics;
pub mod ratelimit;
pub mod server;
pub mod telemetry;
pub mod testing;
pub mod time;
pub mod validate;

pub use error::{Error, FieldViolation, Result, Violations};
