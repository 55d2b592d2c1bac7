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

/// The codec of every aduan service and client: prost's, except that a request that is not a
/// valid protobuf message answers INVALID_ARGUMENT (the client sent bad input) instead of
/// INTERNAL, which would send operators looking for a fault in the server (issue 12's property
/// harness, tests/fuzz_rpcs.rs).
pub mod codec {
    use tonic::codec::{BufferSettings, DecodeBuf};
    use tonic::{Code, Status};

    /// The codec (`tonic_prost_build::Builder::codec_path`).
    #[derive(Debug, Clone)]
    pub struct Codec<T, U>(tonic_prost::ProstCodec<T, U>);

    impl<T, U> Default for Codec<T, U> {
        fn default() -> Self {
            Self(tonic_prost::ProstCodec::default())
        }
    }

    impl<T, U> tonic::codec::Codec for Codec<T, U>
    where
        T: prost::Message + Send + 'static,
        U: prost::Message + Default + Send + 'static,
    {
        type Encode = T;
        type Decode = U;
        type Encoder = tonic_prost::ProstEncoder<T>;
        type Decoder = Decoder<U>;

        fn encoder(&mut self) -> Self::Encoder {
            tonic::codec::Codec::encoder(&mut self.0)
        }

        fn decoder(&mut self) -> Self::Decoder {
            Decoder(tonic::codec::Codec::decoder(&mut self.0))
        }
    }

    /// prost's decoder with malformed messages mapped to INVALID_ARGUMENT.
    #[derive(Debug, Clone)]
    pub struct Decoder<U>(tonic_prost::ProstDecoder<U>);

    impl<U: prost::Message + Default> tonic::codec::Decoder for Decoder<U> {
        type Item = U;
        type Error = Status;

        fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
            self.0.decode(buf).map_err(|s| {
                if s.code() == Code::Internal {
                    Status::invalid_argument(format!("not a valid message: {}", s.message()))
                } else {
                    s
                }
            })
        }

        fn buffer_settings(&self) -> BufferSettings {
            self.0.buffer_settings()
        }
    }
}
