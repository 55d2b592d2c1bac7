//! The console in a real browser (headless chromium over WebDriver) against a running
//! `aduan::start`, on both backends: a citizen submits on the portal and follows the code on a
//! phone-sized screen; the first administrator signs in, changes the one-time password and
//! creates an officer; the officer signs in and sees the queue; signing out ends the session and
//! the back button shows nothing. axe-core checks every page for WCAG 2.1 A/AA: no serious or
//! critical violation. Every page weighs under 100 KB transferred.
//!
//! axe-core is read from `ADUAN_AXE_JS` or `target/axe/node_modules/axe-core/axe.min.js`
//! (`.ci/run` installs it with npm). With `ADUAN_SCREENSHOTS=<dir>` the main pages are saved as
//! PNG files there (docs/console/ holds the ones the README shows).

mod common;

use common::webdriver::Browser;
use serde_json::{Value, json};

fn axe_source() -> Option<String> {
    let path = std::env::var("ADUAN_AXE_JS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/axe/node_modules/axe-core/axe.min.js"
        )
        .to_string()
    });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but axe-core is not at {path}: the accessibility check cannot be skipped in CI"
            );
            eprintln!("accessibility check skipped: no axe-core at {path}");
            None
        }
    }
}

/// Runs axe-core on the current page: the serious and critical violations of WCAG 2.1 A/AA.
async fn axe(b: &Browser, axe: Option<&str>, page: &str) {
    let Some(src) = axe else { return };
    b.script(
        &format!("{src}\n;window.axe = axe; return true;"),
        json!([]),
    )
    .await;
    let v = b
        .script(
            "return window.axe.run(document, {runOnly: {type: 'tag', values: \
             ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => r.violations.map(v => \
             ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => \
             n.target.join(' '))})));",
            json!([]),
        )
        .await;
    let bad: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(bad.is_empty(), "{page}: axe-core found {bad:#?}");
}

/// Bytes transferred for the current page and everything it loaded.
async fn weight(b: &Browser) -> u64 {
    let v = b
        .script(
            "const n = performance.getEntriesByType('navigation')[0]; \
             const r = performance.getEntriesByType('resource'); \
             return (n ? n.transferSize : 0) + r.reduce((s, e) => s + e.transferSize, 0);",
            json!([]),
        )
        .await;
    v.as_u64().unwrap_or(0)
}

/// Checks the current page: accessible, light, and saved as a screenshot when asked.
async fn check(b: &Browser, axe_js: Option<&str>, name: &str, width: u32) {
    axe(b, axe_js, name).await;
    let bytes = weight(b).await;
    assert!(bytes < 100_000, "{name}: {bytes} bytes transferred");
    eprintln!("page {name}: {bytes} bytes transferred");
    if let Ok(dir) = std::env::var("ADUAN_SCREENSHOTS") {
        let h = b
            .script("return document.documentElement.scrollHeight;", json!([]))
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(400, 4000) as u32;
        b.resize(width, h).await;
        let png = b.screenshot().await;
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
        b.resize(width, 900).await;
    }
}

async fn journey(pg: bool) {
    let dir = common::temp_dir();
    let mut c = common::config(&dir, "");
    c.console.listen = "127.0.0.1:0".into();
    if pg {
        let Some(url) = aduan_runtime::testing::postgres_database().await else {
            return;
        };
        c.intake.db.database_url = url;
        for db in [
            &mut c.triage.db.database_url,
            &mut c.investigation.db.database_url,
            &mut c.feedback.db.database_url,
            &mut c.reporting.db.database_url,
            &mut c.console.database_url,
        ] {
            *db = aduan_runtime::testing::postgres_database().await.unwrap();
        }
    }
    let app = common::start_with(c).await;
    let console = app.running.console.as_ref().unwrap();
    let base = format!("http://{}", console.addr);
    let first = console.first_admin.clone().unwrap();
    let axe_js = axe_source();
    let axe_js = axe_js.as_deref();

    // A citizen on a phone.
    let Some(phone) = Browser::start(390, 844).await else {
        app.running.shutdown().await.unwrap();
        return;
    };
    phone.goto(&format!("{base}/")).await;
    check(&phone, axe_js, "portal-form", 390).await;
    phone.click("#kantor option[value='35.27']").await;
    phone.fill("#nama", "Siti Aminah").await;
    phone.fill("#telepon", "0812 3456 7890").await;
    phone.fill("#alamat", "Jl. Rajawali No. 7, Sampang").await;
    phone
        .fill("#terlapor_ket", "pendamping PKH Desa Banyuates")
        .await;
    phone
        .fill("#perihal", "Bantuan PKH tidak cair sejak Maret")
        .await;
    phone
        .click("#kategori option[value='bantuan_sosial']")
        .await;
    phone
        .fill(
            "#uraian",
            "Bantuan PKH keluarga kami tidak cair sejak Maret 2026.",
        )
        .await;
    // The consent is missing at first: the form comes back with the error and the values kept.
    phone.click_and_wait("button.primary").await;
    assert!(phone.text(".alert").await.contains("Centang persetujuan"));
    assert_eq!(
        phone
            .script("return document.getElementById('nama').value;", json!([]))
            .await,
        json!("Siti Aminah")
    );
    check(&phone, axe_js, "portal-form-errors", 390).await;
    phone.click("#setuju").await;
    phone.click_and_wait("button.primary").await;
    let code = phone.text("dd.code").await;
    assert_eq!(code.len(), 14, "{code}");
    check(&phone, axe_js, "portal-receipt", 390).await;
    // The receipt lists what is still missing in plain Indonesian (R4: no date, place, chronology).
    assert!(
        phone
            .text("main")
            .await
            .contains("Waktu, tempat dan kronologi")
    );
    // Following the code, as typed from the receipt.
    phone.goto(&format!("{base}/lacak")).await;
    check(&phone, axe_js, "track-form", 390).await;
    phone.fill("#kode", &code.to_lowercase()).await;
    phone.click_and_wait("button.primary").await;
    assert!(
        phone
            .url()
            .await
            .ends_with(&format!("/lacak/{}", code.replace('-', "")))
    );
    let shown = phone.text("main").await;
    assert!(shown.contains("Dicatat"), "{shown}");
    assert!(!shown.contains("Siti"), "no personal data on tracking");
    check(&phone, axe_js, "track-result", 390).await;
    phone.close().await;

    // The first administrator at a desk.
    let desk = Browser::start(1280, 900).await.unwrap();
    desk.goto(&format!("{base}/staf/masuk")).await;
    check(&desk, axe_js, "staff-sign-in", 1280).await;
    desk.fill("#nama", "admin").await;
    desk.fill("#sandi", &first.password).await;
    desk.click_and_wait("button.primary").await;
    assert!(desk.url().await.ends_with("/staf/sandi"));
    check(&desk, axe_js, "staff-password", 1280).await;
    desk.fill("#lama", &first.password).await;
    desk.fill("#baru", "kopi tubruk pagi hari").await;
    desk.fill("#ulang", "kopi tubruk pagi hari").await;
    desk.click_and_wait("button.primary").await;
    assert!(desk.url().await.ends_with("/staf/"));
    desk.click_and_wait("a[href='/staf/pengguna']").await;
    desk.fill("#nama_pengguna", "sari").await;
    desk.fill("#nama", "Sari Wulandari").await;
    desk.click("#peran option[value='complaints_officer']")
        .await;
    desk.click("#kantor option[value='35.27']").await;
    desk.click_and_wait("button.primary").await;
    let otp = desk.text(".notice dd:last-of-type").await;
    assert_eq!(otp.len(), 14, "{otp}");
    check(&desk, axe_js, "staff-accounts", 1280).await;
    desk.click_and_wait("button.link").await;
    assert!(desk.url().await.ends_with("/staf/masuk"));

    // The officer signs in, sets a password and sees the web complaint in the queue.
    desk.fill("#nama", "sari").await;
    desk.fill("#sandi", &otp).await;
    desk.click_and_wait("button.primary").await;
    desk.fill("#lama", &otp).await;
    desk.fill("#baru", "sate madura enak sekali").await;
    desk.fill("#ulang", "sate madura enak sekali").await;
    desk.click_and_wait("button.primary").await;
    let home = desk.text("main").await;
    assert!(home.contains("Antrean verifikasi"), "{home}");
    assert!(
        home.contains("35.27-20"),
        "the web complaint is queued: {home}"
    );
    check(&desk, axe_js, "staff-home-officer", 1280).await;
    // The web complaint is the one this journey walks to S16 and CLOSED.
    let number = desk.text("main table a").await;
    let case_path = desk
        .script(
            "return document.querySelector('main table a').getAttribute('href');",
            json!([]),
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
    // The S9 list: the web complaint still misses R4 (date, place, chronology).
    desk.click_and_wait("a[href='/staf/pengaduan/kurang']")
        .await;
    let list = desk.text("main").await;
    assert!(list.contains("35.27-20") && list.contains("R4"), "{list}");
    check(&desk, axe_js, "staff-missing", 1280).await;
    desk.goto(&format!("{base}/staf/")).await;

    // The front desk registers a walk-in complaint and prints the receipt.
    desk.click_and_wait("a[href='/staf/pengaduan/baru']").await;
    check(&desk, axe_js, "desk-form", 1280).await;
    desk.fill("#nama", "Ahmad Fauzi").await;
    desk.fill("#alamat", "Dusun Krajan RT 02 RW 01, Kedungdung")
        .await;
    desk.fill(
        "#perihal",
        "Anak tetangga tidak bersekolah dan dipekerjakan",
    )
    .await;
    desk.click("#kategori option[value='eksploitasi_anak']")
        .await;
    desk.fill(
        "#uraian",
        "Anak berumur 12 tahun bekerja di bengkel setiap hari.",
    )
    .await;
    // The requirements answer as the officer types (htmx), with the repeat-complainant hint:
    // the citizen's telephone number complained once before, on the portal.
    desk.fill("#telepon", "0812 3456 7890").await;
    wait_text(&desk, "#periksa", "sudah mengadu 1 kali").await;
    let panel = desk.text("#periksa").await;
    assert!(panel.contains("R1: Isi pengaduan jelas"), "{panel}");
    check(&desk, axe_js, "desk-check", 1280).await;
    desk.click_and_wait("button.primary").await;
    let receipt = desk.text("main").await;
    assert!(
        receipt.contains("Ahmad Fauzi") && receipt.contains("Datang langsung"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Persyaratan yang belum terpenuhi"),
        "{receipt}"
    );
    check(&desk, axe_js, "desk-receipt", 1280).await;

    // S4-S5: the officer opens the web complaint from the queue, reads the personal data for a
    // stated purpose, accepts it (R4 is still missing: the Bidang's interview completes it)
    // and forwards it to the Head.
    desk.goto(&format!("{base}{case_path}")).await;
    let case_url = desk.url().await;
    wait_for(&desk, "Penelaahan (S4)").await;
    let page = desk.text("main").await;
    assert!(page.contains(&number), "{page}");
    assert!(
        !page.contains("Siti Aminah"),
        "no personal data before a purpose"
    );
    check(&desk, axe_js, "case-officer", 1280).await;
    // The same page on a phone: one column, still accessible.
    desk.resize(390, 844).await;
    let wide = desk
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(wide, json!(false), "no sideways scrolling on a phone");
    check(&desk, axe_js, "case-officer-phone", 390).await;
    desk.resize(1280, 900).await;
    desk.click("#tujuan option[value='s4']").await;
    desk.click_and_wait("#tampilkan").await;
    let page = desk.text("main").await;
    assert!(
        page.contains("Siti Aminah") && page.contains("Penelaahan pengaduan (S4)"),
        "{page}"
    );
    check(&desk, axe_js, "case-personal", 1280).await;
    // A transfer without a target office comes back with the field's error.
    desk.click("#k-alihkan").await;
    desk.fill("#alasan", "Lokasi kejadian di Bangkalan").await;
    desk.click_and_wait("#simpan-saring").await;
    assert!(desk.text(".alert").await.contains("kabupaten/kota tujuan"));
    check(&desk, axe_js, "case-screen-errors", 1280).await;
    desk.click("#k-terima").await;
    desk.clear("#alasan").await;
    desk.click_and_wait("#simpan-saring").await;
    assert!(
        desk.text(".notice")
            .await
            .contains("Keputusan penelaahan tersimpan"),
        "{}",
        desk.text("main").await
    );
    desk.fill(
        "#ringkasan",
        "Bantuan PKH tidak cair sejak Maret; usul ke Bidang Perlindungan dan Jaminan Sosial.",
    )
    .await;
    desk.click("#sifat option[value='segera']").await;
    desk.click_and_wait("#simpan-teruskan").await;
    assert!(
        desk.text(".notice")
            .await
            .contains("diteruskan ke Kepala Dinas")
    );
    desk.click_and_wait("button.link").await;

    // S6-S7: the Head finds it in the inbox, disposes it to a Bidang and opens the sheet.
    let c = &console.core;
    let head = account(c, "kadis", "head", "35.27", "").await;
    let bidang = account(c, "rina", "bidang_officer", "35.27", "linjamsos").await;
    let other = account(c, "budi", "complaints_officer", "35.26", "").await;
    first_sign_in(&desk, "kadis", &head).await;
    let home = desk.text("main").await;
    assert!(
        home.contains("Menunggu disposisi Anda") && home.contains(&number),
        "{home}"
    );
    check(&desk, axe_js, "staff-home-head", 1280).await;
    desk.click_and_wait(&format!("a[href='{}']", path_of(&case_url)))
        .await;
    check(&desk, axe_js, "case-head", 1280).await;
    desk.click("#bidang option[value='linjamsos']").await;
    desk.fill("#catatan", "Verifikasi data PKH dengan pendamping.")
        .await;
    desk.click_and_wait("#simpan-disposisi").await;
    let page = desk.text("main").await;
    assert!(page.contains("Disposisi diterbitkan"), "{page}");
    assert!(page.contains("Versi 1"), "{page}");
    let sheet = desk
        .script(
            "return fetch(arguments[0]).then(r => r.arrayBuffer().then(b =>              [r.status, r.headers.get('content-type'),              String.fromCharCode(...new Uint8Array(b).slice(0, 5))]));",
            json!([format!("{}/lembar-disposisi", path_of(&case_url))]),
        )
        .await;
    assert_eq!(sheet, json!([200, "application/pdf", "%PDF-"]));
    check(&desk, axe_js, "case-disposed", 1280).await;
    desk.click_and_wait("button.link").await;

    // The Bidang sees the case in its list (once the relay brought the disposition).
    first_sign_in(&desk, "rina", &bidang).await;
    wait_for(&desk, &number).await;
    assert!(desk.text("main").await.contains("Kasus bidang Anda"));
    check(&desk, axe_js, "staff-home-bidang", 1280).await;
    desk.click_and_wait("button.link").await;

    // The Kepala Bidang opens the case from the list and assigns the officer (S8).
    let kabid = account(c, "sri", "bidang_head", "35.27", "linjamsos").await;
    first_sign_in(&desk, "sri", &kabid).await;
    wait_for(&desk, &number).await;
    desk.click_and_wait("main table a").await;
    assert!(
        desk.url().await.contains("/staf/kasus/"),
        "{}",
        desk.url().await
    );
    assert!(
        desk.text("main")
            .await
            .contains("Belum ada petugas yang ditugaskan")
    );
    check(&desk, axe_js, "bidang-case-head", 1280).await;
    desk.click("input[name=petugas]").await;
    desk.click_and_wait("form[action$='/tugaskan'] button.primary")
        .await;
    let page = desk.text("main").await;
    assert!(
        page.contains("Penugasan tersimpan") && page.contains("RINA"),
        "{page}"
    );
    check(&desk, axe_js, "bidang-case-assigned", 1280).await;
    let case_page = desk.url().await;
    desk.click_and_wait("button.link").await;

    // The assigned officer records the clarification with the complainant (S9).
    desk.goto(&format!("{base}/staf/masuk")).await;
    desk.fill("#nama", "rina").await;
    desk.fill("#sandi", "rujak cingur surabaya").await;
    desk.click_and_wait("button.primary").await;
    desk.goto(&case_page).await;
    desk.click("#pihak option[value='pengadu']").await;
    desk.click("#cara option[value='telepon']").await;
    desk.fill("#hadir", "Pelapor").await;
    desk.fill(
        "#ringkasan",
        "Pelapor menjelaskan bahwa kartu PKH dipinjam tetangga.",
    )
    .await;
    desk.click_and_wait("form[action$='/wawancara'] button")
        .await;
    let page = desk.text("main").await;
    assert!(page.contains("Catatan klarifikasi tersimpan"), "{page}");
    assert!(page.contains("kartu PKH dipinjam tetangga"), "{page}");
    // S9: the interview completes the web complaint's record (R4: date, place, chronology).
    desk.click("#pihak option[value='pengadu']").await;
    desk.click("#cara option[value='telepon']").await;
    desk.click("#j-wawancara").await;
    desk.fill("#hadir", "Pelapor").await;
    desk.fill("#ringkasan", "Pelapor menjelaskan kronologi.")
        .await;
    desk.click("details.more summary").await;
    desk.fill(
        "#ubah_kronologi",
        "Maret 2026 kartu PKH dipinjam tetangga dan tidak dikembalikan.",
    )
    .await;
    desk.script(
        "document.getElementById('ubah_tanggal').value = '2026-03-15'; return true;",
        json!([]),
    )
    .await;
    desk.fill("#ubah_tempat", "Desa Banyuates").await;
    desk.click_and_wait("form[action$='/wawancara'] button")
        .await;
    assert!(
        desk.text(".notice").await.contains("catatan pengaduan"),
        "{}",
        desk.text("main").await
    );
    // S10: a photo from the home visit, uploaded with progress; its position is removed.
    let photo = dir.join("rumah.jpg");
    std::fs::write(&photo, common::media::jpeg_with_gps()).unwrap();
    desk.click("#bukti-h ~ details summary").await;
    desk.click("#jenis_bukti option[value='foto']").await;
    desk.click("#sumber option[value='petugas']").await;
    desk.fill("#uraian", "Foto rumah pelapor").await;
    desk.fill("#berkas", photo.to_str().unwrap()).await;
    desk.click_and_wait("form[action$='/bukti'] button").await;
    let page = desk.text("main").await;
    assert!(page.contains("Bukti tersimpan"), "{page}");
    assert!(page.contains("data lokasi dan metadata dihapus"), "{page}");
    desk.click("#kunjungan-h ~ details summary").await;
    desk.fill("#hadir_kunjungan", "Pelapor, Rina").await;
    desk.fill("#temuan", "Kartu PKH dipegang tetangga.").await;
    desk.click_and_wait("form[action$='/kunjungan'] button")
        .await;
    assert!(
        desk.text(".notice")
            .await
            .contains("Kunjungan rumah tersimpan")
    );
    check(&desk, axe_js, "bidang-case-officer", 1280).await;
    // Every form of the case page, opened, passes axe-core too.
    desk.script(
        "document.querySelectorAll('details').forEach(d => d.open = true); return true;",
        json!([]),
    )
    .await;
    check(&desk, axe_js, "bidang-case-forms", 1280).await;
    desk.refresh().await;
    // The officer's case page on a phone: one column (the interview's row stacks), accessible.
    desk.resize(390, 844).await;
    let wide = desk
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(wide, json!(false), "no sideways scrolling on a phone");
    check(&desk, axe_js, "bidang-case-officer-phone", 390).await;
    desk.resize(1280, 900).await;
    desk.click_and_wait("button.link").await;

    // S11-S12: the Kepala Bidang decides that the complaint qualifies; the officer drafts the
    // response; the Kepala Bidang approves it, and the case page leads to the follow-up.
    let bidang_pw = "rujak cingur surabaya";
    sign_in_as(&desk, &base, "sri", bidang_pw).await;
    desk.goto(&case_page).await;
    desk.click_and_wait("form[action$='/kelayakan'] button.primary")
        .await;
    assert!(
        desk.text("main")
            .await
            .contains("Keputusan kelayakan tersimpan")
    );
    desk.click_and_wait("button.link").await;
    sign_in_as(&desk, &base, "rina", bidang_pw).await;
    desk.goto(&case_page).await;
    desk.click("#hasil option[value='assistance_provided']")
        .await;
    desk.fill(
        "#jawaban",
        "Anak telah didampingi kembali bersekolah; keluarga menerima bantuan.",
    )
    .await;
    desk.click_and_wait("form[action$='/jawaban'] button").await;
    desk.click_and_wait("button.link").await;
    // The Kepala Bidang's notifications: the disposition to the Bidang, and the draft waiting
    // for approval (the relay brings them); the badge counts them; one opens the case page.
    sign_in_as(&desk, &base, "sri", bidang_pw).await;
    desk.goto(&format!("{base}/staf/pemberitahuan")).await;
    wait_for(&desk, "Jawaban menunggu persetujuan Anda").await;
    let notes = desk.text("main").await;
    assert!(
        notes.contains(&format!("Disposisi baru untuk Bidang Anda: {number}")),
        "{notes}"
    );
    assert!(desk.text("header").await.contains("belum dibaca"));
    check(&desk, axe_js, "notifications", 1280).await;
    desk.goto(&case_page).await;
    desk.click_and_wait("form[action$='/setujui'] button.primary")
        .await;
    assert!(desk.text("main").await.contains("Jawaban disetujui"));
    desk.click_and_wait("button.link").await;

    // S13-S14: the complaints officer finds it in the follow-up queue, records the delivery and
    // the complainant's satisfaction; the citizen fills in the SKM on the desk's tablet.
    sign_in_as(&desk, &base, "sari", "sate madura enak sekali").await;
    desk.click_and_wait("a[href='/staf/tindak-lanjut']").await;
    wait_for(&desk, &number).await;
    assert!(desk.text("main").await.contains("Sampaikan jawaban (S13)"));
    check(&desk, axe_js, "followup-queue", 1280).await;
    desk.click_and_wait("main table a").await;
    let follow_up = desk.url().await;
    assert!(follow_up.contains("/staf/tindak-lanjut/"), "{follow_up}");
    check(&desk, axe_js, "followup-delivery", 1280).await;
    desk.click("#cara option[value='langsung']").await;
    desk.click_and_wait("form[action$='/penyampaian'] button.primary")
        .await;
    assert!(
        desk.text(".notice")
            .await
            .contains("Penyampaian jawaban dicatat")
    );
    desk.click("#puas-ya").await;
    desk.click_and_wait("form[action$='/umpan-balik'] button.primary")
        .await;
    assert!(desk.text(".notice").await.contains("Umpan balik dicatat"));
    check(&desk, axe_js, "followup-feedback", 1280).await;
    desk.click_and_wait("a[href$='/survei']").await;
    desk.resize(800, 1280).await;
    check(&desk, axe_js, "survey-tablet", 800).await;
    let survey = desk.text("main").await;
    assert!(
        !survey.contains(&number) && !survey.contains("Siti"),
        "{survey}"
    );
    assert!(
        !desk.text("header").await.contains("SARI"),
        "no staff menu or name on the citizen's survey"
    );
    for u in 1..=9 {
        desk.click(&format!("#u{u}-{}", if u == 4 { 4 } else { 3 }))
            .await;
    }
    desk.click_and_wait("button.primary").await;
    assert!(
        desk.text("main")
            .await
            .contains("Jawaban survei Anda sudah kami terima")
    );
    desk.resize(1280, 900).await;
    desk.goto(&format!("{base}/staf/")).await;
    desk.click_and_wait("button.link").await;

    // S15-S16: the Kepala Bidang drafts and approves the handling report, opens its PDF and
    // sends it to the complainant and the Head: the complaint is closed.
    sign_in_as(&desk, &base, "sri", bidang_pw).await;
    desk.goto(&follow_up).await;
    wait_for(&desk, "Susun laporan").await;
    desk.click("#r-pendampingan_psikologis").await;
    desk.click("#a-uptd_ppa").await;
    desk.click_and_wait("form[action$='/laporan'] button.primary")
        .await;
    assert!(
        desk.text(".notice")
            .await
            .contains("Rancangan laporan disimpan")
    );
    check(&desk, axe_js, "followup-report-review", 1280).await;
    desk.click_and_wait("form[action$='/laporan/setujui'] button.primary")
        .await;
    let report = desk
        .script(
            "return fetch(arguments[0]).then(r => r.arrayBuffer().then(b => \
             [r.status, r.headers.get('content-type'), \
             String.fromCharCode(...new Uint8Array(b).slice(0, 5))]));",
            json!([format!("{}/laporan.pdf", path_of(&follow_up))]),
        )
        .await;
    assert_eq!(report, json!([200, "application/pdf", "%PDF-"]));
    for to in ["pengadu", "kepala"] {
        desk.click(&format!("#penerima option[value='{to}']")).await;
        desk.click("#cara_kirim option[value='surat']").await;
        desk.click_and_wait("form[action$='/laporan/kirim'] button.primary")
            .await;
        assert!(
            desk.text(".notice")
                .await
                .contains("Pengiriman laporan dicatat")
        );
    }
    wait_for(&desk, "S16").await;
    let closed = desk.text("main").await;
    assert!(closed.contains("Selesai"), "{closed}");
    assert!(closed.contains("Sudah dikirim kepada pengadu"), "{closed}");
    for step in ["S3 Registrasi", "S7", "S11", "S12", "S13", "S14", "S15"] {
        assert!(closed.contains(step), "the timeline has {step}: {closed}");
    }
    check(&desk, axe_js, "followup-closed", 1280).await;
    desk.resize(390, 844).await;
    let wide = desk
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(wide, json!(false), "no sideways scrolling on a phone");
    check(&desk, axe_js, "followup-closed-phone", 390).await;
    desk.resize(1280, 900).await;
    desk.click_and_wait("button.link").await;
    // The complainant's tracking page (the code from the portal's receipt) says it is done,
    // without personal data.
    desk.goto(&format!("{base}/lacak/{}", code.replace('-', "")))
        .await;
    let tracked = desk.text("main").await;
    assert!(tracked.contains("Selesai"), "{tracked}");
    assert!(!tracked.contains("Siti"), "{tracked}");

    // The dashboards: the Head's office, and the province for the provincial analyst.
    sign_in_as(&desk, &base, "kadis", bidang_pw).await;
    desk.click_and_wait("a[href='/staf/dasbor']").await;
    wait_for(&desk, "Menurut kategori").await;
    let board = desk.text("main").await;
    assert!(board.contains("Eksploitasi"), "{board}");
    check(&desk, axe_js, "dashboard-office", 1280).await;
    desk.resize(390, 844).await;
    let wide = desk
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(wide, json!(false), "no sideways scrolling on a phone");
    check(&desk, axe_js, "dashboard-office-phone", 390).await;
    desk.resize(1280, 900).await;
    // The complaint's access log, reached from the complaint page.
    desk.goto(&case_url).await;
    desk.click_and_wait("a[href^='/staf/akses/']").await;
    let log = desk.text("main").await;
    assert!(log.contains("Petugas pengaduan"), "{log}");
    assert!(
        log.contains("Penelaahan pengaduan (S4)"),
        "the purposes, for the Head: {log}"
    );
    check(&desk, axe_js, "access-log", 1280).await;
    desk.resize(390, 844).await;
    check(&desk, axe_js, "access-log-phone", 390).await;
    desk.resize(1280, 900).await;
    desk.click_and_wait("button.link").await;
    // The operator (the first administrator, province-wide) sees the relays.
    sign_in_as(&desk, &base, "admin", "kopi tubruk pagi hari").await;
    desk.click_and_wait("a[href='/staf/operasi']").await;
    let ops = desk.text("main").await;
    assert!(
        ops.contains("Relay peristiwa") && ops.contains("Penelaahan"),
        "{ops}"
    );
    check(&desk, axe_js, "operations", 1280).await;
    desk.resize(390, 844).await;
    let wide = desk
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(wide, json!(false), "no sideways scrolling on a phone");
    check(&desk, axe_js, "operations-phone", 390).await;
    desk.resize(1280, 900).await;
    desk.click_and_wait("button.link").await;
    let analyst = account(c, "analis", "provincial_analyst", "35", "").await;
    first_sign_in(&desk, "analis", &analyst).await;
    desk.goto(&format!("{base}/staf/dasbor?periode=tahun"))
        .await;
    let board = desk.text("main").await;
    assert!(
        board.contains("Seluruh provinsi") && board.contains("<5"),
        "{board}"
    );
    check(&desk, axe_js, "dashboard-province", 1280).await;
    desk.click_and_wait("button.link").await;

    // A user of another office: the complaint does not exist for them.
    first_sign_in(&desk, "budi", &other).await;
    desk.goto(&case_url).await;
    let page = desk.text("main").await;
    assert!(page.contains("bukan pengaduan kantor Anda"), "{page}");
    assert!(!page.contains(&number), "{page}");
    desk.goto(&format!("{base}/staf/")).await;

    // Signing out ends the session: the back button shows the sign-in page, not the queue.
    desk.click_and_wait("button.link").await;
    assert!(desk.url().await.ends_with("/staf/masuk"));
    desk.back().await;
    let after = desk.text("main").await;
    assert!(!after.contains("Antrean verifikasi"), "{after}");
    assert!(!after.contains(&number), "{after}");
    assert!(
        desk.url().await.ends_with("/staf/masuk"),
        "{}",
        desk.url().await
    );

    // Any other address: a page that says so.
    desk.goto(&format!("{base}/staf/tidak-ada")).await;
    check(&desk, axe_js, "not-found", 1280).await;
    desk.close().await;
    app.running.shutdown().await.unwrap();
}

/// Signs in with a password already set.
async fn sign_in_as(b: &Browser, base: &str, username: &str, password: &str) {
    b.goto(&format!("{base}/staf/masuk")).await;
    b.fill("#nama", username).await;
    b.fill("#sandi", password).await;
    b.click_and_wait("button.primary").await;
    assert!(b.url().await.ends_with("/staf/"), "{}", b.url().await);
}

/// Reloads the current page until it shows `text` (what the event relay brings arrives within
/// moments), for at most 20 seconds.
async fn wait_for(b: &Browser, text: &str) {
    for _ in 0..80 {
        if b.text("main").await.contains(text) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        b.refresh().await;
    }
    panic!("{text:?} never showed: {}", b.text("main").await);
}

/// Waits (without reloading) until the element of `css` shows `text`: an htmx update.
async fn wait_text(b: &Browser, css: &str, text: &str) {
    for _ in 0..100 {
        if b.text(css).await.contains(text) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {text:?}: {}", b.text(css).await);
}

/// The path of a URL ("http://host/staf/x" -> "/staf/x").
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    rest.find('/')
        .map(|i| rest[i..].to_string())
        .unwrap_or_default()
}

/// Creates an account as the CLI does; returns its one-time password.
async fn account(
    c: &aduan_console::Console,
    username: &str,
    role: &str,
    office: &str,
    bidang: &str,
) -> String {
    c.add_account(
        &aduan_console::AccountSpec {
            username: username.into(),
            display_name: username.to_uppercase(),
            roles: vec![aduan_runtime::auth::Role::parse(role).unwrap()],
            office: office.into(),
            bidang: bidang.into(),
        },
        "test",
    )
    .await
    .unwrap()
}

/// The first sign-in of an account: the one-time password, then a password of its own.
async fn first_sign_in(b: &Browser, username: &str, otp: &str) {
    b.goto(&format!("{}/staf/masuk", origin(&b.url().await)))
        .await;
    b.fill("#nama", username).await;
    b.fill("#sandi", otp).await;
    b.click_and_wait("button.primary").await;
    assert!(b.url().await.ends_with("/staf/sandi"), "{}", b.url().await);
    b.fill("#lama", otp).await;
    b.fill("#baru", "rujak cingur surabaya").await;
    b.fill("#ulang", "rujak cingur surabaya").await;
    b.click_and_wait("button.primary").await;
    assert!(b.url().await.ends_with("/staf/"), "{}", b.url().await);
}

/// "http://host:port" of a URL.
fn origin(url: &str) -> String {
    let p = path_of(url);
    url[..url.len() - p.len()].to_string()
}

/// Cluster mode's sign-in in the browser (SQLite; `tests/console.rs` covers both backends and the
/// refusals): the sign-in page offers the province's SSO, the browser goes to the provider (a
/// stand-in, `tests/common/oidc.rs`) and comes back signed in; the operator's accounts page lists
/// who signed in and creates no account; signing out passes through the provider's sign-out.
async fn provider_journey() {
    use common::oidc::{MockIdp, Person};
    let idp = MockIdp::start().await;
    for (username, name, role, office) in [
        ("siti", "Siti Rahayu", "complaints_officer", "35.27"),
        ("rina", "Rina Wulandari", "operator", "35"),
    ] {
        idp.add(
            username,
            Person {
                sub: format!("sub-{username}"),
                name: name.into(),
                roles: vec![role.into()],
                office: office.into(),
                bidang: None,
            },
        );
    }
    let dir = common::temp_dir();
    let mut c = common::config(&dir, "");
    c.console.listen = "127.0.0.1:0".into();
    idp.configure(&mut c);
    let app = common::start_with(c).await;
    let base = format!("http://{}", app.running.console.as_ref().unwrap().addr);
    let axe_js = axe_source();
    let axe_js = axe_js.as_deref();
    let Some(b) = Browser::start(1280, 900).await else {
        app.running.shutdown().await.unwrap();
        return;
    };
    let sign_in = |username: &'static str| {
        let b = &b;
        let base = &base;
        let issuer = &idp.issuer;
        async move {
            b.goto(&format!("{base}/staf/masuk")).await;
            b.click_and_wait("a.button").await;
            assert!(
                b.url().await.starts_with(issuer.as_str()),
                "{}",
                b.url().await
            );
            b.fill("#username", username).await;
            b.click_and_wait("button[value=allow]").await;
            assert_eq!(b.url().await, format!("{base}/staf/"));
        }
    };
    b.goto(&format!("{base}/staf/masuk")).await;
    assert!(
        b.text("main")
            .await
            .contains("Masuk dengan akun SSO provinsi")
    );
    check(&b, axe_js, "staff-sign-in-sso", 1280).await;
    sign_in("siti").await;
    let header = b.text("header").await;
    assert!(header.contains("Siti Rahayu"));
    assert!(!header.contains("Ubah kata sandi"), "{header}");
    assert!(b.text("main").await.contains("Antrean verifikasi"));
    check(&b, axe_js, "staff-home-sso", 1280).await;
    b.click_and_wait("header button.link").await;
    assert_eq!(b.url().await, format!("{base}/staf/masuk"));
    assert!(
        idp.log().iter().any(|l| l.starts_with("logout ")),
        "{:?}",
        idp.log()
    );
    sign_in("rina").await;
    b.goto(&format!("{base}/staf/pengguna")).await;
    let main = b.text("main").await;
    assert!(
        main.contains("dikelola di layanan masuk provinsi"),
        "{main}"
    );
    assert!(main.contains("Siti Rahayu") && main.contains("Rina Wulandari"));
    assert!(
        main.contains("sso:siti") && main.contains("sso:rina"),
        "{main}"
    );
    assert!(
        b.script(
            "return document.querySelector('#nama_pengguna') === null;",
            json!([])
        )
        .await
            == json!(true)
    );
    check(&b, axe_js, "staff-accounts-sso", 1280).await;
    b.close().await;
    app.running.shutdown().await.unwrap();
}

/// The reopening path (issue 15) in the browser: a response delivered (prepared over gRPC, as
/// partners and the CLI do), the complainant dissatisfied: the desk officer ticks the grounds,
/// the complaint reopens and goes back to the Bidang; the Kepala Bidang drafts and approves the
/// new response in the case page; the desk officer delivers version 2 and records satisfaction.
async fn reopening(pg: bool) {
    use common::casework as cw;
    let dir = common::temp_dir();
    let mut c = common::config(&dir, "");
    c.console.listen = "127.0.0.1:0".into();
    if pg {
        for db in [
            &mut c.intake.db.database_url,
            &mut c.triage.db.database_url,
            &mut c.investigation.db.database_url,
            &mut c.feedback.db.database_url,
            &mut c.reporting.db.database_url,
            &mut c.console.database_url,
        ] {
            let Some(url) = aduan_runtime::testing::postgres_database().await else {
                return;
            };
            *db = url;
        }
    }
    let app = common::start_with(c).await;
    let base = format!("http://{}", app.running.console.as_ref().unwrap().addr);
    let axe_js = axe_source();
    let axe_js = axe_js.as_deref();
    let Some(b) = Browser::start(1280, 900).await else {
        app.running.shutdown().await.unwrap();
        return;
    };
    let s = cw::staff(&app, "pa");
    let id = cw::opened(&app, &s, cw::dispute("browser-reopen"), "pa").await;
    cw::decide(&app, &s, &id, true, "").await;
    cw::respond(&app, &s, &id, "resolved").await;
    cw::feedback_entry(
        &app,
        &id,
        aduan_proto::feedback::v1::Queue::AwaitingDelivery,
    )
    .await;
    cw::deliver(&app, &s, &id, 1).await;
    let console = &app.running.console.as_ref().unwrap().core;
    let desk = account(console, "sari", "complaints_officer", "35.27", "").await;
    let kabid = account(console, "sri", "bidang_head", "35.27", "pa").await;
    let follow_up = format!("{base}/staf/tindak-lanjut/{id}");

    // Dissatisfied: the grounds are required, then the complaint reopens.
    b.goto(&format!("{base}/staf/masuk")).await;
    first_sign_in(&b, "sari", &desk).await;
    b.goto(&follow_up).await;
    wait_for(&b, "Catat umpan balik").await;
    b.click("#puas-tidak").await;
    b.click_and_wait("form[action$='/umpan-balik'] button.primary")
        .await;
    assert!(b.text(".alert").await.contains("Pilih alasan tidak puas"));
    check(&b, axe_js, "followup-feedback-errors", 1280).await;
    b.click("#puas-tidak").await;
    b.click("#g-tidak_menjawab").await;
    b.click("#g-terlambat").await;
    b.fill("#komentar", "Kartu PKH belum juga dikembalikan tetangga.")
        .await;
    b.click_and_wait("form[action$='/umpan-balik'] button.primary")
        .await;
    let page = b.text("main").await;
    assert!(page.contains("Umpan balik dicatat"), "{page}");
    assert!(
        page.contains("Tidak puas") && page.contains("Dibuka kembali"),
        "{page}"
    );
    assert!(page.contains("Jawaban terlambat"), "{page}");
    check(&b, axe_js, "followup-reopened", 1280).await;
    b.click_and_wait("button.link").await;

    // The Bidang: the case is in handling again; a new response, approved.
    first_sign_in(&b, "sri", &kabid).await;
    b.goto(&format!("{base}/staf/kasus/{id}")).await;
    wait_for(&b, "Sedang ditangani").await;
    b.click("#hasil option[value='resolved']").await;
    b.fill(
        "#jawaban",
        "Kartu PKH telah dikembalikan pada 10 Desember 2026 dengan pendampingan petugas.",
    )
    .await;
    b.click_and_wait("form[action$='/jawaban'] button").await;
    b.click_and_wait("form[action$='/setujui'] button.primary")
        .await;
    let page = b.text("main").await;
    assert!(page.contains("Jawaban disetujui"), "{page}");
    check(&b, axe_js, "bidang-case-second-response", 1280).await;
    b.click_and_wait("button.link").await;

    // The desk delivers version 2; satisfied this time.
    b.goto(&format!("{base}/staf/masuk")).await;
    b.fill("#nama", "sari").await;
    b.fill("#sandi", "rujak cingur surabaya").await;
    b.click_and_wait("button.primary").await;
    b.goto(&follow_up).await;
    wait_for(&b, "Catat penyampaian").await;
    assert!(b.text("main").await.contains("Versi jawaban 2"));
    b.click("#cara option[value='telepon']").await;
    b.click_and_wait("form[action$='/penyampaian'] button.primary")
        .await;
    b.click("#puas-ya").await;
    b.click_and_wait("form[action$='/umpan-balik'] button.primary")
        .await;
    let page = b.text("main").await;
    assert!(page.contains("Umpan balik dicatat"), "{page}");
    assert!(
        page.contains("Puas") && page.contains("Tidak puas"),
        "{page}"
    );
    cw::wait_triage(
        &app,
        &id,
        aduan_proto::common::v1::ComplaintStatus::Reporting,
    )
    .await;
    b.close().await;
    app.running.shutdown().await.unwrap();
}

#[test]
fn browser_reopening_sqlite() {
    on_big_stack(|| reopening(false));
}

#[test]
fn browser_reopening_postgres() {
    on_big_stack(|| reopening(true));
}

/// The journey on a thread of its own with a larger stack: the whole process's start-up and
/// the journey are one future, far deeper than a test thread's 2 MiB in a debug build.
fn run(pg: bool) {
    on_big_stack(move || journey(pg));
}

fn on_big_stack<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .unwrap()
                .block_on(f())
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn browser_sign_in_at_the_provider() {
    on_big_stack(provider_journey);
}

#[test]
fn browser_journey_sqlite() {
    run(false);
}

#[test]
fn browser_journey_postgres() {
    run(true);
}
