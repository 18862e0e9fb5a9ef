"""The package's shape: no import cycles inside derivcheck/, no module over 400 lines.

Both checks run on the source (``ast``), and each has a failing twin that
feeds the checker a synthetic bad case.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derivcheck"
MAX_LINES = 400


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool, known: set[str]) -> set[str]:
    """The modules of the package that ``module`` imports, anywhere in its body.

    Imports inside functions count: a lazy import still ties the two modules.
    """
    here = module.split(".") if is_package else module.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{stem}.{a.name}" for a in node.names]
            if not any(t in known for t in targets):  # names from stem, not its submodules
                targets = [stem]
        else:
            continue
        for t in targets:
            while t and t not in known:  # `from .x import name`: the module is x
                t = t.rpartition(".")[0]
            if t and t != module:
                out.add(t)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    known = set(files)
    return {m: imports_of(p.read_text(), m, is_package=p.name == "__init__.py", known=known)
            for m, p in files.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected set of two or more modules, as a sorted list (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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


def over_long(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    return {str(p.relative_to(root.parent)): n for p in sorted(root.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > limit}


def test_no_import_cycle_inside_derivcheck():
    assert find_cycles(import_graph(PACKAGE)) == []


def test_the_cycle_detector_finds_a_synthetic_cycle(tmp_path):  # the failing twin
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_a.py").write_text("from ._b import thing\n")
    (pkg / "_b.py").write_text("def f():\n    from .sub import _c\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "_c.py").write_text("from .. import _a\n")
    (pkg / "_d.py").write_text("from . import _a\n")
    assert find_cycles(import_graph(pkg)) == [["pkg._a", "pkg._b", "pkg.sub._c"]]


def test_the_engine_does_not_import_the_front_doors():
    graph = import_graph(PACKAGE)
    engine = [m for m in graph if m.startswith("derivcheck._engine")]
    assert engine, "the engine package was not found"
    assert not any("derivcheck._checks" in graph[m] for m in engine)


def test_no_module_in_derivcheck_is_over_400_lines():
    assert over_long(PACKAGE) == {}


@pytest.mark.parametrize(("lines", "flagged"), [(401, True), (400, False)])
def test_the_length_check_flags_an_over_long_fake_module(tmp_path, lines, flagged):  # twin
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "_long.py").write_text("x = 1\n" * lines)
    assert over_long(pkg) == ({"pkg/_long.py": lines} if flagged else {})
