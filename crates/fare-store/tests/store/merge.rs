//! Merging project files that started from the same data, one per annotator.

use std::path::{Path, PathBuf};

use fare_core::{AnnotationAction, Task};
use fare_store::{Project, StoreError, merge};

use crate::{A, B, import, judged, new_run, pairwise, parsed, rows, sample, step, steps};

fn correct(project: &mut Project, sample: i64, who: &str, verdict: fare_core::Verdict) {
    project
        .annotate(sample, who, &AnnotationAction::Correct { verdict }, None)
        .unwrap();
}

fn id_of(project: &Project, external_id: &str) -> i64 {
    project
        .raw_connection()
        .query_row(
            "SELECT id FROM samples WHERE external_id = ?1",
            [external_id],
            |r| r.get(0),
        )
        .unwrap()
}

/// Every annotation event as (sample, annotator, time, action, verdict), in a stable order.
fn events(project: &Project) -> Vec<(String, String, String, String, Option<String>)> {
    let mut stmt = project
        .raw_connection()
        .prepare(
            "SELECT s.external_id, a.name, e.at, e.action, e.verdict FROM annotation_events e
             JOIN samples s ON s.id = e.sample_id JOIN annotators a ON a.id = e.annotator_id
             ORDER BY s.external_id, a.name, e.at, e.id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The shared starting point: one data set of three samples and one run that judged two.
fn base(dir: &Path) -> PathBuf {
    let path = dir.join("base.sqlite");
    let mut project = Project::open_or_create(&path).unwrap();
    let ids = import(
        &mut project,
        "set",
        &[
            sample("p1", "q1", pairwise("x", "y")),
            sample("s2", "q2", steps(&["a", "b", "c"])),
            sample("p3", "q3", pairwise("u", "v")),
        ],
    );
    let run = project
        .begin_run(&new_run(Task::Pairwise, "fare-8b"))
        .unwrap();
    for id in [ids[0], ids[2]] {
        project
            .add_judgment(run, &judged(id, &parsed(A, "A is right")))
            .unwrap();
    }
    project
        .end_run(run, fare_store::RunStatus::Finished)
        .unwrap();
    path
}

fn copy(from: &Path, to: &Path) -> Project {
    std::fs::copy(from, to).unwrap();
    Project::open(to).unwrap()
}

#[test]
fn three_annotators_files_merge_keeping_every_event_and_merging_again_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let (ana_path, ben_path, cy_path) = (
        dir.path().join("ana.sqlite"),
        dir.path().join("ben.sqlite"),
        dir.path().join("cy.sqlite"),
    );
    {
        let mut ana = copy(&base, &ana_path);
        let (p1, s2) = (id_of(&ana, "p1"), id_of(&ana, "s2"));
        correct(&mut ana, p1, "ana", A);
        correct(&mut ana, s2, "ana", step(1));
        ana.annotate(s2, "ana", &AnnotationAction::Undo, None)
            .unwrap();
        correct(&mut ana, s2, "ana", step(2));
    }
    {
        let mut ben = copy(&base, &ben_path);
        let (p1, p3) = (id_of(&ben, "p1"), id_of(&ben, "p3"));
        correct(&mut ben, p1, "ben", B);
        correct(&mut ben, p3, "ben", A);
        // A data set only Ben has: brought over with his label.
        let extra = import(&mut ben, "extra", &[sample("e1", "qe", pairwise("m", "n"))]);
        correct(&mut ben, extra[0], "ben", B);
    }
    {
        let mut cy = copy(&base, &cy_path);
        let (p1, s2) = (id_of(&cy, "p1"), id_of(&cy, "s2"));
        correct(&mut cy, p1, "cy", A);
        cy.adjudicate(p1, "cy", Some(A), Some("two of three, and A is right"))
            .unwrap();
        // A run only Cy made.
        let run = cy.begin_run(&new_run(Task::StepLevel, "fare-20b")).unwrap();
        cy.add_judgment(run, &judged(s2, &parsed(step(0), "step 0 is wrong")))
            .unwrap();
        cy.end_run(run, fare_store::RunStatus::Finished).unwrap();
    }
    let inputs = vec![ana_path.clone(), ben_path.clone(), cy_path.clone()];
    let before: Vec<_> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = dir.path().join("merged.sqlite");
    let summary = merge(&out, &inputs).unwrap();
    assert_eq!(summary.annotators, ["ana", "ben", "cy"]);
    assert_eq!(
        summary.inputs.iter().map(|i| i.events).collect::<Vec<_>>(),
        [4, 3, 1],
        "{summary:#?}"
    );
    assert_eq!(summary.inputs[1].samples, 1, "Ben's extra sample");
    assert_eq!(summary.inputs[1].datasets, 1);
    assert_eq!(summary.inputs[2].runs, 1, "the shared run counts once");
    assert_eq!(summary.inputs[2].adjudications, 1);
    for (path, bytes) in inputs.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
    }

    let merged = Project::open(&out).unwrap();
    let mut expected = Vec::new();
    for path in &inputs {
        expected.extend(events(&Project::open(path).unwrap()));
    }
    expected.sort();
    let mut got = events(&merged);
    got.sort();
    assert_eq!(got, expected, "every event of every file, once");
    assert_eq!(rows(&merged, "samples"), 4);
    assert_eq!(rows(&merged, "datasets"), 2);
    assert_eq!(rows(&merged, "runs"), 2);
    assert_eq!(rows(&merged, "judgments"), 3);
    // Labels rebuilt from the events: three on p1, Ana's undo replayed on s2.
    let p1 = id_of(&merged, "p1");
    let labels = merged.labels_of(p1).unwrap();
    assert_eq!(
        labels
            .iter()
            .map(|l| (l.annotator.as_str(), l.label.verdict))
            .collect::<Vec<_>>(),
        [("ana", Some(A)), ("ben", Some(B)), ("cy", Some(A))]
    );
    assert_eq!(
        merged.adjudication_of(p1).unwrap().and_then(|a| a.verdict),
        Some(A)
    );
    let s2 = id_of(&merged, "s2");
    assert_eq!(
        merged.labels_of(s2).unwrap()[0].label.verdict,
        Some(step(2))
    );
    assert_eq!(rows(&merged, "labels"), 6);
    // Search finds the new run's critique and Ben's sample.
    let found = |text: &str| {
        merged
            .count_samples(&fare_store::SampleFilter {
                text: Some(text.into()),
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(found("\"step 0 is wrong\""), 1);
    assert_eq!(found("qe"), 1);
    drop(merged);

    // Merging the result with the files it came from adds nothing.
    let again = dir.path().join("again.sqlite");
    let summary = merge(&again, &[out.clone(), ana_path, ben_path, cy_path]).unwrap();
    for input in &summary.inputs[1..] {
        assert_eq!(
            (
                input.samples,
                input.runs,
                input.judgments,
                input.events,
                input.adjudications
            ),
            (0, 0, 0, 0, 0),
            "{input:?}"
        );
    }
    assert_eq!(summary.inputs[1].duplicate_events, 4);
    let again = Project::open(&again).unwrap();
    let merged = Project::open(&out).unwrap();
    for table in [
        "samples",
        "runs",
        "judgments",
        "annotation_events",
        "labels",
        "adjudications",
    ] {
        assert_eq!(rows(&again, table), rows(&merged, table), "{table}");
    }
}

#[test]
fn a_merge_never_overwrites_and_refuses_files_that_disagree_about_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let good = dir.path().join("good.sqlite");
    drop(copy(&base, &good));
    let bad = dir.path().join("bad.sqlite");
    {
        let bad = copy(&base, &bad);
        bad.raw_connection()
            .execute(
                "UPDATE samples SET question = 'another question' WHERE external_id = 's2'",
                [],
            )
            .unwrap();
    }
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
            .collect();
        names.sort();
        names
    };
    let files_before = listing();
    let out = dir.path().join("out.sqlite");
    let e = merge(&out, &[good.clone(), bad.clone()]).unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    for part in [
        "bad.sqlite",
        "`s2`",
        "`set`",
        "question differs",
        "good.sqlite",
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    assert!(!out.exists());
    assert_eq!(listing(), files_before, "nothing left behind");

    // An existing output is never overwritten.
    std::fs::write(&out, "keep me").unwrap();
    let e = merge(&out, &[good.clone(), base.clone()]).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    let e = merge(
        &dir.path().join("no/such/m.sqlite"),
        &[good.clone(), base.clone()],
    )
    .unwrap_err();
    assert!(e.to_string().contains("no such folder"), "{e}");
    // One file is not a merge; a missing one is named.
    assert!(merge(&dir.path().join("x.sqlite"), std::slice::from_ref(&good)).is_err());
    let e = merge(
        &dir.path().join("y.sqlite"),
        &[good, dir.path().join("none.sqlite")],
    )
    .unwrap_err();
    assert!(e.to_string().contains("none.sqlite"), "{e}");
}

#[test]
fn an_input_of_an_older_schema_is_migrated_in_a_copy_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let old = dir.path().join("old.sqlite");
    {
        let mut project = copy(&base, &old);
        let p1 = id_of(&project, "p1");
        correct(&mut project, p1, "ana", A);
    }
    {
        // What a version 3 file looks like: no adjudications, queues or analysis indexes.
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.execute_batch(
            "DROP TABLE adjudications; DROP TABLE queue_items; DROP TABLE queues;
             DROP INDEX samples_facts; DROP INDEX judgments_verdicts;
             PRAGMA user_version = 3; PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    }
    let newer = dir.path().join("new.sqlite");
    {
        let mut project = copy(&base, &newer);
        let p1 = id_of(&project, "p1");
        correct(&mut project, p1, "ben", B);
    }
    let before = std::fs::read(&old).unwrap();
    let out = dir.path().join("out.sqlite");
    let summary = merge(&out, &[old.clone(), newer]).unwrap();
    assert_eq!(summary.annotators, ["ana", "ben"]);
    assert_eq!(
        std::fs::read(&old).unwrap(),
        before,
        "the old file is untouched"
    );
    let version: i64 = rusqlite::Connection::open(&old)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    let merged = Project::open(&out).unwrap();
    assert_eq!(
        merged.schema_version().unwrap(),
        fare_store::migrations::LATEST
    );
    assert_eq!(merged.labels_of(id_of(&merged, "p1")).unwrap().len(), 2);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
