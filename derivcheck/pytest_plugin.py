"""pytest plugin: every claim of every proof file is a test item.

``pytest proofs/`` collects each module-level claim of each proof file as
its own test, with ids like ``proofs/softmax.py::grad_W``. Which files are
proof files is decided from their text, without importing them:

  * a ``.py`` file under a directory named ``proofs`` whose text imports
    derivcheck (``import derivcheck`` or ``from derivcheck ...``); any
    other module there (a user's own ``mylib/proofs/``) is never imported;
  * a file matching one of the globs of the ``derivcheck_files`` ini
    option (paths relative to the rootdir, ``*`` also crosses folders),
    e.g. ``derivcheck_files = notes/*.py``;
  * a file passed explicitly that imports derivcheck and assigns a claim at
    module level (``name = dc.gradient(...)`` and the like).

Test modules (``python_files``, e.g. ``test_*.py``), ``conftest.py`` and
files starting with ``_`` are left to pytest.

Outcomes:
  * a claim at its expected status passes;
  * a claim expected to be refuted (an erratum) is a strict xfail: XFAIL
    when it is refuted as expected, a failure when it verifies;
  * any other claim not at its expected status fails, showing the verdict
    and a snippet that reproduces the counterexample;
  * a proof file that does not import is a collection error with one line.

Options: ``--derivcheck-profile`` (default ``$DERIVCHECK_PROFILE`` or
"default", the same budget as ``derivcheck check``, so both tools give the
same verdict for the same seed) and ``--derivcheck-seed`` (default 0).
The items keep compiled checks where ``derivcheck check`` does
(``$DERIVCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/derivcheck/jax``, else
``~/.cache/derivcheck/jax``; ``DERIVCHECK_CACHE_DIR=''`` turns it off), so a
second ``pytest proofs/`` compiles nothing; the JAX options of the test
process are restored after each item.
Works with pytest-xdist: every worker collects the files itself and items
are addressed by node id; no claim or result crosses a process boundary.

This module imports derivcheck's engine (and JAX) only when a proof item
runs, so having the plugin installed costs ordinary test runs nothing.
"""

from __future__ import annotations

import fnmatch
import gc
import re
from pathlib import Path

import pytest

__all__ = [
    "ClaimItem",
    "ClaimMismatch",
    "ErratumRefuted",
    "ProofFile",
    "ProofLoadError",
]

PROFILE_CHOICES = ("quick", "default", "thorough")


class ProofLoadError(Exception):
    """A proof file that could not be imported (reported as a one-line collection error)."""


class ClaimMismatch(AssertionError):
    """A claim that did not get its expected status."""


class ErratumRefuted(Exception):
    """An erratum refuted as expected; the item's strict xfail marker expects exactly this."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("derivcheck", "derivcheck proof files")
    group.addoption(
        "--derivcheck-profile", choices=PROFILE_CHOICES, default=None,
        help="search budget for proof-file claims [default: $DERIVCHECK_PROFILE or "
             "'default', as for 'derivcheck check']")
    group.addoption(
        "--derivcheck-seed", type=int, default=0,
        help="search seed for proof-file claims; the same seed reproduces a run [default: 0]")
    parser.addini(
        "derivcheck_files", type="linelist", default=[],
        help="globs (relative to the rootdir) of further derivcheck proof files to collect")
    parser.addini(
        "derivcheck_fast_exit", type="bool", default=True,
        help="in a pytest-xdist worker that ran proof items, collect the garbage when the "
             "session ends, then leave the objects still alive to the operating system "
             "instead of freeing them (0.3 s per worker); set to false if your tests rely on "
             "the finalizers of objects alive then [default: true]")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "derivcheck: a claim collected from a derivcheck proof file")


def _in_proofs_dir(path: Path) -> bool:
    return "proofs" in path.parent.parts


def _looks_like_test_module(path: Path, config: pytest.Config) -> bool:
    patterns = config.getini("python_files") or ["test_*.py", "*_test.py"]
    return any(fnmatch.fnmatch(path.name, p) for p in patterns)


def _configured(path: Path, config: pytest.Config) -> bool:
    """The file matches a glob of the ``derivcheck_files`` ini option."""
    globs = config.getini("derivcheck_files")
    if not globs:
        return False
    try:
        rel = path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return False
    return any(fnmatch.fnmatchcase(rel, g.strip().removeprefix("./")) for g in globs if g.strip())


# ``import derivcheck``, ``import derivcheck as dc``, ``import numpy as np, derivcheck``,
# ``from derivcheck import ...``, ``from derivcheck.strategies import ...``.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+derivcheck\b|import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*"
    r"derivcheck\b)", re.M)
# A module-level claim: ``dc.gradient(``, ``derivcheck.Derivation(``, ``= gradient(`` after
# ``from derivcheck import ...``.
_CLAIM_CALL = re.compile(
    r"^\w+\s*=\s*(?:\w+\.)?(?:gradient|jacobian|equal|holds|Derivation)\(", re.M)


def _source(path: Path) -> str | None:
    """The file's text, or None for derivcheck's own modules and unreadable files."""
    package = Path(__file__).resolve().parent
    if package in path.resolve().parents:
        return None  # derivcheck's own modules (e.g. under --doctest-modules)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _imports_derivcheck(path: Path) -> bool:
    """Cheap test, without importing: the file's text imports derivcheck."""
    text = _source(path)
    return text is not None and _IMPORT.search(text) is not None


def _defines_claims(path: Path) -> bool:
    """Cheap test, without importing: the file imports derivcheck and assigns a claim."""
    text = _source(path)
    return text is not None and _IMPORT.search(text) is not None \
        and _CLAIM_CALL.search(text) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".py" or file_path.name.startswith("_") \
            or file_path.name == "conftest.py":
        return None
    config = parent.config
    if _looks_like_test_module(file_path, config):
        return None  # a normal test module, wherever it lives
    if _configured(file_path, config) \
            or (_in_proofs_dir(file_path) and _imports_derivcheck(file_path)) \
            or (parent.session.isinitpath(file_path) and _defines_claims(file_path)):
        return ProofFile.from_parent(parent, path=file_path)
    return None


class ProofFile(pytest.File):
    """A derivcheck proof file: one :class:`ClaimItem` per module-level claim."""

    def collect(self):
        from ._loader import load_file

        claims, error = load_file(self.path)
        if error is not None:
            raise ProofLoadError(str(error))
        for claim in claims:  # their ids are unique: a repeated id is a load error
            item = ClaimItem.from_parent(self, name=claim.id, claim=claim)
            item.add_marker(pytest.mark.derivcheck)
            if claim.expected == "refuted":
                notes = "; ".join(ln.erratum for ln in claim.lines if ln.erratum) or \
                    "expected to be refuted"
                item.add_marker(pytest.mark.xfail(
                    reason=f"erratum: {notes}", raises=ErratumRefuted, strict=True))
            yield item

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance(ProofLoadError):
            return f"derivcheck: load error: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)


#: Set in a pytest-xdist worker once it runs a proof item (see :func:`pytest_unconfigure`).
_FAST_EXIT = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """In a pytest-xdist worker that ran a proof item (unless the ``derivcheck_fast_exit``
    ini option is false): collect the garbage there is, then leave the objects still
    alive to the operating system (:func:`gc.freeze`) instead of freeing them.

    xdist starts the worker for the session, and its controller waits for it to
    exit. Python's shutdown frees every object it can still reach, classes and
    modules included, and its cycle collector reaches most of them: after a few
    dozen claims, JAX's caches and every loaded compiled check (XLA's code for
    it); that, and pytest's own last collections over them, took 0.3 s of each
    worker's end. Garbage is collected first, so every finalizer that would run at
    this point runs (and pytest still sees what they raise); what is skipped is
    freeing objects alive now that only the cycle collector frees, whose finalizers
    Python does not promise to run at exit. A session without proof items, or
    outside xdist, ends as it always did.
    """
    if config.stash.get(_FAST_EXIT, False):
        gc.collect()
        gc.freeze()


class ClaimItem(pytest.Item):
    """One claim, checked against autodiff when the item runs."""

    def __init__(self, *, claim, **kwargs) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.result = None

    def runtest(self) -> None:
        from ._cli_common import cache_dir
        from ._engine import run_claim
        from ._profiles import get_profile
        from ._runner import compile_cache

        config = self.config
        try:
            profile = get_profile(config.getoption("derivcheck_profile"))
        except ValueError as exc:  # only $DERIVCHECK_PROFILE can be wrong: the option has choices
            pytest.fail(f"derivcheck: {exc} (from $DERIVCHECK_PROFILE); set it to one of the "
                        "profiles or pass --derivcheck-profile", pytrace=False)
        seed = config.getoption("derivcheck_seed")
        if hasattr(config, "workerinput") and config.getini("derivcheck_fast_exit"):
            config.stash[_FAST_EXIT] = True  # an xdist worker: its end holds up the session's
        with compile_cache(cache_dir(None)):  # the folder `derivcheck check` uses
            result = run_claim(self.claim, profile=profile, seed=seed)
        self.result = result
        self.user_properties.extend([
            ("derivcheck_status", result.status), ("derivcheck_expected", result.expected),
            ("derivcheck_profile", profile.name), ("derivcheck_seed", seed),
            ("derivcheck_examples", result.examples)])
        if not result.ok:
            raise ClaimMismatch(result)
        if result.expected == "refuted":
            raise ErratumRefuted(result.summary_line())

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance(ClaimMismatch):
            result = excinfo.value.args[0]
            text = str(result)
            for ln in result.lines:
                if ln.status != ln.expected:
                    text += f"\nline {ln.index}: {ln.status}, expected {ln.expected}"
                if ln.fix is not None and not ln.fix.ok:
                    text += (f"\nline {ln.index}: its fix is {ln.fix.status}, expected "
                             f"{ln.fix.expected}: {ln.fix.latex}")
            if result.status == "verified" and result.expected == "refuted":
                text += "\nthe claim is marked as an erratum but verified: remove the erratum " \
                        "note if the line is right, or fix the line's function"
            return f"{text}\n{result.reproduce()}"
        if excinfo.errisinstance(ErratumRefuted):
            # pytest builds a report even for an expected failure (the strict xfail): the
            # verdict is the whole story, and formatting the traceback through JAX's frames
            # took 0.2 s per erratum
            return f"erratum refuted as expected: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.nodeid
