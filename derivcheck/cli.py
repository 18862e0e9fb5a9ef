"""The ``derivcheck`` command line.

Exit codes: 0 when every claim gets its expected status, 1 when one does not
(or the run is interrupted), 2 on a usage or load error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from ._loader import UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "derivcheck", "jax")


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


def _fail(message: str) -> None:
    click.echo(f"derivcheck: error: {message}", err=True)
    sys.exit(2)


_COLOURS = {"✓ verified": "green", "✗ refuted": "red", "~ unstable": "yellow", "! error": "magenta"}


def _colour(text: str) -> str:
    for word, colour in _COLOURS.items():
        text = text.replace(word, click.style(word, fg=colour))
    return text


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="derivcheck")
def main() -> None:
    """Check hand-derived gradients, Jacobians and identities against JAX autodiff.

    \b
    Examples:
      derivcheck check                  # the whole ./proofs catalog
      derivcheck check proofs/cross_entropy_over_W.py --format json
      derivcheck list
    """


def _load(paths, traceback_, select=None):
    """Load claims (``select``: only ids containing it); exit 2 if there are none at all."""
    from ._loader import load_paths

    try:
        claims, errors = load_paths(paths or ["proofs"])
    except UsageError as exc:
        _fail(str(exc))
    for e in errors:
        click.echo(f"derivcheck: load error: {e}", err=True)
        if traceback_ and e.trace:
            click.echo(e.trace, err=True)
    if select:
        claims = [c for c in claims if select in c.qualname]
    if not claims and not errors:
        _fail("no claims found; a proof file defines module-level dc.gradient(...), "
              "dc.Derivation(...) and similar objects")
    return claims, errors


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json", "markdown", "html", "junit"]),
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Search seed; the same seed reproduces the same run.")
@click.option("--profile", default=None, type=click.Choice(["quick", "default", "thorough"]),
              help="Search budget [default: $DERIVCHECK_PROFILE or default].")
@click.option("--max-examples", type=click.IntRange(min=1),
              help="Hypothesis examples per claim (each checks a batch of inputs).")
@click.option("-k", "select", help="Only claims whose id contains this text.")
@click.option("-q", "--quiet", is_flag=True, help="Print only load errors and the summary.")
@click.option("--color/--no-color", default=None, help="Colour output [default: on a TTY].")
@click.option("--cache-dir", default=None,
              help=f"JAX compilation cache [default: $DERIVCHECK_CACHE_DIR or {DEFAULT_CACHE}]; "
              "'' disables it. Only compiled checks are cached, never verdicts.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes checking claims, this one included "
              "[default: the number of CPUs, at most 4].")
@click.option("--traceback", "traceback_", is_flag=True, help="Show full Python tracebacks.")
def check(paths, fmt, output, seed, profile, max_examples, select, quiet, color, cache_dir,
          jobs, traceback_):
    """Check the claims in proof files or folders (default: ./proofs).

    \b
    Examples:
      derivcheck check
      derivcheck check proofs/softmax_note.py --seed 3 --profile thorough
      derivcheck check --format html -o report.html
      derivcheck check --format json | jq .summary
    """
    from ._loader import discover
    from ._profiles import get_profile
    from ._report import render
    from ._runner import enable_compile_cache, run_catalog, run_parallel, start_workers

    try:
        prof = get_profile(profile, max_examples=max_examples)
        files = discover(paths or ["proofs"])
    except (ValueError, UsageError) as exc:
        _fail(str(exc))
    if cache_dir is None:
        cache_dir = os.environ.get("DERIVCHECK_CACHE_DIR", DEFAULT_CACHE)
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 4)
    pool = None
    if jobs > 1 and len(files) > 1:  # a catalog: workers start up while this process loads it
        pool = start_workers(jobs, profile=prof, seed=seed, cache_dir=cache_dir)
    claims, errors = _load(paths, traceback_, select)
    enable_compile_cache(cache_dir)
    tty = sys.stderr.isatty()
    total = len(claims)
    state = {"n": 0}
    jobs = min(jobs, max(1, total // 8))  # a worker costs ~1 s to start: not for tiny runs
    if pool is not None and jobs == 1:
        pool.shutdown(wait=False, cancel_futures=True)

    def on_start(claim):
        state["n"] += 1
        if tty and not quiet:
            name = getattr(claim, "qualname", None) or claim.id
            msg = f"[{state['n']}/{total}] {name}"[:100]
            click.echo(f"\r\033[K{msg}", err=True, nl=False)

    def on_result(result):
        if jobs > 1:
            on_start(result)
        if traceback_ and getattr(result, "trace", None):
            click.echo(result.trace, err=True)

    if jobs > 1:
        report = run_parallel(claims, profile=prof, seed=seed, jobs=jobs, cache_dir=cache_dir,
                              load_errors=errors, on_result=on_result, pool=pool)
    else:
        report = run_catalog(claims, profile=prof, seed=seed, load_errors=errors,
                             on_start=on_start, on_result=on_result)
    if tty and not quiet:
        click.echo("\r\033[K", err=True, nl=False)
    options = {"quiet": quiet} if fmt == "table" else {}
    text = render(report, fmt, **options)
    if output:
        write_atomic(output, text)
        click.echo(render(report, "table", quiet=True).rstrip() + f"\nreport written to {output}",
                   err=True)
    else:
        use_colour = sys.stdout.isatty() if color is None else color
        click.echo(_colour(text) if (use_colour and fmt == "table") else text, nl=False)
    if report.interrupted:
        click.echo("derivcheck: interrupted; the summary above covers the claims that finished",
                   err=True)
    _exit(report.exit_code)


_FAST_EXIT = False


def _exit(code: int) -> None:
    """Exit; from the console script, skip the interpreter's teardown of JAX.

    Freeing every compiled check took over a second after a catalog run.
    Everything is written by then: reports atomically, the compilation cache
    as it compiles. Called as a library (tests, CliRunner), exit normally.
    """
    if not _FAST_EXIT:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    if "multiprocessing" in sys.modules:  # release worker queues' semaphores as at exit
        import multiprocessing.util

        finish = getattr(multiprocessing.util, "_exit_function", None)
        if finish is None:  # a Python without it: take the ordinary, slower exit
            sys.exit(code)
        finish()
    os._exit(code)


def run() -> None:
    """The ``derivcheck`` console script: :func:`main` with a fast exit."""
    global _FAST_EXIT
    _FAST_EXIT = True
    main()


@main.command("list", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--traceback", "traceback_", is_flag=True, help="Show full Python tracebacks.")
def list_(paths, traceback_):
    """List the claims in proof files or folders, with their kind and source.

    \b
    Example:
      derivcheck list proofs/
    """
    claims, errors = _load(paths, traceback_)
    for c in claims:
        extra = f"  ({len(c.lines)} lines)" if c.kind == "derivation" else ""
        flag = "  [erratum]" if c.expected == "refuted" else ""
        click.echo(f"{c.qualname}  {c.kind}{extra}{flag}  — {c.source}")
    click.echo(f"{len(claims)} claims", err=True)
    sys.exit(2 if errors else 0)


@main.command(context_settings=CONTEXT)
@click.argument("claim")
@click.option("--path", "paths", multiple=True, type=click.Path(),
              help="Where to look (default: ./proofs). Repeatable.")
@click.option("--seed", default=0, show_default=True, type=int, help="Search seed.")
@click.option("--profile", default=None, type=click.Choice(["quick", "default", "thorough"]),
              help="Search budget.")
def show(claim, paths, seed, profile):
    """Check one claim and print its lines with their status and LaTeX.

    CLAIM is an id such as grad_W or proofs/cross_entropy_over_W.py::grad_W.

    \b
    Example:
      derivcheck show grad_W_chain
    """
    from ._checks import check as check_claim

    claims, _ = _load(paths, False)
    found = [c for c in claims if c.qualname == claim or c.id == claim]
    if not found:
        _fail(f"no claim {claim!r}; run 'derivcheck list' to see the ids")
    c = found[0]
    r = check_claim(c, profile=profile, seed=seed)
    click.echo(f"{c.qualname}  ({c.kind})  — {c.source}")
    if c.latex:
        click.echo(f"  target: {c.latex}")
    for ln in r.lines:
        mark = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!"}[ln.status]
        exp = "" if ln.ok else f" [expected {ln.expected}]"
        click.echo(f"  {mark} line {ln.index}: {ln.status}{exp}  {ln.latex}")
        for extra in (ln.erratum and f"erratum: {ln.erratum}", ln.diagnosis, ln.message,
                      ln.fix and f"fix ({ln.fix.status}): {ln.fix.latex}"):
            if extra:
                click.echo(f"        {extra}")
    click.echo(r.summary_line())
    sys.exit(0 if r.ok else 1)


from ._cli_audit import audit  # noqa: E402
from ._cli_doc import doc  # noqa: E402

main.add_command(audit)
main.add_command(doc)


if __name__ == "__main__":  # pragma: no cover
    run()
