import { describe, expect, it } from "vitest";
import type { RunDiff } from "../api/generated/RunDiff";
import { toCsv } from "./csv";
import { diffQueueName, diffRows, diffSamplesRequest, diffTable } from "./diff";

const cells = (prefix: string, counts: number[]) =>
  (["both-right", "fixed", "broke", "both-wrong", "not-comparable"] as const).map((cell, i) => ({ cell, key: `diff:${cell}${prefix}`, count: counts[i] }));

const sampleDiff: RunDiff = {
  before: 1,
  after: 6,
  reference: "gold",
  human: "consensus",
  rows: [
    { task: "step-level", tag: null, inferred: false, cells: cells("", [10, 3, 1, 4, 2]) },
    { task: "step-level", tag: "late-step", inferred: false, cells: cells(":tag=late-step", [0, 2, 0, 1, 0]) },
    { task: "step-level", tag: "missed-error", inferred: true, cells: cells(":inferred=missed-error", [0, 1, 1, 2, 0]) },
  ],
};

describe("the checkpoint diff table", () => {
  it("has a row per task then its tags, each cell with the API's key", () => {
    const rows = diffRows(sampleDiff);
    expect(rows.map((r) => [r.label, r.tag])).toEqual([
      ["Step-level", false],
      ["late-step", true],
      ["missed-error (inferred)", true],
    ]);
    expect(rows[0].cells.map((c) => [c.key, c.count])).toEqual([
      ["diff:both-right", 10],
      ["diff:fixed", 3],
      ["diff:broke", 1],
      ["diff:both-wrong", 4],
      ["diff:not-comparable", 2],
    ]);
    expect(rows[2].cells[2]).toEqual({ cell: "broke", key: "diff:broke:inferred=missed-error", count: 1, what: "broke, inferred tag missed-error" });
  });

  it("writes its CSV and names what a cell opens", () => {
    expect(toCsv(diffTable(sampleDiff)).split("\r\n").slice(0, 3)).toEqual([
      "task,tag,tag_source,both_right,fixed,broke,both_wrong,not_comparable",
      "step-level,,,10,3,1,4,2",
      "step-level,late-step,people,0,2,0,1,0",
    ]);
    expect(diffSamplesRequest(sampleDiff, "step-level", "diff:fixed:tag=late-step")).toEqual({ before: 1, after: 6, reference: "gold", task: "step-level", key: "diff:fixed:tag=late-step" });
    expect(diffQueueName(sampleDiff, "step-level", "fixed, tag late-step")).toBe("Run 1 → 6: fixed, tag late-step (Step-level, against ground truth)");
  });
});
