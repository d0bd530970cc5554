// Sample details for tests, shaped exactly as the generated types say.
import type { JudgmentView } from "../api/generated/JudgmentView";
import type { LabelView } from "../api/generated/LabelView";
import type { PairSample, SampleOf, StepSample } from "../samples";
import type { WorkerView } from "../api/generated/WorkerView";

export function label(change: Partial<LabelView> = {}): LabelView {
  return {
    annotator: "ann",
    decision: "unreviewed",
    verdict: null,
    wrong_reason: false,
    tags: [],
    note: null,
    can_undo: false,
    can_redo: false,
    updated_at: "",
    ...change,
  };
}

export function judgment(change: Partial<JudgmentView> = {}): JudgmentView {
  return {
    id: 1,
    run_id: 1,
    model: "FARE-8B",
    swapped: false,
    attempt: 0,
    raw_output: "Explanation: x\nVerdict: 2",
    critique: "x",
    analysis: null,
    state: "parsed",
    reason: null,
    verdict: "2",
    agrees_with_gold: false,
    verdict_probs: null,
    verdict_probs_forced: false,
    output_tokens: 10,
    latency_ms: 100,
    ...change,
  };
}

/** What every sample view has, whatever its task. */
type Common = Omit<StepSample, "task" | "steps">;

function common(): Common {
  return {
    id: 7,
    dataset: "processbench-gsm8k",
    external_id: "gsm8k-7",
    source: null,
    question: "What is $1+1$?",
    gold: null,
    admissible: [],
    shown_run: 1,
    judgments: [judgment()],
    votes: [],
    label: label(),
    other_labels: [],
  };
}

export function stepSample(change: Partial<StepSample> = {}, steps = 5): StepSample {
  return {
    ...common(),
    task: "step-level",
    steps: Array.from({ length: steps }, (_, i) => ({ index: i, text: `step ${i}`, gold_rating: null })),
    gold: "3",
    admissible: ["-1", ...Array.from({ length: steps }, (_, i) => String(i))],
    shown_run: 1,
    judgments: [judgment()],
    votes: [],
    label: label(),
    other_labels: [],
    ...change,
  };
}

export function pairSample(change: Partial<PairSample> = {}): PairSample {
  return {
    ...common(),
    task: "pairwise",
    response_a: "A says 4",
    response_b: "B says 5",
    gold: "A",
    admissible: ["A", "B"],
    judgments: [judgment({ id: 1, verdict: "A", agrees_with_gold: true }), judgment({ id: 2, swapped: true, verdict: "B", agrees_with_gold: false })],
    ...change,
  };
}

/** A sample of one response to verify against a reference (reference-based). */
export function responseSample(change: Partial<SampleOf<"reference-based">> = {}): SampleOf<"reference-based"> {
  return {
    ...common(),
    task: "reference-based",
    response: "it is $4$",
    reference: "**4**",
    gold: "correct",
    admissible: ["correct", "incorrect"],
    judgments: [judgment({ verdict: "correct" })],
    ...change,
  };
}

export function worker(change: Partial<WorkerView> = {}): WorkerView {
  return {
    state: "ready",
    model: "smol.gguf",
    location: "/models/smol.gguf",
    kind: "local",
    device: "cpu",
    dtype: "Q4_1",
    url: "http://127.0.0.1:4000/v1",
    pid: 42,
    seconds: 3,
    error: null,
    log: [],
    ...change,
  };
}
