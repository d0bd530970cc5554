//! `fare-lens export`: corrected labels and retraining sets.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;

use crate::output::{open, print_json, progress_bar};

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// labels-jsonl, labels-csv, labels-parquet, sft-jsonl or preference-jsonl.
    #[arg(long)]
    pub(crate) format: String,
    /// The output file.
    #[arg(short, long)]
    pub(crate) output: PathBuf,
    /// The evaluator run whose verdicts are exported (the newest when absent).
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Only this annotator's labels.
    #[arg(long)]
    pub(crate) annotator: Option<String>,
    /// What counts as a sample's final human verdict: adjudicated (the adjudicated verdict,
    /// else the one every annotator agrees on), majority, or annotator:NAME.
    #[arg(long, default_value = "adjudicated")]
    pub(crate) final_label: String,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn export(args: &ExportArgs) -> Result<ExitCode> {
    use fare_io::export::{ExportFormat, ExportOptions};
    let project = open(&args.project)?;
    let format: ExportFormat = args.format.parse().map_err(|e| anyhow!("{e}"))?;
    let options = ExportOptions {
        run_id: args.run,
        annotator: args.annotator.clone(),
        dataset_id: None,
        final_label: args
            .final_label
            .parse::<fare_core::FinalLabel>()
            .map_err(|e| anyhow!("--final-label: {e}"))?,
    };
    let bar = progress_bar(&format!("exporting {}", args.output.display()));
    let shown = bar.clone();
    let result = fare_io::export::export_with_progress(
        &project,
        format,
        &options,
        &args.output,
        Some(Box::new(move |n| shown.set_position(n))),
    );
    bar.finish_and_clear();
    let summary = result?;
    if args.json {
        print_json(&summary)?;
    } else {
        println!(
            "{}: wrote {} rows ({} samples, {} skipped)",
            args.output.display(),
            summary.rows,
            summary.samples,
            summary.skipped
        );
        let list = |counts: &std::collections::BTreeMap<String, u64>| {
            counts
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "final verdicts ({}): {}",
            summary.final_label,
            if summary.final_sources.is_empty() {
                "none".to_owned()
            } else {
                list(&summary.final_sources)
            }
        );
        if !summary.unresolved.is_empty() {
            println!("without a final verdict: {}", list(&summary.unresolved));
        }
        if !summary.skipped_reasons.is_empty() {
            println!("skipped: {}", list(&summary.skipped_reasons));
        }
    }
    Ok(ExitCode::SUCCESS)
}
