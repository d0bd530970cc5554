//! Failure-mode analysis: how an evaluator run fares per task, data set and source, against the
//! data set's ground truth and against the human labels, with every count addressable as the
//! samples behind it.
//!
//! One pass reads the project's rows (samples, the shown runs' judgments, current labels, tags)
//! into memory and groups them in Rust; nothing is queried per sample. For each group and each
//! reference it computes the metrics of [`fare_core::metrics`] and the cells of
//! [`fare_core::metrics::cells`]: the step-level grid (by step and by relative position), the
//! off-by-k histogram and the buckets; the pairwise orders, swap flips and length bias; the
//! verification confusion table; the rating grid; the failure-mode tags people set and the ones
//! the app infers ([`fare_core::taxonomy::infer_tags`], computed here, never stored). Each cell
//! carries its key; [`analysis_samples`] gives the sample ids of a key within a scope, by the
//! same per-sample functions that counted it.
//!
//! **The human reference** of a sample is [`human_reference`]: by default its adjudicated verdict,
//! else the verdict every current label of the sample agrees on (an accepted label holds the
//! evaluator verdict it accepted) — exports' default final label; the consensus alone or the
//! majority on request. It is the one place that decides it.
//!
//! **Contradictions across tasks**: samples of different tasks are the same trace when they
//! have the same external id (the data set's own record id) and the same question text; a
//! step-level verdict that names a wrong step contradicts a verification verdict of `correct` or
//! a rating of [`HIGH_RATING`] or more on the same trace, and one that finds no wrong step
//! contradicts `incorrect`.
//!
//! [`crate::report`] is this analysis under its older name; `fare-lens report --json` prints it.

use std::collections::{BTreeMap, HashMap};

use fare_core::final_label::{self, FinalLabel};
use fare_core::metrics::cells::{
    self, CellKey, ContradictionKind, HIGH_RATING, LengthBias, LengthPick, length_bias,
};
use fare_core::metrics::{
    self, FirstErrorAnalysis, FirstErrorBucket, PairVerdicts, PairwiseScore, Predicted,
    ProcessBenchScore, RatingScore, RatingVerdicts, StepVerdicts, VerificationScore,
    VerificationVerdicts,
};
use fare_core::taxonomy::{Inference, InferredTag, NoVerdict, infer_tags};
use fare_core::verdict::VerdictRules;
use fare_core::{Side, Task, Verdict};
use fare_store::{Project, StoreError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Most swap flips and contradictions listed inline; every one is reachable by its key.
pub const LIST_LIMIT: usize = 200;

/// What a verdict is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Reference {
    /// The data set's ground truth.
    #[default]
    Gold,
    /// The human label ([`human_reference`]).
    Human,
    /// The human label where there is one, else the ground truth.
    HumanElseGold,
}

/// Which human verdict counts as a sample's human label.
///
/// A new way is a new variant here and an arm in [`human_reference`], nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum HumanReference {
    /// The adjudicated verdict; without one, the verdict all current labels agree on (none when
    /// they disagree). The same rule as exports' default final label
    /// ([`fare_core::final_label::FinalLabel::Adjudicated`]).
    #[default]
    Adjudicated,
    /// The verdict all current labels agree on, adjudications left out; none when they disagree.
    Consensus,
    /// The verdict most people gave; a tie gives none. Adjudications are not votes.
    Majority,
}

/// One person's current decision on a sample (unreviewed labels are left out).
#[derive(Debug, Clone, PartialEq)]
pub struct HumanLabel {
    /// Who.
    pub annotator_id: i64,
    /// True when the person accepted the evaluator's verdict, false when they corrected it.
    pub accepted: bool,
    /// The verdict decided (for an acceptance, the evaluator verdict accepted).
    pub verdict: Verdict,
    /// When the label last changed (RFC 3339).
    pub updated_at: String,
}

/// The human verdict of a sample from its current labels and its adjudication, as `how` says;
/// `None` when nobody decided or the labels disagree (and, for [`HumanReference::Adjudicated`],
/// nobody adjudicated).
pub fn human_reference(
    labels: &[HumanLabel],
    adjudicated: Option<Verdict>,
    how: HumanReference,
) -> Option<Verdict> {
    let choice = match how {
        HumanReference::Adjudicated => FinalLabel::Adjudicated,
        HumanReference::Consensus => {
            let first = labels.first()?.verdict;
            return labels.iter().all(|l| l.verdict == first).then_some(first);
        }
        HumanReference::Majority => FinalLabel::Majority,
    };
    let named: Vec<(&str, Verdict)> = labels.iter().map(|l| ("", l.verdict)).collect();
    match final_label::resolve(&choice, &named, adjudicated.as_ref()) {
        final_label::Resolved::Verdict { verdict, .. } => Some(verdict),
        final_label::Resolved::None(_) => None,
    }
}

/// Which samples a key is read in: all three narrow, none set is the whole project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Scope {
    /// Only this task.
    #[ts(optional)]
    pub task: Option<Task>,
    /// Only this data set.
    #[ts(optional)]
    pub dataset_id: Option<i64>,
    /// Only this source within the data set.
    #[ts(optional)]
    pub source: Option<String>,
}

/// What to analyse.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisRequest {
    /// The run (every task); each task's newest run when absent.
    #[ts(optional)]
    pub run: Option<i64>,
    /// Which human verdict is the human reference.
    #[ts(optional)]
    pub human: Option<HumanReference>,
}

/// The samples behind one cell.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSamplesRequest {
    /// The run (every task); each task's newest run when absent.
    #[serde(default)]
    #[ts(optional)]
    pub run: Option<i64>,
    /// The cell's key, as the analysis gave it.
    pub key: String,
    /// The group the cell was drawn in.
    #[serde(default)]
    #[ts(optional)]
    pub scope: Option<Scope>,
    /// The reference the cell was computed against (ground truth when absent).
    #[serde(default)]
    #[ts(optional)]
    pub reference: Option<Reference>,
    /// Which human verdict is the human reference.
    #[serde(default)]
    #[ts(optional)]
    pub human: Option<HumanReference>,
}

/// One count and the key of its samples.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Cell {
    /// The key ([`fare_core::metrics::cells`] grammar).
    pub key: String,
    /// Samples in the cell.
    pub count: usize,
}

/// A cell of a grid of predicted against reference values.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct VerdictCell {
    /// The key.
    pub key: String,
    /// The reference value (`-1`: no wrong step).
    pub gold: i64,
    /// The predicted value (`-1`: no wrong step); `None` when no verdict was read.
    pub predicted: Option<i64>,
    /// Samples in the cell.
    pub count: usize,
}

/// A bar of the off-by-k histogram.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OffsetBar {
    /// The key.
    pub key: String,
    /// Predicted minus reference step.
    pub offset: i64,
    /// Samples this far off.
    pub count: usize,
}

/// A step-level bucket.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BucketBar {
    /// The key.
    pub key: String,
    /// The bucket.
    pub bucket: FirstErrorBucket,
    /// Samples in it (zero included: every bucket is listed).
    pub count: usize,
}

/// Where step-level verdicts land against the reference's first wrong step.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct StepCells {
    /// Predicted against reference first wrong step (non-empty cells).
    pub grid: Vec<VerdictCell>,
    /// The same by relative position: tenths 0–9 of the solution (non-empty cells).
    pub positions: Vec<VerdictCell>,
    /// Predicted minus reference step where both name a step.
    pub offsets: Vec<OffsetBar>,
    /// Every bucket in [`FirstErrorBucket::ALL`] order.
    pub buckets: Vec<BucketBar>,
}

/// A pairwise verdict that changed when A and B traded places.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SwapFlip {
    /// The sample.
    pub sample_id: i64,
    /// The original order's pick (`A` or `B`).
    pub original: String,
    /// The swapped order's pick, in the original order's letters.
    pub swapped: String,
}

/// Pairwise cells beside the score.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PairCells {
    /// How each order fared: `order:<original|swapped>:<right|wrong|failed>` (non-empty cells).
    pub orders: Vec<Cell>,
    /// The flips (key `swap-flip`, count in the score's `flips`), the first [`LIST_LIMIT`].
    pub flips: Vec<SwapFlip>,
    /// Picks against length; keys `length:picked-longer` and `length:picked-shorter`.
    pub length: LengthBias,
    /// The cells of `length`.
    pub length_cells: Vec<Cell>,
}

/// A cell of the verification confusion table.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConfusionCell {
    /// The key.
    pub key: String,
    /// The reference (`correct` or `incorrect`).
    pub gold: String,
    /// The verdict; `None` when none was read.
    pub predicted: Option<String>,
    /// Samples.
    pub count: usize,
}

/// A tag and its samples.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TagCount {
    /// The key (`tag:<id>` or `inferred:<id>`).
    pub key: String,
    /// The tag's id.
    pub tag: String,
    /// Samples carrying it.
    pub count: usize,
}

/// A group's metrics against one reference.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Against {
    /// The reference.
    pub reference: Reference,
    /// Samples judged whose reference verdict is known: what the metrics cover.
    pub scored: usize,
    /// Step-level: the ProcessBench score.
    pub processbench: Option<ProcessBenchScore>,
    /// Step-level: the grid, positions, offsets and buckets.
    pub step: Option<StepCells>,
    /// Pairwise: the swap-protocol score (per-order accuracy, consistency, consistent accuracy).
    pub pairwise: Option<PairwiseScore>,
    /// Pairwise: orders, flips and length bias.
    pub pair: Option<PairCells>,
    /// Verification: accuracy, F1, confusion.
    pub verification: Option<VerificationScore>,
    /// Verification: the confusion table's cells.
    pub confusion: Vec<ConfusionCell>,
    /// Rating: MAE and correlation.
    pub rating: Option<RatingScore>,
    /// Rating: predicted against reference rating (non-empty cells).
    pub rating_grid: Vec<VerdictCell>,
    /// Tags the app infers (`unparseable` and `truncated` over every judged sample, the others
    /// over the scored ones), every inferable tag of the task listed.
    pub inferred: Vec<TagCount>,
}

/// Metrics of one group of samples.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GroupReport {
    /// The task.
    pub task: Task,
    /// The data set's id; `None` for the task over all its data sets.
    pub dataset_id: Option<i64>,
    /// The data set's name (empty for the task over all its data sets).
    pub dataset: String,
    /// The source within it, or None for the whole data set.
    pub source: Option<String>,
    /// Samples in the group.
    pub samples: usize,
    /// Samples with a judgment in the run.
    pub judged: usize,
    /// Samples with ground truth.
    pub with_gold: usize,
    /// Pairwise: samples whose ground truth is a tie. They are not in `with_gold` and are left
    /// out of every score against ground truth (as JudgeBench scores), since FARE picks A or B.
    pub gold_ties: usize,
    /// Samples with a human reference verdict.
    pub with_human: usize,
    /// Samples whose newest decision accepted the verdict.
    pub accepted: usize,
    /// Samples whose newest decision corrected it.
    pub corrected: usize,
    /// With K judgments per sample: the mean share of the K that gave the majority verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mean_agreement: Option<f64>,
    /// Step-level: ProcessBench score against ground truth (as `gold.processbench`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub processbench: Option<ProcessBenchScore>,
    /// Step-level: where predicted first errors land against the true ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub first_error: Option<FirstErrorAnalysis>,
    /// Pairwise: accuracy with the A/B swap against ground truth (as `gold.pairwise`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pairwise: Option<PairwiseScore>,
    /// Verification against ground truth (as `gold.verification`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub verification: Option<VerificationScore>,
    /// Rating against ground truth (as `gold.rating`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rating: Option<RatingScore>,
    /// Against the data set's ground truth.
    pub gold: Against,
    /// Against the human labels.
    pub human: Against,
    /// Tags people set (samples with the tag from any annotator), most used first.
    pub tags: Vec<TagCount>,
}

/// Two tasks' verdicts on one trace that cannot both be right.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Contradiction {
    /// What contradicts.
    pub kind: ContradictionKind,
    /// The key of its kind.
    pub key: String,
    /// The step-level sample.
    pub step_sample: i64,
    /// Its verdict: the first wrong step, `-1` for none.
    pub first_error: i64,
    /// The other task's sample.
    pub other_sample: i64,
    /// Its task.
    pub other_task: Task,
    /// Its verdict, canonical.
    pub other_verdict: String,
}

/// Contradictions across tasks.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Contradictions {
    /// Traces with a step-level verdict and a verdict of another task.
    pub traces_compared: usize,
    /// The rating at or above which a rating contradicts a found error.
    pub high_rating: i32,
    /// Per kind (every kind listed).
    pub counts: Vec<Cell>,
    /// The first [`LIST_LIMIT`] pairs.
    pub items: Vec<Contradiction>,
}

/// The analysis of a project's shown runs.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Analysis {
    /// The run analysed for each task: the one asked for, else each task's newest run.
    pub runs: BTreeMap<Task, i64>,
    /// Which human verdict the `human` sections use.
    pub human_reference: HumanReference,
    /// Per (task, data set), per (task, data set, source) when a data set has several sources,
    /// and per task when it has several data sets (after them).
    pub groups: Vec<GroupReport>,
    /// Mean ProcessBench F1 over the splits of each ProcessBench-format import, when all are judged.
    pub processbench_mean_f1: Option<f64>,
    /// Verdicts of different tasks on one trace that contradict each other.
    pub contradictions: Contradictions,
}

// ---------------------------------------------------------------------------------------------
// Loading

/// A judgment as the analysis reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Judged {
    pub(crate) predicted: Predicted<Verdict>,
    pub(crate) no_verdict: Option<NoVerdict>,
}

/// A sample's judgments in one run (attempt 0, or the majority of K).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RunVerdicts {
    pub(crate) original: Option<Judged>,
    /// In the data's A/B labels (as stored).
    pub(crate) swapped: Option<Judged>,
    pub(crate) agreement: Option<f64>,
}

/// One sample's facts.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) id: i64,
    pub(crate) task: Task,
    pub(crate) dataset: u32,
    pub(crate) source: Option<u32>,
    pub(crate) step_count: u32,
    pub(crate) gold: Option<Verdict>,
    /// The data set calls the pair a tie (`gold` is `None`).
    pub(crate) gold_tie: bool,
    pub(crate) lengths: Option<(u32, u32)>,
    pub(crate) human: Option<Verdict>,
    /// The newest decision: accepted (true) or corrected (false).
    pub(crate) decision: Option<bool>,
}

/// Every sample of the project, with labels and tags, in id order.
#[allow(
    clippy::struct_field_names,
    reason = "`rows` of `Rows` reads as what it is: the samples"
)]
pub(crate) struct Rows {
    pub(crate) rows: Vec<Row>,
    /// (id, name, format) of each data set; `Row::dataset` indexes it.
    pub(crate) datasets: Vec<(i64, String, String)>,
    pub(crate) sources: Vec<String>,
    /// Interned tag ids; `tags` indexes it.
    pub(crate) tag_names: Vec<String>,
    /// (row index, tag index), distinct, sorted.
    pub(crate) tags: Vec<(usize, u16)>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn rules(task: Task, step_count: u32) -> VerdictRules {
    VerdictRules::stored(task, step_count as usize)
}

fn read_verdict(text: Option<&str>, task: Task, step_count: u32) -> Option<Verdict> {
    text.and_then(|t| Verdict::from_canonical(t, &rules(task, step_count)).ok())
}

/// A stored task name (canonical, so compared before the tolerant parse).
fn task_of(text: &str) -> Result<Task, StoreError> {
    match Task::ALL.iter().find(|t| t.as_str() == text) {
        Some(t) => Ok(*t),
        None => text.parse().map_err(corrupt),
    }
}

impl Rows {
    pub(crate) fn index_of(&self, id: i64) -> Option<usize> {
        self.rows.binary_search_by_key(&id, |r| r.id).ok()
    }

    /// Reads every sample, its current labels (human reference by `how`) and its tags.
    pub(crate) fn load(project: &Project, how: HumanReference) -> Result<Rows, StoreError> {
        let datasets: Vec<(i64, String, String)> = project
            .datasets()?
            .into_iter()
            .map(|d| (d.id, d.name, d.format))
            .collect();
        let dataset_index: HashMap<i64, u32> = datasets
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let mut sources: Vec<String> = Vec::new();
        let mut source_index: HashMap<String, u32> = HashMap::new();
        let mut rows = Vec::new();
        project.scan_samples(|r| {
            let task = task_of(r.task)?;
            let dataset = *dataset_index
                .get(&r.dataset_id)
                .ok_or_else(|| corrupt(format!("sample of no data set {}", r.dataset_id)))?;
            let source = r.source.map(|s| {
                if let Some(i) = source_index.get(s) {
                    *i
                } else {
                    let i = u32::try_from(sources.len()).unwrap_or(u32::MAX);
                    sources.push(s.to_owned());
                    source_index.insert(s.to_owned(), i);
                    i
                }
            });
            rows.push(Row {
                id: r.id,
                task,
                dataset,
                source,
                step_count: r.step_count,
                gold: read_verdict(r.gold, task, r.step_count),
                gold_tie: task == Task::Pairwise && r.gold == Some(fare_store::GOLD_TIE),
                lengths: None,
                human: None,
                decision: None,
            });
            Ok(())
        })?;
        // The responses' lengths of pairs, apart: the scan above then reads no text.
        project.scan_pair_lengths(|id, a, b| {
            if let (Ok(i), Some(a), Some(b)) =
                (rows.binary_search_by_key(&id, |row: &Row| row.id), a, b)
            {
                rows[i].lengths = Some((a, b));
            }
            Ok(())
        })?;
        let mut loaded = Rows {
            rows,
            datasets,
            sources,
            tag_names: Vec::new(),
            tags: Vec::new(),
        };
        loaded.load_labels(project, how)?;
        loaded.load_tags(project)?;
        Ok(loaded)
    }

    fn load_labels(&mut self, project: &Project, how: HumanReference) -> Result<(), StoreError> {
        let mut by_row: BTreeMap<usize, Vec<HumanLabel>> = BTreeMap::new();
        project.scan_labels(|r| {
            let Some(i) = self.index_of(r.sample_id) else {
                return Ok(());
            };
            let row = &self.rows[i];
            let Some(verdict) = read_verdict(r.verdict, row.task, row.step_count) else {
                return Ok(());
            };
            by_row.entry(i).or_default().push(HumanLabel {
                annotator_id: r.annotator_id,
                accepted: r.accepted,
                verdict,
                updated_at: r.updated_at.to_owned(),
            });
            Ok(())
        })?;
        let mut adjudicated: BTreeMap<usize, Verdict> = BTreeMap::new();
        for (sample, verdict) in project.adjudicated_verdicts()? {
            let Some(i) = self.index_of(sample) else {
                continue;
            };
            let row = &self.rows[i];
            if let Some(v) = read_verdict(Some(verdict.as_str()), row.task, row.step_count) {
                adjudicated.insert(i, v);
            }
        }
        for (i, labels) in by_row {
            let row = &mut self.rows[i];
            row.human = human_reference(&labels, adjudicated.get(&i).copied(), how);
            row.decision = labels
                .iter()
                .max_by(|a, b| a.updated_at.cmp(&b.updated_at))
                .map(|l| l.accepted);
        }
        Ok(())
    }

    fn load_tags(&mut self, project: &Project) -> Result<(), StoreError> {
        let mut index: HashMap<String, u16> = HashMap::new();
        let mut tags = Vec::new();
        project.scan_tags(|sample, tag| {
            let Some(i) = self.index_of(sample) else {
                return Ok(());
            };
            let t = if let Some(t) = index.get(tag) {
                *t
            } else {
                let t = u16::try_from(self.tag_names.len())
                    .map_err(|_| corrupt("more than 65535 distinct tags"))?;
                self.tag_names.push(tag.to_owned());
                index.insert(tag.to_owned(), t);
                t
            };
            tags.push((i, t));
            Ok(())
        })?;
        self.tags.extend(tags);
        self.tags.sort_unstable();
        self.tags.dedup();
        Ok(())
    }

    /// The judgments of `run(task)` for each sample, parallel to `rows`.
    pub(crate) fn verdicts(
        &self,
        project: &Project,
        run_of: impl Fn(Task) -> Option<i64>,
    ) -> Result<Vec<RunVerdicts>, StoreError> {
        let mut out = vec![RunVerdicts::default(); self.rows.len()];
        let runs: Vec<i64> = {
            let mut runs: Vec<i64> = Task::ALL.iter().filter_map(|t| run_of(*t)).collect();
            runs.sort_unstable();
            runs.dedup();
            runs
        };
        if runs.is_empty() {
            return Ok(out);
        }
        // Judgments mostly come in sample id order (the index): try the row after the last one
        // before searching.
        let mut next = 0;
        project.scan_judgments(&runs, |r| {
            let i = match self.rows.get(next) {
                Some(row) if row.id == r.sample_id => next,
                _ => match self.index_of(r.sample_id) {
                    Some(i) => i,
                    None => return Ok(()),
                },
            };
            next = i + 1;
            let row = &self.rows[i];
            if run_of(row.task) != Some(r.run_id) {
                return Ok(());
            }
            let verdict = read_verdict(r.verdict, row.task, row.step_count);
            let judged = match (r.state, verdict) {
                ("parsed", Some(v)) => Judged {
                    predicted: Predicted::Value(v),
                    no_verdict: None,
                },
                ("truncated", _) => Judged {
                    predicted: Predicted::Failed,
                    no_verdict: Some(NoVerdict::Truncated),
                },
                _ => Judged {
                    predicted: Predicted::Failed,
                    no_verdict: Some(NoVerdict::Unparseable),
                },
            };
            let slot = &mut out[i];
            if r.swapped {
                slot.swapped = Some(judged);
            } else {
                slot.original = Some(judged);
                slot.agreement = r.agreement;
            }
            Ok(())
        })?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Per-sample facts against a reference

/// A scored sample's verdicts against its reference: everything its cells depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scored {
    Step(StepVerdicts),
    Pair(PairVerdicts, Option<LengthPick>),
    Verification(VerificationVerdicts),
    Rating(RatingVerdicts),
}

impl Row {
    /// The reference verdict of this sample.
    pub(crate) fn reference(&self, reference: Reference) -> Option<Verdict> {
        match reference {
            Reference::Gold => self.gold,
            Reference::Human => self.human,
            Reference::HumanElseGold => self.human.or(self.gold),
        }
    }
}

/// A pair's verdicts as the pairwise metrics want them (the swapped one as the model wrote it).
fn pair_verdicts(gold: Side, verdicts: &RunVerdicts) -> Option<PairVerdicts> {
    let side = |j: Judged| match j.predicted {
        Predicted::Value(Verdict::Pick(s)) => Predicted::Value(s),
        _ => Predicted::Failed,
    };
    Some(PairVerdicts {
        gold,
        original: side(verdicts.original?),
        swapped: verdicts.swapped.map(|j| side(j).map(Side::swapped)),
    })
}

/// The sample's verdicts against `reference`, when it was judged and has one.
pub(crate) fn scored(row: &Row, verdicts: &RunVerdicts, reference: Reference) -> Option<Scored> {
    let reference = row.reference(reference)?;
    let predicted = verdicts.original?.predicted;
    Some(match reference {
        Verdict::FirstError(gold) => Scored::Step(StepVerdicts {
            gold,
            predicted: match predicted {
                Predicted::Value(Verdict::FirstError(p)) => Predicted::Value(p),
                _ => Predicted::Failed,
            },
            step_count: row.step_count as usize,
        }),
        Verdict::Pick(gold) => {
            let pair = pair_verdicts(gold, verdicts)?;
            Scored::Pair(pair, cells::length_pick(pair.original, row.lengths))
        }
        Verdict::Correctness(gold) => Scored::Verification(VerificationVerdicts {
            gold,
            predicted: match predicted {
                Predicted::Value(Verdict::Correctness(c)) => Predicted::Value(c),
                _ => Predicted::Failed,
            },
        }),
        Verdict::Rating(gold) => Scored::Rating(RatingVerdicts {
            gold,
            predicted: match predicted {
                Predicted::Value(Verdict::Rating(r)) => Predicted::Value(r),
                _ => Predicted::Failed,
            },
        }),
    })
}

/// Lengths of A and B that reproduce a length pick (the counts only keep the pick).
fn lengths_for(pick: LengthPick, picked: Predicted<Side>) -> (u32, u32) {
    let longer_is_a = matches!(
        (pick, picked),
        (LengthPick::PickedLonger, Predicted::Value(Side::A))
            | (LengthPick::PickedShorter, Predicted::Value(Side::B))
    );
    if longer_is_a { (2, 1) } else { (1, 2) }
}

impl Scored {
    /// Emits the cells of this sample (not its tags).
    fn cells(&self, emit: &mut impl FnMut(CellKey)) {
        match self {
            Scored::Step(s) => cells::step_cells(s, emit),
            Scored::Pair(pair, pick) => {
                let lengths = pick.map(|p| lengths_for(p, pair.original));
                cells::pair_cells(pair, lengths, emit);
            }
            Scored::Verification(v) => emit(cells::verification_cell(v)),
            Scored::Rating(r) => emit(cells::rating_cell(r)),
        }
    }
}

/// The tags the app infers for a sample against `reference`.
pub(crate) fn inferred(
    row: &Row,
    verdicts: &RunVerdicts,
    reference: Reference,
    emit: &mut impl FnMut(InferredTag),
) {
    let Some(original) = verdicts.original else {
        return;
    };
    let reference = row.reference(reference);
    let pair = match reference {
        Some(Verdict::Pick(gold)) => pair_verdicts(gold, verdicts),
        _ => None,
    };
    let no_verdict = original
        .no_verdict
        .or_else(|| verdicts.swapped.and_then(|s| s.no_verdict));
    infer_tags(
        &Inference {
            task: row.task,
            predicted: Some(original.predicted),
            no_verdict,
            reference,
            step_count: row.step_count as usize,
            pair,
        },
        emit,
    );
}

// ---------------------------------------------------------------------------------------------
// Groups

/// A small, fast hasher for the per-sample counting (keys are a few integers; no untrusted
/// input chooses them, so the DoS resistance of the default hasher buys nothing here). The
/// multiply-rotate step of rustc's FxHasher.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n.cast_unsigned()));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Counts of one finest group (task, data set, source) against one reference.
#[derive(Debug, Default, Clone)]
struct Tally {
    scored: FastMap<Scored, usize>,
    inferred: [usize; InferredTag::ALL.len()],
    flips: Vec<SwapFlip>,
}

impl Tally {
    fn merge(&mut self, other: &Tally) {
        for (k, n) in &other.scored {
            *self.scored.entry(*k).or_default() += n;
        }
        for (a, b) in self.inferred.iter_mut().zip(other.inferred) {
            *a += b;
        }
        self.flips
            .extend(other.flips.iter().take(LIST_LIMIT).cloned());
        self.flips.truncate(LIST_LIMIT);
    }
}

#[derive(Debug, Default, Clone)]
struct GroupTally {
    samples: usize,
    judged: usize,
    with_gold: usize,
    gold_ties: usize,
    with_human: usize,
    accepted: usize,
    corrected: usize,
    agreement_sum: f64,
    agreement_n: usize,
    gold: Tally,
    human: Tally,
    tags: BTreeMap<u16, usize>,
}

impl GroupTally {
    fn merge(&mut self, o: &GroupTally) {
        self.samples += o.samples;
        self.judged += o.judged;
        self.with_gold += o.with_gold;
        self.gold_ties += o.gold_ties;
        self.with_human += o.with_human;
        self.accepted += o.accepted;
        self.corrected += o.corrected;
        self.agreement_sum += o.agreement_sum;
        self.agreement_n += o.agreement_n;
        self.gold.merge(&o.gold);
        self.human.merge(&o.human);
        for (t, n) in &o.tags {
            *self.tags.entry(*t).or_default() += n;
        }
    }
}

fn tally_row(tally: &mut Tally, row: &Row, verdicts: &RunVerdicts, reference: Reference) {
    inferred(row, verdicts, reference, &mut |t| {
        if let Some(i) = InferredTag::ALL.iter().position(|x| *x == t) {
            tally.inferred[i] += 1;
        }
    });
    let Some(s) = scored(row, verdicts, reference) else {
        return;
    };
    if let Scored::Pair(pair, _) = s
        && tally.flips.len() < LIST_LIMIT
        && let (Predicted::Value(o), Some(Predicted::Value(w))) =
            (pair.original, pair.swapped_in_original_order())
        && o != w
    {
        tally.flips.push(SwapFlip {
            sample_id: row.id,
            original: Verdict::Pick(o).canonical(),
            swapped: Verdict::Pick(w).canonical(),
        });
    }
    *tally.scored.entry(s).or_default() += 1;
}

fn step_value(step: Option<u32>) -> i64 {
    step.map_or(-1, i64::from)
}

fn against(task: Task, tally: &Tally, reference: Reference) -> Against {
    let mut out = Against {
        reference,
        scored: tally.scored.values().sum(),
        processbench: None,
        step: None,
        pairwise: None,
        pair: None,
        verification: None,
        confusion: Vec::new(),
        rating: None,
        rating_grid: Vec::new(),
        inferred: InferredTag::ALL
            .iter()
            .zip(tally.inferred)
            .filter(|(t, _)| applies(**t, task))
            .map(|(t, count)| TagCount {
                key: CellKey::Inferred(*t).to_string(),
                tag: t.id().to_owned(),
                count,
            })
            .collect(),
    };
    // Cell counts, from each distinct verdict combination weighted by its count.
    let mut counts: BTreeMap<CellKey, usize> = BTreeMap::new();
    for (s, n) in &tally.scored {
        s.cells(&mut |k| *counts.entry(k).or_default() += n);
    }
    // Items for the metrics: each combination repeated by its count (the metrics take lists).
    let mut entries: Vec<(&Scored, &usize)> = tally.scored.iter().collect();
    entries.sort_by_key(|(s, _)| format!("{s:?}"));
    match task {
        Task::StepLevel => {
            let items: Vec<StepVerdicts> = entries
                .iter()
                .flat_map(|(s, n)| match s {
                    Scored::Step(v) => vec![*v; **n],
                    _ => Vec::new(),
                })
                .collect();
            if !items.is_empty() {
                out.processbench = Some(metrics::processbench(&items));
                out.step = Some(step_cells(&counts));
            }
        }
        Task::Pairwise => {
            let items: Vec<(PairVerdicts, Option<(u32, u32)>)> = entries
                .iter()
                .flat_map(|(s, n)| match s {
                    Scored::Pair(p, pick) => {
                        let lengths = pick.map(|k| lengths_for(k, p.original));
                        vec![(*p, lengths); **n]
                    }
                    _ => Vec::new(),
                })
                .collect();
            if !items.is_empty() {
                let pairs: Vec<PairVerdicts> = items.iter().map(|(p, _)| *p).collect();
                out.pairwise = Some(metrics::pairwise(&pairs));
                let length = length_bias(&items);
                let cell = |k: CellKey| Cell {
                    count: counts.get(&k).copied().unwrap_or(0),
                    key: k.to_string(),
                };
                out.pair = Some(PairCells {
                    orders: counts
                        .iter()
                        .filter(|(k, _)| matches!(k, CellKey::Order(..)))
                        .map(|(k, n)| Cell {
                            key: k.to_string(),
                            count: *n,
                        })
                        .collect(),
                    flips: tally.flips.clone(),
                    length,
                    length_cells: vec![
                        cell(CellKey::Length(LengthPick::PickedLonger)),
                        cell(CellKey::Length(LengthPick::PickedShorter)),
                    ],
                });
            }
        }
        Task::ReferenceFree | Task::ReferenceBased => {
            let items: Vec<VerificationVerdicts> = entries
                .iter()
                .flat_map(|(s, n)| match s {
                    Scored::Verification(v) => vec![*v; **n],
                    _ => Vec::new(),
                })
                .collect();
            if !items.is_empty() {
                out.verification = Some(metrics::verification(&items));
                out.confusion = counts
                    .iter()
                    .filter_map(|(k, n)| match k {
                        CellKey::Confusion { predicted, gold } => Some(ConfusionCell {
                            key: k.to_string(),
                            gold: Verdict::Correctness(*gold).canonical(),
                            predicted: predicted
                                .value()
                                .map(|c| Verdict::Correctness(*c).canonical()),
                            count: *n,
                        }),
                        _ => None,
                    })
                    .collect();
            }
        }
        Task::Rating => {
            let items: Vec<RatingVerdicts> = entries
                .iter()
                .flat_map(|(s, n)| match s {
                    Scored::Rating(v) => vec![*v; **n],
                    _ => Vec::new(),
                })
                .collect();
            if !items.is_empty() {
                out.rating = Some(metrics::rating(&items));
                out.rating_grid = counts
                    .iter()
                    .filter_map(|(k, n)| match k {
                        CellKey::Rating { predicted, gold } => Some(VerdictCell {
                            key: k.to_string(),
                            gold: i64::from(*gold),
                            predicted: predicted.value().map(|p| i64::from(*p)),
                            count: *n,
                        }),
                        _ => None,
                    })
                    .collect();
            }
        }
    }
    out
}

/// Whether an inferred tag can apply to samples of `task` (the taxonomy's `tasks`).
fn applies(tag: InferredTag, task: Task) -> bool {
    match tag {
        InferredTag::Unparseable | InferredTag::Truncated => true,
        InferredTag::MissedError | InferredTag::FalseAlarm => matches!(
            task,
            Task::StepLevel | Task::ReferenceFree | Task::ReferenceBased
        ),
        InferredTag::EarlyStep | InferredTag::LateStep => task == Task::StepLevel,
        InferredTag::PositionBias => task == Task::Pairwise,
    }
}

fn step_cells(counts: &BTreeMap<CellKey, usize>) -> StepCells {
    let mut cells = StepCells {
        grid: Vec::new(),
        positions: Vec::new(),
        offsets: Vec::new(),
        buckets: FirstErrorBucket::ALL
            .iter()
            .map(|b| {
                let key = CellKey::Bucket(*b);
                BucketBar {
                    count: counts.get(&key).copied().unwrap_or(0),
                    key: key.to_string(),
                    bucket: *b,
                }
            })
            .collect(),
    };
    for (k, n) in counts {
        match k {
            CellKey::FirstError { predicted, gold } => cells.grid.push(VerdictCell {
                key: k.to_string(),
                gold: step_value(*gold),
                predicted: predicted.value().map(|p| step_value(*p)),
                count: *n,
            }),
            CellKey::Position { predicted, gold } => cells.positions.push(VerdictCell {
                key: k.to_string(),
                gold: step_value(gold.map(u32::from)),
                predicted: predicted.value().map(|p| step_value(p.map(u32::from))),
                count: *n,
            }),
            CellKey::Offset(offset) => cells.offsets.push(OffsetBar {
                key: k.to_string(),
                offset: *offset,
                count: *n,
            }),
            _ => {}
        }
    }
    cells
}

/// The finest group of a row: (task, data set index, source index).
type GroupId = (Task, u32, Option<u32>);

/// Computes the analysis of a run, or, when `run` is None, of each task's newest run.
pub fn analysis(project: &Project, request: &AnalysisRequest) -> Result<Analysis, StoreError> {
    let how = request.human.unwrap_or_default();
    let shown = project.shown_runs(request.run)?;
    let rows = Rows::load(project, how)?;
    let verdicts = rows.verdicts(project, |t| shown.of(t))?;

    let mut finest: BTreeMap<GroupId, GroupTally> = BTreeMap::new();
    let mut group_of_row: Vec<GroupId> = Vec::with_capacity(rows.rows.len());
    for (row, v) in rows.rows.iter().zip(&verdicts) {
        let id = (row.task, row.dataset, row.source);
        group_of_row.push(id);
        let g = finest.entry(id).or_default();
        g.samples += 1;
        g.judged += usize::from(v.original.is_some() || v.swapped.is_some());
        g.with_gold += usize::from(row.gold.is_some());
        g.gold_ties += usize::from(row.gold_tie);
        g.with_human += usize::from(row.human.is_some());
        g.accepted += usize::from(row.decision == Some(true));
        g.corrected += usize::from(row.decision == Some(false));
        if let Some(a) = v.agreement {
            g.agreement_sum += a;
            g.agreement_n += 1;
        }
        tally_row(&mut g.gold, row, v, Reference::Gold);
        tally_row(&mut g.human, row, v, Reference::Human);
    }
    for (i, t) in &rows.tags {
        if let Some(g) = finest.get_mut(&group_of_row[*i]) {
            *g.tags.entry(*t).or_default() += 1;
        }
    }

    let report = |task: Task, dataset: Option<u32>, source: Option<u32>, t: &GroupTally| {
        let gold = against(task, &t.gold, Reference::Gold);
        let human = against(task, &t.human, Reference::Human);
        let first_error = gold.processbench.as_ref().map(|_| {
            FirstErrorAnalysis::from_counts(t.gold.scored.iter().filter_map(|(s, n)| match s {
                Scored::Step(v) => Some((*v, *n)),
                _ => None,
            }))
        });
        let mut tags: Vec<TagCount> = t
            .tags
            .iter()
            .map(|(tag, count)| {
                let name = rows.tag_names[usize::from(*tag)].clone();
                TagCount {
                    key: format!("tag:{name}"),
                    tag: name,
                    count: *count,
                }
            })
            .collect();
        tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
        let ds = dataset.map(|d| &rows.datasets[d as usize]);
        GroupReport {
            task,
            dataset_id: ds.map(|d| d.0),
            dataset: ds.map(|d| d.1.clone()).unwrap_or_default(),
            source: source.map(|s| rows.sources[s as usize].clone()),
            samples: t.samples,
            judged: t.judged,
            with_gold: t.with_gold,
            gold_ties: t.gold_ties,
            with_human: t.with_human,
            accepted: t.accepted,
            corrected: t.corrected,
            mean_agreement: (t.agreement_n > 0).then(|| t.agreement_sum / t.agreement_n as f64),
            processbench: gold.processbench.clone(),
            first_error,
            pairwise: gold.pairwise.clone(),
            verification: gold.verification.clone(),
            rating: gold.rating.clone(),
            gold,
            human,
            tags,
        }
    };

    let mut groups = Vec::new();
    let mut splits = Vec::new();
    for task in Task::ALL {
        let mut whole_task = GroupTally::default();
        let mut datasets = 0;
        let ids: Vec<u32> = {
            let mut ids: Vec<u32> = finest.keys().filter(|k| k.0 == task).map(|k| k.1).collect();
            ids.dedup();
            ids
        };
        for d in ids {
            let parts: Vec<(&GroupId, &GroupTally)> = finest
                .iter()
                .filter(|(k, _)| k.0 == task && k.1 == d)
                .collect();
            let mut whole = GroupTally::default();
            for (_, t) in &parts {
                whole.merge(t);
            }
            let group = report(task, Some(d), None, &whole);
            if task == Task::StepLevel && rows.datasets[d as usize].2 == "processbench" {
                splits.extend(group.processbench.clone());
            }
            groups.push(group);
            // A source that is the whole data set (a ProcessBench split file) adds nothing.
            let sourced: Vec<_> = parts.iter().filter(|(k, _)| k.2.is_some()).collect();
            if parts.len() > 1 && !sourced.is_empty() {
                for (k, t) in sourced {
                    groups.push(report(task, Some(d), k.2, t));
                }
            }
            whole_task.merge(&whole);
            datasets += 1;
        }
        if datasets > 1 {
            groups.push(report(task, None, None, &whole_task));
        }
    }

    let contradictions = contradictions(project, &rows, &verdicts)?;
    Ok(Analysis {
        runs: Task::ALL
            .iter()
            .filter_map(|t| Some((*t, shown.of(*t)?)))
            .collect(),
        human_reference: how,
        groups,
        processbench_mean_f1: metrics::mean_f1(&splits),
        contradictions: Contradictions {
            traces_compared: contradictions.traces,
            high_rating: HIGH_RATING,
            counts: ContradictionKind::ALL
                .iter()
                .map(|k| Cell {
                    key: CellKey::Contradiction(*k).to_string(),
                    count: contradictions.items.iter().filter(|c| c.kind == *k).count(),
                })
                .collect(),
            items: contradictions.items.into_iter().take(LIST_LIMIT).collect(),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Contradictions

struct Found {
    traces: usize,
    items: Vec<Contradiction>,
}

/// Pairs of a step-level sample and a sample of another task on the same trace (same external
/// id and question) whose verdicts contradict.
fn contradictions(
    project: &Project,
    rows: &Rows,
    verdicts: &[RunVerdicts],
) -> Result<Found, StoreError> {
    let mut found = Found {
        traces: 0,
        items: Vec::new(),
    };
    let verdict_of = |i: usize| match verdicts[i].original.map(|j| j.predicted) {
        Some(Predicted::Value(v)) => Some(v),
        _ => None,
    };
    let judged = |task: Task| {
        rows.rows
            .iter()
            .enumerate()
            .any(|(i, r)| r.task == task && verdicts[i].original.is_some())
    };
    let others = [Task::ReferenceFree, Task::ReferenceBased, Task::Rating];
    if !judged(Task::StepLevel) || !others.iter().any(|t| judged(*t)) {
        return Ok(found);
    }
    // Samples of the tasks involved, judged, by external id and question.
    let mut traces: HashMap<(String, String), Vec<usize>> = HashMap::new();
    project.scan_traces(|id, external_id, question| {
        if let Some(i) = rows.index_of(id)
            && verdict_of(i).is_some()
        {
            traces
                .entry((external_id.to_owned(), question.to_owned()))
                .or_default()
                .push(i);
        }
        Ok(())
    })?;
    let mut members: Vec<Vec<usize>> = traces.into_values().filter(|m| m.len() > 1).collect();
    members.sort_unstable();
    for m in members {
        let steps: Vec<usize> = m
            .iter()
            .copied()
            .filter(|i| rows.rows[*i].task == Task::StepLevel)
            .collect();
        let rest: Vec<usize> = m
            .iter()
            .copied()
            .filter(|i| rows.rows[*i].task != Task::StepLevel)
            .collect();
        if steps.is_empty() || rest.is_empty() {
            continue;
        }
        found.traces += 1;
        for s in &steps {
            let Some(Verdict::FirstError(first)) = verdict_of(*s) else {
                continue;
            };
            for o in &rest {
                let Some(other) = verdict_of(*o) else {
                    continue;
                };
                if let Some(kind) = cells::contradiction(first, other) {
                    found.items.push(Contradiction {
                        kind,
                        key: CellKey::Contradiction(kind).to_string(),
                        step_sample: rows.rows[*s].id,
                        first_error: step_value(first),
                        other_sample: rows.rows[*o].id,
                        other_task: rows.rows[*o].task,
                        other_verdict: other.canonical(),
                    });
                }
            }
        }
    }
    found.items.sort_by_key(|c| (c.step_sample, c.other_sample));
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Samples of a key

/// The ids, in id order, of the samples behind the cell `key` within `scope`.
pub fn analysis_samples(
    project: &Project,
    request: &AnalysisSamplesRequest,
) -> Result<Vec<i64>, crate::api::ApiError> {
    let key: CellKey = request
        .key
        .parse()
        .map_err(|e: cells::BadKey| crate::api::ApiError::Invalid(e.to_string()))?;
    let reference = request.reference.unwrap_or_default();
    let how = request.human.unwrap_or_default();
    let scope = request.scope.clone().unwrap_or_default();
    let shown = project.shown_runs(request.run)?;
    let rows = Rows::load(project, how)?;
    let verdicts = rows.verdicts(project, |t| shown.of(t))?;
    let source = scope
        .source
        .as_ref()
        .map(|s| rows.sources.iter().position(|x| x == s));
    let in_scope = |row: &Row| {
        scope.task.is_none_or(|t| t == row.task)
            && scope
                .dataset_id
                .is_none_or(|d| rows.datasets[row.dataset as usize].0 == d)
            && source.is_none_or(|s| s.is_some() && row.source.map(|x| x as usize) == s)
    };
    let mut ids = Vec::new();
    match &key {
        CellKey::Tag(tag) => {
            if let Some(t) = rows.tag_names.iter().position(|n| n == tag) {
                for (i, tt) in &rows.tags {
                    if usize::from(*tt) == t && in_scope(&rows.rows[*i]) {
                        ids.push(rows.rows[*i].id);
                    }
                }
            }
        }
        CellKey::Contradiction(kind) => {
            for c in contradictions(project, &rows, &verdicts)?.items {
                if c.kind == *kind {
                    ids.push(c.step_sample);
                    ids.push(c.other_sample);
                }
            }
            ids.retain(|id| rows.index_of(*id).is_some_and(|i| in_scope(&rows.rows[i])));
        }
        CellKey::Inferred(tag) => {
            for (row, v) in rows.rows.iter().zip(&verdicts) {
                if !in_scope(row) || !applies(*tag, row.task) {
                    continue;
                }
                let mut hit = false;
                inferred(row, v, reference, &mut |t| hit |= t == *tag);
                if hit {
                    ids.push(row.id);
                }
            }
        }
        _ => {
            for (row, v) in rows.rows.iter().zip(&verdicts) {
                if !in_scope(row) {
                    continue;
                }
                let Some(s) = scored(row, v, reference) else {
                    continue;
                };
                let mut hit = false;
                s.cells(&mut |k| hit |= k == key);
                if hit {
                    ids.push(row.id);
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
