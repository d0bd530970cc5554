// The browser side shared by the e2e suites: headless Debian chromium through playwright-core,
// a page that records errors, dialogs and CSP violations, and a tiny test runner that prints
// `N passed, N failed`.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const shots = new URL("./screenshots/", import.meta.url).pathname;

export async function openBrowser() {
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // playwright gives each launch a fresh temporary profile (it refuses --user-data-dir here)
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
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
