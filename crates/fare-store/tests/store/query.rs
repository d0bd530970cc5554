//! The sample list: every filter, full-text search, keyset paging, counts and positions (every
//! list a test makes is checked against `count_samples` and `sample_at`).

use std::collections::BTreeMap;

use fare_core::{AnnotationAction, Sample, Task, Verdict};
use fare_store::{EvaluatorFilter, NewJudgment, Project, ReviewFilter, SampleFilter, SampleRow};

use crate::{
    A, B, CORRECT, INCORRECT, NO_ERROR, dataset, judged, new_project, new_run, pairwise, parsed,
    queue_named, rating, reference_based, reference_free, sample, step, steps, truncated,
    unparseable,
};

/// A project with nine samples in two data sets, two runs, and labels by two annotators.
struct Fixture {
    _dir: tempfile::TempDir,
    project: Project,
    /// Sample ids by external id.
    ids: BTreeMap<&'static str, i64>,
    old_run: i64,
    run: i64,
}

impl Fixture {
    fn ids(&self, names: &[&str]) -> Vec<i64> {
        let mut ids: Vec<i64> = names.iter().map(|n| self.ids[n]).collect();
        ids.sort_unstable();
        ids
    }

    fn all(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.ids.values().copied().collect();
        ids.sort_unstable();
        ids
    }

    fn all_but(&self, names: &[&str]) -> Vec<i64> {
        let except = self.ids(names);
        self.all()
            .into_iter()
            .filter(|id| !except.contains(id))
            .collect()
    }

    /// The ids the list returns for a filter (one big page), checked against the count and
    /// against the sample at each position.
    fn list(&self, filter: &SampleFilter) -> Vec<i64> {
        let rows = self.project.list_samples(filter, 0, 1000).unwrap();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let cursors: Vec<i64> = rows.iter().map(|r| r.cursor).collect();
        assert_eq!(
            self.project.count_samples(filter).unwrap(),
            ids.len() as i64,
            "count_samples disagrees with list_samples for {filter:?}"
        );
        let positions: Vec<Option<i64>> = (0..=ids.len() as u64)
            .map(|p| self.project.sample_at(filter, p).unwrap())
            .collect();
        let expected: Vec<Option<i64>> = cursors.iter().copied().map(Some).chain([None]).collect();
        assert_eq!(
            positions, expected,
            "sample_at disagrees with list_samples for {filter:?}"
        );
        ids
    }
}

fn with_gold(mut s: Sample, gold: Option<Verdict>, source: Option<&str>) -> Sample {
    s.gold = gold;
    s.source = source.map(str::to_owned);
    s
}

#[allow(
    clippy::too_many_lines,
    reason = "the whole fixture reads best in one place"
)]
fn fixture() -> Fixture {
    let (dir, mut project) = new_project();
    let first: Vec<(&'static str, Sample)> = vec![
        (
            "p1",
            with_gold(
                sample(
                    "p1",
                    "Which answer explains photosynthesis?",
                    pairwise("Plants use light.", "Plants eat soil."),
                ),
                Some(A),
                Some("chat"),
            ),
        ),
        (
            "p2",
            with_gold(
                sample(
                    "p2",
                    "Which animal is striped?",
                    pairwise("A horse.", "A zebra, of course."),
                ),
                Some(B),
                Some("code"),
            ),
        ),
        (
            "s1",
            with_gold(
                sample(
                    "s1",
                    "Solve x^2 - 4 = 0.",
                    steps(&["This is a quadratic equation.", "x = 3.", "Done."]),
                ),
                Some(step(1)),
                Some("gsm8k"),
            ),
        ),
        (
            "s2",
            with_gold(
                sample("s2", "Add 1 and 1.", steps(&["1 + 1 = 2.", "Answer: 2."])),
                Some(NO_ERROR),
                Some("math"),
            ),
        ),
        (
            "r1",
            with_gold(
                sample(
                    "r1",
                    "State the theorem of Pythagoras.",
                    reference_free("a^2 + b^2 = c^2"),
                ),
                Some(CORRECT),
                None,
            ),
        ),
    ];
    let second: Vec<(&'static str, Sample)> = vec![
        (
            "rb1",
            with_gold(
                sample(
                    "rb1",
                    "Capital of Australia?",
                    reference_based("Sydney", "Canberra"),
                ),
                Some(INCORRECT),
                Some("gsm8k"),
            ),
        ),
        (
            "g1",
            with_gold(
                sample(
                    "g1",
                    "Write a haiku.",
                    rating("Autumn moon rises", Some("5-7-5"), None),
                ),
                Some(Verdict::Rating(7)),
                None,
            ),
        ),
        (
            "g2",
            with_gold(
                sample(
                    "g2",
                    "Explain recursion.",
                    rating("See recursion.", None, None),
                ),
                None,
                None,
            ),
        ),
        (
            "s3",
            with_gold(
                sample(
                    "s3",
                    "Count to three (1, 2, 3).",
                    steps(&["One, two.", "Three \"quoted\" AND more."]),
                ),
                Some(step(0)),
                Some("gsm8k"),
            ),
        ),
    ];
    let mut ids = BTreeMap::new();
    for (name, hash, samples) in [("first", "h1", &first), ("second", "h2", &second)] {
        let mut writer = project.begin_import(&dataset(name, hash)).unwrap();
        for (i, (key, s)) in samples.iter().enumerate() {
            ids.insert(*key, writer.add(i as u64, s, &[]).unwrap());
        }
        writer.finish(samples.len() as u64, 0).unwrap();
    }

    // The older run judged everything right; it only shows when a filter names it.
    let old_run = project.begin_run(&new_run(Task::Pairwise, "old")).unwrap();
    for (key, verdict) in [("p1", A), ("p2", B), ("rb1", INCORRECT)] {
        let j = parsed(verdict, "fine");
        project
            .add_judgment(old_run, &judged(ids[key], &j))
            .unwrap();
    }
    project
        .end_run(old_run, fare_store::RunStatus::Finished)
        .unwrap();

    let run = project.begin_run(&new_run(Task::Pairwise, "new")).unwrap();
    let add = |project: &mut Project, key: &str, j: fare_core::Judgment| {
        project.add_judgment(run, &judged(ids[key], &j)).unwrap();
    };
    add(&mut project, "p1", parsed(A, "Light is right."));
    add(&mut project, "p2", parsed(A, "The horse is striped."));
    add(
        &mut project,
        "s1",
        unparseable("no `Verdict:` line", "A hallucinated contradiction."),
    );
    add(&mut project, "s2", truncated("Step zero adds"));
    add(&mut project, "r1", parsed(CORRECT, "The theorem holds."));
    add(
        &mut project,
        "g1",
        parsed(Verdict::Rating(7), "Good imagery."),
    );
    add(&mut project, "g2", parsed(Verdict::Rating(5), "Circular."));
    add(&mut project, "s3", parsed(step(0), "Fine."));
    // Only the original order's first attempt shows in the list.
    let swapped = parsed(B, "swapped view");
    project
        .add_judgment(
            run,
            &NewJudgment {
                swapped: true,
                ..judged(ids["p1"], &swapped)
            },
        )
        .unwrap();
    let retry = parsed(step(1), "second attempt mentions a giraffe");
    project
        .add_judgment(
            run,
            &NewJudgment {
                attempt: 1,
                ..judged(ids["s1"], &retry)
            },
        )
        .unwrap();

    let ann = |project: &mut Project, key: &str, who: &str, action: AnnotationAction| {
        project.annotate(ids[key], who, &action, None).unwrap();
    };
    ann(
        &mut project,
        "p1",
        "alice",
        AnnotationAction::Accept { verdict: A },
    );
    ann(
        &mut project,
        "p2",
        "alice",
        AnnotationAction::Correct { verdict: B },
    );
    ann(
        &mut project,
        "s1",
        "alice",
        AnnotationAction::Tag {
            tag: "missed-error".into(),
            on: true,
        },
    );
    ann(
        &mut project,
        "r1",
        "alice",
        AnnotationAction::Accept { verdict: CORRECT },
    );
    ann(&mut project, "r1", "alice", AnnotationAction::Clear);
    ann(
        &mut project,
        "s2",
        "bob",
        AnnotationAction::Accept { verdict: NO_ERROR },
    );
    ann(
        &mut project,
        "p2",
        "bob",
        AnnotationAction::Correct { verdict: B },
    );
    ann(
        &mut project,
        "g1",
        "bob",
        AnnotationAction::Tag {
            tag: "missed-error".into(),
            on: true,
        },
    );
    ann(
        &mut project,
        "s3",
        "bob",
        AnnotationAction::Tag {
            tag: "early-step".into(),
            on: true,
        },
    );
    ann(
        &mut project,
        "s3",
        "bob",
        AnnotationAction::Tag {
            tag: "early-step".into(),
            on: false,
        },
    );

    Fixture {
        _dir: dir,
        project,
        ids,
        old_run,
        run,
    }
}

#[test]
fn no_filter_lists_everything_with_the_newest_run_and_decisions() {
    let f = fixture();
    let rows = f
        .project
        .list_samples(&SampleFilter::default(), 0, 100)
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), f.all());
    assert_eq!(
        f.project.count_samples(&SampleFilter::default()).unwrap(),
        9
    );
    let by_id = |key: &str| rows.iter().find(|r| r.id == f.ids[key]).unwrap().clone();
    let datasets = f.project.datasets().unwrap();
    let dataset = |name: &str| datasets.iter().find(|d| d.name == name).unwrap().id;
    assert_eq!(
        by_id("p2"),
        SampleRow {
            id: f.ids["p2"],
            dataset: "first".into(),
            dataset_id: dataset("first"),
            external_id: "p2".into(),
            task: Task::Pairwise,
            source: Some("code".into()),
            question: "Which animal is striped?".into(),
            step_count: 0,
            gold: Some("B".into()),
            parse_state: Some("parsed".into()),
            verdict: Some("A".into()),
            agrees_with_gold: Some(false),
            decision: Some("corrected".into()),
            cursor: f.ids["p2"],
        }
    );
    assert_eq!(
        by_id("s1"),
        SampleRow {
            id: f.ids["s1"],
            dataset: "first".into(),
            dataset_id: dataset("first"),
            external_id: "s1".into(),
            task: Task::StepLevel,
            source: Some("gsm8k".into()),
            question: "Solve x^2 - 4 = 0.".into(),
            step_count: 3,
            gold: Some("1".into()),
            parse_state: Some("unparseable".into()),
            verdict: None,
            agrees_with_gold: Some(false),
            // Tagged, but no verdict decided.
            decision: None,
            cursor: f.ids["s1"],
        }
    );
    assert_eq!(
        by_id("rb1"),
        SampleRow {
            id: f.ids["rb1"],
            dataset: "second".into(),
            dataset_id: dataset("second"),
            external_id: "rb1".into(),
            task: Task::ReferenceBased,
            source: Some("gsm8k".into()),
            question: "Capital of Australia?".into(),
            step_count: 0,
            gold: Some("incorrect".into()),
            // Only the older run judged reference-based samples: it is the one shown for them.
            parse_state: Some("parsed".into()),
            verdict: Some("incorrect".into()),
            agrees_with_gold: Some(true),
            decision: None,
            cursor: f.ids["rb1"],
        }
    );
    let g2 = by_id("g2");
    assert_eq!(
        (g2.verdict.as_deref(), g2.agrees_with_gold, g2.gold),
        (Some("5"), None, None)
    );
    // The swapped judgment of p1 (B) does not show; the original one (A) does.
    assert_eq!(by_id("p1").verdict.as_deref(), Some("A"));
    assert_eq!(by_id("p1").decision.as_deref(), Some("accepted"));
    assert_eq!(by_id("s2").decision.as_deref(), Some("accepted"));
    assert_eq!(by_id("r1").decision, None, "cleared");
}

#[test]
fn the_question_column_is_cut_at_160_characters() {
    let (_dir, mut project) = new_project();
    let long = "é".repeat(200);
    crate::import(
        &mut project,
        "long",
        &[sample("l", &long, reference_free("r"))],
    );
    let rows = project
        .list_samples(&SampleFilter::default(), 0, 10)
        .unwrap();
    assert_eq!(rows[0].question, "é".repeat(160));
}

#[test]
fn task_dataset_and_source_filters() {
    let f = fixture();
    let task = |t| SampleFilter {
        task: Some(t),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&task(Task::Pairwise)), f.ids(&["p1", "p2"]));
    assert_eq!(f.list(&task(Task::StepLevel)), f.ids(&["s1", "s2", "s3"]));
    assert_eq!(f.list(&task(Task::ReferenceFree)), f.ids(&["r1"]));
    assert_eq!(f.list(&task(Task::ReferenceBased)), f.ids(&["rb1"]));
    assert_eq!(f.list(&task(Task::Rating)), f.ids(&["g1", "g2"]));

    let datasets = f.project.datasets().unwrap();
    let in_dataset = |id| SampleFilter {
        dataset_id: Some(id),
        ..SampleFilter::default()
    };
    assert_eq!(
        f.list(&in_dataset(datasets[0].id)),
        f.ids(&["p1", "p2", "s1", "s2", "r1"])
    );
    assert_eq!(
        f.list(&in_dataset(datasets[1].id)),
        f.ids(&["rb1", "g1", "g2", "s3"])
    );
    assert_eq!(f.list(&in_dataset(999)), Vec::<i64>::new());

    let source = |s: &str| SampleFilter {
        source: Some(s.into()),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&source("gsm8k")), f.ids(&["s1", "rb1", "s3"]));
    assert_eq!(f.list(&source("chat")), f.ids(&["p1"]));
    assert_eq!(f.list(&source("none")), Vec::<i64>::new());

    let combined = SampleFilter {
        task: Some(Task::StepLevel),
        dataset_id: Some(datasets[1].id),
        source: Some("gsm8k".into()),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&combined), f.ids(&["s3"]));
}

#[test]
fn review_filters_with_and_without_an_annotator() {
    let f = fixture();
    let review = |r, who: Option<&str>| SampleFilter {
        review: Some(r),
        annotator: who.map(str::to_owned),
        ..SampleFilter::default()
    };
    // Any annotator.
    assert_eq!(
        f.list(&review(ReviewFilter::Unreviewed, None)),
        f.all_but(&["p1", "p2", "s2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Reviewed, None)),
        f.ids(&["p1", "p2", "s2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Accepted, None)),
        f.ids(&["p1", "s2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Corrected, None)),
        f.ids(&["p2"])
    );
    // One annotator.
    assert_eq!(
        f.list(&review(ReviewFilter::Reviewed, Some("alice"))),
        f.ids(&["p1", "p2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Unreviewed, Some("alice"))),
        f.all_but(&["p1", "p2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Accepted, Some("bob"))),
        f.ids(&["s2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Corrected, Some("bob"))),
        f.ids(&["p2"])
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Reviewed, Some("nobody"))),
        Vec::<i64>::new()
    );
    assert_eq!(
        f.list(&review(ReviewFilter::Unreviewed, Some("nobody"))),
        f.all()
    );
    // An annotator alone narrows nothing: it only says whose review state and tags count.
    let only_annotator = SampleFilter {
        annotator: Some("alice".into()),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&only_annotator), f.all());
}

#[test]
fn evaluator_filters_use_each_tasks_newest_run_unless_one_is_named() {
    let f = fixture();
    let evaluator = |e, run| SampleFilter {
        evaluator: Some(e),
        run_id: run,
        ..SampleFilter::default()
    };
    // The old run judged pairwise and reference-based samples; the newer run judged pairwise
    // samples again but no reference-based one, so reference-based samples show the old run.
    let shown = f.project.shown_runs(None).unwrap();
    assert_eq!(shown.of(Task::Pairwise), Some(f.run));
    assert_eq!(shown.of(Task::ReferenceBased), Some(f.old_run));
    assert_eq!(
        f.project
            .shown_runs(Some(f.old_run))
            .unwrap()
            .of(Task::StepLevel),
        Some(f.old_run)
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::AgreesWithGold, None)),
        f.ids(&["p1", "r1", "rb1", "g1", "s3"])
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::DisagreesWithGold, None)),
        f.ids(&["p2", "s1", "s2"])
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::Failed, None)),
        f.ids(&["s1", "s2"])
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::NotJudged, None)),
        Vec::<i64>::new()
    );
    // The older run.
    let old = Some(f.old_run);
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::AgreesWithGold, old)),
        f.ids(&["p1", "p2", "rb1"])
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::DisagreesWithGold, old)),
        Vec::<i64>::new()
    );
    assert_eq!(
        f.list(&evaluator(EvaluatorFilter::NotJudged, old)),
        f.all_but(&["p1", "p2", "rb1"])
    );
    let rows = f
        .project
        .list_samples(
            &SampleFilter {
                run_id: old,
                ..SampleFilter::default()
            },
            0,
            100,
        )
        .unwrap();
    let p2 = rows.iter().find(|r| r.id == f.ids["p2"]).unwrap();
    assert_eq!(
        (p2.verdict.as_deref(), p2.agrees_with_gold),
        (Some("B"), Some(true))
    );

    // With no run at all, nothing is judged.
    let (_dir, mut empty) = new_project();
    crate::import(&mut empty, "x", &[sample("a", "q", reference_free("r"))]);
    let not_judged = evaluator(EvaluatorFilter::NotJudged, None);
    assert_eq!(empty.list_samples(&not_judged, 0, 10).unwrap().len(), 1);
    assert_eq!(empty.count_samples(&not_judged).unwrap(), 1);
    let agrees = evaluator(EvaluatorFilter::AgreesWithGold, None);
    assert_eq!(empty.count_samples(&agrees).unwrap(), 0);
}

#[test]
fn tag_filters_with_and_without_an_annotator() {
    let f = fixture();
    let tagged = |t: &str, who: Option<&str>| SampleFilter {
        tag: Some(t.into()),
        annotator: who.map(str::to_owned),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&tagged("missed-error", None)), f.ids(&["s1", "g1"]));
    assert_eq!(
        f.list(&tagged("missed-error", Some("alice"))),
        f.ids(&["s1"])
    );
    assert_eq!(f.list(&tagged("missed-error", Some("bob"))), f.ids(&["g1"]));
    // Set and then unset.
    assert_eq!(f.list(&tagged("early-step", None)), Vec::<i64>::new());
    assert_eq!(f.list(&tagged("no-such-tag", None)), Vec::<i64>::new());
    // Tag and review state of the same annotator.
    let both = SampleFilter {
        tag: Some("missed-error".into()),
        review: Some(ReviewFilter::Unreviewed),
        annotator: Some("bob".into()),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&both), f.ids(&["g1"]));
}

#[test]
fn text_search_covers_questions_steps_responses_and_critiques() {
    let f = fixture();
    let text = |t: &str| SampleFilter {
        text: Some(t.into()),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&text("photosynthesis")), f.ids(&["p1"]), "question");
    assert_eq!(f.list(&text("Pythagoras")), f.ids(&["r1"]), "question");
    assert_eq!(f.list(&text("quadratic")), f.ids(&["s1"]), "steps");
    assert_eq!(f.list(&text("ZEBRA")), f.ids(&["p2"]), "response b");
    assert_eq!(f.list(&text("sydney")), f.ids(&["rb1"]), "response");
    assert_eq!(f.list(&text("hallucinated")), f.ids(&["s1"]), "critique");
    assert_eq!(
        f.list(&text("giraffe")),
        f.ids(&["s1"]),
        "critique of a retry"
    );
    assert_eq!(
        f.list(&text("striped horse")),
        f.ids(&["p2"]),
        "question and critique"
    );
    // Every word must appear: these two are in different samples.
    assert_eq!(f.list(&text("zebra quadratic")), Vec::<i64>::new());
    assert_eq!(f.list(&text("   ")), f.all(), "blank text filters nothing");
    // Found by text and narrowed by other filters.
    let narrowed = SampleFilter {
        text: Some("plants".into()),
        task: Some(Task::Pairwise),
        evaluator: Some(EvaluatorFilter::AgreesWithGold),
        ..SampleFilter::default()
    };
    assert_eq!(f.list(&narrowed), f.ids(&["p1"]));
}

#[test]
fn text_search_with_query_syntax_characters_never_fails() {
    let f = fixture();
    let queries = [
        "\"",
        "\"\"",
        "\"zebra",
        "zebra\"",
        "(",
        ")",
        "(zebra)",
        "AND",
        "zebra AND",
        "OR NOT",
        "NEAR(zebra horse)",
        "*",
        "zebra*",
        "-",
        "-zebra",
        "zebra -horse",
        "x^2",
        "a:b",
        "col:zebra",
        "question:zebra",
        "{question}: zebra",
        "^zebra",
        "+",
        "'",
        "zebra'",
        ";DROP TABLE samples;--",
        "\u{0}",
        "ünïcode ✓",
    ];
    for q in queries {
        let filter = SampleFilter {
            text: Some(q.into()),
            ..SampleFilter::default()
        };
        let listed = f
            .project
            .list_samples(&filter, 0, 100)
            .unwrap_or_else(|e| panic!("list with text {q:?}: {e}"));
        let counted = f
            .project
            .count_samples(&filter)
            .unwrap_or_else(|e| panic!("count with text {q:?}: {e}"));
        assert_eq!(counted, listed.len() as i64, "text {q:?}");
    }
    let found = |q: &str| {
        f.list(&SampleFilter {
            text: Some(q.into()),
            ..SampleFilter::default()
        })
    };
    // Punctuation around a word does not hide it, and operators are plain words.
    for q in [
        "(zebra)",
        "\"zebra\"",
        "zebra*",
        "-zebra",
        "zebra,",
        "^zebra",
    ] {
        assert_eq!(found(q), f.ids(&["p2"]), "text {q:?}");
    }
    assert_eq!(found("\"quoted\" AND"), f.ids(&["s3"]));
    assert_eq!(found("(1, 2, 3)"), f.ids(&["s3"]));
    assert_eq!(
        found("zebra -"),
        f.ids(&["p2"]),
        "a lone dash is not a word"
    );
    assert_eq!(found("*"), f.all(), "nothing searchable filters nothing");
    assert_eq!(
        f.project.count_samples(&SampleFilter::default()).unwrap(),
        9
    );
}

#[test]
fn keyset_pages_are_disjoint_and_consecutive() {
    let f = fixture();
    let filters = vec![
        SampleFilter::default(),
        SampleFilter {
            task: Some(Task::StepLevel),
            ..SampleFilter::default()
        },
        SampleFilter {
            review: Some(ReviewFilter::Unreviewed),
            ..SampleFilter::default()
        },
        SampleFilter {
            evaluator: Some(EvaluatorFilter::DisagreesWithGold),
            ..SampleFilter::default()
        },
        SampleFilter {
            source: Some("gsm8k".into()),
            text: Some("x".into()),
            ..SampleFilter::default()
        },
    ];
    for filter in &filters {
        let whole = f.list(filter);
        for limit in [1, 2, 4, 100] {
            let mut pages = Vec::new();
            let mut after = 0;
            loop {
                let page = f.project.list_samples(filter, after, limit).unwrap();
                assert!(page.len() <= limit);
                if page.is_empty() {
                    break;
                }
                after = page.last().unwrap().id;
                pages.push(page.iter().map(|r| r.id).collect::<Vec<_>>());
                assert!(pages.len() <= 20, "paging does not end");
            }
            let joined: Vec<i64> = pages.concat();
            assert_eq!(joined, whole, "limit {limit}, {filter:?}");
            assert!(
                joined.windows(2).all(|w| w[0] < w[1]),
                "strictly increasing ids: {joined:?}"
            );
            // Every page but the last is full.
            for page in &pages[..pages.len().saturating_sub(1)] {
                assert_eq!(page.len(), limit);
            }
        }
    }
    // A page after the middle starts right after it.
    let all = f.all();
    let rest = f
        .project
        .list_samples(&SampleFilter::default(), all[3], 3)
        .unwrap();
    assert_eq!(
        rest.iter().map(|r| r.id).collect::<Vec<_>>(),
        all[4..7].to_vec()
    );
    assert_eq!(
        f.project
            .list_samples(&SampleFilter::default(), 0, 0)
            .unwrap(),
        vec![]
    );
}

#[test]
fn count_equals_the_list_for_combinations_of_filters() {
    let f = fixture();
    let datasets = f.project.datasets().unwrap();
    let reviews = [
        None,
        Some(ReviewFilter::Unreviewed),
        Some(ReviewFilter::Reviewed),
        Some(ReviewFilter::Accepted),
        Some(ReviewFilter::Corrected),
    ];
    let evaluators = [
        None,
        Some(EvaluatorFilter::AgreesWithGold),
        Some(EvaluatorFilter::DisagreesWithGold),
        Some(EvaluatorFilter::Failed),
        Some(EvaluatorFilter::NotJudged),
    ];
    // A saved queue of five samples of both data sets, in neither id nor any filter's order.
    let mut project = Project::open(f.project.path()).unwrap();
    let queue = project
        .create_queue(
            &queue_named("mixed"),
            &["g1", "p2", "s1", "rb1", "p1"].map(|k| (f.ids[k], None)),
        )
        .unwrap()
        .id;
    let mut checked = 0;
    for queue in [None, Some(queue)] {
        for task in [None, Some(Task::Pairwise), Some(Task::StepLevel)] {
            for dataset_id in [None, Some(datasets[0].id)] {
                for review in reviews {
                    for evaluator in evaluators {
                        for annotator in [None, Some("alice"), Some("bob")] {
                            for tag in [None, Some("missed-error")] {
                                for text in [None, Some("a"), Some("zebra")] {
                                    for run_id in [None, Some(f.old_run)] {
                                        let filter = SampleFilter {
                                            task,
                                            dataset_id,
                                            source: None,
                                            review,
                                            annotator: annotator.map(str::to_owned),
                                            run_id,
                                            evaluator,
                                            tag: tag.map(str::to_owned),
                                            text: text.map(str::to_owned),
                                            queue,
                                        };
                                        // `list` asserts the count and positions.
                                        let listed = f.list(&filter);
                                        if let Some(queue) = queue {
                                            // The queue's own order, narrowed by the filter.
                                            let unqueued = f.list(&SampleFilter {
                                                queue: None,
                                                ..filter.clone()
                                            });
                                            let expected: Vec<i64> = f
                                                .project
                                                .list_samples(
                                                    &SampleFilter {
                                                        queue: Some(queue),
                                                        ..SampleFilter::default()
                                                    },
                                                    0,
                                                    100,
                                                )
                                                .unwrap()
                                                .iter()
                                                .map(|r| r.id)
                                                .filter(|id| unqueued.contains(id))
                                                .collect();
                                            assert_eq!(listed, expected, "{filter:?}");
                                        }
                                        checked += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * 3 * 2 * 5 * 5 * 3 * 2 * 3 * 2);
}
