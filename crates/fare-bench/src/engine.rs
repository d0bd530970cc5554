//! `fare-lens bench engine`: the evaluator engine's speed on random weights of a real model's
//! shape, for comparison with `transformers` on the same files (`tests/bench/engine_vs_transformers.sh`)
//! and with a GPU's memory bandwidth.
//!
//! [`write_model`] writes a Qwen3 folder of a named [`ModelShape`] (`config.json` and one
//! `model.safetensors`, streamed tensor by tensor from a seeded generator, so FARE-8B's shape
//! never needs its 16 GB in memory). [`measure`] loads it through `fare_engine::model::Model`
//! (safetensors in f32 or bf16, or a Q8_0 or F32 GGUF made once with `fare_engine::convert` and kept
//! beside it) and times:
//!
//! - prefill: one forward pass over an N-token prompt of seeded random ids, which fills the KV
//!   cache and returns the last position's logits (median of `prefill_repeats`);
//! - decode: greedy decoding after that prompt, one `Model::forward` per token through the KV
//!   cache, the next token being the argmax of the logits. Repeats are consecutive blocks of M
//!   tokens (the context grows from N to N + R·M), and the median block is reported.
//!
//! Decoding calls `Model::forward` directly rather than `fare_engine::generate::generate`, which
//! also turns the growing token list into text at every step (a tokenizer cost, not the
//! model's, and random weights have no tokenizer). A short warm-up (16 prompt tokens, 2 decoded)
//! runs first and is not timed. Forward returns the logits on the host, so every timed step
//! includes the device's synchronisation.
//!
//! The weights read per decoded token are every layer's matrices and norms, the final norm, the
//! output matrix (the embedding table when tied) and one embedding row; the KV cache is left out,
//! so the roofline fraction slightly understates the bandwidth used at long contexts.
//! gpt-oss shapes (`gpt-oss-small`, `fare-20b`) are written the way gpt-oss checkpoints ship:
//! experts in MXFP4 (random codes, one power-of-two scale per block), everything else in the
//! file's type. Their `f32`/`bf16` formats dequantise the experts to that type at load, `q8_0`
//! and `q4_0` re-quantise them (the rest stays f32 on the CPU, bf16 on a GPU); the weights read
//! per token count the router's 4 chosen experts of 32, not all of them.
//!
//! Known limits: one sequence (batch 1); no timing is asserted.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::{DType, Device};
use fare_engine::gpt_oss::ExpertWeights;
use fare_engine::model::{LoadOptions, Model};
use serde::Serialize;

use crate::text::Rng;

/// The mixture of experts of a gpt-oss shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Experts {
    /// Experts per layer.
    pub experts: usize,
    /// Experts per token.
    pub top_k: usize,
    /// The sliding window of every other layer.
    pub sliding_window: usize,
}

/// The dimensions of a Qwen3 or gpt-oss model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelShape {
    /// The name it is chosen by.
    pub name: String,
    /// Width of the residual stream.
    pub hidden: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// Width of the feed-forward layer.
    pub intermediate: usize,
    /// Tokens in the vocabulary.
    pub vocab: usize,
    /// Whether the output matrix is the embedding table.
    pub tied: bool,
    /// The longest context (`max_position_embeddings`).
    pub max_positions: usize,
    /// A gpt-oss model's experts (Qwen3: none; `intermediate` is then each expert's width).
    pub moe: Option<Experts>,
}

impl ModelShape {
    /// The shapes offered by name: Qwen3-0.6B's and FARE-8B's (Qwen3-8B's), a small gpt-oss
    /// for CPUs and FARE-20B's (gpt-oss-20b's).
    pub const NAMES: [&'static str; 4] = ["qwen3-0.6b", "fare-8b", "gpt-oss-small", "fare-20b"];

    /// A named shape (see [`Self::NAMES`]).
    pub fn named(name: &str) -> Option<ModelShape> {
        let gpt_oss = |hidden, layers, heads, kv_heads, vocab| ModelShape {
            name: name.to_owned(),
            hidden,
            layers,
            heads,
            kv_heads,
            head_dim: 64,
            intermediate: hidden,
            vocab,
            tied: false,
            max_positions: 131_072,
            moe: Some(Experts {
                experts: 32,
                top_k: 4,
                sliding_window: 128,
            }),
        };
        match name {
            // gpt-oss's proportions at a size two CPU cores time in seconds: 32 experts, top 4,
            // 64-wide heads, 8 query heads per key/value head, a 32k vocabulary.
            "gpt-oss-small" => return Some(gpt_oss(512, 4, 16, 2, 32_768)),
            // openai/gpt-oss-20b's config.json (FARE-20B is a fine-tune of it).
            "fare-20b" => return Some(gpt_oss(2880, 24, 64, 8, 201_088)),
            _ => {}
        }
        let (hidden, layers, heads, intermediate, tied) = match name {
            // Qwen/Qwen3-0.6B's config.json.
            "qwen3-0.6b" => (1024, 28, 16, 3072, true),
            // Qwen/Qwen3-8B's config.json (FARE-8B is a fine-tune of it).
            "fare-8b" => (4096, 36, 32, 12288, false),
            _ => return None,
        };
        Some(ModelShape {
            name: name.to_owned(),
            hidden,
            layers,
            heads,
            kv_heads: 8,
            head_dim: 128,
            intermediate,
            vocab: 151_936,
            tied,
            max_positions: 40_960,
            moe: None,
        })
    }

    /// Every tensor, with its Hugging Face name and dimensions, in the order they are written.
    /// A gpt-oss model's expert matrices are listed as `(experts, out, in)` values; the file
    /// holds them as MXFP4 `_blocks` and `_scales` (see [`write_model`]).
    pub fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        let (h, q, kv) = (
            self.hidden,
            self.heads * self.head_dim,
            self.kv_heads * self.head_dim,
        );
        if let Some(moe) = self.moe {
            let (experts, width) = (moe.experts, self.intermediate);
            let mut tensors = vec![("model.embed_tokens.weight".to_owned(), vec![self.vocab, h])];
            for layer in 0..self.layers {
                let p = format!("model.layers.{layer}");
                tensors.extend([
                    (format!("{p}.input_layernorm.weight"), vec![h]),
                    (format!("{p}.self_attn.q_proj.weight"), vec![q, h]),
                    (format!("{p}.self_attn.q_proj.bias"), vec![q]),
                    (format!("{p}.self_attn.k_proj.weight"), vec![kv, h]),
                    (format!("{p}.self_attn.k_proj.bias"), vec![kv]),
                    (format!("{p}.self_attn.v_proj.weight"), vec![kv, h]),
                    (format!("{p}.self_attn.v_proj.bias"), vec![kv]),
                    (format!("{p}.self_attn.o_proj.weight"), vec![h, q]),
                    (format!("{p}.self_attn.o_proj.bias"), vec![h]),
                    (format!("{p}.self_attn.sinks"), vec![self.heads]),
                    (format!("{p}.post_attention_layernorm.weight"), vec![h]),
                    (format!("{p}.mlp.router.weight"), vec![experts, h]),
                    (format!("{p}.mlp.router.bias"), vec![experts]),
                    (
                        format!("{p}.mlp.experts.gate_up_proj"),
                        vec![experts, 2 * width, h],
                    ),
                    (
                        format!("{p}.mlp.experts.gate_up_proj_bias"),
                        vec![experts, 2 * width],
                    ),
                    (
                        format!("{p}.mlp.experts.down_proj"),
                        vec![experts, h, width],
                    ),
                    (format!("{p}.mlp.experts.down_proj_bias"), vec![experts, h]),
                ]);
            }
            tensors.push(("model.norm.weight".to_owned(), vec![h]));
            tensors.push(("lm_head.weight".to_owned(), vec![self.vocab, h]));
            return tensors;
        }
        let mut tensors = vec![("model.embed_tokens.weight".to_owned(), vec![self.vocab, h])];
        for layer in 0..self.layers {
            let p = format!("model.layers.{layer}");
            tensors.extend([
                (format!("{p}.input_layernorm.weight"), vec![h]),
                (format!("{p}.self_attn.q_proj.weight"), vec![q, h]),
                (format!("{p}.self_attn.k_proj.weight"), vec![kv, h]),
                (format!("{p}.self_attn.v_proj.weight"), vec![kv, h]),
                (format!("{p}.self_attn.o_proj.weight"), vec![h, q]),
                (format!("{p}.self_attn.q_norm.weight"), vec![self.head_dim]),
                (format!("{p}.self_attn.k_norm.weight"), vec![self.head_dim]),
                (format!("{p}.post_attention_layernorm.weight"), vec![h]),
                (
                    format!("{p}.mlp.gate_proj.weight"),
                    vec![self.intermediate, h],
                ),
                (
                    format!("{p}.mlp.up_proj.weight"),
                    vec![self.intermediate, h],
                ),
                (
                    format!("{p}.mlp.down_proj.weight"),
                    vec![h, self.intermediate],
                ),
            ]);
        }
        tensors.push(("model.norm.weight".to_owned(), vec![h]));
        if !self.tied {
            tensors.push(("lm_head.weight".to_owned(), vec![self.vocab, h]));
        }
        tensors
    }

    /// The number of parameters.
    pub fn parameters(&self) -> usize {
        self.tensors()
            .iter()
            .map(|(_, dims)| dims.iter().product::<usize>())
            .sum()
    }

    /// Values read from the weights for one decoded token: (in matrices, in norms, biases and
    /// the one embedding row). The embedding table counts whole only as the output matrix; of a
    /// gpt-oss model's experts, only the `top_k` a token is routed to count.
    pub fn values_read_per_token(&self) -> (usize, usize) {
        let read = self.read_per_token();
        (read.matrices + read.expert_matrices, read.vectors)
    }

    /// What [`Self::values_read_per_token`] counts, with the expert matrices apart.
    fn read_per_token(&self) -> ValuesRead {
        let mut read = ValuesRead {
            matrices: 0,
            expert_matrices: 0,
            vectors: self.hidden, // the embedding row looked up
        };
        let share = |size: usize| match self.moe {
            Some(moe) => size / moe.experts * moe.top_k,
            None => size,
        };
        for (name, dims) in self.tensors() {
            let size: usize = dims.iter().product();
            if name == "model.embed_tokens.weight" {
                if self.tied {
                    read.matrices += size;
                }
            } else if name.contains(".experts.") {
                if dims.len() == 3 {
                    read.expert_matrices += share(size);
                } else {
                    read.vectors += share(size);
                }
            } else if dims.len() == 2 {
                read.matrices += size;
            } else {
                read.vectors += size;
            }
        }
        read
    }

    /// The model's `config.json`, written the way Qwen3 or gpt-oss checkpoints write it.
    pub fn config_json(&self, dtype: FileDType) -> serde_json::Value {
        if let Some(moe) = self.moe {
            let layer_types: Vec<&str> = (0..self.layers)
                .map(|l| {
                    if l % 2 == 0 {
                        "sliding_attention"
                    } else {
                        "full_attention"
                    }
                })
                .collect();
            return serde_json::json!({
                "architectures": ["GptOssForCausalLM"],
                "model_type": "gpt_oss",
                "attention_bias": true,
                "attention_dropout": 0.0,
                // gpt-oss's <|return|> and <|endoftext|>, or the last ids of a smaller
                // vocabulary (transformers refuses a padding id outside it).
                "eos_token_id": if self.vocab > 200_002 { 200_002 } else { self.vocab - 1 },
                "pad_token_id": if self.vocab > 200_002 { 199_999 } else { self.vocab - 2 },
                "experts_per_token": moe.top_k,
                "num_experts_per_tok": moe.top_k,
                "num_local_experts": moe.experts,
                "head_dim": self.head_dim,
                "hidden_act": "silu",
                "hidden_size": self.hidden,
                "initial_context_length": 4096,
                "initializer_range": 0.02,
                "intermediate_size": self.intermediate,
                "layer_types": layer_types,
                "max_position_embeddings": self.max_positions,
                "num_attention_heads": self.heads,
                "num_hidden_layers": self.layers,
                "num_key_value_heads": self.kv_heads,
                "quantization_config": {
                    "modules_to_not_convert": [
                        "model.layers.*.self_attn",
                        "model.layers.*.mlp.router",
                        "model.embed_tokens",
                        "lm_head"
                    ],
                    "quant_method": "mxfp4"
                },
                "rms_norm_eps": 1e-5,
                "rope_scaling": {
                    "beta_fast": 32.0,
                    "beta_slow": 1.0,
                    "factor": 32.0,
                    "original_max_position_embeddings": 4096,
                    "rope_type": "yarn",
                    "truncate": false
                },
                "rope_theta": 150_000,
                "router_aux_loss_coef": 0.9,
                "sliding_window": moe.sliding_window,
                "swiglu_limit": 7.0,
                "tie_word_embeddings": false,
                "torch_dtype": dtype.torch_name(),
                "use_cache": true,
                "vocab_size": self.vocab,
            });
        }
        serde_json::json!({
            "architectures": ["Qwen3ForCausalLM"],
            "model_type": "qwen3",
            "attention_bias": false,
            "attention_dropout": 0.0,
            "bos_token_id": 151_643,
            "eos_token_id": 151_645,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "hidden_size": self.hidden,
            "initializer_range": 0.02,
            "intermediate_size": self.intermediate,
            "max_position_embeddings": self.max_positions,
            "max_window_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_hidden_layers": self.layers,
            "num_key_value_heads": self.kv_heads,
            "rms_norm_eps": 1e-6,
            "rope_scaling": null,
            "rope_theta": 1_000_000.0,
            "sliding_window": null,
            "tie_word_embeddings": self.tied,
            "torch_dtype": dtype.torch_name(),
            "use_cache": true,
            "use_sliding_window": false,
            "vocab_size": self.vocab,
        })
    }
}

/// Values read per decoded token (see [`ModelShape::values_read_per_token`]).
#[derive(Debug, Clone, Copy)]
struct ValuesRead {
    matrices: usize,
    expert_matrices: usize,
    vectors: usize,
}

/// The type of the values in `model.safetensors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileDType {
    /// 4 bytes a value (the CPU comparison with `transformers`).
    F32,
    /// 2 bytes a value (GPU runs; FARE-8B is published in bf16).
    Bf16,
}

impl FileDType {
    fn safetensors_name(self) -> &'static str {
        match self {
            FileDType::F32 => "F32",
            FileDType::Bf16 => "BF16",
        }
    }

    fn torch_name(self) -> &'static str {
        match self {
            FileDType::F32 => "float32",
            FileDType::Bf16 => "bfloat16",
        }
    }

    fn encode(self, value: f32, out: &mut Vec<u8>) {
        match self {
            FileDType::F32 => out.extend_from_slice(&value.to_le_bytes()),
            FileDType::Bf16 => {
                // Round to nearest even on the upper 16 bits (the values are finite).
                let bits = value.to_bits();
                let rounded = bits.wrapping_add(0x7fff + ((bits >> 16) & 1)) >> 16;
                let half = u16::try_from(rounded).unwrap_or(u16::MAX);
                out.extend_from_slice(&half.to_le_bytes());
            }
        }
    }

    fn bytes(self) -> usize {
        match self {
            FileDType::F32 => 4,
            FileDType::Bf16 => 2,
        }
    }
}

/// How the measured model holds its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightFormat {
    /// The safetensors folder loaded in f32.
    F32,
    /// The safetensors folder loaded in bf16.
    Bf16,
    /// A Q8_0 GGUF converted from the folder (norms stay f32).
    Q8_0,
    /// An F32 GGUF converted from the folder: f32 weights through the engine's GGUF path
    /// (candle's `quantized_qwen3`, whose CPU decode has its own KV cache and kernel).
    GgufF32,
    /// A Q4_0 GGUF converted from the folder (Qwen3), or a gpt-oss model's experts
    /// re-quantised to Q4_0 at load.
    Q4_0,
}

impl WeightFormat {
    /// The formats by name: f32, bf16, q8_0, gguf-f32.
    pub fn named(name: &str) -> Option<WeightFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "f32" => WeightFormat::F32,
            "bf16" => WeightFormat::Bf16,
            "q8_0" => WeightFormat::Q8_0,
            "gguf-f32" => WeightFormat::GgufF32,
            "q4_0" => WeightFormat::Q4_0,
            _ => return None,
        })
    }

    /// Its name, as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::F32 => "f32",
            WeightFormat::Bf16 => "bf16",
            WeightFormat::Q8_0 => "q8_0",
            WeightFormat::GgufF32 => "gguf-f32",
            WeightFormat::Q4_0 => "q4_0",
        }
    }

    /// Bytes read per decoded token: `matrices` and `vectors` values (see
    /// [`ModelShape::values_read_per_token`]).
    pub fn bytes_read(self, matrices: usize, vectors: usize) -> usize {
        match self {
            WeightFormat::F32 | WeightFormat::GgufF32 => 4 * (matrices + vectors),
            WeightFormat::Bf16 => 2 * (matrices + vectors),
            // Blocks of 32 values: 32 bytes and an f16 scale.
            WeightFormat::Q8_0 => matrices / 32 * 34 + 4 * vectors,
            // Blocks of 32 values: 16 bytes and an f16 scale.
            WeightFormat::Q4_0 => matrices / 32 * 18 + 4 * vectors,
        }
    }

    /// Bytes a gpt-oss model reads per decoded token: only the experts are quantised, the rest
    /// is in `dtype`.
    fn gpt_oss_bytes_read(self, read: ValuesRead, dtype: DType) -> usize {
        let rest = (read.matrices + read.vectors) * dtype.size_in_bytes();
        rest + match self {
            WeightFormat::Q8_0 => read.expert_matrices / 32 * 34,
            WeightFormat::Q4_0 => read.expert_matrices / 32 * 18,
            _ => read.expert_matrices * dtype.size_in_bytes(),
        }
    }

    /// How a gpt-oss model is loaded in this format on `device`.
    fn gpt_oss_options(self, device: &Device) -> Result<LoadOptions> {
        let rest = if device.is_cpu() {
            DType::F32
        } else {
            DType::BF16
        };
        Ok(match self {
            WeightFormat::F32 => LoadOptions::new(DType::F32),
            WeightFormat::Bf16 => LoadOptions::new(DType::BF16),
            WeightFormat::Q8_0 => LoadOptions {
                dtype: rest,
                experts: ExpertWeights::Q8_0,
            },
            WeightFormat::Q4_0 => LoadOptions {
                dtype: rest,
                experts: ExpertWeights::Q4_0,
            },
            WeightFormat::GgufF32 => bail!("gpt-oss has no GGUF path: use f32, bf16, q8_0 or q4_0"),
        })
    }
}

/// How one tensor of [`write_model`] is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// Values in the file's type.
    Float,
    /// MXFP4 codes, two to a byte (`u8`).
    Blocks,
    /// MXFP4 block scales (`u8`, 2^(e − 127)).
    Scales,
}

/// The tensors as the file holds them: a gpt-oss model's expert matrices `(experts, out, in)`
/// become `_blocks` `(experts, out, in / 32, 16)` and `_scales` `(experts, out, in / 32)`.
fn stored_tensors(shape: &ModelShape) -> Vec<(String, Vec<usize>, Stored)> {
    shape
        .tensors()
        .into_iter()
        .flat_map(|(name, dims)| {
            if dims.len() == 3 && name.contains(".experts.") {
                let (e, out, inp) = (dims[0], dims[1], dims[2]);
                vec![
                    (
                        format!("{name}_blocks"),
                        vec![e, out, inp / 32, 16],
                        Stored::Blocks,
                    ),
                    (
                        format!("{name}_scales"),
                        vec![e, out, inp / 32],
                        Stored::Scales,
                    ),
                ]
            } else {
                vec![(name, dims, Stored::Float)]
            }
        })
        .collect()
}

/// Writes a random-weight model of `shape` into `dir` (created when missing): `config.json` and
/// `model.safetensors`. Values are uniform with standard deviation 0.02 in matrices and biases
/// and around 1 in norms (gpt-oss's sinks around 0, its experts random MXFP4 codes with a
/// scale of 2^-7: a standard deviation of about 0.02 too), from a generator seeded with
/// `seed`, so activations stay finite at any depth. Removes GGUF files converted from an
/// earlier model in the folder.
pub fn write_model(dir: &Path, shape: &ModelShape, dtype: FileDType, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if let Some(moe) = shape.moe
        && (!shape.hidden.is_multiple_of(32)
            || !shape.intermediate.is_multiple_of(32)
            || moe.top_k > moe.experts)
    {
        bail!("gpt-oss shapes need widths in whole MXFP4 blocks of 32 and top_k <= experts");
    }
    for format in [
        WeightFormat::Q8_0,
        WeightFormat::GgufF32,
        WeightFormat::Q4_0,
    ] {
        let stale = gguf_path(dir, format);
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    let config = serde_json::to_string_pretty(&shape.config_json(dtype))?;
    std::fs::write(dir.join("config.json"), config + "\n")
        .with_context(|| format!("cannot write {}", dir.join("config.json").display()))?;

    let tensors = stored_tensors(shape);
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::json!({ "format": "pt", "written_by": "fare-lens bench engine" }),
    );
    let mut offset = 0usize;
    for (name, dims, stored) in &tensors {
        let (type_name, bytes) = match stored {
            Stored::Float => (dtype.safetensors_name(), dtype.bytes()),
            Stored::Blocks | Stored::Scales => ("U8", 1),
        };
        let size = dims.iter().product::<usize>() * bytes;
        header.insert(
            name.clone(),
            serde_json::json!({
                "dtype": type_name,
                "shape": dims,
                "data_offsets": [offset, offset + size],
            }),
        );
        offset += size;
    }
    let mut header = serde_json::to_vec(&serde_json::Value::Object(header))?;
    // The data starts 8-byte aligned, as the safetensors writers leave it.
    while header.len() % 8 != 0 {
        header.push(b' ');
    }
    let path = dir.join("model.safetensors");
    let partial = dir.join("model.safetensors.partial");
    let write = || -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&partial)?);
        out.write_all(&(header.len() as u64).to_le_bytes())?;
        out.write_all(&header)?;
        let mut chunk = Vec::with_capacity(1 << 20);
        for (index, (name, dims, stored)) in tensors.iter().enumerate() {
            let mut rng = Rng::for_sample(seed, index as u64, 0);
            let count = dims.iter().product::<usize>();
            if *stored != Stored::Float {
                for _ in 0..count {
                    #[allow(clippy::cast_possible_truncation)]
                    let byte = match stored {
                        Stored::Blocks => rng.below(256) as u8,
                        _ => 127 - 7,
                    };
                    chunk.push(byte);
                    if chunk.len() >= 1 << 20 {
                        out.write_all(&chunk)?;
                        chunk.clear();
                    }
                }
                continue;
            }
            let is_norm = name.contains("norm");
            let is_sink = name.rsplit('.').next() == Some("sinks");
            // Uniform on [-a, a] has standard deviation a / sqrt(3).
            let (center, half_width) = if is_norm {
                (1.0, 0.1)
            } else if is_sink {
                (0.0, 1.0)
            } else {
                (0.0, 0.02 * 3f64.sqrt())
            };
            for _ in 0..count {
                #[allow(clippy::cast_possible_truncation)]
                let value = (center + half_width * (2.0 * rng.unit() - 1.0)) as f32;
                dtype.encode(value, &mut chunk);
                if chunk.len() >= 1 << 20 {
                    out.write_all(&chunk)?;
                    chunk.clear();
                }
            }
        }
        out.write_all(&chunk)?;
        out.flush()?;
        drop(out);
        std::fs::rename(&partial, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&partial);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Where the GGUF of `format` converted from the model in `dir` is kept.
pub fn gguf_path(dir: &Path, format: WeightFormat) -> PathBuf {
    dir.join(format!("model-{}.gguf", format.name()))
}

/// The shape a folder written by [`write_model`] (or any Qwen3 folder) has, read from its
/// `config.json`.
pub fn read_shape(dir: &Path) -> Result<ModelShape> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let field = |name: &str| -> Result<usize> {
        json.get(name)
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| usize::try_from(v).ok())
            .with_context(|| format!("{}: no `{name}`", path.display()))
    };
    let shape = ModelShape {
        name: String::new(),
        hidden: field("hidden_size")?,
        layers: field("num_hidden_layers")?,
        heads: field("num_attention_heads")?,
        kv_heads: field("num_key_value_heads")?,
        head_dim: field("head_dim")?,
        intermediate: field("intermediate_size")?,
        vocab: field("vocab_size")?,
        tied: json
            .get("tie_word_embeddings")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        max_positions: field("max_position_embeddings")?,
        moe: if json.get("model_type").and_then(serde_json::Value::as_str) == Some("gpt_oss") {
            Some(Experts {
                experts: field("num_local_experts")?,
                top_k: field("num_experts_per_tok").or_else(|_| field("experts_per_token"))?,
                sliding_window: field("sliding_window")?,
            })
        } else {
            None
        },
    };
    let name = ModelShape::NAMES
        .iter()
        .filter_map(|n| ModelShape::named(n))
        .find(|named| {
            ModelShape {
                name: String::new(),
                ..named.clone()
            } == shape
        })
        .map_or_else(|| "custom".to_owned(), |named| named.name);
    Ok(ModelShape { name, ..shape })
}

/// Where to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// The CPU (always built).
    Cpu,
    /// The first CUDA GPU (needs a build with the `cuda` feature).
    Cuda,
    /// The Metal GPU (needs a build with the `metal` feature).
    Metal,
}

impl DeviceKind {
    /// The devices by name: cpu, cuda, metal.
    pub fn named(name: &str) -> Option<DeviceKind> {
        Some(match name {
            "cpu" => DeviceKind::Cpu,
            "cuda" => DeviceKind::Cuda,
            "metal" => DeviceKind::Metal,
            _ => return None,
        })
    }

    /// Its name, as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
            DeviceKind::Metal => "metal",
        }
    }

    /// Opens the device; a GPU this binary was not built for is an error that says so.
    pub fn open(self) -> Result<Device> {
        // candle's constructors exist in every build and fail without the backend's feature.
        let device = match self {
            DeviceKind::Cpu => Ok(Device::Cpu),
            DeviceKind::Cuda => Device::new_cuda(0),
            DeviceKind::Metal => Device::new_metal(0),
        };
        device.with_context(|| {
            format!(
                "cannot open the {} device (is fare-lens built with `--features {0}`?)",
                self.name()
            )
        })
    }
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Prompt length of the prefill, in tokens.
    pub prompt_tokens: usize,
    /// Tokens decoded in one timed block.
    pub decode_tokens: usize,
    /// Timed prefills (the median is reported).
    pub prefill_repeats: usize,
    /// Timed decode blocks, one after the other (the median is reported).
    pub decode_repeats: usize,
    /// Seed of the prompt's token ids.
    pub seed: u64,
}

impl Default for BenchOptions {
    /// A 2048-token prompt, 128 decoded tokens, one prefill, three decode blocks.
    fn default() -> Self {
        BenchOptions {
            prompt_tokens: 2048,
            decode_tokens: 128,
            prefill_repeats: 1,
            decode_repeats: 3,
            seed: 42,
        }
    }
}

/// The figures of one weight format.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// The weight format.
    pub dtype: WeightFormat,
    /// Seconds to load the weights (and, for a GGUF made in this run, not the conversion).
    pub load_seconds: f64,
    /// Prompt tokens of each prefill.
    pub prompt_tokens: usize,
    /// Median prefill speed.
    pub prefill_tokens_per_second: f64,
    /// Every prefill's speed.
    pub prefill_runs: Vec<f64>,
    /// Tokens of each decode block.
    pub decode_tokens: usize,
    /// Median decode speed.
    pub decode_tokens_per_second: f64,
    /// Every decode block's speed.
    pub decode_runs: Vec<f64>,
    /// Weight bytes read per decoded token.
    pub weight_bytes_per_token: usize,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

fn argmax(logits: &[f32]) -> u32 {
    let best = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    u32::try_from(best).unwrap_or(0)
}

/// Loads the model in `dir` as `format` on `device` (converting it to GGUF first when needed)
/// and times prefill and decode.
pub fn measure(
    dir: &Path,
    format: WeightFormat,
    device: &Device,
    options: &BenchOptions,
) -> Result<Measurement> {
    let shape = read_shape(dir)?;
    let needed = options.prompt_tokens + options.decode_tokens * options.decode_repeats;
    if needed > shape.max_positions {
        bail!(
            "{needed} positions needed but the model holds {}",
            shape.max_positions
        );
    }
    if options.prompt_tokens == 0 || options.decode_tokens == 0 {
        bail!("the prompt and the decode block need at least one token each");
    }
    let options_for_gpt_oss = if shape.moe.is_some() {
        Some(format.gpt_oss_options(device)?)
    } else {
        None
    };
    let path = match format {
        _ if shape.moe.is_some() => dir.to_owned(),
        WeightFormat::F32 | WeightFormat::Bf16 => dir.to_owned(),
        WeightFormat::Q8_0 | WeightFormat::GgufF32 | WeightFormat::Q4_0 => {
            let gguf = gguf_path(dir, format);
            if !gguf.is_file() {
                let quant_name = match format {
                    WeightFormat::Q8_0 => "q8_0",
                    WeightFormat::Q4_0 => "q4_0",
                    _ => "f32",
                };
                let quant = fare_engine::convert::quantization(quant_name)
                    .context("the engine offers no such quantisation")?;
                fare_engine::convert::qwen3_to_gguf(dir, &gguf, quant)?;
            }
            gguf
        }
    };
    let dtype = if format == WeightFormat::Bf16 {
        DType::BF16
    } else {
        DType::F32
    };
    let started = Instant::now();
    let mut model = Model::load_with(
        &path,
        device,
        options_for_gpt_oss.unwrap_or(LoadOptions::new(dtype)),
    )?;
    let load_seconds = started.elapsed().as_secs_f64();

    let mut rng = Rng::for_sample(options.seed, 0, 1);
    let vocab = shape.vocab as u64;
    let prompt: Vec<u32> = (0..options.prompt_tokens)
        .map(|_| u32::try_from(rng.below(vocab)).unwrap_or(0))
        .collect();

    // Warm-up (threads, allocations, first touch of every weight), not timed.
    let warm = &prompt[..prompt.len().min(16)];
    let logits = model.forward(warm, 0)?;
    let mut next = argmax(&logits);
    for position in warm.len()..warm.len() + 2 {
        next = argmax(&model.forward(&[next], position)?);
    }
    let _ = next;

    let mut prefill_runs = Vec::new();
    let mut logits = Vec::new();
    for _ in 0..options.prefill_repeats.max(1) {
        model.clear_cache();
        let started = Instant::now();
        logits = model.forward(&prompt, 0)?;
        prefill_runs.push(prompt.len() as f64 / started.elapsed().as_secs_f64());
    }
    if logits.iter().any(|x| !x.is_finite()) {
        bail!("the prefill's logits are not finite");
    }

    let mut next = argmax(&logits);
    let mut position = prompt.len();
    let mut decode_runs = Vec::new();
    for _ in 0..options.decode_repeats.max(1) {
        let started = Instant::now();
        for _ in 0..options.decode_tokens {
            next = argmax(&model.forward(&[next], position)?);
            position += 1;
        }
        decode_runs.push(options.decode_tokens as f64 / started.elapsed().as_secs_f64());
    }
    let (matrices, vectors) = shape.values_read_per_token();
    let weight_bytes_per_token = match options_for_gpt_oss {
        Some(options) => format.gpt_oss_bytes_read(shape.read_per_token(), options.dtype),
        None => format.bytes_read(matrices, vectors),
    };
    Ok(Measurement {
        dtype: format,
        load_seconds,
        prompt_tokens: prompt.len(),
        prefill_tokens_per_second: median(&prefill_runs),
        prefill_runs,
        decode_tokens: options.decode_tokens,
        decode_tokens_per_second: median(&decode_runs),
        decode_runs,
        weight_bytes_per_token,
    })
}

/// The thread count candle uses on the CPU, if `CANDLE_NUM_THREADS` and `RAYON_NUM_THREADS`
/// name one and agree. candle's kernels read the first, its matrix products (gemm) the second,
/// each once when first used.
pub fn threads_from_env() -> Option<usize> {
    let read = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
    };
    match (read("CANDLE_NUM_THREADS"), read("RAYON_NUM_THREADS")) {
        (Some(a), Some(b)) if a == b && a > 0 => Some(a),
        _ => None,
    }
}

/// Peak memory bandwidth in GB/s of the GPUs we know, by the name `nvidia-smi` gives.
pub fn known_peak_gbps(gpu_name: &str) -> Option<f64> {
    let name = gpu_name.to_ascii_uppercase();
    let pcie = name.contains("PCIE");
    if name.contains("H200") {
        Some(4800.0)
    } else if name.contains("H100") && name.contains("NVL") {
        None // 3900 GB/s, but not in the table we were given: pass --peak-gbps
    } else if name.contains("H100") {
        Some(if pcie { 2000.0 } else { 3350.0 })
    } else if name.contains("A100") && name.contains("80GB") {
        Some(if pcie { 1935.0 } else { 2039.0 })
    } else if name.contains("4090") {
        Some(1008.0)
    } else {
        None
    }
}

/// The first GPU's name, from `nvidia-smi` (None when it is missing or fails).
pub fn cuda_gpu_name() -> Option<String> {
    let output = std::process::Command::new("nvidia-smi")
        .args(["--query-gpu=name", "--format=csv,noheader", "-i", "0"])
        .output()
        .ok()?;
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !name.is_empty()).then_some(name)
}

/// The peak bandwidth used for the roofline, and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct PeakBandwidth {
    /// GB/s (10^9 bytes per second).
    pub gbps: f64,
    /// `--peak-gbps`, or the GPU's name found in the table.
    pub source: String,
}

/// Decode speed as a fraction of the memory-bandwidth roofline: weight bytes read per token
/// times tokens per second, over the peak.
pub fn roofline_fraction(measurement: &Measurement, peak: &PeakBandwidth) -> f64 {
    measurement.weight_bytes_per_token as f64 * measurement.decode_tokens_per_second
        / (peak.gbps * 1e9)
}

/// The whole report of one `bench engine` run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The model's shape.
    pub shape: ModelShape,
    /// Its parameters.
    pub parameters: usize,
    /// Where it ran.
    pub device: DeviceKind,
    /// CPU threads (from the environment; None when candle picks).
    pub threads: Option<usize>,
    /// One row per weight format.
    pub measurements: Vec<Measurement>,
    /// The bandwidth of the roofline, when known.
    pub peak_bandwidth: Option<PeakBandwidth>,
    /// The decode roofline fraction of each measurement, in the same order (when a peak is known).
    pub roofline_fractions: Vec<f64>,
}

/// Prints `report` as a table.
pub fn print_table(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let threads = report.threads.map_or_else(
        || "threads: candle's default".to_owned(),
        |t| format!("threads {t}"),
    );
    writeln!(
        out,
        "engine: {} ({:.2}B parameters, {} layers, hidden {}), {}, {threads}",
        report.shape.name,
        report.parameters as f64 / 1e9,
        report.shape.layers,
        report.shape.hidden,
        report.device.name(),
    )?;
    if let Some(first) = report.measurements.first() {
        writeln!(
            out,
            "  prompt {} tokens; decode {} tokens x {} blocks after it (median block); warm-up excluded",
            first.prompt_tokens,
            first.decode_tokens,
            first.decode_runs.len()
        )?;
    }
    writeln!(
        out,
        "  {:<8} {:>7} {:>14} {:>13} {:>15} {:>9}",
        "dtype", "load s", "prefill tok/s", "decode tok/s", "weights/token", "roofline"
    )?;
    for (index, m) in report.measurements.iter().enumerate() {
        let roofline = report
            .roofline_fractions
            .get(index)
            .map_or_else(|| "-".to_owned(), |f| format!("{:.1}%", f * 100.0));
        writeln!(
            out,
            "  {:<8} {:>7.1} {:>14.1} {:>13.2} {:>12.0} MB {:>9}",
            m.dtype.name(),
            m.load_seconds,
            m.prefill_tokens_per_second,
            m.decode_tokens_per_second,
            m.weight_bytes_per_token as f64 / 1e6,
            roofline
        )?;
    }
    if let Some(peak) = &report.peak_bandwidth {
        writeln!(
            out,
            "  roofline: weight bytes per token x decode tok/s over a peak of {:.0} GB/s ({}); the KV cache is not counted",
            peak.gbps, peak.source
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ModelShape {
        ModelShape {
            name: "tiny".into(),
            hidden: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 16,
            intermediate: 128,
            vocab: 1000,
            tied: true,
            max_positions: 512,
            moe: None,
        }
    }

    #[test]
    fn a_tiny_model_is_written_loaded_and_timed_in_f32_and_q8_0() {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), &tiny(), FileDType::F32, 7).unwrap();
        assert_eq!(read_shape(dir.path()).unwrap().hidden, 64);
        let options = BenchOptions {
            prompt_tokens: 40,
            decode_tokens: 5,
            prefill_repeats: 1,
            decode_repeats: 3,
            seed: 1,
        };
        for format in [WeightFormat::F32, WeightFormat::Q8_0, WeightFormat::GgufF32] {
            let m = measure(dir.path(), format, &Device::Cpu, &options).unwrap();
            assert!(m.prefill_tokens_per_second > 0.0, "{m:?}");
            assert!(m.decode_tokens_per_second > 0.0, "{m:?}");
            assert_eq!(m.decode_runs.len(), 3);
            assert!(m.weight_bytes_per_token > 0);
        }
        assert!(gguf_path(dir.path(), WeightFormat::Q8_0).is_file());
    }

    #[test]
    fn the_named_shapes_have_the_published_sizes() {
        // Qwen3-0.6B: 0.6B parameters with the embedding (tied); Qwen3-8B: 8.2B.
        let small = ModelShape::named("qwen3-0.6b").unwrap();
        assert_eq!(small.parameters(), 596_049_920);
        let large = ModelShape::named("fare-8b").unwrap();
        assert_eq!(large.parameters(), 8_190_735_360);
        // bf16 FARE-8B reads about 16 GB a token (all but the embedding table).
        let (matrices, vectors) = large.values_read_per_token();
        let bytes = WeightFormat::Bf16.bytes_read(matrices, vectors);
        assert_eq!(
            bytes,
            2 * (large.parameters() - large.vocab * large.hidden + large.hidden)
        );
    }

    #[test]
    fn a_tiny_gpt_oss_is_written_with_mxfp4_experts_loaded_and_timed() {
        let dir = tempfile::tempdir().unwrap();
        let shape = ModelShape {
            name: "tiny".into(),
            hidden: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 16,
            intermediate: 64,
            vocab: 500,
            tied: false,
            max_positions: 4096,
            moe: Some(Experts {
                experts: 4,
                top_k: 2,
                sliding_window: 8,
            }),
        };
        write_model(dir.path(), &shape, FileDType::Bf16, 7).unwrap();
        let read = read_shape(dir.path()).unwrap();
        assert_eq!((read.moe, read.intermediate), (shape.moe, 64));
        let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
        assert!(config.contains("\"mxfp4\""), "{config}");
        let options = BenchOptions {
            prompt_tokens: 20,
            decode_tokens: 3,
            prefill_repeats: 1,
            decode_repeats: 2,
            seed: 1,
        };
        for format in [WeightFormat::F32, WeightFormat::Q8_0, WeightFormat::Q4_0] {
            let m = measure(dir.path(), format, &Device::Cpu, &options).unwrap();
            assert!(m.decode_tokens_per_second > 0.0, "{m:?}");
        }
        let err = measure(dir.path(), WeightFormat::GgufF32, &Device::Cpu, &options).unwrap_err();
        assert!(err.to_string().contains("no GGUF path"), "{err}");
    }

    #[test]
    fn fare_20b_has_gpt_oss_20bs_size_and_reads_its_active_experts() {
        // gpt-oss-20b: 20.9B parameters, 3.6B active per token (OpenAI's model card counts
        // the output matrix but not the embedding table, as reading weights per token does).
        let shape = ModelShape::named("fare-20b").unwrap();
        let total = shape.parameters() as f64 / 1e9;
        assert!((20.8..21.0).contains(&total), "{total}");
        let (matrices, vectors) = shape.values_read_per_token();
        let active = (matrices + vectors) as f64 / 1e9;
        assert!((3.5..3.7).contains(&active), "{active}");
    }

    #[test]
    fn bf16_rounds_to_nearest() {
        let mut out = Vec::new();
        FileDType::Bf16.encode(1.0, &mut out);
        FileDType::Bf16.encode(0.02, &mut out);
        assert_eq!(out[..2], 0x3f80u16.to_le_bytes());
        // 0.02 = 0x3ca3d70a: the lower half 0xd70a rounds up.
        assert_eq!(out[2..], 0x3ca4u16.to_le_bytes());
    }

    #[test]
    fn gpus_are_found_by_name() {
        assert_eq!(known_peak_gbps("NVIDIA H100 80GB HBM3"), Some(3350.0));
        assert_eq!(known_peak_gbps("NVIDIA H100 PCIe"), Some(2000.0));
        assert_eq!(known_peak_gbps("NVIDIA H200"), Some(4800.0));
        assert_eq!(known_peak_gbps("NVIDIA A100-SXM4-80GB"), Some(2039.0));
        assert_eq!(known_peak_gbps("NVIDIA GeForce RTX 4090"), Some(1008.0));
        assert_eq!(known_peak_gbps("Tesla T4"), None);
    }
}
