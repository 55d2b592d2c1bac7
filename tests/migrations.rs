//! Every migration file is listed in its crate's `MIGRATIONS` (or the spine part's list), so none
//! is left out of the binary; a file is shared by both backends or split in two, never both.

use std::path::Path;

use aduan_runtime::db::{Migration, unlisted};

fn check(dir: &str, listed: &[Migration]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing = unlisted(&root.join(dir), listed);
    assert!(missing.is_empty(), "{dir}: not listed: {missing:?}");
    let mut versions: Vec<&str> = listed.iter().map(|m| &m.name[..4]).collect();
    versions.dedup();
    assert_eq!(versions.len(), listed.len(), "{dir}: one file per version");
    for m in listed {
        assert!(
            m.name[..4].bytes().all(|b| b.is_ascii_digit()) && m.name.as_bytes()[4] == b'_',
            "{dir}: {} is not NNNN_name",
            m.name
        );
        if !m.shared {
            assert_ne!(
                m.postgres, m.sqlite,
                "{dir}: {} is the same on both backends: make it one file",
                m.name
            );
        }
    }
}

#[test]
fn every_migration_file_is_listed_once() {
    check(
        "services/intake/migrations",
        aduan_intake::store::MIGRATIONS,
    );
    check(
        "services/triage/migrations",
        aduan_triage::store::MIGRATIONS,
    );
    check("services/feedback/migrations", aduan_feedback::MIGRATIONS);
    check("services/reporting/migrations", aduan_reporting::MIGRATIONS);
    check("services/console/migrations", aduan_console::MIGRATIONS);
    for part in aduan_spine::migrations::PARTS {
        check(
            &format!("crates/spine/migrations/{}", part.dir()),
            part.migrations(),
        );
    }
}
