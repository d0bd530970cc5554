// Sample details fetched ahead of the keyboard. After a sample opens, the app asks this cache for
// its neighbours in the queue; they are fetched and their texts rendered (render/markdown.ts
// caches HTML by text) while the page is idle, so `j`/`k` show the next sample from memory
// instead of waiting for the server and the renderer.
//
// What it does not do: it never refreshes an entry. A detail is taken out when its sample opens
// (a later visit fetches it again), a decision on a sample drops that sample's entry (app.svelte.ts
// calls `invalidate` before and after sending it), and a new filter, run or import clears it all.
// An answer that arrives after its entry was dropped is not kept.
import type { SampleDetail } from "./api/generated/SampleDetail";
import { renderMarkdown } from "./render/markdown";
import { contentTexts } from "./samples";
import { primaryJudgment } from "./verdicts";

export type FetchDetail = (id: number, run?: number) => Promise<SampleDetail>;

interface Entry {
  promise: Promise<SampleDetail>;
  /** The detail, once it came back. */
  value: SampleDetail | null;
}

export class DetailCache {
  private entries = new Map<string, Entry>();

  /**
   * @param fetchDetail the API's sample call.
   * @param limit entries kept; the oldest are dropped first.
   * @param onFetched called with each prefetched detail as it arrives (to render its texts).
   */
  constructor(
    private readonly fetchDetail: FetchDetail,
    readonly limit = 6,
    private readonly onFetched: (detail: SampleDetail) => void = () => {},
  ) {}

  private static key(id: number, run: number | undefined): string {
    return `${id}:${run ?? ""}`;
  }

  /** Fetches a sample's detail ahead of time, unless it is cached or on its way. */
  prefetch(id: number, run?: number): void {
    const key = DetailCache.key(id, run);
    if (this.entries.has(key)) return;
    const entry: Entry = { promise: this.fetchDetail(id, run), value: null };
    this.entries.set(key, entry);
    entry.promise.then(
      (detail) => {
        if (this.entries.get(key) !== entry) return; // dropped meanwhile: not kept
        entry.value = detail;
        this.onFetched(detail);
      },
      () => {
        // A failed prefetch is forgotten; opening the sample asks again and reports the error.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The detail if it already came back (taken out of the cache), else null. */
  takeReady(id: number, run?: number): SampleDetail | null {
    const key = DetailCache.key(id, run);
    const entry = this.entries.get(key);
    if (!entry || entry.value === null) return null;
    this.entries.delete(key);
    return entry.value;
  }

  /** The detail: cached, on its way, or fetched now; taken out of the cache either way. */
  take(id: number, run?: number): Promise<SampleDetail> {
    const key = DetailCache.key(id, run);
    const entry = this.entries.get(key);
    if (!entry) return this.fetchDetail(id, run);
    this.entries.delete(key);
    return entry.promise;
  }

  /** Forgets a sample (every run's view of it): its label is about to change or has changed. */
  invalidate(id: number): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${id}:`)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Whether a sample's detail is cached or on its way (for tests). */
  has(id: number, run?: number): boolean {
    return this.entries.has(DetailCache.key(id, run));
  }
}

/**
 * The untrusted texts the sample view renders as markdown when a sample opens: the problem, the
 * task's own texts and the critique of the judgment shown first. (The components render exactly
 * these; a test mounts the view after rendering them here and counts no new renders.)
 */
export function textsOf(detail: SampleDetail): string[] {
  const texts = [detail.question];
  texts.push(...contentTexts(detail).map((c) => c.text));
  const judgment = primaryJudgment(detail);
  if (judgment) {
    texts.push(judgment.critique);
    if (judgment.analysis) texts.push(judgment.analysis);
  }
  return texts;
}

/**
 * Renders texts into the renderer's cache while the page is idle, a few at a time, so a key
 * press that comes meanwhile is handled first.
 */
export class Prerenderer {
  private queue: string[] = [];
  private running = false;

  constructor(private readonly render: (text: string) => unknown = renderMarkdown) {}

  add(texts: string[]): void {
    this.queue.push(...texts);
    if (this.running) return;
    this.running = true;
    whileIdle((hasTime) => {
      // at least one per slice, so it always gets on
      do {
        const text = this.queue.shift();
        if (text === undefined) break;
        this.render(text);
      } while (hasTime());
      this.running = this.queue.length > 0;
      return this.running;
    });
  }

  /** Texts still to render. */
  pending(): number {
    return this.queue.length;
  }
}

/** Runs `work` in slices while the page is idle, until it returns false (nothing left). */
export function whileIdle(work: (hasTime: () => boolean) => boolean): void {
  const step = (timeLeft: () => number) => {
    if (work(() => timeLeft() > 2)) schedule();
  };
  const schedule = () => {
    if (typeof requestIdleCallback === "function") {
      requestIdleCallback((d) => step(() => d.timeRemaining()), { timeout: 1000 });
    } else {
      // WebKit has no requestIdleCallback: a task with an 8 ms budget.
      setTimeout(() => {
        const end = performance.now() + 8;
        step(() => end - performance.now());
      }, 1);
    }
  };
  schedule();
}

/**
 * Resolves once the next frame was painted (a message posted from its animation frame callback
 * arrives after the frame's rendering), or after 100 ms where no frame comes (a hidden page).
 */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    if (typeof requestAnimationFrame !== "function") return;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        clearTimeout(timer);
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  });
}
