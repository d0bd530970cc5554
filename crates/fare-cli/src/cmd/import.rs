//! `fare-lens import`: data files into a project, all or nothing per file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use fare_core::Task;
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
    /// A field mapping TARGET=FIELD (targets: id, question, steps, response, response_a, response_b, reference, rubric, label, source).
    #[arg(long = "map", value_name = "TARGET=FIELD")]
    pub(crate) map: Vec<String>,
    /// A mapping file (TOML: task, label_base, step_separator, [fields]).
    #[arg(long)]
    pub(crate) mapping: Option<PathBuf>,
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
    };
    let mut project = Project::open_or_create(&args.project)?;
    let mut reports = Vec::new();
    for file in &args.files {
        let bar = progress_bar(&format!("importing {}", file.display()));
        let result = import_file(&mut project, file, &options, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        let report = result.map_err(|e| anyhow!("{e}\nnothing of this file was imported"))?;
        if !args.json {
            let d = &report.dataset;
            if report.already_imported {
                println!(
                    "{}: already in the project as data set {} `{}` ({} samples); nothing to do",
                    report.file, d.id, d.name, d.sample_count
                );
            } else {
                println!(
                    "{}: imported {} records as {} samples (format {}, data set {})",
                    report.file, d.record_count, d.sample_count, report.format, d.id
                );
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
