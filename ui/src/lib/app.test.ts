// The session state against a fake transport: decisions go out at once, the returned label
// replaces the shown one, and a failed call shows a message without losing the user's place.
import { describe, expect, it } from "vitest";
import { AppState } from "./app.svelte";
import { ApiClient, ApiFailure, type CommandName, type Transport } from "./api/client";
import type { DecisionRequest } from "./api/generated/DecisionRequest";
import { label, pairSample, responseSample, stepSample } from "./testing/fixtures";
import { demoReport } from "./testing/report";

function fake(fail = false) {
  const decided: DecisionRequest[] = [];
  const transport: Transport = {
    async call(command: CommandName, args: unknown) {
      if (command === "decide") {
        const request = (args as { request: DecisionRequest }).request;
        decided.push(request);
        if (fail) throw new ApiFailure("the project file is locked", 500);
        const d = request.decision;
        return label({ decision: d.action === "accept" ? "accepted" : "corrected", verdict: "verdict" in d ? d.verdict : null, can_undo: true });
      }
      if (command === "counts") return { matching: 1, reviewed: 1 };
      return new Promise(() => {});
    },
  };
  return { decided, app: new AppState(new ApiClient(transport)) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("decisions", () => {
  it("accept sends the evaluator's verdict with the judgment on screen", async () => {
    const { app, decided } = fake();
    app.detail = stepSample();
    app.accept();
    await settle();
    expect(decided).toEqual([{ sample_id: 7, judgment_id: 1, decision: { action: "accept", verdict: "2" } }]);
    expect(app.detail.label.decision).toBe("accepted");
    expect(app.canUndo()).toBe(true);
  });

  it("choosing the evaluator's own verdict is an accept, another is a correction", async () => {
    const { app, decided } = fake();
    app.detail = stepSample();
    app.decide("2");
    app.decide("4");
    await settle();
    expect(decided.map((d) => d.decision)).toEqual([
      { action: "accept", verdict: "2" },
      { action: "correct", verdict: "4" },
    ]);
  });

  it("a verdict the sample does not admit is refused here, with a message", async () => {
    const { app, decided } = fake();
    app.detail = stepSample();
    app.decide("17");
    await settle();
    expect(decided).toEqual([]);
    expect(app.toasts[0].text).toContain("not a verdict");
  });

  it("pairwise: A/B", async () => {
    const { app, decided } = fake();
    app.detail = pairSample();
    app.decide("B");
    await settle();
    expect(decided[0].decision).toEqual({ action: "correct", verdict: "B" });
  });

  it("a failure is shown and the sample stays open", async () => {
    const { app } = fake(true);
    app.detail = stepSample();
    app.selectedIndex = 41;
    app.decide("4");
    await settle();
    expect(app.toasts.map((t) => t.text)).toEqual(["the project file is locked"]);
    expect(app.detail?.id).toBe(7);
    expect(app.selectedIndex).toBe(41);
    expect(app.detail?.label.decision).toBe("unreviewed");
  });

  it("a label that comes back after the user moved on does not land on the next sample", async () => {
    const { app } = fake();
    app.detail = stepSample();
    app.decide("4");
    app.detail = stepSample({ id: 8 });
    await settle();
    expect(app.detail.id).toBe(8);
    expect(app.detail.label.decision).toBe("unreviewed");
  });
});

describe("after an import", () => {
  function counting() {
    const calls: string[] = [];
    const transport: Transport = {
      async call(command: CommandName) {
        calls.push(command);
        if (command === "overview") return { name: "p", annotator: "ann", samples: 402, datasets: [], runs: [], tags: [], sources: [] };
        if (command === "samples") return { rows: [], next_after: null };
        if (command === "counts") return { matching: 402, reviewed: 0 };
        return new Promise(() => {});
      },
    };
    return { calls, app: new AppState(new ApiClient(transport)) };
  }
  const done = { file: "/d/gsm8k.json", format: "processbench", dataset_id: 2, dataset: "gsm8k", records: 400, samples_added: 400, already_imported: false };

  it("the overview and the queue are read again", async () => {
    const { app, calls } = counting();
    await app.imported(done);
    expect(calls.slice(0, 2)).toEqual(["overview", "samples"]);
    expect(app.overview?.samples).toBe(402);
  });

  it("a file already in the project changes nothing", async () => {
    const { app, calls } = counting();
    await app.imported({ ...done, samples_added: 0, already_imported: true });
    expect(calls).toEqual([]);
  });
});

describe("picked samples", () => {
  it("s toggles the open sample; the picks are judged together in the order picked", () => {
    const { app } = fake();
    const judged: unknown[] = [];
    app.model.judge = async (target) => {
      judged.push(target);
    };
    app.detail = stepSample();
    app.togglePicked();
    app.detail = { ...stepSample(), id: 3 };
    app.togglePicked();
    expect(app.pickedCount()).toBe(2);
    expect(app.isPicked(7) && app.isPicked(3)).toBe(true);
    app.togglePicked();
    expect(app.isPicked(3)).toBe(false);
    app.detail = { ...stepSample(), id: 9 };
    app.togglePicked();
    app.judgePicked();
    expect(judged).toEqual([{ kind: "samples", ids: [7, 9] }]);
    app.clearPicked();
    expect(app.pickedCount()).toBe(0);
  });
});

describe("the analysis view's state", () => {
  function withReport() {
    const transport: Transport = {
      async call(command: CommandName) {
        if (command === "analysis") return demoReport;
        return new Promise(() => {});
      },
    };
    return new AppState(new ApiClient(transport));
  }

  it("opens on the open sample's data set, then keeps the group picked", async () => {
    const app = withReport();
    app.detail = responseSample({ dataset: "reference-based" });
    app.open("report");
    await settle();
    expect(app.report).toEqual(demoReport);
    expect(app.analysisGroup).toBe("reference-based|reference-based|");
    app.stepGroup(1);
    expect(app.analysisGroup).toBe("reference-based|reference-based|demo_model_a");
    app.open(null);
    app.open("report");
    await settle();
    expect(app.analysisGroup).toBe("reference-based|reference-based|demo_model_a");
  });

  it("without an open sample, starts at the first group", async () => {
    const app = withReport();
    app.open("report");
    await settle();
    expect(app.analysisGroup).toBe("pairwise|pairwise|");
    app.stepGroup(-1);
    expect(app.analysisGroup).toBe("pairwise|pairwise|");
  });
});

describe("next unreviewed in a saved queue", () => {
  it("continues after the open sample's rank, not its id", async () => {
    const asked: unknown[] = [];
    const transport: Transport = {
      async call(command: CommandName, args: unknown) {
        asked.push([command, args]);
        if (command === "position") return { position: 4, cursor: 5 };
        if (command === "samples") return { rows: [], next_after: null };
        if (command === "counts") return { matching: 9, reviewed: 0 };
        return new Promise(() => {});
      },
    };
    const app = new AppState(new ApiClient(transport));
    app.filters = { queue: 3 };
    app.detail = stepSample();
    app.selectedIndex = 4;
    await app.nextUnreviewed();
    const samples = asked.filter((a) => (a as [string])[0] === "samples").pop() as [string, { query: { after: number; queue: number; review: string } }];
    expect(asked.some((a) => (a as [string])[0] === "position")).toBe(true);
    expect(samples[1].query).toMatchObject({ after: 5, queue: 3, review: "unreviewed" });
    // Outside a queue the open sample's id is the cursor, with no position asked.
    asked.length = 0;
    app.filters = {};
    await app.nextUnreviewed();
    expect(asked.some((a) => (a as [string])[0] === "position")).toBe(false);
    const plain = asked.filter((a) => (a as [string])[0] === "samples").pop() as [string, { query: { after: number } }];
    expect(plain[1].query.after).toBe(7);
  });
});
