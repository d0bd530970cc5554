//! Decoding: greedy or sampled generation from a prompt's token ids, with stop tokens, a token
//! limit, streaming of the text as it grows, and cancellation between tokens.
//!
//! [`generate_observed`] also shows an observer each chosen token with the logits it was chosen
//! from (what the OpenAI-compatible server turns into `logprobs`, see [`top_log_probs`]);
//! [`generate`] is the same loop without one.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};

use crate::EngineError;
use crate::harmony::ReasoningEffort;
use crate::model::Model;
use crate::tokenize::TextTokenizer;

/// How to pick each next token, and the reasoning effort the prompt asks for.
///
/// `reasoning_effort` is not used by decoding: it travels with the other parameters of a
/// judgment to whatever renders the prompt (the local evaluator's chat template, an endpoint's
/// request), so the judging pipeline hands a judge one set of parameters.
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
    /// gpt-oss's reasoning effort, passed to the chat template (templates that do not know it,
    /// such as Qwen3's, ignore it).
    #[serde(default)]
    pub reasoning_effort: ReasoningEffort,
}

impl Default for SamplingParams {
    /// Greedy, up to 4096 new tokens, medium reasoning effort.
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_p: None,
            seed: 0,
            max_new_tokens: 4096,
            reasoning_effort: ReasoningEffort::Medium,
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

/// One decoding step, as an observer of [`generate_observed`] sees it: the token chosen (never a
/// stop token) and the model's logits it was chosen from, before temperature and top-p.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// Its position among the generated tokens (0 for the first).
    pub index: usize,
    /// The token chosen.
    pub token: u32,
    /// The model's raw logits at this position (one per vocabulary entry).
    pub logits: &'a [f32],
    /// The whole text generated so far, this token included (it may end in U+FFFD while a
    /// character is incomplete).
    pub text: &'a str,
}

/// The log-probabilities of one step: log-softmax of the logits, computed in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogProbs {
    /// The chosen token's log-probability.
    pub chosen: f64,
    /// The `k` most probable tokens, most probable first (ties by lower id).
    pub top: Vec<(u32, f64)>,
}

/// The log-softmax of `logits` at `chosen` and at the `k` most probable tokens.
pub fn top_log_probs(logits: &[f32], chosen: u32, k: usize) -> TokenLogProbs {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = f64::from(max);
    let log_total = logits
        .iter()
        .map(|&l| (f64::from(l) - max).exp())
        .sum::<f64>()
        .ln()
        + max;
    let mut order: Vec<u32> = (0..u32::try_from(logits.len()).unwrap_or(u32::MAX)).collect();
    let by_logit = |a: &u32, b: &u32| {
        logits[*b as usize]
            .total_cmp(&logits[*a as usize])
            .then(a.cmp(b))
    };
    let k = k.min(order.len());
    if k > 0 && k < order.len() {
        order.select_nth_unstable_by(k - 1, by_logit);
    }
    order.truncate(k);
    order.sort_unstable_by(by_logit);
    let log_prob = |id: u32| {
        logits
            .get(id as usize)
            .map_or(f64::NEG_INFINITY, |&l| f64::from(l) - log_total)
    };
    TokenLogProbs {
        chosen: log_prob(chosen),
        top: order.into_iter().map(|id| (id, log_prob(id))).collect(),
    }
}

/// The token picker `params` ask for: argmax at temperature 0, else seeded sampling (top-p when
/// it is below 1). The batch scheduler picks with the same, so a request's tokens do not depend
/// on how it is run.
pub(crate) fn sampler(params: &SamplingParams) -> LogitsProcessor {
    let sampling = match (params.temperature, params.top_p) {
        (t, _) if t <= 0.0 => Sampling::ArgMax,
        (temperature, Some(p)) if p < 1.0 => Sampling::TopP { p, temperature },
        (temperature, _) => Sampling::All { temperature },
    };
    LogitsProcessor::from_sampling(params.seed, sampling)
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
    generate_observed(model, tokenizer, prompt, stop, params, None, on_text)
}

/// [`generate`], showing `on_step` each chosen token with its logits before `on_text` receives
/// the text it completes.
pub fn generate_observed(
    model: &mut Model,
    tokenizer: &TextTokenizer,
    prompt: &[u32],
    stop: &[u32],
    params: &SamplingParams,
    mut on_step: Option<&mut dyn FnMut(&Step<'_>)>,
    on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
) -> Result<Generation, EngineError> {
    let started = Instant::now();
    let mut sampler = sampler(params);
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
        if let Some(observe) = on_step.as_mut() {
            observe(&Step {
                index: tokens.len() - 1,
                token: next,
                logits: &logits,
                text: &text,
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_probs_are_a_log_softmax_with_the_most_probable_first() {
        let logits = [1.0f32, 3.0, 2.0, 3.0, -50.0];
        let lp = top_log_probs(&logits, 2, 3);
        let total: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
        assert!((lp.chosen - (2.0 - total.ln())).abs() < 1e-12);
        let ids: Vec<u32> = lp.top.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 3, 2], "by logit, ties by lower id");
        assert!(lp.top.iter().all(|(_, p)| *p <= 0.0));
        let all = top_log_probs(&logits, 0, 99);
        let mass: f64 = all.top.iter().map(|(_, p)| p.exp()).sum();
        assert!((mass - 1.0).abs() < 1e-12);
        assert_eq!(top_log_probs(&logits, 0, 0).top, []);
    }
}
