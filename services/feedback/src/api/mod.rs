//! The gRPC face of feedback (`aduan.feedback.v1.FeedbackService`): each handler checks the
//! request's fields, authorises the caller, runs the step of [`crate::domain`] through the core and
//! maps the answer.

mod validate;

use std::sync::Arc;

use aduan_proto::common::v1::Channel;
use aduan_proto::feedback::v1 as pb;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::server::Ready;
use aduan_runtime::time::{from_micros, now_micros};
use aduan_runtime::validate as check;
use aduan_runtime::{Error, Result, Violations};
use aduan_spine::casefile::{AccessEntry, Filter};
use tonic::{Request, Response, Status};

use crate::core::Feedback;
use crate::domain::s13_delivery::{self, DeliveryInput};
use crate::domain::s14_feedback::{self, FeedbackInput};
use crate::domain::skm_survey::{self, IndexAsked, survey_key};
use crate::domain::{self, ActorRec, Doc};
use crate::ikm;
use crate::store::{Store, SurveyRow, Surveyed};
use crate::view::{self, tsp};

const NOTE_MAX: usize = 2000;
const COMMENTS_MAX: usize = 4000;
const PURPOSE_MAX: usize = 200;
const CODE_MAX: usize = 64;
/// Access log page size: the default and the largest.
const LOG_PAGE_DEFAULT: i64 = 100;
const LOG_PAGE_MAX: i64 = 1000;
/// How often a page of the access log is read again when reads were logged meanwhile.
const LOG_PAGE_ATTEMPTS: usize = 3;

/// The gRPC face of feedback; UNAVAILABLE until the store is open.
#[derive(Clone)]
pub struct FeedbackApi {
    core: Ready<Feedback>,
}

impl Default for FeedbackApi {
    fn default() -> Self {
        Self {
            core: Ready::new("feedback"),
        }
    }
}

impl FeedbackApi {
    /// A service that is not ready yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the service ready.
    pub fn set_ready(&self, core: Arc<Feedback>) {
        self.core.set(core);
    }

    /// The tonic server.
    pub fn into_server(self) -> pb::feedback_service_server::FeedbackServiceServer<Self> {
        pb::feedback_service_server::FeedbackServiceServer::new(self)
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::feedback_service_server::FeedbackService for FeedbackApi {
    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Reply<pb::ListCasesResponse> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(list_cases(core, &caller, r).await?))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Reply<pb::FeedbackCase> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(get_case(core, &caller, r).await?))
    }

    async fn record_delivery(
        &self,
        request: Request<pb::RecordDeliveryRequest>,
    ) -> Reply<pb::FeedbackCase> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(record_delivery(core, &caller, r).await?))
    }

    async fn record_feedback(
        &self,
        request: Request<pb::RecordFeedbackRequest>,
    ) -> Reply<pb::FeedbackCase> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(record_feedback(core, &caller, r).await?))
    }

    async fn submit_survey(&self, request: Request<pb::SubmitSurveyRequest>) -> Reply<pb::Survey> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(submit_survey(core, &caller, r).await?))
    }

    async fn get_satisfaction_index(
        &self,
        request: Request<pb::GetSatisfactionIndexRequest>,
    ) -> Reply<pb::SatisfactionIndex> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(satisfaction_index(core, &caller, r).await?))
    }

    async fn list_access_log(
        &self,
        request: Request<pb::ListAccessLogRequest>,
    ) -> Reply<pb::ListAccessLogResponse> {
        let (core, caller, r) = self.core.open(request)?;
        Ok(Response::new(access_log(core, &caller, r).await?))
    }
}

/// ListCases.
async fn list_cases(
    core: &Feedback,
    caller: &Caller,
    r: pb::ListCasesRequest,
) -> Result<pb::ListCasesResponse> {
    let mut v = Violations::new();
    if r.office_code.is_empty() {
        v.add("office_code", "required");
    } else if core.refdata.office(&r.office_code).is_none() {
        v.add("office_code", "unknown office");
    }
    let queue = pb::Queue::try_from(r.queue).unwrap_or_else(|_| {
        v.add("queue", "not a queue");
        pb::Queue::Unspecified
    });
    if !r.bidang_code.is_empty() && core.refdata.bidang(&r.bidang_code).is_none() {
        v.add("bidang_code", "unknown Bidang");
    }
    let (offset, size) = validate::page(&mut v, r.page_size, &r.page_token);
    v.into_result()?;
    caller.require_office(&r.office_code)?;
    let mut unit = r.bidang_code.clone();
    if caller.bidang_scoped() {
        let own = caller
            .principal
            .bidang
            .clone()
            .ok_or_else(|| Error::PermissionDenied("the token names no Bidang".into()))?;
        if !unit.is_empty() && unit != own {
            return Err(Error::PermissionDenied(
                "the caller may list only its own Bidang's cases".into(),
            ));
        }
        unit = own;
    }
    let filter = Filter {
        office_code: r.office_code.clone(),
        unit,
        statuses: view::queue_statuses(queue),
        assignee: String::new(),
    };
    let (files, total) = core
        .store
        .cases()
        .list::<Doc>(&filter, offset, size)
        .await?;
    let entries: Vec<pb::QueueEntry> = files.iter().map(view::entry).collect();
    let next = offset + entries.len() as i64;
    Ok(pb::ListCasesResponse {
        next_page_token: if next < total && !entries.is_empty() {
            next.to_string()
        } else {
            String::new()
        },
        entries,
    })
}

/// GetCase: the whole record; the read and its purpose go to the access log.
async fn get_case(
    core: &Feedback,
    caller: &Caller,
    r: pb::GetCaseRequest,
) -> Result<pb::FeedbackCase> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    check::text(&mut v, "purpose", &r.purpose, true, PURPOSE_MAX);
    v.into_result()?;
    let f = core.load_visible(caller, &r.complaint_id).await?;
    core.store
        .cases()
        .log_access(&AccessEntry {
            complaint_id: f.complaint_id.clone(),
            office_code: f.office_code.clone(),
            at: now_micros(),
            subject: caller.principal.subject.clone(),
            role: caller.acting_role().as_str().to_string(),
            what: "GetCase".into(),
            purpose: r.purpose.trim().to_string(),
        })
        .await?;
    Ok(view::case(&f))
}

/// RecordDelivery (S13).
async fn record_delivery(
    core: &Feedback,
    caller: &Caller,
    r: pb::RecordDeliveryRequest,
) -> Result<pb::FeedbackCase> {
    let now = now_micros();
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    if r.version < 0 {
        v.add("version", "0 (the current one) or a version number");
    }
    if !matches!(Channel::try_from(r.channel), Ok(c) if c != Channel::Unspecified) {
        v.add(
            "channel",
            "required: walk-in, letter, phone, fax, e-mail or partner API",
        );
    }
    let delivered_at = validate::check_time(&mut v, "delivered_at", &r.delivered_at, now);
    check::text(&mut v, "note", &r.note, false, NOTE_MAX);
    v.into_result()?;
    let who = ActorRec::of(caller);
    let days = core.silence_days;
    let calendars = core.calendars.clone();
    let f = core
        .step(caller, &r.complaint_id, move |f, now| {
            let due = calendars.silence_due_micros(&f.office_code, delivered_at, days)?;
            let ev = s13_delivery::deliver(
                f,
                &who,
                now,
                DeliveryInput {
                    version: r.version,
                    channel: r.channel,
                    delivered_at,
                    note: r.note.trim().to_string(),
                    silence_due: due,
                },
            )?;
            Ok((vec![ev], Vec::new()))
        })
        .await?;
    metrics::counter!(
        "aduan_feedback_deliveries_total",
        "office" => f.office_code.clone(),
        "channel" => domain::channel_code(f.body.current_delivery().map(|d| d.channel).unwrap_or(0))
    )
    .increment(1);
    Ok(view::coded_case(&f))
}

/// RecordFeedback (S14).
async fn record_feedback(
    core: &Feedback,
    caller: &Caller,
    r: pb::RecordFeedbackRequest,
) -> Result<pb::FeedbackCase> {
    let now = now_micros();
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    if r.version < 0 {
        v.add("version", "0 (the current one) or a version number");
    }
    let mut grounds: Vec<String> = Vec::new();
    // Issue 13: each ground at most once, so no more elements than grounds; the elements of
    // a longer list are not looked at.
    if check::list_len(
        &mut v,
        "grounds",
        r.grounds.len(),
        0,
        check::enum_values::<pb::Ground>(),
    ) {
        for (i, g) in r.grounds.iter().enumerate() {
            match pb::Ground::try_from(*g).ok().and_then(view::ground_code) {
                None => v.add(format!("grounds[{i}]"), "not a ground"),
                Some(code) if grounds.iter().any(|x| x == code) => {
                    v.add(format!("grounds[{i}]"), "given twice")
                }
                Some(code) => grounds.push(code.to_string()),
            }
        }
    }
    // `reopen_requested` is deprecated and ignored: a dissatisfied answer (which needs
    // grounds) always reopens the case, a satisfied one never does.
    if r.satisfied {
        if !r.grounds.is_empty() {
            v.add("grounds", "only when the complainant is not satisfied");
        }
    } else if r.grounds.is_empty() {
        v.add(
            "grounds",
            "at least one ground when the complainant is not satisfied",
        );
    }
    let other = grounds.iter().any(|g| g == "other");
    check::text(&mut v, "comments", &r.comments, other, COMMENTS_MAX);
    let given_at = validate::check_time(&mut v, "given_at", &r.given_at, now);
    v.into_result()?;
    let who = ActorRec::of(caller);
    let f = core
        .step(caller, &r.complaint_id, move |f, now| {
            let ev = s14_feedback::record_feedback(
                f,
                &who,
                now,
                FeedbackInput {
                    version: r.version,
                    satisfied: r.satisfied,
                    grounds,
                    comments: r.comments.trim().to_string(),
                    given_at,
                },
            )?;
            Ok((vec![ev], Vec::new()))
        })
        .await?;
    let outcome = match f.body.feedback.last() {
        Some(x) if x.satisfied => "satisfied",
        _ => "reopened",
    };
    metrics::counter!(
        "aduan_feedback_recorded_total",
        "office" => f.office_code.clone(),
        "outcome" => outcome
    )
    .increment(1);
    Ok(view::coded_case(&f))
}

/// SubmitSurvey (S14, SKM).
async fn submit_survey(
    core: &Feedback,
    caller: &Caller,
    r: pb::SubmitSurveyRequest,
) -> Result<pb::Survey> {
    let now = now_micros();
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    if r.service_code.is_empty() {
        v.add("service_code", "required, for example \"pengaduan\"");
    } else if !check::is_code(&r.service_code, CODE_MAX) {
        v.add(
            "service_code",
            "lower-case letters, digits and underscores, starting with a letter, at most 64",
        );
    }
    for (field, what) in ikm::check_scores(&r.scores) {
        v.add(field, what);
    }
    let submitted_at = validate::check_time(&mut v, "submitted_at", &r.submitted_at, now);
    v.into_result()?;
    let who = ActorRec::of(caller);
    let survey_id = uuid::Uuid::now_v7().to_string();
    let calendars = core.calendars.clone();
    let keys = core.keys.clone();
    let (id, service, scores) = (survey_id.clone(), r.service_code.clone(), r.scores.clone());
    let f = core
        .step(caller, &r.complaint_id, move |f, now| {
            let ev = skm_survey::submit_survey(f, &who, now, &id, &service, &scores, submitted_at)?;
            let row = Store::survey_row(&SurveyRow {
                survey_id: id.clone(),
                office_code: f.office_code.clone(),
                service_code: service.clone(),
                complaint_key: survey_key(&keys, &f.office_code, &f.complaint_id)?,
                submitted_at,
                submitted_on: calendars.local_date(&f.office_code, from_micros(submitted_at)),
                scores: scores.clone(),
            });
            Ok((vec![ev], vec![row]))
        })
        .await?;
    metrics::counter!("aduan_feedback_surveys_total", "office" => f.office_code.clone())
        .increment(1);
    Ok(pb::Survey {
        survey_id,
        complaint_id: f.complaint_id.clone(),
        office_code: f.office_code.clone(),
        service_code: r.service_code,
        scores: r.scores,
        submitted_at: tsp(submitted_at),
    })
}

/// GetSatisfactionIndex: the totals of the surveys of the office (or of every office of the
/// province), then the IKM of [`skm_survey::satisfaction_index`].
async fn satisfaction_index(
    core: &Feedback,
    caller: &Caller,
    r: pb::GetSatisfactionIndexRequest,
) -> Result<pb::SatisfactionIndex> {
    let mut v = Violations::new();
    let province = !r.office_code.is_empty() && r.office_code == core.province;
    if r.office_code.is_empty() {
        v.add("office_code", "required");
    } else if !province && core.refdata.office(&r.office_code).is_none() {
        v.add("office_code", "neither an office nor the province");
    }
    let days = validate::period(&mut v, &r.period);
    if !r.service_code.is_empty() && !check::is_code(&r.service_code, CODE_MAX) {
        v.add("service_code", "not a service code");
    }
    let method = match pb::IndexMethod::try_from(r.method) {
        Ok(pb::IndexMethod::Unspecified | pb::IndexMethod::Mean) => ikm::Method::Mean,
        Ok(pb::IndexMethod::Weighted011) => ikm::Method::Weighted011,
        Err(_) => {
            v.add("method", "not a method");
            ikm::Method::Mean
        }
    };
    v.into_result()?;
    let (from, to) = days.ok_or_else(|| Error::invalid("period", "required"))?;
    caller.require_office(&r.office_code)?;
    if province && !caller.acts_as(Role::ProvincialAnalyst) {
        return Err(Error::PermissionDenied(
            "the province as a whole is for provincial analysts".into(),
        ));
    }
    let of = if province {
        Surveyed::Province(r.office_code.clone())
    } else {
        Surveyed::Office(r.office_code.clone())
    };
    let rows = core
        .store
        .survey_totals(&of, from, to, &r.service_code)
        .await?;
    // Issue 12: a provincial output (the province, or an office asked for by a provincial
    // analyst) hides every index of fewer than 5 respondents.
    let provincial = province
        || caller.acts_as(Role::ProvincialAnalyst)
        || caller.principal.office != r.office_code;
    Ok(skm_survey::satisfaction_index(
        IndexAsked {
            office_code: r.office_code,
            from,
            to,
            service_code: r.service_code,
            method,
            province,
            provincial,
        },
        &rows,
    ))
}

/// ListAccessLog: who read a case's record, oldest first, a page at a time. The page token
/// is the number of entries before the page (entries are only ever added, at the end).
async fn access_log(
    core: &Feedback,
    caller: &Caller,
    r: pb::ListAccessLogRequest,
) -> Result<pb::ListAccessLogResponse> {
    let mut v = Violations::new();
    check::id(&mut v, "complaint_id", &r.complaint_id);
    let size = match r.page_size {
        0 => LOG_PAGE_DEFAULT,
        n if (1..=LOG_PAGE_MAX).contains(&i64::from(n)) => i64::from(n),
        _ => {
            v.add("page_size", format!("between 1 and {LOG_PAGE_MAX}"));
            0
        }
    };
    let offset = validate::offset(&mut v, &r.page_token);
    v.into_result()?;
    let f = core.load_visible(caller, &r.complaint_id).await?;
    // The store reads newest first: the page `offset..offset + size` of the oldest-first log
    // is found from the number of entries, counted again after the read, since a read logged
    // in between would shift it.
    for _ in 0..LOG_PAGE_ATTEMPTS {
        let total = core
            .store
            .access_count(&f.office_code, &f.complaint_id)
            .await?;
        let take = size.min(total - offset).max(0);
        let mut rows = if take > 0 {
            core.store
                .cases()
                .access_log(&f.office_code, &f.complaint_id, total - offset - take, take)
                .await?
        } else {
            Vec::new()
        };
        if core
            .store
            .access_count(&f.office_code, &f.complaint_id)
            .await?
            != total
        {
            continue;
        }
        rows.reverse();
        let next = offset + take;
        // Reading who looked at the file is itself logged (issue 12), after the page is cut.
        core.store
            .cases()
            .log_access(&AccessEntry {
                complaint_id: f.complaint_id.clone(),
                office_code: f.office_code.clone(),
                at: now_micros(),
                subject: caller.principal.subject.clone(),
                role: caller.acting_role().as_str().to_string(),
                what: "ListAccessLog".into(),
                purpose: String::new(),
            })
            .await?;
        return Ok(pb::ListAccessLogResponse {
            next_page_token: if next < total {
                next.to_string()
            } else {
                String::new()
            },
            entries: rows
                .into_iter()
                .map(|e| pb::AccessLogEntry {
                    accessed_at: tsp(e.at),
                    actor: Some(aduan_proto::common::v1::Actor {
                        subject: e.subject,
                        role: e.role,
                        office_code: e.office_code,
                    }),
                    action: e.what,
                    purpose: e.purpose,
                })
                .collect(),
        });
    }
    Err(Error::Unavailable(
        "the access log kept changing while it was read; try again".into(),
    ))
}
