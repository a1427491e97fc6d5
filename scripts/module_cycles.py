#!/usr/bin/env python3
"""Module import cycles inside one crate: fail when two sibling modules use each other.

    scripts/module_cycles.py CRATE_SRC_DIR [--allow FILE]

What counts as an edge: module A uses module B when A's code (tests left out) names a path
into B: a `use` declaration, or a `crate::…`, `super::…` or `self::…` path in code. A path is
followed through `pub use` re-exports to the module that defines the item, so `use
super::UploadTarget` in `engine/preview.rs` is an edge to `engine/upload.rs`, where it is
defined, not to `engine`.

What counts as a cycle: edges are compared between *siblings*, at every level of the module
tree. An edge from `a::x::y` to `b::z` is an edge `a → b` between the children of the crate
root; one from `catalog::files` to `catalog::schema` is `files → schema` inside `catalog`. A
cycle is a strongly connected set of siblings. So `auth ↔ config` is a cycle even when no
single file of `auth` is used by the file of `config` it uses.

What does not count: an edge between a module and one of its own ancestors or descendants
(`use super::Catalog` in `catalog/files.rs`, `pub use files::FileRecord` in `catalog/mod.rs`).
A module's own file is its namespace: its children are declared and re-exported there, and
Rust lets a child see everything its ancestors hold, which is what `use super::…` is for.
Counting those edges would flag every module that has both a facade and a helper type in its
`mod.rs`; the cycles that stop one part from being read, tested or moved without another are
between siblings.

Why a script and not `cargo modules dependencies --acyclic` (crates.io `cargo-modules`): its
check walks rust-analyzer's item graph, so a cycle needs items that use each other, and two
modules that import from each other through different items pass; and it compiles
rust-analyzer's library crates (minutes on a 2-core machine) for a check that needs the text of
the `use` declarations. This reads the source with a small tokenizer (comments, strings and
`#[cfg(test)]` modules removed) and runs in well under a second.

The allow file lists cycles known today (one per line: the level, then the sibling modules,
sorted, e.g. `catalog: files schema`), each to be fixed by its owner. The check fails on a
cycle not listed, and on a listed one that is gone (so the list only shrinks).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

Module = tuple[str, ...]  # () is the crate root


@dataclass
class Source:
    module: Module
    path: Path
    text: str  # code only: comments, strings and test modules blanked, newlines kept
    children: list[str] = field(default_factory=list)
    # name -> (path segments, module the path is relative to) for `pub use` re-exports
    reexports: dict[str, list[str]] = field(default_factory=dict)
    # (line, path segments) of every path into the crate
    paths: list[tuple[int, list[str]]] = field(default_factory=list)


def strip_code(src: str) -> str:
    """Blank comments, string and char literals (keeping newlines), so only code is left."""
    out = []
    i, n = 0, len(src)

    def blank(text: str) -> str:
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(src[i:j]))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(src[i:j]))
            i = j
        elif (m := re.compile(r'b?r(#*)"').match(src, i)) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = src.find('"' + m.group(1), m.end())
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append(blank(src[i:j]))
            i = j
        elif c == '"' or (c == "b" and src.startswith('b"', i) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_"))):
            j = i + (2 if c == "b" else 1)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(blank(src[i : j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}', b'x') or a lifetime ('a): only literals close.
            m = re.compile(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'").match(src, i)
            if m:
                out.append(blank(m.group(0)))
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blank_block(text: str, start: int) -> str:
    """Blank the item starting at `start`: up to its `;`, or its balanced `{ … }`."""
    i = start
    while i < len(text) and text[i] not in "{;":
        i += 1
    if i < len(text) and text[i] == "{":
        depth = 0
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
    end = min(i + 1, len(text))
    return text[:start] + "".join("\n" if c == "\n" else " " for c in text[start:end]) + text[end:]


# `#[cfg(test)]` and `#[cfg(all(test, ...))]`: items compiled for tests only.
TEST_ITEM = re.compile(r"#\[cfg\((?:test|all\(\s*test\s*,[^\]]*\))\)\]\s*")
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)
USE_DECL = re.compile(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE_PATH = re.compile(r"(?<![\w:$])(crate|super|self)((?:\s*::\s*\w+)+)")
VISIBILITY_IN = re.compile(r"pub\s*\(\s*in\s+[^)]*\)")


def remove_test_items(text: str) -> tuple[str, set[str]]:
    """Blank test-only items (`#[cfg(test)]`, `#[cfg(all(test, ...))]`); return the names of `#[cfg(test)] mod x;` declarations."""
    test_mods = set()
    while m := TEST_ITEM.search(text):
        decl = MOD_DECL.match(text, m.end())
        if decl and decl.start() == m.end():
            test_mods.add(decl.group(1))
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
        text = blank_block(text, m.end())
    return text, test_mods


USE_TOKEN = re.compile(r"::|[{},*]|\w+")


def use_tree(tree: str) -> list[tuple[list[str], str]]:
    """Expand a use tree into (path segments, name bound) pairs: `a::{b, c::d as e, self, *}`
    gives `a::b` (b), `a::c::d` (e), `a` (a) and `a` (*)."""
    tokens = USE_TOKEN.findall(tree)
    results: list[tuple[list[str], str]] = []

    def emit(segments: list[str], bound: str) -> None:
        if segments and segments[-1] == "self":
            segments = segments[:-1]
            bound = segments[-1] if segments and bound == "self" else bound
        if segments:
            results.append((segments, bound))

    def tree_at(pos: int, prefix: list[str]) -> int:
        segments = list(prefix)
        while pos < len(tokens):
            tok = tokens[pos]
            if tok == "::":
                pos += 1
            elif tok == "{":
                pos += 1
                while pos < len(tokens) and tokens[pos] != "}":
                    if tokens[pos] == ",":
                        pos += 1
                        continue
                    pos = tree_at(pos, segments)
                return pos + 1
            elif tok == "*":
                emit(segments, "*")
                return pos + 1
            elif tok in (",", "}"):
                return pos
            else:
                segments.append(tok)
                pos += 1
                if pos < len(tokens) and tokens[pos] == "as":
                    emit(segments, tokens[pos + 1])
                    return pos + 2
                if pos >= len(tokens) or tokens[pos] in (",", "}"):
                    emit(segments, tok)
                    return pos
        return pos

    tree_at(0, [])
    return results


def load(src_dir: Path) -> dict[Module, Source]:
    sources: dict[Module, Source] = {}

    def visit(module: Module, path: Path) -> None:
        raw = path.read_text(encoding="utf-8")
        text = VISIBILITY_IN.sub(lambda m: " " * len(m.group(0)), strip_code(raw))
        text, test_mods = remove_test_items(text)
        source = Source(module, path, text)
        sources[module] = source
        for m in MOD_DECL.finditer(text):
            name = m.group(1)
            if name in test_mods:
                continue
            source.children.append(name)
            base = path.parent if path.name in ("mod.rs", "lib.rs", "main.rs") else path.with_suffix("")
            child = base / f"{name}.rs"
            if not child.exists():
                child = base / name / "mod.rs"
            if not child.exists():
                raise SystemExit(f"{path}: `mod {name};` has no file {base / name}.rs or {base / name}/mod.rs")
            visit(module + (name,), child)

    root = src_dir / "lib.rs"
    visit((), root if root.exists() else src_dir / "main.rs")
    for source in sources.values():
        text = source.text
        for m in USE_DECL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            for segments, bound in use_tree(m.group(2)):
                if segments[0] not in ("crate", "super", "self") and segments[0] in source.children:
                    segments = ["self"] + segments
                if segments[0] not in ("crate", "super", "self"):
                    continue  # another crate, or a name in scope
                if m.group(1) and bound != "*":
                    source.reexports[bound] = segments
                else:
                    source.paths.append((line, segments))
        code = USE_DECL.sub(lambda m: "".join("\n" if c == "\n" else " " for c in m.group(0)), text)
        for m in INLINE_PATH.finditer(code):
            line = code.count("\n", 0, m.start()) + 1
            rest = [s for s in re.sub(r"\s+", "", m.group(2)).split("::") if s]
            source.paths.append((line, [m.group(1)] + rest))
    return sources


def resolve(sources: dict[Module, Source], here: Module, segments: list[str], depth: int = 0) -> Module | None:
    """The module that defines what `segments` (a path written in `here`) names."""
    if depth > 16:
        return None
    cur: Module = here
    i = 0
    if segments[0] == "crate":
        cur, i = (), 1
    while i < len(segments) and segments[i] in ("super", "self"):
        if segments[i] == "super":
            if not cur:
                return None
            cur = cur[:-1]
        i += 1
    while i < len(segments):
        name = segments[i]
        if cur + (name,) in sources:
            cur = cur + (name,)
            i += 1
            continue
        target = sources[cur].reexports.get(name)
        if target is not None:
            return resolve(sources, cur, target, depth + 1)
        break
    return cur


def render(module: Module) -> str:
    return "::".join(module) or "crate"


def sibling_edges(sources: dict[Module, Source]):
    """(level, from child, to child) -> evidence lines, for every edge between siblings."""
    edges: dict[tuple[Module, str, str], list[str]] = defaultdict(list)
    for module, source in sources.items():
        for line, segments in source.paths:
            target = resolve(sources, module, segments)
            if target is None:
                continue
            common = 0
            while common < min(len(module), len(target)) and module[common] == target[common]:
                common += 1
            if common in (len(module), len(target)):
                continue  # the same module, an ancestor or a descendant
            level = module[:common]
            evidence = f"{source.path}:{line}: {'::'.join(segments)} -> {render(target)}"
            edges[(level, module[common], target[common])].append(evidence)
    return edges


def cycles(edges) -> dict[str, dict[tuple[str, str], list[str]]]:
    """Strongly connected sets of two or more siblings, by level: `level: a b` -> edges."""
    by_level: dict[Module, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for level, a, b in edges:
        by_level[level][a].add(b)
    found = {}
    for level, graph in sorted(by_level.items()):
        index, low, stack, on_stack, counter = {}, {}, [], set(), [0]

        def connect(v: str) -> None:
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on_stack.add(v)
            for w in sorted(graph.get(v, ())):
                if w not in index:
                    connect(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    members = sorted(component)
                    name = f"{render(level)}: {' '.join(members)}"
                    found[name] = {
                        (a, b): edges[(level, a, b)]
                        for a in members
                        for b in sorted(graph.get(a, ()))
                        if b in members
                    }

        for v in sorted(graph):
            if v not in index:
                connect(v)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="the crate's src/ directory (lib.rs or main.rs)")
    parser.add_argument("--allow", type=Path, help="cycles known today, one per line")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)

    found = cycles(sibling_edges(load(args.src)))
    allowed = set()
    if args.allow and args.allow.exists():
        for line in args.allow.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(line)

    new = {name: found[name] for name in found if name not in allowed}
    known = sorted(name for name in found if name in allowed)
    gone = sorted(allowed - set(found))
    for name in known:
        print(f"known cycle (allowed in {args.allow}): {name}")
    for name, members in sorted(new.items()):
        print(f"module cycle in {args.src}: {name}")
        for (a, b), evidence in sorted(members.items()):
            print(f"  {a} -> {b}")
            for line in evidence[:3]:
                print(f"      {line}")
            if len(evidence) > 3:
                print(f"      … and {len(evidence) - 3} more")
    for name in gone:
        print(f"listed in {args.allow} but no longer a cycle (remove the line): {name}")
    if new or gone:
        return 1
    print(f"no module cycles in {args.src} besides the {len(known)} allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
