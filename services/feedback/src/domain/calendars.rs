//! The office calendars that time the silence period (S13-S14).

use std::sync::Arc;

use aduan_calendar::Calendar;
use aduan_refdata::RefData;
use aduan_refdata::calendars::OfficeCalendars;
use aduan_runtime::time::{from_micros, to_micros};
use aduan_runtime::{Error, Result};
use jiff::Timestamp;

/// The working calendars of the offices (shared with triage in one process: time zone from the
/// reference data or the `Office` resource, national holidays and cuti bersama, closures), with
/// the silence period computed on them.
pub struct Calendars {
    inner: Arc<OfficeCalendars>,
}

impl Calendars {
    /// Over the process's shared office calendars.
    pub fn new(inner: Arc<OfficeCalendars>) -> Self {
        Self { inner }
    }

    /// Calendars for every office of `refdata`, with the shipped holidays and any holiday CSV
    /// files in `data_dir` (the SLA data directory administrators maintain).
    pub fn load(refdata: &RefData, data_dir: Option<&std::path::Path>) -> Result<Self> {
        Ok(Self::new(Arc::new(OfficeCalendars::load(
            refdata, data_dir,
        )?)))
    }

    /// The calendar of an office (Asia/Jakarta for an office not in the data).
    pub fn calendar(&self, office: &str) -> Calendar {
        self.inner.calendar(office)
    }

    /// The local date of a moment in an office's calendar.
    pub fn local_date(&self, office: &str, at: Timestamp) -> jiff::civil::Date {
        at.to_zoned(self.calendar(office).time_zone().clone())
            .date()
    }

    /// When the silence period of a response delivered at `delivered` ends: the close of working
    /// hours of the `days`-th working day after the day of delivery, in the office's calendar
    /// (working days: its working week, without national holidays, cuti bersama and closures).
    /// None when `days` is 0 (no closing by silence).
    pub fn silence_due(
        &self,
        office: &str,
        delivered: Timestamp,
        days: u32,
    ) -> Result<Option<Timestamp>> {
        if days == 0 {
            return Ok(None);
        }
        let cal = self.calendar(office);
        let tz = cal.time_zone().clone();
        let mut day = delivered.to_zoned(tz.clone()).date();
        for _ in 0..days {
            day = cal
                .next_working_day(day)
                .map_err(|e| Error::Internal(format!("silence period: {e}")))?;
        }
        let (_, closes) = cal
            .working_hours(day.weekday())
            .ok_or_else(|| Error::Internal(format!("{day} is not in the working week")))?;
        let due = day
            .to_datetime(closes)
            .to_zoned(tz)
            .map_err(|e| Error::Internal(format!("silence period: {e}")))?
            .timestamp();
        Ok(Some(due))
    }

    /// [`Calendars::silence_due`] in microseconds.
    pub fn silence_due_micros(
        &self,
        office: &str,
        delivered: i64,
        days: u32,
    ) -> Result<Option<i64>> {
        Ok(self
            .silence_due(office, from_micros(delivered), days)?
            .map(to_micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendars() -> Calendars {
        Calendars::load(&RefData::load("35", None).unwrap(), None).unwrap()
    }

    #[test]
    fn silence_period_counts_working_days_of_the_office() {
        let c = calendars();
        let due = |at: &str, n: u32| {
            c.silence_due("35.27", at.parse().unwrap(), n)
                .unwrap()
                .map(|t| t.to_string())
        };
        // Delivered Monday 8 June 2026 10:00 WIB: day 1 is Tuesday 9; Tuesday 16 June is 1
        // Muharam (a holiday), so the 10th working day is Tuesday 23 June, closing at 16:00 WIB.
        assert_eq!(
            due("2026-06-08T10:00:00+07:00", 10).as_deref(),
            Some("2026-06-23T09:00:00Z")
        );
        // Delivered on a Saturday: day 1 is Monday.
        assert_eq!(
            due("2026-06-06T10:00:00+07:00", 1).as_deref(),
            Some("2026-06-08T09:00:00Z")
        );
        // Idulfitri 1447 H: 18-24 March 2026 are Nyepi/Idulfitri holidays and cuti bersama.
        // Delivered Monday 16 March: Tue 17, Wed 25, Thu 26, Fri 27, Mon 30, Tue 31 March.
        assert_eq!(
            due("2026-03-16T09:00:00+07:00", 6).as_deref(),
            Some("2026-03-31T09:00:00Z")
        );
        // Proklamasi (Monday 17 August 2026) is skipped.
        assert_eq!(
            due("2026-08-14T09:00:00+07:00", 1).as_deref(),
            Some("2026-08-18T09:00:00Z")
        );
        // No silence period configured: no timer.
        assert_eq!(due("2026-06-08T10:00:00+07:00", 0), None);
    }

    #[test]
    fn silence_period_uses_the_office_time_zone() {
        let c = calendars();
        // 23:30 UTC on Sunday 7 June is 06:30 WIB on Monday 8 June: the delivery day is Monday.
        let d = c
            .silence_due("35.27", "2026-06-07T23:30:00Z".parse().unwrap(), 1)
            .unwrap()
            .unwrap();
        assert_eq!(d.to_string(), "2026-06-09T09:00:00Z");
    }
}
