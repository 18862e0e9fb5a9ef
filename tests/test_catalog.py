"""The proofs/ catalog: every claim loads, carries LaTeX and a source, errata have fixes.

The tests that compare the catalog with the seed documents (``../shared/seeds``)
skip, saying so, where those documents are absent.
"""

from pathlib import Path

import pytest

import derivcheck as dc
from derivcheck._loader import discover, load_file

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
FILES = sorted(discover([str(PROOFS)])) if PROOFS.is_dir() and any(PROOFS.glob("*.py")) else []
SEEDS_DIR = PROOFS.parent.parent / "shared" / "seeds"
SEEDS = sorted(p.name for p in SEEDS_DIR.glob("*.txt"))
needs_seeds = pytest.mark.skipif(
    not SEEDS, reason=f"the seed documents are absent (no *.txt in {SEEDS_DIR})")


def _claims():
    out = []
    for f in FILES:
        claims, err = load_file(f)
        assert err is None, str(err)
        out.extend(claims)
    return out


CLAIMS = _claims()


def test_the_catalog_has_about_a_hundred_statements():
    statements = sum(len(c.lines) for c in CLAIMS)
    assert statements >= 100, statements


def test_the_catalog_is_present():
    assert CLAIMS, f"no claims loaded from {PROOFS}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.qualname)
def test_every_claim_carries_latex_and_a_source(claim):
    assert claim.source, "no source"
    for ln in claim.lines:
        assert ln.latex.strip(), f"line without LaTeX in {claim.qualname}"


@needs_seeds
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.qualname)
def test_every_claim_cites_a_seed_document(claim):
    assert any(seed.split(".")[0] in claim.source for seed in SEEDS), claim.source


@pytest.mark.parametrize("claim", [c for c in CLAIMS if any(ln.erratum for ln in c.lines)],
                         ids=lambda c: c.qualname)
def test_every_erratum_has_a_correction_that_verifies(claim):
    r = dc.check(claim, profile="default")
    for ln in r.lines:
        if ln.erratum is None:
            continue
        assert ln.status == "refuted", f"erratum line {ln.index} was {ln.status}"
        assert ln.fix is not None, f"erratum line {ln.index} has no fix"
        assert ln.fix.status == "verified", f"fix of line {ln.index} is {ln.fix.status}"


@needs_seeds
def test_every_seed_document_has_a_proof_module():
    sources = " ".join(c.source for c in CLAIMS)
    missing = [s for s in SEEDS if s.split(".")[0] not in sources]
    assert not missing, missing


def test_a_claim_without_a_source_would_be_caught(tmp_path):
    bad = tmp_path / "nosource.py"
    bad.write_text("import derivcheck as dc\n"
                   "c = dc.equal(lambda x: x, lambda x: x, space=dc.Space(x=dc.real('D')))\n")
    claims, err = load_file(bad)
    assert err is None
    with pytest.raises(AssertionError, match="no source"):
        test_every_claim_carries_latex_and_a_source(claims[0])


@needs_seeds
def test_a_claim_citing_no_seed_document_would_be_caught(tmp_path):
    bad = tmp_path / "elsewhere.py"
    bad.write_text("import derivcheck as dc\n"
                   "c = dc.equal(lambda x: x, lambda x: x, space=dc.Space(x=dc.real('D')),\n"
                   "             source='a textbook, p. 3')\n")
    claims, err = load_file(bad)
    assert err is None
    with pytest.raises(AssertionError, match="a textbook"):
        test_every_claim_cites_a_seed_document(claims[0])
