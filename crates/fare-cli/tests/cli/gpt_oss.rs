//! `fare-lens judge` with a gpt-oss model (FARE-20B's architecture) end to end: a tiny random
//! gpt-oss with the real vocabulary (201088 tokens, hidden 64) and its experts in MXFP4, as
//! gpt-oss checkpoints ship them, written at test time (`fare_bench::engine::write_model`),
//! with the real gpt-oss tokenizer (fetched by tests/fetch-test-assets.sh; SKIPPED without it,
//! failing under CI) and a minimal harmony chat template made for this test (not OpenAI's). The
//! model is listed by `models`, judges every sample with its experts dequantised and
//! re-quantised to Q4_0, and a bad expert format is refused. Random weights write random text:
//! the verdicts are not asserted, only the pipeline.

use std::path::{Path, PathBuf};

use fare_bench::engine::{Experts, FileDType, ModelShape, write_model};
use serde_json::Value;

use crate::support::Dir;

/// The real gpt-oss `tokenizer.json`, or None (with SKIPPED printed) when it was not fetched.
pub fn gpt_oss_tokenizer() -> Option<PathBuf> {
    fare_testkit::asset("tokenizer-gptoss/tokenizer.json")
}

/// A harmony prompt with the least a template needs, for this test only: each message as
/// `<|start|>ROLE<|message|>TEXT<|end|>`, then the assistant's turn. OpenAI's template adds a
/// system message of its own, reasoning effort and channels.
const TEST_HARMONY_TEMPLATE: &str = "{#- A minimal harmony template for tests, not OpenAI's. -#}
{%- for message in messages -%}
<|start|>{{ message.role }}<|message|>{{ message.content }}<|end|>
{%- endfor -%}
{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}
";

/// Writes the tiny gpt-oss into `folder/gpt-oss-tiny`.
pub fn tiny_gpt_oss(folder: &Path, tokenizer: &Path) -> PathBuf {
    let dir = folder.join("gpt-oss-tiny");
    let shape = ModelShape {
        name: "gpt-oss-tiny".into(),
        hidden: 64,
        layers: 2,
        heads: 4,
        kv_heads: 2,
        head_dim: 16,
        intermediate: 64,
        vocab: 201_088,
        tied: false,
        max_positions: 131_072,
        moe: Some(Experts {
            experts: 4,
            top_k: 2,
            sliding_window: 8,
        }),
    };
    write_model(&dir, &shape, FileDType::Bf16, 5).expect("write the tiny gpt-oss");
    std::fs::copy(tokenizer, dir.join("tokenizer.json")).expect("copy the tokenizer");
    std::fs::write(dir.join("chat_template.jinja"), TEST_HARMONY_TEMPLATE).expect("template");
    dir
}

#[test]
fn judge_runs_a_tiny_gpt_oss_with_mxfp4_experts_end_to_end() {
    let Some(tokenizer) = gpt_oss_tokenizer() else {
        return;
    };
    let dir = Dir::new();
    let models = dir.path().join("models");
    let model = tiny_gpt_oss(&models, &tokenizer);
    dir.write(
        "pb.json",
        r#"[{"id": "t-0", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1},
            {"id": "t-1", "problem": "2 + 2?", "steps": ["2 + 2 = 5."], "label": 0}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);

    // Listed as a usable gpt-oss model with MXFP4 experts.
    let listed: Value = dir.json(&["models", "--dir", "models", "--json"]);
    let found = &listed.as_array().expect("a list")[0];
    assert_eq!(found["architecture"], "gpt_oss", "{found}");
    assert_eq!(found["dtype"], "bfloat16, experts mxfp4", "{found}");
    assert_eq!(found["usable"], true, "{found}");

    let model = model.to_str().expect("a UTF-8 path");
    for (experts, run) in [("dequantized", 1), ("q4_0", 2)] {
        let report = dir.json(&[
            "judge",
            "p.sqlite",
            "--model",
            model,
            "--experts",
            experts,
            "--max-new-tokens",
            "4",
            "--new-run",
            "--json",
        ]);
        assert_eq!(report["run_id"].as_i64(), Some(run), "{report}");
        assert_eq!(report["judged"].as_i64(), Some(2), "{report}");
    }
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(samples.total, 2);
    for row in &samples.rows {
        let state = row["parse_state"].as_str().unwrap_or("none");
        assert!(
            ["parsed", "unparseable", "truncated"].contains(&state),
            "{row}"
        );
    }

    let refused = dir.run(&["judge", "p.sqlite", "--model", model, "--experts", "q2_k"]);
    assert_ne!(refused.code, Some(0));
    assert!(
        refused
            .stderr
            .contains("unknown expert format `q2_k` (dequantized, q8_0, q4_0)"),
        "{}",
        refused.stderr
    );
}
