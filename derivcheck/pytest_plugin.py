"""pytest plugin: every claim of every proof file is a test item.

``pytest proofs/`` collects each module-level claim of each ``.py`` file
under a directory named ``proofs`` as its own test, with ids like
``proofs/softmax.py::grad_W``. A file outside such a directory is collected
only when passed explicitly, does not look like a test module
(``test_*.py``), imports derivcheck and assigns a claim at module level
(``name = dc.gradient(...)`` and the like). Normal test modules, and
modules that merely use derivcheck, are left alone.

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
Works with pytest-xdist: every worker collects the files itself and items
are addressed by node id; no claim or result crosses a process boundary.

This module imports derivcheck's engine (and JAX) only when a proof item
runs, so having the plugin installed costs ordinary test runs nothing.
"""

from __future__ import annotations

import fnmatch
import os
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "derivcheck: a claim collected from a derivcheck proof file")


def _in_proofs_dir(path: Path) -> bool:
    return "proofs" in path.parent.parts


def _looks_like_test_module(path: Path, config: pytest.Config) -> bool:
    patterns = config.getini("python_files") or ["test_*.py", "*_test.py"]
    return any(fnmatch.fnmatch(path.name, p) for p in patterns)


# A module-level claim: ``dc.gradient(``, ``derivcheck.Derivation(``, ``= gradient(`` after
# ``from derivcheck import ...``.
_CLAIM_CALL = re.compile(
    r"^\w+\s*=\s*(?:\w+\.)?(?:gradient|jacobian|equal|holds|Derivation)\(", re.M)


def _defines_claims(path: Path) -> bool:
    """Cheap test, without importing: the file imports derivcheck and assigns a claim."""
    package = Path(__file__).resolve().parent
    if package in path.resolve().parents:
        return False  # derivcheck's own modules (e.g. under --doctest-modules)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "derivcheck" in text and _CLAIM_CALL.search(text) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".py" or file_path.name.startswith("_") \
            or file_path.name == "conftest.py":
        return None
    config = parent.config
    if _in_proofs_dir(file_path):
        if _looks_like_test_module(file_path, config):
            return None  # a normal test module that happens to live in proofs/
        return ProofFile.from_parent(parent, path=file_path)
    if parent.session.isinitpath(file_path) and not _looks_like_test_module(file_path, config) \
            and _defines_claims(file_path):
        return ProofFile.from_parent(parent, path=file_path)
    return None


class ProofFile(pytest.File):
    """A derivcheck proof file: one :class:`ClaimItem` per module-level claim."""

    def collect(self):
        from ._loader import load_file

        claims, error = load_file(self.path)
        if error is not None:
            raise ProofLoadError(str(error))
        seen: dict[str, int] = {}
        for claim in claims:
            name = claim.id or "<unnamed>"
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}#{seen[name]}"
            item = ClaimItem.from_parent(self, name=name, claim=claim)
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


class ClaimItem(pytest.Item):
    """One claim, checked against autodiff when the item runs."""

    def __init__(self, *, claim, **kwargs) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.result = None

    def runtest(self) -> None:
        from ._engine import run_claim
        from ._profiles import get_profile
        from ._runner import enable_compile_cache

        config = self.config
        profile = get_profile(config.getoption("derivcheck_profile"))
        seed = config.getoption("derivcheck_seed")
        enable_compile_cache(os.environ.get("DERIVCHECK_CACHE_DIR"))
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
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.nodeid
