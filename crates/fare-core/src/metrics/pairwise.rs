//! Pairwise accuracy under the A/B swap protocol, consistency and position bias.
//!
//! The FARE authors judge every pair twice: in the original order and with A and B exchanged. A
//! pair counts as correct only when both runs pick the right response. An evaluator that picks
//! by position instead of content shows up here as flips (the two runs disagree) and as a
//! share of verdicts for whichever response was shown first far from one half.
//!
//! The verdict of the swapped run is stored as the model emitted it, in the swapped prompt's own
//! letters: `A` there means the original B. [`PairVerdicts::swapped_in_original_order`] maps it
//! back with [`Side::swapped`].

use serde::{Deserialize, Serialize};

use super::{Predicted, ratio};
use crate::verdict::Side;

/// The gold and predicted verdicts of one pairwise sample, in one or both orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PairVerdicts {
    /// The better response, in the original order.
    pub gold: Side,
    /// The evaluator's verdict on the original order.
    pub original: Predicted<Side>,
    /// The evaluator's verdict on the prompt with A and B exchanged, as emitted (`A` there is
    /// the original B); `None` when the swapped order was not judged.
    pub swapped: Option<Predicted<Side>>,
}

impl PairVerdicts {
    /// The swapped run's verdict in the original order's letters; `None` when it was not judged.
    pub fn swapped_in_original_order(&self) -> Option<Predicted<Side>> {
        self.swapped.map(|verdict| verdict.map(Side::swapped))
    }

    /// The same judgments seen from the swapped prompt: its order becomes the original one.
    ///
    /// `None` when the swapped order was not judged. Doing it twice gives back `self`.
    #[must_use]
    pub fn orders_exchanged(&self) -> Option<PairVerdicts> {
        Some(PairVerdicts {
            gold: self.gold.swapped(),
            original: self.swapped?,
            swapped: Some(self.original),
        })
    }
}

/// True when both orders were judged, both gave a verdict, and they pick different responses:
/// the evaluator changed its mind because the order changed.
pub fn is_flip(pair: &PairVerdicts) -> bool {
    match (pair.original, pair.swapped_in_original_order()) {
        (Predicted::Value(original), Some(Predicted::Value(swapped))) => original != swapped,
        _ => false,
    }
}

/// The pairwise score of a set of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PairwiseScore {
    /// Samples scored.
    pub n: usize,
    /// Samples judged in both orders.
    pub n_with_swap: usize,
    /// Share of samples whose original-order verdict is right; `None` without samples.
    pub accuracy_original: Option<f64>,
    /// Share of swapped-order verdicts that are right, over the samples judged in both orders.
    pub accuracy_swapped: Option<f64>,
    /// Share of samples right in both orders (the protocol's accuracy), over the samples judged
    /// in both orders.
    pub consistent_accuracy: Option<f64>,
    /// Share of samples where both orders pick the same response, right or wrong, over the
    /// samples judged in both orders. A failure in either order counts as inconsistent.
    pub consistency: Option<f64>,
    /// Samples judged in both orders, with a verdict in each, whose verdicts pick different
    /// responses (see [`is_flip`]).
    pub flips: usize,
    /// Share of verdicts, over both orders, that pick whichever response was shown first (`A`
    /// as emitted): 0.5 is no position bias. Failures are left out; `None` without verdicts.
    pub first_position_share: Option<f64>,
    /// Failed verdicts, counting each order separately (a sample can add two).
    pub n_failed: usize,
}

/// Scores pairwise verdicts under the swap protocol. Failures are always wrong.
pub fn pairwise(pairs: &[PairVerdicts]) -> PairwiseScore {
    let mut n_with_swap = 0;
    let mut right_original = 0;
    let mut right_swapped = 0;
    let mut right_both = 0;
    let mut consistent = 0;
    let mut flips = 0;
    let mut verdicts = 0;
    let mut first_position = 0;
    let mut n_failed = 0;
    let mut count_emitted = |emitted: Predicted<Side>| match emitted {
        Predicted::Value(side) => {
            verdicts += 1;
            first_position += usize::from(side == Side::A);
        }
        Predicted::Failed => n_failed += 1,
    };
    for pair in pairs {
        count_emitted(pair.original);
        let original_right = pair.original == Predicted::Value(pair.gold);
        right_original += usize::from(original_right);
        let (Some(emitted), Some(swapped)) = (pair.swapped, pair.swapped_in_original_order())
        else {
            continue;
        };
        count_emitted(emitted);
        n_with_swap += 1;
        let swapped_right = swapped == Predicted::Value(pair.gold);
        right_swapped += usize::from(swapped_right);
        right_both += usize::from(original_right && swapped_right);
        consistent += usize::from(!swapped.is_failed() && swapped == pair.original);
        flips += usize::from(is_flip(pair));
    }
    PairwiseScore {
        n: pairs.len(),
        n_with_swap,
        accuracy_original: ratio(right_original, pairs.len()),
        accuracy_swapped: ratio(right_swapped, n_with_swap),
        consistent_accuracy: ratio(right_both, n_with_swap),
        consistency: ratio(consistent, n_with_swap),
        flips,
        first_position_share: ratio(first_position, verdicts),
        n_failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Predicted::{Failed, Value};
    use Side::{A, B};
    use proptest::prelude::*;

    fn pair(
        gold: Side,
        original: Predicted<Side>,
        swapped: Option<Predicted<Side>>,
    ) -> PairVerdicts {
        PairVerdicts {
            gold,
            original,
            swapped,
        }
    }

    #[test]
    fn hand_worked_score() {
        // #  gold  original  swapped as emitted (-> original letters)
        // 1  A     A         B (-> A)     right in both orders, consistent
        // 2  A     A         A (-> B)     flip: right, then wrong
        // 3  B     B         failed       right, then wrong; inconsistent, not a flip
        // 4  B     A         not judged   wrong
        // 5  B     failed    A (-> B)     wrong, then right; inconsistent, not a flip
        //
        // accuracy_original   = right originals {1,2,3} / 5         = 3/5
        // accuracy_swapped    = right swapped {1,5} / 4 with swap    = 1/2
        // consistent_accuracy = {1} / 4                              = 1/4
        // consistency         = {1} / 4                              = 1/4
        // flips               = {2}                                  = 1
        // first position (emitted A): originals A,A,B,A (4 verdicts, 3 first),
        //                             swapped B,A,A (3 verdicts, 2 first) -> 5/7
        // failures: 3 swapped, 5 original                            = 2
        let pairs = [
            pair(A, Value(A), Some(Value(B))),
            pair(A, Value(A), Some(Value(A))),
            pair(B, Value(B), Some(Failed)),
            pair(B, Value(A), None),
            pair(B, Failed, Some(Value(A))),
        ];
        let score = pairwise(&pairs);
        assert_eq!(
            score,
            PairwiseScore {
                n: 5,
                n_with_swap: 4,
                accuracy_original: Some(3.0 / 5.0),
                accuracy_swapped: Some(1.0 / 2.0),
                consistent_accuracy: Some(1.0 / 4.0),
                consistency: Some(1.0 / 4.0),
                flips: 1,
                first_position_share: Some(5.0 / 7.0),
                n_failed: 2,
            }
        );
        let flips: Vec<bool> = pairs.iter().map(is_flip).collect();
        assert_eq!(flips, [false, true, false, false, false]);
    }

    #[test]
    fn an_evaluator_that_always_says_a_is_half_right_and_never_consistent() {
        let pairs = [
            pair(A, Value(A), Some(Value(A))),
            pair(B, Value(A), Some(Value(A))),
        ];
        let score = pairwise(&pairs);
        assert_eq!(score.accuracy_original, Some(0.5));
        assert_eq!(score.accuracy_swapped, Some(0.5));
        assert_eq!(score.consistent_accuracy, Some(0.0));
        assert_eq!(score.consistency, Some(0.0));
        assert_eq!(score.flips, 2);
        assert_eq!(score.first_position_share, Some(1.0));
    }

    #[test]
    fn failing_in_both_orders_is_not_consistency() {
        // Two failures are not two verdicts for the same response: 0 of 1 consistent, 2 failures.
        let score = pairwise(&[pair(A, Failed, Some(Failed))]);
        assert_eq!(score.consistency, Some(0.0));
        assert_eq!(score.consistent_accuracy, Some(0.0));
        assert_eq!((score.flips, score.n_failed), (0, 2));
        assert_eq!(score.first_position_share, None);
    }

    #[test]
    fn without_swaps_the_swap_metrics_are_undefined() {
        let score = pairwise(&[pair(A, Value(A), None)]);
        assert_eq!(score.accuracy_original, Some(1.0));
        assert_eq!(score.accuracy_swapped, None);
        assert_eq!(score.consistent_accuracy, None);
        assert_eq!(score.consistency, None);
        assert_eq!(pairwise(&[]).accuracy_original, None);
    }

    fn any_side() -> impl Strategy<Value = Side> {
        prop_oneof![Just(A), Just(B)]
    }

    fn any_verdict() -> impl Strategy<Value = Predicted<Side>> {
        prop_oneof![
            4 => any_side().prop_map(Value),
            1 => Just(Failed),
        ]
    }

    fn any_judged_twice() -> impl Strategy<Value = PairVerdicts> {
        (any_side(), any_verdict(), any_verdict())
            .prop_map(|(gold, original, swapped)| pair(gold, original, Some(swapped)))
    }

    proptest! {
        #[test]
        fn exchanging_orders_twice_is_identity(pairs in prop::collection::vec(any_judged_twice(), 0..40)) {
            let twice: Vec<PairVerdicts> = pairs
                .iter()
                .filter_map(PairVerdicts::orders_exchanged)
                .filter_map(|p| p.orders_exchanged())
                .collect();
            prop_assert_eq!(&twice, &pairs);
            prop_assert_eq!(pairwise(&twice), pairwise(&pairs));
        }

        #[test]
        fn which_order_is_called_original_does_not_change_the_protocol_scores(
            pairs in prop::collection::vec(any_judged_twice(), 0..40)
        ) {
            let exchanged: Vec<PairVerdicts> =
                pairs.iter().filter_map(PairVerdicts::orders_exchanged).collect();
            let score = pairwise(&pairs);
            let other = pairwise(&exchanged);
            prop_assert_eq!(other.accuracy_original, score.accuracy_swapped);
            prop_assert_eq!(other.accuracy_swapped, score.accuracy_original);
            prop_assert_eq!(other.consistent_accuracy, score.consistent_accuracy);
            prop_assert_eq!(other.consistency, score.consistency);
            prop_assert_eq!(other.flips, score.flips);
            prop_assert_eq!(other.first_position_share, score.first_position_share);
            prop_assert_eq!(other.n_failed, score.n_failed);
        }
    }
}
