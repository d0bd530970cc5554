// A sample's texts by task: what each task's view shows under the problem, in order.
import { describe, expect, it } from "vitest";
import { contentTexts, stepsOf } from "./samples";
import { pairSample, responseSample, stepSample } from "./testing/fixtures";

describe("a sample's own texts", () => {
  it("a step-level sample shows its steps; the others have none", () => {
    expect(stepsOf(stepSample({}, 3)).map((s) => s.index)).toEqual([0, 1, 2]);
    expect(stepsOf(pairSample())).toEqual([]);
    expect(contentTexts(stepSample({}, 2)).map((c) => c.title)).toEqual(["Step 0", "Step 1"]);
  });

  it("a pair shows A then B; a verification its response then its reference", () => {
    expect(contentTexts(pairSample()).map((c) => c.text)).toEqual(["A says 4", "B says 5"]);
    expect(contentTexts(responseSample())).toEqual([
      { title: "Response", text: "it is $4$" },
      { title: "Reference answer", text: "**4**" },
    ]);
  });

  it("a rating shows the reference and rubric only when the data has them", () => {
    const rating = { ...responseSample(), task: "rating" as const, rubric: null, reference: null };
    expect(contentTexts(rating).map((c) => c.title)).toEqual(["Response"]);
    expect(contentTexts({ ...rating, rubric: "1 to 10" }).map((c) => c.title)).toEqual(["Response", "Rubric"]);
  });
});
