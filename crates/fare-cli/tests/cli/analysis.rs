//! `report --json` carries the analysis (keys, human reference, contradictions) and `diff`
//! compares two runs, on the demo project.

use serde_json::Value;

use crate::support::Dir;

#[test]
fn the_report_carries_the_analysis_and_a_run_diffed_with_itself_changes_nothing() {
    let dir = Dir::new();
    dir.demo("demo.sqlite");
    let report: Value = dir.json(&["report", "demo.sqlite", "--json"]);
    let step = report["groups"]
        .as_array()
        .and_then(|g| {
            g.iter()
                .find(|g| g["task"] == "step-level" && g["source"].is_null())
        })
        .unwrap_or_else(|| panic!("no step-level group in {report}"));
    // The demo's step-level buckets (checked by hand in `demo`), now with their keys.
    let buckets = step["gold"]["step"]["buckets"]
        .as_array()
        .unwrap_or_else(|| panic!("no buckets in {step}"));
    let late = buckets
        .iter()
        .find(|b| b["key"] == "bucket:late")
        .unwrap_or_else(|| panic!("no late bucket in {step}"));
    assert_eq!(late["count"], 1);
    assert_eq!(report["human_reference"], "adjudicated");
    assert!(report["contradictions"]["counts"].is_array(), "{report}");

    // The step-level run against itself: 8 exact and 11 right "no error" verdicts are right in
    // both, the other 9 (2 failed among them) wrong in both; nothing fixed or broken.
    let run = report["runs"]["step-level"].to_string();
    let diff: Value = dir.json(&[
        "diff",
        "demo.sqlite",
        "--before",
        &run,
        "--after",
        &run,
        "--reference",
        "gold",
        "--json",
    ]);
    let row = diff["rows"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["task"] == "step-level" && r["tag"].is_null())
        })
        .unwrap_or_else(|| panic!("no step-level row in {diff}"));
    let counts: Vec<i64> = row["cells"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["count"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(counts, [19, 0, 0, 9, 0], "{row}");
    let text = dir
        .run(&["diff", "demo.sqlite", "--before", &run, "--after", &run])
        .ok()
        .stdout;
    assert!(text.contains("both right"), "{text}");
    let refused = dir.run(&["diff", "demo.sqlite", "--before", "999", "--after", &run]);
    assert!(
        refused.stderr.contains("no evaluator run 999"),
        "{refused:?}"
    );
}
