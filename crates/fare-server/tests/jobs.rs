//! The model panel's commands over real HTTP: a real small model (SmolLM2-135M, fetched by
//! tests/fetch-test-assets.sh; SKIPPED without it, failing under CI) served as an
//! OpenAI-compatible endpoint in this process, loaded as the app's model, judging the demo
//! project's samples in a job that streams, finishes, continues its run, and cancels, while
//! the annotation API keeps answering.
//!
//! The worker process itself (a local model, its crash) is tested with the real binary in
//! fare-cli's `model_panel` tests.

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fare_app::api::OpenProject;
use fare_server::{ServeOptions, Token};

mod common;
use common::{Api, serve_api};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

/// Polls job `id` until `done` says so (within a minute); returns its last status.
fn job_until(api: &Api, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let job = api.ok("job", &json!({"id": id}));
        if done(&job) {
            return job;
        }
        assert!(started.elapsed() < Duration::from_mins(1), "{job}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ended(job: &Value) -> bool {
    ["finished", "cancelled", "failed"].contains(&job["state"].as_str().unwrap())
}

#[test]
fn a_job_judges_through_the_loaded_model_while_annotating_goes_on() {
    let Some(model) = smollm2() else { return };
    let evaluator = fare_engine::evaluator::Evaluator::load(
        &model,
        &candle_core::Device::Cpu,
        candle_core::DType::F32,
    )
    .unwrap();
    let mut endpoint_options = fare_endpoint::ServeOptions::new("smol");
    endpoint_options.addr = "127.0.0.1:0".parse().unwrap();
    let endpoint = fare_endpoint::serve(evaluator, &endpoint_options).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let project = fare_app::demo::build(&dir.path().join("demo.sqlite")).unwrap();
    let token = Token::random().unwrap();
    let api = serve_api(
        OpenProject::new(project, "ana"),
        &ServeOptions::new(token.clone()),
        token.as_str(),
    );

    // No model yet: a job is refused with the reason.
    assert_eq!(api.ok("worker", &json!({}))["state"], "unloaded");
    let (status, refused) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": [1]}}}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no model is loaded"),
        "{refused}"
    );
    // The server has no worker command: a local model cannot be loaded, an endpoint can.
    let listed = api.ok("models", &json!({}));
    assert_eq!(listed["devices"][0], "cpu");
    let (status, loading) = api.call(
        "load_model",
        &json!({"request": {"kind": "endpoint", "url": endpoint.base_url(), "model": "smol"}}),
    );
    assert_eq!(status, StatusCode::OK, "{loading}");
    let started = Instant::now();
    while api.ok("worker", &json!({}))["state"] == "loading" {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let worker = api.ok("worker", &json!({}));
    assert_eq!(worker["state"], "ready", "{worker}");
    assert_eq!(worker["kind"], "endpoint");

    // Three reference-free samples, the open filter of a person's queue.
    let page = api.ok(
        "samples",
        &json!({"query": {"task": "reference-free", "after": 0, "limit": 3}}),
    );
    let ids: Vec<i64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let (status, job) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": ids}, "max_new_tokens": 8}}),
    );
    assert_eq!(status, StatusCode::OK, "{job}");
    let id = job["id"].as_i64().unwrap();
    assert_eq!(job["total"], 3);

    // While it runs, the annotation API answers at once; the output streams into the status.
    let mut answered_while_running = 0;
    let mut seen_streaming = false;
    let status = loop {
        let job = api.ok("job", &json!({"id": id}));
        if ended(&job) {
            break job;
        }
        if job["current_sample"].is_i64() && !job["output"].as_str().unwrap().is_empty() {
            seen_streaming = true;
        }
        let asked = Instant::now();
        let (status, label) = api.call(
            "decide",
            &json!({"request": {"sample_id": ids[2], "decision": {"action": "note", "text": "seen"}}}),
        );
        assert_eq!(status, StatusCode::OK, "{label}");
        api.ok("sample", &json!({"id": ids[2]}));
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "annotating waited {:?} for the model",
            asked.elapsed()
        );
        answered_while_running += 1;
    };
    assert!(answered_while_running > 0);
    assert_eq!(status["state"], "finished", "{status}");
    assert_eq!(status["done"], 3, "{status}");
    assert_eq!(status["judged"], 3);
    assert_eq!(status["failed"], 0);
    assert!(status["tokens"].as_u64().unwrap() > 0, "{status}");
    assert!(status["tokens_per_second"].as_f64().unwrap() > 0.0);
    assert!(status["current_sample"].is_null());
    // The output was seen streaming, or the judging was too quick to watch: then the last
    // sample's output stays in the status.
    assert!(
        seen_streaming || !status["output"].as_str().unwrap().is_empty(),
        "{status}"
    );
    let run = status["run_id"].as_i64().unwrap();
    for &sample in &ids {
        let detail = api.ok("sample", &json!({"id": sample, "run": run}));
        let judged: Vec<&Value> = detail["judgments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["run_id"] == run)
            .collect();
        assert_eq!(judged.len(), 1, "{detail}");
        assert_eq!(judged[0]["model"], "smol");
    }
    let overview = api.ok("overview", &json!({}));
    let run_view = overview["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == run)
        .unwrap();
    assert_eq!(run_view["status"], "finished");
    assert_eq!(run_view["judgments"], 3);

    // The same settings again continue that run: the sample is skipped, not judged twice.
    let (_, again) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": [ids[0]]}, "max_new_tokens": 8}}),
    );
    let again = job_until(&api, again["id"].as_i64().unwrap(), ended);
    assert_eq!(again["state"], "finished", "{again}");
    assert_eq!(again["skipped"], 1);
    assert_eq!(again["judged"], 0);

    // A job over the filter, cancelled while it judges: it stops, keeping what it judged.
    let (_, job) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "filter", "query": {"task": "reference-free", "after": 0, "limit": 0}},
                            "max_new_tokens": 64, "new_run": true}}),
    );
    let id = job["id"].as_i64().unwrap();
    let running = job_until(&api, id, |j| j["current_sample"].is_i64() || ended(j));
    assert!(running["total"].as_u64().unwrap() > 20, "{running}");
    // A second job waits for none: it is refused while this one runs.
    let (status, busy) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": [ids[0]]}}}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{busy}");
    let (status, cancelling) = api.call("cancel_job", &json!({"id": id}));
    assert_eq!(status, StatusCode::OK);
    assert!(
        ["cancelling", "cancelled"].contains(&cancelling["state"].as_str().unwrap()),
        "{cancelling}"
    );
    let cancelled = job_until(&api, id, ended);
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    assert!(
        cancelled["done"].as_u64().unwrap() < cancelled["total"].as_u64().unwrap(),
        "{cancelled}"
    );
    let jobs = api.ok("jobs", &json!({}));
    assert_eq!(jobs.as_array().unwrap().len(), 3);
    assert_eq!(jobs[0]["id"], id, "newest first");

    // Unloading the model under a running job cancels the job; an unknown job is an error,
    // not a crash.
    let (_, job) = api.call(
        "start_job",
        &json!({"request": {"target": {"kind": "samples", "ids": ids}, "max_new_tokens": 64, "new_run": true}}),
    );
    let id = job["id"].as_i64().unwrap();
    job_until(&api, id, |j| j["current_sample"].is_i64() || ended(j));
    let (_, unloaded) = api.call("unload_model", &json!({}));
    assert_eq!(unloaded["state"], "unloaded");
    let stopped = job_until(&api, id, ended);
    assert_eq!(stopped["state"], "cancelled", "{stopped}");
    let (status, unknown) = api.call("job", &json!({"id": 99}));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unknown}");
    drop(endpoint);
}
