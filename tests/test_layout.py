"""The package's shape, as its import graph and its source show it.

Every import inside :mod:`exact` (module level, inside functions and under
``TYPE_CHECKING`` alike) must run downward: no cycles, at most 11 floors, no private
name imported across modules, no module named like a function it exports, no module
over 600 lines and no function over 80 lines.  Each rule is checked by a function
that is also run once on a small made-up tree that breaks it, so none can pass
vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("exact", "numeric")
MAX_FLOORS = 11
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_tree(root: Path, package: str) -> dict[str, tuple[Path, ast.Module]]:
    return {module_name(p, root): (p, ast.parse(p.read_text()))
            for p in sorted((root / package).rglob("*.py"))}


def _resolve(mod: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(tree: dict[str, tuple[Path, ast.Module]]) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports (anywhere in its source)."""
    graph: dict[str, set[str]] = {m: set() for m in tree}
    for mod, (path, src) in tree.items():
        for node in ast.walk(src):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(mod, path, node)
                for a in node.names:  # "from . import x" may name a submodule
                    sub = f"{target}.{a.name}"
                    graph[mod].add(sub if sub in tree else target)
            elif isinstance(node, ast.Import):
                graph[mod].update(a.name for a in node.names)
        graph[mod] = {t for t in graph[mod] if t in tree and t != mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Floor of each module: 1 + the highest floor it imports (an acyclic graph)."""
    memo: dict[str, int] = {}

    def floor(v: str) -> int:
        if v not in memo:
            memo[v] = 1 + max((floor(w) for w in graph[v]), default=0)
        return memo[v]

    return {v: floor(v) for v in graph}


def private_imports(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    found = []
    for mod, (path, src) in tree.items():
        for node in ast.walk(src):
            if isinstance(node, ast.ImportFrom) and _resolve(mod, path, node).split(".")[0] in PACKAGES:
                found += [f"{mod}: {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def exported_names(src: ast.Module) -> list[str]:
    for node in src.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


def shadowed_modules(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    out = []
    for mod, (path, src) in tree.items():
        leaf = mod.rsplit(".", 1)[-1]
        defined = {n.name for n in src.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        if path.name != "__init__.py" and leaf in defined and leaf in exported_names(src):
            out.append(mod)
    return out


def long_modules(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    return [f"{m}: {len(p.read_text().splitlines())} lines" for m, (p, _) in tree.items()
            if len(p.read_text().splitlines()) > MAX_MODULE_LINES]


def long_functions(tree: dict[str, tuple[Path, ast.Module]]) -> list[str]:
    out = []
    for mod, (_, src) in tree.items():
        for node in ast.walk(src):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    out.append(f"{mod}.{node.name}: {n} lines")
    return out


@pytest.fixture(scope="module")
def exact_tree():
    return read_tree(ROOT, "exact")


def test_exact_imports_have_no_cycles(exact_tree):
    graph = imports(exact_tree)
    del graph["exact"]  # the flat façade imports everything, by design
    assert cycles(graph) == []


def test_exact_has_at_most_11_floors(exact_tree):
    graph = imports(exact_tree)
    del graph["exact"]
    graph.pop("exact.__main__", None)  # ``python -m exact``: the entry point, which nothing imports
    graph.pop("exact.command_entry", None)  # the console script's: only the entry points import it
    assert cycles(graph) == []
    fl = floors(graph)
    assert max(fl.values()) <= MAX_FLOORS, sorted(fl.items(), key=lambda kv: -kv[1])[:5]


def test_numeric_never_imports_exact():
    for mod, (path, src) in read_tree(ROOT, "numeric").items():
        for node in ast.walk(src):
            if isinstance(node, ast.ImportFrom):
                assert _resolve(mod, path, node).split(".")[0] != "exact", (mod, node.lineno)
            elif isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "exact" for a in node.names), (mod, node.lineno)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_private_name_imported_across_modules(package):
    assert private_imports(read_tree(ROOT, package)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_named_like_a_function_it_exports(package):
    assert shadowed_modules(read_tree(ROOT, package)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_and_functions_are_short(package):
    tree = read_tree(ROOT, package)
    assert long_modules(tree) == []
    assert long_functions(tree) == []


def test_every_module_declares_all(exact_tree):
    missing = [m for m, (p, src) in exact_tree.items() if p.name != "__main__.py" and not exported_names(src)
               and not m.endswith("symbolic")]
    assert missing == []


# --- each rule fails on a tree made to break it -----------------------------------------

def _fake_tree(tmp_path: Path, files: dict[str, str]) -> dict[str, tuple[Path, ast.Module]]:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return read_tree(tmp_path, "exact")


def test_the_rules_catch_a_tree_that_breaks_them(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    tree = _fake_tree(tmp_path, {
        "exact/__init__.py": "",
        "exact/a.py": "from .b import f\n__all__ = ['a']\ndef a():\n    pass\n",
        "exact/b.py": "__all__ = ['f']\ndef f():\n    from .a import a\n" + body + "\n",
        "exact/c.py": "from .a import _hidden\n" + "x = 1\n" * (MAX_MODULE_LINES + 1),
        "exact/sub/__init__.py": "from . import d\n",
        "exact/sub/d.py": "from ..c import x\n",
    })
    graph = imports(tree)
    assert cycles(graph) == [["exact.a", "exact.b"]]
    assert graph["exact.sub"] == {"exact.sub.d"} and graph["exact.sub.d"] == {"exact.c"}
    assert floors({"a": {"b"}, "b": {"c"}, "c": set()}) == {"a": 3, "b": 2, "c": 1}
    assert private_imports(tree) == ["exact.c: _hidden"]
    assert shadowed_modules(tree) == ["exact.a"]
    assert long_modules(tree) == [f"exact.c: {MAX_MODULE_LINES + 2} lines"]
    assert long_functions(tree) == [f"exact.b.f: {MAX_FUNCTION_LINES + 3} lines"]
