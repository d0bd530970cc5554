//! End-to-end tests of the `fare-lens` command line.
//!
//! Every test runs the real binary (`CARGO_BIN_EXE_fare-lens`) on files written into a fresh
//! temporary folder, against real SQLite project files, and asserts on its exit status, its
//! stdout (mostly the `--json` output) and its stderr. The modules:
//!
//! - [`import_errors`]: bad input is refused with a message naming the file, line, record and
//!   field, and leaves the project as it was.
//! - [`import`]: `--skip-invalid`, re-importing a file, importing several files.
//! - [`mapping`]: unknown schemas through `--map`, `--mapping` files, CSV and Parquet.
//! - [`mapped_labels`]: field templates, label values, ties and annotators' columns through the
//!   mapping flags: the dry run, `agreement` and `report` on what they import.
//! - [`annotate`]: recording, undoing and redoing human labels from the command line.
//! - [`demo`]: the demo project, its report and the five export formats.
//! - [`analysis`]: the analysis in `report --json`, and `diff` of two runs.
//! - [`judge`]: judging with a small real model, killed and continued.
//! - [`devices`]: a model too large for the free memory refused with both sizes, a GPU asked of
//!   a CPU build, and `bench logits` (the GPU check's comparison) against transformers' logits.
//! - [`gpt_oss`]: judging with a tiny gpt-oss (MXFP4 experts, the real tokenizer), each expert
//!   format.
//! - [`serve`]: the review server as a real process: its address, its API, its token.
//! - [`model_panel`]: the model panel through `serve`: a model listed, loaded into a worker
//!   process, judging a job, and killed in the middle of another.
//! - [`majority`]: runs with K judgments per sample scored on their majority.
//! - [`download`]: `download` from a hub on loopback (a real small GGUF model and a tiny Qwen3
//!   in FARE-8B's layout), then `models`, `convert` and `judge` with what was downloaded.
//! - [`prompt`]: the exact model input of a sample, with the real Qwen3 tokenizer.
//! - [`real_data`]: a real ProcessBench split, when `../shared/data` is beside the checkout.
//! - [`serve_model`]: `serve-model` as a child process, and `judge` through its endpoint.
//! - [`several_annotators`]: copies labelled by two people, merged, their agreement, and
//!   exports under each final-label choice.

#[cfg(test)]
mod support;

#[cfg(test)]
mod analysis;
#[cfg(test)]
mod annotate;
#[cfg(test)]
mod demo;
#[cfg(test)]
mod devices;
#[cfg(test)]
mod download;
#[cfg(test)]
mod gpt_oss;
#[cfg(test)]
mod import;
#[cfg(test)]
mod import_errors;
#[cfg(test)]
mod judge;
#[cfg(test)]
mod majority;
#[cfg(test)]
mod mapped_labels;
#[cfg(test)]
mod mapping;
#[cfg(test)]
mod model_panel;
#[cfg(test)]
mod prompt;
#[cfg(test)]
mod real_data;
#[cfg(test)]
mod serve;
#[cfg(test)]
mod serve_model;
#[cfg(test)]
mod several_annotators;
