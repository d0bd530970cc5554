//! The engine's integration tests, one binary (each links candle once, not nine times): real
//! forward passes of tiny random-weight models checked against `transformers`' logits, the
//! real tokenizers and chat templates, the small real SmolLM2, batching, discovery, verdict
//! probabilities, and fuzzed model files.

mod batching;
mod discover;
mod fuzz;
mod gpt_oss_logits;
mod gptoss_chat;
mod qwen3_chat;
mod qwen3_logits;
mod smollm2;
mod verdict_probs;
