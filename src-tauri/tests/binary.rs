//! The desktop executable's command line, without a window: `--help`, a refused option, and its
//! second life as the app's model worker (`fare-lens-desktop serve-model MODEL`, which the app
//! starts as a child process) answering `/health` and a chat completion on the real SmolLM2
//! GGUF (fetched by tests/fetch-test-assets.sh; SKIPPED without it, failing under CI).
//!
//! Building this test is also what puts the executable where the desktop smoke test
//! (tests/desktop/smoke.mjs) finds it, built with the same features as the rest of the
//! workspace's tests, so CI compiles the app once.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fare-lens-desktop");

#[test]
fn help_names_the_project_argument_and_exits_zero() {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Usage: fare-lens-desktop [--data FOLDER]... [PROJECT]"),
        "{text}"
    );
    assert!(text.contains("FARE_LENS_ENDPOINTS"), "{text}");
}

#[test]
fn data_without_a_folder_is_refused_before_any_window() {
    let out = Command::new(BIN)
        .arg("--data")
        .output()
        .expect("run with --data alone");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("--data needs a folder"), "{text}");
}

#[test]
fn an_unknown_option_is_refused_by_name_before_any_window() {
    let out = Command::new(BIN)
        .arg("--frobnicate")
        .output()
        .expect("run with an unknown option");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unknown option --frobnicate"), "{text}");
}

#[test]
fn the_worker_without_a_model_says_which_argument_is_missing() {
    let out = Command::new(BIN)
        .arg("serve-model")
        .output()
        .expect("run serve-model");
    assert!(!out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("which model?"), "{text}");
}

/// The worker process, killed when the test ends however it ends.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

#[test]
fn the_executable_serves_a_model_as_the_apps_worker() {
    let Some(model) = smollm2() else { return };
    let mut child = Command::new(BIN)
        .arg("serve-model")
        .arg(&model)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--name",
            "smol",
            "--exit-with-stdin",
        ])
        .env("CANDLE_NUM_THREADS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start fare-lens-desktop serve-model");
    let stdout = child.stdout.take().expect("stdout");
    let worker = Worker(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_mins(1))
        .expect("the worker printed no address within 60 s");
    let url = line
        .trim()
        .strip_prefix("serving smol at ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let base = url.strip_suffix("/v1").expect("an OpenAI-style base URL");

    let client = reqwest::blocking::Client::new();
    let health = client
        .get(format!("{base}/health"))
        .send()
        .expect("GET /health");
    assert_eq!(health.status(), 200);

    let answer: serde_json::Value = client
        .post(format!("{url}/chat/completions"))
        .json(&serde_json::json!({
            "model": "smol",
            "messages": [{"role": "user", "content": "Is 2 + 2 = 4? Answer yes or no."}],
            "max_tokens": 4,
            "temperature": 0,
        }))
        .send()
        .expect("POST /v1/chat/completions")
        .json()
        .expect("a JSON answer");
    let content = answer["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no message content in {answer}"));
    let generated = answer["usage"]["completion_tokens"].as_u64();
    assert!(
        matches!(generated, Some(1..=4)),
        "{generated:?} tokens for a limit of 4: {answer}"
    );
    assert!(
        !content.is_empty() || answer["choices"][0]["finish_reason"] == "stop",
        "{answer}"
    );
    drop(worker);
}
