import { describe, expect, it } from "vitest";
import type { SamplePage } from "./api/generated/SamplePage";
import type { SampleRow } from "./api/generated/SampleRow";
import {
  MAX_LIST_PX,
  PageWindow,
  WALK_PAGES,
  contentTop,
  listScale,
  pagesOf,
  pagesToEvict,
  rowOffset,
  scrollTopFor,
  scrollToReveal,
  visibleRange,
} from "./virtual";

describe("visibleRange", () => {
  it("covers the viewport plus overscan, clamped to the list", () => {
    expect(visibleRange(0, 460, 46, 1_000_000, 5)).toEqual({ start: 0, end: 16 });
    expect(visibleRange(46 * 500_000, 460, 46, 1_000_000, 5)).toEqual({ start: 499_995, end: 500_016 });
    expect(visibleRange(46 * 999_995, 460, 46, 1_000_000, 5)).toEqual({ start: 999_990, end: 1_000_000 });
  });
  it("renders a bounded number of rows however long the list", () => {
    for (const total of [10, 1000, 1_000_000]) {
      const { start, end } = visibleRange(46 * (total / 2), 900, 46, total);
      expect(end - start).toBeLessThanOrEqual(Math.ceil(900 / 46) + 1 + 16);
    }
  });
  it("is empty for an empty list", () => {
    expect(visibleRange(0, 500, 46, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe("scrollToReveal", () => {
  it("scrolls only as far as needed", () => {
    expect(scrollToReveal(5, 0, 460, 46)).toBe(0);
    expect(scrollToReveal(10, 0, 460, 46)).toBe(46);
    expect(scrollToReveal(2, 460, 460, 46)).toBe(92);
  });
});

describe("listScale", () => {
  it("draws a list at its own height while it fits", () => {
    const s = listScale(100_000, 46, 600);
    expect(s).toEqual({ height: 4_600_000, factor: 1 });
    expect(rowOffset(500, 46, 12_345, s)).toBe(23_000);
    expect(contentTop(12_345, s)).toBe(12_345);
  });

  it("caps a taller list and keeps its first and last rows reachable", () => {
    const total = 1_000_000;
    const s = listScale(total, 46, 600);
    expect(s.height).toBe(MAX_LIST_PX);
    expect(s.factor).toBeGreaterThan(2.8);
    // the far end of the scroll range shows the last row at the bottom of the viewport
    const end = s.height - 600;
    const top = contentTop(end, s);
    expect(visibleRange(top, 600, 46, total, 0).end).toBe(total);
    expect(rowOffset(total - 1, 46, end, s)).toBeCloseTo(end + 600 - 46, 6);
    // the top is exact, and a row revealed by scrollTopFor is at the viewport's top
    expect(visibleRange(contentTop(0, s), 600, 46, total, 0).start).toBe(0);
    const at = scrollTopFor(700_000 * 46, s);
    expect(rowOffset(700_000, 46, at, s)).toBeCloseTo(at, 6);
  });
});

describe("pages", () => {
  it("pagesOf lists the pages of a row range", () => {
    expect(pagesOf(0, 1, 200)).toEqual([0]);
    expect(pagesOf(190, 410, 200)).toEqual([0, 1, 2]);
    expect(pagesOf(5, 5, 200)).toEqual([]);
  });
  it("pagesToEvict drops the farthest", () => {
    expect(pagesToEvict([0, 1, 2, 3, 4, 5], 5, 4)).toEqual([0, 1]);
    expect(pagesToEvict([0, 1], 0, 4)).toEqual([]);
  });
});

/** A fake server over ids 1..n (every third id missing), keyset-paged like the real one. */
function server(n: number) {
  const ids = Array.from({ length: n }, (_, i) => i + 1).filter((id) => id % 3 !== 0);
  const calls: number[] = [];
  const fetchPage = async (after: number, limit: number): Promise<SamplePage> => {
    calls.push(after);
    const rows = ids.filter((id) => id > after).slice(0, limit).map((id) => ({ id }) as SampleRow);
    return { rows, next_after: rows.length === limit ? rows[rows.length - 1].id : null };
  };
  return { ids, calls, fetchPage };
}

describe("PageWindow", () => {
  it("loads only the pages the viewport needs", async () => {
    const s = server(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4);
    await w.ensure(0, 30);
    expect(s.calls).toEqual([0]);
    expect(w.row(0)?.id).toBe(1);
    expect(w.row(2)?.id).toBe(4);
    expect(w.row(150)).toBeUndefined();
  });

  it("walks keyset cursors to a later page and keeps at most maxPages", async () => {
    const s = server(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4);
    await w.ensure(1000, 1030);
    expect(w.row(1000)?.id).toBe(s.ids[1000]);
    expect(w.loadedPages().length).toBeLessThanOrEqual(4);
    // going back reuses the known cursor: one request, no walk
    s.calls.length = 0;
    await w.ensure(0, 10);
    expect(s.calls).toEqual([0]);
    await w.ensure(500, 510);
    expect(s.calls.length).toBe(2);
    expect(w.row(500)?.id).toBe(s.ids[500]);
  });

  it("learns the end of the list", async () => {
    const s = server(300);
    const w = new PageWindow(s.fetchPage, 100, 4);
    await w.ensure(0, 1000);
    expect(w.lastPage).not.toBeNull();
    expect(w.knownLength()).toBe(s.ids.length);
  });

  it("fetches a page once when asked twice at the same time", async () => {
    const s = server(1000);
    const w = new PageWindow(s.fetchPage, 100, 4);
    await Promise.all([w.ensure(0, 10), w.ensure(5, 20)]);
    expect(s.calls).toEqual([0]);
  });

  it("patches a loaded row and finds rows by id", async () => {
    const s = server(1000);
    let changes = 0;
    const w = new PageWindow(s.fetchPage, 100, 4, () => changes++);
    await w.ensure(0, 10);
    w.patch(4, { decision: "accepted" });
    expect(w.row(2)?.decision).toBe("accepted");
    expect(w.indexOfId(4)).toBe(2);
    expect(w.indexOfId(3)).toBeNull();
    expect(changes).toBe(2);
  });
});

describe("PageWindow far jumps", () => {
  /** The fake server, with `locate` answering the id at a position (null past the end). */
  function located(n: number) {
    const s = server(n);
    const located: number[] = [];
    const locate = async (position: number) => {
      located.push(position);
      return s.ids[position] ?? null;
    };
    return { ...s, located, locate };
  }

  it("reaches a far page with one locate and one page, not a walk", async () => {
    const s = located(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, s.locate);
    await w.ensure(50_000, 50_030);
    expect(s.located).toEqual([49_999]);
    expect(s.calls).toEqual([s.ids[49_999]]);
    expect(w.row(50_000)?.id).toBe(s.ids[50_000]);
    expect(w.row(50_029)?.id).toBe(s.ids[50_029]);
    // known so far: up to the end of the page after it, whose start this page gave
    expect(w.knownLength()).toBe(50_200);
    // the next page is known from this one: no second locate
    await w.ensure(50_100, 50_110);
    expect(s.located).toEqual([49_999]);
    expect(w.row(50_100)?.id).toBe(s.ids[50_100]);
  });

  it("locates once for a viewport across two far pages", async () => {
    const s = located(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, s.locate);
    await w.ensure(49_990, 50_010);
    expect(s.located).toEqual([49_899]);
    expect(s.calls).toEqual([s.ids[49_899], s.ids[49_999]]);
    expect(w.row(49_990)?.id).toBe(s.ids[49_990]);
    expect(w.row(50_009)?.id).toBe(s.ids[50_009]);
  });

  it("walks to a page near a known start", async () => {
    const s = located(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, s.locate);
    await w.ensure(WALK_PAGES * 100, WALK_PAGES * 100 + 10);
    expect(s.located).toEqual([]);
    expect(s.calls.length).toBe(WALK_PAGES + 1);
    expect(w.row(WALK_PAGES * 100)?.id).toBe(s.ids[WALK_PAGES * 100]);
  });

  it("reaches the last row and learns the end", async () => {
    const s = located(100_000);
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, s.locate);
    const n = s.ids.length;
    await w.ensure(n - 20, n);
    expect(w.row(n - 1)?.id).toBe(s.ids[n - 1]);
    expect(w.lastPage).toBe(Math.floor((n - 1) / 100));
    expect(w.knownLength()).toBe(n);
  });

  it("leaves a page past the end empty", async () => {
    const s = located(1000);
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, s.locate);
    await w.ensure(5000, 5010);
    expect(s.located).toEqual([4999]);
    expect(w.row(5000)).toBeUndefined();
    expect(w.loadedPages()).toEqual([]);
  });

  it("asks one locate at a time and skips pages the viewport left meanwhile", async () => {
    const s = server(100_000);
    const pending: (() => void)[] = [];
    const located: number[] = [];
    const locate = (position: number) =>
      new Promise<number | null>((resolve) => {
        located.push(position);
        pending.push(() => resolve(s.ids[position] ?? null));
      });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const w = new PageWindow(s.fetchPage, 100, 4, () => {}, locate);
    // a scroll thumb dragged over three far places while the first answer is awaited
    const jumps = [w.ensure(10_000, 10_010)];
    await tick();
    expect(located).toEqual([9_999]);
    jumps.push(w.ensure(20_000, 20_010), w.ensure(60_000, 60_010));
    await tick();
    expect(located).toEqual([9_999]);
    pending.shift()?.();
    await tick();
    // page 200 was left before its turn: the next locate is for where the thumb stopped
    expect(located).toEqual([9_999, 59_999]);
    pending.shift()?.();
    await Promise.all(jumps);
    expect(w.row(60_000)?.id).toBe(s.ids[60_000]);
    expect(w.row(20_000)).toBeUndefined();
    // asked again later, page 200 is reached then
    const again = w.ensure(20_000, 20_010);
    await tick();
    expect(located).toEqual([9_999, 59_999, 19_999]);
    pending.shift()?.();
    await again;
    expect(w.row(20_000)?.id).toBe(s.ids[20_000]);
  });
});
