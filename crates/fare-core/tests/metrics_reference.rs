//! Checks the metrics against reference values from the libraries people trust.
//!
//! `fixtures/metrics_reference.json` holds fixed inputs and the numbers scikit-learn, SciPy, the
//! `krippendorff` package and the official ProcessBench formula give for them. It is written by
//! `tests/reference/metrics_reference.py` at the repository root (its header says how to run
//! it); this test only reads the committed file, so it needs no Python.

use std::collections::BTreeMap;

use fare_core::Correctness;
use fare_core::metrics::{
    Predicted, RatingVerdicts, StepVerdicts, VerificationVerdicts, cohen_kappa,
    krippendorff_alpha_interval, krippendorff_alpha_nominal, krippendorff_alpha_ordinal, mean_f1,
    processbench, rating, verification,
};
use serde::Deserialize;

const FIXTURE: &str = include_str!("fixtures/metrics_reference.json");
const TOLERANCE: f64 = 1e-9;

/// The parts of the fixture this test reads. In the fixture, a `null` verdict is a failure and a
/// `null` expected value is undefined.
#[derive(Deserialize)]
struct Fixture {
    processbench: ProcessBenchCases,
    verification: Vec<VerificationCase>,
    rating: Vec<RatingCase>,
    cohen_kappa: Vec<KappaCase>,
    krippendorff_alpha: Vec<AlphaCase>,
}

#[derive(Deserialize)]
struct ProcessBenchCases {
    splits: Vec<ProcessBenchSplit>,
    mean_f1: f64,
}

#[derive(Deserialize)]
struct ProcessBenchSplit {
    name: String,
    samples: Vec<StepSample>,
    expected: ProcessBenchExpected,
}

#[derive(Deserialize)]
struct StepSample {
    gold: i64,
    predicted: Option<i64>,
    step_count: usize,
}

#[derive(Deserialize)]
struct ProcessBenchExpected {
    n_erroneous: usize,
    n_correct: usize,
    error_accuracy: Option<f64>,
    correct_accuracy: Option<f64>,
    f1: Option<f64>,
}

#[derive(Deserialize)]
struct VerificationCase {
    name: String,
    gold: Vec<Correctness>,
    predicted: Vec<Option<Correctness>>,
    expected: VerificationExpected,
}

#[derive(Deserialize)]
struct VerificationExpected {
    accuracy: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
    f1: Option<f64>,
    correct_precision: Option<f64>,
    correct_recall: Option<f64>,
    correct_f1: Option<f64>,
    macro_f1: Option<f64>,
    /// Rows gold correct / incorrect; columns predicted correct / incorrect / failed.
    confusion: [[usize; 3]; 2],
}

#[derive(Deserialize)]
struct RatingCase {
    name: String,
    gold: Vec<i32>,
    predicted: Vec<Option<i32>>,
    expected: RatingExpected,
}

#[derive(Deserialize)]
struct RatingExpected {
    mae: Option<f64>,
    spearman: Option<f64>,
    pearson: Option<f64>,
    exact_agreement: Option<f64>,
}

#[derive(Deserialize)]
struct KappaCase {
    name: String,
    first: Vec<i64>,
    second: Vec<i64>,
    expected: Option<f64>,
}

#[derive(Deserialize)]
struct AlphaCase {
    name: String,
    /// Coders × units, `null` where a coder did not label a unit (the `krippendorff` layout).
    reliability_data: Vec<Vec<Option<serde_json::Number>>>,
    /// Alpha by level of measurement, for the levels the case was computed at.
    expected: BTreeMap<String, Option<f64>>,
}

fn fixture() -> Fixture {
    serde_json::from_str(FIXTURE).expect("the committed fixture parses")
}

#[track_caller]
fn assert_close(what: &str, ours: Option<f64>, reference: Option<f64>) {
    match (ours, reference) {
        (None, None) => {}
        (Some(a), Some(b)) if (a - b).abs() <= TOLERANCE => {}
        _ => panic!("{what}: ours {ours:?}, reference {reference:?}"),
    }
}

fn predicted<T>(value: Option<T>) -> Predicted<T> {
    value.map_or(Predicted::Failed, Predicted::Value)
}

/// A step index as ProcessBench writes it (`-1` for no error) in our form.
fn step(index: i64) -> Option<u32> {
    if index == -1 {
        None
    } else {
        Some(u32::try_from(index).expect("step indexes in the fixture are -1 or from 0"))
    }
}

#[test]
fn processbench_matches_the_official_formula() {
    let cases = fixture().processbench;
    let mut scores = Vec::new();
    for split in &cases.splits {
        let samples: Vec<StepVerdicts> = split
            .samples
            .iter()
            .map(|s| StepVerdicts {
                gold: step(s.gold),
                predicted: predicted(s.predicted).map(step),
                step_count: s.step_count,
            })
            .collect();
        let score = processbench(&samples);
        let expected = &split.expected;
        let name = &split.name;
        assert_eq!(score.n_erroneous, expected.n_erroneous, "{name}");
        assert_eq!(score.n_correct, expected.n_correct, "{name}");
        assert_close(
            &format!("{name} error accuracy"),
            score.error_accuracy,
            expected.error_accuracy,
        );
        assert_close(
            &format!("{name} correct accuracy"),
            score.correct_accuracy,
            expected.correct_accuracy,
        );
        assert_close(&format!("{name} F1"), score.f1, expected.f1);
        scores.push(score);
    }
    assert_close("mean F1", mean_f1(&scores), Some(cases.mean_f1));
}

#[test]
fn verification_matches_scikit_learn() {
    for case in fixture().verification {
        let samples: Vec<VerificationVerdicts> = case
            .gold
            .iter()
            .zip(&case.predicted)
            .map(|(&gold, &p)| VerificationVerdicts {
                gold,
                predicted: predicted(p),
            })
            .collect();
        let score = verification(&samples);
        let expected = &case.expected;
        let name = &case.name;
        let pairs = [
            ("accuracy", score.accuracy, expected.accuracy),
            ("precision", score.precision, expected.precision),
            ("recall", score.recall, expected.recall),
            ("F1", score.f1, expected.f1),
            (
                "correct precision",
                score.correct_precision,
                expected.correct_precision,
            ),
            (
                "correct recall",
                score.correct_recall,
                expected.correct_recall,
            ),
            ("correct F1", score.correct_f1, expected.correct_f1),
            ("macro F1", score.macro_f1, expected.macro_f1),
        ];
        for (what, ours, reference) in pairs {
            assert_close(&format!("{name} {what}"), ours, reference);
        }
        let row = |counts: fare_core::metrics::verification::PredictedCounts| {
            [counts.correct, counts.incorrect, counts.failed]
        };
        let confusion = [
            row(score.confusion.gold_correct),
            row(score.confusion.gold_incorrect),
        ];
        assert_eq!(confusion, expected.confusion, "{name} confusion");
    }
}

#[test]
fn rating_matches_numpy_and_scipy() {
    for case in fixture().rating {
        let samples: Vec<RatingVerdicts> = case
            .gold
            .iter()
            .zip(&case.predicted)
            .map(|(&gold, &p)| RatingVerdicts {
                gold,
                predicted: predicted(p),
            })
            .collect();
        let score = rating(&samples);
        let expected = &case.expected;
        let name = &case.name;
        assert_close(&format!("{name} MAE"), score.mae, expected.mae);
        assert_close(
            &format!("{name} Spearman"),
            score.spearman,
            expected.spearman,
        );
        assert_close(&format!("{name} Pearson"), score.pearson, expected.pearson);
        assert_close(
            &format!("{name} exact agreement"),
            score.exact_agreement,
            expected.exact_agreement,
        );
    }
}

#[test]
fn cohen_kappa_matches_scikit_learn() {
    for case in fixture().cohen_kappa {
        let kappa = cohen_kappa(&case.first, &case.second).expect("annotators of equal length");
        assert_close(&case.name, kappa, case.expected);
    }
}

#[test]
fn krippendorff_alpha_matches_the_krippendorff_package() {
    for case in fixture().krippendorff_alpha {
        let unit_count = case.reliability_data.first().map_or(0, Vec::len);
        // Each unit: the labels of the coders who labelled it.
        let units: Vec<Vec<&serde_json::Number>> = (0..unit_count)
            .map(|u| {
                case.reliability_data
                    .iter()
                    .filter_map(|coder| coder[u].as_ref())
                    .collect()
            })
            .collect();
        let as_integers = || -> Vec<Vec<i64>> {
            units
                .iter()
                .map(|unit| {
                    unit.iter()
                        .map(|v| v.as_i64().expect("nominal and ordinal cases use integers"))
                        .collect()
                })
                .collect()
        };
        assert!(!case.expected.is_empty(), "{}: nothing expected", case.name);
        for (level, &expected) in &case.expected {
            let ours = match level.as_str() {
                "nominal" => krippendorff_alpha_nominal(&as_integers()),
                "ordinal" => krippendorff_alpha_ordinal(&as_integers()),
                "interval" => {
                    let numbers: Vec<Vec<f64>> = units
                        .iter()
                        .map(|unit| {
                            unit.iter()
                                .map(|v| v.as_f64().expect("numbers are finite"))
                                .collect()
                        })
                        .collect();
                    krippendorff_alpha_interval(&numbers)
                }
                other => panic!("{}: unknown level {other}", case.name),
            };
            assert_close(&format!("{} {level}", case.name), ours, expected);
        }
    }
}

#[test]
fn the_fixture_covers_undefined_values_too() {
    // Guards the fixture itself: the degenerate cases must stay in it, or the `None` paths above
    // would go unchecked against the references.
    let fixture = fixture();
    assert!(fixture.cohen_kappa.iter().any(|c| c.expected.is_none()));
    assert!(
        fixture
            .verification
            .iter()
            .any(|c| c.expected.precision.is_none())
    );
    assert_eq!(fixture.processbench.splits.len(), 4);
}
