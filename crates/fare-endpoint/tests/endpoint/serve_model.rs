//! `serve-model` backed by a small real model (SmolLM2-135M-Instruct, Llama architecture, Q4_1
//! GGUF with its tokenizer and chat template; fetched by tests/fetch-test-assets.sh), served on
//! a loopback port, and the endpoint client judging through it: the output is the engine's own
//! (greedy text identical to `generate` run directly), streamed pieces add up to it, usage is
//! counted, log-probabilities are log-softmax values, a client that leaves cancels its
//! generation, and bad requests get OpenAI-shaped errors naming the field.
//!
//! Without the fetched model the tests say so and stop; under CI that is a failure.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use crate::support;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use candle_core::{DType, Device};
use fare_core::sample::Content;
use fare_core::{
    Finish, Outcome, PromptMode, ResponseOrder, Sample, Task, Template, VerdictRules, read_output,
};
use fare_endpoint::sse::EventReader;
use fare_endpoint::{EndpointConfig, EndpointJudge, RunningServer, ServeOptions, serve};
use fare_engine::chat::RenderOptions;
use fare_engine::evaluator::Evaluator;
use fare_engine::generate::{Ending, SamplingParams, generate};
use fare_engine::prompt::model_input;
use serde_json::{Value, json};

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

fn load(path: &Path) -> Evaluator {
    Evaluator::load(path, &Device::Cpu, DType::F32).unwrap()
}

fn start(path: &Path) -> RunningServer {
    let mut options = ServeOptions::new("smol");
    options.addr = "127.0.0.1:0".parse().unwrap();
    options.keep_alive = Duration::from_millis(200);
    serve(load(path), &options).unwrap()
}

fn step_prompt() -> fare_core::Prompt {
    let sample = Sample {
        external_id: "s".into(),
        source: None,
        question: "What is 3 + 4?".into(),
        content: Content::StepLevel {
            steps: vec!["3 + 4 = 8.".into(), "The answer is 8.".into()],
        },
        gold: None,
        metadata: serde_json::Map::new(),
    };
    Template::builtin_for(Task::StepLevel)
        .unwrap()
        .render(&sample, PromptMode::Critique, ResponseOrder::Original)
        .unwrap()
}

fn post(server: &RunningServer, body: &Value) -> reqwest::blocking::Response {
    // Generous: under the whole suite's load on two cores a batch of four can take over 30 s.
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_mins(5))
        .build()
        .unwrap()
        .post(format!("{}/chat/completions", server.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap()
}

fn json_of(response: reqwest::blocking::Response) -> Value {
    serde_json::from_reader(response).unwrap()
}

#[test]
fn the_client_judges_through_the_server_exactly_as_the_engine_generates() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let prompt = step_prompt();
    let rules = VerdictRules::new(Task::StepLevel, 2);
    let params = SamplingParams {
        max_new_tokens: 12,
        ..SamplingParams::default()
    };

    // The engine itself, on the same prompt.
    let mut direct = load(&path);
    let input = model_input(
        &prompt,
        &direct.template,
        &direct.tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            enable_thinking: Some(false),
            reasoning_effort: Some(params.reasoning_effort),
            now: None,
        },
    )
    .unwrap();
    let expected = generate(
        &mut direct.model,
        &direct.tokenizer,
        &input.ids,
        &direct.stop_tokens,
        &params,
        &mut |_| ControlFlow::Continue(()),
    )
    .unwrap();

    let judge = EndpointJudge::new(EndpointConfig::new(&server.base_url(), "smol")).unwrap();
    let mut streamed = String::new();
    let out = judge
        .judge_prompt(&prompt, &rules, &params, &mut |piece| {
            streamed.push_str(piece);
            ControlFlow::Continue(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(out.judgment.raw_output, expected.text, "greedy fidelity");
    assert_eq!(streamed, out.judgment.raw_output);
    assert_eq!(out.prompt_tokens, input.ids.len());
    assert_eq!(out.output_tokens, expected.tokens.len());
    let finish = if expected.ending == Ending::Length {
        Finish::Length
    } else {
        Finish::Stopped
    };
    assert_eq!(out.judgment, read_output(&expected.text, &rules, finish));

    // A limit too small for any verdict: `length` reads as truncated.
    let short = SamplingParams {
        max_new_tokens: 3,
        ..params
    };
    let out = judge
        .judge_prompt(&prompt, &rules, &short, &mut |_| ControlFlow::Continue(()))
        .unwrap()
        .unwrap();
    assert_eq!(out.output_tokens, 3);
    assert_eq!(out.judgment.outcome, Outcome::Truncated);
    assert_eq!(server.stats().finished.load(Ordering::SeqCst), 2);
}

#[test]
fn log_probabilities_are_the_log_softmax_of_the_chosen_tokens() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let answer = json_of(post(
        &server,
        &json!({
            "model": "smol",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "temperature": 0,
            "max_tokens": 6,
            "logprobs": true,
            "top_logprobs": 5,
        }),
    ));
    let choice = &answer["choices"][0];
    let content = choice["message"]["content"].as_str().unwrap();
    let tokens = choice["logprobs"]["content"].as_array().unwrap();
    assert_eq!(tokens.len(), 6, "{answer}");
    assert_eq!(answer["usage"]["completion_tokens"], 6);
    assert_eq!(choice["finish_reason"], "length");
    let spelled: String = tokens
        .iter()
        .map(|t| t["token"].as_str().unwrap())
        .collect();
    assert_eq!(spelled, content, "the tokens spell the text");
    for t in tokens {
        let chosen = t["logprob"].as_f64().unwrap();
        let top = t["top_logprobs"].as_array().unwrap();
        assert_eq!(top.len(), 5);
        let values: Vec<f64> = top.iter().map(|a| a["logprob"].as_f64().unwrap()).collect();
        assert!(values.iter().all(|v| *v <= 0.0), "{t}");
        assert!(
            values.windows(2).all(|w| w[0] >= w[1]),
            "most probable first: {t}"
        );
        assert!(values.iter().map(|v| v.exp()).sum::<f64>() <= 1.0 + 1e-9);
        // Greedy: the chosen token is the most probable one.
        assert!((chosen - values[0]).abs() < 1e-9, "{t}");
        assert_eq!(top[0]["token"], t["token"]);
    }
}

#[test]
fn a_client_that_leaves_mid_stream_cancels_its_generation() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let response = post(
        &server,
        &json!({
            "messages": [{"role": "user", "content": "Write a long story about a dragon."}],
            "temperature": 0,
            "max_tokens": 400,
            "stream": true,
        }),
    );
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = EventReader::new(response);
    let mut text = String::new();
    while text.len() < 10 {
        let event = events.next_event().unwrap().unwrap();
        let chunk: Value = serde_json::from_str(&event).unwrap();
        text.push_str(
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or_default(),
        );
    }
    drop(events);
    let left = Instant::now();
    while server.stats().cancelled.load(Ordering::SeqCst) == 0 {
        assert!(left.elapsed() < Duration::from_secs(10), "not cancelled");
        std::thread::sleep(Duration::from_millis(20));
    }
    let tokens = server.stats().tokens.load(Ordering::SeqCst);
    assert!(tokens < 400, "stopped early: {tokens} tokens");
    assert_eq!(server.stats().finished.load(Ordering::SeqCst), 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.stats().tokens.load(Ordering::SeqCst),
        tokens,
        "nothing generated after the cancel"
    );

    // The model is free again: the next request is answered.
    let answer = json_of(post(
        &server,
        &json!({
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 2,
            "temperature": 0,
        }),
    ));
    assert_eq!(answer["usage"]["completion_tokens"], 2);
}

#[test]
fn a_streamed_answer_follows_the_openai_chunk_format() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let response = post(
        &server,
        &json!({
            "model": "smol",
            "messages": [{"role": "user", "content": "Hi"}],
            "temperature": 0,
            "max_tokens": 3,
            "stream": true,
            "stream_options": {"include_usage": true},
        }),
    );
    let mut events = EventReader::new(response);
    let mut all = Vec::new();
    while let Some(e) = events.next_event().unwrap() {
        all.push(e);
    }
    assert_eq!(all.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = all[..all.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 3);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "length"
    );
}

#[test]
fn bad_requests_get_openai_errors_naming_the_field() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let check = |body: Value, status: u16, param: &str, says: &str| {
        let response = post(&server, &body);
        assert_eq!(response.status().as_u16(), status, "{body}");
        let error = json_of(response);
        assert_eq!(error["error"]["param"], param, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };
    let hi = json!([{"role": "user", "content": "Hi"}]);
    check(
        json!({"messages": hi, "temperature": "hot"}),
        400,
        "temperature",
        "expected a number",
    );
    check(json!({"messages": hi, "top_p": 0}), 400, "top_p", "above 0");
    check(json!({"temperature": 0}), 400, "messages", "required");
    check(
        json!({"messages": [{"content": "x"}]}),
        400,
        "messages[0].role",
        "required",
    );
    check(
        json!({"messages": hi, "stop": "no such token"}),
        400,
        "stop",
        "not one",
    );
    check(
        json!({"messages": hi, "chat_template_kwargs": {"tools": []}}),
        400,
        "chat_template_kwargs.tools",
        "not supported",
    );
    check(
        json!({"messages": hi, "reasoning_effort": "max"}),
        400,
        "reasoning_effort",
        "low, medium or high",
    );
    check(
        json!({"messages": hi, "chat_template_kwargs": {"reasoning_effort": "none"}}),
        400,
        "chat_template_kwargs.reasoning_effort",
        "not a reasoning effort",
    );
    check(
        json!({"model": "gpt-4", "messages": hi}),
        404,
        "model",
        "`gpt-4` does not exist",
    );
    // SmolLM2's GGUF says its context is 8,192 tokens: a longer prompt is refused unread by
    // the model (a 2 MiB prompt must not reach attention).
    let long = "seven ".repeat(9_000);
    check(
        json!({"messages": [{"role": "user", "content": long}], "max_tokens": 4}),
        400,
        "messages",
        "the model's context is 8192 tokens",
    );

    let client = reqwest::blocking::Client::new();
    let models = json_of(
        client
            .get(format!("{}/models", server.base_url()))
            .send()
            .unwrap(),
    );
    assert_eq!(models["data"][0]["id"], "smol");
    let health = client
        .get(format!("http://{}/health", server.addr()))
        .send()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(json_of(health)["status"], "ok");
    assert_eq!(server.stats().started.load(Ordering::SeqCst), 0);
}

#[test]
fn rate_limited_requests_reach_the_model_once_retried() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    // A front that refuses twice with 429 (Retry-After: 0), then passes requests to the model.
    let upstream = format!("{}/chat/completions", server.base_url());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    let front = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |body: String| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            async move {
                use axum::response::IntoResponse;
                if n < 2 {
                    return (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        [(axum::http::header::RETRY_AFTER, "0")],
                        r#"{"error": {"message": "busy"}}"#,
                    )
                        .into_response();
                }
                let (kind, text) = tokio::task::spawn_blocking(move || {
                    let response = reqwest::blocking::Client::builder()
                        .timeout(None)
                        .build()
                        .unwrap()
                        .post(upstream)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .unwrap();
                    let kind = response.headers()["content-type"]
                        .to_str()
                        .unwrap()
                        .to_owned();
                    (kind, response.text().unwrap())
                })
                .await
                .unwrap();
                ([(axum::http::header::CONTENT_TYPE, kind)], text).into_response()
            }
        }),
    );
    let front = support::TestServer::start(front);
    let mut config = EndpointConfig::new(&front.base_url(), "smol");
    config.retry.base_delay = Duration::from_millis(10);
    let judge = EndpointJudge::new(config).unwrap();
    let rules = VerdictRules::new(Task::StepLevel, 2);
    let params = SamplingParams {
        max_new_tokens: 4,
        ..SamplingParams::default()
    };
    let out = judge
        .judge_prompt(&step_prompt(), &rules, &params, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 3);
    assert_eq!(out.output_tokens, 4);
    assert_eq!(server.stats().finished.load(Ordering::SeqCst), 1);
}

#[test]
fn concurrent_requests_share_the_batch_and_get_their_unbatched_answers() {
    let Some(path) = smollm2() else { return };
    let server = start(&path);
    let questions = [
        "What is 3 + 4?",
        "Name a prime number above 10.",
        "What colour is the sky?",
        "Spell cat backwards.",
    ];
    let body = |question: &str, max_tokens: usize| {
        json!({
            "model": "smol",
            "messages": [{"role": "user", "content": question}],
            "max_tokens": max_tokens,
            "temperature": 0,
        })
    };
    // Each alone first, one after the other.
    let alone: Vec<Value> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| json_of(post(&server, &body(q, 8 + 2 * i))))
        .collect();
    // Then all at once.
    let together: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let (server, body) = (&server, body(q, 8 + 2 * i));
                scope.spawn(move || json_of(post(server, &body)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (a, t)) in alone.iter().zip(&together).enumerate() {
        let text = |v: &Value| v["choices"][0]["message"]["content"].clone();
        assert!(text(a).is_string(), "{a}");
        assert_eq!(text(t), text(a), "request {i}: batched answer differs");
        assert_eq!(
            t["usage"]["completion_tokens"], a["usage"]["completion_tokens"],
            "request {i}"
        );
    }
    assert_eq!(server.stats().finished.load(Ordering::SeqCst), 8);
    assert!(
        server.stats().peak_batch.load(Ordering::SeqCst) > 1,
        "the concurrent requests shared forward passes"
    );
}

#[test]
fn only_the_key_holder_on_this_servers_name_may_generate_and_the_queue_is_bounded() {
    let Some(path) = smollm2() else { return };
    let mut options = ServeOptions::new("smol");
    options.addr = "127.0.0.1:0".parse().unwrap();
    options.api_key = Some("worker-key-0123456789".into());
    let server = serve(load(&path), &options).unwrap();
    let url = format!("{}/chat/completions", server.base_url());
    let body =
        json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}).to_string();
    let http = reqwest::blocking::Client::new();
    let send =
        |f: &dyn Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder| {
            f(http.post(&url).body(body.clone()))
                .send()
                .unwrap()
                .status()
                .as_u16()
        };
    let json_with_key = |r: reqwest::blocking::RequestBuilder| {
        r.header("content-type", "application/json")
            .bearer_auth("worker-key-0123456789")
    };
    // Without the key, or with another.
    assert_eq!(send(&|r| r.header("content-type", "application/json")), 401);
    assert_eq!(
        send(&|r| r
            .header("content-type", "application/json")
            .bearer_auth("worker-key-012345678")),
        401
    );
    // A web page: a form's text/plain body, another site's Origin, a rebinding name.
    assert_eq!(
        send(&|r| r
            .header("content-type", "text/plain")
            .bearer_auth("worker-key-0123456789")),
        415
    );
    assert_eq!(
        send(&|r| json_with_key(r).header("origin", "http://attacker.example")),
        403
    );
    let port = server.addr().port();
    assert_eq!(
        send(&|r| json_with_key(r).header("host", format!("attacker.example:{port}"))),
        421
    );
    assert_eq!(server.stats().requests.load(Ordering::SeqCst), 0);
    // The key holder generates; /health answers without the key (counters only).
    assert_eq!(send(&json_with_key), 200);
    let health = http
        .get(format!("http://{}/health", server.addr()))
        .send()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let models = http
        .get(format!("{}/models", server.base_url()))
        .send()
        .unwrap();
    assert_eq!(models.status().as_u16(), 401);
    drop(server);

    // A full queue answers 429 with Retry-After instead of growing without bound.
    let mut options = ServeOptions::new("smol");
    options.addr = "127.0.0.1:0".parse().unwrap();
    options.max_waiting = 0;
    let server = serve(load(&path), &options).unwrap();
    let busy = http
        .post(format!("{}/chat/completions", server.base_url()))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(busy.status().as_u16(), 429);
    assert_eq!(busy.headers()["retry-after"], "1");
    assert!(
        json_of(busy)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("waiting")
    );
    assert_eq!(server.stats().queued.load(Ordering::SeqCst), 0);
}
