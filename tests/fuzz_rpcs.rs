//! A property harness over every RPC of the contracts (issue 12): random requests, generated
//! from each method's input message descriptor (fields present or not, extreme numbers, NaN,
//! unknown enum values, empty, long, control-character and right-to-left text, valid-looking
//! codes and ids, deep nesting, long repeated fields) and now and then cut or corrupted on the
//! wire, are sent over gRPC to one `aduan up` process with every service, as callers with and
//! without grants. Every answer must be a gRPC status or a response; no handler may panic (a
//! panic hook counts them), no error answer may reach 16 KB (message, details and metadata;
//! issue 13) and the server must still answer health checks at the end.
//!
//! `ADUAN_FUZZ_CASES` sets the number of requests (default 3,000 in the test suite);
//! `ADUAN_FUZZ_SEED` the seed. The million-case run is recorded in docs/benchmarks.md.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aduan_runtime::auth::Role;
use bytes::{Buf, BufMut};
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};

/// xorshift64*: reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    "35",
    "35.27",
    "35.26",
    "36.01",
    "rehsos",
    "linjamsos",
    "uptd_ppa",
    "bantuan_sosial",
    "penelantaran_anak",
    "kdrt",
    "selesai",
    "polres",
    "complaints_officer",
    "service:intake",
    "intake",
    "triage",
    "reporting",
    "XR66-XXWH-SGQX",
    "3527045708900001",
    "3527043102900001",
    "0812-3456-7890",
    "+62 812 3456 7890",
    "siti@example.org",
    "2026-12-02",
    "2026-02-30",
    "S9",
    "content.chronology",
    "reporter",
    "victims[0].nik",
    "Siti Aminah",
    "Jl. Rajawali 7, Desa Taddan",
    "\u{0000}\u{0007}\r\n\t",
    "\u{202E}gnp.exe",
    "👩‍👧 anak",
    "'; DROP TABLE complaints; --",
    "%s%n%x",
    "../../etc/passwd",
    "01a2377d-4de2-707b-b337-0e88b0b13ae3",
    "not-a-uuid",
    "100",
    "-1",
];

fn text(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => uuid::Uuid::now_v7().to_string(),
        1 => {
            let n = [100, 501, 1001, 5000, 70_000][rng.below(5) as usize];
            "a".repeat(n)
        }
        2 => (0..rng.below(40))
            .map(|_| char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('x'))
            .collect(),
        _ => TEXTS[rng.below(TEXTS.len() as u64) as usize].to_string(),
    }
}

fn int(rng: &mut Rng) -> i64 {
    match rng.below(12) {
        0 => i64::from(i32::MAX),
        1 => i64::from(i32::MIN),
        2 => i64::MAX,
        3 => i64::MIN,
        4 => -1,
        5 => 0,
        6 => rng.below(100_000) as i64,
        _ => rng.below(20) as i64,
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

struct Gen<'a> {
    messages: &'a HashMap<String, DescriptorProto>,
}

impl Gen<'_> {
    fn message(&self, name: &str, depth: u32, rng: &mut Rng) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(m) = self.messages.get(name) else {
            return out;
        };
        for f in &m.field {
            if !rng.chance(70) {
                continue;
            }
            let repeated = f.label() == Label::Repeated;
            let n = if !repeated {
                1
            } else if rng.chance(3) {
                [20, 200, 3000][rng.below(3) as usize]
            } else {
                rng.below(4)
            };
            for _ in 0..n {
                self.field(f, depth, rng, &mut out);
            }
        }
        out
    }

    fn field(
        &self,
        f: &prost_types::FieldDescriptorProto,
        depth: u32,
        rng: &mut Rng,
        out: &mut Vec<u8>,
    ) {
        let num = u64::from(f.number() as u32);
        let key = |out: &mut Vec<u8>, wt: u64| varint(out, (num << 3) | wt);
        match f.r#type() {
            Type::String => {
                let s = text(rng);
                key(out, 2);
                varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Type::Bytes => {
                let len = [0, 3, 64, 4096][rng.below(4) as usize];
                key(out, 2);
                varint(out, len);
                let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                if len >= 3 && rng.chance(30) {
                    b[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
                }
                out.extend_from_slice(&b);
            }
            Type::Message | Type::Group => {
                let body = if depth < 4 {
                    self.message(f.type_name(), depth + 1, rng)
                } else {
                    Vec::new()
                };
                key(out, 2);
                varint(out, body.len() as u64);
                out.extend_from_slice(&body);
            }
            Type::Bool => {
                key(out, 0);
                varint(out, rng.below(3));
            }
            Type::Sint32 | Type::Sint64 => {
                let v = int(rng);
                key(out, 0);
                varint(out, ((v << 1) ^ (v >> 63)) as u64);
            }
            Type::Double | Type::Fixed64 | Type::Sfixed64 => {
                let v = match rng.below(5) {
                    0 => f64::NAN.to_bits(),
                    1 => f64::INFINITY.to_bits(),
                    2 => (-0.0f64).to_bits(),
                    3 => (1e300f64).to_bits(),
                    _ => rng.next(),
                };
                key(out, 1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Type::Float | Type::Fixed32 | Type::Sfixed32 => {
                let v = match rng.below(3) {
                    0 => f32::NAN.to_bits(),
                    1 => f32::NEG_INFINITY.to_bits(),
                    _ => rng.next() as u32,
                };
                key(out, 5);
                out.extend_from_slice(&v.to_le_bytes());
            }
            // Int32, Int64, Uint32, Uint64, Enum: varints (negative ints as 10 bytes).
            _ => {
                key(out, 0);
                varint(out, int(rng) as u64);
            }
        }
    }
}

/// Sends and receives raw protobuf bytes.
#[derive(Clone, Default)]
struct Raw;

struct RawEnc;
struct RawDec;

impl tonic::codec::Encoder for RawEnc {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawDec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEnc;
    type Decoder = RawDec;
    fn encoder(&mut self) -> RawEnc {
        RawEnc
    }
    fn decoder(&mut self) -> RawDec {
        RawDec
    }
}

static PANICS: AtomicU64 = AtomicU64::new(0);
/// The largest error answer seen, in bytes.
static LARGEST_ERROR: AtomicU64 = AtomicU64::new(0);
/// No error answer may be larger (issue 13: violations are capped, oversized lists get one).
const ERROR_MAX: usize = 16 * 1024;

/// The bytes of an error answer the client sees: message, details and metadata.
fn error_size(s: &tonic::Status) -> usize {
    let metadata: usize = s
        .metadata()
        .clone()
        .into_headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    s.message().len() + s.details().len() + metadata
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_makes_a_handler_panic() {
    let cases: u64 = std::env::var("ADUAN_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("ADUAN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_AD0A);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));

    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.log.level = "error".into();
    config.intake.track_per_minute = 0;
    let app = common::start_with(config).await;

    let fds = FileDescriptorSet::decode(aduan_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut messages = HashMap::new();
    let mut methods = Vec::new();
    for f in &fds.file {
        let pkg = f.package().to_string();
        let add = |prefix: String, m: &DescriptorProto, messages: &mut HashMap<_, _>| {
            messages.insert(format!("{prefix}.{}", m.name()), m.clone());
        };
        fn nested(
            prefix: &str,
            m: &DescriptorProto,
            messages: &mut HashMap<String, DescriptorProto>,
        ) {
            let name = format!("{prefix}.{}", m.name());
            for n in &m.nested_type {
                messages.insert(format!("{name}.{}", n.name()), n.clone());
                nested(&name, n, messages);
            }
        }
        for m in &f.message_type {
            add(format!(".{pkg}"), m, &mut messages);
            nested(&format!(".{pkg}"), m, &mut messages);
        }
        if !pkg.starts_with("aduan.") {
            continue;
        }
        for s in &f.service {
            for m in &s.method {
                methods.push((
                    format!("/{pkg}.{}/{}", s.name(), m.name()),
                    m.input_type().to_string(),
                    m.client_streaming(),
                ));
            }
        }
    }
    assert!(methods.len() > 50, "{} RPCs", methods.len());
    let bidang = |role: Role, bidang: &str| {
        aduan_runtime::auth::mint_local(
            &app.config.auth,
            &app.data_dir,
            "fuzz",
            "35.27",
            &[role],
            Some(bidang),
            Duration::from_secs(3600),
        )
        .unwrap()
    };
    let everyone = [
        Role::ComplaintsOfficer,
        Role::Head,
        Role::ReportingOfficer,
        Role::Operator,
        Role::RelayAdmin,
        Role::PartnerAgency,
    ];
    let tokens: Vec<Option<String>> = vec![
        None,
        Some(app.token(&everyone, "35.27")),
        Some(bidang(Role::BidangHead, "rehsos")),
        Some(bidang(Role::BidangOfficer, "linjamsos")),
        Some(app.token(&[Role::ProvincialAnalyst], "35")),
        Some(app.service_token("intake")),
        Some(app.service_token("reporting")),
        Some("Bearer-garbage".into()),
    ];
    let generator = Arc::new(Gen {
        messages: &*Box::leak(Box::new(messages)),
    });
    let sent = Arc::new(AtomicU64::new(0));
    let oks = Arc::new(AtomicU64::new(0));
    let mut codes: HashMap<String, u64> = HashMap::new();
    let started = Instant::now();
    let workers = 32u64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        // A connection per worker: a request that makes the server reset its connection shows
        // on that worker's requests only.
        let channel = app.channel().await;
        let (generator, methods, tokens) = (generator.clone(), methods.clone(), tokens.clone());
        let (sent, oks) = (sent.clone(), oks.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut codes: HashMap<String, u64> = HashMap::new();
            let mut previous_large = false;
            loop {
                let i = sent.fetch_add(1, Ordering::SeqCst);
                if i >= cases {
                    break;
                }
                let (path, input, streaming) = &methods[rng.below(methods.len() as u64) as usize];
                let mut body = generator.message(input, 0, &mut rng);
                if rng.chance(4) && !body.is_empty() {
                    let cut = rng.below(body.len() as u64) as usize;
                    body.truncate(cut);
                }
                if rng.chance(3) {
                    for _ in 0..3 {
                        let n = body.len().max(1) as u64;
                        let at = rng.below(n) as usize;
                        if let Some(b) = body.get_mut(at) {
                            *b = rng.next() as u8;
                        }
                    }
                }
                let token = &tokens[rng.below(tokens.len() as u64) as usize];
                let body_len = body.len();
                let mut grpc = tonic::client::Grpc::new(channel.clone())
                    .max_decoding_message_size(64 << 20)
                    .max_encoding_message_size(64 << 20);
                if grpc.ready().await.is_err() {
                    *codes.entry("transport".into()).or_default() += 1;
                    continue;
                }
                let p = http::uri::PathAndQuery::try_from(path.clone()).unwrap();
                let result = if *streaming {
                    let mut req = tonic::Request::new(tokio_stream::iter(vec![body.clone(), body]));
                    if let Some(t) = token {
                        req.metadata_mut()
                            .insert("authorization", format!("Bearer {t}").parse().unwrap());
                    }
                    grpc.client_streaming(req, p, Raw).await.map(|_| ())
                } else {
                    let mut req = tonic::Request::new(body);
                    if let Some(t) = token {
                        req.metadata_mut()
                            .insert("authorization", format!("Bearer {t}").parse().unwrap());
                    }
                    grpc.unary(req, p, Raw).await.map(|_| ())
                };
                // Beyond HTTP/2's initial window the server may answer (a refusal) before it has
                // read the whole request, and reset the rest of the stream.
                let large = body_len > 65_535;
                let after_large = std::mem::replace(&mut previous_large, large);
                let code = match result {
                    Ok(()) => {
                        oks.fetch_add(1, Ordering::Relaxed);
                        "OK".to_string()
                    }
                    // Refused while the client was still sending: the client sees the reset of
                    // the stream's rest (or, on the next request of the same connection, of the
                    // connection), not the status the server sent first.
                    Err(s)
                        if (large || after_large) && s.message().contains("h2 protocol error") =>
                    {
                        "refused while sending".to_string()
                    }
                    Err(s) => {
                        let size = error_size(&s);
                        LARGEST_ERROR.fetch_max(size as u64, Ordering::Relaxed);
                        if size >= ERROR_MAX {
                            *codes
                                .entry(format!("error of {size} bytes from {path}"))
                                .or_default() += 1;
                        }
                        if s.code() == tonic::Code::Internal || s.code() == tonic::Code::Unknown {
                            // An internal error is a bug until shown otherwise: name where.
                            *codes
                                .entry(format!("{:?} {path}: {}", s.code(), s.message()))
                                .or_default() += 1;
                        }
                        format!("{:?}", s.code())
                    }
                };
                *codes.entry(code).or_default() += 1;
            }
            codes
        }));
    }
    for t in tasks {
        for (k, v) in t.await.unwrap() {
            *codes.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed();
    let mut summary: Vec<_> = codes.iter().collect();
    summary.sort();
    println!(
        "fuzz: {cases} requests over {} RPCs in {:.1} s ({:.0}/s), seed {seed:#x}, {} panics, largest error {} bytes; codes {summary:?}",
        methods.len(),
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64(),
        PANICS.load(Ordering::SeqCst),
        LARGEST_ERROR.load(Ordering::Relaxed)
    );
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a handler panicked");
    // A gRPC status for every request: Unknown would be a reset stream (a dead handler).
    assert_eq!(codes.get("Unknown"), None, "{summary:?}");
    assert_eq!(codes.get("Internal"), None, "{summary:?}");
    assert_eq!(codes.get("transport"), None, "{summary:?}");
    // Every error answer is small, whatever was sent.
    assert!(
        !codes.keys().any(|k| k.starts_with("error of ")),
        "an error answer of {ERROR_MAX} bytes or more: {summary:?}"
    );
    // Still serving.
    let mut h = tonic_health::pb::health_client::HealthClient::new(app.channel().await);
    let status = h
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    app.running.shutdown().await.unwrap();
}
