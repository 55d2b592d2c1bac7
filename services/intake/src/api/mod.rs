//! Intake's gRPC face. Each RPC decodes its request, validates it (every malformed field named,
//! [`validate`]), checks the caller, runs the step's rule of [`crate::domain`] and seals, stores
//! and logs through the core, then answers with the wire form (`view.rs`).

pub mod validate;

use std::net::IpAddr;
use std::sync::Arc;

use aduan_proto::common::v1::{Channel, ComplaintStatus, FieldWarning, Requirement};
use aduan_proto::intake::v1::{self as pb, intake_service_server::IntakeService};
use aduan_runtime::actor::ActorRec;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::{from_micros, from_proto, to_micros, to_proto};
use aduan_runtime::{Error, Result, Violations};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jiff::Timestamp;
use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use self::validate::{check_body, valid_request_id};
use crate::Intake;
use crate::core::{aad_purpose, aad_reason, is_console, partner_only};
use crate::domain::s03_registration::{self, Submission, normalize_tracking_code};
use crate::domain::{self, s01_receive, s09_amendment};
use crate::events;
use crate::store::{Amendment, ListFilter, NewComplaint, Registration};
use crate::view::coded_view;

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
            submit(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn check_complaint(
        &self,
        req: Request<pb::SubmitComplaintRequest>,
    ) -> std::result::Result<Response<pb::CheckComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            check(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn get_complaint(
        &self,
        req: Request<pb::GetComplaintRequest>,
    ) -> std::result::Result<Response<pb::GetComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            get(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn list_complaints(
        &self,
        req: Request<pb::ListComplaintsRequest>,
    ) -> std::result::Result<Response<pb::ListComplaintsResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            list(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn amend_complaint(
        &self,
        req: Request<pb::AmendComplaintRequest>,
    ) -> std::result::Result<Response<pb::AmendComplaintResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            amend(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn list_complaint_revisions(
        &self,
        req: Request<pb::ListComplaintRevisionsRequest>,
    ) -> std::result::Result<Response<pb::ListComplaintRevisionsResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            revisions(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn find_complaints_by_identity(
        &self,
        req: Request<pb::FindComplaintsByIdentityRequest>,
    ) -> std::result::Result<Response<pb::FindComplaintsByIdentityResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            find_by_identity(self.core()?, &caller, req.into_inner()).await?,
        ))
    }

    async fn list_access_log(
        &self,
        req: Request<pb::ListAccessLogRequest>,
    ) -> std::result::Result<Response<pb::ListAccessLogResponse>, Status> {
        let caller = caller_of(&req)?;
        Ok(Response::new(
            access_log(self.core()?, &caller, req.into_inner()).await?,
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
            track(self.core()?, peer, forwarded.as_deref(), req.into_inner()).await?,
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

fn hex(bytes: &[u8]) -> String {
    aduan_runtime::crypto::hex(bytes)
}

/// CheckComplaint: the checks of `submit` without registering (the desk's live R1-R6).
async fn check(
    core: &Intake,
    caller: &Caller,
    mut r: pb::SubmitComplaintRequest,
) -> Result<pb::CheckComplaintResponse> {
    let mut v = Violations::new();
    let mut warnings: Vec<FieldWarning> = Vec::new();
    let office = core.office(&r.office_code).cloned();
    let Some(office) = office else {
        v.add("office_code", "unknown office");
        v.into_result()?;
        return Err(Error::Internal("office".into()));
    };
    caller.require_office(&office.code)?;
    let channel = s01_receive::desk_channel(r.channel);
    if !s01_receive::is_desk_channel(channel) {
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
    check_body(&mut body, "", &core.refdata, today, &mut v, &mut warnings);
    v.into_result()?;
    let a = domain::assess(&body, channel, &core.refdata, received_date);
    let prior = core.prior_complaints(&office.code, &body).await?;
    Ok(pb::CheckComplaintResponse {
        unmet_requirements: a.unmet().into_iter().map(|r| r as i32).collect(),
        requirements: a.checks,
        warnings,
        prior_complaints: prior.min(100),
    })
}

/// S1-S3.
async fn submit(
    core: &Intake,
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
    let office = core.office(&r.office_code).cloned();
    match &office {
        None => v.add("office_code", "unknown office"),
        Some(o) => caller.require_office(&o.code)?,
    }
    let by = s01_receive::Submitter {
        console: is_console(caller),
        partner: caller.acts_as(Role::PartnerAgency),
        partner_only: partner_only(caller),
    };
    let (channel, problems) = s01_receive::submission_channel(r.channel, by);
    for p in problems {
        v.add("channel", p);
    }
    let now = Timestamp::now();
    let tz = office
        .as_ref()
        .map(|o| o.time_zone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(tz.clone()).date();
    let received_at = s01_receive::received_at(r.received_at.as_ref(), now).unwrap_or_else(|e| {
        v.add("received_at", e);
        now
    });
    let mut body = body_of(&mut r);
    check_body(&mut body, "", &core.refdata, today, &mut v, &mut warnings);
    v.into_result()?;
    let office = office.ok_or_else(|| Error::Internal("office".into()))?;

    let received_date = received_at.to_zoned(tz.clone()).date();
    let a = domain::assess(&body, channel, &core.refdata, received_date);
    let id = uuid::Uuid::now_v7().to_string();
    // The complaint's own data key, wrapped by the office's key (docs/privacy.md).
    let (key, data_key) = core.keys.new_data_key(&office.code, &id)?;
    let pii = key.seal(id.as_bytes(), &body.encode_to_vec())?;
    let index = core.index_of(&office.code, &body)?;
    let prior = core.prior_complaints(&office.code, &body).await?;
    let row = s03_registration::record(Submission {
        id,
        office_code: office.code.clone(),
        year: now.to_zoned(tz).year() as i32,
        channel,
        received_at,
        now,
        body: &body,
        assessment: &a,
        recorded_by: ActorRec::of(caller),
        pii,
        data_key,
        request: (r.request_id.clone(), request_hash),
    });
    let event = events::registered(&row, &body, &a, prior, received_at, now);
    let outcome = core
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
        (core.open_body(&row, &row.pii)?, None)
    } else {
        (body, Some(a))
    };
    let revision = row.revision;
    Ok(pb::SubmitComplaintResponse {
        complaint: Some(core.complaint(&row, body, revision, assessed)),
        warnings,
        replayed,
    })
}

/// Read one complaint.
async fn get(
    core: &Intake,
    caller: &Caller,
    r: pb::GetComplaintRequest,
) -> Result<pb::GetComplaintResponse> {
    if r.purpose.chars().count() > 200 {
        return Err(Error::invalid("purpose", "longer than 200 characters"));
    }
    if r.revision < 0 {
        return Err(Error::invalid("revision", "must be 0 or positive"));
    }
    let row = core.visible(caller, &r.complaint_id).await?;
    let (body, revision) = if r.revision == 0 || r.revision == row.revision {
        (core.open_body(&row, &row.pii)?, row.revision)
    } else {
        let revs = core.store.revisions(&row.id).await?;
        let rev = revs
            .into_iter()
            .find(|x| x.revision == r.revision)
            .ok_or(Error::NotFound("revision"))?;
        (core.open_body(&row, &rev.pii)?, rev.revision)
    };
    core.log_access(caller, &row, "GetComplaint", &r.purpose)
        .await?;
    Ok(pb::GetComplaintResponse {
        complaint: Some(core.complaint(&row, body, revision, None)),
    })
}

/// A page of complaints without personal data.
async fn list(
    core: &Intake,
    caller: &Caller,
    r: pb::ListComplaintsRequest,
) -> Result<pb::ListComplaintsResponse> {
    let mut v = Violations::new();
    let office = if r.office_code.is_empty() {
        caller.principal.office.clone()
    } else {
        r.office_code.clone()
    };
    if core.office(&office).is_none() {
        v.add("office_code", "unknown office");
    }
    if !(0..=500).contains(&r.page_size) {
        v.add("page_size", "must be 1-500 (0 for the default of 50)");
    }
    // Issue 13: each filter names a value at most once (repeats are dropped), so a long list
    // gets one violation and never becomes as many SQL parameters.
    let statuses = aduan_runtime::validate::enum_set::<ComplaintStatus>(
        &mut v,
        "statuses",
        &r.statuses,
        "unknown status",
    );
    let channels = aduan_runtime::validate::enum_set::<Channel>(
        &mut v,
        "channels",
        &r.channels,
        "unknown channel",
    );
    let unmet_any = aduan_runtime::validate::enum_set::<Requirement>(
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
    let mut rows = core.store.list(&filter).await?;
    let next_page_token = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|l| B64URL.encode(format!("{}/{}", l.registered_at, l.id)))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::ListComplaintsResponse {
        complaints: rows.iter().map(Intake::summary).collect(),
        next_page_token,
    })
}

/// S9: amend.
async fn amend(
    core: &Intake,
    caller: &Caller,
    r: pb::AmendComplaintRequest,
) -> Result<pb::AmendComplaintResponse> {
    let mut v = Violations::new();
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    // Issue 13: at most MAX_MASK_PATHS paths (no more than can be amended), none of them
    // looked at when there are more.
    let paths_ok = aduan_runtime::validate::list_len(
        &mut v,
        "update_mask.paths",
        paths.len(),
        0,
        aduan_runtime::validate::MAX_MASK_PATHS,
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
    let row = core.visible(caller, &r.complaint_id).await?;
    // A Bidang amends only what the Head disposed to it (S7-S9); another Bidang's complaint,
    // or one not disposed at all, is not known to exist for it.
    if caller.bidang_scoped() && caller.principal.bidang.as_deref() != Some(&*row.disposed_bidang) {
        return Err(Error::NotFound("complaint"));
    }
    s09_amendment::amendable(&row)?;
    let mut body = core.open_body(&row, &row.pii)?;
    let patch = r.patch.unwrap_or_default();
    // Each path once, in the order first given; an unknown one is named by its index (its
    // text is the client's, never repeated in the answer).
    let mut changed: Vec<String> = Vec::new();
    if paths_ok {
        let unknown;
        (changed, unknown) = s09_amendment::apply_mask(&mut body, &patch, &paths);
        for i in unknown {
            v.add(
                format!("update_mask.paths[{i}]"),
                "not a field that can be amended",
            );
        }
    }
    let tz = core
        .office(&row.office_code)
        .map(|o| o.time_zone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let now = Timestamp::now();
    let mut warnings = Vec::new();
    check_body(
        &mut body,
        "patch.",
        &core.refdata,
        now.to_zoned(tz).date(),
        &mut v,
        &mut warnings,
    );
    v.into_result()?;
    let a = core.assess(&body, &row);
    let visibility = body.visibility.unwrap_or_default();
    let content = body.content.clone().unwrap_or_default();
    let who = ActorRec::of(caller);
    let event = events::amended(&row, &body, &a, changed.clone(), &who, now);
    // The complaint's data key; one registered before the keys gets its own now.
    let (key, new_key) = match core.data_key(&row)? {
        Some(k) => (k, None),
        None => {
            let (k, wrapped) = core.keys.new_data_key(&row.office_code, &row.id)?;
            (k, Some(wrapped))
        }
    };
    let amended = core
        .store
        .amend(Amendment {
            id: row.id.clone(),
            expected_revision: r.expected_revision,
            at: to_micros(now),
            actor: who,
            reason: key.seal(&aad_reason(&row.id), r.reason.trim().as_bytes())?,
            changed_fields: changed,
            unmet_mask: a.unmet_mask,
            category_code: content.category_code.clone(),
            reporter_identified: a.reporter_identified,
            anonymous: visibility.anonymous,
            confidential: visibility.confidential,
            involves_child: a.involves_child,
            incident_district_code: content.incident_district_code.clone(),
            pii: key.seal(row.id.as_bytes(), &body.encode_to_vec())?,
            data_key: new_key,
            index: core.index_of(&row.office_code, &body)?,
            event,
        })
        .await?;
    core.log_access(caller, &amended, "AmendComplaint", "S9")
        .await?;
    let revision = amended.revision;
    let mut complaint = core.complaint(&amended, body, revision, Some(a));
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
async fn revisions(
    core: &Intake,
    caller: &Caller,
    r: pb::ListComplaintRevisionsRequest,
) -> Result<pb::ListComplaintRevisionsResponse> {
    let row = core.visible(caller, &r.complaint_id).await?;
    let revs = core.store.revisions(&row.id).await?;
    // The reasons of amendments are free text from the interview: the read is logged.
    core.log_access(caller, &row, "ListComplaintRevisions", "")
        .await?;
    let mut out = Vec::with_capacity(revs.len());
    for x in revs {
        // Revision 1 has no reason.
        let reason = if x.reason.is_empty() {
            Vec::new()
        } else {
            core.open_of(&row, &aad_reason(&row.id), &x.reason)?
        };
        out.push(pb::ComplaintRevision {
            revision: x.revision,
            created_at: Some(to_proto(from_micros(x.created_at))),
            actor: Some(x.actor.to_pb()),
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
async fn find_by_identity(
    core: &Intake,
    caller: &Caller,
    r: pb::FindComplaintsByIdentityRequest,
) -> Result<pb::FindComplaintsByIdentityResponse> {
    use pb::find_complaints_by_identity_request::Identity;
    let office = if r.office_code.is_empty() {
        caller.principal.office.clone()
    } else {
        r.office_code.clone()
    };
    let Some(o) = core.office(&office) else {
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
    let bidx = core.keys.blind_index(&office, kind, &value)?;
    let rows = core.store.find_by_index(&office, kind, &bidx, 200).await?;
    for row in &rows {
        core.log_access(caller, row, "FindComplaintsByIdentity", kind)
            .await?;
    }
    Ok(pb::FindComplaintsByIdentityResponse {
        complaints: rows.iter().map(Intake::summary).collect(),
    })
}

/// Who read a complaint's personal data.
async fn access_log(
    core: &Intake,
    caller: &Caller,
    r: pb::ListAccessLogRequest,
) -> Result<pb::ListAccessLogResponse> {
    let row = core.visible(caller, &r.complaint_id).await?;
    // Purposes can name what was looked for: the Head reads them, an operator does not.
    let purposes = caller.acts_as(Role::Head);
    let mut entries = Vec::new();
    for e in core.store.access_log(&row.id).await? {
        let purpose = if !purposes {
            String::new()
        } else if e.sealed_purpose.is_empty() {
            e.purpose
        } else {
            let plain = core.keys.open(
                &e.office_code,
                &aad_purpose(&e.complaint_id),
                &e.sealed_purpose,
            )?;
            String::from_utf8_lossy(&plain).into_owned()
        };
        entries.push(pb::AccessLogEntry {
            accessed_at: Some(to_proto(from_micros(e.accessed_at))),
            actor: Some(e.actor.to_pb()),
            action: e.action,
            purpose,
        });
    }
    // Reading the log is itself a read of who looked at a victim's file.
    core.log_access(caller, &row, "ListAccessLog", "").await?;
    Ok(pb::ListAccessLogResponse { entries })
}

/// Public tracking, rate-limited per client (the TCP peer, or behind a trusted proxy the
/// address it forwarded; IPv6 per /64).
async fn track(
    core: &Intake,
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    r: pb::TrackComplaintRequest,
) -> Result<pb::TrackComplaintResponse> {
    let client = aduan_runtime::ratelimit::client_key(peer, forwarded_for, &core.trusted_proxies);
    if let Some(ip) = client
        && let Some(wait) = core.limiter.wait(&ip)
    {
        return Err(Error::RetryLater(
            "too many tracking requests from this address; retry after the RetryInfo delay".into(),
            wait,
        ));
    }
    let code = normalize_tracking_code(&r.tracking_code).ok_or_else(|| {
        Error::invalid(
            "tracking_code",
            "not a tracking code (12 characters, e.g. 7K3Q-M9XD-2HPA)",
        )
    })?;
    let row = core
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
