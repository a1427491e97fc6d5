import { describe, expect, it } from "vitest";
import { clickSelect, EMPTY_SELECTION } from "./selection";

const keys = ["a", "b", "c", "d", "e"];
const plain = { shift: false, toggle: false };

describe("clickSelect", () => {
  it("selects one on click, toggles with Ctrl, and takes a range with Shift", () => {
    let s = clickSelect(EMPTY_SELECTION, keys, 1, plain);
    expect([...s.keys]).toEqual(["b"]);
    s = clickSelect(s, keys, 3, { shift: false, toggle: true });
    expect([...s.keys].sort()).toEqual(["b", "d"]);
    s = clickSelect(s, keys, 3, { shift: false, toggle: true });
    expect([...s.keys]).toEqual(["b"]);
    s = clickSelect(clickSelect(EMPTY_SELECTION, keys, 3, plain), keys, 1, { shift: true, toggle: false });
    expect([...s.keys].sort()).toEqual(["b", "c", "d"]);
  });
});
