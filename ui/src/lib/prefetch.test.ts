// Samples fetched ahead: a neighbour is fetched once and shown from memory, a decision drops the
// sample's cached detail (an answer that arrives after that is not kept), and the texts rendered
// ahead are exactly those the sample view renders.
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import { AppState } from "./app.svelte";
import { ApiClient, type CommandName, type Transport } from "./api/client";
import type { SampleDetail } from "./api/generated/SampleDetail";
import type { SampleRow } from "./api/generated/SampleRow";
import { DetailCache, Prerenderer, textsOf } from "./prefetch";
import { clearRenderCache, renderMarkdown, renderStats } from "./render/markdown";
import SampleView from "./components/SampleView.svelte";
import { judgment, label, pairSample, responseSample, stepSample } from "./testing/fixtures";

const settle = () => new Promise((r) => setTimeout(r, 0));

/** A fetch whose answers the test releases by hand. */
function manual() {
  const calls: { id: number; run?: number; resolve: (d: SampleDetail) => void; reject: (e: Error) => void }[] = [];
  const fetchDetail = (id: number, run?: number) =>
    new Promise<SampleDetail>((resolve, reject) => calls.push({ id, run, resolve, reject }));
  return { calls, fetchDetail };
}

describe("DetailCache", () => {
  it("fetches a neighbour once and hands it over when it opens", async () => {
    const { calls, fetchDetail } = manual();
    const fetched: number[] = [];
    const cache = new DetailCache(fetchDetail, 6, (d) => fetched.push(d.id));
    cache.prefetch(8);
    cache.prefetch(8);
    expect(calls.map((c) => c.id)).toEqual([8]);
    expect(cache.takeReady(8)).toBeNull(); // still on its way
    calls[0].resolve(stepSample({ id: 8 }));
    await settle();
    expect(fetched).toEqual([8]);
    expect(cache.takeReady(8)?.id).toBe(8);
    // taken: the next visit asks the server again
    expect(cache.has(8)).toBe(false);
  });

  it("take waits for a prefetch on its way instead of asking again", async () => {
    const { calls, fetchDetail } = manual();
    const cache = new DetailCache(fetchDetail);
    cache.prefetch(8, 3);
    const taken = cache.take(8, 3);
    calls[0].resolve(stepSample({ id: 8 }));
    expect((await taken).id).toBe(8);
    expect(calls).toHaveLength(1);
    // another run's view of the sample is another entry
    void cache.take(8);
    expect(calls.map((c) => c.run)).toEqual([3, undefined]);
  });

  it("a decision drops the sample, and an answer that arrives later is not kept", async () => {
    const { calls, fetchDetail } = manual();
    const cache = new DetailCache(fetchDetail);
    cache.prefetch(8);
    cache.prefetch(8, 2);
    cache.prefetch(9);
    cache.invalidate(8);
    expect(cache.has(8)).toBe(false);
    expect(cache.has(8, 2)).toBe(false);
    expect(cache.has(9)).toBe(true);
    calls[0].resolve(stepSample({ id: 8 }));
    await settle();
    expect(cache.takeReady(8)).toBeNull();
  });

  it("a failed prefetch is forgotten; the oldest entries go past the limit", async () => {
    const { calls, fetchDetail } = manual();
    const cache = new DetailCache(fetchDetail, 2);
    cache.prefetch(1);
    calls[0].reject(new Error("gone"));
    await settle();
    expect(cache.has(1)).toBe(false);
    cache.prefetch(2);
    cache.prefetch(3);
    cache.prefetch(4);
    expect([2, 3, 4].map((id) => cache.has(id))).toEqual([false, true, true]);
  });
});

describe("Prerenderer", () => {
  it("renders what it was given, a slice at a time, while the page is idle", async () => {
    const done: string[] = [];
    const pre = new Prerenderer((t) => done.push(t));
    pre.add(["a", "b"]);
    pre.add(["c"]);
    expect(done).toEqual([]); // nothing during the caller's task
    for (let i = 0; i < 10 && pre.pending() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual(["a", "b", "c"]);
  });
});

describe("textsOf", () => {
  const idle: Transport = { call: () => new Promise(() => {}) };
  const samples: [string, SampleDetail][] = [
    ["step-level", stepSample({ judgments: [judgment({ critique: "step $2$ is wrong", analysis: "think $x$" })] }, 6)],
    ["pairwise", pairSample()],
    ["reference-based", responseSample()],
  ];
  for (const [task, detail] of samples) {
    it(`${task}: the view renders nothing beyond the texts rendered ahead`, () => {
      clearRenderCache();
      for (const text of textsOf(detail)) renderMarkdown(text);
      const ahead = renderStats().renders;
      const app = new AppState(new ApiClient(idle));
      app.detail = detail;
      const target = document.createElement("div");
      document.body.append(target);
      const view = mount(SampleView, { target, props: { app } });
      flushSync();
      expect(target.querySelector(".sample-head .id")?.textContent).toBe(`#${detail.id}`);
      expect(renderStats().renders).toBe(ahead);
      unmount(view);
    });
  }
});

describe("the app fetches ahead", () => {
  // a sample from memory is shown in the frame after the one that moves the selection
  const settle = () => new Promise((r) => setTimeout(r, 120));
  const row = (id: number): SampleRow => ({
    id,
    dataset: "d",
    dataset_id: 1,
    external_id: String(id),
    task: "step-level",
    source: null,
    question: "q",
    step_count: 5,
    gold: "3",
    parse_state: "parsed",
    verdict: "2",
    agrees_with_gold: false,
    decision: null,
  });

  function server() {
    const calls: string[] = [];
    const labels = new Map<number, string>();
    const hold = { decisions: false, release: () => {} };
    const transport: Transport = {
      async call(command: CommandName, args: unknown) {
        if (command === "samples") return { rows: [1, 2, 3, 4, 5].map(row), next_after: null };
        if (command === "counts") return { matching: 5, reviewed: 0 };
        if (command === "sample") {
          const id = (args as { id: number }).id;
          calls.push(`sample ${id}`);
          return stepSample({ id, label: label({ decision: (labels.get(id) ?? "unreviewed") as "unreviewed" }) });
        }
        if (command === "decide") {
          const request = (args as { request: { sample_id: number } }).request;
          calls.push(`decide ${request.sample_id}`);
          if (hold.decisions) await new Promise<void>((r) => (hold.release = r));
          labels.set(request.sample_id, "corrected");
          return label({ decision: "corrected", verdict: "4" });
        }
        return new Promise(() => {});
      },
    };
    return { calls, hold, app: new AppState(new ApiClient(transport)) };
  }

  it("j shows the next sample from memory, with no request of its own", async () => {
    const { app, calls } = server();
    await app.reload();
    await settle();
    expect(app.detail?.id).toBe(1);
    expect(calls).toEqual(["sample 1", "sample 2", "sample 3"]);
    app.move(1);
    await settle();
    expect(app.detail?.id).toBe(2);
    expect(app.loadingDetail).toBe(false);
    // nothing asked for sample 2 again; the next ones and the one left behind are fetched ahead
    expect(calls.slice(3)).toEqual(["sample 4", "sample 1"]);
  });

  it("a second press before the frame supersedes the first: the last sample is shown", async () => {
    const { app } = server();
    await app.reload();
    await settle();
    app.move(1);
    await new Promise((r) => setTimeout(r, 0)); // the next key event, before the next frame
    app.move(1);
    await settle();
    expect(app.detail?.id).toBe(3);
    expect(app.selectedIndex).toBe(2);
  });

  it("a decision on a sample drops its detail fetched ahead: going back shows the new label", async () => {
    const { app, calls } = server();
    await app.reload();
    await settle();
    app.move(1); // on 2; 1 is fetched ahead again (k)
    await settle();
    expect(app.details.has(1)).toBe(true);
    app.move(-1); // back on 1, from memory
    await settle();
    app.decide("4");
    await settle();
    expect(app.detail?.label.decision).toBe("corrected");
    app.move(1); // on 2: 1 is fetched ahead after the decision
    await settle();
    app.move(-1);
    await settle();
    expect(app.detail?.id).toBe(1);
    expect(app.detail?.label.decision).toBe("corrected");
    expect(calls.filter((c) => c === "decide 1")).toHaveLength(1);
  });

  it("a detail fetched ahead while a decision was on its way is not shown", async () => {
    const { app, calls, hold } = server();
    await app.reload();
    await settle();
    hold.decisions = true;
    app.decide("4"); // on 1; the server has not stored it yet
    app.move(1); // on 2 at once: 1 is fetched ahead, with the label from before the decision
    await settle();
    expect(calls.slice(-1)).toEqual(["sample 1"]);
    hold.release(); // the decision is stored and answered
    await settle();
    app.move(-1);
    await settle();
    expect(app.detail?.id).toBe(1);
    expect(app.detail?.label.decision).toBe("corrected");
  });
});
