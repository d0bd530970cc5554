//! The evaluator report: metrics of one run per task, data set and source.
//!
//! For each group of samples it computes, with [`fare_core::metrics`]: ProcessBench error /
//! correct accuracy and F1 with the first-error buckets (step-level), swap-consistent accuracy
//! (pairwise), accuracy / F1 / confusion (verification), MAE and rank correlation (rating), each
//! against the data set's ground truth; and how the evaluator fares against human labels
//! (how many verdicts people accepted or corrected). ProcessBench's headline number, the mean F1
//! over splits, is given per data set format.
//!
//! A run that judged each sample K times (`judge --samples K`) is scored on its majority
//! verdicts (self-consistency), and its groups say how much the K judgments agreed.

use std::collections::BTreeMap;

use fare_core::metrics::{
    self, FirstErrorAnalysis, PairVerdicts, PairwiseScore, Predicted, ProcessBenchScore,
    RatingScore, RatingVerdicts, StepVerdicts, VerificationScore, VerificationVerdicts,
};
use fare_core::verdict::VerdictRules;
use fare_core::{Side, Task, Verdict};
use fare_store::{Project, ShownRuns, StoreError};
use serde::Serialize;
use ts_rs::TS;

/// Metrics of one group of samples.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GroupReport {
    /// The task.
    pub task: Task,
    /// The data set's name.
    pub dataset: String,
    /// The source within it, or None for the whole data set.
    pub source: Option<String>,
    /// Samples in the group.
    pub samples: usize,
    /// Samples with a judgment in the run.
    pub judged: usize,
    /// Samples with ground truth.
    pub with_gold: usize,
    /// Samples a person accepted the verdict of.
    pub accepted: usize,
    /// Samples a person corrected.
    pub corrected: usize,
    /// With K judgments per sample: the mean share of the K that gave the majority verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mean_agreement: Option<f64>,
    /// Step-level: ProcessBench score against ground truth.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub processbench: Option<ProcessBenchScore>,
    /// Step-level: where predicted first errors land against the true ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub first_error: Option<FirstErrorAnalysis>,
    /// Pairwise: accuracy with the A/B swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pairwise: Option<PairwiseScore>,
    /// Verification: accuracy, F1, confusion.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub verification: Option<VerificationScore>,
    /// Rating: MAE and correlation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rating: Option<RatingScore>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Report {
    /// The run reported on for each task: the one asked for, else each task's newest run.
    pub runs: BTreeMap<Task, i64>,
    /// Per (task, data set) and per (task, data set, source).
    pub groups: Vec<GroupReport>,
    /// Mean ProcessBench F1 over the splits of each ProcessBench-format import, when all are judged.
    pub processbench_mean_f1: Option<f64>,
}

/// One sample's facts for the report.
struct Row {
    task: Task,
    dataset: String,
    format: String,
    source: Option<String>,
    step_count: usize,
    gold: Option<Verdict>,
    /// (swapped, parse state, verdict in the data's labels); a majority of K when the run has one
    judgments: Vec<(bool, String, Option<Verdict>)>,
    /// Share of the K judgments that gave the majority (original order), for runs with K > 1
    agreement: Option<f64>,
    decision: Option<String>,
}

fn read_verdict(text: Option<String>, task: Task, step_count: usize) -> Option<Verdict> {
    let mut rules = VerdictRules::new(task, step_count);
    rules.rating_scale = (i32::MIN, i32::MAX);
    text.and_then(|t| Verdict::from_canonical(&t, &rules).ok())
}

fn load_rows(project: &Project, runs: &ShownRuns) -> Result<Vec<Row>, StoreError> {
    let conn = project.connection();
    let mut stmt = conn.prepare(&format!(
        "SELECT s.id, s.task, d.name, d.format, s.source, s.step_count, s.gold_verdict, j.response_order,
                CASE WHEN v.run_id IS NULL THEN j.parse_state WHEN v.verdict IS NULL THEN 'unparseable' ELSE 'parsed' END,
                CASE WHEN v.run_id IS NULL THEN j.verdict ELSE v.verdict END,
                (SELECT l.decision FROM labels l WHERE l.sample_id = s.id AND l.decision != 'unreviewed' ORDER BY l.updated_at DESC LIMIT 1),
                CAST(v.votes AS REAL) / v.attempts
         FROM samples s JOIN datasets d ON d.id = s.dataset_id
         LEFT JOIN judgments j ON j.sample_id = s.id AND j.attempt = 0 AND j.run_id = {runs}
         LEFT JOIN votes v ON v.run_id = j.run_id AND v.sample_id = s.id AND v.response_order = j.response_order
         ORDER BY s.id",
        runs = runs.sql()
    ))?;
    let mut rows: Vec<Row> = Vec::new();
    let mut last_id = None;
    let mut cursor = stmt.query([])?;
    while let Some(r) = cursor.next()? {
        let id: i64 = r.get(0)?;
        let task: Task = r
            .get::<_, String>(1)?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
        let step_count: usize = r.get(5)?;
        let judgment = match r.get::<_, Option<String>>(8)? {
            Some(state) => Some((
                r.get::<_, String>(7)? == "swapped",
                state,
                read_verdict(r.get(9)?, task, step_count),
            )),
            None => None,
        };
        let agreement: Option<f64> = r.get(11)?;
        let original = judgment.as_ref().is_some_and(|j| !j.0);
        if last_id == Some(id) {
            if let Some(row) = rows.last_mut() {
                if original {
                    row.agreement = agreement;
                }
                row.judgments.extend(judgment);
            }
            continue;
        }
        last_id = Some(id);
        rows.push(Row {
            task,
            dataset: r.get(2)?,
            format: r.get(3)?,
            source: r.get(4)?,
            step_count,
            gold: read_verdict(r.get(6)?, task, step_count),
            judgments: judgment.into_iter().collect(),
            agreement: agreement.filter(|_| original),
            decision: r.get(10)?,
        });
    }
    Ok(rows)
}

fn predicted(row: &Row, swapped: bool) -> Option<Predicted<Verdict>> {
    row.judgments
        .iter()
        .find(|j| j.0 == swapped)
        .map(|(_, state, verdict)| match (state.as_str(), verdict) {
            ("parsed", Some(v)) => Predicted::Value(*v),
            _ => Predicted::Failed,
        })
}

fn group_report(task: Task, dataset: &str, source: Option<&str>, rows: &[&Row]) -> GroupReport {
    let mut report = GroupReport {
        task,
        dataset: dataset.to_owned(),
        source: source.map(str::to_owned),
        samples: rows.len(),
        judged: rows.iter().filter(|r| !r.judgments.is_empty()).count(),
        with_gold: rows.iter().filter(|r| r.gold.is_some()).count(),
        accepted: rows
            .iter()
            .filter(|r| r.decision.as_deref() == Some("accepted"))
            .count(),
        corrected: rows
            .iter()
            .filter(|r| r.decision.as_deref() == Some("corrected"))
            .count(),
        mean_agreement: {
            let shares: Vec<f64> = rows.iter().filter_map(|r| r.agreement).collect();
            (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
        },
        processbench: None,
        first_error: None,
        pairwise: None,
        verification: None,
        rating: None,
    };
    let judged = rows
        .iter()
        .filter_map(|r| Some((r, r.gold?, predicted(r, false)?)));
    match task {
        Task::StepLevel => {
            let items: Vec<StepVerdicts> = judged
                .filter_map(|(r, gold, p)| {
                    let Verdict::FirstError(gold) = gold else {
                        return None;
                    };
                    let predicted = match p {
                        Predicted::Value(Verdict::FirstError(i)) => Predicted::Value(i),
                        _ => Predicted::Failed,
                    };
                    Some(StepVerdicts {
                        gold,
                        predicted,
                        step_count: r.step_count,
                    })
                })
                .collect();
            if !items.is_empty() {
                report.processbench = Some(metrics::processbench(&items));
                report.first_error = Some(FirstErrorAnalysis::from_items(&items));
            }
        }
        Task::Pairwise => {
            let side = |p: Predicted<Verdict>| match p {
                Predicted::Value(Verdict::Pick(s)) => Predicted::Value(s),
                _ => Predicted::Failed,
            };
            let items: Vec<PairVerdicts> = judged
                .filter_map(|(r, gold, p)| {
                    let Verdict::Pick(gold) = gold else {
                        return None;
                    };
                    // The store keeps swapped verdicts in the data's labels; the metric wants them
                    // as the model wrote them.
                    let swapped = predicted(r, true).map(|s| side(s).map(Side::swapped));
                    Some(PairVerdicts {
                        gold,
                        original: side(p),
                        swapped,
                    })
                })
                .collect();
            if !items.is_empty() {
                report.pairwise = Some(metrics::pairwise(&items));
            }
        }
        Task::ReferenceFree | Task::ReferenceBased => {
            let items: Vec<VerificationVerdicts> = judged
                .filter_map(|(_, gold, p)| {
                    let Verdict::Correctness(gold) = gold else {
                        return None;
                    };
                    let predicted = match p {
                        Predicted::Value(Verdict::Correctness(c)) => Predicted::Value(c),
                        _ => Predicted::Failed,
                    };
                    Some(VerificationVerdicts { gold, predicted })
                })
                .collect();
            if !items.is_empty() {
                report.verification = Some(metrics::verification(&items));
            }
        }
        Task::Rating => {
            let items: Vec<RatingVerdicts> = judged
                .filter_map(|(_, gold, p)| {
                    let Verdict::Rating(gold) = gold else {
                        return None;
                    };
                    let predicted = match p {
                        Predicted::Value(Verdict::Rating(r)) => Predicted::Value(r),
                        _ => Predicted::Failed,
                    };
                    Some(RatingVerdicts { gold, predicted })
                })
                .collect();
            if !items.is_empty() {
                report.rating = Some(metrics::rating(&items));
            }
        }
    }
    report
}

/// Computes the report of a run, or, when `run` is None, of each task's newest run.
pub fn report(project: &Project, run: Option<i64>) -> Result<Report, StoreError> {
    let shown = project.shown_runs(run)?;
    let rows = load_rows(project, &shown)?;
    let mut by_dataset: BTreeMap<(Task, String), Vec<&Row>> = BTreeMap::new();
    let mut by_source: BTreeMap<(Task, String, String), Vec<&Row>> = BTreeMap::new();
    for row in &rows {
        by_dataset
            .entry((row.task, row.dataset.clone()))
            .or_default()
            .push(row);
        if let Some(source) = &row.source {
            by_source
                .entry((row.task, row.dataset.clone(), source.clone()))
                .or_default()
                .push(row);
        }
    }
    let mut groups = Vec::new();
    for ((task, dataset), members) in &by_dataset {
        groups.push(group_report(*task, dataset, None, members));
        let sources: Vec<_> = by_source
            .iter()
            .filter(|((t, d, _), _)| t == task && d == dataset)
            .collect();
        // A source that is the whole data set (a ProcessBench split file) adds nothing.
        if sources.len() > 1 {
            for ((_, _, source), members) in sources {
                groups.push(group_report(*task, dataset, Some(source), members));
            }
        }
    }
    let splits: Vec<ProcessBenchScore> = by_dataset
        .iter()
        .filter(|((task, _), members)| {
            *task == Task::StepLevel && members.first().is_some_and(|r| r.format == "processbench")
        })
        .filter_map(|((task, dataset), members)| {
            group_report(*task, dataset, None, members).processbench
        })
        .collect();
    Ok(Report {
        runs: Task::ALL
            .iter()
            .filter_map(|t| Some((*t, shown.of(*t)?)))
            .collect(),
        groups,
        processbench_mean_f1: metrics::mean_f1(&splits),
    })
}
