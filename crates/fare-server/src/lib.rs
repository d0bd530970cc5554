//! `fare-lens serve`: the application API of one project over HTTP under `/api/`, and the web UI
//! at `/`, so a project on a headless GPU box can be reviewed from a laptop through an SSH
//! tunnel, and the UI's browser tests run against the real thing.
//!
//! Every `/api/` route only carries one call of [`fare_app::api::OpenProject`] (or of the model
//! and its jobs: [`fare_app::models`], [`fare_app::worker`], [`fare_app::jobs`]): JSON in, JSON
//! out, errors as `{"message": ...}` with a 4xx/5xx status. Project calls run one at a time on a
//! blocking thread (SQLite answers each in milliseconds), so the server never stalls its
//! connections on the database. Model and job calls never wait for the project: a job judges on
//! a thread of its own with its own connection, and is polled (`GET /api/jobs/{id}`), so
//! annotating goes on while a model runs.
//!
//! Loopback by default, and closed to everyone but the person who started it, on loopback too
//! (a shared GPU box has other users; any web page the user visits can reach loopback):
//!
//! - every `/api/` request carries the server's [`Token`] (`Authorization: Bearer …`); the page
//!   itself loads without it and the UI takes the token from the printed address's fragment
//!   (`http://127.0.0.1:7878/#token=…`), which browsers never send to the server;
//! - the `Host` must name this server: `localhost` or a loopback address (any port, so an SSH
//!   tunnel may land on another one), the bound address with its port, or a name given with
//!   `--allow-host`; a listener on every interface (`0.0.0.0`) takes any name. Anything else is
//!   a DNS-rebinding page's name, answered 421;
//! - a writing request (not `GET`/`HEAD`) from a page of another origin (`Origin`, or
//!   `Sec-Fetch-Site: cross-site`) is refused with 403;
//! - no response may be framed by another page (`X-Frame-Options`, `frame-ancestors 'none'`).
//!
//! The API is the command registry ([`fare_app::commands`]): `POST /api/{command}` with the
//! command's arguments as the JSON body (the same object the desktop shell's `invoke` carries;
//! an empty body is no arguments), answered with the command's JSON. `fare-lens serve
//! --read-only` refuses the commands that write (403). Any other method is answered 405, an
//! unknown command 404.

//! The import commands read a file on the machine the server runs on, named by its full path,
//! and the export and merge commands write one; both only inside the data folders (the
//! project's folder, and those given with `--data`), never in a hidden folder, never over a
//! file this server did not export, never the project's own files ([`fare_app::files`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use fare_app::api::{ApiError, ErrorView, OpenProject};
use fare_app::commands::{self, ModelContext, ModelDesk, Side};
use fare_app::files::FileAccess;
use fare_app::jobs::JobTarget;
use fare_app::worker::{ConfiguredEndpoints, ModelError, Worker, WorkerCommand};
use fare_endpoint::guard::{self, Hosts};
use fare_store::StoreError;
use serde_json::Value;
use tower_http::services::{ServeDir, ServeFile};

/// The secret every `/api/` request carries: at least 16 visible ASCII characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Arc<str>);

impl Token {
    /// A fresh random token (32 hex digits from the operating system's generator).
    pub fn random() -> std::io::Result<Token> {
        Ok(Token(guard::random_secret()?.into()))
    }

    /// A token the person chose (`--token`), refused when it is short enough to guess or holds
    /// characters a header or an address fragment cannot carry.
    pub fn new(token: &str) -> Result<Token, String> {
        if token.len() < 16 {
            return Err(format!(
                "a token needs at least 16 characters ({} given); leave --token out for a random one",
                token.len()
            ));
        }
        if let Some(c) = token
            .chars()
            .find(|c| !c.is_ascii_graphic() || "#%&".contains(*c))
        {
            return Err(format!(
                "a token is letters, digits and punctuation other than #, % and &, not {c:?}"
            ));
        }
        Ok(Token(token.into()))
    }

    /// The token's text, for the printed address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The token every `/api/` request must carry.
    pub token: Token,
    /// Host names the server answers to besides loopback's and its bound address
    /// (`--allow-host`, e.g. the GPU box's name on the network).
    pub allowed_hosts: Vec<String>,
    /// The built UI (`ui/dist`); `None` or missing serves a page saying how to build it.
    pub ui_dir: Option<PathBuf>,
    /// How to start a model worker (`fare-lens serve-model`); `None`: only endpoints can be
    /// used as the model.
    pub worker: Option<WorkerCommand>,
    /// Folders of models to list besides the project's sibling `models/` and the Hugging Face
    /// cache.
    pub model_folders: Vec<PathBuf>,
    /// The endpoints the user configured (`--endpoint`, `FARE_LENS_ENDPOINTS`): the only ones
    /// that get the user's API key.
    pub endpoints: ConfiguredEndpoints,
    /// Folders, besides the project's own, whose files imports may read and exports and merges
    /// may write (`--data`); see [`data_access`].
    pub data_folders: Vec<PathBuf>,
    /// Refuse the commands that write (`--read-only`): the project can be looked at, not
    /// changed.
    pub read_only: bool,
}

impl ServeOptions {
    /// A server guarded by `token`, with no UI, no model worker and no other host names.
    pub fn new(token: Token) -> ServeOptions {
        ServeOptions {
            token,
            allowed_hosts: Vec::new(),
            ui_dir: None,
            worker: None,
            model_folders: Vec::new(),
            endpoints: ConfiguredEndpoints::default(),
            data_folders: Vec::new(),
            read_only: false,
        }
    }
}

#[derive(Clone)]
struct AppState {
    project: Arc<Mutex<OpenProject>>,
    token: Token,
    /// The loaded model and its jobs, apart from the project's lock.
    desk: Arc<ModelDesk>,
    /// The folders models are listed from.
    folders: Arc<[PathBuf]>,
    /// Whether writing commands are refused.
    read_only: bool,
}

/// What the API's imports, exports and merges may use: files inside the folder of the
/// `project` file and inside `folders` (see [`fare_app::files`]); an error names a folder
/// that cannot be used.
pub fn data_access(project: &std::path::Path, folders: &[PathBuf]) -> Result<FileAccess, String> {
    let own = match project.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut all = vec![own];
    all.extend(folders.iter().cloned());
    FileAccess::under(&all)
}

/// The routes of the API and the UI over one open project, for a listener bound to `bound`.
/// Its imports, exports and merges keep to [`data_access`] (the project's folder alone, should
/// one of `options.data_folders` be unusable: check them with [`data_access`] first).
pub fn router(project: OpenProject, options: &ServeOptions, bound: SocketAddr) -> Router {
    let path = project.project().path().to_owned();
    let files = data_access(&path, &options.data_folders)
        .or_else(|_| data_access(&path, &[]))
        .unwrap_or_else(|_| FileAccess::nothing());
    let project = project.with_files(files);
    let folders = fare_app::models::model_folders(project.project().path(), &options.model_folders);
    let state = AppState {
        project: Arc::new(Mutex::new(project)),
        token: options.token.clone(),
        desk: Arc::new(ModelDesk::with_worker(
            Worker::new(options.worker.clone()).with_endpoints(options.endpoints.clone()),
        )),
        folders: folders.into(),
        read_only: options.read_only,
    };
    let api = Router::new()
        .route("/{command}", post(command).fallback(not_post))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such API route: the API is POST /api/{command}",
            )
        })
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state);
    let ui = match options
        .ui_dir
        .as_ref()
        .filter(|d| d.join("index.html").is_file())
    {
        // An address the UI routes itself falls back to its page.
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => Router::new().fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(
                    "<!doctype html><title>FARE Lens</title><p>The web UI is not built. Run \
                     <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, or pass \
                     <code>--ui</code> the folder of a built UI. The API is served under \
                     <code>/api/</code>.</p>",
                ),
            )
        }),
    };
    let hosts = Arc::new(Hosts::new(bound, &options.allowed_hosts));
    Router::new()
        .nest("/api", api)
        .merge(ui)
        .layer(middleware::from_fn_with_state(hosts, screen))
}

/// Checks every request's `Host` (DNS rebinding) and a writing request's `Origin` (another
/// site's form or script), and keeps every answer out of other pages' frames.
async fn screen(State(hosts): State<Arc<Hosts>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = guard::host(headers).to_owned();
    let mut response = if !hosts.allow(&host) {
        error(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server does not answer to the name {host:?}; open the address it printed \
                 (fare-lens serve --allow-host NAME adds a name)"
            ),
        )
    } else if !matches!(*request.method(), Method::GET | Method::HEAD)
        && guard::from_other_site(headers, &host)
    {
        error(
            StatusCode::FORBIDDEN,
            "a page of another site may not change this project",
        )
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Serves until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router).await
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorView {
            message: message.into(),
        }),
    )
        .into_response()
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !guard::bearer_is(request.headers(), state.token.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "this server needs its token: open the address it printed (with #token=…)",
        );
    }
    next.run(request).await
}

/// `POST /api/{command}`: one command of the registry, its body the command's arguments.
async fn command(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(info) = commands::command(&name) else {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "no command `{name}` (the API is POST /api/{{command}}; see fare_app::commands)"
            ),
        );
    };
    if state.read_only && info.writes {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "this server is read-only (fare-lens serve --read-only): `{name}` would change the project"
            ),
        );
    }
    let args: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(args) => args,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("command `{name}`: the body is not JSON: {e}"),
                );
            }
        }
    };
    match info.side {
        Side::Project => project_call(state, move |p| commands::dispatch(p, info.name, args)).await,
        Side::Model => model_call(state, info.name, args).await,
    }
}

/// Any method but `POST` on a command.
async fn not_post() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "every command is POST /api/{command}, its arguments the JSON body",
    )
}

/// Runs one project call on a blocking thread and answers with its JSON or its error.
async fn project_call<F>(state: AppState, f: F) -> Response
where
    F: FnOnce(&mut OpenProject) -> Result<Value, ApiError> + Send + 'static,
{
    let result = tokio::task::spawn_blocking(move || {
        // A panic in a call is caught inside the lock (`guarded`), so the lock is never
        // poisoned by one; the project it left is reopened there.
        let mut project = state
            .project
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        project.guarded(f)
    })
    .await;
    match result {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(e)) => (api_status(&e), Json(ErrorView::from(&e))).into_response(),
        Err(join) => error(StatusCode::INTERNAL_SERVER_ERROR, join.to_string()),
    }
}

fn api_status(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Invalid(_) | ApiError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
        ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Runs one model or job command on a blocking thread, without the project's lock (but for
/// the moment a job's samples are named).
async fn model_call(state: AppState, name: &'static str, args: Value) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        let project = Arc::clone(&state.project);
        let samples = move |target: &JobTarget| {
            project
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .guarded(|p| p.job_samples(target))
        };
        let context = ModelContext {
            folders: &state.folders,
            samples: &samples,
        };
        state.desk.dispatch(&context, name, args)
    })
    .await;
    match result {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(e)) => {
            let status = match &e {
                ModelError::Invalid(_) => StatusCode::BAD_REQUEST,
                ModelError::Api(api) => api_status(api),
                ModelError::Spawn { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Json(ErrorView::from(&e))).into_response()
        }
        Err(join) => error(StatusCode::INTERNAL_SERVER_ERROR, join.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_token_is_long_enough_and_header_safe() {
        assert!(Token::new("0123456789abcdef").is_ok());
        assert!(Token::new("short").unwrap_err().contains("16 characters"));
        assert!(Token::new("0123456789abcdef ").is_err());
        assert!(Token::new("0123456789abcdef#").is_err());
        let random = Token::random().expect("a random token");
        assert_eq!(random.as_str().len(), 32);
        assert_ne!(random, Token::random().expect("a random token"));
        assert_eq!(format!("{random:?}"), "Token(…)");
    }
}
