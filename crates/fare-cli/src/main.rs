//! `fare-lens`: the command line of FARE Lens.
//!
//! A thin shell: each subcommand lives in its own file under `cmd/` with its arguments, parses
//! them, calls the store, the importers and exporters ([`fare_io`]) or the application API
//! ([`fare_app`]), and prints the result for people or, with `--json`, for programs. This file
//! only lists the subcommands and dispatches; errors are printed once, here, and exit non-zero.

mod cmd;
mod output;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::cmd::ProjectArgs;
use crate::cmd::agreement::agreement;
use crate::cmd::annotate::{AnnotateArgs, annotate};
use crate::cmd::bench::{BenchCommand, bench_engine, bench_judge, bench_logits};
use crate::cmd::convert::{ConvertArgs, convert};
use crate::cmd::datasets::datasets;
use crate::cmd::demo::{DemoArgs, demo};
use crate::cmd::diff::{DiffArgs, diff};
use crate::cmd::download::{DownloadArgs, download};
use crate::cmd::export::{ExportArgs, export};
use crate::cmd::import::{ImportArgs, import};
use crate::cmd::import_judgments::{ImportJudgmentsArgs, import_judgments};
use crate::cmd::judge::{JudgeArgs, judge};
use crate::cmd::merge::{MergeArgs, merge};
use crate::cmd::models::{ModelsArgs, models};
use crate::cmd::prompt::{PromptArgs, prompt};
use crate::cmd::report::{ReportArgs, report};
use crate::cmd::samples::{SamplesArgs, samples};
use crate::cmd::serve::{ServeArgs, serve};
use crate::cmd::serve_model::{ServeModelArgs, serve_model};
use crate::cmd::tags::{TagsArgs, tags};

#[derive(Parser)]
#[command(
    name = "fare-lens",
    version,
    about = "Study how FARE evaluators fail: import evaluation data, review verdicts, export corrected labels."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import data files into a project (created when missing). All or nothing per file.
    Import(ImportArgs),
    /// Import evaluator outputs made elsewhere (one record per output) as a new run.
    ImportJudgments(ImportJudgmentsArgs),
    /// Export labels or retraining sets.
    Export(ExportArgs),
    /// Combine the project files of several annotators (copies of one project) into a new file,
    /// keeping every annotator's events once. OUT must not exist.
    Merge(MergeArgs),
    /// Agreement between annotators (Cohen's kappa per pair, Krippendorff's alpha) per task and
    /// data set, and how many disagreements are adjudicated.
    Agreement(ProjectArgs),
    /// Evaluator metrics per task, data set and source.
    Report(ReportArgs),
    /// Compare two evaluator runs over the same samples against the reference labels: what the
    /// later run fixed and broke, per task and per failure-mode tag.
    Diff(DiffArgs),
    /// Record an annotation on one sample (what the app's keys do, for scripts and tests).
    Annotate(AnnotateArgs),
    /// List samples, with filters and full-text search: each by its project id and as
    /// DATASET/ID, the two names `annotate` and `prompt` take.
    Samples(SamplesArgs),
    /// Print exactly what a model will see for a sample: the rendered prompt (and its token ids).
    Prompt(PromptArgs),
    /// Convert a Qwen3 safetensors model folder (FARE-8B) into a quantised GGUF file for CPUs.
    Convert(ConvertArgs),
    /// List the models found in ./models, the folders given, and the Hugging Face cache.
    Models(ModelsArgs),
    /// Download a model from the Hugging Face hub into its cache (HF_ENDPOINT, HF_TOKEN,
    /// HF_HOME are honoured); run again to resume. Without a name, list the FARE models.
    Download(DownloadArgs),
    /// Judge samples with a local evaluator (a model folder or GGUF file) or an OpenAI-compatible
    /// endpoint (http://host:port/v1), storing each judgment as it is made; running it again
    /// continues an unfinished run.
    Judge(JudgeArgs),
    /// Serve a model folder or GGUF file as an OpenAI-compatible endpoint (one generation at a
    /// time, requests queued), for `judge --model URL` and the desktop app.
    ServeModel(ServeModelArgs),
    /// List the project's data sets.
    Datasets(ProjectArgs),
    /// List the failure-mode tags, or add one of your own.
    Tags(TagsArgs),
    /// Serve a project's review UI and API over HTTP (loopback unless told otherwise; any other
    /// address requires the printed token).
    Serve(ServeArgs),
    /// Benchmarks (`bench engine`: model speed on random weights).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Build the bundled demo project and show its samples and report.
    Demo(DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Import(args) => import(&args),
        Command::ImportJudgments(args) => import_judgments(&args),
        Command::Export(args) => export(&args),
        Command::Merge(args) => merge(&args),
        Command::Agreement(args) => agreement(&args),
        Command::Report(args) => report(&args),
        Command::Diff(args) => diff(&args),
        Command::Annotate(args) => annotate(&args),
        Command::Samples(args) => samples(&args),
        Command::Prompt(args) => prompt(&args),
        Command::Convert(args) => convert(&args),
        Command::Models(args) => models(&args),
        Command::Download(args) => download(&args),
        Command::Judge(args) => judge(&args),
        Command::ServeModel(args) => serve_model(&args),
        Command::Datasets(args) => datasets(&args),
        Command::Tags(args) => tags(&args),
        Command::Serve(args) => serve(&args),
        Command::Bench(BenchCommand::Engine(args)) => bench_engine(&args),
        Command::Bench(BenchCommand::Judge(args)) => bench_judge(&args),
        Command::Bench(BenchCommand::Logits(args)) => bench_logits(&args),
        Command::Demo(args) => demo(&args),
    }
}
