//! `fare-lens datasets`: the project's data sets.

use std::process::ExitCode;

use anyhow::Result;

use crate::cmd::ProjectArgs;
use crate::output::{open, print_json};

pub(crate) fn datasets(args: &ProjectArgs) -> Result<ExitCode> {
    let project = open(&args.project)?;
    let datasets = project.datasets()?;
    if args.json {
        print_json(&datasets)?;
    } else {
        for d in &datasets {
            println!(
                "{:>3}  {:<20} {:<16} {:>7} records {:>7} samples  {}",
                d.id, d.name, d.format, d.record_count, d.sample_count, d.source_file
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
