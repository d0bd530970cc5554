//! The SFT export: chat-format fine-tuning lines from human-confirmed labels.
//!
//! One line per sample with a final human verdict (the export's [`FinalLabel`] choice:
//! by default the adjudicated verdict, else the one every annotator who gave one agrees on):
//!
//! ```json
//! {"messages": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"},
//!               {"role": "assistant", "content": "…"}],
//!  "sample": "<external id>", "dataset": "…", "task": "…", "kind": "critique",
//!  "annotator": "…", "final_source": "unanimous", "template_hash": "…"}
//! ```
//!
//! `annotator` is whose verdict it is: the adjudicator, else the most recently updated label
//! that has the verdict (the first annotator by name on a tie); `final_source` is where the
//! verdict came from (`adjudicated`, `unanimous`, `majority`, `annotator`).
//!
//! - `critique` lines: the run's first original-order judgment of the sample has the final
//!   verdict and a non-empty explanation, and no label with that verdict is marked "right
//!   verdict, wrong reason". The prompt is the critique prompt and the assistant says
//!   `Explanation: {the evaluator's critique}\nVerdict: {verdict}`.
//! - `direct` lines: every other final verdict (the evaluator disagreed or gave none, or the
//!   reason was marked wrong). The prompt uses the template's direct-judgment system message
//!   and the assistant says `Verdict: {human verdict}`.
//!
//! Verdicts are written as the model writes them: `[A]` / `[B]`, the step index or `-1`,
//! `correct` / `incorrect`, the rating. Prompts are rendered (original response order) from the
//! run's template when it is for the sample's task and has the mode, else from the template
//! shipped for the task; `template_hash` names the one used.
//!
//! [`FinalLabel`]: fare_core::FinalLabel

use fare_core::{PromptMode, Resolved, ResponseOrder};
use fare_store::Project;
use serde::Serialize;

use super::output::Output;
use super::source::{Scope, model_form};
use super::{Counts, ExportError};

/// Why a sample without a final verdict gave no row.
pub(super) fn unresolved_reason(resolved: &Resolved<fare_core::Verdict>) -> &'static str {
    match resolved {
        Resolved::None(why) => why.as_str(),
        Resolved::Verdict { .. } => "",
    }
}

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
    final_source: &'static str,
    template_hash: &'a str,
}

/// Writes the SFT lines.
pub(super) fn write(
    project: &Project,
    scope: &Scope,
    out: &mut Output,
) -> Result<Counts, ExportError> {
    let mut counts = Counts::default();
    let mut line = Vec::new();
    let samples = scope.for_each_sample(project, |sample_id| {
        let labels = scope.labels(project, sample_id)?;
        let final_ = scope.final_of(project, sample_id, &labels)?;
        counts.tally(&final_);
        let Resolved::Verdict { verdict, source } = final_.resolved else {
            counts.skip(unresolved_reason(&final_.resolved));
            return Ok(());
        };
        let stored = project.sample(sample_id)?;
        let task = stored.sample.task();
        let evaluator = scope.evaluator(project, sample_id)?;
        let critique = evaluator
            .filter(|e| {
                !final_.wrong_reason
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
            annotator: final_.annotator.as_deref().unwrap_or_default(),
            final_source: source.as_str(),
            template_hash: &hash,
        };
        line.clear();
        serde_json::to_writer(&mut line, &entry).map_err(|e| out.io_error(e.into()))?;
        line.push(b'\n');
        out.write_all(&line)?;
        counts.rows += 1;
        scope.wrote(1);
        Ok(())
    })?;
    counts.samples = samples;
    counts.samples_with_rows = counts.rows;
    Ok(counts)
}
