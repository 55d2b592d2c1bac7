//! S3: the complaints unit records and registers the complaint: its record (the store gives it
//! the office's next registration number) and the public tracking code.

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::intake::v1::ComplaintPatch;
use aduan_runtime::actor::ActorRec;
use aduan_runtime::time::to_micros;
use jiff::Timestamp;

use super::{Assessment, ComplaintRow};

/// A submission that passed its checks, with its personal data sealed.
pub struct Submission<'a> {
    /// The new complaint's id.
    pub id: String,
    /// The registering office.
    pub office_code: String,
    /// The year of its registration number (the office's calendar).
    pub year: i32,
    /// How it came in.
    pub channel: Channel,
    /// When it reached the office.
    pub received_at: Timestamp,
    /// Now: when it is registered.
    pub now: Timestamp,
    /// Its body (checked and normalised).
    pub body: &'a ComplaintPatch,
    /// R1-R6 on the body.
    pub assessment: &'a Assessment,
    /// Who records it.
    pub recorded_by: ActorRec,
    /// The body, sealed with the complaint's data key.
    pub pii: Vec<u8>,
    /// The complaint's data key, wrapped by the office's key.
    pub data_key: Vec<u8>,
    /// The idempotency key and the hash of the request.
    pub request: (String, String),
}

/// The record of a new complaint, registered (S3) at revision 1 with its first event.
pub fn record(s: Submission<'_>) -> ComplaintRow {
    let visibility = s.body.visibility.unwrap_or_default();
    let content = s.body.content.clone().unwrap_or_default();
    let a = s.assessment;
    let now = to_micros(s.now);
    ComplaintRow {
        id: s.id,
        office_code: s.office_code.clone(),
        registration_year: s.year,
        registration_seq: 0,
        registration_number: String::new(),
        tracking_code: new_tracking_code(),
        channel: s.channel as i32,
        category_code: content.category_code.clone(),
        status: ComplaintStatus::Registered as i32,
        received_at: to_micros(s.received_at),
        registered_at: now,
        updated_at: now,
        recorded_by: s.recorded_by,
        unmet_mask: a.unmet_mask,
        reporter_identified: a.reporter_identified,
        anonymous: visibility.anonymous,
        confidential: visibility.confidential,
        involves_child: a.involves_child,
        incident_district_code: content.incident_district_code.clone(),
        revision: 1,
        event_seq: 1,
        pii: s.pii,
        request_id: s.request.0,
        request_hash: s.request.1,
        // The store keeps the registration event's.
        trace: Default::default(),
        current_office: s.office_code,
        disposed_bidang: String::new(),
        status_at: now,
        data_key: Some(s.data_key),
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new tracking code: 60 random bits as 12 Crockford base32 characters.
pub fn new_tracking_code() -> String {
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let mut n = u64::from_le_bytes(bytes) >> 4;
    let mut s = String::with_capacity(12);
    for _ in 0..12 {
        s.push(CROCKFORD[(n & 31) as usize] as char);
        n >>= 5;
    }
    s
}

/// Normalises a tracking code as typed by a person (case, dashes, spaces, O/0 and I/L/1).
pub fn normalize_tracking_code(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(12);
    for c in raw.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == 12).then_some(out)
}

/// The tracking code as shown to people: `XXXX-XXXX-XXXX`.
pub fn display_tracking_code(code: &str) -> String {
    if code.len() != 12 || !code.is_ascii() {
        return code.to_string();
    }
    format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_are_12_crockford_characters_and_normalise() {
        let c = new_tracking_code();
        assert_eq!(c.len(), 12);
        assert_eq!(normalize_tracking_code(&c).as_deref(), Some(c.as_str()));
        let shown = display_tracking_code(&c);
        assert_eq!(
            normalize_tracking_code(&shown.to_lowercase()).as_deref(),
            Some(c.as_str())
        );
        assert_eq!(
            normalize_tracking_code("oooo-iiii-llll").as_deref(),
            Some("000011111111")
        );
        assert!(
            normalize_tracking_code("UUUU-UUUU-UUUU").is_none(),
            "U is not Crockford"
        );
        assert!(normalize_tracking_code("short").is_none());
        assert!(normalize_tracking_code("ÅÅÅÅÅÅÅÅÅÅÅÅ").is_none());
        assert_ne!(new_tracking_code(), new_tracking_code());
    }
}
