//! The application API the UI works through: one open project and the commands a person gives
//! it (list and count samples, open one, decide about a verdict, read the report), with the
//! types the UI receives.
//!
//! The desktop shell and `fare-lens serve` only carry these calls over their transport (Tauri
//! commands, HTTP under `/api/`); neither holds logic of its own. The TypeScript types of the UI
//! are generated from the types here by ts-rs (`cargo test -p fare-app` writes them to
//! `ui/src/lib/api/`, and a test fails when the committed ones are out of date).
//!
//! Verdicts cross this boundary in their canonical text (`A`, `-1`, `3`, `correct`, `7`), the
//! same form the project file and the command line use; the API reads them back with the
//! sample's own rules, so the UI cannot store a verdict that does not fit the sample.

use std::path::Path;

use fare_core::{AnnotationAction, Step, Task, Template, Verdict, VerdictRules};
use fare_store::{
    EvaluatorFilter, Project, ReviewFilter, SampleFilter, SampleRow, StoreError, StoredJudgment,
    StoredLabel,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::files::FileAccess;

/// What went wrong, in words for the person at the screen.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The project file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request does not fit the sample or the project.
    #[error("{0}")]
    Invalid(String),
    /// A bug stopped the call (it panicked); the project was opened anew, as its file has it.
    #[error(
        "an internal error stopped this call (a bug in FARE Lens; please report it): {0}. \
         The project was reopened: what was saved before is all there"
    )]
    Internal(String),
}

/// The JSON form of an error, as the UI receives it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorView {
    /// The message to show.
    pub message: String,
}

impl From<&ApiError> for ErrorView {
    fn from(e: &ApiError) -> Self {
        ErrorView {
            message: e.to_string(),
        }
    }
}

/// Which samples the queue shows, and which page of them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[serde(default)]
pub struct SampleQuery {
    /// Only this task.
    #[ts(optional)]
    pub task: Option<Task>,
    /// Only this data set.
    #[ts(optional)]
    pub dataset_id: Option<i64>,
    /// Only this source within data sets.
    #[ts(optional)]
    pub source: Option<String>,
    /// Only this review state (of this annotator).
    #[ts(optional)]
    pub review: Option<ReviewFilter>,
    /// Only where the evaluator did so.
    #[ts(optional)]
    pub evaluator: Option<EvaluatorFilter>,
    /// Only samples carrying this failure-mode tag.
    #[ts(optional)]
    pub tag: Option<String>,
    /// Full-text search over problems, steps, responses and critiques.
    #[ts(optional)]
    pub text: Option<String>,
    /// The run whose verdicts are shown (each task's newest when absent).
    #[ts(optional)]
    pub run_id: Option<i64>,
    /// Only the samples of this saved queue, in its order ([`crate::saved_queues`]).
    #[ts(optional)]
    pub queue: Option<i64>,
    /// The page starts after this cursor: a sample id, or in a saved queue a rank (0 for the
    /// first page; each page says where the next starts).
    pub after: i64,
    /// Page size (at most 500; 100 when 0).
    pub limit: u32,
}

/// One page of the queue.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SamplePage {
    /// The samples, in id order (in a saved queue, in its order).
    pub rows: Vec<SampleRow>,
    /// Where the next page starts, when there is one.
    pub next_after: Option<i64>,
}

/// How many samples the query matches, and how many of those are reviewed.
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct QueueCounts {
    /// Samples matching the filters.
    pub matching: i64,
    /// Of which this annotator has reviewed.
    pub reviewed: i64,
}

/// The probability the evaluator gave one verdict.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VerdictChance {
    /// The verdict, canonical.
    pub verdict: String,
    /// Its probability among the admissible verdicts.
    pub p: f64,
}

/// One evaluator output on the sample.
#[derive(Debug, Clone, Serialize, TS)]
pub struct JudgmentView {
    /// Its id (annotations name the judgment on screen).
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// The model's name.
    pub model: String,
    /// Whether A and B were swapped in the prompt.
    pub swapped: bool,
    /// Which of K attempts.
    pub attempt: u32,
    /// The output exactly as generated (untrusted).
    pub raw_output: String,
    /// The explanation (untrusted).
    pub critique: String,
    /// The reasoning channel of harmony models (untrusted).
    pub analysis: Option<String>,
    /// `parsed`, `unparseable` or `truncated`.
    pub state: String,
    /// Why no verdict could be read.
    pub reason: Option<String>,
    /// The verdict, canonical, in the data's A/B labels.
    pub verdict: Option<String>,
    /// Whether it equals the ground truth.
    pub agrees_with_gold: Option<bool>,
    /// How likely each admissible verdict was, when scored (data's A/B labels).
    pub verdict_probs: Option<Vec<VerdictChance>>,
    /// The output had no verdict line: the probabilities were read after an appended
    /// `Verdict:`, a guess at what the model would have said.
    pub verdict_probs_forced: bool,
    /// Output length in tokens.
    pub output_tokens: Option<u32>,
    /// Time to generate.
    pub latency_ms: Option<u64>,
}

/// The majority of a run's K judgments of the sample.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VoteView {
    /// The run.
    pub run_id: i64,
    /// Whether A and B were swapped.
    pub swapped: bool,
    /// The majority verdict, canonical.
    pub verdict: Option<String>,
    /// How many gave it.
    pub votes: u32,
    /// Of how many.
    pub of: u32,
}

/// One person's current label of the sample.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LabelView {
    /// Who.
    pub annotator: String,
    /// `unreviewed`, `accepted` or `corrected`.
    pub decision: String,
    /// The human verdict, canonical.
    pub verdict: Option<String>,
    /// "Right verdict, wrong reason".
    pub wrong_reason: bool,
    /// Failure-mode tags set.
    pub tags: Vec<String>,
    /// The note.
    pub note: Option<String>,
    /// Whether undo would change something.
    pub can_undo: bool,
    /// Whether redo would change something.
    pub can_redo: bool,
    /// When it last changed (empty when never).
    pub updated_at: String,
}

impl LabelView {
    fn unreviewed(annotator: &str) -> LabelView {
        LabelView {
            annotator: annotator.to_owned(),
            decision: "unreviewed".into(),
            verdict: None,
            wrong_reason: false,
            tags: Vec::new(),
            note: None,
            can_undo: false,
            can_redo: false,
            updated_at: String::new(),
        }
    }

    fn from_stored(stored: &StoredLabel) -> LabelView {
        let label = &stored.label;
        LabelView {
            annotator: stored.annotator.clone(),
            decision: label.decision.as_str().to_owned(),
            verdict: label.verdict.map(Verdict::canonical),
            wrong_reason: label.wrong_reason,
            tags: label.tags.iter().cloned().collect(),
            note: label.note.clone(),
            can_undo: label.can_undo,
            can_redo: label.can_redo,
            updated_at: stored.updated_at.clone(),
        }
    }
}

/// Everything the sample view shows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SampleDetail {
    /// Its id in the project.
    pub id: i64,
    /// The data set's name.
    pub dataset: String,
    /// The data set's id of the sample.
    pub external_id: String,
    /// The task (`task`) and what the evaluator reads besides the question, as that task has
    /// it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub content: SampleContent,
    /// Its source within the data set.
    pub source: Option<String>,
    /// The problem (untrusted markdown with LaTeX).
    pub question: String,
    /// The data set's ground truth, canonical, or `tie` (pairwise: neither response is better).
    pub gold: Option<String>,
    /// Every verdict a person can give this sample, canonical, in order.
    pub admissible: Vec<String>,
    /// The run shown for this task (each task's newest unless one was asked for).
    pub shown_run: Option<i64>,
    /// Every judgment of the sample, oldest first.
    pub judgments: Vec<JudgmentView>,
    /// Majorities of runs that judged it K times.
    pub votes: Vec<VoteView>,
    /// This annotator's label.
    pub label: LabelView,
    /// Other annotators' labels.
    pub other_labels: Vec<LabelView>,
}

/// A sample's task with its own fields, tagged by `task` (all texts untrusted markdown with
/// LaTeX): the view can only ask for what the sample has.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "task", rename_all = "kebab-case")]
pub enum SampleContent {
    /// Two responses, as the data labels them.
    Pairwise {
        /// Response A.
        response_a: String,
        /// Response B.
        response_b: String,
    },
    /// A solution in steps, numbered from 0 as the evaluator sees them.
    StepLevel {
        /// The steps.
        steps: Vec<Step>,
    },
    /// One response to verify without a reference.
    ReferenceFree {
        /// The response.
        response: String,
    },
    /// One response to verify against a reference answer.
    ReferenceBased {
        /// The response.
        response: String,
        /// The reference answer.
        reference: String,
    },
    /// One response to rate.
    Rating {
        /// The response.
        response: String,
        /// The rubric, when the data has one.
        rubric: Option<String>,
        /// A reference answer, when the data has one.
        reference: Option<String>,
    },
}

impl SampleContent {
    /// The task.
    pub fn task(&self) -> Task {
        match self {
            SampleContent::Pairwise { .. } => Task::Pairwise,
            SampleContent::StepLevel { .. } => Task::StepLevel,
            SampleContent::ReferenceFree { .. } => Task::ReferenceFree,
            SampleContent::ReferenceBased { .. } => Task::ReferenceBased,
            SampleContent::Rating { .. } => Task::Rating,
        }
    }

    /// The steps of a step-level sample; none for the other tasks.
    pub fn steps(&self) -> &[Step] {
        match self {
            SampleContent::StepLevel { steps } => steps,
            _ => &[],
        }
    }

    /// The view of a stored sample's content (its steps with the data set's ratings).
    fn of(stored: &fare_store::StoredSample) -> SampleContent {
        match stored.sample.content.clone() {
            fare_core::Content::Pairwise {
                response_a,
                response_b,
            } => SampleContent::Pairwise {
                response_a,
                response_b,
            },
            fare_core::Content::StepLevel { .. } => SampleContent::StepLevel {
                steps: stored.steps(),
            },
            fare_core::Content::ReferenceFree { response } => {
                SampleContent::ReferenceFree { response }
            }
            fare_core::Content::ReferenceBased {
                response,
                reference,
            } => SampleContent::ReferenceBased {
                response,
                reference,
            },
            fare_core::Content::Rating {
                response,
                rubric,
                reference,
            } => SampleContent::Rating {
                response,
                rubric,
                reference,
            },
        }
    }
}

/// The FARE prompt an evaluator saw (or would see) for a sample: what an annotator checks when
/// a verdict looks wrong. The model's own chat format around it is added by the engine
/// (`fare-lens prompt --model` shows that exact text and its token ids).
#[derive(Debug, Clone, Serialize, TS)]
pub struct PromptView {
    /// The system message: the task protocol.
    pub system: String,
    /// The user message: the sample's data (untrusted).
    pub user: String,
    /// The template's name and version.
    pub template: String,
    /// `model-card` (the FARE model card's text) or `provisional`.
    pub provenance: String,
    /// The template's content hash.
    pub template_hash: String,
    /// Critique then verdict, or the verdict alone.
    pub mode: fare_core::PromptMode,
    /// Whether A and B were swapped.
    pub swapped: bool,
    /// Whose prompt: the judgment's run, or the shipped template when no judgment was named.
    pub source: String,
}

/// A decision about a sample, as the UI sends it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Decision {
    /// The evaluator's verdict (given, canonical) is right.
    Accept {
        /// The verdict accepted.
        verdict: String,
    },
    /// The right verdict is this one (canonical).
    Correct {
        /// The verdict.
        verdict: String,
    },
    /// Set or clear "right verdict, wrong reason".
    WrongReason {
        /// Set or clear.
        on: bool,
    },
    /// Set or clear a failure-mode tag.
    Tag {
        /// The tag's id.
        tag: String,
        /// Set or clear.
        on: bool,
    },
    /// Replace the note (empty removes it).
    Note {
        /// The note.
        text: String,
    },
    /// Back to unreviewed.
    Clear,
    /// Take back the latest edit.
    Undo,
    /// Re-apply the latest undone edit.
    Redo,
}

/// A decision with the judgment it was made about.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DecisionRequest {
    /// The sample.
    pub sample_id: i64,
    /// The judgment on screen, if any.
    #[serde(default)]
    #[ts(optional)]
    pub judgment_id: Option<i64>,
    /// The decision.
    pub decision: Decision,
}

/// A data set of the project.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DatasetView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The format it was read as.
    pub format: String,
    /// Samples in it.
    pub sample_count: i64,
}

/// An evaluator run of the project.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RunView {
    /// Its id.
    pub id: i64,
    /// The model's name.
    pub model: String,
    /// Critique then verdict, or the verdict alone.
    pub mode: fare_core::PromptMode,
    /// Where it stands.
    pub status: fare_store::RunStatus,
    /// Its label.
    pub label: Option<String>,
    /// Judgments stored.
    pub judgments: i64,
    /// The tasks it judged.
    pub tasks: Vec<Task>,
    /// When it started.
    pub started_at: String,
}

/// A failure-mode tag.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TagView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Shipped with FARE Lens (or added by a user).
    pub builtin: bool,
}

/// What the start of a session needs: the project, its data sets, runs and tags.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProjectOverview {
    /// The project file's name.
    pub name: String,
    /// Who is annotating.
    pub annotator: String,
    /// Samples in the project.
    pub samples: i64,
    /// The data sets.
    pub datasets: Vec<DatasetView>,
    /// The runs, newest first.
    pub runs: Vec<RunView>,
    /// The failure-mode tags.
    pub tags: Vec<TagView>,
    /// The sources within data sets (at most 500), for the queue's source filter.
    pub sources: Vec<SourceView>,
}

/// A source within a data set (ProcessBench's `gsm8k`, JudgeBench's `mmlu-pro-math`, ...).
#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceView {
    /// The data set.
    pub dataset_id: i64,
    /// The source's name.
    pub source: String,
    /// Its samples.
    pub sample_count: i64,
}

/// An open project and the person working on it.
pub struct OpenProject {
    project: Project,
    annotator: String,
    /// Which files its imports, exports and merges may use.
    files: FileAccess,
}

impl std::fmt::Debug for OpenProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenProject")
            .field("path", &self.project.path())
            .field("annotator", &self.annotator)
            .finish_non_exhaustive()
    }
}

/// The rules a verdict of this sample must follow (any rating: the run's template decides the
/// scale, and a person may use the whole of it).
pub(crate) fn rules_for(task: Task, step_count: usize) -> VerdictRules {
    VerdictRules::for_person(task, step_count)
}

fn judgment_view(j: &StoredJudgment, models: &[(i64, String)]) -> JudgmentView {
    let verdict_probs = j.verdict_probs.as_ref().map(|recorded| {
        recorded
            .probs
            .iter()
            .map(|(verdict, p)| VerdictChance {
                verdict: verdict.clone(),
                p: *p,
            })
            .collect()
    });
    let (state, reason) = match &j.judgment.outcome {
        fare_core::Outcome::Unparseable { reason } => ("unparseable", Some(reason.clone())),
        other => (other.state(), None),
    };
    JudgmentView {
        id: j.id,
        run_id: j.run_id,
        model: models
            .iter()
            .find(|(run, _)| *run == j.run_id)
            .map(|(_, m)| m.clone())
            .unwrap_or_default(),
        swapped: j.swapped,
        attempt: j.attempt,
        raw_output: j.judgment.raw_output.clone(),
        critique: j.judgment.critique.clone(),
        analysis: j.judgment.analysis.clone(),
        state: state.to_owned(),
        reason,
        verdict: j.judgment.verdict().map(Verdict::canonical),
        agrees_with_gold: j.agrees_with_gold,
        verdict_probs,
        verdict_probs_forced: j.verdict_probs.as_ref().is_some_and(|p| p.forced),
        output_tokens: j.output_tokens,
        latency_ms: j.latency_ms,
    }
}

impl OpenProject {
    /// Opens a project file (migrating an older one) for `annotator`.
    pub fn open(path: &Path, annotator: &str) -> Result<OpenProject, ApiError> {
        Ok(OpenProject {
            project: Project::open(path)?,
            annotator: annotator.to_owned(),
            files: FileAccess::anywhere(),
        })
    }

    /// Works on a project already open.
    pub fn new(project: Project, annotator: &str) -> OpenProject {
        OpenProject {
            project,
            annotator: annotator.to_owned(),
            files: FileAccess::anywhere(),
        }
    }

    /// The same project, whose imports, exports and merges keep to `files` (any file the
    /// user can reach, unless this is called).
    #[must_use]
    pub fn with_files(mut self, files: FileAccess) -> OpenProject {
        self.files = files;
        self
    }

    /// Which files its imports, exports and merges may use.
    pub fn files(&self) -> &FileAccess {
        &self.files
    }

    /// The project itself.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Who is working on the project (the adjudicator, when they adjudicate).
    pub fn annotator(&self) -> &str {
        &self.annotator
    }

    /// Runs one call on the project. A panic in it (a bug) becomes [`ApiError::Internal`] and
    /// the project is opened anew from its file, so the next call works on what is saved,
    /// never on state the panic left half-changed.
    pub fn guarded<T>(
        &mut self,
        call: impl FnOnce(&mut OpenProject) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match crate::panics::catch(|| call(self)) {
            Ok(result) => result,
            Err(panic) => {
                self.reopen()?;
                Err(ApiError::Internal(panic))
            }
        }
    }

    /// Opens the project anew from its file.
    pub fn reopen(&mut self) -> Result<(), ApiError> {
        self.project.abandon_open_transaction();
        let path = self.project.path().to_owned();
        self.project = Project::open(&path)?;
        Ok(())
    }

    /// The project, to write to (imports, in [`crate::importing`]).
    pub(crate) fn project_mut(&mut self) -> &mut Project {
        &mut self.project
    }

    /// The project, data sets, runs and tags.
    pub fn overview(&self) -> Result<ProjectOverview, ApiError> {
        let datasets = self
            .project
            .datasets()?
            .into_iter()
            .map(|d| DatasetView {
                id: d.id,
                name: d.name,
                format: d.format,
                sample_count: d.sample_count,
            })
            .collect();
        let mut runs: Vec<RunView> = self
            .project
            .runs()?
            .into_iter()
            .map(|r| RunView {
                id: r.id,
                model: r.model,
                mode: r.mode,
                status: r.status,
                label: r.label,
                judgments: r.judgments,
                tasks: r.tasks,
                started_at: r.started_at,
            })
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.id));
        let tags = self
            .project
            .tags()?
            .into_iter()
            .map(|t| TagView {
                id: t.id,
                name: t.name,
                description: t.description,
                builtin: t.builtin,
            })
            .collect();
        Ok(ProjectOverview {
            name: self
                .project
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            annotator: self.annotator.clone(),
            samples: self.project.count_samples(&SampleFilter::default())?,
            datasets,
            runs,
            tags,
            sources: self
                .project
                .sources(500)?
                .into_iter()
                .map(|(dataset_id, source, sample_count)| SourceView {
                    dataset_id,
                    source,
                    sample_count,
                })
                .collect(),
        })
    }

    /// The store's filter for a query, as this annotator sees it.
    pub(crate) fn filter(&self, query: &SampleQuery) -> SampleFilter {
        SampleFilter {
            task: query.task,
            dataset_id: query.dataset_id,
            source: query.source.clone(),
            review: query.review,
            annotator: Some(self.annotator.clone()),
            run_id: query.run_id,
            evaluator: query.evaluator,
            tag: query.tag.clone(),
            text: query.text.clone().filter(|t| !t.trim().is_empty()),
            queue: query.queue,
        }
    }

    /// One page of the queue.
    pub fn samples(&self, query: &SampleQuery) -> Result<SamplePage, ApiError> {
        let limit = match query.limit {
            0 => 100,
            n => n.min(500),
        } as usize;
        let rows = self
            .project
            .list_samples(&self.filter(query), query.after, limit)?;
        let next_after = (rows.len() == limit)
            .then(|| rows.last().map(|r| r.cursor))
            .flatten();
        Ok(SamplePage { rows, next_after })
    }

    /// How many samples the query matches and how many of them this annotator reviewed.
    pub fn counts(&self, query: &SampleQuery) -> Result<QueueCounts, ApiError> {
        let mut filter = self.filter(query);
        let matching = self.project.count_samples(&filter)?;
        let reviewed = match filter.review {
            Some(ReviewFilter::Unreviewed) => 0,
            Some(_) => matching,
            None => {
                filter.review = Some(ReviewFilter::Reviewed);
                self.project.count_samples(&filter)?
            }
        };
        Ok(QueueCounts { matching, reviewed })
    }

    /// Everything the sample view shows. `run` names the run to show (each task's newest when
    /// absent).
    pub fn sample(&self, id: i64, run: Option<i64>) -> Result<SampleDetail, ApiError> {
        let stored = self.project.sample(id)?;
        let sample = &stored.sample;
        let task = sample.task();
        let rules = rules_for(task, sample.content.steps().len());
        let models = self.project.run_models()?;
        let judgments = self
            .project
            .judgments_of(id)?
            .iter()
            .map(|j| judgment_view(j, &models))
            .collect();
        let votes = self
            .project
            .votes_of(id)?
            .into_iter()
            .map(|v| VoteView {
                run_id: v.run_id,
                swapped: v.swapped,
                verdict: v.vote.verdict.map(Verdict::canonical),
                votes: v.vote.votes,
                of: v.vote.of,
            })
            .collect();
        let labels = self.project.labels_of(id)?;
        let label = labels
            .iter()
            .find(|l| l.annotator == self.annotator)
            .map_or_else(
                || LabelView::unreviewed(&self.annotator),
                LabelView::from_stored,
            );
        let other_labels = labels
            .iter()
            .filter(|l| l.annotator != self.annotator)
            .map(LabelView::from_stored)
            .collect();
        Ok(SampleDetail {
            id,
            dataset: stored.dataset.clone(),
            external_id: sample.external_id.clone(),
            content: SampleContent::of(&stored),
            source: sample.source.clone(),
            question: sample.question.clone(),
            gold: sample
                .gold
                .map(Verdict::canonical)
                .or_else(|| stored.gold_tie.then(|| fare_store::GOLD_TIE.to_owned())),
            admissible: rules
                .admissible()
                .into_iter()
                .map(Verdict::canonical)
                .collect(),
            shown_run: self.project.shown_runs(run)?.of(task),
            judgments,
            votes,
            label,
            other_labels,
        })
    }

    /// Records a decision as an annotation event, at once, and returns the label it leads to.
    pub fn decide(&mut self, request: &DecisionRequest) -> Result<LabelView, ApiError> {
        let stored = self.project.sample(request.sample_id)?;
        let task = stored.sample.task();
        let rules = rules_for(task, stored.sample.content.steps().len());
        let verdict = |text: &str| {
            Verdict::from_canonical(text.trim(), &rules).map_err(|e| {
                ApiError::Invalid(format!(
                    "`{text}` is not a verdict for sample {}: {e}",
                    request.sample_id
                ))
            })
        };
        let action = match &request.decision {
            Decision::Accept { verdict: v } => AnnotationAction::Accept {
                verdict: verdict(v)?,
            },
            Decision::Correct { verdict: v } => AnnotationAction::Correct {
                verdict: verdict(v)?,
            },
            Decision::WrongReason { on } => AnnotationAction::WrongReason { on: *on },
            Decision::Tag { tag, on } => AnnotationAction::Tag {
                tag: tag.clone(),
                on: *on,
            },
            Decision::Note { text } => AnnotationAction::Note { text: text.clone() },
            Decision::Clear => AnnotationAction::Clear,
            Decision::Undo => AnnotationAction::Undo,
            Decision::Redo => AnnotationAction::Redo,
        };
        let stored = self.project.annotate(
            request.sample_id,
            &self.annotator,
            &action,
            request.judgment_id,
        )?;
        Ok(LabelView::from_stored(&stored))
    }

    /// The prompt behind a judgment (its run's template, mode and order), or, without one, the
    /// prompt the shipped template gives the sample in critique mode.
    pub fn prompt(&self, sample_id: i64, judgment_id: Option<i64>) -> Result<PromptView, ApiError> {
        let stored = self.project.sample(sample_id)?;
        let task = stored.sample.task();
        let shipped = || {
            Template::builtin_for(task)
                .ok_or_else(|| ApiError::Invalid(format!("no shipped template for {task}")))
        };
        let (template, mode, swapped, source) = match judgment_id {
            Some(id) => {
                let judgment = self
                    .project
                    .judgments_of(sample_id)?
                    .into_iter()
                    .find(|j| j.id == id)
                    .ok_or_else(|| {
                        ApiError::Invalid(format!("sample {sample_id} has no judgment {id}"))
                    })?;
                let (template, mode) = self.project.run_template(judgment.run_id)?;
                let (template, source) = match template {
                    Some(t) => (t, format!("run {}", judgment.run_id)),
                    None => (
                        shipped()?,
                        format!(
                            "run {} was imported without its template: the shipped one",
                            judgment.run_id
                        ),
                    ),
                };
                (template, mode, judgment.swapped, source)
            }
            None => (
                shipped()?,
                fare_core::PromptMode::Critique,
                false,
                "the shipped template".to_owned(),
            ),
        };
        let order = if swapped {
            fare_core::ResponseOrder::Swapped
        } else {
            fare_core::ResponseOrder::Original
        };
        let prompt = template
            .render(&stored.sample, mode, order)
            .map_err(|e| ApiError::Invalid(format!("sample {sample_id}: {e}")))?;
        Ok(PromptView {
            system: prompt.system,
            user: prompt.user,
            template: format!("{} v{}", template.name, template.version),
            provenance: serde_json::to_value(template.provenance)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            template_hash: template.content_hash(),
            mode,
            swapped,
            source,
        })
    }

    /// The evaluator report of a run, or of each task's newest run.
    pub fn report(&self, run: Option<i64>) -> Result<crate::report::Report, ApiError> {
        Ok(crate::report::report(&self.project, run)?)
    }
}

/// The failure-mode analysis and the checkpoint diff ([`crate::analysis`], [`crate::diff`]).
impl OpenProject {
    /// The failure-mode analysis of a run, or of each task's newest run.
    pub fn analysis(
        &self,
        request: &crate::analysis::AnalysisRequest,
    ) -> Result<crate::analysis::Analysis, ApiError> {
        Ok(crate::analysis::analysis(&self.project, request)?)
    }

    /// The sample ids behind one cell of the analysis, in id order.
    pub fn analysis_samples(
        &self,
        request: &crate::analysis::AnalysisSamplesRequest,
    ) -> Result<Vec<i64>, ApiError> {
        crate::analysis::analysis_samples(&self.project, request)
    }

    /// The checkpoint diff of two runs.
    pub fn diff(
        &self,
        request: &crate::diff::DiffRequest,
    ) -> Result<crate::diff::RunDiff, ApiError> {
        crate::diff::diff(&self.project, request)
    }

    /// The sample ids of one cell of the checkpoint diff, in id order.
    pub fn diff_samples(
        &self,
        request: &crate::diff::DiffSamplesRequest,
    ) -> Result<Vec<i64>, ApiError> {
        crate::diff::diff_samples(&self.project, request)
    }
}
