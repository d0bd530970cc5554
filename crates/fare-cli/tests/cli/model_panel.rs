//! The model panel through `fare-lens serve` as a real process: a real small model
//! (SmolLM2-135M, fetched by tests/fetch-test-assets.sh; SKIPPED without it, failing under CI)
//! in the `models/` folder beside the demo project is listed, loaded into a worker process (this
//! same binary, as `serve-model`), judges two samples in a job, and is killed in the middle of
//! another: the job and the worker say so, and the server goes on. A worker whose server is
//! killed ends with it. A tiny gpt-oss (see [`crate::gpt_oss`]) is listed with a memory
//! estimate per expert format and loaded with its experts re-quantised to Q8_0.

use std::process::Command;
use std::time::{Duration, Instant};

use fare_testkit::api::{Api, Serving, spawn_serving};
use serde_json::{Value, json};

use crate::support::{BIN, Dir};

fn smollm2() -> Option<std::path::PathBuf> {
    fare_testkit::smollm2()
}

/// Calls `command` with `args` until `done` says so (within `limit`); returns the last answer.
fn until(
    api: &Api,
    command: &str,
    args: &Value,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let value = api.ok(command, args);
        if done(&value) {
            return value;
        }
        assert!(started.elapsed() < limit, "{command} {args}: {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ended(job: &Value) -> bool {
    ["finished", "cancelled", "failed"].contains(&job["state"].as_str().unwrap_or_default())
}

/// Starts `fare-lens serve p.sqlite` in `dir` on a free port.
fn serve(dir: &Dir) -> (Serving, Api) {
    let serving = spawn_serving(
        Command::new(BIN)
            .args(["serve", "p.sqlite", "--addr", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env("CANDLE_NUM_THREADS", "2"),
    );
    let api = serving.api.clone();
    (serving, api)
}

#[test]
fn a_worker_process_judges_a_job_and_its_crash_is_reported() {
    let Some(model) = smollm2() else { return };
    let dir = Dir::new();
    dir.demo("p.sqlite");
    std::fs::create_dir(dir.path().join("models")).expect("a models folder");
    let placed = dir.path().join("models/smol.gguf");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&model, &placed).expect("link the model");
    #[cfg(not(unix))]
    std::fs::copy(&model, &placed).expect("copy the model");

    let (server, api) = serve(&dir);

    // The model beside the project is listed, with its memory estimate.
    let listed = api.ok("models", &json!({}));
    let smol = listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["name"] == "smol.gguf")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(smol["format"], "gguf");
    assert_eq!(smol["usable"], true);
    assert_eq!(smol["memory"][0]["dtype"], "Q4_1");
    assert!(smol["memory"][0]["total_bytes"].as_u64().unwrap_or(0) > 100_000_000);
    assert_eq!(listed["devices"][0], "cpu");

    // Loaded into a worker process, which answers once ready.
    let loading = api.ok(
        "load_model",
        &json!({"request": {"kind": "local", "path": smol["path"], "device": "cpu"}}),
    );
    assert_eq!(loading["state"], "loading", "{loading}");
    let worker = until(&api, "worker", &json!({}), Duration::from_mins(1), |w| {
        w["state"] != "loading"
    });
    assert_eq!(worker["state"], "ready", "{worker}");
    assert_eq!(worker["model"], "smol.gguf");
    let pid = worker["pid"].as_u64().expect("a worker process");
    assert!(
        worker["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("http://127.0.0.1:")
    );

    // Two samples judged end to end, stored, progress at its total.
    let page = api.ok(
        "samples",
        &json!({"query": {"task": "reference-free", "after": 0, "limit": 6}}),
    );
    let ids: Vec<i64> = page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    let job = api.ok(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": &ids[..2]}, "max_new_tokens": 8}}),
    );
    let id = job["id"].as_i64().expect("a job id");
    let done = until(
        &api,
        "job",
        &json!({"id": id}),
        Duration::from_mins(1),
        ended,
    );
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!(done["done"], 2);
    assert_eq!(done["total"], 2);
    assert_eq!(done["judged"], 2);
    let run = done["run_id"].as_i64().expect("a run");
    for sample in &ids[..2] {
        let detail = api.ok("sample", &json!({"id": sample, "run": run}));
        let judgments = detail["judgments"].as_array().expect("judgments");
        assert!(
            judgments
                .iter()
                .any(|j| j["run_id"] == run && j["model"] == "smol.gguf"),
            "{detail}"
        );
    }

    // Killed while it judges: the job fails with the worker's reason, the worker says it
    // stopped, and the server answers on.
    let job = api.ok(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": &ids[2..]}, "max_new_tokens": 256, "new_run": true}}),
    );
    let id = job["id"].as_i64().expect("a job id");
    until(
        &api,
        "job",
        &json!({"id": id}),
        Duration::from_mins(1),
        |j| j["current_sample"].is_i64() || ended(j),
    );
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let failed = until(
        &api,
        "job",
        &json!({"id": id}),
        Duration::from_secs(30),
        ended,
    );
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .contains("the model worker stopped"),
        "{failed}"
    );
    let worker = api.ok("worker", &json!({}));
    assert_eq!(worker["state"], "failed", "{worker}");
    assert!(worker["pid"].is_null(), "{worker}");
    assert!(
        api.ok("overview", &json!({}))["samples"]
            .as_i64()
            .unwrap_or(0)
            > 0
    );
    let unloaded = api.ok("unload_model", &json!({}));
    assert_eq!(unloaded["state"], "unloaded");

    // A worker never outlives the app: the server killed, its worker ends too.
    api.ok(
        "load_model",
        &json!({"request": {"kind": "local", "path": smol["path"]}}),
    );
    let worker = until(&api, "worker", &json!({}), Duration::from_mins(1), |w| {
        w["state"] != "loading"
    });
    let pid = worker["pid"].as_u64().expect("a worker process");
    assert!(alive(pid));
    drop(server);
    let killed = Instant::now();
    while alive(pid) {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "worker {pid} outlived its server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` runs (a zombie waiting to be reaped does not).
#[cfg(target_os = "linux")]
fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .map(str::trim_start)
            .is_some_and(|s| !s.starts_with('Z'))
    })
}

/// Whether process `pid` runs.
#[cfg(not(target_os = "linux"))]
fn alive(pid: u64) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_gpt_oss_model_is_listed_per_expert_format_and_loaded_as_chosen() {
    let Some(tokenizer) = crate::gpt_oss::gpt_oss_tokenizer() else {
        return;
    };
    let dir = Dir::new();
    dir.demo("p.sqlite");
    crate::gpt_oss::tiny_gpt_oss(&dir.path().join("models"), &tokenizer);
    let (_server, api) = serve(&dir);

    let listed = api.ok("models", &json!({}));
    let oss = listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["name"] == "gpt-oss-tiny")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(oss["architecture"], "gpt_oss");
    assert_eq!(oss["usable"], true, "{oss}");
    let estimates = oss["memory"].as_array().expect("estimates");
    let total = |dtype: &str, experts: &str| {
        estimates
            .iter()
            .find(|e| e["dtype"] == dtype && e["experts"] == experts)
            .and_then(|e| e["total_bytes"].as_u64())
            .unwrap_or_else(|| panic!("no {dtype} {experts} in {oss}"))
    };
    assert!(total("f32", "q8_0") < total("f32", "dequantized"));
    assert!(total("f32", "q4_0") < total("f32", "q8_0"));

    // Experts on a model without them, or of no known format, are refused before any process.
    let refused = api
        .http
        .post(format!("{}/api/load_model", api.base))
        .json(&json!({"request": {"kind": "local", "path": oss["path"], "experts": "q3"}}))
        .send()
        .expect("the server answers");
    assert!(!refused.status().is_success());
    assert!(
        refused
            .text()
            .unwrap_or_default()
            .contains("unknown expert format `q3`"),
        "the refusal names the format"
    );

    let loading = api.ok(
        "load_model",
        &json!({"request": {"kind": "local", "path": oss["path"], "device": "cpu", "experts": "q8_0"}}),
    );
    assert_eq!(loading["state"], "loading", "{loading}");
    let worker = until(&api, "worker", &json!({}), Duration::from_mins(1), |w| {
        w["state"] != "loading"
    });
    assert_eq!(worker["state"], "ready", "{worker}");
    assert_eq!(worker["dtype"], "f32, experts q8_0", "{worker}");

    // One sample judged through the worker.
    let page = api.ok(
        "samples",
        &json!({"query": {"task": "reference-free", "after": 0, "limit": 1}}),
    );
    let id = page["rows"][0]["id"].as_i64().expect("a sample");
    let job = api.ok(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": [id]}, "max_new_tokens": 4}}),
    );
    let job_id = job["id"].as_i64().expect("a job id");
    let done = until(
        &api,
        "job",
        &json!({"id": job_id}),
        Duration::from_mins(1),
        ended,
    );
    assert_eq!(
        (done["state"].as_str(), done["judged"].as_i64()),
        (Some("finished"), Some(1)),
        "{done}"
    );
}

#[test]
fn a_model_too_large_for_the_memory_fails_its_worker_with_both_sizes_and_the_app_goes_on() {
    if !cfg!(target_os = "linux") {
        return; // the CPU's free memory is read from /proc/meminfo
    }
    let dir = Dir::new();
    dir.demo("p.sqlite");
    std::fs::create_dir(dir.path().join("models")).expect("a models folder");
    crate::devices::huge_model(&dir.path().join("models"));
    let (_server, api) = serve(&dir);
    let listed = api.ok("models", &json!({}));
    assert!(
        listed["gpu_memory"].is_null() || cfg!(feature = "cuda"),
        "{listed}"
    );
    let huge = listed["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["name"] == "huge-qwen3")
        .expect("listed")
        .clone();
    api.ok(
        "load_model",
        &json!({"request": {"kind": "local", "path": huge["path"], "device": "cpu"}}),
    );
    // The worker's last words (its error line) join the failure once read from its stderr.
    let worker = until(&api, "worker", &json!({}), Duration::from_mins(1), |w| {
        w["state"] != "loading" && w["error"].to_string().contains("needs about")
    });
    assert_eq!(worker["state"], "failed", "{worker}");
    let error = worker["error"].to_string();
    assert!(
        error.contains("needs about 1099.5 GB of memory, but") && error.contains("is free (of"),
        "{worker}"
    );
    // The app answers as before.
    let overview = api.ok("overview", &json!({}));
    assert!(overview.is_object(), "{overview}");
}
