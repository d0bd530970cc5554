//! The formats FARE Lens imports, how each is recognised, and how a record becomes samples.
//!
//! Known data sets ([`known`]) are recognised from the fields of their first record, in any
//! container (a ProcessBench file converted to JSONL or Parquet is still ProcessBench). Anything
//! else needs a field mapping ([`mapping`]).

pub mod known;
pub mod label_counts;
pub mod labels;
pub mod mapping;
pub mod template;

use std::fmt;
use std::str::FromStr;

use fare_core::{Sample, Verdict};
use serde_json::{Map, Value};

use crate::error::FieldError;
pub use mapping::Mapping;

/// A record format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ProcessBench: `id, generator, problem, steps, final_answer_correct, label`.
    ProcessBench,
    /// PRM800K: labeller records with per-step completions and ratings.
    Prm800k,
    /// JudgeBench: `pair_id, source, question, response_A, response_B, label` (`A>B` / `B>A`).
    JudgeBench,
    /// GSM8K problems: `question, answer` with the reference after `####`.
    Gsm8k,
    /// GSM8K model solutions: `question, ground_truth` and one `{solution, is_correct}` per model.
    Gsm8kSolutions,
    /// MATH problems (MATH-500 as PRM800K ships it): `problem, solution, answer`.
    Math,
    /// Any records, read through a field mapping.
    Mapped,
    /// A FARE Lens labels export (samples with ground truth and human labels).
    Labels,
}

impl Format {
    /// The name used on the command line and stored with the data set.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ProcessBench => "processbench",
            Format::Prm800k => "prm800k",
            Format::JudgeBench => "judgebench",
            Format::Gsm8k => "gsm8k",
            Format::Gsm8kSolutions => "gsm8k-solutions",
            Format::Math => "math",
            Format::Mapped => "mapped",
            Format::Labels => "fare-lens-labels",
        }
    }
}

impl serde::Serialize for Format {
    /// The same name as on the command line and in the project file.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "processbench" => Format::ProcessBench,
            "prm800k" => Format::Prm800k,
            "judgebench" => Format::JudgeBench,
            "gsm8k" => Format::Gsm8k,
            "gsm8k-solutions" => Format::Gsm8kSolutions,
            "math" | "math500" | "math-500" => Format::Math,
            "mapped" | "generic" | "json" | "jsonl" | "csv" | "parquet" => Format::Mapped,
            "fare-lens-labels" | "labels" => Format::Labels,
            other => {
                return Err(format!(
                    "unknown format `{other}` (known: processbench, prm800k, judgebench, gsm8k, gsm8k-solutions, math, mapped, fare-lens-labels)"
                ));
            }
        })
    }
}

/// A label as a data set writes it: a verdict, or a tie between two responses (which no FARE
/// verdict is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelValue {
    /// A verdict of the sample's task.
    Verdict(Verdict),
    /// Pairwise: neither response is better.
    Tie,
}

impl fmt::Display for LabelValue {
    /// The canonical verdict (`A`, `-1`, `correct`, `7`), or `tie`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelValue::Verdict(v) => f.write_str(&v.canonical()),
            LabelValue::Tie => f.write_str("tie"),
        }
    }
}

/// One annotator's label of a record, from a column the mapping names.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotatorLabel {
    /// The annotator, as the mapping names them.
    pub annotator: String,
    /// Their label; `None` when the column is empty for this record.
    pub label: Option<LabelValue>,
}

/// A sample made from a record, with what else the record says about it: the data set's
/// per-step ratings, a tie as ground truth, and human labels by annotator.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The sample.
    pub sample: Sample,
    /// Per-step ratings (PRM800K), empty otherwise.
    pub step_ratings: Vec<Option<i8>>,
    /// The ground truth is a tie (pairwise): the sample has no gold verdict, and is counted
    /// apart.
    pub gold_tie: bool,
    /// Labels by annotator, from the mapping's annotator columns.
    pub annotator_labels: Vec<AnnotatorLabel>,
}

impl Converted {
    /// The ground truth as the data set gives it.
    pub fn ground_truth(&self) -> Option<LabelValue> {
        match self.sample.gold {
            Some(v) => Some(LabelValue::Verdict(v)),
            None if self.gold_tie => Some(LabelValue::Tie),
            None => None,
        }
    }
}

impl From<Sample> for Converted {
    fn from(sample: Sample) -> Self {
        Converted {
            sample,
            step_ratings: Vec::new(),
            gold_tie: false,
            annotator_labels: Vec::new(),
        }
    }
}

/// What a record is converted with.
#[derive(Debug, Clone, Copy)]
pub struct RecordContext<'a> {
    /// The record number in the file (from 0).
    pub index: u64,
    /// The file's stem, used as the source of records that name none.
    pub file_stem: &'a str,
}

/// Recognises a known format from a record's fields.
pub fn detect(record: &Value) -> Option<Format> {
    let Value::Object(o) = record else {
        return None;
    };
    let has = |k: &str| o.contains_key(k);
    if has("fare_lens_export") {
        return Some(Format::Labels);
    }
    if has("id") && has("problem") && has("steps") && has("label") {
        return Some(Format::ProcessBench);
    }
    if has("labeler") && o.get("label").is_some_and(|l| l.get("steps").is_some()) {
        return Some(Format::Prm800k);
    }
    if has("pair_id") && has("response_A") && has("response_B") && has("label") {
        return Some(Format::JudgeBench);
    }
    if has("question") && has("ground_truth") && o.values().any(|v| v.get("is_correct").is_some()) {
        return Some(Format::Gsm8kSolutions);
    }
    if has("question")
        && o.get("answer")
            .and_then(Value::as_str)
            .is_some_and(|a| a.contains("####"))
    {
        return Some(Format::Gsm8k);
    }
    if has("problem") && has("solution") && has("answer") {
        return Some(Format::Math);
    }
    None
}

/// Converts one record of a known format (`mapping` for [`Format::Mapped`]).
pub fn convert(
    format: Format,
    mapping: Option<&Mapping>,
    record: &Value,
    cx: RecordContext<'_>,
) -> Result<Vec<Converted>, FieldError> {
    let object = record.as_object().ok_or_else(|| {
        FieldError::record(format!("expected an object, found {}", kind_of(record)))
    })?;
    match format {
        Format::ProcessBench => known::processbench(object, cx).map(|s| vec![s.into()]),
        Format::Prm800k => known::prm800k(object, cx).map(|c| vec![c]),
        Format::JudgeBench => known::judgebench(object, cx).map(|s| vec![s.into()]),
        Format::Gsm8k => known::gsm8k(object, cx).map(|s| vec![s.into()]),
        Format::Gsm8kSolutions => known::gsm8k_solutions(object, cx),
        Format::Math => known::math(object, cx).map(|s| vec![s.into()]),
        Format::Labels => labels::row(object).map(|row| vec![row.converted()]),
        Format::Mapped => mapping
            .ok_or_else(|| FieldError::record("this format needs a field mapping"))?
            .convert(record, cx)
            .map(|c| vec![c]),
    }
}

/// "a string", "a number" ... for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A required string field.
pub(crate) fn text(o: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    match o.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(FieldError::new(field, "missing")),
        Some(other) => Err(FieldError::new(
            field,
            format!("expected a string, found {}", kind_of(other)),
        )),
    }
}

/// An optional string field (null and absent are both none).
pub(crate) fn optional_text(
    o: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, FieldError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(FieldError::new(
            field,
            format!("expected a string, found {}", kind_of(other)),
        )),
    }
}

/// A required integer field (integers written as strings are accepted, as CSV gives them).
pub(crate) fn integer(o: &Map<String, Value>, field: &str) -> Result<i64, FieldError> {
    let value = o
        .get(field)
        .ok_or_else(|| FieldError::new(field, "missing"))?;
    as_integer(value).ok_or_else(|| {
        FieldError::new(
            field,
            format!("expected an integer, found {}", describe(value)),
        )
    })
}

/// An integer, from a JSON integer, a whole float (CSV and Parquet float columns; |f| < 2^53 keeps
/// it exact) or a numeric string.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A short description of a value for error messages: its kind, and its text when short.
pub(crate) fn describe(value: &Value) -> String {
    let shown = value.to_string();
    if shown.len() <= 40 {
        format!("{} {shown}", kind_of(value))
    } else {
        kind_of(value).to_owned()
    }
}

/// The fields of a record not used by the converter, kept as metadata.
pub(crate) fn metadata_except(o: &Map<String, Value>, used: &[&str]) -> Map<String, Value> {
    o.iter()
        .filter(|(k, _)| !used.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
