//! The desktop session: which project is open, the projects opened lately, and the demo on
//! first launch. The Tauri shell keeps one [`Session`] and forwards its commands here; the
//! HTTP server has no session (it serves the one project it was started on).
//!
//! The recent list is a small JSON file in the app's state folder (given by the shell); a
//! list that cannot be read is started afresh rather than blocking the app, and a project
//! file that has gone is shown as missing, not silently dropped.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use fare_store::Project;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiError, OpenProject};
use crate::demo::{self, DemoError};
use crate::files::{ChosenFiles, FileAccess};

/// How many projects the start screen lists.
pub const RECENT_LIMIT: usize = 12;

/// The recent list's file in the state folder.
const RECENT_FILE: &str = "recent-projects.json";

/// The demo project's file in the state folder.
const DEMO_FILE: &str = "demo.sqlite";

/// The app's settings file in the state folder.
const SETTINGS_FILE: &str = "settings.json";

/// What the app remembers besides the recent list.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    /// The name decisions are recorded under, when the person set one.
    #[serde(default)]
    annotator: Option<String>,
}

/// A project opened lately.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
pub struct RecentProject {
    /// The project file.
    pub path: String,
    /// Its name (the file name without `.sqlite`).
    pub name: String,
    /// When it was last opened (seconds since 1970, UTC).
    pub opened_at: u64,
    /// Whether the file is still there.
    #[serde(skip_deserializing, default)]
    pub exists: bool,
    /// Whether it is the bundled demo.
    #[serde(default)]
    pub is_demo: bool,
}

/// The project open now.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenedView {
    /// The project file.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Whether it is the bundled demo (its judgments are illustrative examples).
    pub is_demo: bool,
}

/// What the start screen and the title bar show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionView {
    /// The project open now, if any.
    pub project: Option<OpenedView>,
    /// Projects opened lately, newest first.
    pub recent: Vec<RecentProject>,
    /// Who is annotating.
    pub annotator: String,
}

/// The open project (if any) and the recent list of one desktop app.
#[derive(Debug)]
pub struct Session {
    state_dir: PathBuf,
    annotator: String,
    recent: Vec<RecentProject>,
    open: Option<(OpenProject, OpenedView)>,
    /// The files the open project's imports, exports and merges may use: those this session's
    /// dialogs gave, and those inside the folders given with `--data`.
    files: FileAccess,
    chosen: ChosenFiles,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn name_of(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

impl From<DemoError> for ApiError {
    fn from(e: DemoError) -> Self {
        match e {
            DemoError::Store(e) => ApiError::Store(e),
            other => ApiError::Invalid(other.to_string()),
        }
    }
}

impl Session {
    /// A session keeping its state (recent list, settings, demo project) in `state_dir`,
    /// created when missing, annotating as the name set earlier or else `annotator`. Nothing is
    /// opened yet: see [`Session::resume`].
    pub fn new(state_dir: &Path, annotator: &str) -> Result<Session, ApiError> {
        std::fs::create_dir_all(state_dir).map_err(|e| {
            ApiError::Invalid(format!(
                "{}: cannot create the app's folder: {e}",
                state_dir.display()
            ))
        })?;
        let recent = std::fs::read(state_dir.join(RECENT_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<RecentProject>>(&bytes).ok())
            .unwrap_or_default();
        let settings: Settings = std::fs::read(state_dir.join(SETTINGS_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let chosen = ChosenFiles::default();
        Ok(Session {
            state_dir: state_dir.to_owned(),
            annotator: settings.annotator.unwrap_or_else(|| annotator.to_owned()),
            recent,
            open: None,
            files: FileAccess::nothing().chosen(chosen.clone()),
            chosen,
        })
    }

    /// The files this session's native dialogs give: the shell adds each one, and the open
    /// project's imports, exports and merges may use them (and nothing else, but for
    /// [`Session::set_data_folders`]).
    pub fn chosen_files(&self) -> ChosenFiles {
        self.chosen.clone()
    }

    /// Lets typed paths inside `folders` be used too (`fare-lens-desktop --data FOLDER`), by
    /// the data folders' rules ([`crate::files`]); takes effect for the next project opened.
    pub fn set_data_folders(&mut self, folders: &[PathBuf]) -> Result<(), ApiError> {
        self.files = FileAccess::under(folders)
            .map_err(ApiError::Invalid)?
            .chosen(self.chosen.clone());
        Ok(())
    }

    /// At launch: reopens the project used last if it is still there; on first launch (no
    /// project was ever opened) opens the bundled demo. Otherwise nothing is open and the
    /// start screen shows. A last project that fails to open is reported, not fatal.
    pub fn resume(&mut self) -> Result<SessionView, ApiError> {
        match self.recent.first().map(|r| PathBuf::from(&r.path)) {
            None => self.open_demo(),
            Some(last) if last.exists() => self.open(&last),
            Some(_) => Ok(self.view()),
        }
    }

    /// Where the demo project lives.
    pub fn demo_path(&self) -> PathBuf {
        self.state_dir.join(DEMO_FILE)
    }

    /// The session as the UI shows it.
    pub fn view(&self) -> SessionView {
        SessionView {
            project: self.opened().cloned(),
            recent: self
                .recent
                .iter()
                .map(|r| RecentProject {
                    exists: Path::new(&r.path).exists(),
                    ..r.clone()
                })
                .collect(),
            annotator: self.annotator.clone(),
        }
    }

    /// Opens an existing project file (migrating an older one).
    pub fn open(&mut self, path: &Path) -> Result<SessionView, ApiError> {
        let project = Project::open(path)?;
        self.set_open(project, path, false)
    }

    /// Creates a new, empty project file; an existing file is never overwritten.
    pub fn create(&mut self, path: &Path) -> Result<SessionView, ApiError> {
        if path.exists() {
            return Err(ApiError::Invalid(format!(
                "{}: a file is already there; open it, or choose a new name",
                path.display()
            )));
        }
        let project = Project::open_or_create(path)?;
        self.set_open(project, path, false)
    }

    /// Opens the bundled demo, building it on first use; an existing demo keeps its decisions.
    pub fn open_demo(&mut self) -> Result<SessionView, ApiError> {
        let path = self.demo_path();
        let project = if path.exists() && demo::is_demo(&path) {
            Project::open(&path)?
        } else {
            demo::build(&path)?
        };
        self.set_open(project, &path, true)
    }

    /// The project open now, without the recent list (cheap: no file is looked at).
    pub fn opened(&self) -> Option<&OpenedView> {
        self.open.as_ref().map(|(_, v)| v)
    }

    /// The window's title: the open project's name.
    pub fn title(&self) -> String {
        self.opened().map_or_else(
            || "FARE Lens".to_owned(),
            |p| format!("{} — FARE Lens", p.name),
        )
    }

    /// Removes a project from the recent list (the file is left alone).
    pub fn forget(&mut self, path: &Path) -> Result<SessionView, ApiError> {
        let path = path.to_string_lossy();
        self.recent.retain(|r| r.path != path);
        self.save_recent()?;
        Ok(self.view())
    }

    /// Records decisions under `name` from now on (kept for the next launches); the open
    /// project stays open.
    pub fn set_annotator(&mut self, name: &str) -> Result<SessionView, ApiError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(ApiError::Invalid(
                "an annotator's name is 1 to 80 characters, on one line".into(),
            ));
        }
        name.clone_into(&mut self.annotator);
        let settings = Settings {
            annotator: Some(self.annotator.clone()),
        };
        let bytes = serde_json::to_vec_pretty(&settings)
            .map_err(|e| ApiError::Invalid(format!("settings: {e}")))?;
        self.write_atomically(SETTINGS_FILE, &bytes)?;
        if let Some((project, view)) = self.open.take() {
            let path = PathBuf::from(&view.path);
            drop(project);
            self.set_open(Project::open(&path)?, &path, view.is_demo)?;
        }
        Ok(self.view())
    }

    /// Runs one command on the session. A panic in it (a bug) becomes [`ApiError::Internal`]
    /// and the open project is opened anew from its file (as [`OpenProject::guarded`] does),
    /// so the window's next command works.
    pub fn guarded<T>(
        &mut self,
        command: impl FnOnce(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match crate::panics::catch(|| command(self)) {
            Ok(result) => result,
            Err(panic) => {
                if let Some((project, _)) = self.open.as_mut() {
                    project.reopen()?;
                }
                Err(ApiError::Internal(panic))
            }
        }
    }

    /// The open project, for the API's commands.
    pub fn project(&mut self) -> Result<&mut OpenProject, ApiError> {
        self.open
            .as_mut()
            .map(|(p, _)| p)
            .ok_or_else(|| ApiError::Invalid("no project is open: open or create one".into()))
    }

    fn set_open(
        &mut self,
        project: Project,
        path: &Path,
        is_demo: bool,
    ) -> Result<SessionView, ApiError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let shown = path.to_string_lossy().into_owned();
        let view = OpenedView {
            path: shown.clone(),
            name: if is_demo {
                "Demo project".to_owned()
            } else {
                name_of(&path)
            },
            is_demo,
        };
        let open = OpenProject::new(project, &self.annotator).with_files(self.files.clone());
        self.open = Some((open, view.clone()));
        self.recent.retain(|r| r.path != shown);
        self.recent.insert(
            0,
            RecentProject {
                path: shown,
                name: view.name,
                opened_at: now(),
                exists: true,
                is_demo,
            },
        );
        self.recent.truncate(RECENT_LIMIT);
        self.save_recent()?;
        Ok(self.view())
    }

    /// Writes the recent list.
    fn save_recent(&self) -> Result<(), ApiError> {
        let bytes = serde_json::to_vec_pretty(&self.recent)
            .map_err(|e| ApiError::Invalid(format!("recent projects: {e}")))?;
        self.write_atomically(RECENT_FILE, &bytes)
    }

    /// Writes a file of the state folder through a temporary one, so a crash never leaves half.
    fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<(), ApiError> {
        let file = self.state_dir.join(name);
        let partial = self.state_dir.join(format!("{name}.partial"));
        std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, &file))
            .map_err(|e| ApiError::Invalid(format!("{}: cannot save: {e}", file.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_launch_opens_the_demo_and_the_next_launch_reopens_the_last_project() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state");
        let mut first = Session::new(&state, "ana").expect("session");
        let view = first.resume().expect("first launch");
        let opened = view.project.expect("the demo is open");
        assert!(opened.is_demo);
        assert!(
            first
                .project()
                .expect("open")
                .overview()
                .expect("ov")
                .samples
                > 100
        );

        let mine = dir.path().join("mine.sqlite");
        first.create(&mine).expect("create");
        drop(first);

        let mut second = Session::new(&state, "ana").expect("session");
        let view = second.resume().expect("second launch");
        assert_eq!(view.project.expect("open").name, "mine");
        assert_eq!(second.title(), "mine — FARE Lens");
        let names: Vec<_> = view.recent.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["mine", "Demo project"]);
    }

    #[test]
    fn the_demo_keeps_decisions_between_launches() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Session::new(dir.path(), "ana").expect("session");
        s.open_demo().expect("demo");
        let p = s.project().expect("open");
        let id = p
            .samples(&crate::api::SampleQuery::default())
            .expect("page")
            .rows[0]
            .id;
        let request: crate::api::DecisionRequest = serde_json::from_value(serde_json::json!({
            "sample_id": id, "decision": {"action": "correct", "verdict": "-1"}
        }))
        .expect("request");
        p.decide(&request).expect("decide");
        let mut again = Session::new(dir.path(), "ana").expect("session");
        again.open_demo().expect("demo");
        let detail = again
            .project()
            .expect("open")
            .sample(id, None)
            .expect("sample");
        assert_eq!(detail.label.verdict.as_deref(), Some("-1"));
    }

    #[test]
    fn a_missing_last_project_shows_the_start_screen_and_is_marked_missing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("gone.sqlite");
        let mut s = Session::new(dir.path(), "ana").expect("session");
        s.create(&gone).expect("create");
        drop(s);
        std::fs::remove_file(&gone).expect("remove");
        let mut s = Session::new(dir.path(), "ana").expect("session");
        let view = s.resume().expect("resume");
        assert!(view.project.is_none());
        assert!(!view.recent[0].exists);
        assert!(s.project().is_err());
        let view = s
            .forget(&std::path::absolute(&gone).expect("abs"))
            .expect("forget");
        assert!(view.recent.is_empty());
    }

    #[test]
    fn create_never_overwrites_and_open_names_a_bad_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = dir.path().join("notes.sqlite");
        std::fs::write(&text, "not a database").expect("write");
        let mut s = Session::new(&dir.path().join("state"), "ana").expect("session");
        let e = s.create(&text).expect_err("exists");
        assert!(e.to_string().contains("already there"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&text).expect("read"),
            "not a database"
        );
        let e = s.open(&text).expect_err("not a project");
        assert!(e.to_string().contains("notes.sqlite"), "{e}");
        assert!(s.view().project.is_none());
    }

    #[test]
    fn the_annotator_set_is_used_at_once_and_kept_for_the_next_launch() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Session::new(dir.path(), "os-user").expect("session");
        assert_eq!(s.view().annotator, "os-user");
        s.open_demo().expect("demo");
        let view = s.set_annotator("  Ana B.  ").expect("set");
        assert_eq!(view.annotator, "Ana B.");
        assert_eq!(
            s.project().expect("open").overview().expect("ov").annotator,
            "Ana B."
        );
        assert!(s.set_annotator(" ").is_err());
        assert!(s.set_annotator("two\nlines").is_err());
        let again = Session::new(dir.path(), "os-user").expect("session");
        assert_eq!(again.view().annotator, "Ana B.");
    }

    #[test]
    fn an_unreadable_recent_list_starts_afresh() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(RECENT_FILE), "{{{").expect("write");
        let s = Session::new(dir.path(), "ana").expect("session");
        assert!(s.view().recent.is_empty());
    }
}
