//! aduan in a Kubernetes cluster (issue 6, items 4 and 5).
//!
//! - [`crd`]: the `Office` and `HolidayCalendar` custom resources (group `aduan.go.id`, version
//!   `v1`, namespaced), their conversion to the calendar crate's [`aduan_calendar::Calendar`] and
//!   [`aduan_calendar::HolidayTable`] with errors that name the field, and the CRD YAML generated
//!   from the types (committed in `helm/aduan/crds/`; the `aduan-crdgen` binary writes it and a
//!   test fails when the committed files differ).
//! - [`directory`]: the [`OfficeDirectory`], every office's calendar by code, fed from the
//!   reference-data files (embedded default) and, in cluster mode, by watches on the resources
//!   that apply every change without a restart.
//! - [`leader`]: [`Leadership`] for the singleton loops, by the PostgreSQL advisory lock or by a
//!   `coordination.k8s.io/v1` Lease.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod crd;
pub mod directory;
mod error;
pub mod leader;

pub use crd::{GROUP, HolidayCalendar, HolidayCalendarSpec, Office, OfficeSpec, crd_yaml, crds};
pub use directory::{OfficeDirectory, OfficeEntry, Origin, Snapshot};
pub use error::{Error, FieldError, Result};
pub use leader::{
    Attempt, LeaderElection, Leadership, LeaseConfig, LeaseLeadership, LeaseLock, lease_name,
};
