//! The office directory: every office's calendar, Bidang and Head by office code, cheap to read
//! from any task, changed in place while the process runs.
//!
//! Two sources feed it, in layers:
//!
//! 1. **Files** (the embedded default): the offices of the province from the reference data
//!    (`data/offices/`, or `reference_data_dir`), each with the default working week, the shared
//!    Bidang list and no Head; and the holidays shipped with the calendar crate.
//!    [`OfficeDirectory::load_manifests`] also reads `Office` / `HolidayCalendar` YAML files, the
//!    same documents that are applied in a cluster.
//! 2. **Resources** (cluster mode): [`watch`] follows `Office` and `HolidayCalendar` objects through
//!    the Kubernetes API. An `Office` replaces the file entry with the same code and a deleted one
//!    brings the file entry back (or removes the office when the files have none); a
//!    `HolidayCalendar` replaces, for its year, the shipped holidays, and a deleted one brings them
//!    back.
//!
//! An object that does not validate is refused with a warning and listed by
//! [`OfficeDirectory::problems`]; the last valid version of it stays in force.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use aduan_calendar::{Calendar, HolidayTable};
use futures_util::StreamExt;
use kube::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use serde::Deserialize;

use crate::crd::{HolidayCalendar, Office, object_key};
use crate::error::{Error, Result};

/// One Bidang of an office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidangEntry {
    /// Code, for example `rehsos`.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Where an office's entry comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The reference-data files.
    Files,
    /// An `Office` object (`namespace/name`), or a manifest file holding one.
    Resource(String),
}

/// An office as the services see it.
#[derive(Debug, Clone)]
pub struct OfficeEntry {
    /// Kemendagri code, for example `35.27`.
    pub code: String,
    /// Name.
    pub name: String,
    /// The office's Bidang.
    pub bidang: Vec<BidangEntry>,
    /// OIDC subject of the Kepala Dinas (`None` when the files do not say).
    pub head_subject: Option<String>,
    /// The working calendar (time zone, week, hours, closures, the directory's holidays).
    pub calendar: Calendar,
    /// Where it comes from.
    pub origin: Origin,
}

/// What readers see: one consistent state.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with every change.
    pub version: u64,
    /// The holidays in force (files, with the years of `HolidayCalendar`s replaced).
    pub holidays: Arc<HolidayTable>,
    /// The offices by code.
    pub offices: HashMap<String, Arc<OfficeEntry>>,
}

#[derive(Debug, Default)]
struct Sources {
    file_holidays: HolidayTable,
    file_offices: BTreeMap<String, OfficeEntry>,
    /// `namespace/name` -> (year, table) of each valid HolidayCalendar.
    calendars: BTreeMap<String, (i16, HolidayTable)>,
    /// `namespace/name` -> the Office object last accepted.
    offices: BTreeMap<String, Office>,
    /// `Kind namespace/name` -> why the object (or its latest version) was refused.
    problems: BTreeMap<String, String>,
    /// Valid objects that are not in force because another object gives the same office code or
    /// year (recomputed at every change).
    conflicts: BTreeMap<String, String>,
}

/// The shared registry of office calendars. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct OfficeDirectory {
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
    sources: Arc<Mutex<Sources>>,
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl OfficeDirectory {
    /// A directory with the given file data (no office resources yet).
    pub fn new(file_holidays: HolidayTable, file_offices: Vec<OfficeEntry>) -> OfficeDirectory {
        let dir = OfficeDirectory::default();
        {
            let mut s = dir.lock_sources();
            s.file_holidays = file_holidays;
            s.file_offices = file_offices
                .into_iter()
                .map(|o| (o.code.clone(), o))
                .collect();
            dir.rebuild(&mut s);
        }
        dir
    }

    /// The embedded default: the offices of `province` from the reference data (`dir`, or the
    /// copy compiled into the binary) and the shipped holidays.
    pub fn from_files(province: &str, dir: Option<&std::path::Path>) -> Result<OfficeDirectory> {
        let data = aduan_refdata::RefData::load(province, dir).map_err(|e| Error::Manifest {
            what: "reference data".into(),
            message: e.to_string(),
        })?;
        let holidays = HolidayTable::shipped().map_err(|e| Error::Manifest {
            what: "shipped holidays".into(),
            message: e.to_string(),
        })?;
        Ok(OfficeDirectory::from_refdata(&data, holidays))
    }

    /// The offices of `data` (their time zone, the default working week and hours, the shared
    /// Bidang list, no Head) over `holidays` (for example the shipped ones with a service's own
    /// holiday files applied).
    pub fn from_refdata(data: &aduan_refdata::RefData, holidays: HolidayTable) -> OfficeDirectory {
        let shared = Arc::new(holidays.clone());
        let bidang: Vec<BidangEntry> = data
            .bidang_list()
            .iter()
            .map(|b| BidangEntry {
                code: b.code.clone(),
                name: b.name.clone(),
            })
            .collect();
        let offices = data
            .offices()
            .into_iter()
            .map(|o| OfficeEntry {
                code: o.code.clone(),
                name: o.name.clone(),
                bidang: bidang.clone(),
                head_subject: None,
                calendar: Calendar::new(o.time_zone.clone(), shared.clone()),
                origin: Origin::Files,
            })
            .collect();
        OfficeDirectory::new(holidays, offices)
    }

    /// The state in force now (one read lock, one reference count).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The office with this code.
    pub fn office(&self, code: &str) -> Option<Arc<OfficeEntry>> {
        self.snapshot().offices.get(code).cloned()
    }

    /// The working calendar of the office with this code.
    pub fn calendar(&self, code: &str) -> Option<Calendar> {
        self.office(code).map(|o| o.calendar.clone())
    }

    /// The office codes, in order.
    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.snapshot().offices.keys().cloned().collect();
        codes.sort();
        codes
    }

    /// The holidays in force.
    pub fn holidays(&self) -> Arc<HolidayTable> {
        self.snapshot().holidays.clone()
    }

    /// Increases with every change; [`OfficeDirectory::subscribe`] is told of each.
    pub fn version(&self) -> u64 {
        self.snapshot().version
    }

    /// A receiver that sees every new version.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Objects refused, with the reason (`Kind namespace/name` -> message).
    pub fn problems(&self) -> BTreeMap<String, String> {
        let s = self.lock_sources();
        let mut all = s.conflicts.clone();
        all.extend(s.problems.clone());
        all
    }

    /// Applies an added or changed `Office`. A refused one leaves its last valid version in force.
    pub fn apply_office(&self, office: &Office) -> Result<()> {
        let mut s = self.lock_sources();
        let result = self.accept_office(&mut s, office);
        self.rebuild(&mut s);
        result
    }

    /// Forgets a deleted `Office`.
    pub fn delete_office(&self, office: &Office) {
        let key = object_key(office);
        let mut s = self.lock_sources();
        s.offices.remove(&key);
        s.problems.remove(&format!("Office {key}"));
        self.rebuild(&mut s);
    }

    /// Replaces every `Office` by this complete list (a watch's initial or renewed listing).
    pub fn replace_offices(&self, offices: &[Office]) {
        let mut s = self.lock_sources();
        s.offices.clear();
        s.problems.retain(|k, _| !k.starts_with("Office "));
        for office in offices {
            // Refusals are recorded in `problems` and logged by accept_office.
            let _ = self.accept_office(&mut s, office);
        }
        self.rebuild(&mut s);
    }

    /// Applies an added or changed `HolidayCalendar`. A refused one leaves its last valid version
    /// in force.
    pub fn apply_holiday_calendar(&self, calendar: &HolidayCalendar) -> Result<()> {
        let mut s = self.lock_sources();
        let result = accept_calendar(&mut s, calendar);
        self.rebuild(&mut s);
        result
    }

    /// Forgets a deleted `HolidayCalendar`: its year reverts to the shipped holidays.
    pub fn delete_holiday_calendar(&self, calendar: &HolidayCalendar) {
        let key = object_key(calendar);
        let mut s = self.lock_sources();
        s.calendars.remove(&key);
        s.problems.remove(&format!("HolidayCalendar {key}"));
        self.rebuild(&mut s);
    }

    /// Replaces every `HolidayCalendar` by this complete list.
    pub fn replace_holiday_calendars(&self, calendars: &[HolidayCalendar]) {
        let mut s = self.lock_sources();
        s.calendars.clear();
        s.problems.retain(|k, _| !k.starts_with("HolidayCalendar "));
        for calendar in calendars {
            let _ = accept_calendar(&mut s, calendar);
        }
        self.rebuild(&mut s);
    }

    /// Reads `Office` and `HolidayCalendar` documents from YAML text (several documents separated
    /// by `---`; other kinds are refused) and applies them. Returns how many were applied.
    pub fn load_manifests(&self, what: &str, text: &str) -> Result<usize> {
        let mut offices = Vec::new();
        let mut calendars = Vec::new();
        for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let where_ = format!("{what}, document {}", i + 1);
            let bad = |message: String| Error::Manifest {
                what: where_.clone(),
                message,
            };
            let value = serde_yaml::Value::deserialize(doc).map_err(|e| bad(e.to_string()))?;
            if value.is_null() {
                continue;
            }
            let kind = value
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            let api = value
                .get("apiVersion")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            if api != format!("{}/v1", crate::crd::GROUP) {
                return Err(bad(format!(
                    "apiVersion {api:?}: expected {}/v1",
                    crate::crd::GROUP
                )));
            }
            match kind.as_str() {
                "Office" => offices
                    .push(serde_yaml::from_value::<Office>(value).map_err(|e| bad(e.to_string()))?),
                "HolidayCalendar" => calendars.push(
                    serde_yaml::from_value::<HolidayCalendar>(value)
                        .map_err(|e| bad(e.to_string()))?,
                ),
                other => {
                    return Err(bad(format!(
                        "kind {other:?}: expected Office or HolidayCalendar"
                    )));
                }
            }
        }
        // Validate everything before changing anything.
        for c in &calendars {
            c.to_table()?;
        }
        for o in &offices {
            o.to_calendar(Arc::new(HolidayTable::new()))?;
        }
        for c in &calendars {
            self.apply_holiday_calendar(c)?;
        }
        for o in &offices {
            self.apply_office(o)?;
        }
        Ok(offices.len() + calendars.len())
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, Sources> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn accept_office(&self, s: &mut Sources, office: &Office) -> Result<()> {
        let key = object_key(office);
        match office.to_calendar(Arc::new(HolidayTable::new())) {
            Ok(_) => {
                s.problems.remove(&format!("Office {key}"));
                s.offices.insert(key, office.clone());
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "Office refused; its last valid version stays in force");
                s.problems.insert(format!("Office {key}"), e.to_string());
                Err(e)
            }
        }
    }

    /// Recomputes the snapshot from the sources and publishes it.
    fn rebuild(&self, s: &mut Sources) {
        let mut holidays = s.file_holidays.clone();
        let mut conflicts = BTreeMap::new();
        // Calendars in name order: for a year given by two objects the first name wins.
        let mut years: BTreeMap<i16, &str> = BTreeMap::new();
        for (key, (year, table)) in &s.calendars {
            if let Some(first) = years.get(year) {
                conflicts.insert(
                    format!("HolidayCalendar {key}"),
                    format!("year {year} is already given by HolidayCalendar {first}; ignored"),
                );
                continue;
            }
            years.insert(*year, key);
            holidays.replace_years(table.clone());
        }
        let holidays = Arc::new(holidays);

        let mut offices: HashMap<String, Arc<OfficeEntry>> = s
            .file_offices
            .values()
            .map(|o| {
                let mut o = o.clone();
                o.calendar = o.calendar.with_holidays(holidays.clone());
                (o.code.clone(), Arc::new(o))
            })
            .collect();
        let mut from_resource: HashMap<String, String> = HashMap::new();
        for (key, office) in &s.offices {
            let code = &office.spec.code;
            if let Some(first) = from_resource.get(code) {
                conflicts.insert(
                    format!("Office {key}"),
                    format!("code {code} is already given by Office {first}; ignored"),
                );
                continue;
            }
            // Accepted objects were validated; a failure here cannot happen, but is not fatal.
            match office.to_calendar(holidays.clone()) {
                Ok(calendar) => {
                    from_resource.insert(code.clone(), key.clone());
                    offices.insert(
                        code.clone(),
                        Arc::new(OfficeEntry {
                            code: code.clone(),
                            name: office.spec.name.clone(),
                            bidang: office
                                .spec
                                .bidang
                                .iter()
                                .map(|b| BidangEntry {
                                    code: b.code.clone(),
                                    name: b.name.clone(),
                                })
                                .collect(),
                            head_subject: Some(office.spec.head.subject.clone()),
                            calendar,
                            origin: Origin::Resource(key.clone()),
                        }),
                    );
                }
                Err(e) => {
                    conflicts.insert(format!("Office {key}"), e.to_string());
                }
            }
        }
        for (key, message) in &conflicts {
            if s.conflicts.get(key) != Some(message) {
                tracing::warn!(object = %key, %message, "object not applied");
            }
        }
        s.conflicts = conflicts;

        let mut current = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let version = current.version + 1;
        *current = Arc::new(Snapshot {
            version,
            holidays,
            offices,
        });
        drop(current);
        self.changes.send_replace(version);
    }
}

fn accept_calendar(s: &mut Sources, calendar: &HolidayCalendar) -> Result<()> {
    let key = object_key(calendar);
    match calendar.to_table() {
        Ok(table) => {
            s.problems.remove(&format!("HolidayCalendar {key}"));
            let year = calendar.spec.checked_year().unwrap_or_default();
            s.calendars.insert(key, (year, table));
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %e, "HolidayCalendar refused; its last valid version stays in force");
            s.problems
                .insert(format!("HolidayCalendar {key}"), e.to_string());
            Err(e)
        }
    }
}

/// Follows `Office` objects through `api` and applies every change to `directory`, until the
/// future is dropped. Errors of the watch are logged and retried with backoff.
pub async fn watch_offices(api: Api<Office>, directory: OfficeDirectory) {
    let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut listing: Vec<Office> = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listing.clear(),
            Ok(Event::InitApply(o)) => listing.push(o),
            Ok(Event::InitDone) => {
                directory.replace_offices(&listing);
                listing.clear();
                tracing::info!(offices = directory.codes().len(), "office directory synced");
            }
            Ok(Event::Apply(o)) => {
                if directory.apply_office(&o).is_ok() {
                    tracing::info!(office = %o.spec.code, "office applied");
                }
            }
            Ok(Event::Delete(o)) => {
                directory.delete_office(&o);
                tracing::info!(office = %o.spec.code, "office deleted");
            }
            Err(e) => tracing::warn!(error = %e, "watching Office objects"),
        }
    }
}

/// Follows `HolidayCalendar` objects through `api` and applies every change to `directory`,
/// until the future is dropped.
pub async fn watch_holiday_calendars(api: Api<HolidayCalendar>, directory: OfficeDirectory) {
    let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut listing: Vec<HolidayCalendar> = Vec::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listing.clear(),
            Ok(Event::InitApply(c)) => listing.push(c),
            Ok(Event::InitDone) => {
                directory.replace_holiday_calendars(&listing);
                listing.clear();
            }
            Ok(Event::Apply(c)) => {
                if directory.apply_holiday_calendar(&c).is_ok() {
                    tracing::info!(year = c.spec.year, "holiday calendar applied");
                }
            }
            Ok(Event::Delete(c)) => {
                directory.delete_holiday_calendar(&c);
                tracing::info!(year = c.spec.year, "holiday calendar deleted");
            }
            Err(e) => tracing::warn!(error = %e, "watching HolidayCalendar objects"),
        }
    }
}

/// Follows both kinds in `namespace` (cluster mode), until the future is dropped (spawn it:
/// `tokio::spawn(watch(client, namespace, directory.clone()))`).
pub async fn watch(client: kube::Client, namespace: String, directory: OfficeDirectory) {
    futures_util::future::join(
        watch_offices(
            Api::namespaced(client.clone(), &namespace),
            directory.clone(),
        ),
        watch_holiday_calendars(Api::namespaced(client, &namespace), directory),
    )
    .await;
}

impl aduan_refdata::calendars::CalendarSource for OfficeDirectory {
    fn calendar(&self, office: &str) -> Option<Calendar> {
        OfficeDirectory::calendar(self, office)
    }
}
