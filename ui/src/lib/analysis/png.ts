// A chart's SVG as a PNG file: the SVG is copied with the styles the page computed for each of
// its elements written inline (a standalone SVG image sees none of the page's CSS or theme
// variables), drawn onto a canvas at twice its size over the card's background, and encoded.

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

/**
 * A standalone SVG document of `svg`: styles inline, explicit size, a background rectangle,
 * and none of the page's interaction attributes (tabindex, roles stay: they are harmless).
 */
export function standaloneSvg(svg: SVGSVGElement, background: string, computed?: (e: Element) => CSSStyleDeclaration): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, clone, computed);
  const { width, height } = svgSize(svg);
  // The serializer writes the SVG namespace itself (setting `xmlns` too would write it twice).
  clone.setAttribute("width", String(width));
  clone.setAttribute("height", String(height));
  for (const el of clone.querySelectorAll("[tabindex]")) el.removeAttribute("tabindex");
  const bg = clone.ownerDocument.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("x", "0");
  bg.setAttribute("y", "0");
  bg.setAttribute("width", String(width));
  bg.setAttribute("height", String(height));
  bg.setAttribute("fill", background);
  clone.insertBefore(bg, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

/** The PNG bytes of `svg`, drawn at `scale` times its size over `background`. Browser only. */
export async function svgToPng(svg: SVGSVGElement, background: string, scale = 2): Promise<Uint8Array> {
  const markup = standaloneSvg(svg, background);
  const { width, height } = svgSize(svg);
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
