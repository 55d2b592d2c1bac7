//! The document builder: each block method turns its content into a [`Flow`] at once; `render`
//! paginates the flows and writes the PDF.

use pdf_writer::types::{FontFlags, LineCapStyle, LineJoinStyle, TextRenderingMode};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::chart;
use crate::layout::{
    BLACK, BODY_H, BODY_W, Flow, LEFT, MARGIN, Op, PAGE_H, PAGE_W, Piece, Rgb, baseline,
    centred_lines, paginate, truncate, wrap, wrap_max,
};
use crate::metrics::{ASCENT, CAP_HEIGHT, DESCENT, Font, encode};

const BODY_SIZE: f32 = 11.0;
const BODY_LEADING: f32 = 14.5;
const TABLE_SIZE: f32 = 9.5;
const TABLE_LEADING: f32 = 12.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
/// Narrowest column: padding plus about two characters.
const MIN_COLUMN_W: f32 = 2.0 * CELL_PAD_X + 12.0;
const GRID: Rgb = [0.35, 0.35, 0.35];
const HEADER_FILL: Rgb = [0.86, 0.86, 0.86];
const MARK_COLOR: Rgb = [0.70, 0.0, 0.0];
const MUTED: Rgb = [0.35, 0.35, 0.35];

/// An A4 portrait document with 2 cm margins, built block by block from the top of the first
/// page and paginated by [`Document::render`].
#[derive(Clone, Debug)]
pub struct Document {
    title: String,
    mark: Vec<u8>,
    flows: Vec<Flow>,
}

impl Document {
    /// A new empty document; `title` becomes the PDF metadata title (the document language is
    /// always `id-ID`).
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_string(),
            mark: Vec::new(),
            flows: Vec::new(),
        }
    }

    /// A mark printed in a box at the top right of every page, e.g. `RAHASIA`; an empty text
    /// removes it. Cut with an ellipsis past half the body width.
    pub fn mark(&mut self, text: &str) {
        self.mark = encode(text.trim(), false);
    }

    /// Centred letterhead (kop surat): the first line bold and larger, the others regular, then
    /// a double rule (thick over thin) across the body width.
    pub fn letterhead(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let cx = LEFT + BODY_W / 2.0;
        let mut pieces = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let (font, size, leading) = if i == 0 {
                (Font::Bold, 14.0, 18.0)
            } else {
                (Font::Regular, 10.0, 13.0)
            };
            let wrapped = wrap(&encode(line, true), font, size, BODY_W);
            pieces.extend(centred_lines(&wrapped, font, size, leading, cx));
        }
        let mut rule = Piece::new(10.0);
        rule.ops
            .push(Op::line(LEFT, 4.0, LEFT + BODY_W, 4.0, 2.0, BLACK));
        rule.ops
            .push(Op::line(LEFT, 7.0, LEFT + BODY_W, 7.0, 0.6, BLACK));
        pieces.push(rule);
        let mut flow = Flow::new(0.0, pieces);
        flow.keep_together = true;
        self.flows.push(flow);
    }

    /// Centred bold underlined title, with an optional regular line under it (e.g.
    /// `Nomor: 400.9/123/434.203/2026`).
    pub fn title(&mut self, text: &str, subtitle: Option<&str>) {
        let cx = LEFT + BODY_W / 2.0;
        let (size, leading) = (13.0, 17.0);
        let mut pieces = Vec::new();
        for line in wrap(&encode(text, true), Font::Bold, size, BODY_W) {
            let w = Font::Bold.width(&line, size);
            let base = baseline(size, leading);
            let mut piece = Piece::new(leading);
            if w > 0.0 {
                piece.ops.push(Op::line(
                    cx - w / 2.0,
                    base + 1.8,
                    cx + w / 2.0,
                    base + 1.8,
                    0.8,
                    BLACK,
                ));
            }
            piece
                .ops
                .push(Op::text(cx - w / 2.0, base, Font::Bold, size, line));
            pieces.push(piece);
        }
        if let Some(sub) = subtitle {
            let lines = wrap(&encode(sub, true), Font::Regular, BODY_SIZE, BODY_W);
            pieces.extend(centred_lines(
                &lines,
                Font::Regular,
                BODY_SIZE,
                BODY_LEADING,
                cx,
            ));
        }
        let mut flow = Flow::new(12.0, pieces);
        flow.keep_together = true;
        self.flows.push(flow);
    }

    /// Bold section heading, kept on the page of what follows it.
    pub fn heading(&mut self, text: &str) {
        let (size, leading) = (12.0, 16.0);
        let pieces = wrap(&encode(text, true), Font::Bold, size, BODY_W)
            .into_iter()
            .map(|line| text_piece(LEFT, line, Font::Bold, size, leading))
            .collect();
        let mut flow = Flow::new(12.0, pieces);
        flow.keep_with_next = true;
        flow.keep_together = true;
        self.flows.push(flow);
    }

    /// Wrapped body text; `\n` starts a new line. Splits between lines across pages.
    pub fn paragraph(&mut self, text: &str) {
        let pieces = wrap(&encode(text, true), Font::Regular, BODY_SIZE, BODY_W)
            .into_iter()
            .map(|line| text_piece(LEFT, line, Font::Regular, BODY_SIZE, BODY_LEADING))
            .collect();
        self.flows.push(Flow::new(6.0, pieces));
    }

    /// `Label : value` rows: labels in a fixed column (as wide as the widest label, at most 40%
    /// of the body), values wrapped in the rest.
    pub fn fields(&mut self, rows: &[(String, String)]) {
        let (size, leading) = (BODY_SIZE, BODY_LEADING);
        let labels: Vec<Vec<u8>> = rows.iter().map(|(l, _)| encode(l, true)).collect();
        let widest = labels
            .iter()
            .flat_map(|l| l.split(|&b| b == b'\n'))
            .map(|l| Font::Regular.width(l, size))
            .fold(0.0f32, f32::max);
        let label_w = widest.clamp(40.0, BODY_W * 0.4);
        let colon_x = LEFT + label_w + 6.0;
        let value_x = colon_x + 10.0;
        let value_w = LEFT + BODY_W - value_x;
        let mut pieces = Vec::new();
        for (label, (_, value)) in labels.iter().zip(rows) {
            let label_lines = wrap(label, Font::Regular, size, label_w);
            let value_lines = wrap(&encode(value, true), Font::Regular, size, value_w);
            let n = label_lines.len().max(value_lines.len());
            for k in 0..n {
                let base = baseline(size, leading);
                let mut piece = Piece::new(leading);
                if let Some(l) = label_lines.get(k) {
                    piece
                        .ops
                        .push(Op::text(LEFT, base, Font::Regular, size, l.clone()));
                }
                if k == 0 {
                    piece
                        .ops
                        .push(Op::text(colon_x, base, Font::Regular, size, b":".to_vec()));
                }
                if let Some(v) = value_lines.get(k) {
                    piece
                        .ops
                        .push(Op::text(value_x, base, Font::Regular, size, v.clone()));
                }
                pieces.push(piece);
            }
        }
        self.flows.push(Flow::new(6.0, pieces));
    }

    /// Items with a square box before each, ticked when `true`. The state is also written as
    /// invisible `[x]` / `[ ]` text, so text extraction and screen readers see it.
    pub fn checklist(&mut self, items: &[(String, bool)]) {
        let (size, leading) = (BODY_SIZE, BODY_LEADING);
        let text_x = LEFT + 17.0;
        let mut pieces = Vec::new();
        for (item, checked) in items {
            let lines = wrap(
                &encode(item, true),
                Font::Regular,
                size,
                LEFT + BODY_W - text_x,
            );
            for (k, line) in lines.into_iter().enumerate() {
                let base = baseline(size, leading);
                let mut piece = text_piece(text_x, line, Font::Regular, size, leading);
                if k == 0 {
                    let (bx, box_size) = (LEFT + 1.0, 8.5);
                    let by = base - box_size + 0.5;
                    piece.ops.push(Op::Rect {
                        x: bx,
                        y: by,
                        w: box_size,
                        h: box_size,
                        fill: None,
                        stroke: Some((0.8, BLACK)),
                    });
                    if *checked {
                        piece.ops.push(Op::Path {
                            points: vec![
                                (bx + 1.6, by + 4.4),
                                (bx + 3.6, by + 6.8),
                                (bx + 7.4, by + 1.4),
                            ],
                            width: 1.3,
                            color: BLACK,
                        });
                    }
                    let state = if *checked {
                        b"[x]".to_vec()
                    } else {
                        b"[ ]".to_vec()
                    };
                    piece.ops.push(Op::Text {
                        x: bx,
                        y: base,
                        font: Font::Regular,
                        size,
                        text: state,
                        color: BLACK,
                        invisible: true,
                    });
                }
                pieces.push(piece);
            }
        }
        self.flows.push(Flow::new(6.0, pieces));
    }

    /// A ruled table across the body width. `widths` are relative column widths (missing,
    /// zero, negative or non-finite ones take the average of the others); `align_right` marks
    /// right-aligned columns (missing = left). The header is bold on a grey ground and repeated
    /// on every page the table continues on; cells wrap; rows split between pages (a row taller
    /// than a page splits between lines). Rows may have any number of cells; a table without
    /// rows shows one `Tidak ada data` row.
    pub fn table(
        &mut self,
        header: &[String],
        widths: &[f32],
        rows: &[Vec<String>],
        align_right: &[bool],
    ) {
        let ncols = rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(header.len());
        if ncols == 0 {
            return;
        }
        let valid: Vec<f32> = widths
            .iter()
            .copied()
            .filter(|w| w.is_finite() && *w > 0.0)
            .collect();
        let fallback = if valid.is_empty() {
            1.0
        } else {
            valid.iter().sum::<f32>() / valid.len() as f32
        };
        let rel: Vec<f32> = (0..ncols)
            .map(|i| {
                widths
                    .get(i)
                    .copied()
                    .filter(|w| w.is_finite() && *w > 0.0)
                    .unwrap_or(fallback)
            })
            .collect();
        let mut cols = Vec::with_capacity(ncols);
        let mut x = LEFT;
        for (i, w) in column_widths(&rel, BODY_W, MIN_COLUMN_W)
            .into_iter()
            .enumerate()
        {
            cols.push(Column {
                x,
                w,
                right: align_right.get(i).copied().unwrap_or(false),
            });
            x += w;
        }

        let header_piece = if header.is_empty() {
            None
        } else {
            // A header never takes more than a quarter of the page.
            let max_lines = (((BODY_H / 4.0) - 2.0 * CELL_PAD_Y) / TABLE_LEADING)
                .floor()
                .max(1.0) as usize;
            let cells: Vec<Vec<Vec<u8>>> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let text = header.get(i).map(|h| encode(h, true)).unwrap_or_default();
                    wrap_max(&text, Font::Bold, TABLE_SIZE, c.inner(), max_lines)
                })
                .collect();
            let n = cells.iter().map(Vec::len).max().unwrap_or(1);
            Some(row_piece(
                &cols,
                &cells,
                0,
                n,
                Font::Bold,
                Some(HEADER_FILL),
            ))
        };
        let header_h = header_piece.as_ref().map_or(0.0, |p| p.height);
        let max_lines_per_piece = ((BODY_H - header_h - 2.0 * CELL_PAD_Y - 1.0) / TABLE_LEADING)
            .floor()
            .max(1.0) as usize;

        let mut pieces: Vec<Piece> = header_piece.iter().cloned().collect();
        for row in rows {
            let cells: Vec<Vec<Vec<u8>>> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let text = row.get(i).map(|t| encode(t, true)).unwrap_or_default();
                    wrap(&text, Font::Regular, TABLE_SIZE, c.inner())
                })
                .collect();
            let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut start = 0;
            while start < n {
                let count = max_lines_per_piece.min(n - start);
                pieces.push(row_piece(&cols, &cells, start, count, Font::Regular, None));
                start += count;
            }
        }
        if rows.is_empty() {
            let all = [Column {
                x: LEFT,
                w: BODY_W,
                right: false,
            }];
            let text = b"Tidak ada data".to_vec();
            let w = Font::Regular.width(&text, TABLE_SIZE);
            let mut piece = row_piece(&all, &[vec![Vec::new()]], 0, 1, Font::Regular, None);
            piece.ops.push(Op::Text {
                x: LEFT + (BODY_W - w) / 2.0,
                y: CELL_PAD_Y + baseline(TABLE_SIZE, TABLE_LEADING),
                font: Font::Regular,
                size: TABLE_SIZE,
                text,
                color: MUTED,
                invisible: false,
            });
            pieces.push(piece);
        }
        let mut flow = Flow::new(8.0, pieces);
        flow.lead = if header_piece.is_some() { 2 } else { 1 };
        flow.repeat = header_piece;
        self.flows.push(flow);
    }

    /// A bar chart drawn with vector paths: vertical bars (up to 8 bars whose labels fit under
    /// them in three lines) or horizontal bars (otherwise), an axis, the value printed at each
    /// bar via `value_label`, labels under or next to the bars. Values that are zero, negative
    /// or not finite draw no bar (their label is still printed); no bars at all prints
    /// `Tidak ada data`. Horizontal charts taller than a page split between bars.
    pub fn bar_chart(
        &mut self,
        title: &str,
        bars: &[(String, f64)],
        value_label: &dyn Fn(f64) -> String,
    ) {
        self.flows.push(chart::bar_chart(title, bars, value_label));
    }

    /// A signature block at the right: place and date, the signer's title, room for the
    /// signature and stamp, then the name in bold, underlined.
    pub fn signature(&mut self, place_date: &str, title: &str, name: &str) {
        let block_w = BODY_W * 0.45;
        let cx = LEFT + BODY_W - block_w / 2.0;
        let mut pieces = Vec::new();
        for text in [place_date, title] {
            let lines = wrap(&encode(text, true), Font::Regular, BODY_SIZE, block_w);
            pieces.extend(centred_lines(
                &lines,
                Font::Regular,
                BODY_SIZE,
                BODY_LEADING,
                cx,
            ));
        }
        pieces.push(Piece::new(58.0));
        for line in wrap(&encode(name, true), Font::Bold, BODY_SIZE, block_w) {
            let w = Font::Bold.width(&line, BODY_SIZE);
            let base = baseline(BODY_SIZE, BODY_LEADING);
            let mut piece = Piece::new(BODY_LEADING);
            if w > 0.0 {
                piece.ops.push(Op::line(
                    cx - w / 2.0,
                    base + 1.6,
                    cx + w / 2.0,
                    base + 1.6,
                    0.7,
                    BLACK,
                ));
            }
            piece
                .ops
                .push(Op::text(cx - w / 2.0, base, Font::Bold, BODY_SIZE, line));
            pieces.push(piece);
        }
        let mut flow = Flow::new(20.0, pieces);
        flow.keep_together = true;
        self.flows.push(flow);
    }

    /// Vertical blank space in points (at most a page); it vanishes at a page break. Zero,
    /// negative and non-finite amounts are ignored.
    pub fn spacer(&mut self, points: f32) {
        if !(points.is_finite() && points > 0.0) {
            return;
        }
        let mut flow = Flow::new(0.0, vec![Piece::new(points.min(BODY_H))]);
        flow.discard_at_break = true;
        self.flows.push(flow);
    }

    /// Paginates the blocks (a block moves to the next page when it does not fit; blocks taller
    /// than a page split: paragraphs by line, tables by row) and writes the PDF, with the footer
    /// `Halaman N dari M` and the mark on every page.
    pub fn render(self) -> Vec<u8> {
        let pages = paginate(&self.flows);
        write_pdf(&self.title, &self.mark, &pages)
    }

    #[cfg(test)]
    pub(crate) fn pages(&self) -> Vec<Vec<Op>> {
        paginate(&self.flows)
    }
}

/// One line of text at `x` in a piece of height `leading`.
fn text_piece(x: f32, line: Vec<u8>, font: Font, size: f32, leading: f32) -> Piece {
    let mut piece = Piece::new(leading);
    piece
        .ops
        .push(Op::text(x, baseline(size, leading), font, size, line));
    piece
}

/// Splits `total` in proportion to `rel`, but gives every column at least `min` (or an equal
/// share when `min` does not fit that many times).
fn column_widths(rel: &[f32], total: f32, min: f32) -> Vec<f32> {
    let n = rel.len();
    if n == 0 {
        return Vec::new();
    }
    let min = min.min(total / n as f32);
    let mut pinned = vec![false; n];
    loop {
        let free_total = total - min * pinned.iter().filter(|p| **p).count() as f32;
        let free_rel: f32 = rel
            .iter()
            .zip(&pinned)
            .filter(|(_, p)| !**p)
            .map(|(r, _)| r)
            .sum();
        let widths: Vec<f32> = rel
            .iter()
            .zip(&pinned)
            .map(|(r, p)| {
                if *p || free_rel <= 0.0 {
                    min
                } else {
                    r / free_rel * free_total
                }
            })
            .collect();
        let mut changed = false;
        for (w, p) in widths.iter().zip(pinned.iter_mut()) {
            if !*p && *w < min {
                *p = true;
                changed = true;
            }
        }
        if !changed {
            return widths;
        }
    }
}

struct Column {
    x: f32,
    w: f32,
    right: bool,
}

impl Column {
    fn inner(&self) -> f32 {
        self.w - 2.0 * CELL_PAD_X
    }
}

/// Lines `start..start + count` of every cell of a row, as one ruled strip.
fn row_piece(
    cols: &[Column],
    cells: &[Vec<Vec<u8>>],
    start: usize,
    count: usize,
    font: Font,
    fill: Option<Rgb>,
) -> Piece {
    let height = count as f32 * TABLE_LEADING + 2.0 * CELL_PAD_Y;
    let mut piece = Piece::new(height);
    for (col, lines) in cols.iter().zip(cells) {
        piece.ops.push(Op::Rect {
            x: col.x,
            y: 0.0,
            w: col.w,
            h: height,
            fill,
            stroke: Some((0.5, GRID)),
        });
        for (k, line) in lines.iter().skip(start).take(count).enumerate() {
            let w = font.width(line, TABLE_SIZE);
            let x = if col.right {
                (col.x + col.w - CELL_PAD_X - w).max(col.x + CELL_PAD_X)
            } else {
                col.x + CELL_PAD_X
            };
            let y = CELL_PAD_Y + k as f32 * TABLE_LEADING + baseline(TABLE_SIZE, TABLE_LEADING);
            piece
                .ops
                .push(Op::text(x, y, font, TABLE_SIZE, line.clone()));
        }
    }
    piece
}

/// Writes the catalog (language `id-ID`), the page tree, the two standard fonts, one content
/// stream per page (with the mark and the footer) and the document information.
fn write_pdf(title: &str, mark: &[u8], pages: &[Vec<Op>]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let first_page = 8;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    {
        let mut catalog = pdf.catalog(catalog_id);
        catalog.pages(tree_id).lang(TextStr("id-ID"));
        catalog.viewer_preferences().display_doc_title(true);
    }
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (font, id, descriptor_id) in [
        (Font::Regular, regular_id, Ref::new(6)),
        (Font::Bold, bold_id, Ref::new(7)),
    ] {
        // Widths and a descriptor are optional for the standard 14 fonts, but with them a
        // viewer that substitutes another font still spaces the glyphs as laid out here.
        pdf.type1_font(id)
            .base_font(Name(font.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(32)
            .last_char(255)
            .widths(font.widths().iter().map(|&w| f32::from(w)))
            .font_descriptor(descriptor_id);
        let [x1, y1, x2, y2] = font.bbox();
        pdf.font_descriptor(descriptor_id)
            .name(Name(font.base_font()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(x1, y1, x2, y2))
            .italic_angle(0.0)
            .ascent(ASCENT)
            .descent(DESCENT)
            .cap_height(CAP_HEIGHT)
            .stem_v(font.stem_v());
    }
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("aduan-documents"));

    let total = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut content = Content::new();
        for op in ops {
            emit(&mut content, op);
        }
        for op in page_furniture(mark, i + 1, total) {
            emit(&mut content, &op);
        }
        let data = content.finish();
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree_id)
            .contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(Name(Font::Regular.resource()), regular_id)
            .pair(Name(Font::Bold.resource()), bold_id);
        resources.finish();
        page.finish();
        pdf.stream(content_id, &data);
    }
    pdf.finish()
}

/// The mark at the top right and the footer, in page coordinates.
fn page_furniture(mark: &[u8], number: usize, total: usize) -> Vec<Op> {
    let mut ops = Vec::new();
    if !mark.is_empty() {
        let size = 10.0;
        let text = truncate(mark, Font::Bold, size, BODY_W / 2.0);
        let w = Font::Bold.width(&text, size);
        let right = LEFT + BODY_W;
        let y = MARGIN - 22.0;
        ops.push(Op::Rect {
            x: right - w - 8.0,
            y: y - size - 1.0,
            w: w + 8.0,
            h: size + 5.0,
            fill: None,
            stroke: Some((0.8, MARK_COLOR)),
        });
        ops.push(Op::Text {
            x: right - w - 4.0,
            y,
            font: Font::Bold,
            size,
            text,
            color: MARK_COLOR,
            invisible: false,
        });
    }
    let footer = format!("Halaman {number} dari {total}").into_bytes();
    let size = 9.0;
    let w = Font::Regular.width(&footer, size);
    ops.push(Op::Text {
        x: (PAGE_W - w) / 2.0,
        y: PAGE_H - MARGIN + 30.0,
        font: Font::Regular,
        size,
        text: footer,
        color: MUTED,
        invisible: false,
    });
    ops
}

/// Writes one operation, flipping to PDF's bottom-up coordinates.
fn emit(c: &mut Content, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            font,
            size,
            text,
            color,
            invisible,
        } => {
            if text.is_empty() {
                return;
            }
            c.save_state();
            c.begin_text();
            if *invisible {
                c.set_text_rendering_mode(TextRenderingMode::Invisible);
            }
            c.set_fill_rgb(color[0], color[1], color[2]);
            c.set_font(Name(font.resource()), *size);
            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_H - y]);
            c.show(Str(text));
            c.end_text();
            c.restore_state();
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            c.set_stroke_rgb(color[0], color[1], color[2]);
            c.set_line_width(*width);
            c.move_to(*x1, PAGE_H - y1);
            c.line_to(*x2, PAGE_H - y2);
            c.stroke();
        }
        Op::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        } => {
            if let Some(f) = fill {
                c.set_fill_rgb(f[0], f[1], f[2]);
                c.rect(*x, PAGE_H - y - h, *w, *h);
                c.fill_nonzero();
            }
            if let Some((width, s)) = stroke {
                c.set_stroke_rgb(s[0], s[1], s[2]);
                c.set_line_width(*width);
                c.rect(*x, PAGE_H - y - h, *w, *h);
                c.stroke();
            }
        }
        Op::Path {
            points,
            width,
            color,
        } => {
            let Some((first, rest)) = points.split_first() else {
                return;
            };
            c.save_state();
            c.set_stroke_rgb(color[0], color[1], color[2]);
            c.set_line_width(*width);
            c.set_line_cap(LineCapStyle::RoundCap);
            c.set_line_join(LineJoinStyle::RoundJoin);
            c.move_to(first.0, PAGE_H - first.1);
            for p in rest {
                c.line_to(p.0, PAGE_H - p.1);
            }
            c.stroke();
            c.restore_state();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::column_widths;

    #[test]
    fn columns_are_proportional_with_a_minimum() {
        assert_eq!(column_widths(&[1.0, 3.0], 100.0, 10.0), vec![25.0, 75.0]);
        let w = column_widths(&[0.01, 1.0, 1.0], 100.0, 20.0);
        assert_eq!(w[0], 20.0);
        assert!(
            (w[1] - 40.0).abs() < 1e-4 && (w[2] - 40.0).abs() < 1e-4,
            "{w:?}"
        );
        let w = column_widths(&[1.0; 50], 100.0, 20.0);
        assert!(w.iter().all(|x| (x - 2.0).abs() < 1e-4), "{w:?}");
        assert!(column_widths(&[], 100.0, 20.0).is_empty());
    }
}
