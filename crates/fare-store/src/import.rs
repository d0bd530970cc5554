//! Writing one imported data set, all or nothing.
//!
//! [`Project::begin_import`] opens a transaction; each [`ImportWriter::add`] inserts a sample,
//! its steps and its full-text entry; [`ImportWriter::finish`] records the counts and commits.
//! Dropping the writer without finishing rolls everything back, so a failed import leaves no
//! trace in the project.
//!
//! A file that holds several data sets (a labels export of FARE Lens re-imported elsewhere)
//! switches between them with [`ImportWriter::select_dataset`], and carries human labels with
//! [`ImportWriter::add_label`]; both stay inside the same transaction.

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
    /// The file's own hash, from which further data sets' hashes are made.
    content_hash: String,
    /// Data sets of this import by name, with their sample counts, when the file holds several.
    others: Vec<(String, i64, i64)>,
    /// Whether the first data set still has its provisional name (no sample added yet).
    first_unnamed: bool,
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
            content_hash: dataset.content_hash.clone(),
            others: Vec::new(),
            first_unnamed: true,
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
                .prepare_cached("INSERT INTO sample_text (rowid, question, steps, responses, critiques) VALUES (?1, ?2, ?3, ?4, '')")?,
        })
    }

    /// Makes `name` the data set that the next samples go to, for files that hold several data
    /// sets. The first call names the data set the import began with; a later new name adds a
    /// data set whose content hash is the file's hash followed by `#name`.
    pub fn select_dataset(&mut self, name: &str, source_file: &str) -> Result<i64> {
        if self.first_unnamed {
            self.first_unnamed = false;
            self.tx.execute(
                "UPDATE datasets SET name = ?2, source_file = ?3 WHERE id = ?1",
                params![self.dataset_id, name, source_file],
            )?;
            self.others.push((name.to_owned(), self.dataset_id, 0));
            return Ok(self.dataset_id);
        }
        self.save_count();
        if let Some((_, id, count)) = self.others.iter().find(|(n, _, _)| n == name) {
            self.dataset_id = *id;
            self.samples = *count;
            return Ok(*id);
        }
        let now = Project::now(&self.tx)?;
        let format: String = self.tx.query_row(
            "SELECT format FROM datasets WHERE id = ?1",
            [self.dataset_id],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO datasets (name, source_file, format, content_hash, record_count, sample_count, imported_at)
             VALUES (?1, ?2, ?3, ?4, 0, 0, ?5)",
            params![name, source_file, format, format!("{}#{name}", self.content_hash), now],
        )?;
        self.dataset_id = self.tx.last_insert_rowid();
        self.samples = 0;
        self.others.push((name.to_owned(), self.dataset_id, 0));
        Ok(self.dataset_id)
    }

    fn save_count(&mut self) {
        let (id, count) = (self.dataset_id, self.samples);
        if let Some(entry) = self.others.iter_mut().find(|(_, i, _)| *i == id) {
            entry.2 = count;
        }
    }

    /// Writes a human label carried by the imported file (a labels export) as annotation events
    /// of `annotator`, so the project holds it exactly as if it had been made here: the
    /// decision at `first_at`, marks, tags and note at `updated_at`. Tags this project does not
    /// have yet are added as user tags.
    pub fn add_label(
        &mut self,
        sample_id: i64,
        annotator: &str,
        label: &fare_core::Label,
        first_at: &str,
        updated_at: &str,
    ) -> Result<()> {
        use fare_core::AnnotationAction as A;
        let (task, step_count) = crate::rows::sample_task(&self.tx, sample_id)?;
        let rules = VerdictRules {
            rating_scale: (i32::MIN, i32::MAX),
            ..crate::rows::rules_of(&task, step_count)?
        };
        let mut actions = Vec::new();
        match (label.decision, label.verdict) {
            (fare_core::Decision::Accepted, Some(verdict)) => actions.push(A::Accept { verdict }),
            (fare_core::Decision::Corrected, Some(verdict)) => actions.push(A::Correct { verdict }),
            (fare_core::Decision::Unreviewed, None) => {}
            (decision, _) => {
                return Err(StoreError::Invalid(format!(
                    "sample {sample_id}: a `{}` label needs a verdict",
                    decision.as_str()
                )));
            }
        }
        if let Some(verdict) = label.verdict {
            verdict
                .check(&rules)
                .map_err(|e| StoreError::Invalid(format!("sample {sample_id}: {e}")))?;
        }
        if label.wrong_reason {
            actions.push(A::WrongReason { on: true });
        }
        for tag in &label.tags {
            // A tag the other project's users added comes along as a tag of this project.
            if !fare_core::taxonomy::is_valid_tag_id(tag) {
                return Err(StoreError::Invalid(format!(
                    "sample {sample_id}: `{tag}` is not a tag id"
                )));
            }
            self.tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO failure_tags (id, name, description, tasks, inferable, builtin) VALUES (?1, ?1, 'added by an import of labels', '[]', 0, 0)",
                )?
                .execute([tag])?;
            actions.push(A::Tag {
                tag: tag.clone(),
                on: true,
            });
        }
        if let Some(note) = &label.note {
            actions.push(A::Note { text: note.clone() });
        }
        if actions.is_empty() {
            return Ok(());
        }
        let annotator_id = crate::annotations::annotator_id(&self.tx, annotator)?;
        for (i, action) in actions.iter().enumerate() {
            crate::annotations::insert_event(
                &self.tx,
                sample_id,
                annotator_id,
                None,
                if i == 0 { first_at } else { updated_at },
                action,
            )?;
        }
        crate::annotations::rebuild_label(&self.tx, sample_id, annotator_id)?;
        Ok(())
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
                    StoreError::DuplicateSample {
                        record: record_index,
                        external_id: sample.external_id.clone(),
                    }
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

    /// Writes a verdict that the imported file gives as `annotator`'s (a column of human labels)
    /// as their correction, made now.
    pub fn add_annotator_verdict(
        &mut self,
        sample_id: i64,
        annotator: &str,
        verdict: Verdict,
    ) -> Result<()> {
        let now = Project::now(&self.tx)?;
        let label = fare_core::Label {
            decision: fare_core::Decision::Corrected,
            verdict: Some(verdict),
            wrong_reason: false,
            tags: std::collections::BTreeSet::new(),
            note: None,
            can_undo: false,
            can_redo: false,
        };
        self.add_label(sample_id, annotator, &label, &now, &now)
    }

    /// Records that the data set calls pairwise sample `sample_id` (just added, without a gold
    /// verdict) a tie.
    pub fn mark_gold_tie(&mut self, sample_id: i64) -> Result<()> {
        let changed = self.tx.execute(
            "UPDATE samples SET gold_verdict = ?2 WHERE id = ?1 AND task = 'pairwise' AND gold_verdict IS NULL",
            params![sample_id, crate::rows::GOLD_TIE],
        )?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!(
                "sample {sample_id}: only a pairwise sample without a gold verdict can be a tie"
            )));
        }
        Ok(())
    }

    /// Records the counts and commits the whole data set.
    pub fn finish(self, record_count: u64, skipped_count: u64) -> Result<DatasetInfo> {
        self.close(record_count, skipped_count, true)
    }

    /// What [`ImportWriter::finish`] would record, then rolls everything back: a dry run that
    /// went through every check of a real import.
    pub fn finish_without_writing(
        self,
        record_count: u64,
        skipped_count: u64,
    ) -> Result<DatasetInfo> {
        self.close(record_count, skipped_count, false)
    }

    fn close(self, record_count: u64, skipped_count: u64, commit: bool) -> Result<DatasetInfo> {
        let mut this = self;
        this.first_unnamed = false;
        this.save_count();
        let ImportWriter {
            tx,
            dataset_id,
            samples,
            others,
            ..
        } = this;
        if others.len() > 1 {
            // Several data sets in one file: each counts its own samples as its records; the
            // skipped records are counted on the first.
            for (i, (_, id, count)) in others.iter().enumerate() {
                let skipped = if i == 0 {
                    i64::try_from(skipped_count).unwrap_or(i64::MAX)
                } else {
                    0
                };
                tx.execute(
                    "UPDATE datasets SET record_count = ?2, sample_count = ?2, skipped_count = ?3 WHERE id = ?1",
                    params![id, count, skipped],
                )?;
            }
        } else {
            tx.execute(
                "UPDATE datasets SET record_count = ?2, sample_count = ?3, skipped_count = ?4 WHERE id = ?1",
                params![
                    dataset_id,
                    i64::try_from(record_count).unwrap_or(i64::MAX),
                    samples,
                    i64::try_from(skipped_count).unwrap_or(i64::MAX)
                ],
            )?;
        }
        let dataset_id = others.first().map_or(dataset_id, |(_, id, _)| *id);
        let info = tx.query_row(
            &format!("{DATASET_COLUMNS} WHERE id = ?1"),
            [dataset_id],
            dataset_from_row,
        )?;
        if commit {
            tx.commit()?;
        } else {
            tx.rollback()?;
        }
        Ok(info)
    }
}
