//! A Hugging Face hub on loopback for download tests: the model info API
//! (`/api/models/ORG/NAME/revision/REV?blobs=true`, each file with its size and hash),
//! `ORG/NAME/resolve/REV/FILE` (a large file redirected to its storage, `/cdn/SHA256`, with the
//! hub's `X-Repo-Commit`, `X-Linked-Etag` and `X-Linked-Size`; a small one answered with its
//! git blob hash as `ETag`), range requests, and what goes wrong: a gated repository (401
//! without its token), a connection cut half-way through a file, bytes that do not match their
//! hash, a file listed larger than any disk. Every request is recorded.
//!
//! A plain `std::net` server, one thread per connection, `Connection: close`: it must be able
//! to cut a connection at an exact byte, which a full HTTP stack makes hard.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha1::Digest as _;

/// A repository the hub serves.
#[derive(Debug, Clone, Default)]
pub struct TestRepo {
    /// `ORG/NAME`.
    pub id: String,
    /// Its files: path → bytes.
    pub files: BTreeMap<String, Arc<Vec<u8>>>,
    /// Answer downloads only with `Authorization: Bearer` this token.
    pub token: Option<String>,
    /// Cut the first full (not ranged) response of each large file after this many bytes.
    pub cut_after: Option<usize>,
    /// Serve large files with one byte changed (their listed hash stays the real one).
    pub corrupt: bool,
    /// List every large file as this many bytes (the bytes served stay the real ones).
    pub listed_size: Option<u64>,
    /// Wait this long between chunks of 64 KiB of a large file (to watch progress and cancel).
    pub throttle: Option<Duration>,
}

impl TestRepo {
    /// A repository `id` with no files yet.
    pub fn new(id: &str) -> TestRepo {
        TestRepo {
            id: id.to_owned(),
            ..TestRepo::default()
        }
    }

    /// Adds a file.
    #[must_use]
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> TestRepo {
        self.files.insert(path.to_owned(), Arc::new(bytes.into()));
        self
    }

    /// Adds the file at `source` as `path`.
    #[must_use]
    pub fn file_from(self, path: &str, source: &Path) -> TestRepo {
        let bytes = std::fs::read(source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        self.file(path, bytes)
    }
}

/// A request the hub answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET` …
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Its `Range` header.
    pub range: Option<String>,
    /// Whether it carried a bearer token.
    pub authorized: bool,
}

/// The running hub; it stops with the test process.
#[derive(Debug, Clone)]
pub struct TestHub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The commit every test repository is at.
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Files at least this large are "LFS" files: sha256-named, redirected to storage.
const LARGE: usize = 1024;

struct Served {
    repo: TestRepo,
    /// sha256 of each large file, git sha1 of each small one.
    hashes: BTreeMap<String, String>,
    /// Large files whose first full response was cut already.
    cut_done: Mutex<Vec<String>>,
}

impl TestHub {
    /// Starts a hub serving `repos` on a free loopback port.
    pub fn start(repos: Vec<TestRepo>) -> TestHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the bound address")
        );
        let served: Arc<Vec<Served>> = Arc::new(
            repos
                .into_iter()
                .map(|repo| {
                    let hashes = repo
                        .files
                        .iter()
                        .map(|(p, b)| (p.clone(), hash_of(b)))
                        .collect();
                    Served {
                        repo,
                        hashes,
                        cut_done: Mutex::new(Vec::new()),
                    }
                })
                .collect(),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hub = TestHub {
            url,
            seen: Arc::clone(&seen),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let served = Arc::clone(&served);
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    let _ = answer(stream, &served, &seen);
                });
            }
        });
        hub
    }

    /// Its address (what `HF_ENDPOINT` is set to).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The requests answered so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests for file bytes (storage and small files) answered so far.
    pub fn file_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path.starts_with("/cdn/") || s.path.contains("/resolve/"))
            .collect()
    }
}

/// The hub's hash of `bytes`: sha256 for a large file, git's blob sha1 for a small one.
pub fn hash_of(bytes: &[u8]) -> String {
    let digest = if bytes.len() >= LARGE {
        sha2::Sha256::digest(bytes).to_vec()
    } else {
        let mut h = sha1::Sha1::new();
        h.update(format!("blob {}\0", bytes.len()).as_bytes());
        h.update(bytes);
        h.finalize().to_vec()
    };
    digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn answer(stream: TcpStream, served: &[Served], seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let range = headers.get("range").cloned();
    let auth = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_owned);
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Seen {
            method: method.clone(),
            path: path.clone(),
            range: range.clone(),
            authorized: auth.is_some(),
        });
    let mut out = stream;
    let bare = path.split('?').next().unwrap_or_default();

    if let Some(rest) = bare.strip_prefix("/api/models/") {
        let Some((id, _rev)) = rest.split_once("/revision/") else {
            return reply(&mut out, 404, &[], b"{\"error\":\"not found\"}");
        };
        let Some(s) = served.iter().find(|s| s.repo.id == id) else {
            return reply(&mut out, 404, &[], b"{\"error\":\"Repository not found\"}");
        };
        return reply(
            &mut out,
            200,
            &[("Content-Type", "application/json")],
            info(s).as_bytes(),
        );
    }
    if let Some(sha) = bare.strip_prefix("/cdn/") {
        for s in served {
            if let Some((name, bytes)) = s
                .repo
                .files
                .iter()
                .find(|(p, _)| s.hashes.get(*p).is_some_and(|h| h == sha))
            {
                return storage(&mut out, s, name, bytes, range.as_deref());
            }
        }
        return reply(&mut out, 404, &[], b"no such object");
    }
    for s in served {
        let prefix = format!("/{}/resolve/", s.repo.id);
        let Some(rest) = bare.strip_prefix(&prefix) else {
            continue;
        };
        let file = rest.split_once('/').map_or("", |(_, f)| f);
        if s.repo.token.is_some() && auth != s.repo.token {
            return reply(
                &mut out,
                401,
                &[("X-Error-Code", "GatedRepo")],
                b"Access to this model is restricted. You must have access to it and be authenticated.",
            );
        }
        let (Some(bytes), Some(hash)) = (s.repo.files.get(file), s.hashes.get(file)) else {
            return reply(
                &mut out,
                404,
                &[("X-Error-Code", "EntryNotFound")],
                b"Entry not found",
            );
        };
        if bytes.len() >= LARGE {
            let location = format!("/cdn/{hash}");
            let etag = format!("\"{hash}\"");
            let size = bytes.len().to_string();
            return reply(
                &mut out,
                302,
                &[
                    ("Location", &location),
                    ("X-Repo-Commit", COMMIT),
                    ("X-Linked-Etag", &etag),
                    ("X-Linked-Size", &size),
                ],
                b"",
            );
        }
        let etag = format!("\"{hash}\"");
        return reply(
            &mut out,
            200,
            &[("ETag", &etag), ("X-Repo-Commit", COMMIT)],
            bytes,
        );
    }
    reply(&mut out, 404, &[], b"not found")
}

/// The model info answer with `blobs=true`.
fn info(s: &Served) -> String {
    let siblings: Vec<serde_json::Value> = s
        .repo
        .files
        .iter()
        .map(|(path, bytes)| {
            let hash = &s.hashes[path];
            if bytes.len() >= LARGE {
                let size = s.repo.listed_size.unwrap_or(bytes.len() as u64);
                serde_json::json!({"rfilename": path, "size": size, "blobId": "0000000000000000000000000000000000000000",
                    "lfs": {"sha256": hash, "size": size, "pointerSize": 134}})
            } else {
                serde_json::json!({"rfilename": path, "size": bytes.len(), "blobId": hash})
            }
        })
        .collect();
    serde_json::json!({
        "_id": "test", "id": s.repo.id, "sha": COMMIT, "siblings": siblings,
        "gated": if s.repo.token.is_some() { serde_json::json!("manual") } else { serde_json::json!(false) },
        "cardData": {"license": "cc-by-nc-4.0"},
    })
    .to_string()
}

/// A large file's bytes, honouring `Range: bytes=N-`.
fn storage(
    out: &mut TcpStream,
    s: &Served,
    name: &str,
    bytes: &[u8],
    range: Option<&str>,
) -> std::io::Result<()> {
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split('-').next())
        .and_then(|n| n.parse::<usize>().ok());
    let mut body = bytes.to_vec();
    if s.repo.corrupt {
        let middle = body.len() / 2;
        body[middle] ^= 0xff;
    }
    let (status, from) = match start {
        Some(n) if n >= body.len() => {
            let unsatisfied = format!("bytes */{}", body.len());
            return reply(out, 416, &[("Content-Range", &unsatisfied)], b"");
        }
        Some(n) => (206, n),
        None => (200, 0),
    };
    let slice = &body[from..];
    let content_range = format!("bytes {from}-{}/{}", body.len() - 1, body.len());
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n",
        reason(status),
        slice.len()
    );
    if status == 206 {
        let _ = write!(head, "Content-Range: {content_range}\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    let cut = status == 200
        && s.repo.cut_after.is_some()
        && !s
            .cut_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&name.to_owned());
    let end = if cut {
        s.cut_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name.to_owned());
        s.repo.cut_after.unwrap_or(0).min(slice.len())
    } else {
        slice.len()
    };
    for chunk in slice[..end].chunks(64 * 1024) {
        out.write_all(chunk)?;
        if let Some(pause) = s.repo.throttle {
            std::thread::sleep(pause);
        }
    }
    out.flush()?;
    let _ = out.shutdown(Shutdown::Both);
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        401 => "Unauthorized",
        416 => "Range Not Satisfiable",
        _ => "Not Found",
    }
}

fn reply(
    out: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()?;
    // Drain what the client may still send, so closing does not reset the connection.
    let _ = out.shutdown(Shutdown::Write);
    let mut rest = [0u8; 512];
    let _ = out.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = out.read(&mut rest);
    Ok(())
}
