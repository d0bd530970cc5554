//! The checkpoint diff: two evaluator runs over the same samples, item by item, against the
//! reference labels: what the later run fixed and what it broke, per task and per failure-mode
//! tag.
//!
//! A sample is *right* in a run when its original-order verdict equals the reference (for a
//! pair judged in both orders, when both orders pick the reference's response); a failed output
//! is wrong. Each sample of a task lands in one cell: `both-right`, `fixed` (wrong before, right
//! after), `broke` (right before, wrong after), `both-wrong`, or `not-comparable` (judged in only
//! one of the runs, or no reference verdict). The reference is by default the human label where
//! there is one ([`crate::analysis::human_reference`]: the adjudicated verdict, else the one all labels agree on),
//! else the data set's ground truth ([`Reference::HumanElseGold`]).
//!
//! Per tag, a sample counts under a tag when a person set it on the sample, or when the app
//! infers it ([`fare_core::taxonomy::infer_tags`]) from the verdict of either run: the row of
//! `late-step` shows how the samples that were, or became, late fared.
//!
//! Keys: `diff:<cell>` for a task's row, `diff:<cell>:tag=<id>` and `diff:<cell>:inferred=<id>`
//! for a tag's; read with the task as scope by [`diff_samples`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use fare_core::metrics::Predicted;
use fare_core::taxonomy::InferredTag;
use fare_core::{Task, Verdict};
use fare_store::Project;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analysis::{HumanReference, Reference, Row, Rows, RunVerdicts, inferred};
use crate::api::ApiError;

/// Where one sample lands in the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum DiffCell {
    /// Right in both runs.
    BothRight,
    /// Wrong before, right after.
    Fixed,
    /// Right before, wrong after.
    Broke,
    /// Wrong in both runs.
    BothWrong,
    /// Judged in only one run, or no reference verdict.
    NotComparable,
}

impl DiffCell {
    /// Every cell, in table order.
    pub const ALL: [DiffCell; 5] = [
        DiffCell::BothRight,
        DiffCell::Fixed,
        DiffCell::Broke,
        DiffCell::BothWrong,
        DiffCell::NotComparable,
    ];

    /// The cell's name in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffCell::BothRight => "both-right",
            DiffCell::Fixed => "fixed",
            DiffCell::Broke => "broke",
            DiffCell::BothWrong => "both-wrong",
            DiffCell::NotComparable => "not-comparable",
        }
    }
}

/// Which rows of the diff table a key reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum TableRow {
    Task,
    Tag(String),
    Inferred(InferredTag),
}

/// A key of the diff table: `diff:<cell>[:tag=<id>|:inferred=<id>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DiffKey {
    cell: DiffCell,
    row: TableRow,
}

impl fmt::Display for DiffKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "diff:{}", self.cell.as_str())?;
        match &self.row {
            TableRow::Task => Ok(()),
            TableRow::Tag(id) => write!(f, ":tag={id}"),
            TableRow::Inferred(t) => write!(f, ":inferred={}", t.id()),
        }
    }
}

impl FromStr for DiffKey {
    type Err = ApiError;

    fn from_str(key: &str) -> Result<Self, ApiError> {
        let bad = |why: &str| ApiError::Invalid(format!("`{key}` is not a diff key: {why}"));
        let rest = key
            .strip_prefix("diff:")
            .ok_or_else(|| bad("it starts with `diff:`"))?;
        let (cell, row) = rest.split_once(':').unwrap_or((rest, ""));
        let cell = DiffCell::ALL
            .into_iter()
            .find(|c| c.as_str() == cell)
            .ok_or_else(|| bad("no such cell"))?;
        let row = if row.is_empty() {
            TableRow::Task
        } else if let Some(id) = row.strip_prefix("tag=") {
            if !fare_core::taxonomy::is_valid_tag_id(id) {
                return Err(bad("a tag id is lowercase letters, digits and `-`"));
            }
            TableRow::Tag(id.to_owned())
        } else if let Some(id) = row.strip_prefix("inferred=") {
            TableRow::Inferred(
                InferredTag::from_id(id).ok_or_else(|| bad("no tag the app infers has this id"))?,
            )
        } else {
            return Err(bad("expected `tag=<id>` or `inferred=<id>`"));
        };
        Ok(DiffKey { cell, row })
    }
}

/// Two runs to compare.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DiffRequest {
    /// The earlier run (checkpoint).
    pub before: i64,
    /// The later run.
    pub after: i64,
    /// What counts as right (the human label, else ground truth, when absent).
    #[serde(default)]
    #[ts(optional)]
    pub reference: Option<Reference>,
    /// Which human verdict is the human label.
    #[serde(default)]
    #[ts(optional)]
    pub human: Option<HumanReference>,
}

/// The samples of one diff cell.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DiffSamplesRequest {
    /// The earlier run.
    pub before: i64,
    /// The later run.
    pub after: i64,
    /// The table's reference.
    #[serde(default)]
    #[ts(optional)]
    pub reference: Option<Reference>,
    /// Which human verdict is the human label.
    #[serde(default)]
    #[ts(optional)]
    pub human: Option<HumanReference>,
    /// The row's task.
    pub task: Task,
    /// The cell's key.
    pub key: String,
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DiffCount {
    /// The cell.
    pub cell: DiffCell,
    /// Its key (with the row's task as scope).
    pub key: String,
    /// Samples.
    pub count: usize,
}

/// One row: a task, or a tag within a task.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DiffRow {
    /// The task.
    pub task: Task,
    /// The tag, `None` for the task's own row.
    pub tag: Option<String>,
    /// Whether the tag is one the app infers (false: people set it).
    pub inferred: bool,
    /// Every cell, in [`DiffCell::ALL`] order.
    pub cells: Vec<DiffCount>,
}

/// The checkpoint diff.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RunDiff {
    /// The earlier run.
    pub before: i64,
    /// The later run.
    pub after: i64,
    /// What counted as right.
    pub reference: Reference,
    /// Which human verdict is the human label.
    pub human: HumanReference,
    /// A row per task the runs judged, then its tags' rows (people's tags, then inferred ones).
    pub rows: Vec<DiffRow>,
}

/// Whether a run's verdicts on a sample are right against `reference`; `None` when not judged.
fn right(reference: Verdict, v: &RunVerdicts) -> Option<bool> {
    let original = v.original?.predicted;
    let ok = original == Predicted::Value(reference);
    Some(match (reference, v.swapped) {
        // The swapped verdict is stored in the data's labels: right when it also picks the
        // reference's response.
        (Verdict::Pick(_), Some(s)) => ok && s.predicted == Predicted::Value(reference),
        _ => ok,
    })
}

fn cell_of(row: &Row, before: &RunVerdicts, after: &RunVerdicts, reference: Reference) -> DiffCell {
    let Some(r) = row.reference(reference) else {
        return DiffCell::NotComparable;
    };
    match (right(r, before), right(r, after)) {
        (Some(true), Some(true)) => DiffCell::BothRight,
        (Some(false), Some(true)) => DiffCell::Fixed,
        (Some(true), Some(false)) => DiffCell::Broke,
        (Some(false), Some(false)) => DiffCell::BothWrong,
        _ => DiffCell::NotComparable,
    }
}

/// Where each sample lands: its cell (`None`: judged in neither run) and the tags the app
/// infers from either run's verdict (bit `i` for [`InferredTag::ALL`]`[i]`), parallel to the rows.
struct Placed {
    cells: Vec<Option<DiffCell>>,
    inferred: Vec<u8>,
}

fn place(
    project: &Project,
    before: i64,
    after: i64,
    reference: Reference,
    how: HumanReference,
) -> Result<(Rows, Placed), ApiError> {
    let rows = Rows::load(project, how)?;
    let b = rows.verdicts(project, |_| Some(before))?;
    let a = rows.verdicts(project, |_| Some(after))?;
    let mut placed = Placed {
        cells: Vec::with_capacity(rows.rows.len()),
        inferred: Vec::with_capacity(rows.rows.len()),
    };
    for (i, row) in rows.rows.iter().enumerate() {
        if b[i].original.is_none() && a[i].original.is_none() {
            placed.cells.push(None);
            placed.inferred.push(0);
            continue;
        }
        placed
            .cells
            .push(Some(cell_of(row, &b[i], &a[i], reference)));
        let mut bits = 0u8;
        let mut set = |t: InferredTag| {
            if let Some(i) = InferredTag::ALL.iter().position(|x| *x == t) {
                bits |= 1 << i;
            }
        };
        inferred(row, &b[i], reference, &mut set);
        inferred(row, &a[i], reference, &mut set);
        placed.inferred.push(bits);
    }
    Ok((rows, placed))
}

fn cell_index(cell: DiffCell) -> usize {
    DiffCell::ALL.iter().position(|c| *c == cell).unwrap_or(0)
}

fn check_runs(project: &Project, runs: [i64; 2]) -> Result<(), ApiError> {
    for run in runs {
        let exists = project.has_run(run)?;
        if !exists {
            return Err(ApiError::Invalid(format!("no evaluator run {run}")));
        }
    }
    Ok(())
}

/// The checkpoint diff of two runs.
pub fn diff(project: &Project, request: &DiffRequest) -> Result<RunDiff, ApiError> {
    check_runs(project, [request.before, request.after])?;
    let reference = request.reference.unwrap_or(Reference::HumanElseGold);
    let how = request.human.unwrap_or_default();
    let (rows, placed) = place(project, request.before, request.after, reference, how)?;
    let mut table: BTreeMap<(Task, TableRow), [usize; 5]> = BTreeMap::new();
    // Counted in arrays, one pass over the samples; the table is built from them after.
    let mut by_task = [[0usize; 5]; Task::ALL.len()];
    let mut by_inferred = [[[0usize; 5]; InferredTag::ALL.len()]; Task::ALL.len()];
    for (i, row) in rows.rows.iter().enumerate() {
        let Some(cell) = placed.cells[i] else {
            continue;
        };
        let t = Task::ALL.iter().position(|x| *x == row.task).unwrap_or(0);
        let c = cell_index(cell);
        by_task[t][c] += 1;
        let bits = placed.inferred[i];
        for (k, counts) in by_inferred[t].iter_mut().enumerate() {
            if bits & (1 << k) != 0 {
                counts[c] += 1;
            }
        }
    }
    for (t, task) in Task::ALL.iter().enumerate() {
        if by_task[t].iter().sum::<usize>() > 0 {
            table.insert((*task, TableRow::Task), by_task[t]);
        }
        for (k, tag) in InferredTag::ALL.iter().enumerate() {
            if by_inferred[t][k].iter().sum::<usize>() > 0 {
                table.insert((*task, TableRow::Inferred(*tag)), by_inferred[t][k]);
            }
        }
    }
    for (i, tag) in &rows.tags {
        if let Some(cell) = placed.cells[*i] {
            let name = rows.tag_names[usize::from(*tag)].clone();
            table
                .entry((rows.rows[*i].task, TableRow::Tag(name)))
                .or_default()[cell_index(cell)] += 1;
        }
    }
    let rows = table
        .into_iter()
        .map(|((task, row), counts)| DiffRow {
            task,
            tag: match &row {
                TableRow::Task => None,
                TableRow::Tag(id) => Some(id.clone()),
                TableRow::Inferred(t) => Some(t.id().to_owned()),
            },
            inferred: matches!(row, TableRow::Inferred(_)),
            cells: DiffCell::ALL
                .iter()
                .zip(counts)
                .map(|(cell, count)| DiffCount {
                    cell: *cell,
                    key: DiffKey {
                        cell: *cell,
                        row: row.clone(),
                    }
                    .to_string(),
                    count,
                })
                .collect(),
        })
        .collect();
    Ok(RunDiff {
        before: request.before,
        after: request.after,
        reference,
        human: how,
        rows,
    })
}

/// The sample ids, in id order, of one cell of the diff table.
pub fn diff_samples(project: &Project, request: &DiffSamplesRequest) -> Result<Vec<i64>, ApiError> {
    let key: DiffKey = request.key.parse()?;
    check_runs(project, [request.before, request.after])?;
    let reference = request.reference.unwrap_or(Reference::HumanElseGold);
    let how = request.human.unwrap_or_default();
    let (rows, placed) = place(project, request.before, request.after, reference, how)?;
    let tagged: Option<Vec<usize>> = match &key.row {
        TableRow::Tag(id) => {
            let tag = rows.tag_names.iter().position(|n| n == id);
            Some(
                rows.tags
                    .iter()
                    .filter(|(_, t)| Some(usize::from(*t)) == tag)
                    .map(|(i, _)| *i)
                    .collect(),
            )
        }
        _ => None,
    };
    let in_row = |i: usize| match &key.row {
        TableRow::Task => true,
        TableRow::Inferred(t) => InferredTag::ALL
            .iter()
            .position(|x| x == t)
            .is_some_and(|k| placed.inferred[i] & (1 << k) != 0),
        TableRow::Tag(_) => tagged
            .as_ref()
            .is_some_and(|rows| rows.binary_search(&i).is_ok()),
    };
    Ok(rows
        .rows
        .iter()
        .enumerate()
        .filter(|(i, row)| {
            row.task == request.task && placed.cells[*i] == Some(key.cell) && in_row(*i)
        })
        .map(|(_, row)| row.id)
        .collect())
}
