//! Verdict probabilities by teacher forcing, against a plain computation that is obviously
//! correct: clear the cache, feed context and candidate one token at a time from position 0, and
//! add up the log-softmax of each candidate token. The trie walk, the clones of model state and
//! the kept prompt state must give the same numbers, for every weight kind: the tiny random
//! Qwen3 from safetensors and converted to GGUF, and the real SmolLM2 GGUF (Llama), which also
//! judges real FARE prompts through `Evaluator::judge`.
//!
//! Without the fetched SmolLM2 its tests say so and stop; under CI that is a failure.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use fare_core::sample::Content;
use fare_core::{
    PromptMode, ResponseOrder, Sample, Task, Template, Verdict, VerdictProbs, VerdictRules,
};
use fare_engine::chat::RenderOptions;
use fare_engine::evaluator::Evaluator;
use fare_engine::generate::SamplingParams;
use fare_engine::model::Model;
use fare_engine::prompt::{ModelInput, model_input};
use fare_engine::score::{
    ScoringInput, admissible_verdicts, score_verdicts, verdict_prefix, written_form,
};

fn tiny_qwen3() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3-tiny")
}

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

fn log_softmax(logits: &[f32], token: u32) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits
        .iter()
        .map(|&x| (f64::from(x) - f64::from(max)).exp())
        .sum();
    f64::from(logits[token as usize]) - f64::from(max) - sum.ln()
}

/// log P(candidate | context), one token at a time from an empty cache; with `not_followed_by`,
/// times the probability that the next token is none of those.
fn plain_log_prob(
    model: &mut Model,
    context: &[&[u32]],
    candidate: &[u32],
    not_followed_by: Option<&[u32]>,
) -> f64 {
    model.clear_cache();
    let mut logits = Vec::new();
    let mut position = 0;
    for chunk in context {
        logits = model.forward(chunk, position).unwrap();
        position += chunk.len();
    }
    let mut total = 0.0;
    for (i, &token) in candidate.iter().enumerate() {
        total += log_softmax(&logits, token);
        logits = model.forward(&[token], position + i).unwrap();
    }
    if let Some(tokens) = not_followed_by {
        let goes_on: f64 = tokens.iter().map(|&t| log_softmax(&logits, t).exp()).sum();
        total += (1.0 - goes_on).ln();
    }
    total
}

/// The plain scores of `candidates` with `score_continuations`' rule for a candidate that is a
/// proper prefix of another; the context is fed in the chunks given (a quantised model's
/// logits depend on them: its activations are rounded to 8 bits, so the last-bit differences
/// between a chunked pass and token-by-token passes can flip a rounding and grow through the
/// layers: 0.03 in log-probability on SmolLM2's Q4_1).
fn plain_scores(
    model: &mut Model,
    context: &[&[u32]],
    candidates: &[Vec<u32>],
    continuing: &[u32],
) -> Vec<f64> {
    candidates
        .iter()
        .map(|c| {
            let is_prefix = candidates
                .iter()
                .any(|o| o.len() > c.len() && o.starts_with(c));
            let not_followed_by = (is_prefix && !continuing.is_empty()).then_some(continuing);
            plain_log_prob(model, context, c, not_followed_by)
        })
        .collect()
}

fn assert_close(got: &[f64], expected: &[f64], what: &str) {
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!(
            (g - e).abs() < 1e-4,
            "{what}, candidate {i}: scored {g}, plain {e}"
        );
    }
}

/// Candidates with shared first tokens, one a prefix of others, a duplicate and an empty one.
fn tricky_candidates() -> Vec<Vec<u32>> {
    vec![
        vec![7],
        vec![7, 8],
        vec![7, 9, 10],
        vec![7, 9, 11],
        vec![8],
        vec![8, 3, 3],
        vec![7, 8],
        vec![],
        vec![200, 201, 202, 203],
    ]
}

/// The trie walk against the plain computation, from a fresh cache and from a kept prompt
/// state after some generation-like single-token passes.
fn check_model(model: &mut Model, what: &str) {
    let context = [1u32, 17, 42, 99, 5, 300, 12, 64];
    let candidates = tricky_candidates();
    for continuing in [&[][..], &[8, 9, 100][..]] {
        let scored = model
            .score_continuations(&context, &candidates, continuing)
            .unwrap();
        let plain = plain_scores(model, &[&context], &candidates, continuing);
        assert_close(&scored, &plain, &format!("{what}, fresh, {continuing:?}"));
        assert!(
            (scored[1] - scored[6]).abs() < 1e-12 && scored[7] <= 0.0,
            "{what}: duplicates agree, the empty candidate is at most certain"
        );

        // As after a generation: the prompt once, then single tokens past the scored context.
        // The model keeps its own sequence: scoring starts from the prefix it shares.
        model.clear_cache();
        model.forward(&context[..5], 0).unwrap();
        for (position, &token) in [33u32, 34, 35].iter().enumerate() {
            model.forward(&[token], 5 + position).unwrap();
        }
        let kept = model
            .score_continuations(&context, &candidates, continuing)
            .unwrap();
        assert_close(
            &kept,
            &plain,
            &format!("{what}, kept prompt, {continuing:?}"),
        );
        // The kept state was used up; the prompt alone as the context also works.
        model.clear_cache();
        model.forward(&context, 0).unwrap();
        let whole = model
            .score_continuations(&context, &candidates, continuing)
            .unwrap();
        assert_close(&whole, &plain, &format!("{what}, context = prompt"));
    }
    assert!(
        model.score_continuations(&[], &candidates, &[]).is_err(),
        "an empty context is refused"
    );
    assert!(
        model
            .score_continuations(&context, &[vec![100_000_000]], &[])
            .is_err(),
        "a token outside the vocabulary is refused"
    );
}

#[test]
fn scoring_equals_the_plain_computation_on_qwen3_safetensors() {
    let mut model = Model::load(&tiny_qwen3(), &Device::Cpu, DType::F32).unwrap();
    check_model(&mut model, "qwen3 safetensors");
}

#[test]
fn scoring_equals_the_plain_computation_on_qwen3_gguf() {
    use candle_core::quantized::GgmlDType;
    let dir = tempfile::tempdir().unwrap();
    for quant in [GgmlDType::F32, GgmlDType::Q8_0] {
        let out = dir.path().join(format!("{quant:?}.gguf"));
        fare_engine::convert::qwen3_to_gguf(&tiny_qwen3(), &out, quant).unwrap();
        let mut model = Model::load(&out, &Device::Cpu, DType::F32).unwrap();
        check_model(&mut model, &format!("qwen3 GGUF {quant:?}"));
    }
}

fn step_sample(steps: &[&str]) -> Sample {
    Sample {
        external_id: "s".into(),
        source: None,
        question: "What is 3 + 4?".into(),
        content: Content::StepLevel {
            steps: steps.iter().map(|s| (*s).to_owned()).collect(),
        },
        gold: None,
        metadata: serde_json::Map::new(),
    }
}

fn pair_sample() -> Sample {
    Sample {
        external_id: "p".into(),
        source: None,
        question: "What is 3 + 4?".into(),
        content: Content::Pairwise {
            response_a: "7".into(),
            response_b: "8".into(),
        },
        gold: None,
        metadata: serde_json::Map::new(),
    }
}

fn prompt_of(sample: &Sample, task: Task) -> fare_core::Prompt {
    Template::builtin_for(task)
        .unwrap()
        .render(sample, PromptMode::Critique, ResponseOrder::Original)
        .unwrap()
}

fn prompt_input(evaluator: &Evaluator, prompt: &fare_core::Prompt) -> ModelInput {
    model_input(
        prompt,
        &evaluator.template,
        &evaluator.tokenizer,
        &RenderOptions {
            add_generation_prompt: true,
            enable_thinking: Some(false),
            reasoning_effort: None,
            now: None,
        },
    )
    .unwrap()
}

/// The distribution `score_verdicts` should give, computed plainly: the whole context fed from
/// an empty cache for every candidate, then the candidate one token at a time.
fn plain_verdict_probs(
    evaluator: &mut Evaluator,
    input: &ModelInput,
    output: &str,
    rules: &VerdictRules,
) -> VerdictProbs {
    let scoring = ScoringInput::new(&evaluator.tokenizer, input, output, rules)
        .unwrap()
        .unwrap();
    let (prefix, _) = verdict_prefix(output);
    assert!(
        scoring.context.starts_with(&input.ids),
        "the prompt's own ids start the context"
    );
    // The context after the prompt and each candidate make exactly the scored text.
    for (v, c) in scoring.verdicts.iter().zip(&scoring.candidates) {
        let tail = [&scoring.context[input.ids.len()..], &c[..]].concat();
        assert_eq!(
            evaluator.tokenizer.decode(&tail).unwrap(),
            format!("{prefix}{}", written_form(*v))
        );
    }
    let (context, candidates, continuing) =
        (&scoring.context, &scoring.candidates, &scoring.continuing);
    // A whole-context pass from an empty cache, then the candidate token by token (the prompt is
    // a few hundred tokens: one token at a time from position 0 would be slow here).
    let log_probs: Vec<f64> = candidates
        .iter()
        .map(|c| {
            let is_prefix = candidates
                .iter()
                .any(|o| o.len() > c.len() && o.starts_with(c));
            let model = &mut evaluator.model;
            model.clear_cache();
            let mut logits = model.forward(context, 0).unwrap();
            let mut total = 0.0;
            for (i, &token) in c.iter().enumerate() {
                total += log_softmax(&logits, token);
                logits = model.forward(&[token], context.len() + i).unwrap();
            }
            if is_prefix {
                let goes_on: f64 = continuing
                    .iter()
                    .map(|&t| log_softmax(&logits, t).exp())
                    .sum();
                total += (1.0 - goes_on).ln();
            }
            total
        })
        .collect();
    VerdictProbs::from_log_probs(scoring.verdicts.into_iter().zip(log_probs).collect()).unwrap()
}

fn assert_same_distribution(got: &VerdictProbs, expected: &VerdictProbs, rules: &VerdictRules) {
    let verdicts: Vec<Verdict> = got.probs.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        verdicts,
        admissible_verdicts(rules),
        "exactly the admissible verdicts"
    );
    let total: f64 = got.probs.iter().map(|(_, p)| p).sum();
    assert!((total - 1.0).abs() < 1e-9, "sums to {total}");
    assert!(
        got.mass > 0.0 && got.mass <= 1.0 + 1e-9,
        "mass {}",
        got.mass
    );
    for ((v, p), (_, q)) in got.probs.iter().zip(&expected.probs) {
        assert!((p - q).abs() < 1e-4, "{v}: scored {p}, plain {q}");
    }
    assert!(
        (got.mass.ln() - expected.mass.ln()).abs() < 1e-4,
        "mass {} vs plain {}",
        got.mass,
        expected.mass
    );
}

fn load_smollm2(path: &Path) -> Evaluator {
    Evaluator::load(path, &Device::Cpu, DType::F32).unwrap()
}

#[test]
fn scoring_equals_the_plain_computation_on_smollm2() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = load_smollm2(&path);
    let context = evaluator
        .tokenizer
        .encode("Explanation: step 1 adds instead of multiplying.\nVerdict:")
        .unwrap();
    let candidates: Vec<Vec<u32>> = ["-1", "1", "10", "11", "[A]"]
        .iter()
        .map(|t| evaluator.tokenizer.encode(&format!(" {t}")).unwrap())
        .collect();
    let continuing = evaluator.tokenizer.digit_led_tokens();
    assert!(continuing.len() >= 10, "at least the ten digits");
    let scored = evaluator
        .model
        .score_continuations(&context, &candidates, &continuing)
        .unwrap();
    let plain = plain_scores(&mut evaluator.model, &[&context], &candidates, &continuing);
    assert_close(&scored, &plain, "smollm2");
    // As after a generation: the kept prompt, then single tokens past the scored context.
    // The model keeps its own sequence: scoring starts from the prefix it shares, and feeds
    // the rest of the context in one pass.
    evaluator.model.clear_cache();
    evaluator.model.forward(&context[..4], 0).unwrap();
    evaluator.model.forward(&[context[4]], 4).unwrap();
    let kept = evaluator
        .model
        .score_continuations(&context, &candidates, &continuing)
        .unwrap();
    let plain = plain_scores(
        &mut evaluator.model,
        &[&context[..4], &context[4..5], &context[5..]],
        &candidates,
        &continuing,
    );
    assert_close(&kept, &plain, "smollm2, kept prompt");
}

#[test]
fn judging_on_smollm2_gives_the_plain_verdict_distribution() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = load_smollm2(&path);
    assert!(evaluator.score_verdicts, "on by default");
    let params = SamplingParams {
        max_new_tokens: 4,
        ..SamplingParams::default()
    };
    let cases = [
        (
            prompt_of(&step_sample(&["3 + 4 = 8."]), Task::StepLevel),
            VerdictRules::new(Task::StepLevel, 1),
        ),
        (
            prompt_of(&pair_sample(), Task::Pairwise),
            VerdictRules::new(Task::Pairwise, 0),
        ),
    ];
    for (prompt, rules) in cases {
        let out = evaluator
            .judge(&prompt, &rules, &params, &mut |_| ControlFlow::Continue(()))
            .unwrap()
            .unwrap();
        let probs = out.verdict_probs.clone().expect("scored");
        assert_eq!(
            out.verdict_probs_forced,
            verdict_prefix(&out.judgment.raw_output).1
        );
        // The plain computation passes the whole FARE prompt once per verdict: only for
        // pairwise here, to keep the test short (step-level is checked on a short prompt).
        let plain = if rules.task == Task::Pairwise {
            let input = prompt_input(&evaluator, &prompt);
            plain_verdict_probs(&mut evaluator, &input, &out.judgment.raw_output, &rules)
        } else {
            probs.clone()
        };
        assert_same_distribution(&probs, &plain, &rules);
    }

    // Asked not to, it does not score.
    evaluator.score_verdicts = false;
    let out = evaluator
        .judge(
            &short_prompt(),
            &VerdictRules::new(Task::Pairwise, 0),
            &SamplingParams {
                max_new_tokens: 1,
                ..SamplingParams::default()
            },
            &mut |_| ControlFlow::Continue(()),
        )
        .unwrap()
        .unwrap();
    assert!(out.verdict_probs.is_none());
}

/// A prompt of a few tokens, where the FARE protocol is not the point.
fn short_prompt() -> fare_core::Prompt {
    fare_core::Prompt {
        system: "Judge the solution.".into(),
        user: "3 + 4 = 8. Which step is wrong?".into(),
    }
}

/// An output with a verdict line is scored at its value; one without gets `Verdict:` forced
/// after it, and says so.
#[test]
fn forced_and_written_verdict_lines_on_smollm2() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = load_smollm2(&path);
    let prompt = short_prompt();
    let rules = VerdictRules::new(Task::StepLevel, 3);
    let input = prompt_input(&evaluator, &prompt);
    for (output, forced) in [
        ("Explanation: step 0 says 3 + 4 = 8, which", true),
        ("Explanation: step 0 is wrong.\n**Verdict:** [0]", false),
    ] {
        let scored = score_verdicts(
            &mut evaluator.model,
            &evaluator.tokenizer,
            &input,
            output,
            &rules,
        )
        .unwrap()
        .unwrap();
        assert_eq!(scored.forced, forced, "{output:?}");
        let plain = plain_verdict_probs(&mut evaluator, &input, output, &rules);
        assert_same_distribution(&scored.probs, &plain, &rules);
    }
    assert!(
        score_verdicts(
            &mut evaluator.model,
            &evaluator.tokenizer,
            &input,
            "Verdict: 7",
            &VerdictRules::new(Task::Rating, 0),
        )
        .unwrap()
        .is_none(),
        "ratings are not scored"
    );
}

/// What scoring costs next to generating (run by hand: `--ignored --nocapture`, in release).
#[test]
#[ignore = "a measurement, not a check"]
fn scoring_cost_on_smollm2() {
    let Some(path) = smollm2() else { return };
    let mut evaluator = load_smollm2(&path);
    let steps: Vec<String> = (0..20).map(|i| format!("Step {i}: x = {i}.")).collect();
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    let prompt = prompt_of(&step_sample(&steps), Task::StepLevel);
    let rules = VerdictRules::new(Task::StepLevel, steps.len());
    let params = SamplingParams {
        max_new_tokens: 64,
        ..SamplingParams::default()
    };
    for score in [false, true, false, true] {
        evaluator.score_verdicts = score;
        let out = evaluator
            .judge(&prompt, &rules, &params, &mut |_| ControlFlow::Continue(()))
            .unwrap()
            .unwrap();
        println!(
            "score_verdicts={score}: {} prompt + {} output tokens, {:.0} ms, {:.1} tokens/s, forced {}",
            out.prompt_tokens,
            out.output_tokens,
            out.elapsed.as_secs_f64() * 1000.0,
            out.tokens_per_second,
            out.verdict_probs_forced,
        );
    }
    let input = prompt_input(&evaluator, &prompt);
    let output = "Explanation: every step is fine.\nVerdict: -1";
    let started = std::time::Instant::now();
    score_verdicts(
        &mut evaluator.model,
        &evaluator.tokenizer,
        &input,
        output,
        &rules,
    )
    .unwrap();
    println!(
        "score_verdicts with no kept prompt ({} candidates): {:.0} ms",
        steps.len() + 1,
        started.elapsed().as_secs_f64() * 1000.0
    );
}
