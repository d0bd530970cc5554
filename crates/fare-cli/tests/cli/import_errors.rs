//! Bad input: each refused import exits 1, names the file and (where the format has lines) the
//! line, the record and the field on stderr, says that nothing was imported, and leaves the
//! project without any data set or sample. A project that already holds data keeps it whole.

use crate::support::{Dir, NOTHING_IMPORTED, PROCESSBENCH_GSM8K, assert_refused};

/// One valid ProcessBench record as a JSON Lines line (two steps, no error).
const GOOD_LINE: &str = r#"{"id": "a-0", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "final_answer_correct": true, "label": -1}"#;

#[test]
fn invalid_json_in_an_array_names_the_line() {
    let dir = Dir::new();
    dir.write(
        "bad.json",
        format!(
            "[\n {GOOD_LINE},\n {}\n]\n",
            r#"{"id": "a-1", "problem": "p", "steps": ["s0"],, "label": 0}"#
        ),
    );
    let run = dir.run(&["import", "p.sqlite", "bad.json"]).fails();
    assert!(
        run.stderr
            .starts_with("error: bad.json:3: record 1: invalid JSON (column "),
        "{run:?}"
    );
    assert!(
        run.stderr
            .ends_with(&format!("): key must be a string\n{NOTHING_IMPORTED}\n")),
        "{run:?}"
    );
    dir.assert_empty_project("p.sqlite");
}

#[test]

fn invalid_json_in_an_array_names_the_line_and_column() {
    let dir = Dir::new();
    // The whole array on one line, as many data sets ship it: the second comma of `,,` is at
    // column 146 of line 1 (the record starts at column 117; the message says 30).
    let text = format!(
        "[{GOOD_LINE}, {}]",
        r#"{"id": "a-1", "problem": "p",, "steps": ["s0"], "label": 0}"#
    );
    assert_eq!(text.find(",,").map(|i| i + 2), Some(146));
    dir.write("one.json", text);
    assert_refused(
        &dir,
        &["one.json"],
        "one.json:1: record 1: invalid JSON (column 146): key must be a string",
    );
}

#[test]
fn invalid_json_line_in_json_lines_names_the_line() {
    let dir = Dir::new();
    dir.write(
        "badline.jsonl",
        format!("{GOOD_LINE}\n{{\"id\": \"a-1\", \"problem\": \"p\"\n"),
    );
    assert_refused(
        &dir,
        &["badline.jsonl"],
        "badline.jsonl:2: record 1: invalid JSON at column 28: EOF while parsing an object",
    );
}

#[test]
fn a_missing_field_is_named_with_its_line() {
    let dir = Dir::new();
    dir.write(
        "missing.jsonl",
        format!(
            "{GOOD_LINE}\n{}\n{}\n",
            r#"{"id": "a-1", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": 0}"#,
            r#"{"id": "a-2", "generator": "g", "steps": ["s0", "s1"], "label": 0}"#
        ),
    );
    assert_refused(
        &dir,
        &["missing.jsonl"],
        "missing.jsonl:3: record 2, field `problem`: missing",
    );
}

#[test]
fn a_step_label_past_the_last_step_is_refused() {
    let dir = Dir::new();
    dir.write(
        "range.jsonl",
        format!(
            "{GOOD_LINE}\n{}\n",
            r#"{"id": "a-1", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": 2}"#
        ),
    );
    assert_refused(
        &dir,
        &["range.jsonl"],
        "range.jsonl:2: record 1, field `label`: 2 is not -1 or a step index (the solution has 2 steps, 0 to 1)",
    );
}

#[test]
fn a_negative_step_label_other_than_minus_one_is_refused() {
    let dir = Dir::new();
    dir.write(
        "negative.jsonl",
        format!(
            "{}\n",
            r#"{"id": "a-0", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": -2}"#
        ),
    );
    assert_refused(
        &dir,
        &["negative.jsonl"],
        "negative.jsonl:1: record 0, field `label`: -2 is not -1 or a step index (the solution has 2 steps, 0 to 1)",
    );
}

#[test]
fn steps_of_the_wrong_type_are_refused() {
    let dir = Dir::new();
    dir.write(
        "type.jsonl",
        format!(
            "{GOOD_LINE}\n{}\n",
            r#"{"id": "a-1", "generator": "g", "problem": "p", "steps": "s0 s1", "label": 0}"#
        ),
    );
    assert_refused(
        &dir,
        &["type.jsonl"],
        "type.jsonl:2: record 1, field `steps`: expected an array of step texts, found a string",
    );
}

#[test]
fn a_label_of_the_wrong_type_is_refused() {
    let dir = Dir::new();
    dir.write(
        "label.jsonl",
        format!(
            "{}\n",
            r#"{"id": "a-0", "generator": "g", "problem": "p", "steps": ["s0"], "label": "two"}"#
        ),
    );
    assert_refused(
        &dir,
        &["label.jsonl"],
        r#"label.jsonl:1: record 0, field `label`: expected an integer, found a string "two""#,
    );
}

#[test]
fn a_step_of_the_wrong_type_names_its_index() {
    let dir = Dir::new();
    dir.write(
        "step.json",
        "[\n  {\"id\": \"a-0\", \"generator\": \"g\", \"problem\": \"p\", \"steps\": [\"s0\", 7], \"label\": -1}\n]\n",
    );
    assert_refused(
        &dir,
        &["step.json"],
        "step.json:2: record 0, field `steps[1]`: expected a string, found a number",
    );
}

#[test]

fn a_duplicate_id_is_refused_with_its_line() {
    let dir = Dir::new();
    dir.write("twice.jsonl", format!("{GOOD_LINE}\n{GOOD_LINE}\n"));
    assert_refused(
        &dir,
        &["twice.jsonl"],
        "twice.jsonl:2: record 1: id `a-0` appears twice in this file",
    );
}

#[test]
fn an_empty_file_is_refused() {
    let dir = Dir::new();
    dir.write("empty.jsonl", "");
    assert_refused(&dir, &["empty.jsonl"], "empty.jsonl: the file is empty");
}

#[test]
fn a_file_of_blank_lines_is_refused_as_empty() {
    let dir = Dir::new();
    dir.write("blank.json", "\n  \n\t\n");
    assert_refused(&dir, &["blank.json"], "blank.json: the file is empty");
}

#[test]
fn an_empty_json_array_holds_no_records() {
    let dir = Dir::new();
    dir.write("none.json", "[]\n");
    assert_refused(&dir, &["none.json"], "none.json: the file holds no records");
}

#[test]
fn a_binary_file_is_refused() {
    let dir = Dir::new();
    dir.write("bin.json", b"\x7fELF\x02\x01\x01\x00\x00\x00binary");
    assert_refused(
        &dir,
        &["bin.json"],
        "bin.json: not a text file (binary content at byte 7)",
    );
}

#[test]
fn a_json_lines_record_over_the_size_limit_is_refused() {
    let dir = Dir::new();
    let long = format!(
        r#"{{"id": "a-1", "generator": "g", "problem": "{}", "steps": ["s0"], "label": -1}}"#,
        "x".repeat(10_000)
    );
    assert!(long.len() > 10_000);
    dir.write("big.jsonl", format!("{GOOD_LINE}\n{long}\n{GOOD_LINE}\n"));
    assert_refused(
        &dir,
        &["big.jsonl", "--max-record-bytes", "1024"],
        "big.jsonl:2: record 1: the line is longer than the 1 KiB limit on one record",
    );
}

#[test]
fn a_json_array_record_over_the_size_limit_is_refused() {
    let dir = Dir::new();
    let long = format!(
        r#"{{"id": "a-1", "generator": "g", "problem": "{}", "steps": ["s0"], "label": -1}}"#,
        "x".repeat(10_000)
    );
    dir.write("big.json", format!("[\n{GOOD_LINE},\n{long}\n]\n"));
    assert_refused(
        &dir,
        &["big.json", "--max-record-bytes", "1024"],
        "big.json:3: record 1: the record is larger than the 1 KiB limit on one record",
    );
}

#[test]
fn a_ragged_csv_row_is_refused() {
    let dir = Dir::new();
    dir.write(
        "ragged.csv",
        "question,steps,label\nq1,\"[\"\"a\"\",\"\"b\"\"]\",1\nq2,\"[\"\"a\"\"]\",1,extra\n",
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "ragged.csv",
            "--map",
            "question=question",
            "--map",
            "steps=steps",
            "--map",
            "label=label",
            "--label-base",
            "1",
        ])
        .fails();
    let (first, rest) = run.stderr.split_once('\n').expect("two lines");
    assert!(
        first.starts_with("error: ragged.csv:3: record 1: invalid CSV row: "),
        "{run:?}"
    );
    assert!(
        first.ends_with("found record with 4 fields, but the previous record has 3 fields"),
        "{run:?}"
    );
    assert_eq!(rest, format!("{NOTHING_IMPORTED}\n"));
    dir.assert_empty_project("p.sqlite");
}

#[test]
fn an_unknown_schema_asks_for_a_mapping() {
    let dir = Dir::new();
    dir.write(
        "unknown.jsonl",
        "{\"prompt\": \"p\", \"reply\": \"r\", \"score\": 3}\n",
    );
    assert_refused(
        &dir,
        &["unknown.jsonl"],
        "unknown.jsonl: the records are of no known data set (fields: prompt, reply, score); give a field mapping, e.g. --map question=FIELD --map steps=FIELD --map label=FIELD",
    );
}

#[test]
fn format_mapped_without_a_mapping_asks_for_one() {
    let dir = Dir::new();
    dir.write("unknown.jsonl", "{\"prompt\": \"p\", \"reply\": \"r\"}\n");
    assert_refused(
        &dir,
        &["unknown.jsonl", "--format", "mapped"],
        "unknown.jsonl: format `mapped` needs a field mapping (--map TARGET=FIELD or --mapping FILE)",
    );
}

#[test]
fn a_mapped_record_missing_a_nested_field_names_its_path() {
    let dir = Dir::new();
    dir.write(
        "nested.jsonl",
        "{\"q\": {\"text\": \"Q\"}, \"trace\": [\"a\"]}\n{\"q\": {\"title\": \"Q\"}, \"trace\": [\"a\"]}\n",
    );
    assert_refused(
        &dir,
        &[
            "nested.jsonl",
            "--map",
            "question=q.text",
            "--map",
            "steps=trace",
        ],
        "nested.jsonl:2: record 1, field `q.text`: missing",
    );
}

#[test]
fn a_mapped_label_before_the_first_step_number_is_refused() {
    let dir = Dir::new();
    dir.write(
        "base.jsonl",
        "{\"q\": \"Q\", \"trace\": [\"a\", \"b\"], \"bad\": 0}\n",
    );
    assert_refused(
        &dir,
        &[
            "base.jsonl",
            "--map",
            "question=q",
            "--map",
            "steps=trace",
            "--map",
            "label=bad",
            "--label-base",
            "1",
        ],
        "base.jsonl:1: record 0, field `bad`: 0 is below the first step number 1",
    );
}

#[test]
fn a_missing_file_is_refused() {
    let dir = Dir::new();
    let run = dir.run(&["import", "p.sqlite", "absent.jsonl"]).fails();
    assert!(
        run.stderr.starts_with("error: absent.jsonl: cannot open: "),
        "{run:?}"
    );
    assert!(
        run.stderr.ends_with(&format!("\n{NOTHING_IMPORTED}\n")),
        "{run:?}"
    );
    dir.assert_empty_project("p.sqlite");
}

#[test]
fn a_failed_import_keeps_the_data_already_in_the_project() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    let reports = dir.import("p.sqlite", &["gsm8k.json"]);
    assert_eq!(reports[0]["dataset"]["sample_count"], 4);
    let datasets_before = dir.datasets("p.sqlite");
    let samples_before = dir.samples("p.sqlite", &[]);
    assert_eq!(samples_before.total, 4);

    // The bad record is the last one: the three good records before it were already written to
    // the import's transaction, and must be rolled back.
    dir.write(
        "math.jsonl",
        format!(
            "{}\n{}\n{}\n{}\n",
            r#"{"id": "math-0", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": -1}"#,
            r#"{"id": "math-1", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": 0}"#,
            r#"{"id": "math-2", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": 1}"#,
            r#"{"id": "math-3", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": 7}"#,
        ),
    );
    let run = dir.run(&["import", "p.sqlite", "math.jsonl"]).fails();
    assert_eq!(
        run.stderr,
        format!(
            "error: math.jsonl:4: record 3, field `label`: 7 is not -1 or a step index (the solution has 2 steps, 0 to 1)\n{NOTHING_IMPORTED}\n"
        )
    );

    assert_eq!(dir.datasets("p.sqlite"), datasets_before);
    let samples_after = dir.samples("p.sqlite", &[]);
    assert_eq!(samples_after.total, 4);
    assert_eq!(samples_after.rows, samples_before.rows);
    assert_eq!(
        samples_after.ids(),
        ["gsm8k-0", "gsm8k-1", "gsm8k-2", "gsm8k-3"]
    );
    assert_eq!(
        dir.samples("p.sqlite", &["--search", "math"]).total,
        0,
        "no sample of the refused file may be searchable"
    );

    // Fixed, the same file's records import, and the first data set is still whole.
    dir.write(
        "math.jsonl",
        format!(
            "{}\n",
            r#"{"id": "math-0", "generator": "g", "problem": "p", "steps": ["s0", "s1"], "label": -1}"#
        ),
    );
    dir.import("p.sqlite", &["math.jsonl"]);
    assert_eq!(dir.samples("p.sqlite", &[]).total, 5);
    assert_eq!(dir.datasets("p.sqlite").len(), 2);
}

#[test]
fn with_several_files_the_ones_before_a_bad_file_are_kept() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    dir.write("empty.json", "");
    dir.write(
        "never.jsonl",
        format!(
            "{}\n",
            r#"{"id": "n-0", "generator": "g", "problem": "p", "steps": ["s0"], "label": -1}"#
        ),
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "gsm8k.json",
            "empty.json",
            "never.jsonl",
        ])
        .fails();
    assert_eq!(
        run.stdout,
        "gsm8k.json: imported 4 records as 4 samples (format processbench, data set 1)\n  ground truth: -1 1, 0 1, 1 1, 3 1\n"
    );
    assert_eq!(
        run.stderr,
        format!("error: empty.json: the file is empty\n{NOTHING_IMPORTED}\n")
    );
    let datasets = dir.datasets("p.sqlite");
    assert_eq!(datasets.len(), 1, "{datasets:?}");
    assert_eq!(datasets[0]["name"], "gsm8k");
    assert_eq!(datasets[0]["sample_count"], 4);
    assert_eq!(dir.samples("p.sqlite", &[]).total, 4);
}
