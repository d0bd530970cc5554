//! `fare-lens demo`: builds the bundled demo project.
//!
//! The demo data (`assets/demo/`) is written by us, one file per task. The demo also holds runs
//! of illustrative evaluator outputs, written by hand and labelled as such (model
//! `illustrative examples (hand-written, not a model)`), so the report and the sample list have
//! verdicts to show before a model is loaded. They come in through the same import of evaluator
//! outputs, and the same verdict parser, as real outputs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use fare_io::formats::Mapping;
use fare_io::import::{ImportOptions, import_file};
use fare_io::judgments::{JudgmentImportOptions, import_judgments};
use fare_store::Project;

/// The demo's data sets: (file name, content).
const DATA: [(&str, &str); 4] = [
    (
        "step-level.json",
        include_str!("../../../assets/demo/step-level.json"),
    ),
    (
        "pairwise.jsonl",
        include_str!("../../../assets/demo/pairwise.jsonl"),
    ),
    (
        "verification.jsonl",
        include_str!("../../../assets/demo/verification.jsonl"),
    ),
    (
        "rating.jsonl",
        include_str!("../../../assets/demo/rating.jsonl"),
    ),
];
const RATING_MAPPING: &str = include_str!("../../../assets/demo/rating.mapping.toml");

/// The hand-written outputs, one run per task.
const EXAMPLE_OUTPUTS: [(&str, &str); 4] = [
    (
        "example-judgments.step-level.jsonl",
        include_str!("../../../assets/demo/example-judgments.step-level.jsonl"),
    ),
    (
        "example-judgments.pairwise.jsonl",
        include_str!("../../../assets/demo/example-judgments.pairwise.jsonl"),
    ),
    (
        "example-judgments.verification.jsonl",
        include_str!("../../../assets/demo/example-judgments.verification.jsonl"),
    ),
    (
        "example-judgments.rating.jsonl",
        include_str!("../../../assets/demo/example-judgments.rating.jsonl"),
    ),
];

/// The model name of the hand-written example outputs.
pub const EXAMPLE_MODEL: &str = "illustrative examples (hand-written, not a model)";

/// Builds the demo project at `path` (replacing an older demo there) and returns it.
pub fn build(path: &Path) -> Result<Project> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("{}: cannot replace the old demo", file.display()))?;
        }
    }
    let folder = std::env::temp_dir().join(format!("fare-lens-demo-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let result = build_from(path, &folder);
    let _ = std::fs::remove_dir_all(&folder);
    result
}

fn build_from(path: &Path, folder: &Path) -> Result<Project> {
    let mut project = Project::open_or_create(path)?;
    for (name, text) in DATA {
        let file = folder.join(name);
        std::fs::write(&file, text)?;
        let options = ImportOptions {
            mapping: (name == "rating.jsonl")
                .then(|| Mapping::from_toml(RATING_MAPPING))
                .transpose()
                .map_err(|e| anyhow!(e))?,
            ..ImportOptions::default()
        };
        import_file(&mut project, &file, &options, &mut |_| {})
            .map_err(|e| anyhow!("demo data: {e}"))?;
    }
    for (name, text) in EXAMPLE_OUTPUTS {
        let file = folder.join(name);
        std::fs::write(&file, text)?;
        let mut options = JudgmentImportOptions::new(EXAMPLE_MODEL);
        options.label = Some("hand-written examples for the demo".into());
        import_judgments(&mut project, &file, &options, &mut |_| {})
            .map_err(|e| anyhow!("demo outputs: {e}"))?;
    }
    Ok(project)
}
