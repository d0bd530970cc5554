//! What the exports (`fare-io`'s `export`) read of a project besides the samples and labels:
//! the samples in scope one id at a time, a run's judgment of a sample, a critique that gave a
//! verdict, the run behind an export's evaluator columns.

use rusqlite::OptionalExtension;

use crate::project::Project;
use crate::{Result, StoreError};

/// A run's first original-order judgment of a sample, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstJudgment {
    /// `parsed`, `unparseable` or `truncated`.
    pub state: String,
    /// The verdict, canonical, if one was read.
    pub verdict: Option<String>,
    /// The critique (the output before the verdict).
    pub critique: String,
    /// The model's whole output.
    pub raw_output: String,
    /// Whether the verdict equals the ground truth (none without either).
    pub agrees_with_gold: Option<bool>,
}

/// The run an export names in its evaluator columns.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The model's name.
    pub model: String,
    /// The template's name and version (`step-level v1`), if the run has one.
    pub template_name: Option<String>,
    /// The template's content hash.
    pub template_hash: Option<String>,
    /// The template's TOML.
    pub template_body: Option<String>,
    /// Critique then verdict, or the verdict alone.
    pub mode: fare_core::PromptMode,
}

impl Project {
    /// Calls `each` with every sample id (of data set `dataset`, or all), in id order, until it
    /// answers `false`.
    pub fn scan_sample_ids<E: From<StoreError>>(
        &self,
        dataset: Option<i64>,
        mut each: impl FnMut(i64) -> std::result::Result<bool, E>,
    ) -> std::result::Result<(), E> {
        // Both statements take the data-set id as ?1 (always NULL in the second), so one
        // `query` call serves both; the first uses the data set's index.
        let mut stmt = match dataset {
            Some(_) => self
                .conn
                .prepare("SELECT id FROM samples WHERE dataset_id = ?1 ORDER BY id"),
            None => self
                .conn
                .prepare("SELECT id FROM samples WHERE ?1 IS NULL ORDER BY id"),
        }
        .map_err(StoreError::from)?;
        let mut rows = stmt.query([dataset]).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let id: i64 = row.get(0).map_err(StoreError::from)?;
            if !each(id)? {
                break;
            }
        }
        Ok(())
    }

    /// Run `run`'s first original-order judgment of `sample_id`, if it judged it.
    pub fn first_judgment(&self, run: i64, sample_id: i64) -> Result<Option<FirstJudgment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT parse_state, verdict, critique, raw_output, agrees_with_gold FROM judgments
             WHERE run_id = ?1 AND sample_id = ?2 AND response_order = 'original' AND attempt = 0",
        )?;
        Ok(stmt
            .query_row([run, sample_id], |row| {
                Ok(FirstJudgment {
                    state: row.get(0)?,
                    verdict: row.get(1)?,
                    critique: row.get(2)?,
                    raw_output: row.get(3)?,
                    agrees_with_gold: row.get(4)?,
                })
            })
            .optional()?)
    }

    /// A critique that ended in `verdict` for `sample_id` (original order, parsed, not empty),
    /// run `prefer_run`'s first, else the oldest.
    pub fn critique_giving(
        &self,
        sample_id: i64,
        verdict: &str,
        prefer_run: i64,
    ) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT critique FROM judgments
             WHERE sample_id = ?1 AND response_order = 'original' AND parse_state = 'parsed'
               AND verdict = ?2 AND critique != ''
             ORDER BY run_id = ?3 DESC, id LIMIT 1",
        )?;
        Ok(stmt
            .query_row((sample_id, verdict, prefer_run), |row| row.get(0))
            .optional()?)
    }

    /// Whether an annotator of that name has worked in this project.
    pub fn annotator_exists(&self, name: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM annotators WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?)
    }

    /// Run `id`'s model, template and mode; `None` when there is no such run.
    pub fn run_record(&self, id: i64) -> Result<Option<RunRecord>> {
        let found = self
            .conn
            .query_row(
                "SELECT m.name, t.name || ' v' || t.version, t.content_hash, t.body, r.mode
                 FROM runs r JOIN models m ON m.id = r.model_id LEFT JOIN templates t ON t.id = r.template_id
                 WHERE r.id = ?1",
                [id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((model, template_name, template_hash, template_body, mode)) = found else {
            return Ok(None);
        };
        let mode = fare_core::PromptMode::from_name(&mode).ok_or_else(|| {
            StoreError::Corrupt(format!("the mode `{mode}` of run {id} is unknown"))
        })?;
        Ok(Some(RunRecord {
            model,
            template_name,
            template_hash,
            template_body,
            mode,
        }))
    }
}
