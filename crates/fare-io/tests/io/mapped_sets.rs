//! Evaluation sets of the shapes people have, imported through a field mapping only: a question
//! spread over fields, labels with their own values, ties, lists of wrong steps, several
//! annotators in columns, raters' scores on a 1-5 scale. Each file is made here (our own records,
//! varied by a fixed seed), imported into a real project, and every sample read back is checked
//! against a reference conversion written independently below, record by record.

// Clippy's test allowances cover `#[test]` functions, not the helpers beside them.
#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use fare_io::formats::Mapping;
use fare_io::import::{ImportOptions, ImportReport, import_file};
use fare_store::Project;
use serde_json::{Value, json};

/// A small deterministic generator (xorshift), so the fixtures vary without a dependency.
struct Seed(u64);

impl Seed {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).unwrap()
    }
}

fn import(project: &mut Project, path: &Path, mapping: &str) -> Result<ImportReport, String> {
    let options = ImportOptions {
        mapping: Some(Mapping::from_toml(mapping).map_err(|e| format!("mapping: {e}"))?),
        ..ImportOptions::default()
    };
    import_file(project, path, &options, &mut |_| {}).map_err(|e| e.to_string())
}

/// What a sample read back from the project holds: id, question, ground truth (`tie` for a tie)
/// and each annotator's verdict.
#[derive(Debug, PartialEq)]
struct Seen {
    id: String,
    question: String,
    gold: Option<String>,
    labels: BTreeMap<String, String>,
}

fn read_back(project: &Project, count: i64) -> Vec<Seen> {
    (1..=count)
        .map(|id| {
            let stored = project.sample(id).unwrap();
            let gold = match (stored.sample.gold, stored.gold_tie) {
                (Some(v), _) => Some(v.canonical()),
                (None, true) => Some("tie".to_owned()),
                (None, false) => None,
            };
            let labels = project
                .labels_of(id)
                .unwrap()
                .into_iter()
                .filter_map(|l| Some((l.annotator, l.label.verdict?.canonical())))
                .collect();
            Seen {
                id: stored.sample.external_id,
                question: stored.sample.question,
                gold,
                labels,
            }
        })
        .collect()
}

fn write_jsonl(path: &Path, records: &[Value]) {
    let text = records.iter().fold(String::new(), |mut text, r| {
        let _ = writeln!(text, "{r}");
        text
    });
    std::fs::write(path, text).unwrap();
}

#[test]
fn instruction_input_pairs_with_numeric_preferences_ties_and_three_annotators() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = Seed(0x5eed_1234);
    let preference = ["0", "1", "2"];
    let mut records = Vec::new();
    for i in 0..60 {
        // The input is present, absent, null or empty; the preference 0, 1 or 2; an annotator
        // may have left a record unlabelled.
        let input = match seed.below(4) {
            0 => None,
            1 => Some(Value::Null),
            2 => Some(json!("")),
            _ => Some(json!(format!("list {i}: 3 1 2"))),
        };
        let mut record = json!({
            "uid": format!("pair-{i}"),
            "instruction": format!("Sort the numbers, case {i}."),
            "output_1": format!("first answer {i}"),
            "output_2": format!("second answer {i}"),
            "preference": preference[seed.index(3)].parse::<i64>().unwrap(),
        });
        if let Some(input) = input {
            record["input"] = input;
        }
        for a in 1..=3 {
            let v = seed.below(4);
            if v < 3 {
                record[format!("annotator{a}")] = json!(v);
            }
        }
        records.push(record);
    }
    let path = dir.path().join("pairs.jsonl");
    write_jsonl(&path, &records);
    let mapping = r#"
task = "pairwise"
label_values = { "1" = "A", "2" = "B", "0" = "tie" }
[fields]
id = "uid"
question = "{instruction}\n\n{input?}"
response_a = "output_1"
response_b = "output_2"
label = "preference"
[annotators]
ann = "annotator1"
bo = "annotator2"
cy = "annotator3"
"#;
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    let report = import(&mut project, &path, mapping).unwrap();
    assert_eq!(report.dataset.sample_count, 60);

    // The reference conversion.
    let side = |v: i64| match v {
        1 => "A",
        2 => "B",
        _ => "tie",
    };
    let expected: Vec<Seen> = records
        .iter()
        .map(|r| {
            let instruction = r["instruction"].as_str().unwrap();
            let question = match r.get("input").and_then(Value::as_str) {
                Some(input) if !input.is_empty() => format!("{instruction}\n\n{input}"),
                _ => instruction.to_owned(),
            };
            let mut labels = BTreeMap::new();
            for (name, column) in [
                ("ann", "annotator1"),
                ("bo", "annotator2"),
                ("cy", "annotator3"),
            ] {
                // A tie by an annotator is no verdict: no label.
                if let Some(v) = r.get(column).and_then(Value::as_i64).filter(|v| *v != 0) {
                    labels.insert(name.to_owned(), side(v).to_owned());
                }
            }
            Seen {
                id: r["uid"].as_str().unwrap().to_owned(),
                question,
                gold: Some(side(r["preference"].as_i64().unwrap()).to_owned()),
                labels,
            }
        })
        .collect();
    assert_eq!(read_back(&project, 60), expected);

    // The distribution the report gives is the same as the reference's.
    let count = |label: &str| {
        expected
            .iter()
            .filter(|s| s.gold.as_deref() == Some(label))
            .count() as u64
    };
    let gold = &report.labels.ground_truth;
    assert_eq!(
        (gold.count("A"), gold.count("B"), gold.count("tie")),
        (count("A"), count("B"), count("tie"))
    );
    assert!(count("tie") > 0 && count("A") > 0 && count("B") > 0);
    let ann_ties = records
        .iter()
        .filter(|r| r.get("annotator1") == Some(&json!(0)))
        .count() as u64;
    assert_eq!(report.labels.annotators["ann"].count("tie"), ann_ties);
}

#[test]
fn csv_lists_of_wrong_steps_counted_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = Seed(0xc5f_0042);
    let mut csv = String::from("id,problem,steps,wrong_steps\n");
    let mut expected = Vec::new();
    for i in 0..40 {
        let n = 2 + seed.index(5);
        let steps: Vec<String> = (0..n).map(|s| format!("step {s} of {i}")).collect();
        // 1-based wrong steps, in any order, possibly none.
        let wrong: Vec<usize> = (1..=n).filter(|_| seed.below(3) == 0).rev().collect();
        let steps_json = serde_json::to_string(&steps).unwrap().replace('"', "\"\"");
        let wrong_json = serde_json::to_string(&wrong).unwrap();
        let _ = writeln!(
            csv,
            "s-{i},\"Problem {i}\",\"{steps_json}\",\"{wrong_json}\""
        );
        let gold = wrong
            .iter()
            .min()
            .map_or(-1, |w| i64::try_from(*w).unwrap() - 1);
        expected.push(Seen {
            id: format!("s-{i}"),
            question: format!("Problem {i}"),
            gold: Some(gold.to_string()),
            labels: BTreeMap::new(),
        });
    }
    let path = dir.path().join("steps.csv");
    std::fs::write(&path, &csv).unwrap();
    let mapping = "label_base = 1\nlabel_list = \"first\"\n[fields]\nid = \"id\"\nquestion = \"problem\"\nsteps = \"steps\"\nlabel = \"wrong_steps\"\n";
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    import(&mut project, &path, mapping).unwrap();
    assert_eq!(read_back(&project, 40), expected);

    // An upstream data bug: a step number past the solution's steps names the field, the
    // number and the step count, and nothing of the file is imported.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,problem,steps,wrong_steps\nb-0,P,\"[\"\"a\"\"]\",[]\nb-1,P,\"[\"\"a\"\", \"\"b\"\"]\",\"[2, 5]\"\n").unwrap();
    let error = import(&mut project, &bad, mapping).unwrap_err();
    assert!(
        error.contains(":3: record 1, field `wrong_steps[1]`: step 5 is past the last step (the solution has 2 steps, numbered from 1)"),
        "{error}"
    );
    assert_eq!(project.datasets().unwrap().len(), 1);
}

#[test]
fn good_bad_verification_labels_and_a_chat_prompt_from_two_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = Seed(0xbad_600d);
    let words = ["good", "bad", "unsure"];
    let records: Vec<Value> = (0..30)
        .map(|i| {
            let mut r = json!({
                "user": format!("What is {i} + {i}?"),
                "reply": format!("{}", 2 * i + i64::from(seed.below(2) == 0)),
                "verdict": words[seed.index(3)],
            });
            if seed.below(2) == 0 {
                r["system"] = json!("You are a careful calculator.");
            }
            r
        })
        .collect();
    let path = dir.path().join("chat.jsonl");
    write_jsonl(&path, &records);
    let mapping = "task = \"reference-free\"\nlabel_values = { good = \"correct\", bad = \"incorrect\", unsure = \"none\" }\n[fields]\nquestion = \"{system?}\\n\\n{user}\"\nresponse = \"reply\"\nlabel = \"verdict\"\n";
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    let report = import(&mut project, &path, mapping).unwrap();
    let expected: Vec<Seen> = records
        .iter()
        .enumerate()
        .map(|(i, r)| Seen {
            id: i.to_string(),
            question: match r.get("system") {
                Some(system) => format!(
                    "{}\n\n{}",
                    system.as_str().unwrap(),
                    r["user"].as_str().unwrap()
                ),
                None => r["user"].as_str().unwrap().to_owned(),
            },
            gold: match r["verdict"].as_str().unwrap() {
                "good" => Some("correct".to_owned()),
                "bad" => Some("incorrect".to_owned()),
                _ => None,
            },
            labels: BTreeMap::new(),
        })
        .collect();
    assert_eq!(read_back(&project, 30), expected);
    let unsure = records.iter().filter(|r| r["verdict"] == "unsure").count() as u64;
    assert_eq!(report.labels.ground_truth.count("none"), unsure);
}

#[test]
fn raters_scores_on_a_one_to_five_scale_become_their_median() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = Seed(0x1_2345);
    let records: Vec<Value> = (0..30)
        .map(|i| {
            let raters = 1 + seed.below(4);
            let scores: Vec<u64> = (0..raters).map(|_| 1 + seed.below(5)).collect();
            json!({"id": format!("r-{i}"), "prompt": format!("Write a haiku {i}"), "answer": "old pond", "scores": scores})
        })
        .collect();
    let path = dir.path().join("ratings.jsonl");
    write_jsonl(&path, &records);
    let mapping = "task = \"rating\"\nlabel_list = \"median\"\nrating_scale = [1, 5]\n[fields]\nid = \"id\"\nquestion = \"prompt\"\nresponse = \"answer\"\nlabel = \"scores\"\n";
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    import(&mut project, &path, mapping).unwrap();
    let median = |scores: &[u64]| {
        let mut s = scores.to_vec();
        s.sort_unstable();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2] as f64
        } else {
            ((s[n / 2 - 1] + s[n / 2]) as f64 / 2.0).round()
        }
    };
    let expected: Vec<Seen> = records
        .iter()
        .map(|r| {
            let scores: Vec<u64> = serde_json::from_value(r["scores"].clone()).unwrap();
            Seen {
                id: r["id"].as_str().unwrap().to_owned(),
                question: r["prompt"].as_str().unwrap().to_owned(),
                gold: Some(format!("{}", median(&scores))),
                labels: BTreeMap::new(),
            }
        })
        .collect();
    assert_eq!(read_back(&project, 30), expected);

    // A score off the stated scale is refused, naming the field and the scale.
    let off = dir.path().join("off.jsonl");
    write_jsonl(
        &off,
        &[json!({"id": "x", "prompt": "p", "answer": "a", "scores": [4, 7]})],
    );
    let error = import(&mut project, &off, mapping).unwrap_err();
    assert!(
        error.contains("field `scores[1]`: rating 7 is outside the mapping's rating scale 1 to 5"),
        "{error}"
    );
}

#[test]
fn a_dry_run_counts_what_an_import_would_write_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    write_jsonl(
        &path,
        &[
            json!({"q": "Q1", "a": "x", "b": "y", "w": "model_a", "h1": "model_b"}),
            json!({"q": "Q2", "a": "x", "b": "y", "w": "tie", "h1": "model_b"}),
            json!({"q": "Q3", "a": "x", "b": "y"}),
        ],
    );
    let mapping = Mapping::from_toml(
        "[fields]\nquestion = \"q\"\nresponse_a = \"a\"\nresponse_b = \"b\"\nlabel = \"w\"\n[annotators]\nhana = \"h1\"\n",
    )
    .unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    let options = ImportOptions {
        mapping: Some(mapping),
        dry_run: true,
        ..ImportOptions::default()
    };
    let report = import_file(&mut project, &path, &options, &mut |_| {}).unwrap();
    assert!(report.dry_run);
    assert_eq!(report.dataset.sample_count, 3);
    assert_eq!(report.labels.ground_truth.summary(), "A 1, tie 1, none 1");
    assert_eq!(report.labels.annotators["hana"].summary(), "B 2, none 1");
    assert!(
        project.datasets().unwrap().is_empty(),
        "a dry run wrote a data set"
    );
    // The same file then imports for real.
    let options = ImportOptions {
        dry_run: false,
        ..options
    };
    let report = import_file(&mut project, &path, &options, &mut |_| {}).unwrap();
    assert_eq!(report.dataset.sample_count, 3);
    assert_eq!(project.datasets().unwrap().len(), 1);
}
