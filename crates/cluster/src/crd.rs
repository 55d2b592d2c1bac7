//! The `Office` and `HolidayCalendar` custom resources (group [`GROUP`], version `v1`,
//! namespaced), their conversion to the calendar crate's types, and the CRD YAML generated from
//! them.
//!
//! Conversions check everything the API server's schema cannot (a real IANA time zone, opening
//! before closing, a closure that ends after it starts, dates inside the calendar's year, no
//! duplicate Bidang) and name the offending field, for example `spec.closures[1].to`.

use std::collections::BTreeSet;
use std::sync::Arc;

use aduan_calendar::{Calendar, Closure, Holiday, HolidayKind, HolidayTable};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, FieldError};

/// The API group of aduan's resources: the domain of the Indonesian government (`go.id`), under
/// which the project's name is unambiguous.
pub const GROUP: &str = "aduan.go.id";

/// A day of the week, as written in an `Office` (English, lower case).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Senin.
    Monday,
    /// Selasa.
    Tuesday,
    /// Rabu.
    Wednesday,
    /// Kamis.
    Thursday,
    /// Jumat.
    Friday,
    /// Sabtu.
    Saturday,
    /// Minggu.
    Sunday,
}

impl Weekday {
    /// The same day as a `jiff` weekday.
    pub fn to_jiff(self) -> jiff::civil::Weekday {
        use jiff::civil::Weekday as W;
        match self {
            Weekday::Monday => W::Monday,
            Weekday::Tuesday => W::Tuesday,
            Weekday::Wednesday => W::Wednesday,
            Weekday::Thursday => W::Thursday,
            Weekday::Friday => W::Friday,
            Weekday::Saturday => W::Saturday,
            Weekday::Sunday => W::Sunday,
        }
    }
}

/// An office (tenant) of the deployment: a regency's or city's Dinas Sosial P3A, with its
/// working calendar, its Bidang and its Head.
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "aduan.go.id",
    version = "v1",
    kind = "Office",
    namespaced,
    shortname = "ofc",
    category = "aduan",
    doc = "An office of aduan: code, name, working calendar, Bidang and Head",
    printcolumn = r#"{"name": "Code", "type": "string", "jsonPath": ".spec.code"}"#,
    printcolumn = r#"{"name": "Name", "type": "string", "jsonPath": ".spec.name"}"#,
    printcolumn = r#"{"name": "Time zone", "type": "string", "jsonPath": ".spec.timeZone"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct OfficeSpec {
    /// Kemendagri code of the regency or city (`35.27` for Kabupaten Sampang), or of the
    /// province (`35`) for a provincial office.
    #[schemars(regex(pattern = r"^[0-9]{2}(\.[0-9]{2})?$"))]
    pub code: String,
    /// The office's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// IANA time zone (`Asia/Jakarta`, `Asia/Pontianak`, `Asia/Makassar`, `Asia/Jayapura`) or
    /// `WIB` / `WITA` / `WIT`.
    #[schemars(length(min = 1))]
    pub time_zone: String,
    /// Working weekdays (default Monday to Friday).
    #[serde(default = "default_working_days")]
    #[schemars(length(min = 1))]
    pub working_days: Vec<Weekday>,
    /// Working hours of every working day (07:30-16:00 when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<WorkingHours>,
    /// Different hours on some weekdays (each in `workingDays`), for example a longer Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours_by_day: Vec<DayHours>,
    /// The Bidang (divisions) the Head disposes complaints to.
    #[schemars(length(min = 1))]
    pub bidang: Vec<BidangSpec>,
    /// The Kepala Dinas.
    pub head: HeadSpec,
    /// Whole-day office closures (a move, a disaster, a local holiday decreed by the Bupati).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<ClosureSpec>,
}

fn default_working_days() -> Vec<Weekday> {
    vec![
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
}

/// Opening and closing time, `HH:MM` on a 24-hour clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WorkingHours {
    /// Opening time, `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub opens: String,
    /// Closing time, `HH:MM`; after `opens`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub closes: String,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            opens: "07:30".into(),
            closes: "16:00".into(),
        }
    }
}

/// The hours of one weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DayHours {
    /// The weekday.
    pub day: Weekday,
    /// Opening time, `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub opens: String,
    /// Closing time, `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub closes: String,
}

/// One Bidang of the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidangSpec {
    /// Code, for example `rehsos` (the code complaints are disposed to).
    #[schemars(regex(pattern = r"^[a-z0-9_]+$"))]
    pub code: String,
    /// Name, for example `Bidang Rehabilitasi Sosial`.
    #[schemars(length(min = 1))]
    pub name: String,
}

/// The Head of the office (Kepala Dinas), by identity, never by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeadSpec {
    /// The OIDC subject (`sub` claim) of the Kepala Dinas.
    #[schemars(length(min = 1))]
    pub subject: String,
}

/// A whole-day office closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClosureSpec {
    /// First closed day, `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub from: String,
    /// Last closed day (inclusive), `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub to: String,
    /// Why the office is closed (shown to operators).
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// The libur nasional and cuti bersama of one year, as the joint decree (SKB) of the ministers
/// announces them.
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "aduan.go.id",
    version = "v1",
    kind = "HolidayCalendar",
    namespaced,
    shortname = "hcal",
    category = "aduan",
    doc = "The national holidays and cuti bersama of one year",
    printcolumn = r#"{"name": "Year", "type": "integer", "jsonPath": ".spec.year"}"#,
    printcolumn = r#"{"name": "Provisional", "type": "boolean", "jsonPath": ".spec.provisional"}"#,
    printcolumn = r#"{"name": "Source", "type": "string", "jsonPath": ".spec.source"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct HolidayCalendarSpec {
    /// The year every date belongs to. A calendar replaces, for its year, the holidays shipped
    /// with aduan.
    #[schemars(range(min = 1970, max = 9999))]
    pub year: i32,
    /// True when the dates are not yet confirmed by the year's SKB (estimates): deadlines that
    /// touch the year are marked provisional.
    #[serde(default)]
    pub provisional: bool,
    /// Where the dates come from (the SKB's number and date, or the estimate's source).
    #[schemars(length(min = 1))]
    pub source: String,
    /// The days off.
    #[schemars(length(min = 1))]
    pub dates: Vec<HolidayDate>,
}

/// One day off of a `HolidayCalendar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HolidayDate {
    /// The day, `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub date: String,
    /// Its name as the decree gives it.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Libur nasional or cuti bersama.
    pub kind: HolidayDateKind,
    /// True when this date alone is an estimate (the whole calendar may be marked instead).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// A remark (for example how an estimate was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The kind of a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HolidayDateKind {
    /// A national public holiday.
    LiburNasional,
    /// Collective leave next to a holiday; not a working day either.
    CutiBersama,
}

impl From<HolidayKind> for HolidayDateKind {
    fn from(kind: HolidayKind) -> Self {
        match kind {
            HolidayKind::CutiBersama => HolidayDateKind::CutiBersama,
            _ => HolidayDateKind::LiburNasional,
        }
    }
}

impl From<HolidayDateKind> for HolidayKind {
    fn from(kind: HolidayDateKind) -> Self {
        match kind {
            HolidayDateKind::LiburNasional => HolidayKind::NationalHoliday,
            HolidayDateKind::CutiBersama => HolidayKind::CutiBersama,
        }
    }
}

fn field(field: impl Into<String>, message: impl ToString) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.to_string(),
    }
}

impl OfficeSpec {
    /// Checks the fields the schema cannot check (unique Bidang codes, a non-blank Head).
    pub fn validate(&self) -> Result<(), FieldError> {
        let code_ok = {
            let b = self.code.as_bytes();
            (b.len() == 2 || (b.len() == 5 && b[2] == b'.'))
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 2 || c.is_ascii_digit())
        };
        if !code_ok {
            return Err(field(
                "spec.code",
                "expected a Kemendagri code such as 35.27",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(field("spec.name", "must not be blank"));
        }
        if self.bidang.is_empty() {
            return Err(field("spec.bidang", "at least one Bidang is required"));
        }
        let mut seen = BTreeSet::new();
        for (i, b) in self.bidang.iter().enumerate() {
            if b.code.is_empty()
                || !b
                    .code
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            {
                return Err(field(
                    format!("spec.bidang[{i}].code"),
                    "use lower-case letters, digits and _",
                ));
            }
            if b.name.trim().is_empty() {
                return Err(field(format!("spec.bidang[{i}].name"), "must not be blank"));
            }
            if !seen.insert(b.code.as_str()) {
                return Err(field(
                    format!("spec.bidang[{i}].code"),
                    format!("{:?} appears twice", b.code),
                ));
            }
        }
        if self.head.subject.trim().is_empty() {
            return Err(field("spec.head.subject", "must not be blank"));
        }
        Ok(())
    }

    /// The office's working calendar over `holidays`.
    pub fn to_calendar(&self, holidays: Arc<HolidayTable>) -> Result<Calendar, FieldError> {
        let mut calendar =
            Calendar::for_zone(&self.time_zone, holidays).map_err(|e| field("spec.timeZone", e))?;
        let days: Vec<_> = self.working_days.iter().map(|d| d.to_jiff()).collect();
        calendar = calendar
            .with_working_week(&days)
            .map_err(|e| field("spec.workingDays", e))?;
        let hours = self.hours.clone().unwrap_or_default();
        let opens =
            aduan_calendar::parse_time(&hours.opens).map_err(|e| field("spec.hours.opens", e))?;
        let closes =
            aduan_calendar::parse_time(&hours.closes).map_err(|e| field("spec.hours.closes", e))?;
        calendar = calendar
            .with_hours(opens, closes)
            .map_err(|e| field("spec.hours", e))?;
        let mut seen = BTreeSet::new();
        for (i, h) in self.hours_by_day.iter().enumerate() {
            let at = |f: &str| format!("spec.hoursByDay[{i}]{f}");
            if !self.working_days.contains(&h.day) {
                return Err(field(at(".day"), "not in workingDays"));
            }
            if !seen.insert(h.day) {
                return Err(field(at(".day"), "given twice"));
            }
            let opens = aduan_calendar::parse_time(&h.opens).map_err(|e| field(at(".opens"), e))?;
            let closes =
                aduan_calendar::parse_time(&h.closes).map_err(|e| field(at(".closes"), e))?;
            calendar = calendar
                .with_hours_on(h.day.to_jiff(), opens, closes)
                .map_err(|e| field(at(""), e))?;
        }
        for (i, c) in self.closures.iter().enumerate() {
            let at = |f: &str| format!("spec.closures[{i}]{f}");
            let from = aduan_calendar::parse_date(&c.from).map_err(|e| field(at(".from"), e))?;
            let to = aduan_calendar::parse_date(&c.to).map_err(|e| field(at(".to"), e))?;
            if to < from {
                return Err(field(at(".to"), format!("{to} is before from ({from})")));
            }
            if c.reason.trim().is_empty() {
                return Err(field(at(".reason"), "must not be blank"));
            }
            let closure = Closure::new(from, to, c.reason.clone()).map_err(|e| field(at(""), e))?;
            calendar = calendar
                .with_closure(closure)
                .map_err(|e| field(at(""), e))?;
        }
        Ok(calendar)
    }
}

impl HolidayCalendarSpec {
    /// The year as the calendar crate counts it, checked.
    pub fn checked_year(&self) -> Result<i16, FieldError> {
        i16::try_from(self.year)
            .ok()
            .filter(|y| (1970..=9999).contains(y))
            .ok_or_else(|| field("spec.year", "must be between 1970 and 9999"))
    }

    /// The days off as a holiday table (every one in `year`, no date given twice with the same
    /// kind).
    pub fn to_table(&self) -> Result<HolidayTable, FieldError> {
        let year = self.checked_year()?;
        if self.source.trim().is_empty() {
            return Err(field("spec.source", "must not be blank"));
        }
        if self.dates.is_empty() {
            return Err(field("spec.dates", "at least one date is required"));
        }
        let mut table = HolidayTable::new();
        let mut seen = BTreeSet::new();
        for (i, d) in self.dates.iter().enumerate() {
            let at = |f: &str| format!("spec.dates[{i}].{f}");
            let date = aduan_calendar::parse_date(&d.date).map_err(|e| field(at("date"), e))?;
            if date.year() != year {
                return Err(field(at("date"), format!("{date} is not in {year}")));
            }
            if d.name.trim().is_empty() {
                return Err(field(at("name"), "must not be blank"));
            }
            if !seen.insert((date, d.kind as u8)) {
                return Err(field(at("date"), format!("{date} is given twice")));
            }
            table.insert(Holiday {
                date,
                name: d.name.trim().to_string(),
                kind: d.kind.into(),
                provisional: self.provisional || d.provisional,
                status: None,
                note: d.note.clone().filter(|n| !n.trim().is_empty()),
            });
        }
        Ok(table)
    }
}

/// `namespace/name` of an object (`name` when it has no namespace), for messages and as a key.
pub fn object_key<K: ResourceExt>(obj: &K) -> String {
    match obj.namespace() {
        Some(ns) => format!("{ns}/{}", obj.name_any()),
        None => obj.name_any(),
    }
}

impl Office {
    /// Validates the spec and builds the office's calendar over `holidays`; errors name the
    /// object and the field.
    pub fn to_calendar(&self, holidays: Arc<HolidayTable>) -> Result<Calendar, Error> {
        let wrap = |e: FieldError| e.in_object(format!("Office {}", object_key(self)));
        self.spec.validate().map_err(wrap)?;
        self.spec.to_calendar(holidays).map_err(wrap)
    }
}

impl HolidayCalendar {
    /// Validates the spec and returns its days off; errors name the object and the field.
    pub fn to_table(&self) -> Result<HolidayTable, Error> {
        self.spec
            .to_table()
            .map_err(|e| e.in_object(format!("HolidayCalendar {}", object_key(self))))
    }

    /// A calendar with the rows of `table` for `year` (for example the shipped file's 2026),
    /// named `holidays-<year>`.
    pub fn from_table(
        table: &HolidayTable,
        year: i16,
        source: impl Into<String>,
    ) -> HolidayCalendar {
        let rows: Vec<&Holiday> = table.iter().filter(|h| h.date.year() == year).collect();
        let provisional = !rows.is_empty() && rows.iter().all(|h| h.provisional);
        let dates = rows
            .iter()
            .map(|h| HolidayDate {
                date: h.date.to_string(),
                name: h.name.clone(),
                kind: h.kind.into(),
                provisional: h.provisional && !provisional,
                note: h.note.clone(),
            })
            .collect();
        HolidayCalendar::new(
            &format!("holidays-{year}"),
            HolidayCalendarSpec {
                year: i32::from(year),
                provisional,
                source: source.into(),
                dates,
            },
        )
    }
}

/// The CRDs of aduan, with the file each is committed as under `helm/aduan/crds/`.
pub fn crds() -> Vec<(&'static str, CustomResourceDefinition)> {
    vec![
        ("aduan.go.id_offices.yaml", Office::crd()),
        ("aduan.go.id_holidaycalendars.yaml", HolidayCalendar::crd()),
    ]
}

/// The first lines of every generated CRD file.
pub const CRD_HEADER: &str = "# Generated from the Rust types in crates/cluster (aduan-cluster) by\n\
# `cargo run -p aduan-cluster --bin aduan-crdgen -- --write helm/aduan/crds`. Do not edit.\n";

/// The YAML of one CRD, as committed (with [`CRD_HEADER`]).
pub fn crd_yaml(crd: &CustomResourceDefinition) -> Result<String, Error> {
    let body = serde_yaml::to_string(crd).map_err(|e| Error::Manifest {
        what: "CRD".into(),
        message: e.to_string(),
    })?;
    Ok(format!("{CRD_HEADER}{body}"))
}
