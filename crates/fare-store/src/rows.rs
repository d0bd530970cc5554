//! Reading a stored sample's or run's facts that several tables need to check or read back a
//! verdict: a sample's task and step count, the verdict rules they give, a run's template and
//! rating scale, and recorded verdict probabilities. Imports nothing of the store's other
//! modules, so every writer can use it without a cycle.

use fare_core::verdict::{DEFAULT_RATING_SCALE, VerdictRules};
use fare_core::{RecordedProbs, Task, Template, Verdict};
use rusqlite::{Connection, OptionalExtension};

use crate::project::Project;
use crate::{Result, StoreError};

/// The verdict rules of a stored sample, for reading stored verdicts back and checking what does
/// not depend on a scale (the task, the step range).
///
/// Ratings are not bounded here: a data set's ground truth uses the data set's own scale, and a
/// judgment's rating was checked against its run's template when it was written. Checking a new
/// rating against a scale is the writer's job ([`VerdictRules::rating_scale`] set by the caller).
pub(crate) fn rules_of(task: &str, step_count: usize) -> Result<VerdictRules> {
    let task: Task = task
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    Ok(VerdictRules::stored(task, step_count))
}

/// The task and step count of a sample; `Invalid` when there is no such sample.
pub(crate) fn sample_task(conn: &Connection, sample_id: i64) -> Result<(String, usize)> {
    conn.query_row(
        "SELECT task, step_count FROM samples WHERE id = ?1",
        [sample_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| StoreError::Invalid(format!("no sample with id {sample_id}")))
}

/// The task of a stored sample.
pub fn sample_task_of(project: &Project, sample_id: i64) -> Result<Task> {
    let (task, _) = sample_task(&project.conn, sample_id)?;
    task.parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))
}

/// A stored canonical verdict, read back.
/// The ground truth stored for a pairwise sample whose data set calls it a tie: no FARE verdict,
/// so the sample has no gold verdict, but it is not "no ground truth" either.
pub const GOLD_TIE: &str = "tie";

/// A sample's stored ground truth as a verdict: `None` for none and for a tie ([`GOLD_TIE`]).
pub(crate) fn gold_from_db(text: Option<&str>, rules: &VerdictRules) -> Result<Option<Verdict>> {
    match text {
        None => Ok(None),
        Some(GOLD_TIE) if rules.task == fare_core::Task::Pairwise => Ok(None),
        Some(text) => verdict_from_db(text, rules).map(Some),
    }
}

pub(crate) fn verdict_from_db(text: &str, rules: &VerdictRules) -> Result<Verdict> {
    Verdict::from_canonical(text, rules)
        .map_err(|e| StoreError::Corrupt(format!("stored verdict `{text}`: {e}")))
}

/// The stored template (TOML) of a run; `Invalid` when there is no such run.
pub(crate) fn run_template(conn: &Connection, run_id: i64) -> Result<Option<String>> {
    conn.query_row(
        "SELECT t.body FROM runs r LEFT JOIN templates t ON t.id = r.template_id WHERE r.id = ?1",
        [run_id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::Invalid(format!("no run with id {run_id}")))
}

/// The rating scale of a run's template (the default scale for a run without a template).
pub(crate) fn rating_scale(template: Option<&str>, run_id: i64) -> Result<(i32, i32)> {
    template.map_or(Ok(DEFAULT_RATING_SCALE), |body| {
        Template::from_toml(body)
            .map(|t| t.rating_scale())
            .map_err(|e| StoreError::Corrupt(format!("the template of run {run_id}: {e}")))
    })
}

/// The rating scale a new rating of a judgment's run must fit; `Invalid` when there is no such
/// judgment.
pub(crate) fn judgment_rating_scale(conn: &Connection, judgment_id: i64) -> Result<(i32, i32)> {
    let run_id: i64 = conn
        .query_row(
            "SELECT run_id FROM judgments WHERE id = ?1",
            [judgment_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::Invalid(format!("no judgment with id {judgment_id}")))?;
    rating_scale(run_template(conn, run_id)?.as_deref(), run_id)
}

/// Reads the verdict probabilities a judgment row keeps.
pub(crate) fn recorded_probs(stored: &str) -> std::result::Result<RecordedProbs, String> {
    let json: serde_json::Value =
        serde_json::from_str(stored).map_err(|e| format!("verdict probabilities: {e}"))?;
    RecordedProbs::from_json(&json)
}
