//! Working-day calendars and SLA clocks for aduan.
//!
//! The service standard behind the project (`shared/seed/SOP.md`, Terms) says: **"Completion
//! time: 4 working days (hari kerja): weekends, national holidays and collective leave days (cuti
//! bersama) do not count."** The design brief (`shared/DESIGN.md`, section "Time") adds:
//! deadlines count working days in the office's own time zone (WIB/WITA/WIT), over its working
//! week, skipping national holidays, cuti bersama and office closures; all of this is data that
//! administrators maintain, never code; SLA policies are data too, with pause states and a
//! warning before breach.
//!
//! This crate is that engine, with no I/O:
//!
//! - [`HolidayTable`]: libur nasional and cuti bersama, read from the project's CSV files
//!   (`data/holidays/`, shipped with the crate; 2027 is marked provisional) or from any
//!   administrator-maintained file ([`HolidayTable::replace_with_csv`]).
//! - [`Calendar`]: an office's time zone, working week and hours (default Monday-Friday,
//!   07:30-16:00), holidays and closures, built in code or from a [`CalendarSpec`] read from
//!   JSON/TOML; with [`Calendar::clock_start`], [`Calendar::add_working_days`] (the deadline rule
//!   and its worked example are documented there) and [`Calendar::working_days_between`].
//! - [`SlaPolicy`] and [`SlaClock`]: stages with working-day budgets, pause states and a warning
//!   share; the shipped policies are `sop_4_working_days` and `sp4n_lapor`
//!   (`crates/calendar/policies/`).
//!
//! Every computation that touches a year whose holiday data is provisional (2027) or missing
//! says so ([`Deadline::provisional_data`], [`SlaEvaluation::provisional_data`]).
//!
//! ```
//! use std::sync::Arc;
//! use aduan_calendar::{Calendar, CalendarSpec, HolidayTable, SlaClock, SlaPolicy, SlaStatus};
//!
//! let holidays = Arc::new(HolidayTable::shipped()?);
//! let sampang = Calendar::from_spec(&CalendarSpec::default(), holidays)?; // WIB, Mon-Fri
//! let policy = SlaPolicy::sop_4_working_days()?;
//! let clock = SlaClock::new(&sampang, &policy, "response")?;
//!
//! // Registered on Tuesday 17 March 2026 at 10:00 WIB, just before Nyepi and Idulfitri:
//! // 18-24 March are cuti bersama, libur nasional or the weekend.
//! let registered = "2026-03-17T10:00:00+07:00".parse()?;
//! let now = "2026-03-25T12:00:00+07:00".parse()?;
//! let eval = clock.evaluate(registered, &[], now)?;
//! assert_eq!(eval.due, "2026-03-27T16:00:00+07:00".parse()?);
//! assert_eq!(eval.status, SlaStatus::OnTrack);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod calendar;
mod csv;
mod error;
mod holidays;
mod sla;

pub use calendar::{
    Calendar, CalendarSpec, Closure, ClosureSpec, DayOff, Deadline, HoursSpec, MAX_WORKING_DAYS,
    parse_time, parse_weekday, resolve_time_zone,
};
pub use csv::{Record as CsvRecord, records as read_csv};
pub use error::{Error, Result};
pub use holidays::{
    DataQuality, HOLIDAYS_2025_2026_CSV, HOLIDAYS_2027_PROVISIONAL_CSV, Holiday, HolidayDataStatus,
    HolidayKind, HolidayTable, parse_csv as parse_holiday_csv, parse_date,
};
pub use sla::{
    DEFAULT_WARN_FRACTION, OnExpiry, Pause, SOP_4_WORKING_DAYS_JSON, SP4N_LAPOR_JSON, SlaClock,
    SlaEvaluation, SlaPolicy, SlaStage, SlaStatus,
};
