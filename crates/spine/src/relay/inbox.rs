//! The receiving side: the process's `EventInbox`, the checks of a delivery, the receivers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aduan_proto::events::v1 as ev;

use aduan_runtime::auth::{Access, AuthzTable, Caller, Role, grant};
use aduan_runtime::{Error, Result};

use super::*;

/// Who may deliver events: services.
pub static INBOX_AUTHZ: AuthzTable = &[(
    "/aduan.events.v1.EventInbox/DeliverEvents",
    Access::Roles(&[grant(Role::Service, aduan_runtime::auth::Scope::Province)]),
)];

/// What a receiver did with a batch.
#[derive(Debug, Default, Clone)]
pub struct ApplyOutcome {
    /// Leading events applied now or before.
    pub applied: usize,
    /// Of those, applied before.
    pub duplicates: usize,
    /// The event refused for good, and why.
    pub rejection: Option<(String, String)>,
}

/// A service that receives lifecycle events.
#[tonic::async_trait]
pub trait EventReceiver: Send + Sync + 'static {
    /// Applies the events in order, idempotently by event id.
    async fn apply(&self, source: &str, events: Vec<ev::LifecycleEvent>) -> Result<ApplyOutcome>;
}

/// The process's `EventInbox`: routes each delivery to the named receiver of this process.
#[derive(Clone, Default)]
pub struct Inbox {
    receivers: Arc<RwLock<HashMap<String, Arc<dyn EventReceiver>>>>,
}

impl Inbox {
    /// An inbox without receivers (deliveries answer UNAVAILABLE until one registers).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the receiver of `subscriber` (once its store is ready).
    pub fn register(&self, subscriber: &str, receiver: Arc<dyn EventReceiver>) {
        if let Ok(mut r) = self.receivers.write() {
            r.insert(subscriber.to_string(), receiver);
        }
    }

    /// The gRPC service.
    pub fn into_server(self) -> ev::event_inbox_server::EventInboxServer<Self> {
        ev::event_inbox_server::EventInboxServer::new(self).max_decoding_message_size(64 << 20)
    }
}

#[tonic::async_trait]
impl ev::event_inbox_server::EventInbox for Inbox {
    async fn deliver_events(
        &self,
        request: tonic::Request<ev::DeliverEventsRequest>,
    ) -> std::result::Result<tonic::Response<ev::DeliverEventsResponse>, tonic::Status> {
        let caller = Caller::from_request(&request)?;
        let r = request.into_inner();
        let route = check_delivery(&caller, &r)?;
        // The receiving side of a batch links to each event's trace too (the spans that apply
        // the events are children of those traces; see telemetry::event_span).
        aduan_runtime::telemetry::link_events(&tracing::Span::current(), &r.events);
        let receiver = self
            .receivers
            .read()
            .ok()
            .and_then(|m| m.get(route.subscriber).cloned());
        let Some(receiver) = receiver else {
            return Err(Error::Unavailable(format!(
                "{} does not receive events in this process (yet)",
                route.subscriber
            ))
            .into());
        };
        let outcome = receiver.apply(&r.source_service, r.events).await?;
        Ok(tonic::Response::new(ev::DeliverEventsResponse {
            applied: outcome.applied as i32,
            duplicates: outcome.duplicates as i32,
            rejection: outcome
                .rejection
                .map(|(event_id, reason)| ev::EventRejection { event_id, reason }),
        }))
    }
}

/// The checks of a delivery before any event is applied: the caller is the service it says it
/// is (the subject of its service token), the subscriber takes events from it, and every event
/// is of that source and of a type of the route. A refusal changes nothing.
/// The most events one delivery may carry (`relay.batch_size` is capped to it).
pub const MAX_BATCH: usize = 1000;

fn check_delivery(
    caller: &Caller,
    r: &ev::DeliverEventsRequest,
) -> std::result::Result<&'static Route, Error> {
    if !ROUTES.iter().any(|x| x.subscriber == r.subscriber) {
        return Err(Error::invalid(
            "subscriber",
            "not a service that receives events",
        ));
    }
    let Some(source) = caller.principal.subject.strip_prefix("service:") else {
        return Err(Error::PermissionDenied(
            "only a service delivers events".into(),
        ));
    };
    if source != r.source_service {
        return Err(Error::PermissionDenied(
            "source_service is not the calling service".into(),
        ));
    }
    // Issue 13: a batch is bounded (relays send at most relay.batch_size, capped the same).
    if r.events.len() > MAX_BATCH {
        return Err(Error::invalid(
            "events",
            format!("at most {MAX_BATCH} events per delivery"),
        ));
    }
    let Some(route) = find_route(source, &r.subscriber) else {
        return Err(Error::PermissionDenied(
            "the subscriber takes no events from this service".into(),
        ));
    };
    for (i, e) in r.events.iter().enumerate() {
        if e.source_service != source {
            return Err(Error::PermissionDenied(format!(
                "events[{i}] names another source_service"
            )));
        }
        let kind = crate::casefile::event_type(e);
        if !route.events.contains(&kind) {
            return Err(Error::PermissionDenied(format!(
                "events[{i}]: the subscriber does not take {kind} events from {source}"
            )));
        }
    }
    Ok(route)
}
