//! Saved queues: made all or nothing, listed and paged in their order, and ordered by the
//! evaluator's uncertainty read from the stored verdict probabilities and K votes.

use fare_core::Task;
use fare_core::review_order::{self, Measure, ReviewOrder};
use fare_store::{NewJudgment, SampleFilter};

use crate::{
    CORRECT, INCORRECT, import, judged, new_project, new_run, parsed, queue_named, reference_free,
    rows, sample,
};

fn verification(n: usize) -> Vec<fare_core::Sample> {
    (0..n)
        .map(|i| {
            let mut s = sample(
                &format!("v{i}"),
                &format!("Question {i}?"),
                reference_free("An answer."),
            );
            s.gold = Some(if i % 2 == 0 { CORRECT } else { INCORRECT });
            s
        })
        .collect()
}

#[test]
fn a_queue_lists_in_its_own_order_and_pages_by_rank() {
    let (_dir, mut project) = new_project();
    let ids = import(&mut project, "v", &verification(7));
    let order = [ids[5], ids[1], ids[6], ids[0], ids[3]];
    let queue = project
        .create_queue(&queue_named("five"), &order.map(|id| (id, None)))
        .unwrap();
    assert_eq!(queue.item_count, 5);
    assert_eq!(queue.name, "five");
    assert_eq!(queue.created_by.as_deref(), Some("alice"));
    let filter = SampleFilter {
        queue: Some(queue.id),
        ..SampleFilter::default()
    };
    let whole = project.list_samples(&filter, 0, 100).unwrap();
    assert_eq!(whole.iter().map(|r| r.id).collect::<Vec<_>>(), order);
    assert_eq!(
        whole.iter().map(|r| r.cursor).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5],
        "in a queue the cursor is the rank"
    );
    // Pages of two, each starting after the last row's cursor.
    let mut after = 0;
    let mut paged = Vec::new();
    loop {
        let page = project.list_samples(&filter, after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = last.cursor;
        paged.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(paged, order);
    assert_eq!(project.count_samples(&filter).unwrap(), 5);
    assert_eq!(project.sample_at(&filter, 2).unwrap(), Some(3));
    assert_eq!(project.sample_at(&filter, 5).unwrap(), None);
    // Another filter narrows the queue and keeps its order.
    let narrowed = project
        .list_samples(
            &SampleFilter {
                text: Some("Question 0".into()),
                ..filter.clone()
            },
            0,
            100,
        )
        .unwrap();
    assert_eq!(
        narrowed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    assert_eq!(narrowed[0].cursor, 4);
}

#[test]
fn a_queue_is_made_whole_or_not_at_all() {
    let (_dir, mut project) = new_project();
    let ids = import(&mut project, "v", &verification(3));
    let err = project
        .create_queue(&queue_named("bad"), &[(ids[0], None), (9999, None)])
        .unwrap_err();
    assert!(err.to_string().contains("no sample with id 9999"), "{err}");
    assert_eq!(rows(&project, "queues"), 0);
    assert_eq!(rows(&project, "queue_items"), 0);
    let err = project
        .create_queue(&queue_named("  "), &[(ids[0], None)])
        .unwrap_err();
    assert!(err.to_string().contains("needs a name"), "{err}");
    // A sample listed twice keeps its first place.
    let q = project
        .create_queue(
            &queue_named("twice"),
            &[(ids[2], Some(0.5)), (ids[0], None), (ids[2], Some(0.1))],
        )
        .unwrap();
    assert_eq!(q.item_count, 2);
    let second = project
        .create_queue(&queue_named("second"), &[(ids[1], None)])
        .unwrap();
    assert_eq!(
        project
            .queues()
            .unwrap()
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        vec!["second", "twice"],
        "newest first"
    );
    project.delete_queue(second.id).unwrap();
    assert!(project.delete_queue(second.id).is_err());
    assert_eq!(rows(&project, "queue_items"), 2);
    assert_eq!(rows(&project, "samples"), 3, "samples stay");
}

#[test]
fn uncertainty_and_confident_wrong_read_the_stored_probabilities_and_votes() {
    let (_dir, mut project) = new_project();
    let ids = import(&mut project, "v", &verification(4));
    let run = project
        .begin_run(&new_run(Task::ReferenceFree, "fare"))
        .unwrap();
    // v0 (gold correct): said correct at 0.9; v1 (gold incorrect): said correct at 0.99 (wrong,
    // confident); v2 (gold correct): said incorrect at 0.55 (wrong, unsure); v3: no probabilities.
    let said = [
        (CORRECT, Some(0.9)),
        (CORRECT, Some(0.99)),
        (INCORRECT, Some(0.55)),
        (INCORRECT, None),
    ];
    for (i, (verdict, p)) in said.iter().enumerate() {
        let j = parsed(*verdict, "because");
        let other = if *verdict == CORRECT {
            INCORRECT
        } else {
            CORRECT
        };
        let probs = p.map(|p| {
            fare_core::RecordedProbs::from_json(&serde_json::json!({"probs": {verdict.canonical(): p, other.canonical(): 1.0 - p}, "mass": 0.97}))
                .unwrap()
        });
        project
            .add_judgment(
                run,
                &NewJudgment {
                    verdict_probs: probs,
                    ..judged(ids[i], &j)
                },
            )
            .unwrap();
    }
    let facts = project.confidence(&SampleFilter::default()).unwrap();
    assert_eq!(facts.len(), 4);
    let h = |p: f64| -(p * p.log2() + (1.0 - p) * (1.0 - p).log2());
    assert!((facts[0].entropy.unwrap() - h(0.9)).abs() < 1e-12);
    assert_eq!(facts[1].chosen_probability, Some(0.99));
    assert_eq!(facts[1].wrong, Some(true));
    assert_eq!(facts[0].wrong, Some(false));
    assert_eq!(facts[3].entropy, None);
    assert_eq!(
        facts[3].wrong,
        Some(false),
        "v3 is gold incorrect, said incorrect"
    );

    let uncertain = review_order::order(&facts, ReviewOrder::Uncertainty, 0);
    assert_eq!(uncertain.measure, Measure::Entropy);
    assert_eq!(
        uncertain.items.iter().map(|i| i.0).collect::<Vec<_>>(),
        vec![ids[2], ids[0], ids[1], ids[3]],
        "0.55 is the most uncertain, then 0.9, then 0.99; no probabilities last"
    );
    let wrong = review_order::order(&facts, ReviewOrder::ConfidentWrong, 0);
    assert_eq!(
        wrong.items,
        vec![(ids[1], Some(0.99)), (ids[2], Some(0.55))]
    );

    // K = 3 judgments of v0 in a later run: two say correct, one incorrect.
    let k_run = project
        .begin_run(&new_run(Task::ReferenceFree, "fare-k"))
        .unwrap();
    for (attempt, verdict) in [CORRECT, INCORRECT, CORRECT].into_iter().enumerate() {
        let j = parsed(verdict, "k");
        project
            .add_judgment(
                k_run,
                &NewJudgment {
                    attempt: u32::try_from(attempt).unwrap(),
                    ..judged(ids[0], &j)
                },
            )
            .unwrap();
    }
    let k_facts = project
        .confidence(&SampleFilter {
            run_id: Some(k_run),
            ..SampleFilter::default()
        })
        .unwrap();
    assert_eq!(k_facts[0].votes, Some((2, 3)));
    assert_eq!(k_facts[0].wrong, Some(false));
    assert_eq!(k_facts[1].votes, None, "not judged in that run");
    let by_k = review_order::order(&k_facts, ReviewOrder::Uncertainty, 0);
    assert_eq!(by_k.measure, Measure::Disagreement);
    assert_eq!(by_k.items[0].0, ids[0]);
    assert!((by_k.items[0].1.unwrap() - 1.0 / 3.0).abs() < 1e-12);
}
