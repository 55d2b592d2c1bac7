//! The crate's one error type.

/// A field of a resource that is not acceptable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's path, for example `spec.closures[1].to`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// The same problem, attributed to `object` (for example `Office aduan/sampang`).
    pub fn in_object(self, object: impl Into<String>) -> Error {
        Error::Invalid {
            object: object.into(),
            field: self.field,
            message: self.message,
        }
    }
}

/// Why a resource, a manifest file or a Kubernetes call was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A resource is not valid.
    #[error("{object}: {field}: {message}")]
    Invalid {
        /// Kind and `namespace/name` of the object.
        object: String,
        /// The field's path, for example `spec.timeZone`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A manifest or data file could not be read.
    #[error("{what}: {message}")]
    Manifest {
        /// Which file or document.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A call to the Kubernetes API failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
