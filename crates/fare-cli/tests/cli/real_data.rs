//! A real data set through the binary: ProcessBench's GSM8K split, when `../shared/data` is
//! beside the checkout (the test says SKIPPED and passes when it is not).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::Dir;

fn shared_data() -> Option<PathBuf> {
    fare_testkit::shared_data("")
}

#[test]
fn processbench_gsm8k_imports_its_400_samples() {
    let Some(data) = shared_data() else {
        return;
    };
    let file = data.join("processbench/gsm8k.json");
    if !file.is_file() {
        println!("SKIPPED: {} is absent", file.display());
        return;
    }
    let dir = Dir::new();
    let path = file.to_str().expect("a UTF-8 path");
    let reports = dir.import("p.sqlite", &[path]);
    let dataset = &reports[0]["dataset"];
    assert_eq!(reports[0]["already_imported"], false);
    assert_eq!(reports[0]["skipped"], Value::Array(Vec::new()));
    assert_eq!(dataset["format"], "processbench");
    assert_eq!(dataset["name"], "gsm8k");
    assert_eq!(dataset["record_count"], 400);
    assert_eq!(dataset["sample_count"], 400);
    assert_eq!(dataset["skipped_count"], 0);

    // Every sample's ground truth is the file's label, read here independently.
    let text = std::fs::read_to_string(&file).expect("read the split");
    let records: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    let expected: BTreeMap<String, String> = records
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("a string id").to_owned(),
                r["label"].as_i64().expect("an integer label").to_string(),
            )
        })
        .collect();
    assert_eq!(expected.len(), 400, "ids are unique");

    let samples = dir.samples("p.sqlite", &[]);
    assert_eq!(samples.total, 400);
    let imported: BTreeMap<String, String> = samples
        .golds()
        .into_iter()
        .map(|(id, gold)| (id, gold.unwrap_or_default()))
        .collect();
    assert_eq!(imported, expected);
    assert!(samples.rows.iter().all(|r| r["task"] == "step-level"));
    assert!(samples.rows.iter().all(|r| r["source"] == "gsm8k"));

    assert_eq!(
        dir.samples("p.sqlite", &["--task", "step-level"]).total,
        400
    );

    // A second import of the same split is a no-op.
    let again = dir.import("p.sqlite", &[path]);
    assert_eq!(again[0]["already_imported"], true);
    assert_eq!(dir.samples("p.sqlite", &[]).total, 400);
}
