//! `fare-lens serve` as a real process: it prints where it listens, serves the demo project's
//! API there, and asks for a token on any address but loopback.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::support::{BIN, Dir};

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fare-lens serve` with `args` and returns it with the address it printed.
fn start(dir: &Dir, args: &[&str]) -> (Server, String) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    start_command(dir, &all)
}

/// Starts `fare-lens ARGS` (a command that serves) and returns it with the address it printed.
fn start_command(dir: &Dir, args: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fare-lens serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a line from the server");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (server, url)
}

#[test]
fn serve_answers_the_demo_projects_api_on_the_address_it_prints() {
    let dir = Dir::new();
    dir.run(&["demo", "demo.sqlite"]).ok();
    let (_server, url) = start(
        &dir,
        &["demo.sqlite", "--addr", "127.0.0.1:0", "--annotator", "ana"],
    );
    assert!(!url.contains("#token="), "no token on loopback: {url}");
    let overview: Value = reqwest::blocking::get(format!("{url}api/overview"))
        .expect("the server answers")
        .json()
        .expect("JSON");
    assert_eq!(overview["annotator"], "ana");
    assert!(overview["samples"].as_i64().unwrap_or(0) > 0, "{overview}");
    assert_eq!(overview["datasets"].as_array().map(Vec::len), Some(5));
}

#[test]
fn serve_beyond_loopback_prints_a_token_that_the_api_requires() {
    let dir = Dir::new();
    dir.run(&["demo", "demo.sqlite"]).ok();
    // 0.0.0.0 listens on every interface; the test only talks to it through loopback.
    let (_server, url) = start(&dir, &["demo.sqlite", "--addr", "0.0.0.0:0"]);
    let (base, token) = url.split_once("#token=").expect("a token in the address");
    let port = base
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .expect("a port");
    let api = format!("http://127.0.0.1:{port}/api/overview");
    let client = reqwest::blocking::Client::new();
    let denied = client.get(&api).send().expect("an answer");
    assert_eq!(denied.status(), reqwest::StatusCode::UNAUTHORIZED);
    let allowed = client
        .get(&api)
        .bearer_auth(token)
        .send()
        .expect("an answer");
    assert_eq!(allowed.status(), reqwest::StatusCode::OK);
}

#[test]
fn demo_serve_builds_the_demo_once_and_reopens_it_with_its_decisions() {
    let dir = Dir::new();
    let (server, url) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let client = reqwest::blocking::Client::new();
    let page: Value = client
        .post(format!("{url}api/samples"))
        .json(&serde_json::json!({"after": 0, "limit": 1}))
        .send()
        .expect("an answer")
        .json()
        .expect("JSON");
    let id = page["rows"][0]["id"].as_i64().expect("a sample");
    let decided = client
        .post(format!("{url}api/decide"))
        .json(&serde_json::json!({"sample_id": id, "decision": {"action": "note", "text": "seen"}}))
        .send()
        .expect("an answer");
    assert!(decided.status().is_success());
    drop(server);
    // Serving the demo again reopens it as it is: the note is still there.
    let (_server, url) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let detail: Value = reqwest::blocking::get(format!("{url}api/samples/{id}"))
        .expect("an answer")
        .json()
        .expect("JSON");
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
