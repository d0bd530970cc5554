//! Converting a Qwen3 safetensors folder (FARE-8B as published) into one GGUF file, quantised,
//! so it runs on a CPU: FARE-8B needs about 32 GB in f32 but about 8.7 GB in Q8_0.
//!
//! Weight matrices are quantised to the chosen type; norms stay f32, as llama.cpp keeps them.
//! Qwen3's attention weights are written as they are (no permutation: candle's Qwen3 reads them
//! the Hugging Face way). The file is written to a temporary name and renamed when complete.
//!
//! [`convert_for_cpu`] writes the GGUF file into a folder of its own with the model's
//! tokenizer and chat template beside it, which is how the engine and the model list read a
//! converted model (the GGUF holds no tokenizer of its own).

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::qwen3;

use crate::EngineError;
use crate::model::safetensors_files;

/// The quantisations offered, by name.
pub fn quantization(name: &str) -> Option<GgmlDType> {
    Some(match name.to_ascii_lowercase().as_str() {
        "f32" => GgmlDType::F32,
        "f16" => GgmlDType::F16,
        "q8_0" => GgmlDType::Q8_0,
        "q4_0" => GgmlDType::Q4_0,
        "q4_k" | "q4_k_m" => GgmlDType::Q4K,
        "q6_k" => GgmlDType::Q6K,
        _ => return None,
    })
}

/// The GGUF name of a Hugging Face Qwen3 tensor name.
fn gguf_name(hf: &str) -> Option<String> {
    let fixed = match hf {
        "model.embed_tokens.weight" => Some("token_embd.weight"),
        "model.norm.weight" => Some("output_norm.weight"),
        "lm_head.weight" => Some("output.weight"),
        _ => None,
    };
    if let Some(name) = fixed {
        return Some(name.to_owned());
    }
    let rest = hf.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    let part = match part {
        "self_attn.q_proj.weight" => "attn_q.weight",
        "self_attn.k_proj.weight" => "attn_k.weight",
        "self_attn.v_proj.weight" => "attn_v.weight",
        "self_attn.o_proj.weight" => "attn_output.weight",
        "self_attn.q_norm.weight" => "attn_q_norm.weight",
        "self_attn.k_norm.weight" => "attn_k_norm.weight",
        "input_layernorm.weight" => "attn_norm.weight",
        "post_attention_layernorm.weight" => "ffn_norm.weight",
        "mlp.gate_proj.weight" => "ffn_gate.weight",
        "mlp.up_proj.weight" => "ffn_up.weight",
        "mlp.down_proj.weight" => "ffn_down.weight",
        _ => return None,
    };
    Some(format!("blk.{layer}.{part}"))
}

/// The files of a model folder a converted model needs beside its GGUF file: its tokenizer,
/// chat template and generation settings (what `transformers` reads; copied, not rebuilt
/// inside the GGUF, so tokens are exactly the original's).
pub const FILES_BESIDE: [&str; 4] = [
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
    "generation_config.json",
];

/// A model converted for CPUs: a folder `out_dir` (created) holding `model.QUANT.gguf` and the
/// [`FILES_BESIDE`] the model folder has; `progress(tensors done, tensors in all)` as it goes,
/// which stops the conversion (nothing written) by answering `false`.
/// Answers the GGUF file. An existing GGUF of the same name is replaced only once the new one
/// is whole.
pub fn convert_for_cpu(
    model_dir: &Path,
    out_dir: &Path,
    quant: GgmlDType,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<PathBuf, EngineError> {
    let fail = |path: &Path, message: String| EngineError::ModelFile {
        path: path.to_owned(),
        message,
    };
    if !model_dir.join("tokenizer.json").is_file() {
        return Err(fail(
            model_dir,
            "no tokenizer.json: the converted model could not read its prompts".to_owned(),
        ));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| fail(out_dir, format!("cannot create: {e}")))?;
    let out = out_dir.join(format!("model.{}.gguf", quant_name(quant)));
    qwen3_to_gguf_with(model_dir, &out, quant, progress)?;
    for name in FILES_BESIDE {
        let from = model_dir.join(name);
        if from.is_file() {
            let to = out_dir.join(name);
            std::fs::copy(&from, &to).map_err(|e| fail(&to, format!("cannot write: {e}")))?;
        }
    }
    Ok(out)
}

/// The name of a quantisation as [`quantization`] reads it (`q8_0`).
pub fn quant_name(quant: GgmlDType) -> &'static str {
    match quant {
        GgmlDType::F32 => "f32",
        GgmlDType::F16 => "f16",
        GgmlDType::Q8_0 => "q8_0",
        GgmlDType::Q4_0 => "q4_0",
        GgmlDType::Q4K => "q4_k",
        GgmlDType::Q6K => "q6_k",
        _ => "other",
    }
}

/// The tensors of safetensors files, counted from their headers (nothing is loaded).
fn count_tensors(files: &[PathBuf]) -> usize {
    files
        .iter()
        .filter_map(|file| {
            let mut f = File::open(file).ok()?;
            let mut len = [0u8; 8];
            f.read_exact(&mut len).ok()?;
            let len = usize::try_from(u64::from_le_bytes(len)).ok()?;
            if len > 100 << 20 {
                return None;
            }
            let mut header = vec![0u8; len];
            f.read_exact(&mut header).ok()?;
            let json: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&header).ok()?;
            Some(json.keys().filter(|k| *k != "__metadata__").count())
        })
        .sum()
}

/// Writes `model_dir` (a Qwen3 safetensors folder) as a GGUF file at `out`.
pub fn qwen3_to_gguf(model_dir: &Path, out: &Path, quant: GgmlDType) -> Result<(), EngineError> {
    qwen3_to_gguf_with(model_dir, out, quant, &mut |_, _| true)
}

/// As [`qwen3_to_gguf`], calling `progress(tensors done, tensors in all)` after each tensor;
/// answering `false` stops it with [`EngineError::Cancelled`], nothing written.
pub fn qwen3_to_gguf_with(
    model_dir: &Path,
    out: &Path,
    quant: GgmlDType,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<(), EngineError> {
    let config_path = model_dir.join("config.json");
    let fail = |path: &Path, message: String| EngineError::ModelFile {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| fail(&config_path, format!("cannot read: {e}")))?;
    let config: qwen3::Config = serde_json::from_str(&text)
        .map_err(|e| fail(&config_path, format!("not a usable Qwen3 config: {e}")))?;
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let files = safetensors_files(model_dir)?;
    let total = count_tensors(&files);
    for file in files {
        let loaded = candle_core::safetensors::load(&file, &Device::Cpu)
            .map_err(|e| fail(&file, format!("not readable safetensors: {e}")))?;
        let mut names: Vec<&String> = loaded.keys().collect();
        names.sort();
        for name in names {
            let Some(target) = gguf_name(name) else {
                return Err(fail(
                    &file,
                    format!("tensor `{name}` is not part of a Qwen3 model"),
                ));
            };
            let tensor: &Tensor = &loaded[name];
            let f32 = tensor
                .to_dtype(DType::F32)
                .map_err(|e| EngineError::Runtime(e.to_string()))?;
            let is_matrix = f32.rank() == 2;
            let kind = if is_matrix { quant } else { GgmlDType::F32 };
            let columns = f32.dims().last().copied().unwrap_or(0);
            if columns % kind.block_size() != 0 {
                return Err(fail(
                    &file,
                    format!(
                        "`{name}` has rows of {columns} values, not a multiple of {kind:?}'s block of {}: choose q8_0 or q4_0",
                        kind.block_size()
                    ),
                ));
            }
            let q =
                QTensor::quantize(&f32, kind).map_err(|e| EngineError::Runtime(e.to_string()))?;
            tensors.push((target, q));
            if !progress(tensors.len(), total.max(tensors.len())) {
                return Err(EngineError::Cancelled);
            }
        }
    }
    let u32v = |v: usize| gguf_file::Value::U32(u32::try_from(v).unwrap_or(u32::MAX));
    #[allow(clippy::cast_possible_truncation)] // GGUF stores these as f32
    let metadata: Vec<(&str, gguf_file::Value)> = vec![
        (
            "general.architecture",
            gguf_file::Value::String("qwen3".into()),
        ),
        (
            "general.name",
            gguf_file::Value::String(format!(
                "converted by FARE Lens from {}",
                model_dir.display()
            )),
        ),
        (
            "qwen3.attention.head_count",
            u32v(config.num_attention_heads),
        ),
        (
            "qwen3.attention.head_count_kv",
            u32v(config.num_key_value_heads),
        ),
        ("qwen3.attention.key_length", u32v(config.head_dim)),
        ("qwen3.attention.value_length", u32v(config.head_dim)),
        ("qwen3.block_count", u32v(config.num_hidden_layers)),
        ("qwen3.embedding_length", u32v(config.hidden_size)),
        ("qwen3.feed_forward_length", u32v(config.intermediate_size)),
        ("qwen3.context_length", u32v(config.max_position_embeddings)),
        (
            "qwen3.attention.layer_norm_rms_epsilon",
            gguf_file::Value::F32(config.rms_norm_eps as f32),
        ),
        (
            "qwen3.rope.freq_base",
            gguf_file::Value::F32(config.rope_theta as f32),
        ),
    ];
    let partial = out.with_extension("gguf.partial");
    let result = (|| -> Result<(), EngineError> {
        let file =
            File::create(&partial).map_err(|e| fail(&partial, format!("cannot create: {e}")))?;
        let mut writer = BufWriter::new(file);
        let meta: Vec<(&str, &gguf_file::Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
        let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        gguf_file::write(&mut writer, &meta, &refs)
            .map_err(|e| fail(&partial, format!("cannot write: {e}")))?;
        std::io::Write::flush(&mut writer)
            .map_err(|e| fail(&partial, format!("cannot write: {e}")))?;
        std::fs::rename(&partial, out).map_err(|e| fail(out, format!("cannot write: {e}")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
