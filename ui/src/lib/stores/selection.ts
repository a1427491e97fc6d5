// Multi-select as in a file browser: click selects one, Ctrl/Cmd-click toggles one,
// Shift-click selects the range from the last clicked item.

export interface Selection {
  keys: ReadonlySet<string>;
  /** Index of the last plain or Ctrl-click: where a Shift-click range starts. */
  anchor: number;
}

export const EMPTY_SELECTION: Selection = { keys: new Set(), anchor: -1 };

export function clickSelect(
  sel: Selection,
  keys: readonly string[],
  index: number,
  mods: { shift: boolean; toggle: boolean },
): Selection {
  const key = keys[index];
  if (key === undefined) return sel;
  if (mods.shift && sel.anchor >= 0) {
    const [from, to] = sel.anchor <= index ? [sel.anchor, index] : [index, sel.anchor];
    const next = new Set(mods.toggle ? sel.keys : []);
    for (let i = from; i <= to; i++) next.add(keys[i]);
    return { keys: next, anchor: sel.anchor };
  }
  if (mods.toggle) {
    const next = new Set(sel.keys);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    return { keys: next, anchor: index };
  }
  return { keys: new Set([key]), anchor: index };
}
