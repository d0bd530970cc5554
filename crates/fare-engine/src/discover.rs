//! Finding the models a user already has: folders and GGUF files under `models/` (or any
//! folder the user names), and the Hugging Face cache the caller names
//! (`fare_hub::cache_folder`: `$HF_HOME/hub` or `~/.cache/huggingface/hub`,
//! `models--ORG--NAME/snapshots/REV/`), so a
//! model downloaded with `huggingface-cli` or `fare-lens download` shows up without copying; a
//! repository of GGUF files lists each file.
//!
//! Each model found says what it is (format, architecture, dtype, size on disk) and whether this
//! build can run it, and if not, why.

use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use serde::Serialize;

/// How a model's weights are kept on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum WeightsFormat {
    /// A folder of safetensors files with its `config.json` (loaded as the dtype chosen).
    Safetensors,
    /// One GGUF file (kept in its own quantised types).
    Gguf,
}

impl WeightsFormat {
    /// Its name: `safetensors` or `gguf`.
    pub fn as_str(self) -> &'static str {
        match self {
            WeightsFormat::Safetensors => "safetensors",
            WeightsFormat::Gguf => "gguf",
        }
    }
}

impl std::fmt::Display for WeightsFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model found on disk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundModel {
    /// A name for people: the folder or file name, or `ORG/NAME` from the Hugging Face cache.
    pub name: String,
    /// The folder or file.
    pub path: PathBuf,
    /// Safetensors or GGUF.
    pub format: WeightsFormat,
    /// The architecture the files declare.
    pub architecture: Option<String>,
    /// The weights' type (`bfloat16`, `Q8_0` ...).
    pub dtype: Option<String>,
    /// Bytes on disk.
    pub size: u64,
    /// Whether this build can load it.
    pub usable: bool,
    /// Why not, when it cannot.
    pub problem: Option<String>,
}

/// Every model under `folders` (one level down) and in the Hugging Face cache `hub`.
pub fn discover(folders: &[PathBuf], hub: Option<&Path>) -> Vec<FoundModel> {
    let mut found = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(model) = describe(&path, name) {
                found.push(model);
            }
        }
    }
    if let Some(hub) = hub
        && let Ok(entries) = std::fs::read_dir(hub)
    {
        let mut repos: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        repos.sort();
        for repo in repos {
            let dir_name = repo
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some(id) = dir_name.strip_prefix("models--") else {
                continue;
            };
            let name = id.replacen("--", "/", 1);
            let Some(snapshot) = snapshot_of(&repo) else {
                continue;
            };
            if let Some(model) = describe(&snapshot, name.clone()) {
                found.push(model);
            } else {
                // A repository of GGUF files (one per quantisation): each is a model.
                found.extend(gguf_files(&snapshot).into_iter().map(|file| {
                    let file_name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    describe_gguf(&file, format!("{name}/{file_name}"))
                }));
            }
        }
    }
    found
}

/// The folder of a GGUF file that has no tokenizer inside but a `tokenizer.json` and a chat
/// template beside it (as `fare-lens convert` writes them): where its tokenizer is read from.
pub fn tokenizer_beside(gguf: &Path) -> Option<&Path> {
    if !gguf.is_file() || gguf_has_tokenizer(gguf) {
        return None;
    }
    let dir = gguf.parent()?;
    (dir.join("tokenizer.json").is_file() && crate::chat::ChatTemplate::from_model_dir(dir).is_ok())
        .then_some(dir)
}

/// Whether a GGUF file holds its tokenizer (a header that cannot be read holds none).
fn gguf_has_tokenizer(gguf: &Path) -> bool {
    if crate::gguf_check::check_header(gguf).is_err() {
        return false;
    }
    std::fs::File::open(gguf).ok().is_some_and(|mut f| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gguf_file::Content::read(&mut f)
                .is_ok_and(|c| c.metadata.contains_key("tokenizer.ggml.tokens"))
        }))
        .unwrap_or(false)
    })
}

/// The GGUF files of a folder, by name.
fn gguf_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "gguf") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The snapshot `refs/main` names, else the newest one.
fn snapshot_of(repo: &Path) -> Option<PathBuf> {
    if let Ok(rev) = std::fs::read_to_string(repo.join("refs/main")) {
        let dir = repo.join("snapshots").join(rev.trim());
        if dir.is_dir() {
            return Some(dir);
        }
    }
    let entries = std::fs::read_dir(repo.join("snapshots")).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

fn size_of(path: &Path) -> u64 {
    if path.is_file() {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    }
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            // Hugging Face cache snapshots hold links to blobs: follow them.
            .map(|e| {
                std::fs::metadata(e.path()).map_or(0, |m| if m.is_file() { m.len() } else { 0 })
            })
            .sum()
    })
}

const RUNS: [&str; 2] = ["qwen3", "gpt_oss"];
const RUNS_GGUF: [&str; 2] = ["qwen3", "llama"];

/// What the folder or file at `path` holds, when it is a model (named by its file name).
pub fn describe_path(path: &Path) -> Option<FoundModel> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    describe(path, name)
}

/// What a folder or file holds, when it is a model.
fn describe(path: &Path, name: String) -> Option<FoundModel> {
    if path.is_file() {
        if path.extension().and_then(|e| e.to_str()) != Some("gguf") {
            return None;
        }
        return Some(describe_gguf(path, name));
    }
    let config = path.join("config.json");
    if !config.is_file() {
        // A folder of one GGUF file (what `fare-lens convert` writes, with the tokenizer
        // beside it) is that model.
        return match gguf_files(path).as_slice() {
            [one] => Some(describe_gguf(one, name)),
            _ => None,
        };
    }
    let json: Option<serde_json::Value> = std::fs::read_to_string(&config)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let text = |key: &str| {
        json.as_ref()
            .and_then(|j| j.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let architecture = text("model_type");
    let quantization = json
        .as_ref()
        .and_then(|j| j.pointer("/quantization_config/quant_method"))
        .and_then(|m| m.as_str());
    let dtype = text("torch_dtype")
        .or_else(|| text("dtype"))
        .map(|d| match quantization {
            // gpt-oss ships its experts in MXFP4, everything else in the declared type.
            Some(method) => format!("{d}, experts {method}"),
            None => d,
        });
    let problem = if json.is_none() {
        Some("config.json is not valid JSON".to_owned())
    } else if !architecture.as_deref().is_some_and(|a| RUNS.contains(&a)) {
        Some(format!(
            "architecture `{}` is not supported yet",
            architecture.as_deref().unwrap_or("unknown")
        ))
    } else if crate::model::safetensors_files(path).is_err() {
        Some("no model.safetensors (or its shards)".to_owned())
    } else if !path.join("tokenizer.json").is_file() {
        Some("no tokenizer.json".to_owned())
    } else if crate::chat::ChatTemplate::from_model_dir(path).is_err() {
        Some("no chat template".to_owned())
    } else {
        None
    };
    Some(FoundModel {
        name,
        path: path.to_owned(),
        format: WeightsFormat::Safetensors,
        architecture,
        dtype,
        size: size_of(path),
        usable: problem.is_none(),
        problem,
    })
}

fn describe_gguf(path: &Path, name: String) -> FoundModel {
    // A file's header is untrusted: a bounded look first (candle's reader keeps 32 bytes per
    // metadata array element), and candle's reader panics on some (`general.alignment = 0`
    // divides by zero); one such file must not stop the whole list.
    if let Err(why) = crate::gguf_check::check_header(path) {
        return FoundModel {
            name,
            path: path.to_owned(),
            format: WeightsFormat::Gguf,
            architecture: None,
            dtype: None,
            size: size_of(path),
            usable: false,
            problem: Some(format!("not a readable GGUF file: {why}")),
        };
    }
    let content = std::fs::File::open(path).ok().and_then(|mut f| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gguf_file::Content::read(&mut f).ok()
        }))
        .ok()
        .flatten()
    });
    let (architecture, dtype, problem) = match &content {
        None => (None, None, Some("not a readable GGUF file".to_owned())),
        Some(c) => {
            let architecture = c
                .metadata
                .get("general.architecture")
                .and_then(|v| v.to_string().ok())
                .cloned();
            let dtype = c
                .tensor_infos
                .get("blk.0.attn_q.weight")
                .map(|t| format!("{:?}", t.ggml_dtype));
            let problem = if !architecture
                .as_deref()
                .is_some_and(|a| RUNS_GGUF.contains(&a))
            {
                Some(format!(
                    "architecture `{}` is not supported yet",
                    architecture.as_deref().unwrap_or("unknown")
                ))
            } else if tokenizer_beside(path).is_some() {
                None
            } else if !c.metadata.contains_key("tokenizer.ggml.tokens") {
                Some("no tokenizer inside".to_owned())
            } else if !c.metadata.contains_key("tokenizer.chat_template") {
                Some("no chat template inside".to_owned())
            } else {
                None
            };
            (architecture, dtype, problem)
        }
    };
    FoundModel {
        name,
        path: path.to_owned(),
        format: WeightsFormat::Gguf,
        architecture,
        dtype,
        size: size_of(path),
        usable: problem.is_none(),
        problem,
    }
}
