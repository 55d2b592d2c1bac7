//! Statistics of an office or the province for a month, quarter or year, read from the
//! pre-aggregated tables (`stat_counts`, `stat_durations`, `stat_surveys`) that the facts'
//! triggers keep in the same transaction as each change (on PostgreSQL through delta rows that
//! the scheduler folds in every few seconds, added at read time until then); and their CSV
//! exports.
//!
//! Medians and 90th percentiles come from histograms in tenths of a working day, so they are
//! exact to 0.1 working day and add up across offices and months (a province's median is the
//! median of all its complaints, not a median of medians).

use std::collections::BTreeMap;

use aduan_feedback::ikm;
use aduan_runtime::auth::Caller;
use aduan_runtime::casefile::Value;
use aduan_runtime::{Error, Result, Violations};
use jiff::civil::Date;

use crate::domain::{self, BUCKETS_PER_DAY, DURATIONS};
use crate::pb;
use crate::service::{Reporting, province_wide};

/// The scope and period of a statistics request, checked.
#[derive(Debug, Clone)]
pub struct Scope {
    /// An office code, or the province code.
    pub code: String,
    /// True for the whole province.
    pub province: bool,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
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

fn period(
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

fn int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Int(i)) => *i,
        Some(Value::Real(f)) => *f as i64,
        Some(Value::Text(t)) => t.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => String::new(),
    }
}

/// The median and the 90th percentile of a histogram of tenths of working days.
pub fn percentiles(hist: &BTreeMap<i64, i64>) -> (i64, f64, f64) {
    let total: i64 = hist.values().filter(|n| **n > 0).sum();
    if total <= 0 {
        return (0, 0.0, 0.0);
    }
    let at = |q: f64| {
        let rank = ((q * total as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (b, n) in hist {
            if *n <= 0 {
                continue;
            }
            seen += n;
            if seen >= rank {
                return *b as f64 / BUCKETS_PER_DAY;
            }
        }
        hist.keys().last().copied().unwrap_or(0) as f64 / BUCKETS_PER_DAY
    };
    (total, at(0.5), at(0.9))
}

impl Reporting {
    /// Checks who asks for what: an office (own, or any of the province for an analyst) or the
    /// province (analysts only).
    pub fn scope(
        &self,
        caller: &Caller,
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
            caller.require_office(self.province())?;
            return Ok(Scope {
                code: self.province().to_string(),
                province: true,
                from,
                to,
            });
        }
        let office = if office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            office_code.to_string()
        };
        if self.refdata().office(&office).is_none() {
            return Err(Error::invalid(
                "office_code",
                "not an office of the province",
            ));
        }
        caller.require_office(&office)?;
        Ok(Scope {
            code: office,
            province: false,
            from,
            to,
        })
    }

    /// The statistics a request asks for.
    pub async fn statistics(
        &self,
        caller: &Caller,
        r: &pb::GetStatisticsRequest,
    ) -> Result<pb::Statistics> {
        let mut v = Violations::new();
        let range = period(&mut v, &r.period);
        let scope = self.scope(caller, &r.office_code, r.province, range, v)?;
        self.statistics_of(&scope).await
    }

    /// The statistics of a checked scope.
    pub async fn statistics_of(&self, scope: &Scope) -> Result<pb::Statistics> {
        let (p0, p1) = scope.periods();
        let (office_cond, office_bind) = if scope.province {
            (
                "office_code LIKE $3",
                Value::Text(format!("{}.%", scope.code)),
            )
        } else {
            ("office_code = $3", Value::Text(scope.code.clone()))
        };
        let binds = [Value::Int(p0), Value::Int(p1), office_bind];
        // The aggregates and the deltas not folded in yet (PostgreSQL; see fold_deltas).
        let filter = format!("period BETWEEN $1 AND $2 AND {office_cond}");
        let store = self.store();
        let counts = store
            .query(
                &format!(
                    "SELECT dim, key, CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT dim, key, n FROM stat_counts WHERE {filter} UNION ALL \
                     SELECT dim, key, n FROM stat_count_deltas WHERE {filter}) s GROUP BY dim, key"
                ),
                &binds,
            )
            .await?;
        let durations = store
            .query(
                &format!(
                    "SELECT step, bucket, CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT step, bucket, n FROM stat_durations WHERE {filter} UNION ALL \
                     SELECT step, bucket, n FROM stat_duration_deltas WHERE {filter}) s \
                     GROUP BY step, bucket"
                ),
                &binds,
            )
            .await?;
        let surveys = store
            .query(
                &format!(
                    "SELECT CAST(SUM(n) AS BIGINT), CAST(SUM(s1) AS BIGINT), CAST(SUM(s2) AS BIGINT), \
                     CAST(SUM(s3) AS BIGINT), CAST(SUM(s4) AS BIGINT), CAST(SUM(s5) AS BIGINT), \
                     CAST(SUM(s6) AS BIGINT), CAST(SUM(s7) AS BIGINT), CAST(SUM(s8) AS BIGINT), \
                     CAST(SUM(s9) AS BIGINT) FROM (\
                     SELECT n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_surveys WHERE {filter} \
                     UNION ALL \
                     SELECT n, s1, s2, s3, s4, s5, s6, s7, s8, s9 FROM stat_survey_deltas \
                     WHERE {filter}) s"
                ),
                &binds,
            )
            .await?;
        let by_office = if scope.province {
            store
                .query(
                    &format!(
                        "SELECT office_code, CAST(SUM(n) AS BIGINT) FROM (\
                         SELECT office_code, n FROM stat_counts WHERE {filter} AND dim = 'total' \
                         UNION ALL SELECT office_code, n FROM stat_count_deltas \
                         WHERE {filter} AND dim = 'total') s GROUP BY office_code"
                    ),
                    &binds,
                )
                .await?
        } else {
            Vec::new()
        };

        let mut dims: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for row in &counts {
            let n = int(row.get(2));
            if n != 0 {
                dims.entry(text(row.first()))
                    .or_default()
                    .insert(text(row.get(1)), n);
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
                })
                .collect();
            out.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            out
        };
        let refdata = self.refdata();
        let directory = self.directory();
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
        for row in &durations {
            *hists
                .entry(text(row.first()))
                .or_default()
                .entry(int(row.get(1)))
                .or_default() += int(row.get(2));
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
                }
            })
            .collect();

        let s = surveys.first();
        let mut totals = ikm::Totals {
            respondents: int(s.and_then(|r| r.first())),
            ..Default::default()
        };
        for (i, sum) in totals.sums.iter_mut().enumerate() {
            *sum = int(s.and_then(|r| r.get(i + 1)));
        }
        let index = ikm::compute(&totals, ikm::Method::Mean);

        let (scope_name, by_office) = if scope.province {
            let mut rows: Vec<pb::Count> = by_office
                .iter()
                .filter(|r| int(r.get(1)) != 0)
                .map(|r| {
                    let key = text(r.first());
                    pb::Count {
                        label: refdata
                            .office(&key)
                            .map(|o| o.name.clone())
                            .unwrap_or_else(|| key.clone()),
                        key,
                        count: int(r.get(1)),
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
        Ok(pb::Statistics {
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
            satisfaction: Some(pb::SatisfactionSummary {
                respondents: index.respondents,
                ikm: index.ikm(),
                grade: index.grade.map(|g| format!("{g:?}")).unwrap_or_default(),
                grade_label: index
                    .grade
                    .map(|g| g.label().to_string())
                    .unwrap_or_default(),
                element_averages: index.elements.iter().map(|e| e.average).collect(),
            }),
            repeat_complainants: flag("repeat"),
            involving_child: flag("child"),
            by_office,
            reports_distributed: flag("distributed"),
        })
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
                .map(|c| vec![c.key.clone(), c.label.clone(), c.count.to_string()])
                .collect::<Vec<_>>(),
        ),
    };
    let sla = s.sla.unwrap_or_default();
    let sat = s.satisfaction.clone().unwrap_or_default();
    let mut files = vec![
        pb::ExportedFile {
            name: name("ringkasan"),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv(
                &["indikator", "nilai"],
                &[
                    vec!["wilayah".into(), s.scope_name.clone()],
                    vec!["periode".into(), period.clone()],
                    vec!["pengaduan_diterima".into(), s.received.to_string()],
                    vec!["tepat_waktu".into(), sla.on_time.to_string()],
                    vec!["terlambat".into(), sla.late.to_string()],
                    vec!["berjalan".into(), sla.open.to_string()],
                    vec!["berisiko_terlambat".into(), sla.at_risk.to_string()],
                    vec![
                        "rasio_tepat_waktu".into(),
                        format!("{:.4}", sla.on_time_ratio),
                    ],
                    vec!["pelapor_berulang".into(), s.repeat_complainants.to_string()],
                    vec!["melibatkan_anak".into(), s.involving_child.to_string()],
                    vec![
                        "laporan_disampaikan".into(),
                        s.reports_distributed.to_string(),
                    ],
                    vec!["responden_skm".into(), sat.respondents.to_string()],
                    vec!["ikm".into(), format!("{:.2}", sat.ikm)],
                    vec!["mutu_pelayanan".into(), sat.grade.clone()],
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
                        vec![
                            d.step.clone(),
                            d.label.clone(),
                            d.count.to_string(),
                            format!("{:.1}", d.median_working_days),
                            format!("{:.1}", d.p90_working_days),
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
    fn percentiles_of_a_histogram() {
        let mut h = BTreeMap::new();
        // 10 complaints: 1.0 wd x5, 2.0 x4, 8.5 x1.
        h.insert(10, 5);
        h.insert(20, 4);
        h.insert(85, 1);
        let (n, median, p90) = percentiles(&h);
        assert_eq!(n, 10);
        assert_eq!(median, 1.0);
        assert_eq!(p90, 2.0);
        h.insert(85, 2);
        let (_, _, p90) = percentiles(&h);
        assert_eq!(p90, 8.5);
        assert_eq!(percentiles(&BTreeMap::new()), (0, 0.0, 0.0));
    }

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
