//! Addressable cells of the analysis: a stable text key for every cell of a chart or table, and
//! the keys each sample falls under.
//!
//! The analysis view draws counts (a grid cell, a histogram bar, a bucket, a tag); each count
//! carries a [`CellKey`], and the same key, given back with the scope it was drawn in, names the
//! samples behind it so the UI can open them as a queue. Counting and listing use one function
//! per task ([`step_cells`], [`pair_cells`], [`verification_cell`], [`rating_cell`]), so a count
//! and the samples listed under its key cannot disagree.
//!
//! The key grammar (`<p>` a predicted value, `<g>` a reference value; `-1` is "no error" and
//! `failed` an output without a verdict):
//!
//! | key | cell |
//! |---|---|
//! | `first-error:pred=<p>:gold=<g>` | step-level grid of predicted against reference first wrong step |
//! | `position:pred=<p>:gold=<g>` | the same grid by relative position: tenths `0`–`9` of the solution's length |
//! | `bucket:<b>` | step-level bucket: `exact`, `early`, `late`, `missed-error`, `false-alarm`, `correct-no-error`, `failed` |
//! | `offset:<k>` | predicted minus reference step, where both name a step (`offset:-1`, `offset:2`) |
//! | `order:<original\|swapped>:<right\|wrong\|failed>` | pairwise: how each order's verdict fared |
//! | `swap-flip` | pairwise: the verdict changed when A and B traded places |
//! | `length:<picked-longer\|picked-shorter>` | pairwise: the original-order pick against the responses' lengths in characters |
//! | `confusion:pred=<correct\|incorrect\|failed>:gold=<correct\|incorrect>` | verification confusion table |
//! | `rating:pred=<p>:gold=<g>` | rating: predicted against reference rating |
//! | `tag:<id>` | a failure-mode tag people set |
//! | `inferred:<id>` | a failure-mode tag the app infers ([`crate::taxonomy::InferredTag`]) |
//! | `contradiction:<kind>` | two tasks on one trace disagree ([`ContradictionKind`]) |
//!
//! The "gold" of a key is the reference the analysis was computed against: the data set's
//! ground truth or the human label, whichever the request names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Predicted;
use super::first_error::{FirstErrorBucket, POSITION_BINS, classify};
use super::pairwise::{PairVerdicts, is_flip};
use super::processbench::StepVerdicts;
use super::rating::RatingVerdicts;
use super::verification::VerificationVerdicts;
use crate::taxonomy::InferredTag;
use crate::verdict::{Correctness, Side, Verdict};

/// The rating at or above which a rating calls a response good: 9 of FARE's 1–10 scale. A
/// trace rated this high while a step-level judgment finds an error in it is a contradiction.
pub const HIGH_RATING: i32 = 9;

/// Which order of a pairwise judgment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// As the data set gives A and B.
    Original,
    /// A and B exchanged.
    Swapped,
}

/// How one verdict fared against the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Fared {
    /// It equals the reference.
    Right,
    /// It differs from the reference.
    Wrong,
    /// No verdict was read.
    Failed,
}

/// Which response a pairwise pick favoured by length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum LengthPick {
    /// The pick is the response with more characters.
    PickedLonger,
    /// The pick is the response with fewer characters.
    PickedShorter,
}

/// How two tasks judged on one trace contradict each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ContradictionKind {
    /// A step-level judgment names a wrong step; a verification judgment calls the answer correct.
    ErrorButCorrect,
    /// A step-level judgment names a wrong step; a rating gives [`HIGH_RATING`] or more.
    ErrorButHighRating,
    /// A step-level judgment finds no wrong step; a verification judgment calls the answer
    /// incorrect.
    NoErrorButIncorrect,
}

impl ContradictionKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [ContradictionKind; 3] = [
        ContradictionKind::ErrorButCorrect,
        ContradictionKind::ErrorButHighRating,
        ContradictionKind::NoErrorButIncorrect,
    ];

    /// The kind's name in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            ContradictionKind::ErrorButCorrect => "error-but-correct",
            ContradictionKind::ErrorButHighRating => "error-but-high-rating",
            ContradictionKind::NoErrorButIncorrect => "no-error-but-incorrect",
        }
    }
}

/// How a step-level verdict and a verdict of another task on the same trace contradict, if they
/// do. `first_error` is the step-level verdict (`None`: no wrong step).
pub fn contradiction(first_error: Option<u32>, other: Verdict) -> Option<ContradictionKind> {
    match (first_error, other) {
        (Some(_), Verdict::Correctness(Correctness::Correct)) => {
            Some(ContradictionKind::ErrorButCorrect)
        }
        (Some(_), Verdict::Rating(r)) if r >= HIGH_RATING => {
            Some(ContradictionKind::ErrorButHighRating)
        }
        (None, Verdict::Correctness(Correctness::Incorrect)) => {
            Some(ContradictionKind::NoErrorButIncorrect)
        }
        _ => None,
    }
}

/// The key of one cell of the analysis (see the module docs for the text form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CellKey {
    /// Step-level grid cell.
    FirstError {
        /// The evaluator's first wrong step (`None`: no error).
        predicted: Predicted<Option<u32>>,
        /// The reference's.
        gold: Option<u32>,
    },
    /// Step-level grid cell by relative position (tenths of the solution).
    Position {
        /// Tenth of the evaluator's first wrong step (`None`: no error).
        predicted: Predicted<Option<u8>>,
        /// Tenth of the reference's.
        gold: Option<u8>,
    },
    /// Step-level bucket.
    Bucket(FirstErrorBucket),
    /// Predicted minus reference step.
    Offset(i64),
    /// Pairwise: how one order's verdict fared.
    Order(Order, Fared),
    /// Pairwise: the verdict flips with the order.
    SwapFlip,
    /// Pairwise: the pick against the responses' lengths.
    Length(LengthPick),
    /// Verification confusion cell.
    Confusion {
        /// The evaluator's verdict.
        predicted: Predicted<Correctness>,
        /// The reference.
        gold: Correctness,
    },
    /// Rating cell.
    Rating {
        /// The evaluator's rating.
        predicted: Predicted<i32>,
        /// The reference rating.
        gold: i32,
    },
    /// A tag people set.
    Tag(String),
    /// A tag the app infers.
    Inferred(InferredTag),
    /// A contradiction between tasks on one trace.
    Contradiction(ContradictionKind),
}

/// A key that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` is not an analysis key: {reason}")]
pub struct BadKey {
    /// The text given.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

fn step_text(step: Option<u32>) -> String {
    step.map_or_else(|| "-1".to_owned(), |s| s.to_string())
}

fn predicted_text<T>(p: Predicted<T>, text: impl FnOnce(T) -> String) -> String {
    match p {
        Predicted::Value(v) => text(v),
        Predicted::Failed => "failed".to_owned(),
    }
}

fn correctness_text(c: Correctness) -> &'static str {
    match c {
        Correctness::Correct => "correct",
        Correctness::Incorrect => "incorrect",
    }
}

impl fmt::Display for CellKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellKey::FirstError { predicted, gold } => write!(
                f,
                "first-error:pred={}:gold={}",
                predicted_text(*predicted, step_text),
                step_text(*gold)
            ),
            CellKey::Position { predicted, gold } => write!(
                f,
                "position:pred={}:gold={}",
                predicted_text(*predicted, |p| step_text(p.map(u32::from))),
                step_text(gold.map(u32::from))
            ),
            CellKey::Bucket(b) => write!(f, "bucket:{}", b.as_str()),
            CellKey::Offset(k) => write!(f, "offset:{k}"),
            CellKey::Order(order, fared) => {
                let order = match order {
                    Order::Original => "original",
                    Order::Swapped => "swapped",
                };
                let fared = match fared {
                    Fared::Right => "right",
                    Fared::Wrong => "wrong",
                    Fared::Failed => "failed",
                };
                write!(f, "order:{order}:{fared}")
            }
            CellKey::SwapFlip => f.write_str("swap-flip"),
            CellKey::Length(LengthPick::PickedLonger) => f.write_str("length:picked-longer"),
            CellKey::Length(LengthPick::PickedShorter) => f.write_str("length:picked-shorter"),
            CellKey::Confusion { predicted, gold } => write!(
                f,
                "confusion:pred={}:gold={}",
                predicted_text(*predicted, |c| correctness_text(c).to_owned()),
                correctness_text(*gold)
            ),
            CellKey::Rating { predicted, gold } => write!(
                f,
                "rating:pred={}:gold={gold}",
                predicted_text(*predicted, |r| r.to_string())
            ),
            CellKey::Tag(id) => write!(f, "tag:{id}"),
            CellKey::Inferred(tag) => write!(f, "inferred:{}", tag.id()),
            CellKey::Contradiction(kind) => write!(f, "contradiction:{}", kind.as_str()),
        }
    }
}

impl Serialize for CellKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CellKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for CellKey {
    type Err = BadKey;

    fn from_str(key: &str) -> Result<Self, BadKey> {
        let bad = |reason: &str| BadKey {
            key: key.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
        // `pred=<p>:gold=<g>`
        let pred_gold = || -> Result<(&str, &str), BadKey> {
            let (pred, gold) = rest
                .split_once(':')
                .ok_or_else(|| bad("expected `pred=…:gold=…`"))?;
            let pred = pred
                .strip_prefix("pred=")
                .ok_or_else(|| bad("expected `pred=`"))?;
            let gold = gold
                .strip_prefix("gold=")
                .ok_or_else(|| bad("expected `gold=`"))?;
            Ok((pred, gold))
        };
        let step = |text: &str| -> Result<Option<u32>, BadKey> {
            if text == "-1" {
                return Ok(None);
            }
            text.parse()
                .map(Some)
                .map_err(|_| bad("a step is a number from 0, or -1"))
        };
        let predicted = |text: &str| -> Result<Predicted<Option<u32>>, BadKey> {
            if text == "failed" {
                Ok(Predicted::Failed)
            } else {
                step(text).map(Predicted::Value)
            }
        };
        let tenth = |s: Option<u32>| -> Result<Option<u8>, BadKey> {
            s.map(|t| {
                u8::try_from(t)
                    .ok()
                    .filter(|t| usize::from(*t) < POSITION_BINS)
                    .ok_or_else(|| bad("a position is a tenth from 0 to 9, or -1"))
            })
            .transpose()
        };
        let correctness = |text: &str| match text {
            "correct" => Ok(Correctness::Correct),
            "incorrect" => Ok(Correctness::Incorrect),
            _ => Err(bad("expected `correct` or `incorrect`")),
        };
        let rating = |text: &str| -> Result<i32, BadKey> {
            text.parse().map_err(|_| bad("a rating is an integer"))
        };
        match kind {
            "first-error" => {
                let (p, g) = pred_gold()?;
                Ok(CellKey::FirstError {
                    predicted: predicted(p)?,
                    gold: step(g)?,
                })
            }
            "position" => {
                let (p, g) = pred_gold()?;
                let predicted = match predicted(p)? {
                    Predicted::Value(v) => Predicted::Value(tenth(v)?),
                    Predicted::Failed => Predicted::Failed,
                };
                Ok(CellKey::Position {
                    predicted,
                    gold: tenth(step(g)?)?,
                })
            }
            "bucket" => FirstErrorBucket::ALL
                .into_iter()
                .find(|b| b.as_str() == rest)
                .map(CellKey::Bucket)
                .ok_or_else(|| bad("no such bucket")),
            "offset" => rest
                .parse()
                .map(CellKey::Offset)
                .map_err(|_| bad("an offset is a signed integer")),
            "order" => {
                let (order, fared) = rest
                    .split_once(':')
                    .ok_or_else(|| bad("expected `order:<order>:<right|wrong|failed>`"))?;
                let order = match order {
                    "original" => Order::Original,
                    "swapped" => Order::Swapped,
                    _ => return Err(bad("the order is `original` or `swapped`")),
                };
                let fared = match fared {
                    "right" => Fared::Right,
                    "wrong" => Fared::Wrong,
                    "failed" => Fared::Failed,
                    _ => return Err(bad("expected `right`, `wrong` or `failed`")),
                };
                Ok(CellKey::Order(order, fared))
            }
            "swap-flip" if rest.is_empty() => Ok(CellKey::SwapFlip),
            "length" => match rest {
                "picked-longer" => Ok(CellKey::Length(LengthPick::PickedLonger)),
                "picked-shorter" => Ok(CellKey::Length(LengthPick::PickedShorter)),
                _ => Err(bad("expected `picked-longer` or `picked-shorter`")),
            },
            "confusion" => {
                let (p, g) = pred_gold()?;
                let predicted = if p == "failed" {
                    Predicted::Failed
                } else {
                    Predicted::Value(correctness(p)?)
                };
                Ok(CellKey::Confusion {
                    predicted,
                    gold: correctness(g)?,
                })
            }
            "rating" => {
                let (p, g) = pred_gold()?;
                let predicted = if p == "failed" {
                    Predicted::Failed
                } else {
                    Predicted::Value(rating(p)?)
                };
                Ok(CellKey::Rating {
                    predicted,
                    gold: rating(g)?,
                })
            }
            "tag" if crate::taxonomy::is_valid_tag_id(rest) => Ok(CellKey::Tag(rest.to_owned())),
            "tag" => Err(bad("a tag id is lowercase letters, digits and `-`")),
            "inferred" => InferredTag::from_id(rest)
                .map(CellKey::Inferred)
                .ok_or_else(|| bad("no tag the app infers has this id")),
            "contradiction" => ContradictionKind::ALL
                .into_iter()
                .find(|k| k.as_str() == rest)
                .map(CellKey::Contradiction)
                .ok_or_else(|| bad("no such contradiction")),
            _ => Err(bad("unknown kind of cell")),
        }
    }
}

/// The tenth of the solution a step falls in.
pub fn tenth(step: u32, step_count: usize) -> u8 {
    let bin = step as usize * POSITION_BINS / step_count.max(1);
    // At most POSITION_BINS - 1 = 9: fits.
    u8::try_from(bin.min(POSITION_BINS - 1)).unwrap_or(u8::MAX)
}

/// Emits the cells a step-level sample falls in: its grid cell, its position cell, its bucket,
/// and its offset when both name a step.
pub fn step_cells(sample: &StepVerdicts, emit: &mut impl FnMut(CellKey)) {
    emit(CellKey::FirstError {
        predicted: sample.predicted,
        gold: sample.gold,
    });
    emit(CellKey::Position {
        predicted: sample
            .predicted
            .map(|p| p.map(|s| tenth(s, sample.step_count))),
        gold: sample.gold.map(|g| tenth(g, sample.step_count)),
    });
    emit(CellKey::Bucket(classify(sample)));
    if let (Some(gold), Predicted::Value(Some(predicted))) = (sample.gold, sample.predicted) {
        emit(CellKey::Offset(i64::from(predicted) - i64::from(gold)));
    }
}

fn fared(predicted: Predicted<Side>, gold: Side) -> Fared {
    match predicted {
        Predicted::Value(side) if side == gold => Fared::Right,
        Predicted::Value(_) => Fared::Wrong,
        Predicted::Failed => Fared::Failed,
    }
}

/// Emits the cells a pairwise sample falls in: how each judged order fared, whether it flipped,
/// and, when the two responses differ in length (`lengths`: characters of A and B), whether the
/// original-order pick is the longer one.
pub fn pair_cells(
    pair: &PairVerdicts,
    lengths: Option<(u32, u32)>,
    emit: &mut impl FnMut(CellKey),
) {
    emit(CellKey::Order(
        Order::Original,
        fared(pair.original, pair.gold),
    ));
    if let Some(swapped) = pair.swapped_in_original_order() {
        emit(CellKey::Order(Order::Swapped, fared(swapped, pair.gold)));
    }
    if is_flip(pair) {
        emit(CellKey::SwapFlip);
    }
    if let Some(pick) = length_pick(pair.original, lengths) {
        emit(CellKey::Length(pick));
    }
}

/// Whether `picked` is the longer or the shorter response; `None` for a failure, unknown
/// lengths or responses of equal length.
pub fn length_pick(picked: Predicted<Side>, lengths: Option<(u32, u32)>) -> Option<LengthPick> {
    let (a, b) = lengths?;
    let Predicted::Value(side) = picked else {
        return None;
    };
    let longer = match a.cmp(&b) {
        std::cmp::Ordering::Greater => Side::A,
        std::cmp::Ordering::Less => Side::B,
        std::cmp::Ordering::Equal => return None,
    };
    Some(if side == longer {
        LengthPick::PickedLonger
    } else {
        LengthPick::PickedShorter
    })
}

/// The cell of a verification sample.
pub fn verification_cell(sample: &VerificationVerdicts) -> CellKey {
    CellKey::Confusion {
        predicted: sample.predicted,
        gold: sample.gold,
    }
}

/// The cell of a rating sample.
pub fn rating_cell(sample: &RatingVerdicts) -> CellKey {
    CellKey::Rating {
        predicted: sample.predicted,
        gold: sample.gold,
    }
}

/// Length bias of pairwise picks: how often the original-order verdict picks the response with
/// more characters, over the pairs whose responses differ in length and whose verdict was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LengthBias {
    /// Pairs counted: a verdict was read and A and B differ in length.
    pub n: usize,
    /// Of them, picks of the longer response (cell `length:picked-longer`).
    pub picked_longer: usize,
    /// `picked_longer / n`: 0.5 is no length bias; `None` without pairs.
    pub longer_share: Option<f64>,
    /// Pairs counted whose reference prefers the longer response.
    pub n_reference_longer: usize,
    /// Accuracy on those.
    pub accuracy_reference_longer: Option<f64>,
    /// Pairs counted whose reference prefers the shorter response.
    pub n_reference_shorter: usize,
    /// Accuracy on those.
    pub accuracy_reference_shorter: Option<f64>,
}

/// Computes the length bias of `pairs`, each with its responses' lengths (characters of A, B).
pub fn length_bias(pairs: &[(PairVerdicts, Option<(u32, u32)>)]) -> LengthBias {
    let mut bias = LengthBias::default();
    let (mut right_longer, mut right_shorter) = (0, 0);
    for (pair, lengths) in pairs {
        let Some(pick) = length_pick(pair.original, *lengths) else {
            continue;
        };
        bias.n += 1;
        bias.picked_longer += usize::from(pick == LengthPick::PickedLonger);
        let right = pair.original == Predicted::Value(pair.gold);
        // The reference prefers the longer response when the pick and the reference agree on
        // length: a right pick of the longer one, or a wrong pick of the shorter one.
        let reference_longer = (pick == LengthPick::PickedLonger) == right;
        if reference_longer {
            bias.n_reference_longer += 1;
            right_longer += usize::from(right);
        } else {
            bias.n_reference_shorter += 1;
            right_shorter += usize::from(right);
        }
    }
    bias.longer_share = super::ratio(bias.picked_longer, bias.n);
    bias.accuracy_reference_longer = super::ratio(right_longer, bias.n_reference_longer);
    bias.accuracy_reference_shorter = super::ratio(right_shorter, bias.n_reference_shorter);
    bias
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_key_reads_back_as_written() {
        let keys = [
            CellKey::FirstError {
                predicted: Predicted::Value(Some(3)),
                gold: Some(5),
            },
            CellKey::FirstError {
                predicted: Predicted::Failed,
                gold: None,
            },
            CellKey::Position {
                predicted: Predicted::Value(None),
                gold: Some(9),
            },
            CellKey::Bucket(FirstErrorBucket::MissedError),
            CellKey::Offset(-1),
            CellKey::Order(Order::Swapped, Fared::Failed),
            CellKey::SwapFlip,
            CellKey::Length(LengthPick::PickedShorter),
            CellKey::Confusion {
                predicted: Predicted::Failed,
                gold: Correctness::Incorrect,
            },
            CellKey::Rating {
                predicted: Predicted::Value(-2),
                gold: 10,
            },
            CellKey::Tag("my-tag".into()),
            CellKey::Inferred(InferredTag::PositionBias),
            CellKey::Contradiction(ContradictionKind::ErrorButHighRating),
        ];
        for key in keys {
            let text = key.to_string();
            assert_eq!(text.parse::<CellKey>(), Ok(key.clone()), "{text}");
        }
        assert_eq!(
            CellKey::FirstError {
                predicted: Predicted::Value(Some(3)),
                gold: Some(5)
            }
            .to_string(),
            "first-error:pred=3:gold=5"
        );
        assert_eq!(
            CellKey::Bucket(FirstErrorBucket::Late).to_string(),
            "bucket:late"
        );
        assert_eq!(CellKey::Offset(-1).to_string(), "offset:-1");
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        for bad in [
            "",
            "first-error:3:5",
            "first-error:pred=x:gold=1",
            "position:pred=10:gold=1",
            "bucket:sideways",
            "offset:one",
            "order:reversed:right",
            "swap-flip:1",
            "confusion:pred=maybe:gold=correct",
            "tag:Not Valid",
            "inferred:style-bias",
            "nonsense:1",
        ] {
            let e = bad.parse::<CellKey>().expect_err(bad);
            assert_eq!(e.key, bad);
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn step_cells_by_hand() {
        // gold step 1 of 4, predicted 3: grid (3, 1); tenths 1*10/4 = 2 and 3*10/4 = 7; late;
        // offset 3 - 1 = +2.
        let mut keys = Vec::new();
        step_cells(
            &StepVerdicts {
                gold: Some(1),
                predicted: Predicted::Value(Some(3)),
                step_count: 4,
            },
            &mut |k| keys.push(k.to_string()),
        );
        assert_eq!(
            keys,
            [
                "first-error:pred=3:gold=1",
                "position:pred=7:gold=2",
                "bucket:late",
                "offset:2"
            ]
        );
        // A false alarm has no offset.
        keys.clear();
        step_cells(
            &StepVerdicts {
                gold: None,
                predicted: Predicted::Value(Some(0)),
                step_count: 4,
            },
            &mut |k| keys.push(k.to_string()),
        );
        assert_eq!(
            keys,
            [
                "first-error:pred=0:gold=-1",
                "position:pred=0:gold=-1",
                "bucket:false-alarm"
            ]
        );
    }

    #[test]
    fn pair_cells_and_length_bias_by_hand() {
        use Predicted::{Failed, Value};
        // A flip: original picks A (right), swapped emits A = original B (wrong). A is longer.
        let flip = PairVerdicts {
            gold: Side::A,
            original: Value(Side::A),
            swapped: Some(Value(Side::A)),
        };
        let mut keys = Vec::new();
        pair_cells(&flip, Some((10, 4)), &mut |k| keys.push(k.to_string()));
        assert_eq!(
            keys,
            [
                "order:original:right",
                "order:swapped:wrong",
                "swap-flip",
                "length:picked-longer"
            ]
        );
        // pair                         lengths   counted  pick     ref prefers  right
        // flip (picks A, gold A)       10, 4     yes      longer   longer       yes
        // picks B, gold A              10, 4     yes      shorter  longer       no
        // picks B, gold B              3, 9      yes      longer   longer       yes
        // picks A, gold B              3, 9      yes      shorter  longer       no
        // picks A, gold A              5, 5      no (equal lengths)
        // failed                       1, 2      no (no verdict)
        // picks A, gold A              unknown   no
        // n = 4, picked longer 2 -> share 0.5; reference longer 4 (2 right -> 0.5); shorter 0.
        let pair = |gold, original| PairVerdicts {
            gold,
            original,
            swapped: None,
        };
        let items = [
            (flip, Some((10, 4))),
            (pair(Side::A, Value(Side::B)), Some((10, 4))),
            (pair(Side::B, Value(Side::B)), Some((3, 9))),
            (pair(Side::B, Value(Side::A)), Some((3, 9))),
            (pair(Side::A, Value(Side::A)), Some((5, 5))),
            (pair(Side::A, Failed), Some((1, 2))),
            (pair(Side::A, Value(Side::A)), None),
        ];
        let bias = length_bias(&items);
        assert_eq!(bias.n, 4);
        assert_eq!(bias.picked_longer, 2);
        assert_eq!(bias.longer_share, Some(0.5));
        assert_eq!(bias.n_reference_longer, 4);
        assert_eq!(bias.accuracy_reference_longer, Some(0.5));
        assert_eq!(bias.n_reference_shorter, 0);
        assert_eq!(bias.accuracy_reference_shorter, None);
    }

    #[test]
    fn contradictions_follow_the_documented_threshold() {
        use ContradictionKind::*;
        let correct = Verdict::Correctness(Correctness::Correct);
        let incorrect = Verdict::Correctness(Correctness::Incorrect);
        assert_eq!(contradiction(Some(2), correct), Some(ErrorButCorrect));
        assert_eq!(contradiction(Some(2), incorrect), None);
        assert_eq!(contradiction(None, incorrect), Some(NoErrorButIncorrect));
        assert_eq!(contradiction(None, correct), None);
        assert_eq!(
            contradiction(Some(0), Verdict::Rating(HIGH_RATING)),
            Some(ErrorButHighRating)
        );
        assert_eq!(
            contradiction(Some(0), Verdict::Rating(HIGH_RATING - 1)),
            None
        );
        assert_eq!(contradiction(None, Verdict::Rating(10)), None);
    }
}
