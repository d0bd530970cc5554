//! Evaluator runs and judgments: what is stored, what is read back, what is refused.

use fare_core::parse::{Finish, read_output};
use fare_core::{Outcome, Task, Template, Verdict, VerdictRules};
use fare_store::{NewJudgment, Project, RunInfo, StoreError, StoredJudgment};
use serde_json::json;

use crate::{
    A, B, CORRECT, INCORRECT, import, judged, new_project, new_run, pairwise, parsed, rating,
    reference_free, rows, sample, step, steps, truncated, unparseable,
};

/// A project with a pairwise sample (gold B), a step-level one (3 steps, gold step 1), a
/// reference-free one (gold incorrect) and one with no ground truth.
fn fixture() -> (tempfile::TempDir, Project, [i64; 4]) {
    let (dir, mut project) = new_project();
    let mut p = sample("p", "Which is right?", pairwise("two", "four"));
    p.gold = Some(B);
    let mut s = sample("s", "2 + 2?", steps(&["2 + 2 = 5.", "So 5.", "Done."]));
    s.gold = Some(step(0));
    let mut v = sample("v", "Is 91 prime?", reference_free("Yes."));
    v.gold = Some(INCORRECT);
    let nogold = sample("n", "Is 7 prime?", reference_free("Yes."));
    let ids = import(&mut project, "set", &[p, s, v, nogold]);
    (dir, project, [ids[0], ids[1], ids[2], ids[3]])
}

/// `parse_state, parse_error, verdict, agrees_with_gold` of a stored judgment.
type Columns = (String, Option<String>, Option<String>, Option<bool>);

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "four judgments and their stored form"
)]
fn parsed_unparseable_and_truncated_judgments_round_trip() {
    let (_dir, mut project, [p, s, v, n]) = fixture();
    let run = project
        .begin_run(&new_run(Task::StepLevel, "FARE-8B"))
        .unwrap();

    let right = parsed(step(0), "Step 0 claims 2 + 2 = 5.");
    let mut stored = NewJudgment {
        prompt_tokens: Some(812),
        output_tokens: Some(95),
        latency_ms: Some(1234),
        verdict_probs: Some(step_probs()),
        ..judged(s, &right)
    };
    let j1 = project.add_judgment(run, &stored).unwrap();
    let lost = unparseable("no `Verdict:` line", "It rambles.");
    stored = NewJudgment {
        attempt: 1,
        ..judged(s, &lost)
    };
    let j2 = project.add_judgment(run, &stored).unwrap();
    let cut = truncated("Checking step 0");
    let j3 = project
        .add_judgment(
            run,
            &NewJudgment {
                attempt: 2,
                ..judged(s, &cut)
            },
        )
        .unwrap();
    let wrong = parsed(step(2), "Step 2 is wrong.");
    let j4 = project
        .add_judgment(
            run,
            &NewJudgment {
                attempt: 3,
                ..judged(s, &wrong)
            },
        )
        .unwrap();

    let expected = vec![
        StoredJudgment {
            id: j1,
            run_id: run,
            sample_id: s,
            swapped: false,
            attempt: 0,
            judgment: right.clone(),
            agrees_with_gold: Some(true),
            verdict_probs: Some(step_probs()),
            output_tokens: Some(95),
            latency_ms: Some(1234),
        },
        StoredJudgment {
            id: j2,
            run_id: run,
            sample_id: s,
            swapped: false,
            attempt: 1,
            judgment: lost.clone(),
            // No verdict is not the ground truth's verdict.
            agrees_with_gold: Some(false),
            verdict_probs: None,
            output_tokens: None,
            latency_ms: None,
        },
        StoredJudgment {
            id: j3,
            run_id: run,
            sample_id: s,
            swapped: false,
            attempt: 2,
            judgment: cut.clone(),
            agrees_with_gold: Some(false),
            verdict_probs: None,
            output_tokens: None,
            latency_ms: None,
        },
        StoredJudgment {
            id: j4,
            run_id: run,
            sample_id: s,
            swapped: false,
            attempt: 3,
            judgment: wrong.clone(),
            agrees_with_gold: Some(false),
            verdict_probs: None,
            output_tokens: None,
            latency_ms: None,
        },
    ];
    assert_eq!(project.judgments_of(s).unwrap(), expected);
    // The reason of an unparseable output is kept word for word.
    assert_eq!(
        project.judgments_of(s).unwrap()[1].judgment.outcome,
        Outcome::Unparseable {
            reason: "no `Verdict:` line".into()
        }
    );
    // Stored columns, as people querying the file see them.
    let columns: Vec<Columns> = {
        let mut stmt = project
            .raw_connection()
            .prepare("SELECT parse_state, parse_error, verdict, agrees_with_gold FROM judgments ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        columns,
        vec![
            ("parsed".into(), None, Some("0".into()), Some(true)),
            (
                "unparseable".into(),
                Some("no `Verdict:` line".into()),
                None,
                Some(false)
            ),
            ("truncated".into(), None, None, Some(false)),
            ("parsed".into(), None, Some("2".into()), Some(false)),
        ]
    );

    // Other samples: agreement with verification gold, and none without gold.
    let v_judgment = parsed(INCORRECT, "91 = 7 * 13.");
    project.add_judgment(run, &judged(v, &v_judgment)).unwrap();
    let n_judgment = parsed(CORRECT, "7 is prime.");
    project.add_judgment(run, &judged(n, &n_judgment)).unwrap();
    assert_eq!(
        project.judgments_of(v).unwrap()[0].agrees_with_gold,
        Some(true)
    );
    assert_eq!(project.judgments_of(n).unwrap()[0].agrees_with_gold, None);
    assert_eq!(project.judgments_of(p).unwrap(), vec![]);

    // Probabilities edited into another shape by hand are an error naming the judgment, never
    // read as "not scored".
    project
        .raw_connection()
        .execute(
            "UPDATE judgments SET verdict_probs = '{\"-1\": 0.5}' WHERE id = ?1",
            [j1],
        )
        .unwrap();
    let err = project.judgments_of(s).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains(&format!("judgment {j1}")), "{err}");
}

#[test]
fn judgments_read_from_raw_output_are_stored_as_read() {
    let (_dir, mut project, [_, s, _, _]) = fixture();
    let run = project
        .begin_run(&new_run(Task::StepLevel, "FARE-8B"))
        .unwrap();
    let rules = VerdictRules::new(Task::StepLevel, 3);
    let raw = "Explanation: The first step says 2 + 2 = 5, which is false.\nVerdict: [0]";
    let judgment = read_output(raw, &rules, Finish::Stopped);
    assert_eq!(judgment.verdict(), Some(step(0)));
    project.add_judgment(run, &judged(s, &judgment)).unwrap();
    let stored = project.judgments_of(s).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].judgment, judgment);
    assert_eq!(stored[0].judgment.raw_output, raw);
}

#[test]
fn a_swapped_pairwise_verdict_is_stored_in_the_data_labels() {
    let (_dir, mut project, [p, ..]) = fixture();
    let run = project
        .begin_run(&new_run(Task::Pairwise, "FARE-8B"))
        .unwrap();
    // Original order: the model picks B (right). Swapped order: response B was shown first, as
    // [A]; the model writes [A], which is the data's B.
    let original = parsed(B, "Four is right.");
    let as_written = parsed(A, "The first response, four, is right.");
    project.add_judgment(run, &judged(p, &original)).unwrap();
    let swapped_id = project
        .add_judgment(
            run,
            &NewJudgment {
                swapped: true,
                ..judged(p, &as_written)
            },
        )
        .unwrap();
    let stored = project.judgments_of(p).unwrap();
    assert_eq!(stored.len(), 2);
    let swapped = &stored[1];
    assert_eq!(swapped.id, swapped_id);
    assert!(swapped.swapped);
    assert_eq!(swapped.judgment.verdict(), Some(B));
    assert_eq!(swapped.agrees_with_gold, Some(true));
    // The raw output still says what the model wrote.
    assert_eq!(swapped.judgment.raw_output, as_written.raw_output);
    let (order, verdict): (String, String) = project
        .raw_connection()
        .query_row(
            "SELECT response_order, verdict FROM judgments WHERE id = ?1",
            [swapped_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((order.as_str(), verdict.as_str()), ("swapped", "B"));

    // A swapped judgment on a non-pairwise sample keeps its verdict.
    let (_dir2, mut other, [_, s, _, _]) = fixture();
    let run = other.begin_run(&new_run(Task::StepLevel, "m")).unwrap();
    let j = parsed(step(0), "c");
    other
        .add_judgment(
            run,
            &NewJudgment {
                swapped: true,
                ..judged(s, &j)
            },
        )
        .unwrap();
    assert_eq!(
        other.judgments_of(s).unwrap()[0].judgment.verdict(),
        Some(step(0))
    );
}

#[test]
fn a_verdict_that_does_not_fit_the_sample_is_refused_and_nothing_written() {
    let (_dir, mut project, [p, s, v, _]) = fixture();
    let run = project
        .begin_run(&new_run(Task::StepLevel, "FARE-8B"))
        .unwrap();
    let beyond = parsed(step(3), "Step 3.");
    let err = project.add_judgment(run, &judged(s, &beyond)).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("sample {s}: step 3 does not exist: the solution has 3 steps (0 to 2)")
    );
    let other_task = parsed(A, "A.");
    let err = project
        .add_judgment(run, &judged(s, &other_task))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("sample {s}: a pairwise verdict does not fit a step-level sample")
    );
    let err = project
        .add_judgment(run, &judged(p, &parsed(CORRECT, "x")))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = project
        .add_judgment(run, &judged(v, &parsed(Verdict::Rating(3), "x")))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = project
        .add_judgment(run, &judged(9999, &parsed(A, "x")))
        .unwrap_err();
    assert_eq!(err.to_string(), "no sample with id 9999");
    assert_eq!(rows(&project, "judgments"), 0);
    // The search index still holds only the samples' own text (one row each, no critique).
    let critique_hits: i64 = project
        .raw_connection()
        .query_row(
            "SELECT count(*) FROM sample_text WHERE critiques MATCH 'x'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(critique_hits, 0);
    assert_eq!(project.runs().unwrap()[0].judgments, 0);
}

#[test]
fn the_same_run_sample_order_and_attempt_is_refused_twice() {
    let (_dir, mut project, [p, ..]) = fixture();
    let run = project
        .begin_run(&new_run(Task::Pairwise, "FARE-8B"))
        .unwrap();
    let first = parsed(B, "first");
    let again = parsed(A, "again");
    project.add_judgment(run, &judged(p, &first)).unwrap();
    let err = project.add_judgment(run, &judged(p, &again)).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("run {run} already has a judgment of sample {p} (original order, attempt 0)")
    );
    assert_eq!(rows(&project, "judgments"), 1);
    let critique_hits = |word: &str| -> i64 {
        project
            .raw_connection()
            .query_row(
                "SELECT count(*) FROM sample_text WHERE critiques MATCH ?1",
                [word],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!((critique_hits("first"), critique_hits("again")), (1, 0));
    assert_eq!(project.judgments_of(p).unwrap()[0].judgment, first);
    // Another attempt, the other order, or another run are all new judgments.
    project
        .add_judgment(
            run,
            &NewJudgment {
                attempt: 1,
                ..judged(p, &again)
            },
        )
        .unwrap();
    project
        .add_judgment(
            run,
            &NewJudgment {
                swapped: true,
                ..judged(p, &again)
            },
        )
        .unwrap();
    let run2 = project
        .begin_run(&new_run(Task::Pairwise, "FARE-8B"))
        .unwrap();
    project.add_judgment(run2, &judged(p, &again)).unwrap();
    assert_eq!(rows(&project, "judgments"), 4);
}

#[test]
fn a_judgment_of_an_unknown_run_is_refused() {
    let (_dir, mut project, [p, ..]) = fixture();
    let j = parsed(B, "x");
    let err = project.add_judgment(77, &judged(p, &j)).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "no run with id 77");
    assert_eq!(rows(&project, "judgments"), 0);
}

#[test]
fn runs_list_their_model_template_and_counts() {
    let (_dir, mut project, [p, s, ..]) = fixture();
    let pairwise_run = new_run(Task::Pairwise, "FARE-8B");
    let r1 = project.begin_run(&pairwise_run).unwrap();
    let j = parsed(B, "x");
    project.add_judgment(r1, &judged(p, &j)).unwrap();
    project
        .end_run(r1, fare_store::RunStatus::Finished)
        .unwrap();
    let mut imported = new_run(Task::StepLevel, "FARE-8B");
    imported.model_kind = "external".into();
    imported.mode = fare_core::PromptMode::Direct;
    imported.status = fare_store::RunStatus::Imported;
    imported.label = None;
    imported.params = json!({});
    let r2 = project.begin_run(&imported).unwrap();
    let k = parsed(step(0), "y");
    project.add_judgment(r2, &judged(s, &k)).unwrap();
    let r3 = project.begin_run(&pairwise_run).unwrap();

    let runs = project.runs().unwrap();
    let pairwise_template = Template::builtin_for(Task::Pairwise).unwrap();
    let step_template = Template::builtin_for(Task::StepLevel).unwrap();
    let first = RunInfo {
        id: r1,
        model: "FARE-8B".into(),
        template: Some(format!(
            "{} v{}",
            pairwise_template.name, pairwise_template.version
        )),
        template_hash: Some(pairwise_template.content_hash()),
        mode: fare_core::PromptMode::Critique,
        params: json!({"temperature": 0.0, "max_tokens": 2048}),
        status: fare_store::RunStatus::Finished,
        label: Some("FARE-8B, greedy".into()),
        started_at: runs[0].started_at.clone(),
        judgments: 1,
        tasks: vec![Task::Pairwise],
    };
    let expected = vec![
        first.clone(),
        RunInfo {
            id: r2,
            model: "FARE-8B".into(),
            template: Some(format!("{} v{}", step_template.name, step_template.version)),
            template_hash: Some(step_template.content_hash()),
            mode: fare_core::PromptMode::Direct,
            params: json!({}),
            status: fare_store::RunStatus::Imported,
            label: None,
            started_at: runs[1].started_at.clone(),
            judgments: 1,
            tasks: vec![Task::StepLevel],
        },
        RunInfo {
            id: r3,
            status: fare_store::RunStatus::Running,
            judgments: 0,
            tasks: vec![],
            started_at: runs[2].started_at.clone(),
            ..first
        },
    ];
    assert_eq!(runs, expected);
    // One model row and one template row per distinct model and template.
    assert_eq!(rows(&project, "models"), 1);
    assert_eq!(rows(&project, "templates"), 2);
    let finished: Option<String> = project
        .raw_connection()
        .query_row("SELECT finished_at FROM runs WHERE id = ?1", [r1], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(finished.is_some());
}

#[test]
fn a_rating_is_checked_against_the_run_template_scale() {
    let (_dir, mut project) = new_project();
    let mut r = sample("r", "q", rating("resp", None, None));
    r.gold = Some(Verdict::Rating(80));
    let [id] = import(&mut project, "ratings", &[r])[..] else {
        panic!("one sample")
    };
    let mut percent = new_run(Task::Rating, "grader");
    percent.template.name = "percent".into();
    percent.template.rating_scale = Some((0, 100));
    let run = project.begin_run(&percent).unwrap();
    let j = parsed(Verdict::Rating(80), "good");
    project.add_judgment(run, &judged(id, &j)).unwrap();
    let too_high = parsed(Verdict::Rating(101), "great");
    let err = project
        .add_judgment(
            run,
            &NewJudgment {
                attempt: 1,
                ..judged(id, &too_high)
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("sample {id}: rating 101 is outside the scale 0 to 100")
    );
    let stored = project.judgments_of(id).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].judgment.verdict(), Some(Verdict::Rating(80)));
    assert_eq!(stored[0].agrees_with_gold, Some(true));

    // The shipped template rates 1 to 10.
    let default = project.begin_run(&new_run(Task::Rating, "grader")).unwrap();
    let err = project.add_judgment(default, &judged(id, &j)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("sample {id}: rating 80 is outside the scale 1 to 10")
    );
}

#[test]
fn judgments_of_an_unknown_sample_is_an_invalid_request() {
    let (_dir, project) = new_project();
    let err = project.judgments_of(5).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(err.to_string(), "no sample with id 5");
}

#[test]
fn k_judgments_of_a_sample_keep_their_majority_in_any_order_of_arrival() {
    let (_dir, mut project, [p, s, _, n]) = fixture();
    let run = project.begin_run(&new_run(Task::Pairwise, "m")).unwrap();
    // Attempts 2, 0, 1 arrive out of order (judges in parallel): A written swapped is B.
    let add = |project: &mut Project,
               sample: i64,
               attempt: u32,
               swapped: bool,
               j: &fare_core::Judgment| {
        project
            .add_judgment(
                run,
                &NewJudgment {
                    attempt,
                    swapped,
                    ..judged(sample, j)
                },
            )
            .unwrap();
    };
    let pick_b = parsed(B, "B is right.");
    let pick_a = parsed(A, "A is right.");
    add(&mut project, p, 2, false, &pick_b);
    assert!(
        project.votes_of(p).unwrap().is_empty(),
        "one attempt is no vote"
    );
    add(&mut project, p, 0, false, &pick_a);
    add(&mut project, p, 1, false, &pick_b);
    // The swapped order has its own majority (in the data's labels).
    add(&mut project, p, 0, true, &pick_a);
    add(&mut project, p, 1, true, &unparseable("no verdict", "hm"));
    let votes = project.votes_of(p).unwrap();
    assert_eq!(votes.len(), 2);
    assert_eq!(votes[0].run_id, run);
    assert!(!votes[0].swapped);
    assert_eq!(
        (votes[0].vote.verdict, votes[0].vote.votes, votes[0].vote.of),
        (Some(B), 2, 3)
    );
    assert_eq!(votes[0].agrees_with_gold, Some(true));
    assert!(votes[1].swapped);
    assert_eq!(
        (votes[1].vote.verdict, votes[1].vote.votes, votes[1].vote.of),
        (Some(B), 1, 2),
        "A written with the responses swapped picks the data's B"
    );
    // No verdict in any attempt: a vote for nothing, which does not agree with the gold.
    let run2 = project.begin_run(&new_run(Task::StepLevel, "m2")).unwrap();
    for attempt in 0..2 {
        project
            .add_judgment(
                run2,
                &NewJudgment {
                    attempt,
                    ..judged(s, &truncated("Step 0"))
                },
            )
            .unwrap();
    }
    let vote = &project.votes_of(s).unwrap()[0];
    assert_eq!(
        (vote.vote.verdict, vote.vote.votes, vote.vote.of),
        (None, 0, 2)
    );
    assert_eq!(vote.agrees_with_gold, Some(false));
    // Without ground truth there is nothing to agree with.
    let run3 = project
        .begin_run(&new_run(Task::ReferenceFree, "m3"))
        .unwrap();
    for attempt in 0..2 {
        project
            .add_judgment(
                run3,
                &NewJudgment {
                    attempt,
                    ..judged(n, &parsed(CORRECT, "fine"))
                },
            )
            .unwrap();
    }
    assert_eq!(project.votes_of(n).unwrap()[0].agrees_with_gold, None);
}

fn step_probs() -> fare_core::RecordedProbs {
    fare_core::RecordedProbs::from_json(
        &json!({"probs": {"-1": 0.1, "0": 0.8, "1": 0.05, "2": 0.05}, "mass": 0.9}),
    )
    .unwrap()
}
