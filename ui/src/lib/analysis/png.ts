// A chart's SVG as a PNG file: the SVG is copied with the styles the page computed for each of
// its elements written inline (a standalone SVG image sees none of the page's CSS or theme
// variables), put under its title on the card's background, drawn onto a canvas at twice its
// size, and encoded.

/** The presentation properties a chart uses; copied from the computed style of each element. */
export const INLINE_PROPERTIES = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-opacity",
  "stroke-dasharray",
  "opacity",
  "font-family",
  "font-size",
  "font-weight",
  "font-style",
  "text-anchor",
  "dominant-baseline",
  "visibility",
  "display",
] as const;

/** Writes the computed style of `source` and of its descendants onto `clone` (same shape). */
export function inlineStyles(source: Element, clone: Element, computed: (e: Element) => CSSStyleDeclaration = (e) => getComputedStyle(e)): void {
  const style = computed(source);
  const parts: string[] = [];
  for (const p of INLINE_PROPERTIES) {
    const v = style.getPropertyValue(p);
    if (v !== "") parts.push(`${p}:${v}`);
  }
  if (parts.length > 0) clone.setAttribute("style", parts.join(";"));
  const a = source.children;
  const b = clone.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i], b[i], computed);
}

/** The size an SVG is drawn at: its viewBox, else its width and height attributes. */
export function svgSize(svg: SVGSVGElement): { width: number; height: number } {
  const box = (svg.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
  if (box.length === 4 && box.every(Number.isFinite) && box[2] > 0 && box[3] > 0) return { width: box[2], height: box[3] };
  return { width: Number(svg.getAttribute("width")) || 600, height: Number(svg.getAttribute("height")) || 400 };
}

/** How the picture looks around the chart: the card's background, and its title above it. */
export interface Framing {
  background: string;
  /** The chart's title, written above it in `color`. */
  title?: string;
  color?: string;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const TITLE_HEIGHT = 26;

/** The size of the picture: the chart's, and a line for the title. */
export function pictureSize(svg: SVGSVGElement, framing: Framing): { width: number; height: number } {
  const { width, height } = svgSize(svg);
  return { width, height: height + (framing.title ? TITLE_HEIGHT : 0) };
}

/**
 * A standalone SVG document of `svg`: styles inline, explicit size, a background rectangle, the
 * title above the chart, and none of the page's tabindex attributes.
 */
export function standaloneSvg(svg: SVGSVGElement, framing: Framing, computed?: (e: Element) => CSSStyleDeclaration): string {
  const chart = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, chart, computed);
  for (const el of chart.querySelectorAll("[tabindex]")) el.removeAttribute("tabindex");
  const { width, height } = svgSize(svg);
  const picture = pictureSize(svg, framing);
  const doc = svg.ownerDocument;
  // The serializer writes the SVG namespace itself (setting `xmlns` too would write it twice).
  const root = doc.createElementNS(SVG_NS, "svg");
  root.setAttribute("width", String(picture.width));
  root.setAttribute("height", String(picture.height));
  root.setAttribute("viewBox", `0 0 ${picture.width} ${picture.height}`);
  const bg = doc.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({ x: "0", y: "0", width: String(picture.width), height: String(picture.height), fill: framing.background })) bg.setAttribute(k, v);
  root.append(bg);
  if (framing.title) {
    const title = doc.createElementNS(SVG_NS, "text");
    for (const [k, v] of Object.entries({ x: "8", y: "18", fill: framing.color ?? "#1c1d1f", style: "font-family:system-ui,sans-serif;font-size:13px;font-weight:600" })) title.setAttribute(k, v);
    title.textContent = framing.title;
    root.append(title);
  }
  chart.setAttribute("x", "0");
  chart.setAttribute("y", String(picture.height - height));
  chart.setAttribute("width", String(width));
  chart.setAttribute("height", String(height));
  root.append(chart);
  return new XMLSerializer().serializeToString(root);
}

/** The PNG bytes of `svg` framed, drawn at `scale` times its size. Browser only. */
export async function svgToPng(svg: SVGSVGElement, framing: Framing, scale = 2): Promise<Uint8Array> {
  const markup = standaloneSvg(svg, framing);
  const { width, height } = pictureSize(svg, framing);
  const image = new Image();
  // A data: URL (the page's CSP allows data: images), so the canvas stays readable.
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext("2d");
  if (!context) throw new Error("this browser cannot draw the chart into an image");
  context.scale(scale, scale);
  context.drawImage(image, 0, 0, width, height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("this browser could not encode the chart as PNG");
  return new Uint8Array(await blob.arrayBuffer());
}
