"""Proof files → claims.

A proof file is a Python module (it runs as code, like a ``conftest.py``).
Every module-level :class:`~derivcheck.Claim` is collected in definition
order, and the variable name becomes its id unless the claim sets one.
Files whose name starts with ``_`` are helpers and are not collected. The file
runs one top-level statement at a time: a statement that raises (a claim whose
``wrt`` is not an input, a bad space) is a load error naming its line, and the
statements after it still run, so one broken claim never stops the others.

While a proof file is imported its own folder is first on ``sys.path``, so
it can import a helper module beside it (as under pytest); ``sys.path`` is
restored afterwards. Two claims of one file with the same id are a load
error naming both lines: an id must address exactly one claim. Each loaded
claim carries an :class:`Origin` (its line and its position in the file),
which is how worker processes find it again.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from ._claims import Claim

__all__ = ["LoadError", "Origin", "UsageError", "discover", "load_file", "load_paths"]


class UsageError(Exception):
    """A path that does not exist, a folder with no proof files, an unknown claim."""


@dataclasses.dataclass
class LoadError:
    """A proof file that could not be imported: one clear line, and the full trace."""

    file: str
    message: str
    trace: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a loaded claim comes from.

    Attributes:
      file: the proof file, as shown to the user.
      line: the line of the module-level assignment that names the claim
        (None when the claim was not assigned by a plain ``name = ...``).
      position: the claim's index among the claims of its file; loading the
        same file again yields the same claim at the same position.
      variable: the module-level name the claim was found under.
    """

    file: str
    line: int | None
    position: int
    variable: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}"
        return f"{self.file} (variable {self.variable})"


def discover(paths: Iterable[str]) -> list[Path]:
    """The proof files named by ``paths`` (files, or folders searched for ``*.py``).

    Raises:
      UsageError: a path does not exist, or a folder holds no proof file.
    """
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise UsageError(f"{p}: no such file or folder; pass a proof file or a folder "
                             "of them (default: ./proofs)")
        if path.is_dir():
            found = sorted(f for f in path.rglob("*.py") if not f.name.startswith("_")
                           and "__pycache__" not in f.parts)
            if not found:
                raise UsageError(f"{p}: no proof files here (looked for *.py not starting "
                                 "with _); add one or pass another folder")
            files.extend(found)
        else:
            files.append(path)
    seen, out = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def _assignment_lines(path: Path) -> dict[str, int]:
    """Module-level ``name = ...`` statements: the line of the last one for each name."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return {}
    lines: dict[str, int] = {}

    def visit(body) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            targets = (stmt.targets if isinstance(stmt, ast.Assign) else
                       [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) else [])
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        lines[node.id] = stmt.lineno
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list):
                    visit(inner)

    visit(tree.body)
    return lines


def _import_module(name: str, path: Path):
    """Execute the file as module ``name``, with its folder first on ``sys.path``.

    Returns (module or None, the statements that raised: (line, names, exception,
    trace)). The file runs one top-level statement at a time, so that one broken
    claim (a ``wrt`` that is not an input, a bad space) does not stop the claims after
    it; a failed import still stops the file (it raises)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or path.suffix != ".py":
        return None, []
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    already = set(sys.modules)
    sys.path.insert(0, folder)
    try:
        failed = _run_statements(module, path)
    finally:
        try:  # the first entry equal to ours is ours, wherever the file moved it
            sys.path.remove(folder)
        except ValueError:
            pass
        _forget_helpers(folder, already)
    return module, failed


def _run_statements(module, path: Path) -> list[tuple]:
    """Run the file's top-level statements in ``module`` one by one (see
    :func:`_import_module`); imports that fail, and Ctrl-C, raise."""
    import __future__

    tree = ast.parse(path.read_bytes(), filename=str(path))
    module.__doc__ = ast.get_docstring(tree)
    flags = 0  # a __future__ import applies to the whole file
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                flags |= getattr(__future__, alias.name).compiler_flag
    failed = []
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), str(path), "exec",
                       flags=flags, dont_inherit=True)
        try:
            exec(code, module.__dict__)  # noqa: S102 - a proof file is code, as a conftest is
        except Exception as exc:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                raise
            names = [n.id for t in getattr(stmt, "targets", [getattr(stmt, "target", None)])
                     if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]
            failed.append((stmt.lineno, names, exc, traceback.format_exc()))
    return failed


def _forget_helpers(folder: str, already: set[str]) -> None:
    """Drop helper modules that the file imported from its own folder from ``sys.modules``.

    Another folder's proof file may have a helper of the same name (``_common.py``);
    it must get its own, not this one. The functions of the proof file keep
    the helper's values they refer to.
    """
    for name in [n for n in sys.modules if n not in already and "." not in n]:
        file = getattr(sys.modules[name], "__file__", None)
        if file and os.path.dirname(os.path.abspath(file)) == folder:
            del sys.modules[name]


def _duplicates(claims: list[Claim], origins: list[Origin]) -> tuple[set[str], str | None]:
    """Ids used by more than one claim, and a one-line message naming where."""
    where: dict[str, list[Origin]] = {}
    for claim, origin in zip(claims, origins, strict=True):
        where.setdefault(claim.id or "", []).append(origin)
    dups = {cid: found for cid, found in where.items() if len(found) > 1}
    if not dups:
        return set(), None

    def places(found: list[Origin]) -> str:
        shown = [str(o) for o in found]
        return ", ".join(shown[:-1]) + " and " + shown[-1]

    if len(dups) == 1:
        ((cid, found),) = dups.items()
        what = f"claim id {cid!r} is used by {len(found)} claims, at {places(found)}"
    else:
        what = "claim ids are used more than once: " + "; ".join(
            f"{cid!r} at {places(found)}" for cid, found in dups.items())
    return set(dups), (f"{what}; give each claim its own id (rename the variable or pass "
                       "id=...); the other claims of the file still run")


def load_file(path: Path) -> tuple[list[Claim], LoadError | None]:
    """Import one proof file and collect its claims; never raises for a broken file.

    Returns the claims and, if the file is broken, one :class:`LoadError`.
    Claims whose id is used twice are left out (and named in the error);
    the file's other claims are returned.
    """
    shown = _display(path)
    name = "derivcheck_proof_" + "".join(c if c.isalnum() else "_" for c in shown)
    try:
        module, failed = _import_module(name, path)
        if module is None:
            return [], LoadError(shown, "is not a Python file; proof files end in .py")
    except SyntaxError as exc:
        return [], LoadError(shown, f"line {exc.lineno}: SyntaxError: {exc.msg}; fix the "
                             "file (it is Python)", traceback.format_exc())
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.extract_tb(exc.__traceback__)
        here = path.resolve()
        line = next((f.lineno for f in reversed(tb) if Path(f.filename).resolve() == here), None)
        where = f"line {line}: " if line else ""
        text = str(exc).strip().splitlines()
        return [], LoadError(
            shown, f"{where}{type(exc).__name__} while importing: {text[0] if text else ''}; "
            + ("install the missing module or fix the import"
               if isinstance(exc, ImportError) else "fix the file")
            + " (--traceback shows the full trace)", traceback.format_exc())
    claims: list[Claim] = []
    variables: list[str] = []
    for var, obj in vars(module).items():
        if isinstance(obj, Claim) and not any(obj is c for c in claims):
            obj.id = obj.id or var
            obj.file = shown
            claims.append(obj)
            variables.append(var)
    lines = _assignment_lines(path)
    origins = [Origin(shown, lines.get(var), k, var) for k, var in enumerate(variables)]
    dup_ids, message = _duplicates(claims, origins)
    kept = []
    for claim, origin in zip(claims, origins, strict=True):
        claim.origin = origin
        if claim.id not in dup_ids:
            kept.append(claim)
    kept, message = _with_latex(kept, module, path, shown, message)
    broken = [_failed_statement(line, names, exc) for line, names, exc, _ in failed]
    message = "; ".join(broken + ([message] if message else [])) or None
    trace = "".join(f[3] for f in failed)
    return kept, (LoadError(shown, message, trace) if message else None)


def _failed_statement(line: int, names: list[str], exc: BaseException) -> str:
    """One top-level statement that raised, in one clause: where, what, what to do."""
    text = str(exc).strip().splitlines()
    lost = f"{', '.join(f'`{n}`' for n in names)} not loaded; " if names else ""
    return (f"line {line}: {type(exc).__name__} while importing: {text[0] if text else ''}; "
            f"fix the file ({lost}the statements after it were run; --traceback shows the "
            "full trace)")


def _with_latex(claims: list[Claim], module, path: Path, shown: str,
                message: str | None) -> tuple[list[Claim], str | None]:
    """LaTeX-only lines compiled and transcription checks added, with the file's NOTATION."""
    notation = getattr(module, "NOTATION", None)
    if notation is None and all(ln.fn is not None for c in claims for ln in c.lines):
        return claims, message
    from ._latex._lines import resolve

    out, problems = resolve(claims, notation, file=path, shown=shown)
    position = 1 + max((c.origin.position for c in claims), default=-1)
    for extra in out:
        if extra.file is None:  # a transcription check: placed after the file's own claims
            parent = next(c for c in claims if extra.id.startswith(f"{c.id}:"))
            extra.file = shown
            extra.origin = dataclasses.replace(parent.origin, position=position,
                                               variable=extra.id)
            position += 1
    problems = ([message] if message else []) + problems
    return out, "; ".join(problems) or None


def load_paths(paths: Iterable[str]) -> tuple[list[Claim], list[LoadError]]:
    """Discover and load; returns every claim found and every file that failed."""
    claims: list[Claim] = []
    errors: list[LoadError] = []
    for f in discover(paths):
        found, err = load_file(f)
        claims.extend(found)
        if err is not None:
            errors.append(err)
    return claims, errors
