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
//! Known limits: Qwen3 only; one sequence (batch 1); no timing is asserted.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::{DType, Device};
use fare_engine::model::Model;
use serde::Serialize;

use crate::text::Rng;

/// The dimensions of a Qwen3 model.
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
}

impl ModelShape {
    /// The shapes offered by name: Qwen3-0.6B's and FARE-8B's (Qwen3-8B's).
    pub const NAMES: [&'static str; 2] = ["qwen3-0.6b", "fare-8b"];

    /// A named shape (see [`Self::NAMES`]).
    pub fn named(name: &str) -> Option<ModelShape> {
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
        })
    }

    /// Every tensor, with its Hugging Face name and dimensions, in the order they are written.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        let (h, q, kv) = (
            self.hidden,
            self.heads * self.head_dim,
            self.kv_heads * self.head_dim,
        );
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

    /// Values read from the weights for one decoded token: (in matrices, in norms and the one
    /// embedding row). The embedding table counts whole only as the output matrix.
    pub fn values_read_per_token(&self) -> (usize, usize) {
        let mut matrices = 0;
        let mut vectors = self.hidden; // the embedding row looked up
        for (name, dims) in self.tensors() {
            let size: usize = dims.iter().product();
            if name == "model.embed_tokens.weight" {
                if self.tied {
                    matrices += size;
                }
            } else if dims.len() == 2 {
                matrices += size;
            } else {
                vectors += size;
            }
        }
        (matrices, vectors)
    }

    /// The model's `config.json`, written the way Qwen3 checkpoints write it.
    pub fn config_json(&self, dtype: FileDType) -> serde_json::Value {
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
}

impl WeightFormat {
    /// The formats by name: f32, bf16, q8_0, gguf-f32.
    pub fn named(name: &str) -> Option<WeightFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "f32" => WeightFormat::F32,
            "bf16" => WeightFormat::Bf16,
            "q8_0" => WeightFormat::Q8_0,
            "gguf-f32" => WeightFormat::GgufF32,
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
        }
    }
}

/// Writes a random-weight Qwen3 of `shape` into `dir` (created when missing): `config.json` and
/// `model.safetensors`. Values are uniform with standard deviation 0.02 in matrices and around 1
/// in norms, from a generator seeded with `seed`, so activations stay finite at any depth.
/// Removes GGUF files converted from an earlier model in the folder.
pub fn write_model(dir: &Path, shape: &ModelShape, dtype: FileDType, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for format in [WeightFormat::Q8_0, WeightFormat::GgufF32] {
        let stale = gguf_path(dir, format);
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
    }
    let config = serde_json::to_string_pretty(&shape.config_json(dtype))?;
    std::fs::write(dir.join("config.json"), config + "\n")
        .with_context(|| format!("cannot write {}", dir.join("config.json").display()))?;

    let tensors = shape.tensors();
    let mut header = serde_json::Map::new();
    header.insert(
        "__metadata__".into(),
        serde_json::json!({ "format": "pt", "written_by": "fare-lens bench engine" }),
    );
    let mut offset = 0usize;
    for (name, dims) in &tensors {
        let size = dims.iter().product::<usize>() * dtype.bytes();
        header.insert(
            name.clone(),
            serde_json::json!({
                "dtype": dtype.safetensors_name(),
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
        for (index, (_, dims)) in tensors.iter().enumerate() {
            let mut rng = Rng::for_sample(seed, index as u64, 0);
            let is_norm = dims.len() == 1;
            // Uniform on [-a, a] has standard deviation a / sqrt(3).
            let (center, half_width) = if is_norm {
                (1.0, 0.1)
            } else {
                (0.0, 0.02 * 3f64.sqrt())
            };
            for _ in 0..dims.iter().product::<usize>() {
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
    let path = match format {
        WeightFormat::F32 | WeightFormat::Bf16 => dir.to_owned(),
        WeightFormat::Q8_0 | WeightFormat::GgufF32 => {
            let gguf = gguf_path(dir, format);
            if !gguf.is_file() {
                let quant_name = if format == WeightFormat::Q8_0 {
                    "q8_0"
                } else {
                    "f32"
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
    let mut model = Model::load(&path, device, dtype)?;
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
    Ok(Measurement {
        dtype: format,
        load_seconds,
        prompt_tokens: prompt.len(),
        prefill_tokens_per_second: median(&prefill_runs),
        prefill_runs,
        decode_tokens: options.decode_tokens,
        decode_tokens_per_second: median(&decode_runs),
        decode_runs,
        weight_bytes_per_token: format.bytes_read(matrices, vectors),
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
