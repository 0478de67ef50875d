#!/usr/bin/env python3
"""Fails when two source files of a crate import each other, directly or through others.

A file's imports are the `crate::a::b` / `super::x` / `self::x` paths it names (in `use`
lines and inline paths); each path is resolved to the longest prefix that is a file of the
crate (`src/a/b.rs` or `src/a/b/mod.rs`). A module's own `mod.rs` re-exporting its children is
the normal Rust layout and is not counted as an edge from the parent to the child.
Usage: import_cycles.py SRC_DIR [SRC_DIR ...]
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}", re.S)


def module_of(src: Path, file: Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_tests(text: str) -> str:
    # `#[cfg(test)] mod tests { ... }` blocks and test-only files import freely.
    out, depth, skipping = [], 0, False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not skipping and line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and "mod " in lines[i + 1] and "{" in lines[i + 1]:
            skipping, depth = True, 0
            i += 1
            continue
        if skipping:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and "}" in line:
                skipping = False
            i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def strip_comments(text: str) -> str:
    # Doc links (`[`crate::x`]`) name modules without importing them.
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def paths_in(text: str):
    for m in USE_GROUP.finditer(text):
        base, prefix, inner = m.group(1), m.group(2), m.group(3)
        for item in re.split(r"[,\s]+", inner):
            item = item.strip().split(" as ")[0]
            name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", item)
            if name:
                yield base, [p for p in prefix.split("::") if p] + [name.group(0)]
    for m in PATH.finditer(text):
        yield m.group(1), [p for p in m.group(2).split("::") if p]


def check(src: Path) -> list:
    files = [f for f in src.rglob("*.rs") if "tests" not in f.relative_to(src).parts and not f.stem.endswith("_tests") and f.stem != "tests"]
    mods = {module_of(src, f): f for f in files}
    edges = {m: set() for m in mods}
    for mod, file in mods.items():
        is_dir_mod = file.stem in ("mod", "lib", "main")
        here = mod if is_dir_mod else mod[:-1]
        for base, segs in paths_in(strip_comments(strip_tests(file.read_text()))):
            if base == "crate":
                start = ()
            elif base == "super":
                # `super` of a file module is its directory's module
                start = here[:-1] if is_dir_mod else here
                while segs and segs[0] == "super":
                    start, segs = start[:-1], segs[1:]
            else:
                start = mod if is_dir_mod else mod
            target = None
            for n in range(len(segs), -1, -1):
                cand = start + tuple(segs[:n])
                if cand in mods:
                    target = cand
                    break
            if target is None or target == mod:
                continue
            # a parent module naming its own children is the module tree, not an import
            if target[: len(mod)] == mod:
                continue
            edges[mod].add(target)
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt):] + [nxt]
                cycles.append(" -> ".join("::".join(m) or "crate" for m in cyc))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [])
    return cycles


def main() -> int:
    bad = 0
    for arg in sys.argv[1:]:
        cycles = check(Path(arg))
        for c in cycles:
            print(f"import cycle in {arg}: {c}")
        bad += len(cycles)
        print(f"{arg}: {'no import cycles' if not cycles else f'{len(cycles)} import cycle(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
