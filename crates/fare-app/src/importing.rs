//! Importing data files from the UI: a preview of a file's first records as they would be
//! imported, with the field mapping an unknown schema needs (suggested from its field names), and
//! the import itself, all or nothing, through fare-io's pipeline ([`fare_io::import::import_file`]).
//! The types here cross to the UI like those of [`crate::api`] (TypeScript by ts-rs).
//!
//! The path names a file on the machine running the API (the desktop app's own machine, or the
//! one `fare-lens serve` runs on): whoever may call the API may preview any JSON, CSV or Parquet
//! file that machine's user can read. Problems name the file, the line and the field: one per
//! record in the preview, and in the message of a failed import ([`ApiError::Invalid`], a 4xx over
//! HTTP).
//!
//! Known limits: an import reports no progress (the call answers when the file is in); the
//! preview reads only the first records, so a duplicate id or a bad record further down shows
//! only when importing; it does not hash the file, so only the import says that a file is already
//! in the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fare_core::Task;
use fare_core::sample::Content;
use fare_io::ImportError;
use fare_io::formats::mapping::{TARGETS, required_targets};
use fare_io::formats::{self, Format, Mapping, RecordContext};
use fare_io::import::{ImportOptions, import_file};
use fare_io::read::{self, Container, DEFAULT_MAX_RECORD_BYTES, RawRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::api::{ApiError, OpenProject};

/// How many records the preview shows.
const PREVIEW_RECORDS: usize = 5;
/// How many characters of one text the preview shows.
const PREVIEW_CHARS: usize = 600;
/// How many steps of one sample the preview shows.
const PREVIEW_STEPS: usize = 20;
/// How many characters of a field's example value the preview shows.
const EXAMPLE_CHARS: usize = 80;

/// A field mapping for records of an unknown schema, as the UI edits it (fare-io's [`Mapping`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct FieldMapping {
    /// The task of every sample; the targets mapped imply one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub task: Option<Task>,
    /// Target (`question`, `steps`, `label`, ...) → the record's field (dots reach into objects).
    pub fields: BTreeMap<String, String>,
    /// The number of the first step in step-level labels (0 or 1).
    pub label_base: i64,
    /// When the steps come as one text: what separates them (a blank line when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub step_separator: Option<String>,
    /// The data set's label values → FARE Lens's (`1` → `A`, `0` → `tie`, `bad` → `incorrect`,
    /// `none` for no label).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, String>>", optional)]
    pub label_values: BTreeMap<String, String>,
    /// How a label that is a list becomes one: `first` (the smallest wrong step), `min`, `max`,
    /// `median`, `mean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label_list: Option<String>,
    /// The scale of rating labels, lowest and highest.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rating_scale: Option<(i32, i32)>,
    /// Annotator name → the field holding their labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, String>>", optional)]
    pub annotators: BTreeMap<String, String>,
}

/// Which file to preview, and how to read it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ImportPreviewRequest {
    /// The file: its full path on the machine running FARE Lens.
    pub path: String,
    /// Read it as this format (a name from [`ImportPreview::formats`]), not the detected one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<String>,
    /// Read it through this field mapping (format `mapped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mapping: Option<FieldMapping>,
}

/// How a file's records are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerView {
    /// One JSON array of records.
    JsonArray,
    /// One JSON object per line (JSONL).
    JsonLines,
    /// JSON objects one after another.
    JsonConcatenated,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// An Apache Parquet file.
    Parquet,
}

impl From<Container> for ContainerView {
    fn from(container: Container) -> Self {
        match container {
            Container::JsonArray => ContainerView::JsonArray,
            Container::JsonLines => ContainerView::JsonLines,
            Container::JsonConcatenated => ContainerView::JsonConcatenated,
            Container::Csv { delimiter: b'\t' } => ContainerView::Tsv,
            Container::Csv { .. } => ContainerView::Csv,
            Container::Parquet => ContainerView::Parquet,
        }
    }
}

/// A format a file can be read as.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FormatChoice {
    /// Its name, as the command line and the project file write it (`processbench`).
    pub name: String,
    /// Its name for people (`ProcessBench`).
    pub label: String,
}

/// A field of the records, with what its first value looks like.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct FieldSeen {
    /// Its name (`question.problem` for a field inside an object).
    pub name: String,
    /// `text`, `number`, `true/false`, `list of texts`, `list`, `object` or `empty`.
    pub kind: String,
    /// The start of its first value (untrusted text).
    pub example: String,
}

/// What a field can be mapped to.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MappingTarget {
    /// Its name in a mapping (`question`).
    pub target: String,
    /// Its name for people (`Problem`).
    pub label: String,
    /// Whether the mapping's task needs it.
    pub needed: bool,
}

/// A problem with a file, where it is and in which field.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportProblem {
    /// The file as named.
    pub file: String,
    /// The line (from 1), when the format has lines.
    pub line: Option<u64>,
    /// The record (from 0).
    pub record: Option<u64>,
    /// The field concerned, when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// All of it in one line: the file, line, record, field and what is wrong.
    pub text: String,
}

impl From<&ImportError> for ImportProblem {
    fn from(e: &ImportError) -> Self {
        ImportProblem {
            file: e.file.clone(),
            line: e.at.line,
            record: e.at.record,
            field: e.field.clone(),
            message: e.message.clone(),
            text: e.to_string(),
        }
    }
}

/// A sample as it would be imported, its texts shortened (untrusted text).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PreviewSample {
    /// The data set's id of the sample.
    pub external_id: String,
    /// The task.
    pub task: Task,
    /// Its source within the data set.
    pub source: Option<String>,
    /// The problem.
    pub question: String,
    /// Step-level: the first steps.
    pub steps: Vec<String>,
    /// Step-level: how many steps it has.
    pub step_count: u32,
    /// Verification and rating: the response.
    pub response: Option<String>,
    /// Pairwise: response A.
    pub response_a: Option<String>,
    /// Pairwise: response B.
    pub response_b: Option<String>,
    /// The reference answer.
    pub reference: Option<String>,
    /// Rating: the rubric.
    pub rubric: Option<String>,
    /// The ground truth, canonical (`-1`, `2`, `A`, `correct`, `7`), or `tie`.
    pub gold: Option<String>,
    /// The labels of the mapping's annotator columns.
    pub annotator_labels: Vec<PreviewLabel>,
}

/// One annotator's label of a previewed sample.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PreviewLabel {
    /// The annotator.
    pub annotator: String,
    /// Their label, canonical, or `tie`; none when their column is empty.
    pub label: Option<String>,
}

/// One label and how many samples of the whole file get it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LabelTally {
    /// The label: canonical (`A`, `-1`, `correct`, `7`), `tie` or `none`.
    pub label: String,
    /// How many samples.
    pub count: u64,
}

/// The labels the whole file gets as read now: what a wrong mapping shows before importing.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct LabelOverview {
    /// Records read.
    pub records: u64,
    /// Samples they become.
    pub samples: u64,
    /// Records that cannot be imported as read now.
    pub invalid: u64,
    /// The ground truth of the samples.
    pub ground_truth: Vec<LabelTally>,
    /// Each annotator column's labels, by annotator.
    pub annotators: BTreeMap<String, Vec<LabelTally>>,
}

fn tallies(counts: &fare_io::formats::label_counts::LabelCounts) -> Vec<LabelTally> {
    counts
        .entries()
        .into_iter()
        .map(|e| LabelTally {
            label: e.label,
            count: e.count,
        })
        .collect()
}

impl From<fare_io::import::LabelSurvey> for LabelOverview {
    fn from(survey: fare_io::import::LabelSurvey) -> Self {
        LabelOverview {
            records: survey.records,
            samples: survey.samples,
            invalid: survey.invalid,
            ground_truth: tallies(&survey.labels.ground_truth),
            annotators: survey
                .labels
                .annotators
                .iter()
                .map(|(a, c)| (a.clone(), tallies(c)))
                .collect(),
        }
    }
}

/// One record of the preview: a sample it becomes, or why it cannot be imported. A record that
/// becomes several samples (GSM8K model solutions) gives one row per sample.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PreviewRecord {
    /// The line it starts on, when the format has lines.
    pub line: Option<u64>,
    /// Its number in the file (from 0).
    pub record: Option<u64>,
    /// The sample.
    pub sample: Option<PreviewSample>,
    /// Why it cannot be imported.
    pub problem: Option<ImportProblem>,
}

/// The start of a file as it would be imported.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportPreview {
    /// The file as named.
    pub file: String,
    /// How its records are laid out.
    pub container: ContainerView,
    /// The known data set its first record is of; none for an unknown schema.
    pub detected_format: Option<String>,
    /// The format the records below were read as.
    pub format: String,
    /// The formats it can be read as.
    pub formats: Vec<FormatChoice>,
    /// The fields of the first records.
    pub fields: Vec<FieldSeen>,
    /// Format `mapped`: the mapping the records below were read through (the one asked for, or
    /// the suggested one).
    pub mapping: Option<FieldMapping>,
    /// For an unknown schema: a mapping guessed from the field names.
    pub suggested_mapping: Option<FieldMapping>,
    /// What a field can be mapped to, and what the mapping's task needs.
    pub mapping_targets: Vec<MappingTarget>,
    /// Why the mapping cannot be used yet (a needed field is not chosen).
    pub mapping_problem: Option<String>,
    /// The first records.
    pub records: Vec<PreviewRecord>,
    /// Whether the file holds more records than shown.
    pub more_records: bool,
    /// Where reading stopped because the file itself is broken.
    pub stopped: Option<ImportProblem>,
    /// The labels of the whole file as read now (none while the mapping cannot be used).
    pub labels: Option<LabelOverview>,
    /// The name the data set gets unless another is given (the file's stem).
    pub dataset_name: String,
}

/// A file to import, and how.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    /// The file: its full path on the machine running FARE Lens.
    pub path: String,
    /// Read it as this format (detected when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<String>,
    /// Read it through this field mapping (format `mapped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mapping: Option<FieldMapping>,
    /// The data set's name (the file's stem when absent or blank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dataset: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportDone {
    /// The file as named.
    pub file: String,
    /// The format it was read as.
    pub format: String,
    /// The data set written, or the one already holding this file.
    pub dataset_id: i64,
    /// Its name.
    pub dataset: String,
    /// Records read from the file.
    pub records: i64,
    /// Samples added to the project (0 when the file was already in it).
    pub samples_added: i64,
    /// The file was already in the project: nothing was written.
    pub already_imported: bool,
}

/// The formats a person can choose, with their names for people.
const FORMATS: [(Format, &str); 8] = [
    (Format::ProcessBench, "ProcessBench"),
    (Format::Prm800k, "PRM800K"),
    (Format::JudgeBench, "JudgeBench"),
    (Format::Gsm8k, "GSM8K problems"),
    (Format::Gsm8kSolutions, "GSM8K model solutions"),
    (Format::Math, "MATH problems"),
    (Format::Labels, "FARE Lens labels export"),
    (Format::Mapped, "Field mapping"),
];

/// Each mapping target: its name for people, how a sentence names it, and the field names that
/// suggest it (compared in lower case, `-` and spaces read as `_`).
const TARGET_WORDS: [(&str, &str, &str, &[&str]); 10] = [
    (
        "question",
        "Problem",
        "the problem",
        &[
            "question",
            "problem",
            "prompt",
            "query",
            "instruction",
            "input",
        ],
    ),
    (
        "steps",
        "Steps",
        "the steps",
        &[
            "steps",
            "solution_steps",
            "reasoning_steps",
            "trace",
            "process",
        ],
    ),
    (
        "response",
        "Response",
        "the response",
        &[
            "response",
            "answer",
            "output",
            "completion",
            "solution",
            "generation",
            "model_answer",
        ],
    ),
    (
        "response_a",
        "Response A",
        "response A",
        &[
            "response_a",
            "answer_a",
            "output_a",
            "completion_a",
            "response_1",
            "output_1",
            "answer_1",
            "completion_1",
        ],
    ),
    (
        "response_b",
        "Response B",
        "response B",
        &[
            "response_b",
            "answer_b",
            "output_b",
            "completion_b",
            "response_2",
            "output_2",
            "answer_2",
            "completion_2",
        ],
    ),
    (
        "reference",
        "Reference answer",
        "the reference answer",
        &[
            "reference",
            "reference_answer",
            "ground_truth",
            "gold_answer",
            "expected_answer",
            "target",
        ],
    ),
    ("rubric", "Rubric", "the rubric", &["rubric", "criteria"]),
    (
        "label",
        "Ground truth",
        "the ground truth",
        &[
            "label",
            "gold",
            "verdict",
            "first_error",
            "first_error_step",
            "is_correct",
            "correct",
            "correctness",
            "preference",
            "winner",
            "rating",
            "score",
        ],
    ),
    (
        "id",
        "Id",
        "the id",
        &[
            "id",
            "uid",
            "sample_id",
            "pair_id",
            "question_id",
            "idx",
            "index",
        ],
    ),
    (
        "source",
        "Source",
        "the source",
        &["source", "dataset", "subset", "split", "category"],
    ),
];

fn target_words(target: &str) -> (&'static str, &'static str) {
    TARGET_WORDS
        .iter()
        .find(|(t, ..)| *t == target)
        .map_or(("", ""), |(_, label, phrase, _)| (*label, *phrase))
}

/// The path as typed, without surrounding blanks or quotes (as file managers copy them); it
/// must be absolute, since the API may run on another machine than the person typing.
fn checked_path(typed: &str) -> Result<PathBuf, ApiError> {
    let trimmed = typed.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| {
            trimmed
                .strip_prefix(*q)
                .and_then(|rest| rest.strip_suffix(*q))
        })
        .unwrap_or(trimmed);
    if unquoted.is_empty() {
        return Err(ApiError::Invalid(
            "give the path of the file to import".into(),
        ));
    }
    let path = PathBuf::from(unquoted);
    if !path.is_absolute() {
        return Err(ApiError::Invalid(format!(
            "{unquoted}: give the file's full path (it is read on the machine running FARE Lens)"
        )));
    }
    if path.is_dir() {
        return Err(ApiError::Invalid(format!(
            "{unquoted}: a folder; give a file"
        )));
    }
    if !path.exists() {
        return Err(ApiError::Invalid(format!("{unquoted}: no such file")));
    }
    Ok(path)
}

fn parse_format(name: &str) -> Result<Format, ApiError> {
    name.parse::<Format>().map_err(ApiError::Invalid)
}

/// Why a mapping cannot be used, in the UI's words; `None` when it can.
fn mapping_problem(mapping: &FieldMapping) -> Option<String> {
    if let Some(unknown) = mapping
        .fields
        .keys()
        .find(|t| !TARGETS.contains(&t.as_str()))
    {
        return Some(format!(
            "`{unknown}` is not a mapping target (known: {})",
            TARGETS.join(", ")
        ));
    }
    let fare = fare_mapping_unchecked(mapping);
    let Some(task) = fare.implied_task() else {
        return Some(
            "choose the field that holds the steps, the response or responses A and B, or a task"
                .into(),
        );
    };
    if let Some(rule) = mapping
        .label_list
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        && let Err(e) = rule.parse::<fare_io::formats::mapping::ListRule>()
    {
        return Some(e);
    }
    if let Some(missing) = required_targets(task)
        .iter()
        .find(|t| !fare.fields.contains_key(**t))
    {
        return Some(format!(
            "a {task} import needs the field that holds {}",
            target_words(missing).1
        ));
    }
    fare.checked().err()
}

/// The mapping without unchosen targets (an empty field name is "none").
fn fare_mapping_unchecked(mapping: &FieldMapping) -> Mapping {
    Mapping {
        task: mapping.task,
        fields: mapping
            .fields
            .iter()
            .filter(|(_, field)| !field.trim().is_empty())
            .map(|(target, field)| (target.clone(), field.trim().to_owned()))
            .collect(),
        label_base: mapping.label_base,
        step_separator: mapping.step_separator.clone().filter(|s| !s.is_empty()),
        label_values: mapping
            .label_values
            .iter()
            .filter(|(value, _)| !value.trim().is_empty())
            .map(|(value, label)| (value.trim().to_owned(), label.trim().to_owned()))
            .collect(),
        label_list: mapping
            .label_list
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .and_then(|l| l.parse().ok()),
        rating_scale: mapping.rating_scale,
        annotators: mapping
            .annotators
            .iter()
            .filter(|(name, field)| !name.trim().is_empty() && !field.trim().is_empty())
            .map(|(name, field)| (name.trim().to_owned(), field.trim().to_owned()))
            .collect(),
    }
}

/// fare-io's mapping, checked; an [`ApiError`] in the UI's words when it cannot be used.
fn fare_mapping(file: &str, mapping: &FieldMapping) -> Result<Mapping, ApiError> {
    if let Some(problem) = mapping_problem(mapping) {
        return Err(ApiError::Invalid(format!("{file}: {problem}")));
    }
    fare_mapping_unchecked(mapping)
        .checked()
        .map_err(|e| ApiError::Invalid(format!("{file}: {e}")))
}

fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "number",
        Value::String(_) => "text",
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            "list of texts"
        }
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn example_of(value: &Value) -> String {
    match value {
        Value::String(s) => shorten(s, EXAMPLE_CHARS),
        other => shorten(&other.to_string(), EXAMPLE_CHARS),
    }
}

/// The fields of the records in order of first appearance, with fields inside objects one level
/// down (`question.problem`), as a mapping can name them.
fn fields_of(records: &[&Value]) -> Vec<FieldSeen> {
    let mut seen: Vec<FieldSeen> = Vec::new();
    let mut add = |name: String, value: &Value| {
        if !seen.iter().any(|f| f.name == name) {
            seen.push(FieldSeen {
                name,
                kind: kind_of(value).to_owned(),
                example: example_of(value),
            });
        }
    };
    for record in records {
        let Some(object) = record.as_object() else {
            continue;
        };
        for (key, value) in object {
            add(key.clone(), value);
            if let Value::Object(inner) = value {
                for (sub, v) in inner {
                    add(format!("{key}.{sub}"), v);
                }
            }
        }
    }
    seen
}

fn normalised(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

/// A mapping guessed from the first record's field names and values: which field is the
/// problem, the steps or the responses, the ground truth, the id and the source. It may be
/// incomplete; the person checks it in the preview.
pub fn suggest_mapping(first: &Value) -> FieldMapping {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let Some(object) = first.as_object() else {
        return FieldMapping::default();
    };
    let fits = |target: &str, value: &Value| match target {
        "steps" => kind_of(value) == "list of texts" || value.is_string(),
        "question" | "response" | "response_a" | "response_b" | "reference" | "rubric" => {
            value.is_string()
        }
        "id" => value.is_string() || value.is_number(),
        "source" => value.is_string(),
        // A list of numbers: the wrong steps, or several raters' scores.
        "label" => {
            !value.is_object()
                && value
                    .as_array()
                    .is_none_or(|items| items.iter().all(Value::is_number))
        }
        _ => !value.is_object() && !value.is_array(),
    };
    let pick = |target: &str, fields: &mut BTreeMap<String, String>| {
        let names = TARGET_WORDS
            .iter()
            .find(|(t, ..)| *t == target)
            .map_or(&[][..], |(.., names)| *names);
        let taken: Vec<String> = fields.values().cloned().collect();
        // The names in order of preference, so `question` wins over `input` whatever the
        // record's order.
        let found = names.iter().find_map(|name| {
            object.iter().find(|(key, value)| {
                normalised(key) == *name && !taken.contains(key) && fits(target, value)
            })
        });
        if let Some((key, _)) = found {
            fields.insert(target.to_owned(), key.clone());
        }
    };
    pick("response_a", &mut fields);
    pick("response_b", &mut fields);
    let pairwise = fields.contains_key("response_a") && fields.contains_key("response_b");
    if !pairwise {
        fields.clear();
        pick("steps", &mut fields);
        if !fields.contains_key("steps") {
            // Any list of texts is likely the steps.
            if let Some((key, _)) = object.iter().find(|(_, v)| kind_of(v) == "list of texts") {
                fields.insert("steps".into(), key.clone());
            }
        }
    }
    pick("question", &mut fields);
    if !pairwise && !fields.contains_key("steps") {
        pick("response", &mut fields);
        if fields.contains_key("response") {
            pick("reference", &mut fields);
        }
    }
    for target in ["label", "id", "source"] {
        pick(target, &mut fields);
    }
    // A list of wrong steps: the first error is the smallest.
    let label_list = fields
        .get("label")
        .and_then(|l| object.get(l))
        .filter(|v| v.is_array() && fields.contains_key("steps"))
        .map(|_| "first".to_owned());
    // Columns of human labels, one per annotator, named by the column.
    let taken: Vec<&String> = fields.values().collect();
    let annotators = object
        .keys()
        .filter(|k| !taken.contains(k) && is_annotator_column(k))
        .map(|k| (k.clone(), k.clone()))
        .collect();
    FieldMapping {
        fields,
        label_list,
        annotators,
        ..FieldMapping::default()
    }
}

/// `annotator1`, `rater_2`, `labeler-b`, `human_label_3`: a column of one annotator's labels.
fn is_annotator_column(name: &str) -> bool {
    let name = normalised(name);
    [
        "annotator",
        "rater",
        "labeler",
        "labeller",
        "human_label",
        "human",
    ]
    .iter()
    .find_map(|word| name.strip_prefix(word))
    .map(|rest| rest.strip_prefix('_').unwrap_or(rest))
    .is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 3 && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

fn preview_sample(converted: &fare_io::formats::Converted) -> PreviewSample {
    let sample = &converted.sample;
    let short = |s: &String| shorten(s, PREVIEW_CHARS);
    let steps = sample.content.steps();
    let (response, response_a, response_b, reference, rubric) = match &sample.content {
        Content::Pairwise {
            response_a,
            response_b,
        } => (
            None,
            Some(short(response_a)),
            Some(short(response_b)),
            None,
            None,
        ),
        Content::StepLevel { .. } => (None, None, None, None, None),
        Content::ReferenceFree { response } => (Some(short(response)), None, None, None, None),
        Content::ReferenceBased {
            response,
            reference,
        } => (
            Some(short(response)),
            None,
            None,
            Some(short(reference)),
            None,
        ),
        Content::Rating {
            response,
            rubric,
            reference,
        } => (
            Some(short(response)),
            None,
            None,
            reference.as_ref().map(short),
            rubric.as_ref().map(short),
        ),
    };
    PreviewSample {
        external_id: sample.external_id.clone(),
        task: sample.task(),
        source: sample.source.clone(),
        question: short(&sample.question),
        steps: steps.iter().take(PREVIEW_STEPS).map(short).collect(),
        step_count: u32::try_from(steps.len()).unwrap_or(u32::MAX),
        response,
        response_a,
        response_b,
        reference,
        rubric,
        gold: converted.ground_truth().map(|g| g.to_string()),
        annotator_labels: converted
            .annotator_labels
            .iter()
            .map(|l| PreviewLabel {
                annotator: l.annotator.clone(),
                label: l.label.map(|v| v.to_string()),
            })
            .collect(),
    }
}

/// The first records of a file (each a record or the error of a record that cannot be read),
/// whether more follow, and the error that stopped reading when the file itself is broken.
type FirstRecords = (
    Vec<Result<RawRecord, ImportError>>,
    bool,
    Option<ImportError>,
);

fn first_records(path: &Path, file: &str, container: Container) -> FirstRecords {
    let mut records = Vec::new();
    let mut more = false;
    let result = read::read_records(
        path,
        file,
        container,
        DEFAULT_MAX_RECORD_BYTES,
        &mut |record| {
            if records.len() == PREVIEW_RECORDS {
                more = true;
                // Enough: stop reading (this error is not reported).
                return Err(ImportError::file(file, "preview complete"));
            }
            records.push(record);
            Ok(())
        },
    );
    let stopped = match result {
        Err(e) if !more => Some(e),
        _ => None,
    };
    (records, more, stopped)
}

impl OpenProject {
    /// The first records of a file as they would be imported, the format detected, the fields
    /// seen, and for an unknown schema a suggested field mapping. A record that could not be
    /// imported says why, with its line and field; the file is not imported.
    pub fn import_preview(
        &self,
        request: &ImportPreviewRequest,
    ) -> Result<ImportPreview, ApiError> {
        let path = checked_path(&request.path)?;
        let file = path.display().to_string();
        // Read as typed (errors name it so); the check resolved its links.
        self.files().readable(&path, Some(self.project().path()))?;
        let container = read::sniff(&path, &file, DEFAULT_MAX_RECORD_BYTES)
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        let (raw, more_records, stopped) = first_records(&path, &file, container);
        if raw.is_empty() && stopped.is_none() {
            return Err(ApiError::Invalid(format!(
                "{file}: the file holds no records"
            )));
        }
        let values: Vec<&Value> = raw
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|r| &r.value))
            .collect();
        let detected = values.first().and_then(|v| formats::detect(v));
        let suggested_mapping = match (detected, values.first()) {
            (None, Some(first)) => Some(suggest_mapping(first)),
            _ => None,
        };
        let format = match (&request.format, &request.mapping) {
            (Some(name), _) => parse_format(name)?,
            (None, Some(_)) => Format::Mapped,
            (None, None) => detected.unwrap_or(Format::Mapped),
        };
        let mapping = (format == Format::Mapped).then(|| {
            request
                .mapping
                .clone()
                .or_else(|| suggested_mapping.clone())
                .or_else(|| values.first().map(|first| suggest_mapping(first)))
                .unwrap_or_default()
        });
        let problem = mapping.as_ref().and_then(mapping_problem);
        let fare = match (&mapping, &problem) {
            (Some(m), None) => Some(fare_mapping(&file, m)?),
            _ => None,
        };
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("data")
            .to_owned();
        let mut records = Vec::new();
        for (i, record) in raw.iter().enumerate() {
            let (at, converted) = match record {
                Err(e) => (e.at, Err(e.clone())),
                // Without a usable mapping there is nothing to convert: the mapping problem says
                // what to choose.
                Ok(_) if mapping.is_some() && fare.is_none() => continue,
                Ok(record) => {
                    let cx = RecordContext {
                        index: record.at.record.unwrap_or(i as u64),
                        file_stem: &stem,
                    };
                    // A labels CSV's cells come back as they were exported (see
                    // `fare_io::export::labels::defused`).
                    let mut value = record.value.clone();
                    if format == Format::Labels && matches!(container, Container::Csv { .. }) {
                        formats::labels::undefuse_csv_record(&mut value);
                    }
                    (
                        record.at,
                        formats::convert(format, fare.as_ref(), &value, cx)
                            .map_err(|e| e.at(&file, record.at)),
                    )
                }
            };
            match converted {
                Ok(samples) => records.extend(samples.iter().map(|c| PreviewRecord {
                    line: at.line,
                    record: at.record,
                    sample: Some(preview_sample(c)),
                    problem: None,
                })),
                Err(e) => records.push(PreviewRecord {
                    line: at.line,
                    record: at.record,
                    sample: None,
                    problem: Some(ImportProblem::from(&e)),
                }),
            }
        }
        // The labels of the whole file, through the same conversion; only once the records can
        // be read (a known format, or a mapping that can be used).
        let labels = if mapping.is_none() || fare.is_some() {
            fare_io::import::survey_labels(&path, &file, container, format, fare.as_ref())
                .ok()
                .map(LabelOverview::from)
        } else {
            None
        };
        let needed: &[&str] = mapping
            .as_ref()
            .and_then(|m| fare_mapping_unchecked(m).implied_task())
            .map_or(&[], required_targets);
        Ok(ImportPreview {
            file,
            container: container.into(),
            detected_format: detected.map(|f| f.as_str().to_owned()),
            format: format.as_str().to_owned(),
            formats: FORMATS
                .iter()
                .map(|(f, label)| FormatChoice {
                    name: f.as_str().to_owned(),
                    label: (*label).to_owned(),
                })
                .collect(),
            fields: fields_of(&values),
            mapping,
            suggested_mapping,
            mapping_targets: TARGETS
                .iter()
                .map(|t| MappingTarget {
                    target: (*t).to_owned(),
                    label: target_words(t).0.to_owned(),
                    needed: needed.contains(t),
                })
                .collect(),
            mapping_problem: problem,
            records,
            more_records,
            stopped: stopped.as_ref().map(ImportProblem::from),
            labels,
            dataset_name: stem,
        })
    }

    /// Imports a file as a new data set, all or nothing: a bad record stops the import, nothing
    /// of the file is written, and the error names the file, the line and the field. A file
    /// already in the project is left as it is and said so.
    pub fn import(&mut self, request: &ImportRequest) -> Result<ImportDone, ApiError> {
        let path = checked_path(&request.path)?;
        let file = path.display().to_string();
        // Read as typed (errors name it so); the check resolved its links.
        self.files().readable(&path, Some(self.project().path()))?;
        let format = request.format.as_deref().map(parse_format).transpose()?;
        let mapping = match (&request.mapping, format) {
            (Some(m), None | Some(Format::Mapped)) => Some(fare_mapping(&file, m)?),
            (None, Some(Format::Mapped)) => {
                return Err(ApiError::Invalid(format!(
                    "{file}: reading it through a field mapping needs the mapping"
                )));
            }
            // A known format reads its own fields.
            _ => None,
        };
        let options = ImportOptions {
            format,
            mapping,
            dataset_name: request.dataset.clone(),
            ..ImportOptions::default()
        };
        let report = import_file(self.project_mut(), &path, &options, &mut |_| {})
            .map_err(|e| ApiError::Invalid(format!("{e}; nothing of this file was imported")))?;
        let dataset = report.dataset;
        Ok(ImportDone {
            file: report.file,
            format: report.format.as_str().to_owned(),
            dataset_id: dataset.id,
            dataset: dataset.name,
            records: dataset.record_count,
            samples_added: if report.already_imported {
                0
            } else {
                dataset.sample_count
            },
            already_imported: report.already_imported,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a failing setup should stop the test where it failed"
    )]

    use super::*;
    use fare_store::Project;
    use serde_json::json;

    fn open(dir: &Path) -> OpenProject {
        OpenProject::new(Project::open_or_create(&dir.join("p.fare")).unwrap(), "ana")
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// ProcessBench's GSM8K split, when `../shared/data` is beside the checkout.
    fn processbench_gsm8k() -> Option<PathBuf> {
        fare_testkit::shared_data("processbench/gsm8k.json")
    }

    const PB: &str = r#"[{"id": "t-0", "problem": "2 + 2?", "steps": ["2 + 2 = 5.", "So 5."], "label": 0},
        {"id": "t-1", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": 4}]"#;

    #[test]
    fn a_known_data_set_is_previewed_as_it_would_be_imported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "pb.json", PB);
        let preview = open(dir.path())
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        assert_eq!(preview.container, ContainerView::JsonArray);
        assert_eq!(preview.detected_format.as_deref(), Some("processbench"));
        assert_eq!(preview.format, "processbench");
        assert_eq!(preview.dataset_name, "pb");
        assert!(preview.suggested_mapping.is_none() && preview.mapping.is_none());
        assert!(!preview.more_records && preview.stopped.is_none());
        let sample = preview.records[0].sample.as_ref().unwrap();
        assert_eq!(
            (
                sample.external_id.as_str(),
                sample.task,
                sample.gold.as_deref()
            ),
            ("t-0", Task::StepLevel, Some("0"))
        );
        assert_eq!(sample.steps, ["2 + 2 = 5.", "So 5."]);
        assert_eq!(preview.records[0].line, Some(1));
        // The second record's label is past its one step: the field and line are named.
        let problem = preview.records[1].problem.as_ref().unwrap();
        assert_eq!(problem.field.as_deref(), Some("label"));
        assert_eq!(problem.line, Some(2));
        assert!(
            problem.text.starts_with(&format!("{path}:2: ")),
            "{}",
            problem.text
        );
        assert_eq!(
            preview
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["id", "problem", "steps", "label"]
        );
        assert_eq!(preview.fields[2].kind, "list of texts");
    }

    #[test]
    fn an_unknown_schema_gets_a_suggested_mapping_that_the_preview_uses() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            json!({"uid": "a", "prompt": "Q1", "reasoning": ["s1", "s2"], "first_error": 1, "meta": {"split": "x"}}),
            json!({"uid": "b", "prompt": "Q2", "reasoning": ["s1"], "first_error": -1, "meta": {"split": "y"}}),
        ];
        let text = rows.map(|r| r.to_string()).join("\n");
        let path = write(dir.path(), "mine.jsonl", &text);
        let project = open(dir.path());
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        assert_eq!(preview.container, ContainerView::JsonLines);
        assert_eq!(preview.detected_format, None);
        assert_eq!(preview.format, "mapped");
        let suggested = preview.suggested_mapping.clone().unwrap();
        assert_eq!(
            suggested.fields,
            BTreeMap::from([
                ("id".to_owned(), "uid".to_owned()),
                ("label".to_owned(), "first_error".to_owned()),
                ("question".to_owned(), "prompt".to_owned()),
                ("steps".to_owned(), "reasoning".to_owned()),
            ])
        );
        assert_eq!(preview.mapping, Some(suggested));
        assert_eq!(preview.mapping_problem, None);
        assert!(preview.fields.iter().any(|f| f.name == "meta.split"));
        let needed: Vec<&str> = preview
            .mapping_targets
            .iter()
            .filter(|t| t.needed)
            .map(|t| t.target.as_str())
            .collect();
        assert_eq!(needed, ["question", "steps"]);
        let sample = preview.records[0].sample.as_ref().unwrap();
        assert_eq!(
            (sample.external_id.as_str(), sample.gold.as_deref()),
            ("a", Some("1"))
        );

        // A mapping that lacks a needed field says which, in words, and converts nothing.
        let mut partial = preview.mapping.clone().unwrap();
        partial.fields.remove("question");
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path,
                format: None,
                mapping: Some(partial),
            })
            .unwrap();
        assert_eq!(
            preview.mapping_problem.as_deref(),
            Some("a step-level import needs the field that holds the problem")
        );
        assert!(preview.records.is_empty());
    }

    #[test]
    fn suggestions_for_pairs_and_verification() {
        let pair = suggest_mapping(
            &json!({"q": 1, "question": "Q", "Response-A": "a", "response_b": "b", "winner": "A"}),
        );
        assert_eq!(
            fare_mapping_unchecked(&pair).implied_task(),
            Some(Task::Pairwise)
        );
        assert_eq!(pair.fields["response_a"], "Response-A");
        assert_eq!(pair.fields["label"], "winner");
        let verification = suggest_mapping(
            &json!({"input": "Q", "output": "R", "ground_truth": "4", "is_correct": true}),
        );
        assert_eq!(
            verification.fields,
            BTreeMap::from([
                ("label".to_owned(), "is_correct".to_owned()),
                ("question".to_owned(), "input".to_owned()),
                ("reference".to_owned(), "ground_truth".to_owned()),
                ("response".to_owned(), "output".to_owned()),
            ])
        );
        assert_eq!(mapping_problem(&verification), None);
    }

    #[test]
    fn a_broken_line_is_shown_in_the_preview_and_stops_the_import() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"id": "t-0", "problem": "Q", "steps": ["a"], "label": -1}"#;
        let path = write(
            dir.path(),
            "broken.jsonl",
            &format!(
                "{good}\n{}\n{{\"id\": \"t-2\", \"problem\": \n{}\n",
                good.replace("t-0", "t-1"),
                good.replace("t-0", "t-3")
            ),
        );
        let mut project = open(dir.path());
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        assert_eq!(preview.records.len(), 4);
        let problem = preview.records[2].problem.as_ref().unwrap();
        assert_eq!(problem.line, Some(3));
        assert!(
            problem.message.contains("invalid JSON"),
            "{}",
            problem.message
        );
        let e = project
            .import(&ImportRequest {
                path: path.clone(),
                ..ImportRequest::default()
            })
            .unwrap_err();
        assert!(matches!(e, ApiError::Invalid(_)));
        let message = e.to_string();
        assert!(message.starts_with(&format!("{path}:3: ")), "{message}");
        assert!(
            message.ends_with("nothing of this file was imported"),
            "{message}"
        );
        assert_eq!(project.overview().unwrap().samples, 0);
    }

    #[test]
    fn an_import_names_its_data_set_and_says_when_the_file_is_already_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "pb.json",
            r#"[{"id": "t-0", "problem": "Q", "steps": ["a", "b"], "label": 1}]"#,
        );
        let mut project = open(dir.path());
        let done = project
            .import(&ImportRequest {
                path: path.clone(),
                dataset: Some("my steps".into()),
                ..ImportRequest::default()
            })
            .unwrap();
        assert_eq!(
            (
                done.dataset.as_str(),
                done.format.as_str(),
                done.records,
                done.samples_added,
                done.already_imported
            ),
            ("my steps", "processbench", 1, 1, false)
        );
        let again = project
            .import(&ImportRequest {
                path: format!("  \"{path}\" "),
                ..ImportRequest::default()
            })
            .unwrap();
        assert!(again.already_imported);
        assert_eq!(
            (again.samples_added, again.dataset_id),
            (0, done.dataset_id)
        );
        assert_eq!(project.overview().unwrap().datasets[0].name, "my steps");
    }

    #[test]
    fn an_unknown_schema_imports_through_its_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "mine.csv",
            "question,answer_text,ok\nQ1,R1,yes\nQ2,R2,no\n",
        );
        let mut project = open(dir.path());
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        assert_eq!(preview.container, ContainerView::Csv);
        assert!(preview.mapping_problem.is_some());
        let mut mapping = preview.suggested_mapping.unwrap();
        mapping
            .fields
            .insert("response".into(), "answer_text".into());
        mapping.fields.insert("label".into(), "ok".into());
        mapping.fields.insert("source".into(), String::new());
        let done = project
            .import(&ImportRequest {
                path,
                format: Some("mapped".into()),
                mapping: Some(mapping),
                dataset: None,
            })
            .unwrap();
        assert_eq!((done.format.as_str(), done.samples_added), ("mapped", 2));
        let first = project
            .samples(&crate::api::SampleQuery::default())
            .unwrap()
            .rows[0]
            .id;
        let sample = project.sample(first, None).unwrap();
        assert_eq!(
            (sample.content.task(), sample.gold.as_deref()),
            (Task::ReferenceFree, Some("correct"))
        );
    }

    #[test]
    fn paths_must_be_full_and_exist() {
        let dir = tempfile::tempdir().unwrap();
        let project = open(dir.path());
        for (path, words) in [
            ("", "give the path"),
            ("data.json", "full path"),
            ("/no/such/file.json", "no such file"),
        ] {
            let e = project
                .import_preview(&ImportPreviewRequest {
                    path: path.into(),
                    ..ImportPreviewRequest::default()
                })
                .unwrap_err();
            assert!(e.to_string().contains(words), "{path}: {e}");
        }
        let empty = write(dir.path(), "empty.jsonl", "");
        let e = project
            .import_preview(&ImportPreviewRequest {
                path: empty,
                ..ImportPreviewRequest::default()
            })
            .unwrap_err();
        assert!(e.to_string().contains("empty.jsonl"), "{e}");
    }

    #[test]
    fn processbench_gsm8k_is_previewed_and_imported() {
        let Some(file) = processbench_gsm8k() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut project = open(dir.path());
        let path = file.display().to_string();
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        assert_eq!(preview.detected_format.as_deref(), Some("processbench"));
        assert_eq!(preview.records.len(), PREVIEW_RECORDS);
        assert!(preview.more_records);
        assert!(preview.records.iter().all(|r| r.sample.is_some()));
        assert_eq!(
            preview.records[0].sample.as_ref().unwrap().external_id,
            "gsm8k-0"
        );
        let done = project
            .import(&ImportRequest {
                path,
                ..ImportRequest::default()
            })
            .unwrap();
        assert_eq!((done.samples_added, done.dataset.as_str()), (400, "gsm8k"));
    }

    #[test]
    fn a_preference_set_is_suggested_its_annotators_and_previewed_with_its_labels() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            json!({"instruction": "Sort.", "input": "3 1 2", "output_1": "1 2 3", "output_2": "3 2 1", "preference": 1, "annotator1": 1, "annotator_2": 0}),
            json!({"instruction": "Greet.", "output_1": "hi", "output_2": "yo", "preference": 0, "annotator1": 2}),
            json!({"instruction": "Add.", "output_1": "5", "output_2": "4", "preference": 2, "annotator1": 2, "annotator_2": 2}),
        ];
        let path = write(
            dir.path(),
            "prefs.jsonl",
            &rows.map(|r| r.to_string()).join("\n"),
        );
        let mut project = open(dir.path());
        let first = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        let suggested = first.suggested_mapping.clone().unwrap();
        assert_eq!(suggested.fields["response_a"], "output_1");
        assert_eq!(suggested.fields["label"], "preference");
        assert_eq!(
            suggested.annotators,
            BTreeMap::from([
                ("annotator1".to_owned(), "annotator1".to_owned()),
                ("annotator_2".to_owned(), "annotator_2".to_owned()),
            ])
        );
        // Numbers are not guessed to be A or B: each record says what to give.
        let problem = first.records[0].problem.as_ref().unwrap();
        assert!(
            problem.message.contains("label_values"),
            "{}",
            problem.message
        );
        assert_eq!(first.labels.as_ref().unwrap().invalid, 3);

        let mut mapping = suggested;
        mapping
            .fields
            .insert("question".into(), "{instruction}\n\n{input?}".into());
        mapping.label_values = BTreeMap::from([
            ("1".to_owned(), "A".to_owned()),
            ("2".to_owned(), "B".to_owned()),
            ("0".to_owned(), "tie".to_owned()),
        ]);
        let preview = project
            .import_preview(&ImportPreviewRequest {
                path: path.clone(),
                mapping: Some(mapping.clone()),
                ..ImportPreviewRequest::default()
            })
            .unwrap();
        let samples: Vec<&PreviewSample> = preview
            .records
            .iter()
            .filter_map(|r| r.sample.as_ref())
            .collect();
        assert_eq!(
            samples
                .iter()
                .map(|s| s.question.as_str())
                .collect::<Vec<_>>(),
            ["Sort.\n\n3 1 2", "Greet.", "Add."]
        );
        assert_eq!(
            samples
                .iter()
                .map(|s| s.gold.as_deref())
                .collect::<Vec<_>>(),
            [Some("A"), Some("tie"), Some("B")]
        );
        let second: Vec<Option<&str>> = samples
            .iter()
            .map(|s| s.annotator_labels[1].label.as_deref())
            .collect();
        assert_eq!(second, [Some("tie"), None, Some("B")]);
        let labels = preview.labels.unwrap();
        let tally = |t: &[LabelTally]| {
            t.iter()
                .map(|t| format!("{} {}", t.label, t.count))
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(tally(&labels.ground_truth), "A 1, B 1, tie 1");
        assert_eq!(tally(&labels.annotators["annotator1"]), "A 1, B 2");
        assert_eq!(
            tally(&labels.annotators["annotator_2"]),
            "B 1, tie 1, none 1"
        );
        let done = project
            .import(&ImportRequest {
                path,
                mapping: Some(mapping),
                ..ImportRequest::default()
            })
            .unwrap();
        assert_eq!(done.samples_added, 3);
        let tie = project.sample(2, None).unwrap();
        assert_eq!(tie.gold.as_deref(), Some("tie"));
    }

    #[test]
    fn a_list_label_beside_steps_is_suggested_as_the_first_wrong_step() {
        let first = json!({"problem": "P", "steps": ["a", "b"], "label": [2, 1]});
        assert_eq!(suggest_mapping(&first).label_list.as_deref(), Some("first"));
        assert!(is_annotator_column("Rater-3") && is_annotator_column("annotator_b"));
        assert!(!is_annotator_column("annotator_notes") && !is_annotator_column("human"));
    }
}
