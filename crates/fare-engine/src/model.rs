//! Loading an evaluator model and running its forward pass.
//!
//! A model is a folder in Hugging Face layout (`config.json`, `model.safetensors` or shards
//! listed in `model.safetensors.index.json`) or a single GGUF file. Supported: Qwen3 (FARE-8B)
//! from safetensors in f32/bf16/f16 and from GGUF (F32, Q8_0, Q4_K ...), and Llama-architecture
//! GGUF (small real models for tests). Anything else is refused with the file and the reason.
//!
//! GGUF files written by llama.cpp carry no `general.dtype`, and candle's Qwen3 then builds its
//! RoPE tables in f16, where positions above 2048 are not representable: the loader sets it to
//! f32 before loading.

use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{quantized_llama, quantized_qwen3, qwen3};

use crate::EngineError;

/// The architectures the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Qwen3 (FARE-8B).
    Qwen3,
    /// Llama (small real models in tests).
    Llama,
}

enum Weights {
    Qwen3(qwen3::ModelForCausalLM),
    QuantizedQwen3(quantized_qwen3::ModelWeights),
    QuantizedLlama(quantized_llama::ModelWeights),
}

/// A loaded model, ready for forward passes.
pub struct Model {
    weights: Weights,
    /// Its architecture.
    pub architecture: Architecture,
    /// The number of logits it returns.
    pub vocab_size: usize,
    /// The device it runs on.
    pub device: Device,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("architecture", &self.architecture)
            .field("vocab_size", &self.vocab_size)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

fn file_error(path: &Path, message: impl Into<String>) -> EngineError {
    EngineError::ModelFile {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// The weight files of a model folder: one `model.safetensors`, or the shards its index lists.
pub fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let index = dir.join("model.safetensors.index.json");
    if index.is_file() {
        let text =
            std::fs::read_to_string(&index).map_err(|e| file_error(&index, e.to_string()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| file_error(&index, format!("not valid JSON: {e}")))?;
        let map = json
            .get("weight_map")
            .and_then(|m| m.as_object())
            .ok_or_else(|| file_error(&index, "no `weight_map`"))?;
        let mut shards: Vec<PathBuf> = map
            .values()
            .filter_map(|v| v.as_str())
            .map(|name| dir.join(name))
            .collect();
        shards.sort();
        shards.dedup();
        if let Some(missing) = shards.iter().find(|s| !s.is_file()) {
            return Err(file_error(
                missing,
                "listed in model.safetensors.index.json but missing",
            ));
        }
        return Ok(shards);
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    Err(file_error(
        dir,
        "no model.safetensors (nor model.safetensors.index.json)",
    ))
}

impl Model {
    /// Loads a model folder or GGUF file onto `device`; `dtype` is the activation and weight
    /// type of safetensors models (f32 on CPU, bf16 on GPU).
    pub fn load(path: &Path, device: &Device, dtype: DType) -> Result<Model, EngineError> {
        if path.is_file() {
            return Self::load_gguf(path, device);
        }
        let config_path = path.join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| file_error(&config_path, format!("cannot read: {e}")))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| file_error(&config_path, format!("not valid JSON: {e}")))?;
        let model_type = json
            .get("model_type")
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        if model_type != "qwen3" {
            return Err(file_error(
                &config_path,
                format!(
                    "architecture `{model_type}` is not supported here (safetensors: qwen3; GGUF: qwen3, llama)"
                ),
            ));
        }
        let config: qwen3::Config = serde_json::from_value(json)
            .map_err(|e| file_error(&config_path, format!("not a usable Qwen3 config: {e}")))?;
        if config.use_sliding_window {
            return Err(file_error(
                &config_path,
                "sliding-window Qwen3 is not supported",
            ));
        }
        let files = safetensors_files(path)?;
        // SAFETY: the weight files are mapped read-only for the model's lifetime; FARE Lens never
        // writes them, and a user changing them while a model runs is outside what we guard.
        #[allow(unsafe_code)]
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, dtype, device) }
            .map_err(|e| file_error(&files[0], format!("not readable safetensors: {e}")))?;
        let weights = qwen3::ModelForCausalLM::new(&config, vb)
            .map_err(|e| file_error(path, format!("the weights do not fit the config: {e}")))?;
        Ok(Model {
            weights: Weights::Qwen3(weights),
            architecture: Architecture::Qwen3,
            vocab_size: config.vocab_size,
            device: device.clone(),
        })
    }

    fn load_gguf(path: &Path, device: &Device) -> Result<Model, EngineError> {
        let mut file =
            File::open(path).map_err(|e| file_error(path, format!("cannot open: {e}")))?;
        let mut content = gguf_file::Content::read(&mut file)
            .map_err(|e| file_error(path, format!("not a readable GGUF file: {e}")))?;
        let architecture = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok().cloned())
            .unwrap_or_default();
        let vocab_size = content
            .tensor_infos
            .get("token_embd.weight")
            .map(|t| t.shape.dims()[0])
            .ok_or_else(|| file_error(path, "no token_embd.weight tensor"))?;
        let (weights, architecture) = match architecture.as_str() {
            "qwen3" => {
                // RoPE tables in f32 (see the module doc).
                content
                    .metadata
                    .insert("general.dtype".into(), gguf_file::Value::U32(0));
                let weights = quantized_qwen3::ModelWeights::from_gguf(content, &mut file, device)
                    .map_err(|e| file_error(path, format!("cannot load the Qwen3 weights: {e}")))?;
                (Weights::QuantizedQwen3(weights), Architecture::Qwen3)
            }
            "llama" => {
                let weights = quantized_llama::ModelWeights::from_gguf(content, &mut file, device)
                    .map_err(|e| file_error(path, format!("cannot load the Llama weights: {e}")))?;
                (Weights::QuantizedLlama(weights), Architecture::Llama)
            }
            other => {
                return Err(file_error(
                    path,
                    format!("GGUF architecture `{other}` is not supported (qwen3, llama)"),
                ));
            }
        };
        Ok(Model {
            weights,
            architecture,
            vocab_size,
            device: device.clone(),
        })
    }

    /// Feeds `ids` at positions `offset..` (the KV cache holds the positions before) and returns
    /// the logits of the last one, as f32.
    pub fn forward(&mut self, ids: &[u32], offset: usize) -> Result<Vec<f32>, EngineError> {
        let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
        let input = Tensor::new(ids, &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(run)?;
        let logits = match &mut self.weights {
            Weights::Qwen3(m) => m.forward(&input, offset),
            Weights::QuantizedQwen3(m) => m.forward(&input, offset),
            Weights::QuantizedLlama(m) => m.forward(&input, offset),
        }
        .map_err(run)?;
        logits
            .flatten_all()
            .and_then(|t| t.to_dtype(DType::F32))
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(run)
    }

    /// Forgets every position (before a new prompt).
    pub fn clear_cache(&mut self) {
        match &mut self.weights {
            Weights::Qwen3(m) => m.clear_kv_cache(),
            Weights::QuantizedQwen3(m) => m.clear_kv_cache(),
            // quantized_llama keeps no cache to clear: positions restart at offset 0.
            Weights::QuantizedLlama(_) => {}
        }
    }
}
