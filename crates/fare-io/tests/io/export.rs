//! The exporters against a real project file: labels (JSONL, CSV, Parquet), SFT and preference
//! sets, read back with the same libraries a user would use.

// Clippy's test allowances cover `#[test]` functions, not the helpers beside them.
#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use fare_core::sample::Content;
use fare_core::{
    AnnotationAction, Correctness, FinalLabel, Finish, PromptMode, ResponseOrder, Sample, Side,
    Task, Template, Verdict, VerdictRules, read_output,
};
use fare_io::export::{
    ExportError, ExportFormat, ExportOptions, ExportSummary, LABEL_COLUMNS, export,
};
use fare_store::{NewDataset, NewJudgment, NewRun, Project};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};
use tempfile::TempDir;

/// A project with a step-level data set judged by run 1 and a pairwise one judged by run 2.
struct Fixture {
    dir: TempDir,
    project: Project,
    samples: BTreeMap<&'static str, i64>,
}

fn sample(id: &str, question: &str, content: Content, gold: Option<Verdict>) -> Sample {
    Sample {
        external_id: id.to_owned(),
        source: None,
        question: question.to_owned(),
        content,
        gold,
        metadata: serde_json::Map::new(),
    }
}

fn steps(texts: &[&str]) -> Content {
    Content::StepLevel {
        steps: texts.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn dataset(name: &str, file: &str) -> NewDataset {
    NewDataset {
        name: name.to_owned(),
        source_file: file.to_owned(),
        format: "jsonl".to_owned(),
        content_hash: format!("sha256-of-{file}"),
        mapping: None,
    }
}

fn run(project: &mut Project, model: &str, task: Task) -> i64 {
    project
        .begin_run(&NewRun {
            model_name: model.to_owned(),
            model_kind: "external".to_owned(),
            model_location: None,
            template: Template::builtin_for(task).unwrap(),
            mode: fare_core::PromptMode::Critique,
            params: json!({"temperature": 0.0}),
            status: fare_store::RunStatus::Imported,
            label: None,
        })
        .unwrap()
}

/// Reads `raw` as the evaluator's output and stores it.
#[allow(clippy::too_many_arguments)]
fn judge(
    project: &mut Project,
    run_id: i64,
    sample_id: i64,
    rules: VerdictRules,
    raw: &str,
    finish: Finish,
    swapped: bool,
    attempt: u32,
) -> i64 {
    let judgment = read_output(raw, &rules, finish);
    project
        .add_judgment(
            run_id,
            &NewJudgment {
                sample_id,
                swapped,
                attempt,
                judgment: &judgment,
                prompt_tokens: None,
                output_tokens: None,
                latency_ms: None,
                verdict_probs: None,
            },
        )
        .unwrap()
}

fn annotate(project: &mut Project, sample_id: i64, who: &str, action: &AnnotationAction) {
    project.annotate(sample_id, who, action, None).unwrap();
}

fn tag(name: &str) -> AnnotationAction {
    AnnotationAction::Tag {
        tag: name.to_owned(),
        on: true,
    }
}

const PB0_CRITIQUE: &str = "Step 0 is right. Step 1 multiplies 3 by 4 and gets 11, which is wrong.";
const PB2_GOOD_CRITIQUE: &str = "Step 1 claims 2x = 12, but x = 5 gives 2x = 10.";
const JB0_WRONG_RAW: &str =
    "Explanation: Assistant A gives the closed formula and is shorter.\nVerdict: [A]";
const JB0_GOOD_CRITIQUE: &str = "Assistant B handles n = 0, which A gets wrong.";
const JB1_CRITIQUE: &str = "Assistant A is correct; B divides by zero.";

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(&dir.path().join("project.sqlite")).unwrap();
    let mut samples = BTreeMap::new();

    let mut writer = project
        .begin_import(&dataset("processbench", "processbench/gsm8k.json"))
        .unwrap();
    let mut pb0 = sample(
        "pb-0",
        "Tom has 3 boxes of 4 apples. How many apples does he have?",
        steps(&["Each box has 4 apples.", "3 x 4 = 11.", "The answer is 11."]),
        Some(Verdict::FirstError(Some(1))),
    );
    pb0.source = Some("gsm8k".to_owned());
    pb0.metadata = serde_json::from_value(
        json!({"generator": "Qwen2.5-7B-Instruct", "final_answer_correct": false}),
    )
    .unwrap();
    let pb1 = sample(
        "pb-1",
        "What is 2 + 2?",
        steps(&["2 + 2 = 4.", "The answer is 4."]),
        Some(Verdict::FirstError(None)),
    );
    let pb2 = sample(
        "pb-2",
        "If x = 5, what is 2x?",
        steps(&["Let x = 5.", "Then 2x = 12.", "The answer is 12."]),
        Some(Verdict::FirstError(Some(1))),
    );
    let pb3 = sample("pb-3", "What is 1 + 1?", steps(&["1 + 1 = 2."]), None);
    for (i, (name, s)) in [("pb-0", pb0), ("pb-1", pb1), ("pb-2", pb2), ("pb-3", pb3)]
        .into_iter()
        .enumerate()
    {
        samples.insert(name, writer.add(i as u64, &s, &[]).unwrap());
    }
    writer.finish(4, 0).unwrap();

    let mut writer = project
        .begin_import(&dataset("judgebench", "judgebench/gpt.jsonl"))
        .unwrap();
    let jb0 = sample(
        "jb-0",
        "Write a function returning the sum 1 + ... + n.",
        Content::Pairwise {
            response_a: "return n * (n + 1) / 2".to_owned(),
            response_b: "return n * (n + 1) // 2 if n > 0 else 0".to_owned(),
        },
        Some(Verdict::Pick(Side::B)),
    );
    let jb1 = sample(
        "jb-1",
        "Compute 10 / 2.",
        Content::Pairwise {
            response_a: "5".to_owned(),
            response_b: "10 / 0 = undefined".to_owned(),
        },
        Some(Verdict::Pick(Side::A)),
    );
    samples.insert("jb-0", writer.add(0, &jb0, &[]).unwrap());
    samples.insert("jb-1", writer.add(1, &jb1, &[]).unwrap());
    writer.finish(2, 0).unwrap();

    let step_rules = |n| VerdictRules::new(Task::StepLevel, n);
    let pair = VerdictRules::new(Task::Pairwise, 0);
    let s = |name: &str| samples[name];

    // Run 1: step-level.
    let r1 = run(&mut project, "FARE-8B", Task::StepLevel);
    let raw = format!("Explanation: {PB0_CRITIQUE}\nVerdict: 1");
    judge(
        &mut project,
        r1,
        s("pb-0"),
        step_rules(3),
        &raw,
        Finish::Stopped,
        false,
        0,
    );
    let raw = "Explanation: The sum is right, but the final sentence repeats it.\n**Verdict:** 0";
    judge(
        &mut project,
        r1,
        s("pb-1"),
        step_rules(2),
        raw,
        Finish::Stopped,
        false,
        0,
    );
    let raw = "Explanation: Step 0 sets x = 5 and step 1 then claims 2x = 12, which";
    judge(
        &mut project,
        r1,
        s("pb-2"),
        step_rules(3),
        raw,
        Finish::Length,
        false,
        0,
    );
    let raw = format!("Explanation: {PB2_GOOD_CRITIQUE}\nVerdict: 1");
    judge(
        &mut project,
        r1,
        s("pb-2"),
        step_rules(3),
        &raw,
        Finish::Stopped,
        false,
        1,
    );
    let raw = "Explanation: 1 + 1 = 2 is correct.\nVerdict: -1";
    judge(
        &mut project,
        r1,
        s("pb-3"),
        step_rules(1),
        raw,
        Finish::Stopped,
        false,
        0,
    );

    // Run 2: pairwise. The swapped judgment of jb-0 picks B in the data's labels but explains
    // the swapped order, so it must never serve as a chosen answer.
    let r2 = run(&mut project, "FARE-20B", Task::Pairwise);
    judge(
        &mut project,
        r2,
        s("jb-0"),
        pair,
        JB0_WRONG_RAW,
        Finish::Stopped,
        false,
        0,
    );
    let raw = "Explanation: Assistant A (the guarded one) handles n = 0.\nVerdict: [A]";
    judge(
        &mut project,
        r2,
        s("jb-0"),
        pair,
        raw,
        Finish::Stopped,
        true,
        0,
    );
    let raw = format!("Explanation: {JB0_GOOD_CRITIQUE}\nVerdict: [B]");
    judge(
        &mut project,
        r2,
        s("jb-0"),
        pair,
        &raw,
        Finish::Stopped,
        false,
        1,
    );
    let raw = format!("Explanation: {JB1_CRITIQUE}\nVerdict: [A]");
    judge(
        &mut project,
        r2,
        s("jb-1"),
        pair,
        &raw,
        Finish::Stopped,
        false,
        0,
    );

    // Labels. alice first, bob later (a pause keeps bob's label strictly newer).
    let first = |v| AnnotationAction::Accept {
        verdict: Verdict::FirstError(v),
    };
    annotate(&mut project, s("pb-0"), "alice", &first(Some(1)));
    annotate(
        &mut project,
        s("pb-1"),
        "alice",
        &AnnotationAction::Correct {
            verdict: Verdict::FirstError(None),
        },
    );
    annotate(&mut project, s("pb-1"), "alice", &tag("false-alarm"));
    annotate(
        &mut project,
        s("pb-2"),
        "alice",
        &AnnotationAction::Correct {
            verdict: Verdict::FirstError(Some(1)),
        },
    );
    annotate(
        &mut project,
        s("jb-0"),
        "alice",
        &AnnotationAction::Correct {
            verdict: Verdict::Pick(Side::B),
        },
    );
    annotate(&mut project, s("jb-0"), "alice", &tag("position-bias"));
    annotate(
        &mut project,
        s("jb-1"),
        "alice",
        &AnnotationAction::Accept {
            verdict: Verdict::Pick(Side::A),
        },
    );
    // A label that was cleared holds nothing and gives no row.
    annotate(&mut project, s("pb-3"), "carol", &tag("truncated"));
    annotate(&mut project, s("pb-3"), "carol", &AnnotationAction::Clear);
    std::thread::sleep(std::time::Duration::from_millis(20));
    annotate(&mut project, s("pb-0"), "bob", &first(Some(1)));
    annotate(
        &mut project,
        s("pb-0"),
        "bob",
        &AnnotationAction::WrongReason { on: true },
    );
    annotate(
        &mut project,
        s("pb-0"),
        "bob",
        &tag("evaluator-calculation"),
    );
    annotate(
        &mut project,
        s("pb-0"),
        "bob",
        &tag("right-verdict-wrong-reason"),
    );
    annotate(
        &mut project,
        s("pb-0"),
        "bob",
        &AnnotationAction::Note {
            text: "3 x 4 is 12; the critique blames the wrong product".to_owned(),
        },
    );

    Fixture {
        dir,
        project,
        samples,
    }
}

impl Fixture {
    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn export(&self, format: ExportFormat, options: &ExportOptions, name: &str) -> ExportSummary {
        export(&self.project, format, options, &self.out(name)).unwrap()
    }

    fn processbench_id(&self) -> i64 {
        self.project
            .sample(self.samples["pb-0"])
            .unwrap()
            .dataset_id
    }

    fn judgebench_id(&self) -> i64 {
        self.project
            .sample(self.samples["jb-0"])
            .unwrap()
            .dataset_id
    }
}

fn run1() -> ExportOptions {
    ExportOptions {
        run_id: Some(1),
        ..ExportOptions::default()
    }
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The rows of one sample (by external id).
fn rows_of<'a>(rows: &'a [Value], id: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["external_id"] == id).collect()
}

fn builtin_hash(task: Task) -> String {
    Template::builtin_for(task).unwrap().content_hash()
}

#[test]
fn labels_jsonl_has_one_row_per_annotator_and_a_null_row_for_unlabelled_samples() {
    let f = fixture();
    let summary = f.export(ExportFormat::LabelsJsonl, &run1(), "labels.jsonl");
    assert_eq!(
        summary,
        ExportSummary {
            format: ExportFormat::LabelsJsonl,
            rows: 7,
            samples: 6,
            skipped: 0,
            skipped_reasons: BTreeMap::new(),
            final_label: FinalLabel::Adjudicated,
            // pb-0: alice and bob agree; pb-3: carol's label was cleared.
            final_sources: BTreeMap::from([("unanimous".to_owned(), 5)]),
            unresolved: BTreeMap::from([("no human verdict".to_owned(), 1)]),
            path: f.out("labels.jsonl"),
        }
    );
    let rows = jsonl(&f.out("labels.jsonl"));
    assert_eq!(rows.len(), 7);
    let order: Vec<(&str, &Value)> = rows
        .iter()
        .map(|r| (r["external_id"].as_str().unwrap(), &r["annotator"]))
        .collect();
    assert_eq!(
        order,
        [
            ("pb-0", &json!("alice")),
            ("pb-0", &json!("bob")),
            ("pb-1", &json!("alice")),
            ("pb-2", &json!("alice")),
            ("pb-3", &Value::Null),
            ("jb-0", &json!("alice")),
            ("jb-1", &json!("alice")),
        ]
    );
    for row in &rows {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, LABEL_COLUMNS);
    }

    let bob = rows_of(&rows, "pb-0")[1];
    let first = bob["first_annotated_at"].as_str().unwrap().to_owned();
    let last = bob["annotated_at"].as_str().unwrap().to_owned();
    assert!(first.ends_with('Z') && first.len() == 24, "{first}");
    assert!(first <= last, "{first} {last}");
    assert_eq!(
        *bob,
        json!({
            "fare_lens_export": "labels/1",
            "dataset": "processbench",
            "source_file": "processbench/gsm8k.json",
            "record_index": 0,
            "external_id": "pb-0",
            "task": "step-level",
            "source": "gsm8k",
            "question": "Tom has 3 boxes of 4 apples. How many apples does he have?",
            "steps": ["Each box has 4 apples.", "3 x 4 = 11.", "The answer is 11."],
            "response": null,
            "response_a": null,
            "response_b": null,
            "reference": null,
            "rubric": null,
            "metadata": {"generator": "Qwen2.5-7B-Instruct", "final_answer_correct": false},
            "ground_truth": "1",
            "run_id": 1,
            "model": "FARE-8B",
            "template": "fare-step-level v1",
            "template_hash": builtin_hash(Task::StepLevel),
            "evaluator_state": "parsed",
            "evaluator_verdict": "1",
            "evaluator_critique": PB0_CRITIQUE,
            "evaluator_agrees_with_gold": true,
            "annotator": "bob",
            "decision": "accepted",
            "human_verdict": "1",
            "wrong_reason": true,
            "tags": ["evaluator-calculation", "right-verdict-wrong-reason"],
            "note": "3 x 4 is 12; the critique blames the wrong product",
            "human_agrees_with_evaluator": true,
            "human_agrees_with_gold": true,
            "first_annotated_at": first,
            "annotated_at": last,
            "final_verdict": "1",
            "final_source": "unanimous",
        })
    );

    // Nobody labelled pb-3 (carol cleared hers): one row, every human field null.
    let unlabelled = rows_of(&rows, "pb-3");
    assert_eq!(unlabelled.len(), 1);
    let row = unlabelled[0];
    for column in &LABEL_COLUMNS[LABEL_COLUMNS
        .iter()
        .position(|c| *c == "annotator")
        .unwrap()..]
    {
        assert_eq!(row[*column], Value::Null, "{column}");
    }
    assert_eq!(row["ground_truth"], Value::Null);
    assert_eq!(row["evaluator_verdict"], "-1");
    assert_eq!(
        row["evaluator_agrees_with_gold"],
        Value::Null,
        "no ground truth"
    );
    assert_eq!(row["metadata"], json!({}));

    // Truncated output: a state, no verdict, disagreeing with gold and with the person.
    let pb2 = rows_of(&rows, "pb-2")[0];
    assert_eq!(pb2["evaluator_state"], "truncated");
    assert_eq!(pb2["evaluator_verdict"], Value::Null);
    assert_eq!(pb2["evaluator_agrees_with_gold"], false);
    assert_eq!(pb2["human_agrees_with_evaluator"], false);
    assert_eq!(pb2["human_agrees_with_gold"], true);

    let pb1 = rows_of(&rows, "pb-1")[0];
    assert_eq!(pb1["evaluator_verdict"], "0");
    assert_eq!(pb1["decision"], "corrected");
    assert_eq!(pb1["human_verdict"], "-1");
    assert_eq!(pb1["wrong_reason"], false);
    assert_eq!(pb1["tags"], json!(["false-alarm"]));
    assert_eq!(pb1["note"], Value::Null);
    assert_eq!(pb1["human_agrees_with_evaluator"], false);

    // Run 1 did not judge the pairwise samples: no run columns there.
    let jb0 = rows_of(&rows, "jb-0")[0];
    for column in [
        "run_id",
        "model",
        "template",
        "template_hash",
        "evaluator_state",
        "evaluator_verdict",
        "evaluator_critique",
        "evaluator_agrees_with_gold",
        "human_agrees_with_evaluator",
    ] {
        assert_eq!(jb0[column], Value::Null, "{column}");
    }
    assert_eq!(jb0["steps"], Value::Null);
    assert_eq!(jb0["response_a"], "return n * (n + 1) / 2");
    assert_eq!(jb0["ground_truth"], "B");
    assert_eq!(jb0["human_verdict"], "B");
    assert_eq!(jb0["human_agrees_with_gold"], true);
}

#[test]
fn labels_default_to_each_tasks_newest_run_and_take_its_first_original_judgment() {
    let f = fixture();
    let summary = f.export(
        ExportFormat::LabelsJsonl,
        &ExportOptions::default(),
        "labels.jsonl",
    );
    assert_eq!(summary.rows, 7);
    let rows = jsonl(&f.out("labels.jsonl"));
    let jb0 = rows_of(&rows, "jb-0")[0];
    assert_eq!(jb0["run_id"], 2);
    assert_eq!(jb0["model"], "FARE-20B");
    assert_eq!(jb0["template"], "fare-pairwise v1");
    assert_eq!(jb0["template_hash"], builtin_hash(Task::Pairwise));
    assert_eq!(jb0["evaluator_verdict"], "A", "attempt 0, original order");
    assert_eq!(
        jb0["evaluator_critique"],
        "Assistant A gives the closed formula and is shorter."
    );
    assert_eq!(jb0["evaluator_agrees_with_gold"], false);
    assert_eq!(jb0["human_agrees_with_evaluator"], false);
    // Run 2 judged only pairwise samples: step-level samples keep showing run 1.
    let pb0 = rows_of(&rows, "pb-0")[0];
    assert_eq!(pb0["run_id"], 1);
    assert_eq!(pb0["template"], "fare-step-level v1");
}

#[test]
fn options_filter_annotator_and_data_set_and_unknown_names_are_errors() {
    let f = fixture();
    let options = ExportOptions {
        run_id: Some(1),
        annotator: Some("bob".to_owned()),
        dataset_id: Some(f.processbench_id()),
        ..ExportOptions::default()
    };
    let summary = f.export(ExportFormat::LabelsJsonl, &options, "bob.jsonl");
    assert_eq!((summary.rows, summary.samples), (4, 4));
    let rows = jsonl(&f.out("bob.jsonl"));
    let annotators: Vec<&Value> = rows.iter().map(|r| &r["annotator"]).collect();
    assert_eq!(
        annotators,
        [&json!("bob"), &Value::Null, &Value::Null, &Value::Null]
    );

    let cases = [
        (
            ExportOptions {
                run_id: Some(99),
                ..ExportOptions::default()
            },
            "no evaluator run with id 99",
        ),
        (
            ExportOptions {
                annotator: Some("dave".to_owned()),
                ..ExportOptions::default()
            },
            "no annotator named `dave`",
        ),
        (
            ExportOptions {
                dataset_id: Some(42),
                ..ExportOptions::default()
            },
            "no data set with id 42",
        ),
    ];
    for (options, message) in cases {
        let out = f.out("refused.jsonl");
        let err = export(&f.project, ExportFormat::LabelsJsonl, &options, &out).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn labels_csv_has_the_header_and_flattens_lists() {
    let f = fixture();
    let summary = f.export(ExportFormat::LabelsCsv, &run1(), "labels.csv");
    assert_eq!(summary.rows, 7);
    let mut reader = csv::Reader::from_path(f.out("labels.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, LABEL_COLUMNS);
    let records: Vec<BTreeMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(records.len(), 7);

    let bob = &records[1];
    assert_eq!(bob["external_id"], "pb-0");
    assert_eq!(bob["annotator"], "bob");
    assert_eq!(
        bob["steps"],
        r#"["Each box has 4 apples.","3 x 4 = 11.","The answer is 11."]"#
    );
    assert_eq!(
        bob["metadata"],
        r#"{"generator":"Qwen2.5-7B-Instruct","final_answer_correct":false}"#
    );
    assert_eq!(
        bob["tags"],
        "evaluator-calculation;right-verdict-wrong-reason"
    );
    assert_eq!(bob["wrong_reason"], "true");
    assert_eq!(bob["record_index"], "0");
    assert_eq!(bob["run_id"], "1");
    assert_eq!(bob["response"], "");
    assert_eq!(bob["evaluator_critique"], PB0_CRITIQUE);

    let unlabelled = &records[4];
    assert_eq!(unlabelled["external_id"], "pb-3");
    assert_eq!(unlabelled["annotator"], "");
    assert_eq!(unlabelled["wrong_reason"], "");
    assert_eq!(unlabelled["tags"], "");
    assert_eq!(unlabelled["metadata"], "{}");

    let jb0 = &records[5];
    assert_eq!(jb0["steps"], "");
    assert_eq!(jb0["tags"], "position-bias");
    assert_eq!(jb0["human_agrees_with_gold"], "true");
    assert_eq!(jb0["evaluator_agrees_with_gold"], "");
}

#[test]
fn labels_parquet_has_typed_columns() {
    let f = fixture();
    let summary = f.export(ExportFormat::LabelsParquet, &run1(), "labels.parquet");
    assert_eq!(summary.rows, 7);
    let file = std::fs::File::open(f.out("labels.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let batch = single_batch(&batches);
    assert_eq!(batch.num_rows(), 7);
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, LABEL_COLUMNS);
    assert_eq!(
        schema.field_with_name("record_index").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(
        schema.field_with_name("wrong_reason").unwrap().data_type(),
        &DataType::Boolean
    );
    assert!(matches!(
        schema.field_with_name("tags").unwrap().data_type(),
        DataType::List(item) if item.data_type() == &DataType::Utf8
    ));

    let column = |name: &str| batch.column_by_name(name).unwrap().clone();
    let text = |name: &str, row: usize| {
        let c = column(name);
        let s = c.as_string::<i32>();
        (!s.is_null(row)).then(|| s.value(row).to_owned())
    };
    let list = |name: &str, row: usize| {
        let c = column(name);
        let l = c.as_list::<i32>();
        (!l.is_null(row)).then(|| {
            let values = l.value(row);
            let values = values.as_string::<i32>();
            (0..values.len())
                .map(|i| values.value(i).to_owned())
                .collect::<Vec<_>>()
        })
    };
    let flag = |name: &str, row: usize| {
        let c = column(name);
        let b = c.as_boolean();
        (!b.is_null(row)).then(|| b.value(row))
    };
    // Row 1: pb-0 by bob.
    assert_eq!(text("fare_lens_export", 1).as_deref(), Some("labels/1"));
    assert_eq!(text("annotator", 1).as_deref(), Some("bob"));
    assert_eq!(
        list("steps", 1).unwrap(),
        ["Each box has 4 apples.", "3 x 4 = 11.", "The answer is 11."]
    );
    assert_eq!(
        list("tags", 1).unwrap(),
        ["evaluator-calculation", "right-verdict-wrong-reason"]
    );
    assert_eq!(flag("wrong_reason", 1), Some(true));
    assert_eq!(flag("evaluator_agrees_with_gold", 1), Some(true));
    assert_eq!(
        text("metadata", 1).as_deref(),
        Some(r#"{"generator":"Qwen2.5-7B-Instruct","final_answer_correct":false}"#)
    );
    let run_ids = column("run_id");
    let run_ids = run_ids.as_primitive::<Int64Type>();
    assert_eq!(run_ids.value(1), 1);
    assert!(run_ids.is_null(5), "run 1 did not judge jb-0");
    // Row 4: pb-3, nobody's label.
    assert_eq!(text("external_id", 4).as_deref(), Some("pb-3"));
    assert_eq!(text("annotator", 4), None);
    assert_eq!(list("tags", 4), None);
    assert_eq!(flag("wrong_reason", 4), None);
    assert_eq!(text("evaluator_verdict", 4).as_deref(), Some("-1"));
    // Row 5: jb-0, a pairwise sample: no steps, one tag.
    assert_eq!(list("steps", 5), None);
    assert_eq!(list("tags", 5).unwrap(), ["position-bias"]);
    assert_eq!(
        text("response_b", 5).as_deref(),
        Some("return n * (n + 1) // 2 if n > 0 else 0")
    );
}

/// The only batch of a small file.
fn single_batch(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "expected a single batch");
    batches[0].clone()
}

fn messages(line: &Value) -> (String, String, String) {
    let m = line["messages"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(
        m.iter()
            .map(|x| x["role"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["system", "user", "assistant"]
    );
    let text = |i: usize| m[i]["content"].as_str().unwrap().to_owned();
    (text(0), text(1), text(2))
}

#[test]
fn sft_uses_the_critique_for_accepted_labels_and_the_direct_form_otherwise() {
    let f = fixture();
    let options = ExportOptions {
        run_id: Some(1),
        annotator: Some("alice".to_owned()),
        dataset_id: Some(f.processbench_id()),
        ..ExportOptions::default()
    };
    let summary = f.export(ExportFormat::SftJsonl, &options, "sft.jsonl");
    assert_eq!((summary.rows, summary.samples, summary.skipped), (3, 4, 1));
    let lines = jsonl(&f.out("sft.jsonl"));
    let template = Template::builtin_for(Task::StepLevel).unwrap();
    let render = |name: &str, mode| {
        let s = f.project.sample(f.samples[name]).unwrap().sample;
        template.render(&s, mode, ResponseOrder::Original).unwrap()
    };

    // pb-0: accepted, the run's critique has the verdict: critique mode.
    let pb0 = &lines[0];
    let (system, user, assistant) = messages(pb0);
    let prompt = render("pb-0", PromptMode::Critique);
    assert_eq!(system, template.system);
    assert_eq!(system, prompt.system);
    assert_eq!(user, prompt.user);
    assert!(user.contains("<step 1> 3 x 4 = 11.</step 1>"));
    assert_eq!(
        assistant,
        format!("Explanation: {PB0_CRITIQUE}\nVerdict: 1")
    );
    assert_eq!(pb0["sample"], "pb-0");
    assert_eq!(pb0["dataset"], "processbench");
    assert_eq!(pb0["task"], "step-level");
    assert_eq!(pb0["kind"], "critique");
    assert_eq!(pb0["annotator"], "alice");
    assert_eq!(pb0["template_hash"], template.content_hash());
    let keys: Vec<&str> = pb0
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "messages",
            "sample",
            "dataset",
            "task",
            "kind",
            "annotator",
            "final_source",
            "template_hash"
        ]
    );

    // pb-1 and pb-2: corrected: direct mode with the direct system message.
    let direct_system = template.direct.as_ref().unwrap().system.clone();
    for (line, name, verdict) in [(&lines[1], "pb-1", "-1"), (&lines[2], "pb-2", "1")] {
        let (system, user, assistant) = messages(line);
        assert_eq!(line["sample"], name);
        assert_eq!(line["kind"], "direct");
        assert_eq!(system, direct_system);
        assert_eq!(user, render(name, PromptMode::Direct).user);
        assert_eq!(assistant, format!("Verdict: {verdict}"));
    }
}

#[test]
fn sft_takes_the_newest_confirmed_label_and_wrong_reason_means_direct() {
    let f = fixture();
    let summary = f.export(ExportFormat::SftJsonl, &run1(), "sft.jsonl");
    assert_eq!((summary.rows, summary.samples, summary.skipped), (5, 6, 1));
    let lines = jsonl(&f.out("sft.jsonl"));
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["sample"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pb-0", "pb-1", "pb-2", "jb-0", "jb-1"]);
    // bob's label is the newer one on pb-0, and marks the right verdict for the wrong reason.
    let pb0 = &lines[0];
    assert_eq!(pb0["annotator"], "bob");
    assert_eq!(pb0["kind"], "direct");
    assert_eq!(messages(pb0).2, "Verdict: 1");

    // Pairwise, with the pairwise run: accepted jb-1 is a critique, corrected jb-0 direct, and
    // the verdict is written as the model writes it.
    let summary = f.export(
        ExportFormat::SftJsonl,
        &ExportOptions::default(),
        "pairs.jsonl",
    );
    assert_eq!(summary.rows, 5);
    let lines = jsonl(&f.out("pairs.jsonl"));
    let pairwise = Template::builtin_for(Task::Pairwise).unwrap();
    let jb0 = &lines[3];
    assert_eq!(jb0["kind"], "direct");
    assert_eq!(messages(jb0).0, pairwise.direct.as_ref().unwrap().system);
    assert_eq!(messages(jb0).2, "Verdict: [B]");
    let jb1 = &lines[4];
    assert_eq!(jb1["kind"], "critique");
    assert_eq!(messages(jb1).0, pairwise.system);
    assert_eq!(
        messages(jb1).2,
        format!("Explanation: {JB1_CRITIQUE}\nVerdict: [A]")
    );
    assert!(
        messages(jb1)
            .1
            .contains("[The Start of Assistant A's Answer]\n5\n")
    );
}

fn chat(line: &Value, key: &str) -> Vec<(String, String)> {
    line[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn preference_pairs_prefer_a_stored_judgment_and_fall_back_to_the_direct_form() {
    let f = fixture();
    let options = ExportOptions {
        dataset_id: Some(f.processbench_id()),
        ..run1()
    };
    let summary = f.export(ExportFormat::PreferenceJsonl, &options, "pref.jsonl");
    assert_eq!((summary.rows, summary.samples, summary.skipped), (2, 4, 2));
    let lines = jsonl(&f.out("pref.jsonl"));
    let template = Template::builtin_for(Task::StepLevel).unwrap();

    // pb-1: the evaluator said 0, alice -1; no stored judgment says -1.
    let pb1 = &lines[0];
    assert_eq!(pb1["sample"], "pb-1");
    assert_eq!(pb1["chosen_kind"], "direct");
    assert_eq!(
        chat(pb1, "chosen"),
        [("assistant".to_owned(), "Verdict: -1".to_owned())]
    );
    assert_eq!(
        chat(pb1, "rejected"),
        [(
            "assistant".to_owned(),
            "Explanation: The sum is right, but the final sentence repeats it.\n**Verdict:** 0"
                .to_owned()
        )]
    );
    let s = f.project.sample(f.samples["pb-1"]).unwrap().sample;
    let prompt = template
        .render(&s, PromptMode::Critique, ResponseOrder::Original)
        .unwrap();
    assert_eq!(
        chat(pb1, "prompt"),
        [
            ("system".to_owned(), prompt.system),
            ("user".to_owned(), prompt.user)
        ]
    );
    assert_eq!(pb1["dataset"], "processbench");
    assert_eq!(pb1["task"], "step-level");
    assert_eq!(pb1["annotator"], "alice");
    let keys: Vec<&str> = pb1
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "prompt",
            "chosen",
            "rejected",
            "sample",
            "dataset",
            "task",
            "chosen_kind",
            "annotator",
            "final_source"
        ]
    );

    // pb-2: the first output was truncated; a later attempt found the error alice confirmed.
    let pb2 = &lines[1];
    assert_eq!(pb2["sample"], "pb-2");
    assert_eq!(pb2["chosen_kind"], "judgment");
    assert_eq!(
        chat(pb2, "chosen")[0].1,
        format!("Explanation: {PB2_GOOD_CRITIQUE}\nVerdict: 1")
    );
    assert_eq!(
        chat(pb2, "rejected")[0].1,
        "Explanation: Step 0 sets x = 5 and step 1 then claims 2x = 12, which"
    );
}

#[test]
fn preference_never_takes_a_swapped_judgment_as_chosen() {
    let f = fixture();
    let options = ExportOptions {
        dataset_id: Some(f.judgebench_id()),
        ..ExportOptions::default()
    };
    let summary = f.export(ExportFormat::PreferenceJsonl, &options, "pref.jsonl");
    assert_eq!((summary.rows, summary.samples, summary.skipped), (1, 2, 1));
    let lines = jsonl(&f.out("pref.jsonl"));
    let jb0 = &lines[0];
    assert_eq!(jb0["sample"], "jb-0");
    assert_eq!(jb0["chosen_kind"], "judgment");
    assert_eq!(
        chat(jb0, "chosen")[0].1,
        format!("Explanation: {JB0_GOOD_CRITIQUE}\nVerdict: [B]")
    );
    assert_eq!(chat(jb0, "rejected")[0].1, JB0_WRONG_RAW);
    assert!(
        chat(jb0, "prompt")[1]
            .1
            .contains("[The Start of Assistant A's Answer]\nreturn n * (n + 1) / 2\n")
    );
}

#[test]
fn verification_and_rating_verdicts_are_written_as_the_model_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    let mut writer = project
        .begin_import(&dataset("mixed", "mixed.jsonl"))
        .unwrap();
    let rf = writer
        .add(
            0,
            &sample(
                "rf-0",
                "What is 7 x 8?",
                Content::ReferenceFree {
                    response: "7 x 8 = 54".to_owned(),
                },
                None,
            ),
            &[],
        )
        .unwrap();
    let rt = writer
        .add(
            1,
            &sample(
                "rt-0",
                "Explain photosynthesis in one sentence.",
                Content::Rating {
                    response: "Plants turn light, water and CO2 into sugar and oxygen.".to_owned(),
                    rubric: Some("10 = complete and correct.".to_owned()),
                    reference: None,
                },
                Some(Verdict::Rating(9)),
            ),
            &[],
        )
        .unwrap();
    writer.finish(2, 0).unwrap();
    let r1 = run(&mut project, "FARE-8B", Task::ReferenceFree);
    judge(
        &mut project,
        r1,
        rf,
        VerdictRules::new(Task::ReferenceFree, 0),
        "Explanation: 7 x 8 is 56, so the response is right.\nVerdict: correct",
        Finish::Stopped,
        false,
        0,
    );
    let r2 = run(&mut project, "FARE-8B", Task::Rating);
    judge(
        &mut project,
        r2,
        rt,
        VerdictRules::new(Task::Rating, 0),
        "Explanation: Accurate and complete, though terse.\nVerdict: 9/10",
        Finish::Stopped,
        false,
        0,
    );
    let correct = AnnotationAction::Correct {
        verdict: Verdict::Correctness(Correctness::Incorrect),
    };
    project.annotate(rf, "alice", &correct, None).unwrap();
    let accept = AnnotationAction::Accept {
        verdict: Verdict::Rating(9),
    };
    project.annotate(rt, "alice", &accept, None).unwrap();

    let out = dir.path().join("rf.jsonl");
    let options = ExportOptions {
        run_id: Some(r1),
        ..ExportOptions::default()
    };
    export(&project, ExportFormat::SftJsonl, &options, &out).unwrap();
    let lines = jsonl(&out);
    assert_eq!(messages(&lines[0]).2, "Verdict: incorrect");
    let reference_free = Template::builtin_for(Task::ReferenceFree).unwrap();
    assert_eq!(lines[0]["template_hash"], reference_free.content_hash());

    let out = dir.path().join("rt.jsonl");
    export(
        &project,
        ExportFormat::SftJsonl,
        &ExportOptions::default(),
        &out,
    )
    .unwrap();
    let lines = jsonl(&out);
    assert_eq!(lines[1]["kind"], "critique");
    assert_eq!(
        messages(&lines[1]).2,
        "Explanation: Accurate and complete, though terse.\nVerdict: 9"
    );
    assert!(
        messages(&lines[1])
            .1
            .contains("[Rubric]\n10 = complete and correct.")
    );

    let out = dir.path().join("labels.jsonl");
    export(
        &project,
        ExportFormat::LabelsJsonl,
        &ExportOptions::default(),
        &out,
    )
    .unwrap();
    let rows = jsonl(&out);
    assert_eq!(rows[0]["response"], "7 x 8 = 54");
    assert_eq!(rows[0]["human_verdict"], "incorrect");
    assert_eq!(rows[1]["rubric"], "10 = complete and correct.");
    assert_eq!(rows[1]["reference"], Value::Null);
    assert_eq!(rows[1]["evaluator_verdict"], "9");
    assert_eq!(rows[1]["ground_truth"], "9");

    let out = dir.path().join("pref.jsonl");
    let summary = export(&project, ExportFormat::PreferenceJsonl, &options, &out).unwrap();
    assert_eq!(summary.rows, 1);
    let lines = jsonl(&out);
    assert_eq!(chat(&lines[0], "chosen")[0].1, "Verdict: incorrect");
}

#[test]
fn a_failed_export_leaves_no_file() {
    let f = fixture();
    let missing = f.dir.path().join("no-such-dir").join("labels.jsonl");
    for format in ExportFormat::ALL {
        let err = export(&f.project, format, &ExportOptions::default(), &missing).unwrap_err();
        assert!(matches!(err, ExportError::Io { .. }), "{err}");
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
        assert!(!missing.exists());
    }

    // The output is a directory: everything is written, the final rename fails, and the
    // temporary file is removed.
    let target = f.dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "x").unwrap();
    for format in ExportFormat::ALL {
        let err = export(&f.project, format, &run1(), &target).unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
    }
    let mut left: Vec<String> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("project.sqlite"))
        .collect();
    left.sort();
    assert_eq!(left, ["taken"]);

    // A refused export keeps the previous file as it was.
    let out = f.out("labels.jsonl");
    std::fs::write(&out, "previous export\n").unwrap();
    let options = ExportOptions {
        run_id: Some(7),
        ..ExportOptions::default()
    };
    assert!(export(&f.project, ExportFormat::LabelsJsonl, &options, &out).is_err());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous export\n");
    // A successful one replaces it.
    f.export(ExportFormat::LabelsJsonl, &run1(), "labels.jsonl");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("{\"fare_lens_export\"")
    );
}

#[test]
fn exports_are_deterministic() {
    let f = fixture();
    for format in ExportFormat::ALL {
        for options in [ExportOptions::default(), run1()] {
            let a = f.out(&format!("a.{}", format.extension()));
            let b = f.out(&format!("b.{}", format.extension()));
            export(&f.project, format, &options, &a).unwrap();
            export(&f.project, format, &options, &b).unwrap();
            let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            assert!(!a.is_empty(), "{format}");
            assert_eq!(a, b, "{format}");
        }
    }
}

#[test]
fn an_empty_project_exports_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    for format in ExportFormat::ALL {
        let out = dir.path().join(format!("empty.{}", format.extension()));
        let summary = export(&project, format, &ExportOptions::default(), &out).unwrap();
        assert_eq!((summary.rows, summary.samples, summary.skipped), (0, 0, 0));
        assert!(out.exists(), "{format}");
    }
    let mut reader = csv::Reader::from_path(dir.path().join("empty.csv")).unwrap();
    assert_eq!(reader.headers().unwrap().len(), LABEL_COLUMNS.len());
    let file = std::fs::File::open(dir.path().join("empty.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.schema().fields().len(), LABEL_COLUMNS.len());
}

/// Everything a project says about its samples and their human labels, keyed by (data set,
/// sample id): what a round trip must keep.
type Contents =
    BTreeMap<(String, String), (Sample, Vec<(String, fare_core::Label, String, String)>)>;

fn contents(project: &Project) -> Contents {
    let ids: Vec<i64> = {
        let conn = project.raw_connection();
        let mut stmt = conn.prepare("SELECT id FROM samples ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    ids.into_iter()
        .map(|id| {
            let stored = project.sample(id).unwrap();
            let labels = project
                .labels_of(id)
                .unwrap()
                .into_iter()
                .filter(|l| !l.label.is_empty())
                .map(|l| {
                    let label = fare_core::Label {
                        can_undo: false,
                        can_redo: false,
                        ..l.label
                    };
                    (l.annotator, label, l.first_at, l.updated_at)
                })
                .collect();
            (
                (stored.dataset, stored.sample.external_id.clone()),
                (stored.sample, labels),
            )
        })
        .collect()
}

#[test]
fn labels_round_trip_through_every_container_into_a_fresh_project() {
    let mut f = fixture();
    // A tag of the user's own travels too (it becomes a tag of the receiving project).
    f.project.add_tag("unit-error", "Unit error", "").unwrap();
    let pb0 = f.samples["pb-0"];
    annotate(&mut f.project, pb0, "ana", &tag("unit-error"));
    let before = contents(&f.project);
    assert!(
        before.values().any(|(_, labels)| labels.len() >= 2),
        "the fixture has a sample labelled twice"
    );
    assert!(
        before
            .values()
            .any(|(_, labels)| labels.iter().any(|l| !l.1.tags.is_empty()))
    );
    for (format, name) in [
        (ExportFormat::LabelsJsonl, "rt.jsonl"),
        (ExportFormat::LabelsCsv, "rt.csv"),
        (ExportFormat::LabelsParquet, "rt.parquet"),
    ] {
        f.export(format, &ExportOptions::default(), name);
        let mut fresh = Project::open_or_create(&f.out(&format!("{name}.sqlite"))).unwrap();
        let report = fare_io::import::import_file(
            &mut fresh,
            &f.out(name),
            &fare_io::import::ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(report.format, fare_io::formats::Format::Labels, "{format}");
        let after = contents(&fresh);
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            "{format}: samples"
        );
        for (key, (sample, labels)) in &before {
            let (sample_after, labels_after) = &after[key];
            assert_eq!(sample_after, sample, "{format}: sample {key:?}");
            assert_eq!(labels_after, labels, "{format}: labels of {key:?}");
        }
        // Exporting the re-imported project gives the same human columns again.
        let again = f.out(&format!("again-of-{name}"));
        export(&fresh, format, &ExportOptions::default(), &again).unwrap();
        if format == ExportFormat::LabelsJsonl {
            let human = |rows: Vec<Value>| -> Vec<Value> {
                rows.into_iter()
                    .map(|r| {
                        [
                            "dataset",
                            "external_id",
                            "ground_truth",
                            "annotator",
                            "decision",
                            "human_verdict",
                            "wrong_reason",
                            "tags",
                            "note",
                            "first_annotated_at",
                            "annotated_at",
                        ]
                        .iter()
                        .map(|c| r[*c].clone())
                        .collect()
                    })
                    .collect()
            };
            assert_eq!(human(jsonl(&again)), human(jsonl(&f.out(name))));
        }
    }
}

#[test]
fn labels_csv_cells_a_spreadsheet_would_run_are_defused_and_read_back_as_they_were() {
    let mut f = fixture();
    let pb0 = f.samples["pb-0"];
    let note = "=HYPERLINK(\"http://evil.test\",\"click\")";
    annotate(
        &mut f.project,
        pb0,
        "ana",
        &AnnotationAction::Note {
            text: note.to_owned(),
        },
    );
    let pb2 = f.samples["pb-2"];
    let quoted = "'quoted from the paper";
    annotate(
        &mut f.project,
        pb2,
        "ana",
        &AnnotationAction::Note {
            text: quoted.to_owned(),
        },
    );
    let before = contents(&f.project);
    f.export(
        ExportFormat::LabelsCsv,
        &ExportOptions::default(),
        "formula.csv",
    );
    let mut reader = csv::Reader::from_path(f.out("formula.csv")).unwrap();
    let records: Vec<BTreeMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    let notes: Vec<&str> = records.iter().map(|r| r["note"].as_str()).collect();
    assert!(notes.contains(&format!("'{note}").as_str()), "{notes:?}");
    assert!(notes.contains(&format!("'{quoted}").as_str()), "{notes:?}");
    assert!(
        records
            .iter()
            .all(|r| !r.values().any(|c| c.starts_with(['=', '@', '+']))),
        "a cell a spreadsheet would run: {records:?}"
    );
    // A step verdict of -1 (no wrong step) is a number, not a formula: it stays as it is.
    assert!(
        records.iter().any(|r| r["ground_truth"] == "-1"),
        "{records:?}"
    );

    let mut fresh = Project::open_or_create(&f.out("formula.sqlite")).unwrap();
    fare_io::import::import_file(
        &mut fresh,
        &f.out("formula.csv"),
        &fare_io::import::ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        contents(&fresh),
        before,
        "the CSV read back is what was exported"
    );
}
