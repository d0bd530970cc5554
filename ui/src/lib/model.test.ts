// The model panel's state against a scripted transport: the worker is asked about while it
// loads, a job while it runs; the sample on screen is read again once judged, and the end of a
// job is told once and refreshes the run list.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient, type CommandName, type Transport } from "./api/client";
import type { JobRequest } from "./api/generated/JobRequest";
import type { JobView } from "./api/generated/JobView";
import type { WorkerView } from "./api/generated/WorkerView";
import { AppState } from "./app.svelte";
import { stepSample, worker } from "./testing/fixtures";

function job(change: Partial<JobView> = {}): JobView {
  return {
    id: 5,
    state: "running",
    model: "smol.gguf",
    total: 1,
    done: 0,
    judged: 0,
    skipped: 0,
    failed: 0,
    current_sample: null,
    output: "",
    analysis: "",
    last_judged: null,
    run_id: 3,
    tokens: 0,
    tokens_per_second: 0,
    elapsed_seconds: 0,
    eta_seconds: null,
    errors: [],
    error: null,
    ...change,
  };
}

/** A server whose answers the test scripts: queues of worker and job answers, calls recorded. */
function server() {
  const calls: { command: CommandName; args: unknown }[] = [];
  const workers: WorkerView[] = [];
  const jobs: JobView[] = [];
  let lastWorker: WorkerView = worker({ state: "unloaded", model: null, pid: null });
  let lastJob: JobView | null = null;
  const transport: Transport = {
    async call(command: CommandName, args: unknown) {
      calls.push({ command, args });
      switch (command) {
        case "worker":
        case "load_model":
          lastWorker = workers.shift() ?? lastWorker;
          return lastWorker;
        case "start_job":
        case "job":
        case "cancel_job":
          lastJob = jobs.shift() ?? lastJob;
          return lastJob;
        case "jobs":
          return lastJob ? [lastJob] : [];
        case "sample":
          return stepSample();
        case "overview":
          return { name: "p", annotator: "ann", samples: 1, datasets: [], runs: [], tags: [], sources: [] };
        case "samples":
          return { rows: [], next_after: null };
        case "counts":
          return { matching: 1, reviewed: 0 };
        default:
          return new Promise(() => {});
      }
    },
  };
  const app = new AppState(new ApiClient(transport));
  const count = (command: CommandName) => calls.filter((c) => c.command === command).length;
  return { app, calls, workers, jobs, count };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the model panel", () => {
  it("asks about the worker while it loads and stops once it is ready", async () => {
    const s = server();
    s.workers.push(worker({ state: "loading" }), worker({ state: "loading" }), worker({ state: "ready" }));
    await s.app.model.load({ kind: "local", path: "/models/smol.gguf" });
    expect(s.app.model.worker?.state).toBe("loading");
    await vi.advanceTimersByTimeAsync(500);
    expect(s.app.model.worker?.state).toBe("loading");
    await vi.advanceTimersByTimeAsync(500);
    expect(s.app.model.ready()).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.count("worker")).toBe(2);
  });

  it("a worker that fails while loading is said", async () => {
    const s = server();
    s.workers.push(worker({ state: "loading" }), worker({ state: "failed", error: "out of memory" }));
    await s.app.model.load({ kind: "local", path: "/models/big" });
    await vi.advanceTimersByTimeAsync(500);
    expect(s.app.toasts.map((t) => t.text)).toEqual(["The model failed: out of memory"]);
  });

  it("judging without a model says to load one and sends nothing", async () => {
    const s = server();
    s.app.detail = stepSample();
    s.app.judgeSample();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.count("start_job")).toBe(0);
    expect(s.app.toasts[0].text).toContain("Load a model first");
  });

  it("judges the open sample, streams, reads it again once judged, and ends once", async () => {
    const s = server();
    s.workers.push(worker({ state: "ready" }));
    await s.app.model.load({ kind: "local", path: "/models/smol.gguf" });
    s.app.detail = stepSample({ id: 7, judgments: [] });
    s.app.model.maxNewTokens = 64;
    s.app.model.reasoningEffort = "high";
    s.jobs.push(
      job(),
      job({ current_sample: 7, output: "Explanation: step 2", analysis: "Step 2 divides by zero." }),
      job({ state: "finished", done: 1, judged: 1, last_judged: 7, output: "Explanation: step 2\nVerdict: 2" }),
    );
    s.app.judgeSample();
    await vi.advanceTimersByTimeAsync(0);
    const started = s.calls.find((c) => c.command === "start_job")?.args as { request: JobRequest };
    expect(started.request).toEqual({
      target: { kind: "samples", ids: [7] },
      max_new_tokens: 64,
      reasoning_effort: "high",
      new_run: false,
    });
    expect(s.app.jobRunning()).toBe(true);

    await vi.advanceTimersByTimeAsync(300);
    expect(s.app.model.job?.output).toBe("Explanation: step 2");
    expect(s.app.model.job?.analysis).toBe("Step 2 divides by zero.");
    expect(s.count("sample")).toBe(0);

    await vi.advanceTimersByTimeAsync(300);
    expect(s.app.jobRunning()).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    // Read again: once as judged, once more after the job (with the list and the runs).
    expect(s.count("sample")).toBeGreaterThanOrEqual(1);
    expect(s.count("overview")).toBe(1);
    expect(s.app.toasts.map((t) => t.text)).toEqual(["Job 5 finished: 1 judged in run 3."]);
    const polls = s.count("job");
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.count("job")).toBe(polls);
  });

  it("the filter job sends the queue's filters; cancel asks the server", async () => {
    const s = server();
    s.workers.push(worker({ state: "ready" }));
    await s.app.model.load({ kind: "local", path: "/models/smol.gguf" });
    s.app.filters = { task: "pairwise", evaluator: "not-judged" };
    s.jobs.push(job({ total: 40 }), job({ total: 40, state: "cancelling" }), job({ total: 40, state: "cancelled", done: 3, judged: 3 }));
    s.app.judgeFilter();
    await vi.advanceTimersByTimeAsync(0);
    const started = s.calls.find((c) => c.command === "start_job")?.args as { request: JobRequest };
    expect(started.request.target).toEqual({ kind: "filter", query: { after: 0, limit: 0, task: "pairwise", evaluator: "not-judged" } });
    s.app.cancelJob();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls.some((c) => c.command === "cancel_job")).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.app.model.job?.state).toBe("cancelled");
    expect(s.app.toasts.at(-1)?.text).toBe("Job 5 cancelled after 3 of 40 samples: 3 judged in run 3.");
  });
});
