//! Several annotators from the command line: each labels a copy of one project, `merge`
//! combines the copies (every event once, never over an existing file), `agreement` reports
//! kappa and alpha with what they are over, and `export --final-label` picks whose verdict a
//! retraining set is built from.

use serde_json::{Value, json};

use crate::support::{Dir, PROCESSBENCH_GSM8K};

fn annotate(dir: &Dir, project: &str, sample: &str, verdict: &str, who: &str) {
    dir.json(&[
        "annotate",
        project,
        sample,
        "--verdict",
        verdict,
        "--annotator",
        who,
        "--json",
    ]);
}

#[test]
fn copies_are_merged_and_agreement_and_the_final_label_follow() {
    let dir = Dir::new();
    dir.write("gsm8k.json", PROCESSBENCH_GSM8K);
    dir.import("base.sqlite", &["gsm8k.json"]);
    for name in ["ana.sqlite", "ben.sqlite"] {
        std::fs::copy(dir.path().join("base.sqlite"), dir.path().join(name)).unwrap();
    }
    // gsm8k-0: both say -1; gsm8k-1: ana 1, ben 0; gsm8k-2: ana 0 only.
    annotate(&dir, "ana.sqlite", "gsm8k-0", "-1", "ana");
    annotate(&dir, "ana.sqlite", "gsm8k-1", "1", "ana");
    annotate(&dir, "ana.sqlite", "gsm8k-2", "0", "ana");
    annotate(&dir, "ben.sqlite", "gsm8k-0", "-1", "ben");
    annotate(&dir, "ben.sqlite", "gsm8k-1", "0", "ben");

    let merged = dir.json(&["merge", "m.sqlite", "ana.sqlite", "ben.sqlite", "--json"]);
    assert_eq!(merged["annotators"], json!(["ana", "ben"]));
    assert_eq!(merged["inputs"][1]["events"], json!(2), "{merged}");
    // Never over an existing file; a file merged with its copy adds nothing.
    let refused = dir
        .run(&["merge", "m.sqlite", "ana.sqlite", "ben.sqlite"])
        .fails();
    assert!(refused.stderr.contains("already exists"), "{refused:?}");
    let again = dir.json(&[
        "merge",
        "m2.sqlite",
        "m.sqlite",
        "ana.sqlite",
        "ben.sqlite",
        "--json",
    ]);
    assert_eq!(again["inputs"][1]["events"], json!(0));
    assert_eq!(again["inputs"][2]["duplicate_events"], json!(2));

    // Agreement over the two samples both labelled: agreement 1/2; ana -1, 1 and ben -1, 0:
    // chance (1*1)/4 = 1/4; kappa = (1/2 - 1/4) / (3/4) = 1/3.
    let report: Value = dir.json(&["agreement", "m.sqlite", "--json"]);
    let group = &report["groups"][0];
    assert_eq!(group["task"], "step-level");
    assert_eq!(group["agreement"]["labelled"], json!(3));
    assert_eq!(group["agreement"]["compared"], json!(2));
    let kappa = group["agreement"]["pairs"][0]["kappa"].as_f64().unwrap();
    assert!((kappa - 1.0 / 3.0).abs() < 1e-12, "{kappa}");
    assert_eq!(report["disagreements"], json!(1));
    let text = dir.run(&["agreement", "m.sqlite"]).ok().stdout;
    assert!(
        text.contains("kappa ana / ben: 0.333 over 2 samples (1 agreed)"),
        "{text}"
    );

    // Final labels: adjudicated (nobody adjudicated gsm8k-1: it has none), ana's, majority.
    let export = |choice: &str, out: &str| {
        dir.json(&[
            "export",
            "m.sqlite",
            "--format",
            "sft-jsonl",
            "-o",
            out,
            "--final-label",
            choice,
            "--json",
        ])
    };
    let s = export("adjudicated", "a.jsonl");
    assert_eq!(s["rows"], json!(2), "{s}");
    assert_eq!(
        s["unresolved"]["annotators disagree and nobody adjudicated"],
        json!(1)
    );
    assert_eq!(export("annotator:ana", "ana.jsonl")["rows"], json!(3));
    assert_eq!(
        export("majority", "maj.jsonl")["unresolved"]["a tie between annotators"],
        json!(1)
    );
    let bad = dir
        .run(&[
            "export",
            "m.sqlite",
            "--format",
            "sft-jsonl",
            "-o",
            "x.jsonl",
            "--final-label",
            "latest",
        ])
        .fails();
    assert!(bad.stderr.contains("--final-label"), "{bad:?}");
}
