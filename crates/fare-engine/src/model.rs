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
//! The forward pass runs several sequences at once ([`Model::forward_many`]): each is a
//! [`Sequence`] (its own KV cache and positions) fed any number of new tokens, their tokens
//! packed into one pass through the layers ([`crate::decoder`] for Qwen3 and Llama,
//! [`crate::gpt_oss`]); [`crate::batch`] schedules many generations over it. [`Model::forward`]
//! is the one-sequence form, on a state the model keeps itself.
//!
//! [`Model::score_continuations`] reads the log-probability of candidate continuations of a
//! context by teacher forcing (what [`crate::score`] needs for verdict probabilities). The
//! candidates are walked as a token trie, breadth first: the context is processed once, then
//! each depth of the trie is one batched pass of one token per node that has children, each on
//! a copy of its parent's state. The context is not processed again where the model's own
//! state already holds a prefix of it (a generation just made from its prompt): that state is
//! cut back to the common prefix and fed only the rest.

use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::qwen3;

use crate::EngineError;
use crate::decoder::{Decoder, DecoderState};
use crate::gpt_oss::{self, ExpertWeights, GptOss, GptOssState};

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

enum Weights {
    Decoder(Decoder),
    GptOss(GptOss),
}

/// One sequence's state in a model: its KV cache, its positions and the tokens that made them.
#[derive(Debug)]
pub struct Sequence {
    state: State,
    ids: Vec<u32>,
}

#[derive(Debug)]
enum State {
    Decoder(DecoderState),
    GptOss(GptOssState),
}

impl Sequence {
    /// The positions it holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether it holds no position.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The tokens it has seen.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Cuts it back to its first `position` positions; false (unchanged) where the model
    /// cannot (a gpt-oss sliding layer has dropped keys that would be needed).
    pub fn truncate(&mut self, position: usize) -> bool {
        let done = match &mut self.state {
            State::Decoder(s) => {
                s.truncate(position);
                true
            }
            State::GptOss(s) => s.truncate(position),
        };
        if done {
            self.ids.truncate(position);
        }
        done
    }

    /// Cuts it back to the prefix it shares with `context`, short of `context`'s last token
    /// (fed again for its logits); false (unchanged) when they share nothing or it cannot be
    /// cut there ([`Sequence::truncate`]).
    pub fn cut_to_prefix_of(&mut self, context: &[u32]) -> bool {
        let shared = self
            .ids
            .iter()
            .zip(context)
            .take_while(|(a, b)| a == b)
            .count()
            .min(context.len().saturating_sub(1));
        shared > 0 && self.truncate(shared)
    }

    /// Keeps its cache's buffers within `positions` positions for as long as that is enough
    /// (what a scheduler reserved for it); gpt-oss caches never hold more than they use.
    pub fn limit_growth(&mut self, positions: usize) {
        if let State::Decoder(s) = &mut self.state {
            s.limit_growth(positions);
        }
    }

    /// An independent copy.
    pub fn fork(&self) -> Result<Sequence, EngineError> {
        let state = match &self.state {
            State::Decoder(s) => {
                State::Decoder(s.fork().map_err(|e| EngineError::Runtime(e.to_string()))?)
            }
            State::GptOss(s) => State::GptOss(s.clone()),
        };
        Ok(Sequence {
            state,
            ids: self.ids.clone(),
        })
    }

    /// The bytes its cache holds now.
    pub fn cache_bytes(&self) -> u64 {
        match &self.state {
            State::Decoder(s) => s.bytes(),
            State::GptOss(s) => s.bytes(),
        }
    }
}

/// A loaded model, ready for forward passes.
pub struct Model {
    weights: Weights,
    /// The state of [`Model::forward`].
    current: Option<Sequence>,
    /// Its architecture.
    pub architecture: Architecture,
    /// The number of logits it returns.
    pub vocab_size: usize,
    /// The positions it was trained for (its config's `max_position_embeddings`, a GGUF's
    /// `{architecture}.context_length`); `None` when the file does not say.
    pub context_length: Option<usize>,
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
        let weights = Decoder::from_safetensors(&config, vb, path)?;
        Ok(Model {
            weights: Weights::Decoder(weights),
            current: None,
            architecture: Architecture::Qwen3,
            vocab_size: config.vocab_size,
            context_length: Some(config.max_position_embeddings),
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
            current: None,
            architecture: Architecture::GptOss,
            vocab_size: config.vocab_size,
            context_length: config.max_position_embeddings,
            device: device.clone(),
        })
    }

    /// The gpt-oss model inside, for settings only it has (tests, benchmarks).
    pub fn gpt_oss_mut(&mut self) -> Option<&mut GptOss> {
        match &mut self.weights {
            Weights::GptOss(m) => Some(m),
            Weights::Decoder(_) => None,
        }
    }

    fn load_gguf(path: &Path, device: &Device) -> Result<Model, EngineError> {
        crate::gguf_check::check_header(path)
            .map_err(|why| file_error(path, format!("not a readable GGUF file: {why}")))?;
        let mut file =
            File::open(path).map_err(|e| file_error(path, format!("cannot open: {e}")))?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| file_error(path, format!("not a readable GGUF file: {e}")))?;
        let named = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned();
        let architecture = match named.as_deref() {
            Some("llama") => Architecture::Llama,
            _ => Architecture::Qwen3,
        };
        let context_length = named
            .and_then(|arch| content.metadata.get(&format!("{arch}.context_length")))
            .and_then(|v| v.to_u64().or_else(|_| v.to_u32().map(u64::from)).ok())
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0);
        let weights = Decoder::from_gguf(&content, &mut file, path, device)?;
        Ok(Model {
            vocab_size: weights.shape.vocab_size,
            weights: Weights::Decoder(weights),
            current: None,
            architecture,
            context_length,
            device: device.clone(),
        })
    }

    /// A sequence with no positions.
    pub fn new_sequence(&self) -> Sequence {
        let state = match &self.weights {
            Weights::Decoder(d) => State::Decoder(d.new_state()),
            Weights::GptOss(g) => State::GptOss(g.new_state()),
        };
        Sequence {
            state,
            ids: Vec::new(),
        }
    }

    /// The KV cache's bytes for one sequence of `positions` positions (what the scheduler
    /// budgets; the decoder's cache may hold up to one growth step more).
    pub fn cache_bytes(&self, positions: usize) -> u64 {
        match &self.weights {
            Weights::Decoder(d) => d.cache_bytes_per_position() * positions as u64,
            Weights::GptOss(g) => g.cache_bytes(positions),
        }
    }

    /// How many positions a pass should take from one prompt at most (longer prompts are fed
    /// in chunks of this many).
    pub fn prefill_chunk(&self) -> usize {
        match &self.weights {
            Weights::Decoder(_) => 512,
            Weights::GptOss(g) => g.chunking().prefill_tokens,
        }
    }

    /// Feeds each sequence its tokens (a prompt chunk, or one decode token) in one pass and
    /// returns the logits after each one's last token, as f32. On an error the sequences'
    /// states are undefined: drop them.
    pub fn forward_many(
        &self,
        work: &mut [(&mut Sequence, &[u32])],
    ) -> Result<Vec<Vec<f32>>, EngineError> {
        let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
        let logits = match &self.weights {
            Weights::Decoder(d) => {
                let mut states = Vec::with_capacity(work.len());
                for (seq, ids) in work.iter_mut() {
                    match &mut seq.state {
                        State::Decoder(s) => states.push((s, *ids)),
                        State::GptOss(_) => return Err(foreign()),
                    }
                }
                d.forward_many(&mut states)?
            }
            Weights::GptOss(g) => {
                let mut states = Vec::with_capacity(work.len());
                for (seq, ids) in work.iter_mut() {
                    match &mut seq.state {
                        State::GptOss(s) => states.push((s, *ids)),
                        State::Decoder(_) => return Err(foreign()),
                    }
                }
                g.forward_many(&mut states)?
            }
        };
        for (seq, ids) in work.iter_mut() {
            seq.ids.extend_from_slice(ids);
        }
        logits.to_vec2::<f32>().map_err(run)
    }

    /// Feeds a whole token list to one sequence, in chunks of [`Model::prefill_chunk`]: the
    /// logits after the last token.
    pub fn feed(&self, sequence: &mut Sequence, ids: &[u32]) -> Result<Vec<f32>, EngineError> {
        let mut last = None;
        for chunk in ids.chunks(self.prefill_chunk()) {
            last = self.forward_many(&mut [(&mut *sequence, chunk)])?.pop();
        }
        last.ok_or_else(|| EngineError::Runtime("a forward pass needs at least one token".into()))
    }

    /// Feeds `ids` at positions `offset..` of the model's own sequence (0 starts a new one;
    /// any other offset must be the positions it holds) and returns the logits of the last one.
    pub fn forward(&mut self, ids: &[u32], offset: usize) -> Result<Vec<f32>, EngineError> {
        let mut sequence = match self.current.take() {
            Some(s) if offset > 0 && s.len() == offset => s,
            Some(s) if offset > 0 => {
                return Err(EngineError::Runtime(format!(
                    "a pass at position {offset}, but the cache holds {} positions",
                    s.len()
                )));
            }
            None if offset > 0 => {
                return Err(EngineError::Runtime(format!(
                    "a pass at position {offset}, but the cache is empty"
                )));
            }
            _ => self.new_sequence(),
        };
        let logits = self.feed(&mut sequence, ids)?;
        self.current = Some(sequence);
        Ok(logits)
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
    /// Reuses the model's own sequence where it shares a prefix with `context` (see the module
    /// doc); the model's own sequence is gone afterwards.
    pub fn score_continuations(
        &mut self,
        context: &[u32],
        candidates: &[Vec<u32>],
        continuing: &[u32],
    ) -> Result<Vec<f64>, EngineError> {
        let current = self.current.take();
        let (sequence, logits) = self.prefix_state(current, context)?;
        let mut walk = TrieWalk::new(self, candidates, continuing, sequence, &logits)?;
        while !walk.is_done() {
            let mut work = walk.work();
            let logits = self.forward_many(&mut work)?;
            drop(work);
            walk.advance(&logits)?;
        }
        Ok(walk.scores())
    }

    /// `sequence` (or a new one) brought to hold exactly `context`, cut back to the prefix they
    /// share and fed the rest (at least the last token, for its logits).
    pub fn prefix_state(
        &self,
        sequence: Option<Sequence>,
        context: &[u32],
    ) -> Result<(Sequence, Vec<f32>), EngineError> {
        if context.is_empty() {
            return Err(EngineError::Runtime(
                "scoring a continuation needs a context of at least one token".into(),
            ));
        }
        let mut sequence = sequence
            .and_then(|mut s| s.cut_to_prefix_of(context).then_some(s))
            .unwrap_or_else(|| self.new_sequence());
        let rest = &context[sequence.len()..];
        let logits = self.feed(&mut sequence, rest)?;
        Ok((sequence, logits))
    }

    /// Forgets the model's own sequence.
    pub fn clear_cache(&mut self) {
        self.current = None;
    }
}

fn foreign() -> EngineError {
    EngineError::Runtime("a sequence of another model".into())
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

/// A breadth-first walk of a candidate trie: each depth is one batched pass of one token per
/// node that has children (a *probe*: a copy of its parent's state fed the node's token).
pub(crate) struct TrieWalk {
    trie: Trie,
    continuing: Vec<u32>,
    scores: Vec<f64>,
    probes: Vec<Probe>,
}

struct Probe {
    node: usize,
    token: [u32; 1],
    log_prob: f64,
    sequence: Sequence,
}

impl TrieWalk {
    /// Starts at the root, whose state is `root` (holding the context) with `logits` after it.
    pub(crate) fn new(
        model: &Model,
        candidates: &[Vec<u32>],
        continuing: &[u32],
        root: Sequence,
        logits: &[f32],
    ) -> Result<TrieWalk, EngineError> {
        if let Some(bad) = candidates
            .iter()
            .flatten()
            .chain(continuing)
            .find(|&&t| t as usize >= model.vocab_size)
        {
            return Err(EngineError::Runtime(format!(
                "token {bad} is outside the model's {} logits",
                model.vocab_size
            )));
        }
        let mut walk = TrieWalk {
            trie: Trie::new(candidates),
            continuing: continuing.to_vec(),
            scores: vec![f64::NEG_INFINITY; candidates.len()],
            probes: Vec::new(),
        };
        walk.probes = walk.visit(0, logits, 0.0, root)?;
        Ok(walk)
    }

    /// Whether every candidate has its score.
    pub(crate) fn is_done(&self) -> bool {
        self.probes.is_empty()
    }

    /// The next pass: one token for each probe.
    pub(crate) fn work(&mut self) -> Vec<(&mut Sequence, &[u32])> {
        self.probes
            .iter_mut()
            .map(|p| (&mut p.sequence, &p.token[..]))
            .collect()
    }

    /// Takes the logits of [`TrieWalk::work`]'s pass, one row per probe.
    pub(crate) fn advance(&mut self, logits: &[Vec<f32>]) -> Result<(), EngineError> {
        let probes = std::mem::take(&mut self.probes);
        let mut next = Vec::new();
        for (probe, logits) in probes.into_iter().zip(logits) {
            next.extend(self.visit(probe.node, logits, probe.log_prob, probe.sequence)?);
        }
        self.probes = next;
        Ok(())
    }

    /// The scores, once done.
    pub(crate) fn scores(self) -> Vec<f64> {
        self.scores
    }

    /// Scores what ends at `node` and at its leaf children from its `logits`; returns a probe
    /// for each child that has children of its own: the last on `state` itself, the others on
    /// copies of it.
    fn visit(
        &mut self,
        node: usize,
        logits: &[f32],
        log_prob: f64,
        state: Sequence,
    ) -> Result<Vec<Probe>, EngineError> {
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
                self.scores[candidate] = own;
            }
        }
        let mut branches = Vec::new();
        for &child in &here.children {
            let child_node = &self.trie.nodes[child];
            let child_log_prob = log_prob + next(child_node.token);
            if child_node.children.is_empty() {
                for &candidate in &child_node.ends {
                    self.scores[candidate] = child_log_prob;
                }
            } else {
                branches.push((child, child_node.token, child_log_prob));
            }
        }
        let mut probes = Vec::with_capacity(branches.len());
        let mut state = Some(state);
        let last = branches.len().saturating_sub(1);
        for (i, (node, token, log_prob)) in branches.into_iter().enumerate() {
            let sequence = match state.take() {
                Some(s) if i == last => s,
                Some(s) => {
                    let copy = s.fork()?;
                    state = Some(s);
                    copy
                }
                None => unreachable!("the state is taken by the last branch only"),
            };
            probes.push(Probe {
                node,
                token: [token],
                log_prob,
                sequence,
            });
        }
        Ok(probes)
    }
}

/// log Σ exp(x), in f64.
fn log_sum_exp(logits: &[f32]) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = f64::from(max);
    let sum: f64 = logits.iter().map(|&x| (f64::from(x) - max).exp()).sum();
    max + sum.ln()
}
