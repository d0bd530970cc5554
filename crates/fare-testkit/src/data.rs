//! Small data files in the layouts the importers know, written by us for the tests (the real
//! data sets are [`crate::shared_data`]), and a scratch folder to write them in.
//!
//! The kit builds files, not projects: it sits below every crate of the workspace, so the tests
//! of the store and the importers can use it without a second copy of the crates they test.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A ProcessBench split of four step-level samples, ids `gsm8k-0` to `gsm8k-3`: the first
/// right throughout, the others with their first error at steps 1, 0 and 3 (the last has four
/// steps).
pub const PROCESSBENCH_GSM8K: &str = r#"[
  {"id": "gsm8k-0", "generator": "g", "problem": "Add 2 and 3.", "steps": ["2 + 3", "= 5", "The answer is 5."], "final_answer_correct": true, "label": -1},
  {"id": "gsm8k-1", "generator": "g", "problem": "Add 4 and 4.", "steps": ["4 + 4", "= 9", "The answer is 9."], "final_answer_correct": false, "label": 1},
  {"id": "gsm8k-2", "generator": "g", "problem": "Add 1 and 1.", "steps": ["1 + 1 = 3", "so 3", "The answer is 3."], "final_answer_correct": false, "label": 0},
  {"id": "gsm8k-3", "generator": "g", "problem": "Multiply 6 by 7.", "steps": ["6 * 7", "= 6 * 7", "= 42", "The answer is 43."], "final_answer_correct": false, "label": 3}
]
"#;

/// A scratch folder, removed when dropped.
pub struct Scratch {
    dir: TempDir,
}

impl Scratch {
    /// A new, empty folder.
    #[track_caller]
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary folder: {e}")),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `name` in the folder; the full path.
    #[track_caller]
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}
