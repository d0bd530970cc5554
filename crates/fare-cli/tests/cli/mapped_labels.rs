//! Evaluation sets without a built-in format, through the command line's mapping flags only: a
//! question made of two fields, numeric preferences with ties, three annotators' columns. The
//! dry run shows the label distribution and writes nothing; the import writes exactly that;
//! `agreement` reports the imported annotators and `report` counts the ties apart.

use serde_json::{Value, json};

use crate::support::Dir;

/// Three annotators' columns and a preference of 1 (A), 2 (B) or 0 (a tie), as in public pairwise
/// preference sets; the input is missing from two records.
const PAIRS: &str = concat!(
    r#"{"id": "p0", "instruction": "Sort.", "input": "3 1 2", "output_1": "1 2 3", "output_2": "3 2 1", "preference": 1, "annotator1": 1, "annotator2": 1, "annotator3": 2}"#,
    "\n",
    r#"{"id": "p1", "instruction": "Greet.", "output_1": "hi", "output_2": "hello", "preference": 0, "annotator1": 2, "annotator2": 0, "annotator3": 2}"#,
    "\n",
    r#"{"id": "p2", "instruction": "Add 2 and 2.", "input": "", "output_1": "5", "output_2": "4", "preference": 2, "annotator1": 2, "annotator2": 2, "annotator3": 2}"#,
    "\n",
    r#"{"id": "p3", "instruction": "Name a prime.", "input": "under 5", "output_1": "4", "output_2": "3", "preference": 2, "annotator1": 2, "annotator2": 1}"#,
    "\n",
);

fn mapping_flags() -> Vec<&'static str> {
    vec![
        "--map",
        "id=id",
        "--map",
        "question={instruction}\\n\\n{input?}",
        "--map",
        "response_a=output_1",
        "--map",
        "response_b=output_2",
        "--map",
        "label=preference",
        "--label-value",
        "1=A",
        "--label-value",
        "2=B",
        "--label-value",
        "0=tie",
        "--annotator",
        "ann=annotator1",
        "--annotator",
        "bo=annotator2",
        "--annotator",
        "cy=annotator3",
    ]
}

#[test]
fn a_dry_run_shows_the_labels_and_the_import_writes_them_for_agreement() {
    let dir = Dir::new();
    dir.write("pairs.jsonl", PAIRS);
    let mut args = vec!["import", "p.sqlite", "pairs.jsonl", "--dry-run"];
    args.extend(mapping_flags());
    let run = dir.run(&args).ok();
    assert_eq!(
        run.stdout,
        concat!(
            "pairs.jsonl: dry run: 4 records would become 4 samples (format mapped); nothing was written\n",
            "  ground truth: A 1, B 2, tie 1\n",
            "  a tie is kept as a tie: shown, counted apart in the analysis, and left out of accuracy\n",
            "  labels by ann: A 1, B 3\n",
            "  labels by bo: A 2, B 1, tie 1 (a tie is counted here, not recorded as a label)\n",
            "  labels by cy: B 3, none 1\n",
        )
    );
    assert!(
        !dir.path().join("p.sqlite").exists(),
        "a dry run made a project"
    );

    args.retain(|a| *a != "--dry-run");
    dir.run(&args).ok();
    let samples = dir.samples("p.sqlite", &[]);
    let questions: Vec<&str> = samples
        .rows
        .iter()
        .map(|r| r["question"].as_str().unwrap())
        .collect();
    assert_eq!(
        questions,
        [
            "Sort.\n\n3 1 2",
            "Greet.",
            "Add 2 and 2.",
            "Name a prime.\n\nunder 5"
        ]
    );
    let golds: Vec<&Value> = samples.rows.iter().map(|r| &r["gold"]).collect();
    assert_eq!(
        golds,
        [&json!("A"), &json!("tie"), &json!("B"), &json!("B")]
    );

    // The annotators' columns are their labels: agreement over the samples two of them labelled.
    // p0: ann A, bo A, cy B; p1: ann B, cy B (bo's tie is no label); p2: all B; p3: ann B, bo A.
    let report = dir.json(&["agreement", "p.sqlite", "--json"]);
    let group = &report["groups"][0];
    assert_eq!(group["task"], "pairwise");
    assert_eq!(group["agreement"]["labelled"], json!(4));
    assert_eq!(group["agreement"]["compared"], json!(4));
    assert_eq!(group["agreement"]["annotators"], json!(["ann", "bo", "cy"]));
    let pairs = group["agreement"]["pairs"].as_array().unwrap();
    let shared: Vec<(&str, &str, u64, u64)> = pairs
        .iter()
        .map(|p| {
            let n = |k: &str| p[k].as_u64().unwrap();
            (
                p["first"].as_str().unwrap(),
                p["second"].as_str().unwrap(),
                n("items"),
                n("agreed"),
            )
        })
        .collect();
    // ann/bo share p0 (A A), p2 (B B), p3 (B A); ann/cy p0 (A B), p1, p2 (B B, B B); bo/cy p0, p2.
    assert_eq!(
        shared,
        [("ann", "bo", 3, 2), ("ann", "cy", 3, 2), ("bo", "cy", 2, 1)]
    );
    let text = dir.run(&["agreement", "p.sqlite"]).ok().stdout;
    assert!(text.contains("kappa ann / cy:"), "{text}");

    // The tie is counted apart in the analysis.
    let report = dir.json(&["report", "p.sqlite", "--json"]);
    let pairwise = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["task"] == "pairwise")
        .unwrap();
    assert_eq!(pairwise["with_gold"], json!(3));
    assert_eq!(pairwise["gold_ties"], json!(1));
    let text = dir.run(&["report", "p.sqlite"]).ok().stdout;
    assert!(
        text.contains("1 ties in the ground truth (left out of accuracy)"),
        "{text}"
    );
}

#[test]
fn the_labels_export_keeps_a_tie_and_the_annotators_and_imports_back() {
    let dir = Dir::new();
    dir.write("pairs.jsonl", PAIRS);
    let mut args = vec!["import", "p.sqlite", "pairs.jsonl"];
    args.extend(mapping_flags());
    dir.run(&args).ok();
    dir.run(&[
        "export",
        "p.sqlite",
        "--format",
        "labels-jsonl",
        "-o",
        "labels.jsonl",
    ])
    .ok();
    let rows: Vec<Value> = std::fs::read_to_string(dir.path().join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tie_rows: Vec<&Value> = rows.iter().filter(|r| r["external_id"] == "p1").collect();
    assert!(tie_rows.iter().all(|r| r["ground_truth"] == "tie"));
    assert!(
        tie_rows
            .iter()
            .all(|r| r["human_agrees_with_gold"].is_null())
    );
    dir.run(&["import", "q.sqlite", "labels.jsonl"]).ok();
    assert_eq!(
        dir.samples("q.sqlite", &[]).golds(),
        dir.samples("p.sqlite", &[]).golds()
    );
    let agreement =
        |p: &str| dir.json(&["agreement", p, "--json"])["groups"][0]["agreement"].clone();
    assert_eq!(agreement("q.sqlite"), agreement("p.sqlite"));
}

#[test]
fn mismatched_labels_name_the_record_the_field_the_value_and_what_was_expected() {
    let dir = Dir::new();
    dir.write(
        "pairs.jsonl",
        concat!(
            r#"{"q": "Q", "a": "x", "b": "y", "w": 1}"#,
            "\n",
            r#"{"q": "Q", "a": "x", "b": "y", "w": 3}"#,
            "\n",
        ),
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "pairs.jsonl",
            "--map",
            "question=q",
            "--map",
            "response_a=a",
            "--map",
            "response_b=b",
            "--map",
            "label=w",
            "--label-value",
            "1=A",
            "--label-value",
            "2=B",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: pairs.jsonl:2: record 1, field `w`: a number 3 is not A, B or a tie (nor one of the values label_values maps: 1, 2)\nnothing of this file was imported\n"
    );
    dir.assert_empty_project("p.sqlite");
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "pairs.jsonl",
            "--map",
            "question=q",
            "--map",
            "response_a=a",
            "--map",
            "response_b=b",
            "--label-value",
            "1=C",
        ])
        .fails();
    assert!(
        run.stderr.contains("label_values: `1` = `C`"),
        "{}",
        run.stderr
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "pairs.jsonl",
            "--map",
            "question=q",
            "--map",
            "response=a",
            "--task",
            "rating",
            "--rating-scale",
            "five",
        ])
        .fails();
    assert!(
        run.stderr
            .contains("--rating-scale five: expected LOW-HIGH"),
        "{}",
        run.stderr
    );
}
