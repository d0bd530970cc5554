// The model panel's pure logic: figures for people, load requests, and the polling state
// machine (how soon to ask again, what changed between two answers about a job).
import { describe, expect, it } from "vitest";
import type { ExpertWeights } from "./api/generated/ExpertWeights";
import type { JobView } from "./api/generated/JobView";
import type { MemoryEstimate } from "./api/generated/MemoryEstimate";
import type { ModelView } from "./api/generated/ModelView";
import type { WeightDtype } from "./api/generated/WeightDtype";
import {
  chosenOf,
  defaultDtype,
  estimateFor,
  expertFormats,
  formatBytes,
  formatDuration,
  formatRate,
  gpuFit,
  jobChange,
  jobDelay,
  jobMessage,
  loadRequest,
  loadTypes,
  progress,
  workerDelay,
} from "./models";
import { worker } from "./testing/fixtures";

function job(change: Partial<JobView> = {}): JobView {
  return {
    id: 1,
    state: "running",
    model: "smol",
    total: 10,
    done: 0,
    judged: 0,
    skipped: 0,
    failed: 0,
    current_sample: null,
    output: "",
    analysis: "",
    last_judged: null,
    run_id: null,
    tokens: 0,
    tokens_per_second: 0,
    elapsed_seconds: 0,
    eta_seconds: null,
    errors: [],
    error: null,
    ...change,
  };
}

function model(change: Partial<ModelView> = {}): ModelView {
  return {
    name: "FARE-8B",
    path: "/models/FARE-8B",
    format: "safetensors",
    architecture: "qwen3",
    dtype: "bfloat16",
    size_bytes: 16_400_000_000,
    usable: true,
    problem: null,
    memory: [
      { dtype: "f32", load_as: "f32", experts: null, weights_bytes: 32_800_000_000, cache_bytes: 1_200_000_000, total_bytes: 34_000_000_000 },
      { dtype: "bf16", load_as: "bf16", experts: null, weights_bytes: 16_400_000_000, cache_bytes: 600_000_000, total_bytes: 17_000_000_000 },
      { dtype: "f16", load_as: "f16", experts: null, weights_bytes: 16_400_000_000, cache_bytes: 600_000_000, total_bytes: 17_000_000_000 },
    ],
    ...change,
  };
}

describe("figures", () => {
  it("bytes in powers of 1000, three figures at most", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(950_000)).toBe("950 kB");
    expect(formatBytes(398_566_656)).toBe("399 MB");
    expect(formatBytes(17_200_000_000)).toBe("17 GB");
    expect(formatBytes(1_234_000_000)).toBe("1.2 GB");
  });

  it("durations: seconds, minutes, hours; unknown is a dash", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(Number.NaN)).toBe("—");
    expect(formatDuration(0.4)).toBe("under a second");
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(7620)).toBe("2 h 07 min");
  });

  it("speeds: a dash before the first token", () => {
    expect(formatRate(0)).toBe("—");
    expect(formatRate(12.345)).toBe("12.3 tokens/s");
    expect(formatRate(250.4)).toBe("250 tokens/s");
  });

  it("progress is the share of samples done", () => {
    expect(progress(job({ done: 3, total: 4 }))).toBe(0.75);
    expect(progress(job({ done: 0, total: 0 }))).toBe(0);
  });
});

describe("loading", () => {
  it("a safetensors model loads as f32 on the CPU and bf16 on a GPU, with that estimate", () => {
    const m = model();
    expect(defaultDtype(m, "cpu")).toBe("f32");
    expect(defaultDtype(m, "cuda")).toBe("bf16");
    expect(estimateFor(m, "bf16")?.total_bytes).toBe(17_000_000_000);
    expect(loadRequest(m, "cuda", "bf16")).toEqual({ kind: "local", path: "/models/FARE-8B", device: "cuda", dtype: "bf16" });
  });

  it("a GGUF file keeps its own type: none is sent", () => {
    const m = model({
      format: "gguf",
      path: "/models/smol.gguf",
      memory: [{ dtype: "Q4_1", load_as: null, experts: null, weights_bytes: 1, cache_bytes: 1, total_bytes: 2 }],
    });
    expect(defaultDtype(m, "cpu")).toBeNull();
    expect(estimateFor(m, null)?.dtype).toBe("Q4_1");
    expect(loadRequest(m, "cuda:1", null)).toEqual({ kind: "local", path: "/models/smol.gguf", device: "cuda:1" });
  });
});

describe("choices from a form control", () => {
  it("a select's text is one of the choices or none", () => {
    const types: WeightDtype[] = ["f32", "bf16"];
    expect(chosenOf(types, "bf16")).toBe("bf16");
    expect(chosenOf(types, "f16")).toBeUndefined();
  });
});

describe("the GPU's free memory", () => {
  const gpu = { free_bytes: 9_100_000_000, total_bytes: 80_000_000_000 };
  it("a model on a CUDA device is set against the free memory, and one too large says so with both sizes", () => {
    const m = model();
    expect(gpuFit(estimateFor(m, "bf16"), "cuda", gpu)).toEqual({
      fits: false,
      text: "Does not fit on the GPU: it needs about 17 GB, the GPU has 9.1 GB free of 80 GB. Choose a smaller type or expert format, or the CPU.",
    });
    expect(gpuFit(estimateFor(m, "bf16"), "cuda", { ...gpu, free_bytes: 70_000_000_000 })).toEqual({
      fits: true,
      text: "Fits on the GPU: 70 GB free of 80 GB.",
    });
  });
  it("says nothing on the CPU or when the GPU's memory is unknown", () => {
    const m = model();
    expect(gpuFit(estimateFor(m, "f32"), "cpu", gpu)).toBeNull();
    expect(gpuFit(estimateFor(m, "bf16"), "cuda", null)).toBeNull();
  });
});

describe("loading gpt-oss", () => {
  const estimate = (dtype: WeightDtype, experts: ExpertWeights, gb: number): MemoryEstimate => ({
    dtype,
    load_as: dtype,
    experts,
    weights_bytes: gb * 1e9,
    cache_bytes: 0,
    total_bytes: gb * 1e9,
  });
  const oss = model({
    name: "FARE-20B",
    path: "/models/FARE-20B",
    architecture: "gpt_oss",
    dtype: "bfloat16, experts mxfp4",
    memory: [
      estimate("f32", "dequantized", 84),
      estimate("f32", "q8_0", 28),
      estimate("f32", "q4_0", 18),
      estimate("bf16", "dequantized", 42),
      estimate("bf16", "q8_0", 24),
      estimate("bf16", "q4_0", 14),
    ],
  });

  it("offers each type once and each expert format, with its own estimate", () => {
    expect(loadTypes(oss)).toEqual(["f32", "bf16"]);
    expect(expertFormats(oss)).toEqual(["dequantized", "q8_0", "q4_0"]);
    expect(estimateFor(oss, "bf16", "q4_0")?.total_bytes).toBe(14e9);
    expect(estimateFor(oss, "bf16")?.total_bytes).toBe(42e9);
    expect(loadRequest(oss, "cuda", "bf16", "q8_0")).toEqual({
      kind: "local",
      path: "/models/FARE-20B",
      device: "cuda",
      dtype: "bf16",
      experts: "q8_0",
    });
  });

  it("a model without experts offers none and sends none", () => {
    const m = model();
    expect(expertFormats(m)).toEqual([]);
    expect(loadTypes(m)).toEqual(["f32", "bf16", "f16"]);
    expect(loadRequest(m, "cpu", "f32", "q8_0")).toEqual({ kind: "local", path: "/models/FARE-8B", device: "cpu", dtype: "f32" });
  });
});

describe("polling", () => {
  it("asks about the worker only while it loads", () => {
    expect(workerDelay(worker({ state: "loading" }))).toBe(500);
    for (const state of ["ready", "failed", "unloaded"] as const) expect(workerDelay(worker({ state }))).toBeNull();
    expect(workerDelay(null)).toBeNull();
  });

  it("asks about a job while it runs or cancels, never once it ended", () => {
    expect(jobDelay(job())).toBe(300);
    expect(jobDelay(job({ state: "cancelling" }))).toBe(300);
    for (const state of ["finished", "cancelled", "failed"] as const) expect(jobDelay(job({ state }))).toBeNull();
  });

  it("a sample is judged when the job moves on from it", () => {
    const before = job({ current_sample: 7, done: 0 });
    expect(jobChange(before, job({ current_sample: 7, done: 0, output: "Expl" })).judged).toEqual([]);
    expect(jobChange(before, job({ current_sample: 9, done: 1, last_judged: 7 })).judged).toEqual([7]);
  });

  it("samples judged between two answers are named by the last one judged", () => {
    const change = jobChange(job({ current_sample: 3, done: 0 }), job({ current_sample: 12, done: 5, last_judged: 11 }));
    expect(change.judged.sort((a, b) => a - b)).toEqual([3, 11]);
  });

  it("a sample cancelled in the middle was not judged", () => {
    const change = jobChange(job({ current_sample: 7, done: 2 }), job({ state: "cancelled", current_sample: null, done: 2, last_judged: 5 }));
    expect(change.judged).toEqual([5]);
    expect(change.ended).toBe(true);
  });

  it("a job ends once, with a message saying how", () => {
    const running = job({ current_sample: 4, done: 1, judged: 1 });
    const finished = job({ state: "finished", done: 2, judged: 1, skipped: 1, run_id: 7, current_sample: null, last_judged: 4 });
    const change = jobChange(running, finished);
    expect(change).toEqual({ judged: [4], ended: true, message: "Job 1 finished: 1 judged, 1 already judged in run 7." });
    expect(jobChange(finished, finished).ended).toBe(false);
    // The first answer about a job that already ended (after a reload) says nothing.
    expect(jobChange(null, finished).ended).toBe(false);
  });

  it("a failed job says why", () => {
    expect(jobMessage(job({ state: "failed", error: "the model worker stopped while the model was loaded (signal: 9 (SIGKILL))" }))).toBe(
      "Job 1 failed: the model worker stopped while the model was loaded (signal: 9 (SIGKILL))",
    );
    expect(jobMessage(job({ state: "cancelled", done: 3, total: 10, judged: 3, run_id: 2 }))).toBe("Job 1 cancelled after 3 of 10 samples: 3 judged in run 2.");
  });
});
