//! Which files the API may read (import, preview, merge inputs) and write (exports, a merged
//! project) for whoever calls it.
//!
//! A path in a request is someone's input. On the command line it is the user's own, so the
//! CLI reads and writes where it is told ([`FileAccess::anywhere`]). Over HTTP (`fare-lens
//! serve`) it may come from anyone holding the token, or from a page that got script into the
//! UI, so the server keeps to data folders ([`FileAccess::under`]: the project's folder by
//! default, more with `--data DIR`): the path, its links resolved, must lie inside one of them,
//! no folder or file on the way may be hidden (`.ssh`, `.config`), and an existing file is
//! replaced only if this server exported it. The desktop app reads and writes only the files
//! its native dialogs gave in this session ([`FileAccess::chosen`]), and files in the data
//! folders it was started with (`--data`), by the server's rules. Whatever the access, the
//! project's own file and SQLite's files beside it (`-wal`, `-shm`, `-journal`) are never
//! written, and those beside it never read.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::api::ApiError;

/// SQLite's files beside a database.
const SIDECARS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// The files the native dialogs of one desktop session gave, shared by the shell (which adds
/// them) and the open project (which checks them).
#[derive(Debug, Clone, Default)]
pub struct ChosenFiles(Arc<Mutex<HashSet<PathBuf>>>);

impl ChosenFiles {
    /// Records a file the person chose in a dialog.
    pub fn add(&self, path: &Path) {
        let mut chosen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        chosen.insert(path.to_owned());
        if let Ok(canonical) = path.canonicalize() {
            chosen.insert(canonical);
        }
    }

    /// Whether `path` (as given, or with its links resolved) was chosen.
    pub fn contains(&self, path: &Path) -> bool {
        let chosen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        chosen.contains(path) || path.canonicalize().is_ok_and(|c| chosen.contains(&c))
    }
}

/// What the API may read and write (see the module's documentation).
#[derive(Debug, Clone)]
pub struct FileAccess {
    /// Any file (the command line).
    anywhere: bool,
    /// Files inside these folders (canonical), by the data folders' rules.
    roots: Vec<PathBuf>,
    /// Files the desktop's dialogs gave, wherever they are.
    chosen: Option<ChosenFiles>,
    /// The files written through this access (exports), which it may replace.
    written: Arc<Mutex<HashSet<PathBuf>>>,
}

impl Default for FileAccess {
    fn default() -> Self {
        FileAccess::anywhere()
    }
}

impl FileAccess {
    /// Any file the user can read or write (the command line's own paths).
    pub fn anywhere() -> FileAccess {
        FileAccess {
            anywhere: true,
            ..FileAccess::nothing()
        }
    }

    /// Only files inside `folders` (each must exist; named in the error when it does not).
    pub fn under(folders: &[PathBuf]) -> Result<FileAccess, String> {
        let roots = folders
            .iter()
            .map(|f| {
                f.canonicalize()
                    .map_err(|e| format!("{}: not a folder that can be read ({e})", f.display()))
                    .and_then(|c| {
                        if c.is_dir() {
                            Ok(c)
                        } else {
                            Err(format!("{}: not a folder", f.display()))
                        }
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FileAccess {
            roots,
            ..FileAccess::nothing()
        })
    }

    /// No file at all.
    pub fn nothing() -> FileAccess {
        FileAccess {
            anywhere: false,
            roots: Vec::new(),
            chosen: None,
            written: Arc::default(),
        }
    }

    /// The same access, and the files the desktop session's dialogs gave.
    #[must_use]
    pub fn chosen(mut self, files: ChosenFiles) -> FileAccess {
        self.chosen = Some(files);
        self
    }

    /// Why a path that was neither chosen nor inside a data folder is refused.
    fn outside(&self, dialog: &str) -> String {
        let folders = self
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        match (&self.chosen, folders.is_empty()) {
            (Some(_), true) => format!(
                "was not chosen in this session's file dialog: choose it with {dialog} (or start \
                 the app with --data FOLDER to type paths inside FOLDER)"
            ),
            (Some(_), false) => format!(
                "was not chosen in this session's file dialog and is outside the data folders \
                 ({folders}): choose it with {dialog}"
            ),
            (None, _) => format!(
                "is outside the data folders this server may use ({folders}); start it with \
                 --data FOLDER to add one"
            ),
        }
    }

    /// The file to read for `path` (an existing file, absolute), or why it may not be read.
    /// `project` is the open project's file, if one is open.
    pub fn readable(&self, path: &Path, project: Option<&Path>) -> Result<PathBuf, ApiError> {
        let canonical = path
            .canonicalize()
            .map_err(|e| refused(path, &format!("cannot be read ({e})")))?;
        if let Some(project) = project
            && is_sidecar(&canonical, project)
        {
            return Err(refused(
                path,
                "is one of SQLite's files beside this project",
            ));
        }
        if self.anywhere || self.chosen.as_ref().is_some_and(|c| c.contains(path)) {
            return Ok(canonical);
        }
        match inside(&canonical, &self.roots) {
            Inside::Yes => Ok(canonical),
            Inside::Hidden => Err(refused(path, HIDDEN)),
            Inside::No => Err(refused(path, &self.outside("Browse…"))),
        }
    }

    /// The file to write for `path` (absolute; its folder must exist), or why it may not be
    /// written. `replace`: the request replaces an existing file. `project`: the open project's
    /// file, never written.
    pub fn writable(
        &self,
        path: &Path,
        project: Option<&Path>,
        replace: bool,
    ) -> Result<PathBuf, ApiError> {
        let name = path
            .file_name()
            .ok_or_else(|| refused(path, "names no file"))?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .ok_or_else(|| refused(path, "names no folder"))?;
        let folder = folder
            .canonicalize()
            .map_err(|e| refused(path, &format!("is in a folder that cannot be used ({e})")))?;
        let target = folder.join(name);
        if let Some(project) = project {
            let own = project
                .canonicalize()
                .unwrap_or_else(|_| project.to_owned());
            if target == own {
                return Err(refused(path, "is this project's own file"));
            }
            if is_sidecar(&target, project) {
                return Err(refused(
                    path,
                    "is one of SQLite's files beside this project",
                ));
            }
        }
        if self.anywhere
            || self
                .chosen
                .as_ref()
                .is_some_and(|c| c.contains(path) || c.contains(&target))
        {
            // The person named it themselves (a save dialog asks before replacing).
            return Ok(target);
        }
        match inside(&target, &self.roots) {
            Inside::Yes => {}
            Inside::Hidden => return Err(refused(path, HIDDEN)),
            Inside::No => return Err(refused(path, &self.outside("Choose…"))),
        }
        let existing = std::fs::symlink_metadata(&target).ok();
        if existing
            .as_ref()
            .is_some_and(|m| m.file_type().is_symlink())
        {
            return Err(refused(path, "is a link; give the file itself"));
        }
        if existing.is_some() && replace && !self.wrote_before(&target) {
            return Err(refused(
                path,
                "exists and was not exported here: in a data folder only files this program \
                 exported are replaced; choose a new file",
            ));
        }
        Ok(target)
    }

    /// Records that `path` (as [`FileAccess::writable`] returned it) was written, so a later
    /// export may replace it.
    pub fn wrote(&self, path: &Path) {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned());
    }

    fn wrote_before(&self, path: &Path) -> bool {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(path)
    }
}

fn refused(path: &Path, why: &str) -> ApiError {
    ApiError::Invalid(format!("{}: {why}", path.display()))
}

/// Whether `path` is `-wal`, `-shm` or `-journal` beside `project`.
fn is_sidecar(path: &Path, project: &Path) -> bool {
    let own = project
        .canonicalize()
        .unwrap_or_else(|_| project.to_owned());
    SIDECARS.iter().any(|suffix| {
        let mut name = own.as_os_str().to_owned();
        name.push(suffix);
        path == Path::new(&name)
    })
}

const HIDDEN: &str =
    "is hidden, or inside a hidden folder, which a data folder's rules leave alone";

enum Inside {
    Yes,
    Hidden,
    No,
}

/// Whether a canonical `path` lies inside one of `roots` with nothing hidden on the way.
fn inside(path: &Path, roots: &[PathBuf]) -> Inside {
    let Some(rest) = roots.iter().find_map(|r| path.strip_prefix(r).ok()) else {
        return Inside::No;
    };
    let hidden = rest.components().any(|c| match c {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => true,
    });
    if hidden || rest.as_os_str().is_empty() {
        Inside::Hidden
    } else {
        Inside::Yes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn message(e: &ApiError) -> String {
        e.to_string()
    }

    #[test]
    fn a_server_reads_and_writes_only_inside_its_data_folders() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let outside = dir.path().join("elsewhere");
        std::fs::create_dir_all(data.join(".ssh")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let inside_file = data.join("pb.json");
        let outside_file = outside.join("secret.json");
        let hidden_file = data.join(".ssh/authorized_keys");
        for f in [&inside_file, &outside_file, &hidden_file] {
            std::fs::write(f, "[]").unwrap();
        }
        let project = data.join("p.sqlite");
        std::fs::write(&project, "").unwrap();
        let access = FileAccess::under(std::slice::from_ref(&data)).unwrap();

        access.readable(&inside_file, Some(&project)).unwrap();
        let e = message(&access.readable(&outside_file, Some(&project)).unwrap_err());
        assert!(
            e.contains("outside the data folders") && e.contains("--data"),
            "{e}"
        );
        let e = message(&access.readable(&hidden_file, Some(&project)).unwrap_err());
        assert!(e.contains("hidden"), "{e}");
        // `..` and links are resolved before the check.
        let sneaky = data.join("../elsewhere/secret.json");
        assert!(access.readable(&sneaky, Some(&project)).is_err());
        #[cfg(unix)]
        {
            let link = data.join("link.json");
            std::os::unix::fs::symlink(&outside_file, &link).unwrap();
            assert!(access.readable(&link, Some(&project)).is_err());
            let e = message(&access.writable(&link, Some(&project), true).unwrap_err());
            assert!(e.contains("link"), "{e}");
        }

        let new = access.writable(&data.join("labels.jsonl"), Some(&project), false);
        assert_eq!(
            new.unwrap(),
            data.canonicalize().unwrap().join("labels.jsonl")
        );
        assert!(
            access
                .writable(&outside.join("x.jsonl"), Some(&project), false)
                .is_err()
        );
        assert!(
            access
                .writable(&data.join(".bashrc"), Some(&project), false)
                .is_err()
        );
        assert!(access.writable(&hidden_file, Some(&project), true).is_err());
    }

    #[test]
    fn a_server_replaces_only_files_it_exported() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("theirs.csv");
        std::fs::write(&theirs, "x").unwrap();
        let project = dir.path().join("p.sqlite");
        let access = FileAccess::under(&[dir.path().to_owned()]).unwrap();
        let e = message(&access.writable(&theirs, Some(&project), true).unwrap_err());
        assert!(e.contains("not exported here"), "{e}");

        let ours = access
            .writable(&dir.path().join("ours.csv"), Some(&project), false)
            .unwrap();
        std::fs::write(&ours, "x").unwrap();
        access.wrote(&ours);
        access.writable(&ours, Some(&project), true).unwrap();
    }

    #[test]
    fn the_project_and_sqlites_files_beside_it_are_never_written_or_read() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.sqlite");
        std::fs::write(&project, "").unwrap();
        for access in [
            FileAccess::anywhere(),
            FileAccess::under(&[dir.path().to_owned()]).unwrap(),
        ] {
            let e = message(&access.writable(&project, Some(&project), true).unwrap_err());
            assert!(e.contains("own file"), "{e}");
            for suffix in SIDECARS {
                let side = dir.path().join(format!("p.sqlite{suffix}"));
                std::fs::write(&side, "").unwrap();
                let e = message(&access.writable(&side, Some(&project), true).unwrap_err());
                assert!(e.contains("beside this project"), "{e}");
                assert!(access.readable(&side, Some(&project)).is_err());
            }
        }
    }

    #[test]
    fn the_desktop_uses_only_files_its_dialogs_gave() {
        let dir = tempfile::tempdir().unwrap();
        let chosen_file = dir.path().join("chosen.json");
        let typed_file = dir.path().join("typed.json");
        std::fs::write(&chosen_file, "[]").unwrap();
        std::fs::write(&typed_file, "[]").unwrap();
        let chosen = ChosenFiles::default();
        let access = FileAccess::nothing().chosen(chosen.clone());
        assert!(access.readable(&chosen_file, None).is_err());
        chosen.add(&chosen_file);
        access.readable(&chosen_file, None).unwrap();
        let e = message(&access.readable(&typed_file, None).unwrap_err());
        assert!(e.contains("dialog") && e.contains("--data"), "{e}");

        let export = dir.path().join("out.jsonl");
        std::fs::write(&export, "old").unwrap();
        assert!(access.writable(&export, None, false).is_err());
        chosen.add(&export);
        access.writable(&export, None, true).unwrap();

        // Typed paths inside the folders it was started with (--data) work too.
        let data = FileAccess::under(&[dir.path().to_owned()])
            .unwrap()
            .chosen(chosen);
        data.readable(&typed_file, None).unwrap();
    }

    #[test]
    fn a_data_folder_that_does_not_exist_is_named() {
        let e = FileAccess::under(&[PathBuf::from("/no/such/folder/here")]).unwrap_err();
        assert!(e.contains("/no/such/folder/here"), "{e}");
    }
}
