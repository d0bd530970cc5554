// Benchmark: key press to painted frame in headless Chromium against the real `fare-lens serve`.
//
//   npm run build && npm run bench:ui:keys        (FARE_LENS=path/to/fare-lens to pick the binary)
//
// The project (written with the CLI's importer from generated JSONL, in a temporary folder) holds
// data sets of 1 + 110 step-level samples with evaluator judgments and verdict probabilities
// (the trace's heat column), LaTeX on most steps:
//
// - `long`: a 200-step trace first, then 110 ordinary samples (4 to 16 steps);
// - `short`: a 5-step trace first (the reference), then 110 samples like those of `long` (the same
//   step counts and templates, other numbers);
// - `warm-long`, `warm-short`: the same again with other numbers, pressed through first and not
//   counted.
//
// For each data set (chosen in the queue's filter) the same keys are pressed, one at a time, each
// after the previous one's effect was painted and 60 ms of quiet: 30 step keys on the first trace
// (digits that type a step number, highlighting that step, and Escape that forgets it), then `j`
// 100 times (the next sample, which the UI has usually fetched ahead while idle). For each press the page probe
// (common.mjs) gives the time to the first painted frame and, for `j`, to the frame showing the
// new sample. Goal (the desktop-app issue): median key press to painted frame under 16 ms.
//
// Environment: FARE_LENS, CHROMIUM, PRESSES (default 100), STEP_PRESSES (default 30).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, startServe } from "../e2e/harness.mjs";
import { dist, fareLens, frameInterval, median, ms, paintProbe, quantile, requireFile, token, x } from "./common.mjs";

const GOAL_MS = 16;
const PRESSES = Number(process.env.PRESSES ?? 100);
const STEP_PRESSES = Number(process.env.STEP_PRESSES ?? 30);
const FURTHER = 110;

requireFile(fareLens, "build it (cargo build -p fare-cli) or set FARE_LENS");
requireFile(join(dist, "index.html"), "run npm run build first");

// ---- the project ----

/** A step with math in it (most of them), or plain text. */
function stepText(i, seed) {
  const a = (i * 7 + seed) % 97;
  const b = (i * 13 + seed) % 89 + 2;
  if (i % 5 === 4) return `Step ${i}: collect the terms found so far and check the arithmetic once more before going on.`;
  if (i % 3 === 0) {
    return `Step ${i}: with $x_{${i}} = \\frac{${a}}{${b}}$ we get $$\\sum_{k=1}^{${b}} \\left(k^2 + x_{${i}}\\right) = \\frac{${b}(${b}+1)(2\\cdot ${b}+1)}{6} + ${b}\\,x_{${i}}.$$`;
  }
  return `Step ${i}: since $\\sqrt{${a * a}} = ${a}$ and $\\int_0^{${b}} t\\,dt = \\frac{${b}^2}{2}$, the bound $|x_{${i}} - ${a}| \\le \\frac{1}{${b}}$ holds.`;
}

function sample(id, steps, seed) {
  return {
    id,
    generator: "bench",
    problem: `Problem ${seed}: let $f(x) = x^3 - ${seed % 11}x + 1$. Find $\\sum_{r} r^2$ over the roots $r$ of $f$, and justify each step.`,
    steps: Array.from({ length: steps }, (_, i) => stepText(i, seed)),
    final_answer_correct: seed % 4 === 0,
    label: seed % 4 === 0 ? -1 : seed % steps,
  };
}

function judgment(s) {
  const n = s.steps.length;
  const verdict = (s.label + 1) % n;
  // A distribution over every verdict, peaked at the chosen step (the heat column).
  const weights = [-1, ...s.steps.keys()].map((v) => (v === verdict ? 50 : 1 + ((v * 31) % 7)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const probs = Object.fromEntries([-1, ...s.steps.keys()].map((v, i) => [String(v), weights[i] / sum]));
  return {
    sample: s.id,
    output: `Explanation: step ${verdict} claims $\\sqrt{2} \\cdot \\sqrt{8} = 5$, but $\\sqrt{16} = 4$; the steps before it hold.\nVerdict: ${verdict}`,
    verdict_probs: { probs, mass: 1 },
  };
}

const dir = mkdtempSync(join(tmpdir(), "fare-lens-bench-keys-"));
const project = join(dir, "keys.sqlite");
const further = (prefix, seed) => Array.from({ length: FURTHER }, (_, i) => sample(`${prefix}-${i + 1}`, 4 + ((i * 5) % 13), seed + i + 1));
// A warm-up pair of data sets and the measured pair, all with text of their own: the renderer
// caches HTML by text, and a sample seen before would be painted from that cache.
const sets = {
  "warm-short": [sample("warm-short-0", 5, 1000), ...further("warm-short", 2000)],
  "warm-long": [sample("warm-long-0", 200, 1001), ...further("warm-long", 3000)],
  short: [sample("short-0", 5, 1002), ...further("short", 4000)],
  long: [sample("long-0", 200, 1003), ...further("long", 5000)],
};
const jsonl = (records) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";
for (const [name, records] of Object.entries(sets)) {
  writeFileSync(join(dir, `${name}.jsonl`), jsonl(records));
  execFileSync(fareLens, ["import", project, join(dir, `${name}.jsonl`), "--format", "processbench"], { stdio: "ignore" });
}
writeFileSync(join(dir, "judgments.jsonl"), jsonl([...sets.long, ...sets.short].map(judgment)));
execFileSync(fareLens, ["import-judgments", project, join(dir, "judgments.jsonl"), "--model", "bench-judge"], { stdio: "ignore" });

// ---- the browser ----

const { server, url } = await startServe(fareLens, project, { token, ui: dist, annotator: "bench" });
const browser = await launchChromium();
const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
await page.addInitScript(paintProbe);
await page.goto(url);
await page.waitForSelector(".qrow[data-id]");
const datasets = (await (await fetch(new URL("/api/overview", url), { method: "POST", headers: { Authorization: `Bearer ${token}` } })).json()).datasets;

/** Picks a data set in the queue's filter and waits until its first sample's trace is on screen. */
async function openDataset(name) {
  const d = datasets.find((d) => d.name === name);
  await page.selectOption('select[aria-label="Data set"]', String(d.id));
  const steps = sets[name][0].steps.length;
  await page.waitForFunction((n) => document.querySelectorAll("li.step").length === n + 1 && document.querySelector(".qrow.selected"), steps, { timeout: 30000 });
  await page.evaluate(() => document.activeElement?.blur());
  await page.waitForTimeout(300);
}

/** Presses each key once its predecessor's frames are painted; returns the page's records. */
async function press(keys, wantSample) {
  await page.evaluate((w) => (window.__wantSample = w), wantSample);
  const first = await page.evaluate(() => window.__presses.length);
  for (const [i, key] of keys.entries()) {
    await page.keyboard.press(key);
    await page.evaluate((n) => window.__presses[n].done, first + i);
    await page.waitForTimeout(60);
  }
  return page.evaluate(
    (first) =>
      window.__presses.slice(first).map((r) => ({
        key: r.key,
        firstPaint: r.firstPaint - r.start,
        shownPaint: r.shownPaint === null ? null : r.shownPaint - r.start,
        answer: r.answer === null ? null : r.answer - r.start,
        queued: r.start - r.input,
      })),
    first,
  );
}

const stepKeys = Array.from({ length: STEP_PRESSES }, (_, i) => (i % 4 === 3 ? "Escape" : String((i * 7 + 1) % 10)));
const nextKeys = Array.from({ length: PRESSES }, () => "j");
const results = {};
for (const name of ["warm-short", "warm-long", "short", "long"]) {
  // The warm-up round (same work, other text) lets the JIT and the browser's caches settle.
  await openDataset(name);
  const slowBefore = await page.evaluate(() => window.__slowEvents.length);
  const steps = await press(stepKeys, false);
  const next = await press(nextKeys, true);
  const slow = await page.evaluate((n) => window.__slowEvents.slice(n), slowBefore);
  results[name] = { steps, next, slow };
}
const frame = await frameInterval(page);
await browser.close();
server.kill();
rmSync(dir, { recursive: true, force: true });

// ---- figures ----

const figures = (values) => ({ median: median(values), p95: quantile(values, 0.95), max: Math.max(...values) });
const rows = [
  ["step keys on the first trace: key to first paint", (r) => r.steps.map((p) => p.firstPaint)],
  ["j (next sample): key to first paint", (r) => r.next.map((p) => p.firstPaint)],
  ["j (next sample): key to the new sample painted", (r) => r.next.map((p) => p.shownPaint)],
  // Only presses that waited for the server (the UI fetches neighbours ahead; most come from memory).
  ["… of which: key to the sample's answer from the server", (r) => r.next.filter((p) => p.answer !== null).map((p) => p.answer)],
  ["… of which: answer to the new sample painted", (r) => r.next.filter((p) => p.answer !== null).map((p) => p.shownPaint - p.answer)],
  ["j from the first trace: key to the new sample painted", (r) => [r.next[0].shownPaint]],
];
console.log(`Key press to painted frame, headless Chromium, ${STEP_PRESSES} step keys + ${PRESSES} × j per data set`);
console.log(`frame interval (median rAF to rAF): ${ms(frame)}; goal ${GOAL_MS} ms\n`);
console.log("| measure | 200-step: median | p95 | max | 5-step reference: median | p95 | median / goal | median / reference |");
console.log("|---|---|---|---|---|---|---|---|");
for (const [label, pick] of rows) {
  const long = figures(pick(results.long));
  const short = figures(pick(results.short));
  console.log(`| ${label} | ${ms(long.median)} | ${ms(long.p95)} | ${ms(long.max)} | ${ms(short.median)} | ${ms(short.p95)} | ${x(long.median, GOAL_MS)} | ${x(long.median, short.median)} |`);
}
const queued = [...results.long.steps, ...results.long.next].map((p) => p.queued);
console.log(`\ninput queueing before the app's first listener (200-step run): median ${ms(median(queued))}, max ${ms(Math.max(...queued))}`);
for (const name of ["long", "short"]) {
  const fetched = results[name].next.filter((p) => p.answer !== null).length;
  console.log(`j, ${name}: ${results[name].next.length - fetched} of ${results[name].next.length} new samples shown from memory (fetched ahead), ${fetched} waited for the server`);
}
for (const name of ["long", "short"]) {
  const n = results[name].steps.length + results[name].next.length;
  const slow = results[name].slow;
  console.log(`Event Timing, ${name}: ${slow.length} of ${n} key presses reported at ≥ 16 ms${slow.length ? ` (median ${ms(median(slow))}, max ${ms(Math.max(...slow))})` : ""}`);
}
if (errors.length) console.log(`page errors: ${errors.join(" | ")}`);
process.exit(errors.length ? 1 : 0);
