//! The gpt-oss forward pass (FARE-20B's architecture) against `transformers`: a tiny random
//! `GptOssForCausalLM` saved by tests/reference/gpt_oss_golden.py twice, with float experts
//! (`float/`) and with the same experts packed in MXFP4 as real checkpoints ship them
//! (`mxfp4/`), and the logits of every position of three prompts (the longest three sliding
//! windows long). Sinks, biases, norms and the router are random, several experts are active
//! per token and the clamp is reached.
//!
//! candle must give the same logits within 1e-4 in f32 from both checkpoints, for the whole
//! prompt at once, token by token through the KV cache (the sliding layers' cache then drops
//! positions), and in small prefill chunks. Re-quantising the experts to Q8_0 or Q4_0 moves the
//! logits by what the bounds below allow (measured and printed).

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::PathBuf;

use candle_core::{DType, Device};
use fare_engine::gpt_oss::{Chunking, ExpertWeights};
use fare_engine::model::{Architecture, LoadOptions, Model};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    prompts: Vec<Prompt>,
}

#[derive(Deserialize)]
struct Prompt {
    ids: Vec<u32>,
    logits: Vec<Vec<f32>>,
}

fn fixture(which: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gpt-oss-tiny")
        .join(which)
}

fn golden() -> Golden {
    serde_json::from_str(&std::fs::read_to_string(fixture("golden_logits.json")).unwrap()).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn load(which: &str, dtype: DType, experts: ExpertWeights) -> Model {
    Model::load_with(
        &fixture(which),
        &Device::Cpu,
        LoadOptions { dtype, experts },
    )
    .unwrap()
}

/// The largest difference from the golden logits over every position: the first half of each
/// prompt at once, then token by token through the cache.
fn worst_over_positions(model: &mut Model, golden: &Golden) -> f32 {
    diffs_over_positions(model, golden)
        .into_iter()
        .fold(0.0, f32::max)
}

/// The difference from the golden logits at each position, computed as in
/// [`worst_over_positions`].
fn diffs_over_positions(model: &mut Model, golden: &Golden) -> Vec<f32> {
    let mut diffs = Vec::new();
    for prompt in &golden.prompts {
        model.clear_cache();
        let prefix = prompt.ids.len().div_ceil(2);
        let first = model.forward(&prompt.ids[..prefix], 0).unwrap();
        diffs.push(max_diff(&first, &prompt.logits[prefix - 1]));
        for position in prefix..prompt.ids.len() {
            let logits = model
                .forward(&prompt.ids[position..=position], position)
                .unwrap();
            diffs.push(max_diff(&logits, &prompt.logits[position]));
        }
    }
    diffs
}

#[test]
fn whole_prompt_logits_equal_transformers_from_float_and_mxfp4_checkpoints() {
    for which in ["float", "mxfp4"] {
        let mut model = load(which, DType::F32, ExpertWeights::Dequantized);
        assert_eq!(model.architecture, Architecture::GptOss);
        assert_eq!(model.vocab_size, 256);
        for prompt in golden().prompts {
            let logits = model.forward(&prompt.ids, 0).unwrap();
            let diff = max_diff(&logits, prompt.logits.last().unwrap());
            assert!(
                diff < 1e-4,
                "{which}: prompt of {} tokens: max abs diff {diff}",
                prompt.ids.len()
            );
        }
    }
}

#[test]
fn token_by_token_through_the_kv_cache_equals_transformers() {
    let golden = golden();
    for which in ["float", "mxfp4"] {
        let mut model = load(which, DType::F32, ExpertWeights::Dequantized);
        let worst = worst_over_positions(&mut model, &golden);
        println!("{which}, experts dequantised to f32: max abs diff {worst:.2e}");
        assert!(worst < 1e-4, "{which}: max abs diff {worst}");
    }
}

#[test]
fn chunked_prefill_equals_one_shot_prefill() {
    let golden = golden();
    let mut model = load("mxfp4", DType::F32, ExpertWeights::Dequantized);
    let prompt = golden.prompts.last().unwrap();
    let one_shot = model.forward(&prompt.ids, 0).unwrap();
    // Chunks shorter than the window (8) and longer, and query blocks of one or two rows.
    for (tokens, scores) in [(3, 1 << 20), (11, 1 << 20), (5, 4 * 20), (26, 1)] {
        model.gpt_oss_mut().unwrap().set_chunking(Chunking {
            prefill_tokens: tokens,
            attention_scores: scores,
        });
        let chunked = model.forward(&prompt.ids, 0).unwrap();
        let diff = max_diff(&chunked, &one_shot);
        assert!(
            diff < 1e-5,
            "chunks of {tokens}, {scores} scores: max abs diff {diff}"
        );
        assert!(max_diff(&chunked, prompt.logits.last().unwrap()) < 1e-4);
    }
}

#[test]
fn scoring_continuations_branches_the_cache() {
    let golden = golden();
    let prompt = &golden.prompts[0];
    let mut model = load("mxfp4", DType::F32, ExpertWeights::Dequantized);
    let (context, rest) = prompt.ids.split_at(10);
    // Two candidates that share their first token, so the state is cloned at a branch.
    let candidates = vec![rest[..3].to_vec(), vec![rest[0], 9, 4]];
    let scores = model
        .score_continuations(context, &candidates, &[])
        .unwrap();
    let log_softmax = |row: &[f32], token: u32| {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = row.iter().map(|&x| f64::from(x - max).exp()).sum();
        f64::from(row[token as usize] - max) - sum.ln()
    };
    let expected: f64 = (0..3)
        .map(|i| log_softmax(&prompt.logits[9 + i], rest[i]))
        .sum();
    assert!(
        (scores[0] - expected).abs() < 1e-3,
        "{} vs {expected}",
        scores[0]
    );
    assert!(scores[1].is_finite() && (scores[1] - scores[0]).abs() > 1e-6);
}

#[test]
fn requantised_experts_stay_close_and_bf16_too() {
    let golden = golden();
    // Bounds from the measurements printed below (f32 experts: 6e-6), with room. The logits
    // here span about ±2.5. Q8_0 (which also rounds the activations to 8 bits on the CPU) lands
    // where bf16 does, a median of about 0.05; Q4_0 cannot hold e2m1 values on its even grid of
    // 16 steps (0.5 of a block whose largest is 6 becomes 0.75) and moves them by about 10%,
    // a median of about 0.5. The worst position is several times the median: a top-4 choice
    // among 8 random experts flips on small changes, and a flipped expert moves the logits far.
    for (dtype, experts, median_bound, worst_bound) in [
        (DType::F32, ExpertWeights::Q8_0, 0.1, 1.0),
        (DType::F32, ExpertWeights::Q4_0, 1.0, 4.0),
        (DType::BF16, ExpertWeights::Dequantized, 0.1, 1.0),
    ] {
        let mut model = load("mxfp4", dtype, experts);
        let mut diffs = diffs_over_positions(&mut model, &golden);
        diffs.sort_by(f32::total_cmp);
        let worst = diffs[diffs.len() - 1];
        println!(
            "experts {}, model {dtype:?}: max abs diff from transformers' f32 {worst:.4}, median over positions {:.4}",
            experts.name(),
            diffs[diffs.len() / 2],
        );
        let median = diffs[diffs.len() / 2];
        assert!(
            median < median_bound && worst < worst_bound,
            "{experts:?} {dtype:?}: median {median}, worst {worst}"
        );
    }
}

#[test]
fn bad_gpt_oss_checkpoints_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(fixture("mxfp4/config.json")).unwrap();
    let weights = fixture("mxfp4/model.safetensors");
    std::fs::copy(&weights, dir.path().join("model.safetensors")).unwrap();
    let try_config = |text: String| {
        std::fs::write(dir.path().join("config.json"), text).unwrap();
        Model::load(dir.path(), &Device::Cpu, DType::F32)
            .unwrap_err()
            .to_string()
    };
    let err = try_config(config.replace("\"num_local_experts\": 8", "\"num_local_experts\": 6"));
    assert!(
        err.contains("the weights do not fit the config")
            && err.contains("gate_up_proj_blocks")
            && err.contains("[6, 64, 2, 16]"),
        "{err}"
    );
    let err = try_config(config.replace("\"full_attention\",", ""));
    assert!(
        err.contains("config.json") && err.contains("layer_types has 2 entries for 3 layers"),
        "{err}"
    );
    let err = try_config(config.replace("\"mxfp4\"", "\"gptq\""));
    assert!(
        err.contains("quantization `gptq` is not supported"),
        "{err}"
    );
    let err = try_config(config.replace("\"yarn\"", "\"longrope\""));
    assert!(err.contains("rope type `longrope`"), "{err}");

    // An expert format for a model without experts.
    let qwen = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3-tiny");
    let err = Model::load_with(
        &qwen,
        &Device::Cpu,
        LoadOptions {
            dtype: DType::F32,
            experts: ExpertWeights::Q8_0,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("applies to gpt-oss models only"), "{err}");
}
