//! [`EndpointJudge`]: a [`Judge`] that sends FARE prompts to an OpenAI-compatible server.
//!
//! Each judgment is one streamed `POST {base}/chat/completions` with the prompt's system and
//! user messages and its reasoning effort: the text reaches `on_text` as it arrives, and breaking
//! out of `on_text` drops the connection (a server that notices stops generating). Reasoning a
//! server streams apart from the answer (`reasoning_content`) becomes the judgment's analysis
//! and can be watched with [`EndpointJudge::judge_prompt_streamed`]. Requests that fail with 429, 5xx
//! or a connection error are retried with exponential backoff and jitter (honouring
//! `Retry-After`) up to a bounded number of attempts; other 4xx are not retried. Once text has
//! streamed, a broken stream is an error, not a retry (the caller has seen the text).
//!
//! Clones ([`Judge::fork`]) share one connection pool, so the pipeline's N judges are N
//! requests in flight. The API key is read from an environment variable when the judge is made,
//! sent as a Bearer token, and never written anywhere (not in errors, not in `Debug`).
//!
//! Timeouts: a connect timeout, an idle timeout (no byte for that long, while waiting for the
//! answer or between streamed chunks) and a total time per request (2 hours by default). What a
//! server sends is bounded too: a stream line over 1 MiB, an event over 4 MiB or an answer over
//! [`MAX_ANSWER`] is an error.

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fare_core::{Finish, Prompt, VerdictRules, read_output};
use fare_engine::EngineError;
use fare_engine::evaluator::{Judge, JudgeOutput};
use fare_engine::generate::SamplingParams;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use crate::EndpointError;
use crate::logprobs::{TokenLogprob, verdict_probs};
use crate::sse::EventReader;

/// The longest answer (text and reasoning together) read from a server: a FARE judgment is
/// kilobytes; a server sending more is broken or hostile.
pub const MAX_ANSWER: usize = 16 << 20;

/// The environment variable read for the API key unless another is named.
pub const DEFAULT_API_KEY_ENV: &str = "OPENAI_API_KEY";

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it (with jitter) up to `max_delay`.
    pub base_delay: Duration,
    /// The longest backoff of our own (a server's `Retry-After` is honoured up to 10 minutes).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, backoff from 0.5 s up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Where the endpoint is and how to talk to it.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The API base, `http://host:port/v1`.
    pub base_url: String,
    /// The model name the server knows.
    pub model: String,
    /// The environment variable holding the API key; `None`: `OPENAI_API_KEY` when it is set,
    /// else no key.
    pub api_key_env: Option<String>,
    /// Requests in flight at once.
    pub parallel: usize,
    /// Ask for log-probabilities (some servers refuse them).
    pub logprobs: bool,
    /// How many alternatives per token (OpenAI allows up to 20).
    pub top_logprobs: u32,
    /// Sent as `chat_template_kwargs` (vLLM, SGLang, llama.cpp, ours): by default
    /// `{"enable_thinking": false}`, FARE-8B's non-thinking mode, to which each request adds
    /// its `reasoning_effort` (FARE-20B's, unless the kwargs name one), also sent as the
    /// request's own `reasoning_effort` field. `None` sends neither.
    pub chat_template_kwargs: Option<Value>,
    /// Connecting.
    pub connect_timeout: Duration,
    /// No byte from the server for this long.
    pub idle_timeout: Duration,
    /// One whole request, streaming included (`None`: no limit).
    pub total_timeout: Option<Duration>,
    /// Retries.
    pub retry: RetryPolicy,
}

impl EndpointConfig {
    /// The defaults for an endpoint and model: 4 in flight, log-probabilities on (top 20),
    /// connect timeout 10 s, idle timeout 10 min, 2 hours for one whole answer (a long
    /// FARE-20B critique on a slow server takes tens of minutes).
    pub fn new(base_url: &str, model: &str) -> Self {
        EndpointConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            api_key_env: None,
            parallel: 4,
            logprobs: true,
            top_logprobs: 20,
            chat_template_kwargs: Some(json!({ "enable_thinking": false })),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_mins(10),
            total_timeout: Some(Duration::from_hours(2)),
            retry: RetryPolicy::default(),
        }
    }
}

/// Whether a model argument names an endpoint rather than a file.
pub fn is_endpoint_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

/// A judge on an OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct EndpointJudge {
    client: Client,
    config: Arc<EndpointConfig>,
    api_key: Option<Arc<str>>,
    url: String,
}

impl std::fmt::Debug for EndpointJudge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointJudge")
            .field("url", &self.url)
            .field("model", &self.config.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

/// A streamed piece of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed<'a> {
    /// Reasoning the server sends apart from the answer (`reasoning_content`, `reasoning`).
    Reasoning(&'a str),
    /// The answer's text (`content`), which may itself hold harmony's channels when the server
    /// passes them through (FARE Lens's own `serve-model` does).
    Content(&'a str),
}

/// What one streamed answer held.
#[derive(Default)]
struct Answer {
    text: String,
    reasoning: String,
    finish: Option<String>,
    prompt_tokens: Option<usize>,
    completion_tokens: Option<usize>,
    chunks: usize,
    tokens: Vec<TokenLogprob>,
    first_text_at: Option<Instant>,
}

impl EndpointJudge {
    /// A judge for `config`; reads the API key from its environment variable.
    pub fn new(config: EndpointConfig) -> Result<EndpointJudge, EndpointError> {
        if !is_endpoint_url(&config.base_url) {
            return Err(EndpointError::Config(format!(
                "`{}` is not an endpoint URL (http://host:port/v1)",
                config.base_url
            )));
        }
        let api_key = match &config.api_key_env {
            Some(name) => Some(std::env::var(name).map_err(|_| {
                EndpointError::Config(format!(
                    "the environment variable {name} (the API key) is not set"
                ))
            })?),
            None => std::env::var(DEFAULT_API_KEY_ENV)
                .ok()
                .filter(|k| !k.is_empty()),
        };
        let client = Client::builder()
            // A redirect would carry the prompt (and the key) to wherever the server points.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.idle_timeout)
            .pool_max_idle_per_host(config.parallel.max(1))
            .build()
            .map_err(|e| EndpointError::Config(format!("cannot make an HTTP client: {e}")))?;
        let url = format!("{}/chat/completions", config.base_url);
        Ok(EndpointJudge {
            client,
            config: Arc::new(config),
            api_key: api_key.map(Arc::from),
            url,
        })
    }

    /// The same judge with this API key instead of the environment's (a key the desktop app
    /// holds, or a test's).
    #[must_use]
    pub fn with_api_key(mut self, key: &str) -> Self {
        self.api_key = Some(Arc::from(key));
        self
    }

    /// The same judge sending no API key, whatever the environment holds (an endpoint that was
    /// not configured by the user, see [`crate::outbound`]).
    #[must_use]
    pub fn without_api_key(mut self) -> Self {
        self.api_key = None;
        self
    }

    /// Its settings.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The request body of one judgment.
    fn body(&self, prompt: &Prompt, params: &SamplingParams) -> Value {
        let mut body = json!({
            "model": self.config.model,
            "messages": [
                { "role": "system", "content": prompt.system },
                { "role": "user", "content": prompt.user },
            ],
            "temperature": params.temperature,
            "seed": params.seed,
            "max_tokens": params.max_new_tokens,
            "stream": true,
            "stream_options": { "include_usage": true },
        });
        if let Some(p) = params.top_p {
            body["top_p"] = json!(p);
        }
        if self.config.logprobs {
            body["logprobs"] = json!(true);
            body["top_logprobs"] = json!(self.config.top_logprobs);
        }
        if let Some(kwargs) = &self.config.chat_template_kwargs {
            let mut kwargs = kwargs.clone();
            if let Some(map) = kwargs.as_object_mut() {
                map.entry("reasoning_effort")
                    .or_insert_with(|| json!(params.reasoning_effort.as_str()));
            }
            body["chat_template_kwargs"] = kwargs;
            // OpenAI's field for reasoning models, which vLLM and SGLang pass to gpt-oss's
            // harmony rendering; sent with the kwargs, to the servers that take those.
            body["reasoning_effort"] = json!(params.reasoning_effort.as_str());
        }
        body
    }

    /// Sends the request, retrying what may succeed later; returns the successful response.
    fn send(&self, body: &[u8]) -> Result<Response, EndpointError> {
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut request = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::ACCEPT, "text/event-stream")
                .body(body.to_vec());
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key);
            }
            let (failure, retry_after) = match request.send() {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(&response);
                    let failure = EndpointError::Status {
                        url: self.url.clone(),
                        status: status.as_u16(),
                        message: error_message(response),
                    };
                    if status != reqwest::StatusCode::TOO_MANY_REQUESTS && !status.is_server_error()
                    {
                        return Err(failure);
                    }
                    (failure, retry_after)
                }
                Err(e) => (
                    EndpointError::Connection {
                        url: self.url.clone(),
                        message: describe(&e, self.config.idle_timeout),
                    },
                    None,
                ),
            };
            if attempt >= policy.max_attempts.max(1) {
                return Err(after_attempts(failure, attempt));
            }
            std::thread::sleep(backoff(policy, attempt, retry_after));
        }
    }

    /// Judges one prompt (what [`Judge::judge`] does, with this crate's error).
    pub fn judge_prompt(
        &self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EndpointError> {
        self.judge_prompt_streamed(prompt, rules, params, &mut |piece| match piece {
            Streamed::Content(text) => on_text(text),
            Streamed::Reasoning(_) => ControlFlow::Continue(()),
        })
    }

    /// [`EndpointJudge::judge_prompt`], also showing `on_piece` the reasoning a server streams
    /// apart from the answer (vLLM's `reasoning_content` for gpt-oss), as it arrives.
    pub fn judge_prompt_streamed(
        &self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_piece: &mut dyn FnMut(Streamed<'_>) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EndpointError> {
        let started = Instant::now();
        let body = serde_json::to_vec(&self.body(prompt, params))
            .map_err(|e| EndpointError::Config(e.to_string()))?;
        let response = self.send(&body)?;
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let answer = if is_json {
            // A server that ignores `stream` answers in one piece.
            let answer = self.read_whole(response)?;
            if !answer.reasoning.is_empty()
                && on_piece(Streamed::Reasoning(&answer.reasoning)).is_break()
            {
                return Ok(None);
            }
            if !answer.text.is_empty() && on_piece(Streamed::Content(&answer.text)).is_break() {
                return Ok(None);
            }
            answer
        } else {
            match self.read_stream(response, started, on_piece)? {
                Some(answer) => answer,
                None => return Ok(None),
            }
        };
        let elapsed = started.elapsed();
        let finish = match answer.finish.as_deref() {
            Some("length") => Finish::Length,
            _ => Finish::Stopped,
        };
        let mut judgment = read_output(&answer.text, rules, finish);
        if judgment.analysis.is_none() && !answer.reasoning.is_empty() {
            judgment.analysis = Some(answer.reasoning.clone());
        }
        let output_tokens = answer
            .completion_tokens
            .unwrap_or(if answer.tokens.is_empty() {
                answer.chunks
            } else {
                answer.tokens.len()
            });
        let decode = answer
            .first_text_at
            .map_or(elapsed, |t| t.elapsed())
            .as_secs_f64();
        let verdict_probs = if answer.tokens.is_empty() {
            None
        } else {
            verdict_probs(&judgment, rules, &answer.tokens)
        };
        Ok(Some(JudgeOutput {
            judgment,
            prompt_tokens: answer.prompt_tokens.unwrap_or(0),
            output_tokens,
            elapsed,
            tokens_per_second: if decode > 0.0 {
                output_tokens as f64 / decode
            } else {
                0.0
            },
            verdict_probs,
            verdict_probs_forced: false,
        }))
    }

    fn protocol(&self, message: impl Into<String>) -> EndpointError {
        EndpointError::Protocol {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    /// Reads a streamed answer; `None` when `on_piece` cancelled it (the connection is dropped).
    fn read_stream(
        &self,
        response: Response,
        started: Instant,
        on_piece: &mut dyn FnMut(Streamed<'_>) -> ControlFlow<()>,
    ) -> Result<Option<Answer>, EndpointError> {
        let deadline = self.config.total_timeout.map(|t| started + t);
        let mut events = EventReader::new(response).with_deadline(deadline);
        let mut answer = Answer::default();
        let mut done = false;
        loop {
            if let Some(total) = self.config.total_timeout
                && started.elapsed() > total
            {
                return Err(EndpointError::Connection {
                    url: self.url.clone(),
                    message: format!(
                        "no complete answer within {:.1} s (the total timeout)",
                        total.as_secs_f64()
                    ),
                });
            }
            let event = events.next_event().map_err(|e| EndpointError::Connection {
                url: self.url.clone(),
                message: if e.kind() == std::io::ErrorKind::TimedOut && deadline.is_some() {
                    format!(
                        "no complete answer within {:.1} s (the total timeout)",
                        self.config.total_timeout.unwrap_or_default().as_secs_f64()
                    )
                } else {
                    format!(
                        "the stream broke off after {} chunks: {}",
                        answer.chunks,
                        describe_io(&e, self.config.idle_timeout)
                    )
                },
            })?;
            let Some(data) = event else { break };
            if data.trim() == "[DONE]" {
                done = true;
                break;
            }
            let chunk: Value = serde_json::from_str(&data).map_err(|e| {
                self.protocol(format!("a streamed chunk is not JSON ({e}): {data}"))
            })?;
            if let Some(error) = chunk.get("error") {
                return Err(self.protocol(format!(
                    "the server failed while streaming: {}",
                    error_text(error)
                )));
            }
            read_usage(&chunk, &mut answer);
            let Some(choice) = chunk["choices"].as_array().and_then(|c| c.first()) else {
                continue;
            };
            answer.chunks += 1;
            read_logprobs(&choice["logprobs"], &mut answer.tokens);
            if let Some(reasoning) = choice["delta"]["reasoning_content"]
                .as_str()
                .or_else(|| choice["delta"]["reasoning"].as_str())
                && !reasoning.is_empty()
            {
                answer.first_text_at.get_or_insert_with(Instant::now);
                answer.reasoning.push_str(reasoning);
                if on_piece(Streamed::Reasoning(reasoning)).is_break() {
                    return Ok(None);
                }
            }
            if let Some(piece) = choice["delta"]["content"].as_str()
                && !piece.is_empty()
            {
                answer.first_text_at.get_or_insert_with(Instant::now);
                answer.text.push_str(piece);
                if answer.text.len() + answer.reasoning.len() > MAX_ANSWER {
                    return Err(self.protocol(format!(
                        "the answer passed {} MiB; no judgment is that long",
                        MAX_ANSWER >> 20
                    )));
                }
                if on_piece(Streamed::Content(piece)).is_break() {
                    return Ok(None);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                answer.finish = Some(reason.to_owned());
            }
        }
        if !done && answer.finish.is_none() {
            return Err(EndpointError::Connection {
                url: self.url.clone(),
                message: format!(
                    "the stream ended after {} chunks, before the answer was complete",
                    answer.chunks
                ),
            });
        }
        Ok(Some(answer))
    }

    /// Reads an answer given in one JSON object.
    fn read_whole(&self, response: Response) -> Result<Answer, EndpointError> {
        let value: Value = serde_json::from_reader(response.take(MAX_ANSWER as u64 * 2))
            .map_err(|e| self.protocol(format!("the answer is not JSON: {e}")))?;
        let mut answer = Answer::default();
        read_usage(&value, &mut answer);
        let choice = value["choices"]
            .as_array()
            .and_then(|c| c.first())
            .ok_or_else(|| self.protocol("the answer has no choices"))?;
        answer
            .text
            .push_str(choice["message"]["content"].as_str().unwrap_or_default());
        answer.reasoning.push_str(
            choice["message"]["reasoning_content"]
                .as_str()
                .or_else(|| choice["message"]["reasoning"].as_str())
                .unwrap_or_default(),
        );
        answer.finish = choice["finish_reason"].as_str().map(str::to_owned);
        answer.chunks = 1;
        read_logprobs(&choice["logprobs"], &mut answer.tokens);
        Ok(answer)
    }

    /// The model names the server lists (`GET {base}/models`), without retries.
    pub fn models(&self) -> Result<Vec<String>, EndpointError> {
        let url = format!("{}/models", self.config.base_url);
        let mut request = self.client.get(&url);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().map_err(|e| EndpointError::Connection {
            url: url.clone(),
            message: describe(&e, self.config.idle_timeout),
        })?;
        if !response.status().is_success() {
            return Err(EndpointError::Status {
                url,
                status: response.status().as_u16(),
                message: error_message(response),
            });
        }
        let value: Value =
            serde_json::from_reader(response).map_err(|e| EndpointError::Protocol {
                url: url.clone(),
                message: format!("not JSON: {e}"),
            })?;
        Ok(value["data"]
            .as_array()
            .map(|models| {
                models
                    .iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

fn read_usage(value: &Value, answer: &mut Answer) {
    let usage = &value["usage"];
    let count = |key: &str| usage[key].as_u64().and_then(|n| usize::try_from(n).ok());
    if let Some(n) = count("prompt_tokens") {
        answer.prompt_tokens = Some(n);
    }
    if let Some(n) = count("completion_tokens") {
        answer.completion_tokens = Some(n);
    }
}

/// Appends the tokens of an OpenAI `logprobs` object (`{"content": [{token, logprob,
/// top_logprobs}]}`).
fn read_logprobs(logprobs: &Value, tokens: &mut Vec<TokenLogprob>) {
    let Some(content) = logprobs["content"].as_array() else {
        return;
    };
    for entry in content {
        let (Some(token), Some(logprob)) = (entry["token"].as_str(), entry["logprob"].as_f64())
        else {
            continue;
        };
        let top = entry["top_logprobs"]
            .as_array()
            .map(|alternatives| {
                alternatives
                    .iter()
                    .filter_map(|a| Some((a["token"].as_str()?.to_owned(), a["logprob"].as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        tokens.push(TokenLogprob {
            token: token.to_owned(),
            logprob,
            top,
        });
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the servers we meet).
fn retry_after(response: &Response) -> Option<Duration> {
    let text = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(600.0)))
}

/// The wait before attempt `attempt + 1`.
fn backoff(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let exponential = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(policy.max_delay);
    // Full jitter in the upper half: spreads N judges that failed together.
    exponential.mul_f64(0.5 + fastrand::f64() * 0.5)
}

fn after_attempts(failure: EndpointError, attempts: u32) -> EndpointError {
    if attempts <= 1 {
        return failure;
    }
    let note = format!(" (gave up after {attempts} attempts)");
    match failure {
        EndpointError::Status {
            url,
            status,
            message,
        } => EndpointError::Status {
            url,
            status,
            message: message + &note,
        },
        EndpointError::Connection { url, message } => EndpointError::Connection {
            url,
            message: message + &note,
        },
        other => other,
    }
}

/// The message of an error answer: OpenAI's `{"error": {"message"}}`, other servers' `message`
/// or `detail` (its first 300 characters), else only the body's size and type: a body that is
/// no error JSON is not shown (a URL that is no endpoint must not be read through this app),
/// nor is a redirect followed.
fn error_message(response: Response) -> String {
    let kind = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() < 64);
    let redirect = response.status().is_redirection();
    let mut body = String::new();
    let _ = response.take(64 * 1024).read_to_string(&mut body);
    let body = body.trim();
    if redirect {
        return "a redirect, which is not followed: give the endpoint's own URL".to_owned();
    }
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let text = error_text(value.get("error").unwrap_or(&value));
        if !text.is_empty() {
            return text.chars().take(300).collect();
        }
    }
    if body.is_empty() {
        "(no message)".to_owned()
    } else {
        format!(
            "(a {}-byte {} answer, not shown: not an OpenAI-style error)",
            body.len(),
            kind.as_deref().unwrap_or("untyped")
        )
    }
}

fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.clone(),
        _ => ["message", "detail", "error"]
            .iter()
            .find_map(|k| error[*k].as_str())
            .map_or_else(String::new, str::to_owned),
    }
}

/// A transport error in words, with its causes (`Connection refused`) and the timeout that fired.
fn describe(error: &reqwest::Error, idle: Duration) -> String {
    if error.is_timeout() {
        return format!(
            "no answer within {:.1} s (the idle timeout)",
            idle.as_secs_f64()
        );
    }
    let mut text = if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn describe_io(error: &std::io::Error, idle: Duration) -> String {
    let timed_out = error.kind() == std::io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|e| e.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout);
    if timed_out {
        format!(
            "nothing arrived for {:.1} s (the idle timeout)",
            idle.as_secs_f64()
        )
    } else {
        error.to_string()
    }
}

impl Judge for EndpointJudge {
    fn judge(
        &mut self,
        prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        Ok(self.judge_prompt(prompt, rules, params, on_text)?)
    }

    fn location(&self) -> String {
        self.config.base_url.clone()
    }

    fn kind(&self) -> &'static str {
        "endpoint"
    }

    fn fork(&self) -> Option<Box<dyn Judge>> {
        Some(Box::new(self.clone()))
    }

    fn parallelism(&self) -> usize {
        self.config.parallel.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        for _ in 0..50 {
            let first = backoff(&policy, 1, None);
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let third = backoff(&policy, 3, None);
            assert!(
                (150..=300).contains(&third.as_millis()),
                "capped: {third:?}"
            );
        }
        assert_eq!(
            backoff(&policy, 1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn the_api_key_never_shows_in_debug() {
        // A variable this process lacks: the error names it.
        let name = "FARE_LENS_TEST_KEY_THAT_IS_NOT_SET";
        let mut config = EndpointConfig::new("http://127.0.0.1:9/v1", "m");
        config.api_key_env = Some(name.into());
        let error = EndpointJudge::new(config).expect_err("no such variable");
        assert!(error.to_string().contains(name), "{error}");
        let judge =
            EndpointJudge::new(EndpointConfig::new("http://127.0.0.1:9/v1/", "m")).expect("judge");
        assert_eq!(judge.location(), "http://127.0.0.1:9/v1");
        let judge = judge.with_api_key("sk-secret");
        assert!(!format!("{judge:?}").contains("sk-secret"));
        assert!(EndpointJudge::new(EndpointConfig::new("models/x.gguf", "m")).is_err());
    }
}
