//! The CRD YAML in the chart equals what the types generate; the example resources convert to
//! the calendars the files give; invalid resources are refused naming the field.

use std::path::PathBuf;
use std::sync::Arc;

use aduan_calendar::{HolidayKind, HolidayTable};
use aduan_cluster::{Error, HolidayCalendar, Office, OfficeDirectory, Origin, crd_yaml, crds};
use jiff::civil::{Weekday, date, time};
use serde_json::json;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn committed_crds_equal_the_generated_ones() {
    let mut stale = Vec::new();
    for (file, crd) in crds() {
        let path = repo("helm/aduan/crds").join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != crd_yaml(&crd).unwrap() {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from the Rust types: run \
         `cargo run -p aduan-cluster --bin aduan-crdgen -- --write helm/aduan/crds`"
    );
    let names: Vec<String> = crds()
        .into_iter()
        .map(|(_, c)| c.metadata.name.unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["offices.aduan.go.id", "holidaycalendars.aduan.go.id"]
    );
}

fn examples() -> OfficeDirectory {
    let dir = OfficeDirectory::new(HolidayTable::new(), Vec::new());
    for file in ["office-sampang.yaml", "holidaycalendar-2026.yaml"] {
        let text = std::fs::read_to_string(repo("k8s/examples").join(file)).unwrap();
        assert_eq!(dir.load_manifests(file, &text).unwrap(), 1, "{file}");
    }
    dir
}

#[test]
fn the_example_holiday_calendar_is_the_shipped_2026_data() {
    let dir = examples();
    let shipped = HolidayTable::shipped().unwrap();
    let rows = |t: &HolidayTable| -> Vec<(String, String, HolidayKind, bool)> {
        t.iter()
            .filter(|h| h.date.year() == 2026)
            .map(|h| (h.date.to_string(), h.name.clone(), h.kind, h.provisional))
            .collect()
    };
    assert_eq!(rows(&dir.holidays()), rows(&shipped));
    assert_eq!(rows(&shipped).len(), 25);
    // And HolidayCalendar::from_table round-trips.
    let generated = HolidayCalendar::from_table(&shipped, 2026, "SKB");
    assert_eq!(rows(&generated.to_table().unwrap()), rows(&shipped));
    let provisional = HolidayCalendar::from_table(&shipped, 2027, "estimates");
    assert!(provisional.spec.provisional);
    assert!(provisional.spec.dates.iter().all(|d| !d.provisional));
}

#[test]
fn the_example_office_is_sampangs_calendar() {
    let dir = examples();
    let sampang = dir.office("35.27").unwrap();
    assert_eq!(sampang.origin, Origin::Resource("sampang".into()));
    assert!(sampang.name.ends_with("Kabupaten Sampang"));
    assert_eq!(sampang.bidang.len(), 8);
    assert_eq!(sampang.bidang[1].code, "rehsos");
    assert_eq!(sampang.head_subject.as_deref(), Some("kepala-dinas-35.27"));
    let calendar = &sampang.calendar;
    assert_eq!(calendar.time_zone_name(), "Asia/Jakarta");
    assert_eq!(
        calendar.working_week(),
        [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday
        ]
    );
    assert_eq!(
        calendar.working_hours(Weekday::Friday),
        Some((time(7, 30, 0, 0), time(16, 0, 0, 0)))
    );
    // The worked example of the calendar crate: registered Tuesday 17 March 2026, 10:00 WIB;
    // 4 working days later is Friday 27 March, 16:00 WIB.
    let deadline = calendar
        .add_working_days("2026-03-17T10:00:00+07:00".parse().unwrap(), 4)
        .unwrap();
    assert_eq!(
        deadline.due,
        "2026-03-27T16:00:00+07:00"
            .parse::<jiff::Timestamp>()
            .unwrap()
    );
}

fn office(spec: serde_json::Value) -> Office {
    let mut base = json!({
        "code": "35.27", "name": "Dinsos P3A Sampang", "timeZone": "WIB",
        "bidang": [{"code": "rehsos", "name": "Bidang Rehabilitasi Sosial"}],
        "head": {"subject": "kadis"},
    });
    for (k, v) in spec.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(json!({
        "apiVersion": "aduan.go.id/v1", "kind": "Office",
        "metadata": {"name": "sampang", "namespace": "aduan"}, "spec": base,
    }))
    .unwrap()
}

fn field_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid { field, object, .. }) => {
            assert!(object.ends_with("aduan/sampang") || object.ends_with("aduan/h"));
            field
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn an_office_is_validated_field_by_field() {
    let holidays = Arc::new(HolidayTable::new());
    let check = |spec: serde_json::Value| field_of(office(spec).to_calendar(holidays.clone()));
    assert_eq!(check(json!({"timeZone": "Asia/Atlantis"})), "spec.timeZone");
    assert_eq!(check(json!({"code": "3527"})), "spec.code");
    assert_eq!(check(json!({"name": "  "})), "spec.name");
    assert_eq!(check(json!({"workingDays": []})), "spec.workingDays");
    assert_eq!(
        check(json!({"hours": {"opens": "16:00", "closes": "07:30"}})),
        "spec.hours"
    );
    assert_eq!(
        check(json!({"hours": {"opens": "7.30", "closes": "16:00"}})),
        "spec.hours.opens"
    );
    assert_eq!(
        check(json!({"hoursByDay": [{"day": "saturday", "opens": "08:00", "closes": "12:00"}]})),
        "spec.hoursByDay[0].day"
    );
    assert_eq!(
        check(json!({"closures": [
            {"from": "2026-07-06", "to": "2026-07-06", "reason": "banjir"},
            {"from": "2026-07-09", "to": "2026-07-08", "reason": "pindah"}]})),
        "spec.closures[1].to"
    );
    assert_eq!(
        check(json!({"closures": [{"from": "2026-02-30", "to": "2026-03-01", "reason": "x"}]})),
        "spec.closures[0].from"
    );
    assert_eq!(
        check(json!({"closures": [{"from": "2026-03-01", "to": "2026-03-01", "reason": " "}]})),
        "spec.closures[0].reason"
    );
    assert_eq!(
        check(
            json!({"bidang": [{"code": "rehsos", "name": "A"}, {"code": "rehsos", "name": "B"}]})
        ),
        "spec.bidang[1].code"
    );
    assert_eq!(check(json!({"bidang": []})), "spec.bidang");
    assert_eq!(check(json!({"head": {"subject": ""}})), "spec.head.subject");

    // A valid one with a longer Friday and a closure.
    let calendar = office(json!({
        "hoursByDay": [{"day": "friday", "opens": "07:30", "closes": "11:00"}],
        "closures": [{"from": "2026-07-06", "to": "2026-07-08", "reason": "pindah kantor"}],
    }))
    .to_calendar(holidays)
    .unwrap();
    assert_eq!(
        calendar.working_hours(Weekday::Friday),
        Some((time(7, 30, 0, 0), time(11, 0, 0, 0)))
    );
    assert!(!calendar.is_working_day(date(2026, 7, 8)));
    assert!(calendar.is_working_day(date(2026, 7, 9)));
}

#[test]
fn a_holiday_calendar_is_validated_field_by_field() {
    let calendar = |spec: serde_json::Value| -> HolidayCalendar {
        let mut base = json!({
            "year": 2026, "source": "SKB",
            "dates": [{"date": "2026-01-01", "name": "Tahun Baru", "kind": "libur_nasional"}],
        });
        for (k, v) in spec.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(json!({
            "apiVersion": "aduan.go.id/v1", "kind": "HolidayCalendar",
            "metadata": {"name": "h", "namespace": "aduan"}, "spec": base,
        }))
        .unwrap()
    };
    let check = |spec| field_of(calendar(spec).to_table());
    assert_eq!(check(json!({"year": 1900})), "spec.year");
    assert_eq!(check(json!({"source": ""})), "spec.source");
    assert_eq!(check(json!({"dates": []})), "spec.dates");
    assert_eq!(
        check(json!({"dates": [
            {"date": "2026-01-01", "name": "Tahun Baru", "kind": "libur_nasional"},
            {"date": "2027-01-01", "name": "Tahun Baru", "kind": "libur_nasional"}]})),
        "spec.dates[1].date"
    );
    assert_eq!(
        check(json!({"dates": [
            {"date": "2026-01-01", "name": "Tahun Baru", "kind": "libur_nasional"},
            {"date": "2026-01-01", "name": "Tahun Baru lagi", "kind": "libur_nasional"}]})),
        "spec.dates[1].date"
    );
    assert_eq!(
        check(json!({"dates": [{"date": "2026-01-01", "name": " ", "kind": "cuti_bersama"}]})),
        "spec.dates[0].name"
    );
    let provisional = calendar(json!({"provisional": true})).to_table().unwrap();
    assert!(provisional.iter().all(|h| h.provisional));
    assert_eq!(
        provisional.year_status(2026),
        aduan_calendar::HolidayDataStatus::Provisional
    );
}

#[test]
fn manifests_of_other_kinds_or_groups_are_refused() {
    let dir = OfficeDirectory::new(HolidayTable::new(), Vec::new());
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
    assert!(matches!(
        dir.load_manifests("cm.yaml", cm),
        Err(Error::Manifest { .. })
    ));
    let bad =
        "apiVersion: aduan.go.id/v1\nkind: Office\nmetadata:\n  name: x\nspec:\n  code: 35.27\n";
    assert!(dir.load_manifests("bad.yaml", bad).is_err());
    // Nothing is applied when one document is invalid.
    let text = std::fs::read_to_string(repo("k8s/examples/office-sampang.yaml")).unwrap();
    let broken = text.replace("timeZone: Asia/Jakarta", "timeZone: Mars/Olympus");
    assert!(dir.load_manifests("broken", &broken).is_err());
    assert!(dir.codes().is_empty());
}
