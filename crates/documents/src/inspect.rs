//! Reading rendered PDFs back, for tests (this crate's and the workspace's). Shells out to the
//! poppler-utils binaries `pdftotext`, `pdfinfo` and `pdftoppm`, feeding the PDF on standard
//! input; every function returns `Err` naming the Debian package when a binary is missing, and
//! `Err` when the tool reports a syntax error in the PDF.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs a poppler tool with the PDF on standard input and returns its standard output.
fn run(program: &str, args: &[&str], pdf: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("`{program}` not found: install the Debian package poppler-utils (apt-get install poppler-utils)")
            } else {
                format!("cannot run `{program}` (Debian package poppler-utils): {e}")
            }
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| format!("`{program}`: no standard input"))?;
    let input = pdf.to_vec();
    // Write from another thread so a large output cannot deadlock against a large input.
    let writer = std::thread::spawn(move || {
        // The tool may exit early on a broken PDF; its status tells what went wrong.
        let _ = stdin.write_all(&input);
    });
    let output = child
        .wait_with_output()
        .map_err(|e| format!("`{program}` failed: {e}"))?;
    let _ = writer.join();
    if !output.status.success() {
        return Err(format!(
            "`{program}` exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("Syntax Error") {
        return Err(format!(
            "`{program}` found the PDF malformed: {}",
            stderr.trim()
        ));
    }
    Ok(output.stdout)
}

/// The text of a PDF, via `pdftotext -layout -enc UTF-8 - -` (pages separated by form feeds).
pub fn text(pdf: &[u8]) -> Result<String, String> {
    let out = run("pdftotext", &["-layout", "-enc", "UTF-8", "-", "-"], pdf)?;
    String::from_utf8(out).map_err(|e| format!("pdftotext printed invalid UTF-8: {e}"))
}

/// The document information as `pdfinfo -enc UTF-8 -` prints it (`Title:`, `Pages:`, ...).
pub fn info(pdf: &[u8]) -> Result<String, String> {
    let out = run("pdfinfo", &["-enc", "UTF-8", "-"], pdf)?;
    String::from_utf8(out).map_err(|e| format!("pdfinfo printed invalid UTF-8: {e}"))
}

/// Number of pages, via `pdfinfo`.
pub fn pages(pdf: &[u8]) -> Result<usize, String> {
    let info = info(pdf)?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("pdfinfo printed no page count:\n{info}"))
}

/// Every page rendered to an RGB image via `pdftoppm -r <dpi>` (binary PPM on standard output).
pub fn images(pdf: &[u8], dpi: u32) -> Result<Vec<Image>, String> {
    let dpi = dpi.clamp(1, 1200).to_string();
    let out = run("pdftoppm", &["-r", &dpi, "-"], pdf)?;
    parse_ppm_stream(&out)
}

/// A rendered page: `rgb` holds `width * height` pixels, 3 bytes each, row by row from the top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    /// The pixel at column `x`, row `y` from the top-left; white outside the image.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        if x >= self.width || y >= self.height {
            return [255, 255, 255];
        }
        let i = (y * self.width + x) * 3;
        match self.rgb.get(i..i + 3) {
            Some(p) => [p[0], p[1], p[2]],
            None => [255, 255, 255],
        }
    }

    /// Fraction of the pixels in the rectangle `x0..x1`, `y0..y1` (clamped to the image) that
    /// are not near-white (some channel below 200); 0 for an empty rectangle.
    pub fn ink(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        if x0 >= x1 || y0 >= y1 {
            return 0.0;
        }
        let mut inked = 0usize;
        for y in y0..y1 {
            for x in x0..x1 {
                if self.pixel(x, y).iter().any(|&c| c < 200) {
                    inked += 1;
                }
            }
        }
        inked as f64 / ((x1 - x0) * (y1 - y0)) as f64
    }
}

/// Parses concatenated binary PPM (P6) images with a maximum value below 256.
fn parse_ppm_stream(data: &[u8]) -> Result<Vec<Image>, String> {
    let mut images = Vec::new();
    let mut pos = 0;
    loop {
        while data.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        if pos >= data.len() {
            break;
        }
        if data.get(pos..pos + 2) != Some(b"P6") {
            return Err(format!("pdftoppm output is not a binary PPM at byte {pos}"));
        }
        pos += 2;
        let mut fields = [0usize; 3];
        for field in &mut fields {
            *field = header_number(data, &mut pos)?;
        }
        // Exactly one whitespace byte separates the header from the pixels.
        pos += 1;
        let [width, height, maxval] = fields;
        if maxval == 0 || maxval > 255 {
            return Err(format!("unsupported PPM maximum value {maxval}"));
        }
        let len = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(3))
            .ok_or_else(|| "PPM image too large".to_string())?;
        let rgb = data
            .get(pos..pos + len)
            .ok_or_else(|| format!("PPM image {} is truncated", images.len() + 1))?
            .to_vec();
        pos += len;
        images.push(Image { width, height, rgb });
    }
    Ok(images)
}

/// A decimal number in a PPM header, skipping whitespace and `#` comments before it.
fn header_number(data: &[u8], pos: &mut usize) -> Result<usize, String> {
    loop {
        match data.get(*pos) {
            Some(b) if b.is_ascii_whitespace() => *pos += 1,
            Some(b'#') => {
                while data.get(*pos).is_some_and(|&b| b != b'\n') {
                    *pos += 1;
                }
            }
            _ => break,
        }
    }
    let start = *pos;
    while data.get(*pos).is_some_and(u8::is_ascii_digit) {
        *pos += 1;
    }
    std::str::from_utf8(&data[start..*pos])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad PPM header at byte {start}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_concatenated_ppm_with_comments() {
        let mut data = b"P6\n# made here\n2 1\n255\n".to_vec();
        data.extend([0, 0, 0, 255, 255, 255]);
        data.extend(b"P6 1 1 255\n");
        data.extend([10, 20, 30]);
        let images = parse_ppm_stream(&data).unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].pixel(0, 0), [0, 0, 0]);
        assert_eq!(images[0].pixel(1, 0), [255, 255, 255]);
        assert_eq!(images[0].pixel(5, 5), [255, 255, 255]);
        assert_eq!(images[0].ink(0, 0, 2, 1), 0.5);
        assert_eq!(images[0].ink(1, 0, 1, 1), 0.0);
        assert_eq!(images[1].pixel(0, 0), [10, 20, 30]);
        assert!(parse_ppm_stream(b"P6 2 2 255\n\0\0").is_err());
        assert!(parse_ppm_stream(b"GIF89a").is_err());
    }
}
