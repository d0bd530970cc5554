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
