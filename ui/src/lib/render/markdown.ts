// Untrusted text (problems, steps, responses, critiques) to safe HTML: markdown by `marked`,
// math by KaTeX, code by highlight.js, and all of it through DOMPurify. This module is the
// only producer of `SafeHtml`, and `components/SafeHtml.svelte` the only place that inserts HTML.
// Results are cached by text: a trace's steps are rendered once, key presses only change classes.
//
// Beyond script, untrusted markup must not pass for the app: the text's own HTML keeps no
// `style` (it could cover the screen or draw a fake panel), and only KaTeX's output, sanitised
// apart and put into text nodes afterwards, keeps its inline styles, without `position`,
// `z-index` or `inset`. Only an HTML `<a>` keeps a link (opened outside the app); SVG and MathML
// links lose theirs. `.md` in app.css contains whatever remains (`contain: paint`).
import DOMPurify from "dompurify";
import katex from "katex";
import { Marked } from "marked";
import hljs from "highlight.js/lib/core";
import python from "highlight.js/lib/languages/python";
import javascript from "highlight.js/lib/languages/javascript";
import cpp from "highlight.js/lib/languages/cpp";
import java from "highlight.js/lib/languages/java";
import json from "highlight.js/lib/languages/json";
import bash from "highlight.js/lib/languages/bash";
import latex from "highlight.js/lib/languages/latex";

hljs.registerLanguage("python", python);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("cpp", cpp);
hljs.registerLanguage("java", java);
hljs.registerLanguage("json", json);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("latex", latex);

/** HTML that went through DOMPurify. Only `renderMarkdown`/`renderPlain` make one. */
export type SafeHtml = string & { readonly __safe: unique symbol };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A piece of math found in the text. */
export interface MathSpan {
  tex: string;
  display: boolean;
  /** The text as written, shown when KaTeX cannot read it. */
  raw: string;
}

// Code first (fenced, then inline) so math inside code stays code; then the four math forms.
// No lazy span may run past its own opener (a fence's body past the next fence line, `\[`'s
// past the next `\[`): else every unclosed opener would scan to the end of the text, quadratic
// in the number of openers.
const SEGMENT =
  /(^|\n)(```|~~~)[^\n]*\n(?:(?!\n\2)[\s\S])*?\n\2[ \t]*(?=\n|$)|(`+)[^`]*?\3|\$\$([\s\S]+?)\$\$|\\\[((?:(?!\\\[)[\s\S])+?)\\\]|\\\(((?:(?!\\\()[\s\S])+?)\\\)|\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/g;

/**
 * Replaces math by placeholders markdown leaves alone, so `_`, `*` and `\\` inside math reach
 * KaTeX untouched. Returns the text and the math in order.
 */
export function extractMath(text: string, token: string): { text: string; math: MathSpan[] } {
  const math: MathSpan[] = [];
  const out = text.replace(SEGMENT, (whole, lead, fence, ticks, dd, bracket, paren, single) => {
    if (fence !== undefined || ticks !== undefined) return whole;
    const display = dd !== undefined || bracket !== undefined;
    const tex = (dd ?? bracket ?? paren ?? single) as string;
    math.push({ tex, display, raw: whole });
    return `${token}${math.length - 1}x`;
  });
  return { text: out, math };
}

/** One math span as HTML: KaTeX's, or the raw text (escaped) when KaTeX cannot read it. */
export function renderMath(span: MathSpan): string {
  try {
    return katex.renderToString(span.tex, {
      displayMode: span.display,
      throwOnError: true,
      trust: false,
      strict: "ignore",
      output: "htmlAndMathml",
      maxExpand: 1000,
      maxSize: 50,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `<code class="math-error" title="${escapeHtml(why)}">${escapeHtml(span.raw)}</code>`;
  }
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const language = (lang ?? "").trim().split(/\s+/)[0].toLowerCase();
      const body =
        language && hljs.getLanguage(language)
          ? hljs.highlight(text, { language, ignoreIllegals: true }).value
          : escapeHtml(text);
      const cls = language ? ` class="hljs language-${escapeHtml(language)}"` : ` class="hljs"`;
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
  },
});

// DOMPurify needs a real DOM; without one it would pass HTML through, so `sanitize` fails closed.
const purifier = typeof window === "undefined" ? null : DOMPurify(window);
/** Inline style properties that could lift KaTeX's boxes out of the text's flow. */
const LIFTING = /^(position|z-index|inset(-.*)?)$/i;
purifier?.addHook("uponSanitizeAttribute", (_node, data) => {
  if (data.attrName !== "style") return;
  data.attrValue = data.attrValue
    .split(";")
    .filter((declaration) => {
      const property = declaration.split(":")[0]?.trim() ?? "";
      return property !== "" && !LIFTING.test(property) && !/url\s*\(|expression\s*\(/i.test(declaration);
    })
    .join(";");
});
purifier?.addHook("afterSanitizeAttributes", (node) => {
  // Every link the same way: an HTML <a> opens outside the app; no other element keeps one
  // (SVG <a>, MathML `href` would navigate the app's own window).
  const htmlLink = node.namespaceURI === "http://www.w3.org/1999/xhtml" && node.tagName === "A";
  if (htmlLink) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  } else {
    node.removeAttribute("href");
    node.removeAttribute("xlink:href");
    node.removeAttributeNS("http://www.w3.org/1999/xlink", "href");
  }
});

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "area", "map", "base", "meta", "link"];

/** The last word on the text's own HTML: no script, no event handlers, no `javascript:` URLs, no `style`. */
export function sanitize(html: string): SafeHtml {
  if (!purifier || !purifier.isSupported) return escapeHtml(html) as SafeHtml;
  return purifier.sanitize(html, {
    USE_PROFILES: { html: true, svg: true, mathMl: true },
    FORBID_TAGS,
    FORBID_ATTR: ["srcset", "action", "formaction", "style"],
    ADD_ATTR: ["target"],
  }) as SafeHtml;
}

/** KaTeX's output: its inline styles stay (without the lifting properties), nothing else more. */
function sanitizeMath(html: string): string {
  if (!purifier || !purifier.isSupported) return escapeHtml(html);
  return purifier.sanitize(html, {
    USE_PROFILES: { html: true, svg: true, mathMl: true },
    FORBID_TAGS,
    FORBID_ATTR: ["srcset", "action", "formaction"],
  });
}

/**
 * Puts each math span where its placeholder is in the sanitised HTML: in text, as KaTeX's
 * sanitised output; in an attribute (math written inside the text's own HTML), as its raw text.
 */
function placeMath(safe: string, token: string, math: MathSpan[]): string {
  const placeholder = new RegExp(`${token}(\\d+)x`, "g");
  const template = document.createElement("template");
  template.innerHTML = safe;
  const rendered = math.map((span) => sanitizeMath(renderMath(span)));
  const walker = document.createTreeWalker(template.content, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (placeholder.test(node.nodeValue ?? "")) texts.push(node as Text);
      placeholder.lastIndex = 0;
    } else {
      for (const attribute of [...(node as Element).attributes]) {
        if (attribute.value.includes(token)) {
          attribute.value = attribute.value.replace(placeholder, (_, i) => math[Number(i)]?.raw ?? "");
        }
      }
    }
  }
  for (const text of texts) {
    const parts = (text.nodeValue ?? "").split(placeholder);
    const fragment = document.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        if (part !== "") fragment.append(part);
      } else {
        const piece = document.createElement("template");
        piece.innerHTML = rendered[Number(part)] ?? "";
        fragment.append(piece.content);
      }
    });
    text.replaceWith(fragment);
  }
  return template.innerHTML;
}

const CACHE_LIMIT = 4000;
const cache = new Map<string, SafeHtml>();
let stats = { renders: 0, hits: 0 };

/** Markdown with math and code to sanitised HTML, cached by text. */
export function renderMarkdown(text: string): SafeHtml {
  const hit = cache.get(text);
  if (hit !== undefined) {
    stats.hits++;
    // refresh its place: the cache forgets the least recently used first
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  stats.renders++;
  const token = `fLmath${Math.random().toString(36).slice(2, 8)}n`;
  const { text: withPlaceholders, math } = extractMath(text, token);
  const html = marked.parse(withPlaceholders, { async: false }) as string;
  let safe = sanitize(html);
  if (math.length > 0 && purifier?.isSupported) safe = placeMath(safe, token, math) as SafeHtml;
  cache.set(text, safe);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return safe;
}

/** Plain text as safe HTML (escaped). */
export function renderPlain(text: string): SafeHtml {
  return escapeHtml(text) as SafeHtml;
}

/** How often the renderer really rendered and how often the cache answered (for tests). */
export function renderStats(): { renders: number; hits: number } {
  return { ...stats };
}

export function clearRenderCache(): void {
  cache.clear();
  stats = { renders: 0, hits: 0 };
}
