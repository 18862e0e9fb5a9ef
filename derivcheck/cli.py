"""The ``derivcheck`` command line.

Exit codes: 0 when every claim gets its expected status, 1 when one does not
(or the run is interrupted), 2 on a usage or load error.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from ._cli_audit import audit
from ._cli_common import (
    CACHE_HELP,
    CONTEXT,
    Progress,
    cache_dir,
    check_output,
    fail,
    load_claims,
    profile_or_fail,
    write_atomic,
)
from ._cli_doc import doc
from ._targets import ClaimKind

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
@click.option("--dtype", default="float64", show_default=True,
              type=click.Choice(["float64", "float32"]),
              help="What the claimed side computes in: float32 for code that only runs in "
              "float32 (its inputs are rounded to float32 and the float32 tolerance applies).")
@click.option("-k", "select", help="Only claims whose id contains this text.")
@click.option("-q", "--quiet", is_flag=True, help="Print only load errors and the summary.")
@click.option("--color/--no-color", default=None, help="Colour output [default: on a TTY].")
@click.option("--cache-dir", "cache_dir_option", default=None, help=CACHE_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes checking claims, this one included "
              "[default: the number of CPUs, at most 4].")
@click.option("--traceback", "traceback_", is_flag=True, help="Show full Python tracebacks.")
def check(paths, fmt, output, seed, profile, max_examples, dtype, select, quiet, color,
          cache_dir_option, jobs, traceback_):
    """Check the claims in proof files or folders (default: ./proofs).

    \b
    Examples:
      derivcheck check
      derivcheck check proofs/softmax_note.py --seed 3 --profile thorough
      derivcheck check proofs/float32_model.py --dtype float32
      derivcheck check --format html -o report.html
      derivcheck check --format json | jq .summary
    """
    from ._loader import UsageError, discover
    from ._runner import start_workers, stop_workers

    prof = profile_or_fail(profile, max_examples=max_examples, dtype=dtype)
    try:
        files = discover(paths or ["proofs"])
    except UsageError as exc:
        fail(str(exc))
    check_output(output)
    cache = cache_dir(cache_dir_option)
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 4)
    pool = None
    if jobs > 1 and len(files) > 1:  # a catalog: workers start up while this process loads it
        pool = start_workers(jobs, profile=prof, seed=seed, cache_dir=cache)
    try:
        claims, errors = load_claims(paths, traceback_=traceback_, select=select)
    except BaseException:  # a usage error: the workers are not needed
        if pool is not None:
            stop_workers(pool)
        raise
    jobs = min(jobs, max(1, len(claims) // 8))  # a worker costs ~1 s to start: not for tiny runs
    if pool is not None and jobs == 1:
        # stopped, not left to finish warming up: the console script's fast exit joins its
        # child processes, and one still starting could make it wait (seen once in CI,
        # 300 s after the report was printed)
        stop_workers(pool)
        pool = None
    report = _run(claims, errors, profile=prof, seed=seed, jobs=jobs, cache=cache, pool=pool,
                  quiet=quiet, traceback_=traceback_)
    _write_report(report, fmt=fmt, output=output, quiet=quiet, color=color)
    if report.interrupted:
        click.echo("derivcheck: interrupted; the summary above covers the claims that finished",
                   err=True)
    _exit(report.exit_code)


def _run(claims, errors, *, profile, seed, jobs, cache, pool, quiet, traceback_):
    """Check the claims in this process (and ``jobs - 1`` workers); JAX's options as found after."""
    from ._runner import Report, compile_cache, run_catalog, run_parallel

    if not claims:  # every file failed to load: nothing to check, no JAX to start
        return Report(results=[], load_errors=list(errors), profile=profile.name, seed=seed)
    progress = Progress(len(claims), quiet=quiet)

    def on_result(result):
        if jobs > 1:
            progress.step(result.id)
        if traceback_ and getattr(result, "trace", None):
            click.echo(result.trace, err=True)

    with compile_cache(cache):
        if jobs > 1:
            report = run_parallel(claims, profile=profile, seed=seed, jobs=jobs, cache_dir=cache,
                                  load_errors=errors, on_result=on_result, pool=pool)
        else:
            report = run_catalog(claims, profile=profile, seed=seed, load_errors=errors,
                                 on_start=lambda claim: progress.step(claim.qualname),
                                 on_result=on_result)
    progress.clear()
    return report


def _write_report(report, *, fmt, output, quiet, color) -> None:
    """The report to ``output`` or stdout; a run where nothing loaded is just its summary."""
    from ._report import render

    summary = render(report, "table", quiet=True).rstrip().splitlines()[-1]
    if fmt == "table" and not output and not report.results and not report.skipped:
        text = summary + "\n"  # the load errors are on stderr already, once each
    else:
        text = render(report, fmt, **({"quiet": quiet} if fmt == "table" else {}))
    if output:
        write_atomic(output, text)
        click.echo(f"{summary}\nreport written to {output}", err=True)
        return
    use_colour = sys.stdout.isatty() if color is None else color
    click.echo(_colour(text) if (use_colour and fmt == "table") else text, nl=False)


_CONSOLE_SCRIPT = "console script"  # the context object run() gives the group


def _exit(code: int) -> None:
    """Exit; from the console script, skip the interpreter's teardown of JAX.

    Freeing every compiled check took over a second after a catalog run.
    Everything is written by then: reports atomically, the compilation cache
    as it compiles. Called as a library (tests, CliRunner), exit normally.
    """
    if click.get_current_context().find_root().obj != _CONSOLE_SCRIPT:
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
    main(obj=_CONSOLE_SCRIPT)


@main.command("list", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--traceback", "traceback_", is_flag=True, help="Show full Python tracebacks.")
def list_(paths, traceback_):
    """List the claims in proof files or folders, with their kind and source.

    \b
    Example:
      derivcheck list proofs/
    """
    claims, errors = load_claims(paths, traceback_=traceback_)
    for c in claims:
        extra = f"  ({len(c.lines)} lines)" if ClaimKind(c.kind).chained else ""
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

    prof = profile_or_fail(profile)
    claims, _ = load_claims(paths, traceback_=False)
    found = [c for c in claims if c.qualname == claim or c.id == claim]
    if not found:
        fail(f"no claim {claim!r}; run 'derivcheck list' to see the ids")
    if len(found) > 1:
        fail(f"{len(found)} claims have the id {claim!r} ({', '.join(c.qualname for c in found)}); "
             "name one by its full id, file::id")
    c = found[0]
    r = check_claim(c, profile=prof, seed=seed)
    click.echo(f"{c.qualname}  ({c.kind})  — {c.source}")
    if c.latex:
        click.echo(f"  target: {c.latex}")
    for ln in r.lines:
        mark = {"verified": "✓", "refuted": "✗", "unstable": "~", "error": "!"}[ln.status]
        exp = "" if ln.ok else f" [expected {ln.expected}]"
        click.echo(f"  {mark} line {ln.index}: {ln.status}{exp}  {ln.latex}")
        kind = ln.erratum_class and f"erratum ({ln.erratum_class}"
        kind = kind and kind + (f", under line {ln.under})" if ln.under else ")")
        for extra in (ln.erratum and f"{kind}: {ln.erratum}",
                      ln.reading and f"read as: {ln.reading}",
                      ln.role in ("propagated", "repair", "break") and not ln.erratum
                      and f"{ln.role}" + (f" of line {ln.under}" if ln.under else ""),
                      ln.diagnosis, ln.message,
                      ln.fix and f"fix ({ln.fix.status}): {ln.fix.latex}"):
            if extra:
                click.echo(f"        {extra}")
    if r.root_cause is not None:
        click.echo(r.root_cause.describe())
    click.echo(r.summary_line())
    sys.exit(0 if r.ok else 1)


main.add_command(audit)
main.add_command(doc)


if __name__ == "__main__":  # pragma: no cover
    run()
