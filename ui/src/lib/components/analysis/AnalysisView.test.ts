// The analysis view mounted on the demo project's analysis (testing/report.ts) against a fake
// API: the numbers on screen are the analysis's, every cell with samples carries the API's key, a
// cell opens exactly its samples (asked of `analysisSamples`) as a listed queue, the reference
// switches between ground truth and human labels, CSV files hold exactly the chart's numbers,
// groups switch, and an empty project or group says so.
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import AnalysisView from "./AnalysisView.svelte";
import { AppState } from "../../app.svelte";
import { ApiClient, type CommandName, type Transport } from "../../api/client";
import type { Analysis as Report } from "../../api/generated/Analysis";
import type { ProjectOverview } from "../../api/generated/ProjectOverview";
import type { RunDiff } from "../../api/generated/RunDiff";
import { demoReport } from "../../testing/report";
import { percent } from "../../analysis/format";

const overview: ProjectOverview = {
  name: "demo.sqlite",
  annotator: "ann",
  samples: 132,
  datasets: [
    { id: 1, name: "pairwise", format: "jsonl", sample_count: 26 },
    { id: 2, name: "step-level", format: "processbench", sample_count: 28 },
  ],
  runs: [{ id: 1, model: "FARE-8B", mode: "critique", status: "imported", label: null, judgments: 28, tasks: ["step-level"], started_at: "" }],
  tags: [],
  sources: [],
};

const twoRuns: ProjectOverview = {
  ...overview,
  runs: [overview.runs[0], { ...overview.runs[0], id: 6, model: "FARE-8B step 2000", label: "checkpoint" }],
};
const cells = (suffix: string, counts: number[]) =>
  (["both-right", "fixed", "broke", "both-wrong", "not-comparable"] as const).map((cell, i) => ({ cell, key: `diff:${cell}${suffix}`, count: counts[i] }));
const runDiff: RunDiff = {
  before: 1,
  after: 6,
  reference: "human-else-gold",
  human: "consensus",
  rows: [
    { task: "step-level", tag: null, inferred: false, cells: cells("", [10, 3, 1, 4, 0]) },
    { task: "step-level", tag: "missed-error", inferred: true, cells: cells(":inferred=missed-error", [0, 1, 1, 2, 0]) },
  ],
};

async function setup(report: Report = demoReport, shown: ProjectOverview = overview) {
  const sent: { command: CommandName; args: unknown }[] = [];
  const saved: { name: string; text: string }[] = [];
  const transport: Transport = {
    async call(command, args) {
      sent.push({ command, args });
      if (command === "analysis") return report;
      if (command === "analysis_samples") return [11, 12, 13];
      if (command === "diff") return runDiff;
      if (command === "diff_samples") return [21, 22];
      if (command === "create_queue") {
        const request = (args as { request: { name: string; samples: { ids: number[] } } }).request;
        return { id: 9, name: request.name, samples: request.samples.ids.length };
      }
      if (command === "counts") return { matching: 5, reviewed: 0 };
      if (command === "samples") return { rows: [], next_after: null };
      return new Promise(() => {});
    },
  };
  const app = new AppState(new ApiClient(transport), {
    switchProject: () => {},
    chooseDataFile: async () => null,
    chooseExportFile: async () => null,
    chooseProjectFiles: async () => [],
    chooseNewProject: async () => null,
    saveFile: async (name, bytes) => {
      saved.push({ name, text: new TextDecoder().decode(bytes) });
      return `/chosen/${name}`;
    },
  });
  app.overview = shown;
  app.open("report");
  await Promise.resolve();
  await Promise.resolve();
  const target = document.createElement("div");
  document.body.append(target);
  const component = mount(AnalysisView, { target, props: { app } });
  flushSync();
  return { app, sent, saved, target, done: () => { unmount(component); target.remove(); } };
}

const select = (target: HTMLElement, id: string) => {
  (target.querySelector(`[data-group="${id}"]`) as HTMLElement).click();
  flushSync();
};
const barValue = (target: HTMLElement, chart: string, metric: string) =>
  target.querySelector(`[data-chart="${chart}"] [data-metric="${metric}"] .bar-value`)?.textContent;

describe("the analysis view", () => {
  it("lists every group of the report and shows the first one's figures", async () => {
    const { target, done } = await setup();
    expect(target.querySelectorAll("[data-group]").length).toBe(demoReport.groups.length);
    const first = demoReport.groups[0];
    expect(target.querySelector('[data-testid="analysis-group"]')?.textContent).toBe("Pairwise · pairwise");
    expect(target.querySelector('[data-stat="samples"] dd')?.textContent).toBe(String(first.samples));
    expect(barValue(target, "pairwise", "Original order")).toBe(percent(first.pairwise!.accuracy_original));
    expect(barValue(target, "pairwise", "Consistent accuracy")).toBe(percent(first.pairwise!.consistent_accuracy));
    done();
  });

  it("shows the step-level numbers of the report, and keys on every cell with samples", async () => {
    const { target, done } = await setup();
    select(target, "step-level|step-level|");
    const g = demoReport.groups.find((x) => x.task === "step-level")!;
    expect(barValue(target, "processbench", "Error accuracy")).toBe("57.1%");
    expect(barValue(target, "processbench", "F1")).toBe(percent(g.processbench!.f1));
    expect(target.querySelector('[data-chart="processbench"] [data-metric="F1"]')?.getAttribute("data-value")).toBe(String(g.processbench!.f1));
    // the grid: one keyed cell per cell of the report, its count written in it
    const grid = [...target.querySelectorAll('[data-chart="first-error-grid"] [data-key]')];
    expect(grid.length).toBe(g.gold.step!.grid.length);
    const cell = target.querySelector('[data-key="first-error:pred=-1:gold=-1"]')!;
    expect(cell.getAttribute("data-count")).toBe("11");
    expect(cell.textContent).toContain("11");
    expect(cell.getAttribute("aria-label")).toBe("predicted no error, true no error: 11 samples");
    expect(target.querySelector('[data-key="first-error:pred=failed:gold=3"]')).not.toBeNull();
    expect(target.querySelector('[data-key="bucket:late"]')?.getAttribute("data-count")).toBe("1");
    expect(target.querySelector('[data-key="offset:-1"]')?.getAttribute("data-count")).toBe("2");
    expect(target.querySelector('[data-key="position:pred=3:gold=3"]')?.getAttribute("data-count")).toBe("3");
    expect(target.querySelector('[data-stat="mean-f1"] dd')?.textContent).toBe("66.2%");
    // every chart is an accessible picture with a title
    for (const svg of target.querySelectorAll("svg")) {
      expect(svg.getAttribute("aria-label")).toBeTruthy();
      expect(svg.querySelector(":scope > title")?.textContent).toBeTruthy();
    }
    done();
  });

  it("opens exactly a cell's samples as a listed queue named after the cell", async () => {
    const { app, target, sent, done } = await setup();
    app.filters = { task: "pairwise", evaluator: "failed" };
    select(target, "step-level|step-level|");
    (target.querySelector('[data-key="first-error:pred=2:gold=1"]') as SVGElement).dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 0));
    const asked = sent.find((s) => s.command === "analysis_samples")!.args as { request: unknown };
    expect(asked.request).toEqual({ key: "first-error:pred=2:gold=1", reference: "gold", run: 1, scope: { task: "step-level", dataset_id: 1 } });
    const made = sent.find((s) => s.command === "create_queue")!.args as { request: unknown };
    expect(made.request).toEqual({
      name: "First error: predicted 2, true 1 (Step-level, step-level)",
      samples: { kind: "samples", ids: [11, 12, 13], from: "First error: predicted 2, true 1", run_id: undefined },
      order: "listed",
      seed: undefined,
    });
    // no other filter narrows the queue
    expect(app.filters).toEqual({ run_id: undefined, queue: 9 });
    expect(app.overlay).toBeNull();
    expect(app.toasts.at(-1)?.text).toBe("Queue “First error: predicted 2, true 1 (Step-level, step-level)”: 3 samples.");
    done();
  });

  it("moves to a cell and opens it from the keyboard commands", async () => {
    const { app, target, sent, done } = await setup();
    select(target, "reference-based|reference-based|");
    app.moveCell("right");
    const focused = document.activeElement as HTMLElement;
    expect(focused.dataset.key).toBe("confusion:pred=correct:gold=correct");
    app.openFocusedCell();
    await new Promise((r) => setTimeout(r, 0));
    expect((sent.find((s) => s.command === "analysis_samples")!.args as { request: { key: string } }).request.key).toBe("confusion:pred=correct:gold=correct");
    expect((sent.find((s) => s.command === "create_queue")!.args as { request: { name: string } }).request.name).toBe("Confusion: predicted correct, true correct (Reference-based, reference-based)");
    done();
  });

  it("switches to human labels (h), says when there are none, and opens human cells against them", async () => {
    const { app, target, done } = await setup();
    select(target, "step-level|step-level|");
    app.toggleReference();
    flushSync();
    expect(target.querySelector('[data-reference="human"]')?.getAttribute("aria-checked")).toBe("true");
    expect(target.querySelector('[data-testid="analysis-group-empty"]')?.textContent).toContain("No human labels yet");
    expect(target.querySelector('[data-chart="first-error-grid"]')).toBeNull();
    done();
    // a project with human labels: the human section's cells, opened against the human reference
    const step = demoReport.groups.find((g) => g.task === "step-level")!;
    const labelled = { ...demoReport, groups: [{ ...step, with_human: 28, human: { ...step.gold, reference: "human" as const } }] };
    const second = await setup(labelled);
    second.app.analysisReference = "human";
    flushSync();
    expect(second.target.querySelector('[data-chart="first-error-grid"] figcaption')?.textContent).toContain("human first wrong step");
    (second.target.querySelector('[data-key="bucket:late"]') as SVGElement).dispatchEvent(new MouseEvent("click", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 0));
    expect((second.sent.find((s) => s.command === "analysis_samples")!.args as { request: { reference: string } }).request.reference).toBe("human");
    expect((second.sent.find((s) => s.command === "create_queue")!.args as { request: { name: string } }).request.name).toBe("Where verdicts land: Late (Step-level, step-level, against human labels)");
    second.done();
  });

  it("lists the swap flips and opens all of them by their key", async () => {
    const { target, sent, done } = await setup();
    const rows = [...target.querySelectorAll('[data-chart="swap-flips"] tbody tr')].map((r) => r.textContent);
    expect(rows[0]).toBe("46AB");
    (target.querySelector('[data-chart="swap-flips"] [data-key="swap-flip"]') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect((sent.find((s) => s.command === "analysis_samples")!.args as { request: { key: string } }).request.key).toBe("swap-flip");
    expect(target.querySelector('[data-chart="length-bias"] [data-key="length:picked-longer"]')?.getAttribute("data-count")).toBe("17");
    expect(target.querySelector('[data-chart="tags"] [data-key="inferred:position-bias"]')?.getAttribute("aria-label")).toContain("position-bias (inferred)");
    expect(target.querySelector('[data-section="contradictions"] [data-chart="contradictions"]')).not.toBeNull();
    done();
  });

  it("compares two runs: the diff per task and tag, each count opening exactly its samples", async () => {
    const one = await setup();
    expect(one.target.querySelector('[data-testid="diff-empty"]')?.textContent).toContain("One run only");
    one.done();
    const { app, target, sent, done } = await setup(demoReport, twoRuns);
    expect((target.querySelector('[data-testid="diff-before"]') as HTMLSelectElement).value).toBe("1");
    expect((target.querySelector('[data-testid="diff-after"]') as HTMLSelectElement).value).toBe("6");
    (target.querySelector('[data-testid="diff-compare"]') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
    expect((sent.find((s) => s.command === "diff")!.args as { request: unknown }).request).toEqual({ before: 1, after: 6, reference: "human-else-gold" });
    const rows = [...target.querySelectorAll('[data-testid="diff-table"] tbody tr')].map((r) => r.textContent);
    expect(rows).toEqual(["Step-level103140", "missed-error (inferred)01120"]);
    // zero counts open nothing
    expect(target.querySelector('[data-key="diff:both-right:inferred=missed-error"]')).toBeNull();
    (target.querySelector('[data-key="diff:fixed:inferred=missed-error"]') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect((sent.find((s) => s.command === "diff_samples")!.args as { request: unknown }).request).toEqual({ before: 1, after: 6, reference: "human-else-gold", task: "step-level", key: "diff:fixed:inferred=missed-error" });
    const made = (sent.find((s) => s.command === "create_queue")!.args as { request: { name: string; order: string; samples: { ids: number[] } } }).request;
    expect(made).toMatchObject({ name: "Run 1 → 6: fixed, inferred tag missed-error (Step-level, against human label, else ground truth)", order: "listed", samples: { ids: [21, 22] } });
    expect(app.filters.queue).toBe(9);
    done();
  });

  it("saves a chart's numbers as CSV, exactly", async () => {
    const { target, saved, done } = await setup();
    select(target, "step-level|step-level|");
    (target.querySelector('[data-chart="buckets"] [data-export="csv"]') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect(saved).toEqual([
      {
        name: "step-level-step-level-buckets.csv",
        text: "bucket,samples\r\nexact,8\r\nearly,2\r\nlate,1\r\nmissed-error,2\r\nfalse-alarm,2\r\ncorrect-no-error,11\r\nfailed,2\r\n",
      },
    ]);
    done();
  });

  it("switches groups with j and k (stepGroup), staying within the list", async () => {
    const { app, target, done } = await setup();
    app.stepGroup(1);
    flushSync();
    expect(app.analysisGroup).toBe("pairwise|pairwise|demo-math");
    expect(target.querySelector('[data-group="pairwise|pairwise|demo-math"]')?.getAttribute("aria-selected")).toBe("true");
    app.stepGroup(-5);
    expect(app.analysisGroup).toBe("pairwise|pairwise|");
    done();
  });

  it("says when a project has nothing, or a group nothing judged", async () => {
    const empty = await setup({ ...demoReport, runs: {}, groups: [], processbench_mean_f1: null });
    expect(empty.target.querySelector('[data-testid="analysis-empty"]')?.textContent).toContain("No samples in this project yet");
    empty.done();
    const step = demoReport.groups.find((g) => g.task === "step-level")!;
    const unjudged = await setup({
      ...demoReport,
      runs: {},
      groups: [{ ...step, dataset: "new", source: null, samples: 5, judged: 0, with_gold: 5, accepted: 0, corrected: 0, processbench: undefined, first_error: undefined, gold: { ...step.gold, scored: 0, processbench: null, step: null } }],
      processbench_mean_f1: null,
    });
    expect(unjudged.target.querySelector('[data-testid="analysis-group-empty"]')?.textContent).toBe("No judged samples in this group.");
    expect(unjudged.target.querySelectorAll("svg").length).toBe(0);
    unjudged.done();
  });
});
