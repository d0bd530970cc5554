//! Where step-level verdicts land relative to the true first error.
//!
//! The ProcessBench score ([`super::processbench`](mod@super::processbench)) only says whether
//! a verdict hit the exact step. To see *how* an evaluator fails, this module sorts every sample
//! into a [`FirstErrorBucket`] (exact, early, late, missed error, false alarm, correct no-error,
//! failed) and builds the tables the UI shows: the grid of gold against predicted step, the
//! histogram of how many steps off a verdict is, and where in the solution (relative to its
//! length) gold and predicted first errors fall.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Predicted;
use super::processbench::StepVerdicts;

/// Number of relative-position bins: tenths of the solution's length.
pub const POSITION_BINS: usize = 10;

/// How a step-level verdict relates to the gold one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FirstErrorBucket {
    /// Both name a wrong step, the same one.
    Exact,
    /// Both name a wrong step; the evaluator's comes before the gold one.
    Early,
    /// Both name a wrong step; the evaluator's comes after the gold one (it read past the error).
    Late,
    /// The solution has a wrong step; the evaluator said `-1`.
    MissedError,
    /// The solution has no wrong step; the evaluator named one.
    FalseAlarm,
    /// Both say `-1`.
    CorrectNoError,
    /// The evaluator gave no verdict (unparseable or truncated).
    Failed,
}

impl FirstErrorBucket {
    /// Every bucket, in the order the UI lists them.
    pub const ALL: [FirstErrorBucket; 7] = [
        FirstErrorBucket::Exact,
        FirstErrorBucket::Early,
        FirstErrorBucket::Late,
        FirstErrorBucket::MissedError,
        FirstErrorBucket::FalseAlarm,
        FirstErrorBucket::CorrectNoError,
        FirstErrorBucket::Failed,
    ];

    /// The bucket's name as serialized (`exact`, `early`, `missed-error`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FirstErrorBucket::Exact => "exact",
            FirstErrorBucket::Early => "early",
            FirstErrorBucket::Late => "late",
            FirstErrorBucket::MissedError => "missed-error",
            FirstErrorBucket::FalseAlarm => "false-alarm",
            FirstErrorBucket::CorrectNoError => "correct-no-error",
            FirstErrorBucket::Failed => "failed",
        }
    }
}

/// Sorts one sample into its bucket.
pub fn classify(sample: &StepVerdicts) -> FirstErrorBucket {
    let Predicted::Value(predicted) = sample.predicted else {
        return FirstErrorBucket::Failed;
    };
    match (sample.gold, predicted) {
        (Some(gold), Some(predicted)) if predicted == gold => FirstErrorBucket::Exact,
        (Some(gold), Some(predicted)) if predicted < gold => FirstErrorBucket::Early,
        (Some(_), Some(_)) => FirstErrorBucket::Late,
        (Some(_), None) => FirstErrorBucket::MissedError,
        (None, Some(_)) => FirstErrorBucket::FalseAlarm,
        (None, None) => FirstErrorBucket::CorrectNoError,
    }
}

/// How many samples fell into each [`FirstErrorBucket`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BucketCounts {
    /// See [`FirstErrorBucket::Exact`].
    pub exact: usize,
    /// See [`FirstErrorBucket::Early`].
    pub early: usize,
    /// See [`FirstErrorBucket::Late`].
    pub late: usize,
    /// See [`FirstErrorBucket::MissedError`].
    pub missed_error: usize,
    /// See [`FirstErrorBucket::FalseAlarm`].
    pub false_alarm: usize,
    /// See [`FirstErrorBucket::CorrectNoError`].
    pub correct_no_error: usize,
    /// See [`FirstErrorBucket::Failed`].
    pub failed: usize,
}

impl BucketCounts {
    /// The count of one bucket.
    pub fn get(&self, bucket: FirstErrorBucket) -> usize {
        match bucket {
            FirstErrorBucket::Exact => self.exact,
            FirstErrorBucket::Early => self.early,
            FirstErrorBucket::Late => self.late,
            FirstErrorBucket::MissedError => self.missed_error,
            FirstErrorBucket::FalseAlarm => self.false_alarm,
            FirstErrorBucket::CorrectNoError => self.correct_no_error,
            FirstErrorBucket::Failed => self.failed,
        }
    }

    fn add(&mut self, bucket: FirstErrorBucket, n: usize) {
        let count = match bucket {
            FirstErrorBucket::Exact => &mut self.exact,
            FirstErrorBucket::Early => &mut self.early,
            FirstErrorBucket::Late => &mut self.late,
            FirstErrorBucket::MissedError => &mut self.missed_error,
            FirstErrorBucket::FalseAlarm => &mut self.false_alarm,
            FirstErrorBucket::CorrectNoError => &mut self.correct_no_error,
            FirstErrorBucket::Failed => &mut self.failed,
        };
        *count += n;
    }
}

/// One cell of the gold × predicted grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridCell {
    /// The gold first wrong step, `None` for `-1`.
    pub gold: Option<u32>,
    /// The evaluator's first wrong step, `None` for `-1`, or a failure.
    pub predicted: Predicted<Option<u32>>,
    /// Samples with this pair of verdicts (never 0: empty cells are left out).
    pub count: usize,
}

/// One bar of the off-by-k histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OffsetCount {
    /// Predicted step minus gold step: negative is early, 0 exact, positive late.
    pub offset: i64,
    /// Samples this many steps off.
    pub count: usize,
}

/// The first-error picture of a set of step-level verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FirstErrorAnalysis {
    /// Non-empty cells of the gold × predicted grid, sorted by gold then predicted (`-1` first,
    /// failures last).
    pub grid: Vec<GridCell>,
    /// How many samples fell into each bucket.
    pub buckets: BucketCounts,
    /// Predicted minus gold step over the samples where both name a wrong step, sorted by offset
    /// (offsets no sample has are left out).
    pub offsets: Vec<OffsetCount>,
    /// Gold first errors by relative position in the solution: bin `b` counts indexes with
    /// `index / step_count` in `[b/10, (b+1)/10)`. Samples without a gold error are not counted.
    pub gold_positions: [usize; POSITION_BINS],
    /// Predicted first errors by relative position, as for `gold_positions`. Verdicts of `-1`
    /// and failures are not counted.
    pub predicted_positions: [usize; POSITION_BINS],
}

impl FirstErrorAnalysis {
    /// Builds the analysis of `samples`.
    pub fn from_items(samples: &[StepVerdicts]) -> Self {
        Self::from_counts(samples.iter().map(|s| (*s, 1)))
    }

    /// Builds the analysis of samples given as distinct verdicts with how many samples have
    /// each (what a large set reduces to: a few thousand distinct triples for a million samples).
    pub fn from_counts(samples: impl IntoIterator<Item = (StepVerdicts, usize)>) -> Self {
        let mut grid: BTreeMap<(Option<u32>, Predicted<Option<u32>>), usize> = BTreeMap::new();
        let mut buckets = BucketCounts::default();
        let mut offsets: BTreeMap<i64, usize> = BTreeMap::new();
        let mut gold_positions = [0; POSITION_BINS];
        let mut predicted_positions = [0; POSITION_BINS];
        for (sample, n) in samples {
            *grid.entry((sample.gold, sample.predicted)).or_default() += n;
            buckets.add(classify(&sample), n);
            let predicted = sample.predicted.value().copied().flatten();
            if let (Some(gold), Some(predicted)) = (sample.gold, predicted) {
                *offsets
                    .entry(i64::from(predicted) - i64::from(gold))
                    .or_default() += n;
            }
            if let Some(gold) = sample.gold {
                gold_positions[position_bin(gold, sample.step_count)] += n;
            }
            if let Some(predicted) = predicted {
                predicted_positions[position_bin(predicted, sample.step_count)] += n;
            }
        }
        FirstErrorAnalysis {
            grid: grid
                .into_iter()
                .map(|((gold, predicted), count)| GridCell {
                    gold,
                    predicted,
                    count,
                })
                .collect(),
            buckets,
            offsets: offsets
                .into_iter()
                .map(|(offset, count)| OffsetCount { offset, count })
                .collect(),
            gold_positions,
            predicted_positions,
        }
    }
}

/// The relative-position bin of step `index` in a solution of `step_count` steps.
///
/// An index at or past `step_count` (which a checked verdict never has) falls into the last bin
/// rather than out of range.
fn position_bin(index: u32, step_count: usize) -> usize {
    let bin = index as usize * POSITION_BINS / step_count.max(1);
    bin.min(POSITION_BINS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(gold: i64, predicted: Option<i64>, step_count: usize) -> StepVerdicts {
        let step = |i: i64| u32::try_from(i).ok();
        StepVerdicts {
            gold: step(gold),
            predicted: predicted.map_or(Predicted::Failed, |p| Predicted::Value(step(p))),
            step_count,
        }
    }

    #[test]
    fn every_bucket_by_hand() {
        let cases = [
            (sample(2, Some(2), 5), FirstErrorBucket::Exact),
            (sample(2, Some(0), 5), FirstErrorBucket::Early),
            (sample(2, Some(4), 5), FirstErrorBucket::Late),
            (sample(2, Some(-1), 5), FirstErrorBucket::MissedError),
            (sample(-1, Some(3), 5), FirstErrorBucket::FalseAlarm),
            (sample(-1, Some(-1), 5), FirstErrorBucket::CorrectNoError),
            (sample(-1, None, 5), FirstErrorBucket::Failed),
            (sample(2, None, 5), FirstErrorBucket::Failed),
        ];
        for (sample, bucket) in cases {
            assert_eq!(classify(&sample), bucket, "{sample:?}");
        }
    }

    #[test]
    fn hand_worked_analysis() {
        // gold, predicted, steps      bucket          offset  gold bin        predicted bin
        // 1, 1, 4                     exact           0       1*10/4=2        2
        // 1, 3, 4                     late            +2      2               3*10/4=7
        // 3, 0, 4                     early           -3      7               0
        // 3, 3, 4                     exact           0       7               7
        // 0, -1, 10                   missed error    -       0               -
        // -1, 9, 10                   false alarm     -       -               9
        // -1, -1, 3                   correct         -       -               -
        // 1, failed, 4                failed          -       2               -
        let samples = [
            sample(1, Some(1), 4),
            sample(1, Some(3), 4),
            sample(3, Some(0), 4),
            sample(3, Some(3), 4),
            sample(0, Some(-1), 10),
            sample(-1, Some(9), 10),
            sample(-1, Some(-1), 3),
            sample(1, None, 4),
        ];
        let analysis = FirstErrorAnalysis::from_items(&samples);
        assert_eq!(
            analysis.buckets,
            BucketCounts {
                exact: 2,
                early: 1,
                late: 1,
                missed_error: 1,
                false_alarm: 1,
                correct_no_error: 1,
                failed: 1,
            }
        );
        let offsets: Vec<(i64, usize)> = analysis
            .offsets
            .iter()
            .map(|o| (o.offset, o.count))
            .collect();
        assert_eq!(offsets, [(-3, 1), (0, 2), (2, 1)]);
        assert_eq!(analysis.gold_positions, [1, 0, 3, 0, 0, 0, 0, 2, 0, 0]);
        assert_eq!(analysis.predicted_positions, [1, 0, 1, 0, 0, 0, 0, 2, 0, 1]);

        // Grid, sorted by gold (-1 first) then predicted (-1 first, failed last).
        let grid: Vec<(Option<u32>, Predicted<Option<u32>>, usize)> = analysis
            .grid
            .iter()
            .map(|c| (c.gold, c.predicted, c.count))
            .collect();
        let v = |i: u32| Predicted::Value(Some(i));
        assert_eq!(
            grid,
            [
                (None, Predicted::Value(None), 1),
                (None, v(9), 1),
                (Some(0), Predicted::Value(None), 1),
                (Some(1), v(1), 1),
                (Some(1), v(3), 1),
                (Some(1), Predicted::Failed, 1),
                (Some(3), v(0), 1),
                (Some(3), v(3), 1),
            ]
        );
        let total: usize = FirstErrorBucket::ALL
            .iter()
            .map(|&b| analysis.buckets.get(b))
            .sum();
        assert_eq!(total, samples.len());
    }

    #[test]
    fn positions_stay_in_range_on_inconsistent_steps() {
        assert_eq!(position_bin(0, 0), 0);
        assert_eq!(position_bin(7, 3), POSITION_BINS - 1);
        assert_eq!(position_bin(4, 5), 8);
    }
}
