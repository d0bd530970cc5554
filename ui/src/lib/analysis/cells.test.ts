import { describe, expect, it } from "vitest";
import { cellFilter, cellKey, cellOutcome, openedMessage, parseKey } from "./cells";

const datasets = [
  { id: 4, name: "ProcessBench GSM8K", format: "processbench", sample_count: 400 },
  { id: 7, name: "demo", format: "jsonl", sample_count: 20 },
];

describe("cell keys", () => {
  it("are written in the API's form", () => {
    expect(cellKey.firstError(3, 5)).toBe("first-error:pred=3:gold=5");
    expect(cellKey.firstError(null, 2)).toBe("first-error:pred=-1:gold=2");
    expect(cellKey.firstError("failed", null)).toBe("first-error:pred=failed:gold=-1");
    expect(cellKey.bucket("missed-error")).toBe("bucket:missed-error");
    expect(cellKey.offset(-2)).toBe("offset:k=-2");
    expect(cellKey.position("pred", 3)).toBe("position:pred=3");
    expect(cellKey.confusion("correct", "failed")).toBe("confusion:gold=correct:pred=failed");
    expect(parseKey("first-error:pred=3:gold=5")).toEqual({ kind: "first-error", fields: { pred: "3", gold: "5" }, name: null });
  });

  it("say whether the evaluator was right on the cell's samples", () => {
    expect(cellOutcome("first-error:pred=3:gold=3")).toBe("agrees-with-gold");
    expect(cellOutcome("first-error:pred=-1:gold=-1")).toBe("agrees-with-gold");
    expect(cellOutcome("first-error:pred=3:gold=5")).toBe("disagrees-with-gold");
    expect(cellOutcome("first-error:pred=failed:gold=5")).toBe("failed");
    expect(cellOutcome("bucket:exact")).toBe("agrees-with-gold");
    expect(cellOutcome("bucket:correct-no-error")).toBe("agrees-with-gold");
    expect(cellOutcome("bucket:late")).toBe("disagrees-with-gold");
    expect(cellOutcome("bucket:failed")).toBe("failed");
    expect(cellOutcome("offset:k=0")).toBe("agrees-with-gold");
    expect(cellOutcome("offset:k=-1")).toBe("disagrees-with-gold");
    expect(cellOutcome("confusion:gold=incorrect:pred=correct")).toBe("disagrees-with-gold");
    expect(cellOutcome("position:gold=3")).toBeNull();
    expect(cellOutcome("something-new:x=1")).toBeNull();
  });

  it("open the group's filter with the evaluator's outcome", () => {
    expect(cellFilter("first-error:pred=3:gold=5", { task: "step-level", dataset: "ProcessBench GSM8K", source: null }, datasets)).toEqual({
      task: "step-level",
      dataset_id: 4,
      evaluator: "disagrees-with-gold",
    });
    expect(cellFilter("position:gold=1", { task: "pairwise", dataset: "demo", source: "demo-math" }, datasets)).toEqual({ task: "pairwise", dataset_id: 7, source: "demo-math" });
  });

  it("say honestly whether the queue is the cell or wider", () => {
    const scope = { task: "step-level" as const, dataset: "demo", source: null };
    const filter = { task: "step-level" as const, dataset_id: 7, evaluator: "disagrees-with-gold" as const };
    expect(openedMessage(scope, filter, 3, 3)).toBe("The queue shows the 3 samples of step-level · demo where the evaluator disagrees with the ground truth: exactly this cell.");
    expect(openedMessage(scope, filter, 3, 3, true)).toBe(
      "The queue shows the 3 samples of step-level · demo where the evaluator disagrees with the ground truth by each sample's first judgment; this cell's 3 are counted by the majority of K judgments, so the two can differ.",
    );
    expect(openedMessage(scope, filter, 1200, 3)).toBe(
      "The queue shows the 1,200 samples of step-level · demo where the evaluator disagrees with the ground truth; this cell's 3 are among them (the cell's own samples need the sample-level analysis, not available yet).",
    );
  });
});
