//! Fetching a model repository into the cache: its file list with sizes and hashes from the
//! model info API, free space checked before the first byte, each file fetched through
//! `resolve/COMMIT/FILE` (redirects followed) into `blobs/HASH.incomplete`, resumed from its
//! length with a range request after a broken connection, a cancel or a restart, checked against
//! the hub's hash (sha256 for large files, the git blob sha1 for the others) before it is
//! renamed into place, and the snapshot linked only when every file is in.
//!
//! Progress (bytes, speed over the last seconds, time left) goes to a callback; a [`Cancel`]
//! stops the download at its next read. A file that does not match its hash is deleted.
//!
//! Not done: several files at once (one connection is as fast as a home line allows); a
//! stalled connection is noticed by TCP keep-alive, not by a timeout of our own.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha1::Digest as _;

use crate::cache::{RepoCache, unwritable};
use crate::{Hub, HubError, bytes_in_words};

/// Stops a download at its next read; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not yet raised.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the download to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether it was asked to.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What to fetch of a repository.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// A branch, tag or commit (`main`).
    pub revision: String,
    /// These files only; none: the files a model needs ([`model_files`]).
    pub files: Option<Vec<String>>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            revision: "main".to_owned(),
            files: None,
        }
    }
}

/// How the hub names a file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// A large (LFS) file: the sha256 of its bytes.
    Sha256,
    /// A small file: git's blob sha1 (`blob SIZE\0` then its bytes).
    GitSha1,
}

impl HashKind {
    fn name(self) -> &'static str {
        match self {
            HashKind::Sha256 => "sha256",
            HashKind::GitSha1 => "git sha1",
        }
    }
}

/// A file of a repository, as the model info API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// Its path in the repository.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// The hub's hash of it, which is also its blob's name in the cache.
    pub hash: String,
    /// Which hash.
    pub kind: HashKind,
}

/// A repository at one commit.
#[derive(Debug, Clone)]
pub struct RepoInfo {
    /// `ORG/NAME`.
    pub repo: String,
    /// The commit the revision names.
    pub commit: String,
    /// Every file.
    pub files: Vec<RepoFile>,
    /// Whether the hub gates it (a token and accepted terms needed).
    pub gated: bool,
    /// The license its card declares.
    pub license: Option<String>,
}

/// Where a download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Asking the hub for the file list.
    Listing,
    /// Reading what an earlier download kept, to hash it before resuming.
    Resuming,
    /// Fetching bytes.
    Downloading,
    /// Every file is in; the snapshot is being linked.
    Finishing,
}

impl Phase {
    /// Its name: `listing`, `resuming`, `downloading`, `finishing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Listing => "listing",
            Phase::Resuming => "resuming",
            Phase::Downloading => "downloading",
            Phase::Finishing => "finishing",
        }
    }
}

/// A download's progress, as the callback sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadProgress {
    /// Where it is.
    pub phase: Phase,
    /// The file being fetched.
    pub file: String,
    /// Files finished.
    pub files_done: usize,
    /// Files to fetch.
    pub files: usize,
    /// Bytes in the cache of what is to be fetched (finished and kept ones included).
    pub done_bytes: u64,
    /// Bytes of all the files.
    pub total_bytes: u64,
    /// Bytes per second over the last seconds (what was kept from before does not count).
    pub bytes_per_second: f64,
    /// Seconds left at that speed, once there is one.
    pub seconds_left: Option<f64>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// `ORG/NAME`.
    pub repo: String,
    /// The commit fetched.
    pub commit: String,
    /// The snapshot folder (what a model is loaded by).
    pub snapshot: PathBuf,
    /// Files in it.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Bytes fetched this time.
    pub fetched_bytes: u64,
    /// Bytes an earlier, interrupted download had kept.
    pub resumed_bytes: u64,
}

/// The files a model needs of a repository's `files`: at the top level or in a folder other
/// than `original/` and `metal/` (gpt-oss repositories keep second copies of the weights
/// there), and of the weights only safetensors when there are some (not the same weights again
/// as `.bin`, `.pt`, `.h5`, `.msgpack`, `.onnx` or `.gguf`).
pub fn model_files(files: &[RepoFile]) -> Vec<RepoFile> {
    const OTHER_WEIGHTS: [&str; 8] = [
        ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf", ".ot",
    ];
    let has_safetensors = files.iter().any(|f| f.path.ends_with(".safetensors"));
    files
        .iter()
        .filter(|f| !f.path.starts_with("original/") && !f.path.starts_with("metal/"))
        .filter(|f| !has_safetensors || !OTHER_WEIGHTS.iter().any(|ext| f.path.ends_with(ext)))
        .filter(|f| !f.path.starts_with('.'))
        .cloned()
        .collect()
}

#[derive(Deserialize)]
struct InfoAnswer {
    sha: String,
    #[serde(default)]
    siblings: Vec<Sibling>,
    #[serde(default)]
    gated: serde_json::Value,
    #[serde(default, rename = "cardData")]
    card_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Sibling {
    rfilename: String,
    size: Option<u64>,
    #[serde(rename = "blobId")]
    blob_id: Option<String>,
    lfs: Option<Lfs>,
}

#[derive(Deserialize)]
struct Lfs {
    sha256: String,
    size: u64,
}

impl Hub {
    /// The files of `repo` at `revision`, with their sizes and hashes.
    pub fn repo_info(&self, repo: &str, revision: &str) -> Result<RepoInfo, HubError> {
        let url = format!(
            "{}/api/models/{repo}/revision/{revision}?blobs=true",
            self.endpoint
        );
        let response = self.get(&url).send().map_err(|e| network(&url, &e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(self.refused(repo, repo, &url, status));
        }
        let answer: InfoAnswer = response.json().map_err(|e| HubError::Answer {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::with_capacity(answer.siblings.len());
        for s in answer.siblings {
            let (size, hash, kind) = match (s.lfs, s.blob_id, s.size) {
                (Some(lfs), _, _) => (lfs.size, lfs.sha256, HashKind::Sha256),
                (None, Some(blob), Some(size)) => (size, blob, HashKind::GitSha1),
                _ => {
                    return Err(HubError::Answer {
                        url,
                        reason: format!("no size or hash for {}", s.rfilename),
                    });
                }
            };
            if !is_hex(&hash) || s.rfilename.split('/').any(|p| p == ".." || p.is_empty()) {
                return Err(HubError::Answer {
                    url,
                    reason: format!("an unusable file name or hash: {} {hash}", s.rfilename),
                });
            }
            files.push(RepoFile {
                path: s.rfilename,
                size,
                hash: hash.to_ascii_lowercase(),
                kind,
            });
        }
        if !is_hex(&answer.sha) {
            return Err(HubError::Answer {
                url,
                reason: format!("the commit `{}` is not a hash", answer.sha),
            });
        }
        Ok(RepoInfo {
            repo: repo.to_owned(),
            commit: answer.sha,
            files,
            gated: !matches!(
                answer.gated,
                serde_json::Value::Bool(false) | serde_json::Value::Null
            ),
            license: answer
                .card_data
                .as_ref()
                .and_then(|c| c.get("license"))
                .and_then(|l| l.as_str())
                .map(str::to_owned),
        })
    }

    /// Fetches `repo` into the cache, calling `progress` as it goes; answers the snapshot.
    pub fn download(
        &self,
        repo: &str,
        options: &DownloadOptions,
        cancel: &Cancel,
        progress: &mut dyn FnMut(&DownloadProgress),
    ) -> Result<Downloaded, HubError> {
        check_repo_name(repo)?;
        let mut meter = Meter::new(progress);
        meter.report(Phase::Listing, "", true);
        let info = self.repo_info(repo, &options.revision)?;
        let files = match &options.files {
            None => model_files(&info.files),
            Some(names) => names
                .iter()
                .map(|name| {
                    info.files
                        .iter()
                        .find(|f| &f.path == name)
                        .cloned()
                        .ok_or_else(|| HubError::NotFound {
                            what: format!("{repo}/{name}"),
                            endpoint: self.endpoint.clone(),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let cache = RepoCache::new(&self.cache, repo);
        cache.make_blobs_folder()?;

        // What is left to fetch, against the free space, before the first byte.
        let total: u64 = files.iter().map(|f| f.size).sum();
        let (mut held, mut resumed_bytes) = (0, 0);
        for file in &files {
            if cache.blob(&file.hash).is_file() {
                held += file.size;
            } else {
                let kept = std::fs::metadata(cache.incomplete(&file.hash))
                    .map_or(0, |m| m.len().min(file.size));
                held += kept;
                resumed_bytes += kept;
            }
        }
        let needed = total - held;
        let folder = cache.folder().to_owned();
        let available = fs4::available_space(&folder).map_err(|e| unwritable(&folder, &e))?;
        if needed > available {
            return Err(HubError::NoSpace {
                folder,
                needed: bytes_in_words(needed),
                available: bytes_in_words(available),
            });
        }

        meter.files = files.len();
        meter.total = total;
        meter.done = held;
        for file in &files {
            meter.file.clone_from(&file.path);
            self.fetch_file(repo, &info.commit, &cache, file, cancel, &mut meter)?;
            meter.files_done += 1;
            meter.report(Phase::Downloading, &file.path, true);
        }

        meter.report(Phase::Finishing, "", true);
        for file in &files {
            cache.link(&info.commit, &file.path, &file.hash)?;
        }
        cache.write_ref(&options.revision, &info.commit)?;
        Ok(Downloaded {
            repo: repo.to_owned(),
            commit: info.commit.clone(),
            snapshot: cache.snapshot(&info.commit),
            files: files.len(),
            bytes: total,
            fetched_bytes: meter.fetched,
            resumed_bytes,
        })
    }

    /// One file into `blobs/HASH`, resumed from what was kept and checked against its hash;
    /// a broken connection is resumed twice before the download gives up.
    fn fetch_file(
        &self,
        repo: &str,
        commit: &str,
        cache: &RepoCache,
        file: &RepoFile,
        cancel: &Cancel,
        meter: &mut Meter<'_>,
    ) -> Result<(), HubError> {
        let blob = cache.blob(&file.hash);
        if blob.is_file() {
            return Ok(());
        }
        let part = cache.incomplete(&file.hash);
        let mut hasher = Hasher::new(file);
        let mut have = std::fs::metadata(&part).map_or(0, |m| m.len());
        if have > file.size {
            truncate(&part)?;
            have = 0;
        }
        if have > 0 {
            meter.report(Phase::Resuming, &file.path, true);
            hash_kept(&part, have, &mut hasher, cancel)?;
        }
        let url = format!("{}/{repo}/resolve/{commit}/{}", self.endpoint, file.path);
        let mut attempts = 0;
        loop {
            match self.fetch_bytes(
                repo,
                &url,
                &part,
                file,
                &mut have,
                &mut hasher,
                cancel,
                meter,
            ) {
                Ok(()) => break,
                Err(HubError::Interrupted { .. }) if attempts < 2 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(500 * attempts));
                }
                Err(e) => return Err(e),
            }
        }
        let actual = hasher.finish();
        if actual != file.hash {
            let _ = std::fs::remove_file(&part);
            meter.done = meter.done.saturating_sub(have);
            return Err(HubError::HashMismatch {
                file: file.path.clone(),
                algorithm: file.kind.name(),
                expected: file.hash.clone(),
                actual,
            });
        }
        std::fs::rename(&part, &blob).map_err(|e| HubError::File {
            path: blob,
            reason: e.to_string(),
        })
    }

    /// One request for the bytes of `file` from `have` on, appended to `part`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one file's download state, passed once"
    )]
    fn fetch_bytes(
        &self,
        repo: &str,
        url: &str,
        part: &Path,
        file: &RepoFile,
        have: &mut u64,
        hasher: &mut Hasher,
        cancel: &Cancel,
        meter: &mut Meter<'_>,
    ) -> Result<(), HubError> {
        if *have == file.size {
            return Ok(());
        }
        let mut request = self.get(url);
        if *have > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let interrupted = |got: u64, reason: String| HubError::Interrupted {
            file: file.path.clone(),
            got,
            size: file.size,
            reason,
        };
        let mut response = request
            .send()
            .map_err(|e| interrupted(*have, e.to_string()))?;
        let status = response.status().as_u16();
        match status {
            200 if *have > 0 => {
                // The server sent the whole file: start it again.
                truncate(part)?;
                meter.done -= *have;
                *have = 0;
                *hasher = Hasher::new(file);
            }
            200 | 206 => {}
            _ => {
                return Err(self.refused(repo, &format!("{repo}/{}", file.path), url, status));
            }
        }
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .map_err(|e| write_error(cache_folder_of(part), &file.path, &e))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            if cancel.is_cancelled() {
                return Err(HubError::Cancelled);
            }
            let n = match response.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(interrupted(*have, e.to_string())),
            };
            let n64 = n as u64;
            if *have + n64 > file.size {
                let _ = std::fs::remove_file(part);
                return Err(HubError::HashMismatch {
                    file: file.path.clone(),
                    algorithm: file.kind.name(),
                    expected: file.hash.clone(),
                    actual: format!("(more bytes than the {} the hub lists)", file.size),
                });
            }
            out.write_all(&buf[..n])
                .map_err(|e| write_error(cache_folder_of(part), &file.path, &e))?;
            hasher.update(&buf[..n]);
            *have += n64;
            meter.fetched(n64);
            meter.report(Phase::Downloading, &file.path, false);
        }
        out.flush()
            .map_err(|e| write_error(cache_folder_of(part), &file.path, &e))?;
        if *have < file.size {
            return Err(interrupted(*have, "the connection closed early".to_owned()));
        }
        Ok(())
    }
}

/// The repository folder of a blob's path (`…/models--O--N/blobs/X`).
fn cache_folder_of(part: &Path) -> &Path {
    part.parent().and_then(Path::parent).unwrap_or(part)
}

fn write_error(folder: &Path, file: &str, e: &std::io::Error) -> HubError {
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => HubError::DiskFull {
            folder: folder.to_owned(),
            file: file.to_owned(),
        },
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => unwritable(folder, e),
        _ => HubError::File {
            path: folder.join(file),
            reason: e.to_string(),
        },
    }
}

fn truncate(part: &Path) -> Result<(), HubError> {
    File::create(part).map(|_| ()).map_err(|e| HubError::File {
        path: part.to_owned(),
        reason: e.to_string(),
    })
}

/// Feeds the first `len` bytes kept in `part` to `hasher`.
fn hash_kept(part: &Path, len: u64, hasher: &mut Hasher, cancel: &Cancel) -> Result<(), HubError> {
    let failed = |e: std::io::Error| HubError::File {
        path: part.to_owned(),
        reason: e.to_string(),
    };
    let mut input = File::open(part).map_err(failed)?.take(len);
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        if cancel.is_cancelled() {
            return Err(HubError::Cancelled);
        }
        let n = input.read(&mut buf).map_err(failed)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

/// Refuses a repository name that is not `ORG/NAME` of letters, digits, `-`, `_` and `.`
/// (the hub's rule), before it becomes a folder name.
pub fn check_repo_name(repo: &str) -> Result<(), HubError> {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.len() <= 96
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match repo.split_once('/') {
        Some((org, name)) if part(org) && part(name) => Ok(()),
        _ => Err(HubError::BadName {
            repo: repo.to_owned(),
        }),
    }
}

/// Lower-case hexadecimal, as the hub writes hashes.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn network(url: &str, e: &reqwest::Error) -> HubError {
    HubError::Network {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// The hash a file is named by, over its bytes as they arrive.
enum Hasher {
    Sha256(sha2::Sha256),
    GitSha1(sha1::Sha1),
}

impl Hasher {
    fn new(file: &RepoFile) -> Hasher {
        match file.kind {
            HashKind::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            HashKind::GitSha1 => {
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {}\0", file.size).as_bytes());
                Hasher::GitSha1(h)
            }
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::GitSha1(h) => h.update(bytes),
        }
    }

    fn finish(self) -> String {
        let bytes = match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::GitSha1(h) => h.finalize().to_vec(),
        };
        hex(&bytes)
    }
}

/// Counts bytes, measures the speed over the last seconds and calls the callback, at most
/// every tenth of a second while bytes flow.
struct Meter<'a> {
    callback: &'a mut dyn FnMut(&DownloadProgress),
    file: String,
    files: usize,
    files_done: usize,
    total: u64,
    done: u64,
    fetched: u64,
    window: VecDeque<(Instant, u64)>,
    last: Option<Instant>,
}

/// The speed is measured over this much of the recent past.
const WINDOW: Duration = Duration::from_secs(5);

impl<'a> Meter<'a> {
    fn new(callback: &'a mut dyn FnMut(&DownloadProgress)) -> Meter<'a> {
        Meter {
            callback,
            file: String::new(),
            files: 0,
            files_done: 0,
            total: 0,
            done: 0,
            fetched: 0,
            window: VecDeque::new(),
            last: None,
        }
    }

    fn fetched(&mut self, n: u64) {
        self.done += n;
        self.fetched += n;
        let now = Instant::now();
        self.window.push_back((now, self.fetched));
        while self
            .window
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > WINDOW)
            && self.window.len() > 2
        {
            self.window.pop_front();
        }
    }

    fn speed(&self) -> f64 {
        match (self.window.front(), self.window.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => {
                (b1 - b0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    fn report(&mut self, phase: Phase, file: &str, always: bool) {
        let now = Instant::now();
        if !always
            && self
                .last
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let speed = self.speed();
        let left = self.total.saturating_sub(self.done);
        (self.callback)(&DownloadProgress {
            phase,
            file: file.to_owned(),
            files_done: self.files_done,
            files: self.files,
            done_bytes: self.done,
            total_bytes: self.total,
            bytes_per_second: speed,
            seconds_left: (speed > 0.0).then(|| left as f64 / speed),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> RepoFile {
        RepoFile {
            path: path.to_owned(),
            size: 1,
            hash: "ab".to_owned(),
            kind: HashKind::Sha256,
        }
    }

    #[test]
    fn a_model_takes_its_safetensors_not_the_second_copies() {
        let files: Vec<RepoFile> = [
            "config.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "model.safetensors.index.json",
            "pytorch_model.bin",
            "original/model.safetensors",
            "metal/model.bin",
            "tokenizer.json",
            "chat_template.jinja",
            ".gitattributes",
        ]
        .iter()
        .map(|p| file(p))
        .collect();
        let kept: Vec<String> = model_files(&files).into_iter().map(|f| f.path).collect();
        assert_eq!(
            kept,
            [
                "config.json",
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json",
                "tokenizer.json",
                "chat_template.jinja"
            ]
        );
        // A GGUF repository keeps its GGUF files.
        let gguf = [file("m.Q8_0.gguf"), file("README.md")];
        assert_eq!(model_files(&gguf).len(), 2);
    }

    #[test]
    fn only_org_slash_name_is_a_repository() {
        assert!(check_repo_name("Salesforce/FARE-8B").is_ok());
        assert!(check_repo_name("Qwen/Qwen3-8B-GGUF").is_ok());
        for bad in ["FARE-8B", "../x", "a/../b", "a/b/c", "a/.git", "/x", "a/"] {
            assert!(check_repo_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_small_file_is_named_by_its_git_blob_hash() {
        // `printf 'hello\n' | git hash-object --stdin`
        let f = RepoFile {
            path: "a".into(),
            size: 6,
            hash: String::new(),
            kind: HashKind::GitSha1,
        };
        let mut h = Hasher::new(&f);
        h.update(b"hello\n");
        assert_eq!(h.finish(), "ce013625030ba8dba906f756967f9e9ca394464a");
    }
}
