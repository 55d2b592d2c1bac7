//! Dashboards (issue 15): the office's figures for the Head, the complaints officers and the
//! reporting officer, and the province's for the provincial analyst, from reporting's
//! pre-aggregated statistics (`GetStatistics`); no personal data. Charts are drawn here as SVG
//! (no chart library, no CDN) beside the table they show; the same figures download as CSV
//! (`ExportStatistics`) and, for a month, as the monthly report's PDF (`GetDocument`). Provincial
//! outputs read "<5" for small cells, as reporting sends them.
//!
//! Paths: `/staf/dasbor[?periode=bulan|triwulan|tahun&tahun=&bulan=&triwulan=&kantor=]`,
//! `/staf/dasbor/csv?…&berkas=<n>`, `/staf/dasbor/laporan-bulanan.pdf?…`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use aduan_proto::reporting::v1 as rpb;
use aduan_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use aduan_runtime::auth::Role;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tonic::Code;

use crate::case::staff;
use crate::followup::document;
use crate::public::{forbidden, message, unavailable};
use crate::staff::{bearer, roles_of};
use crate::store::SessionRow;
use crate::views::{self, Page};
use crate::{Console, i18n};

/// Statuses at which a complaint has left the office's hands.
const DONE: [&str; 5] = [
    "closed",
    "rejected",
    "transferred",
    "referred_out",
    "duplicate",
];

/// The statistics' CSV files by table, with the link's words (reporting's ExportStatistics).
pub(crate) const CSV_TABLES: [(&str, &str); 8] = [
    ("ringkasan", "dasbor.csv_ringkasan"),
    ("kanal", "dasbor.by_channel"),
    ("kategori", "dasbor.by_category"),
    ("bidang", "dasbor.by_bidang"),
    ("status", "dasbor.by_status"),
    ("durasi", "dasbor.by_stage"),
    ("jenis-kekerasan", "dasbor.csv_violence"),
    ("kantor", "dasbor.by_office"),
];

/// The period and scope asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    /// "bulan", "triwulan" or "tahun".
    kind: &'static str,
    year: i32,
    month: i32,
    quarter: i32,
    /// The office, or the province's code (provincial analysts only).
    scope: String,
}

impl Filter {
    fn period(&self) -> rpb::get_statistics_request::Period {
        use rpb::get_statistics_request::Period;
        match self.kind {
            "tahun" => Period::Year(self.year),
            "triwulan" => Period::Quarter(rpb::Quarter {
                year: self.year,
                quarter: self.quarter,
            }),
            _ => Period::Month(rpb::Month {
                year: self.year,
                month: self.month,
            }),
        }
    }

    fn request(&self, province: &str) -> rpb::GetStatisticsRequest {
        let whole = self.scope == province;
        rpb::GetStatisticsRequest {
            office_code: if whole {
                String::new()
            } else {
                self.scope.clone()
            },
            province: whole,
            period: Some(self.period()),
            ..Default::default()
        }
    }

    /// The query string of this filter (links to the CSV and PDF).
    fn query(&self) -> String {
        format!(
            "periode={}&tahun={}&bulan={}&triwulan={}&kantor={}",
            self.kind, self.year, self.month, self.quarter, self.scope
        )
    }
}

/// Who sees which scope: (may see a dashboard, analyst of the whole province).
fn access(roles: &[Role]) -> (bool, bool) {
    let analyst = roles.contains(&Role::ProvincialAnalyst);
    let office = roles.iter().any(|r| {
        matches!(
            r,
            Role::Head | Role::ComplaintsOfficer | Role::ReportingOfficer
        )
    });
    (analyst || office, analyst)
}

/// The filter of a query, its defaults the current month and the person's own office (the
/// province for an analyst); None when a value is out of range or the scope not theirs.
fn filter_of(c: &Console, s: &SessionRow, q: &HashMap<String, String>) -> Option<Filter> {
    let (_, analyst) = access(&roles_of(s));
    let home = if analyst {
        c.province.clone()
    } else {
        s.user.office_code.clone()
    };
    let tz = if analyst {
        jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC)
    } else {
        c.tz(&s.user.office_code)
    };
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let num = |k: &str, default: i32, range: std::ops::RangeInclusive<i32>| -> Option<i32> {
        match q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Some(default),
            Some(v) => v.parse().ok().filter(|n| range.contains(n)),
        }
    };
    let month = i32::from(today.month());
    let kind = match q.get("periode").map(String::as_str) {
        None | Some("") | Some("bulan") => "bulan",
        Some("triwulan") => "triwulan",
        Some("tahun") => "tahun",
        Some(_) => return None,
    };
    let scope = match q.get("kantor").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => home,
        Some(k) if analyst && (k == c.province || c.refdata.office(k).is_some()) => k.to_string(),
        Some(k) if k == s.user.office_code => k.to_string(),
        Some(_) => return None,
    };
    Some(Filter {
        kind,
        year: num("tahun", i32::from(today.year()), 2000..=2100)?,
        month: num("bulan", month, 1..=12)?,
        quarter: num("triwulan", (month - 1) / 3 + 1, 1..=4)?,
        scope,
    })
}

fn reporting(c: &Console) -> ReportingServiceClient<tonic::transport::Channel> {
    ReportingServiceClient::new(c.reporting.clone())
}

/// The signed-in person who may see dashboards, or the answer instead.
async fn reader(c: &Console, headers: &HeaderMap) -> Result<SessionRow, Response> {
    let s = staff(c, headers).await?;
    if !access(&roles_of(&s)).0 {
        return Err(forbidden(c));
    }
    Ok(s)
}

fn bad_filter(c: &Console) -> Response {
    message(
        c,
        StatusCode::BAD_REQUEST,
        "dasbor.bad_filter_title",
        "dasbor.bad_filter_body",
    )
}

/// One row of a table: (label, the number as shown, the number for the bar).
type Row = (String, String, i64);

fn rows(counts: &[rpb::Count]) -> Vec<Row> {
    counts
        .iter()
        .map(|k| {
            (
                if k.label.is_empty() {
                    k.key.clone()
                } else {
                    k.label.clone()
                },
                if k.suppressed {
                    "<5".to_string()
                } else {
                    i18n::number(k.count)
                },
                if k.suppressed { 0 } else { k.count },
            )
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as SVG: one bar per row, its label on the left, its number at the
/// bar's end. The table beside it carries the same figures for screen readers (the SVG is
/// decorative for them: `aria-hidden`).
pub(crate) fn bars(rows: &[Row]) -> String {
    const ROW: i64 = 26;
    const LABEL: i64 = 230;
    const WIDTH: i64 = 640;
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1);
    let height = ROW * rows.len().max(1) as i64 + 4;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" aria-hidden=\"true\" focusable=\"false\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, shown, n)) in rows.iter().enumerate() {
        let y = i as i64 * ROW + 2;
        let w = (WIDTH - LABEL - 70) * n / max;
        let short: String = if label.chars().count() > 28 {
            label.chars().take(27).chain(['…']).collect()
        } else {
            label.clone()
        };
        // The bar's own number; a longer reading ("1 (median …)") stays in the table.
        let number = if shown.chars().count() <= 10 {
            shown.clone()
        } else {
            i18n::number(*n)
        };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"l\">{}</text><rect x=\"{LABEL}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"b\"/><text x=\"{}\" y=\"{}\" class=\"n\">{}</text>",
            LABEL - 8,
            y + 17,
            escape(&short),
            y + 4,
            w.max(if *n > 0 { 2 } else { 0 }),
            ROW - 8,
            LABEL + w + 6,
            y + 17,
            escape(&number),
        );
    }
    out.push_str("</svg>");
    out
}

/// A line of points (the IKM per month) as SVG, 25-100 on the vertical axis.
fn trend(points: &[(String, Option<f64>)]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 200.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 30.0;
    let n = points.len().max(2) as f64;
    let x = |i: usize| LEFT + (W - LEFT - 20.0) * i as f64 / (n - 1.0);
    let y = |v: f64| (H - BOTTOM) - (H - BOTTOM - 10.0) * (v - 25.0) / 75.0;
    let mut out = format!(
        "<svg class=\"chart trend\" viewBox=\"0 0 {W} {H}\" width=\"100%\" aria-hidden=\"true\" focusable=\"false\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for v in [25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" class=\"g\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"l\">{v}</text>",
            W - 20.0,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    let mut path = String::new();
    for (i, (label, v)) in points.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"l\">{}</text>",
            x(i),
            H - 8.0,
            escape(label)
        );
        if let Some(v) = v {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" class=\"p\"/>",
                x(i),
                y(*v)
            );
            let _ = write!(
                path,
                "{}{:.1},{:.1} ",
                if path.is_empty() { "M" } else { "L" },
                x(i),
                y(*v)
            );
        }
    }
    if !path.is_empty() {
        let _ = write!(out, "<path d=\"{}\" class=\"t\"/>", path.trim_end());
    }
    out.push_str("</svg>");
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];

/// GET `/staf/dasbor`.
pub async fn show(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match reader(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(f) = filter_of(&c, &s, &q) else {
        return bad_filter(&c);
    };
    let (_, analyst) = access(&roles_of(&s));
    let Ok(mut req) = bearer(&s, f.request(&c.province)) else {
        return unavailable(&c);
    };
    // The figures, with the IKM of the six months up to the period's last month.
    req.get_mut().satisfaction_months = 6;
    let stats = reporting(&c).get_statistics(req).await;
    let st = match stats {
        Ok(r) => r.into_inner(),
        Err(e) if matches!(e.code(), Code::PermissionDenied | Code::NotFound) => {
            return forbidden(&c);
        }
        Err(e) => {
            tracing::warn!(code = ?e.code(), "console: the statistics are unavailable");
            return unavailable(&c);
        }
    };
    let hidden = |field: &str| st.suppressed_fields.iter().any(|x| x == field);
    let shown = |field: &str, n: i64| {
        if hidden(field) {
            "<5".to_string()
        } else {
            i18n::number(n)
        }
    };
    let done: i64 = st
        .by_status
        .iter()
        .filter(|k| DONE.contains(&k.key.as_str()))
        .map(|k| k.count)
        .sum();
    let any_status_hidden = st.by_status.iter().any(|k| k.suppressed);
    let sla = st.sla.unwrap_or_default();
    let mut figures = vec![
        (
            c.cat.t("dasbor.received").to_string(),
            shown("received", st.received),
        ),
        (
            c.cat.t("dasbor.in_progress").to_string(),
            if hidden("received") || any_status_hidden {
                "-".to_string()
            } else {
                i18n::number((st.received - done).max(0))
            },
        ),
        (
            c.cat.t("dasbor.overdue").to_string(),
            shown("sla.late", sla.late),
        ),
        (
            c.cat.t("dasbor.on_time").to_string(),
            if hidden("sla.on_time_ratio") {
                "<5".to_string()
            } else if sla.on_time + sla.late == 0 {
                "-".to_string()
            } else {
                format!("{:.0} %", sla.on_time_ratio * 100.0)
            },
        ),
    ];
    let sat = st.satisfaction.clone().unwrap_or_default();
    figures.push((
        c.cat.t("dasbor.ikm").to_string(),
        if sat.suppressed {
            "<5".to_string()
        } else if sat.respondents == 0 {
            "-".to_string()
        } else {
            format!("{} ({})", decimal(sat.ikm, 2), sat.grade)
        },
    ));
    figures.push((
        c.cat.t("dasbor.reports").to_string(),
        shown("reports_distributed", st.reports_distributed),
    ));
    let stage_rows: Vec<Row> = st
        .durations
        .iter()
        .map(|d| {
            (
                d.label.clone(),
                if d.suppressed {
                    "<5".into()
                } else {
                    format!(
                        "{} ({})",
                        i18n::number(d.count),
                        c.cat
                            .t("dasbor.median_days")
                            .replace("{}", &decimal(d.median_working_days, 1))
                    )
                },
                if d.suppressed { 0 } else { d.count },
            )
        })
        .collect();
    let trend_rows: Vec<(String, Option<f64>, String)> = st
        .satisfaction_by_month
        .iter()
        .map(|x| {
            let (y, m) = x.month.map(|m| (m.year, m.month)).unwrap_or((0, 1));
            let label = format!("{} {}", MONTHS[(m.clamp(1, 12) - 1) as usize], y % 100);
            match &x.satisfaction {
                Some(s) if !s.suppressed && s.respondents > 0 => (
                    label,
                    Some(s.ikm),
                    format!(
                        "{} ({}, {} {})",
                        decimal(s.ikm, 2),
                        s.grade,
                        i18n::number(s.respondents),
                        c.cat.t("dasbor.respondents")
                    ),
                ),
                Some(s) if s.suppressed => (label, None, "<5".into()),
                _ => (label, None, "-".into()),
            }
        })
        .collect();
    let tables: Vec<views::Chart> = [
        ("dasbor.by_channel", rows(&st.by_channel)),
        ("dasbor.by_category", rows(&st.by_category)),
        ("dasbor.by_bidang", rows(&st.by_bidang)),
        ("dasbor.by_status", rows(&st.by_status)),
        ("dasbor.by_stage", stage_rows),
        (
            "dasbor.by_office",
            rows(&st.by_office)
                .into_iter()
                .map(|(l, shown, n)| (aduan_refdata::region(&l), shown, n))
                .collect(),
        ),
    ]
    .into_iter()
    .filter(|(_, r)| !r.is_empty())
    .enumerate()
    .map(|(i, (k, r))| views::Chart {
        id: format!("t{i}"),
        title: c.cat.t(k).to_string(),
        svg: bars(&r),
        rows: r,
    })
    .collect();
    let (ikm, elements) = ikm_by_service(&c, &s, &f).await;
    let caseload = if roles_of(&s).contains(&Role::Head) && f.scope == s.user.office_code {
        caseload(&c, &s).await
    } else {
        None
    };
    let period_label = match f.kind {
        "tahun" => format!("{} {}", c.cat.t("dasbor.year"), f.year),
        "triwulan" => format!("{} {} {}", c.cat.t("dasbor.quarter"), f.quarter, f.year),
        _ => format!("{} {}", i18n_month(f.month), f.year),
    };
    let this_year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year() as i32;
    let view = views::Dashboard {
        page: Page::staff(&c.cat, "dasbor.title", &s),
        scope_name: st.scope_name.clone(),
        period_label,
        figures,
        tables,
        trend_svg: trend(
            &trend_rows
                .iter()
                .map(|(l, v, _)| (l.clone(), *v))
                .collect::<Vec<_>>(),
        ),
        trend: trend_rows
            .into_iter()
            .map(|(l, _, shown)| (l, shown))
            .collect(),
        suppressed: st.small_cells_suppressed,
        kind: f.kind,
        year: f.year,
        month: f.month,
        quarter: f.quarter,
        years: (this_year - 5..=this_year).rev().collect(),
        months: (1..=12).map(|m| (m, i18n_month(m))).collect(),
        scopes: if analyst {
            std::iter::once((
                c.province.clone(),
                c.cat.t("dasbor.whole_province").to_string(),
            ))
            .chain(
                c.refdata
                    .offices()
                    .into_iter()
                    .map(|o| (o.code.clone(), o.name.clone())),
            )
            .collect()
        } else {
            Vec::new()
        },
        scope: f.scope.clone(),
        query: f.query(),
        csv: CSV_TABLES
            .iter()
            .filter(|(t, _)| *t != "kantor" || !st.by_office.is_empty())
            .map(|(t, k)| (t.to_string(), c.cat.t(k).to_string()))
            .collect(),
        monthly_pdf: f.kind == "bulan",
        ikm,
        elements,
        caseload: caseload.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
        unassigned: caseload.as_ref().map(|c| c.1).unwrap_or(0),
        show_caseload: caseload.is_some(),
    };
    views::render(StatusCode::OK, &view)
}

/// The IKM of the filter's scope and period per service (feedback's `GetSatisfactionIndex`):
/// rows (service, respondents, IKM, grade), all services first, and the nine elements of all
/// services. Small provincial outputs read "<5"; a service without respondents reads "-".
async fn ikm_by_service(
    c: &Console,
    s: &SessionRow,
    f: &Filter,
) -> (
    Vec<(String, String, String, String)>,
    Vec<(String, String, String, String)>,
) {
    use aduan_proto::feedback::v1 as fpb;
    use fpb::get_satisfaction_index_request::Period;
    let period = match f.kind {
        "tahun" => Period::Year(f.year),
        "triwulan" => Period::Quarter(fpb::Quarter {
            year: f.year,
            quarter: f.quarter,
        }),
        _ => Period::Month(fpb::Month {
            year: f.year,
            month: f.month,
        }),
    };
    let services = std::iter::once(("", "dasbor.all_services"))
        .chain(crate::followup::SERVICES.iter().copied());
    let mut rows = Vec::new();
    let mut elements = Vec::new();
    for (code, key) in services {
        let Ok(req) = bearer(
            s,
            fpb::GetSatisfactionIndexRequest {
                office_code: f.scope.clone(),
                period: Some(period),
                service_code: code.to_string(),
                method: 0,
            },
        ) else {
            break;
        };
        let ix = match fpb::feedback_service_client::FeedbackServiceClient::new(c.feedback.clone())
            .get_satisfaction_index(req)
            .await
        {
            Ok(r) => r.into_inner(),
            Err(e) => {
                tracing::warn!(code = ?e.code(), "console: the satisfaction index is unavailable");
                break;
            }
        };
        let (respondents, value, grade) = if ix.suppressed {
            ("<5".to_string(), "<5".to_string(), "-".to_string())
        } else if ix.respondents == 0 {
            ("0".to_string(), "-".to_string(), "-".to_string())
        } else {
            (
                i18n::number(ix.respondents),
                decimal(ix.ikm, 2),
                ix.grade_label.clone(),
            )
        };
        if code.is_empty() && !ix.suppressed && ix.respondents > 0 {
            elements = ix
                .elements
                .iter()
                .map(|e| {
                    (
                        e.code.clone(),
                        e.name.clone(),
                        decimal(e.average, 2),
                        decimal(e.weighted, 4),
                    )
                })
                .collect();
        }
        rows.push((c.cat.t(key).to_string(), respondents, value, grade));
    }
    (rows, elements)
}

/// The Head's caseload per officer: the office's cases in handling (investigation's
/// `ListCases`, every Bidang of the office), counted per assignee: (name, active, overdue,
/// drafts waiting for the Kepala Bidang), most active first, and the cases nobody is assigned
/// to. None when the cases cannot be read.
async fn caseload(c: &Console, s: &SessionRow) -> Option<(Vec<(String, i64, i64, i64)>, i64)> {
    use aduan_proto::investigation::v1 as vpb;
    let mut counts: HashMap<String, (i64, i64, i64)> = HashMap::new();
    let mut unassigned = 0;
    let mut token = String::new();
    // At most 20 pages of 500: an office's open cases.
    for _ in 0..20 {
        let req = bearer(
            s,
            vpb::ListCasesRequest {
                office_code: s.user.office_code.clone(),
                statuses: vec![aduan_proto::common::v1::ComplaintStatus::InHandling as i32],
                page_size: 500,
                page_token: token.clone(),
                ..Default::default()
            },
        )
        .ok()?;
        let page = vpb::investigation_service_client::InvestigationServiceClient::new(
            c.investigation.clone(),
        )
        .list_cases(req)
        .await
        .map_err(|e| tracing::warn!(code = ?e.code(), "console: the caseload is unavailable"))
        .ok()?
        .into_inner();
        for case in &page.cases {
            if case.assignees.is_empty() {
                unassigned += 1;
            }
            let waiting = case.response_state == vpb::ResponseState::Draft as i32;
            for a in &case.assignees {
                let e = counts.entry(a.subject.clone()).or_default();
                e.0 += 1;
                e.1 += i64::from(case.overdue);
                e.2 += i64::from(waiting);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let users = c.store.list_users(1000).await.unwrap_or_default();
    let name = |sub: &str| {
        users
            .iter()
            .find(|u| u.id == sub || u.id.strip_prefix("oidc:") == Some(sub))
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| sub.to_string())
    };
    let mut rows: Vec<(String, i64, i64, i64)> = counts
        .into_iter()
        .map(|(sub, (a, o, w))| (name(&sub), a, o, w))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some((rows, unassigned))
}

/// A number with `places` decimals and the Indonesian decimal comma ("97,22").
fn decimal(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

fn i18n_month(m: i32) -> String {
    jiff::civil::Date::new(2026, m as i8, 1)
        .map(i18n::date)
        .ok()
        .and_then(|d| d.split(' ').nth(1).map(str::to_string))
        .unwrap_or_else(|| m.to_string())
}

/// GET `/staf/dasbor/csv?…&berkas=<table>`: one of the statistics' CSV files.
pub async fn csv(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match reader(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(f) = filter_of(&c, &s, &q) else {
        return bad_filter(&c);
    };
    let Ok(req) = bearer(&s, f.request(&c.province)) else {
        return unavailable(&c);
    };
    let files = match reporting(&c).export_statistics(req).await {
        Ok(r) => r.into_inner().files,
        Err(e) if e.code() == Code::PermissionDenied => {
            return forbidden(&c);
        }
        Err(e) => {
            tracing::warn!(code = ?e.code(), "console: the statistics' export is unavailable");
            return unavailable(&c);
        }
    };
    // The table by its name ("kanal" is aduan-35.27-2026-11-kanal.csv).
    let Some(file) = q
        .get("berkas")
        .filter(|t| CSV_TABLES.iter().any(|(k, _)| k == t))
        .and_then(|t| {
            files
                .into_iter()
                .find(|x| x.name.ends_with(&format!("-{t}.csv")))
        })
    else {
        return crate::case::not_found(&c);
    };
    let name: String = file
        .name
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'))
        .collect();
    let mut res = (StatusCode::OK, file.content).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// GET `/staf/dasbor/laporan-bulanan.pdf?…`: the month's report as PDF (the archived copy of a
/// closed month, as reporting keeps it).
pub async fn monthly_pdf(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match reader(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(f) = filter_of(&c, &s, &q) else {
        return bad_filter(&c);
    };
    let whole = f.scope == c.province;
    let req = rpb::GetDocumentRequest {
        kind: rpb::DocumentKind::MonthlyReport as i32,
        office_code: if whole {
            String::new()
        } else {
            f.scope.clone()
        },
        province: whole,
        month: Some(rpb::Month {
            year: f.year,
            month: f.month,
        }),
        ..Default::default()
    };
    document(
        &c,
        &s,
        req,
        ("dasbor.bad_filter_title", "dasbor.bad_filter_body"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_to_the_largest() {
        let svg = bars(&[
            ("Surat <resmi>".into(), "10".into(), 10),
            ("Telepon".into(), "<5".into(), 0),
            ("Datang langsung".into(), "5".into(), 5),
        ]);
        assert!(svg.contains("Surat &lt;resmi&gt;"));
        assert!(svg.contains("&lt;5"));
        assert!(!svg.contains("<resmi>"));
        // The largest bar spans the whole width left for bars; half of it is half as long.
        assert!(svg.contains("width=\"340\""), "{svg}");
        assert!(svg.contains("width=\"170\""), "{svg}");
        // A suppressed or empty cell draws no bar.
        assert!(svg.contains("width=\"0\""), "{svg}");
    }

    #[test]
    fn the_trend_skips_months_without_an_index() {
        let svg = trend(&[
            ("Jul 26".into(), Some(80.0)),
            ("Agu 26".into(), None),
            ("Sep 26".into(), Some(100.0)),
        ]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("<path d=\"M"));
    }
}
