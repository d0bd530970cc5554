//! Merging project files that started from the same data (each annotator worked in a copy)
//! into a new one that keeps every annotator's events.
//!
//! [`merge`] copies the first file and brings each further file into the copy, one
//! transaction per file, then renames the result into place; the output must not exist and is
//! never overwritten, and a failure leaves nothing behind. The inputs are only read (an input
//! of an older schema is migrated in a temporary copy, never in place).
//!
//! How rows are matched:
//!
//! - data sets by `content_hash`; samples by (data set, `external_id`). A sample present in
//!   several files must be the same in all (task, source, question, responses, reference,
//!   rubric, steps, ground truth, metadata): otherwise the merge stops with an error naming
//!   the file, the sample, the data set and the fields that differ. Samples (and data sets) that
//!   only some files have are brought over.
//! - models by name; templates by content hash; runs by (model, template, mode, parameters,
//!   start time), so the same run found in several files is one run; judgments by (run,
//!   sample, order, attempt): a judgment present twice must have the same output.
//! - annotators by name; failure-mode tags by id (the first file's wording wins).
//! - annotation events and adjudications are deduplicated: an event already in the output
//!   (same sample, annotator, time, action and values) is not added again, so merging a file
//!   with its own copy adds nothing. Events keep the order of the files: the output's own
//!   first, then each file's new ones in the order they were made, and labels are rebuilt from
//!   the events at the end.
//!
//! Known limits: rows this version does not know (tables added by a later migration of
//! another file) come only from the first file; a run's `status` and `label` are the first
//! file's where it is in several; saved review queues are the first file's only (a queue is
//! one person's worklist, and the others' sample ids differ).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::migrations::APPLICATION_ID;
use crate::project::Project;
use crate::scratch::{self, folder_of};
use crate::{Result, StoreError, migrations};

/// What one input brought into the merged project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergedInput {
    /// The input file.
    pub path: PathBuf,
    /// Data sets it added.
    pub datasets: u64,
    /// Samples it added.
    pub samples: u64,
    /// Runs it added (a run already there counts once).
    pub runs: u64,
    /// Judgments it added.
    pub judgments: u64,
    /// Annotators it added.
    pub annotators: u64,
    /// Annotation events it added.
    pub events: u64,
    /// Its annotation events that were already there (from an earlier file).
    pub duplicate_events: u64,
    /// Adjudications it added.
    pub adjudications: u64,
}

/// What a merge wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    /// The new project file.
    pub output: PathBuf,
    /// Each input, in the order given.
    pub inputs: Vec<MergedInput>,
    /// Annotators in the merged project, by name.
    pub annotators: Vec<String>,
}

/// Files to remove when the merge does not finish.
struct Leftovers(Vec<PathBuf>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for path in &self.0 {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = path.clone().into_os_string();
                name.push(suffix);
                // Best effort: the file may not exist, and an error here has no reader.
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
        }
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

fn io(path: &Path, e: &std::io::Error) -> StoreError {
    invalid(format!("{}: {e}", path.display()))
}

/// How old a merge's scratch file must be to count as left by a crash.
const STALE: std::time::Duration = std::time::Duration::from_hours(24);

/// The prefix of the scratch files of a merge into `path`.
fn scratch_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(|| "project".into(), |n| n.to_string_lossy().into_owned());
    format!(".{name}.")
}

/// A new empty scratch file beside `path` (random name, made exclusively), removed with
/// `leftovers` unless it becomes the output.
fn beside(path: &Path, tag: &str, leftovers: &mut Leftovers) -> Result<PathBuf> {
    let scratch = scratch::new_file(folder_of(path), &scratch_prefix(path), &format!(".{tag}"))
        .map_err(|e| io(path, &e))?;
    leftovers.0.push(scratch.clone());
    Ok(scratch)
}

/// An SQLite URI that opens `path` read-only.
fn read_only_uri(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro");
    uri
}

/// Checks that `path` is a project this build reads; returns a file at the latest schema with
/// the same content (the file itself, or a migrated copy in `scratch`).
fn readable(path: &Path, output: &Path, tag: &str, leftovers: &mut Leftovers) -> Result<PathBuf> {
    if !path.is_file() {
        return Err(StoreError::Missing(path.to_owned()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // Someone else's file: its schema calls no function that is not innocuous.
    conn.pragma_update(None, "trusted_schema", false)?;
    let not_a_project = |reason: String| StoreError::NotAProject {
        path: path.to_owned(),
        reason,
    };
    let (app_id, version): (i64, usize) = conn
        .query_row(
            "SELECT * FROM pragma_application_id, pragma_user_version",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| not_a_project(e.to_string()))?;
    if app_id != APPLICATION_ID {
        return Err(not_a_project("not written by FARE Lens".into()));
    }
    if version > migrations::LATEST {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: migrations::LATEST,
        });
    }
    if version == migrations::LATEST {
        return Ok(path.to_owned());
    }
    let scratch = beside(output, tag, leftovers)?;
    conn.execute("VACUUM INTO ?1", [scratch.to_string_lossy()])?;
    drop(conn);
    drop(Project::open(&scratch)?);
    Ok(scratch)
}

/// Merges `inputs` (two or more project files that started from the same data) into the new
/// project file `output`. See the module's documentation for how rows are matched.
pub fn merge(output: &Path, inputs: &[PathBuf]) -> Result<MergeSummary> {
    if inputs.len() < 2 {
        return Err(invalid(
            "a merge needs two or more project files to combine".into(),
        ));
    }
    if output.exists() {
        return Err(invalid(format!(
            "{}: already exists; a merge writes a new file and never overwrites one",
            output.display()
        )));
    }
    if let Some(folder) = output.parent().filter(|f| !f.as_os_str().is_empty())
        && !folder.is_dir()
    {
        return Err(invalid(format!("{}: no such folder", folder.display())));
    }
    let prefix = scratch_prefix(output);
    scratch::remove_stale(folder_of(output), &prefix, ".merging", STALE);
    scratch::remove_stale(folder_of(output), &prefix, ".input", STALE);
    let mut leftovers = Leftovers(Vec::new());
    let mut readable_inputs = Vec::with_capacity(inputs.len());
    for input in inputs {
        readable_inputs.push(readable(input, output, "input", &mut leftovers)?);
    }
    let temp = beside(output, "merging", &mut leftovers)?;
    {
        let first =
            Connection::open_with_flags(&readable_inputs[0], OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        first
            .execute("VACUUM INTO ?1", [temp.to_string_lossy()])
            .map_err(|e| invalid(format!("{}: cannot copy it: {e}", inputs[0].display())))?;
    }
    let mut project = Project::open(&temp)?;
    let mut summary = MergeSummary {
        output: output.to_owned(),
        inputs: vec![own_counts(&project.conn, &inputs[0])?],
        annotators: Vec::new(),
    };
    for (i, path) in readable_inputs.iter().enumerate().skip(1) {
        let earlier: Vec<String> = inputs[..i]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let merged = merge_one(&mut project.conn, path, &inputs[i], &earlier)?;
        summary.inputs.push(merged);
    }
    project.rebuild_labels()?;
    summary.annotators = {
        let mut stmt = project
            .conn
            .prepare("SELECT name FROM annotators ORDER BY name")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    project
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(project);
    // Into place without replacing a file that appeared meanwhile: a hard link fails when the
    // name exists; where links are not supported, a rename after one more check.
    match std::fs::hard_link(&temp, output) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(invalid(format!(
                "{}: already exists; a merge never overwrites a file",
                output.display()
            )));
        }
        Err(_) => {
            if output.exists() {
                return Err(invalid(format!(
                    "{}: already exists; a merge never overwrites a file",
                    output.display()
                )));
            }
            std::fs::rename(&temp, output).map_err(|e| io(output, &e))?;
        }
    }
    scratch::sync_folder(folder_of(output));
    Ok(summary)
}

/// The counts of the first input (it is copied whole).
fn own_counts(conn: &Connection, path: &Path) -> Result<MergedInput> {
    let count = |table: &str| -> Result<u64> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(MergedInput {
        path: path.to_owned(),
        datasets: count("datasets")?,
        samples: count("samples")?,
        runs: count("runs")?,
        judgments: count("judgments")?,
        annotators: count("annotators")?,
        events: count("annotation_events")?,
        duplicate_events: 0,
        adjudications: count("adjudications")?,
    })
}

/// The columns of a sample compared between files.
const SAMPLE_FIELDS: [&str; 11] = [
    "task",
    "source",
    "question",
    "response",
    "response_a",
    "response_b",
    "reference",
    "rubric",
    "step_count",
    "gold_verdict",
    "metadata",
];

/// One sample's compared fields (and its steps, joined) in `schema`.
fn sample_fields(conn: &Connection, schema: &str, id: i64) -> Result<Vec<Option<String>>> {
    let columns = SAMPLE_FIELDS
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, (SELECT group_concat(text, char(30)) FROM (SELECT text FROM {schema}.steps WHERE sample_id = ?1 ORDER BY step_index))
         FROM {schema}.samples WHERE id = ?1"
    );
    Ok(conn.query_row(&sql, [id], |r| {
        (0..=SAMPLE_FIELDS.len()).map(|i| r.get(i)).collect()
    })?)
}

/// Brings the project at `path` (latest schema; `shown` is how the user named it) into the
/// open project, in one transaction.
fn merge_one(
    conn: &mut Connection,
    path: &Path,
    shown: &Path,
    earlier: &[String],
) -> Result<MergedInput> {
    conn.execute("ATTACH DATABASE ?1 AS src", [read_only_uri(path)])
        .map_err(|e| invalid(format!("{}: cannot read it: {e}", shown.display())))?;
    let result = (|| -> Result<MergedInput> {
        let tx = conn.transaction()?;
        let merged = merge_attached(&tx, shown, earlier)?;
        tx.commit()?;
        Ok(merged)
    })();
    let detached = conn.execute("DETACH DATABASE src", []);
    let merged = result?;
    detached?;
    Ok(merged)
}

/// A run of the file being merged: id, model, template, mode, parameters, status, label, start,
/// end, tasks.
type RunRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
);

fn merge_attached(tx: &Connection, shown: &Path, earlier: &[String]) -> Result<MergedInput> {
    let file = shown.display().to_string();
    let before_samples: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) FROM main.samples", [], |r| {
            r.get(0)
        })?;
    let before_judgments: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) FROM main.judgments", [], |r| {
            r.get(0)
        })?;
    tx.execute_batch(
        "CREATE TEMP TABLE map_dataset (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_sample (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_model (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_template (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_run (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_judgment (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
         CREATE TEMP TABLE map_annotator (src_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);",
    )?;
    let mut merged = MergedInput {
        path: shown.to_owned(),
        ..MergedInput::default()
    };
    let added = |n: usize| n as u64;

    // Data sets and samples.
    merged.datasets = added(tx.execute(
        "INSERT INTO main.datasets (name, source_file, format, content_hash, mapping, record_count, sample_count, skipped_count, imported_at)
         SELECT name, source_file, format, content_hash, mapping, record_count, sample_count, skipped_count, imported_at
         FROM src.datasets d WHERE NOT EXISTS (SELECT 1 FROM main.datasets m WHERE m.content_hash = d.content_hash)
         ORDER BY d.id",
        [],
    )?);
    tx.execute(
        "INSERT INTO temp.map_dataset SELECT d.id, m.id FROM src.datasets d JOIN main.datasets m ON m.content_hash = d.content_hash",
        [],
    )?;
    let differing_sample = format!(
        "SELECT s.id, t.id, d.name, d.content_hash, s.external_id
         FROM src.samples s JOIN src.datasets d ON d.id = s.dataset_id
         JOIN temp.map_dataset md ON md.src_id = s.dataset_id
         JOIN main.samples t ON t.dataset_id = md.id AND t.external_id = s.external_id
         WHERE {}
            OR (SELECT group_concat(text, char(30)) FROM (SELECT text FROM src.steps WHERE sample_id = s.id ORDER BY step_index))
               IS NOT (SELECT group_concat(text, char(30)) FROM (SELECT text FROM main.steps WHERE sample_id = t.id ORDER BY step_index))
         LIMIT 1",
        SAMPLE_FIELDS
            .iter()
            .map(|c| format!("s.{c} IS NOT t.{c}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let conflict: Option<(i64, i64, String, String, String)> = tx
        .query_row(&differing_sample, [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    if let Some((src_id, main_id, dataset, hash, external_id)) = conflict {
        let theirs = sample_fields(tx, "src", src_id)?;
        let ours = sample_fields(tx, "main", main_id)?;
        let fields: Vec<&str> = SAMPLE_FIELDS
            .iter()
            .copied()
            .chain(["steps"])
            .zip(theirs.iter().zip(&ours))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, _)| name)
            .collect();
        return Err(invalid(format!(
            "{file}: sample `{external_id}` of data set `{dataset}` (content hash {}) differs from the same sample in {}: {} differ{}. These files did not start from the same data; nothing was written.",
            hash.chars().take(12).collect::<String>(),
            earlier.join(", "),
            fields.join(", "),
            if fields.len() == 1 { "s" } else { "" }
        )));
    }
    merged.samples = added(tx.execute(
        "INSERT INTO main.samples (dataset_id, record_index, external_id, task, source, question, response, response_a, response_b, reference, rubric, step_count, gold_verdict, metadata)
         SELECT md.id, s.record_index, s.external_id, s.task, s.source, s.question, s.response, s.response_a, s.response_b, s.reference, s.rubric, s.step_count, s.gold_verdict, s.metadata
         FROM src.samples s JOIN temp.map_dataset md ON md.src_id = s.dataset_id
         WHERE NOT EXISTS (SELECT 1 FROM main.samples t WHERE t.dataset_id = md.id AND t.external_id = s.external_id)
         ORDER BY s.id",
        [],
    )?);
    tx.execute(
        "INSERT INTO temp.map_sample SELECT s.id, t.id FROM src.samples s JOIN temp.map_dataset md ON md.src_id = s.dataset_id
         JOIN main.samples t ON t.dataset_id = md.id AND t.external_id = s.external_id",
        [],
    )?;
    tx.execute(
        "INSERT INTO main.steps (sample_id, step_index, text, gold_rating)
         SELECT ms.id, st.step_index, st.text, st.gold_rating FROM src.steps st JOIN temp.map_sample ms ON ms.src_id = st.sample_id
         WHERE ms.id > ?1",
        [before_samples],
    )?;
    if merged.samples > 0 {
        tx.execute(
            "UPDATE main.datasets SET sample_count = (SELECT count(*) FROM main.samples s WHERE s.dataset_id = datasets.id)
             WHERE id IN (SELECT dataset_id FROM main.samples WHERE id > ?1)",
            [before_samples],
        )?;
    }

    // Models, templates, runs and judgments.
    tx.execute(
        "INSERT INTO main.models (name, kind, location, architecture, details, added_at)
         SELECT name, kind, location, architecture, details, added_at FROM src.models m
         WHERE NOT EXISTS (SELECT 1 FROM main.models t WHERE t.name = m.name) ORDER BY m.id",
        [],
    )?;
    tx.execute(
        "INSERT INTO temp.map_model SELECT m.id, t.id FROM src.models m JOIN main.models t ON t.name = m.name",
        [],
    )?;
    tx.execute(
        "INSERT INTO main.templates (task, name, version, provenance, content_hash, body, added_at)
         SELECT task, name, version, provenance, content_hash, body, added_at FROM src.templates m
         WHERE NOT EXISTS (SELECT 1 FROM main.templates t WHERE t.content_hash = m.content_hash) ORDER BY m.id",
        [],
    )?;
    tx.execute(
        "INSERT INTO temp.map_template SELECT m.id, t.id FROM src.templates m JOIN main.templates t ON t.content_hash = m.content_hash",
        [],
    )?;
    let runs: Vec<RunRow> = {
        let mut stmt = tx.prepare(
            "SELECT r.id, mm.id, mt.id, r.mode, r.params, r.status, r.label, r.started_at, r.finished_at, r.tasks
             FROM src.runs r JOIN temp.map_model mm ON mm.src_id = r.model_id
             LEFT JOIN temp.map_template mt ON mt.src_id = r.template_id ORDER BY r.id",
        )?;
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    for (src_id, model, template, mode, run_params, status, label, started, finished, tasks) in runs
    {
        let same: Option<i64> = tx
            .query_row(
                "SELECT id FROM main.runs WHERE model_id = ?1 AND template_id IS ?2 AND mode = ?3 AND params = ?4 AND started_at = ?5 ORDER BY id LIMIT 1",
                params![model, template, mode, run_params, started],
                |r| r.get(0),
            )
            .optional()?;
        let id = if let Some(id) = same {
            id
        } else {
            tx.execute(
                "INSERT INTO main.runs (model_id, template_id, mode, params, status, label, started_at, finished_at, tasks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![model, template, mode, run_params, status, label, started, finished, tasks],
            )?;
            merged.runs += 1;
            tx.last_insert_rowid()
        };
        tx.execute("INSERT INTO temp.map_run VALUES (?1, ?2)", [src_id, id])?;
    }
    let differing_judgment: Option<(String, String, String)> = tx
        .query_row(
            "SELECT m.name, r.started_at, s.external_id FROM src.judgments j
             JOIN temp.map_run mr ON mr.src_id = j.run_id JOIN temp.map_sample ms ON ms.src_id = j.sample_id
             JOIN main.judgments t ON t.run_id = mr.id AND t.sample_id = ms.id AND t.response_order = j.response_order AND t.attempt = j.attempt
             JOIN src.runs r ON r.id = j.run_id JOIN src.models m ON m.id = r.model_id JOIN src.samples s ON s.id = j.sample_id
             WHERE t.raw_output IS NOT j.raw_output LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((model, started, sample)) = differing_judgment {
        return Err(invalid(format!(
            "{file}: the run of {model} started {started} has another output for sample `{sample}` than the same run in {}; nothing was written.",
            earlier.join(", ")
        )));
    }
    merged.judgments = added(tx.execute(
        "INSERT INTO main.judgments (run_id, sample_id, response_order, attempt, raw_output, critique, analysis, parse_state, parse_error, verdict, agrees_with_gold, prompt_tokens, output_tokens, latency_ms, verdict_probs, created_at)
         SELECT mr.id, ms.id, j.response_order, j.attempt, j.raw_output, j.critique, j.analysis, j.parse_state, j.parse_error, j.verdict, j.agrees_with_gold, j.prompt_tokens, j.output_tokens, j.latency_ms, j.verdict_probs, j.created_at
         FROM src.judgments j JOIN temp.map_run mr ON mr.src_id = j.run_id JOIN temp.map_sample ms ON ms.src_id = j.sample_id
         WHERE NOT EXISTS (SELECT 1 FROM main.judgments t WHERE t.run_id = mr.id AND t.sample_id = ms.id AND t.response_order = j.response_order AND t.attempt = j.attempt)
         ORDER BY j.id",
        [],
    )?);
    tx.execute(
        "INSERT INTO temp.map_judgment SELECT j.id, t.id FROM src.judgments j
         JOIN temp.map_run mr ON mr.src_id = j.run_id JOIN temp.map_sample ms ON ms.src_id = j.sample_id
         JOIN main.judgments t ON t.run_id = mr.id AND t.sample_id = ms.id AND t.response_order = j.response_order AND t.attempt = j.attempt",
        [],
    )?;
    if merged.judgments > 0 {
        let touched_runs: BTreeSet<i64> = {
            let mut stmt =
                tx.prepare("SELECT DISTINCT run_id FROM main.judgments WHERE id > ?1")?;
            stmt.query_map([before_judgments], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for run in touched_runs {
            tx.execute(
                "UPDATE main.runs SET tasks = (SELECT json_group_array(task) FROM (
                     SELECT DISTINCT s.task AS task FROM main.judgments j JOIN main.samples s ON s.id = j.sample_id
                     WHERE j.run_id = ?1 ORDER BY s.task)) WHERE id = ?1",
                [run],
            )?;
            crate::judgments::recount_votes(tx, Some(run))?;
        }
    }
    // The search rows of new samples and of samples with new critiques.
    tx.execute(
        "DELETE FROM main.sample_text WHERE rowid IN (SELECT sample_id FROM main.judgments WHERE id > ?1)",
        [before_judgments],
    )?;
    tx.execute(
        &format!(
            "{} WHERE s.id > ?1 OR s.id IN (SELECT sample_id FROM main.judgments WHERE id > ?2)",
            crate::search::SEARCH_ROWS
        ),
        [before_samples, before_judgments],
    )?;

    // People: annotators, tags, events and adjudications.
    merged.annotators = added(tx.execute(
        "INSERT INTO main.annotators (name, created_at) SELECT name, created_at FROM src.annotators a
         WHERE NOT EXISTS (SELECT 1 FROM main.annotators t WHERE t.name = a.name) ORDER BY a.id",
        [],
    )?);
    tx.execute(
        "INSERT INTO temp.map_annotator SELECT a.id, t.id FROM src.annotators a JOIN main.annotators t ON t.name = a.name",
        [],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO main.failure_tags (id, name, description, tasks, inferable, builtin)
         SELECT id, name, description, tasks, inferable, builtin FROM src.failure_tags",
        [],
    )?;
    let events_in_file: u64 =
        tx.query_row("SELECT count(*) FROM src.annotation_events", [], |r| {
            r.get(0)
        })?;
    merged.events = added(tx.execute(
        "INSERT INTO main.annotation_events (sample_id, annotator_id, judgment_id, at, action, verdict, tag, flag, note)
         SELECT ms.id, ma.id, mj.id, e.at, e.action, e.verdict, e.tag, e.flag, e.note
         FROM src.annotation_events e JOIN temp.map_sample ms ON ms.src_id = e.sample_id
         JOIN temp.map_annotator ma ON ma.src_id = e.annotator_id LEFT JOIN temp.map_judgment mj ON mj.src_id = e.judgment_id
         WHERE NOT EXISTS (SELECT 1 FROM main.annotation_events t WHERE t.sample_id = ms.id AND t.annotator_id = ma.id
               AND t.at = e.at AND t.action = e.action AND t.verdict IS e.verdict AND t.tag IS e.tag AND t.flag IS e.flag AND t.note IS e.note)
         ORDER BY e.id",
        [],
    )?);
    merged.duplicate_events = events_in_file - merged.events;
    merged.adjudications = added(tx.execute(
        "INSERT INTO main.adjudications (sample_id, annotator_id, at, action, verdict, note)
         SELECT ms.id, ma.id, j.at, j.action, j.verdict, j.note
         FROM src.adjudications j JOIN temp.map_sample ms ON ms.src_id = j.sample_id JOIN temp.map_annotator ma ON ma.src_id = j.annotator_id
         WHERE NOT EXISTS (SELECT 1 FROM main.adjudications t WHERE t.sample_id = ms.id AND t.annotator_id = ma.id
               AND t.at = j.at AND t.action = j.action AND t.verdict IS j.verdict AND t.note IS j.note)
         ORDER BY j.id",
        [],
    )?);
    tx.execute_batch(
        "DROP TABLE temp.map_dataset; DROP TABLE temp.map_sample; DROP TABLE temp.map_model;
         DROP TABLE temp.map_template; DROP TABLE temp.map_run; DROP TABLE temp.map_judgment;
         DROP TABLE temp.map_annotator;",
    )?;
    Ok(merged)
}
