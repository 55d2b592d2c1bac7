//! Generated gRPC contracts of aduan (`proto/`). Generated types stay at the edge: services convert
//! them to their domain types in one module each.
#![allow(clippy::all, missing_docs)]

/// Shared messages (`aduan.common.v1`).
pub mod common {
    pub mod v1 {
        tonic::include_proto!("aduan.common.v1");
    }
}

/// The lifecycle event (`aduan.events.v1`).
pub mod events {
    pub mod v1 {
        tonic::include_proto!("aduan.events.v1");
    }
}

/// The intake service (`aduan.intake.v1`).
pub mod intake {
    pub mod v1 {
        tonic::include_proto!("aduan.intake.v1");
    }
}

/// The encoded `FileDescriptorSet` of every aduan proto file, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/aduan_descriptor.bin"));

/// The triage service (`aduan.triage.v1`).
pub mod triage {
    pub mod v1 {
        tonic::include_proto!("aduan.triage.v1");
    }
}

/// The investigation service (`aduan.investigation.v1`).
pub mod investigation {
    pub mod v1 {
        tonic::include_proto!("aduan.investigation.v1");
    }
}

/// The feedback service (`aduan.feedback.v1`).
pub mod feedback {
    pub mod v1 {
        tonic::include_proto!("aduan.feedback.v1");
    }
}

/// The reporting service (`aduan.reporting.v1`).
pub mod reporting {
    pub mod v1 {
        tonic::include_proto!("aduan.reporting.v1");
    }
}
