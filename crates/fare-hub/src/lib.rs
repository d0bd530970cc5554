//! FARE Lens and the Hugging Face hub: which FARE models there are to fetch ([`catalog`]), and
//! fetching a model repository into the Hugging Face cache ([`download`]) so that the model
//! panel, `fare-lens judge`, transformers and vLLM all find the same files ([`cache`]).
//!
//! [`Hub::from_env`] reads what `huggingface_hub` reads: `HF_ENDPOINT` (the hub, or a mirror),
//! `HF_TOKEN` (else the token file `huggingface-cli login` writes) and `HF_HOME` /
//! `HF_HUB_CACHE` (where the cache is).
//!
//! Why not the `hf-hub` crate: version 0.4 checks no file against its hash and moves a finished
//! download into the cache before anyone could, keeps a resume offset in a footer of its own
//! (not `huggingface_hub`'s `.incomplete` file), lists files without their sizes (so free space
//! cannot be checked first), and cancelling leaves its chunk tasks running; 1.0 resumes nothing
//! over HTTP, checks no hash either and brings a second HTTP stack (reqwest 0.13) and the Xet
//! client into the build. What is here is the hub's plain HTTP protocol, which every hub file
//! (Xet-backed ones included) is still served by: the model info API with each file's size and
//! hash, `resolve/REV/FILE` with its redirect to the file's storage, and range requests.

pub mod cache;
pub mod catalog;
pub mod download;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use catalog::{CatalogModel, catalog};
pub use download::{Cancel, DownloadOptions, DownloadProgress, Downloaded, Phase};

/// The hub's address when `HF_ENDPOINT` does not name another.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// A hub to fetch from and the cache to fetch into.
#[derive(Debug, Clone)]
pub struct Hub {
    endpoint: String,
    token: Option<String>,
    cache: PathBuf,
    client: reqwest::blocking::Client,
}

/// Where a fetch failed, in words the person can act on.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// 401 or 403: the repository is gated or private, or the token is refused.
    #[error(
        "{repo} needs a Hugging Face token: the hub answered {status} (the model is gated or private). \
         Accept its terms on {endpoint}/{repo}, then set HF_TOKEN to a token with read access \
         ({endpoint}/settings/tokens) and start again"
    )]
    TokenNeeded {
        /// The repository.
        repo: String,
        /// 401 or 403.
        status: u16,
        /// The hub asked.
        endpoint: String,
    },
    /// 401 or 403 although a token was sent.
    #[error(
        "the hub refused the token in HF_TOKEN for {repo} ({status}): check that it has read access \
         and that you accepted the model's terms on {endpoint}/{repo}"
    )]
    TokenRefused {
        /// The repository.
        repo: String,
        /// 401 or 403.
        status: u16,
        /// The hub asked.
        endpoint: String,
    },
    /// 404.
    #[error("{what} is not on the hub at {endpoint} (404): check the name")]
    NotFound {
        /// The repository, or a file of it.
        what: String,
        /// The hub asked.
        endpoint: String,
    },
    /// Any other answer that is not a success.
    #[error("the hub answered {status} for {url}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// What was asked.
        url: String,
    },
    /// The hub could not be reached, or the connection broke.
    #[error("could not reach {url}: {reason}")]
    Network {
        /// What was asked.
        url: String,
        /// Why.
        reason: String,
    },
    /// The hub's answer was not what its API answers.
    #[error("the hub's answer for {url} is not understood: {reason}")]
    Answer {
        /// What was asked.
        url: String,
        /// Why.
        reason: String,
    },
    /// The download ended before the file did (a broken connection).
    #[error(
        "the download of {file} stopped at {got} of {size} bytes ({reason}); start it again to resume from there"
    )]
    Interrupted {
        /// The file in the repository.
        file: String,
        /// Bytes kept.
        got: u64,
        /// Bytes in all.
        size: u64,
        /// Why.
        reason: String,
    },
    /// The file's bytes are not the ones the hub's hash names: nothing of it is kept.
    #[error(
        "{file} does not match the hub's {algorithm} {expected} (the bytes received hash to {actual}); \
         it was deleted, nothing of it is kept"
    )]
    HashMismatch {
        /// The file in the repository.
        file: String,
        /// `sha256` (large files) or `git sha1` (the others).
        algorithm: &'static str,
        /// The hub's hash.
        expected: String,
        /// What was received.
        actual: String,
    },
    /// Not enough free space for what is left to fetch.
    #[error(
        "not enough free space in {folder}: the download needs {needed} more, {available} are free. \
         Free some space, or set HF_HOME to a folder on a larger disk"
    )]
    NoSpace {
        /// The cache folder.
        folder: PathBuf,
        /// Needed, in words (`16.4 GB`).
        needed: String,
        /// Free, in words.
        available: String,
    },
    /// The disk filled up during the download.
    #[error(
        "the disk holding {folder} is full: {file} could not be written. What was fetched is kept; \
         free some space and start again to resume"
    )]
    DiskFull {
        /// The cache folder.
        folder: PathBuf,
        /// The file being written.
        file: String,
    },
    /// The cache cannot be written.
    #[error(
        "cannot write the Hugging Face cache {folder}: {reason}. Set HF_HOME (or HF_HUB_CACHE) to a folder you can write"
    )]
    Unwritable {
        /// The folder.
        folder: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another file error.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Not a repository name.
    #[error(
        "`{repo}` is not a model name of the hub: one is written ORG/NAME (Salesforce/FARE-8B)"
    )]
    BadName {
        /// What was given.
        repo: String,
    },
    /// The person cancelled; what was fetched is kept for a resume.
    #[error("cancelled; what was fetched is kept, and the next download of it resumes from there")]
    Cancelled,
}

impl Hub {
    /// The hub and cache the environment names: `HF_ENDPOINT`, `HF_TOKEN` (else the token file
    /// in `HF_HOME`), `HF_HUB_CACHE` or `HF_HOME/hub` (else `~/.cache/huggingface/hub`).
    pub fn from_env() -> Hub {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let endpoint = var("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let token = var("HF_TOKEN").or_else(|| {
            let file = var("HF_TOKEN_PATH").map_or_else(|| hf_home().join("token"), PathBuf::from);
            std::fs::read_to_string(file)
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        });
        Hub::new(&endpoint, token, cache_folder())
    }

    /// A hub at `endpoint` (`https://huggingface.co`), sending `token`, fetching into `cache`.
    pub fn new(endpoint: &str, token: Option<String>, cache: PathBuf) -> Hub {
        // No overall timeout: a 16 GB file takes as long as it takes. The connection is kept
        // alive so that a peer that vanished is noticed.
        let client = reqwest::blocking::Client::builder()
            .timeout(None)
            .connect_timeout(Duration::from_secs(30))
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("fare-lens/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::blocking::Client::new());
        Hub {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            token,
            cache,
            client,
        }
    }

    /// The hub's address.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The cache folder (`…/huggingface/hub`).
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// Whether a token will be sent.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn get(&self, url: &str) -> reqwest::blocking::RequestBuilder {
        let request = self.client.get(url);
        match &self.token {
            // reqwest drops the header when a redirect leaves the hub's host (the file storage).
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The error for a refused answer about `what` of `repo`.
    fn refused(&self, repo: &str, what: &str, url: &str, status: u16) -> HubError {
        match status {
            401 | 403 if self.token.is_some() => HubError::TokenRefused {
                repo: repo.to_owned(),
                status,
                endpoint: self.endpoint.clone(),
            },
            401 | 403 => HubError::TokenNeeded {
                repo: repo.to_owned(),
                status,
                endpoint: self.endpoint.clone(),
            },
            404 => HubError::NotFound {
                what: what.to_owned(),
                endpoint: self.endpoint.clone(),
            },
            _ => HubError::Status {
                status,
                url: url.to_owned(),
            },
        }
    }
}

/// `HF_HOME`, else `~/.cache/huggingface`.
fn hf_home() -> PathBuf {
    std::env::var_os("HF_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|h| !h.is_empty())
                .map(|c| PathBuf::from(c).join("huggingface"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("huggingface"))
        })
        .unwrap_or_else(|| PathBuf::from(".cache").join("huggingface"))
}

/// The hub cache folder: `HF_HUB_CACHE`, else `HF_HOME/hub` (what `huggingface_hub` uses).
pub fn cache_folder() -> PathBuf {
    std::env::var_os("HF_HUB_CACHE")
        .filter(|h| !h.is_empty())
        .map_or_else(|| hf_home().join("hub"), PathBuf::from)
}

/// Bytes in words: `16.4 GB`, `980 MB`, `12 KB`.
pub fn bytes_in_words(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} KB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes_in_words(16_400_000_000), "16.4 GB");
        assert_eq!(bytes_in_words(980_000_000), "980 MB");
        assert_eq!(bytes_in_words(12_345), "12 KB");
        assert_eq!(bytes_in_words(7), "7 bytes");
    }

    #[test]
    fn a_refusal_without_a_token_says_to_set_hf_token() {
        let hub = Hub::new("http://hub.test/", None, PathBuf::from("c"));
        assert_eq!(hub.endpoint(), "http://hub.test");
        let e = hub.refused("Org/M", "Org/M", "u", 401).to_string();
        assert!(e.contains("set HF_TOKEN"), "{e}");
        assert!(e.contains("http://hub.test/Org/M"), "{e}");
        let hub = Hub::new("http://hub.test", Some("t".into()), PathBuf::from("c"));
        let e = hub.refused("Org/M", "Org/M", "u", 403).to_string();
        assert!(e.contains("refused the token in HF_TOKEN"), "{e}");
    }
}
