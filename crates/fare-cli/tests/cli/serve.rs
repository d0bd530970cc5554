//! `fare-lens serve` as a real process: it prints where it listens, with a token that the API
//! requires on loopback too, serves the demo project's API there (`POST /api/{command}`), and
//! answers only to its own names; the command line and the server name one person alike.

use std::process::Command;

use fare_testkit::api::{Api, Serving, spawn_serving};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::support::{BIN, Dir};

/// Starts `fare-lens serve` with `args` and returns it with the address it printed.
fn start(dir: &Dir, args: &[&str]) -> (Serving, Api) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    start_command(dir, &all)
}

/// Starts `fare-lens ARGS` (a command that serves) and returns it with the address it printed.
fn start_command(dir: &Dir, args: &[&str]) -> (Serving, Api) {
    spawn(Command::new(BIN).args(args).current_dir(dir.path()))
}

/// Starts `command` (a `fare-lens` command that serves) and returns it with its API.
fn spawn(command: &mut Command) -> (Serving, Api) {
    let serving = spawn_serving(command);
    let api = serving.api.clone();
    (serving, api)
}

#[test]
fn serve_on_loopback_answers_only_with_its_token_and_to_its_own_names() {
    let dir = Dir::new();
    dir.run(&["demo", "demo.sqlite"]).ok();
    let (_server, served) = start(
        &dir,
        &["demo.sqlite", "--addr", "127.0.0.1:0", "--annotator", "ana"],
    );
    assert_eq!(served.token.len(), 32, "a random token: {}", served.token);
    let api = format!("{}/api/overview", served.base);
    // Another user of the machine, or a page in the browser, without the token.
    let denied = Client::new().post(&api).send().expect("an answer");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let (status, overview) = served.call("overview", &json!({}));
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert_eq!(overview["annotator"], "ana");
    assert!(overview["samples"].as_i64().unwrap_or(0) > 0, "{overview}");
    assert_eq!(overview["datasets"].as_array().map(Vec::len), Some(5));
    // A DNS-rebinding page: its own name, resolved to loopback.
    let port = served.port();
    let rebound = served
        .http
        .post(&api)
        .header(reqwest::header::HOST, format!("attacker.example:{port}"))
        .send()
        .expect("an answer");
    assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
    // A name given with --allow-host passes.
    let (_named, named) = start(
        &dir,
        &[
            "demo.sqlite",
            "--addr",
            "127.0.0.1:0",
            "--allow-host",
            "lab-box",
        ],
    );
    let port = named.port();
    let allowed = named
        .http
        .post(format!("{}/api/overview", named.base))
        .header(reqwest::header::HOST, format!("lab-box:{port}"))
        .send()
        .expect("an answer");
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[test]
fn a_chosen_token_too_short_to_be_secret_is_refused() {
    let dir = Dir::new();
    let refused = dir
        .run(&[
            "serve",
            "p.sqlite",
            "--addr",
            "127.0.0.1:0",
            "--token",
            "abc",
        ])
        .fails();
    assert!(refused.stderr.contains("--token"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("16 characters"),
        "{}",
        refused.stderr
    );
}

#[test]
fn serve_beyond_loopback_prints_a_token_that_the_api_requires() {
    let dir = Dir::new();
    dir.run(&["demo", "demo.sqlite"]).ok();
    // 0.0.0.0 listens on every interface; the test only talks to it through loopback.
    let (_server, served) = start(&dir, &["demo.sqlite", "--addr", "0.0.0.0:0"]);
    let port = served.port();
    let api = format!("http://127.0.0.1:{port}/api/overview");
    let denied = Client::new().post(&api).send().expect("an answer");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let allowed = served.http.post(&api).send().expect("an answer");
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[test]
fn demo_serve_builds_the_demo_once_and_reopens_it_with_its_decisions() {
    let dir = Dir::new();
    let (server, served) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let (status, page) = served.call("samples", &json!({"query": {"after": 0, "limit": 1}}));
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = page["rows"][0]["id"].as_i64().expect("a sample");
    let (status, decided) = served.call(
        "decide",
        &json!({"request": {"sample_id": id, "decision": {"action": "note", "text": "seen"}}}),
    );
    assert!(status.is_success(), "{status} {decided}");
    drop(server);
    // Serving the demo again reopens it as it is: the note is still there.
    let (_server, served) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let (status, detail) = served.call("sample", &json!({"id": id}));
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["label"]["note"], "seen");
    // A project of one's own is never taken for the demo.
    dir.write(
        "own.json",
        r#"[{"id": "x", "problem": "1 + 1?", "steps": ["2."], "label": -1}]"#,
    );
    dir.run(&["import", "own.sqlite", "own.json"]).ok();
    let refused = dir.run(&["demo", "own.sqlite"]).fails();
    assert!(
        refused.stderr.contains("not a FARE Lens demo project"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        dir.json(&["samples", "own.sqlite", "--json"])["samples"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

/// `fare-lens ARGS` in `dir` as the login `lee`, with no annotator chosen: no
/// `FARE_LENS_ANNOTATOR`, and `USER` the only login name in the environment.
fn as_lee(dir: &Dir, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("FARE_LENS_ANNOTATOR")
        .env_remove("USERNAME")
        .env_remove("LOGNAME")
        .env("USER", "lee");
    command
}

#[test]
fn one_person_is_one_annotator_on_the_command_line_and_the_server() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    // Two step-level samples with steps: step 0 is a verdict each of them admits.
    let listed = dir.json(&["samples", "demo.sqlite", "--task", "step-level", "--json"]);
    let rows: Vec<i64> = listed["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter(|r| r["task"] == "step-level" && r["step_count"].as_i64().unwrap_or(0) > 0)
        .filter_map(|r| r["id"].as_i64())
        .take(2)
        .collect();
    let [by_cli, by_server] = rows[..] else {
        panic!("two step-level samples in {listed}")
    };

    // On the command line, without --annotator.
    let output = as_lee(
        &dir,
        &[
            "annotate",
            "demo.sqlite",
            &by_cli.to_string(),
            "--verdict",
            "0",
            "--json",
        ],
    )
    .output()
    .expect("fare-lens annotate runs");
    assert!(output.status.success(), "{output:?}");
    let label: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(label["annotator"], "lee", "{label}");

    // Through the server, without --annotator.
    let (_server, served) = spawn(&mut as_lee(
        &dir,
        &["serve", "demo.sqlite", "--addr", "127.0.0.1:0"],
    ));
    let (status, overview) = served.call("overview", &json!({}));
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert_eq!(overview["annotator"], "lee", "{overview}");
    let (status, detail) = served.call("sample", &json!({"id": by_server}));
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert!(
        detail["admissible"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("0"))),
        "{detail}"
    );
    let (status, decided) = served.call(
        "decide",
        &json!({"request": {"sample_id": by_server, "decision": {"action": "correct", "verdict": "0"}}}),
    );
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["annotator"], "lee", "{decided}");

    // The server sees the command line's label as its own person's, and both labels are one
    // annotator's: agreement knows one person, with two labels.
    let (status, detail) = served.call("sample", &json!({"id": by_cli}));
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        (
            &detail["label"]["annotator"],
            &detail["label"]["decision"],
            &detail["label"]["verdict"]
        ),
        (&json!("lee"), &json!("corrected"), &json!("0")),
        "{detail}"
    );
    let (status, agreement) = served.call("agreement", &json!({}));
    assert_eq!(status, StatusCode::OK, "{agreement}");
    assert_eq!(agreement["annotators"], json!(["lee"]), "{agreement}");
    let report = dir.json(&["agreement", "demo.sqlite", "--json"]);
    assert_eq!(report["annotators"], json!(["lee"]), "{report}");
    let step_level = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["task"] == "step-level" && g["dataset_id"].is_null())
        .unwrap_or_else(|| panic!("no step-level group in {report}"));
    assert_eq!(step_level["agreement"]["labelled"], json!(2), "{report}");
}
