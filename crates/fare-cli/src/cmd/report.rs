//! `fare-lens report`: evaluator metrics per task, data set and source.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::output::{open, percent, print_json};

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The run to report on (the newest when absent).
    #[arg(long)]
    pub(crate) run: Option<i64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn report(args: &ReportArgs) -> Result<ExitCode> {
    let project = open(&args.project)?;
    let report = fare_app::report::report(&project, args.run)?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.runs.is_empty() {
        println!("no evaluator verdicts yet: counts only");
    }
    for (task, run) in &report.runs {
        println!("{task}: evaluator run {run}");
    }
    for g in &report.groups {
        let name = match &g.source {
            Some(source) => format!("{} / {} / {source}", g.task, g.dataset),
            None => format!("{} / {}", g.task, g.dataset),
        };
        let mut line = format!(
            "{name}: {} samples, {} judged, {} accepted, {} corrected",
            g.samples, g.judged, g.accepted, g.corrected
        );
        if g.gold_ties > 0 {
            let _ = write!(
                line,
                ", {} ties in the ground truth (left out of accuracy)",
                g.gold_ties
            );
        }
        if let Some(agreement) = g.mean_agreement {
            let _ = write!(
                line,
                "; majority verdicts, {:.0}% agreement within samples",
                agreement * 100.0
            );
        }
        if let Some(p) = &g.processbench {
            let _ = write!(
                line,
                "; ProcessBench error acc {} correct acc {} F1 {}",
                percent(p.error_accuracy),
                percent(p.correct_accuracy),
                percent(p.f1)
            );
        }
        if let Some(p) = &g.pairwise {
            let _ = write!(
                line,
                "; accuracy {} (swapped {}), consistent {}, consistency {}, flips {}",
                percent(p.accuracy_original),
                percent(p.accuracy_swapped),
                percent(p.consistent_accuracy),
                percent(p.consistency),
                p.flips
            );
        }
        if let Some(v) = &g.verification {
            let _ = write!(
                line,
                "; accuracy {}, F1 (incorrect) {}, macro F1 {}",
                percent(v.accuracy),
                percent(v.f1),
                percent(v.macro_f1)
            );
        }
        if let Some(r) = &g.rating {
            let _ = write!(
                line,
                "; MAE {}, Spearman {}",
                r.mae.map_or("-".into(), |m| format!("{m:.2}")),
                r.spearman.map_or("-".into(), |s| format!("{s:.3}"))
            );
        }
        println!("{line}");
    }
    if let Some(f1) = report.processbench_mean_f1 {
        println!("ProcessBench mean F1 over splits: {:.1}", f1 * 100.0);
    }
    let contradictions: usize = report.contradictions.counts.iter().map(|c| c.count).sum();
    if contradictions > 0 {
        println!(
            "{contradictions} contradictions across tasks on {} shared traces (`--json` lists them)",
            report.contradictions.traces_compared
        );
    }
    Ok(ExitCode::SUCCESS)
}
