//! What the server's test binaries share: a server on a free loopback port, and a client that
//! calls its commands.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use fare_app::api::OpenProject;
use fare_server::{ServeOptions, router, serve};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;

/// Starts the server on a free loopback port; returns its base address.
pub fn start(project: OpenProject, options: &ServeOptions) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(project, options, addr);
    std::thread::spawn(move || runtime.block_on(serve(listener, app)));
    format!("http://{addr}")
}

/// A server of the tests and the client that calls it.
pub struct Api {
    /// `http://ADDR`.
    pub base: String,
    /// Sends the server's token with every request.
    pub http: Client,
}

impl Api {
    /// `POST /api/{command}` with `args` as its body: the status and the JSON answer.
    pub fn call(&self, command: &str, args: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{command}", self.base))
            .json(args)
            .send()
            .unwrap();
        (response.status(), response.json().unwrap())
    }

    /// [`Api::call`], which must answer 200: the JSON answer.
    #[track_caller]
    pub fn ok(&self, command: &str, args: &Value) -> Value {
        let (status, answer) = self.call(command, args);
        assert_eq!(status, StatusCode::OK, "{command} {args}: {answer}");
        answer
    }
}
