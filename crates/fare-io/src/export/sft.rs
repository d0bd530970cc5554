//! The SFT export: chat-format fine-tuning lines from human-confirmed labels.
//!
//! One line per sample with a human-confirmed label (decision accepted or corrected; with
//! several annotators, the most recently updated such label, the first annotator by name on a
//! tie):
//!
//! ```json
//! {"messages": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"},
//!               {"role": "assistant", "content": "…"}],
//!  "sample": "<external id>", "dataset": "…", "task": "…", "kind": "critique",
//!  "annotator": "…", "template_hash": "…"}
//! ```
//!
//! - `critique` lines: the label **accepted** the run's verdict, is not marked "right verdict,
//!   wrong reason", and the run's first original-order judgment of the sample has that verdict
//!   and a non-empty explanation. The prompt is the critique prompt and the assistant says
//!   `Explanation: {the evaluator's critique}\nVerdict: {verdict}`.
//! - `direct` lines: every other confirmed label (corrected, marked wrong-reason, or accepted
//!   without a matching critique in the run). The prompt uses the template's direct-judgment
//!   system message and the assistant says `Verdict: {human verdict}`.
//!
//! Verdicts are written as the model writes them: `[A]` / `[B]`, the step index or `-1`,
//! `correct` / `incorrect`, the rating. Prompts are rendered (original response order) from the
//! run's template when it is for the sample's task and has the mode, else from the template
//! shipped for the task; `template_hash` names the one used.

use fare_core::{Decision, PromptMode, ResponseOrder};
use fare_store::Project;
use serde::Serialize;

use super::output::Output;
use super::source::{Scope, confirmed, model_form};
use super::{Counts, ExportError};

/// One chat message.
#[derive(Debug, Serialize)]
pub(super) struct Message<'a> {
    /// `system`, `user` or `assistant`.
    pub(super) role: &'static str,
    /// The text.
    pub(super) content: &'a str,
}

/// One line of the SFT export.
#[derive(Debug, Serialize)]
struct SftLine<'a> {
    messages: [Message<'a>; 3],
    sample: &'a str,
    dataset: &'a str,
    task: &'static str,
    kind: &'static str,
    annotator: &'a str,
    template_hash: &'a str,
}

/// Writes the SFT lines.
pub(super) fn write(
    project: &Project,
    scope: &Scope,
    out: &mut Output,
) -> Result<Counts, ExportError> {
    let mut rows = 0;
    let mut line = Vec::new();
    let samples = scope.for_each_sample(project, |sample_id| {
        let labels = scope.labels(project, sample_id)?;
        let Some((label, verdict)) = confirmed(&labels) else {
            return Ok(());
        };
        let stored = project.sample(sample_id)?;
        let task = stored.sample.task();
        let evaluator = scope.evaluator(project, sample_id)?;
        let critique = evaluator
            .filter(|e| {
                label.label.decision == Decision::Accepted
                    && !label.label.wrong_reason
                    && e.verdict.as_deref() == Some(verdict.canonical().as_str())
                    && !e.critique.is_empty()
            })
            .map(|e| e.critique);
        let mode = if critique.is_some() {
            PromptMode::Critique
        } else {
            PromptMode::Direct
        };
        let template = scope.template(task, mode)?;
        let prompt = template
            .render(&stored.sample, mode, ResponseOrder::Original)
            .map_err(|e| {
                ExportError::Template(format!("sample {}: {e}", stored.sample.external_id))
            })?;
        let answer = match &critique {
            Some(c) => format!("Explanation: {c}\nVerdict: {}", model_form(verdict)),
            None => format!("Verdict: {}", model_form(verdict)),
        };
        let hash = template.content_hash();
        let entry = SftLine {
            messages: [
                Message {
                    role: "system",
                    content: &prompt.system,
                },
                Message {
                    role: "user",
                    content: &prompt.user,
                },
                Message {
                    role: "assistant",
                    content: &answer,
                },
            ],
            sample: &stored.sample.external_id,
            dataset: &scope.dataset(stored.dataset_id)?.name,
            task: task.as_str(),
            kind: if critique.is_some() {
                "critique"
            } else {
                "direct"
            },
            annotator: &label.annotator,
            template_hash: &hash,
        };
        line.clear();
        serde_json::to_writer(&mut line, &entry).map_err(|e| out.io_error(e.into()))?;
        line.push(b'\n');
        out.write_all(&line)?;
        rows += 1;
        Ok(())
    })?;
    Ok(Counts {
        rows,
        samples,
        samples_with_rows: rows,
    })
}
