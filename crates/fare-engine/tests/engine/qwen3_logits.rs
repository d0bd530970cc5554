//! The Qwen3 forward pass (FARE-8B's architecture) against `transformers`: a tiny random
//! `Qwen3ForCausalLM` saved by tests/reference/qwen3_golden.py (weights, a config written the
//! way real checkpoints write it, and the logits of every position of three prompts). candle must
//! give the same logits within 1e-4, for the whole prompt at once and token by token through the
//! KV cache.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::PathBuf;

use candle_core::{DType, Device};
use fare_engine::model::{Architecture, Model};
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

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3-tiny")
}

fn golden() -> Golden {
    serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("golden_logits.json")).unwrap(),
    )
    .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn whole_prompt_logits_equal_transformers() {
    let mut model = Model::load(&fixture_dir(), &Device::Cpu, DType::F32).unwrap();
    assert_eq!(model.architecture, Architecture::Qwen3);
    assert_eq!(model.vocab_size, 384);
    for prompt in golden().prompts {
        model.clear_cache();
        let logits = model.forward(&prompt.ids, 0).unwrap();
        let diff = max_diff(&logits, prompt.logits.last().unwrap());
        assert!(
            diff < 1e-4,
            "prompt of {} tokens: max abs diff {diff}",
            prompt.ids.len()
        );
    }
}

#[test]
fn token_by_token_through_the_kv_cache_equals_transformers() {
    let mut model = Model::load(&fixture_dir(), &Device::Cpu, DType::F32).unwrap();
    for prompt in golden().prompts {
        model.clear_cache();
        // A prefix at once, then one token at a time, as generation does.
        let prefix = prompt.ids.len().div_ceil(2);
        let first = model.forward(&prompt.ids[..prefix], 0).unwrap();
        assert!(max_diff(&first, &prompt.logits[prefix - 1]) < 1e-4);
        for position in prefix..prompt.ids.len() {
            let logits = model
                .forward(&prompt.ids[position..=position], position)
                .unwrap();
            let diff = max_diff(&logits, &prompt.logits[position]);
            assert!(diff < 1e-4, "position {position}: max abs diff {diff}");
        }
    }
}

#[test]
fn bad_model_files_are_refused_with_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let err = Model::load(dir.path(), &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("cannot read"),
        "{err}"
    );

    let copy = |name: &str| std::fs::copy(fixture_dir().join(name), dir.path().join(name)).unwrap();
    copy("config.json");
    let err = Model::load(dir.path(), &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no model.safetensors"), "{err}");

    // A truncated weight file.
    let weights = std::fs::read(fixture_dir().join("model.safetensors")).unwrap();
    std::fs::write(
        dir.path().join("model.safetensors"),
        &weights[..weights.len() / 2],
    )
    .unwrap();
    let err = Model::load(dir.path(), &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("not readable safetensors"),
        "{err}"
    );

    // An architecture the engine does not run.
    let config = std::fs::read_to_string(fixture_dir().join("config.json")).unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        config.replace("\"qwen3\"", "\"mamba\""),
    )
    .unwrap();
    let err = Model::load(dir.path(), &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("architecture `mamba` is not supported"),
        "{err}"
    );

    // Weights that do not fit the config.
    std::fs::write(
        dir.path().join("config.json"),
        config.replace("\"hidden_size\": 64", "\"hidden_size\": 32"),
    )
    .unwrap();
    std::fs::write(dir.path().join("model.safetensors"), &weights).unwrap();
    let err = Model::load(dir.path(), &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(err.contains("the weights do not fit the config"), "{err}");

    // Not a GGUF file.
    let fake = dir.path().join("model.gguf");
    std::fs::write(&fake, b"GGUF but not really").unwrap();
    let err = Model::load(&fake, &Device::Cpu, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.gguf") && err.contains("not a readable GGUF file"),
        "{err}"
    );
}

#[test]
fn an_f32_gguf_conversion_gives_the_same_logits_and_q8_0_stays_close() {
    use candle_core::quantized::GgmlDType;
    let dir = tempfile::tempdir().unwrap();
    let golden = golden();
    let mut worst_q8 = 0.0f32;
    for (quant, tolerance) in [(GgmlDType::F32, 1e-4), (GgmlDType::Q8_0, 0.1)] {
        let out = dir.path().join(format!("{quant:?}.gguf"));
        fare_engine::convert::qwen3_to_gguf(&fixture_dir(), &out, quant).unwrap();
        let mut model = Model::load(&out, &Device::Cpu, DType::F32).unwrap();
        assert_eq!(
            (model.architecture, model.vocab_size),
            (Architecture::Qwen3, 384)
        );
        for prompt in &golden.prompts {
            model.clear_cache();
            let prefix = prompt.ids.len().div_ceil(2);
            let mut diffs = vec![max_diff(
                &model.forward(&prompt.ids[..prefix], 0).unwrap(),
                &prompt.logits[prefix - 1],
            )];
            for position in prefix..prompt.ids.len() {
                let logits = model
                    .forward(&prompt.ids[position..=position], position)
                    .unwrap();
                diffs.push(max_diff(&logits, &prompt.logits[position]));
            }
            let worst = diffs.iter().copied().fold(0.0, f32::max);
            assert!(worst < tolerance, "{quant:?}: max abs diff {worst}");
            if quant == GgmlDType::Q8_0 {
                worst_q8 = worst_q8.max(worst);
            }
        }
    }
    println!("Q8_0 GGUF: max abs logit difference from transformers' f32 {worst_q8:.4}");
    // Rows of 64 values cannot be Q4_K (blocks of 256): refused with the reason, no file left.
    let out = dir.path().join("q4k.gguf");
    let err = fare_engine::convert::qwen3_to_gguf(&fixture_dir(), &out, GgmlDType::Q4K)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a multiple of"), "{err}");
    assert!(!out.exists() && !dir.path().join("q4k.gguf.partial").exists());
}
