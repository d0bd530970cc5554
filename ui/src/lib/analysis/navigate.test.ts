import { describe, expect, it } from "vitest";
import { directionOf, nearest, type Box } from "./navigate";

const box = (x: number, y: number): Box => ({ x, y, width: 10, height: 10 });
// a 3 × 2 grid, then a chart below it
const grid = [box(0, 0), box(10, 0), box(20, 0), box(0, 10), box(10, 10), box(20, 10), box(0, 100)];

describe("moving between cells", () => {
  it("starts at the first cell", () => {
    expect(nearest(null, grid, "right")).toBe(0);
    expect(nearest(null, [], "right")).toBe(-1);
  });

  it("walks a grid along rows and columns", () => {
    expect(nearest(grid[0], grid, "right")).toBe(1);
    expect(nearest(grid[1], grid, "down")).toBe(4);
    expect(nearest(grid[4], grid, "left")).toBe(3);
    expect(nearest(grid[4], grid, "up")).toBe(1);
  });

  it("crosses into the chart below, and stops at the edge", () => {
    expect(nearest(grid[5], grid, "down")).toBe(6);
    expect(nearest(grid[2], grid, "right")).toBe(-1);
    expect(nearest(grid[0], grid, "up")).toBe(-1);
  });

  it("names the arrow keys", () => {
    expect(directionOf("ArrowLeft")).toBe("left");
    expect(directionOf("ArrowDown")).toBe("down");
    expect(directionOf("j")).toBeNull();
  });
});
