//! The order of a review queue: which samples a person should look at first.
//!
//! A queue is made from a list of samples (a filter's, a chart cell's) and one of these orders:
//! as listed; the evaluator's most uncertain verdicts first; its confident but wrong verdicts
//! first (against ground truth); or shuffled with a seed, so two people given the same seed see
//! the same queue. The store reads each sample's [`Confidence`] from the shown run; the ordering
//! here is pure.
//!
//! Uncertainty is the entropy of the stored verdict probabilities (bits) where the run has them,
//! else, for a run that judged each sample K times, the share of the K that did not give the
//! majority verdict. One queue uses one measure: entropy when any of its samples has
//! probabilities, else disagreement; samples without that measure come last, in list order.

use serde::{Deserialize, Serialize};

/// How a queue orders its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReviewOrder {
    /// In the order given (a filter's list: by sample id).
    Listed,
    /// The evaluator's most uncertain verdicts first.
    Uncertainty,
    /// Verdicts that disagree with the ground truth, the most confident first.
    ConfidentWrong,
    /// Shuffled with a seed.
    Random,
}

impl ReviewOrder {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOrder::Listed => "listed",
            ReviewOrder::Uncertainty => "uncertainty",
            ReviewOrder::ConfidentWrong => "confident-wrong",
            ReviewOrder::Random => "random",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<ReviewOrder> {
        [
            ReviewOrder::Listed,
            ReviewOrder::Uncertainty,
            ReviewOrder::ConfidentWrong,
            ReviewOrder::Random,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// What a queue's scores measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Measure {
    /// No score (listed, random).
    None,
    /// Entropy of the verdict probabilities, in bits.
    Entropy,
    /// Share of the K judgments that did not give the majority verdict.
    Disagreement,
    /// Probability of the verdict the evaluator gave.
    Probability,
    /// Share of the K judgments that gave the majority verdict.
    MajorityShare,
}

/// One sample's confidence facts in the shown run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Confidence {
    /// The sample.
    pub sample_id: i64,
    /// Whether the shown verdict (the majority for K judgments) disagrees with the ground truth;
    /// `None` without a verdict or without ground truth.
    pub wrong: Option<bool>,
    /// Entropy of the verdict probabilities (bits), when stored.
    pub entropy: Option<f64>,
    /// The probability of the verdict given, when stored.
    pub chosen_probability: Option<f64>,
    /// With K > 1 judgments: (votes for the majority, attempts).
    pub votes: Option<(u32, u32)>,
}

impl Confidence {
    fn disagreement(&self) -> Option<f64> {
        self.votes
            .filter(|(_, attempts)| *attempts > 1)
            .map(|(votes, attempts)| 1.0 - f64::from(votes) / f64::from(attempts))
    }

    fn majority_share(&self) -> Option<f64> {
        self.disagreement().map(|d| 1.0 - d)
    }
}

/// A queue's samples in order, each with its score, and what the scores measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered {
    /// (sample id, score) in queue order.
    pub items: Vec<(i64, Option<f64>)>,
    /// What the scores are.
    pub measure: Measure,
}

/// Orders `samples` (given in list order) for review. `seed` is used by [`ReviewOrder::Random`].
/// [`ReviewOrder::ConfidentWrong`] keeps only the samples whose verdict is wrong.
pub fn order(samples: &[Confidence], order: ReviewOrder, seed: u64) -> Ordered {
    match order {
        ReviewOrder::Listed => Ordered {
            items: samples.iter().map(|c| (c.sample_id, None)).collect(),
            measure: Measure::None,
        },
        ReviewOrder::Random => {
            let mut items: Vec<(i64, Option<f64>)> =
                samples.iter().map(|c| (c.sample_id, None)).collect();
            shuffle(&mut items, seed);
            Ordered {
                items,
                measure: Measure::None,
            }
        }
        ReviewOrder::Uncertainty => {
            let measure = if samples.iter().any(|c| c.entropy.is_some()) {
                Measure::Entropy
            } else {
                Measure::Disagreement
            };
            let score = |c: &Confidence| match measure {
                Measure::Entropy => c.entropy,
                _ => c.disagreement(),
            };
            Ordered {
                items: highest_first(samples.iter(), score),
                measure,
            }
        }
        ReviewOrder::ConfidentWrong => {
            let wrong = samples.iter().filter(|c| c.wrong == Some(true));
            let measure = if samples.iter().any(|c| c.chosen_probability.is_some()) {
                Measure::Probability
            } else {
                Measure::MajorityShare
            };
            let score = |c: &Confidence| match measure {
                Measure::Probability => c.chosen_probability,
                _ => c.majority_share(),
            };
            Ordered {
                items: highest_first(wrong, score),
                measure,
            }
        }
    }
}

/// Samples with a score, highest first (list order among equals), then those without one.
fn highest_first<'a>(
    samples: impl Iterator<Item = &'a Confidence>,
    score: impl Fn(&Confidence) -> Option<f64>,
) -> Vec<(i64, Option<f64>)> {
    let mut items: Vec<(usize, i64, Option<f64>)> = samples
        .enumerate()
        .map(|(i, c)| (i, c.sample_id, score(c).filter(|s| s.is_finite())))
        .collect();
    items.sort_by(|a, b| match (a.2, b.2) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.0.cmp(&b.0)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    items.into_iter().map(|(_, id, s)| (id, s)).collect()
}

/// Fisher–Yates with SplitMix64. Written here rather than taken from `rand` because a seed must
/// give the same queue in every later version of the app (a shared seed is how two annotators
/// agree on an order), and `rand` does not promise its shuffles stay the same across versions.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        // Bounded by i + 1 ≤ usize::MAX, so the result fits.
        let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64) -> Confidence {
        Confidence {
            sample_id: id,
            ..Confidence::default()
        }
    }

    fn ids(o: &Ordered) -> Vec<i64> {
        o.items.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn uncertainty_puts_the_highest_entropy_first_and_unknowns_last() {
        let samples = vec![
            Confidence {
                entropy: Some(0.1),
                ..c(1)
            },
            c(2),
            Confidence {
                entropy: Some(1.0),
                ..c(3)
            },
            Confidence {
                entropy: Some(0.5),
                ..c(4)
            },
            Confidence {
                entropy: Some(0.5),
                ..c(5)
            },
        ];
        let o = order(&samples, ReviewOrder::Uncertainty, 0);
        assert_eq!(o.measure, Measure::Entropy);
        assert_eq!(ids(&o), vec![3, 4, 5, 1, 2], "ties keep list order");
        assert_eq!(o.items[0].1, Some(1.0));
        assert_eq!(o.items[4].1, None);
    }

    #[test]
    fn without_probabilities_uncertainty_is_disagreement_among_k() {
        let samples = vec![
            Confidence {
                votes: Some((4, 4)),
                ..c(1)
            },
            Confidence {
                votes: Some((2, 4)),
                ..c(2)
            },
            Confidence {
                votes: Some((1, 1)),
                ..c(3)
            },
            Confidence {
                votes: Some((3, 4)),
                ..c(4)
            },
        ];
        let o = order(&samples, ReviewOrder::Uncertainty, 0);
        assert_eq!(o.measure, Measure::Disagreement);
        assert_eq!(
            ids(&o),
            vec![2, 4, 1, 3],
            "one attempt has no disagreement to measure"
        );
        assert_eq!(o.items[0].1, Some(0.5));
        assert_eq!(o.items[1].1, Some(0.25));
    }

    #[test]
    fn confident_wrong_keeps_wrong_verdicts_most_probable_first() {
        let samples = vec![
            Confidence {
                wrong: Some(true),
                chosen_probability: Some(0.6),
                ..c(1)
            },
            Confidence {
                wrong: Some(false),
                chosen_probability: Some(0.99),
                ..c(2)
            },
            Confidence {
                wrong: Some(true),
                chosen_probability: Some(0.95),
                ..c(3)
            },
            Confidence {
                wrong: None,
                chosen_probability: Some(0.9),
                ..c(4)
            },
            Confidence {
                wrong: Some(true),
                ..c(5)
            },
        ];
        let o = order(&samples, ReviewOrder::ConfidentWrong, 0);
        assert_eq!(o.measure, Measure::Probability);
        assert_eq!(ids(&o), vec![3, 1, 5]);
    }

    #[test]
    fn a_seed_gives_one_shuffle_and_another_seed_another() {
        let samples: Vec<Confidence> = (1..=50).map(c).collect();
        let a = order(&samples, ReviewOrder::Random, 7);
        let b = order(&samples, ReviewOrder::Random, 7);
        let other = order(&samples, ReviewOrder::Random, 8);
        assert_eq!(a, b);
        assert_ne!(ids(&a), ids(&other));
        let mut sorted = ids(&a);
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=50).collect::<Vec<_>>(), "a permutation");
        // The shuffle itself is fixed forever (checked against SplitMix64 written out in Python):
        // a change of algorithm breaks shared seeds.
        assert_eq!(
            ids(&order(&samples[..5], ReviewOrder::Random, 42)),
            vec![2, 3, 1, 5, 4]
        );
    }

    #[test]
    fn names_round_trip() {
        for o in [
            ReviewOrder::Listed,
            ReviewOrder::Uncertainty,
            ReviewOrder::ConfidentWrong,
            ReviewOrder::Random,
        ] {
            assert_eq!(ReviewOrder::parse(o.as_str()), Some(o));
        }
        assert_eq!(ReviewOrder::parse("sideways"), None);
    }
}
