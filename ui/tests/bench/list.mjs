// Benchmark: the queue's virtual list on a 1M-sample project in headless Chromium, against the
// same list on the 132-sample demo project (the reference).
//
//   npm run build && npm run bench:ui:list
//
// The large project is written by `fare-bench synth` (about 2 minutes and 2.2 GB for a million
// samples); with FARE_LENS_BENCH_PROJECT=path it is read from that file when it exists, and
// written there and kept when it does not. LIST_SAMPLES sets its size (default 1,000,000).
//
// For each project: open the UI, then jump the list's scrollbar to 50%, 100% (the far end), 10%,
// 90% and back to 0 of its height, as a click on the scroll track does (one `scrollTop` change),
// then drag it from the top to the end over 30 frames (30 `scrollTop` changes). For each move,
// the time from the (last) change to the frame in which every row in the viewport shows its
// sample (none "loading…"), measured in the page as in common.mjs; then, after a forced garbage
// collection, the JS heap in use (CDP Runtime.getHeapUsage), the DOM nodes (CDP
// Performance.getMetrics) and the elements in the document. At the far end it also reports
// whether the last row is on screen: browsers cap an element's height (Chromium at 33,554,428 px),
// and a list taller than that cannot show its last rows.
//
// Then, on the large project, the position call the far jumps use, under several filters.
//
// Environment: FARE_LENS, FARE_BENCH, CHROMIUM, FARE_LENS_BENCH_PROJECT, LIST_SAMPLES.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, startServe } from "../e2e/harness.mjs";
import { dist, fareBench, fareLens, mb, ms, requireFile, token, x } from "./common.mjs";

const SAMPLES = Number(process.env.LIST_SAMPLES ?? 1_000_000);
// [fraction of the scroll range, frames the thumb takes to get there]
const JUMPS = [[0.5, 1], [1, 1], [0.1, 1], [0.9, 1], [0, 1], [1, 30]];
const ROW_PX = 46;

requireFile(fareLens, "build it (cargo build -p fare-cli) or set FARE_LENS");
requireFile(join(dist, "index.html"), "run npm run build first");

const dir = mkdtempSync(join(tmpdir(), "fare-lens-bench-list-"));
const demo = join(dir, "demo.sqlite");
execFileSync(fareLens, ["demo", demo], { stdio: "ignore" });
const large = process.env.FARE_LENS_BENCH_PROJECT ?? join(dir, `synth-${SAMPLES}.sqlite`);
if (!existsSync(large)) {
  requireFile(fareBench, "build it (cargo build --release -p fare-bench) or set FARE_BENCH");
  console.error(`writing ${SAMPLES} samples with fare-bench synth (minutes)...`);
  const started = Date.now();
  execFileSync(fareBench, ["synth", "--samples", String(SAMPLES), "--project", large], { stdio: ["ignore", "ignore", "inherit"] });
  console.error(`written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Installed in the page: `__inView()`, the rows in the list's viewport (all loaded?, the first and
 * last ids), and `__jump(fraction)`, which sets the list's scrollTop to that fraction of its range
 * and resolves after the first painted frame whose viewport rows are all loaded (as in common.mjs:
 * a message posted from requestAnimationFrame arrives after the frame's rendering work).
 */
function listProbe() {
  const inView = () => {
    const list = document.querySelector('[data-testid="queue"]');
    const box = list.getBoundingClientRect();
    const rows = [...list.querySelectorAll(".qrow")].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.bottom > box.top + 1 && b.top < box.bottom - 1;
    });
    return {
      loaded: rows.length > 0 && rows.every((r) => r.hasAttribute("data-id")),
      first: rows[0]?.dataset.id ?? null,
      last: rows.at(-1)?.dataset.id ?? null,
      scrollHeight: list.scrollHeight,
    };
  };
  window.__inView = inView;
  // A drag of the thumb from where it is to `fraction`: `steps` scroll changes, one per frame; the
  // time counts from the last one.
  window.__jump = async (fraction, steps = 1) => {
    const list = document.querySelector('[data-testid="queue"]');
    const from = list.scrollTop;
    const to = fraction * (list.scrollHeight - list.clientHeight);
    for (let i = 1; i < steps; i++) {
      list.scrollTop = from + ((to - from) * i) / steps;
      await new Promise((r) => requestAnimationFrame(r));
    }
    const start = performance.now();
    list.scrollTop = to;
    return new Promise((resolve) => {
      const check = () =>
        requestAnimationFrame(() => {
          const v = inView();
          if (!v.loaded && performance.now() - start < 120000) return check();
          const channel = new MessageChannel();
          channel.port1.onmessage = () => resolve({ ...v, ms: performance.now() - start });
          channel.port2.postMessage(null);
        });
      check();
    });
  };
}

/** Milliseconds of one API call from Node (the server's work plus a loopback round trip). */
async function timed(url, command, body) {
  const start = performance.now();
  const r = await fetch(new URL(`/api/${command}`, url), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${command}: ${json.message}`);
  return { ms: performance.now() - start, json };
}

/**
 * The position call (`POST /api/position`, the row a far jump starts from) at the middle and the end of
 * the list under several filters, median of 3, beside the first page of the same list (what the UI
 * fetches anyway) and the 100 ms goal of the sample-list queries.
 */
async function positions(url) {
  const filters = [
    ["no filter", {}],
    ["task", { task: "step-level" }],
    ["unreviewed", { review: "unreviewed" }],
    ["disagrees with gold", { evaluator: "disagrees-with-gold" }],
    ["unreviewed + disagrees", { review: "unreviewed", evaluator: "disagrees-with-gold" }],
    ["search, common word", { text: "polynomial" }],
  ];
  const median3 = async (f) => {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push((await f()).ms);
    return runs.sort((a, b) => a - b)[1];
  };
  const rows = [];
  for (const [name, filter] of filters) {
    const query = { ...filter, after: 0, limit: 500 };
    const matching = (await timed(url, "counts", { query })).json.matching;
    const page = await median3(() => timed(url, "samples", { query }));
    const middle = await median3(() => timed(url, "position", { request: { query, position: Math.floor(matching / 2) } }));
    const end = await median3(() => timed(url, "position", { request: { query, position: matching - 1 } }));
    rows.push({ name, matching, page, middle, end });
  }
  return rows;
}

async function measure(project, name, withPositions = false) {
  const { server, url } = await startServe(fareLens, project, { token, ui: dist, annotator: "bench" });
  const browser = await launchChromium(["--enable-precise-memory-info"]);
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.addInitScript(listProbe);
  const memory = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await cdp.send("Runtime.getHeapUsage");
    const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const elements = await page.evaluate(() => document.getElementsByTagName("*").length);
    return { heap: heap.usedSize, nodes: metrics.Nodes, elements };
  };
  await page.goto(url);
  await page.waitForSelector(".qrow[data-id]");
  await page.waitForSelector('[data-testid="counts"]');
  await page.waitForSelector(".sample-head");
  const total = Number((await page.innerText('[data-testid="counts"]')).split("/")[1].replace(/\D/g, ""));
  await page.waitForTimeout(500);
  const states = [{ at: "opened", ms: null, ...(await memory()), ...(await page.evaluate(() => window.__inView())) }];
  for (const [fraction, steps] of JUMPS) {
    const result = await page.evaluate(([f, n]) => window.__jump(f, n), [fraction, steps]);
    await page.waitForTimeout(300);
    const at = steps > 1 ? `drag to ${fraction * 100}% (${steps} frames)` : `${fraction * 100}%`;
    states.push({ at, ...result, ...(await memory()) });
  }
  await browser.close();
  // (a build from before the position call answers 404: no figures then)
  const calls = withPositions ? await positions(url).catch((e) => (console.error(`no position figures: ${e.message}`), [])) : [];
  server.kill();
  return { name, total, states, errors, calls };
}

const reference = await measure(demo, "demo");
const big = await measure(large, `synth ${SAMPLES}`, true);
if (!process.env.FARE_LENS_BENCH_PROJECT) rmSync(dir, { recursive: true, force: true });
else rmSync(demo, { force: true });

console.log(`Queue list in headless Chromium: ${big.total.toLocaleString()} samples against the demo's ${reference.total}`);
console.log(`list height: ${big.states[0].scrollHeight.toLocaleString()} px for ${(big.total * ROW_PX).toLocaleString()} px of rows\n`);
console.log("| where | jump to rows painted | JS heap | DOM nodes | elements | rows in view (ids) | demo: jump | demo: JS heap | demo: DOM nodes | heap / demo | nodes / demo |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const [i, s] of big.states.entries()) {
  const r = reference.states[i];
  console.log(`| ${s.at} | ${ms(s.ms)} | ${mb(s.heap)} | ${s.nodes} | ${s.elements} | ${s.first}–${s.last}${s.loaded ? "" : " (not all loaded)"} | ${ms(r.ms)} | ${mb(r.heap)} | ${r.nodes} | ${x(s.heap, r.heap)} | ${x(s.nodes, r.nodes)} |`);
}
const far = big.states.find((s) => s.at === "100%");
console.log(`\nfar end: the last row on screen is #${far.last}; the list has ${big.total.toLocaleString()} rows`);
console.log(`\nThe position call on ${big.total.toLocaleString()} samples (median of 3, from Node over loopback):\n`);
console.log("| filter | matching | first page (500 rows) | position: middle | position: last | last / first page | last / 100 ms goal |");
console.log("|---|---|---|---|---|---|---|");
for (const c of big.calls) {
  console.log(`| ${c.name} | ${c.matching.toLocaleString()} | ${ms(c.page)} | ${ms(c.middle)} | ${ms(c.end)} | ${x(c.end, c.page)} | ${x(c.end, 100)} |`);
}
const errors = [...reference.errors, ...big.errors];
if (errors.length) console.log(`page errors: ${errors.join(" | ")}`);
process.exit(errors.length ? 1 : 0);
