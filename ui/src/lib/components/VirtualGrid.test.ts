import { fireEvent, render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import VirtualGrid from "./VirtualGrid.svelte";

// jsdom lays nothing out: give every element the size of a 1000 × 800 viewport.
function fakeViewport(width: number, height: number) {
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(width);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(height);
}

const cell = createRawSnippet((name: () => string, index: () => number, focused: () => boolean) => ({
  render: () => `<span class="photo" data-focused="${focused()}">${name()}#${index()}</span>`,
}));

const many = Array.from({ length: 100_000 }, (_, i) => `IMG_${i}.CR3`);

describe("VirtualGrid", () => {
  beforeEach(() => fakeViewport(1000, 800));
  afterEach(() => vi.restoreAllMocks());

  it("puts only the visible rows of 100,000 photos in the DOM", async () => {
    render(VirtualGrid<string>, { props: { items: many, cell } });
    const rows = await screen.findAllByRole("row");
    // 5 columns of 195 px: 800 px shows 4–5 rows, plus 2 overscan below.
    expect(rows.length).toBeLessThanOrEqual(8);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(document.querySelectorAll(".photo").length).toBe(rows.length * 5);
    expect(screen.getByText("IMG_0.CR3#0")).toBeTruthy();
    expect(screen.getByRole("grid").getAttribute("aria-rowcount")).toBe("20000");
  });

  it("swaps the rows in the DOM when scrolled deep into the list", async () => {
    render(VirtualGrid<string>, { props: { items: many, cell } });
    const grid = screen.getByRole("grid");
    const rowHeight = 195 + 6;
    grid.scrollTop = rowHeight * 15_000;
    await fireEvent.scroll(grid);
    expect(screen.queryByText("IMG_0.CR3#0")).toBeNull();
    expect(screen.getByText("IMG_75000.CR3#75000")).toBeTruthy();
    expect(screen.getAllByRole("row").length).toBeLessThanOrEqual(10);
  });

  it("moves the focus with the arrow keys and opens with Enter", async () => {
    const onopen = vi.fn();
    render(VirtualGrid<string>, { props: { items: many, cell, onopen } });
    const grid = screen.getByRole("grid");
    await fireEvent.keyDown(grid, { key: "ArrowRight" }); // first key focuses the first cell
    await fireEvent.keyDown(grid, { key: "ArrowRight" });
    await fireEvent.keyDown(grid, { key: "ArrowDown" });
    expect(document.querySelector('[role=gridcell][data-focused="true"]')?.textContent).toBe("IMG_6.CR3#6");
    await fireEvent.keyDown(grid, { key: "Enter" });
    expect(onopen).toHaveBeenCalledWith(6);
  });

  it("scrolls to the end with End and shows the last photo", async () => {
    render(VirtualGrid<string>, { props: { items: many, cell } });
    const grid = screen.getByRole("grid");
    await fireEvent.keyDown(grid, { key: "ArrowRight" });
    await fireEvent.keyDown(grid, { key: "End" });
    expect(grid.scrollTop).toBeGreaterThan(0);
    expect(screen.getByText("IMG_99999.CR3#99999")).toBeTruthy();
  });
});
