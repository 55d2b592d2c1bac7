//! Uploaded evidence files (S10): the media types accepted, a check that the content is what its
//! type says, and the removal of location and text metadata from images before they are stored:
//! JPEG APP1 segments (Exif, with its GPS IFD, and XMP), APP2 "MPF", APP11 (JUMBF / C2PA), APP13
//! (IPTC) and comments, and everything after the JPEG's end-of-image marker (the further images
//! of a phone photo with their own Exif and GPS, vendor trailers); PNG `eXIf` chunks and text
//! chunks (`tEXt`, `zTXt`, `iTXt`, where XMP and "Raw profile type exif" live), and anything after
//! `IEND`. Written by hand: the image data itself is copied unchanged and never decoded.
//!
//! Audio, video and PDF files (issue 12): an MP3 loses its ID3v2 tag at the start and its ID3v1
//! tag at the end (titles, comments, pictures); an MP4/MOV keeps its size and every offset, and
//! its `udta`, `meta` and `uuid` boxes (the `©xyz` location, XMP, camera and owner) become
//! zero-filled `free` boxes at any depth of `moov` and at the top level; a PDF keeps its size and
//! cross-reference offsets, and the text of its XMP packets and of its document information
//! dictionary's strings (author, creator, producer, title, dates) is overwritten with spaces. A
//! PDF whose trailer names an information dictionary that cannot be found uncompressed (inside an
//! object stream) is refused: its metadata could not be removed.

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
        "audio/mpeg" => strip_mp3(content),
        "audio/mp4" | "video/mp4" => strip_mp4(content),
        "application/pdf" => strip_pdf(content),
        _ => Ok((content.to_vec(), false)),
    }
}

/// Removes an MP3's ID3v2 tag (at the start, with its footer when flagged) and ID3v1 tag (the
/// last 128 bytes, starting "TAG"); the audio frames are copied unchanged.
pub fn strip_mp3(data: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    let mut start = 0usize;
    if data.len() >= 10 && data.starts_with(b"ID3") {
        let size = data[6..10]
            .iter()
            .try_fold(0usize, |acc, b| {
                (b & 0x80 == 0).then_some((acc << 7) | usize::from(*b))
            })
            .ok_or("not a well-formed MP3 (an ID3 tag size that is not synchsafe)")?;
        let footer = if data[5] & 0x10 != 0 { 10 } else { 0 };
        start = 10usize
            .checked_add(size)
            .and_then(|n| n.checked_add(footer))
            .filter(|n| *n <= data.len())
            .ok_or("not a well-formed MP3 (an ID3 tag longer than the file)")?;
    }
    let mut end = data.len();
    if end - start >= 128 && data[end - 128..].starts_with(b"TAG") {
        end -= 128;
    }
    let changed = start > 0 || end < data.len();
    Ok((data[start..end].to_vec(), changed))
}

/// Turns an MP4/MOV's metadata boxes (`udta`, `meta`, `uuid`) into zero-filled `free` boxes of
/// the same size, at the top level and at any depth of the container boxes (`moov`, `trak`,
/// `mdia`, `minf`, `stbl`, `edts`, `dinf`): nothing moves, so every chunk offset stays valid.
pub fn strip_mp4(data: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    let mut out = data.to_vec();
    let changed = blank_boxes(&mut out, 0, data.len(), 0)?;
    Ok((out, changed))
}

fn blank_boxes(d: &mut [u8], mut at: usize, end: usize, depth: u32) -> Result<bool, Refusal> {
    const CONTAINERS: &[&[u8; 4]] = &[
        b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf",
    ];
    const METADATA: &[&[u8; 4]] = &[b"udta", b"meta", b"uuid"];
    let bad = || "not a well-formed MP4 (a box runs past its container)".to_string();
    let mut changed = false;
    while at < end {
        if end - at < 8 {
            // Trailing padding shorter than a box header.
            break;
        }
        let size32 = u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]) as usize;
        let kind: [u8; 4] = [d[at + 4], d[at + 5], d[at + 6], d[at + 7]];
        let (header, size) = match size32 {
            0 => (8, end - at),
            1 => {
                if end - at < 16 {
                    return Err(bad());
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&d[at + 8..at + 16]);
                let s = usize::try_from(u64::from_be_bytes(b)).map_err(|_| bad())?;
                (16, s)
            }
            s => (8, s),
        };
        if size < header || size > end - at {
            return Err(bad());
        }
        if METADATA.contains(&&kind) {
            d[at + 4..at + 8].copy_from_slice(b"free");
            d[at + header..at + size].fill(0);
            changed = true;
        } else if CONTAINERS.contains(&&kind) && depth < 8 {
            changed |= blank_boxes(d, at + header, at + size, depth + 1)?;
        }
        at += size;
    }
    Ok(changed)
}

/// Overwrites a PDF's metadata with spaces, in place (the file keeps its size, so the
/// cross-reference offsets stay right): every XMP packet (`<?xpacket begin` … `<?xpacket end`),
/// and the strings of the document information dictionary named by the trailer's `/Info`. Refused
/// when that dictionary is not found uncompressed.
pub fn strip_pdf(data: &[u8]) -> Result<(Vec<u8>, bool), Refusal> {
    let mut out = data.to_vec();
    let mut changed = false;
    // XMP packets.
    let mut from = 0;
    while let Some(b) = find(&out, b"<?xpacket begin", from) {
        let Some(e) = find(&out, b"<?xpacket end", b) else {
            return Err("not a well-formed PDF (an XMP packet without its end)".into());
        };
        let close = find(&out, b"?>", e).map(|c| c + 2).unwrap_or(e);
        out[b..close].fill(b' ');
        changed = true;
        from = close;
    }
    // The information dictionaries named by any trailer (/Info n g R).
    let mut from = 0;
    while let Some(i) = find(&out, b"/Info", from) {
        from = i + 5;
        let rest = &out[from..out.len().min(from + 40)];
        let text = String::from_utf8_lossy(rest);
        let mut it = text.split_whitespace();
        let (Some(n), Some(g), Some(r)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if !r.starts_with('R') || n.parse::<u32>().is_err() || g.parse::<u32>().is_err() {
            continue;
        }
        let head = format!("{n} {g} obj");
        let Some(obj) = find_object(&out, head.as_bytes()) else {
            return Err(
                "a PDF whose document information is compressed: its author and other metadata \
                 cannot be removed; print it to PDF again or scan it as an image"
                    .into(),
            );
        };
        let end =
            find(&out, b"endobj", obj).ok_or("not a well-formed PDF (an object without endobj)")?;
        changed |= blank_strings(&mut out[obj + head.len()..end]);
    }
    Ok((out, changed))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The start of `head` ("12 0 obj") at the start of a line or after whitespace.
fn find_object(hay: &[u8], head: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find(hay, head, from) {
        if p == 0 || hay[p - 1].is_ascii_whitespace() {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// Overwrites the contents of literal `( … )` and hex `< … >` strings with spaces (hex with
/// zeros), keeping the delimiters; dictionary delimiters `<<`/`>>` are skipped.
fn blank_strings(d: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < d.len() {
        match d[i] {
            b'(' => {
                let mut depth = 1;
                let mut j = i + 1;
                while j < d.len() && depth > 0 {
                    match d[j] {
                        b'\\' => {
                            d[j] = b' ';
                            if j + 1 < d.len() {
                                d[j + 1] = b' ';
                            }
                            j += 2;
                            continue;
                        }
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        _ => {}
                    }
                    if depth > 0 {
                        d[j] = b' ';
                        changed = true;
                    }
                    j += 1;
                }
                i = j;
            }
            b'<' if d.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => {
                let mut j = i + 1;
                while j < d.len() && d[j] != b'>' {
                    if d[j].is_ascii_hexdigit() {
                        d[j] = b'0';
                        changed = true;
                    }
                    j += 1;
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    changed
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

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn mp4_metadata_becomes_free_space_and_nothing_moves() {
        let xyz = mp4_box(b"\xa9xyz", b"+07.1234+113.2468/");
        let udta = mp4_box(b"udta", &xyz);
        let trak = mp4_box(
            b"trak",
            &[mp4_box(b"tkhd", &[1; 20]), mp4_box(b"meta", b"owner")].concat(),
        );
        let moov = mp4_box(b"moov", &[mp4_box(b"mvhd", &[2; 20]), trak, udta].concat());
        let file = [
            mp4_box(b"ftyp", b"mp42\0\0\0\0mp42"),
            moov,
            mp4_box(b"uuid", b"<x:xmpmeta>GPS</x:xmpmeta>"),
            mp4_box(b"mdat", &[7; 64]),
        ]
        .concat();
        let (out, changed) = strip_mp4(&file).unwrap();
        assert!(changed);
        assert_eq!(out.len(), file.len());
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("+07.1234") && !text.contains("owner") && !text.contains("GPS"));
        assert!(!text.contains("udta") && !text.contains("meta") && text.contains("free"));
        // The media data and the other boxes are where they were, unchanged.
        assert_eq!(&out[out.len() - 64..], &[7; 64][..]);
        assert_eq!(&out[..24], &file[..24]);
        // A box that runs past its container is refused, not read past.
        let mut broken = file.clone();
        broken[20..24].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(strip_mp4(&broken).is_err());
        assert!(strip_mp4(&[0, 0, 0, 1, b'm', b'o', b'o', b'v']).is_err());
        assert_eq!(strip_mp4(b"").unwrap(), (Vec::new(), false));
    }

    #[test]
    fn mp3_loses_its_id3_tags() {
        let mut id3 = b"ID3\x04\x00\x00".to_vec();
        let tag = b"TIT2....Rekaman di rumah korban";
        id3.extend_from_slice(&[0, 0, 0, tag.len() as u8]);
        id3.extend_from_slice(tag);
        let frames = [0xFF, 0xFB, 0x90, 0x64, 1, 2, 3, 4];
        let mut v1 = b"TAG".to_vec();
        v1.extend_from_slice(&[b'x'; 125]);
        let file = [id3.clone(), frames.to_vec(), v1].concat();
        assert_eq!(strip_mp3(&file).unwrap(), (frames.to_vec(), true));
        assert_eq!(strip_mp3(&frames).unwrap(), (frames.to_vec(), false));
        let mut lying = id3.clone();
        lying[9] = 0x7F;
        lying[8] = 0x7F;
        assert!(strip_mp3(&lying).is_err());
        lying[9] = 0x80;
        assert!(strip_mp3(&lying).is_err());
    }

    #[test]
    fn pdf_metadata_is_blanked_in_place() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Metadata 3 0 R >>\nendobj\n\
            2 0 obj\n<< /Author (Siti \\(Aminah\\)) /Producer <FEFF0041> /CreationDate (D:20261202) >>\nendobj\n\
            3 0 obj\n<< /Type /Metadata /Length 60 >>\nstream\n<?xpacket begin='x'?><dc:creator>Siti</dc:creator><?xpacket end='w'?>\nendstream\nendobj\n\
            trailer\n<< /Root 1 0 R /Info 2 0 R >>\n%%EOF\n";
        let (out, changed) = strip_pdf(pdf).unwrap();
        assert!(changed);
        assert_eq!(out.len(), pdf.len());
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("Siti") && !text.contains("Aminah") && !text.contains("D:2026"));
        assert!(!text.contains("FEFF0041"));
        assert!(
            text.contains("/Author (") && text.contains("/Info 2 0 R") && text.contains("%%EOF")
        );
        // The information dictionary inside a compressed object stream: refused.
        let hidden = b"%PDF-1.5\n9 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\nx\x9c\nendstream\nendobj\ntrailer\n<< /Info 5 0 R >>\n";
        assert!(strip_pdf(hidden).is_err());
        // No metadata: unchanged.
        assert_eq!(
            strip_pdf(b"%PDF-1.4\n%%EOF").unwrap(),
            (b"%PDF-1.4\n%%EOF".to_vec(), false)
        );
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
