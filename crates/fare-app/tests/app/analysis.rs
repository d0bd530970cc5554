//! The failure-mode analysis and the checkpoint diff on a small project built here, every number
//! checked by hand (the arithmetic is in the comments), and every cell's key read back as the
//! samples it counted.

#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::many_single_char_names,
    reason = "a test stops at the first failure; the compared ratios are exact"
)]

use fare_app::analysis::{
    Analysis, AnalysisRequest, AnalysisSamplesRequest, GroupReport, HumanReference, Reference,
    Scope, analysis, analysis_samples,
};
use fare_app::diff::{DiffRequest, DiffSamplesRequest, RunDiff, diff, diff_samples};
use fare_core::{
    AnnotationAction, Content, Correctness, Judgment, Outcome, Sample, Side, Task, Template,
    Verdict,
};
use fare_store::{NewDataset, NewJudgment, NewRun, Project};

/// The fixture's sample ids by name.
struct Fixture {
    _dir: tempfile::TempDir,
    project: Project,
    /// Step-level S1..S6 (index 0..5), pairs P1..P3, verification V1..V3, rating R1.
    s: Vec<i64>,
    p: Vec<i64>,
    v: Vec<i64>,
    r: Vec<i64>,
    run1: i64,
    run2: i64,
}

fn dataset(project: &mut Project, name: &str, format: &str, samples: &[Sample]) -> Vec<i64> {
    let mut writer = project
        .begin_import(&NewDataset {
            name: name.into(),
            source_file: format!("{name}.jsonl"),
            format: format.into(),
            content_hash: format!("hash-{name}"),
            mapping: None,
        })
        .unwrap();
    let ids = samples
        .iter()
        .enumerate()
        .map(|(i, s)| writer.add(i as u64, s, &[]).unwrap())
        .collect();
    writer.finish(samples.len() as u64, 0).unwrap();
    ids
}

fn sample(
    id: &str,
    question: &str,
    source: Option<&str>,
    content: Content,
    gold: Verdict,
) -> Sample {
    Sample {
        external_id: id.into(),
        source: source.map(str::to_owned),
        question: question.into(),
        content,
        gold: Some(gold),
        metadata: serde_json::Map::new(),
    }
}

fn run(project: &mut Project, label: &str) -> i64 {
    project
        .begin_run(&NewRun {
            model_name: label.into(),
            model_kind: "external".into(),
            model_location: None,
            template: Template::builtin_for(Task::StepLevel).unwrap(),
            mode: fare_core::PromptMode::Critique,
            params: serde_json::json!({}),
            status: fare_store::RunStatus::Imported,
            label: Some(label.into()),
        })
        .unwrap()
}

/// Adds a judgment; `None` is an unparseable output.
fn judge(project: &mut Project, run: i64, sample: i64, swapped: bool, verdict: Option<Verdict>) {
    let outcome = match verdict {
        Some(verdict) => Outcome::Parsed { verdict },
        None => Outcome::Unparseable {
            reason: "no verdict line".into(),
        },
    };
    project
        .add_judgment(
            run,
            &NewJudgment {
                sample_id: sample,
                swapped,
                attempt: 0,
                judgment: &Judgment {
                    raw_output: "output".into(),
                    critique: "critique".into(),
                    analysis: None,
                    outcome,
                },
                prompt_tokens: None,
                output_tokens: None,
                latency_ms: None,
                verdict_probs: None,
            },
        )
        .unwrap();
}

fn step(i: Option<u32>) -> Verdict {
    Verdict::FirstError(i)
}

fn steps() -> Content {
    Content::StepLevel {
        steps: (0..5).map(|i| format!("step {i}")).collect(),
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.sqlite")).unwrap();
    // Step-level, 5 steps each: (external id, question, source, gold first error).
    let s = dataset(
        &mut project,
        "steps",
        "processbench",
        &[
            sample("t1", "q1", Some("s1"), steps(), step(Some(2))),
            sample("t2", "q2", Some("s1"), steps(), step(Some(2))),
            sample("t3", "q3", Some("s1"), steps(), step(None)),
            sample("t4", "q4", Some("s2"), steps(), step(Some(3))),
            sample("t5", "q5", Some("s2"), steps(), step(None)),
            sample("t6", "q6", Some("s2"), steps(), step(Some(1))),
        ],
    );
    let pair = |a: &str, b: &str| Content::Pairwise {
        response_a: a.into(),
        response_b: b.into(),
    };
    // Pairs: P1 A 16 characters, B 5; P2 A 2, B 4; P3 A 1, B 3.
    let p = dataset(
        &mut project,
        "pairs",
        "judgebench",
        &[
            sample(
                "p1",
                "pq1",
                None,
                pair("long answer here", "short"),
                Verdict::Pick(Side::A),
            ),
            sample(
                "p2",
                "pq2",
                None,
                pair("aa", "bbbb"),
                Verdict::Pick(Side::B),
            ),
            sample("p3", "pq3", None, pair("x", "yyy"), Verdict::Pick(Side::A)),
        ],
    );
    let free = |r: &str| Content::ReferenceFree { response: r.into() };
    let correct = Verdict::Correctness(Correctness::Correct);
    let incorrect = Verdict::Correctness(Correctness::Incorrect);
    // V1 is the trace of S1 (same external id and question), V3 that of S3; V2 its own.
    let v = dataset(
        &mut project,
        "free",
        "mapped",
        &[
            sample("t1", "q1", None, free("r1"), correct),
            sample("v2", "vq2", None, free("r2"), incorrect),
            sample("t3", "q3", None, free("r3"), correct),
        ],
    );
    // R1 is the trace of S2.
    let r = dataset(
        &mut project,
        "rated",
        "mapped",
        &[sample(
            "t2",
            "q2",
            None,
            Content::Rating {
                response: "r".into(),
                rubric: None,
                reference: None,
            },
            Verdict::Rating(7),
        )],
    );

    let run1 = run(&mut project, "checkpoint-1");
    // Step-level, run 1: S1 2 (exact), S2 4 (late +2), S3 -1 (right), S4 2 (early -1),
    // S5 0 (false alarm), S6 unparseable.
    for (id, verdict) in s.iter().zip([
        Some(step(Some(2))),
        Some(step(Some(4))),
        Some(step(None)),
        Some(step(Some(2))),
        Some(step(Some(0))),
        None,
    ]) {
        judge(&mut project, run1, *id, false, verdict);
    }
    // Pairs (swapped verdicts as the model wrote them): P1 A then A (a flip: the swapped A is the
    // original B); P2 B then A (= original B, consistent); P3 B, not swapped.
    judge(
        &mut project,
        run1,
        p[0],
        false,
        Some(Verdict::Pick(Side::A)),
    );
    judge(&mut project, run1, p[0], true, Some(Verdict::Pick(Side::A)));
    judge(
        &mut project,
        run1,
        p[1],
        false,
        Some(Verdict::Pick(Side::B)),
    );
    judge(&mut project, run1, p[1], true, Some(Verdict::Pick(Side::A)));
    judge(
        &mut project,
        run1,
        p[2],
        false,
        Some(Verdict::Pick(Side::B)),
    );
    // Verification: V1 correct, V2 correct (missed), V3 incorrect (false alarm).
    judge(&mut project, run1, v[0], false, Some(correct));
    judge(&mut project, run1, v[1], false, Some(correct));
    judge(&mut project, run1, v[2], false, Some(incorrect));
    // Rating: 9 on S2's trace.
    judge(&mut project, run1, r[0], false, Some(Verdict::Rating(9)));

    // People: ann accepts S1 (2) and bob corrects it to 1: no consensus. ann corrects S2 to 4 and
    // S4 to 2, and tags S5 hallucinated-error.
    let annotate = |project: &mut Project, who: &str, id: i64, action: AnnotationAction| {
        project.annotate(id, who, &action, None).unwrap();
    };
    annotate(
        &mut project,
        "ann",
        s[0],
        AnnotationAction::Accept {
            verdict: step(Some(2)),
        },
    );
    annotate(
        &mut project,
        "bob",
        s[0],
        AnnotationAction::Correct {
            verdict: step(Some(1)),
        },
    );
    annotate(
        &mut project,
        "ann",
        s[1],
        AnnotationAction::Correct {
            verdict: step(Some(4)),
        },
    );
    annotate(
        &mut project,
        "ann",
        s[3],
        AnnotationAction::Correct {
            verdict: step(Some(2)),
        },
    );
    annotate(
        &mut project,
        "ann",
        s[4],
        AnnotationAction::Tag {
            tag: "hallucinated-error".into(),
            on: true,
        },
    );

    // Run 2, step-level only: S1 2, S2 2, S3 1, S4 1, S5 -1; S6 not judged.
    let run2 = run(&mut project, "checkpoint-2");
    for (id, verdict) in s.iter().zip([Some(2), Some(2), Some(1), Some(1), None]) {
        judge(&mut project, run2, *id, false, Some(step(verdict)));
    }
    Fixture {
        _dir: dir,
        project,
        s,
        p,
        v,
        r,
        run1,
        run2,
    }
}

fn group<'a>(a: &'a Analysis, task: Task, dataset: &str, source: Option<&str>) -> &'a GroupReport {
    a.groups
        .iter()
        .find(|g| g.task == task && g.dataset == dataset && g.source.as_deref() == source)
        .unwrap_or_else(|| panic!("no group {task} {dataset} {source:?}"))
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("no value, expected {expected}"));
    assert!(
        (actual - expected).abs() < 1e-12,
        "{actual} is not {expected}"
    );
}

fn ids(f: &Fixture, key: &str, scope: Scope, reference: Reference) -> Vec<i64> {
    analysis_samples(
        &f.project,
        &AnalysisSamplesRequest {
            run: Some(f.run1),
            key: key.into(),
            scope: Some(scope),
            reference: Some(reference),
            human: None,
        },
    )
    .unwrap()
}

fn task(task: Task) -> Scope {
    Scope {
        task: Some(task),
        ..Scope::default()
    }
}

#[test]
fn step_level_metrics_and_cells_by_hand() {
    let f = fixture();
    let a = analysis(
        &f.project,
        &AnalysisRequest {
            run: Some(f.run1),
            human: None,
        },
    )
    .unwrap();
    let g = group(&a, Task::StepLevel, "steps", None);
    assert_eq!(
        (g.samples, g.judged, g.with_gold, g.with_human),
        (6, 6, 6, 2)
    );
    // Newest decisions: S1 bob's correction (after ann's acceptance), S2 and S4 corrections.
    assert_eq!((g.accepted, g.corrected), (0, 3));
    // Against ground truth. Erroneous S1, S2, S4, S6: only S1 exact, so 1/4; correct S3, S5:
    // S3 right, so 1/2; F1 = 2 (1/4)(1/2) / (1/4 + 1/2) = (1/4) / (3/4) = 1/3.
    let pb = g.gold.processbench.as_ref().unwrap();
    assert_eq!((pb.n_erroneous, pb.n_correct, pb.n_failed), (4, 2, 1));
    close(pb.error_accuracy, 0.25);
    close(pb.correct_accuracy, 0.5);
    close(pb.f1, 1.0 / 3.0);
    // The old field is the same score; one ProcessBench split, so its F1 is the mean.
    assert_eq!(g.processbench.as_ref(), Some(pb));
    close(a.processbench_mean_f1, 1.0 / 3.0);
    // Buckets: exact S1, late S2, correct S3, early S4, false alarm S5, failed S6.
    let step = g.gold.step.as_ref().unwrap();
    let bucket = |name: &str| {
        step.buckets
            .iter()
            .find(|b| b.key == format!("bucket:{name}"))
            .unwrap()
            .count
    };
    for (name, n) in [
        ("exact", 1),
        ("early", 1),
        ("late", 1),
        ("missed-error", 0),
        ("false-alarm", 1),
        ("correct-no-error", 1),
        ("failed", 1),
    ] {
        assert_eq!(bucket(name), n, "{name}");
    }
    // Offsets: S4 2 - 3 = -1, S1 0, S2 4 - 2 = +2.
    let offsets: Vec<(&str, usize)> = step
        .offsets
        .iter()
        .map(|o| (o.key.as_str(), o.count))
        .collect();
    assert_eq!(
        offsets,
        [("offset:-1", 1), ("offset:0", 1), ("offset:2", 1)]
    );
    // Grid: six distinct cells. Positions of 5 steps: step k is tenth 2k (S2: 4 -> 8, 2 -> 4).
    assert_eq!(step.grid.len(), 6);
    assert!(
        step.grid
            .iter()
            .any(|c| c.key == "first-error:pred=4:gold=2" && c.count == 1)
    );
    assert!(
        step.positions
            .iter()
            .any(|c| c.key == "position:pred=8:gold=4" && c.count == 1)
    );
    assert!(
        step.grid
            .iter()
            .any(|c| c.key == "first-error:pred=failed:gold=1"
                && c.predicted.is_none()
                && c.gold == 1)
    );

    // Every cell's key gives back as many samples as it counts, and the expected ones.
    let steps_scope = Scope {
        task: Some(Task::StepLevel),
        dataset_id: g.dataset_id,
        source: None,
    };
    for c in step.grid.iter().chain(&step.positions) {
        assert_eq!(
            ids(&f, &c.key, steps_scope.clone(), Reference::Gold).len(),
            c.count,
            "{}",
            c.key
        );
    }
    for b in &step.buckets {
        assert_eq!(
            ids(&f, &b.key, steps_scope.clone(), Reference::Gold).len(),
            b.count
        );
    }
    assert_eq!(
        ids(&f, "bucket:late", steps_scope.clone(), Reference::Gold),
        [f.s[1]]
    );
    assert_eq!(
        ids(&f, "offset:-1", steps_scope.clone(), Reference::Gold),
        [f.s[3]]
    );
    assert_eq!(
        ids(
            &f,
            "first-error:pred=4:gold=2",
            steps_scope.clone(),
            Reference::Gold
        ),
        [f.s[1]]
    );
    // A source narrows: S4 to S6 are s2.
    let s2 = Scope {
        source: Some("s2".into()),
        ..steps_scope.clone()
    };
    assert_eq!(
        ids(&f, "bucket:false-alarm", s2.clone(), Reference::Gold),
        [f.s[4]]
    );
    assert!(ids(&f, "bucket:late", s2, Reference::Gold).is_empty());
    let s1 = group(&a, Task::StepLevel, "steps", Some("s1"));
    assert_eq!(s1.samples, 3);

    // Inferred tags against ground truth: unparseable S6, false alarm S5, early S4, late S2.
    let inferred = |name: &str| {
        g.gold
            .inferred
            .iter()
            .find(|t| t.tag == name)
            .unwrap_or_else(|| panic!("{name}"))
            .count
    };
    assert_eq!(
        [
            inferred("unparseable"),
            inferred("false-alarm"),
            inferred("early-step"),
            inferred("late-step"),
            inferred("missed-error")
        ],
        [1, 1, 1, 1, 0]
    );
    assert_eq!(
        ids(
            &f,
            "inferred:unparseable",
            task(Task::StepLevel),
            Reference::Gold
        ),
        [f.s[5]]
    );
    assert_eq!(
        ids(
            &f,
            "inferred:late-step",
            task(Task::StepLevel),
            Reference::Gold
        ),
        [f.s[1]]
    );
    // People's tags.
    assert_eq!(g.tags.len(), 1);
    assert_eq!(
        (g.tags[0].key.as_str(), g.tags[0].count),
        ("tag:hallucinated-error", 1)
    );
    assert_eq!(
        ids(
            &f,
            "tag:hallucinated-error",
            Scope::default(),
            Reference::Gold
        ),
        [f.s[4]]
    );

    // Against the human labels: S1's labels disagree (no reference); S2 human 4, said 4; S4
    // human 2, said 2. Both erroneous, both exact: error accuracy 2/2, no correct solutions.
    assert_eq!(g.human.scored, 2);
    let pb = g.human.processbench.as_ref().unwrap();
    assert_eq!((pb.n_erroneous, pb.n_correct), (2, 0));
    close(pb.error_accuracy, 1.0);
    assert_eq!(
        ids(&f, "bucket:exact", task(Task::StepLevel), Reference::Human),
        [f.s[1], f.s[3]]
    );
    // No human label says S2 is late any more.
    assert!(
        ids(
            &f,
            "inferred:late-step",
            task(Task::StepLevel),
            Reference::Human
        )
        .is_empty()
    );
}

#[test]
fn pairwise_verification_rating_and_contradictions_by_hand() {
    let f = fixture();
    let a = analysis(
        &f.project,
        &AnalysisRequest {
            run: Some(f.run1),
            human: None,
        },
    )
    .unwrap();
    // Pairs: original right P1, P2 (2/3); swapped (in original letters) P1 B wrong, P2 B right:
    // 1/2; both right P2: 1/2; same pick in both orders P2: 1/2; one flip (P1).
    let g = group(&a, Task::Pairwise, "pairs", None);
    let pw = g.gold.pairwise.as_ref().unwrap();
    assert_eq!((pw.n, pw.n_with_swap, pw.flips), (3, 2, 1));
    close(pw.accuracy_original, 2.0 / 3.0);
    close(pw.accuracy_swapped, 0.5);
    close(pw.consistent_accuracy, 0.5);
    close(pw.consistency, 0.5);
    let pair = g.gold.pair.as_ref().unwrap();
    assert_eq!(pair.flips.len(), 1);
    assert_eq!(
        (
            pair.flips[0].sample_id,
            pair.flips[0].original.as_str(),
            pair.flips[0].swapped.as_str()
        ),
        (f.p[0], "A", "B")
    );
    // Length: P1 picks A (16 > 5, longer, right), P2 picks B (4 > 2, longer, right), P3 picks B
    // (3 > 1, longer, wrong: the reference prefers the shorter). Longer share 3/3; accuracy
    // when the reference is the longer 2/2, when it is the shorter 0/1.
    let length = &pair.length;
    assert_eq!((length.n, length.picked_longer), (3, 3));
    close(length.longer_share, 1.0);
    assert_eq!(
        (length.n_reference_longer, length.n_reference_shorter),
        (2, 1)
    );
    close(length.accuracy_reference_longer, 1.0);
    close(length.accuracy_reference_shorter, 0.0);
    let pairs = task(Task::Pairwise);
    assert_eq!(
        ids(&f, "swap-flip", pairs.clone(), Reference::Gold),
        [f.p[0]]
    );
    assert_eq!(
        ids(&f, "length:picked-longer", pairs.clone(), Reference::Gold),
        f.p
    );
    assert_eq!(
        ids(&f, "order:original:wrong", pairs.clone(), Reference::Gold),
        [f.p[2]]
    );
    assert_eq!(
        ids(&f, "order:swapped:wrong", pairs.clone(), Reference::Gold),
        [f.p[0]]
    );
    assert_eq!(
        ids(&f, "inferred:position-bias", pairs, Reference::Gold),
        [f.p[0]]
    );
    for c in &pair.orders {
        assert_eq!(
            ids(&f, &c.key, task(Task::Pairwise), Reference::Gold).len(),
            c.count
        );
    }

    // Verification: V1 right, V2 missed (incorrect called correct), V3 false alarm: 1/3.
    let g = group(&a, Task::ReferenceFree, "free", None);
    let v = g.gold.verification.as_ref().unwrap();
    close(v.accuracy, 1.0 / 3.0);
    assert_eq!(v.confusion.gold_correct.correct, 1);
    assert_eq!(v.confusion.gold_correct.incorrect, 1);
    assert_eq!(v.confusion.gold_incorrect.correct, 1);
    let free = task(Task::ReferenceFree);
    assert_eq!(
        ids(
            &f,
            "confusion:pred=correct:gold=incorrect",
            free.clone(),
            Reference::Gold
        ),
        [f.v[1]]
    );
    assert_eq!(
        ids(&f, "inferred:missed-error", free.clone(), Reference::Gold),
        [f.v[1]]
    );
    assert_eq!(
        ids(&f, "inferred:false-alarm", free, Reference::Gold),
        [f.v[2]]
    );
    for c in &g.gold.confusion {
        assert_eq!(
            ids(&f, &c.key, task(Task::ReferenceFree), Reference::Gold).len(),
            c.count
        );
    }

    // Rating: 9 against 7: MAE 2.
    let g = group(&a, Task::Rating, "rated", None);
    close(g.gold.rating.as_ref().unwrap().mae, 2.0);
    assert_eq!(g.gold.rating_grid[0].key, "rating:pred=9:gold=7");
    assert_eq!(
        ids(
            &f,
            "rating:pred=9:gold=7",
            task(Task::Rating),
            Reference::Gold
        ),
        f.r
    );

    // Contradictions: S1 (error at 2) with V1 (correct); S2 (error at 4) with R1 (9 >= 9); S3
    // (no error) with V3 (incorrect). Three traces have two tasks.
    let c = &a.contradictions;
    assert_eq!(c.traces_compared, 3);
    let counts: Vec<(&str, usize)> = c.counts.iter().map(|c| (c.key.as_str(), c.count)).collect();
    assert_eq!(
        counts,
        [
            ("contradiction:error-but-correct", 1),
            ("contradiction:error-but-high-rating", 1),
            ("contradiction:no-error-but-incorrect", 1)
        ]
    );
    let pairs: Vec<(i64, i64)> = c
        .items
        .iter()
        .map(|c| (c.step_sample, c.other_sample))
        .collect();
    assert_eq!(
        pairs,
        [(f.s[0], f.v[0]), (f.s[1], f.r[0]), (f.s[2], f.v[2])]
    );
    let mut both = vec![f.s[1], f.r[0]];
    both.sort_unstable();
    assert_eq!(
        ids(
            &f,
            "contradiction:error-but-high-rating",
            Scope::default(),
            Reference::Gold
        ),
        both
    );
    assert_eq!(
        ids(
            &f,
            "contradiction:error-but-correct",
            task(Task::ReferenceFree),
            Reference::Gold
        ),
        [f.v[0]]
    );
}

#[test]
fn bad_keys_are_refused_with_the_reason() {
    let f = fixture();
    let e = analysis_samples(
        &f.project,
        &AnalysisSamplesRequest {
            run: None,
            key: "bucket:sideways".into(),
            scope: None,
            reference: None,
            human: None,
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("`bucket:sideways` is not an analysis key"),
        "{e}"
    );
}

fn cells(d: &RunDiff, task: Task, tag: Option<&str>) -> Vec<usize> {
    d.rows
        .iter()
        .find(|r| r.task == task && r.tag.as_deref() == tag)
        .unwrap_or_else(|| panic!("no row {task} {tag:?}"))
        .cells
        .iter()
        .map(|c| c.count)
        .collect()
}

#[test]
fn the_checkpoint_diff_finds_what_was_fixed_and_broken() {
    let f = fixture();
    let request = |reference| DiffRequest {
        before: f.run1,
        after: f.run2,
        reference,
        human: None,
    };
    // Against ground truth (gold, before, after): S1 2, 2, 2 both right; S2 2, 4, 2 fixed;
    // S3 -1, -1, 1 broke; S4 3, 2, 1 both wrong; S5 -1, 0, -1 fixed; S6 not judged after.
    // Cells: both right, fixed, broke, both wrong, not comparable.
    let d = diff(&f.project, &request(Some(Reference::Gold))).unwrap();
    assert_eq!(cells(&d, Task::StepLevel, None), [1, 2, 1, 1, 1]);
    // Late before (S2, fixed); false alarm before (S5, fixed) or after (S3, broke).
    assert_eq!(
        cells(&d, Task::StepLevel, Some("late-step")),
        [0, 1, 0, 0, 0]
    );
    assert_eq!(
        cells(&d, Task::StepLevel, Some("false-alarm")),
        [0, 1, 1, 0, 0]
    );
    assert_eq!(
        cells(&d, Task::StepLevel, Some("hallucinated-error")),
        [0, 1, 0, 0, 0]
    );
    // The pairs were judged by run 1 only.
    assert_eq!(cells(&d, Task::Pairwise, None), [0, 0, 0, 0, 3]);
    let samples = |key: &str, reference| {
        diff_samples(
            &f.project,
            &DiffSamplesRequest {
                before: f.run1,
                after: f.run2,
                reference,
                human: None,
                task: Task::StepLevel,
                key: key.into(),
            },
        )
        .unwrap()
    };
    assert_eq!(
        samples("diff:fixed", Some(Reference::Gold)),
        [f.s[1], f.s[4]]
    );
    assert_eq!(
        samples("diff:broke:inferred=false-alarm", Some(Reference::Gold)),
        [f.s[2]]
    );
    assert_eq!(
        samples("diff:fixed:tag=hallucinated-error", Some(Reference::Gold)),
        [f.s[4]]
    );
    // Every cell's key lists as many samples as it counts.
    for row in d.rows.iter().filter(|r| r.task == Task::StepLevel) {
        for c in &row.cells {
            assert_eq!(
                samples(&c.key, Some(Reference::Gold)).len(),
                c.count,
                "{}",
                c.key
            );
        }
    }

    // By default the human label where there is one: S2 (human 4) was right before and is
    // wrong after, S4 (human 2) likewise; S1's labels disagree, so its ground truth counts.
    let d = diff(&f.project, &request(None)).unwrap();
    assert_eq!(d.reference, Reference::HumanElseGold);
    assert_eq!(cells(&d, Task::StepLevel, None), [1, 1, 3, 0, 1]);
    assert_eq!(samples("diff:broke", None), [f.s[1], f.s[2], f.s[3]]);

    let e = diff(
        &f.project,
        &DiffRequest {
            before: 99,
            after: f.run2,
            reference: None,
            human: None,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("no evaluator run 99"), "{e}");
    let e = diff_samples(
        &f.project,
        &DiffSamplesRequest {
            before: f.run1,
            after: f.run2,
            reference: None,
            human: None,
            task: Task::StepLevel,
            key: "diff:sideways".into(),
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a diff key"), "{e}");
}

#[test]
fn an_adjudicated_verdict_is_the_human_reference_where_labels_disagree() {
    let mut f = fixture();
    let scored = |f: &Fixture, human: Option<HumanReference>| {
        let a = analysis(
            &f.project,
            &AnalysisRequest {
                run: Some(f.run1),
                human,
            },
        )
        .unwrap();
        let g = group(&a, Task::StepLevel, "steps", None);
        (g.with_human, g.human.scored)
    };
    // S1's two labels disagree: no human reference by any rule yet (two people: no majority).
    let before = scored(&f, None);
    assert_eq!(before, scored(&f, Some(HumanReference::Consensus)));
    assert_eq!(before, scored(&f, Some(HumanReference::Majority)));
    // A third person adjudicates S1: by default (as exports' final label) it now has one.
    f.project
        .adjudicate(f.s[0], "cy", Some(step(Some(0))), Some("step 0 is wrong"))
        .unwrap();
    let after = scored(&f, None);
    assert_eq!((after.0, after.1), (before.0 + 1, before.1 + 1));
    assert_eq!(after, scored(&f, Some(HumanReference::Adjudicated)));
    // The consensus and the majority leave adjudications out.
    assert_eq!(before, scored(&f, Some(HumanReference::Consensus)));
    assert_eq!(before, scored(&f, Some(HumanReference::Majority)));
    // Cleared, it is gone again.
    f.project.adjudicate(f.s[0], "cy", None, None).unwrap();
    assert_eq!(before, scored(&f, None));
}
