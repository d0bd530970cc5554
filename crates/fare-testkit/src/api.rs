//! A FARE Lens server as its tests meet it: a client that calls `POST /api/{command}` with the
//! server's token, and a `fare-lens … serve` process read for the address it prints.
//!
//! Both transports of the product take the same body (the command's arguments as JSON), so one
//! client serves the in-process server tests of `fare-server` and the command-line tests of
//! `fare-lens serve` alike.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

/// A server's API and the client that calls it.
#[derive(Clone)]
pub struct Api {
    /// `http://ADDR` (no trailing slash).
    pub base: String,
    /// The token the client sends, as `Authorization: Bearer`.
    pub token: String,
    /// Sends the token with every request; gives up after 30 seconds.
    pub http: Client,
}

impl Api {
    /// The API at `base` (`http://ADDR`, a trailing slash or not), called with `token`.
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: client(Some(token)),
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> &str {
        self.base.rsplit(':').next().unwrap_or_default()
    }

    /// `POST /api/{command}` with `args` as its body: the status and the JSON answer.
    #[track_caller]
    pub fn call(&self, command: &str, args: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{command}", self.base))
            .json(args)
            .send()
            .unwrap_or_else(|e| panic!("{command}: the server does not answer: {e}"));
        let status = response.status();
        let text = response.text().unwrap_or_default();
        let answer = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{command} answered {status} with no JSON ({e}): {text}"));
        (status, answer)
    }

    /// [`Api::call`], which must answer 200: the JSON answer.
    #[track_caller]
    pub fn ok(&self, command: &str, args: &Value) -> Value {
        let (status, answer) = self.call(command, args);
        assert_eq!(status, StatusCode::OK, "{command} {args}: {answer}");
        answer
    }
}

/// A client that sends `token` (none: nothing unasked) and gives up after 30 seconds.
pub fn client(token: Option<&str>) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .unwrap_or_else(|e| panic!("the token {token:?} is no header value: {e}"));
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("no HTTP client: {e}"))
}

/// A serving process, killed when the test ends however it ends.
pub struct Serving {
    child: Child,
    /// Its API, read from the address it printed.
    pub api: Api,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` (one that serves and prints `… http://ADDR/#token=TOKEN …` as its first
/// line) and returns it with the API at that address.
#[track_caller]
pub fn spawn_serving(command: &mut Command) -> Serving {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("the server does not start: {e}"));
    let stdout = child.stdout.take();
    let mut line = String::new();
    if let Some(stdout) = stdout {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    let Some((base, token)) = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .and_then(|address| address.split_once("#token="))
    else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no address with a token in the server's first line {line:?}");
    };
    let api = Api::new(base, token);
    Serving { child, api }
}
