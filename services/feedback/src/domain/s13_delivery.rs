//! S13, delivery of the response: investigation's approved response (S12, the
//! `response_approved` event) opens the delivery task here; the officer records the delivery to
//! the complainant, which stops the SLA clock and starts the silence period.

use aduan_proto::common::v1::{ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::{Error, Result};
use aduan_spine::casefile::CaseFile;

use super::{
    ActorRec, DeliveryRec, Doc, FeedbackFile, ResponseRec, SERVICE, channel_code, out_of_order,
    push_history, ts,
};

/// S12 -> S13: investigation approved a response (the `response_approved` event). The first
/// approval opens the delivery task; a later version (after a reopening, or a corrected response
/// before feedback) replaces the current one and waits for delivery again. A version already
/// known changes nothing. Err refuses the event for good.
pub fn on_approved(
    current: Option<FeedbackFile>,
    e: &LifecycleEvent,
    d: &events::ResponseApproved,
    at: i64,
) -> std::result::Result<Option<FeedbackFile>, String> {
    if d.version < 1 {
        return Err("a response_approved event without a version".into());
    }
    if e.office_code.is_empty() || d.bidang_code.is_empty() {
        return Err("a response_approved event without office or Bidang".into());
    }
    let who = ActorRec::of_event(e);
    let rec = ResponseRec {
        version: d.version,
        bidang_code: d.bidang_code.clone(),
        qualified: d.qualified,
        outcome_code: d.outcome_code.clone(),
        approved_at: at,
    };
    let detail = format!(
        "version {} by {} ({}{})",
        d.version,
        d.bidang_code,
        if d.outcome_code.is_empty() {
            "no outcome code"
        } else {
            d.outcome_code.as_str()
        },
        if d.qualified { ", qualified" } else { "" }
    );
    let mut f = match current {
        None => CaseFile {
            complaint_id: e.complaint_id.clone(),
            office_code: e.office_code.clone(),
            unit: d.bidang_code.clone(),
            status: ComplaintStatus::ResponseReady as i32,
            assignees: Vec::new(),
            next_at: None,
            event_seq: 0,
            opened_at: at,
            updated_at: at,
            body: Doc::default(),
        },
        Some(f) => {
            if f.office_code != e.office_code {
                return Err(format!(
                    "the complaint is with office {} here, the event names {}",
                    f.office_code, e.office_code
                ));
            }
            if d.version <= f.body.version() {
                // Known already (or older): nothing to do.
                return Ok(None);
            }
            let status = ComplaintStatus::try_from(f.status).unwrap_or(ComplaintStatus::Closed);
            if !matches!(
                status,
                ComplaintStatus::ResponseReady
                    | ComplaintStatus::ResponseDelivered
                    | ComplaintStatus::InHandling
            ) {
                return Err(format!(
                    "a new response version for a complaint that is {}",
                    status.as_str_name()
                ));
            }
            f
        }
    };
    f.unit = d.bidang_code.clone();
    f.status = ComplaintStatus::ResponseReady as i32;
    f.next_at = None;
    f.updated_at = at;
    f.body.responses.push(rec);
    if !d.registration_number.is_empty() {
        f.body.registration_number = d.registration_number.clone();
    }
    if !d.category_code.is_empty() {
        f.body.category_code = d.category_code.clone();
    }
    push_history(&mut f, at, &who, "response_approved", detail);
    Ok(Some(f))
}

/// What a delivery records (checked by the API).
#[derive(Debug, Clone)]
pub struct DeliveryInput {
    /// The version the officer delivered; 0: the current one.
    pub version: i32,
    /// The channel.
    pub channel: i32,
    /// When the complainant received it (microseconds).
    pub delivered_at: i64,
    /// The note.
    pub note: String,
    /// When the silence period ends, from `delivered_at` (None: no closing by silence).
    pub silence_due: Option<i64>,
}

pub(crate) fn check_version(step: &str, asked: i32, current: i32) -> Result<()> {
    if asked != 0 && asked != current {
        return Err(Error::FailedPrecondition(format!(
            "{step}: version {asked} is not the current approved response (version {current})"
        )));
    }
    Ok(())
}

/// S13: the response is delivered. Needs RESPONSE_READY; sets the silence timer.
pub fn deliver(
    f: &mut FeedbackFile,
    who: &ActorRec,
    now: i64,
    input: DeliveryInput,
) -> Result<LifecycleEvent> {
    let version = f.body.version();
    if f.status == ComplaintStatus::ResponseDelivered as i32
        && (input.version == 0 || input.version == version)
    {
        return Err(Error::FailedPrecondition(format!(
            "Delivery (S13): version {version} was delivered already"
        )));
    }
    if f.status != ComplaintStatus::ResponseReady as i32 {
        return Err(out_of_order(
            "Delivery (S13)",
            f.status,
            "waiting for delivery of an approved response (RESPONSE_READY)",
        ));
    }
    check_version("Delivery (S13)", input.version, version)?;
    let approved_at = f.body.current().map(|r| r.approved_at).unwrap_or(0);
    if input.delivered_at < approved_at {
        return Err(Error::invalid(
            "delivered_at",
            "before the response was approved",
        ));
    }
    f.body.deliveries.push(DeliveryRec {
        version,
        channel: input.channel,
        delivered_at: input.delivered_at,
        note: input.note,
        recorded_by: who.clone(),
        recorded_at: now,
    });
    f.status = ComplaintStatus::ResponseDelivered as i32;
    f.next_at = input.silence_due;
    f.updated_at = now;
    push_history(
        f,
        now,
        who,
        "response_delivered",
        format!(
            "version {version} by {}{}",
            channel_code(input.channel),
            match input.silence_due {
                Some(t) => format!(", silence period ends {}", ts(t)),
                None => String::new(),
            }
        ),
    );
    Ok(f.event(
        SERVICE,
        Step::S13ResponseDelivered,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::ResponseDelivered(events::ResponseDelivered {
            channel: input.channel,
            delivered_at: Some(aduan_runtime::time::to_proto(ts(input.delivered_at))),
            version,
        }),
    ))
}
