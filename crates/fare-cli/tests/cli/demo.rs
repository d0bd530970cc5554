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
        .raw_connection()
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
    // The listing shows its first 50 of 28 + 26 + 26 + 26 + 26 samples.
    assert!(run.stdout.contains("\n50 of 132 samples\n"), "{run:?}");
    // 88/133 (see the_demo_report_matches_the_hand_computed_metrics), rounded.
    assert!(
        run.stdout
            .contains("ProcessBench mean F1 over splits: 66.2\n"),
        "{run:?}"
    );
    assert!(dir.path().join("demo.sqlite").exists());

    let datasets = dir.datasets("demo.sqlite");
    let names: Vec<_> = datasets.iter().map(|d| &d["name"]).collect();
    assert_eq!(
        names,
        [
            "step-level",
            "pairwise",
            "reference-free",
            "reference-based",
            "rating"
        ]
    );
    let counts: Vec<_> = datasets.iter().map(|d| &d["sample_count"]).collect();
    // Reference-based: 13 questions with two model solutions each.
    assert_eq!(counts, [28, 26, 26, 26, 26]);
    assert_eq!(dir.samples("demo.sqlite", &[]).total, 132);

    // Building it again replaces it rather than adding to it.
    dir.demo("demo.sqlite");
    assert_eq!(dir.datasets("demo.sqlite").len(), 5);
    assert_eq!(dir.samples("demo.sqlite", &[]).total, 132);
}

#[test]
fn the_demo_report_matches_the_hand_computed_metrics() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let report = dir.json(&["report", "demo.sqlite", "--json"]);

    // Step level, by hand from assets/demo/step-level.json (gold `label`) and
    // assets/demo/example-judgments.step-level.jsonl (the last `Verdict:` line of each output):
    //
    //   gold -1 (14 traces: steps 0, 2, 5, 6, 9, 11, 13, 15, 16, 18, 20, 21, 23, 26)
    //     verdict -1: 11; false alarms: demo-step-6 (1), demo-step-20 (2);
    //     unparseable: demo-step-16 ("Verdict: the solution is correct")
    //   gold k (14 traces: steps 1, 3, 4, 7, 8, 10, 12, 14, 17, 19, 22, 24, 25, 27)
    //     right step: 1, 7, 8, 10, 12, 17, 22, 25 = 8; too late: demo-step-3 (gold 1, said 2);
    //     too early: demo-step-14 (1, said 0), demo-step-27 (2, said 1);
    //     missed: demo-step-4 (2), demo-step-19 (1); truncated: demo-step-24
    //
    // Error accuracy 8/14, correct accuracy 11/14, two failed (counted wrong).
    // F1 = 2 * (8/14 * 11/14) / (8/14 + 11/14) = (176/196) / (19/14) = 88/133.
    let step = whole_group(&report, "step-level");
    assert_eq!(step["dataset"], "step-level");
    assert_eq!(step["samples"], 28);
    assert_eq!(step["judged"], 28);
    assert_eq!(step["with_gold"], 28);
    let pb = &step["processbench"];
    assert_eq!(pb["n_erroneous"], 14);
    assert_eq!(pb["n_correct"], 14);
    assert_eq!(pb["n_failed"], 2);
    assert_close(&pb["error_accuracy"], 8.0 / 14.0);
    assert_close(&pb["correct_accuracy"], 11.0 / 14.0);
    assert_close(&pb["f1"], 88.0 / 133.0);
    // One split (the data set), so the mean is its F1.
    assert_close(&report["processbench_mean_f1"], 88.0 / 133.0);
    // The same counts by where the verdict falls against the first error.
    assert_eq!(
        step["first_error"]["buckets"],
        json!({"exact": 8, "early": 2, "late": 1, "missed_error": 2, "false_alarm": 2,
               "correct_no_error": 11, "failed": 2})
    );

    // Pairwise, from assets/demo/pairwise.jsonl and example-judgments.pairwise.jsonl: all 26
    // pairs judged in the original order, demo-pair-0 to -21 also swapped.
    //   pairs 0-15: right in both orders;
    //   16, 18 (gold A) and 17 (gold B): [A] in both orders, a position-bias flip each, so
    //     16 and 18 are right only in the original order, 17 only swapped;
    //   19, 20: the same wrong response in both orders;
    //   21: right in the original order, unparseable swapped;
    //   22, 23, 25 right, 24 wrong (original order only).
    // Original order right: 16 + 2 (16, 18) + 1 (21) + 3 = 22 of 26.
    // Swapped right: 16 + 1 (17) = 17 of 22; right in both: 16 of 22.
    // Same pick in both orders: 16 + 2 (19, 20) = 18 of 22.
    let pair = whole_group(&report, "pairwise");
    assert_eq!(pair["samples"], 26);
    assert_eq!(pair["judged"], 26);
    let pw = &pair["pairwise"];
    assert_eq!(pw["n"], 26);
    assert_eq!(pw["n_with_swap"], 22);
    assert_eq!(pw["flips"], 3);
    assert_eq!(pw["n_failed"], 1);
    assert_close(&pw["accuracy_original"], 22.0 / 26.0);
    assert_close(&pw["accuracy_swapped"], 17.0 / 22.0);
    assert_close(&pw["consistent_accuracy"], 16.0 / 22.0);
    assert_close(&pw["consistency"], 18.0 / 22.0);

    // Reference-free: 14 correct responses (12 judged correct, demo-free-13 rejected,
    // demo-free-23 unparseable), 12 incorrect (10 caught, demo-free-14 and -25 missed).
    // Accuracy (12 + 10) / 26.
    let free = whole_group(&report, "reference-free");
    assert_eq!(free["samples"], 26);
    let v = &free["verification"];
    assert_eq!(
        v["confusion"],
        json!({"gold_correct": {"correct": 12, "incorrect": 1, "failed": 1},
               "gold_incorrect": {"correct": 2, "incorrect": 10, "failed": 0}})
    );
    assert_close(&v["accuracy"], 22.0 / 26.0);

    // Reference-based: 13 right solutions (12 accepted, 7/demo_model_a rejected), 13 wrong
    // ones (11 caught, 1/ and 9/demo_model_b missed). Eight samples (questions 2, 3, 5 and 11)
    // were judged three times; their majorities agree with the first attempt, four of them
    // 3 of 3 and four 2 of 3, so the mean agreement is (4 + 4 * 2/3) / 8 = 5/6.
    let based = whole_group(&report, "reference-based");
    assert_eq!(based["samples"], 26);
    assert_close(&based["verification"]["accuracy"], 23.0 / 26.0);
    assert_close(&based["mean_agreement"], 5.0 / 6.0);

    // Rating: 25 verdicts (demo-rate-17 wrote "Verdict: high"); the absolute differences from
    // the gold score are 4 for demo-rate-3, -12 and -20, 1 for six samples and 0 for sixteen,
    // so MAE (12 + 6) / 25 and 16 of 26 exact (the unparseable one counts as a miss).
    let rating = whole_group(&report, "rating");
    assert_eq!(rating["samples"], 26);
    assert_eq!(rating["rating"]["n_failed"], 1);
    assert_close(&rating["rating"]["mae"], 18.0 / 25.0);
    assert_close(&rating["rating"]["exact_agreement"], 16.0 / 26.0);

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
        "demo-pair-17",
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
    // 28 step-level samples come first.
    assert_eq!(run.stdout, "sample 29 by ana: accepted A\n");
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
    assert_eq!(label["sample_id"], 29);
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
    assert_eq!(summary["samples"], 132);
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
        // Overrules the evaluator's [A] (gold B).
        &["demo-pair-17", "--verdict", "B", "--annotator", "ana"],
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

    // Labels: one row per sample and annotator: 132 samples, demo-step-4 twice.
    let summary = export(&dir, "labels-jsonl", "labels.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(133), &json!(0))
    );
    let rows = json_lines(&dir.path().join("labels.jsonl"));
    assert_eq!(rows.len(), 133);
    let mut per_sample: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &rows {
        per_sample
            .entry(row["external_id"].as_str().unwrap_or_default())
            .or_default()
            .push(row["annotator"].as_str().unwrap_or("-"));
    }
    assert_eq!(per_sample.len(), 132);
    assert_eq!(per_sample["demo-step-4"], ["ana", "bob"]);
    assert_eq!(per_sample["demo-step-2"], ["ana"]);
    assert_eq!(per_sample["demo-step-0"], ["-"]);

    let summary = export(&dir, "labels-csv", "labels.csv");
    assert_eq!(summary["rows"], 133);
    let mut reader = csv::Reader::from_path(dir.path().join("labels.csv")).expect("open the CSV");
    let headers = reader.headers().expect("a header row").clone();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("well-formed CSV");
    assert_eq!(records.len(), 133);
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
    assert_eq!(summary["rows"], 133);
    let file = std::fs::File::open(dir.path().join("labels.parquet")).expect("open the Parquet");
    let batches = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("a Parquet reader");
    let parquet_rows: usize = batches.map(|b| b.expect("a record batch").num_rows()).sum();
    assert_eq!(parquet_rows, 133);

    // SFT: one line per sample with a confirmed (accepted or corrected) label.
    let summary = export(&dir, "sft-jsonl", "sft.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(3), &json!(129))
    );
    let lines = json_lines(&dir.path().join("sft.jsonl"));
    assert_eq!(lines.len(), 3);
    let samples: Vec<_> = lines.iter().map(|l| &l["sample"]).collect();
    assert_eq!(samples, ["demo-step-4", "demo-pair-0", "demo-pair-17"]);
    let kinds: Vec<_> = lines.iter().map(|l| &l["kind"]).collect();
    assert_eq!(kinds, ["direct", "critique", "direct"]);
    assert_eq!(lines[1]["messages"][2]["role"], "assistant");

    // Preference: one line per sample whose confirmed verdict overrules the evaluator's.
    let summary = export(&dir, "preference-jsonl", "preference.jsonl");
    assert_eq!(
        (&summary["rows"], &summary["skipped"]),
        (&json!(2), &json!(130))
    );
    let lines = json_lines(&dir.path().join("preference.jsonl"));
    assert_eq!(lines.len(), 2);
    let samples: Vec<_> = lines.iter().map(|l| &l["sample"]).collect();
    assert_eq!(samples, ["demo-step-4", "demo-pair-17"]);
    assert_eq!(
        lines[1]["rejected"][0]["content"],
        "Explanation: Assistant A gives the exact value and is concise. Assistant B adds detail about floating point.\nVerdict: [A]"
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
        "demo-pair-17",
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
