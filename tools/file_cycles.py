#!/usr/bin/env python3
"""Finds circles of files in the workspace's crates: files that import each other, directly or round a loop.

A file imports another when its code names a path into the other's module: `crate::a::b`, `super::x`,
`self::child::y`, a child module by its bare name (`child::z`), and each path inside `use crate::{a, b::c}`
groups. A re-export (`pub use child::Item;`) is not an import: the file hands the item to the crate's users and
uses nothing itself. Comments and string literals are ignored.

Usage: file_cycles.py [ROOT]      every crate under ROOT (default .): prints each circle with its edges and exits
                                  1 when there is one
       file_cycles.py --self-test checks the finder on a made-up crate with a circle and one without
"""

import os
import re
import sys
import tempfile

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::\w+)*)::\{")
CHILD = re.compile(r"\bmod\s+(\w+)\s*;")
REEXPORT = re.compile(r"\bpub(\([\w:]+\))?\s+use\s[^;]*;")


def code_of(text):
    """The text without comments, string literals' contents and re-exports."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    text = re.sub(r"//[^\n]*", "", text)
    return REEXPORT.sub("", text)


def modules(src):
    """Module path (a tuple) -> file, for every .rs file of the crate whose sources are in `src`."""
    found = {}
    for folder, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, src)[:-3].split(os.sep)
            if parts[0] == "bin":
                continue
            if parts in (["lib"], ["main"]):
                module = ()
            elif parts[-1] == "mod":
                module = tuple(parts[:-1])
            else:
                module = tuple(parts)
            found.setdefault(module, path)
    return found


def group_paths(head, body):
    """The paths of a `use` group's body: `a, b::{c, d as e}` under `head`."""
    paths, depth, item = [], 0, ""
    for ch in body + ",":
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            item, current = "", item.strip()
            if not current:
                continue
            nested = re.match(r"([\w:]*?)::\{(.*)\}$", current, re.S)
            if nested:
                paths += group_paths(head + nested.group(1).split("::"), nested.group(2))
            else:
                paths.append(head + current.split(" as ")[0].strip().split("::"))
            continue
        item += ch
    return paths


def paths_named(code, module):
    """Every module path `code` (the file of `module`) names, made absolute."""
    named = []
    for match in GROUP.finditer(code):
        start = end = match.end()
        depth = 1
        while depth and end < len(code):
            depth += {"{": 1, "}": -1}.get(code[end], 0)
            end += 1
        head = [match.group(1)] + [p for p in match.group(2).split("::") if p]
        named += group_paths(head, code[start : end - 1])
    for match in PATH.finditer(code):
        named.append([match.group(1)] + [p for p in match.group(2).split("::") if p])
    for child in CHILD.findall(code):
        for match in re.finditer(r"(?<![\w:])" + child + r"((?:::\w+)+|::\{)", code):
            named.append(["self", child] + [p for p in match.group(1).split("::") if p.isidentifier()])
    absolute = []
    for path in named:
        if path[0] == "crate":
            base, rest = [], path[1:]
        else:
            base, rest = list(module), path
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            if rest and rest[0] == "self":
                rest = rest[1:]
        absolute.append(tuple(base) + tuple(rest))
    return absolute


def imports(src):
    """File -> the files of the same crate it imports."""
    files = modules(src)
    edges = {}
    for module, path in files.items():
        with open(path, encoding="utf-8") as f:
            code = code_of(f.read())
        for target in paths_named(code, module):
            while target and target not in files:
                target = target[:-1]
            if target in files and files[target] != path:
                edges.setdefault(path, set()).add(files[target])
    return edges


def circles(edges):
    """The strongly connected groups of more than one file (Tarjan's algorithm, without recursion)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def crate_sources(root):
    """The `src` folder of every crate under `root` (a folder holding Cargo.toml and src/)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("target", "node_modules")]
        if "Cargo.toml" in files and os.path.isdir(os.path.join(folder, "src")):
            yield os.path.join(folder, "src")


def report(root):
    """Prints every circle under `root`; returns how many there are."""
    count = 0
    for src in sorted(crate_sources(root)):
        edges = imports(src)
        for group in circles(edges):
            count += 1
            print("circle of files:", " ".join(os.path.relpath(p, root) for p in group))
            for a in group:
                for b in sorted(edges.get(a, ())):
                    if b in group:
                        print("   ", os.path.relpath(a, root), "imports", os.path.relpath(b, root))
    return count


def self_test():
    """A made-up crate: store.rs and gremlin.rs import each other (found), through a group and a child path;
    lib.rs only re-exports (not a circle)."""
    with tempfile.TemporaryDirectory() as root:
        src = os.path.join(root, "src")
        os.makedirs(os.path.join(src, "esm"))
        files = {
            "Cargo.toml": "",
            "src/lib.rs": "pub mod store;\npub mod gremlin;\npub mod esm;\npub use store::Client;\n",
            "src/store.rs": "use crate::gremlin::GremlinClient;\npub struct Client;\n// crate::esm in a comment\n",
            "src/gremlin.rs": "use crate::{esm::Lane, store::{self, Client}};\npub struct GremlinClient;\n",
            "src/esm/mod.rs": "mod lane;\npub use lane::Lane;\nconst S: &str = \"crate::store\";\n",
            "src/esm/lane.rs": "use super::super::store as _;\npub struct Lane;\n",
        }
        for name, text in files.items():
            with open(os.path.join(root, name), "w", encoding="utf-8") as f:
                f.write(text)
        edges = imports(src)
        found = circles(edges)
        expected = [sorted([os.path.join(src, "gremlin.rs"), os.path.join(src, "store.rs")])]
        assert found == expected, found
        # The re-export and the string are no imports; the grandchild's super::super path is.
        assert os.path.join(src, "lib.rs") not in edges, edges
        assert os.path.join(src, "esm", "mod.rs") not in edges, edges
        assert edges[os.path.join(src, "esm", "lane.rs")] == {os.path.join(src, "store.rs")}, edges
    print("file_cycles self-test: ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        found = report(sys.argv[1] if len(sys.argv) > 1 else ".")
        if found:
            print(f"{found} circle(s) of files: move what the files share into a file both import")
            sys.exit(1)
