//! Writing one imported data set, all or nothing.
//!
//! [`Project::begin_import`] opens a transaction; each [`ImportWriter::add`] inserts a sample,
//! its steps and its full-text entry; [`ImportWriter::finish`] records the counts and commits.
//! Dropping the writer without finishing rolls everything back, so a failed import leaves no
//! trace in the project.

use fare_core::sample::Content;
use fare_core::{Sample, Verdict, VerdictRules};
use rusqlite::{CachedStatement, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::project::Project;
use crate::{Result, StoreError};

/// What is known about a data set before its records are read.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// A short name (the file's stem).
    pub name: String,
    /// The file as the user named it.
    pub source_file: String,
    /// The format it was read as.
    pub format: String,
    /// sha256 of the file's bytes.
    pub content_hash: String,
    /// The field mapping of a generic import, as JSON.
    pub mapping: Option<String>,
}

/// A data set already in the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// Its id in the project.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The file it came from.
    pub source_file: String,
    /// The format it was read as.
    pub format: String,
    /// sha256 of the file.
    pub content_hash: String,
    /// Records read from the file.
    pub record_count: i64,
    /// Samples made from them.
    pub sample_count: i64,
    /// Records skipped as invalid.
    pub skipped_count: i64,
    /// When it was imported.
    pub imported_at: String,
}

/// Inserts the samples of one data set inside one transaction.
pub struct ImportWriter<'p> {
    tx: Transaction<'p>,
    dataset_id: i64,
    samples: i64,
}

impl std::fmt::Debug for ImportWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportWriter")
            .field("dataset_id", &self.dataset_id)
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// The data set imported from a file with this content hash, if any.
    pub fn dataset_by_hash(&self, content_hash: &str) -> Result<Option<DatasetInfo>> {
        Ok(self
            .conn
            .query_row(
                &format!("{DATASET_COLUMNS} WHERE content_hash = ?1"),
                [content_hash],
                dataset_from_row,
            )
            .optional()?)
    }

    /// Every data set, in import order.
    pub fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{DATASET_COLUMNS} ORDER BY id"))?;
        let rows = stmt.query_map([], dataset_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts importing a data set. Nothing is visible to others until [`ImportWriter::finish`].
    pub fn begin_import(&mut self, dataset: &NewDataset) -> Result<ImportWriter<'_>> {
        let tx = self.conn.transaction()?;
        let now = Project::now(&tx)?;
        tx.execute(
            "INSERT INTO datasets (name, source_file, format, content_hash, mapping, record_count, sample_count, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6)",
            params![dataset.name, dataset.source_file, dataset.format, dataset.content_hash, dataset.mapping, now],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Invalid(format!("{}: this file is already in the project", dataset.source_file))
            }
            e => e.into(),
        })?;
        let dataset_id = tx.last_insert_rowid();
        Ok(ImportWriter {
            tx,
            dataset_id,
            samples: 0,
        })
    }
}

const DATASET_COLUMNS: &str = "SELECT id, name, source_file, format, content_hash, record_count, sample_count, skipped_count, imported_at FROM datasets";

fn dataset_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DatasetInfo> {
    Ok(DatasetInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        source_file: r.get(2)?,
        format: r.get(3)?,
        content_hash: r.get(4)?,
        record_count: r.get(5)?,
        sample_count: r.get(6)?,
        skipped_count: r.get(7)?,
        imported_at: r.get(8)?,
    })
}

/// The prepared statements of an import (cached by the connection).
struct Inserts<'t> {
    sample: CachedStatement<'t>,
    step: CachedStatement<'t>,
    text: CachedStatement<'t>,
}

impl ImportWriter<'_> {
    /// The new data set's id.
    pub fn dataset_id(&self) -> i64 {
        self.dataset_id
    }

    fn statements(&self) -> Result<Inserts<'_>> {
        Ok(Inserts {
            sample: self.tx.prepare_cached(
                "INSERT INTO samples (dataset_id, record_index, external_id, task, source, question, response, response_a, response_b, reference, rubric, step_count, gold_verdict, metadata)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            step: self
                .tx
                .prepare_cached("INSERT INTO steps (sample_id, step_index, text, gold_rating) VALUES (?1, ?2, ?3, ?4)")?,
            text: self
                .tx
                .prepare_cached("INSERT INTO sample_text (rowid, question, steps, responses) VALUES (?1, ?2, ?3, ?4)")?,
        })
    }

    /// Adds one sample made from record `record_index` of the file. `step_ratings`, when given,
    /// are the data set's own per-step ratings (PRM800K's -1 / 0 / +1).
    pub fn add(
        &mut self,
        record_index: u64,
        sample: &Sample,
        step_ratings: &[Option<i8>],
    ) -> Result<i64> {
        let mut st = self.statements()?;
        let (response, response_a, response_b, reference, rubric) = match &sample.content {
            Content::Pairwise {
                response_a,
                response_b,
            } => (None, Some(response_a), Some(response_b), None, None),
            Content::StepLevel { .. } => (None, None, None, None, None),
            Content::ReferenceFree { response } => (Some(response), None, None, None, None),
            Content::ReferenceBased {
                response,
                reference,
            } => (Some(response), None, None, Some(reference), None),
            Content::Rating {
                response,
                rubric,
                reference,
            } => (
                Some(response),
                None,
                None,
                reference.as_ref(),
                rubric.as_ref(),
            ),
        };
        let steps = sample.content.steps();
        if let Some(gold) = sample.gold {
            // Ground truth that does not fit its sample (a step past the last one, a verdict of
            // another task) would make the stored sample unreadable: refuse the record instead.
            // Ratings keep the data set's own scale.
            gold.check(&VerdictRules {
                rating_scale: (i32::MIN, i32::MAX),
                ..VerdictRules::new(sample.task(), steps.len())
            })
            .map_err(|e| {
                StoreError::Invalid(format!(
                    "record {record_index}: id `{}`: ground truth: {e}",
                    sample.external_id
                ))
            })?;
        }
        let metadata = serde_json::to_string(&sample.metadata).unwrap_or_else(|_| "{}".into());
        st.sample
            .execute(params![
                self.dataset_id,
                i64::try_from(record_index).unwrap_or(i64::MAX),
                sample.external_id,
                sample.task().as_str(),
                sample.source,
                sample.question,
                response,
                response_a,
                response_b,
                reference,
                rubric,
                steps.len(),
                sample.gold.map(Verdict::canonical),
                metadata,
            ])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Invalid(format!(
                        "record {record_index}: id `{}` appears twice in this file",
                        sample.external_id
                    ))
                }
                e => e.into(),
            })?;
        let sample_id = self.tx.last_insert_rowid();
        for (i, text) in steps.iter().enumerate() {
            st.step.execute(params![
                sample_id,
                i,
                text,
                step_ratings.get(i).copied().flatten()
            ])?;
        }
        let responses = [response, response_a, response_b]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        st.text.execute(params![
            sample_id,
            sample.question,
            steps.join("\n"),
            responses
        ])?;
        drop(st);
        self.samples += 1;
        Ok(sample_id)
    }

    /// Records the counts and commits the whole data set.
    pub fn finish(self, record_count: u64, skipped_count: u64) -> Result<DatasetInfo> {
        let ImportWriter {
            tx,
            dataset_id,
            samples,
        } = self;
        tx.execute(
            "UPDATE datasets SET record_count = ?2, sample_count = ?3, skipped_count = ?4 WHERE id = ?1",
            params![
                dataset_id,
                i64::try_from(record_count).unwrap_or(i64::MAX),
                samples,
                i64::try_from(skipped_count).unwrap_or(i64::MAX)
            ],
        )?;
        let info = tx.query_row(
            &format!("{DATASET_COLUMNS} WHERE id = ?1"),
            [dataset_id],
            dataset_from_row,
        )?;
        tx.commit()?;
        Ok(info)
    }
}
