//! FARE Lens benchmarks. They print figures and ratios against goals or a reference run; they
//! never assert a timing.
//!
//! - [`import`]: the product's import path on real files (`fare-bench import`), timed against a
//!   plain Python loader by `tests/bench/import_vs_python.sh`.
//! - [`synth`]: a synthetic project of any size (`fare-bench synth`), written through the store.
//! - [`queries`]: sample-list latency on such a project (`fare-bench queries`).
//! - [`analysis`]: the failure-mode analysis on such a project, against a plain scan of its rows
//!   (`fare-bench analysis`).
//! - [`digest`]: a fingerprint of a project's imported rows, to check two loaders agree.
//! - [`sql`]: SQL and query plans on a project, with the bundled SQLite.
//! - [`text`]: the deterministic text generator behind [`synth`].
//! - [`mem`]: peak memory and size on disk.
//! - [`engine`]: the evaluator engine's prefill and decode speed on random weights of a named
//!   model shape (`fare-lens bench engine`), timed against `transformers` by
//!   `tests/bench/engine_vs_transformers.sh`.
//! - [`judge`]: judging throughput, samples per hour at several batch sizes of the engine's
//!   continuous batching on ProcessBench prompts (`fare-lens bench judge`), timed against
//!   transformers' batched `generate` by `tests/bench/judge_vs_transformers.sh`.
//! - [`logits`]: the engine's logits on given token ids, prefill then KV-cache decode, for a
//!   comparison with `transformers` on the same device (`fare-lens bench logits`, the GPU check).

pub mod analysis;
pub mod digest;
pub mod engine;
pub mod import;
pub mod judge;
pub mod logits;
pub mod mem;
pub mod queries;
pub mod sql;
pub mod synth;
pub mod text;
