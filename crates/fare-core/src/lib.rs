//! The FARE Lens domain core.
//!
//! Everything here is pure: values in, values out. No file, database, network or model access
//! happens in this crate, so the rules of the product (what a sample is, how a prompt is
//! rendered, how a verdict is read from an evaluator's output, how a human label is derived from
//! annotation events, how metrics are computed) can be tested in milliseconds and reused by the
//! store, the importers, the engine and the UI alike.
//!
//! - [`sample`]: the five FARE tasks and a [`Sample`] of each.
//! - [`verdict`]: what an evaluator or a person decides about a sample.
//! - [`template`]: prompt templates as versioned data and their exact rendering.
//! - [`parse`]: reading the verdict out of an evaluator's raw output.
//! - [`judgment`]: one evaluator output with its parsed outcome.
//! - [`annotation`]: annotation events and the label they add up to (undo/redo included).
//! - [`final_label`]: the one human verdict of a sample several people labelled (adjudicated,
//!   majority or one annotator's).
//! - [`taxonomy`]: the failure-mode tags shipped with the product.
//! - [`metrics`]: ProcessBench F1, pairwise swap consistency, verification, rating and agreement.
//! - [`review_order`]: the order of a review queue (most uncertain, confident but wrong, seeded).

pub mod annotation;
pub mod final_label;
pub mod judgment;
pub mod metrics;
pub mod parse;
pub mod review_order;
pub mod sample;
pub mod taxonomy;
pub mod template;
pub mod verdict;

pub use annotation::{AnnotationAction, AnnotationEvent, Decision, Label};
pub use final_label::{FinalLabel, FinalSource, Resolved, Unresolved};
pub use judgment::{Judgment, Outcome, OutcomeCounts, RecordedProbs, VerdictProbs, Vote};
pub use parse::{Finish, read_output};
pub use sample::{Content, Sample, Step, Task};
pub use template::{Prompt, PromptMode, Provenance, ResponseOrder, Template};
pub use verdict::{Correctness, Side, Verdict, VerdictRules};
