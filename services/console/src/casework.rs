//! The Bidang's casework on the case page (issue 15): evidence with its file, home visits and
//! coordination (S10); sessions of investigation, mediation or PUSPAGA counselling, consents, and
//! referrals to UPTD PPA and other agencies with the agency's answer (S11); and what an interview
//! amends in intake's record of the complaint (S9). Every record is investigation's, written with
//! the officer's token; the page is [`crate::bidang`]'s.
//!
//! Paths under `/staf/kasus/<id>`: `/bukti` (multipart: the evidence and its file, streamed to
//! investigation's `UploadEvidence` as it arrives), `/bukti/<evidence>` (the stored file, read
//! with a purpose for the access log), `/kunjungan`, `/koordinasi`, `/sesi`, `/persetujuan`,
//! `/rujukan` and `/rujukan/<referral>/jawaban`.

use std::sync::Arc;

use aduan_proto::common::v1 as common;
use aduan_proto::investigation::v1 as vpb;
use aduan_runtime::auth::Role;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;

use crate::Console;
use crate::bidang::{self, CHANNELS, PARTIES, choices, label_of};
use crate::case::{Fields, day, err, field, not_found, posted_by, staff, valid_id, when};
use crate::followup::code_of as pick;
use crate::public::unavailable;
use crate::staff::{bearer, roles_of};
use crate::store::SessionRow;
use crate::views::{self, FieldError};

/// Why the console opens an evidence file (investigation's access log).
const FILE_PURPOSE: &str = "S10: berkas bukti dibuka di halaman kasus konsol";

/// The largest request the evidence form may send: investigation stops an upload past its own
/// limit (20 MiB by default) as soon as it passes it; the file is streamed, never held whole.
pub(crate) const MAX_UPLOAD_REQUEST: usize = 64 * 1024 * 1024;

/// The console forwards an upload in pieces of this size.
const PIECE: usize = 256 * 1024;

/// Text fields of the evidence form: at most this many bytes each.
const MAX_TEXT_FIELD: usize = 16 * 1024;

pub(crate) const EVIDENCE_KINDS: [(vpb::EvidenceKind, &str, &str); 8] = [
    (vpb::EvidenceKind::Document, "dokumen", "kerja.ev_document"),
    (vpb::EvidenceKind::Photo, "foto", "kerja.ev_photo"),
    (
        vpb::EvidenceKind::Statement,
        "pernyataan",
        "kerja.ev_statement",
    ),
    (
        vpb::EvidenceKind::MedicalReport,
        "medis",
        "kerja.ev_medical",
    ),
    (vpb::EvidenceKind::Audio, "audio", "kerja.ev_audio"),
    (vpb::EvidenceKind::Video, "video", "kerja.ev_video"),
    (
        vpb::EvidenceKind::Screenshot,
        "tangkapan",
        "kerja.ev_screenshot",
    ),
    (vpb::EvidenceKind::Other, "lain", "kerja.ev_other"),
];

pub(crate) const EVIDENCE_SOURCES: [(vpb::EvidenceSource, &str, &str); 7] = [
    (
        vpb::EvidenceSource::Complainant,
        "pengadu",
        "kasus.party_complainant",
    ),
    (
        vpb::EvidenceSource::ReportedParty,
        "teradu",
        "kasus.party_reported",
    ),
    (vpb::EvidenceSource::Victim, "korban", "kerja.src_victim"),
    (vpb::EvidenceSource::Witness, "saksi", "kasus.party_witness"),
    (
        vpb::EvidenceSource::Agency,
        "instansi",
        "kasus.party_agency",
    ),
    (vpb::EvidenceSource::Officer, "petugas", "kerja.src_officer"),
    (vpb::EvidenceSource::Other, "lain", "kasus.party_other"),
];

pub(crate) const SESSION_KINDS: [(vpb::SessionKind, &str, &str); 3] = [
    (
        vpb::SessionKind::Investigation,
        "pemeriksaan",
        "kerja.session_investigation",
    ),
    (
        vpb::SessionKind::Mediation,
        "mediasi",
        "kerja.session_mediation",
    ),
    (
        vpb::SessionKind::FamilyCounselling,
        "konseling",
        "kerja.session_counselling",
    ),
];

pub(crate) const SESSION_OUTCOMES: [(vpb::SessionOutcome, &str, &str); 4] = [
    (
        vpb::SessionOutcome::AgreementReached,
        "sepakat",
        "kerja.so_agreement",
    ),
    (
        vpb::SessionOutcome::NoAgreement,
        "tidak_sepakat",
        "kerja.so_no_agreement",
    ),
    (
        vpb::SessionOutcome::Referred,
        "dirujuk",
        "kerja.so_referred",
    ),
    (
        vpb::SessionOutcome::Continued,
        "berlanjut",
        "kerja.so_continued",
    ),
];

pub(crate) const GIVERS: [(vpb::ConsentGiver, &str, &str); 3] = [
    (
        vpb::ConsentGiver::ThePerson,
        "sendiri",
        "kerja.giver_person",
    ),
    (vpb::ConsentGiver::Parent, "orang_tua", "kerja.giver_parent"),
    (vpb::ConsentGiver::Guardian, "wali", "kerja.giver_guardian"),
];

pub(crate) const CONSENT_FORMS: [(vpb::ConsentForm, &str, &str); 2] = [
    (vpb::ConsentForm::Written, "tertulis", "kerja.form_written"),
    (vpb::ConsentForm::Oral, "lisan", "kerja.form_oral"),
];

/// The people a consent may concern (investigation refuses other roles).
const CONSENT_SUBJECTS: [(vpb::PartyRole, &str, &str); 2] = [
    (vpb::PartyRole::Victim, "korban", "kasus.party_victim"),
    (
        vpb::PartyRole::Complainant,
        "pengadu",
        "kerja.subject_complainant",
    ),
];

/// Session parties on the form: this many rows (a session has 1-20; more go in the summary).
pub(crate) const PARTY_ROWS: usize = 4;

/// The media types investigation takes, by the file name's extension when the browser does not
/// name one of them.
const MEDIA_TYPES: [(&str, &str); 8] = [
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("pdf", "application/pdf"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("mp4", "video/mp4"),
    ("txt", "text/plain"),
];

/// A date field (YYYY-MM-DD) as the proto's date.
fn date_of(f: &Fields, k: &str) -> Option<common::Date> {
    let d = field(f, k).parse::<jiff::civil::Date>().ok()?;
    Some(common::Date {
        year: i32::from(d.year()),
        month: i32::from(d.month()),
        day: i32::from(d.day()),
    })
}

/// Names separated by commas or lines.
pub(crate) fn names(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", aduan_documents::angka(bytes as f64 / 1048576.0, 1))
    } else {
        format!(
            "{} KB",
            aduan_documents::angka((bytes as f64 / 1024.0).max(0.1), 1)
        )
    }
}

fn may_override(roles: &[Role]) -> bool {
    roles.contains(&Role::Head) || roles.contains(&Role::BidangHead)
}

/// The casework part of the case page: the records, newest first, and the forms' choices.
pub(crate) fn view(
    c: &Console,
    s: &SessionRow,
    case: &vpb::Case,
    tz: &jiff::tz::TimeZone,
) -> views::Casework {
    let r = &c.refdata;
    let terms = |list: &str| -> Vec<(String, String)> {
        r.terms(list)
            .into_iter()
            .map(|t| (t.code.clone(), t.label.clone()))
            .collect()
    };
    let office_name = r
        .office(&case.office_code)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let consent_text = |x: &vpb::Consent| {
        let mut t = format!(
            "{}: {}{}",
            label_of(c, &CONSENT_SUBJECTS, x.subject_role),
            x.subject_name,
            if x.subject_is_child {
                format!(" ({})", c.cat.t("kerja.child"))
            } else {
                String::new()
            }
        );
        t.push_str(&format!(
            " · {} {}",
            c.cat.t("kerja.given_by"),
            label_of(c, &GIVERS, x.giver).to_lowercase()
        ));
        if !x.giver_name.is_empty() {
            t.push_str(&format!(" ({})", x.giver_name));
        }
        t.push_str(&format!(
            " · {} · {}",
            label_of(c, &CONSENT_FORMS, x.form).to_lowercase(),
            day(&x.given_on)
        ));
        t
    };
    views::Casework {
        evidence: case
            .evidence
            .iter()
            .rev()
            .map(|e| views::EvidenceLine {
                id: e.id.clone(),
                kind: label_of(c, &EVIDENCE_KINDS, e.kind),
                source: label_of(c, &EVIDENCE_SOURCES, e.source),
                source_detail: e.source_detail.clone(),
                collected_on: day(&e.collected_on),
                description: e.description.clone(),
                file: e.file.as_ref().map(|f| {
                    (
                        f.file_name.clone(),
                        size_text(f.size_bytes),
                        f.metadata_removed,
                    )
                }),
            })
            .collect(),
        visits: case
            .home_visits
            .iter()
            .rev()
            .map(|v| {
                (
                    day(&v.visited_on),
                    v.location.clone(),
                    v.present.join(", "),
                    v.findings.clone(),
                )
            })
            .collect(),
        coordination: case
            .coordinations
            .iter()
            .rev()
            .map(|x| {
                (
                    day(&x.held_on),
                    x.agency.clone(),
                    label_of(c, &CHANNELS, x.channel),
                    x.summary.clone(),
                )
            })
            .collect(),
        sessions: case
            .sessions
            .iter()
            .rev()
            .map(|x| views::SessionLine {
                kind: label_of(c, &SESSION_KINDS, x.kind),
                held_on: day(&x.held_on),
                topics: x
                    .topic_codes
                    .iter()
                    .map(|t| r.term_label("topik", t))
                    .collect::<Vec<_>>()
                    .join("; "),
                parties: x
                    .parties
                    .iter()
                    .map(|p| {
                        format!(
                            "{} ({}{})",
                            p.name,
                            label_of(c, &PARTIES, p.role),
                            if p.attended {
                                String::new()
                            } else {
                                format!(", {}", c.cat.t("kerja.absent"))
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                outcome: label_of(c, &SESSION_OUTCOMES, x.outcome),
                terms: x.agreement_terms.clone(),
                summary: x.summary.clone(),
                next: x
                    .next_session_on
                    .as_ref()
                    .map(|_| day(&x.next_session_on))
                    .unwrap_or_default(),
            })
            .collect(),
        consents: case
            .consents
            .iter()
            .rev()
            .map(|x| (x.id.clone(), consent_text(x)))
            .collect(),
        referrals: case
            .referrals
            .iter()
            .rev()
            .map(|x| {
                let state = vpb::ReferralState::try_from(x.state).unwrap_or_default();
                views::ReferralLine {
                    id: x.id.clone(),
                    agency: x.agency_name.clone(),
                    violence: r.term_label("jenis_kekerasan", &x.violence_type_code),
                    age: r.term_label("kelompok_usia", &x.age_band_code),
                    services: x
                        .service_codes
                        .iter()
                        .map(|s| r.term_label("layanan", s))
                        .collect::<Vec<_>>()
                        .join(", "),
                    reason: x.reason.clone(),
                    basis: if x.consent_id.is_empty() {
                        format!("{} {}", c.cat.t("kerja.override"), x.override_reason)
                    } else {
                        case.consents
                            .iter()
                            .find(|k| k.id == x.consent_id)
                            .map(consent_text)
                            .unwrap_or_default()
                    },
                    referred: when(&x.referred_at, tz),
                    state: c
                        .cat
                        .t(match state {
                            vpb::ReferralState::Accepted => "kerja.ref_accepted",
                            vpb::ReferralState::Rejected => "kerja.ref_rejected",
                            _ => "kerja.ref_pending",
                        })
                        .to_string(),
                    pending: state == vpb::ReferralState::Pending,
                    answer: x
                        .answer
                        .as_ref()
                        .map(|a| {
                            let mut t = when(&a.answered_at, tz);
                            if !a.agency_reference.is_empty() {
                                t.push_str(&format!(
                                    " · {} {}",
                                    c.cat.t("kerja.agency_ref"),
                                    a.agency_reference
                                ));
                            }
                            if !a.reason_code.is_empty() {
                                t.push_str(&format!(" · {}", a.reason_code.replace('_', " ")));
                            }
                            if !a.note.is_empty() {
                                t.push_str(&format!(" · {}", a.note));
                            }
                            t
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        evidence_kinds: choices(c, &EVIDENCE_KINDS),
        evidence_sources: choices(c, &EVIDENCE_SOURCES),
        session_kinds: choices(c, &SESSION_KINDS),
        session_outcomes: choices(c, &SESSION_OUTCOMES),
        consent_subjects: choices(c, &CONSENT_SUBJECTS),
        givers: choices(c, &GIVERS),
        consent_forms: choices(c, &CONSENT_FORMS),
        topics: terms("topik"),
        violence: terms("jenis_kekerasan"),
        places: terms("tempat_kejadian"),
        relations: terms("hubungan_pelaku"),
        ages: terms("kelompok_usia"),
        services: terms("layanan"),
        agencies: r
            .agencies()
            .iter()
            .map(|a| (a.code.clone(), a.name_for(&office_name)))
            .collect(),
        party_rows: (1..=PARTY_ROWS).collect(),
        can_override: may_override(&roles_of(s)),
    }
}

/// Investigation's field violations of a casework form, beside the form's fields: (the proto
/// field or its start, the form's field, the message).
pub(crate) fn target(form: &str, proto: &str) -> Option<(&'static str, &'static str)> {
    let table: &[(&str, &'static str, &'static str)] = match form {
        "bukti" => &[
            ("kind", "jenis_bukti", "kerja.err_ev_kind"),
            ("source_detail", "sumber_rinci", "kerja.err_source_detail"),
            ("source", "sumber", "kerja.err_ev_source"),
            ("collected_on", "tanggal_bukti", "kerja.err_past_date"),
            ("description", "uraian", "kerja.err_description"),
            ("file", "berkas", "kerja.err_file"),
        ],
        "kunjungan" => &[
            ("visited_on", "tanggal_kunjungan", "kerja.err_past_date"),
            ("location", "lokasi", "kerja.err_location"),
            ("present", "hadir_kunjungan", "kasus.err_present"),
            ("findings", "temuan", "kerja.err_findings"),
        ],
        "koordinasi" => &[
            ("agency", "instansi", "kerja.err_agency"),
            ("channel", "cara_koordinasi", "kasus.err_channel"),
            ("held_on", "tanggal_koordinasi", "kerja.err_past_date"),
            ("summary", "ringkasan_koordinasi", "kerja.err_summary"),
        ],
        "sesi" => &[
            ("kind", "jenis_sesi", "kerja.err_session_kind"),
            ("held_on", "tanggal_sesi", "kerja.err_past_date"),
            ("topic_codes", "topik", "kerja.err_topics"),
            ("parties", "pihak_sesi", "kerja.err_parties"),
            ("outcome", "hasil_sesi", "kerja.err_session_outcome"),
            ("agreement_terms", "kesepakatan", "kerja.err_terms"),
            ("summary", "ringkasan_sesi", "kerja.err_summary"),
            ("next_session_on", "sesi_berikut", "kerja.err_next"),
        ],
        "persetujuan" => &[
            ("subject_role", "subjek", "kerja.err_subject"),
            ("subject_name", "nama_subjek", "kerja.err_subject_name"),
            ("subject_is_child", "pemberi", "kerja.err_giver"),
            ("giver_name", "nama_pemberi", "kerja.err_giver_name"),
            ("giver", "pemberi", "kerja.err_giver"),
            ("form", "bentuk", "kerja.err_form"),
            ("given_on", "tanggal_persetujuan", "kerja.err_past_date"),
        ],
        "rujukan" => &[
            ("agency_name", "lembaga", "kerja.err_referral_agency"),
            ("agency", "lembaga", "kerja.err_referral_agency"),
            (
                "violence_type_code",
                "jenis_kekerasan",
                "kerja.err_violence",
            ),
            ("place_code", "tempat", "kerja.err_place"),
            ("relationship_code", "hubungan", "kerja.err_relation"),
            ("age_band_code", "usia", "kerja.err_age"),
            ("service_codes", "layanan", "kerja.err_services"),
            ("reason", "alasan_rujukan", "kerja.err_referral_reason"),
            ("consent_id", "persetujuan", "kerja.err_consent"),
            ("override_reason", "alasan_tanpa", "kerja.err_override"),
        ],
        "wawancara" => &[
            (
                "intake_amendment.content.incident_date",
                "ubah_tanggal",
                "kerja.err_past_date",
            ),
            (
                "intake_amendment.content.incident_place",
                "ubah_tempat",
                "kerja.err_amendment",
            ),
            (
                "intake_amendment.reported_party",
                "ubah_teradu",
                "kerja.err_amendment",
            ),
            (
                "intake_amendment.reason",
                "ubah_alasan",
                "kerja.err_amendment",
            ),
            ("intake_amendment", "ubah_kronologi", "kerja.err_amendment"),
        ],
        _ => &[],
    };
    table
        .iter()
        .find(|(p, _, _)| proto.starts_with(p))
        .map(|(_, f, k)| (*f, *k))
}

/// What an interview establishes for intake's record (S9), from the interview form's
/// "perbarui catatan pengaduan" fields: None when none is filled in.
pub(crate) fn amendment(
    c: &Console,
    f: &Fields,
    held_on: &str,
) -> Result<Option<vpb::IntakeAmendment>, Vec<FieldError>> {
    use aduan_proto::intake::v1 as ipb;
    let mut paths = Vec::new();
    let mut content = ipb::ComplaintContent::default();
    let mut reported = common::Person::default();
    let mut errors = Vec::new();
    let chronology = field(f, "ubah_kronologi");
    if !chronology.is_empty() {
        paths.push("content.chronology".to_string());
        content.chronology = chronology.to_string();
    }
    let incident = field(f, "ubah_tanggal");
    if !incident.is_empty() {
        match date_of(f, "ubah_tanggal") {
            Some(d) => {
                paths.push("content.incident_date".to_string());
                content.incident_date = Some(d);
            }
            None => errors.push(err(c, "ubah_tanggal", "kerja.err_past_date")),
        }
    }
    let place = field(f, "ubah_tempat");
    if !place.is_empty() {
        paths.push("content.incident_place".to_string());
        content.incident_place = place.to_string();
    }
    let name = field(f, "ubah_teradu");
    if !name.is_empty() {
        paths.push("reported_party.full_name".to_string());
        reported.full_name = name.to_string();
    }
    let description = field(f, "ubah_ciri");
    if !description.is_empty() {
        paths.push("reported_party.description".to_string());
        reported.description = description.to_string();
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if paths.is_empty() {
        return Ok(None);
    }
    let reason = match field(f, "ubah_alasan") {
        "" => format!("S9 wawancara {held_on} (konsol)"),
        r => r.to_string(),
    };
    Ok(Some(vpb::IntakeAmendment {
        expected_revision: 0,
        update_mask: Some(prost_types::FieldMask { paths }),
        patch: Some(ipb::ComplaintPatch {
            reported_party: Some(reported),
            content: Some(content),
            ..Default::default()
        }),
        reason,
    }))
}

/// POST `/staf/kasus/<id>/kunjungan`: a home visit (S10).
pub async fn home_visit(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let visited_on = date_of(&f, "tanggal_kunjungan");
    if visited_on.is_none() {
        let e = vec![err(&c, "tanggal_kunjungan", "kerja.err_past_date")];
        return bidang::invalid(&c, &s, &id, "kunjungan", &f, e).await;
    }
    let msg = vpb::RecordHomeVisitRequest {
        complaint_id: id.clone(),
        visited_on,
        location: field(&f, "lokasi").to_string(),
        present: names(field(&f, "hadir_kunjungan")),
        findings: field(&f, "temuan").to_string(),
    };
    bidang::send(&c, &s, &id, "kunjungan", &f, msg, |mut v, r| async move {
        v.record_home_visit(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/koordinasi`: coordination with another agency (S10).
pub async fn coordination(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let channel = pick(&CHANNELS, field(&f, "cara_koordinasi"));
    if channel.is_none() {
        errors.push(err(&c, "cara_koordinasi", "kasus.err_channel"));
    }
    let held_on = date_of(&f, "tanggal_koordinasi");
    if held_on.is_none() {
        errors.push(err(&c, "tanggal_koordinasi", "kerja.err_past_date"));
    }
    if !errors.is_empty() {
        return bidang::invalid(&c, &s, &id, "koordinasi", &f, errors).await;
    }
    let msg = vpb::RecordCoordinationRequest {
        complaint_id: id.clone(),
        agency: field(&f, "instansi").to_string(),
        channel: channel.unwrap_or_default(),
        held_on,
        summary: field(&f, "ringkasan_koordinasi").to_string(),
    };
    bidang::send(&c, &s, &id, "koordinasi", &f, msg, |mut v, r| async move {
        v.record_coordination(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/sesi`: an investigation, mediation or counselling session (S11).
pub async fn session(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let kind = pick(&SESSION_KINDS, field(&f, "jenis_sesi"));
    if kind.is_none() {
        errors.push(err(&c, "jenis_sesi", "kerja.err_session_kind"));
    }
    let held_on = date_of(&f, "tanggal_sesi");
    if held_on.is_none() {
        errors.push(err(&c, "tanggal_sesi", "kerja.err_past_date"));
    }
    let outcome = pick(&SESSION_OUTCOMES, field(&f, "hasil_sesi"));
    if outcome.is_none() {
        errors.push(err(&c, "hasil_sesi", "kerja.err_session_outcome"));
    }
    let mut parties = Vec::new();
    for n in 1..=PARTY_ROWS {
        let name = field(&f, &format!("nama_sesi_{n}"));
        let role = field(&f, &format!("pihak_sesi_{n}"));
        if name.is_empty() && role.is_empty() {
            continue;
        }
        match pick(&PARTIES, role) {
            Some(role) if !name.is_empty() => parties.push(vpb::SessionParty {
                role,
                name: name.to_string(),
                attended: field(&f, &format!("hadir_sesi_{n}")) == "ya",
            }),
            _ => {
                if !errors.iter().any(|e: &FieldError| e.field == "pihak_sesi") {
                    errors.push(err(&c, "pihak_sesi", "kerja.err_party_row"));
                }
            }
        }
    }
    let next = field(&f, "sesi_berikut");
    let next_session_on = date_of(&f, "sesi_berikut");
    if !next.is_empty() && next_session_on.is_none() {
        errors.push(err(&c, "sesi_berikut", "kerja.err_next"));
    }
    if !errors.is_empty() {
        return bidang::invalid(&c, &s, &id, "sesi", &f, errors).await;
    }
    let msg = vpb::RecordSessionRequest {
        complaint_id: id.clone(),
        kind: kind.unwrap_or_default(),
        held_on,
        topic_codes: f
            .iter()
            .filter(|(k, v)| k == "topik" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect(),
        parties,
        outcome: outcome.unwrap_or_default(),
        agreement_terms: field(&f, "kesepakatan").to_string(),
        summary: field(&f, "ringkasan_sesi").to_string(),
        next_session_on,
    };
    bidang::send(&c, &s, &id, "sesi", &f, msg, |mut v, r| async move {
        v.record_session(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/persetujuan`: a consent to a referral (S11).
pub async fn consent(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let subject = pick(&CONSENT_SUBJECTS, field(&f, "subjek"));
    if subject.is_none() {
        errors.push(err(&c, "subjek", "kerja.err_subject"));
    }
    let giver = pick(&GIVERS, field(&f, "pemberi"));
    if giver.is_none() {
        errors.push(err(&c, "pemberi", "kerja.err_giver"));
    }
    let form = pick(&CONSENT_FORMS, field(&f, "bentuk"));
    if form.is_none() {
        errors.push(err(&c, "bentuk", "kerja.err_form"));
    }
    let given_on = date_of(&f, "tanggal_persetujuan");
    if given_on.is_none() {
        errors.push(err(&c, "tanggal_persetujuan", "kerja.err_past_date"));
    }
    if !errors.is_empty() {
        return bidang::invalid(&c, &s, &id, "persetujuan", &f, errors).await;
    }
    let msg = vpb::RecordConsentRequest {
        complaint_id: id.clone(),
        subject_role: subject.unwrap_or_default(),
        subject_name: field(&f, "nama_subjek").to_string(),
        subject_is_child: field(&f, "anak") == "ya",
        giver: giver.unwrap_or_default(),
        giver_name: field(&f, "nama_pemberi").to_string(),
        giver_is_alleged_perpetrator: field(&f, "pelaku") == "ya",
        form: form.unwrap_or_default(),
        given_on,
    };
    bidang::send(&c, &s, &id, "persetujuan", &f, msg, |mut v, r| async move {
        v.record_consent(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/rujukan`: a referral to UPTD PPA or another agency (S11), resting on
/// a recorded consent or, for the Head and the Kepala Bidang, an override with its reason.
pub async fn referral(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = field(&f, "lembaga");
    let Some(agency) = c.refdata.agency(code) else {
        let e = vec![err(&c, "lembaga", "kerja.err_referral_agency")];
        return bidang::invalid(&c, &s, &id, "rujukan", &f, e).await;
    };
    let office_name = c
        .refdata
        .office(&s.user.office_code)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let override_reason = if may_override(&roles_of(&s)) {
        field(&f, "alasan_tanpa")
    } else {
        ""
    };
    let consent_id = field(&f, "persetujuan");
    if consent_id.is_empty() && override_reason.is_empty() {
        let e = vec![err(&c, "persetujuan", "kerja.err_consent")];
        return bidang::invalid(&c, &s, &id, "rujukan", &f, e).await;
    }
    let msg = vpb::MakeReferralRequest {
        complaint_id: id.clone(),
        agency: agency.code.clone(),
        agency_name: agency.name_for(&office_name),
        violence_type_code: field(&f, "jenis_kekerasan").to_string(),
        place_code: field(&f, "tempat").to_string(),
        relationship_code: field(&f, "hubungan").to_string(),
        age_band_code: field(&f, "usia").to_string(),
        service_codes: f
            .iter()
            .filter(|(k, v)| k == "layanan" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect(),
        reason: field(&f, "alasan_rujukan").to_string(),
        consent_id: if override_reason.is_empty() {
            consent_id.to_string()
        } else {
            String::new()
        },
        override_reason: override_reason.to_string(),
    };
    bidang::send(&c, &s, &id, "rujukan", &f, msg, |mut v, r| async move {
        v.make_referral(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/rujukan/<referral>/jawaban`: the receiving agency's answer, recorded
/// by the Kepala Bidang or an assigned officer (a partner agency answers over gRPC itself).
pub async fn answer(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path((id, referral)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&referral) {
        return not_found(&c);
    }
    let accepted = match field(&f, "diterima") {
        "ya" => true,
        "tidak" => false,
        _ => {
            let e = vec![err(&c, "", "kerja.err_answer")];
            return bidang::invalid(&c, &s, &id, "jawab_rujukan", &f, e).await;
        }
    };
    let msg = vpb::AnswerReferralRequest {
        complaint_id: id.clone(),
        referral_id: referral,
        accepted,
        reason_code: field(&f, "kode_alasan").to_string(),
        note: field(&f, "catatan_lembaga").to_string(),
        agency_reference: field(&f, "nomor_lembaga").to_string(),
    };
    let req = match bearer(&s, msg) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let r = bidang::client(&c).answer_referral(req).await;
    bidang::after(&c, &s, &id, "jawab_rujukan", &f, r).await
}

/// The media type to send for an uploaded file: the browser's when investigation takes it, else
/// by the name's extension, else the browser's (investigation then refuses it, beside the field).
fn media_type(declared: &str, file_name: &str) -> String {
    let declared = declared.split(';').next().unwrap_or("").trim();
    if MEDIA_TYPES.iter().any(|(_, t)| *t == declared) {
        return declared.to_string();
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    MEDIA_TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| declared.to_string())
}

/// Reads the rest of a part and drops it: with [`drain_rest`], the browser gets the answer
/// rather than a reset connection.
async fn drain(field: Option<axum::extract::multipart::Field<'_>>) {
    if let Some(mut f) = field {
        while let Ok(Some(_)) = f.chunk().await {}
    }
}

/// Reads the parts left of a multipart body and drops them.
async fn drain_rest(mp: &mut Multipart) {
    while let Ok(Some(mut f)) = mp.next_field().await {
        while let Ok(Some(_)) = f.chunk().await {}
    }
}

/// POST `/staf/kasus/<id>/bukti` (multipart/form-data, the file last): a piece of evidence
/// (S10). The file goes to investigation's `UploadEvidence` piece by piece as it arrives, so the
/// console never holds it whole; investigation removes location and other metadata from images,
/// audio, video and PDFs, and stops an upload past its limit.
pub async fn evidence(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut f: Fields = Vec::new();
    let file = loop {
        let part = match mp.next_field().await {
            Ok(Some(p)) => p,
            Ok(None) => break None,
            Err(e) => {
                tracing::debug!(error = %e, "console: an unreadable evidence form");
                return (StatusCode::BAD_REQUEST, "").into_response();
            }
        };
        let name = part.name().unwrap_or("").to_string();
        if name == "berkas" {
            break Some(part);
        }
        let mut text = Vec::new();
        let mut part = part;
        loop {
            match part.chunk().await {
                Ok(Some(b)) if text.len() + b.len() <= MAX_TEXT_FIELD => text.extend_from_slice(&b),
                Ok(Some(_)) => {
                    drain(Some(part)).await;
                    drain_rest(&mut mp).await;
                    return (StatusCode::PAYLOAD_TOO_LARGE, "").into_response();
                }
                Ok(None) => break,
                Err(_) => return (StatusCode::BAD_REQUEST, "").into_response(),
            }
        }
        f.push((name, String::from_utf8_lossy(&text).into_owned()));
    };
    if !crate::security::same(field(&f, "csrf"), &s.csrf) || !valid_id(&id) {
        drain(file).await;
        drain_rest(&mut mp).await;
        return match posted_by(&c, &headers, &id, &f).await {
            Err(r) => r,
            Ok(_) => not_found(&c),
        };
    }
    let mut errors = Vec::new();
    let kind = pick(&EVIDENCE_KINDS, field(&f, "jenis_bukti"));
    if kind.is_none() {
        errors.push(err(&c, "jenis_bukti", "kerja.err_ev_kind"));
    }
    let source = pick(&EVIDENCE_SOURCES, field(&f, "sumber"));
    if source.is_none() {
        errors.push(err(&c, "sumber", "kerja.err_ev_source"));
    }
    let collected_on = date_of(&f, "tanggal_bukti");
    if collected_on.is_none() {
        errors.push(err(&c, "tanggal_bukti", "kerja.err_past_date"));
    }
    if !errors.is_empty() {
        drain(file).await;
        drain_rest(&mut mp).await;
        return bidang::invalid(&c, &s, &id, "bukti", &f, errors).await;
    }
    let mut evidence = vpb::AddEvidenceRequest {
        complaint_id: id.clone(),
        kind: kind.unwrap_or_default(),
        source: source.unwrap_or_default(),
        source_detail: field(&f, "sumber_rinci").to_string(),
        collected_on,
        collected_by: String::new(),
        description: field(&f, "uraian").to_string(),
        file: None,
    };
    let chosen = file
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
        .filter(|n| !n.is_empty());
    let Some(file_name) = chosen else {
        // No file: the record alone.
        drain(file).await;
        drain_rest(&mut mp).await;
        return bidang::send(&c, &s, &id, "bukti", &f, evidence, |mut v, r| async move {
            v.add_evidence(r).await
        })
        .await;
    };
    let Some(mut part) = file else {
        return (StatusCode::BAD_REQUEST, "").into_response();
    };
    let content_type = media_type(part.content_type().unwrap_or(""), &file_name);
    evidence.file = Some(vpb::FileUpload {
        file_name,
        content_type,
        content: Vec::new(),
    });
    use vpb::upload_evidence_request::Part;
    let (tx, rx) = tokio::sync::mpsc::channel::<vpb::UploadEvidenceRequest>(4);
    let req = match bearer(&s, tokio_stream::wrappers::ReceiverStream::new(rx)) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let mut client = bidang::client(&c);
    let call = tokio::spawn(async move { client.upload_evidence(req).await });
    let mut open = tx
        .send(vpb::UploadEvidenceRequest {
            part: Some(Part::Evidence(evidence)),
        })
        .await
        .is_ok();
    let mut piece: Vec<u8> = Vec::with_capacity(PIECE);
    let mut broken = false;
    loop {
        match part.chunk().await {
            Ok(Some(b)) => {
                if !open {
                    continue;
                }
                piece.extend_from_slice(&b);
                if piece.len() >= PIECE {
                    let chunk = std::mem::replace(&mut piece, Vec::with_capacity(PIECE));
                    open = tx
                        .send(vpb::UploadEvidenceRequest {
                            part: Some(Part::Chunk(chunk)),
                        })
                        .await
                        .is_ok();
                }
            }
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    if open && !piece.is_empty() && !broken {
        let _ = tx
            .send(vpb::UploadEvidenceRequest {
                part: Some(Part::Chunk(piece)),
            })
            .await;
    }
    if broken {
        // The browser stopped sending: the call is abandoned, nothing is stored.
        call.abort();
        return (StatusCode::BAD_REQUEST, "").into_response();
    }
    drop(tx);
    drain(Some(part)).await;
    drain_rest(&mut mp).await;
    let result = match call.await {
        Ok(r) => r,
        Err(_) => Err(tonic::Status::unavailable("the upload stopped")),
    };
    bidang::after(&c, &s, &id, "bukti", &f, result).await
}

/// A file name safe for a `Content-Disposition` header: ASCII letters, digits, dots, dashes and
/// underscores; anything else becomes "_".
fn header_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .take(120)
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') {
                ch
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches(['.', '_']).is_empty() {
        "bukti".into()
    } else {
        safe
    }
}

/// GET `/staf/kasus/<id>/bukti/<evidence>`: the stored file (as investigation keeps it, location
/// data removed), as a download; the read is in the access log with its purpose.
pub async fn evidence_file(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path((id, evidence)): Path<(String, String)>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) || !valid_id(&evidence) {
        return not_found(&c);
    }
    let req = match bearer(
        &s,
        vpb::GetEvidenceFileRequest {
            complaint_id: id,
            evidence_id: evidence,
            purpose: FILE_PURPOSE.into(),
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let file = match bidang::client(&c).get_evidence_file(req).await {
        Ok(r) => r.into_inner(),
        Err(st) if matches!(st.code(), Code::NotFound | Code::PermissionDenied) => {
            return not_found(&c);
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: an evidence file is unavailable");
            return unavailable(&c);
        }
    };
    let info = file.info.unwrap_or_default();
    let kind = MEDIA_TYPES
        .iter()
        .find(|(_, t)| *t == info.content_type)
        .map(|(_, t)| *t)
        .unwrap_or("application/octet-stream");
    let disposition = format!("attachment; filename=\"{}\"", header_name(&info.file_name));
    let mut r = file.content.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The done-notices of the casework forms (the page's `?selesai=`).
pub(crate) const DONE: [&str; 8] = [
    "bukti",
    "kunjungan",
    "koordinasi",
    "sesi",
    "persetujuan",
    "rujukan",
    "jawab_rujukan",
    "wawancara_ubah",
];

/// A redirect to the page after an interview that amended intake's record.
pub(crate) fn amended(id: &str) -> Response {
    Redirect::to(&format!("/staf/kasus/{id}?selesai=wawancara_ubah")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_browser_or_extension() {
        assert_eq!(media_type("image/jpeg", "x.bin"), "image/jpeg");
        assert_eq!(
            media_type("application/octet-stream", "Foto.JPG"),
            "image/jpeg"
        );
        assert_eq!(media_type("", "rekaman.m4a"), "audio/mp4");
        assert_eq!(
            media_type("application/zip", "arsip.zip"),
            "application/zip"
        );
        assert_eq!(media_type("text/plain; charset=utf-8", "a"), "text/plain");
    }

    #[test]
    fn download_names_are_plain() {
        assert_eq!(header_name("foto rumah.jpg"), "foto_rumah.jpg");
        assert_eq!(header_name("a\"b\r\n.pdf"), "a_b__.pdf");
        assert_eq!(header_name("...."), "bukti");
        assert_eq!(header_name("ümlaut"), "_mlaut");
    }

    #[test]
    fn names_split_on_commas_and_lines() {
        assert_eq!(names("A, B\nC,,"), vec!["A", "B", "C"]);
        assert!(names(" , ").is_empty());
    }
}
