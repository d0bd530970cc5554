//! `fare-lens serve-model` as a real child process on a free loopback port, and `fare-lens
//! judge --model http://…/v1` judging the demo project through it (SmolLM2-135M, fetched by
//! tests/fetch-test-assets.sh; SKIPPED without it, failing under CI).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{BIN, Dir};

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn smollm2() -> Option<String> {
    fare_testkit::smollm2().map(|p| p.to_str().expect("a UTF-8 path").to_owned())
}

#[test]
fn judge_goes_through_a_served_model() {
    let Some(model) = smollm2() else { return };
    let dir = Dir::new();
    let mut child = Command::new(BIN)
        .args([
            "serve-model",
            &model,
            "--addr",
            "127.0.0.1:0",
            "--name",
            "smol",
        ])
        .env("CANDLE_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start fare-lens serve-model");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    // The first line says where it listens; read it on a thread so a silent server cannot hang
    // the test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_mins(1))
        .expect("serve-model printed no address within 60 s");
    let url = line
        .trim()
        .strip_prefix("serving smol at ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"),
        "{url}"
    );

    dir.demo("p.sqlite");
    let report = dir.json(&[
        "judge",
        "p.sqlite",
        "--model",
        &url,
        "--model-name",
        "smol",
        "--limit",
        "2",
        "--max-new-tokens",
        "8",
        "--json",
    ]);
    assert_eq!(report["judged"].as_i64(), Some(2), "{report}");
    let run_id = report["run_id"].as_i64().expect("a run");
    let samples = dir.samples("p.sqlite", &["--run", &run_id.to_string()]);
    let judged: Vec<_> = samples
        .rows
        .iter()
        .filter_map(|r| r["parse_state"].as_str())
        .collect();
    assert_eq!(judged.len(), 2, "{:?}", samples.rows);
    for state in judged {
        assert!(
            ["parsed", "unparseable", "truncated"].contains(&state),
            "{state}"
        );
    }
    // An endpoint without a model name is refused before anything is sent.
    let refused = dir
        .run(&["judge", "p.sqlite", "--model", &url, "--limit", "1"])
        .fails();
    assert!(
        refused.stderr.contains("--model-name is required"),
        "{refused:?}"
    );
    drop(server);
}
