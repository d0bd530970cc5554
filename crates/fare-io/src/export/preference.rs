//! The preference export: chosen / rejected pairs where the evaluator was overruled.
//!
//! One line per sample whose human-confirmed verdict (accepted or corrected; with several
//! annotators, the most recently updated one) differs from the verdict of the run's first
//! original-order judgment, or where that judgment has no verdict (unparseable or truncated):
//!
//! ```json
//! {"prompt": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"}],
//!  "chosen": [{"role": "assistant", "content": "…"}],
//!  "rejected": [{"role": "assistant", "content": "<the evaluator's raw output>"}],
//!  "sample": "<external id>", "dataset": "…", "task": "…", "chosen_kind": "judgment",
//!  "annotator": "…"}
//! ```
//!
//! - `prompt` is what the rejected output answered: the run's prompt in the run's mode
//!   (critique or direct), original response order.
//! - `chosen`, kind `judgment`: another stored judgment of the sample (any run, any attempt,
//!   original order, a non-empty explanation) whose verdict is the human one, written
//!   `Explanation: {critique}\nVerdict: {verdict}`; the run's own judgments first, then the
//!   oldest. Only for critique-mode runs.
//! - `chosen`, kind `direct`: otherwise, `Verdict: {human verdict}`.
//!
//! Verdicts are written as the model writes them (`[A]` / `[B]`, the step index or `-1`,
//! `correct` / `incorrect`, the rating). Samples without a confirmed label, not judged by the
//! run, or where the evaluator agrees with the person give no line.

use fare_core::{PromptMode, ResponseOrder};
use fare_store::{Project, StoreError};
use serde::Serialize;

use super::output::Output;
use super::sft::Message;
use super::source::{Scope, confirmed, model_form};
use super::{Counts, ExportError};

/// One line of the preference export.
#[derive(Debug, Serialize)]
struct PreferenceLine<'a> {
    prompt: [Message<'a>; 2],
    chosen: [Message<'a>; 1],
    rejected: [Message<'a>; 1],
    sample: &'a str,
    dataset: &'a str,
    task: &'static str,
    chosen_kind: &'static str,
    annotator: &'a str,
}

/// The explanation of a stored original-order judgment of the sample with this verdict: the
/// run's own first, then the oldest.
fn agreeing_critique(
    project: &Project,
    sample_id: i64,
    verdict: &str,
    run_id: i64,
) -> Result<Option<String>, StoreError> {
    let mut stmt = project.connection().prepare_cached(
        "SELECT critique FROM judgments
         WHERE sample_id = ?1 AND response_order = 'original' AND parse_state = 'parsed'
           AND verdict = ?2 AND critique != ''
         ORDER BY run_id = ?3 DESC, id LIMIT 1",
    )?;
    let mut rows = stmt.query((sample_id, verdict, run_id))?;
    match rows.next()? {
        Some(row) => Ok(Some(row.get(0)?)),
        None => Ok(None),
    }
}

/// Writes the preference pairs.
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
        let Some(evaluator) = scope.evaluator(project, sample_id)? else {
            return Ok(());
        };
        let Some(run) = scope.run(evaluator.run_id) else {
            return Ok(());
        };
        let human = verdict.canonical();
        if evaluator.verdict.as_deref() == Some(human.as_str()) {
            return Ok(());
        }
        let stored = project.sample(sample_id)?;
        let task = stored.sample.task();
        let template = scope.template(task, run.mode)?;
        let prompt = template
            .render(&stored.sample, run.mode, ResponseOrder::Original)
            .map_err(|e| {
                ExportError::Template(format!("sample {}: {e}", stored.sample.external_id))
            })?;
        let critique = match run.mode {
            PromptMode::Critique => agreeing_critique(project, sample_id, &human, run.id)?,
            PromptMode::Direct => None,
        };
        let (chosen, chosen_kind) = match critique {
            Some(c) => (
                format!("Explanation: {c}\nVerdict: {}", model_form(verdict)),
                "judgment",
            ),
            None => (format!("Verdict: {}", model_form(verdict)), "direct"),
        };
        let entry = PreferenceLine {
            prompt: [
                Message {
                    role: "system",
                    content: &prompt.system,
                },
                Message {
                    role: "user",
                    content: &prompt.user,
                },
            ],
            chosen: [Message {
                role: "assistant",
                content: &chosen,
            }],
            rejected: [Message {
                role: "assistant",
                content: &evaluator.raw_output,
            }],
            sample: &stored.sample.external_id,
            dataset: &scope.dataset(stored.dataset_id)?.name,
            task: task.as_str(),
            chosen_kind,
            annotator: &label.annotator,
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
