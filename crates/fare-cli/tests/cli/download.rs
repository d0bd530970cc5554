//! `fare-lens download` against a Hugging Face hub on loopback ([`fare_testkit::hub`]), with
//! `HF_ENDPOINT`, `HF_HOME` and `HF_TOKEN` set as a user would, and the downloaded models
//! then used through the normal pipeline: the real SmolLM2 GGUF judges samples from the
//! cache; a tiny random Qwen3 with FARE-8B's vocabulary and layout (and the real Qwen3
//! tokenizer and chat template) is downloaded as safetensors, converted to Q8_0 (`convert`,
//! tokenizer kept beside the GGUF) and judges with it. Random weights write random text: the
//! verdicts are not asserted, only the pipeline. Without the test assets, SKIPPED (failing
//! under CI).

use std::path::Path;

use fare_bench::engine::{FileDType, ModelShape, write_model};
use fare_testkit::hub::{COMMIT, TestHub, TestRepo};
use serde_json::Value;

use crate::support::Dir;

/// Three short step-level samples.
fn project(dir: &Dir) {
    dir.write(
        "pb.json",
        r#"[{"id": "t-0", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1},
            {"id": "t-1", "problem": "2 + 2?", "steps": ["2 + 2 = 5."], "label": 0}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);
}

fn env<'a>(hub: &'a TestHub, home: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("HF_ENDPOINT", hub.url()), ("HF_HOME", home)]
}

fn judged(dir: &Dir, model: &str) -> Value {
    dir.json(&[
        "judge",
        "p.sqlite",
        "--model",
        model,
        "--max-new-tokens",
        "4",
        "--new-run",
        "--json",
    ])
}

#[test]
fn a_downloaded_gguf_model_is_listed_and_judges_from_the_cache() {
    let Some(smol) = fare_testkit::smollm2() else {
        return;
    };
    let hub = TestHub::start(vec![
        TestRepo::new("test-org/SmolLM2-135M-GGUF")
            .file_from("SmolLM2-135M-Instruct.Q4_1.gguf", &smol)
            .file("README.md", "# SmolLM2, for tests\n"),
    ]);
    let dir = Dir::new();
    project(&dir);
    let home = dir.path().join("hf");
    let home = home.to_str().unwrap();

    let done = dir
        .run_with(
            &["download", "test-org/SmolLM2-135M-GGUF", "--json"],
            &env(&hub, home),
        )
        .ok()
        .json();
    let snapshot = Path::new(home)
        .join("hub/models--test-org--SmolLM2-135M-GGUF/snapshots")
        .join(COMMIT);
    assert_eq!(done["snapshot"].as_str(), snapshot.to_str(), "{done}");
    assert_eq!(done["files"], 2, "{done}");
    assert_eq!(done["bytes"].as_u64(), Some(98_362_432 + 21), "{done}");

    // `models` finds it in the cache HF_HOME names, usable.
    let listed: Value = dir
        .run_with(&["models", "--json"], &env(&hub, home))
        .ok()
        .json();
    let found = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "test-org/SmolLM2-135M-GGUF")
        .unwrap_or_else(|| panic!("not listed: {listed}"))
        .clone();
    assert_eq!(found["usable"], true, "{found}");

    let report = judged(&dir, found["path"].as_str().unwrap());
    assert_eq!(report["judged"].as_i64(), Some(2), "{report}");

    // The people's output: without a name, the FARE models and what the cache holds of each.
    let list = dir.run_with(&["download"], &env(&hub, home)).ok();
    assert!(
        list.stdout.contains("Salesforce/FARE-8B"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("license: cc-by-nc-4.0"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("not downloaded"), "{}", list.stdout);
}

#[test]
fn a_gated_model_asks_for_hf_token_and_downloads_with_it() {
    let mut gated = TestRepo::new("test-org/gated")
        .file("config.json", "{}")
        .file("w.bin", vec![7u8; 4096]);
    gated.token = Some("hf_test_token".to_owned());
    let hub = TestHub::start(vec![gated]);
    let dir = Dir::new();
    let home = dir.path().join("hf");
    let home = home.to_str().unwrap();
    let refused = dir
        .run_with(&["download", "test-org/gated"], &env(&hub, home))
        .fails();
    assert!(
        refused.stderr.contains("needs a Hugging Face token"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("set HF_TOKEN"),
        "{}",
        refused.stderr
    );

    let mut with_token = env(&hub, home);
    with_token.push(("HF_TOKEN", "hf_test_token"));
    let done = dir
        .run_with(&["download", "test-org/gated", "--json"], &with_token)
        .ok()
        .json();
    assert_eq!(done["files"], 2, "{done}");
}

#[test]
fn fare_8b_downloaded_as_safetensors_is_converted_to_q8_0_and_judges() {
    let Some(tokenizer) = fare_testkit::qwen3_tokenizer() else {
        return;
    };
    // FARE-8B's layout (config, safetensors, tokenizer, chat template), at a tiny width.
    let dir = Dir::new();
    let source = dir.path().join("source");
    let shape = ModelShape {
        name: "fare-8b-tiny".into(),
        hidden: 64,
        layers: 2,
        heads: 4,
        kv_heads: 2,
        head_dim: 16,
        intermediate: 128,
        vocab: 151_936,
        tied: true,
        max_positions: 40_960,
        moe: None,
    };
    write_model(&source, &shape, FileDType::Bf16, 3).unwrap();
    let mut repo = TestRepo::new("test-org/FARE-8B-tiny");
    for file in std::fs::read_dir(&source).unwrap().filter_map(Result::ok) {
        repo = repo.file_from(&file.file_name().to_string_lossy(), &file.path());
    }
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        repo = repo.file_from(file, &tokenizer.join(file));
    }
    let hub = TestHub::start(vec![repo]);
    project(&dir);
    let home = dir.path().join("hf");
    let home = home.to_str().unwrap();
    let done = dir
        .run_with(
            &["download", "test-org/FARE-8B-tiny", "--json"],
            &env(&hub, home),
        )
        .ok()
        .json();
    let snapshot = done["snapshot"].as_str().unwrap().to_owned();

    // Judges as downloaded (bf16 safetensors) …
    assert_eq!(judged(&dir, &snapshot)["judged"].as_i64(), Some(2));
    // … and converted for a CPU: a folder with the GGUF file and the tokenizer beside it.
    dir.run(&["convert", &snapshot, "-o", "models/FARE-8B-tiny-q8_0"])
        .ok();
    let gguf = dir.path().join("models/FARE-8B-tiny-q8_0/model.q8_0.gguf");
    assert!(gguf.is_file());
    assert!(
        dir.path()
            .join("models/FARE-8B-tiny-q8_0/tokenizer.json")
            .is_file()
    );
    let listed: Value = dir.json(&["models", "--dir", "models", "--json"]);
    let found = &listed.as_array().unwrap()[0];
    assert_eq!(
        (
            &found["name"],
            &found["format"],
            &found["dtype"],
            &found["usable"]
        ),
        (
            &Value::from("FARE-8B-tiny-q8_0"),
            &Value::from("gguf"),
            &Value::from("Q8_0"),
            &Value::from(true)
        ),
        "{found}"
    );
    assert_eq!(
        judged(&dir, gguf.to_str().unwrap())["judged"].as_i64(),
        Some(2)
    );

    // A GGUF file name for -o is refused, saying why.
    let refused = dir.run(&["convert", &snapshot, "-o", "x.gguf"]).fails();
    assert!(
        refused.stderr.contains("-o names a folder"),
        "{}",
        refused.stderr
    );
}
