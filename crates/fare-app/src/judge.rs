//! Judging a project's samples with a local evaluator: render each sample with its task's
//! template, generate, read the verdict, store the judgment, one sample at a time.
//!
//! Each judgment is stored in its own transaction as soon as it exists, so a crash or a kill
//! loses at most the sample in flight. Judging again with the same model, mode and sampling
//! parameters continues the newest such run and skips what it already judged (after a crash, a
//! cancel, or a `--limit`); `new_run` starts afresh instead.

use std::ops::ControlFlow;
use std::path::Path;

use fare_core::{PromptMode, ResponseOrder, Task, Template, VerdictRules};
use fare_engine::evaluator::Evaluator;
use fare_engine::generate::SamplingParams;
use fare_store::{NewJudgment, NewRun, Project, SampleFilter, StoreError};
use serde::Serialize;

/// What to judge and how.
#[derive(Debug, Clone)]
pub struct JudgeOptions {
    /// Which samples.
    pub filter: SampleFilter,
    /// At most this many samples (after those already judged are skipped).
    pub limit: Option<usize>,
    /// Decoding.
    pub sampling: SamplingParams,
    /// Judgments per sample (K samples for a majority vote; seeds differ per attempt).
    pub attempts: u32,
    /// Pairwise samples are also judged with A and B swapped.
    pub swap: bool,
    /// Critique or direct judgments.
    pub mode: PromptMode,
    /// The model's name in the project.
    pub model_name: String,
    /// Start a new run even when one with the same settings exists.
    pub new_run: bool,
}

/// Progress of a judging run, after each judgment.
#[derive(Debug, Clone, Serialize)]
pub struct JudgeProgress {
    /// Judgments stored so far in this invocation.
    pub judged: u64,
    /// Judgments this invocation will make.
    pub planned: u64,
    /// Tokens generated so far.
    pub tokens: u64,
    /// Decode speed of the latest judgment.
    pub tokens_per_second: f64,
}

/// What a judging run did.
#[derive(Debug, Clone, Serialize)]
pub struct JudgeReport {
    /// The run (continued or new); none when there was nothing to judge and no run to continue.
    pub run_id: Option<i64>,
    /// Whether an unfinished run was continued.
    pub resumed: bool,
    /// Judgments stored now.
    pub judged: u64,
    /// Of which with a verdict, unparseable and truncated.
    #[serde(flatten)]
    pub outcomes: fare_core::OutcomeCounts,
    /// Judgments the run already had and were skipped.
    pub skipped: u64,
    /// Whether the caller stopped it.
    pub cancelled: bool,
}

/// Errors of judging.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// The project.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The model.
    #[error(transparent)]
    Engine(#[from] fare_engine::EngineError),
    /// A template.
    #[error("{0}")]
    Template(String),
}

/// One judgment to make: sample, order, attempt.
struct Work {
    sample_id: i64,
    swapped: bool,
    attempt: u32,
}

fn run_params(options: &JudgeOptions, model_path: &Path) -> serde_json::Value {
    serde_json::json!({
        "model_path": model_path.display().to_string(),
        "temperature": options.sampling.temperature,
        "top_p": options.sampling.top_p,
        "seed": options.sampling.seed,
        "max_new_tokens": options.sampling.max_new_tokens,
        "attempts": options.attempts,
        "swap": options.swap,
    })
}

/// Judges the samples the options select. `on_progress` is told after each judgment and may
/// break to stop (the run stays unfinished and can be continued).
pub fn judge(
    project: &mut Project,
    evaluator: &mut Evaluator,
    options: &JudgeOptions,
    on_progress: &mut dyn FnMut(&JudgeProgress) -> ControlFlow<()>,
) -> Result<JudgeReport, JudgeError> {
    let mode = match options.mode {
        PromptMode::Critique => "critique",
        PromptMode::Direct => "direct",
    };
    let params = run_params(options, &evaluator.path);
    // The newest run with the same model and settings is continued: what it judged is skipped.
    let existing: Option<i64> = if options.new_run {
        None
    } else {
        project
            .connection()
            .query_row(
                "SELECT r.id FROM runs r JOIN models m ON m.id = r.model_id
                 WHERE m.name = ?1 AND r.mode = ?2 AND r.params = ?3 AND r.status != 'imported'
                 ORDER BY r.id DESC LIMIT 1",
                rusqlite::params![options.model_name, mode, params.to_string()],
                |r| r.get(0),
            )
            .ok()
    };
    // What the continued run already judged: (sample, swapped, attempt), read once.
    let done: std::collections::HashSet<(i64, bool, u32)> = match existing {
        Some(run) => {
            let mut stmt = project
                .connection()
                .prepare("SELECT sample_id, response_order = 'swapped', attempt FROM judgments WHERE run_id = ?1")
                .map_err(StoreError::from)?;
            stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(StoreError::from)?
                .collect::<Result<_, _>>()
                .map_err(StoreError::from)?
        }
        None => std::collections::HashSet::new(),
    };
    // Gather the work: every selected sample, order and attempt the run has not judged.
    let mut work = Vec::new();
    let mut skipped = 0u64;
    let mut samples_with_work = 0usize;
    let mut after = 0;
    let mut first_task = None;
    'pages: loop {
        let page = project.list_samples(&options.filter, after, 500)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in &page {
            if options
                .limit
                .is_some_and(|limit| samples_with_work >= limit)
            {
                break 'pages;
            }
            first_task.get_or_insert(row.task);
            let orders: &[bool] = if options.swap && row.task == Task::Pairwise {
                &[false, true]
            } else {
                &[false]
            };
            let before = work.len();
            for &swapped in orders {
                for attempt in 0..options.attempts.max(1) {
                    if done.contains(&(row.id, swapped, attempt)) {
                        skipped += 1;
                    } else {
                        work.push(Work {
                            sample_id: row.id,
                            swapped,
                            attempt,
                        });
                    }
                }
            }
            if work.len() > before {
                samples_with_work += 1;
            }
        }
    }
    let Some(template_task) = first_task else {
        // No sample matches: nothing to judge, no run made.
        return Ok(JudgeReport {
            run_id: existing,
            resumed: false,
            judged: 0,
            outcomes: fare_core::OutcomeCounts::default(),
            skipped,
            cancelled: false,
        });
    };
    let run_template = Template::builtin_for(template_task)
        .ok_or_else(|| JudgeError::Template(format!("no template for {template_task}")))?;
    let (run_id, resumed) = match existing {
        Some(run) => {
            project
                .connection()
                .execute("UPDATE runs SET status = 'running' WHERE id = ?1", [run])
                .map_err(StoreError::from)?;
            (run, true)
        }
        None => (
            project.begin_run(&NewRun {
                model_name: options.model_name.clone(),
                model_kind: "local".into(),
                model_location: Some(evaluator.path.display().to_string()),
                template: run_template,
                mode: mode.into(),
                params: params.clone(),
                status: "running".into(),
                label: None,
            })?,
            false,
        ),
    };
    let mut report = JudgeReport {
        run_id: Some(run_id),
        resumed,
        judged: 0,
        outcomes: fare_core::OutcomeCounts::default(),
        skipped,
        cancelled: false,
    };
    let mut progress = JudgeProgress {
        judged: 0,
        planned: work.len() as u64,
        tokens: 0,
        tokens_per_second: 0.0,
    };
    for item in &work {
        let stored = project.sample(item.sample_id)?;
        let task = stored.sample.task();
        let template = Template::builtin_for(task)
            .ok_or_else(|| JudgeError::Template(format!("no template for {task}")))?;
        let order = if item.swapped {
            ResponseOrder::Swapped
        } else {
            ResponseOrder::Original
        };
        let prompt = template
            .render(&stored.sample, options.mode, order)
            .map_err(|e| JudgeError::Template(format!("sample {}: {e}", item.sample_id)))?;
        let mut rules = VerdictRules::new(task, stored.sample.content.steps().len());
        rules.rating_scale = template.rating_scale();
        let sampling = SamplingParams {
            seed: options.sampling.seed.wrapping_add(u64::from(item.attempt)),
            ..options.sampling.clone()
        };
        let Some(out) = evaluator.judge(&prompt, &rules, &sampling, &mut |_| {
            ControlFlow::Continue(())
        })?
        else {
            report.cancelled = true;
            break;
        };
        project.add_judgment(
            run_id,
            &NewJudgment {
                sample_id: item.sample_id,
                swapped: item.swapped,
                attempt: item.attempt,
                judgment: &out.judgment,
                prompt_tokens: u32::try_from(out.prompt_tokens).ok(),
                output_tokens: u32::try_from(out.output_tokens).ok(),
                latency_ms: u64::try_from(out.elapsed.as_millis()).ok(),
                verdict_probs: None,
            },
        )?;
        report.judged += 1;
        report.outcomes.add(&out.judgment.outcome);
        progress.judged += 1;
        progress.tokens += out.output_tokens as u64;
        progress.tokens_per_second = out.tokens_per_second;
        if on_progress(&progress).is_break() {
            report.cancelled = true;
            break;
        }
    }
    project.end_run(
        run_id,
        if report.cancelled {
            "cancelled"
        } else {
            "finished"
        },
    )?;
    Ok(report)
}
