//! `fare-lens samples`: the sample list with its filters and full-text search.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;
use fare_store::query::EvaluatorFilter;
use fare_store::{ReviewFilter, SampleFilter};

use crate::output::{open, print_json};

#[derive(Args)]
pub(crate) struct SamplesArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// Only this task.
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// Only this data set (its name or id).
    #[arg(long)]
    pub(crate) dataset: Option<String>,
    /// Only this source (e.g. a ProcessBench split).
    #[arg(long)]
    pub(crate) source: Option<String>,
    /// Review state: unreviewed, reviewed, accepted, corrected.
    #[arg(long)]
    pub(crate) review: Option<String>,
    /// Evaluator: agrees-with-gold, disagrees-with-gold, failed, not-judged.
    #[arg(long)]
    pub(crate) evaluator: Option<String>,
    /// Only samples with this tag.
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// Full-text search.
    #[arg(long)]
    pub(crate) search: Option<String>,
    /// The run whose verdicts are shown.
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Samples after this id (paging).
    #[arg(long, default_value_t = 0)]
    pub(crate) after: i64,
    /// How many.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn parse_kebab<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| anyhow!("unknown {what} `{text}`"))
}

pub(crate) fn samples(args: &SamplesArgs) -> Result<ExitCode> {
    let project = open(&args.project)?;
    let filter = SampleFilter {
        task: args.task.as_deref().map(str::parse).transpose()?,
        dataset_id: args
            .dataset
            .as_deref()
            .map(|d| fare_app::naming::resolve_dataset(&project, d))
            .transpose()?,
        source: args.source.clone(),
        review: args
            .review
            .as_deref()
            .map(|r| parse_kebab::<ReviewFilter>("review state", r))
            .transpose()?,
        evaluator: args
            .evaluator
            .as_deref()
            .map(|e| parse_kebab::<EvaluatorFilter>("evaluator filter", e))
            .transpose()?,
        tag: args.tag.clone(),
        text: args.search.clone(),
        run_id: args.run,
        ..SampleFilter::default()
    };
    let rows = project.list_samples(&filter, args.after, args.limit)?;
    if args.json {
        print_json(
            &serde_json::json!({ "total": project.count_samples(&filter)?, "samples": rows }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        let question: String = r
            .question
            .chars()
            .take(70)
            .collect::<String>()
            .replace('\n', " ");
        // The two names `annotate` takes: the project id, and DATASET/ID.
        println!(
            "{:>7}  {:<18} {:<15} gold {:<9} evaluator {:<11} {:<9} {}",
            r.id,
            format!("{}/{}", r.dataset_id, r.external_id),
            r.dataset,
            r.gold.as_deref().unwrap_or("-"),
            r.verdict
                .as_deref()
                .or(r.parse_state.as_deref())
                .unwrap_or("-"),
            r.decision.as_deref().unwrap_or("unreviewed"),
            question
        );
    }
    println!(
        "{} of {} samples",
        rows.len(),
        project.count_samples(&filter)?
    );
    Ok(ExitCode::SUCCESS)
}
