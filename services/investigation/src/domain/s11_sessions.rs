//! S11: investigation, mediation and family counselling sessions, once the complaint qualifies.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::Caller;
use aduan_runtime::{Error, Result};

use super::{ActorRec, File, SessionRec, activity, enum_code, history, in_handling, may_work};

/// Records the session `rec`.
pub fn record(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    mut rec: SessionRec,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, "A session (S11)")?;
    match file.body.eligibility() {
        None => {
            return Err(Error::FailedPrecondition(
                "sessions (S11) follow a qualifying eligibility decision; none is recorded".into(),
            ));
        }
        Some(e) if !e.qualifies => {
            return Err(Error::FailedPrecondition(
                "the complaint does not qualify for follow-up (S11): no sessions".into(),
            ));
        }
        Some(_) => {}
    }
    may_work(caller, file, false)?;
    rec.at = now;
    let kind = enum_code::<pb::SessionKind>(rec.kind, "SESSION_KIND_", |e| e.as_str_name());
    let outcome =
        enum_code::<pb::SessionOutcome>(rec.outcome, "SESSION_OUTCOME_", |e| e.as_str_name());
    let topics = rec.topic_codes.clone();
    let detail = format!(
        "{} {kind}: {outcome}{}",
        rec.id,
        if topics.is_empty() {
            String::new()
        } else {
            format!(" ({})", topics.join(", "))
        }
    );
    file.body.sessions.push(rec);
    history(file, who, now, "session", detail);
    Ok(vec![activity(
        file,
        Step::S11InvestigationMediation,
        who,
        now,
        HandlingActivityKind::Session,
        |a| {
            a.activity_code = format!("session.{kind}");
            a.outcome_code = outcome;
            a.topic_codes = topics;
        },
    )])
}
