//! The one error type of the crate. Every fallible operation returns it; nothing panics on input.

/// Why a calendar, a holiday file, an SLA policy or a computation was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The time zone name is neither an IANA zone known to the tz database nor WIB/WITA/WIT.
    #[error("unknown time zone {name:?} (use an IANA name such as Asia/Jakarta, or WIB/WITA/WIT)")]
    UnknownTimeZone {
        /// The name as given.
        name: String,
    },
    /// A time of day is not `HH:MM` or `HH:MM:SS` on a 24-hour clock.
    #[error("invalid time of day {value:?}: {reason}")]
    InvalidTime {
        /// The text as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Opening time is not before closing time.
    #[error("working hours must open before they close (opens {opens}, closes {closes})")]
    InvalidHours {
        /// Opening time as given.
        opens: String,
        /// Closing time as given.
        closes: String,
    },
    /// A weekday name is not recognised.
    #[error("unknown weekday {value:?} (use monday..sunday or senin..minggu)")]
    InvalidWeekday {
        /// The text as given.
        value: String,
    },
    /// A calendar spec gives working hours for a weekday that is not in its working week.
    #[error("hours are given for {weekday:?}, which is not in working_days")]
    HoursOnDayOff {
        /// The weekday as given.
        weekday: String,
    },
    /// The working week has no working day, so no deadline could ever be reached.
    #[error("the working week must contain at least one working day")]
    EmptyWorkingWeek,
    /// A date is not an ISO 8601 calendar date (`YYYY-MM-DD`).
    #[error("invalid date {value:?}: {reason}")]
    InvalidDate {
        /// The text as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An office closure ends before it starts, or has no reason.
    #[error("invalid office closure {from}..={to}: {reason}")]
    InvalidClosure {
        /// First closed day.
        from: String,
        /// Last closed day.
        to: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A holiday file could not be read.
    #[error("holiday data, line {line}: {message}")]
    HolidayData {
        /// 1-based line of the text where the problem was found (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON document (calendar spec or SLA policy) could not be read.
    #[error("JSON: {message}")]
    Json {
        /// What is wrong, with the line and column when known.
        message: String,
    },
    /// An SLA policy is inconsistent.
    #[error("SLA policy {policy:?}: {message}")]
    InvalidPolicy {
        /// The policy code.
        policy: String,
        /// What is wrong.
        message: String,
    },
    /// The policy has no stage with this code.
    #[error("SLA policy {policy:?} has no stage {stage:?}")]
    UnknownStage {
        /// The policy code.
        policy: String,
        /// The stage code asked for.
        stage: String,
    },
    /// A pause interval ends before it starts.
    #[error("pause interval ends ({to}) before it starts ({from})")]
    InvalidPause {
        /// Start of the pause.
        from: String,
        /// End of the pause.
        to: String,
    },
    /// A computation left the range of dates and times that can be represented
    /// (years -9999..=9999), or asked for an unreasonable number of working days.
    #[error("out of range: {0}")]
    OutOfRange(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn out_of_range(what: impl std::fmt::Display) -> Error {
    Error::OutOfRange(what.to_string())
}
