"""Proof files → claims.

A proof file is a Python module (it runs as code, like a ``conftest.py``).
Every module-level :class:`~derivcheck.Claim` is collected in definition
order, and the variable name becomes its id unless the claim sets one.
Files whose name starts with ``_`` are helpers and are not collected.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from ._claims import Claim

__all__ = ["LoadError", "UsageError", "discover", "load_file", "load_paths"]


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


def load_file(path: Path) -> tuple[list[Claim], LoadError | None]:
    """Import one proof file and collect its claims; never raises for a broken file."""
    shown = _display(path)
    name = "derivcheck_proof_" + "".join(c if c.isalnum() else "_" for c in shown)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return [], LoadError(shown, "is not a Python file; proof files end in .py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
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
    claims = []
    for var, obj in vars(module).items():
        if isinstance(obj, Claim) and obj not in claims:
            obj.id = obj.id or var
            obj.file = shown
            claims.append(obj)
    return claims, None


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
