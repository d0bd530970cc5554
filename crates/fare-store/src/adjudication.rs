//! Adjudications (a third person's decision where annotators disagree) and the final label of
//! a sample.
//!
//! Like annotation events, adjudications are only ever appended (`adjudications`, schema
//! version 4): [`Project::adjudicate`] adds a decision or a clearing, and the sample's current
//! adjudicated verdict is its latest row. [`Project::final_verdict`] applies a
//! [`FinalLabel`] choice to a sample's labels and adjudication (through
//! [`fare_core::final_label::resolve`]); exports and the checkpoint diff read it from here.
//! [`Project::human_verdicts`] lists every annotator's current verdict for the agreement
//! figures.

use std::collections::BTreeMap;

use fare_core::verdict::DEFAULT_RATING_SCALE;
use fare_core::{FinalLabel, Resolved, Task, Verdict, VerdictRules};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::annotations::annotator_id;
use crate::project::Project;
use crate::rows::{rules_of, sample_task, verdict_from_db};
use crate::{Result, StoreError, StoredLabel};

/// One adjudication row: a decision, or its clearing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAdjudication {
    /// The sample.
    pub sample_id: i64,
    /// Who decided.
    pub adjudicator: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The adjudicated verdict; `None` for a clearing.
    pub verdict: Option<Verdict>,
    /// Why, in the adjudicator's words.
    pub note: Option<String>,
}

/// One annotator's current verdict of a sample (labels without a verdict are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HumanVerdict {
    /// The sample.
    pub sample_id: i64,
    /// Its task.
    pub task: Task,
    /// Its data set.
    pub dataset_id: i64,
    /// Who.
    pub annotator: String,
    /// The verdict, canonical.
    pub verdict: String,
}

/// Rules for a person's verdict of a sample: the default rating scale, like an annotation made
/// without a judgment.
fn rules_for(conn: &Connection, sample_id: i64) -> Result<VerdictRules> {
    let (task, step_count) = sample_task(conn, sample_id)?;
    Ok(VerdictRules {
        rating_scale: DEFAULT_RATING_SCALE,
        ..rules_of(&task, step_count)?
    })
}

/// The latest adjudication row of a sample, if any.
fn latest(conn: &Connection, sample_id: i64) -> Result<Option<StoredAdjudication>> {
    let row: Option<(String, String, Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT a.name, j.at, j.verdict, j.note FROM adjudications j JOIN annotators a ON a.id = j.annotator_id
             WHERE j.sample_id = ?1 ORDER BY j.at DESC, j.id DESC LIMIT 1",
        )?
        .query_row([sample_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((adjudicator, at, verdict, note)) = row else {
        return Ok(None);
    };
    let verdict = match verdict {
        Some(v) => {
            let (task, step_count) = sample_task(conn, sample_id)?;
            Some(verdict_from_db(&v, &rules_of(&task, step_count)?)?)
        }
        None => None,
    };
    Ok(Some(StoredAdjudication {
        sample_id,
        adjudicator,
        at,
        verdict,
        note,
    }))
}

/// The final verdict of a sample from its labels (each annotator's; labels without a verdict
/// are skipped) and its adjudicated verdict.
pub fn final_of(
    choice: &FinalLabel,
    labels: &[StoredLabel],
    adjudicated: Option<Verdict>,
) -> Resolved<Verdict> {
    let verdicts: Vec<(&str, Verdict)> = labels
        .iter()
        .filter_map(|l| Some((l.annotator.as_str(), l.label.verdict?)))
        .collect();
    fare_core::final_label::resolve(choice, &verdicts, adjudicated.as_ref())
}

impl Project {
    /// Records a third person's decision about a sample (`verdict`), or takes the current one
    /// back (`None`), with an optional note. Returns the row written. The verdict is checked
    /// against the sample; nothing is written when it does not fit.
    pub fn adjudicate(
        &mut self,
        sample_id: i64,
        adjudicator: &str,
        verdict: Option<Verdict>,
        note: Option<&str>,
    ) -> Result<StoredAdjudication> {
        let tx = self.conn.transaction()?;
        if let Some(v) = verdict {
            v.check(&rules_for(&tx, sample_id)?)
                .map_err(|e| StoreError::Invalid(format!("sample {sample_id}: {e}")))?;
        } else {
            // Checks that the sample exists.
            sample_task(&tx, sample_id)?;
        }
        let who = annotator_id(&tx, adjudicator)?;
        let now = Project::now(&tx)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        tx.execute(
            "INSERT INTO adjudications (sample_id, annotator_id, at, action, verdict, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                sample_id,
                who,
                now,
                if verdict.is_some() { "adjudicate" } else { "clear" },
                verdict.map(Verdict::canonical),
                note
            ],
        )?;
        tx.commit()?;
        Ok(StoredAdjudication {
            sample_id,
            adjudicator: adjudicator.trim().to_owned(),
            at: now,
            verdict,
            note: note.map(str::to_owned),
        })
    }

    /// The sample's current adjudication: its latest row, unless that row cleared it.
    pub fn adjudication_of(&self, sample_id: i64) -> Result<Option<StoredAdjudication>> {
        Ok(latest(&self.conn, sample_id)?.filter(|a| a.verdict.is_some()))
    }

    /// Every adjudication row of a sample, oldest first (clearings included).
    pub fn adjudication_history(&self, sample_id: i64) -> Result<Vec<StoredAdjudication>> {
        let (task, step_count) = sample_task(&self.conn, sample_id)?;
        let rules = rules_of(&task, step_count)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.name, j.at, j.verdict, j.note FROM adjudications j JOIN annotators a ON a.id = j.annotator_id
             WHERE j.sample_id = ?1 ORDER BY j.at, j.id",
        )?;
        let rows = stmt.query_map([sample_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (adjudicator, at, verdict, note) = row?;
            out.push(StoredAdjudication {
                sample_id,
                adjudicator,
                at,
                verdict: verdict.map(|v| verdict_from_db(&v, &rules)).transpose()?,
                note,
            });
        }
        Ok(out)
    }

    /// The current adjudicated verdict (canonical) of every sample that has one.
    pub fn adjudicated_verdicts(&self) -> Result<BTreeMap<i64, String>> {
        let mut stmt = self.conn.prepare(
            "SELECT j.sample_id, j.verdict FROM adjudications j
             WHERE j.id = (SELECT k.id FROM adjudications k WHERE k.sample_id = j.sample_id ORDER BY k.at DESC, k.id DESC LIMIT 1)
               AND j.action = 'adjudicate'",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every annotator's current verdict, by sample id then annotator name; only `task` and
    /// `dataset_id` when given.
    pub fn human_verdicts(
        &self,
        task: Option<Task>,
        dataset_id: Option<i64>,
    ) -> Result<Vec<HumanVerdict>> {
        let mut stmt = self.conn.prepare(
            "SELECT l.sample_id, s.task, s.dataset_id, a.name, l.verdict
             FROM labels l JOIN samples s ON s.id = l.sample_id JOIN annotators a ON a.id = l.annotator_id
             WHERE l.verdict IS NOT NULL AND (?1 IS NULL OR s.task = ?1) AND (?2 IS NULL OR s.dataset_id = ?2)
             ORDER BY l.sample_id, a.name",
        )?;
        let rows = stmt.query_map(params![task.map(Task::as_str), dataset_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sample_id, task, dataset_id, annotator, verdict) = row?;
            out.push(HumanVerdict {
                sample_id,
                task: task
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("unknown task `{task}`")))?,
                dataset_id,
                annotator,
                verdict,
            });
        }
        Ok(out)
    }

    /// The final verdict of a sample under `choice`, from every annotator's current label and
    /// the current adjudication.
    pub fn final_verdict(&self, sample_id: i64, choice: &FinalLabel) -> Result<Resolved<Verdict>> {
        let labels = self.labels_of(sample_id)?;
        let adjudicated = self.adjudication_of(sample_id)?.and_then(|a| a.verdict);
        Ok(final_of(choice, &labels, adjudicated))
    }
}
