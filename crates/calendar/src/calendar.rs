//! An office's working calendar: time zone, working week and hours, holidays, closures; and the
//! working-day arithmetic built on it.

use std::sync::Arc;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, out_of_range};
use crate::holidays::{HolidayDataStatus, HolidayKind, HolidayTable, parse_date};

/// The largest `n` that [`Calendar::add_working_days`] accepts (about 380 years of working days).
pub const MAX_WORKING_DAYS: u32 = 100_000;

/// Tolerance, in working days, used when comparing accumulated working time (about 0.03 ms of an
/// 8.5-hour day).
pub(crate) const EPSILON: f64 = 1e-9;

const DEFAULT_OPENS: Time = jiff::civil::time(7, 30, 0, 0);
const DEFAULT_CLOSES: Time = jiff::civil::time(16, 0, 0, 0);

/// A whole-day office closure (for example a move, a disaster, a local holiday decreed by the
/// Bupati). Closed days are not working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// First closed day.
    pub from: Date,
    /// Last closed day (inclusive).
    pub to: Date,
    /// Why the office is closed (shown to operators).
    pub reason: String,
}

impl Closure {
    /// A closure from `from` to `to` inclusive; `to` must not precede `from` and the reason must
    /// not be blank.
    pub fn new(from: Date, to: Date, reason: impl Into<String>) -> Result<Closure> {
        let reason = reason.into();
        let invalid = |why: &str| Error::InvalidClosure {
            from: from.to_string(),
            to: to.to_string(),
            reason: why.to_string(),
        };
        if to < from {
            return Err(invalid("it ends before it starts"));
        }
        if reason.trim().is_empty() {
            return Err(invalid("a reason is required"));
        }
        Ok(Closure { from, to, reason })
    }

    /// True when `date` is one of the closed days.
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

/// Why a day is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOff {
    /// A libur nasional or cuti bersama.
    Holiday {
        /// Its name.
        name: String,
        /// Which kind.
        holiday_kind: HolidayKind,
        /// True when the date is only an estimate.
        provisional: bool,
    },
    /// An office closure.
    Closure {
        /// Its reason.
        reason: String,
    },
    /// The weekday is not in the office's working week (a weekend).
    NotInWorkingWeek {
        /// The weekday.
        weekday: Weekday,
    },
}

/// The result of [`Calendar::add_working_days`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    /// When the complaint (or stage) was received, as passed in.
    pub received: Timestamp,
    /// When the clock started ([`Calendar::clock_start`] of `received`).
    pub clock_start: Timestamp,
    /// The number of working days asked for.
    pub working_days: u32,
    /// The deadline: the close of working hours on the last counted working day.
    pub due: Timestamp,
    /// True when the computation touched a year whose holiday data is provisional (2027) or
    /// missing: the due date may move when the data is corrected.
    pub provisional_data: bool,
    /// The years from `received` to `due` that are provisional or have no holiday data.
    pub uncertain_years: Vec<i16>,
}

/// An office's calendar, as plain data: what services load from TOML or JSON.
///
/// ```json
/// { "time_zone": "Asia/Jakarta",
///   "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
///   "opens": "07:30", "closes": "16:00",
///   "hours_by_day": { "friday": { "opens": "07:30", "closes": "16:30" } },
///   "closures": [ { "from": "2026-07-06", "to": "2026-07-08", "reason": "pindah kantor" } ] }
/// ```
///
/// Every field but `time_zone` may be left out (defaults: Monday-Friday, 07:30-16:00, no
/// closures). Unknown fields are rejected, so that a misspelt field is not silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA time zone (`Asia/Jakarta`, `Asia/Pontianak`, `Asia/Makassar`, `Asia/Jayapura`) or
    /// `WIB` / `WITA` / `WIT`.
    pub time_zone: String,
    /// Working weekdays: English (`monday`) or Indonesian (`senin`) names, or three-letter
    /// English abbreviations; case-insensitive.
    #[serde(default = "default_working_days")]
    pub working_days: Vec<String>,
    /// Opening time, `HH:MM` (24-hour).
    #[serde(default = "default_opens")]
    pub opens: String,
    /// Closing time, `HH:MM` (24-hour); must be after `opens`.
    #[serde(default = "default_closes")]
    pub closes: String,
    /// Different hours on some weekdays (keys are weekday names, each of them in
    /// `working_days`).
    #[serde(default)]
    pub hours_by_day: std::collections::BTreeMap<String, HoursSpec>,
    /// Office closures.
    #[serde(default)]
    pub closures: Vec<ClosureSpec>,
}

/// Opening and closing time of one weekday, in a [`CalendarSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursSpec {
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`.
    pub closes: String,
}

/// An office closure in a [`CalendarSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureSpec {
    /// First closed day, `YYYY-MM-DD`.
    pub from: String,
    /// Last closed day (inclusive), `YYYY-MM-DD`.
    pub to: String,
    /// Why.
    pub reason: String,
}

fn default_working_days() -> Vec<String> {
    ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .into_iter()
        .map(String::from)
        .collect()
}

fn default_opens() -> String {
    "07:30".into()
}

fn default_closes() -> String {
    "16:00".into()
}

impl Default for CalendarSpec {
    /// Sampang's calendar: WIB, Monday-Friday, 07:30-16:00, no closures.
    fn default() -> Self {
        CalendarSpec {
            time_zone: "Asia/Jakarta".into(),
            working_days: default_working_days(),
            opens: default_opens(),
            closes: default_closes(),
            hours_by_day: Default::default(),
            closures: Vec::new(),
        }
    }
}

impl CalendarSpec {
    /// Reads a spec from JSON (format in the type documentation).
    pub fn from_json(text: &str) -> Result<CalendarSpec> {
        serde_json::from_str(text).map_err(|e| crate::Error::Json {
            message: e.to_string(),
        })
    }
}

/// An office's working calendar (DESIGN "Time"): deadlines count working days in the office's own
/// time zone, over its working week and hours, skipping libur nasional, cuti bersama and office
/// closures.
///
/// Cheap to clone: the holiday table is shared.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    tz_name: String,
    /// Working hours per weekday (index: Monday = 0); `None` = not in the working week.
    hours: [Option<(Time, Time)>; 7],
    holidays: Arc<HolidayTable>,
    closures: Vec<Closure>,
}

impl Calendar {
    /// A calendar in `time_zone` with the default week (Monday-Friday) and hours (07:30-16:00)
    /// and no closures.
    pub fn new(time_zone: TimeZone, holidays: Arc<HolidayTable>) -> Calendar {
        let tz_name = time_zone.iana_name().unwrap_or("fixed offset").to_string();
        let day = Some((DEFAULT_OPENS, DEFAULT_CLOSES));
        Calendar {
            tz: time_zone,
            tz_name,
            hours: [day, day, day, day, day, None, None],
            holidays,
            closures: Vec::new(),
        }
    }

    /// A default calendar for a zone given by name (IANA name or WIB/WITA/WIT).
    pub fn for_zone(name: &str, holidays: Arc<HolidayTable>) -> Result<Calendar> {
        let (tz, tz_name) = resolve_time_zone(name)?;
        let mut calendar = Calendar::new(tz, holidays);
        calendar.tz_name = tz_name;
        Ok(calendar)
    }

    /// Builds a calendar from plain data.
    pub fn from_spec(spec: &CalendarSpec, holidays: Arc<HolidayTable>) -> Result<Calendar> {
        let mut calendar = Calendar::for_zone(&spec.time_zone, holidays)?;
        let days = spec
            .working_days
            .iter()
            .map(|d| parse_weekday(d))
            .collect::<Result<Vec<_>>>()?;
        calendar = calendar.with_working_week(&days)?;
        calendar = calendar.with_hours(parse_time(&spec.opens)?, parse_time(&spec.closes)?)?;
        for (day, hours) in &spec.hours_by_day {
            let weekday = parse_weekday(day)?;
            if !days.contains(&weekday) {
                return Err(Error::HoursOnDayOff {
                    weekday: day.clone(),
                });
            }
            calendar = calendar.with_hours_on(
                weekday,
                parse_time(&hours.opens)?,
                parse_time(&hours.closes)?,
            )?;
        }
        for closure in &spec.closures {
            calendar = calendar.with_closure(Closure::new(
                parse_date(&closure.from)?,
                parse_date(&closure.to)?,
                closure.reason.clone(),
            )?)?;
        }
        Ok(calendar)
    }

    /// Sets the working week. It must contain at least one day. Days newly added get the hours of
    /// the first day already in the week (or the defaults).
    pub fn with_working_week(mut self, days: &[Weekday]) -> Result<Calendar> {
        if days.is_empty() {
            return Err(Error::EmptyWorkingWeek);
        }
        let template = self
            .hours
            .iter()
            .flatten()
            .next()
            .copied()
            .unwrap_or((DEFAULT_OPENS, DEFAULT_CLOSES));
        let mut hours = [None; 7];
        for day in days {
            let i = index(*day);
            hours[i] = self.hours[i].or(Some(template));
        }
        self.hours = hours;
        Ok(self)
    }

    /// Sets the working hours of every working day: open from `opens` (inclusive) to `closes`.
    pub fn with_hours(mut self, opens: Time, closes: Time) -> Result<Calendar> {
        check_hours(opens, closes)?;
        for day in self.hours.iter_mut().flatten() {
            *day = (opens, closes);
        }
        Ok(self)
    }

    /// Sets the working hours of one weekday, adding it to the working week if needed.
    pub fn with_hours_on(mut self, day: Weekday, opens: Time, closes: Time) -> Result<Calendar> {
        check_hours(opens, closes)?;
        self.hours[index(day)] = Some((opens, closes));
        Ok(self)
    }

    /// Adds an office closure.
    pub fn with_closure(mut self, closure: Closure) -> Result<Calendar> {
        // Re-validate: the fields are public.
        let closure = Closure::new(closure.from, closure.to, closure.reason)?;
        self.closures.push(closure);
        self.closures.sort_by_key(|c| (c.from, c.to));
        Ok(self)
    }

    /// Replaces the holiday table.
    pub fn with_holidays(mut self, holidays: Arc<HolidayTable>) -> Calendar {
        self.holidays = holidays;
        self
    }

    /// The office's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The zone's IANA name (for WIB/WITA/WIT, the zone it stands for).
    pub fn time_zone_name(&self) -> &str {
        &self.tz_name
    }

    /// The holiday table.
    pub fn holidays(&self) -> &HolidayTable {
        &self.holidays
    }

    /// The office closures, by start date.
    pub fn closures(&self) -> &[Closure] {
        &self.closures
    }

    /// The working hours of a weekday, or `None` if it is not in the working week.
    pub fn working_hours(&self, day: Weekday) -> Option<(Time, Time)> {
        self.hours[index(day)]
    }

    /// The working weekdays, Monday first.
    pub fn working_week(&self) -> Vec<Weekday> {
        let mut day = Weekday::Monday;
        let mut out = Vec::new();
        for hours in &self.hours {
            if hours.is_some() {
                out.push(day);
            }
            day = day.next();
        }
        out
    }

    /// Why `date` is not a working day, or `None` if it is one. A holiday is reported before a
    /// closure, and both before a weekend.
    pub fn day_off(&self, date: Date) -> Option<DayOff> {
        if let Some(h) = self.holidays.on(date).first() {
            return Some(DayOff::Holiday {
                name: h.name.clone(),
                holiday_kind: h.kind,
                provisional: h.provisional,
            });
        }
        if let Some(c) = self.closure_on(date) {
            return Some(DayOff::Closure {
                reason: c.reason.clone(),
            });
        }
        if self.hours[index(date.weekday())].is_none() {
            return Some(DayOff::NotInWorkingWeek {
                weekday: date.weekday(),
            });
        }
        None
    }

    /// True when `date` is a working day (hari kerja): in the working week, not a libur nasional
    /// or cuti bersama (provisional ones included), not an office closure.
    pub fn is_working_day(&self, date: Date) -> bool {
        self.hours[index(date.weekday())].is_some()
            && !self.holidays.is_holiday(date)
            && self.closure_on(date).is_none()
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: Date) -> Result<Date> {
        let mut day = date
            .tomorrow()
            .map_err(|_| out_of_range(format!("no working day after {date}")))?;
        loop {
            if self.is_working_day(day) {
                return Ok(day);
            }
            day = self.skip(day)?;
        }
    }

    /// The status of the holiday data for `year`.
    pub fn holiday_data_status(&self, year: i16) -> HolidayDataStatus {
        self.holidays.year_status(year)
    }

    /// True when the holiday data for `date`'s year is provisional (2027) or missing, so that
    /// whether it is a working day may change.
    pub fn is_provisional(&self, date: Date) -> bool {
        self.holidays.year_status(date.year()) != HolidayDataStatus::Verified
    }

    /// The years from `from` to `to` (either order) whose holiday data is provisional or missing.
    pub fn uncertain_years(&self, from: Date, to: Date) -> Vec<i16> {
        let (a, b) = if from <= to {
            (from.year(), to.year())
        } else {
            (to.year(), from.year())
        };
        (a..=b)
            .filter(|&y| self.holidays.year_status(y) != HolidayDataStatus::Verified)
            .collect()
    }

    /// When the clock starts for something received at `received` (SOP, "Completion time: 4
    /// working days"; issue 3: "a complaint received after hours or on a day off starts counting
    /// on the next working day"):
    ///
    /// - during working hours of a working day (opening time inclusive, closing time exclusive):
    ///   at `received`;
    /// - before opening on a working day: at that day's opening;
    /// - at or after closing, or on a day off: at the opening of the next working day.
    ///
    /// Everything is read in the office's time zone.
    pub fn clock_start(&self, received: Timestamp) -> Result<Timestamp> {
        let local = self.local(received);
        let day = local.date();
        if let Some((opens, closes)) = self.window(day) {
            if local.time() < opens {
                return Ok(self.instant(day, opens)?.max(received));
            }
            if local.time() < closes {
                return Ok(received);
            }
        }
        let next = self.next_working_day(day)?;
        let (opens, _) = self.window(next).unwrap_or((DEFAULT_OPENS, DEFAULT_CLOSES));
        Ok(self.instant(next, opens)?.max(received))
    }

    /// The deadline `n` working days from `start` (SOP "Completion time: 4 working days").
    ///
    /// **Rule.** The clock starts at [`clock_start`](Self::clock_start)`(start)`. The day the
    /// clock starts on is working day 1, whether it starts at opening or during the day; each
    /// following working day counts one more. The deadline is the **close of working hours of
    /// working day `n`**. `n = 0` gives the clock start itself.
    ///
    /// So "4 working days from registration" means: due at closing time of the 4th working day,
    /// counting the day of registration when it falls within working hours.
    ///
    /// Worked example (WIB, 07:30-16:00, Monday-Friday, a week without holidays):
    ///
    /// | received | clock starts | day 1..4 | due |
    /// |---|---|---|---|
    /// | Mon 8 Jun 2026 09:00 | Mon 09:00 | Mon, Tue, Wed, Thu | **Thu 11 Jun 2026 16:00** |
    /// | Mon 8 Jun 2026 06:45 | Mon 07:30 | Mon, Tue, Wed, Thu | Thu 11 Jun 2026 16:00 |
    /// | Mon 8 Jun 2026 16:00 | Tue 07:30 | Tue, Wed, Thu, Fri | Fri 12 Jun 2026 16:00 |
    /// | Sat 6 Jun 2026 10:00 | Mon 07:30 | Mon, Tue, Wed, Thu | Thu 11 Jun 2026 16:00 |
    ///
    /// A consequence to know: a complaint registered at 15:59 has day 1 almost used up. Measured
    /// with [`working_days_between`](Self::working_days_between), the time from clock start to
    /// due is exactly `n` when the clock starts at opening, and `n` minus the part of day 1 that
    /// had passed otherwise (3.82 working days for the Monday 09:00 example).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use aduan_calendar::{Calendar, HolidayTable};
    /// let calendar = Calendar::for_zone("Asia/Jakarta", Arc::new(HolidayTable::shipped()?))?;
    /// let received: jiff::Timestamp = "2026-06-08T09:00:00+07:00".parse()?;
    /// let deadline = calendar.add_working_days(received, 4)?;
    /// assert_eq!(deadline.due, "2026-06-11T16:00:00+07:00".parse()?);
    /// assert!(!deadline.provisional_data);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Result<Deadline> {
        if n > MAX_WORKING_DAYS {
            return Err(out_of_range(format!(
                "{n} working days (at most {MAX_WORKING_DAYS})"
            )));
        }
        let clock_start = self.clock_start(start)?;
        let due = if n == 0 {
            clock_start
        } else {
            let mut day = self.local(clock_start).date();
            for _ in 1..n {
                day = self.next_working_day(day)?;
            }
            let (_, closes) = self
                .window(day)
                .ok_or_else(|| out_of_range(format!("{day} is not a working day")))?;
            self.instant(day, closes)?
        };
        let uncertain_years =
            self.uncertain_years(self.local(start).date(), self.local(due).date());
        Ok(Deadline {
            received: start,
            clock_start,
            working_days: n,
            due,
            provisional_data: !uncertain_years.is_empty(),
            uncertain_years,
        })
    }

    /// Working time elapsed from `start` to `end`, in working days: each working day's hours
    /// count as one day, a part of them as the matching fraction (measured on the office's wall
    /// clock), and time outside working hours counts nothing. Negative when `end` precedes
    /// `start`.
    ///
    /// Example: Monday 09:00 to Monday 16:00 with hours 07:30-16:00 is 7 / 8.5 = 0.8235.
    pub fn working_days_between(&self, start: Timestamp, end: Timestamp) -> f64 {
        if end < start {
            return -self.working_days_between(end, start);
        }
        if end == start {
            return 0.0;
        }
        let (a, b) = (self.local(start), self.local(end));
        let (first, last) = (a.date(), b.date());
        if first == last {
            return match self.window(first) {
                Some((opens, closes)) => {
                    fraction(opens, closes, b.time()) - fraction(opens, closes, a.time())
                }
                None => 0.0,
            };
        }
        let mut partial = 0.0;
        if let Some((opens, closes)) = self.window(first) {
            partial += 1.0 - fraction(opens, closes, a.time());
        }
        let mut whole: u64 = 0;
        let mut day = self.skip(first);
        while let Ok(d) = day {
            if d >= last {
                break;
            }
            if self.is_working_day(d) {
                whole += 1;
            }
            day = self.skip(d);
        }
        if let Some((opens, closes)) = self.window(last) {
            partial += fraction(opens, closes, b.time());
        }
        whole as f64 + partial
    }

    /// The instant at which `amount` working days of working time have passed since `from`
    /// (the inverse of [`working_days_between`](Self::working_days_between)). Used by the SLA
    /// clock to shift deadlines by pauses. Ending exactly at a day's close gives that close.
    pub fn advance(&self, from: Timestamp, amount: f64) -> Result<Timestamp> {
        if amount.is_nan() || amount <= EPSILON {
            return Ok(from);
        }
        if amount > f64::from(MAX_WORKING_DAYS) {
            return Err(out_of_range(format!("{amount} working days")));
        }
        let mut amount = amount;
        let local = self.local(from);
        let mut day = local.date();
        let mut done = self
            .window(day)
            .map_or(1.0, |(opens, closes)| fraction(opens, closes, local.time()));
        loop {
            if let Some((opens, closes)) = self.window(day) {
                let available = 1.0 - done;
                if available > 0.0 {
                    if amount >= available - EPSILON {
                        if amount <= available + EPSILON {
                            return Ok(self.instant(day, closes)?.max(from));
                        }
                    } else {
                        let at = self.at_fraction(day, opens, closes, done + amount)?;
                        return Ok(at.max(from));
                    }
                    amount -= available;
                }
            }
            day = self.skip(day)?;
            done = 0.0;
        }
    }

    // ---- internals ----

    pub(crate) fn local(&self, t: Timestamp) -> DateTime {
        self.tz.to_datetime(t)
    }

    fn instant(&self, day: Date, time: Time) -> Result<Timestamp> {
        self.tz
            .to_timestamp(day.to_datetime(time))
            .map_err(|_| out_of_range(format!("{day} {time} in {}", self.tz_name)))
    }

    /// The working hours of `day` if it is a working day.
    fn window(&self, day: Date) -> Option<(Time, Time)> {
        if self.is_working_day(day) {
            self.hours[index(day.weekday())]
        } else {
            None
        }
    }

    fn closure_on(&self, date: Date) -> Option<&Closure> {
        self.closures.iter().find(|c| c.contains(date))
    }

    /// The next day that could be a working day: past a closure in one step.
    fn skip(&self, day: Date) -> Result<Date> {
        let next = match self
            .closures
            .iter()
            .filter(|c| c.contains(day))
            .map(|c| c.to)
            .max()
        {
            Some(last_closed) => last_closed.tomorrow(),
            None => day.tomorrow(),
        };
        next.map_err(|_| out_of_range(format!("no working day after {day}")))
    }

    fn at_fraction(&self, day: Date, opens: Time, closes: Time, part: f64) -> Result<Timestamp> {
        let length = opens.duration_until(closes).as_nanos() as f64;
        let nanos = (part.clamp(0.0, 1.0) * length).round() as i64;
        let time = opens
            .checked_add(SignedDuration::from_nanos(nanos))
            .map_err(|_| out_of_range("time of day"))?
            .min(closes);
        self.instant(day, time)
    }
}

/// The part of the working hours `opens..closes` that has passed at `time` (0 to 1).
fn fraction(opens: Time, closes: Time, time: Time) -> f64 {
    if time <= opens {
        0.0
    } else if time >= closes {
        1.0
    } else {
        opens.duration_until(time).as_nanos() as f64
            / opens.duration_until(closes).as_nanos() as f64
    }
}

fn index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

fn check_hours(opens: Time, closes: Time) -> Result<()> {
    if opens < closes {
        Ok(())
    } else {
        Err(Error::InvalidHours {
            opens: opens.to_string(),
            closes: closes.to_string(),
        })
    }
}

/// Resolves a zone name: an IANA name, or `WIB` (Asia/Jakarta), `WITA` (Asia/Makassar), `WIT`
/// (Asia/Jayapura). Returns the zone and its IANA name. If the system has no tz database, the
/// four Indonesian zones fall back to their fixed offsets (UTC+7, +8, +9; no daylight saving time
/// since 1988, Keppres 41/1987).
pub fn resolve_time_zone(name: &str) -> Result<(TimeZone, String)> {
    let trimmed = name.trim();
    let iana = match trimmed.to_ascii_uppercase().as_str() {
        "WIB" => "Asia/Jakarta",
        "WITA" => "Asia/Makassar",
        "WIT" => "Asia/Jayapura",
        _ => trimmed,
    };
    if let Ok(tz) = TimeZone::get(iana) {
        let canonical = tz.iana_name().unwrap_or(iana).to_string();
        return Ok((tz, canonical));
    }
    match indonesian_fixed_zone(iana) {
        Some(tz) => Ok((tz, iana.to_string())),
        None => Err(Error::UnknownTimeZone {
            name: name.to_string(),
        }),
    }
}

/// The fixed-offset stand-in for an Indonesian zone when no tz database is available.
fn indonesian_fixed_zone(iana: &str) -> Option<TimeZone> {
    let hours = match iana {
        "Asia/Jakarta" | "Asia/Pontianak" => 7,
        "Asia/Makassar" => 8,
        "Asia/Jayapura" => 9,
        _ => return None,
    };
    Some(TimeZone::fixed(Offset::constant(hours)))
}

/// Reads `HH:MM` or `HH:MM:SS` (24-hour clock, `H:MM` allowed).
pub fn parse_time(text: &str) -> Result<Time> {
    let invalid = |reason: &str| Error::InvalidTime {
        value: text.to_string(),
        reason: reason.to_string(),
    };
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(invalid("expected HH:MM"));
    }
    let mut numbers = [0i8; 3];
    for (i, part) in parts.iter().enumerate() {
        let min_len = if i == 0 { 1 } else { 2 };
        if part.len() < min_len || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expected HH:MM"));
        }
        numbers[i] = part.parse().map_err(|_| invalid("expected HH:MM"))?;
    }
    let [hour, minute, second] = numbers;
    if hour > 23 {
        return Err(invalid("hour must be 0-23"));
    }
    if minute > 59 || second > 59 {
        return Err(invalid("minutes and seconds must be 0-59"));
    }
    Time::new(hour, minute, second, 0).map_err(|_| invalid("not a time of day"))
}

/// Reads a weekday name: `monday`..`sunday`, `mon`..`sun`, or Indonesian `senin`, `selasa`,
/// `rabu`, `kamis`, `jumat` (`jum'at`), `sabtu`, `minggu` (`ahad`); case-insensitive.
pub fn parse_weekday(text: &str) -> Result<Weekday> {
    let day = match text.trim().to_lowercase().as_str() {
        "monday" | "mon" | "senin" => Weekday::Monday,
        "tuesday" | "tue" | "selasa" => Weekday::Tuesday,
        "wednesday" | "wed" | "rabu" => Weekday::Wednesday,
        "thursday" | "thu" | "kamis" => Weekday::Thursday,
        "friday" | "fri" | "jumat" | "jum'at" => Weekday::Friday,
        "saturday" | "sat" | "sabtu" => Weekday::Saturday,
        "sunday" | "sun" | "minggu" | "ahad" => Weekday::Sunday,
        _ => {
            return Err(Error::InvalidWeekday {
                value: text.to_string(),
            });
        }
    };
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    #[test]
    fn parse_time_accepts_hh_mm_and_rejects_the_rest() {
        assert_eq!(parse_time("07:30").unwrap(), time(7, 30, 0, 0));
        assert_eq!(parse_time("7:30").unwrap(), time(7, 30, 0, 0));
        assert_eq!(parse_time(" 16:00:30 ").unwrap(), time(16, 0, 30, 0));
        for bad in [
            "",
            "7",
            "07:3",
            "07.30",
            "24:00",
            "23:60",
            "12:00:60",
            "-1:00",
            "07:30:00:00",
            "0x:10",
            "١٢:٣٠",
            "+7:30",
            "007:30",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parse_weekday_english_and_indonesian() {
        assert_eq!(parse_weekday("Senin").unwrap(), Weekday::Monday);
        assert_eq!(parse_weekday("jum'at").unwrap(), Weekday::Friday);
        assert_eq!(parse_weekday("SUNDAY").unwrap(), Weekday::Sunday);
        assert_eq!(parse_weekday("ahad").unwrap(), Weekday::Sunday);
        assert!(parse_weekday("weekday").is_err());
        assert!(parse_weekday("").is_err());
    }

    #[test]
    fn fixed_offset_fallback_for_wib_wita_wit() {
        // Used only when the system has no tz database: WIB UTC+7, WITA UTC+8, WIT UTC+9.
        let now = Timestamp::from_second(1_780_000_000).unwrap();
        for (zone, hours) in [
            ("Asia/Jakarta", 7),
            ("Asia/Pontianak", 7),
            ("Asia/Makassar", 8),
            ("Asia/Jayapura", 9),
        ] {
            let fixed = indonesian_fixed_zone(zone).unwrap();
            assert_eq!(fixed.to_offset(now), Offset::constant(hours));
            // And it agrees with the tz database for today's dates.
            let real = TimeZone::get(zone).unwrap();
            assert_eq!(real.to_offset(now), fixed.to_offset(now), "{zone}");
        }
        assert!(indonesian_fixed_zone("Asia/Singapore").is_none());
    }

    #[test]
    fn hours_for_a_day_outside_the_working_week_are_rejected() {
        let spec = CalendarSpec {
            hours_by_day: [(
                "saturday".to_string(),
                HoursSpec {
                    opens: "08:00".into(),
                    closes: "12:00".into(),
                },
            )]
            .into(),
            ..CalendarSpec::default()
        };
        let err = Calendar::from_spec(&spec, Arc::new(HolidayTable::new())).unwrap_err();
        assert!(matches!(err, Error::HoursOnDayOff { .. }), "{err}");
    }
}
