//! FARE Lens over HTTP, in the OpenAI chat-completions dialect.
//!
//! - [`client`]: [`EndpointJudge`], a [`fare_engine::evaluator::Judge`] that sends FARE prompts
//!   to an OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, or ours below), with N
//!   requests in flight, retries with backoff, timeouts and streamed output.
//! - [`guard`]: who may call a server of ours on this machine (the secret, `Host`, `Origin`),
//!   shared by `fare-lens serve` and `serve-model`.
//! - [`outbound`]: where the app may send a request an API caller names (an endpoint typed
//!   into the model panel), and which requests carry the user's API key.
//! - [`sse`]: reading a server-sent-events body one event at a time (the client's stream).
//! - [`logprobs`]: verdict probabilities read from the log-probabilities a server streamed.
//! - [`server`]: `fare-lens serve-model`, an OpenAI-compatible server backed by the candle
//!   engine: one generation at a time, requests queued, streaming, cancellation when the client
//!   goes away. The desktop app runs it as a worker process and talks to it with the client.

pub mod client;
pub mod guard;
pub mod logprobs;
pub mod outbound;
pub mod server;
pub mod sse;

pub use client::{EndpointConfig, EndpointJudge, RetryPolicy, Streamed};
pub use server::{RunningServer, ServeOptions, ServerStats, serve};

/// Errors of the endpoint client and server.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Bad settings (a URL that is not one, a missing API key variable).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached, or the connection broke.
    #[error("{url}: {message}")]
    Connection {
        /// The URL requested.
        url: String,
        /// What went wrong, and after how many attempts.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message (its error JSON's `message`; a body of another kind is not shown).
        message: String,
    },
    /// The server answered something that is not the OpenAI format.
    #[error("{url}: {message}")]
    Protocol {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The server could not start (bind failed, runtime failed).
    #[error("serve: {0}")]
    Serve(String),
}

impl From<EndpointError> for fare_engine::EngineError {
    fn from(e: EndpointError) -> Self {
        fare_engine::EngineError::Runtime(e.to_string())
    }
}
