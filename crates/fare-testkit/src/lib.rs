//! What the workspace's tests share (a dev-dependency only): where the test assets and the real
//! data sets are, and one rule for when one is missing.
//!
//! - Test assets (real tokenizers and a small real model, fetched by
//!   `tests/fetch-test-assets.sh` into `.test-assets/`, or the folder `FARE_LENS_TEST_ASSETS`
//!   names): [`asset`], [`smollm2`], [`qwen3_tokenizer`], [`gpt_oss_tokenizer`].
//! - The real public data sets beside the checkout (`../shared/data`): [`shared_data`].
//! - Small data files of our own in the importers' layouts, and a scratch folder: [`data`].
//! - A server's API over HTTP with its token, and a serving process: [`api`].
//! - A Hugging Face hub on loopback that serves test repositories and misbehaves on request: [`hub`].
//!
//! The rule: a test that needs something absent is skipped with a line saying so and how to
//! get it. A missing test asset fails under CI (`CI` set): CI fetches them itself, so a run
//! must never pass by skipping them. The data sets live outside the checkout and are only
//! skipped, with the same line, wherever they are absent.

use std::path::{Path, PathBuf};

pub mod api;
pub mod data;
pub mod hub;

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the test assets are: `FARE_LENS_TEST_ASSETS`, else the workspace's `.test-assets`.
pub fn assets() -> PathBuf {
    std::env::var_os("FARE_LENS_TEST_ASSETS")
        .map_or_else(|| workspace().join(".test-assets"), PathBuf::from)
}

/// The file or folder `relative` of the test assets, `None` (after saying so) when it is
/// absent; under CI, absent fails the test.
pub fn asset(relative: &str) -> Option<PathBuf> {
    let path = assets().join(relative);
    if path.exists() {
        return Some(path);
    }
    missing(&format!(
        "the test asset {relative} is absent ({}): run tests/fetch-test-assets.sh",
        assets().display()
    ))
}

/// SmolLM2-135M-Instruct (Q4_1 GGUF), the small real model.
pub fn smollm2() -> Option<PathBuf> {
    asset("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// The folder of the real Qwen3 (FARE-8B) tokenizer and chat template.
pub fn qwen3_tokenizer() -> Option<PathBuf> {
    asset("tokenizer-qwen3/tokenizer.json").and_then(|p| p.parent().map(Path::to_owned))
}

/// The folder of the real gpt-oss (FARE-20B) tokenizer and chat template.
pub fn gpt_oss_tokenizer() -> Option<PathBuf> {
    asset("tokenizer-gptoss/tokenizer.json").and_then(|p| p.parent().map(Path::to_owned))
}

/// The file or folder `relative` of the real data sets beside the checkout
/// (`../shared/data`; `""` for the folder), `None` (after saying so) when absent.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = workspace().join("../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    eprintln!(
        "SKIPPED: the real data set ../shared/data/{relative} is absent (the tests expect \
         ../shared/data beside the checkout)"
    );
    None
}

fn missing(message: &str) -> Option<PathBuf> {
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}
