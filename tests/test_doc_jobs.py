"""``derivcheck doc -j``: a document's relation chains checked by several processes
(chain i by process i mod n) give the verdicts of one process; a share whose worker
fails is checked by the parent. Each comparison has a twin that shows it can fail.
"""

import concurrent.futures as cf
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck import _cli_doc
from derivcheck._latex import load_notation
from derivcheck._latex._doc import chain_count, check_chains, check_document
from derivcheck.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SEED = SEEDS / "001_2a4613b859264713.txt"
NOTATION = ROOT / "proofs" / "notation" / "001_2a4613b859264713.toml"

pytestmark = pytest.mark.skipif(not SEED.exists(), reason=f"the seed documents are not at {SEEDS}")


def without_timings(doc):
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def doc_json(cache, *args):
    res = CliRunner().invoke(main, ["doc", str(SEED), "--notation", str(NOTATION), "--format",
                                    "json", "--cache-dir", str(cache), *args],
                             catch_exceptions=False)
    return json.loads(res.output)


def notation_for(text):
    nt = load_notation(str(NOTATION))
    nt.space()
    return nt.placed(text)[0]


def statuses(formulas):
    return [(f.line, f.status, f.diagnosis) for f in formulas]


def test_a_document_checked_by_two_processes_gives_the_verdicts_of_one(tmp_path, monkeypatch):
    assert chain_count(SEED.read_text(encoding="utf-8")) >= 2 * _cli_doc.CHAINS_PER_JOB
    one = doc_json(tmp_path / "one", "-j", "1")
    two = doc_json(tmp_path / "two", "-j", "2")
    assert without_timings(one) == without_timings(two)
    found = {f["status"] for f in one["formulas"]}
    assert {"verified", "refuted"} <= found or {"verified", "unstable"} <= found, found


def test_a_share_leaves_the_other_processes_chains_unchecked():  # why the merge matters
    text = SEED.read_text(encoding="utf-8")
    nt = notation_for(text)
    whole = dict(check_chains(text, nt, name=SEED.name, profile="quick"))
    half = dict(check_chains(text, nt, name=SEED.name, profile="quick", share=(0, 2)))
    odd = [i for i in whole if i % 2 and any(f.status != "skipped" for f in whole[i])]
    assert odd and all(f.status == "skipped" for i in odd for f in half[i])
    assert all(statuses(half[i]) == statuses(whole[i]) for i in whole if i % 2 == 0)


class _DeadWorkers:
    """A pool whose every task fails, as when its worker process dies."""

    def submit(self, *args):
        fut = cf.Future()
        fut.set_exception(RuntimeError("worker died"))
        return fut


def checked_with(monkeypatch, jobs=2):
    """The seed's formulas by ``_cli_doc._check`` with workers that die."""
    monkeypatch.setattr("derivcheck._runner.stop_workers", lambda pool: None)
    text = SEED.read_text(encoding="utf-8")
    return _cli_doc._check(str(SEED), str(NOTATION), text, notation_for(text),
                           profile="quick", seed=0, jobs=jobs, pool=_DeadWorkers())


def early(monkeypatch, path, jobs=2):
    """``_cli_doc._early_workers`` for ``path``, and the processes it asked for (None: none)."""
    asked = []

    def start(n, **kwargs):
        asked.append(n)
        return _DeadWorkers()

    monkeypatch.setattr("derivcheck._runner.start_workers", start)
    pool, n = _cli_doc._early_workers(str(path), jobs, profile="quick", seed=0, cache=None)
    return pool, n, (asked[0] if asked else None)


@pytest.fixture(scope="module")
def one_process():
    text = SEED.read_text(encoding="utf-8")
    return statuses(check_document(text, notation_for(text), name=SEED.name, profile="quick"))


def test_the_share_of_a_worker_that_fails_is_checked_by_the_parent(monkeypatch, one_process):
    assert statuses(checked_with(monkeypatch)) == one_process


def test_a_long_document_starts_its_workers_before_it_is_read(monkeypatch):
    pool, n, asked = early(monkeypatch, SEED)
    assert pool is not None and n == asked == 2


def test_a_short_document_starts_no_worker(monkeypatch, tmp_path):
    short = tmp_path / "short.md"
    short.write_text("$$a = b$$ and $c = d$, then $$e \\leq f$$\n", encoding="utf-8")
    pool, n, asked = early(monkeypatch, short)
    assert pool is None and n == 1 and asked is None


def test_one_job_starts_no_worker(monkeypatch):
    pool, n, asked = early(monkeypatch, SEED, jobs=1)
    assert pool is None and n == 1 and asked is None


def test_a_document_that_cannot_be_read_starts_no_worker(monkeypatch, tmp_path):
    pool, n, asked = early(monkeypatch, tmp_path / "gone.md")
    assert pool is None and asked is None


def test_workers_for_a_document_of_one_share_are_stopped_unused(monkeypatch, one_process):
    stopped = []
    monkeypatch.setattr("derivcheck._runner.stop_workers", stopped.append)
    text = SEED.read_text(encoding="utf-8")
    pool = _DeadWorkers()  # its every task fails: the verdicts show none was given one
    got = _cli_doc._check(str(SEED), str(NOTATION), text, notation_for(text), profile="quick",
                          seed=0, jobs=1, pool=pool)
    assert stopped == [pool] and statuses(got) == one_process


def test_likely_chains_counts_math_with_a_relation():
    text = ("$$a = b = c$$ text $x$ and $y \\leq z$;\n\\[ u \\neq v \\]\n"
            "\\begin{align} p &= q \\\\ r &= s \\end{align}\n$$\\sum_i x_i$$")
    assert _cli_doc.likely_chains(text) == 4


def test_likely_chains_counts_no_math_without_a_relation():
    assert _cli_doc.likely_chains("$x$, $$\\sum_i x_i$$ and a = b outside math") == 0


def test_three_processes_give_the_verdicts_of_one(monkeypatch, one_process):
    monkeypatch.setattr(_cli_doc, "CHAINS_PER_JOB", 2)  # 9 chains: three shares
    got = checked_with(monkeypatch, jobs=3)  # shares 1 and 2 both fall back
    assert statuses(got) == one_process
