//! S10: the Bidang collects data and information: documents and evidence (with files, sealed
//! in the evidence storage), home visits, and coordination with other agencies.

use aduan_proto::common::v1::Step;
use aduan_proto::events::v1::{HandlingActivityKind, LifecycleEvent};
use aduan_proto::investigation::v1 as pb;
use aduan_runtime::auth::Caller;
use aduan_runtime::{Error, Result};

use super::{
    ActorRec, CaseDoc, CoordinationRec, EvidenceRec, File, FileRec, HomeVisitRec, activity,
    enum_code, history, in_handling, may_work,
};

/// Whether `caller` may add evidence to the case now: checked before a file is stored, and
/// again when the evidence is recorded.
pub fn may_collect(file: &File, caller: &Caller) -> Result<()> {
    in_handling(file, "Collecting data (S10)")?;
    may_work(caller, file, false)
}

/// Records the evidence `rec` (its file, if any, is stored already).
pub fn add(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    mut rec: EvidenceRec,
) -> Result<Vec<LifecycleEvent>> {
    may_collect(file, caller)?;
    rec.at = now;
    let kind = enum_code::<pb::EvidenceKind>(rec.kind, "EVIDENCE_KIND_", |e| e.as_str_name());
    let detail = format!(
        "{} {kind}{}",
        rec.id,
        if rec.file.is_some() { " with file" } else { "" }
    );
    file.body.evidence.push(rec);
    history(file, who, now, "evidence", detail);
    Ok(vec![activity(
        file,
        Step::S10DataCollection,
        who,
        now,
        HandlingActivityKind::DataCollection,
        |a| {
            a.activity_code = format!("evidence.{kind}");
        },
    )])
}

/// The evidence `evidence_id` of the case and its stored file (NOT_FOUND otherwise).
pub fn stored_file<'a>(
    file: &'a File,
    evidence_id: &str,
) -> Result<(&'a EvidenceRec, &'a FileRec)> {
    let ev = file
        .body
        .evidence
        .iter()
        .find(|e| e.id == evidence_id)
        .ok_or(Error::NotFound("evidence"))?;
    let stored = ev.file.as_ref().ok_or(Error::NotFound("evidence file"))?;
    Ok((ev, stored))
}

/// Records the home visit `rec`.
pub fn home_visit(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    rec: HomeVisitRec,
) -> Result<Vec<LifecycleEvent>> {
    let step = ("A home visit (S10)", "home_visit");
    collect(file, caller, who, now, step, |doc| {
        let id = rec.id.clone();
        doc.home_visits.push(HomeVisitRec { at: now, ..rec });
        id
    })
}

/// Records the coordination with an agency `rec`.
pub fn coordination(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    rec: CoordinationRec,
) -> Result<Vec<LifecycleEvent>> {
    let step = ("Coordination with an agency (S10)", "coordination");
    collect(file, caller, who, now, step, |doc| {
        let id = rec.id.clone();
        doc.coordinations.push(CoordinationRec { at: now, ..rec });
        id
    })
}

/// A home visit or coordination (`step`: its name in messages and its code): `push` adds the
/// record to the case and returns its id for the history.
fn collect(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    (step, code): (&str, &str),
    push: impl FnOnce(&mut CaseDoc) -> String,
) -> Result<Vec<LifecycleEvent>> {
    in_handling(file, step)?;
    may_work(caller, file, false)?;
    let id = push(&mut file.body);
    history(file, who, now, code, id);
    Ok(vec![activity(
        file,
        Step::S10DataCollection,
        who,
        now,
        HandlingActivityKind::DataCollection,
        |a| {
            a.activity_code = code.into();
        },
    )])
}
