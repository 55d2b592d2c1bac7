//! WinAnsiEncoding and the advance widths of the standard Type 1 fonts Helvetica and
//! Helvetica-Bold (Adobe's public AFM metrics, in 1/1000 em), indexed by WinAnsi code - 32.

/// One of the two fonts the engine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The resource name of the font in every page's resource dictionary.
    pub(crate) fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    /// Width of an encoded string in points at the given size.
    pub(crate) fn width(self, text: &[u8], size: f32) -> f32 {
        let units: u32 = text.iter().map(|&b| char_units(self.widths(), b)).sum();
        units as f32 * size / 1000.0
    }

    /// Advance widths of WinAnsi codes 32..=255 in 1/1000 em.
    pub(crate) fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }

    /// The PostScript name of the standard font.
    pub(crate) fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// Font descriptor figures from the AFM: bounding box, stem width.
    pub(crate) fn bbox(self) -> [f32; 4] {
        match self {
            Font::Regular => [-166.0, -225.0, 1000.0, 931.0],
            Font::Bold => [-170.0, -228.0, 1003.0, 962.0],
        }
    }

    pub(crate) fn stem_v(self) -> f32 {
        match self {
            Font::Regular => 88.0,
            Font::Bold => 140.0,
        }
    }
}

/// Ascender, descender and cap height shared by both fonts (AFM).
pub(crate) const ASCENT: f32 = 718.0;
pub(crate) const DESCENT: f32 = -207.0;
pub(crate) const CAP_HEIGHT: f32 = 718.0;

fn char_units(table: &[u16; 224], byte: u8) -> u32 {
    if byte < 32 {
        0
    } else {
        u32::from(table[usize::from(byte - 32)])
    }
}

/// Helvetica, WinAnsi codes 32..=255 (codes with no glyph in WinAnsi carry the bullet width;
/// the encoder never produces them).
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, // 0x70
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

/// Helvetica-Bold, WinAnsi codes 32..=255.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, // 0x70
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

/// The WinAnsi byte of a character, `None` for characters that are dropped (combining marks,
/// zero-width characters, soft hyphens, carriage returns), `Some(b'?')` for characters outside
/// WinAnsi. A line feed maps to `b'\n'` when `newlines` is true and to a space otherwise; a tab
/// maps to a space; other control characters map to `?`.
fn encode_char(c: char, newlines: bool) -> Option<u8> {
    let code = u32::from(c);
    let byte = match c {
        '\n' if newlines => b'\n',
        '\n' | '\t' => b' ',
        '\r' | '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => return None,
        '\u{300}'..='\u{36F}' => return None,
        ' '..='~' => code as u8,
        '\u{A0}'..='\u{FF}' => code as u8,
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        // Spaces of other widths read as a plain space.
        '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => b' ',
        // Hyphens and minus signs that WinAnsi lacks.
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        _ => b'?',
    };
    Some(byte)
}

/// Encodes text in WinAnsiEncoding (see [`encode_char`]).
pub(crate) fn encode(text: &str, newlines: bool) -> Vec<u8> {
    text.chars()
        .filter_map(|c| encode_char(c, newlines))
        .collect()
}

/// WinAnsi code of the horizontal ellipsis.
pub(crate) const ELLIPSIS: u8 = 0x85;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_latin1_and_windows_specials() {
        assert_eq!(encode("Aé€–", false), vec![b'A', 0xE9, 0x80, 0x96]);
        assert_eq!(encode("日本\u{1F600}", false), b"???".to_vec());
        assert_eq!(encode("e\u{301}", false), b"e".to_vec());
        assert_eq!(encode("a\nb\tc\r", true), b"a\nb c".to_vec());
        assert_eq!(encode("a\nb", false), b"a b".to_vec());
    }

    #[test]
    fn widths_follow_the_afm_metrics() {
        assert_eq!(
            Font::Regular.width(b"Hello", 1000.0),
            722.0 + 556.0 + 222.0 + 222.0 + 556.0
        );
        assert_eq!(Font::Bold.width(b"W", 10.0), 9.44);
        assert_eq!(Font::Regular.width(&[0xFF], 1000.0), 500.0);
        assert_eq!(Font::Bold.width(&[0xFF], 1000.0), 556.0);
        assert_eq!(Font::Regular.width(b"\n", 10.0), 0.0);
    }
}
