//! Indonesian names of the standard's steps (S1-S16) and of the lifecycle events' kinds, for
//! documents and for the console's timeline: one place for both.

/// The Indonesian name of a step by its number in `aduan.common.v1.Step` (1-16); "-" otherwise.
pub fn step_label(step: i32) -> &'static str {
    match step {
        1 => "S1 Pengaduan disampaikan",
        2 => "S2 Pengaduan diterima",
        3 => "S3 Registrasi",
        4 => "S4 Penelaahan",
        5 => "S5 Diteruskan ke Kepala Dinas",
        6 => "S6 Lembar disposisi",
        7 => "S7 Disposisi ke Bidang",
        8 => "S8 Klarifikasi",
        9 => "S9 Wawancara",
        10 => "S10 Pengumpulan data",
        11 => "S11 Investigasi / mediasi",
        12 => "S12 Tanggapan disiapkan",
        13 => "S13 Tanggapan disampaikan",
        14 => "S14 Umpan balik",
        15 => "S15 Laporan penanganan",
        16 => "S16 Laporan disampaikan",
        _ => "-",
    }
}

/// What a timeline kind means ("disposition_issued" -> "Disposisi Kepala Dinas"); an unknown
/// kind is returned as it is.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "registered" => "Pengaduan diregistrasi",
        "amended" => "Data pengaduan dilengkapi",
        "screened" => "Penelaahan",
        "forwarded_to_head" => "Diteruskan ke Kepala Dinas",
        "disposition_issued" => "Disposisi Kepala Dinas",
        "handling_case_opened" => "Kasus dibuka di Bidang",
        "handling_clarification" => "Klarifikasi",
        "handling_interview" => "Wawancara",
        "handling_data_collection" => "Pengumpulan data",
        "handling_session" => "Sesi penanganan",
        "handling_assignment" => "Penugasan petugas",
        "handling_reopened" => "Kasus dibuka kembali",
        "handling_response_drafted" => "Konsep tanggapan",
        "handling_response_returned" => "Konsep tanggapan dikembalikan",
        "handling_moved" => "Dipindahkan ke Bidang lain",
        "handling_consent_recorded" => "Persetujuan rujukan dicatat",
        "handling_disposition_updated" => "Disposisi diperbarui",
        "eligibility_decided" => "Keputusan kelayakan",
        "referral_made" => "Rujukan ke lembaga lain",
        "referral_answered" => "Jawaban atas rujukan",
        "response_approved" => "Tanggapan disetujui",
        "response_delivered" => "Tanggapan disampaikan",
        "feedback_recorded" => "Umpan balik pelapor",
        "survey_submitted" => "Survei kepuasan masyarakat",
        "handling_report_drafted" => "Konsep laporan penanganan",
        "handling_report_returned" => "Konsep laporan dikembalikan",
        "handling_report_approved" => "Laporan penanganan disetujui",
        "handling_report_distributed" => "Laporan penanganan disampaikan",
        "sla_alert" => "Peringatan batas waktu",
        "closed" => "Pengaduan ditutup",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_kinds_read_in_indonesian() {
        assert_eq!(step_label(1), "S1 Pengaduan disampaikan");
        assert_eq!(step_label(7), "S7 Disposisi ke Bidang");
        assert_eq!(step_label(16), "S16 Laporan disampaikan");
        assert_eq!(step_label(0), "-");
        assert_eq!(step_label(17), "-");
        assert_eq!(kind_label("disposition_issued"), "Disposisi Kepala Dinas");
        assert_eq!(kind_label("something_new"), "something_new");
    }
}
