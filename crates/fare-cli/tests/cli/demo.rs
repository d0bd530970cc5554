//! The demo project: `fare-lens demo` builds it, `report --json` gives the metrics of its
//! hand-written evaluator outputs (checked by hand below), its verdicts can be accepted, and
//! after a few annotations every export format writes the rows its `--json` summary counts.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::Dir;

/// The `report --json` group of `task` over the whole data set (no source).
#[track_caller]
fn whole_group<'r>(report: &'r Value, task: &str) -> &'r Value {
    report["groups"]
        .as_array()
        .and_then(|groups| {
            groups
                .iter()
                .find(|g| g["task"] == task && g["source"].is_null())
        })
        .unwrap_or_else(|| panic!("no {task} group in {report}"))
}

/// The evaluator run that judged the demo sample `external_id` (the newest, when several did),
/// read from the project file: `annotate --accept` needs it (see
/// `a_demo_step_verdict_can_be_accepted`).
#[track_caller]
fn run_of(dir: &Dir, external_id: &str) -> String {
    let project =
        fare_store::Project::open(&dir.path().join("demo.sqlite")).expect("open the demo project");
    let run: i64 = project
        .connection()
        .query_row(
            "SELECT max(j.run_id) FROM judgments j JOIN samples s ON s.id = j.sample_id
             WHERE s.external_id = ?1",
            [external_id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("no run judged {external_id}: {e}"));
    run.to_string()
}

#[track_caller]
fn assert_close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!(
        (actual - expected).abs() < 1e-12,
        "{actual} is not {expected}"
    );
}

#[test]
fn the_demo_builds_and_shows_its_samples_and_report() {
    let dir = Dir::new();
    let run = dir.demo("demo.sqlite");
    assert!(
        run.stdout
            .starts_with("demo project written to demo.sqlite\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("\n17 of 17 samples\n"), "{run:?}");
    assert!(
        run.stdout
            .contains("ProcessBench mean F1 over splits: 50.0\n"),
        "{run:?}"
    );
    assert!(dir.path().join("demo.sqlite").exists());

    let datasets = dir.datasets("demo.sqlite");
    let names: Vec<_> = datasets.iter().map(|d| &d["name"]).collect();
    assert_eq!(names, ["step-level", "pairwise", "verification", "rating"]);
    let counts: Vec<_> = datasets.iter().map(|d| &d["sample_count"]).collect();
    assert_eq!(counts, [6, 4, 4, 3]);
    assert_eq!(dir.samples("demo.sqlite", &[]).total, 17);

    // Building it again replaces it rather than adding to it.
    dir.demo("demo.sqlite");
    assert_eq!(dir.datasets("demo.sqlite").len(), 4);
    assert_eq!(dir.samples("demo.sqlite", &[]).total, 17);
}

#[test]
fn the_demo_report_matches_the_hand_computed_metrics() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let report = dir.json(&["report", "demo.sqlite", "--json"]);

    // Step level, by hand from assets/demo/step-level.json (gold) and the demo's hand-written
    // evaluator outputs (verdicts; EXAMPLE_OUTPUTS in crates/fare-app/src/demo.rs, which reads
    // them from assets/demo/example-judgments.*.jsonl):
    //
    //   sample       gold  verdict  judged as
    //   demo-step-0   -1     -1     correct solution, right
    //   demo-step-1    1      1     erroneous, right step
    //   demo-step-2   -1      -     not judged
    //   demo-step-3    1      2     erroneous, wrong step
    //   demo-step-4    2     -1     erroneous, error missed
    //   demo-step-5   -1      -     not judged
    //
    // Erroneous judged: 3, right 1 -> error accuracy 1/3. Correct judged: 1, right 1 -> correct
    // accuracy 1. F1 = 2 * (1/3 * 1) / (1/3 + 1) = (2/3) / (4/3) = 1/2.
    let step = whole_group(&report, "step-level");
    assert_eq!(step["dataset"], "step-level");
    assert_eq!(step["samples"], 6);
    assert_eq!(step["judged"], 4);
    assert_eq!(step["with_gold"], 6);
    let pb = &step["processbench"];
    assert_eq!(pb["n_erroneous"], 3);
    assert_eq!(pb["n_correct"], 1);
    assert_eq!(pb["n_failed"], 0);
    assert_close(&pb["error_accuracy"], 1.0 / 3.0);
    assert_close(&pb["correct_accuracy"], 1.0);
    assert_close(&pb["f1"], 0.5);
    assert_close(&report["processbench_mean_f1"], 0.5);

    // Pairwise, original response order: demo-pair-0 gold A (A>B), verdict [A]: right;
    // demo-pair-1 gold B (B>A), verdict [A]: wrong; demo-pair-2 and -3 not judged. Accuracy 1/2.
    let pair = whole_group(&report, "pairwise");
    assert_eq!(pair["samples"], 4);
    assert_eq!(pair["judged"], 2);
    assert_eq!(pair["pairwise"]["n"], 2);
    assert_close(&pair["pairwise"]["accuracy_original"], 0.5);

    assert_eq!(whole_group(&report, "reference-based")["samples"], 4);
    assert_eq!(whole_group(&report, "rating")["samples"], 3);

    // What people decided shows in the report: one accepted (from the run that judged it, see
    // `a_demo_step_verdict_can_be_accepted`), one corrected.
    let run = run_of(&dir, "demo-step-0");
    dir.run(&[
        "annotate",
        "demo.sqlite",
        "demo-step-0",
        "--accept",
        "--run",
        &run,
        "--annotator",
        "ana",
    ])
    .ok();
    dir.run(&[
        "annotate",
        "demo.sqlite",
        "demo-pair-1",
        "--verdict",
        "B",
        "--annotator",
        "ana",
    ])
    .ok();
    let report = dir.json(&["report", "demo.sqlite", "--json"]);
    let step = whole_group(&report, "step-level");
    assert_eq!(
        (&step["accepted"], &step["corrected"]),
        (&json!(1), &json!(0))
    );
    let pair = whole_group(&report, "pairwise");
    assert_eq!(
        (&pair["accepted"], &pair["corrected"]),
        (&json!(0), &json!(1))
    );
}

#[test]

fn a_demo_step_verdict_can_be_accepted() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let run = dir
        .run(&[
            "annotate",
            "demo.sqlite",
            "demo-step-1",
            "--accept",
            "--annotator",
            "ana",
        ])
        .ok();
    assert_eq!(run.stdout, "sample 2 by ana: accepted 1\n");
    let run = dir
        .run(&[
            "annotate",
            "demo.sqlite",
            "demo-pair-0",
            "--accept",
            "--annotator",
            "ana",
        ])
        .ok();
    assert_eq!(run.stdout, "sample 7 by ana: accepted A\n");
    let accepted = dir.samples("demo.sqlite", &["--review", "accepted"]);
    assert_eq!(accepted.ids(), ["demo-step-1", "demo-pair-0"]);
}

#[test]
fn a_demo_step_verdict_can_be_accepted_from_its_run() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let judged_by = run_of(&dir, "demo-step-1");
    let run = dir
        .run(&[
            "annotate",
            "demo.sqlite",
            "demo-step-1",
            "--accept",
            "--run",
            &judged_by,
            "--annotator",
            "ana",
        ])
        .ok();
    assert_eq!(run.stdout, "sample 2 by ana: accepted 1\n");
    let accepted = dir.samples("demo.sqlite", &["--review", "accepted"]);
    assert_eq!(accepted.ids(), ["demo-step-1"]);
    assert_eq!(accepted.rows[0]["decision"], "accepted");
}

#[test]
fn a_demo_pair_verdict_can_be_accepted_from_its_run() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let judged_by = run_of(&dir, "demo-pair-0");
    let label = dir.json(&[
        "annotate",
        "demo.sqlite",
        "demo-pair-0",
        "--accept",
        "--run",
        &judged_by,
        "--annotator",
        "ana",
        "--json",
    ]);
    assert_eq!(label["sample_id"], 7);
    assert_eq!(label["label"]["decision"], "accepted");
    assert_eq!(label["label"]["verdict"], json!({"pick": "A"}));
}

/// Lines of a text file, each of which must be a JSON object.
#[track_caller]
fn json_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        text.ends_with('\n'),
        "{} does not end a line",
        path.display()
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Runs one export, which must succeed, and checks its summary's fixed fields.
#[track_caller]
fn export(dir: &Dir, format: &str, output: &str) -> Value {
    let summary = dir.json(&[
        "export",
        "demo.sqlite",
        "--format",
        format,
        "-o",
        output,
        "--json",
    ]);
    assert_eq!(summary["format"], format);
    assert_eq!(summary["path"], output);
    assert_eq!(summary["samples"], 17);
    summary
}

#[test]
fn every_export_writes_the_rows_it_reports() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let pair_run = run_of(&dir, "demo-pair-0");
    let annotations: [&[&str]; 5] = [
        // Accepts the evaluator's [A].
        &[
            "demo-pair-0",
            "--accept",
            "--run",
            &pair_run,
            "--annotator",
            "ana",
        ],
        // Overrules the evaluator's [A].
        &["demo-pair-1", "--verdict", "B", "--annotator", "ana"],
        // Overrules the evaluator's -1 (gold 2), by two people.
        &["demo-step-4", "--verdict", "2", "--annotator", "ana"],
        &["demo-step-4", "--verdict", "2", "--annotator", "bob"],
        // A tag only: a label row, but no confirmed verdict.
        &["demo-step-2", "--tag", "false-alarm", "--annotator", "ana"],
    ];
    for action in annotations {
        let mut args = vec!["annotate", "demo.sqlite"];
        args.extend_from_slice(action);
        dir.run(&args).ok();
    }

    // Labels: one row per sample and annotator: 17 samples, demo-step-4 twice.
    let summary = export(&dir, "labels-jsonl", "labels.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(18), &json!(0))
    );
    let rows = json_lines(&dir.path().join("labels.jsonl"));
    assert_eq!(rows.len(), 18);
    let mut per_sample: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &rows {
        per_sample
            .entry(row["external_id"].as_str().unwrap_or_default())
            .or_default()
            .push(row["annotator"].as_str().unwrap_or("-"));
    }
    assert_eq!(per_sample.len(), 17);
    assert_eq!(per_sample["demo-step-4"], ["ana", "bob"]);
    assert_eq!(per_sample["demo-step-2"], ["ana"]);
    assert_eq!(per_sample["demo-step-0"], ["-"]);

    let summary = export(&dir, "labels-csv", "labels.csv");
    assert_eq!(summary["rows"], 18);
    let mut reader = csv::Reader::from_path(dir.path().join("labels.csv")).expect("open the CSV");
    let headers = reader.headers().expect("a header row").clone();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("well-formed CSV");
    assert_eq!(records.len(), 18);
    let id_column = headers
        .iter()
        .position(|h| h == "external_id")
        .expect("an external_id column");
    let step_4_rows = records
        .iter()
        .filter(|r| r.get(id_column) == Some("demo-step-4"))
        .count();
    assert_eq!(step_4_rows, 2);

    let summary = export(&dir, "labels-parquet", "labels.parquet");
    assert_eq!(summary["rows"], 18);
    let file = std::fs::File::open(dir.path().join("labels.parquet")).expect("open the Parquet");
    let batches = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("a Parquet reader");
    let parquet_rows: usize = batches.map(|b| b.expect("a record batch").num_rows()).sum();
    assert_eq!(parquet_rows, 18);

    // SFT: one line per sample with a confirmed (accepted or corrected) label.
    let summary = export(&dir, "sft-jsonl", "sft.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(3), &json!(14))
    );
    let lines = json_lines(&dir.path().join("sft.jsonl"));
    assert_eq!(lines.len(), 3);
    let samples: Vec<_> = lines.iter().map(|l| &l["sample"]).collect();
    assert_eq!(samples, ["demo-step-4", "demo-pair-0", "demo-pair-1"]);
    let kinds: Vec<_> = lines.iter().map(|l| &l["kind"]).collect();
    assert_eq!(kinds, ["direct", "critique", "direct"]);
    assert_eq!(lines[1]["messages"][2]["role"], "assistant");

    // Preference: one line per sample whose confirmed verdict overrules the evaluator's.
    let summary = export(&dir, "preference-jsonl", "preference.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(2), &json!(15))
    );
    let lines = json_lines(&dir.path().join("preference.jsonl"));
    assert_eq!(lines.len(), 2);
    let samples: Vec<_> = lines.iter().map(|l| &l["sample"]).collect();
    assert_eq!(samples, ["demo-step-4", "demo-pair-1"]);
    assert_eq!(
        lines[1]["rejected"][0]["content"],
        "Explanation: Both mention the elements; I prefer the first answer's directness, [B] over-explains.\nVerdict: [A]"
    );
}

#[test]
fn exports_of_one_annotator_hold_only_their_labels() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    for annotator in ["ana", "bob"] {
        dir.run(&[
            "annotate",
            "demo.sqlite",
            "demo-step-4",
            "--verdict",
            "2",
            "--annotator",
            annotator,
        ])
        .ok();
    }
    dir.run(&[
        "annotate",
        "demo.sqlite",
        "demo-pair-1",
        "--verdict",
        "B",
        "--annotator",
        "bob",
    ])
    .ok();
    let summary = dir.json(&[
        "export",
        "demo.sqlite",
        "--format",
        "sft-jsonl",
        "-o",
        "ana.jsonl",
        "--annotator",
        "ana",
        "--json",
    ]);
    assert_eq!(summary["rows"], 1);
    let lines = json_lines(&dir.path().join("ana.jsonl"));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["annotator"], "ana");
    assert_eq!(lines[0]["sample"], "demo-step-4");

    let run = dir
        .run(&[
            "export",
            "demo.sqlite",
            "--format",
            "labels-xml",
            "-o",
            "x.xml",
        ])
        .fails();
    assert_eq!(
        run.stderr,
        "error: unknown export format `labels-xml` (expected one of: labels-jsonl, labels-csv, labels-parquet, sft-jsonl, preference-jsonl)\n"
    );
    assert!(!dir.path().join("x.xml").exists());
}
