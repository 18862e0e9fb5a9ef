"""Running a catalog of claims: one verdict per claim, whatever happens to the others."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence

from ._claims import Claim
from ._interrupt import CtrlC
from ._loader import LoadError
from ._profiles import Profile
from ._targets import ClaimKind
from ._verdict import LineResult, Result

__all__ = [
    "Report",
    "compile_cache",
    "enable_compile_cache",
    "run_catalog",
    "run_parallel",
    "start_workers",
    "stop_workers",
]


@dataclasses.dataclass
class Report:
    """Everything one run found: verdicts, load errors, and whether it was cut short."""

    results: list[Result]
    load_errors: list[LoadError]
    profile: str
    seed: int
    interrupted: bool = False
    seconds: float = 0.0
    skipped: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts by status, plus how many met their expectation."""
        out = {s: 0 for s in ("verified", "refuted", "unstable", "error")}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        out["claims"] = len(self.results)
        out["lines"] = sum(len(r.lines) if ClaimKind(r.kind).chained else 1 for r in self.results)
        out["as_expected"] = sum(r.ok for r in self.results)
        out["unexpected"] = len(self.results) - out["as_expected"]
        out["errata"] = sum(
            1 for r in self.results for ln in r.lines if ln.erratum is not None)
        out["load_errors"] = len(self.load_errors)
        out["not_run"] = len(self.skipped)
        return out

    @property
    def exit_code(self) -> int:
        """0: all as expected; 1: some claim is not; 2: a file failed to load."""
        if self.load_errors:
            return 2
        if self.interrupted or any(not r.ok for r in self.results):
            return 1
        return 0


_CACHE_OPTIONS = {
    "jax_compilation_cache_dir": None,  # set to the path
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": -1,
}


def enable_compile_cache(path: str | None) -> None:
    """Use JAX's persistent compilation cache (only compiled checks, never verdicts).

    This sets JAX options for the whole process: use it in a process of
    derivcheck's own (a worker), and :func:`compile_cache` anywhere else.
    """
    if not path:
        return
    import jax

    for option, value in _CACHE_OPTIONS.items():
        jax.config.update(option, path if value is None else value)
    _reset_jax_cache()
    _use_store(path)


#: The program store's folder inside the compilation cache folder.
PROGRAMS = "derivcheck-programs"


def _use_store(path: str | None):
    """Keep compiled checks across runs under ``path`` (None: stop); returns the previous store."""
    from ._engine import ENGINE
    from ._engine._store import ProgramStore

    before = ENGINE.compiler.store
    ENGINE.compiler.store = ProgramStore(os.path.join(path, PROGRAMS)) if path else None
    return before


def _reset_jax_cache() -> None:
    """Make JAX re-read the cache options at its next compile (it reads them once)."""
    from jax.experimental.compilation_cache import compilation_cache

    compilation_cache.reset_cache()


@contextlib.contextmanager
def compile_cache(path: str | None) -> Iterator[None]:
    """Use JAX's persistent compilation cache at ``path`` inside the block, then restore.

    The cache options of the user's process (directory, thresholds) are put
    back as they were, and JAX's cache is reset so that the user's own
    compiles after the block go where their options say, not into ours.
    ``path`` empty or None: nothing is changed.

    >>> import jax, tempfile
    >>> before = jax.config.jax_compilation_cache_dir
    >>> with compile_cache(tempfile.mkdtemp()):
    ...     inside = jax.config.jax_compilation_cache_dir
    >>> inside != before, jax.config.jax_compilation_cache_dir == before
    (True, True)
    """
    if not path:
        yield
        return
    import jax

    from ._engine import ENGINE

    before = {option: getattr(jax.config, option) for option in _CACHE_OPTIONS}
    store_before = ENGINE.compiler.store
    try:
        enable_compile_cache(path)
        yield
    finally:
        for option, value in before.items():
            jax.config.update(option, value)
        _reset_jax_cache()
        ENGINE.compiler.store = store_before


def run_catalog(claims: Sequence[Claim], *, profile: Profile, seed: int,
                load_errors: Sequence[LoadError] = (),
                on_result: Callable[[Result], None] | None = None,
                on_start: Callable[[Claim], None] | None = None) -> Report:
    """Check every claim in order; a claim that crashes the engine becomes an error verdict.

    A KeyboardInterrupt stops the run and returns the partial report with
    ``interrupted=True``; the claims not reached are listed in ``skipped``.
    """
    t0 = time.perf_counter()
    report = Report(results=[], load_errors=list(load_errors), profile=_label(profile), seed=seed)
    with CtrlC().watching() as ctrl_c:
        for i, claim in enumerate(claims):
            try:
                ctrl_c.check()
                if on_start:
                    on_start(claim)
                result = _run_one(claim, profile, seed)
            except KeyboardInterrupt:
                report.interrupted = True
                report.skipped = [c.qualname for c in claims[i:]]
                break
            report.results.append(result)
            if on_result:
                on_result(result)
    report.seconds = time.perf_counter() - t0
    return report


def _label(profile: Profile) -> str:
    """The profile's name, with its dtype when it is not float64 ("default (float32)")."""
    return profile.name if profile.dtype == "float64" else f"{profile.name} ({profile.dtype})"


def _run_one(claim: Claim, profile: Profile, seed: int) -> Result:
    """One claim's verdict; a claim that crashes the engine becomes an error verdict."""
    from ._engine import run_claim

    try:
        return run_claim(claim, profile=profile, seed=seed)
    except Exception as exc:  # an engine bug must not lose the other claims
        return _crashed(claim, seed, exc, traceback.format_exc())


def _crashed(claim: Claim, seed: int, exc: BaseException, trace: str | None) -> Result:
    msg = f"derivcheck itself failed on this claim: {type(exc).__name__}: {exc}"
    result = Result(id=claim.qualname, kind=claim.kind, status="error",
                    expected=claim.expected, source=claim.source, latex=claim.latex,
                    message=msg.splitlines()[0], seed=seed,
                    lines=[LineResult(j + 1, ln.latex, "error", ln.expected,
                                      message="not checked", erratum=ln.erratum)
                           for j, ln in enumerate(claim.lines)])
    result.trace = trace
    return result


# -- several processes ---------------------------------------------------------
# Claims hold lambdas and cannot be pickled, so each worker imports the proof
# files itself and runs claims named by (file, position in the file). Every
# claim's search is seeded by the run's seed alone, so the verdicts do not
# depend on which worker ran it.


class _Worker:
    """A worker process's settings and the proof files it has loaded."""

    def __init__(self, profile: Profile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self.files: dict[str, list[Claim]] = {}

    def claim(self, file: str, position: int, qualname: str) -> Claim:
        """The claim at ``position`` of ``file`` (loaded once), checked against its id."""
        from pathlib import Path

        from ._loader import load_file

        if file not in self.files:
            self.files[file], _ = load_file(Path(file))
        found = [c for c in self.files[file] if c.origin.position == position]
        if not found or found[0].qualname != qualname:
            raise RuntimeError(f"{qualname}: {file} changed while it was being checked "
                               "(a worker found another claim in its place); run again")
        return found[0]

    def run(self, file: str, position: int, qualname: str) -> Result:
        from ._engine import run_claim

        claim = self.claim(file, position, qualname)
        return run_claim(claim, profile=self.profile, seed=self.seed)


_worker: _Worker | None = None  # the one per worker process, made by _worker_init


def _worker_init(profile: Profile, seed: int, cache_dir: str | None) -> None:
    import signal

    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    enable_compile_cache(cache_dir)  # a worker is derivcheck's own process
    _worker = _Worker(profile, seed)


def _worker_run(file: str, position: int, qualname: str) -> Result:
    assert _worker is not None, "_worker_init runs first in every worker"
    return _worker.run(file, position, qualname)


def _weight(claim: Claim) -> int:
    """A claim's rough cost: the lines (and fixes) traced in each bucket."""
    return len(claim.lines) + sum(ln.fix is not None for ln in claim.lines)


def _worker_warm() -> None:
    """Import JAX and the engine, so that a worker is ready when claims arrive."""
    from ._engine import _compiler_options

    _compiler_options()


def start_workers(jobs: int, *, profile: Profile, seed: int, cache_dir: str | None = None):
    """Start ``jobs - 1`` worker processes for :func:`run_parallel` and warm them up.

    Starting them before loading the proof files lets their start-up (mostly
    importing JAX, about a second) overlap with this process's own.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    workers = max(1, jobs - 1)
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                  initializer=_worker_init, initargs=(profile, seed, cache_dir))
    for _ in range(workers):
        pool.submit(_worker_warm)
    return pool


def stop_workers(pool) -> None:
    """Stop a pool from :func:`start_workers` now, rather than wait out JAX processes' slow exit.

    For a pool whose results are all in (or not wanted): work not started is
    cancelled and the worker processes are terminated.
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        proc.terminate()
    pool.shutdown(wait=True)  # instant now; releases the pool's semaphores


def run_parallel(claims: Sequence[Claim], *, profile: Profile, seed: int, jobs: int,
                 cache_dir: str | None = None, load_errors: Sequence[LoadError] = (),
                 on_result: Callable[[Result], None] | None = None, pool=None) -> Report:
    """Like :func:`run_catalog`, spreading claims over ``jobs`` processes, this one included.

    ``jobs - 1`` worker processes take claims from the front of the catalog
    (longest first) while this process, which has loaded the claims already,
    takes them from the back, so no process idles while the workers start up.
    A worker is handed one claim at a time (by a thread of this process), so
    none waits in a worker's queue while this process has nothing left to do.
    Results come back in catalog order. Ctrl-C cancels what has not started
    and returns the partial report with ``interrupted=True``.
    ``pool`` is one from :func:`start_workers` with the same settings, if any.
    ``cache_dir`` is the workers' compilation cache; this process's own is
    the caller's choice (see :func:`compile_cache`).

    Workers address a claim by its file and its position in the file, so
    ``claims`` must come from :func:`~derivcheck._loader.load_file`.
    """
    import queue
    import threading

    unloaded = [c.qualname for c in claims if getattr(c, "origin", None) is None]
    if unloaded:
        raise ValueError(f"{unloaded[0]}: run_parallel checks claims loaded from proof files "
                         "only; use run_catalog for claims built in code")
    t0 = time.perf_counter()
    report = Report(results=[], load_errors=list(load_errors), profile=_label(profile), seed=seed)
    done: dict[int, Result] = {}
    if pool is None:
        pool = start_workers(jobs, profile=profile, seed=seed, cache_dir=cache_dir)
    # Longest first (more lines, more to trace), so that the run ends on short
    # claims and no process waits long for the last one.
    order = sorted(range(len(claims)), key=lambda i: -_weight(claims[i]))
    left = [0, len(order)]  # order[left[0]:left[1]] has not started
    lock, stop = threading.Lock(), threading.Event()
    arrived: queue.SimpleQueue = queue.SimpleQueue()  # (index, result) from the workers

    def take(front: bool) -> int | None:
        with lock:
            if stop.is_set() or left[0] >= left[1]:
                return None
            if front:
                left[0] += 1
                return order[left[0] - 1]
            left[1] -= 1
            return order[left[1]]

    def feed() -> None:
        """Hand one worker the claims from the front, one at a time; None when done."""
        try:
            while (i := take(front=True)) is not None:
                c = claims[i]
                try:
                    result = pool.submit(_worker_run, c.file, c.origin.position,
                                         c.qualname).result()
                except Exception as exc:  # a crashed worker must not lose the other claims
                    arrived.put((i, _crashed(c, seed, exc, None)))
                    return  # this process takes the rest from the back
                arrived.put((i, result))
        finally:
            arrived.put(None)

    def finish(i: int, result: Result) -> None:
        done[i] = result
        if on_result:
            on_result(result)

    feeding, ctrl_c = max(1, jobs - 1), CtrlC()

    def harvest(*, wait: bool) -> None:
        """Report the results that have arrived; ``wait``: for one at least."""
        nonlocal feeding
        ctrl_c.check()  # a Ctrl-C whose KeyboardInterrupt was lost stops the run here
        while True:
            try:  # a timeout, so that Ctrl-C is seen while waiting
                item = arrived.get(timeout=0.2) if wait else arrived.get_nowait()
            except queue.Empty:
                if wait:
                    continue
                return
            wait = False
            if item is None:
                feeding -= 1
            else:
                finish(*item)

    for _ in range(feeding):
        threading.Thread(target=feed, daemon=True).start()
    try:
        with ctrl_c.watching():
            while (i := take(front=False)) is not None:
                harvest(wait=False)
                finish(i, _run_one(claims[i], profile, seed))
            while feeding:
                harvest(wait=True)
    except KeyboardInterrupt:
        report.interrupted = True
        stop.set()
    stop_workers(pool)  # after Ctrl-C too: a worker left waiting hung the console script's exit
    report.results = [done[i] for i in sorted(done)]
    report.skipped = [c.qualname for i, c in enumerate(claims) if i not in done]
    report.seconds = time.perf_counter() - t0
    return report
