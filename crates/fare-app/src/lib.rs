//! The FARE Lens application API: what a user can do to a project, independent of how they
//! ask (command line today; the desktop shell and the HTTP server call the same functions).
//!
//! - [`report`]: evaluator metrics per task, data set and source, against ground truth and
//!   against human labels.
//! - [`judge`]: judging samples with a local evaluator, resumable after a crash.

pub mod judge;
pub mod report;
