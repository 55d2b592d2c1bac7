//! Page geometry, drawing operations, text wrapping and the pagination of flows.
//!
//! Coordinates here run top-down: `x` from the left edge of the page, `y` from the top of the
//! piece (or page) being built. Text `y` is the baseline. The PDF writer flips them.

use crate::metrics::{ELLIPSIS, Font};

/// A4 portrait in points.
pub(crate) const PAGE_W: f32 = 595.2756;
pub(crate) const PAGE_H: f32 = 841.8898;
/// 2 cm.
pub(crate) const MARGIN: f32 = 56.692_913;
pub(crate) const LEFT: f32 = MARGIN;
pub(crate) const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;
pub(crate) const BODY_H: f32 = PAGE_H - 2.0 * MARGIN;
/// Slack when comparing heights, so rounding never forces a needless page break.
const EPS: f32 = 0.01;

pub(crate) type Rgb = [f32; 3];
pub(crate) const BLACK: Rgb = [0.0, 0.0, 0.0];

/// One drawing operation, positioned top-down (see the module comment).
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        text: Vec<u8>,
        color: Rgb,
        /// Invisible text (rendering mode 3): extracted by text tools, not painted.
        invisible: bool,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(f32, Rgb)>,
    },
    Path {
        points: Vec<(f32, f32)>,
        width: f32,
        color: Rgb,
    },
}

impl Op {
    pub(crate) fn text(x: f32, y: f32, font: Font, size: f32, text: Vec<u8>) -> Op {
        Op::Text {
            x,
            y,
            font,
            size,
            text,
            color: BLACK,
            invisible: false,
        }
    }

    pub(crate) fn line(x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb) -> Op {
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        }
    }

    fn shifted(&self, dy: f32) -> Op {
        let mut op = self.clone();
        match &mut op {
            Op::Text { y, .. } | Op::Rect { y, .. } => *y += dy,
            Op::Line { y1, y2, .. } => {
                *y1 += dy;
                *y2 += dy;
            }
            Op::Path { points, .. } => points.iter_mut().for_each(|p| p.1 += dy),
        }
        op
    }
}

/// An unbreakable horizontal strip of a block, full body width.
#[derive(Clone, Debug, Default)]
pub(crate) struct Piece {
    pub(crate) height: f32,
    pub(crate) ops: Vec<Op>,
}

impl Piece {
    pub(crate) fn new(height: f32) -> Piece {
        Piece {
            height,
            ops: Vec::new(),
        }
    }
}

/// A block as the paginator sees it: pieces placed top to bottom, with the rules for breaking.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flow {
    /// Space above the block, dropped at the top of a page.
    pub(crate) space_before: f32,
    pub(crate) pieces: Vec<Piece>,
    /// Placed again at the top of every page the block continues on (a table header).
    pub(crate) repeat: Option<Piece>,
    /// Move the whole block to the next page rather than split it, when it fits on one page.
    pub(crate) keep_together: bool,
    /// How many leading pieces must share a page (a table header and its first row).
    pub(crate) lead: usize,
    /// Keep this block on the page of the next block's first pieces (a heading).
    pub(crate) keep_with_next: bool,
    /// Blank space that vanishes at a page break (a spacer).
    pub(crate) discard_at_break: bool,
}

impl Flow {
    pub(crate) fn new(space_before: f32, pieces: Vec<Piece>) -> Flow {
        Flow {
            space_before,
            pieces,
            lead: 1,
            ..Flow::default()
        }
    }

    fn total(&self) -> f32 {
        self.pieces.iter().map(|p| p.height).sum()
    }

    /// Height that must be free on the page for the block to start there.
    fn first_group(&self) -> f32 {
        if self.keep_together && self.total() <= BODY_H {
            self.total()
        } else {
            self.pieces
                .iter()
                .take(self.lead.max(1))
                .map(|p| p.height)
                .sum()
        }
    }
}

/// Paginates flows into pages of absolutely positioned operations (always at least one page).
pub(crate) fn paginate(flows: &[Flow]) -> Vec<Vec<Op>> {
    let mut pager = Pager {
        pages: Vec::new(),
        page: Vec::new(),
        y: 0.0,
        fresh: true,
    };
    for (i, flow) in flows.iter().enumerate() {
        if flow.pieces.is_empty() {
            continue;
        }
        if flow.discard_at_break {
            let h = flow.total();
            if pager.fresh && !pager.pages.is_empty() {
                continue;
            }
            if pager.y + h > BODY_H + EPS {
                pager.break_page();
                continue;
            }
            pager.y += h;
            pager.fresh = false;
            continue;
        }
        let mut need = flow.first_group();
        if flow.keep_with_next
            && let Some(next) = flows[i + 1..]
                .iter()
                .find(|f| !f.pieces.is_empty() && !f.discard_at_break)
        {
            need += next.space_before + next.first_group();
        }
        if need > BODY_H {
            need = flow.pieces[0].height;
        }
        let space = if pager.fresh { 0.0 } else { flow.space_before };
        if !pager.fresh && pager.y + space + need > BODY_H + EPS {
            pager.break_page();
        } else {
            pager.y += space;
        }
        for (j, piece) in flow.pieces.iter().enumerate() {
            if !pager.fresh && pager.y + piece.height > BODY_H + EPS {
                pager.break_page();
                if j > 0
                    && let Some(header) = &flow.repeat
                {
                    pager.place(header);
                }
            }
            pager.place(piece);
        }
    }
    pager.break_page();
    pager.pages
}

struct Pager {
    pages: Vec<Vec<Op>>,
    page: Vec<Op>,
    /// Height used on the current page, from the top of the body.
    y: f32,
    /// Nothing placed on the current page yet.
    fresh: bool,
}

impl Pager {
    fn place(&mut self, piece: &Piece) {
        let top = MARGIN + self.y;
        self.page.extend(piece.ops.iter().map(|op| op.shifted(top)));
        self.y += piece.height;
        self.fresh = false;
    }

    fn break_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.y = 0.0;
        self.fresh = true;
    }
}

/// Baseline offset of a line of text of `size` in a line box of height `leading`.
pub(crate) fn baseline(size: f32, leading: f32) -> f32 {
    (leading - size) / 2.0 + size * 0.8
}

/// Wraps encoded text into lines no wider than `max_w`: `\n` starts a new line, lines break
/// at spaces, and a word wider than a line is broken between characters (at least one
/// character per line, so any width terminates). A blank input line gives an empty line.
pub(crate) fn wrap(text: &[u8], font: Font, size: f32, max_w: f32) -> Vec<Vec<u8>> {
    let max_w = if max_w.is_nan() { 0.0 } else { max_w };
    let mut lines = Vec::new();
    for para in text.split(|&b| b == b'\n') {
        wrap_paragraph(para, font, size, max_w, &mut lines);
    }
    lines
}

fn wrap_paragraph(para: &[u8], font: Font, size: f32, max_w: f32, lines: &mut Vec<Vec<u8>>) {
    let space = font.width(b" ", size);
    let mut line: Vec<u8> = Vec::new();
    let mut line_w = 0.0;
    for word in para.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let w = font.width(word, size);
        if !line.is_empty() {
            if line_w + space + w <= max_w + EPS {
                line.push(b' ');
                line.extend_from_slice(word);
                line_w += space + w;
                continue;
            }
            lines.push(std::mem::take(&mut line));
            line_w = 0.0;
        }
        if w <= max_w + EPS {
            line.extend_from_slice(word);
            line_w = w;
            continue;
        }
        for &b in word {
            let cw = font.width(&[b], size);
            if !line.is_empty() && line_w + cw > max_w + EPS {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            line.push(b);
            line_w += cw;
        }
    }
    lines.push(line);
}

/// Cuts a line to `max_w`, ending it with an ellipsis when something was cut.
pub(crate) fn truncate(text: &[u8], font: Font, size: f32, max_w: f32) -> Vec<u8> {
    if font.width(text, size) <= max_w + EPS {
        return text.to_vec();
    }
    cut_with_ellipsis(text, font, size, max_w)
}

/// As much of `text` as fits in `max_w` together with a trailing ellipsis.
fn cut_with_ellipsis(text: &[u8], font: Font, size: f32, max_w: f32) -> Vec<u8> {
    let budget = max_w - font.width(&[ELLIPSIS], size);
    let mut out = Vec::new();
    let mut w = 0.0;
    for &b in text {
        let cw = font.width(&[b], size);
        if w + cw > budget + EPS {
            break;
        }
        out.push(b);
        w += cw;
    }
    while matches!(out.last(), Some(b' ' | 0xA0)) {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

/// [`wrap`] limited to `max_lines` lines, the last one ending in an ellipsis when cut.
pub(crate) fn wrap_max(
    text: &[u8],
    font: Font,
    size: f32,
    max_w: f32,
    max_lines: usize,
) -> Vec<Vec<u8>> {
    let mut lines = wrap(text, font, size, max_w);
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = cut_with_ellipsis(last, font, size, max_w);
        }
    }
    lines
}

/// Lines of text centred on `cx`, one piece per line.
pub(crate) fn centred_lines(
    lines: &[Vec<u8>],
    font: Font,
    size: f32,
    leading: f32,
    cx: f32,
) -> Vec<Piece> {
    lines
        .iter()
        .map(|line| {
            let w = font.width(line, size);
            let mut piece = Piece::new(leading);
            piece.ops.push(Op::text(
                cx - w / 2.0,
                baseline(size, leading),
                font,
                size,
                line.clone(),
            ));
            piece
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_breaks_long_words() {
        let lines = wrap(
            b"aaa bbb ccc",
            Font::Regular,
            10.0,
            Font::Regular.width(b"aaa bbb", 10.0),
        );
        assert_eq!(lines, vec![b"aaa bbb".to_vec(), b"ccc".to_vec()]);
        let word = vec![b'x'; 100];
        let lines = wrap(&word, Font::Regular, 10.0, 50.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| Font::Regular.width(l, 10.0) <= 50.0 + EPS)
        );
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 100);
        // Narrower than one character: one character per line, never stuck.
        assert_eq!(wrap(b"abc", Font::Regular, 10.0, 0.1).len(), 3);
        assert_eq!(wrap(b"abc", Font::Regular, 10.0, f32::NAN).len(), 3);
        assert_eq!(wrap(b"a\n\nb", Font::Regular, 10.0, 100.0).len(), 3);
        assert_eq!(
            wrap(b"", Font::Regular, 10.0, 100.0),
            vec![Vec::<u8>::new()]
        );
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        let t = truncate(b"Bidang Perlindungan Anak", Font::Regular, 10.0, 40.0);
        assert_eq!(t.last(), Some(&ELLIPSIS));
        assert!(Font::Regular.width(&t, 10.0) <= 40.0 + EPS);
        let lines = wrap_max(
            b"satu dua tiga empat lima enam",
            Font::Regular,
            10.0,
            40.0,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].last(), Some(&ELLIPSIS));
    }

    #[test]
    fn paginates_with_repeated_headers_and_keeps_headings_with_the_next_block() {
        let piece = |h: f32| {
            let mut p = Piece::new(h);
            p.ops.push(Op::line(0.0, 0.0, 1.0, 0.0, 1.0, BLACK));
            p
        };
        let mut table = Flow::new(0.0, vec![piece(20.0); 100]);
        table.repeat = Some(piece(20.0));
        let pages = paginate(&[table]);
        // 100 pieces of 20 pt, plus one repeated header per continuation page.
        let per_page = (BODY_H / 20.0).floor() as usize;
        assert_eq!(pages.len(), 100usize.div_ceil(per_page - 1).max(2));
        assert!(pages.iter().all(|p| !p.is_empty()));

        let filler = Flow::new(0.0, vec![piece(BODY_H - 30.0)]);
        let mut heading = Flow::new(0.0, vec![piece(20.0)]);
        heading.keep_with_next = true;
        let body = Flow::new(0.0, vec![piece(20.0)]);
        let pages = paginate(&[filler, heading, body]);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].len(), 2);
        assert_eq!(paginate(&[]).len(), 1);
    }
}
