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
//! [`ExportOptions`] choose the evaluator run (the newest by default), one annotator, one data
//! set, and what counts as a sample's final human verdict ([`FinalLabel`]: the adjudicated
//! verdict, else the one every annotator agrees on, by default; the majority; one annotator's).
//! Retraining sets are built from the final verdict; the labels formats write every
//! annotator's label and the final verdict beside it. [`ExportSummary`] counts the rows, the
//! final verdicts by source, the samples without one and why, and the samples in scope that
//! gave no row and why.
//!
//! [`export_new`] refuses to replace an existing file (what the UI uses); [`preview`] writes the
//! first rows to a temporary file and reads them back as text.

pub mod labels;
mod output;
pub mod preference;
pub mod sft;
mod source;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use fare_core::{FinalLabel, Resolved};
use fare_store::{Project, StoreError};
use serde::{Deserialize, Serialize};

use source::Final;

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
    /// What counts as a sample's final human verdict (from the labels in scope).
    #[serde(default)]
    pub final_label: FinalLabel,
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
    /// Samples in scope that gave no row: for `sft-jsonl`, those without a final verdict; for
    /// `preference-jsonl`, those without a pair; always 0 for the label formats.
    pub skipped: u64,
    /// Why samples gave no row, with how many each.
    pub skipped_reasons: BTreeMap<String, u64>,
    /// What counted as the final verdict.
    pub final_label: FinalLabel,
    /// Samples in scope with a final verdict, by where it came from (`adjudicated`,
    /// `unanimous`, `majority`, `annotator`).
    pub final_sources: BTreeMap<String, u64>,
    /// Samples in scope without a final verdict, by why.
    pub unresolved: BTreeMap<String, u64>,
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
    /// The output exists and the export was told not to replace it.
    #[error("{}: the file exists; choose another name or confirm that it may be replaced", .0.display())]
    Exists(PathBuf),
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
    run(project, format, options, out, progress, true)
}

/// [`export`] to a file that must not exist yet: [`ExportError::Exists`] when it does (checked
/// before and, without replacing, when the file is moved into place).
pub fn export_new(
    project: &Project,
    format: ExportFormat,
    options: &ExportOptions,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    if out.exists() {
        return Err(ExportError::Exists(out.to_owned()));
    }
    run(project, format, options, out, None, false)
}

fn run(
    project: &Project,
    format: ExportFormat,
    options: &ExportOptions,
    out: &Path,
    progress: Option<Box<dyn Fn(u64)>>,
    replace: bool,
) -> Result<ExportSummary, ExportError> {
    let mut scope = source::Scope::resolve(project, options)?;
    scope.progress = progress;
    let mut output = output::Output::create(out)?;
    let counts = write(project, format, &scope, &mut output)?;
    if replace {
        output.commit()?;
    } else {
        output.commit_new()?;
    }
    Ok(counts.summary(format, options, out))
}

fn write(
    project: &Project,
    format: ExportFormat,
    scope: &source::Scope,
    output: &mut output::Output,
) -> Result<Counts, ExportError> {
    match format {
        ExportFormat::LabelsJsonl => labels::write_jsonl(project, scope, output),
        ExportFormat::LabelsCsv => labels::write_csv(project, scope, output),
        ExportFormat::LabelsParquet => labels::write_parquet(project, scope, output),
        ExportFormat::SftJsonl => sft::write(project, scope, output),
        ExportFormat::PreferenceJsonl => preference::write(project, scope, output),
    }
}

/// The first rows of an export, as they would be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportPreview {
    /// The format.
    pub format: ExportFormat,
    /// The CSV header line, for `labels-csv`.
    pub header: Option<String>,
    /// Each row's text as written: a JSON line, a CSV record (which may span lines); for
    /// Parquet, the row read back from the written file as a JSON object.
    pub rows: Vec<String>,
    /// Samples looked at to find them (a retraining set skips samples without a row).
    pub samples_read: u64,
    /// The counts of the samples read (not of the whole export).
    pub partial: ExportSummary,
}

/// Writes the first `rows` rows of an export to a temporary file, reads them back and removes
/// the file.
pub fn preview(
    project: &Project,
    format: ExportFormat,
    options: &ExportOptions,
    rows: usize,
) -> Result<ExportPreview, ExportError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "fare-lens-preview-{}-{n}.{}",
        std::process::id(),
        format.extension()
    ));
    let mut scope = source::Scope::resolve(project, options)?;
    scope.max_rows = Some(rows as u64);
    let mut output = output::Output::create(&path)?;
    let counts = write(project, format, &scope, &mut output)?;
    output.commit()?;
    let read = read_back(format, &path, rows);
    // Best effort: a preview file left in the temporary folder harms nobody.
    let _ = std::fs::remove_file(&path);
    let (header, texts) = read?;
    Ok(ExportPreview {
        format,
        header,
        rows: texts,
        samples_read: counts.samples,
        partial: counts.summary(format, options, &path),
    })
}

/// The rows of a written export file as text.
fn read_back(
    format: ExportFormat,
    path: &Path,
    rows: usize,
) -> Result<(Option<String>, Vec<String>), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_owned(),
        source,
    };
    match format {
        ExportFormat::LabelsJsonl | ExportFormat::SftJsonl | ExportFormat::PreferenceJsonl => {
            let text = std::fs::read_to_string(path).map_err(io)?;
            Ok((None, text.lines().take(rows).map(str::to_owned).collect()))
        }
        ExportFormat::LabelsCsv => {
            let text = std::fs::read_to_string(path).map_err(io)?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            let mut record = csv::StringRecord::new();
            let mut records = Vec::new();
            let mut start = 0usize;
            loop {
                let more = reader
                    .read_record(&mut record)
                    .map_err(|source| ExportError::Csv {
                        path: path.to_owned(),
                        source,
                    })?;
                if !more {
                    break;
                }
                let end = usize::try_from(reader.position().byte()).unwrap_or(text.len());
                let slice = text.get(start..end).unwrap_or_default();
                records.push(slice.trim_end_matches(['\r', '\n']).to_owned());
                start = end;
            }
            let mut records = records.into_iter();
            let header = records.next();
            Ok((header, records.take(rows).collect()))
        }
        ExportFormat::LabelsParquet => {
            let mut out = Vec::new();
            let file = path.display().to_string();
            crate::read::read_records(
                path,
                &file,
                crate::read::Container::Parquet,
                crate::read::DEFAULT_MAX_RECORD_BYTES,
                &mut |record| {
                    if let Ok(record) = record
                        && out.len() < rows
                    {
                        out.push(record.value.to_string());
                    }
                    Ok(())
                },
            )
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
            Ok((None, out))
        }
    }
}

/// What a writer counted.
#[derive(Debug, Clone, Default)]
struct Counts {
    rows: u64,
    samples: u64,
    samples_with_rows: u64,
    skipped_reasons: BTreeMap<&'static str, u64>,
    final_sources: BTreeMap<&'static str, u64>,
    unresolved: BTreeMap<&'static str, u64>,
}

impl Counts {
    /// Counts a sample's final verdict (once per sample).
    fn tally(&mut self, final_: &Final) {
        match &final_.resolved {
            Resolved::Verdict { source, .. } => {
                *self.final_sources.entry(source.as_str()).or_insert(0) += 1;
            }
            Resolved::None(why) => *self.unresolved.entry(why.as_str()).or_insert(0) += 1,
        }
    }

    /// Counts a sample that gave no row.
    fn skip(&mut self, reason: &'static str) {
        *self.skipped_reasons.entry(reason).or_insert(0) += 1;
    }

    fn summary(self, format: ExportFormat, options: &ExportOptions, out: &Path) -> ExportSummary {
        let text = |m: BTreeMap<&'static str, u64>| {
            m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
        };
        ExportSummary {
            format,
            rows: self.rows,
            samples: self.samples,
            skipped: self.samples - self.samples_with_rows,
            skipped_reasons: text(self.skipped_reasons),
            final_label: options.final_label.clone(),
            final_sources: text(self.final_sources),
            unresolved: text(self.unresolved),
            path: out.to_owned(),
        }
    }
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
