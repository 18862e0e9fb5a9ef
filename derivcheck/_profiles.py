"""Search budgets: how many inputs, in how many shape buckets."""

from __future__ import annotations

import dataclasses
import os

from ._space import EXTREME_REGIMES, REGIMES

__all__ = ["DTYPES", "PROFILES", "Profile", "get_profile"]

#: The precisions a check can run the user's functions in.
DTYPES = ("float64", "float32")


@dataclasses.dataclass(frozen=True)
class Profile:
    """A search budget.

    Attributes:
      name: "quick", "default" or "thorough".
      max_examples: Hypothesis examples per claim; each checks a whole batch.
      batch: inputs per example, checked in one vmapped call.
      buckets: how many shape buckets (bucket 0 is the smallest: N=1, one
        feature, two classes).
      regimes: the value regimes mixed into every batch.
      dtype: what the user's functions compute in: "float64" (the default)
        or "float32" for code that only runs in float32. In float32 the
        claimed side gets the inputs rounded to float32, the truth gets the
        same values in float64, and the float32 tolerance applies
        (:mod:`derivcheck._tolerance`).
    """

    name: str
    max_examples: int
    batch: int
    buckets: int
    regimes: tuple[str, ...] = REGIMES
    dtype: str = "float64"

    @property
    def inputs(self) -> int:
        """Inputs checked per claim when nothing fails."""
        return self.max_examples * self.batch


PROFILES = {
    "quick": Profile("quick", max_examples=6, batch=32, buckets=2),
    "default": Profile("default", max_examples=16, batch=64, buckets=3),
    "thorough": Profile("thorough", max_examples=160, batch=64, buckets=6,
                        regimes=EXTREME_REGIMES),
}


def get_profile(name: str | Profile | None = None, *, max_examples: int | None = None,
                dtype: str | None = None) -> Profile:
    """Look up a profile by name (``DERIVCHECK_PROFILE`` if None), with overrides.

    >>> get_profile("quick").inputs
    192
    >>> get_profile("default", max_examples=4).inputs
    256
    >>> get_profile("quick", dtype="float32").dtype
    'float32'
    """
    if isinstance(name, Profile):
        prof = name
    else:
        name = name or os.environ.get("DERIVCHECK_PROFILE", "default")
        if name not in PROFILES:
            raise ValueError(
                f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
        prof = PROFILES[name]
    if max_examples is not None:
        if max_examples < 1:
            raise ValueError(f"max_examples must be at least 1, got {max_examples}")
        prof = dataclasses.replace(prof, max_examples=max(max_examples, 1))
    if dtype is not None:
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        prof = dataclasses.replace(prof, dtype=dtype)
    return prof
