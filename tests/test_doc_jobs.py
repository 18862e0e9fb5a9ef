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
from derivcheck._runner import compile_cache
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


def checked_with(monkeypatch, cache=None, jobs=2):
    """The seed's formulas by ``_cli_doc._check``, with a program store at ``cache`` (None:
    none), and workers that die; also whether it started them."""
    started = []

    def start(*args, **kwargs):
        started.append(True)
        return _DeadWorkers()

    monkeypatch.setattr("derivcheck._runner.start_workers", start)
    monkeypatch.setattr("derivcheck._runner.stop_workers", lambda pool: None)
    text = SEED.read_text(encoding="utf-8")
    with compile_cache(cache):
        got = _cli_doc._check(str(SEED), str(NOTATION), text, notation_for(text),
                              profile="quick", seed=0, cache=cache, jobs=jobs)
    return got, bool(started)


@pytest.fixture(scope="module")
def one_process():
    text = SEED.read_text(encoding="utf-8")
    return statuses(check_document(text, notation_for(text), name=SEED.name, profile="quick"))


def test_the_share_of_a_worker_that_fails_is_checked_by_the_parent(monkeypatch, one_process):
    got, started = checked_with(monkeypatch)
    assert statuses(got) == one_process and started


def test_a_warm_run_starts_no_worker(monkeypatch, one_process, tmp_path):
    _, cold_started = checked_with(monkeypatch, str(tmp_path))  # the twin: it compiles
    got, started = checked_with(monkeypatch, str(tmp_path))  # its first chains compile nothing
    assert cold_started and not started
    assert statuses(got) == one_process


def test_three_processes_give_the_verdicts_of_one(monkeypatch, one_process):
    monkeypatch.setattr(_cli_doc, "CHAINS_PER_JOB", 2)  # 9 chains: three shares
    got, _ = checked_with(monkeypatch, jobs=3)  # shares 1 and 2 both fall back
    assert statuses(got) == one_process
