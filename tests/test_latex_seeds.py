"""Editing a seed's LaTeX (a sign, a factor of 2, an index) is caught by ``derivcheck doc``.

The tests copy the gradient chain of seed 002 (lines 27-43, ∂J/∂w_t) into a
temporary document at the same lines, edit one line, and check it with the
seed's notation file; the unedited copy is the twin that must not be refuted.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SEED = SEEDS / "002_2f0647c44ebf4bca.txt"
NOTATION = ROOT / "proofs" / "notation" / "002_2f0647c44ebf4bca.toml"

pytestmark = pytest.mark.skipif(not SEED.exists(), reason=f"the seed documents are not at {SEEDS}")


def lines_copy(tmp_path, seed: Path, notation: Path, first: int, last: int,
               edit=None) -> dict:
    """Check lines ``first``-``last`` of a seed (other lines blanked), with ``edit(lines)``
    applied; the formulas by line."""
    lines = seed.read_text(encoding="utf-8").split("\n")
    kept = [ln if first <= k + 1 <= last else "" for k, ln in enumerate(lines)]
    if edit is not None:
        edit(kept)
    doc = tmp_path / seed.name
    doc.write_text("\n".join(kept), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(notation),
                                    "--format", "json", "--cache-dir", ""])
    assert res.exit_code in (0, 1), res.output
    return {f["line"]: f for f in json.loads(res.stdout)["formulas"]}


def chain_copy(tmp_path, edit=None) -> dict:
    """Seed 002's lines 27-43, edited."""
    return lines_copy(tmp_path, SEED, NOTATION, 27, 43, edit)


def replace(line: int, old: str, new: str):
    def edit(lines):
        assert old in lines[line - 1], lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return edit


def caught(f: dict) -> bool:
    return "refuted" in (f["status"], f["step_status"])


@pytest.fixture(scope="module")
def unedited(tmp_path_factory):
    return chain_copy(tmp_path_factory.mktemp("unedited"))


def test_the_unedited_chain_is_not_refuted_at_the_lines_we_edit(unedited):
    for line in (41, 43):
        assert not caught(unedited[line]), unedited[line]
        assert unedited[line]["status"] in ("verified", "unstable")


@pytest.mark.parametrize(("line", "old", "new"), [
    (43, r"- \text{softmax}", r"+ \text{softmax}"),
    (41, r"= - \frac{1}{N}", r"= - \frac{2}{N}"),
    (43, r"\text{softmax}(w_t^T x_i)", r"\text{softmax}(w_1^T x_i)"),
], ids=["sign", "factor-of-2", "index"])
def test_an_edited_line_of_the_seed_is_refuted(tmp_path, line, old, new):
    formulas = chain_copy(tmp_path, replace(line, old, new))
    assert caught(formulas[line]), formulas[line]


# -- seed 001: J as printed, with log(1 - h), cancels where h is near 1 ---------------

SEED_001 = SEEDS / "001_2a4613b859264713.txt"
NOTATION_001 = ROOT / "proofs" / "notation" / "001_2a4613b859264713.toml"


def logistic_chain(tmp_path, edit=None) -> dict:
    """Seed 001's gradient chain (lines 16-24), edited."""
    return lines_copy(tmp_path, SEED_001, NOTATION_001, 16, 24, edit)


def test_the_textbook_logistic_gradient_of_seed_001_is_not_refuted(tmp_path):
    formulas = logistic_chain(tmp_path)
    for line in (19, 20, 21, 22):
        assert formulas[line]["status"] in ("verified", "unstable"), formulas[line]
        assert formulas[line]["step_status"] != "refuted", formulas[line]


@pytest.mark.parametrize(("old", "new"), [(r"&= \frac{1}{m}", r"&= \frac{2}{m}"),
                                          (r"(h(x)\,-\,y)", r"(y\,-\,h(x))")],
                         ids=["factor-of-2", "sign"])
def test_an_edited_textbook_logistic_gradient_of_seed_001_is_refuted(tmp_path, old, new):
    formulas = logistic_chain(tmp_path, replace(22, old, new))
    assert caught(formulas[22]), formulas[22]
