//! Statistics of an office or the province for a month, quarter or year, read from the
//! pre-aggregated tables (`stat_counts`, `stat_durations`, `stat_surveys`) that the facts'
//! triggers keep in the same transaction as each change (on PostgreSQL through delta rows that
//! the scheduler folds in every few seconds, added at read time until then); and their CSV
//! exports.
//!
//! Medians and 90th percentiles come from histograms in tenths of a working day, so they are
//! exact to 0.1 working day and add up across offices and months (a province's median is the
//! median of all its complaints, not a median of medians).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aduan_ikm as ikm;
use aduan_refdata::RefData;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::disclosure::is_small as small;
use aduan_runtime::{Error, Result, Violations};
use jiff::civil::Date;

use crate::directory::Directory;
use crate::domain::statistics::{percentiles, summary_of, suppress_small_cells};
use crate::domain::{self, DURATIONS};
use crate::pb;
use crate::store::{Offices, Store};

/// True when the caller may read statistics of the whole province.
pub fn province_wide(caller: &Caller) -> bool {
    caller.acts_as(Role::ProvincialAnalyst)
}

/// The scope and period of a statistics request, checked.
#[derive(Debug, Clone)]
pub struct Scope {
    /// An office code, or the province code.
    pub code: String,
    /// True for the whole province.
    pub province: bool,
    /// A provincial output (the province, or an office seen by a provincial analyst): small
    /// cells read "<5" (issue 12).
    pub suppress: bool,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

/// A computed statistics answer and when it was computed.
type Cached = Option<(std::time::Instant, pb::Statistics)>;

/// Province-wide statistics by scope and period: one slot per key, each behind its own async
/// lock so that concurrent readers of one key wait for one computation.
pub(crate) struct StatsCache {
    pub(crate) lifetime: std::time::Duration,
    slots: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Cached>>>>,
}

impl StatsCache {
    /// At most this many keys (periods × kinds of reader); beyond it the slots start over.
    const MAX_KEYS: usize = 256;

    pub(crate) fn new(lifetime: std::time::Duration) -> Self {
        Self {
            lifetime,
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn slot(&self, key: &str) -> Arc<tokio::sync::Mutex<Cached>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= Self::MAX_KEYS && !slots.contains_key(key) {
            slots.clear();
        }
        slots.entry(key.to_string()).or_default().clone()
    }
}

impl Scope {
    /// yyyymm of the first and the last month.
    pub fn periods(&self) -> (i64, i64) {
        let p = |d: Date| i64::from(d.year()) * 100 + i64::from(d.month());
        (p(self.from), p(self.to))
    }

    /// The period as files name it: "2026-11", "2026-Q4" or "2026".
    pub fn label(&self) -> String {
        label(self.from, self.to)
    }
}

/// "2026-11", "2026-Q4" or "2026" for a month, a quarter or a year.
pub fn label(from: Date, to: Date) -> String {
    let months = (i32::from(to.year()) - i32::from(from.year())) * 12 + i32::from(to.month())
        - i32::from(from.month())
        + 1;
    match months {
        1 => format!("{:04}-{:02}", from.year(), from.month()),
        3 => format!("{:04}-Q{}", from.year(), (from.month() - 1) / 3 + 1),
        _ => format!("{:04}", from.year()),
    }
}

fn year_ok(v: &mut Violations, field: &str, y: i32) -> Option<i16> {
    if (2000..=2100).contains(&y) {
        i16::try_from(y).ok()
    } else {
        v.add(field, "a year between 2000 and 2100");
        None
    }
}

/// The first and last day of a month.
pub fn month_range(v: &mut Violations, field: &str, m: &pb::Month) -> Option<(Date, Date)> {
    let y = year_ok(v, &format!("{field}.year"), m.year);
    if !(1..=12).contains(&m.month) {
        v.add(format!("{field}.month"), "between 1 and 12");
        return None;
    }
    let first = Date::new(y?, m.month as i8, 1).ok()?;
    Some((first, first.last_of_month()))
}

/// The first and last day of a statistics request's period.
pub fn period(
    v: &mut Violations,
    p: &Option<pb::get_statistics_request::Period>,
) -> Option<(Date, Date)> {
    use pb::get_statistics_request::Period;
    match p {
        None => {
            v.add("period", "required: month, quarter or year");
            None
        }
        Some(Period::Month(m)) => month_range(v, "month", m),
        Some(Period::Quarter(q)) => {
            let y = year_ok(v, "quarter.year", q.year);
            if !(1..=4).contains(&q.quarter) {
                v.add("quarter.quarter", "between 1 and 4");
                return None;
            }
            let y = y?;
            let first = Date::new(y, (q.quarter as i8 - 1) * 3 + 1, 1).ok()?;
            let last = Date::new(y, q.quarter as i8 * 3, 1).ok()?.last_of_month();
            Some((first, last))
        }
        Some(Period::Year(y)) => {
            let y = year_ok(v, "year", *y)?;
            Some((Date::new(y, 1, 1).ok()?, Date::new(y, 12, 31).ok()?))
        }
    }
}

/// Checks who asks for what: an office of `refdata` (own, or any of the province for an
/// analyst) or the province `province_code` (analysts only).
pub fn scope(
    caller: &Caller,
    (refdata, province_code): (&RefData, &str),
    office_code: &str,
    province: bool,
    range: Option<(Date, Date)>,
    mut v: Violations,
) -> Result<Scope> {
    if province && !office_code.is_empty() {
        v.add("office_code", "empty when the province is asked for");
    }
    v.into_result()?;
    let (from, to) = range.ok_or_else(|| Error::invalid("period", "required"))?;
    if province {
        if !province_wide(caller) {
            return Err(Error::PermissionDenied(
                "the province's statistics are for provincial analysts".into(),
            ));
        }
        caller.require_office(province_code)?;
        return Ok(Scope {
            code: province_code.to_string(),
            province: true,
            suppress: true,
            from,
            to,
        });
    }
    let office = if office_code.is_empty() {
        caller.principal.office.clone()
    } else {
        office_code.to_string()
    };
    if refdata.office(&office).is_none() {
        return Err(Error::invalid(
            "office_code",
            "not an office of the province",
        ));
    }
    caller.require_office(&office)?;
    // An office's own staff see its exact figures; a provincial analyst sees the office as a
    // provincial output, with its small cells suppressed.
    let suppress = province_wide(caller) || caller.principal.office != office;
    Ok(Scope {
        code: office,
        province: false,
        suppress,
        from,
        to,
    })
}

impl Scope {
    /// The offices the scope covers.
    pub fn offices(&self) -> Offices {
        if self.province {
            Offices::Province(self.code.clone())
        } else {
            Offices::One(self.code.clone())
        }
    }
}

/// The statistics of a checked scope, with the IKM of each of `months` months up to its last
/// (none when 0).
pub async fn computed(
    store: &Store,
    names: (&RefData, &Directory),
    scope: &Scope,
    months: i32,
) -> Result<pb::Statistics> {
    let mut stats = statistics_of(store, names, scope).await?;
    if months > 0 {
        stats.satisfaction_by_month = satisfaction_by_month(store, scope, months).await?;
    }
    Ok(stats)
}

/// The IKM of each of `months` months up to the scope's last month, oldest first, from the
/// survey aggregates (one query); small cells suppressed as the scope says.
pub async fn satisfaction_by_month(
    store: &Store,
    scope: &Scope,
    months: i32,
) -> Result<Vec<pb::MonthlySatisfaction>> {
    let last = i32::from(scope.to.year()) * 12 + i32::from(scope.to.month()) - 1;
    let list: Vec<(i32, i32)> = (last - months + 1..=last)
        .map(|m| (m.div_euclid(12), m.rem_euclid(12) + 1))
        .collect();
    let key = |(y, m): (i32, i32)| i64::from(y) * 100 + i64::from(m);
    let rows = store
        .survey_totals_by_month(&scope.offices(), key(list[0]), key(list[list.len() - 1]))
        .await?;
    Ok(list
        .into_iter()
        .map(|(y, m)| {
            let totals = rows
                .iter()
                .find(|r| r.period == key((y, m)))
                .map(|r| r.totals)
                .unwrap_or_default();
            let index = ikm::compute(&totals, ikm::Method::Mean);
            let satisfaction = if scope.suppress && small(index.respondents) {
                pb::SatisfactionSummary {
                    suppressed: true,
                    ..Default::default()
                }
            } else {
                summary_of(&index)
            };
            pb::MonthlySatisfaction {
                month: Some(pb::Month { year: y, month: m }),
                satisfaction: Some(satisfaction),
            }
        })
        .collect())
}

/// The statistics of a checked scope.
pub async fn statistics_of(
    store: &Store,
    (refdata, directory): (&RefData, &Directory),
    scope: &Scope,
) -> Result<pb::Statistics> {
    let (p0, p1) = scope.periods();
    let offices = scope.offices();
    let counts = store.counts(&offices, p0, p1).await?;
    let durations = store.durations(&offices, p0, p1).await?;
    let totals = store.survey_totals(&offices, p0, p1).await?;
    let by_office = if scope.province {
        store.received_by_office(&offices, p0, p1).await?
    } else {
        Vec::new()
    };

    let mut dims: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in counts {
        if row.n != 0 {
            dims.entry(row.dim).or_default().insert(row.key, row.n);
        }
    }
    let dim = |name: &str| dims.get(name).cloned().unwrap_or_default();
    let list = |name: &str, label: &dyn Fn(&str) -> String, skip_empty: bool| {
        let mut out: Vec<pb::Count> = dim(name)
            .into_iter()
            .filter(|(k, _)| !(skip_empty && k.is_empty()))
            .map(|(key, count)| pb::Count {
                label: label(&key),
                key,
                count,
                suppressed: false,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        out
    };
    let category_label = |k: &str| {
        if k.is_empty() {
            "Belum ditentukan".to_string()
        } else {
            refdata
                .category(k)
                .map(|c| c.label.clone())
                .unwrap_or_else(|| k.to_string())
        }
    };
    let bidang_label = |k: &str| {
        if k.is_empty() {
            "Belum didisposisikan".to_string()
        } else {
            refdata
                .bidang(k)
                .map(|b| b.name.clone())
                .unwrap_or_else(|| k.to_string())
        }
    };
    let violence_label = |k: &str| {
        directory
            .violence_label(k)
            .map(str::to_string)
            .unwrap_or_else(|| k.to_string())
    };
    let flag = |name: &str| dim(name).get("1").copied().unwrap_or(0);
    let sla = dim("sla");
    let get = |k: &str| sla.get(k).copied().unwrap_or(0);
    let (on_time, late) = (get("on_time"), get("late"));

    let mut hists: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    for row in durations {
        *hists
            .entry(row.step)
            .or_default()
            .entry(row.bucket)
            .or_default() += row.n;
    }
    let durations = DURATIONS
        .iter()
        .map(|(key, _, _, label)| {
            let (count, median, p90) = hists.get(*key).map(percentiles).unwrap_or_default();
            pb::StepDuration {
                step: key.to_string(),
                label: label.to_string(),
                count,
                median_working_days: median,
                p90_working_days: p90,
                suppressed: false,
            }
        })
        .collect();

    let index = ikm::compute(&totals, ikm::Method::Mean);

    let (scope_name, by_office) = if scope.province {
        let mut rows: Vec<pb::Count> = by_office
            .into_iter()
            .filter(|r| r.n != 0)
            .map(|r| {
                let key = r.office_code;
                pb::Count {
                    label: refdata
                        .office(&key)
                        .map(|o| o.name.clone())
                        .unwrap_or_else(|| key.clone()),
                    key,
                    count: r.n,
                    suppressed: false,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        (
            format!(
                "Provinsi {}",
                directory.province_name(&scope.code).unwrap_or(&scope.code)
            ),
            rows,
        )
    } else {
        (
            refdata
                .office(&scope.code)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            Vec::new(),
        )
    };
    let mut stats = pb::Statistics {
        scope_code: scope.code.clone(),
        scope_name,
        from: Some(aduan_runtime::time::date_to_proto(scope.from)),
        to: Some(aduan_runtime::time::date_to_proto(scope.to)),
        received: dim("total").get("all").copied().unwrap_or(0),
        by_channel: list("channel", &|k| domain::channel_label(k).to_string(), false),
        by_category: list("category", &category_label, false),
        by_violence_type: list("violence_type", &violence_label, true),
        by_status: list("status", &|k| domain::status_label(k).to_string(), false),
        by_bidang: list("bidang", &bidang_label, false),
        sla: Some(pb::SlaCompliance {
            on_time,
            late,
            open: get("open"),
            at_risk: get("at_risk"),
            on_time_ratio: if on_time + late > 0 {
                on_time as f64 / (on_time + late) as f64
            } else {
                0.0
            },
        }),
        durations,
        satisfaction: Some(summary_of(&index)),
        repeat_complainants: flag("repeat"),
        involving_child: flag("child"),
        by_office,
        reports_distributed: flag("distributed"),
        suppressed_fields: Vec::new(),
        small_cells_suppressed: false,
        satisfaction_by_month: Vec::new(),
    };
    if scope.suppress {
        suppress_small_cells(&mut stats);
    }
    Ok(stats)
}

/// A count as printed: "<5" for a suppressed small cell.
pub fn shown(count: i64, suppressed: bool) -> String {
    if suppressed {
        "<5".into()
    } else {
        count.to_string()
    }
}

/// One CSV field, quoted when it has to be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let line: Vec<String> = r.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The statistics as CSV files, one per table, named `aduan-<scope>-<period>-<table>.csv`.
pub fn export(s: &pb::Statistics) -> pb::ExportStatisticsResponse {
    let (from, to) = (
        s.from
            .as_ref()
            .and_then(aduan_runtime::time::date_from_proto),
        s.to.as_ref().and_then(aduan_runtime::time::date_from_proto),
    );
    let period = match (from, to) {
        (Some(a), Some(b)) => label(a, b),
        _ => "periode".into(),
    };
    let name = |t: &str| format!("aduan-{}-{}-{t}.csv", s.scope_code, period);
    let counts = |t: &str, rows: &[pb::Count]| pb::ExportedFile {
        name: name(t),
        content_type: "text/csv; charset=utf-8".into(),
        content: csv(
            &["kode", "uraian", "jumlah"],
            &rows
                .iter()
                .map(|c| vec![c.key.clone(), c.label.clone(), shown(c.count, c.suppressed)])
                .collect::<Vec<_>>(),
        ),
    };
    let sla = s.sla.unwrap_or_default();
    let sat = s.satisfaction.clone().unwrap_or_default();
    let hidden = |f: &str| s.suppressed_fields.iter().any(|x| x == f);
    let scalar = |f: &str, v: i64| shown(v, hidden(f));
    let mut files = vec![
        pb::ExportedFile {
            name: name("ringkasan"),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv(
                &["indikator", "nilai"],
                &[
                    vec!["wilayah".into(), s.scope_name.clone()],
                    vec!["periode".into(), period.clone()],
                    vec!["pengaduan_diterima".into(), scalar("received", s.received)],
                    vec!["tepat_waktu".into(), scalar("sla.on_time", sla.on_time)],
                    vec!["terlambat".into(), scalar("sla.late", sla.late)],
                    vec!["berjalan".into(), scalar("sla.open", sla.open)],
                    vec![
                        "berisiko_terlambat".into(),
                        scalar("sla.at_risk", sla.at_risk),
                    ],
                    vec![
                        "rasio_tepat_waktu".into(),
                        if hidden("sla.on_time_ratio") {
                            "<5".into()
                        } else {
                            format!("{:.4}", sla.on_time_ratio)
                        },
                    ],
                    vec![
                        "pelapor_berulang".into(),
                        scalar("repeat_complainants", s.repeat_complainants),
                    ],
                    vec![
                        "melibatkan_anak".into(),
                        scalar("involving_child", s.involving_child),
                    ],
                    vec![
                        "laporan_disampaikan".into(),
                        scalar("reports_distributed", s.reports_distributed),
                    ],
                    vec![
                        "responden_skm".into(),
                        shown(sat.respondents, sat.suppressed),
                    ],
                    vec![
                        "ikm".into(),
                        if sat.suppressed {
                            "<5".into()
                        } else {
                            format!("{:.2}", sat.ikm)
                        },
                    ],
                    vec![
                        "mutu_pelayanan".into(),
                        if sat.suppressed {
                            "<5".into()
                        } else {
                            sat.grade.clone()
                        },
                    ],
                ],
            ),
        },
        counts("kanal", &s.by_channel),
        counts("kategori", &s.by_category),
        counts("jenis-kekerasan", &s.by_violence_type),
        counts("status", &s.by_status),
        counts("bidang", &s.by_bidang),
        pb::ExportedFile {
            name: name("durasi"),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv(
                &[
                    "langkah",
                    "uraian",
                    "jumlah",
                    "median_hari_kerja",
                    "p90_hari_kerja",
                ],
                &s.durations
                    .iter()
                    .map(|d| {
                        let (median, p90) = if d.suppressed {
                            ("<5".to_string(), "<5".to_string())
                        } else {
                            (
                                format!("{:.1}", d.median_working_days),
                                format!("{:.1}", d.p90_working_days),
                            )
                        };
                        vec![
                            d.step.clone(),
                            d.label.clone(),
                            shown(d.count, d.suppressed),
                            median,
                            p90,
                        ]
                    })
                    .collect::<Vec<_>>(),
            ),
        },
    ];
    if !s.by_office.is_empty() {
        files.push(counts("kantor", &s.by_office));
    }
    pb::ExportStatisticsResponse { files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let out = csv(&["a", "b"], &[vec!["x,y".into(), "say \"hi\"".into()]]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n"
        );
    }

    #[test]
    fn period_labels() {
        let d = |y, m, day| Date::new(y, m, day).unwrap();
        assert_eq!(label(d(2026, 11, 1), d(2026, 11, 30)), "2026-11");
        assert_eq!(label(d(2026, 10, 1), d(2026, 12, 31)), "2026-Q4");
        assert_eq!(label(d(2026, 1, 1), d(2026, 12, 31)), "2026");
    }
}
