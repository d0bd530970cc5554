//! `fare-lens serve-model`: an OpenAI-compatible server backed by the candle engine.
//!
//! Routes: `GET /v1/models`, `POST /v1/chat/completions` (non-streaming, and SSE streaming in
//! OpenAI's chunk format with a final usage chunk when `stream_options.include_usage` asks for
//! it), `GET /health`. Messages are rendered with the model's own chat template
//! ([`fare_engine::chat`]), Qwen3's `enable_thinking` false unless `chat_template_kwargs` says
//! otherwise; gpt-oss's reasoning effort (`low`, `medium`, `high`) comes from the request's
//! `reasoning_effort` or `chat_template_kwargs.reasoning_effort`, and without either the
//! template's own default applies. Output is streamed as the model writes it, harmony's channel
//! tokens included (the client reads the `final` channel). `logprobs`/`top_logprobs` are the log-softmax of the logits each token was chosen
//! from (before temperature and top-p, as vLLM reports them by default).
//!
//! Requests are generated together by the engine's continuous batching ([`fare_engine::batch`]):
//! each joins the running batch as soon as it has room (up to [`ServeOptions::batch`] at once,
//! and within the KV-cache budget), and waits in arrival order until then; a streaming response
//! sends SSE keep-alive comments while it waits so clients' idle timeouts do not fire. An
//! answer is the one the request would get alone (the engine's batching tests check it). When a client goes away (its connection closes, or it reads nothing
//! for a minute while its buffer is full), its generation stops at the next token, and a
//! request whose client left while queued is never started. A panic in model code marks the
//! model failed: every later request, and
//! `/health`, answers 503 (the desktop app then restarts the worker process).
//!
//! Before any route: the `Host` must name this server (421), `/v1/` needs the API key when one
//! is set (401; the desktop app always sets one for its worker), and a `POST` must be JSON
//! (415) from no other site's page (403), so a web page the user visits cannot start a
//! generation. At most [`ServeOptions::max_waiting`] requests wait for the model; one more is
//! answered 429 with `Retry-After`.
//!
//! Errors use OpenAI's JSON shape (`{"error": {"message", "type", "param", "code"}}`): 400 names
//! the offending field, 404 an unknown model, 503 a failed model.
//!
//! A prompt must fit the model's context (its config's or GGUF's context length) with room for
//! one new token, else 400; `max_tokens` is cut to what the context leaves after the prompt.
//!
//! Known limits: one choice (`n` = 1); `stop` accepts only strings that are single tokens of the
//! model's vocabulary; no tools, images or `response_format`; a model whose files name no
//! context length takes prompts of any length (its cache budget still refuses what cannot fit).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fare_engine::batch::{BatchOptions, Batcher};
use fare_engine::chat::{Message, RenderOptions};
use fare_engine::evaluator::Evaluator;
use fare_engine::generate::{Ending, SamplingParams, Step, top_log_probs};
use fare_engine::{ChatTemplate, TextTokenizer};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::EndpointError;
use crate::guard::{self, Hosts};

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to bind (loopback by default).
    pub addr: SocketAddr,
    /// The model's name in `/v1/models` and the `model` field requests must match.
    pub model_name: String,
    /// How often a waiting stream sends an SSE comment.
    pub keep_alive: Duration,
    /// The most requests generated at once, sharing each forward pass (0: the engine's default
    /// for the device, [`BatchOptions::for_model`]).
    pub batch: usize,
    /// The key every `/v1/` request must carry (`Authorization: Bearer …`); `None`: none
    /// (the desktop app always sets one for its worker).
    pub api_key: Option<String>,
    /// The most requests waiting for the model; one more is answered 429.
    pub max_waiting: usize,
}

impl ServeOptions {
    /// `127.0.0.1:8000`, keep-alive every 5 s.
    pub fn new(model_name: &str) -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            model_name: model_name.to_owned(),
            keep_alive: Duration::from_secs(5),
            batch: 0,
            api_key: None,
            max_waiting: 256,
        }
    }
}

/// Counters of a running server, shown by `/health` and read by tests.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Chat requests accepted into the queue.
    pub requests: AtomicU64,
    /// Requests waiting for the model now.
    pub queued: AtomicU64,
    /// Generations started.
    pub started: AtomicU64,
    /// Generations that ran to a stop token or the token limit.
    pub finished: AtomicU64,
    /// Generations stopped (or never started) because the client went away.
    pub cancelled: AtomicU64,
    /// Tokens generated in all.
    pub tokens: AtomicU64,
    /// The most sequences one forward pass of the batch has held.
    pub peak_batch: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl ServerStats {
    /// Why the model failed, once it has.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn to_json(&self) -> Value {
        let n = |c: &AtomicU64| c.load(Ordering::SeqCst);
        json!({
            "requests": n(&self.requests),
            "queued": n(&self.queued),
            "started": n(&self.started),
            "peak_batch": n(&self.peak_batch),
            "finished": n(&self.finished),
            "cancelled": n(&self.cancelled),
            "tokens": n(&self.tokens),
        })
    }
}

/// What the model thread sends a request's handler.
enum Event {
    /// New text, with the log-probabilities of the tokens that made it (when asked for).
    Text { piece: String, logprobs: Vec<Value> },
    /// The end: `stop` or `length`.
    Done {
        finish: &'static str,
        prompt_tokens: usize,
        completion_tokens: usize,
    },
    /// The model failed.
    Failed(String),
}

/// One generation waiting for the model.
struct Job {
    ids: Vec<u32>,
    params: SamplingParams,
    stop: Vec<u32>,
    top_logprobs: Option<usize>,
    events: mpsc::Sender<Event>,
}

struct AppState {
    name: String,
    created: u64,
    template: ChatTemplate,
    tokenizer: Arc<TextTokenizer>,
    stop_tokens: Vec<u32>,
    jobs: Mutex<std_mpsc::Sender<Job>>,
    stats: Arc<ServerStats>,
    keep_alive: Duration,
    next_id: AtomicU64,
    hosts: Hosts,
    api_key: Option<String>,
    max_waiting: u64,
    /// The model's context length, when its files say.
    context: Option<usize>,
}

/// The new tokens a prompt of `prompt` tokens may ask for in a context of `context`:
/// `wanted` cut to what the context leaves, or why the prompt does not fit.
fn fit_to_context(prompt: usize, wanted: usize, context: Option<usize>) -> Result<usize, String> {
    let Some(context) = context else {
        return Ok(wanted);
    };
    if prompt >= context {
        return Err(format!(
            "the prompt is {prompt} tokens; the model's context is {context} tokens, which must \
             hold the prompt and at least one new token"
        ));
    }
    Ok(wanted.min(context - prompt))
}

/// A server running on its own threads; dropping it stops it.
pub struct RunningServer {
    addr: SocketAddr,
    stats: Arc<ServerStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    http: Option<std::thread::JoinHandle<()>>,
    model: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address it listens on (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/v1`, what a client is given.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Its counters.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Blocks until the server stops (it does not stop by itself).
    pub fn wait(mut self) {
        if let Some(http) = self.http.take() {
            let _ = http.join();
        }
    }

    /// Stops serving: open connections are closed, a running generation is cancelled.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(http) = self.http.take() {
            let _ = http.join();
        }
        if let Some(model) = self.model.take() {
            let _ = model.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Starts serving `evaluator` at `options.addr`; returns once the port is bound.
pub fn serve(evaluator: Evaluator, options: &ServeOptions) -> Result<RunningServer, EndpointError> {
    let listener = std::net::TcpListener::bind(options.addr)
        .map_err(|e| EndpointError::Serve(format!("cannot listen on {}: {e}", options.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| EndpointError::Serve(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| EndpointError::Serve(e.to_string()))?;
    let Evaluator {
        model,
        tokenizer,
        template,
        stop_tokens,
        ..
    } = evaluator;
    let tokenizer = Arc::new(tokenizer);
    let stats = Arc::new(ServerStats::default());
    let (jobs, queue) = std_mpsc::channel::<Job>();
    let context = model.context_length;
    let batch = BatchOptions::with_sequences(&model, options.batch);
    let batcher = Batcher::start(model, batch).map_err(|e| EndpointError::Serve(e.to_string()))?;
    let model = {
        let tokenizer = Arc::clone(&tokenizer);
        let stats = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("fare-model".into())
            .spawn(move || model_thread(&batcher, &tokenizer, &queue, &stats))
            .map_err(|e| EndpointError::Serve(e.to_string()))?
    };
    let state = Arc::new(AppState {
        name: options.model_name.clone(),
        created: now(),
        template,
        tokenizer,
        stop_tokens,
        jobs: Mutex::new(jobs),
        stats: Arc::clone(&stats),
        keep_alive: options.keep_alive,
        next_id: AtomicU64::new(1),
        hosts: Hosts::new(addr, &[]),
        api_key: options.api_key.clone(),
        max_waiting: options.max_waiting as u64,
        context,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| EndpointError::Serve(format!("cannot start the runtime: {e}")))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let http = std::thread::Builder::new()
        .name("fare-http".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = router(state);
                let serving = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::select! {
                    _ = serving => {}
                    _ = stopped => {}
                }
            });
            // Open connections and their streams are dropped here: generations cancel.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(|e| EndpointError::Serve(e.to_string()))?;
    Ok(RunningServer {
        addr,
        stats,
        stop: Some(stop),
        http: Some(http),
        model: Some(model),
    })
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/health", get(health))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not found: this server offers GET /v1/models, POST /v1/chat/completions and GET /health",
                None,
            )
        })
        .layer(middleware::from_fn_with_state(Arc::clone(&state), check))
        .with_state(state)
}

/// What every request passes before a route: a `Host` naming this server (DNS rebinding), the
/// API key on `/v1/` when there is one (`/health` tells only counters), and for a `POST` a
/// JSON body from no other site's page (a form or a script there sends `text/plain`, which
/// needs no preflight).
async fn check(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = guard::host(headers);
    if !state.hosts.allow(host) {
        return error(
            StatusCode::MISDIRECTED_REQUEST,
            &format!("this server does not answer to the name {host:?}"),
            None,
        );
    }
    if let Some(key) = &state.api_key
        && request.uri().path() != "/health"
        && !guard::bearer_is(headers, key)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "this server needs its API key (Authorization: Bearer …)",
            None,
        );
    }
    if request.method() == Method::POST {
        if guard::from_other_site(headers, host) {
            return error(
                StatusCode::FORBIDDEN,
                "a page of another site may not use this model",
                None,
            );
        }
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be sent as Content-Type: application/json",
                None,
            );
        }
    }
    next.run(request).await
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An error answer in OpenAI's shape.
struct ApiError {
    status: StatusCode,
    message: String,
    param: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, message: &str, param: Option<&str>) -> Self {
        ApiError {
            status,
            message: message.to_owned(),
            param: param.map(str::to_owned),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (kind, code) = match self.status {
            StatusCode::NOT_FOUND if self.param.as_deref() == Some("model") => {
                ("invalid_request_error", Some("model_not_found"))
            }
            s if s.is_client_error() => ("invalid_request_error", None),
            StatusCode::SERVICE_UNAVAILABLE => ("service_unavailable", None),
            _ => ("server_error", None),
        };
        (
            self.status,
            axum::Json(json!({
                "error": { "message": self.message, "type": kind, "param": self.param, "code": code }
            })),
        )
            .into_response()
    }
}

fn error(status: StatusCode, message: &str, param: Option<&str>) -> Response {
    ApiError::new(status, message, param).into_response()
}

/// A 400 naming the field.
fn bad(param: &str, message: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        &format!("{param}: {message}"),
        Some(param),
    )
}

async fn list_models(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(json!({
        "object": "list",
        "data": [{
            "id": state.name,
            "object": "model",
            "created": state.created,
            "owned_by": "fare-lens",
        }],
    }))
    .into_response()
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let mut body = state.stats.to_json();
    body["model"] = json!(state.name);
    if let Some(failure) = state.stats.failure() {
        body["status"] = json!("failed");
        body["error"] = json!(failure);
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    } else {
        body["status"] = json!("ok");
        axum::Json(body).into_response()
    }
}

/// A chat request, checked.
struct ChatRequest {
    messages: Vec<Message>,
    params: SamplingParams,
    stream: bool,
    include_usage: bool,
    top_logprobs: Option<usize>,
    stop: Vec<u32>,
    render: RenderOptions,
}

fn field_f64(body: &Map<String, Value>, name: &str) -> Result<Option<f64>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| bad(name, &format!("expected a number, got {v}"))),
    }
}

fn field_u64(body: &Map<String, Value>, name: &str) -> Result<Option<u64>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(name, &format!("expected a whole number >= 0, got {v}"))),
    }
}

fn field_bool(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| bad(name, &format!("expected true or false, got {v}"))),
    }
}

fn message_text(content: &Value, at: &str) -> Result<String, ApiError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => {
            let mut text = String::new();
            for (i, part) in parts.iter().enumerate() {
                match (part["type"].as_str(), part["text"].as_str()) {
                    (Some("text"), Some(t)) => text.push_str(t),
                    _ => {
                        return Err(bad(
                            &format!("{at}.content[{i}]"),
                            "only text parts ({\"type\": \"text\", \"text\": ...}) are supported",
                        ));
                    }
                }
            }
            Ok(text)
        }
        Value::Null => Ok(String::new()),
        other => Err(bad(
            &format!("{at}.content"),
            &format!("expected a string or a list of text parts, got {other}"),
        )),
    }
}

fn parse_request(state: &AppState, body: &[u8]) -> Result<ChatRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            &format!("the body is not JSON: {e}"),
            None,
        )
    })?;
    let Value::Object(body) = value else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
            None,
        ));
    };
    if let Some(model) = body.get("model").and_then(Value::as_str)
        && model != state.name
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            &format!(
                "the model `{model}` does not exist here; this server has `{}`",
                state.name
            ),
            Some("model"),
        ));
    }
    let Some(list) = body.get("messages").and_then(Value::as_array) else {
        return Err(bad("messages", "required: a list of messages"));
    };
    if list.is_empty() {
        return Err(bad("messages", "must not be empty"));
    }
    let mut messages = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let at = format!("messages[{i}]");
        let Some(role) = m["role"].as_str() else {
            return Err(bad(&format!("{at}.role"), "required: a string"));
        };
        messages.push(Message::new(role, &message_text(&m["content"], &at)?));
    }
    let temperature = field_f64(&body, "temperature")?.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(bad("temperature", "must be between 0 and 2"));
    }
    let top_p = field_f64(&body, "top_p")?;
    if top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
        return Err(bad("top_p", "must be above 0 and at most 1"));
    }
    let max_tokens = match field_u64(&body, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => field_u64(&body, "max_tokens")?,
    };
    if max_tokens == Some(0) {
        return Err(bad("max_tokens", "must be at least 1"));
    }
    if field_u64(&body, "n")?.is_some_and(|n| n != 1) {
        return Err(bad("n", "only one choice per request is supported"));
    }
    let logprobs = field_bool(&body, "logprobs")?.unwrap_or(false);
    let top = field_u64(&body, "top_logprobs")?;
    if top.is_some_and(|k| k > 20) {
        return Err(bad("top_logprobs", "must be between 0 and 20"));
    }
    let stream = field_bool(&body, "stream")?.unwrap_or(false);
    let include_usage = match body.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => field_bool(o, "include_usage")
            .map_err(|_| bad("stream_options.include_usage", "expected true or false"))?
            .unwrap_or(false),
        Some(_) => return Err(bad("stream_options", "expected an object")),
    };
    let mut stop = state.stop_tokens.clone();
    let stops: Vec<&str> = match body.get("stop") {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|s| {
                s.as_str()
                    .ok_or_else(|| bad("stop", "expected a string or a list of strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("stop", "expected a string or a list of strings")),
    };
    for s in stops {
        match state.tokenizer.token_id(s) {
            Some(id) => stop.push(id),
            None => {
                return Err(bad(
                    "stop",
                    &format!(
                        "only single tokens of the model's vocabulary can stop generation here, and {s:?} is not one"
                    ),
                ));
            }
        }
    }
    let mut render = RenderOptions {
        add_generation_prompt: true,
        enable_thinking: Some(false),
        reasoning_effort: None,
        now: None,
    };
    match body.get("chat_template_kwargs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(kwargs)) => {
            for (key, value) in kwargs {
                let at = format!("chat_template_kwargs.{key}");
                match (key.as_str(), value) {
                    ("enable_thinking", Value::Bool(b)) => render.enable_thinking = Some(*b),
                    ("reasoning_effort", Value::String(s)) => {
                        render.reasoning_effort =
                            Some(s.parse().map_err(|e: String| bad(&at, &e))?);
                    }
                    ("enable_thinking" | "reasoning_effort", other) => {
                        return Err(bad(&at, &format!("unexpected value {other}")));
                    }
                    _ => {
                        return Err(bad(
                            &at,
                            "not supported (enable_thinking and reasoning_effort are)",
                        ));
                    }
                }
            }
        }
        Some(_) => return Err(bad("chat_template_kwargs", "expected an object")),
    }
    // OpenAI's own field (vLLM reads it too); it wins over the chat template kwarg.
    match body.get("reasoning_effort") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            render.reasoning_effort =
                Some(s.parse().map_err(|e: String| bad("reasoning_effort", &e))?);
        }
        Some(other) => {
            return Err(bad(
                "reasoning_effort",
                &format!("expected low, medium or high, got {other}"),
            ));
        }
    }
    let defaults = SamplingParams::default();
    Ok(ChatRequest {
        messages,
        params: SamplingParams {
            temperature,
            top_p,
            seed: field_u64(&body, "seed")?.unwrap_or(defaults.seed),
            max_new_tokens: max_tokens.map_or(defaults.max_new_tokens, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
            reasoning_effort: render.reasoning_effort.unwrap_or_default(),
        },
        stream,
        include_usage,
        top_logprobs: logprobs.then(|| usize::try_from(top.unwrap_or(0)).unwrap_or(20)),
        stop,
        render,
    })
}

async fn chat_completions(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    if let Some(failure) = state.stats.failure() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("the model failed and cannot serve: {failure}"),
            None,
        );
    }
    let mut request = match parse_request(&state, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    // Render and tokenise off the async threads (long prompts take milliseconds).
    let prepared = {
        let state = Arc::clone(&state);
        let messages = request.messages.clone();
        let render = request.render.clone();
        tokio::task::spawn_blocking(move || {
            let text = state.template.render(&messages, &render)?;
            state.tokenizer.encode(&text)
        })
        .await
    };
    let ids = match prepared {
        Ok(Ok(ids)) => ids,
        Ok(Err(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("messages: the chat template cannot render them: {e}"),
                Some("messages"),
            );
        }
        Err(e) => {
            return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None);
        }
    };
    match fit_to_context(ids.len(), request.params.max_new_tokens, state.context) {
        Ok(room) => request.params.max_new_tokens = room,
        Err(why) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("messages: {why}"),
                Some("messages"),
            );
        }
    }
    let (events, receiver) = mpsc::channel(64);
    let job = Job {
        ids,
        params: request.params.clone(),
        stop: request.stop.clone(),
        top_logprobs: request.top_logprobs,
        events,
    };
    if state.stats.queued.fetch_add(1, Ordering::SeqCst) >= state.max_waiting {
        state.stats.queued.fetch_sub(1, Ordering::SeqCst);
        let mut busy = error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "{} requests are already waiting for the model; try again shortly",
                state.max_waiting
            ),
            None,
        );
        busy.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return busy;
    }
    let sent = state
        .jobs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .send(job);
    if sent.is_err() {
        state.stats.queued.fetch_sub(1, Ordering::SeqCst);
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the model thread has stopped",
            None,
        );
    }
    state.stats.requests.fetch_add(1, Ordering::SeqCst);
    let id = format!("chatcmpl-{}", state.next_id.fetch_add(1, Ordering::SeqCst));
    if request.stream {
        stream_response(&state, &id, &request, receiver)
    } else {
        whole_response(&state, &id, &request, receiver).await
    }
}

fn usage(prompt_tokens: usize, completion_tokens: usize) -> Value {
    json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    })
}

async fn whole_response(
    state: &AppState,
    id: &str,
    request: &ChatRequest,
    mut receiver: mpsc::Receiver<Event>,
) -> Response {
    let mut text = String::new();
    let mut logprobs = Vec::new();
    while let Some(event) = receiver.recv().await {
        match event {
            Event::Text {
                piece,
                logprobs: more,
            } => {
                text.push_str(&piece);
                logprobs.extend(more);
            }
            Event::Done {
                finish,
                prompt_tokens,
                completion_tokens,
            } => {
                return axum::Json(json!({
                    "id": id,
                    "object": "chat.completion",
                    "created": now(),
                    "model": state.name,
                    "choices": [{
                        "index": 0,
                        "message": { "role": "assistant", "content": text },
                        "logprobs": request.top_logprobs.map(|_| json!({ "content": logprobs })),
                        "finish_reason": finish,
                    }],
                    "usage": usage(prompt_tokens, completion_tokens),
                }))
                .into_response();
            }
            Event::Failed(message) => {
                return error(StatusCode::SERVICE_UNAVAILABLE, &message, None);
            }
        }
    }
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the model thread stopped before answering",
        None,
    )
}

/// What the SSE stream still has to do.
struct StreamState {
    receiver: mpsc::Receiver<Event>,
    pending: std::collections::VecDeque<SseEvent>,
    chunk: Value,
    include_usage: bool,
    logprobs: bool,
    ended: bool,
}

impl StreamState {
    fn chunk(&self, delta: &Value, logprobs: Option<Vec<Value>>, finish: Option<&str>) -> SseEvent {
        let mut chunk = self.chunk.clone();
        chunk["choices"] = json!([{
            "index": 0,
            "delta": delta,
            "logprobs": logprobs.filter(|_| self.logprobs).map(|c| json!({ "content": c })),
            "finish_reason": finish,
        }]);
        SseEvent::default().data(chunk.to_string())
    }

    /// Turns the next model event into SSE events; false at the end.
    async fn advance(&mut self) -> bool {
        if self.ended {
            return false;
        }
        let Some(event) = self.receiver.recv().await else {
            self.ended = true;
            let error = json!({ "error": {
                "message": "the model thread stopped before answering",
                "type": "service_unavailable", "param": null, "code": null } });
            self.pending
                .push_back(SseEvent::default().data(error.to_string()));
            return true;
        };
        match event {
            Event::Text { piece, logprobs } => {
                let event = self.chunk(&json!({ "content": piece }), Some(logprobs), None);
                self.pending.push_back(event);
            }
            Event::Done {
                finish,
                prompt_tokens,
                completion_tokens,
            } => {
                self.ended = true;
                let event = self.chunk(&json!({}), None, Some(finish));
                self.pending.push_back(event);
                if self.include_usage {
                    let mut chunk = self.chunk.clone();
                    chunk["choices"] = json!([]);
                    chunk["usage"] = usage(prompt_tokens, completion_tokens);
                    self.pending
                        .push_back(SseEvent::default().data(chunk.to_string()));
                }
                self.pending.push_back(SseEvent::default().data("[DONE]"));
            }
            Event::Failed(message) => {
                self.ended = true;
                let error = json!({ "error": {
                    "message": message, "type": "service_unavailable", "param": null, "code": null } });
                self.pending
                    .push_back(SseEvent::default().data(error.to_string()));
            }
        }
        true
    }
}

fn stream_response(
    state: &AppState,
    id: &str,
    request: &ChatRequest,
    receiver: mpsc::Receiver<Event>,
) -> Response {
    let mut stream_state = StreamState {
        receiver,
        pending: std::collections::VecDeque::new(),
        chunk: json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": now(),
            "model": state.name,
            "choices": [],
        }),
        include_usage: request.include_usage,
        logprobs: request.top_logprobs.is_some(),
        ended: false,
    };
    let first = stream_state.chunk(&json!({ "role": "assistant", "content": "" }), None, None);
    stream_state.pending.push_back(first);
    let stream = futures_util::stream::unfold(stream_state, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok::<_, Infallible>(event), s));
            }
            if !s.advance().await {
                return None;
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.keep_alive).text("waiting"))
        .into_response()
}

/// The model thread: takes jobs in arrival order and runs each on a thread of its own, all of
/// them generating together on `batcher`; returns when the queue closes and every job is done.
fn model_thread(
    batcher: &Batcher,
    tokenizer: &TextTokenizer,
    queue: &std_mpsc::Receiver<Job>,
    stats: &ServerStats,
) {
    std::thread::scope(|scope| {
        for job in queue {
            stats.queued.fetch_sub(1, Ordering::SeqCst);
            if job.events.is_closed() {
                // The client left while waiting.
                stats.cancelled.fetch_add(1, Ordering::SeqCst);
                continue;
            }
            if let Some(failure) = stats.failure() {
                send(
                    &job.events,
                    Event::Failed(format!("the model failed: {failure}")),
                );
                continue;
            }
            stats.started.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new()
                .name("fare-request".into())
                .spawn_scoped(scope, move || serve_job(batcher, tokenizer, &job, stats));
            if let Err(e) = spawned {
                eprintln!("serve-model: cannot start a request thread: {e}");
            }
        }
    });
}

/// Runs one job on the batch; a panic there (or in the batch's model code) marks the model
/// failed.
fn serve_job(batcher: &Batcher, tokenizer: &TextTokenizer, job: &Job, stats: &ServerStats) {
    let outcome =
        std::panic::catch_unwind(AssertUnwindSafe(|| run_job(batcher, tokenizer, job, stats)));
    let panic = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => {
            // The batch reports a panic in model code as the failure of every request.
            if let Some(failure) = batcher.stats().failure {
                Some(failure)
            } else {
                send(&job.events, Event::Failed(e.to_string()));
                return;
            }
        }
        Err(panic) => Some(
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic in model code".to_owned()),
        ),
    };
    if let Some(message) = panic {
        *stats
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message.clone());
        send(
            &job.events,
            Event::Failed(format!("the model failed: {message}")),
        );
    }
}

/// The text of token `id` after token `before` (so a leading space is kept by tokenizers that
/// drop it at the start of a text).
fn token_text(tokenizer: &TextTokenizer, before: u32, id: u32) -> String {
    let (Ok(both), Ok(alone)) = (tokenizer.decode(&[before, id]), tokenizer.decode(&[before]))
    else {
        return String::new();
    };
    both.strip_prefix(alone.as_str()).map_or_else(
        || tokenizer.decode(&[id]).unwrap_or_default(),
        str::to_owned,
    )
}

fn logprob_entry(token: &str, logprob: f64) -> Value {
    let bytes = (!token.contains('\u{fffd}')).then(|| token.as_bytes().to_vec());
    json!({ "token": token, "logprob": logprob, "bytes": bytes })
}

/// How long a client may stop reading before its generation is given up.
const STALLED_CLIENT: Duration = Duration::from_mins(1);

/// Sends an event to the request's handler; false when the client has gone (its connection
/// closed, or it read nothing for [`STALLED_CLIENT`] while the buffer was full).
fn send(events: &mpsc::Sender<Event>, event: Event) -> bool {
    let mut event = event;
    let mut waited = Duration::ZERO;
    loop {
        match events.try_send(event) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
            Err(mpsc::error::TrySendError::Full(back)) => {
                if waited >= STALLED_CLIENT {
                    return false;
                }
                event = back;
                std::thread::sleep(Duration::from_millis(5));
                waited += Duration::from_millis(5);
            }
        }
    }
}

/// Generates one answer, sending its text (and log-probabilities) as it grows.
/// Counts it in `stats` before the client hears of the end, so a client that has its answer
/// sees it counted.
fn run_job(
    batcher: &Batcher,
    tokenizer: &TextTokenizer,
    job: &Job,
    stats: &ServerStats,
) -> Result<(), fare_engine::EngineError> {
    // The step hook fills `pending`, the text hook sends it with the text those tokens made.
    let pending: std::cell::RefCell<Vec<Value>> = std::cell::RefCell::new(Vec::new());
    let mut stable = 0usize;
    let mut previous = job.ids.last().copied().unwrap_or(0);
    let mut on_step = |step: &Step<'_>| {
        let Some(k) = job.top_logprobs else { return };
        let lp = top_log_probs(step.logits, step.token, k);
        // The chosen token's text: what it added to the output, so the tokens spell the text
        // exactly; a token that ends inside a character gets the character's bytes later.
        let text = if step.text.ends_with('\u{fffd}') {
            String::new()
        } else {
            let t = step.text.get(stable..).unwrap_or_default().to_owned();
            stable = step.text.len();
            t
        };
        let mut entry = logprob_entry(&text, lp.chosen);
        entry["top_logprobs"] = Value::Array(
            lp.top
                .iter()
                .map(|&(id, logprob)| {
                    let alt = if id == step.token {
                        text.clone()
                    } else {
                        token_text(tokenizer, previous, id)
                    };
                    logprob_entry(&alt, logprob)
                })
                .collect(),
        );
        previous = step.token;
        pending.borrow_mut().push(entry);
    };
    let events = &job.events;
    let mut on_text = |piece: &str| {
        let event = Event::Text {
            piece: piece.to_owned(),
            logprobs: std::mem::take(&mut *pending.borrow_mut()),
        };
        if send(events, event) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    };
    let generation = batcher.generate(
        tokenizer,
        &job.ids,
        &job.stop,
        &job.params,
        job.top_logprobs
            .is_some()
            .then_some(&mut on_step as &mut dyn FnMut(&Step<'_>)),
        &mut on_text,
    )?;
    stats
        .tokens
        .fetch_add(generation.tokens.len() as u64, Ordering::SeqCst);
    let finish = match generation.ending {
        Ending::Cancelled => {
            stats.cancelled.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
        Ending::Length => "length",
        Ending::Stopped => "stop",
    };
    stats
        .peak_batch
        .fetch_max(batcher.stats().peak_running as u64, Ordering::SeqCst);
    stats.finished.fetch_add(1, Ordering::SeqCst);
    let rest = pending.take();
    if !rest.is_empty() {
        send(
            events,
            Event::Text {
                piece: String::new(),
                logprobs: rest,
            },
        );
    }
    send(
        events,
        Event::Done {
            finish,
            prompt_tokens: generation.prompt_tokens,
            completion_tokens: generation.tokens.len(),
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::fit_to_context;

    #[test]
    fn new_tokens_are_cut_to_what_the_context_leaves() {
        assert_eq!(fit_to_context(100, 50, Some(4096)), Ok(50));
        assert_eq!(fit_to_context(4000, 500, Some(4096)), Ok(96));
        assert_eq!(fit_to_context(4095, 500, Some(4096)), Ok(1));
        let e = fit_to_context(4096, 1, Some(4096)).unwrap_err();
        assert!(
            e.contains("4096 tokens") && e.contains("prompt is 4096"),
            "{e}"
        );
        assert_eq!(fit_to_context(1 << 20, 7, None), Ok(7));
    }
}
