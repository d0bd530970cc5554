// End-to-end against the real `fare-lens serve`: builds the demo project plus an XSS probe data
// set with the binary, serves it with `ui/dist`, and drives the UI with the keyboard. Samples are
// found through the API (by task and by what the evaluator did), not by fixed ids.
//   npm run build && FARE_LENS=../target/debug/fare-lens npm run e2e:serve
// With FARE_LENS_URL=http://host:port/#token=… it drives a server already running instead (that
// project, or the one at FARE_LENS_XSS_URL, must hold one sample with the word "xssprobe").
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { openBrowser, shots, startServe } from "./harness.mjs";

const bin = process.env.FARE_LENS ?? new URL("../../../target/debug/fare-lens", import.meta.url).pathname;
const dist = new URL("../../dist/", import.meta.url).pathname;
const smollm2 = new URL("../../../.test-assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", import.meta.url).pathname;
const processbench = new URL("../../../../shared/data/processbench/gsm8k.json", import.meta.url).pathname;
/** Where the broken-file test writes its file: a data folder of the server (`--data`). */
const importDir = mkdtempSync(join(tmpdir(), "fare-lens-e2e-import-"));
let servers = [];
let url = process.env.FARE_LENS_URL ?? null;
let xssUrl = process.env.FARE_LENS_XSS_URL ?? url;
const token = url ? (/#token=([^&]+)/.exec(url)?.[1] ?? "") : "e2e-token-0123456789";
/** The demo project's file, when this script built it (the analysis test reads its report with the CLI). */
let demoProject = null;
if (url === null) {
  const dir = mkdtempSync(join(tmpdir(), "fare-lens-e2e-"));
  // The demo project, and a second one holding one pairwise sample whose question, response and
  // critique are XSS payloads. Apart, because a newer run would hide the demo's pairwise run
  // (each task shows its newest run).
  const demo = join(dir, "demo.sqlite");
  execFileSync(bin, ["demo", demo], { stdio: "ignore" });
  demoProject = demo;
  // A real small model beside the demo, for the model panel (tests/fetch-test-assets.sh).
  if (existsSync(smollm2)) {
    mkdirSync(join(dir, "models"));
    symlinkSync(smollm2, join(dir, "models", "smol.gguf"));
  }
  const probe = join(dir, "xss.sqlite");
  const payloads = [
    `<img src=x onerror="window.__xss=1">`,
    `<script>window.__xss=2</script>`,
    `[link](javascript:window.__xss=3)`,
    `<svg onload="window.__xss=4"></svg>`,
    `$\\href{javascript:window.__xss=5}{click}$`,
    `<a href="javascript:window.__xss=6">x</a>`,
    // Not script, but markup passing for the app: a screen-wide overlay, a link in SVG.
    `<div class="overlay-probe" style="position:fixed;inset:0;z-index:99999;background:rgb(255,0,0)">B is right</div>`,
    `<svg width="40" height="20"><a href="http://127.0.0.1:9/svg-link"><text y="15">svg link</text></a></svg>`,
  ].join("\n\n");
  const text = `xssprobe ${payloads}`;
  writeFileSync(join(dir, "xss.jsonl"), JSON.stringify({ pair_id: "xss-0", original_id: "0", source: "xss", question: text, response_model: "m", response_A: text, response_B: "plain", label: "A>B" }) + "\n");
  writeFileSync(join(dir, "xss-judgments.jsonl"), JSON.stringify({ sample: "xss-0", output: `Explanation: ${text}\nVerdict: [A]` }) + "\n");
  execFileSync(bin, ["import", probe, join(dir, "xss.jsonl"), "--format", "judgebench"], { stdio: "ignore" });
  execFileSync(bin, ["import-judgments", probe, join(dir, "xss-judgments.jsonl"), "--model", "xss-model"], { stdio: "ignore" });
  // ProcessBench's folder and the import test's are data folders of this server, so their
  // paths may be typed.
  const data = [importDir, ...(existsSync(processbench) ? [dirname(processbench)] : [])];
  const a = await startServe(bin, demo, { token, ui: dist, data });
  const b = await startServe(bin, probe, { token, ui: dist });
  servers = [a.server, b.server];
  url = a.url;
  xssUrl = b.url;
}

const base = url.replace(/#.*$/, "");
// One command of the API (`POST /api/{command}`, the arguments as the body).
const api = async (command, args = {}) => {
  const r = await fetch(`${base}api/${command}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(args),
  });
  if (!r.ok) throw new Error(`${command}: ${r.status} ${await r.text()}`);
  return r.json();
};

// What to drive: a step-level sample the evaluator got wrong, a pair that flips, the probe.
const stepRow = (await api("samples", { query: { task: "step-level", evaluator: "disagrees-with-gold", after: 0, limit: 10 } })).rows[0];
const step = await api("sample", { id: stepRow.id });
const evaluatorStep = stepRow.verdict;
const [fix1, fix2] = step.admissible.filter((v) => v !== evaluatorStep && v !== "-1");
let pair = null;
for (const row of (await api("samples", { query: { task: "pairwise", after: 0, limit: 100 } })).rows) {
  const d = await api("sample", { id: row.id });
  const shown = d.judgments.filter((j) => j.run_id === d.shown_run && j.state === "parsed");
  const orig = shown.find((j) => !j.swapped);
  const swap = shown.find((j) => j.swapped);
  if (orig && swap && orig.verdict !== swap.verdict) {
    pair = { id: row.id, verdict: orig.verdict };
    break;
  }
}

const { page, problems, test, expect, text, key, waitText, blur, scriptState, finish } = await openBrowser();
const selected = () => page.evaluate(() => Number(document.querySelector(".qrow.selected")?.dataset.id ?? 0));
/** Presses j (or k) until the queue's selection is sample `id`. */
async function goTo(id) {
  await blur();
  for (let i = 0; i < 60 && (await selected()) !== id; i++) {
    await key((await selected()) < id ? "j" : "k");
    await page.waitForTimeout(60);
  }
  expect((await selected()) === id, `could not reach sample ${id}`);
  await page.waitForFunction((want) => document.querySelector(".sample-head .id")?.textContent === `#${want}`, id);
}

await test("opens with the printed address; the token leaves the address bar", async () => {
  await page.goto(url);
  await page.waitForSelector(".qrow[data-id]");
  expect(!page.url().includes("token"), `token still in ${page.url()}`);
});

await test(`j reaches step-level sample ${stepRow.id}; the evaluator's step is marked`, async () => {
  await goTo(stepRow.id);
  await page.waitForSelector(`li.step[data-step="${evaluatorStep}"].predicted`);
});

await test("digits then Enter correct the step; a second correction; u undoes it", async () => {
  await key(fix1);
  await key("Enter");
  await waitText('[data-testid="label-verdict"]', fix1);
  await key(fix2);
  await key("Enter");
  await waitText('[data-testid="label-verdict"]', fix2);
  await key("u");
  await waitText('[data-testid="label-verdict"]', fix1);
});

await test("after a reload the annotation is there", async () => {
  await page.reload();
  await page.waitForSelector(".qrow[data-id]");
  await page.locator(`.qrow[data-id="${stepRow.id}"]`).click();
  await waitText('[data-testid="label-verdict"]', fix1);
  await page.waitForSelector(`li.step[data-step="${fix1}"].human`);
});

await test("p shows the prompt the evaluator saw, steps tagged from 0", async () => {
  await goTo(stepRow.id);
  await key("p");
  await page.waitForSelector('[data-testid="prompt"]');
  const text = await page.locator('[data-testid="prompt"]').innerText();
  expect(text.includes("<step 0>") && text.includes("</step 0>"), `no tagged steps in ${text.slice(0, 300)}`);
  expect(text.includes("from run "), "the prompt should be the judgment's run's");
  await key("p");
  await page.waitForSelector('[data-testid="prompt"]', { state: "detached" });
});

await test("a pair that flips is highlighted; shift+A/B accepts the evaluator's pick", async () => {
  expect(pair !== null, "the demo has no flipping pair");
  await goTo(pair.id);
  await page.waitForSelector('[data-testid="orders"].flip');
  await key(`Shift+${pair.verdict}`);
  await waitText('[data-testid="label-verdict"]', pair.verdict);
  await waitText('[data-testid="label-decision"]', "accepted");
});

await test("ordinary samples cause no CSP violation", async () => {
  const csp = await page.evaluate(() => window.__csp);
  expect(csp.length === 0, `CSP blocked: ${csp.join(" | ")}`);
});

await test("the task filter and the search narrow the queue", async () => {
  await page.selectOption('[data-testid="filter-task"]', "pairwise");
  await page.waitForFunction(() => [...document.querySelectorAll(".qrow[data-id] .task")].every((t) => t.textContent === "pairwise"));
  await page.selectOption('[data-testid="filter-task"]', "");
  await blur();
  await key("/");
  // the longest word of the step-level sample's problem finds it, and fewer samples than all
  const all = (await api("counts", { query: { after: 0, limit: 0 } })).matching;
  const word = (step.question.match(/[A-Za-z]{4,}/g) ?? ["the"]).sort((a, b) => b.length - a.length)[0];
  await page.keyboard.type(word);
  await page.waitForFunction(
    ([id, total]) => {
      const ids = [...document.querySelectorAll(".qrow[data-id]")].map((r) => Number(r.dataset.id));
      return ids.includes(id) && ids.length < total;
    },
    [stepRow.id, all],
    { timeout: 5000 },
  );
  await key("Escape");
});

await test("Q saves the step-level samples as a random queue with a seed; the list shows it in its order; Delete leaves it", async () => {
  await page.fill('[data-testid="search"]', "");
  await page.selectOption('[data-testid="filter-task"]', "step-level");
  const steps = (await api("counts", { query: { task: "step-level", after: 0, limit: 0 } })).matching;
  // The search is cleared after its debounce: every step-level sample is listed again.
  await page.waitForFunction(
    (n) => document.querySelectorAll(".qrow[data-id]").length >= Math.min(n, 10) && [...document.querySelectorAll(".qrow[data-id] .task")].every((t) => t.textContent === "step-level"),
    steps,
  );
  await blur();
  await key("Q");
  await page.waitForSelector('[data-testid="queue-dialog"]');
  await page.check('[data-testid="queue-order-random"]');
  await page.fill('[data-testid="queue-seed"]', "7");
  await page.click('[data-testid="queue-make"]');
  await page.waitForSelector('[data-testid="queue-dialog"]', { state: "detached" });
  const queues = await api("queues");
  const made = queues[0];
  expect(made.order === "random" && made.seed === 7, JSON.stringify(made));
  expect(made.samples === steps, `${made.samples} samples in the queue, ${steps} step-level samples`);
  const order = (await api("samples", { query: { queue: made.id, after: 0, limit: 500 } })).rows.map((r) => r.id);
  const sorted = [...order].sort((a, b) => a - b);
  expect(JSON.stringify(order) !== JSON.stringify(sorted), "a shuffled order, not id order");
  const listed = () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".qrow[data-id]")]
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((r) => Number(r.dataset.id)),
    );
  // The rows drawn (the open sample kept in view) are a run of the queue's order.
  const inOrder = (shown) => {
    const at = order.indexOf(shown[0]);
    return shown.length >= 5 && at >= 0 && JSON.stringify(order.slice(at, at + shown.length)) === JSON.stringify(shown);
  };
  for (let i = 0; i < 50 && !inOrder(await listed()); i++) await page.waitForTimeout(100);
  const shown = await listed();
  expect(inOrder(shown), `listed ${shown.slice(0, 8)}, the queue is ${order.slice(0, 12)}`);
  await page.click('[data-testid="delete-queue"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="filter-queue"]').value === "");
  expect((await api("queues")).every((q) => q.id !== made.id), "the queue is deleted");
  await page.selectOption('[data-testid="filter-task"]', "");
  await blur();
});

await test("screenshots, light and dark", async () => {
  await page.fill('[data-testid="search"]', "");
  await page.waitForFunction(() => document.querySelectorAll(".qrow[data-id]").length > 1);
  // By keyboard: the row may be scrolled out of the virtual list's rendered window.
  await goTo(stepRow.id);
  await page.waitForSelector(".trace");
  await page.emulateMedia({ colorScheme: "light" });
  await page.screenshot({ path: join(shots, "serve-step-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(shots, "serve-step-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
});

// The analysis view (R) against the analysis the CLI computes on the same project: the figures on
// screen are the analysis's, keyboard navigation opens a cell as a queue of exactly its samples
// (as `POST /api/analysis_samples` lists them), `h` switches to human labels, a chart's CSV and
// PNG download, and the view fits 1280×800 without sideways scrolling.
const report = demoProject
  ? JSON.parse(execFileSync(bin, ["report", demoProject, "--json"], { encoding: "utf8" }))
  : await api("analysis", { request: {} });
if (!demoProject) console.log("     (the analysis test compares with the analysis command: FARE_LENS_URL names a project this script cannot run the CLI on)");
const stepGroup = report.groups.find((g) => g.task === "step-level" && g.source === null && g.processbench);

await test("R opens the analysis view; its step-level figures equal `fare-lens report --json`", async () => {
  expect(stepGroup !== undefined, "the report has no judged step-level group");
  await page.setViewportSize({ width: 1280, height: 800 });
  await blur();
  await key("Shift+R");
  await page.waitForSelector('[data-testid="analysis"] .chart-card');
  // j walks the groups; the step-level group is picked by clicking it
  const before = await text('[data-testid="analysis-group"]');
  await key("j");
  await page.waitForFunction((b) => document.querySelector('[data-testid="analysis-group"]')?.textContent !== b, before);
  await page.locator(`[data-group="step-level|${stepGroup.dataset}|"]`).click();
  await page.waitForSelector('[data-chart="first-error-grid"]');
  const f1 = page.locator('[data-chart="processbench"] [data-metric="F1"]');
  expect(Number(await f1.getAttribute("data-value")) === stepGroup.processbench.f1, `F1 ${await f1.getAttribute("data-value")} vs ${stepGroup.processbench.f1}`);
  const shown = await f1.locator(".bar-value").textContent();
  expect(shown === `${(stepGroup.processbench.f1 * 100).toFixed(1)}%`, `F1 shown as ${shown}`);
  const errorAccuracy = await page.locator('[data-chart="processbench"] [data-metric="Error accuracy"] .bar-value').textContent();
  expect(errorAccuracy === `${(stepGroup.processbench.error_accuracy * 100).toFixed(1)}%`, `error accuracy shown as ${errorAccuracy}`);
  for (const cell of stepGroup.gold.step.grid) {
    const count = await page.locator(`[data-chart="first-error-grid"] [data-key="${cell.key}"]`).getAttribute("data-count");
    expect(Number(count) === cell.count, `${cell.key}: ${count} on screen, ${cell.count} in the report`);
  }
  const fits = await page.evaluate(() => {
    const main = document.querySelector(".analysis-main");
    return main.scrollWidth <= main.clientWidth && document.documentElement.scrollWidth <= window.innerWidth;
  });
  expect(fits, "the analysis view scrolls sideways at 1280×800");
  await page.screenshot({ path: join(shots, "serve-analysis-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(shots, "serve-analysis-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
});

await test("a chart's numbers download as CSV, its picture as PNG", async () => {
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click('[data-chart="buckets"] [data-export="csv"]')]);
  expect(csv.suggestedFilename() === `step-level-${stepGroup.dataset}-buckets.csv`, `named ${csv.suggestedFilename()}`);
  const want = ["bucket,samples", ...stepGroup.gold.step.buckets.map((b) => `${b.bucket},${b.count}`)].join("\r\n") + "\r\n";
  const got = readFileSync(await csv.path(), "utf8");
  expect(got === want, `CSV was ${JSON.stringify(got)}`);
  const [png] = await Promise.all([page.waitForEvent("download"), page.click('[data-chart="first-error-grid"] [data-export="png"]')]);
  const bytes = readFileSync(await png.path());
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && bytes.length > 2000, `not a PNG (${bytes.length} bytes)`);
  // twice the SVG's size (its title above it): the width in the PNG header is big-endian at byte 16
  const width = bytes.readUInt32BE(16);
  const svgWidth = Number(await page.locator('[data-chart="first-error-grid"] svg').getAttribute("width"));
  expect(width === svgWidth * 2, `PNG ${width} px wide for an SVG of ${svgWidth}`);
});

await test("arrow keys reach a grid cell; Enter opens exactly its samples as a listed queue", async () => {
  await page.locator('[data-chart="first-error-grid"] [data-key]').first().focus();
  await key("ArrowRight");
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-key"));
  expect(focused?.startsWith("first-error:"), `focus on ${focused}`);
  const drawn = Number(await page.locator(`[data-chart="first-error-grid"] [data-key="${focused}"]`).getAttribute("data-count"));
  const ids = await api("analysis_samples", { request: { key: focused, run: report.runs["step-level"], scope: { task: "step-level", dataset_id: stepGroup.dataset_id }, reference: "gold" } });
  expect(ids.length === drawn, `${focused}: ${drawn} drawn, ${ids.length} listed by the API`);
  const queuesBefore = (await api("queues")).length;
  await key("Enter");
  await page.waitForSelector('[data-testid="analysis"]', { state: "detached" });
  await page.locator(".toast", { hasText: "First error: predicted" }).waitFor();
  const queues = await api("queues");
  expect(queues.length === queuesBefore + 1, `${queues.length} queues, ${queuesBefore} before`);
  const made = queues[0];
  expect(made.order === "listed" && made.samples === drawn, JSON.stringify(made));
  expect(/^First error: predicted .+, true .+ \(Step-level, /.test(made.name), `queue named ${made.name}`);
  const inQueue = (await api("samples", { query: { queue: made.id, after: 0, limit: 500 } })).rows.map((r) => r.id);
  expect(JSON.stringify(inQueue) === JSON.stringify(ids), `queue ${inQueue.join(",")} vs cell ${ids.join(",")}`);
  // the page shows exactly those rows, nothing else narrowing them
  await page.waitForFunction(
    (want) => {
      const rows = [...document.querySelectorAll(".qrow[data-id]")].map((r) => Number(r.dataset.id));
      return rows.length === Math.min(want.length, rows.length) && rows.length > 0 && rows.every((id) => want.includes(id));
    },
    ids,
  );
  const rows = await page.evaluate(() => [...document.querySelectorAll(".qrow[data-id]")].map((r) => Number(r.dataset.id)));
  expect(rows.length <= ids.length && rows.every((id) => ids.includes(id)), `rows ${rows.join(",")} not all in the cell ${ids.join(",")}`);
  // back to every sample for the tests after this one
  await page.selectOption('[data-testid="filter-queue"]', "");
  await blur();
});

await test("h switches the charts to human labels; with none yet it says so", async () => {
  await key("Shift+R");
  await page.waitForSelector('[data-testid="analysis"] .chart-card');
  await page.locator(`[data-group="step-level|${stepGroup.dataset}|"]`).click();
  await blur();
  await key("h");
  await page.waitForSelector('[data-reference="human"][aria-checked="true"]');
  if (stepGroup.with_human === 0) {
    const said = await text('[data-testid="analysis-group-empty"]');
    expect(said.includes("No human labels yet"), `said ${said}`);
  } else {
    expect((await page.locator('[data-section="step-level"][data-reference="human"]').count()) === 1, "no human step-level section");
    // a cell of the human grid opens exactly the samples listed against the human labels
    const humanCell = stepGroup.human.step?.grid[0];
    if (humanCell) {
      const ids = await api("analysis_samples", { request: { key: humanCell.key, run: report.runs["step-level"], scope: { task: "step-level", dataset_id: stepGroup.dataset_id }, reference: "human" } });
      expect(ids.length === humanCell.count, `${humanCell.key} against human labels: ${humanCell.count} counted, ${ids.length} listed`);
      await page.click(`[data-chart="first-error-grid"] [data-key="${humanCell.key}"]`);
      await page.waitForSelector('[data-testid="analysis"]', { state: "detached" });
      await page.locator(".toast", { hasText: "against human labels" }).waitFor();
      const made = (await api("queues"))[0];
      const inQueue = (await api("samples", { query: { queue: made.id, after: 0, limit: 500 } })).rows.map((r) => r.id);
      expect(JSON.stringify(inQueue) === JSON.stringify(ids), `human queue ${inQueue.join(",")} vs cell ${ids.join(",")}`);
      console.log(`     (against human labels: ${humanCell.key} opened as ${ids.length} samples)`);
      await page.selectOption('[data-testid="filter-queue"]', "");
      await blur();
      await key("Shift+R");
      await page.waitForSelector('[data-testid="analysis"] .chart-card');
      await page.waitForSelector('[data-reference="human"][aria-checked="true"]');
    } else {
      console.log("     (no human first-error cell in this project: the human queue is not opened)");
    }
  }
  await key("h");
  await page.waitForSelector('[data-reference="gold"][aria-checked="true"]');
  // the pairwise extras and the tags, for a look
  await page.locator('[data-group="pairwise|pairwise|"]').click();
  await page.waitForSelector('[data-chart="swap-flips"]');
  const flips = await page.locator('[data-chart="swap-flips"] [data-key="swap-flip"]').getAttribute("data-count");
  const pairGroup = report.groups.find((g) => g.task === "pairwise" && g.source === null);
  expect(Number(flips) === pairGroup.pairwise.flips, `${flips} flips drawn, ${pairGroup.pairwise.flips} in the report`);
  await page.locator('[data-section="pairwise"]').screenshot({ path: join(shots, "serve-analysis-pairwise.png") });
  await page.locator('[data-section="tags"]').screenshot({ path: join(shots, "serve-analysis-tags.png") });
});

// The demo's runs each judge one task (no two runs share one), so every sample of a diff is
// "not comparable": the test checks the table against `POST /api/diff` and opens such a cell.
await test("Compare two runs: the diff table equals /api/diff; a cell opens exactly its samples", async () => {
  const runs = (await api("overview")).runs.map((r) => r.id).sort((a, b) => a - b);
  expect(runs.length >= 2, `the project has ${runs.length} runs`);
  const [before, after] = [runs[0], runs[1]];
  await page.selectOption('[data-testid="diff-before"]', String(before));
  await page.selectOption('[data-testid="diff-after"]', String(after));
  await page.click('[data-testid="diff-compare"]');
  await page.waitForSelector('[data-testid="diff-table"]');
  await page.locator('[data-section="diff"]').screenshot({ path: join(shots, "serve-analysis-diff.png") });
  const want = await api("diff", { request: { before, after, reference: "human-else-gold" } });
  const shown = await page.evaluate(() => [...document.querySelectorAll('[data-testid="diff-table"] tbody tr')].map((r) => [...r.querySelectorAll("td")].map((td) => Number(td.textContent.replace(/,/g, "")))));
  const expected = want.rows.map((r) => r.cells.map((c) => c.count));
  expect(JSON.stringify(shown) === JSON.stringify(expected), `table ${JSON.stringify(shown)} vs ${JSON.stringify(expected)}`);
  const shared = want.rows.some((r) => r.cells.some((c) => c.cell !== "not-comparable" && c.count > 0));
  expect(shared === ((await page.locator('[data-testid="diff-nothing-shared"]').count()) === 0), "the note on runs sharing no sample is wrong");
  const row = want.rows.find((r) => r.cells.some((c) => c.count > 0));
  const cell = row.cells.find((c) => c.count > 0);
  const ids = await api("diff_samples", { request: { before, after, reference: "human-else-gold", task: row.task, key: cell.key } });
  expect(ids.length === cell.count, `${cell.key}: ${cell.count} counted, ${ids.length} listed`);
  await page.click(`[data-testid="diff-table"] tr[data-task="${row.task}"] [data-key="${cell.key}"]`);
  await page.waitForSelector('[data-testid="analysis"]', { state: "detached" });
  await page.locator(".toast", { hasText: `Run ${before} → ${after}` }).waitFor();
  const made = (await api("queues"))[0];
  expect(made.order === "listed" && made.samples === cell.count, JSON.stringify(made));
  const inQueue = (await api("samples", { query: { queue: made.id, after: 0, limit: 500 } })).rows.map((r) => r.id);
  expect(JSON.stringify(inQueue) === JSON.stringify(ids), `queue ${inQueue.join(",")} vs cell ${ids.join(",")}`);
  await page.selectOption('[data-testid="filter-queue"]', "");
  await blur();
  await page.setViewportSize({ width: 1400, height: 900 });
});

// The import dialog, on the demo project: ProcessBench's GSM8K split from ../shared/data beside
// the checkout (skipped, saying so, when it is absent), and a JSONL file broken on line 3.
const matching = async () => (await api("counts", { query: { after: 0, limit: 0 } })).matching;
/** Waits until the header's count ("12 / 532 reviewed") says `want` samples match. */
const waitTotal = (want) =>
  page.waitForFunction((n) => Number((document.querySelector('[data-testid="counts"]')?.textContent ?? "").split("/")[1]?.replace(/\D/g, "")) === n, want, { timeout: 5000 });

await test("the menu bar comes from the command table: View → Keyboard shortcuts opens the overlay", async () => {
  await blur();
  await page.locator('[data-testid="menubar"] summary', { hasText: "View" }).click();
  await page.locator('[data-menu-command="view.help"]').click();
  await page.waitForSelector('tr[data-command="view.help"]');
  await key("Escape");
  await page.waitForSelector('tr[data-command="view.help"]', { state: "detached" });
});

await test("the ? overlay lists the import command", async () => {
  await blur();
  await key("?");
  await page.waitForSelector('tr[data-command="import.open"]');
  await key("Escape");
  await page.waitForSelector('tr[data-command="import.open"]', { state: "detached" });
});

// Imports change the project for good: only into the demo project built here.
const ownProject = servers.length > 0;
if (!ownProject) {
  console.log("SKIPPED the imports: FARE_LENS_URL names a project that is not ours to import into");
} else if (!existsSync(processbench)) {
  console.log(`SKIPPED the ProcessBench import: ${processbench} is absent (../shared/data beside the checkout)`);
} else {
  await test("shift+I imports ProcessBench GSM8K: preview, import, the queue grows, a sample opens", async () => {
    const before = await matching();
    await blur();
    await key("Shift+I");
    await page.waitForSelector('[data-testid="import-dialog"]');
    await page.keyboard.type(processbench);
    await key("Enter");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-record"]').length === 5);
    expect((await text('[data-testid="import-detected"]')) === "ProcessBench", "ProcessBench not detected");
    expect((await text('[data-testid="import-records"]')).includes("gsm8k-0"), "the first record is not shown");
    await page.fill('[data-testid="import-dataset"]', "ProcessBench GSM8K");
    await page.screenshot({ path: join(shots, "serve-import-preview.png") });
    await page.click('[data-testid="import-run"]');
    await page.waitForSelector('[data-testid="import-done"]', { timeout: 30000 });
    const done = await text('[data-testid="import-done"]');
    expect(/Imported 400 samples/.test(done), `import said: ${done}`);
    expect((await matching()) === before + 400, "the project did not grow by 400 samples");
    await waitTotal(before + 400);
    await key("Escape");
    await page.waitForSelector('[data-testid="import-dialog"]', { state: "detached" });
    const dataset = (await api("overview")).datasets.find((d) => d.name === "ProcessBench GSM8K");
    expect(dataset !== undefined && dataset.sample_count === 400, "no data set ProcessBench GSM8K of 400 samples");
    await page.selectOption('select[aria-label="Data set"]', String(dataset.id));
    await page.waitForFunction(() => document.querySelector(".sample-head")?.textContent?.includes("ProcessBench GSM8K"));
    await page.waitForSelector(".trace li.step");
    const head = await text(".sample-head");
    expect(head.includes("step-level") && head.includes("gsm8k-"), `not a ProcessBench sample: ${head}`);
    await waitTotal(400);
    await page.selectOption('select[aria-label="Data set"]', "");
    await blur();
  });
}

if (ownProject) await test("a broken file shows an error naming the file and line 3; nothing is imported", async () => {
  const broken = join(importDir, "broken.jsonl");
  const good = (id) => JSON.stringify({ id, problem: "2 + 2?", steps: ["2 + 2 = 4."], label: -1 });
  writeFileSync(broken, `${good("b-0")}\n${good("b-1")}\n{"id": "b-2", "problem": \n${good("b-3")}\n`);
  const before = await matching();
  await blur();
  await key("Shift+I");
  await page.waitForSelector('[data-testid="import-dialog"]');
  await page.keyboard.type(broken);
  await key("Enter");
  await page.waitForSelector('[data-testid="import-record-problem"]');
  const problem = await text('[data-testid="import-record-problem"]');
  expect(problem.includes(`${broken}:3:`), `the preview's problem does not name file and line: ${problem}`);
  await page.click('[data-testid="import-run"]');
  await page.waitForSelector('[data-testid="import-error"]');
  const error = await text('[data-testid="import-error"]');
  expect(error.includes(`${broken}:3:`) && error.includes("nothing of this file was imported"), `error: ${error}`);
  await page.screenshot({ path: join(shots, "serve-import-broken.png") });
  expect((await matching()) === before, "samples were imported from a broken file");
  await key("Escape");
  await page.waitForSelector('[data-testid="import-dialog"]', { state: "detached" });
});

if (ownProject) await test("a preference set imports through the mapping: a template, label values, a tie, annotators' columns", async () => {
  const file = join(importDir, "prefs.jsonl");
  const rows = [
    { instruction: "Sort the list.", input: "3 1 2", output_1: "1 2 3", output_2: "3 2 1", preference: 1, annotator1: 1, annotator2: 1 },
    { instruction: "Greet the user.", output_1: "hi", output_2: "hello", preference: 0, annotator1: 2, annotator2: 0 },
    { instruction: "Add 2 and 2.", input: "", output_1: "5", output_2: "4", preference: 2, annotator1: 2 },
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const before = await matching();
  await blur();
  await key("Shift+I");
  await page.waitForSelector('[data-testid="import-dialog"]');
  await page.keyboard.type(file);
  await key("Enter");
  await page.waitForSelector('[data-testid="import-mapping"]');
  // The suggestion found the responses, the label and both annotators' columns; a number is not
  // guessed to be A or B, so each record says what to give.
  expect((await page.inputValue('[data-testid="import-annotators"]')) === "annotator1=annotator1, annotator2=annotator2", "annotators not suggested");
  await page.waitForSelector('[data-testid="import-record-problem"]');
  expect((await text('[data-testid="import-record-problem"]')).includes("label_values"), "the problem does not say to give label values");
  // The question from two fields, the input optional.
  await page.selectOption('select[data-target="question"]', { label: "several fields (a template)…" });
  await page.waitForSelector('input[data-template="question"]');
  // One change at a time, as a person reads each preview before the next change.
  const settled = () => page.waitForFunction(() => !document.querySelector('[data-testid="import-dialog"]')?.textContent?.includes("Reading the first records"));
  const edit = async (selector, value) => {
    await settled();
    await page.fill(selector, value);
    await blur(); // the change event, as leaving the field gives it
    await settled();
  };
  await edit('input[data-template="question"]', "{instruction}\\n\\n{input?}");
  await edit('[data-testid="import-label-values"]', "1=A, 2=B, 0=tie");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="import-record"]').length === 3);
  await waitText('[data-testid="import-labels-gold"]', "A 1 · B 1 · tie 1");
  await edit('[data-testid="import-annotators"]', "ann=annotator1, bo=annotator2");
  await page.waitForSelector('[data-testid="import-labels"] [data-annotator="bo"]');
  const golds = await page.$$eval('[data-testid="import-record-gold"]', (cells) => cells.map((c) => c.textContent));
  expect(JSON.stringify(golds) === JSON.stringify(["A", "tie", "B"]), `converted labels: ${golds}`);
  const byBo = await text('[data-testid="import-labels"] [data-annotator="bo"]');
  expect(byBo === "A 1 · tie 1 · none 1", `bo's labels: ${byBo}`);
  await page.screenshot({ path: join(shots, "serve-import-mapping.png") });
  await page.click('[data-testid="import-run"]');
  await page.waitForSelector('[data-testid="import-done"], [data-testid="import-error"]', { timeout: 30000 });
  expect(!(await page.$('[data-testid="import-error"]')), `import failed: ${await page.$eval('[data-testid="import-dialog"]', (d) => d.querySelector('[data-testid="import-error"]')?.textContent)}`);
  expect((await matching()) === before + 3, "the project did not grow by 3 samples");
  await key("Escape");
  await page.waitForSelector('[data-testid="import-dialog"]', { state: "detached" });
  const dataset = (await api("overview")).datasets.find((d) => d.name === "prefs");
  const page1 = await api("samples", { query: { dataset_id: dataset.id, after: 0, limit: 10 } });
  expect(JSON.stringify(page1.rows.map((r) => r.gold)) === JSON.stringify(["A", "tie", "B"]), "ground truth as imported");
  const questions = page1.rows.map((r) => r.question);
  expect(JSON.stringify(questions) === JSON.stringify(["Sort the list.\n\n3 1 2", "Greet the user.", "Add 2 and 2."]), `questions: ${JSON.stringify(questions)}`);
  const agreement = await api("agreement");
  const group = agreement.groups.find((g) => g.task === "pairwise" && g.dataset === "prefs");
  expect(group !== undefined && JSON.stringify(group.agreement.annotators) === JSON.stringify(["ann", "bo"]), `annotators: ${JSON.stringify(group?.agreement.annotators)}`);
  await blur();
});

await test("m opens the model panel; a model loads; M judges the open sample into its view", async () => {
  const listed = await api("models");
  if (!listed.models.some((m) => m.name === "smol.gguf")) {
    console.log("     SKIPPED: no model beside the project (tests/fetch-test-assets.sh, or a FARE_LENS_URL server)");
    return;
  }
  const free = (await api("samples", { query: { task: "reference-free", after: 0, limit: 1 } })).rows[0];
  // The queue narrowed to the task: the imports above put 400 samples between here and there.
  await page.selectOption('[data-testid="filter-task"]', "reference-free");
  await goTo(free.id);
  await key("m");
  await page.waitForSelector('[data-testid="model-panel"]');
  await page.locator(".model-list li", { hasText: "smol.gguf" }).locator("input").check();
  await page.waitForSelector('[data-testid="memory"]');
  await page.locator('[data-testid="model-panel"] button', { hasText: /^Load$/ }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid="worker-state"]')?.textContent === "ready", null, { timeout: 60000 });
  await page.fill('[data-testid="model-panel"] input[type="number"]', "8");
  await blur();
  await key("Shift+M");
  await page.waitForFunction(() => document.querySelector('[data-testid="job-state"]')?.textContent === "finished", null, { timeout: 60000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="judgment"]')?.textContent?.includes("smol.gguf"), null, { timeout: 5000 });
  await page.screenshot({ path: join(shots, "serve-model-panel.png") });
  await page.locator('[data-testid="model-panel"] button', { hasText: /^Unload$/ }).click();
  await page.waitForSelector('[data-testid="worker-state"]', { state: "detached" });
  await key("m");
  await page.waitForSelector('[data-testid="model-panel"]', { state: "detached" });
  await page.selectOption('[data-testid="filter-task"]', "");
});

await test("the XSS probe runs no script", async () => {
  await page.goto(xssUrl);
  await page.waitForSelector(".qrow[data-id]");
  await blur();
  await key("/");
  await page.keyboard.type("xssprobe");
  await page.waitForFunction(() => document.querySelectorAll(".qrow[data-id]").length === 1);
  const probeId = Number(await page.locator(".qrow[data-id]").first().getAttribute("data-id"));
  await page.locator(".qrow[data-id]").first().click();
  await page.waitForFunction((want) => document.querySelector(".sample-head .id")?.textContent === `#${want}`, probeId);
  await page.waitForTimeout(300);
  const state = await scriptState();
  expect(state.xss === null, `script ran: __xss=${state.xss}`);
  expect(state.handlers.length === 0, `event handlers: ${state.handlers.join(", ")}`);
  expect(state.jsLinks === 0, "javascript: links survived");
  expect(state.scripts === 0, "inline script in the DOM");
  // Markup of the text stays in its box: no style of its own, nothing painted over the app.
  const markup = await page.evaluate(() => {
    const probes = [...document.querySelectorAll(".overlay-probe")];
    const middle = document.elementFromPoint(window.innerWidth / 2, 20);
    return {
      probes: probes.length,
      styled: probes.filter((p) => p.hasAttribute("style")).length,
      covering: middle?.closest(".overlay-probe") !== null && middle?.closest(".overlay-probe") !== undefined,
      svgLinks: document.querySelectorAll("svg a[href], svg a[*|href]").length,
      contained: probes.every((p) => getComputedStyle(p.closest(".md")).contain.includes("paint")),
    };
  });
  expect(markup.probes > 0, "the overlay probe is not shown at all");
  expect(markup.styled === 0 && !markup.covering, `the text's markup covers the app: ${JSON.stringify(markup)}`);
  expect(markup.svgLinks === 0, "an SVG link survived");
  expect(markup.contained, "a .md box does not contain its paint");
  await page.screenshot({ path: join(shots, "serve-xss.png") });
  const others = await page.evaluate(() => window.__csp.filter((v) => !v.startsWith("script-src-attr")));
  expect(others.length === 0, `CSP violations other than parsed handlers: ${others.join(" | ")}`);
});

await test("no page errors or dialogs", async () => {
  expect(problems.length === 0, problems.join(" | "));
});

const code = await finish();
for (const server of servers) server.kill();
process.exit(code);
