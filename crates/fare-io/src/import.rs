//! The import pipeline: one file into a project, all or nothing.
//!
//! 1. Hash the file (sha256). A file already in the project is a no-op that says so.
//! 2. Look at its start ([`crate::read::sniff`]): empty, binary and unknown files stop here.
//! 3. Recognise the format from the first record (or take `--format`), or use the mapping.
//! 4. Stream every record into one store transaction ([`fare_store::ImportWriter`]). The first
//!    bad record stops the import and nothing of the file is written, unless `skip_invalid` is
//!    set: then bad records are reported one by one and the good ones imported.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use fare_store::{DatasetInfo, Project};
use sha2::{Digest, Sha256};

use crate::error::ImportError;
use crate::formats::label_counts::LabelDistribution;
use crate::formats::{self, Format, LabelValue, Mapping, RecordContext};
use crate::read::{self, Container, DEFAULT_MAX_RECORD_BYTES};

/// How to import a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The format, when not detected.
    pub format: Option<Format>,
    /// The field mapping for unknown schemas.
    pub mapping: Option<Mapping>,
    /// Import the good records and report the bad ones instead of stopping.
    pub skip_invalid: bool,
    /// The limit on one record's size.
    pub max_record_bytes: usize,
    /// The data set's name (the file's stem when absent). A labels export names its own.
    pub dataset_name: Option<String>,
    /// Go through every check of the import and count what it would write, then write nothing.
    pub dry_run: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            mapping: None,
            skip_invalid: false,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            dataset_name: None,
            dry_run: false,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// The file as named.
    pub file: String,
    /// The format it was read as.
    pub format: Format,
    /// How its records are laid out.
    pub container: Container,
    /// The data set written, or the one already holding this file.
    pub dataset: DatasetInfo,
    /// True when the file was already in the project and nothing was written.
    pub already_imported: bool,
    /// Records skipped with `skip_invalid`, each with its reason.
    pub skipped: Vec<ImportError>,
    /// The labels the import gives its samples (ground truth, each annotator's column).
    pub labels: LabelDistribution,
    /// A dry run: nothing was written (`dataset` is what would have been, its id included).
    pub dry_run: bool,
}

/// sha256 of a file, in hex.
pub fn file_hash(path: &Path, file: &str) -> Result<String, ImportError> {
    let handle =
        File::open(path).map_err(|e| ImportError::file(file, format!("cannot open: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 16, handle);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| ImportError::file(file, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        }))
}

/// Imports one file. `progress` is called with the number of records read so far.
pub fn import_file(
    project: &mut Project,
    path: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let file = path.display().to_string();
    let store_error = |e: fare_store::StoreError| ImportError::file(&file, e.to_string());
    let hash = file_hash(path, &file)?;
    let container = read::sniff(path, &file, options.max_record_bytes)?;
    if let Some(existing) = project.dataset_by_hash(&hash).map_err(store_error)? {
        return Ok(ImportReport {
            file,
            format: existing.format.parse().unwrap_or(Format::Mapped),
            container,
            dataset: existing,
            already_imported: true,
            skipped: Vec::new(),
            labels: LabelDistribution::default(),
            dry_run: options.dry_run,
        });
    }
    let format = match (options.format, &options.mapping) {
        (Some(format), _) => format,
        (None, Some(_)) => Format::Mapped,
        (None, None) => detect_format(path, &file, container, options.max_record_bytes)?,
    };
    let mapping = match format {
        Format::Mapped => Some(options.mapping.clone().ok_or_else(|| {
            ImportError::file(
                &file,
                "format `mapped` needs a field mapping (--map TARGET=FIELD or --mapping FILE)",
            )
        })?),
        _ => None,
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("data")
        .to_owned();
    let name = options
        .dataset_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&stem)
        .to_owned();
    let dataset = fare_store::NewDataset {
        name,
        source_file: file.clone(),
        format: format.as_str().to_owned(),
        content_hash: hash,
        mapping: mapping.as_ref().and_then(|m| serde_json::to_string(m).ok()),
    };
    let mut writer = project.begin_import(&dataset).map_err(store_error)?;
    let mut skipped = Vec::new();
    let mut labels = LabelDistribution::default();
    let mut records = 0u64;
    let skip_invalid = options.skip_invalid;
    // Labels exports: the previous row's (data set, sample id, project id), since the rows of
    // one sample (one per annotator) follow each other.
    let mut previous: Option<(String, String, i64)> = None;
    let mut handle = |record: Result<read::RawRecord, ImportError>| -> read::Step {
        records += 1;
        if records.is_multiple_of(1024) {
            progress(records);
        }
        let result = record.and_then(|mut record| {
            if format == Format::Labels && matches!(container, Container::Csv { .. }) {
                formats::labels::undefuse_csv_record(&mut record.value);
            }
            let at = record.at;
            let cx = RecordContext {
                index: at.record.unwrap_or(records - 1),
                file_stem: &stem,
            };
            let store_error = |e: fare_store::StoreError| match e {
                // The location is already in the message's prefix.
                fare_store::StoreError::DuplicateSample { external_id, .. } => ImportError::record(
                    &file,
                    at,
                    None,
                    format!("id `{external_id}` appears twice in this file"),
                ),
                e => ImportError::record(&file, at, None, e.to_string()),
            };
            if format == Format::Labels {
                let object = record
                    .value
                    .as_object()
                    .ok_or_else(|| ImportError::record(&file, at, None, "expected an object"))?;
                let row = formats::labels::row(object).map_err(|e| e.at(&file, at))?;
                let same_sample = previous.as_ref().filter(|(dataset, external_id, _)| {
                    *dataset == row.dataset && *external_id == row.sample.external_id
                });
                labels.add_labels_row(&row, same_sample.is_none());
                let sample_id = if let Some((_, _, id)) = same_sample {
                    *id
                } else {
                    writer
                        .select_dataset(&row.dataset, &row.source_file)
                        .map_err(store_error)?;
                    let id = writer
                        .add(row.record_index, &row.sample, &[])
                        .map_err(store_error)?;
                    if row.gold_tie {
                        writer.mark_gold_tie(id).map_err(store_error)?;
                    }
                    previous = Some((row.dataset.clone(), row.sample.external_id.clone(), id));
                    id
                };
                if let Some(l) = &row.label {
                    writer
                        .add_label(
                            sample_id,
                            &l.annotator,
                            &l.label,
                            &l.first_at,
                            &l.updated_at,
                        )
                        .map_err(store_error)?;
                }
                return Ok(());
            }
            let converted = formats::convert(format, mapping.as_ref(), &record.value, cx)
                .map_err(|e| e.at(&file, at))?;
            for c in converted {
                let sample_id = writer
                    .add(cx.index, &c.sample, &c.step_ratings)
                    .map_err(store_error)?;
                if c.gold_tie {
                    writer.mark_gold_tie(sample_id).map_err(store_error)?;
                }
                for label in &c.annotator_labels {
                    // A tie by an annotator is no verdict to record: counted, not labelled.
                    if let Some(LabelValue::Verdict(verdict)) = label.label {
                        writer
                            .add_annotator_verdict(sample_id, &label.annotator, verdict)
                            .map_err(store_error)?;
                    }
                }
                labels.add(&c);
            }
            Ok(())
        });
        match result {
            Err(e) if skip_invalid && e.record_level => {
                skipped.push(e);
                Ok(())
            }
            other => other,
        }
    };
    let total = read::read_records(
        path,
        &file,
        container,
        options.max_record_bytes,
        &mut handle,
    )?;
    progress(total);
    if total == 0 {
        return Err(ImportError::file(&file, "the file holds no records"));
    }
    if skipped.len() as u64 == total {
        return Err(ImportError::file(
            &file,
            format!(
                "none of the {total} records is valid; the first problem: {}",
                skipped[0]
            ),
        ));
    }
    let skipped_count = skipped.len() as u64;
    let dataset = if options.dry_run {
        writer.finish_without_writing(total, skipped_count)
    } else {
        writer.finish(total, skipped_count)
    }
    .map_err(store_error)?;
    Ok(ImportReport {
        file,
        format,
        container,
        dataset,
        already_imported: false,
        skipped,
        labels,
        dry_run: options.dry_run,
    })
}

/// The labels that every record of a file gets when read as `format` (through `mapping`), counted
/// without a project: what the import preview shows. The records that cannot be converted are
/// counted, not reported (the preview and the import report them).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LabelSurvey {
    /// Records read.
    pub records: u64,
    /// Samples they become.
    pub samples: u64,
    /// Records that cannot be converted.
    pub invalid: u64,
    /// The labels of the samples.
    pub labels: LabelDistribution,
}

/// Reads every record of a file through the import's conversion and counts the labels it gives.
pub fn survey_labels(
    path: &Path,
    file: &str,
    container: Container,
    format: Format,
    mapping: Option<&Mapping>,
) -> Result<LabelSurvey, ImportError> {
    let mut survey = LabelSurvey::default();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("data")
        .to_owned();
    let mut previous: Option<(String, String)> = None;
    let records = read::read_records(
        path,
        file,
        container,
        DEFAULT_MAX_RECORD_BYTES,
        &mut |record| {
            let index = survey.records;
            survey.records += 1;
            let Ok(mut record) = record else {
                survey.invalid += 1;
                return Ok(());
            };
            if format == Format::Labels && matches!(container, Container::Csv { .. }) {
                formats::labels::undefuse_csv_record(&mut record.value);
            }
            let cx = RecordContext {
                index: record.at.record.unwrap_or(index),
                file_stem: &stem,
            };
            if format == Format::Labels {
                // One row per annotator of a sample, the rows of a sample together.
                let Some(row) = record
                    .value
                    .as_object()
                    .and_then(|o| formats::labels::row(o).ok())
                else {
                    survey.invalid += 1;
                    return Ok(());
                };
                let key = (row.dataset.clone(), row.sample.external_id.clone());
                let first = previous.as_ref() != Some(&key);
                survey.samples += u64::from(first);
                survey.labels.add_labels_row(&row, first);
                previous = Some(key);
                return Ok(());
            }
            match formats::convert(format, mapping, &record.value, cx) {
                Ok(converted) => {
                    for c in &converted {
                        survey.samples += 1;
                        survey.labels.add(c);
                    }
                }
                Err(_) => survey.invalid += 1,
            }
            Ok(())
        },
    );
    records?;
    Ok(survey)
}

/// Reads the first record and recognises its format.
fn detect_format(
    path: &Path,
    file: &str,
    container: Container,
    max_record_bytes: usize,
) -> Result<Format, ImportError> {
    let mut first = None;
    let result = read::read_records(path, file, container, max_record_bytes, &mut |record| {
        first = Some(record);
        // Stop after one record.
        Err(ImportError::file(file, ""))
    });
    match first {
        Some(Ok(record)) => formats::detect(&record.value).ok_or_else(|| {
            let fields = record
                .value
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            ImportError::file(
                file,
                format!(
                    "the records are of no known data set (fields: {fields}); give a field mapping, e.g. --map question=FIELD --map steps=FIELD --map label=FIELD"
                ),
            )
        }),
        Some(Err(e)) => Err(e),
        None => Err(result.err().unwrap_or_else(|| ImportError::file(file, "the file holds no records"))),
    }
}
