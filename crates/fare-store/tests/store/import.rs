//! Importing data sets: samples of every task come back exactly as they went in, and an import
//! is all or nothing.

use fare_core::Verdict;
use fare_store::{DatasetInfo, StoreError, StoredSample};
use serde_json::json;

use crate::{
    A, B, CORRECT, INCORRECT, NO_ERROR, dataset, new_project, pairwise, rating, reference_based,
    reference_free, rows, sample, step, steps,
};

/// One sample of each task (two of step-level and rating), with their step ratings.
fn all_tasks() -> Vec<(fare_core::Sample, Vec<Option<i8>>)> {
    let mut p = sample(
        "pair-1",
        "Which sort is stable?",
        pairwise("Merge sort is stable.", "Quick sort is stable."),
    );
    p.source = Some("chat".into());
    p.gold = Some(A);
    p.metadata = json!({"model_a": "gpt", "model_b": "llama", "n": 3, "tie": false})
        .as_object()
        .cloned()
        .unwrap();

    let mut s = sample(
        "proc-1",
        "What is 2x when x = 2?",
        steps(&["Let x = 2.", "Then 2x = 5.", "So the answer is 5."]),
    );
    s.source = Some("gsm8k".into());
    s.gold = Some(step(1));
    let s_ratings = vec![Some(1), Some(-1), Some(0)];

    let mut s2 = sample(
        "proc-2",
        "Add 1 and 1.",
        steps(&["1 + 1 = 2.", "The answer is 2."]),
    );
    s2.gold = Some(NO_ERROR);
    s2.source = Some("math".into());

    let mut rf = sample(
        "free-1",
        "Is 91 prime?",
        reference_free("Yes, 91 is prime."),
    );
    rf.gold = Some(INCORRECT);

    let mut rb = sample(
        "ref-1",
        "Capital of Australia?",
        reference_based("Canberra", "Canberra"),
    );
    rb.gold = Some(CORRECT);
    rb.metadata = json!({"nested": {"list": [1, 2, 3]}, "ünïcode": "✓"})
        .as_object()
        .cloned()
        .unwrap();

    let mut r1 = sample(
        "rate-1",
        "Write a haiku.",
        rating("Autumn moon rises", Some("5-7-5 syllables; imagery."), None),
    );
    r1.gold = Some(Verdict::Rating(7));

    let r2 = sample(
        "rate-2",
        "Explain recursion.",
        rating("See: recursion.", None, Some("A function calling itself.")),
    );

    vec![
        (p, vec![]),
        (s, s_ratings),
        (s2, vec![]),
        (rf, vec![]),
        (rb, vec![]),
        (r1, vec![]),
        (r2, vec![]),
    ]
}

#[test]
fn samples_of_every_task_round_trip_exactly() {
    let (_dir, mut project) = new_project();
    let samples = all_tasks();
    let mut writer = project
        .begin_import(&dataset("mixed", "sha-mixed"))
        .unwrap();
    let dataset_id = writer.dataset_id();
    let mut ids = Vec::new();
    // Record numbers with a gap: record 3 of the file was skipped.
    for (i, (s, ratings)) in samples.iter().enumerate() {
        let record = if i < 3 { i } else { i + 1 };
        ids.push(writer.add(record as u64, s, ratings).unwrap());
    }
    let info = writer.finish(8, 1).unwrap();

    let expected_info = DatasetInfo {
        id: dataset_id,
        name: "mixed".into(),
        source_file: "/data/mixed.jsonl".into(),
        format: "jsonl".into(),
        content_hash: "sha-mixed".into(),
        record_count: 8,
        sample_count: 7,
        skipped_count: 1,
        imported_at: info.imported_at.clone(),
    };
    assert_eq!(info, expected_info);
    assert!(
        info.imported_at.ends_with('Z') && info.imported_at.len() == 24,
        "RFC 3339 UTC with milliseconds: {}",
        info.imported_at
    );
    assert_eq!(project.datasets().unwrap(), vec![expected_info.clone()]);
    assert_eq!(
        project.dataset_by_hash("sha-mixed").unwrap(),
        Some(expected_info)
    );
    assert_eq!(project.dataset_by_hash("sha-other").unwrap(), None);

    for (i, ((s, ratings), id)) in samples.iter().zip(&ids).enumerate() {
        let record = if i < 3 { i } else { i + 1 };
        assert_eq!(
            project.sample(*id).unwrap(),
            StoredSample {
                id: *id,
                dataset_id,
                dataset: "mixed".into(),
                record_index: record as i64,
                sample: s.clone(),
                step_ratings: ratings.clone(),
                gold_tie: false,
            },
            "sample {}",
            s.external_id
        );
    }
    assert_eq!(rows(&project, "samples"), 7);
    assert_eq!(rows(&project, "steps"), 5);
    let step_counts: Vec<i64> = {
        let mut stmt = project
            .raw_connection()
            .prepare("SELECT step_count FROM samples ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(step_counts, vec![0, 3, 2, 0, 0, 0, 0]);
}

#[test]
fn an_unknown_sample_is_an_invalid_request() {
    let (_dir, project) = new_project();
    let err = project.sample(42).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "no sample with id 42");
}

#[test]
fn two_data_sets_keep_their_own_counts() {
    let (_dir, mut project) = new_project();
    let first = crate::import(
        &mut project,
        "one",
        &[sample("x", "q", reference_free("r"))],
    );
    let second = crate::import(
        &mut project,
        "two",
        &[
            sample("x", "q", reference_free("r")),
            sample("y", "q2", pairwise("a", "b")),
        ],
    );
    let sets = project.datasets().unwrap();
    assert_eq!(
        sets.iter()
            .map(|d| (d.name.as_str(), d.sample_count))
            .collect::<Vec<_>>(),
        vec![("one", 1), ("two", 2)]
    );
    // The same external id in two data sets is two samples.
    assert_ne!(first[0], second[0]);
    assert_eq!(project.sample(second[0]).unwrap().dataset, "two");
}

fn assert_nothing_imported(project: &fare_store::Project) {
    assert_eq!(project.datasets().unwrap(), vec![]);
    assert_eq!(rows(project, "datasets"), 0);
    assert_eq!(rows(project, "samples"), 0);
    assert_eq!(rows(project, "steps"), 0);
    // The full-text index is contentless: count its documents and search for a word.
    assert_eq!(rows(project, "sample_text_docsize"), 0);
    let found: i64 = project
        .raw_connection()
        .query_row(
            "SELECT count(*) FROM sample_text WHERE sample_text MATCH 'stable'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(found, 0);
}

#[test]
fn dropping_the_writer_leaves_nothing_half_imported() {
    let (_dir, mut project) = new_project();
    {
        let mut writer = project
            .begin_import(&dataset("mixed", "sha-mixed"))
            .unwrap();
        for (i, (s, ratings)) in all_tasks().iter().enumerate() {
            writer.add(i as u64, s, ratings).unwrap();
        }
        // Dropped: the importer failed half-way.
    }
    assert_nothing_imported(&project);
    assert_eq!(project.dataset_by_hash("sha-mixed").unwrap(), None);

    // The same file can then be imported for real.
    let mut writer = project
        .begin_import(&dataset("mixed", "sha-mixed"))
        .unwrap();
    writer.add(0, &all_tasks()[0].0, &[]).unwrap();
    let info = writer.finish(1, 0).unwrap();
    assert_eq!(info.sample_count, 1);
    assert_eq!(rows(&project, "sample_text_docsize"), 1);
}

#[test]
fn a_duplicate_external_id_names_the_record_and_imports_nothing() {
    let (_dir, mut project) = new_project();
    {
        let mut writer = project.begin_import(&dataset("dup", "sha-dup")).unwrap();
        writer
            .add(0, &sample("q-7", "first", reference_free("r")), &[])
            .unwrap();
        writer
            .add(1, &sample("q-8", "second", reference_free("r")), &[])
            .unwrap();
        let err = writer
            .add(2, &sample("q-7", "third", reference_free("r")), &[])
            .unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateSample { record: 2, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "record 2: id `q-7` appears twice in this file"
        );
    }
    assert_nothing_imported(&project);
}

#[test]
fn a_failed_add_leaves_no_part_of_that_sample() {
    let (_dir, mut project) = new_project();
    let mut writer = project.begin_import(&dataset("dup", "sha-dup")).unwrap();
    writer
        .add(0, &sample("same", "q", steps(&["one"])), &[])
        .unwrap();
    // The importer skips the bad record and goes on.
    assert!(
        writer
            .add(1, &sample("same", "q", steps(&["a", "b"])), &[])
            .is_err()
    );
    writer
        .add(2, &sample("other", "q", steps(&["x", "y", "z"])), &[])
        .unwrap();
    let info = writer.finish(3, 1).unwrap();
    assert_eq!(
        (info.record_count, info.sample_count, info.skipped_count),
        (3, 2, 1)
    );
    assert_eq!(rows(&project, "samples"), 2);
    assert_eq!(rows(&project, "steps"), 4);
    assert_eq!(rows(&project, "sample_text_docsize"), 2);
}

#[test]
fn the_same_file_twice_is_refused_clearly() {
    let (_dir, mut project) = new_project();
    crate::import(
        &mut project,
        "bench",
        &[sample("1", "q", reference_free("r"))],
    );
    let before = project.datasets().unwrap();
    let mut again = dataset("bench-copy", "hash-of-bench");
    again.source_file = "/elsewhere/bench-copy.jsonl".into();
    let err = project.begin_import(&again).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "/elsewhere/bench-copy.jsonl: this file is already in the project"
    );
    assert_eq!(project.datasets().unwrap(), before);
    assert_eq!(rows(&project, "samples"), 1);
}

#[test]
fn ground_truth_that_does_not_fit_its_sample_is_refused() {
    let (_dir, mut project) = new_project();
    let mut writer = project.begin_import(&dataset("bad", "sha-bad")).unwrap();
    let mut beyond = sample("s", "q", steps(&["a", "b", "c"]));
    beyond.gold = Some(step(3));
    let err = writer.add(4, &beyond, &[]).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "record 4: id `s`: ground truth: step 3 does not exist: the solution has 3 steps (0 to 2)"
    );
    let mut other_task = sample("p", "q", steps(&["a"]));
    other_task.gold = Some(B);
    let err = writer.add(5, &other_task, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record 5: id `p`: ground truth: a pairwise verdict does not fit a step-level sample"
    );
    let info = writer.finish(2, 2).unwrap();
    assert_eq!(info.sample_count, 0);
    assert_eq!(rows(&project, "samples"), 0);
    assert_eq!(rows(&project, "steps"), 0);
}

#[test]
fn gold_ratings_outside_the_default_scale_are_kept_and_read_back() {
    // Data sets rate on their own scales (0 to 5, 1 to 100): the data's ground truth is what it
    // is, and a stored sample must always be readable.
    let (_dir, mut project) = new_project();
    let mut zero = sample("r0", "q", rating("resp", None, None));
    zero.gold = Some(Verdict::Rating(0));
    let mut hundred = sample("r100", "q", rating("resp", None, None));
    hundred.gold = Some(Verdict::Rating(100));
    let ids = crate::import(&mut project, "scales", &[zero.clone(), hundred.clone()]);
    assert_eq!(project.sample(ids[0]).unwrap().sample, zero);
    assert_eq!(project.sample(ids[1]).unwrap().sample, hundred);
}

#[test]
fn step_ratings_beyond_the_steps_are_ignored_and_missing_ones_are_none() {
    let (_dir, mut project) = new_project();
    let mut writer = project.begin_import(&dataset("prm", "sha-prm")).unwrap();
    let short = writer
        .add(0, &sample("a", "q", steps(&["x", "y", "z"])), &[Some(1)])
        .unwrap();
    let long = writer
        .add(
            1,
            &sample("b", "q", steps(&["x"])),
            &[Some(-1), Some(1), Some(0)],
        )
        .unwrap();
    let not_steps = writer
        .add(2, &sample("c", "q", reference_free("r")), &[Some(1)])
        .unwrap();
    writer.finish(3, 0).unwrap();
    assert_eq!(
        project.sample(short).unwrap().step_ratings,
        vec![Some(1), None, None]
    );
    assert_eq!(project.sample(long).unwrap().step_ratings, vec![Some(-1)]);
    assert_eq!(project.sample(not_steps).unwrap().step_ratings, vec![]);
    // The same as numbered steps.
    let numbered = project.sample(short).unwrap().steps();
    assert_eq!(
        numbered
            .iter()
            .map(|s| (s.index, s.text.as_str(), s.gold_rating))
            .collect::<Vec<_>>(),
        [(0, "x", Some(1)), (1, "y", None), (2, "z", None)]
    );
    assert!(project.sample(not_steps).unwrap().steps().is_empty());
}
