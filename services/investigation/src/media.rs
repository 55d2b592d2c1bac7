//! Uploaded evidence files (S10): the media types accepted, a check that the content is what its
//! type says, and the removal of location and text metadata from images before they are stored:
//! JPEG APP1 segments (Exif, with its GPS IFD, and XMP), APP2 "MPF", APP11 (JUMBF / C2PA), APP13
//! (IPTC) and comments, and everything after the JPEG's end-of-image marker (the further images
//! of a phone photo with their own Exif and GPS, vendor trailers); PNG `eXIf` chunks and text
//! chunks (`tEXt`, `zTXt`, `iTXt`, where XMP and "Raw profile type exif" live), and anything after
//! `IEND`. Written by hand: the image data itself is copied unchanged and never decoded. Audio and
//! video files are stored as uploaded: their container metadata (an MP4's `udta`/`meta` boxes
//! with a `©xyz` location, an MP3's ID3 tags) is not removed.

/// The media types an evidence file may have.
pub const ACCEPTED_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "application/pdf",
    "audio/mpeg",
    "audio/mp4",
    "video/mp4",
    "text/plain",
];

/// Why a file is refused (a description for the `file.content` field; never quotes the content).
pub type Refusal = String;

/// True when `content` looks like `content_type` (by its magic bytes).
pub fn matches_type(content_type: &str, content: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => content.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => content.starts_with(PNG_SIGNATURE),
        "application/pdf" => content.starts_with(b"%PDF-"),
        "audio/mpeg" => {
            content.starts_with(b"ID3")
                || (content.len() >= 2 && content[0] == 0xFF && content[1] & 0xE0 == 0xE0)
        }
        "audio/mp4" | "video/mp4" => content.len() >= 12 && &content[4..8] == b"ftyp",
        "text/plain" => std::str::from_utf8(content).is_ok_and(|t| !t.contains('\0')),
        _ => false,
    }
}

/// The content to store: images without their metadata (and whether anything was removed);
/// other types unchanged.
pub fn sanitize(content_type: &str, content: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    match content_type {
        "image/jpeg" => strip_jpeg(content),
        "image/png" => strip_png(content),
        _ => Ok((content.to_vec(), false)),
    }
}

/// True for the JPEG segments removed on upload: APP1 (Exif with its GPS IFD and thumbnail, XMP,
/// extended XMP), APP2 "MPF" (the index of the further images a phone appends after the main one),
/// APP11 (JUMBF: C2PA content credentials, which can carry an Exif assertion with the location),
/// APP13 (IPTC / Photoshop) and COM (free-text comments). APP0 (JFIF), APP2 ICC profiles, APP14
/// (Adobe colour transform) and the tables are kept: the image needs them.
fn dropped_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE1 | 0xEB | 0xED | 0xFE => true,
        0xE2 => payload.starts_with(b"MPF\0"),
        _ => false,
    }
}

/// Removes the metadata segments of a JPEG (see `dropped_segment`) and everything after its
/// end-of-image marker: the further images of a phone photo (MPF pictures, gain maps, depth maps)
/// with their own Exif and GPS, and vendor trailers. The entropy-coded data of each scan is copied
/// unchanged; its end is found by its markers (a 0xFF is followed by 0x00 stuffing or by an RSTn
/// marker inside the data), never by decoding it.
pub fn strip_jpeg(data: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    let bad = |why: &str| format!("not a well-formed JPEG ({why})");
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(bad("no start-of-image marker"));
    }
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&data[..2]);
    let mut removed = false;
    let mut scanned = false;
    let mut i = 2;
    loop {
        if i >= data.len() {
            if scanned {
                // The file ends inside the last scan's data, without an end-of-image marker
                // (a truncated photo): nothing but image data follows the last segment.
                return Ok((out, removed));
            }
            return Err(bad("it ends before the image data"));
        }
        if data[i] != 0xFF {
            return Err(bad("a segment does not start with a marker"));
        }
        // Fill bytes: any number of 0xFF before the marker code.
        let mut j = i + 1;
        while j < data.len() && data[j] == 0xFF {
            j += 1;
        }
        let Some(&marker) = data.get(j) else {
            return Err(bad("it ends inside a marker"));
        };
        match marker {
            // End of image: keep it; whatever follows (further images, trailers) is dropped.
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                if j + 1 < data.len() {
                    removed = true;
                }
                return Ok((out, removed));
            }
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                i = j + 1;
                continue;
            }
            0x00 | 0xD8 => return Err(bad("an unexpected marker")),
            _ => {}
        }
        let Some(len_bytes) = data.get(j + 1..j + 3) else {
            return Err(bad("it ends inside a segment length"));
        };
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(bad("a segment length below 2"));
        }
        let end = j + 1 + len;
        if end > data.len() {
            return Err(bad("a segment runs past the end"));
        }
        if dropped_segment(marker, &data[j + 3..end]) {
            removed = true;
        } else {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&data[j + 1..end]);
        }
        i = end;
        if marker == 0xDA {
            // Start of scan: the entropy-coded data runs to the first marker that is neither
            // 0x00 stuffing nor a restart marker (RST0-RST7); the segments after it (further
            // scans of a progressive JPEG, tables, the end of image) are read as above.
            scanned = true;
            let scan_end = scan_data_end(data, i);
            out.extend_from_slice(&data[i..scan_end]);
            i = scan_end;
        }
    }
}

/// The end of the entropy-coded data that starts at `from`: the index of the 0xFF that begins the
/// next marker (neither stuffing nor RSTn), or the end of `data`.
fn scan_data_end(data: &[u8], from: usize) -> usize {
    let mut k = from;
    while k < data.len() {
        if data[k] != 0xFF {
            k += 1;
            continue;
        }
        // Fill bytes before a marker.
        let mut m = k + 1;
        while m < data.len() && data[m] == 0xFF {
            m += 1;
        }
        match data.get(m) {
            // The data ends on 0xFF bytes: copied as they are.
            None => return data.len(),
            Some(0x00 | 0xD0..=0xD7) => k = m + 1,
            Some(_) => return k,
        }
    }
    data.len()
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Removes `eXIf` and text chunks (`tEXt`, `zTXt`, `iTXt`) from a PNG, and anything after `IEND`.
pub fn strip_png(data: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    let bad = |why: &str| format!("not a well-formed PNG ({why})");
    if !data.starts_with(PNG_SIGNATURE) {
        return Err(bad("no PNG signature"));
    }
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut removed = false;
    let mut i = PNG_SIGNATURE.len();
    loop {
        let Some(head) = data.get(i..i + 8) else {
            return Err(bad("it ends before the IEND chunk"));
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(bad("a chunk type is not four letters"));
        }
        let end = i
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .ok_or_else(|| bad("a chunk length overflows"))?;
        if end > data.len() {
            return Err(bad("a chunk runs past the end"));
        }
        let drop = matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt");
        if drop {
            removed = true;
        } else {
            out.extend_from_slice(&data[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            // Anything after IEND (appended files, trailers) is dropped.
            return Ok((out, removed || end < data.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    fn chunk(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut c = (payload.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(payload);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn jpeg_loses_exif_and_keeps_the_image() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        jpeg.extend(segment(0xE1, b"Exif\0\0MM\0*GPSLatitude-7.2"));
        jpeg.extend(segment(0xED, b"Photoshop 3.0\0IPTC city"));
        jpeg.extend(segment(0xDB, &[0u8; 65]));
        jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]);
        let (out, removed) = strip_jpeg(&jpeg).unwrap();
        assert!(removed);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("Exif") && !text.contains("GPS") && !text.contains("IPTC"));
        assert!(text.contains("JFIF"));
        assert!(out.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]));
        // Nothing to remove: unchanged.
        let (again, removed) = strip_jpeg(&out).unwrap();
        assert_eq!(again, out);
        assert!(!removed);
    }

    /// A small JPEG: JFIF, optional extra segments before the tables, one scan whose data holds
    /// 0xFF00 stuffing and restart markers, and the end-of-image marker.
    fn jpeg(extra: &[Vec<u8>], scan: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        for e in extra {
            j.extend_from_slice(e);
        }
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(scan);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j
    }

    const SCAN: &[u8] = &[
        0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0x78,
    ];

    #[test]
    fn jpeg_loses_what_follows_the_end_of_image() {
        // A phone photo: the main image, then a second JPEG (a gain map or MPF picture) with its
        // own Exif and GPS, then a vendor trailer.
        let second = jpeg(
            &[segment(0xE1, b"Exif\0\0MM\0*GPSLatitude-7.2")],
            b"SECOND-IMAGE",
        );
        let main = jpeg(&[], SCAN);
        let mut photo = main.clone();
        photo.extend_from_slice(&second);
        photo.extend_from_slice(b"SEFHGPSLongitude113.25");
        let (out, removed) = strip_jpeg(&photo).unwrap();
        assert!(removed);
        assert_eq!(out, main, "the main image only, byte for byte");
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("GPS") && !text.contains("SECOND-IMAGE"));
        // Without anything after the end of image: unchanged, nothing removed.
        assert_eq!(strip_jpeg(&main).unwrap(), (main.clone(), false));
        // 0xFF 0xD9 inside a segment before the scan is not the end of the image.
        let mut tricky = jpeg(&[segment(0xE0, &[0xFF, 0xD9, 0xFF, 0xD9])], SCAN);
        tricky.extend_from_slice(&second);
        let (out, _) = strip_jpeg(&tricky).unwrap();
        assert!(out.ends_with(&[0x78, 0xFF, 0xD9]));
        assert!(!String::from_utf8_lossy(&out).contains("GPS"));
    }

    #[test]
    fn jpeg_loses_mpf_but_keeps_the_icc_profile() {
        let mpf = segment(0xE2, b"MPF\0MM\0*\0\0\0\x08GPS-OF-THE-SECOND-IMAGE");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01sRGB");
        let c2pa = segment(0xEB, b"JP\0\x01c2pa stds.exif GPSLatitude");
        let comment = segment(0xFE, b"Rumah korban, Jl. Melati 3");
        let photo = jpeg(&[icc.clone(), mpf, c2pa, comment], SCAN);
        let (out, removed) = strip_jpeg(&photo).unwrap();
        assert!(removed);
        assert_eq!(out, jpeg(&[icc], SCAN));
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("MPF") && !text.contains("GPS") && !text.contains("Melati"));
        assert!(text.contains("ICC_PROFILE"));
    }

    #[test]
    fn progressive_jpeg_keeps_every_scan() {
        // Two scans with a Huffman table between them; an Exif segment between the scans is still
        // removed, and a trailer after the end of image too.
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 0, 0]));
        j.extend_from_slice(&[0x01, 0xFF, 0x00, 0x02]);
        j.extend(segment(0xC4, &[0x10; 20]));
        j.extend(segment(0xDA, &[1, 1, 0, 1, 63, 0]));
        j.extend_from_slice(&[0x03, 0xFF, 0xD7, 0x04]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        let mut with_meta = j.clone();
        let at = with_meta.len() - 2;
        with_meta.splice(at..at, segment(0xE1, b"Exif\0\0GPS"));
        with_meta.extend_from_slice(b"trailer GPS");
        let (out, removed) = strip_jpeg(&with_meta).unwrap();
        assert!(removed);
        assert_eq!(out, j);
        // A photo cut off inside its scan data is kept as it is.
        let cut = &j[..j.len() - 6];
        assert_eq!(strip_jpeg(cut).unwrap(), (cut.to_vec(), false));
    }

    #[test]
    fn malformed_jpegs_are_refused_without_panicking() {
        for bad in [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xD8, 0xFF][..],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00][..],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0x00][..],
            &[0xFF, 0xD8, 0x00, 0x00][..],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01][..],
            &[0x00][..],
        ] {
            assert!(strip_jpeg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn png_loses_exif_and_text() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
        png.extend(chunk(b"eXIf", b"MM\0*GPSLongitude113.2"));
        png.extend(chunk(b"tEXt", b"Comment\0rumah korban"));
        png.extend(chunk(b"IDAT", b"pixels"));
        png.extend(chunk(b"IEND", b""));
        let (out, removed) = strip_png(&png).unwrap();
        assert!(removed);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("GPS") && !text.contains("rumah"));
        assert!(text.contains("IHDR") && text.contains("pixels") && text.contains("IEND"));
        assert!(strip_png(&png[..png.len() - 3]).is_err());
        // Anything appended after IEND goes too.
        let mut appended = png.clone();
        appended.extend_from_slice(b"GPSLatitude-7.2");
        assert_eq!(strip_png(&appended).unwrap(), (out.clone(), true));
        let mut huge = PNG_SIGNATURE.to_vec();
        huge.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T']);
        assert!(strip_png(&huge).is_err());
    }

    #[test]
    fn types_are_checked_by_content() {
        assert!(matches_type("application/pdf", b"%PDF-1.7 ..."));
        assert!(!matches_type("application/pdf", b"MZ\x90\0"));
        assert!(matches_type("text/plain", "catatan".as_bytes()));
        assert!(!matches_type("text/plain", b"\xFF\xFE"));
        assert!(matches_type("video/mp4", b"\0\0\0\x18ftypmp42"));
        assert!(!matches_type("image/png", b"\xFF\xD8\xFF"));
        assert!(!matches_type("application/x-msdownload", b"MZ"));
    }
}
