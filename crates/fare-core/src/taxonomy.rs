//! The failure-mode tags: why an evaluator got a sample wrong.
//!
//! The default taxonomy ships in `assets/taxonomy.toml`; a project copies it on creation and users
//! add their own tags beside it.
//!
//! Some tags the app can read off the data ([`InferredTag`], the `inferable` tags of the shipped
//! taxonomy): a failed parse, a missed error, a verdict that flips with the order of A and B.
//! [`infer_tags`] computes them when the analysis is read; they are never written as labels, and
//! the analysis shows them apart from the tags people set.

use serde::{Deserialize, Serialize};

use crate::metrics::processbench::StepVerdicts;
use crate::metrics::{FirstErrorBucket, PairVerdicts, Predicted, classify, is_flip};
use crate::sample::Task;
use crate::verdict::{Correctness, Verdict};

/// A failure-mode tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureTag {
    /// A short stable identifier (`missed-error`), used in files and on the command line.
    pub id: String,
    /// The name shown to people.
    pub name: String,
    /// What the tag means.
    pub description: String,
    /// The tasks the tag applies to; empty for all.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Whether the app can infer the tag from the data.
    #[serde(default)]
    pub inferable: bool,
}

impl FailureTag {
    /// Whether the tag applies to samples of `task`.
    pub fn applies_to(&self, task: Task) -> bool {
        self.tasks.is_empty() || self.tasks.contains(&task)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    tag: Vec<FailureTag>,
}

/// The default taxonomy shipped with FARE Lens.
pub fn default_taxonomy() -> Vec<FailureTag> {
    // The shipped file is checked by this module's tests; a broken one is a build defect.
    toml::from_str::<TaxonomyFile>(include_str!("../../../assets/taxonomy.toml"))
        .map(|f| f.tag)
        .unwrap_or_default()
}

/// Whether `id` is a well-formed tag identifier: lowercase letters, digits and `-`.
pub fn is_valid_tag_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A failure-mode tag the app infers from a judgment and the reference verdict. Each is one of the
/// shipped taxonomy's `inferable` tags, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InferredTag {
    /// `unparseable`: no verdict could be read from the output.
    Unparseable,
    /// `truncated`: the output stopped at the token limit before a verdict.
    Truncated,
    /// `missed-error`: no wrong step found, or a wrong answer called correct.
    MissedError,
    /// `false-alarm`: a wrong step found in a correct solution, or a right answer called
    /// incorrect.
    FalseAlarm,
    /// `early-step`: the predicted first error comes before the reference's.
    EarlyStep,
    /// `late-step`: the predicted first error comes after the reference's.
    LateStep,
    /// `position-bias`: the pairwise verdict flips when A and B trade places.
    PositionBias,
}

impl InferredTag {
    /// Every inferred tag, in the taxonomy's order.
    pub const ALL: [InferredTag; 7] = [
        InferredTag::Unparseable,
        InferredTag::Truncated,
        InferredTag::MissedError,
        InferredTag::FalseAlarm,
        InferredTag::EarlyStep,
        InferredTag::LateStep,
        InferredTag::PositionBias,
    ];

    /// The tag's id in the taxonomy.
    pub fn id(self) -> &'static str {
        match self {
            InferredTag::Unparseable => "unparseable",
            InferredTag::Truncated => "truncated",
            InferredTag::MissedError => "missed-error",
            InferredTag::FalseAlarm => "false-alarm",
            InferredTag::EarlyStep => "early-step",
            InferredTag::LateStep => "late-step",
            InferredTag::PositionBias => "position-bias",
        }
    }

    /// The inferred tag with this id.
    pub fn from_id(id: &str) -> Option<InferredTag> {
        InferredTag::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// Why a judgment gave no verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoVerdict {
    /// The output holds no readable verdict.
    Unparseable,
    /// The output stopped at the token limit.
    Truncated,
}

/// What [`infer_tags`] reads: one sample's judgment and its reference verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inference {
    /// The sample's task.
    pub task: Task,
    /// The original-order verdict, `None` when not judged.
    pub predicted: Option<Predicted<Verdict>>,
    /// Why the original order (or, for a pair, either order) gave no verdict.
    pub no_verdict: Option<NoVerdict>,
    /// The reference verdict (ground truth or human label), `None` when there is none.
    pub reference: Option<Verdict>,
    /// The step count (step-level).
    pub step_count: usize,
    /// The pairwise verdicts in both orders, when the sample is a judged pair with a reference.
    pub pair: Option<PairVerdicts>,
}

/// Emits the tags the app infers for one sample. `unparseable` and `truncated` need no
/// reference; the others compare the verdict with the reference: `missed-error`, `false-alarm`,
/// `early-step` and `late-step` as the step-level buckets and the verification confusion
/// table say, `position-bias` for a pair whose verdict flips with the order.
pub fn infer_tags(input: &Inference, emit: &mut impl FnMut(InferredTag)) {
    match input.no_verdict {
        Some(NoVerdict::Unparseable) => emit(InferredTag::Unparseable),
        Some(NoVerdict::Truncated) => emit(InferredTag::Truncated),
        None => {}
    }
    if input.pair.as_ref().is_some_and(is_flip) {
        emit(InferredTag::PositionBias);
    }
    let (Some(Predicted::Value(predicted)), Some(reference)) = (input.predicted, input.reference)
    else {
        return;
    };
    match (reference, predicted) {
        (Verdict::FirstError(gold), Verdict::FirstError(p)) => {
            let bucket = classify(&StepVerdicts {
                gold,
                predicted: Predicted::Value(p),
                step_count: input.step_count,
            });
            match bucket {
                FirstErrorBucket::MissedError => emit(InferredTag::MissedError),
                FirstErrorBucket::FalseAlarm => emit(InferredTag::FalseAlarm),
                FirstErrorBucket::Early => emit(InferredTag::EarlyStep),
                FirstErrorBucket::Late => emit(InferredTag::LateStep),
                _ => {}
            }
        }
        (
            Verdict::Correctness(Correctness::Incorrect),
            Verdict::Correctness(Correctness::Correct),
        ) => {
            emit(InferredTag::MissedError);
        }
        (
            Verdict::Correctness(Correctness::Correct),
            Verdict::Correctness(Correctness::Incorrect),
        ) => {
            emit(InferredTag::FalseAlarm);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_loads_with_unique_valid_ids() {
        let tags = default_taxonomy();
        assert!(tags.len() >= 12, "the shipped taxonomy failed to load");
        let mut ids: Vec<&str> = tags.iter().map(|t| t.id.as_str()).collect();
        assert!(ids.iter().all(|id| is_valid_tag_id(id)));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), tags.len(), "duplicate tag id");
        for id in [
            "unparseable",
            "truncated",
            "missed-error",
            "false-alarm",
            "position-bias",
            "length-bias",
            "reference-ignored",
        ] {
            assert!(tags.iter().any(|t| t.id == id), "{id} missing");
        }
    }

    #[test]
    fn inferred_tags_are_the_inferable_tags_of_the_shipped_taxonomy() {
        let tags = default_taxonomy();
        for tag in InferredTag::ALL {
            let shipped = tags.iter().find(|t| t.id == tag.id());
            assert!(shipped.is_some_and(|t| t.inferable), "{}", tag.id());
            assert_eq!(InferredTag::from_id(tag.id()), Some(tag));
        }
    }

    #[test]
    fn tags_inferred_by_hand() {
        use crate::verdict::Side;
        let infer = |input: Inference| {
            let mut out = Vec::new();
            infer_tags(&input, &mut |t| out.push(t));
            out
        };
        let step = |reference: Option<u32>, predicted: Predicted<Option<u32>>| Inference {
            task: Task::StepLevel,
            predicted: Some(predicted.map(Verdict::FirstError)),
            no_verdict: None,
            reference: Some(Verdict::FirstError(reference)),
            step_count: 6,
            pair: None,
        };
        assert_eq!(
            infer(step(Some(3), Predicted::Value(Some(1)))),
            [InferredTag::EarlyStep]
        );
        assert_eq!(
            infer(step(Some(3), Predicted::Value(Some(4)))),
            [InferredTag::LateStep]
        );
        assert_eq!(
            infer(step(Some(3), Predicted::Value(None))),
            [InferredTag::MissedError]
        );
        assert_eq!(
            infer(step(None, Predicted::Value(Some(0)))),
            [InferredTag::FalseAlarm]
        );
        assert!(infer(step(Some(3), Predicted::Value(Some(3)))).is_empty());
        let truncated = Inference {
            predicted: Some(Predicted::Failed),
            no_verdict: Some(NoVerdict::Truncated),
            reference: None,
            ..step(None, Predicted::Failed)
        };
        assert_eq!(infer(truncated), [InferredTag::Truncated]);
        let verification = |reference, predicted| Inference {
            task: Task::ReferenceFree,
            predicted: Some(Predicted::Value(Verdict::Correctness(predicted))),
            no_verdict: None,
            reference: Some(Verdict::Correctness(reference)),
            step_count: 0,
            pair: None,
        };
        assert_eq!(
            infer(verification(Correctness::Incorrect, Correctness::Correct)),
            [InferredTag::MissedError]
        );
        assert_eq!(
            infer(verification(Correctness::Correct, Correctness::Incorrect)),
            [InferredTag::FalseAlarm]
        );
        let flip = PairVerdicts {
            gold: Side::A,
            original: Predicted::Value(Side::A),
            swapped: Some(Predicted::Value(Side::A)),
        };
        let pair = Inference {
            task: Task::Pairwise,
            predicted: Some(Predicted::Value(Verdict::Pick(Side::A))),
            no_verdict: None,
            reference: Some(Verdict::Pick(Side::A)),
            step_count: 0,
            pair: Some(flip),
        };
        assert_eq!(infer(pair), [InferredTag::PositionBias]);
    }
}
