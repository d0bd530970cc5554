// While a job judges the open sample, its output streams into the judgment panel: a gpt-oss
// model's reasoning (the analysis channel) apart from its answer (the final channel), both as
// plain text, never HTML.
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import JudgmentPanel from "./JudgmentPanel.svelte";
import { AppState } from "../app.svelte";
import { ApiClient, type Transport } from "../api/client";
import type { JobView } from "../api/generated/JobView";
import { stepSample } from "../testing/fixtures";

const idle: Transport = { call: () => new Promise(() => {}) };

function streamingJob(change: Partial<JobView>): JobView {
  return {
    id: 1,
    state: "running",
    model: "fare-20b",
    total: 1,
    done: 0,
    judged: 0,
    skipped: 0,
    failed: 0,
    current_sample: 7,
    output: "",
    analysis: "",
    last_judged: null,
    run_id: 2,
    tokens: 10,
    tokens_per_second: 5,
    elapsed_seconds: 2,
    eta_seconds: null,
    errors: [],
    error: null,
    ...change,
  };
}

describe("JudgmentPanel", () => {
  it("streams the reasoning channel apart from the answer", () => {
    const app = new AppState(new ApiClient(idle));
    const detail = stepSample({ id: 7, judgments: [] });
    app.detail = detail;
    app.model.job = streamingJob({ analysis: "Step 1 <b>looks</b> wrong." });
    const target = document.createElement("div");
    document.body.append(target);
    const component = mount(JudgmentPanel, { target, props: { app, detail } });
    flushSync();

    const reasoning = target.querySelector<HTMLDetailsElement>('[data-testid="streaming-analysis"]')!;
    expect(reasoning.querySelector("pre")!.textContent).toBe("Step 1 <b>looks</b> wrong.");
    expect(reasoning.querySelector("b")).toBeNull();
    expect(reasoning.open).toBe(true);
    expect(target.querySelector('[data-testid="streaming-answer"]')!.textContent).toBe("Reasoning…");

    app.model.job = streamingJob({ analysis: "Step 1 <b>looks</b> wrong.", output: "Explanation: step 1.\nVerdict: 1" });
    flushSync();
    expect(target.querySelector('[data-testid="streaming-answer"]')!.textContent).toBe("Explanation: step 1.\nVerdict: 1");
    expect(target.querySelector('[data-testid="streaming-analysis"] summary')!.textContent).toBe("Reasoning channel");

    // A model that does not reason apart: the output alone, no reasoning block.
    app.model.job = streamingJob({ output: "Explanation: fine." });
    flushSync();
    expect(target.querySelector('[data-testid="streaming-analysis"]')).toBeNull();
    expect(target.querySelector('[data-testid="streaming-answer"]')!.textContent).toBe("Explanation: fine.");
    unmount(component);
    target.remove();
  });
});
