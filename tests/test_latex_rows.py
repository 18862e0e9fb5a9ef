"""Rows of an ``aligned``/``align`` block: where a row ends, with and without balanced braces.

A brace or bracket opened on a row and closed on a later one holds the rows
together; one that never closes breaks only its own row, which is skipped
naming it, and the rows after it are still checked. Every test that expects a
row to be checked has a twin, one edit away, where a row is skipped or refuted.
"""


import pytest
from test_latex import run_doc as _run_doc

NOTATION = """
    [inputs]
    a = "real K"
    b = "real K"

    [symbols]
    a = { input = "a" }
    b = { input = "b" }
    K = "K"
"""

MISSING = "unbalanced braces ({ without }) on this row (the grammar does not read it)"


def run_doc(tmp_path, body: str, *, name: str = "note.md"):
    return _run_doc(tmp_path, body, notation=NOTATION, name=name)[0]


def report(tmp_path, body: str) -> list[tuple[int, str, str | None]]:
    return [(f["line"], f["status"], f["reason"]) for f in run_doc(tmp_path, body)["formulas"]]


# -- a brace that never closes ------------------------------------------------------

def test_a_row_with_a_missing_brace_is_skipped_naming_it_and_the_rows_after_it_are_checked(
        tmp_path):
    body = r"""
    $$
    \begin{align}
    \sum\_{k=1}^K (a\_k + b\_k) &= \sum\_{k=1}^K a\_k + \sum\_{k=1}^K b\_k \\\\
    &= \sum\_{k=1}^{K b\_k + \sum\_{k=1}^K a\_k \\\\
    &= \sum\_{j=1}^K b\_j + \sum\_{j=1}^K a\_j \\\\
    &= 2 \sum\_{k=1}^K a\_k \\\\
    \end{align}
    $$
    """
    out = run_doc(tmp_path, body)
    assert [(f["line"], f["status"], f["reason"]) for f in out["formulas"]] == [
        (4, "verified", None), (5, "skipped", MISSING), (6, "verified", None),
        (7, "refuted", None)]
    assert "b_j" not in out["formulas"][1]["latex"]
    assert out["summary"] == {"formulas": 4, "checked": 3, "skipped": 1}


def test_a_balanced_row_that_spans_two_lines_is_one_relation(tmp_path):  # the twin
    body = r"""
    $$
    \begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \frac{2 \sum_{k=1}^K a_k
        + 2 \sum_{k=1}^K b_k}{2} \\
    &= \sum_{k=1}^K a_k
        + \sum_{k=1}^K b_k \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}
    $$
    """
    assert report(tmp_path, body) == [
        (4, "verified", None), (6, "verified", None), (8, "refuted", None)]


@pytest.mark.parametrize(("row", "said"), [
    (r"&= \sum_{k=1}^{K b_k + \sum_{k=1}^K a_k \\", MISSING),
    (r"&= \sum_{k=1}^{K}} b_k + \sum_{k=1}^K a_k \\",
     "unbalanced braces (} without {) on this row (the grammar does not read it)"),
])
def test_a_row_whose_braces_do_not_balance_is_skipped_naming_the_brace(tmp_path, row, said):
    body = rf"""
    $$\begin{{aligned}}
    \sum_{{k=1}}^K (a_k + b_k) &= \sum_{{k=1}}^K a_k + \sum_{{k=1}}^K b_k \\
    {row}
    &= 2 \sum_{{k=1}}^K a_k
    \end{{aligned}}$$
    """
    assert report(tmp_path, body) == [
        (3, "verified", None), (4, "skipped", said), (5, "refuted", None)]


def test_the_same_row_with_its_braces_balanced_is_checked(tmp_path):  # the twin
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \sum_{k=1}^K a_k + \sum_{k=1}^K b_k \\
    &= \sum_{k=1}^{K} b_k + \sum_{k=1}^K a_k \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [
        (3, "verified", None), (4, "verified", None), (5, "refuted", None)]


def test_a_line_end_ends_a_row_with_a_missing_brace_where_the_next_line_is_a_relation(
        tmp_path):
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \sum_{k=1}^{K b_k + \sum_{k=1}^K a_k
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [(3, "skipped", MISSING), (4, "refuted", None)]


def test_a_line_end_in_a_balanced_row_does_not_end_it(tmp_path):  # the twin
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \sum_{k=1}^{K} b_k + \sum_{k=1}^K a_k
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [(3, "verified", None), (4, "refuted", None)]


# -- brackets that span rows -------------------------------------------------------

def test_a_left_bracket_closed_on_the_next_row_holds_the_two_rows_together(tmp_path):
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \left[ \sum_{k=1}^K a_k \right. \\
    &\quad \left. + \sum_{k=1}^K b_k \right] \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [(3, "verified", None), (5, "refuted", None)]


def test_a_missing_brace_inside_a_left_right_pair_breaks_only_that_pair(tmp_path):  # twin
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \left[ \sum_{k=1}^{K a_k \right. \\
    &\quad \left. + \sum_{k=1}^K b_k \right] \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    out = run_doc(tmp_path, body)
    assert [(f["line"], f["status"], f["reason"]) for f in out["formulas"]] == [
        (3, "skipped", MISSING), (5, "refuted", None)]
    assert "b_k" in out["formulas"][0]["latex"]


def test_a_parenthesis_closed_on_the_next_row_holds_the_two_rows_together(tmp_path):
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \sum_{k=1}^K ( a_k \\
    &\quad + b_k ) \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [(3, "verified", None), (5, "refuted", None)]


def test_a_parenthesis_never_closed_breaks_only_its_own_row(tmp_path):  # the twin
    body = r"""
    $$\begin{aligned}
    \sum_{k=1}^K (a_k + b_k) &= \sum_{k=1}^K ( a_k + b_k \\
    &= \sum_{k=1}^K a_k + \sum_{k=1}^K b_k \\
    &= 2 \sum_{k=1}^K a_k
    \end{aligned}$$
    """
    assert report(tmp_path, body) == [
        (3, "skipped", "unbalanced brackets (1 ( against 0 ))"), (4, "verified", None),
        (5, "refuted", None)]
