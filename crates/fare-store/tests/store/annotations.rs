//! Annotation events and the labels replayed from them.

use std::collections::BTreeSet;

use fare_core::{AnnotationAction, Decision, Label, Task, Verdict};
use fare_store::{Project, StoreError, StoredLabel};
use rusqlite::types::Value;

use crate::{
    A, B, import, judged, new_project, new_run, pairwise, parsed, rows, sample, step, steps,
};

fn fixture() -> (tempfile::TempDir, Project, i64, i64) {
    let (dir, mut project) = new_project();
    let mut s = sample("s", "q", steps(&["a", "b", "c"]));
    s.gold = Some(step(1));
    let p = sample("p", "q", pairwise("x", "y"));
    let ids = import(&mut project, "set", &[s, p]);
    (dir, project, ids[0], ids[1])
}

fn tag(tag: &str, on: bool) -> AnnotationAction {
    AnnotationAction::Tag {
        tag: tag.into(),
        on,
    }
}

fn tags(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|t| (*t).to_owned()).collect()
}

/// The label rows as stored (the cache the list filters read), every column, in a stable order.
fn label_rows(project: &Project) -> Vec<Vec<Value>> {
    let mut stmt = project
        .raw_connection()
        .prepare(
            "SELECT sample_id, annotator_id, decision, verdict, wrong_reason, tags, note, judgment_id, first_at, updated_at
             FROM labels ORDER BY sample_id, annotator_id",
        )
        .unwrap();
    stmt.query_map([], |r| (0..10).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn label_tag_rows(project: &Project) -> Vec<(i64, i64, String)> {
    let mut stmt = project
        .raw_connection()
        .prepare("SELECT sample_id, annotator_id, tag FROM label_tags ORDER BY sample_id, annotator_id, tag")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one script of events and the label after each"
)]
fn every_action_replays_into_the_label_and_labels_of_agrees() {
    let (_dir, mut project, s, _) = fixture();
    let steps_and_labels: Vec<(AnnotationAction, Label)> = vec![
        (
            AnnotationAction::Accept { verdict: step(1) },
            Label {
                decision: Decision::Accepted,
                verdict: Some(step(1)),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            tag("missed-error", true),
            Label {
                decision: Decision::Accepted,
                verdict: Some(step(1)),
                tags: tags(&["missed-error"]),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::Note {
                text: "step 1 doubles wrong".into(),
            },
            Label {
                decision: Decision::Accepted,
                verdict: Some(step(1)),
                tags: tags(&["missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::WrongReason { on: true },
            Label {
                decision: Decision::Accepted,
                verdict: Some(step(1)),
                wrong_reason: true,
                tags: tags(&["missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::Correct { verdict: step(2) },
            Label {
                decision: Decision::Corrected,
                verdict: Some(step(2)),
                wrong_reason: true,
                tags: tags(&["missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::Undo,
            Label {
                decision: Decision::Accepted,
                verdict: Some(step(1)),
                wrong_reason: true,
                tags: tags(&["missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                can_redo: true,
            },
        ),
        (
            AnnotationAction::Redo,
            Label {
                decision: Decision::Corrected,
                verdict: Some(step(2)),
                wrong_reason: true,
                tags: tags(&["missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                can_redo: false,
            },
        ),
        (
            tag("early-step", true),
            Label {
                decision: Decision::Corrected,
                verdict: Some(step(2)),
                wrong_reason: true,
                tags: tags(&["early-step", "missed-error"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            tag("missed-error", false),
            Label {
                decision: Decision::Corrected,
                verdict: Some(step(2)),
                wrong_reason: true,
                tags: tags(&["early-step"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::Clear,
            Label {
                can_undo: true,
                ..Label::default()
            },
        ),
        (
            AnnotationAction::Undo,
            Label {
                decision: Decision::Corrected,
                verdict: Some(step(2)),
                wrong_reason: true,
                tags: tags(&["early-step"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                can_redo: true,
            },
        ),
        (
            AnnotationAction::Correct {
                verdict: Verdict::FirstError(None),
            },
            Label {
                decision: Decision::Corrected,
                verdict: Some(Verdict::FirstError(None)),
                wrong_reason: true,
                tags: tags(&["early-step"]),
                note: Some("step 1 doubles wrong".into()),
                can_undo: true,
                can_redo: false,
            },
        ),
        (
            AnnotationAction::Note { text: "  ".into() },
            Label {
                decision: Decision::Corrected,
                verdict: Some(Verdict::FirstError(None)),
                wrong_reason: true,
                tags: tags(&["early-step"]),
                note: None,
                can_undo: true,
                can_redo: false,
            },
        ),
    ];
    let mut first_at = None;
    for (n, (action, expected)) in steps_and_labels.iter().enumerate() {
        let stored = project.annotate(s, "alice", action, None).unwrap();
        assert_eq!(stored.label, *expected, "after event {n}: {action:?}");
        assert_eq!(stored.annotator, "alice");
        assert_eq!(stored.sample_id, s);
        let first = first_at.get_or_insert_with(|| stored.first_at.clone());
        assert_eq!(&stored.first_at, first);
        assert!(stored.updated_at >= stored.first_at);
        // What the list and the sample view read back is the same replayed label.
        assert_eq!(
            project.labels_of(s).unwrap(),
            vec![stored.clone()],
            "labels_of after event {n}"
        );
    }
    // Events are appended, never deleted or rewritten.
    assert_eq!(
        rows(&project, "annotation_events"),
        steps_and_labels.len() as i64
    );
    let actions: Vec<String> = {
        let mut stmt = project
            .raw_connection()
            .prepare("SELECT action FROM annotation_events ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        actions,
        [
            "accept",
            "tag",
            "note",
            "wrong-reason",
            "correct",
            "undo",
            "redo",
            "tag",
            "tag",
            "clear",
            "undo",
            "correct",
            "note"
        ]
    );
    assert_eq!(label_tag_rows(&project).len(), 1);
    assert_eq!(label_tag_rows(&project)[0].2, "early-step");
}

#[test]
fn two_annotators_keep_separate_labels() {
    let (_dir, mut project, s, p) = fixture();
    project
        .annotate(
            s,
            "alice",
            &AnnotationAction::Accept { verdict: step(1) },
            None,
        )
        .unwrap();
    project
        .annotate(
            s,
            "bob",
            &AnnotationAction::Correct { verdict: step(0) },
            None,
        )
        .unwrap();
    project
        .annotate(s, "bob", &tag("early-step", true), None)
        .unwrap();
    // Alice's undo takes back her accept, not Bob's edits.
    project
        .annotate(s, "alice", &AnnotationAction::Undo, None)
        .unwrap();
    project
        .annotate(p, " alice ", &AnnotationAction::Accept { verdict: A }, None)
        .unwrap();

    let labels = project.labels_of(s).unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0].annotator, "alice");
    assert_eq!(
        labels[0].label,
        Label {
            can_redo: true,
            ..Label::default()
        }
    );
    assert_eq!(labels[1].annotator, "bob");
    assert_eq!(
        labels[1].label,
        Label {
            decision: Decision::Corrected,
            verdict: Some(step(0)),
            tags: tags(&["early-step"]),
            can_undo: true,
            ..Label::default()
        }
    );
    let on_p = project.labels_of(p).unwrap();
    assert_eq!(on_p.len(), 1);
    assert_eq!(on_p[0].annotator, "alice", "names are trimmed");
    assert_eq!(on_p[0].label.verdict, Some(A));
    assert_eq!(rows(&project, "annotators"), 2);
    assert_eq!(rows(&project, "annotation_events"), 5);
    assert_eq!(label_tag_rows(&project).len(), 1);
}

#[test]
fn invalid_annotations_are_refused_with_nothing_written() {
    let (_dir, mut project, s, p) = fixture();
    project
        .annotate(
            s,
            "alice",
            &AnnotationAction::Accept { verdict: step(1) },
            None,
        )
        .unwrap();
    let before_labels = label_rows(&project);
    let refusals: Vec<(i64, &str, AnnotationAction, String)> = vec![
        (
            s,
            "alice",
            AnnotationAction::Correct { verdict: B },
            format!("sample {s}: a pairwise verdict does not fit a step-level sample"),
        ),
        (
            s,
            "alice",
            AnnotationAction::Correct { verdict: step(3) },
            format!("sample {s}: step 3 does not exist: the solution has 3 steps (0 to 2)"),
        ),
        (
            p,
            "carol",
            AnnotationAction::Accept { verdict: step(0) },
            format!("sample {p}: a step-level verdict does not fit a pairwise sample"),
        ),
        (
            s,
            "alice",
            tag("not-a-tag", true),
            "unknown tag `not-a-tag` (see the project's tags, or add it first)".into(),
        ),
        (
            s,
            "   ",
            AnnotationAction::Note { text: "x".into() },
            "an annotator needs a name".into(),
        ),
        (
            404,
            "alice",
            AnnotationAction::Clear,
            "no sample with id 404".into(),
        ),
    ];
    for (sample_id, who, action, message) in refusals {
        let err = project.annotate(sample_id, who, &action, None).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert_eq!(err.to_string(), message);
    }
    assert_eq!(rows(&project, "annotation_events"), 1);
    assert_eq!(
        rows(&project, "annotators"),
        1,
        "no annotator made by a refusal"
    );
    assert_eq!(label_rows(&project), before_labels);
    assert_eq!(project.labels_of(p).unwrap(), vec![]);
}

#[test]
fn an_annotation_links_only_a_judgment_of_its_own_sample() {
    let (_dir, mut project, s, p) = fixture();
    let run = project.begin_run(&new_run(Task::StepLevel, "m")).unwrap();
    let j = parsed(step(1), "c");
    let on_s = project.add_judgment(run, &judged(s, &j)).unwrap();
    let k = parsed(A, "c");
    let on_p = project.add_judgment(run, &judged(p, &k)).unwrap();
    project
        .annotate(
            s,
            "alice",
            &AnnotationAction::Accept { verdict: step(1) },
            Some(on_s),
        )
        .unwrap();
    let err = project
        .annotate(
            s,
            "alice",
            &AnnotationAction::Accept { verdict: step(1) },
            Some(on_p),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("judgment {on_p} is not a judgment of sample {s}")
    );
    let err = project
        .annotate(s, "alice", &AnnotationAction::Clear, Some(9999))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("judgment 9999 is not a judgment of sample {s}")
    );
    assert_eq!(rows(&project, "annotation_events"), 1);
    let linked: Option<i64> = project
        .raw_connection()
        .query_row("SELECT judgment_id FROM labels", [], |r| r.get(0))
        .unwrap();
    assert_eq!(linked, Some(on_s));
}

#[test]
fn rebuilding_labels_reproduces_them_from_the_events() {
    let (_dir, mut project, s, p) = fixture();
    let script: Vec<(i64, &str, AnnotationAction)> = vec![
        (s, "alice", AnnotationAction::Accept { verdict: step(1) }),
        (s, "alice", tag("missed-error", true)),
        (s, "bob", AnnotationAction::Correct { verdict: step(2) }),
        (p, "bob", AnnotationAction::Accept { verdict: B }),
        (p, "bob", AnnotationAction::Note { text: "B".into() }),
        (p, "bob", AnnotationAction::Undo),
        (s, "alice", tag("early-step", true)),
        (s, "alice", AnnotationAction::Undo),
        (s, "carol", AnnotationAction::Clear),
    ];
    for (sample_id, who, action) in &script {
        project.annotate(*sample_id, who, action, None).unwrap();
    }
    let labels_before: Vec<Vec<StoredLabel>> =
        vec![project.labels_of(s).unwrap(), project.labels_of(p).unwrap()];
    let rows_before = label_rows(&project);
    let tags_before = label_tag_rows(&project);
    assert_eq!(rows_before.len(), 4);
    assert_eq!(tags_before.len(), 1);

    // Labels lost, stale, or edited by hand: a rebuild recomputes them all from the events.
    project
        .raw_connection()
        .execute_batch(
            "DELETE FROM labels WHERE annotator_id = (SELECT id FROM annotators WHERE name = 'alice');
             UPDATE labels SET decision = 'accepted', verdict = 'A' WHERE annotator_id = (SELECT id FROM annotators WHERE name = 'carol');
             INSERT INTO labels (sample_id, annotator_id, decision, first_at, updated_at)
                 SELECT id, (SELECT id FROM annotators WHERE name = 'carol'), 'accepted', 'x', 'x' FROM samples WHERE external_id = 'p';",
        )
        .unwrap();
    assert_ne!(label_rows(&project), rows_before);
    assert_eq!(project.rebuild_labels().unwrap(), 4);
    assert_eq!(label_rows(&project), rows_before);
    assert_eq!(label_tag_rows(&project), tags_before);
    assert_eq!(
        vec![project.labels_of(s).unwrap(), project.labels_of(p).unwrap()],
        labels_before
    );
    assert_eq!(rows(&project, "annotation_events"), script.len() as i64);
}

#[test]
fn labels_of_an_unknown_sample_is_an_invalid_request() {
    let (_dir, project) = new_project();
    let err = project.labels_of(3).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

#[test]
fn the_project_lists_its_builtin_tags() {
    let (_dir, project) = new_project();
    let tags = project.tags().unwrap();
    let ids: Vec<&str> = tags.iter().map(|t| t.id.as_str()).collect();
    let shipped: Vec<String> = fare_core::taxonomy::default_taxonomy()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut sorted = shipped.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(tags.iter().all(|t| t.builtin));
    assert!(ids.contains(&"missed-error"));
}

#[test]
fn a_rating_decision_follows_the_scale_of_the_judgment_it_reviews() {
    let (_dir, mut project) = new_project();
    let r = sample("r", "q", crate::rating("resp", None, None));
    let id = import(&mut project, "ratings", &[r])[0];
    let mut percent = new_run(Task::Rating, "grader");
    percent.template.name = "percent".into();
    percent.template.rating_scale = Some((0, 100));
    let run = project.begin_run(&percent).unwrap();
    let j = parsed(Verdict::Rating(80), "good");
    let judgment = project.add_judgment(run, &judged(id, &j)).unwrap();

    let label = project
        .annotate(
            id,
            "alice",
            &AnnotationAction::Correct {
                verdict: Verdict::Rating(35),
            },
            Some(judgment),
        )
        .unwrap();
    assert_eq!(label.label.verdict, Some(Verdict::Rating(35)));
    assert_eq!(
        project.labels_of(id).unwrap()[0].label.verdict,
        Some(Verdict::Rating(35))
    );
    let err = project
        .annotate(
            id,
            "alice",
            &AnnotationAction::Correct {
                verdict: Verdict::Rating(101),
            },
            Some(judgment),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("sample {id}: rating 101 is outside the scale 0 to 100")
    );
    // Without a judgment, the default scale.
    let err = project
        .annotate(
            id,
            "bob",
            &AnnotationAction::Correct {
                verdict: Verdict::Rating(35),
            },
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("sample {id}: rating 35 is outside the scale 1 to 10")
    );
    assert_eq!(rows(&project, "annotation_events"), 1);
}

#[test]
fn users_add_their_own_tags_and_annotate_with_them() {
    let (_dir, mut project) = crate::new_project();
    let ids = crate::import(
        &mut project,
        "d",
        &[crate::sample("s", "Q", crate::steps(&["a", "b"]))],
    );
    let added = project
        .add_tag("unit-error", "Unit error", "Mixed up units")
        .unwrap();
    assert!(!added.builtin);
    assert!(
        project
            .tags()
            .unwrap()
            .iter()
            .any(|t| t.id == "unit-error" && !t.builtin)
    );
    let label = project
        .annotate(
            ids[0],
            "ana",
            &fare_core::AnnotationAction::Tag {
                tag: "unit-error".into(),
                on: true,
            },
            None,
        )
        .unwrap();
    assert!(label.label.tags.contains("unit-error"));
    assert!(
        project.add_tag("unit-error", "", "").is_err(),
        "an id already there"
    );
    assert!(
        project.add_tag("missed-error", "", "").is_err(),
        "a shipped id"
    );
    assert!(project.add_tag("Bad Id", "", "").is_err());
}
