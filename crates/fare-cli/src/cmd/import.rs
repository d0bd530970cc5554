//! `fare-lens import`: data files into a project, all or nothing per file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use fare_core::Task;
use fare_io::formats::label_counts::LabelDistribution;
use fare_io::formats::{Format, Mapping};
use fare_io::import::{ImportOptions, import_file};
use fare_store::Project;

use crate::output::{print_json, progress_bar};

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The project file (.sqlite); created when missing.
    pub(crate) project: PathBuf,
    /// The files to import.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// The format (detected when absent): processbench, prm800k, judgebench, gsm8k, gsm8k-solutions, math, mapped.
    #[arg(long)]
    pub(crate) format: Option<String>,
    /// A field mapping TARGET=FIELD (targets: id, question, steps, response, response_a, response_b, reference, rubric, label, source); a text target may be a template of fields, 'question={instruction}\n\n{input?}' (`?`: may be missing).
    #[arg(long = "map", value_name = "TARGET=FIELD")]
    pub(crate) map: Vec<String>,
    /// A mapping file (TOML: task, label_base, step_separator, label_values, label_list, rating_scale, [fields], [annotators]).
    #[arg(long)]
    pub(crate) mapping: Option<PathBuf>,
    /// What a label value of the file means: VALUE=LABEL, e.g. 1=A, 2=B, 0=tie, bad=incorrect, n/a=none.
    #[arg(long = "label-value", value_name = "VALUE=LABEL")]
    pub(crate) label_values: Vec<String>,
    /// How a label that is a list becomes one: first (the smallest wrong step), min, max, median, mean.
    #[arg(long, value_name = "RULE")]
    pub(crate) label_list: Option<String>,
    /// The scale of rating labels, LOW-HIGH (e.g. 1-5).
    #[arg(long, value_name = "LOW-HIGH")]
    pub(crate) rating_scale: Option<String>,
    /// A column of human labels by one annotator: NAME=FIELD, e.g. alice=annotator1 (imported as their labels).
    #[arg(long = "annotator", value_name = "NAME=FIELD")]
    pub(crate) annotators: Vec<String>,
    /// Read and check every record and show the labels the import would give, without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The task of mapped records (inferred from the mapped fields when absent).
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// The number of the first step in step-level labels of mapped records.
    #[arg(long)]
    pub(crate) label_base: Option<i64>,
    /// The separator between steps when mapped steps are one string.
    #[arg(long)]
    pub(crate) step_separator: Option<String>,
    /// Import the valid records and report every invalid one instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// The largest record accepted, in bytes (64 MiB by default).
    #[arg(long, hide = true)]
    pub(crate) max_record_bytes: Option<usize>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn import(args: &ImportArgs) -> Result<ExitCode> {
    let mut mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the mapping file", path.display()))?;
            Some(Mapping::from_toml(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    if !args.map.is_empty()
        || args.task.is_some()
        || args.label_base.is_some()
        || args.step_separator.is_some()
        || !args.label_values.is_empty()
        || args.label_list.is_some()
        || args.rating_scale.is_some()
        || !args.annotators.is_empty()
    {
        let mut base = mapping.unwrap_or_default();
        if let Some(task) = &args.task {
            base.task = Some(task.parse::<Task>()?);
        }
        if let Some(label_base) = args.label_base {
            base.label_base = label_base;
        }
        if let Some(separator) = &args.step_separator {
            base.step_separator = Some(separator.replace("\\n", "\n"));
        }
        if let Some(rule) = &args.label_list {
            base.label_list = Some(
                rule.parse()
                    .map_err(|e: String| anyhow!("--label-list: {e}"))?,
            );
        }
        if let Some(scale) = &args.rating_scale {
            base.rating_scale = Some(rating_scale(scale)?);
        }
        let base = base
            .with_label_values(args.label_values.iter().map(String::as_str))
            .and_then(|m| m.with_annotators(args.annotators.iter().map(String::as_str)))
            .map_err(|e| anyhow!(e))?;
        mapping = Some(
            base.with_pairs(args.map.iter().map(String::as_str))
                .map_err(|e| anyhow!(e))?,
        );
    }
    let options = ImportOptions {
        format: args
            .format
            .as_deref()
            .map(str::parse::<Format>)
            .transpose()
            .map_err(|e| anyhow!(e))?,
        mapping,
        skip_invalid: args.skip_invalid,
        max_record_bytes: args
            .max_record_bytes
            .unwrap_or(fare_io::read::DEFAULT_MAX_RECORD_BYTES),
        dataset_name: None,
        dry_run: args.dry_run,
    };
    // A dry run in a project that does not exist yet creates none: it runs in a scratch one.
    let scratch = if args.dry_run && !args.project.exists() {
        Some(tempfile::tempdir().context("cannot make a scratch folder for the dry run")?)
    } else {
        None
    };
    let project_path = scratch
        .as_ref()
        .map_or_else(|| args.project.clone(), |d| d.path().join("dry-run.fare"));
    let mut project = Project::open_or_create(&project_path)?;
    let mut reports = Vec::new();
    for file in &args.files {
        let bar = progress_bar(&format!("importing {}", file.display()));
        let result = import_file(&mut project, file, &options, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        let report = result.map_err(|e| anyhow!("{e}\nnothing of this file was imported"))?;
        if !args.json {
            let d = &report.dataset;
            if report.dry_run && !report.already_imported {
                println!(
                    "{}: dry run: {} records would become {} samples (format {}); nothing was written",
                    report.file, d.record_count, d.sample_count, report.format
                );
                print_labels(&report.labels);
            } else if report.already_imported {
                println!(
                    "{}: already in the project as data set {} `{}` ({} samples); nothing to do",
                    report.file, d.id, d.name, d.sample_count
                );
            } else {
                println!(
                    "{}: imported {} records as {} samples (format {}, data set {})",
                    report.file, d.record_count, d.sample_count, report.format, d.id
                );
                print_labels(&report.labels);
            }
            for skipped in &report.skipped {
                eprintln!("skipped: {skipped}");
            }
            if !report.skipped.is_empty() {
                eprintln!("{} invalid records skipped", report.skipped.len());
            }
        }
        reports.push(report);
    }
    if args.json {
        print_json(&reports)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `1-5`, `1..5` or `1,5` (a scale may start below zero: `-2-2`).
fn rating_scale(typed: &str) -> Result<(i32, i32)> {
    let bad = || anyhow!("--rating-scale {typed}: expected LOW-HIGH, e.g. 1-5");
    let typed = typed.trim();
    let (at, width) = typed
        .find("..")
        .map(|i| (i, 2))
        .or_else(|| typed.find(',').map(|i| (i, 1)))
        .or_else(|| typed.get(1..)?.find('-').map(|i| (i + 1, 1)))
        .ok_or_else(bad)?;
    let low = typed[..at].trim().parse().map_err(|_| bad())?;
    let high = typed[at + width..].trim().parse().map_err(|_| bad())?;
    Ok((low, high))
}

/// The labels an import gives, one line for the ground truth and one per annotator column.
fn print_labels(labels: &LabelDistribution) {
    let ground_truth = &labels.ground_truth;
    if ground_truth.total() > 0 {
        println!("  ground truth: {}", ground_truth.summary());
    }
    if ground_truth.count("tie") > 0 {
        println!(
            "  a tie is kept as a tie: shown, counted apart in the analysis, and left out of accuracy"
        );
    }
    for (annotator, counts) in &labels.annotators {
        let ties = if counts.count("tie") > 0 {
            " (a tie is counted here, not recorded as a label)"
        } else {
            ""
        };
        println!("  labels by {annotator}: {}{ties}", counts.summary());
    }
}
