//! The application API on a real project file: the queue, the sample view and decisions, as
//! the UI uses them.

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use std::path::Path;

use fare_app::api::{Decision, DecisionRequest, OpenProject, SampleQuery};
use fare_core::parse::{Finish, read_output};
use fare_core::{Task, Template, VerdictRules};
use fare_io::import::{ImportOptions, import_file};
use fare_store::{NewJudgment, NewRun, Project, ReviewFilter};

/// A project with three ProcessBench-style samples (gold 1, -1, 0) and one evaluator run that
/// judged the first two (verdicts 2 and -1), for annotator `ana`.
fn project(dir: &Path) -> (OpenProject, Vec<i64>) {
    let data = dir.join("pb.json");
    std::fs::write(
        &data,
        r#"[{"id": "t-0", "problem": "What is $2 \\cdot 3 + 1$?", "steps": ["$2 \\cdot 3 = 6$.", "$6 + 1 = 8$.", "So **8**."], "label": 1},
            {"id": "t-1", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1},
            {"id": "t-2", "problem": "2 + 2?", "steps": ["2 + 2 = 5."], "label": 0}]"#,
    )
    .unwrap();
    let mut project = Project::open_or_create(&dir.join("p.fare")).unwrap();
    import_file(&mut project, &data, &ImportOptions::default(), &mut |_| {}).unwrap();
    let ids: Vec<i64> = project
        .list_samples(&fare_store::SampleFilter::default(), 0, 10)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let run = project
        .begin_run(&NewRun {
            model_name: "FARE-8B".into(),
            model_kind: "external".into(),
            model_location: None,
            template: Template::builtin_for(Task::StepLevel).unwrap(),
            mode: fare_core::PromptMode::Critique,
            params: serde_json::json!({}),
            status: fare_store::RunStatus::Finished,
            label: None,
        })
        .unwrap();
    for (id, output, steps) in [
        (ids[0], "Step 2 claims 6 + 1 = 8.\nVerdict: 2", 3),
        (ids[1], "All steps hold.\nVerdict: -1", 1),
    ] {
        let judgment = read_output(
            output,
            &VerdictRules::new(Task::StepLevel, steps),
            Finish::Stopped,
        );
        project
            .add_judgment(
                run,
                &NewJudgment {
                    sample_id: id,
                    swapped: false,
                    attempt: 0,
                    judgment: &judgment,
                    prompt_tokens: None,
                    output_tokens: Some(9),
                    latency_ms: None,
                    verdict_probs: Some(fare_core::RecordedProbs::from_json(&serde_json::json!({"probs": {"-1": 0.1, "0": 0.1, "1": 0.3, "2": 0.5}, "mass": 0.9})).unwrap()),
                },
            )
            .unwrap();
    }
    (OpenProject::new(project, "ana"), ids)
}

#[test]
fn the_sample_view_has_the_trace_the_verdict_and_what_a_person_may_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (open, ids) = project(dir.path());
    let detail = open.sample(ids[0], None).unwrap();
    assert_eq!(detail.content.task(), Task::StepLevel);
    assert_eq!(detail.question, "What is $2 \\cdot 3 + 1$?");
    assert_eq!(detail.content.steps().len(), 3);
    assert_eq!(detail.content.steps()[1].index, 1);
    assert_eq!(detail.content.steps()[1].text, "$6 + 1 = 8$.");
    // The content crosses to the UI as a union tagged by the task: a step-level sample has
    // steps and none of the other tasks' fields.
    let json = serde_json::to_value(&detail).unwrap();
    assert_eq!(json["task"], "step-level");
    assert_eq!(json["steps"][1]["text"], "$6 + 1 = 8$.");
    for absent in [
        "response",
        "response_a",
        "response_b",
        "reference",
        "rubric",
    ] {
        assert!(json.get(absent).is_none(), "{absent} in {json}");
    }
    assert_eq!(detail.gold.as_deref(), Some("1"));
    assert_eq!(detail.admissible, ["-1", "0", "1", "2"]);
    assert_eq!(detail.judgments.len(), 1);
    let judgment = &detail.judgments[0];
    assert_eq!(judgment.model, "FARE-8B");
    assert_eq!(judgment.verdict.as_deref(), Some("2"));
    assert_eq!(judgment.state, "parsed");
    assert_eq!(judgment.agrees_with_gold, Some(false));
    assert_eq!(judgment.critique, "Step 2 claims 6 + 1 = 8.");
    let probs = judgment.verdict_probs.as_ref().unwrap();
    assert_eq!(probs.len(), 4);
    assert_eq!(probs[3].verdict, "2");
    assert!((probs[3].p - 0.5).abs() < 1e-12);
    assert_eq!(detail.shown_run, Some(judgment.run_id));
    assert_eq!(detail.label.decision, "unreviewed");
    assert!(!detail.label.can_undo);
    // A sample the run did not judge has no judgment, and says so.
    assert!(open.sample(ids[2], None).unwrap().judgments.is_empty());
    let err = open.sample(9999, None).unwrap_err().to_string();
    assert!(err.contains("9999"), "{err}");
}

#[test]
fn decisions_are_stored_at_once_undone_and_redone() {
    let dir = tempfile::tempdir().unwrap();
    let (mut open, ids) = project(dir.path());
    let judgment_id = open.sample(ids[0], None).unwrap().judgments[0].id;
    let decide = |open: &mut OpenProject, decision: Decision| {
        open.decide(&DecisionRequest {
            sample_id: ids[0],
            judgment_id: Some(judgment_id),
            decision,
        })
    };
    let label = decide(
        &mut open,
        Decision::Correct {
            verdict: "1".into(),
        },
    )
    .unwrap();
    assert_eq!(
        (label.decision.as_str(), label.verdict.as_deref()),
        ("corrected", Some("1"))
    );
    assert!(label.can_undo);
    let tag = open.overview().unwrap().tags[0].id.clone();
    let label = decide(
        &mut open,
        Decision::Tag {
            tag: tag.clone(),
            on: true,
        },
    )
    .unwrap();
    assert_eq!(label.tags, [tag]);
    let label = decide(&mut open, Decision::Undo).unwrap();
    assert!(label.tags.is_empty());
    assert_eq!(label.verdict.as_deref(), Some("1"));
    assert!(label.can_redo);
    // A verdict that does not fit the sample is refused with the sample named; nothing stored.
    let err = decide(
        &mut open,
        Decision::Correct {
            verdict: "7".into(),
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`7`") && err.contains(&ids[0].to_string()),
        "{err}"
    );
    // Reopening the file finds the decision.
    drop(open);
    let reopened = OpenProject::open(&dir.path().join("p.fare"), "ana").unwrap();
    let label = reopened.sample(ids[0], None).unwrap().label;
    assert_eq!(
        (label.decision.as_str(), label.verdict.as_deref()),
        ("corrected", Some("1"))
    );
    // Another annotator sees it among the others' labels, not as their own.
    let bea = OpenProject::open(&dir.path().join("p.fare"), "bea").unwrap();
    let detail = bea.sample(ids[0], None).unwrap();
    assert_eq!(detail.label.decision, "unreviewed");
    assert_eq!(detail.other_labels.len(), 1);
    assert_eq!(detail.other_labels[0].annotator, "ana");
}

#[test]
fn the_queue_pages_filters_and_counts_what_this_annotator_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut open, ids) = project(dir.path());
    let all = SampleQuery::default();
    let counts = open.counts(&all).unwrap();
    assert_eq!((counts.matching, counts.reviewed), (3, 0));
    let page = open
        .samples(&SampleQuery {
            limit: 2,
            ..SampleQuery::default()
        })
        .unwrap();
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.next_after, Some(ids[1]));
    let rest = open
        .samples(&SampleQuery {
            limit: 2,
            after: ids[1],
            ..SampleQuery::default()
        })
        .unwrap();
    assert_eq!(rest.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[2]]);
    assert_eq!(rest.next_after, None);
    open.decide(&DecisionRequest {
        sample_id: ids[1],
        judgment_id: None,
        decision: Decision::Accept {
            verdict: "-1".into(),
        },
    })
    .unwrap();
    let counts = open.counts(&all).unwrap();
    assert_eq!((counts.matching, counts.reviewed), (3, 1));
    let unreviewed = SampleQuery {
        review: Some(ReviewFilter::Unreviewed),
        ..SampleQuery::default()
    };
    let rows = open.samples(&unreviewed).unwrap().rows;
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[0], ids[2]]
    );
    // Search reaches the steps; an empty search filters nothing.
    let found = open
        .samples(&SampleQuery {
            text: Some("5".into()),
            ..SampleQuery::default()
        })
        .unwrap();
    assert_eq!(
        found.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[2]]
    );
    let blank = SampleQuery {
        text: Some("  ".into()),
        ..SampleQuery::default()
    };
    assert_eq!(open.counts(&blank).unwrap().matching, 3);
    // The overview lists the data set, the run and the shipped tags.
    let overview = open.overview().unwrap();
    assert_eq!(overview.samples, 3);
    assert_eq!(overview.datasets.len(), 1);
    assert_eq!(overview.runs.len(), 1);
    assert_eq!(overview.runs[0].tasks, vec![Task::StepLevel]);
    assert!(overview.tags.len() >= 10);
    assert_eq!(overview.annotator, "ana");
}

#[test]
fn the_prompt_behind_a_judgment_is_its_runs_template_in_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let (open, ids) = project(dir.path());
    let detail = open.sample(ids[0], None).unwrap();
    let judged = open.prompt(ids[0], Some(detail.judgments[0].id)).unwrap();
    assert_eq!(judged.source, format!("run {}", detail.judgments[0].run_id));
    assert_eq!(judged.mode, fare_core::PromptMode::Critique);
    assert!(!judged.swapped);
    // The steps are tagged as the model saw them, numbered from 0.
    assert!(
        judged.user.contains("<step 1> $6 + 1 = 8$.</step 1>"),
        "{}",
        judged.user
    );
    assert!(judged.user.contains("<step 2>") && !judged.user.contains("<step 3>"));
    assert!(judged.user.contains("What is $2 \\cdot 3 + 1$?"));
    assert!(!judged.system.is_empty());
    assert_eq!(judged.provenance, "model-card");
    let template = Template::builtin_for(Task::StepLevel).unwrap();
    assert_eq!(judged.template_hash, template.content_hash());
    // Without a judgment: the shipped template, said as such.
    let shipped = open.prompt(ids[2], None).unwrap();
    assert_eq!(shipped.source, "the shipped template");
    assert!(shipped.user.contains("2 + 2 = 5."));
    // A judgment of another sample is refused with both named.
    let err = open
        .prompt(ids[2], Some(detail.judgments[0].id))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&ids[2].to_string()), "{err}");
}

#[test]
fn a_call_that_panics_is_an_error_and_the_project_is_reopened_as_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut open, ids) = project(dir.path());
    let note = |text: &str| DecisionRequest {
        sample_id: ids[0],
        judgment_id: None,
        decision: Decision::Note { text: text.into() },
    };
    open.guarded(|p| p.decide(&note("saved before"))).unwrap();
    // A bug half-way through a call: a write inside a transaction it never finishes.
    let failed = open
        .guarded(|p| -> Result<(), fare_app::api::ApiError> {
            p.project()
                .raw_connection()
                .execute_batch("BEGIN; UPDATE labels SET note = NULL;")
                .unwrap();
            panic!("injected: index out of bounds");
        })
        .unwrap_err();
    assert!(
        matches!(failed, fare_app::api::ApiError::Internal(ref m) if m.contains("injected")),
        "{failed}"
    );
    assert!(failed.to_string().contains("reopened"), "{failed}");
    // The next call works, on what the file has: the half-done delete never landed.
    let detail = open.guarded(|p| p.sample(ids[0], None)).unwrap();
    assert_eq!(detail.label.note.as_deref(), Some("saved before"));
    open.guarded(|p| p.decide(&note("saved after"))).unwrap();
    let reopened = OpenProject::open(&dir.path().join("p.fare"), "ana").unwrap();
    assert_eq!(
        reopened.sample(ids[0], None).unwrap().label.note.as_deref(),
        Some("saved after")
    );
}
