//! One error type for every service, mapped to a gRPC status in one place.
//!
//! Messages never carry personal data: they name fields, not values.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A violated field: its path (for example `reporter.nik`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request message.
    pub field: String,
    /// What is wrong, without repeating the value.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Every failure a service reports to a caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input: every violated field is named (INVALID_ARGUMENT with google.rpc.BadRequest).
    #[error("invalid argument ({})", summarize(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The record does not exist, or the caller may not know that it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A step out of order, or a stale revision.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// The record exists already (for example an idempotency key reused for another request).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// No valid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Valid credentials without the right role or office.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A limit was hit that retrying will not cure (a file too large).
    #[error("resource exhausted: {0}")]
    ResourceExhausted(String),
    /// A rate or concurrency limit was hit: RESOURCE_EXHAUSTED with a google.rpc.RetryInfo
    /// saying when to try again.
    #[error("resource exhausted: {0}")]
    RetryLater(String, std::time::Duration),
    /// The service is not ready (starting, draining, a dependency down).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A storage failure.
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    /// Anything else that is our fault.
    #[error("internal: {0}")]
    Internal(String),
}

/// At most this many field violations are kept per request: an answer stays small whatever the
/// request (a list of 100,000 bad elements must not produce a 100,000-line error).
pub const MAX_VIOLATIONS: usize = 50;
/// At most this many of them are also written into `grpc-message` (issue 13: about 1 KB at most).
const MESSAGE_VIOLATIONS: usize = 5;
/// Field paths and descriptions are cut to this many characters (they can quote input).
const MAX_TEXT: usize = 200;
/// Any other message is cut to this many characters (issue 13: `grpc-message` about 1 KB).
const MAX_MESSAGE: usize = 500;

/// `s`, cut to `max` characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn summarize(v: &[FieldViolation]) -> String {
    let mut out = v
        .iter()
        .take(MESSAGE_VIOLATIONS)
        .map(|f| format!("{}: {}", clip(&f.field, 60), clip(&f.description, 100)))
        .collect::<Vec<_>>()
        .join("; ");
    if v.len() > MESSAGE_VIOLATIONS {
        out.push_str(&format!(
            "; and {} more (see the BadRequest details)",
            v.len() - MESSAGE_VIOLATIONS
        ));
    }
    out
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The kind of the error, for logs and metric labels: never its message, which can quote
    /// stored values (a storage error) or personal content (a document that does not deserialise).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Storage(_) if self.code() == Code::Unavailable => "unavailable",
            Error::Storage(_) => "storage",
            Error::Unavailable(_) => "unavailable",
            Error::Internal(_) => "internal",
            Error::NotFound(_) => "not_found",
            Error::FailedPrecondition(_) => "failed_precondition",
            Error::InvalidArgument(_) => "invalid_argument",
            _ => "other",
        }
    }

    /// INVALID_ARGUMENT for one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// The gRPC code this error maps to.
    pub fn code(&self) -> Code {
        match self {
            Error::InvalidArgument(_) => Code::InvalidArgument,
            Error::NotFound(_) => Code::NotFound,
            Error::FailedPrecondition(_) => Code::FailedPrecondition,
            Error::AlreadyExists(_) => Code::AlreadyExists,
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::PermissionDenied(_) => Code::PermissionDenied,
            Error::ResourceExhausted(_) | Error::RetryLater(..) => Code::ResourceExhausted,
            Error::Unavailable(_) => Code::Unavailable,
            Error::Storage(e) if is_unavailable(e) => Code::Unavailable,
            Error::Storage(_) | Error::Internal(_) => Code::Internal,
        }
    }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        let code = err.code();
        match err {
            Error::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in violations.iter().take(MAX_VIOLATIONS + 1) {
                    details.add_bad_request_violation(
                        clip(&v.field, MAX_TEXT),
                        clip(&v.description, MAX_TEXT),
                    );
                }
                let msg = format!("invalid fields: {}", summarize(&violations));
                Status::with_error_details(Code::InvalidArgument, msg, details)
            }
            Error::Storage(e) => {
                // Database errors can quote values (constraint details): log the kind only.
                tracing::error!(error.kind = storage_kind(&e), "storage error");
                Status::new(code, "storage error")
            }
            Error::Internal(m) => {
                tracing::error!(error.message = %m, "internal error");
                Status::new(code, "internal error")
            }
            Error::RetryLater(m, after) => {
                crate::admission::retry_later(&clip(&m, MAX_MESSAGE), after)
            }
            // Issue 13: no message grows with the request.
            other => Status::new(code, clip(&other.to_string(), MAX_MESSAGE)),
        }
    }
}

/// A short description of a storage error that never includes row values.
pub fn storage_kind(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => format!(
            "database error code {}",
            d.code().map(|c| c.into_owned()).unwrap_or_default()
        ),
        sqlx::Error::PoolTimedOut => "pool timed out".into(),
        sqlx::Error::PoolClosed => "pool closed".into(),
        sqlx::Error::Io(_) => "i/o".into(),
        sqlx::Error::RowNotFound => "row not found".into(),
        sqlx::Error::ColumnDecode { index, .. } => format!("column decode {index}"),
        _ => "other".into(),
    }
}

/// Collects field violations while a request is checked, so that every violated field is named.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>, usize);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a violation.
    /// Beyond [`MAX_VIOLATIONS`] they are only counted.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.0.len() < MAX_VIOLATIONS {
            self.0.push(FieldViolation::new(field, description));
        } else {
            self.1 += 1;
        }
    }
    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Ok when empty, else INVALID_ARGUMENT with every violation.
    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            let mut v = self.0;
            if self.1 > 0 {
                v.push(FieldViolation::new(
                    "",
                    format!("{} more violations not listed", self.1),
                ));
            }
            Err(Error::InvalidArgument(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_every_field_violation() {
        let mut v = Violations::new();
        v.add("reporter.nik", "must be 16 digits");
        v.add("channel", "required");
        let status: Status = v.into_result().unwrap_err().into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let br = details.bad_request().expect("bad request details");
        let fields: Vec<_> = br
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, vec!["reporter.nik", "channel"]);
    }

    #[test]
    fn a_flood_of_violations_makes_a_small_answer() {
        let mut v = Violations::new();
        for i in 0..100_000 {
            v.add(format!("assignees[{i}].subject"), "x".repeat(10_000));
        }
        let status: Status = v.into_result().unwrap_err().into();
        assert!(status.message().len() < 1_100, "{}", status.message().len());
        assert!(status.message().contains("and 46 more"));
        let br = status.get_error_details().bad_request().unwrap().clone();
        assert_eq!(br.field_violations.len(), MAX_VIOLATIONS + 1);
        assert_eq!(
            br.field_violations[MAX_VIOLATIONS].description,
            "99950 more violations not listed"
        );
        assert!(br.field_violations[0].description.chars().count() <= MAX_TEXT + 1);
    }

    #[test]
    fn storage_errors_do_not_leak_messages() {
        let status: Status = Error::Storage(sqlx::Error::Protocol("secret value".into())).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
        let status: Status = Error::Storage(sqlx::Error::PoolTimedOut).into();
        assert_eq!(status.code(), Code::Unavailable);
    }
}
