//! Bar charts drawn with vector paths.

use crate::layout::{
    BLACK, BODY_H, BODY_W, Flow, LEFT, Op, Piece, Rgb, baseline, truncate, wrap, wrap_max,
};
use crate::metrics::{Font, encode};

pub(crate) const BAR_COLOR: Rgb = [0.20, 0.42, 0.70];
const GRIDLINE: Rgb = [0.85, 0.85, 0.85];
const LABEL_SIZE: f32 = 8.5;
const LABEL_LEADING: f32 = 10.0;
const VALUE_SIZE: f32 = 8.0;
const MAX_LABEL_LINES: usize = 3;
const MAX_VERTICAL_BARS: usize = 8;
/// Room above the plot for the value printed over the tallest bar.
pub(crate) const TOP_PAD: f32 = 16.0;
pub(crate) const PLOT_H: f32 = 150.0;

pub(crate) fn bar_chart(
    title: &str,
    bars: &[(String, f64)],
    value_label: &dyn Fn(f64) -> String,
) -> Flow {
    let mut pieces = Vec::new();
    let (title_size, title_leading) = (11.0, 15.0);
    for line in wrap(&encode(title, true), Font::Bold, title_size, BODY_W) {
        let mut piece = Piece::new(title_leading);
        piece.ops.push(Op::text(
            LEFT,
            baseline(title_size, title_leading),
            Font::Bold,
            title_size,
            line,
        ));
        pieces.push(piece);
    }
    if let Some(last) = pieces.last_mut() {
        last.height += 4.0;
    }
    let values: Vec<f64> = bars.iter().map(|(_, v)| *v).collect();
    let max = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(0.0, f64::max);
    let integers = values
        .iter()
        .filter(|v| v.is_finite())
        .all(|v| v.fract() == 0.0);
    let labels: Vec<Vec<u8>> = bars.iter().map(|(l, _)| encode(l, true)).collect();
    let value_texts: Vec<Vec<u8>> = values
        .iter()
        .map(|v| encode(&value_label(*v), false))
        .collect();
    let ticks = nice_ticks(max, integers);
    let tick_texts: Vec<Vec<u8>> = ticks
        .iter()
        .map(|t| encode(&value_label(*t), false))
        .collect();
    let tick_w = tick_texts
        .iter()
        .map(|t| truncate(t, Font::Regular, VALUE_SIZE, BODY_W * 0.2))
        .map(|t| Font::Regular.width(&t, VALUE_SIZE))
        .fold(0.0f32, f32::max)
        + 8.0;
    let geometry = Vertical::new(bars.len(), tick_w);
    let fits_under = bars.len() <= MAX_VERTICAL_BARS
        && labels.iter().all(|l| {
            let inner = geometry.slot_w - 4.0;
            l.split(|&b| b == b'\n' || b == b' ')
                .all(|w| Font::Regular.width(w, LABEL_SIZE) <= inner)
                && wrap(l, Font::Regular, LABEL_SIZE, inner).len() <= MAX_LABEL_LINES
        });
    let mut flow = if bars.is_empty() || fits_under {
        pieces.push(vertical(
            &geometry,
            &labels,
            &values,
            &value_texts,
            &ticks,
            &tick_texts,
        ));
        Flow::new(10.0, pieces)
    } else {
        pieces.extend(horizontal(&labels, &values, &value_texts, max));
        let mut flow = Flow::new(10.0, pieces);
        flow.lead = 2;
        flow
    };
    flow.keep_together = true;
    flow
}

/// Where the parts of a vertical chart go, relative to the chart piece.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vertical {
    pub(crate) plot_x0: f32,
    pub(crate) plot_x1: f32,
    /// y of the axis the bars stand on.
    pub(crate) base_y: f32,
    pub(crate) slot_w: f32,
    pub(crate) bar_w: f32,
}

impl Vertical {
    pub(crate) fn new(n: usize, tick_w: f32) -> Vertical {
        let plot_x0 = LEFT + tick_w;
        let plot_x1 = LEFT + BODY_W;
        let slot_w = (plot_x1 - plot_x0) / n.max(1) as f32;
        Vertical {
            plot_x0,
            plot_x1,
            base_y: TOP_PAD + PLOT_H,
            slot_w,
            bar_w: (slot_w * 0.6).min(56.0),
        }
    }

    pub(crate) fn centre(&self, i: usize) -> f32 {
        self.plot_x0 + self.slot_w * (i as f32 + 0.5)
    }
}

fn vertical(
    g: &Vertical,
    labels: &[Vec<u8>],
    values: &[f64],
    value_texts: &[Vec<u8>],
    ticks: &[f64],
    tick_texts: &[Vec<u8>],
) -> Piece {
    let mut ops = Vec::new();
    let top = ticks.last().copied().filter(|t| *t > 0.0);
    let y_of = |v: f64| match top {
        Some(top) => g.base_y - (v / top) as f32 * PLOT_H,
        None => g.base_y,
    };
    for (t, text) in ticks.iter().zip(tick_texts) {
        let y = y_of(*t);
        if *t > 0.0 {
            ops.push(Op::line(g.plot_x0, y, g.plot_x1, y, 0.5, GRIDLINE));
        }
        let text = truncate(text, Font::Regular, VALUE_SIZE, BODY_W * 0.2);
        let w = Font::Regular.width(&text, VALUE_SIZE);
        ops.push(Op::text(
            g.plot_x0 - 4.0 - w,
            y + VALUE_SIZE * 0.35,
            Font::Regular,
            VALUE_SIZE,
            text,
        ));
    }
    ops.push(Op::line(
        g.plot_x0,
        TOP_PAD - 4.0,
        g.plot_x0,
        g.base_y,
        0.8,
        BLACK,
    ));
    ops.push(Op::line(
        g.plot_x0, g.base_y, g.plot_x1, g.base_y, 0.8, BLACK,
    ));
    let mut label_lines = 0;
    for (i, ((label, v), text)) in labels.iter().zip(values).zip(value_texts).enumerate() {
        let cx = g.centre(i);
        let mut bar_top = g.base_y;
        if let Some(top) = top
            && v.is_finite()
            && *v > 0.0
        {
            let h = ((v / top) as f32 * PLOT_H).min(PLOT_H);
            bar_top = g.base_y - h;
            ops.push(Op::Rect {
                x: cx - g.bar_w / 2.0,
                y: bar_top,
                w: g.bar_w,
                h,
                fill: Some(BAR_COLOR),
                stroke: None,
            });
        }
        let text = truncate(text, Font::Regular, VALUE_SIZE, g.slot_w - 2.0);
        let w = Font::Regular.width(&text, VALUE_SIZE);
        ops.push(Op::text(
            cx - w / 2.0,
            bar_top - 3.0,
            Font::Regular,
            VALUE_SIZE,
            text,
        ));
        let lines = wrap_max(
            label,
            Font::Regular,
            LABEL_SIZE,
            g.slot_w - 4.0,
            MAX_LABEL_LINES,
        );
        label_lines = label_lines.max(lines.len());
        for (k, line) in lines.into_iter().enumerate() {
            let w = Font::Regular.width(&line, LABEL_SIZE);
            let y = g.base_y + 4.0 + k as f32 * LABEL_LEADING + baseline(LABEL_SIZE, LABEL_LEADING);
            ops.push(Op::text(cx - w / 2.0, y, Font::Regular, LABEL_SIZE, line));
        }
    }
    if labels.is_empty() {
        let text = b"Tidak ada data".to_vec();
        let w = Font::Regular.width(&text, 10.0);
        let cx = (g.plot_x0 + g.plot_x1) / 2.0;
        ops.push(Op::text(
            cx - w / 2.0,
            g.base_y - PLOT_H / 2.0,
            Font::Regular,
            10.0,
            text,
        ));
    }
    Piece {
        height: g.base_y + 4.0 + label_lines as f32 * LABEL_LEADING + 6.0,
        ops,
    }
}

/// One piece per bar: label at the left, the bar from a common axis, the value after it.
fn horizontal(labels: &[Vec<u8>], values: &[f64], value_texts: &[Vec<u8>], max: f64) -> Vec<Piece> {
    let widest_label = labels
        .iter()
        .flat_map(|l| l.split(|&b| b == b'\n'))
        .map(|l| Font::Regular.width(l, LABEL_SIZE))
        .fold(0.0f32, f32::max);
    let label_w = widest_label.clamp(30.0, BODY_W * 0.35);
    let value_texts: Vec<Vec<u8>> = value_texts
        .iter()
        .map(|t| truncate(t, Font::Regular, VALUE_SIZE, BODY_W * 0.2))
        .collect();
    let value_w = value_texts
        .iter()
        .map(|t| Font::Regular.width(t, VALUE_SIZE))
        .fold(0.0f32, f32::max)
        + 8.0;
    let bx0 = LEFT + label_w + 6.0;
    let avail = (LEFT + BODY_W - value_w - bx0).max(10.0);
    let mut pieces = Vec::new();
    for ((label, v), text) in labels.iter().zip(values).zip(value_texts) {
        let lines = wrap_max(label, Font::Regular, LABEL_SIZE, label_w, MAX_LABEL_LINES);
        let row_h = (lines.len() as f32 * LABEL_LEADING).max(12.0) + 6.0;
        let mut ops = Vec::new();
        let text_top = (row_h - lines.len() as f32 * LABEL_LEADING) / 2.0;
        for (k, line) in lines.into_iter().enumerate() {
            let y = text_top + k as f32 * LABEL_LEADING + baseline(LABEL_SIZE, LABEL_LEADING);
            ops.push(Op::text(LEFT, y, Font::Regular, LABEL_SIZE, line));
        }
        ops.push(Op::line(bx0, 0.0, bx0, row_h, 0.8, BLACK));
        let mut len = 0.0;
        if max > 0.0 && v.is_finite() && *v > 0.0 {
            len = ((v / max) as f32 * avail).min(avail);
            let bar_h = 11.0f32.min(row_h - 4.0);
            ops.push(Op::Rect {
                x: bx0,
                y: (row_h - bar_h) / 2.0,
                w: len,
                h: bar_h,
                fill: Some(BAR_COLOR),
                stroke: None,
            });
        }
        ops.push(Op::text(
            bx0 + len + 4.0,
            row_h / 2.0 + VALUE_SIZE * 0.35,
            Font::Regular,
            VALUE_SIZE,
            text,
        ));
        pieces.push(Piece {
            height: row_h.min(BODY_H),
            ops,
        });
    }
    pieces
}

/// Round tick values from 0 up to at least `max` (about five steps of 1, 2 or 5 x 10^k; whole
/// steps when every value is whole). `[0]` when there is nothing to scale.
pub(crate) fn nice_ticks(max: f64, integers: bool) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0];
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let factor = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = factor * mag;
    if integers && step < 1.0 {
        step = 1.0;
    }
    let count = (max / step).ceil();
    if !(step.is_finite()
        && step > 0.0
        && (count * step).is_finite()
        && (1.0..=20.0).contains(&count))
    {
        return vec![0.0, max];
    }
    (0..=count as usize).map(|k| k as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_ticks(10.0, true), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(3.0, true), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            nice_ticks(47.0, true),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(nice_ticks(0.0, true), vec![0.0]);
        assert_eq!(nice_ticks(f64::NAN, true), vec![0.0]);
        assert_eq!(nice_ticks(f64::MAX, false).len(), 2);
        assert!(!nice_ticks(f64::MIN_POSITIVE / 4.0, false).is_empty());
        let t = nice_ticks(0.9, false);
        assert!(t.last().copied().unwrap_or(0.0) >= 0.9);
    }
}
