//! Who receives which lifecycle events of whom: the routes of the relay, and the roster of the
//! components they join.

/// The services of the procedure, in its order: each has a database, an outbox and a gRPC API.
pub const SERVICES: &[&str] = &["intake", "triage", "investigation", "feedback", "reporting"];

/// Every component of the event flow, each holding a service key (`<component>.pem`): the five
/// services and the web console, which receives notifications and signs the public form's
/// submissions.
pub const COMPONENTS: &[&str] = &[
    "intake",
    "triage",
    "investigation",
    "feedback",
    "reporting",
    "console",
];

/// Where one outbox's events go: a subscriber and its endpoint.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The receiving service, for example "triage".
    pub subscriber: String,
    /// Its gRPC endpoint, for example "http://127.0.0.1:50051".
    pub endpoint: String,
    /// The event types it takes (outbox `event_type`); the others are not sent.
    pub events: &'static [&'static str],
}

/// One relay: the event types of one publisher's outbox that one subscriber takes. The relay
/// sends only these, and the subscriber's inbox refuses any other (docs/security.md).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The publishing service.
    pub source: &'static str,
    /// The receiving service.
    pub subscriber: &'static str,
    /// The event types (outbox `event_type`, see [`super::event_type`]).
    pub events: &'static [&'static str],
}

const fn route(
    source: &'static str,
    subscriber: &'static str,
    events: &'static [&'static str],
) -> Route {
    Route {
        source,
        subscriber,
        events,
    }
}

/// Who receives which lifecycle events of whom (docs/ARCHITECTURE.md, "How a complaint moves";
/// docs/security.md, "Service identity"). Each entry is one relay.
pub const ROUTES: &[Route] = &[
    // S3 registered, S9 amended: the screening queue.
    route("intake", "triage", &["registered", "amended"]),
    // S7 disposition: a case opens in the Bidang.
    route("triage", "investigation", &["disposition_issued"]),
    // S12 response approved: delivery opens.
    route("investigation", "feedback", &["response_approved"]),
    // S13 delivered, S14 dissatisfied: the case waits, or reopens; closed after silence.
    route(
        "feedback",
        "investigation",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    // S13 delivered: the SLA clock stops; S14 reopened: a new clock; closed after silence.
    route(
        "feedback",
        "triage",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    // Intake follows the complaint for public tracking and its amendment rules: screening
    // (transfer, referral, rejection), disposition, delivery, reopening, closing.
    route(
        "triage",
        "intake",
        &[
            "screened",
            "forwarded_to_head",
            "disposition_issued",
            "closed",
        ],
    ),
    route(
        "feedback",
        "intake",
        &["response_delivered", "feedback_recorded", "closed"],
    ),
    route("reporting", "intake", &["closed"]),
    // Every lifecycle event of every service: reporting's projections, statistics, timeline.
    route("intake", "reporting", &["registered", "amended"]),
    route(
        "triage",
        "reporting",
        &[
            "screened",
            "forwarded_to_head",
            "disposition_issued",
            "sla_alert",
            "closed",
        ],
    ),
    route(
        "investigation",
        "reporting",
        &[
            "handling_activity",
            "eligibility_decided",
            "referral_made",
            "referral_answered",
            "response_approved",
            "closed",
        ],
    ),
    route(
        "feedback",
        "reporting",
        &[
            "response_delivered",
            "feedback_recorded",
            "survey_submitted",
            "closed",
        ],
    ),
    // S16 distributed to the complainant and the Head: the complaint is closed everywhere.
    route("reporting", "triage", &["closed"]),
    route("reporting", "investigation", &["closed"]),
    route("reporting", "feedback", &["closed"]),
    // The console's notifications (docs/console.md, "Notifications"): a disposition to a
    // Bidang, an SLA warning or breach; a response drafted for approval, returned, approved, a
    // case moved or reopened. The console keeps only numbers, codes and dates of them; the
    // registration gives the number and category that an SLA alert does not carry.
    route("intake", "console", &["registered"]),
    route("triage", "console", &["disposition_issued", "sla_alert"]),
    route(
        "investigation",
        "console",
        &["handling_activity", "response_approved"],
    ),
];

/// The route from `source` to `subscriber`, if there is one.
pub fn find_route(source: &str, subscriber: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.source == source && r.subscriber == subscriber)
}
