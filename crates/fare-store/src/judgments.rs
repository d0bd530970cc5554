//! Evaluator runs and their judgments.
//!
//! A run is one model with one template and one set of sampling parameters over some samples.
//! Each judgment is stored as soon as it exists (one transaction per judgment), so a crash loses
//! at most the sample in flight and a rerun can continue where it stopped. Outputs imported from
//! a file go through a [`JudgmentWriter`] instead: the run and all its judgments, or nothing. For pairwise samples
//! judged with A and B swapped, `verdict` is stored in the data's own labels (which response was
//! picked), whatever label the model wrote.
//!
//! When a run judges a sample K times (`judge --samples K`), the store keeps the majority
//! verdict of those K judgments and how many agreed in `votes`, recounted as each one arrives.

use fare_core::{
    Judgment, Outcome, PromptMode, RecordedProbs, Template, Verdict, VerdictRules, Vote,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::project::Project;
use crate::rows::{
    gold_from_db, rating_scale, recorded_probs, rules_of, run_template, sample_task,
    verdict_from_db,
};
use crate::{Result, StoreError};

/// A run to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The model's name (a new model row is made the first time).
    pub model_name: String,
    /// `local`, `endpoint` or `external` (outputs imported from elsewhere).
    pub model_kind: String,
    /// A path or URL.
    pub model_location: Option<String>,
    /// The template used.
    pub template: Template,
    /// Critique then verdict, or the verdict alone.
    pub mode: PromptMode,
    /// Sampling parameters and options, as JSON.
    pub params: serde_json::Value,
    /// `Running` for live runs, `Imported` for outputs read from a file.
    pub status: RunStatus,
    /// A label for people (e.g. "FARE-8B, greedy").
    pub label: Option<String>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Judging (or stopped by a crash while judging: it is continued by the next judge).
    Running,
    /// Every selected sample judged.
    Finished,
    /// Stopped by the person.
    Cancelled,
    /// Stopped by an error.
    Failed,
    /// Outputs read from a file, not judged here.
    Imported,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Failed => "failed",
            RunStatus::Imported => "imported",
        }
    }

    fn from_stored(name: &str) -> Result<RunStatus> {
        [
            RunStatus::Running,
            RunStatus::Finished,
            RunStatus::Cancelled,
            RunStatus::Failed,
            RunStatus::Imported,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "a run's status `{name}` is not one this build knows"
            ))
        })
    }
}

/// A stored prompt mode.
fn mode_from_stored(name: &str) -> Result<PromptMode> {
    PromptMode::from_name(name).ok_or_else(|| {
        StoreError::Corrupt(format!("a run's mode `{name}` is not one this build knows"))
    })
}

/// A run in the project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// Its id.
    pub id: i64,
    /// The model's name.
    pub model: String,
    /// The template's name and version.
    pub template: Option<String>,
    /// The template's content hash.
    pub template_hash: Option<String>,
    /// Critique then verdict, or the verdict alone.
    pub mode: PromptMode,
    /// Sampling parameters.
    pub params: serde_json::Value,
    /// Its status.
    pub status: RunStatus,
    /// Its label.
    pub label: Option<String>,
    /// When it started.
    pub started_at: String,
    /// Judgments stored.
    pub judgments: i64,
    /// The tasks it has judged.
    pub tasks: Vec<fare_core::Task>,
}

/// One judgment to store.
#[derive(Debug, Clone)]
pub struct NewJudgment<'a> {
    /// The sample judged.
    pub sample_id: i64,
    /// Whether A and B were swapped in the prompt.
    pub swapped: bool,
    /// Which of K samples this is (0 for the first).
    pub attempt: u32,
    /// The output and what was read from it; a swapped pairwise verdict is as the model wrote it.
    pub judgment: &'a Judgment,
    /// Prompt length in tokens.
    pub prompt_tokens: Option<u32>,
    /// Output length in tokens.
    pub output_tokens: Option<u32>,
    /// Time to generate.
    pub latency_ms: Option<u64>,
    /// Probabilities of each admissible verdict.
    pub verdict_probs: Option<RecordedProbs>,
}

/// A stored judgment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredJudgment {
    /// Its id.
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// The sample.
    pub sample_id: i64,
    /// Whether A and B were swapped in the prompt.
    pub swapped: bool,
    /// Which of K samples.
    pub attempt: u32,
    /// Raw output, critique, analysis and outcome (a swapped pairwise verdict in the data's labels).
    pub judgment: Judgment,
    /// Whether the verdict equals the ground truth (None without ground truth).
    pub agrees_with_gold: Option<bool>,
    /// Verdict probabilities, when scored.
    pub verdict_probs: Option<RecordedProbs>,
    /// Output length in tokens.
    pub output_tokens: Option<u32>,
    /// Time to generate.
    pub latency_ms: Option<u64>,
}

/// Registers a template (once per content hash) and returns its id.
fn template_id_in(conn: &Connection, template: &Template) -> Result<i64> {
    let hash = template.content_hash();
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM templates WHERE content_hash = ?1",
            [&hash],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    let now = Project::now(conn)?;
    let provenance = serde_json::to_value(template.provenance)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO templates (task, name, version, provenance, content_hash, body, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![template.task.as_str(), template.name, template.version, provenance, hash, template.to_toml(), now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Writes a run row (with its model and template) and returns its id.
fn insert_run(tx: &Connection, run: &NewRun) -> Result<i64> {
    let template_id = template_id_in(tx, &run.template)?;
    let now = Project::now(tx)?;
    tx.execute(
        "INSERT INTO models (name, kind, location, added_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
        params![run.model_name, run.model_kind, run.model_location, now],
    )?;
    let model_id: i64 = tx.query_row(
        "SELECT id FROM models WHERE name = ?1",
        [&run.model_name],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO runs (model_id, template_id, mode, params, status, label, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![model_id, template_id, run.mode.as_str(), run.params.to_string(), run.status.as_str(), run.label, now],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Stores one judgment (checked against its sample) inside the caller's transaction.
fn insert_judgment(tx: &Connection, run_id: i64, new: &NewJudgment<'_>) -> Result<i64> {
    let template = run_template(tx, run_id)?;
    let (task, step_count, gold): (String, usize, Option<String>) = tx
        .query_row(
            "SELECT task, step_count, gold_verdict FROM samples WHERE id = ?1",
            [new.sample_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Invalid(format!("no sample with id {}", new.sample_id)))?;
    let rules = rules_of(&task, step_count)?;
    let judgment = new.judgment;
    let verdict = judgment
        .verdict()
        .map(|v| if new.swapped { v.swapped() } else { v });
    if let Some(v) = verdict {
        let scale = match v {
            Verdict::Rating(_) => rating_scale(template.as_deref(), run_id)?,
            _ => rules.rating_scale,
        };
        v.check(&VerdictRules {
            rating_scale: scale,
            ..rules
        })
        .map_err(|e| StoreError::Invalid(format!("sample {}: {e}", new.sample_id)))?;
    }
    let gold = gold_from_db(gold.as_deref(), &rules)?;
    let agrees = gold.map(|g| verdict == Some(g));
    let (parse_error, state) = match &judgment.outcome {
        Outcome::Unparseable { reason } => (Some(reason.as_str()), "unparseable"),
        other => (None, other.state()),
    };
    let now = Project::now(tx)?;
    tx.execute(
        "INSERT INTO judgments (run_id, sample_id, response_order, attempt, raw_output, critique, analysis, parse_state, parse_error, verdict, agrees_with_gold, prompt_tokens, output_tokens, latency_ms, verdict_probs, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            run_id,
            new.sample_id,
            if new.swapped { "swapped" } else { "original" },
            new.attempt,
            judgment.raw_output,
            judgment.critique,
            judgment.analysis,
            state,
            parse_error,
            verdict.map(Verdict::canonical),
            agrees,
            new.prompt_tokens,
            new.output_tokens,
            new.latency_ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            new.verdict_probs
                .as_ref()
                .map(|p| p.to_json().to_string()),
            now,
        ],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Invalid(format!(
                "run {run_id} already has a judgment of sample {} ({} order, attempt {})",
                new.sample_id,
                if new.swapped { "swapped" } else { "original" },
                new.attempt
            ))
        }
        e => e.into(),
    })?;
    let id = tx.last_insert_rowid();
    // Attempts may arrive in any order (judgments made in parallel): recount every time.
    recount_vote(tx, run_id, new.sample_id, new.swapped)?;
    crate::search::reindex_sample_text(tx, new.sample_id)?;
    // Keep the run's list of judged tasks (what "the newest run of a task" looks up).
    tx.prepare_cached(
        "UPDATE runs SET tasks = (SELECT json_group_array(t) FROM (SELECT value AS t FROM json_each(runs.tasks) UNION SELECT ?2 ORDER BY 1))
         WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM json_each(runs.tasks) WHERE value = ?2)",
    )?
    .execute(params![run_id, task])?;
    Ok(id)
}

/// The majority verdict of one run's judgments of one sample in one order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredVote {
    /// The run.
    pub run_id: i64,
    /// Whether A and B were swapped in the prompt.
    pub swapped: bool,
    /// The majority (in the data's A/B labels) and how many of the attempts gave it.
    #[serde(flatten)]
    pub vote: Vote,
    /// Whether the majority equals the ground truth (None without ground truth).
    pub agrees_with_gold: Option<bool>,
}

/// Recounts the majority of a run's judgments of one sample in one order (kept only when there
/// are two or more).
fn recount_vote(tx: &Connection, run_id: i64, sample_id: i64, swapped: bool) -> Result<()> {
    let order = if swapped { "swapped" } else { "original" };
    let texts: Vec<Option<String>> = tx
        .prepare_cached(
            "SELECT CASE parse_state WHEN 'parsed' THEN verdict END FROM judgments
             WHERE run_id = ?1 AND sample_id = ?2 AND response_order = ?3 ORDER BY attempt",
        )?
        .query_map(params![run_id, sample_id, order], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    // The common case, one attempt, ends here with one indexed lookup.
    if texts.len() < 2 {
        return Ok(());
    }
    let (task, step_count, gold): (String, usize, Option<String>) = tx
        .prepare_cached("SELECT task, step_count, gold_verdict FROM samples WHERE id = ?1")?
        .query_row([sample_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let rules = rules_of(&task, step_count)?;
    let verdicts: Vec<Option<Verdict>> = texts
        .iter()
        .map(|t| {
            t.as_deref()
                .map(|text| verdict_from_db(text, &rules))
                .transpose()
        })
        .collect::<Result<_>>()?;
    let vote = Vote::count(&verdicts);
    let gold = gold_from_db(gold.as_deref(), &rules)?;
    tx.prepare_cached(
        "INSERT INTO votes (run_id, sample_id, response_order, verdict, votes, attempts, agrees_with_gold)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (run_id, sample_id, response_order) DO UPDATE SET
           verdict = excluded.verdict, votes = excluded.votes, attempts = excluded.attempts,
           agrees_with_gold = excluded.agrees_with_gold",
    )?
    .execute(params![
        run_id,
        sample_id,
        order,
        vote.verdict.map(Verdict::canonical),
        vote.votes,
        vote.of,
        gold.map(|g| vote.verdict == Some(g)),
    ])?;
    Ok(())
}

/// Recounts every majority (of one run, or of all runs): after a migration, or a repair.
pub(crate) fn recount_votes(tx: &Connection, run_id: Option<i64>) -> Result<()> {
    let groups: Vec<(i64, i64, bool)> = tx
        .prepare(
            "SELECT run_id, sample_id, response_order = 'swapped' FROM judgments
             WHERE ?1 IS NULL OR run_id = ?1
             GROUP BY run_id, sample_id, response_order HAVING count(*) > 1",
        )?
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<_, _>>()?;
    for (run, sample, swapped) in groups {
        recount_vote(tx, run, sample, swapped)?;
    }
    Ok(())
}

/// Writes the judgments of a run started with [`Project::begin_judgment_import`], all in one
/// transaction.
pub struct JudgmentWriter<'p> {
    tx: rusqlite::Transaction<'p>,
    run_id: i64,
    count: u64,
}

impl std::fmt::Debug for JudgmentWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JudgmentWriter")
            .field("run_id", &self.run_id)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl JudgmentWriter<'_> {
    /// The run being written.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// The sample with this id in the data set's own words: `ID`, or `DATASET/ID` (the data
    /// set's id or name) when several data sets use the same id; the rule of
    /// [`Project::sample_by_record`]. `Invalid` when none or several match.
    pub fn find_sample(&self, reference: &str) -> Result<i64> {
        crate::query::sample_by_record(&self.tx, reference)
    }

    /// The task and step count of a sample.
    pub fn sample_task(&self, sample_id: i64) -> Result<(fare_core::Task, usize)> {
        let (task, steps) = sample_task(&self.tx, sample_id)?;
        Ok((
            task.parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            steps,
        ))
    }

    /// Stores one judgment.
    pub fn add(&mut self, new: &NewJudgment<'_>) -> Result<i64> {
        let id = insert_judgment(&self.tx, self.run_id, new)?;
        self.count += 1;
        Ok(id)
    }

    /// Marks the run with `status` and commits it with all its judgments.
    pub fn finish(self, status: RunStatus) -> Result<(i64, u64)> {
        self.tx.execute(
            "UPDATE runs SET status = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            params![self.run_id, status.as_str()],
        )?;
        let (run, count) = (self.run_id, self.count);
        self.tx.commit()?;
        Ok((run, count))
    }
}

impl Project {
    /// Registers a template (once per content hash) and returns its id.
    pub fn template_id(&mut self, template: &Template) -> Result<i64> {
        template_id_in(&self.conn, template)
    }

    /// Starts a run (registering its model and template).
    pub fn begin_run(&mut self, run: &NewRun) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_run(&tx, run)?;
        tx.commit()?;
        Ok(id)
    }

    /// Starts a run whose judgments are written in one transaction with it: all of them, or
    /// (when the writer is dropped unfinished) none, the run included. For outputs imported
    /// from a file.
    pub fn begin_judgment_import(&mut self, run: &NewRun) -> Result<JudgmentWriter<'_>> {
        let tx = self.conn.transaction()?;
        let run_id = insert_run(&tx, run)?;
        Ok(JudgmentWriter {
            tx,
            run_id,
            count: 0,
        })
    }

    /// The task of the sample a data set id names (`ID` or `DATASET/ID`, as
    /// [`Project::sample_by_record`] reads it).
    pub fn sample_task_by_reference(&self, reference: &str) -> Result<fare_core::Task> {
        let id = crate::query::sample_by_record(&self.conn, reference)?;
        crate::rows::sample_task_of(self, id)
    }

    /// The newest run, not imported, of the model `model_name` in `mode` with one of `params`
    /// (the run a judging with those settings continues); `None` when there is none.
    pub fn run_to_continue(
        &self,
        model_name: &str,
        mode: PromptMode,
        params: &[&serde_json::Value],
    ) -> Result<Option<i64>> {
        let mut found: Option<i64> = None;
        for p in params {
            let id: Option<i64> = self
                .conn
                .query_row(
                    "SELECT r.id FROM runs r JOIN models m ON m.id = r.model_id
                     WHERE m.name = ?1 AND r.mode = ?2 AND r.params = ?3 AND r.status != 'imported'
                     ORDER BY r.id DESC LIMIT 1",
                    params![model_name, mode.as_str(), p.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            found = found.max(id);
        }
        Ok(found)
    }

    /// Marks a run as running again (it is being continued).
    pub fn resume_run(&mut self, run_id: i64) -> Result<()> {
        let changed = self
            .conn
            .execute("UPDATE runs SET status = 'running' WHERE id = ?1", [run_id])?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!(
                "no run {run_id} in the project"
            )));
        }
        Ok(())
    }

    /// What a run judged: (sample, swapped, attempt) of each judgment.
    pub fn judged_by(&self, run_id: i64) -> Result<std::collections::HashSet<(i64, bool, u32)>> {
        let mut stmt = self.conn.prepare(
            "SELECT sample_id, response_order = 'swapped', attempt FROM judgments WHERE run_id = ?1",
        )?;
        let rows = stmt.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// How often, on average, a run's repeated attempts agreed with their majority (votes /
    /// attempts); `None` when the run has no votes.
    pub fn mean_agreement(&self, run_id: i64) -> Result<Option<f64>> {
        Ok(self.conn.query_row(
            "SELECT avg(CAST(votes AS REAL) / attempts) FROM votes WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?)
    }

    /// Marks a run finished, cancelled or failed.
    pub fn end_run(&mut self, run_id: i64, status: RunStatus) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET status = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            params![run_id, status.as_str()],
        )?;
        Ok(())
    }

    /// The template a run was made with and its mode; no template for a run imported without
    /// one.
    pub fn run_template(&self, run_id: i64) -> Result<(Option<Template>, PromptMode)> {
        let body = run_template(&self.conn, run_id)?;
        let mode: String =
            self.conn
                .query_row("SELECT mode FROM runs WHERE id = ?1", [run_id], |r| {
                    r.get(0)
                })?;
        let template = body
            .map(|b| {
                Template::from_toml(&b)
                    .map_err(|e| StoreError::Corrupt(format!("the template of run {run_id}: {e}")))
            })
            .transpose()?;
        Ok((template, mode_from_stored(&mode)?))
    }

    /// Each run's model name, by run id: what a sample view needs of the runs, without
    /// [`Project::runs`]'s count of every run's judgments.
    pub fn run_models(&self) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, m.name FROM runs r JOIN models m ON m.id = r.model_id ORDER BY r.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every run, newest last.
    pub fn runs(&self) -> Result<Vec<RunInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, m.name, t.name || ' v' || t.version, t.content_hash, r.mode, r.params, r.status, r.label, r.started_at,
                    (SELECT count(*) FROM judgments j WHERE j.run_id = r.id), r.tasks
             FROM runs r JOIN models m ON m.id = r.model_id LEFT JOIN templates t ON t.id = r.template_id ORDER BY r.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut runs = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let corrupt = |what: &str, e: serde_json::Error| {
                StoreError::Corrupt(format!("the {what} of run {id} are not JSON: {e}"))
            };
            runs.push(RunInfo {
                id,
                model: r.get(1)?,
                template: r.get(2)?,
                template_hash: r.get(3)?,
                mode: mode_from_stored(&r.get::<_, String>(4)?)?,
                params: serde_json::from_str(&r.get::<_, String>(5)?)
                    .map_err(|e| corrupt("parameters", e))?,
                status: RunStatus::from_stored(&r.get::<_, String>(6)?)?,
                label: r.get(7)?,
                started_at: r.get(8)?,
                judgments: r.get(9)?,
                tasks: serde_json::from_str(&r.get::<_, String>(10)?)
                    .map_err(|e| corrupt("tasks", e))?,
            });
        }
        Ok(runs)
    }

    /// Stores one judgment in its own transaction and returns its id. Storing the same
    /// (run, sample, order, attempt) twice is refused.
    pub fn add_judgment(&mut self, run_id: i64, new: &NewJudgment<'_>) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_judgment(&tx, run_id, new)?;
        tx.commit()?;
        Ok(id)
    }

    /// The majority verdicts of a sample's runs that judged it more than once.
    pub fn votes_of(&self, sample_id: i64) -> Result<Vec<StoredVote>> {
        let (task, step_count) = sample_task(&self.conn, sample_id)?;
        let rules = rules_of(&task, step_count)?;
        let mut stmt = self.conn.prepare(
            "SELECT run_id, response_order, verdict, votes, attempts, agrees_with_gold
             FROM votes WHERE sample_id = ?1 ORDER BY run_id, response_order",
        )?;
        let rows = stmt.query_map([sample_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, Option<bool>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (run_id, order, verdict, votes, of, agrees) = row?;
            out.push(StoredVote {
                run_id,
                swapped: order == "swapped",
                vote: Vote {
                    verdict: verdict.map(|v| verdict_from_db(&v, &rules)).transpose()?,
                    votes,
                    of,
                },
                agrees_with_gold: agrees,
            });
        }
        Ok(out)
    }

    /// The judgments of a sample, in the order they were made.
    pub fn judgments_of(&self, sample_id: i64) -> Result<Vec<StoredJudgment>> {
        let (task, step_count) = sample_task(&self.conn, sample_id)?;
        let rules = rules_of(&task, step_count)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, run_id, response_order, attempt, raw_output, critique, analysis, parse_state, parse_error, verdict, agrees_with_gold, verdict_probs, output_tokens, latency_ms
             FROM judgments WHERE sample_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([sample_id], |r| {
            Ok((
                (
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                ),
                (
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ),
                (
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ),
                (
                    r.get::<_, Option<bool>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<u32>>(12)?,
                    r.get::<_, Option<i64>>(13)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                (id, run_id, order, attempt),
                (raw_output, critique, analysis),
                (state, error, verdict),
                (agrees, probs, tokens, latency),
            ) = row?;
            let outcome = match state.as_str() {
                "parsed" => Outcome::Parsed {
                    verdict: verdict_from_db(verdict.as_deref().unwrap_or_default(), &rules)?,
                },
                "truncated" => Outcome::Truncated,
                _ => Outcome::Unparseable {
                    reason: error.unwrap_or_default(),
                },
            };
            out.push(StoredJudgment {
                id,
                run_id,
                sample_id,
                swapped: order == "swapped",
                attempt,
                judgment: Judgment {
                    raw_output,
                    critique,
                    analysis,
                    outcome,
                },
                agrees_with_gold: agrees,
                verdict_probs: probs
                    .map(|p| {
                        recorded_probs(&p)
                            .map_err(|e| StoreError::Corrupt(format!("judgment {id}: {e}")))
                    })
                    .transpose()?,
                output_tokens: tokens,
                latency_ms: latency.and_then(|l| u64::try_from(l).ok()),
            });
        }
        Ok(out)
    }
}
