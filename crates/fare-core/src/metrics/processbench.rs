//! The ProcessBench score of step-level verdicts.
//!
//! ProcessBench asks for the index of the first wrong step of a solution, or `-1` when every step
//! is right. Its official score, reproduced here, is:
//!
//! - accuracy on the erroneous samples (gold index `k >= 0`): the share predicted exactly `k`;
//! - accuracy on the correct samples (gold `-1`): the share predicted `-1`;
//! - F1: the harmonic mean of the two;
//! - the benchmark's headline number: the mean F1 over its four splits ([`mean_f1`]).
//!
//! The official script works in percent; these scores are fractions in `[0, 1]`. Where a more
//! detailed picture is needed (early, late, missed), see [`super::first_error`].

use serde::{Deserialize, Serialize};

use super::{Predicted, harmonic_mean, ratio};

/// The gold and predicted verdicts of one step-level sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepVerdicts {
    /// Index of the first wrong step (from 0), or `None` when no step is wrong (`-1`).
    pub gold: Option<u32>,
    /// The evaluator's first wrong step, `None` for `-1`, or a failure.
    pub predicted: Predicted<Option<u32>>,
    /// Number of steps of the solution (used by [`super::first_error`] for relative positions).
    pub step_count: usize,
}

/// The ProcessBench score of one split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProcessBenchScore {
    /// Samples whose gold verdict names a wrong step.
    pub n_erroneous: usize,
    /// Samples whose gold verdict is `-1` (no wrong step).
    pub n_correct: usize,
    /// Share of erroneous samples whose predicted step equals the gold step; `None` without
    /// erroneous samples.
    pub error_accuracy: Option<f64>,
    /// Share of correct samples predicted `-1`; `None` without correct samples.
    pub correct_accuracy: Option<f64>,
    /// Harmonic mean of the two accuracies (0 when both are 0); `None` when either is `None`.
    pub f1: Option<f64>,
    /// Samples where the evaluator gave no verdict (counted as wrong above).
    pub n_failed: usize,
}

/// Scores one split of step-level verdicts the way the official ProcessBench script does.
///
/// A failed prediction is wrong on both kinds of sample, just as the official script's `None`
/// never equals a label.
pub fn processbench(samples: &[StepVerdicts]) -> ProcessBenchScore {
    let mut n_erroneous = 0;
    let mut n_correct = 0;
    let mut hits_erroneous = 0;
    let mut hits_correct = 0;
    let mut n_failed = 0;
    for sample in samples {
        let hit = sample.predicted == Predicted::Value(sample.gold);
        if sample.gold.is_some() {
            n_erroneous += 1;
            hits_erroneous += usize::from(hit);
        } else {
            n_correct += 1;
            hits_correct += usize::from(hit);
        }
        n_failed += usize::from(sample.predicted.is_failed());
    }
    let error_accuracy = ratio(hits_erroneous, n_erroneous);
    let correct_accuracy = ratio(hits_correct, n_correct);
    let f1 = match (error_accuracy, correct_accuracy) {
        (Some(a), Some(b)) => Some(harmonic_mean(a, b)),
        _ => None,
    };
    ProcessBenchScore {
        n_erroneous,
        n_correct,
        error_accuracy,
        correct_accuracy,
        f1,
        n_failed,
    }
}

/// The benchmark's headline number: the mean F1 over splits (ProcessBench has four: GSM8K, MATH,
/// OlympiadBench, Omni-MATH).
///
/// `None` when there are no splits or any split's F1 is undefined: skipping a split would
/// silently report a different benchmark.
pub fn mean_f1(splits: &[ProcessBenchScore]) -> Option<f64> {
    if splits.is_empty() {
        return None;
    }
    let mut sum = 0.0;
    for split in splits {
        sum += split.f1?;
    }
    Some(sum / splits.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(gold: Option<u32>, predicted: Predicted<Option<u32>>) -> StepVerdicts {
        StepVerdicts {
            gold,
            predicted,
            step_count: 5,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn hand_worked_split() {
        // Erroneous: gold 1 -> 1 (hit), gold 2 -> 2 (hit), gold 0 -> -1 (miss): 2/3.
        // Correct:   gold -1 -> -1 (hit), gold -1 -> failed (miss):            1/2.
        // F1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7.
        let samples = [
            sample(Some(1), Predicted::Value(Some(1))),
            sample(Some(2), Predicted::Value(Some(2))),
            sample(Some(0), Predicted::Value(None)),
            sample(None, Predicted::Value(None)),
            sample(None, Predicted::Failed),
        ];
        let score = processbench(&samples);
        assert_eq!(
            (score.n_erroneous, score.n_correct, score.n_failed),
            (3, 2, 1)
        );
        assert!(close(score.error_accuracy, 2.0 / 3.0));
        assert!(close(score.correct_accuracy, 0.5));
        assert!(close(score.f1, 4.0 / 7.0));
    }

    #[test]
    fn a_near_miss_is_a_miss() {
        // Gold step 2, predicted 3: ProcessBench counts only the exact step.
        let score = processbench(&[
            sample(Some(2), Predicted::Value(Some(3))),
            sample(None, Predicted::Value(None)),
        ]);
        assert_eq!(score.error_accuracy, Some(0.0));
        assert_eq!(score.correct_accuracy, Some(1.0));
        assert_eq!(score.f1, Some(0.0));
    }

    #[test]
    fn missing_kind_of_sample_leaves_f1_undefined() {
        let score = processbench(&[sample(Some(0), Predicted::Value(Some(0)))]);
        assert_eq!(score.error_accuracy, Some(1.0));
        assert_eq!(score.correct_accuracy, None);
        assert_eq!(score.f1, None);
        assert_eq!(processbench(&[]).f1, None);
    }

    #[test]
    fn headline_is_the_mean_over_splits() {
        // Split 1 F1 = 4/7 (above); split 2 F1 = 1 (all right): mean = (4/7 + 1) / 2 = 11/14.
        let first = processbench(&[
            sample(Some(1), Predicted::Value(Some(1))),
            sample(Some(2), Predicted::Value(Some(2))),
            sample(Some(0), Predicted::Value(None)),
            sample(None, Predicted::Value(None)),
            sample(None, Predicted::Failed),
        ]);
        let second = processbench(&[
            sample(Some(4), Predicted::Value(Some(4))),
            sample(None, Predicted::Value(None)),
        ]);
        assert!(close(mean_f1(&[first.clone(), second]), 11.0 / 14.0));
        let undefined = processbench(&[sample(None, Predicted::Value(None))]);
        assert_eq!(mean_f1(&[first, undefined]), None);
        assert_eq!(mean_f1(&[]), None);
    }
}
