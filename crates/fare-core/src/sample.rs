//! The five FARE tasks and the samples an evaluator judges.
//!
//! A [`Sample`] holds what the evaluator reads (the question and the task's own fields, in
//! [`Content`]) and, when the data set has one, the ground-truth verdict. Ground truth lives on
//! the sample because it comes with the data; evaluator verdicts live in judgments and human
//! verdicts in annotations, never here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// One of the five FARE evaluation tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Task {
    /// Two responses to one question; the verdict names the better one (A or B).
    Pairwise,
    /// A solution split into steps; the verdict is the first wrong step, or -1.
    StepLevel,
    /// One response; the verdict says whether it is correct, without a reference answer.
    ReferenceFree,
    /// One response and a reference answer; the verdict says whether the response is correct.
    ReferenceBased,
    /// One response; the verdict is an integer score.
    Rating,
}

impl Task {
    /// Every task, in the order the product lists them.
    pub const ALL: [Task; 5] = [
        Task::Pairwise,
        Task::StepLevel,
        Task::ReferenceFree,
        Task::ReferenceBased,
        Task::Rating,
    ];

    /// The task's name as stored in project files and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Pairwise => "pairwise",
            Task::StepLevel => "step-level",
            Task::ReferenceFree => "reference-free",
            Task::ReferenceBased => "reference-based",
            Task::Rating => "rating",
        }
    }

    /// True for the two verification tasks, whose verdict is correct / incorrect.
    pub fn is_verification(self) -> bool {
        matches!(self, Task::ReferenceFree | Task::ReferenceBased)
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown task `{0}` (expected one of: pairwise, step-level, reference-free, reference-based, rating)"
)]
pub struct UnknownTask(pub String);

impl FromStr for Task {
    type Err = UnknownTask;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match normal.as_str() {
            "pairwise" | "pair" => Task::Pairwise,
            "step-level" | "step" | "steps" | "process" => Task::StepLevel,
            "reference-free" | "verification" | "ref-free" => Task::ReferenceFree,
            "reference-based" | "ref-based" => Task::ReferenceBased,
            "rating" | "single-rating" => Task::Rating,
            _ => return Err(UnknownTask(s.to_owned())),
        })
    }
}

/// What the evaluator reads besides the question: the task's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "kebab-case")]
pub enum Content {
    /// Two responses; A is shown first in the original order.
    Pairwise {
        /// Assistant A's answer.
        response_a: String,
        /// Assistant B's answer.
        response_b: String,
    },
    /// A solution split into steps, numbered from 0 as the evaluator sees them.
    StepLevel {
        /// The steps' texts, in order.
        steps: Vec<String>,
    },
    /// One response to verify without a reference.
    ReferenceFree {
        /// The response to verify.
        response: String,
    },
    /// One response to verify against a reference answer.
    ReferenceBased {
        /// The response to verify.
        response: String,
        /// The reference answer.
        reference: String,
    },
    /// One response to rate, optionally against a rubric or a reference.
    Rating {
        /// The response to rate.
        response: String,
        /// The rubric the rating follows, when the data has one.
        rubric: Option<String>,
        /// A reference answer, when the data has one.
        reference: Option<String>,
    },
}

impl Content {
    /// The task this content belongs to.
    pub fn task(&self) -> Task {
        match self {
            Content::Pairwise { .. } => Task::Pairwise,
            Content::StepLevel { .. } => Task::StepLevel,
            Content::ReferenceFree { .. } => Task::ReferenceFree,
            Content::ReferenceBased { .. } => Task::ReferenceBased,
            Content::Rating { .. } => Task::Rating,
        }
    }

    /// The steps of a step-level sample; empty for the other tasks.
    pub fn steps(&self) -> &[String] {
        match self {
            Content::StepLevel { steps } => steps,
            _ => &[],
        }
    }
}

/// One step of a step-level solution, numbered from 0 as the evaluator sees it (its text is
/// untrusted markdown with LaTeX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "StepView"))]
pub struct Step {
    /// Its number, from 0 (the `<step i>` tag the evaluator reads).
    pub index: u32,
    /// Its text.
    pub text: String,
    /// The data set's own rating of the step (PRM800K: -1, 0 or +1), when it has one.
    pub gold_rating: Option<i8>,
}

/// One item an evaluator judges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The identifier the data set gives the item (unique within its data set).
    pub external_id: String,
    /// Where the item comes from inside its data set: a ProcessBench split, a JudgeBench source.
    pub source: Option<String>,
    /// The problem or user prompt.
    pub question: String,
    /// The task's own fields.
    pub content: Content,
    /// The data set's own verdict, when it has one.
    pub gold: Option<Verdict>,
    /// Further fields of the record kept for reference (generator, model names, flags).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl Sample {
    /// The sample's task.
    pub fn task(&self) -> Task {
        self.content.task()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_round_trip() {
        for task in Task::ALL {
            assert_eq!(task.as_str().parse::<Task>(), Ok(task));
        }
        assert_eq!("step_level".parse::<Task>(), Ok(Task::StepLevel));
        assert!("ranking".parse::<Task>().is_err());
    }
}
