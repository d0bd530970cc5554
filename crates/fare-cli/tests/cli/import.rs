//! Good imports: what `--skip-invalid` imports and reports, re-importing a file already in the
//! project (a no-op), and the `--json` report of an import.

use serde_json::json;

use crate::support::{Dir, PROCESSBENCH_GSM8K, golds};

/// Five ProcessBench records, of which the second (label past the last step) and the fourth
/// (no `problem`) are bad.
const FIVE: &str = r#"{"id": "s-0", "generator": "g", "problem": "p0", "steps": ["a", "b"], "label": -1}
{"id": "s-1", "generator": "g", "problem": "p1", "steps": ["a", "b"], "label": 5}
{"id": "s-2", "generator": "g", "problem": "p2", "steps": ["a", "b"], "label": 0}
{"id": "s-3", "generator": "g", "steps": ["a", "b"], "label": 1}
{"id": "s-4", "generator": "g", "problem": "p4", "steps": ["a", "b"], "label": 1}
"#;

const SKIPPED_LABEL: &str = "five.jsonl:2: record 1, field `label`: 5 is not -1 or a step index (the solution has 2 steps, 0 to 1)";
const SKIPPED_PROBLEM: &str = "five.jsonl:4: record 3, field `problem`: missing";

#[test]
fn skip_invalid_imports_the_good_records_and_lists_the_bad_ones() {
    let dir = Dir::new();
    dir.write("five.jsonl", FIVE);
    let run = dir
        .run(&["import", "p.sqlite", "five.jsonl", "--skip-invalid"])
        .ok();
    assert_eq!(
        run.stdout,
        "five.jsonl: imported 5 records as 3 samples (format processbench, data set 1)\n  ground truth: -1 1, 0 1, 1 1\n"
    );
    assert_eq!(
        run.stderr,
        format!(
            "skipped: {SKIPPED_LABEL}\nskipped: {SKIPPED_PROBLEM}\n2 invalid records skipped\n"
        )
    );
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(samples.total, 3);
    assert_eq!(
        samples.golds(),
        golds(&[("s-0", Some("-1")), ("s-2", Some("0")), ("s-4", Some("1"))])
    );
    let datasets = dir.datasets("p.sqlite");
    assert_eq!(datasets.len(), 1);
    assert_eq!(datasets[0]["record_count"], 5);
    assert_eq!(datasets[0]["sample_count"], 3);
    assert_eq!(datasets[0]["skipped_count"], 2);
}

#[test]
fn skip_invalid_reports_the_skipped_records_in_json() {
    let dir = Dir::new();
    dir.write("five.jsonl", FIVE);
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "five.jsonl",
            "--skip-invalid",
            "--json",
        ])
        .ok();
    let reports = run.json();
    assert_eq!(reports.as_array().map(Vec::len), Some(1));
    let report = &reports[0];
    assert_eq!(report["already_imported"], false);
    assert_eq!(report["dataset"]["sample_count"], 3);
    assert_eq!(report["dataset"]["skipped_count"], 2);
    assert_eq!(
        report["skipped"],
        json!([
            {
                "file": "five.jsonl",
                "at": {"line": 2, "record": 1},
                "field": "label",
                "message": "5 is not -1 or a step index (the solution has 2 steps, 0 to 1)",
                "record_level": true
            },
            {
                "file": "five.jsonl",
                "at": {"line": 4, "record": 3},
                "field": "problem",
                "message": "missing",
                "record_level": true
            }
        ])
    );
    assert_eq!(dir.samples("p.sqlite", &[]).total, 3);
}

#[test]
fn skip_invalid_still_refuses_a_file_without_one_good_record() {
    let dir = Dir::new();
    dir.write(
        "allbad.jsonl",
        "{\"id\": \"a-0\", \"generator\": \"g\", \"problem\": \"p\", \"steps\": [\"s0\"], \"label\": 3}\n",
    );
    let run = dir
        .run(&["import", "p.sqlite", "allbad.jsonl", "--skip-invalid"])
        .fails();
    assert!(
        run.stderr.starts_with(
            "error: allbad.jsonl: none of the 1 records is valid; the first problem: allbad.jsonl:1: record 0, field `label`: "
        ),
        "{run:?}"
    );
    dir.assert_empty_project("p.sqlite");
}

#[test]
fn skip_invalid_skips_a_broken_element_of_a_json_array() {
    let dir = Dir::new();
    dir.write(
        "arr.json",
        concat!(
            "[\n",
            r#"  {"id": "a-0", "generator": "g", "problem": "p", "steps": ["s0"], "label": -1},"#,
            "\n",
            r#"  {"id": "a-1", "problem": "p", "steps": ["s0"],, "label": 0},"#,
            "\n",
            r#"  {"id": "a-2", "generator": "g", "problem": "p", "steps": ["s0"], "label": 0}"#,
            "\n]\n",
        ),
    );
    let run = dir
        .run(&["import", "p.sqlite", "arr.json", "--skip-invalid"])
        .ok();
    assert_eq!(
        run.stdout,
        "arr.json: imported 3 records as 2 samples (format processbench, data set 1)\n  ground truth: -1 1, 0 1\n"
    );
    assert!(
        run.stderr
            .starts_with("skipped: arr.json:3: record 1: invalid JSON (column "),
        "{run:?}"
    );
    assert!(
        run.stderr
            .ends_with("): key must be a string\n1 invalid records skipped\n"),
        "{run:?}"
    );
    assert_eq!(
        dir.samples("p.sqlite", &[]).golds(),
        golds(&[("a-0", Some("-1")), ("a-2", Some("0"))])
    );
}

#[test]
fn skip_invalid_does_not_skip_a_broken_file() {
    // A broken JSON array cannot be read past the break: that is not one bad record.
    let dir = Dir::new();
    dir.write(
        "broken.json",
        "[\n {\"id\": \"a-0\", \"generator\": \"g\", \"problem\": \"p\", \"steps\": [\"s0\"], \"label\": -1},\n {\"id\": \n",
    );
    let run = dir
        .run(&["import", "p.sqlite", "broken.json", "--skip-invalid"])
        .fails();
    assert!(run.stderr.starts_with("error: broken.json:"), "{run:?}");
    assert!(
        run.stderr
            .contains("; the file cannot be read past this point\n"),
        "{run:?}"
    );
    dir.assert_empty_project("p.sqlite");
}

#[test]
fn reimporting_the_same_file_is_a_no_op() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    let first = dir.import("p.sqlite", &["gsm8k.json"]);
    assert_eq!(first[0]["already_imported"], false);
    assert_eq!(first[0]["dataset"]["id"], 1);
    assert_eq!(first[0]["dataset"]["record_count"], 4);
    assert_eq!(first[0]["dataset"]["sample_count"], 4);
    let samples_before = dir.samples("p.sqlite", &[]);
    assert_eq!(samples_before.total, 4);

    let second = dir.import("p.sqlite", &["gsm8k.json"]);
    assert_eq!(second[0]["already_imported"], true);
    assert_eq!(second[0]["dataset"], first[0]["dataset"]);
    assert_eq!(second[0]["skipped"], json!([]));

    // A copy under another name is the same content: also a no-op.
    std::fs::copy(dir.path().join("gsm8k.json"), dir.path().join("copy.json"))
        .expect("copy the file");
    let run = dir.run(&["import", "p.sqlite", "copy.json"]).ok();
    assert_eq!(
        run.stdout,
        "copy.json: already in the project as data set 1 `gsm8k` (4 samples); nothing to do\n"
    );
    assert_eq!(run.stderr, "");

    assert_eq!(dir.datasets("p.sqlite").len(), 1);
    let samples_after = dir.samples("p.sqlite", &[]);
    assert_eq!(samples_after.total, 4);
    assert_eq!(samples_after.rows, samples_before.rows);
}

#[test]
fn the_same_file_twice_in_one_command_is_imported_once() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    let reports = dir.import("p.sqlite", &["gsm8k.json", "gsm8k.json"]);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["already_imported"], false);
    assert_eq!(reports[1]["already_imported"], true);
    assert_eq!(dir.samples("p.sqlite", &[]).total, 4);
}

#[test]
fn an_import_reports_what_it_wrote() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    let run = dir.run(&["import", "p.sqlite", "gsm8k.json"]).ok();
    assert_eq!(
        run.stdout,
        "gsm8k.json: imported 4 records as 4 samples (format processbench, data set 1)\n  ground truth: -1 1, 0 1, 1 1, 3 1\n"
    );
    assert_eq!(run.stderr, "");
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(
        samples.golds(),
        golds(&[
            ("gsm8k-0", Some("-1")),
            ("gsm8k-1", Some("1")),
            ("gsm8k-2", Some("0")),
            ("gsm8k-3", Some("3")),
        ])
    );
    let first = &samples.rows[0];
    assert_eq!(first["task"], "step-level");
    assert_eq!(first["source"], "gsm8k");
    assert_eq!(first["dataset"], "gsm8k");
    assert_eq!(first["question"], "Add 2 and 3.");
    assert_eq!(first["step_count"], 3);
    assert_eq!(samples.rows[3]["step_count"], 4);
    let datasets = dir.datasets("p.sqlite");
    assert_eq!(datasets[0]["format"], "processbench");
    assert_eq!(datasets[0]["source_file"], "gsm8k.json");
}

#[test]

fn the_json_report_names_the_format_as_format_accepts_it() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    let reports = dir.import("p.sqlite", &["gsm8k.json"]);
    assert_eq!(reports[0]["dataset"]["format"], "processbench");
    assert_eq!(reports[0]["format"], "processbench");
    assert_eq!(reports[0]["container"], "json-array");
}
