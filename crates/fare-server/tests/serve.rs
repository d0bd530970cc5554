//! `fare-lens serve` over real HTTP on loopback: `POST /api/{command}` carries the application
//! API's commands and errors (any other method 405, an unknown command 404, a read-only server
//! refusing the commands that write), the token guards the API (not the page), the built UI is
//! served with its own routes falling back to its page, and files are previewed and imported
//! (a real ProcessBench split when `../shared/data` is beside the checkout).

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use std::path::{Path, PathBuf};

use fare_app::api::OpenProject;
use fare_io::import::{ImportOptions, import_file};
use fare_server::{ServeOptions, Token};

mod common;
use common::{Api, serve_api, start};
use fare_store::Project;
use fare_testkit::api::client;
use reqwest::StatusCode;
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

/// The token of the tests' servers.
const TOKEN: &str = "the-tests-token-0123456789";

fn options() -> ServeOptions {
    ServeOptions::new(Token::new(TOKEN).unwrap())
}

/// A server over `project` with `options` (which carry the tests' token), and its API.
fn serve(project: OpenProject, options: &ServeOptions) -> Api {
    serve_api(project, options, TOKEN)
}

#[test]
fn the_api_carries_the_queue_the_sample_view_and_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    let overview = api.ok("overview", &json!({}));
    assert_eq!(overview["samples"], 2);
    assert_eq!(overview["annotator"], "ana");
    let page = api.ok("samples", &json!({"query": {"after": 0, "limit": 1}}));
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    let id = page["rows"][0]["id"].as_i64().unwrap();
    assert_eq!(page["next_after"], id);
    let detail = api.ok("sample", &json!({"id": id}));
    assert_eq!(detail["steps"][0]["text"], "2 + 2 = 5.");
    assert_eq!(detail["admissible"], json!(["-1", "0", "1"]));
    let prompt = api.ok("prompt", &json!({"id": id}));
    assert!(
        prompt["user"]
            .as_str()
            .unwrap()
            .contains("<step 0> 2 + 2 = 5.</step 0>"),
        "{prompt}"
    );
    assert_eq!(prompt["source"], "the shipped template");
    let label = api.ok(
        "decide",
        &json!({"request": {"sample_id": id, "decision": {"action": "correct", "verdict": "0"}}}),
    );
    assert_eq!(label["decision"], "corrected");
    assert_eq!(label["verdict"], "0");
    let counts = api.ok(
        "counts",
        &json!({"query": {"after": 0, "limit": 0, "review": "reviewed"}}),
    );
    assert_eq!(
        (counts["matching"].as_i64(), counts["reviewed"].as_i64()),
        (Some(1), Some(1))
    );
    // The sample at a position of a filtered list, and none past its end.
    let position = |request: Value| -> Value { api.ok("position", &json!({"request": request})) };
    let all = api.ok("samples", &json!({"query": {"after": 0, "limit": 10}}));
    let last = all["rows"][1]["id"].as_i64().unwrap();
    assert_eq!(
        position(json!({"query": {"after": 0, "limit": 0}, "position": 1})),
        json!({"position": 1, "cursor": last})
    );
    assert_eq!(
        position(json!({"query": {"after": 0, "limit": 0, "review": "reviewed"}, "position": 0})),
        json!({"position": 0, "cursor": id})
    );
    assert_eq!(
        position(json!({"query": {"after": 0, "limit": 0, "review": "reviewed"}, "position": 1})),
        json!({"position": 1, "cursor": null})
    );
    // The report is the analysis (of each task's newest run when none is named).
    let (status, analysis) = api.call("analysis", &json!({"request": {}}));
    assert_eq!(status, StatusCode::OK, "{analysis}");
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
    let api = serve(project(dir.path()), &options());
    let cases = [
        (
            api.call(
                "decide",
                &json!({"request": {"sample_id": 1, "decision": {"action": "correct", "verdict": "9"}}}),
            ),
            StatusCode::BAD_REQUEST,
            "`9` is not a verdict for sample 1",
        ),
        (
            api.call("sample", &json!({"id": 777})),
            StatusCode::BAD_REQUEST,
            "777",
        ),
        (
            api.call("sample", &json!({"id": "seven"})),
            StatusCode::BAD_REQUEST,
            "seven",
        ),
        (
            api.call(
                "decide",
                &json!({"request": {"sample_id": 1, "decision": {"action": "shout"}}}),
            ),
            StatusCode::BAD_REQUEST,
            "shout",
        ),
        (
            api.call("nothing-here", &json!({})),
            StatusCode::NOT_FOUND,
            "no command `nothing-here`",
        ),
    ];
    for ((got, body), status, words) in cases {
        assert_eq!(got, status, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(!message.is_empty() && message.contains(words), "{message}");
    }
    // Arguments the command does not take, or a body that is not JSON, name the command.
    let (status, body) = api.call("sample", &json!({"id": "seven"}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("command `sample`: "), "{message}");
    let broken = api
        .http
        .post(format!("{}/api/samples", api.base))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let body: Value = broken.json().unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("command `samples`: "), "{message}");
}

#[test]
fn only_post_calls_a_command_and_an_unknown_command_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    let message = |response: reqwest::blocking::Response| -> String {
        let body: Value = response.json().unwrap();
        body["message"].as_str().unwrap().to_owned()
    };
    // Another method on a command: 405, and the command did not run.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = api
            .http
            .request(method.clone(), format!("{}/api/overview", api.base))
            .send()
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert!(
            message(response).contains("POST /api/{command}"),
            "{method}"
        );
    }
    let response = api
        .http
        .delete(format!("{}/api/delete_queue", api.base))
        .json(&json!({"id": 1}))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(!message(response).is_empty());
    // An unknown command, and a REST route of old, are not found.
    let (status, body) = api.call("drop_tables", &json!({}));
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no command `drop_tables`"),
        "{body}"
    );
    let (status, body) = api.call("report", &json!({}));
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let response = api
        .http
        .post(format!("{}/api/samples/1/prompt", api.base))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!message(response).is_empty());
    // An empty body is no arguments.
    let response = api
        .http
        .post(format!("{}/api/overview", api.base))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let overview: Value = response.json().unwrap();
    assert_eq!(overview["samples"], 2, "{overview}");
}

#[test]
fn a_read_only_server_answers_reading_commands_and_refuses_writing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(
        project(dir.path()),
        &ServeOptions {
            read_only: true,
            ..options()
        },
    );
    assert_eq!(api.ok("overview", &json!({}))["samples"], 2);
    let page = api.ok("samples", &json!({"query": {"after": 0, "limit": 10}}));
    let id = page["rows"][0]["id"].as_i64().unwrap();
    for (command, args) in [
        (
            "decide",
            json!({"request": {"sample_id": id, "decision": {"action": "correct", "verdict": "0"}}}),
        ),
        (
            "create_queue",
            json!({"request": {"samples": {"kind": "filter", "query": {}}, "order": "uncertainty"}}),
        ),
    ] {
        let (status, refused) = api.call(command, &args);
        assert_eq!(status, StatusCode::FORBIDDEN, "{command}: {refused}");
        assert!(
            refused["message"].as_str().unwrap().contains("read-only"),
            "{command}: {refused}"
        );
    }
    // Nothing was written: the sample is unreviewed and no queue was saved, for the server
    // and in the file.
    let detail = api.ok("sample", &json!({"id": id}));
    assert_eq!(detail["label"]["decision"], "unreviewed", "{detail}");
    assert_eq!(api.ok("queues", &json!({})), json!([]));
    let reopened = OpenProject::open(&dir.path().join("p.fare"), "ana").unwrap();
    assert_eq!(
        reopened.sample(id, None).unwrap().label.decision,
        "unreviewed"
    );
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
    let token = Token::random().unwrap();
    let base = start(
        project(dir.path()),
        &ServeOptions {
            ui_dir: Some(ui),
            ..ServeOptions::new(token.clone())
        },
    );
    let http = client(None);
    let api = format!("{base}/api/overview");
    let denied = http.post(&api).send().unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let wrong = http.post(&api).bearer_auth("0".repeat(32)).send().unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let allowed = http.post(&api).bearer_auth(token.as_str()).send().unwrap();
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
}

#[test]
fn other_names_and_other_sites_are_refused_and_nothing_may_frame_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    let (base, http) = (&api.base, &api.http);
    let port = base.rsplit(':').next().unwrap().to_owned();
    // A DNS-rebinding page's request carries its own name, on the API and on the page.
    for (method, path) in [
        (reqwest::Method::POST, "/api/overview"),
        (reqwest::Method::GET, "/"),
    ] {
        let rebound = http
            .request(method, format!("{base}{path}"))
            .header(reqwest::header::HOST, format!("rebind.example:{port}"))
            .send()
            .unwrap();
        assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
        let body: Value = rebound.json().unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("--allow-host"),
            "{body}"
        );
    }
    // localhost on another port: an SSH tunnel's end.
    let tunnelled = http
        .post(format!("{base}/api/overview"))
        .header(reqwest::header::HOST, "localhost:9999")
        .send()
        .unwrap();
    assert_eq!(tunnelled.status(), StatusCode::OK);

    // A write from another site's page, by its Origin or by the browser's word, is refused
    // before it reaches the project, even with the token.
    let note =
        json!({"request": {"sample_id": 1, "decision": {"action": "note", "text": "from a page"}}});
    for (name, value) in [
        ("origin", "http://attacker.example".to_owned()),
        ("origin", "null".to_owned()),
        (
            "origin",
            format!("http://localhost:{port}.attacker.example"),
        ),
        ("sec-fetch-site", "cross-site".to_owned()),
    ] {
        let refused = http
            .post(format!("{base}/api/decide"))
            .header(name, &value)
            .json(&note)
            .send()
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    let sample = api.ok("sample", &json!({"id": 1}));
    assert!(sample["label"]["note"].is_null(), "{sample}");
    // The UI's own page writes: same origin.
    let own = http
        .post(format!("{base}/api/decide"))
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .json(&note)
        .send()
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK, "{:?}", own.text());

    // No answer, page or API (a command, an unknown one, another method), may be framed by
    // another page.
    for (method, path) in [
        (reqwest::Method::GET, "/"),
        (reqwest::Method::POST, "/api/overview"),
        (reqwest::Method::POST, "/api/no_such_command"),
        (reqwest::Method::GET, "/api/overview"),
    ] {
        let response = http
            .request(method.clone(), format!("{base}{path}"))
            .send()
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{method} {path}");
        assert_eq!(
            headers["content-security-policy"], "frame-ancestors 'none'",
            "{method} {path}"
        );
    }
}

#[test]
fn without_a_built_ui_the_page_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(
        project(dir.path()),
        &ServeOptions {
            ui_dir: Some(dir.path().join("no-such-dist")),
            ..options()
        },
    );
    let response = client(Some(TOKEN)).get(format!("{base}/")).send().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().unwrap().contains("npm run build"));
}

/// ProcessBench's GSM8K split, when `../shared/data` is beside the checkout.
fn processbench_gsm8k() -> Option<PathBuf> {
    fare_testkit::shared_data("processbench/gsm8k.json")
}

#[test]
fn a_real_processbench_split_is_previewed_then_imported() {
    let Some(file) = processbench_gsm8k() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        data_folders: vec![file.parent().unwrap().to_owned()],
        ..options()
    };
    let api = serve(project(dir.path()), &options);
    let path = file.to_str().unwrap();
    let (status, preview) = api.call("import_preview", &json!({"request": {"path": path}}));
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["container"], "json-array");
    assert_eq!(preview["detected_format"], "processbench");
    assert_eq!(preview["suggested_mapping"], Value::Null);
    assert_eq!(preview["more_records"], true);
    let records = preview["records"].as_array().unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["sample"]["external_id"], "gsm8k-0");
    assert_eq!(records[0]["sample"]["task"], "step-level");
    assert!(records.iter().all(|r| r["problem"].is_null()), "{preview}");
    let (status, done) = api.call(
        "import",
        &json!({"request": {"path": path, "dataset": "ProcessBench GSM8K"}}),
    );
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["samples_added"], 400);
    assert_eq!(done["dataset"], "ProcessBench GSM8K");
    assert_eq!(api.ok("overview", &json!({}))["samples"], 402);
}

#[test]
fn an_import_adds_its_samples_once() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    let data = dir.path().join("more.jsonl");
    std::fs::write(
        &data,
        "{\"id\": \"m-0\", \"problem\": \"3 + 3?\", \"steps\": [\"3 + 3 = 6.\"], \"label\": -1}\n\
         {\"id\": \"m-1\", \"problem\": \"3 * 3?\", \"steps\": [\"3 * 3 = 6.\"], \"label\": 0}\n",
    )
    .unwrap();
    let args = json!({"request": {"path": data.to_str().unwrap()}});
    let (status, done) = api.call("import", &args);
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (
            &done["samples_added"],
            &done["already_imported"],
            &done["dataset"]
        ),
        (&json!(2), &json!(false), &json!("more"))
    );
    let (_, again) = api.call("import", &args);
    assert_eq!(
        (&again["samples_added"], &again["already_imported"]),
        (&json!(0), &json!(true))
    );
    let counts = api.ok("counts", &json!({"query": {"after": 0, "limit": 0}}));
    assert_eq!(counts["matching"], 4);
}

#[test]
fn a_broken_file_is_refused_naming_file_and_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    let data = dir.path().join("broken.jsonl");
    let good =
        |id: &str| json!({"id": id, "problem": "Q", "steps": ["a", "b"], "label": 1}).to_string();
    std::fs::write(
        &data,
        format!(
            "{}\n{}\n{{\"id\": \"b-2\", \"problem\": \n{}\n",
            good("b-0"),
            good("b-1"),
            good("b-3")
        ),
    )
    .unwrap();
    let path = data.to_str().unwrap();
    let (status, preview) = api.call("import_preview", &json!({"request": {"path": path}}));
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["records"][2]["problem"]["line"], 3);
    assert_eq!(preview["records"][2]["problem"]["file"], path);
    let (status, error) = api.call("import", &json!({"request": {"path": path}}));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{path}:3: ")), "{message}");
    assert!(
        message.contains("nothing of this file was imported"),
        "{message}"
    );
    let overview = api.ok("overview", &json!({}));
    assert_eq!(overview["samples"], 2);
    assert_eq!(overview["datasets"].as_array().unwrap().len(), 1);
    // A path the server cannot use is a 400 too, and says why.
    let (status, error) = api.call(
        "import_preview",
        &json!({"request": {"path": "relative.json"}}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().contains("full path"));
}

#[test]
fn agreement_adjudication_and_export_travel_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut open = project(dir.path());
    // Ana and Bo disagree on t-0 (Ana's label through the project, Bo's as another annotator).
    let t0 = open
        .samples(&fare_app::api::SampleQuery::default())
        .unwrap()
        .rows[0]
        .id;
    let correct = |verdict: &str| fare_app::api::DecisionRequest {
        sample_id: t0,
        judgment_id: None,
        decision: fare_app::api::Decision::Correct {
            verdict: verdict.into(),
        },
    };
    open.decide(&correct("0")).unwrap();
    OpenProject::open(&dir.path().join("p.fare"), "bo")
        .unwrap()
        .decide(&correct("1"))
        .unwrap();
    let api = serve(open, &options());
    let report = api.ok("agreement", &json!({}));
    assert_eq!(report["annotators"], json!(["ana", "bo"]), "{report}");
    assert_eq!(report["disagreements"], json!(1));
    let (status, page) = api.call("disagreements", &json!({"request": {}}));
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["sample_id"], json!(t0));
    let (status, written) = api.call(
        "adjudicate",
        &json!({"request": {"sample_id": t0, "verdict": "0", "note": "step 0 says 5"}}),
    );
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(written["adjudicator"], json!("ana"));
    let history = api.ok("adjudications", &json!({"id": t0}));
    assert_eq!(history[0]["note"], json!("step 0 says 5"));
    let (status, bad) = api.call(
        "adjudicate",
        &json!({"request": {"sample_id": t0, "verdict": "9"}}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let request = json!({"request": {"format": "sft-jsonl", "path": dir.path().join("sft.jsonl")}});
    let (status, preview) = api.call("export_preview", &request);
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        preview["rows"].as_array().map(Vec::len),
        Some(1),
        "{preview}"
    );
    let (status, done) = api.call("export", &request);
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["rows"], json!(1));
    assert_eq!(
        done["final_sources"],
        json!([{"what": "adjudicated", "samples": 1}])
    );
    let (status, again) = api.call("export", &request);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert!(
        again["message"].as_str().unwrap().contains("exists"),
        "{again}"
    );

    let (status, merged) = api.call(
        "merge",
        &json!({"request": {"output": dir.path().join("m.fare"), "inputs": [dir.path().join("p.fare"), dir.path().join("p.fare")]}}),
    );
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["annotators"], json!(["ana", "bo"]));
}

#[test]
fn the_analysis_commands_carry_counts_their_samples_and_the_diff() {
    let dir = tempfile::tempdir().unwrap();
    let api = serve(project(dir.path()), &options());
    // No run yet: the groups count samples, and a people's tag nobody set lists nothing.
    let (status, analysis) = api.call("analysis", &json!({"request": {}}));
    assert_eq!(status, StatusCode::OK, "{analysis}");
    assert_eq!(analysis["groups"][0]["samples"], 2, "{analysis}");
    let (status, ids) = api.call(
        "analysis_samples",
        &json!({"request": {"key": "tag:late-step", "scope": {"task": "step-level"}}}),
    );
    assert_eq!(status, StatusCode::OK, "{ids}");
    assert_eq!(ids, json!([]));
    let (status, error) = api.call(
        "analysis_samples",
        &json!({"request": {"key": "bucket:sideways"}}),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("not an analysis key"),
        "{error}"
    );
    for (command, request) in [
        ("diff", json!({"before": 1, "after": 2})),
        (
            "diff_samples",
            json!({"before": 1, "after": 2, "task": "step-level", "key": "diff:fixed"}),
        ),
    ] {
        let (status, error) = api.call(command, &json!({"request": request}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("no evaluator run 1"),
            "{error}"
        );
    }
}

#[test]
fn files_are_read_and_written_only_inside_the_data_folders() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("proj");
    let other = dir.path().join("other");
    std::fs::create_dir_all(own.join(".ssh")).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let secret = other.join("secret.json");
    std::fs::write(
        &secret,
        r#"[{"id": "s-0", "problem": "?", "steps": ["a"], "label": -1}]"#,
    )
    .unwrap();
    let notes = own.join("notes.txt");
    std::fs::write(&notes, "mine").unwrap();
    let api = serve(project(&own), &options());
    let refused = |command: &str, request: Value, why: &str| {
        let (status, answer) = api.call(command, &json!({"request": request}));
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{command} {request}: {answer}"
        );
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(why), "{command} {request}: {message}");
    };

    refused(
        "import_preview",
        json!({"path": secret}),
        "outside the data folders",
    );
    refused("import", json!({"path": secret}), "--data");
    let export = |path: &Path, overwrite: bool| json!({"format": "sft-jsonl", "path": path, "overwrite": overwrite});
    refused(
        "export",
        export(&other.join("x.jsonl"), false),
        "outside the data folders",
    );
    refused(
        "export",
        export(&own.join(".ssh/authorized_keys"), false),
        "hidden",
    );
    refused("export", export(&own.join(".bashrc"), false), "hidden");
    refused("export", export(&notes, true), "not exported here");
    refused(
        "export",
        export(&own.join("p.fare-wal"), true),
        "beside this project",
    );
    refused("export", export(&own.join("p.fare"), true), "own file");
    refused(
        "merge",
        json!({"output": other.join("m.fare"), "inputs": [own.join("p.fare"), own.join("p.fare")]}),
        "outside the data folders",
    );
    refused(
        "merge",
        json!({"output": own.join("m.fare"), "inputs": [own.join("p.fare"), other.join("x.fare")]}),
        "cannot be read",
    );
    assert!(!other.join("x.jsonl").exists() && !other.join("m.fare").exists());
    assert!(!own.join(".ssh/authorized_keys").exists() && !own.join(".bashrc").exists());
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "mine");
    assert_eq!(
        api.ok("overview", &json!({}))["samples"],
        2,
        "nothing was imported"
    );

    // Its own export it may replace.
    let out = own.join("out.jsonl");
    let (status, done) = api.call("export", &json!({"request": export(&out, false)}));
    assert_eq!(status, StatusCode::OK, "{done}");
    let (status, done) = api.call("export", &json!({"request": export(&out, true)}));
    assert_eq!(status, StatusCode::OK, "{done}");

    // A folder given with --data is one more data folder.
    let dir2 = tempfile::tempdir().unwrap();
    let own2 = dir2.path().join("proj");
    std::fs::create_dir_all(&own2).unwrap();
    let api = serve(
        project(&own2),
        &ServeOptions {
            data_folders: vec![other.clone()],
            ..options()
        },
    );
    let (status, done) = api.call("import", &json!({"request": {"path": secret}}));
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["samples_added"], 1);
}
