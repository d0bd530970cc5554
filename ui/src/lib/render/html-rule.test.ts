// The grep-able rule: `{@html` appears in one component only, whose input is typed SafeHtml.
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(__dirname, "..", "..");

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? svelteFiles(p) : p.endsWith(".svelte") ? [p] : [];
  });
}

describe("{@html}", () => {
  it("is used only by SafeHtml.svelte, on a SafeHtml value", () => {
    const users = svelteFiles(root).filter((f) => readFileSync(f, "utf8").includes("{@html"));
    expect(users.map((f) => relative(root, f))).toEqual(["lib/components/SafeHtml.svelte"]);
    expect(readFileSync(users[0], "utf8")).toMatch(/html: SafeHtml/);
  });
  it("no code casts to SafeHtml outside the renderer", () => {
    const offenders = readdirSync(join(root, "lib"), { recursive: true })
      .map((f) => join(root, "lib", String(f)))
      .filter((f) => /\.(ts|svelte)$/.test(f) && !f.endsWith(".test.ts") && !f.endsWith("render/markdown.ts"))
      .filter((f) => /as SafeHtml/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });
});
