"""A notation block anchored by text (``at``, ``until``) follows its lines when the document
is edited by hand; a block with only ``lines`` stays where the numbers say.

Each block below sets the constant c, and the relation beside it verifies only
where its own block is read; every test that expects a block to follow its
text has a twin, one edit away, where it does not (and the relation is refuted).
"""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck._latex._notation import load
from derivcheck.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

NOTATION = """
    [inputs]
    a = "real K"

    [symbols]
    a = { input = "a" }
    K = "K"
    c = 1
"""

TWO = r"$$c \sum_{k=1}^K a_k = 2 \sum_{k=1}^K a_k$$"      # holds where c = 2
THREE = r"$$c \sum_{k=1}^K a_k = 3 \sum_{k=1}^K a_k$$"    # holds where c = 3


def block(lines, c, at=None, until=None) -> str:
    out = f"\n[[blocks]]\nlines = [{lines[0]}, {lines[1]}]\nsymbols = {{ c = {c} }}\n"
    if at is not None:
        out += f"at = '{at}'\n"
    if until is not None:
        out += f"until = '{until}'\n"
    return out


def check(tmp_path, doc: list[str], *blocks: str) -> tuple[dict[int, str], str]:
    """({line: status}, stderr) of ``derivcheck doc`` on the document's lines."""
    path = tmp_path / "note.md"
    path.write_text("\n".join(doc) + "\n", encoding="utf-8")
    nt = tmp_path / "note.toml"
    nt.write_text(textwrap.dedent(NOTATION) + "".join(blocks), encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(path), "--notation", str(nt), "--format", "json",
                                    "--cache-dir", ""])
    assert res.exit_code in (0, 1), res.output
    return {f["line"]: f["status"] for f in json.loads(res.stdout)["formulas"]}, res.stderr


# The document as the notation was written for it: c = 2 on lines 2-3.
DOC = ["# Notes", "When c is two:", TWO]


# -- a line inserted above, a paragraph deleted, two paragraphs swapped ---------------

def test_a_block_anchored_by_text_follows_its_lines_when_a_line_is_inserted_above(tmp_path):
    edited = [DOC[0], "A line of prose added later.", *DOC[1:]]
    out, err = check(tmp_path, edited, block((2, 3), 2, at="When c is two"))
    assert out == {4: "verified"} and err == ""


def test_a_block_with_only_line_numbers_covers_the_wrong_lines_after_the_same_insertion(
        tmp_path):
    edited = [DOC[0], "A line of prose added later.", *DOC[1:]]
    out, _ = check(tmp_path, edited, block((2, 3), 2))
    assert out == {4: "refuted"}


LONG = ["# Notes", "A first paragraph,", "which goes on here.", "", *DOC[1:]]


def test_a_block_anchored_by_text_follows_its_lines_when_a_paragraph_above_is_deleted(
        tmp_path):
    edited = [LONG[0], *LONG[4:]]
    out, err = check(tmp_path, edited, block((5, 6), 2, at="When c is two"))
    assert out == {3: "verified"} and err == ""


def test_a_block_with_only_line_numbers_misses_its_relation_after_the_same_deletion(tmp_path):
    edited = [LONG[0], *LONG[4:]]
    out, _ = check(tmp_path, edited, block((5, 6), 2))
    assert out == {3: "refuted"}


SWAPPED = ["# Notes", "When c is three:", THREE, "", "When c is two:", TWO]
BLOCKS_AS_WRITTEN = ((2, 3), 2, "When c is two"), ((5, 6), 3, "When c is three")


def test_anchored_blocks_follow_two_paragraphs_that_were_swapped(tmp_path):
    out, err = check(tmp_path, SWAPPED, *(block(ln, c, at=at) for ln, c, at in BLOCKS_AS_WRITTEN))
    assert out == {3: "verified", 6: "verified"} and err == ""


def test_blocks_with_only_line_numbers_read_two_swapped_paragraphs_with_each_others_notation(
        tmp_path):
    out, _ = check(tmp_path, SWAPPED, *(block(ln, c) for ln, c, _ in BLOCKS_AS_WRITTEN))
    assert out == {3: "refuted", 6: "refuted"}


# -- until: lines inserted inside a block -----------------------------------------

INSIDE = [DOC[0], DOC[1], "(a remark added inside the block)", DOC[2]]


def test_a_block_with_until_survives_a_line_inserted_inside_it(tmp_path):
    out, err = check(tmp_path, INSIDE, block((2, 3), 2, at="When c is two", until="= 2 \\sum"))
    assert out == {4: "verified"} and err == ""


def test_a_block_without_until_keeps_its_length_and_loses_its_last_line_after_the_insertion(
        tmp_path):
    out, _ = check(tmp_path, INSIDE, block((2, 3), 2, at="When c is two"))
    assert out == {4: "refuted"}


# -- the nearest occurrence -------------------------------------------------------

TWICE = ["# Notes", "When c is two:", TWO, "", "When c is two:", TWO]


def test_an_anchor_written_twice_moves_the_block_to_the_occurrence_nearest_its_lines(tmp_path):
    edited = ["A line of prose added later.", *TWICE]
    out, _ = check(tmp_path, edited, block((5, 6), 2, at="When c is two"))
    assert out == {4: "refuted", 7: "verified"}


def test_the_same_anchor_with_lines_at_the_first_occurrence_takes_the_first(tmp_path):
    edited = ["A line of prose added later.", *TWICE]
    out, _ = check(tmp_path, edited, block((2, 3), 2, at="When c is two"))
    assert out == {4: "verified", 7: "refuted"}


# -- an anchor not found ----------------------------------------------------------

def test_an_anchor_that_is_not_found_warns_once_naming_the_block(tmp_path):
    reworded = [DOC[0], "Where c equals two:", DOC[2]]
    out, err = check(tmp_path, reworded, block((2, 3), 2, at="When c is two"))
    assert out == {3: "verified"}, "the block falls back to its lines as written"
    assert len(err.splitlines()) == 1, err
    assert "note.toml" in err and "[[blocks]] #1" in err and "at = 'When c is two'" in err
    assert "update its at (or lines)" in err


def test_an_anchor_that_is_found_prints_no_warning(tmp_path):
    _, err = check(tmp_path, DOC, block((2, 3), 2, at="When c is two"))
    assert err == ""


def test_an_until_that_is_not_found_warns_once_and_the_block_keeps_its_length(tmp_path):
    out, err = check(tmp_path, DOC, block((2, 3), 2, at="When c is two", until="gone"))
    assert out == {3: "verified"}
    assert len(err.splitlines()) == 1 and "until = 'gone'" in err, err


def test_an_anchor_not_found_over_blank_lines_says_nothing_since_the_block_applies_to_nothing(
        tmp_path):
    blanked = ["# Notes", "", "", "", TWO]
    out, err = check(tmp_path, blanked, block((2, 3), 2, at="When c is two"))
    assert out == {5: "refuted"} and err == ""


@pytest.mark.parametrize("bad", ["3", "''"])
def test_an_anchor_that_is_not_text_is_a_usage_error_naming_the_block(tmp_path, bad):
    doc, nt = tmp_path / "note.md", tmp_path / "note.toml"
    doc.write_text("\n".join(DOC) + "\n", encoding="utf-8")
    nt.write_text(textwrap.dedent(NOTATION) + f"\n[[blocks]]\nlines = [2, 3]\nat = {bad}\n",
                  encoding="utf-8")
    res = CliRunner().invoke(main, ["doc", str(doc), "--notation", str(nt), "--cache-dir", ""])
    assert res.exit_code == 2 and "[[blocks]] #1: at must be a piece" in res.stderr, res.output


# -- the seeds' notation files ----------------------------------------------------

SEED_NOTATIONS = sorted((ROOT / "proofs" / "notation").glob("*.toml"))
needs_seeds = pytest.mark.skipif(not SEEDS.exists(), reason=f"the seeds are not at {SEEDS}")


@needs_seeds
@pytest.mark.parametrize("notation", SEED_NOTATIONS, ids=lambda p: p.stem)
def test_every_seed_block_is_anchored_on_the_lines_it_gives(notation):
    text = (SEEDS / f"{notation.stem}.txt").read_text(encoding="utf-8")
    nt = load(notation)
    placed, warnings = nt.placed(text)
    assert warnings == [] and all(b.at for b in nt.blocks)
    assert [b.lines for b in placed.blocks] == [b.lines for b in nt.blocks]


@needs_seeds
@pytest.mark.parametrize("notation", SEED_NOTATIONS, ids=lambda p: p.stem)
def test_a_line_inserted_at_the_top_of_a_seed_moves_every_block_down_by_one(notation):
    text = (SEEDS / f"{notation.stem}.txt").read_text(encoding="utf-8")
    nt = load(notation)
    placed, warnings = nt.placed("A line of prose added later.\n" + text)
    assert warnings == []
    assert [b.lines for b in placed.blocks] == [(a + 1, z + 1) for a, z in
                                                (b.lines for b in nt.blocks)]


def test_an_anchor_may_leave_out_markdowns_backslash_before_an_underscore(tmp_path):
    nt = tmp_path / "n.toml"
    nt.write_text(textwrap.dedent(NOTATION) + block((1, 1), 2, at="z_j = x_j"), encoding="utf-8")
    placed, warnings = load(nt).placed("prose\n$$ z\\_j = x\\_j $$\n")
    assert placed.blocks[0].lines == (2, 2) and warnings == []


def test_an_anchor_with_text_the_line_does_not_hold_is_not_found(tmp_path):
    nt = tmp_path / "n.toml"
    nt.write_text(textwrap.dedent(NOTATION) + block((1, 1), 2, at="z_j = y_j"), encoding="utf-8")
    placed, warnings = load(nt).placed("prose\n$$ z\\_j = x\\_j $$\n")
    assert placed.blocks[0].lines == (1, 1) and len(warnings) == 1
