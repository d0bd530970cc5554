//! The generic field mapping: how the fields of an unknown schema become a sample.
//!
//! Given on the command line (`--map question=problem --map steps=steps --map label=label
//! --label-base 1 --task step-level`) or as a TOML file with the same keys:
//!
//! ```toml
//! task = "pairwise"
//! label_values = { "1" = "A", "2" = "B", "0" = "tie" }
//! [fields]
//! question = "{instruction}\n\n{input?}"   # a template of several fields
//! response_a = "output_1"
//! response_b = "output_2"
//! label = "preference"
//! [annotators]                             # human labels in columns, by annotator
//! alice = "annotator1"
//! bob = "annotator2"
//! ```
//!
//! Field paths may reach into objects with dots (`question.problem`); a text target may be a
//! template of fields ([`super::template`]). Targets: `id`, `question`, `steps`, `response`,
//! `response_a`, `response_b`, `reference`, `rubric`, `label`, `source`. Without `task`, it
//! follows from the targets mapped (`response_a` → pairwise, `steps` → step-level, `reference` →
//! reference-based, `response` → reference-free).
//!
//! Labels, in the ground-truth field and in each annotator's column, are read the same way:
//!
//! - `label_values` first maps the data set's own values (`1`, `model_a`, `good`) to FARE Lens's
//!   (`A`, `B`, `tie`, `-1`, `correct`, `7`, or `none` for no label); a value it does not list is
//!   read as if there were no map.
//! - Pairwise: `A`, `B`, `A>B`, `B>A`, `model_a`, `model_b` and the like, or a tie (`tie`, `A=B`,
//!   `draw`). A number is never guessed to be A or B: it needs `label_values`.
//! - Step-level: the number of the first wrong step counted from `label_base` (0 or 1), `-1` for
//!   none. A list of wrong steps needs `label_list = "first"`: the smallest is the first error,
//!   an empty list means no wrong step.
//! - Verification: `correct`/`incorrect`, true/false, yes/no, 1/0.
//! - Rating: an integer, on the data set's own scale, checked against `rating_scale` when the
//!   mapping gives it. A list of several raters' scores needs `label_list` = `median`, `mean`
//!   (rounded half away from zero), `min` or `max`.
//!
//! A missing or null label means no ground truth (or no label by that annotator).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use fare_core::sample::Content;
use fare_core::{Correctness, Sample, Side, Task, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::{FieldTemplate, is_template, lookup};
use super::{AnnotatorLabel, Converted, LabelValue, RecordContext, as_integer, describe, kind_of};
use crate::error::FieldError;

/// What a field can be mapped to.
pub const TARGETS: [&str; 10] = [
    "id",
    "question",
    "steps",
    "response",
    "response_a",
    "response_b",
    "reference",
    "rubric",
    "label",
    "source",
];

/// The targets whose source must be one field, not a template.
const SINGLE_FIELD_TARGETS: [&str; 2] = ["steps", "label"];

/// How a label that is a list becomes one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListRule {
    /// Step-level: the list holds the wrong steps; the smallest is the first error.
    First,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// Ratings: the median (the middle two's mean, for an even count, rounded half away from 0).
    Median,
    /// Ratings: the mean, rounded half away from zero.
    Mean,
}

impl ListRule {
    /// Every rule, as the command line and mapping files name them.
    pub const ALL: [ListRule; 5] = [
        ListRule::First,
        ListRule::Min,
        ListRule::Max,
        ListRule::Median,
        ListRule::Mean,
    ];

    /// Its name in a mapping.
    pub fn as_str(self) -> &'static str {
        match self {
            ListRule::First => "first",
            ListRule::Min => "min",
            ListRule::Max => "max",
            ListRule::Median => "median",
            ListRule::Mean => "mean",
        }
    }

    /// The one value of a non-empty list.
    #[allow(clippy::cast_possible_truncation)]
    fn combine(self, values: &mut [i64]) -> i64 {
        values.sort_unstable();
        let n = values.len();
        let rounded = |x: f64| x.round() as i64;
        match self {
            ListRule::First | ListRule::Min => values[0],
            ListRule::Max => values[n - 1],
            ListRule::Median if n % 2 == 1 => values[n / 2],
            ListRule::Median => rounded(f64::midpoint(
                values[n / 2 - 1] as f64,
                values[n / 2] as f64,
            )),
            ListRule::Mean => rounded(values.iter().map(|&v| v as f64).sum::<f64>() / n as f64),
        }
    }
}

impl fmt::Display for ListRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ListRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ListRule::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("`{s}` is not a list rule (first, min, max, median or mean)"))
    }
}

/// A field mapping for records of an unknown schema.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The task of every sample (inferred from the targets when absent).
    #[serde(default)]
    pub task: Option<Task>,
    /// target → source field path, or a template of fields for a text target.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The number of the first step in step-level labels (0 or 1).
    #[serde(default)]
    pub label_base: i64,
    /// When the steps field is one string: the separator between steps.
    #[serde(default)]
    pub step_separator: Option<String>,
    /// The data set's label values → FARE Lens's (`A`, `B`, `tie`, a step, `correct`, a rating,
    /// `none`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label_values: BTreeMap<String, String>,
    /// How a label that is a list becomes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_list: Option<ListRule>,
    /// The inclusive scale of rating labels, when the mapping says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_scale: Option<(i32, i32)>,
    /// Annotator name → the field holding that annotator's label.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotators: BTreeMap<String, String>,
}

/// `\n`, `\t` and `\\` as typed on a command line, in a template.
fn unescaped(typed: &str) -> String {
    let mut out = String::with_capacity(typed.len());
    let mut chars = typed.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('t')) => {
                out.push('\t');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            (c, _) => out.push(c),
        }
    }
    out
}

/// `KEY=VALUE` as typed on the command line.
fn split_pair<'a>(pair: &'a str, flag: &str, example: &str) -> Result<(&'a str, &'a str), String> {
    pair.split_once('=')
        .map(|(k, v)| (k.trim(), v.trim()))
        .ok_or_else(|| format!("`{flag} {pair}`: expected {example}"))
}

impl Mapping {
    /// Reads a mapping file.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let mapping: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        mapping.checked()
    }

    /// Adds `target=source` pairs as typed on the command line (`\n` in a template is a line
    /// break).
    pub fn with_pairs<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Mapping, String> {
        for pair in pairs {
            let (target, source) = pair.split_once('=').ok_or_else(|| {
                format!("`--map {pair}`: expected TARGET=FIELD, e.g. question=problem")
            })?;
            let source = source.trim();
            let source = if is_template(source) {
                unescaped(source)
            } else {
                source.to_owned()
            };
            self.fields.insert(target.trim().to_owned(), source);
        }
        self.checked()
    }

    /// Adds `VALUE=LABEL` pairs of `--label-value` (`1=A`, `0=tie`).
    pub fn with_label_values<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Mapping, String> {
        for pair in pairs {
            let (value, label) = split_pair(pair, "--label-value", "VALUE=LABEL, e.g. 1=A")?;
            self.label_values.insert(value.to_owned(), label.to_owned());
        }
        Ok(self)
    }

    /// Adds `NAME=FIELD` pairs of `--annotator` (`alice=annotator1`).
    pub fn with_annotators<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Mapping, String> {
        for pair in pairs {
            let (name, field) =
                split_pair(pair, "--annotator", "NAME=FIELD, e.g. alice=annotator1")?;
            self.annotators.insert(name.to_owned(), field.to_owned());
        }
        Ok(self)
    }

    /// Checks the targets, templates, label rules and annotators, and settles the task.
    pub fn checked(mut self) -> Result<Mapping, String> {
        for (target, source) in &self.fields {
            if !TARGETS.contains(&target.as_str()) {
                return Err(format!(
                    "unknown mapping target `{target}` (known: {})",
                    TARGETS.join(", ")
                ));
            }
            if is_template(source) {
                if SINGLE_FIELD_TARGETS.contains(&target.as_str()) {
                    return Err(format!(
                        "`{target}` takes one field, not a template (`{source}`)"
                    ));
                }
                FieldTemplate::parse(source).map_err(|e| format!("`{target}`: {e}"))?;
            }
        }
        let has = |t: &str| self.fields.contains_key(t);
        let Some(task) = self.implied_task() else {
            return Err("the mapping names no response or steps field: add --map steps=... or --map response=..., or --task".into());
        };
        if let Some(missing) = required_targets(task).iter().find(|t| !has(t)) {
            return Err(format!("a {task} import needs `--map {missing}=FIELD`"));
        }
        if !(0..=1).contains(&self.label_base) {
            return Err(format!("label base {} is not 0 or 1", self.label_base));
        }
        if let Some((low, high)) = self.rating_scale
            && low >= high
        {
            return Err(format!(
                "rating scale {low} to {high}: the lowest rating must be below the highest"
            ));
        }
        if self.rating_scale.is_some() && task != Task::Rating {
            return Err(format!(
                "a rating scale is for rating labels, not {task} ones"
            ));
        }
        match (self.label_list, task) {
            (None, _) | (Some(ListRule::First | ListRule::Min), Task::StepLevel) => {}
            (Some(rule), Task::StepLevel) => {
                return Err(format!(
                    "label_list `{rule}` does not give a first wrong step: use `first` (the smallest step of the list)"
                ));
            }
            (Some(ListRule::First), Task::Rating) => {
                return Err(
                    "label_list `first` is for lists of wrong steps; for several raters' scores use median, mean, min or max".into(),
                );
            }
            (Some(_), Task::Rating) => {}
            (Some(rule), _) => {
                return Err(format!(
                    "label_list `{rule}`: only step-level and rating labels can be lists, not {task} ones"
                ));
            }
        }
        self.task = Some(task);
        for (value, label) in &self.label_values {
            if is_none_word(label) {
                continue;
            }
            self.scalar_label("label_values", &Value::String(label.clone()), usize::MAX)
                .map_err(|e| format!("label_values: `{value}` = `{label}`: {}", e.message))?;
        }
        for (name, field) in &self.annotators {
            if name.trim().is_empty() {
                return Err(format!("the annotator of column `{field}` has no name"));
            }
            if field.trim().is_empty() || is_template(field) {
                return Err(format!(
                    "annotator `{name}`: give the one field that holds their labels"
                ));
            }
        }
        Ok(self)
    }

    /// The task of the samples: the one set, else the one the mapped targets imply
    /// (`response_a` → pairwise, `steps` → step-level, `reference` → reference-based, `response`
    /// → reference-free); none when no target implies one.
    pub fn implied_task(&self) -> Option<Task> {
        let has = |t: &str| self.fields.contains_key(t);
        match self.task {
            Some(task) => Some(task),
            None if has("response_a") || has("response_b") => Some(Task::Pairwise),
            None if has("steps") => Some(Task::StepLevel),
            None if has("reference") => Some(Task::ReferenceBased),
            None if has("response") => Some(Task::ReferenceFree),
            None => None,
        }
    }

    /// The record's top-level fields the mapping reads (the rest is kept as metadata).
    pub fn fields_read(&self) -> Vec<String> {
        let mut read = Vec::new();
        let mut add = |path: &str| {
            let top = path.split('.').next().unwrap_or(path).to_owned();
            if !read.contains(&top) {
                read.push(top);
            }
        };
        for source in self.fields.values() {
            match FieldTemplate::parse(source) {
                Ok(template) if is_template(source) => template.paths().for_each(&mut add),
                _ => add(source),
            }
        }
        self.annotators.values().for_each(|f| add(f));
        read
    }

    fn text(&self, record: &Value, target: &str) -> Result<Option<String>, FieldError> {
        let Some(source) = self.fields.get(target) else {
            return Ok(None);
        };
        if is_template(source) {
            let template = FieldTemplate::parse(source).map_err(|e| FieldError::new(target, e))?;
            return template.fill(record);
        }
        match lookup(record, source) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(FieldError::new(
                source,
                format!("expected text, found {}", kind_of(other)),
            )),
        }
    }

    fn required(&self, record: &Value, target: &str) -> Result<String, FieldError> {
        let path = self.fields.get(target).map_or(target, String::as_str);
        self.text(record, target)?
            .ok_or_else(|| FieldError::new(path, "missing"))
    }

    /// Converts one record: its sample, a tie as ground truth, and the annotators' labels.
    pub fn convert(&self, record: &Value, cx: RecordContext<'_>) -> Result<Converted, FieldError> {
        let task = self.task.unwrap_or(Task::ReferenceFree);
        let content = match task {
            Task::Pairwise => Content::Pairwise {
                response_a: self.required(record, "response_a")?,
                response_b: self.required(record, "response_b")?,
            },
            Task::StepLevel => Content::StepLevel {
                steps: self.steps(record)?,
            },
            Task::ReferenceFree => Content::ReferenceFree {
                response: self.required(record, "response")?,
            },
            Task::ReferenceBased => Content::ReferenceBased {
                response: self.required(record, "response")?,
                reference: self.required(record, "reference")?,
            },
            Task::Rating => Content::Rating {
                response: self.required(record, "response")?,
                rubric: self.text(record, "rubric")?,
                reference: self.text(record, "reference")?,
            },
        };
        let step_count = content.steps().len();
        let gold = match self.fields.get("label") {
            Some(path) => self.label_at(record, path, step_count)?,
            None => None,
        };
        let annotator_labels = self
            .annotators
            .iter()
            .map(|(annotator, path)| {
                Ok(AnnotatorLabel {
                    annotator: annotator.clone(),
                    label: self.label_at(record, path, step_count)?,
                })
            })
            .collect::<Result<_, FieldError>>()?;
        let read = self.fields_read();
        let metadata = record
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !read.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let sample = Sample {
            external_id: self
                .text(record, "id")?
                .unwrap_or_else(|| cx.index.to_string()),
            source: self.text(record, "source")?,
            question: self.required(record, "question")?,
            content,
            gold: match gold {
                Some(LabelValue::Verdict(v)) => Some(v),
                _ => None,
            },
            metadata,
        };
        Ok(Converted {
            gold_tie: gold == Some(LabelValue::Tie),
            annotator_labels,
            ..Converted::from(sample)
        })
    }

    fn steps(&self, record: &Value) -> Result<Vec<String>, FieldError> {
        let path = self.fields.get("steps").map_or("steps", String::as_str);
        let value = lookup(record, path).ok_or_else(|| FieldError::new(path, "missing"))?;
        let steps: Vec<String> = match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.as_str().map(str::to_owned).ok_or_else(|| {
                        FieldError::new(
                            &format!("{path}[{i}]"),
                            format!("expected text, found {}", kind_of(s)),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            // CSV and Parquet often carry the steps as a JSON-encoded list.
            Value::String(s)
                if s.trim_start().starts_with('[') && self.step_separator.is_none() =>
            {
                serde_json::from_str(s).map_err(|e| {
                    FieldError::new(path, format!("not a JSON list of step texts: {e}"))
                })?
            }
            Value::String(s) => {
                let separator = self.step_separator.as_deref().unwrap_or("\n\n");
                s.split(separator)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            other => {
                return Err(FieldError::new(
                    path,
                    format!("expected a list of step texts, found {}", kind_of(other)),
                ));
            }
        };
        if steps.is_empty() {
            return Err(FieldError::new(path, "the solution has no steps"));
        }
        Ok(steps)
    }

    /// The label in the field at `path` (the ground truth or an annotator's column); `None` when
    /// the field is missing, null, or mapped to `none`.
    fn label_at(
        &self,
        record: &Value,
        path: &str,
        step_count: usize,
    ) -> Result<Option<LabelValue>, FieldError> {
        let Some(value) = lookup(record, path) else {
            return Ok(None);
        };
        let task = self.task.unwrap_or(Task::ReferenceFree);
        // CSV and Parquet carry a list as JSON text.
        let parsed;
        let value = match value {
            Value::String(s)
                if matches!(task, Task::StepLevel | Task::Rating)
                    && s.trim_start().starts_with('[')
                    && !self.maps(value) =>
            {
                parsed = serde_json::from_str::<Value>(s).map_err(|e| {
                    FieldError::new(path, format!("not a JSON list of labels: {e}"))
                })?;
                &parsed
            }
            other => other,
        };
        let Value::Array(items) = value else {
            return match self.mapped(value) {
                None => Ok(None),
                Some(value) => self.scalar_label(path, &value, step_count).map(Some),
            };
        };
        let Some(rule) = self.label_list else {
            let hint = match task {
                Task::StepLevel => "label_list = \"first\" (the smallest step is the first error)",
                Task::Rating => "label_list = \"median\" (or mean, min, max)",
                _ => "a single label: a list is read only for step-level and rating labels",
            };
            return Err(FieldError::new(
                path,
                format!("{} is a list; give {hint}", describe(value)),
            ));
        };
        let mut numbers = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let Some(mapped) = self.mapped(item) else {
                continue;
            };
            match self.scalar_label(&item_path, &mapped, step_count)? {
                LabelValue::Verdict(Verdict::FirstError(Some(step))) => {
                    numbers.push(i64::from(step));
                }
                LabelValue::Verdict(Verdict::FirstError(None)) => {}
                LabelValue::Verdict(Verdict::Rating(r)) => numbers.push(i64::from(r)),
                _ => {
                    return Err(FieldError::new(
                        &item_path,
                        format!("{} is not a step number or a rating", describe(item)),
                    ));
                }
            }
        }
        Ok(match task {
            // No wrong step listed: the solution is correct.
            Task::StepLevel if numbers.is_empty() => {
                Some(LabelValue::Verdict(Verdict::FirstError(None)))
            }
            Task::StepLevel => {
                let first = rule.combine(&mut numbers);
                Some(LabelValue::Verdict(Verdict::FirstError(
                    u32::try_from(first).ok(),
                )))
            }
            _ if numbers.is_empty() => None,
            _ => {
                let rating = rule.combine(&mut numbers);
                Some(LabelValue::Verdict(Verdict::Rating(
                    i32::try_from(rating).unwrap_or(i32::MAX),
                )))
            }
        })
    }

    /// Whether `label_values` lists this value.
    fn maps(&self, value: &Value) -> bool {
        value_key(value).is_some_and(|k| self.mapped_key(&k).is_some())
    }

    fn mapped_key(&self, key: &str) -> Option<&String> {
        self.label_values.get(key).or_else(|| {
            self.label_values
                .iter()
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    /// The value after `label_values`: `None` when it maps to `none`.
    fn mapped(&self, value: &Value) -> Option<Value> {
        match value_key(value).and_then(|k| self.mapped_key(&k)) {
            Some(label) if is_none_word(label) => None,
            Some(label) => Some(Value::String(label.clone())),
            None => Some(value.clone()),
        }
    }

    /// What the mapping would take, for an error message.
    fn expected(&self, what: &str) -> String {
        if self.label_values.is_empty() {
            what.to_owned()
        } else {
            format!(
                "{what} (nor one of the values label_values maps: {})",
                self.label_values
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// One label value, after `label_values`, read for the mapping's task.
    fn scalar_label(
        &self,
        path: &str,
        value: &Value,
        step_count: usize,
    ) -> Result<LabelValue, FieldError> {
        let task = self.task.unwrap_or(Task::ReferenceFree);
        let bad = |expected: &str| {
            FieldError::new(
                path,
                format!("{} is not {}", describe(value), self.expected(expected)),
            )
        };
        let word = value.as_str().map(|s| s.trim().to_ascii_lowercase());
        let verdict = match task {
            Task::Pairwise => {
                let side = match word.as_deref() {
                    Some(
                        "a" | "a>b" | "a>>b" | "[a]" | "[[a]]" | "model_a" | "response_a"
                        | "a is better",
                    ) => Side::A,
                    Some(
                        "b" | "b>a" | "b>>a" | "[b]" | "[[b]]" | "model_b" | "response_b"
                        | "b is better",
                    ) => Side::B,
                    Some("tie" | "a=b" | "b=a" | "draw" | "equal" | "tie (bothbad)") => {
                        return Ok(LabelValue::Tie);
                    }
                    _ if as_integer(value).is_some() && self.label_values.is_empty() => {
                        return Err(FieldError::new(
                            path,
                            format!(
                                "`{}` is a number, not A or B: say which number is A, B or a tie with label_values (e.g. --label-value 1=A --label-value 2=B --label-value 0=tie)",
                                value_key(value).unwrap_or_default()
                            ),
                        ));
                    }
                    _ => return Err(bad("A, B or a tie")),
                };
                Verdict::Pick(side)
            }
            Task::StepLevel => {
                if word.as_deref().is_some_and(is_no_error_word) {
                    return Ok(LabelValue::Verdict(Verdict::FirstError(None)));
                }
                let n = as_integer(value).ok_or_else(|| bad("a step number"))?;
                let index = if n == -1 { -1 } else { n - self.label_base };
                if n != -1 && index < 0 {
                    return Err(FieldError::new(
                        path,
                        format!("{n} is below the first step number {}", self.label_base),
                    ));
                }
                Verdict::first_error_from_index(index, step_count).map_err(|_| {
                    FieldError::new(
                        path,
                        format!(
                            "step {n} is past the last step (the solution has {step_count} steps, numbered from {})",
                            self.label_base
                        ),
                    )
                })?
            }
            Task::ReferenceFree | Task::ReferenceBased => {
                let correct = match (value, word.as_deref()) {
                    (Value::Bool(b), _) => *b,
                    (_, Some("correct" | "true" | "yes" | "1")) => true,
                    (_, Some("incorrect" | "false" | "no" | "0")) => false,
                    (Value::Number(_), _) => match as_integer(value) {
                        Some(1) => true,
                        Some(0) => false,
                        _ => return Err(bad("correct or incorrect")),
                    },
                    _ => return Err(bad("correct or incorrect")),
                };
                Verdict::Correctness(if correct {
                    Correctness::Correct
                } else {
                    Correctness::Incorrect
                })
            }
            Task::Rating => {
                let n = as_integer(value).ok_or_else(|| bad("an integer rating"))?;
                let rating = i32::try_from(n).map_err(|_| bad("an integer rating"))?;
                if let Some((low, high)) = self.rating_scale
                    && !(low..=high).contains(&rating)
                {
                    return Err(FieldError::new(
                        path,
                        format!(
                            "rating {rating} is outside the mapping's rating scale {low} to {high}"
                        ),
                    ));
                }
                Verdict::Rating(rating)
            }
        };
        Ok(LabelValue::Verdict(verdict))
    }
}

/// A label value as `label_values` names it: text trimmed, numbers as written (a whole float as
/// an integer, as CSV and Parquet give them), true/false.
fn value_key(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            Some(as_integer(value).map_or_else(|| n.to_string(), |i| i.to_string()))
        }
        _ => None,
    }
}

fn is_none_word(label: &str) -> bool {
    matches!(label.trim().to_ascii_lowercase().as_str(), "none" | "")
}

fn is_no_error_word(word: &str) -> bool {
    matches!(word, "none" | "no error" | "correct")
}

/// The targets a mapping for `task` must name.
pub fn required_targets(task: Task) -> &'static [&'static str] {
    match task {
        Task::Pairwise => &["question", "response_a", "response_b"],
        Task::StepLevel => &["question", "steps"],
        Task::ReferenceFree | Task::Rating => &["question", "response"],
        Task::ReferenceBased => &["question", "response", "reference"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx() -> RecordContext<'static> {
        RecordContext {
            index: 3,
            file_stem: "f",
        }
    }

    #[test]
    fn one_based_step_labels_become_zero_based() {
        let m = Mapping {
            label_base: 1,
            ..Mapping::default()
        }
        .with_pairs(["question=q.text", "steps=trace", "label=first_bad"])
        .unwrap();
        assert_eq!(m.task, Some(Task::StepLevel));
        let s = m
            .convert(
                &json!({"q": {"text": "Q"}, "trace": ["a", "b", "c"], "first_bad": 3, "extra": 1}),
                cx(),
            )
            .unwrap()
            .sample;
        assert_eq!(s.gold, Some(Verdict::FirstError(Some(2))));
        assert_eq!(s.question, "Q");
        assert_eq!(s.external_id, "3");
        assert_eq!(s.metadata.keys().collect::<Vec<_>>(), ["extra"]);
        let none = m
            .convert(
                &json!({"q": {"text": "Q"}, "trace": ["a"], "first_bad": -1}),
                cx(),
            )
            .unwrap()
            .sample;
        assert_eq!(none.gold, Some(Verdict::FirstError(None)));
        let e = m
            .convert(
                &json!({"q": {"text": "Q"}, "trace": ["a"], "first_bad": 4}),
                cx(),
            )
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("first_bad"));
        let e = m
            .convert(
                &json!({"q": {"text": "Q"}, "trace": ["a"], "first_bad": 0}),
                cx(),
            )
            .unwrap_err();
        assert!(e.message.contains("below the first step"), "{}", e.message);
    }

    #[test]
    fn steps_as_json_text_or_separated_text() {
        let m = Mapping::default()
            .with_pairs(["question=q", "steps=s"])
            .unwrap();
        let s = m
            .convert(&json!({"q": "Q", "s": "[\"a\", \"b\"]"}), cx())
            .unwrap()
            .sample;
        assert_eq!(s.content.steps(), ["a", "b"]);
        let s = m
            .convert(&json!({"q": "Q", "s": "a\n\nb\n\n"}), cx())
            .unwrap()
            .sample;
        assert_eq!(s.content.steps(), ["a", "b"]);
    }

    #[test]
    fn bad_mappings_say_what_to_add() {
        assert!(
            Mapping::default()
                .with_pairs(["question=q"])
                .unwrap_err()
                .contains("--map steps")
        );
        assert!(
            Mapping::default()
                .with_pairs(["questoin=q"])
                .unwrap_err()
                .contains("unknown mapping target")
        );
        assert!(
            Mapping::default()
                .with_pairs(["question=q", "response_a=a"])
                .unwrap_err()
                .contains("response_b")
        );
        let m = Mapping::from_toml("task = \"reference-free\"\n[fields]\nquestion = \"q\"\nresponse = \"r\"\nlabel = \"ok\"\n").unwrap();
        let s = m
            .convert(&json!({"q": "Q", "r": "R", "ok": "yes"}), cx())
            .unwrap()
            .sample;
        assert_eq!(s.gold, Some(Verdict::Correctness(Correctness::Correct)));
        assert!(
            m.convert(&json!({"q": "Q", "r": "R", "ok": "maybe"}), cx())
                .is_err()
        );
    }

    fn mapping(toml: &str) -> Mapping {
        Mapping::from_toml(toml).unwrap()
    }

    fn gold(m: &Mapping, record: &Value) -> Option<LabelValue> {
        m.convert(record, cx()).unwrap().ground_truth()
    }

    #[test]
    fn pairwise_numbers_need_label_values_and_ties_stay_ties() {
        let plain = Mapping::default()
            .with_pairs(["question=q", "response_a=a", "response_b=b", "label=pref"])
            .unwrap();
        let record = |pref: Value| json!({"q": "Q", "a": "x", "b": "y", "pref": pref});
        let e = plain.convert(&record(json!(1)), cx()).unwrap_err();
        assert!(e.message.contains("--label-value 1=A"), "{}", e.message);
        assert_eq!(
            gold(&plain, &record(json!("model_b"))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::B)))
        );
        assert_eq!(gold(&plain, &record(json!("Tie"))), Some(LabelValue::Tie));
        let mapped = plain
            .clone()
            .with_label_values(["1=A", "2=B", "0=tie", "skip=none"])
            .unwrap()
            .checked()
            .unwrap();
        assert_eq!(
            gold(&mapped, &record(json!(1))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::A)))
        );
        assert_eq!(
            gold(&mapped, &record(json!("2"))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::B)))
        );
        assert_eq!(
            gold(&mapped, &record(json!(2.0))),
            Some(LabelValue::Verdict(Verdict::Pick(Side::B)))
        );
        let tie = mapped.convert(&record(json!(0)), cx()).unwrap();
        assert!(tie.gold_tie && tie.sample.gold.is_none());
        assert_eq!(gold(&mapped, &record(json!("skip"))), None);
        let e = mapped.convert(&record(json!(3)), cx()).unwrap_err();
        assert!(
            e.message.contains("label_values maps: 0, 1, 2, skip"),
            "{}",
            e.message
        );
        assert_eq!(e.field.as_deref(), Some("pref"));
        let e = plain
            .with_label_values(["1=C"])
            .unwrap()
            .checked()
            .unwrap_err();
        assert!(e.contains("`1` = `C`"), "{e}");
    }

    #[test]
    fn a_list_of_wrong_steps_gives_the_first_and_steps_past_the_end_are_named() {
        let m = mapping(
            "label_base = 1\nlabel_list = \"first\"\n[fields]\nquestion = \"q\"\nsteps = \"s\"\nlabel = \"wrong\"\n",
        );
        let record = |wrong: Value| json!({"q": "Q", "s": ["a", "b", "c"], "wrong": wrong});
        assert_eq!(
            gold(&m, &record(json!([3, 2]))),
            Some(LabelValue::Verdict(Verdict::FirstError(Some(1))))
        );
        assert_eq!(
            gold(&m, &record(json!("[2, 3]"))),
            Some(LabelValue::Verdict(Verdict::FirstError(Some(1))))
        );
        assert_eq!(
            gold(&m, &record(json!([]))),
            Some(LabelValue::Verdict(Verdict::FirstError(None)))
        );
        let e = m.convert(&record(json!([2, 7])), cx()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("wrong[1]"));
        assert!(
            e.message.contains("step 7") && e.message.contains("has 3 steps"),
            "{}",
            e.message
        );
        let no_rule = mapping("[fields]\nquestion = \"q\"\nsteps = \"s\"\nlabel = \"wrong\"\n");
        let e = no_rule.convert(&record(json!([1])), cx()).unwrap_err();
        assert!(
            e.message.contains("label_list = \"first\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn ratings_from_several_raters_and_on_a_stated_scale() {
        let m = mapping(
            "task = \"rating\"\nlabel_list = \"median\"\nrating_scale = [1, 5]\n[fields]\nquestion = \"q\"\nresponse = \"r\"\nlabel = \"scores\"\n",
        );
        let record = |scores: Value| json!({"q": "Q", "r": "R", "scores": scores});
        let rating = |r| Some(LabelValue::Verdict(Verdict::Rating(r)));
        assert_eq!(gold(&m, &record(json!([4, 2, 5]))), rating(4));
        assert_eq!(gold(&m, &record(json!([4, 5]))), rating(5));
        assert_eq!(gold(&m, &record(json!(3))), rating(3));
        assert_eq!(gold(&m, &record(json!([]))), None);
        let e = m.convert(&record(json!([4, 9])), cx()).unwrap_err();
        assert!(
            e.message
                .contains("outside the mapping's rating scale 1 to 5"),
            "{}",
            e.message
        );
        let mean = Mapping {
            label_list: Some(ListRule::Mean),
            ..m.clone()
        };
        assert_eq!(gold(&mean, &record(json!([1, 2, 2, 2]))), rating(2));
        assert_eq!(gold(&mean, &record(json!([2, 3]))), rating(3));
        assert!(
            Mapping {
                rating_scale: Some((5, 1)),
                ..m.clone()
            }
            .checked()
            .is_err()
        );
        assert!(
            Mapping {
                label_list: Some(ListRule::First),
                ..m
            }
            .checked()
            .is_err()
        );
    }

    #[test]
    fn templates_and_annotator_columns() {
        let m = mapping(
            "task = \"pairwise\"\nlabel_values = { \"1\" = \"A\", \"2\" = \"B\", \"0\" = \"tie\" }\n[fields]\nquestion = \"{instruction}\\n\\n{input?}\"\nresponse_a = \"o1\"\nresponse_b = \"o2\"\n[annotators]\nann = \"annotator1\"\nbo = \"annotator2\"\n",
        );
        let c = m
            .convert(
                &json!({"instruction": "Sort.", "input": "3 1 2", "o1": "x", "o2": "y", "annotator1": 2, "annotator2": 0, "model": "m"}),
                cx(),
            )
            .unwrap();
        assert_eq!(c.sample.question, "Sort.\n\n3 1 2");
        assert_eq!(c.sample.metadata.keys().collect::<Vec<_>>(), ["model"]);
        assert_eq!(
            c.annotator_labels,
            [
                AnnotatorLabel {
                    annotator: "ann".into(),
                    label: Some(LabelValue::Verdict(Verdict::Pick(Side::B)))
                },
                AnnotatorLabel {
                    annotator: "bo".into(),
                    label: Some(LabelValue::Tie)
                },
            ]
        );
        let c = m
            .convert(
                &json!({"instruction": "Sort.", "o1": "x", "o2": "y", "annotator1": null}),
                cx(),
            )
            .unwrap();
        assert_eq!(c.sample.question, "Sort.");
        assert_eq!(c.annotator_labels[0].label, None);
        let e = m
            .convert(
                &json!({"instruction": "Sort.", "o1": "x", "o2": "y", "annotator2": 5}),
                cx(),
            )
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("annotator2"));
        let typed = Mapping::default()
            .with_pairs(["question={a}\\n\\n{b?}", "response=r"])
            .unwrap();
        assert_eq!(typed.fields["question"], "{a}\n\n{b?}");
        assert!(
            Mapping::default()
                .with_pairs(["question=q", "steps={a}"])
                .unwrap_err()
                .contains("not a template")
        );
    }
}
