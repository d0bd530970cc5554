//! K judgments per sample: a run with several attempts of each sample is reported on its
//! majority verdicts, with how much the attempts agreed.

use serde_json::Value;

use crate::support::Dir;

#[test]
fn a_run_with_k_attempts_is_scored_on_its_majority_verdicts() {
    let dir = Dir::new();
    dir.write(
        "pb.json",
        r#"[{"id": "t-0", "problem": "2 + 2?", "steps": ["2 + 2 = 4.", "4 * 2 = 9.", "So 9."], "label": 1},
            {"id": "t-1", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);
    // t-0: the first attempt is wrong (step 2), the majority right (step 1); t-1: unanimous.
    let outputs: String = [
        ("t-0", 0, "Step 2 is wrong.\nVerdict: 2"),
        ("t-0", 1, "Step 1 says 4 * 2 = 9.\nVerdict: 1"),
        ("t-0", 2, "Step 1 multiplies wrongly.\nVerdict: 1"),
        ("t-1", 0, "All fine.\nVerdict: -1"),
        ("t-1", 1, "Correct.\nVerdict: -1"),
        ("t-1", 2, "No error.\nVerdict: -1"),
    ]
    .iter()
    .fold(String::new(), |mut lines, (sample, attempt, output)| {
        lines += &serde_json::json!({"sample": sample, "attempt": attempt, "output": output})
            .to_string();
        lines.push('\n');
        lines
    });
    dir.write("outputs.jsonl", outputs);
    dir.run(&[
        "import-judgments",
        "p.sqlite",
        "outputs.jsonl",
        "--model",
        "judge-k3",
    ])
    .ok();
    let report: Value = dir.json(&["report", "p.sqlite", "--json"]);
    let group = &report["groups"][0];
    assert_eq!(group["judged"], 2);
    // Scored on the majority: both samples right, so error and correct accuracy are 1.
    assert_eq!(group["processbench"]["error_accuracy"], 1.0, "{group}");
    assert_eq!(group["processbench"]["correct_accuracy"], 1.0, "{group}");
    let agreement = group["mean_agreement"].as_f64().expect("mean agreement");
    assert!(
        (agreement - f64::midpoint(2.0 / 3.0, 1.0)).abs() < 1e-9,
        "{agreement}"
    );
    let text = dir.run(&["report", "p.sqlite"]).ok().stdout;
    assert!(
        text.contains("majority verdicts, 83% agreement within samples"),
        "{text}"
    );
}
