"""The proofs/ catalog: every claim loads, carries LaTeX and a source, errata have fixes."""

from pathlib import Path

import pytest

import derivcheck as dc
from derivcheck._loader import discover, load_file

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
FILES = sorted(discover([str(PROOFS)])) if PROOFS.is_dir() and any(PROOFS.glob("*.py")) else []
SEEDS = sorted(p.name for p in (PROOFS.parent.parent / "shared" / "seeds").glob("*.txt"))


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


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.qualname)
def test_every_claim_carries_latex_and_a_seed_source(claim):
    assert claim.source, "no source"
    assert any(seed.split(".")[0] in claim.source for seed in SEEDS) or not SEEDS, claim.source
    for ln in claim.lines:
        assert ln.latex.strip(), f"line without LaTeX in {claim.qualname}"


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
    with pytest.raises(AssertionError):
        test_every_claim_carries_latex_and_a_seed_source(claims[0])
