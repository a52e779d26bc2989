#!/usr/bin/env python3
"""The dependency rules of one crate's source folder (the argument; `src` by default), checked
from the paths its files name (`use` lines and paths in code: crate::…, super::…, self::…, a
child module's name):

1. No import cycle between files. A path is resolved to the file that defines the item it names;
   a `pub use` in a module file is followed to the file it re-exports, so a module that only
   re-exports its children does not tie them together.
2. Dependencies point one way: no file of a domain imports the schema assembly (`schema`), the HTTP
   layer (`http`) or the application (`app`); and a domain file that resolves no GraphQL
   object (no `#[Object]`, `#[ComplexObject]` or `#[Subscription]`: a service, a model, a writer) reads nothing of the
   request (`graphql::{base, dep, viewer, lang, RequestContext}`): it is handed what it uses.

Prints every problem; exits 1 when there is any."""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "src"
DOMAINS = {"auth", "department", "eligibility", "firm", "needs", "outreach", "policy", "region"}
ABOVE_DOMAINS = {"schema", "http", "app"}
REQUEST_ACCESSORS = {"base", "dep", "viewer", "lang", "RequestContext", "context"}
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def read_sources(root):
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                text = open(path, encoding="utf-8").read()
                cut = text.find("#[cfg(test)]")
                text = text if cut < 0 else text[:cut]
                files[os.path.relpath(path, root)] = re.sub(r"//[^\n]*", "", text)
    return files


FILES = read_sources(ROOT)


def module_of(path):
    parts = path[:-3].split("/")
    return parts[:-1] if parts[-1] in ("mod", "lib", "main") else parts


def file_of(module):
    base = "/".join(module)
    candidates = (base + ".rs", base + "/mod.rs") if module else ("lib.rs",)
    return next((c for c in candidates if c in FILES), None)


def expand(tree):
    """'a::{b, c::{d, e as f}}' -> [['a', 'b'], ['a', 'c', 'd'], ['a', 'c', 'e']]"""
    tree = tree.strip()
    match = re.match(r"^((?:%s::)*)\{(.*)\}$" % IDENT, tree, re.S)
    if not match:
        return [tree.split(" as ")[0].strip().split("::")]
    prefix = [p for p in match.group(1).split("::") if p]
    out, depth, current = [], 0, ""
    for ch in match.group(2) + ",":
        if ch == "," and depth == 0:
            if current.strip():
                out += [prefix + e for e in expand(current)]
            current = ""
        else:
            depth += ch == "{"
            depth -= ch == "}"
            current += ch
    return out


CHILDREN = {
    f: set(re.findall(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+(%s)\s*;" % IDENT, t, re.M))
    for f, t in FILES.items()
}


def absolute(path, parts):
    here = module_of(path)
    if parts[0] == "crate":
        return parts[1:]
    if parts[0] == "self":
        return here + parts[1:]
    if parts[0] == "super":
        n = 0
        while n < len(parts) and parts[n] == "super":
            n += 1
        return here[: len(here) - n] + parts[n:]
    return here + parts


USES, REEXPORTS = {}, {}
for path, text in FILES.items():
    found = []
    for match in re.finditer(r"^\s*(pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);", text, re.M):
        for parts in expand(match.group(2)):
            parts = [p for p in parts if p]
            if not parts or (parts[0] not in ("crate", "self", "super") and parts[0] not in CHILDREN[path]):
                continue
            target = absolute(path, parts)
            found.append(target)
            if match.group(1) and target:
                REEXPORTS.setdefault(path, {})[target[-1]] = target
    for match in re.finditer(r"(?<![A-Za-z0-9_:])((?:crate|super|self)(?:::%s)+)" % IDENT, text):
        found.append(absolute(path, match.group(1).split("::")))
    USES[path] = found


def resolve(module_path, hops=0):
    """The file that defines what `module_path` names (never the crate root: what it declares is
    only where its modules are)."""
    for n in range(len(module_path), 0, -1):
        target = file_of(module_path[:n])
        if target is None:
            continue
        rest = module_path[n:]
        source = REEXPORTS.get(target, {}).get(rest[0]) if rest else None
        if source and hops < 8 and source != module_path[:n] + rest[:1]:
            return resolve(source + rest[1:], hops + 1)
        return target
    return None


EDGES = {f: set() for f in FILES}
for path, targets in USES.items():
    for target in targets:
        to = resolve(target)
        if to and to != path:
            EDGES[path].add(to)


# A module file's own re-exports are not its dependencies, unless it also uses what they name.
for path, exported in REEXPORTS.items():
    sources = list(exported.values())
    for source in sources:
        to = resolve(source)
        if to in EDGES[path] and all(resolve(t) != to for t in USES[path] if t not in sources):
            EDGES[path].discard(to)


def cycles():
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in EDGES[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(FILES):
        if v not in index:
            visit(v)
    return out


problems = []
for component in cycles():
    problems.append("import cycle of %d files: %s" % (len(component), ", ".join(component)))

for path, targets in sorted(USES.items()):
    top = path.split("/")[0]
    if top not in DOMAINS:
        continue
    resolves_objects = re.search(r"#\[(Object|ComplexObject|Subscription)\b", FILES[path])
    for target in targets:
        if not target:
            continue
        if target[0] in ABOVE_DOMAINS:
            problems.append("%s imports %s, a layer above the domains" % (path, "::".join(target)))
        elif (
            not resolves_objects
            and target[0] == "graphql"
            and len(target) > 1
            and target[1] in REQUEST_ACCESSORS
        ):
            problems.append(
                "%s reads the request (%s) but resolves no GraphQL object: hand it what it uses"
                % (path, "::".join(target))
            )

problems = list(dict.fromkeys(problems))
for problem in problems:
    print(problem)
print("%d problems in %d files" % (len(problems), len(FILES)))
sys.exit(1 if problems else 0)
