//! `fare-lens`: the command line of FARE Lens.
//!
//! A thin shell: each subcommand parses its arguments, calls the store, the importers and
//! exporters ([`fare_io`]) or the application API ([`fare_app`]), and prints the result for
//! people or, with `--json`, for programs. Errors are printed once, here, and exit non-zero.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use fare_core::{AnnotationAction, Task, Verdict};
use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::gpt_oss::ExpertWeights;
use fare_io::formats::{Format, Mapping};
use fare_io::import::{ImportOptions, import_file};
use fare_store::query::EvaluatorFilter;
use fare_store::{Project, ReviewFilter, SampleFilter};
use indicatif::{ProgressBar, ProgressStyle};

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
    Demo {
        /// Where to write it.
        #[arg(default_value = "fare-lens-demo.sqlite")]
        project: PathBuf,
        /// Print the report as machine-readable JSON.
        #[arg(long)]
        json: bool,
        /// Then serve it for review in the browser (an existing demo is reopened as it is,
        /// with its annotations).
        #[arg(long)]
        serve: bool,
        /// Where to serve it.
        #[arg(long, default_value = "127.0.0.1:7878")]
        addr: std::net::SocketAddr,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// The project file (created when missing).
    project: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: std::net::SocketAddr,
    /// Who is annotating (default: $FARE_LENS_ANNOTATOR, else the login name).
    #[arg(long)]
    annotator: Option<String>,
    /// The token the API requires, at least 16 characters (a random one by default, loopback
    /// included: other users of the machine and other web sites must not reach the project).
    #[arg(long, env = "FARE_LENS_TOKEN")]
    token: Option<String>,
    /// A host name the server answers to besides loopback's and the address it listens on
    /// (the machine's name on the network; repeatable).
    #[arg(long = "allow-host")]
    allowed_hosts: Vec<String>,
    /// The built web UI (`ui/dist` of this checkout by default).
    #[arg(long)]
    ui: Option<PathBuf>,
    /// A folder of model folders and GGUF files for the model panel, besides the `models/`
    /// folder beside the project and the Hugging Face cache (repeatable).
    #[arg(long = "models")]
    model_folders: Vec<PathBuf>,
    /// An OpenAI-compatible endpoint (`http://host:port/v1`) the model panel may use with the
    /// API key in `OPENAI_API_KEY` (repeatable; also FARE_LENS_ENDPOINTS). An endpoint typed
    /// into the panel that is not configured gets no key.
    #[arg(long = "endpoint")]
    endpoints: Vec<String>,
    /// A folder whose files the web UI may import and export into, besides the project's own
    /// (repeatable). Nothing outside these, nothing hidden, and no file the server did not
    /// export is replaced.
    #[arg(long = "data")]
    data_folders: Vec<PathBuf>,
    /// Let people look but not change: every command that writes (decisions, imports,
    /// exports, queues, models and jobs) is refused.
    #[arg(long)]
    read_only: bool,
}

#[derive(Args)]
struct ProjectArgs {
    /// The project file (.sqlite).
    project: PathBuf,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// The project file (.sqlite); created when missing.
    project: PathBuf,
    /// The files to import.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The format (detected when absent): processbench, prm800k, judgebench, gsm8k, gsm8k-solutions, math, mapped.
    #[arg(long)]
    format: Option<String>,
    /// A field mapping TARGET=FIELD (targets: id, question, steps, response, response_a, response_b, reference, rubric, label, source).
    #[arg(long = "map", value_name = "TARGET=FIELD")]
    map: Vec<String>,
    /// A mapping file (TOML: task, label_base, step_separator, [fields]).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// The task of mapped records (inferred from the mapped fields when absent).
    #[arg(long)]
    task: Option<String>,
    /// The number of the first step in step-level labels of mapped records.
    #[arg(long)]
    label_base: Option<i64>,
    /// The separator between steps when mapped steps are one string.
    #[arg(long)]
    step_separator: Option<String>,
    /// Import the valid records and report every invalid one instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    /// The largest record accepted, in bytes (64 MiB by default).
    #[arg(long, hide = true)]
    max_record_bytes: Option<usize>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PromptArgs {
    /// The project file.
    project: PathBuf,
    /// The sample: its project id, or DATASET/ID (see `annotate`).
    sample: String,
    /// The model folder (tokenizer.json with tokenizer_config.json or chat_template.jinja).
    #[arg(long)]
    model: PathBuf,
    /// A template file to use instead of the shipped one of the sample's task.
    #[arg(long)]
    template: Option<PathBuf>,
    /// Direct judgment (verdict only) instead of critique then verdict.
    #[arg(long)]
    direct: bool,
    /// Show A and B swapped (pairwise samples).
    #[arg(long)]
    swapped: bool,
    /// gpt-oss's reasoning effort (low, medium or high) for templates that read it.
    #[arg(long, default_value = "medium")]
    reasoning_effort: fare_engine::harmony::ReasoningEffort,
    /// Also print the token ids.
    #[arg(long)]
    ids: bool,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ServeModelArgs {
    /// The model: a folder (config.json, safetensors, tokenizer) or a GGUF file.
    model: PathBuf,
    /// Where to listen (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: std::net::SocketAddr,
    /// The model's name for clients (default: the folder or file name).
    #[arg(long)]
    name: Option<String>,
    /// cpu, cuda or metal (GPUs need a build with that feature).
    #[arg(long, default_value = "cpu")]
    device: DeviceChoice,
    /// The weight and activation type of a safetensors model: f32, bf16 or f16 (default: f32 on
    /// the CPU, bf16 on a GPU). A GGUF file keeps its own types.
    #[arg(long)]
    dtype: Option<WeightDtype>,
    /// How a gpt-oss model keeps its experts: dequantized (to --dtype; default), q8_0 or q4_0
    /// (re-quantised at load: about 24 GB and 14 GB for gpt-oss-20b instead of 42 GB in bf16).
    #[arg(long)]
    experts: Option<ExpertWeights>,
    /// Stop serving when standard input closes: a parent process that starts the server as its
    /// worker keeps a pipe open, so the worker ends with it however the parent ends.
    #[arg(long)]
    exit_with_stdin: bool,
    /// The key every `/v1/` request must carry (`Authorization: Bearer KEY`; clients such as
    /// `judge --model http://…` send `$OPENAI_API_KEY`). Without one, anyone who reaches the
    /// address may use the model.
    #[arg(long, env = "FARE_LENS_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

#[derive(Args)]
struct JudgeArgs {
    /// The project file.
    project: PathBuf,
    /// The model: a folder (config.json, safetensors, tokenizer), a GGUF file, or an
    /// OpenAI-compatible endpoint (http://host:port/v1).
    #[arg(long)]
    model: String,
    /// The model's name in the project (default: the folder or file name); for an endpoint
    /// also the model name sent to it (required there).
    #[arg(long)]
    model_name: Option<String>,
    /// The environment variable holding the endpoint's API key (default: OPENAI_API_KEY when set).
    #[arg(long)]
    api_key_env: Option<String>,
    /// Samples judged at once: requests in flight for an endpoint (default 4); for a local
    /// model, the sequences sharing each forward pass (default: as many as half the device's
    /// free memory holds at 4,096 positions each, at most 64 on a GPU and 16 on the CPU; 1
    /// judges one sample at a time).
    #[arg(long, visible_alias = "batch")]
    parallel: Option<usize>,
    /// Do not ask the endpoint for log-probabilities (for servers that refuse them).
    #[arg(long)]
    no_logprobs: bool,
    /// How a local gpt-oss model keeps its experts: dequantized (default), q8_0 or q4_0.
    #[arg(long)]
    experts: Option<ExpertWeights>,
    /// Where a local model runs: cpu, cuda, cuda:N or metal (GPUs need a build with that
    /// feature: bash src-tauri/build-cuda.sh). A model larger than the device's free memory is
    /// refused before loading, with both sizes.
    #[arg(long, default_value = "cpu")]
    device: DeviceChoice,
    /// The weight and activation type of a local safetensors model: f32, bf16 or f16 (default:
    /// f32 on the CPU, bf16 on a GPU). A GGUF file keeps its own types.
    #[arg(long)]
    dtype: Option<WeightDtype>,
    /// Only this task.
    #[arg(long)]
    task: Option<String>,
    /// Only this data set (name or id).
    #[arg(long)]
    dataset: Option<String>,
    /// At most this many samples.
    #[arg(long)]
    limit: Option<usize>,
    /// Judgments per sample (seeds differ per attempt; use a temperature above 0).
    #[arg(long, default_value_t = 1)]
    samples: u32,
    /// Also judge pairwise samples with A and B swapped.
    #[arg(long)]
    swap: bool,
    /// Verdict only (FARE's direct mode) instead of critique then verdict.
    #[arg(long)]
    direct: bool,
    /// The most tokens to generate per judgment.
    #[arg(long, default_value_t = 4096)]
    max_new_tokens: usize,
    /// Sampling temperature (0: greedy).
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// Nucleus sampling.
    #[arg(long)]
    top_p: Option<f64>,
    /// Random seed of sampled decoding.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How long gpt-oss models (FARE-20B) reason before answering: low, medium or high. Kept
    /// in the run's settings; models whose chat template has no such setting ignore it.
    #[arg(long, default_value = "medium")]
    reasoning_effort: fare_engine::harmony::ReasoningEffort,
    /// Start a new run even when one with the same settings exists (default: continue it).
    #[arg(long)]
    new_run: bool,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ModelsArgs {
    /// A folder holding model folders or GGUF files (default: ./models).
    #[arg(long = "dir")]
    dirs: Vec<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ConvertArgs {
    /// The model folder (config.json and safetensors).
    model: PathBuf,
    /// The GGUF file to write.
    #[arg(short, long)]
    output: PathBuf,
    /// f32, f16, q8_0, q4_0, q4_k or q6_k.
    #[arg(long, default_value = "q8_0")]
    quant: String,
}

#[derive(Args)]
struct TagsArgs {
    /// The project file.
    project: PathBuf,
    /// Add a tag with this id (lowercase letters, digits and `-`).
    #[arg(long)]
    add: Option<String>,
    /// The new tag's name, as shown.
    #[arg(long, requires = "add")]
    name: Option<String>,
    /// What the new tag means.
    #[arg(long, requires = "add")]
    description: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ImportJudgmentsArgs {
    /// The project file.
    project: PathBuf,
    /// The file of outputs (JSON, JSONL, CSV or Parquet).
    file: PathBuf,
    /// The evaluator's name, as the run shows it.
    #[arg(long)]
    model: String,
    /// Where a field is: TARGET=PATH, targets sample, output, swapped, attempt, finish_reason,
    /// prompt_tokens, output_tokens, latency_ms, verdict_probs (default: their own names).
    #[arg(long = "map", value_name = "TARGET=PATH")]
    map: Vec<String>,
    /// The template the outputs were made with (a TOML file; the shipped one by default).
    #[arg(long)]
    template: Option<PathBuf>,
    /// The outputs are direct judgments (verdict only).
    #[arg(long)]
    direct: bool,
    /// A label for the run.
    #[arg(long)]
    label: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// The project file.
    project: PathBuf,
    /// labels-jsonl, labels-csv, labels-parquet, sft-jsonl or preference-jsonl.
    #[arg(long)]
    format: String,
    /// The output file.
    #[arg(short, long)]
    output: PathBuf,
    /// The evaluator run whose verdicts are exported (the newest when absent).
    #[arg(long)]
    run: Option<i64>,
    /// Only this annotator's labels.
    #[arg(long)]
    annotator: Option<String>,
    /// What counts as a sample's final human verdict: adjudicated (the adjudicated verdict,
    /// else the one every annotator agrees on), majority, or annotator:NAME.
    #[arg(long, default_value = "adjudicated")]
    final_label: String,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct MergeArgs {
    /// The new project file (must not exist).
    output: PathBuf,
    /// The project files to combine (two or more).
    #[arg(required = true, num_args = 2..)]
    inputs: Vec<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// The project file.
    project: PathBuf,
    /// The run to report on (the newest when absent).
    #[arg(long)]
    run: Option<i64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DiffArgs {
    /// The project file.
    project: PathBuf,
    /// The earlier run (checkpoint).
    #[arg(long)]
    before: i64,
    /// The later run.
    #[arg(long)]
    after: i64,
    /// What counts as right: the human label where there is one, else ground truth (default),
    /// or only one of them.
    #[arg(long, value_parser = ["human-else-gold", "gold", "human"])]
    reference: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AnnotateArgs {
    /// The project file.
    project: PathBuf,
    /// The sample: its project id (a number, as `samples` lists it), or its data set's id for it
    /// as DATASET/ID (e.g. 2/gsm8k-12; the ID alone when no other data set has it).
    sample: String,
    /// Accept the evaluator's verdict (of the newest run, or --run).
    #[arg(long, group = "action")]
    accept: bool,
    /// Correct the verdict: A/B, a step number or -1, correct/incorrect, a rating.
    #[arg(long, group = "action", allow_hyphen_values = true)]
    verdict: Option<String>,
    /// Set a failure-mode tag.
    #[arg(long, group = "action")]
    tag: Option<String>,
    /// Remove a failure-mode tag.
    #[arg(long, group = "action")]
    untag: Option<String>,
    /// Mark "right verdict, wrong reason".
    #[arg(long, group = "action")]
    wrong_reason: bool,
    /// Replace the note.
    #[arg(long, group = "action")]
    note: Option<String>,
    /// Undo the latest edit.
    #[arg(long, group = "action")]
    undo: bool,
    /// Redo the latest undone edit.
    #[arg(long, group = "action")]
    redo: bool,
    /// Who annotates (default: $FARE_LENS_ANNOTATOR, else the login name).
    #[arg(long)]
    annotator: Option<String>,
    /// The run whose verdict --accept accepts.
    #[arg(long)]
    run: Option<i64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SamplesArgs {
    /// The project file.
    project: PathBuf,
    /// Only this task.
    #[arg(long)]
    task: Option<String>,
    /// Only this data set (its name or id).
    #[arg(long)]
    dataset: Option<String>,
    /// Only this source (e.g. a ProcessBench split).
    #[arg(long)]
    source: Option<String>,
    /// Review state: unreviewed, reviewed, accepted, corrected.
    #[arg(long)]
    review: Option<String>,
    /// Evaluator: agrees-with-gold, disagrees-with-gold, failed, not-judged.
    #[arg(long)]
    evaluator: Option<String>,
    /// Only samples with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Full-text search.
    #[arg(long)]
    search: Option<String>,
    /// The run whose verdicts are shown.
    #[arg(long)]
    run: Option<i64>,
    /// Samples after this id (paging).
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// How many.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
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
        Command::Judge(args) => judge(&args),
        Command::ServeModel(args) => serve_model(&args),
        Command::Datasets(args) => datasets(&args),
        Command::Tags(args) => tags(&args),
        Command::Serve(args) => serve(&args),
        Command::Bench(BenchCommand::Engine(args)) => bench_engine(&args),
        Command::Bench(BenchCommand::Judge(args)) => bench_judge(&args),
        Command::Bench(BenchCommand::Logits(args)) => bench_logits(&args),
        Command::Demo {
            project,
            serve: true,
            addr,
            ..
        } => {
            if !project.exists() {
                drop(fare_app::demo::build(&project)?);
            } else if !fare_app::demo::is_demo(&project) {
                bail!(fare_app::demo::DemoError::NotADemo(project));
            }
            serve(&ServeArgs {
                project,
                addr,
                annotator: None,
                token: None,
                allowed_hosts: Vec::new(),
                ui: None,
                model_folders: Vec::new(),
                endpoints: Vec::new(),
                data_folders: Vec::new(),
                read_only: false,
            })
        }
        Command::Demo { project, json, .. } => {
            drop(fare_app::demo::build(&project)?);
            if json {
                return report(&ReportArgs {
                    project,
                    run: None,
                    json: true,
                });
            }
            println!("demo project written to {}\n", project.display());
            samples(&SamplesArgs {
                project: project.clone(),
                task: None,
                dataset: None,
                source: None,
                review: None,
                evaluator: None,
                tag: None,
                search: None,
                run: None,
                after: 0,
                limit: 50,
                json: false,
            })?;
            println!();
            report(&ReportArgs {
                project,
                run: None,
                json: false,
            })
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn open(path: &std::path::Path) -> Result<Project> {
    Ok(Project::open(path)?)
}

fn import(args: &ImportArgs) -> Result<ExitCode> {
    let mut mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the mapping file", path.display()))?;
            Some(Mapping::from_toml(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    if !args.map.is_empty()
        || args.task.is_some()
        || args.label_base.is_some()
        || args.step_separator.is_some()
    {
        let mut base = mapping.unwrap_or_default();
        if let Some(task) = &args.task {
            base.task = Some(task.parse::<Task>()?);
        }
        if let Some(label_base) = args.label_base {
            base.label_base = label_base;
        }
        if let Some(separator) = &args.step_separator {
            base.step_separator = Some(separator.replace("\\n", "\n"));
        }
        mapping = Some(
            base.with_pairs(args.map.iter().map(String::as_str))
                .map_err(|e| anyhow!(e))?,
        );
    }
    let options = ImportOptions {
        format: args
            .format
            .as_deref()
            .map(str::parse::<Format>)
            .transpose()
            .map_err(|e| anyhow!(e))?,
        mapping,
        skip_invalid: args.skip_invalid,
        max_record_bytes: args
            .max_record_bytes
            .unwrap_or(fare_io::read::DEFAULT_MAX_RECORD_BYTES),
        dataset_name: None,
    };
    let mut project = Project::open_or_create(&args.project)?;
    let mut reports = Vec::new();
    for file in &args.files {
        let bar = progress_bar(&format!("importing {}", file.display()));
        let result = import_file(&mut project, file, &options, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        let report = result.map_err(|e| anyhow!("{e}\nnothing of this file was imported"))?;
        if !args.json {
            let d = &report.dataset;
            if report.already_imported {
                println!(
                    "{}: already in the project as data set {} `{}` ({} samples); nothing to do",
                    report.file, d.id, d.name, d.sample_count
                );
            } else {
                println!(
                    "{}: imported {} records as {} samples (format {}, data set {})",
                    report.file, d.record_count, d.sample_count, report.format, d.id
                );
            }
            for skipped in &report.skipped {
                eprintln!("skipped: {skipped}");
            }
            if !report.skipped.is_empty() {
                eprintln!("{} invalid records skipped", report.skipped.len());
            }
        }
        reports.push(report);
    }
    if args.json {
        print_json(&reports)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn import_judgments(args: &ImportJudgmentsArgs) -> Result<ExitCode> {
    use fare_io::judgments::{JudgmentImportOptions, import_judgments};
    let mut options = JudgmentImportOptions::new(&args.model)
        .with_pairs(args.map.iter().map(String::as_str))
        .map_err(|e| anyhow!(e))?;
    if let Some(path) = &args.template {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the template", path.display()))?;
        options.template = Some(
            fare_core::Template::from_toml(&text)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?,
        );
    }
    if args.direct {
        options.mode = fare_core::PromptMode::Direct;
    }
    options.label.clone_from(&args.label);
    let mut project = open(&args.project)?;
    let bar = progress_bar(&format!("importing {}", args.file.display()));
    let result = import_judgments(&mut project, &args.file, &options, &mut |n| {
        bar.set_position(n);
    });
    bar.finish_and_clear();
    let report = result.map_err(|e| anyhow!("{e}\nnothing of this file was imported"))?;
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "{}: run {} with {} judgments ({})",
            report.file,
            report.run_id,
            report.judgments,
            report.outcomes.summary(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn export(args: &ExportArgs) -> Result<ExitCode> {
    use fare_io::export::{ExportFormat, ExportOptions};
    let project = open(&args.project)?;
    let format: ExportFormat = args.format.parse().map_err(|e| anyhow!("{e}"))?;
    let options = ExportOptions {
        run_id: args.run,
        annotator: args.annotator.clone(),
        dataset_id: None,
        final_label: args
            .final_label
            .parse::<fare_core::FinalLabel>()
            .map_err(|e| anyhow!("--final-label: {e}"))?,
    };
    let bar = progress_bar(&format!("exporting {}", args.output.display()));
    let shown = bar.clone();
    let result = fare_io::export::export_with_progress(
        &project,
        format,
        &options,
        &args.output,
        Some(Box::new(move |n| shown.set_position(n))),
    );
    bar.finish_and_clear();
    let summary = result?;
    if args.json {
        print_json(&summary)?;
    } else {
        println!(
            "{}: wrote {} rows ({} samples, {} skipped)",
            args.output.display(),
            summary.rows,
            summary.samples,
            summary.skipped
        );
        let list = |counts: &std::collections::BTreeMap<String, u64>| {
            counts
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "final verdicts ({}): {}",
            summary.final_label,
            if summary.final_sources.is_empty() {
                "none".to_owned()
            } else {
                list(&summary.final_sources)
            }
        );
        if !summary.unresolved.is_empty() {
            println!("without a final verdict: {}", list(&summary.unresolved));
        }
        if !summary.skipped_reasons.is_empty() {
            println!("skipped: {}", list(&summary.skipped_reasons));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(args: &MergeArgs) -> Result<ExitCode> {
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

fn agreement(args: &ProjectArgs) -> Result<ExitCode> {
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

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{:.1}", v * 100.0))
}

fn report(args: &ReportArgs) -> Result<ExitCode> {
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

fn diff(args: &DiffArgs) -> Result<ExitCode> {
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

fn resolve_sample(project: &Project, text: &str) -> Result<i64> {
    Ok(fare_app::naming::resolve_sample(project, text)?)
}

fn annotate(args: &AnnotateArgs) -> Result<ExitCode> {
    let mut project = open(&args.project)?;
    let sample_id = resolve_sample(&project, &args.sample)?;
    let stored = project.sample(sample_id)?;
    let rules = fare_core::VerdictRules::for_person(
        stored.sample.task(),
        stored.sample.content.steps().len(),
    );
    let annotator = args
        .annotator
        .clone()
        .unwrap_or_else(fare_app::naming::default_annotator);
    let mut judgment_id = None;
    let action = if args.accept {
        // The verdict on screen: the named run's, else the newest run of the sample's task.
        let run = project.shown_runs(args.run)?.of(stored.sample.task());
        let judgment = project
            .judgments_of(sample_id)?
            .into_iter()
            .find(|j| !j.swapped && j.attempt == 0 && Some(j.run_id) == run)
            .ok_or_else(|| {
                anyhow!(
                    "sample {sample_id} has no evaluator verdict to accept; give --verdict instead"
                )
            })?;
        let verdict = judgment
            .judgment
            .verdict()
            .ok_or_else(|| anyhow!("the evaluator's output for sample {sample_id} has no valid verdict ({}); give --verdict instead", judgment.judgment.outcome.state()))?;
        judgment_id = Some(judgment.id);
        AnnotationAction::Accept { verdict }
    } else if let Some(text) = &args.verdict {
        AnnotationAction::Correct {
            verdict: Verdict::from_canonical(text, &rules)
                .map_err(|e| anyhow!("sample {sample_id}: {e}"))?,
        }
    } else if let Some(tag) = &args.tag {
        AnnotationAction::Tag {
            tag: tag.clone(),
            on: true,
        }
    } else if let Some(tag) = &args.untag {
        AnnotationAction::Tag {
            tag: tag.clone(),
            on: false,
        }
    } else if args.wrong_reason {
        AnnotationAction::WrongReason { on: true }
    } else if let Some(note) = &args.note {
        AnnotationAction::Note { text: note.clone() }
    } else if args.undo {
        AnnotationAction::Undo
    } else if args.redo {
        AnnotationAction::Redo
    } else {
        bail!(
            "say what to record: --accept, --verdict V, --tag T, --untag T, --wrong-reason, --note N, --undo or --redo"
        );
    };
    let label = project.annotate(sample_id, &annotator, &action, judgment_id)?;
    if args.json {
        print_json(&label)?;
    } else {
        let l = &label.label;
        println!(
            "sample {sample_id} by {}: {} {}{}{}",
            label.annotator,
            l.decision.as_str(),
            l.verdict.map(Verdict::canonical).unwrap_or_default(),
            if l.tags.is_empty() {
                String::new()
            } else {
                format!(
                    " tags {}",
                    l.tags.iter().cloned().collect::<Vec<_>>().join(",")
                )
            },
            if l.wrong_reason {
                " (right verdict, wrong reason)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_kebab<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| anyhow!("unknown {what} `{text}`"))
}

/// A data set named by its id or its name.
fn dataset_id(project: &Project, text: &str) -> Result<i64> {
    let datasets = project.datasets()?;
    let found: Vec<_> = datasets
        .iter()
        .filter(|d| d.name == text || d.id.to_string() == text)
        .collect();
    match found.as_slice() {
        [d] => Ok(d.id),
        [] => bail!("no data set `{text}` in the project (see `fare-lens datasets`)"),
        _ => bail!("several data sets are named `{text}`; give its id (see `fare-lens datasets`)"),
    }
}

fn samples(args: &SamplesArgs) -> Result<ExitCode> {
    let project = open(&args.project)?;
    let filter = SampleFilter {
        task: args.task.as_deref().map(str::parse).transpose()?,
        dataset_id: args
            .dataset
            .as_deref()
            .map(|d| dataset_id(&project, d))
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

fn prompt(args: &PromptArgs) -> Result<ExitCode> {
    use fare_engine::chat::RenderOptions;
    let project = open(&args.project)?;
    let sample_id = resolve_sample(&project, &args.sample)?;
    let stored = project.sample(sample_id)?;
    let task = stored.sample.task();
    let template = match &args.template {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read the template", path.display()))?;
            fare_core::Template::from_toml(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        None => fare_core::Template::builtin_for(task)
            .ok_or_else(|| anyhow!("no shipped template for {task}"))?,
    };
    if args.swapped && task != Task::Pairwise {
        bail!("only pairwise samples can be swapped; sample {sample_id} is {task}");
    }
    let mode = if args.direct {
        fare_core::PromptMode::Direct
    } else {
        fare_core::PromptMode::Critique
    };
    let order = if args.swapped {
        fare_core::ResponseOrder::Swapped
    } else {
        fare_core::ResponseOrder::Original
    };
    let messages = template.render(&stored.sample, mode, order)?;
    let chat = fare_engine::ChatTemplate::from_model_dir(&args.model)?;
    let tokenizer = fare_engine::TextTokenizer::from_file(&args.model.join("tokenizer.json"))?;
    let input = fare_engine::prompt::model_input(
        &messages,
        &chat,
        &tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            // Qwen3 templates read it (FARE-8B is non-thinking); others ignore it.
            enable_thinking: Some(false),
            reasoning_effort: Some(args.reasoning_effort),
            now: None,
        },
    )?;
    if !input.special_tokens_in_text.is_empty() {
        eprintln!(
            "warning: the sample's text contains control tokens of this model ({}); the model reads them as such",
            input.special_tokens_in_text.join(", ")
        );
    }
    if args.json {
        print_json(&serde_json::json!({
            "sample": sample_id,
            "template": template.name,
            "template_hash": template.content_hash(),
            "text": input.text,
            "ids": input.ids,
            "tokens": input.ids.len(),
            "special_tokens_in_text": input.special_tokens_in_text,
        }))?;
    } else {
        print!("{}", input.text);
        if args.ids {
            println!("\n\n{} tokens: {:?}", input.ids.len(), input.ids);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn judge(args: &JudgeArgs) -> Result<ExitCode> {
    use fare_app::judge::{JudgeOptions, judge};
    use fare_engine::generate::SamplingParams;
    use std::ops::ControlFlow;
    let mut project = open(&args.project)?;
    let filter = SampleFilter {
        task: args.task.as_deref().map(str::parse).transpose()?,
        dataset_id: args
            .dataset
            .as_deref()
            .map(|d| dataset_id(&project, d))
            .transpose()?,
        ..SampleFilter::default()
    };
    if args.samples > 1 && args.temperature <= 0.0 {
        eprintln!(
            "warning: --samples {} with greedy decoding gives the same output each time; add --temperature",
            args.samples
        );
    }
    let (mut backend, model_name) = judge_backend(args)?;
    let options = JudgeOptions {
        filter,
        samples: None,
        limit: args.limit,
        sampling: SamplingParams {
            temperature: args.temperature,
            top_p: args.top_p,
            seed: args.seed,
            max_new_tokens: args.max_new_tokens,
            reasoning_effort: args.reasoning_effort,
        },
        attempts: args.samples.max(1),
        swap: args.swap,
        mode: if args.direct {
            fare_core::PromptMode::Direct
        } else {
            fare_core::PromptMode::Critique
        },
        model_name,
        new_run: args.new_run,
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} judgments, {msg}, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let report = judge(&mut project, backend.as_mut(), &options, &mut |p| {
        bar.set_length(p.planned);
        bar.set_position(p.judged);
        bar.set_message(format!("{:.1} tokens/s", p.tokens_per_second));
        ControlFlow::Continue(())
    })?;
    bar.finish_and_clear();
    if args.json {
        print_json(&report)?;
    } else {
        let Some(run_id) = report.run_id else {
            println!("no sample matches: nothing to judge");
            return Ok(ExitCode::SUCCESS);
        };
        println!(
            "run {}{}: {} judgments ({}); {} already judged",
            run_id,
            if report.resumed { " (continued)" } else { "" },
            report.judged,
            report.outcomes.summary(),
            report.skipped
        );
        if let Some(agreement) = report.mean_agreement {
            println!(
                "majority of {}: on average {:.0}% of a sample's judgments gave its majority verdict",
                options.attempts,
                agreement * 100.0
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The judge `--model` names (a local evaluator, or an endpoint client when it is a URL) and the
/// model's name in the project.
fn judge_backend(args: &JudgeArgs) -> Result<(Box<dyn fare_engine::evaluator::Judge>, String)> {
    if fare_endpoint::client::is_endpoint_url(&args.model) {
        let name = args.model_name.clone().ok_or_else(|| {
            anyhow!("--model-name is required with an endpoint: the model name the server knows")
        })?;
        let mut config = fare_endpoint::EndpointConfig::new(&args.model, &name);
        config.api_key_env.clone_from(&args.api_key_env);
        config.parallel = args.parallel.unwrap_or(4).max(1);
        config.logprobs = !args.no_logprobs;
        return Ok((Box::new(fare_endpoint::EndpointJudge::new(config)?), name));
    }
    if args.api_key_env.is_some() {
        eprintln!("warning: --api-key-env applies to endpoints");
    }
    let path = PathBuf::from(&args.model);
    let evaluator = fare_app::models::load_evaluator(
        &path,
        args.device,
        args.dtype,
        args.experts.unwrap_or_default(),
    )?;
    let name = args.model_name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    if args.parallel == Some(1) {
        return Ok((Box::new(evaluator), name));
    }
    let options = fare_engine::batch::BatchOptions::with_sequences(
        &evaluator.model,
        args.parallel.unwrap_or(0),
    );
    eprintln!(
        "batching up to {} samples at once ({} of attention cache)",
        options.max_sequences,
        fare_engine::device::gigabytes(options.cache_budget)
    );
    let judge = fare_engine::evaluator::BatchedEvaluator::new(evaluator, options)?;
    Ok((Box::new(judge), name))
}

fn serve_model(args: &ServeModelArgs) -> Result<ExitCode> {
    fare_app::serve_model::ServeModel {
        model: args.model.clone(),
        addr: args.addr,
        name: args.name.clone(),
        device: args.device,
        dtype: args.dtype,
        experts: args.experts,
        exit_with_stdin: args.exit_with_stdin,
        api_key: args.api_key.clone(),
    }
    .run()?;
    Ok(ExitCode::SUCCESS)
}

fn models(args: &ModelsArgs) -> Result<ExitCode> {
    let dirs = if args.dirs.is_empty() {
        vec![PathBuf::from("models")]
    } else {
        args.dirs.clone()
    };
    let hub = fare_engine::discover::hugging_face_cache();
    let found = fare_engine::discover::discover(&dirs, hub.as_deref());
    if args.json {
        print_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "no models in {}{}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if hub.is_some() {
                " or the Hugging Face cache"
            } else {
                ""
            }
        );
    }
    for m in &found {
        println!(
            "{:<32} {:<11} {:<8} {:<9} {:>9.1} MB  {}  {}",
            m.name,
            m.format,
            m.architecture.as_deref().unwrap_or("?"),
            m.dtype.as_deref().unwrap_or("?"),
            m.size as f64 / 1e6,
            m.problem
                .as_deref()
                .map_or_else(|| "usable".to_owned(), |p| format!("not usable: {p}")),
            m.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(args: &ConvertArgs) -> Result<ExitCode> {
    let quant = fare_engine::convert::quantization(&args.quant).ok_or_else(|| {
        anyhow!(
            "unknown quantisation `{}` (f32, f16, q8_0, q4_0, q4_k, q6_k)",
            args.quant
        )
    })?;
    let bar = progress_bar(&format!("converting {}", args.model.display()));
    let result = fare_engine::convert::qwen3_to_gguf(&args.model, &args.output, quant);
    bar.finish_and_clear();
    result?;
    let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    println!(
        "{}: {} GGUF, {:.1} MB",
        args.output.display(),
        args.quant,
        size as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}

fn tags(args: &TagsArgs) -> Result<ExitCode> {
    let mut project = open(&args.project)?;
    if let Some(id) = &args.add {
        let tag = project.add_tag(
            id,
            args.name.as_deref().unwrap_or_default(),
            args.description.as_deref().unwrap_or_default(),
        )?;
        if args.json {
            print_json(&tag)?;
        } else {
            println!("added tag `{}` ({})", tag.id, tag.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let tags = project.tags()?;
    if args.json {
        print_json(&tags)?;
    } else {
        for t in &tags {
            let origin = if t.builtin { "" } else { " (yours)" };
            println!("{:<28} {}{origin}: {}", t.id, t.name, t.description);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn datasets(args: &ProjectArgs) -> Result<ExitCode> {
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

fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let token = match &args.token {
        Some(token) => fare_server::Token::new(token).map_err(|e| anyhow!("--token: {e}"))?,
        None => fare_server::Token::random()?,
    };
    let project = fare_store::Project::open_or_create(&args.project)?;
    let annotator = args
        .annotator
        .clone()
        .unwrap_or_else(fare_app::naming::default_annotator);
    let open = fare_app::api::OpenProject::new(project, &annotator);
    let ui_dir = args
        .ui
        .clone()
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist")));
    if !ui_dir.join("index.html").is_file() {
        eprintln!(
            "warning: no built UI in {} (npm ci && npm run build in ui/); serving the API only",
            ui_dir.display()
        );
    }
    let options = fare_server::ServeOptions {
        token: token.clone(),
        allowed_hosts: args.allowed_hosts.clone(),
        ui_dir: Some(ui_dir),
        // The model panel runs models in this same binary, as `fare-lens serve-model`.
        worker: Some(fare_app::worker::WorkerCommand::this_executable()?),
        model_folders: args.model_folders.clone(),
        endpoints: fare_app::worker::ConfiguredEndpoints::with_environment(&args.endpoints)
            .map_err(anyhow::Error::msg)?,
        data_folders: args.data_folders.clone(),
        read_only: args.read_only,
    };
    // Refused now, before anything listens, rather than narrowed silently by the router.
    fare_server::data_access(&args.project, &args.data_folders).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        println!(
            "FARE Lens: {} for {annotator} at http://{addr}/#token={}",
            args.project.display(),
            token.as_str()
        );
        fare_server::serve(listener, fare_server::router(open, &options, addr)).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

// ---- `fare-lens bench`: benchmarks from fare-bench's library, kept together here. ----

#[derive(Subcommand)]
enum BenchCommand {
    /// Judging throughput: samples per hour at several batch sizes on ProcessBench prompts.
    Judge(BenchJudgeArgs),
    /// Prefill and decode speed of the engine on random Qwen3 weights of a named shape.
    Engine(BenchEngineArgs),
    /// The engine's logits on given token ids (prefill, then greedy KV-cache decode), written
    /// as raw f32 rows for a comparison with transformers; the report (JSON) on stdout.
    Logits(BenchLogitsArgs),
}

#[derive(Args)]
struct BenchJudgeArgs {
    /// The model: a folder (config.json, safetensors) or a GGUF file (e.g. the random weights
    /// of `bench engine --write-model`, or their `convert` to Q8_0).
    #[arg(long, required_unless_present = "write_prompts")]
    model: Option<PathBuf>,
    /// The prompts file (JSON: `prompts`, lists of token ids, and `new_tokens`), as
    /// --write-prompts writes it.
    #[arg(long, conflicts_with = "write_prompts")]
    prompts: Option<PathBuf>,
    /// Write the prompts file (ProcessBench samples as step-level FARE prompts) and stop.
    #[arg(long)]
    write_prompts: Option<PathBuf>,
    /// The ProcessBench folder (its JSON files) for --write-prompts.
    #[arg(long, default_value = "../shared/data/processbench")]
    data: PathBuf,
    /// The tokenizer.json for --write-prompts (a Qwen3 tokenizer).
    #[arg(long, default_value = ".test-assets/tokenizer-qwen3/tokenizer.json")]
    tokenizer: PathBuf,
    /// Samples (prompts) to write, or to judge from the file (default: all in it).
    #[arg(long)]
    samples: Option<usize>,
    /// Tokens each sample generates, for --write-prompts.
    #[arg(long, default_value_t = 256)]
    new_tokens: usize,
    /// Batch sizes to measure, in order (batch 1 first gives the ratios).
    #[arg(long, value_delimiter = ',', default_value = "1,4,8,16")]
    batch: Vec<usize>,
    /// cpu, cuda or metal.
    #[arg(long, default_value = "cpu")]
    device: DeviceChoice,
    /// The activation type of a safetensors model (default: the device's).
    #[arg(long)]
    dtype: Option<WeightDtype>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchLogitsArgs {
    /// The model: a folder (config.json, safetensors) or a GGUF file.
    #[arg(long)]
    model: PathBuf,
    /// cpu, cuda, cuda:N or metal.
    #[arg(long, default_value = "cpu")]
    device: DeviceChoice,
    /// f32, bf16 or f16 (default: f32 on the CPU, bf16 on a GPU).
    #[arg(long)]
    dtype: Option<WeightDtype>,
    /// How a gpt-oss model keeps its experts: dequantized (default), q8_0 or q4_0.
    #[arg(long)]
    experts: Option<ExpertWeights>,
    /// A JSON file: {"prompts": [[ids…], …], "decode": N}.
    #[arg(long)]
    request: PathBuf,
    /// Where the logits go: one row of vocab little-endian f32 values per step.
    #[arg(long)]
    out: PathBuf,
    /// Also recompute every decoded step by a full pass with an empty cache and report the
    /// largest difference.
    #[arg(long)]
    full_check: bool,
}

#[derive(Args)]
struct BenchEngineArgs {
    /// qwen3-0.6b, fare-8b, gpt-oss-small or fare-20b (default: qwen3-0.6b, or the shape of
    /// --model-dir's model).
    #[arg(long)]
    shape: Option<String>,
    /// cpu, cuda or metal (GPUs need a build with that feature).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Weight formats to measure: f32, bf16, q8_0, q4_0, gguf-f32 (default: f32,q8_0 on the CPU,
    /// bf16 on a GPU). For gpt-oss shapes q8_0 and q4_0 re-quantise the experts at load.
    #[arg(long, value_delimiter = ',')]
    dtype: Vec<String>,
    /// Prompt tokens of the prefill.
    #[arg(long, default_value_t = 2048)]
    prompt_tokens: usize,
    /// Tokens decoded in each timed block.
    #[arg(long, default_value_t = 128)]
    decode_tokens: usize,
    /// Timed decode blocks (the median is reported).
    #[arg(long, default_value_t = 3)]
    decode_repeats: usize,
    /// Timed prefills (the median is reported).
    #[arg(long, default_value_t = 1)]
    prefill_repeats: usize,
    /// CPU threads (sets CANDLE_NUM_THREADS and RAYON_NUM_THREADS, restarting the program when
    /// they differ: candle reads them once).
    #[arg(long)]
    threads: Option<usize>,
    /// Reuse the model in this folder, or write it there when it has none.
    #[arg(long, conflicts_with = "write_model")]
    model_dir: Option<PathBuf>,
    /// Only write the random model into this folder (for the transformers reference) and stop.
    #[arg(long)]
    write_model: Option<PathBuf>,
    /// The GPU's peak memory bandwidth in GB/s (default: looked up by the GPU's name).
    #[arg(long)]
    peak_gbps: Option<f64>,
    /// Seed of the random weights.
    #[arg(long, default_value_t = 20_261_126)]
    seed: u64,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

fn bench_judge(args: &BenchJudgeArgs) -> Result<ExitCode> {
    use fare_bench::judge::{self, Prompts};

    if let Some(out) = &args.write_prompts {
        let tokenizer = fare_engine::TextTokenizer::from_file(&args.tokenizer)?;
        let prompts = judge::processbench_prompts(
            &args.data,
            &tokenizer,
            args.samples.unwrap_or(usize::MAX),
        )?;
        let lengths: Vec<usize> = prompts.iter().map(Vec::len).collect();
        let file = Prompts {
            prompts,
            new_tokens: args.new_tokens,
        };
        std::fs::write(out, serde_json::to_vec(&file)?)
            .with_context(|| format!("cannot write {}", out.display()))?;
        println!(
            "{}: {} prompts of {} to {} tokens ({} on average), {} new tokens each",
            out.display(),
            lengths.len(),
            lengths.iter().min().unwrap_or(&0),
            lengths.iter().max().unwrap_or(&0),
            lengths.iter().sum::<usize>() / lengths.len().max(1),
            args.new_tokens
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(model_path), Some(prompts_path)) = (&args.model, &args.prompts) else {
        bail!("--model and --prompts are needed (or --write-prompts)");
    };
    let text = std::fs::read_to_string(prompts_path)
        .with_context(|| format!("cannot read {}", prompts_path.display()))?;
    let mut file: Prompts = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a prompts file", prompts_path.display()))?;
    if let Some(n) = args.samples {
        file.prompts.truncate(n);
    }
    let dtype = args.dtype.unwrap_or(args.device.default_dtype());
    let model = fare_engine::model::Model::load(model_path, &args.device.open()?, dtype.dtype())?;
    let runs = judge::run_batches(model, &file.prompts, file.new_tokens, &args.batch, |run| {
        if !args.json {
            println!(
                "batch {:>3}: {:>8.0} samples/h  {:>7.1} tok/s  peak {:>3} sequences  {:>7.1} s{}",
                run.batch,
                run.samples_per_hour,
                run.tokens_per_second,
                run.peak_running,
                run.seconds,
                run.vs_batch_1
                    .map_or_else(String::new, |r| format!("  {r:.2}x batch 1"))
            );
        }
    })?;
    if args.json {
        print_json(&serde_json::json!({
            "model": model_path.display().to_string(),
            "samples": file.prompts.len(),
            "new_tokens": file.new_tokens,
            "runs": runs,
        }))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn bench_logits(args: &BenchLogitsArgs) -> Result<ExitCode> {
    let dtype = args.dtype.unwrap_or(args.device.default_dtype()).dtype();
    let experts = args.experts.unwrap_or_default();
    let text = std::fs::read_to_string(&args.request)
        .with_context(|| format!("cannot read {}", args.request.display()))?;
    let request: fare_bench::logits::LogitsRequest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a logits request", args.request.display()))?;
    let opened = args.device.open()?;
    let mut model = fare_engine::model::Model::load_with(
        &args.model,
        &opened,
        fare_engine::model::LoadOptions { dtype, experts },
    )?;
    let report = fare_bench::logits::run(&mut model, &request, args.full_check, &args.out)?;
    print_json(&report)?;
    Ok(ExitCode::SUCCESS)
}

fn bench_engine(args: &BenchEngineArgs) -> Result<ExitCode> {
    use fare_bench::engine::{self, DeviceKind, FileDType, ModelShape, WeightFormat};

    if let Some(threads) = args.threads
        && engine::threads_from_env() != Some(threads)
    {
        // candle reads its thread counts from the environment once; a program may not safely
        // change its own environment, so the bench runs again in one that says `threads`.
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .env("CANDLE_NUM_THREADS", threads.to_string())
            .env("RAYON_NUM_THREADS", threads.to_string())
            .status()
            .context("cannot restart fare-lens with the thread count set")?;
        return Ok(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let device = DeviceKind::named(&args.device)
        .ok_or_else(|| anyhow!("unknown device `{}` (cpu, cuda, metal)", args.device))?;
    let formats = if args.dtype.is_empty() {
        if device == DeviceKind::Cpu {
            vec![WeightFormat::F32, WeightFormat::Q8_0]
        } else {
            vec![WeightFormat::Bf16]
        }
    } else {
        args.dtype
            .iter()
            .map(|d| {
                WeightFormat::named(d)
                    .ok_or_else(|| anyhow!("unknown dtype `{d}` (f32, bf16, q8_0, q4_0, gguf-f32)"))
            })
            .collect::<Result<Vec<_>>>()?
    };
    // The file holds bf16 only when nothing needs f32 values (FARE-8B's 16 GB instead of 33 GB).
    let file_dtype = if formats.iter().all(|f| *f == WeightFormat::Bf16) {
        FileDType::Bf16
    } else {
        FileDType::F32
    };
    let named_shape = |name: &str| {
        ModelShape::named(name)
            .ok_or_else(|| anyhow!("unknown shape `{name}` ({})", ModelShape::NAMES.join(", ")))
    };
    let write = |dir: &std::path::Path| -> Result<()> {
        let shape = named_shape(args.shape.as_deref().unwrap_or("qwen3-0.6b"))?;
        let bar = progress_bar(&format!("writing random {} weights", shape.name));
        let result = engine::write_model(dir, &shape, file_dtype, args.seed);
        bar.finish_and_clear();
        result
    };
    if let Some(dir) = &args.write_model {
        write(dir)?;
        println!(
            "{}: random {} weights",
            dir.display(),
            args.shape.as_deref().unwrap_or("qwen3-0.6b")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let temporary;
    let dir = if let Some(dir) = &args.model_dir {
        if !dir.join("config.json").is_file() {
            write(dir)?;
        }
        dir.clone()
    } else {
        temporary = tempfile::tempdir()?;
        write(temporary.path())?;
        temporary.path().to_owned()
    };
    let shape = engine::read_shape(&dir)?;
    if let Some(name) = &args.shape
        && *name != shape.name
    {
        bail!("{} holds a {} model, not {name}", dir.display(), shape.name);
    }
    let opened = device.open()?;
    let options = engine::BenchOptions {
        prompt_tokens: args.prompt_tokens,
        decode_tokens: args.decode_tokens,
        prefill_repeats: args.prefill_repeats,
        decode_repeats: args.decode_repeats,
        ..engine::BenchOptions::default()
    };
    let mut measurements = Vec::new();
    for format in formats {
        let bar = progress_bar(&format!("measuring {}", format.name()));
        let result = engine::measure(&dir, format, &opened, &options);
        bar.finish_and_clear();
        measurements.push(result?);
    }
    let peak_bandwidth = match (args.peak_gbps, device) {
        (Some(gbps), _) => Some(engine::PeakBandwidth {
            gbps,
            source: "--peak-gbps".into(),
        }),
        (None, DeviceKind::Cuda) => engine::cuda_gpu_name().and_then(|name| {
            engine::known_peak_gbps(&name).map(|gbps| engine::PeakBandwidth {
                gbps,
                source: format!("{name}, from the table of known GPUs"),
            })
        }),
        (None, _) => None,
    };
    if peak_bandwidth.is_none() && device == DeviceKind::Cuda {
        eprintln!(
            "note: unknown GPU (or no nvidia-smi): pass --peak-gbps for the roofline fraction"
        );
    }
    let roofline_fractions = peak_bandwidth
        .as_ref()
        .map(|peak| {
            measurements
                .iter()
                .map(|m| engine::roofline_fraction(m, peak))
                .collect()
        })
        .unwrap_or_default();
    let report = engine::Report {
        parameters: shape.parameters(),
        shape,
        device,
        threads: engine::threads_from_env(),
        measurements,
        peak_bandwidth,
        roofline_fractions,
    };
    if args.json {
        print_json(&report)?;
    } else {
        engine::print_table(&report, &mut std::io::stdout().lock())?;
    }
    Ok(ExitCode::SUCCESS)
}
