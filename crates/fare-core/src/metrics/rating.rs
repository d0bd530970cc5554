//! Error and correlation of integer ratings against gold ratings.
//!
//! Reports the mean absolute error, Spearman's rank correlation (ties get the average of their
//! ranks, as in `scipy.stats.spearmanr`), Pearson's correlation and the share of exact matches.
//! Error and correlations are computed over the samples with a rating; a failure has no number to
//! compare, so it only lowers the exact-agreement share and is counted in `n_failed`.

use serde::{Deserialize, Serialize};

use super::{Predicted, ratio};

/// The gold and predicted ratings of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RatingVerdicts {
    /// The data set's rating.
    pub gold: i32,
    /// The evaluator's rating, or a failure.
    pub predicted: Predicted<i32>,
}

/// The rating score of a set of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RatingScore {
    /// Samples scored.
    pub n: usize,
    /// Samples where the evaluator gave no rating.
    pub n_failed: usize,
    /// Mean of `|predicted - gold|` over the rated samples; `None` when none was rated.
    pub mae: Option<f64>,
    /// Spearman's rank correlation over the rated samples; `None` with fewer than two or when
    /// either side is constant.
    pub spearman: Option<f64>,
    /// Pearson's correlation over the rated samples; `None` as for `spearman`.
    pub pearson: Option<f64>,
    /// Share of all samples rated exactly the gold value (failures do not match); `None`
    /// without samples.
    pub exact_agreement: Option<f64>,
}

/// Scores ratings. See the module documentation for how failures count.
pub fn rating(samples: &[RatingVerdicts]) -> RatingScore {
    let mut golds = Vec::with_capacity(samples.len());
    let mut predictions = Vec::with_capacity(samples.len());
    for sample in samples {
        if let Predicted::Value(predicted) = sample.predicted {
            golds.push(f64::from(sample.gold));
            predictions.push(f64::from(predicted));
        }
    }
    let exact = samples
        .iter()
        .filter(|s| s.predicted == Predicted::Value(s.gold))
        .count();
    let total_error: f64 = golds
        .iter()
        .zip(&predictions)
        .map(|(gold, predicted)| (predicted - gold).abs())
        .sum();
    RatingScore {
        n: samples.len(),
        n_failed: samples.len() - golds.len(),
        mae: (!golds.is_empty()).then(|| total_error / golds.len() as f64),
        spearman: spearman(&golds, &predictions),
        pearson: pearson(&golds, &predictions),
        exact_agreement: ratio(exact, samples.len()),
    }
}

/// Pearson's correlation of two equally long series.
///
/// `None` when the lengths differ, with fewer than two values, when a value is not finite, or
/// when either series is constant (the correlation is undefined; scipy returns `NaN`).
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let finite = xs.iter().chain(ys).all(|v| v.is_finite());
    if xs.len() != ys.len() || xs.len() < 2 || !finite || is_constant(xs) || is_constant(ys) {
        return None;
    }
    let n = xs.len() as f64;
    let x_mean = xs.iter().sum::<f64>() / n;
    let y_mean = ys.iter().sum::<f64>() / n;
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - x_mean, y - y_mean);
        xy += dx * dy;
        xx += dx * dx;
        yy += dy * dy;
    }
    Some((xy / (xx.sqrt() * yy.sqrt())).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation: Pearson's correlation of the ranks, ties ranked by the average
/// of the positions they share. `None` as for [`pearson`].
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    pearson(&average_ranks(xs), &average_ranks(ys))
}

fn is_constant(values: &[f64]) -> bool {
    values.windows(2).all(|pair| same(pair[0], pair[1]))
}

/// Exact equality, on purpose: ratings and ranks are whole or half numbers, and ties are exact.
#[allow(clippy::float_cmp)]
fn same(a: f64, b: f64) -> bool {
    a == b
}

/// Ranks from 1, ties sharing the average of their positions: `[10, 20, 20, 30]` ranks as
/// `[1, 2.5, 2.5, 4]`.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let value = values[order[start]];
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| same(values[i], value))
                .count();
        // Positions start..end (from 0) are ranks start+1..=end; their mean is (start+1+end)/2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    fn sample(gold: i32, predicted: Option<i32>) -> RatingVerdicts {
        RatingVerdicts {
            gold,
            predicted: predicted.map_or(Predicted::Failed, Predicted::Value),
        }
    }

    #[test]
    fn hand_worked_score() {
        // gold 1..5, predicted 2, 2, 3, 5, failed. Rated pairs: (1,2) (2,2) (3,3) (4,5).
        // MAE = (1 + 0 + 0 + 1) / 4 = 1/2. Exact: 2 of 5 samples.
        // Pearson: x - 2.5 = (-1.5, -0.5, 0.5, 1.5), y - 3 = (-1, -1, 0, 2):
        //   sxy = 5, sxx = 5, syy = 6, r = 5 / sqrt(30).
        // Spearman: y ranks (1.5, 1.5, 3, 4), minus 2.5 = (-1, -1, 0.5, 1.5):
        //   sxy = 4.5, sxx = 5, syy = 4.5, rho = 4.5 / sqrt(22.5) = sqrt(0.9).
        let samples = [
            sample(1, Some(2)),
            sample(2, Some(2)),
            sample(3, Some(3)),
            sample(4, Some(5)),
            sample(5, None),
        ];
        let score = rating(&samples);
        assert_eq!((score.n, score.n_failed), (5, 1));
        assert!(close(score.mae, 0.5));
        assert!(close(score.exact_agreement, 0.4));
        assert!(close(score.pearson, 5.0 / 30f64.sqrt()));
        assert!(close(score.spearman, 0.9f64.sqrt()));
    }

    #[test]
    fn ties_share_the_average_rank() {
        assert_eq!(
            average_ranks(&[30.0, 10.0, 20.0, 20.0]),
            [4.0, 1.0, 2.5, 2.5]
        );
        assert_eq!(average_ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn correlations_of_constant_or_short_series_are_undefined() {
        let constant = rating(&[sample(1, Some(7)), sample(2, Some(7)), sample(3, Some(7))]);
        assert_eq!(constant.pearson, None);
        assert_eq!(constant.spearman, None);
        assert!(close(constant.mae, 5.0));
        let one = rating(&[sample(1, Some(1))]);
        assert_eq!(one.pearson, None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0]), None);
        let none = rating(&[sample(1, None)]);
        assert_eq!((none.mae, none.exact_agreement), (None, Some(0.0)));
        assert_eq!(rating(&[]).exact_agreement, None);
    }

    #[test]
    fn reversed_order_correlates_minus_one() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        let ys = [8.0, 6.0, 4.0, 2.0];
        assert!(close(pearson(&xs, &ys), -1.0));
        assert!(close(spearman(&xs, &ys), -1.0));
    }
}
