//! The pages: one askama template per page (`templates/`), all on `base.html`. Texts come from
//! the catalogue through `page.t("key")`; askama escapes every value.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::Catalogue;

/// What every page needs: the catalogue, the title, and the signed-in person if any.
pub struct Page<'a> {
    cat: &'a Catalogue,
    /// The page's title (a catalogue key).
    pub title: &'a str,
    /// The signed-in person.
    pub user: Option<UserBar>,
    /// Loads htmx (staff pages with partial updates only; public pages carry no script).
    pub htmx: bool,
}

/// The signed-in person in the page's header.
pub struct UserBar {
    /// Display name.
    pub name: String,
    /// The session's CSRF token (the sign-out form).
    pub csrf: String,
    /// A local account, whose password is changed here (not one of the identity provider's).
    pub password: bool,
    /// Unread notifications (the header's badge).
    pub unread: i64,
}

impl<'a> Page<'a> {
    /// A public page.
    pub fn public(cat: &'a Catalogue, title: &'a str) -> Self {
        Self {
            cat,
            title,
            user: None,
            htmx: false,
        }
    }

    /// A staff page of a signed-in person.
    pub fn staff(cat: &'a Catalogue, title: &'a str, s: &crate::store::SessionRow) -> Self {
        Self {
            cat,
            title,
            user: Some(UserBar {
                name: s.user.display_name.clone(),
                csrf: s.csrf.clone(),
                password: s.user.has_password(),
                unread: s.unread,
            }),
            htmx: false,
        }
    }

    /// The text of a catalogue key.
    pub fn t(&self, key: &'a str) -> &'a str {
        self.cat.t(key)
    }
}

/// Renders a template as an HTML answer with `status`.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console: a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Terjadi kesalahan.").into_response()
        }
    }
}

/// An option of a select: (value, label, selected).
pub type Choice = (String, String, bool);

/// The message of `field`'s error, if any (every form's `error()`).
fn error_of<'e>(errors: &'e [FieldError], field: &str) -> Option<&'e str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

/// A form field's error, shown beside the field and in the summary at the top.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The form field's name (the `id` of its input).
    pub field: String,
    /// What is wrong, in Indonesian.
    pub message: String,
}

/// `/`: the public submission form.
#[derive(Template)]
#[template(path = "portal_form.html")]
pub struct PortalForm<'a> {
    pub page: Page<'a>,
    /// The front desk's variant (S1-S3): channel, time received, letter details; the office is
    /// the officer's.
    pub desk: bool,
    /// Where the form posts.
    pub action: &'static str,
    /// The channels an officer registers (desk only).
    pub channels: Vec<Choice>,
    pub csrf: String,
    pub request_id: String,
    pub offices: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub values: std::collections::HashMap<String, String>,
    pub errors: Vec<FieldError>,
    /// A failure that is not a field's (the service unavailable, too many requests).
    pub notice: Option<String>,
    /// The desk's R1-R6 check, when asked for.
    pub check: Option<CheckPanel>,
}

/// The desk's live check of R1-R6 and the repeat-complainant hint (intake's CheckComplaint).
pub struct CheckPanel {
    /// (requirement's text, met, interview hint when unmet).
    pub lines: Vec<(String, bool, String)>,
    /// Earlier complaints of the same reporter to this office.
    pub prior: i32,
    pub prior_text: String,
    /// Field problems that would refuse the registration.
    pub problems: Vec<String>,
}

/// The check panel alone (an htmx request).
#[derive(Template)]
#[template(path = "desk_check_fragment.html")]
pub struct CheckFragment<'a> {
    pub page: Page<'a>,
    pub check: Option<CheckPanel>,
}

impl PortalForm<'_> {
    /// The value typed into `field` (kept when the form comes back with errors).
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// True for a ticked checkbox.
    pub fn checked(&self, field: &str) -> bool {
        self.values.get(field).is_some_and(|v| v == "ya")
    }

    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// The receipt (tanda terima) after a submission.
#[derive(Template)]
#[template(path = "portal_receipt.html")]
pub struct Receipt<'a> {
    pub page: Page<'a>,
    pub registration_number: String,
    pub tracking_code: String,
    pub office_name: String,
    pub received: String,
    /// Plain-Indonesian explanations of the requirements still unmet.
    pub missing: Vec<String>,
}

/// The front desk's receipt (tanda terima), printable.
#[derive(Template)]
#[template(path = "desk_receipt.html")]
pub struct DeskReceipt<'a> {
    pub page: Page<'a>,
    /// The complaint id (the link to its page).
    pub id: String,
    pub office_name: String,
    pub registration_number: String,
    pub tracking_code: String,
    pub channel: String,
    pub received: String,
    pub registered: String,
    pub reporter: String,
    pub officer: String,
    /// The unmet requirements with intake's interview hints (S9).
    pub missing: Vec<String>,
}

/// `/lacak` and `/lacak/<code>`.
#[derive(Template)]
#[template(path = "track.html")]
pub struct Track<'a> {
    pub page: Page<'a>,
    pub code: String,
    pub result: Option<TrackResult>,
    pub notice: Option<String>,
}

/// What the public sees of a complaint.
pub struct TrackResult {
    pub office_name: String,
    pub status_label: String,
    /// A note for a complaint that left the usual path (transferred, rejected, …).
    pub status_note: Option<String>,
    /// (label, state: "done" | "now" | "todo").
    pub steps: Vec<(String, &'static str)>,
    pub received: String,
    pub registered: String,
    pub updated: String,
}

/// `/staf/masuk`.
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub username: String,
    pub notice: Option<String>,
    /// Staff sign in at the identity provider: a link there instead of the password form.
    pub provider: bool,
}

/// `/staf/sandi`.
#[derive(Template)]
#[template(path = "password.html")]
pub struct Password<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub must_change: bool,
    pub errors: Vec<FieldError>,
}

impl Password<'_> {
    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// One line of a staff queue.
pub struct QueueLine {
    /// The complaint's page: the complaint page, or the Bidang's case page.
    pub link: String,
    pub registration_number: String,
    pub category: String,
    pub status: String,
    pub urgent: bool,
    pub age: String,
    pub due: String,
    /// "on_track", "warning", "breached", "paused" or "stopped".
    pub sla_state: String,
    pub sla_label: String,
}

/// A count on a home page: (label, value, link: a list of what is counted, or "").
pub type Count = (String, String, String);

/// `/staf/`: the home page of a role.
#[derive(Template)]
#[template(path = "home.html")]
pub struct Home<'a> {
    pub page: Page<'a>,
    pub name: String,
    pub roles: Vec<String>,
    pub office_name: String,
    pub counts: Vec<Count>,
    pub queue_title: String,
    pub queue: Vec<QueueLine>,
    pub queue_more: bool,
    /// The queue is the Bidang's case list (its dates are when the Bidang received them).
    pub bidang_list: bool,
    pub is_admin: bool,
    /// The relays and access logs (operators, relay administrators).
    pub operations: bool,
    /// A complaints officer registers complaints at the front desk.
    /// The follow-up queue (S13-S16) is for this person.
    pub follow_up: bool,
    /// The dashboard (office or province) is for this person.
    pub dashboard: bool,
    pub can_register: bool,
    pub notice: Option<String>,
}

/// One account in the administrator's list.
pub struct AccountLine {
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub office: String,
    pub bidang: String,
    pub state: String,
}

/// `/staf/pengguna`: the administrator's accounts page.
#[derive(Template)]
#[template(path = "users.html")]
pub struct Users<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub accounts: Vec<AccountLine>,
    pub roles: Vec<Choice>,
    pub offices: Vec<Choice>,
    pub bidang: Vec<Choice>,
    pub values: std::collections::HashMap<String, String>,
    pub errors: Vec<FieldError>,
    /// The new account's name and one-time password, shown once.
    pub created: Option<(String, String)>,
    /// Accounts live at the identity provider: the list only, no form.
    pub provider: bool,
}

impl Users<'_> {
    /// The value typed into `field`.
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// An error page (404, 403, 429, 503).
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message<'a> {
    pub page: Page<'a>,
    pub heading: String,
    pub body: String,
}

/// One version of the Head's disposition on the complaint page.
pub struct DispositionLine {
    pub version: i32,
    pub bidang: String,
    pub instructions: String,
    pub note: String,
    pub due: String,
    pub nature: String,
    pub issued: String,
    pub superseded: bool,
    pub change_reason: String,
}

/// The personal data of a complaint, shown after the reader stated a purpose: (label, value)
/// lines.
pub struct Personal {
    /// The purpose as logged by intake.
    pub purpose: String,
    pub reporter: Vec<(String, String)>,
    pub reported: Vec<(String, String)>,
    pub victims: Vec<Vec<(String, String)>>,
    pub content: Vec<(String, String)>,
    /// The record's revision read.
    pub revision: i32,
}

/// `/staf/pengaduan/<id>`: the complaint page with the steps S4-S7.
#[derive(Template)]
#[template(path = "case.html")]
pub struct CaseView<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub id: String,
    pub registration_number: String,
    pub office_name: String,
    pub status_label: String,
    pub category: String,
    pub channel: String,
    pub received: String,
    pub registered: String,
    pub urgent: bool,
    pub urgency_reasons: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub involves_child: bool,
    pub reporter_identified: bool,
    /// "R2: …" lines.
    pub unmet: Vec<String>,
    pub sla_due: String,
    pub sla_used: String,
    pub sla_state: String,
    pub sla_label: String,
    pub screening_reason: String,
    pub transferred: String,
    pub transferred_from: String,
    pub referred_to: String,
    pub duplicate_of: String,
    pub head_summary: String,
    pub nature: String,
    /// Newest first.
    pub dispositions: Vec<DispositionLine>,
    /// Triage's history: (when, what, who, note).
    pub history: Vec<(String, String, String, String)>,
    /// The timeline across the services: (when, step, what, who).
    pub timeline: Vec<(String, String, String, String)>,
    /// Intake's revisions: (revision, when, who, reason, changed fields).
    pub revisions: Vec<(i32, String, String, String, String)>,
    /// The reader may ask for the personal data (complaints officer, Head).
    pub can_reveal: bool,
    pub personal: Option<Personal>,
    pub purposes: Vec<Choice>,
    pub can_screen: bool,
    pub can_forward: bool,
    pub can_dispose: bool,
    /// The Head: a link to the complaint's access log.
    pub access_log: bool,
    /// The Head may change a standing disposition.
    pub can_change: bool,
    pub has_sheet: bool,
    pub offices: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub requirements: Vec<Choice>,
    pub bidang: Vec<Choice>,
    pub instructions: Vec<Choice>,
    pub natures: Vec<Choice>,
    pub due_default: String,
    /// The screening decision picked (a form sent back).
    pub decision: String,
    /// Which form was sent back with errors ("" for none).
    pub form: &'static str,
    pub values: std::collections::HashMap<String, String>,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

impl CaseView<'_> {
    /// The value typed into `field` of the form sent back.
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// `/staf/kasus/<id>`: the Bidang's case page (S8-S12).
#[derive(Template)]
#[template(path = "bidang_case.html")]
pub struct BidangCase<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub id: String,
    pub registration_number: String,
    pub category: String,
    pub bidang: String,
    pub status: String,
    pub opened: String,
    pub due: String,
    pub instructions: Vec<String>,
    pub assignees: Vec<String>,
    /// (when, decision, reason, note, superseded), newest first.
    pub eligibility: Vec<(String, String, String, String, bool)>,
    /// (when, by, text), newest first.
    pub notes: Vec<(String, String, String)>,
    /// (when, what, by), newest first.
    pub history: Vec<(String, String, String)>,
    /// Clarifications and interviews, newest first.
    pub interviews: Vec<InterviewLine>,
    /// (code, text) of the interview kinds, parties and channels.
    pub kinds: Vec<(String, String)>,
    pub parties: Vec<(String, String)>,
    pub channels: Vec<(String, String)>,
    /// The office's date today (YYYY-MM-DD), the interview date's default.
    pub today: String,
    /// The case's access log for the Kepala Bidang: (when, role, what, purpose), newest first.
    pub access: Vec<(String, String, String, String)>,
    /// The response's drafts, newest first.
    pub responses: Vec<ResponseLine>,
    /// The revision of a draft waiting for the Kepala Bidang (0: none).
    pub pending_revision: i32,
    /// (code, text) of the outcomes a response reports.
    pub outcomes: Vec<(String, String)>,
    /// A response was approved: the follow-up page (S13-S16) has the rest.
    pub follow_up: bool,
    pub can_assign: bool,
    pub can_decide: bool,
    /// (subject, name and role, assigned now).
    pub officers: Vec<(String, String, bool)>,
    /// (code, text) of the reasons a complaint does not qualify.
    pub reasons: Vec<(String, String)>,
    /// The form sent back ("" when none), its values and problems.
    pub form: &'static str,
    pub values: std::collections::HashMap<String, String>,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
    pub tz_name: String,
    /// Evidence, visits, coordination, sessions, consents and referrals (S10-S11).
    pub work: Casework,
}

/// The casework records of the Bidang's case page (S10-S11), newest first, and their forms'
/// choices as (code, text).
pub struct Casework {
    pub evidence: Vec<EvidenceLine>,
    /// (date, location, present, findings).
    pub visits: Vec<(String, String, String, String)>,
    /// (date, agency, channel, summary).
    pub coordination: Vec<(String, String, String, String)>,
    pub sessions: Vec<SessionLine>,
    /// (id, description).
    pub consents: Vec<(String, String)>,
    pub referrals: Vec<ReferralLine>,
    pub evidence_kinds: Vec<(String, String)>,
    pub evidence_sources: Vec<(String, String)>,
    pub session_kinds: Vec<(String, String)>,
    pub session_outcomes: Vec<(String, String)>,
    pub consent_subjects: Vec<(String, String)>,
    pub givers: Vec<(String, String)>,
    pub consent_forms: Vec<(String, String)>,
    pub topics: Vec<(String, String)>,
    pub violence: Vec<(String, String)>,
    pub places: Vec<(String, String)>,
    pub relations: Vec<(String, String)>,
    pub ages: Vec<(String, String)>,
    pub services: Vec<(String, String)>,
    pub agencies: Vec<(String, String)>,
    /// The session form's party rows (1..).
    pub party_rows: Vec<usize>,
    /// The Head or the Kepala Bidang: a referral may rest on an override instead of a consent.
    pub can_override: bool,
}

/// A piece of evidence (S10).
pub struct EvidenceLine {
    pub id: String,
    pub kind: String,
    pub source: String,
    pub source_detail: String,
    pub collected_on: String,
    pub description: String,
    /// (file name, size, metadata removed).
    pub file: Option<(String, String, bool)>,
}

/// A session (S11).
pub struct SessionLine {
    pub kind: String,
    pub held_on: String,
    pub topics: String,
    pub parties: String,
    pub outcome: String,
    pub terms: String,
    pub summary: String,
    pub next: String,
}

/// A referral (S11) and the agency's answer.
pub struct ReferralLine {
    pub id: String,
    pub agency: String,
    pub violence: String,
    pub age: String,
    pub services: String,
    pub reason: String,
    /// The consent it rests on, or the override and its reason.
    pub basis: String,
    pub referred: String,
    pub state: String,
    pub pending: bool,
    pub answer: String,
}

/// One clarification or interview (S9).
pub struct InterviewLine {
    pub kind: String,
    pub party: String,
    pub channel: String,
    pub held_on: String,
    pub present: String,
    pub summary: String,
}

/// One draft of the response (S12).
pub struct ResponseLine {
    pub revision: i32,
    pub version: i32,
    pub state: String,
    pub outcome: String,
    pub text: String,
    pub drafted: String,
    pub return_reason: String,
}

impl BidangCase<'_> {
    /// The value typed into `field` of the form sent back.
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The value of `field` when `form` was sent back, else "".
    pub fn vf(&self, form: &str, field: &str) -> &str {
        if self.form == form { self.v(field) } else { "" }
    }

    /// The session form's party row `n` as sent back: its role code.
    pub fn party_role(&self, n: &usize) -> &str {
        self.vf("sesi", &format!("pihak_sesi_{}", n))
    }

    /// The session form's party row `n` as sent back: the name.
    pub fn party_name(&self, n: &usize) -> &str {
        self.vf("sesi", &format!("nama_sesi_{}", n))
    }

    /// The session form's party row `n`: attended (checked until the form comes back without).
    pub fn party_attended(&self, n: &usize) -> bool {
        self.form != "sesi" || self.v(&format!("hadir_sesi_{}", n)) == "ya"
    }

    /// True when `form` was sent back with `code` among the values of the checkboxes `field`.
    pub fn checked(&self, form: &str, field: &str, code: &str) -> bool {
        self.form == form && self.v(field).split(',').any(|v| v == code)
    }

    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// One complaint in the S9 list: what it still misses.
pub struct MissingLine {
    pub id: String,
    pub registration_number: String,
    pub category: String,
    pub received: String,
    /// "R2, R4".
    pub missing: String,
}

/// `/staf/pengaduan/kurang`: the complaints still missing a requirement (the S9 interview list).
#[derive(Template)]
#[template(path = "missing.html")]
pub struct Missing<'a> {
    pub page: Page<'a>,
    pub lines: Vec<MissingLine>,
    /// The next page's token, percent-encoded ("" on the last page).
    pub next: String,
    pub notice: Option<String>,
}

/// One line of the follow-up queue (S13-S16).
pub struct FollowUpLine {
    pub link: String,
    pub registration_number: String,
    pub bidang: String,
    pub status: String,
    /// What comes next, in words.
    pub next: String,
    /// When the silence period ends (awaiting feedback), else "-".
    pub due: String,
    /// Last change (seconds), for the order.
    pub sort: i64,
}

/// `/staf/tindak-lanjut`: the office's follow-up queue.
#[derive(Template)]
#[template(path = "followup_queue.html")]
pub struct FollowUpQueue<'a> {
    pub page: Page<'a>,
    pub lines: Vec<FollowUpLine>,
    pub more: bool,
    pub notice: Option<String>,
}

/// One delivery of the response (S13).
pub struct DeliveryLine {
    pub version: i32,
    pub channel: String,
    pub at: String,
    pub by: String,
    pub note: String,
}

/// One feedback of the complainant (S14).
pub struct FeedbackLine {
    pub version: i32,
    pub satisfied: bool,
    pub grounds: String,
    pub comments: String,
    pub at: String,
    pub reopened: bool,
}

/// `/staf/tindak-lanjut/<id>`: delivery, feedback, the survey, the handling report and its
/// distribution, and the timeline (S13-S16).
#[derive(Template)]
#[template(path = "followup.html")]
pub struct FollowUp<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub id: String,
    pub registration_number: String,
    pub bidang: String,
    pub status: String,
    /// The reader works in a Bidang: a link back to the case page.
    pub bidang_link: bool,
    /// Feedback's record was read (the reader's role may, and the response was approved).
    pub feedback_read: bool,
    /// Approved versions: (version, outcome, approved), newest first.
    pub responses: Vec<(i32, String, String)>,
    pub deliveries: Vec<DeliveryLine>,
    pub feedback: Vec<FeedbackLine>,
    pub silence_due: String,
    pub survey_done: bool,
    pub can_deliver: bool,
    pub can_feedback: bool,
    pub can_survey: bool,
    pub report_state: String,
    pub report_number: String,
    pub report_revision: i32,
    pub report_pdf: bool,
    pub recommendations_chosen: Vec<String>,
    pub agencies_chosen: Vec<String>,
    pub return_reason: String,
    pub drafted: String,
    pub reviewed: String,
    /// (recipient, channel, when).
    pub distributions: Vec<(String, String, String)>,
    pub can_draft: bool,
    pub can_review: bool,
    pub can_distribute: bool,
    /// (code, label, chosen in the current draft).
    pub recommendations: Vec<(String, String, bool)>,
    pub agencies: Vec<(String, String, bool)>,
    /// (form value, name) of the parties the report may still go to.
    pub recipients: Vec<(String, String)>,
    pub channels: Vec<(String, String)>,
    pub grounds: Vec<(String, String)>,
    pub return_reasons: Vec<(String, String)>,
    /// (when, step, what, who), oldest first.
    pub timeline: Vec<(String, String, String, String)>,
    /// The office's time now (YYYY-MM-DDTHH:MM), the default of the time fields.
    pub now: String,
    pub form: &'static str,
    pub values: std::collections::HashMap<String, String>,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
    pub tz_name: String,
}

impl FollowUp<'_> {
    /// The value typed into `field` of the form sent back.
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    /// The form sent back had `value` among the values of `field` (checkboxes).
    pub fn ticked(&self, field: &str, value: &str) -> bool {
        self.v(field).split(',').any(|v| v == value)
    }

    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// One SKM question: (field, question, the answer sent back, (value, words) of its answers).
pub type Question = (String, String, String, Vec<(String, String)>);

/// `/staf/tindak-lanjut/<id>/survei`: the SKM form for the citizen (nothing of the case).
#[derive(Template)]
#[template(path = "survey.html")]
pub struct Survey<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub id: String,
    /// (field, question, the answer sent back, its four answers as (value, words)).
    pub questions: Vec<Question>,
    /// (code, name) of the services.
    pub services: Vec<(String, String)>,
    pub service: String,
    pub errors: Vec<FieldError>,
}

impl Survey<'_> {
    /// The error of `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// One table of the dashboard with its bar chart.
pub struct Chart {
    /// The table's id (its caption is the chart's name).
    pub id: String,
    pub title: String,
    /// The chart, drawn by `dashboard::bars` (escaped there).
    pub svg: String,
    /// (label, the number as shown, the number for the bar).
    pub rows: Vec<(String, String, i64)>,
}

/// `/staf/dasbor`: an office's or the province's figures for a period.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard<'a> {
    pub page: Page<'a>,
    pub scope_name: String,
    pub period_label: String,
    /// (what, the figure as shown).
    pub figures: Vec<(String, String)>,
    pub tables: Vec<Chart>,
    /// The IKM of the last six months: the chart, and (month, the figure as shown).
    pub trend_svg: String,
    pub trend: Vec<(String, String)>,
    /// Small cells read "<5" (a provincial output).
    pub suppressed: bool,
    /// The filter: "bulan", "triwulan" or "tahun", and its values.
    pub kind: &'static str,
    pub year: i32,
    pub month: i32,
    pub quarter: i32,
    pub years: Vec<i32>,
    pub months: Vec<(i32, String)>,
    /// (code, name) of the scopes an analyst may choose (empty for an office's staff).
    pub scopes: Vec<(String, String)>,
    pub scope: String,
    /// The filter as a query string, for the downloads.
    pub query: String,
    /// (table, words) of the CSV files.
    pub csv: Vec<(String, String)>,
    /// The period is a month: its monthly report as PDF.
    pub monthly_pdf: bool,
    /// The IKM per service: (service, respondents, IKM, grade), all services first.
    pub ikm: Vec<(String, String, String, String)>,
    /// The nine elements over all services: (code, name, average, weighted).
    pub elements: Vec<(String, String, String, String)>,
    /// The Head's caseload per officer: (officer, active, overdue, drafts waiting).
    pub caseload: Vec<(String, i64, i64, i64)>,
    /// Active cases nobody is assigned to (the Head's view).
    pub unassigned: i64,
    /// The caseload was read (the Head of an office).
    pub show_caseload: bool,
}

/// `/staf/operasi`: the event relays for operators and relay administrators.
#[derive(Template)]
#[template(path = "operations.html")]
pub struct Operations<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub relays: Vec<RelayLine>,
    /// Services whose relay status did not come.
    pub silent: Vec<String>,
    /// The relay administrator of an office: the dead letters and their replay.
    pub relay_admin: bool,
    pub letters: Vec<DeadLine>,
    /// The access-log lookup (operators and the Head).
    pub can_read_logs: bool,
    pub notice: Option<String>,
    pub tz_name: String,
}

/// One relay: a source outbox delivering to a subscriber.
pub struct RelayLine {
    pub source: String,
    pub subscriber: String,
    pub active: bool,
    pub position: i64,
    pub head: i64,
    pub pending: i64,
    /// Seconds, as text.
    pub lag: String,
    pub dead: i64,
    pub error: String,
    /// Events waiting for more than a minute.
    pub late: bool,
}

/// One dead letter.
pub struct DeadLine {
    pub source_code: String,
    pub subscriber_code: String,
    pub source: String,
    pub subscriber: String,
    pub sequence: i64,
    pub event_type: String,
    pub complaint_id: String,
    pub short_id: String,
    pub error: String,
    pub attempts: i32,
    pub dead_at: String,
    pub held_behind: i64,
}

/// `/staf/akses/<id>`: one complaint's access log across the services.
#[derive(Template)]
#[template(path = "access_log.html")]
pub struct AccessLog<'a> {
    pub page: Page<'a>,
    pub id: String,
    pub short_id: String,
    pub reads: Vec<AccessLine>,
    /// The records whose log this role may not read.
    pub refused: Vec<String>,
    /// The Head reads the purposes; an operator reads who and when only.
    pub purposes: bool,
    pub tz_name: String,
}

/// One read of a complaint's record.
pub struct AccessLine {
    pub when: String,
    pub record: String,
    pub who: String,
    pub what: String,
    pub purpose: String,
}

/// One line of `/staf/pemberitahuan`.
pub struct NotificationLine {
    /// The notification's id (its "read" form).
    pub id: String,
    /// What happened, in Indonesian (numbers, category, date: no personal content).
    pub text: String,
    /// When, in the office's zone.
    pub when: String,
    /// The complaint's page for this reader.
    pub link: String,
    pub read: bool,
}

/// `/staf/pemberitahuan`: my notifications, newest first.
#[derive(Template)]
#[template(path = "notifications.html")]
pub struct Notifications<'a> {
    pub page: Page<'a>,
    pub csrf: String,
    pub lines: Vec<NotificationLine>,
    pub unread: i64,
    /// "3 pemberitahuan belum dibaca".
    pub badge: String,
    pub notice: Option<String>,
    pub page_no: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

/// `/staf/pemberitahuan/jumlah`: the header's badge alone (htmx polls it).
#[derive(Template)]
#[template(path = "notification_badge.html")]
pub struct NotificationBadge<'a> {
    pub page: Page<'a>,
}

impl Page<'_> {
    /// The badge's accessible text: "3 pemberitahuan belum dibaca" (the header, every staff page).
    pub fn badge(&self) -> String {
        match &self.user {
            Some(u) if u.unread > 0 => self
                .cat
                .t("pemberitahuan.unread")
                .replace("{}", &crate::i18n::number(u.unread)),
            _ => self.cat.t("pemberitahuan.none_unread").to_string(),
        }
    }
}
