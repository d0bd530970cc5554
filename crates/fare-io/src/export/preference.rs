//! The preference export: chosen / rejected pairs where the evaluator was overruled.
//!
//! One line per sample whose final human verdict (the export's [`FinalLabel`] choice) differs
//! from the verdict of the run's first original-order judgment, or where that judgment has no
//! verdict (unparseable or truncated):
//!
//! ```json
//! {"prompt": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"}],
//!  "chosen": [{"role": "assistant", "content": "…"}],
//!  "rejected": [{"role": "assistant", "content": "<the evaluator's raw output>"}],
//!  "sample": "<external id>", "dataset": "…", "task": "…", "chosen_kind": "judgment",
//!  "annotator": "…", "final_source": "adjudicated"}
//! ```
//!
//! `annotator` and `final_source` say whose verdict it is and where it came from, as in the
//! SFT export.
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
//! `correct` / `incorrect`, the rating). Samples without a final verdict, not judged by the run,
//! or where the evaluator agrees with it give no line; the summary counts each reason.
//!
//! [`FinalLabel`]: fare_core::FinalLabel

use fare_core::{PromptMode, Resolved, ResponseOrder};
use fare_store::{Project, StoreError};
use serde::Serialize;

use super::output::Output;
use super::sft::Message;
use super::sft::unresolved_reason;
use super::source::{Scope, model_form};
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
    final_source: &'static str,
}

/// The explanation of a stored original-order judgment of the sample with this verdict: the
/// run's own first, then the oldest.
fn agreeing_critique(
    project: &Project,
    sample_id: i64,
    verdict: &str,
    run_id: i64,
) -> Result<Option<String>, StoreError> {
    project.critique_giving(sample_id, verdict, run_id)
}

/// Writes the preference pairs.
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
        let evaluator = scope.evaluator(project, sample_id)?;
        let Some((evaluator, run)) =
            evaluator.and_then(|e| scope.run(e.run_id).map(|run| (e, run)))
        else {
            counts.skip("not judged by the run");
            return Ok(());
        };
        let human = verdict.canonical();
        if evaluator.verdict.as_deref() == Some(human.as_str()) {
            counts.skip("the evaluator gave the final verdict");
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
            annotator: final_.annotator.as_deref().unwrap_or_default(),
            final_source: source.as_str(),
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
