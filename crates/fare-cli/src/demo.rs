//! `fare-lens demo`: builds the bundled demo project.
//!
//! The demo data (`assets/demo/`) is written by us, one file per task. The demo also holds one
//! run of illustrative evaluator outputs, written by hand and labelled as such (model
//! `illustrative examples (hand-written, not a model)`), so the report and the sample list have
//! verdicts to show before a model is loaded. They are read by the same parser as real outputs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use fare_core::{Task, Template, read_output};
use fare_io::formats::Mapping;
use fare_io::import::{ImportOptions, import_file};
use fare_store::{NewJudgment, NewRun, Project};

const FILES: [(&str, &str); 4] = [
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

/// The model name of the hand-written example outputs.
pub const EXAMPLE_MODEL: &str = "illustrative examples (hand-written, not a model)";

/// Hand-written outputs: (sample external id, raw output).
const EXAMPLE_OUTPUTS: [(&str, &str); 6] = [
    (
        "demo-step-0",
        "Explanation: Step 0 halves the perimeter correctly, step 1 finds the width 4 and step 2 multiplies 8 by 4.\nVerdict: -1",
    ),
    (
        "demo-step-1",
        "Explanation: Step 0 sets up the search correctly. Step 1 factors as $(x+2)(x+3)$, whose middle term is $+5x$, not $-5x$.\nVerdict: 1",
    ),
    (
        "demo-step-3",
        "Explanation: Step 0 is right: 4 groups. Step 2 states the final cost, which should be $4 \\times 2 = 8$.\nVerdict: 2",
    ),
    (
        "demo-step-4",
        "Explanation: The rewriting in step 0 is valid and the limit in step 1 is standard.\nVerdict: -1",
    ),
    (
        "demo-pair-0",
        "Explanation: Assistant B claims $2^{10} = 1000$; Assistant A computes 1024 correctly.\nVerdict: [A]",
    ),
    (
        "demo-pair-1",
        "Explanation: Both mention the elements; I prefer the first answer's directness, [B] over-explains.\nVerdict: [A]",
    ),
];

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
    for (name, text) in FILES {
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
    for task in [Task::StepLevel, Task::Pairwise] {
        let template = Template::builtin_for(task).ok_or_else(|| anyhow!("no {task} template"))?;
        let run = project.begin_run(&NewRun {
            model_name: EXAMPLE_MODEL.into(),
            model_kind: "external".into(),
            model_location: None,
            template,
            mode: "critique".into(),
            params: serde_json::json!({ "note": "hand-written examples for the demo" }),
            status: "imported".into(),
            label: Some(format!("illustrative {task} outputs")),
        })?;
        for (external_id, raw) in EXAMPLE_OUTPUTS {
            let found: Option<(i64, String, usize)> = project
                .connection()
                .query_row(
                    "SELECT id, task, step_count FROM samples WHERE external_id = ?1",
                    [external_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .ok();
            let Some((sample_id, sample_task, step_count)) = found else {
                continue;
            };
            if sample_task != task.as_str() {
                continue;
            }
            let judgment = read_output(
                raw,
                &fare_core::VerdictRules::new(task, step_count),
                fare_core::Finish::Stopped,
            );
            project.add_judgment(
                run,
                &NewJudgment {
                    sample_id,
                    swapped: false,
                    attempt: 0,
                    judgment: &judgment,
                    prompt_tokens: None,
                    output_tokens: None,
                    latency_ms: None,
                    verdict_probs: None,
                },
            )?;
        }
        project.end_run(run, "imported")?;
    }
    Ok(project)
}
