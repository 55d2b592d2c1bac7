//! The rules of the statistics answers: medians and 90th percentiles from the histograms of
//! working days, the satisfaction summary, and the suppression of small cells in provincial
//! outputs (issue 12).

use std::collections::BTreeMap;

use aduan_ikm as ikm;
use aduan_proto::reporting::v1 as pb;
use aduan_runtime::disclosure::is_small as small;

use super::BUCKETS_PER_DAY;

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

/// The summary of a computed index (not suppressed).
pub fn summary_of(index: &ikm::Index) -> pb::SatisfactionSummary {
    pb::SatisfactionSummary {
        respondents: index.respondents,
        ikm: index.ikm(),
        grade: index.grade.map(|g| format!("{g:?}")).unwrap_or_default(),
        grade_label: index
            .grade
            .map(|g| g.label().to_string())
            .unwrap_or_default(),
        element_averages: index.elements.iter().map(|e| e.average).collect(),
        suppressed: false,
    }
}

/// A table's small cells; when only one cell is small, the next smallest goes too, so that the
/// table's total cannot give the small one away.
fn suppress_table(rows: &mut [pb::Count]) {
    let mut hidden = 0;
    for c in rows.iter_mut() {
        if small(c.count) {
            c.count = 0;
            c.suppressed = true;
            hidden += 1;
        }
    }
    if hidden == 1
        && let Some(c) = rows
            .iter_mut()
            .filter(|c| !c.suppressed && c.count > 0)
            .min_by_key(|c| c.count)
    {
        c.count = 0;
        c.suppressed = true;
    }
}

/// The statistics as a provincial output: every small cell read "<5" (issue 12).
pub fn suppress_small_cells(s: &mut pb::Statistics) {
    s.small_cells_suppressed = true;
    let mut fields: Vec<String> = Vec::new();
    let mut scalar = |name: &str, v: &mut i64| {
        if small(*v) {
            *v = 0;
            fields.push(name.to_string());
        }
    };
    scalar("received", &mut s.received);
    scalar("repeat_complainants", &mut s.repeat_complainants);
    scalar("involving_child", &mut s.involving_child);
    scalar("reports_distributed", &mut s.reports_distributed);
    if let Some(sla) = s.sla.as_mut() {
        // The four outcomes add up to the complaints received: one small outcome alone would
        // be given away by the others, so the next smallest goes with it.
        let mut cells: Vec<(&str, &mut i64)> = vec![
            ("sla.on_time", &mut sla.on_time),
            ("sla.late", &mut sla.late),
            ("sla.open", &mut sla.open),
            ("sla.at_risk", &mut sla.at_risk),
        ];
        let mut hidden = Vec::new();
        for (name, v) in cells.iter_mut() {
            if small(**v) {
                **v = 0;
                hidden.push(name.to_string());
            }
        }
        if hidden.len() == 1
            && let Some((name, v)) = cells
                .iter_mut()
                .filter(|(n, v)| **v > 0 && !hidden.iter().any(|h| h == n))
                .min_by_key(|(_, v)| **v)
        {
            **v = 0;
            hidden.push(name.to_string());
        }
        if hidden.iter().any(|h| h == "sla.on_time" || h == "sla.late") {
            sla.on_time_ratio = 0.0;
            hidden.push("sla.on_time_ratio".into());
        }
        fields.extend(hidden);
    }
    s.suppressed_fields = fields;
    for table in [
        &mut s.by_channel,
        &mut s.by_category,
        &mut s.by_violence_type,
        &mut s.by_status,
        &mut s.by_bidang,
        &mut s.by_office,
    ] {
        suppress_table(table);
    }
    for d in &mut s.durations {
        if small(d.count) {
            d.count = 0;
            d.median_working_days = 0.0;
            d.p90_working_days = 0.0;
            d.suppressed = true;
        }
    }
    if let Some(sat) = s.satisfaction.as_mut()
        && small(sat.respondents)
    {
        *sat = pb::SatisfactionSummary {
            suppressed: true,
            ..Default::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(key: &str, count: i64) -> pb::Count {
        pb::Count {
            key: key.into(),
            count,
            ..Default::default()
        }
    }

    #[test]
    fn small_cells_of_a_provincial_output() {
        let mut s = pb::Statistics {
            received: 12,
            repeat_complainants: 2,
            involving_child: 0,
            reports_distributed: 7,
            by_channel: vec![c("walk_in", 8), c("phone", 3), c("email", 1)],
            // One small cell alone: the next smallest goes too.
            by_category: vec![c("a", 6), c("b", 5), c("c", 1)],
            by_status: vec![c("closed", 12)],
            sla: Some(pb::SlaCompliance {
                on_time: 9,
                late: 0,
                open: 2,
                at_risk: 1,
                on_time_ratio: 1.0,
            }),
            durations: vec![
                pb::StepDuration {
                    step: "S4".into(),
                    count: 4,
                    median_working_days: 0.5,
                    p90_working_days: 1.0,
                    ..Default::default()
                },
                pb::StepDuration {
                    step: "S2-S13".into(),
                    count: 9,
                    median_working_days: 2.5,
                    p90_working_days: 3.5,
                    ..Default::default()
                },
            ],
            satisfaction: Some(pb::SatisfactionSummary {
                respondents: 4,
                ikm: 80.0,
                grade: "B".into(),
                grade_label: "Baik".into(),
                element_averages: vec![3.2; 9],
                suppressed: false,
            }),
            ..Default::default()
        };
        suppress_small_cells(&mut s);
        assert!(s.small_cells_suppressed);
        assert_eq!(
            (s.received, s.repeat_complainants, s.involving_child),
            (12, 0, 0)
        );
        assert_eq!(s.reports_distributed, 7);
        let hidden = |t: &[pb::Count]| -> Vec<(String, i64, bool)> {
            t.iter()
                .map(|c| (c.key.clone(), c.count, c.suppressed))
                .collect()
        };
        assert_eq!(
            hidden(&s.by_channel),
            vec![
                ("walk_in".into(), 8, false),
                ("phone".into(), 0, true),
                ("email".into(), 0, true)
            ]
        );
        assert_eq!(
            hidden(&s.by_category),
            vec![
                ("a".into(), 6, false),
                ("b".into(), 0, true),
                ("c".into(), 0, true)
            ]
        );
        assert_eq!(hidden(&s.by_status), vec![("closed".into(), 12, false)]);
        // SLA: open 2 and at risk 1 are small; on time stays, with its ratio (late is 0).
        let sla = s.sla.unwrap();
        assert_eq!((sla.on_time, sla.late, sla.open, sla.at_risk), (9, 0, 0, 0));
        assert_eq!(sla.on_time_ratio, 1.0);
        assert_eq!(
            s.suppressed_fields,
            vec!["repeat_complainants", "sla.open", "sla.at_risk"]
        );
        assert!(s.durations[0].suppressed && s.durations[0].median_working_days == 0.0);
        assert!(!s.durations[1].suppressed && s.durations[1].median_working_days == 2.5);
        let sat = s.satisfaction.unwrap();
        assert!(sat.suppressed && sat.ikm == 0.0 && sat.grade.is_empty());
        assert!(sat.element_averages.is_empty());

        // One small SLA outcome alone takes the next smallest with it, and the ratio goes when
        // on time or late is hidden.
        let mut s = pb::Statistics {
            received: 20,
            sla: Some(pb::SlaCompliance {
                on_time: 10,
                late: 3,
                open: 7,
                at_risk: 0,
                on_time_ratio: 10.0 / 13.0,
            }),
            ..Default::default()
        };
        suppress_small_cells(&mut s);
        let sla = s.sla.unwrap();
        assert_eq!((sla.on_time, sla.late, sla.open), (10, 0, 0));
        assert_eq!(sla.on_time_ratio, 0.0);
        assert_eq!(
            s.suppressed_fields,
            vec!["sla.late", "sla.open", "sla.on_time_ratio"]
        );
    }

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
}
