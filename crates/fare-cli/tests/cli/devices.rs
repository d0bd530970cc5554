//! Devices and memory from the command line: a model larger than the memory it would be loaded
//! into is refused before loading by `judge` and `serve-model`, naming both sizes, with nothing
//! stored; a GPU asked of a build without it names the build to make; `bench logits` writes
//! the engine's logits for a comparison with transformers (the GPU check's first stage).

use std::path::{Path, PathBuf};

use crate::support::Dir;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fare-engine/tests/fixtures")
        .join(name)
}

/// A Qwen3 folder whose (sparse) weights file claims a terabyte: more than any test machine
/// has, and no disk spent.
pub fn huge_model(dir: &Path) -> PathBuf {
    let model = dir.join("huge-qwen3");
    std::fs::create_dir_all(&model).expect("a model folder");
    std::fs::copy(fixture("qwen3-tiny/config.json"), model.join("config.json")).expect("config");
    // Never read: the size is refused first.
    std::fs::write(
        model.join("tokenizer.json"),
        r#"{"version": "1.0", "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}"#,
    )
    .expect("tokenizer");
    std::fs::write(
        model.join("tokenizer_config.json"),
        r#"{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}"#,
    )
    .expect("template");
    let weights = std::fs::File::create(model.join("model.safetensors")).expect("weights");
    weights.set_len(1 << 40).expect("a sparse terabyte");
    model
}

fn step_project(dir: &Dir) {
    dir.write(
        "pb.json",
        r#"[{"id": "t-0", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);
}

#[test]
fn a_model_larger_than_the_free_memory_is_refused_before_loading_with_both_sizes() {
    if !cfg!(target_os = "linux") {
        return; // the CPU's free memory is read from /proc/meminfo
    }
    let dir = Dir::new();
    step_project(&dir);
    let model = huge_model(dir.path());
    let model = model.to_str().expect("UTF-8");
    let run = dir.run(&["judge", "p.sqlite", "--model", model]).fails();
    assert!(
        run.stderr
            .contains("huge-qwen3 as f32 needs about 1099.5 GB of memory, but ")
            && run.stderr.contains(" is free (of "),
        "{run:?}"
    );
    let json = dir.json(&["samples", "p.sqlite", "--json"]);
    assert!(
        json["samples"][0]["parse_state"].is_null(),
        "nothing judged: {json}"
    );
    let run = dir
        .run(&["serve-model", model, "--addr", "127.0.0.1:0"])
        .fails();
    assert!(
        run.stderr.contains("needs about 1099.5 GB of memory"),
        "{run:?}"
    );
}

#[cfg(not(feature = "cuda"))]
#[test]
fn a_gpu_asked_of_a_cpu_build_names_the_build_to_make() {
    let dir = Dir::new();
    step_project(&dir);
    let model = fixture("qwen3-tiny");
    let run = dir
        .run(&[
            "judge",
            "p.sqlite",
            "--model",
            model.to_str().expect("UTF-8"),
            "--device",
            "cuda",
        ])
        .fails();
    assert!(
        run.stderr.contains("this build of FARE Lens runs on cpu only; cuda needs a build with the `cuda` feature (bash src-tauri/build-cuda.sh)"),
        "{run:?}"
    );
    let run = dir.run(&[
        "judge",
        "p.sqlite",
        "--model",
        model.to_str().expect("UTF-8"),
        "--device",
        "tpu",
    ]);
    // Refused as it is read, with the usage error's code, before anything is opened.
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("unknown device `tpu` (cpu, cuda, cuda:N, metal)"),
        "{run:?}"
    );
}

#[test]
fn bench_logits_writes_the_logits_transformers_wrote_and_a_full_pass_agrees_with_the_cache() {
    let dir = Dir::new();
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("qwen3-tiny/golden_logits.json")).expect("golden"),
    )
    .expect("JSON");
    let case = &golden["prompts"][0];
    let ids: Vec<u64> = case["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_u64().expect("id"))
        .collect();
    let request = dir.write(
        "request.json",
        serde_json::json!({"prompts": [ids, [7, 8, 9]], "decode": 4}).to_string(),
    );
    let out = dir.path().join("logits.f32");
    let model = fixture("qwen3-tiny");
    let report = dir.json(&[
        "bench",
        "logits",
        "--model",
        model.to_str().expect("UTF-8"),
        "--request",
        request.to_str().expect("UTF-8"),
        "--out",
        out.to_str().expect("UTF-8"),
        "--full-check",
    ]);
    let vocab = usize::try_from(report["vocab"].as_u64().expect("vocab")).expect("usize");
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2 * 5);
    let bytes = std::fs::read(&out).expect("logits");
    assert_eq!(bytes.len(), rows.len() * vocab * 4);
    assert_eq!(
        report["sequences"][0].as_array().expect("tokens").len(),
        ids.len() + 4
    );
    let worst = report["kv_vs_full_max_abs"].as_f64().expect("checked");
    assert!(worst < 1e-4, "KV cache against a full pass: {worst}");
    // Row 0 is the prompt's last position: transformers' golden logits for these ids.
    let theirs = case["logits"]
        .as_array()
        .expect("logits")
        .last()
        .expect("a row");
    for (i, want) in theirs.as_array().expect("row").iter().enumerate() {
        let got = f32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
        let want = want.as_f64().expect("number");
        assert!(
            (f64::from(got) - want).abs() < 1e-4,
            "logit {i}: {got} vs {want}"
        );
    }
    assert!(rows[1]["kv_vs_full_max_abs"].as_f64().is_some());
}
