//! The FARE Lens desktop app: a Tauri 2 window around the web UI (`ui/dist`, embedded at build
//! time), forwarding the UI's commands to the application API (`fare_app`).
//!
//! The shell owns nothing but the window: one [`Session`] (the open project, the recent list,
//! the demo on first launch) behind a mutex, the native file dialogs, and the window title.
//! Every project command arrives as `api(command, args)` and goes to
//! [`fare_app::commands::dispatch`], the same functions `fare-lens serve` carries over HTTP;
//! the model panel's commands go to a [`ModelDesk`] whose worker is this executable started as
//! `serve-model` (a crash in model code never takes the window down). Calls run on blocking
//! threads, never on the window's event loop.
//!
//! Commands (names as the UI's `TauriTransport` and `shell.ts` call them): `api`, `session`,
//! `open_project`, `create_project`, `open_demo`, `forget_project`, `set_annotator`,
//! `choose_project`, `choose_new_project`, `choose_data_file`, `choose_export_file`,
//! `choose_project_files`, `open_link` (a link in the text, to the browser), `save_file` (a
//! chart's PNG or CSV from the analysis view, through the native save dialog).
//!
//! The project's imports, exports and merges use only files the native dialogs gave in this
//! session (each dialog's answer is recorded in the session's [`ChosenFiles`]), and typed paths
//! inside the folders the app was started with (`--data FOLDER`): script that got into the page
//! cannot read or write other files of the user ([`fare_app::files`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use fare_app::api::{ApiError, ErrorView};
use fare_app::commands::{ModelContext, ModelDesk};
use fare_app::files::ChosenFiles;
use fare_app::session::{Session, SessionView};
use fare_app::worker::{ConfiguredEndpoints, Worker, WorkerCommand};
use serde_json::Value;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;

/// The app's state: the session, shared by every command.
type Shared = Arc<Mutex<Session>>;

/// The model panel's side: the worker (this executable as `serve-model`) and its jobs. Apart
/// from the session, so a model command never waits for a project call, nor the reverse.
type Desk = Arc<ModelDesk>;

/// How the app was started.
#[derive(Debug, Default, Clone)]
pub struct Launch {
    /// A project to open instead of the last one (`fare-lens-desktop PROJECT`).
    pub project: Option<PathBuf>,
    /// Where the app keeps its recent list and demo project (default: the platform's app
    /// data folder; `FARE_LENS_STATE_DIR` overrides it, as the smoke test does).
    pub state_dir: Option<PathBuf>,
    /// Folders whose files may be named by typing their paths (`--data FOLDER`), besides the
    /// files chosen in dialogs.
    pub data_folders: Vec<PathBuf>,
}

fn message(text: impl Into<String>) -> ErrorView {
    ErrorView {
        message: text.into(),
    }
}

/// Runs `f` on the session on a blocking thread and sets the window title after it.
async fn with_session<T, F>(app: &AppHandle, state: &Shared, f: F) -> Result<T, ErrorView>
where
    T: Send + 'static,
    F: FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
{
    let shared = Arc::clone(state);
    let result = tauri::async_runtime::spawn_blocking(move || {
        // A panic in a command is caught inside the lock (`guarded`, which reopens the
        // project), so no command poisons it for the next.
        let mut session = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let value = session.guarded(f).map_err(|e| ErrorView::from(&e))?;
        Ok::<_, ErrorView>((value, session.title()))
    })
    .await
    .map_err(|e| message(format!("the command stopped: {e}")))?;
    let (value, title) = result?;
    if let Some(window) = app.get_webview_window("main") {
        // A title that cannot be set is cosmetic; the command itself succeeded.
        let _ = window.set_title(&title);
    }
    Ok(value)
}

/// One command of the application API: the model panel's go to the model desk, the others
/// to the open project.
#[tauri::command]
async fn api(
    app: AppHandle,
    state: State<'_, Shared>,
    desk: State<'_, Desk>,
    command: String,
    args: Value,
) -> Result<Value, ErrorView> {
    if ModelDesk::knows(&command) {
        return model_command(Arc::clone(&state), Arc::clone(&desk), command, args).await;
    }
    with_session(&app, &state, move |s| {
        fare_app::commands::dispatch(s.project()?, &command, args)
    })
    .await
}

/// A model panel command, holding the session only to find the models beside the open project
/// and to name a job's samples.
async fn model_command(
    session: Shared,
    desk: Desk,
    command: String,
    args: Value,
) -> Result<Value, ErrorView> {
    tauri::async_runtime::spawn_blocking(move || {
        let project_path = session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .opened()
            .map(|p| PathBuf::from(&p.path));
        let folders = project_path
            .as_deref()
            .map(|p| fare_app::models::model_folders(p, &[]))
            .unwrap_or_default();
        let samples = |target: &fare_app::jobs::JobTarget| {
            session
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .guarded(|s| s.project()?.job_samples(target))
        };
        let context = ModelContext {
            folders: &folders,
            samples: &samples,
        };
        desk.dispatch(&context, &command, args)
    })
    .await
    .map_err(|e| message(format!("the command stopped: {e}")))?
    .map_err(|e| ErrorView::from(&e))
}

/// The open project and the recent list.
#[tauri::command]
async fn session(app: AppHandle, state: State<'_, Shared>) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, |s| Ok(s.view())).await
}

/// Opens a project file.
#[tauri::command]
async fn open_project(
    app: AppHandle,
    state: State<'_, Shared>,
    path: String,
) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, move |s| s.open(&PathBuf::from(path))).await
}

/// Creates a new, empty project file and opens it.
#[tauri::command]
async fn create_project(
    app: AppHandle,
    state: State<'_, Shared>,
    path: String,
) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, move |s| s.create(&PathBuf::from(path))).await
}

/// Opens the bundled demo project.
#[tauri::command]
async fn open_demo(app: AppHandle, state: State<'_, Shared>) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, Session::open_demo).await
}

/// Records decisions under this name from now on (kept for the next launches).
#[tauri::command]
async fn set_annotator(
    app: AppHandle,
    state: State<'_, Shared>,
    name: String,
) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, move |s| s.set_annotator(&name)).await
}

/// Removes a project from the recent list.
#[tauri::command]
async fn forget_project(
    app: AppHandle,
    state: State<'_, Shared>,
    path: String,
) -> Result<SessionView, ErrorView> {
    with_session(&app, &state, move |s| s.forget(&PathBuf::from(path))).await
}

fn chosen(path: Option<tauri_plugin_dialog::FilePath>) -> Result<Option<String>, ErrorView> {
    path.map(|p| {
        p.into_path()
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| message(format!("the chosen file has no local path: {e}")))
    })
    .transpose()
}

/// [`chosen`], recorded as a file the project's imports, exports and merges may use.
fn recorded(
    files: &ChosenFiles,
    path: Option<tauri_plugin_dialog::FilePath>,
) -> Result<Option<String>, ErrorView> {
    let path = chosen(path)?;
    if let Some(p) = &path {
        files.add(std::path::Path::new(p));
    }
    Ok(path)
}

/// The native dialog to choose a project file to open; `None` when cancelled.
#[tauri::command]
async fn choose_project(app: AppHandle) -> Result<Option<String>, ErrorView> {
    chosen(
        app.dialog()
            .file()
            .set_title("Open a FARE Lens project")
            .add_filter("FARE Lens project", &["sqlite", "fare", "db"])
            .blocking_pick_file(),
    )
}

/// The native dialog to name a new project file (to create, or a merge's output); `None` when
/// cancelled.
#[tauri::command]
async fn choose_new_project(
    app: AppHandle,
    files: State<'_, ChosenFiles>,
) -> Result<Option<String>, ErrorView> {
    recorded(
        &files,
        app.dialog()
            .file()
            .set_title("New FARE Lens project")
            .set_file_name("project.sqlite")
            .add_filter("FARE Lens project", &["sqlite"])
            .blocking_save_file(),
    )
}

/// The native dialog to choose a data file to import; `None` when cancelled.
#[tauri::command]
async fn choose_data_file(
    app: AppHandle,
    files: State<'_, ChosenFiles>,
) -> Result<Option<String>, ErrorView> {
    recorded(
        &files,
        app.dialog()
            .file()
            .set_title("Import data")
            .add_filter("Data", &["json", "jsonl", "csv", "parquet"])
            .add_filter("All files", &["*"])
            .blocking_pick_file(),
    )
}

/// The native save dialog for an export, suggesting `name`; `None` when cancelled.
#[tauri::command]
async fn choose_export_file(
    app: AppHandle,
    files: State<'_, ChosenFiles>,
    name: String,
) -> Result<Option<String>, ErrorView> {
    recorded(
        &files,
        app.dialog()
            .file()
            .set_title("Export to")
            .set_file_name(&name)
            .blocking_save_file(),
    )
}

/// The native dialog to choose project files to merge (several at once); empty when
/// cancelled.
#[tauri::command]
async fn choose_project_files(
    app: AppHandle,
    files: State<'_, ChosenFiles>,
) -> Result<Vec<String>, ErrorView> {
    let picked = app
        .dialog()
        .file()
        .set_title("Project files to merge")
        .add_filter("FARE Lens project", &["sqlite", "fare", "db"])
        .blocking_pick_files()
        .unwrap_or_default();
    let mut paths = Vec::with_capacity(picked.len());
    for path in picked {
        if let Some(p) = recorded(&files, Some(path))? {
            paths.push(p);
        }
    }
    Ok(paths)
}

/// The save dialog's filter for a file name: its extension's kind, else every file.
fn save_filter(name: &str) -> (&'static str, &'static [&'static str]) {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
    {
        Some(ext) if ext == "png" => ("PNG image", &["png"]),
        Some(ext) if ext == "csv" => ("CSV table", &["csv"]),
        _ => ("All files", &["*"]),
    }
}

/// A link in the text clicked (it would open a window of its own): a web address goes to the
/// browser; anything else is refused.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri hands a command its arguments by value"
)]
fn open_link(url: String) -> Result<(), ErrorView> {
    let parsed = tauri::Url::parse(&url).map_err(|e| message(format!("{url}: {e}")))?;
    match navigation(&parsed) {
        Navigation::Browser => {
            open_in_browser(parsed.as_str());
            Ok(())
        }
        _ => Err(message(format!("{url}: only web addresses are opened"))),
    }
}

/// The native save dialog suggesting `name`, then `bytes` written to the chosen file (a chart
/// of the analysis view as PNG, or its numbers as CSV); the path, or `None` when cancelled.
#[tauri::command]
async fn save_file(
    app: AppHandle,
    name: String,
    bytes: Vec<u8>,
) -> Result<Option<String>, ErrorView> {
    let (kind, extensions) = save_filter(&name);
    let Some(path) = chosen(
        app.dialog()
            .file()
            .set_title("Save")
            .set_file_name(&name)
            .add_filter(kind, extensions)
            .blocking_save_file(),
    )?
    else {
        return Ok(None);
    };
    tauri::async_runtime::spawn_blocking(move || {
        std::fs::write(&path, &bytes)
            .map(|()| Some(path.clone()))
            .map_err(|e| message(format!("{path}: could not write the file: {e}")))
    })
    .await
    .map_err(|e| message(format!("the command stopped: {e}")))?
}

/// Where a navigation of the app's window may go.
#[derive(Debug, PartialEq, Eq)]
enum Navigation {
    /// The app's own pages (`tauri://localhost`, `http://tauri.localhost` on Windows).
    Stay,
    /// A web page: opened in the system's browser, never in the app's window.
    Browser,
    /// Anything else (`file:`, `javascript:`, other schemes): not opened at all.
    Refuse,
}

fn navigation(url: &tauri::Url) -> Navigation {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) | ("http" | "https", Some("tauri.localhost")) => {
            Navigation::Stay
        }
        ("about", _) if url.as_str() == "about:blank" => Navigation::Stay,
        ("http" | "https", Some(_)) => Navigation::Browser,
        _ => Navigation::Refuse,
    }
}

/// Opens a web page in the system's browser (no shell: the URL is one argument): `$BROWSER`
/// when it is set (its first entry, as Python's `webbrowser` reads it), else the system's
/// opener. A small call, so no opener plugin (and its page-side permissions) for it.
fn open_in_browser(url: &str) {
    let chosen = std::env::var("BROWSER")
        .ok()
        .and_then(|b| b.split(':').next().map(str::trim).map(str::to_owned))
        .filter(|b| !b.is_empty() && !b.contains("%s"));
    if let Some(browser) = chosen {
        if let Err(e) = std::process::Command::new(&browser).arg(url).spawn() {
            eprintln!("fare-lens-desktop: cannot open {url} with {browser}: {e}");
        }
        return;
    }
    #[cfg(target_os = "linux")]
    let opened = std::process::Command::new("xdg-open").arg(url).spawn();
    #[cfg(target_os = "macos")]
    let opened = std::process::Command::new("open").arg(url).spawn();
    #[cfg(target_os = "windows")]
    let opened = std::process::Command::new("explorer.exe").arg(url).spawn();
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    let opened: std::io::Result<std::process::Child> =
        Err(std::io::Error::other("no browser opener on this system"));
    if let Err(e) = opened {
        eprintln!("fare-lens-desktop: cannot open {url} in a browser: {e}");
    }
}

/// Keeps the window on the app: a link or script in untrusted text that navigates it (an SVG
/// link, a form, `location = …`) opens a web page in the browser instead, and nothing else.
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| match navigation(url) {
            Navigation::Stay => true,
            Navigation::Browser => {
                open_in_browser(url.as_str());
                false
            }
            Navigation::Refuse => {
                eprintln!("fare-lens-desktop: the window was kept from going to {url}");
                false
            }
        })
        .build()
}

/// Builds and runs the app until its window closes.
pub fn run(launch: Launch) -> Result<(), String> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .setup(move |app| {
            let state_dir = match launch.state_dir.clone() {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            let mut session = Session::new(&state_dir, &fare_app::naming::default_annotator())?;
            session.set_data_folders(&launch.data_folders)?;
            app.manage::<ChosenFiles>(session.chosen_files());
            // A project that does not open is shown on the start screen, not fatal.
            let opened = match &launch.project {
                Some(path) => session.open(path),
                None => session.resume(),
            };
            if let Err(e) = opened {
                eprintln!("fare-lens-desktop: {e}");
            }
            let title = session.title();
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_title(&title);
            }
            app.manage::<Shared>(Arc::new(Mutex::new(session)));
            // Local models run in this executable started as `serve-model` (see main.rs). The
            // API key goes only to endpoints listed in FARE_LENS_ENDPOINTS.
            let endpoints =
                ConfiguredEndpoints::with_environment::<&str>(&[]).unwrap_or_else(|e| {
                    eprintln!("fare-lens-desktop: {e} (no endpoint is configured)");
                    ConfiguredEndpoints::default()
                });
            let worker =
                Worker::new(WorkerCommand::this_executable().ok()).with_endpoints(endpoints);
            app.manage::<Desk>(Arc::new(ModelDesk::with_worker(worker)));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            api,
            session,
            open_project,
            create_project,
            open_demo,
            forget_project,
            set_annotator,
            choose_project,
            choose_new_project,
            choose_data_file,
            choose_export_file,
            choose_project_files,
            open_link,
            save_file,
        ])
        .run(tauri::generate_context!())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{Navigation, navigation, save_filter};

    #[test]
    fn the_window_stays_on_the_apps_own_pages() {
        let at = |u: &str| navigation(&tauri::Url::parse(u).unwrap_or_else(|e| panic!("{u}: {e}")));
        assert_eq!(at("tauri://localhost/index.html#x"), Navigation::Stay);
        assert_eq!(at("http://tauri.localhost/"), Navigation::Stay);
        assert_eq!(at("about:blank"), Navigation::Stay);
        assert_eq!(at("https://example.org/paper"), Navigation::Browser);
        assert_eq!(at("http://127.0.0.1:9/x"), Navigation::Browser);
        assert_eq!(at("file:///etc/passwd"), Navigation::Refuse);
        assert_eq!(at("javascript:alert(1)"), Navigation::Refuse);
        assert_eq!(at("tauri://evil/"), Navigation::Refuse);
        assert_eq!(at("data:text/html,<b>x</b>"), Navigation::Refuse);
    }

    #[test]
    fn the_save_dialog_offers_the_files_kind() {
        assert_eq!(save_filter("grid.png").1, &["png"]);
        assert_eq!(save_filter("GRID.PNG").0, "PNG image");
        assert_eq!(save_filter("step-level-buckets.csv").1, &["csv"]);
        assert_eq!(save_filter("no-extension").1, &["*"]);
    }
}
