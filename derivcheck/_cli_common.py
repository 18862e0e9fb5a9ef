"""What the commands share: option conventions, loading claims, the cache folder, output files.

Every command module (``cli.py``, ``_cli_audit.py``, ...) imports from here and
never from another command module, so the command modules form no cycle.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import click

__all__ = [
    "CONTEXT",
    "Progress",
    "cache_dir",
    "check_output",
    "default_cache_dir",
    "fail",
    "load_claims",
    "profile_or_fail",
    "write_atomic",
]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
CACHE_HELP = ("JAX compilation cache [default: $DERIVCHECK_CACHE_DIR, else "
              "$XDG_CACHE_HOME/derivcheck/jax, else ~/.cache/derivcheck/jax]; '' disables it. "
              "Only compiled checks are cached, never verdicts.")


def fail(message: str) -> NoReturn:
    """Print ``derivcheck: error: <message>`` on one line and exit with status 2."""
    click.echo(f"derivcheck: error: {message}", err=True)
    sys.exit(2)


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``$XDG_CACHE_HOME/derivcheck/jax``, or ``~/.cache/derivcheck/jax`` when it is unset.

    As the XDG base directory specification asks, an empty or relative
    ``XDG_CACHE_HOME`` is ignored.

    >>> default_cache_dir({"XDG_CACHE_HOME": "/var/cache/me"})
    '/var/cache/me/derivcheck/jax'
    """
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = environ.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return os.path.join(base, "derivcheck", "jax")


def cache_dir(option: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The compilation cache folder: ``--cache-dir``, else ``$DERIVCHECK_CACHE_DIR``, else XDG.

    ``''`` (from either) means no cache.

    >>> cache_dir(None, {"DERIVCHECK_CACHE_DIR": "/tmp/c", "XDG_CACHE_HOME": "/x"})
    '/tmp/c'
    """
    if option is not None:
        return option
    if "DERIVCHECK_CACHE_DIR" in environ:
        return environ["DERIVCHECK_CACHE_DIR"]
    return default_cache_dir(environ)


def profile_or_fail(name: str | None, *, max_examples: int | None = None,
                    dtype: str | None = None):
    """The search budget named (or ``$DERIVCHECK_PROFILE``); a bad name exits 2 with one line."""
    from ._profiles import get_profile

    try:
        return get_profile(name, max_examples=max_examples, dtype=dtype)
    except ValueError as exc:
        fail(f"{exc} (from --profile or $DERIVCHECK_PROFILE)")


def check_output(path: str | None) -> None:
    """Exit 2 with one line now, before any work, if a report could not be written to ``path``."""
    if not path:
        return
    folder = Path(path).parent
    if not folder.is_dir():
        fail(f"-o {path}: the folder {folder} does not exist; create it first or write the "
             "report elsewhere")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"-o {path}: the folder {folder} is not writable; write the report elsewhere")


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that an interrupt never leaves half a file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # like a file opened for writing, not mkstemp's 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_claims(paths: Sequence[str], *, traceback_: bool, select: str | None = None):
    """Load the claims (``select``: only ids containing it), printing each load error once.

    Exits 2 with one line when a path is wrong, when the files hold no claim
    at all, or when ``select`` matches none of the claims that loaded.
    Returns ``(claims, load_errors)``; ``claims`` may be empty when every
    file failed to load.
    """
    from ._loader import UsageError, load_paths

    try:
        claims, errors = load_paths(paths or ["proofs"])
    except UsageError as exc:
        fail(str(exc))
    for e in errors:
        click.echo(f"derivcheck: load error: {e}", err=True)
        if traceback_ and e.trace:
            click.echo(e.trace.rstrip("\n"), err=True)
    if not claims and not errors:
        fail(f"no claims found in {', '.join(paths or ['proofs'])}; a proof file defines "
             "module-level dc.gradient(...), dc.Derivation(...) and similar objects")
    if select is not None:
        chosen = [c for c in claims if select in c.qualname]
        if claims and not chosen:
            fail(f"no claim matched -k {select!r}: none of the {len(claims)} claim ids "
                 "contains it; run 'derivcheck list' to see the ids")
        claims = chosen
    return claims, errors


class Progress:
    """``[n/total] name`` on one line of a terminal's stderr; silent when quiet or piped."""

    def __init__(self, total: int, *, quiet: bool, verb: str = "") -> None:
        self.total = total
        self.done = 0
        self.verb = f"{verb} " if verb else ""
        self.shown = sys.stderr.isatty() and not quiet

    def step(self, name: str) -> None:
        """Count one more claim started (or finished) and show its name."""
        self.done += 1
        if self.shown:
            msg = f"[{self.done}/{self.total}] {self.verb}{name}"[:100]
            click.echo(f"\r\033[K{msg}", err=True, nl=False)

    def clear(self) -> None:
        """Erase the progress line before the report."""
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)
