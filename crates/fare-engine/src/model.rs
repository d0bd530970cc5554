//! Loading an evaluator model and running its forward pass.
//!
//! A model is a folder in Hugging Face layout (`config.json`, `model.safetensors` or shards
//! listed in `model.safetensors.index.json`) or a single GGUF file. Supported: Qwen3 (FARE-8B)
//! from safetensors in f32/bf16/f16 and from GGUF (F32, Q8_0, Q4_K ...), gpt-oss (FARE-20B,
//! [`crate::gpt_oss`]) from safetensors with MXFP4 or float experts, kept as the person chooses
//! ([`LoadOptions::experts`]), and Llama-architecture GGUF (small real models for tests).
//! Anything else is refused with the file and the reason.
//!
//! GGUF files written by llama.cpp carry no `general.dtype`, and candle's Qwen3 then builds its
//! RoPE tables in f16, where positions above 2048 are not representable: the loader sets it to
//! f32 before loading.
//!
//! [`Model::score_continuations`] reads the log-probability of candidate continuations of a
//! context by teacher forcing (what [`crate::score`] needs for verdict probabilities). candle's
//! models return the last position's logits only and their KV cache cannot be rewound from
//! outside, so the candidates are walked as a token trie: the context is processed once, and
//! each trie node that has children is one single-token forward pass on a clone of its parent's
//! state. Cloning is cheap where the cache grows by concatenation (Qwen3 safetensors, Llama
//! GGUF, any model on a GPU: the clone shares immutable tensors), and a copy of the cache buffer
//! for GGUF Qwen3 on the CPU, whose decode cache is a plain `Vec` written in place (4096
//! positions preallocated: about 1.2 GB for FARE-8B, so a few tenths of a second per branch).
//! A model can also keep its state after a prompt ([`Model::set_keep_prompt_state`]), so that
//! scoring the verdict after a generation processes only the generated text, not the prompt
//! again.
//!
//! One candle pitfall shapes the order of forward passes: GGUF Qwen3 on the CPU keeps two
//! caches, and a pass of several tokens after single-token passes reads a cache that lacks the
//! single-token positions. The engine only ever passes several tokens first (a prompt) and then
//! one at a time.

use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{quantized_llama, quantized_qwen3, qwen3};

use crate::EngineError;
use crate::gpt_oss::{self, ExpertWeights, GptOss};

/// The architectures the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Qwen3 (FARE-8B).
    Qwen3,
    /// Llama (small real models in tests).
    Llama,
    /// gpt-oss (FARE-20B).
    GptOss,
}

/// How to load a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// The activation and weight type of safetensors models (f32 on CPU, bf16 on GPU); GGUF
    /// files keep their own.
    pub dtype: DType,
    /// How a gpt-oss model keeps its experts; other models refuse anything but the default.
    pub experts: ExpertWeights,
}

impl LoadOptions {
    /// `dtype`, with the experts (of a gpt-oss model) dequantised to it.
    pub fn new(dtype: DType) -> LoadOptions {
        LoadOptions {
            dtype,
            experts: ExpertWeights::default(),
        }
    }
}

#[derive(Clone)]
enum Weights {
    Qwen3(qwen3::ModelForCausalLM),
    GptOss(GptOss),
    QuantizedQwen3(quantized_qwen3::ModelWeights),
    QuantizedLlama(quantized_llama::ModelWeights),
}

/// The state of a model after a prompt, with the prompt's last logits.
struct PromptState {
    ids: Vec<u32>,
    weights: Weights,
    logits: Vec<f32>,
}

/// A loaded model, ready for forward passes.
pub struct Model {
    weights: Weights,
    /// The state after the last prompt, when asked to keep it.
    prompt_state: Option<PromptState>,
    keep_prompt_state: bool,
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
        Self::load_with(path, device, LoadOptions::new(dtype))
    }

    /// Loads a model folder or GGUF file onto `device` as `options` say.
    pub fn load_with(
        path: &Path,
        device: &Device,
        options: LoadOptions,
    ) -> Result<Model, EngineError> {
        let dtype = options.dtype;
        if path.is_file() {
            refuse_expert_choice(path, options)?;
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
        if model_type == "gpt_oss" {
            return Self::load_gpt_oss(path, &config_path, json, device, options);
        }
        if model_type != "qwen3" {
            return Err(file_error(
                &config_path,
                format!(
                    "architecture `{model_type}` is not supported here (safetensors: qwen3, gpt_oss; GGUF: qwen3, llama)"
                ),
            ));
        }
        refuse_expert_choice(path, options)?;
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
            prompt_state: None,
            keep_prompt_state: false,
            architecture: Architecture::Qwen3,
            vocab_size: config.vocab_size,
            device: device.clone(),
        })
    }

    fn load_gpt_oss(
        path: &Path,
        config_path: &Path,
        json: serde_json::Value,
        device: &Device,
        options: LoadOptions,
    ) -> Result<Model, EngineError> {
        let quantization = json
            .get("quantization_config")
            .and_then(|q| q.get("quant_method"))
            .and_then(|m| m.as_str())
            .map(str::to_owned);
        if let Some(method) = quantization.filter(|m| m != "mxfp4") {
            return Err(file_error(
                config_path,
                format!("quantization `{method}` is not supported (mxfp4 or none)"),
            ));
        }
        let config: gpt_oss::Config = serde_json::from_value(json)
            .map_err(|e| file_error(config_path, format!("not a usable gpt-oss config: {e}")))?;
        config.validate().map_err(|m| file_error(config_path, m))?;
        let files = safetensors_files(path)?;
        // SAFETY: as for Qwen3 above: mapped read-only, never written by FARE Lens.
        #[allow(unsafe_code)]
        let tensors = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&files) }
            .map_err(|e| file_error(&files[0], format!("not readable safetensors: {e}")))?;
        let weights = GptOss::load(&config, &tensors, options.dtype, device, options.experts)
            .map_err(|e| file_error(path, e.to_string()))?;
        Ok(Model {
            weights: Weights::GptOss(weights),
            prompt_state: None,
            keep_prompt_state: false,
            architecture: Architecture::GptOss,
            vocab_size: config.vocab_size,
            device: device.clone(),
        })
    }

    /// The gpt-oss model inside, for settings only it has (tests, benchmarks).
    pub fn gpt_oss_mut(&mut self) -> Option<&mut GptOss> {
        match &mut self.weights {
            Weights::GptOss(m) => Some(m),
            _ => None,
        }
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
            prompt_state: None,
            keep_prompt_state: false,
            architecture,
            vocab_size,
            device: device.clone(),
        })
    }

    /// Feeds `ids` at positions `offset..` (the KV cache holds the positions before) and returns
    /// the logits of the last one, as f32.
    pub fn forward(&mut self, ids: &[u32], offset: usize) -> Result<Vec<f32>, EngineError> {
        let logits = forward_weights(&mut self.weights, &self.device, ids, offset)?;
        if offset == 0 {
            // A new prompt: keep its state if asked (a single token would leave GGUF Qwen3's
            // prefill cache empty, see the module doc), and drop an older one either way.
            self.prompt_state = (self.keep_prompt_state && ids.len() > 1).then(|| PromptState {
                ids: ids.to_vec(),
                weights: self.weights.clone(),
                logits: logits.clone(),
            });
        }
        Ok(logits)
    }

    /// Whether to keep the state after each prompt (a forward pass at offset 0, after
    /// [`Model::clear_cache`]) until the next
    /// one, so that [`Model::score_continuations`] of a context that starts with that prompt
    /// processes only the rest. Costs the memory of one more cache; turning it off frees it.
    pub fn set_keep_prompt_state(&mut self, keep: bool) {
        self.keep_prompt_state = keep;
        if !keep {
            self.prompt_state = None;
        }
    }

    /// The log-probability (natural log) of each candidate continuation of `context`: the sum
    /// of the log-softmax of each candidate token given the context and the candidate tokens
    /// before it, by teacher forcing.
    ///
    /// A candidate that is a proper prefix of another (`1` of `12`) is scored as itself followed
    /// by any token outside `continuing` (pass the tokens that start with a digit), so that the
    /// candidates are disjoint events whose probabilities add up to at most 1; with `continuing`
    /// empty every score is the plain log P(candidate | context). A candidate that is a prefix
    /// of no other is not checked for what follows it (that would cost one more forward pass
    /// per candidate).
    ///
    /// The context is processed once (only its part after the kept prompt, when a kept prompt
    /// state starts it), then one forward pass per trie node with children: see the module doc.
    /// The cache is left in no particular state; generation clears it before each prompt.
    pub fn score_continuations(
        &mut self,
        context: &[u32],
        candidates: &[Vec<u32>],
        continuing: &[u32],
    ) -> Result<Vec<f64>, EngineError> {
        if context.is_empty() {
            return Err(EngineError::Runtime(
                "scoring a continuation needs a context of at least one token".into(),
            ));
        }
        if let Some(bad) = candidates
            .iter()
            .flatten()
            .chain(continuing)
            .find(|&&t| t as usize >= self.vocab_size)
        {
            return Err(EngineError::Runtime(format!(
                "token {bad} is outside the model's {} logits",
                self.vocab_size
            )));
        }
        let trie = Trie::new(candidates);
        let mut scores = vec![f64::NEG_INFINITY; candidates.len()];
        let kept = self
            .prompt_state
            .take()
            .filter(|kept| context.starts_with(&kept.ids));
        if kept.is_none() {
            self.clear_cache();
        }
        let walk = Walk {
            device: &self.device,
            trie: &trie,
            continuing,
        };
        if let Some(mut kept) = kept {
            let rest = &context[kept.ids.len()..];
            let logits = if rest.is_empty() {
                kept.logits
            } else {
                forward_weights(&mut kept.weights, &self.device, rest, kept.ids.len())?
            };
            walk.visit(
                &mut kept.weights,
                0,
                &logits,
                0.0,
                context.len(),
                &mut scores,
            )?;
        } else {
            let logits = forward_weights(&mut self.weights, &self.device, context, 0)?;
            walk.visit(
                &mut self.weights,
                0,
                &logits,
                0.0,
                context.len(),
                &mut scores,
            )?;
        }
        Ok(scores)
    }

    /// Forgets every position (before a new prompt).
    pub fn clear_cache(&mut self) {
        match &mut self.weights {
            Weights::Qwen3(m) => m.clear_kv_cache(),
            Weights::QuantizedQwen3(m) => m.clear_kv_cache(),
            Weights::GptOss(m) => m.clear_cache(),
            // quantized_llama keeps no cache to clear: positions restart at offset 0.
            Weights::QuantizedLlama(_) => {}
        }
    }
}

/// One forward pass of `ids` at positions `offset..` on a model state: the last logits, as f32.
fn forward_weights(
    weights: &mut Weights,
    device: &Device,
    ids: &[u32],
    offset: usize,
) -> Result<Vec<f32>, EngineError> {
    let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
    let input = Tensor::new(ids, device)
        .and_then(|t| t.unsqueeze(0))
        .map_err(run)?;
    let logits = match weights {
        Weights::Qwen3(m) => m.forward(&input, offset),
        Weights::QuantizedQwen3(m) => m.forward(&input, offset),
        Weights::QuantizedLlama(m) => m.forward(&input, offset),
        Weights::GptOss(m) => return to_f32_vec(&m.forward(ids, offset)?),
    }
    .map_err(run)?;
    to_f32_vec(&logits)
}

fn to_f32_vec(logits: &Tensor) -> Result<Vec<f32>, EngineError> {
    let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
    logits
        .flatten_all()
        .and_then(|t| t.to_dtype(DType::F32))
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(run)
}

/// Refuses an expert format for a model without experts.
fn refuse_expert_choice(path: &Path, options: LoadOptions) -> Result<(), EngineError> {
    if options.experts == ExpertWeights::default() {
        return Ok(());
    }
    Err(file_error(
        path,
        format!(
            "the expert format `{}` applies to gpt-oss models only",
            options.experts.name()
        ),
    ))
}

/// The candidates of [`Model::score_continuations`] as a token trie; node 0 is the root (the
/// context itself).
struct Trie {
    nodes: Vec<TrieNode>,
}

struct TrieNode {
    /// The token that leads here from the parent (unused at the root).
    token: u32,
    children: Vec<usize>,
    /// The candidates that end here.
    ends: Vec<usize>,
}

impl Trie {
    fn new(candidates: &[Vec<u32>]) -> Trie {
        let mut nodes = vec![TrieNode {
            token: 0,
            children: Vec::new(),
            ends: Vec::new(),
        }];
        for (index, candidate) in candidates.iter().enumerate() {
            let mut at = 0;
            for &token in candidate {
                let existing = nodes[at]
                    .children
                    .iter()
                    .copied()
                    .find(|&c| nodes[c].token == token);
                at = existing.unwrap_or_else(|| {
                    nodes.push(TrieNode {
                        token,
                        children: Vec::new(),
                        ends: Vec::new(),
                    });
                    let child = nodes.len() - 1;
                    nodes[at].children.push(child);
                    child
                });
            }
            nodes[at].ends.push(index);
        }
        Trie { nodes }
    }
}

/// A depth-first walk of a trie, scoring candidates from the logits at each node.
struct Walk<'a> {
    device: &'a Device,
    trie: &'a Trie,
    continuing: &'a [u32],
}

impl Walk<'_> {
    /// Scores what ends at and below `node`, whose state is `state` (it has seen `position`
    /// tokens) and whose next-token logits are `logits`; `log_prob` is the node's own.
    fn visit(
        &self,
        state: &mut Weights,
        node: usize,
        logits: &[f32],
        log_prob: f64,
        position: usize,
        scores: &mut [f64],
    ) -> Result<(), EngineError> {
        let norm = log_sum_exp(logits);
        let next = |token: u32| f64::from(logits[token as usize]) - norm;
        let here = &self.trie.nodes[node];
        if !here.ends.is_empty() {
            let own = if here.children.is_empty() || self.continuing.is_empty() {
                log_prob
            } else {
                let goes_on: f64 = self.continuing.iter().map(|&t| next(t).exp()).sum();
                log_prob + (-goes_on.min(1.0)).ln_1p()
            };
            for &candidate in &here.ends {
                scores[candidate] = own;
            }
        }
        let mut branches = Vec::new();
        for &child in &here.children {
            let child_node = &self.trie.nodes[child];
            let child_log_prob = log_prob + next(child_node.token);
            if child_node.children.is_empty() {
                for &candidate in &child_node.ends {
                    scores[candidate] = child_log_prob;
                }
            } else {
                branches.push((child, child_log_prob));
            }
        }
        // Every branch but the last on a clone of this state; the last one on the state itself.
        let last = branches.len().saturating_sub(1);
        for (i, (child, child_log_prob)) in branches.into_iter().enumerate() {
            let token = [self.trie.nodes[child].token];
            if i == last {
                let logits = forward_weights(state, self.device, &token, position)?;
                self.visit(state, child, &logits, child_log_prob, position + 1, scores)?;
            } else {
                let mut branch = state.clone();
                let logits = forward_weights(&mut branch, self.device, &token, position)?;
                self.visit(
                    &mut branch,
                    child,
                    &logits,
                    child_log_prob,
                    position + 1,
                    scores,
                )?;
            }
        }
        Ok(())
    }
}

/// log Σ exp(x), in f64.
fn log_sum_exp(logits: &[f32]) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = f64::from(max);
    let sum: f64 = logits.iter().map(|&x| (f64::from(x) - max).exp()).sum();
    max + sum.ln()
}
