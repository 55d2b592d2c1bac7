//! Media files for the evidence tests: a JPEG whose Exif carries a GPS position.

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// A JPEG with an Exif APP1 segment carrying a GPS IFD (latitude -7.2, longitude 113.25).
pub fn jpeg_with_gps() -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 with one entry: GPSInfo (0x8825) pointing at the GPS IFD.
    exif.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    // GPS IFD: GPSLatitudeRef "S", GPSLatitude 7/1 12/1 0/1.
    exif.extend_from_slice(&[0, 2, 0, 1, 0, 2, 0, 0, 0, 2, b'S', 0, 0, 0]);
    exif.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56, 0, 0, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 12, 0, 0, 0, 1]);
    exif.extend_from_slice(b"GPSLatitude=-7.2000;GPSLongitude=113.2500");
    let mut j = vec![0xFF, 0xD8];
    j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    j.extend(segment(0xE1, &exif));
    j.extend(segment(0xDB, &[0u8; 65]));
    j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
    j.extend_from_slice(b"PIXELS-OF-THE-VICTIMS-HOUSE");
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}
