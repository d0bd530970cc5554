import { describe, expect, it } from "vitest";
import { judgment, label, pairSample, stepSample } from "./testing/fixtures";
import { evaluatorVerdict, pairOrders, primaryJudgment, rowMarker, sourcesFor, traceMarks } from "./verdicts";

describe("traceMarks", () => {
  it("marks the predicted step, dims the steps after it, marks gold apart", () => {
    const d = stepSample();
    const m = traceMarks(d, primaryJudgment(d));
    expect(m.steps.map((s) => s.predicted)).toEqual([false, false, true, false, false]);
    expect(m.steps.map((s) => s.dimmed)).toEqual([false, false, false, true, true]);
    expect(m.steps.map((s) => s.gold)).toEqual([false, false, false, true, false]);
    expect(m.noError).toEqual({ predicted: false, gold: false, human: false, heat: null });
    expect(m.hasHeat).toBe(false);
    expect(m.steps.every((s) => s.heat === null)).toBe(true);
  });

  it("a -1 verdict marks the no-error cell and dims nothing", () => {
    const d = stepSample({ gold: "-1", judgments: [judgment({ verdict: "-1" })] });
    const m = traceMarks(d, primaryJudgment(d));
    expect(m.steps.some((s) => s.predicted || s.dimmed || s.gold)).toBe(false);
    expect(m.noError.predicted).toBe(true);
    expect(m.noError.gold).toBe(true);
  });

  it("an unparseable or truncated judgment marks no step", () => {
    for (const state of ["unparseable", "truncated"]) {
      const d = stepSample({ judgments: [judgment({ state, verdict: null, reason: "no Verdict line" })] });
      const m = traceMarks(d, primaryJudgment(d));
      expect(m.steps.some((s) => s.predicted || s.dimmed)).toBe(false);
      expect(m.noError.predicted).toBe(false);
      expect(m.steps[3].gold).toBe(true);
    }
  });

  it("heat comes from verdict_probs, -1 into the no-error cell, missing steps as 0", () => {
    const d = stepSample({
      judgments: [
        judgment({
          verdict_probs: [
            { verdict: "-1", p: 0.1 },
            { verdict: "2", p: 0.6 },
            { verdict: "3", p: 0.3 },
          ],
        }),
      ],
    });
    const m = traceMarks(d, primaryJudgment(d));
    expect(m.hasHeat).toBe(true);
    expect(m.steps.map((s) => s.heat)).toEqual([0, 0, 0.6, 0.3, 0]);
    expect(m.noError.heat).toBe(0.1);
  });

  it("the human label is marked only once reviewed", () => {
    const corrected = stepSample({ label: label({ decision: "corrected", verdict: "1" }) });
    expect(traceMarks(corrected, primaryJudgment(corrected)).steps[1].human).toBe(true);
    const none = stepSample({ label: label({ decision: "corrected", verdict: "-1" }) });
    expect(traceMarks(none, primaryJudgment(none)).noError.human).toBe(true);
    const unreviewed = stepSample();
    expect(traceMarks(unreviewed, primaryJudgment(unreviewed)).steps.some((s) => s.human)).toBe(false);
  });

  it("a K-attempt majority is the verdict drawn and accepted", () => {
    const d = stepSample({
      judgments: [judgment({ id: 1, verdict: "2" }), judgment({ id: 2, attempt: 1, verdict: "4" }), judgment({ id: 3, attempt: 2, verdict: "4" })],
      votes: [{ run_id: 1, swapped: false, verdict: "4", votes: 2, of: 3 }],
    });
    const j = primaryJudgment(d);
    expect(j?.id).toBe(1);
    expect(evaluatorVerdict(d, j)).toBe("4");
    expect(traceMarks(d, j).steps[4].predicted).toBe(true);
  });
});

describe("primaryJudgment", () => {
  it("takes the shown run's original order, first attempt", () => {
    const d = pairSample({
      shown_run: 2,
      judgments: [
        judgment({ id: 1, run_id: 1 }),
        judgment({ id: 5, run_id: 2, swapped: true }),
        judgment({ id: 4, run_id: 2, attempt: 1 }),
        judgment({ id: 3, run_id: 2, attempt: 0 }),
      ],
    });
    expect(primaryJudgment(d)?.id).toBe(3);
  });
  it("is none when no run is shown", () => {
    expect(primaryJudgment(stepSample({ shown_run: null }))).toBeNull();
  });
});

describe("pairOrders", () => {
  it("two different verdicts (in the data's labels) are a flip", () => {
    const o = pairOrders(pairSample());
    expect(o.original.verdict).toBe("A");
    expect(o.swapped.verdict).toBe("B");
    expect(o.flip).toBe(true);
    expect(o.consistent).toBe(false);
  });
  it("the same verdict in both orders is consistent", () => {
    const o = pairOrders(pairSample({ judgments: [judgment({ verdict: "B" }), judgment({ id: 2, swapped: true, verdict: "B" })] }));
    expect(o.flip).toBe(false);
    expect(o.consistent).toBe(true);
  });
  it("an unreadable order is neither flip nor consistent", () => {
    const o = pairOrders(pairSample({ judgments: [judgment({ verdict: "A" }), judgment({ id: 2, swapped: true, state: "truncated", verdict: null })] }));
    expect(o.swapped.state).toBe("truncated");
    expect(o.swapped.verdict).toBeNull();
    expect(o.flip).toBe(false);
    expect(o.consistent).toBe(false);
  });
  it("without swapped judgments the swapped order is not judged", () => {
    const o = pairOrders(pairSample({ judgments: [judgment({ verdict: "A" })] }));
    expect(o.swapped.state).toBe("not judged");
    expect(o.flip).toBe(false);
  });
  it("only the shown run counts", () => {
    const o = pairOrders(
      pairSample({ shown_run: 2, judgments: [judgment({ run_id: 1, verdict: "A" }), judgment({ id: 2, run_id: 1, swapped: true, verdict: "B" })] }),
    );
    expect(o.original.state).toBe("not judged");
    expect(o.flip).toBe(false);
  });
});

describe("rowMarker", () => {
  it("names each evaluator outcome", () => {
    expect(rowMarker({ parse_state: null, agrees_with_gold: null })).toBe("none");
    expect(rowMarker({ parse_state: "truncated", agrees_with_gold: null })).toBe("failed");
    expect(rowMarker({ parse_state: "parsed", agrees_with_gold: true })).toBe("agree");
    expect(rowMarker({ parse_state: "parsed", agrees_with_gold: false })).toBe("disagree");
    expect(rowMarker({ parse_state: "parsed", agrees_with_gold: null })).toBe("no-gold");
  });
});

describe("source filter choices", () => {
  const sources = [
    { dataset_id: 1, source: "math", sample_count: 3 },
    { dataset_id: 2, source: "gsm8k", sample_count: 5 },
    { dataset_id: 2, source: "math", sample_count: 4 },
  ];
  it("lists the chosen data set's sources, or every name with its counts added up", () => {
    expect(sourcesFor(sources, 2)).toEqual([["gsm8k", 5], ["math", 4]]);
    expect(sourcesFor(sources, undefined)).toEqual([["gsm8k", 5], ["math", 7]]);
    expect(sourcesFor(sources, 9)).toEqual([]);
  });
});
