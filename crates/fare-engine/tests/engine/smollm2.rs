//! A small real model end to end: SmolLM2-135M-Instruct (Llama architecture, Q4_1 GGUF with its
//! tokenizer and chat template inside; fetched by tests/fetch-test-assets.sh). It answers a plain
//! question, and it judges a FARE step-level prompt through the whole path (chat template,
//! tokenizer, greedy decoding, stop tokens, verdict reading). The pipeline is asserted, not the
//! verdicts: a 135M model is no evaluator.
//!
//! Without the fetched model the test says so and stops; under CI that is a failure.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::ops::ControlFlow;
use std::path::PathBuf;

use candle_core::{DType, Device};
use fare_core::sample::Content;
use fare_core::{PromptMode, ResponseOrder, Sample, Task, Template, VerdictRules};
use fare_engine::evaluator::Evaluator;
use fare_engine::generate::{Ending, SamplingParams, generate};
use fare_engine::prompt::model_input;
use fare_engine::{Message, chat::RenderOptions};

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

#[test]
fn the_small_real_model_answers_and_streams() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = Evaluator::load(&path, &Device::Cpu, DType::F32).unwrap();
    assert!(!evaluator.stop_tokens.is_empty());
    let text = evaluator
        .template
        .render(
            &[Message::new("user", "What is the capital of France?")],
            &RenderOptions {
                add_generation_prompt: true,
                ..RenderOptions::default()
            },
        )
        .unwrap();
    let ids = evaluator.tokenizer.encode(&text).unwrap();
    let mut streamed = String::new();
    let params = SamplingParams {
        max_new_tokens: 24,
        ..SamplingParams::default()
    };
    let generation = generate(
        &mut evaluator.model,
        &evaluator.tokenizer,
        &ids,
        &evaluator.stop_tokens,
        &params,
        &mut |piece| {
            streamed.push_str(piece);
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert!(generation.text.contains("Paris"), "{:?}", generation.text);
    assert_eq!(
        streamed, generation.text,
        "the streamed pieces add up to the text"
    );
    assert_eq!(generation.prompt_tokens, ids.len());

    // Cancellation between tokens.
    let mut pieces = 0;
    let cancelled = generate(
        &mut evaluator.model,
        &evaluator.tokenizer,
        &ids,
        &evaluator.stop_tokens,
        &params,
        &mut |_| {
            pieces += 1;
            if pieces == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap();
    assert_eq!(cancelled.ending, Ending::Cancelled);
    assert_eq!(cancelled.tokens.len(), 3);
}

#[test]
fn a_fare_prompt_goes_through_the_whole_pipeline() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = Evaluator::load(&path, &Device::Cpu, DType::F32).unwrap();
    let sample = Sample {
        external_id: "s".into(),
        source: None,
        question: "What is 3 + 4?".into(),
        content: Content::StepLevel {
            steps: vec!["3 + 4 = 8.".into(), "The answer is 8.".into()],
        },
        gold: None,
        metadata: serde_json::Map::new(),
    };
    let prompt = Template::builtin_for(Task::StepLevel)
        .unwrap()
        .render(&sample, PromptMode::Critique, ResponseOrder::Original)
        .unwrap();
    let input = model_input(
        &prompt,
        &evaluator.template,
        &evaluator.tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            ..RenderOptions::default()
        },
    )
    .unwrap();
    assert!(input.text.contains("<step 0> 3 + 4 = 8.</step 0>"));
    let params = SamplingParams {
        max_new_tokens: 16,
        ..SamplingParams::default()
    };
    let rules = VerdictRules::new(Task::StepLevel, 2);
    let out = evaluator
        .judge(&prompt, &rules, &params, &mut |_| ControlFlow::Continue(()))
        .unwrap()
        .unwrap();
    assert!((1..=16).contains(&out.output_tokens));
    assert_eq!(out.prompt_tokens, input.ids.len());
    assert!(!out.judgment.raw_output.is_empty());
    // Whatever the small model wrote, it was read by the product's parser: a verdict that fits,
    // or a state saying why there is none (16 tokens usually end it as truncated).
    if let Some(verdict) = out.judgment.verdict() {
        assert_eq!(verdict.check(&rules), Ok(verdict));
    }
    if out.output_tokens == 16 && out.judgment.verdict().is_none() {
        assert_eq!(out.judgment.outcome, fare_core::Outcome::Truncated);
    }
}
