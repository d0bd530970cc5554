//! `fare-lens bench`: benchmarks of the engine and of judging, as ratios to a reference run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::gpt_oss::ExpertWeights;

use crate::output::{print_json, progress_bar};

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// Judging throughput: samples per hour at several batch sizes on ProcessBench prompts.
    Judge(BenchJudgeArgs),
    /// Prefill and decode speed of the engine on random Qwen3 weights of a named shape.
    Engine(BenchEngineArgs),
    /// The engine's logits on given token ids (prefill, then greedy KV-cache decode), written
    /// as raw f32 rows for a comparison with transformers; the report (JSON) on stdout.
    Logits(BenchLogitsArgs),
}

#[derive(Args)]
pub(crate) struct BenchJudgeArgs {
    /// The model: a folder (config.json, safetensors) or a GGUF file (e.g. the random weights
    /// of `bench engine --write-model`, or their `convert` to Q8_0).
    #[arg(long, required_unless_present = "write_prompts")]
    pub(crate) model: Option<PathBuf>,
    /// The prompts file (JSON: `prompts`, lists of token ids, and `new_tokens`), as
    /// --write-prompts writes it.
    #[arg(long, conflicts_with = "write_prompts")]
    pub(crate) prompts: Option<PathBuf>,
    /// Write the prompts file (ProcessBench samples as step-level FARE prompts) and stop.
    #[arg(long)]
    pub(crate) write_prompts: Option<PathBuf>,
    /// The ProcessBench folder (its JSON files) for --write-prompts.
    #[arg(long, default_value = "../shared/data/processbench")]
    pub(crate) data: PathBuf,
    /// The tokenizer.json for --write-prompts (a Qwen3 tokenizer).
    #[arg(long, default_value = ".test-assets/tokenizer-qwen3/tokenizer.json")]
    pub(crate) tokenizer: PathBuf,
    /// Samples (prompts) to write, or to judge from the file (default: all in it).
    #[arg(long)]
    pub(crate) samples: Option<usize>,
    /// Tokens each sample generates, for --write-prompts.
    #[arg(long, default_value_t = 256)]
    pub(crate) new_tokens: usize,
    /// Batch sizes to measure, in order (batch 1 first gives the ratios).
    #[arg(long, value_delimiter = ',', default_value = "1,4,8,16")]
    pub(crate) batch: Vec<usize>,
    /// cpu, cuda or metal.
    #[arg(long, default_value = "cpu")]
    pub(crate) device: DeviceChoice,
    /// The activation type of a safetensors model (default: the device's).
    #[arg(long)]
    pub(crate) dtype: Option<WeightDtype>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct BenchLogitsArgs {
    /// The model: a folder (config.json, safetensors) or a GGUF file.
    #[arg(long)]
    pub(crate) model: PathBuf,
    /// cpu, cuda, cuda:N or metal.
    #[arg(long, default_value = "cpu")]
    pub(crate) device: DeviceChoice,
    /// f32, bf16 or f16 (default: f32 on the CPU, bf16 on a GPU).
    #[arg(long)]
    pub(crate) dtype: Option<WeightDtype>,
    /// How a gpt-oss model keeps its experts: dequantized (default), q8_0 or q4_0.
    #[arg(long)]
    pub(crate) experts: Option<ExpertWeights>,
    /// A JSON file: {"prompts": [[ids…], …], "decode": N}.
    #[arg(long)]
    pub(crate) request: PathBuf,
    /// Where the logits go: one row of vocab little-endian f32 values per step.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Also recompute every decoded step by a full pass with an empty cache and report the
    /// largest difference.
    #[arg(long)]
    pub(crate) full_check: bool,
}

#[derive(Args)]
pub(crate) struct BenchEngineArgs {
    /// qwen3-0.6b, fare-8b, gpt-oss-small or fare-20b (default: qwen3-0.6b, or the shape of
    /// --model-dir's model).
    #[arg(long)]
    pub(crate) shape: Option<String>,
    /// cpu, cuda or metal (GPUs need a build with that feature).
    #[arg(long, default_value = "cpu")]
    pub(crate) device: String,
    /// Weight formats to measure: f32, bf16, q8_0, q4_0, gguf-f32 (default: f32,q8_0 on the CPU,
    /// bf16 on a GPU). For gpt-oss shapes q8_0 and q4_0 re-quantise the experts at load.
    #[arg(long, value_delimiter = ',')]
    pub(crate) dtype: Vec<String>,
    /// Prompt tokens of the prefill.
    #[arg(long, default_value_t = 2048)]
    pub(crate) prompt_tokens: usize,
    /// Tokens decoded in each timed block.
    #[arg(long, default_value_t = 128)]
    pub(crate) decode_tokens: usize,
    /// Timed decode blocks (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) decode_repeats: usize,
    /// Timed prefills (the median is reported).
    #[arg(long, default_value_t = 1)]
    pub(crate) prefill_repeats: usize,
    /// CPU threads (sets CANDLE_NUM_THREADS and RAYON_NUM_THREADS, restarting the program when
    /// they differ: candle reads them once).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Reuse the model in this folder, or write it there when it has none.
    #[arg(long, conflicts_with = "write_model")]
    pub(crate) model_dir: Option<PathBuf>,
    /// Only write the random model into this folder (for the transformers reference) and stop.
    #[arg(long)]
    pub(crate) write_model: Option<PathBuf>,
    /// The GPU's peak memory bandwidth in GB/s (default: looked up by the GPU's name).
    #[arg(long)]
    pub(crate) peak_gbps: Option<f64>,
    /// Seed of the random weights.
    #[arg(long, default_value_t = 20_261_126)]
    pub(crate) seed: u64,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn bench_judge(args: &BenchJudgeArgs) -> Result<ExitCode> {
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

pub(crate) fn bench_logits(args: &BenchLogitsArgs) -> Result<ExitCode> {
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

pub(crate) fn bench_engine(args: &BenchEngineArgs) -> Result<ExitCode> {
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
