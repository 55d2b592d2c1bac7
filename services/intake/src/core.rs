//! The intake core: the store (with its registration batcher), the keys that seal personal
//! data and blind-index identities, the reference data, the tracking rate limiter; and the
//! helpers every RPC uses (the record a caller may see, the access log).

use std::net::IpAddr;
use std::sync::Arc;

use aduan_proto::common::v1::Channel;
use aduan_proto::intake::v1 as pb;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::auth::{Caller, Role};
use aduan_runtime::crypto::{DataKey, Keyring};
use aduan_runtime::ratelimit::RateLimiter;
use aduan_runtime::time::{from_micros, to_micros};
use aduan_runtime::{Error, Result};
use jiff::Timestamp;
use prost::Message;

use crate::domain::{self, Assessment, ComplaintRow};
use crate::refdata::{Office, RefData};
use crate::store::IntakeStore;

/// Everything the service needs once storage is ready.
pub struct Intake {
    pub(crate) store: Arc<dyn IntakeStore>,
    /// The database, for the access log's chain (`aduan_runtime::audit`).
    pub(crate) db: aduan_runtime::db::Database,
    outbox: Arc<aduan_spine::relay::Outbox>,
    pub(crate) batcher: crate::store::Batcher,
    pub(crate) keys: Arc<Keyring>,
    pub(crate) refdata: Arc<RefData>,
    pub(crate) limiter: RateLimiter<IpAddr>,
    pub(crate) trusted_proxies: Vec<aduan_runtime::ratelimit::Cidr>,
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

/// The console component's service identity: the public portal's submissions (channel WEB).
pub const CONSOLE_SUBJECT: &str = "service:console";

/// True when the caller is the console, submitting a citizen's web form.
pub(crate) fn is_console(caller: &Caller) -> bool {
    caller.acts_as(Role::Service) && caller.principal.subject == CONSOLE_SUBJECT
}

/// Only a partner agency's grants: it sees its own submissions only.
pub(crate) fn partner_only(caller: &Caller) -> bool {
    caller.grants.iter().all(|g| g.role == Role::PartnerAgency)
}

/// The sealing context of an amendment's reason.
pub(crate) fn aad_reason(id: &str) -> Vec<u8> {
    format!("{id}/reason").into_bytes()
}

/// The sealing context of an access's purpose.
pub(crate) fn aad_purpose(id: &str) -> Vec<u8> {
    format!("{id}/access-purpose").into_bytes()
}

impl Intake {
    pub(crate) fn office(&self, code: &str) -> Option<&Office> {
        self.refdata.office(code)
    }

    /// The complaint's own data key (None: registered before the keys).
    pub(crate) fn data_key(&self, row: &ComplaintRow) -> Result<Option<DataKey>> {
        row.data_key
            .as_deref()
            .map(|w| self.keys.data_key(&row.office_code, &row.id, w))
            .transpose()
    }

    /// Opens something of `row` sealed with its data key (or, from before the keys, with the
    /// registering office's key).
    pub(crate) fn open_of(&self, row: &ComplaintRow, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        let key = self.data_key(row)?;
        self.keys
            .open_sealed(&row.office_code, key.as_ref(), aad, sealed)
    }

    /// The body `sealed` of `row` (its current one, or a revision's).
    pub(crate) fn open_body(
        &self,
        row: &ComplaintRow,
        sealed: &[u8],
    ) -> Result<pb::ComplaintPatch> {
        let plain = self.open_of(row, row.id.as_bytes(), sealed)?;
        pb::ComplaintPatch::decode(plain.as_slice())
            .map_err(|_| Error::Internal("stored body does not decode".into()))
    }

    pub(crate) fn index_of(
        &self,
        office: &str,
        body: &pb::ComplaintPatch,
    ) -> Result<Vec<(String, String)>> {
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
    pub(crate) async fn prior_complaints(
        &self,
        office: &str,
        body: &pb::ComplaintPatch,
    ) -> Result<i32> {
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

    pub(crate) fn received_date(&self, row_office: &str, received_at: i64) -> jiff::civil::Date {
        let tz = self
            .office(row_office)
            .map(|o| o.time_zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        from_micros(received_at).to_zoned(tz).date()
    }

    pub(crate) fn assess(&self, body: &pb::ComplaintPatch, row: &ComplaintRow) -> Assessment {
        let channel = Channel::try_from(row.channel).unwrap_or(Channel::Unspecified);
        domain::assess(
            body,
            channel,
            &self.refdata,
            self.received_date(&row.office_code, row.received_at),
        )
    }

    /// A complaint the caller may see, or NOT_FOUND (another office's complaint must not be
    /// known to exist; a partner agency sees its own submissions only).
    pub(crate) async fn visible(&self, caller: &Caller, id: &str) -> Result<ComplaintRow> {
        let id = crate::api::validate::parse_id("complaint_id", id)?;
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

    pub(crate) async fn log_access(
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
        let who = ActorRec::of(caller);
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
}
