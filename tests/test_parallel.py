"""Verdicts do not depend on -j, and a claim id addresses exactly one claim.

Workers re-import the proof files and find each claim again; these tests run
catalogs big enough (16 claims or more) that ``-j 2`` really starts a worker.
"""

import json
import textwrap

import pytest
from test_cli import run

TIMINGS = {"seconds", "compilations"}


def without_timings(doc):
    """A JSON report with its timings removed: what must not depend on -j."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in TIMINGS}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def catalog(n):
    """A proof file of ``n`` claims: right ones, wrong ones, and a derivation with an erratum."""
    out = ["import jax.numpy as jnp", "import derivcheck as dc", "",
           'S = dc.Space(x=dc.real("D"))', ""]
    for k in range(1, n):
        grad = f"{k} * 2 * x" if k % 3 else f"{k} * x"  # every third one is wrong
        out.append(f"c{k} = dc.gradient(lambda x: {k} * jnp.sum(x ** 2), lambda x: {grad}, "
                   f'space=S, wrt="x", latex="{grad}")')
    out.append(textwrap.dedent("""
        chain = dc.Derivation(
            target=dc.grad_of(lambda x: jnp.sum(x ** 3), wrt="x"),
            lines=[dc.Line("3 x x", lambda x: 3 * x * x),
                   dc.Line("x^2", lambda x: x ** 2, erratum="drops the 3",
                           fix=dc.Line("3 x^2", lambda x: 3 * x ** 2))],
            space=S)
    """))
    return "\n".join(out)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The same 18-claim file checked with one process and with two."""
    folder = tmp_path_factory.mktemp("jobs")
    (folder / "many.py").write_text(catalog(18), encoding="utf-8")
    docs = {}
    for jobs in (1, 2):
        r = run(folder, "check", "many.py", "--profile", "quick", "--format", "json",
                "--cache-dir", "", "-j", jobs)
        assert r.exit_code == 1, r.output  # the wrong claims are not as expected
        docs[jobs] = json.loads(r.stdout)
    return docs


def test_verdicts_are_identical_with_one_process_and_with_two(reports):
    one, two = reports[1], reports[2]
    assert one["summary"]["claims"] >= 16
    assert without_timings(one) == without_timings(two)


def test_the_comparison_sees_a_single_changed_verdict(reports):
    # twin: the comparison above is not blind to a verdict
    two = json.loads(json.dumps(reports[2]))
    changed = next(c for c in two["claims"] if c["status"] == "refuted")
    changed["status"] = "verified"
    assert without_timings(reports[1]) != without_timings(two)


def test_the_catalog_mixes_verdicts_so_a_swap_would_show(reports):
    statuses = [c["status"] for c in reports[1]["claims"]]
    assert statuses.count("refuted") >= 5 and statuses.count("verified") >= 10


# -- duplicate ids ------------------------------------------------------------------------------

DUPLICATE = catalog(17) + textwrap.dedent("""
    right = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 2 * x, space=S, wrt="x",
                        id="twin")
    wrong = dc.gradient(lambda x: jnp.sum(x ** 2), lambda x: 3 * x, space=S, wrt="x",
                        id="twin")
""")


def _line_of(text, start):
    return next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith(start))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_duplicate_claim_id_is_a_load_error_naming_both_lines(tmp_path, jobs):
    (tmp_path / "dup.py").write_text(DUPLICATE, encoding="utf-8")
    r = run(tmp_path, "check", "dup.py", "--profile", "quick", "--format", "json",
            "--cache-dir", "", "-j", jobs)
    assert r.exit_code == 2, r.output
    first, second = _line_of(DUPLICATE, "right ="), _line_of(DUPLICATE, "wrong =")
    assert f"derivcheck: load error: dup.py: claim id 'twin' is used by 2 claims, at " \
           f"dup.py:{first} and dup.py:{second}; give each claim its own id" in r.stderr
    doc = json.loads(r.stdout)
    ids = [c["id"] for c in doc["claims"]]
    assert "dup.py::twin" not in ids  # neither of the two is run under an ambiguous id
    assert doc["summary"]["claims"] == 17  # every other claim still runs


def test_distinct_ids_are_no_load_error_and_the_wrong_claim_is_refuted(tmp_path):
    # twin: the same file with the ids told apart
    text = DUPLICATE.replace('id="twin")', 'id="twin_a")', 1)
    (tmp_path / "dup.py").write_text(text, encoding="utf-8")
    r = run(tmp_path, "check", "dup.py", "--profile", "quick", "--format", "json",
            "--cache-dir", "", "-j", 2)
    assert r.exit_code == 1, r.output
    assert "load error" not in r.stderr
    status = {c["id"]: c["status"] for c in json.loads(r.stdout)["claims"]}
    assert status["dup.py::twin_a"] == "verified"
    assert status["dup.py::twin"] == "refuted"


def test_a_variable_and_an_explicit_id_that_collide_are_a_load_error(tmp_path):
    (tmp_path / "clash.py").write_text(textwrap.dedent("""\
        import derivcheck as dc
        S = dc.Space(x=dc.real("D"))
        grad = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=S, wrt="x")
        other = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=S, wrt="x",
                            id="grad")
    """), encoding="utf-8")
    r = run(tmp_path, "list", "clash.py")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == (
        "derivcheck: load error: clash.py: claim id 'grad' is used by 2 claims, at clash.py:3 "
        "and clash.py:4; give each claim its own id (rename the variable or pass id=...); "
        "the other claims of the file still run")


def test_one_claim_under_two_names_is_one_claim_not_a_duplicate(tmp_path):
    # twin: the same object bound twice is no ambiguity
    (tmp_path / "alias.py").write_text(textwrap.dedent("""\
        import derivcheck as dc
        S = dc.Space(x=dc.real("D"))
        grad = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=S, wrt="x")
        alias = grad
    """), encoding="utf-8")
    r = run(tmp_path, "list", "alias.py")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["alias.py::grad  gradient  — "]


# -- how a worker finds a claim again ----------------------------------------------------------

def test_a_worker_finds_each_claim_by_its_position_in_the_file(tmp_path):
    from derivcheck._loader import load_file
    from derivcheck._profiles import get_profile
    from derivcheck._runner import _Worker

    path = tmp_path / "many.py"
    path.write_text(catalog(18), encoding="utf-8")
    claims, _ = load_file(path)
    worker = _Worker(get_profile("quick"), 0)
    found = [worker.claim(c.file, c.origin.position, c.qualname) for c in claims]
    assert [c.qualname for c in found] == [c.qualname for c in claims]
    assert [c.lines[0].latex for c in found] == [c.lines[0].latex for c in claims]


def test_a_worker_refuses_a_file_that_changed_under_it(tmp_path):
    # twin: a claim that is no longer where the parent saw it is an error, not another claim
    from derivcheck._loader import load_file
    from derivcheck._profiles import get_profile
    from derivcheck._runner import _Worker

    path = tmp_path / "many.py"
    path.write_text(catalog(18), encoding="utf-8")
    claims, _ = load_file(path)
    path.write_text(catalog(18).replace("c1 = ", "renamed = "), encoding="utf-8")
    worker = _Worker(get_profile("quick"), 0)
    with pytest.raises(RuntimeError, match="changed while it was being checked"):
        worker.claim(claims[0].file, claims[0].origin.position, claims[0].qualname)
