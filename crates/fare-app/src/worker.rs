//! The model worker: the evaluator model runs in a process of its own, so that a GPU
//! out-of-memory, a crash or a panic in model code cannot take the app down (ARCHITECTURE.md,
//! "The desktop app runs the model in a worker process").
//!
//! Loading a local model starts `serve-model PATH --addr 127.0.0.1:0` as a child process, the
//! way the shell says ([`WorkerCommand`]: `fare-lens serve` and the desktop shell run their own
//! executable). The child prints its address once the model is loaded; it is ready when its
//! `/health` answers. The last lines of its standard error are kept to explain a failure. The
//! child exiting, being killed, or its model failing (`/health` answers 503) makes the worker
//! `failed` with the reason, and nothing more: the app goes on. Unloading kills the child, and
//! so does dropping the [`Worker`]; the child also watches the pipe on its standard input
//! (`--exit-with-stdin`), so it ends with this process however this process ends.
//!
//! Instead of a local model, an OpenAI-compatible endpoint someone else runs (vLLM, llama.cpp's
//! server) can be used: it is ready once `GET {url}/models` answers and lists the model.
//!
//! Where the worker stands is polled ([`Worker::view`]), never pushed, so the same calls work
//! over HTTP and Tauri. [`crate::models`] lists what can be loaded; [`crate::jobs`] judges with
//! what is loaded ([`Worker::source`]).
//!
//! An endpoint named through the API is someone's input, so ([`fare_endpoint::outbound`]): the
//! user's API key (`OPENAI_API_KEY` in the app's environment; none can be typed in) goes only
//! to an endpoint the user configured ([`Worker::with_endpoints`]: `fare-lens serve
//! --endpoint`, or `FARE_LENS_ENDPOINTS`), link-local and metadata addresses are refused unless
//! configured, and no redirect is followed.
//!
//! Known limits: one model at a time; no time limit on loading (unload stops it).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use fare_endpoint::outbound::ConfiguredEndpoints;
use fare_endpoint::{EndpointConfig, EndpointJudge, RetryPolicy};
use fare_engine::device::{DeviceChoice, WeightDtype};
use fare_engine::discover::WeightsFormat;
use fare_engine::gpt_oss::ExpertWeights;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, ErrorView};
use crate::models;

/// How the shell starts a worker: `program ARGS_PREFIX… MODEL --addr 127.0.0.1:0 …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// What comes before the model's arguments (`["serve-model"]` for `fare-lens`).
    pub args_prefix: Vec<String>,
}

impl WorkerCommand {
    /// This executable, run as `EXE serve-model …` (what `fare-lens serve` and the desktop
    /// shell, which answers `serve-model` too, use).
    pub fn this_executable() -> std::io::Result<WorkerCommand> {
        Ok(WorkerCommand {
            program: std::env::current_exe()?,
            args_prefix: vec!["serve-model".to_owned()],
        })
    }
}

/// What to load.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LoadRequest {
    /// A model the model list shows, run by a worker process.
    Local {
        /// Its path, as the model list gives it.
        path: String,
        /// The device (default: the CPU).
        #[serde(default)]
        #[ts(optional)]
        device: Option<DeviceChoice>,
        /// A safetensors model's dtype (default: f32 on the CPU, bf16 on a GPU). A GGUF file
        /// keeps its own.
        #[serde(default)]
        #[ts(optional)]
        dtype: Option<WeightDtype>,
        /// How a gpt-oss model keeps its experts (default: dequantised; the model list's memory
        /// estimates name each). Other models refuse it.
        #[serde(default)]
        #[ts(optional)]
        experts: Option<ExpertWeights>,
    },
    /// An OpenAI-compatible server someone else runs.
    Endpoint {
        /// Its API base, `http://host:port/v1`.
        url: String,
        /// The model name it serves (also the run's model name in the project).
        model: String,
    },
}

/// What answers the judging requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerKind {
    /// A worker process this app started on a local model.
    Local,
    /// An OpenAI-compatible server someone else runs.
    Endpoint,
}

/// Where the worker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerState {
    /// No model.
    Unloaded,
    /// Starting, loading the weights, or reaching the endpoint.
    Loading,
    /// Ready to judge.
    Ready,
    /// It stopped or could not start; `error` says why.
    Failed,
}

/// The worker, as the model panel shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkerView {
    /// Where it stands.
    pub state: WorkerState,
    /// The model's name.
    pub model: Option<String>,
    /// Its path, or the endpoint's URL.
    pub location: Option<String>,
    /// A local model's worker process, or an endpoint.
    pub kind: Option<WorkerKind>,
    /// The device a local model runs on.
    pub device: Option<DeviceChoice>,
    /// The type a safetensors model was loaded as, or a GGUF file's own.
    pub dtype: Option<String>,
    /// The address it answers at (`http://127.0.0.1:PORT/v1` for a local model).
    pub url: Option<String>,
    /// The worker process's id.
    pub pid: Option<u32>,
    /// Seconds since loading began.
    pub seconds: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// The last lines the worker wrote to its standard error.
    pub log: Vec<String>,
}

/// What went wrong with a model or a job.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The request does not fit (an unknown model, no model loaded, a job already running).
    #[error("{0}")]
    Invalid(String),
    /// The project.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The worker process could not be started.
    #[error("cannot start the model worker `{program}`: {source}")]
    Spawn {
        /// The executable.
        program: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<&ModelError> for ErrorView {
    fn from(e: &ModelError) -> Self {
        ErrorView {
            message: e.to_string(),
        }
    }
}

/// Lines of the worker's standard error kept, and characters of each.
const LOG_LINES: usize = 40;
const LOG_LINE_CHARS: usize = 1000;

/// How often a ready worker's `/health` is asked.
const HEALTH_EVERY: Duration = Duration::from_secs(2);

/// What was loaded.
#[derive(Debug, Clone)]
struct Loaded {
    name: String,
    location: String,
    local: bool,
    device: Option<DeviceChoice>,
    dtype: Option<String>,
    /// The key the worker process requires (a fresh one each load), or the user's API key for
    /// a configured endpoint; `None`: no key is sent.
    key: Option<Key>,
}

/// A worker's API key, never shown in logs or debug output.
#[derive(Clone)]
struct Key(String);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

/// The worker's state, shared with the threads that watch it. Each load is a new
/// `generation`: a thread of an earlier one finds it changed and stops.
#[derive(Debug)]
struct Slot {
    generation: u64,
    state: WorkerState,
    loaded: Option<Loaded>,
    url: Option<String>,
    child: Option<Child>,
    /// Held open: the child ends when it closes.
    stdin: Option<ChildStdin>,
    started: Instant,
    error: Option<String>,
    log: VecDeque<String>,
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // The slot holds no invariant a panicking thread could break half-way.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Slot {
    /// Marks the worker failed and stops its process, if this is still its generation.
    fn fail(&mut self, generation: u64, error: String) {
        if self.generation != generation {
            return;
        }
        self.state = WorkerState::Failed;
        self.error = Some(error);
        self.url = None;
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The model the app judges with: none, a worker process, or an endpoint.
#[derive(Debug)]
pub struct Worker {
    command: Option<WorkerCommand>,
    endpoints: ConfiguredEndpoints,
    slot: Arc<Mutex<Slot>>,
}

/// Requests a judging run keeps in flight to the local worker: the CPU default of the engine's
/// batch ([`fare_engine::batch::BatchOptions::for_model`]); a GPU worker batches up to 64, and
/// the difference is small once the batch is this full.
pub const LOCAL_PARALLEL: usize = 16;

/// What a job judges with: the loaded model, as an endpoint.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// The model's name in the project's runs.
    pub name: String,
    /// Where the model is (its path, or the endpoint's URL): the run's provenance.
    pub location: String,
    /// `local` or `endpoint` (the run's provenance).
    pub kind: &'static str,
    url: String,
    local: bool,
    key: Option<Key>,
    watch: WorkerWatch,
}

impl ModelSource {
    /// A client of the model: a judging run forks it into [`LOCAL_PARALLEL`] requests in
    /// flight for the local worker, whose continuous batching generates them together (those
    /// beyond its batch or cache budget wait in its queue), and one at a time for others.
    pub fn client(&self) -> Result<EndpointJudge, ModelError> {
        let mut config = EndpointConfig::new(&self.url, &self.name);
        config.parallel = if self.local { LOCAL_PARALLEL } else { 1 };
        if self.local {
            // A worker that does not answer has crashed; retrying would only delay saying so.
            config.retry = RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(1),
            };
        }
        let judge = EndpointJudge::new(config).map_err(|e| ModelError::Invalid(e.to_string()))?;
        Ok(match &self.key {
            Some(Key(key)) => judge.with_api_key(key),
            None => judge.without_api_key(),
        })
    }

    /// Why the model this source came from is no longer there (it failed, or another was
    /// loaded), if it is not, waiting up to `wait` for the worker's watcher to notice (a
    /// request can fail a moment before the watcher sees the process gone).
    pub fn failure(&self, wait: Duration) -> Option<String> {
        let started = Instant::now();
        loop {
            let failure = self.watch.failure();
            if failure.is_some() || !self.local || started.elapsed() >= wait {
                return failure;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Tells whether one generation of the worker still stands.
#[derive(Debug, Clone)]
struct WorkerWatch {
    slot: Arc<Mutex<Slot>>,
    generation: u64,
}

impl WorkerWatch {
    fn failure(&self) -> Option<String> {
        let slot = lock(&self.slot);
        if slot.generation != self.generation {
            return Some("the model was unloaded".to_owned());
        }
        match slot.state {
            WorkerState::Failed => Some(
                slot.error
                    .clone()
                    .unwrap_or_else(|| "the model worker failed".to_owned()),
            ),
            WorkerState::Ready | WorkerState::Loading => None,
            WorkerState::Unloaded => Some("the model was unloaded".to_owned()),
        }
    }
}

impl Worker {
    /// No model yet; `command` starts worker processes (without it, only endpoints can be used).
    pub fn new(command: Option<WorkerCommand>) -> Worker {
        Worker {
            command,
            endpoints: ConfiguredEndpoints::default(),
            slot: Arc::new(Mutex::new(Slot {
                generation: 0,
                state: WorkerState::Unloaded,
                loaded: None,
                url: None,
                child: None,
                stdin: None,
                started: Instant::now(),
                error: None,
                log: VecDeque::new(),
            })),
        }
    }

    /// The same worker, which sends the endpoints' key (the user's `$OPENAI_API_KEY`) to them
    /// and to no other endpoint, and may call them even on a link-local address.
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: ConfiguredEndpoints) -> Worker {
        self.endpoints = endpoints;
        self
    }

    /// Where it stands.
    pub fn view(&self) -> WorkerView {
        let slot = lock(&self.slot);
        let loaded = slot.loaded.as_ref();
        WorkerView {
            state: slot.state,
            model: loaded.map(|l| l.name.clone()),
            location: loaded.map(|l| l.location.clone()),
            kind: loaded.map(|l| {
                if l.local {
                    WorkerKind::Local
                } else {
                    WorkerKind::Endpoint
                }
            }),
            device: loaded.and_then(|l| l.device),
            dtype: loaded.and_then(|l| l.dtype.clone()),
            url: slot.url.clone(),
            pid: slot.child.as_ref().map(Child::id),
            seconds: if slot.state == WorkerState::Unloaded {
                0.0
            } else {
                slot.started.elapsed().as_secs_f64()
            },
            error: slot.error.clone(),
            log: slot.log.iter().cloned().collect(),
        }
    }

    /// Starts loading (a model found in `folders` or the Hugging Face cache, or an endpoint),
    /// after unloading what was loaded; returns at once, in `loading`.
    pub fn load(
        &self,
        request: &LoadRequest,
        folders: &[PathBuf],
    ) -> Result<WorkerView, ModelError> {
        match request {
            LoadRequest::Local {
                path,
                device,
                dtype,
                experts,
            } => self.load_local(path, *device, *dtype, *experts, folders)?,
            LoadRequest::Endpoint { url, model } => self.load_endpoint(url, model)?,
        }
        Ok(self.view())
    }

    fn load_local(
        &self,
        path: &str,
        device: Option<DeviceChoice>,
        dtype: Option<WeightDtype>,
        experts: Option<ExpertWeights>,
        folders: &[PathBuf],
    ) -> Result<(), ModelError> {
        let command = self.command.as_ref().ok_or_else(|| {
            ModelError::Invalid(
                "this app cannot start a model worker: use an OpenAI-compatible endpoint".into(),
            )
        })?;
        let found = models::find_model(folders, path).ok_or_else(|| {
            ModelError::Invalid(format!(
                "`{path}` is not one of the models found in {} or the Hugging Face cache",
                folders
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if let Some(problem) = &found.problem {
            return Err(ModelError::Invalid(format!(
                "{} cannot be loaded: {problem}",
                found.name
            )));
        }
        let device = device.unwrap_or(DeviceChoice::Cpu);
        if !device.is_compiled() {
            return Err(ModelError::Invalid(format!(
                "this build cannot run models on `{device}` (it can on {})",
                DeviceChoice::compiled_list()
            )));
        }
        let gguf = found.format == WeightsFormat::Gguf;
        let dtype = dtype.filter(|_| !gguf);
        if experts.is_some() && found.architecture.as_deref() != Some("gpt_oss") {
            return Err(ModelError::Invalid(format!(
                "{} has no experts: the expert format applies to gpt-oss models only",
                found.name
            )));
        }
        self.unload();
        // Other users of the machine reach loopback too: the worker answers only its key,
        // given in the environment (a command line is readable by every user).
        let key = fare_endpoint::guard::random_secret()
            .map_err(|e| ModelError::Invalid(format!("cannot make the worker's key: {e}")))?;
        let mut process = Command::new(&command.program);
        process
            .args(&command.args_prefix)
            .arg(&found.path)
            .args(["--addr", "127.0.0.1:0", "--name", &found.name])
            .args(["--device", &device.to_string(), "--exit-with-stdin"])
            .env(crate::serve_model::API_KEY_VAR, &key);
        if let Some(dtype) = dtype {
            process.args(["--dtype", dtype.name()]);
        }
        if let Some(experts) = experts {
            process.args(["--experts", experts.name()]);
        }
        let mut child = process
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ModelError::Spawn {
                program: command.program.display().to_string(),
                source,
            })?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let generation = {
            let mut slot = lock(&self.slot);
            slot.generation += 1;
            slot.state = WorkerState::Loading;
            slot.loaded = Some(Loaded {
                name: found.name.clone(),
                location: found.path.display().to_string(),
                local: true,
                key: Some(Key(key)),
                device: Some(device),
                dtype: if gguf {
                    found.dtype.clone()
                } else {
                    // serve-model's defaults.
                    let dtype = dtype.unwrap_or(device.default_dtype());
                    Some(match experts {
                        Some(experts) => format!("{dtype}, experts {experts}"),
                        None => dtype.to_string(),
                    })
                },
            });
            slot.url = None;
            slot.stdin = child.stdin.take();
            slot.child = Some(child);
            slot.started = Instant::now();
            slot.error = None;
            slot.log.clear();
            slot.generation
        };
        if let Some(stderr) = stderr {
            let slot = Arc::clone(&self.slot);
            std::thread::spawn(move || keep_log(&slot, generation, stderr));
        }
        if let Some(stdout) = stdout {
            let slot = Arc::clone(&self.slot);
            std::thread::spawn(move || await_address(&slot, generation, stdout));
        }
        let slot = Arc::clone(&self.slot);
        std::thread::spawn(move || watch(&slot, generation));
        Ok(())
    }

    fn load_endpoint(&self, url: &str, model: &str) -> Result<(), ModelError> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !fare_endpoint::client::is_endpoint_url(&url) {
            return Err(ModelError::Invalid(format!(
                "`{url}` is not an endpoint URL (http://host:port/v1)"
            )));
        }
        let model = model.trim().to_owned();
        if model.is_empty() {
            return Err(ModelError::Invalid(
                "name the model the endpoint serves".into(),
            ));
        }
        self.endpoints.check(&url).map_err(ModelError::Invalid)?;
        let key = self.endpoints.key_for(&url).map(|k| Key(k.to_owned()));
        self.unload();
        let generation = {
            let mut slot = lock(&self.slot);
            slot.generation += 1;
            slot.state = WorkerState::Loading;
            slot.loaded = Some(Loaded {
                name: model.clone(),
                location: url.clone(),
                local: false,
                device: None,
                dtype: None,
                key: key.clone(),
            });
            slot.url = Some(url.clone());
            slot.started = Instant::now();
            slot.error = None;
            slot.log.clear();
            slot.generation
        };
        let slot = Arc::clone(&self.slot);
        let endpoints = self.endpoints.clone();
        std::thread::spawn(move || {
            let outcome = endpoints
                .check_resolved(&url)
                .and_then(|()| check_endpoint(&url, &model, key.as_ref()));
            let mut slot = lock(&slot);
            if slot.generation != generation {
                return;
            }
            match outcome {
                Ok(()) => slot.state = WorkerState::Ready,
                Err(e) => slot.fail(generation, e),
            }
        });
        Ok(())
    }

    /// Stops the worker process (or forgets the endpoint); jobs using it then fail.
    pub fn unload(&self) -> WorkerView {
        {
            let mut slot = lock(&self.slot);
            slot.generation += 1;
            slot.state = WorkerState::Unloaded;
            slot.loaded = None;
            slot.url = None;
            slot.error = None;
            slot.log.clear();
            slot.stdin = None;
            if let Some(mut child) = slot.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        self.view()
    }

    /// What a job judges with, when a model is ready.
    pub fn source(&self) -> Result<ModelSource, ModelError> {
        let slot = lock(&self.slot);
        let (WorkerState::Ready, Some(loaded), Some(url)) =
            (slot.state, slot.loaded.as_ref(), slot.url.as_ref())
        else {
            return Err(ModelError::Invalid(match slot.state {
                WorkerState::Loading => "the model is still loading".to_owned(),
                WorkerState::Failed => format!(
                    "the model failed: {}",
                    slot.error.as_deref().unwrap_or("no reason given")
                ),
                _ => "no model is loaded: load one first".to_owned(),
            }));
        };
        Ok(ModelSource {
            name: loaded.name.clone(),
            location: loaded.location.clone(),
            kind: if loaded.local { "local" } else { "endpoint" },
            url: url.clone(),
            local: loaded.local,
            key: loaded.key.clone(),
            watch: WorkerWatch {
                slot: Arc::clone(&self.slot),
                generation: slot.generation,
            },
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.unload();
    }
}

/// Keeps the last lines of the worker's standard error.
fn keep_log(slot: &Mutex<Slot>, generation: u64, stderr: impl Read) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        let mut slot = lock(slot);
        if slot.generation != generation {
            return;
        }
        if slot.log.len() == LOG_LINES {
            slot.log.pop_front();
        }
        slot.log
            .push_back(line.chars().take(LOG_LINE_CHARS).collect());
    }
}

/// Waits for the line that says where the worker listens, then for its `/health`.
fn await_address(slot: &Mutex<Slot>, generation: u64, stdout: impl Read) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(str::to_owned)
        else {
            continue;
        };
        let healthy = wait_healthy(&url);
        let mut slot = lock(slot);
        if slot.generation != generation || slot.state != WorkerState::Loading {
            return;
        }
        match healthy {
            Ok(()) => {
                slot.state = WorkerState::Ready;
                slot.url = Some(url);
            }
            Err(e) => slot.fail(generation, e),
        }
    }
}

/// `http://ADDR/health` of a worker at `http://ADDR/v1`.
fn health_url(url: &str) -> String {
    format!(
        "{}/health",
        url.trim_end_matches('/').trim_end_matches("/v1")
    )
}

fn http_client() -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// Asks the worker's `/health` until it answers (for up to 30 s).
fn wait_healthy(url: &str) -> Result<(), String> {
    let client = http_client()?;
    let health = health_url(url);
    let started = Instant::now();
    loop {
        match client.get(&health).send() {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => {
                return Err(format!(
                    "the model worker is not healthy: {}",
                    health_error(r)
                ));
            }
            Err(e) if started.elapsed() > Duration::from_secs(30) => {
                return Err(format!("the model worker does not answer at {health}: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// The reason in a failed `/health` answer.
fn health_error(response: reqwest::blocking::Response) -> String {
    let status = response.status();
    response
        .text()
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("error")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// Watches a worker process: its exit, and its `/health` while it is ready.
fn watch(slot: &Mutex<Slot>, generation: u64) {
    let client = http_client().ok();
    let mut last_health = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let mut guard = lock(slot);
        if guard.generation != generation {
            return;
        }
        let Some(child) = guard.child.as_mut() else {
            return;
        };
        match child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => {
                guard.child = None;
                let when = if guard.state == WorkerState::Loading {
                    "before the model was ready"
                } else {
                    "while the model was loaded"
                };
                let stopped = format!("the model worker stopped {when} ({status})");
                guard.fail(generation, stopped.clone());
                drop(guard);
                // The log reader may still be taking the last lines the worker wrote: its own
                // error message, when it gave one, is added once they are in.
                std::thread::sleep(Duration::from_millis(300));
                let mut guard = lock(slot);
                if guard.generation == generation
                    && let Some(reason) = guard
                        .log
                        .iter()
                        .rev()
                        .find_map(|l| l.strip_prefix("error: "))
                        .map(str::to_owned)
                {
                    guard.error = Some(format!("{stopped}: {reason}"));
                }
                return;
            }
            Err(e) => {
                guard.fail(
                    generation,
                    format!("cannot tell whether the model worker runs: {e}"),
                );
                return;
            }
        }
        let url = guard.url.clone();
        let ready = guard.state == WorkerState::Ready;
        drop(guard);
        if let (true, Some(url), Some(client)) = (ready, url, client.as_ref())
            && last_health.elapsed() >= HEALTH_EVERY
        {
            last_health = Instant::now();
            // A model that failed (a panic in model code) answers 503 with the reason; a
            // worker too busy to answer is not a failure.
            if let Ok(response) = client.get(health_url(&url)).send()
                && response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
            {
                let error = health_error(response);
                lock(slot).fail(generation, format!("the model failed: {error}"));
                return;
            }
        }
    }
}

/// Whether an endpoint answers `GET {url}/models` and lists `model`, asked with `key`.
fn check_endpoint(url: &str, model: &str, key: Option<&Key>) -> Result<(), String> {
    let client = http_client()?;
    let mut request = client.get(format!("{url}/models"));
    if let Some(Key(key)) = key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .map_err(|e| format!("{url} does not answer: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        let unkeyed = if key.is_none() && status.as_u16() == 401 {
            format!(
                " (no API key was sent: $OPENAI_API_KEY goes only to endpoints the user \
                 configured, with fare-lens serve --endpoint or {})",
                fare_endpoint::outbound::ENDPOINTS_VAR
            )
        } else {
            String::new()
        };
        return Err(format!("{url}/models answered HTTP {status}{unkeyed}"));
    }
    let listed: Vec<String> = response
        .text()
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            Some(
                v.get("data")?
                    .as_array()?
                    .iter()
                    .filter_map(|m| m.get("id")?.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .unwrap_or_default();
    if listed.is_empty() || listed.iter().any(|m| m == model) {
        Ok(())
    } else {
        Err(format!(
            "{url} does not serve `{model}` (it serves {})",
            listed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_health_address_is_beside_the_api_base() {
        assert_eq!(
            health_url("http://127.0.0.1:4000/v1"),
            "http://127.0.0.1:4000/health"
        );
    }

    #[test]
    fn a_worker_without_a_command_loads_no_local_model() {
        let worker = Worker::new(None);
        let error = worker
            .load(
                &LoadRequest::Local {
                    path: "m.gguf".into(),
                    device: None,
                    dtype: None,
                    experts: None,
                },
                &[],
            )
            .unwrap_err();
        assert!(error.to_string().contains("endpoint"), "{error}");
        assert_eq!(worker.view().state, WorkerState::Unloaded);
    }

    #[test]
    fn only_a_model_in_the_lists_is_loaded() {
        let worker = Worker::new(Some(WorkerCommand {
            program: "fare-lens".into(),
            args_prefix: vec!["serve-model".into()],
        }));
        let dir = tempfile::tempdir().unwrap();
        let error = worker
            .load(
                &LoadRequest::Local {
                    path: "/etc/passwd".into(),
                    device: None,
                    dtype: None,
                    experts: None,
                },
                &[dir.path().to_owned()],
            )
            .unwrap_err();
        assert!(
            error.to_string().contains("not one of the models"),
            "{error}"
        );
    }

    /// A worker that cannot load its model: it says why on stderr and exits (a shell stands in
    /// for `serve-model` failing; the real one is run by fare-cli's model panel test).
    #[cfg(unix)]
    #[test]
    fn a_worker_that_stops_while_loading_fails_with_its_own_error() {
        let Some(model) = fare_testkit::smollm2() else {
            return;
        };
        let worker = Worker::new(Some(WorkerCommand {
            program: "sh".into(),
            args_prefix: vec![
                "-c".into(),
                "echo 'reading the weights' >&2; echo 'error: out of memory' >&2; exit 3".into(),
                "worker".into(),
            ],
        }));
        let view = worker
            .load(
                &LoadRequest::Local {
                    path: model.display().to_string(),
                    device: None,
                    dtype: None,
                    experts: None,
                },
                &[model.parent().unwrap().to_owned()],
            )
            .unwrap();
        assert_eq!(view.state, WorkerState::Loading);
        assert_eq!(view.dtype.as_deref(), Some("Q4_1"));
        let started = Instant::now();
        let view = loop {
            let view = worker.view();
            if view.state != WorkerState::Loading
                && view.error.as_deref().is_some_and(|e| e.contains("memory"))
            {
                break view;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{view:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(view.state, WorkerState::Failed);
        assert_eq!(
            view.error.as_deref(),
            Some(
                "the model worker stopped before the model was ready (exit status: 3): out of memory"
            )
        );
        assert_eq!(view.log, ["reading the weights", "error: out of memory"]);
        assert!(view.pid.is_none());
        assert!(worker.source().is_err());
    }

    /// A one-route endpoint on loopback answering `GET /v1/models` with model `m`; what each
    /// request's `Authorization` was comes back through the channel.
    fn models_endpoint() -> (String, std::sync::mpsc::Receiver<Option<String>>) {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(8) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut auth = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("authorization")
                    {
                        auth = Some(value.trim().to_owned());
                    }
                }
                let body = r#"{"data":[{"id":"m"}]}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if tx.send(auth).is_err() {
                    break;
                }
            }
        });
        (url, rx)
    }

    fn load_endpoint_until_settled(worker: &Worker, url: &str) -> WorkerView {
        worker
            .load(
                &LoadRequest::Endpoint {
                    url: url.to_owned(),
                    model: "m".into(),
                },
                &[],
            )
            .unwrap();
        let started = Instant::now();
        while worker.view().state == WorkerState::Loading {
            assert!(started.elapsed() < Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(20));
        }
        worker.view()
    }

    #[test]
    fn the_users_api_key_goes_only_to_configured_endpoints() {
        let (configured_url, configured_seen) = models_endpoint();
        let (other_url, other_seen) = models_endpoint();
        let endpoints = ConfiguredEndpoints::new(&[configured_url.as_str()])
            .unwrap()
            .with_key(Some("sk-users-key"));
        let worker = Worker::new(None).with_endpoints(endpoints);

        let view = load_endpoint_until_settled(&worker, &other_url);
        assert_eq!(view.state, WorkerState::Ready, "{view:?}");
        assert_eq!(
            other_seen.recv().unwrap(),
            None,
            "the key went to an endpoint typed in"
        );
        assert!(worker.source().unwrap().key.is_none());

        let view = load_endpoint_until_settled(&worker, &format!("{configured_url}/"));
        assert_eq!(view.state, WorkerState::Ready, "{view:?}");
        assert_eq!(
            configured_seen.recv().unwrap().as_deref(),
            Some("Bearer sk-users-key")
        );
        assert!(worker.source().unwrap().key.is_some());
    }

    #[test]
    fn a_metadata_address_is_refused_unless_configured() {
        let worker = Worker::new(None);
        let error = worker
            .load(
                &LoadRequest::Endpoint {
                    url: "http://169.254.169.254/latest/v1".into(),
                    model: "m".into(),
                },
                &[],
            )
            .unwrap_err();
        assert!(error.to_string().contains("metadata"), "{error}");
        assert_eq!(worker.view().state, WorkerState::Unloaded);
    }

    #[test]
    fn a_source_needs_a_ready_model() {
        let worker = Worker::new(None);
        let error = worker.source().unwrap_err();
        assert!(error.to_string().contains("no model is loaded"), "{error}");
    }

    #[test]
    fn an_endpoint_that_does_not_answer_fails_with_its_address() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let worker = Worker::new(None);
        let url = format!("http://127.0.0.1:{port}/v1");
        let view = worker
            .load(
                &LoadRequest::Endpoint {
                    url: url.clone(),
                    model: "m".into(),
                },
                &[],
            )
            .unwrap();
        assert_eq!(view.state, WorkerState::Loading);
        let started = Instant::now();
        while worker.view().state == WorkerState::Loading {
            assert!(started.elapsed() < Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(50));
        }
        let view = worker.view();
        assert_eq!(view.state, WorkerState::Failed);
        assert!(
            view.error.as_deref().unwrap().contains(&url),
            "{:?}",
            view.error
        );
    }
}
