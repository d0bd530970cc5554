// End-to-end, "Get a model", against the real `fare-lens serve` and a Hugging Face hub on
// loopback (hub.mjs; HF_ENDPOINT and HF_HOME point the server at it and at a scratch cache): a
// first run without a model says what to do in a sentence and a button; the model's license is
// shown before its download starts; the download shows bytes, speed and time left, is
// cancelled, offered again as a resume, resumed from what was kept, and the model then appears
// in the list, usable. The hub serves the real SmolLM2 GGUF (tests/fetch-test-assets.sh) as
// Salesforce/FARE-8B: a small real model in place of the 16 GB one.
//   npm run build && FARE_LENS=../target/debug/fare-lens npm run e2e:models
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBrowser, shots, startServe } from "./harness.mjs";
import { startHub } from "./hub.mjs";

const bin = process.env.FARE_LENS ?? new URL("../../../target/debug/fare-lens", import.meta.url).pathname;
const dist = new URL("../../dist/", import.meta.url).pathname;
const smollm2 = new URL("../../../.test-assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", import.meta.url).pathname;
if (!existsSync(smollm2)) {
  console.log(`SKIPPED "Get a model": ${smollm2} is absent (run tests/fetch-test-assets.sh)`);
  process.exit(process.env.CI ? 1 : 0);
}

const dir = mkdtempSync(join(tmpdir(), "fare-lens-e2e-models-"));
const demo = join(dir, "demo.sqlite");
execFileSync(bin, ["demo", demo], { stdio: "ignore" });
// About 8 seconds for the 98 MB file: time to see the progress and cancel.
const hub = await startHub(
  [{ id: "Salesforce/FARE-8B", files: { "SmolLM2-135M-Instruct.Q4_1.gguf": readFileSync(smollm2), "README.md": Buffer.from("# for tests\n") } }],
  { bytesPerSecond: 12e6 },
);
const token = "e2e-token-0123456789";
const env = { HF_ENDPOINT: hub.url, HF_HOME: join(dir, "hf"), HF_TOKEN: "", HF_HUB_CACHE: "" };
const { server, url } = await startServe(bin, demo, { token, ui: dist, env });
const { page, problems, test, expect, text, key, finish } = await openBrowser();
const panel = '[data-testid="model-panel"]';
const fare8b = '[data-testid="hub-model"][data-repo="Salesforce/FARE-8B"]';

await test("a first run without a model says what to do, with a button", async () => {
  await page.goto(url);
  await page.waitForSelector(".qrow[data-id]");
  await key("m");
  await page.waitForSelector('[data-testid="first-run"]');
  const said = await text('[data-testid="first-run"]');
  expect(said.startsWith("No model yet: get FARE-8B from the Hugging Face hub"), `first run: ${said}`);
  expect(!(await page.locator('[data-testid="get-model"]').evaluate((d) => d.open)), "Get a model is open before the button");
  await page.click('[data-testid="first-run-get"]');
  expect(await page.locator('[data-testid="get-model"]').evaluate((d) => d.open), "the button did not open Get a model");
  const card = await text(fare8b);
  expect(card.includes("cc-by-nc-4.0") && card.includes("Not downloaded"), `card: ${card}`);
  expect((await text('[data-testid="get-model"]')).includes(hub.url), "the hub's address is not shown");
});

await test("the license is shown before the download; the download shows bytes, speed and time left; cancel keeps it", async () => {
  await page.click(`${fare8b} [data-testid="hub-download"]`);
  const license = await text(`${fare8b} [data-testid="license"]`);
  expect(license.includes("cc-by-nc-4.0") && /non-?commercial/i.test(license), `license: ${license}`);
  expect(hub.requests.length === 0, "the hub was asked before the license was accepted");
  await page.click(`${fare8b} [data-testid="license-accept"]`);
  await page.waitForFunction(
    () => /MB of .* MB · .*\/s · .* left/.test(document.querySelector('[data-testid="transfer-progress"]')?.textContent ?? ""),
    null,
    { timeout: 15000 },
  );
  await page.screenshot({ path: join(shots, "models-download-progress.png") });
  await page.click('[data-testid="transfer-cancel"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="transfer-state"]')?.textContent === "cancelled", null, { timeout: 10000 });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes("kept of an unfinished download"), `${fare8b} [data-testid="hub-held"]`, { timeout: 5000 });
  expect((await text(`${fare8b} [data-testid="hub-download"]`)) === "Resume download", "no resume offered");
});

await test("the resume goes on from what was kept, and the model is then in the list", async () => {
  const before = hub.requests.length;
  await page.click(`${fare8b} [data-testid="hub-download"]`);
  await page.click(`${fare8b} [data-testid="license-accept"]`);
  await page.waitForFunction(() => document.querySelector('[data-testid="transfer-state"]')?.textContent === "finished", null, { timeout: 60000 });
  const done = await text('[data-testid="transfer-progress"]');
  expect(done.includes("resumed after"), `not resumed: ${done}`);
  const ranged = hub.requests.slice(before).find((r) => r.path.startsWith("/cdn/"));
  expect(ranged?.range?.startsWith("bytes=") && ranged.range !== "bytes=0-", `the resume asked ${JSON.stringify(ranged)}`);
  await page.waitForSelector(`${panel} .model-list li:has-text("Salesforce/FARE-8B") input:not([disabled])`, { timeout: 10000 });
  expect((await page.locator('[data-testid="first-run"]').count()) === 0, "the first-run line stays");
  expect((await text(`${fare8b} [data-testid="hub-held"]`)) === "Downloaded", "the card does not say downloaded");
  await page.screenshot({ path: join(shots, "models-downloaded.png") });
});

await test("no page errors", async () => {
  expect(problems.length === 0, problems.join("; "));
});

const code = await finish();
server.kill();
hub.close();
process.exit(code);
