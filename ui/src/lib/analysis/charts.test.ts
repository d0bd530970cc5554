// The chart builders over the demo project's real analysis (testing/report.ts): every cell
// carries the API's own key, and the charts switch between the ground truth and human labels.
import { describe, expect, it } from "vitest";
import type { GroupReport } from "../api/generated/GroupReport";
import { demoReport } from "../testing/report";
import { confusionMatrix, contradictionCharts, emptyReason, offsetRange, verdictMatrix, groupId, headline, sectionsFor, summaryStats, type BarsBody, type Chart, type ListBody, type ReferenceView } from "./charts";
import { toCsv } from "./csv";

const group = (task: string, source: string | null = null) => demoReport.groups.find((g) => g.task === task && g.source === source)!;
const chart = (g: GroupReport, id: string, view: ReferenceView = "gold"): Chart => sectionsFor(g, demoReport, view).flatMap((s) => s.charts).find((c) => c.id === id)!;

describe("the first-error grid", () => {
  const st = group("step-level").gold.step!;
  const m = verdictMatrix(st.grid, { rowTitle: "True", colTitle: "Predicted", reference: "true", axis: [-1] });

  it("has no error first on both axes, then the steps seen, and a failed column", () => {
    expect(m.rows).toEqual(["no error", "0", "1", "2", "3", "31"]);
    expect(m.cols).toEqual(["no error", "0", "1", "2", "3", "31", "failed"]);
  });

  it("keeps every count of the report under its key, the diagonal marked", () => {
    expect(m.cells.reduce((n, c) => n + c.count, 0)).toBe(st.grid.reduce((n, c) => n + c.count, 0));
    expect(m.cells.map((c) => c.key)).toEqual(st.grid.map((c) => c.key));
    const noError = m.cells.find((c) => c.key === "first-error:pred=-1:gold=-1")!;
    expect(noError).toMatchObject({ row: 0, col: 0, count: 11, diagonal: true });
    const late = m.cells.find((c) => c.key === "first-error:pred=2:gold=1")!;
    expect(late).toMatchObject({ row: 2, col: 3, count: 1, diagonal: false });
    expect(m.cells.find((c) => c.key === "first-error:pred=failed:gold=3")).toMatchObject({ row: 4, col: 6, what: "predicted failed, true 3" });
    expect(m.max).toBe(11);
  });

  it("writes its CSV with -1 for no error and failed for no verdict", () => {
    const csv = toCsv(chart(group("step-level"), "first-error-grid").table);
    expect(csv.split("\r\n").slice(0, 5)).toEqual(["true_first_error,predicted_first_error,samples", "-1,-1,11", "-1,1,1", "-1,2,1", "-1,failed,1"]);
    expect(csv.split("\r\n").length).toBe(st.grid.length + 2);
  });
});

describe("the step-level section", () => {
  const g = group("step-level");
  it("shows the ProcessBench score as the report has it", () => {
    const bars = (chart(g, "processbench").body as BarsBody).bars;
    expect(bars.map((b) => [b.label, b.value, b.text])).toEqual([
      ["Error accuracy", g.processbench!.error_accuracy, "57.1%"],
      ["Correct accuracy", g.processbench!.correct_accuracy, "78.6%"],
      ["F1", g.processbench!.f1, "66.2%"],
    ]);
    expect(bars.every((b) => b.key === undefined)).toBe(true);
  });

  it("counts the buckets, each with its key (none on an empty bucket)", () => {
    const bars = (chart(g, "buckets").body as BarsBody).bars;
    expect(bars.map((b) => [b.key, b.value])).toEqual([
      ["bucket:exact", 8],
      ["bucket:early", 2],
      ["bucket:late", 1],
      ["bucket:missed-error", 2],
      ["bucket:false-alarm", 2],
      ["bucket:correct-no-error", 11],
      ["bucket:failed", 2],
    ]);
    expect(toCsv(chart(g, "buckets").table)).toBe("bucket,samples\r\nexact,8\r\nearly,2\r\nlate,1\r\nmissed-error,2\r\nfalse-alarm,2\r\ncorrect-no-error,11\r\nfailed,2\r\n");
  });

  it("fills the gaps of the off-by-k axis with zeros that open nothing", () => {
    expect(offsetRange([{ key: "offset:2", offset: 2, count: 1 }, { key: "offset:-1", offset: -1, count: 4 }])).toEqual([
      { key: "offset:-1", offset: -1, count: 4 },
      { key: "", offset: 0, count: 0 },
      { key: "", offset: 1, count: 0 },
      { key: "offset:2", offset: 2, count: 1 },
    ]);
    expect(offsetRange([{ key: "offset:-40", offset: -40, count: 1 }, { key: "offset:30", offset: 30, count: 2 }]).length).toBe(2);
    expect(offsetRange([])).toEqual([]);
  });

  it("has the off-by-k histogram and the relative positions, with the API's keys", () => {
    expect(toCsv(chart(g, "off-by-k").table)).toBe("offset,samples\r\n-1,2\r\n0,8\r\n1,1\r\n");
    const offsets = chart(g, "off-by-k").body;
    expect(offsets.kind === "columns" && offsets.series[0].keys).toEqual(["offset:-1", "offset:0", "offset:1"]);
    const positions = chart(g, "relative-position");
    expect(positions.table.rows[0]).toEqual(["no error", "no error", 11]);
    expect(positions.table.rows.length).toBe(g.gold.step!.positions.length);
    expect(positions.body.kind === "matrix" && positions.body.cells.find((c) => c.key === "position:pred=0:gold=3")?.what).toBe("predicted 0–10%, true 30–40%");
  });

  it("gives the mean F1 over splits", () => {
    const stats = sectionsFor(g, demoReport)[0].stats;
    expect(stats.find((s) => s.id === "mean-f1")?.text).toBe("66.2%");
  });
});

describe("the other tasks", () => {
  it("pairwise: per-order accuracy, consistency and position bias", () => {
    const g = group("pairwise", "demo-math");
    const bars = (chart(g, "pairwise").body as BarsBody).bars;
    expect(bars.map((b) => b.text)).toEqual(["75.0%", "90.0%", "80.0%", "90.0%"]);
    const bias = chart(g, "position-bias").body as BarsBody;
    expect(bias.reference?.value).toBe(0.5);
    expect(headline(g)).toEqual({ label: "consistent", text: "80.0%" });
  });

  it("verification: the confusion matrix with keys, zero cells left out", () => {
    const v = group("reference-free").verification!;
    expect(v.n).toBe(26);
    const m = confusionMatrix(group("reference-free").gold);
    expect(m.cols).toEqual(["correct", "incorrect", "no verdict"]);
    expect(m.cells.map((c) => [c.key, c.row, c.col, c.count])).toEqual([
      ["confusion:pred=correct:gold=correct", 0, 0, 12],
      ["confusion:pred=correct:gold=incorrect", 1, 0, 2],
      ["confusion:pred=incorrect:gold=correct", 0, 1, 1],
      ["confusion:pred=incorrect:gold=incorrect", 1, 1, 10],
      ["confusion:pred=failed:gold=correct", 0, 2, 1],
    ]);
    expect(toCsv(chart(group("reference-free"), "confusion").table)).toBe(
      "true,predicted,samples\r\ncorrect,correct,12\r\ncorrect,incorrect,1\r\ncorrect,failed,1\r\nincorrect,correct,2\r\nincorrect,incorrect,10\r\nincorrect,failed,0\r\n",
    );
  });

  it("rating: MAE, the correlations and the predicted against true grid", () => {
    const g = group("rating");
    const [section] = sectionsFor(g, demoReport);
    expect(section.stats.find((s) => s.id === "mae")?.text).toBe("0.72");
    expect((chart(g, "rating").body as BarsBody).bars.map((b) => b.text)).toEqual(["0.961", "0.917"]);
    const grid = chart(g, "rating-grid");
    expect(grid.body.kind === "matrix" && grid.body.cells.map((c) => c.key)).toEqual(g.gold.rating_grid.map((c) => c.key));
    expect(grid.table.rows[0]).toEqual([1, 1, 4]);
  });

  it("pairwise: the swap flips listed with their picks, all of them under one key", () => {
    const g = group("pairwise");
    const flips = chart(g, "swap-flips");
    const body = flips.body as ListBody;
    expect(body.rows[0]).toEqual(["46", "A", "B"]);
    expect(body.all).toEqual({ key: "swap-flip", count: g.pairwise!.flips, label: `all ${g.pairwise!.flips} flips` });
    expect(toCsv(flips.table).split("\r\n")[1]).toBe("46,A,B");
    expect(chart(group("pairwise", "demo-writing"), "swap-flips").empty).toBe("No verdict changed with the order.");
  });

  it("pairwise: the length bias, its share and its cells", () => {
    const g = group("pairwise");
    const bars = (chart(g, "length-bias").body as BarsBody).bars;
    expect(bars.map((b) => [b.key, b.value])).toEqual([
      ["length:picked-longer", 17],
      ["length:picked-shorter", 7],
    ]);
    expect(bars[0].detail).toBe("70.8% of 24 pairs");
    const orders = (chart(g, "orders").body as BarsBody).bars;
    expect(orders[0]).toMatchObject({ key: "order:original:right", value: 22, label: "Original order, right" });
  });

  it("tags: people's and inferred ones, inferred marked, zero counts open nothing", () => {
    const g = group("step-level");
    const withPeople: GroupReport = { ...g, tags: [{ key: "tag:late-step", tag: "late-step", count: 3 }] };
    const bars = (chart(withPeople, "tags").body as BarsBody).bars;
    expect(bars[0]).toMatchObject({ label: "late-step", key: "tag:late-step", value: 3 });
    expect(bars.find((b) => b.label === "missed-error (inferred)")).toMatchObject({ key: "inferred:missed-error", value: 2 });
    expect(bars.find((b) => b.label === "unparseable (inferred)")?.key).toBe("inferred:unparseable");
    expect(toCsv(chart(withPeople, "tags").table).split("\r\n").slice(0, 2)).toEqual(["tag,source,samples", "late-step,people,3"]);
  });

  it("contradictions: a count per kind with its key, and the list", () => {
    const c = { ...demoReport.contradictions, traces_compared: 4, counts: [{ key: "contradiction:error-but-correct", count: 2 }, { key: "contradiction:error-but-high-rating", count: 0 }, { key: "contradiction:no-error-but-incorrect", count: 1 }] };
    const items = [{ kind: "error-but-correct" as const, key: "contradiction:error-but-correct", step_sample: 3, first_error: 2, other_sample: 40, other_task: "reference-free" as const, other_verdict: "correct" }];
    const [counts, list] = contradictionCharts({ ...c, items });
    expect((counts.body as BarsBody).bars.map((b) => [b.key, b.value])).toEqual([
      ["contradiction:error-but-correct", 2],
      [undefined, 0],
      ["contradiction:no-error-but-incorrect", 1],
    ]);
    expect((list.body as ListBody).rows).toEqual([["Error, but correct", "3", "2", "40", "reference-free", "correct"]]);
    expect(contradictionCharts(demoReport.contradictions)[0].empty).toContain("No trace has both");
  });
});

describe("groups", () => {
  it("have ids, summaries and an empty state", () => {
    const g = group("reference-based");
    expect(groupId(g)).toBe("reference-based|reference-based|");
    expect(summaryStats(g).find((s) => s.id === "agreement")?.text).toBe("83.3%");
    const step = demoReport.groups.find((x) => x.task === "step-level")!;
    const unjudged: GroupReport = { ...step, dataset: "new", source: null, samples: 5, judged: 0, with_gold: 5, accepted: 0, corrected: 0, processbench: undefined, first_error: undefined, gold: { ...step.gold, scored: 0, processbench: null, step: null } };
    expect(emptyReason(unjudged)).toBe("No judged samples in this group.");
    expect(sectionsFor(unjudged, demoReport)[0].empty).toBe("No judged samples in this group.");
    expect(emptyReason(g)).toBeNull();
  });

  it("against human labels: says so when there are none yet", () => {
    const g = group("step-level");
    expect(g.with_human).toBe(0);
    expect(emptyReason(g, "human")).toContain("No human labels yet");
    expect(sectionsFor(g, demoReport, "human")[0].empty).toContain("No human labels yet");
    // with human labels, the charts are the human section's, under the same keys
    const labelled: GroupReport = { ...g, with_human: 28, human: { ...g.gold, reference: "human" } };
    expect(emptyReason(labelled, "human")).toBeNull();
    const grid = chart(labelled, "first-error-grid", "human");
    expect(grid.body.kind === "matrix" && grid.body.rowTitle).toBe("Human first error (step)");
    expect(grid.table.header[0]).toBe("human_first_error");
  });
});
