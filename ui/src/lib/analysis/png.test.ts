// The PNG export's first half, the standalone SVG (the canvas half needs a real browser: the
// e2e test saves a PNG in Chromium).
import { describe, expect, it } from "vitest";
import { standaloneSvg, svgSize } from "./png";

function chart(): SVGSVGElement {
  const holder = document.createElement("div");
  holder.innerHTML = `<svg viewBox="0 0 300 120" class="chart-svg"><g class="cell" tabindex="-1" data-key="bucket:late"><rect class="bar-fill" x="0" y="0" width="10" height="10"></rect><text class="tick">Late</text></g></svg>`;
  return holder.querySelector("svg")!;
}

/** What the page's CSS computed, by class. */
function computed(e: Element): CSSStyleDeclaration {
  const styles: Record<string, Record<string, string>> = {
    "bar-fill": { fill: "rgb(47, 95, 208)" },
    tick: { fill: "rgb(107, 111, 118)", "font-size": "10px", "font-family": "system-ui" },
  };
  const own = styles[e.getAttribute("class") ?? ""] ?? {};
  return { getPropertyValue: (p: string) => own[p] ?? "" } as unknown as CSSStyleDeclaration;
}

describe("a chart as a standalone SVG", () => {
  it("has its computed styles inline, its size, a background, its title, and no tabindex", () => {
    const svg = chart();
    const text = standaloneSvg(svg, { background: "rgb(255, 255, 255)", title: "Where verdicts land", color: "rgb(28, 29, 31)" }, computed);
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    expect(root.tagName).toBe("svg");
    expect(root.namespaceURI).toBe("http://www.w3.org/2000/svg");
    expect([root.getAttribute("width"), root.getAttribute("height")]).toEqual(["300", "146"]);
    const [background, title, inner] = [...root.children];
    expect(background.tagName).toBe("rect");
    expect(background.getAttribute("fill")).toBe("rgb(255, 255, 255)");
    expect(background.getAttribute("height")).toBe("146");
    expect(title.textContent).toBe("Where verdicts land");
    expect(title.getAttribute("fill")).toBe("rgb(28, 29, 31)");
    expect([inner.getAttribute("y"), inner.getAttribute("width"), inner.getAttribute("height")]).toEqual(["26", "300", "120"]);
    expect(root.querySelector(".bar-fill")!.getAttribute("style")).toBe("fill:rgb(47, 95, 208)");
    expect(root.querySelector(".tick")!.getAttribute("style")).toBe("fill:rgb(107, 111, 118);font-family:system-ui;font-size:10px");
    expect(root.querySelector("[tabindex]")).toBeNull();
    // the page's own SVG is left as it was
    expect(svg.querySelector(".bar-fill")!.getAttribute("style")).toBeNull();
    expect(svg.querySelector("[tabindex]")).not.toBeNull();
  });

  it("without a title is the chart's own size", () => {
    const root = new DOMParser().parseFromString(standaloneSvg(chart(), { background: "white" }, computed), "image/svg+xml").documentElement;
    expect([root.getAttribute("width"), root.getAttribute("height")]).toEqual(["300", "120"]);
    expect(root.children.length).toBe(2);
  });

  it("is as large as its viewBox, else its width and height", () => {
    expect(svgSize(chart())).toEqual({ width: 300, height: 120 });
    const plain = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    plain.setAttribute("width", "40");
    plain.setAttribute("height", "20");
    expect(svgSize(plain)).toEqual({ width: 40, height: 20 });
  });
});
