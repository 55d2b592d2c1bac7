//! The satisfaction index (IKM, Indeks Kepuasan Masyarakat) of the satisfaction survey (SKM) of
//! PermenPAN-RB No. 14 Tahun 2017 (S14).
//!
//! A respondent scores nine elements (unsur) from 1 (tidak baik) to 4 (sangat baik). For each
//! element the average score over the respondents is its NRR (nilai rata-rata per unsur). The
//! index on the 1-4 scale is the weighted sum of the NRR, every element weighing the same
//! (1/9); times 25 it is the IKM on the 25-100 scale, graded A (Sangat Baik) from 88.31, B (Baik)
//! from 76.61, C (Kurang Baik) from 65.00, otherwise D (Tidak Baik).
//!
//! Public SKM worksheets write the weight 1/9 as 0.11 and use 0.11 itself (IKM = 25 x
//! sum(NRR_i x 0.11)), which is 1 % lower than the exact mean (a perfect survey scores 99.00):
//! [`Method::Weighted011`] reproduces such a worksheet (checked against one public worksheet, see
//! the tests; not against a worked example in the regulation itself); [`Method::Mean`] (the
//! default) is the exact mean.
//!
//! The inputs are the element sums and the number of respondents (integers, from SQL aggregates),
//! so the IKM is computed exactly and rounded half up to two decimals once, at the end.

/// The nine elements (unsur) in the regulation's order: code, name in the regulation, English.
pub const ELEMENTS: [(&str, &str, &str); 9] = [
    ("U1", "Persyaratan", "requirements"),
    ("U2", "Sistem, mekanisme dan prosedur", "procedure"),
    ("U3", "Waktu penyelesaian", "time"),
    ("U4", "Biaya/tarif", "cost"),
    ("U5", "Produk spesifikasi jenis pelayanan", "product"),
    ("U6", "Kompetensi pelaksana", "competence"),
    ("U7", "Perilaku pelaksana", "conduct"),
    ("U8", "Sarana dan prasarana", "facilities"),
    (
        "U9",
        "Penanganan pengaduan, saran dan masukan",
        "complaint handling",
    ),
];

/// The lowest score of an element.
pub const MIN_SCORE: i32 = 1;
/// The highest score of an element.
pub const MAX_SCORE: i32 = 4;

/// How the index is computed from the element averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// IKM = 25 x the mean of the nine NRR (each weight exactly 1/9).
    Mean,
    /// IKM = 25 x sum(NRR_i x 0.11): the weight 1/9 written as 0.11, as SKM worksheets do.
    Weighted011,
}

impl Method {
    /// The weight of one element.
    pub fn weight(self) -> f64 {
        match self {
            Method::Mean => 1.0 / 9.0,
            Method::Weighted011 => 0.11,
        }
    }
}

/// The quality grade (mutu pelayanan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// Sangat Baik: 88.31-100.
    A,
    /// Baik: 76.61-88.30.
    B,
    /// Kurang Baik: 65.00-76.60.
    C,
    /// Tidak Baik: 25.00-64.99.
    D,
}

impl Grade {
    /// The grade of an IKM given in hundredths (8831 = 88.31).
    pub fn of_hundredths(ikm: i64) -> Grade {
        if ikm >= 8831 {
            Grade::A
        } else if ikm >= 7661 {
            Grade::B
        } else if ikm >= 6500 {
            Grade::C
        } else {
            Grade::D
        }
    }

    /// The regulation's words.
    pub fn label(self) -> &'static str {
        match self {
            Grade::A => "Sangat Baik",
            Grade::B => "Baik",
            Grade::C => "Kurang Baik",
            Grade::D => "Tidak Baik",
        }
    }
}

/// Sums of the scores of a set of surveys: what the SQL aggregate returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Surveys counted.
    pub respondents: i64,
    /// Sum of each element's scores, U1-U9.
    pub sums: [i64; 9],
}

impl Totals {
    /// Totals of explicit score sets (tests, and checking a computation by hand).
    pub fn of(surveys: &[[i32; 9]]) -> Totals {
        let mut t = Totals::default();
        for s in surveys {
            t.add_survey(s);
        }
        t
    }

    fn add_survey(&mut self, scores: &[i32; 9]) {
        self.respondents += 1;
        for (sum, s) in self.sums.iter_mut().zip(scores) {
            *sum += i64::from(*s);
        }
    }

    /// Adds another set's totals (one office's to the province's).
    pub fn add(&mut self, other: &Totals) {
        self.respondents += other.respondents;
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            *a += b;
        }
    }
}

/// One element's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementResult {
    /// "U1".."U9".
    pub code: &'static str,
    /// The regulation's name.
    pub name: &'static str,
    /// NRR: the average score, 4 decimals.
    pub average: f64,
    /// NRR times the weight, 4 decimals.
    pub weighted: f64,
}

/// The index of a set of surveys.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// Surveys counted.
    pub respondents: i64,
    /// The nine elements.
    pub elements: Vec<ElementResult>,
    /// The index on the 1-4 scale, 4 decimals.
    pub index_value: f64,
    /// The IKM in hundredths (9148 = 91.48), rounded half up; 0 without respondents.
    pub ikm_hundredths: i64,
    /// The grade; None without respondents.
    pub grade: Option<Grade>,
    /// The method used.
    pub method: Method,
}

impl Index {
    /// The IKM (25-100), 2 decimals.
    pub fn ikm(&self) -> f64 {
        self.ikm_hundredths as f64 / 100.0
    }
}

/// `num / den` rounded half up, for non-negative `num` and positive `den`.
fn div_round(num: i128, den: i128) -> i128 {
    (2 * num + den) / (2 * den)
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Computes the index of `totals` with `method`.
pub fn compute(totals: &Totals, method: Method) -> Index {
    let n = totals.respondents;
    if n <= 0 {
        return Index {
            respondents: 0,
            elements: ELEMENTS
                .iter()
                .map(|(code, name, _)| ElementResult {
                    code,
                    name,
                    average: 0.0,
                    weighted: 0.0,
                })
                .collect(),
            index_value: 0.0,
            ikm_hundredths: 0,
            grade: None,
            method,
        };
    }
    let total: i128 = totals.sums.iter().map(|s| i128::from(*s)).sum();
    let n128 = i128::from(n);
    // Mean: IKM = 25 * total / (9 n); in hundredths 2500 total / (9 n).
    // 0.11: IKM = 25 * 0.11 * total / n = 11 total / (4 n); in hundredths 275 total / n.
    let (num, den) = match method {
        Method::Mean => (2500 * total, 9 * n128),
        Method::Weighted011 => (275 * total, n128),
    };
    let ikm_hundredths = i64::try_from(div_round(num, den)).unwrap_or(i64::MAX);
    // The 1-4 index to 4 decimals: IKM / 25.
    let (inum, iden) = match method {
        Method::Mean => (10_000 * total, 9 * n128),
        Method::Weighted011 => (1_100 * total, n128),
    };
    let index_value = div_round(inum, iden) as f64 / 10_000.0;
    let w = method.weight();
    let elements = ELEMENTS
        .iter()
        .zip(totals.sums)
        .map(|((code, name, _), sum)| {
            let avg = sum as f64 / n as f64;
            ElementResult {
                code,
                name,
                average: round4(avg),
                weighted: round4(avg * w),
            }
        })
        .collect();
    Index {
        respondents: n,
        elements,
        index_value,
        ikm_hundredths,
        grade: Some(Grade::of_hundredths(ikm_hundredths)),
        method,
    }
}

/// Checks one survey's scores: exactly nine, each 1-4. Returns the problems (field, what).
pub fn check_scores(scores: &[i32]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if scores.len() != ELEMENTS.len() {
        out.push((
            "scores".to_string(),
            format!(
                "exactly {} scores (U1-U9) are needed, {} given",
                ELEMENTS.len(),
                scores.len()
            ),
        ));
        return out;
    }
    for (i, s) in scores.iter().enumerate() {
        if !(MIN_SCORE..=MAX_SCORE).contains(s) {
            out.push((
                format!("scores[{i}]"),
                format!(
                    "{} ({}) must be between {MIN_SCORE} and {MAX_SCORE}",
                    ELEMENTS[i].0, ELEMENTS[i].2
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds `n` surveys where element i has `fours[i]` fours, `threes[i]` threes, `twos[i]`
    /// twos and ones for the rest.
    fn surveys(n: usize, fours: [usize; 9], threes: [usize; 9], twos: [usize; 9]) -> Vec<[i32; 9]> {
        (0..n)
            .map(|r| {
                let mut s = [1; 9];
                for e in 0..9 {
                    s[e] = if r < fours[e] {
                        4
                    } else if r < fours[e] + threes[e] {
                        3
                    } else if r < fours[e] + threes[e] + twos[e] {
                        2
                    } else {
                        1
                    };
                }
                s
            })
            .collect()
    }

    #[test]
    fn a_worksheet_of_29_respondents() {
        // Element sums 105, 101, 100, 116, 102, 105, 106, 105, 115 over 29 respondents, a public
        // SKM worksheet's quarter: NRR 3.6207 3.4828 3.4483 4.0000 3.5172 3.6207 3.6552 3.6207
        // 3.9655; sum of NRR 32.9311.
        let set = surveys(
            29,
            [18, 14, 15, 29, 15, 18, 19, 18, 28],
            [11, 15, 12, 0, 14, 11, 10, 11, 1],
            [0, 0, 2, 0, 0, 0, 0, 0, 0],
        );
        let t = Totals::of(&set);
        assert_eq!(t.sums, [105, 101, 100, 116, 102, 105, 106, 105, 115]);
        let mean = compute(&t, Method::Mean);
        // 955 / (29 x 9) x 25 = 91.4751 -> 91.48, A.
        assert_eq!(mean.ikm_hundredths, 9148);
        assert_eq!(mean.index_value, 3.659);
        assert_eq!(mean.grade, Some(Grade::A));
        let avgs: Vec<f64> = mean.elements.iter().map(|e| e.average).collect();
        assert_eq!(
            avgs,
            vec![
                3.6207, 3.4828, 3.4483, 4.0, 3.5172, 3.6207, 3.6552, 3.6207, 3.9655
            ]
        );
        // The worksheet's 0.11 weights: 0.3983 0.3831 0.3793 0.4400 0.3869 0.3983 0.4021 0.3983
        // 0.4362 (these rounded products add up to 3.6225); the index is computed from the exact
        // sums: 955 / 29 x 0.11 = 3.62241 -> 3.6224, x 25 = 90.5603 -> 90.56.
        let w = compute(&t, Method::Weighted011);
        let weighted: Vec<f64> = w.elements.iter().map(|e| e.weighted).collect();
        assert_eq!(
            weighted,
            vec![
                0.3983, 0.3831, 0.3793, 0.44, 0.3869, 0.3983, 0.4021, 0.3983, 0.4362
            ]
        );
        assert_eq!(w.index_value, 3.6224);
        assert_eq!(w.ikm_hundredths, 9056);
        assert_eq!(w.grade, Some(Grade::A));
    }

    #[test]
    fn a_perfect_survey_is_100_or_99_with_the_rounded_weight() {
        let t = Totals::of(&[[4; 9], [4; 9]]);
        assert_eq!(compute(&t, Method::Mean).ikm_hundredths, 10_000);
        // 9 x 4 x 0.11 = 3.96; x 25 = 99.00.
        let w = compute(&t, Method::Weighted011);
        assert_eq!(w.ikm_hundredths, 9900);
        assert_eq!(w.index_value, 3.96);
        let t = Totals::of(&[[1; 9]]);
        assert_eq!(compute(&t, Method::Mean).ikm_hundredths, 2500);
        assert_eq!(compute(&t, Method::Mean).grade, Some(Grade::D));
    }

    #[test]
    fn hand_computed_small_set_and_grades() {
        // Three respondents.
        //   r1: 4 4 3 4 3 3 4 3 4 (32)
        //   r2: 3 3 3 4 3 3 3 3 3 (28)
        //   r3: 2 3 2 4 2 3 3 2 3 (24)
        // sums 9 10 8 12 8 9 10 8 10 = 84; mean IKM = 84 / 27 x 25 = 77.7778 -> 77.78 (B).
        // 0.11: 84 / 3 x 0.11 x 25 = 77.00 (B).
        let t = Totals::of(&[
            [4, 4, 3, 4, 3, 3, 4, 3, 4],
            [3, 3, 3, 4, 3, 3, 3, 3, 3],
            [2, 3, 2, 4, 2, 3, 3, 2, 3],
        ]);
        assert_eq!(t.sums, [9, 10, 8, 12, 8, 9, 10, 8, 10]);
        let m = compute(&t, Method::Mean);
        assert_eq!(m.ikm_hundredths, 7778);
        assert_eq!(m.index_value, 3.1111);
        assert_eq!(m.grade, Some(Grade::B));
        assert_eq!(m.elements[0].average, 3.0);
        assert_eq!(m.elements[0].weighted, 0.3333);
        let w = compute(&t, Method::Weighted011);
        assert_eq!(w.ikm_hundredths, 7700);
        assert_eq!(w.grade, Some(Grade::B));
        // Thresholds, in hundredths.
        assert_eq!(Grade::of_hundredths(8831), Grade::A);
        assert_eq!(Grade::of_hundredths(8830), Grade::B);
        assert_eq!(Grade::of_hundredths(7661), Grade::B);
        assert_eq!(Grade::of_hundredths(7660), Grade::C);
        assert_eq!(Grade::of_hundredths(6500), Grade::C);
        assert_eq!(Grade::of_hundredths(6499), Grade::D);
        assert_eq!(Grade::C.label(), "Kurang Baik");
    }

    #[test]
    fn rounding_is_half_up_once() {
        // Two respondents, 53 points of 18 scores: 53 / 18 x 25 = 73.6111 -> 73.61 (C).
        let t = Totals::of(&[[3, 3, 3, 3, 3, 3, 3, 3, 3], [3, 3, 3, 3, 3, 3, 3, 3, 2]]);
        assert_eq!(compute(&t, Method::Mean).ikm_hundredths, 7361);
        // 275 x 53 / 2 = 7287.5 -> 7288 (half up).
        assert_eq!(compute(&t, Method::Weighted011).ikm_hundredths, 7288);
    }

    #[test]
    fn no_respondents_no_grade() {
        let i = compute(&Totals::default(), Method::Mean);
        assert_eq!(i.respondents, 0);
        assert_eq!(i.ikm_hundredths, 0);
        assert_eq!(i.grade, None);
        assert_eq!(i.elements.len(), 9);
    }

    #[test]
    fn province_totals_add_up() {
        let mut a = Totals::of(&[[4; 9]]);
        let b = Totals::of(&[[2; 9]]);
        a.add(&b);
        assert_eq!(a.respondents, 2);
        assert_eq!(compute(&a, Method::Mean).ikm_hundredths, 7500);
    }

    #[test]
    fn score_checks_name_each_field() {
        assert!(check_scores(&[4; 9]).is_empty());
        let bad = check_scores(&[4, 0, 4, 5, 4, 4, 4, 4, -1]);
        let fields: Vec<&str> = bad.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, vec!["scores[1]", "scores[3]", "scores[8]"]);
        assert_eq!(check_scores(&[4; 8])[0].0, "scores");
        assert_eq!(check_scores(&[]).len(), 1);
    }
}
