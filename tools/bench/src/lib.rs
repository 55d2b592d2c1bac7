//! aduan's benchmarks (docs/benchmarks.md), out of the main crate: the binaries under `src/bin`.
//! What the load generators send (`aduan-load`, `aduan-relay-bench`): the offices of Jawa Timur
//! and one complete complaint (R1-R6 met), so both benchmarks measure the same work.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as pb;

/// The 38 offices of Jawa Timur (data/offices/35.csv).
pub const JATIM: [&str; 38] = [
    "35.01", "35.02", "35.03", "35.04", "35.05", "35.06", "35.07", "35.08", "35.09", "35.10",
    "35.11", "35.12", "35.13", "35.14", "35.15", "35.16", "35.17", "35.18", "35.19", "35.20",
    "35.21", "35.22", "35.23", "35.24", "35.25", "35.26", "35.27", "35.28", "35.29", "35.71",
    "35.72", "35.73", "35.74", "35.75", "35.76", "35.77", "35.78", "35.79",
];

/// A complete complaint (social assistance, walk-in) for `office`. The reporter's NIK and phone
/// number are one of 9,999 per office, chosen by the request id, so that some reporters come back
/// (as in an office) without every complaint sharing one identity.
pub fn complaint(request_id: String, office: &str) -> pb::SubmitComplaintRequest {
    let who = request_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) % 9999
        + 1;
    pb::SubmitComplaintRequest {
        request_id,
        office_code: office.into(),
        channel: common::Channel::WalkIn as i32,
        reporter: Some(common::Person {
            full_name: "Siti Aminah".into(),
            nik: format!("352704570890{who:04}"),
            phone: format!("08123456{who:04}"),
            address: Some(common::Address {
                line: "Jl. Rajawali No. 7".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reported_party: Some(common::Person {
            description: "tetangga".into(),
            ..Default::default()
        }),
        content: Some(pb::ComplaintContent {
            subject: "Bantuan PKH tidak cair".into(),
            description: "Bantuan PKH keluarga kami tidak cair sejak bulan Maret 2026.".into(),
            chronology: "Maret tidak cair; April lapor ke pendamping PKH; Mei belum ada jawaban."
                .into(),
            incident_date: Some(common::Date {
                year: 2026,
                month: 3,
                day: 2,
            }),
            incident_place: "Desa Taddan".into(),
            category_code: "bantuan_sosial".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `authorization` header values of a complaints officer for each office, minted with the local
/// key of `data_dir` (the embedded default).
pub fn officer_headers(
    config: &aduan::Config,
    data_dir: &Path,
    subject: &str,
    offices: &[String],
) -> aduan_runtime::Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for o in offices {
        let t = aduan_runtime::auth::mint_local(
            &config.auth,
            data_dir,
            subject,
            o,
            &[aduan_runtime::auth::Role::ComplaintsOfficer],
            None,
            Duration::from_secs(3600),
        )?;
        out.insert(o.clone(), format!("Bearer {t}"));
    }
    Ok(out)
}
