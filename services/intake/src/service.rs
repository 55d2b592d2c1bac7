//! The `aduan.intake.v1.IntakeService` implementation: S1-S3 registration, R1-R6 checks, S9
//! amendments, history, identity look-up, access log and public tracking.

use std::net::IpAddr;
use std::sync::Arc;

use aduan_proto::common::v1::{
    self as common, Actor, Channel, ComplaintStatus, FieldWarning, Requirement, Step,
};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::intake::v1::{self as pb, intake_service_server::IntakeService};
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::crypto::Keyring;
use aduan_runtime::ratelimit::RateLimiter;
use aduan_runtime::server::Ready;
use aduan_runtime::time::{from_micros, from_proto, to_micros, to_proto};
use aduan_runtime::{Error, Result, Violations, validate};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jiff::Timestamp;
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::domain::{self, Assessment};
use crate::refdata::{Office, RefData};
use crate::store::{
    ActorRec, Amendment, ComplaintRow, IntakeStore, ListFilter, NewComplaint, Registration,
};

/// Everything the service needs once storage is ready.
pub struct Intake {
    store: Arc<dyn IntakeStore>,
    /// The database, for the access log's chain (`aduan_runtime::audit`).
    db: aduan_runtime::db::Database,
    outbox: Arc<aduan_spine::relay::Outbox>,
    batcher: crate::store::Batcher,
    keys: Arc<Keyring>,
    refdata: Arc<RefData>,
    limiter: RateLimiter<IpAddr>,
    trusted_proxies: Vec<aduan_runtime::ratelimit::Cidr>,
}

impl Intake {
    /// Assembles the service core.
    pub fn new(
        store: Arc<dyn IntakeStore>,
        db: aduan_runtime::db::Database,
        outbox: Arc<aduan_spine::relay::Outbox>,
        keys: Arc<Keyring>,
        refdata: Arc<RefData>,
        track_per_minute: u32,
        trusted_proxies: Vec<aduan_runtime::ratelimit::Cidr>,
    ) -> Self {
        Self {
            batcher: crate::store::Batcher::start(store.clone(), 128),
            store,
            db,
            outbox,
            keys,
            refdata,
            limiter: RateLimiter::new(track_per_minute),
            trusted_proxies,
        }
    }

    /// The outbox (the relay delivers it to the subscribing services).
    pub fn outbox(&self) -> &Arc<aduan_spine::relay::Outbox> {
        &self.outbox
    }

    /// The store (for tests and operations).
    pub fn store(&self) -> &Arc<dyn IntakeStore> {
        &self.store
    }

    /// Closes the database after the server stopped.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// The gRPC service. It answers UNAVAILABLE until [`IntakeApi::set_ready`] hands it the core
/// (after migrations), while health reports NOT_SERVING.
#[derive(Clone)]
pub struct IntakeApi {
    core: Ready<Intake>,
}

impl Default for IntakeApi {
    fn default() -> Self {
        Self {
            core: Ready::new("intake"),
        }
    }
}

/// Intake follows the complaint: the status-changing events of triage, feedback and reporting
/// (`aduan_spine::relay::ROUTES`) move its status, office and Bidang.
#[tonic::async_trait]
impl aduan_spine::relay::EventReceiver for Intake {
    async fn apply(
        &self,
        source: &str,
        events: Vec<LifecycleEvent>,
    ) -> Result<aduan_spine::relay::ApplyOutcome> {
        self.store.follow(source, &events).await
    }
}

impl IntakeApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Intake>) {
        self.core.set(core);
    }

    fn core(&self) -> Result<&Arc<Intake>> {
        self.core.get()
    }

    /// The tonic server for this service.
    pub fn into_server(self) -> pb::intake_service_server::IntakeServiceServer<Self> {
        pb::intake_service_server::IntakeServiceServer::new(self)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new tracking code: 60 random bits as 12 Crockford base32 characters.
pub fn new_tracking_code() -> String {
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let mut n = u64::from_le_bytes(bytes) >> 4;
    let mut s = String::with_capacity(12);
    for _ in 0..12 {
        s.push(CROCKFORD[(n & 31) as usize] as char);
        n >>= 5;
    }
    s
}

/// Normalises a tracking code as typed by a person (case, dashes, spaces, O/0 and I/L/1).
pub fn normalize_tracking_code(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(12);
    for c in raw.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == 12).then_some(out)
}

/// The tracking code as shown to people: `XXXX-XXXX-XXXX`.
pub fn display_tracking_code(code: &str) -> String {
    if code.len() != 12 || !code.is_ascii() {
        return code.to_string();
    }
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

fn valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn parse_id(field: &str, id: &str) -> Result<String> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| Error::invalid(field.to_string(), "not a complaint id (UUID)"))
}

fn actor(caller: &Caller) -> ActorRec {
    ActorRec::of(caller)
}

fn actor_pb(a: &ActorRec) -> Actor {
    a.to_pb()
}

/// The request span's W3C context, for the event a step writes.
fn trace_context() -> events::TraceContext {
    aduan_runtime::telemetry::current_event_trace()
}

/// Only a partner agency's grants: it sees its own submissions only.
/// The console component's service identity: the public portal's submissions (channel WEB).
pub const CONSOLE_SUBJECT: &str = "service:console";

/// True when the caller is the console, submitting a citizen's web form.
fn is_console(caller: &Caller) -> bool {
    caller.acts_as(Role::Service) && caller.principal.subject == CONSOLE_SUBJECT
}

fn partner_only(caller: &Caller) -> bool {
    caller.grants.iter().all(|g| g.role == Role::PartnerAgency)
}

fn aad_reason(id: &str) -> Vec<u8> {
    format!("{id}/reason").into_bytes()
}

fn aad_purpose(id: &str) -> Vec<u8> {
    format!("{id}/access-purpose").into_bytes()
}

/// Removes everything personal or free-text from a complaint: what remains are codes, dates,
/// the status and the R1-R6 assessment.
fn coded_view(c: &mut pb::Complaint) {
    c.letter = None;
    c.reporter = None;
    c.reported_party = None;
    c.victims.clear();
    if let Some(content) = c.content.take() {
        c.content = Some(pb::ComplaintContent {
            incident_date: content.incident_date,
            incident_district_code: content.incident_district_code,
            category_code: content.category_code,
            ..Default::default()
        });
    }
}

fn is_closed(status: i32) -> bool {
    matches!(
        ComplaintStatus::try_from(status),
        Ok(ComplaintStatus::Closed
            | ComplaintStatus::Rejected
            | ComplaintStatus::Transferred
            | ComplaintStatus::Duplicate
            | ComplaintStatus::ReferredOut)
    )
}

impl Intake {
    fn office(&self, code: &str) -> Option<&Office> {
        self.refdata.office(code)
    }

    fn open_body(&self, office: &str, id: &str, sealed: &[u8]) -> Result<pb::ComplaintPatch> {
        let plain = self.keys.open(office, id.as_bytes(), sealed)?;
        pb::ComplaintPatch::decode(plain.as_slice())
            .map_err(|_| Error::Internal("stored body does not decode".into()))
    }

    fn index_of(&self, office: &str, body: &pb::ComplaintPatch) -> Result<Vec<(String, String)>> {
        domain::identity_values(body)
            .into_iter()
            .map(|(kind, value)| {
                Ok((
                    kind.to_string(),
                    self.keys.blind_index(office, kind, &value)?,
                ))
            })
            .collect()
    }

    /// Earlier complaints of this office in which the reporter's NIK or phone number appears
    /// (through the blind index; in any role, since the index does not keep roles). Reporting
    /// counts repeat complainants from it without learning who they are.
    async fn prior_complaints(&self, office: &str, body: &pb::ComplaintPatch) -> Result<i32> {
        let Some(reporter) = &body.reporter else {
            return Ok(0);
        };
        let mut keys = Vec::new();
        for (kind, value) in [("nik", &reporter.nik), ("phone", &reporter.phone)] {
            if !value.is_empty() {
                keys.push((
                    kind.to_string(),
                    self.keys.blind_index(office, kind, value)?,
                ));
            }
        }
        let n = self.store.count_by_index(office, &keys).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    fn received_date(&self, row_office: &str, received_at: i64) -> jiff::civil::Date {
        let tz = self
            .office(row_office)
            .map(|o| o.time_zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        from_micros(received_at).to_zoned(tz).date()
    }

    fn assess(&self, body: &pb::ComplaintPatch, row: &ComplaintRow) -> Assessment {
        let channel = Channel::try_from(row.channel).unwrap_or(Channel::Unspecified);
        domain::assess(
            body,
            channel,
            &self.refdata,
            self.received_date(&row.office_code, row.received_at),
        )
    }

    /// The wire form of a complaint; `assessed` is the R1-R6 check already made for this body
    /// (submit and amend have it), else it is made here.
    fn complaint(
        &self,
        row: &ComplaintRow,
        body: pb::ComplaintPatch,
        revision: i32,
        assessed: Option<Assessment>,
    ) -> pb::Complaint {
        let a = assessed.unwrap_or_else(|| self.assess(&body, row));
        let visibility = body.visibility.unwrap_or_default();
        pb::Complaint {
            id: row.id.clone(),
            office_code: row.current_office.clone(),
            registration_number: row.registration_number.clone(),
            tracking_code: display_tracking_code(&row.tracking_code),
            channel: row.channel,
            received_at: Some(to_proto(from_micros(row.received_at))),
            registered_at: Some(to_proto(from_micros(row.registered_at))),
            updated_at: Some(to_proto(from_micros(row.updated_at))),
            recorded_by: Some(actor_pb(&row.recorded_by)),
            status: row.status,
            letter: body.letter,
            reporter: body.reporter,
            reported_party: body.reported_party,
            victims: body.victims,
            content: body.content,
            identity: Some(pb::IdentityFacts {
                reporter_identified: a.reporter_identified,
                anonymous: visibility.anonymous,
                confidential: visibility.confidential,
                involves_child: a.involves_child,
            }),
            unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
            requirements: a.checks,
            revision,
            partner_reference: body.partner_reference,
            attachments: body.attachments,
        }
    }

    fn summary(row: &ComplaintRow) -> pb::ComplaintSummary {
        pb::ComplaintSummary {
            id: row.id.clone(),
            office_code: row.current_office.clone(),
            registration_number: row.registration_number.clone(),
            channel: row.channel,
            category_code: row.category_code.clone(),
            status: row.status,
            received_at: Some(to_proto(from_micros(row.received_at))),
            registered_at: Some(to_proto(from_micros(row.registered_at))),
            unmet_requirements: domain::unmet_from_mask(row.unmet_mask)
                .into_iter()
                .map(|r| r as i32)
                .collect(),
            identity: Some(pb::IdentityFacts {
                reporter_identified: row.reporter_identified,
                anonymous: row.anonymous,
                confidential: row.confidential,
                involves_child: row.involves_child,
            }),
            revision: row.revision,
        }
    }

    /// A complaint the caller may see, or NOT_FOUND (another office's complaint must not be
    /// known to exist; a partner agency sees its own submissions only).
    async fn visible(&self, caller: &Caller, id: &str) -> Result<ComplaintRow> {
        let id = parse_id("complaint_id", id)?;
        let row = self
            .store
            .get(&id)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        // The office holding the complaint now: a transfer moves it (issue 12).
        caller.require_office_or_not_found(&row.current_office, "complaint")?;
        if partner_only(caller) && row.recorded_by.subject != caller.principal.subject {
            return Err(Error::NotFound("complaint"));
        }
        Ok(row)
    }

    async fn log_access(
        &self,
        caller: &Caller,
        row: &ComplaintRow,
        action: &str,
        purpose: &str,
    ) -> Result<()> {
        // The office holding the complaint keeps the log: its chain, its key for the purpose.
        use aduan_runtime::audit::Field;
        let office = &row.current_office;
        let sealed = self
            .keys
            .seal(office, &aad_purpose(&row.id), purpose.as_bytes())?;
        let who = actor(caller);
        aduan_runtime::audit::append(
            &self.db,
            &self.keys,
            &crate::store::ACCESS_LOG,
            office,
            &[
                Field::Text(row.id.clone()),
                Field::Text(office.clone()),
                Field::Int(to_micros(Timestamp::now())),
                Field::Text(who.subject),
                Field::Text(who.role),
                Field::Text(who.office),
                Field::Text(action.to_string()),
                Field::Text(String::new()),
                Field::Bytes(sealed),
            ],
        )
        .await
    }

    /// Checks `office`'s access-log chain (`aduan audit verify`).
    pub async fn verify_access_log(&self, office: &str) -> Result<aduan_runtime::audit::Verdict> {
        aduan_runtime::audit::verify(&self.db, &self.keys, &crate::store::ACCESS_LOG, office).await
    }

    /// CheckComplaint: the checks of `submit` without registering (the desk's live R1-R6).
    pub async fn check(
        &self,
        caller: &Caller,
        mut r: pb::SubmitComplaintRequest,
    ) -> Result<pb::CheckComplaintResponse> {
        let mut v = Violations::new();
        let mut warnings: Vec<FieldWarning> = Vec::new();
        let office = self.office(&r.office_code).cloned();
        let Some(office) = office else {
            v.add("office_code", "unknown office");
            v.into_result()?;
            return Err(Error::Internal("office".into()));
        };
        caller.require_office(&office.code)?;
        let channel = match Channel::try_from(r.channel) {
            Ok(Channel::Unspecified) | Err(_) => Channel::WalkIn,
            Ok(c) => c,
        };
        if matches!(channel, Channel::Web | Channel::PartnerApi) {
            v.add(
                "channel",
                "the desk registers WALK_IN, LETTER, PHONE, FAX or EMAIL",
            );
        }
        let today = Timestamp::now().to_zoned(office.time_zone.clone()).date();
        let received_date = r
            .received_at
            .as_ref()
            .and_then(from_proto)
            .map(|t| t.to_zoned(office.time_zone.clone()).date())
            .filter(|d| *d <= today)
            .unwrap_or(today);
        let mut body = body_of(&mut r);
        domain::check_body(&mut body, "", &self.refdata, today, &mut v, &mut warnings);
        v.into_result()?;
        let a = domain::assess(&body, channel, &self.refdata, received_date);
        let prior = self.prior_complaints(&office.code, &body).await?;
        Ok(pb::CheckComplaintResponse {
            unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
            requirements: a.checks,
            warnings,
            prior_complaints: prior.min(100),
        })
    }

    /// S1-S3.
    pub async fn submit(
        &self,
        caller: &Caller,
        mut r: pb::SubmitComplaintRequest,
    ) -> Result<pb::SubmitComplaintResponse> {
        if caller.grants.iter().all(|g| g.role == Role::Service) && !is_console(caller) {
            return Err(Error::PermissionDenied(
                "of the services, only the console submits complaints (its web form)".into(),
            ));
        }
        let request_hash = hex(&Sha256::digest(r.encode_to_vec()));
        let mut v = Violations::new();
        let mut warnings: Vec<FieldWarning> = Vec::new();
        if !valid_request_id(&r.request_id) {
            v.add(
                "request_id",
                "required: 1-128 characters of A-Z a-z 0-9 . _ : -",
            );
        }
        let office = self.office(&r.office_code).cloned();
        match &office {
            None => v.add("office_code", "unknown office"),
            Some(o) => caller.require_office(&o.code)?,
        }
        let channel = match Channel::try_from(r.channel) {
            Ok(Channel::Unspecified) | Err(_) => {
                v.add(
                    "channel",
                    "required: WALK_IN, LETTER, PHONE, FAX, EMAIL, PARTNER_API or WEB",
                );
                Channel::Unspecified
            }
            Ok(c) => c,
        };
        if channel == Channel::PartnerApi && !caller.acts_as(Role::PartnerAgency) {
            v.add("channel", "PARTNER_API is for partner agency clients");
        }
        if channel == Channel::Web && !is_console(caller) {
            v.add(
                "channel",
                "WEB is the public portal's (the console's web form)",
            );
        }
        if is_console(caller) && channel != Channel::Web && channel != Channel::Unspecified {
            v.add("channel", "the console submits its web form with WEB");
        }
        if partner_only(caller) && channel != Channel::PartnerApi && channel != Channel::Unspecified
        {
            v.add("channel", "partner agency clients submit with PARTNER_API");
        }
        let now = Timestamp::now();
        let tz = office
            .as_ref()
            .map(|o| o.time_zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let today = now.to_zoned(tz.clone()).date();
        let received_at = match &r.received_at {
            None => now,
            Some(t) => match from_proto(t) {
                None => {
                    v.add("received_at", "not a valid timestamp");
                    now
                }
                Some(t) if t > now + jiff::SignedDuration::from_mins(5) => {
                    v.add("received_at", "lies in the future");
                    now
                }
                Some(t) if t.as_second() < 946_684_800 => {
                    v.add("received_at", "before the year 2000");
                    now
                }
                Some(t) => t,
            },
        };
        let mut body = body_of(&mut r);
        domain::check_body(&mut body, "", &self.refdata, today, &mut v, &mut warnings);
        v.into_result()?;
        let office = office.ok_or_else(|| Error::Internal("office".into()))?;

        let received_date = received_at.to_zoned(tz.clone()).date();
        let a = domain::assess(&body, channel, &self.refdata, received_date);
        let id = uuid::Uuid::now_v7().to_string();
        let visibility = body.visibility.unwrap_or_default();
        let content = body.content.clone().unwrap_or_default();
        let pii = self
            .keys
            .seal(&office.code, id.as_bytes(), &body.encode_to_vec())?;
        let index = self.index_of(&office.code, &body)?;
        let prior = self.prior_complaints(&office.code, &body).await?;
        let who = actor(caller);
        let row = ComplaintRow {
            id: id.clone(),
            office_code: office.code.clone(),
            registration_year: now.to_zoned(tz).year() as i32,
            registration_seq: 0,
            registration_number: String::new(),
            tracking_code: new_tracking_code(),
            channel: channel as i32,
            category_code: content.category_code.clone(),
            status: ComplaintStatus::Registered as i32,
            received_at: to_micros(received_at),
            registered_at: to_micros(now),
            updated_at: to_micros(now),
            recorded_by: who.clone(),
            unmet_mask: a.unmet_mask,
            reporter_identified: a.reporter_identified,
            anonymous: visibility.anonymous,
            confidential: visibility.confidential,
            involves_child: a.involves_child,
            incident_district_code: content.incident_district_code.clone(),
            revision: 1,
            event_seq: 1,
            pii,
            request_id: r.request_id.clone(),
            request_hash,
            // The store keeps the registration event's.
            trace: Default::default(),
            current_office: office.code.clone(),
            disposed_bidang: String::new(),
            status_at: to_micros(now),
        };
        let event = LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: id.clone(),
            office_code: office.code.clone(),
            step: Step::S3Registered as i32,
            occurred_at: Some(to_proto(now)),
            source_service: "intake".into(),
            actor: Some(actor_pb(&who)),
            trace: Some(trace_context()),
            sequence: 1,
            status: ComplaintStatus::Registered as i32,
            detail: Some(Detail::Registered(events::ComplaintRegistered {
                registration_number: String::new(),
                channel: channel as i32,
                received_at: Some(to_proto(received_at)),
                category_code: content.category_code.clone(),
                unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
                reporter_identified: a.reporter_identified,
                anonymous: visibility.anonymous,
                confidential: visibility.confidential,
                involves_child: a.involves_child,
                incident_district_code: content.incident_district_code.clone(),
                content_markers: domain::content_markers(&body),
                reporter_prior_complaints: prior,
            })),
        };
        let outcome = self
            .batcher
            .register(NewComplaint { row, index, event })
            .await?;
        let (row, replayed) = match outcome {
            Registration::New(row) => {
                metrics::counter!("aduan_complaints_registered_total",
                    "office" => row.office_code.clone(), "channel" => channel.as_str_name())
                .increment(1);
                tracing::info!(office = %row.office_code, channel = channel.as_str_name(), "complaint registered");
                (row, false)
            }
            Registration::Replayed(row) => {
                // The same request body: the same normalised body, read back from the store.
                caller.require_office_or_not_found(&row.office_code, "complaint")?;
                (row, true)
            }
        };
        // The complaint's first step: its id on the request's span (trace backend only).
        aduan_runtime::telemetry::tag_complaint(&row.id);
        let (body, assessed) = if replayed {
            (self.open_body(&row.office_code, &row.id, &row.pii)?, None)
        } else {
            (body, Some(a))
        };
        let revision = row.revision;
        Ok(pb::SubmitComplaintResponse {
            complaint: Some(self.complaint(&row, body, revision, assessed)),
            warnings,
            replayed,
        })
    }

    /// Read one complaint.
    pub async fn get(
        &self,
        caller: &Caller,
        r: pb::GetComplaintRequest,
    ) -> Result<pb::GetComplaintResponse> {
        if r.purpose.chars().count() > 200 {
            return Err(Error::invalid("purpose", "longer than 200 characters"));
        }
        if r.revision < 0 {
            return Err(Error::invalid("revision", "must be 0 or positive"));
        }
        let row = self.visible(caller, &r.complaint_id).await?;
        let (body, revision) = if r.revision == 0 || r.revision == row.revision {
            (
                self.open_body(&row.office_code, &row.id, &row.pii)?,
                row.revision,
            )
        } else {
            let revs = self.store.revisions(&row.id).await?;
            let rev = revs
                .into_iter()
                .find(|x| x.revision == r.revision)
                .ok_or(Error::NotFound("revision"))?;
            (
                self.open_body(&row.office_code, &row.id, &rev.pii)?,
                rev.revision,
            )
        };
        self.log_access(caller, &row, "GetComplaint", &r.purpose)
            .await?;
        Ok(pb::GetComplaintResponse {
            complaint: Some(self.complaint(&row, body, revision, None)),
        })
    }

    /// A page of complaints without personal data.
    pub async fn list(
        &self,
        caller: &Caller,
        r: pb::ListComplaintsRequest,
    ) -> Result<pb::ListComplaintsResponse> {
        let mut v = Violations::new();
        let office = if r.office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            r.office_code.clone()
        };
        if self.office(&office).is_none() {
            v.add("office_code", "unknown office");
        }
        if !(0..=500).contains(&r.page_size) {
            v.add("page_size", "must be 1-500 (0 for the default of 50)");
        }
        // Issue 13: each filter names a value at most once (repeats are dropped), so a long list
        // gets one violation and never becomes as many SQL parameters.
        let statuses = validate::enum_set::<ComplaintStatus>(
            &mut v,
            "statuses",
            &r.statuses,
            "unknown status",
        );
        let channels =
            validate::enum_set::<Channel>(&mut v, "channels", &r.channels, "unknown channel");
        let unmet_any = validate::enum_set::<Requirement>(
            &mut v,
            "unmet_requirements",
            &r.unmet_requirements,
            "unknown requirement",
        )
        .into_iter()
        .filter_map(|u| Requirement::try_from(u).ok())
        .fold(0, |mask, req| mask | domain::requirement_bit(req));
        let from = r
            .received_from
            .as_ref()
            .map(|t| from_proto(t).map(to_micros));
        let to = r.received_to.as_ref().map(|t| from_proto(t).map(to_micros));
        if matches!(from, Some(None)) {
            v.add("received_from", "not a valid timestamp");
        }
        if matches!(to, Some(None)) {
            v.add("received_to", "not a valid timestamp");
        }
        let after = if r.page_token.is_empty() {
            None
        } else {
            let parsed = B64URL
                .decode(&r.page_token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| {
                    let (at, id) = s.split_once('/')?;
                    Some((at.parse::<i64>().ok()?, id.to_string()))
                });
            if parsed.is_none() {
                v.add("page_token", "not a token from a previous page");
            }
            parsed
        };
        v.into_result()?;
        caller.require_office(&office)?;
        let limit = if r.page_size == 0 {
            50
        } else {
            r.page_size as i64
        };
        let filter = ListFilter {
            office_code: office,
            statuses,
            channels,
            received_from: from.flatten(),
            received_to: to.flatten(),
            unmet_any,
            category_code: (!r.category_code.is_empty()).then(|| r.category_code.clone()),
            recorded_by: partner_only(caller).then(|| caller.principal.subject.clone()),
            after,
            limit: limit + 1,
        };
        let mut rows = self.store.list(&filter).await?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .map(|l| B64URL.encode(format!("{}/{}", l.registered_at, l.id)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListComplaintsResponse {
            complaints: rows.iter().map(Self::summary).collect(),
            next_page_token,
        })
    }

    /// S9: amend.
    pub async fn amend(
        &self,
        caller: &Caller,
        r: pb::AmendComplaintRequest,
    ) -> Result<pb::AmendComplaintResponse> {
        let mut v = Violations::new();
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        // Issue 13: at most MAX_MASK_PATHS paths (no more than can be amended), none of them
        // looked at when there are more.
        let paths_ok = validate::list_len(
            &mut v,
            "update_mask.paths",
            paths.len(),
            0,
            validate::MAX_MASK_PATHS,
        );
        if paths.is_empty() {
            v.add("update_mask", "required: the fields to change");
        }
        if r.reason.trim().is_empty() {
            v.add("reason", "required");
        } else if r.reason.chars().count() > 1000 {
            v.add("reason", "longer than 1000 characters");
        }
        if r.expected_revision < 0 {
            v.add("expected_revision", "must be 0 or positive");
        }
        let row = self.visible(caller, &r.complaint_id).await?;
        // A Bidang amends only what the Head disposed to it (S7-S9); another Bidang's complaint,
        // or one not disposed at all, is not known to exist for it.
        if caller.bidang_scoped()
            && caller.principal.bidang.as_deref() != Some(&*row.disposed_bidang)
        {
            return Err(Error::NotFound("complaint"));
        }
        if is_closed(row.status) {
            return Err(Error::FailedPrecondition(
                "the complaint is closed; it cannot be amended".into(),
            ));
        }
        let mut body = self.open_body(&row.office_code, &row.id, &row.pii)?;
        let patch = r.patch.unwrap_or_default();
        // Each path once, in the order first given; an unknown one is named by its index (its
        // text is the client's, never repeated in the answer).
        let mut changed: Vec<String> = Vec::new();
        if paths_ok {
            for (i, p) in paths.iter().enumerate() {
                if changed.contains(p) {
                    continue;
                }
                match apply_path(&mut body, &patch, p) {
                    true => changed.push(p.clone()),
                    false => v.add(
                        format!("update_mask.paths[{i}]"),
                        "not a field that can be amended",
                    ),
                }
            }
        }
        let tz = self
            .office(&row.office_code)
            .map(|o| o.time_zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let now = Timestamp::now();
        let mut warnings = Vec::new();
        domain::check_body(
            &mut body,
            "patch.",
            &self.refdata,
            now.to_zoned(tz).date(),
            &mut v,
            &mut warnings,
        );
        v.into_result()?;
        let a = self.assess(&body, &row);
        let visibility = body.visibility.unwrap_or_default();
        let content = body.content.clone().unwrap_or_default();
        let who = actor(caller);
        let event = LifecycleEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            complaint_id: row.id.clone(),
            office_code: row.current_office.clone(),
            step: Step::S9Interview as i32,
            occurred_at: Some(to_proto(now)),
            source_service: "intake".into(),
            actor: Some(actor_pb(&who)),
            trace: Some(trace_context()),
            sequence: 0,
            status: row.status,
            detail: Some(Detail::Amended(events::ComplaintAmended {
                revision: 0,
                changed_fields: changed.clone(),
                unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
                category_code: content.category_code.clone(),
                reporter_identified: a.reporter_identified,
                anonymous: visibility.anonymous,
                confidential: visibility.confidential,
                involves_child: a.involves_child,
                content_markers: domain::content_markers(&body),
            })),
        };
        let amended = self
            .store
            .amend(Amendment {
                id: row.id.clone(),
                expected_revision: r.expected_revision,
                at: to_micros(now),
                actor: who,
                reason: self.keys.seal(
                    &row.office_code,
                    &aad_reason(&row.id),
                    r.reason.trim().as_bytes(),
                )?,
                changed_fields: changed,
                unmet_mask: a.unmet_mask,
                category_code: content.category_code.clone(),
                reporter_identified: a.reporter_identified,
                anonymous: visibility.anonymous,
                confidential: visibility.confidential,
                involves_child: a.involves_child,
                incident_district_code: content.incident_district_code.clone(),
                pii: self
                    .keys
                    .seal(&row.office_code, row.id.as_bytes(), &body.encode_to_vec())?,
                index: self.index_of(&row.office_code, &body)?,
                event,
            })
            .await?;
        self.log_access(caller, &amended, "AmendComplaint", "S9")
            .await?;
        let revision = amended.revision;
        let mut complaint = self.complaint(&amended, body, revision, Some(a));
        if caller.bidang_scoped() {
            // The Bidang's answer is the coded view: its officers read the case through
            // investigation, where each read is logged with its purpose.
            coded_view(&mut complaint);
        }
        Ok(pb::AmendComplaintResponse {
            complaint: Some(complaint),
            warnings,
        })
    }

    /// The history of a complaint's record.
    pub async fn revisions(
        &self,
        caller: &Caller,
        r: pb::ListComplaintRevisionsRequest,
    ) -> Result<pb::ListComplaintRevisionsResponse> {
        let row = self.visible(caller, &r.complaint_id).await?;
        let revs = self.store.revisions(&row.id).await?;
        // The reasons of amendments are free text from the interview: the read is logged.
        self.log_access(caller, &row, "ListComplaintRevisions", "")
            .await?;
        let mut out = Vec::with_capacity(revs.len());
        for x in revs {
            // Revision 1 has no reason.
            let reason = if x.reason.is_empty() {
                Vec::new()
            } else {
                self.keys
                    .open(&row.office_code, &aad_reason(&row.id), &x.reason)?
            };
            out.push(pb::ComplaintRevision {
                revision: x.revision,
                created_at: Some(to_proto(from_micros(x.created_at))),
                actor: Some(actor_pb(&x.actor)),
                reason: String::from_utf8_lossy(&reason).into_owned(),
                changed_fields: x.changed_fields,
                unmet_requirements: domain::unmet_from_mask(x.unmet_mask)
                    .into_iter()
                    .map(|r| r as i32)
                    .collect(),
            });
        }
        Ok(pb::ListComplaintRevisionsResponse { revisions: out })
    }

    /// Repeat complainants through the blind index.
    pub async fn find_by_identity(
        &self,
        caller: &Caller,
        r: pb::FindComplaintsByIdentityRequest,
    ) -> Result<pb::FindComplaintsByIdentityResponse> {
        use pb::find_complaints_by_identity_request::Identity;
        let office = if r.office_code.is_empty() {
            caller.principal.office.clone()
        } else {
            r.office_code.clone()
        };
        let Some(o) = self.office(&office) else {
            return Err(Error::invalid("office_code", "unknown office"));
        };
        caller.require_office(&office)?;
        let today = Timestamp::now().to_zoned(o.time_zone.clone()).date();
        let (kind, value) = match r.identity {
            Some(Identity::Nik(n)) => match crate::identity::parse_nik(&n, None, None, today) {
                Ok((nik, _)) => ("nik", nik.digits),
                Err(e) => return Err(Error::invalid("nik", e.message)),
            },
            Some(Identity::Phone(p)) => match crate::identity::parse_phone(&p) {
                Ok((phone, _)) => ("phone", phone.e164),
                Err(e) => return Err(Error::invalid("phone", e.message)),
            },
            None => return Err(Error::invalid("identity", "required: nik or phone")),
        };
        let bidx = self.keys.blind_index(&office, kind, &value)?;
        let rows = self.store.find_by_index(&office, kind, &bidx, 200).await?;
        for row in &rows {
            self.log_access(caller, row, "FindComplaintsByIdentity", kind)
                .await?;
        }
        Ok(pb::FindComplaintsByIdentityResponse {
            complaints: rows.iter().map(Self::summary).collect(),
        })
    }

    /// Who read a complaint's personal data.
    pub async fn access_log(
        &self,
        caller: &Caller,
        r: pb::ListAccessLogRequest,
    ) -> Result<pb::ListAccessLogResponse> {
        let row = self.visible(caller, &r.complaint_id).await?;
        // Purposes can name what was looked for: the Head reads them, an operator does not.
        let purposes = caller.acts_as(Role::Head);
        let mut entries = Vec::new();
        for e in self.store.access_log(&row.id).await? {
            let purpose = if !purposes {
                String::new()
            } else if e.sealed_purpose.is_empty() {
                e.purpose
            } else {
                let plain = self.keys.open(
                    &e.office_code,
                    &aad_purpose(&e.complaint_id),
                    &e.sealed_purpose,
                )?;
                String::from_utf8_lossy(&plain).into_owned()
            };
            entries.push(pb::AccessLogEntry {
                accessed_at: Some(to_proto(from_micros(e.accessed_at))),
                actor: Some(actor_pb(&e.actor)),
                action: e.action,
                purpose,
            });
        }
        // Reading the log is itself a read of who looked at a victim's file.
        self.log_access(caller, &row, "ListAccessLog", "").await?;
        Ok(pb::ListAccessLogResponse { entries })
    }

    /// Public tracking, rate-limited per client (the TCP peer, or behind a trusted proxy the
    /// address it forwarded; IPv6 per /64).
    pub async fn track(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: Option<&str>,
        r: pb::TrackComplaintRequest,
    ) -> Result<pb::TrackComplaintResponse> {
        let client =
            aduan_runtime::ratelimit::client_key(peer, forwarded_for, &self.trusted_proxies);
        if let Some(ip) = client
            && let Some(wait) = self.limiter.wait(&ip)
        {
            return Err(Error::RetryLater(
                "too many tracking requests from this address; retry after the RetryInfo delay"
                    .into(),
                wait,
            ));
        }
        let code = normalize_tracking_code(&r.tracking_code).ok_or_else(|| {
            Error::invalid(
                "tracking_code",
                "not a tracking code (12 characters, e.g. 7K3Q-M9XD-2HPA)",
            )
        })?;
        let row = self
            .store
            .get_by_tracking_code(&code)
            .await?
            .ok_or(Error::NotFound("complaint"))?;
        Ok(pb::TrackComplaintResponse {
            status: row.status,
            office_code: row.current_office.clone(),
            received_at: Some(to_proto(from_micros(row.received_at))),
            registered_at: Some(to_proto(from_micros(row.registered_at))),
            updated_at: Some(to_proto(from_micros(row.updated_at))),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    aduan_runtime::crypto::hex(bytes)
}

/// Applies one update-mask path from `patch` to `body`; false for an unknown path.
fn apply_path(body: &mut pb::ComplaintPatch, patch: &pb::ComplaintPatch, path: &str) -> bool {
    let (section, field) = match path.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (path, None),
    };
    match (section, field) {
        ("reporter", None) => body.reporter = patch.reporter.clone(),
        ("reported_party", None) => body.reported_party = patch.reported_party.clone(),
        ("victims", None) => body.victims = patch.victims.clone(),
        ("content", None) => body.content = patch.content.clone(),
        ("letter", None) => body.letter = patch.letter.clone(),
        ("visibility", None) => body.visibility = patch.visibility,
        ("attachments", None) => body.attachments = patch.attachments.clone(),
        ("partner_reference", None) => body.partner_reference = patch.partner_reference.clone(),
        ("reporter", Some(f)) => {
            return apply_person(
                body.reporter.get_or_insert_with(Default::default),
                patch.reporter.clone().unwrap_or_default(),
                f,
            );
        }
        ("reported_party", Some(f)) => {
            return apply_person(
                body.reported_party.get_or_insert_with(Default::default),
                patch.reported_party.clone().unwrap_or_default(),
                f,
            );
        }
        ("content", Some(f)) => {
            let to = body.content.get_or_insert_with(Default::default);
            let from = patch.content.clone().unwrap_or_default();
            match f {
                "subject" => to.subject = from.subject,
                "description" => to.description = from.description,
                "chronology" => to.chronology = from.chronology,
                "incident_date" => to.incident_date = from.incident_date,
                "incident_place" => to.incident_place = from.incident_place,
                "incident_district_code" => to.incident_district_code = from.incident_district_code,
                "category_code" => to.category_code = from.category_code,
                "requested_outcome" => to.requested_outcome = from.requested_outcome,
                _ => return false,
            }
        }
        ("letter", Some(f)) => {
            let to = body.letter.get_or_insert_with(Default::default);
            let from = patch.letter.clone().unwrap_or_default();
            match f {
                "number" => to.number = from.number,
                "date" => to.date = from.date,
                "addressee" => to.addressee = from.addressee,
                "addressed_to_office" => to.addressed_to_office = from.addressed_to_office,
                "subject" => to.subject = from.subject,
                _ => return false,
            }
        }
        ("visibility", Some(f)) => {
            let to = body.visibility.get_or_insert_with(Default::default);
            let from = patch.visibility.unwrap_or_default();
            match f {
                "anonymous" => to.anonymous = from.anonymous,
                "confidential" => to.confidential = from.confidential,
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

fn apply_person(to: &mut common::Person, from: common::Person, field: &str) -> bool {
    match field {
        "full_name" => to.full_name = from.full_name,
        "nik" => to.nik = from.nik,
        "address" => to.address = from.address,
        "phone" => to.phone = from.phone,
        "email" => to.email = from.email,
        "sex" => to.sex = from.sex,
        "birth_date" => to.birth_date = from.birth_date,
        "age_years" => to.age_years = from.age_years,
        "relationship" => to.relationship = from.relationship,
        "description" => to.description = from.description,
        _ => return false,
    }
    true
}

fn caller_of<T>(req: &Request<T>) -> std::result::Result<Caller, Status> {
    Caller::from_request(req).map_err(Status::from)
}

#[tonic::async_trait]
impl IntakeService for IntakeApi {
    async fn submit_complaint(
        &self,
        req: Request<pb::SubmitComplaintRequest>,
    ) -> std::result::Result<Response<pb::SubmitComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.submit(&caller, req.into_inner()).await?,
        ))
    }

    async fn check_complaint(
        &self,
        req: Request<pb::SubmitComplaintRequest>,
    ) -> std::result::Result<Response<pb::CheckComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.check(&caller, req.into_inner()).await?,
        ))
    }

    async fn get_complaint(
        &self,
        req: Request<pb::GetComplaintRequest>,
    ) -> std::result::Result<Response<pb::GetComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.get(&caller, req.into_inner()).await?,
        ))
    }

    async fn list_complaints(
        &self,
        req: Request<pb::ListComplaintsRequest>,
    ) -> std::result::Result<Response<pb::ListComplaintsResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.list(&caller, req.into_inner()).await?,
        ))
    }

    async fn amend_complaint(
        &self,
        req: Request<pb::AmendComplaintRequest>,
    ) -> std::result::Result<Response<pb::AmendComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.amend(&caller, req.into_inner()).await?,
        ))
    }

    async fn list_complaint_revisions(
        &self,
        req: Request<pb::ListComplaintRevisionsRequest>,
    ) -> std::result::Result<Response<pb::ListComplaintRevisionsResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.revisions(&caller, req.into_inner()).await?,
        ))
    }

    async fn find_complaints_by_identity(
        &self,
        req: Request<pb::FindComplaintsByIdentityRequest>,
    ) -> std::result::Result<Response<pb::FindComplaintsByIdentityResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?
                .find_by_identity(&caller, req.into_inner())
                .await?,
        ))
    }

    async fn list_access_log(
        &self,
        req: Request<pb::ListAccessLogRequest>,
    ) -> std::result::Result<Response<pb::ListAccessLogResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            self.core()?.access_log(&caller, req.into_inner()).await?,
        ))
    }

    async fn track_complaint(
        &self,
        req: Request<pb::TrackComplaintRequest>,
    ) -> std::result::Result<Response<pb::TrackComplaintResponse>, Status> {
        let peer = req.remote_addr().map(|a| a.ip());
        let forwarded = req
            .metadata()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Response::new(
            self.core()?
                .track(peer, forwarded.as_deref(), req.into_inner())
                .await?,
        ))
    }
}

/// The body of a submission: what is checked, assessed against R1-R6 and sealed.
/// The request keeps its other fields (request id, office, channel, times).
fn body_of(r: &mut pb::SubmitComplaintRequest) -> pb::ComplaintPatch {
    use std::mem::take;
    pb::ComplaintPatch {
        reporter: take(&mut r.reporter),
        reported_party: take(&mut r.reported_party),
        victims: take(&mut r.victims),
        content: take(&mut r.content),
        letter: take(&mut r.letter),
        visibility: take(&mut r.visibility),
        attachments: take(&mut r.attachments),
        partner_reference: take(&mut r.partner_reference),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_are_12_crockford_characters_and_normalise() {
        let c = new_tracking_code();
        assert_eq!(c.len(), 12);
        assert_eq!(normalize_tracking_code(&c).as_deref(), Some(c.as_str()));
        let shown = display_tracking_code(&c);
        assert_eq!(
            normalize_tracking_code(&shown.to_lowercase()).as_deref(),
            Some(c.as_str())
        );
        assert_eq!(
            normalize_tracking_code("oooo-iiii-llll").as_deref(),
            Some("000011111111")
        );
        assert!(
            normalize_tracking_code("UUUU-UUUU-UUUU").is_none(),
            "U is not Crockford"
        );
        assert!(normalize_tracking_code("short").is_none());
        assert!(normalize_tracking_code("ÅÅÅÅÅÅÅÅÅÅÅÅ").is_none());
        assert_ne!(new_tracking_code(), new_tracking_code());
    }

    #[test]
    fn update_mask_paths() {
        let mut body = pb::ComplaintPatch::default();
        let patch = pb::ComplaintPatch {
            reporter: Some(common::Person {
                full_name: "A".into(),
                phone: "0812".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(apply_path(&mut body, &patch, "reporter.full_name"));
        assert_eq!(body.reporter.as_ref().unwrap().full_name, "A");
        assert!(
            body.reporter.as_ref().unwrap().phone.is_empty(),
            "only the named field"
        );
        assert!(!apply_path(&mut body, &patch, "reporter.shoe_size"));
        assert!(!apply_path(&mut body, &patch, "nonsense"));
        assert!(apply_path(&mut body, &patch, "visibility.anonymous"));
        // Every path that can be amended fits in one update mask (issue 13).
        let person = [
            "full_name",
            "nik",
            "address",
            "phone",
            "email",
            "sex",
            "birth_date",
            "age_years",
            "relationship",
            "description",
        ];
        let mut all: Vec<String> = [
            "reporter",
            "reported_party",
            "victims",
            "content",
            "letter",
            "visibility",
            "attachments",
            "partner_reference",
            "content.subject",
            "content.description",
            "content.chronology",
            "content.incident_date",
            "content.incident_place",
            "content.incident_district_code",
            "content.category_code",
            "content.requested_outcome",
            "letter.number",
            "letter.date",
            "letter.addressee",
            "letter.addressed_to_office",
            "letter.subject",
            "visibility.anonymous",
            "visibility.confidential",
        ]
        .map(String::from)
        .to_vec();
        for p in ["reporter", "reported_party"] {
            all.extend(person.iter().map(|f| format!("{p}.{f}")));
        }
        for p in &all {
            assert!(apply_path(&mut body, &patch, p), "{p}");
        }
        assert_eq!(all.len(), 43);
        assert!(all.len() <= aduan_runtime::validate::MAX_MASK_PATHS);
    }

    #[test]
    fn request_ids() {
        assert!(valid_request_id("2026-11-27:walkin:0001"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id(&"x".repeat(129)));
    }
}
