//! The generic field mapping: how the fields of an unknown schema become a sample.
//!
//! Given on the command line (`--map question=problem --map steps=steps --map label=label
//! --label-base 1 --task step-level`) or as a TOML file with the same keys:
//!
//! ```toml
//! task = "step-level"
//! label_base = 1
//! step_separator = "\n\n"   # when steps come as one string
//! [fields]
//! question = "problem"
//! steps = "steps"
//! label = "label"
//! ```
//!
//! Field paths may reach into objects with dots (`question.problem`). Targets: `id`, `question`,
//! `steps`, `response`, `response_a`, `response_b`, `reference`, `rubric`, `label`, `source`.
//! Without `task`, it follows from the targets mapped (`response_a` → pairwise, `steps` →
//! step-level, `reference` → reference-based, `response` → reference-free). Labels: pairwise `A`,
//! `B`, `A>B`, `B>A` (or `label_base`/`label_base + 1`); step-level an index counted from
//! `label_base`, `-1` for no error; verification `correct`/`incorrect`, true/false, yes/no, 1/0;
//! rating an integer. A missing or null label means no ground truth.

use std::collections::BTreeMap;

use fare_core::sample::Content;
use fare_core::{Correctness, Sample, Side, Task, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RecordContext, as_integer, describe, kind_of};
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

/// A field mapping for records of an unknown schema.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The task of every sample (inferred from the targets when absent).
    #[serde(default)]
    pub task: Option<Task>,
    /// target → source field path.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The number of the first step in step-level labels (0 or 1).
    #[serde(default)]
    pub label_base: i64,
    /// When the steps field is one string: the separator between steps.
    #[serde(default)]
    pub step_separator: Option<String>,
}

impl Mapping {
    /// Reads a mapping file.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let mapping: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        mapping.checked()
    }

    /// Adds `target=source` pairs as typed on the command line.
    pub fn with_pairs<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Mapping, String> {
        for pair in pairs {
            let (target, source) = pair.split_once('=').ok_or_else(|| {
                format!("`--map {pair}`: expected TARGET=FIELD, e.g. question=problem")
            })?;
            self.fields
                .insert(target.trim().to_owned(), source.trim().to_owned());
        }
        self.checked()
    }

    /// Checks the targets and settles the task.
    pub fn checked(mut self) -> Result<Mapping, String> {
        for target in self.fields.keys() {
            if !TARGETS.contains(&target.as_str()) {
                return Err(format!(
                    "unknown mapping target `{target}` (known: {})",
                    TARGETS.join(", ")
                ));
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
        self.task = Some(task);
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

    fn lookup<'v>(&self, record: &'v Value, target: &str) -> Option<(&str, &'v Value)> {
        let path = self.fields.get(target)?;
        let mut value = record;
        for part in path.split('.') {
            value = value.get(part)?;
        }
        (!value.is_null()).then_some((path.as_str(), value))
    }

    fn text(&self, record: &Value, target: &str) -> Result<Option<String>, FieldError> {
        match self.lookup(record, target) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.clone())),
            Some((_, Value::Number(n))) => Ok(Some(n.to_string())),
            Some((path, other)) => Err(FieldError::new(
                path,
                format!("expected text, found {}", kind_of(other)),
            )),
        }
    }

    fn required(&self, record: &Value, target: &str) -> Result<String, FieldError> {
        let path = self.fields.get(target).map_or(target, String::as_str);
        self.text(record, target)?
            .ok_or_else(|| FieldError::new(path, "missing"))
    }

    /// Converts one record.
    pub fn convert(&self, record: &Value, cx: RecordContext<'_>) -> Result<Sample, FieldError> {
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
        let gold = match self.lookup(record, "label") {
            None => None,
            Some((path, value)) => Some(self.label(path, value, task, content.steps().len())?),
        };
        let used: Vec<&str> = self
            .fields
            .values()
            .map(|p| p.split('.').next().unwrap_or(p))
            .collect();
        let metadata = record
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !used.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Sample {
            external_id: self
                .text(record, "id")?
                .unwrap_or_else(|| cx.index.to_string()),
            source: self.text(record, "source")?,
            question: self.required(record, "question")?,
            content,
            gold,
            metadata,
        })
    }

    fn steps(&self, record: &Value) -> Result<Vec<String>, FieldError> {
        let path = self.fields.get("steps").map_or("steps", String::as_str);
        let (path, value) = self
            .lookup(record, "steps")
            .ok_or_else(|| FieldError::new(path, "missing"))?;
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

    fn label(
        &self,
        path: &str,
        value: &Value,
        task: Task,
        step_count: usize,
    ) -> Result<Verdict, FieldError> {
        let bad = |expected: &str| {
            FieldError::new(path, format!("{} is not {expected}", describe(value)))
        };
        let word = value.as_str().map(|s| s.trim().to_ascii_lowercase());
        match task {
            Task::Pairwise => {
                let side = match (word.as_deref(), as_integer(value)) {
                    (Some("a" | "a>b" | "a>>b" | "[a]"), _) => Side::A,
                    (Some("b" | "b>a" | "b>>a" | "[b]"), _) => Side::B,
                    (_, Some(n)) if n == self.label_base => Side::A,
                    (_, Some(n)) if n == self.label_base + 1 => Side::B,
                    _ => return Err(bad("A or B")),
                };
                Ok(Verdict::Pick(side))
            }
            Task::StepLevel => {
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
                        format!("{n} is past the last step (the solution has {step_count} steps, numbered from {})", self.label_base),
                    )
                })
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
                Ok(Verdict::Correctness(if correct {
                    Correctness::Correct
                } else {
                    Correctness::Incorrect
                }))
            }
            Task::Rating => {
                let n = as_integer(value).ok_or_else(|| bad("an integer rating"))?;
                i32::try_from(n)
                    .map(Verdict::Rating)
                    .map_err(|_| bad("an integer rating"))
            }
        }
    }
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
            .unwrap();
        assert_eq!(s.gold, Some(Verdict::FirstError(Some(2))));
        assert_eq!(s.question, "Q");
        assert_eq!(s.external_id, "3");
        assert_eq!(s.metadata.keys().collect::<Vec<_>>(), ["extra"]);
        let none = m
            .convert(
                &json!({"q": {"text": "Q"}, "trace": ["a"], "first_bad": -1}),
                cx(),
            )
            .unwrap();
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
            .unwrap();
        assert_eq!(s.content.steps(), ["a", "b"]);
        let s = m
            .convert(&json!({"q": "Q", "s": "a\n\nb\n\n"}), cx())
            .unwrap();
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
            .unwrap();
        assert_eq!(s.gold, Some(Verdict::Correctness(Correctness::Correct)));
        assert!(
            m.convert(&json!({"q": "Q", "r": "R", "ok": "maybe"}), cx())
                .is_err()
        );
    }
}
