# syntax=docker/dockerfile:1
# The aduan image: one static-ish binary on distroless, non-root (uid 65532).
#   docker build -t aduan:0.1.0 .
# See docs/deploy.md. The build needs only crates.io (protox compiles the protos, no protoc).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the target directory between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin aduan \
 && install -D -m 0755 target/release/aduan /out/aduan \
 && install -d -m 0755 /out/data-dir

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="aduan" \
      org.opencontainers.image.description="Complaint handling for Dinas Sosial P3A offices (gRPC services)" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/aduan /aduan
# The data directory (SQLite files in the embedded default). In Kubernetes an emptyDir is mounted
# here and the root filesystem is read-only.
COPY --from=build --chown=65532:65532 /out/data-dir /var/lib/aduan
ENV ADUAN_DATA_DIR=/var/lib/aduan \
    ADUAN_LISTEN=0.0.0.0:50051 \
    ADUAN_METRICS__LISTEN=0.0.0.0:9464
USER 65532:65532
EXPOSE 50051 9464
ENTRYPOINT ["/aduan"]
CMD ["up"]
