//! Each way a download ends, against the loopback hub.

use std::path::{Path, PathBuf};

use fare_hub::cache::{Held, RepoCache};
use fare_hub::{Cancel, DownloadOptions, DownloadProgress, Hub, HubError};
use fare_testkit::hub::{COMMIT, TestHub, TestRepo, hash_of};

/// Deterministic bytes that do not compress to nothing.
fn weights(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

const CONFIG: &str = r#"{"model_type": "qwen3", "torch_dtype": "bfloat16"}"#;

/// A model repository: a config (a small file) and 3 MB of weights (a large one).
fn repo(id: &str) -> TestRepo {
    TestRepo::new(id)
        .file("config.json", CONFIG)
        .file("model.safetensors", weights(3_000_000))
        .file("original/model.safetensors", weights(10))
}

fn hub_for(hub: &TestHub, cache: &Path, token: Option<&str>) -> Hub {
    Hub::new(hub.url(), token.map(str::to_owned), cache.to_owned())
}

fn fetch(
    hub: &Hub,
    id: &str,
) -> (
    Result<fare_hub::Downloaded, HubError>,
    Vec<DownloadProgress>,
) {
    let mut seen = Vec::new();
    let result = hub.download(id, &DownloadOptions::default(), &Cancel::new(), &mut |p| {
        seen.push(p.clone());
    });
    (result, seen)
}

fn blobs(cache: &Path, id: &str) -> Vec<String> {
    let dir = RepoCache::new(cache, id).folder().join("blobs");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_model_downloads_whole_into_the_hugging_face_cache_layout() {
    let server = TestHub::start(vec![repo("org/model")]);
    let cache = tempfile::tempdir().unwrap();
    let hub = hub_for(&server, cache.path(), None);
    let (done, progress) = fetch(&hub, "org/model");
    let done = done.unwrap();

    let folder = cache.path().join("models--org--model");
    assert_eq!(done.snapshot, folder.join("snapshots").join(COMMIT));
    assert_eq!(
        (done.files, done.bytes),
        (2, 3_000_000 + CONFIG.len() as u64)
    );
    assert_eq!(done.fetched_bytes, done.bytes);
    assert_eq!(done.resumed_bytes, 0);
    // Each file once, named by the hub's hash; the snapshot links to them; refs/main names it.
    let weights_hash = hash_of(&weights(3_000_000));
    let mut expected = vec![hash_of(CONFIG.as_bytes()), weights_hash.clone()];
    expected.sort();
    assert_eq!(blobs(cache.path(), "org/model"), expected);
    let link = done.snapshot.join("model.safetensors");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        PathBuf::from("../../blobs").join(&weights_hash)
    );
    assert_eq!(std::fs::read(&link).unwrap(), weights(3_000_000));
    assert_eq!(
        std::fs::read_to_string(done.snapshot.join("config.json")).unwrap(),
        CONFIG
    );
    assert!(
        !done.snapshot.join("original").exists(),
        "second copies are not fetched"
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("refs/main")).unwrap(),
        COMMIT
    );
    assert_eq!(
        RepoCache::new(cache.path(), "org/model").held(),
        Held::Snapshot {
            path: done.snapshot.clone()
        }
    );

    // Progress counts up to the whole, file by file.
    let last = progress.last().unwrap();
    assert_eq!(
        (last.done_bytes, last.total_bytes),
        (done.bytes, done.bytes)
    );
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].done_bytes <= w[1].done_bytes)
    );
    assert!(
        progress
            .iter()
            .any(|p| p.file == "model.safetensors" && p.bytes_per_second > 0.0)
    );

    // A second download fetches nothing.
    let before = server.file_requests().len();
    let (again, _) = fetch(&hub, "org/model");
    assert_eq!(again.unwrap().fetched_bytes, 0);
    assert_eq!(server.file_requests().len(), before);
}

#[test]
fn a_connection_cut_half_way_is_resumed_with_a_range_request() {
    let mut cut = repo("org/cut");
    cut.cut_after = Some(1_200_000);
    let server = TestHub::start(vec![cut]);
    let cache = tempfile::tempdir().unwrap();
    let (done, _) = fetch(&hub_for(&server, cache.path(), None), "org/cut");
    let done = done.unwrap();
    assert_eq!(
        std::fs::read(done.snapshot.join("model.safetensors")).unwrap(),
        weights(3_000_000)
    );
    let ranges: Vec<Option<String>> = server
        .file_requests()
        .into_iter()
        .filter(|s| s.path.starts_with("/cdn/"))
        .map(|s| s.range)
        .collect();
    assert_eq!(
        ranges,
        [None, Some("bytes=1200000-".to_owned())],
        "resumed where it was cut"
    );
    assert_eq!(done.fetched_bytes, done.bytes, "no byte fetched twice");
}

#[test]
fn a_cancelled_download_is_resumed_by_the_next_one() {
    let mut slow = repo("org/model");
    slow.throttle = Some(std::time::Duration::from_millis(10));
    let server = TestHub::start(vec![slow]);
    let cache = tempfile::tempdir().unwrap();
    let hub = hub_for(&server, cache.path(), None);
    let cancel = Cancel::new();
    let stop = cancel.clone();
    let e = hub
        .download(
            "org/model",
            &DownloadOptions::default(),
            &cancel,
            &mut |p| {
                if p.done_bytes > 1_000_000 {
                    stop.cancel();
                }
            },
        )
        .unwrap_err();
    assert!(matches!(e, HubError::Cancelled), "{e}");
    assert!(e.to_string().contains("resumes"), "{e}");
    // Only the blobs: nothing that looks like a model.
    let held = RepoCache::new(cache.path(), "org/model").held();
    assert!(
        matches!(held, Held::Partial { bytes } if bytes > 1_000_000),
        "{held:?}"
    );
    assert!(!cache.path().join("models--org--model/snapshots").exists());

    // A new download (a restart of the app) goes on from there.
    let (done, progress) = fetch(&hub, "org/model");
    let done = done.unwrap();
    assert!(done.resumed_bytes > 1_000_000, "{done:?}");
    // The config was whole already; of the weights, nothing was fetched twice.
    assert_eq!(done.fetched_bytes + done.resumed_bytes, 3_000_000);
    assert!(
        progress
            .iter()
            .any(|p| p.phase == fare_hub::Phase::Resuming)
    );
    let last_range = server.file_requests().last().and_then(|s| s.range.clone());
    assert!(last_range.is_some_and(|r| r.starts_with("bytes=")));
    assert_eq!(
        std::fs::read(done.snapshot.join("model.safetensors")).unwrap(),
        weights(3_000_000)
    );
}

#[test]
fn bytes_that_do_not_match_the_hubs_hash_are_refused_and_deleted() {
    let mut bad = repo("org/bad");
    bad.corrupt = true;
    let server = TestHub::start(vec![bad]);
    let cache = tempfile::tempdir().unwrap();
    let (e, _) = fetch(&hub_for(&server, cache.path(), None), "org/bad");
    let e = e.unwrap_err().to_string();
    assert!(
        e.contains("model.safetensors does not match the hub's sha256"),
        "{e}"
    );
    assert!(e.contains(&hash_of(&weights(3_000_000))), "{e}");
    // The config (fine) is kept as a blob, the weights are gone, and there is no snapshot.
    assert_eq!(blobs(cache.path(), "org/bad"), [hash_of(CONFIG.as_bytes())]);
    assert!(!cache.path().join("models--org--bad/snapshots").exists());
}

#[test]
fn a_download_larger_than_the_free_space_is_refused_before_it_starts() {
    let mut huge = repo("org/huge");
    huge.listed_size = Some(1 << 60);
    let server = TestHub::start(vec![huge]);
    let cache = tempfile::tempdir().unwrap();
    let (e, _) = fetch(&hub_for(&server, cache.path(), None), "org/huge");
    let e = e.unwrap_err().to_string();
    assert!(e.contains("not enough free space"), "{e}");
    assert!(e.contains("HF_HOME"), "{e}");
    assert!(server.file_requests().is_empty(), "no byte was asked for");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_says_so_and_keeps_what_was_fetched() {
    let server = TestHub::start(vec![repo("org/model")]);
    let cache = tempfile::tempdir().unwrap();
    let repo_cache = RepoCache::new(cache.path(), "org/model");
    repo_cache.make_blobs_folder().unwrap();
    // Every write to /dev/full fails as a full disk does (ENOSPC), root or not.
    std::os::unix::fs::symlink(
        "/dev/full",
        repo_cache.incomplete(&hash_of(&weights(3_000_000))),
    )
    .unwrap();
    let (e, _) = fetch(&hub_for(&server, cache.path(), None), "org/model");
    let e = e.unwrap_err();
    assert!(matches!(e, HubError::DiskFull { .. }), "{e}");
    assert!(e.to_string().contains("is full"), "{e}");
}

#[test]
fn a_cache_that_cannot_be_written_names_the_folder_and_hf_home() {
    let server = TestHub::start(vec![repo("org/model")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let (e, _) = fetch(&hub_for(&server, &file.join("hub"), None), "org/model");
    let e = e.unwrap_err().to_string();
    assert!(e.contains("cannot write the Hugging Face cache"), "{e}");
    assert!(e.contains("a-file"), "{e}");
    assert!(e.contains("Set HF_HOME"), "{e}");
}

#[test]
fn a_gated_model_without_a_token_says_to_set_hf_token() {
    let mut gated = repo("org/gated");
    gated.token = Some("hf_secret".to_owned());
    let server = TestHub::start(vec![gated]);
    let cache = tempfile::tempdir().unwrap();
    let (e, _) = fetch(&hub_for(&server, cache.path(), None), "org/gated");
    let e = e.unwrap_err().to_string();
    assert!(e.contains("needs a Hugging Face token"), "{e}");
    assert!(e.contains("401"), "{e}");
    assert!(e.contains("set HF_TOKEN"), "{e}");

    let (e, _) = fetch(
        &hub_for(&server, cache.path(), Some("hf_wrong")),
        "org/gated",
    );
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("refused the token in HF_TOKEN")
    );

    let refused = server.file_requests().len();
    let (done, _) = fetch(
        &hub_for(&server, cache.path(), Some("hf_secret")),
        "org/gated",
    );
    assert_eq!(done.unwrap().files, 2);
    assert!(
        server.file_requests()[refused..]
            .iter()
            .all(|s| s.authorized)
    );
}

#[test]
fn a_repository_not_on_the_hub_is_named() {
    let server = TestHub::start(vec![]);
    let cache = tempfile::tempdir().unwrap();
    let (e, _) = fetch(&hub_for(&server, cache.path(), None), "org/none");
    let e = e.unwrap_err().to_string();
    assert!(e.contains("org/none is not on the hub"), "{e}");
}
