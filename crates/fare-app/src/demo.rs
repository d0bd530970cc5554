//! The bundled demo project: what the desktop app opens on first launch and `fare-lens demo`
//! builds, so every screen has something real to show before a model is loaded.
//!
//! The demo data (`assets/demo/`) is written by us, one file per task, and compiled into the
//! binary. The demo also holds one run per task of illustrative evaluator outputs, written by
//! hand and labelled as such (model [`EXAMPLE_MODEL`]). They come in through the same imports
//! as real data and real outputs (`fare_io::import`, `fare_io::judgments`), so they are read by
//! the same verdict parser.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use fare_io::ImportError;
use fare_io::formats::Mapping;
use fare_io::import::{ImportOptions, import_file};
use fare_io::judgments::{JudgmentImportOptions, import_judgments};
use fare_store::{Project, StoreError};

/// The demo's data sets: (file name, content, the field mapping when the format is not a
/// known one). The file name's stem becomes the data set's name.
const DATA: [(&str, &str, Option<&str>); 5] = [
    (
        "step-level.json",
        include_str!("../../../assets/demo/step-level.json"),
        None,
    ),
    (
        "pairwise.jsonl",
        include_str!("../../../assets/demo/pairwise.jsonl"),
        None,
    ),
    (
        "reference-free.jsonl",
        include_str!("../../../assets/demo/reference-free.jsonl"),
        Some(include_str!(
            "../../../assets/demo/reference-free.mapping.toml"
        )),
    ),
    (
        "reference-based.jsonl",
        include_str!("../../../assets/demo/reference-based.jsonl"),
        None,
    ),
    (
        "rating.jsonl",
        include_str!("../../../assets/demo/rating.jsonl"),
        Some(include_str!("../../../assets/demo/rating.mapping.toml")),
    ),
];

/// The hand-written outputs, one run per task, imported in this order.
const EXAMPLE_OUTPUTS: [(&str, &str); 5] = [
    (
        "example-judgments.step-level.jsonl",
        include_str!("../../../assets/demo/example-judgments.step-level.jsonl"),
    ),
    (
        "example-judgments.pairwise.jsonl",
        include_str!("../../../assets/demo/example-judgments.pairwise.jsonl"),
    ),
    (
        "example-judgments.reference-free.jsonl",
        include_str!("../../../assets/demo/example-judgments.reference-free.jsonl"),
    ),
    (
        "example-judgments.reference-based.jsonl",
        include_str!("../../../assets/demo/example-judgments.reference-based.jsonl"),
    ),
    (
        "example-judgments.rating.jsonl",
        include_str!("../../../assets/demo/example-judgments.rating.jsonl"),
    ),
];

/// The model name of the hand-written example outputs.
pub const EXAMPLE_MODEL: &str = "illustrative examples (hand-written, not a model)";

/// The label of the example runs.
pub const EXAMPLE_LABEL: &str = "hand-written examples for the demo";

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file could not be written or removed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The project file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundled data or outputs did not import (a fault of the build, not of the user).
    #[error("demo data: {0}")]
    Import(#[from] ImportError),
    /// The file is there and is not a demo project: it is never replaced.
    #[error(
        "{0}: this file is not a FARE Lens demo project, so the demo will not replace it; choose another path"
    )]
    NotADemo(PathBuf),
    /// A bundled field mapping did not read (a fault of the build, not of the user).
    #[error("demo mapping of {file}: {message}")]
    Mapping {
        /// The data file the mapping is for.
        file: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Builds so far in this process, to give each its own scratch folder (tests and a shell may
/// build demos in parallel threads).
static BUILDS: AtomicU64 = AtomicU64::new(0);

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::File {
        path: path.to_owned(),
        source,
    }
}

/// Whether the file at `path` is a demo project: a FARE Lens project whose runs are all the
/// demo's examples and whose data sets all have the demo's names (annotations do not matter).
pub fn is_demo(path: &Path) -> bool {
    let Ok(project) = Project::open(path) else {
        return false;
    };
    let names: Vec<&str> = DATA
        .iter()
        .map(|(file, _, _)| file.rsplit_once('.').map_or(*file, |(stem, _)| stem))
        .collect();
    let runs_are_examples = project
        .runs()
        .is_ok_and(|runs| runs.iter().all(|r| r.model == EXAMPLE_MODEL));
    let data_are_demos = project.datasets().is_ok_and(|sets| {
        !sets.is_empty() && sets.iter().all(|d| names.contains(&d.name.as_str()))
    });
    runs_are_examples && data_are_demos
}

/// Builds the demo project at `path` (replacing an older demo there, with its write-ahead log)
/// and returns it. A file at `path` that is not a demo project is left alone: an error.
pub fn build(path: &Path) -> Result<Project, DemoError> {
    if path.exists() && !is_demo(path) {
        return Err(DemoError::NotADemo(path.to_owned()));
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).map_err(file_error(&file))?;
        }
    }
    let folder = std::env::temp_dir().join(format!(
        "fare-lens-demo-{}-{}",
        std::process::id(),
        BUILDS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&folder).map_err(file_error(&folder))?;
    let result = build_from(path, &folder);
    // A leftover temporary folder is harmless; the build's own result is what matters.
    let _ = std::fs::remove_dir_all(&folder);
    result
}

fn build_from(path: &Path, folder: &Path) -> Result<Project, DemoError> {
    let mut project = Project::open_or_create(path)?;
    for (name, text, mapping) in DATA {
        let file = folder.join(name);
        std::fs::write(&file, text).map_err(file_error(&file))?;
        let options = ImportOptions {
            mapping: mapping
                .map(Mapping::from_toml)
                .transpose()
                .map_err(|message| DemoError::Mapping {
                    file: name,
                    message,
                })?,
            ..ImportOptions::default()
        };
        import_file(&mut project, &file, &options, &mut |_| {})?;
    }
    for (name, text) in EXAMPLE_OUTPUTS {
        let file = folder.join(name);
        std::fs::write(&file, text).map_err(file_error(&file))?;
        let mut options = JudgmentImportOptions::new(EXAMPLE_MODEL);
        options.label = Some(EXAMPLE_LABEL.into());
        import_judgments(&mut project, &file, &options, &mut |_| {})?;
    }
    Ok(project)
}
