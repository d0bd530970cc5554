//! `fare-bench queries`: how fast the sample list answers on a (large) project.
//!
//! Each query runs once to warm the page cache, then `runs` times; the median is reported next
//! to the goal (100 ms) as a ratio (below 1 meets the goal). The queries are the ones the sample
//! list makes: the first page, a page and a count under the review and evaluator filters, and a
//! page and a count of a full-text search for a rare word (~0.1% of samples) and for a common one
//! (in problems, steps and critiques of about a third of the samples). The project's size on disk and the process's peak
//! memory (against a 500 MB goal) close the report. No timing is asserted: this is a report.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fare_store::{EvaluatorFilter, Project, ReviewFilter, SampleFilter};

use crate::mem;

/// The latency goal of one query.
pub const GOAL: Duration = Duration::from_millis(100);
/// The peak memory goal, in MB.
pub const MEMORY_GOAL_MB: f64 = 500.0;

/// How to measure.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// Timed runs of each query after the warm-up.
    pub runs: usize,
    /// The rare word searched for.
    pub search: String,
    /// The common word searched for.
    pub common_search: String,
    /// SQL run once before measuring (to try an index, for instance).
    pub setup_sql: Vec<String>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            runs: 7,
            search: crate::text::RARE_WORD.to_owned(),
            common_search: "polynomial".to_owned(),
            setup_sql: Vec::new(),
        }
    }
}

/// The timing of one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// What was asked.
    pub name: String,
    /// Median of the timed runs.
    pub median: Duration,
    /// Fastest run.
    pub min: Duration,
    /// Slowest run.
    pub max: Duration,
    /// Rows returned (pages) or the count (counts).
    pub result: i64,
}

impl Timing {
    /// The median as a fraction of [`GOAL`].
    pub fn ratio(&self) -> f64 {
        self.median.as_secs_f64() / GOAL.as_secs_f64()
    }
}

/// Runs `f` once to warm up and `runs` times timed.
fn measure(name: &str, runs: usize, mut f: impl FnMut() -> Result<i64>) -> Result<Timing> {
    let result = f().with_context(|| format!("query `{name}`"))?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(Timing {
        name: name.to_owned(),
        median: times[times.len() / 2],
        min: times[0],
        max: times[times.len() - 1],
        result,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Measures the sample-list queries on the project at `path` and prints a report.
pub fn queries(path: &Path, options: &QueryOptions, out: &mut dyn Write) -> Result<Vec<Timing>> {
    let started = Instant::now();
    let project = Project::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let open_time = started.elapsed();
    for sql in &options.setup_sql {
        let started = Instant::now();
        project
            .raw_connection()
            .execute_batch(sql)
            .with_context(|| format!("setup SQL `{sql}`"))?;
        writeln!(
            out,
            "setup: {sql} ({:.2} s)",
            started.elapsed().as_secs_f64()
        )?;
    }
    let conn = project.raw_connection();
    let count = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    writeln!(
        out,
        "project: {} samples, {} steps, {} judgments, {} labels; opened in {:.1} ms",
        count("SELECT count(*) FROM samples")?,
        count("SELECT count(*) FROM steps")?,
        count("SELECT count(*) FROM judgments")?,
        count("SELECT count(*) FROM labels")?,
        ms(open_time)
    )?;

    let all = SampleFilter::default();
    let review = SampleFilter {
        review: Some(ReviewFilter::Unreviewed),
        evaluator: Some(EvaluatorFilter::DisagreesWithGold),
        ..SampleFilter::default()
    };
    let search = SampleFilter {
        text: Some(options.search.clone()),
        ..SampleFilter::default()
    };
    let common = SampleFilter {
        text: Some(options.common_search.clone()),
        ..SampleFilter::default()
    };
    let middle = count("SELECT coalesce(max(id), 0) / 2 FROM samples")?;
    let page = |filter: &SampleFilter, after: i64| -> Result<i64> {
        Ok(i64::try_from(
            project.list_samples(filter, after, 50)?.len(),
        )?)
    };
    let runs = options.runs;
    let timings = vec![
        measure("list: first page", runs, || page(&all, 0))?,
        measure("list: page in the middle", runs, || page(&all, middle))?,
        measure("list: unreviewed + disagrees, first page", runs, || {
            page(&review, 0)
        })?,
        measure(
            &format!("list: search `{}`, first page", options.search),
            runs,
            || page(&search, 0),
        )?,
        measure(
            &format!("list: search `{}`, first page", options.common_search),
            runs,
            || page(&common, 0),
        )?,
        measure("count: all", runs, || Ok(project.count_samples(&all)?))?,
        measure("count: unreviewed + disagrees", runs, || {
            Ok(project.count_samples(&review)?)
        })?,
        measure(&format!("count: search `{}`", options.search), runs, || {
            Ok(project.count_samples(&search)?)
        })?,
        measure(
            &format!("count: search `{}`", options.common_search),
            runs,
            || Ok(project.count_samples(&common)?),
        )?,
    ];
    writeln!(
        out,
        "{:<44} {:>10} {:>10} {:>10} {:>9}  ratio to the 100 ms goal",
        "query (median of runs after a warm-up)", "median ms", "min ms", "max ms", "result"
    )?;
    for t in &timings {
        writeln!(
            out,
            "{:<44} {:>10.2} {:>10.2} {:>10.2} {:>9}  {:.3} {}",
            t.name,
            ms(t.median),
            ms(t.min),
            ms(t.max),
            t.result,
            t.ratio(),
            if t.ratio() <= 1.0 { "ok" } else { "SLOW" }
        )?;
    }
    let size = mem::disk_size(path);
    writeln!(
        out,
        "file: {:.1} MB (+ {:.1} MB write-ahead log)",
        mem::mb(size.db),
        mem::mb(size.wal)
    )?;
    if let Some(peak) = mem::peak_rss_bytes() {
        let peak = mem::mb(peak);
        writeln!(
            out,
            "peak memory (VmHWM): {peak:.1} MB, ratio {:.3} of the {MEMORY_GOAL_MB:.0} MB goal {}",
            peak / MEMORY_GOAL_MB,
            if peak <= MEMORY_GOAL_MB { "ok" } else { "OVER" }
        )?;
    }
    Ok(timings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SynthOptions, synth};

    #[test]
    fn reports_every_query_on_a_small_project() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.sqlite");
        let options = SynthOptions {
            samples: 3_000,
            steps_per_sample: 3,
            rare_fraction: 0.01,
            api_judgments: 10,
            ..SynthOptions::default()
        };
        let report = synth(&path, &options, &mut Vec::new()).unwrap();
        let mut out = Vec::new();
        let timings = queries(
            &path,
            &QueryOptions {
                runs: 2,
                setup_sql: vec!["ANALYZE".into()],
                ..QueryOptions::default()
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(timings.len(), 9, "{text}");
        assert_eq!(timings[0].result, 50);
        assert_eq!(timings[4].result, 50, "{text}");
        assert_eq!(timings[5].result, 3_000);
        assert!(timings[6].result > 300, "{text}");
        let rare = i64::try_from(report.rare_samples).unwrap();
        assert_eq!(timings[7].result, rare);
        assert!(timings[8].result > 600, "{text}");
        assert!(text.contains("peak memory") || !cfg!(target_os = "linux"));
    }
}
