//! The operators' API of the relay (`aduan.events.v1.EventRelayAdmin`): state, dead letters, replay.

use std::collections::HashMap;

use aduan_proto::events::v1 as ev;
use prost::Message;
use tokio::sync::oneshot;

use aduan_runtime::auth::{Access, AuthzTable, Caller, Role, grant};
use aduan_runtime::time::now_micros;
use aduan_runtime::{Error, Result};

use super::*;

fn dead_to_proto(source: &str, d: &DeadLetterRow) -> ev::DeadLetter {
    ev::DeadLetter {
        source_service: source.to_string(),
        subscriber: d.subscriber.clone(),
        sequence: d.seq,
        event_id: d.event_id.clone(),
        complaint_id: d.complaint_id.clone(),
        event_type: d.event_type.clone(),
        error: d.error.clone(),
        attempts: d.attempts,
        dead_at: Some(aduan_runtime::time::to_proto(
            aduan_runtime::time::from_micros(d.dead_at),
        )),
        held_behind: d.held_behind.unwrap_or(0),
    }
}

/// Who may call the admin API: operators of the province see the relays' state (counts, no
/// complaint); only a relay administrator of an office sees and replays dead letters, those of
/// its own office's complaints (issue 12).
pub static ADMIN_AUTHZ: AuthzTable = &[
    (
        "/aduan.events.v1.EventRelayAdmin/GetRelayStatus",
        Access::Roles(&[
            grant(Role::Operator, aduan_runtime::auth::Scope::Province),
            grant(Role::RelayAdmin, aduan_runtime::auth::Scope::Office),
        ]),
    ),
    (
        "/aduan.events.v1.EventRelayAdmin/ListDeadLetters",
        Access::Roles(&[grant(Role::RelayAdmin, aduan_runtime::auth::Scope::Office)]),
    ),
    (
        "/aduan.events.v1.EventRelayAdmin/ReplayDeadLetters",
        Access::Roles(&[grant(Role::RelayAdmin, aduan_runtime::auth::Scope::Office)]),
    ),
];

/// The office of each dead letter (from its event in the outbox); letters whose event cannot be
/// read have none.
async fn offices_of(outbox: &Outbox, dead: &[DeadLetterRow]) -> Result<HashMap<i64, String>> {
    let seqs: Vec<i64> = dead.iter().map(|d| d.seq).collect();
    let events = outbox.events_at(&seqs).await?;
    Ok(events
        .into_iter()
        .filter_map(|(seq, e)| {
            ev::LifecycleEvent::decode(e.payload.as_slice())
                .ok()
                .map(|l| (seq, l.office_code))
        })
        .collect())
}

#[tonic::async_trait]
impl ev::event_relay_admin_server::EventRelayAdmin for Relays {
    async fn get_relay_status(
        &self,
        request: tonic::Request<ev::GetRelayStatusRequest>,
    ) -> std::result::Result<tonic::Response<ev::GetRelayStatusResponse>, tonic::Status> {
        Caller::from_request(&request)?;
        let mut relays = Vec::new();
        for h in self.all() {
            let live = h
                .live
                .lock()
                .ok()
                .and_then(|l| l.active.then_some(l.position).flatten());
            let position = match live {
                Some(p) => p,
                None => h.outbox.cursor(&h.subscriber).await?,
            };
            let head = h.outbox.head().await?;
            let lag = match h.outbox.created_at(position + 1).await? {
                Some(c) => ((now_micros() - c) as f64 / 1e6).max(0.0),
                None => 0.0,
            };
            let dead = h.outbox.dead_count(&h.subscriber).await?;
            let (active, last_error) = h
                .live
                .lock()
                .map(|l| (l.active, l.last_error.clone()))
                .unwrap_or_default();
            relays.push(ev::RelayStatus {
                source_service: h.outbox.service.to_string(),
                subscriber: h.subscriber.clone(),
                endpoint: h.endpoint.clone(),
                active,
                position,
                head,
                pending: (head - position).max(0),
                lag_seconds: lag,
                dead_letters: dead,
                last_error,
            });
        }
        Ok(tonic::Response::new(ev::GetRelayStatusResponse { relays }))
    }

    async fn list_dead_letters(
        &self,
        request: tonic::Request<ev::ListDeadLettersRequest>,
    ) -> std::result::Result<tonic::Response<ev::ListDeadLettersResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let limit = match r.limit {
            0 => 100,
            n if (1..=1000).contains(&n) => i64::from(n),
            _ => {
                return Err(Error::invalid("limit", "between 1 and 1000").into());
            }
        };
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for h in self.all() {
            if !r.source_service.is_empty() && h.outbox.service != r.source_service {
                continue;
            }
            if !seen.insert(h.outbox.service) {
                continue;
            }
            let sub = (!r.subscriber.is_empty()).then_some(r.subscriber.as_str());
            let cid = (!r.complaint_id.is_empty()).then_some(r.complaint_id.as_str());
            let dead = h.outbox.dead_letters(sub, cid, 100_000).await?;
            let offices = offices_of(&h.outbox, &dead).await?;
            for d in dead
                .iter()
                .filter(|d| offices.get(&d.seq).is_some_and(|o| caller.covers_office(o)))
            {
                out.push(dead_to_proto(h.outbox.service, d));
            }
        }
        out.truncate(limit as usize);
        Ok(tonic::Response::new(ev::ListDeadLettersResponse {
            dead_letters: out,
        }))
    }

    async fn replay_dead_letters(
        &self,
        request: tonic::Request<ev::ReplayDeadLettersRequest>,
    ) -> std::result::Result<tonic::Response<ev::ReplayDeadLettersResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let mut v = aduan_runtime::Violations::new();
        if r.source_service.is_empty() {
            v.add("source_service", "required");
        }
        if r.subscriber.is_empty() {
            v.add("subscriber", "required");
        }
        if r.complaint_id.is_empty() {
            v.add(
                "complaint_id",
                "required: an office's relay administrator replays one complaint at a time",
            );
        }
        v.into_result()?;
        let Some(h) = self
            .all()
            .into_iter()
            .find(|h| h.outbox.service == r.source_service && h.subscriber == r.subscriber)
        else {
            return Err(Error::NotFound("relay").into());
        };
        // Only the dead letters of a complaint of the caller's office.
        let dead = h
            .outbox
            .dead_letters(Some(&r.subscriber), Some(&r.complaint_id), 100_000)
            .await?;
        let offices = offices_of(&h.outbox, &dead).await?;
        if dead.is_empty()
            || !dead
                .iter()
                .all(|d| offices.get(&d.seq).is_some_and(|o| caller.covers_office(o)))
        {
            return Err(Error::NotFound("dead letter").into());
        }
        let (tx, rx) = oneshot::channel();
        h.commands
            .send(Command::Replay {
                complaint_id: (!r.complaint_id.is_empty()).then_some(r.complaint_id),
                reply: tx,
            })
            .await
            .map_err(|_| Error::Unavailable("the relay is stopping".into()))?;
        let outcome = rx
            .await
            .map_err(|_| Error::Unavailable("the relay is stopping".into()))??;
        Ok(tonic::Response::new(ev::ReplayDeadLettersResponse {
            delivered: outcome.delivered as i32,
            still_dead: outcome
                .still_dead
                .iter()
                .map(|d| dead_to_proto(h.outbox.service, d))
                .collect(),
        }))
    }
}
