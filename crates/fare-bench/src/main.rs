//! The `fare-bench` command: `import`, `digest`, `synth`, `queries`, `analysis` and `sql` (see the crate's library docs).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use fare_bench::{analysis, digest, import, queries, sql, synth};

/// FARE Lens benchmarks: each prints figures and ratios, none asserts a timing.
#[derive(Debug, Parser)]
#[command(name = "fare-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import files into a project through fare_io's import path, one transaction per file.
    Import {
        /// The files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The project file (created when missing).
        #[arg(long)]
        project: PathBuf,
    },
    /// Print a fingerprint of each imported table, to compare two projects.
    Digest {
        /// The project file.
        #[arg(long)]
        project: PathBuf,
    },
    /// Write a synthetic project: samples, one evaluator run, some human labels.
    Synth {
        /// The project file to create (must not exist).
        #[arg(long)]
        project: PathBuf,
        /// Number of samples.
        #[arg(long, default_value_t = 1_000_000)]
        samples: u64,
        /// Steps of each sample.
        #[arg(long, default_value_t = 10)]
        steps_per_sample: usize,
        /// Seed of the generated text and labels.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Fraction of samples holding the rare search word.
        #[arg(long, default_value_t = 0.001)]
        rare_fraction: f64,
        /// Fraction of samples labelled by a person.
        #[arg(long, default_value_t = 0.05)]
        labelled_fraction: f64,
        /// Judgments written through add_judgment (one transaction each); the rest in bulk.
        #[arg(long, default_value_t = 1_000)]
        api_judgments: u64,
        /// Page cache of the project's connection in MiB (default: SQLite's 2 MiB).
        #[arg(long)]
        cache_mib: Option<u32>,
    },
    /// Time the sample-list queries of a project against the 100 ms goal.
    Queries {
        /// The project file.
        #[arg(long)]
        project: PathBuf,
        /// Timed runs of each query (after one warm-up).
        #[arg(long, default_value_t = 7)]
        runs: usize,
        /// The rare word to search for (default: the word synth plants in 0.1% of samples).
        #[arg(long, default_value = fare_bench::text::RARE_WORD)]
        search: String,
        /// The common word to search for (synth's text has it in about a third of the samples).
        #[arg(long, default_value = "polynomial")]
        common_search: String,
        /// SQL to run once before measuring, e.g. to try an index (repeatable). It changes the
        /// project file.
        #[arg(long = "setup-sql")]
        setup_sql: Vec<String>,
    },
    /// Time the failure-mode analysis of a project against a plain scan of the same rows.
    Analysis {
        /// The project file.
        #[arg(long)]
        project: PathBuf,
        /// Timed runs of each measure (after one warm-up).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Run SQL (e.g. EXPLAIN QUERY PLAN, CREATE INDEX) with the bundled SQLite, printing rows
    /// and times.
    Sql {
        /// The project file.
        #[arg(long)]
        project: PathBuf,
        /// Statements, run in order.
        #[arg(required = true)]
        statements: Vec<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Import { files, project } => {
            import::import_files(&project, &files, &mut out)?;
        }
        Command::Sql {
            project,
            statements,
        } => sql::run_sql(&project, &statements, &mut out)?,
        Command::Analysis { project, runs } => analysis::analysis_bench(&project, runs, &mut out)?,
        Command::Digest { project } => digest::print_digest(&project, &mut out)?,
        Command::Synth {
            project,
            samples,
            steps_per_sample,
            seed,
            rare_fraction,
            labelled_fraction,
            api_judgments,
            cache_mib,
        } => {
            let options = synth::SynthOptions {
                samples,
                steps_per_sample,
                seed,
                rare_fraction,
                labelled_fraction,
                api_judgments,
                cache_mib,
            };
            synth::synth(&project, &options, &mut out)?;
        }
        Command::Queries {
            project,
            runs,
            search,
            common_search,
            setup_sql,
        } => {
            let options = queries::QueryOptions {
                runs,
                search,
                common_search,
                setup_sql,
            };
            queries::queries(&project, &options, &mut out)?;
        }
    }
    Ok(())
}
