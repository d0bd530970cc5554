//! Judging throughput (`fare-lens bench judge`): samples per hour when one local model
//! generates a fixed number of tokens for each of many ProcessBench-like prompts, at several
//! batch sizes of the engine's continuous batching ([`fare_engine::batch`]), each against batch
//! 1 in the same process; `tests/bench/judge_vs_transformers.sh` sets the same work beside
//! transformers' batched `generate` (tests/bench/judge_reference.py) on the same weights.
//!
//! The prompts are real: each ProcessBench sample (the `../shared/data/processbench` files)
//! rendered with the built-in step-level FARE template and tokenised with a Qwen3 tokenizer,
//! without the chat wrapping (a dozen tokens). Every request is greedy with no stop token, so
//! each generates exactly `new_tokens` tokens and the work is the same at every batch size.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use fare_core::sample::Content;
use fare_core::{PromptMode, ResponseOrder, Sample, Task, Template};
use fare_engine::TextTokenizer;
use fare_engine::batch::{BatchOptions, Batcher};
use fare_engine::generate::SamplingParams;
use fare_engine::model::Model;
use serde::{Deserialize, Serialize};

/// The prompts file both this bench and the transformers reference read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prompts {
    /// Token ids of each prompt.
    pub prompts: Vec<Vec<u32>>,
    /// Tokens each generates.
    pub new_tokens: usize,
}

/// The first `limit` ProcessBench samples of the JSON files in `dir` (in file-name order) as
/// step-level FARE prompts, tokenised by `tokenizer`.
pub fn processbench_prompts(
    dir: &Path,
    tokenizer: &TextTokenizer,
    limit: usize,
) -> Result<Vec<Vec<u32>>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let template =
        Template::builtin_for(Task::StepLevel).context("no built-in step-level template")?;
    let mut prompts = Vec::new();
    // Round-robin over the files, so that a few prompts already mix GSM8K's short traces with
    // Omni-MATH's long ones.
    let mut rows: Vec<Vec<serde_json::Value>> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a JSON list", file.display()))?;
        rows.push(parsed);
    }
    let longest = rows.iter().map(Vec::len).max().unwrap_or(0);
    'outer: for index in 0..longest {
        for (file, rows) in files.iter().zip(&rows) {
            let Some(row) = rows.get(index) else { continue };
            if prompts.len() >= limit {
                break 'outer;
            }
            let problem = row["problem"].as_str().unwrap_or_default();
            let steps: Vec<String> = row["steps"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if problem.is_empty() || steps.is_empty() {
                bail!(
                    "{}: row {index} has no `problem` or no `steps`",
                    file.display()
                );
            }
            let sample = Sample {
                external_id: format!("{index}"),
                source: None,
                question: problem.to_owned(),
                content: Content::StepLevel { steps },
                gold: None,
                metadata: serde_json::Map::new(),
            };
            let prompt = template.render(&sample, PromptMode::Critique, ResponseOrder::Original)?;
            prompts.push(tokenizer.encode(&format!("{}\n\n{}", prompt.system, prompt.user))?);
        }
    }
    if prompts.is_empty() {
        bail!("no ProcessBench samples in {}", dir.display());
    }
    Ok(prompts)
}

/// One batch size's run.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRun {
    /// The most sequences a pass could hold.
    pub batch: usize,
    /// The most a pass did hold.
    pub peak_running: usize,
    /// Samples judged.
    pub samples: usize,
    /// Wall time of the whole set.
    pub seconds: f64,
    /// Samples per hour.
    pub samples_per_hour: f64,
    /// Generated tokens per second, over all sequences.
    pub tokens_per_second: f64,
    /// Prompt tokens per second, over all sequences (prefill and decode share the time).
    pub prompt_tokens_per_second: f64,
    /// This run's throughput over batch 1's (when batch 1 ran first).
    pub vs_batch_1: Option<f64>,
}

/// Judges every prompt on `model` with up to `batch` sequences at once (as many caller
/// threads feeding the batch), `new_tokens` greedy tokens each; returns the run and the model.
pub fn run_batch(
    model: Model,
    prompts: &[Vec<u32>],
    new_tokens: usize,
    batch: usize,
) -> Result<(BatchRun, Model)> {
    let mut options = BatchOptions::for_model(&model);
    options.max_sequences = batch.max(1);
    let batcher = Batcher::start(model, options)?;
    let params = SamplingParams {
        max_new_tokens: new_tokens,
        ..SamplingParams::default()
    };
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<fare_engine::EngineError>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..batch.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(prompt) = prompts.get(i) else { return };
                    let outcome = batcher.generate_tokens(prompt, &[], &params, false, &mut |_| {
                        ControlFlow::Continue(())
                    });
                    if let Err(e) = outcome {
                        *failure
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                        return;
                    }
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    if let Some(e) = failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(e.into());
    }
    let peak_running = batcher.stats().peak_running;
    let model = batcher
        .into_model()
        .context("the batch scheduler panicked")?;
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let (samples, tokens, prompt_tokens) = (
        prompts.len() as f64,
        (prompts.len() * new_tokens) as f64,
        prompts.iter().map(Vec::len).sum::<usize>() as f64,
    );
    Ok((
        BatchRun {
            batch,
            peak_running,
            samples: prompts.len(),
            seconds,
            samples_per_hour: samples / seconds * 3600.0,
            tokens_per_second: tokens / seconds,
            prompt_tokens_per_second: prompt_tokens / seconds,
            vs_batch_1: None,
        },
        model,
    ))
}

/// Every batch size in turn on one model; each run's ratio against batch 1's when batch 1 is
/// among them.
pub fn run_batches(
    mut model: Model,
    prompts: &[Vec<u32>],
    new_tokens: usize,
    batches: &[usize],
    mut on_run: impl FnMut(&BatchRun),
) -> Result<Vec<BatchRun>> {
    let mut runs: Vec<BatchRun> = Vec::new();
    for &batch in batches {
        let (mut run, back) = run_batch(model, prompts, new_tokens, batch)?;
        model = back;
        run.vs_batch_1 = runs
            .iter()
            .find(|r| r.batch == 1)
            .map(|one| run.samples_per_hour / one.samples_per_hour);
        on_run(&run);
        runs.push(run);
    }
    Ok(runs)
}
