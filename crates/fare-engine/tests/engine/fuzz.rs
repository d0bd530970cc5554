//! Fuzzing what the engine reads from a model's files, which come from whoever made them: the
//! chat template (random Jinja made of the pieces real templates use) and GGUF headers (a real
//! header, SmolLM2's when fetched, else one written here, with bytes flipped, inserted and cut).
//! Rendering may fail, with a message; listing a GGUF file may call it unusable; neither may
//! panic, loop for ever (templates run on fuel) or take memory the file does not justify.
//!
//! `FARE_LENS_FUZZ_CASES` sets the cases per target (64 by default, what CI runs).

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use fare_engine::chat::{ChatTemplate, Message, RenderOptions};
use fare_engine::discover::discover;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FARE_LENS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn jinja_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "{{ ",
            " }}",
            "{% ",
            " %}",
            "{%- ",
            " -%}",
            "{# ",
            " #}",
            "for m in messages",
            "endfor",
            "if ",
            "elif ",
            "else",
            "endif",
            "set x = ",
            "x",
            "m",
            "m.role",
            "m['content']",
            "messages[0]",
            "messages|length",
            "|tojson",
            "|tojson(indent=2)",
            "|trim",
            "|upper",
            "loop.index",
            "loop.last",
            "range(",
            "range(100000)",
            ")",
            "(",
            "[",
            "]",
            ",",
            "'a'",
            "\"b\"",
            " ~ ",
            " + ",
            " * ",
            " - ",
            " == ",
            " and ",
            " or ",
            " not ",
            " is defined",
            "0",
            "1",
            "-1",
            "99999999999",
            "raise_exception('no')",
            "strftime_now('%Y-%m-%d')",
            "add_generation_prompt",
            "enable_thinking",
            "bos_token",
            "eos_token",
            ".split(' ')",
            ".startswith('a')",
            "namespace(y=1)",
            "macro f()",
            "endmacro",
            "f()",
            "\n",
            "<|im_start|>",
            "<|im_end|>",
            "é🙂",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,4}",
    ]
}

fn gguf_seed() -> Vec<u8> {
    // The real model's header when the test assets are here; else a header written here (the
    // fuzz test runs either way).
    let smol = fare_testkit::assets().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if let Ok(mut file) = std::fs::File::open(&smol) {
        // Its header and the start of its tensor data: what the model list reads.
        use std::io::Read;
        let mut head = vec![0u8; 4 << 20];
        let n = file.read(&mut head).unwrap();
        head.truncate(n);
        return head;
    }
    // A header written here: an architecture, a context length, a small vocabulary.
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend(3u64.to_le_bytes());
    let string = |b: &mut Vec<u8>, s: &str| {
        b.extend((s.len() as u64).to_le_bytes());
        b.extend(s.as_bytes());
    };
    string(&mut b, "general.architecture");
    b.extend(8u32.to_le_bytes());
    string(&mut b, "llama");
    string(&mut b, "llama.context_length");
    b.extend(4u32.to_le_bytes());
    b.extend(2048u32.to_le_bytes());
    string(&mut b, "tokenizer.ggml.tokens");
    b.extend(9u32.to_le_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend(2u64.to_le_bytes());
    string(&mut b, "a");
    string(&mut b, "b");
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_chat_template_renders_or_fails_without_panicking(pieces in prop::collection::vec(jinja_piece(), 0..40), content in "\\PC{0,40}") {
        let source: String = pieces.concat();
        let template = ChatTemplate::new(&source, Some("<s>"), Some("</s>"));
        let messages = [Message::new("system", "Judge."), Message::new("user", &content)];
        let _ = template.render(&messages, &RenderOptions::default());
    }

    #[test]
    fn mutated_gguf_headers_are_listed_without_panicking(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        cut in prop::option::of(any::<usize>()),
    ) {
        static SEED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let mut bytes = SEED.get_or_init(gguf_seed).clone();
        // Mostly the header's first kilobytes: where the lengths and types are.
        for (at, b) in flips {
            let i = at % bytes.len().min(64 << 10);
            bytes[i] ^= b | 1;
        }
        if let Some(at) = cut {
            bytes.truncate(at % (bytes.len() + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.gguf"), &bytes).unwrap();
        let found = discover(&[dir.path().to_owned()], None);
        prop_assert_eq!(found.len(), 1);
    }
}
