//! The Hugging Face cache layout, as `huggingface_hub` writes it, so that files fetched here are
//! the ones transformers and vLLM use (and the other way round):
//!
//! ```text
//! models--ORG--NAME/
//!   blobs/HASH                 each file once, named by the hub's hash (sha256 or git sha1)
//!   blobs/HASH.incomplete      a download under way or interrupted (resumed from its length)
//!   snapshots/COMMIT/FILE      a relative link to ../../blobs/HASH
//!   refs/main                  the commit `main` named when it was fetched
//! ```
//!
//! A snapshot is written only once every file of it is in `blobs/` and checked, so a model
//! listed from the cache is always whole.

use std::path::{Path, PathBuf};

use crate::HubError;

/// One repository's folder in the cache.
#[derive(Debug, Clone)]
pub struct RepoCache {
    folder: PathBuf,
}

/// What the cache holds of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Nothing.
    Nothing,
    /// A download that has not finished: this many bytes of it are kept.
    Partial {
        /// Bytes kept (finished files and `.incomplete` ones).
        bytes: u64,
    },
    /// A whole snapshot.
    Snapshot {
        /// Its folder.
        path: PathBuf,
    },
}

impl RepoCache {
    /// The folder of `repo` (`ORG/NAME`) in the cache `cache`.
    pub fn new(cache: &Path, repo: &str) -> RepoCache {
        RepoCache {
            folder: cache.join(format!("models--{}", repo.replace('/', "--"))),
        }
    }

    /// `models--ORG--NAME`.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// A finished, checked file.
    pub fn blob(&self, hash: &str) -> PathBuf {
        self.folder.join("blobs").join(hash)
    }

    /// A file being fetched.
    pub fn incomplete(&self, hash: &str) -> PathBuf {
        self.folder.join("blobs").join(format!("{hash}.incomplete"))
    }

    /// The snapshot folder of `commit`.
    pub fn snapshot(&self, commit: &str) -> PathBuf {
        self.folder.join("snapshots").join(commit)
    }

    /// The commit `refs/REVISION` names.
    pub fn read_ref(&self, revision: &str) -> Option<String> {
        std::fs::read_to_string(self.folder.join("refs").join(revision))
            .ok()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
    }

    /// What is held: the snapshot `refs/main` names when its folder is there, else bytes of
    /// blobs when there are some.
    pub fn held(&self) -> Held {
        if let Some(commit) = self.read_ref("main") {
            let path = self.snapshot(&commit);
            if path.is_dir() {
                return Held::Snapshot { path };
            }
        }
        let bytes: u64 = std::fs::read_dir(self.folder.join("blobs")).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        });
        if bytes > 0 {
            Held::Partial { bytes }
        } else {
            Held::Nothing
        }
    }

    /// Creates `blobs/`, saying when the cache cannot be written.
    pub fn make_blobs_folder(&self) -> Result<(), HubError> {
        let blobs = self.folder.join("blobs");
        std::fs::create_dir_all(&blobs).map_err(|e| unwritable(&blobs, &e))?;
        // A folder that exists but is read-only fails only at the first write: try one now.
        let probe = blobs.join(".fare-lens-write-check");
        std::fs::write(&probe, b"").map_err(|e| unwritable(&blobs, &e))?;
        let _ = std::fs::remove_file(probe);
        Ok(())
    }

    /// Links `snapshots/COMMIT/FILE` to the blob `hash`, replacing what was there.
    pub fn link(&self, commit: &str, file: &str, hash: &str) -> Result<(), HubError> {
        let link = self.snapshot(commit).join(file);
        let parent = link.parent().unwrap_or(&self.folder).to_owned();
        std::fs::create_dir_all(&parent).map_err(|e| unwritable(&parent, &e))?;
        // From snapshots/COMMIT/a/b/FILE back up to the repository folder.
        let depth = file.split('/').count() + 1;
        let mut target = PathBuf::new();
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(hash);
        let _ = std::fs::remove_file(&link);
        make_link(&target, &self.blob(hash), &link).map_err(|e| HubError::File {
            path: link.clone(),
            reason: e.to_string(),
        })
    }

    /// Writes `refs/REVISION` = `commit` (not for a revision that is a commit itself).
    pub fn write_ref(&self, revision: &str, commit: &str) -> Result<(), HubError> {
        if revision == commit {
            return Ok(());
        }
        let path = self.folder.join("refs").join(revision);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| unwritable(parent, &e))?;
        }
        std::fs::write(&path, commit).map_err(|e| HubError::File {
            path,
            reason: e.to_string(),
        })
    }
}

#[cfg(unix)]
fn make_link(target: &Path, _blob: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Where links need rights the person may not have, the file is copied (as `huggingface_hub`
/// does on Windows without developer mode).
#[cfg(not(unix))]
fn make_link(_target: &Path, blob: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(blob, link).map(|_| ())
}

pub(crate) fn unwritable(folder: &Path, e: &std::io::Error) -> HubError {
    HubError::Unwritable {
        folder: folder.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_is_laid_out_as_huggingface_hub_does() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = RepoCache::new(dir.path(), "Salesforce/FARE-8B");
        assert!(repo.folder().ends_with("models--Salesforce--FARE-8B"));
        assert_eq!(repo.held(), Held::Nothing);
        repo.make_blobs_folder().expect("writable");
        std::fs::write(repo.incomplete("abc"), b"12345").expect("write");
        assert_eq!(repo.held(), Held::Partial { bytes: 5 });
        std::fs::rename(repo.incomplete("abc"), repo.blob("abc")).expect("rename");
        repo.link("c0ffee", "sub/config.json", "abc").expect("link");
        repo.write_ref("main", "c0ffee").expect("ref");
        let file = repo.snapshot("c0ffee").join("sub/config.json");
        assert_eq!(std::fs::read(&file).expect("through the link"), b"12345");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(&file).expect("a link"),
            Path::new("../../../blobs/abc")
        );
        assert_eq!(
            repo.held(),
            Held::Snapshot {
                path: repo.snapshot("c0ffee")
            }
        );
    }
}
