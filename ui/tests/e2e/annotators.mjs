// End-to-end, several annotators, against the real `fare-lens serve`: the demo project where two
// people (labelled with the real binary's `annotate`) disagree on a sample; the agreement view
// (Shift+G) shows kappa and alpha with their counts and adjudicates the disagreement; the export
// dialog (Shift+E) previews rows, exports under a final-label choice and refuses to replace the
// file until asked.
//   npm run build && FARE_LENS=../target/debug/fare-lens npm run e2e:annotators
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBrowser, shots, startServe } from "./harness.mjs";

const bin = process.env.FARE_LENS ?? new URL("../../../target/debug/fare-lens", import.meta.url).pathname;
const dist = new URL("../../dist/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "fare-lens-e2e-annotators-"));
const demo = join(dir, "demo.sqlite");
execFileSync(bin, ["demo", demo], { stdio: "ignore" });
const run = (args) => JSON.parse(execFileSync(bin, [...args, "--json"], { encoding: "utf8" }));
// A pairwise sample of the demo: ana says A, ben says B.
const pair = run(["samples", demo, "--task", "pairwise", "--limit", "1"]);
const sampleId = String(pair.samples[0].id);
execFileSync(bin, ["annotate", demo, sampleId, "--verdict", "A", "--annotator", "ana"], { stdio: "ignore" });
execFileSync(bin, ["annotate", demo, sampleId, "--verdict", "B", "--annotator", "ben"], { stdio: "ignore" });

const token = "e2e-token-0123456789";
const { server, url } = await startServe(bin, demo, { token, ui: dist, annotator: "cy" });
const { page, problems, test, expect, key, finish } = await openBrowser();

await test("the page opens", async () => {
  await page.goto(url);
  await page.waitForSelector(".qrow[data-id]");
});

await test("shift+G shows kappa for ana and ben over one sample and the disagreement", async () => {
  await key("Shift+G");
  await page.waitForSelector("[data-testid=agreement-table]");
  const rows = await page.locator("[data-testid=agreement-row]").allInnerTexts();
  const pairwise = rows.find((r) => r.startsWith("pairwise"));
  expect(pairwise && /ana \/ ben: κ 0\.000 over 1 \(0 agreed\)/.test(pairwise), `pairwise row: ${pairwise}`);
  await page.waitForSelector("[data-testid=disagreement]");
  const items = await page.locator("[data-testid=disagreement]").allInnerTexts();
  expect(items.some((t) => /ana A · ben B/.test(t)), `disagreements: ${items.join(" | ")}`);
});

await test("opening the disagreement and adjudicating B records it as cy's", async () => {
  await page.locator("[data-testid=disagreement]", { hasText: "ana A · ben B" }).first().click();
  await page.waitForSelector("[data-testid=disagreement-detail]");
  await page.fill("[data-testid=disagreement-detail] input[type=text]", "B handles the edge case");
  // Only open disagreements are listed: show all, so the adjudicated one stays in view.
  await page.uncheck("[data-testid=agreement-open-only]");
  await page.click("[data-testid=adjudicate][data-verdict=B]");
  await page.waitForSelector("[data-testid=adjudicated]");
  const said = await page.locator("[data-testid=adjudicated]").innerText();
  expect(/Adjudicated B by cy/.test(said) && /edge case/.test(said), `said: ${said}`);
  await page.screenshot({ path: join(shots, "agreement.png") });
  await key("Escape");
  await page.waitForSelector("[data-testid=agreement-view]", { state: "detached" });
});

const out = join(dir, "sft.jsonl");
await test("shift+E previews the SFT rows and exports with the adjudicated verdict", async () => {
  await key("Shift+E");
  await page.waitForSelector("[data-testid=export-dialog]");
  await page.fill("[data-testid=export-path]", out);
  await page.selectOption("[data-testid=export-format]", "sft-jsonl");
  await page.click("[data-testid=export-preview]");
  await page.waitForSelector("[data-testid=export-row]");
  const first = JSON.parse(await page.locator("[data-testid=export-row]").first().innerText());
  expect(first.final_source !== undefined, `row: ${JSON.stringify(first).slice(0, 200)}`);
  await page.click("[data-testid=export-run]");
  await page.waitForSelector("[data-testid=export-done]");
  const done = await page.locator("[data-testid=export-done]").innerText();
  expect(/1 adjudicated/.test(done), `summary: ${done}`);
  expect(existsSync(out), "the file was written");
  const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const adjudicated = lines.find((l) => l.final_source === "adjudicated");
  expect(adjudicated && adjudicated.annotator === "cy" && adjudicated.messages[2].content.endsWith("[B]"), `line: ${JSON.stringify(adjudicated)?.slice(0, 300)}`);
});

await test("exporting again asks before replacing; ticking Replace writes it", async () => {
  const before = readFileSync(out, "utf8");
  await page.selectOption("[data-testid=export-final]", "majority");
  await page.click("[data-testid=export-run]");
  await page.waitForSelector("[data-testid=export-error]");
  const error = await page.locator("[data-testid=export-error]").innerText();
  expect(/the file exists/.test(error), `error: ${error}`);
  expect(readFileSync(out, "utf8") === before, "the file was kept");
  await page.check("[data-testid=export-replace]");
  await page.click("[data-testid=export-run]");
  await page.waitForSelector("[data-testid=export-done]");
  const done = await page.locator("[data-testid=export-done]").innerText();
  expect(/majority of annotators/.test(done) && /a tie between annotators/.test(done), `summary: ${done}`);
  await page.screenshot({ path: join(shots, "export.png") });
});

await test("an export outside the server's data folders is refused and writes nothing", async () => {
  const outside = join(mkdtempSync(join(tmpdir(), "fare-lens-e2e-outside-")), "labels.jsonl");
  await page.fill("[data-testid=export-path]", outside);
  await page.click("[data-testid=export-run]");
  await page.waitForSelector("[data-testid=export-error]");
  const error = await page.locator("[data-testid=export-error]").innerText();
  expect(/outside the data folders/.test(error) && /--data/.test(error), `error: ${error}`);
  expect(!existsSync(outside), "nothing was written outside");
});

await test("Data → Merge project files… combines two copies into a new file, then refuses to overwrite it", async () => {
  await key("Escape");
  await page.waitForSelector("[data-testid=export-dialog]", { state: "detached" });
  const copy = join(dir, "copy.sqlite");
  execFileSync(bin, ["merge", copy, demo, demo], { stdio: "ignore" });
  await page.locator('[data-testid="menubar"] summary', { hasText: "Data" }).click();
  await page.locator('[data-menu-command="merge.open"]').click();
  await page.waitForSelector("[data-testid=merge-dialog]");
  const merged = join(dir, "merged.sqlite");
  await page.fill("[data-testid=merge-inputs]", `${demo}\n${copy}`);
  await page.fill("[data-testid=merge-output]", merged);
  await page.click("[data-testid=merge-run]");
  await page.waitForSelector("[data-testid=merge-done]");
  const done = await page.locator("[data-testid=merge-done]").innerText();
  expect(/0 annotation events \(\d+ already there\)/.test(done) && /annotators .*ana, ben, cy/.test(done), `merge said: ${done}`);
  expect(existsSync(merged), "the merged file exists");
  await page.click("[data-testid=merge-run]");
  await page.waitForSelector("[data-testid=merge-error]");
  const error = await page.locator("[data-testid=merge-error]").innerText();
  expect(/already exists/.test(error), `error: ${error}`);
  await key("Escape");
});

await test("no page errors or dialogs", async () => {
  expect(problems.length === 0, problems.join("; "));
});

const code = await finish();
server.kill();
process.exit(code);
