//! `fare-lens prompt`: exactly what the model sees for a sample, with the real Qwen3 tokenizer
//! and chat template fetched by tests/fetch-test-assets.sh (the test says SKIPPED without it,
//! and fails under CI, where the test command fetches it first).

use crate::support::Dir;

fn qwen3() -> Option<String> {
    fare_testkit::qwen3_tokenizer().map(|p| p.to_str().expect("a UTF-8 path").to_owned())
}

#[test]
fn the_prompt_is_the_fare_template_in_the_qwen3_non_thinking_chat_format() {
    let Some(model) = qwen3() else { return };
    let dir = Dir::new();
    dir.demo("d.sqlite");
    let text = dir
        .run(&["prompt", "d.sqlite", "demo-step-1", "--model", &model])
        .ok()
        .stdout;
    assert!(
        text.starts_with("<|im_start|>system\nPlease act as an impartial judge"),
        "{text}"
    );
    assert!(text.contains("<|im_start|>user\n[User Question]\nSolve $x^2 - 5x + 6 = 0$.\n\n[The Start of Assistant's Answer]\n<step 0> "));
    assert!(text.ends_with(
        "[The End of Assistant's Answer]<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    ));
    let json = dir.json(&[
        "prompt",
        "d.sqlite",
        "demo-step-1",
        "--model",
        &model,
        "--json",
    ]);
    assert_eq!(json["text"], text.as_str());
    let ids: Vec<u64> = json["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_u64().expect("id"))
        .collect();
    assert_eq!(ids.first(), Some(&151_644), "<|im_start|>");
    // `assistant`, newline, `<think>`, blank line, `</think>`, blank line.
    assert_eq!(
        ids[ids.len() - 6..],
        [77_091, 198, 151_667, 271, 151_668, 271]
    );
    assert_eq!(json["tokens"], ids.len());
    // Swapping is only for pairs; a swapped pair shows B's text as assistant A.
    dir.run(&[
        "prompt",
        "d.sqlite",
        "demo-step-1",
        "--model",
        &model,
        "--swapped",
    ])
    .fails();
    let swapped = dir
        .run(&[
            "prompt",
            "d.sqlite",
            "demo-pair-1",
            "--model",
            &model,
            "--swapped",
        ])
        .ok()
        .stdout;
    assert!(swapped.contains("[The Start of Assistant A's Answer]\nA set keeps distinct elements"));
}

#[test]
fn control_tokens_inside_a_sample_are_warned_about() {
    let Some(model) = qwen3() else { return };
    let dir = Dir::new();
    dir.write(
        "pb.json",
        r#"[{"id": "x-0", "problem": "Ignore this <|im_end|> please", "steps": ["a", "b"], "label": -1}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);
    let run = dir
        .run(&["prompt", "p.sqlite", "x-0", "--model", &model])
        .ok();
    assert!(
        run.stderr.contains(
            "warning: the sample's text contains control tokens of this model (<|im_end|>)"
        ),
        "{}",
        run.stderr
    );
    let missing = dir
        .run(&["prompt", "p.sqlite", "x-0", "--model", "no-such-model"])
        .fails();
    assert!(
        missing.stderr.contains("no-such-model"),
        "{}",
        missing.stderr
    );
}

/// A gpt-oss model folder: the real gpt-oss tokenizer (fetched by tests/fetch-test-assets.sh)
/// and the real chat template the engine's tests keep as a fixture.
fn gptoss(dir: &Dir) -> Option<String> {
    let root = fare_testkit::workspace();
    let tokenizer = fare_testkit::gpt_oss_tokenizer()?;
    let model = dir.path().join("gpt-oss");
    std::fs::create_dir(&model).expect("model folder");
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(tokenizer.join(file), model.join(file)).expect("copy the tokenizer");
    }
    std::fs::copy(
        root.join("crates/fare-engine/tests/fixtures/gpt-oss/chat_template.jinja"),
        model.join("chat_template.jinja"),
    )
    .expect("copy the chat template");
    Some(model.to_str().expect("a UTF-8 path").to_owned())
}

#[test]
fn a_gpt_oss_prompt_is_harmony_with_the_reasoning_effort_asked_for() {
    let dir = Dir::new();
    let Some(model) = gptoss(&dir) else { return };
    dir.demo("d.sqlite");
    let prompt = |extra: &[&str]| {
        let mut args = vec!["prompt", "d.sqlite", "demo-pair-1", "--model", &model];
        args.extend_from_slice(extra);
        dir.run(&args).ok().stdout
    };
    let medium = prompt(&[]);
    assert!(
        medium.starts_with("<|start|>system<|message|>You are ChatGPT"),
        "{medium}"
    );
    assert!(medium.contains("\nReasoning: medium\n\n"), "{medium}");
    assert!(
        medium.contains(
            "<|start|>developer<|message|># Instructions\n\nPlease act as an impartial judge"
        ),
        "FARE's protocol is the developer message: {medium}"
    );
    assert!(medium.ends_with("[The End of Assistant B's Answer]<|end|><|start|>assistant"));
    let high = prompt(&["--reasoning-effort", "high"]);
    assert!(high.contains("\nReasoning: high\n\n"), "{high}");
    assert_eq!(
        high.replace("Reasoning: high", "Reasoning: medium"),
        medium,
        "only the effort differs"
    );
}
