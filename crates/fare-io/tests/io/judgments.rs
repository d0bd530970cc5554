//! Importing evaluator outputs made elsewhere: verdicts read by the product's parser, the
//! run written whole or not at all, errors that name the line and field.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::path::{Path, PathBuf};

use fare_core::{Outcome, Side, Verdict};
use fare_io::import::{ImportOptions, import_file};
use fare_io::judgments::{JudgmentImportOptions, import_judgments};
use fare_store::Project;
use tempfile::TempDir;

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A project with two step-level samples (ProcessBench layout) and one JudgeBench pair.
fn project(dir: &TempDir) -> Project {
    let mut project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    let steps = write(
        dir,
        "pb.json",
        r#"[{"id": "pb-0", "generator": "g", "problem": "1+1?", "steps": ["1+1=3", "so 3"], "final_answer_correct": false, "label": 0},
            {"id": "pb-1", "generator": "g", "problem": "2+2?", "steps": ["2+2=4", "so 4"], "final_answer_correct": true, "label": -1}]"#,
    );
    let pairs = write(
        dir,
        "jb.jsonl",
        r#"{"pair_id": "jb-0", "original_id": "0", "source": "s", "question": "q", "response_model": "m", "response_A": "good", "response_B": "bad", "label": "A>B"}"#,
    );
    for file in [steps, pairs] {
        import_file(&mut project, &file, &ImportOptions::default(), &mut |_| {}).unwrap();
    }
    project
}

fn import(
    project: &mut Project,
    file: &Path,
    options: &JudgmentImportOptions,
) -> Result<fare_io::judgments::JudgmentImportReport, fare_io::ImportError> {
    import_judgments(project, file, options, &mut |_| {})
}

#[test]
fn outputs_become_a_run_with_parsed_unparseable_and_truncated_judgments() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project(&dir);
    let file = write(
        &dir,
        "out.jsonl",
        concat!(
            r#"{"sample": "pb-0", "output": "Explanation: step 0 adds wrong.\nVerdict: 0"}"#,
            "\n",
            r#"{"sample": "pb-1", "output": "Explanation: all fine, step"}"#,
            "\n",
            r#"{"sample": "pb-1", "attempt": 1, "output": "Explanation: fine, step", "finish_reason": "length"}"#,
            "\n",
            r#"{"sample": "jb-0", "output": "Verdict: [A]"}"#,
            "\n",
            r#"{"sample": "jb-0", "swapped": true, "output": "B is better as it is right.\nVerdict: [B]"}"#,
            "\n",
        ),
    );
    let report = import(
        &mut project,
        &file,
        &JudgmentImportOptions::new("FARE-8B via vLLM"),
    )
    .unwrap();
    assert_eq!(
        (
            report.judgments,
            report.outcomes.parsed,
            report.outcomes.unparseable,
            report.outcomes.truncated
        ),
        (5, 3, 1, 1)
    );
    let runs = project.runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (
            runs[0].model.as_str(),
            runs[0].status.as_str(),
            runs[0].judgments
        ),
        ("FARE-8B via vLLM", "imported", 5)
    );
    assert_eq!(
        runs[0].template.as_deref(),
        Some("fare-step-level v1"),
        "the first sample's task"
    );
    // Sample ids in import order: pb-0 = 1, pb-1 = 2, jb-0 = 3.
    let pb1 = project.judgments_of(2).unwrap();
    assert!(matches!(
        pb1[0].judgment.outcome,
        Outcome::Unparseable { .. }
    ));
    assert_eq!(pb1[1].judgment.outcome, Outcome::Truncated);
    let jb = project.judgments_of(3).unwrap();
    assert_eq!(jb[0].judgment.verdict(), Some(Verdict::Pick(Side::A)));
    assert!(jb[1].swapped);
    assert_eq!(
        jb[1].judgment.verdict(),
        Some(Verdict::Pick(Side::A)),
        "[B] with A and B swapped picks the data's A"
    );
    assert_eq!(
        project.judgments_of(1).unwrap()[0].agrees_with_gold,
        Some(true)
    );
}

#[test]
fn nested_paths_read_an_openai_batch_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project(&dir);
    let file = write(
        &dir,
        "batch.jsonl",
        r#"{"custom_id": "pb/pb-1", "response": {"body": {"choices": [{"message": {"content": "Explanation: ok\nVerdict: -1"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 120, "completion_tokens": 9}}}}"#,
    );
    let options = JudgmentImportOptions::new("FARE-20B")
        .with_pairs([
            "sample=custom_id",
            "output=response.body.choices.0.message.content",
            "finish_reason=response.body.choices.0.finish_reason",
            "prompt_tokens=response.body.usage.prompt_tokens",
            "output_tokens=response.body.usage.completion_tokens",
        ])
        .unwrap();
    import(&mut project, &file, &options).unwrap();
    let j = &project.judgments_of(2).unwrap()[0];
    assert_eq!(j.judgment.verdict(), Some(Verdict::FirstError(None)));
    assert_eq!(j.output_tokens, Some(9));
}

#[test]
fn a_bad_record_stops_the_import_and_leaves_no_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project(&dir);
    let cases = [
        (
            r#"{"sample": "pb-9", "output": "Verdict: 0"}"#,
            "out.jsonl:2: record 1, field `sample`: no sample `pb-9` in the project",
        ),
        (
            r#"{"sample": "pb-1"}"#,
            "out.jsonl:2: record 1, field `output`: missing: the evaluator's output",
        ),
        (
            r#"{"sample": "pb-1", "output": "Verdict: -1", "swapped": true}"#,
            "out.jsonl:2: record 1, field `swapped`: only pairwise samples can be swapped; `pb-1` is step-level",
        ),
        (
            r#"{"sample": "pb-0", "output": "Verdict: 1"}"#,
            "out.jsonl:2: record 1: run 1 already has a judgment of sample 1 (original order, attempt 0)",
        ),
    ];
    for (second, expected) in cases {
        let text = format!(
            "{}\n{second}\n",
            r#"{"sample": "pb-0", "output": "Verdict: 0"}"#
        );
        let file = write(&dir, "out.jsonl", &text);
        let err = import(&mut project, &file, &JudgmentImportOptions::new("m")).unwrap_err();
        let expected = format!(
            "{}{}",
            dir.path().display(),
            expected
                .strip_prefix("out.jsonl")
                .map(|rest| format!("/out.jsonl{rest}"))
                .unwrap()
        );
        assert_eq!(err.to_string(), expected);
        assert!(
            project.runs().unwrap().is_empty(),
            "nothing of the file is kept"
        );
        assert!(project.judgments_of(1).unwrap().is_empty());
    }
}

#[test]
fn imported_verdict_probabilities_are_read_as_the_project_records_them_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project(&dir);
    let good = r#"{"sample": "pb-1", "output": "Verdict: -1", "verdict_probs": {"probs": {"-1": 0.75, "0": 0.25}, "mass": 0.5}}"#;
    let file = write(&dir, "out.jsonl", &format!("{good}\n"));
    import(&mut project, &file, &JudgmentImportOptions::new("m")).unwrap();
    let stored = project.judgments_of(2).unwrap();
    let probs = stored[0].verdict_probs.as_ref().unwrap();
    assert_eq!(
        (probs.prob("-1"), probs.prob("0"), probs.mass, probs.forced),
        (Some(0.75), Some(0.25), Some(0.5), false)
    );

    let refused = [
        ("[0.75, 0.25]", "must be an object with `probs`"),
        (
            r#"{"probs": {"-1": "most"}}"#,
            "the probability of verdict `-1`",
        ),
        (
            r#"{"probs": {"-1": 0.5, "7": 0.5}}"#,
            "`7` is not a verdict of `pb-0`",
        ),
    ];
    for (probs, expected) in refused {
        let text = format!(
            "{}\n",
            format_args!(
                r#"{{"sample": "pb-0", "output": "Verdict: 0", "verdict_probs": {probs}}}"#
            )
        );
        let file = write(&dir, "bad.jsonl", &text);
        let err = import(&mut project, &file, &JudgmentImportOptions::new("m2"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.jsonl:1: record 0, field `verdict_probs`: ")
                && err.contains(expected),
            "{err}"
        );
        assert_eq!(
            project.runs().unwrap().len(),
            1,
            "nothing of {probs} is kept"
        );
    }
}

#[test]
fn a_record_id_two_data_sets_share_is_refused_naming_both_and_dataset_slash_id_picks_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project(&dir);
    // The same ProcessBench records again, as another data set: `pb-0` is now samples 1 and 4.
    let again = write(
        &dir,
        "pb-again.json",
        r#"[{"id": "pb-0", "generator": "g", "problem": "1+1?", "steps": ["1+1=3", "so 3"], "final_answer_correct": false, "label": 0}]"#,
    );
    let options = ImportOptions {
        dataset_name: Some("second".into()),
        ..ImportOptions::default()
    };
    import_file(&mut project, &again, &options, &mut |_| {}).unwrap();
    let second = project
        .datasets()
        .unwrap()
        .into_iter()
        .find(|d| d.name == "second")
        .unwrap();
    let shared = project.samples_named("pb-0", None).unwrap();
    assert_eq!(shared.len(), 2);

    let file = write(
        &dir,
        "out.jsonl",
        concat!(r#"{"sample": "pb-0", "output": "Verdict: 0"}"#, "\n"),
    );
    let err = import(&mut project, &file, &JudgmentImportOptions::new("m"))
        .unwrap_err()
        .to_string();
    let both = format!(
        "`pb-0` names 2 samples: {}/pb-0 (#{}), {}/pb-0 (#{}); give one of these",
        shared[0].dataset_id, shared[0].id, shared[1].dataset_id, shared[1].id
    );
    assert!(err.ends_with(&both), "{err}");
    assert!(project.runs().unwrap().is_empty());

    // By the data set's name, or its id: one sample each.
    let file = write(
        &dir,
        "out.jsonl",
        &format!(
            "{}\n{}\n",
            r#"{"sample": "second/pb-0", "output": "Verdict: 0"}"#,
            format_args!(
                r#"{{"sample": "{}/pb-0", "output": "Verdict: 1"}}"#,
                shared[0].dataset_id
            )
        ),
    );
    let report = import(&mut project, &file, &JudgmentImportOptions::new("m")).unwrap();
    assert_eq!(report.judgments, 2);
    let in_second = shared.iter().find(|n| n.dataset_id == second.id).unwrap();
    let in_first = shared.iter().find(|n| n.dataset_id != second.id).unwrap();
    let verdict_of = |id: i64| {
        project.judgments_of(id).unwrap()[0]
            .judgment
            .verdict()
            .unwrap()
    };
    assert_eq!(verdict_of(in_second.id), Verdict::FirstError(Some(0)));
    assert_eq!(verdict_of(in_first.id), Verdict::FirstError(Some(1)));
}
