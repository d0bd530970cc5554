//! Unknown schemas through a field mapping: `--map` pairs on a CSV file (steps as a JSON list
//! string, labels counted from 1), nested JSON fields, a `--mapping` TOML file, and a Parquet
//! file written here with the arrow and parquet crates. The imported samples' ground truth is
//! read back through `fare-lens samples --json`.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;

use crate::support::{Dir, golds};

#[test]
fn csv_with_one_based_labels_and_json_list_steps() {
    let dir = Dir::new();
    // A quoted question over two lines; an empty label cell is "no ground truth".
    dir.write(
        "steps.csv",
        concat!(
            "uid,problem,trace,first_bad\n",
            "c-1,q1,\"[\"\"a\"\", \"\"b\"\", \"\"c\"\"]\",2\n",
            "c-2,q2,\"[\"\"a\"\", \"\"b\"\"]\",-1\n",
            "c-3,\"two\nlines\",\"[\"\"a\"\"]\",1\n",
            "c-4,q4,\"[\"\"a\"\", \"\"b\"\"]\",\n",
        ),
    );
    let reports = dir.import(
        "p.sqlite",
        &[
            "steps.csv",
            "--map",
            "id=uid",
            "--map",
            "question=problem",
            "--map",
            "steps=trace",
            "--map",
            "label=first_bad",
            "--label-base",
            "1",
        ],
    );
    assert_eq!(reports[0]["format"], "mapped");
    assert_eq!(reports[0]["dataset"]["format"], "mapped");
    assert_eq!(reports[0]["dataset"]["record_count"], 4);
    assert_eq!(reports[0]["dataset"]["sample_count"], 4);
    let samples = dir.samples("p.sqlite", &[]);
    // Labels 2, -1, 1 counted from 1 are first errors at steps 1, none, 0 counted from 0.
    assert_eq!(
        samples.golds(),
        golds(&[
            ("c-1", Some("1")),
            ("c-2", Some("-1")),
            ("c-3", Some("0")),
            ("c-4", None),
        ])
    );
    let step_counts: Vec<_> = samples.rows.iter().map(|r| &r["step_count"]).collect();
    assert_eq!(step_counts, [3, 2, 1, 2]);
    assert!(samples.rows.iter().all(|r| r["task"] == "step-level"));
    assert_eq!(samples.rows[2]["question"], "two\nlines");
}

#[test]
fn csv_label_past_the_last_step_counted_from_one_is_refused() {
    let dir = Dir::new();
    dir.write(
        "steps.csv",
        "problem,trace,first_bad\nq1,\"[\"\"a\"\", \"\"b\"\"]\",2\nq2,\"[\"\"a\"\", \"\"b\"\"]\",3\n",
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "steps.csv",
            "--map",
            "question=problem",
            "--map",
            "steps=trace",
            "--map",
            "label=first_bad",
            "--label-base",
            "1",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: steps.csv:3: record 1, field `first_bad`: step 3 is past the last step (the solution has 2 steps, numbered from 1)\nnothing of this file was imported\n"
    );
    dir.assert_empty_project("p.sqlite");
}

#[test]
fn json_lines_with_nested_fields() {
    let dir = Dir::new();
    dir.write(
        "nested.jsonl",
        concat!(
            r#"{"q": {"text": "Q1", "id": "n-1"}, "trace": ["a", "b"], "first_bad": 1, "extra": true}"#,
            "\n",
            r#"{"q": {"text": "Q2", "id": "n-2"}, "trace": ["a", "b", "c"], "first_bad": -1}"#,
            "\n",
            r#"{"q": {"text": "Q3", "id": "n-3"}, "trace": ["a"], "first_bad": null}"#,
            "\n",
        ),
    );
    dir.import(
        "p.sqlite",
        &[
            "nested.jsonl",
            "--map",
            "id=q.id",
            "--map",
            "question=q.text",
            "--map",
            "steps=trace",
            "--map",
            "label=first_bad",
        ],
    );
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(
        samples.golds(),
        golds(&[("n-1", Some("1")), ("n-2", Some("-1")), ("n-3", None)])
    );
    let questions: Vec<_> = samples.rows.iter().map(|r| &r["question"]).collect();
    assert_eq!(questions, ["Q1", "Q2", "Q3"]);
    assert_eq!(dir.samples("p.sqlite", &["--search", "Q2"]).ids(), ["n-2"]);
}

#[test]
fn a_mapping_file_for_pairwise_records() {
    let dir = Dir::new();
    dir.write(
        "pairs.mapping.toml",
        r#"
task = "pairwise"
label_values = { "1" = "A", "2" = "B" }

[fields]
id = "uid"
question = "prompt"
response_a = "first"
response_b = "second"
label = "winner"
source = "origin"
"#,
    );
    dir.write(
        "pairs.jsonl",
        concat!(
            r#"{"uid": "p-1", "prompt": "Q1", "first": "A1", "second": "B1", "winner": 1, "origin": "math"}"#,
            "\n",
            r#"{"uid": "p-2", "prompt": "Q2", "first": "A2", "second": "B2", "winner": 2, "origin": "code"}"#,
            "\n",
            r#"{"uid": "p-3", "prompt": "Q3", "first": "A3", "second": "B3", "winner": "B>A", "origin": "code"}"#,
            "\n",
        ),
    );
    dir.import(
        "p.sqlite",
        &["pairs.jsonl", "--mapping", "pairs.mapping.toml"],
    );
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(
        samples.golds(),
        golds(&[("p-1", Some("A")), ("p-2", Some("B")), ("p-3", Some("B"))])
    );
    assert!(samples.rows.iter().all(|r| r["task"] == "pairwise"));
    assert_eq!(dir.samples("p.sqlite", &["--source", "code"]).total, 2);

    // A winner that is neither 1 nor 2 is refused with the field named and the values mapped.
    dir.write(
        "tie.jsonl",
        r#"{"uid": "p-9", "prompt": "Q", "first": "A", "second": "B", "winner": 3}"#,
    );
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "tie.jsonl",
            "--mapping",
            "pairs.mapping.toml",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: tie.jsonl:1: record 0, field `winner`: a number 3 is not A, B or a tie (nor one of the values label_values maps: 1, 2)\nnothing of this file was imported\n"
    );
    assert_eq!(dir.samples("p.sqlite", &[]).total, 3);

    // Without the map, a number is not guessed to be A or B: the error says how to say it.
    let run = dir
        .run(&[
            "import",
            "q.sqlite",
            "pairs.jsonl",
            "--map",
            "question=prompt",
            "--map",
            "response_a=first",
            "--map",
            "response_b=second",
            "--map",
            "label=winner",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: pairs.jsonl:1: record 0, field `winner`: `1` is a number, not A or B: say which number is A, B or a tie with label_values (e.g. --label-value 1=A --label-value 2=B --label-value 0=tie)\nnothing of this file was imported\n"
    );
}

#[test]
fn a_bad_mapping_file_is_refused_before_anything_is_read() {
    let dir = Dir::new();
    dir.write("bad.toml", "[fields]\nquestoin = \"q\"\nsteps = \"s\"\n");
    dir.write("data.jsonl", "{\"q\": \"Q\", \"s\": [\"a\"]}\n");
    let run = dir
        .run(&["import", "p.sqlite", "data.jsonl", "--mapping", "bad.toml"])
        .fails();
    assert_eq!(
        run.stderr,
        "error: bad.toml: unknown mapping target `questoin` (known: id, question, steps, response, response_a, response_b, reference, rubric, label, source)\n"
    );
}

#[test]
fn command_line_pairs_override_the_mapping_file() {
    let dir = Dir::new();
    dir.write(
        "m.toml",
        "label_base = 1\n[fields]\nquestion = \"q\"\nsteps = \"s\"\nlabel = \"wrong\"\n",
    );
    dir.write(
        "data.jsonl",
        "{\"id\": \"x\", \"q\": \"Q\", \"s\": [\"a\", \"b\"], \"wrong\": 9, \"first_bad\": 2}\n",
    );
    dir.import(
        "p.sqlite",
        &[
            "data.jsonl",
            "--mapping",
            "m.toml",
            "--map",
            "label=first_bad",
            "--map",
            "id=id",
        ],
    );
    assert_eq!(
        dir.samples("p.sqlite", &[]).golds(),
        golds(&[("x", Some("1"))])
    );
}

#[test]
fn verification_records_with_boolean_labels() {
    let dir = Dir::new();
    dir.write(
        "verify.jsonl",
        concat!(
            r#"{"k": "v-1", "q": "Q1", "a": "42", "ok": true}"#,
            "\n",
            r#"{"k": "v-2", "q": "Q2", "a": "41", "ok": "incorrect"}"#,
            "\n",
            r#"{"k": "v-3", "q": "Q3", "a": "7", "ok": 1}"#,
            "\n",
        ),
    );
    dir.import(
        "p.sqlite",
        &[
            "verify.jsonl",
            "--map",
            "id=k",
            "--map",
            "question=q",
            "--map",
            "response=a",
            "--map",
            "label=ok",
        ],
    );
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(
        samples.golds(),
        golds(&[
            ("v-1", Some("correct")),
            ("v-2", Some("incorrect")),
            ("v-3", Some("correct")),
        ])
    );
    assert!(samples.rows.iter().all(|r| r["task"] == "reference-free"));
}

/// A Parquet file of step-level records: `id`, `question`, `steps` (a list of strings),
/// `label` (nullable integer), `verified` (an unmapped column, kept as metadata).
fn write_step_parquet(path: &std::path::Path) {
    let mut steps = ListBuilder::new(StringBuilder::new());
    for trace in [&["a", "b", "c"][..], &["a", "b"][..], &["a"][..]] {
        for step in trace {
            steps.values().append_value(step);
        }
        steps.append(true);
    }
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(StringArray::from(vec!["pq-1", "pq-2", "pq-3"])) as ArrayRef,
        ),
        (
            "question",
            Arc::new(StringArray::from(vec!["Q1", "Q2", "Q3"])) as ArrayRef,
        ),
        ("steps", Arc::new(steps.finish()) as ArrayRef),
        (
            "label",
            Arc::new(Int64Array::from(vec![Some(2), Some(-1), None])) as ArrayRef,
        ),
        (
            "verified",
            Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
        ),
    ])
    .expect("a record batch");
    let file = std::fs::File::create(path).expect("create the Parquet file");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("a Parquet writer");
    writer.write(&batch).expect("write the batch");
    writer.close().expect("close the Parquet file");
}

#[test]
fn parquet_with_a_list_column_of_steps() {
    let dir = Dir::new();
    write_step_parquet(&dir.path().join("steps.parquet"));
    let reports = dir.import(
        "p.sqlite",
        &[
            "steps.parquet",
            "--map",
            "id=id",
            "--map",
            "question=question",
            "--map",
            "steps=steps",
            "--map",
            "label=label",
        ],
    );
    assert_eq!(reports[0]["container"], "parquet");
    assert_eq!(reports[0]["dataset"]["record_count"], 3);
    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(
        samples.golds(),
        golds(&[("pq-1", Some("2")), ("pq-2", Some("-1")), ("pq-3", None)])
    );
    let step_counts: Vec<_> = samples.rows.iter().map(|r| &r["step_count"]).collect();
    assert_eq!(step_counts, [3, 2, 1]);
}

#[test]
fn parquet_records_are_named_by_row_when_bad() {
    let dir = Dir::new();
    write_step_parquet(&dir.path().join("steps.parquet"));
    // The `verified` column holds booleans, not step numbers: the first row is refused, named by
    // its record number (Parquet has no lines).
    let run = dir
        .run(&[
            "import",
            "p.sqlite",
            "steps.parquet",
            "--map",
            "question=question",
            "--map",
            "steps=steps",
            "--map",
            "label=verified",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: steps.parquet: record 0, field `verified`: a boolean true is not a step number\nnothing of this file was imported\n"
    );
    dir.assert_empty_project("p.sqlite");
}
