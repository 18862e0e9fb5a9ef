"""The proofs/ catalog: every claim loads, carries LaTeX and a source, errata have
classes and fixes (a propagated line is corrected by the fix of the line it inherits).

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
def test_every_erratum_has_a_correction_that_verifies_or_only_inherits_one(claim):
    r = dc.check(claim, profile="default")
    for ln in r.lines:
        if ln.erratum is None:
            continue
        assert ln.status == "refuted", f"erratum line {ln.index} was {ln.status}"
        if ln.erratum_class == "propagated":  # corrected by the fix of the line it inherits
            assert ln.fix is None, f"line {ln.index} only inherits line {ln.under}: no fix"
            root = r.lines[ln.under - 1]
            assert root.erratum_class in ("error", "notation") and root.fix is not None
            continue
        assert ln.erratum_class in ("error", "notation"), ln.erratum_class
        assert ln.fix is not None, f"erratum line {ln.index} has no fix"
        assert ln.fix.status == "verified", f"fix of line {ln.index} is {ln.fix.status}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.qualname)
def test_every_erratum_in_the_catalog_declares_its_class(claim):
    # propagated is computed, so a line without a class must follow a wrong line
    for i, ln in enumerate(claim.lines):
        if ln.erratum is None:
            continue
        if ln.erratum_class is None:
            assert claim.kind == "derivation" and i > 0 and claim.lines[i - 1].erratum, \
                f"line {i + 1} declares no erratum_class and follows no erratum"
        elif ln.erratum_class == "notation":
            assert ln.reading, f"line {i + 1}: a notation slip records its reading"


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


def test_an_erratum_without_a_class_outside_a_chain_would_be_caught(tmp_path):
    bad = tmp_path / "noclass.py"
    bad.write_text("import derivcheck as dc\n"
                   "c = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 3 * x, wrt='x',\n"
                   "                space=dc.Space(x=dc.real('D')), erratum='3 for 2',\n"
                   "                fix=dc.Line('2x', lambda x: 2 * x))\n")
    claims, err = load_file(bad)
    assert err is None
    with pytest.raises(AssertionError, match="declares no erratum_class"):
        test_every_erratum_in_the_catalog_declares_its_class(claims[0])


def _catalog_claim(name):
    return next(c for c in CLAIMS if c.id == name)


def test_the_logistic_chain_as_printed_blames_the_cost_that_lost_its_minus():
    r = dc.check(_catalog_claim("logistic_grad_as_written"), profile="quick")
    assert r.root_cause is not None and r.root_cause.opposite_start
    assert [ln.erratum_class for ln in r.lines] == ["error"] + ["propagated"] * 4
    assert all(ln.fix is None for ln in r.lines[1:])  # no line "corrects" (1/m)Σ(h − y)x


def test_the_same_chain_against_the_cost_with_its_minus_has_no_root_cause():
    r = dc.check(_catalog_claim("logistic_grad"), profile="quick")
    assert r.root_cause is None and r.erratum_class is None
