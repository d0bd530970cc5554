//! Integration tests of the project store: every test drives the public API of `fare-store`
//! against a real SQLite file in a temporary directory, and checks exact values, including the
//! rows left in the file (through `Project::raw_connection`) where "nothing was written" matters.
//!
//! - `import`: data sets written all or nothing, samples of the five tasks read back whole.
//! - `judgments`: runs, judgments, swapped pairwise verdicts, refusals.
//! - `annotations`: events, replayed labels, undo/redo, several annotators, refusals.
//! - `adjudication`: a third person's decisions and the final label under each choice.
//! - `merge`: project files of several annotators combined, every event kept once.
//! - `query`: the sample list's filters, full-text search, keyset paging, counts and positions.
//! - `queues`: saved queues: made all or nothing, listed and paged in their order, ordered by
//!   the evaluator's uncertainty from stored probabilities and K votes.
//! - `open`: opening, reopening, WAL mode and files this build must not touch.
//! - `boundary`: no SQL, connection or SQLite crate outside this crate (and the benchmarks).
//!
//! This file holds the fixtures the modules share.

// Clippy's test allowances cover `#[test]` functions, not the helpers beside them.
#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]
#![allow(
    clippy::cast_possible_wrap,
    reason = "row counts in these tests are tiny"
)]

mod adjudication;
mod annotations;
mod boundary;
mod import;
mod judgments;
mod merge;
mod open;
mod query;
mod queues;

use fare_core::sample::Content;
use fare_core::{Correctness, Judgment, Outcome, Sample, Side, Task, Template, Verdict};
use fare_store::{NewDataset, NewJudgment, NewRun, Project};
use tempfile::TempDir;

/// A new empty project in its own temporary directory (kept alive by the returned guard).
pub fn new_project() -> (TempDir, Project) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let project = Project::open_or_create(&dir.path().join("project.fare")).expect("new project");
    (dir, project)
}

/// A data set description whose content hash is `hash`.
pub fn dataset(name: &str, hash: &str) -> NewDataset {
    NewDataset {
        name: name.into(),
        source_file: format!("/data/{name}.jsonl"),
        format: "jsonl".into(),
        content_hash: hash.into(),
        mapping: None,
    }
}

/// A sample with no source, no ground truth and no metadata.
pub fn sample(external_id: &str, question: &str, content: Content) -> Sample {
    Sample {
        external_id: external_id.into(),
        source: None,
        question: question.into(),
        content,
        gold: None,
        metadata: serde_json::Map::new(),
    }
}

/// Pairwise content.
pub fn pairwise(a: &str, b: &str) -> Content {
    Content::Pairwise {
        response_a: a.into(),
        response_b: b.into(),
    }
}

/// Step-level content.
pub fn steps(steps: &[&str]) -> Content {
    Content::StepLevel {
        steps: steps.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Reference-free content.
pub fn reference_free(response: &str) -> Content {
    Content::ReferenceFree {
        response: response.into(),
    }
}

/// Reference-based content.
pub fn reference_based(response: &str, reference: &str) -> Content {
    Content::ReferenceBased {
        response: response.into(),
        reference: reference.into(),
    }
}

/// Rating content.
pub fn rating(response: &str, rubric: Option<&str>, reference: Option<&str>) -> Content {
    Content::Rating {
        response: response.into(),
        rubric: rubric.map(str::to_owned),
        reference: reference.map(str::to_owned),
    }
}

/// Shorthands for verdicts.
pub const A: Verdict = Verdict::Pick(Side::A);
/// Pairwise B.
pub const B: Verdict = Verdict::Pick(Side::B);
/// Verification: correct.
pub const CORRECT: Verdict = Verdict::Correctness(Correctness::Correct);
/// Verification: incorrect.
pub const INCORRECT: Verdict = Verdict::Correctness(Correctness::Incorrect);
/// Step-level: no wrong step.
pub const NO_ERROR: Verdict = Verdict::FirstError(None);

/// Step-level: first wrong step `i`.
pub fn step(i: u32) -> Verdict {
    Verdict::FirstError(Some(i))
}

/// Imports `samples` (with no step ratings) as one finished data set and returns their ids.
pub fn import(project: &mut Project, name: &str, samples: &[Sample]) -> Vec<i64> {
    let mut writer = project
        .begin_import(&dataset(name, &format!("hash-of-{name}")))
        .expect("begin import");
    let ids = samples
        .iter()
        .enumerate()
        .map(|(i, s)| writer.add(i as u64, s, &[]).expect("add sample"))
        .collect();
    writer
        .finish(samples.len() as u64, 0)
        .expect("finish import");
    ids
}

/// A run with the shipped template of `task`.
pub fn new_run(task: Task, model: &str) -> NewRun {
    NewRun {
        model_name: model.into(),
        model_kind: "local".into(),
        model_location: Some(format!("/models/{model}")),
        template: Template::builtin_for(task).expect("shipped template"),
        mode: fare_core::PromptMode::Critique,
        params: serde_json::json!({"temperature": 0.0, "max_tokens": 2048}),
        status: fare_store::RunStatus::Running,
        label: Some(format!("{model}, greedy")),
    }
}

/// A judgment with a parsed verdict.
pub fn parsed(verdict: Verdict, critique: &str) -> Judgment {
    Judgment {
        raw_output: format!("Explanation: {critique}\nVerdict: [{verdict}]"),
        critique: critique.into(),
        analysis: None,
        outcome: Outcome::Parsed { verdict },
    }
}

/// A judgment with no verdict.
pub fn unparseable(reason: &str, critique: &str) -> Judgment {
    Judgment {
        raw_output: format!("Explanation: {critique}\nI cannot decide."),
        critique: critique.into(),
        analysis: None,
        outcome: Outcome::Unparseable {
            reason: reason.into(),
        },
    }
}

/// A judgment cut off by the token limit.
pub fn truncated(critique: &str) -> Judgment {
    Judgment {
        raw_output: format!("Explanation: {critique} and then"),
        critique: critique.into(),
        analysis: Some("thinking...".into()),
        outcome: Outcome::Truncated,
    }
}

/// The original-order, first-attempt judgment of a sample, with no token counts.
pub fn judged(sample_id: i64, judgment: &Judgment) -> NewJudgment<'_> {
    NewJudgment {
        sample_id,
        swapped: false,
        attempt: 0,
        judgment,
        prompt_tokens: None,
        output_tokens: None,
        latency_ms: None,
        verdict_probs: None,
    }
}

/// `SELECT count(*) FROM <table>` (a table of this crate's schema).
pub fn rows(project: &Project, table: &str) -> i64 {
    project
        .raw_connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count rows")
}

/// A queue description in the order the items are given.
pub fn queue_named(name: &str) -> fare_store::NewQueue<'_> {
    fare_store::NewQueue {
        name,
        origin: "samples",
        ordering: fare_core::review_order::ReviewOrder::Listed,
        spec: serde_json::json!({}),
        created_by: Some("alice"),
    }
}
