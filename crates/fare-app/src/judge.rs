//! Judging a project's samples with an evaluator (a local model or an OpenAI-compatible
//! endpoint): render each sample with its task's template, generate, read the verdict, store the
//! judgment.
//!
//! Judges that can work at once (an endpoint with N requests in flight) each get a thread; the
//! calling thread renders prompts and is the only one that writes to the project. Each judgment is
//! stored in its own transaction as soon as it exists, so a crash or a kill loses at most the
//! samples in flight. Judging again with the same model, mode and sampling
//! parameters (reasoning effort included: a gpt-oss run at `high` is another run than one at
//! `medium`) continues the newest such run and skips what it already judged (after a crash, a
//! cancel, or a `--limit`); `new_run` starts afresh instead.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Instant;

use fare_core::{Prompt, PromptMode, ResponseOrder, Task, Template, VerdictRules};
use fare_engine::evaluator::{Judge, JudgeOutput};
use fare_engine::generate::SamplingParams;
use fare_engine::harmony::ReasoningEffort;
use fare_store::{NewJudgment, NewRun, Project, RunStatus, SampleFilter, StoreError};
use serde::Serialize;

/// What to judge and how.
#[derive(Debug, Clone)]
pub struct JudgeOptions {
    /// Which samples.
    pub filter: SampleFilter,
    /// Only these samples, in this order, instead of the ones the filter selects (a person's
    /// selection in the app).
    pub samples: Option<Vec<i64>>,
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
    /// Tokens generated per second of wall time so far (all judges together).
    pub tokens_per_second: f64,
    /// Seconds since judging began.
    pub elapsed_seconds: f64,
}

impl JudgeProgress {
    /// Seconds until the planned judgments are done at the pace so far.
    pub fn eta_seconds(&self) -> Option<f64> {
        (self.judged > 0).then(|| {
            self.elapsed_seconds / self.judged as f64 * (self.planned - self.judged) as f64
        })
    }
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
    /// With K judgments per sample: the mean share of the K that gave the majority verdict, over
    /// the samples and orders of the run that have two or more.
    pub mean_agreement: Option<f64>,
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
#[derive(Debug, Clone, Copy)]
struct Work {
    sample_id: i64,
    swapped: bool,
    attempt: u32,
}

/// A judgment to make, with its rendered prompt.
struct Job {
    work: Work,
    prompt: Prompt,
    rules: VerdictRules,
    sampling: SamplingParams,
}

/// A judge's answer to a job.
type Done = (Work, Result<Option<JudgeOutput>, fare_engine::EngineError>);

/// A run's settings as stored in `runs.params`; `with_effort` false gives them as runs made
/// before the reasoning effort was a setting stored them.
fn run_params(options: &JudgeOptions, location: &str, with_effort: bool) -> serde_json::Value {
    let mut params = serde_json::json!({
        "model_path": location,
        "temperature": options.sampling.temperature,
        "top_p": options.sampling.top_p,
        "seed": options.sampling.seed,
        "max_new_tokens": options.sampling.max_new_tokens,
    });
    if with_effort {
        params["reasoning_effort"] = serde_json::json!(options.sampling.reasoning_effort);
    }
    params["attempts"] = serde_json::json!(options.attempts);
    params["swap"] = serde_json::json!(options.swap);
    params
}

/// Renders the prompt of one judgment.
fn prepare(project: &Project, options: &JudgeOptions, item: Work) -> Result<Job, JudgeError> {
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
    let rules = VerdictRules::under_template(task, stored.sample.content.steps().len(), &template);
    let sampling = SamplingParams {
        seed: options.sampling.seed.wrapping_add(u64::from(item.attempt)),
        ..options.sampling.clone()
    };
    Ok(Job {
        work: item,
        prompt,
        rules,
        sampling,
    })
}

/// Judges the samples the options select. `on_progress` is told after each judgment and may
/// break to stop (the run stays unfinished and can be continued).
pub fn judge(
    project: &mut Project,
    judge: &mut dyn Judge,
    options: &JudgeOptions,
    on_progress: &mut dyn FnMut(&JudgeProgress) -> ControlFlow<()>,
) -> Result<JudgeReport, JudgeError> {
    let mode = options.mode;
    let location = judge.location();
    let params = run_params(options, &location, true);
    // Runs made before the reasoning effort was stored were made at the templates' default,
    // medium: a medium run continues them.
    let earlier_params = if options.sampling.reasoning_effort == ReasoningEffort::Medium {
        run_params(options, &location, false)
    } else {
        params.clone()
    };
    // The newest run with the same model and settings is continued: what it judged is skipped.
    let existing: Option<i64> = if options.new_run {
        None
    } else {
        project.run_to_continue(&options.model_name, mode, &[&params, &earlier_params])?
    };
    let (work, skipped, first_task) = plan(project, options, existing)?;
    let Some(template_task) = first_task else {
        // No sample matches: nothing to judge, no run made.
        return Ok(JudgeReport {
            run_id: existing,
            resumed: false,
            judged: 0,
            outcomes: fare_core::OutcomeCounts::default(),
            skipped,
            cancelled: false,
            mean_agreement: None,
        });
    };
    let run_template = Template::builtin_for(template_task)
        .ok_or_else(|| JudgeError::Template(format!("no template for {template_task}")))?;
    let (run_id, resumed) = match existing {
        Some(run) => {
            project.resume_run(run)?;
            (run, true)
        }
        None => (
            project.begin_run(&NewRun {
                model_name: options.model_name.clone(),
                model_kind: judge.kind().into(),
                model_location: Some(location.clone()),
                template: run_template,
                mode,
                params: params.clone(),
                status: RunStatus::Running,
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
        mean_agreement: None,
    };
    let outcome = run_work(
        project,
        judge,
        options,
        run_id,
        &work,
        &mut report,
        on_progress,
    );
    project.end_run(
        run_id,
        match (&outcome, report.cancelled) {
            (Err(_), _) => RunStatus::Failed,
            (Ok(()), true) => RunStatus::Cancelled,
            (Ok(()), false) => RunStatus::Finished,
        },
    )?;
    outcome?;
    if options.attempts > 1 {
        report.mean_agreement = project.mean_agreement(run_id)?;
    }
    Ok(report)
}

/// Every selected sample, order and attempt the continued run has not judged; how many it had;
/// the task of the first selected sample (none when nothing is selected).
fn plan(
    project: &Project,
    options: &JudgeOptions,
    existing: Option<i64>,
) -> Result<(Vec<Work>, u64, Option<Task>), JudgeError> {
    // What the continued run already judged: (sample, swapped, attempt), read once.
    let done: std::collections::HashSet<(i64, bool, u32)> = match existing {
        Some(run) => project.judged_by(run)?,
        None => std::collections::HashSet::new(),
    };
    let mut planned = Planned {
        work: Vec::new(),
        skipped: 0,
        samples_with_work: 0,
        first_task: None,
    };
    if let Some(ids) = &options.samples {
        for &id in ids {
            let task = project.sample(id)?.sample.task();
            if !planned.add(options, &done, id, task) {
                break;
            }
        }
    } else {
        let mut after = 0;
        'pages: loop {
            let page = project.list_samples(&options.filter, after, 500)?;
            let Some(last) = page.last() else { break };
            // The last row's cursor: its id, or its rank when the filter names a saved queue.
            after = last.cursor;
            for row in &page {
                if !planned.add(options, &done, row.id, row.task) {
                    break 'pages;
                }
            }
        }
    }
    Ok((planned.work, planned.skipped, planned.first_task))
}

/// The judgments planned so far.
struct Planned {
    work: Vec<Work>,
    skipped: u64,
    samples_with_work: usize,
    first_task: Option<Task>,
}

impl Planned {
    /// Plans a sample's judgments that `done` lacks; false once the limit is reached (the
    /// sample is then not planned).
    fn add(
        &mut self,
        options: &JudgeOptions,
        done: &std::collections::HashSet<(i64, bool, u32)>,
        sample_id: i64,
        task: Task,
    ) -> bool {
        if options
            .limit
            .is_some_and(|limit| self.samples_with_work >= limit)
        {
            return false;
        }
        self.first_task.get_or_insert(task);
        let orders: &[bool] = if options.swap && task == Task::Pairwise {
            &[false, true]
        } else {
            &[false]
        };
        let before = self.work.len();
        for &swapped in orders {
            for attempt in 0..options.attempts.max(1) {
                if done.contains(&(sample_id, swapped, attempt)) {
                    self.skipped += 1;
                } else {
                    self.work.push(Work {
                        sample_id,
                        swapped,
                        attempt,
                    });
                }
            }
        }
        if self.work.len() > before {
            self.samples_with_work += 1;
        }
        true
    }
}

/// Makes the judgments on as many threads as the judge allows, storing each from this thread as
/// it arrives. On an error the judges still working are cancelled and the error returned.
fn run_work(
    project: &mut Project,
    judge: &mut dyn Judge,
    options: &JudgeOptions,
    run_id: i64,
    work: &[Work],
    report: &mut JudgeReport,
    on_progress: &mut dyn FnMut(&JudgeProgress) -> ControlFlow<()>,
) -> Result<(), JudgeError> {
    let mut forks: Vec<Box<dyn Judge>> = (1..judge.parallelism().max(1))
        .map_while(|_| judge.fork())
        .collect();
    let workers = forks.len() + 1;
    let started = Instant::now();
    let mut progress = JudgeProgress {
        judged: 0,
        planned: work.len() as u64,
        tokens: 0,
        tokens_per_second: 0.0,
        elapsed_seconds: 0.0,
    };
    let cancel = AtomicBool::new(false);
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for worker in std::iter::once(judge).chain(forks.iter_mut().map(AsMut::as_mut)) {
            let (job_rx, done_tx, cancel) = (&job_rx, done_tx.clone(), &cancel);
            scope.spawn(move || {
                loop {
                    // The lock is held only while waiting for the next job.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(job) = job else { break };
                    let result = worker.judge(&job.prompt, &job.rules, &job.sampling, &mut |_| {
                        if cancel.load(Ordering::Relaxed) {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    });
                    if done_tx.send((job.work, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let outcome = feed_and_store(
            project,
            options,
            run_id,
            work,
            workers,
            (&job_tx, &done_rx),
            &mut |out, report_progress| {
                report.judged += 1;
                report.outcomes.add(&out.judgment.outcome);
                progress.judged += 1;
                progress.tokens += out.output_tokens as u64;
                progress.elapsed_seconds = started.elapsed().as_secs_f64();
                progress.tokens_per_second = if progress.elapsed_seconds > 0.0 {
                    progress.tokens as f64 / progress.elapsed_seconds
                } else {
                    0.0
                };
                let stop = report_progress && on_progress(&progress).is_break();
                if stop {
                    // Judgments in flight end now; the run can be continued later.
                    cancel.store(true, Ordering::Relaxed);
                }
                stop
            },
        );
        // Whatever happened, stop the judges still working and let their threads end.
        if !matches!(outcome, Ok(false)) {
            cancel.store(true, Ordering::Relaxed);
        }
        drop(job_tx);
        match outcome {
            Ok(cancelled) => {
                report.cancelled = cancelled;
                Ok(())
            }
            Err(e) => Err(e),
        }
    })
}

/// Sends jobs to the judges (a few ahead of them) and stores their answers as they arrive.
/// `stored` is told of each stored judgment and says whether to stop. Returns whether judging
/// was stopped (by the caller or a judge that was cancelled) before all the work was done.
fn feed_and_store(
    project: &mut Project,
    options: &JudgeOptions,
    run_id: i64,
    work: &[Work],
    workers: usize,
    (jobs, answers): (&mpsc::SyncSender<Job>, &mpsc::Receiver<Done>),
    stored: &mut dyn FnMut(&JudgeOutput, bool) -> bool,
) -> Result<bool, JudgeError> {
    let mut pending = work.iter();
    let mut in_flight = 0usize;
    let mut stopping = false;
    loop {
        while !stopping && in_flight < 2 * workers {
            let Some(&item) = pending.next() else { break };
            let job = prepare(project, options, item)?;
            if jobs.send(job).is_err() {
                break;
            }
            in_flight += 1;
        }
        if in_flight == 0 {
            return Ok(stopping);
        }
        let Ok((item, result)) = answers.recv() else {
            return Ok(true);
        };
        in_flight -= 1;
        let Some(out) = result? else {
            // A judge was cancelled: stop giving out work, keep what the others finish.
            stopping = true;
            continue;
        };
        // Stored in the data's labels, like the verdict.
        let probs = out.verdict_probs.as_ref().map(|p| {
            let in_data_labels = if item.swapped { p.swapped() } else { p.clone() };
            fare_core::RecordedProbs::new(&in_data_labels, out.verdict_probs_forced)
        });
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
                verdict_probs: probs,
            },
        )?;
        if stored(&out, !stopping) {
            stopping = true;
        }
    }
}
