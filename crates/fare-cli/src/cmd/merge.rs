//! `fare-lens merge`: several annotators' copies of a project combined into a new file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::output::print_json;

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// The new project file (must not exist).
    pub(crate) output: PathBuf,
    /// The project files to combine (two or more).
    #[arg(required = true, num_args = 2..)]
    pub(crate) inputs: Vec<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let summary = fare_store::merge(&args.output, &args.inputs)?;
    if args.json {
        print_json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    for input in &summary.inputs {
        println!(
            "{}: {} samples, {} runs, {} judgments, {} annotation events ({} already there), {} adjudications",
            input.path.display(),
            input.samples,
            input.runs,
            input.judgments,
            input.events,
            input.duplicate_events,
            input.adjudications
        );
    }
    println!(
        "{}: written; annotators {}",
        summary.output.display(),
        summary.annotators.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
