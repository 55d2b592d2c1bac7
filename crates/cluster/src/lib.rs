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

/// Cluster mode for one process: the office directory that follows the `Office` and
/// `HolidayCalendar` resources, and the Lease leader election of its singleton loops.
pub struct ClusterMode {
    /// The directory (install it as the process's live calendar source).
    pub directory: OfficeDirectory,
    /// The leader election of the singleton loops.
    pub election: LeaderElection,
    /// The watches; they run until the process stops.
    pub watch: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// Connects to the API server with the in-cluster service account (or the kubeconfig outside a
/// cluster) and prepares cluster mode: `namespace` (empty: the client's default, the pod's own),
/// the file data the directory falls back to, and the Lease duration.
pub async fn cluster_mode(
    namespace: &str,
    refdata: &aduan_refdata::RefData,
    holidays: aduan_calendar::HolidayTable,
    lease_seconds: u32,
) -> Result<ClusterMode> {
    let client = kube::Client::try_default().await?;
    let namespace = if namespace.is_empty() {
        client.default_namespace().to_string()
    } else {
        namespace.to_string()
    };
    let directory = OfficeDirectory::from_refdata(refdata, holidays);
    let watch = Box::pin(directory::watch(
        client.clone(),
        namespace.clone(),
        directory.clone(),
    ));
    Ok(ClusterMode {
        directory,
        election: LeaderElection::Lease {
            client,
            config: LeaseConfig::with_lease_seconds(namespace, lease_seconds),
        },
        watch,
    })
}
