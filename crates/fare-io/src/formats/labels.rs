//! Reading a FARE Lens labels export back (`fare_lens_export: "labels/1"`), in any of its three
//! containers (JSONL, CSV, Parquet), so that corrected labels move between projects.
//!
//! Each row gives a sample (with its original data set name, record number and ground truth)
//! and, when someone labelled it, one annotator's label. Rows of one sample follow each other in
//! an export (one per annotator). Evaluator columns are not re-imported: they are a summary of a
//! run (no raw output), and a run is not something to reconstruct from a summary.

use std::collections::BTreeSet;

use fare_core::sample::Content;
use fare_core::verdict::VerdictRules;
use fare_core::{Decision, Label, Sample, Task, Verdict};
use serde_json::{Map, Value};

use crate::export::labels::LABELS_FORMAT;

use super::{
    AnnotatorLabel, Converted, LabelValue, as_integer, describe, kind_of, optional_text, text,
};
use crate::error::FieldError;

/// One human label of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowLabel {
    /// Who made it.
    pub annotator: String,
    /// The label.
    pub label: Label,
    /// When it was first made.
    pub first_at: String,
    /// When it was last changed.
    pub updated_at: String,
}

/// One row of a labels export.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    /// The data set the sample came from.
    pub dataset: String,
    /// The file that data set was imported from.
    pub source_file: String,
    /// The sample's record number in that file.
    pub record_index: u64,
    /// The sample.
    pub sample: Sample,
    /// The human label, when the row has one.
    pub label: Option<RowLabel>,
    /// The ground truth is a tie (pairwise; `sample.gold` is `None`).
    pub gold_tie: bool,
}

impl LabelRow {
    /// The row's ground truth as the data set gives it (a verdict, a tie, or none).
    pub fn ground_truth(&self) -> Option<LabelValue> {
        match self.sample.gold {
            Some(v) => Some(LabelValue::Verdict(v)),
            None if self.gold_tie => Some(LabelValue::Tie),
            None => None,
        }
    }

    /// The row's human label as its annotator's.
    pub fn annotator_label(&self) -> Option<AnnotatorLabel> {
        self.label.as_ref().map(|l| AnnotatorLabel {
            annotator: l.annotator.clone(),
            label: l.label.verdict.map(LabelValue::Verdict),
        })
    }

    /// The row as a converted sample, its label as its annotator's.
    pub fn converted(&self) -> Converted {
        Converted {
            gold_tie: self.gold_tie,
            annotator_labels: self.annotator_label().into_iter().collect(),
            ..Converted::from(self.sample.clone())
        }
    }
}

/// A cell of a labels CSV as it was before [`crate::export::labels::defused`] kept
/// spreadsheets from running it: one leading `'` less.
pub fn undefused(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// A CSV record of a labels export with every cell [`undefused`].
pub fn undefuse_csv_record(record: &mut Value) {
    if let Value::Object(o) = record {
        for value in o.values_mut() {
            if let Value::String(s) = value
                && s.starts_with('\'')
            {
                *s = undefused(s).to_owned();
            }
        }
    }
}

/// Whether a record is a row of a labels export.
pub fn is_labels_row(record: &Value) -> bool {
    record.get("fare_lens_export").is_some()
}

/// A JSON value that a CSV cell carries as JSON text.
fn structured(o: &Map<String, Value>, field: &str) -> Result<Option<Value>, FieldError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| FieldError::new(field, format!("not valid JSON text: {e}"))),
        Some(v) => Ok(Some(v.clone())),
    }
}

fn flag(o: &Map<String, Value>, field: &str) -> Result<bool, FieldError> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s.is_empty() => Ok(false),
        Some(other) => Err(FieldError::new(
            field,
            format!("expected true or false, found {}", describe(other)),
        )),
    }
}

fn tags(o: &Map<String, Value>) -> Result<BTreeSet<String>, FieldError> {
    match o.get("tags") {
        None | Some(Value::Null) => Ok(BTreeSet::new()),
        Some(Value::String(s)) => Ok(s
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str().map(str::to_owned).ok_or_else(|| {
                    FieldError::new("tags", format!("expected tag names, found {}", kind_of(t)))
                })
            })
            .collect(),
        Some(other) => Err(FieldError::new(
            "tags",
            format!("expected a list of tags, found {}", kind_of(other)),
        )),
    }
}

fn verdict(
    o: &Map<String, Value>,
    field: &str,
    rules: &VerdictRules,
) -> Result<Option<Verdict>, FieldError> {
    let text = match o.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(FieldError::new(
                field,
                format!("expected a verdict, found {}", describe(other)),
            ));
        }
    };
    Verdict::from_canonical(&text, rules)
        .map(Some)
        .map_err(|e| FieldError::new(field, e.to_string()))
}

/// Reads one row.
pub fn row(o: &Map<String, Value>) -> Result<LabelRow, FieldError> {
    let version = text(o, "fare_lens_export")?;
    if version != LABELS_FORMAT {
        return Err(FieldError::new(
            "fare_lens_export",
            format!("`{version}` is not an export this version reads (it reads {LABELS_FORMAT})"),
        ));
    }
    let task: Task = text(o, "task")?
        .parse()
        .map_err(|e| FieldError::new("task", format!("{e}")))?;
    let required = |field: &str| {
        optional_text(o, field)?
            .ok_or_else(|| FieldError::new(field, format!("missing (a {task} sample needs it)")))
    };
    let content = match task {
        Task::Pairwise => Content::Pairwise {
            response_a: required("response_a")?,
            response_b: required("response_b")?,
        },
        Task::StepLevel => {
            let steps =
                structured(o, "steps")?.ok_or_else(|| FieldError::new("steps", "missing"))?;
            let steps: Vec<String> = serde_json::from_value(steps)
                .map_err(|_| FieldError::new("steps", "expected a list of step texts"))?;
            Content::StepLevel { steps }
        }
        Task::ReferenceFree => Content::ReferenceFree {
            response: required("response")?,
        },
        Task::ReferenceBased => Content::ReferenceBased {
            response: required("response")?,
            reference: required("reference")?,
        },
        Task::Rating => Content::Rating {
            response: required("response")?,
            rubric: optional_text(o, "rubric")?,
            reference: optional_text(o, "reference")?,
        },
    };
    let rules = VerdictRules {
        rating_scale: (i32::MIN, i32::MAX),
        ..VerdictRules::new(task, content.steps().len())
    };
    let metadata = match structured(o, "metadata")? {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(FieldError::new(
                "metadata",
                format!("expected an object, found {}", kind_of(&other)),
            ));
        }
    };
    let record_index = o
        .get("record_index")
        .and_then(as_integer)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| FieldError::new("record_index", "expected a record number"))?;
    let decision = match optional_text(o, "decision")?.as_deref() {
        None | Some("") => Decision::Unreviewed,
        Some("accepted") => Decision::Accepted,
        Some("corrected") => Decision::Corrected,
        Some(other) => {
            return Err(FieldError::new(
                "decision",
                format!("`{other}` is not accepted or corrected"),
            ));
        }
    };
    let label = Label {
        decision,
        verdict: verdict(o, "human_verdict", &rules)?,
        wrong_reason: flag(o, "wrong_reason")?,
        tags: tags(o)?,
        note: optional_text(o, "note")?.filter(|n| !n.is_empty()),
        can_undo: false,
        can_redo: false,
    };
    let label = match optional_text(o, "annotator")?.filter(|a| !a.is_empty()) {
        Some(annotator) => Some(RowLabel {
            annotator,
            first_at: required("first_annotated_at")?,
            updated_at: required("annotated_at")?,
            label,
        }),
        None if label.is_empty() => None,
        None => {
            return Err(FieldError::new(
                "annotator",
                "a labelled row needs its annotator",
            ));
        }
    };
    // A tie is the one ground truth that is no verdict (`fare_store::GOLD_TIE`).
    let gold_tie = task == Task::Pairwise
        && matches!(o.get("ground_truth"), Some(Value::String(s)) if s == "tie");
    let gold = if gold_tie {
        None
    } else {
        verdict(o, "ground_truth", &rules)?
    };
    Ok(LabelRow {
        gold_tie,
        dataset: text(o, "dataset")?,
        source_file: optional_text(o, "source_file")?.unwrap_or_default(),
        record_index,
        sample: Sample {
            external_id: text(o, "external_id")?,
            source: optional_text(o, "source")?.filter(|s| !s.is_empty()),
            question: text(o, "question")?,
            content,
            gold,
            metadata,
        },
        label,
    })
}
