//! `fare-lens judge`: judging samples with a local model or an endpoint, each judgment stored as it is made.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;
use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::gpt_oss::ExpertWeights;
use fare_store::SampleFilter;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{open, print_json};

#[derive(Args)]
pub(crate) struct JudgeArgs {
    /// The project file.
    pub(crate) project: PathBuf,
    /// The model: a folder (config.json, safetensors, tokenizer), a GGUF file, or an
    /// OpenAI-compatible endpoint (http://host:port/v1).
    #[arg(long)]
    pub(crate) model: String,
    /// The model's name in the project (default: the folder or file name); for an endpoint
    /// also the model name sent to it (required there).
    #[arg(long)]
    pub(crate) model_name: Option<String>,
    /// The environment variable holding the endpoint's API key (default: OPENAI_API_KEY when set).
    #[arg(long)]
    pub(crate) api_key_env: Option<String>,
    /// Samples judged at once: requests in flight for an endpoint (default 4); for a local
    /// model, the sequences sharing each forward pass (default: as many as half the device's
    /// free memory holds at 4,096 positions each, at most 64 on a GPU and 16 on the CPU; 1
    /// judges one sample at a time).
    #[arg(long, visible_alias = "batch")]
    pub(crate) parallel: Option<usize>,
    /// Do not ask the endpoint for log-probabilities (for servers that refuse them).
    #[arg(long)]
    pub(crate) no_logprobs: bool,
    /// How a local gpt-oss model keeps its experts: dequantized (default), q8_0 or q4_0.
    #[arg(long)]
    pub(crate) experts: Option<ExpertWeights>,
    /// Where a local model runs: cpu, cuda, cuda:N or metal (GPUs need a build with that
    /// feature: bash src-tauri/build-cuda.sh). A model larger than the device's free memory is
    /// refused before loading, with both sizes.
    #[arg(long, default_value = "cpu")]
    pub(crate) device: DeviceChoice,
    /// The weight and activation type of a local safetensors model: f32, bf16 or f16 (default:
    /// f32 on the CPU, bf16 on a GPU). A GGUF file keeps its own types.
    #[arg(long)]
    pub(crate) dtype: Option<WeightDtype>,
    /// Only this task.
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// Only this data set (name or id).
    #[arg(long)]
    pub(crate) dataset: Option<String>,
    /// At most this many samples.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Judgments per sample (seeds differ per attempt; use a temperature above 0).
    #[arg(long, default_value_t = 1)]
    pub(crate) samples: u32,
    /// Also judge pairwise samples with A and B swapped.
    #[arg(long)]
    pub(crate) swap: bool,
    /// Verdict only (FARE's direct mode) instead of critique then verdict.
    #[arg(long)]
    pub(crate) direct: bool,
    /// The most tokens to generate per judgment.
    #[arg(long, default_value_t = 4096)]
    pub(crate) max_new_tokens: usize,
    /// Sampling temperature (0: greedy).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) temperature: f64,
    /// Nucleus sampling.
    #[arg(long)]
    pub(crate) top_p: Option<f64>,
    /// Random seed of sampled decoding.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// How long gpt-oss models (FARE-20B) reason before answering: low, medium or high. Kept
    /// in the run's settings; models whose chat template has no such setting ignore it.
    #[arg(long, default_value = "medium")]
    pub(crate) reasoning_effort: fare_engine::harmony::ReasoningEffort,
    /// Start a new run even when one with the same settings exists (default: continue it).
    #[arg(long)]
    pub(crate) new_run: bool,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn judge(args: &JudgeArgs) -> Result<ExitCode> {
    use fare_app::judge::{JudgeOptions, judge};
    use fare_engine::generate::SamplingParams;
    use std::ops::ControlFlow;
    let mut project = open(&args.project)?;
    let filter = SampleFilter {
        task: args.task.as_deref().map(str::parse).transpose()?,
        dataset_id: args
            .dataset
            .as_deref()
            .map(|d| fare_app::naming::resolve_dataset(&project, d))
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
pub(crate) fn judge_backend(
    args: &JudgeArgs,
) -> Result<(Box<dyn fare_engine::evaluator::Judge>, String)> {
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
