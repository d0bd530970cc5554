//! Helpers shared by the tests: a scratch folder, files written into it, and the `fare-lens`
//! binary run inside it (so the file names in its messages are the short names the tests wrote).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use fare_testkit::data::Scratch;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fare-lens");

/// The message every refused import ends with.
pub const NOTHING_IMPORTED: &str = "nothing of this file was imported";

/// A small ProcessBench-style split: four step-level samples with ids `gsm8k-0` to `gsm8k-3`,
/// the last with four steps and its first error at step 3.
pub use fare_testkit::data::PROCESSBENCH_GSM8K;

/// A scratch folder the binary runs in.
pub struct Dir {
    scratch: Scratch,
}

impl Dir {
    /// A new, empty folder.
    pub fn new() -> Dir {
        Dir {
            scratch: Scratch::new(),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.scratch.path()
    }

    /// Writes `contents` to `name` in the folder and returns the full path.
    #[track_caller]
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        self.scratch.write(name, contents)
    }

    /// Runs `fare-lens ARGS` in the folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs `fare-lens ARGS` in the folder with the variables `env` set (and no Hugging Face
    /// variables of the person running the tests).
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(BIN);
        for name in [
            "HF_ENDPOINT",
            "HF_TOKEN",
            "HF_TOKEN_PATH",
            "HF_HOME",
            "HF_HUB_CACHE",
        ] {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let output = command
            .args(args)
            .current_dir(self.path())
            // Annotations name their annotator explicitly; the demo writes its scratch files here.
            .env_remove("FARE_LENS_ANNOTATOR")
            .env("TMPDIR", self.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        Run {
            command: format!("fare-lens {}", args.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `fare-lens ARGS`, which must succeed, and parses its stdout as JSON.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        self.run(args).ok().json()
    }

    /// `fare-lens datasets PROJECT --json`.
    #[track_caller]
    pub fn datasets(&self, project: &str) -> Vec<Value> {
        match self.json(&["datasets", project, "--json"]) {
            Value::Array(items) => items,
            other => panic!("`datasets --json` printed {other}, not an array"),
        }
    }

    /// `fare-lens samples PROJECT EXTRA... --limit 1000 --json`.
    #[track_caller]
    pub fn samples(&self, project: &str, extra: &[&str]) -> Samples {
        let mut args = vec!["samples", project];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--limit", "1000", "--json"]);
        let value = self.json(&args);
        let total = value["total"]
            .as_i64()
            .unwrap_or_else(|| panic!("no total in {value}"));
        let rows = value["samples"]
            .as_array()
            .unwrap_or_else(|| panic!("no samples in {value}"))
            .clone();
        Samples { total, rows }
    }

    /// Asserts that the project exists and holds no data set and no sample.
    #[track_caller]
    pub fn assert_empty_project(&self, project: &str) {
        assert!(
            self.path().join(project).exists(),
            "{project} was not created"
        );
        assert_eq!(self.datasets(project), Vec::<Value>::new());
        let samples = self.samples(project, &[]);
        assert_eq!(samples.total, 0);
        assert!(samples.rows.is_empty());
    }

    /// Imports the files into the project (which must succeed) and returns the `--json` reports.
    #[track_caller]
    pub fn import(&self, project: &str, files_and_options: &[&str]) -> Vec<Value> {
        let mut args = vec!["import", project];
        args.extend_from_slice(files_and_options);
        args.push("--json");
        match self.json(&args) {
            Value::Array(items) => items,
            other => panic!("`import --json` printed {other}, not an array"),
        }
    }

    /// Builds the demo project `name`.
    #[track_caller]
    pub fn demo(&self, name: &str) -> Run {
        self.run(&["demo", name]).ok()
    }
}

/// What one run of the binary did.
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// The exit status (None when killed by a signal).
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` exited with {:?}\n--- stdout\n{}--- stderr\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts exit status 0.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success: {self:?}");
        self
    }

    /// Asserts exit status 1 (the status of every error `fare-lens` reports).
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_eq!(self.code, Some(1), "expected failure: {self:?}");
        self
    }

    /// Stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

/// The `samples --json` answer.
pub struct Samples {
    /// How many samples match.
    pub total: i64,
    /// The rows listed.
    pub rows: Vec<Value>,
}

impl Samples {
    /// (external id, gold) of each row, in project order.
    pub fn golds(&self) -> Vec<(String, Option<String>)> {
        self.rows
            .iter()
            .map(|r| {
                (
                    r["external_id"].as_str().unwrap_or_default().to_owned(),
                    r["gold"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    /// The external ids of the rows, in project order.
    pub fn ids(&self) -> Vec<String> {
        self.golds().into_iter().map(|(id, _)| id).collect()
    }
}

/// `(id, Some(gold))` pairs for comparing with [`Samples::golds`].
pub fn golds(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(id, gold)| ((*id).to_owned(), gold.map(str::to_owned)))
        .collect()
}

/// Asserts that the import of `file` into a new project `p.sqlite` fails with exactly
/// `error: {message}` and the nothing-imported line on stderr, and that the project holds
/// nothing afterwards.
#[track_caller]
pub fn assert_refused(dir: &Dir, args: &[&str], message: &str) {
    let mut all = vec!["import", "p.sqlite"];
    all.extend_from_slice(args);
    let run = dir.run(&all).fails();
    assert_eq!(
        run.stderr,
        format!("error: {message}\n{NOTHING_IMPORTED}\n"),
        "{run:?}"
    );
    assert_eq!(run.stdout, "", "{run:?}");
    dir.assert_empty_project("p.sqlite");
}
