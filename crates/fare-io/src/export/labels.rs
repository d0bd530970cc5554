//! The labels export: every sample with its ground truth, the evaluator's verdict and the human
//! labels, as JSONL, CSV or Parquet.
//!
//! # Rows
//!
//! One row per sample and annotator who labelled it (a label that holds nothing, such as one
//! cleared or fully undone, does not count), in sample-id order and then by annotator name. A
//! sample nobody labelled (or, with an annotator chosen, that annotator did not label) still gets
//! **one** row, whose human fields (`annotator` to `annotated_at`) are all null.
//!
//! # Columns
//!
//! [`LABEL_COLUMNS`], in this order, identical in the three formats:
//!
//! | column | content |
//! |---|---|
//! | `fare_lens_export` | always [`LABELS_FORMAT`] (`labels/1`); the importer recognises the file by it |
//! | `dataset`, `source_file` | the data set's name and the file it was imported from |
//! | `record_index`, `external_id` | the record number in that file (from 0) and the data set's id |
//! | `task`, `source`, `question` | the task name, where in the data set, the problem |
//! | `steps` | the steps of a step-level sample (null for other tasks) |
//! | `response`, `response_a`, `response_b`, `reference`, `rubric` | the task's fields, null where the task has none |
//! | `metadata` | the record's further fields, a JSON object |
//! | `ground_truth` | the data set's verdict, canonical, `tie` for a pairwise tie, or null |
//! | `run_id`, `model`, `template`, `template_hash` | the evaluator run; null when the run did not judge the sample |
//! | `evaluator_state` | `parsed`, `unparseable`, `truncated`, or null when not judged |
//! | `evaluator_verdict`, `evaluator_critique` | the parsed verdict (canonical) and the explanation |
//! | `evaluator_agrees_with_gold` | verdict = ground truth (false for no verdict); null without both a judgment and ground truth |
//! | `annotator`, `decision` | who; `accepted`, `corrected`, or null when the label has no verdict (tags or a note only) |
//! | `human_verdict`, `wrong_reason` | the human verdict (canonical) and the "right verdict, wrong reason" mark |
//! | `tags`, `note` | failure-mode tags (sorted) and the note |
//! | `human_agrees_with_evaluator` | human verdict = the evaluator's (false when the evaluator gave none); null without both |
//! | `human_agrees_with_gold` | human verdict = ground truth; null without both |
//! | `first_annotated_at`, `annotated_at` | the annotator's first and latest event on the sample (RFC 3339 UTC) |
//! | `final_verdict`, `final_source` | the sample's final human verdict under the export's choice and where it came from (`adjudicated`, `unanimous`, `majority`, `annotator`); the same on every row of the sample, null when it has none |
//!
//! Verdicts are canonical text: `A` / `B`, a step index or `-1`, `correct` / `incorrect`, an
//! integer rating. Pairwise verdicts are in the data's labels even when the evaluator saw A and
//! B swapped. The evaluator columns come from the run's first original-order judgment
//! (`response_order = 'original' AND attempt = 0`).
//!
//! # Encodings
//!
//! - JSONL: one object a line; `steps` and `tags` are arrays, `metadata` an object, nulls `null`.
//! - CSV: a header row; `steps` and `metadata` are JSON text, `tags` joined with `;`, booleans
//!   `true` / `false`, and null is an empty field (so CSV cannot tell null from empty text).
//! - Parquet: `record_index` and `run_id` are int64, booleans boolean, `steps` and `tags`
//!   `list<utf8>`, `metadata` JSON text, everything else utf8; written zstd-compressed in
//!   batches of [`PARQUET_BATCH_ROWS`] rows.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use fare_core::sample::Content;
use fare_core::{Decision, Resolved, Sample, Verdict};
use fare_store::{Project, StoredLabel};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;

use super::output::Output;
use super::source::Scope;
use super::{Counts, ExportError};

/// The value of the `fare_lens_export` column: this export and its version.
pub const LABELS_FORMAT: &str = "labels/1";

/// The columns of the labels export, in order.
pub const LABEL_COLUMNS: [&str; 36] = [
    "fare_lens_export",
    "dataset",
    "source_file",
    "record_index",
    "external_id",
    "task",
    "source",
    "question",
    "steps",
    "response",
    "response_a",
    "response_b",
    "reference",
    "rubric",
    "metadata",
    "ground_truth",
    "run_id",
    "model",
    "template",
    "template_hash",
    "evaluator_state",
    "evaluator_verdict",
    "evaluator_critique",
    "evaluator_agrees_with_gold",
    "annotator",
    "decision",
    "human_verdict",
    "wrong_reason",
    "tags",
    "note",
    "human_agrees_with_evaluator",
    "human_agrees_with_gold",
    "first_annotated_at",
    "annotated_at",
    "final_verdict",
    "final_source",
];

/// Rows per Parquet record batch.
pub const PARQUET_BATCH_ROWS: usize = 4096;

/// One row of the labels export; the fields are [`LABEL_COLUMNS`] in order.
#[derive(Debug, Clone, Serialize)]
struct LabelRow {
    fare_lens_export: &'static str,
    dataset: String,
    source_file: String,
    record_index: i64,
    external_id: String,
    task: &'static str,
    source: Option<String>,
    question: String,
    steps: Option<Vec<String>>,
    response: Option<String>,
    response_a: Option<String>,
    response_b: Option<String>,
    reference: Option<String>,
    rubric: Option<String>,
    metadata: serde_json::Map<String, serde_json::Value>,
    ground_truth: Option<String>,
    run_id: Option<i64>,
    model: Option<String>,
    template: Option<String>,
    template_hash: Option<String>,
    evaluator_state: Option<String>,
    evaluator_verdict: Option<String>,
    evaluator_critique: Option<String>,
    evaluator_agrees_with_gold: Option<bool>,
    annotator: Option<String>,
    decision: Option<&'static str>,
    human_verdict: Option<String>,
    wrong_reason: Option<bool>,
    tags: Option<Vec<String>>,
    note: Option<String>,
    human_agrees_with_evaluator: Option<bool>,
    human_agrees_with_gold: Option<bool>,
    first_annotated_at: Option<String>,
    annotated_at: Option<String>,
    final_verdict: Option<String>,
    final_source: Option<&'static str>,
}

/// The task's own fields of a sample: (steps, response, response_a, response_b, reference,
/// rubric).
type TaskFields = (
    Option<Vec<String>>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn task_fields(content: Content) -> TaskFields {
    match content {
        Content::Pairwise {
            response_a,
            response_b,
        } => (None, None, Some(response_a), Some(response_b), None, None),
        Content::StepLevel { steps } => (Some(steps), None, None, None, None, None),
        Content::ReferenceFree { response } => (None, Some(response), None, None, None, None),
        Content::ReferenceBased {
            response,
            reference,
        } => (None, Some(response), None, None, Some(reference), None),
        Content::Rating {
            response,
            rubric,
            reference,
        } => (None, Some(response), None, None, reference, rubric),
    }
}

/// Builds the rows of one sample and hands them to `emit`; returns how many.
fn sample_rows(
    project: &Project,
    scope: &Scope,
    sample_id: i64,
    counts: &mut Counts,
    mut emit: impl FnMut(LabelRow) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let stored = project.sample(sample_id)?;
    let names = scope.dataset(stored.dataset_id)?;
    let evaluator = scope.evaluator(project, sample_id)?;
    let labels = scope.labels(project, sample_id)?;
    let final_ = scope.final_of(project, sample_id, &labels)?;
    counts.tally(&final_);
    let (final_verdict, final_source) = match final_.resolved {
        Resolved::Verdict { verdict, source } => (Some(verdict.canonical()), Some(source.as_str())),
        Resolved::None(_) => (None, None),
    };
    let Sample {
        external_id,
        source,
        question,
        content,
        gold,
        metadata,
    } = stored.sample;
    let task = content.task().as_str();
    let (steps, response, response_a, response_b, reference, rubric) = task_fields(content);
    // A tie is written as `tie`, which no verdict agrees with or not.
    let gold_verdict = gold.map(Verdict::canonical);
    let gold = match (&gold_verdict, stored.gold_tie) {
        (None, true) => Some(fare_store::GOLD_TIE.to_owned()),
        _ => gold_verdict.clone(),
    };
    let judged = evaluator.is_some();
    let run = evaluator.as_ref().and_then(|e| scope.run(e.run_id));
    let (state, verdict, critique, agrees_with_gold) = match evaluator {
        Some(e) => (
            Some(e.state),
            e.verdict,
            Some(e.critique),
            e.agrees_with_gold,
        ),
        None => (None, None, None, None),
    };
    let base = LabelRow {
        fare_lens_export: LABELS_FORMAT,
        dataset: names.name.clone(),
        source_file: names.source_file.clone(),
        record_index: stored.record_index,
        external_id,
        task,
        source,
        question,
        steps,
        response,
        response_a,
        response_b,
        reference,
        rubric,
        metadata,
        ground_truth: gold,
        run_id: run.map(|r| r.id),
        model: run.map(|r| r.model.clone()),
        template: run.and_then(|r| r.template_name.clone()),
        template_hash: run.and_then(|r| r.template_hash.clone()),
        evaluator_state: state,
        evaluator_verdict: verdict,
        evaluator_critique: critique,
        evaluator_agrees_with_gold: agrees_with_gold,
        annotator: None,
        decision: None,
        human_verdict: None,
        wrong_reason: None,
        tags: None,
        note: None,
        human_agrees_with_evaluator: None,
        human_agrees_with_gold: None,
        first_annotated_at: None,
        annotated_at: None,
        final_verdict,
        final_source,
    };
    if labels.is_empty() {
        emit(base)?;
        return Ok(1);
    }
    let count = labels.len() as u64;
    for StoredLabel {
        annotator,
        label,
        first_at,
        updated_at,
        ..
    } in labels
    {
        let human = label.verdict.map(Verdict::canonical);
        let agrees_with_evaluator = match (&human, judged) {
            (Some(h), true) => Some(base.evaluator_verdict.as_ref() == Some(h)),
            _ => None,
        };
        let agrees_with_gold = match (&human, &gold_verdict) {
            (Some(h), Some(g)) => Some(h == g),
            _ => None,
        };
        let decision = match label.decision {
            Decision::Accepted => Some("accepted"),
            Decision::Corrected => Some("corrected"),
            Decision::Unreviewed => None,
        };
        emit(LabelRow {
            annotator: Some(annotator),
            decision,
            human_verdict: human,
            wrong_reason: Some(label.wrong_reason),
            tags: Some(label.tags.into_iter().collect()),
            note: label.note,
            human_agrees_with_evaluator: agrees_with_evaluator,
            human_agrees_with_gold: agrees_with_gold,
            first_annotated_at: Some(first_at),
            annotated_at: Some(updated_at),
            ..base.clone()
        })?;
    }
    Ok(count)
}

/// Walks the samples in scope, giving every row to `emit`.
fn each_row(
    project: &Project,
    scope: &Scope,
    mut emit: impl FnMut(LabelRow) -> Result<(), ExportError>,
) -> Result<Counts, ExportError> {
    let mut counts = Counts::default();
    let samples = scope.for_each_sample(project, |id| {
        let rows = sample_rows(project, scope, id, &mut counts, &mut emit)?;
        counts.rows += rows;
        scope.wrote(rows);
        Ok(())
    })?;
    counts.samples = samples;
    counts.samples_with_rows = samples;
    Ok(counts)
}

/// Writes the labels as JSON lines.
pub(super) fn write_jsonl(
    project: &Project,
    scope: &Scope,
    out: &mut Output,
) -> Result<Counts, ExportError> {
    let mut line = Vec::new();
    each_row(project, scope, |row| {
        line.clear();
        serde_json::to_writer(&mut line, &row).map_err(|e| out.io_error(e.into()))?;
        line.push(b'\n');
        out.write_all(&line)
    })
}

/// The CSV text of a row, in column order (null as an empty field).
/// A CSV cell a spreadsheet will not run: one starting `=`, `+`, `-`, `@`, a tab or a carriage
/// return (a formula to Excel and LibreOffice) gets a leading `'`, unless it is a plain number
/// (`-1`, a step verdict); so does one already starting with `'`, so that reading the export
/// back ([`crate::formats::labels::undefused`]) takes exactly one `'` off and loses nothing.
pub fn defused(cell: String) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = cell.parse::<f64>().is_ok();
    if cell.starts_with('\'') || (risky && !number) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn csv_record(row: LabelRow) -> [String; 36] {
    csv_cells(row).map(defused)
}

fn csv_cells(row: LabelRow) -> [String; 36] {
    let text = |v: Option<String>| v.unwrap_or_default();
    let flag = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
    [
        row.fare_lens_export.to_owned(),
        row.dataset,
        row.source_file,
        row.record_index.to_string(),
        row.external_id,
        row.task.to_owned(),
        text(row.source),
        row.question,
        row.steps.map(|s| json_text(&s)).unwrap_or_default(),
        text(row.response),
        text(row.response_a),
        text(row.response_b),
        text(row.reference),
        text(row.rubric),
        json_text(&row.metadata),
        text(row.ground_truth),
        row.run_id.map(|id| id.to_string()).unwrap_or_default(),
        text(row.model),
        text(row.template),
        text(row.template_hash),
        text(row.evaluator_state),
        text(row.evaluator_verdict),
        text(row.evaluator_critique),
        flag(row.evaluator_agrees_with_gold),
        text(row.annotator),
        row.decision.unwrap_or_default().to_owned(),
        text(row.human_verdict),
        flag(row.wrong_reason),
        row.tags.map(|t| t.join(";")).unwrap_or_default(),
        text(row.note),
        flag(row.human_agrees_with_evaluator),
        flag(row.human_agrees_with_gold),
        text(row.first_annotated_at),
        text(row.annotated_at),
        text(row.final_verdict),
        row.final_source.unwrap_or_default().to_owned(),
    ]
}

/// Compact JSON text of a value CSV and Parquet store as JSON (string lists and JSON objects,
/// whose serialisation cannot fail).
fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Writes the labels as CSV with a header row.
pub(super) fn write_csv(
    project: &Project,
    scope: &Scope,
    out: &mut Output,
) -> Result<Counts, ExportError> {
    let path = out.path().to_owned();
    let csv_error = |source| ExportError::Csv {
        path: path.clone(),
        source,
    };
    let mut writer = csv::Writer::from_writer(out.writer());
    writer.write_record(LABEL_COLUMNS).map_err(csv_error)?;
    let counts = each_row(project, scope, |row| {
        writer.write_record(csv_record(row)).map_err(csv_error)
    })?;
    writer.flush().map_err(|source| ExportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(counts)
}

/// The Arrow schema of the Parquet export.
fn schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let list =
        |name: &str| Field::new_list(name, Field::new_list_field(DataType::Utf8, true), true);
    let fields: Vec<Field> = LABEL_COLUMNS
        .iter()
        .map(|&name| match name {
            "record_index" => Field::new(name, DataType::Int64, false),
            "run_id" => Field::new(name, DataType::Int64, true),
            "evaluator_agrees_with_gold"
            | "wrong_reason"
            | "human_agrees_with_evaluator"
            | "human_agrees_with_gold" => Field::new(name, DataType::Boolean, true),
            "steps" | "tags" => list(name),
            "fare_lens_export" | "dataset" | "source_file" | "external_id" | "task"
            | "question" | "metadata" => text(name, false),
            _ => text(name, true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A column of optional strings.
fn strings<'r>(rows: &'r [LabelRow], get: impl Fn(&'r LabelRow) -> Option<&'r str>) -> ArrayRef {
    Arc::new(rows.iter().map(get).collect::<StringArray>())
}

/// A column of optional booleans.
fn flags(rows: &[LabelRow], get: impl Fn(&LabelRow) -> Option<bool>) -> ArrayRef {
    Arc::new(rows.iter().map(get).collect::<BooleanArray>())
}

/// A column of optional string lists.
fn lists(rows: &[LabelRow], get: impl Fn(&LabelRow) -> Option<&Vec<String>>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match get(row) {
            Some(items) => {
                for item in items {
                    builder.values().append_value(item);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    Arc::new(builder.finish())
}

/// One record batch of rows, columns in [`LABEL_COLUMNS`] order.
fn batch(schema: &SchemaRef, rows: &[LabelRow]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let columns: Vec<ArrayRef> = vec![
        strings(rows, |r| Some(r.fare_lens_export)),
        strings(rows, |r| Some(r.dataset.as_str())),
        strings(rows, |r| Some(r.source_file.as_str())),
        Arc::new(rows.iter().map(|r| r.record_index).collect::<Int64Array>()),
        strings(rows, |r| Some(r.external_id.as_str())),
        strings(rows, |r| Some(r.task)),
        strings(rows, |r| r.source.as_deref()),
        strings(rows, |r| Some(r.question.as_str())),
        lists(rows, |r| r.steps.as_ref()),
        strings(rows, |r| r.response.as_deref()),
        strings(rows, |r| r.response_a.as_deref()),
        strings(rows, |r| r.response_b.as_deref()),
        strings(rows, |r| r.reference.as_deref()),
        strings(rows, |r| r.rubric.as_deref()),
        Arc::new(
            rows.iter()
                .map(|r| Some(json_text(&r.metadata)))
                .collect::<StringArray>(),
        ),
        strings(rows, |r| r.ground_truth.as_deref()),
        Arc::new(rows.iter().map(|r| r.run_id).collect::<Int64Array>()),
        strings(rows, |r| r.model.as_deref()),
        strings(rows, |r| r.template.as_deref()),
        strings(rows, |r| r.template_hash.as_deref()),
        strings(rows, |r| r.evaluator_state.as_deref()),
        strings(rows, |r| r.evaluator_verdict.as_deref()),
        strings(rows, |r| r.evaluator_critique.as_deref()),
        flags(rows, |r| r.evaluator_agrees_with_gold),
        strings(rows, |r| r.annotator.as_deref()),
        strings(rows, |r| r.decision),
        strings(rows, |r| r.human_verdict.as_deref()),
        flags(rows, |r| r.wrong_reason),
        lists(rows, |r| r.tags.as_ref()),
        strings(rows, |r| r.note.as_deref()),
        flags(rows, |r| r.human_agrees_with_evaluator),
        flags(rows, |r| r.human_agrees_with_gold),
        strings(rows, |r| r.first_annotated_at.as_deref()),
        strings(rows, |r| r.annotated_at.as_deref()),
        strings(rows, |r| r.final_verdict.as_deref()),
        strings(rows, |r| r.final_source),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}

/// Writes the labels as a Parquet file, one record batch per [`PARQUET_BATCH_ROWS`] rows.
pub(super) fn write_parquet(
    project: &Project,
    scope: &Scope,
    out: &mut Output,
) -> Result<Counts, ExportError> {
    let path = out.path().to_owned();
    let parquet_error = |source| ExportError::Parquet {
        path: path.clone(),
        source,
    };
    let arrow_error = |source| ExportError::Arrow {
        path: path.clone(),
        source,
    };
    let schema = schema();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer =
        ArrowWriter::try_new(out.writer(), schema.clone(), Some(props)).map_err(parquet_error)?;
    let mut pending: Vec<LabelRow> = Vec::with_capacity(PARQUET_BATCH_ROWS);
    let counts = each_row(project, scope, |row| {
        pending.push(row);
        if pending.len() == PARQUET_BATCH_ROWS {
            let batch = batch(&schema, &pending).map_err(arrow_error)?;
            writer.write(&batch).map_err(parquet_error)?;
            pending.clear();
        }
        Ok(())
    })?;
    if !pending.is_empty() {
        let batch = batch(&schema, &pending).map_err(arrow_error)?;
        writer.write(&batch).map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_numbers_do_not_and_the_quote_comes_off_again() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("'already", "''already"),
            ("-1", "-1"),
            ("-0.25", "-0.25"),
            ("+3", "+3"),
            ("plain = text", "plain = text"),
            ("", ""),
        ] {
            assert_eq!(defused(cell.to_owned()), written, "{cell:?}");
            assert_eq!(
                crate::formats::labels::undefused(written),
                cell,
                "{written:?}"
            );
        }
    }

    #[test]
    fn the_row_fields_are_the_columns_in_order() {
        let row = LabelRow {
            fare_lens_export: LABELS_FORMAT,
            dataset: String::new(),
            source_file: String::new(),
            record_index: 0,
            external_id: String::new(),
            task: "pairwise",
            source: None,
            question: String::new(),
            steps: None,
            response: None,
            response_a: None,
            response_b: None,
            reference: None,
            rubric: None,
            metadata: serde_json::Map::new(),
            ground_truth: None,
            run_id: None,
            model: None,
            template: None,
            template_hash: None,
            evaluator_state: None,
            evaluator_verdict: None,
            evaluator_critique: None,
            evaluator_agrees_with_gold: None,
            annotator: None,
            decision: None,
            human_verdict: None,
            wrong_reason: None,
            tags: None,
            note: None,
            human_agrees_with_evaluator: None,
            human_agrees_with_gold: None,
            first_annotated_at: None,
            annotated_at: None,
            final_verdict: None,
            final_source: None,
        };
        let json = serde_json::to_value(&row).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, LABEL_COLUMNS);
        let schema = schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, LABEL_COLUMNS);
        assert_eq!(batch(&schema, &[row]).unwrap().num_rows(), 1);
    }
}
