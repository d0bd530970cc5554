//! Decoding: greedy or sampled generation from a prompt's token ids, with stop tokens, a token
//! limit, streaming of the text as it grows, and cancellation between tokens.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};

use crate::EngineError;
use crate::model::Model;
use crate::tokenize::TextTokenizer;

/// How to pick each next token.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SamplingParams {
    /// 0 for greedy decoding.
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `top_p`.
    pub top_p: Option<f64>,
    /// The random seed of sampled decoding.
    pub seed: u64,
    /// The most tokens to generate.
    pub max_new_tokens: usize,
}

impl Default for SamplingParams {
    /// Greedy, up to 4096 new tokens.
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_p: None,
            seed: 0,
            max_new_tokens: 4096,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// A stop token.
    Stopped,
    /// The token limit.
    Length,
    /// The caller asked to stop.
    Cancelled,
}

/// One generation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Generation {
    /// The generated text (stop token excluded).
    pub text: String,
    /// The generated token ids (stop token excluded).
    pub tokens: Vec<u32>,
    /// Why it ended.
    pub ending: Ending,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
    /// Time to process the prompt.
    pub prefill: Duration,
    /// Total time.
    pub elapsed: Duration,
}

impl Generation {
    /// Decoding speed after the prompt, in tokens per second.
    pub fn decode_tokens_per_second(&self) -> f64 {
        let decode = self.elapsed.saturating_sub(self.prefill).as_secs_f64();
        if decode > 0.0 {
            self.tokens.len() as f64 / decode
        } else {
            0.0
        }
    }
}

/// Generates from `prompt` until a stop token, the token limit or `on_text` breaks.
/// `on_text` receives each new piece of text as soon as it is complete UTF-8.
pub fn generate(
    model: &mut Model,
    tokenizer: &TextTokenizer,
    prompt: &[u32],
    stop: &[u32],
    params: &SamplingParams,
    on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
) -> Result<Generation, EngineError> {
    let started = Instant::now();
    let sampling = match (params.temperature, params.top_p) {
        (t, _) if t <= 0.0 => Sampling::ArgMax,
        (temperature, Some(p)) if p < 1.0 => Sampling::TopP { p, temperature },
        (temperature, _) => Sampling::All { temperature },
    };
    let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling);
    let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
    model.clear_cache();
    let mut logits = model.forward(prompt, 0)?;
    let prefill = started.elapsed();
    let mut tokens: Vec<u32> = Vec::new();
    let mut shown = 0usize;
    let mut text = String::new();
    let ending = loop {
        if tokens.len() >= params.max_new_tokens {
            break Ending::Length;
        }
        let next = sampler
            .sample(&Tensor::new(logits.as_slice(), &Device::Cpu).map_err(run)?)
            .map_err(run)?;
        if stop.contains(&next) {
            break Ending::Stopped;
        }
        tokens.push(next);
        text = tokenizer.decode(&tokens)?;
        // Hold back a piece that ends inside a character (shown as U+FFFD until complete).
        if !text.ends_with('\u{fffd}') && text.len() > shown {
            let piece = &text[shown..];
            shown = text.len();
            if on_text(piece).is_break() {
                break Ending::Cancelled;
            }
        }
        logits = model.forward(&[next], prompt.len() + tokens.len() - 1)?;
    };
    Ok(Generation {
        text,
        tokens,
        ending,
        prompt_tokens: prompt.len(),
        prefill,
        elapsed: started.elapsed(),
    })
}
