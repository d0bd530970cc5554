//! Continuous batching against the one-sequence engine, on f32 weights: greedy (and seeded
//! sampled) decoding of different prompts in one batch picks exactly the tokens each picks
//! alone, on Qwen3 (safetensors, and the same weights as GGUF), gpt-oss (sliding windows,
//! sinks) and the real SmolLM2 GGUF; requests join mid-batch (more requests than the batch
//! holds, and late arrivals), one is cancelled half-way while the others go on, the cache
//! budget makes requests wait instead of failing, and verdict scoring on a kept sequence equals
//! scoring alone within 1e-4.

#![allow(
    clippy::unwrap_used,
    reason = "a failing fixture should stop the test where it failed"
)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use candle_core::{DType, Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use fare_engine::EngineError;
use fare_engine::batch::{BatchOptions, Batcher};
use fare_engine::generate::{Ending, SamplingParams};
use fare_engine::model::Model;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn smollm2() -> Option<PathBuf> {
    fare_testkit::smollm2()
}

fn load(path: &Path) -> Model {
    Model::load(path, &Device::Cpu, DType::F32).unwrap()
}

/// One request of a test: its prompt, stop tokens and parameters.
#[derive(Clone)]
struct Ask {
    prompt: Vec<u32>,
    stop: Vec<u32>,
    params: SamplingParams,
}

/// Prompts of different lengths with ids below `vocab`, greedy, with different token limits.
fn asks(vocab: u32) -> Vec<Ask> {
    [3usize, 17, 40, 9, 64, 25]
        .iter()
        .enumerate()
        .map(|(i, &len)| Ask {
            prompt: (0..len)
                .map(|j| u32::try_from(i * 31 + j * 7 + 1).unwrap() % vocab)
                .collect(),
            stop: Vec::new(),
            params: SamplingParams {
                max_new_tokens: 10 + 3 * i,
                ..SamplingParams::default()
            },
        })
        .collect()
}

/// What `ask` generates alone: the model's own one-sequence forward pass, sampled as the
/// engine's `generate` samples (greedy at temperature 0).
fn alone(model: &mut Model, ask: &Ask) -> (Vec<u32>, Ending) {
    let sampling = if ask.params.temperature <= 0.0 {
        Sampling::ArgMax
    } else {
        Sampling::All {
            temperature: ask.params.temperature,
        }
    };
    let mut sampler = LogitsProcessor::from_sampling(ask.params.seed, sampling);
    model.clear_cache();
    let mut logits = model.forward(&ask.prompt, 0).unwrap();
    let mut tokens = Vec::new();
    loop {
        if tokens.len() >= ask.params.max_new_tokens {
            return (tokens, Ending::Length);
        }
        let next = sampler
            .sample(&Tensor::new(logits.as_slice(), &Device::Cpu).unwrap())
            .unwrap();
        if ask.stop.contains(&next) {
            return (tokens, Ending::Stopped);
        }
        tokens.push(next);
        logits = model
            .forward(&[next], ask.prompt.len() + tokens.len() - 1)
            .unwrap();
    }
}

/// Gives one request a stop token: the fourth token it picks alone, so it stops there.
fn with_stop(model: &mut Model, mut asks: Vec<Ask>) -> Vec<Ask> {
    let (tokens, _) = alone(model, &asks[1]);
    asks[1].stop = vec![tokens[3]];
    asks
}

/// The cache still reserved once the scheduler has caught up (its statistics are published
/// after it has answered).
fn settled(batcher: &Batcher) -> u64 {
    for _ in 0..200 {
        let stats = batcher.stats();
        if stats.reserved_bytes == 0 && stats.running == 0 {
            return 0;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    batcher.stats().reserved_bytes
}

fn options(max_sequences: usize) -> BatchOptions {
    BatchOptions {
        max_sequences,
        cache_budget: u64::MAX,
        step_tokens: 32,
    }
}

/// Runs `asks` at once on `batcher`, the last `late` of them only after the first request
/// has three tokens.
fn run_batched(batcher: &Batcher, asks: &[Ask], late: usize) -> Vec<(Vec<u32>, Ending)> {
    let early = asks.len() - late;
    let (go, gate) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, ask) in asks.iter().enumerate().take(early) {
            let go = go.clone();
            handles.push(scope.spawn(move || {
                let mut seen = 0;
                let (generation, kept) = batcher
                    .generate_tokens(&ask.prompt, &ask.stop, &ask.params, false, &mut |_| {
                        seen += 1;
                        if i == 0 && seen == 3 {
                            let _ = go.send(());
                        }
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                assert!(kept.is_none());
                (generation.tokens, generation.ending)
            }));
        }
        drop(go);
        if late > 0 {
            gate.recv().unwrap();
        }
        for ask in &asks[early..] {
            handles.push(scope.spawn(move || {
                let (generation, _) = batcher
                    .generate_tokens(&ask.prompt, &ask.stop, &ask.params, false, &mut |_| {
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                (generation.tokens, generation.ending)
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The whole check on one model: alone, then batched (four at a time, two late), the
/// tokens equal.
fn check_same_tokens(path: &Path, what: &str, vocab: u32) {
    let mut model = load(path);
    let asks = with_stop(&mut model, asks(vocab));
    let expected: Vec<_> = asks.iter().map(|a| alone(&mut model, a)).collect();
    assert_eq!(
        expected[1].1,
        Ending::Stopped,
        "{what}: the stop token is used"
    );
    let batcher = Batcher::start(model, options(4)).unwrap();
    let got = run_batched(&batcher, &asks, 2);
    for (i, (got, expected)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(
            got, expected,
            "{what}: request {i} batched differs from alone"
        );
    }
    let stats = batcher.stats();
    assert!(
        stats.peak_running > 1 && stats.peak_running <= 4,
        "{what}: the batch held several sequences, at most 4: {stats:?}"
    );
    assert_eq!(settled(&batcher), 0, "{what}: every reservation returned");
}

#[test]
fn qwen3_batched_greedy_tokens_equal_alone() {
    check_same_tokens(&fixture("qwen3-tiny"), "qwen3 safetensors", 384);
}

#[test]
fn qwen3_gguf_batched_greedy_tokens_equal_alone() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("tiny.gguf");
    fare_engine::convert::qwen3_to_gguf(
        &fixture("qwen3-tiny"),
        &gguf,
        candle_core::quantized::GgmlDType::F32,
    )
    .unwrap();
    check_same_tokens(&gguf, "qwen3 gguf", 384);
}

#[test]
fn gpt_oss_batched_greedy_tokens_equal_alone() {
    // Sliding window 8: the prompts pass it, so the windowed layers' masks are in play.
    check_same_tokens(&fixture("gpt-oss-tiny/float"), "gpt-oss", 256);
}

#[test]
fn smollm2_batched_greedy_tokens_equal_alone() {
    let Some(path) = smollm2() else { return };
    check_same_tokens(&path, "smollm2", 49_152);
}

#[test]
fn sampled_requests_keep_their_own_seeds() {
    let mut model = load(&fixture("qwen3-tiny"));
    let asks: Vec<Ask> = asks(384)
        .into_iter()
        .enumerate()
        .map(|(i, mut a)| {
            a.params.temperature = 0.9;
            a.params.seed = 11 + i as u64;
            a
        })
        .collect();
    let expected: Vec<_> = asks.iter().map(|a| alone(&mut model, a)).collect();
    let batcher = Batcher::start(model, options(8)).unwrap();
    let got = run_batched(&batcher, &asks, 0);
    assert_eq!(got, expected);
}

#[test]
fn cancelling_one_request_leaves_the_others_running() {
    let mut model = load(&fixture("qwen3-tiny"));
    let mut asks = asks(384);
    for a in &mut asks {
        a.params.max_new_tokens = 30;
    }
    let expected: Vec<_> = asks.iter().map(|a| alone(&mut model, a)).collect();
    let batcher = Batcher::start(model, options(8)).unwrap();
    let got: Vec<(Vec<u32>, Ending)> = std::thread::scope(|scope| {
        let handles: Vec<_> = asks
            .iter()
            .enumerate()
            .map(|(i, ask)| {
                let batcher = &batcher;
                scope.spawn(move || {
                    let mut seen = 0;
                    let (generation, _) = batcher
                        .generate_tokens(&ask.prompt, &ask.stop, &ask.params, true, &mut |_| {
                            seen += 1;
                            if i == 2 && seen == 5 {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        })
                        .unwrap();
                    (generation.tokens, generation.ending)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, ((tokens, ending), (alone_tokens, alone_ending))) in
        got.iter().zip(&expected).enumerate()
    {
        if i == 2 {
            assert_eq!(*ending, Ending::Cancelled);
            assert_eq!(
                tokens[..],
                alone_tokens[..5],
                "what it had before cancelling"
            );
        } else {
            assert_eq!(
                (tokens, ending),
                (alone_tokens, alone_ending),
                "request {i}"
            );
        }
    }
    // The cancelled one's reservation is returned once the scheduler has seen it; the kept
    // ones' when their handles were dropped.
    assert_eq!(settled(&batcher), 0);
}

#[test]
fn a_full_cache_makes_requests_wait_and_a_too_large_one_is_refused() {
    let mut model = load(&fixture("qwen3-tiny"));
    let asks = asks(384);
    let expected: Vec<_> = asks.iter().map(|a| alone(&mut model, a)).collect();
    // Room for the two largest reservations at once, not three.
    let mut needs: Vec<u64> = asks
        .iter()
        .map(|a| model.cache_bytes(a.prompt.len() + a.params.max_new_tokens + 16))
        .collect();
    needs.sort_unstable();
    let budget = needs[needs.len() - 1] + needs[needs.len() - 2];
    let batcher = Batcher::start(
        model,
        BatchOptions {
            max_sequences: 8,
            cache_budget: budget,
            step_tokens: 32,
        },
    )
    .unwrap();
    let got = run_batched(&batcher, &asks, 0);
    assert_eq!(got, expected, "waiting changes nothing");
    let stats = batcher.stats();
    assert!(stats.peak_running >= 2, "{stats:?}");
    assert!(
        stats.peak_running < asks.len(),
        "the budget held some back: {stats:?}"
    );
    let huge = Ask {
        prompt: vec![1, 2, 3],
        stop: Vec::new(),
        params: SamplingParams {
            max_new_tokens: 1_000_000,
            ..SamplingParams::default()
        },
    };
    let refused = batcher.generate_tokens(&huge.prompt, &[], &huge.params, false, &mut |_| {
        ControlFlow::Continue(())
    });
    match refused {
        Err(EngineError::OutOfMemory(message)) => {
            assert!(message.contains("budget"), "{message}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|(g, _)| g)),
    }
    // The batcher still serves.
    assert_eq!(run_batched(&batcher, &asks[..1], 0), expected[..1]);
}

/// Candidates as verdicts are: shared first tokens, one a prefix of another.
fn candidates() -> Vec<Vec<u32>> {
    vec![vec![7], vec![7, 8], vec![9, 3, 3], vec![200]]
}

#[test]
fn verdict_scores_on_kept_sequences_equal_scoring_alone() {
    for (path, vocab) in [
        (fixture("qwen3-tiny"), 384),
        (fixture("gpt-oss-tiny/float"), 256),
    ] {
        let mut model = load(&path);
        let asks = asks(vocab);
        let continuing = [8u32, 9, 100];
        // The scored context: the prompt and the output but its last two tokens, plus one
        // more token (as a verdict line re-tokenised after the output).
        let contexts: Vec<Vec<u32>> = asks
            .iter()
            .map(|a| {
                let (tokens, _) = alone(&mut model, a);
                let mut context = a.prompt.clone();
                context.extend_from_slice(&tokens[..tokens.len() - 2]);
                context.push(5);
                context
            })
            .collect();
        let expected: Vec<Vec<f64>> = contexts
            .iter()
            .map(|c| {
                model.clear_cache();
                model
                    .score_continuations(c, &candidates(), &continuing)
                    .unwrap()
            })
            .collect();
        let batcher = Batcher::start(model, options(4)).unwrap();
        let got: Vec<Vec<f64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = asks
                .iter()
                .zip(&contexts)
                .map(|(ask, context)| {
                    let batcher = &batcher;
                    scope.spawn(move || {
                        let (_, kept) = batcher
                            .generate_tokens(&ask.prompt, &[], &ask.params, true, &mut |_| {
                                ControlFlow::Continue(())
                            })
                            .unwrap();
                        kept.unwrap()
                            .score_continuations(context, &candidates(), &continuing)
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, (got, expected)) in got.iter().zip(&expected).enumerate() {
            for (g, e) in got.iter().zip(expected) {
                assert!(
                    (g - e).abs() < 1e-4,
                    "{}: request {i}: batched {g}, alone {e}",
                    path.display()
                );
            }
        }
        assert_eq!(settled(&batcher), 0);
    }
}

#[test]
fn batched_judgments_equal_judging_alone_on_smollm2() {
    use fare_core::sample::Content;
    use fare_core::{PromptMode, ResponseOrder, Sample, Task, Template, VerdictRules};
    use fare_engine::evaluator::{BatchedEvaluator, Evaluator, Judge};

    let Some(path) = smollm2() else { return };
    let prompts: Vec<_> = [
        ("What is 3 + 4?", vec!["3 + 4 = 8.", "The answer is 8."]),
        (
            "How many legs do 3 cats have?",
            vec!["A cat has 4 legs.", "3 * 4 = 12.", "The answer is 12."],
        ),
    ]
    .into_iter()
    .map(|(question, steps)| {
        let sample = Sample {
            external_id: question.into(),
            source: None,
            question: question.into(),
            content: Content::StepLevel {
                steps: steps.iter().map(|s| (*s).to_owned()).collect(),
            },
            gold: None,
            metadata: serde_json::Map::new(),
        };
        let rules = VerdictRules::new(Task::StepLevel, steps.len());
        let prompt = Template::builtin_for(Task::StepLevel)
            .unwrap()
            .render(&sample, PromptMode::Critique, ResponseOrder::Original)
            .unwrap();
        (prompt, rules)
    })
    .collect();
    let params = SamplingParams {
        max_new_tokens: 12,
        ..SamplingParams::default()
    };
    let mut evaluator = Evaluator::load(&path, &Device::Cpu, DType::F32).unwrap();
    let expected: Vec<_> = prompts
        .iter()
        .map(|(prompt, rules)| {
            evaluator
                .judge(prompt, rules, &params, &mut |_| ControlFlow::Continue(()))
                .unwrap()
                .unwrap()
        })
        .collect();
    let batched = BatchedEvaluator::new(evaluator, options(8)).unwrap();
    assert_eq!(batched.parallelism(), 8);
    let got: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = prompts
            .iter()
            .map(|(prompt, rules)| {
                let mut judge = batched.fork().unwrap();
                let params = &params;
                scope.spawn(move || {
                    judge
                        .judge(prompt, rules, params, &mut |_| ControlFlow::Continue(()))
                        .unwrap()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (got, expected)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(got.judgment.raw_output, expected.judgment.raw_output, "{i}");
        assert_eq!(got.judgment.outcome, expected.judgment.outcome, "{i}");
        assert_eq!(got.output_tokens, expected.output_tokens);
        assert_eq!(got.verdict_probs_forced, expected.verdict_probs_forced);
        let (g, e) = (
            got.verdict_probs.as_ref().unwrap(),
            expected.verdict_probs.as_ref().unwrap(),
        );
        let g = serde_json::to_value(g).unwrap();
        let e = serde_json::to_value(e).unwrap();
        assert_close_json(&g, &e, &format!("judgment {i}"));
    }
}

/// Two JSON values equal but for numbers within 1e-4.
fn assert_close_json(got: &serde_json::Value, expected: &serde_json::Value, what: &str) {
    use serde_json::Value;
    match (got, expected) {
        (Value::Number(g), Value::Number(e)) => {
            let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
            assert!((g - e).abs() < 1e-4, "{what}: {g} against {e}");
        }
        (Value::Array(g), Value::Array(e)) => {
            assert_eq!(g.len(), e.len(), "{what}");
            for (g, e) in g.iter().zip(e) {
                assert_close_json(g, e, what);
            }
        }
        (Value::Object(g), Value::Object(e)) => {
            assert_eq!(g.len(), e.len(), "{what}");
            for (key, e) in e {
                assert_close_json(&g[key], e, &format!("{what}.{key}"));
            }
        }
        (g, e) => assert_eq!(g, e, "{what}"),
    }
}
