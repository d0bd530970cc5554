//! Accuracy, precision, recall and F1 of verification verdicts (correct / incorrect).
//!
//! Used for both verification tasks, reference-free and reference-based. The evaluator's main
//! job there is to catch wrong answers, so the headline precision, recall and F1 treat
//! `incorrect` as the positive class; the same three with `correct` as the positive class and
//! their macro average are reported beside them.
//!
//! Failures (unparseable or truncated output) are a third column of the confusion table. They
//! count as wrong for accuracy, and as "not predicted positive" for precision and recall, whichever
//! class is positive: a failure never catches a wrong answer and never confirms a right one.

use serde::{Deserialize, Serialize};

use super::{Predicted, ratio};
use crate::verdict::Correctness;

/// The gold and predicted verdicts of one verification sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VerificationVerdicts {
    /// Whether the response really is correct.
    pub gold: Correctness,
    /// The evaluator's verdict, or a failure.
    pub predicted: Predicted<Correctness>,
}

/// One row of the confusion table: what the evaluator said about samples of one gold class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PredictedCounts {
    /// Predicted correct.
    pub correct: usize,
    /// Predicted incorrect.
    pub incorrect: usize,
    /// No verdict.
    pub failed: usize,
}

impl PredictedCounts {
    /// Samples in this row.
    pub fn total(&self) -> usize {
        self.correct + self.incorrect + self.failed
    }
}

/// The 2 × 3 confusion table: gold class by predicted class or failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Confusion {
    /// Samples whose response is correct.
    pub gold_correct: PredictedCounts,
    /// Samples whose response is incorrect.
    pub gold_incorrect: PredictedCounts,
}

impl Confusion {
    /// Counts the verdicts of `samples`.
    pub fn from_items(samples: &[VerificationVerdicts]) -> Self {
        let mut confusion = Confusion::default();
        for sample in samples {
            let row = match sample.gold {
                Correctness::Correct => &mut confusion.gold_correct,
                Correctness::Incorrect => &mut confusion.gold_incorrect,
            };
            match sample.predicted {
                Predicted::Value(Correctness::Correct) => row.correct += 1,
                Predicted::Value(Correctness::Incorrect) => row.incorrect += 1,
                Predicted::Failed => row.failed += 1,
            }
        }
        confusion
    }
}

/// Precision, recall and F1 for one positive class.
struct ClassScores {
    precision: Option<f64>,
    recall: Option<f64>,
    f1: Option<f64>,
}

impl ClassScores {
    /// `positive` is the row of the positive class, `negative` the other row; `predicted` picks
    /// the positive class's column out of a row.
    fn new(
        positive: PredictedCounts,
        negative: PredictedCounts,
        predicted: fn(&PredictedCounts) -> usize,
    ) -> Self {
        let true_positives = predicted(&positive);
        let false_positives = predicted(&negative);
        let false_negatives = positive.total() - true_positives;
        // F1 = 2TP / (2TP + FP + FN): the harmonic mean of precision and recall where both are
        // defined, and 0 (not undefined) when the evaluator never predicts a class that exists.
        // This is scikit-learn's definition.
        ClassScores {
            precision: ratio(true_positives, true_positives + false_positives),
            recall: ratio(true_positives, positive.total()),
            f1: ratio(
                2 * true_positives,
                2 * true_positives + false_positives + false_negatives,
            ),
        }
    }
}

/// The verification score of a set of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerificationScore {
    /// Samples scored.
    pub n: usize,
    /// Share of samples whose verdict matches the gold one (failures are wrong); `None` without
    /// samples.
    pub accuracy: Option<f64>,
    /// Of the samples predicted incorrect, the share that are incorrect; `None` when none were
    /// predicted incorrect.
    pub precision: Option<f64>,
    /// Of the incorrect samples, the share predicted incorrect (failures are misses); `None`
    /// without incorrect samples.
    pub recall: Option<f64>,
    /// F1 of catching incorrect samples, `2TP / (2TP + FP + FN)`; `None` only when no sample is
    /// incorrect or predicted incorrect.
    pub f1: Option<f64>,
    /// Of the samples predicted correct, the share that are correct.
    pub correct_precision: Option<f64>,
    /// Of the correct samples, the share predicted correct.
    pub correct_recall: Option<f64>,
    /// F1 with `correct` as the positive class.
    pub correct_f1: Option<f64>,
    /// Mean of `f1` and `correct_f1`; `None` when either is.
    pub macro_f1: Option<f64>,
    /// The confusion table.
    pub confusion: Confusion,
    /// Samples where the evaluator gave no verdict.
    pub n_failed: usize,
}

/// Scores verification verdicts. See the module documentation for how failures count.
pub fn verification(samples: &[VerificationVerdicts]) -> VerificationScore {
    let confusion = Confusion::from_items(samples);
    let Confusion {
        gold_correct,
        gold_incorrect,
    } = confusion;
    let catching_incorrect = ClassScores::new(gold_incorrect, gold_correct, |row| row.incorrect);
    let confirming_correct = ClassScores::new(gold_correct, gold_incorrect, |row| row.correct);
    let macro_f1 = match (catching_incorrect.f1, confirming_correct.f1) {
        (Some(a), Some(b)) => Some(f64::midpoint(a, b)),
        _ => None,
    };
    VerificationScore {
        n: samples.len(),
        accuracy: ratio(
            gold_correct.correct + gold_incorrect.incorrect,
            samples.len(),
        ),
        precision: catching_incorrect.precision,
        recall: catching_incorrect.recall,
        f1: catching_incorrect.f1,
        correct_precision: confirming_correct.precision,
        correct_recall: confirming_correct.recall,
        correct_f1: confirming_correct.f1,
        macro_f1,
        confusion,
        n_failed: gold_correct.failed + gold_incorrect.failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Correctness::{Correct, Incorrect};

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    fn repeat(
        gold: Correctness,
        predicted: Predicted<Correctness>,
        times: usize,
    ) -> impl Iterator<Item = VerificationVerdicts> {
        std::iter::repeat_n(VerificationVerdicts { gold, predicted }, times)
    }

    #[test]
    fn hand_worked_score() {
        // gold correct:   predicted correct 2, incorrect 1, failed 1
        // gold incorrect: predicted correct 1, incorrect 3, failed 1
        // accuracy = (2 + 3) / 9 = 5/9
        // positive incorrect: TP 3, FP 1, FN 1 + 1 = 2
        //   precision 3/4, recall 3/5, F1 = 6 / (6 + 1 + 2) = 2/3
        // positive correct:   TP 2, FP 1, FN 1 + 1 = 2
        //   precision 2/3, recall 2/4, F1 = 4 / (4 + 1 + 2) = 4/7
        // macro F1 = (2/3 + 4/7) / 2 = 13/21
        let samples: Vec<VerificationVerdicts> = repeat(Correct, Predicted::Value(Correct), 2)
            .chain(repeat(Correct, Predicted::Value(Incorrect), 1))
            .chain(repeat(Correct, Predicted::Failed, 1))
            .chain(repeat(Incorrect, Predicted::Value(Correct), 1))
            .chain(repeat(Incorrect, Predicted::Value(Incorrect), 3))
            .chain(repeat(Incorrect, Predicted::Failed, 1))
            .collect();
        let score = verification(&samples);
        assert_eq!((score.n, score.n_failed), (9, 2));
        assert!(close(score.accuracy, 5.0 / 9.0));
        assert!(close(score.precision, 3.0 / 4.0));
        assert!(close(score.recall, 3.0 / 5.0));
        assert!(close(score.f1, 2.0 / 3.0));
        assert!(close(score.correct_precision, 2.0 / 3.0));
        assert!(close(score.correct_recall, 1.0 / 2.0));
        assert!(close(score.correct_f1, 4.0 / 7.0));
        assert!(close(score.macro_f1, 13.0 / 21.0));
        assert_eq!(
            score.confusion,
            Confusion {
                gold_correct: PredictedCounts {
                    correct: 2,
                    incorrect: 1,
                    failed: 1
                },
                gold_incorrect: PredictedCounts {
                    correct: 1,
                    incorrect: 3,
                    failed: 1
                },
            }
        );
    }

    #[test]
    fn an_evaluator_that_approves_everything_catches_nothing() {
        // 3 correct and 2 incorrect, all predicted correct: precision for incorrect is undefined
        // (nothing predicted incorrect), recall 0, F1 0 rather than undefined.
        let samples: Vec<VerificationVerdicts> = repeat(Correct, Predicted::Value(Correct), 3)
            .chain(repeat(Incorrect, Predicted::Value(Correct), 2))
            .collect();
        let score = verification(&samples);
        assert_eq!(score.precision, None);
        assert_eq!(score.recall, Some(0.0));
        assert_eq!(score.f1, Some(0.0));
        assert!(close(score.accuracy, 3.0 / 5.0));
        // Positive correct: TP 3, FP 2, FN 0: F1 = 6/8.
        assert!(close(score.correct_f1, 0.75));
        assert!(close(score.macro_f1, 0.375));
    }

    #[test]
    fn nothing_to_score_is_undefined() {
        let score = verification(&[]);
        assert_eq!(score.accuracy, None);
        assert_eq!(score.f1, None);
        assert_eq!(score.macro_f1, None);
        let only_failures: Vec<VerificationVerdicts> =
            repeat(Correct, Predicted::Failed, 2).collect();
        let score = verification(&only_failures);
        assert_eq!(score.accuracy, Some(0.0));
        assert_eq!(score.f1, None, "no incorrect sample and none predicted");
        assert_eq!(score.correct_f1, Some(0.0));
    }
}
