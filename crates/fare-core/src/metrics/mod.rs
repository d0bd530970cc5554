//! Metrics of evaluator quality and of agreement between people.
//!
//! Every metric takes plain values in (the gold verdict of each sample beside what an evaluator
//! answered) and returns a serializable score out; nothing here reads files or a database. The
//! store and the UI collect the verdicts and call these functions.
//!
//! - [`processbench`](mod@processbench): the ProcessBench score of step-level verdicts
//!   (accuracy on erroneous and on correct solutions, and their F1).
//! - [`first_error`]: where step-level verdicts land relative to the true first error (early,
//!   late, missed, false alarm) and the grid of gold against predicted steps.
//! - [`pairwise`](mod@pairwise): pairwise accuracy under the A/B swap protocol, consistency and
//!   position bias.
//! - [`verification`](mod@verification): accuracy, precision, recall and F1 of correct /
//!   incorrect verdicts.
//! - [`rating`](mod@rating): error and rank correlation of integer ratings.
//! - [`cells`]: the stable key of every cell of the analysis (a grid cell, a bar, a bucket, a tag)
//!   and the cells each sample falls in, so a count can be opened as its samples.
//! - [`agreement`]: Cohen's kappa and Krippendorff's alpha between annotators.
//!
//! An evaluator does not always answer: its output can be unparseable or truncated. Metrics see
//! that as [`Predicted::Failed`] (a judgment's [`Outcome`] converts into a [`Predicted`]), which
//! always counts as wrong and never as any particular verdict (a failed pairwise judgment is
//! neither A nor B). Each score reports how many failures it saw, so a low accuracy caused by
//! failures can be told apart from wrong verdicts.
//!
//! Ratios whose denominator is zero (an accuracy over no samples, a correlation of constant
//! values) are `None`, never `NaN` or a made-up 0, so they serialize as `null`.

pub mod agreement;
pub mod cells;
pub mod first_error;
pub mod pairwise;
pub mod processbench;
pub mod rating;
pub mod verification;

use serde::{Deserialize, Serialize};

use crate::judgment::Outcome;
use crate::verdict::Verdict;

pub use agreement::{
    Agreement, LengthMismatch, Level, PairAgreement, agreement, cohen_kappa,
    krippendorff_alpha_interval, krippendorff_alpha_nominal, krippendorff_alpha_ordinal,
};
pub use cells::{CellKey, ContradictionKind, LengthBias, length_bias};
pub use first_error::{FirstErrorAnalysis, FirstErrorBucket, classify};
pub use pairwise::{PairVerdicts, PairwiseScore, is_flip, pairwise};
pub use processbench::{ProcessBenchScore, StepVerdicts, mean_f1, processbench};
pub use rating::{RatingScore, RatingVerdicts, rating};
pub use verification::{VerificationScore, VerificationVerdicts, verification};

/// An evaluator's answer as metrics see it: a verdict, or a failure.
///
/// A failure is an output from which no verdict could be read (unparseable) or that stopped
/// before giving one (truncated). It always counts as wrong and never as any particular verdict.
///
/// Serialized as `{"value": ...}` or `"failed"`. Ordered with every value before `Failed`, so
/// failures come last in sorted tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Predicted<T> {
    /// The verdict read from the evaluator's output.
    Value(T),
    /// No verdict: the output was unparseable or truncated.
    Failed,
}

impl<T> Predicted<T> {
    /// The verdict, or `None` for a failure.
    pub fn value(&self) -> Option<&T> {
        match self {
            Predicted::Value(v) => Some(v),
            Predicted::Failed => None,
        }
    }

    /// True when no verdict was read.
    pub fn is_failed(&self) -> bool {
        matches!(self, Predicted::Failed)
    }

    /// Applies `f` to the verdict; a failure stays a failure.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Predicted<U> {
        match self {
            Predicted::Value(v) => Predicted::Value(f(v)),
            Predicted::Failed => Predicted::Failed,
        }
    }
}

impl From<&Outcome> for Predicted<Verdict> {
    /// A parsed verdict is a value; an unparseable or truncated output is a failure.
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Parsed { verdict } => Predicted::Value(*verdict),
            Outcome::Unparseable { .. } | Outcome::Truncated => Predicted::Failed,
        }
    }
}

/// `numerator / denominator`, or `None` when the denominator is zero.
fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The harmonic mean `2ab / (a + b)`, defined as 0 when both are 0.
fn harmonic_mean(a: f64, b: f64) -> f64 {
    if a + b > 0.0 {
        2.0 * a * b / (a + b)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_sort_after_every_value_and_serialize_as_a_word() -> serde_json::Result<()> {
        let mut answers = vec![Predicted::Failed, Predicted::Value(3), Predicted::Value(-1)];
        answers.sort();
        assert_eq!(
            answers,
            [Predicted::Value(-1), Predicted::Value(3), Predicted::Failed]
        );
        let json = serde_json::to_string(&answers)?;
        assert_eq!(json, r#"[{"value":-1},{"value":3},"failed"]"#);
        let back: Vec<Predicted<i32>> = serde_json::from_str(&json)?;
        assert_eq!(back, answers);
        Ok(())
    }

    #[test]
    fn judgments_without_a_verdict_are_failures() {
        let parsed = Outcome::Parsed {
            verdict: Verdict::Rating(7),
        };
        let unparseable = Outcome::Unparseable {
            reason: "no verdict line".to_owned(),
        };
        assert_eq!(
            Predicted::from(&parsed),
            Predicted::Value(Verdict::Rating(7))
        );
        assert_eq!(Predicted::from(&unparseable), Predicted::Failed);
        assert_eq!(Predicted::from(&Outcome::Truncated), Predicted::Failed);
    }

    #[test]
    fn ratios_over_nothing_are_undefined() {
        assert_eq!(ratio(1, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
        assert!(harmonic_mean(0.0, 0.0).abs() < f64::EPSILON);
    }
}
