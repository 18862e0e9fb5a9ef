"""``derivcheck audit``: mutation-test the catalog (registered on the group in cli.py)."""

from __future__ import annotations

import json
import sys

import click

from ._cli_common import CONTEXT, Progress, check_output, load_claims, profile_or_fail, write_atomic

__all__ = ["audit"]


@click.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json"]), help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Search seed, for the claims and their mutants.")
@click.option("--profile", default=None,
              type=click.Choice(["quick", "default", "thorough"]),
              help="Search budget of the claims and their mutants [default: "
              "$DERIVCHECK_PROFILE or default, the budget whose kill rate matters]. "
              "Survivors are then checked for equivalence with at least the default budget.")
@click.option("-k", "select", help="Only claims whose id contains this text.")
@click.option("-q", "--quiet", is_flag=True, help="Print only claims with survivors and the "
              "summary.")
@click.option("--traceback", "traceback_", is_flag=True, help="Show full Python tracebacks.")
def audit(paths, fmt, output, seed, profile, select, quiet, traceback_):
    """Mutation-test the check: would it notice if a verified line were wrong?

    For every line that verifies, checks mutants of it (sign flipped; scaled by
    2, 1/2, N, 1/N; transposed; one additive term dropped; label inputs swapped;
    classes shifted by one; λ doubled or halved) against the same truth. Reports
    the kill rate per claim and overall, and lists survivors and equivalent
    mutants (equal to the original line on every input drawn).

    Exit status: 0 when every non-equivalent mutant is killed, 1 when one
    survives (or the run is interrupted), 2 on a usage or load error.

    \b
    Examples:
      derivcheck audit                          # the whole ./proofs catalog
      derivcheck audit proofs/cross_entropy_over_W.py -k grad
      derivcheck audit --profile thorough --format json -o audit.json
    """
    from ._audit import audit_catalog, render_text

    check_output(output)
    prof = profile_or_fail(profile)
    claims, errors = load_claims(paths, traceback_=traceback_, select=select)
    progress = Progress(len(claims), quiet=quiet, verb="auditing")
    report = audit_catalog(claims, profile=prof, seed=seed, load_errors=errors,
                           on_start=lambda claim: progress.step(claim.qualname))
    for c in report.claims:
        if traceback_ and c.trace:
            click.echo(c.trace, err=True)
    progress.clear()
    summary = render_text(report, quiet=True).splitlines()[-1]
    if fmt == "json":
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif not claims and not output:  # the load errors are on stderr already, once each
        text = summary + "\n"
    else:
        text = render_text(report, quiet=quiet)
    if output:
        write_atomic(output, text)
        click.echo(f"{summary}\nreport written to {output}", err=True)
    else:
        click.echo(text, nl=False)
    if report.interrupted:
        click.echo("derivcheck: interrupted; the summary above covers the claims that finished",
                   err=True)
    sys.exit(report.exit_code)
