//! `fare-lens serve`'s routes over real HTTP on loopback: the API carries the application API's
//! calls and errors, the token guards the API (not the page), the built UI is served with its
//! own routes falling back to its page.

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use std::path::Path;

use fare_app::api::OpenProject;
use fare_io::import::{ImportOptions, import_file};
use fare_server::{ServeOptions, router, serve};
use fare_store::Project;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// A project with two step-level samples, opened for annotator `ana`.
fn project(dir: &Path) -> OpenProject {
    let data = dir.join("pb.json");
    std::fs::write(
        &data,
        r#"[{"id": "t-0", "problem": "2 + 2?", "steps": ["2 + 2 = 5.", "So 5."], "label": 0},
            {"id": "t-1", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1}]"#,
    )
    .unwrap();
    let mut project = Project::open_or_create(&dir.join("p.fare")).unwrap();
    import_file(&mut project, &data, &ImportOptions::default(), &mut |_| {}).unwrap();
    OpenProject::new(project, "ana")
}

/// Starts the server on a free loopback port; returns its base address.
fn start(project: OpenProject, options: &ServeOptions) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(project, options);
    std::thread::spawn(move || runtime.block_on(serve(listener, app)));
    format!("http://{addr}")
}

fn client() -> Client {
    Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

#[test]
fn the_api_carries_the_queue_the_sample_view_and_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(project(dir.path()), &ServeOptions::default());
    let http = client();
    let overview: Value = http
        .get(format!("{base}/api/overview"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(overview["samples"], 2);
    assert_eq!(overview["annotator"], "ana");
    let page: Value = http
        .post(format!("{base}/api/samples"))
        .json(&json!({"after": 0, "limit": 1}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    let id = page["rows"][0]["id"].as_i64().unwrap();
    assert_eq!(page["next_after"], id);
    let detail: Value = http
        .get(format!("{base}/api/samples/{id}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(detail["steps"][0]["text"], "2 + 2 = 5.");
    assert_eq!(detail["admissible"], json!(["-1", "0", "1"]));
    let prompt: Value = http
        .get(format!("{base}/api/samples/{id}/prompt"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        prompt["user"]
            .as_str()
            .unwrap()
            .contains("<step 0> 2 + 2 = 5.</step 0>"),
        "{prompt}"
    );
    assert_eq!(prompt["source"], "the shipped template");
    let label: Value = http
        .post(format!("{base}/api/decide"))
        .json(&json!({"sample_id": id, "decision": {"action": "correct", "verdict": "0"}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(label["decision"], "corrected");
    assert_eq!(label["verdict"], "0");
    let counts: Value = http
        .post(format!("{base}/api/counts"))
        .json(&json!({"after": 0, "limit": 0, "review": "reviewed"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        (counts["matching"].as_i64(), counts["reviewed"].as_i64()),
        (Some(1), Some(1))
    );
    let report = http.get(format!("{base}/api/report")).send().unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    // The decision is in the file: a second opener sees it.
    let reopened = OpenProject::open(&dir.path().join("p.fare"), "ana").unwrap();
    assert_eq!(
        reopened.sample(id, None).unwrap().label.decision,
        "corrected"
    );
}

#[test]
fn errors_come_back_as_messages_with_a_status() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(project(dir.path()), &ServeOptions::default());
    let http = client();
    let cases = [
        (
            http.post(format!("{base}/api/decide"))
                .json(&json!({"sample_id": 1, "decision": {"action": "correct", "verdict": "9"}})),
            StatusCode::BAD_REQUEST,
            "`9` is not a verdict for sample 1",
        ),
        (
            http.get(format!("{base}/api/samples/777")),
            StatusCode::BAD_REQUEST,
            "777",
        ),
        (
            http.get(format!("{base}/api/samples/seven")),
            StatusCode::BAD_REQUEST,
            "seven",
        ),
        (
            http.post(format!("{base}/api/samples"))
                .header("content-type", "application/json")
                .body("{\"after\": "),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            http.post(format!("{base}/api/decide"))
                .json(&json!({"sample_id": 1, "decision": {"action": "shout"}})),
            StatusCode::BAD_REQUEST,
            "shout",
        ),
        (
            http.get(format!("{base}/api/nothing-here")),
            StatusCode::NOT_FOUND,
            "no such API route",
        ),
    ];
    for (request, status, words) in cases {
        let response = request.send().unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(!message.is_empty() && message.contains(words), "{message}");
    }
}

#[test]
fn a_token_guards_the_api_but_not_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(
        ui.join("index.html"),
        "<!doctype html><title>FARE Lens UI</title>",
    )
    .unwrap();
    std::fs::write(ui.join("assets/app.js"), "console.log('ui')").unwrap();
    let token = fare_server::new_token().unwrap();
    assert_eq!(token.len(), 32);
    assert_ne!(token, fare_server::new_token().unwrap());
    let base = start(
        project(dir.path()),
        &ServeOptions {
            token: Some(token.clone()),
            ui_dir: Some(ui),
            ..ServeOptions::default()
        },
    );
    let http = client();
    let denied = http.get(format!("{base}/api/overview")).send().unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let wrong = http
        .get(format!("{base}/api/overview"))
        .bearer_auth("0".repeat(32))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let allowed = http
        .get(format!("{base}/api/overview"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    // The page and its assets load without the token; the UI's own routes get its page.
    for (path, text) in [
        ("/", "FARE Lens UI"),
        ("/samples/3", "FARE Lens UI"),
        ("/assets/app.js", "console.log('ui')"),
    ] {
        let response = http.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().unwrap().contains(text), "{path}");
    }
    // Nothing outside the UI folder is reachable.
    let escape = http
        .get(format!("{base}/assets/..%2f..%2fp.fare"))
        .send()
        .unwrap();
    assert!(
        !escape.text().unwrap().contains("SQLite"),
        "the project file must not be served"
    );
    assert!(fare_server::needs_token(&"0.0.0.0:7878".parse().unwrap()));
    assert!(!fare_server::needs_token(
        &"127.0.0.1:7878".parse().unwrap()
    ));
    assert!(!fare_server::needs_token(&"[::1]:7878".parse().unwrap()));
}

#[test]
fn without_a_built_ui_the_page_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(
        project(dir.path()),
        &ServeOptions {
            token: None,
            ui_dir: Some(dir.path().join("no-such-dist")),
            ..ServeOptions::default()
        },
    );
    let response = client().get(format!("{base}/")).send().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().unwrap().contains("npm run build"));
}
