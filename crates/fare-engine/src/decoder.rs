//! The dense decoder of Qwen3 (FARE-8B) and Llama: one forward pass over several sequences at
//! once, each with its own KV cache and positions, from safetensors or GGUF weights.
//!
//! Written after transformers' `modeling_qwen3.py` and `modeling_llama.py` (the golden tests
//! compare logits with `Qwen3ForCausalLM`) rather than taken from candle-transformers, whose
//! models hold one sequence's cache inside the weights and copy it every step:
//!
//! - **Packed tokens.** A pass takes any number of sequences, each with any number of new
//!   tokens (a prompt chunk or one decode token). Their tokens are laid end to end, `(T,
//!   hidden)`, so every projection and MLP product is one matrix product over all of them; only
//!   attention runs per sequence, against that sequence's own cache, with the causal mask where
//!   a sequence brings more than one token.
//! - **A preallocated cache per sequence** ([`DecoderState`]): per layer, key and value buffers
//!   `(1, kv_heads, capacity, head_dim)` written in place at the sequence's position and read as
//!   a view of the filled part, grown in steps of [`CACHE_STEP`] positions (by half again at
//!   least) when full. Preallocated slots rather than paged blocks: candle has no paged attention
//!   kernel, so pages would have to be gathered into one tensor for every product anyway; a
//!   slot per sequence is read with no copy, and growing by steps bounds the waste to one step
//!   (a FARE-8B sequence costs 144 KiB per position in bf16, so a step is 36 MiB).
//! - **RoPE** tables computed on the host in f32 for exactly the positions of the pass (never
//!   cached in a low-precision type: f16 cannot hold positions above 2048), NeoX-style (halves)
//!   for Qwen3 and interleaved for Llama GGUF files, whose converter permutes q and k to suit it.
//!
//! A state can be cut back to an earlier position ([`DecoderState::truncate`]: positions after it
//! are simply written over) and copied ([`DecoderState::fork`]), which is what scoring candidate
//! continuations by teacher forcing needs ([`crate::model`]).

use std::fs::File;
use std::path::Path;

use candle_core::quantized::{QMatMul, gguf_file};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Activation, Embedding, VarBuilder};
use candle_transformers::models::qwen3;

use crate::EngineError;

/// Positions by which a sequence's cache grows at least.
pub const CACHE_STEP: usize = 256;

fn file_error(path: &Path, message: impl Into<String>) -> EngineError {
    EngineError::ModelFile {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn run(e: &candle_core::Error) -> EngineError {
    EngineError::Runtime(e.to_string())
}

/// A linear layer whose weight is a plain tensor (safetensors) or a quantised GGUF tensor.
#[derive(Debug, Clone)]
struct Linear {
    weight: QMatMul,
    bias: Option<Tensor>,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.weight.forward(x)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// RMSNorm with its weight in the activations' type.
#[derive(Debug, Clone)]
struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

#[derive(Debug, Clone)]
struct Layer {
    input_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    /// Qwen3's per-head norms of queries and keys (Llama has none).
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_attention_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// How RoPE pairs the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RopeStyle {
    /// Dimension i with i + head_dim / 2 (transformers' `rotate_half`; Qwen3).
    Halves,
    /// Dimension 2i with 2i + 1 (GGUF Llama, whose q and k rows were permuted to suit it).
    Interleaved,
}

/// The shape of a decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Transformer layers.
    pub layers: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Dimensions per head.
    pub head_dim: usize,
    /// Logits per position.
    pub vocab_size: usize,
}

/// A loaded Qwen3 or Llama decoder: weights only; each sequence's cache is a [`DecoderState`].
#[derive(Debug)]
pub struct Decoder {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    act: Activation,
    inv_freq: Vec<f32>,
    rope: RopeStyle,
    /// Its shape.
    pub shape: Shape,
    /// The activations' type (and the cache's).
    pub dtype: DType,
    device: Device,
}

/// One layer's cache: `(1, kv_heads, capacity, head_dim)` buffers, filled up to the state's
/// position.
#[derive(Debug)]
struct LayerCache {
    keys: Tensor,
    values: Tensor,
}

/// One sequence's state: its cache and how many positions it holds.
#[derive(Debug)]
pub struct DecoderState {
    layers: Vec<Option<LayerCache>>,
    position: usize,
    /// The most positions its buffers grow to while that is enough (see
    /// [`DecoderState::limit_growth`]).
    growth_limit: usize,
}

impl DecoderState {
    /// The positions it holds.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Caps the buffers' growth at `positions` (rounded up to [`CACHE_STEP`]) for as long as
    /// that holds what is fed: a scheduler that reserved `positions` for it keeps it there.
    pub fn limit_growth(&mut self, positions: usize) {
        self.growth_limit = positions.div_ceil(CACHE_STEP) * CACHE_STEP;
    }

    /// Forgets the positions from `position` on (they are written over by the next pass).
    pub fn truncate(&mut self, position: usize) {
        self.position = self.position.min(position);
    }

    /// An independent copy: its own buffers, holding the filled part and room for one growth
    /// step.
    pub fn fork(&self) -> candle_core::Result<DecoderState> {
        let filled = self.position;
        let capacity = (filled + 1).div_ceil(CACHE_STEP) * CACHE_STEP;
        let copy = |t: &Tensor| -> candle_core::Result<Tensor> {
            let (one, kv, _, hd) = t.dims4()?;
            let buffer = Tensor::zeros((one, kv, capacity, hd), t.dtype(), t.device())?;
            if filled > 0 {
                buffer.slice_set(&t.narrow(2, 0, filled)?.contiguous()?, 2, 0)?;
            }
            Ok(buffer)
        };
        let layers = self
            .layers
            .iter()
            .map(|l| {
                l.as_ref()
                    .map(|c| {
                        Ok::<_, candle_core::Error>(LayerCache {
                            keys: copy(&c.keys)?,
                            values: copy(&c.values)?,
                        })
                    })
                    .transpose()
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(DecoderState {
            layers,
            position: self.position,
            growth_limit: self.growth_limit,
        })
    }

    /// The bytes its buffers hold (capacity, not only the filled part).
    pub fn bytes(&self) -> u64 {
        self.layers
            .iter()
            .flatten()
            .map(|c| 2 * (c.keys.elem_count() * c.keys.dtype().size_in_bytes()) as u64)
            .sum()
    }
}

impl Decoder {
    /// Loads Qwen3 from safetensors (`config` from the folder's `config.json`).
    pub fn from_safetensors(
        config: &qwen3::Config,
        vb: VarBuilder<'_>,
        path: &Path,
    ) -> Result<Decoder, EngineError> {
        Self::qwen3(config, vb)
            .map_err(|e| file_error(path, format!("the weights do not fit the config: {e}")))
    }

    #[allow(
        clippy::needless_pass_by_value,
        clippy::cast_possible_truncation,
        reason = "a VarBuilder is a cheap handle, passed by value as candle does; eps to f32 as transformers"
    )]
    fn qwen3(config: &qwen3::Config, vb: VarBuilder<'_>) -> candle_core::Result<Decoder> {
        let hd = config.head_dim;
        let (heads, kv) = (config.num_attention_heads, config.num_key_value_heads);
        let h = config.hidden_size;
        let eps = config.rms_norm_eps as f32;
        let linear = |vb: VarBuilder<'_>, i: usize, o: usize, bias: bool| {
            Ok::<_, candle_core::Error>(Linear {
                weight: QMatMul::Tensor(vb.get((o, i), "weight")?),
                bias: if bias { Some(vb.get(o, "bias")?) } else { None },
            })
        };
        let norm = |vb: VarBuilder<'_>, n: usize| {
            Ok::<_, candle_core::Error>(RmsNorm {
                weight: vb.get(n, "weight")?,
                eps,
            })
        };
        let m = vb.pp("model");
        let embed_weight = m.pp("embed_tokens").get((config.vocab_size, h), "weight")?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = m.pp(format!("layers.{i}"));
            let a = l.pp("self_attn");
            let mlp = l.pp("mlp");
            let bias = config.attention_bias;
            let im = config.intermediate_size;
            layers.push(Layer {
                input_norm: norm(l.pp("input_layernorm"), h)?,
                q: linear(a.pp("q_proj"), h, heads * hd, bias)?,
                k: linear(a.pp("k_proj"), h, kv * hd, bias)?,
                v: linear(a.pp("v_proj"), h, kv * hd, bias)?,
                o: linear(a.pp("o_proj"), heads * hd, h, false)?,
                q_norm: Some(norm(a.pp("q_norm"), hd)?),
                k_norm: Some(norm(a.pp("k_norm"), hd)?),
                post_attention_norm: norm(l.pp("post_attention_layernorm"), h)?,
                gate: linear(mlp.pp("gate_proj"), h, im, false)?,
                up: linear(mlp.pp("up_proj"), h, im, false)?,
                down: linear(mlp.pp("down_proj"), im, h, false)?,
            });
        }
        let lm_head = if config.tie_word_embeddings {
            embed_weight.clone()
        } else {
            vb.pp("lm_head").get((config.vocab_size, h), "weight")?
        };
        Ok(Decoder {
            embed: Embedding::new(embed_weight, h),
            layers,
            norm: norm(m.pp("norm"), h)?,
            lm_head: Linear {
                weight: QMatMul::Tensor(lm_head),
                bias: None,
            },
            act: config.hidden_act,
            inv_freq: inv_freq(hd, config.rope_theta),
            rope: RopeStyle::Halves,
            shape: Shape {
                layers: config.num_hidden_layers,
                heads,
                kv_heads: kv,
                head_dim: hd,
                vocab_size: config.vocab_size,
            },
            dtype: vb.dtype(),
            device: vb.device().clone(),
        })
    }

    /// Loads a GGUF file of architecture `qwen3` or `llama` (`content` read from `file`).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "GGUF metadata counts are small non-negative integers, read as f64 once"
    )]
    pub fn from_gguf(
        content: &gguf_file::Content,
        file: &mut File,
        path: &Path,
        device: &Device,
    ) -> Result<Decoder, EngineError> {
        let architecture = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok().cloned())
            .unwrap_or_default();
        let rope = match architecture.as_str() {
            "qwen3" => RopeStyle::Halves,
            "llama" => RopeStyle::Interleaved,
            other => {
                return Err(file_error(
                    path,
                    format!("GGUF architecture `{other}` is not supported (qwen3, llama)"),
                ));
            }
        };
        let key = |name: &str| format!("{architecture}.{name}");
        let number = |name: &str| -> Result<Option<f64>, EngineError> {
            let Some(value) = content.metadata.get(&key(name)) else {
                return Ok(None);
            };
            let as_f64 = value
                .to_u32()
                .map(f64::from)
                .or_else(|_| value.to_f32().map(f64::from))
                .or_else(|_| value.to_u64().map(|v| v as f64))
                .map_err(|e| file_error(path, format!("`{}`: {e}", key(name))))?;
            Ok(Some(as_f64))
        };
        let required = |name: &str| {
            number(name)?.ok_or_else(|| file_error(path, format!("no `{}` metadata", key(name))))
        };
        let heads = required("attention.head_count")? as usize;
        let kv = number("attention.head_count_kv")?.map_or(heads, |v| v as usize);
        let layers_n = required("block_count")? as usize;
        let hidden = required("embedding_length")? as usize;
        let hd = number("attention.key_length")?.map_or(hidden / heads.max(1), |v| v as usize);
        let eps = required("attention.layer_norm_rms_epsilon")? as f32;
        let theta = number("rope.freq_base")?.unwrap_or(10_000.0);
        if let Some(rope_dim) = number("rope.dimension_count")?
            && rope_dim as usize != hd
        {
            return Err(file_error(
                path,
                format!("partial RoPE ({rope_dim} of {hd} dimensions) is not supported"),
            ));
        }
        if heads == 0 || kv == 0 || !heads.is_multiple_of(kv) {
            return Err(file_error(
                path,
                format!("{heads} heads do not share {kv} key/value heads evenly"),
            ));
        }
        let load = |file: &mut File, name: &str| {
            content
                .tensor(file, name, device)
                .map_err(|e| file_error(path, format!("tensor `{name}`: {e}")))
        };
        let qmm = |file: &mut File, name: &str| {
            let t = load(file, name)?;
            Ok::<_, EngineError>(Linear {
                weight: QMatMul::from_qtensor(t).map_err(|e| file_error(path, e.to_string()))?,
                bias: None,
            })
        };
        let norm = |file: &mut File, name: &str| {
            let t = load(file, name)?
                .dequantize(device)
                .map_err(|e| file_error(path, format!("tensor `{name}`: {e}")))?;
            Ok::<_, EngineError>(RmsNorm { weight: t, eps })
        };
        let embed = load(file, "token_embd.weight")?
            .dequantize(device)
            .map_err(|e| file_error(path, format!("tensor `token_embd.weight`: {e}")))?;
        let vocab_size = embed.dim(0).map_err(|e| run(&e))?;
        let mut layers = Vec::with_capacity(layers_n);
        let qk_norms = rope == RopeStyle::Halves;
        for i in 0..layers_n {
            let p = format!("blk.{i}");
            layers.push(Layer {
                input_norm: norm(file, &format!("{p}.attn_norm.weight"))?,
                q: qmm(file, &format!("{p}.attn_q.weight"))?,
                k: qmm(file, &format!("{p}.attn_k.weight"))?,
                v: qmm(file, &format!("{p}.attn_v.weight"))?,
                o: qmm(file, &format!("{p}.attn_output.weight"))?,
                q_norm: if qk_norms {
                    Some(norm(file, &format!("{p}.attn_q_norm.weight"))?)
                } else {
                    None
                },
                k_norm: if qk_norms {
                    Some(norm(file, &format!("{p}.attn_k_norm.weight"))?)
                } else {
                    None
                },
                post_attention_norm: norm(file, &format!("{p}.ffn_norm.weight"))?,
                gate: qmm(file, &format!("{p}.ffn_gate.weight"))?,
                up: qmm(file, &format!("{p}.ffn_up.weight"))?,
                down: qmm(file, &format!("{p}.ffn_down.weight"))?,
            });
        }
        let lm_head = if content.tensor_infos.contains_key("output.weight") {
            qmm(file, "output.weight")?
        } else {
            qmm(file, "token_embd.weight")?
        };
        Ok(Decoder {
            embed: Embedding::new(embed, hidden),
            layers,
            norm: norm(file, "output_norm.weight")?,
            lm_head,
            act: Activation::Silu,
            inv_freq: inv_freq(hd, theta),
            rope,
            shape: Shape {
                layers: layers_n,
                heads,
                kv_heads: kv,
                head_dim: hd,
                vocab_size,
            },
            dtype: DType::F32,
            device: device.clone(),
        })
    }

    /// A state with no positions.
    pub fn new_state(&self) -> DecoderState {
        DecoderState {
            layers: (0..self.shape.layers).map(|_| None).collect(),
            position: 0,
            growth_limit: usize::MAX,
        }
    }

    /// The cache's bytes per position of one sequence.
    pub fn cache_bytes_per_position(&self) -> u64 {
        let s = self.shape;
        (s.layers * 2 * s.kv_heads * s.head_dim * self.dtype.size_in_bytes()) as u64
    }

    /// Feeds each sequence its tokens (at its own next positions) in one pass and returns the
    /// logits after each sequence's last token, `(sequences, vocab)` in f32.
    pub fn forward_many(
        &self,
        work: &mut [(&mut DecoderState, &[u32])],
    ) -> Result<Tensor, EngineError> {
        if work.is_empty() || work.iter().any(|(_, ids)| ids.is_empty()) {
            return Err(EngineError::Runtime(
                "a forward pass needs at least one token of each sequence".into(),
            ));
        }
        self.pass(work).map_err(|e| run(&e))
    }

    fn pass(&self, work: &mut [(&mut DecoderState, &[u32])]) -> candle_core::Result<Tensor> {
        let lens: Vec<usize> = work.iter().map(|(_, ids)| ids.len()).collect();
        let total: usize = lens.iter().sum();
        let ids: Vec<u32> = work
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        let ids = Tensor::from_vec(ids, total, &self.device)?;
        let mut x = self.embed.forward(&ids)?.to_dtype(self.dtype)?;
        let (cos, sin) = self.tables(work)?;
        for (index, layer) in self.layers.iter().enumerate() {
            let residual = x.clone();
            let h = layer.input_norm.forward(&x)?;
            let h = self.attention(layer, index, work, &lens, &h, &cos, &sin)?;
            x = (residual + h)?;
            let residual = x.clone();
            let h = layer.post_attention_norm.forward(&x)?;
            let gate = self.act.forward(&layer.gate.forward(&h)?)?;
            let h = layer.down.forward(&(gate * layer.up.forward(&h)?)?)?;
            x = (residual + h)?;
        }
        for ((state, _), len) in work.iter_mut().zip(&lens) {
            state.position += len;
        }
        let mut last = Vec::with_capacity(lens.len());
        let mut end = 0u32;
        for &len in &lens {
            end += u32::try_from(len).map_err(candle_core::Error::wrap)?;
            last.push(end - 1);
        }
        let last = Tensor::from_vec(last, lens.len(), &self.device)?;
        let x = x.index_select(&last, 0)?;
        let x = self.norm.forward(&x)?;
        self.lm_head.forward(&x)?.to_dtype(DType::F32)
    }

    /// cos and sin `(T, head_dim / 2)` of every packed token's position, in the model's type.
    fn tables(
        &self,
        work: &[(&mut DecoderState, &[u32])],
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let half = self.inv_freq.len();
        let total: usize = work.iter().map(|(_, ids)| ids.len()).sum();
        let mut cos = Vec::with_capacity(total * half);
        let mut sin = Vec::with_capacity(total * half);
        for (state, ids) in work {
            for position in state.position..state.position + ids.len() {
                for &f in &self.inv_freq {
                    #[allow(clippy::cast_precision_loss, reason = "positions are far below 2^24")]
                    let angle = position as f32 * f;
                    cos.push(angle.cos());
                    sin.push(angle.sin());
                }
            }
        }
        let cos = Tensor::from_vec(cos, (total, half), &self.device)?.to_dtype(self.dtype)?;
        let sin = Tensor::from_vec(sin, (total, half), &self.device)?.to_dtype(self.dtype)?;
        Ok((cos, sin))
    }

    /// Self-attention of one layer over the packed `x` `(T, hidden)`: projections over all
    /// tokens, attention per sequence against its cache (which it extends).
    #[allow(
        clippy::too_many_arguments,
        clippy::many_single_char_names,
        reason = "one layer's whole context; q, k, v as the papers name them"
    )]
    fn attention(
        &self,
        layer: &Layer,
        index: usize,
        work: &mut [(&mut DecoderState, &[u32])],
        lens: &[usize],
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let s = self.shape;
        let (heads, kv, hd) = (s.heads, s.kv_heads, s.head_dim);
        let total: usize = lens.iter().sum();
        // (T, n * hd) → per-head norm → (1, n, T, hd) with RoPE.
        let split = |t: Tensor, n: usize, norm: &Option<RmsNorm>| {
            let t = t.reshape((total, n, hd))?;
            let t = match norm {
                Some(norm) => norm.forward(&t)?,
                None => t,
            };
            let t = t.transpose(0, 1)?.unsqueeze(0)?.contiguous()?;
            match self.rope {
                RopeStyle::Halves => candle_nn::rotary_emb::rope(&t, cos, sin),
                RopeStyle::Interleaved => candle_nn::rotary_emb::rope_i(&t, cos, sin),
            }
        };
        let q = split(layer.q.forward(x)?, heads, &layer.q_norm)?;
        let k = split(layer.k.forward(x)?, kv, &layer.k_norm)?;
        let v = layer
            .v
            .forward(x)?
            .reshape((total, kv, hd))?
            .transpose(0, 1)?
            .unsqueeze(0)?;
        let rep = heads / kv;
        #[allow(clippy::cast_precision_loss, reason = "head sizes are small")]
        let scale = 1.0 / (hd as f64).sqrt();
        let mut outputs = Vec::with_capacity(lens.len());
        let mut first = 0;
        for ((state, _), &len) in work.iter_mut().zip(lens) {
            let start = state.position;
            let k_new = k.narrow(2, first, len)?.contiguous()?;
            let v_new = v.narrow(2, first, len)?.contiguous()?;
            let (keys, values) = append(
                &mut state.layers[index],
                (&k_new, &v_new),
                start,
                state.growth_limit,
                self,
            )?;
            let seen = start + len;
            let qs = q
                .narrow(2, first, len)?
                .contiguous()?
                .reshape((1, kv, rep * len, hd))?;
            let scores = (qs.matmul(&keys.t()?)? * scale)?
                .reshape((1, heads, len, seen))?
                .to_dtype(DType::F32)?;
            let scores = if len == 1 {
                scores
            } else {
                scores.broadcast_add(&crate::gpt_oss::block_mask(
                    start,
                    len,
                    0,
                    seen,
                    None,
                    &self.device,
                )?)?
            };
            let probs = candle_nn::ops::softmax_last_dim(&scores)?
                .to_dtype(self.dtype)?
                .reshape((1, kv, rep * len, seen))?;
            let out = probs
                .matmul(&values.contiguous()?)?
                .reshape((heads, len, hd))?
                .transpose(0, 1)?
                .reshape((len, heads * hd))?;
            outputs.push(out);
            first += len;
        }
        let out = if outputs.len() == 1 {
            outputs.pop().unwrap_or_else(|| unreachable!())
        } else {
            Tensor::cat(&outputs, 0)?
        };
        layer.o.forward(&out)
    }
}

/// Writes `k` and `v` `(1, kv_heads, len, head_dim)` into a layer's cache at `start` (growing it
/// when full, by half again but not past `limit` while that is enough) and returns views of keys
/// and values `0..start + len`.
fn append(
    cache: &mut Option<LayerCache>,
    (k, v): (&Tensor, &Tensor),
    start: usize,
    limit: usize,
    decoder: &Decoder,
) -> candle_core::Result<(Tensor, Tensor)> {
    let s = decoder.shape;
    let len = k.dim(2)?;
    let need = start + len;
    let capacity = cache.as_ref().map_or(0, |c| c.keys.dim(2).unwrap_or(0));
    if need > capacity {
        let grown = need
            .max(capacity + capacity / 2)
            .div_ceil(CACHE_STEP)
            .saturating_mul(CACHE_STEP)
            .min(limit.max(need));
        let fresh = |old: Option<&Tensor>| -> candle_core::Result<Tensor> {
            let buffer = Tensor::zeros(
                (1, s.kv_heads, grown, s.head_dim),
                decoder.dtype,
                &decoder.device,
            )?;
            if let Some(old) = old
                && start > 0
            {
                buffer.slice_set(&old.narrow(2, 0, start)?.contiguous()?, 2, 0)?;
            }
            Ok(buffer)
        };
        let old = cache.take();
        *cache = Some(LayerCache {
            keys: fresh(old.as_ref().map(|c| &c.keys))?,
            values: fresh(old.as_ref().map(|c| &c.values))?,
        });
    }
    let c = cache.as_ref().unwrap_or_else(|| unreachable!());
    c.keys.slice_set(k, 2, start)?;
    c.values.slice_set(v, 2, start)?;
    Ok((c.keys.narrow(2, 0, need)?, c.values.narrow(2, 0, need)?))
}

/// RoPE's inverse frequencies `1 / θ^(2i / dim)`, as transformers computes them.
fn inv_freq(dim: usize, theta: f64) -> Vec<f32> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "as transformers: f32 from an f64 base"
    )]
    (0..dim)
        .step_by(2)
        .map(|i| 1.0 / (theta as f32).powf(i as f32 / dim as f32))
        .collect()
}
