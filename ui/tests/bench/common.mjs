// What the UI benchmarks share: where the binaries and the built UI are, figures (median, p95,
// ratios), and the page probe that times a key press to the frame that shows its effect.
//
// Figures only: nothing here is asserted. Every figure is printed beside a reference measured in
// the same script, or beside the goal, as a ratio.
import { existsSync } from "node:fs";

const root = new URL("../../../", import.meta.url).pathname;
/** `fare-lens` (FARE_LENS, else the debug build of this checkout's target folder). */
export const fareLens = process.env.FARE_LENS ?? `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/fare-lens`;
/** `fare-bench` (FARE_BENCH, else the release build). */
export const fareBench = process.env.FARE_BENCH ?? `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/release/fare-bench`;
/** The built UI. */
export const dist = new URL("../../dist/", import.meta.url).pathname;
export const token = "bench-token-0123456789";

export function requireFile(path, how) {
  if (!existsSync(path)) {
    console.error(`missing ${path}: ${how}`);
    process.exit(2);
  }
}

/** The q-quantile of numbers (nearest rank). */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (values) => quantile(values, 0.5);
export const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "–");
export const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "–");
export const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

/**
 * Installed in the page before its scripts: times every key press from its keydown to painted
 * frames.
 *
 * A capture listener on `window` runs before any handler of the app and notes `performance.now()`
 * (`start`). "After the next paint" is the moment a message posted from a `requestAnimationFrame`
 * callback arrives: rAF callbacks run just before the frame's style, layout and paint, and the
 * message is handled after that frame's rendering work on the main thread (the usual stand-in for
 * `requestPostAnimationFrame`). Compositing and the screen's own refresh come after it and are not
 * counted. So:
 *
 * - `firstPaint`: the first frame after the key, which holds whatever the key changed
 *   synchronously (Svelte flushes its updates in a microtask right after the handler);
 * - `shownPaint`: the first frame in which the open sample's id (`.sample-head .id`) differs from
 *   the one at the key press and the view is not busy: the new sample, fetched from the server
 *   and rendered. Only for presses marked `wantSample`.
 *
 * Both include the wait for the next frame (up to one frame interval, ~16.7 ms at 60 Hz), as a
 * user's eye would. `input` is the event's own timeStamp (when the browser received the input),
 * for the queueing before the listener ran. `answer` is when the request for the sample shown
 * (the first `POST /api/sample` made after the key, from Resource Timing: the shown sample is
 * asked for first, its neighbours' prefetches after it) had its answer, to tell the server's
 * share from the page's; null when the UI had fetched that sample ahead.
 */
export function paintProbe() {
  const presses = [];
  window.__presses = presses;
  window.__wantSample = false;
  performance.setResourceTimingBufferSize(100000);
  const shown = () => document.querySelector(".sample-head .id")?.textContent ?? null;
  const busy = () => document.querySelector("section.sample")?.getAttribute("aria-busy") === "true";
  const afterPaint = (check, done) => {
    requestAnimationFrame(() => {
      if (!check()) return afterPaint(check, done);
      const channel = new MessageChannel();
      channel.port1.onmessage = () => done(performance.now());
      channel.port2.postMessage(null);
    });
  };
  window.addEventListener(
    "keydown",
    (e) => {
      const rec = { key: e.key, start: performance.now(), input: e.timeStamp, firstPaint: null, shownPaint: null, answer: null };
      const before = shown();
      const wantSample = window.__wantSample;
      let resolve;
      rec.done = new Promise((r) => (resolve = r));
      const finish = () => {
        if (rec.firstPaint !== null && (!wantSample || rec.shownPaint !== null)) resolve(true);
      };
      afterPaint(
        () => true,
        (t) => {
          rec.firstPaint = t;
          finish();
        },
      );
      if (wantSample) {
        afterPaint(
          () => shown() !== before && !busy(),
          (t) => {
            rec.shownPaint = t;
            // The request for the sample shown, made after the key (none when it was fetched ahead):
            // the first sample request after it that answered before the paint.
            const request = performance
              .getEntriesByType("resource")
              .filter((r) => /\/api\/sample$/.test(r.name) && r.startTime >= rec.start && r.responseEnd <= t)
              .shift();
            rec.answer = request ? request.responseEnd : null;
            finish();
          },
        );
      }
      presses.push(rec);
    },
    { capture: true },
  );
  // The browser's own measure (Event Timing): only entries of 16 ms or more are reported, rounded
  // to 8 ms, from the input's timestamp to the next paint after the handlers.
  window.__slowEvents = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name === "keydown") window.__slowEvents.push(e.duration);
    }).observe({ type: "event", durationThreshold: 16, buffered: true });
  } catch {
    // no Event Timing: the cross-check is left out
  }
}

/** Median interval between animation frames over `n` frames (the frame rate the page gets). */
export async function frameInterval(page, n = 60) {
  return page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const times = [];
        const tick = (t) => {
          times.push(t);
          if (times.length > n) {
            const d = times.slice(1).map((v, i) => v - times[i]).sort((a, b) => a - b);
            resolve(d[Math.floor(d.length / 2)]);
          } else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    n,
  );
}
