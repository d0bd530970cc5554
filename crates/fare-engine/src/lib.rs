//! The FARE Lens evaluator engine.
//!
//! - [`chat`]: a model's own chat template (Jinja, as `transformers` renders it) turned into the
//!   exact prompt text the model sees.
//! - [`tokenize`]: that text turned into token ids with the model's `tokenizer.json`.
//! - [`prompt`]: a FARE prompt (fare-core's system and user messages) through both.
//! - [`harmony`]: gpt-oss's reasoning effort, and its output told apart by channel as it streams.
//! - [`model`]: loading Qwen3 (safetensors, GGUF), gpt-oss (safetensors) and Llama (GGUF)
//!   models with candle, running their forward pass and scoring candidate continuations.
//! - [`decoder`]: the dense decoder of Qwen3 and Llama, several sequences per pass, each with
//!   its own preallocated KV cache.
//! - [`gpt_oss`]: the gpt-oss architecture (FARE-20B): sinks, sliding windows, YaRN, experts;
//!   [`mxfp4`]: the 4-bit format its checkpoints ship the experts in.
//! - [`batch`]: continuous batching, many generations (and verdict scorings) on one model at
//!   once, with a KV-cache budget and admission control.
//! - [`generate`]: greedy and sampled decoding with stop tokens, a token limit, streaming and
//!   cancellation.
//! - [`score`]: verdict probabilities by teacher forcing at the verdict position.
//! - [`evaluator`]: a model with its tokenizer, template and stop tokens, judging one prompt.
//! - [`device`]: the device a model runs on, as a person names it, and a GPU's free memory.
//! - [`discover`]: the models a user has (a models folder, the Hugging Face cache);
//!   [`gguf_check`]: a bounded look at a GGUF header before candle reads it.
//! - [`convert`]: a Qwen3 safetensors folder into a quantised GGUF file for CPUs.
//!
//! Rendering and tokenisation are checked against `transformers`' `apply_chat_template` on the
//! real Qwen3 tokenizer (tests/reference/chat_fixtures.py makes the fixtures) and on the real
//! gpt-oss tokenizer and chat template at each reasoning effort
//! (tests/reference/gptoss_chat_fixtures.py); the forward pass against `transformers`' logits
//! (tests/reference/qwen3_golden.py, gpt_oss_golden.py).

pub mod batch;
pub mod chat;
pub mod convert;
pub mod decoder;
pub mod device;
pub mod discover;
pub mod evaluator;
pub mod generate;
pub mod gguf_check;
pub mod gpt_oss;
pub mod harmony;
pub mod model;
pub mod mxfp4;
pub mod prompt;
pub mod score;
pub mod tokenize;

pub use chat::{ChatTemplate, Message};
pub use tokenize::TextTokenizer;

use std::path::PathBuf;

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A model file that cannot be read or is not what it should be.
    #[error("{path}: {message}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The chat template failed to render.
    #[error("the chat template failed: {0}")]
    Template(String),
    /// The model failed while running.
    #[error("model: {0}")]
    Runtime(String),
    /// Tokenisation failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The device cannot be used (unknown, absent, or not in this build), or a load choice
    /// (dtype, expert format) is not one there is.
    #[error("{0}")]
    Device(String),
    /// The model does not fit in the device's free memory (both sizes in the message).
    #[error("{0}")]
    OutOfMemory(String),
    /// The person stopped it (a conversion); nothing was written.
    #[error("cancelled; nothing was written")]
    Cancelled,
}
