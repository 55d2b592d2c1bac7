//! The `aduan` command line against a real server: token, submit, list, amend, show, history,
//! find, track, health, with `--output json`, and refusals reported with the violated fields.

mod common;

use std::process::{Command, Output};

fn aduan(app: &common::TestApp, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aduan"));
    cmd.args(args)
        .env("ADUAN_SERVER", app.url())
        .env_remove("ADUAN_TOKEN")
        .env_remove("ADUAN_CONFIG");
    if let Some(t) = token {
        cmd.env("ADUAN_TOKEN", t);
    }
    cmd.output().expect("run aduan")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_takes_a_complaint_through_intake_from_the_command_line() {
    let app = common::start_sqlite().await;
    let data_dir = app.data_dir.to_string_lossy().to_string();
    let token_out = aduan(
        &app,
        None,
        &[
            "token",
            "--role",
            "complaints_officer",
            "--role",
            "head",
            "--office",
            "35.27",
            "--subject",
            "petugas-1",
            "--data-dir",
            &data_dir,
        ],
    );
    assert!(token_out.status.success());
    let token = String::from_utf8(token_out.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    let submit_args: &[&str] = &[
        "intake",
        "submit",
        "-o",
        "json",
        "--request-id",
        "cli-1",
        "--office",
        "35.27",
        "--channel",
        "phone",
        "--reporter-name",
        "Siti Aminah",
        "--reporter-phone",
        "081234567890",
        "--reporter-address",
        "Jl. Rajawali 7",
        "--reported-description",
        "tetangga",
        "--subject",
        "Bantuan PKH tidak cair",
        "--description",
        "Bantuan PKH keluarga kami tidak cair sejak Maret.",
        "--category",
        "bantuan_sosial",
    ];
    let submitted = json(&aduan(&app, Some(&token), submit_args));
    let c = &submitted["complaint"];
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["channel"], "CHANNEL_PHONE");
    assert_eq!(
        c["unmetRequirements"],
        serde_json::json!(["REQUIREMENT_R4_WHEN_WHERE_CHRONOLOGY"])
    );
    assert_eq!(c["reporter"]["phone"], "+6281234567890");

    // The same request id again: the same registration.
    let again = json(&aduan(&app, Some(&token), submit_args));
    assert_eq!(again["replayed"], true);
    assert_eq!(
        again["complaint"]["registrationNumber"],
        c["registrationNumber"]
    );

    let listed = json(&aduan(
        &app,
        Some(&token),
        &["intake", "list", "-o", "json", "--unmet", "R4"],
    ));
    assert_eq!(listed["complaints"].as_array().unwrap().len(), 1);

    let amended = json(&aduan(
        &app,
        Some(&token),
        &[
            "intake",
            "amend",
            &id,
            "-o",
            "json",
            "--reason",
            "wawancara S9",
            "--expected-revision",
            "1",
            "--set",
            "content.incident_date=2026-03-02",
            "--set",
            "content.incident_place=Desa Taddan",
            "--set",
            "content.chronology=Maret tidak cair; April lapor pendamping",
        ],
    ));
    assert_eq!(amended["complaint"]["revision"], 2);
    assert_eq!(
        amended["complaint"]["unmetRequirements"],
        serde_json::json!([])
    );

    let shown = json(&aduan(
        &app,
        Some(&token),
        &["intake", "show", &id, "-o", "json", "--revision", "1"],
    ));
    assert_eq!(shown["complaint"]["content"]["incidentPlace"], "");
    let history = json(&aduan(
        &app,
        Some(&token),
        &["intake", "history", &id, "-o", "json"],
    ));
    assert_eq!(history["revisions"].as_array().unwrap().len(), 2);
    let found = json(&aduan(
        &app,
        Some(&token),
        &["intake", "find", "--phone", "0812 3456 7890", "-o", "json"],
    ));
    assert_eq!(found["complaints"].as_array().unwrap().len(), 1);

    // The readable table names the registration and the requirement rows.
    let table = aduan(&app, Some(&token), &["intake", "show", &id]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(c["registrationNumber"].as_str().unwrap()) && text.contains("R6"),
        "{text}"
    );

    // Public tracking needs no token.
    let code = c["trackingCode"].as_str().unwrap();
    let tracked = json(&aduan(&app, None, &["intake", "track", code, "-o", "json"]));
    assert_eq!(tracked["status"], "COMPLAINT_STATUS_REGISTERED");
    assert!(tracked.get("reporter").is_none());

    // A refusal exits non-zero and names every violated field.
    let bad = aduan(
        &app,
        Some(&token),
        &[
            "intake",
            "submit",
            "--office",
            "35.27",
            "--channel",
            "letter",
            "--reporter-nik",
            "123",
            "--category",
            "nope",
        ],
    );
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("InvalidArgument")
            && err.contains("reporter.nik")
            && err.contains("content.category_code"),
        "{err}"
    );
    // No token: refused.
    let denied = aduan(&app, None, &["intake", "list"]);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("Unauthenticated"));

    let health = aduan(&app, None, &["health"]);
    assert!(health.status.success());
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "SERVING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unit_and_the_head_take_a_complaint_through_triage_from_the_command_line() {
    use aduan_proto::common::v1::Channel;
    use aduan_runtime::auth::Role;
    let app = common::start_sqlite().await;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let head = app.token_for("kadis", &[Role::Head], "35.27");
    let operator = app.token(&[Role::Operator], "35");
    let id = app
        .submit(common::complete_request("cli-triage", Channel::Letter))
        .await;
    let mut queue = serde_json::Value::Null;
    for _ in 0..200 {
        queue = json(&aduan(
            &app,
            Some(&officer),
            &["triage", "queue", "--office", "35.27", "-o", "json"],
        ));
        if queue["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(queue["entries"][0]["complaintId"], id.as_str());
    assert_eq!(queue["entries"][0]["urgent"], true);
    assert_eq!(
        queue["entries"][0]["sla"]["policyCode"],
        "sop_4_working_days"
    );

    // Screening without a decision is refused by the command line itself.
    let none = aduan(&app, Some(&officer), &["triage", "screen", &id]);
    assert!(!none.status.success());
    let accepted = json(&aduan(
        &app,
        Some(&officer),
        &["triage", "screen", &id, "--accept", "-o", "json"],
    ));
    assert_eq!(accepted["status"], "COMPLAINT_STATUS_ACCEPTED");
    let forwarded = json(&aduan(
        &app,
        Some(&officer),
        &[
            "triage",
            "forward",
            &id,
            "--summary",
            "Anak korban kekerasan",
            "--nature",
            "sangat-segera",
            "-o",
            "json",
        ],
    ));
    assert_eq!(forwarded["status"], "COMPLAINT_STATUS_AWAITING_DISPOSITION");
    assert_eq!(forwarded["nature"], "NATURE_SANGAT_SEGERA");
    let dispose = [
        "triage",
        "dispose",
        &id,
        "--bidang",
        "uptd_ppa",
        "--instruction",
        "untuk-ditindaklanjuti",
        "--instruction",
        "koordinasikan",
        "-o",
        "json",
    ];
    let denied = aduan(&app, Some(&officer), &dispose);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("PermissionDenied"));
    let disposed = json(&aduan(&app, Some(&head), &dispose));
    assert_eq!(disposed["status"], "COMPLAINT_STATUS_DISPOSED");
    assert_eq!(
        disposed["dispositions"][0]["instructions"],
        serde_json::json!([
            "INSTRUCTION_UNTUK_DITINDAKLANJUTI",
            "INSTRUCTION_KOORDINASIKAN"
        ])
    );
    let sheet = json(&aduan(
        &app,
        Some(&head),
        &["triage", "sheet", &id, "-o", "json"],
    ));
    assert_eq!(sheet["letterNumber"], "460/12/2026");
    assert_eq!(sheet["nature"], "NATURE_SANGAT_SEGERA");
    assert_eq!(sheet["signature"]["signedBy"], "kadis");
    let text = aduan(&app, Some(&head), &["triage", "sheet", &id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("LEMBAR DISPOSISI") && text.contains("Nomor agenda"),
        "{text}"
    );

    let status = json(&aduan(
        &app,
        Some(&operator),
        &["relay", "status", "-o", "json"],
    ));
    assert_eq!(status["relays"][0]["sourceService"], "intake");
    assert_eq!(status["relays"][0]["subscriber"], "triage");
    assert_eq!(status["relays"][0]["pending"], "0", "int64 as a string");
    let relay_admin = app.token(&[Role::RelayAdmin], "35.27");
    let dead = json(&aduan(
        &app,
        Some(&relay_admin),
        &["relay", "dead-letters", "-o", "json"],
    ));
    assert_eq!(dead["deadLetters"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casework_from_the_command_line() {
    use aduan_proto::common::v1::Channel;
    use aduan_runtime::auth::Role;
    use common::casework::{OFFICE, today, tok};
    let app = common::start_sqlite().await;
    let officer = app.token(&[Role::ComplaintsOfficer], OFFICE);
    let head = app.token_for("kadis", &[Role::Head], OFFICE);
    let kabid = tok(&app, "kabid", Role::BidangHead, OFFICE, Some("pa"));
    let petugas = tok(&app, "petugas-1", Role::BidangOfficer, OFFICE, Some("pa"));
    let id = app
        .submit(common::complete_request("cli-casework", Channel::WalkIn))
        .await;
    let d = today();
    let day = format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
    let year = d.year.to_string();

    // Triage: the unit screens and forwards, the Head disposes to Bidang `pa`.
    let mut queue = serde_json::Value::Null;
    for _ in 0..200 {
        queue = json(&aduan(
            &app,
            Some(&officer),
            &["triage", "queue", "--office", OFFICE, "-o", "json"],
        ));
        if queue["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(queue["entries"][0]["complaintId"], id.as_str());
    let accepted = json(&aduan(
        &app,
        Some(&officer),
        &["triage", "screen", &id, "--accept", "-o", "json"],
    ));
    assert_eq!(accepted["status"], "COMPLAINT_STATUS_ACCEPTED");
    let forwarded = json(&aduan(
        &app,
        Some(&officer),
        &[
            "triage",
            "forward",
            &id,
            "--summary",
            "Mohon disposisi",
            "-o",
            "json",
        ],
    ));
    assert_eq!(forwarded["status"], "COMPLAINT_STATUS_AWAITING_DISPOSITION");
    let disposed = json(&aduan(
        &app,
        Some(&head),
        &[
            "triage",
            "dispose",
            &id,
            "--bidang",
            "pa",
            "--instruction",
            "untuk-ditindaklanjuti",
            "-o",
            "json",
        ],
    ));
    assert_eq!(disposed["status"], "COMPLAINT_STATUS_DISPOSED");

    // Investigation (S8-S12) in Bidang `pa`.
    let mut listed = serde_json::Value::Null;
    for _ in 0..400 {
        listed = json(&aduan(
            &app,
            Some(&kabid),
            &["investigation", "list", "-o", "json"],
        ));
        if listed["cases"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["complaintId"] == id.as_str()))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(listed["cases"][0]["complaintId"], id.as_str());
    assert_eq!(listed["cases"][0]["bidangCode"], "pa");
    assert_eq!(listed["cases"][0]["status"], "COMPLAINT_STATUS_IN_HANDLING");
    let assigned = json(&aduan(
        &app,
        Some(&kabid),
        &[
            "investigation",
            "assign",
            &id,
            "--officer",
            "petugas-1:case-officer",
            "-o",
            "json",
        ],
    ));
    assert_eq!(assigned["case"]["assignees"][0]["subject"], "petugas-1");
    assert_eq!(
        assigned["case"]["assignees"][0]["function"],
        "OFFICER_FUNCTION_CASE_OFFICER"
    );
    let interview = json(&aduan(
        &app,
        Some(&petugas),
        &[
            "investigation",
            "interview",
            &id,
            "--kind",
            "clarification",
            "--party",
            "complainant",
            "--channel",
            "phone",
            "--date",
            &day,
            "--present",
            "Ibu pelapor",
            "--summary",
            "Klarifikasi kronologi",
            "-o",
            "json",
        ],
    ));
    assert!(!interview["interviewId"].as_str().unwrap().is_empty());
    let eligible = json(&aduan(
        &app,
        Some(&kabid),
        &[
            "investigation",
            "eligibility",
            &id,
            "--qualifies",
            "-o",
            "json",
        ],
    ));
    assert_eq!(
        eligible["case"]["eligibility"],
        "ELIGIBILITY_STATE_QUALIFIES"
    );
    let session = json(&aduan(
        &app,
        Some(&petugas),
        &[
            "investigation",
            "session",
            &id,
            "--kind",
            "mediation",
            "--date",
            &day,
            "--party",
            "complainant:Ibu S",
            "--party",
            "reported-party:Budi Santoso",
            "--outcome",
            "agreement-reached",
            "--terms",
            "Terlapor meminta maaf dan tidak mengulangi",
            "--summary",
            "Mediasi di kantor desa",
            "-o",
            "json",
        ],
    ));
    assert!(!session["recordId"].as_str().unwrap().is_empty());
    let drafted = json(&aduan(
        &app,
        Some(&petugas),
        &[
            "investigation",
            "draft",
            &id,
            "--text",
            "Mediasi menghasilkan kesepakatan.",
            "--outcome",
            "agreement-reached",
            "-o",
            "json",
        ],
    ));
    let revision = drafted["case"]["latestDraftRevision"].to_string();
    assert_eq!(revision, "1");
    // Only the Bidang head approves: refused on the command line with the gRPC code.
    let approve = [
        "investigation",
        "approve",
        &id,
        "--revision",
        &revision,
        "-o",
        "json",
    ];
    let denied = aduan(&app, Some(&petugas), &approve);
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("PermissionDenied"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let approved = json(&aduan(&app, Some(&kabid), &approve));
    assert_eq!(
        approved["case"]["status"],
        "COMPLAINT_STATUS_RESPONSE_READY"
    );
    assert_eq!(approved["case"]["responseVersion"], 1);

    // Feedback (S13-S14).
    let mut ready = serde_json::Value::Null;
    for _ in 0..400 {
        ready = json(&aduan(
            &app,
            Some(&officer),
            &[
                "feedback",
                "queue",
                "--office",
                OFFICE,
                "--queue",
                "awaiting-delivery",
                "-o",
                "json",
            ],
        ));
        if ready["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["complaintId"] == id.as_str()))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(ready["entries"][0]["complaintId"], id.as_str());
    assert_eq!(
        ready["entries"][0]["status"],
        "COMPLAINT_STATUS_RESPONSE_READY"
    );
    assert_eq!(ready["entries"][0]["outcomeCode"], "agreement_reached");
    let delivered = json(&aduan(
        &app,
        Some(&officer),
        &[
            "feedback",
            "deliver",
            &id,
            "--channel",
            "phone",
            "--note",
            "Jawaban dibacakan lewat telepon",
            "-o",
            "json",
        ],
    ));
    assert_eq!(delivered["status"], "COMPLAINT_STATUS_RESPONSE_DELIVERED");
    assert_eq!(delivered["deliveries"][0]["channel"], "CHANNEL_PHONE");
    assert_eq!(delivered["deliveries"][0]["note"], "", "no free text here");
    let recorded = json(&aduan(
        &app,
        Some(&officer),
        &["feedback", "record", &id, "--satisfied", "-o", "json"],
    ));
    assert_eq!(recorded["status"], "COMPLAINT_STATUS_REPORTING");
    assert_eq!(recorded["feedback"][0]["satisfied"], true);
    let survey = json(&aduan(
        &app,
        Some(&officer),
        &[
            "feedback",
            "survey",
            &id,
            "--service",
            "pengaduan",
            "--scores",
            "4,3,3,4,3,4,4,2,3",
            "-o",
            "json",
        ],
    ));
    assert_eq!(
        survey["scores"],
        serde_json::json!([4, 3, 3, 4, 3, 4, 4, 2, 3])
    );
    // 30 points of one respondent: mean NRR 30/9 = 3.3333, IKM 83.33 (B); with the 0.11
    // weights 30 x 0.11 x 25 = 82.50 (B).
    let index = json(&aduan(
        &app,
        Some(&head),
        &[
            "feedback", "index", "--office", OFFICE, "--year", &year, "-o", "json",
        ],
    ));
    assert_eq!(index["respondents"], "1", "int64 as a string");
    assert!(
        (index["ikm"].as_f64().unwrap() - 83.33).abs() < 1e-9,
        "{index}"
    );
    assert_eq!(index["grade"], "GRADE_B");
    assert_eq!(index["elements"][7]["average"], 2.0);
    let weighted = json(&aduan(
        &app,
        Some(&head),
        &[
            "feedback",
            "index",
            "--office",
            OFFICE,
            "--year",
            &year,
            "--method",
            "weighted-0-11",
            "-o",
            "json",
        ],
    ));
    assert!(
        (weighted["ikm"].as_f64().unwrap() - 82.5).abs() < 1e-9,
        "{weighted}"
    );

    // Reads of personal content are logged: the feedback record, and the case in the Bidang.
    let shown = json(&aduan(
        &app,
        Some(&officer),
        &[
            "feedback",
            "show",
            &id,
            "--purpose",
            "Tindak lanjut S14",
            "-o",
            "json",
        ],
    ));
    assert_eq!(
        shown["deliveries"][0]["note"],
        "Jawaban dibacakan lewat telepon"
    );
    assert_eq!(shown["surveyId"], survey["surveyId"]);
    let flog = json(&aduan(
        &app,
        Some(&head),
        &["feedback", "access-log", &id, "-o", "json"],
    ));
    let entries = flog["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{flog}");
    assert_eq!(entries[0]["purpose"], "Tindak lanjut S14");
    let case = json(&aduan(
        &app,
        Some(&kabid),
        &[
            "investigation",
            "show",
            &id,
            "--purpose",
            "Review jawaban",
            "-o",
            "json",
        ],
    ));
    assert_eq!(
        case["sessions"][0]["agreementTerms"],
        "Terlapor meminta maaf dan tidak mengulangi"
    );
    assert_eq!(case["responses"][0]["state"], "RESPONSE_STATE_APPROVED");
    let ilog = json(&aduan(
        &app,
        Some(&kabid),
        &["investigation", "access-log", &id, "-o", "json"],
    ));
    let entries = ilog["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{ilog}");
    assert_eq!(entries[0]["complaintId"], id.as_str());
    assert_eq!(entries[0]["what"], "case");
    assert_eq!(entries[0]["purpose"], "Review jawaban");
    assert_eq!(entries[0]["actor"]["subject"], "kabid");

    // Reporting (S15-S16): the queue, the report drafted, approved and distributed, the
    // timeline, the statistics with their CSV files, and the documents written to files.
    let reporter = tok(&app, "pelaporan-1", Role::ReportingOfficer, OFFICE, None);
    let mut waiting = serde_json::Value::Null;
    for _ in 0..400 {
        waiting = json(&aduan(
            &app,
            Some(&reporter),
            &["reporting", "queue", "--state", "awaiting", "-o", "json"],
        ));
        if waiting["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        waiting["reports"][0]["complaintId"],
        id.as_str(),
        "{waiting}"
    );
    let draft = json(&aduan(
        &app,
        Some(&petugas),
        &[
            "reporting",
            "draft",
            &id,
            "--recommend",
            "selesai",
            "--recommend",
            "pendampingan_psikologis",
            "--agency",
            "uptd_ppa",
            "-o",
            "json",
        ],
    ));
    assert_eq!(draft["state"], "REPORT_STATE_DRAFT");
    assert_eq!(draft["revision"], 1);
    let approved = json(&aduan(
        &app,
        Some(&kabid),
        &["reporting", "approve", &id, "--revision", "1", "-o", "json"],
    ));
    assert_eq!(approved["state"], "REPORT_STATE_APPROVED");
    for (to, agency, channel) in [
        ("complainant", "", "walk-in"),
        ("head", "", "letter"),
        ("agency", "uptd_ppa", "letter"),
    ] {
        let mut args = vec!["reporting", "distribute", id.as_str(), "--to", to];
        if !agency.is_empty() {
            args.extend(["--agency", agency]);
        }
        args.extend(["--channel", channel, "-o", "json"]);
        let out = json(&aduan(&app, Some(&officer), &args));
        assert_eq!(
            out["distributions"].as_array().unwrap().last().unwrap()["recipientKind"],
            format!("RECIPIENT_KIND_{}", to.to_uppercase())
        );
    }
    let shown = json(&aduan(
        &app,
        Some(&reporter),
        &["reporting", "show", &id, "-o", "json"],
    ));
    assert_eq!(shown["state"], "REPORT_STATE_DISTRIBUTED");
    assert_eq!(shown["complaintStatus"], "COMPLAINT_STATUS_CLOSED");
    assert_eq!(
        shown["distributions"][2]["recipientName"],
        "UPTD Perlindungan Perempuan dan Anak Kabupaten Sampang"
    );
    let timeline = json(&aduan(
        &app,
        Some(&officer),
        &["reporting", "timeline", &id, "-o", "json"],
    ));
    let kinds: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"registered"), "{kinds:?}");
    assert!(kinds.contains(&"survey_submitted"), "{kinds:?}");
    assert_eq!(
        kinds.last(),
        Some(&"handling_report_distributed"),
        "{kinds:?}"
    );
    let month = format!("{:04}-{:02}", d.year, d.month);
    let stats = json(&aduan(
        &app,
        Some(&reporter),
        &["reporting", "stats", "--month", &month, "-o", "json"],
    ));
    assert_eq!(stats["received"], "1");
    assert_eq!(stats["reportsDistributed"], "1");
    assert_eq!(stats["satisfaction"]["respondents"], "1");
    assert!(
        (stats["satisfaction"]["ikm"].as_f64().unwrap() - 83.33).abs() < 1e-9,
        "{stats}"
    );
    let dir = common::temp_dir();
    let dir_s = dir.to_string_lossy().to_string();
    let exported = aduan(
        &app,
        Some(&reporter),
        &["reporting", "export", "--month", &month, "--dir", &dir_s],
    );
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let summary =
        std::fs::read_to_string(dir.join(format!("aduan-{OFFICE}-{month}-ringkasan.csv"))).unwrap();
    assert!(summary.contains("pengaduan_diterima,1\r\n"), "{summary}");
    assert!(summary.contains("ikm,83.33\r\n"), "{summary}");
    let pdf = dir.join("laporan.pdf");
    let pdf_s = pdf.to_string_lossy().to_string();
    let doc = json(&aduan(
        &app,
        Some(&kabid),
        &[
            "reporting",
            "document",
            "handling-report",
            "--id",
            &id,
            "--purpose",
            "Arsip S15",
            "--out",
            &pdf_s,
            "-o",
            "json",
        ],
    ));
    assert!(doc["pages"].as_i64().unwrap() >= 1, "{doc}");
    let text = aduan_documents::inspect::text(&std::fs::read(&pdf).unwrap()).unwrap();
    assert!(
        text.contains("LAPORAN HASIL PENANGANAN PENGADUAN"),
        "{text}"
    );
    assert!(text.contains("Pendampingan psikologis"), "{text}");
    let monthly = dir.join("bulanan.pdf");
    let monthly_s = monthly.to_string_lossy().to_string();
    let out = aduan(
        &app,
        Some(&head),
        &[
            "reporting",
            "document",
            "monthly-report",
            "--month",
            &month,
            "--out",
            &monthly_s,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = aduan_documents::inspect::text(&std::fs::read(&monthly).unwrap()).unwrap();
    assert!(
        text.contains("LAPORAN BULANAN PENANGANAN PENGADUAN"),
        "{text}"
    );
    assert!(
        text.contains("83,33"),
        "the IKM in Indonesian notation: {text}"
    );
    let sheet = dir.join("disposisi.pdf");
    let sheet_s = sheet.to_string_lossy().to_string();
    let out = aduan(
        &app,
        Some(&head),
        &[
            "reporting",
            "document",
            "disposition-sheet",
            "--id",
            &id,
            "--out",
            &sheet_s,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = aduan_documents::inspect::text(&std::fs::read(&sheet).unwrap()).unwrap();
    assert!(text.contains("LEMBAR DISPOSISI"), "{text}");
    // Reading the findings for the report was logged in investigation, with its purpose.
    let ilog = json(&aduan(
        &app,
        Some(&kabid),
        &["investigation", "access-log", &id, "-o", "json"],
    ));
    let purposes: Vec<&str> = ilog["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["purpose"].as_str().unwrap())
        .collect();
    assert!(
        purposes.iter().any(|p| p.contains("Arsip S15")),
        "{purposes:?}"
    );
}
