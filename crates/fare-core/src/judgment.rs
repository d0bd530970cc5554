//! A judgment: one evaluator output on one sample, with what was read from it.
//!
//! [`crate::parse::read_output`] makes one from raw text; the store keeps it with the run that
//! produced it.

use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// One evaluator output and the verdict read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgment {
    /// The output exactly as generated.
    pub raw_output: String,
    /// The explanation the evaluator gave (text after `Explanation:` and before the verdict).
    pub critique: String,
    /// The harmony `analysis` channel (the model's reasoning), when present.
    pub analysis: Option<String>,
    /// The verdict, or why there is none.
    pub outcome: Outcome,
}

impl Judgment {
    /// The verdict, when one was read.
    pub fn verdict(&self) -> Option<Verdict> {
        match self.outcome {
            Outcome::Parsed { verdict } => Some(verdict),
            _ => None,
        }
    }
}

/// The verdict read from an output, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Outcome {
    /// A valid verdict.
    Parsed {
        /// The verdict.
        verdict: Verdict,
    },
    /// No valid verdict; the reason says what was found instead.
    Unparseable {
        /// What is wrong, in words an annotator understands.
        reason: String,
    },
    /// The output hit the token limit before a complete verdict.
    Truncated,
}

impl Outcome {
    /// The state's name as stored: `parsed`, `unparseable` or `truncated`.
    pub fn state(&self) -> &'static str {
        match self {
            Outcome::Parsed { .. } => "parsed",
            Outcome::Unparseable { .. } => "unparseable",
            Outcome::Truncated => "truncated",
        }
    }
}

/// How many outputs ended in each state: what a run or an import of outputs reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// With a verdict.
    pub parsed: u64,
    /// With no valid verdict.
    pub unparseable: u64,
    /// Cut off by the token limit.
    pub truncated: u64,
}

impl OutcomeCounts {
    /// Counts one more output.
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Parsed { .. } => self.parsed += 1,
            Outcome::Unparseable { .. } => self.unparseable += 1,
            Outcome::Truncated => self.truncated += 1,
        }
    }

    /// `3 parsed, 1 unparseable, 0 truncated`.
    pub fn summary(&self) -> String {
        format!(
            "{} parsed, {} unparseable, {} truncated",
            self.parsed, self.unparseable, self.truncated
        )
    }
}

/// How likely the evaluator found each admissible verdict at the verdict position, read by
/// teacher forcing (a local model) or from the log-probabilities a server returned.
///
/// Stored as a JSON object from each verdict's canonical text to its probability, in the order
/// of the verdicts (`{"-1": 0.61, "0": 0.02, "1": 0.30, ...}`); the probabilities are
/// normalised over the admissible verdicts, and `mass` keeps how much of the model's whole
/// distribution they covered before that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictProbs {
    /// Each admissible verdict with its probability (summing to 1 over the list).
    pub probs: Vec<(Verdict, f64)>,
    /// The total probability the model gave to the admissible verdicts before normalising.
    pub mass: f64,
}

impl VerdictProbs {
    /// Normalises log-probabilities of each verdict (any base-e values, -inf allowed) into a
    /// distribution. `None` when the list is empty or every verdict has probability zero.
    pub fn from_log_probs(log_probs: Vec<(Verdict, f64)>) -> Option<VerdictProbs> {
        let max = log_probs
            .iter()
            .map(|(_, lp)| *lp)
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return None;
        }
        let weights: Vec<(Verdict, f64)> = log_probs
            .into_iter()
            .map(|(v, lp)| (v, (lp - max).exp()))
            .collect();
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        Some(VerdictProbs {
            mass: total * max.exp(),
            probs: weights.into_iter().map(|(v, w)| (v, w / total)).collect(),
        })
    }

    /// The most probable verdict.
    pub fn most_likely(&self) -> Option<Verdict> {
        self.probs
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(v, _)| *v)
    }

    /// The probability of one verdict (0 when it is not listed).
    pub fn prob(&self, verdict: Verdict) -> f64 {
        self.probs
            .iter()
            .find(|(v, _)| *v == verdict)
            .map_or(0.0, |(_, p)| *p)
    }

    /// Shannon entropy in bits: 0 when certain; what an uncertainty-ordered queue sorts by.
    pub fn entropy_bits(&self) -> f64 {
        -self
            .probs
            .iter()
            .filter(|(_, p)| *p > 0.0)
            .map(|(_, p)| p * p.log2())
            .sum::<f64>()
    }

    /// The distribution with pairwise verdicts seen from the other order (A and B traded).
    #[must_use]
    pub fn swapped(&self) -> VerdictProbs {
        VerdictProbs {
            probs: self.probs.iter().map(|(v, p)| (v.swapped(), *p)).collect(),
            mass: self.mass,
        }
    }

    /// The stored JSON form: `{"probs": {"-1": 0.61, ...}, "mass": 0.98}`.
    pub fn to_json(&self) -> serde_json::Value {
        let probs: serde_json::Map<String, serde_json::Value> = self
            .probs
            .iter()
            .map(|(v, p)| (v.canonical(), serde_json::json!(p)))
            .collect();
        serde_json::json!({ "probs": probs, "mass": self.mass })
    }
}

/// The majority of K judgments of one sample: the verdict most of them gave and how many agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The verdict given most often (ties go to the verdict given first); none when no
    /// judgment had a verdict.
    pub verdict: Option<Verdict>,
    /// How many judgments gave it.
    pub votes: u32,
    /// How many judgments there were (unparseable and truncated ones included).
    pub of: u32,
}

impl Vote {
    /// Counts the verdicts of K judgments (`None` for one without a verdict).
    pub fn count(verdicts: &[Option<Verdict>]) -> Vote {
        let mut tally: Vec<(Verdict, u32)> = Vec::new();
        for verdict in verdicts.iter().flatten() {
            match tally.iter_mut().find(|(v, _)| v == verdict) {
                Some((_, n)) => *n += 1,
                None => tally.push((*verdict, 1)),
            }
        }
        // max_by_key keeps the last of equals: scan in reverse so the first given wins ties.
        let best = tally.iter().rev().max_by_key(|(_, n)| *n).copied();
        Vote {
            verdict: best.map(|(v, _)| v),
            votes: best.map_or(0, |(_, n)| n),
            of: u32::try_from(verdicts.len()).unwrap_or(u32::MAX),
        }
    }

    /// The share of judgments that gave the majority verdict (0 when there were none).
    pub fn agreement(&self) -> f64 {
        if self.of == 0 {
            0.0
        } else {
            f64::from(self.votes) / f64::from(self.of)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Side;

    #[test]
    fn probabilities_normalise_over_the_admissible_verdicts() {
        let probs = VerdictProbs::from_log_probs(vec![
            (Verdict::FirstError(None), 0.5f64.ln()),
            (Verdict::FirstError(Some(0)), 0.25f64.ln()),
            (Verdict::FirstError(Some(1)), f64::NEG_INFINITY),
        ])
        .unwrap();
        assert!((probs.mass - 0.75).abs() < 1e-12);
        assert!((probs.prob(Verdict::FirstError(None)) - 2.0 / 3.0).abs() < 1e-12);
        assert!(probs.prob(Verdict::FirstError(Some(1))).abs() < f64::EPSILON);
        assert_eq!(probs.most_likely(), Some(Verdict::FirstError(None)));
        let h = probs.entropy_bits();
        let expected = -(2.0 / 3.0f64 * (2.0 / 3.0f64).log2() + 1.0 / 3.0 * (1.0 / 3.0f64).log2());
        assert!((h - expected).abs() < 1e-12);
        assert_eq!(
            probs.to_json()["probs"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["-1", "0", "1"]
        );
        assert!(VerdictProbs::from_log_probs(vec![]).is_none());
        assert!(
            VerdictProbs::from_log_probs(vec![(Verdict::Pick(Side::A), f64::NEG_INFINITY)])
                .is_none()
        );
    }

    #[test]
    fn swapped_probabilities_trade_a_and_b() {
        let probs = VerdictProbs::from_log_probs(vec![
            (Verdict::Pick(Side::A), 0.9f64.ln()),
            (Verdict::Pick(Side::B), 0.1f64.ln()),
        ])
        .unwrap();
        assert!((probs.swapped().prob(Verdict::Pick(Side::B)) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn the_majority_counts_missing_verdicts_and_breaks_ties_by_order() {
        let a = Some(Verdict::Pick(Side::A));
        let b = Some(Verdict::Pick(Side::B));
        let vote = Vote::count(&[b, a, a, None, b]);
        assert_eq!(vote.verdict, b);
        assert_eq!((vote.votes, vote.of), (2, 5));
        assert!((vote.agreement() - 0.4).abs() < 1e-12);
        let vote = Vote::count(&[None, a, a, b]);
        assert_eq!(vote.verdict, a);
        assert_eq!(vote.votes, 2);
        let none = Vote::count(&[None, None]);
        assert_eq!((none.verdict, none.votes, none.of), (None, 0, 2));
        assert!(none.agreement().abs() < f64::EPSILON);
    }
}
