//! Agreement between annotators: Cohen's kappa and Krippendorff's alpha.
//!
//! Kappa compares two annotators who labelled the same samples. Alpha handles any number of
//! annotators and missing labels: each unit (sample) is the list of labels the annotators who
//! saw it gave, in any order. Units with fewer than two labels cannot be compared with anything
//! and are dropped, as Krippendorff prescribes. Alpha comes at three levels of measurement:
//! nominal (labels are just different), ordinal (labels are ordered, distances follow how many
//! labels lie between) and interval (labels are numbers, distance is the squared difference).
//!
//! The numbers match scikit-learn's `cohen_kappa_score` and the `krippendorff` Python package;
//! `tests/metrics_reference.rs` checks them against a fixture those libraries produced.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The two annotators' label lists have different lengths, so they cannot be paired by sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("cannot compare {first} labels with {second}: both annotators must label the same samples")]
pub struct LengthMismatch {
    /// Labels of the first annotator.
    pub first: usize,
    /// Labels of the second annotator.
    pub second: usize,
}

/// Cohen's kappa (unweighted) between two annotators; `first[i]` and `second[i]` label the same
/// sample.
///
/// `Ok(None)` when kappa is undefined: no samples, or agreement by chance is certain because
/// both annotators gave every sample one and the same label. scikit-learn returns `NaN` there
/// (its `replace_undefined_by` default); saying 1.0 would claim agreement beyond chance that the
/// data cannot show. `Err` when the lengths differ, which is a mistake of the caller.
pub fn cohen_kappa<T: Ord>(first: &[T], second: &[T]) -> Result<Option<f64>, LengthMismatch> {
    if first.len() != second.len() {
        return Err(LengthMismatch {
            first: first.len(),
            second: second.len(),
        });
    }
    let n = first.len();
    let agreements = first.iter().zip(second).filter(|(a, b)| a == b).count();
    let first_counts = counts(first);
    let second_counts = counts(second);
    // Pairs (sample of the first annotator, sample of the second) that share a label: n² times
    // the agreement expected by chance.
    let chance_pairs: usize = first_counts
        .iter()
        .map(|(label, count)| count * second_counts.get(label).copied().unwrap_or(0))
        .sum();
    // kappa = 1 - observed disagreement / disagreement expected by chance, both scaled by n².
    let observed = (n * (n - agreements)) as f64;
    let expected = (n * n - chance_pairs) as f64;
    if expected == 0.0 {
        return Ok(None);
    }
    Ok(Some(1.0 - observed / expected))
}

fn counts<T: Ord>(labels: &[T]) -> BTreeMap<&T, usize> {
    let mut counts = BTreeMap::new();
    for label in labels {
        *counts.entry(label).or_insert(0) += 1;
    }
    counts
}

/// Krippendorff's alpha for nominal labels: two labels either agree or not.
///
/// `None` when undefined: no unit has two labels, or the paired labels do not vary (expected
/// disagreement is zero; the `krippendorff` package fails or returns `NaN` there).
pub fn krippendorff_alpha_nominal<T: Ord>(units: &[Vec<T>]) -> Option<f64> {
    let coded = Coded::new(units);
    alpha(&coded.units, coded.values.len(), |c, k, _| {
        if c == k { 0.0 } else { 1.0 }
    })
}

/// Krippendorff's alpha for ordered labels (such as ratings treated as ranks).
///
/// The distance between two labels grows with how many paired labels lie between them, so only
/// the order of the labels matters, not their spacing. `None` as for
/// [`krippendorff_alpha_nominal`].
pub fn krippendorff_alpha_ordinal<T: Ord>(units: &[Vec<T>]) -> Option<f64> {
    let coded = Coded::new(units);
    alpha(&coded.units, coded.values.len(), |c, k, totals| {
        let (low, high) = (c.min(k), c.max(k));
        let between: f64 = totals[low..=high].iter().sum();
        (between - f64::midpoint(totals[c], totals[k])).powi(2)
    })
}

/// Krippendorff's alpha for numbers on an interval scale: the distance between two labels is
/// their squared difference.
///
/// `NaN` values count as missing labels. `None` as for [`krippendorff_alpha_nominal`], and when
/// a value is infinite.
pub fn krippendorff_alpha_interval(units: &[Vec<f64>]) -> Option<f64> {
    let mut values: Vec<f64> = units
        .iter()
        .flatten()
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| a.total_cmp(b).is_eq());
    let coded: Vec<Vec<usize>> = units
        .iter()
        .map(|unit| {
            unit.iter()
                .filter(|v| !v.is_nan())
                .map(|v| values.partition_point(|known| known.total_cmp(v).is_lt()))
                .collect()
        })
        .collect();
    alpha(&coded, values.len(), |c, k, _| {
        (values[c] - values[k]).powi(2)
    })
}

/// Units with labels replaced by their index among the sorted distinct labels.
struct Coded<'a, T> {
    values: Vec<&'a T>,
    units: Vec<Vec<usize>>,
}

impl<'a, T: Ord> Coded<'a, T> {
    fn new(units: &'a [Vec<T>]) -> Self {
        let values: Vec<&T> = units
            .iter()
            .flatten()
            .collect::<BTreeSet<&T>>()
            .into_iter()
            .collect();
        let units = units
            .iter()
            .map(|unit| {
                unit.iter()
                    .map(|label| values.partition_point(|known| *known < label))
                    .collect()
            })
            .collect();
        Coded { values, units }
    }
}

/// Krippendorff's alpha from units of coded labels (`0..value_count`).
///
/// `distance(c, k, totals)` is the metric δ²(c, k); `totals[c]` is how many paired labels have
/// value `c` (the ordinal metric needs them).
///
/// alpha = 1 - D_o / D_e, with the coincidence matrix `o[c][k]` = Σ over units of the ordered
/// pairs of labels (c, k) from different annotators, each divided by the unit's label count
/// minus one; D_o = Σ o[c][k] δ²(c, k) and D_e = Σ n_c (n_k - [c = k]) δ²(c, k) / (n - 1).
fn alpha(
    units: &[Vec<usize>],
    value_count: usize,
    distance: impl Fn(usize, usize, &[f64]) -> f64,
) -> Option<f64> {
    let mut coincidences = vec![vec![0.0; value_count]; value_count];
    for unit in units.iter().filter(|unit| unit.len() >= 2) {
        let weight = 1.0 / (unit.len() - 1) as f64;
        for (i, &c) in unit.iter().enumerate() {
            for (j, &k) in unit.iter().enumerate() {
                if i != j {
                    coincidences[c][k] += weight;
                }
            }
        }
    }
    let totals: Vec<f64> = coincidences.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = totals.iter().sum();
    if n == 0.0 {
        return None;
    }
    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..value_count {
        for k in 0..value_count {
            let d = distance(c, k, &totals);
            observed += coincidences[c][k] * d;
            let same = if c == k { 1.0 } else { 0.0 };
            expected += totals[c] * (totals[k] - same) * d;
        }
    }
    expected /= n - 1.0;
    let alpha = 1.0 - observed / expected;
    (expected > 0.0 && alpha.is_finite()).then_some(alpha)
}

/// How alpha measures the distance between two labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Labels are equal or not (A/B, correct/incorrect, the first wrong step).
    Nominal,
    /// Labels are numbers and the distance is their squared difference (ratings).
    Interval,
}

/// Cohen's kappa of two annotators over the samples both labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PairAgreement {
    /// One annotator (the first by name).
    pub first: String,
    /// The other.
    pub second: String,
    /// Samples both labelled: what kappa is over.
    pub items: usize,
    /// Of which they gave the same label.
    pub agreed: usize,
    /// Cohen's kappa; `None` when undefined (no shared samples, or one label everywhere).
    pub kappa: Option<f64>,
}

/// Agreement among the annotators of a group of samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Agreement {
    /// Annotators who labelled at least one sample of the group, by name.
    pub annotators: Vec<String>,
    /// Samples with at least one label.
    pub labelled: usize,
    /// Samples with two or more labels: what alpha is over.
    pub compared: usize,
    /// Of those, samples where every label is the same.
    pub unanimous: usize,
    /// How alpha measured distances.
    pub level: Level,
    /// Krippendorff's alpha over all annotators; `None` when undefined.
    pub alpha: Option<f64>,
    /// Cohen's kappa of each pair of annotators who share a sample, ordered by names.
    pub pairs: Vec<PairAgreement>,
}

/// Agreement among annotators: `samples[i]` holds the (annotator, label) pairs of one sample,
/// one per annotator. For [`Level::Interval`], `number` gives a label's value; a label without
/// one counts as missing.
pub fn agreement<T: Ord + Clone>(
    samples: &[Vec<(String, T)>],
    level: Level,
    number: impl Fn(&T) -> Option<f64>,
) -> Agreement {
    let annotators: Vec<String> = samples
        .iter()
        .flatten()
        .map(|(who, _)| who.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let labelled = samples.iter().filter(|s| !s.is_empty()).count();
    let compared = samples.iter().filter(|s| s.len() >= 2).count();
    let unanimous = samples
        .iter()
        .filter(|s| s.len() >= 2 && s.iter().all(|(_, l)| *l == s[0].1))
        .count();
    let alpha = match level {
        Level::Nominal => {
            let units: Vec<Vec<&T>> = samples
                .iter()
                .map(|s| s.iter().map(|(_, l)| l).collect())
                .collect();
            krippendorff_alpha_nominal(&units)
        }
        Level::Interval => {
            let units: Vec<Vec<f64>> = samples
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|(_, l)| number(l).unwrap_or(f64::NAN))
                        .collect()
                })
                .collect();
            krippendorff_alpha_interval(&units)
        }
    };
    let mut pairs = Vec::new();
    for (i, first) in annotators.iter().enumerate() {
        for second in &annotators[i + 1..] {
            let (a, b): (Vec<&T>, Vec<&T>) = samples
                .iter()
                .filter_map(|s| {
                    let of = |who: &String| s.iter().find(|(w, _)| w == who).map(|(_, l)| l);
                    Some((of(first)?, of(second)?))
                })
                .unzip();
            if a.is_empty() {
                continue;
            }
            let agreed = a.iter().zip(&b).filter(|(x, y)| x == y).count();
            pairs.push(PairAgreement {
                first: first.clone(),
                second: second.clone(),
                items: a.len(),
                agreed,
                kappa: cohen_kappa(&a, &b).ok().flatten(),
            });
        }
    }
    Agreement {
        annotators,
        labelled,
        compared,
        unanimous,
        level,
        alpha,
        pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn hand_worked_kappa() {
        // first  a a b b c    counts a 2, b 2, c 1
        // second a b b b c    counts a 1, b 3, c 1
        // observed agreement 4/5; chance (2*1 + 2*3 + 1*1) / 25 = 9/25;
        // kappa = (4/5 - 9/25) / (1 - 9/25) = (11/25) / (16/25) = 11/16.
        let first = ["a", "a", "b", "b", "c"];
        let second = ["a", "b", "b", "b", "c"];
        assert!(close(
            cohen_kappa(&first, &second).ok().flatten(),
            11.0 / 16.0
        ));
    }

    #[test]
    fn kappa_degenerate_cases() {
        // One shared label everywhere: chance agreement is certain, kappa undefined.
        assert_eq!(cohen_kappa(&[1, 1, 1], &[1, 1, 1]), Ok(None));
        assert_eq!(cohen_kappa::<u8>(&[], &[]), Ok(None));
        // Each annotator constant but different: agreement 0, chance 0, kappa 0.
        assert_eq!(cohen_kappa(&[1, 1], &[2, 2]), Ok(Some(0.0)));
        assert_eq!(
            cohen_kappa(&[1, 2], &[1]),
            Err(LengthMismatch {
                first: 2,
                second: 1
            })
        );
    }

    #[test]
    fn hand_worked_alpha() {
        // Units (1,1) (1,2) (3,3) and (2), which has one label and is dropped.
        // Coincidences: o11 = 2, o12 = o21 = 1, o33 = 2; totals n1 = 3, n2 = 1, n3 = 2, n = 6.
        // Nominal:  D_o = 2; D_e = 2 (3*1 + 3*2 + 1*2) / 5 = 22/5; alpha = 1 - 10/22 = 6/11.
        // Interval: δ² 12 = 1, 13 = 4, 23 = 1; D_o = 2;
        //           D_e = 2 (3*1*1 + 3*2*4 + 1*2*1) / 5 = 58/5; alpha = 1 - 10/58 = 24/29.
        // Ordinal:  δ² 12 = (3+1 - 4/2)² = 4, 13 = (3+1+2 - 5/2)² = 49/4, 23 = (1+2 - 3/2)² = 9/4;
        //           D_o = 2 * 4 = 8; D_e = 2 (3*1*4 + 3*2*49/4 + 1*2*9/4) / 5 = 36;
        //           alpha = 1 - 8/36 = 7/9.
        let units = vec![vec![1, 1], vec![1, 2], vec![3, 3], vec![2]];
        assert!(close(krippendorff_alpha_nominal(&units), 6.0 / 11.0));
        assert!(close(krippendorff_alpha_ordinal(&units), 7.0 / 9.0));
        let numbers: Vec<Vec<f64>> = units
            .iter()
            .map(|unit| unit.iter().map(|&v| f64::from(v)).collect())
            .collect();
        assert!(close(krippendorff_alpha_interval(&numbers), 24.0 / 29.0));
    }

    #[test]
    fn krippendorffs_published_example() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 coders × 12 units
        // with missing values (here dropped from each unit): nominal 0.743, ordinal 0.815,
        // interval 0.849.
        let units: Vec<Vec<u8>> = vec![
            vec![1, 1, 1],
            vec![2, 2, 3, 2],
            vec![3, 3, 3, 3],
            vec![3, 3, 3, 3],
            vec![2, 2, 2, 2],
            vec![1, 2, 3, 4],
            vec![4, 4, 4, 4],
            vec![1, 1, 2, 1],
            vec![2, 2, 2, 2],
            vec![5, 5, 5],
            vec![1, 1],
            vec![3],
        ];
        let round = |a: Option<f64>| a.map(|a| (a * 1000.0).round() / 1000.0);
        assert_eq!(round(krippendorff_alpha_nominal(&units)), Some(0.743));
        assert_eq!(round(krippendorff_alpha_ordinal(&units)), Some(0.815));
        let numbers: Vec<Vec<f64>> = units
            .iter()
            .map(|unit| unit.iter().map(|&v| f64::from(v)).collect())
            .collect();
        assert_eq!(round(krippendorff_alpha_interval(&numbers)), Some(0.849));
    }

    #[test]
    fn alpha_degenerate_cases() {
        assert_eq!(krippendorff_alpha_nominal::<u8>(&[]), None);
        assert_eq!(krippendorff_alpha_nominal(&[vec![1], vec![2]]), None);
        assert_eq!(krippendorff_alpha_nominal(&[vec![1, 1], vec![1, 1]]), None);
        // Variation only in an unpairable unit is no variation.
        assert_eq!(krippendorff_alpha_ordinal(&[vec![1, 1], vec![2]]), None);
        assert_eq!(
            krippendorff_alpha_interval(&[vec![1.0, f64::NAN], vec![2.0, 2.0], vec![1.0, 1.0]]),
            Some(1.0)
        );
        assert_eq!(
            krippendorff_alpha_interval(&[vec![1.0, f64::INFINITY], vec![2.0, 3.0]]),
            None
        );
    }

    #[test]
    fn agreement_of_three_annotators_worked_by_hand() {
        // Five samples, labels A/B:
        //   s1 ana A, ben A, cy A
        //   s2 ana A, ben B, cy A
        //   s3 ana B, ben B
        //   s4 ana B, ben A, cy B
        //   s5 ana A            (one label: counted as labelled, not compared)
        // Kappa ana-ben over s1..s4 (4 shared): ana A A B B, ben A B B A.
        //   observed agreement 2/4; ana's counts A 2, B 2; ben's A 2, B 2;
        //   chance (2*2 + 2*2) / 16 = 1/2; kappa = (1/2 - 1/2) / (1 - 1/2) = 0.
        // Kappa ana-cy over s1, s2, s4 (3 shared): ana A A B, cy A A B: agreement 1,
        //   chance (2*2 + 1*1) / 9 = 5/9; kappa = (1 - 5/9) / (1 - 5/9) = 1.
        // Kappa ben-cy over s1, s2, s4: ben A B A, cy A A B: agreement 1/3; ben A 2, B 1;
        //   cy A 2, B 1; chance 5/9; kappa = (1/3 - 5/9) / (4/9) = -1/2.
        // Alpha (nominal) over s1..s4. Coincidences, each pair weighted 1/(m-1):
        //   s1 (A,A,A), m=3: 6 ordered pairs AA, weight 1/2: o_AA += 3.
        //   s2 (A,B,A), m=3: AA 2 pairs, AB 2, BA 2, weight 1/2: o_AA += 1, o_AB += 1, o_BA += 1.
        //   s3 (B,B), m=2: o_BB += 2.
        //   s4 (B,A,B), m=3: BB 2, AB 2, BA 2, weight 1/2: o_BB += 1, o_AB += 1, o_BA += 1.
        //   o_AA = 4, o_AB = o_BA = 2, o_BB = 3; n_A = 6, n_B = 5, n = 11.
        //   D_o = o_AB + o_BA = 4; D_e = (n_A n_B + n_B n_A) / (n - 1) = 60/10 = 6;
        //   alpha = 1 - 4/6 = 1/3.
        let s = |labels: &[(&str, &str)]| -> Vec<(String, String)> {
            labels
                .iter()
                .map(|(w, l)| ((*w).to_owned(), (*l).to_owned()))
                .collect()
        };
        let samples = vec![
            s(&[("ana", "A"), ("ben", "A"), ("cy", "A")]),
            s(&[("ana", "A"), ("ben", "B"), ("cy", "A")]),
            s(&[("ana", "B"), ("ben", "B")]),
            s(&[("ana", "B"), ("ben", "A"), ("cy", "B")]),
            s(&[("ana", "A")]),
        ];
        let a = agreement(&samples, Level::Nominal, |_| None);
        assert_eq!(a.annotators, ["ana", "ben", "cy"]);
        assert_eq!((a.labelled, a.compared, a.unanimous), (5, 4, 2));
        assert!(close(a.alpha, 1.0 / 3.0), "{:?}", a.alpha);
        let pair = |x: &str, y: &str| {
            a.pairs
                .iter()
                .find(|p| p.first == x && p.second == y)
                .unwrap()
        };
        assert_eq!(
            (pair("ana", "ben").items, pair("ana", "ben").agreed),
            (4, 2)
        );
        assert!(close(pair("ana", "ben").kappa, 0.0));
        assert_eq!(pair("ana", "cy").items, 3);
        assert!(close(pair("ana", "cy").kappa, 1.0));
        assert!(close(pair("ben", "cy").kappa, -0.5));
    }

    #[test]
    fn interval_agreement_of_ratings() {
        // Ratings: s1 (1, 1), s2 (1, 2), s3 (3, 3): the hand-worked interval alpha above
        // (24/29) with the unpaired unit left out; one pair, kappa over 3 samples:
        // agreement 2/3, counts x: 1 2, 3 1; y: 1 1, 2 1, 3 1; chance (2*1 + 1*1)/9 = 1/3;
        // kappa = (2/3 - 1/3) / (2/3) = 1/2.
        let samples: Vec<Vec<(String, i32)>> = [(1, 1), (1, 2), (3, 3)]
            .iter()
            .map(|&(x, y)| vec![("x".to_owned(), x), ("y".to_owned(), y)])
            .collect();
        let a = agreement(&samples, Level::Interval, |v| Some(f64::from(*v)));
        assert!(close(a.alpha, 24.0 / 29.0), "{:?}", a.alpha);
        assert!(close(a.pairs[0].kappa, 0.5));
    }

    fn labels() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(0u8..4, 1..60)
    }

    fn units() -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(prop::collection::vec(0u8..4, 0..5), 0..40)
    }

    proptest! {
        #[test]
        fn kappa_of_identical_varied_labels_is_one(labels in labels()) {
            let varied = labels.iter().any(|l| *l != labels[0]);
            prop_assert_eq!(cohen_kappa(&labels, &labels), Ok(varied.then_some(1.0)));
        }

        #[test]
        fn kappa_is_symmetric_and_at_most_one(pairs in prop::collection::vec((0u8..4, 0u8..4), 1..60)) {
            let (first, second): (Vec<u8>, Vec<u8>) = pairs.into_iter().unzip();
            let forward = cohen_kappa(&first, &second);
            prop_assert_eq!(forward, cohen_kappa(&second, &first));
            if let Ok(Some(kappa)) = forward {
                prop_assert!((-1.0..=1.0 + 1e-12).contains(&kappa));
            }
        }

        #[test]
        fn nominal_alpha_lies_between_minus_one_and_one(units in units()) {
            if let Some(alpha) = krippendorff_alpha_nominal(&units) {
                prop_assert!((-1.0..=1.0 + 1e-12).contains(&alpha), "alpha {}", alpha);
            }
        }

        #[test]
        fn perfect_agreement_gives_alpha_one(
            values in prop::collection::vec((0u8..4, 2usize..5), 2..30)
        ) {
            let units: Vec<Vec<u8>> = values.iter().map(|&(v, coders)| vec![v; coders]).collect();
            let varied = values.iter().any(|(v, _)| *v != values[0].0);
            let expected = varied.then_some(1.0);
            prop_assert_eq!(krippendorff_alpha_nominal(&units), expected);
            prop_assert_eq!(krippendorff_alpha_ordinal(&units), expected);
            let numbers: Vec<Vec<f64>> = units
                .iter()
                .map(|unit| unit.iter().map(|&v| f64::from(v)).collect())
                .collect();
            prop_assert_eq!(krippendorff_alpha_interval(&numbers), expected);
        }
    }
}
