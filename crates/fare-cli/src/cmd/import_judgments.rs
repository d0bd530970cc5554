//! `fare-lens import-judgments`: evaluator outputs made elsewhere, as a new run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::Args;

use crate::output::{open, print_json, progress_bar};

#[derive(Args)]
pub(crate) struct ImportJudgmentsArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The file of outputs (JSON, JSONL, CSV or Parquet).
    pub(crate) file: PathBuf,
    /// The evaluator's name, as the run shows it.
    #[arg(long)]
    pub(crate) model: String,
    /// Where a field is: TARGET=PATH, targets sample, output, swapped, attempt, finish_reason,
    /// prompt_tokens, output_tokens, latency_ms, verdict_probs (default: their own names).
    #[arg(long = "map", value_name = "TARGET=PATH")]
    pub(crate) map: Vec<String>,
    /// The template the outputs were made with (a TOML file; the shipped one by default).
    #[arg(long)]
    pub(crate) template: Option<PathBuf>,
    /// The outputs are direct judgments (verdict only).
    #[arg(long)]
    pub(crate) direct: bool,
    /// A label for the run.
    #[arg(long)]
    pub(crate) label: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn import_judgments(args: &ImportJudgmentsArgs) -> Result<ExitCode> {
    use fare_io::judgments::{JudgmentImportOptions, import_judgments};
    let mut options = JudgmentImportOptions::new(&args.model)
        .with_pairs(args.map.iter().map(String::as_str))
        .map_err(|e| anyhow!(e))?;
    if let Some(path) = &args.template {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the template", path.display()))?;
        options.template = Some(
            fare_core::Template::from_toml(&text)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?,
        );
    }
    if args.direct {
        options.mode = fare_core::PromptMode::Direct;
    }
    options.label.clone_from(&args.label);
    let mut project = open(&args.project)?;
    let bar = progress_bar(&format!("importing {}", args.file.display()));
    let result = import_judgments(&mut project, &args.file, &options, &mut |n| {
        bar.set_position(n);
    });
    bar.finish_and_clear();
    let report = result.map_err(|e| anyhow!("{e}\nnothing of this file was imported"))?;
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "{}: run {} with {} judgments ({})",
            report.file,
            report.run_id,
            report.judgments,
            report.outcomes.summary(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
