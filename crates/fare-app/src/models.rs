//! The models a person can run from the app: those found on disk ([`fare_engine::discover`]:
//! the project's sibling `models/` folder, folders the shell was told of, the Hugging Face
//! cache), each with how much memory it would take, and the devices this build can run them on.
//!
//! The memory estimate is the weights at the type they are loaded as plus the attention cache
//! for [`CACHE_TOKENS`] tokens (a FARE prompt with its critique fits in it): a rough figure for
//! choosing a device, not a measurement. It leaves out activations and the runtime itself.
//! [`load_evaluator`] sets that estimate against a GPU's free memory before loading and refuses,
//! naming both sizes, a model that will not fit. [`crate::worker`] loads what is listed here;
//! [`crate::jobs`] runs it.

use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use fare_engine::EngineError;
use fare_engine::device::{self, DeviceChoice, WeightDtype};
use fare_engine::discover::{self, FoundModel, WeightsFormat};
use fare_engine::evaluator::Evaluator;
use fare_engine::gpt_oss::{self, ExpertWeights};
use fare_engine::model::LoadOptions;
use serde::Serialize;
use ts_rs::TS;

/// Tokens of attention cache the memory estimate allows for (what the engine preallocates for
/// GGUF Qwen3 on the CPU).
pub const CACHE_TOKENS: u64 = 4096;

/// The memory a model would take loaded as one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemoryEstimate {
    /// The type as shown: `f32`, `bf16`, `f16`, or a GGUF file's own (`Q8_0`, `Q4_K` …).
    pub dtype: String,
    /// The dtype a load request names for this estimate; none for a GGUF file, which keeps
    /// its own types.
    pub load_as: Option<WeightDtype>,
    /// How a gpt-oss model's experts are kept; none for models without experts.
    pub experts: Option<ExpertWeights>,
    /// The weights, in bytes.
    pub weights_bytes: u64,
    /// The attention cache for [`CACHE_TOKENS`] tokens, in bytes (0 when the shape is unknown).
    pub cache_bytes: u64,
    /// Both.
    pub total_bytes: u64,
}

/// A model found on disk, as the model panel lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModelView {
    /// A name for people: the folder or file name, or `ORG/NAME` from the Hugging Face cache.
    pub name: String,
    /// The folder or file (what a load request names).
    pub path: String,
    /// Safetensors or GGUF.
    pub format: WeightsFormat,
    /// The architecture the files declare.
    pub architecture: Option<String>,
    /// The weights' type on disk (`bfloat16`, `Q8_0` …).
    pub dtype: Option<String>,
    /// Bytes on disk.
    pub size_bytes: u64,
    /// Whether this build can load it.
    pub usable: bool,
    /// Why not, when it cannot.
    pub problem: Option<String>,
    /// The types it can be loaded as, with the memory each takes; the first is the CPU's
    /// default. A GGUF file has one: its own. A gpt-oss model has one per type and expert
    /// format, the experts dequantised first.
    pub memory: Vec<MemoryEstimate>,
}

/// A GPU's memory, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct GpuMemory {
    /// Free now.
    pub free_bytes: u64,
    /// All of it.
    pub total_bytes: u64,
}

/// What the model panel lists.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModelList {
    /// The models found, folders first, then the Hugging Face cache.
    pub models: Vec<ModelView>,
    /// The devices this build can run a model on: `cpu`, and `cuda` or `metal` in builds with
    /// that feature.
    pub devices: Vec<DeviceChoice>,
    /// The first CUDA GPU's memory, free and in all, when this is a CUDA build on a machine with
    /// one (what the panel sets each estimate against before loading).
    pub gpu_memory: Option<GpuMemory>,
    /// The folders searched (one level down), besides the Hugging Face cache.
    pub folders: Vec<String>,
    /// The Hugging Face cache searched, when there is one.
    pub hugging_face_cache: Option<String>,
}

/// The folders to search: the `models/` folder beside the project file, then `configured`,
/// each once, as absolute paths (the paths models are loaded by do not depend on a working
/// folder).
pub fn model_folders(project: &Path, configured: &[PathBuf]) -> Vec<PathBuf> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let project = absolute(project);
    let beside = project
        .parent()
        .map_or_else(|| PathBuf::from("models"), |p| p.join("models"));
    let mut folders = vec![beside];
    for folder in configured.iter().map(|f| absolute(f)) {
        if !folders.contains(&folder) {
            folders.push(folder);
        }
    }
    folders
}

/// The devices this build can run a model on.
pub fn devices() -> Vec<DeviceChoice> {
    DeviceChoice::compiled()
}

/// The first CUDA GPU's memory, when this build and machine have one.
pub fn gpu_memory() -> Option<GpuMemory> {
    device::cuda_memory(0).map(|m| GpuMemory {
        free_bytes: m.free_bytes,
        total_bytes: m.total_bytes,
    })
}

/// The memory the model at `path` takes loaded as `dtype` (a safetensors model; a GGUF file
/// keeps its own types) with `experts` (a gpt-oss model), when it can be estimated.
pub fn estimated_bytes(path: &Path, dtype: WeightDtype, experts: ExpertWeights) -> Option<u64> {
    let found = discover::describe_path(path)?;
    let estimates = memory_estimates(&found);
    if found.format == WeightsFormat::Gguf {
        return estimates.first().map(|e| e.total_bytes);
    }
    estimates
        .iter()
        .find(|e| e.load_as == Some(dtype) && e.experts.is_none_or(|e| e == experts))
        .map(|e| e.total_bytes)
}

/// Opens `device`, refuses a model that will not fit in its GPU's free memory (both sizes in
/// the message), and loads the evaluator: what `fare-lens judge` and the model worker do.
/// `dtype` defaults to the device's ([`DeviceChoice::default_dtype`]).
pub fn load_evaluator(
    path: &Path,
    device: DeviceChoice,
    dtype: Option<WeightDtype>,
    experts: ExpertWeights,
) -> Result<Evaluator, EngineError> {
    let opened = device.open()?;
    let dtype = dtype.unwrap_or_else(|| device.default_dtype());
    if let Some(needed) = estimated_bytes(path, dtype, experts) {
        let what = format!(
            "{} as {}{}",
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned()
            ),
            dtype.name(),
            if discover::describe_path(path)
                .is_some_and(|f| f.architecture.as_deref() == Some("gpt_oss"))
            {
                format!(" with {} experts", experts.name())
            } else {
                String::new()
            }
        );
        device::check_fits(&opened, needed, &what)?;
    }
    Evaluator::load_with(
        path,
        &opened,
        LoadOptions {
            dtype: dtype.dtype(),
            experts,
        },
    )
}

/// The user's Hugging Face cache folder ([`fare_hub::cache_folder`], where downloads go), when
/// there is one.
pub fn hugging_face_cache() -> Option<PathBuf> {
    Some(fare_hub::cache_folder()).filter(|c| c.is_dir())
}

/// Every model in `folders` and the user's Hugging Face cache.
pub fn list_models(folders: &[PathBuf]) -> ModelList {
    let hub = hugging_face_cache();
    ModelList {
        models: discover::discover(folders, hub.as_deref())
            .iter()
            .map(model_view)
            .collect(),
        devices: devices(),
        gpu_memory: gpu_memory(),
        folders: folders.iter().map(|f| f.display().to_string()).collect(),
        hugging_face_cache: hub.map(|h| h.display().to_string()),
    }
}

/// The model at `path` among those [`list_models`] finds, if it is one of them.
pub fn find_model(folders: &[PathBuf], path: &str) -> Option<FoundModel> {
    let hub = hugging_face_cache();
    discover::discover(folders, hub.as_deref())
        .into_iter()
        .find(|m| m.path.as_os_str() == path)
}

fn model_view(found: &FoundModel) -> ModelView {
    ModelView {
        name: found.name.clone(),
        path: found.path.display().to_string(),
        format: found.format,
        architecture: found.architecture.clone(),
        dtype: found.dtype.clone(),
        size_bytes: found.size,
        usable: found.usable,
        problem: found.problem.clone(),
        memory: memory_estimates(found),
    }
}

/// The attention cache's shape: layers, key-value heads, and each head's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CacheShape {
    layers: u64,
    kv_heads: u64,
    head_dim: u64,
}

impl CacheShape {
    /// Bytes of keys and values for `tokens` tokens at `bytes` per number.
    fn bytes(self, tokens: u64, bytes: u64) -> u64 {
        2 * self.layers * self.kv_heads * self.head_dim * tokens * bytes
    }
}

/// The memory the model takes loaded as each type it can be loaded as.
pub fn memory_estimates(found: &FoundModel) -> Vec<MemoryEstimate> {
    if found.format == WeightsFormat::Gguf {
        let content = std::fs::File::open(&found.path)
            .ok()
            .and_then(|mut f| gguf_file::Content::read(&mut f).ok());
        // The tensors as stored, and the token embedding once more in f32: candle's quantised
        // models look tokens up in a dequantised copy.
        let weights = content.as_ref().map_or(found.size, |c| {
            let stored: u64 = c
                .tensor_infos
                .values()
                .map(|t| {
                    let elements = t.shape.elem_count() as u64;
                    let block = t.ggml_dtype.block_size() as u64;
                    elements / block.max(1) * t.ggml_dtype.type_size() as u64
                })
                .sum();
            let embedding = c
                .tensor_infos
                .get("token_embd.weight")
                .map_or(0, |t| t.shape.elem_count() as u64 * 4);
            stored + embedding
        });
        // The quantised models keep their cache in f32.
        let cache = content
            .as_ref()
            .and_then(gguf_cache_shape)
            .map_or(0, |s| s.bytes(CACHE_TOKENS, 4));
        return vec![MemoryEstimate {
            dtype: found
                .dtype
                .clone()
                .unwrap_or_else(|| "as stored".to_owned()),
            load_as: None,
            experts: None,
            weights_bytes: weights,
            cache_bytes: cache,
            total_bytes: weights + cache,
        }];
    }
    if found.architecture.as_deref() == Some("gpt_oss")
        && let Some(config) = gpt_oss_config(&found.path)
    {
        return gpt_oss_estimates(&config);
    }
    let stored_bytes = match found.dtype.as_deref() {
        Some("float32") => 4,
        _ => 2,
    };
    let on_disk: u64 =
        fare_engine::model::safetensors_files(&found.path).map_or(found.size, |files| {
            files
                .iter()
                .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                .sum()
        });
    let parameters = on_disk / stored_bytes;
    let shape = config_cache_shape(&found.path);
    WeightDtype::ALL
        .into_iter()
        .map(|dtype| {
            let bytes = dtype.dtype().size_in_bytes() as u64;
            let weights = parameters * bytes;
            let cache = shape.map_or(0, |s| s.bytes(CACHE_TOKENS, bytes));
            MemoryEstimate {
                dtype: dtype.name().to_owned(),
                load_as: Some(dtype),
                experts: None,
                weights_bytes: weights,
                cache_bytes: cache,
                total_bytes: weights + cache,
            }
        })
        .collect()
}

/// A gpt-oss folder's configuration.
fn gpt_oss_config(dir: &Path) -> Option<gpt_oss::Config> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// A gpt-oss model at each type and expert format: the weights from the configuration's shape
/// (MXFP4 on disk says little about memory), the cache with sliding layers holding their
/// window only.
fn gpt_oss_estimates(config: &gpt_oss::Config) -> Vec<MemoryEstimate> {
    let mut estimates = Vec::new();
    for dtype in WeightDtype::ALL {
        for experts in ExpertWeights::ALL {
            let weights = config.memory_bytes(dtype.dtype(), experts);
            let cache = config.cache_bytes(CACHE_TOKENS, dtype.dtype());
            estimates.push(MemoryEstimate {
                dtype: dtype.name().to_owned(),
                load_as: Some(dtype),
                experts: Some(experts),
                weights_bytes: weights,
                cache_bytes: cache,
                total_bytes: weights + cache,
            });
        }
    }
    estimates
}

/// The cache shape a model folder's `config.json` declares.
fn config_cache_shape(dir: &Path) -> Option<CacheShape> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    let number = |key: &str| config.get(key).and_then(serde_json::Value::as_u64);
    let heads = number("num_attention_heads")?;
    let head_dim = number("head_dim").or_else(|| Some(number("hidden_size")? / heads.max(1)))?;
    Some(CacheShape {
        layers: number("num_hidden_layers")?,
        kv_heads: number("num_key_value_heads").unwrap_or(heads),
        head_dim,
    })
}

/// The cache shape a GGUF file's metadata declares.
fn gguf_cache_shape(content: &gguf_file::Content) -> Option<CacheShape> {
    let architecture = content
        .metadata
        .get("general.architecture")?
        .to_string()
        .ok()?;
    let number = |key: &str| {
        content
            .metadata
            .get(&format!("{architecture}.{key}"))
            .and_then(|v| v.to_u64().ok())
    };
    let heads = number("attention.head_count")?;
    let head_dim = number("attention.key_length")
        .or_else(|| Some(number("embedding_length")? / heads.max(1)))?;
    Some(CacheShape {
        layers: number("block_count")?,
        kv_heads: number("attention.head_count_kv").unwrap_or(heads),
        head_dim,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_folders_are_the_projects_models_folder_then_the_configured_ones_each_once() {
        let root = std::path::absolute("/").unwrap();
        let folders = model_folders(
            &root.join("data/p.sqlite"),
            &[root.join("data/models"), root.join("big/models")],
        );
        assert_eq!(
            folders,
            vec![root.join("data/models"), root.join("big/models")]
        );
        // A project named from the working folder: its models folder is there, in full.
        let folders = model_folders(Path::new("p.sqlite"), &[]);
        assert_eq!(
            folders,
            vec![std::env::current_dir().unwrap().join("models")]
        );
    }

    #[test]
    fn the_cpu_is_always_a_device() {
        assert_eq!(devices()[0], DeviceChoice::Cpu);
    }

    #[test]
    fn a_safetensors_model_is_estimated_at_each_type_from_its_config() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m");
        std::fs::create_dir(&model).unwrap();
        // FARE-8B's attention shape; 1000 bf16 parameters on disk.
        std::fs::write(
            model.join("config.json"),
            r#"{"model_type": "qwen3", "torch_dtype": "bfloat16", "num_hidden_layers": 36,
                "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
                "hidden_size": 4096}"#,
        )
        .unwrap();
        std::fs::write(model.join("model.safetensors"), vec![0u8; 2000]).unwrap();
        let found = discover::discover(&[dir.path().to_owned()], None);
        let estimates = memory_estimates(&found[0]);
        let dtypes: Vec<&str> = estimates.iter().map(|e| e.dtype.as_str()).collect();
        assert_eq!(dtypes, ["f32", "bf16", "f16"]);
        assert_eq!(estimates[0].weights_bytes, 4000);
        assert_eq!(estimates[1].weights_bytes, 2000);
        // 2 (keys, values) x 36 layers x 8 heads x 128 x 4096 tokens x 4 bytes: about 1.2 GB.
        assert_eq!(estimates[0].cache_bytes, 2 * 36 * 8 * 128 * 4096 * 4);
        assert_eq!(estimates[1].cache_bytes, estimates[0].cache_bytes / 2);
        assert_eq!(
            estimates[0].total_bytes,
            estimates[0].weights_bytes + estimates[0].cache_bytes
        );
    }

    #[test]
    fn gpt_oss_20b_is_estimated_per_expert_format_from_its_config() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("gpt-oss-20b");
        std::fs::create_dir(&model).unwrap();
        // gpt-oss-20b's config.json as it ships (the fields the estimate reads).
        std::fs::write(
            model.join("config.json"),
            r#"{"model_type": "gpt_oss", "torch_dtype": "bfloat16", "vocab_size": 201088,
                "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 24,
                "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
                "num_local_experts": 32, "num_experts_per_tok": 4, "experts_per_token": 4,
                "sliding_window": 128, "rope_theta": 150000,
                "quantization_config": {"quant_method": "mxfp4"}}"#,
        )
        .unwrap();
        std::fs::write(model.join("model.safetensors"), vec![0u8; 100]).unwrap();
        let found = discover::discover(&[dir.path().to_owned()], None);
        assert_eq!(found[0].dtype.as_deref(), Some("bfloat16, experts mxfp4"));
        let estimates = memory_estimates(&found[0]);
        let gb = |dtype: &str, experts: &str| {
            let e = estimates
                .iter()
                .find(|e| e.dtype == dtype && e.experts.map(ExpertWeights::name) == Some(experts))
                .unwrap();
            e.weights_bytes as f64 / 1e9
        };
        assert_eq!(estimates.len(), 9);
        assert_eq!(estimates[0].experts, Some(ExpertWeights::Dequantized));
        // The figures the issue names: about 42, 24 and 14 GB with bf16 around the experts.
        assert!(
            (41.0..43.0).contains(&gb("bf16", "dequantized")),
            "{}",
            gb("bf16", "dequantized")
        );
        assert!(
            (23.0..25.0).contains(&gb("bf16", "q8_0")),
            "{}",
            gb("bf16", "q8_0")
        );
        assert!(
            (13.5..15.0).contains(&gb("bf16", "q4_0")),
            "{}",
            gb("bf16", "q4_0")
        );
        // The cache: 12 full layers hold 4096 positions, 12 sliding ones 128.
        let bf16 = estimates.iter().find(|e| e.dtype == "bf16").unwrap();
        assert_eq!(bf16.cache_bytes, 2 * 8 * 64 * 2 * (12 * 4096 + 12 * 128));
    }

    #[test]
    fn a_gguf_model_is_estimated_at_its_own_type() {
        let Some(path) = fare_testkit::smollm2() else {
            return;
        };
        let found = discover::discover(&[path.parent().unwrap().to_owned()], None);
        let estimates = memory_estimates(&found[0]);
        assert_eq!(estimates.len(), 1);
        assert_eq!(estimates[0].dtype, "Q4_1");
        // The tensors are nearly the whole file, plus the f32 copy of the token embedding
        // (49152 x 576); SmolLM2-135M: 30 layers, 3 KV heads of 64.
        let size = found[0].size;
        let embedding = 49152 * 576 * 4;
        let weights = estimates[0].weights_bytes;
        assert!(
            weights <= size + embedding && weights > size * 9 / 10 + embedding,
            "{estimates:?} of {size}"
        );
        assert_eq!(estimates[0].cache_bytes, 2 * 30 * 3 * 64 * 4096 * 4);
    }
}
