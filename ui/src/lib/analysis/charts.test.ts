// The chart builders over the demo project's real report (testing/report.ts).
import { describe, expect, it } from "vitest";
import type { GroupReport } from "../api/generated/GroupReport";
import { demoReport } from "../testing/report";
import { confusionMatrix, emptyReason, offsetRange, firstErrorMatrix, groupId, headline, sectionsFor, summaryStats, type BarsBody, type Chart } from "./charts";
import { toCsv } from "./csv";

const group = (task: string, source: string | null = null) => demoReport.groups.find((g) => g.task === task && g.source === source)!;
const chart = (g: GroupReport, id: string): Chart => sectionsFor(g, demoReport).flatMap((s) => s.charts).find((c) => c.id === id)!;

describe("the first-error grid", () => {
  const fe = group("step-level").first_error!;
  const m = firstErrorMatrix(fe);

  it("has no error first on both axes, then the steps seen, and a failed column", () => {
    expect(m.rows).toEqual(["no error", "0", "1", "2", "3", "31"]);
    expect(m.cols).toEqual(["no error", "0", "1", "2", "3", "31", "failed"]);
  });

  it("keeps every count of the report under its key, the diagonal marked", () => {
    expect(m.cells.reduce((n, c) => n + c.count, 0)).toBe(fe.grid.reduce((n, c) => n + c.count, 0));
    const noError = m.cells.find((c) => c.key === "first-error:pred=-1:gold=-1")!;
    expect(noError).toMatchObject({ row: 0, col: 0, count: 11, diagonal: true });
    const late = m.cells.find((c) => c.key === "first-error:pred=2:gold=1")!;
    expect(late).toMatchObject({ row: 2, col: 3, count: 1, diagonal: false });
    expect(m.cells.find((c) => c.key === "first-error:pred=failed:gold=3")).toMatchObject({ row: 4, col: 6 });
    expect(m.max).toBe(11);
  });

  it("writes its CSV with -1 for no error and failed for no verdict", () => {
    const csv = toCsv(chart(group("step-level"), "first-error-grid").table);
    expect(csv.split("\r\n").slice(0, 5)).toEqual(["true_first_error,predicted_first_error,samples", "-1,-1,11", "-1,1,1", "-1,2,1", "-1,failed,1"]);
    expect(csv.split("\r\n").length).toBe(fe.grid.length + 2);
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
    expect(offsetRange([{ offset: 2, count: 1 }, { offset: -1, count: 4 }])).toEqual([
      { offset: -1, count: 4 },
      { offset: 0, count: 0 },
      { offset: 1, count: 0 },
      { offset: 2, count: 1 },
    ]);
    expect(offsetRange([{ offset: -40, count: 1 }, { offset: 30, count: 2 }]).length).toBe(2);
    expect(offsetRange([])).toEqual([]);
  });

  it("has the off-by-k histogram and the relative positions", () => {
    expect(toCsv(chart(g, "off-by-k").table)).toBe("offset,samples\r\n-1,2\r\n0,8\r\n1,1\r\n");
    const positions = chart(g, "relative-position");
    expect(positions.table.rows[0]).toEqual(["0–10%", 2, 3]);
    expect(positions.table.rows.length).toBe(10);
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
    const m = confusionMatrix(v.confusion);
    expect(m.cols).toEqual(["correct", "incorrect", "no verdict"]);
    expect(m.cells.map((c) => [c.key, c.count])).toEqual([
      ["confusion:gold=correct:pred=correct", 12],
      ["confusion:gold=correct:pred=incorrect", 1],
      ["confusion:gold=correct:pred=failed", 1],
      ["confusion:gold=incorrect:pred=correct", 2],
      ["confusion:gold=incorrect:pred=incorrect", 10],
    ]);
    expect(toCsv(chart(group("reference-free"), "confusion").table)).toBe(
      "true,predicted,samples\r\ncorrect,correct,12\r\ncorrect,incorrect,1\r\ncorrect,failed,1\r\nincorrect,correct,2\r\nincorrect,incorrect,10\r\nincorrect,failed,0\r\n",
    );
  });

  it("rating: MAE and the correlations, and says what it cannot show yet", () => {
    const g = group("rating");
    const [section] = sectionsFor(g, demoReport);
    expect(section.stats.find((s) => s.id === "mae")?.text).toBe("0.72");
    expect((chart(g, "rating").body as BarsBody).bars.map((b) => b.text)).toEqual(["0.961", "0.917"]);
    expect(section.note).toContain("does not carry yet");
  });
});

describe("groups", () => {
  it("have ids, summaries and an empty state", () => {
    const g = group("reference-based");
    expect(groupId(g)).toBe("reference-based|reference-based|");
    expect(summaryStats(g).find((s) => s.id === "agreement")?.text).toBe("83.3%");
    const step = demoReport.groups.find((x) => x.task === "step-level")!;
    const unjudged: GroupReport = { ...step, dataset: "new", source: null, samples: 5, judged: 0, with_gold: 5, accepted: 0, corrected: 0, processbench: undefined, first_error: undefined };
    expect(emptyReason(unjudged)).toBe("No judged samples in this group.");
    expect(sectionsFor(unjudged, demoReport)[0].empty).toBe("No judged samples in this group.");
    expect(emptyReason(g)).toBeNull();
  });
});
