//! Jobs: the loaded model ([`crate::worker`]) judging samples of the open project in the
//! background, while the person keeps annotating.
//!
//! A job judges a list of samples (the open one, a selection) or the samples a filter of the
//! queue matches, taken when it starts. It runs on a thread of its own with its own connection
//! to the project (SQLite in WAL mode: the app's reads and annotations go on meanwhile), through
//! the one judging pipeline ([`crate::judge`]) and the endpoint client, one sample at a time so
//! that the sample being judged and its output so far can be shown as it streams. Judging
//! continues the newest run of the same model and settings, skipping what it already judged,
//! unless a new run is asked for.
//!
//! Its status is polled ([`Jobs::status`]): state, samples done of all, the sample being judged
//! and its output so far (the reasoning of a gpt-oss model apart from its answer, split as it
//! streams by [`fare_engine::harmony::SplitOutput`]), tokens per second, the time left at the pace so far, errors.
//! Cancelling stops the generation at its next token (a model still reading a long prompt stops
//! when it writes its first one); what was judged stays stored.
//!
//! A sample that fails is counted and its error kept, and the job goes on; three failures in a
//! row, or the worker stopping, end the job as failed.
//!
//! Known limits: one job at a time; one request at a time even to an endpoint that could take
//! several; one attempt per sample.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use fare_core::{Prompt, PromptMode, VerdictRules};
use fare_endpoint::{EndpointJudge, Streamed};
use fare_engine::EngineError;
use fare_engine::evaluator::{Judge, JudgeOutput};
use fare_engine::generate::SamplingParams;
use fare_engine::harmony::{ReasoningEffort, SplitOutput};
use fare_store::{Project, SampleFilter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject, SampleQuery};
use crate::judge::{JudgeOptions, judge};
use crate::worker::{ModelError, ModelSource, Worker};

/// Which samples a job judges.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JobTarget {
    /// These samples, in this order (the open one, a selection).
    Samples {
        /// Their ids.
        ids: Vec<i64>,
    },
    /// The samples the queue's filters match when the job starts (its `after` and `limit` are
    /// not used).
    Filter {
        /// The filters.
        query: SampleQuery,
    },
}

/// A job to start.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct JobRequest {
    /// Which samples.
    pub target: JobTarget,
    /// The most tokens per judgment (4096 when absent).
    #[serde(default)]
    #[ts(optional)]
    pub max_new_tokens: Option<u32>,
    /// Sampling temperature (0, greedy, when absent).
    #[serde(default)]
    #[ts(optional)]
    pub temperature: Option<f64>,
    /// Verdict only (FARE's direct mode) instead of critique then verdict.
    #[serde(default)]
    #[ts(optional)]
    pub direct: Option<bool>,
    /// Also judge pairwise samples with A and B swapped.
    #[serde(default)]
    #[ts(optional)]
    pub swap: Option<bool>,
    /// How long gpt-oss models (FARE-20B) reason: `low`, `medium` (when absent) or `high`; a run
    /// setting, ignored by models whose chat template has none.
    #[serde(default)]
    #[ts(optional, as = "Option<EffortName>")]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Start a new run even when one with the same model and settings exists (which would be
    /// continued, skipping what it judged).
    #[serde(default)]
    #[ts(optional)]
    pub new_run: Option<bool>,
}

/// A reasoning effort as the UI names it (the TypeScript of
/// [`fare_engine::harmony::ReasoningEffort`]).
#[derive(TS)]
#[ts(rename = "ReasoningEffort")]
#[allow(dead_code, reason = "only its TypeScript is used")]
enum EffortName {
    #[ts(rename = "low")]
    Low,
    #[ts(rename = "medium")]
    Medium,
    #[ts(rename = "high")]
    High,
}

/// Where a job stands (and a download or conversion: [`crate::downloads::TransferView`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// Judging (downloading, converting).
    Running,
    /// Asked to stop; ends at the model's next token (a download's next read, a conversion's
    /// next tensor).
    Cancelling,
    /// Every sample (file, tensor) went through.
    Finished,
    /// Stopped by the person.
    Cancelled,
    /// Stopped by an error (`error` says which).
    Failed,
}

impl JobState {
    /// Running or cancelling: not ended yet.
    pub fn is_running(self) -> bool {
        matches!(self, JobState::Running | JobState::Cancelling)
    }
}

/// A job, as the model panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct JobView {
    /// Its id.
    pub id: u64,
    /// Where it stands.
    pub state: JobState,
    /// The model judging.
    pub model: String,
    /// Samples to go through (known once the filter was read).
    pub total: u64,
    /// Samples gone through: judged, skipped or failed.
    pub done: u64,
    /// Judgments stored.
    pub judged: u64,
    /// Samples the continued run had already judged.
    pub skipped: u64,
    /// Samples whose judgment failed.
    pub failed: u64,
    /// The sample being judged.
    pub current_sample: Option<i64>,
    /// Its answer so far (untrusted): the whole output, or for a model that reasons apart
    /// (gpt-oss's harmony format) its `final` channel.
    pub output: String,
    /// Its reasoning so far (untrusted): gpt-oss's `analysis` channel, or what an endpoint
    /// streamed as `reasoning_content`; empty for models that do not reason apart.
    pub analysis: String,
    /// The sample judged last.
    pub last_judged: Option<i64>,
    /// The run the judgments went to.
    pub run_id: Option<i64>,
    /// Tokens generated (the judgment in progress counted in streamed pieces).
    pub tokens: u64,
    /// Tokens per second of writing (from each output's first piece to its end: the time the
    /// model reads the prompt is left out, as in a decode speed).
    pub tokens_per_second: f64,
    /// Seconds since it started.
    pub elapsed_seconds: f64,
    /// Seconds left at the pace so far (none before the first judgment).
    pub eta_seconds: Option<f64>,
    /// Why samples failed (the latest few).
    pub errors: Vec<String>,
    /// Why the job failed.
    pub error: Option<String>,
}

/// The samples a job judges, taken from the open project.
#[derive(Debug, Clone)]
pub struct JobSamples {
    project: PathBuf,
    selection: Selection,
}

#[derive(Debug, Clone)]
enum Selection {
    Ids(Vec<i64>),
    Filter(SampleFilter),
}

impl OpenProject {
    /// What a job on `target` judges: the project file and the samples (a filter as this
    /// annotator's queue applies it).
    pub fn job_samples(&self, target: &JobTarget) -> Result<JobSamples, ApiError> {
        let selection = match target {
            JobTarget::Samples { ids } => {
                if ids.is_empty() {
                    return Err(ApiError::Invalid("no sample to judge".into()));
                }
                let mut seen = std::collections::HashSet::new();
                Selection::Ids(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
            }
            JobTarget::Filter { query } => Selection::Filter(self.filter(query)),
        };
        Ok(JobSamples {
            project: self.project().path().to_owned(),
            selection,
        })
    }
}

/// Sample errors a job keeps.
const ERRORS_KEPT: usize = 20;
/// Failures in a row that end a job.
const FAILURES_IN_A_ROW: u32 = 3;
/// Finished jobs kept for their status.
const JOBS_KEPT: usize = 20;

/// A job's status, written by its thread.
#[derive(Debug)]
struct Status {
    state: JobState,
    total: u64,
    done: u64,
    judged: u64,
    skipped: u64,
    failed: u64,
    /// Samples that needed the model (judged or failed): the pace.
    worked: u64,
    current_sample: Option<i64>,
    /// The judgment in progress, kept apart by channel as it streams.
    output: SplitOutput,
    last_judged: Option<i64>,
    run_id: Option<i64>,
    tokens: u64,
    /// Streamed pieces of the judgment in progress.
    pieces: u64,
    /// Seconds spent writing outputs, from each one's first piece to its end (reading prompts
    /// left out), of the judgments done.
    writing_seconds: f64,
    /// When the judgment in progress wrote its first piece.
    first_piece: Option<Instant>,
    /// When the job ended.
    ended: Option<Instant>,
    errors: VecDeque<String>,
    error: Option<String>,
}

/// One job: its status and its stop flag, shared with its thread.
#[derive(Debug)]
struct Job {
    id: u64,
    model: String,
    started: Instant,
    cancel: AtomicBool,
    status: Mutex<Status>,
}

impl Job {
    /// A job starting now on `model`, with `total` samples (0 until a filter is resolved).
    fn new(id: u64, model: String, total: u64) -> Job {
        Job {
            id,
            model,
            started: Instant::now(),
            cancel: AtomicBool::new(false),
            status: Mutex::new(Status {
                state: JobState::Running,
                total,
                done: 0,
                judged: 0,
                skipped: 0,
                failed: 0,
                worked: 0,
                current_sample: None,
                output: SplitOutput::new(),
                last_judged: None,
                run_id: None,
                tokens: 0,
                pieces: 0,
                writing_seconds: 0.0,
                first_piece: None,
                ended: None,
                errors: VecDeque::new(),
                error: None,
            }),
        }
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        // The status holds counters only: a panic half-way leaves nothing to repair.
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn running(&self) -> bool {
        self.status().state.is_running()
    }

    fn view(&self) -> JobView {
        let s = self.status();
        let elapsed = s
            .ended
            .unwrap_or_else(Instant::now)
            .duration_since(self.started)
            .as_secs_f64();
        let tokens = s.tokens + s.pieces;
        let writing = s.writing_seconds + s.first_piece.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let running = s.state.is_running();
        JobView {
            id: self.id,
            state: if s.state == JobState::Running && self.cancel.load(Ordering::Relaxed) {
                JobState::Cancelling
            } else {
                s.state
            },
            model: self.model.clone(),
            total: s.total,
            done: s.done,
            judged: s.judged,
            skipped: s.skipped,
            failed: s.failed,
            current_sample: s.current_sample,
            output: s.output.answer.clone(),
            analysis: s.output.analysis.clone(),
            last_judged: s.last_judged,
            run_id: s.run_id,
            tokens,
            tokens_per_second: if writing > 0.0 {
                tokens as f64 / writing
            } else {
                0.0
            },
            elapsed_seconds: elapsed,
            eta_seconds: (running && s.worked > 0)
                .then(|| elapsed / s.worked as f64 * s.total.saturating_sub(s.done) as f64),
            errors: s.errors.iter().cloned().collect(),
            error: s.error.clone(),
        }
    }
}

/// The jobs of one open project: at most one running, the last few finished.
#[derive(Debug, Default)]
pub struct Jobs {
    next_id: AtomicU64,
    jobs: Mutex<Vec<Arc<Job>>>,
}

impl Jobs {
    /// None yet.
    pub fn new() -> Jobs {
        Jobs::default()
    }

    fn jobs(&self) -> MutexGuard<'_, Vec<Arc<Job>>> {
        // A list of handles: nothing a panic could leave half-done.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts judging `samples` with the model `worker` has ready; returns at once.
    pub fn start(
        &self,
        worker: &Worker,
        samples: JobSamples,
        request: &JobRequest,
    ) -> Result<JobView, ModelError> {
        let source = worker.source()?;
        let client = source.client()?;
        let mut jobs = self.jobs();
        if let Some(running) = jobs.iter().find(|j| j.running()) {
            return Err(ModelError::Invalid(format!(
                "job {} is still running: cancel it or wait for it",
                running.id
            )));
        }
        let job = Arc::new(Job::new(
            self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            source.name.clone(),
            match &samples.selection {
                Selection::Ids(ids) => ids.len() as u64,
                Selection::Filter(_) => 0,
            },
        ));
        let settings = Settings::from(request);
        let thread_job = Arc::clone(&job);
        std::thread::Builder::new()
            .name(format!("fare-job-{}", job.id))
            .spawn(move || {
                run_job(&thread_job, || {
                    run(&thread_job, &source, client, &samples, &settings)
                });
            })
            .map_err(|e| ModelError::Invalid(format!("cannot start a job thread: {e}")))?;
        jobs.push(Arc::clone(&job));
        // Forget the oldest finished jobs.
        while jobs.len() > JOBS_KEPT {
            let Some(oldest) = jobs.iter().position(|j| !j.running()) else {
                break;
            };
            jobs.remove(oldest);
        }
        Ok(job.view())
    }

    /// Where job `id` stands.
    pub fn status(&self, id: u64) -> Result<JobView, ModelError> {
        self.find(id).map(|j| j.view())
    }

    /// Every job kept, newest first.
    pub fn list(&self) -> Vec<JobView> {
        self.jobs().iter().rev().map(|j| j.view()).collect()
    }

    /// Asks job `id` to stop.
    pub fn cancel(&self, id: u64) -> Result<JobView, ModelError> {
        let job = self.find(id)?;
        job.cancel.store(true, Ordering::Relaxed);
        Ok(job.view())
    }

    /// Asks every job to stop (before unloading the model).
    pub fn cancel_all(&self) {
        for job in self.jobs().iter() {
            job.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn find(&self, id: u64) -> Result<Arc<Job>, ModelError> {
        self.jobs()
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| ModelError::Invalid(format!("there is no job {id}")))
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

/// How a job judges.
#[derive(Debug, Clone)]
struct Settings {
    sampling: SamplingParams,
    mode: PromptMode,
    swap: bool,
    new_run: bool,
}

impl From<&JobRequest> for Settings {
    fn from(request: &JobRequest) -> Self {
        Settings {
            sampling: SamplingParams {
                temperature: request.temperature.unwrap_or(0.0),
                max_new_tokens: request.max_new_tokens.map_or(4096, |n| n as usize),
                reasoning_effort: request.reasoning_effort.unwrap_or_default(),
                ..SamplingParams::default()
            },
            mode: if request.direct.unwrap_or(false) {
                PromptMode::Direct
            } else {
                PromptMode::Critique
            },
            swap: request.swap.unwrap_or(false),
            new_run: request.new_run.unwrap_or(false),
        }
    }
}

/// The endpoint client, with the output shown as it streams and the job's stop flag obeyed.
struct WatchedJudge {
    inner: EndpointJudge,
    job: Arc<Job>,
    location: String,
    kind: &'static str,
}

impl Judge for WatchedJudge {
    fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        {
            let mut status = self.job.status();
            status.output = SplitOutput::new();
            status.pieces = 0;
            status.first_piece = None;
        }
        let job = &self.job;
        let result = self
            .inner
            .judge_prompt_streamed(prompt, rules, params, &mut |piece| {
                {
                    let mut status = job.status();
                    match piece {
                        Streamed::Content(text) => status.output.push(text),
                        Streamed::Reasoning(text) => status.output.push_analysis(text),
                    }
                    status.pieces += 1;
                    status.first_piece.get_or_insert_with(Instant::now);
                }
                if job.cancel.load(Ordering::Relaxed) {
                    ControlFlow::Break(())
                } else if let Streamed::Content(text) = piece {
                    on_text(text)
                } else {
                    ControlFlow::Continue(())
                }
            })
            .map_err(EngineError::from);
        let mut status = self.job.status();
        status.output.finish();
        status.pieces = 0;
        if let Some(first) = status.first_piece.take() {
            status.writing_seconds += first.elapsed().as_secs_f64();
        }
        drop(status);
        result
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn kind(&self) -> &'static str {
        self.kind
    }
}

/// The job's thread: runs it and records how it ended.
/// Runs a job's `work` on its thread and records how it ended. A panic in it (a bug) fails
/// the job with the panic's message, so it never stays "running" and the next job can start;
/// the job's own connection to the project goes with it.
fn run_job(job: &Job, work: impl FnOnce() -> Result<(), String>) {
    let outcome = crate::panics::catch(work).unwrap_or_else(|panic| {
        Err(format!(
            "the job stopped on an internal error (a bug in FARE Lens; please report it): {panic}"
        ))
    });
    let mut status = job.status();
    status.current_sample = None;
    status.pieces = 0;
    status.ended = Some(Instant::now());
    match outcome {
        Ok(()) if job.cancel.load(Ordering::Relaxed) => status.state = JobState::Cancelled,
        Ok(()) => status.state = JobState::Finished,
        Err(error) => {
            status.state = JobState::Failed;
            status.error = Some(error);
        }
    }
}

/// The ids of every sample the filter selects, in the list's order (id order, or a saved
/// queue's own order).
fn filtered(project: &Project, filter: &SampleFilter) -> Result<Vec<i64>, fare_store::StoreError> {
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let page = project.list_samples(filter, after, 500)?;
        let Some(last) = page.last() else {
            return Ok(ids);
        };
        // A page continues after the last row's cursor: its id, or its rank in a queue.
        after = last.cursor;
        ids.extend(page.iter().map(|r| r.id));
    }
}

fn run(
    job: &Arc<Job>,
    source: &ModelSource,
    client: EndpointJudge,
    samples: &JobSamples,
    settings: &Settings,
) -> Result<(), String> {
    let mut project = Project::open(&samples.project).map_err(|e| e.to_string())?;
    let ids = match &samples.selection {
        Selection::Ids(ids) => ids.clone(),
        Selection::Filter(filter) => filtered(&project, filter).map_err(|e| e.to_string())?,
    };
    job.status().total = ids.len() as u64;
    let mut judge_with = WatchedJudge {
        inner: client,
        job: Arc::clone(job),
        location: source.location.clone(),
        kind: source.kind,
    };
    let mut failures_in_a_row = 0;
    for (n, &id) in ids.iter().enumerate() {
        if job.cancel.load(Ordering::Relaxed) {
            break;
        }
        {
            let mut status = job.status();
            status.current_sample = Some(id);
            status.output = SplitOutput::new();
        }
        let options = JudgeOptions {
            filter: SampleFilter::default(),
            samples: Some(vec![id]),
            limit: None,
            sampling: settings.sampling.clone(),
            attempts: 1,
            swap: settings.swap,
            mode: settings.mode,
            model_name: source.name.clone(),
            // Only the first sample starts the new run; the others continue it.
            new_run: settings.new_run && n == 0,
        };
        let mut tokens = 0;
        let outcome = judge(&mut project, &mut judge_with, &options, &mut |progress| {
            tokens = progress.tokens;
            if job.cancel.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        let mut status = job.status();
        status.tokens += tokens;
        match outcome {
            Ok(report) => {
                failures_in_a_row = 0;
                status.run_id = report.run_id.or(status.run_id);
                status.judged += report.judged;
                status.skipped += report.skipped;
                if report.judged > 0 {
                    status.worked += 1;
                    status.last_judged = Some(id);
                }
                // A sample whose judgment was stored before the cancel is done.
                if !report.cancelled || report.judged > 0 {
                    status.done += 1;
                }
                if report.cancelled {
                    break;
                }
            }
            Err(e) => {
                drop(status);
                // Cancelled, then the model unloaded under it: the job was cancelled.
                if job.cancel.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(failure) = source.failure(Duration::from_secs(1)) {
                    return Err(failure);
                }
                let mut status = job.status();
                status.failed += 1;
                status.worked += 1;
                status.done += 1;
                if status.errors.len() == ERRORS_KEPT {
                    status.errors.pop_front();
                }
                status.errors.push_back(format!("sample {id}: {e}"));
                failures_in_a_row += 1;
                if failures_in_a_row == FAILURES_IN_A_ROW {
                    return Err(format!(
                        "{FAILURES_IN_A_ROW} samples in a row failed; the last: sample {id}: {e}"
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn a_job_that_panics_fails_with_the_message_and_lets_the_next_start() {
        let job = Job::new(1, "m".into(), 3);
        assert!(job.running());
        run_job(&job, || panic!("injected: index 9 out of range"));
        assert!(!job.running(), "a panicked job must not block the next");
        let view = job.view();
        assert_eq!(view.state, JobState::Failed);
        let error = view.error.unwrap();
        assert!(error.contains("injected: index 9 out of range"), "{error}");
        assert!(error.contains("internal error"), "{error}");
        let fine = Job::new(2, "m".into(), 0);
        run_job(&fine, || Ok(()));
        assert_eq!(fine.view().state, JobState::Finished);
    }

    #[test]
    fn a_job_request_reads_with_only_its_target() {
        let request: JobRequest =
            serde_json::from_str(r#"{"target": {"kind": "samples", "ids": [3, 1, 3]}}"#).unwrap();
        let settings = Settings::from(&request);
        assert_eq!(settings.sampling.max_new_tokens, 4096);
        assert!((settings.sampling.temperature - 0.0).abs() < f64::EPSILON);
        assert_eq!(settings.mode, PromptMode::Critique);
        assert!(!settings.new_run);
        let request: JobRequest = serde_json::from_str(
            r#"{"target": {"kind": "filter", "query": {"task": "pairwise"}}, "direct": true}"#,
        )
        .unwrap();
        assert!(matches!(request.target, JobTarget::Filter { .. }));
        assert_eq!(Settings::from(&request).mode, PromptMode::Direct);
        assert_eq!(
            settings.sampling.reasoning_effort,
            ReasoningEffort::Medium,
            "medium when absent"
        );
        let request: JobRequest = serde_json::from_str(
            r#"{"target": {"kind": "samples", "ids": [1]}, "reasoning_effort": "high"}"#,
        )
        .unwrap();
        assert_eq!(
            Settings::from(&request).sampling.reasoning_effort,
            ReasoningEffort::High
        );
        let bad = serde_json::from_str::<JobRequest>(
            r#"{"target": {"kind": "samples", "ids": [1]}, "reasoning_effort": "max"}"#,
        )
        .unwrap_err();
        assert!(bad.to_string().contains("max"), "{bad}");
    }

    #[test]
    fn a_selection_is_judged_once_per_sample_in_its_order() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
        let open = OpenProject::new(project, "ana");
        let samples = open
            .job_samples(&JobTarget::Samples { ids: vec![3, 1, 3] })
            .unwrap();
        assert!(matches!(samples.selection, Selection::Ids(ref ids) if ids == &[3, 1]));
        assert!(
            open.job_samples(&JobTarget::Samples { ids: vec![] })
                .is_err()
        );
    }

    #[test]
    fn a_job_over_a_saved_queue_takes_its_samples_once_in_its_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut project = crate::demo::build(&dir.path().join("demo.sqlite")).unwrap();
        let mut all = filtered(&project, &SampleFilter::default()).unwrap();
        assert!(all.len() > 100, "the demo's samples");
        // Reversed: the last row's id (the smallest) is far below its rank.
        all.reverse();
        let queue = project
            .create_queue(
                &fare_store::NewQueue {
                    name: "reversed",
                    origin: "samples",
                    ordering: fare_core::review_order::ReviewOrder::Listed,
                    spec: serde_json::json!({}),
                    created_by: None,
                },
                &all.iter().map(|id| (*id, None)).collect::<Vec<_>>(),
            )
            .unwrap();
        let filter = SampleFilter {
            queue: Some(queue.id),
            ..SampleFilter::default()
        };
        assert_eq!(filtered(&project, &filter).unwrap(), all);
    }

    #[test]
    fn no_job_starts_without_a_model() {
        let dir = tempfile::tempdir().unwrap();
        let project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
        let open = OpenProject::new(project, "ana");
        let samples = open
            .job_samples(&JobTarget::Samples { ids: vec![1] })
            .unwrap();
        let jobs = Jobs::new();
        let request: JobRequest =
            serde_json::from_str(r#"{"target": {"kind": "samples", "ids": [1]}}"#).unwrap();
        let error = jobs
            .start(&Worker::new(None), samples, &request)
            .unwrap_err();
        assert!(error.to_string().contains("no model is loaded"), "{error}");
        assert!(jobs.list().is_empty());
    }
}
