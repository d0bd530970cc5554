//! `fare-lens agreement`: agreement between annotators and what is adjudicated.

use std::process::ExitCode;

use anyhow::Result;

use crate::cmd::ProjectArgs;
use crate::output::{open, print_json};

pub(crate) fn agreement(args: &ProjectArgs) -> Result<ExitCode> {
    let open = fare_app::api::OpenProject::new(open(&args.project)?, "");
    let report = open.agreement()?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.groups.is_empty() {
        println!("no human verdicts yet");
        return Ok(ExitCode::SUCCESS);
    }
    let figure = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
    for g in &report.groups {
        let a = &g.agreement;
        let name = match &g.dataset {
            Some(d) => format!("{} / {d}", g.task),
            None => g.task.to_string(),
        };
        println!(
            "{name}: {} labelled, {} by two or more; alpha ({}) {} over {}; {} disagreements, {} adjudicated",
            a.labelled,
            a.compared,
            if a.level == fare_core::metrics::agreement::Level::Interval {
                "interval"
            } else {
                "nominal"
            },
            figure(a.alpha),
            a.compared,
            g.disagreements,
            g.adjudicated
        );
        for p in &a.pairs {
            println!(
                "  kappa {} / {}: {} over {} samples ({} agreed)",
                p.first,
                p.second,
                figure(p.kappa),
                p.items,
                p.agreed
            );
        }
    }
    println!(
        "{} disagreements in all, {} adjudicated",
        report.disagreements, report.adjudicated
    );
    Ok(ExitCode::SUCCESS)
}
