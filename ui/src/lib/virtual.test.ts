import { describe, expect, it } from "vitest";
import type { SamplePage } from "./api/generated/SamplePage";
import type { SampleRow } from "./api/generated/SampleRow";
import { PageWindow, pagesOf, pagesToEvict, scrollToReveal, visibleRange } from "./virtual";

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
