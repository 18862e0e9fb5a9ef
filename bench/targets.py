"""Process-level measurements for the speed targets of ``bench/run.py``.

- one pytest item with one gradient claim, inside an already-running session;
- ``pytest -n 2 proofs/`` against ``derivcheck check proofs/`` (same warm cache);
- ``derivcheck doc`` on one seed document, cold and warm (when the command exists).

Every figure is a median of the runs; the paired figures alternate the two
commands so that a drifting machine moves both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROOF = '''import jax
import jax.numpy as jnp

import derivcheck as dc

S = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())
C = {c}


def J(W, X, Y, lam):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W), axis=-1)) + C * lam / 2 * jnp.sum(W**2)


def G(W, X, Y, lam):
    return X.T @ (jax.nn.softmax(X @ W) - Y) / X.shape[0] + C * lam * W


grad_W = dc.gradient(J, G, space=S, wrt="W")
'''


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DERIVCHECK_PROFILE", "DERIVCHECK_CACHE_DIR", "PYTEST_ADDOPTS")}
    env.update(extra)
    return env


def _timed(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - t, p.returncode, p.stdout + p.stderr


def derivcheck_exe(root: Path = ROOT) -> list[str]:
    exe = root / ".venv" / "bin" / "derivcheck"
    if exe.exists():
        return [str(exe)]
    exe = Path(sys.executable).parent / "derivcheck"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "derivcheck.cli"]


def _item_times(junit: Path) -> list[float]:
    return [float(tc.get("time", "nan")) for tc in ET.parse(junit).getroot().iter("testcase")]


def bench_pytest_item(items: int = 8) -> dict:
    """Seconds per pytest item (setup + call + teardown) with one gradient claim.

    One session collects ``items`` proof files, each with a different claim (a
    different constant, so nothing compiled for one serves another); the
    first item, which pays for importing JAX, is left out. The session runs
    twice: with an empty compilation cache (every claim compiles), then again
    with that cache (every compiled check is loaded from it).
    """
    with tempfile.TemporaryDirectory(prefix="dcitem-") as tmp:
        root = Path(tmp)
        (root / "proofs").mkdir()
        for i in range(items):
            (root / "proofs" / f"item_{i:02d}.py").write_text(PROOF.format(c=1 + i / 8))
        env = _env(DERIVCHECK_CACHE_DIR=str(root / "cache"))
        out = {}
        for kind in ("cold", "warm"):
            junit = root / f"{kind}.xml"
            cmd = [sys.executable, "-m", "pytest", "proofs", "-q", "-p", "no:randomly",
                   "-p", "no:cacheprovider", f"--junitxml={junit}"]
            _, rc, text = _timed(cmd, cwd=root, env=env)
            if rc:
                raise RuntimeError(f"pytest on one-claim proof files failed:\n{text[-2000:]}")
            times = _item_times(junit)[1:]
            out[f"{kind}_s"] = statistics.median(times)
            out[f"{kind}_items"] = times
        return out


def bench_pytest_vs_cli(repeats: int, *, bytecode: bool = False) -> dict:
    """``pytest -n 2 proofs/`` over ``derivcheck check proofs/``, both on one warm cache.

    ``bytecode``: run both with ``PYTHONDONTWRITEBYTECODE`` unset, as Python is by
    default. Where it is set (this machine sets it), pytest cannot keep the
    modules it rewrites for assertions, and rewrites Hypothesis's 73 modules again
    in each of its three processes (about 0.45 s each); the CLI rewrites nothing.
    """
    with tempfile.TemporaryDirectory(prefix="dcxdist-") as tmp:
        cache = str(Path(tmp) / "cache")
        env = _env(DERIVCHECK_CACHE_DIR=cache)
        if bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        pytest_cmd = [sys.executable, "-m", "pytest", "-n", "2", "proofs/", "-q",
                      "-p", "no:randomly", "-p", "no:cacheprovider"]
        cli_cmd = derivcheck_exe() + ["check", "proofs/", "-q"]
        for cmd in (cli_cmd, pytest_cmd):  # fill the cache; not timed
            _timed(cmd, cwd=ROOT, env=env)
        pytest_s, cli_s, ratios, codes = [], [], [], set()
        for _ in range(repeats):
            tp, rp, _ = _timed(pytest_cmd, cwd=ROOT, env=env)
            tc, rc, _ = _timed(cli_cmd, cwd=ROOT, env=env)
            pytest_s.append(tp)
            cli_s.append(tc)
            ratios.append(tp / tc)
            codes |= {rp, rc}
        return {"pytest_s": statistics.median(pytest_s), "cli_s": statistics.median(cli_s),
                "ratio": statistics.median(ratios), "ratios": ratios,
                "exit_codes": sorted(codes),
                "PYTHONDONTWRITEBYTECODE": env.get("PYTHONDONTWRITEBYTECODE")}


def bench_doc(repeats: int) -> dict:
    """``derivcheck doc`` on the first seed document, cold (empty cache) and warm."""
    exe = derivcheck_exe()
    _, rc, text = _timed(exe + ["doc", "--help"], cwd=ROOT, env=_env())
    if rc:
        return {"skipped": "no `derivcheck doc` command in this checkout (issue 13)"}
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
    if not seeds:
        return {"skipped": f"no seed documents in {ROOT.parent / 'shared' / 'seeds'}"}
    cold, warm, codes = [], [], set()
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="dcdoc-") as tmp:
            env = _env(DERIVCHECK_CACHE_DIR=tmp)
            for bucket in (cold, warm):
                t, rc, _ = _timed(exe + ["doc", str(seeds[0])], cwd=ROOT, env=env)
                bucket.append(t)
                codes.add(rc)
    return {"seed": seeds[0].name, "cold_s": statistics.median(cold),
            "warm_s": statistics.median(warm), "exit_codes": sorted(codes)}
