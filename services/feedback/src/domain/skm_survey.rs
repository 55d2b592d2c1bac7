//! The satisfaction survey (SKM, PermenPAN-RB No. 14 Tahun 2017) of a complaint whose response
//! was delivered (S14), and the rules of its index (IKM) as feedback publishes it.

use aduan_ikm as ikm;
use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::feedback::v1 as pb;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::time::date_to_proto;
use aduan_runtime::{Error, Result};
use jiff::civil::Date;

use super::{ActorRec, FeedbackFile, SERVICE, out_of_order, push_history, ts};

/// S14: a satisfaction survey of a complaint whose response was delivered; one per complaint.
pub fn submit_survey(
    f: &mut FeedbackFile,
    who: &ActorRec,
    now: i64,
    survey_id: &str,
    service_code: &str,
    scores: &[i32],
    submitted_at: i64,
) -> Result<LifecycleEvent> {
    if !f.body.survey_id.is_empty() {
        return Err(Error::AlreadyExists(
            "a survey was submitted for this complaint already".into(),
        ));
    }
    let Some(first) = f.body.deliveries.first().map(|d| d.delivered_at) else {
        return Err(out_of_order(
            "The satisfaction survey (S14)",
            f.status,
            "one whose response was delivered",
        ));
    };
    if submitted_at < first {
        return Err(Error::invalid(
            "submitted_at",
            "before the response was delivered",
        ));
    }
    f.body.survey_id = survey_id.to_string();
    f.updated_at = now;
    push_history(
        f,
        now,
        who,
        "survey_submitted",
        format!("survey {survey_id} for {service_code}"),
    );
    Ok(f.event(
        SERVICE,
        Step::S14Feedback,
        who.to_pb(),
        ts(now),
        f.status,
        Detail::SurveySubmitted(events::SurveySubmitted {
            survey_id: survey_id.to_string(),
            service_code: service_code.to_string(),
            scores: scores.to_vec(),
        }),
    ))
}

/// The key a survey row is kept under instead of its complaint's id: a keyed HMAC (the office's
/// blind-index key), so one survey per complaint holds without naming the complaint.
pub fn survey_key(keys: &Keyring, office: &str, complaint_id: &str) -> Result<String> {
    keys.blind_index(office, "survey", complaint_id)
}

/// The survey totals of one office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeTotals {
    /// The office.
    pub office_code: String,
    /// Its respondents and score sums.
    pub totals: ikm::Totals,
}

/// What an index is asked for.
#[derive(Debug, Clone)]
pub struct IndexAsked {
    /// The office, or the province.
    pub office_code: String,
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
    /// Only this service's surveys; empty: all.
    pub service_code: String,
    /// How the elements are combined.
    pub method: ikm::Method,
    /// The province as a whole (one index per office, and the province's).
    pub province: bool,
    /// A provincial output (the province, or an office asked for by a provincial analyst or
    /// another office): small numbers are hidden (issue 12).
    pub provincial: bool,
}

fn grade_pb(g: Option<ikm::Grade>) -> pb::Grade {
    match g {
        None => pb::Grade::Unspecified,
        Some(ikm::Grade::A) => pb::Grade::A,
        Some(ikm::Grade::B) => pb::Grade::B,
        Some(ikm::Grade::C) => pb::Grade::C,
        Some(ikm::Grade::D) => pb::Grade::D,
    }
}

fn method_pb(m: ikm::Method) -> i32 {
    match m {
        ikm::Method::Mean => pb::IndexMethod::Mean as i32,
        ikm::Method::Weighted011 => pb::IndexMethod::Weighted011 as i32,
    }
}

/// The satisfaction index (IKM, [`ikm::compute`]) of the surveys' totals per office: the office's,
/// or the province's with one line per office. A provincial output hides every index of fewer
/// than 5 respondents.
pub fn satisfaction_index(asked: IndexAsked, rows: &[OfficeTotals]) -> pb::SatisfactionIndex {
    let mut all = ikm::Totals::default();
    let mut offices = Vec::new();
    for row in rows {
        all.add(&row.totals);
        if asked.province {
            let idx = ikm::compute(&row.totals, asked.method);
            offices.push(pb::OfficeIndex {
                office_code: row.office_code.clone(),
                respondents: idx.respondents,
                ikm: idx.ikm(),
                grade: grade_pb(idx.grade) as i32,
                suppressed: false,
            });
        }
    }
    if asked.provincial {
        suppress_small_offices(&mut offices);
    }
    let idx = ikm::compute(&all, asked.method);
    if asked.provincial && aduan_runtime::disclosure::is_small(idx.respondents) {
        return pb::SatisfactionIndex {
            office_code: asked.office_code,
            from: Some(date_to_proto(asked.from)),
            to: Some(date_to_proto(asked.to)),
            service_code: asked.service_code,
            method: method_pb(asked.method),
            offices,
            suppressed: true,
            ..Default::default()
        };
    }
    pb::SatisfactionIndex {
        office_code: asked.office_code,
        from: Some(date_to_proto(asked.from)),
        to: Some(date_to_proto(asked.to)),
        service_code: asked.service_code,
        respondents: idx.respondents,
        elements: idx
            .elements
            .iter()
            .map(|e| pb::ElementScore {
                code: e.code.into(),
                name: e.name.into(),
                average: e.average,
                weighted: e.weighted,
            })
            .collect(),
        index_value: idx.index_value,
        ikm: idx.ikm(),
        grade: grade_pb(idx.grade) as i32,
        grade_label: idx.grade.map(|g| g.label().to_string()).unwrap_or_default(),
        method: method_pb(asked.method),
        offices,
        suppressed: false,
    }
}

/// The offices of a provincial index with 1 to 4 respondents are hidden; when only one is, the
/// next smallest goes too, so that the province's total cannot give it away.
fn suppress_small_offices(offices: &mut [pb::OfficeIndex]) {
    let hide = |o: &mut pb::OfficeIndex| {
        o.respondents = 0;
        o.ikm = 0.0;
        o.grade = pb::Grade::Unspecified as i32;
        o.suppressed = true;
    };
    let mut hidden = 0;
    for o in offices.iter_mut() {
        if aduan_runtime::disclosure::is_small(o.respondents) {
            hide(o);
            hidden += 1;
        }
    }
    if hidden == 1
        && let Some(o) = offices
            .iter_mut()
            .filter(|o| !o.suppressed && o.respondents > 0)
            .min_by_key(|o| o.respondents)
    {
        hide(o);
    }
}
