//! Model discovery on real folders: a models folder with a Qwen3 folder, a broken GGUF and a
//! stray file, and a Hugging Face cache laid out as `huggingface-cli` leaves it.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::PathBuf;

use fare_engine::discover::discover;

/// (name, format, architecture, usable, problem) of a found model.
type Row<'a> = (&'a str, &'a str, Option<&'a str>, bool, Option<&'a str>);

fn tiny() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3-tiny")
}

#[test]
fn models_folders_and_the_hugging_face_cache_are_listed_with_what_they_lack() {
    let root = tempfile::tempdir().unwrap();
    let models = root.path().join("models");
    let folder = models.join("qwen3-tiny");
    std::fs::create_dir_all(&folder).unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(tiny().join(file), folder.join(file)).unwrap();
    }
    std::fs::write(models.join("broken.gguf"), b"not gguf").unwrap();
    std::fs::write(models.join("notes.txt"), b"hello").unwrap();

    // A Hugging Face cache: refs/main names the snapshot, files are links to blobs.
    let hub = root.path().join("hub");
    let repo = hub.join("models--Salesforce--FARE-8B");
    let snapshot = repo.join("snapshots/0123abc");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::write(repo.join("refs/main"), "0123abc\n").unwrap();
    for file in ["config.json", "model.safetensors"] {
        let blob = repo.join("blobs").join(file);
        std::fs::copy(tiny().join(file), &blob).unwrap();
        std::os::unix::fs::symlink(&blob, snapshot.join(file)).unwrap();
    }
    std::fs::write(snapshot.join("tokenizer.json"), "{}").unwrap();

    let found = discover(std::slice::from_ref(&models), Some(&hub));
    let summary: Vec<Row<'_>> = found
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.format.as_str(),
                m.architecture.as_deref(),
                m.usable,
                m.problem.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "broken.gguf",
                "gguf",
                None,
                false,
                Some("not a readable GGUF file: not a GGUF file")
            ),
            (
                "qwen3-tiny",
                "safetensors",
                Some("qwen3"),
                false,
                Some("no tokenizer.json")
            ),
            (
                "Salesforce/FARE-8B",
                "safetensors",
                Some("qwen3"),
                false,
                Some("no chat template")
            ),
        ]
    );
    let weights = std::fs::metadata(tiny().join("model.safetensors"))
        .unwrap()
        .len();
    assert!(found[2].size >= weights, "links to blobs are followed");
    assert_eq!(found[1].dtype.as_deref(), Some("float32"));
}

#[test]
fn a_real_gguf_with_tokenizer_and_template_is_usable() {
    let Some(smol) = fare_testkit::asset("smollm2") else {
        return;
    };
    let found = discover(&[smol], None);
    assert_eq!(found.len(), 1);
    let m = &found[0];
    assert_eq!(
        (m.format.as_str(), m.architecture.as_deref(), m.usable),
        ("gguf", Some("llama"), true),
        "{m:?}"
    );
    assert_eq!(m.dtype.as_deref(), Some("Q4_1"));
    assert_eq!(m.size, 98_362_432);
}

/// A GGUF header by hand: one metadata entry `general.alignment` (u32) and one f32 tensor.
fn gguf_with_alignment(alignment: u32) -> Vec<u8> {
    let mut b = Vec::new();
    let string = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(&(s.len() as u64).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
    };
    b.extend_from_slice(b"GGUF");
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes()); // tensors
    b.extend_from_slice(&1u64.to_le_bytes()); // metadata entries
    string(&mut b, "general.alignment");
    b.extend_from_slice(&4u32.to_le_bytes()); // u32
    b.extend_from_slice(&alignment.to_le_bytes());
    string(&mut b, "t");
    b.extend_from_slice(&1u32.to_le_bytes()); // dimensions
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // f32
    b.extend_from_slice(&0u64.to_le_bytes()); // offset
    b.resize(b.len().div_ceil(32) * 32 + 4, 0);
    b
}

#[test]
fn a_gguf_header_that_would_crash_its_reader_is_listed_as_unreadable() {
    let root = tempfile::tempdir().unwrap();
    let models = root.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("zero.gguf"), gguf_with_alignment(0)).unwrap();
    std::fs::write(models.join("fine.gguf"), gguf_with_alignment(32)).unwrap();
    let found = discover(std::slice::from_ref(&models), None);
    let problem = |name: &str| {
        found
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{name} not listed: {found:?}"))
            .problem
            .clone()
    };
    assert_eq!(
        problem("zero.gguf").as_deref(),
        Some("not a readable GGUF file")
    );
    // The same header with a sane alignment reads (it only lacks an architecture).
    let fine = problem("fine.gguf").unwrap();
    assert!(fine.contains("architecture"), "{fine}");
}

#[test]
fn a_gguf_header_claiming_a_huge_metadata_array_is_listed_without_reading_it() {
    // Eight million u8 elements: candle's reader would keep 256 MB for this 8 MB file.
    let mut b = Vec::new();
    b.extend_from_slice(b"GGUF");
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes()); // tensors
    b.extend_from_slice(&1u64.to_le_bytes()); // metadata entries
    b.extend_from_slice(&4u64.to_le_bytes());
    b.extend_from_slice(b"blob");
    b.extend_from_slice(&9u32.to_le_bytes()); // array
    b.extend_from_slice(&0u32.to_le_bytes()); // of u8
    b.extend_from_slice(&(8u64 << 20).to_le_bytes());
    b.resize(b.len() + (8 << 20), 0);
    let root = tempfile::tempdir().unwrap();
    let models = root.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("blob.gguf"), &b).unwrap();
    let found = discover(std::slice::from_ref(&models), None);
    let problem = found[0].problem.clone().unwrap();
    assert!(
        problem.starts_with("not a readable GGUF file: a metadata array of 8388608 elements"),
        "{problem}"
    );
}

#[test]
fn a_hugging_face_repository_of_gguf_files_lists_each_file() {
    let Some(smol) = fare_testkit::smollm2() else {
        return;
    };
    let hub = tempfile::tempdir().unwrap();
    let repo = hub.path().join("models--test-org--SmolLM2-GGUF");
    let snapshot = repo.join("snapshots/0123abc");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), "0123abc").unwrap();
    std::os::unix::fs::symlink(&smol, snapshot.join("smol.Q4_1.gguf")).unwrap();
    std::fs::write(snapshot.join("README.md"), "# a model").unwrap();
    // One GGUF file: the repository is the model.
    let found = discover(&[], Some(hub.path()));
    let names: Vec<(&str, bool)> = found.iter().map(|m| (m.name.as_str(), m.usable)).collect();
    assert_eq!(names, [("test-org/SmolLM2-GGUF", true)]);
    assert_eq!(found[0].path, snapshot.join("smol.Q4_1.gguf"));
    // Several (one per quantisation): each is a model.
    std::os::unix::fs::symlink(&smol, snapshot.join("smol.Q8_0.gguf")).unwrap();
    let found = discover(&[], Some(hub.path()));
    let names: Vec<&str> = found.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "test-org/SmolLM2-GGUF/smol.Q4_1.gguf",
            "test-org/SmolLM2-GGUF/smol.Q8_0.gguf"
        ]
    );
}
