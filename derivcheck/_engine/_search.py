"""Stage 2, search: seeded batches, with Hypothesis choosing (bucket, seed).

Each (bucket, seed) pair gives one batch that mixes all value regimes; the
batch goes through the fused check and every line's failures are recorded
(the best three per line: calm first, then clear, then small). The search
stops early once every line has failed at a calm input.

Inside a user's own Hypothesis test (``@given``), nesting ``@given`` is an
error, so the same seeded batches are driven by a plain loop instead: the
explicit pairs (b, b) for every bucket, then pairs drawn from
``random.Random(seed)``.
"""

from __future__ import annotations

import random

import hypothesis
import hypothesis.strategies as st
import numpy as np

from ._evaluate import Checker
from ._kinks import NEARBY, TIED
from ._records import Errors, Failure
from ._rules import failing

__all__ = ["Search"]


class Search:
    """Drives the checker over seeded batches and records what fails."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def done(self) -> bool:
        ck = self.checker
        return ck.truth_error is not None or all(s.calm_failure for s in ck.slots)

    def record(self, b: int, batch: dict, out: Errors) -> None:
        ck = self.checker
        bound = ck.calm_bound
        fails = failing(out)
        checked = out.tfin
        for slot in ck.slots:
            j = slot.index
            if not slot.runs_in(b):
                continue
            ok = checked & out.ran[:, j] & ~fails[:, j]
            slot.examples += int(np.count_nonzero(checked & out.ran[:, j]))
            slot.untruthed += int(np.count_nonzero(~checked & out.ran[:, j]))
            if out.kinks is not None:
                slot.kinks += int(np.count_nonzero((out.kinks[:, j] > 0) & checked))
                slot.nudged += int(np.count_nonzero((out.kinks[:, j] == NEARBY) & checked))
                slot.tied += int(np.count_nonzero((out.kinks[:, j] == TIED) & checked))
            if np.any(ok):
                slot.max_err = max(slot.max_err, float(np.max(out.err[ok, j])))
                steps = out.step[ok, j]
                steps = steps[~np.isnan(steps)]
                if steps.size:
                    slot.max_step = max(slot.max_step, float(np.max(steps)))
            idx = np.flatnonzero(fails[:, j])
            if idx.size:
                # Prefer a calm input, then a clear failure (not one at the
                # tolerance's edge, as on tiny inputs), then a small magnitude.
                mags = out.mag[idx]
                errs = np.minimum(np.nan_to_num(out.err[idx, j], nan=np.inf), 1.0)
                i = int(idx[np.lexsort((mags, -errs, mags > bound))[0]])
                mag, err = float(out.mag[i]), float(min(np.nan_to_num(
                    out.err[i, j], nan=np.inf), 1.0))
                if mag <= bound:
                    slot.calm_failure = True
                x = {k: np.array(v[i]) for k, v in batch.items()}
                slot.failures.append(Failure(mag, b, x, err))
                slot.failures.sort(key=lambda f: (f.magnitude > bound, f.bucket, -f.error,
                                                  f.magnitude))
                del slot.failures[3:]

    def example(self, b: int, s: int) -> None:
        """Check the batch(es) of seed ``s`` in bucket ``b``."""
        if self.done():
            return
        ck = self.checker
        pending = []
        for part in range(ck.rounds_of(b)):  # dispatch all, then wait
            batch = ck.space.draw(ck.bucket(b), seed=s, size=ck.batch_of(b),
                                  regimes=ck.profile.regimes, part=part)
            pending.append((batch, ck.call(b, batch)))
        for part, (batch, res) in enumerate(pending):
            # seed b, part 0 is the bucket's probe batch: its result gives the unit too
            out = ck.collect(b, batch, res, probe=s == b and part == 0)
            if ck.truth_error is None:
                self.record(b, batch, out)

    def generated(self) -> int:
        """Drawn examples beyond one per bucket.

        The profile's budget is max_examples × batch inputs; where small inputs
        get bigger batches, fewer examples reach it (never fewer than two
        drawn examples beyond one per bucket).
        """
        ck, prof = self.checker, self.checker.profile
        nb = prof.buckets
        budget = ck.budget()
        smallest = min(ck.batch_of(b) * ck.rounds_of(b) for b in range(nb))
        return max(-(-budget // smallest) - nb, min(2, prof.max_examples))

    def run(self) -> None:
        if hypothesis.control.currently_in_test_context():
            self.run_plain()
        else:
            self.run_hypothesis()

    def run_plain(self) -> None:
        """The same seeded batches without Hypothesis (inside a user's ``@given``)."""
        nb = self.checker.profile.buckets
        for b in range(nb):
            self.example(b, b)
        rng = random.Random(self.checker.seed)
        for _ in range(self.generated()):
            self.example(rng.randrange(nb), rng.getrandbits(32))

    def run_hypothesis(self) -> None:
        nb = self.checker.profile.buckets
        # The explicit examples (seed b in each bucket b, which Hypothesis ran
        # first, in this order, and which take nothing from its random stream)
        # run directly: Hypothesis's explicit phase cost a few ms per claim.
        for b in range(nb):
            self.example(b, b)
        generated = self.generated()
        if not generated:
            return
        settings = hypothesis.settings(
            max_examples=generated,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            print_blob=False,
        )

        def body(b: int, s: int) -> None:
            self.example(b, s)

        test = hypothesis.given(b=st.integers(0, nb - 1), s=st.integers(0, 2**32 - 1))(body)
        test = hypothesis.seed(self.checker.seed)(settings(test))
        # No example database is used, so skip hashing the body's source for its
        # key (tokenizing it cost ~1 ms per check); older or newer Hypothesis
        # versions that ignore this attribute just hash it.
        test._hypothesis_internal_database_key = None
        test()
