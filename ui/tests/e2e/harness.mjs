// The browser side shared by the e2e suites and the UI benchmarks (../bench): headless Debian
// chromium through playwright-core, `fare-lens serve` on a free port, a page that records errors,
// dialogs and CSP violations, and a tiny test runner that prints `N passed, N failed`.
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const shots = new URL("./screenshots/", import.meta.url).pathname;

/** Headless Debian chromium (`CHROMIUM=/path` for another binary); `extraArgs` are appended. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // playwright gives each launch a fresh temporary profile (it refuses --user-data-dir here)
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", ...extraArgs],
  });
}

/**
 * Starts `bin serve PROJECT` on a free loopback port with `token` and the built UI `ui` (and the
 * data folders `data`, whose files it may import, besides the project's own); it prints
 * "FARE Lens: … at http://ADDR/#token=…", whose address is returned with the process.
 */
export async function startServe(bin, project, { token, ui, annotator = "e2e", data = [], env = {} }) {
  const args = ["serve", project, "--addr", "127.0.0.1:0", "--token", token, "--ui", ui, "--annotator", annotator];
  for (const folder of data) args.push("--data", folder);
  const server = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    setTimeout(() => reject(new Error(`serve printed no address: ${out}`)), 20000);
  });
  return { server, url };
}

export async function openBrowser() {
  mkdirSync(shots, { recursive: true });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // Chromium reports an inline handler it merely *parsed* (in DOMPurify's inert document) as
  // blocked by the CSP; suites check `window.__csp` themselves where it matters.
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource|inline event handler violates/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("dialog", async (d) => {
    problems.push(`dialog: ${d.message()}`);
    await d.dismiss();
  });
  // Record what the CSP blocked, so a failure says what it was.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
    });
  });

  let passed = 0;
  let failed = 0;
  const h = {
    browser,
    page,
    problems,
    async test(name, fn) {
      try {
        await fn();
        passed++;
        console.log(`ok   ${name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}\n     ${String(e.message ?? e).split("\n")[0]}`);
        await page.screenshot({ path: join(shots, `fail-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
      }
    },
    expect(cond, what) {
      if (!cond) throw new Error(what);
    },
    text: (sel) => page.locator(sel).first().innerText(),
    key: (k) => page.keyboard.press(k),
    async waitText(sel, want) {
      await page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent?.trim() === w, [sel, want], { timeout: 5000 });
    },
    async blur() {
      await page.evaluate(() => document.activeElement?.blur());
    },
    /** Everything in the live DOM that could run script, and whether any did. */
    async scriptState() {
      return page.evaluate(() => ({
        xss: window.__xss ?? null,
        handlers: [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName}[${a.name}]`)),
        jsLinks: [...document.querySelectorAll("[href],[src],[xlink\\:href]")].filter((el) => /^\s*javascript:/i.test(el.getAttribute("href") ?? el.getAttribute("src") ?? "")).length,
        scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
      }));
    },
    async finish() {
      await browser.close();
      console.log(`${passed} passed, ${failed} failed`);
      return failed === 0 ? 0 : 1;
    },
  };
  return h;
}
