// Pure: moving between chart cells with the arrow keys. The cells of every chart on screen are
// boxes; an arrow goes to the nearest box whose centre lies that way, preferring boxes in line
// (a sideways step counts twice), so the keys walk a grid row by row and cross into the chart
// beside or below.

export type Direction = "left" | "right" | "up" | "down";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function directionOf(key: string): Direction | null {
  return ({ ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" } as const)[key as "ArrowLeft"] ?? null;
}

/** The index of the box to go to from `from` (none yet: the first box), or -1 when none lies that way. */
export function nearest(from: Box | null, boxes: Box[], dir: Direction): number {
  if (boxes.length === 0) return -1;
  if (from === null) return 0;
  const fx = from.x + from.width / 2;
  const fy = from.y + from.height / 2;
  let best = -1;
  let bestScore = Infinity;
  boxes.forEach((b, i) => {
    const dx = b.x + b.width / 2 - fx;
    const dy = b.y + b.height / 2 - fy;
    const [along, across] = dir === "left" ? [-dx, dy] : dir === "right" ? [dx, dy] : dir === "up" ? [-dy, dx] : [dy, dx];
    if (along <= 0.5) return;
    const score = along + 2 * Math.abs(across);
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
