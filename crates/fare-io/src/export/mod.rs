//! Exports: corrected labels for analysis, and retraining sets built from them.
//!
//! [`export`] writes one file in one of five [`ExportFormat`]s:
//!
//! - `labels-jsonl`, `labels-csv`, `labels-parquet` ([`labels`]): every sample with its ground
//!   truth, the chosen run's verdict and the human labels, one row per sample and annotator.
//! - `sft-jsonl` ([`sft`]): chat-format supervised fine-tuning lines from human-confirmed labels.
//! - `preference-jsonl` ([`preference`]): chosen / rejected pairs where a person overruled the
//!   evaluator or the evaluator gave no verdict.
//!
//! Every export streams the project's samples in id order (one sample in memory at a time, the
//! Parquet writer buffering one batch of rows) and writes to a temporary file next to the output,
//! renamed over it at the end: a failed export never leaves half a file. Exports are
//! deterministic: the same project and options give the same bytes (no export time is written).
//!
//! [`ExportOptions`] choose the evaluator run (the newest by default), one annotator, and one
//! data set. [`ExportSummary::skipped`] counts the samples in scope that gave no row.

pub mod labels;
mod output;
pub mod preference;
pub mod sft;
mod source;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use fare_store::{Project, StoreError};
use serde::{Deserialize, Serialize};

pub use labels::{LABEL_COLUMNS, LABELS_FORMAT};

/// The file formats FARE Lens exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// Labels, one JSON object a line (`labels-jsonl`); the format FARE Lens imports back.
    LabelsJsonl,
    /// Labels as CSV with a header row (`labels-csv`).
    LabelsCsv,
    /// Labels as a Parquet file (`labels-parquet`).
    LabelsParquet,
    /// Chat-format supervised fine-tuning set, one conversation a line (`sft-jsonl`).
    SftJsonl,
    /// Preference pairs (prompt, chosen, rejected), one a line (`preference-jsonl`).
    PreferenceJsonl,
}

impl ExportFormat {
    /// Every format, in the order the product lists them.
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::LabelsJsonl,
        ExportFormat::LabelsCsv,
        ExportFormat::LabelsParquet,
        ExportFormat::SftJsonl,
        ExportFormat::PreferenceJsonl,
    ];

    /// The name typed on the command line and shown in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::LabelsJsonl => "labels-jsonl",
            ExportFormat::LabelsCsv => "labels-csv",
            ExportFormat::LabelsParquet => "labels-parquet",
            ExportFormat::SftJsonl => "sft-jsonl",
            ExportFormat::PreferenceJsonl => "preference-jsonl",
        }
    }

    /// The usual file extension of the format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::LabelsCsv => "csv",
            ExportFormat::LabelsParquet => "parquet",
            ExportFormat::LabelsJsonl | ExportFormat::SftJsonl | ExportFormat::PreferenceJsonl => {
                "jsonl"
            }
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown export format `{0}` (expected one of: labels-jsonl, labels-csv, labels-parquet, sft-jsonl, preference-jsonl)"
)]
pub struct UnknownExportFormat(pub String);

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_lowercase().replace('_', "-");
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == normal)
            .ok_or_else(|| UnknownExportFormat(s.to_owned()))
    }
}

/// What to export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// The evaluator run whose verdicts are exported (the newest run when empty).
    pub run_id: Option<i64>,
    /// Only this annotator's labels (every annotator's when empty).
    pub annotator: Option<String>,
    /// Only the samples of this data set (every data set's when empty).
    pub dataset_id: Option<i64>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// The format written.
    pub format: ExportFormat,
    /// Rows (lines, for JSONL; data rows, for CSV) written.
    pub rows: u64,
    /// Samples in scope (after the data-set filter).
    pub samples: u64,
    /// Samples in scope that gave no row: for `sft-jsonl`, those without a human-confirmed
    /// label; for `preference-jsonl`, those without a pair; always 0 for the label formats.
    pub skipped: u64,
    /// The file written.
    pub path: PathBuf,
}

/// Why an export failed. Nothing is left at the output path when one does.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Creating, writing or renaming the output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("{}: cannot write CSV: {source}", path.display())]
    Csv {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// The Parquet writer failed.
    #[error("{}: cannot write Parquet: {source}", path.display())]
    Parquet {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A batch of rows could not be assembled for Parquet.
    #[error("{}: cannot build Parquet columns: {source}", path.display())]
    Arrow {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// The options name a run the project does not have.
    #[error("no evaluator run with id {0} in this project")]
    UnknownRun(i64),
    /// The options name an annotator the project does not have.
    #[error("no annotator named `{0}` in this project")]
    UnknownAnnotator(String),
    /// The options name a data set the project does not have.
    #[error("no data set with id {0} in this project")]
    UnknownDataset(i64),
    /// A prompt could not be rendered (a stored template that no longer reads, a missing one).
    #[error("cannot render the prompt: {0}")]
    Template(String),
    /// Reading the project failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `format` to `out` (replacing an existing file only once the export has succeeded).
pub fn export(
    project: &Project,
    format: ExportFormat,
    options: &ExportOptions,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    export_with_progress(project, format, options, out, None)
}

/// [`export`], telling `progress` now and then how many samples are done.
pub fn export_with_progress(
    project: &Project,
    format: ExportFormat,
    options: &ExportOptions,
    out: &Path,
    progress: Option<Box<dyn Fn(u64)>>,
) -> Result<ExportSummary, ExportError> {
    let mut scope = source::Scope::resolve(project, options)?;
    scope.progress = progress;
    let mut output = output::Output::create(out)?;
    let counts = match format {
        ExportFormat::LabelsJsonl => labels::write_jsonl(project, &scope, &mut output)?,
        ExportFormat::LabelsCsv => labels::write_csv(project, &scope, &mut output)?,
        ExportFormat::LabelsParquet => labels::write_parquet(project, &scope, &mut output)?,
        ExportFormat::SftJsonl => sft::write(project, &scope, &mut output)?,
        ExportFormat::PreferenceJsonl => preference::write(project, &scope, &mut output)?,
    };
    output.commit()?;
    Ok(ExportSummary {
        format,
        rows: counts.rows,
        samples: counts.samples,
        skipped: counts.samples - counts.samples_with_rows,
        path: out.to_owned(),
    })
}

/// What a writer counted.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    rows: u64,
    samples: u64,
    samples_with_rows: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in ExportFormat::ALL {
            assert_eq!(format.to_string().parse::<ExportFormat>(), Ok(format));
            let json = serde_json::to_value(format).unwrap();
            assert_eq!(json, format.as_str());
        }
        assert_eq!("SFT_JSONL".parse(), Ok(ExportFormat::SftJsonl));
        let err = "labels-xlsx".parse::<ExportFormat>().unwrap_err();
        assert!(err.to_string().contains("labels-xlsx"));
    }
}
