//! Annotation from the command line on a project imported from a small ProcessBench-style file:
//! corrections, tags, undo and redo, verdicts the sample cannot have, `--accept` without an
//! evaluator verdict, the review filter of `samples`, and samples named by their data set id.

use serde_json::{Value, json};

use crate::support::{Dir, PROCESSBENCH_GSM8K};

/// A project `p.sqlite` with the four samples of [`PROCESSBENCH_GSM8K`] (project ids 1 to 4).
fn project() -> Dir {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    dir.import("p.sqlite", &["gsm8k.json"]);
    dir
}

/// `fare-lens annotate p.sqlite SAMPLE ACTION... --annotator ana --json`, which must succeed.
#[track_caller]
fn annotate(dir: &Dir, sample: &str, action: &[&str]) -> Value {
    let mut args = vec!["annotate", "p.sqlite", sample];
    args.extend_from_slice(action);
    args.extend_from_slice(&["--annotator", "ana", "--json"]);
    dir.json(&args)
}

#[test]
fn verdict_tag_undo_and_redo() {
    let dir = project();
    let label = annotate(&dir, "gsm8k-3", &["--verdict", "2"]);
    assert_eq!(label["sample_id"], 4);
    assert_eq!(label["annotator"], "ana");
    assert_eq!(
        label["label"],
        json!({
            "decision": "corrected",
            "verdict": {"first-error": 2},
            "wrong_reason": false,
            "tags": [],
            "note": null,
            "can_undo": true,
            "can_redo": false
        })
    );

    let tagged = annotate(&dir, "gsm8k-3", &["--tag", "late-step"]);
    assert_eq!(tagged["label"]["tags"], json!(["late-step"]));
    assert_eq!(tagged["label"]["verdict"], json!({"first-error": 2}));

    let undone = annotate(&dir, "gsm8k-3", &["--undo"]);
    assert_eq!(undone["label"]["tags"], json!([]));
    assert_eq!(undone["label"]["decision"], "corrected");
    assert_eq!(undone["label"]["verdict"], json!({"first-error": 2}));
    assert_eq!(undone["label"]["can_redo"], true);

    let redone = annotate(&dir, "gsm8k-3", &["--redo"]);
    assert_eq!(redone["label"]["tags"], json!(["late-step"]));
    assert_eq!(redone["label"]["verdict"], json!({"first-error": 2}));
    assert_eq!(redone["label"]["can_redo"], false);

    // The same from the human output, and by the project id.
    let run = dir
        .run(&["annotate", "p.sqlite", "4", "--undo", "--annotator", "ana"])
        .ok();
    assert_eq!(run.stdout, "sample 4 by ana: corrected 2\n");
    let run = dir
        .run(&["annotate", "p.sqlite", "4", "--redo", "--annotator", "ana"])
        .ok();
    assert_eq!(run.stdout, "sample 4 by ana: corrected 2 tags late-step\n");

    let tagged = dir.samples("p.sqlite", &["--tag", "late-step"]);
    assert_eq!(tagged.ids(), ["gsm8k-3"]);
}

#[test]
fn corrected_samples_are_listed_by_the_review_filter() {
    let dir = project();
    assert_eq!(dir.samples("p.sqlite", &["--review", "corrected"]).total, 0);
    annotate(&dir, "gsm8k-3", &["--verdict", "2"]);
    let corrected = dir.samples("p.sqlite", &["--review", "corrected"]);
    assert_eq!(corrected.total, 1);
    assert_eq!(corrected.ids(), ["gsm8k-3"]);
    assert_eq!(corrected.rows[0]["id"], 4);
    assert_eq!(corrected.rows[0]["decision"], "corrected");
    assert_eq!(corrected.rows[0]["gold"], "3");
    assert_eq!(dir.samples("p.sqlite", &["--review", "accepted"]).total, 0);
    assert_eq!(dir.samples("p.sqlite", &["--review", "reviewed"]).total, 1);
    assert_eq!(
        dir.samples("p.sqlite", &["--review", "unreviewed"]).ids(),
        ["gsm8k-0", "gsm8k-1", "gsm8k-2"]
    );
}

#[test]
fn a_verdict_past_the_last_step_is_refused_and_writes_nothing() {
    let dir = project();
    // gsm8k-3 has four steps, 0 to 3.
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-3",
            "--verdict",
            "4",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: sample 4: step 4 does not exist: the solution has 4 steps (0 to 3)\n"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(dir.samples("p.sqlite", &["--review", "reviewed"]).total, 0);
    assert_eq!(
        dir.samples("p.sqlite", &["--review", "unreviewed"]).total,
        4
    );

    // On a sample with a label already: the failed command must not become an edit. Undo then
    // takes back the tag, the only edit made.
    annotate(&dir, "gsm8k-3", &["--tag", "early-step"]);
    dir.run(&[
        "annotate",
        "p.sqlite",
        "gsm8k-3",
        "--verdict",
        "4",
        "--annotator",
        "ana",
    ])
    .fails();
    let undone = annotate(&dir, "gsm8k-3", &["--undo"]);
    assert_eq!(undone["label"]["tags"], json!([]));
    assert_eq!(undone["label"]["verdict"], Value::Null);
    assert_eq!(undone["label"]["can_undo"], false);

    // The last step itself is a valid verdict.
    let label = annotate(&dir, "gsm8k-3", &["--verdict", "3"]);
    assert_eq!(label["label"]["verdict"], json!({"first-error": 3}));
}

#[test]
fn verdicts_of_another_task_are_refused() {
    let dir = project();
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-0",
            "--verdict",
            "A",
            "--annotator",
            "ana",
        ])
        .fails();
    assert!(run.stderr.starts_with("error: sample 1: "), "{run:?}");
    assert_eq!(dir.samples("p.sqlite", &["--review", "reviewed"]).total, 0);
}

#[test]
fn accept_without_an_evaluator_verdict_is_refused() {
    let dir = project();
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-0",
            "--accept",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: sample 1 has no evaluator verdict to accept; give --verdict instead\n"
    );
    assert_eq!(dir.samples("p.sqlite", &["--review", "reviewed"]).total, 0);
}

#[test]
fn samples_are_named_by_data_set_id_or_project_id() {
    let dir = project();
    let by_external = annotate(&dir, "gsm8k-1", &["--verdict", "-1"]);
    assert_eq!(by_external["sample_id"], 2);
    assert_eq!(
        by_external["label"]["verdict"],
        json!({"first-error": null})
    );
    let by_id = annotate(&dir, "3", &["--note", "the first step is already wrong"]);
    assert_eq!(by_id["sample_id"], 3);
    assert_eq!(by_id["label"]["note"], "the first step is already wrong");

    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-9",
            "--verdict",
            "0",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: no sample `gsm8k-9` in the project: give its project id (a number) or its data \
         set's id for it as DATASET/ID (see `fare-lens samples`)\n"
    );
}

#[test]
fn an_id_shared_by_two_data_sets_is_refused_naming_both() {
    let dir = project();
    // Another split with a sample of the same data set id (a different file, so not a no-op).
    dir.write(
        "other.json",
        r#"[{"id": "gsm8k-3", "generator": "h", "problem": "Other.", "steps": ["x"], "label": -1}]"#,
    );
    dir.import("p.sqlite", &["other.json"]);
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-3",
            "--verdict",
            "0",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: `gsm8k-3` names 2 samples: 1/gsm8k-3 (#4), 2/gsm8k-3 (#5); give one of these\n"
    );
    let label = annotate(&dir, "5", &["--verdict", "0"]);
    assert_eq!(label["sample_id"], 5);
}

#[test]
fn annotators_keep_separate_labels() {
    let dir = project();
    annotate(&dir, "gsm8k-2", &["--verdict", "0"]);
    let bob = dir.json(&[
        "annotate",
        "p.sqlite",
        "gsm8k-2",
        "--verdict",
        "1",
        "--annotator",
        "bob",
        "--json",
    ]);
    assert_eq!(bob["annotator"], "bob");
    assert_eq!(bob["label"]["verdict"], json!({"first-error": 1}));
    // Ana's undo takes back her own verdict only.
    let ana = annotate(&dir, "gsm8k-2", &["--undo"]);
    assert_eq!(ana["label"]["verdict"], Value::Null);
    let bob_again = dir.json(&[
        "annotate",
        "p.sqlite",
        "gsm8k-2",
        "--tag",
        "missed-error",
        "--annotator",
        "bob",
        "--json",
    ]);
    assert_eq!(bob_again["label"]["verdict"], json!({"first-error": 1}));
}

#[test]
fn a_tag_outside_the_taxonomy_is_refused() {
    let dir = project();
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-3",
            "--tag",
            "made-up",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: unknown tag `made-up` (see the project's tags, or add it first)\n"
    );
    assert_eq!(dir.samples("p.sqlite", &["--tag", "made-up"]).total, 0);
    let label = annotate(&dir, "gsm8k-3", &["--undo"]);
    assert_eq!(label["label"]["can_undo"], false);
}

#[test]
fn annotate_without_an_action_says_what_to_give() {
    let dir = project();
    let run = dir
        .run(&["annotate", "p.sqlite", "gsm8k-0", "--annotator", "ana"])
        .fails();
    assert_eq!(
        run.stderr,
        "error: say what to record: --accept, --verdict V, --tag T, --untag T, --wrong-reason, --note N, --undo or --redo\n"
    );
}

/// A project whose first data set has no id field (GSM8K problems: ids `0` to `7`, project
/// ids 1 to 8), then the ProcessBench file twice under two names (project ids 9 to 12 and 13
/// to 16: every record id in two data sets).
fn id_less_and_twice() -> Dir {
    let dir = Dir::new();
    let mut gsm8k = String::new();
    for i in 0..8 {
        let line = json!({"question": format!("What is {i} + 1?"), "answer": format!("{i} + 1\n#### {}", i + 1)});
        gsm8k.push_str(&line.to_string());
        gsm8k.push('\n');
    }
    dir.write("problems.jsonl", gsm8k);
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    dir.write(
        "again.json",
        PROCESSBENCH_GSM8K.replace("Add 2 and 3.", "Add 2 and 3 again."),
    );
    for file in ["problems.jsonl", "gsm8k.json", "again.json"] {
        dir.import("p.sqlite", &[file]);
    }
    dir
}

#[test]
fn a_number_is_always_the_project_id_and_a_data_set_id_is_written_with_its_data_set() {
    let dir = id_less_and_twice();
    let rows = dir.samples("p.sqlite", &[]).rows;
    let row = |id: i64| {
        rows.iter()
            .find(|r| r["id"] == id)
            .expect("a listed sample")
    };
    assert_eq!(
        row(5)["external_id"],
        "4",
        "the id-less file's records are numbered from 0"
    );
    assert_eq!(row(6)["external_id"], "5");
    let problems = row(5)["dataset_id"].as_i64().expect("a data set id");

    // `5` is project sample 5, though record `5` of the id-less file exists (project sample 6).
    assert_eq!(
        annotate(&dir, "5", &["--verdict", "incorrect"])["sample_id"],
        5
    );
    assert_eq!(
        annotate(&dir, "#5", &["--tag", "late-step"])["sample_id"],
        5
    );
    // That record by its data set: the data set's id, or its name, a slash, the record's id.
    let record = format!("{problems}/5");
    assert_eq!(
        annotate(&dir, &record, &["--verdict", "correct"])["sample_id"],
        6
    );
    let name = row(6)["dataset"].as_str().expect("a name").to_owned();
    assert_eq!(
        annotate(&dir, &format!("{name}/5"), &["--undo"])["sample_id"],
        6
    );

    // A record id of one data set alone names its sample.
    let second = row(9)["dataset_id"].as_i64().expect("a data set id");
    assert_eq!(
        annotate(&dir, &format!("{second}/gsm8k-1"), &["--verdict", "1"])["sample_id"],
        10
    );
    // Shared by two data sets: refused, naming both.
    let third = row(13)["dataset_id"].as_i64().expect("a data set id");
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "gsm8k-1",
            "--verdict",
            "1",
            "--annotator",
            "ana",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        format!(
            "error: `gsm8k-1` names 2 samples: {second}/gsm8k-1 (#10), {third}/gsm8k-1 (#14); give one of these\n"
        )
    );
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "99",
            "--verdict",
            "1",
            "--annotator",
            "ana",
        ])
        .fails();
    assert!(
        run.stderr.contains("no sample 99 in the project"),
        "{}",
        run.stderr
    );
    let run = dir
        .run(&[
            "annotate",
            "p.sqlite",
            "9/gsm8k-1",
            "--verdict",
            "1",
            "--annotator",
            "ana",
        ])
        .fails();
    assert!(
        run.stderr.contains("no sample `9/gsm8k-1`"),
        "{}",
        run.stderr
    );
}

#[test]
fn samples_prints_both_names_and_each_names_its_row() {
    let dir = id_less_and_twice();
    let listed = dir
        .run(&["samples", "p.sqlite", "--limit", "100"])
        .ok()
        .stdout;
    let lines: Vec<&str> = listed.lines().filter(|l| l.contains(" gold ")).collect();
    assert_eq!(lines.len(), 16, "{listed}");
    for line in lines {
        let mut words = line.split_whitespace();
        let (id, address) = (
            words.next().expect("an id"),
            words.next().expect("DATASET/ID"),
        );
        assert!(address.contains('/'), "{line}");
        let shown: Vec<Value> = [id, address]
            .iter()
            .map(|name| {
                dir.json(&[
                    "annotate",
                    "p.sqlite",
                    name,
                    "--note",
                    "seen",
                    "--annotator",
                    "ana",
                    "--json",
                ])
            })
            .collect();
        assert_eq!(shown[0]["sample_id"].to_string(), id, "{line}");
        assert_eq!(shown[1]["sample_id"].to_string(), id, "{line}");
    }
}
