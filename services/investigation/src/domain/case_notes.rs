//! Case notes: the Bidang's working notes on an open case, at any step from S8 to S12 and after.

use aduan_proto::events::v1::LifecycleEvent;
use aduan_runtime::Result;
use aduan_runtime::auth::Caller;

use super::{ActorRec, File, NoteRec, history, may_work, open};

/// Adds the note `text` as `id` (no event: a note is not an activity of the procedure).
pub fn add(
    file: &mut File,
    caller: &Caller,
    who: &ActorRec,
    now: i64,
    id: &str,
    text: &str,
) -> Result<Vec<LifecycleEvent>> {
    open(file, "A case note")?;
    may_work(caller, file, true)?;
    file.body.notes.push(NoteRec {
        id: id.to_string(),
        text: text.trim().to_string(),
        by: who.clone(),
        at: now,
    });
    history(file, who, now, "note", id.to_string());
    Ok(Vec::new())
}
