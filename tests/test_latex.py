"""Executable LaTeX: parser and compiler, through ``derivcheck doc`` on small documents.

Every test that expects a formula to verify has a twin, one edit away, that
must be refuted (or skipped, for unsupported notation).
"""

import json
import textwrap

import pytest
from click.testing import CliRunner

from derivcheck.cli import main

NOTATION = """
    [inputs]
    a = "real K"
    b = "real K"
    A = "real D D"
    v = "real D"
    W = "real D K"
    X = "real N D"
    y = "labels N K"

    [symbols]
    a = { input = "a" }
    b = { input = "b" }
    "\\\\hat{b}" = { input = "b" }
    A = { input = "A" }
    x = { input = "v" }
    "\\\\theta" = { input = "W", sub = "K" }
    X = { input = "X", sub = "N" }
    y = { input = "y", sub = "N" }
    K = "K"
    D = "D"
    m = "N"

    [functions]
    f = { args = ["u"], latex = "u^2 + 1" }
    p = { args = ["z = c", "u"], latex = "c u" }

    [quantities]
    E = "\\\\frac{1}{2} \\\\sum_{k=1}^K \\\\|\\\\theta_k\\\\|_2^2"
"""


def run_doc(tmp_path, body: str, *, notation: str = NOTATION, name: str = "note.md"):
    doc = tmp_path / name
    doc.write_text(textwrap.dedent(body), encoding="utf-8")
    nt = tmp_path / "note.toml"
    nt.write_text(textwrap.dedent(notation), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(nt), "--format", "json",
                                    "--cache-dir", ""])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output), res.exit_code


def statuses(body: str, tmp_path) -> list[str]:
    out, _ = run_doc(tmp_path, body)
    return [f["status"] for f in out["formulas"]]


# -- index semantics -------------------------------------------------------------

def test_inner_sum_shadows_the_outer_index(tmp_path):
    body = r"$$\sum_{j=1}^K (a_j + \sum_{j=1}^K b_j) = \sum_{j=1}^K a_j + K \sum_{j=1}^K b_j$$"
    assert statuses(body, tmp_path) == ["verified"]


def test_reading_the_inner_index_as_the_outer_one_is_refuted(tmp_path):
    body = r"$$\sum_{j=1}^K (a_j + \sum_{j=1}^K b_j) = \sum_{j=1}^K (a_j + b_j)$$"
    assert statuses(body, tmp_path) == ["refuted"]


def test_a_free_index_is_checked_entry_by_entry(tmp_path):
    body = r"$$\frac{\partial}{\partial a_j} \sum_{i=1}^K a_i^2 = 2 a_j$$"
    assert statuses(body, tmp_path) == ["verified"]


def test_a_bound_index_where_a_free_one_is_meant_is_refuted(tmp_path):
    body = r"$$\frac{\partial}{\partial a_j} \sum_{i=1}^K a_i^2 = 2 \sum_{j=1}^K a_j$$"
    assert statuses(body, tmp_path) == ["refuted"]


def test_transposes_in_a_quadratic_form_gradient(tmp_path):
    body = r"$$\frac{\partial (x^T A x)}{\partial x} = (A + A^T) x$$"
    assert statuses(body, tmp_path) == ["verified"]


def test_a_dropped_transpose_is_refuted(tmp_path):
    body = r"$$\frac{\partial (x^T A x)}{\partial x} = 2 A x$$"
    assert statuses(body, tmp_path) == ["refuted"]


def test_indicators_of_a_label_sum_to_one_in_every_spelling(tmp_path):
    body = r"""
    $$\sum_{j=1}^K 1\{y_i = j\} = 1$$
    $$\sum_{j=1}^K \mathbb1\left\{y_i = j\right\} = 1$$
    $$\sum_{j=1}^K I(y_i = j) = \sum_{k=1}^K \mathbb{1}(y_i = k)$$
    """
    assert statuses(body, tmp_path) == ["verified"] * 3


def test_an_indicator_that_cannot_hold_twice_is_refuted(tmp_path):
    body = r"$$\sum_{j=1}^K 1\{y_i = j\} = 2$$"
    assert statuses(body, tmp_path) == ["refuted"]


def test_the_derivative_operator_is_autodiff_of_the_defined_quantity(tmp_path):
    body = r"$$\frac{\partial E}{\partial \theta_j} = \theta_j$$"
    assert statuses(body, tmp_path) == ["verified"]


def test_a_derivative_off_by_a_factor_of_two_is_refuted_and_diagnosed(tmp_path):
    out, code = run_doc(tmp_path, r"$$\frac{\partial E}{\partial \theta_j} = 2\theta_j$$")
    (f,) = out["formulas"]
    assert (f["status"], code) == ("refuted", 1)
    assert "2" in f["diagnosis"]


def test_markdown_escapes_are_read_as_latex(tmp_path):
    body = r"""
    $$
    \begin{align}
    \sum\_{i=1}^{K} a\_i &= \sum\_{j=1}^{K} a\_j \\\\
    &= \sum\_{k=1}^{K} a\_{k} \\\\
    \end{align}
    $$
    """
    out, _ = run_doc(tmp_path, body)
    assert [(f["status"], f["step_status"]) for f in out["formulas"]] == [
        ("verified", None), ("verified", "verified")]
    assert [f["line"] for f in out["formulas"]] == [4, 5]


def test_an_escaped_chain_with_a_wrong_line_is_refuted_at_that_line(tmp_path):
    body = r"""
    $$
    \begin{align}
    \sum\_{i=1}^{K} a\_i &= \sum\_{j=1}^{K} a\_j \\\\
    &= 2\sum\_{k=1}^{K} a\_{k} \\\\
    \end{align}
    $$
    """
    out, _ = run_doc(tmp_path, body)
    assert [(f["status"], f["step_status"]) for f in out["formulas"]] == [
        ("verified", None), ("refuted", "refuted")]


# -- what is not checked is said -----------------------------------------------------

@pytest.mark.parametrize(("formula", "named"), [
    (r"$$\int_0^1 a_1 = a_1$$", "\\int"),
    (r"$$q_j = a_j$$", "`q`"),
    (r"$$a_1 = \frac{a_1$$", "grammar"),
    (r"$$a_1 \leq a_1 + 1$$", "\\leq"),
], ids=["integral", "unknown-symbol", "broken-latex", "inequality"])
def test_unsupported_notation_is_skipped_naming_the_construct(tmp_path, formula, named):
    out, code = run_doc(tmp_path, formula)
    (f,) = out["formulas"]
    assert (f["status"], code) == ("skipped", 0)
    assert named in f["reason"]
    assert out["summary"] == {"formulas": 1, "checked": 0, "skipped": 1}


@pytest.mark.parametrize("formula", [r"$$\mathrm{sign}(a_1) = a_1$$",
                                     r"$$\operatorname{foo}(a_1) = a_1$$",
                                     r"$$\text{relu}\left(a_1\right) = a_1$$"],
                         ids=["mathrm", "operatorname", "text-applied"])
def test_an_unknown_upright_function_name_is_skipped_not_dropped(tmp_path, formula):
    out, _ = run_doc(tmp_path, formula)
    (f,) = out["formulas"]
    assert f["status"] == "skipped" and "is not in the notation" in f["reason"], f


def test_prose_in_text_is_dropped_and_the_relation_still_checked(tmp_path):  # the twin
    out, _ = run_doc(tmp_path, r"$$a_1 + a_2 \text{ if } = a_2 + a_1$$" "\n\n"
                               r"$$\text{则 } a_1 + a_2 = a_2 + a_1$$")
    assert [f["status"] for f in out["formulas"]] == ["verified", "verified"]


def test_a_declared_word_in_mathrm_is_read_as_that_function(tmp_path):  # the twin
    nt = 'words = ["sq"]\n' + textwrap.dedent(NOTATION).replace(
        "[functions]", '[functions]\nsq = { args = ["u"], latex = "u^2" }')
    out, _ = run_doc(tmp_path, r"$$\mathrm{sq}(a_1) = a_1^2$$" "\n\n"
                               r"$$\mathrm{sq}(a_1) = a_1$$", notation=nt)
    assert [f["status"] for f in out["formulas"]] == ["verified", "refuted"]


@pytest.mark.parametrize("body", ["", "Prose only, and $x$ inline math without a relation.\n"],
                         ids=["empty", "no-relation"])
def test_a_document_with_no_relation_is_a_one_line_usage_error(tmp_path, body):
    doc, nt = tmp_path / "n.md", tmp_path / "n.toml"
    doc.write_text(body, encoding="utf-8")
    nt.write_text(textwrap.dedent(NOTATION), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(nt), "--cache-dir", ""])
    assert res.exit_code == 2, res.output
    assert res.output.count("\n") == 1 and "n.md: no relations found" in res.output


def test_bytes_that_are_not_utf8_are_named_and_the_rest_is_checked(tmp_path):
    doc, nt = tmp_path / "n.md", tmp_path / "n.toml"
    doc.write_bytes(b"$$a_1 + a_2 = a_2 + a_1$$\n\ncaf\xe9 \xff\n")
    nt.write_text(textwrap.dedent(NOTATION), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(nt), "--cache-dir", ""])
    assert res.exit_code == 0, res.output
    assert "n.md:3: not UTF-8 text" in res.output and "1 checked" in res.output


def test_the_json_report_has_exactly_the_documented_fields(tmp_path):
    out, _ = run_doc(tmp_path, "text $a_1 = a_1$ and $a_1$\n\n$$a_1 + a_2 = a_2 + a_1$$\n")
    assert set(out) == {"document", "formulas", "summary"}
    assert [set(f) for f in out["formulas"]] == [
        {"line", "latex", "status", "step_status", "reason", "diagnosis"}] * 2
    assert [f["line"] for f in out["formulas"]] == [1, 3]
    assert out["summary"] == {"formulas": 2, "checked": 2, "skipped": 0}


def test_a_document_without_a_notation_file_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.md").write_text("$$a = b$$\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", "n.md"])
    assert res.exit_code == 2
    assert "no notation file" in res.output and "--notation" in res.output


def test_the_notation_is_found_beside_the_document(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.md").write_text("$$a_1 + a_2 = a_2 + a_1$$\n", encoding="utf-8")
    (tmp_path / "n.toml").write_text(textwrap.dedent(NOTATION), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", "n.md", "--cache-dir", ""])
    assert res.exit_code == 0, res.output
    assert "1 checked" in res.output


# -- the rest of the notation, each construct with a broken twin ------------------------

CONSTRUCTS = [
    # (name, correct, broken)
    ("left-right-cdot-times", r"\left( a_1 \cdot b_1 \right) \times 2 = 2 a_1 b_1",
     r"\left( a_1 \cdot b_1 \right) \times 2 = a_1 b_1"),
    ("exp-log-ln", r"\log e^{a_1} + \ln \exp(b_1) = a_1 + b_1",
     r"\log e^{a_1} + \ln \exp(b_1) = a_1 - b_1"),
    ("frac-power", r"\frac{a_1^2 - b_1^2}{2} = \frac{(a_1 - b_1)(a_1 + b_1)}{2}",
     r"\frac{a_1^2 - b_1^2}{2} = \frac{(a_1 - b_1)^2}{2}"),
    ("norm-squared", r"\|a\|_2^2 = \sum_{k=1}^K a_k^2", r"\|a\|_2^2 = \sum_{k=1}^K a_k"),
    ("abs", r"|a_1 - b_1| = |b_1 - a_1|", r"|a_1 - b_1| = b_1 - a_1"),
    ("transpose-top", r"a^\top b = \sum_{k=1}^K a_k b_k", r"a^\top b = \sum_{k=1}^K a_k b_1"),
    ("hat-bold-text", r"\mathbf{a}^T \hat{b} = \hat{b}^T a \quad \text{(对称)}",
     r"\mathbf{a}^T \hat{b} = 2\hat{b}^T a \quad \text{(对称)}"),
    ("sum-condition", r"\sum_{k \neq 1}^K a_k = \sum_{k=1}^K a_k - a_1",
     r"\sum_{k \neq 1}^K a_k = \sum_{k=1}^K a_k"),
    ("product", r"\prod_{k=1}^K a_k^2 = (\prod_{k=1}^K a_k)^2",
     r"\prod_{k=1}^K a_k^2 = \prod_{k=1}^K a_k"),
    ("declared-function", r"f(a_1) + p(y = 2 | b_1) = a_1^2 + 1 + 2 b_1",
     r"f(a_1) + p(y = 2 | b_1) = a_1^2 + 2 b_1"),
    ("elided-sum", r"a_1 + a_2 + \dots + a_K = \sum_{k=1}^K a_k",
     r"a_1 + a_2 + \dots + a_K = \sum_{k=2}^K a_k"),
]


def _doc(formulas):
    return "\n\n".join(f"$${f}$$" for f in formulas) + "\n"


def test_each_construct_verifies_when_correct(tmp_path):
    out, code = run_doc(tmp_path, _doc([c[1] for c in CONSTRUCTS]))
    got = {c[0]: f["status"] for c, f in zip(CONSTRUCTS, out["formulas"], strict=True)}
    assert got == {c[0]: "verified" for c in CONSTRUCTS}
    assert code == 0


def test_each_construct_is_refuted_when_broken(tmp_path):
    out, code = run_doc(tmp_path, _doc([c[2] for c in CONSTRUCTS]))
    got = {c[0]: f["status"] for c, f in zip(CONSTRUCTS, out["formulas"], strict=True)}
    assert got == {c[0]: "refuted" for c in CONSTRUCTS}
    assert code == 1


def test_a_rightarrow_separates_two_relations_of_one_display(tmp_path):
    out, _ = run_doc(tmp_path, r"$$a_1 + b_1 = b_1 + a_1 \Rightarrow 2 a_1 = a_1 + a_1$$")
    assert [f["status"] for f in out["formulas"]] == ["verified", "verified"]
    assert [f["step_status"] for f in out["formulas"]] == [None, None]


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_every_format_shows_each_relation_and_its_verdict(tmp_path, fmt):
    doc = tmp_path / "n.md"
    doc.write_text("$$a_1 + b_1 = b_1 + a_1$$\n\n$$\\int a_1 = 0$$\n", encoding="utf-8")
    nt = tmp_path / "n.toml"
    nt.write_text(textwrap.dedent(NOTATION), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(nt), "--format", fmt,
                                    "--cache-dir", ""])
    assert res.exit_code == 0, res.output
    assert "verified" in res.output and "skipped" in res.output and "\\int" in res.output
    if fmt == "html":
        assert "<math" in res.output and "Noto Sans CJK SC" in res.output


@pytest.mark.parametrize(("toml", "said"), [
    ('[inputs]\nX = "weird N"\n', "unknown kind 'weird'"),
    ("[inputs\n", "Expected"),
    ('[inputs]\nX = "real N"\n[symbols]\nx = { input = "Z" }\n', "input 'Z'"),
], ids=["unknown-kind", "broken-toml", "unknown-input"])
def test_a_malformed_notation_file_is_a_one_line_usage_error(tmp_path, toml, said):
    (tmp_path / "n.md").write_text("$$a = b$$\n", encoding="utf-8")
    (tmp_path / "n.toml").write_text(toml, encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(tmp_path / "n.md"),
                                    "--notation", str(tmp_path / "n.toml")])
    assert res.exit_code == 2
    assert said in res.output and "n.toml" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


# -- kept compiled checks ----------------------------------------------------------

KEPT = r"""
    $$ s(a) + s(b) = \sum_{j=1}^K (a_j + b_j) $$

    $$ \sum_{k=1}^K p(z = 2, a_k) = 2 s(a) $$

    $$ \frac{\partial E}{\partial \theta_k} = 2 \theta_k $$
"""

#: A declared function whose body sums: expanding it names its bound index afresh.
KEPT_NOTATION = NOTATION.replace(
    '[functions]', '[functions]\n    s = { args = ["u"], latex = "\\\\sum_{k=1}^K u_k" }')


def _programs_stored_by_second_run(tmp_path, monkeypatch):
    """Check one document twice on one cache; how many programs the second run compiles."""
    from derivcheck._engine._store import ProgramStore

    doc = tmp_path / "kept.md"
    doc.write_text(textwrap.dedent(KEPT), encoding="utf-8")
    (tmp_path / "kept.toml").write_text(textwrap.dedent(KEPT_NOTATION), encoding="utf-8")
    stored = []
    real_put, real_fact = ProgramStore.put, ProgramStore.put_fact
    real_program = ProgramStore.put_program

    def put(self, key, *a, **k):
        stored.append(key)
        real_put(self, key, *a, **k)

    def put_program(self, key, *a, **k):  # a check NumPy runs (_engine._interp)
        stored.append(key)
        real_program(self, key, *a, **k)

    def put_fact(self, key, value):
        stored.append(key)
        real_fact(self, key, value)

    monkeypatch.setattr(ProgramStore, "put", put)
    monkeypatch.setattr(ProgramStore, "put_program", put_program)
    monkeypatch.setattr(ProgramStore, "put_fact", put_fact)
    counts = []
    for _ in range(2):
        res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(tmp_path / "kept.toml"),
                                        "--format", "json", "--cache-dir", str(tmp_path / "c")])
        assert res.exit_code == 1, res.output  # the last formula is wrong (E's gradient is θ_k)
        counts.append(len(stored))
    return counts[1] - counts[0], counts[0]


def test_a_document_checked_again_loads_every_compiled_check_and_fact(tmp_path, monkeypatch):
    again, first = _programs_stored_by_second_run(tmp_path, monkeypatch)
    assert first > 0 and again == 0


def test_bound_names_from_a_process_counter_would_miss_the_kept_checks(tmp_path, monkeypatch):
    # the twin: fresh names numbered in order of expansion, as before, differ from
    # one run to the next in one process, and so do the programs' keys
    import itertools

    from derivcheck._latex import _expand

    counter = itertools.count()
    monkeypatch.setattr(_expand, "_fresh", lambda var, node: f"{var}§{next(counter)}")
    again, _ = _programs_stored_by_second_run(tmp_path, monkeypatch)
    assert again > 0


MISMATCHED = r"""
    $$ \sum_{k=1}^K a_k = a $$

    $$ y_i^{(1)} = a $$

    $$ s(a) = \sum_{j=1}^K a_j $$
"""


def test_a_document_checked_cold_then_warm_reports_the_same(tmp_path):
    # the LaTeX side records why a formula cannot be compiled, or that two sides
    # differ in shape, while it runs; a warm run loads compiled checks instead of
    # tracing them, and must still report both
    doc = tmp_path / "mismatch.md"
    doc.write_text(textwrap.dedent(MISMATCHED), encoding="utf-8")
    (tmp_path / "mismatch.toml").write_text(textwrap.dedent(KEPT_NOTATION), encoding="utf-8")
    outs = []
    for _ in range(2):
        res = CliRunner().invoke(main, ["doc", str(doc), "--notation",
                                        str(tmp_path / "mismatch.toml"), "--format", "json",
                                        "--cache-dir", str(tmp_path / "c")])
        assert res.exit_code in (0, 1), res.output
        outs.append(json.loads(res.output)["formulas"])
    cold, warm = outs
    assert cold == warm
    assert [f["status"] for f in warm] == ["refuted", "skipped", "verified"]
    assert "differ in shape" in warm[0]["diagnosis"]
    assert "superscript" in warm[1]["reason"]


def _compare_calls(second_shape):
    import numpy as np

    from derivcheck._latex import _chain

    calls = []

    def cur(**inputs):
        calls.append("cur")
        return np.zeros((inputs["a"].shape[0], 2))

    def ref(**inputs):
        calls.append("ref")
        return np.zeros((inputs["a"].shape[0], 1))

    side = type("Side", (), {})()
    compare = _chain._compare(side, cur, ref, step=False)
    for n in (3, second_shape):
        with pytest.raises(_chain.ShapeMismatch, match="against"):
            compare(a=np.zeros(n))
    return side, calls


def test_sides_that_differ_in_shape_are_not_evaluated_again_at_the_same_shapes():
    side, calls = _compare_calls(3)
    assert calls == ["cur", "ref"]
    assert side.mismatch == ((3, 2), (3, 1))


def test_sides_are_evaluated_again_at_other_shapes():  # the twin
    _, calls = _compare_calls(4)
    assert calls == ["cur", "ref", "cur", "ref"]


def _kinds_of_calls(ref_cols):
    """What ``cur`` and ``ref`` are called with when the line runs on NumPy arrays."""
    import jax
    import numpy as np

    from derivcheck._latex import _chain

    seen = []

    def cur(**inputs):
        seen.append(isinstance(inputs["a"], jax.core.Tracer))
        return np.zeros((inputs["a"].shape[0], 2))

    def ref(**inputs):
        seen.append(isinstance(inputs["a"], jax.core.Tracer))
        return np.zeros((inputs["a"].shape[0], ref_cols))

    compare = _chain._compare(type("Side", (), {})(), cur, ref, step=False)
    try:
        compare(a=np.zeros(3))
    except _chain.ShapeMismatch:
        pass
    return seen


def test_sides_run_on_numpy_arrays_are_compared_by_shape_before_they_are_evaluated():
    assert _kinds_of_calls(1) == [True, True]  # abstract only: the shapes differ


def test_sides_of_the_same_shape_are_then_evaluated_on_the_arrays():  # the twin
    assert _kinds_of_calls(2) == [True, True, False, False]


# -- a bare symbol (x standing for one row of X) takes its superscript ------------------

BARE = """
    [inputs]
    X = "real N D"
    W = "real D C"
    x1 = "real D"

    [symbols]
    x = { input = "X", sub = "N", bare = "x1" }
    w = { input = "W", sub = "C" }

    [indices]
    c = "C"
"""


def _bare(tmp_path, formula):
    out, _ = run_doc(tmp_path, formula, notation=BARE)
    (f,) = out["formulas"]
    return f["status"]


def test_a_bare_vector_transposed_is_read_as_a_transpose(tmp_path):
    assert _bare(tmp_path, r"$$w_c^T x = x^T w_c$$") == "verified"


def test_a_bare_vector_against_another_row_is_refuted(tmp_path):  # the twin
    assert _bare(tmp_path, r"$$w_c^T x = x_1^T w_c$$") == "refuted"


def test_an_unstable_relation_says_why(tmp_path):
    out, _ = run_doc(tmp_path,  # e^{e^a} overflows from a = 6.6: inf / inf
                     r"$$\frac{1}{1 + e^{-e^{a_1}}} = \frac{e^{e^{a_1}}}{e^{e^{a_1}} + 1}$$")
    (f,) = out["formulas"]
    assert f["status"] == "unstable" and f["diagnosis"], f


def test_a_verified_relation_has_no_diagnosis(tmp_path):  # the twin
    out, _ = run_doc(tmp_path, r"$$\frac{1}{1 + e^{b_1 - a_1}} = \frac{1}{1 + e^{b_1 - a_1}}$$")
    (f,) = out["formulas"]
    assert f["status"] == "verified" and f["diagnosis"] is None, f
