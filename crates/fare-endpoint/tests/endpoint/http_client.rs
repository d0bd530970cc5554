//! The endpoint client against loopback servers that misbehave on purpose: rate limits, server
//! errors, refusals, a server that hangs, a port nothing listens on, and one that counts how
//! many requests are in flight at once. The answers these servers stream are written here (the
//! real model behind a real server is tests/serve_model.rs).

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use crate::support;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use fare_core::{Outcome, Prompt, Side, Task, Verdict, VerdictRules};
use fare_endpoint::{EndpointConfig, EndpointJudge, RetryPolicy};
use fare_engine::evaluator::Judge;
use fare_engine::generate::SamplingParams;
use support::{TestServer, closed_port};

/// An OpenAI-style stream answering `Verdict: [A]`, with log-probabilities at the verdict.
fn good_stream() -> Response {
    let chunks = [
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Explanation: A is right.\nVerdict: ["},"logprobs":{"content":[{"token":"Explanation: A is right.\nVerdict: [","logprob":-0.1,"top_logprobs":[]}]},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"A"},"logprobs":{"content":[{"token":"A","logprob":-0.2231435513,"top_logprobs":[{"token":"A","logprob":-0.2231435513},{"token":"B","logprob":-1.6094379124}]}]},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"]"},"logprobs":{"content":[{"token":"]","logprob":-0.01,"top_logprobs":[]}]},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":4,"total_tokens":46}}"#,
    ];
    let mut body = String::from(": a comment\n\n");
    for c in chunks {
        body.push_str("data: ");
        body.push_str(c);
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

fn openai_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"message": message, "type": "x"}})),
    )
        .into_response()
}

fn prompt() -> Prompt {
    Prompt {
        system: "Judge.".into(),
        user: "[User Question]\nq".into(),
    }
}

fn rules() -> VerdictRules {
    VerdictRules::new(Task::Pairwise, 0)
}

fn config(server: &str) -> EndpointConfig {
    let mut config = EndpointConfig::new(server, "test-model");
    config.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    config.idle_timeout = Duration::from_secs(5);
    config
}

fn judge_once(judge: &EndpointJudge) -> Result<fare_engine::evaluator::JudgeOutput, String> {
    judge
        .judge_prompt(&prompt(), &rules(), &SamplingParams::default(), &mut |_| {
            ControlFlow::Continue(())
        })
        .map(|o| o.unwrap())
        .map_err(|e| e.to_string())
}

/// A server answering the first `failures` requests with `fail()` and then a good stream;
/// counts the requests.
fn flaky(failures: usize, fail: fn() -> Response) -> (TestServer, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move { if n < failures { fail() } else { good_stream() } }
        }),
    );
    (TestServer::start(app), count)
}

#[test]
fn a_streamed_answer_is_read_with_usage_and_verdict_probabilities() {
    let seen_key = Arc::new(std::sync::Mutex::new(None::<String>));
    let key = Arc::clone(&seen_key);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |headers: HeaderMap, body: String| {
            *key.lock().unwrap() = headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap().to_owned());
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["model"], "test-model");
            assert_eq!(body["stream"], true);
            assert_eq!(body["logprobs"], true);
            assert_eq!(body["top_logprobs"], 20);
            assert_eq!(body["messages"][0]["role"], "system");
            assert_eq!(body["messages"][1]["content"], "[User Question]\nq");
            async { good_stream() }
        }),
    );
    let server = TestServer::start(app);
    let judge = EndpointJudge::new(config(&server.base_url()))
        .unwrap()
        .with_api_key("sk-test");
    let mut streamed = String::new();
    let out = judge
        .judge_prompt(&prompt(), &rules(), &SamplingParams::default(), &mut |p| {
            streamed.push_str(p);
            ControlFlow::Continue(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(streamed, out.judgment.raw_output);
    assert_eq!(out.judgment.verdict(), Some(Verdict::Pick(Side::A)));
    assert_eq!((out.prompt_tokens, out.output_tokens), (42, 4));
    let probs = out.verdict_probs.expect("log-probabilities at the verdict");
    assert!(
        (probs.prob(Verdict::Pick(Side::A)) - 0.8 / 1.0).abs() < 1e-6,
        "{probs:?}"
    );
    assert!((probs.mass - 1.0).abs() < 1e-6);
    assert_eq!(seen_key.lock().unwrap().as_deref(), Some("Bearer sk-test"));
}

#[test]
fn rate_limits_are_retried_after_what_the_server_says() {
    let (server, count) = flaky(2, || {
        let mut r = openai_error(StatusCode::TOO_MANY_REQUESTS, "slow down");
        r.headers_mut()
            .insert(header::RETRY_AFTER, "0".parse().unwrap());
        r
    });
    let judge = EndpointJudge::new(config(&server.base_url())).unwrap();
    let out = judge_once(&judge).unwrap();
    assert_eq!(
        out.judgment.outcome,
        Outcome::Parsed {
            verdict: Verdict::Pick(Side::A)
        }
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn server_errors_are_retried_and_give_up_with_the_servers_message() {
    let (server, count) = flaky(1, || {
        openai_error(StatusCode::INTERNAL_SERVER_ERROR, "boom")
    });
    let judge = EndpointJudge::new(config(&server.base_url())).unwrap();
    judge_once(&judge).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);

    let (server, count) = flaky(99, || {
        openai_error(StatusCode::BAD_GATEWAY, "upstream down")
    });
    let url = server.base_url();
    let error = judge_once(&EndpointJudge::new(config(&url)).unwrap()).unwrap_err();
    assert_eq!(
        error,
        format!("{url}/chat/completions: HTTP 502: upstream down (gave up after 3 attempts)")
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn a_bad_request_is_not_retried_and_names_status_and_message() {
    let (server, count) = flaky(99, || {
        openai_error(
            StatusCode::BAD_REQUEST,
            "temperature: must be between 0 and 2",
        )
    });
    let url = server.base_url();
    let error = judge_once(&EndpointJudge::new(config(&url)).unwrap()).unwrap_err();
    assert_eq!(
        error,
        format!("{url}/chat/completions: HTTP 400: temperature: must be between 0 and 2")
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn a_server_that_hangs_times_out() {
    // Before answering at all.
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            good_stream()
        }),
    );
    let server = TestServer::start(app);
    let mut c = config(&server.base_url());
    c.idle_timeout = Duration::from_millis(300);
    c.retry.max_attempts = 2;
    let started = Instant::now();
    let error = judge_once(&EndpointJudge::new(c).unwrap()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        error.ends_with("no answer within 0.3 s (the idle timeout) (gave up after 2 attempts)"),
        "{error}"
    );

    // After the first chunk: the stream stops, never retried (its text was shown).
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            let first = futures_util::stream::once(async {
                Ok::<_, std::convert::Infallible>(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Expl\"}}]}\n\n",
                )
            });
            let body = axum::body::Body::from_stream(futures_util::StreamExt::chain(
                first,
                futures_util::stream::pending(),
            ));
            ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
        }),
    );
    let server = TestServer::start(app);
    let mut c = config(&server.base_url());
    c.idle_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let mut streamed = String::new();
    let error = EndpointJudge::new(c)
        .unwrap()
        .judge_prompt(&prompt(), &rules(), &SamplingParams::default(), &mut |p| {
            streamed.push_str(p);
            ControlFlow::Continue(())
        })
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(streamed, "Expl");
    assert!(
        error.contains("the stream broke off after 1 chunks"),
        "{error}"
    );
    assert!(error.contains("idle timeout"), "{error}");
}

#[test]
fn nobody_listening_is_a_clear_error() {
    let url = format!("http://127.0.0.1:{}/v1", closed_port());
    let mut c = config(&url);
    c.retry.max_attempts = 2;
    let error = judge_once(&EndpointJudge::new(c).unwrap()).unwrap_err();
    assert!(
        error.starts_with(&format!("{url}/chat/completions: cannot connect")),
        "{error}"
    );
    assert!(error.to_lowercase().contains("refused"), "{error}");
    assert!(error.ends_with("(gave up after 2 attempts)"), "{error}");
}

#[test]
fn forks_are_requests_in_flight_at_the_same_time() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now, peak) = (Arc::clone(&in_flight), Arc::clone(&most));
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(400)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                good_stream()
            }
        }),
    );
    let server = TestServer::start(app);
    let mut c = config(&server.base_url());
    c.parallel = 4;
    let judge = EndpointJudge::new(c).unwrap();
    assert_eq!(judge.parallelism(), 4);
    let mut judges: Vec<Box<dyn Judge>> = vec![Box::new(judge.clone())];
    for _ in 1..judge.parallelism() {
        judges.push(judge.fork().unwrap());
    }
    let started = Instant::now();
    std::thread::scope(|scope| {
        for mut j in judges {
            scope.spawn(move || {
                j.judge(&prompt(), &rules(), &SamplingParams::default(), &mut |_| {
                    ControlFlow::Continue(())
                })
                .unwrap()
                .unwrap()
            });
        }
    });
    assert_eq!(most.load(Ordering::SeqCst), 4);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

/// vLLM serving gpt-oss: the analysis channel streamed as `reasoning_content`, the final
/// channel as `content`.
fn reasoning_stream() -> Response {
    let chunks = [
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"B forgets "},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning_content":"a case. Verdict: [B]?"},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Explanation: A covers every case.\n"},"finish_reason":null}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Verdict: [A]"},"finish_reason":"stop"}]}"#,
    ];
    let mut body = String::new();
    for c in chunks {
        body.push_str("data: ");
        body.push_str(c);
        body.push_str("\n\n");
    }
    body.push_str("data: [DONE]\n\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

#[test]
fn the_reasoning_effort_is_sent_and_streamed_reasoning_is_the_analysis() {
    use fare_endpoint::Streamed;
    use fare_engine::harmony::ReasoningEffort;
    let bodies = Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let seen = Arc::clone(&bodies);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |body: String| {
            seen.lock()
                .unwrap()
                .push(serde_json::from_str(&body).unwrap());
            async { reasoning_stream() }
        }),
    );
    let server = TestServer::start(app);
    let judge = EndpointJudge::new(config(&server.base_url())).unwrap();
    let params = SamplingParams {
        reasoning_effort: ReasoningEffort::High,
        ..SamplingParams::default()
    };
    let mut pieces = Vec::new();
    let out = judge
        .judge_prompt_streamed(&prompt(), &rules(), &params, &mut |piece| {
            pieces.push(match piece {
                Streamed::Reasoning(t) => ("reasoning", t.to_owned()),
                Streamed::Content(t) => ("content", t.to_owned()),
            });
            ControlFlow::Continue(())
        })
        .unwrap()
        .unwrap();
    let body = bodies.lock().unwrap()[0].clone();
    assert_eq!(body["reasoning_effort"], "high");
    assert_eq!(
        body["chat_template_kwargs"],
        serde_json::json!({"enable_thinking": false, "reasoning_effort": "high"})
    );
    assert_eq!(pieces[0], ("reasoning", "B forgets ".to_owned()));
    assert_eq!(pieces.len(), 4);
    // The verdict comes from the answer only, never from the reasoning's `[B]`.
    assert_eq!(out.judgment.verdict(), Some(Verdict::Pick(Side::A)));
    assert_eq!(
        out.judgment.analysis.as_deref(),
        Some("B forgets a case. Verdict: [B]?")
    );
    // Without chat template kwargs (a strict server) neither field is sent.
    let mut strict = config(&server.base_url());
    strict.chat_template_kwargs = None;
    let judge = EndpointJudge::new(strict).unwrap();
    judge_once(&judge).unwrap();
    let body = bodies.lock().unwrap()[1].clone();
    assert!(body.get("reasoning_effort").is_none(), "{body}");
    assert!(body.get("chat_template_kwargs").is_none(), "{body}");
}

#[test]
fn a_redirect_is_not_followed_and_a_body_that_is_no_error_json_is_not_shown() {
    // Where a redirect would lead: it must never see the request (nor its key).
    let led_to = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&led_to);
    let elsewhere = TestServer::start(Router::new().route(
        "/v1/chat/completions",
        post(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            async { good_stream() }
        }),
    ));
    let target = format!("{}/chat/completions", elsewhere.base_url());
    let redirecting =
        TestServer::start(Router::new().route(
            "/v1/chat/completions",
            post(move || {
                let target = target.clone();
                async move {
                    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response()
                }
            }),
        ));
    let judge = EndpointJudge::new(config(&redirecting.base_url()))
        .unwrap()
        .with_api_key("sk-the-users-key");
    let error = judge_once(&judge).unwrap_err();
    assert!(
        error.contains("HTTP 307") && error.contains("not followed"),
        "{error}"
    );
    assert_eq!(
        led_to.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );

    // A page that is not an endpoint (an internal service's HTML) is not read back through us.
    let (page, _) = flaky(99, || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html>internal-secret-dashboard</html>",
        )
            .into_response()
    });
    let error = judge_once(&EndpointJudge::new(config(&page.base_url())).unwrap()).unwrap_err();
    assert!(!error.contains("internal-secret"), "{error}");
    assert!(
        error.contains("HTTP 404") && error.contains("38-byte text/html"),
        "{error}"
    );
}

#[test]
fn a_judge_without_a_key_sends_none_whatever_it_was_given() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<Option<String>>::new()));
    let record = Arc::clone(&seen);
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |headers: HeaderMap| {
            record.lock().unwrap().push(
                headers
                    .get(header::AUTHORIZATION)
                    .map(|v| v.to_str().unwrap().to_owned()),
            );
            async { good_stream() }
        }),
    );
    let server = TestServer::start(app);
    let judge = EndpointJudge::new(config(&server.base_url()))
        .unwrap()
        .with_api_key("sk-the-users-key");
    judge_once(&judge).unwrap();
    judge_once(&judge.without_api_key()).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Some("Bearer sk-the-users-key".to_owned()), None]
    );
}

#[test]
fn a_stream_that_never_ends_its_line_is_refused_not_buffered() {
    let (server, _) = flaky(99, || {
        let endless = format!("data: {}", "x".repeat(3 << 20));
        ([(header::CONTENT_TYPE, "text/event-stream")], endless).into_response()
    });
    let error = judge_once(&EndpointJudge::new(config(&server.base_url())).unwrap()).unwrap_err();
    assert!(error.contains("longer than 1024 KiB"), "{error}");
}
