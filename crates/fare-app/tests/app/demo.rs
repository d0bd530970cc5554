//! The bundled demo project as the desktop app opens it: built into a temporary folder and read
//! through the application API, it has enough samples of every task, a hand-written judgment of
//! every sample in the run each task shows, and the cases the UI must be able to show
//! (probabilities, majority votes, unparseable and truncated outputs, broken LaTeX).

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use fare_app::api::{OpenProject, SampleDetail, SampleQuery};
use fare_app::demo::{self, EXAMPLE_LABEL, EXAMPLE_MODEL};
use fare_core::Task;

/// The demo built into `dir`, opened for annotator `ana`, and every sample's view (each task's
/// shown run).
fn demo_samples(dir: &std::path::Path) -> (OpenProject, Vec<SampleDetail>) {
    let project = demo::build(&dir.join("demo.sqlite")).unwrap();
    let api = OpenProject::new(project, "ana");
    let page = api
        .samples(&SampleQuery {
            limit: 500,
            ..SampleQuery::default()
        })
        .unwrap();
    assert_eq!(page.next_after, None, "the demo fits one page");
    let details = page
        .rows
        .iter()
        .map(|row| api.sample(row.id, None).unwrap())
        .collect();
    (api, details)
}

#[test]
fn every_task_has_enough_samples_each_judged_in_the_shown_run() {
    let dir = tempfile::tempdir().unwrap();
    let (api, samples) = demo_samples(dir.path());
    for task in Task::ALL {
        let of_task: Vec<_> = samples
            .iter()
            .filter(|s| s.content.task() == task)
            .collect();
        assert!(of_task.len() >= 24, "{task}: {} samples", of_task.len());
        for sample in of_task {
            let shown = sample
                .shown_run
                .unwrap_or_else(|| panic!("{}: no run shown", sample.external_id));
            assert!(
                sample
                    .judgments
                    .iter()
                    .any(|j| j.run_id == shown && !j.swapped && j.attempt == 0),
                "{}: not judged by the shown run {shown}",
                sample.external_id
            );
            assert!(sample.gold.is_some(), "{}: no gold", sample.external_id);
        }
    }
    // Every run is marked as hand-written examples, never as a model.
    let overview = api.overview().unwrap();
    assert_eq!(overview.runs.len(), 5);
    for run in &overview.runs {
        assert_eq!(run.model, EXAMPLE_MODEL);
        assert_eq!(run.label.as_deref(), Some(EXAMPLE_LABEL));
    }
}

#[test]
fn step_level_judgments_carry_probabilities_that_sum_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let (api, samples) = demo_samples(dir.path());
    let step_level: Vec<_> = samples
        .iter()
        .filter(|s| s.content.task() == Task::StepLevel)
        .collect();
    let mut with_probs = 0;
    for sample in &step_level {
        for judgment in &sample.judgments {
            let Some(probs) = &judgment.verdict_probs else {
                continue;
            };
            with_probs += 1;
            let total: f64 = probs.iter().map(|c| c.p).sum();
            assert!(
                (total - 1.0).abs() < 1e-9,
                "{}: probabilities sum to {total}",
                sample.external_id
            );
            // Every verdict named is one a person could give, and the written verdict is the
            // most probable one.
            for chance in probs {
                assert!(
                    sample.admissible.contains(&chance.verdict),
                    "{}: {} is not admissible",
                    sample.external_id,
                    chance.verdict
                );
            }
            let likeliest = probs
                .iter()
                .max_by(|a, b| a.p.total_cmp(&b.p))
                .map(|c| c.verdict.clone());
            assert_eq!(likeliest, judgment.verdict, "{}", sample.external_id);
        }
    }
    // All but the unparseable and the truncated one.
    assert_eq!(with_probs, step_level.len() - 2);
    // The stored form keeps the mass the model gave the admissible verdicts, below 1.
    for sample in &step_level {
        for stored in api.project().judgments_of(sample.id).unwrap() {
            if let Some(recorded) = stored.verdict_probs {
                let mass = recorded.mass.unwrap();
                assert!(
                    mass > 0.0 && mass < 1.0,
                    "{}: mass {mass}",
                    sample.external_id
                );
            }
        }
    }
}

#[test]
fn the_demo_shows_votes_failures_swaps_and_broken_latex() {
    let dir = tempfile::tempdir().unwrap();
    let (_api, samples) = demo_samples(dir.path());
    let judgments = || samples.iter().flat_map(|s| &s.judgments);

    // Majorities of three attempts, not all of them unanimous.
    let votes: Vec<_> = samples
        .iter()
        .flat_map(|s| &s.votes)
        .filter(|v| v.of == 3)
        .collect();
    assert_eq!(votes.len(), 8);
    assert!(votes.iter().any(|v| v.votes == 2));
    assert!(votes.iter().any(|v| v.votes == 3));

    let states = |state: &str| judgments().filter(|j| j.state == state).count();
    assert!(states("unparseable") >= 1);
    assert_eq!(states("truncated"), 1);

    // Pairs judged in both orders, some changing their pick when the order changes.
    let pairs: Vec<_> = samples
        .iter()
        .filter(|s| s.content.task() == Task::Pairwise)
        .collect();
    let picks = |s: &SampleDetail, swapped: bool| {
        s.judgments
            .iter()
            .find(|j| j.swapped == swapped)
            .and_then(|j| j.verdict.clone())
    };
    let both_orders = pairs
        .iter()
        .filter(|s| s.judgments.iter().any(|j| j.swapped))
        .count();
    assert!(both_orders * 4 >= pairs.len() * 3, "{both_orders} swapped");
    let flips = pairs
        .iter()
        .filter(|s| matches!((picks(s, false), picks(s, true)), (Some(a), Some(b)) if a != b))
        .count();
    assert_eq!(flips, 3);

    // The sample whose LaTeX is broken on purpose, so the renderer's fallback shows.
    let broken = samples
        .iter()
        .find(|s| s.external_id == "demo-step-11")
        .unwrap();
    assert!(broken.content.steps()[0].text.contains("\\frac{2{6}"));

    // And the long trace.
    assert!(samples.iter().any(|s| s.content.steps().len() >= 40));
}

#[test]
fn the_demo_replaces_an_older_demo_but_never_another_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    let project = demo::build(&path).unwrap();
    let mut api = OpenProject::new(project, "ana");
    let first = api.samples(&SampleQuery::default()).unwrap().rows[0].id;
    api.decide(&fare_app::api::DecisionRequest {
        sample_id: first,
        judgment_id: None,
        decision: fare_app::api::Decision::Clear,
    })
    .unwrap();
    drop(api);
    // An annotated demo is still a demo.
    assert!(demo::is_demo(&path));
    demo::build(&path).unwrap();
    // A project of the user's own is refused and left as it was.
    let own = dir.path().join("mine.sqlite");
    drop(fare_store::Project::open_or_create(&own).unwrap());
    let before = std::fs::read(&own).unwrap();
    let err = demo::build(&own).unwrap_err().to_string();
    assert!(err.contains("not a FARE Lens demo project"), "{err}");
    assert_eq!(std::fs::read(&own).unwrap(), before);
    // So is any other file.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    assert!(demo::build(&notes).is_err());
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
}
