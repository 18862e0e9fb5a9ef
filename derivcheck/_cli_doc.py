"""``derivcheck doc``: check a Markdown or LaTeX document as it is written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ._cli_common import CACHE_HELP, CONTEXT, cache_dir, check_output, fail, write_atomic


def find_notation(path: str, given: str | None) -> tuple[str | None, list[str]]:
    """The notation file for ``path``: ``--notation``, else
    ``proofs/notation/<stem>.toml`` under the current directory, else ``<stem>.toml``
    beside the document. Returns (file or None, places looked at).
    """
    if given:
        return given, [given]
    stem = Path(path).stem
    places = [os.path.join("proofs", "notation", f"{stem}.toml"),
              str(Path(path).with_suffix(".toml"))]
    for p in places:
        if os.path.isfile(p):
            return p, places
    return None, places


def read_text(path: str) -> str:
    """The document's text. Bytes that are not UTF-8 are replaced (their line is then
    read without them), with a one-line warning naming the first such line."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        click.echo(f"derivcheck: warning: {path}:{line}: not UTF-8 text (byte "
                   f"0x{raw[exc.start]:02x}); such bytes were replaced: save the file as UTF-8",
                   err=True)
        return raw.decode("utf-8", errors="replace")


def placed_notation(found: str, text: str):
    """The notation file ``found``, checked (its ``[inputs]`` make a space), with its blocks
    anchored by text placed in ``text``; and the warnings about anchors not found."""
    from ._latex import load_notation

    nt = load_notation(found)
    nt.space()
    return nt.placed(text)   # blocks anchored by text follow it


@click.command("doc", context_settings=CONTEXT)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--notation", type=click.Path(exists=True, dir_okay=False),
              help="The notation file (TOML) [default: proofs/notation/<stem>.toml, "
                   "else <stem>.toml beside the document].")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html", "markdown"]),
              default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--profile", type=click.Choice(["quick", "default", "thorough"]), default="quick",
              show_default=True, help="Search budget per relation chain.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--cache-dir", "cache_dir_option", default=None, help=CACHE_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes checking the relation chains, this one included "
              "[default: the number of CPUs, at most 4; one for a short document].")
def doc(path, notation, fmt, output, profile, seed, cache_dir_option, jobs):
    """Check every relation of a Markdown or LaTeX document, compiled from its LaTeX.

    Each chain a = b = c is checked line by line against its first side (the
    truth) and against the line before (the step). Notation a relation uses
    but the compiler does not read is reported as skipped, naming the construct.

    \b
    Examples:
      derivcheck doc ../shared/seeds/004_c952ce22524d4f3f.txt
      derivcheck doc notes.md --notation notes.toml --format json
    """
    check_output(output)
    found, places = find_notation(path, notation)
    if found is None:
        fail(f"{path}: no notation file (looked at {', '.join(places)}); write one or pass "
             "--notation FILE")
    from ._latex import NotationError, render, summary

    try:
        text = read_text(path)
        nt, stale = placed_notation(found, text)
    except (NotationError, OSError) as exc:
        fail(str(exc))
    except ValueError as exc:  # the [inputs] do not make a space (dc.SpaceError)
        fail(f"{found}: [inputs]: {exc}")
    for warning in stale:
        click.echo(f"derivcheck: warning: {warning}", err=True)
    from ._runner import compile_cache

    cache = cache_dir(cache_dir_option)
    with compile_cache(cache):
        formulas = _check(path, found, text, nt, profile=profile, seed=seed, cache=cache,
                          jobs=jobs)
    if not formulas:
        fail(f"{path}: no relations found (an = or other relation inside $...$, $$...$$, "
             "\\[...\\] or a math environment); nothing was checked")
    report = render(fmt, path, formulas, summary(formulas))
    if output:
        write_atomic(output, report)
    else:
        click.echo(report, nl=False)
    sys.exit(1 if any(f.status in ("refuted", "error") for f in formulas) else 0)


#: Relation chains per process, at least, before ``derivcheck doc`` uses a worker (one
#: costs about a second of start-up, mostly importing JAX).
CHAINS_PER_JOB = 4


def _check(path, found, text, nt, *, profile, seed, cache, jobs):
    """The document's formulas, its relation chains checked in up to ``jobs`` processes
    (after the first CHAINS_PER_JOB, chain ``i`` by process ``i mod n``, unless those first
    ones compiled nothing): the verdicts are those of one process. A share whose worker
    failed is checked here."""
    from ._latex._doc import chain_count, check_chains

    def run(**where):
        return check_chains(text, nt, name=Path(path).name, profile=profile, seed=seed, **where)

    if jobs is None:
        jobs = min(os.cpu_count() or 1, 4)
    n = max(1, min(jobs, chain_count(text) // CHAINS_PER_JOB))
    if n == 1:
        return [f for _, fs in run() for f in fs]
    from ._engine import ENGINE
    from ._profiles import get_profile
    from ._runner import start_workers, stop_workers

    store = ENGINE.compiler.store
    written = store.writes if store is not None else -1
    head = dict(run(stop=CHAINS_PER_JOB))
    if store is not None and store.writes == written:
        # the first chains' checks all came from the program store (a warm run): the rest
        # will too, and a worker's start-up would cost more than it saves
        rest = dict(run(start=CHAINS_PER_JOB))
        return [f for i in sorted(rest) for f in (head[i] if i < CHAINS_PER_JOB else rest[i])]
    pool = start_workers(n, profile=get_profile(profile or "quick"), seed=seed, cache_dir=cache)
    try:
        futures = {k: pool.submit(_doc_share, text, found, Path(path).name, profile, seed,
                                  (k, n), CHAINS_PER_JOB) for k in range(1, n)}
        mine = dict(run(share=(0, n), start=CHAINS_PER_JOB))
        theirs: dict[int, list] = {}
        for k, fut in futures.items():
            try:
                theirs.update(fut.result())
            except Exception:  # noqa: BLE001 - a worker that died: its share is checked here
                theirs.update((i, fs) for i, fs in run(share=(k, n), start=CHAINS_PER_JOB)
                              if i % n == k)
    finally:
        stop_workers(pool)
    return [f for i in sorted(mine) for f in (
        head[i] if i < CHAINS_PER_JOB else mine[i] if i % n == 0 else theirs[i])]


def _doc_share(text, found, name, profile, seed, share, start) -> list:
    """In a worker: the chains of ``share`` from ``start`` on, of the document ``text``
    (see :func:`._latex._doc.check_chains`), its notation read as the parent read it."""
    from ._latex._doc import check_chains

    nt, _ = placed_notation(found, text)
    k, n = share
    return [(i, fs) for i, fs in check_chains(text, nt, name=name, profile=profile, seed=seed,
                                              share=share, start=start)
            if i % n == k and i >= start]
