//! The intake API over real gRPC against a real server (SQLite and PostgreSQL): every channel
//! (S1-S3), idempotency, gap-free numbers under concurrency, R1-R6, malformed input, identity
//! protection, authorization, amendments (S9), tracking.

#[macro_use]
mod common;

use std::collections::HashSet;

use aduan_proto::common::v1::{Channel, ComplaintStatus, Requirement};
use aduan_proto::intake::v1 as pb;
use aduan_runtime::auth::Role;
use common::{TestApp, authed, complete_request};
use tonic::Code;
use tonic_types::StatusExt;

fn violations(s: &tonic::Status) -> Vec<String> {
    s.get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

async fn every_channel_registers_with_a_number(app: TestApp) {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let partner = app.token_for("polres-sampang", &[Role::PartnerAgency], "35.27");
    let mut c = app.client().await;
    let mut numbers = Vec::new();
    for (i, ch) in [
        Channel::WalkIn,
        Channel::Letter,
        Channel::Phone,
        Channel::Fax,
        Channel::Email,
        Channel::PartnerApi,
    ]
    .into_iter()
    .enumerate()
    {
        let t = if ch == Channel::PartnerApi {
            &partner
        } else {
            &token
        };
        let resp = c
            .submit_complaint(authed(t, complete_request(&format!("ch-{i}"), ch)))
            .await
            .unwrap()
            .into_inner();
        let complaint = resp.complaint.unwrap();
        assert_eq!(complaint.channel, ch as i32);
        assert_eq!(complaint.status, ComplaintStatus::Registered as i32);
        assert!(
            complaint.unmet_requirements.is_empty(),
            "{ch:?}: {:?}",
            complaint.requirements
        );
        assert_eq!(complaint.requirements.len(), 6);
        assert_eq!(complaint.tracking_code.len(), 14);
        assert_eq!(
            complaint.recorded_by.as_ref().unwrap().role,
            if ch == Channel::PartnerApi {
                "partner_agency"
            } else {
                "complaints_officer"
            }
        );
        let identity = complaint.identity.unwrap();
        assert!(
            identity.reporter_identified
                && identity.anonymous
                && identity.confidential
                && identity.involves_child
        );
        if ch == Channel::Letter {
            let l = complaint.letter.unwrap();
            assert_eq!(l.number, "460/12/2026");
            assert!(l.addressed_to_office);
        }
        // Normalised on the way in.
        let reporter = complaint.reporter.unwrap();
        assert_eq!(reporter.phone, "+6281234567890");
        numbers.push(complaint.registration_number);
    }
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .year();
    let expected: Vec<String> = (1..=6).map(|n| format!("35.27-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // The partner sees its own submission only; the officer sees all six.
    let listed = c
        .list_complaints(authed(&partner, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.complaints.len(), 1);
    let listed = c
        .list_complaints(authed(&token, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.complaints.len(), 6);
    app.running.shutdown().await.unwrap();
}

async fn retries_and_concurrency(app: TestApp) {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let first = c
        .submit_complaint(authed(&token, complete_request("retry-1", Channel::Phone)))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replayed);
    let again = c
        .submit_complaint(authed(&token, complete_request("retry-1", Channel::Phone)))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replayed);
    assert_eq!(
        again.complaint.as_ref().unwrap().id,
        first.complaint.as_ref().unwrap().id
    );
    assert_eq!(
        again.complaint.unwrap().registration_number,
        first.complaint.unwrap().registration_number
    );
    let mut different = complete_request("retry-1", Channel::Phone);
    different.content.as_mut().unwrap().subject = "something else".into();
    let err = c
        .submit_complaint(authed(&token, different))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);

    let channel = app.channel().await;
    let mut handles = Vec::new();
    for i in 0..200 {
        let mut c = pb::intake_service_client::IntakeServiceClient::new(channel.clone());
        let token = token.clone();
        handles.push(tokio::spawn(async move {
            // 200 at once is more than intake admits (issue 13): a refused call comes back after
            // its RetryInfo delay, as a gRPC client with a retry policy does, with the same
            // idempotency key.
            loop {
                match c
                    .submit_complaint(authed(
                        &token,
                        complete_request(&format!("conc-{i}"), Channel::WalkIn),
                    ))
                    .await
                {
                    Ok(r) => return r.into_inner().complaint.unwrap().registration_number,
                    Err(e) if e.code() == Code::ResourceExhausted => {
                        let delay = e
                            .get_error_details()
                            .retry_info()
                            .and_then(|r| r.retry_delay)
                            .expect("RetryInfo");
                        tokio::time::sleep(delay).await;
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
        }));
    }
    let mut numbers = HashSet::new();
    for h in handles {
        assert!(numbers.insert(h.await.unwrap()), "duplicate number");
    }
    let mut seqs: Vec<u32> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (2..=201).collect::<Vec<u32>>(),
        "200 distinct, gap-free numbers after the first"
    );
    app.running.shutdown().await.unwrap();
}

async fn no_plaintext_personal_data_at_rest(app: TestApp) {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let resp = c
        .submit_complaint(authed(&token, complete_request("pii-1", Channel::WalkIn)))
        .await
        .unwrap()
        .into_inner();
    let id = resp.complaint.unwrap().id;
    let mut amend = pb::AmendComplaintRequest {
        complaint_id: id.clone(),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["reported_party.full_name".into()],
        }),
        patch: Some(pb::ComplaintPatch {
            reported_party: Some(aduan_proto::common::v1::Person {
                full_name: "Joko Widagdo".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reason: "wawancara dengan Siti Aminah".into(),
        ..Default::default()
    };
    c.amend_complaint(authed(&token, amend.clone()))
        .await
        .unwrap();
    amend.reason = "kedua".into();
    c.amend_complaint(authed(&token, amend)).await.unwrap();
    let secrets = [
        "Siti Aminah",
        "3527045708900001",
        "6281234567890",
        "081234567890",
        "Budi Santoso",
        "Joko Widagdo",
        "Rajawali",
        "siti.aminah@example.id",
        "Anak Korban",
        "dipukul",
    ];
    let url = app.database_url.clone();
    app.running.shutdown().await.unwrap();
    let mut haystack: Vec<u8> = Vec::new();
    if let Some(path) = url.strip_prefix("sqlite:") {
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                haystack.extend(bytes);
            }
        }
        assert!(haystack.len() > 4096);
    } else {
        haystack = pg_dump(&url).await;
        assert!(
            String::from_utf8_lossy(&haystack).contains("CREATE TABLE"),
            "a real dump"
        );
    }
    for s in secrets {
        assert!(
            !haystack.windows(s.len()).any(|w| w == s.as_bytes()),
            "{s} found in plaintext at rest"
        );
    }
}

async fn pg_dump(url: &str) -> Vec<u8> {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin/pg_dump"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(bin)
        .arg(url)
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The size of a status as a client receives it: message and details.
fn answer_size(s: &tonic::Status) -> usize {
    s.message().len() + s.details().len()
}

/// Issue 13: every repeated field has a maximum count. An oversized list gets one short
/// violation (not INTERNAL from a database with too many parameters), repeats are dropped, and
/// no answer repeats what the client sent.
async fn lists_in_requests_are_bounded(app: TestApp) {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let head = app.token(&[Role::Head], "35.27");
    let mut c = app.client().await;
    let id = app
        .submit(complete_request("bounded-1", Channel::WalkIn))
        .await;
    let registered = ComplaintStatus::Registered as i32;
    for (field, req) in [
        (
            "statuses",
            pb::ListComplaintsRequest {
                statuses: vec![registered; 100_000],
                ..Default::default()
            },
        ),
        (
            "channels",
            pb::ListComplaintsRequest {
                channels: vec![Channel::WalkIn as i32; 100_000],
                ..Default::default()
            },
        ),
        (
            "unmet_requirements",
            pb::ListComplaintsRequest {
                unmet_requirements: vec![99; 100_000],
                ..Default::default()
            },
        ),
    ] {
        let err = c.list_complaints(authed(&token, req)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}: {err:?}");
        assert_eq!(violations(&err), vec![field]);
        assert!(answer_size(&err) < 2_000, "{}", answer_size(&err));
    }
    // A few repeated values are one filter each.
    let listed = c
        .list_complaints(authed(
            &token,
            pb::ListComplaintsRequest {
                statuses: vec![
                    registered,
                    registered,
                    ComplaintStatus::NeedsInformation as i32,
                    registered,
                ],
                channels: vec![Channel::WalkIn as i32, Channel::WalkIn as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.complaints.len(), 1);
    let amend = |paths: Vec<String>, patch: pb::ComplaintPatch| pb::AmendComplaintRequest {
        complaint_id: id.clone(),
        expected_revision: 0,
        update_mask: Some(prost_types::FieldMask { paths }),
        patch: Some(patch),
        reason: "wawancara S9".into(),
    };
    // An unknown path is named by its index; its text is not repeated.
    let long = "zq".repeat(5_000);
    let err = c
        .amend_complaint(authed(
            &token,
            amend(
                vec!["content.subject".into(), long.clone()],
                Default::default(),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), vec!["update_mask.paths[1]"]);
    let text = format!("{}{:?}", err.message(), err.details());
    assert!(!text.contains("zqzq"), "{text}");
    assert!(answer_size(&err) < 2_000, "{}", answer_size(&err));
    // More paths than can be amended: one violation, none of them looked at.
    let err = c
        .amend_complaint(authed(&token, amend(vec![long; 100], Default::default())))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["update_mask.paths"]);
    assert!(answer_size(&err) < 2_000, "{}", answer_size(&err));
    // The violations of an amendment name the patch's fields.
    let future = aduan_proto::common::v1::Date {
        year: 2099,
        month: 1,
        day: 1,
    };
    let err = c
        .amend_complaint(authed(
            &token,
            amend(
                vec!["victims".into(), "content.incident_date".into()],
                pb::ComplaintPatch {
                    victims: vec![aduan_proto::common::v1::Person {
                        full_name: "Anak".into(),
                        birth_date: Some(future),
                        ..Default::default()
                    }],
                    content: Some(pb::ComplaintContent {
                        incident_date: Some(future),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&err),
        vec!["patch.victims[0].birth_date", "patch.content.incident_date"]
    );
    let err = c
        .amend_complaint(authed(
            &token,
            amend(
                vec!["victims".into()],
                pb::ComplaintPatch {
                    victims: vec![Default::default(); 10_000],
                    ..Default::default()
                },
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["patch.victims"]);
    // A repeated path is one change.
    let paths = ["content.subject", "visibility.anonymous", "content.subject"];
    c.amend_complaint(authed(
        &token,
        amend(
            paths.map(String::from).to_vec(),
            pb::ComplaintPatch {
                content: Some(pb::ComplaintContent {
                    subject: "Kekerasan terhadap anak".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ),
    ))
    .await
    .unwrap();
    let history = c
        .list_complaint_revisions(authed(
            &head,
            pb::ListComplaintRevisionsRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(
        history.last().unwrap().changed_fields,
        vec!["content.subject", "visibility.anonymous"]
    );
    // Too many victims in a submission: one violation too.
    let mut crowded = complete_request("bounded-2", Channel::WalkIn);
    crowded.victims = vec![Default::default(); 10_000];
    crowded.attachments = vec![Default::default(); 10_000];
    let err = c
        .submit_complaint(authed(&token, crowded))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["victims", "attachments"]);
    assert!(answer_size(&err) < 2_000, "{}", answer_size(&err));
    app.running.shutdown().await.unwrap();
}

both!(every_channel_registers_with_a_number);
both!(retries_and_concurrency);
both!(no_plaintext_personal_data_at_rest);
both!(lists_in_requests_are_bounded);

#[tokio::test]
async fn incomplete_complaints_are_registered_with_their_gaps() {
    let app = common::start_sqlite().await;
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    // A phone call from someone who gives only a first name and no address.
    let req = pb::SubmitComplaintRequest {
        request_id: "gap-1".into(),
        office_code: "35.27".into(),
        channel: Channel::Letter as i32,
        reporter: Some(aduan_proto::common::v1::Person {
            full_name: "Yanti".into(),
            ..Default::default()
        }),
        content: Some(pb::ComplaintContent {
            description: "Tolong".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let complaint = c
        .submit_complaint(authed(&token, req))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert!(
        !complaint.registration_number.is_empty(),
        "still registered"
    );
    let unmet: Vec<_> = complaint
        .unmet_requirements
        .iter()
        .map(|r| Requirement::try_from(*r).unwrap())
        .collect();
    assert_eq!(
        unmet,
        vec![
            Requirement::R1Clear,
            Requirement::R2Identity,
            Requirement::R3Object,
            Requirement::R4WhenWhereChronology,
            Requirement::R5OfficeService,
            Requirement::R6AddressedToOffice
        ]
    );
    assert!(
        !complaint.identity.unwrap().reporter_identified,
        "candidate surat kaleng"
    );
    assert_eq!(
        complaint.content.unwrap().description,
        "Tolong",
        "nothing said is lost"
    );
    // Listing by unmet requirement finds it; S9 then completes it.
    let listed = c
        .list_complaints(authed(
            &token,
            pb::ListComplaintsRequest {
                unmet_requirements: vec![Requirement::R2Identity as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.complaints.len(), 1);
    let full = complete_request("x", Channel::Letter);
    // A Bidang role amends only a complaint disposed to its Bidang (issue 12): this one was
    // never disposed, so for a counsellor it does not exist.
    let counsellor = app.token_for("konselor-1", &[Role::Counsellor], "35.27");
    let refused = c
        .amend_complaint(authed(
            &counsellor,
            pb::AmendComplaintRequest {
                complaint_id: complaint.id.clone(),
                expected_revision: 1,
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["content.subject".into()],
                }),
                patch: Some(pb::ComplaintPatch::default()),
                reason: "wawancara S9".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    let amended = c
        .amend_complaint(authed(
            &token,
            pb::AmendComplaintRequest {
                complaint_id: complaint.id.clone(),
                expected_revision: 1,
                update_mask: Some(prost_types::FieldMask {
                    paths: ["reporter", "reported_party", "content", "letter"]
                        .map(String::from)
                        .to_vec(),
                }),
                patch: Some(pb::ComplaintPatch {
                    reporter: full.reporter,
                    reported_party: full.reported_party,
                    content: full.content,
                    letter: full.letter,
                    ..Default::default()
                }),
                reason: "wawancara S9".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert!(amended.unmet_requirements.is_empty());
    assert_eq!(amended.revision, 2);
    assert_eq!(amended.registration_number, complaint.registration_number);
    // A stale revision is refused; the original stays readable.
    let stale = c
        .amend_complaint(authed(
            &token,
            pb::AmendComplaintRequest {
                complaint_id: complaint.id.clone(),
                expected_revision: 1,
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["content.subject".into()],
                }),
                patch: Some(pb::ComplaintPatch::default()),
                reason: "late".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    let head = app.token(&[Role::Head], "35.27");
    let original = c
        .get_complaint(authed(
            &head,
            pb::GetComplaintRequest {
                complaint_id: complaint.id.clone(),
                revision: 1,
                purpose: "audit".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(original.content.unwrap().description, "Tolong");
    assert_eq!(original.unmet_requirements.len(), 6);
    let history = c
        .list_complaint_revisions(authed(
            &head,
            pb::ListComplaintRevisionsRequest {
                complaint_id: complaint.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].reason, "wawancara S9");
    assert_eq!(
        history[1].actor.as_ref().unwrap().role,
        "complaints_officer"
    );
    assert!(history[1].unmet_requirements.is_empty());
    // Every read of personal data is in the access log.
    let log = c
        .list_access_log(authed(
            &head,
            pb::ListAccessLogRequest {
                complaint_id: complaint.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    // The revisions' reasons were read too (issue 12); this listing is logged after it answers.
    assert_eq!(
        actions,
        vec!["AmendComplaint", "GetComplaint", "ListComplaintRevisions"]
    );
    assert_eq!(log[1].purpose, "audit");
}

#[tokio::test]
async fn malformed_input_names_every_field() {
    let app = common::start_sqlite().await;
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let mut req = complete_request("", Channel::Unspecified);
    {
        let r = req.reporter.as_mut().unwrap();
        r.nik = "3527043102900001".into(); // 31 February
        r.phone = "0841234567".into(); // 084x is not a number
        r.address.as_mut().unwrap().postcode = "6928".into();
        r.email = "siti@".into();
    }
    req.received_at = Some(prost_types::Timestamp {
        seconds: jiff::Timestamp::now().as_second() + 86_400,
        nanos: 0,
    });
    req.content.as_mut().unwrap().incident_date = Some(aduan_proto::common::v1::Date {
        year: 2026,
        month: 2,
        day: 30,
    });
    req.content.as_mut().unwrap().category_code = "no_such_category".into();
    req.content.as_mut().unwrap().chronology = "x".repeat(20_001);
    req.letter.as_mut().unwrap().date = Some(aduan_proto::common::v1::Date {
        year: 2099,
        month: 1,
        day: 1,
    });
    let err = c.submit_complaint(authed(&token, req)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields = violations(&err);
    for f in [
        "request_id",
        "channel",
        "received_at",
        "reporter.nik",
        "reporter.phone",
        "reporter.email",
        "reporter.address.postcode",
        "content.incident_date",
        "content.category_code",
        "content.chronology",
        "letter.date",
    ] {
        assert!(
            fields.contains(&f.to_string()),
            "{f} not named in {fields:?}"
        );
    }
    assert!(!err.message().contains("3527043102900001"));
    let mut unknown_office = complete_request("o-1", Channel::WalkIn);
    unknown_office.office_code = "99.99".into();
    let err = c
        .submit_complaint(authed(&token, unknown_office))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["office_code"]);
    // Nothing was stored by the refused requests.
    let listed = c
        .list_complaints(authed(&token, pb::ListComplaintsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.complaints.is_empty());
    for bad in [
        pb::ListComplaintsRequest {
            page_size: 501,
            ..Default::default()
        },
        pb::ListComplaintsRequest {
            page_token: "garbage!".into(),
            ..Default::default()
        },
        pb::ListComplaintsRequest {
            statuses: vec![99],
            ..Default::default()
        },
    ] {
        assert_eq!(
            c.list_complaints(authed(&token, bad))
                .await
                .unwrap_err()
                .code(),
            Code::InvalidArgument
        );
    }
    let err = c
        .get_complaint(authed(
            &token,
            pb::GetComplaintRequest {
                complaint_id: "not-a-uuid".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["complaint_id"]);
}

#[tokio::test]
async fn authentication_and_office_isolation() {
    let app = common::start_sqlite().await;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let complaint = c
        .submit_complaint(authed(&officer, complete_request("iso-1", Channel::WalkIn)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    // No token.
    let err = c
        .submit_complaint(tonic::Request::new(complete_request(
            "iso-2",
            Channel::WalkIn,
        )))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // A forged token.
    let err = c
        .submit_complaint(authed(
            "eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
            complete_request("iso-3", Channel::WalkIn),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // A role that may not register.
    let analyst = app.token(&[Role::ProvincialAnalyst], "35");
    let err = c
        .submit_complaint(authed(&analyst, complete_request("iso-4", Channel::WalkIn)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // An officer of another office may not register for this one…
    let bangkalan = app.token(&[Role::ComplaintsOfficer, Role::Head], "35.26");
    let err = c
        .submit_complaint(authed(
            &bangkalan,
            complete_request("iso-5", Channel::WalkIn),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // …nor learn that its complaints exist.
    let err = c
        .get_complaint(authed(
            &bangkalan,
            pb::GetComplaintRequest {
                complaint_id: complaint.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .amend_complaint(authed(
            &bangkalan,
            pb::AmendComplaintRequest {
                complaint_id: complaint.id.clone(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["content.subject".into()],
                }),
                patch: Some(pb::ComplaintPatch::default()),
                reason: "x".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .list_complaints(authed(
            &bangkalan,
            pb::ListComplaintsRequest {
                office_code: "35.27".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Another partner agency does not see this complaint either.
    let partner = app.token_for("rsud-sampang", &[Role::PartnerAgency], "35.27");
    let err = c
        .get_complaint(authed(
            &partner,
            pb::GetComplaintRequest {
                complaint_id: complaint.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Repeat complainants: found by NIK through the blind index, only in the own office.
    let found = c
        .find_complaints_by_identity(authed(
            &officer,
            pb::FindComplaintsByIdentityRequest {
                office_code: String::new(),
                identity: Some(pb::find_complaints_by_identity_request::Identity::Nik(
                    "3527 0457 0890 0001".into(),
                )),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.complaints.len(), 1);
    assert_eq!(found.complaints[0].id, complaint.id);
    let found = c
        .find_complaints_by_identity(authed(
            &officer,
            pb::FindComplaintsByIdentityRequest {
                office_code: String::new(),
                identity: Some(pb::find_complaints_by_identity_request::Identity::Phone(
                    "+62 812 3456 7890".into(),
                )),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.complaints.len(), 1);
}

#[tokio::test]
async fn public_tracking_shows_status_only_and_is_rate_limited() {
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.intake.track_per_minute = 5;
    let app = common::start_with(config).await;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let complaint = c
        .submit_complaint(authed(
            &officer,
            complete_request("track-1", Channel::WalkIn),
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    let code = complaint.tracking_code.to_lowercase();
    let t = c
        .track_complaint(tonic::Request::new(pb::TrackComplaintRequest {
            tracking_code: code.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(t.status, ComplaintStatus::Registered as i32);
    assert_eq!(t.office_code, "35.27");
    assert!(t.registered_at.is_some());
    let err = c
        .track_complaint(tonic::Request::new(pb::TrackComplaintRequest {
            tracking_code: "0000-0000-0000".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .track_complaint(tonic::Request::new(pb::TrackComplaintRequest {
            tracking_code: "?".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let mut exhausted = false;
    for _ in 0..5 {
        if let Err(e) = c
            .track_complaint(tonic::Request::new(pb::TrackComplaintRequest {
                tracking_code: code.clone(),
            }))
            .await
        {
            assert_eq!(e.code(), Code::ResourceExhausted);
            // Issue 13: the refusal says when to come back (a token every 12 s at 5 a minute).
            let delay = e
                .get_error_details()
                .retry_info()
                .and_then(|r| r.retry_delay)
                .expect("RetryInfo");
            assert!(
                delay > std::time::Duration::ZERO && delay <= std::time::Duration::from_secs(12),
                "{delay:?}"
            );
            exhausted = true;
        }
    }
    assert!(exhausted, "the sixth request in a minute is refused");
}

/// Behind a trusted proxy (the ingress) each citizen has a bucket of their own, keyed by the
/// address the proxy forwarded; from anywhere else `X-Forwarded-For` is ignored (issue 12).
#[tokio::test]
async fn public_tracking_is_limited_per_forwarded_client_behind_trusted_proxies() {
    let track = |xff: &'static str| {
        let mut r = tonic::Request::new(pb::TrackComplaintRequest {
            tracking_code: "0000-0000-0000".into(),
        });
        r.metadata_mut()
            .insert("x-forwarded-for", xff.parse().unwrap());
        r
    };
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.intake.track_per_minute = 2;
    config.intake.trusted_proxies = "127.0.0.0/8, ::1".into();
    let app = common::start_with(config).await;
    let mut c = app.client().await;
    for _ in 0..2 {
        let e = c.track_complaint(track("198.51.100.1")).await.unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
    }
    let e = c.track_complaint(track("198.51.100.1")).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    // Another citizen behind the same ingress, and a forged hop left of the real one.
    let e = c.track_complaint(track("198.51.100.2")).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .track_complaint(track("203.0.113.50, 198.51.100.1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    app.running.shutdown().await.unwrap();

    // Without trusted proxies the header changes nothing: one bucket for the peer.
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.intake.track_per_minute = 2;
    let app = common::start_with(config).await;
    let mut c = app.client().await;
    for xff in ["198.51.100.1", "198.51.100.2"] {
        let e = c.track_complaint(track(xff)).await.unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
    }
    let e = c.track_complaint(track("198.51.100.3")).await.unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted);
    app.running.shutdown().await.unwrap();
}

/// The desk's live check (CheckComplaint): R1-R6 field by field and the repeat-complainant count
/// through the blind index, the same field violations as a registration, the officer's own office
/// only, and nothing registered.
async fn the_desk_check_registers_nothing(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let mut c = app.client().await;
    let count = |c: &mut pb::intake_service_client::IntakeServiceClient<_>| {
        let officer = officer.clone();
        let mut c = c.clone();
        async move {
            c.list_complaints(authed(&officer, pb::ListComplaintsRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .complaints
                .len()
        }
    };
    // Half a form: R1 and R4 unmet, with their interview hints; no identity, no repeats.
    let mut half = complete_request("", Channel::WalkIn);
    half.reporter.as_mut().unwrap().nik.clear();
    half.reporter.as_mut().unwrap().phone.clear();
    let content = half.content.as_mut().unwrap();
    content.description = "Bantuan".into();
    content.chronology.clear();
    content.incident_place.clear();
    let a = c
        .check_complaint(authed(&officer, half.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.requirements.len(), 6);
    assert!(
        a.unmet_requirements
            .contains(&(Requirement::R1Clear as i32))
            && a.unmet_requirements
                .contains(&(Requirement::R4WhenWhereChronology as i32)),
        "{a:?}"
    );
    let r1 = &a.requirements[0];
    assert!(!r1.met && !r1.hint.is_empty() && r1.missing_fields == ["content.description"]);
    assert_eq!(a.prior_complaints, 0);
    assert_eq!(count(&mut c).await, 0, "a check registers nothing");

    // The reporter complained twice before: the count comes from the blind index of the NIK.
    for i in 0..2 {
        c.submit_complaint(authed(
            &officer,
            complete_request(&format!("check-{i}"), Channel::WalkIn),
        ))
        .await
        .unwrap();
    }
    let again = complete_request("", Channel::Phone);
    let a = c
        .check_complaint(authed(&officer, again.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.prior_complaints, 2);
    assert!(a.unmet_requirements.is_empty(), "{a:?}");
    assert_eq!(count(&mut c).await, 2);

    // A malformed NIK: the registration's own field violation.
    let mut bad = again.clone();
    bad.reporter.as_mut().unwrap().nik = "12AB".into();
    let e = c.check_complaint(authed(&officer, bad)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["reporter.nik"]);
    // Another office's desk, the Head, and the console's service identity may not check here.
    for token in [
        app.token(&[Role::ComplaintsOfficer], "35.26"),
        app.token(&[Role::Head], "35.27"),
        app.service_token("console"),
    ] {
        let e = c
            .check_complaint(authed(&token, again.clone()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    }
}

both!(the_desk_check_registers_nothing);
