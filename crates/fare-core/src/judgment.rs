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
/// The probabilities are normalised over the admissible verdicts, and `mass` keeps how much of
/// the model's whole distribution they covered before that. A project records them as
/// [`RecordedProbs`].
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
        entropy_bits(self.probs.iter().map(|(_, p)| *p))
    }

    /// The distribution with pairwise verdicts seen from the other order (A and B traded).
    #[must_use]
    pub fn swapped(&self) -> VerdictProbs {
        VerdictProbs {
            probs: self.probs.iter().map(|(v, p)| (v.swapped(), *p)).collect(),
            mass: self.mass,
        }
    }
}

/// Verdict probabilities as a project records them with a judgment: each verdict's canonical
/// text (in the data's A/B labels) with its probability, how much the model gave them all
/// before normalising, and whether they were read after an appended `Verdict:` line because the
/// output had none.
///
/// Kept as JSON (`{"probs": {"-1": 0.61, "0": 0.02, ...}, "mass": 0.98, "forced": false}`);
/// [`RecordedProbs::from_json`] is the one reader of that form, for the store and for imported
/// files alike, and refuses anything else with a sentence saying what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedProbs {
    /// Each verdict (canonical text) with its probability, in the order recorded.
    pub probs: Vec<(String, f64)>,
    /// What the model gave the listed verdicts before normalising (absent in imported files
    /// that do not say).
    pub mass: Option<f64>,
    /// Read after an appended `Verdict:` because the output had no verdict line.
    pub forced: bool,
}

impl RecordedProbs {
    /// The record of a distribution the engine scored.
    pub fn new(probs: &VerdictProbs, forced: bool) -> RecordedProbs {
        RecordedProbs {
            probs: probs
                .probs
                .iter()
                .map(|(v, p)| (v.canonical(), *p))
                .collect(),
            mass: Some(probs.mass),
            forced,
        }
    }

    /// Reads the recorded form: an object with `probs` (verdict → probability in [0, 1]) and
    /// optionally `mass` (a number) and `forced` (true or false).
    pub fn from_json(value: &serde_json::Value) -> Result<RecordedProbs, String> {
        let object = value.as_object().ok_or_else(|| {
            format!("verdict probabilities must be an object with `probs`, not `{value}`")
        })?;
        let probs = object
            .get("probs")
            .ok_or("verdict probabilities have no `probs` object")?
            .as_object()
            .ok_or("`probs` must be an object from each verdict to its probability")?;
        let probs = probs
            .iter()
            .map(|(verdict, p)| match p.as_f64() {
                Some(p) if (0.0..=1.0 + 1e-9).contains(&p) => Ok((verdict.clone(), p)),
                _ => Err(format!(
                    "the probability of verdict `{verdict}` must be a number from 0 to 1, not `{p}`"
                )),
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mass = match object.get("mass") {
            None | Some(serde_json::Value::Null) => None,
            Some(m) => Some(
                m.as_f64()
                    .filter(|m| m.is_finite() && *m >= 0.0)
                    .ok_or_else(|| format!("`mass` must be a number of 0 or more, not `{m}`"))?,
            ),
        };
        let forced = match object.get("forced") {
            None | Some(serde_json::Value::Null) => false,
            Some(f) => f
                .as_bool()
                .ok_or_else(|| format!("`forced` must be true or false, not `{f}`"))?,
        };
        Ok(RecordedProbs {
            probs,
            mass,
            forced,
        })
    }

    /// The recorded form [`RecordedProbs::from_json`] reads.
    pub fn to_json(&self) -> serde_json::Value {
        let probs: serde_json::Map<String, serde_json::Value> = self
            .probs
            .iter()
            .map(|(v, p)| (v.clone(), serde_json::json!(p)))
            .collect();
        let mut json = serde_json::json!({ "probs": probs });
        if let Some(mass) = self.mass {
            json["mass"] = serde_json::json!(mass);
        }
        json["forced"] = serde_json::Value::Bool(self.forced);
        json
    }

    /// The probability of one verdict (canonical text), when it is listed.
    pub fn prob(&self, verdict: &str) -> Option<f64> {
        self.probs
            .iter()
            .find(|(v, _)| v == verdict)
            .map(|(_, p)| *p)
    }

    /// Shannon entropy in bits, as [`VerdictProbs::entropy_bits`]; `None` when nothing is listed.
    pub fn entropy_bits(&self) -> Option<f64> {
        if self.probs.is_empty() {
            return None;
        }
        Some(entropy_bits(self.probs.iter().map(|(_, p)| *p)).max(0.0))
    }
}

/// Shannon entropy in bits of probabilities (zeros contribute nothing).
fn entropy_bits(probs: impl Iterator<Item = f64>) -> f64 {
    -probs
        .filter(|p| *p > 0.0)
        .map(|p| p * p.log2())
        .sum::<f64>()
}

/// Written in the recorded form, so JSON output shows what the project file holds.
impl Serialize for RecordedProbs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
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
            RecordedProbs::new(&probs, false).to_json()["probs"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["-1", "0", "1"]
        );
        assert!(VerdictProbs::from_log_probs(vec![]).is_none());
    }

    #[test]
    fn recorded_probabilities_read_back_what_was_written() {
        let probs = VerdictProbs::from_log_probs(vec![
            (Verdict::Pick(Side::A), 0.6f64.ln()),
            (Verdict::Pick(Side::B), 0.2f64.ln()),
        ])
        .unwrap();
        let recorded = RecordedProbs::new(&probs, true);
        let back = RecordedProbs::from_json(&recorded.to_json()).unwrap();
        assert_eq!(back, recorded);
        assert!((back.prob("A").unwrap() - 0.75).abs() < 1e-12);
        assert!(back.forced);
        assert!((back.entropy_bits().unwrap() - probs.entropy_bits()).abs() < 1e-12);
    }

    #[test]
    fn recorded_probabilities_refuse_other_shapes_saying_what_they_found() {
        let refused = |json: serde_json::Value| RecordedProbs::from_json(&json).unwrap_err();
        assert!(refused(serde_json::json!([0.5, 0.5])).contains("must be an object"));
        assert!(refused(serde_json::json!({"A": 0.5})).contains("no `probs`"));
        assert!(refused(serde_json::json!({"probs": {"A": "high"}})).contains("verdict `A`"));
        assert!(refused(serde_json::json!({"probs": {"A": 1.5}})).contains("from 0 to 1"));
        assert!(refused(serde_json::json!({"probs": {}, "forced": "yes"})).contains("`forced`"));
        let bare = RecordedProbs::from_json(&serde_json::json!({"probs": {"A": 1.0}})).unwrap();
        assert_eq!((bare.mass, bare.forced), (None, false));
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
