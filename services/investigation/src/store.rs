//! Investigation's store: the sealed case files and the access log of their reads, behind typed
//! methods over `aduan_spine::casefile::CaseStore`. Investigation keeps no table of its own
//! besides the case store's, so no SQL is written in this crate: the queries are the case
//! store's, and this is the one module that calls it.

use std::sync::Arc;

use aduan_proto::events::v1::LifecycleEvent;
use aduan_runtime::Result;
use aduan_spine::casefile::{AccessEntry, CaseStore, Filter, Write};
use aduan_spine::relay::{ApplyOutcome, Outbox};

use crate::domain::{CaseDoc, File, Reaction};

/// The case files of investigation.
pub struct Store {
    cases: CaseStore,
}

/// A page of the access log and the offset of the next page, if there is one.
pub struct AccessPage {
    /// The entries, newest first.
    pub entries: Vec<AccessEntry>,
    /// Where the next page starts.
    pub next: Option<i64>,
}

impl Store {
    /// The store over `cases`.
    pub fn new(cases: CaseStore) -> Self {
        Self { cases }
    }

    /// The case store itself (for store-level tests and operators' tools).
    pub fn cases(&self) -> &CaseStore {
        &self.cases
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        self.cases.outbox()
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.cases.close().await
    }

    /// The case `id`, if investigation holds it.
    pub async fn get(&self, id: &str) -> Result<Option<File>> {
        self.cases.get(id).await
    }

    /// Changes the case `id` under its lock: `f` gets the case (None if unknown) and returns it
    /// changed with the events to publish, or None to leave it. The written case, if any.
    pub async fn change<F>(&self, id: &str, f: F) -> Result<Option<File>>
    where
        F: FnOnce(Option<File>) -> Result<Option<(File, Vec<LifecycleEvent>)>> + Send,
    {
        self.cases
            .mutate::<CaseDoc, _>(id, move |current| {
                Ok(f(current)?.map(|(file, events)| Write::new(file, events)))
            })
            .await
    }

    /// Applies received events in order, each at most once, with `react`.
    pub async fn apply(
        &self,
        source: &str,
        events: &[LifecycleEvent],
        react: impl Fn(&LifecycleEvent, Option<File>) -> Reaction + Send + Sync,
    ) -> Result<ApplyOutcome> {
        let f = |e: &LifecycleEvent, file: Option<File>| {
            Ok(react(e, file)?.map(|(file, events)| Write::new(file, events)))
        };
        self.cases.apply(source, events, &f).await
    }

    /// A page of an office's cases (newest change first) and the count of all matching.
    pub async fn list(&self, filter: &Filter, offset: i64, limit: i64) -> Result<(Vec<File>, i64)> {
        self.cases.list::<CaseDoc>(filter, offset, limit).await
    }

    /// Writes one read of personal content to the access log.
    pub async fn log_access(&self, entry: &AccessEntry) -> Result<()> {
        self.cases.log_access(entry).await
    }

    /// A page of `office`'s access log: one case's when `complaint_id` is not empty, the cases
    /// of one Bidang when `unit` is not empty (filtered in SQL), else the whole office's.
    pub async fn access_log(
        &self,
        office: &str,
        complaint_id: &str,
        unit: &str,
        offset: i64,
        limit: i64,
    ) -> Result<AccessPage> {
        let mut entries = self
            .cases
            .access_log_of_unit(office, complaint_id, unit, offset, limit + 1)
            .await?;
        let more = entries.len() as i64 > limit;
        entries.truncate(limit as usize);
        Ok(AccessPage {
            entries,
            next: more.then(|| offset + limit),
        })
    }
}
