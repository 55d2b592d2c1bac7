//! National holidays (libur nasional) and collective leave (cuti bersama), kept as data.
//!
//! DESIGN "Time": the holiday list is data that administrators maintain, never code. The crate
//! ships the project's files from `data/holidays/` (see [`HOLIDAYS_2025_2026_CSV`] and
//! [`HOLIDAYS_2027_PROVISIONAL_CSV`]); [`HolidayTable::add_csv`] and
//! [`HolidayTable::replace_with_csv`] load further or corrected files from text.
//!
//! File format (`data/holidays/*.csv`): lines starting with `#` are comments; the header names the
//! columns; `date` (ISO `YYYY-MM-DD`), `name` and `kind` (`holiday` for a libur nasional,
//! `cuti_bersama`) are required; `status`, `note` and `provisional` (`true`/`false`) are optional
//! and other columns are ignored. Fields may be quoted (a quoted note may contain `,` or `#`).

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::csv;
use crate::error::{Error, Result};

/// `data/holidays/id_2025_2026.csv`: libur nasional and cuti bersama of 2025 and 2026, verified
/// against the SKB of three ministers (see `shared/refdata/README.md` §1).
pub const HOLIDAYS_2025_2026_CSV: &str = include_str!("../../../data/holidays/id_2025_2026.csv");

/// `data/holidays/id_2027_PROVISIONAL.csv`: fixed-date and estimated 2027 holidays, **not
/// verified** against the 2027 SKB and without any cuti bersama. Every row is loaded as
/// provisional.
pub const HOLIDAYS_2027_PROVISIONAL_CSV: &str =
    include_str!("../../../data/holidays/id_2027_PROVISIONAL.csv");

/// The two kinds of non-working day a joint decree (SKB) announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HolidayKind {
    /// Libur nasional: a national public holiday (file value `holiday`).
    #[serde(rename = "holiday")]
    NationalHoliday,
    /// Cuti bersama: collective leave next to a holiday (file value `cuti_bersama`). Not a working
    /// day for the SOP's "4 working days".
    #[serde(rename = "cuti_bersama")]
    CutiBersama,
}

impl HolidayKind {
    /// Reads the `kind` column: `holiday` (also `libur_nasional`, `national_holiday`) or
    /// `cuti_bersama`, case-insensitive.
    pub fn parse(text: &str) -> Option<HolidayKind> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "holiday" | "libur_nasional" | "national_holiday" => Some(HolidayKind::NationalHoliday),
            "cuti_bersama" => Some(HolidayKind::CutiBersama),
            _ => None,
        }
    }

    /// The value used in the data files.
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::NationalHoliday => "holiday",
            HolidayKind::CutiBersama => "cuti_bersama",
        }
    }
}

/// One row of a holiday file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The day (a civil date; it applies in every time zone).
    pub date: Date,
    /// Its name as the decree gives it (Bahasa Indonesia).
    pub name: String,
    /// Libur nasional or cuti bersama.
    pub kind: HolidayKind,
    /// True when the date is not confirmed by the year's SKB (every row of the 2027 file).
    pub provisional: bool,
    /// The `status` column if the file has one (e.g. `estimated_lunar`).
    pub status: Option<String>,
    /// The `note` column if the file has one.
    pub note: Option<String>,
}

/// How far the holiday data for a year can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayDataStatus {
    /// Loaded from a verified file.
    Verified,
    /// At least one row of the year is provisional (the 2027 file): dates may move and cuti
    /// bersama may be missing.
    Provisional,
    /// No holiday of that year is loaded at all: only weekends and closures are skipped.
    Missing,
}

/// Whether a loaded file is verified or provisional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataQuality {
    /// Every row is confirmed by the decree (unless its own `provisional` column says otherwise).
    Verified,
    /// Every row is provisional.
    Provisional,
}

/// All known holidays, by date, with the data status of each year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    by_date: BTreeMap<Date, Vec<Holiday>>,
    /// Year -> true when any row of that year is provisional.
    years: BTreeMap<i16, bool>,
}

impl HolidayTable {
    /// An empty table: every year is [`HolidayDataStatus::Missing`].
    pub fn new() -> HolidayTable {
        HolidayTable::default()
    }

    /// The shipped data: 2025-2026 (verified) and 2027 (provisional).
    pub fn shipped() -> Result<HolidayTable> {
        let mut table = HolidayTable::from_csv(HOLIDAYS_2025_2026_CSV, DataQuality::Verified)?;
        table.add_csv(HOLIDAYS_2027_PROVISIONAL_CSV, DataQuality::Provisional)?;
        Ok(table)
    }

    /// Reads one holiday file.
    pub fn from_csv(text: &str, quality: DataQuality) -> Result<HolidayTable> {
        let mut table = HolidayTable::new();
        for holiday in parse_csv(text, quality)? {
            table.insert(holiday);
        }
        Ok(table)
    }

    /// Adds the rows of another file to this table (e.g. a regional holiday list).
    pub fn add_csv(&mut self, text: &str, quality: DataQuality) -> Result<()> {
        let other = HolidayTable::from_csv(text, quality)?;
        self.merge(other);
        Ok(())
    }

    /// Loads a file that replaces, for every year it contains, everything known about that year
    /// (e.g. the official 2027 list replacing the provisional one). Years it does not contain
    /// are kept.
    pub fn replace_with_csv(&mut self, text: &str, quality: DataQuality) -> Result<()> {
        let other = HolidayTable::from_csv(text, quality)?;
        self.replace_years(other);
        Ok(())
    }

    /// Adds every row of `other`. A year becomes provisional if either side marks it so.
    pub fn merge(&mut self, other: HolidayTable) {
        for (_, holidays) in other.by_date {
            for holiday in holidays {
                self.insert(holiday);
            }
        }
    }

    /// Replaces every year that `other` covers by `other`'s rows for it.
    pub fn replace_years(&mut self, other: HolidayTable) {
        for year in other.years.keys() {
            self.years.remove(year);
            self.by_date.retain(|date, _| date.year() != *year);
        }
        self.merge(other);
    }

    /// Adds one holiday (an identical row already present is not duplicated).
    pub fn insert(&mut self, holiday: Holiday) {
        let provisional = self.years.entry(holiday.date.year()).or_insert(false);
        *provisional |= holiday.provisional;
        let day = self.by_date.entry(holiday.date).or_default();
        if !day.contains(&holiday) {
            day.push(holiday);
        }
    }

    /// The holidays on `date` (usually none or one; two decrees may name the same day).
    pub fn on(&self, date: Date) -> &[Holiday] {
        self.by_date.get(&date).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when `date` is a libur nasional or a cuti bersama (provisional ones included: an
    /// estimate is a better guess than a working day).
    pub fn is_holiday(&self, date: Date) -> bool {
        self.by_date.contains_key(&date)
    }

    /// How far the data for `year` can be trusted.
    pub fn year_status(&self, year: i16) -> HolidayDataStatus {
        match self.years.get(&year) {
            None => HolidayDataStatus::Missing,
            Some(true) => HolidayDataStatus::Provisional,
            Some(false) => HolidayDataStatus::Verified,
        }
    }

    /// The years with data, and their status, in order.
    pub fn years(&self) -> impl Iterator<Item = (i16, HolidayDataStatus)> + '_ {
        self.years.iter().map(|(&year, &provisional)| {
            let status = if provisional {
                HolidayDataStatus::Provisional
            } else {
                HolidayDataStatus::Verified
            };
            (year, status)
        })
    }

    /// Every holiday, in date order.
    pub fn iter(&self) -> impl Iterator<Item = &Holiday> + '_ {
        self.by_date.values().flatten()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.by_date.values().map(Vec::len).sum()
    }

    /// True when no holiday is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_date.is_empty()
    }
}

/// Parses a holiday file (format in the module documentation).
pub fn parse_csv(text: &str, quality: DataQuality) -> Result<Vec<Holiday>> {
    let records = csv::records(text)?;
    let mut rows = records.into_iter();
    let Some(header) = rows.next() else {
        return Err(Error::HolidayData {
            line: 0,
            message: "no header line (expected date,name,kind)".into(),
        });
    };
    let column = |name: &str| {
        header
            .fields
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = |name: &str| {
        column(name).ok_or_else(|| Error::HolidayData {
            line: header.line,
            message: format!("the header has no {name:?} column"),
        })
    };
    let (date_col, name_col, kind_col) = (required("date")?, required("name")?, required("kind")?);
    let (status_col, note_col, provisional_col) =
        (column("status"), column("note"), column("provisional"));

    let mut out = Vec::new();
    for row in rows {
        let line = row.line;
        let err = |message: String| Error::HolidayData { line, message };
        if row.fields.len() > header.fields.len() {
            return Err(err(format!(
                "{} fields but the header has {} (quote a field that contains a comma)",
                row.fields.len(),
                header.fields.len()
            )));
        }
        let get = |col: usize| row.fields.get(col).map(|s| s.trim()).unwrap_or("");
        let optional = |col: Option<usize>| {
            col.map(get)
                .filter(|s| !s.is_empty())
                .map(ToString::to_string)
        };
        let date = parse_date(get(date_col)).map_err(|e| err(e.to_string()))?;
        let name = get(name_col);
        if name.is_empty() {
            return Err(err("empty name".into()));
        }
        let kind = HolidayKind::parse(get(kind_col)).ok_or_else(|| {
            err(format!(
                "unknown kind {:?} (expected holiday or cuti_bersama)",
                get(kind_col)
            ))
        })?;
        let row_provisional = match provisional_col.map(get).unwrap_or("") {
            "" => false,
            v if v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case("yes") => {
                true
            }
            v if v.eq_ignore_ascii_case("false") || v == "0" || v.eq_ignore_ascii_case("no") => {
                false
            }
            v => return Err(err(format!("provisional must be true or false, not {v:?}"))),
        };
        out.push(Holiday {
            date,
            name: name.to_string(),
            kind,
            provisional: quality == DataQuality::Provisional || row_provisional,
            status: optional(status_col),
            note: optional(note_col),
        });
    }
    Ok(out)
}

/// Reads a strict ISO 8601 calendar date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date> {
    let text = text.trim();
    let invalid = |reason: &str| Error::InvalidDate {
        value: text.to_string(),
        reason: reason.to_string(),
    };
    let bytes = text.as_bytes();
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
    {
        return Err(invalid("expected YYYY-MM-DD"));
    }
    let num = |range: std::ops::Range<usize>| -> i16 {
        bytes[range]
            .iter()
            .fold(0i16, |acc, b| acc * 10 + i16::from(b - b'0'))
    };
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(invalid("expected YYYY-MM-DD"));
    };
    Date::new(year, month, day).map_err(|_| invalid("no such day"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipped_files_have_the_documented_row_counts() {
        // refdata README §1: 2025 = 17 libur nasional + 11 cuti bersama (with the 18 Aug 2025
        // amendment), 2026 = 17 + 8, 2027 provisional = 17 rows, no cuti bersama.
        let table = HolidayTable::shipped().unwrap();
        let count = |year: i16, kind: HolidayKind| {
            table
                .iter()
                .filter(|h| h.date.year() == year && h.kind == kind)
                .count()
        };
        assert_eq!(count(2025, HolidayKind::NationalHoliday), 17);
        assert_eq!(count(2025, HolidayKind::CutiBersama), 11);
        assert_eq!(count(2026, HolidayKind::NationalHoliday), 17);
        assert_eq!(count(2026, HolidayKind::CutiBersama), 8);
        assert_eq!(count(2027, HolidayKind::NationalHoliday), 17);
        assert_eq!(count(2027, HolidayKind::CutiBersama), 0);
        assert_eq!(table.len(), 28 + 25 + 17);
        assert!(
            table
                .iter()
                .all(|h| h.provisional == (h.date.year() == 2027))
        );
        assert_eq!(table.year_status(2025), HolidayDataStatus::Verified);
        assert_eq!(table.year_status(2026), HolidayDataStatus::Verified);
        assert_eq!(table.year_status(2027), HolidayDataStatus::Provisional);
        assert_eq!(table.year_status(2024), HolidayDataStatus::Missing);
        assert_eq!(table.year_status(2028), HolidayDataStatus::Missing);
    }

    #[test]
    fn provisional_file_quoted_note_with_comma_and_extra_columns() {
        // 2027-05-20 (Waisak, estimate): the note is quoted and contains commas.
        let table = HolidayTable::shipped().unwrap();
        let waisak = &table.on(date(2027, 5, 20))[0];
        assert_eq!(
            waisak.note.as_deref(),
            Some("python-holidays, arv-fazriansyah, date-holidays PR #513 agree; set by SKB")
        );
        assert_eq!(waisak.status.as_deref(), Some("estimated_lunar"));
        assert!(waisak.provisional);
        // 2027-03-08 Nyepi: an unquoted note with '#' inside is data, not a comment.
        let nyepi = &table.on(date(2027, 3, 8))[0];
        assert!(nyepi.note.as_deref().unwrap().contains("PR #513"));
    }

    #[test]
    fn cuti_bersama_2025_08_18_from_the_amendment() {
        // Mon 2025-08-18: added by SKB No. 933/1/3 Tahun 2025 as cuti bersama, not libur nasional.
        let table = HolidayTable::shipped().unwrap();
        let h = &table.on(date(2025, 8, 18))[0];
        assert_eq!(h.kind, HolidayKind::CutiBersama);
        assert!(!h.provisional);
    }

    #[test]
    fn replacing_the_provisional_2027_file() {
        let mut table = HolidayTable::shipped().unwrap();
        let official = "# official 2027 list (test data)\n\
                        date,name,kind\n\
                        2027-01-01,Tahun Baru 2027 Masehi,holiday\n\
                        2027-03-10,Idulfitri,holiday\n\
                        2027-03-11,Cuti Bersama Idulfitri,cuti_bersama\n";
        table
            .replace_with_csv(official, DataQuality::Verified)
            .unwrap();
        assert_eq!(table.year_status(2027), HolidayDataStatus::Verified);
        assert!(!table.is_holiday(date(2027, 3, 9)), "the estimate is gone");
        assert!(table.is_holiday(date(2027, 3, 11)));
        assert_eq!(
            table.iter().filter(|h| h.date.year() == 2027).count(),
            3,
            "2027 replaced, not merged"
        );
        assert_eq!(table.year_status(2026), HolidayDataStatus::Verified);
        assert!(table.is_holiday(date(2026, 12, 25)), "other years kept");
    }

    #[test]
    fn adding_a_file_and_row_level_provisional_column() {
        let mut table = HolidayTable::new();
        table
            .add_csv(
                "date,kind,name,provisional\n2028-01-01,holiday,Tahun Baru,false\n2028-02-01,holiday,Perkiraan,true\n",
                DataQuality::Verified,
            )
            .unwrap();
        assert_eq!(table.year_status(2028), HolidayDataStatus::Provisional);
        assert!(!table.on(date(2028, 1, 1))[0].provisional);
    }

    #[test]
    fn bad_files_are_errors_with_line_numbers() {
        let cases = [
            ("", 0),
            ("# only a comment\n", 0),
            ("date,name\n2026-01-01,x\n", 1),
            ("date,name,kind\n2026-13-01,x,holiday\n", 2),
            ("date,name,kind\n2026-02-30,x,holiday\n", 2),
            ("date,name,kind\n26-01-01,x,holiday\n", 2),
            ("date,name,kind\n2026-01-01,x,festival\n", 2),
            ("date,name,kind\n\n2026-01-01,,holiday\n", 3),
            ("date,name,kind\n2026-01-01,a,holiday,extra\n", 2),
            (
                "date,name,kind,provisional\n2026-01-01,a,holiday,maybe\n",
                2,
            ),
        ];
        for (text, line) in cases {
            match HolidayTable::from_csv(text, DataQuality::Verified) {
                Err(Error::HolidayData { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn parse_date_rejects_non_iso() {
        assert_eq!(parse_date("2026-03-20").unwrap(), date(2026, 3, 20));
        for bad in [
            "2026-3-20",
            "20-03-2026",
            "2026/03/20",
            "2026-03-2x",
            "",
            "２０２６-03-20",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
