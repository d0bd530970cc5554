//! `fare-bench analysis`: how long the failure-mode analysis takes on a (large) project, against
//! plain scans of the same rows in the same process.
//!
//! Timed, each once to warm the page cache and then `runs` times (median, min, max):
//!
//! - the references: `SELECT count(*)` over the shown run's judgments, and a plain scan that
//!   steps through every sample row and every judgment row the analysis reads (the same columns,
//!   nothing done with them): what reading the rows costs before any grouping;
//! - the analysis ([`fare_app::analysis::analysis`]: every group, both references, contradictions);
//! - the samples of one cell (`bucket:late`, [`fare_app::analysis::analysis_samples`]);
//! - the checkpoint diff of the run with itself ([`fare_app::diff::diff`]).
//!
//! Each is printed with its ratio to the plain scan and to the one-second goal of the analysis.
//! No timing is asserted.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fare_app::analysis::{AnalysisRequest, AnalysisSamplesRequest, analysis, analysis_samples};
use fare_app::diff::{DiffRequest, diff};
use fare_store::Project;

/// The goal: the analysis of a 1M-sample project in under a second.
pub const GOAL: Duration = Duration::from_secs(1);

/// Median, fastest and slowest of the timed runs, and what the measured call answered.
type Timing = (Duration, Duration, Duration, i64);

fn measure(runs: usize, mut f: impl FnMut() -> Result<i64>) -> Result<Timing> {
    let result = f()?;
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        result,
    ))
}

/// Times the analysis of the project at `path` and prints the figures.
pub fn analysis_bench(path: &Path, runs: usize, out: &mut dyn Write) -> Result<()> {
    let project = Project::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let shown = project.shown_runs(None)?;
    let run = shown
        .0
        .iter()
        .flatten()
        .max()
        .copied()
        .context("the project has no evaluator run")?;
    let conn = project.raw_connection();
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    writeln!(
        out,
        "project: {} samples, {} judgments, {} labels; run {run}",
        count("SELECT count(*) FROM samples")?,
        count("SELECT count(*) FROM judgments")?,
        count("SELECT count(*) FROM labels")?,
    )?;

    let mut rows: Vec<(&str, Timing)> = Vec::new();
    rows.push((
        "count(*) of the run's judgments",
        measure(runs, || {
            count(&format!(
                "SELECT count(*) FROM judgments WHERE run_id = {run} AND attempt = 0"
            ))
        })?,
    ));
    // The rows the analysis reads, stepped through and dropped.
    let scan = || -> Result<i64> {
        let mut n = 0;
        let mut stmt = conn.prepare_cached(
            "SELECT id, task, dataset_id, source, step_count, gold_verdict FROM samples ORDER BY id",
        )?;
        let mut cursor = stmt.query([])?;
        while let Some(r) = cursor.next()? {
            n += i64::from(r.get_ref(5)?.as_str_or_null()?.is_some());
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT sample_id, run_id, response_order, parse_state, verdict FROM judgments
             WHERE run_id IN ({run}) AND attempt = 0"
        ))?;
        let mut cursor = stmt.query([])?;
        while let Some(r) = cursor.next()? {
            n += i64::from(r.get_ref(4)?.as_str_or_null()?.is_some());
        }
        Ok(n)
    };
    let plain = measure(runs, scan)?;
    rows.push(("plain scan of the same rows (reference)", plain));
    rows.push((
        "analysis (all groups, gold and human, contradictions)",
        measure(runs, || {
            let a = analysis(&project, &AnalysisRequest::default())?;
            Ok(i64::try_from(a.groups.len())?)
        })?,
    ));
    rows.push((
        "samples of one cell (bucket:late)",
        measure(runs, || {
            let ids = analysis_samples(
                &project,
                &AnalysisSamplesRequest {
                    run: None,
                    key: "bucket:late".into(),
                    scope: None,
                    reference: None,
                    human: None,
                },
            )?;
            Ok(i64::try_from(ids.len())?)
        })?,
    ));
    rows.push((
        "checkpoint diff of the run with itself",
        measure(runs, || {
            let d = diff(
                &project,
                &DiffRequest {
                    before: run,
                    after: run,
                    reference: None,
                    human: None,
                },
            )?;
            Ok(i64::try_from(d.rows.len())?)
        })?,
    ));
    writeln!(
        out,
        "{:<56} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "what (median of runs after a warm-up)",
        "median ms",
        "min ms",
        "max ms",
        "result",
        "/ scan",
        "/ 1 s"
    )?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (name, (median, min, max, result)) in rows {
        writeln!(
            out,
            "{name:<56} {:>10.1} {:>10.1} {:>10.1} {result:>10} {:>7.2}x {:>7.2}x",
            ms(median),
            ms(min),
            ms(max),
            median.as_secs_f64() / plain.0.as_secs_f64(),
            median.as_secs_f64() / GOAL.as_secs_f64(),
        )?;
    }
    if let Some(peak) = crate::mem::peak_rss_bytes() {
        writeln!(
            out,
            "peak memory of the process: {:.0} MB",
            crate::mem::mb(peak)
        )?;
    }
    Ok(())
}
