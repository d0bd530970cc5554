//! Exports under each choice of final label (adjudicated, majority, one annotator), their
//! summaries, the preview and the export that never replaces a file, on a real project file.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::collections::BTreeMap;
use std::path::Path;

use fare_core::sample::Content;
use fare_core::{
    AnnotationAction, FinalLabel, Judgment, Outcome, Sample, Side, Task, Template, Verdict,
};
use fare_io::export::{ExportError, ExportFormat, ExportOptions, export, export_new, preview};
use fare_store::{NewDataset, NewJudgment, NewRun, Project};
use serde_json::Value;

const A: Verdict = Verdict::Pick(Side::A);
const B: Verdict = Verdict::Pick(Side::B);

/// p0: ana A, ben B, cy B (evaluator A). p1: ana B, ben A, adjudicated A by dee (evaluator B).
/// p2: ana A, ben A (evaluator A). p3: nobody (evaluator A).
fn fixture(dir: &Path) -> Project {
    let mut project = Project::open_or_create(&dir.join("p.sqlite")).unwrap();
    let mut writer = project
        .begin_import(&NewDataset {
            name: "pairs".into(),
            source_file: "pairs.jsonl".into(),
            format: "jsonl".into(),
            content_hash: "h".into(),
            mapping: None,
        })
        .unwrap();
    let ids: Vec<i64> = (0..4)
        .map(|i| {
            let sample = Sample {
                external_id: format!("p{i}"),
                source: None,
                question: format!("question {i}"),
                content: Content::Pairwise {
                    response_a: "a".into(),
                    response_b: "b".into(),
                },
                gold: Some(A),
                metadata: serde_json::Map::new(),
            };
            writer.add(i, &sample, &[]).unwrap()
        })
        .collect();
    writer.finish(4, 0).unwrap();
    let run = project
        .begin_run(&NewRun {
            model_name: "fare-8b".into(),
            model_kind: "local".into(),
            model_location: None,
            template: Template::builtin_for(Task::Pairwise).unwrap(),
            mode: fare_core::PromptMode::Critique,
            params: serde_json::json!({}),
            status: fare_store::RunStatus::Running,
            label: None,
        })
        .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let verdict = if i == 1 { B } else { A };
        let judgment = Judgment {
            raw_output: format!("Explanation: because.\nVerdict: [{verdict}]"),
            critique: "because.".into(),
            analysis: None,
            outcome: Outcome::Parsed { verdict },
        };
        project
            .add_judgment(
                run,
                &NewJudgment {
                    sample_id: *id,
                    swapped: false,
                    attempt: 0,
                    judgment: &judgment,
                    prompt_tokens: None,
                    output_tokens: None,
                    latency_ms: None,
                    verdict_probs: None,
                },
            )
            .unwrap();
    }
    project
        .end_run(run, fare_store::RunStatus::Finished)
        .unwrap();
    let mut label = |sample: i64, who: &str, verdict: Verdict| {
        // Labels a millisecond apart, so "the newest label" is one.
        std::thread::sleep(std::time::Duration::from_millis(3));
        project
            .annotate(sample, who, &AnnotationAction::Correct { verdict }, None)
            .unwrap();
    };
    label(ids[0], "ana", A);
    label(ids[0], "ben", B);
    label(ids[0], "cy", B);
    label(ids[1], "ana", B);
    label(ids[1], "ben", A);
    label(ids[2], "ana", A);
    label(ids[2], "ben", A);
    project
        .adjudicate(ids[1], "dee", Some(A), Some("A is right"))
        .unwrap();
    project
}

fn options(final_label: FinalLabel) -> ExportOptions {
    ExportOptions {
        final_label,
        ..ExportOptions::default()
    }
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_final_label_choice_decides_the_retraining_sets_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture(dir.path());
    let ana = FinalLabel::Annotator { name: "ana".into() };

    // Adjudicated: p1 by dee, p2 unanimous; p0 split and not adjudicated; p3 unlabelled.
    let out = dir.path().join("sft-adjudicated.jsonl");
    let s = export(
        &project,
        ExportFormat::SftJsonl,
        &options(FinalLabel::Adjudicated),
        &out,
    )
    .unwrap();
    assert_eq!((s.rows, s.samples, s.skipped), (2, 4, 2));
    assert_eq!(
        s.final_sources,
        counts(&[("adjudicated", 1), ("unanimous", 1)])
    );
    assert_eq!(
        s.unresolved,
        counts(&[
            ("annotators disagree and nobody adjudicated", 1),
            ("no human verdict", 1)
        ])
    );
    assert_eq!(s.skipped_reasons, s.unresolved);
    let rows = lines(&out);
    assert_eq!(
        rows.iter()
            .map(|r| (
                r["sample"].as_str().unwrap(),
                r["final_source"].as_str().unwrap(),
                r["annotator"].as_str().unwrap(),
                r["kind"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("p1", "adjudicated", "dee", "direct"),
            ("p2", "unanimous", "ben", "critique")
        ]
    );
    assert!(
        rows[0]["messages"][2]["content"]
            .as_str()
            .unwrap()
            .ends_with("Verdict: [A]")
    );

    // Majority: p0 B (two of three), p2 A; p1 is a tie (the adjudication is no vote).
    let out = dir.path().join("sft-majority.jsonl");
    let s = export(
        &project,
        ExportFormat::SftJsonl,
        &options(FinalLabel::Majority),
        &out,
    )
    .unwrap();
    assert_eq!((s.rows, s.skipped), (2, 2));
    assert_eq!(s.final_sources, counts(&[("majority", 2)]));
    assert_eq!(
        s.unresolved,
        counts(&[("a tie between annotators", 1), ("no human verdict", 1)])
    );
    let rows = lines(&out);
    assert_eq!(rows[0]["sample"], "p0");
    assert!(
        rows[0]["messages"][2]["content"]
            .as_str()
            .unwrap()
            .ends_with("Verdict: [B]")
    );
    assert_eq!(
        rows[0]["annotator"], "cy",
        "the newest label with the verdict"
    );

    // One annotator: ana's own verdicts, whatever the others or the adjudicator said.
    let out = dir.path().join("sft-ana.jsonl");
    let s = export(
        &project,
        ExportFormat::SftJsonl,
        &options(ana.clone()),
        &out,
    )
    .unwrap();
    assert_eq!((s.rows, s.skipped), (3, 1));
    assert_eq!(s.final_sources, counts(&[("annotator", 3)]));
    let verdicts: Vec<String> = lines(&out)
        .iter()
        .map(|r| {
            r["messages"][2]["content"]
                .as_str()
                .unwrap()
                .chars()
                .rev()
                .take(3)
                .collect()
        })
        .collect();
    assert_eq!(verdicts, ["]A[", "]B[", "]A["]);

    // Preference pairs: where the final verdict overrules the evaluator.
    let pref = |choice: FinalLabel, name: &str| {
        let out = dir.path().join(name);
        let s = export(
            &project,
            ExportFormat::PreferenceJsonl,
            &options(choice),
            &out,
        )
        .unwrap();
        (s, lines(&out))
    };
    let (s, rows) = pref(FinalLabel::Adjudicated, "pref-adjudicated.jsonl");
    assert_eq!(s.rows, 1);
    assert_eq!(
        (rows[0]["sample"].as_str(), rows[0]["final_source"].as_str()),
        (Some("p1"), Some("adjudicated"))
    );
    assert_eq!(
        s.skipped_reasons,
        counts(&[
            ("annotators disagree and nobody adjudicated", 1),
            ("no human verdict", 1),
            ("the evaluator gave the final verdict", 1)
        ])
    );
    let (s, rows) = pref(FinalLabel::Majority, "pref-majority.jsonl");
    assert_eq!((s.rows, rows[0]["sample"].as_str()), (1, Some("p0")));
    let (s, _) = pref(ana, "pref-ana.jsonl");
    assert_eq!(s.rows, 0);
    assert_eq!(
        s.skipped_reasons,
        counts(&[
            ("the chosen annotator gave no verdict", 1),
            ("the evaluator gave the final verdict", 3)
        ])
    );

    // The labels formats keep every annotator's row and add the final verdict beside it.
    let out = dir.path().join("labels.jsonl");
    let s = export(
        &project,
        ExportFormat::LabelsJsonl,
        &options(FinalLabel::Majority),
        &out,
    )
    .unwrap();
    assert_eq!((s.rows, s.skipped), (8, 0));
    let rows = lines(&out);
    let finals: Vec<(&str, &str, &Value, &Value)> = rows
        .iter()
        .map(|r| {
            (
                r["external_id"].as_str().unwrap(),
                r["annotator"].as_str().unwrap_or("-"),
                &r["final_verdict"],
                &r["final_source"],
            )
        })
        .collect();
    assert_eq!(
        finals[0],
        ("p0", "ana", &Value::from("B"), &Value::from("majority"))
    );
    assert_eq!(finals[3].2, &Value::Null, "p1 is a tie");
    assert_eq!(finals[7], ("p3", "-", &Value::Null, &Value::Null));
}

#[test]
fn the_preview_shows_the_first_rows_as_written_and_a_new_export_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let project = fixture(dir.path());
    let all = ExportOptions::default();

    let p = preview(&project, ExportFormat::LabelsCsv, &all, 2).unwrap();
    assert!(
        p.header
            .as_deref()
            .unwrap()
            .starts_with("fare_lens_export,dataset,")
    );
    assert_eq!(p.rows.len(), 2);
    assert!(
        p.rows[0].starts_with("labels/1,pairs,pairs.jsonl,0,p0,"),
        "{}",
        p.rows[0]
    );
    // The preview reads no further than it needs: p0 alone gives three rows.
    assert_eq!(p.samples_read, 1);

    let p = preview(&project, ExportFormat::SftJsonl, &all, 5).unwrap();
    assert_eq!(p.rows.len(), 2, "only two samples have a final verdict");
    assert_eq!(p.samples_read, 4);
    let first: Value = serde_json::from_str(&p.rows[0]).unwrap();
    assert_eq!(first["sample"], "p1");
    assert_eq!(
        p.partial.final_sources,
        counts(&[("adjudicated", 1), ("unanimous", 1)])
    );

    let p = preview(&project, ExportFormat::LabelsParquet, &all, 1).unwrap();
    let row: Value = serde_json::from_str(&p.rows[0]).unwrap();
    assert_eq!(
        (row["external_id"].as_str(), row["annotator"].as_str()),
        (Some("p0"), Some("ana"))
    );

    // Full export agrees with the preview's first rows.
    let out = dir.path().join("sft.jsonl");
    export_new(&project, ExportFormat::SftJsonl, &all, &out).unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    let preview_rows = preview(&project, ExportFormat::SftJsonl, &all, 5)
        .unwrap()
        .rows;
    assert_eq!(written.lines().collect::<Vec<_>>(), preview_rows);
    // A second export to the same name is refused and the file is kept.
    let e = export_new(&project, ExportFormat::LabelsJsonl, &all, &out).unwrap_err();
    assert!(matches!(e, ExportError::Exists(_)), "{e}");
    assert!(e.to_string().contains("sft.jsonl"), "{e}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), written);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
