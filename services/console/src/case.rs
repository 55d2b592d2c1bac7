//! The complaint page and the steps S4-S7 in the browser: the triage record, the timeline
//! across the services and intake's revisions; personal data only after the reader states a
//! purpose (intake logs the read); screening (S4) and forwarding (S5) for the complaints
//! officer; the Head's disposition (S6-S7) and the disposition sheet as PDF. Every step is the
//! services' own RPC with the signed-in person's token: they check roles, office and order again.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as ipb;
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use aduan_proto::reporting::v1 as rpb;
use aduan_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use aduan_proto::triage::v1 as tpb;
use aduan_proto::triage::v1::triage_service_client::TriageServiceClient;
use aduan_runtime::auth::Role;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;
use tonic_types::StatusExt;

use crate::public::{forbidden, message, requirement_key, status_key, unavailable};
use crate::staff::{bearer, roles_of, session, to_sign_in, with_token};
use crate::store::SessionRow;
use crate::views::{self, CaseView, DispositionLine, FieldError, Page, Personal};
use crate::{Console, i18n};

/// The purpose of the triage read behind the complaint page (triage logs every read).
const PAGE_PURPOSE: &str = "konsol: halaman pengaduan";

/// The purposes a reader picks before personal data shows: (code, catalogue key).
const PURPOSES: [(&str, &str); 5] = [
    ("s4", "case.purpose_s4"),
    ("s5", "case.purpose_s5"),
    ("s6", "case.purpose_s6"),
    ("s9", "case.purpose_s9"),
    ("lain", "case.purpose_other"),
];

/// The instructions of the disposition sheet: (enum, form value, catalogue key).
pub(crate) const INSTRUCTIONS: [(tpb::Instruction, &str, &str); 8] = [
    (
        tpb::Instruction::UntukDitindaklanjuti,
        "tindak_lanjut",
        "case.ins_follow_up",
    ),
    (
        tpb::Instruction::UntukDiketahui,
        "diketahui",
        "case.ins_know",
    ),
    (
        tpb::Instruction::Koordinasikan,
        "koordinasikan",
        "case.ins_coordinate",
    ),
    (
        tpb::Instruction::SiapkanJawaban,
        "siapkan_jawaban",
        "case.ins_reply",
    ),
    (
        tpb::Instruction::ProsesSesuaiKetentuan,
        "proses",
        "case.ins_process",
    ),
    (
        tpb::Instruction::PelajariDanTelaah,
        "telaah",
        "case.ins_study",
    ),
    (
        tpb::Instruction::HadirMewakili,
        "mewakili",
        "case.ins_attend",
    ),
    (tpb::Instruction::Arsip, "arsip", "case.ins_archive"),
];

/// The natures (sifat): (enum, form value, catalogue key).
const NATURES: [(tpb::Nature, &str, &str); 4] = [
    (tpb::Nature::Biasa, "biasa", "case.nature_biasa"),
    (tpb::Nature::Segera, "segera", "case.nature_segera"),
    (
        tpb::Nature::SangatSegera,
        "sangat_segera",
        "case.nature_sangat_segera",
    ),
    (tpb::Nature::Rahasia, "rahasia", "case.nature_rahasia"),
];

/// `?selesai=…` after a step: which notice to show.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    selesai: Option<String>,
}

/// A form posted to a complaint: its fields, repeats kept (the instructions are checkboxes).
pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

pub(crate) fn values_of(f: &Fields) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in f {
        if k != "csrf" {
            m.entry(k.clone())
                .and_modify(|e: &mut String| {
                    e.push(',');
                    e.push_str(v)
                })
                .or_insert_with(|| v.clone());
        }
    }
    m
}

/// The signed-in staff member (password changed), or the answer to give instead.
pub(crate) async fn staff(c: &Console, headers: &HeaderMap) -> Result<SessionRow, Response> {
    let Some(s) = session(c, headers).await else {
        return Err(to_sign_in());
    };
    if s.user.must_change_password {
        return Err(Redirect::to("/staf/sandi").into_response());
    }
    Ok(s)
}

pub(crate) fn not_found(c: &Console) -> Response {
    message(
        c,
        StatusCode::NOT_FOUND,
        "error.not_found_title",
        "case.not_found",
    )
}

fn csrf_refused(c: &Console) -> Response {
    message(
        c,
        StatusCode::FORBIDDEN,
        "error.forbidden_title",
        "error.csrf_body",
    )
}

/// A complaint id as intake issues them (a UUID); anything else is not found.
pub(crate) fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok() && id.len() == 36
}

pub(crate) fn when(t: &Option<prost_types::Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    t.as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(|t| i18n::date_time(t, tz))
        .unwrap_or_else(|| "-".into())
}

fn civil(d: &Option<common::Date>) -> Option<jiff::civil::Date> {
    let d = d.as_ref()?;
    jiff::civil::Date::new(
        i16::try_from(d.year).ok()?,
        i8::try_from(d.month).ok()?,
        i8::try_from(d.day).ok()?,
    )
    .ok()
}

pub(crate) fn day(d: &Option<common::Date>) -> String {
    civil(d).map(i18n::date).unwrap_or_else(|| "-".into())
}

/// The rows of reporting's timeline as pages show them: (when, step, what, who).
pub(crate) fn timeline_rows(
    c: &Console,
    t: &rpb::Timeline,
    tz: &jiff::tz::TimeZone,
) -> Vec<(String, String, String, String)> {
    t.entries
        .iter()
        .map(|e| {
            (
                when(&e.occurred_at, tz),
                aduan_documents::labels::step_label(e.step).to_string(),
                aduan_documents::labels::kind_label(&e.kind).to_string(),
                e.actor
                    .as_ref()
                    .map(|a| role_label(c, &a.role))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

pub(crate) fn role_label(c: &Console, role: &str) -> String {
    match Role::parse(role) {
        Some(r) => c.cat.t(crate::staff::role_key(r)).to_string(),
        None if role == "system" || role.is_empty() => c.cat.t("case.system").to_string(),
        None => role.to_string(),
    }
}

fn nature_label(c: &Console, n: i32) -> String {
    NATURES
        .iter()
        .find(|(e, _, _)| *e as i32 == n)
        .map(|(_, _, k)| c.cat.t(k).to_string())
        .unwrap_or_else(|| c.cat.t("case.nature_biasa").to_string())
}

fn requirement_label(r: i32) -> String {
    format!("R{r}")
}

/// What the three services answer for the page: triage's record (required), the timeline and
/// the revisions (shown when the reader's role may see them).
struct Loaded {
    case: tpb::TriageCase,
    timeline: Option<rpb::Timeline>,
    revisions: Option<Vec<ipb::ComplaintRevision>>,
}

/// `with_revisions`: intake's revision history too (an audited read with free text: only with
/// the personal data, after a stated purpose).
async fn load(
    c: &Console,
    s: &SessionRow,
    id: &str,
    with_revisions: bool,
) -> Result<Loaded, Response> {
    let roles = roles_of(s);
    let desk = roles.contains(&Role::ComplaintsOfficer) || roles.contains(&Role::Head);
    // One token for the page's calls.
    let token = s.token.clone();
    let triage = async {
        let req = with_token(
            &token,
            tpb::GetCaseRequest {
                complaint_id: id.to_string(),
                purpose: PAGE_PURPOSE.into(),
            },
        )
        .map_err(|_| Some(unavailable(c)))?;
        match TriageServiceClient::new(c.triage.clone())
            .get_case(req)
            .await
        {
            Ok(r) => Ok(r.into_inner()),
            Err(st) if matches!(st.code(), Code::NotFound | Code::InvalidArgument) => Err(None),
            Err(st) if st.code() == Code::PermissionDenied => Err(Some(forbidden(c))),
            Err(st) => {
                tracing::warn!(code = ?st.code(), "console: triage's record is unavailable");
                Err(Some(unavailable(c)))
            }
        }
    };
    let timeline = async {
        let req = with_token(
            &token,
            rpb::GetTimelineRequest {
                complaint_id: id.to_string(),
            },
        )
        .ok()?;
        ReportingServiceClient::new(c.reporting.clone())
            .get_timeline(req)
            .await
            .ok()
            .map(|r| r.into_inner())
    };
    let fetch_revisions = || async {
        if !desk {
            return None;
        }
        let req = with_token(
            &token,
            ipb::ListComplaintRevisionsRequest {
                complaint_id: id.to_string(),
            },
        )
        .ok()?;
        IntakeServiceClient::new(c.intake.clone())
            .list_complaint_revisions(req)
            .await
            .ok()
            .map(|r| r.into_inner().revisions)
    };
    let revisions = async {
        if with_revisions {
            fetch_revisions().await
        } else {
            None
        }
    };
    let (case, timeline, mut revisions) = tokio::join!(triage, timeline, revisions);
    if matches!(case, Err(None)) && revisions.is_none() {
        // Not in triage: is it in intake (a registration on its way)?
        revisions = fetch_revisions().await;
    }
    let case = match case {
        Ok(case) => case,
        // Intake has it but triage not yet: the registration is on its way (the relay).
        Err(None) if revisions.as_ref().is_some_and(|r| !r.is_empty()) => {
            return Err(message(
                c,
                StatusCode::NOT_FOUND,
                "case.arriving_title",
                "case.arriving",
            ));
        }
        Err(None) => return Err(not_found(c)),
        Err(Some(r)) => return Err(r),
    };
    Ok(Loaded {
        case,
        timeline,
        revisions,
    })
}

/// What a form sent back with errors carries to the page.
#[derive(Default)]
struct Posted {
    /// Which form: "saring", "teruskan", "disposisi", "data".
    form: &'static str,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

fn build<'a>(
    c: &'a Console,
    s: &SessionRow,
    l: Loaded,
    personal: Option<Personal>,
    posted: Posted,
    done: Option<&str>,
) -> CaseView<'a> {
    let roles = roles_of(s);
    let case = l.case;
    let tz = c.tz(&case.office_code);
    let status = common::ComplaintStatus::try_from(case.status).unwrap_or_default();
    let officer = roles.contains(&Role::ComplaintsOfficer);
    let head = roles.contains(&Role::Head);
    let sla = case.sla.clone().unwrap_or_default();
    let sla_state = if sla.state.is_empty() {
        "on_track".to_string()
    } else {
        sla.state.clone()
    };
    let current = case.dispositions.iter().rev().find(|d| !d.superseded);
    let office_name = c
        .refdata
        .office(&case.office_code)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| case.office_code.clone());
    let v = |k: &str| posted.values.get(k).cloned().unwrap_or_default();
    let picked_bidang = if posted.form == "disposisi" {
        v("bidang")
    } else {
        current.map(|d| d.bidang_code.clone()).unwrap_or_default()
    };
    let picked_nature = if posted.form == "disposisi" || posted.form == "teruskan" {
        v("sifat")
    } else {
        NATURES
            .iter()
            .find(|(e, _, _)| *e as i32 == case.nature)
            .map(|(_, code, _)| code.to_string())
            .unwrap_or_else(|| "biasa".into())
    };
    let ticked: Vec<String> = if posted.form == "disposisi" {
        v("instruksi").split(',').map(str::to_string).collect()
    } else {
        current
            .map(|d| {
                d.instructions
                    .iter()
                    .filter_map(|i| INSTRUCTIONS.iter().find(|(e, _, _)| *e as i32 == *i))
                    .map(|(_, code, _)| code.to_string())
                    .collect()
            })
            .unwrap_or_else(|| vec!["tindak_lanjut".into()])
    };
    let due_default = if posted.form == "disposisi" {
        v("tenggat")
    } else {
        current
            .and_then(|d| civil(&d.due_date))
            .or_else(|| civil(&sla.due_date))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let agency_office = office_name.clone();
    let notice = posted.notice.clone().or_else(|| {
        done.and_then(|d| match d {
            "saring" => Some(c.cat.t("case.done_screened").to_string()),
            "teruskan" => Some(c.cat.t("case.done_forwarded").to_string()),
            "disposisi" => Some(c.cat.t("case.done_disposed").to_string()),
            _ => None,
        })
    });
    CaseView {
        page: Page::staff(&c.cat, "case.title", s),
        csrf: s.csrf.clone(),
        id: case.complaint_id.clone(),
        registration_number: case.registration_number.clone(),
        office_name,
        status_label: c.cat.t(status_key(status)).to_string(),
        category: c
            .refdata
            .category(&case.category_code)
            .map(|k| k.label.clone())
            .unwrap_or_else(|| c.cat.t("case.no_category").to_string()),
        channel: c.cat.t(channel_key(case.channel)).to_string(),
        received: when(&case.received_at, &tz),
        registered: when(&case.registered_at, &tz),
        urgent: case.urgent,
        urgency_reasons: case
            .urgency_reasons
            .iter()
            .map(|r| {
                let k = format!("urgency.{r}");
                if c.cat.has(&k) {
                    c.cat.t(&k).to_string()
                } else {
                    r.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        anonymous: case.anonymous,
        confidential: case.confidential,
        involves_child: case.involves_child,
        reporter_identified: case.reporter_identified,
        unmet: case
            .unmet_requirements
            .iter()
            .map(|r| {
                format!(
                    "{}: {}",
                    requirement_label(*r),
                    c.cat.t(requirement_key(*r))
                )
            })
            .collect(),
        sla_due: when(&sla.due_at, &tz),
        sla_used: format!(
            "{} / {} {}",
            aduan_documents::angka(sla.working_days_used, 1),
            aduan_documents::angka(sla.working_days_budget, 0),
            c.cat.t("home.working_days")
        ),
        sla_label: c.cat.t(crate::staff::sla_key(&sla_state)).to_string(),
        sla_state,
        screening_reason: case.screening_reason.clone(),
        transferred: if !case.transferred_to.is_empty() {
            c.refdata
                .office(&case.transferred_to)
                .map(|o| o.name.clone())
                .unwrap_or_else(|| case.transferred_to.clone())
        } else {
            String::new()
        },
        transferred_from: c
            .refdata
            .office(&case.transferred_from)
            .map(|o| o.name.clone())
            .unwrap_or_else(|| case.transferred_from.clone()),
        referred_to: c
            .refdata
            .agency(&case.referred_to_agency)
            .map(|a| a.name_for(&agency_office))
            .unwrap_or_else(|| case.referred_to_agency.clone()),
        duplicate_of: case.duplicate_of.clone(),
        head_summary: case.head_summary.clone(),
        nature: nature_label(c, case.nature),
        dispositions: case
            .dispositions
            .iter()
            .rev()
            .map(|d| DispositionLine {
                version: d.version,
                bidang: if d.bidang_name.is_empty() {
                    d.bidang_code.clone()
                } else {
                    d.bidang_name.clone()
                },
                instructions: d
                    .instructions
                    .iter()
                    .filter_map(|i| INSTRUCTIONS.iter().find(|(e, _, _)| *e as i32 == *i))
                    .map(|(_, _, k)| c.cat.t(k).to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                note: d.note.clone(),
                due: day(&d.due_date),
                nature: nature_label(c, d.nature),
                issued: when(&d.issued_at, &tz),
                superseded: d.superseded,
                change_reason: d.change_reason.clone(),
            })
            .collect(),
        history: case
            .history
            .iter()
            .map(|h| {
                let k = format!("case.action_{}", h.action);
                (
                    when(&h.at, &tz),
                    if c.cat.has(&k) {
                        c.cat.t(&k).to_string()
                    } else {
                        h.action.clone()
                    },
                    h.actor
                        .as_ref()
                        .map(|a| role_label(c, &a.role))
                        .unwrap_or_default(),
                    h.note.clone(),
                )
            })
            .collect(),
        timeline: l
            .timeline
            .map(|t| timeline_rows(c, &t, &tz))
            .unwrap_or_default(),
        revisions: l
            .revisions
            .unwrap_or_default()
            .iter()
            .map(|r| {
                (
                    r.revision,
                    when(&r.created_at, &tz),
                    r.actor
                        .as_ref()
                        .map(|a| role_label(c, &a.role))
                        .unwrap_or_default(),
                    if r.revision == 1 {
                        c.cat.t("case.revision_first").to_string()
                    } else {
                        r.reason.clone()
                    },
                    r.changed_fields.join(", "),
                )
            })
            .collect(),
        can_reveal: officer || head,
        personal,
        purposes: PURPOSES
            .iter()
            .map(|(code, k)| {
                (
                    code.to_string(),
                    c.cat.t(k).to_string(),
                    posted.form == "data" && v("tujuan") == *code,
                )
            })
            .collect(),
        can_screen: officer && status == common::ComplaintStatus::Registered,
        can_forward: officer && status == common::ComplaintStatus::Accepted,
        can_dispose: head && status == common::ComplaintStatus::AwaitingDisposition,
        access_log: head,
        can_change: head
            && current.is_some()
            && matches!(
                status,
                common::ComplaintStatus::Disposed | common::ComplaintStatus::InHandling
            ),
        has_sheet: current.is_some(),
        offices: c
            .refdata
            .offices()
            .into_iter()
            .filter(|o| o.code != case.office_code)
            .map(|o| {
                (
                    o.code.clone(),
                    o.name.clone(),
                    posted.form == "saring" && v("kantor") == o.code,
                )
            })
            .collect(),
        agencies: c
            .refdata
            .agencies()
            .iter()
            .map(|a| {
                (
                    a.code.clone(),
                    a.name_for(&agency_office),
                    posted.form == "saring" && v("instansi") == a.code,
                )
            })
            .collect(),
        requirements: (1..=6)
            .map(|r| {
                (
                    r.to_string(),
                    format!("{}: {}", requirement_label(r), c.cat.t(requirement_key(r))),
                    if posted.form == "saring" {
                        v("persyaratan").split(',').any(|x| x == r.to_string())
                    } else {
                        case.unmet_requirements.contains(&r)
                    },
                )
            })
            .collect(),
        bidang: c
            .refdata
            .bidang_list()
            .iter()
            .map(|b| (b.code.clone(), b.name.clone(), b.code == picked_bidang))
            .collect(),
        instructions: INSTRUCTIONS
            .iter()
            .map(|(_, code, k)| {
                (
                    code.to_string(),
                    c.cat.t(k).to_string(),
                    ticked.iter().any(|t| t == code),
                )
            })
            .collect(),
        natures: NATURES
            .iter()
            .map(|(_, code, k)| {
                (
                    code.to_string(),
                    c.cat.t(k).to_string(),
                    *code == picked_nature,
                )
            })
            .collect(),
        due_default,
        decision: if posted.form == "saring" {
            v("keputusan")
        } else {
            String::new()
        },
        form: posted.form,
        values: posted.values,
        errors: posted.errors,
        notice,
    }
}

fn channel_key(ch: i32) -> &'static str {
    use common::Channel as C;
    match C::try_from(ch).unwrap_or(C::Unspecified) {
        C::WalkIn => "desk.channel_walk_in",
        C::Letter => "desk.channel_letter",
        C::Phone => "desk.channel_phone",
        C::Fax => "desk.channel_fax",
        C::Email => "desk.channel_email",
        C::Web => "case.channel_web",
        C::PartnerApi => "case.channel_partner",
        _ => "case.channel_other",
    }
}

async fn page(
    c: &Console,
    s: &SessionRow,
    id: &str,
    status: StatusCode,
    personal: Option<Personal>,
    posted: Posted,
    done: Option<&str>,
) -> Response {
    // Boxed: three services' calls joined make a large future for a debug build's stack.
    match Box::pin(load(c, s, id, personal.is_some())).await {
        Ok(l) => views::render(status, &build(c, s, l, personal, posted, done)),
        Err(r) => r,
    }
}

/// GET `/staf/pengaduan/<id>`: the complaint page.
pub async fn show(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) {
        return not_found(&c);
    }
    page(
        &c,
        &s,
        &id,
        StatusCode::OK,
        None,
        Posted::default(),
        q.selesai.as_deref(),
    )
    .await
}

/// The session of a form posted to a complaint, its CSRF token checked.
pub(crate) async fn posted_by(
    c: &Console,
    headers: &HeaderMap,
    id: &str,
    f: &Fields,
) -> Result<SessionRow, Response> {
    let s = staff(c, headers).await?;
    if !crate::security::same(field(f, "csrf"), &s.csrf) {
        return Err(csrf_refused(c));
    }
    if !valid_id(id) {
        return Err(not_found(c));
    }
    Ok(s)
}

pub(crate) fn err(c: &Console, field: &str, key: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: c.cat.t(key).into(),
    }
}

/// POST `/staf/pengaduan/<id>/data`: the personal data, read from intake with the stated purpose
/// (intake writes it to the complaint's access log).
pub async fn reveal(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = field(&f, "tujuan");
    let more = field(&f, "keterangan");
    let mut errors = Vec::new();
    let label = PURPOSES.iter().find(|(p, _)| *p == code).map(|(_, k)| *k);
    if label.is_none() {
        errors.push(err(&c, "tujuan", "case.err_purpose"));
    }
    if code == "lain" && more.chars().count() < 5 {
        errors.push(err(&c, "keterangan", "case.err_purpose_other"));
    }
    if more.chars().count() > 300 {
        errors.push(err(&c, "keterangan", "case.err_long"));
    }
    let posted = |errors, notice| Posted {
        form: "data",
        values: values_of(&f),
        errors,
        notice,
    };
    if !errors.is_empty() {
        return page(
            &c,
            &s,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            posted(errors, None),
            None,
        )
        .await;
    }
    let purpose = match (label, more.is_empty()) {
        (Some(k), true) => c.cat.t(k).to_string(),
        (Some(k), false) => format!("{}: {more}", c.cat.t(k)),
        (None, _) => String::new(),
    };
    let req = match bearer(
        &s,
        ipb::GetComplaintRequest {
            complaint_id: id.clone(),
            revision: 0,
            purpose: purpose.clone(),
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    match IntakeServiceClient::new(c.intake.clone())
        .get_complaint(req)
        .await
    {
        Ok(r) => {
            let Some(x) = r.into_inner().complaint else {
                return unavailable(&c);
            };
            tracing::info!(complaint = %id, "console: personal data read with a stated purpose");
            let personal = personal(&c, &x, purpose);
            page(
                &c,
                &s,
                &id,
                StatusCode::OK,
                Some(personal),
                Posted::default(),
                None,
            )
            .await
        }
        Err(st) if st.code() == Code::NotFound => not_found(&c),
        Err(st) if st.code() == Code::PermissionDenied => message(
            &c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "case.reveal_forbidden",
        ),
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: intake's record is unavailable");
            unavailable(&c)
        }
    }
}

fn person_lines(c: &Console, p: &common::Person) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |k: &str, v: String| {
        if !v.trim().is_empty() {
            out.push((c.cat.t(k).to_string(), v));
        }
    };
    add("portal.name", p.full_name.clone());
    add("portal.nik", p.nik.clone());
    add("portal.phone", p.phone.clone());
    add("portal.email", p.email.clone());
    add(
        "portal.address",
        p.address
            .as_ref()
            .map(|a| a.line.clone())
            .unwrap_or_default(),
    );
    if p.age_years > 0 {
        add(
            "case.age",
            format!("{} {}", p.age_years, c.cat.t("case.years")),
        );
    }
    add("case.relationship", p.relationship.clone());
    add("portal.reported_description", p.description.clone());
    out
}

fn personal(c: &Console, x: &ipb::Complaint, purpose: String) -> Personal {
    let content = x.content.clone().unwrap_or_default();
    let mut facts = Vec::new();
    let mut add = |k: &str, v: String| {
        if !v.trim().is_empty() {
            facts.push((c.cat.t(k).to_string(), v));
        }
    };
    add("portal.subject", content.subject.clone());
    add("portal.description", content.description.clone());
    add("portal.chronology", content.chronology.clone());
    add(
        "portal.date",
        civil(&content.incident_date)
            .map(i18n::date)
            .unwrap_or_default(),
    );
    add("portal.place", content.incident_place.clone());
    add("portal.outcome", content.requested_outcome.clone());
    if let Some(l) = &x.letter {
        add("desk.letter_number", l.number.clone());
        add(
            "desk.letter_date",
            civil(&l.date).map(i18n::date).unwrap_or_default(),
        );
        add("desk.letter_addressee", l.addressee.clone());
        add("desk.letter_subject", l.subject.clone());
    }
    Personal {
        purpose,
        reporter: x
            .reporter
            .as_ref()
            .map(|p| person_lines(c, p))
            .unwrap_or_default(),
        reported: x
            .reported_party
            .as_ref()
            .map(|p| person_lines(c, p))
            .unwrap_or_default(),
        victims: x.victims.iter().map(|p| person_lines(c, p)).collect(),
        content: facts,
        revision: x.revision,
    }
}

/// The form's errors of an INVALID_ARGUMENT from triage, mapped to the form's fields.
fn triage_errors(c: &Console, st: &tonic::Status) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(bad) = st.get_details_bad_request() {
        for v in bad.field_violations {
            let last = v.field.rsplit('.').next().unwrap_or("");
            let (f, k) = match last {
                "reason" | "change_reason" => ("alasan", "case.err_reason"),
                "target_office_code" => ("kantor", "case.err_office"),
                "agency" => ("instansi", "case.err_agency"),
                "requirements" => ("persyaratan", "case.err_requirements"),
                "duplicate_of" => ("duplikat", "case.err_duplicate"),
                "summary" => ("ringkasan", "case.err_summary"),
                "bidang_code" => ("bidang", "case.err_bidang"),
                "instructions" | "note" => ("instruksi", "case.err_instructions"),
                "due_date" => ("tenggat", "case.err_due"),
                "nature" => ("sifat", "case.err_nature"),
                _ => ("", "case.err_other"),
            };
            if !errors.iter().any(|e| e.field == f) {
                errors.push(err(c, f, k));
            }
        }
    }
    if errors.is_empty() {
        errors.push(err(c, "", "case.err_other"));
    }
    errors
}

/// How a refused step reads: the page again (its status, the form's problems, a notice), or
/// another answer (not found, forbidden, unavailable). Shared by the complaint page and the
/// Bidang's case page.
pub(crate) enum Refused {
    Again(StatusCode, Vec<FieldError>, Option<String>),
    Answer(Response),
}

/// The reading of a service's refusal of a step: INVALID_ARGUMENT gives the form's problems
/// (`errors`), FAILED_PRECONDITION the `out_of_order` notice, ALREADY_EXISTS says nothing
/// changed.
pub(crate) fn refused(
    c: &Console,
    st: &tonic::Status,
    form: &str,
    errors: impl FnOnce() -> Vec<FieldError>,
    out_of_order: &str,
) -> Refused {
    match st.code() {
        Code::InvalidArgument => Refused::Again(StatusCode::UNPROCESSABLE_ENTITY, errors(), None),
        Code::FailedPrecondition => Refused::Again(
            StatusCode::CONFLICT,
            Vec::new(),
            Some(c.cat.t(out_of_order).to_string()),
        ),
        Code::AlreadyExists => Refused::Again(
            StatusCode::CONFLICT,
            Vec::new(),
            Some(c.cat.t("error.unchanged").to_string()),
        ),
        Code::NotFound => Refused::Answer(not_found(c)),
        Code::PermissionDenied => Refused::Answer(forbidden(c)),
        code => {
            tracing::warn!(?code, form, "console: a step failed");
            Refused::Answer(unavailable(c))
        }
    }
}

/// Runs a step and answers: back to the complaint page with a notice, or the page with the
/// form's errors, or the reason the step is not possible now.
async fn step_result<T>(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    result: Result<T, tonic::Status>,
) -> Response {
    let st = match result {
        Ok(_) => {
            return Redirect::to(&format!("/staf/pengaduan/{id}?selesai={form}")).into_response();
        }
        Err(st) => st,
    };
    let (status, errors, notice) =
        match refused(c, &st, form, || triage_errors(c, &st), "case.out_of_order") {
            Refused::Again(status, errors, notice) => (status, errors, notice),
            Refused::Answer(r) => return r,
        };
    page(
        c,
        s,
        id,
        status,
        None,
        Posted {
            form,
            values: values_of(f),
            errors,
            notice,
        },
        None,
    )
    .await
}

/// Errors found before calling the service: the page again with them.
async fn invalid(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    errors: Vec<FieldError>,
) -> Response {
    page(
        c,
        s,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Posted {
            form,
            values: values_of(f),
            errors,
            notice: None,
        },
        None,
    )
    .await
}

/// POST `/staf/pengaduan/<id>/saring`: the screening decision (S4).
pub async fn screen(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    use tpb::screen_complaint_request::Decision;
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let reason = field(&f, "alasan").to_string();
    let decision = match field(&f, "keputusan") {
        "terima" => Some(Decision::Accept(tpb::Accept { note: reason })),
        "tolak" => Some(Decision::RejectSuratKaleng(tpb::RejectSuratKaleng {
            reason,
        })),
        "alihkan" => Some(Decision::Transfer(tpb::Transfer {
            target_office_code: field(&f, "kantor").to_string(),
            reason,
        })),
        "rujuk" => Some(Decision::ReferOut(tpb::ReferOut {
            agency: field(&f, "instansi").to_string(),
            reason,
        })),
        "lengkapi" => Some(Decision::NeedsInformation(tpb::NeedsInformation {
            reason,
            requirements: f
                .iter()
                .filter(|(k, _)| k == "persyaratan")
                .filter_map(|(_, v)| v.parse::<i32>().ok())
                .filter(|r| (1..=6).contains(r))
                .collect(),
        })),
        "duplikat" => Some(Decision::Duplicate(tpb::Duplicate {
            duplicate_of: field(&f, "duplikat").to_string(),
            reason,
        })),
        _ => None,
    };
    let Some(decision) = decision else {
        let e = vec![err(&c, "keputusan", "case.err_decision")];
        return invalid(&c, &s, &id, "saring", &f, e).await;
    };
    let req = match bearer(
        &s,
        tpb::ScreenComplaintRequest {
            complaint_id: id.clone(),
            decision: Some(decision),
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let r = TriageServiceClient::new(c.triage.clone())
        .screen_complaint(req)
        .await;
    step_result(&c, &s, &id, "saring", &f, r).await
}

fn nature_of(v: &str) -> Option<tpb::Nature> {
    NATURES
        .iter()
        .find(|(_, code, _)| *code == v)
        .map(|(e, _, _)| *e)
}

/// POST `/staf/pengaduan/<id>/teruskan`: forwarding to the Head with a summary (S5).
pub async fn forward(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(nature) = nature_of(field(&f, "sifat")) else {
        let e = vec![err(&c, "sifat", "case.err_nature")];
        return invalid(&c, &s, &id, "teruskan", &f, e).await;
    };
    let req = match bearer(
        &s,
        tpb::ForwardToHeadRequest {
            complaint_id: id.clone(),
            summary: field(&f, "ringkasan").to_string(),
            nature: nature as i32,
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let r = TriageServiceClient::new(c.triage.clone())
        .forward_to_head(req)
        .await;
    step_result(&c, &s, &id, "teruskan", &f, r).await
}

/// POST `/staf/pengaduan/<id>/disposisi`: the Head's disposition (S6-S7), or a change of it.
pub async fn dispose(
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
    let instructions: Vec<i32> = f
        .iter()
        .filter(|(k, _)| k == "instruksi")
        .filter_map(|(_, v)| INSTRUCTIONS.iter().find(|(_, code, _)| code == v))
        .map(|(e, _, _)| *e as i32)
        .collect();
    let nature = nature_of(field(&f, "sifat"));
    if nature.is_none() {
        errors.push(err(&c, "sifat", "case.err_nature"));
    }
    let due = field(&f, "tenggat");
    let due_date = if due.is_empty() {
        None
    } else {
        match due.parse::<jiff::civil::Date>() {
            Ok(d) => Some(common::Date {
                year: i32::from(d.year()),
                month: i32::from(d.month()),
                day: i32::from(d.day()),
            }),
            Err(_) => {
                errors.push(err(&c, "tenggat", "case.err_due"));
                None
            }
        }
    };
    if !errors.is_empty() {
        return invalid(&c, &s, &id, "disposisi", &f, errors).await;
    }
    let req = match bearer(
        &s,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: field(&f, "bidang").to_string(),
            instructions,
            note: field(&f, "catatan").to_string(),
            due_date,
            nature: nature.map(|n| n as i32).unwrap_or(0),
            change_reason: field(&f, "alasan").to_string(),
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    let r = TriageServiceClient::new(c.triage.clone())
        .issue_disposition(req)
        .await;
    step_result(&c, &s, &id, "disposisi", &f, r).await
}

/// GET `/staf/pengaduan/<id>/lembar-disposisi`: the disposition sheet as PDF, from reporting
/// (which reads the sheet from triage with the reader's token), shown in the browser.
pub async fn sheet(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) {
        return not_found(&c);
    }
    let req = rpb::GetDocumentRequest {
        kind: rpb::DocumentKind::DispositionSheet as i32,
        complaint_id: id.clone(),
        ..Default::default()
    };
    crate::followup::document(&c, &s, req, ("case.sheet_title", "case.sheet_none")).await
}
