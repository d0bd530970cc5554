//! Temporary files beside an output (an export, a merged project): made with a random name
//! that did not exist before, so no link someone left at a predictable name is followed; those
//! a crash left behind removed once they are old; the folder flushed after a rename, so the
//! new name survives a power cut.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The folder a file is in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new empty file in `folder` named `{prefix}{random}{suffix}`, created exclusively; the
/// caller removes it.
pub fn new_file(folder: &Path, prefix: &str, suffix: &str) -> std::io::Result<PathBuf> {
    let temp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .tempfile_in(folder)?;
    temp.into_temp_path()
        .keep()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// Removes the files in `folder` named `{prefix}…{suffix}` (and SQLite's `-wal`, `-shm` and
/// `-journal` beside them) last changed more than `older_than` ago: what a crash left. Best
/// effort: a file that cannot be removed stays.
pub fn remove_stale(folder: &Path, prefix: &str, suffix: &str, older_than: Duration) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let base = ["-wal", "-shm", "-journal"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        if !base.starts_with(prefix) || !base.ends_with(suffix) || base.len() <= prefix.len() {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > older_than);
        if meta.is_file() && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Flushes a folder's entries to disk (after a rename into it). Best effort, and nothing to do
/// where folders cannot be opened as files (Windows).
pub fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn scratch_files_are_new_random_and_old_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let a = new_file(dir.path(), ".out.csv.", ".partial").unwrap();
        let b = new_file(dir.path(), ".out.csv.", ".partial").unwrap();
        assert_ne!(a, b);
        assert!(a.is_file() && b.is_file());
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".out.csv.") && name.ends_with(".partial"),
            "{name}"
        );

        let other = dir.path().join("keep.partial");
        std::fs::write(&other, "").unwrap();
        // Nothing is old yet.
        remove_stale(dir.path(), ".out.csv.", ".partial", Duration::from_hours(1));
        assert!(a.exists() && b.exists());
        remove_stale(dir.path(), ".out.csv.", ".partial", Duration::ZERO);
        assert!(!a.exists() && !b.exists());
        assert!(other.exists(), "only the output's own scratch files go");
    }
}
