//! `fare-bench import`: the product's import path ([`fare_io::import::import_file`]) on a list
//! of files, timed, for comparison with the plain Python loader of `tests/bench/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use fare_io::import::{ImportOptions, import_file};
use fare_store::Project;

/// What importing the files did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportTotals {
    /// Files imported.
    pub files: usize,
    /// Samples written.
    pub samples: i64,
    /// Wall time from opening (creating) the project to the last commit, in seconds.
    pub seconds: f64,
}

/// Imports `files` into the project at `project` (created when missing) with the default
/// options, one transaction per file, and writes one line per file and a summary to `out`.
pub fn import_files(
    project: &Path,
    files: &[PathBuf],
    out: &mut dyn Write,
) -> Result<ImportTotals> {
    let start = Instant::now();
    let mut store = Project::open_or_create(project)
        .with_context(|| format!("cannot open the project {}", project.display()))?;
    let mut samples = 0;
    for file in files {
        let report = import_file(&mut store, file, &ImportOptions::default(), &mut |_| {})
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        samples += report.dataset.sample_count;
        writeln!(
            out,
            "{}: {} samples ({}{})",
            report.file,
            report.dataset.sample_count,
            report.format.as_str(),
            if report.already_imported {
                ", already imported"
            } else {
                ""
            }
        )?;
    }
    drop(store);
    let seconds = start.elapsed().as_secs_f64();
    writeln!(out, "SQLite {}", rusqlite::version())?;
    writeln!(
        out,
        "imported {} files, samples={samples}, seconds={seconds:.4}",
        files.len()
    )?;
    Ok(ImportTotals {
        files: files.len(),
        samples,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_a_small_processbench_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("gsm8k.json");
        std::fs::write(
            &data,
            r#"[{"id": "g-0", "generator": "m", "problem": "2+2?", "steps": ["2+2=4.", "So 4."], "label": -1, "final_answer_correct": true},
                {"id": "g-1", "generator": "m", "problem": "3+3?", "steps": ["3+3=7."], "label": 0, "final_answer_correct": false}]"#,
        )
        .unwrap();
        let project = dir.path().join("p.sqlite");
        let mut out = Vec::new();
        let totals = import_files(&project, &[data], &mut out).unwrap();
        assert_eq!(totals.samples, 2);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("samples=2"), "{text}");
    }
}
