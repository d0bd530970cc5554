//! Exporting from the UI, and merging project files: the export dialog's preview of the first
//! rows as they would be written, the export itself (to a new file unless replacing was
//! confirmed), and `merge`, which combines the project files of several annotators into a new
//! one. Exports go through fare-io ([`fare_io::export`]); merges through the store
//! ([`fare_store::merge`]). The types here cross to the UI like those of [`crate::api`].
//!
//! Paths name files on the machine running the API (the desktop app's own machine, or the one
//! `fare-lens serve` runs on), given in full: whoever may call the API may write an export or a
//! merged project anywhere that machine's user can write, but never over an existing file
//! unless the request says so (an export; a merge never does).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fare_core::FinalLabel;
use fare_io::export::{self, ExportError, ExportFormat, ExportOptions, ExportSummary};
use fare_store::{MergeSummary, StoreError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject};
use crate::files::FileAccess;

/// How many rows the preview shows.
const PREVIEW_ROWS: usize = 5;

/// The export formats, as the UI names them (fare-io's [`ExportFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormatName {
    /// Every sample with every annotator's label, one JSON object a line.
    LabelsJsonl,
    /// The same as CSV.
    LabelsCsv,
    /// The same as Parquet.
    LabelsParquet,
    /// Chat-format fine-tuning lines from final verdicts.
    SftJsonl,
    /// Chosen / rejected pairs where the final verdict overrules the evaluator.
    PreferenceJsonl,
}

impl From<ExportFormatName> for ExportFormat {
    fn from(name: ExportFormatName) -> Self {
        match name {
            ExportFormatName::LabelsJsonl => ExportFormat::LabelsJsonl,
            ExportFormatName::LabelsCsv => ExportFormat::LabelsCsv,
            ExportFormatName::LabelsParquet => ExportFormat::LabelsParquet,
            ExportFormatName::SftJsonl => ExportFormat::SftJsonl,
            ExportFormatName::PreferenceJsonl => ExportFormat::PreferenceJsonl,
        }
    }
}

/// What to export, and where.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportRequest {
    /// The output file: its full path on the machine running FARE Lens (ignored by the preview).
    #[serde(default)]
    pub path: String,
    /// The format.
    pub format: ExportFormatName,
    /// What counts as a sample's final human verdict (adjudicated by default).
    #[serde(default)]
    #[ts(optional)]
    pub final_label: Option<FinalLabel>,
    /// The evaluator run (each task's newest when absent).
    #[serde(default)]
    #[ts(optional)]
    pub run_id: Option<i64>,
    /// Only this annotator's labels.
    #[serde(default)]
    #[ts(optional)]
    pub annotator: Option<String>,
    /// Only this data set.
    #[serde(default)]
    #[ts(optional)]
    pub dataset_id: Option<i64>,
    /// Replace the file when it exists (otherwise an existing file is an error).
    #[serde(default)]
    pub overwrite: bool,
}

impl ExportRequest {
    fn options(&self) -> ExportOptions {
        ExportOptions {
            run_id: self.run_id,
            annotator: self.annotator.clone().filter(|a| !a.trim().is_empty()),
            dataset_id: self.dataset_id,
            final_label: self.final_label.clone().unwrap_or_default(),
        }
    }
}

/// A count of samples with a reason or a source.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SampleCount {
    /// What.
    pub what: String,
    /// How many samples.
    pub samples: u64,
}

fn counted(map: BTreeMap<String, u64>) -> Vec<SampleCount> {
    map.into_iter()
        .map(|(what, samples)| SampleCount { what, samples })
        .collect()
}

/// What an export wrote (or, in a preview, what the samples read so far gave).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportDone {
    /// The file written.
    pub path: String,
    /// The format.
    pub format: ExportFormatName,
    /// Rows written.
    pub rows: u64,
    /// Samples in scope.
    pub samples: u64,
    /// Samples that gave no row.
    pub skipped: u64,
    /// Why they gave none.
    pub skipped_reasons: Vec<SampleCount>,
    /// What counted as the final verdict.
    pub final_label: FinalLabel,
    /// Samples with a final verdict, by where it came from.
    pub final_sources: Vec<SampleCount>,
    /// Samples without one, by why.
    pub unresolved: Vec<SampleCount>,
}

fn done(summary: ExportSummary, format: ExportFormatName) -> ExportDone {
    ExportDone {
        path: summary.path.display().to_string(),
        format,
        rows: summary.rows,
        samples: summary.samples,
        skipped: summary.skipped,
        skipped_reasons: counted(summary.skipped_reasons),
        final_label: summary.final_label,
        final_sources: counted(summary.final_sources),
        unresolved: counted(summary.unresolved),
    }
}

/// The first rows of an export as they would be written.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportPreviewView {
    /// The format.
    pub format: ExportFormatName,
    /// The CSV header line (CSV only).
    pub header: Option<String>,
    /// Each row's text as written (Parquet: the row read back, as JSON).
    pub rows: Vec<String>,
    /// The counts of the samples read to find these rows (not of the whole export).
    pub so_far: ExportDone,
}

/// Project files to merge into a new one.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct MergeRequest {
    /// The new project file (must not exist), full path.
    pub output: String,
    /// The project files to combine (two or more), full paths.
    pub inputs: Vec<String>,
}

/// What one file brought into a merge.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MergedFile {
    /// The file.
    pub path: String,
    /// Data sets, samples, runs, judgments, annotators, annotation events and adjudications it
    /// added (the first file: all it holds).
    pub datasets: u64,
    /// Samples added.
    pub samples: u64,
    /// Runs added.
    pub runs: u64,
    /// Judgments added.
    pub judgments: u64,
    /// Annotators added.
    pub annotators: u64,
    /// Annotation events added.
    pub events: u64,
    /// Its events that were there already.
    pub duplicate_events: u64,
    /// Adjudications added.
    pub adjudications: u64,
}

/// What a merge wrote.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MergeDone {
    /// The new project file.
    pub output: String,
    /// Each input, in order.
    pub inputs: Vec<MergedFile>,
    /// The annotators of the merged project.
    pub annotators: Vec<String>,
}

impl From<MergeSummary> for MergeDone {
    fn from(s: MergeSummary) -> Self {
        MergeDone {
            output: s.output.display().to_string(),
            inputs: s
                .inputs
                .into_iter()
                .map(|i| MergedFile {
                    path: i.path.display().to_string(),
                    datasets: i.datasets,
                    samples: i.samples,
                    runs: i.runs,
                    judgments: i.judgments,
                    annotators: i.annotators,
                    events: i.events,
                    duplicate_events: i.duplicate_events,
                    adjudications: i.adjudications,
                })
                .collect(),
            annotators: s.annotators,
        }
    }
}

fn full_path(text: &str, what: &str) -> Result<PathBuf, ApiError> {
    let path = PathBuf::from(text.trim());
    if text.trim().is_empty() {
        return Err(ApiError::Invalid(format!("give the {what}'s path")));
    }
    if !path.is_absolute() {
        return Err(ApiError::Invalid(format!(
            "{}: give the {what}'s full path (it is a path on the machine running FARE Lens)",
            path.display()
        )));
    }
    Ok(path)
}

fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::Store(s) => ApiError::Store(s),
        other => ApiError::Invalid(other.to_string()),
    }
}

/// Merges project files into a new one (see [`fare_store::merge`]), reading and writing only
/// what `files` allows; `project`, the open one if any, is never the output.
pub fn merge(
    request: &MergeRequest,
    files: &FileAccess,
    project: Option<&Path>,
) -> Result<MergeDone, ApiError> {
    let output = full_path(&request.output, "merged project")?;
    let output = files.writable(&output, project, false)?;
    let inputs = request
        .inputs
        .iter()
        .map(|p| {
            let input = full_path(p, "project file")?;
            files.readable(&input, project)?;
            Ok(input)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    fare_store::merge(&output, &inputs)
        .map(Into::into)
        .map_err(|e| match e {
            // Every store error of a merge is about the files the person named.
            StoreError::Sqlite(_) | StoreError::Corrupt(_) => ApiError::Store(e),
            other => ApiError::Invalid(other.to_string()),
        })
}

impl OpenProject {
    /// The first rows of an export as they would be written, and what the samples read so far
    /// gave.
    pub fn export_preview(&self, request: &ExportRequest) -> Result<ExportPreviewView, ApiError> {
        let preview = export::preview(
            self.project(),
            request.format.into(),
            &request.options(),
            PREVIEW_ROWS,
        )
        .map_err(export_error)?;
        let mut so_far = done(preview.partial, request.format);
        so_far.path = String::new();
        Ok(ExportPreviewView {
            format: request.format,
            header: preview.header,
            rows: preview.rows,
            so_far,
        })
    }

    /// Writes the export; an existing file is replaced only when the request says so.
    pub fn export(&self, request: &ExportRequest) -> Result<ExportDone, ApiError> {
        let path = full_path(&request.path, "export")?;
        let target = self
            .files()
            .writable(&path, Some(self.project().path()), request.overwrite)
            .map_err(|e| match e {
                ApiError::Invalid(m) if m.ends_with("own file") => {
                    ApiError::Invalid(format!("{m}; choose another file to export to"))
                }
                other => other,
            })?;
        let write = if request.overwrite {
            export::export
        } else {
            export::export_new
        };
        let summary = write(
            self.project(),
            request.format.into(),
            &request.options(),
            &path,
        )
        .map_err(export_error)?;
        self.files().wrote(&target);
        Ok(done(summary, request.format))
    }
}
