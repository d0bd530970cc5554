//! Whole-project scans for the analysis and the checkpoint diff: every sample, label, tag and
//! judgment of some runs, streamed to a callback one row at a time (a project of a million
//! samples is read without holding its text), the values borrowed from SQLite's row.
//!
//! The callbacks read each row's fields as stored (canonical verdict text, task names); what
//! they mean is the caller's (`fare-app`'s analysis) to decide. An error of the callback stops
//! the scan and is returned as is.

use rusqlite::types::ValueRef;

use crate::Result;
use crate::project::Project;

/// One sample, as the analysis counts it (no text).
#[derive(Debug, Clone, Copy)]
pub struct ScannedSample<'a> {
    /// The project's id of the sample.
    pub id: i64,
    /// Its task's name (`step-level`, …).
    pub task: &'a str,
    /// Its data set's id.
    pub dataset_id: i64,
    /// Its source within the data set.
    pub source: Option<&'a str>,
    /// How many steps its trace has.
    pub step_count: u32,
    /// Its ground truth, canonical, if it has one.
    pub gold: Option<&'a str>,
}

/// One annotator's current label of a sample, reviewed (accepted or corrected).
#[derive(Debug, Clone, Copy)]
pub struct ScannedLabel<'a> {
    /// The sample.
    pub sample_id: i64,
    /// The annotator's id.
    pub annotator_id: i64,
    /// Whether the person accepted the evaluator's verdict (else corrected it).
    pub accepted: bool,
    /// The label's verdict, canonical, if it has one.
    pub verdict: Option<&'a str>,
    /// When it was last changed (ISO 8601, UTC).
    pub updated_at: &'a str,
}

/// One judgment of a run (its first attempt; a run that judged K times, its majority).
#[derive(Debug, Clone, Copy)]
pub struct ScannedJudgment<'a> {
    /// The sample.
    pub sample_id: i64,
    /// The run.
    pub run_id: i64,
    /// Whether A and B were shown swapped.
    pub swapped: bool,
    /// `parsed`, `unparseable` or `truncated`.
    pub state: &'a str,
    /// The verdict, canonical, if one was read.
    pub verdict: Option<&'a str>,
    /// For a run of K attempts: the share of attempts that gave the majority's verdict.
    pub agreement: Option<f64>,
}

fn text(value: ValueRef<'_>) -> Option<&str> {
    match value {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    }
}

impl Project {
    /// Every sample, in id order.
    pub fn scan_samples(
        &self,
        mut each: impl FnMut(ScannedSample<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, task, dataset_id, source, step_count, gold_verdict FROM samples ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(ScannedSample {
                id: r.get(0)?,
                task: text(r.get_ref(1)?).unwrap_or(""),
                dataset_id: r.get(2)?,
                source: text(r.get_ref(3)?),
                step_count: r.get(4)?,
                gold: text(r.get_ref(5)?),
            })?;
        }
        Ok(())
    }

    /// The lengths (in characters) of response A and B of every pairwise sample: (id, A, B).
    pub fn scan_pair_lengths(
        &self,
        mut each: impl FnMut(i64, Option<u32>, Option<u32>) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, length(response_a), length(response_b) FROM samples WHERE task = 'pairwise'",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(r.get(0)?, r.get(1)?, r.get(2)?)?;
        }
        Ok(())
    }

    /// Every reviewed label (accepted or corrected) of every annotator.
    pub fn scan_labels(&self, mut each: impl FnMut(ScannedLabel<'_>) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT sample_id, annotator_id, decision, verdict, updated_at FROM labels
             WHERE decision != 'unreviewed'",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(ScannedLabel {
                sample_id: r.get(0)?,
                annotator_id: r.get(1)?,
                accepted: text(r.get_ref(2)?) == Some("accepted"),
                verdict: text(r.get_ref(3)?),
                updated_at: text(r.get_ref(4)?).unwrap_or(""),
            })?;
        }
        Ok(())
    }

    /// Every (sample, tag) some annotator's label carries, once each.
    pub fn scan_tags(&self, mut each: impl FnMut(i64, &str) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT sample_id, tag FROM label_tags")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(r.get(0)?, text(r.get_ref(1)?).unwrap_or(""))?;
        }
        Ok(())
    }

    /// The judgments of `runs` (first attempts, or each run's majority where it voted), mostly
    /// in sample id order.
    pub fn scan_judgments(
        &self,
        runs: &[i64],
        mut each: impl FnMut(ScannedJudgment<'_>) -> Result<()>,
    ) -> Result<()> {
        if runs.is_empty() {
            return Ok(());
        }
        // The ids are numbers this function formats itself, never text from outside.
        let list = runs
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let has_votes: bool = self.conn.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM votes WHERE run_id IN ({list}))"),
            [],
            |r| r.get(0),
        )?;
        // Runs that judged each sample K times are read on their majority (the votes table).
        let sql = if has_votes {
            format!(
                "SELECT j.sample_id, j.run_id, j.response_order,
                        CASE WHEN v.run_id IS NULL THEN j.parse_state WHEN v.verdict IS NULL THEN 'unparseable' ELSE 'parsed' END,
                        CASE WHEN v.run_id IS NULL THEN j.verdict ELSE v.verdict END,
                        CAST(v.votes AS REAL) / v.attempts
                 FROM judgments j
                 LEFT JOIN votes v ON v.run_id = j.run_id AND v.sample_id = j.sample_id AND v.response_order = j.response_order
                 WHERE j.run_id IN ({list}) AND j.attempt = 0"
            )
        } else {
            format!(
                "SELECT sample_id, run_id, response_order, parse_state, verdict, NULL
                 FROM judgments WHERE run_id IN ({list}) AND attempt = 0"
            )
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(ScannedJudgment {
                sample_id: r.get(0)?,
                run_id: r.get(1)?,
                swapped: text(r.get_ref(2)?) == Some("swapped"),
                state: text(r.get_ref(3)?).unwrap_or(""),
                verdict: text(r.get_ref(4)?),
                agreement: r.get(5)?,
            })?;
        }
        Ok(())
    }

    /// The traces shared by samples of the verification, rating and step-level tasks: (id,
    /// data set id of the sample, question) of each, in id order.
    pub fn scan_traces(&self, mut each: impl FnMut(i64, &str, &str) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, external_id, question FROM samples
             WHERE task IN ('step-level', 'reference-free', 'reference-based', 'rating') ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(
                r.get(0)?,
                text(r.get_ref(1)?).unwrap_or(""),
                text(r.get_ref(2)?).unwrap_or(""),
            )?;
        }
        Ok(())
    }

    /// Whether the project has a run `id`.
    pub fn has_run(&self, id: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }
}
