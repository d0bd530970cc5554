import { describe, expect, it } from "vitest";
import { cellFrom, queueName, samplesRequest } from "./cells";

const cell = { key: "first-error:pred=3:gold=5", count: 2, title: "First error", what: "predicted 3, true 5" };
const scope = { task: "step-level" as const, dataset_id: 4, dataset: "ProcessBench gsm8k", source: null };

describe("opening a cell", () => {
  it("asks for the cell's key in its group's scope, against the reference shown", () => {
    expect(samplesRequest(cell, scope, "gold", 7)).toEqual({ key: "first-error:pred=3:gold=5", reference: "gold", run: 7, scope: { task: "step-level", dataset_id: 4 } });
    expect(samplesRequest(cell, { ...scope, source: "gsm8k" }, "human")).toEqual({ key: cell.key, reference: "human", scope: { task: "step-level", dataset_id: 4, source: "gsm8k" } });
    // a task over all its data sets, and the whole project
    expect(samplesRequest(cell, { ...scope, dataset_id: null, dataset: "" }, "gold").scope).toEqual({ task: "step-level" });
    expect(samplesRequest({ ...cell, key: "contradiction:error-but-correct" }, null, "gold")).toEqual({ key: "contradiction:error-but-correct", reference: "gold" });
  });

  it("names the queue after the chart, the cell and the group", () => {
    expect(cellFrom(cell)).toBe("First error: predicted 3, true 5");
    expect(queueName(cell, scope, "gold")).toBe("First error: predicted 3, true 5 (Step-level, ProcessBench gsm8k)");
    expect(queueName(cell, { ...scope, source: "gsm8k" }, "human")).toBe("First error: predicted 3, true 5 (Step-level, ProcessBench gsm8k, gsm8k, against human labels)");
    expect(queueName(cell, null, "gold")).toBe("First error: predicted 3, true 5 (all tasks)");
  });
});
