// The trace is rendered once per sample: typing a step number, a new label or a new judgment on
// screen change classes only (desktop-notes.md: re-rendering 200 steps costs ~1 s in WebKitGTK).
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import StepTrace from "./StepTrace.svelte";
import { AppState } from "../app.svelte";
import { ApiClient, type Transport } from "../api/client";
import { clearRenderCache, renderStats } from "../render/markdown";
import { judgment, label, stepSample } from "../testing/fixtures";

const idle: Transport = { call: () => new Promise(() => {}) };

describe("StepTrace", () => {
  it("marks the verdict on the trace and re-renders no step HTML on key presses", () => {
    clearRenderCache();
    const app = new AppState(new ApiClient(idle));
    const steps = 200;
    app.detail = stepSample(
      {
        gold: "5",
        judgments: [judgment({ verdict: "3", verdict_probs: [{ verdict: "3", p: 0.7 }, { verdict: "-1", p: 0.3 }] })],
      },
      steps,
    );
    app.detail.steps = app.detail.steps.map((s) => ({ ...s, text: `step ${s.index}: $x_${s.index}^2$` }));
    const target = document.createElement("div");
    document.body.append(target);
    const component = mount(StepTrace, { target, props: { app, detail: app.detail } });
    flushSync();

    const li = (i: number) => target.querySelector(`li[data-step="${i}"]`)!;
    expect(li(3).classList.contains("predicted")).toBe(true);
    expect(li(4).classList.contains("dimmed")).toBe(true);
    expect(li(2).classList.contains("dimmed")).toBe(false);
    expect(li(5).classList.contains("gold")).toBe(true);
    expect(li(3).querySelector(".heat")?.getAttribute("style")).toContain("70%");
    expect(li(-1).querySelector(".heat")?.getAttribute("style")).toContain("30%");
    expect(li(7).querySelector(".katex")).not.toBeNull();
    const rendered = renderStats().renders;
    expect(rendered).toBe(steps);
    const before = li(7).querySelector(".md");

    app.typeDigit("1");
    app.typeDigit("2");
    flushSync();
    expect(li(12).classList.contains("typed")).toBe(true);

    app.detail.label = label({ decision: "corrected", verdict: "12" });
    flushSync();
    expect(li(12).classList.contains("human")).toBe(true);

    expect(renderStats().renders).toBe(rendered);
    expect(li(7).querySelector(".md")).toBe(before);
    unmount(component);
  });
});
