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

/**
 * Browsers cap an element's height (Chromium and WebKit at 33,554,428 px, Firefox near 17.9M px),
 * so a list taller than this is drawn this tall and its scroll positions are scaled to its rows.
 */
export const MAX_LIST_PX = 16_000_000;

/** How a list is drawn: its height, and content pixels per scroll pixel (1 unless capped). */
export interface ListScale {
  height: number;
  factor: number;
}

/**
 * The drawn height of `total` rows and the scale of its scroll positions. Past the cap, the scroll
 * range [0, max - viewport] maps linearly onto the rows' [0, content - viewport], so the top and
 * the far end stay exact; a wheel step then moves `factor` times as far (about 2.9 at 1M rows).
 */
export function listScale(total: number, rowHeight: number, viewportHeight: number, max = MAX_LIST_PX): ListScale {
  const content = Math.max(0, total * rowHeight);
  if (content <= max) return { height: content, factor: 1 };
  return { height: max, factor: Math.max(0, content - viewportHeight) / Math.max(1, max - viewportHeight) };
}

/** The content offset (row index × row height) at the top of the viewport for a scrollTop. */
export function contentTop(scrollTop: number, scale: ListScale): number {
  return scrollTop * scale.factor;
}

/** The scrollTop that puts content offset `top` at the top of the viewport. */
export function scrollTopFor(top: number, scale: ListScale): number {
  return top / scale.factor;
}

/**
 * Where row `index` is drawn inside the list (its `translateY`): at its own offset when unscaled,
 * else relative to the viewport, so that it shows at `index × rowHeight − contentTop`.
 */
export function rowOffset(index: number, rowHeight: number, scrollTop: number, scale: ListScale): number {
  if (scale.factor === 1) return index * rowHeight;
  return index * rowHeight - contentTop(scrollTop, scale) + scrollTop;
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
/** The id of the row at a position of the list (from 0), `null` when the list is shorter. */
export type LocateRow = (position: number) => Promise<number | null>;

/** A page this many pages past a known cursor is reached by walking; farther, by `locate`. */
export const WALK_PAGES = 2;

/**
 * Pages of one query. Page k starts after `cursors[k]` (page 0 after 0). A page whose cursor is
 * not known yet is reached by walking from the nearest known one (keyset paging has no offsets),
 * or, when it is more than `WALK_PAGES` away and a `locate` is given, by asking for the row just
 * before it: one query however far (the server's cost grows with the position, but in SQLite's C
 * code). One `locate` is in flight at a time, and a page the viewport left while it waited is
 * skipped, so a dragged scroll thumb costs one query for where it stops, not one per scroll event.
 */
export class PageWindow {
  private pages = new Map<number, SampleRow[]>();
  /** Known page starts: page → the id before its first row. */
  private cursors = new Map<number, number>([[0, 0]]);
  private farthestCursor = 0;
  private inflight = new Map<number, Promise<void>>();
  private locating: Promise<void> = Promise.resolve();
  /** The pages the last `ensure` asked for. */
  private wanted = { first: 0, last: 0 };
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
    private readonly locate: LocateRow | null = null,
  ) {}

  /** The row at a position, when its page is loaded. */
  row(index: number): SampleRow | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Loaded pages (for tests and eviction). */
  loadedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** Rows known to exist: exact once the end was seen, else up to the farthest known page start. */
  knownLength(): number {
    if (this.lastPage !== null) return this.lastPage * this.pageSize + this.lastPageRows;
    return (this.farthestCursor + 1) * this.pageSize;
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
    if (wanted.length > 0) this.wanted = { first: wanted[0], last: wanted[wanted.length - 1] };
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
      if (!this.cursors.has(page)) await this.reach(page);
      const after = this.cursors.get(page);
      // Past the end, or skipped because the viewport moved on.
      if (after === undefined || (this.lastPage !== null && page > this.lastPage)) return;
      const result = await this.fetchPage(after, this.pageSize);
      this.pages.set(page, result.rows);
      if (result.next_after === null) {
        this.lastPage = page;
        this.lastPageRows = result.rows.length;
        for (const p of this.cursors.keys()) if (p > page) this.cursors.delete(p);
        this.farthestCursor = Math.min(this.farthestCursor, page);
      } else if (!this.cursors.has(page + 1)) {
        this.setCursor(page + 1, result.next_after);
      }
      this.changed();
    })().finally(() => this.inflight.delete(page));
    this.inflight.set(page, job);
    return job;
  }

  /** Learns where `page` starts: by walking from the nearest known start, or by `locate`. */
  private async reach(page: number): Promise<void> {
    // The page before it, on its way, gives this page's start when it arrives.
    const before = this.inflight.get(page - 1);
    if (before) {
      await before;
      if (this.cursors.has(page)) return;
    }
    let known = page;
    while (!this.cursors.has(known)) known--;
    if (this.locate !== null && page - known > WALK_PAGES) return this.locateStart(page);
    // walk; intermediate pages are kept only if near
    for (let k = known; !this.cursors.has(page); k++) {
      await this.load(k);
      if (k < page - this.maxPages) this.pages.delete(k);
      if ((this.lastPage !== null && this.lastPage <= k) || !this.cursors.has(k + 1)) return;
    }
  }

  private locateStart(page: number): Promise<void> {
    const locate = this.locate as LocateRow;
    const job = this.locating.then(async () => {
      const stillWanted = page >= this.wanted.first - 1 && page <= this.wanted.last + 1;
      if (this.cursors.has(page) || !stillWanted) return;
      const id = await locate(page * this.pageSize - 1);
      if (id !== null && !(this.lastPage !== null && page > this.lastPage)) this.setCursor(page, id);
    });
    this.locating = job.catch(() => {});
    return job;
  }

  private setCursor(page: number, after: number): void {
    this.cursors.set(page, after);
    this.farthestCursor = Math.max(this.farthestCursor, page);
  }

  private changed(): void {
    this.version++;
    this.onChange();
  }
}
