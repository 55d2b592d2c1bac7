//! The working calendars of the offices, shared by every service of a process that counts
//! working days (triage's SLA clock, feedback's silence period): each office's time zone from the
//! reference data, the shipped national holidays and cuti bersama, the holiday files an
//! administrator puts in `sla.data_dir`, and, in cluster mode, a live source (the `Office` and
//! `HolidayCalendar` resources) that overrides them without a restart.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use aduan_calendar::{Calendar, DataQuality, HolidayTable};
use aduan_runtime::{Error, Result};

use crate::RefData;

/// A live source of office calendars (cluster mode: the office directory fed by kube watches).
pub trait CalendarSource: Send + Sync {
    /// The current calendar of an office, if the source has one.
    fn calendar(&self, office: &str) -> Option<Calendar>;
}

/// The offices' calendars: the live source first, then the files.
pub struct OfficeCalendars {
    holidays: Arc<HolidayTable>,
    files: HashMap<String, Calendar>,
    live: RwLock<Option<Arc<dyn CalendarSource>>>,
}

/// The shipped holidays with every holiday CSV file of `dir` (a file whose name contains
/// `PROVISIONAL` is provisional data) replacing the years it covers.
pub fn holidays_with(dir: Option<&Path>) -> Result<HolidayTable> {
    let mut holidays = HolidayTable::shipped().map_err(|e| Error::invalid("sla", e.to_string()))?;
    for (path, text) in data_files(dir, "csv")? {
        let quality = if path.to_string_lossy().contains("PROVISIONAL") {
            DataQuality::Provisional
        } else {
            DataQuality::Verified
        };
        let extra = HolidayTable::from_csv(&text, quality)
            .map_err(|e| Error::invalid("sla.data_dir", format!("{}: {e}", path.display())))?;
        holidays.replace_years(extra);
    }
    Ok(holidays)
}

/// The files of `dir` with extension `ext`, sorted by name, with their text.
pub fn data_files(dir: Option<&Path>, ext: &str) -> Result<Vec<(std::path::PathBuf, String)>> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let unreadable = |p: &Path, e: std::io::Error| {
        Error::invalid("sla.data_dir", format!("cannot read {}: {e}", p.display()))
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| unreadable(&p, e))?;
            Ok((p, text))
        })
        .collect()
}

impl OfficeCalendars {
    /// Calendars for every office of `refdata` (its time zone, Monday-Friday 07:30-16:00), with
    /// the shipped holidays and the holiday files of `data_dir`.
    pub fn load(refdata: &RefData, data_dir: Option<&Path>) -> Result<Self> {
        let holidays = Arc::new(holidays_with(data_dir)?);
        let files = refdata
            .offices()
            .into_iter()
            .map(|o| {
                (
                    o.code.clone(),
                    Calendar::new(o.time_zone.clone(), holidays.clone()),
                )
            })
            .collect();
        Ok(Self {
            holidays,
            files,
            live: RwLock::new(None),
        })
    }

    /// As configured: the reference data and `sla.data_dir`.
    pub fn configured(config: &aduan_runtime::config::Config, refdata: &RefData) -> Result<Self> {
        let dir = (!config.sla.data_dir.is_empty()).then(|| Path::new(&config.sla.data_dir));
        Self::load(refdata, dir)
    }

    /// From now on, ask `source` first (cluster mode).
    pub fn set_source(&self, source: Arc<dyn CalendarSource>) {
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = Some(source);
    }

    /// The holidays from the files (shipped plus `sla.data_dir`).
    pub fn holidays(&self) -> &HolidayTable {
        &self.holidays
    }

    /// The calendar of an office: the live source's, else the files', else Asia/Jakarta with the
    /// national holidays (an office not in the data).
    pub fn calendar(&self, office: &str) -> Calendar {
        let live = self.live.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(c) = live.and_then(|s| s.calendar(office)) {
            return c;
        }
        self.files.get(office).cloned().unwrap_or_else(|| {
            Calendar::new(
                jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC),
                self.holidays.clone(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl CalendarSource for Closed {
        fn calendar(&self, office: &str) -> Option<Calendar> {
            (office == "35.27").then(|| {
                Calendar::new(
                    jiff::tz::TimeZone::get("Asia/Makassar").unwrap(),
                    Arc::new(HolidayTable::shipped().unwrap()),
                )
            })
        }
    }

    #[test]
    fn the_live_source_comes_first_then_the_files() {
        let refdata = RefData::load("35", None).unwrap();
        let cals = OfficeCalendars::load(&refdata, None).unwrap();
        let tz = |o: &str| cals.calendar(o).time_zone().iana_name().map(str::to_string);
        assert_eq!(tz("35.27").as_deref(), Some("Asia/Jakarta"));
        cals.set_source(Arc::new(Closed));
        assert_eq!(tz("35.27").as_deref(), Some("Asia/Makassar"));
        assert_eq!(
            tz("35.26").as_deref(),
            Some("Asia/Jakarta"),
            "files for the rest"
        );
        assert_eq!(
            tz("99.99").as_deref(),
            Some("Asia/Jakarta"),
            "unknown office"
        );
    }

    #[test]
    fn holiday_files_replace_their_years() {
        let dir = std::env::temp_dir().join(format!("aduan-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        assert!(holidays_with(Some(&dir)).is_ok());
        std::fs::write(dir.join("bad.csv"), "no,header\n").unwrap();
        let e = holidays_with(Some(&dir)).unwrap_err().to_string();
        assert!(e.contains("bad.csv"), "{e}");
        assert!(holidays_with(Some(&dir.join("missing"))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
