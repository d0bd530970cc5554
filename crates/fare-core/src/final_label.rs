//! The one verdict a sample ends up with when several people labelled it: what exports write
//! as the human verdict and what a checkpoint is compared against.
//!
//! A person chooses what counts ([`FinalLabel`]): the adjudicated verdict, the majority of the
//! annotators, or one named annotator. [`resolve`] applies the choice to the human verdicts of
//! one sample (each annotator's current verdict, and the adjudicated one when a third person
//! decided a disagreement) and says where the verdict came from, or why there is none, so
//! exports can count both.
//!
//! Only verdicts count: a label that holds only tags or a note has no verdict and is left out
//! by the caller.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What counts as a sample's final human verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FinalLabel {
    /// The adjudicated verdict; without one, the verdict every annotator who gave one agrees
    /// on (one annotator alone agrees with themself). Annotators who disagree and were not
    /// adjudicated give no verdict.
    #[default]
    Adjudicated,
    /// The verdict most annotators gave; a tie gives no verdict. Adjudications are not votes.
    Majority,
    /// This annotator's verdict.
    Annotator {
        /// The annotator's name.
        name: String,
    },
}

impl fmt::Display for FinalLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FinalLabel::Adjudicated => f.write_str("adjudicated"),
            FinalLabel::Majority => f.write_str("majority"),
            FinalLabel::Annotator { name } => write!(f, "annotator:{name}"),
        }
    }
}

/// A final-label choice that is not `adjudicated`, `majority` or `annotator:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a final-label choice (expected adjudicated, majority or annotator:NAME)")]
pub struct UnknownFinalLabel(pub String);

impl FromStr for FinalLabel {
    type Err = UnknownFinalLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "adjudicated" => return Ok(FinalLabel::Adjudicated),
            "majority" => return Ok(FinalLabel::Majority),
            _ => {}
        }
        match trimmed.split_once(':') {
            Some((kind, name))
                if kind.eq_ignore_ascii_case("annotator") && !name.trim().is_empty() =>
            {
                Ok(FinalLabel::Annotator {
                    name: name.trim().to_owned(),
                })
            }
            _ => Err(UnknownFinalLabel(s.to_owned())),
        }
    }
}

/// Where a final verdict came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FinalSource {
    /// A third person's decision about a disagreement.
    Adjudicated,
    /// Every annotator who gave a verdict gave this one (one annotator included).
    Unanimous,
    /// The most common verdict of the annotators.
    Majority,
    /// The chosen annotator's verdict.
    Annotator,
}

impl FinalSource {
    /// The name as exports and summaries write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalSource::Adjudicated => "adjudicated",
            FinalSource::Unanimous => "unanimous",
            FinalSource::Majority => "majority",
            FinalSource::Annotator => "annotator",
        }
    }
}

/// Why a sample has no final verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Unresolved {
    /// Nobody gave it a verdict.
    NoHumanVerdict,
    /// Annotators gave different verdicts and nobody adjudicated.
    NotAdjudicated,
    /// Two or more verdicts were given equally often.
    Tie,
    /// The chosen annotator gave it no verdict.
    NotByAnnotator,
}

impl Unresolved {
    /// The reason in words, as summaries write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unresolved::NoHumanVerdict => "no human verdict",
            Unresolved::NotAdjudicated => "annotators disagree and nobody adjudicated",
            Unresolved::Tie => "a tie between annotators",
            Unresolved::NotByAnnotator => "the chosen annotator gave no verdict",
        }
    }
}

/// A sample's final verdict, or why it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolved<T> {
    /// The verdict and where it came from.
    Verdict {
        /// The verdict.
        verdict: T,
        /// Where it came from.
        source: FinalSource,
    },
    /// No final verdict.
    None(Unresolved),
}

impl<T> Resolved<T> {
    /// The verdict, when there is one.
    pub fn verdict(&self) -> Option<&T> {
        match self {
            Resolved::Verdict { verdict, .. } => Some(verdict),
            Resolved::None(_) => None,
        }
    }
}

/// Applies `choice` to one sample: `labels` holds each annotator's current verdict (annotators
/// without a verdict left out), `adjudicated` the current adjudicated verdict, if any.
pub fn resolve<T: Ord + Clone>(
    choice: &FinalLabel,
    labels: &[(&str, T)],
    adjudicated: Option<&T>,
) -> Resolved<T> {
    match choice {
        FinalLabel::Annotator { name } => labels.iter().find(|(who, _)| who == name).map_or(
            Resolved::None(Unresolved::NotByAnnotator),
            |(_, v)| Resolved::Verdict {
                verdict: v.clone(),
                source: FinalSource::Annotator,
            },
        ),
        FinalLabel::Adjudicated => {
            if let Some(v) = adjudicated {
                return Resolved::Verdict {
                    verdict: v.clone(),
                    source: FinalSource::Adjudicated,
                };
            }
            let Some((_, first)) = labels.first() else {
                return Resolved::None(Unresolved::NoHumanVerdict);
            };
            if labels.iter().all(|(_, v)| v == first) {
                Resolved::Verdict {
                    verdict: first.clone(),
                    source: FinalSource::Unanimous,
                }
            } else {
                Resolved::None(Unresolved::NotAdjudicated)
            }
        }
        FinalLabel::Majority => {
            let mut counts: BTreeMap<&T, usize> = BTreeMap::new();
            for (_, v) in labels {
                *counts.entry(v).or_insert(0) += 1;
            }
            let Some(top) = counts.values().copied().max() else {
                return Resolved::None(Unresolved::NoHumanVerdict);
            };
            let mut leaders = counts.iter().filter(|(_, n)| **n == top);
            match (leaders.next(), leaders.next()) {
                (Some((v, _)), None) => Resolved::Verdict {
                    verdict: (*v).clone(),
                    source: FinalSource::Majority,
                },
                _ => Resolved::None(Unresolved::Tie),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> FinalLabel {
        FinalLabel::Annotator { name: n.into() }
    }

    #[test]
    fn adjudication_wins_else_unanimity() {
        let split = [("ana", "A"), ("ben", "B")];
        assert_eq!(
            resolve(&FinalLabel::Adjudicated, &split, None),
            Resolved::None(Unresolved::NotAdjudicated)
        );
        assert_eq!(
            resolve(&FinalLabel::Adjudicated, &split, Some(&"B")),
            Resolved::Verdict {
                verdict: "B",
                source: FinalSource::Adjudicated
            }
        );
        let agreed = [("ana", "A"), ("ben", "A")];
        assert_eq!(
            resolve(&FinalLabel::Adjudicated, &agreed, None),
            Resolved::Verdict {
                verdict: "A",
                source: FinalSource::Unanimous
            }
        );
        // One annotator alone agrees with themself.
        assert_eq!(
            resolve(&FinalLabel::Adjudicated, &[("ana", "B")], None).verdict(),
            Some(&"B")
        );
        assert_eq!(
            resolve::<&str>(&FinalLabel::Adjudicated, &[], None),
            Resolved::None(Unresolved::NoHumanVerdict)
        );
    }

    #[test]
    fn majority_counts_annotators_and_ties_give_nothing() {
        let three = [("ana", 2), ("ben", 3), ("cy", 2)];
        assert_eq!(
            resolve(&FinalLabel::Majority, &three, Some(&3)),
            Resolved::Verdict {
                verdict: 2,
                source: FinalSource::Majority
            },
            "an adjudication is not a vote"
        );
        assert_eq!(
            resolve(&FinalLabel::Majority, &[("ana", 2), ("ben", 3)], None),
            Resolved::None(Unresolved::Tie)
        );
        assert_eq!(
            resolve::<i32>(&FinalLabel::Majority, &[], None),
            Resolved::None(Unresolved::NoHumanVerdict)
        );
    }

    #[test]
    fn one_annotator_is_theirs_alone() {
        let split = [("ana", "A"), ("ben", "B")];
        assert_eq!(
            resolve(&name("ben"), &split, Some(&"A")),
            Resolved::Verdict {
                verdict: "B",
                source: FinalSource::Annotator
            }
        );
        assert_eq!(
            resolve(&name("cy"), &split, None),
            Resolved::None(Unresolved::NotByAnnotator)
        );
    }

    #[test]
    fn choices_read_and_write_as_text() {
        for choice in [
            FinalLabel::Adjudicated,
            FinalLabel::Majority,
            name("Ana Lima"),
        ] {
            assert_eq!(choice.to_string().parse::<FinalLabel>(), Ok(choice));
        }
        assert_eq!("Majority".parse(), Ok(FinalLabel::Majority));
        assert!("annotator:".parse::<FinalLabel>().is_err());
        assert!("latest".parse::<FinalLabel>().is_err());
        assert_eq!(
            serde_json::to_value(name("ana")).unwrap(),
            serde_json::json!({"kind": "annotator", "name": "ana"})
        );
    }
}
