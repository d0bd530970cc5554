//! `fare-lens judge` with a small real model (SmolLM2-135M, fetched by
//! tests/fetch-test-assets.sh): judgments are stored one by one, a run killed mid-way is
//! continued by running the same command again, with nothing judged twice. The verdicts of a
//! 135M model are not asserted, only the pipeline. Without the model the tests say SKIPPED (and
//! fail under CI, where the test command fetches it).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{BIN, Dir};

fn smollm2() -> Option<String> {
    fare_testkit::smollm2().map(|p| p.to_str().expect("a UTF-8 path").to_owned())
}

/// Three short step-level samples.
fn project(dir: &Dir) {
    dir.write(
        "pb.json",
        r#"[{"id": "t-0", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1},
            {"id": "t-1", "problem": "2 + 2?", "steps": ["2 + 2 = 5."], "label": 0},
            {"id": "t-2", "problem": "3 + 3?", "steps": ["3 + 3 = 6.", "So 6."], "label": -1}]"#,
    );
    dir.import("p.sqlite", &["pb.json"]);
}

/// (sample id, parse state) of every judged sample, by `samples --json`.
fn judged(dir: &Dir) -> Vec<(String, String)> {
    let json: Value = dir.json(&["samples", "p.sqlite", "--json"]);
    json["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter_map(|s| {
            Some((
                s["external_id"].as_str()?.to_owned(),
                s["parse_state"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

const JUDGE: [&str; 4] = ["--max-new-tokens", "6", "--model-name", "smol"];

#[test]
fn a_killed_judging_run_continues_where_it_stopped() {
    let Some(model) = smollm2() else { return };
    let dir = Dir::new();
    project(&dir);
    let mut args = vec!["judge", "p.sqlite", "--model", &model];
    args.extend(JUDGE);

    // One sample first (--limit), then the rest in a process killed after the second judgment.
    let first = dir.json(&[args.as_slice(), &["--limit", "1", "--json"]].concat());
    assert_eq!(
        (
            first["run_id"].as_i64(),
            first["judged"].as_i64(),
            first["resumed"].as_bool()
        ),
        (Some(1), Some(1), Some(false))
    );
    assert_eq!(judged(&dir).len(), 1);
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(dir.path())
        .env("CANDLE_NUM_THREADS", "1")
        .spawn()
        .expect("start fare-lens judge");
    let started = Instant::now();
    while judged(&dir).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_mins(5),
            "no second judgment in 5 minutes"
        );
        if child.try_wait().expect("poll").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let after_kill = judged(&dir).len();
    assert!((2..=3).contains(&after_kill), "{after_kill}");

    // The same command again: the run is continued, nothing is judged twice.
    let last = dir.json(&[args.as_slice(), &["--json"]].concat());
    assert_eq!(last["run_id"].as_i64(), Some(1), "{last}");
    assert_eq!(last["resumed"].as_bool(), Some(true));
    assert_eq!(
        last["judged"].as_i64(),
        Some(3 - i64::try_from(after_kill).expect("small"))
    );
    assert_eq!(
        last["skipped"].as_i64(),
        Some(i64::try_from(after_kill).expect("small"))
    );
    let all = judged(&dir);
    assert_eq!(
        all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["t-0", "t-1", "t-2"]
    );
    for (_, state) in &all {
        assert!(
            ["parsed", "unparseable", "truncated"].contains(&state.as_str()),
            "{state}"
        );
    }
    // A finished run judged again has nothing left to do; --new-run starts afresh.
    let again = dir.json(&[args.as_slice(), &["--json"]].concat());
    assert_eq!(
        (again["judged"].as_i64(), again["skipped"].as_i64()),
        (Some(0), Some(3))
    );
    let fresh = dir.json(&[args.as_slice(), &["--new-run", "--limit", "1", "--json"]].concat());
    assert_eq!(
        (fresh["run_id"].as_i64(), fresh["judged"].as_i64()),
        (Some(2), Some(1))
    );
    // Another reasoning effort is another run (the default, medium, was the runs' so far).
    let high = dir.json(
        &[
            args.as_slice(),
            &["--reasoning-effort", "high", "--limit", "1", "--json"],
        ]
        .concat(),
    );
    assert_eq!(
        (high["run_id"].as_i64(), high["resumed"].as_bool()),
        (Some(3), Some(false))
    );
    let medium = dir.json(
        &[
            args.as_slice(),
            &["--reasoning-effort", "medium", "--limit", "1", "--json"],
        ]
        .concat(),
    );
    assert_eq!(medium["run_id"].as_i64(), Some(2), "medium continues run 2");
    // A usage error: refused by the argument parser (exit status 2) before anything runs.
    let refused = dir.run(&[args.as_slice(), &["--reasoning-effort", "max"]].concat());
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused.stderr.contains("`max` is not a reasoning effort"),
        "{refused:?}"
    );
}
