//! `fare-lens diff`: what a later run fixed and broke against the reference labels.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::output::{open, print_json};

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The earlier run (checkpoint).
    #[arg(long)]
    pub(crate) before: i64,
    /// The later run.
    #[arg(long)]
    pub(crate) after: i64,
    /// What counts as right: the human label where there is one, else ground truth (default),
    /// or only one of them.
    #[arg(long, value_parser = ["human-else-gold", "gold", "human"])]
    pub(crate) reference: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let project = open(&args.project)?;
    let reference = args
        .reference
        .as_deref()
        .map(|r| serde_json::from_value(serde_json::Value::String(r.to_owned())))
        .transpose()?;
    let diff = fare_app::diff::diff(
        &project,
        &fare_app::diff::DiffRequest {
            before: args.before,
            after: args.after,
            reference,
            human: None,
        },
    )?;
    if args.json {
        print_json(&diff)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "run {} -> run {} (reference: {})",
        diff.before,
        diff.after,
        serde_json::to_value(diff.reference)?
            .as_str()
            .unwrap_or_default()
    );
    println!(
        "{:<40} {:>10} {:>8} {:>8} {:>10} {:>14}",
        "task / tag", "both right", "fixed", "broke", "both wrong", "not comparable"
    );
    for row in &diff.rows {
        let name = match &row.tag {
            Some(tag) if row.inferred => format!("  {tag} (inferred)"),
            Some(tag) => format!("  {tag}"),
            None => row.task.to_string(),
        };
        let n: Vec<usize> = row.cells.iter().map(|c| c.count).collect();
        println!(
            "{name:<40} {:>10} {:>8} {:>8} {:>10} {:>14}",
            n[0], n[1], n[2], n[3], n[4]
        );
    }
    Ok(ExitCode::SUCCESS)
}
