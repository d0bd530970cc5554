//! The FARE Lens application API: what a user can do to a project, independent of how they
//! ask (the command line, the desktop shell and the HTTP server call the same functions).
//!
//! - [`api`]: an open project and the commands the UI gives it (queue, sample view,
//!   decisions), with the types the UI's TypeScript is generated from.
//! - [`queue`]: which sample is the Nth of the queue's list (far jumps of the UI's list).
//! - [`report`]: evaluator metrics per task, data set and source, against ground truth and
//!   against human labels.
//! - [`judge`]: judging samples with a local evaluator, resumable after a crash.
//! - [`demo`]: the bundled demo project, built from `assets/demo/`.

pub mod api;
pub mod demo;
pub mod judge;
pub mod queue;
pub mod report;
