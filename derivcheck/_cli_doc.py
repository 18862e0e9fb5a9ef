"""``derivcheck doc``: check a Markdown or LaTeX document as it is written."""

from __future__ import annotations

import os
import re
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
    jobs = min(os.cpu_count() or 1, 4) if jobs is None else jobs
    cache = cache_dir(cache_dir_option)
    pool, jobs = _early_workers(path, jobs, profile=profile, seed=seed, cache=cache)
    try:
        formulas = _checked(path, found, profile=profile, seed=seed, cache=cache, jobs=jobs,
                            pool=pool)
    finally:  # stopped by _check when all went well; here on the way out of an error
        _stop(pool)
    from ._latex import render, summary

    report = render(fmt, path, formulas, summary(formulas))
    if output:
        write_atomic(output, report)
    else:
        click.echo(report, nl=False)
    sys.exit(1 if any(f.status in ("refuted", "error") for f in formulas) else 0)


def _checked(path, found, *, profile, seed, cache, jobs, pool):
    """The document read, its notation placed, its relations checked (see :func:`_check`);
    a one-line error for a notation or a document that cannot be used."""
    from ._latex import NotationError

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

    with compile_cache(cache):
        formulas = _check(path, found, text, nt, profile=profile, seed=seed, jobs=jobs,
                          pool=pool)
    if not formulas:
        fail(f"{path}: no relations found (an = or other relation inside $...$, $$...$$, "
             "\\[...\\] or a math environment); nothing was checked")
    return formulas


#: Relation chains per process, at least, before ``derivcheck doc`` uses a worker (one
#: costs about a second of start-up, mostly importing JAX, overlapped with this process's).
CHAINS_PER_JOB = 4


#: A math span holding a relation (for :func:`likely_chains`).
_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\begin\{(equation|align|gather|multline|eqnarray)"
                   r"\*?\}.+?\\end\{\1\*?\}|\$[^$\n]+?\$", re.S)
_RELATION = re.compile(r"=|\\[lg]eq?\b|\\neq\b|<|>|\\approx\b|\\equiv\b")


def likely_chains(text: str) -> int:
    """About how many relation chains ``text`` holds, read without the LaTeX compiler (and
    so without importing JAX): its math spans that hold a relation. The five seeds hold
    31, 9, 9, 15 and 11 chains; this reads 32, 8, 19, 19 and 11.

    >>> likely_chains(r"$$a = b = c$$ and $x$, then $y \\leq z$")
    2
    """
    return sum(1 for m in _MATH.finditer(text) if _RELATION.search(m.group(0)))


def _early_workers(path: str, jobs: int, *, profile, seed, cache):
    """Workers for :func:`_check`, started before this process imports JAX and reads the
    notation, so that their start-up (about a second, mostly importing JAX) overlaps this
    process's own. Returns (the pool or None, the processes it makes with this one): no
    pool for one job, or for a document that looks too short to share (under
    CHAINS_PER_JOB :func:`likely_chains` per process)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:  # read again, and reported, where the document is read
        return None, 1
    jobs = min(jobs, likely_chains(text) // CHAINS_PER_JOB)
    if jobs < 2:
        return None, 1
    from ._profiles import get_profile
    from ._runner import start_workers

    return start_workers(jobs, profile=get_profile(profile or "quick"), seed=seed,
                         cache_dir=cache), jobs


def _stop(pool) -> None:
    if pool is not None:
        from ._runner import stop_workers

        stop_workers(pool)


def _check(path, found, text, nt, *, profile, seed, jobs, pool):
    """The document's formulas, its relation chains checked in up to ``jobs`` processes
    (the first CHAINS_PER_JOB here, then chain ``i`` by process ``i mod n``): the verdicts
    are those of one process. ``pool``: the workers from :func:`_early_workers` (None:
    this process alone), stopped here. A share whose worker failed is checked here."""
    from ._latex._doc import chain_count, check_chains

    def run(**where):
        return check_chains(text, nt, name=Path(path).name, profile=profile, seed=seed, **where)

    n = max(1, min(jobs, chain_count(text) // CHAINS_PER_JOB))
    if n == 1 or pool is None:
        _stop(pool)
        return [f for _, fs in run() for f in fs]
    try:
        futures = {k: pool.submit(_doc_share, text, found, Path(path).name, profile, seed,
                                  (k, n), CHAINS_PER_JOB) for k in range(1, n)}
        head = dict(run(stop=CHAINS_PER_JOB))
        mine = dict(run(share=(0, n), start=CHAINS_PER_JOB))
        theirs: dict[int, list] = {}
        for k, fut in futures.items():
            try:
                theirs.update(fut.result())
            except Exception:  # noqa: BLE001 - a worker that died: its share is checked here
                theirs.update((i, fs) for i, fs in run(share=(k, n), start=CHAINS_PER_JOB)
                              if i % n == k)
    finally:
        _stop(pool)
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
