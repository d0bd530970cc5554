//! Agreement between annotators and the adjudication queue: how far the people who labelled
//! the same samples agree (Krippendorff's alpha over everyone, Cohen's kappa for each pair),
//! per task and per task and data set, with the number of samples each figure is over; the
//! samples they disagree on; and a third person's decision about one of them, recorded as its
//! adjudicated verdict (an append-only record in the project, [`fare_store::adjudication`]).
//!
//! Labels count when they hold a verdict (accepted or corrected); a label with only tags or a
//! note is not a verdict. Alpha measures distances as nominal for pairwise (A/B), verification
//! (correct/incorrect) and step-level (the first wrong step: a different step is a different
//! answer, not a nearer one) and as interval for ratings (scores on one numeric scale, so 6
//! against 7 disagrees less than 1 against 10). A sample is a disagreement when two or more
//! annotators gave it verdicts and they are not all the same.
//!
//! The figures are computed from every current label at each call (one scan of the `labels`
//! table), which is fine for the tens of thousands of labels people make; nothing is cached.

use std::collections::BTreeMap;

use fare_core::metrics::agreement::{Agreement, Level, agreement};
use fare_core::{Task, Verdict};
use fare_store::{HumanVerdict, StoredAdjudication};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject, rules_for};

/// Agreement of one group of samples: a task (all its data sets), or a task in one data set.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AgreementGroup {
    /// The task.
    pub task: Task,
    /// The data set; absent for the task as a whole.
    pub dataset_id: Option<i64>,
    /// The data set's name.
    pub dataset: Option<String>,
    /// The figures, with what they are over.
    pub agreement: Agreement,
    /// Samples whose annotators disagree.
    pub disagreements: usize,
    /// Of those, samples with an adjudicated verdict.
    pub adjudicated: usize,
}

/// Agreement between the project's annotators.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AgreementReport {
    /// Everyone who gave a verdict, by name.
    pub annotators: Vec<String>,
    /// Each task as a whole, then each task in each data set (only groups with labels).
    pub groups: Vec<AgreementGroup>,
    /// Samples whose annotators disagree, in all.
    pub disagreements: usize,
    /// Of those, samples with an adjudicated verdict.
    pub adjudicated: usize,
}

/// Which disagreements to list, and which page.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct DisagreementQuery {
    /// Only this task.
    #[ts(optional)]
    pub task: Option<Task>,
    /// Only this data set.
    #[ts(optional)]
    pub dataset_id: Option<i64>,
    /// Only samples nobody adjudicated yet.
    pub open_only: bool,
    /// The page starts after this sample id (0 for the first page).
    pub after: i64,
    /// Page size (at most 500; 100 when 0).
    pub limit: u32,
}

/// One annotator's verdict.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AnnotatorVerdict {
    /// Who.
    pub annotator: String,
    /// The verdict, canonical.
    pub verdict: String,
}

/// One adjudication record: a decision or its clearing.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AdjudicationView {
    /// Who decided.
    pub adjudicator: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The adjudicated verdict, canonical; absent for a clearing.
    pub verdict: Option<String>,
    /// Why.
    pub note: Option<String>,
}

impl From<StoredAdjudication> for AdjudicationView {
    fn from(a: StoredAdjudication) -> Self {
        AdjudicationView {
            adjudicator: a.adjudicator,
            at: a.at,
            verdict: a.verdict.map(Verdict::canonical),
            note: a.note,
        }
    }
}

/// A sample its annotators disagree on.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Disagreement {
    /// The sample.
    pub sample_id: i64,
    /// The data set's id of the sample.
    pub external_id: String,
    /// The data set's name.
    pub dataset: String,
    /// The task.
    pub task: Task,
    /// Each annotator's verdict, by name.
    pub verdicts: Vec<AnnotatorVerdict>,
    /// The current adjudication, if any.
    pub adjudicated: Option<AdjudicationView>,
    /// Every verdict a person can give this sample, canonical, in order.
    pub admissible: Vec<String>,
}

/// One page of disagreements.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DisagreementPage {
    /// The samples, in id order.
    pub items: Vec<Disagreement>,
    /// Where the next page starts, when there is one.
    pub next_after: Option<i64>,
    /// Disagreements matching the query, in all.
    pub total: usize,
    /// Of those, not adjudicated.
    pub open: usize,
}

/// A third person's decision about a sample, as the UI sends it.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AdjudicationRequest {
    /// The sample.
    pub sample_id: i64,
    /// The verdict (canonical); absent or null takes the current adjudication back.
    #[serde(default)]
    #[ts(optional)]
    pub verdict: Option<String>,
    /// Why.
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// The level of measurement of a task's verdicts.
pub fn level_of(task: Task) -> Level {
    match task {
        Task::Rating => Level::Interval,
        _ => Level::Nominal,
    }
}

/// Each annotator's verdict of one sample: (annotator, canonical verdict), by name.
type Verdicts = Vec<(String, String)>;

/// The samples of one group: (sample id, verdicts).
type Members = Vec<(i64, Verdicts)>;

/// One sample's verdicts.
struct SampleVerdicts {
    sample_id: i64,
    task: Task,
    dataset_id: i64,
    verdicts: Verdicts,
}

/// Verdicts grouped by sample, in sample order.
fn by_sample(rows: Vec<HumanVerdict>) -> Vec<SampleVerdicts> {
    let mut out: Vec<SampleVerdicts> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some(last) if last.sample_id == row.sample_id => {
                last.verdicts.push((row.annotator, row.verdict));
            }
            _ => out.push(SampleVerdicts {
                sample_id: row.sample_id,
                task: row.task,
                dataset_id: row.dataset_id,
                verdicts: vec![(row.annotator, row.verdict)],
            }),
        }
    }
    out
}

fn disagree(verdicts: &Verdicts) -> bool {
    verdicts.len() >= 2 && verdicts.iter().any(|(_, v)| *v != verdicts[0].1)
}

fn figures(task: Task, samples: &[Verdicts]) -> Agreement {
    agreement(samples, level_of(task), |v| v.parse::<f64>().ok())
}

impl OpenProject {
    /// Agreement per task and per task and data set.
    pub fn agreement(&self) -> Result<AgreementReport, ApiError> {
        let project = self.project();
        let samples = by_sample(project.human_verdicts(None, None)?);
        let adjudicated = project.adjudicated_verdicts()?;
        let names: BTreeMap<i64, String> = project
            .datasets()?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        // (task, data set or None) → the samples' ids and verdicts.
        let mut groups: BTreeMap<(Task, Option<i64>), Members> = BTreeMap::new();
        for s in &samples {
            for key in [(s.task, None), (s.task, Some(s.dataset_id))] {
                groups
                    .entry(key)
                    .or_default()
                    .push((s.sample_id, s.verdicts.clone()));
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        for ((task, dataset_id), members) in groups {
            let disagreeing: Vec<i64> = members
                .iter()
                .filter(|(_, v)| disagree(v))
                .map(|(id, _)| *id)
                .collect();
            let verdicts: Vec<Verdicts> = members.into_iter().map(|(_, v)| v).collect();
            out.push(AgreementGroup {
                task,
                dataset_id,
                dataset: dataset_id.and_then(|d| names.get(&d).cloned()),
                agreement: figures(task, &verdicts),
                disagreements: disagreeing.len(),
                adjudicated: disagreeing
                    .iter()
                    .filter(|id| adjudicated.contains_key(id))
                    .count(),
            });
        }
        // Each task as a whole first, then its data sets.
        out.sort_by_key(|g| (g.dataset_id.is_some(), g.task, g.dataset_id));
        let disagreeing: Vec<i64> = samples
            .iter()
            .filter(|s| disagree(&s.verdicts))
            .map(|s| s.sample_id)
            .collect();
        let mut annotators: Vec<String> = samples
            .iter()
            .flat_map(|s| s.verdicts.iter().map(|(who, _)| who.clone()))
            .collect();
        annotators.sort();
        annotators.dedup();
        Ok(AgreementReport {
            annotators,
            groups: out,
            disagreements: disagreeing.len(),
            adjudicated: disagreeing
                .iter()
                .filter(|id| adjudicated.contains_key(id))
                .count(),
        })
    }

    /// The samples the annotators disagree on (the adjudication queue), one page.
    pub fn disagreements(&self, query: &DisagreementQuery) -> Result<DisagreementPage, ApiError> {
        let project = self.project();
        let limit = match query.limit {
            0 => 100,
            n => n.min(500),
        } as usize;
        let adjudicated = project.adjudicated_verdicts()?;
        let matching: Vec<SampleVerdicts> =
            by_sample(project.human_verdicts(query.task, query.dataset_id)?)
                .into_iter()
                .filter(|s| disagree(&s.verdicts))
                .collect();
        let total = matching.len();
        let open = matching
            .iter()
            .filter(|s| !adjudicated.contains_key(&s.sample_id))
            .count();
        let mut items = Vec::new();
        let mut next_after = None;
        for SampleVerdicts {
            sample_id,
            task,
            verdicts,
            ..
        } in matching
            .into_iter()
            .filter(|s| s.sample_id > query.after)
            .filter(|s| !query.open_only || !adjudicated.contains_key(&s.sample_id))
        {
            if items.len() == limit {
                next_after = items.last().map(|d: &Disagreement| d.sample_id);
                break;
            }
            let stored = project.sample(sample_id)?;
            let rules = rules_for(task, stored.sample.content.steps().len());
            items.push(Disagreement {
                sample_id,
                external_id: stored.sample.external_id,
                dataset: stored.dataset,
                task,
                verdicts: verdicts
                    .into_iter()
                    .map(|(annotator, verdict)| AnnotatorVerdict { annotator, verdict })
                    .collect(),
                adjudicated: project.adjudication_of(sample_id)?.map(Into::into),
                admissible: rules
                    .admissible()
                    .into_iter()
                    .map(Verdict::canonical)
                    .collect(),
            });
        }
        Ok(DisagreementPage {
            items,
            next_after,
            total,
            open,
        })
    }

    /// Records the current person's decision about a sample as its adjudicated verdict (or, with
    /// no verdict, takes the current one back). Returns the record written.
    pub fn adjudicate(
        &mut self,
        request: &AdjudicationRequest,
    ) -> Result<AdjudicationView, ApiError> {
        let stored = self.project().sample(request.sample_id)?;
        let rules = rules_for(stored.sample.task(), stored.sample.content.steps().len());
        let verdict = request
            .verdict
            .as_deref()
            .map(|text| {
                Verdict::from_canonical(text.trim(), &rules).map_err(|e| {
                    ApiError::Invalid(format!(
                        "`{text}` is not a verdict for sample {}: {e}",
                        request.sample_id
                    ))
                })
            })
            .transpose()?;
        let adjudicator = self.annotator().to_owned();
        let written = self.project_mut().adjudicate(
            request.sample_id,
            &adjudicator,
            verdict,
            request.note.as_deref(),
        )?;
        Ok(written.into())
    }

    /// Every adjudication record of a sample, oldest first.
    pub fn adjudications(&self, sample_id: i64) -> Result<Vec<AdjudicationView>, ApiError> {
        Ok(self
            .project()
            .adjudication_history(sample_id)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
