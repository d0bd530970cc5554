//! The FARE Lens project store: one SQLite file per project.
//!
//! A project file holds the imported data sets and their samples (ground truth kept on the
//! sample), evaluator runs and their judgments, and every annotation event people made. The
//! schema is versioned ([`migrations`]) and documented in `docs/project-schema.md`, because
//! users query project files directly.
//!
//! - [`project`]: opening, creating and migrating a project file.
//! - [`import`]: writing one data set in one transaction.
//! - [`judgments`]: evaluator runs and their judgments.
//! - [`annotations`]: annotators, events and the derived current labels.
//! - [`adjudication`]: a third person's decisions where annotators disagree, and the final label
//!   of a sample (adjudicated, majority or one annotator's).
//! - [`export_reads`]: what the exports read besides samples and labels (a run's judgment of a
//!   sample, a critique, the run behind the evaluator columns).
//! - [`merge`]: combining project files that started from the same data (one per annotator).
//! - [`query`]: the sample list and its filters.
//! - [`search`]: the full-text index of the samples and the query search text becomes.
//! - [`rows`]: a sample's task and verdict rules, a run's rating scale, recorded verdict
//!   probabilities: what the writers share (it depends on no other module of the store).
//! - [`position`]: which sample is the Nth of a filtered list (far jumps of a virtual list).
//! - [`queues`]: saved queues, ordered lists of samples to review.
//! - [`scan`]: whole-project scans, a row at a time, for the analysis and the diff.
//! - [`scratch`]: temporary files beside an output (random names, stale ones removed).
//!
//! Every write a user would call one action is one transaction.

pub mod adjudication;
pub mod annotations;
pub mod export_reads;
pub mod import;
pub mod judgments;
pub mod merge;
pub mod migrations;
pub mod position;
pub mod project;
pub mod query;
pub mod queues;
pub mod rows;
pub mod scan;
pub mod scratch;
pub mod search;

pub use adjudication::{HumanVerdict, StoredAdjudication};
pub use annotations::{ProjectTag, StoredLabel};
pub use import::{DatasetInfo, ImportWriter, NewDataset};
pub use judgments::{
    JudgmentWriter, NewJudgment, NewRun, RunInfo, RunStatus, StoredJudgment, StoredVote,
};
pub use merge::{MergeSummary, MergedInput, merge};
pub use project::Project;
pub use query::{
    EvaluatorFilter, ReviewFilter, SampleFilter, SampleName, SampleRow, ShownRuns, StoredSample,
};
pub use queues::{NewQueue, QueueInfo};
pub use rows::GOLD_TIE;

use std::path::PathBuf;

/// Errors of the project store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file was written by a newer FARE Lens.
    #[error(
        "{path}: this project was written by a newer FARE Lens (schema version {found}; this build reads up to {supported}). The file was not changed."
    )]
    NewerSchema {
        /// The project file.
        path: PathBuf,
        /// The file's schema version.
        found: usize,
        /// The newest version this build knows.
        supported: usize,
    },
    /// The file is not a FARE Lens project.
    #[error("{path}: not a FARE Lens project ({reason})")]
    NotAProject {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// No project at that path.
    #[error("{0}: no such project file")]
    Missing(PathBuf),
    /// A request that does not fit the project's data (unknown sample, verdict of another task).
    #[error("{0}")]
    Invalid(String),
    /// Two records of one imported file give the same sample id.
    #[error("record {record}: id `{external_id}` appears twice in this file")]
    DuplicateSample {
        /// The record that repeats the id.
        record: u64,
        /// The repeated id.
        external_id: String,
    },
    /// A stored value that cannot be read back (the file was edited by hand).
    #[error("corrupt project data: {0}")]
    Corrupt(String),
    /// An SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
