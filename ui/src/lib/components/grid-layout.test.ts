import { describe, expect, it } from "vitest";
import { gridLayout, moveFocus, scrollToRow, visibleRows } from "./grid-layout";

describe("gridLayout", () => {
  it("fits as many columns of at least minCell as the width allows", () => {
    const l = gridLayout(100_000, 1000, 180, 6);
    // 5 × 180 + 4 × 6 = 924 ≤ 1000 < 6 × 180 + 5 × 6 = 1110
    expect(l.columns).toBe(5);
    expect(l.cellSize).toBe(Math.floor((1000 - 4 * 6) / 5));
    expect(l.rows).toBe(20_000);
    expect(l.rowHeight).toBe(l.cellSize + 6);
  });

  it("keeps one column when the window is narrower than a cell", () => {
    expect(gridLayout(3, 50, 180, 6).columns).toBe(1);
  });
});

describe("visibleRows", () => {
  const l = gridLayout(100_000, 1000, 180, 6); // rowHeight 201

  it("covers the viewport plus the overscan, not the whole list", () => {
    const r = visibleRows(l, 201 * 1000, 800, 2);
    expect(r.first).toBe(998);
    expect(r.last).toBe(1000 + 4 + 2);
  });

  it("is empty for no items", () => {
    const r = visibleRows(gridLayout(0, 1000, 180, 6), 0, 800, 2);
    expect(r.last).toBeLessThan(r.first);
  });

  it("stops at the last row", () => {
    const r = visibleRows(l, l.totalHeight, 800, 2);
    expect(r.last).toBe(l.rows - 1);
  });
});

describe("moveFocus", () => {
  it("steps by one across and by a row down, clamped to the items", () => {
    expect(moveFocus(0, "ArrowRight", 10, 4, 2)).toBe(1);
    expect(moveFocus(1, "ArrowDown", 10, 4, 2)).toBe(5);
    expect(moveFocus(8, "ArrowDown", 10, 4, 2)).toBe(9);
    expect(moveFocus(0, "ArrowLeft", 10, 4, 2)).toBe(0);
    expect(moveFocus(3, "End", 10, 4, 2)).toBe(9);
    expect(moveFocus(9, "PageUp", 10, 4, 2)).toBe(1);
    expect(moveFocus(3, "x", 10, 4, 2)).toBe(3);
  });
});

describe("scrollToRow", () => {
  const l = gridLayout(1000, 1000, 180, 6);
  it("scrolls up to a row above the view and down to one below it", () => {
    expect(scrollToRow(l, 2, 1000, 600)).toBe(2 * l.rowHeight);
    expect(scrollToRow(l, 10, 0, 600)).toBe(10 * l.rowHeight + l.cellSize - 600);
    expect(scrollToRow(l, 1, 0, 600)).toBe(0);
  });
});
