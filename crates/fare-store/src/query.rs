//! Reading samples back: one sample whole, the sample list with its filters, full-text search.
//!
//! The list is paged by sample id (keyset pagination: `after_id`), so the first page and every
//! later one cost the same on a million samples. The evaluator columns come from one run (the
//! newest unless the filter names one): its first, original-order judgment of each sample.

use std::fmt::Write as _;

use fare_core::sample::Content;
use fare_core::{Sample, Task};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};
use serde::Serialize;

use crate::project::Project;
use crate::rows::{GOLD_TIE, gold_from_db, rules_of};
use crate::search::fts_query;
use crate::{Result, StoreError};

/// A sample as stored in the project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredSample {
    /// Its id in the project.
    pub id: i64,
    /// Its data set.
    pub dataset_id: i64,
    /// The data set's name.
    pub dataset: String,
    /// Its record number in the imported file (from 0).
    pub record_index: i64,
    /// The sample.
    pub sample: Sample,
    /// The data set's per-step ratings (PRM800K), empty when it has none.
    pub step_ratings: Vec<Option<i8>>,
    /// The data set calls the pair a tie (so `sample.gold` is `None`).
    pub gold_tie: bool,
}

/// The run shown for each task, in [`Task::ALL`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShownRuns(pub [Option<i64>; 5]);

impl ShownRuns {
    /// The run shown for a task.
    pub fn of(&self, task: Task) -> Option<i64> {
        Task::ALL
            .iter()
            .position(|t| *t == task)
            .and_then(|i| self.0[i])
    }

    /// An SQL expression for the run shown for the sample aliased `s` (run ids are integers from
    /// the project itself, written as literals).
    pub fn sql(&self) -> String {
        let mut shown = self.0.iter().flatten();
        let Some(first) = shown.next() else {
            return "NULL".to_owned();
        };
        // One run for every judged task: a constant, which SQLite can look up in an index. (A
        // task no run judged has no judgment in that run either.)
        if shown.all(|r| r == first) {
            return first.to_string();
        }
        let mut arms = String::from("CASE s.task");
        for (task, run) in Task::ALL.iter().zip(self.0) {
            if let Some(run) = run {
                let _ = write!(arms, " WHEN '{}' THEN {run}", task.as_str());
            }
        }
        arms.push_str(" END");
        arms
    }
}

impl StoredSample {
    /// The steps of a step-level sample with their numbers and the data set's own ratings.
    pub fn steps(&self) -> Vec<fare_core::Step> {
        self.sample
            .content
            .steps()
            .iter()
            .enumerate()
            .map(|(i, text)| fare_core::Step {
                index: u32::try_from(i).unwrap_or(u32::MAX),
                text: text.clone(),
                gold_rating: self.step_ratings.get(i).copied().flatten(),
            })
            .collect()
    }
}

/// Review states to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReviewFilter {
    /// Nobody (or the named annotator) decided a verdict yet.
    Unreviewed,
    /// A verdict was decided.
    Reviewed,
    /// The evaluator's verdict was accepted.
    Accepted,
    /// The evaluator's verdict was corrected.
    Corrected,
}

/// How the evaluator did, to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EvaluatorFilter {
    /// The verdict equals the ground truth.
    AgreesWithGold,
    /// The verdict differs from the ground truth (unparseable and truncated included).
    DisagreesWithGold,
    /// No verdict could be read (unparseable or truncated).
    Failed,
    /// Not judged in the run.
    NotJudged,
}

/// Which samples to list.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct SampleFilter {
    /// Only this task.
    pub task: Option<Task>,
    /// Only this data set.
    pub dataset_id: Option<i64>,
    /// Only this source within data sets.
    pub source: Option<String>,
    /// Only this review state.
    pub review: Option<ReviewFilter>,
    /// Review state and tags of this annotator only (any annotator when empty).
    pub annotator: Option<String>,
    /// The run whose verdicts are shown and filtered (the newest when empty).
    pub run_id: Option<i64>,
    /// Only where the evaluator did so.
    pub evaluator: Option<EvaluatorFilter>,
    /// Only samples carrying this failure-mode tag.
    pub tag: Option<String>,
    /// Full-text search over problems, steps, responses and critiques.
    pub text: Option<String>,
    /// Only the samples of this saved queue, in the queue's order (see [`crate::queues`]).
    pub queue: Option<i64>,
}

/// One row of the sample list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SampleRow {
    /// Sample id.
    pub id: i64,
    /// Data set name.
    pub dataset: String,
    /// Data set id.
    pub dataset_id: i64,
    /// The data set's id of the sample.
    pub external_id: String,
    /// Task.
    pub task: Task,
    /// Source within the data set.
    pub source: Option<String>,
    /// The question's first 160 characters.
    pub question: String,
    /// Number of steps.
    pub step_count: i64,
    /// Ground truth, canonical.
    pub gold: Option<String>,
    /// The run's parse state (`parsed`, `unparseable`, `truncated`), None when not judged.
    pub parse_state: Option<String>,
    /// The run's verdict, canonical.
    pub verdict: Option<String>,
    /// Whether that verdict equals the ground truth.
    pub agrees_with_gold: Option<bool>,
    /// The newest human decision (`accepted`, `corrected`), None when unreviewed.
    pub decision: Option<String>,
    /// Where the page after this row starts (`after_id` of [`Project::list_samples`]): the
    /// sample id in id order, the rank in a saved queue.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub cursor: i64,
}

/// Where a sample comes from: its project id and its data set's id for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleName {
    /// The project's id of the sample.
    pub id: i64,
    /// Its data set's id.
    pub dataset_id: i64,
    /// Its data set's name.
    pub dataset: String,
    /// The data set's id of the sample.
    pub external_id: String,
}

impl Project {
    /// The samples whose data set id is `external_id` (one per data set at most), in project id
    /// order; `dataset`: only that data set's.
    pub fn samples_named(
        &self,
        external_id: &str,
        dataset: Option<i64>,
    ) -> Result<Vec<SampleName>> {
        samples_named(&self.conn, external_id, dataset)
    }

    /// The samples a data set's name for a sample could mean: `DATASET/ID` (the data set by
    /// its id or name, split at any slash, so record ids may hold slashes) and `ID` alone, in
    /// project id order, each once. Every reader of a person's or a file's sample name uses it.
    pub fn samples_by_record(&self, text: &str) -> Result<Vec<SampleName>> {
        samples_by_record(&self.conn, text)
    }

    /// The one sample a data set's name for it names: `Invalid` when none does or several may
    /// (the message lists them as `DATASET_ID/ID`, which names each alone).
    pub fn sample_by_record(&self, text: &str) -> Result<i64> {
        sample_by_record(&self.conn, text)
    }

    /// The name of sample `id`, `None` when the project has no such sample.
    pub fn sample_name(&self, id: i64) -> Result<Option<SampleName>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.id, s.dataset_id, d.name, s.external_id FROM samples s
                 JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?1",
                [id],
                sample_name,
            )
            .optional()?)
    }

    /// One sample, whole.
    pub fn sample(&self, id: i64) -> Result<StoredSample> {
        let row = self
            .conn
            .query_row(
                "SELECT s.dataset_id, d.name, s.record_index, s.external_id, s.task, s.source, s.question, s.response, s.response_a, s.response_b, s.reference, s.rubric, s.step_count, s.gold_verdict, s.metadata
                 FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?1",
                [id],
                |r| {
                    Ok((
                        (r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?),
                        (r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?, r.get::<_, String>(6)?),
                        (r.get::<_, Option<String>>(7)?, r.get::<_, Option<String>>(8)?, r.get::<_, Option<String>>(9)?),
                        (r.get::<_, Option<String>>(10)?, r.get::<_, Option<String>>(11)?, r.get::<_, usize>(12)?),
                        (r.get::<_, Option<String>>(13)?, r.get::<_, String>(14)?),
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("no sample with id {id}")))?;
        let (
            (dataset_id, dataset, record_index, external_id),
            (task, source, question),
            (response, a, b),
            (reference, rubric, step_count),
            (gold, metadata),
        ) = row;
        let rules = rules_of(&task, step_count)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT text, gold_rating FROM steps WHERE sample_id = ?1 ORDER BY step_index",
        )?;
        let steps: Vec<(String, Option<i8>)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let missing = |field: &str| StoreError::Corrupt(format!("sample {id} has no {field}"));
        let content = match rules.task {
            Task::Pairwise => Content::Pairwise {
                response_a: a.ok_or_else(|| missing("response_a"))?,
                response_b: b.ok_or_else(|| missing("response_b"))?,
            },
            Task::StepLevel => Content::StepLevel {
                steps: steps.iter().map(|(t, _)| t.clone()).collect(),
            },
            Task::ReferenceFree => Content::ReferenceFree {
                response: response.ok_or_else(|| missing("response"))?,
            },
            Task::ReferenceBased => Content::ReferenceBased {
                response: response.ok_or_else(|| missing("response"))?,
                reference: reference.ok_or_else(|| missing("reference"))?,
            },
            Task::Rating => Content::Rating {
                response: response.ok_or_else(|| missing("response"))?,
                rubric,
                reference,
            },
        };
        let step_ratings = if steps.iter().any(|(_, r)| r.is_some()) {
            steps.iter().map(|(_, r)| *r).collect()
        } else {
            Vec::new()
        };
        Ok(StoredSample {
            id,
            dataset_id,
            dataset,
            record_index,
            sample: Sample {
                external_id,
                source,
                question,
                content,
                gold: gold_from_db(gold.as_deref(), &rules)?,
                metadata: serde_json::from_str(&metadata).unwrap_or_default(),
            },
            step_ratings,
            gold_tie: rules.task == Task::Pairwise && gold.as_deref() == Some(GOLD_TIE),
        })
    }

    /// The runs whose verdicts are shown: the one named for every task, else for each task the
    /// newest run that judged samples of that task (so a step-level run and a later pairwise run
    /// both show, and a run over a few samples hides an older run of the same task).
    pub fn shown_runs(&self, run: Option<i64>) -> Result<ShownRuns> {
        if let Some(run) = run {
            return Ok(ShownRuns(Task::ALL.map(|_| Some(run))));
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT j.value, max(r.id) FROM runs r, json_each(r.tasks) j GROUP BY j.value",
        )?;
        let mut shown = [None; 5];
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (task, run) = row?;
            if let Some(i) = Task::ALL.iter().position(|t| t.as_str() == task) {
                shown[i] = Some(run);
            }
        }
        Ok(ShownRuns(shown))
    }

    /// The WHERE clause and parameters of a filter (`s` = samples, `j` = the run's judgment).
    ///
    /// In the list, evaluator conditions are `EXISTS` probes (the page stops after `limit`
    /// matches, so probing row by row is cheapest); in counts they test the joined judgment `j`,
    /// which lets SQLite start from the judgments index. `id` is the column that holds the
    /// sample's id (`s.id`, or `j.sample_id` when a count reads judgments alone).
    pub(crate) fn where_clause(
        filter: &SampleFilter,
        runs: &str,
        probe: bool,
        id: &str,
    ) -> (String, Vec<Value>) {
        let mut clauses = vec!["1".to_owned()];
        let mut values: Vec<Value> = Vec::new();
        let param = |values: &mut Vec<Value>, v: Value| {
            values.push(v);
            format!("?{}", values.len() + 1)
        };
        if let Some(task) = filter.task {
            let p = param(&mut values, Value::Text(task.as_str().into()));
            clauses.push(format!("s.task = {p}"));
        }
        if let Some(dataset) = filter.dataset_id {
            let p = param(&mut values, Value::Integer(dataset));
            clauses.push(format!("s.dataset_id = {p}"));
        }
        if let Some(source) = &filter.source {
            let p = param(&mut values, Value::Text(source.clone()));
            clauses.push(format!("s.source = {p}"));
        }
        // The annotator only qualifies the review and tag filters: its parameter is bound only
        // when one of them uses it (an unused parameter would be one too many to bind).
        let annotator = filter
            .annotator
            .as_ref()
            .filter(|_| filter.review.is_some() || filter.tag.is_some())
            .map(|name| {
                let p = param(&mut values, Value::Text(name.clone()));
                format!(" AND l.annotator_id = (SELECT id FROM annotators WHERE name = {p})")
            });
        let annotator = annotator.as_deref().unwrap_or("");
        if let Some(review) = filter.review {
            let (negate, decision) = match review {
                ReviewFilter::Unreviewed => ("NOT ", "l.decision != 'unreviewed'"),
                ReviewFilter::Reviewed => ("", "l.decision != 'unreviewed'"),
                ReviewFilter::Accepted => ("", "l.decision = 'accepted'"),
                ReviewFilter::Corrected => ("", "l.decision = 'corrected'"),
            };
            clauses.push(format!(
                "{negate}EXISTS (SELECT 1 FROM labels l WHERE l.sample_id = {id} AND {decision}{annotator})"
            ));
        }
        if let Some(tag) = &filter.tag {
            let p = param(&mut values, Value::Text(tag.clone()));
            let annotator = annotator.replace("l.annotator_id", "t.annotator_id");
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM label_tags t WHERE t.tag = {p} AND t.sample_id = {id}{annotator})"
            ));
        }
        if let Some(evaluator) = filter.evaluator {
            let condition = match evaluator {
                EvaluatorFilter::AgreesWithGold => "j.agrees_with_gold = 1",
                EvaluatorFilter::DisagreesWithGold => "j.agrees_with_gold = 0",
                EvaluatorFilter::Failed => "j.parse_state IN ('unparseable', 'truncated')",
                EvaluatorFilter::NotJudged => "j.id IS NULL",
            };
            clauses.push(match (probe, evaluator) {
                (false, _) => condition.to_owned(),
                (true, EvaluatorFilter::NotJudged) => format!(
                    "NOT EXISTS (SELECT 1 FROM judgments j WHERE j.sample_id = {id} AND j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0)"
                ),
                (true, _) => format!(
                    "EXISTS (SELECT 1 FROM judgments j WHERE j.sample_id = {id} AND j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0 AND {condition})"
                ),
            });
        }
        if let Some(query) = filter.text.as_deref().and_then(fts_query) {
            let p = param(&mut values, Value::Text(query));
            clauses.push(format!(
                "{id} IN (SELECT rowid FROM sample_text WHERE sample_text MATCH {p})"
            ));
        }
        (clauses.join(" AND "), values)
    }

    /// A page of the sample list: up to `limit` samples after the cursor `after`, in id order
    /// (`after` a sample id), or in a saved queue's order (`after` a rank in the queue). Each
    /// row's `cursor` is where the page after it starts; 0 starts at the beginning.
    pub fn list_samples(
        &self,
        filter: &SampleFilter,
        after: i64,
        limit: usize,
    ) -> Result<Vec<SampleRow>> {
        let runs = self.shown_runs(filter.run_id)?.sql();
        let (clause, values) = Self::where_clause(filter, &runs, true, "s.id");
        let (from, cursor) = match filter.queue {
            Some(queue) => (
                format!(
                    "queue_items q JOIN samples s ON s.id = q.sample_id AND q.queue_id = {queue}"
                ),
                "q.rank",
            ),
            None => ("samples s".to_owned(), "s.id"),
        };
        let sql = format!(
            "SELECT s.id, d.name, s.external_id, s.task, s.source, substr(s.question, 1, 160), s.step_count, s.gold_verdict,
                    j.parse_state, j.verdict, j.agrees_with_gold,
                    (SELECT l.decision FROM labels l WHERE l.sample_id = s.id AND l.decision != 'unreviewed' ORDER BY l.updated_at DESC LIMIT 1),
                    {cursor}, s.dataset_id
             FROM {from} JOIN datasets d ON d.id = s.dataset_id
             LEFT JOIN judgments j ON j.sample_id = s.id AND j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0
             WHERE {clause} AND ?1 IS NULL AND {cursor} > ?{after} ORDER BY {cursor} LIMIT ?{limit}",
            after = values.len() + 2,
            limit = values.len() + 3,
        );
        let mut all = vec![Value::Null];
        all.extend(values);
        all.push(Value::Integer(after));
        all.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(all), |r| {
            let task: String = r.get(3)?;
            Ok(SampleRow {
                id: r.get(0)?,
                dataset: r.get(1)?,
                external_id: r.get(2)?,
                task: task.parse().map_err(|e: fare_core::sample::UnknownTask| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                source: r.get(4)?,
                question: r.get(5)?,
                step_count: r.get(6)?,
                gold: r.get(7)?,
                parse_state: r.get(8)?,
                verdict: r.get(9)?,
                agrees_with_gold: r.get(10)?,
                decision: r.get(11)?,
                cursor: r.get(12)?,
                dataset_id: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The sources within data sets, with their sample counts (data set, source, count), in
    /// data set and source order; at most `limit` of them (a source per sample would make a
    /// useless filter list). Samples without a source are not listed.
    pub fn sources(&self, limit: usize) -> Result<Vec<(i64, String, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT dataset_id, source, count(*) FROM samples WHERE source IS NOT NULL \
             GROUP BY dataset_id, source ORDER BY dataset_id, source LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many samples a filter matches.
    pub fn count_samples(&self, filter: &SampleFilter) -> Result<i64> {
        // A search alone: count the index's matches, without visiting the samples.
        if let Some(query) = Self::search_only(filter) {
            return Ok(self.conn.query_row(
                "SELECT count(*) FROM sample_text WHERE sample_text MATCH ?1",
                [query],
                |r| r.get(0),
            )?);
        }
        let runs = self.shown_runs(filter.run_id)?.sql();
        let scan = Self::scan(filter, &runs);
        let (clause, values) = Self::where_clause(filter, &runs, false, scan.id);
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {} AND {clause} AND ?1 IS NULL",
            scan.from, scan.on
        );
        let mut all = vec![Value::Null];
        all.extend(values);
        Ok(self
            .conn
            .query_row(&sql, params_from_iter(all), |r| r.get(0))?)
    }

    /// The FTS5 query of a filter that narrows by a search and nothing else.
    pub(crate) fn search_only(filter: &SampleFilter) -> Option<String> {
        let narrows_besides_text = filter.task.is_some()
            || filter.dataset_id.is_some()
            || filter.source.is_some()
            || filter.review.is_some()
            || filter.evaluator.is_some()
            || filter.tag.is_some()
            || filter.queue.is_some();
        if narrows_besides_text {
            return None;
        }
        filter.text.as_deref().and_then(fts_query)
    }

    /// Where a whole-list pass (a count, a position) reads a filter's samples: with an evaluator
    /// filter, from the run's judgments (an index by agreement, in sample id order), else from
    /// the samples. `runs` is [`ShownRuns::sql`].
    pub(crate) fn scan(filter: &SampleFilter, runs: &str) -> Scan {
        let needs_sample_columns = filter.task.is_some()
            || filter.dataset_id.is_some()
            || filter.source.is_some()
            || runs.contains("s.task");
        let judgment =
            format!("j.run_id = {runs} AND j.response_order = 'original' AND j.attempt = 0");
        // A saved queue: its items in rank order, with the sample (and the run's judgment when
        // an evaluator filter tests it) joined.
        if let Some(queue) = filter.queue {
            let judgment = match filter.evaluator {
                Some(_) => format!(" LEFT JOIN judgments j ON j.sample_id = s.id AND {judgment}"),
                None => String::new(),
            };
            return Scan {
                from: format!("queue_items q JOIN samples s ON s.id = q.sample_id{judgment}"),
                on: format!("q.queue_id = {queue}"),
                id: "s.id",
                order: "q.rank",
            };
        }
        let (from, on, id) = match filter.evaluator {
            None => ("samples s".to_owned(), "1".to_owned(), "s.id"),
            // Only the sample's id is needed: the judgment has it, no need to read the sample.
            Some(e) if e != EvaluatorFilter::NotJudged && !needs_sample_columns => {
                ("judgments j".to_owned(), judgment, "j.sample_id")
            }
            // Judged samples: start from the run's judgments (an index by agreement), not from
            // every sample.
            Some(e) if e != EvaluatorFilter::NotJudged => (
                format!("judgments j JOIN samples s ON s.id = j.sample_id AND {judgment}"),
                "1".to_owned(),
                "s.id",
            ),
            Some(_) => (
                format!("samples s LEFT JOIN judgments j ON j.sample_id = s.id AND {judgment}"),
                "1".to_owned(),
                "s.id",
            ),
        };
        // A pass from the judgments reads them in their index's sample id order.
        let order = if from.starts_with("judgments j") {
            "j.sample_id"
        } else {
            "s.id"
        };
        Scan {
            from,
            on,
            id,
            order,
        }
    }
}

/// The tables a whole-list pass reads ([`Project::scan`]).
pub(crate) struct Scan {
    /// The `FROM` clause (`s` = samples, `j` = the shown run's judgment).
    pub(crate) from: String,
    /// A condition on those tables besides the filter's.
    pub(crate) on: String,
    /// The column that holds the sample id.
    pub(crate) id: &'static str,
    /// The column to order by for the list's order, the one the pass already reads in that
    /// order (ordering a join of judgments by `s.id` instead makes SQLite sort); in a saved
    /// queue, the rank, which is also the list's cursor.
    pub(crate) order: &'static str,
}

fn samples_named(
    conn: &rusqlite::Connection,
    external_id: &str,
    dataset: Option<i64>,
) -> Result<Vec<SampleName>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.dataset_id, d.name, s.external_id FROM samples s
         JOIN datasets d ON d.id = s.dataset_id
         WHERE s.external_id = ?1 AND (?2 IS NULL OR s.dataset_id = ?2) ORDER BY s.id",
    )?;
    let rows = stmt.query_map(rusqlite::params![external_id, dataset], sample_name)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// [`Project::samples_by_record`] in a transaction or a connection.
pub(crate) fn samples_by_record(
    conn: &rusqlite::Connection,
    text: &str,
) -> Result<Vec<SampleName>> {
    let mut found = Vec::new();
    let mut datasets =
        conn.prepare_cached("SELECT id FROM datasets WHERE name = ?1 OR CAST(id AS TEXT) = ?1")?;
    for (at, _) in text.match_indices('/') {
        let (left, right) = (&text[..at], &text[at + 1..]);
        let ids: Vec<i64> = datasets
            .query_map([left], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            found.extend(samples_named(conn, right, Some(id))?);
        }
    }
    found.extend(samples_named(conn, text, None)?);
    found.sort_by_key(|n| n.id);
    found.dedup_by_key(|n| n.id);
    Ok(found)
}

/// [`Project::sample_by_record`] in a transaction or a connection.
pub(crate) fn sample_by_record(conn: &rusqlite::Connection, text: &str) -> Result<i64> {
    match samples_by_record(conn, text)?.as_slice() {
        [] => Err(StoreError::Invalid(format!(
            "no sample `{text}` in the project"
        ))),
        found => the_one_named(text, found),
    }
}

/// The sample of `found` (what `text` may name), `Invalid` when there are several: the message
/// lists each as `DATASET_ID/ID (#PROJECT_ID)`, forms that name it alone.
pub fn the_one_named(text: &str, found: &[SampleName]) -> Result<i64> {
    match found {
        [one] => Ok(one.id),
        several => Err(StoreError::Invalid(format!(
            "`{text}` names {} samples: {}; give one of these",
            several.len(),
            several
                .iter()
                .map(|n| format!("{}/{} (#{})", n.dataset_id, n.external_id, n.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn sample_name(r: &rusqlite::Row<'_>) -> rusqlite::Result<SampleName> {
    Ok(SampleName {
        id: r.get(0)?,
        dataset_id: r.get(1)?,
        dataset: r.get(2)?,
        external_id: r.get(3)?,
    })
}
