//! Importing evaluator outputs produced elsewhere (a vLLM or SGLang batch, an API run, another
//! team's files) as a run of the project.
//!
//! Each record names a sample (its data set id, or `dataset/id`) and holds the raw output; FARE
//! Lens reads the verdict with the same parser as its own runs. Field names are set with a
//! mapping whose paths may reach into objects and arrays (`response.body.choices.0.message.content`
//! for an OpenAI batch output file). Optional fields: the order (`swapped` true/false, or
//! `original`/`swapped`), the attempt (k of K samples), the finish reason (`length` means the
//! token limit was hit), token counts and latency. The run and all its judgments are written in
//! one transaction: a bad record stops the import and nothing of the file is kept.

use std::collections::BTreeMap;
use std::path::Path;

use fare_core::verdict::VerdictRules;
use fare_core::{Finish, PromptMode, Task, Template, read_output};
use fare_store::{NewJudgment, NewRun, Project};
use serde_json::Value;

use crate::error::{ImportError, Location};
use crate::read::{self, DEFAULT_MAX_RECORD_BYTES};

/// The fields a judgment record is read from: target → path.
const TARGETS: [&str; 9] = [
    "sample",
    "output",
    "swapped",
    "attempt",
    "finish_reason",
    "prompt_tokens",
    "output_tokens",
    "latency_ms",
    "verdict_probs",
];

/// How to import evaluator outputs.
#[derive(Debug, Clone)]
pub struct JudgmentImportOptions {
    /// The model's name, as the run will show it.
    pub model: String,
    /// The template the outputs were produced with (the shipped one of the first sample's task
    /// when absent).
    pub template: Option<Template>,
    /// Critique or direct judgments.
    pub mode: PromptMode,
    /// target → field path; targets without an entry use their own name.
    pub fields: BTreeMap<String, String>,
    /// A label for the run.
    pub label: Option<String>,
    /// The limit on one record's size.
    pub max_record_bytes: usize,
}

impl JudgmentImportOptions {
    /// Options with the default field names.
    pub fn new(model: &str) -> Self {
        JudgmentImportOptions {
            model: model.to_owned(),
            template: None,
            mode: PromptMode::Critique,
            fields: BTreeMap::new(),
            label: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }

    /// Adds `target=path` pairs as typed on the command line.
    pub fn with_pairs<'a>(
        mut self,
        pairs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        for pair in pairs {
            let (target, path) = pair.split_once('=').ok_or_else(|| {
                format!("`--map {pair}`: expected TARGET=FIELD, e.g. output=response.text")
            })?;
            let target = target.trim();
            if !TARGETS.contains(&target) {
                return Err(format!(
                    "unknown target `{target}` (known: {})",
                    TARGETS.join(", ")
                ));
            }
            self.fields
                .insert(target.to_owned(), path.trim().to_owned());
        }
        Ok(self)
    }

    fn path<'a>(&'a self, target: &'a str) -> &'a str {
        self.fields.get(target).map_or(target, String::as_str)
    }
}

/// What an import of judgments did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JudgmentImportReport {
    /// The file.
    pub file: String,
    /// The run made.
    pub run_id: i64,
    /// Judgments stored.
    pub judgments: u64,
    /// Of which with a verdict, unparseable and truncated.
    #[serde(flatten)]
    pub outcomes: fare_core::OutcomeCounts,
}

/// The value at a dotted path; numeric parts index arrays.
fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, part| match v {
            Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => v.get(part),
        })
        .filter(|v| !v.is_null())
}

/// Imports one file of evaluator outputs as a new run.
pub fn import_judgments(
    project: &mut Project,
    path: &Path,
    options: &JudgmentImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<JudgmentImportReport, ImportError> {
    let file = path.display().to_string();
    let container = read::sniff(path, &file, options.max_record_bytes)?;
    let template = match &options.template {
        Some(t) => t.clone(),
        None => first_task(project, path, &file, container, options).and_then(|task| {
            Template::builtin_for(task)
                .ok_or_else(|| ImportError::file(&file, format!("no shipped {task} template")))
        })?,
    };
    if options.mode == PromptMode::Direct && template.direct.is_none() {
        return Err(ImportError::file(
            &file,
            format!("template `{}` has no direct mode", template.name),
        ));
    }
    let run = NewRun {
        model_name: options.model.clone(),
        model_kind: "external".into(),
        model_location: Some(file.clone()),
        template: template.clone(),
        mode: options.mode,
        params: serde_json::json!({ "imported_from": file, "fields": options.fields }),
        status: fare_store::RunStatus::Running,
        label: options.label.clone(),
    };
    let mut writer = project
        .begin_judgment_import(&run)
        .map_err(|e| ImportError::file(&file, e.to_string()))?;
    let mut report = JudgmentImportReport {
        file: file.clone(),
        run_id: writer.run_id(),
        judgments: 0,
        outcomes: fare_core::OutcomeCounts::default(),
    };
    let mut handle = |record: Result<read::RawRecord, ImportError>| -> read::Step {
        let record = record?;
        let at = record.at;
        let field_error = |target: &str, message: String| {
            ImportError::record(&file, at, Some(options.path(target)), message)
        };
        let text = |target: &str| -> Result<Option<String>, ImportError> {
            match at_path(&record.value, options.path(target)) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(other) => Err(field_error(
                    target,
                    format!("expected text, found {}", crate::formats::describe(other)),
                )),
            }
        };
        let number = |target: &str| -> Result<Option<u64>, ImportError> {
            match at_path(&record.value, options.path(target)) {
                None => Ok(None),
                Some(v) => crate::formats::as_integer(v)
                    .and_then(|n| u64::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        field_error(
                            target,
                            format!(
                                "expected a whole number, found {}",
                                crate::formats::describe(v)
                            ),
                        )
                    }),
            }
        };
        let reference = text("sample")?
            .ok_or_else(|| field_error("sample", "missing: which sample was judged".into()))?;
        let raw = text("output")?
            .ok_or_else(|| field_error("output", "missing: the evaluator's output".into()))?;
        let sample_id = writer
            .find_sample(&reference)
            .map_err(|e| field_error("sample", e.to_string()))?;
        let stored = project_sample_rules(&writer, sample_id, &template)
            .map_err(|e| field_error("sample", e))?;
        let swapped = match at_path(&record.value, options.path("swapped")) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "swapped" || s == "true" => true,
            Some(Value::String(s)) if s == "original" || s == "false" => false,
            Some(other) => {
                return Err(field_error(
                    "swapped",
                    format!(
                        "expected true/false or original/swapped, found {}",
                        crate::formats::describe(other)
                    ),
                ));
            }
        };
        if swapped && stored.task != Task::Pairwise {
            return Err(field_error(
                "swapped",
                format!(
                    "only pairwise samples can be swapped; `{reference}` is {}",
                    stored.task
                ),
            ));
        }
        let finish = match text("finish_reason")?.as_deref() {
            Some("length" | "max_tokens" | "truncated") => Finish::Length,
            _ => Finish::Stopped,
        };
        let judgment = read_output(&raw, &stored, finish);
        let narrow = |n: Option<u64>| n.and_then(|v| u32::try_from(v).ok());
        let verdict_probs = at_path(&record.value, options.path("verdict_probs"))
            .filter(|v| !v.is_null())
            .map(|v| {
                let probs = fare_core::RecordedProbs::from_json(v)
                    .map_err(|e| field_error("verdict_probs", e))?;
                for (verdict, _) in &probs.probs {
                    fare_core::Verdict::from_canonical(verdict, &stored).map_err(|e| {
                        field_error(
                            "verdict_probs",
                            format!("`{verdict}` is not a verdict of `{reference}`: {e}"),
                        )
                    })?;
                }
                Ok::<_, ImportError>(probs)
            })
            .transpose()?;
        writer
            .add(&NewJudgment {
                sample_id,
                swapped,
                attempt: narrow(number("attempt")?).unwrap_or(0),
                judgment: &judgment,
                prompt_tokens: narrow(number("prompt_tokens")?),
                output_tokens: narrow(number("output_tokens")?),
                latency_ms: number("latency_ms")?,
                verdict_probs,
            })
            .map_err(|e| ImportError::record(&file, at, None, e.to_string()))?;
        report.judgments += 1;
        report.outcomes.add(&judgment.outcome);
        if report.judgments.is_multiple_of(256) {
            progress(report.judgments);
        }
        Ok(())
    };
    let records = read::read_records(
        path,
        &file,
        container,
        options.max_record_bytes,
        &mut handle,
    )?;
    if records == 0 {
        return Err(ImportError::file(&file, "the file holds no records"));
    }
    progress(report.judgments);
    writer
        .finish(fare_store::RunStatus::Imported)
        .map_err(|e| ImportError::file(&file, e.to_string()))?;
    Ok(report)
}

/// The verdict rules of a sample for the run's template (its rating scale).
fn project_sample_rules(
    writer: &fare_store::JudgmentWriter<'_>,
    sample_id: i64,
    template: &Template,
) -> Result<VerdictRules, String> {
    let (task, step_count) = writer.sample_task(sample_id).map_err(|e| e.to_string())?;
    Ok(VerdictRules::under_template(task, step_count, template))
}

/// The task of the sample the first record names (to pick the shipped template).
fn first_task(
    project: &Project,
    path: &Path,
    file: &str,
    container: read::Container,
    options: &JudgmentImportOptions,
) -> Result<Task, ImportError> {
    let mut first = None;
    let _ = read::read_records(
        path,
        file,
        container,
        options.max_record_bytes,
        &mut |record| {
            first = Some(record);
            Err(ImportError::file(file, ""))
        },
    );
    let record = match first {
        Some(r) => r?,
        None => return Err(ImportError::file(file, "the file holds no records")),
    };
    let at: Location = record.at;
    let reference = at_path(&record.value, options.path("sample"))
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .ok_or_else(|| {
            ImportError::record(
                file,
                at,
                Some(options.path("sample")),
                "missing: which sample was judged",
            )
        })?;
    project
        .sample_task_by_reference(&reference)
        .map_err(|e| ImportError::record(file, at, Some(options.path("sample")), e.to_string()))
}
