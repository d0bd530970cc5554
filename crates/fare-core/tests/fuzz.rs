//! Fuzzing `read_output`, the parser every judgment goes through: text made of the pieces
//! verdicts and harmony channels are made of (`Verdict:`, brackets, digits, `<|channel|>`,
//! markdown, any Unicode), for every task, step count and rating scale, cut off or not. It may
//! read a verdict or say why not; it may not panic, and it keeps the raw output as it was.
//!
//! `FARE_LENS_FUZZ_CASES` sets the cases (64 by default, what CI runs).

use fare_core::{Finish, Task, VerdictRules, read_output};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FARE_LENS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Verdict:",
            "verdict",
            "VERDICT: ",
            "[",
            "]",
            "[[",
            "]]",
            "**",
            "\\boxed{",
            "}",
            "-1",
            "0",
            "7",
            "12",
            "A",
            "B",
            "correct",
            "incorrect",
            "Yes",
            "No",
            "Rating:",
            "/10",
            "\n",
            "\r\n",
            " ",
            "Explanation:",
            "<|channel|>",
            "final",
            "analysis",
            "<|message|>",
            "<|end|>",
            "<|return|>",
            "<|start|>",
            "assistant",
            "→",
            "é",
            "🙂",
            "\u{200b}",
            "$",
            "```",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ]
}

fn task() -> impl Strategy<Value = Task> {
    prop::sample::select(vec![
        Task::Pairwise,
        Task::StepLevel,
        Task::ReferenceFree,
        Task::ReferenceBased,
        Task::Rating,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_output_reads_without_panicking(
        pieces in prop::collection::vec(piece(), 0..40),
        task in task(),
        steps in 0usize..60,
        low in -5i32..5,
        span in 0i32..20,
        cut in any::<bool>(),
    ) {
        let raw: String = pieces.concat();
        let rules = VerdictRules { rating_scale: (low, low + span), ..VerdictRules::new(task, steps) };
        let finish = if cut { Finish::Length } else { Finish::Stopped };
        let judgment = read_output(&raw, &rules, finish);
        prop_assert_eq!(&judgment.raw_output, &raw);
    }
}
