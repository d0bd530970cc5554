//! gpt-oss (FARE-20B's architecture) with candle: its configuration, loading from plain float or
//! MXFP4 checkpoints, and the forward pass, written after transformers' `modeling_gpt_oss.py`
//! (the golden tests compare against `GptOssForCausalLM`).
//!
//! What sets it apart from Qwen3 ([`crate::model`] joins both):
//!
//! - **Attention** with biases on q/k/v/o and one learned *sink* logit per head: it joins each
//!   row of scores before the softmax and is dropped after, so a head can attend to nothing.
//!   Layers alternate between a sliding window (128 positions in the real model, `layer_types`
//!   in `config.json`) and full attention. A sliding layer's cache keeps only the last
//!   `window − 1` positions (trimmed by a copy of those after each pass, not a ring buffer),
//!   so decoding far into a long prompt costs the same there as near its start, and a long
//!   prompt's sliding layers attend in query blocks of one window.
//! - **YaRN RoPE**, its tables computed in f32 from the positions of each pass (never cached in
//!   a low-precision type).
//! - **Mixture of experts**: a router with a bias picks the top 4 of 32 experts per token and
//!   weighs them by a softmax over the chosen logits; each expert is a fused, interleaved
//!   `gate_up_proj` (gate = even columns, up = odd; split into two matrices at load, so the
//!   products come out contiguous), clamped at `swiglu_limit`,
//!   `(up + 1) · gate · σ(1.702 · gate)`, then `down_proj`, all with biases.
//!
//! Weights: checkpoints ship the experts in MXFP4 ([`crate::mxfp4`]); plain float checkpoints
//! (what `save_pretrained` writes) hold them as `(experts, in, out)` tensors. The experts are
//! kept the way the person chooses when loading ([`ExpertWeights`]): dequantised to the model's
//! type, or re-quantised to Q8_0 or Q4_0 (K-quants need rows of 256 values; gpt-oss rows are
//! 2880 wide). Everything else keeps the model's type; norms and sinks stay in f32.
//!
//! Long prompts are processed in chunks of [`Chunking::prefill_tokens`] positions, and each
//! attention pass in blocks of queries sized so that no block's scores exceed
//! [`Chunking::attention_scores`] values: a 16k-token prompt never needs a 16k × 16k matrix.
//!
//! Known limits: no native MXFP4 matrix product (the experts are dequantised or re-quantised
//! at load); the router's top-k is read back to the host once per layer and pass; the full
//! layers' cache grows by concatenation, as candle's own Qwen3 does.

// The RoPE tables follow transformers' mix of f64 scalars and f32 tensors, and the memory
// estimate is a float product of counts: the casts below are the point.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "float arithmetic mirroring transformers' own, on small counts"
)]

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, Linear};
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::mxfp4;

/// How the expert weights are kept in memory (the person picks one when loading).
/// Read from JSON by its name, with the same message as the command line's for another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExpertWeights {
    /// Dequantised to the model's type (bf16 on a GPU, f32 on a CPU): no loss beyond the
    /// checkpoint's own, the most memory.
    #[default]
    #[serde(rename = "dequantized")]
    Dequantized,
    /// Re-quantised to Q8_0 (8 bits and one f16 scale per 32 values).
    #[serde(rename = "q8_0")]
    Q8_0,
    /// Re-quantised to Q4_0 (4 bits and one f16 scale per 32 values).
    #[serde(rename = "q4_0")]
    Q4_0,
}

impl ExpertWeights {
    /// Every choice, in the order a person sees them.
    pub const ALL: [ExpertWeights; 3] = [
        ExpertWeights::Dequantized,
        ExpertWeights::Q8_0,
        ExpertWeights::Q4_0,
    ];

    /// The name used on the command line and in the API.
    pub fn name(self) -> &'static str {
        match self {
            ExpertWeights::Dequantized => "dequantized",
            ExpertWeights::Q8_0 => "q8_0",
            ExpertWeights::Q4_0 => "q4_0",
        }
    }

    /// The choice of that name.
    pub fn from_name(name: &str) -> Option<ExpertWeights> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Every name, for messages.
    pub const NAMES: &str = "dequantized, q8_0, q4_0";

    /// Bytes per expert weight, for weights otherwise of `dtype`.
    fn bytes_per_value(self, dtype: DType) -> f64 {
        match self {
            ExpertWeights::Dequantized => dtype.size_in_bytes() as f64,
            // A block of 32: 32 bytes + an f16 scale; 16 bytes + an f16 scale.
            ExpertWeights::Q8_0 => 34.0 / 32.0,
            ExpertWeights::Q4_0 => 18.0 / 32.0,
        }
    }

    fn ggml(self) -> Option<GgmlDType> {
        match self {
            ExpertWeights::Dequantized => None,
            ExpertWeights::Q8_0 => Some(GgmlDType::Q8_0),
            ExpertWeights::Q4_0 => Some(GgmlDType::Q4_0),
        }
    }
}

impl<'de> Deserialize<'de> for ExpertWeights {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for ExpertWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ExpertWeights {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<ExpertWeights, EngineError> {
        ExpertWeights::from_name(text.trim()).ok_or_else(|| {
            EngineError::Device(format!(
                "unknown expert format `{text}` ({})",
                ExpertWeights::NAMES
            ))
        })
    }
}

/// RoPE scaling as `config.json` spells it (`rope_scaling`, or transformers 5's
/// `rope_parameters`).
#[derive(Debug, Clone, Deserialize)]
pub struct RopeScaling {
    /// `yarn` or `default`.
    #[serde(alias = "type")]
    pub rope_type: String,
    /// The context extension factor.
    pub factor: Option<f64>,
    /// The YaRN ramp's fast end (default 32).
    pub beta_fast: Option<f64>,
    /// The YaRN ramp's slow end (default 1).
    pub beta_slow: Option<f64>,
    /// Whether the ramp's ends are rounded to whole dimensions (default true; gpt-oss: false).
    pub truncate: Option<bool>,
    /// The context length of pre-training.
    pub original_max_position_embeddings: Option<f64>,
    /// The factor on cos and sin; by default from `factor`.
    pub attention_factor: Option<f64>,
    /// DeepSeek's variant of that factor.
    pub mscale: Option<f64>,
    /// DeepSeek's variant of that factor.
    pub mscale_all_dim: Option<f64>,
    /// The base, where transformers 5 writes it.
    pub rope_theta: Option<f64>,
}

fn default_eps() -> f64 {
    1e-5
}
fn default_limit() -> f64 {
    7.0
}
fn default_alpha() -> f64 {
    1.702
}
fn default_true() -> bool {
    true
}

/// A gpt-oss `config.json` (transformers' `GptOssConfig`), in the spelling of real checkpoints
/// (`rope_theta`, `rope_scaling`) or of transformers 5 (`rope_parameters`).
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Tokens (201088).
    pub vocab_size: usize,
    /// The residual width (2880).
    pub hidden_size: usize,
    /// Each expert's width (2880).
    pub intermediate_size: usize,
    /// Layers (24).
    pub num_hidden_layers: usize,
    /// Query heads (64).
    pub num_attention_heads: usize,
    /// Key/value heads (8).
    pub num_key_value_heads: usize,
    /// Width of a head (64).
    pub head_dim: Option<usize>,
    /// Experts per layer (32).
    pub num_local_experts: usize,
    /// Experts per token (4).
    pub num_experts_per_tok: Option<usize>,
    /// The same, as OpenAI's own configs name it (real checkpoints carry both).
    pub experts_per_token: Option<usize>,
    /// The sliding layers' window (128).
    pub sliding_window: Option<usize>,
    /// `sliding_attention` or `full_attention` per layer; by default alternating, sliding first.
    pub layer_types: Option<Vec<String>>,
    /// RMSNorm's epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// RoPE's base (150000).
    pub rope_theta: Option<f64>,
    /// RoPE scaling (YaRN).
    pub rope_scaling: Option<RopeScaling>,
    /// RoPE settings as transformers 5 writes them.
    pub rope_parameters: Option<RopeScaling>,
    /// The experts' clamp.
    #[serde(default = "default_limit")]
    pub swiglu_limit: f64,
    /// The experts' sigmoid gain.
    #[serde(default = "default_alpha")]
    pub swiglu_alpha: f64,
    /// Whether q/k/v/o have biases.
    #[serde(default = "default_true")]
    pub attention_bias: bool,
    /// Whether the output layer is the embedding.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// The positions it was trained for.
    #[serde(default)]
    pub max_position_embeddings: Option<usize>,
}

impl Config {
    fn head_dim(&self) -> usize {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads)
    }

    /// Experts per token.
    pub fn top_k(&self) -> usize {
        self.num_experts_per_tok
            .or(self.experts_per_token)
            .unwrap_or(4)
    }

    fn rope(&self) -> Option<&RopeScaling> {
        self.rope_parameters.as_ref().or(self.rope_scaling.as_ref())
    }

    /// Whether layer `i` attends through a sliding window.
    fn is_sliding(&self, i: usize) -> bool {
        match &self.layer_types {
            Some(types) => types.get(i).is_some_and(|t| t == "sliding_attention"),
            None => i.is_multiple_of(2),
        }
    }

    /// Checks what the forward pass relies on; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.num_attention_heads == 0
            || self.num_key_value_heads == 0
            || !self
                .num_attention_heads
                .is_multiple_of(self.num_key_value_heads)
        {
            return Err(format!(
                "num_attention_heads ({}) must be a multiple of num_key_value_heads ({})",
                self.num_attention_heads, self.num_key_value_heads
            ));
        }
        if self.top_k() == 0 || self.top_k() > self.num_local_experts {
            return Err(format!(
                "num_experts_per_tok ({}) must be between 1 and num_local_experts ({})",
                self.top_k(),
                self.num_local_experts
            ));
        }
        if let Some(types) = &self.layer_types {
            if types.len() != self.num_hidden_layers {
                return Err(format!(
                    "layer_types has {} entries for {} layers",
                    types.len(),
                    self.num_hidden_layers
                ));
            }
            if let Some(bad) = types
                .iter()
                .find(|t| *t != "sliding_attention" && *t != "full_attention")
            {
                return Err(format!("layer_types: unknown layer type `{bad}`"));
            }
        }
        if (0..self.num_hidden_layers).any(|i| self.is_sliding(i))
            && self.sliding_window.is_none_or(|w| w == 0)
        {
            return Err("sliding layers need a sliding_window of at least 1".into());
        }
        if !self.head_dim().is_multiple_of(2) {
            return Err(format!("head_dim ({}) must be even", self.head_dim()));
        }
        match self.rope() {
            None => {}
            Some(r) if r.rope_type == "default" => {}
            Some(r)
                if r.rope_type == "yarn"
                    && (r.factor.is_none() || r.original_max_position_embeddings.is_none()) =>
            {
                return Err(
                    "rope_scaling: yarn needs `factor` and `original_max_position_embeddings`"
                        .into(),
                );
            }
            Some(r) if r.rope_type == "yarn" => {}
            Some(r) => {
                return Err(format!(
                    "rope_scaling: rope type `{}` is not supported (yarn, default)",
                    r.rope_type
                ));
            }
        }
        Ok(())
    }

    /// Parameters of the experts, of everything else.
    fn parameter_counts(&self) -> (u64, u64) {
        let (h, i, e) = (
            self.hidden_size as u64,
            self.intermediate_size as u64,
            self.num_local_experts as u64,
        );
        let layers = self.num_hidden_layers as u64;
        let (q, kv) = (
            (self.num_attention_heads * self.head_dim()) as u64,
            (self.num_key_value_heads * self.head_dim()) as u64,
        );
        let experts = layers * e * (h * 2 * i + 2 * i + i * h + h);
        let attention = h * q + q + 2 * (h * kv + kv) + q * h + h + q / self.head_dim() as u64;
        let per_layer = attention + e * h + e + 2 * h;
        let embeddings = self.vocab_size as u64 * h * if self.tie_word_embeddings { 1 } else { 2 };
        (experts, layers * per_layer + embeddings + h)
    }

    /// The attention cache's bytes for `tokens` positions in `dtype`: full layers hold every
    /// position, sliding layers at most their window.
    pub fn cache_bytes(&self, tokens: u64, dtype: DType) -> u64 {
        let per_position =
            2 * (self.num_key_value_heads * self.head_dim() * dtype.size_in_bytes()) as u64;
        (0..self.num_hidden_layers)
            .map(|l| {
                let kept = match (self.is_sliding(l), self.sliding_window) {
                    (true, Some(window)) => tokens.min(window as u64),
                    _ => tokens,
                };
                kept * per_position
            })
            .sum()
    }

    /// The memory the weights take when loaded as `experts` with everything else in `dtype`
    /// (norms and sinks in f32 are counted in `dtype`: a rounding error).
    pub fn memory_bytes(&self, dtype: DType, experts: ExpertWeights) -> u64 {
        let (expert_params, other) = self.parameter_counts();
        (expert_params as f64 * experts.bytes_per_value(dtype)) as u64
            + other * dtype.size_in_bytes() as u64
    }
}

/// How long prompts are split (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Positions per pass through the layers.
    pub prefill_tokens: usize,
    /// Most attention scores (heads × queries × keys) computed at once.
    pub attention_scores: usize,
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking {
            prefill_tokens: 512,
            attention_scores: 1 << 24,
        }
    }
}

fn candle(e: &candle_core::Error) -> EngineError {
    EngineError::Runtime(e.to_string())
}

/// YaRN (or plain) RoPE: the inverse frequencies and the factor on cos and sin.
#[derive(Debug, Clone)]
struct Rope {
    inv_freq: Vec<f32>,
    scaling: f32,
}

impl Rope {
    /// As transformers' `_compute_yarn_parameters` (f32 tensors, f64 scalars).
    fn new(config: &Config) -> Rope {
        let dim = config.head_dim();
        let rope = config.rope();
        let base = rope
            .and_then(|r| r.rope_theta)
            .or(config.rope_theta)
            .unwrap_or(150_000.0);
        let pos_freqs: Vec<f32> = (0..dim)
            .step_by(2)
            .map(|i| (base as f32).powf(i as f32 / dim as f32))
            .collect();
        let Some(yarn) = rope.filter(|r| r.rope_type == "yarn") else {
            return Rope {
                inv_freq: pos_freqs.iter().map(|p| 1.0 / p).collect(),
                scaling: 1.0,
            };
        };
        let factor = yarn.factor.unwrap_or(1.0);
        let original = yarn.original_max_position_embeddings.unwrap_or(4096.0);
        let get_mscale = |scale: f64, mscale: f64| {
            if scale <= 1.0 {
                1.0
            } else {
                0.1 * mscale * scale.ln() + 1.0
            }
        };
        let scaling = match (yarn.attention_factor, yarn.mscale, yarn.mscale_all_dim) {
            (Some(a), _, _) => a,
            (None, Some(m), Some(all)) if m != 0.0 && all != 0.0 => {
                get_mscale(factor, m) / get_mscale(factor, all)
            }
            _ => get_mscale(factor, 1.0),
        };
        let beta_fast = yarn.beta_fast.filter(|&b| b != 0.0).unwrap_or(32.0);
        let beta_slow = yarn.beta_slow.filter(|&b| b != 0.0).unwrap_or(1.0);
        let correction_dim = |rotations: f64| {
            (dim as f64 * (original / (rotations * 2.0 * std::f64::consts::PI)).ln())
                / (2.0 * base.ln())
        };
        let (mut low, mut high) = (correction_dim(beta_fast), correction_dim(beta_slow));
        if yarn.truncate.unwrap_or(true) {
            low = low.floor();
            high = high.ceil();
        }
        let low = low.max(0.0);
        let mut high = high.min(dim as f64 - 1.0);
        if (high - low).abs() < f64::EPSILON {
            high += 0.001;
        }
        let inv_freq = pos_freqs
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let ramp = ((i as f32 - low as f32) / (high as f32 - low as f32)).clamp(0.0, 1.0);
                let extrapolation_factor = 1.0 - ramp;
                let extrapolation = 1.0 / p;
                let interpolation = 1.0 / (factor as f32 * p);
                interpolation * (1.0 - extrapolation_factor) + extrapolation * extrapolation_factor
            })
            .collect();
        Rope {
            inv_freq,
            scaling: scaling as f32,
        }
    }

    /// cos and sin, `(len, head_dim / 2)`, of positions `offset..offset + len`, in `dtype`.
    fn tables(
        &self,
        offset: usize,
        len: usize,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(len * half);
        let mut sin = Vec::with_capacity(len * half);
        for position in offset..offset + len {
            for &f in &self.inv_freq {
                let angle = position as f32 * f;
                cos.push(angle.cos() * self.scaling);
                sin.push(angle.sin() * self.scaling);
            }
        }
        let cos = Tensor::from_vec(cos, (len, half), device)?.to_dtype(dtype)?;
        let sin = Tensor::from_vec(sin, (len, half), device)?.to_dtype(dtype)?;
        Ok((cos, sin))
    }
}

/// RMSNorm computed in f32 with an f32 weight, as transformers keeps gpt-oss's norms.
#[derive(Debug, Clone)]
struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dtype = x.dtype();
        candle_nn::ops::rms_norm(&x.to_dtype(DType::F32)?, &self.weight, self.eps)?.to_dtype(dtype)
    }
}

/// One expert's weight matrix, `(out, in)`.
#[derive(Debug, Clone)]
enum ExpertMatrix {
    /// In the model's type (possibly a strided view into a stacked checkpoint tensor).
    Dense(Tensor),
    /// Re-quantised.
    Quantized(QMatMul),
}

impl ExpertMatrix {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            ExpertMatrix::Dense(w) => x.matmul(&w.t()?),
            ExpertMatrix::Quantized(q) => q.forward(&x.to_dtype(DType::F32)?)?.to_dtype(x.dtype()),
        }
    }
}

#[derive(Debug, Clone)]
struct Expert {
    gate: ExpertMatrix,
    gate_bias: Tensor,
    up: ExpertMatrix,
    up_bias: Tensor,
    down: ExpertMatrix,
    down_bias: Tensor,
}

/// The even (`part` 0, the gate's) or odd (1, the up's) rows of an interleaved `gate_up` tensor
/// (its first dimension), contiguous.
fn deinterleave(t: &Tensor, part: usize) -> candle_core::Result<Tensor> {
    let mut dims = t.dims().to_vec();
    let rows = dims[0] / 2;
    dims[0] = 2;
    dims.insert(0, rows);
    t.reshape(dims)?
        .narrow(1, part, 1)?
        .squeeze(1)?
        .contiguous()
}

#[derive(Debug, Clone)]
struct Layer {
    input_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    /// One logit per head, f32.
    sinks: Tensor,
    /// The sliding window, on sliding layers.
    window: Option<usize>,
    post_attention_norm: RmsNorm,
    router: Linear,
    experts: Vec<Expert>,
}

/// The weights, shared by clones of a model state.
#[derive(Debug)]
struct Weights {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    top_k: usize,
    limit: f64,
    alpha: f64,
    dtype: DType,
    device: Device,
}

/// One layer's keys and values so far, `(1, kv_heads, positions, head_dim)`, starting at
/// position `start` (past 0 on sliding layers once the window has moved on).
#[derive(Debug, Clone)]
struct LayerCache {
    keys: Tensor,
    values: Tensor,
    start: usize,
    /// The layer's sliding window, if it has one.
    window: Option<usize>,
}

/// Positions a sliding layer keeps beyond its window, so that a state can be cut back a little
/// ([`GptOssState::truncate`]: re-tokenised output differs from the generated tokens near its
/// end only) without processing the whole sequence again.
const SLIDING_SLACK: usize = 64;

/// One sequence's state: every layer's cache and the positions seen. Cloning shares the cache's
/// tensors, which are never written in place (each pass makes new ones), so a clone is an
/// independent copy.
#[derive(Debug, Clone)]
pub struct GptOssState {
    caches: Vec<Option<LayerCache>>,
    /// The positions seen so far.
    position: usize,
}

impl GptOssState {
    /// The positions it holds.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Cuts the state back to its first `position` positions; false (and the state unchanged)
    /// where a sliding layer has already dropped keys that a query there would see.
    pub fn truncate(&mut self, position: usize) -> bool {
        if position >= self.position {
            return true;
        }
        let fits = self
            .caches
            .iter()
            .flatten()
            .all(|c| c.start == 0 || c.window.is_some_and(|win| c.start + win <= position + 1));
        if !fits {
            return false;
        }
        for cache in &mut self.caches {
            let Some(c) = cache.as_mut() else { continue };
            let kept = position.saturating_sub(c.start);
            if kept == 0 {
                *cache = None;
                continue;
            }
            match (c.keys.narrow(2, 0, kept), c.values.narrow(2, 0, kept)) {
                (Ok(k), Ok(v)) => {
                    c.keys = k;
                    c.values = v;
                }
                _ => return false,
            }
        }
        self.position = position;
        true
    }

    /// The bytes its caches hold.
    pub fn bytes(&self) -> u64 {
        self.caches
            .iter()
            .flatten()
            .map(|c| 2 * (c.keys.elem_count() * c.keys.dtype().size_in_bytes()) as u64)
            .sum()
    }
}

/// A loaded gpt-oss model with the state of one sequence ([`GptOss::forward`]); other sequences'
/// states are [`GptOssState`]s passed to [`GptOss::forward_many`]. Cloning shares the weights.
#[derive(Debug, Clone)]
pub struct GptOss {
    weights: Arc<Weights>,
    state: GptOssState,
    chunking: Chunking,
}

/// The tensors of a checkpoint, read by name.
struct Checkpoint<'a> {
    tensors: &'a MmapedSafetensors,
    dtype: DType,
    device: &'a Device,
}

fn shape_error(name: &str, message: &str) -> EngineError {
    EngineError::Runtime(format!(
        "the weights do not fit the config: tensor `{name}` {message}"
    ))
}

impl Checkpoint<'_> {
    fn has(&self, name: &str) -> bool {
        self.tensors.get(name).is_ok()
    }

    /// The tensor on the CPU in its stored type, checked against `shape`.
    fn raw(&self, name: &str, shape: &[usize]) -> Result<Tensor, EngineError> {
        let t = self
            .tensors
            .load(name, &Device::Cpu)
            .map_err(|e| shape_error(name, &format!("cannot be read: {e}")))?;
        if t.dims() != shape {
            return Err(shape_error(
                name,
                &format!("has shape {:?}, the config says {shape:?}", t.dims()),
            ));
        }
        Ok(t)
    }

    /// The tensor in `dtype` on the model's device.
    fn get_as(&self, name: &str, shape: &[usize], dtype: DType) -> Result<Tensor, EngineError> {
        self.raw(name, shape)?
            .to_dtype(dtype)
            .and_then(|t| t.to_device(self.device))
            .map_err(|e| candle(&e))
    }

    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, EngineError> {
        self.get_as(name, shape, self.dtype)
    }

    fn linear(
        &self,
        name: &str,
        out: usize,
        inp: usize,
        bias: bool,
    ) -> Result<Linear, EngineError> {
        let weight = self.get(&format!("{name}.weight"), &[out, inp])?;
        let bias = if bias {
            Some(self.get(&format!("{name}.bias"), &[out])?)
        } else {
            None
        };
        Ok(Linear::new(weight, bias))
    }

    fn norm(&self, name: &str, width: usize, eps: f64) -> Result<RmsNorm, EngineError> {
        Ok(RmsNorm {
            weight: self.get_as(&format!("{name}.weight"), &[width], DType::F32)?,
            eps: eps as f32,
        })
    }

    /// The experts' weights `name` (`…experts.down_proj`), `(out, in)` per expert, from MXFP4
    /// blocks and scales or from a float `(experts, in, out)` tensor, kept as `format` says;
    /// `interleaved` (`gate_up_proj`) splits each into its even rows and its odd rows.
    fn expert_matrices(
        &self,
        name: &str,
        experts: usize,
        (out, inp): (usize, usize),
        format: ExpertWeights,
        interleaved: bool,
    ) -> Result<Vec<Vec<ExpertMatrix>>, EngineError> {
        let blocks_name = format!("{name}_blocks");
        let keep = |rows: Tensor| -> Result<ExpertMatrix, EngineError> {
            match format.ggml() {
                None => rows
                    .to_dtype(self.dtype)
                    .and_then(|t| t.to_device(self.device))
                    .map(ExpertMatrix::Dense)
                    .map_err(|e| candle(&e)),
                Some(ggml) => {
                    let rows = rows
                        .to_dtype(DType::F32)
                        .and_then(|t| t.contiguous())
                        .map_err(|e| candle(&e))?;
                    let q = QTensor::quantize_onto(&rows, ggml, self.device).map_err(|e| {
                        shape_error(name, &format!("cannot be quantised to {ggml:?}: {e}"))
                    })?;
                    QMatMul::from_qtensor(q)
                        .map(ExpertMatrix::Quantized)
                        .map_err(|e| candle(&e))
                }
            }
        };
        let keep_parts = |rows: Tensor| -> Result<Vec<ExpertMatrix>, EngineError> {
            if interleaved {
                (0..2)
                    .map(|part| keep(deinterleave(&rows, part).map_err(|e| candle(&e))?))
                    .collect()
            } else {
                Ok(vec![keep(rows)?])
            }
        };
        if self.has(&blocks_name) {
            if !inp.is_multiple_of(mxfp4::BLOCK) {
                return Err(shape_error(
                    name,
                    &format!(
                        "is MXFP4 but its rows of {inp} are not whole blocks of {}",
                        mxfp4::BLOCK
                    ),
                ));
            }
            let groups = inp / mxfp4::BLOCK;
            let blocks = self.raw(&blocks_name, &[experts, out, groups, mxfp4::BLOCK_BYTES])?;
            let scales = self.raw(&format!("{name}_scales"), &[experts, out, groups])?;
            if blocks.dtype() != DType::U8 || scales.dtype() != DType::U8 {
                return Err(shape_error(name, "is MXFP4 but not stored as u8"));
            }
            let blocks = blocks.flatten_all().and_then(|t| t.to_vec1::<u8>());
            let scales = scales.flatten_all().and_then(|t| t.to_vec1::<u8>());
            let (blocks, scales) = (
                blocks.map_err(|e| candle(&e))?,
                scales.map_err(|e| candle(&e))?,
            );
            let per_expert = out * groups;
            (0..experts)
                .map(|e| {
                    let values = mxfp4::dequantize(
                        &blocks[e * per_expert * mxfp4::BLOCK_BYTES
                            ..(e + 1) * per_expert * mxfp4::BLOCK_BYTES],
                        &scales[e * per_expert..(e + 1) * per_expert],
                    )
                    .map_err(|m| shape_error(name, &m))?;
                    keep_parts(
                        Tensor::from_vec(values, (out, inp), &Device::Cpu)
                            .map_err(|e| candle(&e))?,
                    )
                })
                .collect()
        } else {
            // Float checkpoints hold (experts, in, out): each expert's transpose is (out, in).
            let stacked = self.raw(name, &[experts, inp, out])?;
            (0..experts)
                .map(|e| keep_parts(stacked.get(e).and_then(|t| t.t()).map_err(|e| candle(&e))?))
                .collect()
        }
    }
}

impl GptOss {
    /// Loads a model with `config` from its safetensors `tensors`, activations and non-expert
    /// weights in `dtype`, the experts kept as `experts`.
    pub fn load(
        config: &Config,
        tensors: &MmapedSafetensors,
        dtype: DType,
        device: &Device,
        experts: ExpertWeights,
    ) -> Result<GptOss, EngineError> {
        config.validate().map_err(EngineError::Runtime)?;
        let ck = Checkpoint {
            tensors,
            dtype,
            device,
        };
        let (h, hd) = (config.hidden_size, config.head_dim());
        let (heads, kv_heads) = (config.num_attention_heads, config.num_key_value_heads);
        let (e, i) = (config.num_local_experts, config.intermediate_size);
        let bias = config.attention_bias;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("model.layers.{l}");
            let gate_up = ck.expert_matrices(
                &format!("{p}.mlp.experts.gate_up_proj"),
                e,
                (2 * i, h),
                experts,
                true,
            )?;
            let down = ck.expert_matrices(
                &format!("{p}.mlp.experts.down_proj"),
                e,
                (h, i),
                experts,
                false,
            )?;
            let gate_up_bias =
                ck.get(&format!("{p}.mlp.experts.gate_up_proj_bias"), &[e, 2 * i])?;
            let down_bias = ck.get(&format!("{p}.mlp.experts.down_proj_bias"), &[e, h])?;
            let experts = gate_up
                .into_iter()
                .zip(down)
                .enumerate()
                .map(|(x, (gate_up, down))| {
                    let (Ok([gate, up]), Ok([down])) = (
                        <[ExpertMatrix; 2]>::try_from(gate_up),
                        <[ExpertMatrix; 1]>::try_from(down),
                    ) else {
                        return Err(EngineError::Runtime(
                            "expert matrices lost their parts".into(),
                        ));
                    };
                    let bias = gate_up_bias.get(x).map_err(|e| candle(&e))?;
                    Ok(Expert {
                        gate,
                        gate_bias: deinterleave(&bias, 0).map_err(|e| candle(&e))?,
                        up,
                        up_bias: deinterleave(&bias, 1).map_err(|e| candle(&e))?,
                        down,
                        down_bias: down_bias.get(x).map_err(|e| candle(&e))?,
                    })
                })
                .collect::<Result<Vec<_>, EngineError>>()?;
            layers.push(Layer {
                input_norm: ck.norm(&format!("{p}.input_layernorm"), h, config.rms_norm_eps)?,
                q: ck.linear(&format!("{p}.self_attn.q_proj"), heads * hd, h, bias)?,
                k: ck.linear(&format!("{p}.self_attn.k_proj"), kv_heads * hd, h, bias)?,
                v: ck.linear(&format!("{p}.self_attn.v_proj"), kv_heads * hd, h, bias)?,
                o: ck.linear(&format!("{p}.self_attn.o_proj"), h, heads * hd, bias)?,
                sinks: ck
                    .get_as(&format!("{p}.self_attn.sinks"), &[heads], DType::F32)?
                    .reshape((1, heads, 1, 1))
                    .map_err(|e| candle(&e))?,
                window: if config.is_sliding(l) {
                    config.sliding_window
                } else {
                    None
                },
                post_attention_norm: ck.norm(
                    &format!("{p}.post_attention_layernorm"),
                    h,
                    config.rms_norm_eps,
                )?,
                router: ck.linear(&format!("{p}.mlp.router"), e, h, true)?,
                experts,
            });
        }
        let embed_weight = ck.get("model.embed_tokens.weight", &[config.vocab_size, h])?;
        let lm_head = if config.tie_word_embeddings && !ck.has("lm_head.weight") {
            Linear::new(embed_weight.clone(), None)
        } else {
            ck.linear("lm_head", config.vocab_size, h, false)?
        };
        Ok(GptOss {
            weights: Arc::new(Weights {
                embed: Embedding::new(embed_weight, h),
                norm: ck.norm("model.norm", h, config.rms_norm_eps)?,
                lm_head,
                layers,
                rope: Rope::new(config),
                heads,
                kv_heads,
                head_dim: hd,
                top_k: config.top_k(),
                limit: config.swiglu_limit,
                alpha: config.swiglu_alpha,
                dtype,
                device: device.clone(),
            }),
            state: GptOssState {
                caches: vec![None; config.num_hidden_layers],
                position: 0,
            },
            chunking: Chunking::default(),
        })
    }

    /// Sets how long prompts are split (the default suits real prompts; tests make it small).
    pub fn set_chunking(&mut self, chunking: Chunking) {
        self.chunking = Chunking {
            prefill_tokens: chunking.prefill_tokens.max(1),
            attention_scores: chunking.attention_scores.max(1),
        };
    }

    /// The cache's bytes for one sequence of `positions` positions: full layers hold every
    /// position, sliding layers their window and the slack.
    pub fn cache_bytes(&self, positions: usize) -> u64 {
        let w = &self.weights;
        let per_position = 2 * w.kv_heads * w.head_dim * w.dtype.size_in_bytes();
        w.layers
            .iter()
            .map(|l| {
                let kept = l
                    .window
                    .map_or(positions, |win| positions.min(win + SLIDING_SLACK));
                (kept * per_position) as u64
            })
            .sum()
    }

    /// The chunking in force.
    pub fn chunking(&self) -> Chunking {
        self.chunking
    }

    /// A state with no positions.
    pub fn new_state(&self) -> GptOssState {
        GptOssState {
            caches: vec![None; self.weights.layers.len()],
            position: 0,
        }
    }

    /// Forgets every position of the model's own state.
    pub fn clear_cache(&mut self) {
        self.state = self.new_state();
    }

    /// Feeds `ids` at positions `offset..` to the model's own state and returns the last
    /// position's logits, `(1, vocab)`. `offset` 0 starts afresh; any other offset must be the
    /// number of positions seen.
    pub fn forward(&mut self, ids: &[u32], offset: usize) -> Result<Tensor, EngineError> {
        if offset == 0 {
            self.clear_cache();
        } else if offset != self.state.position {
            return Err(EngineError::Runtime(format!(
                "gpt-oss: a pass at position {offset}, but the cache holds {} positions",
                self.state.position
            )));
        }
        if ids.is_empty() {
            return Err(EngineError::Runtime(
                "a forward pass needs at least one token".into(),
            ));
        }
        let mut state = std::mem::replace(
            &mut self.state,
            GptOssState {
                caches: Vec::new(),
                position: 0,
            },
        );
        let mut last = None;
        for chunk in ids.chunks(self.chunking.prefill_tokens) {
            match self.forward_many(&mut [(&mut state, chunk)]) {
                Ok(logits) => last = Some(logits),
                Err(e) => {
                    self.clear_cache();
                    return Err(e);
                }
            }
        }
        self.state = state;
        last.ok_or_else(|| EngineError::Runtime("no tokens".into()))
    }

    /// Feeds each sequence its tokens (at its own next positions) in one pass through the
    /// layers and returns the logits after each one's last token, `(sequences, vocab)`: the
    /// projections and experts run over all the tokens at once, attention per sequence.
    pub fn forward_many(
        &self,
        work: &mut [(&mut GptOssState, &[u32])],
    ) -> Result<Tensor, EngineError> {
        if work.is_empty() || work.iter().any(|(_, ids)| ids.is_empty()) {
            return Err(EngineError::Runtime(
                "a forward pass needs at least one token of each sequence".into(),
            ));
        }
        self.pass(work).map_err(|e| candle(&e))
    }

    /// One pass through every layer: the last logits of each sequence.
    fn pass(&self, work: &mut [(&mut GptOssState, &[u32])]) -> candle_core::Result<Tensor> {
        let w = &self.weights;
        let lens: Vec<usize> = work.iter().map(|(_, ids)| ids.len()).collect();
        let total: usize = lens.iter().sum();
        let ids: Vec<u32> = work
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        let input = Tensor::from_vec(ids, (1, total), &w.device)?;
        let mut x = w.embed.forward(&input)?;
        let mut cos = Vec::with_capacity(work.len());
        let mut sin = Vec::with_capacity(work.len());
        for (state, ids) in work.iter() {
            let (c, s) = w
                .rope
                .tables(state.position, ids.len(), w.dtype, &w.device)?;
            cos.push(c);
            sin.push(s);
        }
        let (cos, sin) = (Tensor::cat(&cos, 0)?, Tensor::cat(&sin, 0)?);
        for (index, layer) in w.layers.iter().enumerate() {
            let residual = x.clone();
            let h = layer.input_norm.forward(&x)?;
            let h = attention(w, layer, index, work, &lens, &h, &cos, &sin, self.chunking)?;
            x = (residual + h)?;
            let residual = x.clone();
            let h = layer.post_attention_norm.forward(&x)?;
            let h = experts(w, layer, &h)?;
            x = (residual + h)?;
        }
        let mut last = Vec::with_capacity(lens.len());
        let mut end = 0u32;
        for ((state, _), &len) in work.iter_mut().zip(&lens) {
            state.position += len;
            end += u32::try_from(len).map_err(candle_core::Error::wrap)?;
            last.push(end - 1);
        }
        let last = Tensor::from_vec(last, lens.len(), &w.device)?;
        let x = x.squeeze(0)?.index_select(&last, 0)?;
        let x = w.norm.forward(&x)?;
        w.lm_head.forward(&x)?.to_dtype(DType::F32)
    }
}

/// Self-attention with sinks of one layer over the packed tokens `x` `(1, T, hidden)` of every
/// sequence in `work` (`lens` tokens each, at each state's position): the projections over all
/// tokens, attention per sequence against its own cache, which it extends.
#[allow(
    clippy::too_many_arguments,
    clippy::many_single_char_names,
    reason = "one layer's whole context; q, k, v as the papers name them"
)]
fn attention(
    w: &Weights,
    layer: &Layer,
    index: usize,
    work: &mut [(&mut GptOssState, &[u32])],
    lens: &[usize],
    x: &Tensor,
    cos: &Tensor,
    sin: &Tensor,
    chunking: Chunking,
) -> candle_core::Result<Tensor> {
    let (_, total, _) = x.dims3()?;
    let (heads, kv_heads, hd) = (w.heads, w.kv_heads, w.head_dim);
    let split = |t: Tensor, n: usize| t.reshape((1, total, n, hd))?.transpose(1, 2)?.contiguous();
    let q = split(layer.q.forward(x)?, heads)?;
    let k = split(layer.k.forward(x)?, kv_heads)?;
    let v = split(layer.v.forward(x)?, kv_heads)?;
    let q = candle_nn::rotary_emb::rope(&q, cos, sin)?;
    let k = candle_nn::rotary_emb::rope(&k, cos, sin)?;
    let mut outputs = Vec::with_capacity(lens.len());
    let mut first = 0;
    for ((state, _), &len) in work.iter_mut().zip(lens) {
        let narrow = |t: &Tensor| t.narrow(2, first, len);
        outputs.push(sequence_attention(
            w,
            layer,
            &mut state.caches[index],
            &narrow(&q)?,
            &narrow(&k)?,
            &narrow(&v)?,
            state.position,
            chunking,
        )?);
        first += len;
    }
    let out = Tensor::cat(&outputs, 1)?;
    layer.o.forward(&out)
}

/// One sequence's attention in one layer: its roped queries `q` `(1, heads, len, hd)` and new
/// keys and values `(1, kv_heads, len, hd)` at positions `offset..`, against its cache (which it
/// extends): `(1, len, heads * hd)`, before the output projection.
#[allow(
    clippy::too_many_arguments,
    clippy::many_single_char_names,
    reason = "one layer's whole context; q, k, v as the papers name them"
)]
fn sequence_attention(
    w: &Weights,
    layer: &Layer,
    cache: &mut Option<LayerCache>,
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    offset: usize,
    chunking: Chunking,
) -> candle_core::Result<Tensor> {
    let len = q.dim(2)?;
    let (heads, kv_heads, hd) = (w.heads, w.kv_heads, w.head_dim);
    let (keys, values, start) = match cache.take() {
        Some(c) => (
            Tensor::cat(&[&c.keys, k], 2)?,
            Tensor::cat(&[&c.values, v], 2)?,
            c.start,
        ),
        None => (k.contiguous()?, v.contiguous()?, offset),
    };
    let total = keys.dim(2)?;
    let rep = heads / kv_heads;
    let scale = 1.0 / (hd as f64).sqrt();
    // Queries in blocks whose scores stay within the budget; on sliding layers blocks of one
    // window, so that each sees at most two windows of keys instead of the whole prompt.
    let block = (chunking.attention_scores / (heads * total).max(1)).clamp(1, len);
    let block = layer.window.map_or(block, |win| block.min(win.max(1)));
    let mut outputs = Vec::with_capacity(len.div_ceil(block));
    for first in (0..len).step_by(block) {
        let count = block.min(len - first);
        let (p_first, p_last) = (offset + first, offset + first + count - 1);
        // The keys any query of the block may see: from the window's start (or the cache's)
        // to the block's last position.
        let k_lo = layer
            .window
            .map_or(start, |win| (p_first + 1).saturating_sub(win).max(start));
        let (j0, kn) = (k_lo - start, p_last + 1 - k_lo);
        let kb = keys.narrow(2, j0, kn)?;
        let vb = values.narrow(2, j0, kn)?;
        // Query heads grouped by their key/value head: (1, kv_heads, rep * count, hd).
        let qb = q
            .narrow(2, first, count)?
            .reshape((1, kv_heads, rep * count, hd))?;
        let scores = (qb.matmul(&kb.t()?)? * scale)?
            .reshape((1, heads, count, kn))?
            .to_dtype(DType::F32)?;
        // A single query sees every key of its range (the range was cut to what it sees);
        // a block of queries needs the causal (and window) mask, built on the device.
        let scores = if count == 1 {
            scores
        } else {
            scores.broadcast_add(&block_mask(
                p_first,
                count,
                k_lo,
                kn,
                layer.window,
                &w.device,
            )?)?
        };
        let sinks = layer.sinks.broadcast_as((1, heads, count, 1))?;
        let probs =
            candle_nn::ops::softmax_last_dim(&Tensor::cat(&[&scores, &sinks], 3)?.contiguous()?)?
                .narrow(3, 0, kn)?
                .to_dtype(w.dtype)?
                .reshape((1, kv_heads, rep * count, kn))?;
        outputs.push(
            probs
                .matmul(&vb.contiguous()?)?
                .reshape((1, heads, count, hd))?,
        );
    }
    let out = Tensor::cat(&outputs, 2)?
        .transpose(1, 2)?
        .reshape((1, len, heads * hd))?;
    // Sliding layers keep the last window − 1 positions (all a later query can see) and a
    // little slack for truncation.
    let end = offset + len;
    let keep_from = layer.window.map_or(start, |win| {
        (end + 1).saturating_sub(win + SLIDING_SLACK).max(start)
    });
    let drop = keep_from - start;
    *cache = Some(if drop == 0 {
        LayerCache {
            keys,
            values,
            start,
            window: layer.window,
        }
    } else {
        LayerCache {
            keys: keys.narrow(2, drop, total - drop)?.contiguous()?,
            values: values.narrow(2, drop, total - drop)?.contiguous()?,
            start: keep_from,
            window: layer.window,
        }
    });
    Ok(out)
}

/// The additive mask `(1, 1, count, kn)` of queries at positions `p_first..p_first + count`
/// over keys at `k_lo..k_lo + kn`: 0 where the key is at or before the query (and within the
/// window), −∞ elsewhere.
pub(crate) fn block_mask(
    p_first: usize,
    count: usize,
    k_lo: usize,
    kn: usize,
    window: Option<usize>,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let int = |n: usize| i64::try_from(n).map_err(candle_core::Error::wrap);
    // Positions as i64 column and row vectors on the device.
    let column = |from: i64| Tensor::arange(from, from + int(count)?, device)?.reshape((count, 1));
    let keys = Tensor::arange(int(k_lo)?, int(k_lo + kn)?, device)?.reshape((1, kn))?;
    let mut seen = keys.broadcast_le(&column(int(p_first)?)?)?;
    if let Some(window) = window {
        // The first key a query at p sees is p − window + 1.
        let first_seen = column(int(p_first)? + 1 - int(window)?)?;
        seen = (seen * keys.broadcast_ge(&first_seen)?)?;
    }
    let open = Tensor::zeros((count, kn), DType::F32, device)?;
    let closed = Tensor::full(f32::NEG_INFINITY, (count, kn), device)?;
    seen.where_cond(&open, &closed)?.reshape((1, 1, count, kn))
}

/// The mixture of experts over `x` `(1, len, hidden)`.
fn experts(w: &Weights, layer: &Layer, x: &Tensor) -> candle_core::Result<Tensor> {
    let (_, len, hidden) = x.dims3()?;
    let x = x.reshape((len, hidden))?;
    let logits = layer
        .router
        .forward(&x)?
        .to_dtype(DType::F32)?
        .to_vec2::<f32>()?;
    // Per expert: the tokens routed to it and their weights (softmax over each token's top k).
    let n_experts = layer.experts.len();
    let mut routed: Vec<(Vec<u32>, Vec<f32>)> = vec![(Vec::new(), Vec::new()); n_experts];
    for (token, row) in logits.iter().enumerate() {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        let chosen = &order[..w.top_k];
        let max = row[chosen[0]];
        let exps: Vec<f32> = chosen.iter().map(|&e| (row[e] - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        for (&e, weight) in chosen.iter().zip(exps) {
            routed[e]
                .0
                .push(u32::try_from(token).map_err(candle_core::Error::wrap)?);
            routed[e].1.push(weight / sum);
        }
    }
    let mut out = x.zeros_like()?;
    for (expert, (tokens, weights)) in layer.experts.iter().zip(routed) {
        if tokens.is_empty() {
            continue;
        }
        let n = tokens.len();
        let index = Tensor::from_vec(tokens, n, &w.device)?;
        let xs = x.index_select(&index, 0)?;
        let gate = expert
            .gate
            .forward(&xs)?
            .broadcast_add(&expert.gate_bias)?
            .minimum(w.limit)?;
        let up = expert
            .up
            .forward(&xs)?
            .broadcast_add(&expert.up_bias)?
            .clamp(-w.limit, w.limit)?;
        let glu = (&gate * candle_nn::ops::sigmoid(&(&gate * w.alpha)?)?)?;
        let hidden_states = ((up + 1.0)? * glu)?;
        let y = expert
            .down
            .forward(&hidden_states)?
            .broadcast_add(&expert.down_bias)?;
        let weights = Tensor::from_vec(weights, (n, 1), &w.device)?.to_dtype(w.dtype)?;
        out = out.index_add(&index, &y.broadcast_mul(&weights)?, 0)?;
    }
    out.reshape((1, len, hidden))
}
