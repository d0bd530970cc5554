//! The FARE Lens application API: what a user can do to a project, independent of how they
//! ask (the command line, the desktop shell and the HTTP server call the same functions).
//!
//! - [`api`]: an open project and the commands the UI gives it (queue, sample view,
//!   decisions), with the types the UI's TypeScript is generated from.
//! - [`importing`]: the import dialog's calls: a preview of a file's first records (format
//!   detected, fields seen, a field mapping suggested for unknown schemas) and the import itself.
//! - [`agreement`]: agreement between annotators (kappa, alpha) per task and data set, the
//!   samples they disagree on, and a third person's adjudication of one.
//! - [`exporting`]: the export dialog's preview and export (with the final-label choice), and
//!   merging the project files of several annotators.
//! - [`files`]: which files the API's imports, exports and merges may use: any (the command
//!   line), the data folders (`fare-lens serve`), or those the desktop's dialogs gave.
//! - [`naming`]: how a person names a sample (project id or data set id) and who they are
//!   by default, one rule for every shell.
//! - [`annotating`]: the verdict on screen that accepting takes, for annotating without the
//!   review view (the command line).
//! - [`queue`]: which sample is the Nth of the queue's list (far jumps of the UI's list).
//! - [`saved_queues`]: review queues saved from the filters or a list of samples, in a review
//!   order (most uncertain first, confident but wrong first, seeded random, as listed).
//! - [`analysis`]: failure-mode analysis: evaluator metrics per task, data set and source,
//!   against ground truth and against human labels, with the samples behind every count.
//! - [`report`]: the analysis under the name the command line uses (`fare-lens report`).
//! - [`diff`]: the checkpoint diff of two runs: what the later one fixed and broke.
//! - [`judge`]: judging samples with a local evaluator, resumable after a crash.
//! - [`models`]: the models on disk the app can run, their memory estimates, the devices.
//! - [`worker`]: the loaded model, in a worker process (or an endpoint), watched for failure.
//! - [`jobs`]: that model judging samples in the background, with progress and cancel.
//! - [`downloads`]: "Get a model": the FARE models of the hub, their download into the Hugging
//!   Face cache and their conversion for CPUs, in the background with progress and cancel.
//! - [`demo`]: the bundled demo project, built from `assets/demo/`.
//! - [`commands`]: the command registry: every command declared once, dispatched by name
//!   (JSON in and out) for the desktop shell and the server, and typed for the UI.
//! - [`serve_model`]: a local model served in the OpenAI dialect (`serve-model`, the worker).
//! - [`session`]: the desktop's open project, recent projects and first-launch demo.

pub mod agreement;
pub mod analysis;
pub mod annotating;
pub mod api;
pub mod commands;
pub mod demo;
pub mod diff;
pub mod downloads;
pub mod exporting;
pub mod files;
pub mod importing;
pub mod jobs;
pub mod judge;
pub mod models;
pub mod naming;
pub mod panics;
pub mod queue;
pub mod report;
pub mod saved_queues;
pub mod serve_model;
pub mod session;
pub mod worker;
