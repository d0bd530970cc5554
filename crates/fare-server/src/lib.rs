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
//! | route | call |
//! |---|---|
//! | `GET /api/overview` | [`OpenProject::overview`] |
//! | `POST /api/samples` (a `SampleQuery`) | [`OpenProject::samples`] |
//! | `POST /api/counts` (a `SampleQuery`) | [`OpenProject::counts`] |
//! | `POST /api/position` (a `PositionQuery`) | [`OpenProject::position`] |
//! | `GET /api/samples/{id}[?run=N]` | [`OpenProject::sample`] |
//! | `GET /api/samples/{id}/prompt[?judgment=N]` | [`OpenProject::prompt`] |
//! | `POST /api/decide` (a `DecisionRequest`) | [`OpenProject::decide`] |
//! | `GET /api/report[?run=N]` | [`OpenProject::report`] |
//! | `POST /api/import/preview` (an `ImportPreviewRequest`) | [`OpenProject::import_preview`] |
//! | `POST /api/import` (an `ImportRequest`) | [`OpenProject::import`] |
//! | `GET /api/queues` | [`OpenProject::queues`] |
//! | `POST /api/queues` (a `QueueRequest`) | [`OpenProject::create_queue`] |
//! | `DELETE /api/queues/{id}` | [`OpenProject::delete_queue`] |
//! | `GET /api/agreement` | [`OpenProject::agreement`] |
//! | `POST /api/disagreements` (a `DisagreementQuery`) | [`OpenProject::disagreements`] |
//! | `POST /api/adjudicate` (an `AdjudicationRequest`) | [`OpenProject::adjudicate`] |
//! | `GET /api/samples/{id}/adjudications` | [`OpenProject::adjudications`] |
//! | `POST /api/export/preview` (an `ExportRequest`) | [`OpenProject::export_preview`] |
//! | `POST /api/export` (an `ExportRequest`) | [`OpenProject::export`] |
//! | `POST /api/merge` (a `MergeRequest`) | [`fare_app::exporting::merge`] |
//! | `POST /api/analysis` (an `AnalysisRequest`) | [`OpenProject::analysis`] |
//! | `POST /api/analysis/samples` (an `AnalysisSamplesRequest`) | [`OpenProject::analysis_samples`] |
//! | `POST /api/diff` (a `DiffRequest`) | [`OpenProject::diff`] |
//! | `POST /api/diff/samples` (a `DiffSamplesRequest`) | [`OpenProject::diff_samples`] |
//! | `GET /api/models` | [`fare_app::models::list_models`] |
//! | `POST /api/models/load` (a `LoadRequest`) | [`Worker::load`] |
//! | `POST /api/models/unload` | [`Jobs::cancel_all`], [`Worker::unload`] |
//! | `GET /api/models/worker` | [`Worker::view`] |
//! | `POST /api/jobs` (a `JobRequest`) | [`OpenProject::job_samples`], [`Jobs::start`] |
//! | `GET /api/jobs` | [`Jobs::list`] |
//! | `GET /api/jobs/{id}` | [`Jobs::status`] |
//! | `POST /api/jobs/{id}/cancel` | [`Jobs::cancel`] |
//!
//! The import routes read a file on the machine the server runs on, named by its full path,
//! and the export and merge routes write one; both only inside the data folders (the
//! project's folder, and those given with `--data`), never in a hidden folder, never over a
//! file this server did not export, never the project's own files ([`fare_app::files`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fare_app::agreement::{AdjudicationRequest, DisagreementQuery};
use fare_app::api::{ApiError, DecisionRequest, ErrorView, OpenProject, SampleQuery};
use fare_app::exporting::{ExportRequest, MergeRequest};
use fare_app::files::FileAccess;
use fare_app::importing::{ImportPreviewRequest, ImportRequest};
use fare_app::jobs::{JobRequest, Jobs};
use fare_app::queue::PositionQuery;
use fare_app::saved_queues::QueueRequest;
use fare_app::worker::{ConfiguredEndpoints, LoadRequest, ModelError, Worker, WorkerCommand};
use fare_endpoint::guard::{self, Hosts};
use fare_store::StoreError;
use serde::{Deserialize, Serialize};
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
        }
    }
}

#[derive(Clone)]
struct AppState {
    project: Arc<Mutex<OpenProject>>,
    token: Token,
    /// The loaded model and its jobs, apart from the project's lock.
    model: Arc<Model>,
}

/// The model and its jobs.
struct Model {
    worker: Worker,
    jobs: Jobs,
    /// The folders models are listed from.
    folders: Vec<PathBuf>,
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
        model: Arc::new(Model {
            worker: Worker::new(options.worker.clone()).with_endpoints(options.endpoints.clone()),
            jobs: Jobs::new(),
            folders,
        }),
    };
    let api = Router::new()
        .route("/overview", get(overview))
        .route("/samples", post(samples))
        .route("/counts", post(counts))
        .route("/position", post(position))
        .route("/samples/{id}", get(sample))
        .route("/samples/{id}/prompt", get(prompt))
        .route("/decide", post(decide))
        .route("/report", get(report))
        .route("/import/preview", post(import_preview))
        .route("/import", post(import))
        .route("/queues", get(queues).post(create_queue))
        .route("/queues/{id}", axum::routing::delete(delete_queue))
        .route("/agreement", get(agreement))
        .route("/disagreements", post(disagreements))
        .route("/adjudicate", post(adjudicate))
        .route("/samples/{id}/adjudications", get(adjudications))
        .route("/export/preview", post(export_preview))
        .route("/export", post(export))
        .route("/merge", post(merge))
        .route("/analysis", post(analysis))
        .route("/analysis/samples", post(analysis_samples))
        .route("/diff", post(diff))
        .route("/diff/samples", post(diff_samples))
        .route("/models", get(models))
        .route("/models/load", post(load_model))
        .route("/models/unload", post(unload_model))
        .route("/models/worker", get(worker))
        .route("/jobs", post(start_job).get(jobs))
        .route("/jobs/{id}", get(job))
        .route("/jobs/{id}/cancel", post(cancel_job))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such API route") })
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

/// Runs one project call on a blocking thread and answers with its JSON or its error.
async fn call<T, F>(state: AppState, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut OpenProject) -> Result<T, ApiError> + Send + 'static,
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

/// Runs one model or job call on a blocking thread, without the project's lock.
async fn model_call<T, F>(state: AppState, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Model) -> Result<T, ModelError> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || f(&state.model)).await {
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

/// `?run=N`: the run to show.
#[derive(Debug, Deserialize)]
struct RunParam {
    run: Option<i64>,
}

async fn overview(State(state): State<AppState>) -> Response {
    call(state, |p| p.overview()).await
}

/// A request the server could not read, answered in the API's error form.
fn bad_request(rejection: &impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, rejection.to_string())
}

async fn samples(
    State(state): State<AppState>,
    query: Result<Json<SampleQuery>, JsonRejection>,
) -> Response {
    match query {
        Ok(Json(query)) => call(state, move |p| p.samples(&query)).await,
        Err(e) => bad_request(&e),
    }
}

async fn counts(
    State(state): State<AppState>,
    query: Result<Json<SampleQuery>, JsonRejection>,
) -> Response {
    match query {
        Ok(Json(query)) => call(state, move |p| p.counts(&query)).await,
        Err(e) => bad_request(&e),
    }
}

async fn position(
    State(state): State<AppState>,
    request: Result<Json<PositionQuery>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.position(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn sample(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    run: Result<Query<RunParam>, QueryRejection>,
) -> Response {
    match (id, run) {
        (Ok(Path(id)), Ok(Query(run))) => call(state, move |p| p.sample(id, run.run)).await,
        (Err(e), _) => bad_request(&e),
        (_, Err(e)) => bad_request(&e),
    }
}

/// `?judgment=N`: the judgment whose prompt to show.
#[derive(Debug, Deserialize)]
struct JudgmentParam {
    judgment: Option<i64>,
}

async fn prompt(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    judgment: Result<Query<JudgmentParam>, QueryRejection>,
) -> Response {
    match (id, judgment) {
        (Ok(Path(id)), Ok(Query(j))) => call(state, move |p| p.prompt(id, j.judgment)).await,
        (Err(e), _) => bad_request(&e),
        (_, Err(e)) => bad_request(&e),
    }
}

async fn decide(
    State(state): State<AppState>,
    request: Result<Json<DecisionRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.decide(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn report(
    State(state): State<AppState>,
    run: Result<Query<RunParam>, QueryRejection>,
) -> Response {
    match run {
        Ok(Query(run)) => call(state, move |p| p.report(run.run)).await,
        Err(e) => bad_request(&e),
    }
}

async fn analysis(
    State(state): State<AppState>,
    request: Result<Json<fare_app::analysis::AnalysisRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.analysis(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn analysis_samples(
    State(state): State<AppState>,
    request: Result<Json<fare_app::analysis::AnalysisSamplesRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.analysis_samples(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn diff(
    State(state): State<AppState>,
    request: Result<Json<fare_app::diff::DiffRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.diff(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn diff_samples(
    State(state): State<AppState>,
    request: Result<Json<fare_app::diff::DiffSamplesRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.diff_samples(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn import_preview(
    State(state): State<AppState>,
    request: Result<Json<ImportPreviewRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.import_preview(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn queues(State(state): State<AppState>) -> Response {
    call(state, |p| p.queues()).await
}

async fn create_queue(
    State(state): State<AppState>,
    request: Result<Json<QueueRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.create_queue(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn delete_queue(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    match id {
        Ok(Path(id)) => call(state, move |p| p.delete_queue(id)).await,
        Err(e) => bad_request(&e),
    }
}

async fn models(State(state): State<AppState>) -> Response {
    model_call(state, |m| Ok(fare_app::models::list_models(&m.folders))).await
}

async fn load_model(
    State(state): State<AppState>,
    request: Result<Json<LoadRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => model_call(state, move |m| m.worker.load(&request, &m.folders)).await,
        Err(e) => bad_request(&e),
    }
}

async fn import(
    State(state): State<AppState>,
    request: Result<Json<ImportRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.import(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn unload_model(State(state): State<AppState>) -> Response {
    model_call(state, |m| {
        m.jobs.cancel_all();
        Ok(m.worker.unload())
    })
    .await
}

async fn worker(State(state): State<AppState>) -> Response {
    model_call(state, |m| Ok(m.worker.view())).await
}

async fn start_job(
    State(state): State<AppState>,
    request: Result<Json<JobRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match request {
        Ok(request) => request,
        Err(e) => return bad_request(&e),
    };
    let project = Arc::clone(&state.project);
    model_call(state, move |m| {
        // The project's lock only while the samples are named; the job opens its own connection.
        let samples = project
            .lock()
            .map_err(|_| ApiError::Invalid("an earlier request failed badly".into()))?
            .job_samples(&request.target)?;
        m.jobs.start(&m.worker, samples, &request)
    })
    .await
}

async fn jobs(State(state): State<AppState>) -> Response {
    model_call(state, |m| Ok(m.jobs.list())).await
}

async fn job(State(state): State<AppState>, id: Result<Path<u64>, PathRejection>) -> Response {
    match id {
        Ok(Path(id)) => model_call(state, move |m| m.jobs.status(id)).await,
        Err(e) => bad_request(&e),
    }
}

async fn cancel_job(
    State(state): State<AppState>,
    id: Result<Path<u64>, PathRejection>,
) -> Response {
    match id {
        Ok(Path(id)) => model_call(state, move |m| m.jobs.cancel(id)).await,
        Err(e) => bad_request(&e),
    }
}

async fn agreement(State(state): State<AppState>) -> Response {
    call(state, |p| p.agreement()).await
}

async fn disagreements(
    State(state): State<AppState>,
    query: Result<Json<DisagreementQuery>, JsonRejection>,
) -> Response {
    match query {
        Ok(Json(query)) => call(state, move |p| p.disagreements(&query)).await,
        Err(e) => bad_request(&e),
    }
}

async fn adjudicate(
    State(state): State<AppState>,
    request: Result<Json<AdjudicationRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.adjudicate(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn adjudications(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    match id {
        Ok(Path(id)) => call(state, move |p| p.adjudications(id)).await,
        Err(e) => bad_request(&e),
    }
}

async fn export_preview(
    State(state): State<AppState>,
    request: Result<Json<ExportRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.export_preview(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn export(
    State(state): State<AppState>,
    request: Result<Json<ExportRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => call(state, move |p| p.export(&request)).await,
        Err(e) => bad_request(&e),
    }
}

async fn merge(
    State(state): State<AppState>,
    request: Result<Json<MergeRequest>, JsonRejection>,
) -> Response {
    match request {
        Ok(Json(request)) => {
            call(state, move |p| {
                fare_app::exporting::merge(&request, p.files(), Some(p.project().path()))
            })
            .await
        }
        Err(e) => bad_request(&e),
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
