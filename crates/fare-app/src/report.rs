//! The evaluator report: the [`analysis`](crate::analysis) of a run under the name the command
//! line and the first versions of the UI use.
//!
//! `fare-lens report --json` prints exactly the [`Report`] the app's analysis view renders, so
//! the two cannot disagree. Its per-group fields from before the analysis (`processbench`,
//! `first_error`, `pairwise`, `verification`, `rating`, against ground truth) are kept beside the
//! analysis's `gold` and `human` sections.

use fare_store::{Project, StoreError};

pub use crate::analysis::{Analysis as Report, GroupReport};
use crate::analysis::{AnalysisRequest, analysis};

/// Computes the report of a run, or, when `run` is None, of each task's newest run, with the
/// human reference of [`crate::analysis::human_reference`]'s default.
pub fn report(project: &Project, run: Option<i64>) -> Result<Report, StoreError> {
    analysis(project, &AnalysisRequest { run, human: None })
}
