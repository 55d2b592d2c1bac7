//! The office directory follows Office and HolidayCalendar objects through a (mocked) API server.

mod mock;

use std::sync::Arc;

use aduan_calendar::HolidayTable;
use aduan_cluster::directory::{watch_holiday_calendars, watch_offices};
use aduan_cluster::{HolidayCalendar, Office, OfficeDirectory, Origin};
use jiff::civil::date;
use kube::Api;
use serde_json::{Value, json};

fn sampang(resource_version: &str, closures: Value, time_zone: &str) -> Value {
    json!({
        "apiVersion": "aduan.go.id/v1", "kind": "Office",
        "metadata": {"name": "sampang", "namespace": "aduan", "resourceVersion": resource_version},
        "spec": {
            "code": "35.27",
            "name": "Dinas Sosial, Pemberdayaan Perempuan dan Perlindungan Anak Kabupaten Sampang",
            "timeZone": time_zone,
            "workingDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "hours": {"opens": "07:30", "closes": "16:00"},
            "bidang": [{"code": "rehsos", "name": "Bidang Rehabilitasi Sosial"},
                       {"code": "uptd_ppa", "name": "UPTD PPA"}],
            "head": {"subject": "kadis-sampang"},
            "closures": closures,
        }
    })
}

fn pamekasan(resource_version: &str) -> Value {
    json!({
        "apiVersion": "aduan.go.id/v1", "kind": "Office",
        "metadata": {"name": "uji-coba", "namespace": "aduan", "resourceVersion": resource_version},
        "spec": {
            "code": "35.99", "name": "Kantor uji coba", "timeZone": "WITA",
            "bidang": [{"code": "rehsos", "name": "Bidang Rehabilitasi Sosial"}],
            "head": {"subject": "kadis-uji"},
        }
    })
}

fn list(kind: &str, resource_version: &str, items: Vec<Value>) -> Value {
    json!({"apiVersion": "aduan.go.id/v1", "kind": kind,
           "metadata": {"resourceVersion": resource_version}, "items": items})
}

async fn wait_version(rx: &mut tokio::sync::watch::Receiver<u64>, at_least: u64) {
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        rx.wait_for(|v| *v >= at_least),
    )
    .await
    .expect("the directory changes")
    .expect("directory alive");
}

#[tokio::test]
async fn an_office_arrives_changes_and_is_deleted_without_a_restart() {
    let dir = OfficeDirectory::from_files("35", None).unwrap();
    let from_files = dir.office("35.27").unwrap();
    assert_eq!(from_files.origin, Origin::Files);
    assert_eq!(from_files.head_subject, None);
    let (client, mut api) = mock::client();
    let watch = tokio::spawn(watch_offices(
        Api::<Office>::namespaced(client, "aduan"),
        dir.clone(),
    ));

    // The initial listing: Sampang as a resource, and an office the files do not have.
    let call = mock::next(&mut api).await;
    assert_eq!(call.method, "GET");
    assert_eq!(call.path, "/apis/aduan.go.id/v1/namespaces/aduan/offices");
    assert!(!call.is_watch());
    call.reply(
        200,
        &list(
            "OfficeList",
            "10",
            vec![sampang("9", json!([]), "Asia/Jakarta"), pamekasan("8")],
        ),
    );

    // The watch starts from the listing's version; by then the listing is applied.
    let call = mock::next(&mut api).await;
    assert!(call.is_watch());
    assert_eq!(call.resource_version().as_deref(), Some("10"));
    let office = dir.office("35.27").unwrap();
    assert_eq!(office.origin, Origin::Resource("aduan/sampang".into()));
    assert_eq!(office.head_subject.as_deref(), Some("kadis-sampang"));
    assert_eq!(office.bidang.len(), 2);
    assert!(office.calendar.is_working_day(date(2026, 7, 7)));
    assert_eq!(
        dir.calendar("35.99").unwrap().time_zone_name(),
        "Asia/Makassar"
    );
    assert_eq!(dir.codes().len(), 39);

    // Changed: a closure is added.
    let closure = json!([{"from": "2026-07-06", "to": "2026-07-08", "reason": "pindah kantor"}]);
    call.reply_events(&[("MODIFIED", sampang("11", closure.clone(), "Asia/Jakarta"))]);
    let call = mock::next(&mut api).await;
    assert_eq!(call.resource_version().as_deref(), Some("11"));
    let calendar = dir.calendar("35.27").unwrap();
    assert!(!calendar.is_working_day(date(2026, 7, 7)));
    assert!(calendar.is_working_day(date(2026, 7, 9)));
    assert_eq!(calendar.closures().len(), 1);

    // A change that does not validate is refused; the last valid version stays.
    call.reply_events(&[("MODIFIED", sampang("12", closure, "Asia/Atlantis"))]);
    let call = mock::next(&mut api).await;
    assert!(
        !dir.calendar("35.27")
            .unwrap()
            .is_working_day(date(2026, 7, 7))
    );
    let problems = dir.problems();
    let problem = problems.get("Office aduan/sampang").expect("listed");
    assert!(problem.contains("spec.timeZone"), "{problem}");

    // Deleted: Sampang goes back to the files' entry, the other office is gone.
    call.reply_events(&[
        ("DELETED", sampang("13", json!([]), "Asia/Jakarta")),
        ("DELETED", pamekasan("14")),
    ]);
    let call = mock::next(&mut api).await;
    assert_eq!(call.resource_version().as_deref(), Some("14"));
    let office = dir.office("35.27").unwrap();
    assert_eq!(office.origin, Origin::Files);
    assert!(office.calendar.is_working_day(date(2026, 7, 7)));
    assert!(dir.office("35.99").is_none());
    assert_eq!(dir.codes().len(), 38);
    assert!(dir.problems().is_empty());
    drop(call);
    watch.abort();
}

#[tokio::test]
async fn a_relisting_drops_offices_deleted_while_the_watch_was_down() {
    let dir = OfficeDirectory::new(HolidayTable::new(), Vec::new());
    let mut changes = dir.subscribe();
    let (client, mut api) = mock::client();
    let watch = tokio::spawn(watch_offices(
        Api::<Office>::namespaced(client, "aduan"),
        dir.clone(),
    ));
    let call = mock::next(&mut api).await;
    call.reply(200, &list("OfficeList", "5", vec![pamekasan("4")]));
    let call = mock::next(&mut api).await;
    assert_eq!(dir.codes(), ["35.99"]);
    // The resource version is too old (what the API server says after a long disconnection):
    // the watcher lists again, and offices deleted meanwhile disappear.
    call.reply_events(&[(
        "ERROR",
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "too old resource version", "reason": "Expired", "code": 410}),
    )]);
    let version = dir.version();
    let call = mock::next(&mut api).await;
    assert!(!call.is_watch(), "lists again after 410 Gone");
    call.reply(200, &list("OfficeList", "20", vec![]));
    wait_version(&mut changes, version + 1).await;
    assert!(dir.codes().is_empty());
    watch.abort();
}

fn holidays_2026(resource_version: &str, table: &HolidayTable) -> Value {
    let mut object = serde_json::to_value(HolidayCalendar::from_table(
        table,
        2026,
        "SKB No. 1497/2/5 Tahun 2025",
    ))
    .unwrap();
    object["metadata"]["namespace"] = json!("aduan");
    object["metadata"]["resourceVersion"] = json!(resource_version);
    object
}

#[tokio::test]
async fn a_holiday_calendar_changes_a_years_holidays() {
    let dir = OfficeDirectory::from_files("35", None).unwrap();
    let shipped = HolidayTable::shipped().unwrap();
    let (client, mut api) = mock::client();
    let watch = tokio::spawn(watch_holiday_calendars(
        Api::<HolidayCalendar>::namespaced(client, "aduan"),
        dir.clone(),
    ));
    let call = mock::next(&mut api).await;
    assert_eq!(
        call.path,
        "/apis/aduan.go.id/v1/namespaces/aduan/holidaycalendars"
    );
    call.reply(
        200,
        &list(
            "HolidayCalendarList",
            "3",
            vec![holidays_2026("2", &shipped)],
        ),
    );
    let call = mock::next(&mut api).await;
    let sampang = dir.calendar("35.27").unwrap();
    assert!(!sampang.is_working_day(date(2026, 12, 24)), "cuti bersama");
    assert!(sampang.is_working_day(date(2026, 7, 6)));

    // A corrected decree: 24 December is a working day again, 6 July becomes cuti bersama.
    let mut corrected = HolidayTable::new();
    for h in shipped
        .iter()
        .filter(|h| h.date.year() == 2026 && h.date != date(2026, 12, 24))
    {
        corrected.insert(h.clone());
    }
    corrected.insert(aduan_calendar::Holiday {
        date: date(2026, 7, 6),
        name: "Cuti Bersama (uji)".into(),
        kind: aduan_calendar::HolidayKind::CutiBersama,
        provisional: false,
        status: None,
        note: None,
    });
    call.reply_events(&[("MODIFIED", holidays_2026("4", &corrected))]);
    let call = mock::next(&mut api).await;
    let sampang = dir.calendar("35.27").unwrap();
    assert!(sampang.is_working_day(date(2026, 12, 24)));
    assert!(!sampang.is_working_day(date(2026, 7, 6)));
    assert!(
        !dir.calendar("35.78")
            .unwrap()
            .is_working_day(date(2026, 7, 6)),
        "every office"
    );
    assert!(
        !sampang.is_working_day(date(2025, 12, 25)),
        "other years kept"
    );
    assert_eq!(
        dir.holidays()
            .iter()
            .filter(|h| h.date.year() == 2026)
            .count(),
        25
    );

    // A 2027 calendar with a date outside its year is refused.
    let mut bad = holidays_2026("5", &corrected);
    bad["metadata"]["name"] = json!("holidays-2027");
    bad["spec"]["year"] = json!(2027);
    call.reply_events(&[("ADDED", bad)]);
    let call = mock::next(&mut api).await;
    let problems = dir.problems();
    let problem = problems.get("HolidayCalendar aduan/holidays-2027").unwrap();
    assert!(problem.contains("spec.dates[0].date"), "{problem}");

    // Deleted: 2026 reverts to the shipped data.
    call.reply_events(&[("DELETED", holidays_2026("6", &corrected))]);
    let call = mock::next(&mut api).await;
    let sampang = dir.calendar("35.27").unwrap();
    assert!(!sampang.is_working_day(date(2026, 12, 24)));
    assert!(sampang.is_working_day(date(2026, 7, 6)));
    assert_eq!(*dir.holidays(), shipped);
    drop(call);
    watch.abort();
}

#[test]
fn reads_are_cheap_snapshots() {
    let dir = OfficeDirectory::from_files("35", None).unwrap();
    let before = dir.snapshot();
    let office: Office = serde_json::from_value(sampang(
        "1",
        json!([{"from": "2026-07-06", "to": "2026-07-06", "reason": "banjir"}]),
        "WIB",
    ))
    .unwrap();
    dir.apply_office(&office).unwrap();
    // A snapshot taken before the change is unchanged; a new one sees it.
    assert!(
        before.offices["35.27"]
            .calendar
            .is_working_day(date(2026, 7, 6))
    );
    assert!(
        !dir.calendar("35.27")
            .unwrap()
            .is_working_day(date(2026, 7, 6))
    );
    assert!(Arc::ptr_eq(&dir.snapshot(), &dir.snapshot()));
    assert!(dir.version() > before.version);
}

#[test]
fn two_objects_for_one_office_or_year_the_first_name_wins_until_it_goes() {
    let dir = OfficeDirectory::new(HolidayTable::new(), Vec::new());
    let named = |name: &str, subject: &str| -> Office {
        let mut v = pamekasan("1");
        v["metadata"]["name"] = json!(name);
        v["spec"]["head"]["subject"] = json!(subject);
        serde_json::from_value(v).unwrap()
    };
    let (a, b) = (named("a", "kadis-a"), named("b", "kadis-b"));
    dir.apply_office(&b).unwrap();
    dir.apply_office(&a).unwrap();
    assert_eq!(
        dir.office("35.99").unwrap().head_subject.as_deref(),
        Some("kadis-a")
    );
    assert!(dir.problems()["Office aduan/b"].contains("already given by Office aduan/a"));
    dir.delete_office(&a);
    assert_eq!(
        dir.office("35.99").unwrap().head_subject.as_deref(),
        Some("kadis-b")
    );
    assert!(dir.problems().is_empty());

    let shipped = HolidayTable::shipped().unwrap();
    let calendar = |name: &str| -> HolidayCalendar {
        let mut v = holidays_2026("1", &shipped);
        v["metadata"]["name"] = json!(name);
        serde_json::from_value(v).unwrap()
    };
    dir.apply_holiday_calendar(&calendar("x-2026")).unwrap();
    dir.apply_holiday_calendar(&calendar("y-2026")).unwrap();
    assert!(dir.problems()["HolidayCalendar aduan/y-2026"].contains("year 2026"));
    dir.delete_holiday_calendar(&calendar("x-2026"));
    assert!(dir.problems().is_empty());
    assert_eq!(dir.holidays().iter().count(), 25);
}
