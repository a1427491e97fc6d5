// The arithmetic of the virtualized photo grid, kept apart from the DOM so it can be
// tested with plain numbers. Cells are square; the column count and the row height
// follow from the container's width, so a row's position is `row * rowHeight`.

export interface GridLayout {
  columns: number;
  /** Side of one square cell, in pixels. */
  cellSize: number;
  /** Cell plus gap: the distance from one row's top to the next. */
  rowHeight: number;
  rows: number;
  /** Height of the whole scrollable content. */
  totalHeight: number;
}

export function gridLayout(count: number, width: number, minCell: number, gap: number): GridLayout {
  const usable = Math.max(width, minCell);
  const columns = Math.max(1, Math.floor((usable + gap) / (minCell + gap)));
  const cellSize = Math.floor((usable - gap * (columns - 1)) / columns);
  const rowHeight = cellSize + gap;
  const rows = Math.ceil(count / columns);
  return { columns, cellSize, rowHeight, rows, totalHeight: Math.max(0, rows * rowHeight - gap) };
}

/** The rows to put in the DOM: those in view plus `overscan` on each side. */
export function visibleRows(
  layout: GridLayout,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): { first: number; last: number } {
  if (layout.rows === 0) return { first: 0, last: -1 };
  const first = Math.max(0, Math.floor(scrollTop / layout.rowHeight) - overscan);
  const inView = Math.ceil(Math.max(viewportHeight, layout.rowHeight) / layout.rowHeight);
  const last = Math.min(layout.rows - 1, Math.floor(scrollTop / layout.rowHeight) + inView + overscan);
  return { first, last };
}

/** Where keyboard navigation lands from `index` (clamped to the items). */
export function moveFocus(index: number, key: string, count: number, columns: number, pageRows: number): number {
  if (count === 0) return -1;
  const step: Record<string, number> = {
    ArrowLeft: -1,
    ArrowRight: 1,
    ArrowUp: -columns,
    ArrowDown: columns,
    PageUp: -columns * pageRows,
    PageDown: columns * pageRows,
  };
  let next: number;
  if (key === "Home") next = 0;
  else if (key === "End") next = count - 1;
  else if (key in step) next = index + step[key];
  else return index;
  return Math.min(count - 1, Math.max(0, next));
}

/** The scrollTop that brings `row` fully into view, or `scrollTop` when it already is. */
export function scrollToRow(layout: GridLayout, row: number, scrollTop: number, viewportHeight: number): number {
  const top = row * layout.rowHeight;
  const bottom = top + layout.cellSize;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}
