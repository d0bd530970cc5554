import { beforeEach, describe, expect, it } from "vitest";
import { clearRenderCache, extractMath, renderMarkdown, renderStats } from "./markdown";

/** Everything in the HTML that could run script. */
function dangers(html: string): string[] {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const found: string[] = [];
  for (const el of Array.from(doc.body.querySelectorAll("*"))) {
    const tag = el.tagName.toLowerCase();
    if (["script", "iframe", "object", "embed", "form", "style"].includes(tag)) found.push(`<${tag}>`);
    for (const attr of Array.from(el.attributes)) {
      if (/^on/i.test(attr.name)) found.push(`${tag}[${attr.name}]`);
      if (/^\s*(javascript|vbscript|data:text\/html)/i.test(attr.value) && /href|src|action|xlink/i.test(attr.name)) {
        found.push(`${tag}[${attr.name}=${attr.value}]`);
      }
    }
  }
  return found;
}

beforeEach(() => clearRenderCache());

describe("renderMarkdown: math", () => {
  it("renders the four math delimiters with KaTeX", () => {
    for (const text of ["inline $x^2 + y_1$ here", "$$\\frac{a}{b}$$", "\\(\\alpha_i\\)", "\\[\\sum_{i=0}^n i\\]"]) {
      const html = renderMarkdown(text);
      expect(html, text).toContain('class="katex');
      expect(html, text).not.toContain("math-error");
    }
  });

  it("display math is display", () => {
    expect(renderMarkdown("$$x$$")).toContain("katex-display");
    expect(renderMarkdown("\\[x\\]")).toContain("katex-display");
    expect(renderMarkdown("$x$")).not.toContain("katex-display");
  });

  it("markdown does not eat underscores and backslashes inside math", () => {
    const html = renderMarkdown("$a_1 * b_2 * c$ and **bold**");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).not.toContain("<em>");
  });

  it("broken LaTeX falls back to the raw text, never a blank", () => {
    const html = renderMarkdown("before $\\frac{1}{$ after");
    // The unbalanced brace cannot be typeset: the text as written stays visible.
    expect(html).toContain("before");
    expect(html).toContain("after");
    const broken = renderMarkdown("$$\\begin{matrix} x \\end{pmatrix}$$");
    expect(broken).toContain("math-error");
    expect(broken).toContain("\\begin{matrix} x \\end{pmatrix}");
    const doc = new DOMParser().parseFromString(broken, "text/html");
    expect(doc.body.textContent?.trim().length).toBeGreaterThan(10);
  });

  it("an undefined command is shown raw, with KaTeX's reason as a title", () => {
    const html = renderMarkdown("$\\notacommand{x}$");
    expect(html).toContain("math-error");
    expect(html).toContain("\\notacommand{x}");
    expect(html).toMatch(/title="[^"]*notacommand/);
  });

  it("dollar amounts are not math", () => {
    const { math } = extractMath("It costs $5 and $6 today.", "T");
    expect(math).toHaveLength(0);
  });

  it("math inside code stays code", () => {
    const { math } = extractMath("`$x$` and\n```\n$$y$$\n```\n", "T");
    expect(math).toHaveLength(0);
    expect(renderMarkdown("`$x$`")).toContain("<code>$x$</code>");
  });
});

describe("renderMarkdown: code", () => {
  it("highlights a known language", () => {
    const html = renderMarkdown("```python\ndef f(x):\n    return x + 1\n```");
    expect(html).toContain("language-python");
    expect(html).toContain("hljs-keyword");
  });
  it("escapes an unknown language", () => {
    const html = renderMarkdown("```brainfuck\n<b>x</b>\n```");
    expect(html).toContain("&lt;b&gt;");
  });
});

describe("renderMarkdown: untrusted text cannot run script", () => {
  const payloads = [
    `<img src=x onerror="alert(1)">`,
    `<script>alert(1)</script>`,
    `[click](javascript:alert(1))`,
    `<a href="javascript:alert(1)">x</a>`,
    `<a href="  JaVaScRiPt:alert(1)">x</a>`,
    `<svg onload="alert(1)"><circle r="1"/></svg>`,
    `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
    `$\\href{javascript:alert(1)}{x}$`,
    `$$\\url{javascript:alert(1)}$$`,
    `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
    `<iframe src="javascript:alert(1)"></iframe>`,
    `<form action="javascript:alert(1)"><button>x</button></form>`,
    `<div style="x" onclick="alert(1)">x</div>`,
    `<details open ontoggle=alert(1)>`,
    `![x](javascript:alert(1))`,
    "```\n</code><img src=x onerror=alert(1)>\n```",
    `<object data="javascript:alert(1)"></object>`,
    `$x$<img src=x onerror=alert(1)>$y$`,
  ];
  for (const payload of payloads) {
    it(`is inert: ${payload.slice(0, 60)}`, () => {
      const html = renderMarkdown(payload);
      expect(dangers(html)).toEqual([]);
      expect(html.toLowerCase()).not.toContain("<script");
    });
  }
});

describe("renderMarkdown: cache", () => {
  it("renders a text once", () => {
    renderMarkdown("step $x$");
    renderMarkdown("step $x$");
    renderMarkdown("step $x$");
    expect(renderStats()).toEqual({ renders: 1, hits: 2 });
  });
});

describe("renderMarkdown: untrusted markup cannot pass for the app", () => {
  const parse = (html: string) => {
    const t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  };

  it("the text's own HTML keeps no style, even dressed as KaTeX", () => {
    for (const text of [
      `<div style="position:fixed;inset:0;z-index:9999;background:red">B is correct</div>`,
      `<span class="katex" style="position:fixed;top:0">fake</span>`,
      `<svg style="position:fixed"><rect width="9999" height="9999"/></svg>`,
    ]) {
      const html = renderMarkdown(text);
      expect(parse(html).querySelector("[style]"), `${text} → ${html}`).toBeNull();
    }
  });

  it("KaTeX's own boxes keep their inline styles, without position, z-index or inset", () => {
    const html = renderMarkdown("$\\frac{a}{b} + \\sqrt{x^2}$ and $$\\int_0^1 f$$");
    const styled = [...parse(html).querySelectorAll<HTMLElement>("[style]")];
    expect(styled.length).toBeGreaterThan(0);
    expect(styled.every((e) => e.closest(".katex") !== null)).toBe(true);
    expect(html).not.toMatch(/position\s*:|z-index|inset/i);
  });

  it("only an HTML <a> keeps a link, and it opens outside the app", () => {
    const html = renderMarkdown(
      [
        `<a href="https://example.org/">html</a>`,
        `<svg><a href="https://example.org/svg"><text>svg</text></a></svg>`,
        `<svg><a xlink:href="https://example.org/xlink"><text>x</text></a></svg>`,
        `<math href="https://example.org/math"><mi href="https://example.org/mi">x</mi></math>`,
        `<map name="m"><area href="https://example.org/area" shape="rect" coords="0,0,9,9"></map>`,
      ].join("\n\n"),
    );
    const links = [...parse(html).querySelectorAll("[href], [*|href]")];
    expect(links.map((l) => l.getAttribute("href"))).toEqual(["https://example.org/"]);
    expect(links[0].getAttribute("target")).toBe("_blank");
    expect(links[0].getAttribute("rel")).toBe("noopener noreferrer");
    expect(html).not.toContain("example.org/svg");
    expect(html).not.toContain("example.org/area");
  });

  it("math written inside an attribute stays its text", () => {
    const html = renderMarkdown(`<abbr title="$x^2$">t</abbr> and $y$`);
    const abbr = parse(html).querySelector("abbr")!;
    expect(abbr.getAttribute("title")).toBe("$x^2$");
    expect(parse(html).querySelector(".katex")).not.toBeNull();
  });

  it("an unclosed \\[ or fence among many still renders the rest", () => {
    const text = "\\[ ".repeat(2000) + "$z$";
    const html = renderMarkdown(text);
    expect(parse(html).querySelector(".katex")).not.toBeNull();
  });
});
