//! The documents the office hands out, in Bahasa Indonesia, as PDF (aduan_documents):
//!
//! - the disposition sheet (lembar disposisi, S6), from triage's record, fetched with the
//!   caller's own token (triage decides who may see it);
//! - the handling report (laporan hasil penanganan pengaduan, S15): reporting's report and
//!   timeline, with the investigation's findings fetched with the caller's own token and a
//!   purpose (investigation decides and logs the read); nothing fetched is stored here;
//! - the monthly report (laporan bulanan) of an office or the province: aggregates only.

use aduan_documents::{Document, angka, persen, tanggal};
use aduan_proto::investigation::v1 as inv;
use aduan_proto::triage::v1 as tri;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::time::{date_from_proto, from_micros, from_proto};
use aduan_runtime::{Error, Result, Violations, validate};
use jiff::Timestamp;
use tonic::Request;
use tonic::metadata::MetadataValue;

use crate::core::{Reporting, upstream};
use crate::domain::s15_report::report_number;
use crate::domain::{self, ReportFile};
use crate::pb;

/// The purpose's limit here leaves room for the prefix reporting adds before investigation's
/// own limit of 500 characters.
const PURPOSE_MAX: usize = 400;

type Authorization = Option<MetadataValue<tonic::metadata::Ascii>>;

fn with_token<T>(body: T, authorization: &Authorization) -> Request<T> {
    let mut req = Request::new(body);
    if let Some(h) = authorization {
        req.metadata_mut().insert("authorization", h.clone());
    }
    aduan_runtime::telemetry::inject_metadata(req.metadata_mut());
    req
}

fn pages_of(pdf: &[u8]) -> i32 {
    // Page objects are "/Type /Page" not followed by "s" (the page tree is "/Type /Pages").
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count() as i32
}

fn pdf(name: String, bytes: Vec<u8>) -> pb::Document {
    pb::Document {
        name,
        content_type: "application/pdf".into(),
        pages: pages_of(&bytes),
        content: bytes,
        archived: false,
        generated_at: Some(aduan_runtime::time::to_proto(Timestamp::now())),
    }
}

fn date_of(d: &Option<aduan_proto::common::v1::Date>) -> String {
    d.as_ref()
        .and_then(date_from_proto)
        .map(tanggal)
        .unwrap_or_else(|| "-".into())
}

fn nature_label(n: i32) -> &'static str {
    match tri::Nature::try_from(n).unwrap_or_default() {
        tri::Nature::Unspecified | tri::Nature::Biasa => "Biasa",
        tri::Nature::Segera => "Segera",
        tri::Nature::SangatSegera => "Sangat segera",
        tri::Nature::Rahasia => "Rahasia",
    }
}

const INSTRUCTIONS: &[(tri::Instruction, &str)] = &[
    (
        tri::Instruction::UntukDitindaklanjuti,
        "Untuk ditindaklanjuti",
    ),
    (tri::Instruction::UntukDiketahui, "Untuk diketahui"),
    (tri::Instruction::Koordinasikan, "Koordinasikan"),
    (tri::Instruction::SiapkanJawaban, "Siapkan jawaban"),
    (
        tri::Instruction::ProsesSesuaiKetentuan,
        "Untuk diproses sesuai ketentuan",
    ),
    (
        tri::Instruction::PelajariDanTelaah,
        "Untuk dipelajari dan ditelaah",
    ),
    (tri::Instruction::HadirMewakili, "Hadir mewakili"),
    (tri::Instruction::Arsip, "Arsip"),
];

fn session_kind(k: i32) -> &'static str {
    match inv::SessionKind::try_from(k).unwrap_or_default() {
        inv::SessionKind::Unspecified => "-",
        inv::SessionKind::Investigation => "Investigasi",
        inv::SessionKind::Mediation => "Mediasi",
        inv::SessionKind::FamilyCounselling => "Konseling keluarga (PUSPAGA)",
    }
}

fn session_outcome(k: i32) -> &'static str {
    match inv::SessionOutcome::try_from(k).unwrap_or_default() {
        inv::SessionOutcome::Unspecified => "-",
        inv::SessionOutcome::AgreementReached => "Tercapai kesepakatan",
        inv::SessionOutcome::NoAgreement => "Tidak tercapai kesepakatan",
        inv::SessionOutcome::Referred => "Dirujuk",
        inv::SessionOutcome::Continued => "Dilanjutkan",
    }
}

fn referral_state(k: i32) -> &'static str {
    match inv::ReferralState::try_from(k).unwrap_or_default() {
        inv::ReferralState::Unspecified => "-",
        inv::ReferralState::Pending => "Menunggu jawaban",
        inv::ReferralState::Accepted => "Diterima",
        inv::ReferralState::Rejected => "Ditolak",
    }
}

fn channel_of(c: i32) -> &'static str {
    domain::channel_label(domain::channel_code(c))
}

fn date_time(at: i64, tz: &jiff::tz::TimeZone) -> String {
    let z = from_micros(at).to_zoned(tz.clone());
    format!(
        "{} {:02}:{:02}",
        tanggal(z.date()),
        z.time().hour(),
        z.time().minute()
    )
}

impl Reporting {
    fn office_name(&self, office: &str) -> String {
        self.refdata()
            .office(office)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| office.to_string())
    }

    fn province_line(&self) -> String {
        format!(
            "Provinsi {}",
            self.directory()
                .province_name(self.province())
                .unwrap_or(self.province())
        )
    }

    fn letterhead(&self, doc: &mut Document, office: &str) {
        doc.letterhead(&[
            self.office_name(office).to_uppercase(),
            self.province_line(),
        ]);
    }

    fn today(&self, office: &str) -> jiff::civil::Date {
        let cal = self.calendars().calendar(office);
        Timestamp::now().to_zoned(cal.time_zone().clone()).date()
    }

    /// A document the caller asks for.
    pub async fn document(
        &self,
        caller: &Caller,
        authorization: Authorization,
        r: pb::GetDocumentRequest,
    ) -> Result<pb::Document> {
        match pb::DocumentKind::try_from(r.kind).unwrap_or_default() {
            pb::DocumentKind::Unspecified => Err(Error::invalid("kind", "required")),
            pb::DocumentKind::DispositionSheet => {
                self.disposition_sheet(caller, &authorization, &r).await
            }
            pb::DocumentKind::HandlingReport => {
                self.handling_report_document(caller, &authorization, &r)
                    .await
            }
            pb::DocumentKind::MonthlyReport => self.monthly_report(caller, &r).await,
        }
    }

    async fn disposition_sheet(
        &self,
        caller: &Caller,
        authorization: &Authorization,
        r: &pb::GetDocumentRequest,
    ) -> Result<pb::Document> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        if r.version < 0 {
            v.add("version", "0 (the current one) or more");
        }
        v.into_result()?;
        if caller.acts_as(Role::ProvincialAnalyst) && caller.grants.len() == 1 {
            return Err(Error::PermissionDenied(
                "provincial analysts see aggregates only".into(),
            ));
        }
        let sheet = self
            .triage_client()?
            .get_disposition_sheet(with_token(
                tri::GetDispositionSheetRequest {
                    complaint_id: r.complaint_id.clone(),
                    version: r.version,
                },
                authorization,
            ))
            .await
            .map_err(|s| upstream("triage", s))?
            .into_inner();
        let mut doc = Document::new(&format!("Lembar Disposisi {}", sheet.agenda_number));
        let mut marks = Vec::new();
        if sheet.nature == tri::Nature::Rahasia as i32 {
            marks.push("RAHASIA");
        }
        if sheet.superseded {
            marks.push("TELAH DIGANTI");
        }
        doc.mark(&marks.join(" - "));
        doc.letterhead(&[sheet.office_name.to_uppercase(), self.province_line()]);
        doc.title(
            "LEMBAR DISPOSISI",
            Some(&format!("Versi {}", sheet.version.max(1))),
        );
        doc.fields(&[
            ("Nomor agenda".into(), sheet.agenda_number.clone()),
            ("Tanggal diterima".into(), date_of(&sheet.received_date)),
            ("Asal surat / pengirim".into(), sheet.sender.clone()),
            ("Nomor surat".into(), sheet.letter_number.clone()),
            ("Tanggal surat".into(), date_of(&sheet.letter_date)),
            ("Saluran".into(), channel_of(sheet.channel).to_string()),
            ("Perihal".into(), sheet.subject.clone()),
            (
                "Sifat".into(),
                format!(
                    "{}{}",
                    nature_label(sheet.nature),
                    if sheet.urgent { " (mendesak)" } else { "" }
                ),
            ),
        ]);
        doc.heading("Ringkasan");
        doc.paragraph(if sheet.summary.trim().is_empty() {
            "-"
        } else {
            &sheet.summary
        });
        doc.heading("Diteruskan kepada");
        doc.paragraph(&format!(
            "{} ({})",
            sheet.target_bidang_name, sheet.target_bidang_code
        ));
        doc.heading("Disposisi");
        let ticked: Vec<(String, bool)> = INSTRUCTIONS
            .iter()
            .map(|(i, label)| (label.to_string(), sheet.instructions.contains(&(*i as i32))))
            .collect();
        doc.checklist(&ticked);
        doc.fields(&[
            ("Batas waktu".into(), date_of(&sheet.due_date)),
            (
                "Catatan".into(),
                if sheet.note.trim().is_empty() {
                    "-".into()
                } else {
                    sheet.note.clone()
                },
            ),
        ]);
        let sig = sheet.signature.clone().unwrap_or_default();
        doc.signature(&sig.place_date, &sig.title, &sig.signed_by);
        Ok(pdf(
            format!(
                "lembar-disposisi-{}.pdf",
                sheet.agenda_number.replace('/', "-")
            ),
            doc.render(),
        ))
    }

    async fn handling_report_document(
        &self,
        caller: &Caller,
        authorization: &Authorization,
        r: &pb::GetDocumentRequest,
    ) -> Result<pb::Document> {
        let mut v = Violations::new();
        validate::id(&mut v, "complaint_id", &r.complaint_id);
        validate::text(&mut v, "purpose", &r.purpose, true, PURPOSE_MAX);
        v.into_result()?;
        if caller.acts_as(Role::ProvincialAnalyst) && caller.grants.len() == 1 {
            return Err(Error::PermissionDenied(
                "provincial analysts see aggregates only".into(),
            ));
        }
        let file: ReportFile = self
            .store()
            .get(&r.complaint_id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        caller.require_unit_or_not_found(&file.office_code, &file.unit, "complaint")?;
        let report = file.body.report.clone().ok_or_else(|| {
            Error::FailedPrecondition("no handling report has been drafted".into())
        })?;
        let case = self
            .investigation_client()?
            .get_case(with_token(
                inv::GetCaseRequest {
                    complaint_id: r.complaint_id.clone(),
                    purpose: format!("S15 laporan hasil penanganan: {}", r.purpose.trim()),
                },
                authorization,
            ))
            .await
            .map_err(|s| upstream("investigation", s))?
            .into_inner();
        let timeline = self.timeline(caller, &r.complaint_id).await?;
        let office = file.office_code.clone();
        let tz = self.calendars().calendar(&office).time_zone().clone();
        let number = report_number(&file);
        let d = &file.body;
        let mut doc = Document::new(&format!("Laporan Hasil Penanganan Pengaduan {number}"));
        let mut marks = Vec::new();
        if d.child || d.confidential {
            marks.push("RAHASIA");
        }
        if report.state < pb::ReportState::Approved as i32 {
            marks.push("DRAF");
        }
        doc.mark(&marks.join(" - "));
        self.letterhead(&mut doc, &office);
        doc.title(
            "LAPORAN HASIL PENANGANAN PENGADUAN",
            Some(&format!("Nomor: {number}")),
        );
        let bidang_name = self
            .refdata()
            .bidang(&d.bidang)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| d.bidang.clone());
        let category = self
            .refdata()
            .category(&d.category)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| "Belum ditentukan".into());
        doc.heading("A. Data Pengaduan");
        doc.fields(&[
            ("Nomor registrasi".into(), d.registration_number.clone()),
            (
                "Tanggal diterima".into(),
                if d.received_at > 0 {
                    date_time(d.received_at, &tz)
                } else {
                    "-".into()
                },
            ),
            ("Saluran".into(), channel_of(d.channel).to_string()),
            ("Kategori".into(), category),
            ("Bidang penangan".into(), bidang_name.clone()),
            (
                "Status".into(),
                domain::status_label(domain::status_code(file.status)).to_string(),
            ),
        ]);
        doc.heading("B. Kronologi Penanganan");
        let rows: Vec<Vec<String>> = timeline
            .entries
            .iter()
            .map(|e| {
                let at = e
                    .occurred_at
                    .as_ref()
                    .and_then(from_proto)
                    .map(|t| date_time(aduan_runtime::time::to_micros(t), &tz))
                    .unwrap_or_default();
                vec![
                    at,
                    aduan_documents::labels::step_label(e.step).to_string(),
                    format!(
                        "{} {}",
                        aduan_documents::labels::kind_label(&e.kind),
                        e.detail
                    )
                    .trim()
                    .to_string(),
                ]
            })
            .collect();
        doc.table(
            &["Waktu".into(), "Langkah".into(), "Uraian".into()],
            &[1.3, 1.6, 2.6],
            &rows,
            &[false, false, false],
        );
        doc.heading("C. Hasil Penanganan");
        let eligibility = case
            .eligibility
            .iter()
            .rev()
            .find(|e| !e.superseded)
            .map(|e| {
                if e.qualifies {
                    "Memenuhi syarat untuk ditindaklanjuti".to_string()
                } else {
                    format!("Tidak memenuhi syarat ({})", e.reason_code)
                }
            })
            .unwrap_or_else(|| "Belum diputuskan".into());
        doc.fields(&[("Kelayakan (S11)".into(), eligibility)]);
        if !case.sessions.is_empty() {
            let rows: Vec<Vec<String>> = case
                .sessions
                .iter()
                .map(|s| {
                    vec![
                        date_of(&s.held_on),
                        session_kind(s.kind).to_string(),
                        session_outcome(s.outcome).to_string(),
                    ]
                })
                .collect();
            doc.table(
                &["Tanggal".into(), "Kegiatan".into(), "Hasil".into()],
                &[1.0, 1.6, 1.6],
                &rows,
                &[false, false, false],
            );
        }
        if !case.referrals.is_empty() {
            let rows: Vec<Vec<String>> = case
                .referrals
                .iter()
                .map(|x| {
                    vec![
                        x.agency_name.clone(),
                        self.directory()
                            .violence_label(&x.violence_type_code)
                            .unwrap_or("-")
                            .to_string(),
                        referral_state(x.state).to_string(),
                    ]
                })
                .collect();
            doc.table(
                &[
                    "Rujukan ke".into(),
                    "Jenis kekerasan".into(),
                    "Status".into(),
                ],
                &[2.0, 1.2, 1.0],
                &rows,
                &[false, false, false],
            );
        }
        let response = case
            .responses
            .iter()
            .rev()
            .find(|x| x.state == inv::ResponseState::Approved as i32)
            .map(|x| x.text.clone());
        doc.heading("Tanggapan yang disampaikan kepada pelapor");
        doc.paragraph(response.as_deref().unwrap_or("-"));
        doc.heading("D. Rekomendasi");
        let recs: Vec<String> = report
            .recommendations
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{}. {}",
                    i + 1,
                    self.directory()
                        .recommendation(c)
                        .map(|x| x.label.clone())
                        .unwrap_or_else(|| c.clone())
                )
            })
            .collect();
        doc.paragraph(&recs.join("\n"));
        doc.heading("E. Distribusi Laporan (S16)");
        let mut rows: Vec<Vec<String>> = report
            .distributions
            .iter()
            .map(|x| {
                vec![
                    self.recipient_name(&office, x),
                    date_time(x.delivered_at, &tz),
                    channel_of(x.channel).to_string(),
                ]
            })
            .collect();
        for a in &report.agencies {
            if !report.distributions.iter().any(|x| &x.agency_code == a) {
                let name = self.recipient_name(
                    &office,
                    &crate::domain::DistributionRec {
                        recipient_kind: pb::RecipientKind::Agency as i32,
                        agency_code: a.clone(),
                        ..Default::default()
                    },
                );
                rows.push(vec![name, "belum disampaikan".into(), "-".into()]);
            }
        }
        doc.table(
            &["Penerima".into(), "Tanggal".into(), "Saluran".into()],
            &[2.4, 1.4, 1.0],
            &rows,
            &[false, false, false],
        );
        let (signed_at, signer, by_head) = match &report.reviewed_by {
            Some(who) if report.state >= pb::ReportState::Approved as i32 => (
                from_micros(report.reviewed_at).to_zoned(tz.clone()).date(),
                who.subject.clone(),
                who.role == Role::Head.as_str(),
            ),
            _ => (self.today(&office), "(belum disetujui)".to_string(), false),
        };
        let signer_title = if by_head {
            format!("Kepala {}", self.office_name(&office))
        } else {
            format!("Kepala {bidang_name}")
        };
        doc.signature(
            &format!(
                "{}, {}",
                crate::directory::region(&self.office_name(&office))
                    .trim_start_matches("Kabupaten ")
                    .trim_start_matches("Kota "),
                tanggal(signed_at)
            ),
            &signer_title,
            &signer,
        );
        Ok(pdf(
            format!("laporan-penanganan-{}.pdf", number.replace('/', "-")),
            doc.render(),
        ))
    }

    async fn monthly_report(
        &self,
        caller: &Caller,
        r: &pb::GetDocumentRequest,
    ) -> Result<pb::Document> {
        let mut v = Violations::new();
        let range = match &r.month {
            Some(m) => crate::stats::month_range(&mut v, "month", m),
            None => {
                v.add("month", "required");
                None
            }
        };
        let scope = self.scope(caller, &r.office_code, r.province, range, v)?;
        if caller.bidang_scoped() {
            return Err(Error::PermissionDenied(
                "the monthly report is for the Head, the complaints and reporting officers and the provincial analysts".into(),
            ));
        }
        // The archive holds each office's report as its own staff see it; a provincial analyst
        // gets the office's report rendered as a provincial output, small cells suppressed.
        let archive_fits = scope.province || !scope.suppress;
        if !r.live
            && archive_fits
            && let Some(doc) = self.archived(&scope).await?
        {
            return Ok(doc);
        }
        self.render_monthly(&scope).await
    }

    /// The monthly report of a checked scope, rendered from the statistics as they are now.
    pub async fn render_monthly(&self, scope: &crate::stats::Scope) -> Result<pb::Document> {
        let scope = scope.clone();
        let s = self.statistics_of(&scope).await?;
        let month_name = aduan_documents::tanggal(scope.from)
            .split_once(' ')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
        let mut doc = Document::new(&format!(
            "Laporan Bulanan Penanganan Pengaduan {} {}",
            s.scope_name, month_name
        ));
        if scope.province {
            doc.letterhead(&[
                s.scope_name.to_uppercase(),
                "Rekapitulasi seluruh kantor".into(),
            ]);
        } else {
            self.letterhead(&mut doc, &scope.code);
        }
        doc.title(
            "LAPORAN BULANAN PENANGANAN PENGADUAN",
            Some(&format!("Bulan {month_name}")),
        );
        let sla = s.sla.unwrap_or_default();
        let sat = s.satisfaction.clone().unwrap_or_default();
        // Issue 12: a provincial output prints small cells as "<5".
        let hidden = |f: &str| s.suppressed_fields.iter().any(|x| x == f);
        let num = |f: &str, v: i64| {
            if hidden(f) {
                "<5".to_string()
            } else {
                angka(v as f64, 0)
            }
        };
        doc.heading("A. Ringkasan");
        if s.small_cells_suppressed {
            doc.paragraph(
                "Angka 1 sampai 4 ditulis \"<5\" agar tidak seorang pun dapat dikenali dari \
                 angka yang kecil; bila hanya satu angka dalam satu tabel yang kecil, angka \
                 terkecil berikutnya juga disamarkan.",
            );
        }
        doc.fields(&[
            ("Pengaduan diterima".into(), num("received", s.received)),
            (
                "Selesai tepat waktu".into(),
                if hidden("sla.on_time_ratio") {
                    num("sla.on_time", sla.on_time)
                } else {
                    format!(
                        "{} ({} dari yang selesai)",
                        num("sla.on_time", sla.on_time),
                        persen(sla.on_time_ratio, 1)
                    )
                },
            ),
            ("Terlambat".into(), num("sla.late", sla.late)),
            ("Berjalan".into(), num("sla.open", sla.open)),
            ("Berisiko terlambat".into(), num("sla.at_risk", sla.at_risk)),
            (
                "Pelapor berulang".into(),
                num("repeat_complainants", s.repeat_complainants),
            ),
            (
                "Melibatkan anak".into(),
                num("involving_child", s.involving_child),
            ),
            (
                "Laporan penanganan disampaikan".into(),
                num("reports_distributed", s.reports_distributed),
            ),
            (
                "Indeks Kepuasan Masyarakat".into(),
                if sat.suppressed {
                    "<5 responden (tidak ditampilkan)".into()
                } else if sat.respondents > 0 {
                    format!(
                        "{} (mutu {}, {}; {} responden)",
                        angka(sat.ikm, 2),
                        sat.grade,
                        sat.grade_label,
                        angka(sat.respondents as f64, 0)
                    )
                } else {
                    "belum ada survei".into()
                },
            ),
        ]);
        let count_table = |doc: &mut Document, title: &str, rows: &[pb::Count], chart: bool| {
            doc.heading(title);
            let total: i64 = rows.iter().map(|c| c.count).sum();
            // With a suppressed cell the table's total is unknown, so no shares are printed.
            let any_hidden = rows.iter().any(|c| c.suppressed);
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|c| {
                    vec![
                        c.label.clone(),
                        if c.suppressed {
                            "<5".into()
                        } else {
                            angka(c.count as f64, 0)
                        },
                        if total > 0 && !any_hidden {
                            persen(c.count as f64 / total as f64, 1)
                        } else {
                            "-".into()
                        },
                    ]
                })
                .collect();
            if body.is_empty() {
                doc.paragraph("Tidak ada data.");
                return;
            }
            doc.table(
                &["Uraian".into(), "Jumlah".into(), "Persentase".into()],
                &[3.0, 1.0, 1.0],
                &body,
                &[false, true, true],
            );
            if chart {
                let bars: Vec<(String, f64)> = rows
                    .iter()
                    .filter(|c| !c.suppressed)
                    .map(|c| (c.label.clone(), c.count as f64))
                    .collect();
                let subject = title.split_once(". ").map_or(title, |(_, t)| t);
                if !bars.is_empty() {
                    doc.bar_chart(&format!("Grafik: {subject}"), &bars, &|x| angka(x, 0));
                }
            }
        };
        count_table(
            &mut doc,
            "B. Pengaduan menurut saluran",
            &s.by_channel,
            true,
        );
        count_table(
            &mut doc,
            "C. Pengaduan menurut kategori",
            &s.by_category,
            false,
        );
        count_table(&mut doc, "D. Pengaduan menurut Bidang", &s.by_bidang, true);
        count_table(&mut doc, "E. Pengaduan menurut status", &s.by_status, false);
        count_table(
            &mut doc,
            "F. Jenis kekerasan (klasifikasi SIMFONI-PPA)",
            &s.by_violence_type,
            false,
        );
        doc.heading("G. Waktu penanganan (hari kerja)");
        let rows: Vec<Vec<String>> = s
            .durations
            .iter()
            .map(|d| {
                if d.suppressed {
                    return vec![d.label.clone(), "<5".into(), "<5".into(), "<5".into()];
                }
                vec![
                    d.label.clone(),
                    angka(d.count as f64, 0),
                    if d.count > 0 {
                        angka(d.median_working_days, 1)
                    } else {
                        "-".into()
                    },
                    if d.count > 0 {
                        angka(d.p90_working_days, 1)
                    } else {
                        "-".into()
                    },
                ]
            })
            .collect();
        doc.table(
            &[
                "Tahap".into(),
                "Jumlah".into(),
                "Median".into(),
                "Persentil 90".into(),
            ],
            &[3.2, 0.8, 0.8, 1.0],
            &rows,
            &[false, true, true, true],
        );
        doc.heading("H. Indeks Kepuasan Masyarakat (SKM)");
        if sat.suppressed {
            doc.paragraph(
                "Kurang dari 5 responden: nilai tidak ditampilkan untuk melindungi responden.",
            );
        } else if sat.respondents > 0 {
            let rows: Vec<Vec<String>> = sat
                .element_averages
                .iter()
                .enumerate()
                .map(|(i, a)| vec![format!("U{}", i + 1), angka(*a, 2)])
                .collect();
            doc.table(
                &["Unsur".into(), "Nilai rata-rata".into()],
                &[1.0, 1.0],
                &rows,
                &[false, true],
            );
        } else {
            doc.paragraph("Belum ada survei kepuasan pada bulan ini.");
        }
        if scope.province {
            count_table(&mut doc, "I. Pengaduan menurut kantor", &s.by_office, true);
        }
        let place = if scope.province {
            s.scope_name.trim_start_matches("Provinsi ").to_string()
        } else {
            crate::directory::region(&s.scope_name)
                .trim_start_matches("Kabupaten ")
                .trim_start_matches("Kota ")
                .to_string()
        };
        let title = if scope.province {
            "Analis Provinsi".to_string()
        } else {
            format!("Kepala {}", s.scope_name)
        };
        doc.signature(
            &format!("{place}, {}", tanggal(self.today(&scope.code))),
            &title,
            "",
        );
        Ok(pdf(
            format!("laporan-bulanan-{}-{}.pdf", s.scope_code, scope.label()),
            doc.render(),
        ))
    }
}
