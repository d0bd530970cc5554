//! `fare-lens serve` as a real process: it prints where it listens, with a token that the API
//! requires on loopback too, serves the demo project's API there, and answers only to its own
//! names.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use reqwest::blocking::Client;
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

/// Where a server listens (`http://ADDR/`) and the token of its printed address.
struct Served {
    url: String,
    token: String,
}

impl Served {
    /// The port it listens on.
    fn port(&self) -> &str {
        self.url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .expect("a port")
    }

    /// A client that sends the token with every request.
    fn client(&self) -> Client {
        Client::builder()
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", self.token).parse().expect("a header"),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .expect("a client")
    }
}

/// Starts `fare-lens serve` with `args` and returns it with the address it printed.
fn start(dir: &Dir, args: &[&str]) -> (Server, Served) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    start_command(dir, &all)
}

/// Starts `fare-lens ARGS` (a command that serves) and returns it with the address it printed.
fn start_command(dir: &Dir, args: &[&str]) -> (Server, Served) {
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
    let address = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let (url, token) = address
        .split_once("#token=")
        .unwrap_or_else(|| panic!("no token in the address {address:?}"));
    let served = Served {
        url: url.to_owned(),
        token: token.to_owned(),
    };
    (server, served)
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
    let api = format!("{}api/overview", served.url);
    // Another user of the machine, or a page in the browser, without the token.
    let denied = Client::new().get(&api).send().expect("an answer");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let overview: Value = served
        .client()
        .get(&api)
        .send()
        .expect("the server answers")
        .json()
        .expect("JSON");
    assert_eq!(overview["annotator"], "ana");
    assert!(overview["samples"].as_i64().unwrap_or(0) > 0, "{overview}");
    assert_eq!(overview["datasets"].as_array().map(Vec::len), Some(5));
    // A DNS-rebinding page: its own name, resolved to loopback.
    let port = served.port();
    let rebound = served
        .client()
        .get(&api)
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
        .client()
        .get(format!("{}api/overview", named.url))
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
    let denied = Client::new().get(&api).send().expect("an answer");
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let allowed = served.client().get(&api).send().expect("an answer");
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[test]
fn demo_serve_builds_the_demo_once_and_reopens_it_with_its_decisions() {
    let dir = Dir::new();
    let (server, served) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let (url, client) = (&served.url, served.client());
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
    let (_server, served) = start_command(
        &dir,
        &["demo", "d.sqlite", "--serve", "--addr", "127.0.0.1:0"],
    );
    let detail: Value = served
        .client()
        .get(format!("{}api/samples/{id}", served.url))
        .send()
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
