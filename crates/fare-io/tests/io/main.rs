//! The importers' and exporters' integration tests, one binary: real files of every format in,
//! labels out, evaluator outputs imported, fuzzed input refused cleanly.

mod export;
mod final_label;
mod fuzz;
mod import_shared;
mod judgments;
mod mapped_sets;
