//! Who did something, as every service stores it: an account's subject, the role it acted in and
//! its office (no names: R6). One type for all five services' records and sealed case files.

use aduan_proto::common::v1::Actor;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;

/// Who did something (subject ids and roles; no names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRec {
    /// Token subject, or "system" for relayed events and sweepers.
    pub subject: String,
    /// The role acted in.
    pub role: String,
    /// The actor's office.
    pub office: String,
}

impl ActorRec {
    /// The caller, in the first role granted on this RPC.
    pub fn of(caller: &Caller) -> Self {
        Self {
            subject: caller.principal.subject.clone(),
            role: caller.acting_role().as_str().to_string(),
            office: caller.principal.office.clone(),
        }
    }

    /// The system (relayed events, sweepers).
    pub fn system() -> Self {
        Self {
            subject: "system".into(),
            role: "service".into(),
            office: String::new(),
        }
    }

    /// The actor a received event names, or the system when it names none.
    pub fn of_event(e: &aduan_proto::events::v1::LifecycleEvent) -> Self {
        e.actor
            .as_ref()
            .map(Self::from_pb)
            .unwrap_or_else(Self::system)
    }

    /// From the contracts' Actor.
    pub fn from_pb(a: &Actor) -> Self {
        Self {
            subject: a.subject.clone(),
            role: a.role.clone(),
            office: a.office_code.clone(),
        }
    }

    /// As the contracts' Actor.
    pub fn to_pb(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            role: self.role.clone(),
            office_code: self.office.clone(),
        }
    }
}
