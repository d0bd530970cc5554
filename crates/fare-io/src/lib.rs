//! FARE Lens file formats: reading evaluation data into a project, writing labels out.
//!
//! - [`import`]: the import pipeline (hash, detect, stream records, convert, write in one
//!   transaction, report skipped records).
//! - [`read`]: streaming record readers for JSON arrays, JSONL, concatenated JSON, CSV and Parquet,
//!   with bounded memory per record and line numbers for errors.
//! - [`formats`]: the known data sets (ProcessBench, PRM800K, JudgeBench, GSM8K, MATH), the
//!   generic field mapping, and format detection.
//! - [`judgments`]: evaluator outputs made elsewhere, imported as a run.
//! - [`export`]: corrected labels (JSONL, CSV, Parquet) and retraining sets (SFT chat JSONL,
//!   preference pairs).

pub mod error;
pub mod export;
pub mod formats;
pub mod import;
pub mod judgments;
pub mod read;

pub use error::{ImportError, Location};
