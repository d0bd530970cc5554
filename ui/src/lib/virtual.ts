// The queue's virtual list: which rows are on screen (pure arithmetic), and a window of pages of
// the keyset-paged sample list. The queue never loads all ids: it keeps at most `maxPages` pages
// near the viewport plus each page's start cursor (one number per page), and refetches a page it
// dropped when the user scrolls back.
import type { SamplePage } from "./api/generated/SamplePage";
import type { SampleRow } from "./api/generated/SampleRow";

/** Rows [start, end) to render for a viewport, with `overscan` rows either side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { start: number; end: number } {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + shown + overscan);
  return { start, end: Math.max(start, end) };
}

/** The scrollTop that brings row `index` into view (unchanged when it already is). */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return scrollTop;
}

/** The pages of [start, end). */
export function pagesOf(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}

/** Pages to drop: the farthest from `centre` beyond `maxPages`. */
export function pagesToEvict(loaded: number[], centre: number, maxPages: number): number[] {
  if (loaded.length <= maxPages) return [];
  return [...loaded].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre)).slice(0, loaded.length - maxPages);
}

export type FetchPage = (after: number, limit: number) => Promise<SamplePage>;

/**
 * Pages of one query. Page k starts after `cursors[k]` (page 0 after 0). A page whose cursor is
 * not known yet is reached by walking from the nearest known one (keyset paging has no offsets).
 */
export class PageWindow {
  private pages = new Map<number, SampleRow[]>();
  private cursors: number[] = [0];
  private inflight = new Map<number, Promise<void>>();
  /** The last page, once a page came back with `next_after: null`. */
  lastPage: number | null = null;
  private lastPageRows = 0;
  /** Bumped on every change, for views that redraw on it. */
  version = 0;

  constructor(
    private readonly fetchPage: FetchPage,
    readonly pageSize = 200,
    readonly maxPages = 12,
    private readonly onChange: () => void = () => {},
  ) {}

  /** The row at a position, when its page is loaded. */
  row(index: number): SampleRow | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Loaded pages (for tests and eviction). */
  loadedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** Rows known to exist: exact once the end was seen, else what is loaded or reachable. */
  knownLength(): number {
    if (this.lastPage !== null) return this.lastPage * this.pageSize + this.lastPageRows;
    return this.cursors.length * this.pageSize;
  }

  /** Where row `index` is, when loaded. */
  indexOfId(id: number): number | null {
    for (const [p, rows] of this.pages) {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) return p * this.pageSize + i;
    }
    return null;
  }

  /** Changes a loaded row in place (after a decision). */
  patch(id: number, change: Partial<SampleRow>): void {
    for (const rows of this.pages.values()) {
      const row = rows.find((r) => r.id === id);
      if (row) {
        Object.assign(row, change);
        this.changed();
        return;
      }
    }
  }

  /** Loads the pages covering rows [start, end) and drops far ones. */
  async ensure(start: number, end: number): Promise<void> {
    const wanted = pagesOf(start, end, this.pageSize).filter((p) => this.lastPage === null || p <= this.lastPage);
    await Promise.all(wanted.map((p) => this.load(p)));
    const centre = Math.floor(start / this.pageSize);
    for (const p of pagesToEvict(this.loadedPages(), centre, Math.max(this.maxPages, wanted.length))) {
      this.pages.delete(p);
    }
  }

  private load(page: number): Promise<void> {
    if (this.pages.has(page)) return Promise.resolve();
    const running = this.inflight.get(page);
    if (running) return running;
    const job = (async () => {
      // walk from the nearest known cursor; intermediate pages are kept only if near
      while (this.cursors.length <= page) {
        const k = this.cursors.length - 1;
        await this.load(k);
        if (k < page - this.maxPages) this.pages.delete(k);
        if (this.lastPage !== null && this.lastPage <= k) return;
      }
      const result = await this.fetchPage(this.cursors[page], this.pageSize);
      this.pages.set(page, result.rows);
      if (result.next_after === null) {
        this.lastPage = page;
        this.lastPageRows = result.rows.length;
        this.cursors.length = page + 1;
      } else if (this.cursors.length === page + 1) {
        this.cursors.push(result.next_after);
      }
      this.changed();
    })().finally(() => this.inflight.delete(page));
    this.inflight.set(page, job);
    return job;
  }

  private changed(): void {
    this.version++;
    this.onChange();
  }
}
